/* settings.c: the Watcher Presence Proxy's configuration: the [proxy] options, the [prefixes] map, the cross-field check, and pw_proxy_role as pw_runtime_main() runs it. */
#include "proxy_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address/pw_msisdn.h"
#include "core/pw_text.h"

static const pw_config_option_t options[] = {
    PW_CONFIG_ROLE_OPTIONS(pw_proxy_settings_t, common, "proxy"),
    { "proxy", "network", PW_OPT_DOMAIN, 1, 253, "${domain}",
      "this operator's network domain, e.g. opa.example (the network of the signatures)",
      offsetof(pw_proxy_settings_t, network) },
    { "proxy", "watcher", PW_OPT_JID, 1, 1023, "watcher.${domain}",
      "the only JID allowed to send enquiries: this operator's Watcher Application",
      offsetof(pw_proxy_settings_t, watcher) },
    { "proxy", "signing_key", PW_OPT_PATH, 1, 4095, "${key_dir}/${domain}.key",
      "this operator's Ed25519 private key (PEM) the enquiries to peers are signed with",
      offsetof(pw_proxy_settings_t, signing_key) },
    { "proxy", "dns_servers", PW_OPT_STRING, 0, 1023, "",
      "DNS servers \"IP[:PORT],...\" (\"[IPv6]:PORT\"); empty: the system's (/etc/resolv.conf)",
      offsetof(pw_proxy_settings_t, dns_servers) },
    { "proxy", "dns_timeout", PW_OPT_DURATION, 100, 60000, "2s",
      "timeout of the first try of a DNS query (doubled on each further round)",
      offsetof(pw_proxy_settings_t, dns_timeout_ms) },
    { "proxy", "dns_tries", PW_OPT_INT, 1, 10, "2",
      "attempts per DNS server",
      offsetof(pw_proxy_settings_t, dns_tries) },
    { "proxy", "enum_suffix", PW_OPT_DOMAIN, 1, 200, "e164.arpa",
      "the ENUM tree the NAPTR records of numbers are looked up under",
      offsetof(pw_proxy_settings_t, enum_suffix) },
    { "proxy", "gateway_service", PW_OPT_DOMAIN, 1, 120, "_presence-gw._tcp",
      "SRV service and protocol labels put in front of a network to find its gateways",
      offsetof(pw_proxy_settings_t, gateway_service) },
    { "proxy", "notify_from", PW_OPT_LIST, 0, 256, "${domain:-}",
      "networks whose gateways may deliver notifications for this operator's watcher, each "
      "signed with the network's key <notify_keys>/<network>.pub (docs/protocol.md §5.2)",
      offsetof(pw_proxy_settings_t, notify_from) },
    { "proxy", "notify_keys", PW_OPT_PATH, 0, 3800, "${key_dir:-}",
      "the directory of the public keys <network>.pub of the networks of notify_from (this "
      "operator's own included), as peerwatch-peer import and keygen write them",
      offsetof(pw_proxy_settings_t, notify_keys) },
    { "proxy", "max_skew", PW_OPT_DURATION, 1000, 3600000, "5m",
      "refuse notifications whose signature's timestamp is further than this from the proxy's clock",
      offsetof(pw_proxy_settings_t, max_skew_ms) },
    { "proxy", "max_nonces", PW_OPT_INT, 1, 100000000, "1000000",
      "most notification nonces remembered against replay (about 48 bytes each); beyond: resource-constraint",
      offsetof(pw_proxy_settings_t, max_nonces) },
    { "proxy", "gateway_timeout", PW_OPT_DURATION, 100, 600000, "12s",
      "how long to wait for each gateway (SRV target) before trying the next",
      offsetof(pw_proxy_settings_t, gateway_timeout_ms) },
    { "proxy", "max_in_flight", PW_OPT_INT, 1, 1000000, "4096",
      "most enquiries in progress at once (bounds memory and how late an answer comes under "
      "overload); more: answered at once with resource-constraint",
      offsetof(pw_proxy_settings_t, max_in_flight) },
    { "proxy", "cache_min_ttl", PW_OPT_DURATION, 0, 86400000, "1s",
      "DNS answers are cached at least this long",
      offsetof(pw_proxy_settings_t, cache_min_ttl_ms) },
    { "proxy", "cache_max_ttl", PW_OPT_DURATION, 1000, 604800000, "1h",
      "DNS answers are cached at most this long (>= cache_min_ttl)",
      offsetof(pw_proxy_settings_t, cache_max_ttl_ms) },
    { "proxy", "failed_target_hold", PW_OPT_DURATION, 0, 3600000, "30s",
      "a gateway that failed (timeout, remote-server-*) is tried after the others for this long; 0: never",
      offsetof(pw_proxy_settings_t, failed_hold_ms) },
    { "proxy", "negative_ttl", PW_OPT_DURATION, 0, 86400000, "60s",
      "how long a negative DNS answer is cached (at most; an SOA's shorter TTL wins)",
      offsetof(pw_proxy_settings_t, negative_ttl_ms) },
    { "proxy", "cache_size", PW_OPT_INT, 1, 100000000, "100000",
      "most DNS names cached (NAPTR and SRV together); the least recently used goes first",
      offsetof(pw_proxy_settings_t, cache_size) },
};

/* A DNS name: labels of letters, digits, '-' and '_', 1-63 bytes each, at most 253 in all. */
static int dns_name_ok(const char *s)
{
    size_t len = strnlen(s, PW_ENQUIRY_DOMAIN_MAX + 1), label = 0;

    if (len == 0 || len > PW_ENQUIRY_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.' || ch == '\0') {
            if (label == 0 || label > 63)
                return 0;
            label = 0;
        } else if (isalnum(ch) || ch == '-' || ch == '_') {
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

/* A [prefixes] line: +E.164 prefix = network domain. */
static pw_status_t prefixes_line(void *settings, const char *key, const char *value, char *why,
                                 size_t cap)
{
    pw_proxy_settings_t *s = settings;
    size_t klen = strlen(key);
    char *domain;
    pw_status_t rc;

    if (key[0] != '+' || klen < 2 || klen > PW_MSISDN_MAX || key[1] < '1' || key[1] > '9' ||
        strspn(key + 1, "0123456789") != klen - 1) {
        snprintf(why, cap, "a prefix is '+' and 1 to 15 digits, the first not 0 (+4477009)");
        return PW_EINVAL;
    }
    if (!dns_name_ok(value)) {
        snprintf(why, cap, "'%.300s' is not a network domain (e.g. opb.example)", value);
        return PW_EINVAL;
    }
    if (!s->prefixes && pw_map_create(&s->prefixes) != PW_OK) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    domain = malloc(strlen(value) + 1);
    if (!domain) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    pw_text_fold(value, domain, strlen(value) + 1);
    rc = pw_map_put(s->prefixes, key, domain, NULL);
    if (rc != PW_OK) {
        free(domain);
        snprintf(why, cap, "out of memory");
        return rc;
    }
    if (klen > s->prefix_max_len)
        s->prefix_max_len = klen;
    return PW_OK;
}

static const pw_config_map_t proxy_maps[] = {
    { "prefixes", prefixes_line,
      "an E.164 prefix (+4477009) = the network domain of its numbers when ENUM has no answer; "
      "the longest matching prefix wins" },
};

/* Free the [prefixes] table and the keys the check loaded. */
static void proxy_free_maps(void *settings)
{
    pw_proxy_settings_t *s = settings;
    pw_map_destroy_values(s->prefixes, free);
    s->prefixes = NULL;
    s->prefix_max_len = 0;
    pw_peering_key_destroy(s->key);
    s->key = NULL;
    pw_peering_peers_destroy(s->notify_peers);
    s->notify_peers = NULL;
}

/* One item of a c-ares server list: IPv4[:port], [IPv6][:port] or a bare IPv6 address. */
static int dns_server_ok(const char *item, size_t len)
{
    char host[64], port[8] = "";
    unsigned char addr[16];
    const char *colon;
    int family = AF_INET;

    if (len == 0 || len >= sizeof host + sizeof port)
        return 0;
    if (item[0] == '[') {
        const char *close = memchr(item, ']', len);
        size_t hl = close ? (size_t)(close - item - 1) : 0;
        if (!close || hl == 0 || hl >= sizeof host)
            return 0;
        memcpy(host, item + 1, hl);
        host[hl] = '\0';
        family = AF_INET6;
        colon = close + 1 < item + len ? close + 1 : NULL;
        if (colon && *colon != ':')
            return 0;
    } else {
        const char *first = memchr(item, ':', len);
        size_t hl;
        if (first && memchr(first + 1, ':', len - (size_t)(first + 1 - item))) {
            family = AF_INET6; /* bare IPv6, no port */
            first = NULL;
        }
        hl = first ? (size_t)(first - item) : len;
        if (hl == 0 || hl >= sizeof host)
            return 0;
        memcpy(host, item, hl);
        host[hl] = '\0';
        colon = first;
    }
    if (colon) {
        size_t pl = len - (size_t)(colon + 1 - item);
        long v;
        if (pl == 0 || pl >= sizeof port)
            return 0;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
        if (strspn(port, "0123456789") != pl)
            return 0;
        v = strtol(port, NULL, 10);
        if (v < 1 || v > 65535)
            return 0;
    }
    return inet_pton(family, host, addr) == 1;
}

static int dns_servers_ok(const char *list)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (!dns_server_ok(p, len))
            return 0;
        if (!end)
            break;
        p = end + 1;
        if (*p == '\0')
            return 0; /* trailing comma */
    }
    return 1;
}

/* The key of each network of notify_from, <notify_keys>/<network>.pub: a notification is
 * accepted only when signed with it (docs/protocol.md §5.2). */
static pw_status_t load_notify_keys(pw_proxy_settings_t *s, char *why, size_t cap)
{
    char path[4096], reason[384];

    pw_peering_peers_destroy(s->notify_peers);
    s->notify_peers = NULL;
    if (s->notify_from.n > 0 && (!s->notify_keys || !s->notify_keys[0])) {
        snprintf(why, cap, "[proxy] notify_keys: required when notify_from names networks (or "
                 "'include' an operator file, whose [operator] key_dir gives the default)");
        return PW_ECONFIG;
    }
    if (pw_peering_peers_create(&s->notify_peers) != PW_OK) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    for (size_t i = 0; i < s->notify_from.n; i++) {
        const char *net = s->notify_from.items[i];
        snprintf(path, sizeof path, "%s/%s.pub", s->notify_keys, net);
        if (pw_peering_peers_add(s->notify_peers, net, path, reason, sizeof reason) != PW_OK) {
            snprintf(why, cap, "[proxy] notify_from: %.253s: %s", net, reason);
            return PW_ECONFIG;
        }
    }
    return PW_OK;
}

static pw_status_t proxy_check(void *settings, char *why, size_t cap)
{
    pw_proxy_settings_t *s = settings;
    char reason[384];

    if (s->cache_min_ttl_ms > s->cache_max_ttl_ms) {
        snprintf(why, cap, "[proxy] cache_min_ttl is above cache_max_ttl");
        return PW_ECONFIG;
    }
    if (s->dns_servers && s->dns_servers[0] && !dns_servers_ok(s->dns_servers)) {
        snprintf(why, cap, "[proxy] dns_servers: '%.200s' is not a list of IP[:PORT] addresses",
                 s->dns_servers);
        return PW_ECONFIG;
    }
    pw_peering_key_destroy(s->key);
    s->key = NULL;
    if (pw_peering_key_load_private(s->signing_key, &s->key, reason, sizeof reason) != PW_OK) {
        snprintf(why, cap, "[proxy] signing_key: %s", reason);
        return PW_ECONFIG;
    }
    return load_notify_keys(s, why, cap);
}

PW_ROLE_LIFECYCLE(pw_proxy_t, pw_proxy_create, pw_proxy_reload, pw_proxy_destroy)

const pw_role_t pw_proxy_role = {
    .program = "peerwatch-proxy",
    .summary = "The Watcher Presence Proxy: finds the presentity's network (ENUM, prefix table) "
               "and its gateway (SRV), and sends it the operator-signed enquiry.",
    .disco_category = "component",
    .disco_type = "presence",
    .disco_name = "Peerwatch Watcher Presence Proxy",
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .maps = proxy_maps,
    .nmaps = sizeof proxy_maps / sizeof proxy_maps[0],
    .settings_size = sizeof(pw_proxy_settings_t),
    .common_offset = offsetof(pw_proxy_settings_t, common),
    .check = proxy_check,
    .init = role_init,
    .reload = role_reload,
    .fini = role_fini,
    .free_maps = proxy_free_maps,
};
