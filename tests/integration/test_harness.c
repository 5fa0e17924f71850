/* test_harness.c: proves the integration harness on the real servers: processes, Prosody, dnsmasq, the XMPP client. */
#include <criterion/criterion.h>

#include <ares.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pwt_client.h"
#include "pwt_dns.h"
#include "pwt_proc.h"
#include "pwt_prosody.h"
#include "pwt_util.h"

#define LOGIN_MS 10000u
#define IQ_MS 5000u

/* Whether a PID is gone (no process, not even a zombie of ours). */
static int pid_gone(int pid)
{
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

/* Whether a path exists. */
static int path_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* The first <item/> child of a roster <query/> with the given jid, or NULL. */
static xmpp_stanza_t *roster_item(xmpp_stanza_t *iq, const char *jid)
{
    xmpp_stanza_t *query = xmpp_stanza_get_child_by_name(iq, "query");
    if (!query)
        return NULL;
    for (xmpp_stanza_t *it = xmpp_stanza_get_children(query); it; it = xmpp_stanza_get_next(it)) {
        const char *name = xmpp_stanza_get_name(it);
        const char *item_jid = xmpp_stanza_get_attribute(it, "jid");
        if (name && strcmp(name, "item") == 0 && item_jid && strcmp(item_jid, jid) == 0)
            return it;
    }
    return NULL;
}

/* Log in, expecting success; the caller destroys the client. */
static pwt_client_t *login(pwt_server_t *s, const char *jid, const char *password)
{
    pwt_client_t *c = NULL;
    pw_status_t st = pwt_client_connect(&c, jid, password, pwt_server_ip(s),
                                        pwt_server_c2s_port(s), LOGIN_MS);
    if (st != PW_OK)
        pwt_server_print_log(s, 40);
    cr_assert_eq(st, PW_OK, "login as %s: %s", jid, pw_strerror(st));
    cr_assert(pwt_client_connected(c));
    return c;
}

/* Send a XEP-0199 ping to `to` and assert a result comes back. */
static void assert_ping(pwt_client_t *c, const char *to)
{
    char xml[256];
    xmpp_stanza_t *reply;
    snprintf(xml, sizeof xml, "<iq type='get' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>", to);
    reply = pwt_client_iq(c, xml, IQ_MS);
    cr_assert_not_null(reply, "no answer to a ping to %s", to);
    cr_assert_str_eq(xmpp_stanza_get_type(reply), "result", "ping to %s failed", to);
    xmpp_stanza_release(reply);
}

/* What a test started, destroyed by teardown() even when an assertion ends the test early. */
static struct fixture {
    pwt_server_t *a;
    pwt_server_t *b;
    pwt_dnsmasq_t *d;
    pwt_client_t *c;
} fx;

/* Criterion .fini: stop and remove whatever the test left (all destroy functions take NULL). */
static void teardown(void)
{
    pwt_client_destroy(fx.c);
    pwt_server_destroy(fx.a);
    pwt_server_destroy(fx.b);
    pwt_dnsmasq_destroy(fx.d);
    memset(&fx, 0, sizeof fx);
}

Test(proc, runs_stops_and_reports)
{
    char *dir = pwt_tmpdir("proc");
    char log[PWT_PATH_MAX];
    pwt_proc_t *p = NULL;
    char *sleeper[] = { "sleep", "60", NULL };
    char *stubborn[] = { "sh", "-c", "trap '' TERM; sleep 60 & wait", NULL };
    char *missing[] = { "pwt-no-such-program", NULL };
    char *echo[] = { "sh", "-c", "echo to-the-log; exit 3", NULL };
    int status = 0;
    int pid;

    cr_assert_not_null(dir);
    snprintf(log, sizeof log, "%s/proc.log", dir);

    cr_assert_eq(pwt_proc_start(&p, "missing", missing, NULL, log), PW_EIO);
    cr_assert_null(p);

    cr_assert_eq(pwt_proc_start(&p, "sleep", sleeper, NULL, log), PW_OK);
    pid = pwt_proc_pid(p);
    cr_assert_gt(pid, 0);
    cr_assert(pwt_proc_alive(p));
    cr_assert_eq(getpgid(pid), pid, "the child leads its own process group");
    status = pwt_proc_stop(p, 2000);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    cr_assert(!pwt_proc_alive(p));
    cr_assert_eq(pwt_proc_signal(p, SIGTERM), PW_ECLOSED);
    pwt_proc_destroy(p);
    cr_assert(pid_gone(pid));

    /* Ignores SIGTERM: killed, with its own child, after the grace period. */
    cr_assert_eq(pwt_proc_start(&p, "stubborn", stubborn, NULL, log), PW_OK);
    pid = pwt_proc_pid(p);
    pwt_sleep_ms(100);
    status = pwt_proc_stop(p, 200);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    pwt_proc_destroy(p);
    cr_assert(pid_gone(pid));
    /* Its orphaned child is reaped by init a moment later. */
    for (int i = 0; i < 200 && kill(-pid, 0) == 0; i++)
        pwt_sleep_ms(10);
    cr_assert(kill(-pid, 0) != 0, "nothing of its process group is left");

    /* Exits by itself; its output lands in the log. */
    cr_assert_eq(pwt_proc_start(&p, "echo", echo, NULL, log), PW_OK);
    cr_assert_eq(pwt_proc_wait(p, 5000, &status), PW_OK);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    pwt_proc_destroy(p);
    {
        FILE *f = fopen(log, "r");
        char line[128] = "";
        cr_assert_not_null(f);
        cr_assert_not_null(fgets(line, sizeof line, f));
        fclose(f);
        cr_assert_str_eq(line, "to-the-log\n");
    }

    cr_assert_eq(pwt_rmtree(dir), 0);
    cr_assert(!path_exists(dir));
    free(dir);
}

Test(render, substitutes_and_rejects_unknown_placeholders)
{
    char *dir = pwt_tmpdir("render");
    char tpl[PWT_PATH_MAX], out[PWT_PATH_MAX], text[256] = "";
    const char *const vars[] = { "DOMAIN", "opa.example", "PORT", "5269", NULL };
    FILE *f;
    size_t n;

    cr_assert_not_null(dir);
    snprintf(tpl, sizeof tpl, "%s/t.in", dir);
    snprintf(out, sizeof out, "%s/t.out", dir);
    f = fopen(tpl, "w");
    cr_assert_not_null(f);
    fputs("host @DOMAIN@:@PORT@ mail a@b.c @ @lower@ \"127.0.0.1@PORT\"\n", f);
    fclose(f);
    cr_assert_eq(pwt_render(tpl, out, vars), PW_OK);
    f = fopen(out, "r");
    cr_assert_not_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cr_assert_str_eq(text, "host opa.example:5269 mail a@b.c @ @lower@ \"127.0.0.1@PORT\"\n");

    f = fopen(tpl, "w");
    cr_assert_not_null(f);
    fputs("line one\nhost @DOMAIN@ @TYPO@\n", f);
    fclose(f);
    cr_assert_eq(pwt_render(tpl, out, vars), PW_ECONFIG);
    cr_assert(!path_exists(out), "no half-rendered file is left");

    cr_assert_eq(pwt_rmtree(dir), 0);
    free(dir);
}

Test(prosody, login_ping_roster_restart, .fini = teardown)
{
    pwt_server_spec_t o = { .domain = "opa.example", .ip = "127.0.0.2", .secret = "s3cret" };
    pwt_client_t *bad = (pwt_client_t *)&o; /* must be reset to NULL on failure */
    xmpp_stanza_t *reply;
    xmpp_stanza_t *item;
    char dir[PWT_PATH_MAX];
    int c2s, pid1, pid2;

    cr_assert_eq(pwt_prosody_create(&fx.a, &o), PW_OK);
    snprintf(dir, sizeof dir, "%s", pwt_server_dir(fx.a));
    cr_assert_eq(pwt_server_add_user(fx.a, "alice", "alice-pw"), PW_OK);
    cr_assert_eq(pwt_server_add_user(fx.a, "bob", "bob \"quoted\" \\ pw"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.a, "alice", "+12025550123@watcher.opa.example", "both"),
                 PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.a, "alice", "bob@opb.example", "to"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.a, "alice", "bob@opb.example", "from"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.a, "alice", "gone@opb.example", "none"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.a, "alice", "gone@opb.example", "remove"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.a, "alice", "x@opb.example", "sometimes"), PW_EINVAL);
    cr_assert_eq(pwt_server_start(fx.a), PW_OK);
    cr_assert_eq(pwt_server_start(fx.a), PW_EEXIST);
    pid1 = pwt_server_pid(fx.a);
    c2s = pwt_server_c2s_port(fx.a);
    cr_assert(pwt_server_running(fx.a));

    fx.c = login(fx.a, "alice@opa.example", "alice-pw");
    cr_assert(strncmp(pwt_client_jid(fx.c), "alice@opa.example/", 18) == 0, "bound %s",
              pwt_client_jid(fx.c));
    assert_ping(fx.c, "opa.example");

    /* The roster written before start is what the server hands out. */
    reply = pwt_client_iq(fx.c, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>", IQ_MS);
    cr_assert_not_null(reply);
    cr_assert_str_eq(xmpp_stanza_get_type(reply), "result");
    item = roster_item(reply, "+12025550123@watcher.opa.example");
    cr_assert_not_null(item);
    cr_assert_str_eq(xmpp_stanza_get_attribute(item, "subscription"), "both");
    item = roster_item(reply, "bob@opb.example");
    cr_assert_not_null(item);
    cr_assert_str_eq(xmpp_stanza_get_attribute(item, "subscription"), "from");
    cr_assert_null(roster_item(reply, "gone@opb.example"));
    xmpp_stanza_release(reply);

    /* Raw stanzas and waiting: a message to oneself comes back. */
    cr_assert_eq(pwt_client_presence(fx.c, "away", "testing", 5), PW_OK);
    cr_assert_eq(pwt_client_send_xml(fx.c, "<message to='alice@opa.example' id='m1' type='chat'>"
                                        "<body>hello</body></message>"), PW_OK);
    reply = pwt_client_wait(fx.c, pwt_match_id, "m1", IQ_MS);
    cr_assert_not_null(reply);
    cr_assert_str_eq(xmpp_stanza_get_name(reply), "message");
    xmpp_stanza_release(reply);
    cr_assert_null(pwt_client_wait(fx.c, pwt_match_id, "never", 100));

    /* Wrong password, unknown user. */
    cr_assert_eq(pwt_client_connect(&bad, "alice@opa.example", "wrong", pwt_server_ip(fx.a), c2s,
                                    LOGIN_MS), PW_EDENIED);
    cr_assert_null(bad);
    pwt_client_destroy(login(fx.a, "bob@opa.example", "bob \"quoted\" \\ pw"));

    /* An account added while running works at once. */
    cr_assert_eq(pwt_server_add_user(fx.a, "carol", "carol-pw"), PW_OK);
    pwt_client_destroy(login(fx.a, "carol@opa.example", "carol-pw"));

    /* Restart: same ports, same data, a new process; the old client sees the stream end. */
    cr_assert_eq(pwt_server_stop(fx.a), PW_OK);
    cr_assert(pid_gone(pid1));
    cr_assert(!pwt_server_running(fx.a));
    cr_assert_null(pwt_client_wait(fx.c, pwt_match_id, "never", 2000));
    cr_assert(!pwt_client_connected(fx.c));
    pwt_client_destroy(fx.c);
    fx.c = NULL;
    cr_assert_eq(pwt_server_start(fx.a), PW_OK);
    pid2 = pwt_server_pid(fx.a);
    cr_assert_neq(pid1, pid2);
    cr_assert_eq(pwt_server_c2s_port(fx.a), c2s);
    fx.c = login(fx.a, "alice@opa.example", "alice-pw");
    assert_ping(fx.c, "opa.example");
    pwt_client_destroy(fx.c);
    fx.c = NULL;

    pwt_server_destroy(fx.a);
    fx.a = NULL;
    cr_assert(pid_gone(pid2));
    cr_assert(!path_exists(dir), "%s removed", dir);
}

/* The outcome of one c-ares SRV query. */
typedef struct srv_result {
    int done;
    int status;
    struct ares_srv_reply *srv;
} srv_result_t;

/* c-ares callback: parse an SRV answer into the srv_result_t at arg. */
static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    srv_result_t *res = arg;
    (void)timeouts;
    res->status = status;
    if (status == ARES_SUCCESS)
        res->status = ares_parse_srv_reply(abuf, alen, &res->srv);
    res->done = 1;
}

/* Ask the DNS server on 127.0.0.1:port for an SRV record; the caller frees res->srv. */
static void resolve_srv(int port, const char *name, srv_result_t *res)
{
    ares_channel channel;
    struct ares_options opts = { .timeout = 2000, .tries = 2 };
    char servers[64];

    memset(res, 0, sizeof *res);
    cr_assert_eq(ares_library_init(ARES_LIB_INIT_ALL), ARES_SUCCESS);
    cr_assert_eq(ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES),
                 ARES_SUCCESS);
    snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
    cr_assert_eq(ares_set_servers_ports_csv(channel, servers), ARES_SUCCESS);
    ares_query(channel, name, 1 /* C_IN */, 33 /* T_SRV */, on_srv, res);
    while (!res->done) {
        fd_set r, w;
        struct timeval tv, *tvp;
        int nfds;
        FD_ZERO(&r);
        FD_ZERO(&w);
        nfds = ares_fds(channel, &r, &w);
        if (nfds == 0)
            break;
        tvp = ares_timeout(channel, NULL, &tv);
        select(nfds, &r, &w, NULL, tvp);
        ares_process(channel, &r, &w);
    }
    ares_destroy(channel);
    ares_library_cleanup();
    cr_assert(res->done, "no answer for %s", name);
}

Test(dnsmasq, serves_the_trial_records, .fini = teardown)
{
    const char *const vars[] = {
        "OPA_IP", "127.0.0.2", "OPA_S2S_PORT", "15269",
        "OPB_IP", "127.0.0.3", "OPB_S2S_PORT", "25269", "DOWN_PORT", "25270",
        "OPB_GATEWAY2", "srv-host=_presence-gw._tcp.opb.example,gateway2.opb.example,5269,20,100",
        "OPC_CONF", "# (no third operator)", NULL,
    };
    srv_result_t res;
    char server[64];
    char dir[PWT_PATH_MAX];
    int pid;

    cr_assert_eq(pwt_dnsmasq_start(&fx.d, "conf/dnsmasq/trial.conf", vars), PW_OK);
    pid = pwt_dnsmasq_pid(fx.d);
    cr_assert_gt(pwt_dnsmasq_port(fx.d), 0);
    snprintf(server, sizeof server, "127.0.0.1@%d", pwt_dnsmasq_port(fx.d));
    cr_assert_str_eq(pwt_dnsmasq_server(fx.d), server);
    snprintf(dir, sizeof dir, "%s", pwt_dnsmasq_config_path(fx.d));
    *strrchr(dir, '/') = '\0';

    /* A component domain's s2s SRV record, over UDP. */
    resolve_srv(pwt_dnsmasq_port(fx.d), "_xmpp-server._tcp.ps1.opb.example", &res);
    cr_assert_eq(res.status, ARES_SUCCESS, "SRV lookup: %s", ares_strerror(res.status));
    cr_assert_not_null(res.srv);
    cr_assert_str_eq(res.srv->host, "127.0.0.3", "an IP literal (ejabberd resolves targets through libc)");
    cr_assert_eq(res.srv->port, 25269);
    cr_assert_null(res.srv->next);
    ares_free_data(res.srv);

    resolve_srv(pwt_dnsmasq_port(fx.d), "_xmpp-server._tcp.opa.example", &res);
    cr_assert_eq(res.status, ARES_SUCCESS);
    cr_assert_str_eq(res.srv->host, "127.0.0.2");
    cr_assert_eq(res.srv->port, 15269);
    ares_free_data(res.srv);

    /* B's gateway SRV name: the down gateway first, then the gateway instances, the
     * second one from the @OPB_GATEWAY2@ line. */
    resolve_srv(pwt_dnsmasq_port(fx.d), "_presence-gw._tcp.opb.example", &res);
    cr_assert_eq(res.status, ARES_SUCCESS);
    {
        int down = 0, first = 0, second = 0;
        for (const struct ares_srv_reply *s = res.srv; s; s = s->next) {
            down += !strcmp(s->host, "gw-down.opb.example") && s->priority == 10;
            first += !strcmp(s->host, "gateway.opb.example") && s->priority == 20;
            second += !strcmp(s->host, "gateway2.opb.example") && s->priority == 20;
        }
        cr_assert(down == 1 && first == 1 && second == 1, "gw-down (10), gateway and gateway2 (20)");
    }
    ares_free_data(res.srv);

    /* An unknown name under an operator domain: NXDOMAIN at once. */
    resolve_srv(pwt_dnsmasq_port(fx.d), "_xmpp-server._tcp.nobody.opa.example", &res);
    cr_assert_eq(res.status, ARES_ENOTFOUND, "unknown name: %s", ares_strerror(res.status));

    /* Unknown placeholder: refused before anything starts. */
    {
        const char *const few[] = { "OPA_IP", "127.0.0.2", NULL };
        pwt_dnsmasq_t *none = (pwt_dnsmasq_t *)&res;
        cr_assert_eq(pwt_dnsmasq_start(&none, "conf/dnsmasq/trial.conf", few), PW_ECONFIG);
        cr_assert_null(none);
    }

    pwt_dnsmasq_destroy(fx.d);
    fx.d = NULL;
    cr_assert(pid_gone(pid));
    cr_assert(!path_exists(dir), "%s removed", dir);
}

/* The two-operator plumbing: dnsmasq serves both operators' SRV records, each Prosody
 * resolves through it, and a ping from alice@opa.example reaches opb.example over s2s
 * (dialback, no TLS). */
Test(trial, two_operators_federate, .fini = teardown)
{
    pwt_server_spec_t oa = { .domain = "opa.example", .ip = "127.0.0.2" };
    pwt_server_spec_t ob = { .domain = "opb.example", .ip = "127.0.0.3" };
    char a_s2s[16], b_s2s[16];
    int pids[3];

    /* Create both servers first: their ports go into the DNS records. */
    cr_assert_eq(pwt_prosody_create(&fx.a, &oa), PW_OK);
    snprintf(a_s2s, sizeof a_s2s, "%d", pwt_server_s2s_port(fx.a));
    cr_assert_eq(pwt_prosody_create(&fx.b, &ob), PW_OK);
    snprintf(b_s2s, sizeof b_s2s, "%d", pwt_server_s2s_port(fx.b));
    {
        const char *const vars[] = {
            "OPA_IP", "127.0.0.2", "OPA_S2S_PORT", a_s2s,
            "OPB_IP", "127.0.0.3", "OPB_S2S_PORT", b_s2s, "DOWN_PORT", "1",
            "OPB_GATEWAY2", "# (one gateway instance)", "OPC_CONF", "# (no third operator)", NULL,
        };
        cr_assert_eq(pwt_dnsmasq_start(&fx.d, "conf/dnsmasq/trial.conf", vars), PW_OK);
    }
    cr_assert_eq(pwt_server_set_dns_server(fx.a, pwt_dnsmasq_server(fx.d)), PW_OK);
    cr_assert_eq(pwt_server_set_dns_server(fx.b, pwt_dnsmasq_server(fx.d)), PW_OK);
    cr_assert_eq(pwt_server_add_user(fx.a, "alice", "alice-pw"), PW_OK);
    cr_assert_eq(pwt_server_start(fx.a), PW_OK);
    cr_assert_eq(pwt_server_start(fx.b), PW_OK);
    pids[0] = pwt_server_pid(fx.a);
    pids[1] = pwt_server_pid(fx.b);
    pids[2] = pwt_dnsmasq_pid(fx.d);

    fx.c = login(fx.a, "alice@opa.example", "alice-pw");
    {
        xmpp_stanza_t *reply = pwt_client_iq(
            fx.c, "<iq type='get' to='opb.example'><ping xmlns='urn:xmpp:ping'/></iq>", 10000);
        if (!reply || strcmp(xmpp_stanza_get_type(reply), "result") != 0) {
            pwt_server_print_log(fx.a, 30);
            pwt_server_print_log(fx.b, 30);
            pwt_print_tail(pwt_dnsmasq_log_path(fx.d), 20);
        }
        cr_assert_not_null(reply, "no answer from opb.example over s2s");
        cr_assert_str_eq(xmpp_stanza_get_type(reply), "result");
        xmpp_stanza_release(reply);
    }
    pwt_client_destroy(fx.c);
    fx.c = NULL;

    teardown();
    for (int i = 0; i < 3; i++)
        cr_assert(pid_gone(pids[i]), "pid %d gone", pids[i]);
}
