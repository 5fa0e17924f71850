/* watcher.c: the Watcher Application's settings, checks and life cycle (DESIGN.md §1 steps 1-3, §3). */
#include "watcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

const pw_config_option_t pw_watcher_options[] = {
    PW_CONFIG_COMMON_OPTIONS(pw_watcher_settings_t, common),
    { "watcher", "domain", PW_OPT_DOMAIN, 1, 253, NULL,
      "the operator's user domain, e.g. opa.example: only its users may send enquiries",
      offsetof(pw_watcher_settings_t, domain) },
    { "watcher", "network", PW_OPT_STRING, 0, 253, "",
      "the operator's network domain sent as watcher-network (charged network); empty = domain",
      offsetof(pw_watcher_settings_t, network) },
    { "watcher", "proxy", PW_OPT_DOMAIN, 1, 253, NULL,
      "the JID of this operator's Watcher Presence Proxy, e.g. proxy.opa.example",
      offsetof(pw_watcher_settings_t, proxy) },
    { "watcher", "hss", PW_OPT_DOMAIN, 1, 253, NULL,
      "the JID of this operator's HSS, e.g. hss.opa.example",
      offsetof(pw_watcher_settings_t, hss) },
    { "watcher", "price", PW_OPT_INT, 0, 1000000000, "1",
      "credit units an enquiry costs: prepaid watchers with a lower balance get payment-required",
      offsetof(pw_watcher_settings_t, price) },
    { "watcher", "country_code", PW_OPT_STRING, 0, 3, "",
      "country code for national numbers (e.g. 44); empty = national numbers are refused",
      offsetof(pw_watcher_settings_t, country_code) },
    { "watcher", "trunk_prefix", PW_OPT_STRING, 0, 3, "0",
      "national (trunk) prefix, 0-3 digits; empty = none",
      offsetof(pw_watcher_settings_t, trunk_prefix) },
    { "watcher", "intl_prefix", PW_OPT_STRING, 1, 4, "00",
      "international call prefix, 1-4 digits",
      offsetof(pw_watcher_settings_t, intl_prefix) },
    { "watcher", "presence_servers", PW_OPT_LIST, 1, 64, NULL,
      "comma-separated JIDs of this operator's presence servers (the only senders of approval requests)",
      offsetof(pw_watcher_settings_t, presence_servers) },
    { "watcher", "rate_per_watcher", PW_OPT_INT, 1, 1000000, "60",
      "enquiries per minute one watcher may send (bursts up to the same number); more: resource-constraint",
      offsetof(pw_watcher_settings_t, rate_per_watcher) },
    { "watcher", "max_duration", PW_OPT_DURATION, 1000, 31622400000, "1d",
      "longest duration of a 'changes' enquiry (at most 366d)",
      offsetof(pw_watcher_settings_t, max_duration_ms) },
    { "watcher", "state_dir", PW_OPT_PATH, 1, 4000, NULL,
      "directory of the subscriptions journal (created if missing); subscriptions survive restarts",
      offsetof(pw_watcher_settings_t, state_dir) },
    { "watcher", "roster_duration", PW_OPT_DURATION, 1000, 31622400000, "1d",
      "duration of the 'changes' enquiry a roster subscription makes (renewed before it expires); at most max_duration",
      offsetof(pw_watcher_settings_t, roster_duration_ms) },
    { "watcher", "pending_retry", PW_OPT_DURATION, 100, 86400000, "1m",
      "how often a roster subscription the presentity has not yet approved is asked again",
      offsetof(pw_watcher_settings_t, pending_retry_ms) },
    { "charging", "dir", PW_OPT_PATH, 0, 4000, "",
      "where to keep a record of every enquiry sent, in the charge-record format (docs/charging.md §4), "
      "for peerwatch-cdr reconcile; empty: keep none",
      offsetof(pw_watcher_settings_t, sent_dir) },
};

const size_t pw_watcher_noptions = sizeof pw_watcher_options / sizeof pw_watcher_options[0];

/* Build the national-number rules of the settings. */
static pw_status_t rules_of(const pw_watcher_settings_t *s, pw_msisdn_rules_t *r)
{
    pw_msisdn_rules_init(r);
    return pw_msisdn_rules_set(r, s->country_code, s->trunk_prefix ? s->trunk_prefix : "",
                               s->intl_prefix);
}

pw_status_t pw_watcher_check(const pw_watcher_settings_t *s, char *why, size_t cap)
{
    pw_msisdn_rules_t r;

    if (!s || !s->domain || !s->proxy || !s->hss || !s->common.jid || !s->state_dir ||
        !s->state_dir[0]) {
        snprintf(why, cap, "[watcher] domain, proxy, hss and state_dir are required");
        return PW_ECONFIG;
    }
    if (s->roster_duration_ms > s->max_duration_ms) {
        snprintf(why, cap, "[watcher] roster_duration (%lld s) exceeds max_duration (%lld s)",
                 (long long)(s->roster_duration_ms / 1000), (long long)(s->max_duration_ms / 1000));
        return PW_ECONFIG;
    }
    if (s->network && s->network[0] && !pw_jid_is_domain(s->network)) {
        snprintf(why, cap, "[watcher] network: '%s' is not a domain", s->network);
        return PW_ECONFIG;
    }
    for (size_t i = 0; i < s->presence_servers.n; i++) {
        if (!pw_jid_is_domain(s->presence_servers.items[i])) {
            snprintf(why, cap, "[watcher] presence_servers: '%s' is not a component domain",
                     s->presence_servers.items[i]);
            return PW_ECONFIG;
        }
    }
    if (rules_of(s, &r) != PW_OK) {
        snprintf(why, cap, "[watcher] country_code/trunk_prefix/intl_prefix: a country code is "
                 "1-3 digits not starting with 0, a trunk prefix 0-3 digits, an international "
                 "prefix 1-4 digits that does not start the trunk prefix");
        return PW_ECONFIG;
    }
    return PW_OK;
}

const char *pw_watcher_address_forms(const pw_watcher_t *wa, char *buf, size_t cap)
{
    if (wa->rules.country_code[0])
        snprintf(buf, cap, "an address is a phone number such as +12025550123 (national numbers "
                 "of +%s with the prefix '%s' too) or an XMPP address such as bob@opb.example "
                 "or bob\\40opb.example", wa->rules.country_code, wa->rules.trunk_prefix);
    else
        snprintf(buf, cap, "an address is a phone number in international form such as "
                 "+12025550123 or an XMPP address such as bob@opb.example or bob\\40opb.example");
    return buf;
}

/* Apply settings that passed pw_watcher_check(). */
static pw_status_t apply(pw_watcher_t *wa, const pw_watcher_settings_t *s)
{
    char why[256];
    pw_msisdn_rules_t r;
    pw_status_t rc;

    if (pw_watcher_check(s, why, sizeof why) != PW_OK || rules_of(s, &r) != PW_OK) {
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
    if (rc != PW_OK)
        return rc;
    wa->rules = r;
    wa->settings = s;
    return PW_OK;
}

static uint64_t realtime_ms(void *arg)
{
    struct timespec ts;
    (void)arg;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t pw_watcher_wall_now(const pw_watcher_t *wa)
{
    return wa->wall(wa->wall_arg);
}

int pw_watcher_local_user(const pw_watcher_t *wa, const char *from, char *bare, size_t cap)
{
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1];

    if (!from || pw_jid_split(from, local, sizeof local, domain, sizeof domain, NULL, 0) != PW_OK ||
        !local[0] || strcasecmp(domain, wa->settings->domain) != 0)
        return 0;
    return (size_t)snprintf(bare, cap, "%s@%s", local, domain) < cap;
}

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
    wa->wall = wall ? wall : realtime_ms;
    wa->wall_arg = wall_arg;
    wa->next_token = 1;
    rc = apply(wa, settings);
    if (rc == PW_OK)
        rc = pw_watcher_subs_open(wa);
    if (rc == PW_OK)
        rc = pw_watcher_sent_open(wa);
    if (rc == PW_OK)
        rc = pw_watcher_enquiry_register(wa);
    if (rc == PW_OK)
        rc = pw_watcher_notify_register(wa);
    if (rc == PW_OK)
        rc = pw_watcher_approval_register(wa);
    if (rc == PW_OK)
        rc = pw_watcher_gateway_register(wa);
    if (rc == PW_OK)
        rc = pw_watcher_adhoc_register(wa);
    if (rc == PW_OK)
        pw_watcher_roster_register(wa);
    if (rc == PW_OK)
        rc = pw_component_add_feature(c, PW_NS);
    if (rc == PW_OK)
        rc = pw_component_add_feature(c, PW_WATCHER_NS_GATEWAY);
    if (rc == PW_OK)
        rc = pw_component_add_feature(c, PW_WATCHER_NS_COMMANDS);
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
    pw_watcher_enquiry_cancel_all(wa);
    pw_component_on_presence(wa->c, NULL, NULL);
    pw_watcher_adhoc_close(wa);
    pw_watcher_subs_close(wa);
    pw_watcher_sent_close(wa);
    pw_ratelimit_destroy(wa->limiter);
    free(wa);
}

size_t pw_watcher_inflight(const pw_watcher_t *wa)
{
    return wa ? wa->ninflight : 0;
}

size_t pw_watcher_subscriptions(const pw_watcher_t *wa)
{
    return wa && wa->subs ? pw_map_count(wa->subs) : 0;
}

size_t pw_watcher_roster_items(const pw_watcher_t *wa)
{
    return wa && wa->roster ? pw_map_count(wa->roster) : 0;
}
