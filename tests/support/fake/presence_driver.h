/* presence_driver.h: drives a Presence Server in unit tests: a component on the fake transport, a manual clock, a charging and state directory, and the stanzas a test sends and reads. */
#ifndef PWFAKE_PRESENCE_DRIVER_H
#define PWFAKE_PRESENCE_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "charging/pw_cdr.h"
#include "chain/pw_enquiry.h"
#include "core/pw_loop.h"
#include "xmpp/pw_component.h"
#include "fake_component.h"
#include "presence.h"

/** The Presence Server's JID. */
#define PWFAKE_PRESENCE_JID "ps1.opb.example"
/** Where the gateway addresses enquiries about bob (protocol version 1: his number at the PS). */
#define PWFAKE_PRESENCE_BOB "+12025550123@" PWFAKE_PRESENCE_JID
/** Where the gateway addresses an enquiry that names bob by JID only: his escaped JID at the PS (XEP-0106). */
#define PWFAKE_PRESENCE_BOB_JID "bob\\40opb.example@" PWFAKE_PRESENCE_JID
/** The operator's gateway, the only sender of enquiries. */
#define PWFAKE_PRESENCE_GATEWAY "gateway.opb.example"
/** The enquiry attributes of bob (presentity) watched by alice. */
#define PWFAKE_PRESENCE_ATTRS "presentity='+12025550123' presentity-jid='bob@opb.example' " \
                 "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'"
/** The wall clock follows the manual loop clock: 2023-11-14T22:13:20Z + now. */
#define PWFAKE_PRESENCE_EPOCH_MS 1700000000000ull
/** bob's roster item for alice, subscription both. */
#define PWFAKE_PRESENCE_BOTH "<item jid='alice@opa.example' subscription='both'/>"
/** Records kept in detail by the readers below. */
#define PWFAKE_PRESENCE_RECORDS_MAX 16

/** One Presence Server under test and all its surroundings. The test owns the struct (e.g. a
 *  file-static one: Criterion's .fini takes no argument); zero it or stop it before a start. */
typedef struct pwfake_presence {
    uint64_t now;                     /**< the manual loop clock, ms */
    pwfake_component_t *fc;           /**< owns the loop, context, transport and component */
    pw_loop_t *loop;                  /**< fc's, borrowed (as are the next three) */
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;
    pw_component_t *comp;
    pw_presence_t *ps;                /**< the server (a test may destroy and recreate it) */
    pw_presence_settings_t settings;  /**< loaded by pwfake_presence_load() */
    char dir[64];                     /**< the temporary directory (state in dir/state) */
    char cdr[96];                     /**< the charge-record directory */
} pwfake_presence_t;

/**
 * Load a config into d->settings: a base ([component], [charging], [presence]) plus extra
 * lines (appended to [presence] unless they open a section; a "gateway = " line there
 * replaces the base's PWFAKE_PRESENCE_GATEWAY). Asserts it loads and checks.
 * @param d the driver (its dir set) @param extra more lines, or NULL
 */
void pwfake_presence_load(pwfake_presence_t *d, const char *extra);

/**
 * Start a Presence Server on the fake transport (link up), in a fresh temporary directory.
 * @param d the driver (stopped) @param extra config lines as for pwfake_presence_load()
 */
void pwfake_presence_start(pwfake_presence_t *d, const char *extra);

/** Tear everything down and remove the directory (harmless when not started). @param d the driver */
void pwfake_presence_stop(pwfake_presence_t *d);

/** Deliver a stanza written printf-style (asserts it parses): pwfake_component_deliver() on the
 *  server's component. @param d the driver, then the XML and its arguments */
#define pwfake_presence_deliver(d, ...) pwfake_component_deliver((d)->fc, __VA_ARGS__)

/** The server of domain grants roster get and presence (XEP-0356 namespace version 1 or 2). */
void pwfake_presence_grant(pwfake_presence_t *d, const char *domain, int version);

/** The same with roster access of this type ("get", "set", "both"). */
void pwfake_presence_grant_roster(pwfake_presence_t *d, const char *domain, int version, const char *roster);

/** One loop iteration (the commit hook runs), after moving the manual clock by ms. */
void pwfake_presence_run(pwfake_presence_t *d, uint64_t ms);

/** The gateway sends an enquiry (id, ref, kind) about bob from alice (with the proxy the
 *  gateway adds to subscription kinds; 'changes' for 60 s). */
void pwfake_presence_enquiry(pwfake_presence_t *d, const char *id, const char *ref, const char *kind);

/** @return the last sent stanza with a child in ns (borrowed), or NULL */
xmpp_stanza_t *pwfake_presence_sent_ns(pwfake_presence_t *d, const char *ns);

/** @return how many sent stanzas carry a child in ns */
size_t pwfake_presence_count_ns(pwfake_presence_t *d, const char *ns);

/** @return the answer (type result or error) sent to request id (borrowed), or NULL */
xmpp_stanza_t *pwfake_presence_answer(pwfake_presence_t *d, const char *id);

/** The server answers the last roster get with these <item/>s (asserts one was sent). */
void pwfake_presence_roster(pwfake_presence_t *d, const char *items);

/**
 * The error condition of the answer to id (asserts it is an error).
 * @param text receives its <text/> @param cap size of text
 * @return the condition
 */
pw_error_t pwfake_presence_error(pwfake_presence_t *d, const char *id, char *text, size_t cap);

/** The <state/> of the result to id (asserts it is a result carrying one). @param st receives it */
void pwfake_presence_state(pwfake_presence_t *d, const char *id, pw_presence_state_t *st);

/** Charge records read back from the directory. */
typedef struct pwfake_presence_records {
    size_t n;
    char outcome[PWFAKE_PRESENCE_RECORDS_MAX][PW_CDR_OUTCOME_MAX]; /**< of the first ones */
    char ref[PWFAKE_PRESENCE_RECORDS_MAX][PW_CDR_REF_MAX];
    pw_cdr_record_t last;
} pwfake_presence_records_t;

/** Read every committed record (asserts the directory verifies). @param out receives them */
void pwfake_presence_read_records(pwfake_presence_t *d, pwfake_presence_records_t *out);

/** bob's phone sends a presence (show "" = plain online; "off" = unavailable). */
void pwfake_presence_bob(pwfake_presence_t *d, const char *show);

/** A subscription enquiry (kind changes or next) answered from a roster with items, through
 *  the commit. @return the answer (asserts there is one; borrowed) */
xmpp_stanza_t *pwfake_presence_subscribe(pwfake_presence_t *d, const char *id, const char *kind,
                                         const char *items);

/** The <subscription/> of the result to id (asserts it); its id copied into out.
 *  @return the element (borrowed) */
xmpp_stanza_t *pwfake_presence_subscription(pwfake_presence_t *d, const char *id, char *out, size_t cap);

/** @return the i-th <notify/> IQ sent (0 = first; borrowed), or NULL; *n (may be NULL)
 *  receives how many were sent */
xmpp_stanza_t *pwfake_presence_notify(pwfake_presence_t *d, size_t i, size_t *n);

/** @return how many <notify/> IQs were sent */
size_t pwfake_presence_notify_count(pwfake_presence_t *d);

/** @return the <notify/> element of a notify IQ (asserts iq is not NULL) */
xmpp_stanza_t *pwfake_presence_notify_el(xmpp_stanza_t *iq);

/** The gateway acknowledges a notify IQ. */
void pwfake_presence_ack(pwfake_presence_t *d, xmpp_stanza_t *iq);

/** @return how many roster gets were sent */
size_t pwfake_presence_roster_gets(pwfake_presence_t *d);

/** Every committed record, with the records of kind 'end' counted apart. */
typedef struct pwfake_presence_ends {
    size_t n;
    char outcome[PWFAKE_PRESENCE_RECORDS_MAX][PW_CDR_OUTCOME_MAX];
    char subscription[PWFAKE_PRESENCE_RECORDS_MAX][PW_CDR_SUBID_MAX];
    uint64_t duration[PWFAKE_PRESENCE_RECORDS_MAX];
    uint64_t notifications[PWFAKE_PRESENCE_RECORDS_MAX];
    size_t others;
} pwfake_presence_ends_t;

/** Read the committed end records (asserts the directory verifies). @param out receives them */
void pwfake_presence_read_ends(pwfake_presence_t *d, pwfake_presence_ends_t *out);

#endif /* PWFAKE_PRESENCE_DRIVER_H */
