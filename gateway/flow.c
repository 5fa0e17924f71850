/* flow.c: the enquiry's path through the Gateway Presence Server in the seeds' order (TS 23.141 A.1 with the gateway method; docs/protocol.md §2.2-2.3, §5): a peer's signed enquiry arrives, is verified, is looked up in the HSS, goes to the presentity's Presence Server, and its answer (and later notifications) go back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway_int.h"
#include "address/pw_jid.h"
#include "chain/pw_enquiry.h"
#include "chain/pw_hss.h"
#include "core/pw_clock.h"
#include "core/pw_log.h"

/* One enquiry in flight: the proxy's request, waiting for the HSS, then for the PS. */
typedef struct gw_call {
    pw_call_t call;                        /* first: the table's links and the request */
    pw_gateway_t *gw;
    pw_enquiry_t e;                        /* as parsed, completed from the HSS record */
    char ps[PW_ENQUIRY_DOMAIN_MAX + 1];    /* the presence server, once known */
    uint64_t started_ms;                   /* when it arrived (loop clock): its latency */
} gw_call_t;

/* The steps, in the seeds' order. */
static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg);
static pw_error_t authorize(pw_gateway_t *gw, xmpp_stanza_t *iq, xmpp_stanza_t *payload,
                            const pw_enquiry_t *e, const char **network, char *why, size_t cap);
static int rate_admits(pw_gateway_t *gw, const char *network);
static void lookup_in_hss(gw_call_t *k);
static void on_hss_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          void *arg);
static void forward_to_ps(gw_call_t *k);
static void on_ps_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                         void *arg);
static void on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg);

/* Helpers. */
static void fail(gw_call_t *k, pw_error_t cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int hop_cancelled(gw_call_t *k, pw_iq_outcome_t outcome);
static const char *presentity_name(const gw_call_t *k);

/* ---- the steps ---- */

/* Gateway method step 4b; TS 23.141 A.1 step 5: the enquiry sent by a peer's proxy arrives.
 * It is checked (4c), held to the peer's rate, and taken into the table of calls in flight. */
static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_gateway_t *gw = arg;
    const char *id = xmpp_stanza_get_id(iq), *network = NULL;
    pw_enquiry_t e;
    pw_error_t cond;
    char why[PW_JID_MAX + 768];
    gw_call_t *k;

    if (pw_enquiry_parse(payload, &e, &cond, why, sizeof why) != PW_OK) {
        pw_enquiry_refuse(c, iq, NULL, cond, why);
        return;
    }
    /* step 4a: sent to B's_MSISDN@gateway_presence_server.Network_of_B (protocol version 1) */
    if (pw_enquiry_address_check(&e, xmpp_stanza_get_to(iq), why, sizeof why) != PW_OK) {
        pw_enquiry_refuse(c, iq, &e, PW_ERR_BAD_REQUEST, why);
        return;
    }
    cond = authorize(gw, iq, payload, &e, &network, why, sizeof why);
    if (cond != PW_ERR_NONE) {
        pw_debug(id, "enquiry %s refused: %s", e.ref, why); /* the reply is logged too */
        pw_enquiry_refuse(c, iq, &e, cond, why);
        return;
    }
    if (!rate_admits(gw, network)) {
        snprintf(why, sizeof why, "%s sends more than %lld enquiries per second", network,
                 (long long)gw->settings->rate_per_peer);
        pw_enquiry_refuse(c, iq, &e, PW_ERR_RESOURCE_CONSTRAINT, why);
        return;
    }
    if ((int64_t)pw_calls_count(gw->calls) >= gw->settings->max_in_flight) {
        snprintf(why, sizeof why, "the gateway of %s is busy (%lld enquiries in progress); try again "
                 "in a moment", gw->settings->network, (long long)gw->settings->max_in_flight);
        pw_enquiry_refuse(c, iq, &e, PW_ERR_RESOURCE_CONSTRAINT, why);
        return;
    }
    /* where notifications of a subscription go back to (docs/protocol.md §5.1): the sender */
    if (pw_jid_domain(xmpp_stanza_get_from(iq), e.proxy, sizeof e.proxy) != PW_OK)
        e.proxy[0] = '\0';
    k = calloc(1, sizeof *k);
    if (!k || pw_calls_add(gw->calls, &k->call, iq) != PW_OK) {
        free(k);
        pw_enquiry_refuse(c, iq, &e, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    k->gw = gw;
    k->e = e;
    k->started_ms = pw_loop_now(pw_component_loop(c));
    lookup_in_hss(k);
}

/* An enquiry held up on the way (a WAN outage) until its asker has given up on it (the peer's
 * proxy answered remote-server-timeout after its gateway_timeout) is not served: serving it
 * would charge an answer nobody receives (docs/protocol.md §3).
 * @return PW_ERR_NONE when timestamp (verified) is within max_age, else
 *         PW_ERR_REMOTE_SERVER_TIMEOUT with its text in why */
static pw_error_t too_old(const pw_gateway_t *gw, const char *timestamp, char *why, size_t cap)
{
    uint64_t ts, now = pw_clock_wall_ms(), max = (uint64_t)gw->settings->max_age_ms;
    if (max == 0 || pw_clock_parse(timestamp, &ts) != PW_OK || ts >= now || now - ts <= max)
        return PW_ERR_NONE;
    snprintf(why, cap, "the enquiry reached the gateway of %s %llu ms after it was signed, later "
             "than its max_age of %llu ms: its asker has given up on it (not served, not charged)",
             gw->settings->network, (unsigned long long)(now - ts), (unsigned long long)max);
    return PW_ERR_REMOTE_SERVER_TIMEOUT;
}

/* Gateway method step 4c; TS 23.141 A.1 step 5 NOTE (authentication between the networks):
 * is the sender a peer, is the enquiry signed by it, and is the signature fresh (not a replay)?
 * @return PW_ERR_NONE when accepted (network then names the peer network), else the
 *         condition to answer, with its text in why */
static pw_error_t authorize(pw_gateway_t *gw, xmpp_stanza_t *iq, xmpp_stanza_t *payload,
                            const pw_enquiry_t *e, const char **network, char *why, size_t cap)
{
    const char *from = xmpp_stanza_get_from(iq);
    char domain[PW_JID_MAX + 1], reason[512];
    /* why holds at least PW_JID_MAX + 768 bytes (on_enquiry) */
    const pw_peering_key_t *key;
    xmpp_stanza_t *sig;
    const char *signet;
    pw_status_t rc;

    if (!from || pw_jid_domain(from, domain, sizeof domain) != PW_OK) {
        snprintf(why, cap, "the enquiry has no valid sender address");
        return PW_ERR_NOT_AUTHORIZED;
    }
    /* only components speak for an operator (docs/protocol.md §7): never a user */
    if (!pw_jid_is_component(from, NULL, 0)) {
        snprintf(why, cap, "%.1023s is not a component: only a peer's proxy sends enquiries", from);
        return PW_ERR_NOT_AUTHORIZED;
    }
    /* a valid, commercial, trusted arrangement: the peering agreement */
    key = pw_peering_peers_find(gw->settings->peers, domain, network);
    if (!key) {
        snprintf(why, cap, "%.1023s has no peering agreement with %s", domain, gw->settings->network);
        return PW_ERR_NOT_AUTHORIZED;
    }
    if (strcasecmp(*network, e->watcher_network) != 0) {
        snprintf(why, cap, "watcher-network %s is not the sender's network %s", e->watcher_network,
                 *network);
        return PW_ERR_NOT_AUTHORIZED;
    }
    /* from A's network: its operator's signature */
    sig = xmpp_stanza_get_child_by_name(payload, "signature");
    if (!sig) {
        snprintf(why, cap, "the enquiry carries no operator signature");
        return PW_ERR_NOT_AUTHORIZED;
    }
    signet = xmpp_stanza_get_attribute(sig, "network");
    if (!signet || strcasecmp(signet, *network) != 0) {
        snprintf(why, cap, "the signature's network is not %s", *network);
        return PW_ERR_NOT_AUTHORIZED;
    }
    /* the signed 'to' is the gateway's domain, not the IQ's to (+N@gateway...): the address
     * is checked against the signed attributes instead (pw_enquiry_address_check()) */
    rc = pw_peering_verify(key, sig, e, domain, pw_component_jid(gw->c), reason, sizeof reason);
    if (rc != PW_OK) {
        snprintf(why, cap, "bad operator signature: %s", reason);
        return rc == PW_ECRYPTO ? PW_ERR_INTERNAL_SERVER_ERROR : PW_ERR_NOT_AUTHORIZED;
    }
    /* fresh: its timestamp near the gateway's clock, its nonce not seen before */
    rc = pw_peering_replay_check(gw->replay, *network, xmpp_stanza_get_attribute(sig, "timestamp"),
                                 xmpp_stanza_get_attribute(sig, "nonce"), pw_clock_wall_ms(),
                                 reason, sizeof reason);
    if (rc == PW_EFULL || rc == PW_ENOMEM) {
        snprintf(why, cap, "the gateway of %s is overloaded: %s", gw->settings->network, reason);
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if (rc != PW_OK) {
        snprintf(why, cap, "%s", reason);
        return PW_ERR_NOT_AUTHORIZED;
    }
    return too_old(gw, xmpp_stanza_get_attribute(sig, "timestamp"), why, cap);
}

/* After gateway method step 4c: the per-peer rate limit (a token bucket per peer network).
 * @return 1 when network's bucket gave a token, 0 when it is over its rate */
static int rate_admits(pw_gateway_t *gw, const char *network)
{
    return pw_ratelimit_take(gw->rates, network, pw_loop_now(pw_component_loop(gw->c))) == PW_OK;
}

/* Gateway method step 5; TS 23.141 A.1 step 6: ask the HSS for B's presence server, by B's
 * number or, for an enquiry by JID, by B's account. */
static void lookup_in_hss(gw_call_t *k)
{
    const pw_enquiry_t *e = &k->e;
    int by_number = e->presentity[0] != '\0';
    pw_status_t rc = pw_hss_client_lookup(k->gw->hss, by_number ? e->presentity : NULL,
                                          by_number ? NULL : e->presentity_jid, on_hss_answer, k);
    if (rc != PW_OK)
        fail(k, rc == PW_ENOMEM ? PW_ERR_INTERNAL_SERVER_ERROR : PW_ERR_SERVICE_UNAVAILABLE,
             "the subscriber database of %s is unreachable", k->gw->settings->network);
}

/* Gateway method step 6; TS 23.141 A.1 step 6: the address of B's presence server is returned
 * (with B's account JID and number), or B is no subscriber, or the HSS fails. */
static void on_hss_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          void *arg)
{
    gw_call_t *k = arg;
    const pw_gateway_settings_t *s = k->gw->settings;
    const char *id = xmpp_stanza_get_id(k->call.req);
    char text[PW_JID_MAX + 1024];
    pw_hss_record_t r;
    pw_error_t cond;

    (void)c;
    if (hop_cancelled(k, outcome))
        return;
    if (outcome == PW_IQ_TIMEOUT) {
        fail(k, PW_ERR_REMOTE_SERVER_TIMEOUT, "the subscriber database of %s did not answer in time",
             s->network);
        return;
    }
    if (outcome == PW_IQ_ERROR) {
        cond = pw_stanza_error_parse(response, text, sizeof text);
        if (cond == PW_ERR_ITEM_NOT_FOUND) {
            fail(k, PW_ERR_ITEM_NOT_FOUND, "%s is not a subscriber of %s", presentity_name(k),
                 s->network);
            return;
        }
        /* the HSS's own text names internal addresses: the log has it, the peer does not */
        pw_error(id, "HSS %s refused the lookup of %s: %s %s", s->hss, presentity_name(k),
                 pw_error_name(cond), text);
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "the gateway of %s could not look %s up", s->network,
             presentity_name(k));
        return;
    }
    /* the gateway needs B's account (a bare JID with a node) and B's presence server */
    if (pw_hss_record_parse(response, &r) != PW_OK || !r.jid[0] || !r.presence_server[0]) {
        pw_error(id, "HSS %s gave an incomplete record for %s", s->hss, presentity_name(k));
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "the subscriber record of %s in %s is incomplete",
             presentity_name(k), s->network);
        return;
    }
    snprintf(k->e.presentity_jid, sizeof k->e.presentity_jid, "%s", r.jid);
    if (!k->e.presentity[0] && r.msisdn[0])
        snprintf(k->e.presentity, sizeof k->e.presentity, "%s", r.msisdn);
    snprintf(k->ps, sizeof k->ps, "%s", r.presence_server);
    forward_to_ps(k);
}

/* Gateway method step 7; TS 23.141 A.1 step 7: the "Presence query for B" goes to B's presence
 * server, without the peer's signature, naming the sender as where notifications go back to.
 * (Steps 8 and 9 are the presence server's.) */
static void forward_to_ps(gw_call_t *k)
{
    pw_component_t *c = k->gw->c;
    xmpp_stanza_t *iq = NULL;
    char to[PW_JID_MAX + 1];
    pw_status_t rc;

    /* B's_MSISDN@B's_presence_server.Network_of_B (protocol version 1) */
    if (pw_enquiry_address(&k->e, k->ps, to, sizeof to) != PW_OK) {
        pw_error(xmpp_stanza_get_id(k->call.req), "HSS %s named presence server '%s' for %s: "
                 "no address for the enquiry", k->gw->settings->hss, k->ps, presentity_name(k));
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "the subscriber record of %s in %s is incomplete",
             presentity_name(k), k->gw->settings->network);
        return;
    }
    iq = pw_enquiry_iq(pw_component_ctx(c), &k->e, to);
    if (!iq) {
        fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    pw_info(xmpp_stanza_get_id(k->call.req), "enquiry %s from %s (signature verified) for %s: served by %s",
            k->e.ref, k->e.watcher_network, k->e.presentity_jid, to);
    rc = pw_component_send_iq(c, iq, 0, on_ps_answer, k);
    xmpp_stanza_release(iq);
    if (rc != PW_OK)
        fail(k, PW_ERR_SERVICE_UNAVAILABLE, "the presence service of %s is unreachable",
             k->gw->settings->network);
}

/* Gateway method step 10a; TS 23.141 A.1 step 10: B's status (or the presence server's refusal)
 * goes back to the peer's proxy, never with an internal address in it. */
static void on_ps_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                         void *arg)
{
    gw_call_t *k = arg;
    const pw_gateway_settings_t *s = k->gw->settings;
    char text[1024];
    pw_error_t cond = outcome == PW_IQ_RESULT ? PW_ERR_NONE : PW_ERR_REMOTE_SERVER_TIMEOUT;

    if (hop_cancelled(k, outcome))
        return;
    if (outcome == PW_IQ_ERROR) {
        cond = pw_stanza_error_parse(response, text, sizeof text);
        /* never let an internal address out, whatever the PS wrote */
        if (strcasestr(text, k->ps) || strcasestr(text, s->hss) ||
            strcasestr(text, pw_component_jid(c))) {
            pw_warn(xmpp_stanza_get_id(k->call.req), "presence server %s answered %s: %s", k->ps,
                    pw_error_name(cond), text);
            fail(k, cond, "the presence service of %s refused the enquiry (%s)", s->network,
                 pw_error_name(cond));
            return;
        }
    }
    snprintf(text, sizeof text, "the presence service of %s did not answer in time", s->network);
    pw_enquiry_answered(c, k->e.kind, cond, k->started_ms);
    pw_enquiry_relay(c, k->call.req, outcome, response, text);
    pw_calls_end(&k->call);
}

/* TS 23.141 A.1 NOTE 1 (steps 10 and 11 repeated): a notification of a subscription, from one
 * of this operator's presence servers (named in [gateway] presence_servers), is signed with
 * this operator's key and relayed to the watcher's proxy it names, and its acknowledgement
 * back (docs/protocol.md §5.2). */
static void on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_gateway_t *gw = arg;
    const pw_gateway_settings_t *s = gw->settings;
    pw_notify_t n;
    const char *network = NULL;
    xmpp_stanza_t *sig;
    char why[512];

    if (!pw_jid_is_named_component(xmpp_stanza_get_from(iq), s->presence_servers.items,
                                   s->presence_servers.n)) {
        snprintf(why, sizeof why, "only the presence servers of %s send notifications through this gateway",
                 s->network);
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN, why);
        return;
    }
    if (pw_notify_parse(payload, &n, why, sizeof why) != PW_OK) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        return;
    }
    if (!pw_peering_peers_find(s->peers, n.proxy, &network)) {
        snprintf(why, sizeof why, "no peering agreement covers %s", n.proxy);
        pw_component_reply_error(c, iq, PW_ERR_NOT_AUTHORIZED, why);
        return;
    }
    n.network[0] = '\0'; /* the signature names the network, the proxy tells its WA */
    sig = pw_peering_sign_notify(pw_component_ctx(c), s->key, s->network, &n, pw_component_jid(c),
                                 n.proxy, pw_clock_wall_ms());
    if (!sig) {
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR,
                                 "the notification could not be signed");
        return;
    }
    pw_notify_forward(c, iq, &n, sig, n.proxy,
                      "the watcher's network did not acknowledge the notification in time");
    xmpp_stanza_release(sig);
}

/* ---- where the steps come in ---- */

/* The enquiry (step 4b) and the notification (NOTE 1) are IQs of the chain namespace. */
pw_status_t gw_flow_attach(pw_gateway_t *gw)
{
    pw_status_t rc = pw_component_on_iq(gw->c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, on_enquiry, gw);
    if (rc == PW_OK)
        rc = pw_component_on_iq(gw->c, PW_NS_CHAIN, "notify", PW_IQ_SET, on_notify, gw);
    return rc;
}

/* ---- helpers ---- */

/* Answer the peer's proxy with an error whose text is formatted, and end the call (counted). */
static void fail(gw_call_t *k, pw_error_t cond, const char *fmt, ...)
{
    char text[PW_JID_MAX + 1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pw_enquiry_answered(k->gw->c, k->e.kind, cond, k->started_ms);
    pw_calls_fail(&k->call, cond, text);
}

/* A hop's IQ cancelled (the gateway is going away): answer the enquiry so and end it.
 * @return 1 when the call has ended, 0 to go on with the outcome */
static int hop_cancelled(gw_call_t *k, pw_iq_outcome_t outcome)
{
    if (outcome != PW_IQ_CANCELLED)
        return 0;
    pw_calls_shutting_down(&k->call);
    return 1;
}

/* The presentity as named in texts: its number, or its JID. */
static const char *presentity_name(const gw_call_t *k)
{
    return k->e.presentity[0] ? k->e.presentity : k->e.presentity_jid;
}
