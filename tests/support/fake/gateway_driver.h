/* gateway_driver.h: a Gateway Presence Server (operator B, opb.example) on the in-memory transport with a manual clock, two peers' keys and a rogue's, for unit tests. */
#ifndef PWFAKE_GATEWAY_DRIVER_H
#define PWFAKE_GATEWAY_DRIVER_H

#include <stdint.h>
#include <strophe.h>

#include "gateway.h"
#include "core/pw_loop.h"
#include "fake_component.h"

/** The gateway's JID and the addresses around it. */
#define PWFAKE_GATEWAY_JID "gateway.opb.example"
#define PWFAKE_GATEWAY_HSS "hss.opb.example"
#define PWFAKE_GATEWAY_PS "ps1.opb.example"
#define PWFAKE_GATEWAY_PROXY "proxy.opa.example"

/** Key file paths: a private key and its public half. */
typedef struct pwfake_gateway_keyfiles {
    char key[128];
    char pub[128];
} pwfake_gateway_keyfiles_t;

/**
 * Everything a gateway test works with. The tests read and change the fields directly:
 * clock_ms is the loop's clock, settings the gateway's configuration (network opb.example,
 * HSS hss.opb.example, skew 5 min, 1000 nonces, 200 enquiries/s; peers opa.example and
 * opc.example with their public keys; its own key k_opb; its presence server PWFAKE_GATEWAY_PS).
 */
typedef struct pwfake_gateway {
    uint64_t clock_ms;             /**< the loop's clock (starts at 1000) */
    pwfake_component_t *fc;        /**< owns the loop, context, transport and component */
    pw_loop_t *loop;               /**< fc's, borrowed (as are the next three) */
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;      /**< what the gateway sends, and deliveries to it */
    pw_component_t *comp;          /**< the component, JID PWFAKE_GATEWAY_JID */
    pw_gateway_t *gw;              /**< the gateway; NULL once a test destroyed it */
    pw_gateway_settings_t settings;
    char dir[64];                  /**< a private temporary directory (the key files are in it) */
    pwfake_gateway_keyfiles_t opa, opb, opc, rogue;
    pw_peering_key_t *k_opa, *k_opb, *k_opc, *k_rogue; /**< the private keys, for signing (k_opb:
                                                          the gateway's own, settings.key) */
    char *presence_servers[1];     /**< settings.presence_servers: PWFAKE_GATEWAY_PS */
} pwfake_gateway_t;

/**
 * Make keys, settings, loop, fake transport, component (link up) and gateway.
 * @param out receives the driver; free with pwfake_gateway_destroy()
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK, or the failing step's status (nothing is then left behind)
 */
pw_status_t pwfake_gateway_create(pwfake_gateway_t **out, char *why, size_t cap);

/**
 * Destroy the gateway (if the test has not), the component, the loop, the keys and the key
 * files. NULL-safe.
 */
void pwfake_gateway_destroy(pwfake_gateway_t *d);

#endif /* PWFAKE_GATEWAY_DRIVER_H */
