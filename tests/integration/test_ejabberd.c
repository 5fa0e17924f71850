/* test_ejabberd.c: two private ejabberd 23.01 side by side: logins, s2s through dnsmasq, the real presence server on XEP-0356 privilege:1, nothing left behind, and the TLS config. */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xmpp/pw_stanza.h"
#include "pwt_rawcomp.h"
#include "pwt_ca.h"
#include "pwt_client.h"
#include "pwt_component.h"
#include "pwt_dns.h"
#include "pwt_ejabberd.h"
#include "pwt_proc.h"
#include "pwt_util.h"

#define OPA_IP "127.0.0.6" /* apart from the Prosody tests' addresses */
#define OPB_IP "127.0.0.7"
#define GONE_MS 5000u

/* Everything one test runs: a dnsmasq, operator A's and B's ejabberd, B's presence server. */
static struct {
    pwt_dnsmasq_t *dns;
    pwt_server_t *a, *b;
    pwt_component_t *ps;
    pwt_client_t *clients[3];
    pwt_rawcomp_t *gateway;     /* stands in for B's gateway (a raw component), or NULL */
    xmpp_ctx_t *ctx;            /* parses what it receives */
    char *work; /* the presence server's config, log, state and charge records */
    char dir_a[PWT_PATH_MAX], dir_b[PWT_PATH_MAX];
    int pids[5];
} fx;

/* Create an instance with the fixture users; its dir is remembered for the leftover check. */
static pwt_server_t *prepare(const char *domain, const char *ip, char *dir)
{
    pwt_server_spec_t o = { .domain = domain, .ip = ip };
    pwt_server_t *s = NULL;
    cr_assert_eq(pwt_ejabberd_create(&s, &o), PW_OK, "ejabberd for %s prepared", domain);
    snprintf(dir, PWT_PATH_MAX, "%s", pwt_server_dir(s));
    return s;
}

/* Start an instance, saying how long it took. */
static void start(pwt_server_t *s)
{
    uint64_t t0 = pwt_now_ms();
    cr_assert_eq(pwt_server_start(s), PW_OK, "ejabberd for %s started",
                 pwt_server_domain(s));
    fprintf(stderr, "test_ejabberd: ejabberd for %s up (accounts imported) in %llu ms\n",
            pwt_server_domain(s), (unsigned long long)(pwt_now_ms() - t0));
}

static void setup(void)
{
    char a_s2s[16], b_s2s[16], port[16], state[PWT_PATH_MAX], cdr[PWT_PATH_MAX];
    int online;

    fx.a = prepare("opa.example", OPA_IP, fx.dir_a);
    fx.b = prepare("opb.example", OPB_IP, fx.dir_b);
    fx.a = fx.a;
    fx.b = fx.b;
    snprintf(a_s2s, sizeof a_s2s, "%d", pwt_server_s2s_port(fx.a));
    snprintf(b_s2s, sizeof b_s2s, "%d", pwt_server_s2s_port(fx.b));
    {
        const char *const vars[] = { "OPA_IP", OPA_IP, "OPA_S2S_PORT", a_s2s,
                                     "OPB_IP", OPB_IP, "OPB_S2S_PORT", b_s2s, NULL };
        cr_assert_eq(pwt_dnsmasq_start(&fx.dns, "conf/dnsmasq/ejabberd-pair.conf", vars), PW_OK);
    }
    cr_assert_eq(pwt_server_set_dns_server(fx.a, pwt_dnsmasq_server(fx.dns)), PW_OK);
    cr_assert_eq(pwt_server_set_dns_server(fx.b, pwt_dnsmasq_server(fx.dns)), PW_OK);

    cr_assert_eq(pwt_server_add_user(fx.a, "alice", "alice-pw"), PW_OK);
    cr_assert_eq(pwt_server_add_user(fx.b, "bob", "bob-pw"), PW_OK);
    cr_assert_eq(pwt_server_add_user(fx.b, "frank", "frank-pw"), PW_OK);
    cr_assert_eq(pwt_server_add_user(fx.b, "erin", "erin-pw"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.b, "bob", "+447700900001@watcher.opb.example", "from"),
                 PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.b, "frank", "+447700900001@watcher.opb.example", "none"),
                 PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.b, "erin", "+447700900001@watcher.opb.example", "from"),
                 PW_OK);
    /* bob's presence server is in his roster (docs/ejabberd.md, "a vanished user"); erin's not */
    cr_assert_eq(pwt_server_set_roster(fx.b, "bob", "ps1.opb.example", "from"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(fx.b, "nobody", "x@opb.example", "from"), PW_ENOTFOUND);
    start(fx.a);
    start(fx.b);

    fx.work = pwt_tmpdir("ejtest");
    cr_assert_not_null(fx.work);
    snprintf(state, sizeof state, "%s/state", fx.work);
    snprintf(cdr, sizeof cdr, "%s/cdr", fx.work);
    cr_assert_eq(pwt_mkdir(state), 0);
    cr_assert_eq(pwt_mkdir(cdr), 0);
    snprintf(port, sizeof port, "%d", pwt_server_component_port(fx.b));
    {
        const char *const vars[] = {
            "JID", "ps1.opb.example", "SECRET", pwt_server_secret(fx.b), "SERVER", OPB_IP,
            "PORT", port, "LOGLEVEL", "debug", "GATEWAY", "gateway.opb.example",
            "WATCHER", "watcher.opb.example", "NETWORK", "opb.example", "STATE_DIR", state,
            "CDR_DIR", cdr, "NODE", "ps1.opb.example", NULL,
        };
        cr_assert_eq(pwt_component_start(&fx.ps, "components/presence_server/peerwatch-presence",
                                         "conf/trial/presence.conf", vars, fx.work, "ps1"), PW_OK);
    }
    online = pwt_component_wait_online(fx.ps, 1, 10000);
    if (online != 0)
        pwt_server_print_log(fx.b, 30);
    cr_assert_eq(online, 0, "the presence server attached to B's ejabberd_service listener");
    fx.pids[0] = pwt_server_pid(fx.a);
    fx.pids[1] = pwt_ejabberd_beam_pid(fx.a);
    fx.pids[2] = pwt_server_pid(fx.b);
    fx.pids[3] = pwt_ejabberd_beam_pid(fx.b);
    fx.pids[4] = pwt_dnsmasq_pid(fx.dns);
}

/* Wait until no process has text in its command line. */
static int nothing_runs_with(const char *text)
{
    uint64_t deadline = pwt_now_ms() + GONE_MS;
    while (pwt_proc_find_cmdline(text, NULL, 0) > 0) {
        if (pwt_now_ms() >= deadline)
            return 0;
        pwt_sleep_ms(20);
    }
    return 1;
}

static void teardown(void)
{
    for (size_t i = 0; i < sizeof fx.clients / sizeof fx.clients[0]; i++)
        pwt_client_destroy(fx.clients[i]);
    pwt_rawcomp_destroy(fx.gateway);
    if (fx.ctx)
        xmpp_ctx_free(fx.ctx);
    pwt_component_destroy(fx.ps);
    pwt_server_destroy(fx.a);
    pwt_server_destroy(fx.b);
    pwt_dnsmasq_destroy(fx.dns);
    if (fx.work && !getenv("PWT_KEEP"))
        pwt_rmtree(fx.work);
    free(fx.work);
    for (size_t i = 0; i < sizeof fx.pids / sizeof fx.pids[0]; i++)
        cr_expect(fx.pids[i] <= 0 || kill(fx.pids[i], 0) != 0, "pid %d is gone", fx.pids[i]);
    cr_expect(!fx.dir_a[0] || nothing_runs_with(fx.dir_a), "nothing runs with %s", fx.dir_a);
    cr_expect(!fx.dir_b[0] || nothing_runs_with(fx.dir_b), "nothing runs with %s", fx.dir_b);
    if (!getenv("PWT_KEEP")) {
        cr_expect(access(fx.dir_a, F_OK) != 0, "%s is removed", fx.dir_a);
        cr_expect(access(fx.dir_b, F_OK) != 0, "%s is removed", fx.dir_b);
    }
}

TestSuite(ejabberd, .init = setup, .fini = teardown, .timeout = 120);

/* Log a user in on the instance; the fixture destroys the client. */
static pwt_client_t *login(const pwt_server_t *s, size_t slot, const char *jid,
                           const char *password)
{
    cr_assert_eq(pwt_client_connect(&fx.clients[slot], jid, password, pwt_server_ip(s),
                                    pwt_server_c2s_port(s), 5000),
                 PW_OK, "%s logged in", jid);
    return fx.clients[slot];
}

/* pwt_match_fn: a <message/> whose <body/> is arg. */
static int match_body(xmpp_stanza_t *stanza, void *arg)
{
    xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(stanza, "body");
    char *text = body ? xmpp_stanza_get_text(body) : NULL;
    int ok = text && strcmp(xmpp_stanza_get_name(stanza), "message") == 0 && strcmp(text, arg) == 0;
    if (text)
        xmpp_free(xmpp_stanza_get_context(stanza), text);
    return ok;
}

Test(ejabberd, two_nodes_side_by_side_federate_over_s2s)
{
    pwt_client_t *alice, *bob;
    xmpp_stanza_t *got;

    cr_assert_str_neq(pwt_ejabberd_node(fx.a), pwt_ejabberd_node(fx.b));
    cr_assert_neq(pwt_ejabberd_dist_port(fx.a), pwt_ejabberd_dist_port(fx.b));
    cr_assert(pwt_server_running(fx.a) && pwt_server_running(fx.b));
    cr_assert_gt(pwt_ejabberd_beam_pid(fx.a), 0);
    cr_assert_neq(pwt_ejabberd_beam_pid(fx.a), pwt_ejabberd_beam_pid(fx.b));

    alice = login(fx.a, 0, "alice@opa.example", "alice-pw");
    bob = login(fx.b, 1, "bob@opb.example", "bob-pw");
    cr_assert_eq(pwt_client_presence(bob, NULL, NULL, 0), PW_OK);
    cr_assert_eq(pwt_client_send_xml(alice, "<message to='bob@opb.example' type='chat'>"
                                            "<body>hello from opa over s2s</body></message>"),
                 PW_OK);
    got = pwt_client_wait(bob, match_body, "hello from opa over s2s", 15000);
    if (!got) {
        pwt_server_print_log(fx.a, 30);
        pwt_server_print_log(fx.b, 30);
    }
    cr_assert_not_null(got, "bob on B received alice's message over s2s");
    cr_assert(strncmp(xmpp_stanza_get_from(got), "alice@opa.example/", 18) == 0, "from %s",
              xmpp_stanza_get_from(got));
    xmpp_stanza_release(got);
}

/* B's gateway as the presence server knows it: a component (docs/protocol.md §7: never a
 * user), here a raw one on B's ejabberd_service listener, which declares gateway.opb.example.
 * The fixture destroys it. */
static pwt_rawcomp_t *gateway_connect(void)
{
    cr_assert_eq(pwt_rawcomp_connect(&fx.gateway, OPB_IP, pwt_server_component_port(fx.b),
                                     "gateway.opb.example", pwt_server_secret(fx.b), 5000), PW_OK,
                 "a raw component as gateway.opb.example");
    fx.ctx = xmpp_ctx_new(NULL, NULL);
    cr_assert_not_null(fx.ctx);
    return fx.gateway;
}

/* The answer to the request 'id' as a stanza's text, once it has arrived. */
typedef struct answer {
    const char *id;
    char *xml;
} answer_t;

static void on_answer(pwt_rawcomp_t *c, const pwt_rawstanza_t *st, void *arg)
{
    answer_t *a = arg;
    (void)c;
    if (!a->xml && strcmp(st->name, "iq") == 0 && st->id && strcmp(st->id, a->id) == 0)
        cr_assert_gt(asprintf(&a->xml, "<iq type='%s' id='%s'>%s</iq>", st->type ? st->type : "",
                              st->id, st->payload), 0);
}

/* gw's enquiry about a user of B, addressed to the user's escaped JID at the presence server
 * (docs/protocol.md §2.3, version 1): the presence server's answer (released by the caller). */
static xmpp_stanza_t *enquire(pwt_rawcomp_t *gw, const char *user, const char *ref)
{
    char to[128], payload[512];
    answer_t a = { ref, NULL };
    uint64_t until = pwt_now_ms() + 8000;
    xmpp_stanza_t *r;

    snprintf(to, sizeof to, "%s\\40opb.example@ps1.opb.example", user);
    snprintf(payload, sizeof payload, "<enquiry xmlns='urn:peerwatch:chain:1' "
             "ref='watcher.opa.example/%s' kind='current' presentity-jid='%s@opb.example' "
             "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' "
             "watcher-network='opa.example'/>", ref, user);
    pwt_rawcomp_on_stanza(gw, on_answer, &a);
    cr_assert_eq(pwt_rawcomp_send(gw, "iq", "set", ref, NULL, to, payload), PW_OK);
    while (!a.xml && pwt_now_ms() < until) {
        struct pollfd pfd = { .fd = pwt_rawcomp_fd(gw), .events = POLLIN };
        if (poll(&pfd, 1, 100) > 0)
            cr_assert_eq(pwt_rawcomp_read(gw), PW_OK, "the gateway's stream stays open");
    }
    pwt_rawcomp_on_stanza(gw, NULL, NULL);
    cr_assert_not_null(a.xml, "the presence server answered the enquiry about %s", user);
    r = xmpp_stanza_new_from_string(fx.ctx, a.xml);
    free(a.xml);
    cr_assert_not_null(r);
    return r;
}

Test(ejabberd, presence_server_gets_privilege_1_and_reads_rosters)
{
    pwt_client_t *bob;
    pwt_rawcomp_t *gw;
    xmpp_stanza_t *r, *enquiry, *state;
    char text[256];

    cr_assert_eq(pwt_component_wait_log(fx.ps, "opb.example granted privileges "
                                               "(urn:xmpp:privilege:1): roster get yes, roster set no, presence yes",
                                        1, 5000),
                 0, "ejabberd advertised roster get and presence managed_entity");
    bob = login(fx.b, 0, "bob@opb.example", "bob-pw");
    cr_assert_eq(pwt_client_presence(bob, "away", "In a meeting", 0), PW_OK);
    cr_assert_eq(pwt_component_wait_log(fx.ps, "bob@opb.example changed state", 1, 5000), 0,
                 "ejabberd forwarded bob's presence (managed_entity)");
    gw = gateway_connect();

    /* bob's roster has +447700900001@watcher.opb.example with subscription from: allowed */
    r = enquire(gw, "bob", "ej-allowed-1");
    if (strcmp(xmpp_stanza_get_type(r), "result") != 0)
        pwt_component_print_log(fx.ps, 30);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    enquiry = xmpp_stanza_get_child_by_ns(r, "urn:peerwatch:chain:1");
    cr_assert_not_null(enquiry);
    state = xmpp_stanza_get_child_by_ns(enquiry, "urn:peerwatch:0");
    cr_assert_not_null(state, "the result carries bob's state");
    cr_assert_str_eq(xmpp_stanza_get_attribute(state, "available"), "true");
    cr_assert_str_eq(xmpp_stanza_get_attribute(state, "show"), "away");
    xmpp_stanza_release(r);

    /* frank's roster has the item with subscription none: declined */
    r = enquire(gw, "frank", "ej-declined-1");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "error");
    cr_assert_eq(pw_stanza_error_parse(r, text, sizeof text), PW_ERR_FORBIDDEN, "%s", text);
    xmpp_stanza_release(r);
}

/* The state in the presence server's answer to gw about a user: "true" or "false". */
static const char *available_in_answer(pwt_rawcomp_t *gw, const char *user, const char *ref,
                                       char *buf, size_t cap)
{
    xmpp_stanza_t *r = enquire(gw, user, ref), *enquiry, *state;
    const char *available;

    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "the enquiry about %s was answered", user);
    enquiry = xmpp_stanza_get_child_by_ns(r, "urn:peerwatch:chain:1");
    state = enquiry ? xmpp_stanza_get_child_by_ns(enquiry, "urn:peerwatch:0") : NULL;
    cr_assert_not_null(state, "the answer about %s carries a state", user);
    available = xmpp_stanza_get_attribute(state, "available");
    snprintf(buf, cap, "%s", available ? available : "");
    xmpp_stanza_release(r);
    return buf;
}

/* ejabberd forwards to a managed entity (XEP-0356) only the presences a client sends. bob has
 * his presence server in his roster with subscription from, erin has not; both close their
 * streams without sending unavailable. ejabberd broadcasts bob's unavailable to his "from"
 * contacts, the presence server among them; erin's leaving never reaches it (the ejabberd
 * behaviour that docs/ejabberd.md asks operators to provision around). */
Test(ejabberd, only_a_user_with_his_presence_server_in_his_roster_is_seen_leaving)
{
    pwt_client_t *bob, *erin;
    pwt_rawcomp_t *gw;
    char buf[16];

    bob = login(fx.b, 0, "bob@opb.example", "bob-pw");
    erin = login(fx.b, 2, "erin@opb.example", "erin-pw");
    cr_assert_eq(pwt_client_presence(bob, NULL, "here", 0), PW_OK);
    cr_assert_eq(pwt_client_presence(erin, NULL, "here too", 0), PW_OK);
    cr_assert_eq(pwt_component_wait_log(fx.ps, "bob@opb.example changed state", 1, 5000), 0);
    cr_assert_eq(pwt_component_wait_log(fx.ps, "erin@opb.example changed state", 1, 5000), 0);
    gw = gateway_connect();
    cr_assert_str_eq(available_in_answer(gw, "bob", "ej-left-1", buf, sizeof buf), "true");
    cr_assert_str_eq(available_in_answer(gw, "erin", "ej-left-2", buf, sizeof buf), "true");

    pwt_client_destroy(erin);
    fx.clients[2] = NULL;
    pwt_client_destroy(bob);
    fx.clients[0] = NULL;
    cr_assert_eq(pwt_component_wait_log(fx.ps, "bob@opb.example changed state", 2, 5000), 0,
                 "bob's unavailable reached his presence server");
    cr_assert_str_eq(available_in_answer(gw, "bob", "ej-left-3", buf, sizeof buf), "false");
    cr_assert_str_eq(available_in_answer(gw, "erin", "ej-left-4", buf, sizeof buf), "true",
                     "ejabberd told the presence server nothing of erin's leaving (if this "
                     "fails, ejabberd changed: update docs/ejabberd.md)");
}

/* A test process killed with SIGKILL: its node must die with it (parent-death signals along
 * test -> ejabberdctl -> beam.smp). */
Test(ejabberd_orphans, a_killed_test_leaves_no_node, .timeout = 60)
{
    int fds[2];
    char dir[PWT_PATH_MAX] = "";
    pid_t child;
    ssize_t n;

    cr_assert_eq(pipe(fds), 0);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        pwt_server_spec_t o = { .domain = "opc.example", .ip = OPA_IP };
        pwt_server_t *s = NULL;
        close(fds[0]);
        if (pwt_ejabberd_create(&s, &o) == PW_OK && pwt_server_start(s) == PW_OK) {
            const char *d = pwt_server_dir(s);
            if (write(fds[1], d, strlen(d)) > 0) {
                for (;;)
                    pause();
            }
        }
        _exit(1);
    }
    close(fds[1]);
    n = read(fds[0], dir, sizeof dir - 1);
    close(fds[0]);
    cr_assert_gt(n, 0, "the child started its node");
    dir[n] = '\0';
    cr_assert_gt(pwt_proc_find_cmdline(dir, NULL, 0), 0, "the node runs");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    cr_expect(nothing_runs_with(dir), "nothing runs with %s after its test was killed", dir);
    {
        int left[16];
        size_t k = pwt_proc_find_cmdline(dir, left, 16);
        for (size_t i = 0; i < k && i < 16; i++)
            kill(left[i], SIGKILL); /* clean up after a failure */
    }
    pwt_rmtree(dir);
}

/* One instance stopped and started again: the spool keeps the accounts; accounts and roster
 * items set while the node runs go through ejabberdctl. */
Test(ejabberd_restart, keeps_accounts_and_takes_new_ones_while_running, .timeout = 90)
{
    pwt_server_spec_t o = { .domain = "opb.example", .ip = OPB_IP };
    pwt_server_t *s = NULL;
    pwt_client_t *c = NULL;
    xmpp_stanza_t *r, *item;
    char dir[PWT_PATH_MAX];

    cr_assert_eq(pwt_ejabberd_create(&s, &o), PW_OK);
    snprintf(dir, sizeof dir, "%s", pwt_server_dir(s));
    cr_assert_eq(pwt_server_add_user(s, "bob", "bob-pw"), PW_OK);
    cr_assert_eq(pwt_server_start(s), PW_OK);
    cr_assert_eq(pwt_server_start(s), PW_EEXIST);
    cr_assert_eq(pwt_server_stop(s), PW_OK, "ejabberd stopped cleanly on SIGTERM");
    cr_assert(!pwt_server_running(s));
    cr_assert_eq(pwt_server_add_user(s, "carol", "carol-pw"), PW_ECLOSED);
    cr_assert_eq(pwt_server_start(s), PW_OK, "started again on the same spool");

    cr_assert_eq(pwt_client_connect(&c, "bob@opb.example", "bob-pw", OPB_IP,
                                    pwt_server_c2s_port(s), 5000), PW_OK, "bob kept his account");
    pwt_client_destroy(c);
    c = NULL;
    cr_assert_eq(pwt_server_add_user(s, "carol", "carol-pw"), PW_OK);
    cr_assert_eq(pwt_server_set_roster(s, "carol", "+447700900001@watcher.opb.example", "both"),
                 PW_OK);
    cr_assert_eq(pwt_client_connect(&c, "carol@opb.example", "carol-pw", OPB_IP,
                                    pwt_server_c2s_port(s), 5000), PW_OK, "carol registered live");
    r = pwt_client_iq(c, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>", 5000);
    cr_assert_not_null(r);
    item = xmpp_stanza_get_child_by_ns(r, "jabber:iq:roster");
    item = item ? xmpp_stanza_get_child_by_name(item, "item") : NULL;
    cr_assert_not_null(item, "carol's roster has the item set while running");
    cr_assert_str_eq(xmpp_stanza_get_attribute(item, "jid"), "+447700900001@watcher.opb.example");
    cr_assert_str_eq(xmpp_stanza_get_attribute(item, "subscription"), "both");
    xmpp_stanza_release(r);
    pwt_client_destroy(c);
    pwt_server_destroy(s);
    cr_expect(nothing_runs_with(dir), "nothing runs with %s", dir);
    cr_expect(access(dir, F_OK) != 0 || getenv("PWT_KEEP"), "%s is removed", dir);
}

/* Whether a line of the file at path starts with prefix (a whole line, or its beginning). */
static int has_line_starting(const char *path, const char *prefix)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s readable", path);
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return found;
}

/* Whether the file copy holds what original holds and only its owner may read it. */
static int private_copy(const char *original, const char *copy)
{
    char a[8192], b[8192];
    struct stat sb;
    FILE *fa = fopen(original, "rb"), *fb = fopen(copy, "rb");
    size_t na = fa ? fread(a, 1, sizeof a, fa) : 0, nb = fb ? fread(b, 1, sizeof b, fb) : 1;

    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return na > 0 && na == nb && memcmp(a, b, na) == 0 && stat(copy, &sb) == 0 &&
           (sb.st_mode & 0777) == 0600;
}

/* With pwt_server_spec_t.tls the node gets copies of the certificate, key and CA that its user
 * can be given (the originals stay as they are), c2s requires STARTTLS, s2s requires TLS with
 * peers verified against the CA, and no dialback is loaded to fall back to (with
 * mod_s2s_dialback, ejabberd 23.01 does not verify the certificate of an outgoing s2s peer).
 * Without TLS the config stays plain text with dialback. No node runs: test_federation_tls
 * proves the behaviour. */
Test(ejabberd_tls, takes_private_copies_of_its_certificates_and_loads_no_dialback, .timeout = 30)
{
    char *work = pwt_tmpdir("ejtls");
    char cert[PWT_PATH_MAX], key[PWT_PATH_MAX], copy[PWT_PATH_MAX], line[3 * PWT_PATH_MAX];
    pwt_ca_t *ca = NULL;
    pwt_server_t *s = NULL, *plain = NULL;
    pwt_server_tls_t tls;
    pwt_server_spec_t o = { .domain = "opc.example", .ip = OPA_IP, .tls = &tls };
    const char *dir, *yml;
    struct stat sb;

    cr_assert_not_null(work);
    cr_assert_eq(pwt_ca_create(&ca, work, "test"), PW_OK);
    cr_assert_eq(pwt_ca_issue_operator(ca, "opc.example", cert, key), PW_OK);
    tls = (pwt_server_tls_t){ .cert = cert, .key = key, .ca = pwt_ca_cert_path(ca) };
    cr_assert_eq(pwt_ejabberd_create(&s, &o), PW_OK);
    dir = pwt_server_dir(s);
    yml = pwt_server_config_path(s);
    snprintf(copy, sizeof copy, "%s/tls/cert.pem", dir);
    cr_assert(private_copy(cert, copy), "%s: a private copy of %s", copy, cert);
    snprintf(copy, sizeof copy, "%s/tls/key.pem", dir);
    cr_assert(private_copy(key, copy), "%s: a private copy of %s", copy, key);
    snprintf(copy, sizeof copy, "%s/tls/ca.pem", dir);
    cr_assert(private_copy(pwt_ca_cert_path(ca), copy), "%s: a private copy of the CA", copy);
    cr_assert(stat(cert, &sb) == 0 && (sb.st_mode & 0777) == 0644, "the original stays 0644");
    snprintf(line, sizeof line, "certfiles: [\"%s/tls/cert.pem\", \"%s/tls/key.pem\"]\n", dir, dir);
    cr_assert(has_line_starting(yml, line), "%s: %s", yml, line);
    snprintf(line, sizeof line, "s2s_cafile: \"%s/tls/ca.pem\"\n", dir);
    cr_assert(has_line_starting(yml, line), "%s: %s", yml, line);
    cr_assert(has_line_starting(yml, "s2s_use_starttls: required\n"), "%s: s2s requires TLS", yml);
    cr_assert(has_line_starting(yml, "    starttls_required: true\n"), "%s: c2s requires STARTTLS", yml);
    cr_assert_not(has_line_starting(yml, "  mod_s2s_dialback:"), "%s: no dialback", yml);

    o.tls = NULL;
    cr_assert_eq(pwt_ejabberd_create(&plain, &o), PW_OK);
    yml = pwt_server_config_path(plain);
    cr_assert(has_line_starting(yml, "certfiles: []\n"), "%s: no certificates", yml);
    cr_assert_not(has_line_starting(yml, "s2s_cafile:"), "%s: no CA", yml);
    cr_assert(has_line_starting(yml, "s2s_use_starttls: false\n"), "%s: plain s2s", yml);
    cr_assert(has_line_starting(yml, "    starttls_required: false\n"), "%s: plain c2s", yml);
    cr_assert(has_line_starting(yml, "  mod_s2s_dialback: {}\n"), "%s: dialback", yml);

    pwt_server_destroy(plain);
    pwt_server_destroy(s);
    pwt_ca_destroy(ca);
    pwt_rmtree(work);
    free(work);
}
