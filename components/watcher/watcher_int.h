/* watcher_int.h: what the Watcher Application's source files share (not for use outside components/watcher). */
#ifndef PW_WATCHER_INT_H
#define PW_WATCHER_INT_H

#include "pw_msisdn.h"
#include "watcher.h"

/** Namespaces the WA speaks besides urn:peerwatch:0 and the chain. */
#define PW_WATCHER_NS_HSS "urn:peerwatch:hss:0"
#define PW_WATCHER_NS_GATEWAY "jabber:iq:gateway"
#define PW_WATCHER_NS_NICK "http://jabber.org/protocol/nick"

/** Most client enquiries in flight at once (further ones get resource-constraint). */
#define PW_WATCHER_MAX_INFLIGHT 16384u
/** Watcher buckets kept before forgetting refilled ones. */
#define PW_WATCHER_LIMITER_KEYS 65536u

typedef struct pw_watcher_enquiry pw_watcher_enquiry_t;

struct pw_watcher {
    pw_component_t *c;
    const pw_watcher_settings_t *settings;
    pw_msisdn_rules_t rules;        /* from country_code/trunk_prefix/intl_prefix */
    pw_watcher_limiter_t *limiter;
    pw_watcher_enquiry_t *inflight; /* doubly linked list of client enquiries in flight */
    size_t ninflight;
    int closing;                    /* pw_watcher_destroy() is running */
};

/**
 * Register the client enquiry handler (urn:peerwatch:0 enquiry, IQ set).
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_enquiry_register(pw_watcher_t *wa);

/**
 * Cancel every enquiry in flight (each is answered service-unavailable and freed).
 */
void pw_watcher_enquiry_cancel_all(pw_watcher_t *wa);

/**
 * Register the approval-request handler (chain approval, IQ set) and the presence handler.
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_approval_register(pw_watcher_t *wa);

/**
 * Register the XEP-0100 jabber:iq:gateway handler (get and set).
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_gateway_register(pw_watcher_t *wa);

/**
 * The text of an address error: the accepted forms, with a national example when a country
 * code is configured.
 * @param buf receives the text
 * @return buf
 */
const char *pw_watcher_address_forms(const pw_watcher_t *wa, char *buf, size_t cap);

#endif /* PW_WATCHER_INT_H */
