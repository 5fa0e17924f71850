/* lifecycle.c: the Watcher Application's life cycle: create (the journal, the record of enquiries sent, every handler), reload, destroy (DESIGN.md §1 steps 1-3, §3). */
#include "watcher_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/pw_clock.h"
#include "core/pw_log.h"

/* Apply settings that passed pw_watcher_check(). */
static pw_status_t apply(pw_watcher_t *wa, const pw_watcher_settings_t *s)
{
    char why[256];
    pw_msisdn_rules_t r;
    pw_status_t rc;

    if (pw_watcher_check(s, why, sizeof why) != PW_OK || pw_watcher_rules_of(s, &r) != PW_OK) {
        pw_error(NULL, "watcher settings refused: %s", why);
        return PW_EINVAL;
    }
    if (wa->settings && strcmp(wa->settings->sent_dir ? wa->settings->sent_dir : "",
                               s->sent_dir ? s->sent_dir : "") != 0) {
        pw_error(NULL, "watcher settings refused: [charging] dir cannot change without a restart");
        return PW_EINVAL;
    }
    if (wa->settings && strcmp(wa->settings->state_dir, s->state_dir) != 0) {
        pw_error(NULL, "watcher settings refused: state_dir cannot change without a restart");
        return PW_EINVAL;
    }
    if (wa->limiter) {
        rc = pw_ratelimit_set_rate(wa->limiter, (uint32_t)s->rate_per_watcher);
    } else {
        rc = pw_ratelimit_create(&wa->limiter, (uint32_t)s->rate_per_watcher, 60000,
                                 PW_WATCHER_LIMITER_KEYS);
    }
    if (rc == PW_OK)
        rc = pw_hss_client_update(&wa->hss, wa->c, s->hss, (size_t)s->hss_cache);
    if (rc != PW_OK)
        return rc;
    wa->rules = r;
    wa->settings = s;
    return PW_OK;
}

/* The default wall clock: CLOCK_REALTIME. */
static uint64_t wall_default(void *arg)
{
    (void)arg;
    return pw_clock_wall_ms();
}

/* The figures sampled at scrape time (docs/metrics.md). */
static double in_flight(void *wa)
{
    return (double)pw_watcher_inflight(wa);
}

static double subscriptions(void *wa)
{
    return (double)pw_watcher_subscriptions(wa);
}

static pw_status_t metrics_open(pw_watcher_t *wa)
{
    pw_status_t rc = pw_enquiry_gauge(wa->c, PW_GAUGE_IN_FLIGHT, in_flight, wa);
    return rc == PW_OK ? pw_enquiry_gauge(wa->c, PW_GAUGE_SUBSCRIPTIONS, subscriptions, wa) : rc;
}

/* The WA's parts, set up in this order by create (their handlers on the component, their files),
 * and the disco features it then announces. */
static pw_status_t (*const parts_open[])(pw_watcher_t *wa) = {
    pw_watcher_subs_open,         pw_watcher_sent_open,         pw_watcher_flow_open,
    pw_watcher_notify_register,   pw_watcher_approval_register, pw_watcher_gateway_register,
    pw_watcher_adhoc_register,    metrics_open,
};
static const char *const features[] = { PW_NS, PW_WATCHER_NS_GATEWAY, PW_WATCHER_NS_COMMANDS };

pw_status_t pw_watcher_create(pw_watcher_t **out, pw_component_t *c,
                              const pw_watcher_settings_t *settings)
{
    return pw_watcher_create_with_clock(out, c, settings, NULL, NULL);
}

pw_status_t pw_watcher_create_with_clock(pw_watcher_t **out, pw_component_t *c,
                                         const pw_watcher_settings_t *settings,
                                         pw_watcher_wallclock_fn wall, void *wall_arg)
{
    pw_status_t rc;
    pw_watcher_t *wa = NULL;

    if (!out || !c || !settings)
        return PW_EINVAL;
    *out = NULL;
    wa = calloc(1, sizeof *wa);
    if (!wa) {
        rc = PW_ENOMEM;
        goto done;
    }
    wa->c = c;
    wa->wall = wall ? wall : wall_default;
    wa->wall_arg = wall_arg;
    wa->next_token = 1;
    rc = apply(wa, settings);
    for (size_t i = 0; rc == PW_OK && i < sizeof parts_open / sizeof parts_open[0]; i++)
        rc = parts_open[i](wa);
    if (rc == PW_OK)
        pw_watcher_roster_start(wa);
    for (size_t i = 0; rc == PW_OK && i < sizeof features / sizeof features[0]; i++)
        rc = pw_component_add_feature(c, features[i]);
done:
    if (rc != PW_OK) {
        pw_watcher_destroy(wa);
        return rc;
    }
    pw_info(NULL, "watcher for users of %s (network %s): proxy %s, hss %s, price %lld, "
            "%lld enquiries/min per watcher, %zu subscriptions and %zu roster items from %s",
            settings->domain,
            settings->network && settings->network[0] ? settings->network : settings->domain,
            settings->proxy, settings->hss, (long long)settings->price,
            (long long)settings->rate_per_watcher, pw_map_count(wa->subs),
            pw_map_count(wa->roster), settings->state_dir);
    *out = wa;
    return PW_OK;
}

pw_status_t pw_watcher_reload(pw_watcher_t *wa, const pw_watcher_settings_t *settings)
{
    if (!wa || !settings)
        return PW_EINVAL;
    return apply(wa, settings);
}

void pw_watcher_destroy(pw_watcher_t *wa)
{
    if (!wa)
        return;
    wa->closing = 1;
    pw_metrics_forget(pw_component_metrics(wa->c), wa);
    pw_watcher_flow_close(wa);
    pw_watcher_roster_stop(wa);
    pw_watcher_adhoc_close(wa);
    pw_watcher_subs_close(wa);
    pw_watcher_sent_close(wa);
    pw_ratelimit_destroy(wa->limiter);
    pw_hss_client_destroy(wa->hss);
    free(wa);
}

size_t pw_watcher_inflight(const pw_watcher_t *wa)
{
    return wa && wa->calls ? pw_calls_count(wa->calls) : 0;
}

size_t pw_watcher_subscriptions(const pw_watcher_t *wa)
{
    return wa && wa->subs ? pw_map_count(wa->subs) : 0;
}

size_t pw_watcher_roster_items(const pw_watcher_t *wa)
{
    return wa && wa->roster ? pw_map_count(wa->roster) : 0;
}
