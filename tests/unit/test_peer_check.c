/* test_peer_check.c: peerwatch-peer check against a scripted resolver and real local sockets: a server that answers is ok, one that refuses fails, so do a missing SRV record and a bad key file; the exit status says whether all passed. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pw_loop.h"
#include "fake_resolver.h"
#include "keys.h"
#include "test_peer_util.h"

static const char *opa;
static pw_loop_t *loop;
static pwfake_resolver_t *dns;
static int listener = -1;
static unsigned open_port, closed_port;

TP_SUITE(peer_check, peer_and_servers, servers_away);

/* A TCP socket on 127.0.0.1 (listening or not). @return its fd, its port in *port */
static int local_socket(int listening, unsigned *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (listening)
        cr_assert_eq(listen(fd, 8), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Script an SRV name with one record: target:port at priority. */
static void script(const char *name, uint16_t priority, const char *target, unsigned port)
{
    pw_srv_rr_t rr = pwfake_resolver_srv(priority, target);
    rr.port = (uint16_t)port;
    cr_assert_eq(pwfake_resolver_script_srv(dns, name, PW_OK, &rr, 1, 60), PW_OK);
}

/* opa with opb as its peer, a server that listens, a port that refuses, the loop and the fake. */
static void peer_and_servers(void)
{
    char path[320], key[320], pub[320];
    FILE *f;
    int closed;

    opa = tp_operator_with_keys(&root, "opa.example", "+4477009");
    snprintf(key, sizeof key, "%s/opb.key", root.path);
    snprintf(pub, sizeof pub, "%s/opb.pub", root.path);
    cr_assert_eq(pwfake_keys_write_ed25519(key, pub), PW_OK);
    snprintf(path, sizeof path, "%s/gateway.conf", opa);
    f = fopen(path, "a");
    fprintf(f, "opb.example = %s\n", pub);
    fclose(f);
    listener = local_socket(1, &open_port);
    closed = local_socket(0, &closed_port); /* bound, never listening: connections are refused */
    close(closed);
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pwfake_resolver_create(&dns, loop), PW_OK);
}

static void servers_away(void)
{
    pw_resolver_destroy(pwfake_resolver_base(dns));
    dns = NULL;
    pw_loop_destroy(loop);
    loop = NULL;
    if (listener >= 0)
        close(listener);
    listener = -1;
}


static int check(void)
{
    pw_peer_opts_t o = tp_opts(opa);
    int rc;
    o.timeout_ms = 2000;
    tp_io_free(&io);
    tp_io_open(&io);
    rc = pw_peer_check(&o, loop, pwfake_resolver_base(dns), io.out, io.err);
    tp_io_close(&io);
    return rc;
}

#define HAS(text) cr_assert(strstr(io.out_text, (text)), "no '%s' in:\n%s", (text), io.out_text)

/* B as the trial publishes it: a dead gateway first, the real one second. */
static void script_opb(void)
{
    pw_srv_rr_t gws[2] = { pwfake_resolver_srv(10, "gw-down.opb.example"),
                           pwfake_resolver_srv(20, "gateway.opb.example") };
    cr_assert_eq(pwfake_resolver_script_srv(dns, "_presence-gw._tcp.opb.example", PW_OK, gws, 2, 60), PW_OK);
    script("_xmpp-server._tcp.gw-down.opb.example", 0, "127.0.0.1", closed_port);
    script("_xmpp-server._tcp.gateway.opb.example", 0, "127.0.0.1", open_port);
    script("_xmpp-server._tcp.opb.example", 0, "127.0.0.1", open_port);
}

Test(peer_check, one_server_answers_one_refuses)
{
    char want[128];

    script_opb();
    cr_assert_eq(check(), PW_PEER_EXIT_FAIL, "a failed check fails the run:\n%s", io.out_text);
    HAS("ok   own key opa.example: ");
    HAS("ok   key opb.example: ");
    HAS("ok   SRV _presence-gw._tcp.opb.example: gw-down.opb.example:5269 (priority 10, weight 10), "
        "gateway.opb.example:5269 (priority 20, weight 10)\n");
    snprintf(want, sizeof want, "FAIL connect 127.0.0.1:%u (s2s of gw-down.opb.example): Connection refused\n",
             closed_port);
    HAS(want);
    snprintf(want, sizeof want, "ok   connect 127.0.0.1:%u (s2s of gateway.opb.example)\n", open_port);
    HAS(want);
    HAS("ok   SRV _xmpp-server._tcp.opb.example: ");
    HAS("1 of 8 checks failed\n");
    cr_assert_str_eq(io.err_text, "");
}

Test(peer_check, all_ok_is_exit_status_zero)
{
    script("_presence-gw._tcp.opb.example", 10, "gateway.opb.example", 5269);
    script("_xmpp-server._tcp.gateway.opb.example", 0, "127.0.0.1", open_port);
    script("_xmpp-server._tcp.opb.example", 0, "127.0.0.1", open_port);
    cr_assert_eq(check(), PW_PEER_EXIT_OK, "%s", io.out_text);
    cr_assert_null(strstr(io.out_text, "FAIL"), "%s", io.out_text);
    HAS("all 6 checks passed\n");
    cr_assert_eq(pwfake_resolver_count(dns, "srv", NULL), 3);
}

Test(peer_check, a_missing_record_and_a_bad_key_file_fail)
{
    char path[320];
    snprintf(path, sizeof path, "%s/opb.pub", root.path);
    tp_write(path, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n");
    cr_assert_eq(check(), PW_PEER_EXIT_FAIL);
    HAS("FAIL key opb.example (");
    HAS("gateway.conf:10): ");
    HAS("not an unencrypted Ed25519 public key");
    HAS("FAIL SRV _presence-gw._tcp.opb.example: no such record");
    HAS("FAIL SRV _xmpp-server._tcp.opb.example: no such record");
}
