/* enquiry_pipeline.c: every enquiry the WA makes (docs/protocol.md §1.1, §2.1, §5.1; DESIGN.md §1 steps 1-3, TS 23.141 A.1):
 * local user, kind, address, HSS lookup (RFC 6120 §8.2.3 IQ to the HSS), rate limit, chain enquiry to the WPP, and the IQ route's answer. */
#include "watcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/pw_enquiry.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "chain/pw_peering.h"
#include "xmpp/pw_stanza.h"

#define CLIENT_ID_MAX 127
#define TEXT_MAX PW_WATCHER_TEXT_MAX

/*
 * What differs per kind. Step b runs `check` on the asked attributes (those only this kind
 * has); step g runs `answer` to validate the chain's result.
 */
typedef struct kind_step {
    pw_error_t (*check)(const pw_watcher_t *wa, const pw_watcher_ask_t *ask, pw_watcher_job_t *job,
                        char *why, size_t cap);
    pw_error_t (*answer)(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why, size_t cap);
} kind_step_t;

/* One enquiry in flight: between the HSS lookup and the proxy's answer. */
struct pw_watcher_enquiry {
    pw_watcher_enquiry_t *prev, *next;
    pw_watcher_t *wa;
    const kind_step_t *step;
    pw_watcher_job_t job;   /* what was asked; job.request is ours */
    char client_id[CLIENT_ID_MAX + 1];
    pw_enquiry_t chain;     /* filled step by step; ref "" until step f */
    int sent;               /* the chain enquiry is on its way (recorded as sent when it ends) */
};

/* ---- life of an enquiry ---- */

static void unlink_and_free(pw_watcher_enquiry_t *e)
{
    pw_watcher_t *wa = e->wa;
    if (e->prev)
        e->prev->next = e->next;
    else
        wa->inflight = e->next;
    if (e->next)
        e->next->prev = e->prev;
    wa->ninflight--;
    if (e->job.request)
        xmpp_stanza_release(e->job.request);
    free(e);
}

/* The one log line of an enquiry that got past the first checks, then free it. */
static void finish(pw_watcher_enquiry_t *e, const char *outcome)
{
    pw_info(e->client_id[0] ? e->client_id : NULL, "enquiry %s: %s asked '%s' about %s: %s",
            e->chain.ref[0] ? e->chain.ref : "-", e->job.watcher,
            pw_enquiry_kind_name(e->chain.kind), e->job.address, outcome);
    unlink_and_free(e);
}

/* Hand the outcome to the asker, log it and free the enquiry. */
static void conclude(pw_watcher_enquiry_t *e, pw_watcher_answer_t *ans)
{
    char outcome[TEXT_MAX + 256];
    snprintf(ans->ref, sizeof ans->ref, "%s", e->chain.ref);
    if (e->sent)
        pw_watcher_sent_record(e->wa, &e->chain, ans->cond == PW_ERR_NONE ? "ok" : pw_error_name(ans->cond),
                               ans->subscription);
    e->job.done(e->wa, &e->job, ans);
    if (ans->cond != PW_ERR_NONE)
        snprintf(outcome, sizeof outcome, "%s (%s)", pw_error_name(ans->cond), ans->text);
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

/* End with an error. */
static void fail(pw_watcher_enquiry_t *e, pw_error_t cond, const char *text)
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

/* ---- per-kind steps ---- */

/* Step b for kinds without a duration. */
static pw_error_t check_no_duration(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                                    pw_watcher_job_t *job, char *why, size_t cap)
{
    (void)wa;
    (void)job;
    if (ask->duration) {
        snprintf(why, cap, "'duration' belongs to 'changes' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    if (ask->subscription) {
        snprintf(why, cap, "'subscription' belongs to 'stop' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    return PW_ERR_NONE;
}

/* Step b for 'changes': 1 <= duration <= max_duration. */
static pw_error_t check_duration(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                                 pw_watcher_job_t *job, char *why, size_t cap)
{
    long long max = (long long)(wa->settings->max_duration_ms / 1000);
    const char *d = ask->duration;
    unsigned long long v = 0;
    size_t i;

    if (ask->subscription) {
        snprintf(why, cap, "'subscription' belongs to 'stop' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    for (i = 0; d && d[i] >= '0' && d[i] <= '9' && i < 12; i++)
        v = v * 10 + (unsigned long long)(d[i] - '0');
    if (!d || !d[0] || d[i] || v == 0 || v > (unsigned long long)max) {
        snprintf(why, cap, "'duration' must be a whole number of seconds from 1 to %lld "
                 "(max_duration of this service)", max);
        return PW_ERR_BAD_REQUEST;
    }
    job->duration_s = (uint32_t)v;
    return PW_ERR_NONE;
}

/* Step b for 'stop': no duration; an optional subscription id. */
static pw_error_t check_stop(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                             pw_watcher_job_t *job, char *why, size_t cap)
{
    (void)wa;
    if (ask->duration) {
        snprintf(why, cap, "'duration' belongs to 'changes' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    if (ask->subscription) {
        size_t n = strlen(ask->subscription);
        if (n == 0 || n > PW_ENQUIRY_SUBID_MAX || strpbrk(ask->subscription, "\t\r\n")) {
            snprintf(why, cap, "'subscription' must be a subscription id of at most %d bytes",
                     PW_ENQUIRY_SUBID_MAX);
            return PW_ERR_BAD_REQUEST;
        }
        memcpy(job->subscription, ask->subscription, n + 1);
    }
    return PW_ERR_NONE;
}

/* Step g: the result must carry a valid state. */
static pw_error_t answer_state(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why, size_t cap)
{
    xmpp_stanza_t *state = answer ? xmpp_stanza_get_child_by_name_and_ns(answer, "state", PW_NS) : NULL;
    if (!state || pw_state_parse(state, &ans->state) != PW_OK) {
        snprintf(why, cap, "the presence network answered without a valid state");
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    ans->has_state = 1;
    return PW_ERR_NONE;
}

/* Step g for subscriptions: a state and <subscription id expires/>. */
static pw_error_t answer_subscription(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why,
                                      size_t cap)
{
    xmpp_stanza_t *sub;
    const char *id, *expires;
    pw_error_t cond = answer_state(answer, ans, why, cap);

    if (cond != PW_ERR_NONE)
        return cond;
    sub = xmpp_stanza_get_child_by_name_and_ns(answer, "subscription", PW_NS);
    id = sub ? xmpp_stanza_get_attribute(sub, "id") : NULL;
    expires = sub ? xmpp_stanza_get_attribute(sub, "expires") : NULL;
    if (!id || !id[0] || strlen(id) > PW_ENQUIRY_SUBID_MAX || strpbrk(id, " \t\r\n") ||
        !expires || strlen(expires) >= sizeof ans->expires ||
        pw_clock_parse(expires, &ans->expires_ms) != PW_OK) {
        snprintf(why, cap, "the presence network answered without a valid subscription");
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    snprintf(ans->subscription, sizeof ans->subscription, "%s", id);
    snprintf(ans->expires, sizeof ans->expires, "%s", expires);
    return PW_ERR_NONE;
}

/* Step g for 'stop': any result. */
static pw_error_t answer_stop(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why, size_t cap)
{
    (void)answer;
    (void)ans;
    (void)why;
    (void)cap;
    return PW_ERR_NONE;
}

static const kind_step_t kind_steps[] = {
    [PW_KIND_CURRENT] = { check_no_duration, answer_state },
    [PW_KIND_CHANGES] = { check_duration, answer_subscription },
    [PW_KIND_NEXT] = { check_no_duration, answer_subscription },
    [PW_KIND_STOP] = { check_stop, answer_stop },
};

/* ---- step g: the proxy answered ---- */

static void on_proxy_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                            void *arg)
{
    pw_watcher_enquiry_t *e = arg;
    pw_watcher_answer_t *ans;
    char text[TEXT_MAX];
    pw_error_t cond;
    (void)c;

    switch (outcome) {
    case PW_IQ_CANCELLED:
        fail(e, PW_ERR_SERVICE_UNAVAILABLE, "the watcher service is stopping");
        return;
    case PW_IQ_TIMEOUT:
        fail(e, PW_ERR_REMOTE_SERVER_TIMEOUT, "no answer from the presence network in time");
        return;
    case PW_IQ_ERROR:
        cond = pw_stanza_error_parse(response, text, sizeof text);
        fail(e, cond, text[0] ? text : "the enquiry failed further down the chain");
        return;
    case PW_IQ_RESULT:
        break;
    }
    ans = calloc(1, sizeof *ans);
    if (!ans) {
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    cond = e->step->answer(pw_stanza_payload(response), ans, text, sizeof text);
    if (cond != PW_ERR_NONE) {
        free(ans);
        fail(e, cond, text);
        return;
    }
    ans->response = response;
    conclude(e, ans);
    free(ans);
}

/* ---- step f: the chain enquiry to the proxy ---- */

static void send_to_proxy(pw_watcher_enquiry_t *e)
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

/* ---- steps d and e: the HSS answered ---- */

/* Step d: is the watcher a subscriber in good standing? On success fills watcher_msisdn. */
static pw_error_t check_subscriber(pw_watcher_enquiry_t *e, xmpp_stanza_t *response, char *text,
                                   size_t cap)
{
    const pw_watcher_settings_t *s = e->wa->settings;
    xmpp_stanza_t *sub = pw_stanza_payload(response);
    const char *msisdn, *status, *account, *balance;
    char *end;
    long long bal;

    if (!sub || strcmp(xmpp_stanza_get_name(sub), "subscriber") != 0) {
        snprintf(text, cap, "the subscriber database gave no record for %s", e->chain.watcher_jid);
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    msisdn = xmpp_stanza_get_attribute(sub, "msisdn");
    status = xmpp_stanza_get_attribute(sub, "status");
    account = xmpp_stanza_get_attribute(sub, "account");
    balance = xmpp_stanza_get_attribute(sub, "balance");
    if (status && strcmp(status, "barred") == 0) {
        snprintf(text, cap, "%s is barred", e->chain.watcher_jid);
        return PW_ERR_FORBIDDEN;
    }
    if (!status || strcmp(status, "active") != 0 || !pw_msisdn_is_e164(msisdn)) {
        snprintf(text, cap, "the subscriber database gave an invalid record for %s", e->chain.watcher_jid);
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    if (account && strcmp(account, "prepaid") == 0) {
        bal = balance ? strtoll(balance, &end, 10) : 0;
        if (!balance || !balance[0] || *end) {
            snprintf(text, cap, "the subscriber database gave no valid balance for %s", e->chain.watcher_jid);
            return PW_ERR_INTERNAL_SERVER_ERROR;
        }
        if (bal < s->price) {
            snprintf(text, cap, "balance %lld is below the enquiry price %lld", bal, (long long)s->price);
            return PW_ERR_PAYMENT_REQUIRED;
        }
    }
    snprintf(e->chain.watcher_msisdn, sizeof e->chain.watcher_msisdn, "%s", msisdn);
    return PW_ERR_NONE;
}

static void on_hss_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          void *arg)
{
    pw_watcher_enquiry_t *e = arg;
    pw_watcher_t *wa = e->wa;
    char text[TEXT_MAX];
    pw_error_t cond;
    pw_status_t rc;

    switch (outcome) {
    case PW_IQ_CANCELLED:
        fail(e, PW_ERR_SERVICE_UNAVAILABLE, "the watcher service is stopping");
        return;
    case PW_IQ_TIMEOUT:
        fail(e, PW_ERR_REMOTE_SERVER_TIMEOUT, "the subscriber database did not answer");
        return;
    case PW_IQ_ERROR:
        cond = pw_stanza_error_parse(response, text, sizeof text);
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
        return;
    case PW_IQ_RESULT:
        break;
    }
    cond = check_subscriber(e, response, text, sizeof text);
    if (cond != PW_ERR_NONE) {
        fail(e, cond, text);
        return;
    }
    /* step e: the watcher's rate */
    rc = pw_ratelimit_take(wa->limiter, e->chain.watcher_jid, pw_loop_now(pw_component_loop(c)));
    if (rc == PW_EDENIED) {
        snprintf(text, sizeof text, "more than %lld enquiries a minute from %s; try again later",
                 (long long)wa->settings->rate_per_watcher, e->chain.watcher_jid);
        fail(e, PW_ERR_RESOURCE_CONSTRAINT, text);
        return;
    }
    if (rc != PW_OK) {
        fail(e, PW_ERR_RESOURCE_CONSTRAINT, "too many watchers are active; try again later");
        return;
    }
    send_to_proxy(e);
}

/* ---- steps a to c: the request ---- */

/* Steps b and c: fills e->step, the job's kind and address and the chain's presentity; on
 * refusal returns the condition with a text. */
static pw_error_t admit(pw_watcher_t *wa, const pw_watcher_ask_t *ask, pw_watcher_enquiry_t *e,
                        char *text, size_t cap)
{
    char forms[512];
    pw_enquiry_kind_t k;
    pw_address_t a;
    pw_error_t cond;

    /* b. a known kind, with its own attributes right */
    if (pw_enquiry_kind_parse(ask->kind, &k) != PW_OK) {
        snprintf(text, cap, "'kind' must be one of current, changes, next, stop");
        return PW_ERR_BAD_REQUEST;
    }
    e->chain.kind = k;
    e->job.kind = k;
    e->step = &kind_steps[k];
    cond = e->step->check(wa, ask, &e->job, text, cap);
    if (cond != PW_ERR_NONE)
        return cond;
    /* c. the presentity's address */
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

/* Put an admitted enquiry in flight. */
static pw_error_t take_in(pw_watcher_t *wa, pw_watcher_enquiry_t *e, const pw_watcher_ask_t *ask,
                          char *text, size_t cap)
{
    const char *id = ask->request ? xmpp_stanza_get_id(ask->request) : NULL;

    if (wa->ninflight >= PW_WATCHER_MAX_INFLIGHT) {
        snprintf(text, cap, "too many enquiries in progress; try again later");
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if (ask->request) {
        e->job.request = xmpp_stanza_copy(ask->request);
        if (!e->job.request) {
            snprintf(text, cap, "out of memory");
            return PW_ERR_INTERNAL_SERVER_ERROR;
        }
    }
    snprintf(e->client_id, sizeof e->client_id, "%s", id ? id : "");
    e->job.done = ask->done;
    e->job.token = ask->token;
    e->wa = wa;
    e->next = wa->inflight;
    if (wa->inflight)
        wa->inflight->prev = e;
    wa->inflight = e;
    wa->ninflight++;
    return PW_ERR_NONE;
}

/* d. ask the HSS about the watcher (the answer arrives in on_hss_answer()). */
static pw_status_t ask_hss(pw_watcher_enquiry_t *e)
{
    pw_watcher_t *wa = e->wa;
    xmpp_stanza_t *iq = xmpp_iq_new(pw_component_ctx(wa->c), "get", NULL), *lookup = NULL;
    pw_status_t rc = PW_ENOMEM;

    if (iq)
        lookup = pw_stanza_add_child(iq, "lookup", PW_WATCHER_NS_HSS);
    if (!lookup)
        goto done;
    xmpp_stanza_set_to(iq, wa->settings->hss);
    xmpp_stanza_set_attribute(lookup, "jid", e->chain.watcher_jid);
    rc = pw_component_send_iq(wa->c, iq, 0, on_hss_answer, e);
done:
    if (iq)
        xmpp_stanza_release(iq);
    return rc;
}

pw_error_t pw_watcher_ask(pw_watcher_t *wa, const pw_watcher_ask_t *ask, char *text, size_t cap)
{
    pw_watcher_enquiry_t *e = calloc(1, sizeof *e);
    pw_error_t cond = PW_ERR_INTERNAL_SERVER_ERROR;

    snprintf(text, cap, "out of memory");
    if (!e)
        goto done;
    /* a. a local user */
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
        unlink_and_free(e);
        e = NULL;
        goto done;
    }
    e = NULL; /* e belongs to the pipeline now */
done:
    if (e) {
        if (e->job.request)
            xmpp_stanza_release(e->job.request); /* refused before being put in flight */
        free(e);
    }
    return cond;
}

/* ---- the IQ route (docs/protocol.md §1.1, §5.1) ---- */

/* The client's answer: the error, or the echo (address normalised) with the state and
 * subscription copied from the chain's result; subscriptions are journaled first. */
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

pw_status_t pw_watcher_enquiry_register(pw_watcher_t *wa)
{
    return pw_component_on_iq(wa->c, PW_NS, "enquiry", PW_IQ_SET, on_enquiry, wa);
}

void pw_watcher_enquiry_cancel_all(pw_watcher_t *wa)
{
    while (wa->inflight) {
        pw_watcher_enquiry_t *e = wa->inflight;
        /* the callback answers and frees e; an enquiry with no IQ pending cannot exist, but
         * never loop forever on one */
        if (pw_component_cancel_iqs(wa->c, e) == 0)
            fail(e, PW_ERR_SERVICE_UNAVAILABLE, "the watcher service is stopping");
    }
}
