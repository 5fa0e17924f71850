/* pwt_fake.h: an in-memory transport for unit tests: records what a component sends, lets the test deliver stanzas. */
#ifndef PWT_FAKE_H
#define PWT_FAKE_H

#include <stddef.h>
#include <strophe.h>

#include "pw_component.h"

/** The fake transport; its base is what pw_component_create() takes. */
typedef struct pwt_fake pwt_fake_t;

/**
 * Create a fake transport. pw_component_create() takes ownership of pwt_fake_transport(f);
 * the fake itself is freed with the component.
 * @param ctx the context sent stanzas are copied into
 * @return the fake, or NULL on allocation failure
 */
pwt_fake_t *pwt_fake_create(xmpp_ctx_t *ctx);

/** @return the transport to hand to pw_component_create() */
pw_transport_t *pwt_fake_transport(pwt_fake_t *f);

/** Bring the link up (as the real transport does after the handshake). */
void pwt_fake_up(pwt_fake_t *f);

/** Take the link down. */
void pwt_fake_down(pwt_fake_t *f);

/**
 * Deliver a stanza, given as XML text, to the component.
 * @return 0, or -1 if the text does not parse
 */
int pwt_fake_deliver_xml(pwt_fake_t *f, const char *xml);

/** @return how many stanzas the component has sent so far */
size_t pwt_fake_sent_count(const pwt_fake_t *f);

/**
 * @param i index, 0 = first sent
 * @return the i-th sent stanza (owned by the fake), or NULL
 */
xmpp_stanza_t *pwt_fake_sent(const pwt_fake_t *f, size_t i);

/** @return the last sent stanza (owned by the fake), or NULL */
xmpp_stanza_t *pwt_fake_last(const pwt_fake_t *f);

/** Forget the stanzas recorded so far. */
void pwt_fake_clear(pwt_fake_t *f);

/** @return non-zero once the component asked the transport to start / to stop */
int pwt_fake_started(const pwt_fake_t *f);
int pwt_fake_stopped(const pwt_fake_t *f);

#endif /* PWT_FAKE_H */
