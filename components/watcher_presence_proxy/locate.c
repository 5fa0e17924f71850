/* locate.c: the proxy finds the presentity's network (ENUM NAPTR, RFC 6116; else the prefix table;
 * or the JID's domain) and that network's gateways (SRV, RFC 2782), both through the TTL cache
 * (docs/protocol.md §2.2, DESIGN.md §1 steps 4-5). All DNS is asynchronous. */
#include "proxy_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/pw_enum.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "address/pw_msisdn.h"

static const char *call_id(const pw_proxy_call_t *k)
{
    return xmpp_stanza_get_id(k->req);
}

/* ---- lookups in flight ---- */

static pw_proxy_lookup_t *lookup_new(pw_proxy_call_t *k, const char *name)
{
    pw_proxy_t *p = k->p;
    pw_proxy_lookup_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    snprintf(l->name, sizeof l->name, "%s", name);
    l->call = k;
    l->next = p->lookups;
    if (p->lookups)
        p->lookups->prev = l;
    p->lookups = l;
    k->lookup = l;
    return l;
}

/* Take a lookup off its proxy's list; returns its call (NULL when it was orphaned). */
static pw_proxy_call_t *lookup_detach(pw_proxy_lookup_t *l)
{
    pw_proxy_call_t *k = l->call;
    if (!k)
        return NULL;
    if (l->prev)
        l->prev->next = l->next;
    else
        k->p->lookups = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->prev = l->next = NULL;
    l->call = NULL;
    k->lookup = NULL;
    return k;
}

void pw_proxy_lookups_orphan(pw_proxy_t *p)
{
    while (p->lookups)
        lookup_detach(p->lookups);
}

static const char *status_reason(pw_status_t st)
{
    switch (st) {
    case PW_ENOTFOUND: return "negative answer";
    case PW_ETIMEOUT: return "timed out";
    default: return "DNS failure";
    }
}

/* ---- step 5: the gateways of the network ---- */

static void srv_answer(pw_proxy_call_t *k, pw_status_t st, const pw_srv_rr_t *rrs, size_t n,
                       const char *how)
{
    const char *id = call_id(k);
    char text[PW_ENQUIRY_DOMAIN_MAX + 64];
    pw_status_t rc;

    snprintf(text, sizeof text, "no presence gateway found for %s", k->network);
    if (st != PW_OK || n == 0) {
        if (st == PW_ENOTFOUND)
            pw_info(id, "SRV %s.%s: no record (%s negative answer)", k->p->settings->gateway_service,
                    k->network, how);
        else
            pw_warn(id, "SRV %s.%s: %s", k->p->settings->gateway_service, k->network,
                    status_reason(st));
        pw_proxy_call_fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    k->targets = malloc(n * sizeof *k->targets);
    k->order = malloc(n * sizeof *k->order);
    if (!k->targets || !k->order) {
        pw_proxy_call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    memcpy(k->targets, rrs, n * sizeof *k->targets);
    k->ntargets = n;
    k->at = 0;
    rc = pw_srv_order(k->targets, n, pw_srv_xorshift, &k->p->rng, k->order);
    if (rc != PW_OK) {
        if (rc == PW_ENOTFOUND)
            pw_info(id, "SRV %s.%s: the service is decidedly not available (target \".\")",
                    k->p->settings->gateway_service, k->network);
        else
            pw_warn(id, "SRV %s.%s: unusable answer (%s)", k->p->settings->gateway_service,
                    k->network, pw_strerror(rc));
        pw_proxy_call_fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    pw_proxy_prefer_healthy(k);
    pw_proxy_forward(k);
}

/*
 * The call a finished lookup answers, or NULL when there is nothing left to do with the answer:
 * the call is gone, or the proxy is closing (the call is then answered here). l is freed
 * whenever NULL is returned; otherwise the caller frees it after using its name.
 */
static pw_proxy_call_t *lookup_claim(pw_proxy_lookup_t *l, pw_status_t st)
{
    pw_proxy_call_t *k = lookup_detach(l);
    if (k && (st == PW_ECLOSED || k->p->closing)) {
        free(l);
        pw_proxy_call_shutting_down(k);
        return NULL;
    }
    if (!k)
        free(l);
    return k;
}

static void on_srv(void *arg, pw_status_t st, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    pw_proxy_lookup_t *l = arg;
    pw_proxy_call_t *k = lookup_claim(l, st);

    if (!k)
        return;
    if ((st == PW_OK || st == PW_ENOTFOUND) &&
        pw_dnscache_put_srv(k->p->cache, l->name, st, rrs, n, ttl) != PW_OK)
        pw_debug(call_id(k), "SRV %s: answer not cached", l->name);
    free(l);
    srv_answer(k, st, rrs, n, "DNS");
}

static void find_gateways(pw_proxy_call_t *k)
{
    pw_proxy_t *p = k->p;
    char name[PW_PROXY_NAME_CAP], text[PW_ENQUIRY_DOMAIN_MAX + 64];
    const pw_srv_rr_t *rrs = NULL;
    pw_status_t st, rc;
    size_t n = 0;
    int len;

    snprintf(text, sizeof text, "no presence gateway found for %s", k->network);
    len = snprintf(name, sizeof name, "%s.%s", p->settings->gateway_service, k->network);
    if (len < 0 || (size_t)len > PW_RESOLVER_NAME_MAX) {
        pw_info(call_id(k), "SRV name for %s is too long", k->network);
        pw_proxy_call_fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    if (pw_dnscache_get_srv(p->cache, name, &st, &rrs, &n) == PW_OK) {
        srv_answer(k, st, rrs, n, "cache");
        return;
    }
    if (!lookup_new(k, name)) {
        pw_proxy_call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    rc = pw_resolver_srv(p->resolver, name, on_srv, k->lookup);
    if (rc != PW_OK) {
        pw_proxy_lookup_t *l = k->lookup;
        lookup_detach(l);
        free(l);
        pw_warn(call_id(k), "SRV %s: the lookup could not start (%s)", name, pw_strerror(rc));
        pw_proxy_call_fail(k, rc == PW_ENOMEM ? PW_ERR_INTERNAL_SERVER_ERROR
                                              : PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
    }
}

static void network_found(pw_proxy_call_t *k, const char *network)
{
    snprintf(k->network, sizeof k->network, "%s", network);
    for (char *d = k->network; *d; d++)
        *d = (char)tolower((unsigned char)*d);
    find_gateways(k);
}

/* ---- step 4: the network of a number ---- */

/* How loudly a fallback to the prefix table is logged. */
typedef enum { FALLBACK_QUIET, FALLBACK_NOTE, FALLBACK_WARN } fallback_level_t;

/* ENUM gave nothing usable (why says what): fall back to the longest matching prefix. */
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
        pw_proxy_call_fail(k, PW_ERR_REMOTE_SERVER_NOT_FOUND, text);
        return;
    }
    network_found(k, net);
}

/* how: "DNS" for a fresh answer, "cache" for a cached one (logged more quietly) */
static void naptr_answer(pw_proxy_call_t *k, pw_status_t st, const pw_naptr_t *rrs, size_t n,
                         const char *how)
{
    fallback_level_t level = strcmp(how, "cache") == 0 ? FALLBACK_QUIET : FALLBACK_NOTE;

    char domain[PW_ENUM_DOMAIN_MAX + 1], uri[PW_ENUM_URI_MAX + 1], why[96];

    switch (st) {
    case PW_OK:
        if (pw_enum_domain_for(k->e.presentity, rrs, n, domain, sizeof domain, uri, sizeof uri) ==
            PW_OK) {
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

static void on_naptr(void *arg, pw_status_t st, const pw_naptr_t *rrs, size_t n, uint32_t ttl)
{
    pw_proxy_lookup_t *l = arg;
    pw_proxy_call_t *k = lookup_claim(l, st);

    if (!k)
        return;
    if ((st == PW_OK || st == PW_ENOTFOUND) &&
        pw_dnscache_put_naptr(k->p->cache, l->name, st, rrs, n, ttl) != PW_OK)
        pw_debug(call_id(k), "NAPTR %s: answer not cached", l->name);
    free(l);
    naptr_answer(k, st, rrs, n, "DNS");
}

static void by_enum(pw_proxy_call_t *k)
{
    pw_proxy_t *p = k->p;
    char name[PW_PROXY_NAME_CAP];
    const pw_naptr_t *rrs = NULL;
    pw_status_t st, rc;
    size_t n = 0;

    if (pw_msisdn_enum_domain(k->e.presentity, p->settings->enum_suffix, name, sizeof name) != PW_OK ||
        strlen(name) > PW_RESOLVER_NAME_MAX) {
        by_prefix(k, "no ENUM domain under the configured suffix", FALLBACK_WARN);
        return;
    }
    if (pw_dnscache_get_naptr(p->cache, name, &st, &rrs, &n) == PW_OK) {
        naptr_answer(k, st, rrs, n, "cache");
        return;
    }
    if (!lookup_new(k, name)) {
        pw_proxy_call_fail(k, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    rc = pw_resolver_naptr(p->resolver, name, on_naptr, k->lookup);
    if (rc != PW_OK) {
        pw_proxy_lookup_t *l = k->lookup;
        char why[96];
        lookup_detach(l);
        free(l);
        snprintf(why, sizeof why, "the NAPTR lookup could not start (%s)", pw_strerror(rc));
        by_prefix(k, why, FALLBACK_WARN);
    }
}

void pw_proxy_locate(pw_proxy_call_t *k)
{
    char domain[PW_JID_MAX + 1];

    if (k->e.presentity[0]) {
        by_enum(k);
        return;
    }
    /* addressed by JID: the network is the JID's domain, no ENUM */
    if (pw_jid_domain(k->e.presentity_jid, domain, sizeof domain) != PW_OK ||
        strlen(domain) > PW_ENQUIRY_DOMAIN_MAX) {
        char text[PW_JID_MAX + 64];
        snprintf(text, sizeof text, "presentity-jid %s has no usable domain", k->e.presentity_jid);
        pw_proxy_call_fail(k, PW_ERR_JID_MALFORMED, text);
        return;
    }
    network_found(k, domain);
}
