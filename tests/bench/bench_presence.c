/* bench_presence.c: Presence Server benchmark: 1M active subscriptions (memory, creation rate) and notification fan-out against a bare-notify baseline. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/pw_config.h"
#include "chain/pw_enquiry.h"
#include "presence.h"
#include "pw_subs.h"
#include "fake_transport.h"
#include "xmpp/pw_xml_text.h"

/*
 * Usage: bench_presence [N [P [R]]]   (default: N = 1000000 subscriptions over P = 10000
 * presentities, R = 1 round of changes)
 *
 * One Presence Server in process on the in-memory transport, its journal and charge records in
 * a temp dir ($TMPDIR or /tmp). A fake server answers roster reads (every watcher allowed) and a
 * fake gateway acknowledges every notification at once. Presentity p has N/P watchers; watchers
 * come in groups of N/P shared by 10 presentities (N/10 distinct watchers).
 *   1. creation: N 'changes' enquiries through the whole pipeline (enquiry, roster read,
 *      subscription, charge record, journal, group commit, answer): subscriptions/s;
 *   2. memory per subscription: heap in use (mallinfo2 uordblks+hblkhd) after minus before
 *      the creation, divided by N (RSS growth / N printed too);
 *   3. fan-out: every presentity changes state (R times, the clock moved past notify_interval in
 *      between); each change is re-authorized with one roster read and notified to all its
 *      watchers, each notification journaled and acknowledged: notifications/s;
 *   4. baselines: building and sending the same number of bare <notify/> IQs through the same fake
 *      transport, no subscription logic: (a) built through libstrophe's object model and sent as
 *      a stanza, (b) serialized as text (pw_notify_text(), the way the PS sends them) and sent
 *      with the transport's send_raw: notifications/s; the ratios fan-out / each baseline.
 * Time spent by the fake server and gateway (reading what was sent, building roster results and
 * acks — one result stanza reused for every ack, its id changed; not the PS's handling of them)
 * is measured apart and reported; the rates include it.
 */

#define BATCH_ENQ 300   /* enquiries per loop iteration (the fake keeps at most 1024 stanzas) */
#define PS_JID "ps1.opb.example"
#define GW_JID "gateway.opb.example"

static uint64_t now_ms = 1000;
static pw_loop_t *loop;
static xmpp_ctx_t *ctx;
static pwfake_transport_t *fake;
static pw_component_t *comp;
static pw_presence_t *ps;
static pw_presence_settings_t settings;
static char dir[256];
static double harness_s;
static size_t per_p, npres, nsubs;

static uint64_t clock_cb(void *arg)
{
    (void)arg;
    return now_ms;
}

static uint64_t wall_cb(void *arg)
{
    (void)arg;
    return 1700000000000ull + now_ms;
}

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t heap_used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static long rss_kb(void)
{
    long kb = 0;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    }
    fclose(f);
    return kb;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_presence: %s\n", what);
    exit(1);
}

static void run(void)
{
    if (pw_loop_run_once(loop, 0) != PW_OK)
        die("loop failed");
}

/* Watcher of presentity p, j-th of its per_p watchers. */
static size_t watcher_of(size_t p, size_t j)
{
    return (p / 10) * per_p + j;
}

static void deliver(xmpp_stanza_t *st)
{
    pw_component_deliver(comp, st);
    xmpp_stanza_release(st);
}

/* A notification the PS sent as text: its IQ's id and to (the harness's own JIDs and ids need
 * no unescaping). 0 when it is one. */
static int text_notify(const char *raw, char *id, size_t idcap, char *to, size_t tocap)
{
    const char *end = strchr(raw, '>'), *a, *b;
    if (strncmp(raw, "<iq type=\"set\" ", 15) != 0 || !end || !strstr(end, "<notify "))
        return -1;
    a = strstr(raw, " id=\"");
    b = strstr(raw, " to=\"");
    if (!a || !b || a > end || b > end)
        return -1;
    a += 5;
    b += 5;
    snprintf(id, idcap, "%.*s", (int)(strchr(a, '"') - a), a);
    snprintf(to, tocap, "%.*s", (int)(strchr(b, '"') - b), b);
    return 0;
}

/* The fake server and gateway: answer roster gets (items for the presentity's watchers, or only
 * the asking watcher when only is given) and acknowledge notifications; then forget what was
 * sent. Returns the number of notifications acknowledged. */
static size_t answer_all(size_t only_watcher, int single)
{
    size_t acks = 0, n = pwfake_transport_sent_count(fake);
    double t0 = secs(), tcopy;
    /* copy what we need first: delivering may send more */
    struct pend { char id[64]; char to[128]; int roster; } *p = calloc(n ? n : 1, sizeof *p);
    xmpp_stanza_t *ack = NULL;
    size_t np = 0;
    if (!p)
        die("out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *raw = pwfake_transport_sent_text(fake, i);
        xmpp_stanza_t *st, *el;
        const char *type, *name;
        if (raw) {
            if (text_notify(raw, p[np].id, sizeof p[np].id, p[np].to, sizeof p[np].to) == 0)
                p[np++].roster = 0;
            continue;
        }
        st = pwfake_transport_sent(fake, i);
        el = xmpp_stanza_get_children(st);
        type = xmpp_stanza_get_type(st);
        name = el ? xmpp_stanza_get_name(el) : NULL;
        if (!type || !name || !xmpp_stanza_get_id(st))
            continue;
        if (strcmp(type, "get") == 0 && strcmp(name, "query") == 0) {
            p[np].roster = 1;
        } else if (strcmp(type, "set") == 0 && strcmp(name, "notify") == 0) {
            p[np].roster = 0;
        } else {
            continue;
        }
        snprintf(p[np].id, sizeof p[np].id, "%s", xmpp_stanza_get_id(st));
        snprintf(p[np].to, sizeof p[np].to, "%s", xmpp_stanza_get_to(st));
        np++;
    }
    tcopy = secs() - t0;
    pwfake_transport_clear(fake);
    for (size_t i = 0; i < np; i++) {
        double tb = secs();
        xmpp_stanza_t *res, *q;
        size_t pres;
        char jid[64];
        if (!p[i].roster) {
            /* an acknowledgement: one result stanza, its id and from changed for each (the
             * PS reads an answer only during the delivery) */
            const char *from = ack ? xmpp_stanza_get_from(ack) : NULL;
            if (!ack) {
                ack = xmpp_iq_new(ctx, "result", p[i].id);
                xmpp_stanza_set_to(ack, PS_JID);
            } else {
                xmpp_stanza_set_id(ack, p[i].id);
            }
            if (!from || strcmp(from, p[i].to) != 0)
                xmpp_stanza_set_from(ack, p[i].to);
            acks++;
            harness_s += secs() - tb;
            pw_component_deliver(comp, ack);
            continue;
        }
        /* a roster result */
        res = xmpp_iq_new(ctx, "result", p[i].id);
        xmpp_stanza_set_from(res, p[i].to);
        xmpp_stanza_set_to(res, PS_JID);
        q = pw_stanza_add_child(res, "query", "jabber:iq:roster");
        pres = (size_t)atol(p[i].to + 1);
        for (size_t j = 0; j < (single ? 1 : per_p); j++) {
            xmpp_stanza_t *it = pw_stanza_add_child(q, "item", NULL);
            snprintf(jid, sizeof jid, "w%07zu@opa.example", single ? only_watcher : watcher_of(pres, j));
            xmpp_stanza_set_attribute(it, "jid", jid);
            xmpp_stanza_set_attribute(it, "subscription", "both");
        }
        harness_s += secs() - tb; /* building the answer; delivering it is the PS's work */
        deliver(res);
    }
    if (ack)
        xmpp_stanza_release(ack);
    free(p);
    harness_s += tcopy;
    return acks;
}

static void setup(void)
{
    char path[512], why[512];
    pw_config_error_t err;
    FILE *f;
    const char *tmp = getenv("TMPDIR");
    pw_component_opts_t o = { .jid = PS_JID, .name = "peerwatch-presence", .version = "bench",
                              .disco_category = "component", .disco_type = "presence",
                              .disco_name = "PS", .iq_timeout_ms = 600000 };
    snprintf(dir, sizeof dir, "%s/pw-bench-ps-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(path, sizeof path, "%s/ps.conf", dir);
    f = fopen(path, "w");
    if (!f || fchmod(fileno(f), 0600) != 0) /* it holds the secret: the loader wants it private */
        die("config file");
    fprintf(f, "[component]\njid = " PS_JID "\nsecret = s\niq_timeout = 10m\n[log]\nlevel = warn\n"
               "[charging]\ndir = %s/cdr\n[presence]\ngateway = " GW_JID "\nwatcher = watcher.opb.example\n"
               "network = opb.example\nstate_dir = %s/state\nnotify_interval = 1s\nnotify_timeout = 10m\n"
               "max_subscriptions = 100000000\n", dir, dir);
    fclose(f);
    if (pw_config_load(path, pw_presence_role.options, pw_presence_role.noptions, NULL, 0, &settings, &err) != PW_OK)
        die(pw_config_error_text(&err, why, sizeof why));
    pw_log_setup("bench_presence", PW_LOG_WARN);
    settings.wall_clock = wall_cb;
    if (pw_loop_create(&loop) != PW_OK)
        die("loop");
    pw_loop_set_clock(loop, clock_cb, NULL);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    fake = pwfake_transport_create(ctx);
    if (pw_component_create(&comp, loop, ctx, &o, pwfake_transport_base(fake)) != PW_OK)
        die("component");
    if (pw_presence_create(&ps, comp, &settings) != PW_OK)
        die("presence server");
    pwfake_transport_up(fake);
    {
        xmpp_stanza_t *m = xmpp_message_new(ctx, NULL, PS_JID, NULL), *pr, *perm;
        xmpp_stanza_set_from(m, "opb.example");
        pr = pw_stanza_add_child(m, "privilege", "urn:xmpp:privilege:2");
        perm = pw_stanza_add_child(pr, "perm", NULL);
        xmpp_stanza_set_attribute(perm, "access", "roster");
        xmpp_stanza_set_attribute(perm, "type", "get");
        perm = pw_stanza_add_child(pr, "perm", NULL);
        xmpp_stanza_set_attribute(perm, "access", "presence");
        xmpp_stanza_set_attribute(perm, "type", "managed_entity");
        deliver(m);
    }
}

static void create_all(void)
{
    pw_enquiry_t e;
    char id[32];
    memset(&e, 0, sizeof e);
    e.kind = PW_KIND_CHANGES;
    e.duration_s = 86400;
    snprintf(e.watcher_network, sizeof e.watcher_network, "opa.example");
    snprintf(e.proxy, sizeof e.proxy, "proxy.opa.example");
    for (size_t k = 0; k < nsubs;) {
        size_t end = k + BATCH_ENQ < nsubs ? k + BATCH_ENQ : nsubs;
        size_t last_w = 0;
        for (; k < end; k++) {
            size_t p = k % npres, j = k / npres, w = watcher_of(p, j);
            xmpp_stanza_t *iq;
            char to[PW_JID_MAX + 1];
            snprintf(e.ref, sizeof e.ref, "watcher.opa.example/%zu", k);
            snprintf(e.presentity, sizeof e.presentity, "+1202%07u", (unsigned)(p % 10000000));
            snprintf(e.presentity_jid, sizeof e.presentity_jid, "u%06zu@opb.example", p);
            snprintf(e.watcher_msisdn, sizeof e.watcher_msisdn, "+4477%08u", (unsigned)(w % 100000000));
            snprintf(e.watcher_jid, sizeof e.watcher_jid, "w%07zu@opa.example", w);
            if (pw_enquiry_address(&e, PS_JID, to, sizeof to) != PW_OK)
                abort();
            iq = pw_enquiry_iq(ctx, &e, to); /* +N@ps1.opb.example (protocol version 1) */
            snprintf(id, sizeof id, "e%zu", k);
            xmpp_stanza_set_id(iq, id);
            xmpp_stanza_set_from(iq, GW_JID);
            deliver(iq);
            /* the roster read of this enquiry: answered with the watcher's item below */
            last_w = w;
            answer_all(last_w, 1);
        }
        run(); /* group commit: records and journal, then the answers */
        pwfake_transport_clear(fake);
    }
}

/* Acknowledge every notification sent, then those that each acknowledgement let out of the
 * presence server's queue ([presence] notify_window), until none is left; the number acked. */
static size_t acknowledge_all(void)
{
    size_t acks = 0, n;
    while ((n = answer_all(0, 0)) > 0)
        acks += n;
    return acks;
}

/* Every presentity changes to show ("": plain available); as many presentities per loop iteration as the fake holds. */
static size_t fan_out(const char *show)
{
    size_t acks = 0, group = 800 / per_p ? 800 / per_p : 1;
    for (size_t p = 0; p < npres;) {
        size_t end = p + group < npres ? p + group : npres;
        for (; p < end; p++) {
            xmpp_stanza_t *pr = xmpp_presence_new(ctx);
            char from[64];
            snprintf(from, sizeof from, "u%06zu@opb.example/phone", p);
            xmpp_stanza_set_from(pr, from);
            xmpp_stanza_set_to(pr, PS_JID);
            if (*show)
                pw_stanza_add_text_child(pr, "show", NULL, show);
            deliver(pr); /* fan-out: one roster read */
        }
        acks += answer_all(0, 0); /* roster results: the notifications become ready */
        run();                    /* one journal commit, then the notifications leave */
        acks += acknowledge_all(); /* notify_window at a time */
    }
    run();
    acks += acknowledge_all();
    return acks;
}

/* The bare notification both baselines send (the i-th one). */
static void bare_notify(pw_notify_t *nt, size_t i)
{
    snprintf(nt->ref, sizeof nt->ref, "watcher.opa.example/%zu", i);
    snprintf(nt->watcher_jid, sizeof nt->watcher_jid, "w%07zu@opa.example", i % 100000);
    nt->seq = (uint32_t)(i % 7 + 1);
}

/* Baseline (a): built through libstrophe's object model, sent as a stanza. */
static double baseline(pw_notify_t *nt, size_t n)
{
    double t0 = secs();
    for (size_t i = 0; i < n; i++) {
        xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL), *el;
        char id[32];
        bare_notify(nt, i);
        el = pw_notify_build(ctx, nt);
        xmpp_stanza_set_id(iq, pw_component_new_id(comp, id, sizeof id));
        xmpp_stanza_set_to(iq, GW_JID);
        xmpp_stanza_add_child(iq, el);
        xmpp_stanza_release(el);
        if (pw_component_send(comp, iq) != PW_OK)
            die("baseline send");
        xmpp_stanza_release(iq);
        if (pwfake_transport_sent_count(fake) >= 1000)
            pwfake_transport_clear(fake);
    }
    pwfake_transport_clear(fake);
    return (double)n / (secs() - t0);
}

/* Baseline (b): serialized as text (the IQ around pw_notify_text()), sent with send_raw. */
static double baseline_text(pw_notify_t *nt, size_t n)
{
    pw_transport_t *tr = pwfake_transport_base(fake);
    pw_xml_text_t x = { NULL, 0, 0, 0 };
    double t0 = secs();
    for (size_t i = 0; i < n; i++) {
        char id[32];
        bare_notify(nt, i);
        pw_xml_text_reset(&x);
        pw_xml_text_open(&x, "iq");
        pw_xml_text_attr(&x, "type", "set");
        pw_xml_text_attr(&x, "id", pw_component_new_id(comp, id, sizeof id));
        pw_xml_text_attr(&x, "to", GW_JID);
        pw_xml_text_attr(&x, "from", PS_JID);
        pw_xml_text_start_end(&x);
        if (pw_notify_text(nt, &x) != PW_OK)
            die("baseline text");
        pw_xml_text_close(&x, "iq");
        if (x.failed || tr->ops->send_raw(tr, x.buf, x.len) != PW_OK)
            die("baseline send_raw");
        if (pwfake_transport_sent_count(fake) >= 1000)
            pwfake_transport_clear(fake);
    }
    pwfake_transport_clear(fake);
    pw_xml_text_free(&x);
    return (double)n / (secs() - t0);
}

static void baseline_notify(pw_notify_t *nt)
{
    memset(nt, 0, sizeof *nt);
    snprintf(nt->subscription, sizeof nt->subscription, "5b3c1e7a-0d6f-4c55-9a0f-6c51c8b1a2d4");
    snprintf(nt->proxy, sizeof nt->proxy, "proxy.opa.example");
    snprintf(nt->presentity, sizeof nt->presentity, "+12020000001");
    snprintf(nt->presentity_jid, sizeof nt->presentity_jid, "u000001@opb.example");
    nt->has_state = 1;
    nt->state.available = 1;
    snprintf(nt->state.show, sizeof nt->state.show, "away");
}

int main(int argc, char **argv)
{
    size_t heap0, heap1;
    long rss0, rss1;
    double t0, create_s, fan_s, h0, base_rate, text_rate, fan_rate;
    pw_notify_t nt;
    size_t acks = 0, rounds;
    pw_subs_stats_t st;
    char cmd[600];

    nsubs = argc > 1 ? (size_t)atol(argv[1]) : 1000000;
    npres = argc > 2 ? (size_t)atol(argv[2]) : 10000;
    rounds = argc > 3 ? (size_t)atol(argv[3]) : 1;
    if (nsubs < npres || npres < 10 || nsubs % npres != 0 || nsubs / npres > 500 || rounds < 1 || rounds > 100)
        die("N must be a multiple of P, P >= 10, N/P <= 500, 1 <= R <= 100");
    per_p = nsubs / npres;
    setup();
    printf("bench_presence: %zu subscriptions over %zu presentities (%zu watchers each, %zu distinct watchers)\n",
           nsubs, npres, per_p, npres / 10 * per_p);

    heap0 = heap_used();
    rss0 = rss_kb();
    harness_s = 0;
    t0 = secs();
    create_all();
    create_s = secs() - t0;
    heap1 = heap_used();
    rss1 = rss_kb();
    if (pw_subs_count(pw_presence_subs(ps)) != nsubs)
        die("not every subscription was created");
    printf("creation: %.0f subscriptions/s (%.1f s for %zu through the whole enquiry pipeline, "
           "of which %.1f s in the fake server)\n", (double)nsubs / create_s, create_s, nsubs, harness_s);
    printf("memory: %.0f bytes per subscription (heap in use, mallinfo2, delta / N); RSS delta / N: %.0f bytes\n",
           (double)(heap1 - heap0) / (double)nsubs, (double)(rss1 - rss0) * 1024.0 / (double)nsubs);

    harness_s = 0;
    t0 = secs();
    for (size_t r = 0; r < rounds; r++) {
        if (r) {
            now_ms += 1000; /* past notify_interval */
            pw_loop_update_time(loop);
        }
        acks += fan_out(r % 2 ? "away" : "");
    }
    fan_s = secs() - t0;
    h0 = harness_s;
    pw_subs_stats(pw_presence_subs(ps), &st);
    if (acks != rounds * nsubs || st.notifications != rounds * nsubs)
        die("not every notification was sent and acknowledged");
    fan_rate = (double)acks / fan_s;
    printf("fan-out: %.0f notifications/s (%zu in %.1f s; %llu roster reads; %.1f s of it in the fake "
           "server and gateway; %.0f/s without it)\n", fan_rate, acks, fan_s,
           (unsigned long long)st.roster_reads, h0, (double)acks / (fan_s - h0));
    baseline_notify(&nt);
    base_rate = baseline(&nt, acks);
    text_rate = baseline_text(&nt, acks);
    printf("baseline (a): %.0f bare notify stanzas/s built through libstrophe's object model and sent "
           "through the same fake transport\n", base_rate);
    printf("baseline (b): %.0f bare notify stanzas/s serialized as text and sent with send_raw through "
           "the same fake transport\n", text_rate);
    printf("ratio: fan-out / baseline (a) = %.2f; fan-out / baseline (b) = %.2f\n", fan_rate / base_rate,
           fan_rate / text_rate);

    pw_presence_destroy(ps);
    pw_component_destroy(comp);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    pw_loop_destroy(loop);
    pw_config_free(pw_presence_role.options, pw_presence_role.noptions, &settings);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_presence: could not remove %s\n", dir);
    return 0;
}
