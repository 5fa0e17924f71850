/* settings_check.c: the cross-field check of the WA's settings and the national-number rules they give (used by the role's check and by every create and reload). */
#include "watcher_int.h"

#include <stdio.h>

#include "address/pw_jid.h"

pw_status_t pw_watcher_rules_of(const pw_watcher_settings_t *s, pw_msisdn_rules_t *r)
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
    if (pw_watcher_rules_of(s, &r) != PW_OK) {
        snprintf(why, cap, "[watcher] country_code/trunk_prefix/intl_prefix: a country code is "
                 "1-3 digits not starting with 0, a trunk prefix 0-3 digits, an international "
                 "prefix 1-4 digits that does not start the trunk prefix");
        return PW_ECONFIG;
    }
    return PW_OK;
}
