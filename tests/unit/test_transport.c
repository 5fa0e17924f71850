/* test_transport.c: the XEP-0114 transport against an in-process fake server: the libstrophe
 * stream-management work-around, the handshake, stanzas both ways, and reconnect with backoff. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xmpp/pw_component.h"
#include "xmpp/pw_transport.h"

/* A listening socket on 127.0.0.1:*port (0: any free port, written back to *port). */
static int listen_loopback(unsigned short *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    cr_assert_geq(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(*port);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 8), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

Test(transport, sm_workaround_allocates_state_without_any_traffic)
{
    unsigned short port = 0;
    int lfd = listen_loopback(&port);
    xmpp_ctx_t *ctx;
    xmpp_conn_t *plain, *prepared;
    xmpp_sm_state_t *sm;

    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    plain = xmpp_conn_new(ctx);
    prepared = xmpp_conn_new(ctx);
    /* the bug's precondition: a connection never connected as a client has no SM state */
    cr_assert_null(xmpp_conn_get_sm_state(plain));
    pw_transport_strophe_prepare(prepared, "127.0.0.1", port);
    cr_assert(xmpp_conn_is_disconnected(prepared), "the aborted client connect left it disconnected");
    sm = xmpp_conn_get_sm_state(prepared);
    cr_assert_not_null(sm, "the work-around leaves the stream-management state allocated");
    cr_assert_eq(xmpp_conn_set_sm_state(prepared, sm), XMPP_EOK);
    cr_assert_lt(accept(lfd, NULL, NULL), 0, "no TCP connection reached the server");
    cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
    xmpp_conn_release(plain);
    xmpp_conn_release(prepared);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    close(lfd);
}

/* ---- a minimal XEP-0114 server driven by the same loop ---- */

typedef struct {
    pw_loop_t *loop;
    int lfd, cfd;
    char buf[8192];
    size_t len;
    int handshakes, pings_answered, accepted;
    int close_after_ping; /* drop the connection once the ping was answered */
} fake_server_t;

static void server_send(fake_server_t *s, const char *text)
{
    ssize_t n = write(s->cfd, text, strlen(text));
    cr_assert_eq((size_t)n, strlen(text));
}

static void on_client(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    fake_server_t *s = arg;
    ssize_t n = read(fd, s->buf + s->len, sizeof s->buf - s->len - 1);
    (void)events;
    if (n <= 0) {
        pw_loop_io_clear(loop, fd);
        close(fd);
        s->cfd = -1;
        return;
    }
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    if (strstr(s->buf, "<stream:stream") && !strstr(s->buf, "<handshake")) {
        if (!strstr(s->buf, "SENT-HEADER")) {
            server_send(s, "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                           "xmlns='jabber:component:accept' from='ps1.test.example' id='abc123'>");
            s->len = 0;
            strcpy(s->buf, "SENT-HEADER");
            s->len = strlen(s->buf);
        }
        return;
    }
    if (strstr(s->buf, "</handshake>")) {
        s->handshakes++;
        s->len = 0;
        s->buf[0] = '\0';
        server_send(s, "<handshake/><iq type='get' id='ping1' from='test.example' to='ps1.test.example'>"
                       "<ping xmlns='urn:xmpp:ping'/></iq>");
        return;
    }
    if (strstr(s->buf, "ping1") && strstr(s->buf, "result")) {
        s->pings_answered++;
        s->len = 0;
        s->buf[0] = '\0';
        if (s->close_after_ping) {
            pw_loop_io_clear(loop, fd);
            close(fd);
            s->cfd = -1;
        }
    }
}

static void on_accept(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    fake_server_t *s = arg;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
    (void)events;
    if (c < 0)
        return;
    s->accepted++;
    s->cfd = c;
    s->len = 0;
    s->buf[0] = '\0';
    pw_loop_io_set(loop, c, PW_IO_READ, on_client, s);
}

/* A component on the XEP-0114 transport, the fake server and the loop they share. */
typedef struct rig {
    fake_server_t s;
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pw_transport_t *t;
    pw_component_t *c;
} rig_t;

/* The loop, and a fake server not yet listening. */
static void rig_init(rig_t *r)
{
    memset(r, 0, sizeof *r);
    r->s.cfd = -1;
    r->s.lfd = -1;
    cr_assert_eq(pw_loop_create(&r->loop), PW_OK);
}

/* The fake server listens on 127.0.0.1:*port (0: any free port, written back). */
static void rig_listen(rig_t *r, unsigned short *port)
{
    r->s.lfd = listen_loopback(port);
    pw_loop_io_set(r->loop, r->s.lfd, PW_IO_READ, on_accept, &r->s);
}

/* The transport (to) and the component on it, not started. */
static void rig_component(rig_t *r, const pw_transport_opts_t *to)
{
    pw_component_opts_t co = { .jid = "ps1.test.example" };
    xmpp_initialize();
    r->ctx = xmpp_ctx_new(NULL, NULL);
    cr_assert_eq(pw_transport_strophe_create(&r->t, r->loop, r->ctx, to), PW_OK);
    cr_assert_eq(pw_component_create(&r->c, r->loop, r->ctx, &co, r->t), PW_OK);
}

/* Run the loop until the server saw pings answered, or for ms at most. */
static void rig_run_until_pings(rig_t *r, int pings, uint64_t ms)
{
    uint64_t deadline = pw_loop_now(r->loop) + ms;
    while (r->s.pings_answered < pings && pw_loop_now(r->loop) < deadline)
        pw_loop_run_once(r->loop, 50);
}

static void rig_close(rig_t *r)
{
    pw_component_destroy(r->c);
    xmpp_ctx_free(r->ctx);
    xmpp_shutdown();
    if (r->s.cfd >= 0)
        close(r->s.cfd);
    if (r->s.lfd >= 0)
        close(r->s.lfd);
    pw_loop_destroy(r->loop);
}

Test(transport, handshake_stanzas_and_reconnect_after_the_server_drops_us)
{
    rig_t r;
    unsigned short port = 0;
    pw_transport_opts_t to = { .jid = "ps1.test.example", .secret = "secret", .server = "127.0.0.1",
                               .reconnect_min_ms = 100, .reconnect_max_ms = 400 };
    uint64_t start;

    rig_init(&r);
    r.s.close_after_ping = 1;
    rig_listen(&r, &port);
    to.port = port;
    rig_component(&r, &to);
    cr_assert_eq(pw_component_start(r.c), PW_OK);
    start = pw_loop_now(r.loop);
    rig_run_until_pings(&r, 3, 5000);
    cr_assert_geq(r.s.pings_answered, 3, "the component answered a ping on each of three connections");
    cr_assert_geq(r.s.handshakes, 3);
    cr_assert_geq(pw_transport_strophe_connections(r.t), 3);
    /* two reconnects with backoff of at least min/2 each (equal jitter) */
    cr_assert_geq(pw_loop_now(r.loop) - start, 100, "reconnects wait for the backoff");
    pw_component_stop(r.c);
    rig_close(&r);
}

Test(transport, refused_connection_is_retried)
{
    rig_t r;
    unsigned short port = 0;
    int lfd = listen_loopback(&port);
    pw_transport_opts_t to = { .jid = "ps1.test.example", .secret = "s", .server = "127.0.0.1",
                               .reconnect_min_ms = 100, .reconnect_max_ms = 200 };
    uint64_t deadline;

    close(lfd); /* nobody listens on port now: connections are refused */
    rig_init(&r);
    to.port = port;
    rig_component(&r, &to);
    pw_component_start(r.c);
    deadline = pw_loop_now(r.loop) + 600;
    while (pw_loop_now(r.loop) < deadline)
        pw_loop_run_once(r.loop, 50);
    cr_assert_not(pw_component_online(r.c));
    /* now a server appears on the same port: the next retry gets through */
    rig_listen(&r, &port);
    rig_run_until_pings(&r, 1, 3000);
    cr_assert(pw_component_online(r.c), "connected once the server was there");
    cr_assert_eq(r.s.pings_answered, 1);
    rig_close(&r);
}
