/* bench_notify.c: presence changes of many presentities on operator B fanned out as `changes` notifications to many watchers on A, end to end on the two-operator trial, against the same messages sent server to server. */
/*
 * The plan (issue 13, "end-to-end notification benchmark"):
 *
 * - The trial (Prosody on both operators by default, PWT_SERVERS as for every test) with a crowd
 *   (pwt_trial_opts_t.crowd): P presentities crowdb0000… on B (numbers +12025559NNN, served by
 *   ps1.opb.example, each roster authorising every crowd user of A) and W = SUBS / P watchers
 *   crowda0000… on A (numbers +44770096NNNN, prepaid with credit). Defaults: SUBS 10000, P 100,
 *   so W 100 and every watcher subscribes to every presentity.
 * - One process: P + W client sessions (pwt_client), served in turn with pwt_client_poll();
 *   a receipt is stamped when the sweep over the clients takes it out of its queue, so a
 *   latency includes up to one sweep and the 1 ms pause after a sweep that found nothing (the
 *   pause keeps the bench from spinning on the 2 cores the servers need).
 * - Phase 1, subscriptions: every watcher sends <enquiry kind='changes' duration='3600'/> for
 *   each presentity to watcher.opa.example, WINDOW outstanding over all watchers; figure: created
 *   per second, and how many were refused.
 * - Phase 2, notifications: ROUNDS rounds; in each every presentity sends one presence (show
 *   alternating away / dnd, status "nb-R-P"), the round's send time kept per presentity; the
 *   path is presentity → B's server → ps1 → B's gateway → s2s → A's proxy → A's watcher → A's
 *   server → watcher client (a headline <message/> with <notify/>). Each receipt is matched by
 *   the status text to its presentity and round: latency = receipt − that presentity's send in
 *   that round. The next round starts once every expected notification has come or after a
 *   timeout, and at least 1.5 s after the previous round (the trial's presence servers send at
 *   most one notification per subscription per second, notify_interval). Figures: delivered
 *   per second (all receipts over the time from the first send of a round to its last receipt,
 *   summed over the rounds), p50/p99 latency, expected / received / missing (the first few
 *   named on stderr) / duplicated, and "other headlines": those of an earlier round (a late one,
 *   or the presence server's resend of the latest state after an unacknowledged notification)
 *   or, during the baseline, notifications still arriving.
 * - Baseline, in the same run on the same servers and sessions: the same number of stanzas of
 *   the notification's size (a headline <message/> whose body is padded so that it arrives at
 *   about the size of the first notification received; both sizes printed) sent by each
 *   presentity's own client straight to each of its
 *   watchers' JIDs, so the same servers and s2s carry them (client → B's server → s2s → A's
 *   server → client), without any component: the floor of the path's XMPP transport. Sent in
 *   rounds as the notifications (all of a presentity's messages of a round sent right after each
 *   other); latency from that send to the receipt. Ratio: notifications per second / baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pwt_client.h"
#include "pwt_trial.h"
#include "pwt_util.h"

#define WINDOW 64            /* subscription enquiries outstanding, over all watchers */
#define ROUND_TIMEOUT_MS 30000
#define ROUND_GAP_MS 1500

typedef struct bench {
    pwt_trial_t *trial;
    pwt_client_t **pres, **watch;
    unsigned np, nw, rounds;
    char (*pres_number)[16];
    double *sent_us;         /* [round * np + p]: when presentity p sent its change of round */
    unsigned char *seen;     /* [(round * np + p) * nw + w]: notification received */
    double *lat;             /* every latency of the phase, ms */
    size_t nlat;
    unsigned dup, stray;
    size_t sizes[2];         /* the size of the first notification, of the first baseline message */
} bench_t;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* An answer to one of the bench's subscription enquiries (id "nbsub-…"; not libstrophe's own
 * bind and session answers, which are queued too). */
static int match_iq_answer(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s), *id = xmpp_stanza_get_id(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "iq") == 0 && type && id && strncmp(id, "nbsub-", 6) == 0 &&
           (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

/* A headline (notification or baseline message). */
static int match_headline(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "message") == 0 && type && strcmp(type, "headline") == 0;
}

/* Phase 1: every watcher subscribes to every presentity of its share. */
static int subscribe_all(bench_t *b, unsigned *refused, double *secs)
{
    unsigned total = b->nw * b->np, sent = 0, answered = 0, out = 0;
    double t0 = now_us(), last = t0;
    char xml[512];

    *refused = 0;
    while (answered < total) {
        while (out < WINDOW && sent < total) {
            unsigned w = sent % b->nw, p = sent / b->nw;
            snprintf(xml, sizeof xml,
                     "<iq type='set' id='nbsub-%u-%u' to='watcher.opa.example'><enquiry "
                     "xmlns='urn:peerwatch:0' address='%s' kind='changes' duration='3600'/></iq>",
                     w, p, b->pres_number[p]);
            if (pwt_client_send_xml(b->watch[w], xml) != PW_OK)
                return -1;
            sent++;
            out++;
        }
        for (unsigned w = 0; w < b->nw; w++) {
            xmpp_stanza_t *r;
            pwt_client_poll(b->watch[w]);
            while ((r = pwt_client_wait(b->watch[w], match_iq_answer, NULL, 0)) != NULL) {
                if (strcmp(xmpp_stanza_get_type(r), "result") != 0 && (*refused)++ < 3) {
                    char *text = NULL;
                    size_t len;
                    xmpp_stanza_to_text(r, &text, &len);
                    fprintf(stderr, "bench_notify: refused: %.400s\n", text ? text : "?");
                    xmpp_free(pwt_client_ctx(b->watch[w]), text);
                }
                xmpp_stanza_release(r);
                answered++;
                out--;
                last = now_us();
            }
        }
        if (out == WINDOW || sent == total)
            pwt_sleep_ms(1); /* nothing to send: no busy loop beside the servers */
        if (now_us() - last > 60e6) {
            fprintf(stderr, "bench_notify: no answer for 60 s, %u of %u answered\n", answered, total);
            return -1;
        }
    }
    *secs = (now_us() - t0) / 1e6;
    return 0;
}

/* Decode "nb-R-P" (or "bl-R-P" for the baseline) anywhere in the stanza. */
static int decode(xmpp_ctx_t *ctx, xmpp_stanza_t *m, const char *tag, unsigned *round, unsigned *p, size_t *size)
{
    char *text = NULL, *at;
    size_t len = 0;
    int ok = 0;
    if (xmpp_stanza_to_text(m, &text, &len) != 0 || !text)
        return 0;
    *size = len;
    at = strstr(text, tag);
    ok = at && sscanf(at + strlen(tag), "%u-%u", round, p) == 2;
    xmpp_free(ctx, text);
    return ok;
}

/* Take every headline the watchers have received, counting each notification (or baseline
 * message, tag "bl-") of the round once. */
static void collect(bench_t *b, const char *tag, unsigned round, unsigned *got)
{
    for (unsigned w = 0; w < b->nw; w++) {
        xmpp_stanza_t *m;
        pwt_client_poll(b->watch[w]);
        while ((m = pwt_client_wait(b->watch[w], match_headline, NULL, 0)) != NULL) {
            double t = now_us();
            unsigned r, p;
            size_t size;
            if (!decode(pwt_client_ctx(b->watch[w]), m, tag, &r, &p, &size) || r != round || p >= b->np) {
                b->stray++;
            } else {
                size_t k = ((size_t)r * b->np + p) * b->nw + w;
                if (b->seen[k]) {
                    b->dup++;
                } else {
                    b->seen[k] = 1;
                    b->lat[b->nlat++] = (t - b->sent_us[(size_t)r * b->np + p]) / 1e3;
                    (*got)++;
                    if (!b->sizes[tag[0] == 'b'])
                        b->sizes[tag[0] == 'b'] = size;
                }
            }
            xmpp_stanza_release(m);
        }
    }
}

typedef struct result {
    double rate, p50, p99, secs;
    unsigned expected, received, dup, stray;
} result_t;

/* Phase 2 (baseline = 0) or the baseline (1): ROUNDS rounds of every presentity's change. */
static void run_rounds(bench_t *b, int baseline, result_t *res)
{
    const char *tag = baseline ? "bl-" : "nb-";
    unsigned per_round = b->np * b->nw;
    double busy = 0, prev = 0;
    char status[32], *body = NULL, xml[8192];
    size_t pad = b->sizes[0] > 160 ? b->sizes[0] - 160 : 1; /* what the servers and tags add */

    memset(b->seen, 0, (size_t)b->rounds * per_round);
    b->nlat = 0;
    b->dup = b->stray = 0;
    if (baseline && (body = malloc(pad + 1)) != NULL) {
        memset(body, 'x', pad);
        body[pad] = '\0';
    }
    memset(res, 0, sizeof *res);
    for (unsigned r = 0; r < b->rounds; r++) {
        unsigned got = 0, late = 0;
        double start, last;
        while (prev && now_us() - prev < ROUND_GAP_MS * 1e3) {
            collect(b, tag, r - 1, &late); /* the previous round's stragglers */
            pwt_sleep_ms(1);
        }
        res->received += late;
        start = now_us();
        for (unsigned p = 0; p < b->np; p++) {
            snprintf(status, sizeof status, "%s%u-%u", tag, r, p);
            b->sent_us[(size_t)r * b->np + p] = now_us();
            if (!baseline) {
                pwt_client_presence(b->pres[p], r % 2 ? "dnd" : "away", status, 1);
                continue;
            }
            for (unsigned w = 0; w < b->nw; w++) {
                char user[16];
                snprintf(xml, sizeof xml, "<message type='headline' to='%s@opa.example'><body>%s %s</body></message>",
                         pwt_trial_crowd_user(PWT_OPA, w, user, sizeof user), status, body ? body : "");
                pwt_client_send_xml(b->pres[p], xml);
            }
        }
        last = now_us();
        while (got < per_round && now_us() - last < ROUND_TIMEOUT_MS * 1e3) {
            unsigned before = got;
            collect(b, tag, r, &got);
            if (got != before)
                last = now_us();
            else
                pwt_sleep_ms(1); /* leave the machine's two cores to the servers meanwhile */
            for (unsigned p = 0; p < b->np; p++)
                pwt_client_poll(b->pres[p]); /* keep their streams read */
        }
        busy += (got ? last : now_us()) - start;
        res->received += got;
        prev = now_us();
    }
    res->expected = b->rounds * per_round;
    res->dup = b->dup;
    res->stray = b->stray;
    res->secs = busy / 1e6;
    res->rate = busy > 0 ? res->received / (busy / 1e6) : 0;
    pwt_percentiles(b->lat, b->nlat, &res->p50, &res->p99);
    if (res->received < res->expected) { /* name the first few missing */
        unsigned shown = 0;
        for (size_t k = 0; k < (size_t)res->expected && shown < 5; k++) {
            if (!b->seen[k]) {
                size_t w = k % b->nw, rp = k / b->nw;
                fprintf(stderr, "bench_notify: %s missing: round %zu, presentity %zu -> watcher %zu\n",
                        baseline ? "baseline" : "notification", rp / b->np, rp % b->np, w);
                shown++;
            }
        }
    }
    free(body);
}

static void print_row(const char *path, const result_t *r)
{
    printf("  %-46s %8.0f %9.2f %9.2f %9u %9u %7u\n", path, r->rate, r->p50, r->p99, r->expected,
           r->received, r->dup);
}

int main(int argc, char **argv)
{
    unsigned subs = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10000;
    unsigned np = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100;
    unsigned rounds = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 3;
    pwt_trial_opts_t o = { .log_level = "info" };
    bench_t b = { 0 };
    result_t note, base;
    unsigned refused = 0;
    double create_secs = 0;
    int rc = 1;

    if (np == 0 || subs % np != 0 || subs / np > PWT_TRIAL_CROWD_MAX || np > PWT_TRIAL_CROWD_MAX ||
        rounds == 0) {
        fprintf(stderr, "usage: %s [SUBSCRIPTIONS [PRESENTITIES [ROUNDS]]] (defaults 10000 100 3;\n"
                        "  SUBSCRIPTIONS a multiple of PRESENTITIES, at most %u of each side)\n",
                argv[0], PWT_TRIAL_CROWD_MAX);
        return 2;
    }
    b.np = np;
    b.nw = subs / np;
    b.rounds = rounds;
    o.crowd = b.np > b.nw ? b.np : b.nw;
    b.pres = calloc(b.np, sizeof *b.pres);
    b.watch = calloc(b.nw, sizeof *b.watch);
    b.pres_number = calloc(b.np, sizeof *b.pres_number);
    b.sent_us = calloc((size_t)rounds * b.np, sizeof *b.sent_us);
    b.seen = calloc((size_t)rounds * subs, 1);
    b.lat = calloc((size_t)rounds * subs, sizeof *b.lat);
    if (!b.pres || !b.watch || !b.pres_number || !b.sent_us || !b.seen || !b.lat)
        goto done;
    printf("bench_notify: starting the two-operator trial with a crowd of %u a side...\n", o.crowd);
    fflush(stdout);
    if (pwt_trial_start(&b.trial, &o) != PW_OK)
        goto done;
    for (unsigned p = 0; p < b.np; p++) {
        char user[16];
        pwt_trial_crowd_number(PWT_OPB, p, b.pres_number[p], sizeof b.pres_number[p]);
        if (pwt_trial_login(b.trial, pwt_trial_crowd_user(PWT_OPB, p, user, sizeof user), &b.pres[p]) != PW_OK ||
            pwt_client_presence(b.pres[p], NULL, "start", 1) != PW_OK) {
            fprintf(stderr, "bench_notify: presentity %s cannot log in\n", user);
            goto done;
        }
    }
    for (unsigned w = 0; w < b.nw; w++) {
        char user[16];
        if (pwt_trial_login(b.trial, pwt_trial_crowd_user(PWT_OPA, w, user, sizeof user), &b.watch[w]) != PW_OK ||
            pwt_client_presence(b.watch[w], NULL, NULL, 0) != PW_OK) {
            fprintf(stderr, "bench_notify: watcher %s cannot log in\n", user);
            goto done;
        }
    }
    printf("bench_notify: %u presentities on B, %u watchers on A logged in; subscribing...\n", b.np, b.nw);
    fflush(stdout);
    if (subscribe_all(&b, &refused, &create_secs) != 0)
        goto done;
    printf("bench_notify: %u subscriptions (kind changes) in %.1f s = %.0f/s, %u refused\n", subs,
           create_secs, subs / create_secs, refused);
    fflush(stdout);
    for (unsigned i = 0; i < 20; i++) { /* whatever the subscriptions brought; not counted */
        for (unsigned w = 0; w < b.nw; w++) {
            xmpp_stanza_t *m;
            pwt_client_poll(b.watch[w]);
            while ((m = pwt_client_wait(b.watch[w], NULL, NULL, 0)) != NULL)
                xmpp_stanza_release(m);
        }
        pwt_sleep_ms(100);
    }
    run_rounds(&b, 0, &note);
    printf("bench_notify: notifications: %u expected, %u received in %.1f s, %u duplicated, %u other headlines\n",
           note.expected, note.received, note.secs, note.dup, note.stray);
    run_rounds(&b, 1, &base);
    printf("bench_notify: baseline: %u expected, %u received in %.1f s, %u duplicated, %u other headlines\n",
           base.expected, base.received, base.secs, base.dup, base.stray);
    printf("bench_notify: %u subscriptions on %u presentities (B) from %u watchers (A), %u rounds, "
           "notification %zu bytes (baseline message %zu), one machine\n", subs, b.np, b.nw, rounds,
           b.sizes[0], b.sizes[1]);
    printf("  %-46s %8s %9s %9s %9s %9s %7s\n", "path", "msg/s", "p50 ms", "p99 ms", "expected",
           "received", "dupl.");
    print_row("baseline: headlines client->client, same servers", &base);
    print_row("notifications: presence -> PS -> GW -> proxy -> WA", &note);
    printf("  subscriptions created: %.0f/s (%u in %.1f s, %u refused)\n", subs / create_secs, subs,
           create_secs, refused);
    printf("  ratio notifications/baseline throughput: %.2f\n", base.rate > 0 ? note.rate / base.rate : 0);
    rc = 0;
done:
    for (unsigned w = 0; b.watch && w < b.nw; w++)
        pwt_client_destroy(b.watch[w]);
    for (unsigned p = 0; b.pres && p < b.np; p++)
        pwt_client_destroy(b.pres[p]);
    pwt_trial_destroy(b.trial);
    free(b.pres);
    free(b.watch);
    free(b.pres_number);
    free(b.sent_us);
    free(b.seen);
    free(b.lat);
    return rc;
}
