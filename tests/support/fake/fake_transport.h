/* fake_transport.h: an in-memory transport for unit tests: records what a component sends, lets the test deliver stanzas. */
#ifndef PWT_FAKE_H
#define PWT_FAKE_H

#include <stddef.h>
#include <strophe.h>

#include "xmpp/pw_component.h"

/** The fake transport; its base is what pw_component_create() takes. */
typedef struct pwfake_transport pwfake_transport_t;

/**
 * Create a fake transport. pw_component_create() takes ownership of pwfake_transport_base(f);
 * the fake itself is freed with the component.
 * @param ctx the context sent stanzas are copied into
 * @return the fake, or NULL on allocation failure
 */
pwfake_transport_t *pwfake_transport_create(xmpp_ctx_t *ctx);

/** @return the transport to hand to pw_component_create() */
pw_transport_t *pwfake_transport_base(pwfake_transport_t *f);

/** Bring the link up (as the real transport does after the handshake). */
void pwfake_transport_up(pwfake_transport_t *f);

/** Take the link down. */
void pwfake_transport_down(pwfake_transport_t *f);

/**
 * Deliver a stanza, given as XML text, to the component.
 * @return 0, or -1 if the text does not parse
 */
int pwfake_transport_deliver_xml(pwfake_transport_t *f, const char *xml);

/** @return how many stanzas the component has sent so far */
size_t pwfake_transport_sent_count(const pwfake_transport_t *f);

/**
 * @param i index, 0 = first sent
 * @return the i-th sent stanza (owned by the fake; one sent as text is parsed at its first
 *         read), or NULL
 */
xmpp_stanza_t *pwfake_transport_sent(const pwfake_transport_t *f, size_t i);

/**
 * @param i index, 0 = first sent
 * @return the text of the i-th stanza when it was sent as text (send_raw) and not read with
 *         pwfake_transport_sent() yet (owned by the fake), else NULL
 */
const char *pwfake_transport_sent_text(const pwfake_transport_t *f, size_t i);

/** @return the last sent stanza (owned by the fake), or NULL */
xmpp_stanza_t *pwfake_transport_last(const pwfake_transport_t *f);

/** Forget the stanzas recorded so far. */
void pwfake_transport_clear(pwfake_transport_t *f);

/** @return non-zero once the component asked the transport to start / to stop */
int pwfake_transport_started(const pwfake_transport_t *f);
int pwfake_transport_stopped(const pwfake_transport_t *f);

#endif /* PWT_FAKE_H */
