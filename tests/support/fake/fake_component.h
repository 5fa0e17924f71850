/* fake_component.h: a component on the fake transport for unit tests: loop, context, fake transport and component in one, link up. */
#ifndef PWFAKE_COMPONENT_H
#define PWFAKE_COMPONENT_H

#include <strophe.h>

#include "core/pw_loop.h"
#include "core/pw_status.h"
#include "xmpp/pw_component.h"
#include "fake_transport.h"

/** The parts a test drives; all owned by the struct (pwfake_component_destroy()). */
typedef struct pwfake_component {
    pw_loop_t *loop;          /**< the loop (real clock) */
    xmpp_ctx_t *ctx;          /**< the libstrophe context */
    pwfake_transport_t *fake; /**< the transport: what the component sent, deliver to it */
    pw_component_t *comp;     /**< the component, its link up */
} pwfake_component_t;

/**
 * Set up a component named jid on a fake transport and bring its link up (calls
 * xmpp_initialize(); pwfake_component_destroy() calls xmpp_shutdown()).
 * @param out receives the parts; free with pwfake_component_destroy()
 * @param jid the component's domain, e.g. "hss.opa.example"
 * @return PW_OK, or the failing step's status (nothing is left allocated)
 */
pw_status_t pwfake_component_create(pwfake_component_t **out, const char *jid);

/**
 * As pwfake_component_create(), with the component's options given (a role's disco identity,
 * its IQ timeout).
 * @param out receives the parts; free with pwfake_component_destroy()
 * @param o the options (read during the call)
 * @return PW_OK, or the failing step's status (nothing is left allocated)
 */
pw_status_t pwfake_component_create_opts(pwfake_component_t **out, const pw_component_opts_t *o);

/** Tear everything down (the component first, the loop last). NULL-safe. */
void pwfake_component_destroy(pwfake_component_t *fc);

/**
 * @param s a stanza, or NULL
 * @param name an attribute
 * @return its value, or "" when s is NULL or the attribute absent (never NULL)
 */
const char *pwfake_attr(xmpp_stanza_t *s, const char *name);

#endif /* PWFAKE_COMPONENT_H */
