/* fake_component_expect.c: the Criterion side of fake_component.h: a test's fixture, deliver a stanza, check the last one sent. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/pw_log.h"
#include "fake_component.h"

void *pwfake_fixture_create(size_t size, const char *program, const char *jid)
{
    pwfake_component_t **fc;
    cr_assert_geq(size, sizeof *fc);
    pw_log_setup(program, PW_LOG_ERROR);
    fc = calloc(1, size);
    cr_assert_not_null(fc);
    cr_assert_eq(pwfake_component_create(fc, jid), PW_OK);
    return fc;
}

void pwfake_fixture_destroy(void *fixture)
{
    if (!fixture)
        return;
    pwfake_component_destroy(*(pwfake_component_t **)fixture);
    free(fixture);
}

void pwfake_component_deliver(pwfake_component_t *fc, const char *fmt, ...)
{
    char xml[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(xml, sizeof xml, fmt, ap);
    va_end(ap);
    cr_assert_eq(pwfake_transport_deliver_xml(fc->fake, xml), 0, "the stanza parses: %s", xml);
}

xmpp_stanza_t *pwfake_component_expect_last(pwfake_component_t *fc, const pwfake_expect_t *e)
{
    xmpp_stanza_t *s = pwfake_transport_last(fc->fake);
    const struct {
        const char *name, *want;
    } attrs[] = { { "type", e->type }, { "to", e->to }, { "from", e->from }, { "id", e->id } };

    cr_assert_not_null(s, "something was sent");
    if (e->name)
        cr_assert_str_eq(xmpp_stanza_get_name(s), e->name);
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (attrs[i].want)
            cr_assert_str_eq(pwfake_attr(s, attrs[i].name), attrs[i].want, "the last stanza (answering %s): its %s",
                             e->id ? e->id : "nothing", attrs[i].name);
    }
    return s;
}
