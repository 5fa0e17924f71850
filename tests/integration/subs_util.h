/* subs_util.h: helpers shared by the subscription integration tests (headline notifications, roster presence). */
#ifndef SUBS_UTIL_H
#define SUBS_UTIL_H

#include <stddef.h>

#include "chain_util.h"
#include "pwt_client.h"
#include "pwt_trial.h"

#define BOB_CONTACT "+12025550123@watcher.opa.example"

/** pwt_match_fn: accepts <message type='headline'> carrying <notify xmlns='urn:peerwatch:0'/>. */
int subs_is_notify(xmpp_stanza_t *s, void *arg);

/** What subs_is_presence() accepts: a presence of type (NULL: available) from a JID starting with from. */
typedef struct {
    const char *from;
    const char *type;
} subs_presence_t;

/** pwt_match_fn: accepts the presence arg (a subs_presence_t *) describes. */
int subs_is_presence(xmpp_stanza_t *s, void *arg);

/**
 * @param msg a notification headline
 * @return its <notify/>, owned by msg, or NULL
 */
xmpp_stanza_t *subs_notify_of(xmpp_stanza_t *msg);

/**
 * Wait for the next notification headline, asserting it arrives.
 * @param what says which notification, for the failure message
 * @return the headline; the caller releases it
 */
xmpp_stanza_t *subs_next_notify(pwt_client_t *c, unsigned timeout_ms, const char *what);

/**
 * The show of a notification's <state/>, asserting there is one.
 * @return the show ("" when plainly online), owned by msg
 */
const char *subs_notify_show(xmpp_stanza_t *msg);

/**
 * bob changes his show; the next notification alice gets carries it (asserted).
 * @param alice the subscribed client
 * @param bob bob's client
 * @param show the new show, e.g. "away"
 * @param timeout_ms how long the notification may take
 * @param what says which notification, for the failure message
 * @return the headline; the caller releases it
 */
xmpp_stanza_t *subs_next_change(pwt_client_t *alice, pwt_client_t *bob, const char *show, unsigned timeout_ms,
                                const char *what);

/**
 * The subscription id of an enquiry's answer, asserting it is a result with one (and an expiry).
 * @param r the answer (not released)
 * @param id receives the id
 * @param cap size of id
 */
void subs_result_id(xmpp_stanza_t *r, char *id, size_t cap);

/**
 * Enquire as a subscription and keep its id (asserting the answer is a result with one).
 * @param c the asking client
 * @param attrs the <enquiry/> attributes, e.g. "address='+12025550123' kind='next'"
 * @param id receives the subscription id
 * @param cap size of id
 */
void subs_subscribe(pwt_client_t *c, const char *attrs, char *id, size_t cap);

/** alice subscribed to bob: their clients and the subscription's id (subs_pair_start()). */
typedef struct subs_pair {
    pwt_client_t *alice;
    pwt_client_t *bob;
    char sub[128];
} subs_pair_t;

/**
 * Log bob and alice in (subs_login()); bob becomes present (plainly online), then alice
 * subscribes to him (subs_subscribe()).
 * @param p receives the clients and the subscription id; end with subs_pair_end()
 * @param trial the test's own trial, or NULL for the binary's shared one
 * @param attrs the <enquiry/> attributes, e.g. "address='+12025550123' kind='next'"
 */
void subs_pair_start(subs_pair_t *p, pwt_trial_t *trial, const char *attrs);

/**
 * Destroy both clients of a subs_pair_start() pair.
 * @param p the pair
 */
void subs_pair_end(subs_pair_t *p);

/**
 * Log a fixture user in as a real client does; alice also fetches her roster (which makes the
 * resource "interested" in subscription approvals, RFC 6121 §2.1.6) and becomes available
 * (headlines to the bare JID reach available resources only).
 * @param trial the test's own trial, or NULL for the binary's shared one (pwt_trialenv)
 * @param user "alice", "bob", …
 * @return the client (the caller destroys it)
 */
pwt_client_t *subs_login(pwt_trial_t *trial, const char *user);

#endif /* SUBS_UTIL_H */
