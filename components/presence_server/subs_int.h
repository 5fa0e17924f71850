/* subs_int.h: the subscriptions' internals shared by their files, their prototypes listed from the lowest layer up (each file calls only the layers listed above its own section). */
#ifndef PS_SUBS_INT_H
#define PS_SUBS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_heap.h"
#include "core/pw_list.h"
#include "core/pw_loop.h"
#include "core/pw_map.h"
#include "core/pw_store.h"
#include "pw_subs.h"
#include "xmpp/pw_xml_text.h"

/*
 * Memory: one ps_sub_t per subscription (fixed part + the ref's part after its domain packed
 * behind it, as 16 bytes when it is a UUID, and the watcher's and the presentity's MSISDN only
 * when they differ from the ones their nodes hold); presentity (fan-out) and watcher (stop) nodes and the route (network,
 * proxy, gateway and the ref's domain) are shared; the id index is a chained table of the
 * subscriptions themselves. One due time per subscription serves both its expiry and its
 * throttle: the subscriptions' own timer heap (subs_index.c), driven by one loop timer.
 *
 * Layers (a file calls only the layers below it; upward through the callbacks in pw_subs):
 *   subscriptions.c   public operations, the throttle (timer callback), life cycle
 *   subs_reauth.c     re-authorization before a notification: the roster, revocation
 *   subs_end.c        ending a subscription: ended notification, end record, journal
 *   subs_notify.c     notifications in flight: send, acknowledgement, retries
 *   subs_journal.c    the journal: one record per subscription, reload, compaction
 *   subs_index.c      the objects and their indexes, clocks, the subscription's timer
 */

#define SUBS_FORMAT "1" /* first field of a journal value */
#define SUBS_FIELDS 14  /* fields of a journal value */

/* Copy a string into a fixed array (truncating). */
#define SUBS_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

/* Subscription flags. */
enum {
    SF_DIRTY = 0x01,   /* the presentity changed since the last notification */
    SF_WAITING = 0x02, /* waiting for the presentity's roster */
    SF_READY = 0x04,   /* in the ready list (to be sent after the journal commit) or in the
                          queue for notify_window */
    SF_ENDED = 0x08,   /* ended; memory kept only until the ready list lets go */
    SF_NEXT = 0x10,    /* kind 'next' (else 'changes') */
    SF_PENDING = 0x20, /* a 'changes' awaiting the presentity's decision: no notifications until
                          she approves (then a state notification) or declines (ended='declined') */
    SF_OWN_WMS = 0x40, /* the watcher's MSISDN is in data (it differs from its node's) */
    SF_OWN_PMS = 0x80  /* the presentity's MSISDN is in data (it differs from its node's) */
};

/* An interned route: a watcher's network, its proxy and the gateway notifications go to, and
 * the domain part of its refs, shared by every subscription (and notification in flight) with
 * the same four. */
typedef struct ps_route {
    uint32_t refs;
    uint8_t ref_uuid;                      /* the refs' rest (after ref_domain) is a UUID: each
                                              subscription holds it as 16 bytes */
    const char *network, *proxy, *gateway; /* in text */
    const char *ref_domain;                /* in text: the refs' part up to their first '/'
                                              included ("" for a ref without one) */
    char text[];                           /* map key NUL network NUL proxy NUL gateway NUL
                                              ref_domain NUL */
} ps_route_t;

struct ps_sub;

/* A presentity with subscriptions. */
typedef struct ps_pnode {
    struct pw_subs *owner;
    pw_list_t subs;              /* its subscriptions, by their plink */
    uint32_t count;
    uint16_t pinned;             /* being iterated: not freed */
    uint8_t roster_busy;         /* a roster read is in flight */
    pw_map_t *roster;            /* cache: the roster's verdict table (roster.h) */
    uint64_t roster_ms;          /* loop time it was read */
    pw_link_t clink;             /* in the list of cached rosters, oldest first */
    char jid[];                  /* folded bare JID NUL MSISDN (of its first subscription) NUL */
} ps_pnode_t;

/* A watcher with subscriptions. */
typedef struct ps_wnode {
    struct ps_sub *subs; /* its subscriptions, by their wnext (a watcher has few: unlinking
                            walks them) */
    uint32_t count;
    uint16_t pinned;
    char jid[]; /* folded bare JID NUL MSISDN (of its first subscription) NUL */
} ps_wnode_t;

typedef struct ps_sub {
    pw_link_t plink;       /* in its presentity's list */
    struct ps_sub *wnext;  /* in its watcher's list */
    struct ps_sub *hnext, *rnext; /* in the id index's chain; in the ready list (or the loaded expired) */
    ps_pnode_t *p;
    ps_wnode_t *w;
    ps_route_t *route;     /* network, proxy, gateway, the ref's domain */
    struct ps_out *out;    /* its state notification in flight */
    uint64_t created_ms;   /* wall clock */
    uint64_t expires_ms;   /* wall clock */
    uint64_t hold_ms;      /* loop clock: no notification before */
    uint64_t last_hash;    /* of the last state sent (or answered) */
    uint64_t due_ms;       /* loop clock: its timer fires then (while armed) */
    uint32_t heap_index;   /* in s->heap; PS_UNARMED when its timer is stopped */
    uint32_t tseq;         /* arming order: subscriptions due at the same time fire in it */
    uint32_t seq;          /* of the last notification sent */
    uint32_t unacked_s;    /* loop clock, seconds + 1: its notifications go unacknowledged
                              since (0: the last one was acknowledged) */
    uint8_t id[16];
    uint8_t flags;
    char data[];           /* the ref after route->ref_domain: 16 bytes (route->ref_uuid) or
                              text NUL; then [watcher-msisdn NUL (SF_OWN_WMS)]
                              [presentity-msisdn NUL (SF_OWN_PMS)] */
} ps_sub_t;

#define PS_UNARMED UINT32_MAX /* ps_sub_t.heap_index of a subscription whose timer is stopped */

/* A notification in flight. */
typedef struct ps_out {
    struct pw_subs *s;
    ps_sub_t *sub;        /* NULL for an ended notification or once the subscription ended */
    unsigned retries;
    unsigned target;      /* 0: sent to the subscription's gateway; k: to the k-th other one */
    ps_route_t *route;    /* held: route->gateway is the subscription's own (the iq's first 'to') */
    const char *to;       /* where it went last (route->gateway or a configured gateway) */
    pw_link_t link;       /* in the subscriptions' outs */
    char payload[];       /* the <notify/> element as XML text (each try sends it in a new IQ) */
} ps_out_t;

struct pw_subs {
    pw_component_t *c;
    pw_subs_config_t cfg;
    const pw_ptable_t *table;
    pw_cdr_writer_t *cdr;
    pw_store_t *store;
    pw_map_t *interned;          /* route key -> ps_route_t */
    pw_map_t *pnodes;            /* folded presentity JID -> ps_pnode_t */
    pw_map_t *wnodes;            /* folded watcher JID -> ps_wnode_t */
    ps_sub_t **buckets;          /* id index */
    size_t nbuckets, count;
    ps_sub_t *ready, *ready_tail;
    ps_sub_t *queued, *queued_tail; /* ready, committed, waiting for room in notify_window (by
                                       rnext; SF_READY stays set) */
    pw_list_t outs;              /* ps_out_t by link */
    size_t nouts;                /* how many in outs */
    pw_list_t cached;            /* ps_pnode_t by clink, oldest first */
    pw_timer_t sweep;
    pw_timer_t tick;             /* due with the heap's first subscription */
    pw_heap_t heap;              /* armed subscriptions (ps_sub_t), first by (due_ms, tseq) */
    uint32_t tseq;               /* the next arming's tseq */
    int draining;                /* the tick is running the due subscriptions */
    pw_subs_stats_t stats;
    pw_cdr_record_t rec;         /* scratch (large) */
    pw_notify_t n;               /* scratch (large) */
    pw_xml_text_t text;          /* scratch: a notification's <notify/> as text */
    pw_presence_state_t st;      /* scratch */
    ps_sub_t *loaded_expired;    /* during create */
    /* set by subscriptions.c: how the lower layers call up */
    void (*on_timer)(struct pw_subs *s, ps_sub_t *sub); /* a subscription's timer fired */
    void (*on_acked)(struct pw_subs *s, ps_sub_t *sub); /* its notification was acknowledged */
    void (*on_lost)(struct pw_subs *s, ps_sub_t *sub, const char *reason); /* end it: the
                                     watcher is gone or unreachable (reason as in ended=) */
};

/* The subscription of a presentity's list link (NULL for NULL): walk p->subs with it. */
#define PS_SUB_OF_P(link) PW_LIST_ITEM((link), ps_sub_t, plink)

/* ------------------------------------------------------------------ subs_index.c */

/**
 * @param s the subscriptions
 * @return the loop clock (timers, throttle), ms
 */
uint64_t pw_subs_loop_now(const pw_subs_t *s);

/** Room for a ref (pw_subs_sub_ref()). */
#define PS_REF_CAP (PW_ENQUIRY_REF_MAX + 1)

/**
 * @param sub a subscription
 * @param buf receives its enquiry ref (its route's ref domain, then the rest it holds)
 * @return buf
 */
const char *pw_subs_sub_ref(const ps_sub_t *sub, char buf[PS_REF_CAP]);

/**
 * @param sub a subscription
 * @param ref an enquiry ref
 * @return non-zero when ref is the subscription's
 */
int pw_subs_sub_ref_is(const ps_sub_t *sub, const char *ref);

/**
 * @param sub a subscription
 * @return the watcher's MSISDN (held in the subscription)
 */
const char *pw_subs_sub_msisdn(const ps_sub_t *sub);

/**
 * @param sub a subscription
 * @return "next", "pending" (a 'changes' awaiting the presentity's decision) or "changes"
 */
const char *pw_subs_kind_name(const ps_sub_t *sub);

/**
 * @param sub a subscription
 * @return the presentity's MSISDN (held in the subscription; may be "")
 */
const char *pw_subs_sub_pmsisdn(const ps_sub_t *sub);

/**
 * Format a subscription id as a UUID text.
 * @param id the 16 bytes
 * @param out receives the text
 */
void pw_subs_id_format(const uint8_t id[16], char out[PW_SUBS_ID_TEXT]);

/**
 * Parse a UUID text.
 * @param text the text
 * @param id receives the 16 bytes
 * @return 0, or -1 when text is no UUID
 */
int pw_subs_id_parse(const char *text, uint8_t id[16]);

/**
 * FNV-1a over a state: equal states have equal hashes.
 * @param st the state
 * @return the hash (never 0)
 */
uint64_t pw_subs_state_hash(const pw_presence_state_t *st);

/**
 * Double the id index (the first call makes it).
 * @param s the subscriptions
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_subs_index_grow(pw_subs_t *s);

/**
 * @param s the subscriptions
 * @param id a subscription id
 * @return the subscription with this id (owned by s), or NULL
 */
ps_sub_t *pw_subs_index_find(const pw_subs_t *s, const uint8_t id[16]);

/**
 * A new subscription in every index (not journaled, its timer not started). Strings are
 * copied (network, proxy, gateway and the ref's domain interned as one route).
 * @param s the subscriptions
 * @param id its id
 * @param next non-zero for kind 'next', else 'changes'
 * @param ref the enquiry's ref
 * @param wmsisdn the watcher's MSISDN
 * @param wjid the watcher's bare JID (folded here)
 * @param pjid the presentity's bare JID (folded here)
 * @param pmsisdn the presentity's MSISDN (may be "")
 * @param network the watcher's network
 * @param proxy the watcher's proxy
 * @param gateway the JID notifications go to
 * @return the subscription (owned by s; pw_subs_sub_unlink() then pw_subs_sub_free()), or
 *         NULL when out of memory
 */
ps_sub_t *pw_subs_sub_new(pw_subs_t *s, const uint8_t id[16], int next, const char *ref,
                          const char *wmsisdn, const char *wjid, const char *pjid, const char *pmsisdn,
                          const char *network, const char *proxy, const char *gateway);

/**
 * Take a subscription out of every index and stop its timer (its memory stays).
 * @param s the subscriptions
 * @param sub the subscription
 */
void pw_subs_sub_unlink(pw_subs_t *s, ps_sub_t *sub);

/**
 * Hold a route once more.
 * @param r the route
 * @return r
 */
ps_route_t *pw_subs_route_hold(ps_route_t *r);

/**
 * Let go of a route (freed with its last holder).
 * @param s the subscriptions
 * @param r the route, or NULL
 */
void pw_subs_route_release(pw_subs_t *s, ps_route_t *r);

/**
 * Free an unlinked subscription.
 * @param s the subscriptions
 * @param sub the subscription
 */
void pw_subs_sub_free(pw_subs_t *s, ps_sub_t *sub);

/**
 * Drop a presentity's cached roster, if it has one.
 * @param s the subscriptions
 * @param p the presentity node
 */
void pw_subs_cache_drop(pw_subs_t *s, ps_pnode_t *p);

/**
 * Free a presentity node when nothing holds it any more (no subscription, pin or roster read).
 * @param s the subscriptions
 * @param p the node
 */
void pw_subs_pnode_maybe_free(pw_subs_t *s, ps_pnode_t *p);

/**
 * Free a watcher node when nothing holds it any more (no subscription or pin).
 * @param s the subscriptions
 * @param w the node
 */
void pw_subs_wnode_maybe_free(pw_subs_t *s, ps_wnode_t *w);

/**
 * (Re)start a subscription's timer: at its expiry, or at the end of the throttle when a
 * change waits (nothing for an ended subscription). When it fires, s->on_timer runs (one
 * started while due ones run fires on a later loop iteration, as the loop's own timers do).
 * @param s the subscriptions
 * @param sub the subscription
 */
void pw_subs_arm(pw_subs_t *s, ps_sub_t *sub);

/**
 * Set the subscriptions' timers up (before the first pw_subs_arm()).
 * @param s the subscriptions
 */
void pw_subs_timers_init(pw_subs_t *s);

/**
 * Stop every subscription's timer and free the heap (at destroy).
 * @param s the subscriptions
 */
void pw_subs_timers_fini(pw_subs_t *s);

/* ------------------------------------------------------------------ subs_journal.c */

/**
 * Create the state directory if needed, open the journal STATE_DIR/NAME.journal and load the
 * subscriptions it holds (live ones armed; expired ones put on s->loaded_expired).
 * @param s the subscriptions (cfg set, indexes made)
 * @param name the journal's name without ".journal"
 * @return PW_OK, or the failure (logged): PW_EIO, PW_ECORRUPT, PW_ENOMEM
 */
pw_status_t pw_subs_journal_open(pw_subs_t *s, const char *name);

/**
 * Journal the subscription's current fields (buffered until the store commits).
 * @param s the subscriptions
 * @param store the journal, or the store being rewritten at a compaction
 * @param sub the subscription
 * @return PW_OK, PW_ERANGE (fields too long for a record) or the store's failure
 */
pw_status_t pw_subs_journal_put(pw_subs_t *s, pw_store_t *store, const ps_sub_t *sub);

/* ------------------------------------------------------------------ subs_notify.c */

/**
 * Send the subscription's notification number sub->seq to its gateway: the state when
 * given, 'ended' when reason is given. A state notification becomes sub->out; its answer
 * calls s->on_acked, or s->on_lost once the watcher is gone or retries are spent.
 * @param s the subscriptions
 * @param sub the subscription
 * @param reason the ended= reason, or NULL
 * @param state the state to carry, or NULL
 * @return PW_OK or the failure (logged)
 */
pw_status_t pw_subs_notify_send(pw_subs_t *s, ps_sub_t *sub, const char *reason,
                                const pw_presence_state_t *state);

/**
 * Send the queued subscriptions' state notifications, each with the presentity's state now,
 * while notify_window has room (pw_subs_flush() queues the ready ones; each answer to a
 * notification makes room). Frees the ended ones it meets.
 * @param s the subscriptions
 */
void pw_subs_send_queued(pw_subs_t *s);

/**
 * Cancel every notification in flight (their callbacks free them).
 * @param s the subscriptions
 */
void pw_subs_notify_cancel_all(pw_subs_t *s);

/* ------------------------------------------------------------------ subs_end.c */

/**
 * End a subscription (once): the ended notification, the end record, the journal deletion;
 * it leaves every index, and its memory goes now, or at the flush when it is ready.
 * @param s the subscriptions
 * @param sub the subscription
 * @param reason the ended= reason (expired, stopped, revoked, ...)
 * @param notify non-zero to send the ended notification
 * @param state the state that notification carries (a fulfilled 'next'), or NULL
 */
void pw_subs_end(pw_subs_t *s, ps_sub_t *sub, const char *reason, int notify,
                 const pw_presence_state_t *state);

/* ------------------------------------------------------------------ subs_reauth.c */

/**
 * Set the roster cache up (its sweep timer).
 * @param s the subscriptions
 */
void pw_subs_reauth_init(pw_subs_t *s);

/**
 * Cancel the roster reads in flight and stop the sweep.
 * @param s the subscriptions
 */
void pw_subs_reauth_fini(pw_subs_t *s);

/**
 * Re-authorize before a notification: the cached roster, or a fresh read; then the
 * notification is made ready (pw_subs_flush() sends it), or the subscription ends (revoked,
 * presentity-gone; a 'next' ends fulfilled, with the state).
 * @param s the subscriptions
 * @param sub the subscription
 */
void pw_subs_reauthorize(pw_subs_t *s, ps_sub_t *sub);

#endif /* PS_SUBS_INT_H */
