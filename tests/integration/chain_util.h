/* chain_util.h: helpers shared by the chain and subscription integration tests (enquiries and their answers). */
#ifndef CHAIN_UTIL_H
#define CHAIN_UTIL_H

#include <criterion/criterion.h>
#include <stddef.h>

#include "charging/pw_cdr.h"
#include "xmpp/pw_stanza.h"
#include "pwt_client.h"
#include "pwt_trialenv.h"

/* The trial is shared by every test of a chain binary: chain_hooks.c, linked into each, brings
 * it up before the first test and down after the last. Every helper below fails the calling
 * test (Criterion assertion) instead of returning an error. */

/**
 * Log a fixture user of the shared trial in, failing the test clearly when the trial is not there.
 * @param user "alice", "bob", …
 * @return the client (the caller destroys it with pwt_client_destroy())
 */
pwt_client_t *chain_login(const char *user);

/**
 * Send an enquiry to the watcher of the client's own operator and wait for the answer
 * (asserting one comes).
 * @param c the asking client
 * @param attrs the <enquiry/> attributes, e.g. "address='+12025550123' kind='current'"
 * @return the answer; the caller releases it (xmpp_stanza_release())
 */
xmpp_stanza_t *chain_enquire(pwt_client_t *c, const char *attrs);

/**
 * The condition of an error answer (asserting it is one) and its text.
 * @param r the answer (not released)
 * @param text receives the error's text
 * @param cap size of text
 * @return the condition
 */
pw_error_t chain_error(xmpp_stanza_t *r, char *text, size_t cap);

/**
 * Assert that an answer is a result.
 * @param r the answer (not released)
 * @return its <enquiry/> echo (any namespace), NULL when it has none; owned by r
 */
xmpp_stanza_t *chain_result(xmpp_stanza_t *r);

/**
 * The <state/> of a result (asserting it is one and carries it).
 * @param r the answer (not released)
 * @return the <state/>, owned by r
 */
xmpp_stanza_t *chain_state(xmpp_stanza_t *r);

/**
 * An attribute's value, "" when it or the stanza is absent.
 * @return the value, owned by s
 */
const char *chain_attr(xmpp_stanza_t *s, const char *name);

/**
 * Make a client present (asserting the presence goes out) and give the server time to pass it on.
 * @param c the client
 * @param show NULL (plainly online), "away", "dnd", …
 * @param status a status text or NULL
 * @param priority the presence priority
 */
void chain_present(pwt_client_t *c, const char *show, const char *status, int priority);

/**
 * A "HOST:PORT" value of trial.env (e.g. OPA_C2S), asserted present.
 * @param key the key
 * @param host receives HOST
 * @param cap its size
 * @return PORT
 */
int chain_env_host_port(const char *key, char *host, size_t cap);

/**
 * The trial's first enquiry, asserted: bob logs in and is away ("In a meeting"), alice asks
 * her watcher about +12025550123 (current state) and gets available, away. Both log out.
 */
void chain_assert_bob_seen_away(void);

/**
 * A whole refused enquiry: log user in, send the enquiry, assert the answer is an error, log out.
 * @param user the asking fixture user
 * @param attrs the <enquiry/> attributes
 * @param text receives the error's text
 * @param cap size of text
 * @return the error's condition (the caller asserts which)
 */
pw_error_t chain_refused(const char *user, const char *attrs, char *text, size_t cap);

/**
 * As chain_refused(), with the whole IQ given (e.g. sent straight to a gateway).
 * @param user the sending fixture user
 * @param xml one <iq/> stanza
 * @param timeout_ms how long to wait for the answer
 * @param text receives the error's text
 * @param cap size of text
 * @return the error's condition (the caller asserts which)
 */
pw_error_t chain_refused_iq(const char *user, const char *xml, unsigned timeout_ms, char *text, size_t cap);

/** pwt_match_fn: accepts a <presence type='subscribe'/> (a subscription request). */
int chain_is_subscribe(xmpp_stanza_t *s, void *arg);

/** What chain_cdr_records() hands each record to (where it was read matters to no test). */
typedef void (*chain_record_fn)(const pw_cdr_record_t *rec, void *arg);

/**
 * Read a charging directory as the tool does (pw_cdr_verify_dir() with its default options),
 * handing each accepted record to fn.
 * @param dir the directory
 * @param fn the callback
 * @param arg passed to fn
 * @param problem receives the first problem; may be NULL
 * @param sum receives the totals; may be NULL
 * @return pw_cdr_verify_dir()'s status
 */
pw_status_t chain_cdr_records(const char *dir, chain_record_fn fn, void *arg, pw_cdr_problem_t *problem,
                              pw_cdr_verify_summary_t *sum);

/**
 * How many bytes a log holds now: where the lines of what a test does next will start.
 * @param path the log (asserted readable)
 * @return its size
 */
long chain_log_size(const char *path);

/**
 * Find the first line of a log, from byte from on, that contains every one of texts.
 * @param path the log (asserted readable)
 * @param from where to start (chain_log_size() before the action)
 * @param texts the texts, NULL-ended
 * @param id receives the line's stanza id (the "[id=...]" the runtime's logger writes), or ""
 *        without one; may be NULL
 * @param cap size of id
 * @return 1 when such a line is there, else 0
 */
int chain_log_find(const char *path, long from, const char *const texts[], char *id, size_t cap);

#endif /* CHAIN_UTIL_H */
