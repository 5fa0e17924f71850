/* enquiry_pipeline.c: the client enquiry (docs/protocol.md §1.1, §2.1; DESIGN.md §1 steps 1-3, TS 23.141 A.1):
 * local user, kind, address, HSS lookup (RFC 6120 §8.2.3 IQ to the HSS), rate limit, chain enquiry to the WPP, answer. */
#include "watcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pw_enquiry.h"
#include "pw_jid.h"
#include "pw_log.h"
#include "pw_stanza.h"

#define CLIENT_ID_MAX 127
#define TEXT_MAX (PW_JID_MAX + 1024)

/*
 * What differs per kind. Step b runs `check` on the client's element (attributes only this
 * kind has); step g runs `answer` with the chain's outcome. A kind with `later` set is
 * refused at step b with feature-not-implemented.
 */
typedef struct kind_step {
    const char *later;
    pw_error_t (*check)(const pw_watcher_t *wa, xmpp_stanza_t *el, pw_enquiry_t *chain,
                        char *why, size_t cap);
    void (*answer)(pw_watcher_enquiry_t *e, pw_iq_outcome_t outcome, xmpp_stanza_t *response);
} kind_step_t;

/* One client enquiry in flight: between the HSS lookup and the proxy's answer. */
struct pw_watcher_enquiry {
    pw_watcher_enquiry_t *prev, *next;
    pw_watcher_t *wa;
    const kind_step_t *step;
    xmpp_stanza_t *request; /* a deep copy of the client's IQ, its address normalised */
    char client_id[CLIENT_ID_MAX + 1];
    pw_enquiry_t chain;     /* filled step by step; ref "" until step f */
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
    xmpp_stanza_release(e->request);
    free(e);
}

/* The one log line of an enquiry that got past the first checks, then free it. */
static void finish(pw_watcher_enquiry_t *e, const char *outcome)
{
    const char *address = xmpp_stanza_get_attribute(pw_stanza_payload(e->request), "address");
    pw_info(e->client_id, "enquiry %s: %s asked '%s' about %s: %s",
            e->chain.ref[0] ? e->chain.ref : "-", e->chain.watcher_jid,
            pw_enquiry_kind_name(e->chain.kind), address ? address : "?", outcome);
    unlink_and_free(e);
}

/* Answer the client with an error and finish. */
static void fail(pw_watcher_enquiry_t *e, pw_error_t cond, const char *text)
{
    char outcome[TEXT_MAX + 64];
    pw_component_reply_error(e->wa->c, e->request, cond, text);
    snprintf(outcome, sizeof outcome, "%s (%s)", pw_error_name(cond), text);
    finish(e, outcome);
}

/* ---- per-kind steps ---- */

/* Step b for kinds without a duration. */
static pw_error_t check_no_duration(const pw_watcher_t *wa, xmpp_stanza_t *el, pw_enquiry_t *chain,
                                    char *why, size_t cap)
{
    (void)wa;
    (void)chain;
    if (xmpp_stanza_get_attribute(el, "duration")) {
        snprintf(why, cap, "'duration' belongs to 'changes' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    return PW_ERR_NONE;
}

/* Step g for 'current': the result must carry the state; relay it (or the error). */
static void answer_current(pw_watcher_enquiry_t *e, pw_iq_outcome_t outcome, xmpp_stanza_t *response)
{
    char text[TEXT_MAX], summary[TEXT_MAX + 64];
    pw_presence_state_t st;
    xmpp_stanza_t *answer, *state = NULL;

    if (outcome == PW_IQ_RESULT) {
        answer = pw_stanza_payload(response);
        state = answer ? xmpp_stanza_get_child_by_name_and_ns(answer, "state", PW_NS) : NULL;
        if (!state || pw_state_parse(state, &st) != PW_OK) {
            fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "the presence network answered without a valid state");
            return;
        }
    }
    pw_enquiry_relay(e->wa->c, e->request, outcome, response,
                     "no answer from the presence network in time");
    if (outcome == PW_IQ_RESULT) {
        snprintf(summary, sizeof summary, "available=%s%s%s", st.available ? "true" : "false",
                 st.show[0] ? " show=" : "", st.show);
    } else if (outcome == PW_IQ_ERROR) {
        pw_error_t cond = pw_stanza_error_parse(response, text, sizeof text);
        snprintf(summary, sizeof summary, "%s (%s)", pw_error_name(cond), text);
    } else {
        snprintf(summary, sizeof summary, "remote-server-timeout (no answer from %s)",
                 e->wa->settings->proxy);
    }
    finish(e, summary);
}

static const kind_step_t kind_steps[] = {
    [PW_KIND_CURRENT] = { NULL, check_no_duration, answer_current },
    [PW_KIND_CHANGES] = { "'changes' enquiries come in a later release", NULL, NULL },
    [PW_KIND_NEXT] = { "'next' enquiries come in a later release", NULL, NULL },
    [PW_KIND_STOP] = { "'stop' enquiries come in a later release", NULL, NULL },
};

/* ---- step g: the proxy answered ---- */

static void on_proxy_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                            void *arg)
{
    pw_watcher_enquiry_t *e = arg;
    (void)c;
    if (outcome == PW_IQ_CANCELLED) {
        fail(e, PW_ERR_SERVICE_UNAVAILABLE, "the watcher service is stopping");
        return;
    }
    e->step->answer(e, outcome, response);
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
    iq = pw_enquiry_iq(ctx, &e->chain, s->proxy);
    if (!iq) {
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    rc = pw_component_send_iq(wa->c, iq, 0, on_proxy_answer, e);
    xmpp_stanza_release(iq);
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
    rc = pw_watcher_limiter_take(wa->limiter, e->chain.watcher_jid, pw_loop_now(pw_component_loop(c)));
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

/* ---- steps a to c: the client's request ---- */

/* Step a: the bare JID of a local user, or an error text. */
static pw_error_t check_sender(const pw_watcher_t *wa, xmpp_stanza_t *iq, char *bare, size_t cap,
                               char *text, size_t tcap)
{
    const char *from = xmpp_stanza_get_from(iq);
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1];

    if (!from || pw_jid_split(from, local, sizeof local, domain, sizeof domain, NULL, 0) != PW_OK ||
        !local[0] || strcasecmp(domain, wa->settings->domain) != 0 ||
        (size_t)snprintf(bare, cap, "%s@%s", local, domain) >= cap) {
        snprintf(text, tcap, "only users of %s may use this service", wa->settings->domain);
        return PW_ERR_FORBIDDEN;
    }
    return PW_ERR_NONE;
}

/* Steps b and c, after a: fills e->step and the chain's kind and presentity, and node (the
 * normalised address); on refusal returns the condition with a text. */
static pw_error_t admit(pw_watcher_t *wa, xmpp_stanza_t *el, pw_watcher_enquiry_t *e, char *node,
                        size_t ncap, char *text, size_t cap)
{
    const char *kind = xmpp_stanza_get_attribute(el, "kind");
    const char *address = xmpp_stanza_get_attribute(el, "address");
    char forms[512];
    pw_enquiry_kind_t k;
    pw_address_t a;
    pw_error_t cond;

    /* b. a known kind, implemented, with its own attributes right */
    if (pw_enquiry_kind_parse(kind, &k) != PW_OK) {
        snprintf(text, cap, "'kind' must be one of current, changes, next, stop");
        return PW_ERR_BAD_REQUEST;
    }
    e->chain.kind = k;
    e->step = &kind_steps[k];
    if (e->step->later) {
        snprintf(text, cap, "%s", e->step->later);
        return PW_ERR_FEATURE_NOT_IMPLEMENTED;
    }
    cond = e->step->check(wa, el, &e->chain, text, cap);
    if (cond != PW_ERR_NONE)
        return cond;
    /* c. the presentity's address */
    if (!address) {
        snprintf(text, cap, "'address' is required: %s",
                 pw_watcher_address_forms(wa, forms, sizeof forms));
        return PW_ERR_BAD_REQUEST;
    }
    if (pw_address_parse(address, &wa->rules, &a) != PW_OK ||
        pw_address_to_node(&a, node, ncap) != PW_OK) {
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

/* Put an admitted enquiry in flight: keep the request (its address normalised for the echo). */
static pw_error_t take_in(pw_watcher_t *wa, pw_watcher_enquiry_t *e, xmpp_stanza_t *iq,
                          const char *node, char *text, size_t cap)
{
    const char *id = xmpp_stanza_get_id(iq);

    if (wa->ninflight >= PW_WATCHER_MAX_INFLIGHT) {
        snprintf(text, cap, "too many enquiries in progress; try again later");
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    e->request = xmpp_stanza_copy(iq);
    if (!e->request) {
        snprintf(text, cap, "out of memory");
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    xmpp_stanza_set_attribute(pw_stanza_payload(e->request), "address", node);
    snprintf(e->client_id, sizeof e->client_id, "%s", id ? id : "");
    e->wa = wa;
    e->next = wa->inflight;
    if (wa->inflight)
        wa->inflight->prev = e;
    wa->inflight = e;
    wa->ninflight++;
    return PW_ERR_NONE;
}

/* d. ask the HSS about the watcher (the answer arrives in on_hss_answer()). */
static void ask_hss(pw_watcher_enquiry_t *e)
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
    if (rc != PW_OK)
        fail(e, PW_ERR_INTERNAL_SERVER_ERROR, "the subscriber database cannot be reached");
}

static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg)
{
    pw_watcher_t *wa = arg;
    pw_watcher_enquiry_t *e = calloc(1, sizeof *e);
    char text[TEXT_MAX], node[PW_JID_PART_MAX + 1];
    pw_error_t cond = PW_ERR_INTERNAL_SERVER_ERROR;

    snprintf(text, sizeof text, "out of memory");
    if (!e)
        goto done;
    /* a. a local user */
    cond = check_sender(wa, iq, e->chain.watcher_jid, sizeof e->chain.watcher_jid, text, sizeof text);
    if (cond == PW_ERR_NONE)
        cond = admit(wa, el, e, node, sizeof node, text, sizeof text);
    if (cond == PW_ERR_NONE)
        cond = take_in(wa, e, iq, node, text, sizeof text);
    if (cond != PW_ERR_NONE)
        goto done;
    ask_hss(e); /* e belongs to the pipeline now */
    e = NULL;
done:
    if (cond != PW_ERR_NONE)
        pw_component_reply_error(c, iq, cond, text);
    free(e); /* refused before take_in() kept anything */
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
