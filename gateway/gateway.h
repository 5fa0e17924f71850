/* gateway.h: the Gateway Presence Server role (peerwatch-gateway): its settings, its state, its life and the role table. */
#ifndef PW_GATEWAY_H
#define PW_GATEWAY_H

#include <stdint.h>

#include "xmpp/pw_component.h"
#include "core/pw_config.h"
#include "chain/pw_peering.h"
#include "xmpp/pw_runtime.h"

/** The gateway's configuration (conf/gateway-opb.conf documents every option). */
typedef struct pw_gateway_settings {
    pw_config_common_t common;
    char *network;             /**< [gateway] network: this operator's network domain */
    char *signing_key;         /**< [gateway] signing_key: PEM Ed25519 private key file */
    pw_config_list_t presence_servers; /**< [gateway] presence_servers: who may send notifications */
    char *hss;                 /**< [gateway] hss: JID of this operator's HSS */
    int64_t hss_cache;         /**< [gateway] hss_cache: HSS answers kept (0: none) */
    int64_t max_skew_ms;       /**< [gateway] max_skew: accepted signature clock skew */
    int64_t max_age_ms;        /**< [gateway] max_age: older enquiries are not served (0: off) */
    int64_t max_nonces;        /**< [gateway] max_nonces: bound of the replay table */
    int64_t rate_per_peer;     /**< [gateway] rate_per_peer: enquiries/s per peer network */
    int64_t max_in_flight;     /**< [gateway] max_in_flight: most enquiries in progress at once */
    pw_peering_peers_t *peers; /**< [peers] network = public key file */
    pw_peering_key_t *key;     /**< the signing key, loaded by the role's check */
} pw_gateway_settings_t;

/** The role as pw_runtime_main() runs it (options, [peers] map, checks, init/reload/fini). */
extern const pw_role_t pw_gateway_role;

/** The gateway's running state. Opaque. */
typedef struct pw_gateway pw_gateway_t;

/**
 * Set the gateway up on a component: registers the enquiry handler and the disco feature.
 * @param out receives the gateway (pw_gateway_destroy())
 * @param c the component (borrowed; must outlive the gateway)
 * @param settings the configuration (borrowed; must stay valid until pw_gateway_reload()
 *        hands over others or the gateway is destroyed)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_gateway_create(pw_gateway_t **out, pw_component_t *c,
                              pw_gateway_settings_t *settings);

/**
 * Switch to new settings (SIGHUP). The replay table is kept (its skew and size stay those
 * of the start); rates, peers, network and HSS change at once.
 * @param gw the gateway
 * @param settings the new configuration (borrowed, as for pw_gateway_create())
 * @return PW_OK
 */
pw_status_t pw_gateway_reload(pw_gateway_t *gw, pw_gateway_settings_t *settings);

/**
 * Tear down: every enquiry still in flight is answered service-unavailable first.
 * @param gw the gateway, or NULL
 */
void pw_gateway_destroy(pw_gateway_t *gw);

/**
 * @param gw the gateway, or NULL
 * @return the number of enquiries in flight (waiting for the HSS or a presence server)
 */
size_t pw_gateway_in_flight(const pw_gateway_t *gw);

#endif /* PW_GATEWAY_H */
