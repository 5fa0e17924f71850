/* watcher_int.h: what the Watcher Application's source files share (not for use outside components/watcher). */
#ifndef PW_WATCHER_INT_H
#define PW_WATCHER_INT_H

#include "charging/pw_cdr.h"
#include "chain/pw_enquiry.h"
#include "core/pw_map.h"
#include "address/pw_msisdn.h"
#include "core/pw_ratelimit.h"
#include "core/pw_store.h"
#include "watcher.h"

/** Namespaces the WA speaks besides urn:peerwatch:0 and the chain. */
#define PW_WATCHER_NS_HSS "urn:peerwatch:hss:0"
#define PW_WATCHER_NS_GATEWAY "jabber:iq:gateway"
#define PW_WATCHER_NS_NICK "http://jabber.org/protocol/nick"
#define PW_WATCHER_NS_COMMANDS "http://jabber.org/protocol/commands"
#define PW_WATCHER_NS_DATA "jabber:x:data"
#define PW_WATCHER_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"

/** Most client enquiries in flight at once (further ones get resource-constraint). */
#define PW_WATCHER_MAX_INFLIGHT 16384u
/** Watcher buckets kept before forgetting refilled ones. */
#define PW_WATCHER_LIMITER_KEYS 65536u
/** Longest readable text (error texts, notification bodies). */
#define PW_WATCHER_TEXT_MAX (PW_JID_MAX + 1024)
/** An IQ-route subscription is forgotten this long after it expired without an 'ended'. */
#define PW_WATCHER_EXPIRY_GRACE_MS 60000u
/** Shortest delay before a roster subscription is renewed. */
#define PW_WATCHER_MIN_RENEW_MS 1000u

typedef struct pw_watcher_enquiry pw_watcher_enquiry_t;
typedef struct pw_watcher_job pw_watcher_job_t;
typedef struct pw_watcher_answer pw_watcher_answer_t;

/** Told how an enquiry ended (job and answer valid during the call only). */
typedef void (*pw_watcher_done_fn)(pw_watcher_t *wa, const pw_watcher_job_t *job,
                                   const pw_watcher_answer_t *ans);

/** What an enquiry asks, normalised (kept by the pipeline while it runs). */
struct pw_watcher_job {
    pw_enquiry_kind_t kind;
    uint32_t duration_s;                         /**< changes only */
    char watcher[PW_JID_MAX + 1];                /**< the asker's JID as it asked (full or bare) */
    char bare[PW_JID_MAX + 1];                   /**< the asker's bare JID */
    char address[PW_JID_PART_MAX + 1];           /**< the presentity, normalised (contact JID node) */
    char subscription[PW_ENQUIRY_SUBID_MAX + 1]; /**< stop: the one to end ("" = all of them) */
    uint64_t token;                              /**< for the done function */
    xmpp_stanza_t *request;                      /**< the client's IQ (a copy) or NULL */
    pw_watcher_done_fn done;
};

/** How an enquiry ended. */
struct pw_watcher_answer {
    pw_error_t cond;                             /**< PW_ERR_NONE: a valid result */
    char text[PW_WATCHER_TEXT_MAX];              /**< the error's text */
    int has_state;
    pw_presence_state_t state;
    char subscription[PW_ENQUIRY_SUBID_MAX + 1]; /**< changes/next: the id made by the PS */
    char expires[64];                            /**< its XEP-0082 expiry as received */
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
    char *watcher, *bare, *address, *contact; /* owned */
    uint64_t expires_ms;                 /* wall clock; 0 = none */
    uint64_t renew_at_ms;                /* roster: when to renew (wall clock) */
    uint64_t seq;                        /* last notification delivered */
    int approved;                        /* roster: 'subscribed' was sent */
    int busy;                            /* roster: an enquiry is in flight */
    uint64_t token;                      /* roster: tells its enquiries from stale ones */
    pw_timer_t timer;                    /* IQ: forget after expiry; roster: retry or renew */
} pw_watcher_sub_t;

struct pw_watcher {
    pw_component_t *c;
    const pw_watcher_settings_t *settings;
    pw_msisdn_rules_t rules;        /* from country_code/trunk_prefix/intl_prefix */
    pw_ratelimit_t *limiter;
    pw_watcher_enquiry_t *inflight; /* doubly linked list of client enquiries in flight */
    size_t ninflight;
    int closing;                    /* pw_watcher_destroy() is running */
    pw_watcher_wallclock_fn wall;
    void *wall_arg;
    pw_store_t *store;
    pw_map_t *subs;                 /* subscription id -> pw_watcher_sub_t (active ones) */
    pw_map_t *roster;               /* "<bare> <contact>" -> pw_watcher_sub_t (roster items) */
    uint64_t next_token;
    pw_map_t *load_drop;            /* while the journal is opened: keys to delete */
    pw_map_t *sessions;             /* ad-hoc session id -> session */
    pw_cdr_writer_t *sent;          /* records of the enquiries sent, or NULL */
};

/* ---- sent.c ---- */

/** Open the record of enquiries sent ([charging] dir), if configured. */
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

/* ---- enquiry_pipeline.c ---- */

/**
 * Register the client enquiry handler (urn:peerwatch:0 enquiry, IQ set).
 * @return PW_OK or the registration status
 */
pw_status_t pw_watcher_enquiry_register(pw_watcher_t *wa);

/**
 * Cancel every enquiry in flight (each ends service-unavailable through its done function).
 */
void pw_watcher_enquiry_cancel_all(pw_watcher_t *wa);

/**
 * Start an enquiry through the pipeline (kind and address checks, HSS, credit, rate limit,
 * chain). On success ask->done is called later, exactly once, with the outcome.
 * @param text receives the reason of an immediate refusal
 * @return PW_ERR_NONE, or the condition of an immediate refusal (done is then not called)
 */
pw_error_t pw_watcher_ask(pw_watcher_t *wa, const pw_watcher_ask_t *ask, char *text, size_t cap);

/* ---- watcher.c ---- */

/** @return the wall clock, ms since 1970 */
uint64_t pw_watcher_wall_now(const pw_watcher_t *wa);

/* ---- subs.c: the subscription table and its journal ---- */

/**
 * Open the journal in state_dir and load it: expired IQ-route subscriptions are dropped,
 * roster items re-armed.
 * @return PW_OK or the store's failure
 */
pw_status_t pw_watcher_subs_open(pw_watcher_t *wa);

/** Stop every timer, free every subscription, close the journal. */
void pw_watcher_subs_close(pw_watcher_t *wa);

/**
 * A new subscription (not yet in any map). Strings are copied.
 * @return the subscription or NULL (out of memory, over-long)
 */
pw_watcher_sub_t *pw_watcher_sub_new(pw_watcher_t *wa, pw_watcher_route_t route,
                                     const char *watcher, const char *bare, const char *address);

/** Free a subscription that is in no map (its timer is stopped). */
void pw_watcher_sub_free(pw_watcher_sub_t *sub);

/**
 * Journal the subscription's current fields (buffered until pw_watcher_commit()).
 * @return PW_OK or the store's failure
 */
pw_status_t pw_watcher_sub_save(pw_watcher_sub_t *sub);

/** Remove a subscription from the maps and the journal (buffered) and free it. */
void pw_watcher_sub_forget(pw_watcher_sub_t *sub);

/** Make the journal durable. @return PW_OK or PW_EIO (logged) */
pw_status_t pw_watcher_commit(pw_watcher_t *wa);

/**
 * Record the IQ-route subscription a changes/next enquiry made, and commit.
 * @return PW_OK or a failure (nothing is kept then)
 */
pw_status_t pw_watcher_subs_add_iq(pw_watcher_t *wa, const pw_watcher_job_t *job,
                                   const pw_watcher_answer_t *ans);

/**
 * A stop enquiry succeeded: forget the watcher's subscriptions on the presentity (only the
 * one named, when subscription is not ""), including its roster item ('unsubscribed'), and commit.
 */
void pw_watcher_subs_stopped(pw_watcher_t *wa, const char *bare, const char *address,
                             const char *subscription);

/**
 * The contact JID of a normalised address at this WA.
 * @return PW_OK, or the failure of pw_address_parse()/pw_watcher_contact_jid()
 */
pw_status_t pw_watcher_contact_of(const pw_watcher_t *wa, const char *address, char *out, size_t cap);

/**
 * The roster map key of (bare, contact).
 * @return PW_OK or PW_ERANGE
 */
pw_status_t pw_watcher_roster_key(const char *bare, const char *contact, char *out, size_t cap);

/* ---- notify.c ---- */

/** Register the chain notification handler. */
pw_status_t pw_watcher_notify_register(pw_watcher_t *wa);

/**
 * Readable text for a state: "+12025550123 is now away: In a meeting".
 * @return buf
 */
const char *pw_watcher_state_text(const char *address, const pw_presence_state_t *st, char *buf,
                                  size_t cap);

/**
 * The address as people read it: the number, or the unescaped JID.
 * @return buf
 */
const char *pw_watcher_display(const char *address, char *buf, size_t cap);

/* ---- roster.c ---- */

/** Register the presence handler (roster route and approval answers). */
void pw_watcher_roster_register(pw_watcher_t *wa);

/** Arm a loaded roster item's timer (renewal, or a retry soon). */
void pw_watcher_roster_arm(pw_watcher_sub_t *item);

/**
 * A notification for a roster-route subscription: the state as presence, or its end.
 * @param st the state (NULL when ended)
 * @param ended the reason, or NULL
 */
void pw_watcher_roster_notify(pw_watcher_sub_t *item, const pw_presence_state_t *st,
                              const char *ended);

/**
 * End a roster item: 'unsubscribed' (with a status text when given) and, when it had been
 * approved, 'unavailable'; stop its subscription at the PS; forget it.
 */
void pw_watcher_roster_end(pw_watcher_sub_t *item, const char *text, int stop_at_ps);

/* ---- adhoc.c ---- */

/** Register the XEP-0050 command and the disco#items of the commands node. */
pw_status_t pw_watcher_adhoc_register(pw_watcher_t *wa);

/** Forget every ad-hoc session. */
void pw_watcher_adhoc_close(pw_watcher_t *wa);

/* ---- approval.c, iq_gateway.c ---- */

/**
 * Register the approval-request handler (chain approval, IQ set).
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

/**
 * Is from a user of the WA's domain? Fills bare with "local@domain".
 * @return non-zero when it is
 */
int pw_watcher_local_user(const pw_watcher_t *wa, const char *from, char *bare, size_t cap);

#endif /* PW_WATCHER_INT_H */
