/* bench_chain.c: current-state enquiries per second and p50/p99 latency through the whole chain on
 * the two-operator trial, against the raw routing rate of the same servers for the same hops
 * (echo relays carrying a payload of the enquiry's size, measured in the same run).
 *
 * Usage: bench_chain [--servers A,B] [--netns] [--wan D,J,L] [ENQUIRIES [WINDOW]]
 *        (defaults: PWT_SERVERS or prosody,prosody; 2000 and 16). A and B are operator A's and
 *        B's server kind.
 *   --netns      the trial on separate networks (pw-trial --netns; TLS, Prosody only): each
 *                operator's server, components and echo relays in its own network namespace,
 *                the client connecting to c2s from here
 *   --wan D,J,L  as --netns, with a WAN on operator B's link: D ms delay ± J ms jitter, L %
 *                loss each way (e.g. 40,10,1)
 *   --help       this text
 * On separate networks the bench also times the TCP round trip between A's and B's namespaces
 * directly (pwt_network_rtt(), the floor under anything crossing from A to B) and prints the
 * ratio chain p50 / that round trip's p50: how many A<->B round trips an enquiry costs.
 *
 * The baseline replays the chain's stanza path with trivial relays built on the same component
 * runtime: client → relay-WA (asks relay-HSS of A, then relay-WPP) → relay-WPP → s2s →
 * relay-GW of B (asks relay-HSS of B, then relay-PS) → relay-PS (pings its server, like the
 * roster read) → back along the same way. The ratio chain/baseline tells how much the roles'
 * own work costs over plain routing. Each operator's relays run in a child process of their
 * own, started inside that operator's namespace (with --netns), attached to its server's
 * component port (pwt_server_component_ip()). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xmpp/pw_component.h"
#include "core/pw_loop.h"
#include "xmpp/pw_transport.h"
#include "pwt_client.h"
#include "pwt_trial.h"
#include "pwt_util.h"

#define NS_ECHO "urn:peerwatch:bench:0"

/* ---- the echo relays (run in a child process on their own loop) ---- */

typedef struct relay {
    pw_component_t *c;
    const char *steps[2]; /* whom to ask, in order, before answering (NULL: nobody) */
} relay_t;

typedef struct relay_call {
    relay_t *r;
    xmpp_stanza_t *req;
    int step;
} relay_call_t;

/* A copy of the request's payload (the echo element with its data), for the next hop and the answer. */
static xmpp_stanza_t *payload_copy(xmpp_stanza_t *req)
{
    xmpp_stanza_t *p = pw_stanza_payload(req);
    return p ? xmpp_stanza_copy(p) : NULL;
}

static void relay_next(relay_call_t *call);

static void relay_step_done(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *resp, void *arg)
{
    relay_call_t *call = arg;
    (void)c;
    (void)resp;
    if (outcome == PW_IQ_CANCELLED)
        return;
    call->step++;
    relay_next(call);
}

static void relay_next(relay_call_t *call)
{
    relay_t *r = call->r;
    const char *to = call->step < 2 ? r->steps[call->step] : NULL;
    if (to) {
        xmpp_stanza_t *iq = xmpp_iq_new(pw_component_ctx(r->c), "get", NULL);
        xmpp_stanza_set_to(iq, to);
        /* a ping for a server (as the PS's roster read), an echo for another relay */
        if (strncmp(to, "bench", 5) == 0) {
            xmpp_stanza_t *copy = payload_copy(call->req);
            if (copy) {
                xmpp_stanza_add_child(iq, copy);
                xmpp_stanza_release(copy);
            }
        } else {
            pw_stanza_add_child(iq, "ping", "urn:xmpp:ping");
        }
        if (pw_component_send_iq(r->c, iq, 10000, relay_step_done, call) == PW_OK) {
            xmpp_stanza_release(iq);
            return;
        }
        xmpp_stanza_release(iq);
    }
    {
        xmpp_stanza_t *copy = payload_copy(call->req);
        pw_component_reply_payload(r->c, call->req, copy);
        if (copy)
            xmpp_stanza_release(copy);
    }
    xmpp_stanza_release(call->req);
    free(call);
}

static void on_echo(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    relay_call_t *call = calloc(1, sizeof *call);
    (void)c;
    (void)payload;
    if (!call)
        return;
    call->r = arg;
    call->req = xmpp_stanza_clone(iq);
    relay_next(call);
}

static volatile sig_atomic_t relays_stop;
static void on_term(int s) { (void)s; relays_stop = 1; }

/* The child process of operator op's echo relays: attach them, say on ready_fd whether all came
 * online, relay until SIGTERM. Never returns. */
static void run_relays(pwt_trial_t *t, int op, int ready_fd)
{
    static const struct { int op; const char *jid; const char *s1, *s2; } spec[] = {
        { PWT_OPA, "bench1.opa.example", "bench2.opa.example", "bench3.opa.example" }, /* WA */
        { PWT_OPA, "bench2.opa.example", NULL, NULL },                                  /* HSS A */
        { PWT_OPA, "bench3.opa.example", "bench1.opb.example", NULL },                  /* WPP */
        { PWT_OPB, "bench1.opb.example", "bench2.opb.example", "bench3.opb.example" }, /* GW */
        { PWT_OPB, "bench2.opb.example", NULL, NULL },                                  /* HSS B */
        { PWT_OPB, "bench3.opb.example", "opb.example", NULL },                         /* PS */
    };
    relay_t relays[3];
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    char ok = 1;
    int online = 0, nr = 0;

    signal(SIGTERM, on_term);
    pw_loop_create(&loop);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        if (spec[i].op != op)
            continue;
        pwt_server_t *s = pwt_trial_server(t, spec[i].op);
        relay_t *r = &relays[nr];
        pw_transport_t *tr;
        pw_transport_opts_t to = { .jid = spec[i].jid, .secret = pwt_server_secret(s),
                                   .server = pwt_server_component_ip(s),
                                   .port = (unsigned short)pwt_server_component_port(s) };
        pw_component_opts_t co = { .jid = spec[i].jid, .name = "bench-relay" };
        r->steps[0] = spec[i].s1;
        r->steps[1] = spec[i].s2;
        pw_transport_strophe_create(&tr, loop, ctx, &to);
        pw_component_create(&r->c, loop, ctx, &co, tr);
        pw_component_on_iq(r->c, NS_ECHO, "echo", PW_IQ_GET, on_echo, r);
        pw_component_start(r->c);
        nr++;
    }
    for (uint64_t until = pw_loop_now(loop) + 10000; online < nr && pw_loop_now(loop) < until;) {
        pw_loop_run_once(loop, 50);
        online = 0;
        for (int i = 0; i < nr; i++)
            online += pw_component_online(relays[i].c);
    }
    ok = online == nr;
    if (write(ready_fd, &ok, 1) != 1)
        ok = 0;
    close(ready_fd);
    while (ok && !relays_stop)
        pw_loop_run_once(loop, 200);
    for (int i = 0; i < nr; i++)
        pw_component_destroy(relays[i].c);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    pw_loop_destroy(loop);
    _exit(ok ? 0 : 1);
}

/* ---- the load: one client, WINDOW requests outstanding ---- */

typedef struct run_stats {
    double seconds, rate, p50_ms, p99_ms;
    unsigned ok, failed;
} run_stats_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int match_iq_answer(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "iq") == 0 && type &&
           (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

/* The request number i on one of the two paths. */
static void request_xml(char *buf, size_t cap, int chain, unsigned i)
{
    if (chain)
        snprintf(buf, cap, "<iq type='set' id='b%u' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' "
                           "address='+12025550123' kind='current'/></iq>", i);
    else /* about as many bytes per hop as the chain's stanzas (enquiry, signature, state), so the servers parse as much */
        snprintf(buf, cap, "<iq type='get' id='b%u' to='bench1.opa.example'><echo xmlns='" NS_ECHO "' "
                           "ref='watcher.opa.example/00000000-0000-0000-0000-000000000000' "
                           "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' "
                           "watcher-network='opa.example' presentity='+12025550123'>"
                           "<data>%0120u</data></echo></iq>", i, 0u);
}

static run_stats_t load(pwt_client_t *c, int chain, unsigned n, unsigned window)
{
    run_stats_t st = { 0 };
    double *sent_at = calloc(n, sizeof *sent_at), *lat = calloc(n, sizeof *lat);
    unsigned next = 0, done = 0, nlat = 0;
    double start = now_s();
    char xml[1024];

    while (done < n) {
        while (next < n && next - done < window) {
            request_xml(xml, sizeof xml, chain, next);
            sent_at[next] = now_s();
            pwt_client_send_xml(c, xml);
            next++;
        }
        xmpp_stanza_t *r = pwt_client_wait(c, match_iq_answer, NULL, 30000);
        if (!r) {
            fprintf(stderr, "bench_chain: no answer within 30 s (%u of %u done)\n", done, n);
            st.failed += n - done;
            break;
        }
        {
            const char *id = xmpp_stanza_get_id(r);
            unsigned i = id && id[0] == 'b' ? (unsigned)strtoul(id + 1, NULL, 10) : n;
            if (i >= next || sent_at[i] == 0) { /* not an answer to a request of this run */
                fprintf(stderr, "bench_chain: ignored an answer with id '%s'\n", id ? id : "");
                xmpp_stanza_release(r);
                continue;
            }
            lat[nlat++] = (now_s() - sent_at[i]) * 1000.0;
            sent_at[i] = 0;
            if (strcmp(xmpp_stanza_get_type(r), "result") == 0)
                st.ok++;
            else
                st.failed++;
        }
        xmpp_stanza_release(r);
        done++;
    }
    st.seconds = now_s() - start;
    st.rate = st.ok / st.seconds;
    pwt_percentiles(lat, nlat, &st.p50_ms, &st.p99_ms);
    free(sent_at);
    free(lat);
    return st;
}

/* ---- the relays' processes, one per operator, each in that operator's namespace ---- */

/* Start operator op's echo relays in a child process forked inside op's network namespace (with
 * netns; else here) and wait until they are online. *pid receives the child (or -1).
 * @return 1 when all came online */
static int start_relays(pwt_trial_t *t, int op, pid_t *pid)
{
    const pwt_netns_t *ns = pwt_network_ns(pwt_trial_network(t), op == PWT_OPA ? PWT_NET_OPA : PWT_NET_OPB);
    int ready[2], saved;
    char ok = 0;

    *pid = -1;
    if (pipe(ready) != 0)
        return 0;
    if ((saved = pwt_netns_enter(ns)) < 0) {
        close(ready[0]);
        close(ready[1]);
        return 0;
    }
    *pid = fork();
    if (*pid == 0) {
        close(ready[0]);
        run_relays(t, op, ready[1]);
    }
    pwt_netns_leave(saved);
    close(ready[1]);
    if (*pid < 0 || read(ready[0], &ok, 1) != 1)
        ok = 0;
    close(ready[0]);
    if (!ok)
        fprintf(stderr, "bench_chain: operator %c's echo relays did not come online\n",
                op == PWT_OPA ? 'A' : 'B');
    return ok;
}

static void stop_relays(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* ---- the command line ---- */

typedef struct bench_opts {
    char kinds[2][PWT_TRIAL_KIND_MAX];
    int servers_given, netns;
    pwt_wan_t wan;
    int wan_given;
    unsigned n, window;
} bench_opts_t;

static const char usage[] =
    "usage: bench_chain [--servers A,B] [--netns] [--wan D,J,L] [ENQUIRIES [WINDOW]]\n"
    "  --servers A,B  operator A's and B's server kind (default: PWT_SERVERS or prosody,prosody)\n"
    "  --netns        each operator on its own network namespace (TLS; Prosody only); also times\n"
    "                 the TCP round trip between A's and B's networks, the floor under the chain\n"
    "  --wan D,J,L    as --netns, B's link a WAN: D ms delay, J ms jitter, L % loss each way\n"
    "  ENQUIRIES      requests per path (default 2000); WINDOW: outstanding at once (default 16)\n";

/* Read the command line into o: 1; -1 for --help, 0 when it is not one (usage printed). */
static int parse_args(int argc, char **argv, bench_opts_t *o)
{
    int i = 1, pos = 0;
    o->n = 2000;
    o->window = 16;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--servers") == 0 && i + 1 < argc && pwt_trial_split_servers(argv[i + 1], o->kinds))
            o->servers_given = 1, i++;
        else if (strcmp(argv[i], "--netns") == 0)
            o->netns = 1;
        else if (strcmp(argv[i], "--wan") == 0 && i + 1 < argc && pwt_wan_parse(argv[i + 1], &o->wan))
            o->netns = o->wan_given = 1, i++;
        else if (argv[i][0] != '-' && pos < 2) {
            int v = atoi(argv[i]);
            if (v <= 0)
                break;
            *(pos++ == 0 ? &o->n : &o->window) = (unsigned)v;
        } else
            break;
    }
    if (i < argc) {
        int help = strcmp(argv[i], "--help") == 0;
        fputs(usage, help ? stdout : stderr);
        return help ? -1 : 0;
    }
    return 1;
}

/* One row of the table. */
static void print_row(const char *path, double rate, double p50, double p99, unsigned failed)
{
    printf("  %-44s %10.0f %10.2f %10.2f %8u\n", path, rate, p50, p99, failed);
}

int main(int argc, char **argv)
{
    bench_opts_t bo = { 0 };
    pwt_trial_t *t = NULL;
    pwt_trial_opts_t o = { .log_level = "info", .bench = 1 }; /* the harness waits for the "is online" info line */
    pwt_client_t *alice = NULL, *bob = NULL;
    run_stats_t base, chain;
    pwt_rtt_t rtt = { 0 };
    int status = 1;
    pid_t relays[2] = { -1, -1 };

    int parsed = parse_args(argc, argv, &bo);

    if (parsed <= 0)
        return parsed < 0 ? 0 : 2;
    if (bo.servers_given) {
        o.servers[PWT_OPA] = bo.kinds[PWT_OPA];
        o.servers[PWT_OPB] = bo.kinds[PWT_OPB];
    }
    o.netns = bo.netns;
    o.wan = bo.wan_given ? &bo.wan : NULL;
    printf("bench_chain: starting the two-operator trial%s...\n", bo.netns ? " on separate networks" : "");
    fflush(stdout);
    if (pwt_trial_start(&t, &o) != PW_OK)
        return 1;
    if (!start_relays(t, PWT_OPA, &relays[PWT_OPA]) || !start_relays(t, PWT_OPB, &relays[PWT_OPB]))
        goto done;
    if (pwt_trial_login(t, "bob", &bob) != PW_OK || pwt_trial_login(t, "alice", &alice) != PW_OK)
        goto done;
    pwt_client_presence(bob, "away", "benchmarking", 1);
    pwt_client_run(bob, 300);

    /* warm up both paths (s2s connections, DNS caches) */
    load(alice, 0, 20, 4);
    load(alice, 1, 20, 4);

    base = load(alice, 0, bo.n, bo.window);
    chain = load(alice, 1, bo.n, bo.window);
    if (bo.netns &&
        pwt_network_rtt(pwt_trial_network(t), PWT_NET_OPA, PWT_NET_OPB, 100, &rtt) != PW_OK)
        goto done;

    printf("\nbench_chain: %u requests, %u outstanding, one client, A on %s%s and B on %s%s, one machine",
           bo.n, bo.window, pwt_server_kind(pwt_trial_server(t, PWT_OPA)),
           pwt_trial_member(t, PWT_OPA) ? " (a two-node cluster)" : "",
           pwt_server_kind(pwt_trial_server(t, PWT_OPB)),
           pwt_trial_member(t, PWT_OPB) ? " (a two-node cluster)" : "");
    if (bo.wan_given)
        printf(", separate networks, WAN on B's link %u ms ± %u ms, %g %% loss each way", bo.wan.delay_ms,
               bo.wan.jitter_ms, bo.wan.loss_percent);
    else if (bo.netns)
        printf(", separate networks (veth links)");
    printf("\n  %-44s %10s %10s %10s %8s\n", "path", "req/s", "p50 ms", "p99 ms", "failed");
    print_row("baseline: echo relays, same hops (raw routing)", base.rate, base.p50_ms, base.p99_ms, base.failed);
    print_row("chain: current enquiry alice -> bob", chain.rate, chain.p50_ms, chain.p99_ms, chain.failed);
    if (bo.netns) {
        char what[64];
        snprintf(what, sizeof what, "link: TCP round trip A <-> B (%u echoes)", rtt.count);
        /* three decimals: a veth round trip is some µs */
        printf("  %-44s %10s %10.3f %10.3f %8s\n", what, "-", rtt.p50_ms, rtt.p99_ms, "-");
    }
    printf("  ratio chain/baseline throughput: %.2f\n", base.rate > 0 ? chain.rate / base.rate : 0.0);
    if (bo.netns)
        printf("  ratio chain p50 / link round trip p50: %.2f (baseline: %.2f)\n",
               rtt.p50_ms > 0 ? chain.p50_ms / rtt.p50_ms : 0.0, rtt.p50_ms > 0 ? base.p50_ms / rtt.p50_ms : 0.0);
    status = chain.failed || base.failed ? 1 : 0;
done:
    stop_relays(relays[PWT_OPA]);
    stop_relays(relays[PWT_OPB]);
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
    pwt_trial_destroy(t);
    return status;
}
