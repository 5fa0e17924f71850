/* forward.c: the proxy signs the enquiry for each gateway target in RFC 2782 order, fails over on
 * timeouts and remote-server-* / service-unavailable errors, and relays the answer to the watcher
 * (docs/protocol.md §2.2 and §3; RFC 6120 §8.3.3 conditions). */
#include "proxy_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pw_log.h"
#include "chain/pw_peering.h"

static const char *call_id(const pw_proxy_call_t *k)
{
    return xmpp_stanza_get_id(k->req);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Errors after which the next target is tried: the gateway could not be reached. */
static int fail_over_on(pw_error_t cond)
{
    return cond == PW_ERR_REMOTE_SERVER_NOT_FOUND || cond == PW_ERR_REMOTE_SERVER_TIMEOUT ||
           cond == PW_ERR_SERVICE_UNAVAILABLE;
}

/* The target at position at, as a lower-case domain without a trailing dot; 0 when unusable. */
static int target_name(const pw_proxy_call_t *k, size_t at, char *out, size_t cap)
{
    const char *t = k->targets[k->order[at]].target;
    size_t len = strnlen(t, sizeof k->targets[0].target);

    if (len > 0 && t[len - 1] == '.')
        len--;
    if (len == 0 || len >= cap || len > PW_ENQUIRY_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)t[i]);
    out[len] = '\0';
    return 1;
}

static void on_gateway_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg);

/* All targets failed: answer with the last failure. */
static void give_up(pw_proxy_call_t *k)
{
    char text[PW_ENQUIRY_DOMAIN_MAX + 96];

    if (k->last_timeout) {
        snprintf(text, sizeof text, "no gateway of %s answered in time", k->network);
        pw_proxy_call_fail(k, PW_ERR_REMOTE_SERVER_TIMEOUT, text);
    } else if (k->last_cond != PW_ERR_NONE) {
        snprintf(text, sizeof text, "no gateway of %s answered (%s)", k->network,
                 pw_error_name(k->last_cond));
        pw_proxy_call_fail(k, k->last_cond, text);
    } else {
        snprintf(text, sizeof text, "no presence gateway found for %s", k->network);
        pw_proxy_call_fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
    }
}

/* Sign for target k->target and send. @return PW_OK when the IQ is on its way. */
static pw_status_t send_to_target(pw_proxy_call_t *k)
{
    pw_proxy_t *p = k->p;
    xmpp_ctx_t *ctx = pw_component_ctx(p->c);
    xmpp_stanza_t *iq = pw_enquiry_iq(ctx, &k->e, k->target), *el, *sig = NULL;
    pw_status_t rc = PW_ENOMEM;

    if (!iq)
        goto done;
    el = xmpp_stanza_get_child_by_name_and_ns(iq, "enquiry", PW_NS_CHAIN);
    /* a fresh signature for every target: the gateway's JID is signed, a nonce counts once */
    sig = pw_peering_sign(ctx, p->settings->key, p->settings->network, &k->e, pw_component_jid(p->c),
                          k->target, wall_ms());
    if (!el || !sig) {
        rc = PW_ECRYPTO;
        goto done;
    }
    if (xmpp_stanza_add_child(el, sig) != XMPP_EOK)
        goto done;
    rc = pw_component_send_iq(p->c, iq, (uint64_t)p->settings->gateway_timeout_ms,
                              on_gateway_answer, k);
done:
    if (sig)
        xmpp_stanza_release(sig);
    if (iq)
        xmpp_stanza_release(iq);
    return rc;
}

/* Try targets from k->at on until one is on its way; answers the watcher when none can be. */
static void try_from(pw_proxy_call_t *k)
{
    pw_status_t rc;

    for (; k->at < k->ntargets; k->at++) {
        if (!target_name(k, k->at, k->target, sizeof k->target)) {
            pw_warn(call_id(k), "SRV target '%.64s' of %s is not a domain, skipped",
                    k->targets[k->order[k->at]].target, k->network);
            continue;
        }
        rc = send_to_target(k);
        if (rc == PW_OK) {
            pw_info(call_id(k), "enquiry %s (%s) for %s: network %s, sent to gateway %s", k->e.ref,
                    pw_enquiry_kind_name(k->e.kind),
                    k->e.presentity[0] ? k->e.presentity : k->e.presentity_jid, k->network, k->target);
            return;
        }
        if (rc == PW_ECRYPTO) {
            pw_error(call_id(k), "could not sign the enquiry for %s", k->target);
            pw_proxy_call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "the enquiry could not be signed");
        } else if (rc == PW_ECLOSED) {
            char text[PW_ENQUIRY_DOMAIN_MAX + 64];
            snprintf(text, sizeof text, "the presence proxy of %s is not connected",
                     k->p->settings->network);
            pw_proxy_call_fail(k, PW_ERR_SERVICE_UNAVAILABLE, text);
        } else {
            pw_proxy_call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        }
        return;
    }
    give_up(k);
}

/* ---- remembered failures ---- */

static int free_until(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
    return 0;
}

void pw_proxy_failed_clear(pw_proxy_t *p)
{
    if (!p->failed)
        return;
    pw_map_foreach(p->failed, free_until, NULL);
    pw_map_destroy(p->failed);
    p->failed = NULL;
}

/* Is target within its hold after a failure? Expired entries are dropped here. */
static int recently_failed(pw_proxy_t *p, const char *target)
{
    uint64_t *until = pw_map_get(p->failed, target);
    if (!until)
        return 0;
    if (*until > pw_loop_now(pw_component_loop(p->c)))
        return 1;
    free(pw_map_remove(p->failed, target));
    return 0;
}

static void remember_failure(pw_proxy_t *p, const char *target)
{
    uint64_t *until;
    if (p->settings->failed_hold_ms <= 0 || pw_map_count(p->failed) >= 100000)
        return;
    until = pw_map_get(p->failed, target);
    if (!until) {
        until = malloc(sizeof *until);
        if (!until || pw_map_put(p->failed, target, until, NULL) != PW_OK) {
            free(until);
            return;
        }
    }
    *until = pw_loop_now(pw_component_loop(p->c)) + (uint64_t)p->settings->failed_hold_ms;
}

static void forget_failure(pw_proxy_t *p, const char *target)
{
    free(pw_map_remove(p->failed, target));
}

void pw_proxy_prefer_healthy(pw_proxy_call_t *k)
{
    size_t healthy = 0;
    size_t *sick = malloc(k->ntargets * sizeof *sick), nsick = 0;
    if (!sick)
        return; /* keep the plain RFC 2782 order */
    for (size_t i = 0; i < k->ntargets; i++) {
        size_t idx = k->order[i];
        if (recently_failed(k->p, k->targets[idx].target))
            sick[nsick++] = idx;
        else
            k->order[healthy++] = idx;
    }
    memcpy(k->order + healthy, sick, nsick * sizeof *sick);
    free(sick);
}

static void on_gateway_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg)
{
    pw_proxy_call_t *k = arg;
    char why[600], text[512], next[PW_ENQUIRY_DOMAIN_MAX + 1];
    pw_error_t cond;

    switch (outcome) {
    case PW_IQ_CANCELLED:
        pw_proxy_call_shutting_down(k);
        return;
    case PW_IQ_RESULT:
        forget_failure(k->p, k->target);
        pw_enquiry_relay(c, k->req, outcome, response, NULL);
        pw_proxy_call_free(k);
        return;
    case PW_IQ_ERROR:
        cond = pw_stanza_error_parse(response, text, sizeof text);
        if (!fail_over_on(cond)) {
            /* the gateway answered: its verdict goes to the watcher as it is */
            forget_failure(k->p, k->target);
            pw_enquiry_relay(c, k->req, outcome, response, NULL);
            pw_proxy_call_free(k);
            return;
        }
        k->last_timeout = cond == PW_ERR_REMOTE_SERVER_TIMEOUT;
        k->last_cond = cond;
        snprintf(why, sizeof why, "%s%s%.500s", pw_error_name(cond), text[0] ? ": " : "", text);
        break;
    case PW_IQ_TIMEOUT:
    default:
        k->last_timeout = 1;
        k->last_cond = PW_ERR_REMOTE_SERVER_TIMEOUT;
        snprintf(why, sizeof why, "no answer in %lld ms", (long long)k->p->settings->gateway_timeout_ms);
        break;
    }
    remember_failure(k->p, k->target);
    k->at++;
    if (k->at < k->ntargets && target_name(k, k->at, next, sizeof next))
        pw_warn(call_id(k), "gateway %s failed (%s), trying %s", k->target, why, next);
    else if (k->at < k->ntargets)
        pw_warn(call_id(k), "gateway %s failed (%s), trying the next", k->target, why);
    else
        pw_warn(call_id(k), "gateway %s failed (%s); it was the last of %s", k->target, why,
                k->network);
    try_from(k);
}

void pw_proxy_forward(pw_proxy_call_t *k)
{
    k->at = 0;
    k->last_timeout = 0;
    k->last_cond = PW_ERR_NONE;
    try_from(k);
}
