/* settings.c: the Watcher Application's configuration ([component], [log], [watcher], [charging]) and its definition as a role of the runtime. */
#include <stddef.h>

#include "watcher.h"

static const pw_config_option_t options[] = {
    PW_CONFIG_ROLE_OPTIONS(pw_watcher_settings_t, common, "watcher"),
    { "watcher", "domain", PW_OPT_DOMAIN, 1, 253, "${domain}",
      "the operator's user domain, e.g. opa.example: only its users may send enquiries",
      offsetof(pw_watcher_settings_t, domain) },
    { "watcher", "network", PW_OPT_STRING, 0, 253, "${domain:-}",
      "the operator's network domain sent as watcher-network (charged network); empty = domain",
      offsetof(pw_watcher_settings_t, network) },
    { "watcher", "proxy", PW_OPT_DOMAIN, 1, 253, "proxy.${domain}",
      "the JID of this operator's Watcher Presence Proxy, e.g. proxy.opa.example",
      offsetof(pw_watcher_settings_t, proxy) },
    { "watcher", "hss", PW_OPT_DOMAIN, 1, 253, "hss.${domain}",
      "the JID of this operator's HSS, e.g. hss.opa.example",
      offsetof(pw_watcher_settings_t, hss) },
    { "watcher", "hss_cache", PW_OPT_INT, 0, 10000000, "0",
      "HSS answers kept while the HSS promises to tell when its records change (docs/hss.md, Changes told): fewer lookups, revocations as prompt; 0 = ask the HSS every time",
      offsetof(pw_watcher_settings_t, hss_cache) },
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
    { "watcher", "presence_servers", PW_OPT_LIST, 1, 64, "ps1.${domain}",
      "comma-separated JIDs of this operator's presence servers (the only senders of approval requests; "
      "each is told of a user's decision about a watcher)",
      offsetof(pw_watcher_settings_t, presence_servers) },
    { "watcher", "rate_per_watcher", PW_OPT_INT, 1, 1000000, "60",
      "enquiries per minute one watcher may send (bursts up to the same number); more: resource-constraint",
      offsetof(pw_watcher_settings_t, rate_per_watcher) },
    { "watcher", "max_in_flight", PW_OPT_INT, 1, 1000000, "4096",
      "most enquiries in progress at once, all watchers together (bounds memory and the answers' "
      "latency under overload); more: answered at once with resource-constraint",
      offsetof(pw_watcher_settings_t, max_in_flight) },
    { "watcher", "max_in_flight_per_watcher", PW_OPT_INT, 1, 1000000, "64",
      "most enquiries in progress at once from one watcher, so that one flooding watcher takes only "
      "its share (not below a client's burst at login: a probe per roster contact); more: "
      "answered at once with resource-constraint",
      offsetof(pw_watcher_settings_t, max_in_flight_per_watcher) },
    { "watcher", "max_duration", PW_OPT_DURATION, 1000, 31622400000, "1d",
      "longest duration of a 'changes' enquiry (at most 366d)",
      offsetof(pw_watcher_settings_t, max_duration_ms) },
    { "watcher", "state_dir", PW_OPT_PATH, 1, 4000, "${state_dir}/watcher",
      "directory of the subscriptions journal (created if missing); subscriptions survive restarts",
      offsetof(pw_watcher_settings_t, state_dir) },
    { "watcher", "roster_duration", PW_OPT_DURATION, 1000, 31622400000, "1d",
      "duration of the 'changes' enquiry a roster subscription makes (renewed before it expires); at most max_duration",
      offsetof(pw_watcher_settings_t, roster_duration_ms) },
    { "watcher", "pending_retry", PW_OPT_DURATION, 100, 86400000, "1m",
      "first wait before a roster subscription whose request failed (no answer in time, an overloaded or "
      "unreachable side) is asked again, under the same ref (not charged again); doubled after each "
      "further failure, up to 1h",
      offsetof(pw_watcher_settings_t, pending_retry_ms) },
    { "charging", "dir", PW_OPT_PATH, 0, 4000, "${state_dir:+${state_dir}/sent}",
      "where to keep a record of every enquiry sent, in the charge-record format (docs/charging.md §4), "
      "for peerwatch-cdr reconcile; empty: keep none",
      offsetof(pw_watcher_settings_t, sent_dir) },
};

/* The runtime's check hook: pw_watcher_check() (settings_check.c) on the loaded settings. */
static pw_status_t wa_check(void *settings, char *why, size_t cap)
{
    return pw_watcher_check(settings, why, cap);
}

PW_ROLE_LIFECYCLE(pw_watcher_t, pw_watcher_create, pw_watcher_reload, pw_watcher_destroy)

const pw_role_t pw_watcher_role = {
    .program = "peerwatch-watcher",
    .summary = "The Watcher Application: users ask about the presence of other operators' "
               "subscribers by phone number.",
    .disco_category = PW_WATCHER_DISCO_CATEGORY,
    .disco_type = PW_WATCHER_DISCO_TYPE,
    .disco_name = PW_WATCHER_DISCO_NAME,
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .settings_size = sizeof(pw_watcher_settings_t),
    .common_offset = offsetof(pw_watcher_settings_t, common),
    .check = wa_check,
    .init = role_init,
    .reload = role_reload,
    .fini = role_fini,
};
