/* pw_subs.h: the Presence Server's subscriptions (docs/protocol.md §5): create, stop, notify with throttling and re-authorization, end, persist. */
#ifndef PW_SUBS_H
#define PW_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "charging/pw_cdr.h"
#include "xmpp/pw_component.h"
#include "chain/pw_enquiry.h"
#include "pw_ptable.h"
#include "core/pw_status.h"

/** Length of a subscription id as text (a UUID) and its NUL. */
#define PW_SUBS_ID_TEXT 37

/** What the subscriptions need to know; strings are borrowed and must outlive the object
 *  (or the next pw_subs_set_config()). */
typedef struct pw_subs_config {
    const char *state_dir;      /**< directory of the journal (created 0750 if missing) */
    const char *node;           /**< node id: the journal is STATE_DIR/subs-NODE.journal */
    const char *network;        /**< own network (serving network of end records) */
    const char *watcher;        /**< own WA domain: contact JIDs <msisdn>@<watcher> */
    uint64_t max_duration_ms;   /**< longest subscription; 'next' lasts this long at most */
    uint64_t notify_interval_ms;/**< at most one notification per subscription per interval */
    uint64_t notify_timeout_ms; /**< wait this long for a notification's acknowledgement */
    unsigned notify_retries;    /**< resends of a timed-out notification before giving up */
    uint64_t notify_grace_ms;   /**< after those: keep the subscription this long from its
                                     first unacknowledged notification, sending the latest
                                     state every notify_timeout (0: end it at once) */
    const char *const *gateways;/**< the operator's gateway instances (borrowed): a notification
                                     its subscription's gateway does not take goes to the others,
                                     in this order (docs/protocol.md §5.2) */
    size_t ngateways;           /**< how many (0: only the subscription's gateway)*/
    size_t notify_window;       /**< state notifications in flight at most (0: no bound); the
                                     others wait in turn and carry the state of their turn */
    size_t max_subscriptions;   /**< active subscriptions at most */
    pw_cdr_clock_fn wall_clock; /**< ms since the epoch; NULL: CLOCK_REALTIME */
    void *wall_clock_arg;       /**< passed to wall_clock */
} pw_subs_config_t;

/** The subscriptions of one Presence Server. Opaque. */
typedef struct pw_subs pw_subs_t;

/**
 * Open the journal and reload the subscriptions it holds: expiry times hold; those expired
 * meanwhile end at once (end record, reason expired, no notification: the link is not up).
 * @param out receives the object (pw_subs_destroy())
 * @param c the component (borrowed)
 * @param cfg settings (copied; its strings borrowed)
 * @param table the presentity table states are read from (borrowed)
 * @param cdr the charge-record writer end records go to (borrowed)
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_EIO or PW_ECORRUPT (journal unusable)
 */
pw_status_t pw_subs_create(pw_subs_t **out, pw_component_t *c, const pw_subs_config_t *cfg,
                           const pw_ptable_t *table, pw_cdr_writer_t *cdr);

/**
 * Stop every timer and cancel the notifications in flight; subscriptions stay in the journal
 * (buffered changes are committed).
 * @param s the object, or NULL
 */
void pw_subs_destroy(pw_subs_t *s);

/**
 * Take new settings (node and state_dir changes apply at the next start).
 * @param s the object
 * @param cfg the settings (copied; strings borrowed)
 */
void pw_subs_set_config(pw_subs_t *s, const pw_subs_config_t *cfg);

/** A new subscription, as the answer needs it. */
typedef struct pw_subs_created {
    char id[PW_SUBS_ID_TEXT]; /**< the subscription id */
    uint64_t expires_ms;      /**< wall-clock expiry, ms since the epoch */
} pw_subs_created_t;

/**
 * Create a subscription for an authorized 'changes' or 'next' enquiry (its journal record is
 * buffered: answer only after pw_subs_commit() succeeded). An earlier subscription made by
 * the same enquiry (same ref and watcher network) is returned instead of a new one.
 * @param s the object
 * @param e the enquiry (kind changes or next, proxy set)
 * @param gateway the JID the enquiry came from: where notifications go
 * @param state the state the answer carries (the first notification must differ from it)
 * @param out receives the id and expiry
 * @return PW_OK; PW_EFULL (max_subscriptions reached); PW_ERANGE (addresses too long to keep);
 *         PW_EINVAL; PW_ENOMEM
 */
pw_status_t pw_subs_subscribe(pw_subs_t *s, const pw_enquiry_t *e, const char *gateway,
                              const pw_presence_state_t *state, pw_subs_created_t *out);

/**
 * Create a pending subscription for a 'changes' enquiry with await-approval whose presentity
 * has not yet decided about the watcher (docs/protocol.md §5.1): no notifications until
 * pw_subs_decided() finds her roster allowing the watcher (then a state notification) or
 * declining (then it ends 'declined'); it expires like any other. Journaled like
 * pw_subs_subscribe(); a retried enquiry gets the subscription it made.
 * @return as pw_subs_subscribe()
 */
pw_status_t pw_subs_subscribe_pending(pw_subs_t *s, const pw_enquiry_t *e, const char *gateway,
                                      pw_subs_created_t *out);

/**
 * The presentity decided about a watcher (her 'subscribed' or 'unsubscribed' to the watcher's
 * contact JID, as the own WA saw it): her roster is read afresh and each of her pending
 * subscriptions of that watcher becomes active or ends 'declined' (still no item: it waits on).
 * @param s the object
 * @param presentity her bare JID (any case)
 * @param watcher_msisdn the watcher's number
 * @return how many pending subscriptions are being decided
 */
size_t pw_subs_decided(pw_subs_t *s, const char *presentity, const char *watcher_msisdn);

/**
 * Forget a subscription whose answer could not be sent (no end record, no notification).
 * @param s the object
 * @param id its id
 */
void pw_subs_abort(pw_subs_t *s, const char *id);

/**
 * End the watcher's subscriptions on a presentity with reason 'stopped' (ended notification,
 * end record, journal deletion).
 * @param s the object
 * @param e the stop enquiry (presentity_jid, watcher_jid; subscription: only that one)
 * @return the number of subscriptions ended
 */
size_t pw_subs_stop(pw_subs_t *s, const pw_enquiry_t *e);

/**
 * The presentity's aggregate state changed: notify its subscriptions (throttled,
 * re-authorized first).
 * @param s the object
 * @param bare the presentity's bare JID (any case)
 */
void pw_subs_changed(pw_subs_t *s, const char *bare);

/**
 * Make the buffered journal changes durable (once per loop iteration, before answers).
 * @param s the object
 * @return PW_OK or PW_EIO
 */
pw_status_t pw_subs_commit(pw_subs_t *s);

/** Send the notifications made ready during this iteration (after pw_subs_commit()). */
void pw_subs_flush(pw_subs_t *s);

/** @return the number of active subscriptions */
size_t pw_subs_count(const pw_subs_t *s);

/** @return the number of notifications sent and not yet acknowledged (nor given up) */
size_t pw_subs_unacked(const pw_subs_t *s);

/** One subscription as the watchers command lists it. Pointers valid during the callback. */
typedef struct pw_subs_view {
    const char *id;
    const char *watcher_msisdn;
    const char *watcher_jid;
    const char *network;
    const char *kind;        /**< "changes", "next" or "pending" (awaiting the decision) */
    uint64_t created_ms;     /**< wall clock */
    uint64_t expires_ms;     /**< wall clock */
} pw_subs_view_t;

/**
 * Visit the subscriptions on a presentity.
 * @param s the object
 * @param bare the presentity's bare JID (any case)
 * @param fn called for each; returns non-zero to stop
 * @param arg passed to fn
 * @return the number visited
 */
size_t pw_subs_foreach(pw_subs_t *s, const char *bare,
                       int (*fn)(const pw_subs_view_t *v, void *arg), void *arg);

/** Counters for tests and benchmarks. */
typedef struct pw_subs_stats {
    uint64_t notifications;   /**< notifications sent (first sends, ended ones included) */
    uint64_t acked;           /**< acknowledged */
    uint64_t retries;         /**< resends after a timeout */
    uint64_t roster_reads;    /**< roster reads for re-authorization */
    uint64_t ended;           /**< subscriptions ended */
} pw_subs_stats_t;

/** @param s the object @param out receives the counters */
void pw_subs_stats(const pw_subs_t *s, pw_subs_stats_t *out);

/** @return the wall clock the subscriptions use, ms since the epoch */
uint64_t pw_subs_wall_now(const pw_subs_t *s);

#endif /* PW_SUBS_H */
