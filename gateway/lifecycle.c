/* lifecycle.c: the gateway's life: create it on a component, switch settings on SIGHUP, destroy it (the enquiry's path itself: flow.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gateway_int.h"
#include "core/pw_log.h"

/* The text the enquiries in flight get when the gateway goes away. */
static void set_closing_text(pw_gateway_t *gw)
{
    char text[320];
    snprintf(text, sizeof text, "the gateway of %s is shutting down", gw->settings->network);
    pw_calls_set_closing_text(gw->calls, text);
}

/* Sampled at scrape time (docs/metrics.md). */
static double in_flight(void *gw)
{
    return (double)pw_gateway_in_flight(gw);
}

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
    if ((rc = pw_calls_create(&gw->calls, c, SIZE_MAX, NULL)) != PW_OK ||
        (rc = pw_peering_replay_create(&gw->replay, (uint64_t)settings->max_skew_ms,
                                       (size_t)settings->max_nonces)) != PW_OK ||
        (rc = pw_ratelimit_create(&gw->rates, (uint32_t)settings->rate_per_peer, 1000, 100000)) != PW_OK ||
        (rc = pw_hss_client_update(&gw->hss, c, settings->hss, (size_t)settings->hss_cache)) != PW_OK ||
        (rc = gw_flow_attach(gw)) != PW_OK ||
        (rc = pw_component_add_feature(c, PW_NS_CHAIN)) != PW_OK ||
        (rc = pw_enquiry_gauge(c, PW_GAUGE_IN_FLIGHT, in_flight, gw)) != PW_OK)
        goto done;
    set_closing_text(gw);
    pw_info(NULL, "gateway of %s: %zu peer networks, HSS %s", settings->network,
            pw_peering_peers_count(settings->peers), settings->hss);
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
    if (pw_hss_client_update(&gw->hss, gw->c, settings->hss, (size_t)settings->hss_cache) != PW_OK)
        return PW_ENOMEM;
    gw->settings = settings;
    set_closing_text(gw);
    return PW_OK;
}

void pw_gateway_destroy(pw_gateway_t *gw)
{
    if (!gw)
        return;
    pw_metrics_forget(pw_component_metrics(gw->c), gw);
    pw_calls_destroy(gw->calls); /* answers every enquiry in flight first */
    pw_ratelimit_destroy(gw->rates);
    pw_peering_replay_destroy(gw->replay);
    pw_hss_client_destroy(gw->hss);
    free(gw);
}

size_t pw_gateway_in_flight(const pw_gateway_t *gw)
{
    return gw ? pw_calls_count(gw->calls) : 0;
}
