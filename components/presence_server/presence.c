/* presence.c: the Presence Server: XEP-0356 privileges and presences, enquiry authorization against the
 * presentity's roster (RFC 6121 §2), approval requests, and charging with group commit before the answer.
 *
 * Implements docs/protocol.md §2.4-2.5 and §5.1 (changes, next and stop enquiries; the
 * subscriptions themselves live in subscriptions.c, pw_subs.h); XEP-0356 (Privileged Entity) §4.2
 * (advertised permissions, urn:xmpp:privilege:1 and :2), §5 (roster get) and §7 (managed
 * entity presence); RFC 6121 §2.1.2.5 (roster item subscription states).
 *
 * Each enquiry runs through one pipeline (ps_job_t):
 *   accept (sender, parse) -> authorize (roster get) -> decide (answer or error)
 *   -> charge (append a record) -> commit hook (group commit) -> answer.
 * changes/next create their subscription in the decide step (journaled: the answer waits for
 * the journal's commit too); stop ends subscriptions without a roster read; the presentity
 * table (pw_ptable.h) reports aggregate changes, which fan out as notifications.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charging/pw_cdr.h"
#include "chain/pw_enquiry.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "core/pw_map.h"
#include "pw_presence.h"
#include "pw_subs.h"
#include "pw_watchers.h"

#define NS_PRIV1 "urn:xmpp:privilege:1"
#define NS_PRIV2 "urn:xmpp:privilege:2"
#define NS_ROSTER "jabber:iq:roster"

#define PS_MAX_SERVERS 64              /* server domains whose privileges are remembered */
#define PS_TEXT_MAX 512                /* an error <text/> */
#define PS_CDR_PROBE_MS 1000u          /* in error, probe the disk at most this often */
#define PS_APPROVAL_PURGE_MS 1000u     /* a full approval table is swept at most this often */
#define PS_KEY_MAX (PW_JID_MAX + PW_MSISDN_MAX + 2)

const pw_config_option_t pw_presence_options[] = {
    PW_CONFIG_COMMON_OPTIONS(pw_presence_settings_t, common),
    { "presence", "gateway", PW_OPT_JID, 1, 2047, NULL,
      "the operator's gateway: the only sender of enquiries (others: forbidden)",
      offsetof(pw_presence_settings_t, gateway) },
    { "presence", "watcher", PW_OPT_DOMAIN, 1, 253, NULL,
      "the own Watcher Application's domain: contact JIDs <msisdn>@<watcher>, approval requests",
      offsetof(pw_presence_settings_t, watcher) },
    { "presence", "network", PW_OPT_DOMAIN, 1, 253, NULL,
      "the own operator network, written as serving network in charge records",
      offsetof(pw_presence_settings_t, network) },
    { "presence", "approval_interval", PW_OPT_DURATION, 1000, 2592000000, "1d",
      "ask a presentity to approve a given watcher at most once per this interval",
      offsetof(pw_presence_settings_t, approval_interval_ms) },
    { "presence", "max_approvals", PW_OPT_INT, 1, 100000000, "100000",
      "(presentity, watcher) pairs remembered for approval_interval",
      offsetof(pw_presence_settings_t, max_approvals) },
    { "presence", "max_presentities", PW_OPT_INT, 1, 100000000, "1000000",
      "users with an available resource kept in the presence table",
      offsetof(pw_presence_settings_t, max_presentities) },
    { "presence", "max_resources", PW_OPT_INT, 1, 1024, "16",
      "available resources kept per user (the least recently updated one gives way)",
      offsetof(pw_presence_settings_t, max_resources) },
    { "presence", "max_status", PW_OPT_INT, 1, 1023, "1023",
      "bytes of a <status/> text kept (cut at a character boundary)",
      offsetof(pw_presence_settings_t, max_status) },
    { "presence", "state_dir", PW_OPT_PATH, 1, 4000, NULL,
      "directory of the subscription journal subs-<node>.journal; created if missing",
      offsetof(pw_presence_settings_t, state_dir) },
    { "presence", "max_duration", PW_OPT_DURATION, 1000, 31622400000, "1d",
      "longest 'changes' subscription (longer: bad-request); a 'next' lasts this long at most",
      offsetof(pw_presence_settings_t, max_duration_ms) },
    { "presence", "notify_interval", PW_OPT_DURATION, 10, 3600000, "1s",
      "at most one notification per subscription per interval (the latest state wins)",
      offsetof(pw_presence_settings_t, notify_interval_ms) },
    { "presence", "notify_timeout", PW_OPT_DURATION, 100, 600000, "15s",
      "wait this long for the gateway to acknowledge a notification",
      offsetof(pw_presence_settings_t, notify_timeout_ms) },
    { "presence", "notify_retries", PW_OPT_INT, 0, 100, "3",
      "resend a timed-out notification this many times, then end the subscription",
      offsetof(pw_presence_settings_t, notify_retries) },
    { "presence", "max_subscriptions", PW_OPT_INT, 1, 100000000, "2000000",
      "active subscriptions at most (beyond: resource-constraint)",
      offsetof(pw_presence_settings_t, max_subscriptions) },
    { "charging", "dir", PW_OPT_PATH, 1, 4095, NULL,
      "directory of the charge-record files (docs/charging.md); created if missing",
      offsetof(pw_presence_settings_t, cdr_dir) },
    { "charging", "node", PW_OPT_STRING, 0, 127, "",
      "node id in records and file names ([A-Za-z0-9._-]); empty: the component's JID",
      offsetof(pw_presence_settings_t, cdr_node) },
    { "charging", "rotate_size", PW_OPT_SIZE, 4096, 1073741824, "64M",
      "start a new file before one would exceed this size",
      offsetof(pw_presence_settings_t, cdr_rotate_size) },
    { "charging", "rotate_age", PW_OPT_DURATION, 1000, 604800000, "1h",
      "start a new file when the current one is this old",
      offsetof(pw_presence_settings_t, cdr_rotate_age_ms) },
};

const size_t pw_presence_option_count = sizeof pw_presence_options / sizeof pw_presence_options[0];

/* What the roster says about the watcher. */
typedef enum ps_verdict { PS_NO_ITEM = 0, PS_DECLINED, PS_ALLOWED } ps_verdict_t;

/* One enquiry in progress. */
typedef struct ps_job {
    struct pw_presence *ps;
    xmpp_stanza_t *iq;          /* the request (a reference of our own) */
    pw_enquiry_t e;
    pw_error_t cond;            /* PW_ERR_NONE: answer with the state */
    char text[PS_TEXT_MAX];
    pw_presence_state_t state;
    pw_subs_created_t sub;      /* changes/next: the subscription made (id "" when none) */
    int journaled;              /* the answer also waits for the journal's commit */
    uint64_t seq;               /* the charge record that must be durable first */
    struct ps_job *prev, *next; /* in the authorizing list or the commit queue */
} ps_job_t;

/* An approval request on its way to the WA. */
typedef struct ps_areq {
    struct pw_presence *ps;
    char key[PS_KEY_MAX];
    struct ps_areq *prev, *next;
} ps_areq_t;

typedef struct ps_priv {
    unsigned bits;
    unsigned version;
} ps_priv_t;

struct pw_presence {
    pw_component_t *c;
    const pw_presence_settings_t *s;
    pw_ptable_t *table;
    pw_subs_t *subs;
    pw_watchers_t *watchers;
    pw_map_t *privs;             /* server domain -> ps_priv_t */
    pw_map_t *approvals;         /* approval key -> uint64_t (loop ms of the last request) */
    uint64_t approvals_swept_ms;
    pw_cdr_writer_t *cdr;
    uint64_t cdr_probe_ms;
    int cdr_probed;
    pw_cdr_record_t rec;         /* scratch (large) */
    ps_job_t *authorizing;       /* jobs awaiting the roster (doubly linked) */
    ps_job_t *queue, *queue_tail;/* jobs awaiting the commit, in order */
    ps_areq_t *areqs;            /* approval IQs in flight */
    size_t in_progress;
    int hooked;
};

/* ------------------------------------------------------------------ small helpers */

/* pw_map_foreach() callback: remove and free every value of the map given as arg. */
static int drop_cb(const char *key, void *value, void *arg)
{
    pw_map_remove(arg, key);
    free(value);
    return 0;
}

static void list_push(ps_job_t **head, ps_job_t *j)
{
    j->prev = NULL;
    j->next = *head;
    if (*head)
        (*head)->prev = j;
    *head = j;
}

static void list_unlink(ps_job_t **head, ps_job_t *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else if (*head == j)
        *head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
}

static void job_free(ps_job_t *j)
{
    if (!j)
        return;
    if (j->ps)
        j->ps->in_progress--;
    if (j->iq)
        xmpp_stanza_release(j->iq);
    free(j);
}

static void set_outcome(ps_job_t *j, pw_error_t cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_outcome(ps_job_t *j, pw_error_t cond, const char *fmt, ...)
{
    va_list ap;
    j->cond = cond;
    va_start(ap, fmt);
    vsnprintf(j->text, sizeof j->text, fmt, ap);
    va_end(ap);
}

/* ASCII-fold a JID into out. */
static void fold(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

/* Same bare JID? Domains compare case-insensitively (pw_jid_split lower-cases them);
 * localparts too in ASCII, as servers store roster JIDs case-mapped (RFC 7622 §3.3). */
static int same_bare(const char *a, const char *b)
{
    char la[PW_JID_PART_MAX + 1], da[PW_JID_PART_MAX + 1];
    char lb[PW_JID_PART_MAX + 1], db[PW_JID_PART_MAX + 1];
    if (!a || !b || !*b)
        return 0;
    if (pw_jid_split(a, la, sizeof la, da, sizeof da, NULL, 0) != PW_OK ||
        pw_jid_split(b, lb, sizeof lb, db, sizeof db, NULL, 0) != PW_OK)
        return 0;
    return strcasecmp(la, lb) == 0 && strcmp(da, db) == 0;
}

/* How the presentity is named in texts that leave the operator: as the watcher addressed it. */
static const char *presentity_label(const pw_enquiry_t *e)
{
    return e->presentity[0] ? e->presentity : e->presentity_jid;
}

/* ------------------------------------------------------------------ answering */

static void send_answer(pw_presence_t *ps, ps_job_t *j)
{
    xmpp_ctx_t *ctx = pw_component_ctx(ps->c);
    xmpp_stanza_t *payload = NULL, *state = NULL, *sub;
    char expires[PW_CDR_TIME_TEXT];

    if (j->cond != PW_ERR_NONE) {
        pw_component_reply_error(ps->c, j->iq, j->cond, j->text);
        return;
    }
    payload = xmpp_stanza_new(ctx);
    state = j->e.kind == PW_KIND_STOP ? NULL : pw_state_build(ctx, &j->state);
    if (!payload || (!state && j->e.kind != PW_KIND_STOP)) {
        pw_component_reply_error(ps->c, j->iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        goto done;
    }
    xmpp_stanza_set_name(payload, "enquiry");
    xmpp_stanza_set_ns(payload, PW_NS_CHAIN);
    xmpp_stanza_set_attribute(payload, "ref", j->e.ref);
    xmpp_stanza_set_attribute(payload, "kind", pw_enquiry_kind_name(j->e.kind));
    if (state)
        xmpp_stanza_add_child(payload, state);
    if (j->sub.id[0]) {
        /* docs/protocol.md §5.1 */
        sub = pw_stanza_add_child(payload, "subscription", PW_NS);
        if (sub) {
            pw_cdr_time_format(j->sub.expires_ms, expires);
            xmpp_stanza_set_attribute(sub, "id", j->sub.id);
            xmpp_stanza_set_attribute(sub, "expires", expires);
        }
    }
    pw_component_reply_payload(ps->c, j->iq, payload);
    pw_debug(j->e.ref, "answered %s: available=%d show='%s'", presentity_label(&j->e),
             j->state.available, j->state.show);
done:
    if (state)
        xmpp_stanza_release(state);
    if (payload)
        xmpp_stanza_release(payload);
}

static void refuse_uncharged(pw_presence_t *ps, ps_job_t *j)
{
    pw_component_reply_error(ps->c, j->iq, PW_ERR_INTERNAL_SERVER_ERROR,
                             "charging is unavailable; try again later");
}

/* ------------------------------------------------------------------ charging */

static pw_cdr_kind_t cdr_kind(pw_enquiry_kind_t k)
{
    switch (k) {
    case PW_KIND_CHANGES: return PW_CDR_KIND_CHANGES;
    case PW_KIND_NEXT: return PW_CDR_KIND_NEXT;
    case PW_KIND_STOP: return PW_CDR_KIND_STOP;
    case PW_KIND_CURRENT:
    default: return PW_CDR_KIND_CURRENT;
    }
}

#define PS_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

/* Append the job's record and queue its answer for the commit hook; refuse when the writer
 * cannot take it. Takes the job. */
static void charge(pw_presence_t *ps, ps_job_t *j)
{
    pw_cdr_record_t *r = &ps->rec;
    pw_status_t rc;
    uint64_t seq = 0;

    memset(r, 0, sizeof *r);
    r->kind = cdr_kind(j->e.kind);
    PS_COPY(r->outcome, j->cond == PW_ERR_NONE ? "ok" : pw_error_name(j->cond));
    PS_COPY(r->enquiry_ref, j->e.ref);
    PS_COPY(r->peer, j->e.watcher_network);
    PS_COPY(r->charged_network, j->e.watcher_network);
    PS_COPY(r->serving_network, ps->s->network);
    PS_COPY(r->watcher_msisdn, j->e.watcher_msisdn);
    PS_COPY(r->watcher_jid, j->e.watcher_jid);
    PS_COPY(r->presentity_msisdn, j->e.presentity);
    PS_COPY(r->presentity_jid, j->e.presentity_jid);
    PS_COPY(r->subscription_id, j->sub.id[0] ? j->sub.id : j->e.subscription);
    r->duration_s = j->e.duration_s;

    rc = pw_cdr_writer_append(ps->cdr, r, &seq);
    if (rc == PW_EIO) {
        /* in error: probe the disk now and then; a successful commit leaves the error */
        uint64_t now = pw_loop_now(pw_component_loop(ps->c));
        if (!ps->cdr_probed || now - ps->cdr_probe_ms >= PS_CDR_PROBE_MS) {
            ps->cdr_probed = 1;
            ps->cdr_probe_ms = now;
            if (pw_cdr_writer_commit(ps->cdr) == PW_OK)
                rc = pw_cdr_writer_append(ps->cdr, r, &seq);
        }
    }
    if (rc == PW_EEXIST)
        pw_info(j->e.ref, "retried enquiry from %s: answered again, no second charge record",
                j->e.watcher_network);
    if (rc != PW_OK && rc != PW_EEXIST) {
        pw_error(j->e.ref, "no charge record (%s): refusing the enquiry", pw_strerror(rc));
        if (j->sub.id[0])
            pw_subs_abort(ps->subs, j->sub.id);
        refuse_uncharged(ps, j);
        job_free(j);
        return;
    }
    j->seq = seq;
    j->prev = NULL;
    j->next = NULL;
    if (ps->queue_tail)
        ps->queue_tail->next = j;
    else
        ps->queue = j;
    ps->queue_tail = j;
}

/* Once per loop iteration: make the queued records durable with one commit, then answer. */
static void commit_hook(pw_loop_t *loop, void *arg)
{
    pw_presence_t *ps = arg;
    ps_job_t *j, *next;
    uint64_t durable;
    int journal_ok;
    (void)loop;

    if ((ps->queue || pw_cdr_writer_pending(ps->cdr)) && pw_cdr_writer_commit(ps->cdr) != PW_OK)
        pw_error(NULL, "charge records could not be committed: refusing the enquiries waiting for them");
    journal_ok = pw_subs_commit(ps->subs) == PW_OK;
    if (!journal_ok)
        pw_error(NULL, "the subscription journal could not be committed");
    durable = pw_cdr_writer_committed_seq(ps->cdr);
    j = ps->queue;
    ps->queue = ps->queue_tail = NULL;
    for (; j; j = next) {
        next = j->next;
        if (j->seq != 0 && j->seq <= durable && (journal_ok || !j->journaled)) {
            send_answer(ps, j);
        } else {
            if (j->sub.id[0])
                pw_subs_abort(ps->subs, j->sub.id); /* never acknowledged */
            refuse_uncharged(ps, j);
        }
        job_free(j);
    }
    /* notifications whose numbers are now journaled; after the answers that created them */
    pw_subs_flush(ps->subs);
}

/* ------------------------------------------------------------------ approval requests */

static int sweep_cb(const char *key, void *value, void *arg)
{
    pw_presence_t *ps = arg;
    uint64_t now = pw_loop_now(pw_component_loop(ps->c));
    uint64_t *sent = value;
    if (now - *sent >= (uint64_t)ps->s->approval_interval_ms) {
        pw_map_remove(ps->approvals, key);
        free(sent);
    }
    return 0;
}

/* Record that the pair is being asked now, unless it was asked within the interval. */
static int approval_due(pw_presence_t *ps, const char *key)
{
    uint64_t now = pw_loop_now(pw_component_loop(ps->c));
    uint64_t *sent = pw_map_get(ps->approvals, key);

    if (sent) {
        if (now - *sent < (uint64_t)ps->s->approval_interval_ms)
            return 0;
        *sent = now;
        return 1;
    }
    if (pw_map_count(ps->approvals) >= (size_t)ps->s->max_approvals &&
        now - ps->approvals_swept_ms >= PS_APPROVAL_PURGE_MS) {
        ps->approvals_swept_ms = now;
        pw_map_foreach(ps->approvals, sweep_cb, ps);
    }
    if (pw_map_count(ps->approvals) >= (size_t)ps->s->max_approvals) {
        pw_warn(NULL, "approval table full (%lld pairs): not asking now",
                (long long)ps->s->max_approvals);
        return 0;
    }
    sent = malloc(sizeof *sent);
    if (!sent)
        return 0;
    *sent = now;
    if (pw_map_put(ps->approvals, key, sent, NULL) != PW_OK) {
        free(sent);
        return 0;
    }
    return 1;
}

static void areq_unlink(pw_presence_t *ps, ps_areq_t *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else if (ps->areqs == a)
        ps->areqs = a->next;
    if (a->next)
        a->next->prev = a->prev;
}

static void on_approval_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                               void *arg)
{
    ps_areq_t *a = arg;
    pw_presence_t *ps = a->ps;
    char text[PS_TEXT_MAX];
    (void)c;

    areq_unlink(ps, a);
    if (outcome == PW_IQ_ERROR || outcome == PW_IQ_TIMEOUT) {
        /* not delivered: let the next enquiry ask again */
        free(pw_map_remove(ps->approvals, a->key));
        text[0] = '\0';
        if (response)
            pw_stanza_error_parse(response, text, sizeof text);
        pw_warn(NULL, "approval request to %s failed (%s%s%s); it will be retried",
                ps->s->watcher, outcome == PW_IQ_TIMEOUT ? "timeout" : "error",
                text[0] ? ": " : "", text);
    }
    free(a);
}

/* docs/protocol.md §2.5: ask the own WA to send the presentity a subscription request. */
static void request_approval(pw_presence_t *ps, const pw_enquiry_t *e)
{
    xmpp_ctx_t *ctx = pw_component_ctx(ps->c);
    xmpp_stanza_t *iq = NULL, *el;
    ps_areq_t *a = NULL;
    char key[PS_KEY_MAX], bare[PW_JID_MAX + 1];

    fold(e->presentity_jid, bare, sizeof bare);
    snprintf(key, sizeof key, "%s %s", bare, e->watcher_msisdn);
    if (!approval_due(ps, key)) {
        pw_debug(e->ref, "approval of %s for %s already requested", bare, e->watcher_msisdn);
        return;
    }
    a = calloc(1, sizeof *a);
    iq = xmpp_iq_new(ctx, "set", NULL);
    if (!a || !iq)
        goto fail;
    a->ps = ps;
    memcpy(a->key, key, sizeof key);
    xmpp_stanza_set_to(iq, ps->s->watcher);
    el = pw_stanza_add_child(iq, "approval", PW_NS_CHAIN);
    if (!el)
        goto fail;
    xmpp_stanza_set_attribute(el, "presentity", bare);
    xmpp_stanza_set_attribute(el, "watcher-msisdn", e->watcher_msisdn);
    xmpp_stanza_set_attribute(el, "watcher-jid", e->watcher_jid);
    a->next = ps->areqs;
    if (ps->areqs)
        ps->areqs->prev = a;
    ps->areqs = a;
    if (pw_component_send_iq(ps->c, iq, 0, on_approval_answer, a) != PW_OK) {
        areq_unlink(ps, a);
        goto fail;
    }
    pw_info(e->ref, "asked %s to approve %s", bare, e->watcher_msisdn);
    xmpp_stanza_release(iq);
    return;
fail:
    pw_warn(e->ref, "could not send the approval request for %s", bare);
    free(pw_map_remove(ps->approvals, key));
    free(a);
    if (iq)
        xmpp_stanza_release(iq);
}

/* ------------------------------------------------------------------ authorization */

/* docs/protocol.md §2.4: the watcher's item in the roster (contact JID or bare JID). */
static ps_verdict_t roster_verdict(pw_presence_t *ps, const pw_enquiry_t *e, xmpp_stanza_t *response)
{
    xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(response, NS_ROSTER);
    char contact[PW_JID_MAX + 1];
    ps_verdict_t v = PS_NO_ITEM;

    snprintf(contact, sizeof contact, "%s@%s", e->watcher_msisdn, ps->s->watcher);
    if (!query)
        return PS_NO_ITEM;
    for (xmpp_stanza_t *it = xmpp_stanza_get_children(query); it; it = xmpp_stanza_get_next(it)) {
        const char *jid, *sub, *name = xmpp_stanza_get_name(it);
        if (!xmpp_stanza_is_tag(it) || !name || strcmp(name, "item") != 0)
            continue;
        jid = xmpp_stanza_get_attribute(it, "jid");
        if (!jid || (!same_bare(jid, contact) && !same_bare(jid, e->watcher_jid)))
            continue;
        sub = xmpp_stanza_get_attribute(it, "subscription");
        if (sub && (strcmp(sub, "from") == 0 || strcmp(sub, "both") == 0))
            return PS_ALLOWED;
        v = PS_DECLINED; /* none, to (or absent: none); another matching item may still allow */
    }
    return v;
}

/* docs/protocol.md §5.1: the authorized watcher's subscription (the answer waits for the journal). */
static void subscribe(pw_presence_t *ps, ps_job_t *j)
{
    pw_status_t rc = pw_subs_subscribe(ps->subs, &j->e, xmpp_stanza_get_from(j->iq), &j->state, &j->sub);
    if (rc == PW_OK) {
        j->journaled = 1;
        pw_info(j->e.ref, "subscription %s (%s) of %s on %s until %llu", j->sub.id,
                pw_enquiry_kind_name(j->e.kind), j->e.watcher_msisdn, j->e.presentity_jid,
                (unsigned long long)j->sub.expires_ms);
        return;
    }
    j->sub.id[0] = '\0';
    if (rc == PW_EFULL)
        set_outcome(j, PW_ERR_RESOURCE_CONSTRAINT, "the presence server holds its maximum of %lld subscriptions",
                    (long long)ps->s->max_subscriptions);
    else if (rc == PW_ERANGE)
        set_outcome(j, PW_ERR_BAD_REQUEST, "the addresses are too long to keep a subscription");
    else
        set_outcome(j, PW_ERR_INTERNAL_SERVER_ERROR, "the subscription could not be created");
}

static void on_roster(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    ps_job_t *j = arg;
    pw_presence_t *ps = j->ps;
    const pw_enquiry_t *e = &j->e;
    char text[PS_TEXT_MAX];
    (void)c;

    list_unlink(&ps->authorizing, j);
    switch (outcome) {
    case PW_IQ_CANCELLED:
        job_free(j); /* the server is being torn down */
        return;
    case PW_IQ_TIMEOUT:
        set_outcome(j, PW_ERR_REMOTE_SERVER_TIMEOUT,
                    "could not read the presentity's contact list in time");
        break;
    case PW_IQ_ERROR:
        pw_warn(e->ref, "roster read of %s refused by the server: %s (%s)", e->presentity_jid,
                pw_error_name(pw_stanza_error_parse(response, text, sizeof text)), text);
        set_outcome(j, PW_ERR_INTERNAL_SERVER_ERROR,
                    "the presence server could not read the presentity's contact list");
        break;
    case PW_IQ_RESULT:
    default:
        switch (roster_verdict(ps, e, response)) {
        case PS_ALLOWED:
            j->cond = PW_ERR_NONE;
            pw_ptable_state(ps->table, e->presentity_jid, &j->state);
            if (e->kind == PW_KIND_CHANGES || e->kind == PW_KIND_NEXT)
                subscribe(ps, j);
            break;
        case PS_DECLINED:
            set_outcome(j, PW_ERR_FORBIDDEN, "%s has declined to share presence with %s",
                        presentity_label(e), e->watcher_msisdn);
            break;
        case PS_NO_ITEM:
        default:
            set_outcome(j, PW_ERR_SUBSCRIPTION_REQUIRED,
                        "%s has not yet approved %s; approval has been requested",
                        presentity_label(e), e->watcher_msisdn);
            request_approval(ps, e);
            break;
        }
        break;
    }
    charge(ps, j);
}

/* XEP-0356 §5: read the presentity's roster through the server. Takes the job. */
static void authorize(pw_presence_t *ps, ps_job_t *j)
{
    xmpp_stanza_t *iq = xmpp_iq_new(pw_component_ctx(ps->c), "get", NULL);
    char to[PW_JID_MAX + 1];

    if (!iq || !pw_stanza_add_child(iq, "query", NS_ROSTER))
        goto fail;
    fold(j->e.presentity_jid, to, sizeof to);
    xmpp_stanza_set_to(iq, to);
    list_push(&ps->authorizing, j);
    if (pw_component_send_iq(ps->c, iq, 0, on_roster, j) != PW_OK) {
        list_unlink(&ps->authorizing, j);
        goto fail;
    }
    xmpp_stanza_release(iq);
    return;
fail:
    if (iq)
        xmpp_stanza_release(iq);
    set_outcome(j, PW_ERR_INTERNAL_SERVER_ERROR,
                "the presence server could not read the presentity's contact list");
    charge(ps, j);
}

/* ------------------------------------------------------------------ handlers */

static int from_gateway(const pw_presence_t *ps, const char *from)
{
    char bare[PW_JID_MAX + 1], gw[PW_JID_MAX + 1];
    if (!from || pw_jid_bare(from, bare, sizeof bare) != PW_OK ||
        pw_jid_bare(ps->s->gateway, gw, sizeof gw) != PW_OK)
        return 0;
    return strcasecmp(bare, gw) == 0;
}

/* docs/protocol.md §2.3-2.4: an enquiry from the gateway. */
static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_presence_t *ps = arg;
    ps_job_t *j = NULL;
    pw_error_t cond = PW_ERR_NONE;
    char why[PS_TEXT_MAX];

    if (!from_gateway(ps, xmpp_stanza_get_from(iq))) {
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN,
                                 "only this operator's gateway may send enquiries to its presence server");
        return;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    if (pw_enquiry_parse(payload, &j->e, &cond, why, sizeof why) != PW_OK) {
        pw_component_reply_error(c, iq, cond, why);
        free(j);
        return;
    }
    if (!j->e.presentity_jid[0]) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "'presentity-jid' is required (the gateway adds it)");
        free(j);
        return;
    }
    if ((j->e.kind == PW_KIND_CHANGES || j->e.kind == PW_KIND_NEXT) && !j->e.proxy[0]) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "'proxy' is required for subscriptions (the gateway adds it)");
        free(j);
        return;
    }
    if (j->e.kind == PW_KIND_CHANGES && (int64_t)j->e.duration_s * 1000 > ps->s->max_duration_ms) {
        snprintf(why, sizeof why, "'duration' must not exceed %lld seconds on this presence server",
                 (long long)(ps->s->max_duration_ms / 1000));
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        free(j);
        return;
    }
    j->ps = ps;
    j->iq = xmpp_stanza_clone(iq);
    ps->in_progress++;
    pw_debug(j->e.ref, "enquiry %s about %s from %s (%s)", pw_enquiry_kind_name(j->e.kind),
             j->e.presentity_jid, j->e.watcher_msisdn, j->e.watcher_network);
    if (j->e.kind == PW_KIND_STOP) {
        /* docs/protocol.md §5.1: no roster read; the answer waits for the end records and
         * the journal */
        size_t n = pw_subs_stop(ps->subs, &j->e);
        pw_info(j->e.ref, "stop from %s on %s: %zu subscription(s) ended", j->e.watcher_jid,
                j->e.presentity_jid, n);
        j->cond = PW_ERR_NONE;
        j->journaled = 1;
        charge(ps, j);
        return;
    }
    authorize(ps, j);
}

/* After destroy: the component may still route an enquiry before it goes away. */
static void on_enquiry_closed(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    (void)payload;
    (void)arg;
    pw_component_reply_error(c, iq, PW_ERR_SERVICE_UNAVAILABLE, "the presence server is stopping");
}

/* XEP-0356 §4.2: <message from='server'><privilege><perm access=... type=.../></privilege></message>. */
static void on_message(pw_component_t *c, xmpp_stanza_t *msg, void *arg)
{
    pw_presence_t *ps = arg;
    const char *from = xmpp_stanza_get_from(msg), *type = xmpp_stanza_get_type(msg);
    xmpp_stanza_t *priv;
    unsigned version = 2, bits = 0;
    char domain[PW_JID_MAX + 1];
    ps_priv_t *p;
    (void)c;

    priv = xmpp_stanza_get_child_by_ns(msg, NS_PRIV2);
    if (!priv) {
        priv = xmpp_stanza_get_child_by_ns(msg, NS_PRIV1);
        version = 1;
    }
    if (!priv || !xmpp_stanza_get_name(priv) || strcmp(xmpp_stanza_get_name(priv), "privilege") != 0 ||
        (type && strcmp(type, "error") == 0))
        return;
    if (!pw_jid_is_domain(from) || pw_jid_bare(from, domain, sizeof domain) != PW_OK) {
        pw_warn(NULL, "privilege advertisement from '%s' ignored: not a server", from ? from : "");
        return;
    }
    for (xmpp_stanza_t *perm = xmpp_stanza_get_children(priv); perm; perm = xmpp_stanza_get_next(perm)) {
        const char *name = xmpp_stanza_get_name(perm), *access, *ptype;
        if (!xmpp_stanza_is_tag(perm) || !name || strcmp(name, "perm") != 0)
            continue;
        access = xmpp_stanza_get_attribute(perm, "access");
        ptype = xmpp_stanza_get_attribute(perm, "type");
        if (!access || !ptype)
            continue;
        if (strcmp(access, "roster") == 0 && (strcmp(ptype, "get") == 0 || strcmp(ptype, "both") == 0))
            bits |= PW_PRESENCE_PRIV_ROSTER_GET;
        if (strcmp(access, "presence") == 0 &&
            (strcmp(ptype, "managed_entity") == 0 || strcmp(ptype, "roster") == 0))
            bits |= PW_PRESENCE_PRIV_PRESENCE;
    }
    p = pw_map_get(ps->privs, domain);
    if (!p) {
        if (pw_map_count(ps->privs) >= PS_MAX_SERVERS) {
            pw_warn(NULL, "privileges of %s ignored: %d servers already known", domain, PS_MAX_SERVERS);
            return;
        }
        p = calloc(1, sizeof *p);
        if (!p || pw_map_put(ps->privs, domain, p, NULL) != PW_OK) {
            free(p);
            return;
        }
    }
    p->bits = bits;
    p->version = version;
    pw_info(NULL, "%s granted privileges (urn:xmpp:privilege:%u): roster get %s, presence %s", domain,
            version, bits & PW_PRESENCE_PRIV_ROSTER_GET ? "yes" : "NO",
            bits & PW_PRESENCE_PRIV_PRESENCE ? "yes" : "NO");
    if (!(bits & PW_PRESENCE_PRIV_ROSTER_GET))
        pw_warn(NULL, "%s did not grant roster get: enquiries about its users cannot be authorized",
                domain);
    if (!(bits & PW_PRESENCE_PRIV_PRESENCE))
        pw_warn(NULL, "%s did not grant presence: its users will all look unavailable", domain);
}

/* XEP-0356 §7: presences of the server's users, forwarded from their full JIDs. */
static void on_presence(pw_component_t *c, xmpp_stanza_t *pres, void *arg)
{
    pw_presence_t *ps = arg;
    const char *from = xmpp_stanza_get_from(pres);
    char domain[PW_JID_MAX + 1], bare[PW_JID_MAX + 1];
    const ps_priv_t *p;
    pw_status_t rc;
    int changed = 0;
    (void)c;

    if (!from || pw_jid_domain(from, domain, sizeof domain) != PW_OK)
        return;
    p = pw_map_get(ps->privs, domain);
    if (!p || !(p->bits & PW_PRESENCE_PRIV_PRESENCE)) {
        pw_debug(NULL, "presence from %s ignored: %s granted no presence privilege", from, domain);
        return;
    }
    rc = pw_ptable_apply(ps->table, pres, bare, sizeof bare, &changed);
    if (rc == PW_EFULL)
        pw_warn(NULL, "presence table full (%zu users): %s not recorded", pw_ptable_count(ps->table), from);
    else if (rc != PW_OK)
        pw_debug(NULL, "presence from %s ignored: %s", from, pw_strerror(rc));
    else if (changed) {
        pw_debug(NULL, "%s changed state", bare);
        pw_subs_changed(ps->subs, bare);
    }
}

/* Link down: forget presences and privileges; the server advertises both again, with the
 * current presence of every connected user, right after the component reconnects
 * (XEP-0356 §4.2, §7.1), and sends no unavailable presence for users who left meanwhile. */
static void on_link(pw_component_t *c, int online, void *arg)
{
    pw_presence_t *ps = arg;
    size_t forgotten;
    (void)c;
    if (online)
        return;
    forgotten = pw_ptable_clear(ps->table, NULL);
    pw_map_foreach(ps->privs, drop_cb, ps->privs);
    pw_info(NULL, "link down: forgetting %zu users' presences until the server resends them",
            forgotten);
}

/* ------------------------------------------------------------------ life cycle */

pw_status_t pw_presence_check(void *settings, char *why, size_t cap)
{
    const pw_presence_settings_t *s = settings;
    if (s->cdr_node && s->cdr_node[0] && !pw_cdr_node_valid(s->cdr_node)) {
        snprintf(why, cap, "[charging] node: '%s' is not a node id (1..127 of A-Z a-z 0-9 . _ -)",
                 s->cdr_node);
        return PW_ECONFIG;
    }
    if ((!s->cdr_node || !s->cdr_node[0]) && !pw_cdr_node_valid(s->common.jid)) {
        snprintf(why, cap, "[charging] node: the component JID '%s' cannot be a node id; set one",
                 s->common.jid);
        return PW_ECONFIG;
    }
    return PW_OK;
}

/* pw_watchers_t: is domain one of the servers whose users this PS serves? */
static int serves_domain(void *arg, const char *domain)
{
    pw_presence_t *ps = arg;
    return strcasecmp(domain, ps->s->network) == 0 || pw_presence_privileges(ps, domain, NULL) != 0;
}

static void subs_config(const pw_presence_settings_t *s, const char *node, pw_subs_config_t *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->state_dir = s->state_dir;
    sc->node = node;
    sc->network = s->network;
    sc->watcher = s->watcher;
    sc->max_duration_ms = (uint64_t)s->max_duration_ms;
    sc->notify_interval_ms = (uint64_t)s->notify_interval_ms;
    sc->notify_timeout_ms = (uint64_t)s->notify_timeout_ms;
    sc->notify_retries = (unsigned)s->notify_retries;
    sc->max_subscriptions = (size_t)s->max_subscriptions;
    sc->wall_clock = s->wall_clock;
    sc->wall_clock_arg = s->wall_clock_arg;
}

static void table_limits(const pw_presence_settings_t *s, pw_ptable_limits_t *l)
{
    l->max_presentities = (size_t)s->max_presentities;
    l->max_resources = (size_t)s->max_resources;
    l->max_status = (size_t)s->max_status;
}

pw_status_t pw_presence_create(pw_presence_t **out, pw_component_t *c,
                               const pw_presence_settings_t *settings)
{
    pw_presence_t *ps = NULL;
    pw_ptable_limits_t limits;
    pw_cdr_writer_config_t wc;
    pw_subs_config_t sc;
    pw_status_t rc = PW_EINVAL;
    char why[256];

    if (!out || !c || !settings)
        goto done;
    *out = NULL;
    if (pw_presence_check((void *)settings, why, sizeof why) != PW_OK) {
        pw_error(NULL, "%s", why);
        goto done;
    }
    rc = PW_ENOMEM;
    ps = calloc(1, sizeof *ps);
    if (!ps)
        goto done;
    ps->c = c;
    ps->s = settings;
    table_limits(settings, &limits);
    if ((rc = pw_ptable_create(&ps->table, &limits)) != PW_OK ||
        (rc = pw_map_create(&ps->privs)) != PW_OK || (rc = pw_map_create(&ps->approvals)) != PW_OK)
        goto done;
    memset(&wc, 0, sizeof wc);
    wc.dir = settings->cdr_dir;
    wc.node = settings->cdr_node && settings->cdr_node[0] ? settings->cdr_node : pw_component_jid(c);
    wc.max_file_bytes = (uint64_t)settings->cdr_rotate_size;
    wc.max_file_age_ms = (uint64_t)settings->cdr_rotate_age_ms;
    wc.clock = settings->wall_clock;
    wc.clock_arg = settings->wall_clock_arg;
    rc = pw_cdr_writer_create(&ps->cdr, &wc);
    if (rc != PW_OK) {
        pw_error(NULL, "cannot open the charge records in %s (node %s): %s", wc.dir, wc.node,
                 pw_strerror(rc));
        goto done;
    }
    subs_config(settings, wc.node, &sc);
    if ((rc = pw_subs_create(&ps->subs, c, &sc, ps->table, ps->cdr)) != PW_OK)
        goto done;
    if ((rc = pw_loop_hook_add(pw_component_loop(c), commit_hook, ps)) != PW_OK)
        goto done;
    ps->hooked = 1;
    if ((rc = pw_component_on_iq(c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, on_enquiry, ps)) != PW_OK ||
        (rc = pw_component_add_feature(c, PW_NS_CHAIN)) != PW_OK ||
        (rc = pw_watchers_create(&ps->watchers, c, ps->subs, serves_domain, ps)) != PW_OK)
        goto done;
    pw_component_on_message(c, on_message, ps);
    pw_component_on_presence(c, on_presence, ps);
    pw_component_on_link(c, on_link, ps);
    pw_info(NULL, "presence server for %s: enquiries from %s, approvals via %s, charge records in %s, "
            "%zu subscriptions", settings->network, settings->gateway, settings->watcher,
            settings->cdr_dir, pw_subs_count(ps->subs));
    *out = ps;
    ps = NULL;
    rc = PW_OK;
done:
    pw_presence_destroy(ps);
    return rc;
}

pw_status_t pw_presence_reload(pw_presence_t *ps, const pw_presence_settings_t *settings)
{
    pw_ptable_limits_t limits;
    const pw_presence_settings_t *old;
    pw_subs_config_t sc;
    char why[256];
    if (!ps || !settings)
        return PW_EINVAL;
    if (pw_presence_check((void *)settings, why, sizeof why) != PW_OK) {
        pw_error(NULL, "%s", why);
        return PW_EINVAL;
    }
    old = ps->s;
    if (strcmp(old->cdr_dir, settings->cdr_dir) != 0 ||
        strcmp(old->cdr_node ? old->cdr_node : "", settings->cdr_node ? settings->cdr_node : "") != 0 ||
        old->cdr_rotate_size != settings->cdr_rotate_size ||
        old->cdr_rotate_age_ms != settings->cdr_rotate_age_ms)
        pw_warn(NULL, "reload: [charging] changes take effect at the next start");
    if (strcmp(old->state_dir, settings->state_dir) != 0)
        pw_warn(NULL, "reload: [presence] state_dir changes take effect at the next start");
    ps->s = settings;
    subs_config(settings, settings->cdr_node && settings->cdr_node[0] ? settings->cdr_node
                                                                      : pw_component_jid(ps->c), &sc);
    pw_subs_set_config(ps->subs, &sc);
    table_limits(settings, &limits);
    pw_ptable_set_limits(ps->table, &limits);
    return PW_OK;
}

void pw_presence_destroy(pw_presence_t *ps)
{
    ps_job_t *j, *next;
    if (!ps)
        return;
    if (ps->hooked) {
        pw_loop_hook_remove(pw_component_loop(ps->c), commit_hook, ps);
        pw_component_on_iq(ps->c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, on_enquiry_closed, NULL);
        pw_component_on_message(ps->c, NULL, NULL);
        pw_component_on_presence(ps->c, NULL, NULL);
        pw_component_on_link(ps->c, NULL, NULL);
    }
    /* the callbacks of cancelled IQs free their job / request */
    while ((j = ps->authorizing) != NULL) {
        if (pw_component_cancel_iqs(ps->c, j) == 0) {
            list_unlink(&ps->authorizing, j);
            job_free(j);
        }
    }
    while (ps->areqs) {
        ps_areq_t *a = ps->areqs;
        if (pw_component_cancel_iqs(ps->c, a) == 0) {
            areq_unlink(ps, a);
            free(a);
        }
    }
    if (ps->cdr && !ps->queue)
        pw_cdr_writer_commit(ps->cdr); /* end records of this last iteration */
    for (j = ps->queue; j; j = next) {
        next = j->next;
        if (j->sub.id[0])
            pw_subs_abort(ps->subs, j->sub.id); /* never acknowledged */
        job_free(j);
    }
    pw_watchers_destroy(ps->watchers);
    pw_subs_destroy(ps->subs);
    pw_cdr_writer_destroy(ps->cdr);
    if (ps->approvals)
        pw_map_foreach(ps->approvals, drop_cb, ps->approvals);
    pw_map_destroy(ps->approvals);
    if (ps->privs)
        pw_map_foreach(ps->privs, drop_cb, ps->privs);
    pw_map_destroy(ps->privs);
    pw_ptable_destroy(ps->table);
    free(ps);
}

unsigned pw_presence_privileges(const pw_presence_t *ps, const char *domain, unsigned *version)
{
    char key[PW_JID_MAX + 1];
    const ps_priv_t *p;
    if (version)
        *version = 0;
    if (!ps || !domain || pw_jid_bare(domain, key, sizeof key) != PW_OK)
        return 0;
    p = pw_map_get(ps->privs, key);
    if (!p)
        return 0;
    if (version)
        *version = p->version;
    return p->bits;
}

const pw_ptable_t *pw_presence_table(const pw_presence_t *ps)
{
    return ps ? ps->table : NULL;
}

size_t pw_presence_in_progress(const pw_presence_t *ps)
{
    return ps ? ps->in_progress : 0;
}

struct pw_subs *pw_presence_subs(const pw_presence_t *ps)
{
    return ps ? ps->subs : NULL;
}
