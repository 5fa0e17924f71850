/* bench_overload.c: the chain at 3x the rate it sustains, on the two-operator trial: what is admitted and how late, what is refused and how fast, whether a well-behaved watcher beside the flooding one is still served, and whether the components' memory stays bounded and they all live on.
 *
 * Usage: bench_overload [--servers A,B] [--caps PER,ALL] [--peer] [SECONDS [FACTOR]]
 *        (defaults: PWT_SERVERS or prosody,prosody; 10 s per phase; FACTOR 3)
 *   --caps PER,ALL  set operator A's watcher [watcher] max_in_flight_per_watcher = PER and
 *                   max_in_flight = ALL (reload) before measuring, e.g. 1000000,1000000 for no
 *                   admission beyond the token bucket (the behaviour before these limits)
 *   --peer          also the flooding peer: B's gateway [gateway] rate_per_peer set to half the
 *                   sustained rate, A's watcher flooding at FACTOR x, bob (a local user of B)
 *                   asking B's own chain about grace meanwhile
 *
 * Phases, one after the other in one run:
 *  1. sustained rate R: alice asks about bob, closed loop, 16 outstanding, 2000 enquiries;
 *  2. unloaded baseline: heidi (a second watcher of operator A, made for the bench: HSS record
 *     through a reload of A's HSS, XMPP account, and an approval in bob's roster) asks about
 *     bob 5 times a second for SECONDS;
 *  3. the flood: alice sends FACTOR x R enquiries a second, open loop (sent every 10 ms tick
 *     whatever the answers), for SECONDS, while heidi goes on as in 2; then every answer is
 *     waited for (up to 30 s: the trial watcher's iq_timeout is 20 s).
 * heidi runs in a child process with her own client; alice's sending and receiving in this one.
 * Memory: VmRSS of every component before the flood, sampled every 100 ms during it (peak) and
 * after, with VmHWM (the kernel's peak since start). Afterwards: every component process still
 * alive, and one more enquiry of alice's answered with bob's state. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xmpp/pw_stanza.h"
#include "pwt_client.h"
#include "pwt_trial.h"
#include "pwt_util.h"

#define GOOD_RATE 5.0         /* the well-behaved watcher's enquiries per second */
#define DRAIN_S 30.0          /* how long answers are waited for after a phase */
#define MAX_CONDS 16          /* distinct error conditions counted */
#define RATE_N 2000u          /* enquiries of the sustained-rate phase */
#define RATE_WINDOW 16u

static const char *const components[] = {
    "opa-watcher", "opa-proxy", "opa-gateway", "opa-hss", "opa-ps1",
    "opb-watcher", "opb-proxy", "opb-gateway", "opb-hss", "opb-ps1", "opb-ps2",
};
#define NCOMP (sizeof components / sizeof components[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one stream of enquiries and what came back ---- */

typedef struct cond_count {
    char name[80];    /* the condition and the text's start */
    char sample[160]; /* the first text seen */
    unsigned n;
} cond_count_t;

/* What one stream of enquiries got. The latencies are in ms. */
typedef struct stream {
    char prefix;          /* the ids' first letter */
    unsigned cap, sent, answered;
    double *sent_at;      /* by request number; 0 once answered */
    double *ok_ms, *err_ms;
    unsigned nok, nerr;
    double first_sent, last_answer; /* now_s() */
    cond_count_t conds[MAX_CONDS];
    unsigned nconds;
} stream_t;

/* Figures of a stream, as the child sends them over its pipe. */
typedef struct figures {
    unsigned sent, ok, err, unanswered;
    double span_s; /* from the first enquiry sent to the last answer */
    double ok_p50, ok_p99, err_p50, err_p99;
    cond_count_t conds[MAX_CONDS];
    unsigned nconds;
} figures_t;

static int stream_init(stream_t *s, char prefix, unsigned cap)
{
    memset(s, 0, sizeof *s);
    s->prefix = prefix;
    s->cap = cap;
    s->sent_at = calloc(cap, sizeof *s->sent_at);
    s->ok_ms = calloc(cap, sizeof *s->ok_ms);
    s->err_ms = calloc(cap, sizeof *s->err_ms);
    return s->sent_at && s->ok_ms && s->err_ms;
}

static void stream_free(stream_t *s)
{
    free(s->sent_at);
    free(s->ok_ms);
    free(s->err_ms);
}

static int match_iq_answer(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "iq") == 0 && type &&
           (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

/* Send the stream's next enquiry (about address) through c. @return 0 when the stream is full */
static int stream_send(stream_t *s, pwt_client_t *c, const char *address)
{
    char xml[512];
    if (s->sent >= s->cap)
        return 0;
    snprintf(xml, sizeof xml, "<iq type='set' id='%c%u' to='%s'><enquiry xmlns='urn:peerwatch:0' "
             "address='%s' kind='current'/></iq>", s->prefix, s->sent,
             strncmp(pwt_client_jid(c), "bob@", 4) == 0 ? "watcher.opb.example" : "watcher.opa.example",
             address);
    s->sent_at[s->sent++] = now_s();
    if (s->sent == 1)
        s->first_sent = s->sent_at[0];
    pwt_client_send_xml(c, xml);
    return 1;
}

/* Count an error answer by its condition and the start of its text up to the first digit,
 * which tells who refused ("alice@opa.example has 64 enquiries in progress": the watcher; "opa.example
 * sends more than 339 enquiries per second": B's gateway); the whole text is kept as a sample
 * the first time. */
static void count_cond(stream_t *s, xmpp_stanza_t *r)
{
    char text[512], name[80];
    unsigned i;
    pw_error_t cond = pw_stanza_error_parse(r, text, sizeof text);

    snprintf(name, sizeof name, "%s: %.*s", pw_error_name(cond), (int)strcspn(text, "0123456789"), text);
    for (i = 0; i < s->nconds && strcmp(s->conds[i].name, name) != 0; i++)
        ;
    if (i == s->nconds) {
        if (s->nconds == MAX_CONDS)
            i = MAX_CONDS - 1; /* lumped with the last */
        else {
            s->nconds++;
            snprintf(s->conds[i].name, sizeof s->conds[i].name, "%s", name);
            snprintf(s->conds[i].sample, sizeof s->conds[i].sample, "%.159s", text);
        }
    }
    s->conds[i].n++;
}

/* Take r (released here) as an answer of s, if it is one. @return 1 when it was */
static int stream_take(stream_t *s, xmpp_stanza_t *r)
{
    const char *id = xmpp_stanza_get_id(r);
    unsigned i;
    int mine = id && id[0] == s->prefix && (i = (unsigned)strtoul(id + 1, NULL, 10)) < s->sent &&
               s->sent_at[i] > 0;
    if (mine) {
        double ms = (now_s() - s->sent_at[i]) * 1000.0;
        s->sent_at[i] = 0;
        s->answered++;
        s->last_answer = now_s();
        if (strcmp(xmpp_stanza_get_type(r), "result") == 0)
            s->ok_ms[s->nok++] = ms;
        else {
            s->err_ms[s->nerr++] = ms;
            count_cond(s, r);
        }
    }
    xmpp_stanza_release(r);
    return mine;
}

/* Receive what c has for up to wait_ms (at least one pass of its loop), then whatever is queued. */
static void stream_receive(stream_t *s, pwt_client_t *c, unsigned wait_ms)
{
    xmpp_stanza_t *r = pwt_client_wait(c, match_iq_answer, NULL, wait_ms ? wait_ms : 1);
    while (r) {
        stream_take(s, r);
        r = pwt_client_wait(c, match_iq_answer, NULL, 0);
    }
}

static figures_t stream_figures(stream_t *s)
{
    figures_t f = { .sent = s->sent, .ok = s->nok, .err = s->nerr, .unanswered = s->sent - s->answered,
                    .nconds = s->nconds, .span_s = s->answered ? s->last_answer - s->first_sent : 0 };
    pwt_percentiles(s->ok_ms, s->nok, &f.ok_p50, &f.ok_p99);
    pwt_percentiles(s->err_ms, s->nerr, &f.err_p50, &f.err_p99);
    memcpy(f.conds, s->conds, sizeof f.conds);
    return f;
}

/* Send about address at rate per second for secs (open loop, every tick what is due), then wait
 * for the rest of the answers (up to DRAIN_S); tick() is called every 100 ms. */
static figures_t open_loop(pwt_client_t *c, char prefix, const char *address, double rate, double secs,
                           void (*tick)(void *), void *arg)
{
    stream_t s;
    figures_t f = { 0 };
    double start, t, last_tick = 0;

    if (!stream_init(&s, prefix, (unsigned)(rate * secs) + 16))
        return f;
    start = now_s();
    for (;;) {
        t = now_s();
        if (t < start + secs) {
            unsigned due = (unsigned)((t - start) * rate) + 1;
            while (s.sent < due && stream_send(&s, c, address))
                ;
        } else if (s.answered == s.sent || t > start + secs + DRAIN_S || !pwt_client_connected(c))
            break;
        if (tick && t - last_tick >= 0.1) {
            tick(arg);
            last_tick = t;
        }
        /* the next send is due within 1000/rate ms: wait no longer than that */
        stream_receive(&s, c, rate >= 100 ? 1 : (unsigned)(1000.0 / rate / 2));
    }
    f = stream_figures(&s);
    stream_free(&s);
    return f;
}

/* Closed loop: n enquiries, window outstanding: the sustained rate (answers with a state a second). */
static double sustained_rate(pwt_client_t *c, unsigned n, unsigned window, figures_t *out)
{
    stream_t s;
    double start, secs;

    if (!stream_init(&s, 'r', n))
        return 0;
    start = now_s();
    while (s.answered < n && pwt_client_connected(c)) {
        while (s.sent < n && s.sent - s.answered < window)
            stream_send(&s, c, "+12025550123");
        unsigned before = s.answered;
        double until = now_s() + 30;
        while (s.answered == before && now_s() < until && pwt_client_connected(c))
            stream_receive(&s, c, 1000); /* (what is not an answer of this stream is passed over) */
        if (s.answered == before) {
            fprintf(stderr, "bench_overload: no answer within 30 s in the rate phase\n");
            break;
        }
    }
    secs = now_s() - start;
    *out = stream_figures(&s);
    stream_free(&s);
    return secs > 0 ? out->ok / secs : 0;
}

/* ---- the well-behaved watcher, in a child process ---- */

typedef struct good {
    const char *jid, *host, *address;
    int port;
    double secs;
} good_t;

/* The child: log in, say so ('r' or 'x'), then for every command byte 'g' run one phase and
 * send its figures; 'q' or EOF ends. Never returns. */
static void run_good(const good_t *g, int cmd_fd, int out_fd)
{
    pwt_client_t *c = NULL;
    char ok = pwt_client_connect(&c, g->jid, PWT_TRIAL_PASSWORD, g->host, g->port, 5000) == PW_OK ? 'r' : 'x';
    char cmd;

    if (write(out_fd, &ok, 1) != 1 || ok != 'r')
        _exit(1);
    while (read(cmd_fd, &cmd, 1) == 1 && cmd == 'g') {
        figures_t f = open_loop(c, 'g', g->address, GOOD_RATE, g->secs, NULL, NULL);
        if (write(out_fd, &f, sizeof f) != (ssize_t)sizeof f)
            break;
    }
    pwt_client_destroy(c);
    _exit(0);
}

typedef struct child {
    pid_t pid;
    int cmd, out;
} child_t;

static int good_start(const good_t *g, child_t *ch)
{
    int to[2], from[2];
    char ok = 0;

    ch->pid = -1;
    if (pipe(to) != 0)
        return 0;
    if (pipe(from) != 0) {
        close(to[0]);
        close(to[1]);
        return 0;
    }
    fflush(NULL);
    ch->pid = fork();
    if (ch->pid == 0) {
        close(to[1]);
        close(from[0]);
        run_good(g, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);
    ch->cmd = to[1];
    ch->out = from[0];
    if (ch->pid < 0 || read(ch->out, &ok, 1) != 1 || ok != 'r') {
        fprintf(stderr, "bench_overload: %s could not log in\n", g->jid);
        return 0;
    }
    return 1;
}

static void good_go(const child_t *ch)
{
    if (write(ch->cmd, "g", 1) != 1)
        fprintf(stderr, "bench_overload: the well-behaved watcher is gone\n");
}

static int good_result(const child_t *ch, figures_t *f)
{
    return read(ch->out, f, sizeof *f) == (ssize_t)sizeof *f;
}

/* Stop the children: every command pipe closed first (a child forked later holds copies of an
 * earlier child's pipe ends, so it must let go before the earlier one sees the end), then each
 * waited for. */
static void good_stop(child_t *ch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ch[i].pid > 0) {
            close(ch[i].cmd);
            close(ch[i].out);
        }
    for (size_t i = 0; i < n; i++)
        if (ch[i].pid > 0) {
            waitpid(ch[i].pid, NULL, 0);
            ch[i].pid = -1;
        }
}

/* ---- the components: memory and life ---- */

typedef struct mem {
    long before[NCOMP], peak[NCOMP], after[NCOMP], hwm[NCOMP]; /* kB */
    int pid[NCOMP];
} mem_t;

/* VmRSS (or VmHWM) of pid in kB, -1 when it cannot be read. */
static long status_kb(int pid, const char *field)
{
    char path[64], line[256];
    long kb = -1;
    size_t len = strlen(field);
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kb = atol(line + len + 1);
            break;
        }
    fclose(f);
    return kb;
}

static void mem_pids(mem_t *m, pwt_trial_t *t)
{
    for (size_t i = 0; i < NCOMP; i++) {
        pwt_component_t *c = pwt_trial_component(t, components[i]);
        m->pid[i] = c ? pwt_component_pid(c) : -1;
    }
}

static void mem_sample(void *arg)
{
    mem_t *m = arg;
    for (size_t i = 0; i < NCOMP; i++) {
        long kb = status_kb(m->pid[i], "VmRSS");
        if (kb > m->peak[i])
            m->peak[i] = kb;
    }
}

/* ---- changing a component's settings while it runs ---- */

/* Set key = value in [section] of c's configuration file (replacing the key's line, or adding
 * it at the section's end). @return 1 on success */
static int set_option(pwt_component_t *c, const char *section, const char *key, const char *value)
{
    const char *path = pwt_component_config(c);
    char line[4096], head[300], *out = NULL;
    size_t outlen = 0;
    int in = 0, done = 0, found = 0;
    FILE *f = fopen(path, "r"), *o;

    if (!f)
        return 0;
    o = open_memstream(&out, &outlen);
    snprintf(head, sizeof head, "[%s]", section);
    while (o && fgets(line, sizeof line, f)) {
        if (line[0] == '[') {
            if (in && !done) {
                fprintf(o, "%s = %s\n", key, value);
                done = 1;
            }
            in = strncmp(line, head, strlen(head)) == 0;
            found |= in;
        } else if (in && !done && strncmp(line, key, strlen(key)) == 0 &&
                   (line[strlen(key)] == ' ' || line[strlen(key)] == '=')) {
            fprintf(o, "%s = %s\n", key, value);
            done = 1;
            continue;
        }
        fputs(line, o);
    }
    fclose(f);
    if (!o)
        return 0;
    if (!done)
        fprintf(o, "%s%s%s = %s\n", found && in ? "" : head, found && in ? "" : "\n", key, value);
    fclose(o);
    f = fopen(path, "w");
    done = f && fwrite(out, 1, outlen, f) == outlen;
    if (f && fclose(f) != 0)
        done = 0;
    free(out);
    return done;
}

/* SIGHUP c and wait until it says it has reloaded (the what-th time it logs text). */
static int reload(pwt_component_t *c, const char *text)
{
    unsigned n = pwt_component_log_count(c, text);
    return pwt_component_signal(c, SIGHUP) == PW_OK && pwt_component_wait_log(c, text, n + 1, 10000) == 0;
}

/* heidi: a second watcher of operator A, approved by bob, postpaid. Her line goes at the end
 * of A's HSS file (the trial's own copy, PWT_TRIAL_SUBSCRIBERS; then a reload), her account on
 * A's server, the roster item on B's bob. */
static int add_heidi(pwt_trial_t *t)
{
    char path[1024];
    pwt_component_t *hss = pwt_trial_component(t, "opa-hss");
    FILE *out;
    int ok;

    snprintf(path, sizeof path, "%s/" PWT_TRIAL_SUBSCRIBERS, pwt_trial_dir(t), "opa");
    if (!(out = fopen(path, "a")))
        return 0;
    fprintf(out, "+447700900004   heidi@opa.example   ps1.opa.example     active  postpaid  -\n");
    ok = fclose(out) == 0;
    return ok && hss && reload(hss, "subscriber file reloaded") &&
           pwt_server_add_user(pwt_trial_server(t, PWT_OPA), "heidi", PWT_TRIAL_PASSWORD) == PW_OK &&
           pwt_server_set_roster(pwt_trial_server(t, PWT_OPB), "bob", "+447700900004@watcher.opb.example",
                                 "from") == PW_OK;
}

/* ---- the report ---- */

static void print_stream(const char *who, const figures_t *f, double secs)
{
    printf("  %-26s sent %6u (%6.1f/s)  state %6u  errors %6u  unanswered %u  last answer after %.1f s\n", who,
           f->sent, f->sent / secs, f->ok, f->err, f->unanswered, f->span_s);
    if (f->ok)
        printf("  %-26s answered with a state: p50 %8.2f ms  p99 %8.2f ms\n", "", f->ok_p50, f->ok_p99);
    if (f->err)
        printf("  %-26s answered with an error: p50 %8.2f ms  p99 %8.2f ms\n", "", f->err_p50, f->err_p99);
    for (unsigned i = 0; i < f->nconds; i++)
        printf("  %-26s   %6u  %s\n  %-26s           e.g. \"%.120s\"\n", "", f->conds[i].n, f->conds[i].name, "",
               f->conds[i].sample);
}

static void print_memory(const mem_t *m, int *all_alive)
{
    printf("  %-12s %8s %8s %8s %8s %8s  %s\n", "component", "pid", "before", "peak", "after", "VmHWM", "alive");
    *all_alive = 1;
    for (size_t i = 0; i < NCOMP; i++) {
        int alive = m->pid[i] > 0 && kill(m->pid[i], 0) == 0;
        *all_alive &= alive;
        printf("  %-12s %8d %6ld kB %5ld kB %5ld kB %5ld kB  %s\n", components[i], m->pid[i], m->before[i],
               m->peak[i], m->after[i], m->hwm[i], alive ? "yes" : "NO");
    }
}

/* ---- the command line ---- */

typedef struct bench_opts {
    char kinds[2][PWT_TRIAL_KIND_MAX];
    int servers_given, peer;
    char per[24], all[24];
    double secs, factor;
} bench_opts_t;

static const char usage[] =
    "usage: bench_overload [--servers A,B] [--caps PER,ALL] [--peer] [SECONDS [FACTOR]]\n"
    "  --servers A,B  operator A's and B's server kind (default: PWT_SERVERS or prosody,prosody)\n"
    "  --caps PER,ALL A's watcher max_in_flight_per_watcher and max_in_flight (default: its config's)\n"
    "  --peer         also flood B's gateway as a peer (its rate_per_peer at half the sustained rate)\n"
    "                 while bob, a local user of B, asks B's own chain about grace\n"
    "  SECONDS        length of each phase (default 10); FACTOR: offered / sustained (default 3)\n";

/* Read the command line into o: 1; -1 for --help, 0 when it is not one (usage printed). */
static int parse_args(int argc, char **argv, bench_opts_t *o)
{
    int i = 1, pos = 0;
    o->secs = 10;
    o->factor = 3;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--servers") == 0 && i + 1 < argc && pwt_trial_split_servers(argv[i + 1], o->kinds))
            o->servers_given = 1, i++;
        else if (strcmp(argv[i], "--caps") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%20[0-9],%20[0-9]", o->per, o->all) == 2)
            i++;
        else if (strcmp(argv[i], "--peer") == 0)
            o->peer = 1;
        else if (argv[i][0] != '-' && pos < 2 && atof(argv[i]) > 0)
            *(pos++ == 0 ? &o->secs : &o->factor) = atof(argv[i]);
        else
            break;
    }
    if (i < argc) {
        int help = strcmp(argv[i], "--help") == 0;
        fputs(usage, help ? stdout : stderr);
        return help ? -1 : 0;
    }
    return 1;
}

/* One flooding phase: alice at rate, the child's watcher beside her; memory sampled. */
static int flood(pwt_client_t *alice, const child_t *good, double rate, double secs, mem_t *m, figures_t *fl,
                 figures_t *gf)
{
    for (size_t i = 0; i < NCOMP; i++) {
        m->before[i] = m->peak[i] = status_kb(m->pid[i], "VmRSS");
    }
    good_go(good);
    *fl = open_loop(alice, 'o', "+12025550123", rate, secs, mem_sample, m);
    for (size_t i = 0; i < NCOMP; i++) {
        m->after[i] = status_kb(m->pid[i], "VmRSS");
        m->hwm[i] = status_kb(m->pid[i], "VmHWM");
    }
    return good_result(good, gf);
}

/* alice is still served once the flood is over. */
static int served_after(pwt_client_t *alice)
{
    xmpp_stanza_t *r = pwt_client_iq(alice, "<iq type='set' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' "
                                            "address='+12025550123' kind='current'/></iq>", 30000);
    int ok = r && strcmp(xmpp_stanza_get_type(r), "result") == 0;
    if (r)
        xmpp_stanza_release(r);
    return ok;
}

int main(int argc, char **argv)
{
    bench_opts_t bo = { 0 };
    pwt_trial_t *t = NULL;
    pwt_trial_opts_t o = { .log_level = "info" }; /* the harness waits for the "is online" info line */
    pwt_client_t *alice = NULL;
    child_t good[2] = { { .pid = -1 }, { .pid = -1 } }; /* heidi, and bob with --peer */
    child_t *heidi = &good[0], *bob = &good[1];
    figures_t rate_f = { 0 }, base = { 0 }, fl = { 0 }, during = { 0 }, pbase = { 0 }, pfl = { 0 }, pduring = { 0 };
    mem_t m = { 0 }, pm = { 0 };
    double r = 0, offered;
    char peer_rate[24] = "";
    int status = 1, alive = 0, palive = 1, after_ok = 0;
    int parsed = parse_args(argc, argv, &bo);

    if (parsed <= 0)
        return parsed < 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (bo.servers_given) {
        o.servers[PWT_OPA] = bo.kinds[PWT_OPA];
        o.servers[PWT_OPB] = bo.kinds[PWT_OPB];
    }
    printf("bench_overload: starting the two-operator trial...\n");
    fflush(stdout);
    if (pwt_trial_start(&t, &o) != PW_OK)
        return 1;
    if (!add_heidi(t)) {
        fprintf(stderr, "bench_overload: could not add the second watcher heidi\n");
        goto done;
    }
    if (bo.per[0] && (!set_option(pwt_trial_component(t, "opa-watcher"), "watcher", "max_in_flight_per_watcher", bo.per) ||
                      !set_option(pwt_trial_component(t, "opa-watcher"), "watcher", "max_in_flight", bo.all) ||
                      !reload(pwt_trial_component(t, "opa-watcher"), "configuration reloaded"))) {
        fprintf(stderr, "bench_overload: could not set the watcher's caps\n");
        goto done;
    }
    if (bo.peer && pwt_server_set_roster(pwt_trial_server(t, PWT_OPB), "grace", "+12025550123@watcher.opb.example",
                                         "from") != PW_OK)
        goto done;
    mem_pids(&m, t);
    mem_pids(&pm, t);
    {
        good_t g = { "heidi@opa.example", pwt_trial_server_ip(t, PWT_OPA), "+12025550123",
                     pwt_server_c2s_port(pwt_trial_server(t, PWT_OPA)), bo.secs };
        if (!good_start(&g, heidi))
            goto done;
    }
    if (bo.peer) {
        good_t g = { "bob@opb.example", pwt_trial_server_ip(t, PWT_OPB), "+447700900050",
                     pwt_server_c2s_port(pwt_trial_server(t, PWT_OPB)), bo.secs };
        if (!good_start(&g, bob))
            goto done;
    }
    if (pwt_trial_login(t, "alice", &alice) != PW_OK)
        goto done;

    /* warm up (s2s, DNS caches), then R */
    sustained_rate(alice, 40, 4, &rate_f);
    r = sustained_rate(alice, RATE_N, RATE_WINDOW, &rate_f);
    if (r <= 0 || rate_f.err)
        fprintf(stderr, "bench_overload: the rate phase had %u errors\n", rate_f.err);
    offered = r * bo.factor;

    good_go(heidi); /* unloaded */
    if (!good_result(heidi, &base) || !flood(alice, heidi, offered, bo.secs, &m, &fl, &during))
        goto done;
    pwt_client_run(alice, 500);
    if (bo.peer) {
        snprintf(peer_rate, sizeof peer_rate, "%.0f", r / 2 >= 1 ? r / 2 : 1);
        if (!set_option(pwt_trial_component(t, "opb-gateway"), "gateway", "rate_per_peer", peer_rate) ||
            !reload(pwt_trial_component(t, "opb-gateway"), "configuration reloaded"))
            goto done;
        good_go(bob);
        if (!good_result(bob, &pbase) || !flood(alice, bob, offered, bo.secs, &pm, &pfl, &pduring))
            goto done;
    }
    after_ok = served_after(alice);

    printf("\nbench_overload: A on %s and B on %s, one machine; phases of %.0f s\n",
           pwt_server_kind(pwt_trial_server(t, PWT_OPA)), pwt_server_kind(pwt_trial_server(t, PWT_OPB)), bo.secs);
    if (bo.per[0])
        printf("  A's watcher caps: max_in_flight_per_watcher = %s, max_in_flight = %s\n", bo.per, bo.all);
    else
        printf("  A's watcher caps: as configured (defaults: 16 per watcher, 4096 in all)\n");
    printf("  sustained rate R (alice, closed loop, %u outstanding, %u enquiries): %.0f/s, p50 %.2f ms, p99 %.2f ms\n",
           RATE_WINDOW, RATE_N, r, rate_f.ok_p50, rate_f.ok_p99);
    printf("\n  flooding watcher: alice offers %.0f/s (%.1f x R) open loop for %.0f s; heidi %.0f/s beside her\n",
           offered, bo.factor, bo.secs, GOOD_RATE);
    print_stream("heidi alone (baseline)", &base, bo.secs);
    print_stream("alice flooding", &fl, bo.secs);
    print_stream("heidi during the flood", &during, bo.secs);
    printf("  alice admitted: %.1f/s over the %.1f s until her last answer; ratio to R: %.2f\n",
           fl.span_s > 0 ? fl.ok / fl.span_s : 0.0, fl.span_s, r > 0 && fl.span_s > 0 ? fl.ok / fl.span_s / r : 0.0);
    printf("  ratio heidi p50 / p99 during the flood vs alone: %.2f / %.2f\n",
           base.ok_p50 > 0 ? during.ok_p50 / base.ok_p50 : 0.0, base.ok_p99 > 0 ? during.ok_p99 / base.ok_p99 : 0.0);
    print_memory(&m, &alive);
    if (bo.peer) {
        printf("\n  flooding peer: B's gateway rate_per_peer = %s; alice offers %.0f/s; bob (B) asks B's chain about grace\n",
               peer_rate, offered);
        print_stream("bob alone (baseline)", &pbase, bo.secs);
        print_stream("alice flooding through A", &pfl, bo.secs);
        print_stream("bob during the flood", &pduring, bo.secs);
        printf("  ratio bob p50 / p99 during the flood vs alone: %.2f / %.2f\n",
               pbase.ok_p50 > 0 ? pduring.ok_p50 / pbase.ok_p50 : 0.0,
               pbase.ok_p99 > 0 ? pduring.ok_p99 / pbase.ok_p99 : 0.0);
        print_memory(&pm, &palive);
    }
    printf("\n  every component alive afterwards: %s; alice served again afterwards: %s\n", alive && palive ? "yes" : "NO",
           after_ok ? "yes" : "NO");
    status = alive && palive && after_ok && !fl.unanswered && !during.unanswered && !pfl.unanswered &&
                     !pduring.unanswered ? 0 : 1;
done:
    good_stop(good, 2);
    pwt_client_destroy(alice);
    pwt_trial_destroy(t);
    return status;
}
