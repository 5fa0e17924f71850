/* gateway_int.h: what the gateway's files share: its running state and the flow's entry points. */
#ifndef PW_GATEWAY_INT_H
#define PW_GATEWAY_INT_H

#include "gateway.h"
#include "chain/pw_hss.h"
#include "core/pw_ratelimit.h"
#include "xmpp/pw_calls.h"

struct pw_gateway {
    pw_component_t *c;
    pw_gateway_settings_t *settings;
    pw_peering_replay_t *replay; /* nonces seen, against replay */
    pw_ratelimit_t *rates;       /* per peer network */
    pw_calls_t *calls;           /* enquiries in flight */
    pw_hss_client_t *hss;        /* the link to the own HSS, with its cache */
};

/**
 * Register the flow's handlers on the gateway's component: the enquiry from a peer's proxy
 * and the notification from an own presence server (flow.c).
 * @param gw the gateway (its component, settings and tables set)
 * @return PW_OK or the registration's failure
 */
pw_status_t gw_flow_attach(pw_gateway_t *gw);

#endif /* PW_GATEWAY_INT_H */
