/* proxy.h: the Watcher Presence Proxy role (peerwatch-proxy): settings, the role table, and the handler state. */
#ifndef PW_PROXY_H
#define PW_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "xmpp/pw_component.h"
#include "core/pw_config.h"
#include "core/pw_map.h"
#include "chain/pw_peering.h"
#include "dns/pw_resolver.h"
#include "xmpp/pw_runtime.h"

/** The proxy's configuration (conf/proxy-opa.conf documents every option). */
typedef struct pw_proxy_settings {
    pw_config_common_t common;
    char *network;              /**< [proxy] network: this operator's network (the signature's) */
    char *watcher;              /**< [proxy] watcher: the only JID allowed to send enquiries */
    char *signing_key;          /**< [proxy] signing_key: PEM Ed25519 private key file */
    char *dns_servers;          /**< [proxy] dns_servers: "IP[:PORT],..." or "" for the system's */
    int64_t dns_timeout_ms;     /**< [proxy] dns_timeout: first try of a DNS query */
    int64_t dns_tries;          /**< [proxy] dns_tries: attempts per DNS server */
    char *enum_suffix;          /**< [proxy] enum_suffix: the ENUM tree (e164.arpa) */
    char *gateway_service;      /**< [proxy] gateway_service: SRV service and protocol labels */
    int64_t gateway_timeout_ms; /**< [proxy] gateway_timeout: wait per SRV target */
    int64_t max_in_flight;      /**< [proxy] max_in_flight: most enquiries in progress at once */
    int64_t cache_min_ttl_ms;   /**< [proxy] cache_min_ttl */
    int64_t cache_max_ttl_ms;   /**< [proxy] cache_max_ttl */
    int64_t negative_ttl_ms;    /**< [proxy] negative_ttl */
    int64_t failed_hold_ms;     /**< [proxy] failed_target_hold: a failed gateway is tried last this long */
    int64_t cache_size;         /**< [proxy] cache_size: most DNS names cached */
    pw_config_list_t notify_from; /**< [proxy] notify_from: networks whose gateways may notify */
    char *notify_keys;          /**< [proxy] notify_keys: directory of <network>.pub */
    int64_t max_skew_ms;        /**< [proxy] max_skew: accepted signature clock skew */
    int64_t max_nonces;         /**< [proxy] max_nonces: bound of the replay table */
    pw_map_t *prefixes;         /**< [prefixes] "+4477009" -> malloc'd "opa.example" */
    size_t prefix_max_len;      /**< longest prefix in the table (bytes, '+' included) */
    pw_peering_key_t *key;      /**< the signing key, loaded by the role's check */
    pw_peering_peers_t *notify_peers; /**< notify_from network -> its key, loaded by the check */
} pw_proxy_settings_t;

/** The role as pw_runtime_main() runs it (options, [prefixes] map, checks, init/reload/fini). */
extern const pw_role_t pw_proxy_role;

/** The proxy's running state. Opaque. */
typedef struct pw_proxy pw_proxy_t;

/**
 * Set the proxy up on a component: registers the chain enquiry handler and the disco feature;
 * its DNS resolver is c-ares on settings (dns_servers, dns_timeout, dns_tries), on the
 * component's loop, owned and destroyed by the proxy.
 * @param out receives the proxy (pw_proxy_destroy())
 * @param c the component (borrowed; must outlive the proxy)
 * @param settings the configuration (borrowed; must stay valid until pw_proxy_reload() hands
 *        over others or the proxy is destroyed); settings->key must be loaded
 * @return PW_OK, PW_EINVAL, PW_ENOMEM or the resolver's status
 */
pw_status_t pw_proxy_create(pw_proxy_t **out, pw_component_t *c, pw_proxy_settings_t *settings);

/**
 * pw_proxy_create() with another DNS resolver (for tests: the scripted one).
 * @param resolver the DNS resolver to use (borrowed; must outlive the proxy), or NULL for
 *        the c-ares resolver of pw_proxy_create()
 * @return as pw_proxy_create()
 */
pw_status_t pw_proxy_create_with_resolver(pw_proxy_t **out, pw_component_t *c,
                                          pw_proxy_settings_t *settings, pw_resolver_t *resolver);

/**
 * Switch to new settings (SIGHUP). The network, watcher, key, prefixes, suffix, service and
 * gateway timeout change at once; new cache bounds empty the cache; the DNS server list,
 * timeout and tries take effect at the next start (a warning says so).
 * @param p the proxy
 * @param settings the new configuration (borrowed, as for pw_proxy_create())
 * @return PW_OK, or PW_ENOMEM when a new cache could not be made (the old settings stay)
 */
pw_status_t pw_proxy_reload(pw_proxy_t *p, pw_proxy_settings_t *settings);

/**
 * Tear down: every enquiry still in flight (waiting for DNS or for a gateway) is answered
 * service-unavailable first.
 * @param p the proxy, or NULL
 */
void pw_proxy_destroy(pw_proxy_t *p);

/** @return the number of enquiries in flight (0 for NULL) */
size_t pw_proxy_in_flight(const pw_proxy_t *p);

/**
 * The network of an E.164 number by the [prefixes] table: the longest matching prefix wins.
 * @param settings the configuration
 * @param e164 a canonical number
 * @return the network domain (owned by settings), or NULL when no prefix matches
 */
const char *pw_proxy_prefix_network(const pw_proxy_settings_t *settings, const char *e164);

#endif /* PW_PROXY_H */
