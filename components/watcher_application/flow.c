/* flow.c: the enquiry's path through the Watcher Application, top-down in the seeds' order (TS 23.141 A.1 steps 1-3, 10, 11;
 * gateway method steps 1, 2, 10a, 10b; docs/protocol.md §1.1, §2.1, §5.1): alice's request arrives, the WA authenticates her
 * and checks her credit at the HSS, limits her rate, sends the "Presence enquiry for B" to the WPP and returns the answer to her. */
#include "watcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/pw_enquiry.h"
#include "chain/pw_hss.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

#define CLIENT_ID_MAX 127
#define TEXT_MAX PW_WATCHER_TEXT_MAX

/* One enquiry in flight: between the HSS lookup and the proxy's answer. */
typedef struct enquiry {
    pw_call_t call;         /* first (pw_calls); call.req is job.request */
    pw_watcher_t *wa;
    pw_watcher_job_t job;   /* what was asked */
    char client_id[CLIENT_ID_MAX + 1];
    pw_enquiry_t chain;     /* filled step by step; ref "" until step 3 */
    int sent;               /* the chain enquiry is on its way (recorded as sent when it ends) */
    uint64_t started_ms;    /* when it was taken in (loop clock): its latency */
    int counted;            /* counted in wa->in_flight under job.bare */
} enquiry_t;

/* The steps, in the seeds' order. */
static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg);
static pw_status_t ask_hss(enquiry_t *e);
static void on_hss_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          void *arg);
static pw_error_t check_subscriber(enquiry_t *e, xmpp_stanza_t *response, char *text, size_t cap);
static pw_error_t limit_rate(enquiry_t *e, char *text, size_t cap);
static void send_to_proxy(enquiry_t *e);
static void on_proxy_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                            void *arg);
static void conclude(enquiry_t *e, pw_watcher_answer_t *ans);
static void iq_done(pw_watcher_t *wa, const pw_watcher_job_t *job, const pw_watcher_answer_t *ans);

/* Helpers. */
static pw_error_t admit(pw_watcher_t *wa, const pw_watcher_ask_t *ask, enquiry_t *e, char *text,
                        size_t cap);
static pw_error_t take_in(pw_watcher_t *wa, enquiry_t *e, const pw_watcher_ask_t *ask, char *text,
                          size_t cap);
static pw_error_t limit_in_flight(pw_watcher_t *wa, const enquiry_t *e, char *text, size_t cap);
static void count_in_flight(pw_watcher_t *wa, enquiry_t *e, int delta);
static void free_enquiry(pw_call_t *call);
/* What came back for one of our IQs. */
typedef enum { ANSWER_NONE, ANSWER_ERROR, ANSWER_RESULT } answer_t;
static answer_t answer_of(enquiry_t *e, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          const char *timeout_text, pw_error_t *cond, char text[TEXT_MAX]);
static void fail(enquiry_t *e, pw_error_t cond, const char *text);
static void finish(enquiry_t *e, const char *outcome);
static const char *asked_kind(const pw_watcher_ask_t *ask);

/* ---- TS 23.141 A.1 step 1, gateway method step 1: alice asks her WA about B ---- */

/* The IQ route (docs/protocol.md §1.1): alice's client sends <enquiry address kind/>. The
 * roster route (roster.c) and the ad-hoc command (adhoc.c) enter at pw_watcher_ask(). */
static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg)
{
    pw_watcher_t *wa = arg;
    char text[TEXT_MAX];
    pw_watcher_ask_t ask = {
        .watcher = xmpp_stanza_get_from(iq),
        .address = xmpp_stanza_get_attribute(el, "address"),
        .kind = xmpp_stanza_get_attribute(el, "kind"),
        .duration = xmpp_stanza_get_attribute(el, "duration"),
        .subscription = xmpp_stanza_get_attribute(el, "subscription"),
        .request = iq,
        .done = iq_done,
    };
    pw_error_t cond = pw_watcher_ask(wa, &ask, text, sizeof text);
    if (cond != PW_ERR_NONE)
        pw_component_reply_error(c, iq, cond, text);
}

/* Step 1 admitted: a user of this operator, one of the kinds a-d of step 1, B's address
 * (MSISDN or URI); then on to step 2. */
pw_error_t pw_watcher_ask(pw_watcher_t *wa, const pw_watcher_ask_t *ask, char *text, size_t cap)
{
    enquiry_t *e = calloc(1, sizeof *e);
    pw_error_t cond = PW_ERR_INTERNAL_SERVER_ERROR;

    snprintf(text, cap, "out of memory");
    if (!e)
        goto done;
    if (!ask->watcher || !ask->done ||
        !pw_watcher_local_user(wa, ask->watcher, e->job.bare, sizeof e->job.bare)) {
        snprintf(text, cap, "only users of %s may use this service", wa->settings->domain);
        cond = PW_ERR_FORBIDDEN;
        goto done;
    }
    snprintf(e->job.watcher, sizeof e->job.watcher, "%s", ask->watcher);
    snprintf(e->chain.watcher_jid, sizeof e->chain.watcher_jid, "%s", e->job.bare);
    cond = admit(wa, ask, e, text, cap);
    if (cond == PW_ERR_NONE)
        cond = take_in(wa, e, ask, text, cap);
    if (cond != PW_ERR_NONE)
        goto done;
    if (ask_hss(e) != PW_OK) {
        snprintf(text, cap, "the subscriber database cannot be reached");
        cond = PW_ERR_INTERNAL_SERVER_ERROR;
        pw_calls_end(&e->call);
        e = NULL;
        goto done;
    }
    e = NULL; /* e is in flight now */
done:
    if (cond != PW_ERR_NONE)
        pw_enquiry_count(wa->c, asked_kind(ask), cond);
    free(e); /* refused before being put in flight */
    return cond;
}

/* ---- TS 23.141 A.1 step 2, gateway method step 2: the WA authenticates alice and checks her credit ---- */

/* Ask the HSS about the watcher (the answer arrives in on_hss_answer()). */
static pw_status_t ask_hss(enquiry_t *e)
{
    pw_watcher_t *wa = e->wa;
    return pw_hss_client_lookup(wa->hss, NULL, e->chain.watcher_jid, on_hss_answer, e);
}

static void on_hss_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          void *arg)
{
    enquiry_t *e = arg;
    pw_watcher_t *wa = e->wa;
    char text[TEXT_MAX];
    pw_error_t cond;
    answer_t answer;
    (void)c;

    answer = answer_of(e, outcome, response, "the subscriber database did not answer", &cond, text);
    if (answer == ANSWER_ERROR) {
        if (cond == PW_ERR_ITEM_NOT_FOUND) {
            snprintf(text, sizeof text, "%s is not a subscriber of %s", e->chain.watcher_jid,
                     wa->settings->domain);
            fail(e, PW_ERR_FORBIDDEN, text);
        } else if (cond == PW_ERR_REMOTE_SERVER_TIMEOUT || cond == PW_ERR_REMOTE_SERVER_NOT_FOUND ||
                   cond == PW_ERR_SERVICE_UNAVAILABLE) {
            /* the server's bounce while the HSS component is not connected */
            fail(e, PW_ERR_REMOTE_SERVER_TIMEOUT, "the subscriber database did not answer");
        } else {
            char why[TEXT_MAX + 64];
            snprintf(why, sizeof why, "the subscriber database refused the lookup (%s)",
                     pw_error_name(cond));
            fail(e, PW_ERR_INTERNAL_SERVER_ERROR, why);
        }
    }
    if (answer != ANSWER_RESULT)
        return;
    cond = check_subscriber(e, response, text, sizeof text);
    if (cond == PW_ERR_NONE)
        cond = limit_rate(e, text, sizeof text);
    if (cond != PW_ERR_NONE) {
        fail(e, cond, text);
        return;
    }
    send_to_proxy(e);
}

/* Is the watcher a subscriber in good standing, with credit for the price? On success fills
 * watcher_msisdn. */
static pw_error_t check_subscriber(enquiry_t *e, xmpp_stanza_t *response, char *text, size_t cap)
{
    const pw_watcher_settings_t *s = e->wa->settings;
    pw_hss_record_t rec;

    if (pw_hss_record_parse(response, &rec) != PW_OK) {
        snprintf(text, cap, "the subscriber database gave no record for %s", e->chain.watcher_jid);
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    if (rec.barred) {
        snprintf(text, cap, "%s is barred", e->chain.watcher_jid);
        return PW_ERR_FORBIDDEN;
    }
    if (!rec.active || !rec.msisdn[0]) {
        snprintf(text, cap, "the subscriber database gave an invalid record for %s", e->chain.watcher_jid);
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    if (rec.prepaid) {
        if (!rec.has_balance) {
            snprintf(text, cap, "the subscriber database gave no valid balance for %s", e->chain.watcher_jid);
            return PW_ERR_INTERNAL_SERVER_ERROR;
        }
        if (rec.balance < s->price) {
            snprintf(text, cap, "balance %lld is below the enquiry price %lld", rec.balance,
                     (long long)s->price);
            return PW_ERR_PAYMENT_REQUIRED;
        }
    }
    if (e->job.kind != PW_KIND_STOP &&
        ((e->chain.presentity[0] && strcmp(e->chain.presentity, rec.msisdn) == 0) ||
         (e->chain.presentity_jid[0] && strcasecmp(e->chain.presentity_jid, e->job.bare) == 0))) {
        /* no enquiry about oneself: the chain would ask the user to approve herself */
        char who[PW_JID_MAX + 1];
        snprintf(text, cap, "%s is you: your own presence is what your client shows, nothing to ask",
                 pw_watcher_display(e->job.address, who, sizeof who));
        return PW_ERR_BAD_REQUEST;
    }
    snprintf(e->chain.watcher_msisdn, sizeof e->chain.watcher_msisdn, "%s", rec.msisdn);
    return PW_ERR_NONE;
}

/* The watcher's rate (rate_per_watcher a minute; DESIGN.md §3): the last check of step 2. */
static pw_error_t limit_rate(enquiry_t *e, char *text, size_t cap)
{
    pw_watcher_t *wa = e->wa;
    pw_status_t rc = pw_ratelimit_take(wa->limiter, e->chain.watcher_jid,
                                       pw_loop_now(pw_component_loop(wa->c)));
    if (rc == PW_EDENIED) {
        snprintf(text, cap, "more than %lld enquiries a minute from %s; try again later",
                 (long long)wa->settings->rate_per_watcher, e->chain.watcher_jid);
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if (rc != PW_OK) {
        snprintf(text, cap, "too many watchers are active; try again later");
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    return PW_ERR_NONE;
}

/* ---- TS 23.141 A.1 step 3: the WA sends a "Presence enquiry for B" to the Watcher Presence Proxy ---- */

/* (Gateway method steps 3 and 4a, deriving B's network and reaching his gateway, are the WPP's.) */
static void send_to_proxy(enquiry_t *e)
{
    pw_watcher_t *wa = e->wa;
    const pw_watcher_settings_t *s = wa->settings;
    xmpp_ctx_t *ctx = pw_component_ctx(wa->c);
    char *uuid = xmpp_uuid_gen(ctx);
    xmpp_stanza_t *iq = NULL;
    pw_status_t rc;
    int n;

    if (!uuid) {
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    /* a retry keeps the ref of the enquiry it repeats: charged once (docs/protocol.md §6) */
    if (e->job.ref[0])
        n = snprintf(e->chain.ref, sizeof e->chain.ref, "%s", e->job.ref);
    else
        n = snprintf(e->chain.ref, sizeof e->chain.ref, "%s/%s", pw_component_jid(wa->c), uuid);
    xmpp_free(ctx, uuid);
    if (n < 0 || (size_t)n >= sizeof e->chain.ref) {
        e->chain.ref[0] = '\0';
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "the enquiry reference does not fit in 255 bytes");
        return;
    }
    snprintf(e->chain.watcher_network, sizeof e->chain.watcher_network, "%s",
             s->network && s->network[0] ? s->network : s->domain);
    e->chain.duration_s = e->job.duration_s;
    e->chain.await_approval = e->job.await_approval;
    snprintf(e->chain.subscription, sizeof e->chain.subscription, "%s", e->job.subscription);
    iq = pw_enquiry_iq(ctx, &e->chain, s->proxy);
    if (!iq) {
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    rc = pw_component_send_iq(wa->c, iq, 0, on_proxy_answer, e);
    xmpp_stanza_release(iq);
    e->sent = rc == PW_OK;
    if (rc != PW_OK)
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "the presence proxy cannot be reached");
}

/* ---- TS 23.141 A.1 step 10, gateway method step 10a: B's status comes back through the WPP ---- */

static void on_proxy_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                            void *arg)
{
    enquiry_t *e = arg;
    pw_watcher_answer_t *ans;
    char text[TEXT_MAX];
    pw_error_t cond;
    answer_t answer;
    (void)c;

    answer = answer_of(e, outcome, response, "no answer from the presence network in time", &cond, text);
    if (answer == ANSWER_ERROR)
        fail(e, cond, text[0] ? text : "the enquiry failed further down the chain");
    if (answer != ANSWER_RESULT)
        return;
    ans = calloc(1, sizeof *ans);
    if (!ans) {
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    cond = pw_watcher_kind_answer(e->job.kind, pw_stanza_payload(response), ans, text, sizeof text);
    if (cond != PW_ERR_NONE) {
        free(ans);
        fail(e, cond, text);
        return;
    }
    ans->response = response;
    conclude(e, ans);
    free(ans);
}

/* ---- TS 23.141 A.1 step 11, gateway method step 10b: the WA returns B's presence to alice ---- */

/* Record the enquiry as sent, hand the outcome to the asker's route (its done function), log
 * it and end the enquiry. */
static void conclude(enquiry_t *e, pw_watcher_answer_t *ans)
{
    char outcome[TEXT_MAX + 256];
    snprintf(ans->ref, sizeof ans->ref, "%s", e->chain.ref);
    if (e->sent)
        pw_watcher_sent_record(e->wa, &e->chain,
                               ans->cond != PW_ERR_NONE ? pw_error_name(ans->cond) : ans->pending ? "pending" : "ok",
                               ans->subscription);
    e->job.done(e->wa, &e->job, ans);
    pw_enquiry_answered(e->wa->c, e->job.kind, ans->cond, e->started_ms);
    if (ans->cond != PW_ERR_NONE)
        snprintf(outcome, sizeof outcome, "%s (%s)", pw_error_name(ans->cond), ans->text);
    else if (ans->pending)
        snprintf(outcome, sizeof outcome, "subscription %s until %s awaits the presentity's decision",
                 ans->subscription, ans->expires);
    else if (ans->subscription[0])
        snprintf(outcome, sizeof outcome, "available=%s%s%s subscription %s until %s",
                 ans->state.available ? "true" : "false", ans->state.show[0] ? " show=" : "",
                 ans->state.show, ans->subscription, ans->expires);
    else if (ans->has_state)
        snprintf(outcome, sizeof outcome, "available=%s%s%s", ans->state.available ? "true" : "false",
                 ans->state.show[0] ? " show=" : "", ans->state.show);
    else
        snprintf(outcome, sizeof outcome, "done");
    finish(e, outcome);
}

/* The IQ route's answer (docs/protocol.md §1.1, §5.1): the error, or the echo (address
 * normalised) with the state and subscription copied from the chain's result; subscriptions
 * are journaled first. */
static void iq_done(pw_watcher_t *wa, const pw_watcher_job_t *job, const pw_watcher_answer_t *ans)
{
    xmpp_stanza_t *payload = pw_stanza_payload(job->request);

    if (ans->cond != PW_ERR_NONE) {
        pw_component_reply_error(wa->c, job->request, ans->cond, ans->text);
        return;
    }
    if (job->kind == PW_KIND_CHANGES || job->kind == PW_KIND_NEXT) {
        if (pw_watcher_subs_add_iq(wa, job, ans) != PW_OK) {
            pw_component_reply_error(wa->c, job->request, PW_ERR_INTERNAL_SERVER_ERROR,
                                     "the subscription could not be recorded");
            return;
        }
    } else if (job->kind == PW_KIND_STOP) {
        pw_watcher_subs_stopped(wa, job->bare, job->address, job->subscription);
    }
    if (payload)
        xmpp_stanza_set_attribute(payload, "address", job->address);
    pw_enquiry_relay(wa->c, job->request, PW_IQ_RESULT, ans->response, "");
}

/* ---- helpers ---- */

/* The kind (with its own attributes right) and B's address: fills the job's kind and address
 * and the chain's presentity; on refusal returns the condition with a text. */
static pw_error_t admit(pw_watcher_t *wa, const pw_watcher_ask_t *ask, enquiry_t *e, char *text,
                        size_t cap)
{
    char forms[512];
    pw_enquiry_kind_t k;
    pw_address_t a;
    pw_error_t cond;

    if (pw_enquiry_kind_parse(ask->kind, &k) != PW_OK) {
        snprintf(text, cap, "'kind' must be one of current, changes, next, stop");
        return PW_ERR_BAD_REQUEST;
    }
    e->chain.kind = k;
    e->job.kind = k;
    cond = pw_watcher_kind_check(wa, ask, &e->job, text, cap);
    if (cond != PW_ERR_NONE)
        return cond;
    if (!ask->address) {
        snprintf(text, cap, "'address' is required: %s",
                 pw_watcher_address_forms(wa, forms, sizeof forms));
        return PW_ERR_BAD_REQUEST;
    }
    if (pw_address_parse(ask->address, &wa->rules, &a) != PW_OK ||
        pw_address_to_node(&a, e->job.address, sizeof e->job.address) != PW_OK) {
        snprintf(text, cap, "'address' is malformed: %s",
                 pw_watcher_address_forms(wa, forms, sizeof forms));
        return PW_ERR_JID_MALFORMED;
    }
    if (a.kind == PW_ADDRESS_MSISDN)
        snprintf(e->chain.presentity, sizeof e->chain.presentity, "%s", a.msisdn);
    else
        snprintf(e->chain.presentity_jid, sizeof e->chain.presentity_jid, "%s", a.jid);
    return PW_ERR_NONE;
}

/* Put an admitted enquiry in flight, with its own copy of the client's request. */
static pw_error_t take_in(pw_watcher_t *wa, enquiry_t *e, const pw_watcher_ask_t *ask, char *text,
                          size_t cap)
{
    e->job.await_approval = ask->await_approval && e->job.kind == PW_KIND_CHANGES;
    if (ask->ref)
        snprintf(e->job.ref, sizeof e->job.ref, "%s", ask->ref);
    const char *id = ask->request ? xmpp_stanza_get_id(ask->request) : NULL;
    xmpp_stanza_t *copy = NULL;
    pw_status_t rc;
    pw_error_t cond = limit_in_flight(wa, e, text, cap);

    if (cond != PW_ERR_NONE)
        return cond;
    if (ask->request) {
        copy = xmpp_stanza_copy(ask->request); /* iq_done() changes it */
        if (!copy) {
            snprintf(text, cap, "out of memory");
            return PW_ERR_INTERNAL_SERVER_ERROR;
        }
    }
    rc = pw_calls_add(wa->calls, &e->call, copy);
    if (copy)
        xmpp_stanza_release(copy);
    if (rc == PW_EFULL) {
        snprintf(text, cap, "too many enquiries in progress; try again later");
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if (rc != PW_OK) {
        snprintf(text, cap, "out of memory");
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    count_in_flight(wa, e, +1);
    e->job.request = e->call.req;
    snprintf(e->client_id, sizeof e->client_id, "%s", id ? id : "");
    e->job.done = ask->done;
    e->job.token = ask->token;
    e->wa = wa;
    e->started_ms = pw_loop_now(pw_component_loop(wa->c));
    return PW_ERR_NONE;
}

/* Admission under overload, before anything is asked of anyone (so the refusal leaves at
 * once): at most max_in_flight enquiries in progress in all, and at most
 * max_in_flight_per_watcher of one watcher, so that one flooding watcher holds only its share
 * of the slots and the others are still served. */
static pw_error_t limit_in_flight(pw_watcher_t *wa, const enquiry_t *e, char *text, size_t cap)
{
    const pw_watcher_settings_t *s = wa->settings;
    uintptr_t mine = (uintptr_t)pw_map_get(wa->in_flight, e->job.bare);

    if ((int64_t)mine >= s->max_in_flight_per_watcher) {
        snprintf(text, cap, "%s has %llu enquiries in progress, the most one watcher may have at "
                 "once; wait for their answers, then ask again", e->job.bare, (unsigned long long)mine);
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if ((int64_t)pw_calls_count(wa->calls) >= s->max_in_flight) {
        snprintf(text, cap, "the watcher service is busy (%lld enquiries in progress); try again "
                 "in a moment", (long long)s->max_in_flight);
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    return PW_ERR_NONE;
}

/* Count e in (+1, once it is in flight) or out (-1, as it is freed) of its watcher's enquiries
 * in flight; the key goes once the count is 0. */
static void count_in_flight(pw_watcher_t *wa, enquiry_t *e, int delta)
{
    uintptr_t n;

    if (delta < 0 && !e->counted)
        return;
    n = (uintptr_t)pw_map_get(wa->in_flight, e->job.bare);
    if (delta > 0) {
        /* out of memory: e is simply not counted (the global cap still holds) */
        e->counted = pw_map_put(wa->in_flight, e->job.bare, (void *)(n + 1), NULL) == PW_OK;
        return;
    }
    e->counted = 0;
    if (n <= 1)
        pw_map_remove(wa->in_flight, e->job.bare);
    else
        pw_map_put(wa->in_flight, e->job.bare, (void *)(n - 1), NULL); /* an existing key: no allocation */
}

/* The calls table's free function: e leaves its watcher's count, then goes. */
static void free_enquiry(pw_call_t *call)
{
    enquiry_t *e = (enquiry_t *)call;
    count_in_flight(e->wa, e, -1);
    free(e);
}

/* A call of e's that ended without an answer fails e: the WA is stopping (its calls are
 * cancelled) or the next hop did not answer in time (timeout_text). Returns 1 then, else 0. */
/*
 * Sort the outcome of one of our IQs: a result; an error (*cond and text say which, the caller
 * ends the enquiry); or none, the service stopping or no answer in time (ended here, with
 * timeout_text).
 */
static answer_t answer_of(enquiry_t *e, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          const char *timeout_text, pw_error_t *cond, char text[TEXT_MAX])
{
    if (outcome == PW_IQ_ERROR) {
        *cond = pw_stanza_error_parse(response, text, TEXT_MAX);
        return ANSWER_ERROR;
    }
    if (outcome == PW_IQ_CANCELLED)
        fail(e, PW_ERR_SERVICE_UNAVAILABLE, "the watcher service is stopping");
    else if (outcome == PW_IQ_TIMEOUT)
        fail(e, PW_ERR_REMOTE_SERVER_TIMEOUT, timeout_text);
    else
        return ANSWER_RESULT;
    return ANSWER_NONE;
}

/* End with an error. */
static void fail(enquiry_t *e, pw_error_t cond, const char *text)
{
    pw_watcher_answer_t *ans = calloc(1, sizeof *ans);
    if (!ans) {
        finish(e, "out of memory"); /* the asker is not told: nothing can be built */
        return;
    }
    ans->cond = cond;
    snprintf(ans->text, sizeof ans->text, "%s", text);
    conclude(e, ans);
    free(ans);
}

/* The one log line of an enquiry that got past the first checks, then end it. */
static void finish(enquiry_t *e, const char *outcome)
{
    pw_info(e->client_id[0] ? e->client_id : NULL, "enquiry %s: %s asked '%s' about %s: %s",
            e->chain.ref[0] ? e->chain.ref : "-", e->job.watcher,
            pw_enquiry_kind_name(e->chain.kind), e->job.address, outcome);
    pw_calls_end(&e->call);
}

/* The kind asked, as counted: its name, or NULL when it is none. */
static const char *asked_kind(const pw_watcher_ask_t *ask)
{
    pw_enquiry_kind_t k;
    return pw_enquiry_kind_parse(ask->kind, &k) == PW_OK ? pw_enquiry_kind_name(k) : NULL;
}

pw_status_t pw_watcher_flow_open(pw_watcher_t *wa)
{
    pw_status_t rc = pw_map_create(&wa->in_flight);
    if (rc == PW_OK)
        rc = pw_calls_create(&wa->calls, wa->c, PW_WATCHER_MAX_INFLIGHT, free_enquiry);
    if (rc == PW_OK)
        rc = pw_component_on_iq(wa->c, PW_NS, "enquiry", PW_IQ_SET, on_enquiry, wa);
    return rc;
}

void pw_watcher_flow_close(pw_watcher_t *wa)
{
    pw_call_t *call;

    if (!wa->calls) {
        pw_map_destroy(wa->in_flight);
        wa->in_flight = NULL;
        return;
    }
    while ((call = pw_calls_first(wa->calls)) != NULL) {
        enquiry_t *e = (enquiry_t *)call;
        /* the callback answers and ends e; an enquiry with no IQ pending cannot exist, but
         * never loop forever on one */
        if (pw_component_cancel_iqs(wa->c, e) == 0)
            fail(e, PW_ERR_SERVICE_UNAVAILABLE, "the watcher service is stopping");
    }
    pw_calls_destroy(wa->calls);
    wa->calls = NULL;
    pw_map_destroy(wa->in_flight);
    wa->in_flight = NULL;
}
