/* flow.c: the enquiry's path through the Watcher Presence Proxy, in the order of TS 23.141 A.1 steps 3, 4, 5 and 10 (gateway method steps 3, 4a, 10a/10b), then notifications (A.1 NOTE 1); docs/protocol.md §2.1-2.2, §3 and §5.2. */
#include "proxy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_jid.h"
#include "address/pw_msisdn.h"
#include "chain/pw_peering.h"
#include "core/pw_clock.h"
#include "core/pw_log.h"
#include "core/pw_text.h"
#include "dns/pw_enum.h"

/* How loudly a fallback to the prefix table is logged. */
typedef enum { FALLBACK_QUIET, FALLBACK_NOTE, FALLBACK_WARN } fallback_level_t;

/* the steps, in the order they are read below */
static void derive_network(pw_proxy_call_t *k);
static void by_enum(pw_proxy_call_t *k);
static void enum_answer(pw_proxy_call_t *k, pw_status_t st, const pw_naptr_t *rrs, size_t n,
                        const char *how);
static void by_prefix(pw_proxy_call_t *k, const char *why, fallback_level_t level);
static void network_found(pw_proxy_call_t *k, const char *network);
static void locate_gateways(pw_proxy_call_t *k);
static void srv_answer(pw_proxy_call_t *k, pw_status_t st, const pw_srv_rr_t *rrs, size_t n,
                       const char *how);
static void send_to_gateways(pw_proxy_call_t *k);
static pw_status_t send_signed(pw_proxy_call_t *k);
static void on_gateway_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg);
static void give_up(pw_proxy_call_t *k);
/* helpers */
static void fail(pw_proxy_call_t *k, pw_error_t cond, const char *text);
static void relay(pw_proxy_call_t *k, pw_error_t cond, xmpp_stanza_t *response);
static int from_watcher(const pw_proxy_t *p, const char *from);
static const char *call_id(const pw_proxy_call_t *k);
static const char *status_reason(pw_status_t st);

/*
 * TS 23.141 A.1 step 3: Watcher Application A sends the "Presence enquiry for B" to the
 * Watcher Presence Proxy. Only this operator's WA may, for this operator's network.
 */
void pw_proxy_on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_proxy_t *p = arg;
    pw_proxy_call_t *k = NULL;
    pw_enquiry_t e;
    pw_error_t cond;
    pw_status_t rc;
    char why[768];

    if (!from_watcher(p, xmpp_stanza_get_from(iq))) {
        snprintf(why, sizeof why, "only %.300s may send enquiries to the presence proxy of %.253s",
                 p->settings->watcher, p->settings->network);
        pw_enquiry_refuse(c, iq, NULL, PW_ERR_FORBIDDEN, why);
        return;
    }
    if (pw_enquiry_parse(payload, &e, &cond, why, sizeof why) != PW_OK) {
        pw_enquiry_refuse(c, iq, NULL, cond, why);
        return;
    }
    if (strcasecmp(e.watcher_network, p->settings->network) != 0) {
        snprintf(why, sizeof why, "watcher-network %s is not this operator's network %s",
                 e.watcher_network, p->settings->network);
        pw_enquiry_refuse(c, iq, &e, PW_ERR_BAD_REQUEST, why);
        return;
    }
    if ((int64_t)pw_calls_count(p->calls) >= p->settings->max_in_flight) {
        k = NULL;
        rc = PW_EFULL; /* [proxy] max_in_flight */
    } else {
        k = calloc(1, sizeof *k);
        rc = k ? pw_calls_add(p->calls, &k->call, iq) : PW_ENOMEM;
    }
    if (rc != PW_OK) {
        free(k);
        if (rc == PW_EFULL) {
            snprintf(why, sizeof why, "the presence proxy of %s is busy (%lld enquiries in progress); "
                     "try again in a moment", p->settings->network, (long long)p->settings->max_in_flight);
            pw_enquiry_refuse(c, iq, &e, PW_ERR_RESOURCE_CONSTRAINT, why);
        } else {
            pw_enquiry_refuse(c, iq, &e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        }
        return;
    }
    k->p = p;
    k->e = e;
    k->started_ms = pw_loop_now(pw_component_loop(c));
    pw_debug(xmpp_stanza_get_id(iq), "enquiry %s (%s) for %s", e.ref, pw_enquiry_kind_name(e.kind),
             e.presentity[0] ? e.presentity : e.presentity_jid);
    derive_network(k);
}

/*
 * TS 23.141 A.1 step 4 / gateway method step 3: derive B's network name from B's address.
 * A number: ENUM, then the prefix table. A JID: its domain, no ENUM.
 */
static void derive_network(pw_proxy_call_t *k)
{
    char domain[PW_JID_MAX + 1];

    if (k->e.presentity[0]) {
        by_enum(k);
        return;
    }
    if (pw_jid_domain(k->e.presentity_jid, domain, sizeof domain) != PW_OK ||
        strlen(domain) > PW_ENQUIRY_DOMAIN_MAX) {
        char text[PW_JID_MAX + 64];
        snprintf(text, sizeof text, "presentity-jid %s has no usable domain", k->e.presentity_jid);
        fail(k, PW_ERR_JID_MALFORMED, text);
        return;
    }
    network_found(k, domain);
}

/* A.1 step 4, a number: its ENUM NAPTR records (RFC 6116), from the cache or from DNS. */
static void by_enum(pw_proxy_call_t *k)
{
    pw_proxy_t *p = k->p;
    char name[PW_PROXY_NAME_CAP], why[96];
    const pw_naptr_t *rrs = NULL;
    pw_proxy_lookup_t *l;
    pw_status_t st, rc;
    size_t n = 0;

    if (pw_msisdn_enum_domain(k->e.presentity, p->settings->enum_suffix, name, sizeof name) != PW_OK ||
        strlen(name) > PW_RESOLVER_NAME_MAX) {
        by_prefix(k, "no ENUM domain under the configured suffix", FALLBACK_WARN);
        return;
    }
    if (pw_dnscache_get_naptr(p->cache, name, &st, &rrs, &n) == PW_OK) {
        enum_answer(k, st, rrs, n, "cache");
        return;
    }
    l = pw_proxy_lookup_new(k, name);
    if (!l) {
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    rc = pw_proxy_lookup_naptr(l, enum_answer);
    if (rc != PW_OK) {
        snprintf(why, sizeof why, "the NAPTR lookup could not start (%s)", pw_strerror(rc));
        by_prefix(k, why, FALLBACK_WARN);
    }
}

/* A.1 step 4, the ENUM answer: an E2U+xmpp/E2U+sip URI names the network, else the prefix table. */
static void enum_answer(pw_proxy_call_t *k, pw_status_t st, const pw_naptr_t *rrs, size_t n,
                        const char *how)
{
    fallback_level_t level = strcmp(how, "cache") == 0 ? FALLBACK_QUIET : FALLBACK_NOTE;
    char domain[PW_ENUM_DOMAIN_MAX + 1], uri[PW_ENUM_URI_MAX + 1], why[96];

    switch (st) {
    case PW_OK:
        if (pw_enum_domain_for(k->e.presentity, rrs, n, domain, sizeof domain, uri, sizeof uri) ==
            PW_OK) {
            /* a DNS answer is news; the cache's repeats it on every enquiry (debug) */
            if (level == FALLBACK_QUIET)
                pw_debug(call_id(k), "ENUM %s: %s (%s) -> network %s", k->e.presentity, uri, how, domain);
            else
                pw_info(call_id(k), "ENUM %s: %s (%s) -> network %s", k->e.presentity, uri, how, domain);
            network_found(k, domain);
            return;
        }
        snprintf(why, sizeof why, "no usable NAPTR record (%s answer)", how);
        by_prefix(k, why, level);
        return;
    case PW_ENOTFOUND:
        snprintf(why, sizeof why, "no NAPTR record (%s negative answer)", how);
        by_prefix(k, why, level);
        return;
    case PW_ETIMEOUT:
        by_prefix(k, "the NAPTR lookup timed out", FALLBACK_WARN);
        return;
    default:
        snprintf(why, sizeof why, "the NAPTR lookup failed (%s)", pw_strerror(st));
        by_prefix(k, why, FALLBACK_WARN);
        return;
    }
}

/* A.1 step 4, the fallback: ENUM gave nothing usable (why says what): the longest matching prefix. */
static void by_prefix(pw_proxy_call_t *k, const char *why, fallback_level_t level)
{
    const char *net = pw_proxy_prefix_network(k->p->settings, k->e.presentity);
    const char *then = net ? "using the prefix table" : "no prefix matches either";
    char text[128];

    if (level == FALLBACK_WARN)
        pw_warn(call_id(k), "ENUM %s: %s; %s", k->e.presentity, why, then);
    else if (level == FALLBACK_NOTE)
        pw_info(call_id(k), "ENUM %s: %s; %s", k->e.presentity, why, then);
    else
        pw_debug(call_id(k), "ENUM %s: %s; %s", k->e.presentity, why, then);
    if (!net) {
        snprintf(text, sizeof text, "cannot tell which network %s belongs to", k->e.presentity);
        fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    network_found(k, net);
}

/* A.1 step 4 done: B's network is known. */
static void network_found(pw_proxy_call_t *k, const char *network)
{
    pw_text_fold(network, k->network, sizeof k->network);
    locate_gateways(k);
}

/*
 * A.1 step 5 / gateway method step 4a: find the Gateway Presence Servers of B's network,
 * the SRV records (RFC 2782) of [proxy] gateway_service under it, from the cache or from DNS.
 */
static void locate_gateways(pw_proxy_call_t *k)
{
    pw_proxy_t *p = k->p;
    char name[PW_PROXY_NAME_CAP], text[PW_ENQUIRY_DOMAIN_MAX + 64];
    const pw_srv_rr_t *rrs = NULL;
    pw_proxy_lookup_t *l;
    pw_status_t st, rc;
    size_t n = 0;
    int len;

    snprintf(text, sizeof text, "no presence gateway found for %s", k->network);
    len = snprintf(name, sizeof name, "%s.%s", p->settings->gateway_service, k->network);
    if (len < 0 || (size_t)len > PW_RESOLVER_NAME_MAX) {
        pw_info(call_id(k), "SRV name for %s is too long", k->network);
        fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    if (pw_dnscache_get_srv(p->cache, name, &st, &rrs, &n) == PW_OK) {
        srv_answer(k, st, rrs, n, "cache");
        return;
    }
    l = pw_proxy_lookup_new(k, name);
    if (!l) {
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    rc = pw_proxy_lookup_srv(l, srv_answer);
    if (rc != PW_OK) {
        pw_warn(call_id(k), "SRV %s: the lookup could not start (%s)", name, pw_strerror(rc));
        fail(k, rc == PW_ENOMEM ? PW_ERR_INTERNAL_SERVER_ERROR : PW_ERR_REMOTE_SERVER_NOT_FOUND,
             text);
    }
}

/* Gateway method step 4a, the SRV answer: the gateways in RFC 2782 order (priority, then weight). */
static void srv_answer(pw_proxy_call_t *k, pw_status_t st, const pw_srv_rr_t *rrs, size_t n,
                       const char *how)
{
    const char *id = call_id(k), *service = k->p->settings->gateway_service;
    char text[PW_ENQUIRY_DOMAIN_MAX + 64];
    pw_status_t rc;

    snprintf(text, sizeof text, "no presence gateway found for %s", k->network);
    if (st != PW_OK || n == 0) {
        if (st == PW_ENOTFOUND)
            pw_info(id, "SRV %s.%s: no record (%s negative answer)", service, k->network, how);
        else
            pw_warn(id, "SRV %s.%s: %s", service, k->network, status_reason(st));
        fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    rc = pw_proxy_targets_set(k, rrs, n);
    if (rc == PW_ENOMEM) {
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    if (rc != PW_OK) {
        if (rc == PW_ENOTFOUND)
            pw_info(id, "SRV %s.%s: the service is decidedly not available (target \".\")",
                    service, k->network);
        else
            pw_warn(id, "SRV %s.%s: unusable answer (%s)", service, k->network, pw_strerror(rc));
        fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    k->last_timeout = 0;
    k->last_cond = PW_ERR_NONE;
    send_to_gateways(k);
}

/*
 * A.1 step 5 / gateway method step 4a: send the "Presence enquiry for B" to B's gateway,
 * trying the targets from k->at on until one is on its way; answers the watcher when none
 * can be.
 */
static void send_to_gateways(pw_proxy_call_t *k)
{
    pw_status_t rc;

    for (; k->at < k->ntargets; k->at++) {
        if (!pw_proxy_target_name(k, k->at, k->target, sizeof k->target)) {
            pw_warn(call_id(k), "SRV target '%.64s' of %s is not a domain, skipped",
                    k->targets[k->order[k->at]].target, k->network);
            continue;
        }
        rc = send_signed(k);
        if (rc == PW_OK) {
            char to[PW_JID_MAX + 1];
            if (pw_enquiry_address(&k->e, k->target, to, sizeof to) != PW_OK)
                snprintf(to, sizeof to, "%s", k->target);
            pw_info(call_id(k), "enquiry %s (%s) for %s: network %s, sent to gateway %s", k->e.ref,
                    pw_enquiry_kind_name(k->e.kind),
                    k->e.presentity[0] ? k->e.presentity : k->e.presentity_jid, k->network, to);
            return;
        }
        if (rc == PW_EINVAL || rc == PW_ERANGE) {
            pw_error(call_id(k), "enquiry %s: no address for its presentity at %s", k->e.ref, k->target);
            fail(k, PW_ERR_BAD_REQUEST, "the presentity cannot be addressed at its gateway");
        } else if (rc == PW_ECRYPTO) {
            pw_error(call_id(k), "could not sign the enquiry for %s", k->target);
            fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "the enquiry could not be signed");
        } else if (rc == PW_ECLOSED) {
            char text[PW_ENQUIRY_DOMAIN_MAX + 64];
            snprintf(text, sizeof text, "the presence proxy of %s is not connected",
                     k->p->settings->network);
            fail(k, PW_ERR_SERVICE_UNAVAILABLE, text);
        } else {
            fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        }
        return;
    }
    give_up(k);
}

/*
 * A.1 step 5 NOTE (authentication between the networks) / gateway method step 4c (what B's
 * gateway verifies): sign the enquiry for target k->target and send it.
 * @return PW_OK when the IQ is on its way; PW_EINVAL or PW_ERANGE when the presentity has no
 *         address at that gateway (pw_enquiry_address())
 */
static pw_status_t send_signed(pw_proxy_call_t *k)
{
    pw_proxy_t *p = k->p;
    xmpp_ctx_t *ctx = pw_component_ctx(p->c);
    xmpp_stanza_t *iq = NULL, *el, *sig = NULL;
    char to[PW_JID_MAX + 1];
    pw_status_t rc;

    /* B's_MSISDN@gateway_presence_server.Network_of_B (protocol version 1) */
    rc = pw_enquiry_address(&k->e, k->target, to, sizeof to);
    if (rc != PW_OK)
        goto done;
    rc = PW_ENOMEM;
    iq = pw_enquiry_iq(ctx, &k->e, to);
    if (!iq)
        goto done;
    el = xmpp_stanza_get_child_by_name_and_ns(iq, "enquiry", PW_NS_CHAIN);
    /* a fresh signature for every target: the gateway's domain is signed (not the address
     * above; docs/protocol.md §2.2), a nonce counts once */
    sig = pw_peering_sign(ctx, p->settings->key, p->settings->network, &k->e, pw_component_jid(p->c),
                          k->target, pw_clock_wall_ms());
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

/*
 * A.1 step 10 / gateway method steps 10a, 10b: B's status comes back and goes to the watcher
 * as it is, and so does the gateway's verdict; a gateway that cannot be reached (timeout,
 * remote-server-*, service-unavailable) makes the next target be tried.
 */
static void on_gateway_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg)
{
    pw_proxy_call_t *k = arg;
    char why[600], text[512], next[PW_ENQUIRY_DOMAIN_MAX + 1];
    pw_error_t cond;

    switch (outcome) {
    case PW_IQ_CANCELLED:
        pw_calls_shutting_down(&k->call);
        return;
    case PW_IQ_RESULT:
        pw_proxy_failure_forget(k->p, k->target);
        relay(k, PW_ERR_NONE, response);
        return;
    case PW_IQ_ERROR:
        cond = pw_stanza_error_parse(response, text, sizeof text);
        if (!pw_proxy_fails_over_on(cond)) {
            /* the gateway answered: its verdict goes to the watcher as it is */
            pw_proxy_failure_forget(k->p, k->target);
            relay(k, cond, response);
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
    pw_proxy_failure_remember(k->p, k->target);
    k->at++;
    if (k->at < k->ntargets && pw_proxy_target_name(k, k->at, next, sizeof next))
        pw_warn(call_id(k), "gateway %s failed (%s), trying %s", k->target, why, next);
    else if (k->at < k->ntargets)
        pw_warn(call_id(k), "gateway %s failed (%s), trying the next", k->target, why);
    else
        pw_warn(call_id(k), "gateway %s failed (%s); it was the last of %s", k->target, why,
                k->network);
    send_to_gateways(k);
}

/* A.1 step 10, when every gateway failed: the watcher gets the last failure. */
static void give_up(pw_proxy_call_t *k)
{
    char text[PW_ENQUIRY_DOMAIN_MAX + 96];

    if (k->last_timeout) {
        snprintf(text, sizeof text, "no gateway of %s answered in time", k->network);
        fail(k, PW_ERR_REMOTE_SERVER_TIMEOUT, text);
    } else if (k->last_cond != PW_ERR_NONE) {
        snprintf(text, sizeof text, "no gateway of %s answered (%s)", k->network,
                 pw_error_name(k->last_cond));
        fail(k, k->last_cond, text);
    } else {
        snprintf(text, sizeof text, "no presence gateway found for %s", k->network);
        fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
    }
}

/*
 * TS 23.141 A.1 NOTE 1 (steps 10 and 11 repeated for regular updates): a notification from
 * the gateway of a peer network goes to this operator's watcher, and the watcher's
 * acknowledgement (or its item-not-found: the watcher is gone) back (docs/protocol.md §5.2).
 */
void pw_proxy_on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_proxy_t *p = arg;
    const pw_proxy_settings_t *s = p->settings;
    pw_notify_t n;
    pw_error_t cond;
    const char *network = NULL;
    char why[PW_JID_MAX + 768], domain[PW_JID_PART_MAX + 1];

    if (!pw_proxy_notify_sender_ok(p, xmpp_stanza_get_from(iq), domain, &network, why, sizeof why)) {
        pw_component_reply_error(c, iq, PW_ERR_NOT_AUTHORIZED, why);
        return;
    }
    if (pw_notify_parse(payload, &n, why, sizeof why) != PW_OK) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        return;
    }
    if (strcasecmp(n.proxy, pw_component_jid(c)) != 0) {
        snprintf(why, sizeof why, "this notification is for %s, not for this proxy", n.proxy);
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        return;
    }
    /* signed by that network: told to the WA, which holds each subscription to its network */
    cond = pw_proxy_notify_signed(p, domain, payload, &n, network, why, sizeof why);
    if (cond != PW_ERR_NONE) {
        pw_warn(xmpp_stanza_get_id(iq), "notification from %s refused: %s",
                xmpp_stanza_get_from(iq), why);
        pw_component_reply_error(c, iq, cond, why);
        return;
    }
    pw_notify_forward(c, iq, &n, NULL, s->watcher,
                      "the watcher application did not acknowledge the notification in time");
}

/* ---- helpers ---- */

/* Answer the watcher with an error and end the call, counted. */
static void fail(pw_proxy_call_t *k, pw_error_t cond, const char *text)
{
    pw_enquiry_answered(k->p->c, k->e.kind, cond, k->started_ms);
    pw_calls_fail(&k->call, cond, text);
}

/* Relay the gateway's answer (cond PW_ERR_NONE: B's state; else its verdict) to the watcher as
 * it is and end the call, counted. */
static void relay(pw_proxy_call_t *k, pw_error_t cond, xmpp_stanza_t *response)
{
    pw_component_t *c = k->p->c;
    pw_enquiry_answered(c, k->e.kind, cond, k->started_ms);
    pw_enquiry_relay_through(c, k->call.req, cond == PW_ERR_NONE ? PW_IQ_RESULT : PW_IQ_ERROR,
                             response, NULL, k->network);
    pw_calls_end(&k->call);
}

/* Is from the configured watcher (a component JID, ignoring ASCII case)? */
static int from_watcher(const pw_proxy_t *p, const char *from)
{
    return pw_jid_is_named_component(from, &p->settings->watcher, 1);
}

static const char *call_id(const pw_proxy_call_t *k)
{
    return xmpp_stanza_get_id(k->call.req);
}

static const char *status_reason(pw_status_t st)
{
    switch (st) {
    case PW_ENOTFOUND: return "negative answer";
    case PW_ETIMEOUT: return "timed out";
    default: return "DNS failure";
    }
}
