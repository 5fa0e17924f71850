/* watcher_int.h: what the Watcher Application's source files share (not for use outside components/watcher_application). */
#ifndef PW_WATCHER_INT_H
#define PW_WATCHER_INT_H

/*
 * The files in layers; a file calls only files of lower layers (and a higher layer reaches
 * down through a callback where a lower one must act on it):
 *   settings.c                          the role (option table, init/reload/fini)
 *   lifecycle.c                         life cycle: create, reload, destroy
 *   notify.c                            chain notifications (IQ route: headline; roster route: roster.c)
 *   roster.c, adhoc.c                   the roster route and the XEP-0050 command, users of the flow
 *   approval.c, iq_gateway.c            approval requests, XEP-0100 (need no enquiry)
 *   flow.c                              the enquiry's path: alice -> HSS -> rate -> WPP -> alice
 *   kinds.c, subscriptions.c, sent.c    what differs per kind; the subscriptions and their journal;
 *                                       the record of enquiries sent
 *   addresses.c, settings_check.c       local users, addresses, contact JIDs, readable texts; the
 *                                       settings' cross-field check
 */

#include "address/pw_msisdn.h"
#include "chain/pw_enquiry.h"
#include "chain/pw_hss.h"
#include "charging/pw_cdr.h"
#include "core/pw_map.h"
#include "core/pw_ratelimit.h"
#include "core/pw_store.h"
#include "xmpp/pw_calls.h"
#include "watcher.h"

/** Namespaces the WA speaks besides urn:peerwatch:0, the chain and the HSS lookup. */
#define PW_WATCHER_NS_GATEWAY "jabber:iq:gateway"
#define PW_WATCHER_NS_NICK "http://jabber.org/protocol/nick"
#define PW_WATCHER_NS_COMMANDS "http://jabber.org/protocol/commands"
#define PW_WATCHER_NS_DATA "jabber:x:data"
#define PW_WATCHER_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"

/** Hard bound on client enquiries in flight at once, above [watcher] max_in_flight's maximum. */
#define PW_WATCHER_MAX_INFLIGHT 1000000u
/** Watcher buckets kept before forgetting refilled ones. */
#define PW_WATCHER_LIMITER_KEYS 65536u
/** Longest readable text (error texts, notification bodies). */
#define PW_WATCHER_TEXT_MAX (PW_JID_MAX + 1024)
/** An IQ-route subscription is forgotten this long after it expired without an 'ended'. */
#define PW_WATCHER_EXPIRY_GRACE_MS 60000u
/** Shortest delay before a roster subscription is renewed. */
#define PW_WATCHER_MIN_RENEW_MS 1000u

typedef struct pw_watcher_job pw_watcher_job_t;
typedef struct pw_watcher_answer pw_watcher_answer_t;

/** Told how an enquiry ended (job and answer valid during the call only). */
typedef void (*pw_watcher_done_fn)(pw_watcher_t *wa, const pw_watcher_job_t *job,
                                   const pw_watcher_answer_t *ans);

/** What an enquiry asks, normalised (kept by the flow while it runs). */
struct pw_watcher_job {
    pw_enquiry_kind_t kind;
    uint32_t duration_s;                         /**< changes only */
    char watcher[PW_JID_MAX + 1];                /**< the asker's JID as it asked (full or bare) */
    char bare[PW_JID_MAX + 1];                   /**< the asker's bare JID */
    char address[PW_JID_PART_MAX + 1];           /**< the presentity, normalised (contact JID node) */
    char subscription[PW_ENQUIRY_SUBID_MAX + 1]; /**< stop: the one to end ("" = all of them) */
    uint64_t token;                              /**< for the done function */
    int await_approval;                          /**< changes: hold for the presentity's decision */
    char ref[PW_ENQUIRY_REF_MAX + 1];            /**< a retry: the ref of the enquiry it repeats, else "" */
    xmpp_stanza_t *request;                      /**< the client's IQ (a copy) or NULL */
    pw_watcher_done_fn done;
};

/** How an enquiry ended. */
struct pw_watcher_answer {
    pw_error_t cond;                             /**< PW_ERR_NONE: a valid result */
    char text[PW_WATCHER_TEXT_MAX];              /**< the error's text */
    int has_state;
    pw_presence_state_t state;
    int pending;                                 /**< changes with await-approval: the subscription
                                                      awaits the presentity's decision (no state) */
    char subscription[PW_ENQUIRY_SUBID_MAX + 1]; /**< changes/next: the id made by the PS */
    char expires[64];                            /**< its XEP-0082 expiry as received */
    char network[PW_ENQUIRY_DOMAIN_MAX + 1];     /**< the network that answered, as the proxy
                                                      tells (protocol §5.1), or "" */
    uint64_t expires_ms;                         /**< the same, ms since 1970 */
    char ref[PW_ENQUIRY_REF_MAX + 1];            /**< the enquiry reference ("" if not sent) */
    xmpp_stanza_t *response;                     /**< the proxy's result (borrowed) or NULL */
};

/** What a caller asks (strings borrowed during pw_watcher_ask()). */
typedef struct pw_watcher_ask {
    const char *watcher;      /**< the asker's JID (full or bare) */
    const char *address;      /**< the presentity as typed */
    const char *kind;         /**< kind name */
    const char *duration;     /**< seconds as text, or NULL */
    const char *subscription; /**< stop: the one to end, or NULL */
    xmpp_stanza_t *request;   /**< the client's IQ to keep (copied), or NULL */
    pw_watcher_done_fn done;
    uint64_t token;
    int await_approval;       /**< changes: hold for the presentity's decision (roster route) */
    const char *ref;          /**< a retry: the ref of the enquiry it repeats (not charged
                                   again: the PS knows the ref), or NULL */
} pw_watcher_ask_t;

/** How a subscription's notifications reach the watcher. */
typedef enum pw_watcher_route {
    PW_WATCHER_ROUTE_IQ = 0, /**< headline messages (IQ enquiries, ad-hoc command) */
    PW_WATCHER_ROUTE_ROSTER  /**< ordinary presence (RFC 6121 roster subscription) */
} pw_watcher_route_t;

/**
 * A subscription the WA holds: an IQ-route subscription (always active), or a roster item
 * (pending while id is "", active otherwise). Persisted under key.
 */
typedef struct pw_watcher_sub {
    pw_watcher_t *wa;
    char key[PW_ENQUIRY_SUBID_MAX + 8];  /* store key: "i:<id>" or "r:<uuid>" */
    pw_watcher_route_t route;
    pw_enquiry_kind_t kind;
    char id[PW_ENQUIRY_SUBID_MAX + 1];   /* "" while a roster request is pending */
    char ref[PW_ENQUIRY_REF_MAX + 1];
    char network[PW_ENQUIRY_DOMAIN_MAX + 1]; /* the network it was made through (its
                                            notifications must be signed by it), or "" */
    char *watcher, *bare, *address, *contact; /* owned */
    uint64_t expires_ms;                 /* wall clock; 0 = none */
    uint64_t renew_at_ms;                /* roster: when to renew (wall clock) */
    uint64_t seq;                        /* last notification delivered */
    int approved;                        /* roster: 'subscribed' was sent (an id without it: the
                                            presentity has not decided yet) */
    int busy;                            /* roster: an enquiry is in flight */
    unsigned failures;                   /* roster: failed attempts in a row (the backoff) */
    uint64_t token;                      /* roster: tells its enquiries from stale ones */
    pw_timer_t timer;                    /* IQ: forget after expiry; roster: retry or renew */
} pw_watcher_sub_t;

/**
 * Ends a roster item because a 'stop' enquiry ended the watcher's subscriptions on its
 * presentity (the roster route's, given to the subscriptions by pw_watcher_roster_start()).
 * @param item the item (forgotten and freed by the callee)
 * @param text the status text of the 'unsubscribed'
 */
typedef void (*pw_watcher_item_end_fn)(pw_watcher_sub_t *item, const char *text);

struct pw_watcher {
    pw_component_t *c;
    const pw_watcher_settings_t *settings;
    pw_msisdn_rules_t rules;        /* from country_code/trunk_prefix/intl_prefix */
    pw_ratelimit_t *limiter;
    pw_hss_client_t *hss;           /* the link to the own HSS, with its cache */
    pw_calls_t *calls;              /* the client enquiries in flight (flow.c) */
    pw_map_t *in_flight;            /* bare JID of a watcher -> its enquiries in flight (a count
                                       cast to a pointer; absent when none) (flow.c) */
    int closing;                    /* pw_watcher_destroy() is running */
    pw_watcher_wallclock_fn wall;
    void *wall_arg;
    pw_store_t *store;
    pw_map_t *subs;                 /* subscription id -> pw_watcher_sub_t (active ones) */
    pw_map_t *roster;               /* "<bare> <contact>" -> pw_watcher_sub_t (roster items) */
    pw_watcher_item_end_fn end_item; /* the roster route's end of an item (roster.c) */
    uint64_t next_token;
    pw_map_t *load_drop;            /* while the journal is opened: keys to delete */
    pw_map_t *sessions;             /* ad-hoc session id -> session */
    pw_cdr_writer_t *sent;          /* records of the enquiries sent, or NULL */
    uint64_t sent_counted;          /* of them, those counted as written (sent.c) */
};

/**
 * The WA's wall clock.
 * @return milliseconds since 1970 (UTC)
 */
static inline uint64_t pw_watcher_wall_now(const pw_watcher_t *wa)
{
    return wa->wall(wa->wall_arg);
}

/* ---- settings_check.c ---- */

/**
 * The national-number rules of settings.
 * @param s the settings (borrowed)
 * @param r receives the rules
 * @return PW_OK, or PW_EINVAL when country_code/trunk_prefix/intl_prefix are not valid
 */
pw_status_t pw_watcher_rules_of(const pw_watcher_settings_t *s, pw_msisdn_rules_t *r);

/* ---- addresses.c ---- */

/**
 * Is from a user of the WA's domain? Fills bare with "local@domain".
 * @param from a JID (full or bare), or NULL
 * @param bare receives the bare JID
 * @param cap size of bare
 * @return non-zero when it is
 */
int pw_watcher_local_user(const pw_watcher_t *wa, const char *from, char *bare, size_t cap);

/**
 * The contact JID of a normalised address at this WA.
 * @param address the contact JID node (pw_watcher_job_t.address)
 * @param out receives the JID ("" on failure)
 * @param cap size of out
 * @return PW_OK, or the failure of pw_address_parse()/pw_watcher_contact_jid()
 */
pw_status_t pw_watcher_contact_of(const pw_watcher_t *wa, const char *address, char *out, size_t cap);

/**
 * The text of an address error: the accepted forms, with a national example when a country
 * code is configured.
 * @param buf receives the text
 * @param cap size of buf
 * @return buf
 */
const char *pw_watcher_address_forms(const pw_watcher_t *wa, char *buf, size_t cap);

/**
 * The address as people read it: the number with its country code apart ("+1 202 555 0123",
 * "+44 7700900001"), or the unescaped JID.
 * @param address a normalised address
 * @param buf receives the text
 * @param cap size of buf
 * @return buf
 */
const char *pw_watcher_display(const char *address, char *buf, size_t cap);

/**
 * Readable text for a state: "+1 202 555 0123 is now away: In a meeting".
 * @param address a normalised address
 * @param st the state
 * @param buf receives the text
 * @param cap size of buf
 * @return buf
 */
const char *pw_watcher_state_text(const char *address, const pw_presence_state_t *st, char *buf,
                                  size_t cap);

/**
 * Readable text for the end of a subscription and its reason, e.g. "Your subscription to
 * +1 202 555 0123 has ended: the time you asked for is over."
 * @param address a normalised address
 * @param reason one of PW_NOTIFY_REASONS (anything else reads as ended by the other operator)
 * @param buf receives the text
 * @param cap size of buf
 * @return buf
 */
const char *pw_watcher_end_text(const char *address, const char *reason, char *buf, size_t cap);

/**
 * A time as people read it, in UTC with how long until then: "16:56 UTC on 2 December 2026
 * (in 2 hours)" (seconds under 90 s, minutes under 90 min, hours under 36 h, else days).
 * @param at_ms the time, ms since 1970
 * @param now_ms now, ms since 1970
 * @param buf receives the text
 * @param cap size of buf
 * @return buf
 */
const char *pw_watcher_time_text(uint64_t at_ms, uint64_t now_ms, char *buf, size_t cap);

/* ---- sent.c ---- */

/**
 * Open the record of enquiries sent ([charging] dir), if configured.
 * @return PW_OK, or the writer's failure
 */
pw_status_t pw_watcher_sent_open(pw_watcher_t *wa);

/** Commit what is buffered and close (NULL-safe on wa->sent). */
void pw_watcher_sent_close(pw_watcher_t *wa);

/**
 * Record one enquiry that went down the chain, with the answer it got (committed from a loop
 * hook: group commit). Nothing is recorded when no [charging] dir is configured.
 * @param chain the enquiry as sent
 * @param outcome "ok" or the error condition of the answer
 * @param subscription the subscription id of the answer ("" for none)
 */
void pw_watcher_sent_record(pw_watcher_t *wa, const pw_enquiry_t *chain, const char *outcome,
                            const char *subscription);

/* ---- subscriptions.c: the subscription table and its journal ---- */

/**
 * Open the journal in state_dir and load it: expired IQ-route subscriptions are dropped and
 * the others' expiry timers armed; roster items are loaded unarmed (pw_watcher_roster_start()).
 * @return PW_OK or the store's failure
 */
pw_status_t pw_watcher_subs_open(pw_watcher_t *wa);

/** Stop every timer, free every subscription, close the journal. */
void pw_watcher_subs_close(pw_watcher_t *wa);

/**
 * A new subscription (not yet in any map). Strings are copied.
 * @return the subscription (pw_watcher_sub_free()) or NULL (out of memory, over-long)
 */
pw_watcher_sub_t *pw_watcher_sub_new(pw_watcher_t *wa, pw_watcher_route_t route,
                                     const char *watcher, const char *bare, const char *address);

/** Free a subscription that is in no map (its timer is stopped). NULL-safe. */
void pw_watcher_sub_free(pw_watcher_sub_t *sub);

/**
 * Journal the subscription's current fields (buffered until pw_watcher_commit()).
 * @return PW_OK or the store's failure
 */
pw_status_t pw_watcher_sub_save(pw_watcher_sub_t *sub);

/** Remove a subscription from the maps and the journal (buffered) and free it. */
void pw_watcher_sub_forget(pw_watcher_sub_t *sub);

/**
 * Make the journal durable.
 * @return PW_OK or PW_EIO (logged)
 */
pw_status_t pw_watcher_commit(pw_watcher_t *wa);

/**
 * Record the IQ-route subscription a changes/next enquiry made, and commit.
 * @param job what was asked
 * @param ans the answer with the subscription
 * @return PW_OK or a failure (nothing is kept then)
 */
pw_status_t pw_watcher_subs_add_iq(pw_watcher_t *wa, const pw_watcher_job_t *job,
                                   const pw_watcher_answer_t *ans);

/**
 * A stop enquiry succeeded: forget the watcher's subscriptions on the presentity (only the
 * one named, when subscription is not ""), end its roster item through wa->end_item, and commit.
 * @param bare the watcher's bare JID
 * @param address the normalised address
 * @param subscription the subscription stopped, or "" for all
 */
void pw_watcher_subs_stopped(pw_watcher_t *wa, const char *bare, const char *address,
                             const char *subscription);

/**
 * The roster map key of (bare, contact).
 * @param out receives the key
 * @param cap size of out
 * @return PW_OK or PW_ERANGE
 */
pw_status_t pw_watcher_roster_key(const char *bare, const char *contact, char *out, size_t cap);

/* ---- kinds.c: what differs per kind ---- */

/**
 * Check the attributes only some kinds have (duration, subscription) for job->kind; fills
 * job->duration_s and job->subscription.
 * @param ask what was asked
 * @param job the job (kind set)
 * @param why receives the reason of a refusal
 * @param cap size of why
 * @return PW_ERR_NONE or the refusal's condition
 */
pw_error_t pw_watcher_kind_check(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                                 pw_watcher_job_t *job, char *why, size_t cap);

/**
 * Check the chain's result for a kind: a state ('current'), a state and a subscription
 * ('changes', 'next'), anything ('stop'); fills ans.
 * @param kind the enquiry's kind
 * @param answer the result's payload, or NULL
 * @param ans receives the state and subscription
 * @param why receives the reason of a refusal
 * @param cap size of why
 * @return PW_ERR_NONE or PW_ERR_INTERNAL_SERVER_ERROR
 */
pw_error_t pw_watcher_kind_answer(pw_enquiry_kind_t kind, xmpp_stanza_t *answer,
                                  pw_watcher_answer_t *ans, char *why, size_t cap);

/* ---- flow.c: the enquiry's path ---- */

/**
 * Open the table of enquiries in flight and register the client enquiry handler
 * (urn:peerwatch:0 enquiry, IQ set).
 * @return PW_OK, PW_ENOMEM or the registration status
 */
pw_status_t pw_watcher_flow_open(pw_watcher_t *wa);

/**
 * Cancel every enquiry in flight (each ends service-unavailable through its done function)
 * and close the table. NULL-safe on wa->calls.
 */
void pw_watcher_flow_close(pw_watcher_t *wa);

/**
 * Start an enquiry along the flow (local user, kind and address checks, HSS, credit, rate
 * limit, chain). On success ask->done is called later, exactly once, with the outcome.
 * @param ask what is asked (borrowed during the call)
 * @param text receives the reason of an immediate refusal
 * @param cap size of text
 * @return PW_ERR_NONE, or the condition of an immediate refusal (done is then not called)
 */
pw_error_t pw_watcher_ask(pw_watcher_t *wa, const pw_watcher_ask_t *ask, char *text, size_t cap);

/* ---- roster.c ---- */

/**
 * Start the roster route: the presence handler (roster requests and approval answers), the
 * end of items for pw_watcher_subs_stopped(), and the timers of the loaded items.
 */
void pw_watcher_roster_start(pw_watcher_t *wa);

/** Stop the roster route's presence handler. */
void pw_watcher_roster_stop(pw_watcher_t *wa);

/**
 * A notification for a roster-route subscription: the state as presence, or its end.
 * @param item the item (may be forgotten and freed)
 * @param st the state (NULL when ended)
 * @param ended the reason, or NULL
 */
void pw_watcher_roster_notify(pw_watcher_sub_t *item, const pw_presence_state_t *st,
                              const char *ended);

/* ---- adhoc.c ---- */

/**
 * Register the XEP-0050 command and the disco#items of the commands node.
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_adhoc_register(pw_watcher_t *wa);

/** Forget every ad-hoc session. */
void pw_watcher_adhoc_close(pw_watcher_t *wa);

/* ---- notify.c, approval.c, iq_gateway.c ---- */

/**
 * Register the chain notification handler.
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_notify_register(pw_watcher_t *wa);

/**
 * Register the approval-request handler (chain approval, IQ set).
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_approval_register(pw_watcher_t *wa);

/**
 * Report a presentity's decision about a watcher (her 'subscribed' or 'unsubscribed' to the
 * watcher's contact JID) to every configured presence server (docs/protocol.md §2.5): the one
 * holding pending subscriptions of that watcher on her reads her roster and settles them.
 * Fire and forget (a failure is logged).
 * @param wa the WA
 * @param presentity her bare JID
 * @param msisdn the watcher's number
 */
void pw_watcher_approval_decided(pw_watcher_t *wa, const char *presentity, const char *msisdn);

/**
 * Register the XEP-0100 jabber:iq:gateway handler (get and set).
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_gateway_register(pw_watcher_t *wa);

#endif /* PW_WATCHER_INT_H */
