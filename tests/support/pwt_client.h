/* pwt_client.h: a single-threaded XMPP test client on libstrophe: log in, send raw stanzas, wait for matches. */
#ifndef PWT_CLIENT_H
#define PWT_CLIENT_H

#include <strophe.h>

#include "core/pw_status.h"

/** A logged-in XMPP client session. Opaque. */
typedef struct pwt_client pwt_client_t;

/**
 * A stanza predicate for pwt_client_wait().
 * @param stanza a received stanza
 * @param arg the caller's argument
 * @return nonzero if it is the one waited for
 */
typedef int (*pwt_match_fn)(xmpp_stanza_t *stanza, void *arg);

/**
 * Connect to host:port without TLS, authenticate (SASL) as jid and bind a resource.
 * No presence is sent. Every stanza received from then on is queued for pwt_client_wait().
 * The process ignores SIGPIPE from then on: a client may outlive its server.
 * Set PWT_CLIENT_DEBUG in the environment to see libstrophe's debug log on stderr.
 * @param out receives the client (caller destroys with pwt_client_destroy())
 * @param jid bare or full JID, e.g. "alice@opa.example"
 * @param password the password
 * @param host server address, e.g. "127.0.0.2"
 * @param port c2s port
 * @param timeout_ms how long login may take
 * @return PW_OK; PW_EINVAL; PW_EDENIED if the server refused the login or closed the stream;
 *         PW_ETIMEOUT; PW_ENOMEM
 */
pw_status_t pwt_client_connect(pwt_client_t **out, const char *jid, const char *password,
                               const char *host, int port, unsigned timeout_ms);

/**
 * pwt_client_connect() over STARTTLS, which the server must offer: the server's certificate
 * must chain to cafile and name the JID's domain, else the login fails.
 * @param out receives the client (caller destroys with pwt_client_destroy())
 * @param jid bare or full JID, e.g. "alice@opa.example"
 * @param password the password
 * @param host server address, e.g. "127.0.0.2"
 * @param port c2s port
 * @param cafile PEM file of the CA to trust, e.g. the trial's TRIAL_CA; NULL: STARTTLS but
 *        any certificate is accepted (only for an impostor's own client in a negative test)
 * @param timeout_ms how long login may take
 * @return as pwt_client_connect(); PW_EDENIED also when TLS or the certificate failed
 */
pw_status_t pwt_client_connect_tls(pwt_client_t **out, const char *jid, const char *password,
                                   const char *host, int port, const char *cafile,
                                   unsigned timeout_ms);

/**
 * Send presence: available with an optional show and status.
 * @param c the client
 * @param show "away", "chat", "dnd", "xa", or NULL for plain available
 * @param status status text or NULL
 * @param priority the resource's priority (-128..127)
 * @return PW_OK; PW_EINVAL; PW_ECLOSED; PW_ENOMEM
 */
pw_status_t pwt_client_presence(pwt_client_t *c, const char *show, const char *status,
                                int priority);

/**
 * Send raw stanza text as it is (it must be one well-formed stanza, at most 64 KiB).
 * @param c the client
 * @param xml e.g. "<message to='bob@opa.example'><body>hi</body></message>"
 * @return PW_OK; PW_EINVAL; PW_ERANGE; PW_ECLOSED
 */
pw_status_t pwt_client_send_xml(pwt_client_t *c, const char *xml);

/**
 * Wait for the first received stanza the predicate accepts, looking at the queue of
 * stanzas received so far first (oldest first), then running libstrophe's event loop.
 * The stanza returned is taken out of the queue; the others stay.
 * @param c the client
 * @param match predicate; NULL accepts any stanza
 * @param arg passed to match
 * @param timeout_ms how long to wait for new stanzas
 * @return the stanza with a reference the caller releases (xmpp_stanza_release()), or
 *         NULL on timeout, when the connection is closed, or for NULL c
 */
xmpp_stanza_t *pwt_client_wait(pwt_client_t *c, pwt_match_fn match, void *arg,
                               unsigned timeout_ms);

/**
 * Send an IQ and wait for its result or error. If the IQ text has no id attribute, one is
 * set; the reply is matched on that id.
 * @param c the client
 * @param xml one <iq/> stanza, e.g. "<iq type='get' to='opa.example'><ping xmlns='urn:xmpp:ping'/></iq>"
 * @param timeout_ms how long to wait for the reply
 * @return the reply (type result or error) with a reference the caller releases, or NULL
 *         on timeout, a closed connection or malformed xml (logged)
 */
xmpp_stanza_t *pwt_client_iq(pwt_client_t *c, const char *xml, unsigned timeout_ms);

/**
 * pwt_client_iq() with the IQ text formatted printf-style.
 * @param c the client
 * @param timeout_ms how long to wait for the reply
 * @param fmt printf format of one <iq/> stanza, then its arguments
 * @return as pwt_client_iq(); also NULL when the text cannot be formatted
 */
xmpp_stanza_t *pwt_client_iqf(pwt_client_t *c, unsigned timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Run the event loop for a while, queueing what arrives (e.g. to let the server settle).
 * @param c the client
 * @param ms how long
 */
void pwt_client_run(pwt_client_t *c, unsigned ms);

/**
 * Run the event loop once without waiting, queueing what has arrived (for a process that
 * serves many clients in turn). NULL or a closed client: nothing.
 * @param c the client
 */
void pwt_client_poll(pwt_client_t *c);

/** @return the full JID bound by the server, or "" for NULL */
const char *pwt_client_jid(const pwt_client_t *c);

/** @return 1 while the stream is open, 0 once closed or for NULL */
int pwt_client_connected(const pwt_client_t *c);

/** @return the client's libstrophe context (to build stanzas), or NULL for NULL */
xmpp_ctx_t *pwt_client_ctx(const pwt_client_t *c);

/** @return how many received stanzas wait in the queue (0 for NULL) */
unsigned pwt_client_queued(const pwt_client_t *c);

/**
 * Close the stream (waiting up to 1 s for the server's goodbye), drop queued stanzas and
 * free everything. NULL is fine.
 * @param c the client
 */
void pwt_client_destroy(pwt_client_t *c);

/** pwt_match_fn: accepts any stanza. */
int pwt_match_any(xmpp_stanza_t *stanza, void *arg);

/** pwt_match_fn: accepts stanzas whose element name is arg (a const char *: "message"...). */
int pwt_match_name(xmpp_stanza_t *stanza, void *arg);

/** pwt_match_fn: accepts stanzas whose id attribute is arg (a const char *). */
int pwt_match_id(xmpp_stanza_t *stanza, void *arg);

#endif /* PWT_CLIENT_H */
