/* fake_component.h: a component on the fake transport for unit tests: loop, context, fake transport and component in one, what every role driver stands on. */
#ifndef PWFAKE_COMPONENT_H
#define PWFAKE_COMPONENT_H

#include <stddef.h>
#include <stdint.h>
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
 * its IQ timeout), and the link still down: a role driver sets the loop's clock, puts its role
 * on the component in the order the role needs (some register handlers the link's coming up
 * must find), then brings it up with pwfake_transport_up(fc->fake).
 * @param out receives the parts; free with pwfake_component_destroy()
 * @param o the options (read during the call)
 * @return PW_OK, or the failing step's status (nothing is left allocated)
 */
pw_status_t pwfake_component_create_opts(pwfake_component_t **out, const pw_component_opts_t *o);

/**
 * As pwfake_component_create_opts() (the link still down), with the loop on a manual clock
 * (fake_clock.h) that reads *now: what every role driver and fuzz target stands on.
 * @param out receives the parts; free with pwfake_component_destroy()
 * @param o the options (read during the call)
 * @param now the clock's counter, ms (borrowed: it must outlive the parts)
 * @return PW_OK, or the failing step's status (nothing is left allocated)
 */
pw_status_t pwfake_component_create_clocked(pwfake_component_t **out, const pw_component_opts_t *o, uint64_t *now);

/** Tear everything down (the component first, the loop last). NULL-safe. */
void pwfake_component_destroy(pwfake_component_t *fc);

/**
 * Lend the parts' pointers to where a role driver keeps them for its tests to name directly.
 * @param fc the parts
 * @param loop, ctx, fake, comp receive fc's loop, context, fake transport and component (borrowed)
 */
void pwfake_component_lend(const pwfake_component_t *fc, pw_loop_t **loop, xmpp_ctx_t **ctx,
                           pwfake_transport_t **fake, pw_component_t **comp);

/**
 * Destroy the parts a driver stopped using, and set its pointer to them and the pointers
 * pwfake_component_lend() filled to NULL (harmless when *fc is already NULL).
 * @param fc the driver's pointer to the parts
 * @param loop, ctx, fake, comp the lent pointers
 */
void pwfake_component_take_back(pwfake_component_t **fc, pw_loop_t **loop, xmpp_ctx_t **ctx,
                                pwfake_transport_t **fake, pw_component_t **comp);

/* The Criterion assertions below live in fake_component_expect.c, so that what is above
 * links without Criterion (the fuzz targets stand on it too). */

/**
 * Deliver a stanza written printf-style to the component (a Criterion assertion that it parses).
 * @param fc the parts
 * @param fmt the XML as a printf format (up to 8 KiB once written), then its arguments
 */
void pwfake_component_deliver(pwfake_component_t *fc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * A test file's fixture, for Criterion's .init: zeroed memory whose first member is a
 * pwfake_component_t *, set to a component named jid with its link up (pwfake_component_create());
 * the log set up for errors only, named program. Asserts (Criterion) that each step succeeds.
 * @param size the fixture's size (sizeof *fx), at least a pointer's
 * @param program the log's program name, e.g. "test-calls"
 * @param jid the component's domain
 * @return the fixture; free with pwfake_fixture_destroy()
 */
void *pwfake_fixture_create(size_t size, const char *program, const char *jid);

/**
 * Destroy the component of a pwfake_fixture_create() fixture, then free the fixture. NULL-safe.
 * @param fixture the fixture
 */
void pwfake_fixture_destroy(void *fixture);

/**
 * Define the Criterion suite `suite` whose every test gets a fresh fixture in fx (a pointer to a
 * struct whose first member is a pwfake_component_t *): pwfake_fixture_create() before each test,
 * pwfake_fixture_destroy() after. For a test file that includes <criterion/criterion.h>.
 * @param suite the suite's name
 * @param fx the file's fixture pointer
 * @param program, jid as for pwfake_fixture_create()
 */
#define PWFAKE_FIXTURE_SUITE(suite, fx, program, jid)                                         \
    static void suite##_setup(void)                                                           \
    {                                                                                         \
        fx = pwfake_fixture_create(sizeof *fx, program, jid);                                 \
    }                                                                                         \
    static void suite##_teardown(void)                                                        \
    {                                                                                         \
        pwfake_fixture_destroy(fx);                                                           \
    }                                                                                         \
    TestSuite(suite, .init = suite##_setup, .fini = suite##_teardown)

/** What pwfake_component_expect_last() checks of the last stanza: each field that is not NULL. */
typedef struct pwfake_expect {
    const char *name; /**< the element's name, e.g. "iq" */
    const char *type; /**< the attributes type, to, from and id */
    const char *to;
    const char *from;
    const char *id;
} pwfake_expect_t;

/**
 * The last stanza the component sent, asserting (Criterion) that there is one and that it has
 * what e names.
 * @param fc the parts
 * @param e what to check, e.g. &(pwfake_expect_t){ .type = "result", .id = id }
 * @return the stanza (owned by the fake transport)
 */
xmpp_stanza_t *pwfake_component_expect_last(pwfake_component_t *fc, const pwfake_expect_t *e);

/**
 * @param s a stanza, or NULL
 * @param name an attribute
 * @return its value, or "" when s is NULL or the attribute absent (never NULL)
 */
const char *pwfake_attr(xmpp_stanza_t *s, const char *name);

#endif /* PWFAKE_COMPONENT_H */
