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
 * Three rows, measured one after the other in the same run, on the same trial:
 *   raw relays      the chain's stanza path replayed by trivial echo relays written without
 *                   libstrophe and without our runtime (tests/support/pwt_rawcomp.h: expat, a
 *                   plain socket, poll(2), one write() per stanza): the servers' routing floor
 *   runtime relays  the same relays on the same component domains, built on our component
 *                   runtime (pw_component, libstrophe)
 *   chain           the current enquiry through the real roles
 * Each path is then run again at half the rate it has just sustained, offered open loop
 * (request i sent at i / rate; ENQUIRIES / 2 of them): the p99 with headroom, the chain's beside
 * the relays' (what the servers' own tails are at that load). Only the chain's cost is printed
 * for it.
 * The relays' path: client → relay-WA (asks relay-HSS of A, then relay-WPP) → relay-WPP → s2s →
 * relay-GW of B (asks relay-HSS of B, then relay-PS) → relay-PS (pings its server, like the
 * roster read) → back along the same way. The ratios runtime/raw and chain/raw tell what our
 * runtime and the roles' own work cost over plain routing, chain/runtime what the roles cost over
 * the runtime. Each operator's relays run in a child process of their own, started inside that
 * operator's namespace (with --netns), attached to its server's component port
 * (pwt_server_component_ip()); the raw relays are stopped before the runtime relays take the same
 * domains.
 *
 * For each phase the bench also prints what it cost each process: CPU seconds (utime+stime of
 * /proc/PID/stat; the bench itself by getrusage()) and % of one core over the phase, for each
 * server (ejabberd: its beam.smp), the relays' processes or the roles' components, and the bench;
 * the bytes each server read and wrote per enquiry (rchar/wchar of /proc/PID/io: sockets and
 * files, its log included); the stanzas each server took in and gave out per enquiry, counted
 * by the relays and the client in the relay phases (a stanza one relay sends to the other
 * operator counts at both servers; the servers' own ping answers count as given out only), not
 * counted in the chain phase (the roles' stanza counters are not reachable from here). */
#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "address/pw_jid.h"
#include "xmpp/pw_component.h"
#include "core/pw_loop.h"
#include "xmpp/pw_transport.h"
#include "pwt_client.h"
#include "pwt_ejabberd.h"
#include "pwt_rawcomp.h"
#include "pwt_trial.h"
#include "pwt_util.h"

#define NS_ECHO "urn:peerwatch:bench:0"
#define PING_XML "<ping xmlns='urn:xmpp:ping'/>"

/* ---- the relays' topology and what they count (both kinds of relays) ---- */

static const struct relay_spec {
    int op;
    const char *jid;
    const char *s1, *s2; /* whom to ask, in order, before answering (NULL: nobody) */
} spec[] = {
    { PWT_OPA, "bench1.opa.example", "bench2.opa.example", "bench3.opa.example" }, /* WA */
    { PWT_OPA, "bench2.opa.example", NULL, NULL },                                  /* HSS A */
    { PWT_OPA, "bench3.opa.example", "bench1.opb.example", NULL },                  /* WPP */
    { PWT_OPB, "bench1.opb.example", "bench2.opb.example", "bench3.opb.example" }, /* GW */
    { PWT_OPB, "bench2.opb.example", NULL, NULL },                                  /* HSS B */
    { PWT_OPB, "bench3.opb.example", "opb.example", NULL },                         /* PS */
};
#define RELAYS_PER_OP 3

static const char *const op_domain[2] = { "opa.example", "opb.example" };

/* The stanzas one operator's relays sent and received (sent_remote: of those sent, the ones to
 * the other operator, over s2s). In memory shared with the relays' processes: each process
 * writes its operator's, the bench reads both between phases. */
typedef struct relay_counts {
    unsigned long sent, sent_remote, received;
} relay_counts_t;

static volatile relay_counts_t *counts;

/* Whether jid's domain is dom or a subdomain of it. */
static int jid_in(const char *jid, const char *dom)
{
    char d[256];
    size_t n, m = strlen(dom);
    if (pw_jid_domain(jid, d, sizeof d) != PW_OK)
        return 0;
    n = strlen(d);
    return n >= m && strcmp(d + n - m, dom) == 0 && (n == m || d[n - m - 1] == '.');
}

static void count_sent(int op, const char *to)
{
    counts[op].sent++;
    if (to && jid_in(to, op_domain[1 - op]))
        counts[op].sent_remote++;
}

static volatile sig_atomic_t relays_stop;
static void on_term(int s) { (void)s; relays_stop = 1; }

/* ---- the runtime relays (our component runtime; run in a child process on their own loop) ---- */

typedef struct relay {
    pw_component_t *c;
    int op;
    const char *steps[2];
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
    counts[call->r->op].received++;
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
            count_sent(r->op, to);
            xmpp_stanza_release(iq);
            return;
        }
        xmpp_stanza_release(iq);
    }
    {
        xmpp_stanza_t *copy = payload_copy(call->req);
        pw_component_reply_payload(r->c, call->req, copy);
        count_sent(r->op, xmpp_stanza_get_from(call->req));
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
    counts[call->r->op].received++;
    call->req = xmpp_stanza_clone(iq);
    relay_next(call);
}

/* The child process of operator op's runtime relays: attach them, say on ready_fd whether all
 * came online, relay until SIGTERM. Never returns. */
static void run_relays(pwt_trial_t *t, int op, int ready_fd)
{
    relay_t relays[RELAYS_PER_OP];
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
        r->op = op;
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

/* ---- the raw relays (pwt_rawcomp: expat, a socket, poll(2); run in a child process) ---- */

/* A request being relayed: where it came from, and the step whose answer it waits for. */
typedef struct raw_call {
    struct raw_call *next;
    unsigned seq; /* the id of the step's request in flight: "r<seq>" */
    int step;
    char *id, *from, *to, *payload;
} raw_call_t;

typedef struct raw_relay {
    pwt_rawcomp_t *c;
    int op;
    const char *steps[2];
    raw_call_t *pending; /* waiting for a step's answer (as many as requests in flight) */
    unsigned seq;
    int failed;
} raw_relay_t;

static void raw_call_free(raw_call_t *call)
{
    if (!call)
        return;
    free(call->id);
    free(call->from);
    free(call->to);
    free(call->payload);
    free(call);
}

/* Ask the next step's relay or server, or answer the request once all were asked. */
static void raw_next(raw_relay_t *r, raw_call_t *call)
{
    const char *to = call->step < 2 ? r->steps[call->step] : NULL;
    char id[24];

    if (to) {
        snprintf(id, sizeof id, "r%u", call->seq = ++r->seq);
        if (pwt_rawcomp_send(r->c, "iq", "get", id, NULL, to,
                             strncmp(to, "bench", 5) == 0 ? call->payload : PING_XML) != PW_OK)
            r->failed = 1;
        count_sent(r->op, to);
        call->next = r->pending;
        r->pending = call;
        return;
    }
    if (pwt_rawcomp_send(r->c, "iq", "result", call->id, call->to, call->from, call->payload) != PW_OK)
        r->failed = 1;
    count_sent(r->op, call->from);
    raw_call_free(call);
}

static void on_raw_stanza(pwt_rawcomp_t *c, const pwt_rawstanza_t *s, void *arg)
{
    raw_relay_t *r = arg;
    (void)c;
    if (strcmp(s->name, "iq") != 0 || !s->type)
        return;
    counts[r->op].received++;
    if (strcmp(s->type, "get") == 0 || strcmp(s->type, "set") == 0) {
        raw_call_t *call = calloc(1, sizeof *call);
        if (!call || !(call->id = strdup(s->id ? s->id : "")) || !(call->from = strdup(s->from ? s->from : "")) ||
            !(call->to = strdup(s->to ? s->to : pwt_rawcomp_domain(r->c))) || !(call->payload = strdup(s->payload))) {
            raw_call_free(call);
            r->failed = 1;
            return;
        }
        raw_next(r, call);
    } else if (s->id && s->id[0] == 'r') {
        unsigned seq = (unsigned)strtoul(s->id + 1, NULL, 10);
        for (raw_call_t **p = &r->pending; *p; p = &(*p)->next)
            if ((*p)->seq == seq) {
                raw_call_t *call = *p;
                *p = call->next;
                call->step++;
                raw_next(r, call);
                return;
            }
    }
}

/* The child process of operator op's raw relays: as run_relays(), on a poll(2) loop of its own.
 * Never returns. */
static void run_raw_relays(pwt_trial_t *t, int op, int ready_fd)
{
    raw_relay_t relays[RELAYS_PER_OP] = { 0 };
    struct pollfd pfd[RELAYS_PER_OP];
    char ok = 1;
    int nr = 0;

    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof spec / sizeof spec[0] && ok; i++) {
        if (spec[i].op != op)
            continue;
        pwt_server_t *s = pwt_trial_server(t, op);
        raw_relay_t *r = &relays[nr];
        r->op = op;
        r->steps[0] = spec[i].s1;
        r->steps[1] = spec[i].s2;
        /* the server may still hold the domain for the runtime relays of a run before: retry */
        for (uint64_t until = pwt_now_ms() + 10000;;) {
            if (pwt_rawcomp_connect(&r->c, pwt_server_component_ip(s), pwt_server_component_port(s),
                                    spec[i].jid, pwt_server_secret(s), 5000) == PW_OK)
                break;
            if (pwt_now_ms() >= until) {
                ok = 0;
                break;
            }
            pwt_sleep_ms(200);
        }
        if (!ok)
            break;
        pwt_rawcomp_on_stanza(r->c, on_raw_stanza, r);
        pfd[nr] = (struct pollfd){ .fd = pwt_rawcomp_fd(r->c), .events = POLLIN };
        nr++;
    }
    if (write(ready_fd, &ok, 1) != 1)
        ok = 0;
    close(ready_fd);
    while (ok && !relays_stop) {
        if (poll(pfd, (nfds_t)nr, 200) < 0)
            continue; /* EINTR: SIGTERM */
        for (int i = 0; i < nr; i++)
            if (pfd[i].revents && (pwt_rawcomp_read(relays[i].c) != PW_OK || relays[i].failed)) {
                fprintf(stderr, "bench_chain: raw relay %s lost its stream\n", pwt_rawcomp_domain(relays[i].c));
                ok = 0;
            }
    }
    for (int i = 0; i < RELAYS_PER_OP; i++) {
        while (relays[i].pending) {
            raw_call_t *call = relays[i].pending;
            relays[i].pending = call->next;
            raw_call_free(call);
        }
        pwt_rawcomp_destroy(relays[i].c);
    }
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
    else /* meant as about as many bytes per hop as the chain's stanzas (enquiry, signature, state); the cost table's
          * tcp columns show the relays' enquiry moving about a third more bytes through A than the chain's */
        snprintf(buf, cap, "<iq type='get' id='b%u' to='bench1.opa.example'><echo xmlns='" NS_ECHO "' "
                           "ref='watcher.opa.example/00000000-0000-0000-0000-000000000000' "
                           "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' "
                           "watcher-network='opa.example' presentity='+12025550123'>"
                           "<data>%0120u</data></echo></iq>", i, 0u);
}

/* Whether request i may leave now: the window has room and, at a given rate (open loop), its
 * time start + i / rate has come. */
static int may_send(unsigned i, unsigned done, unsigned window, double rate, double start, double now)
{
    return i - done < window && (rate <= 0 || now >= start + i / rate);
}

/*
 * n requests on one path (chain: the enquiry, else the relays' echo), at most window
 * outstanding; with rate > 0 open loop as well: request i leaves at start + i / rate, not
 * before (the window then only caps a backlog). A latency runs from the request's send.
 */
static run_stats_t load(pwt_client_t *c, int chain, unsigned n, unsigned window, double rate)
{
    run_stats_t st = { 0 };
    double *sent_at = calloc(n, sizeof *sent_at), *lat = calloc(n, sizeof *lat);
    unsigned next = 0, done = 0, nlat = 0;
    double start = now_s();
    char xml[1024];

    while (done < n) {
        int wait_ms = 30000;
        while (next < n && may_send(next, done, window, rate, start, now_s())) {
            request_xml(xml, sizeof xml, chain, next);
            sent_at[next] = now_s();
            pwt_client_send_xml(c, xml);
            next++;
        }
        if (rate > 0 && next < n && next - done < window) /* wake up for the next one's time */
            wait_ms = (int)((start + next / rate - now_s()) * 1000.0) + 1;
        xmpp_stanza_t *r = pwt_client_wait(c, match_iq_answer, NULL, wait_ms > 0 ? wait_ms : 1);
        if (!r && wait_ms < 30000)
            continue;
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

/* The body of a relays' process: run_relays() or run_raw_relays(). */
typedef void (*relays_body_t)(pwt_trial_t *t, int op, int ready_fd);

/* Start operator op's relays (body) in a child process forked inside op's network namespace
 * (with netns; else here) and wait until they are online. *pid receives the child (or -1).
 * @return 1 when all came online */
static int start_relays(pwt_trial_t *t, int op, relays_body_t body, pid_t *pid)
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
    fflush(NULL); /* nothing buffered here is written twice by the child */
    *pid = fork();
    if (*pid == 0) {
        close(ready[0]);
        body(t, op, ready[1]);
    }
    pwt_netns_leave(saved);
    close(ready[1]);
    if (*pid < 0 || read(ready[0], &ok, 1) != 1)
        ok = 0;
    close(ready[0]);
    if (!ok)
        fprintf(stderr, "bench_chain: operator %c's %s relays did not come online\n",
                op == PWT_OPA ? 'A' : 'B', body == run_raw_relays ? "raw" : "runtime");
    return ok;
}

static void stop_relays(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}

/* ---- what a phase cost each process ---- */

enum { G_SERVER, G_OTHER, G_DRIVER }; /* the servers; relays or components; the bench */

typedef struct proc_sample {
    double cpu_s;
    unsigned long long rchar, wchar;
    unsigned long long tcp_rx, tcp_tx; /* over the TCP sockets it holds open */
    int ok, io_ok, tcp_ok;
} proc_sample_t;

typedef struct watched {
    char label[64];
    int pid; /* 0: the bench itself */
    int group;
    const pwt_server_t *srv; /* a server: whose namespace its sockets are asked in */
    proc_sample_t before, after;
} watched_t;

#define WATCHED_MAX 24

typedef struct phase {
    const char *title;
    run_stats_t st;
    unsigned n;
    watched_t w[WATCHED_MAX];
    size_t nw;
    relay_counts_t c0[2], c1[2];
    int counted; /* the relays counted their stanzas */
} phase_t;

#define INODES_MAX 4096

/* The inodes of the sockets process pid holds (its /proc/PID/fd). @return how many (≤ max) */
static size_t socket_inodes(int pid, unsigned long *out, size_t max)
{
    char dir[64], path[320], link[64];
    struct dirent *e;
    size_t n = 0;
    DIR *d;

    snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
    if (!(d = opendir(dir)))
        return 0;
    while ((e = readdir(d)) && n < max) {
        ssize_t l;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((l = readlink(path, link, sizeof link - 1)) <= 0)
            continue;
        link[l] = '\0';
        if (sscanf(link, "socket:[%lu]", &out[n]) == 1)
            n++;
    }
    closedir(d);
    return n;
}

/* Bytes received and sent (tcp_info's tcpi_bytes_received, tcpi_bytes_sent) over the TCP
 * sockets process pid holds open, asked of the kernel (sock_diag) in server s's namespace:
 * the socket traffic that rchar/wchar miss when a process uses recv(2)/send(2).
 * @return 1 when the kernel answered */
static int tcp_bytes(const pwt_server_t *s, int pid, unsigned long long *rx, unsigned long long *tx)
{
    static unsigned long inodes[INODES_MAX];
    size_t ni = socket_inodes(pid, inodes, INODES_MAX);
    int fd, saved, ok = 1;
    static char buf[65536];

    *rx = *tx = 0;
    if ((saved = pwt_server_enter_netns(s)) < 0)
        return 0;
    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    pwt_netns_leave(saved);
    if (fd < 0)
        return 0;
    for (int fam = 0; fam < 2 && ok; fam++) {
        struct {
            struct nlmsghdr nlh;
            struct inet_diag_req_v2 r;
        } req = { .nlh = { .nlmsg_len = sizeof req, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                           .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
                  .r = { .sdiag_family = fam ? AF_INET6 : AF_INET, .sdiag_protocol = IPPROTO_TCP,
                         .idiag_ext = 1u << (INET_DIAG_INFO - 1), .idiag_states = ~0u } };
        int done = 0;
        if (send(fd, &req, sizeof req, 0) != (ssize_t)sizeof req) {
            ok = 0;
            break;
        }
        while (!done) {
            ssize_t len = recv(fd, buf, sizeof buf, 0);
            if (len <= 0) {
                ok = 0;
                break;
            }
            for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                    ok &= h->nlmsg_type == NLMSG_DONE;
                    done = 1;
                    break;
                }
                struct inet_diag_msg *m = NLMSG_DATA(h);
                size_t i = 0;
                while (i < ni && inodes[i] != m->idiag_inode)
                    i++;
                if (i == ni)
                    continue;
                int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
                for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
                    if (a->rta_type == INET_DIAG_INFO) {
                        struct tcp_info ti;
                        size_t l = RTA_PAYLOAD(a) < sizeof ti ? RTA_PAYLOAD(a) : sizeof ti;
                        memset(&ti, 0, sizeof ti);
                        memcpy(&ti, RTA_DATA(a), l);
                        *rx += ti.tcpi_bytes_received;
                        *tx += ti.tcpi_bytes_sent;
                    }
            }
        }
    }
    close(fd);
    return ok;
}

/* utime+stime of /proc/PID/stat and rchar/wchar of /proc/PID/io (the bench: getrusage()). */
static void sample(const watched_t *w, proc_sample_t *ps)
{
    char path[64], buf[1024];
    FILE *f;

    memset(ps, 0, sizeof *ps);
    if (w->pid == 0) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) {
            ps->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
            ps->ok = 1;
        }
    } else {
        snprintf(path, sizeof path, "/proc/%d/stat", w->pid);
        if ((f = fopen(path, "r"))) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            char *p;
            unsigned long ut, stt;
            buf[n] = '\0';
            /* after the command name in parentheses: state is field 3, utime 14, stime 15 */
            if ((p = strrchr(buf, ')')) &&
                sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) == 2) {
                ps->cpu_s = (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
                ps->ok = 1;
            }
            fclose(f);
        }
    }
    if (w->pid == 0)
        snprintf(path, sizeof path, "/proc/self/io");
    else
        snprintf(path, sizeof path, "/proc/%d/io", w->pid);
    if ((f = fopen(path, "r"))) {
        int got = 0;
        while (fgets(buf, sizeof buf, f))
            got += sscanf(buf, "rchar: %llu", &ps->rchar) == 1 || sscanf(buf, "wchar: %llu", &ps->wchar) == 1;
        ps->io_ok = got == 2;
        fclose(f);
    }
    if (w->srv)
        ps->tcp_ok = tcp_bytes(w->srv, w->pid, &ps->tcp_rx, &ps->tcp_tx);
}

static void watch(phase_t *ph, int group, int pid, const char *label, const pwt_server_t *srv)
{
    watched_t *w;
    if (ph->nw >= WATCHED_MAX || pid < 0)
        return;
    w = &ph->w[ph->nw++];
    w->pid = pid;
    w->group = group;
    w->srv = srv;
    snprintf(w->label, sizeof w->label, "%s", label);
}

/* A server's process: ejabberd's beam.smp (ejabberdctl starts it under su), else the one started. */
static int server_pid(const pwt_server_t *s)
{
    return strcmp(pwt_server_kind(s), "ejabberd") == 0 ? pwt_ejabberd_beam_pid(s) : pwt_server_pid(s);
}

/* Start a phase: whom to watch (relays: the relays' processes; else the roles' components), their
 * samples and the relays' counts before. */
static void phase_begin(phase_t *ph, pwt_trial_t *t, const char *title, const pid_t *relays)
{
    static const char *const roles[] = { "watcher", "proxy", "gateway", "gateway2", "hss", "ps1", "ps2" };
    static const char *const prefix[2] = { "opa", "opb" };

    char label[64];

    memset(ph, 0, sizeof *ph);
    ph->title = title;
    for (int op = 0; op < 2; op++) {
        const char *name = op == PWT_OPA ? "A" : "B";
        pwt_server_t *s = pwt_trial_server(t, op), *m = pwt_trial_member(t, op);
        snprintf(label, sizeof label, "server %s (%s)", name, pwt_server_kind(s));
        watch(ph, G_SERVER, server_pid(s), label, s);
        if (m) {
            snprintf(label, sizeof label, "server %s, 2nd node (%s)", name, pwt_server_kind(m));
            watch(ph, G_SERVER, server_pid(m), label, m);
        }
    }
    for (int op = 0; op < 2; op++)
        for (size_t i = 0; !relays && i < sizeof roles / sizeof roles[0]; i++) {
            char n[32];
            snprintf(n, sizeof n, "%s-%s", prefix[op], roles[i]);
            pwt_component_t *c = pwt_trial_component(t, n);
            snprintf(label, sizeof label, "component %s", n);
            if (c)
                watch(ph, G_OTHER, pwt_component_pid(c), label, NULL);
        }
    for (int op = 0; relays && op < 2; op++) {
        snprintf(label, sizeof label, "relays %s (one process, 3 relays)", op == PWT_OPA ? "A" : "B");
        watch(ph, G_OTHER, relays[op], label, NULL);
    }
    watch(ph, G_DRIVER, 0, "bench (client, driver)", NULL);
    ph->counted = relays != NULL;
    for (int op = 0; op < 2; op++)
        ph->c0[op] = counts[op];
    for (size_t i = 0; i < ph->nw; i++)
        sample(&ph->w[i], &ph->w[i].before);
}

static void phase_end(phase_t *ph, run_stats_t st, unsigned n)
{
    for (size_t i = 0; i < ph->nw; i++)
        sample(&ph->w[i], &ph->w[i].after);
    for (int op = 0; op < 2; op++)
        ph->c1[op] = counts[op];
    ph->st = st;
    ph->n = n;
}

static void phase_print(const phase_t *ph)
{
    double secs = ph->st.seconds > 0 ? ph->st.seconds : 1e-9, srv = 0, other = 0;
    double per = ph->n ? 1.0 / ph->n : 0;

    printf("\n  %s: %u enquiries in %.2f s\n", ph->title, ph->n, ph->st.seconds);
    printf("    %-36s %6s %6s %9s %9s %9s %9s\n", "process", "CPU s", "%core", "rchar/enq", "wchar/enq",
           "tcp in/e", "tcp out/e");
    for (size_t i = 0; i < ph->nw; i++) {
        const watched_t *w = &ph->w[i];
        double cpu = w->after.cpu_s - w->before.cpu_s;
        if (!w->before.ok || !w->after.ok) {
            printf("    %-36s %6s\n", w->label, "gone");
            continue;
        }
        if (w->group == G_SERVER)
            srv += cpu;
        else if (w->group == G_OTHER)
            other += cpu;
        printf("    %-36s %6.2f %6.1f", w->label, cpu, 100.0 * cpu / secs);
        if (w->group == G_SERVER && w->before.io_ok && w->after.io_ok)
            printf(" %9.0f %9.0f", (double)(w->after.rchar - w->before.rchar) * per,
                   (double)(w->after.wchar - w->before.wchar) * per);
        if (w->group == G_SERVER && w->before.tcp_ok && w->after.tcp_ok)
            printf(" %9.0f %9.0f", ((double)w->after.tcp_rx - (double)w->before.tcp_rx) * per,
                   ((double)w->after.tcp_tx - (double)w->before.tcp_tx) * per);
        printf("\n");
    }
    printf("    CPU per enquiry: servers %.2f ms, %s %.2f ms; %s CPU / servers' CPU: %.0f %%\n", srv * per * 1000.0,
           ph->counted ? "relays" : "components", other * per * 1000.0, ph->counted ? "relays'" : "components'",
           srv > 0 ? 100.0 * other / srv : 0.0);
    if (ph->counted) {
        /* what each server took in and gave out: its relays' stanzas, the other operator's sent
         * over s2s, and at A the client's requests and answers */
        for (int op = 0; op < 2; op++) {
            double sent = (double)(ph->c1[op].sent - ph->c0[op].sent);
            double recv = (double)(ph->c1[op].received - ph->c0[op].received);
            double out_s2s = (double)(ph->c1[op].sent_remote - ph->c0[op].sent_remote);
            double in_s2s = (double)(ph->c1[1 - op].sent_remote - ph->c0[1 - op].sent_remote);
            double client_out = op == PWT_OPA ? ph->n : 0;
            double client_in = op == PWT_OPA ? ph->st.ok + ph->st.failed : 0;
            printf("    stanzas per enquiry, server %s: %.2f in, %.2f out (of which s2s %.2f in, %.2f out)\n",
                   op == PWT_OPA ? "A" : "B", (sent + in_s2s + client_out) * per,
                   (recv + out_s2s + client_in) * per, in_s2s * per, out_s2s * per);
        }
    } else {
        printf("    stanzas per enquiry: not counted (the roles' stanza counters are not reachable from the bench)\n");
    }
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

/* One row of the table for a path at half of its rate: what was offered, what came. */
static void print_half_row(const char *path, const phase_t *saturated, const phase_t *half)
{
    char what[64];
    snprintf(what, sizeof what, "%s, %.0f req/s offered", path, saturated->st.rate / 2);
    print_row(what, half->st.rate, half->st.p50_ms, half->st.p99_ms, half->st.failed);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

/* The phase at half of the rate its path has just sustained, offered open loop (request i at
 * i / rate; ENQUIRIES / 2 of them, about as long as the phase before): the latency with
 * headroom. */
static void half_rate_phase(pwt_trial_t *t, pwt_client_t *alice, int chain, const bench_opts_t *bo,
                            const phase_t *saturated, const char *title, phase_t *ph, const pid_t *relays)
{
    phase_begin(ph, t, title, relays);
    phase_end(ph, load(alice, chain, bo->n / 2, 4 * bo->window, saturated->st.rate / 2), bo->n / 2);
}

/* Run one relay phase: start both operators' relays (body), warm up, measure at saturation
 * (ph) and at half that rate (half), stop them. */
static int relay_phase(pwt_trial_t *t, pwt_client_t *alice, relays_body_t body, const bench_opts_t *bo,
                       const char *title, phase_t *ph, phase_t *half, pid_t relays[2])
{
    char half_title[80];
    if (!start_relays(t, PWT_OPA, body, &relays[PWT_OPA]) || !start_relays(t, PWT_OPB, body, &relays[PWT_OPB]))
        return 0;
    load(alice, 0, 20, 4, 0); /* warm up (s2s connections, DNS caches, the relays' first stanzas) */
    phase_begin(ph, t, title, relays);
    phase_end(ph, load(alice, 0, bo->n, bo->window, 0), bo->n);
    snprintf(half_title, sizeof half_title, "%s at half of their rate", title);
    half_rate_phase(t, alice, 0, bo, ph, half_title, half, relays);
    stop_relays(&relays[PWT_OPA]);
    stop_relays(&relays[PWT_OPB]);
    return 1;
}

int main(int argc, char **argv)
{
    bench_opts_t bo = { 0 };
    pwt_trial_t *t = NULL;
    pwt_trial_opts_t o = { .log_level = "info", .bench = 1 }; /* the harness waits for the "is online" info line */
    pwt_client_t *alice = NULL, *bob = NULL;
    static phase_t raw, base, chain, raw_half, base_half, half; /* large: not on the stack */
    pwt_rtt_t rtt = { 0 };
    int status = 1;
    pid_t relays[2] = { -1, -1 };

    int parsed = parse_args(argc, argv, &bo);

    if (parsed <= 0)
        return parsed < 0 ? 0 : 2;
    counts = mmap(NULL, 2 * sizeof *counts, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counts == MAP_FAILED) {
        perror("bench_chain: mmap");
        return 1;
    }
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
    if (pwt_trial_login(t, "bob", &bob) != PW_OK || pwt_trial_login(t, "alice", &alice) != PW_OK)
        goto done;
    pwt_client_presence(bob, "away", "benchmarking", 1);
    pwt_client_run(bob, 300);

    /* the three phases one after the other: the raw relays, then the runtime relays on the same
     * domains, then the chain (warmed up first, as the relays are in relay_phase()) */
    if (!relay_phase(t, alice, run_raw_relays, &bo, "raw relays", &raw, &raw_half, relays) ||
        !relay_phase(t, alice, run_relays, &bo, "runtime relays", &base, &base_half, relays))
        goto done;
    load(alice, 1, 20, 4, 0);
    phase_begin(&chain, t, "chain", NULL);
    phase_end(&chain, load(alice, 1, bo.n, bo.window, 0), bo.n);
    half_rate_phase(t, alice, 1, &bo, &chain, "chain at half of its rate", &half, NULL);
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
    print_row("raw relays: expat + sockets, same hops", raw.st.rate, raw.st.p50_ms, raw.st.p99_ms, raw.st.failed);
    print_row("runtime relays: our runtime, same hops", base.st.rate, base.st.p50_ms, base.st.p99_ms, base.st.failed);
    print_row("chain: current enquiry alice -> bob", chain.st.rate, chain.st.p50_ms, chain.st.p99_ms, chain.st.failed);
    printf("  at half of each path's rate, offered open loop:\n");
    print_half_row("raw relays", &raw, &raw_half);
    print_half_row("runtime relays", &base, &base_half);
    print_half_row("chain", &chain, &half);
    if (bo.netns) {
        char what[64];
        snprintf(what, sizeof what, "link: TCP round trip A <-> B (%u echoes)", rtt.count);
        /* three decimals: a veth round trip is some µs */
        printf("  %-44s %10s %10.3f %10.3f %8s\n", what, "-", rtt.p50_ms, rtt.p99_ms, "-");
    }
    printf("  ratio throughput: chain/raw %.2f, runtime/raw %.2f, chain/runtime %.2f\n",
           ratio(chain.st.rate, raw.st.rate), ratio(base.st.rate, raw.st.rate), ratio(chain.st.rate, base.st.rate));
    printf("  ratio p50:        chain/raw %.2f, runtime/raw %.2f, chain/runtime %.2f\n",
           ratio(chain.st.p50_ms, raw.st.p50_ms), ratio(base.st.p50_ms, raw.st.p50_ms),
           ratio(chain.st.p50_ms, base.st.p50_ms));
    if (bo.netns)
        printf("  ratio p50 / link round trip p50: chain %.2f, runtime relays %.2f, raw relays %.2f\n",
               ratio(chain.st.p50_ms, rtt.p50_ms), ratio(base.st.p50_ms, rtt.p50_ms), ratio(raw.st.p50_ms, rtt.p50_ms));
    printf("\nbench_chain: cost per phase (CPU: utime+stime, %% of one core over the phase; bytes: the server "
           "process's rchar/wchar, sockets and files)\n");
    phase_print(&raw);
    phase_print(&base);
    phase_print(&chain);
    phase_print(&half);
    status = chain.st.failed || half.st.failed || base.st.failed || base_half.st.failed || raw.st.failed ||
             raw_half.st.failed ? 1 : 0;
done:
    stop_relays(&relays[PWT_OPA]);
    stop_relays(&relays[PWT_OPB]);
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
    pwt_trial_destroy(t);
    return status;
}
