/* lifecycle.c: the Watcher Presence Proxy's lifecycle: set up on a component (the enquiry and notification handlers of flow.c), reload, and tear down with every enquiry in flight answered. */
#include "proxy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/pw_clock.h"
#include "core/pw_log.h"

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = 0;
    seed ^= pw_clock_wall_ms() * 1000000007u ^ ((uint64_t)getpid() << 32);
    return seed ? seed : 0x9e3779b97f4a7c15u;
}

static pw_status_t make_cache(pw_dnscache_t **out, pw_component_t *c, const pw_proxy_settings_t *s)
{
    return pw_dnscache_create(out, pw_component_loop(c), (uint64_t)s->cache_min_ttl_ms,
                              (uint64_t)s->cache_max_ttl_ms, (uint64_t)s->negative_ttl_ms,
                              (size_t)s->cache_size);
}

/* The text the enquiries in flight get when the proxy goes away. */
static void set_closing_text(pw_proxy_t *p)
{
    char text[320];
    snprintf(text, sizeof text, "the presence proxy of %s is shutting down", p->settings->network);
    pw_calls_set_closing_text(p->calls, text);
}

/* The calls table's free function: what a call holds beyond pw_call_t (its lookup is orphaned). */
/* Sampled at scrape time (docs/metrics.md). */
static double in_flight(void *p)
{
    return (double)pw_proxy_in_flight(p);
}

static void call_free(pw_call_t *call)
{
    pw_proxy_call_t *k = (pw_proxy_call_t *)call;
    pw_proxy_lookup_orphan(k->lookup); /* freed by its callback */
    free(k->targets);
    free(k->order);
    free(k);
}

pw_status_t pw_proxy_create(pw_proxy_t **out, pw_component_t *c, pw_proxy_settings_t *settings)
{
    return pw_proxy_create_with_resolver(out, c, settings, NULL);
}

pw_status_t pw_proxy_create_with_resolver(pw_proxy_t **out, pw_component_t *c,
                                          pw_proxy_settings_t *settings, pw_resolver_t *resolver)
{
    pw_proxy_t *p = NULL;
    pw_status_t rc = PW_EINVAL;

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (!c || !settings || !settings->network || !settings->watcher || !settings->key ||
        !settings->enum_suffix || !settings->gateway_service || settings->cache_size < 1 ||
        settings->gateway_timeout_ms < 1 || settings->cache_min_ttl_ms > settings->cache_max_ttl_ms)
        goto done;
    rc = PW_ENOMEM;
    p = calloc(1, sizeof *p);
    if (!p)
        goto done;
    p->c = c;
    p->settings = settings;
    p->rng = random_seed();
    if (resolver) {
        p->resolver = resolver;
    } else {
        const char *servers = settings->dns_servers && settings->dns_servers[0] ? settings->dns_servers
                                                                                : NULL;
        rc = pw_resolver_cares_create(&p->resolver, pw_component_loop(c), servers,
                                      (uint64_t)settings->dns_timeout_ms, (int)settings->dns_tries);
        if (rc != PW_OK)
            goto done;
        p->own_resolver = 1;
    }
    if ((rc = pw_calls_create(&p->calls, c, PW_PROXY_MAX_INFLIGHT, call_free)) != PW_OK)
        goto done;
    set_closing_text(p);
    if ((rc = pw_map_create(&p->failed)) != PW_OK ||
        (rc = pw_peering_replay_create(&p->replay, (uint64_t)settings->max_skew_ms,
                                       (size_t)settings->max_nonces)) != PW_OK ||
        (rc = make_cache(&p->cache, c, settings)) != PW_OK ||
        (rc = pw_component_on_iq(c, PW_NS_CHAIN, "enquiry", PW_IQ_SET, pw_proxy_on_enquiry, p)) != PW_OK ||
        (rc = pw_component_on_iq(c, PW_NS_CHAIN, "notify", PW_IQ_SET, pw_proxy_on_notify, p)) != PW_OK ||
        (rc = pw_component_add_feature(c, PW_NS_CHAIN)) != PW_OK ||
        (rc = pw_enquiry_gauge(c, PW_GAUGE_IN_FLIGHT, in_flight, p)) != PW_OK)
        goto done;
    pw_info(NULL, "presence proxy of %s for %s: ENUM under %s, %zu prefixes, gateways at %s.<network>, "
            "DNS %s", settings->network, settings->watcher, settings->enum_suffix,
            settings->prefixes ? pw_map_count(settings->prefixes) : (size_t)0,
            settings->gateway_service,
            settings->dns_servers && settings->dns_servers[0] ? settings->dns_servers : "of the system");
    *out = p;
    p = NULL;
    rc = PW_OK;
done:
    pw_proxy_destroy(p);
    return rc;
}

static int differs(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

pw_status_t pw_proxy_reload(pw_proxy_t *p, pw_proxy_settings_t *settings)
{
    const pw_proxy_settings_t *old = p->settings;

    if (!settings || !settings->key)
        return PW_EINVAL;
    if (old->max_skew_ms != settings->max_skew_ms || old->max_nonces != settings->max_nonces)
        pw_warn(NULL, "max_skew and max_nonces take effect at the next start");
    if (old->cache_min_ttl_ms != settings->cache_min_ttl_ms ||
        old->cache_max_ttl_ms != settings->cache_max_ttl_ms ||
        old->negative_ttl_ms != settings->negative_ttl_ms || old->cache_size != settings->cache_size) {
        pw_dnscache_t *fresh = NULL;
        if (make_cache(&fresh, p->c, settings) != PW_OK)
            return PW_ENOMEM;
        pw_dnscache_destroy(p->cache);
        p->cache = fresh;
        pw_info(NULL, "DNS cache emptied: new bounds");
    }
    if (differs(old->dns_servers, settings->dns_servers) ||
        old->dns_timeout_ms != settings->dns_timeout_ms || old->dns_tries != settings->dns_tries)
        pw_warn(NULL, "dns_servers, dns_timeout and dns_tries take effect at the next start");
    p->settings = settings;
    set_closing_text(p); /* the network may have changed */
    return PW_OK;
}

void pw_proxy_destroy(pw_proxy_t *p)
{
    if (!p)
        return;
    p->closing = 1;
    pw_metrics_forget(pw_component_metrics(p->c), p);
    if (p->own_resolver) {
        /* pending lookups fire with PW_ECLOSED: their calls are answered there */
        pw_resolver_destroy(p->resolver);
        p->resolver = NULL;
    }
    pw_proxy_lookups_orphan(p);
    /* a call waiting on a gateway is answered by its cancelled IQ's handler, any other here */
    pw_calls_destroy(p->calls);
    pw_dnscache_destroy(p->cache);
    pw_proxy_failures_clear(p);
    pw_peering_replay_destroy(p->replay);
    free(p);
}

size_t pw_proxy_in_flight(const pw_proxy_t *p)
{
    return p && p->calls ? pw_calls_count(p->calls) : 0;
}
