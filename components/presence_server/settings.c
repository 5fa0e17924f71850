/* settings.c: the Presence Server's settings: its option table ([component], [presence], [charging]), their cross-field check, and the role pw_runtime_main() runs. */
#include <stddef.h>
#include <stdio.h>

#include <string.h>

#include "address/pw_jid.h"
#include "charging/pw_cdr.h"
#include "presence.h"

static const pw_config_option_t options[] = {
    PW_CONFIG_ROLE_OPTIONS(pw_presence_settings_t, common, "ps1"),
    { "presence", "gateway", PW_OPT_LIST, 1, 16, "gateway.${domain}",
      "the operator's gateway JIDs (one per instance): the only senders of enquiries (others: "
      "forbidden); a notification its gateway does not take goes to the next",
      offsetof(pw_presence_settings_t, gateway) },
    { "presence", "watcher", PW_OPT_DOMAIN, 1, 253, "watcher.${domain}",
      "the own Watcher Application's domain: contact JIDs <msisdn>@<watcher>, approval requests",
      offsetof(pw_presence_settings_t, watcher) },
    { "presence", "network", PW_OPT_DOMAIN, 1, 253, "${domain}",
      "the own operator network, written as serving network in charge records",
      offsetof(pw_presence_settings_t, network) },
    { "presence", "approval_interval", PW_OPT_DURATION, 1000, 2592000000, "1d",
      "ask a presentity to approve a given watcher at most once per this interval",
      offsetof(pw_presence_settings_t, approval_interval_ms) },
    { "presence", "max_approvals", PW_OPT_INT, 1, 100000000, "100000",
      "(presentity, watcher) pairs remembered for approval_interval",
      offsetof(pw_presence_settings_t, max_approvals) },
    { "presence", "max_presentities", PW_OPT_INT, 1, 100000000, "1000000",
      "users with an available resource kept in the presence table",
      offsetof(pw_presence_settings_t, max_presentities) },
    { "presence", "max_resources", PW_OPT_INT, 1, 1024, "16",
      "available resources kept per user (the least recently updated one gives way)",
      offsetof(pw_presence_settings_t, max_resources) },
    { "presence", "max_status", PW_OPT_INT, 1, 1023, "1023",
      "bytes of a <status/> text kept (cut at a character boundary)",
      offsetof(pw_presence_settings_t, max_status) },
    { "presence", "state_dir", PW_OPT_PATH, 1, 4000, "${state_dir}/presence",
      "directory of the subscription journal subs-<node>.journal; created if missing",
      offsetof(pw_presence_settings_t, state_dir) },
    { "presence", "max_duration", PW_OPT_DURATION, 1000, 31622400000, "1d",
      "longest 'changes' subscription (longer: bad-request); a 'next' lasts this long at most",
      offsetof(pw_presence_settings_t, max_duration_ms) },
    { "presence", "notify_interval", PW_OPT_DURATION, 10, 3600000, "1s",
      "at most one notification per subscription per interval (the latest state wins)",
      offsetof(pw_presence_settings_t, notify_interval_ms) },
    { "presence", "notify_timeout", PW_OPT_DURATION, 100, 600000, "15s",
      "wait this long for the gateway to acknowledge a notification",
      offsetof(pw_presence_settings_t, notify_timeout_ms) },
    { "presence", "notify_retries", PW_OPT_INT, 0, 100, "3",
      "resend a timed-out notification this many times (then notify_grace)",
      offsetof(pw_presence_settings_t, notify_retries) },
    { "presence", "notify_window", PW_OPT_INT, 1, 1000000, "256",
      "notifications in flight to the gateway at once; the others wait their turn and then carry "
      "the presentity's state of that moment (a fan-out to many watchers is paced, not timed out)",
      offsetof(pw_presence_settings_t, notify_window) },
    { "presence", "notify_grace", PW_OPT_DURATION, 0, 86400000, "5m",
      "then keep the subscription this long from its first unacknowledged notification, sending "
      "the latest state every notify_timeout; then end it (watcher-unreachable); 0: end at once",
      offsetof(pw_presence_settings_t, notify_grace_ms) },
    { "presence", "max_subscriptions", PW_OPT_INT, 1, 100000000, "2000000",
      "active subscriptions at most (beyond: resource-constraint)",
      offsetof(pw_presence_settings_t, max_subscriptions) },
    { "charging", "dir", PW_OPT_PATH, 1, 4095, "${state_dir}/cdr",
      "directory of the charge-record files (docs/charging.md); created if missing",
      offsetof(pw_presence_settings_t, cdr_dir) },
    { "charging", "node", PW_OPT_STRING, 0, 127, "",
      "node id in records and file names ([A-Za-z0-9._-]); empty: the component's JID",
      offsetof(pw_presence_settings_t, cdr_node) },
    { "charging", "rotate_size", PW_OPT_SIZE, 4096, 1073741824, "64M",
      "start a new file before one would exceed this size",
      offsetof(pw_presence_settings_t, cdr_rotate_size) },
    { "charging", "rotate_age", PW_OPT_DURATION, 1000, 604800000, "1h",
      "start a new file when the current one is this old",
      offsetof(pw_presence_settings_t, cdr_rotate_age_ms) },
};

pw_status_t pw_presence_check(void *settings, char *why, size_t cap)
{
    const pw_presence_settings_t *s = settings;
    char bare[PW_JID_MAX + 1];

    for (size_t i = 0; i < s->gateway.n; i++) {
        const char *gw = s->gateway.items[i];
        if (pw_jid_bare(gw, bare, sizeof bare) != PW_OK || strcmp(bare, gw) != 0) {
            snprintf(why, cap, "[presence] gateway: '%s' is not a bare JID or domain", gw);
            return PW_ECONFIG;
        }
    }
    if (s->cdr_node && s->cdr_node[0] && !pw_cdr_node_valid(s->cdr_node)) {
        snprintf(why, cap, "[charging] node: '%s' is not a node id (1..127 of A-Z a-z 0-9 . _ -)",
                 s->cdr_node);
        return PW_ECONFIG;
    }
    if ((!s->cdr_node || !s->cdr_node[0]) && !pw_cdr_node_valid(s->common.jid)) {
        snprintf(why, cap, "[charging] node: the component JID '%s' cannot be a node id; set one",
                 s->common.jid);
        return PW_ECONFIG;
    }
    return PW_OK;
}

PW_ROLE_LIFECYCLE(pw_presence_t, pw_presence_create, pw_presence_reload, pw_presence_destroy)

const pw_role_t pw_presence_role = {
    .program = "peerwatch-presence",
    .summary = "The operator's Presence Server: answers enquiries about its users' presence, "
               "authorized by their own rosters (XEP-0356), and writes the charge records.",
    .disco_category = "component",
    .disco_type = "presence",
    .disco_name = "Peerwatch Presence Server",
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .settings_size = sizeof(pw_presence_settings_t),
    .common_offset = offsetof(pw_presence_settings_t, common),
    .check = pw_presence_check,
    .init = role_init,
    .reload = role_reload,
    .fini = role_fini,
};
