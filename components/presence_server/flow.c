/* flow.c: an enquiry's path through the Presence Server, top-down in the order of TS 23.141 A.1 steps 7-10 (and NOTES 1-2) and of the gateway method's steps 7-10a.
 *
 * 7   "Presence query for B" arrives from the own gateway           on_enquiry()
 * 8   process it: B's own roster, read with XEP-0356                authorize(), on_roster()
 *     (no item: an approval request, once per interval, and subscription-required, or
 *      for a 'changes' with await-approval a pending subscription; none/to: forbidden;
 *      from/both: allowed)
 *     NOTE 1: changes/next make a subscription (its notifications: subscriptions.c)
 * 9   raise the charge record against A's network, durable first    charge(), commit_hook()
 * 10  answer with B's state                                         send_answer()
 *     NOTE 2: stop ends the subscriptions; 8-10 are an acknowledgement  stop()
 *
 * Implements docs/protocol.md §2.3-2.4 and §5.1; RFC 6121 §2.1.2.5 (roster item subscription
 * states). Each enquiry is a job in the table of calls in flight (pw_calls) from its arrival
 * until its answer; the answer waits for the group commit of its charge record (and, for
 * changes/next/stop, of the subscription journal).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"
#include "presence_int.h"
#include "roster.h"

#define PS_CDR_PROBE_MS 1000u /* in error, probe the disk at most this often */

/* One enquiry in progress. */
typedef struct ps_job {
    pw_call_t call;             /* first: the table of enquiries in progress; call.req the request */
    struct pw_presence *ps;
    pw_enquiry_t e;
    pw_error_t cond;            /* PW_ERR_NONE: answer with the state */
    char text[PS_TEXT_MAX];
    pw_presence_state_t state;
    pw_subs_created_t sub;      /* changes/next: the subscription made (id "" when none) */
    int pending;                /* the subscription awaits the presentity's decision */
    int journaled;              /* the answer also waits for the journal's commit */
    int queued;                 /* in the commit queue (else awaiting the roster) */
    uint64_t seq;               /* the charge record that must be durable first */
    uint64_t started_ms;        /* when it arrived (loop clock): its latency */
    pw_link_t qlink;            /* in the commit queue */
} ps_job_t;

static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg);
static void authorize(pw_presence_t *ps, ps_job_t *j);
static void on_roster(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg);
static void subscribe(pw_presence_t *ps, ps_job_t *j);
static void charge(pw_presence_t *ps, ps_job_t *j);
static void commit_hook(pw_loop_t *loop, void *arg);
static void send_answer(pw_presence_t *ps, ps_job_t *j);
static void stop(pw_presence_t *ps, ps_job_t *j);

static int from_gateway(const pw_presence_t *ps, const char *from);
static void set_outcome(ps_job_t *j, pw_error_t cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *presentity_label(const pw_enquiry_t *e);
static void refuse_uncharged(ps_job_t *j);
static void count_written(pw_presence_t *ps);
static void job_free(ps_job_t *j);

/* ------------------------------------------------------------------ step 7: the query arrives */

/* TS 23.141 A.1 step 7 / gateway method step 7: B's network's gateway sends "Presence query
 * for B" to B's Presence Server (docs/protocol.md §2.3-2.4). Only that gateway may. */
static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_presence_t *ps = arg;
    ps_job_t *j = NULL;
    pw_error_t cond = PW_ERR_NONE;
    char why[PS_TEXT_MAX];

    if (!from_gateway(ps, xmpp_stanza_get_from(iq))) {
        pw_enquiry_refuse(c, iq, NULL, PW_ERR_FORBIDDEN,
                          "only this operator's gateway may send enquiries to its presence server");
        return;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        pw_enquiry_refuse(c, iq, NULL, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    if (pw_enquiry_parse(payload, &j->e, &cond, why, sizeof why) != PW_OK) {
        pw_enquiry_refuse(c, iq, NULL, cond, why);
        goto refused;
    }
    /* sent to B's_MSISDN@B's_presence_server.Network_of_B (protocol version 1) */
    if (pw_enquiry_address_check(&j->e, xmpp_stanza_get_to(iq), why, sizeof why) != PW_OK) {
        pw_enquiry_refuse(c, iq, &j->e, PW_ERR_BAD_REQUEST, why);
        goto refused;
    }
    if (!j->e.presentity_jid[0]) {
        pw_enquiry_refuse(c, iq, &j->e, PW_ERR_BAD_REQUEST,
                          "'presentity-jid' is required (the gateway adds it)");
        goto refused;
    }
    if ((j->e.kind == PW_KIND_CHANGES || j->e.kind == PW_KIND_NEXT) && !j->e.proxy[0]) {
        pw_enquiry_refuse(c, iq, &j->e, PW_ERR_BAD_REQUEST,
                          "'proxy' is required for subscriptions (the gateway adds it)");
        goto refused;
    }
    if (j->e.kind == PW_KIND_CHANGES && (int64_t)j->e.duration_s * 1000 > ps->s->max_duration_ms) {
        snprintf(why, sizeof why, "'duration' must not exceed %lld seconds on this presence server",
                 (long long)(ps->s->max_duration_ms / 1000));
        pw_enquiry_refuse(c, iq, &j->e, PW_ERR_BAD_REQUEST, why);
        goto refused;
    }
    if (pw_calls_add(ps->calls, &j->call, iq) != PW_OK) {
        pw_enquiry_refuse(c, iq, &j->e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        goto refused;
    }
    j->ps = ps;
    j->started_ms = pw_loop_now(pw_component_loop(c));
    pw_debug(j->e.ref, "enquiry %s about %s from %s (%s)", pw_enquiry_kind_name(j->e.kind),
             j->e.presentity_jid, j->e.watcher_msisdn, j->e.watcher_network);
    if (j->e.kind == PW_KIND_STOP)
        stop(ps, j);
    else
        authorize(ps, j);
    return;
refused:
    free(j);
}

/* ------------------------------------------------------------------ step 8: process the query */

/* TS 23.141 A.1 step 8 / gateway method step 8: "check A is one of B's buddies and B still
 * wants A to watch him/her": read B's own roster through the server (XEP-0356 §5). Takes the job. */
static void authorize(pw_presence_t *ps, ps_job_t *j)
{
    xmpp_stanza_t *iq = pw_presence_roster_request(pw_component_ctx(ps->c), j->e.presentity_jid);

    if (!iq || pw_component_send_iq(ps->c, iq, 0, on_roster, j) != PW_OK) {
        if (iq)
            xmpp_stanza_release(iq);
        set_outcome(j, PW_ERR_INTERNAL_SERVER_ERROR,
                    "the presence server could not read the presentity's contact list");
        charge(ps, j);
        return;
    }
    xmpp_stanza_release(iq);
}

/* Step 8, the verdict (docs/protocol.md §2.4): an item for A (as A's contact JID at the own WA
 * or A's bare JID) with subscription from/both allows; none/to is forbidden; no item at all:
 * B is asked to approve A (once per approval_interval), and the enquiry is
 * subscription-required, or, for a 'changes' with await-approval (the roster route), a
 * pending subscription that her decision will activate or end (§5.1). */
static void on_roster(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    ps_job_t *j = arg;
    pw_presence_t *ps = j->ps;
    const pw_enquiry_t *e = &j->e;
    pw_map_t *roster = NULL;
    char text[PS_TEXT_MAX];
    (void)c;

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
        if (pw_presence_roster_read(response, &roster) != PW_OK) {
            set_outcome(j, PW_ERR_INTERNAL_SERVER_ERROR,
                        "the presence server could not read the presentity's contact list");
            break;
        }
        switch (pw_presence_roster_verdict(roster, e->watcher_msisdn, ps->s->watcher, e->watcher_jid)) {
        case PW_PRESENCE_ALLOWED:
            j->cond = PW_ERR_NONE;
            pw_ptable_state(ps->table, e->presentity_jid, &j->state);
            if (e->kind == PW_KIND_CHANGES || e->kind == PW_KIND_NEXT)
                subscribe(ps, j);
            break;
        case PW_PRESENCE_DECLINED:
            set_outcome(j, PW_ERR_FORBIDDEN, "%s has declined to share presence with %s",
                        presentity_label(e), e->watcher_msisdn);
            break;
        case PW_PRESENCE_NO_ITEM:
        default:
            pw_presence_approval_request(ps, e);
            if (e->kind == PW_KIND_CHANGES && e->await_approval) {
                j->cond = PW_ERR_NONE;
                j->pending = 1;
                subscribe(ps, j);
                break;
            }
            set_outcome(j, PW_ERR_SUBSCRIPTION_REQUIRED,
                        "%s has not yet approved %s; approval has been requested",
                        presentity_label(e), e->watcher_msisdn);
            break;
        }
        pw_map_destroy(roster);
        break;
    }
    charge(ps, j);
}

/* TS 23.141 A.1 NOTE 1 (enquiry kinds b and c): the allowed watcher's subscription
 * (docs/protocol.md §5.1); its journal record must be durable before the answer. Steps 10-11
 * repeated, the notifications, are the subscriptions' (subscriptions.c). */
static void subscribe(pw_presence_t *ps, ps_job_t *j)
{
    const char *gateway = xmpp_stanza_get_from(j->call.req);
    pw_status_t rc = j->pending ? pw_subs_subscribe_pending(ps->subs, &j->e, gateway, &j->sub)
                                : pw_subs_subscribe(ps->subs, &j->e, gateway, &j->state, &j->sub);
    if (rc == PW_OK) {
        j->journaled = 1;
        pw_info(j->e.ref, "subscription %s (%s%s) of %s on %s until %llu", j->sub.id,
                pw_enquiry_kind_name(j->e.kind), j->pending ? ", awaiting approval" : "",
                j->e.watcher_msisdn, j->e.presentity_jid, (unsigned long long)j->sub.expires_ms);
        return;
    }
    j->pending = 0;
    j->sub.id[0] = '\0';
    if (rc == PW_EFULL)
        set_outcome(j, PW_ERR_RESOURCE_CONSTRAINT, "the presence server holds its maximum of %lld subscriptions",
                    (long long)ps->s->max_subscriptions);
    else if (rc == PW_ERANGE)
        set_outcome(j, PW_ERR_BAD_REQUEST, "the addresses are too long to keep a subscription");
    else
        set_outcome(j, PW_ERR_INTERNAL_SERVER_ERROR, "the subscription could not be created");
}

/* ------------------------------------------------------------------ step 9: the charge record */

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

/* TS 23.141 A.1 step 9 / gateway method step 9: raise the charge record for A against A's
 * network (DESIGN.md §5), for every outcome; queue the answer for the commit hook, or refuse
 * when the writer cannot take the record. Takes the job. */
static void charge(pw_presence_t *ps, ps_job_t *j)
{
    pw_cdr_record_t *r = &ps->rec;
    pw_status_t rc;
    uint64_t seq = 0;

    memset(r, 0, sizeof *r);
    r->kind = cdr_kind(j->e.kind);
    PS_COPY(r->outcome, j->cond != PW_ERR_NONE ? pw_error_name(j->cond) : j->pending ? "pending" : "ok");
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
        refuse_uncharged(j);
        return;
    }
    j->seq = seq;
    j->queued = 1;
    pw_list_push_back(&ps->queue, &j->qlink);
}

/* Step 9, durable before the answer (DESIGN.md §5): once per loop iteration, one commit makes
 * the queued records (and the subscription journal) durable; then the answers leave. */
static void commit_hook(pw_loop_t *loop, void *arg)
{
    pw_presence_t *ps = arg;
    pw_link_t *l, *next;
    uint64_t durable;
    int journal_ok;
    (void)loop;

    if ((ps->queue.head || pw_cdr_writer_pending(ps->cdr)) && pw_cdr_writer_commit(ps->cdr) != PW_OK)
        pw_error(NULL, "charge records could not be committed: refusing the enquiries waiting for them");
    journal_ok = pw_subs_commit(ps->subs) == PW_OK;
    if (!journal_ok)
        pw_error(NULL, "the subscription journal could not be committed");
    durable = pw_cdr_writer_committed_seq(ps->cdr);
    count_written(ps);
    for (l = pw_list_take_all(&ps->queue); l; l = next) {
        ps_job_t *j = PW_LIST_ITEM(l, ps_job_t, qlink);
        next = l->next;
        if (j->seq != 0 && j->seq <= durable && (journal_ok || !j->journaled)) {
            send_answer(ps, j);
        } else {
            if (j->sub.id[0])
                pw_subs_abort(ps->subs, j->sub.id); /* never acknowledged */
            refuse_uncharged(j);
        }
    }
    /* notifications whose numbers are now journaled; after the answers that created them */
    pw_subs_flush(ps->subs);
}

/* ------------------------------------------------------------------ step 10: the answer */

/* TS 23.141 A.1 step 10 / gateway method step 10a: B's state goes back towards A, through the
 * gateway (docs/protocol.md §2.4); for changes/next with the <subscription/> (§5.1), for stop
 * an acknowledgement. Ends the job. */
static void send_answer(pw_presence_t *ps, ps_job_t *j)
{
    xmpp_ctx_t *ctx = pw_component_ctx(ps->c);
    xmpp_stanza_t *payload = NULL, *state = NULL, *sub;
    char expires[PW_CDR_TIME_TEXT];

    pw_enquiry_answered(ps->c, j->e.kind, j->cond, j->started_ms);
    if (j->cond != PW_ERR_NONE) {
        pw_calls_fail(&j->call, j->cond, j->text);
        return;
    }
    payload = xmpp_stanza_new(ctx);
    /* nothing of B's state before B has approved A */
    state = j->e.kind == PW_KIND_STOP || j->pending ? NULL : pw_state_build(ctx, &j->state);
    if (!payload || (!state && j->e.kind != PW_KIND_STOP && !j->pending)) {
        pw_component_reply_error(ps->c, j->call.req, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
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
            if (j->pending)
                xmpp_stanza_set_attribute(sub, "pending", "true");
        }
    }
    pw_component_reply_payload(ps->c, j->call.req, payload);
    pw_debug(j->e.ref, "answered %s: available=%d show='%s'", presentity_label(&j->e),
             j->state.available, j->state.show);
done:
    if (state)
        xmpp_stanza_release(state);
    if (payload)
        xmpp_stanza_release(payload);
    job_free(j);
}

/* TS 23.141 A.1 NOTE 2 (enquiry kind d, "stop telling me about B"): steps 8-10 are an
 * acknowledgement. No roster read (docs/protocol.md §5.1); the subscriptions end now and the
 * answer waits for their end records and the journal. Takes the job. */
static void stop(pw_presence_t *ps, ps_job_t *j)
{
    size_t n = pw_subs_stop(ps->subs, &j->e);
    pw_info(j->e.ref, "stop from %s on %s: %zu subscription(s) ended", j->e.watcher_jid,
            j->e.presentity_jid, n);
    j->cond = PW_ERR_NONE;
    j->journaled = 1;
    charge(ps, j);
}

/* ------------------------------------------------------------------ helpers */

static int from_gateway(const pw_presence_t *ps, const char *from)
{
    return pw_jid_is_named_component(from, ps->s->gateway.items, ps->s->gateway.n);
}

static void set_outcome(ps_job_t *j, pw_error_t cond, const char *fmt, ...)
{
    va_list ap;
    j->cond = cond;
    va_start(ap, fmt);
    vsnprintf(j->text, sizeof j->text, fmt, ap);
    va_end(ap);
}

/* How the presentity is named in texts that leave the operator: as the watcher addressed it. */
static const char *presentity_label(const pw_enquiry_t *e)
{
    return e->presentity[0] ? e->presentity : e->presentity_jid;
}

/* Answer that charging failed, and end the job. */
static void refuse_uncharged(ps_job_t *j)
{
    pw_enquiry_answered(j->ps->c, j->e.kind, PW_ERR_INTERNAL_SERVER_ERROR, j->started_ms);
    pw_calls_fail(&j->call, PW_ERR_INTERNAL_SERVER_ERROR, "charging is unavailable; try again later");
}

/* Count the charge records made durable since the last count. */
static void count_written(pw_presence_t *ps)
{
    pw_cdr_writer_stats_t st;
    pw_cdr_writer_stats(ps->cdr, &st);
    pw_enquiry_count_charged(ps->c, st.records - ps->cdr_counted);
    ps->cdr_counted = st.records;
}

/* End the job unanswered. */
static void job_free(ps_job_t *j)
{
    pw_calls_end(&j->call);
}

/* After stop: the component may still route an enquiry before it goes away. */
static void on_enquiry_closed(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    (void)payload;
    (void)arg;
    pw_component_reply_error(c, iq, PW_ERR_SERVICE_UNAVAILABLE, "the presence server is stopping");
}

/* ------------------------------------------------------------------ start and stop */

pw_status_t pw_presence_flow_start(pw_presence_t *ps)
{
    pw_status_t rc;
    if ((rc = pw_calls_create(&ps->calls, ps->c, SIZE_MAX, NULL)) != PW_OK ||
        (rc = pw_loop_hook_add(pw_component_loop(ps->c), commit_hook, ps)) != PW_OK)
        return rc;
    ps->hooked = 1;
    if ((rc = pw_component_on_iq(ps->c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, on_enquiry, ps)) != PW_OK)
        return rc;
    return pw_component_add_feature(ps->c, PW_NS_CHAIN);
}

void pw_presence_flow_stop(pw_presence_t *ps)
{
    pw_call_t *call, *next;
    pw_link_t *l, *next_l;
    ps_job_t *j;

    if (ps->hooked) {
        pw_loop_hook_remove(pw_component_loop(ps->c), commit_hook, ps);
        pw_component_on_iq(ps->c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, on_enquiry_closed, NULL);
        ps->hooked = 0;
    }
    if (!ps->calls)
        return;
    /* awaiting the roster: the callback of a cancelled IQ frees its job */
    for (call = pw_calls_first(ps->calls); call; call = next) {
        next = pw_calls_next(call);
        j = (ps_job_t *)call;
        if (!j->queued && pw_component_cancel_iqs(ps->c, j) == 0)
            job_free(j);
    }
    if (ps->cdr && !ps->queue.head)
        pw_cdr_writer_commit(ps->cdr); /* end records of this last iteration */
    for (l = pw_list_take_all(&ps->queue); l; l = next_l) {
        j = PW_LIST_ITEM(l, ps_job_t, qlink);
        next_l = l->next;
        if (j->sub.id[0])
            pw_subs_abort(ps->subs, j->sub.id); /* never acknowledged */
        job_free(j);
    }
    pw_calls_destroy(ps->calls);
    ps->calls = NULL;
}
