/* presence.h: the Presence Server role, peerwatch-presence (TS 23.141 A.1 steps 7-10; DESIGN.md §1 steps 9-11; docs/protocol.md §2.4-2.5, §5): settings, create/reload/destroy, the role. */
#ifndef PS_PRESENCE_H
#define PS_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include "charging/pw_cdr.h"
#include "xmpp/pw_component.h"
#include "core/pw_config.h"
#include "pw_ptable.h"
#include "core/pw_status.h"
#include "xmpp/pw_runtime.h"

/** The role's settings, loaded from its INI file with pw_presence_role's option table. */
typedef struct pw_presence_settings {
    pw_config_common_t common;
    pw_config_list_t gateway;     /**< [presence] gateway: the operator's gateway instances, the
                                       only senders of enquiries; notifications fail over among them */
    char *watcher;                /**< [presence] watcher: the own WA's domain (contact JIDs, approvals) */
    char *network;                /**< [presence] network: the own network (serving network) */
    int64_t approval_interval_ms; /**< [presence] approval_interval: one request per pair per interval */
    int64_t max_approvals;        /**< [presence] max_approvals: (presentity, watcher) pairs remembered */
    int64_t max_presentities;     /**< [presence] max_presentities */
    int64_t max_resources;        /**< [presence] max_resources: per presentity */
    int64_t max_status;           /**< [presence] max_status: bytes of a status text kept */
    char *state_dir;              /**< [presence] state_dir: the subscription journal's directory */
    int64_t max_duration_ms;      /**< [presence] max_duration: longest 'changes'; life of a 'next' */
    int64_t notify_interval_ms;   /**< [presence] notify_interval: per-subscription throttle */
    int64_t notify_timeout_ms;    /**< [presence] notify_timeout: wait for a notification's ack */
    int64_t notify_retries;       /**< [presence] notify_retries: resends after a timeout */
    int64_t notify_window;        /**< [presence] notify_window: notifications in flight at most */
    int64_t notify_grace_ms;      /**< [presence] notify_grace: how long unacknowledged, at most */
    int64_t max_subscriptions;    /**< [presence] max_subscriptions: active at most */
    char *cdr_dir;                /**< [charging] dir */
    char *cdr_node;               /**< [charging] node ("" = the component's JID) */
    int64_t cdr_rotate_size;      /**< [charging] rotate_size, bytes */
    int64_t cdr_rotate_age_ms;    /**< [charging] rotate_age */
    /* not read from the file: */
    pw_cdr_clock_fn wall_clock;   /**< wall clock (ms since the epoch) for subscriptions and
                                       charge records; NULL: CLOCK_REALTIME (tests set one) */
    void *wall_clock_arg;         /**< passed to wall_clock */
} pw_presence_settings_t;

/** The role for pw_runtime_main(): its option table, check, and life cycle (settings.c). */
extern const pw_role_t pw_presence_role;

/**
 * Cross-field checks of loaded settings (pw_presence_role.check; the runtime runs it after
 * every load, so pw_presence_create() and pw_presence_reload() take checked settings).
 * @param settings a pw_presence_settings_t
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK or PW_ECONFIG
 */
pw_status_t pw_presence_check(void *settings, char *why, size_t cap);

/** A running Presence Server. Opaque. */
typedef struct pw_presence pw_presence_t;

/**
 * Set the Presence Server up on a component: register its enquiry, message, presence and
 * link handlers, its disco features and the 'watchers' ad-hoc command (XEP-0050), its commit
 * hook on the component's loop, open the charge-record writer and reload the subscriptions
 * from [presence] state_dir (those expired meanwhile end with an end record).
 * @param out receives the server (pw_presence_destroy())
 * @param c the component (borrowed; must outlive the server)
 * @param settings the settings, checked by pw_presence_check() (borrowed; valid until destroy
 *        or the next reload)
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; or the writer's or the journal's failure (PW_EIO,
 *         PW_EDENIED, PW_ECORRUPT) when the charging or state directory cannot be used
 */
pw_status_t pw_presence_create(pw_presence_t **out, pw_component_t *c,
                               const pw_presence_settings_t *settings);

/**
 * Switch to new settings ([charging] changes take effect at the next start; a warning says so).
 * @param ps the server
 * @param settings the new settings (checked and borrowed, as for create)
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_presence_reload(pw_presence_t *ps, const pw_presence_settings_t *settings);

/**
 * Tear down: enquiries in progress are dropped unanswered (records not yet committed are
 * discarded with them), the handlers are unregistered, the writer is closed.
 * @param ps the server, or NULL
 */
void pw_presence_destroy(pw_presence_t *ps);

/** XEP-0356 permissions a server granted (bits of pw_presence_privileges()). */
#define PW_PRESENCE_PRIV_ROSTER_GET 0x1u /**< roster get or both */
#define PW_PRESENCE_PRIV_PRESENCE 0x2u   /**< presence managed_entity or roster */
#define PW_PRESENCE_PRIV_ROSTER_SET 0x4u /**< roster set or both: names approved items */

/**
 * The permissions a server domain advertised (XEP-0356 §4.2, urn:xmpp:privilege:1 or :2).
 * @param ps the server
 * @param domain the server's domain
 * @param version receives 1 or 2, the namespace version it used (may be NULL)
 * @return PW_PRESENCE_PRIV_* bits; 0 when the domain advertised nothing
 */
unsigned pw_presence_privileges(const pw_presence_t *ps, const char *domain, unsigned *version);

/** @return the presentity table (owned by ps), for statistics and tests */
const pw_ptable_t *pw_presence_table(const pw_presence_t *ps);

/** @return the number of enquiries in progress (awaiting the roster or the commit) */
size_t pw_presence_in_progress(const pw_presence_t *ps);

struct pw_subs;
/** @return the subscriptions (owned by ps), for statistics, tests and benchmarks */
struct pw_subs *pw_presence_subs(const pw_presence_t *ps);

#endif /* PS_PRESENCE_H */
