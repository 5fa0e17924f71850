/* settings.c: the gateway's configuration (its option table, the [peers] map and the cross-field check) and the role as pw_runtime_main() runs it. */
#include <stddef.h>
#include <stdio.h>

#include "core/pw_log.h"
#include "gateway.h"

static const pw_config_option_t options[] = {
    PW_CONFIG_ROLE_OPTIONS(pw_gateway_settings_t, common, "gateway"),
    { "gateway", "network", PW_OPT_DOMAIN, 1, 253, "${domain}",
      "this operator's network domain, e.g. opb.example (named in the texts sent to peers)",
      offsetof(pw_gateway_settings_t, network) },
    { "gateway", "signing_key", PW_OPT_PATH, 1, 4095, "${key_dir}/${domain}.key",
      "this operator's Ed25519 private key (PEM) the notifications relayed to peers are signed with",
      offsetof(pw_gateway_settings_t, signing_key) },
    { "gateway", "presence_servers", PW_OPT_LIST, 1, 64, "ps1.${domain}",
      "JIDs of this operator's presence servers: the only senders whose notifications are relayed",
      offsetof(pw_gateway_settings_t, presence_servers) },
    { "gateway", "hss", PW_OPT_JID, 1, 1023, "hss.${domain}",
      "JID of this operator's HSS, e.g. hss.opb.example",
      offsetof(pw_gateway_settings_t, hss) },
    { "gateway", "hss_cache", PW_OPT_INT, 0, 10000000, "0",
      "HSS answers kept while the HSS promises to tell when its records change (docs/hss.md, Changes told): fewer lookups, revocations as prompt; 0 = ask the HSS every time",
      offsetof(pw_gateway_settings_t, hss_cache) },
    { "gateway", "max_skew", PW_OPT_DURATION, 1000, 3600000, "5m",
      "refuse signatures whose timestamp is further than this from the gateway's clock",
      offsetof(pw_gateway_settings_t, max_skew_ms) },
    { "gateway", "max_age", PW_OPT_DURATION, 0, 3600000, "10s",
      "do not serve (nor charge) an enquiry signed longer ago than this: its asker has given up "
      "(keep it below the peers' proxy gateway_timeout); 0: no limit",
      offsetof(pw_gateway_settings_t, max_age_ms) },
    { "gateway", "max_nonces", PW_OPT_INT, 1, 100000000, "1000000",
      "most nonces remembered against replay (about 48 bytes each); beyond: resource-constraint",
      offsetof(pw_gateway_settings_t, max_nonces) },
    { "gateway", "rate_per_peer", PW_OPT_INT, 1, 1000000, "200",
      "enquiries per second accepted from each peer network (burst = rate)",
      offsetof(pw_gateway_settings_t, rate_per_peer) },
    { "gateway", "max_in_flight", PW_OPT_INT, 1, 1000000, "4096",
      "most enquiries in progress at once, from all peers (bounds memory and how late an answer "
      "comes when the presence servers fall behind); more: answered at once with resource-constraint",
      offsetof(pw_gateway_settings_t, max_in_flight) },
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

static const pw_config_map_t maps[] = {
    { "peers", peers_line,
      "a peer operator's network domain = the file of its Ed25519 public key (PEM)" },
};

/* Free the [peers] table and the signing key the check loaded. */
static void free_maps(void *settings)
{
    pw_gateway_settings_t *s = settings;
    pw_peering_peers_destroy(s->peers);
    s->peers = NULL;
    pw_peering_key_destroy(s->key);
    s->key = NULL;
}

/* The signing key must load. A gateway without peers refuses everything: fine before the first
 * peering agreement (a fresh install), but said at every load. */
static pw_status_t check(void *settings, char *why, size_t cap)
{
    pw_gateway_settings_t *s = settings;
    char reason[384];

    pw_peering_key_destroy(s->key);
    s->key = NULL;
    if (pw_peering_key_load_private(s->signing_key, &s->key, reason, sizeof reason) != PW_OK) {
        snprintf(why, cap, "[gateway] signing_key: %s", reason);
        return PW_ECONFIG;
    }
    if (pw_peering_peers_count(s->peers) == 0)
        pw_warn(NULL, "[peers] lists no peer network yet: every enquiry is refused until a peer is "
                "added (peerwatch-peer import CARD)");
    return PW_OK;
}

PW_ROLE_LIFECYCLE(pw_gateway_t, pw_gateway_create, pw_gateway_reload, pw_gateway_destroy)

const pw_role_t pw_gateway_role = {
    .program = "peerwatch-gateway",
    .summary = "The Gateway Presence Server: checks peer operators' signed enquiries, "
               "looks the presentity up in the HSS and asks its Presence Server.",
    .disco_category = "component",
    .disco_type = "presence",
    .disco_name = "Peerwatch Gateway Presence Server",
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .maps = maps,
    .nmaps = sizeof maps / sizeof maps[0],
    .settings_size = sizeof(pw_gateway_settings_t),
    .common_offset = offsetof(pw_gateway_settings_t, common),
    .check = check,
    .init = role_init,
    .reload = role_reload,
    .fini = role_fini,
    .free_maps = free_maps,
};
