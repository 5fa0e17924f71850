/* gateway.c: the Gateway Presence Server: checks a peer operator's signed enquiry, finds the
 * presentity in the HSS and forwards to its Presence Server (docs/protocol.md §2.2-2.3, TS 23.141
 * A.1 via the seeds' Gateway Presence Server method; RFC 6120 §8.2.3 IQ semantics). */
#include "gateway.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chain/pw_enquiry.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "core/pw_map.h"
#include "core/pw_ratelimit.h"
#include "address/pw_msisdn.h"

/* ---- configuration ---- */

static const pw_config_option_t gw_options[] = {
    PW_CONFIG_COMMON_OPTIONS(pw_gateway_settings_t, common),
    { "gateway", "network", PW_OPT_DOMAIN, 1, 253, NULL,
      "this operator's network domain, e.g. opb.example (named in the texts sent to peers)",
      offsetof(pw_gateway_settings_t, network) },
    { "gateway", "hss", PW_OPT_JID, 1, 1023, NULL,
      "JID of this operator's HSS, e.g. hss.opb.example",
      offsetof(pw_gateway_settings_t, hss) },
    { "gateway", "max_skew", PW_OPT_DURATION, 1000, 3600000, "5m",
      "refuse signatures whose timestamp is further than this from the gateway's clock",
      offsetof(pw_gateway_settings_t, max_skew_ms) },
    { "gateway", "max_nonces", PW_OPT_INT, 1, 100000000, "1000000",
      "most nonces remembered against replay (about 48 bytes each); beyond: resource-constraint",
      offsetof(pw_gateway_settings_t, max_nonces) },
    { "gateway", "rate_per_peer", PW_OPT_INT, 1, 1000000, "200",
      "enquiries per second accepted from each peer network (burst = rate)",
      offsetof(pw_gateway_settings_t, rate_per_peer) },
};

/* A [peers] line: network = public key file (PEM). */
static pw_status_t peers_line(void *settings, const char *key, const char *value, char *why,
                              size_t cap)
{
    pw_gateway_settings_t *s = settings;
    if (!s->peers && pw_peering_peers_create(&s->peers) != PW_OK) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    return pw_peering_peers_add(s->peers, key, value, why, cap);
}

static const pw_config_map_t gw_maps[] = {
    { "peers", peers_line,
      "a peer operator's network domain = the file of its Ed25519 public key (PEM)" },
};

static void gw_free_maps(void *settings)
{
    pw_gateway_settings_t *s = settings;
    pw_peering_peers_destroy(s->peers);
    s->peers = NULL;
}

static pw_status_t gw_check(void *settings, char *why, size_t cap)
{
    pw_gateway_settings_t *s = settings;
    if (pw_peering_peers_count(s->peers) == 0) {
        snprintf(why, cap, "[peers] lists no peer network: every enquiry would be refused");
        return PW_ECONFIG;
    }
    return PW_OK;
}

/* ---- state ---- */

/* One enquiry in flight: the proxy's request, waiting for the HSS, then for the PS. */
typedef struct gw_call {
    struct pw_gateway *gw;
    struct gw_call *prev, *next;
    xmpp_stanza_t *req;                    /* clone of the proxy's IQ */
    pw_enquiry_t e;                        /* as parsed, completed from the HSS record */
    char ps[PW_ENQUIRY_DOMAIN_MAX + 1];    /* the presence server, once known */
} gw_call_t;

struct pw_gateway {
    pw_component_t *c;
    pw_gateway_settings_t *settings;
    pw_peering_replay_t *replay;
    pw_ratelimit_t *rates; /* per peer network */
    gw_call_t *calls;  /* in flight */
    size_t ncalls;
};

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static gw_call_t *call_new(pw_gateway_t *gw, xmpp_stanza_t *iq, const pw_enquiry_t *e)
{
    gw_call_t *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->req = xmpp_stanza_clone(iq);
    k->gw = gw;
    k->e = *e;
    k->next = gw->calls;
    if (gw->calls)
        gw->calls->prev = k;
    gw->calls = k;
    gw->ncalls++;
    return k;
}

static void call_free(gw_call_t *k)
{
    pw_gateway_t *gw = k->gw;
    if (k->prev)
        k->prev->next = k->next;
    else
        gw->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
    gw->ncalls--;
    if (k->req)
        xmpp_stanza_release(k->req);
    free(k);
}

/* Answer the proxy with an error and end the call. */
static void call_fail(gw_call_t *k, pw_error_t cond, const char *text)
{
    pw_component_reply_error(k->gw->c, k->req, cond, text);
    call_free(k);
}

static void call_shutting_down(gw_call_t *k)
{
    char text[320];
    snprintf(text, sizeof text, "the gateway of %s is shutting down", k->gw->settings->network);
    call_fail(k, PW_ERR_SERVICE_UNAVAILABLE, text);
}

/* ---- rate limit ---- */

/* Take one token of network's bucket. @return 1 when allowed, 0 when over the rate. */
static int rate_take(pw_gateway_t *gw, const char *network)
{
    return pw_ratelimit_take(gw->rates, network, pw_loop_now(pw_component_loop(gw->c))) == PW_OK;
}

/* ---- the presence server hop ---- */

static void on_ps_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                         void *arg)
{
    gw_call_t *k = arg;
    pw_gateway_t *gw = k->gw;
    char text[1024];

    if (outcome == PW_IQ_CANCELLED) {
        call_shutting_down(k);
        return;
    }
    if (outcome == PW_IQ_ERROR) {
        pw_error_t cond = pw_stanza_error_parse(response, text, sizeof text);
        /* never let an internal address out, whatever the PS wrote */
        if (strcasestr(text, k->ps) || strcasestr(text, gw->settings->hss) ||
            strcasestr(text, pw_component_jid(c))) {
            pw_warn(xmpp_stanza_get_id(k->req), "presence server %s answered %s: %s", k->ps,
                    pw_error_name(cond), text);
            snprintf(text, sizeof text, "the presence service of %s refused the enquiry (%s)",
                     gw->settings->network, pw_error_name(cond));
            call_fail(k, cond, text);
            return;
        }
    }
    snprintf(text, sizeof text, "the presence service of %s did not answer in time",
             gw->settings->network);
    pw_enquiry_relay(c, k->req, outcome, response, text);
    call_free(k);
}

static void forward_to_ps(gw_call_t *k)
{
    pw_component_t *c = k->gw->c;
    xmpp_stanza_t *iq = pw_enquiry_iq(pw_component_ctx(c), &k->e, k->ps);
    pw_status_t rc;

    if (!iq) {
        call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    pw_info(xmpp_stanza_get_id(k->req), "enquiry %s from %s (signature verified) for %s: served by %s",
            k->e.ref, k->e.watcher_network, k->e.presentity_jid, k->ps);
    rc = pw_component_send_iq(c, iq, 0, on_ps_answer, k);
    xmpp_stanza_release(iq);
    if (rc != PW_OK) {
        char text[320];
        snprintf(text, sizeof text, "the presence service of %s is unreachable", k->gw->settings->network);
        call_fail(k, PW_ERR_SERVICE_UNAVAILABLE, text);
    }
}

/* ---- the HSS hop ---- */

/* The presentity as named in texts: its number, or its JID. */
static const char *presentity_name(const gw_call_t *k)
{
    return k->e.presentity[0] ? k->e.presentity : k->e.presentity_jid;
}

static void on_hss_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                          void *arg)
{
    gw_call_t *k = arg;
    pw_gateway_t *gw = k->gw;
    const char *id = xmpp_stanza_get_id(k->req);
    char text[PW_JID_MAX + 1024], bare[PW_JID_MAX + 1];
    xmpp_stanza_t *sub;
    const char *jid, *ps, *msisdn;

    (void)c;
    switch (outcome) {
    case PW_IQ_CANCELLED:
        call_shutting_down(k);
        return;
    case PW_IQ_TIMEOUT:
        snprintf(text, sizeof text, "the subscriber database of %s did not answer in time",
                 gw->settings->network);
        call_fail(k, PW_ERR_REMOTE_SERVER_TIMEOUT, text);
        return;
    case PW_IQ_ERROR: {
        pw_error_t cond = pw_stanza_error_parse(response, text, sizeof text);
        if (cond == PW_ERR_ITEM_NOT_FOUND) {
            snprintf(text, sizeof text, "%s is not a subscriber of %s", presentity_name(k),
                     gw->settings->network);
            call_fail(k, PW_ERR_ITEM_NOT_FOUND, text);
        } else {
            pw_error(id, "HSS %s refused the lookup of %s: %s %s", gw->settings->hss,
                     presentity_name(k), pw_error_name(cond), text);
            snprintf(text, sizeof text, "the gateway of %s could not look %s up",
                     gw->settings->network, presentity_name(k));
            call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, text);
        }
        return;
    }
    case PW_IQ_RESULT:
        break;
    }
    sub = xmpp_stanza_get_child_by_name_and_ns(response, "subscriber", PW_GATEWAY_NS_HSS);
    jid = sub ? xmpp_stanza_get_attribute(sub, "jid") : NULL;
    ps = sub ? xmpp_stanza_get_attribute(sub, "presence-server") : NULL;
    msisdn = sub ? xmpp_stanza_get_attribute(sub, "msisdn") : NULL;
    if (!jid || !ps || pw_jid_bare(jid, bare, sizeof bare) != PW_OK || !strchr(bare, '@') ||
        strlen(ps) > PW_ENQUIRY_DOMAIN_MAX || !pw_jid_is_domain(ps)) {
        pw_error(id, "HSS %s gave an incomplete record for %s", gw->settings->hss, presentity_name(k));
        snprintf(text, sizeof text, "the subscriber record of %s in %s is incomplete",
                 presentity_name(k), gw->settings->network);
        call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, text);
        return;
    }
    snprintf(k->e.presentity_jid, sizeof k->e.presentity_jid, "%s", bare);
    if (!k->e.presentity[0] && msisdn && pw_msisdn_is_e164(msisdn))
        snprintf(k->e.presentity, sizeof k->e.presentity, "%s", msisdn);
    snprintf(k->ps, sizeof k->ps, "%s", ps);
    forward_to_ps(k);
}

static void lookup_in_hss(gw_call_t *k)
{
    pw_component_t *c = k->gw->c;
    xmpp_ctx_t *ctx = pw_component_ctx(c);
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL), *lookup = xmpp_stanza_new(ctx);
    pw_status_t rc = PW_ENOMEM;

    if (iq && lookup) {
        xmpp_stanza_set_to(iq, k->gw->settings->hss);
        xmpp_stanza_set_name(lookup, "lookup");
        xmpp_stanza_set_ns(lookup, PW_GATEWAY_NS_HSS);
        if (k->e.presentity[0])
            xmpp_stanza_set_attribute(lookup, "msisdn", k->e.presentity);
        else
            xmpp_stanza_set_attribute(lookup, "jid", k->e.presentity_jid);
        xmpp_stanza_add_child(iq, lookup);
        rc = pw_component_send_iq(c, iq, 0, on_hss_answer, k);
    }
    if (lookup)
        xmpp_stanza_release(lookup);
    if (iq)
        xmpp_stanza_release(iq);
    if (rc != PW_OK) {
        char text[320];
        snprintf(text, sizeof text, "the subscriber database of %s is unreachable",
                 k->gw->settings->network);
        call_fail(k, rc == PW_ENOMEM ? PW_ERR_INTERNAL_SERVER_ERROR : PW_ERR_SERVICE_UNAVAILABLE, text);
    }
}

/* ---- the enquiry from a peer's proxy ---- */

/* Is the sender a peer, is the enquiry signed by it, and is the signature fresh?
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
    rc = pw_peering_verify(key, sig, e, domain, pw_component_jid(gw->c), reason, sizeof reason);
    if (rc != PW_OK) {
        snprintf(why, cap, "bad operator signature: %s", reason);
        return rc == PW_ECRYPTO ? PW_ERR_INTERNAL_SERVER_ERROR : PW_ERR_NOT_AUTHORIZED;
    }
    rc = pw_peering_replay_check(gw->replay, *network, xmpp_stanza_get_attribute(sig, "timestamp"),
                                 xmpp_stanza_get_attribute(sig, "nonce"), wall_ms(), reason,
                                 sizeof reason);
    if (rc == PW_EFULL || rc == PW_ENOMEM) {
        snprintf(why, cap, "the gateway of %s is overloaded: %s", gw->settings->network, reason);
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if (rc != PW_OK) {
        snprintf(why, cap, "%s", reason);
        return PW_ERR_NOT_AUTHORIZED;
    }
    return PW_ERR_NONE;
}

static void on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_gateway_t *gw = arg;
    const char *id = xmpp_stanza_get_id(iq), *network = NULL;
    pw_enquiry_t e;
    pw_error_t cond;
    char why[PW_JID_MAX + 768];
    gw_call_t *k;

    if (pw_enquiry_parse(payload, &e, &cond, why, sizeof why) != PW_OK) {
        pw_component_reply_error(c, iq, cond, why);
        return;
    }
    cond = authorize(gw, iq, payload, &e, &network, why, sizeof why);
    if (cond != PW_ERR_NONE) {
        pw_debug(id, "enquiry %s refused: %s", e.ref, why); /* the reply is logged too */
        pw_component_reply_error(c, iq, cond, why);
        return;
    }
    if (!rate_take(gw, network)) {
        snprintf(why, sizeof why, "%s sends more than %lld enquiries per second", network,
                 (long long)gw->settings->rate_per_peer);
        pw_component_reply_error(c, iq, PW_ERR_RESOURCE_CONSTRAINT, why);
        return;
    }
    /* where notifications of a subscription go back to (docs/protocol.md §5.1): the sender */
    if (pw_jid_domain(xmpp_stanza_get_from(iq), e.proxy, sizeof e.proxy) != PW_OK)
        e.proxy[0] = '\0';
    k = call_new(gw, iq, &e);
    if (!k || !k->req) {
        if (k)
            call_free(k);
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    lookup_in_hss(k);
}

/* ---- notifications: own presence server -> the watcher's proxy (docs/protocol.md §5.2) ---- */

/* Is jid's domain this operator's network or one of its subdomains (its own components)? */
static int from_own_network(const pw_gateway_t *gw, const char *jid)
{
    char domain[PW_JID_PART_MAX + 1];
    size_t dl, nl = strlen(gw->settings->network);
    if (!jid || pw_jid_domain(jid, domain, sizeof domain) != PW_OK)
        return 0;
    dl = strlen(domain);
    return dl > nl + 1 && domain[dl - nl - 1] == '.' && strcasecmp(domain + dl - nl, gw->settings->network) == 0;
}

static void on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_gateway_t *gw = arg;
    pw_notify_t n;
    const char *network = NULL;
    char why[512];

    if (!from_own_network(gw, xmpp_stanza_get_from(iq))) {
        snprintf(why, sizeof why, "only the presence servers of %s send notifications through this gateway",
                 gw->settings->network);
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN, why);
        return;
    }
    if (pw_notify_parse(payload, &n, why, sizeof why) != PW_OK) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        return;
    }
    if (!pw_peering_peers_find(gw->settings->peers, n.proxy, &network)) {
        snprintf(why, sizeof why, "no peering agreement covers %s", n.proxy);
        pw_component_reply_error(c, iq, PW_ERR_NOT_AUTHORIZED, why);
        return;
    }
    pw_notify_forward(c, iq, &n, n.proxy,
                      "the watcher's network did not acknowledge the notification in time");
}

/* ---- lifecycle ---- */

pw_status_t pw_gateway_create(pw_gateway_t **out, pw_component_t *c,
                              pw_gateway_settings_t *settings)
{
    pw_gateway_t *gw = NULL;
    pw_status_t rc = PW_EINVAL;

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (!c || !settings || !settings->network || !settings->hss || settings->max_nonces < 1 ||
        settings->max_skew_ms < 0 || settings->rate_per_peer < 1)
        goto done;
    rc = PW_ENOMEM;
    gw = calloc(1, sizeof *gw);
    if (!gw)
        goto done;
    gw->c = c;
    gw->settings = settings;
    if ((rc = pw_peering_replay_create(&gw->replay, (uint64_t)settings->max_skew_ms,
                                       (size_t)settings->max_nonces)) != PW_OK ||
        (rc = pw_ratelimit_create(&gw->rates, (uint32_t)settings->rate_per_peer, 1000, 100000)) != PW_OK ||
        (rc = pw_component_on_iq(c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, on_enquiry, gw)) != PW_OK ||
        (rc = pw_component_on_iq(c, PW_NS_CHAIN, "notify", PW_IQ_SET, on_notify, gw)) != PW_OK ||
        (rc = pw_component_add_feature(c, PW_NS_CHAIN)) != PW_OK)
        goto done;
    *out = gw;
    gw = NULL;
    rc = PW_OK;
done:
    pw_gateway_destroy(gw);
    return rc;
}

pw_status_t pw_gateway_reload(pw_gateway_t *gw, pw_gateway_settings_t *settings)
{
    if ((uint64_t)settings->max_skew_ms != (uint64_t)gw->settings->max_skew_ms ||
        settings->max_nonces != gw->settings->max_nonces)
        pw_warn(NULL, "max_skew and max_nonces take effect at the next start");
    pw_ratelimit_set_rate(gw->rates, (uint32_t)settings->rate_per_peer);
    gw->settings = settings;
    return PW_OK;
}

void pw_gateway_destroy(pw_gateway_t *gw)
{
    if (!gw)
        return;
    while (gw->calls) {
        gw_call_t *k = gw->calls;
        if (pw_component_cancel_iqs(gw->c, k) == 0)
            call_shutting_down(k); /* not waiting on an IQ: answer and free it here */
    }
    pw_ratelimit_destroy(gw->rates);
    pw_peering_replay_destroy(gw->replay);
    free(gw);
}

size_t pw_gateway_in_flight(const pw_gateway_t *gw)
{
    return gw ? gw->ncalls : 0;
}

/* ---- the role ---- */

static pw_status_t gw_init(pw_component_t *c, void *settings, void **state)
{
    pw_gateway_t *gw = NULL;
    pw_status_t rc = pw_gateway_create(&gw, c, settings);
    *state = gw;
    if (rc == PW_OK)
        pw_info(NULL, "gateway of %s: %zu peer networks, HSS %s", ((pw_gateway_settings_t *)settings)->network,
                pw_peering_peers_count(((pw_gateway_settings_t *)settings)->peers),
                ((pw_gateway_settings_t *)settings)->hss);
    return rc;
}

static pw_status_t gw_reload(void *state, void *new_settings)
{
    return pw_gateway_reload(state, new_settings);
}

static void gw_fini(void *state)
{
    pw_gateway_destroy(state);
}

const pw_role_t pw_gateway_role = {
    .program = "peerwatch-gateway",
    .summary = "The Gateway Presence Server: checks peer operators' signed enquiries, "
               "looks the presentity up in the HSS and asks its Presence Server.",
    .disco_category = "component",
    .disco_type = "presence",
    .disco_name = "Peerwatch Gateway Presence Server",
    .options = gw_options,
    .noptions = sizeof gw_options / sizeof gw_options[0],
    .maps = gw_maps,
    .nmaps = sizeof gw_maps / sizeof gw_maps[0],
    .settings_size = sizeof(pw_gateway_settings_t),
    .common_offset = offsetof(pw_gateway_settings_t, common),
    .check = gw_check,
    .init = gw_init,
    .reload = gw_reload,
    .fini = gw_fini,
    .free_maps = gw_free_maps,
};
