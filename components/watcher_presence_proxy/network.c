/* network.c: the DNS side of finding a network and its gateways: lookups in flight for calls, their answers cached per TTL (RFC 6116 NAPTR, RFC 2782 SRV), and the [prefixes] table. */
#include "proxy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address/pw_msisdn.h"
#include "core/pw_log.h"

/* ---- lookups in flight ---- */

pw_proxy_lookup_t *pw_proxy_lookup_new(pw_proxy_call_t *k, const char *name)
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

void pw_proxy_lookup_orphan(pw_proxy_lookup_t *l)
{
    if (l)
        lookup_detach(l);
}

void pw_proxy_lookups_orphan(pw_proxy_t *p)
{
    while (p->lookups)
        lookup_detach(p->lookups);
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
        pw_calls_shutting_down(&k->call);
        return NULL;
    }
    if (!k)
        free(l);
    return k;
}

static void on_naptr(void *arg, pw_status_t st, const pw_naptr_t *rrs, size_t n, uint32_t ttl)
{
    pw_proxy_lookup_t *l = arg;
    pw_proxy_naptr_fn done = l->on_naptr; /* read first: a claim may free l */
    pw_proxy_call_t *k = lookup_claim(l, st);

    if (!k)
        return;
    if ((st == PW_OK || st == PW_ENOTFOUND) &&
        pw_dnscache_put_naptr(k->p->cache, l->name, st, rrs, n, ttl) != PW_OK)
        pw_debug(xmpp_stanza_get_id(k->call.req), "NAPTR %s: answer not cached", l->name);
    free(l);
    done(k, st, rrs, n, "DNS");
}

static void on_srv(void *arg, pw_status_t st, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    pw_proxy_lookup_t *l = arg;
    pw_proxy_srv_fn done = l->on_srv; /* read first: a claim may free l */
    pw_proxy_call_t *k = lookup_claim(l, st);

    if (!k)
        return;
    if ((st == PW_OK || st == PW_ENOTFOUND) &&
        pw_dnscache_put_srv(k->p->cache, l->name, st, rrs, n, ttl) != PW_OK)
        pw_debug(xmpp_stanza_get_id(k->call.req), "SRV %s: answer not cached", l->name);
    free(l);
    done(k, st, rrs, n, "DNS");
}

/* The resolver refused to start l's lookup: forget it. */
static pw_status_t lookup_not_started(pw_proxy_lookup_t *l, pw_status_t rc)
{
    if (rc != PW_OK) {
        lookup_detach(l);
        free(l);
    }
    return rc;
}

pw_status_t pw_proxy_lookup_naptr(pw_proxy_lookup_t *l, pw_proxy_naptr_fn done)
{
    l->on_naptr = done;
    return lookup_not_started(l, pw_resolver_naptr(l->call->p->resolver, l->name, on_naptr, l));
}

pw_status_t pw_proxy_lookup_srv(pw_proxy_lookup_t *l, pw_proxy_srv_fn done)
{
    l->on_srv = done;
    return lookup_not_started(l, pw_resolver_srv(l->call->p->resolver, l->name, on_srv, l));
}

/* ---- the prefix table ---- */

const char *pw_proxy_prefix_network(const pw_proxy_settings_t *settings, const char *e164)
{
    char prefix[PW_MSISDN_MAX + 1];
    size_t len;

    if (!settings || !settings->prefixes || !e164)
        return NULL;
    len = strnlen(e164, PW_MSISDN_MAX + 1);
    if (len > PW_MSISDN_MAX)
        return NULL;
    if (len > settings->prefix_max_len)
        len = settings->prefix_max_len;
    memcpy(prefix, e164, len);
    for (; len >= 2; len--) {
        const char *net;
        prefix[len] = '\0';
        net = pw_map_get(settings->prefixes, prefix);
        if (net)
            return net;
    }
    return NULL;
}
