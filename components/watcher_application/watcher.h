/* watcher.h: the Watcher Application (peerwatch-watcher) as a library: settings, the role, create/destroy, subscriptions, contact JIDs. */
#ifndef PW_WATCHER_H
#define PW_WATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "address/pw_address.h"
#include "core/pw_config.h"
#include "core/pw_status.h"
#include "xmpp/pw_component.h"
#include "xmpp/pw_runtime.h"

/*
 * XEP-0030 identity of the WA. DESIGN.md §3 fixes the category 'gateway'. The XEP-0030
 * registry has no 'presence' gateway type; the WA translates telephone numbers (E.164, the
 * public telephone numbering plan) into XMPP addresses, which is what the registered type
 * 'pstn' ("gateway to the Public Switched Telephone Network") stands for, and clients that
 * know XEP-0100 offer a phone-number entry for such gateways. So: gateway/pstn.
 */
#define PW_WATCHER_DISCO_CATEGORY "gateway"
#define PW_WATCHER_DISCO_TYPE "pstn"
#define PW_WATCHER_DISCO_NAME "Peerwatch presence by phone number"

/** The WA's configuration: [component]/[log] (common) and [watcher]. */
typedef struct pw_watcher_settings {
    pw_config_common_t common;
    char *domain;                      /**< the operator's user domain: only its users may enquire */
    char *network;                     /**< the operator's network domain ("" = domain) */
    char *proxy;                       /**< the own WPP's JID */
    char *hss;                         /**< the own HSS's JID */
    int64_t hss_cache;                 /**< HSS answers kept (0: none) */
    int64_t price;                     /**< credit units an enquiry costs (prepaid check) */
    char *country_code;                /**< national numbers: country code ("" = none) */
    char *trunk_prefix;                /**< national numbers: trunk prefix */
    char *intl_prefix;                 /**< international call prefix */
    pw_config_list_t presence_servers; /**< own PS JIDs allowed to send approval requests */
    int64_t rate_per_watcher;          /**< enquiries per minute per watcher */
    int64_t max_in_flight;             /**< most client enquiries in flight at once, all watchers */
    int64_t max_in_flight_per_watcher; /**< most client enquiries in flight at once, one watcher */
    int64_t max_duration_ms;           /**< bound of a 'changes' duration */
    char *state_dir;                   /**< where the subscriptions journal lives */
    char *sent_dir;                    /**< [charging] dir: records of the enquiries sent ("": none) */
    int64_t roster_duration_ms;        /**< duration of a roster-route 'changes' enquiry */
    int64_t pending_retry_ms;          /**< retry interval of a pending roster request */
} pw_watcher_settings_t;

/**
 * The WA as a role of the runtime (settings.c): its option table (.options/.noptions, the
 * rows of pw_watcher_settings_t), the cross-field check, and init/reload/fini on
 * pw_watcher_create()/pw_watcher_reload()/pw_watcher_destroy().
 */
extern const pw_role_t pw_watcher_role;

/**
 * Cross-field checks after a successful load: network is a domain, presence_servers are
 * domains, the national-number rules are valid, roster_duration is within max_duration.
 * @param s the loaded settings (borrowed)
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK or PW_ECONFIG
 */
pw_status_t pw_watcher_check(const pw_watcher_settings_t *s, char *why, size_t cap);

/** The Watcher Application bound to one component. Opaque. */
typedef struct pw_watcher pw_watcher_t;

/**
 * Create the WA on a component: opens the subscriptions journal in state_dir (created when
 * missing; expired subscriptions are dropped, roster renewals re-armed), registers the
 * enquiry, notification, approval, jabber:iq:gateway and ad-hoc command IQ handlers and the
 * presence handler, and advertises urn:peerwatch:0, jabber:iq:gateway and
 * http://jabber.org/protocol/commands. Uses CLOCK_REALTIME as the wall clock.
 * @param out receives the WA (pw_watcher_destroy())
 * @param c the component (borrowed; must outlive the WA)
 * @param settings checked settings (borrowed; must stay valid until destroy or the next
 *        pw_watcher_reload())
 * @return PW_OK, PW_EINVAL (settings fail pw_watcher_check()), PW_ENOMEM, PW_EFULL, or the
 *         journal's failure (PW_EIO, PW_ECORRUPT)
 */
pw_status_t pw_watcher_create(pw_watcher_t **out, pw_component_t *c,
                              const pw_watcher_settings_t *settings);

/** A wall clock: milliseconds since 1970 (UTC). */
typedef uint64_t (*pw_watcher_wallclock_fn)(void *arg);

/**
 * pw_watcher_create() with another wall clock (for tests: subscription expiry times are wall
 * clock times, timers run on the component's loop clock).
 * @param wall the clock (NULL: CLOCK_REALTIME)
 * @param wall_arg passed to wall
 * @return as pw_watcher_create()
 */
pw_status_t pw_watcher_create_with_clock(pw_watcher_t **out, pw_component_t *c,
                                         const pw_watcher_settings_t *settings,
                                         pw_watcher_wallclock_fn wall, void *wall_arg);

/**
 * Switch to new settings (SIGHUP). Enquiries in flight finish under the new settings;
 * state_dir cannot change without a restart.
 * @param wa the WA
 * @param settings checked settings (borrowed, as for create); the old ones may be freed after
 * @return PW_OK, or PW_EINVAL when they fail pw_watcher_check() (the old ones stay)
 */
pw_status_t pw_watcher_reload(pw_watcher_t *wa, const pw_watcher_settings_t *settings);

/**
 * Destroy the WA: enquiries in flight are cancelled and answered service-unavailable (when
 * the link is still up). The IQ handlers stay registered (the component has no way to remove
 * them): destroy the component next, without running its loop in between.
 * @param wa the WA, or NULL
 */
void pw_watcher_destroy(pw_watcher_t *wa);

/** @return the number of client enquiries in flight (HSS or proxy hop pending) */
size_t pw_watcher_inflight(const pw_watcher_t *wa);

/** @return the number of active subscriptions (both routes) */
size_t pw_watcher_subscriptions(const pw_watcher_t *wa);

/** @return the number of roster items (pending and subscribed) */
size_t pw_watcher_roster_items(const pw_watcher_t *wa);

/* ---- contact JIDs (DESIGN.md §2) ---- */

/**
 * The contact JID naming an address at a WA: "+12025550123@watcher.opa.example" or
 * "bob\40opb.example@watcher.opa.example" (XEP-0106).
 * @param a the address (caller-owned)
 * @param wa_domain the WA's domain (caller-owned)
 * @param out caller's buffer; "" on failure
 * @param cap size of out, NUL included
 * @return PW_OK; PW_EINVAL for NULL arguments, an inconsistent address or a bad domain;
 *         PW_ERANGE when the JID does not fit in cap or exceeds PW_JID_MAX
 */
pw_status_t pw_watcher_contact_jid(const pw_address_t *a, const char *wa_domain, char *out,
                                   size_t cap);

#endif /* PW_WATCHER_H */
