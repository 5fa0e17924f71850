/* fake_component.c: a component on the fake transport for unit tests (see fake_component.h). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "xmpp/pw_transport.h"

#include "fake_component.h"

pw_status_t pwfake_component_create(pwfake_component_t **out, const char *jid)
{
    pw_component_opts_t o = { .jid = jid, .name = "peerwatch-test", .version = "9.9",
                              .disco_category = "component", .disco_type = "generic",
                              .disco_name = "Test", .iq_timeout_ms = 5000 };
    pw_status_t rc = pwfake_component_create_opts(out, &o);
    if (rc == PW_OK)
        pwfake_transport_up((*out)->fake);
    return rc;
}

pw_status_t pwfake_component_create_opts(pwfake_component_t **out, const pw_component_opts_t *o)
{
    pwfake_component_t *fc = calloc(1, sizeof *fc);
    pw_status_t rc = PW_ENOMEM;

    *out = NULL;
    if (!fc)
        return PW_ENOMEM;
    xmpp_initialize();
    if ((rc = pw_loop_create(&fc->loop)) != PW_OK)
        goto done;
    rc = PW_ENOMEM;
    if (!(fc->ctx = xmpp_ctx_new(NULL, NULL)) || !(fc->fake = pwfake_transport_create(fc->ctx)))
        goto done;
    rc = pw_component_create(&fc->comp, fc->loop, fc->ctx, o, pwfake_transport_base(fc->fake));
    if (rc != PW_OK) {
        fc->fake = NULL; /* the component took it, also when it failed */
        goto done;
    }
    *out = fc;
    fc = NULL;
done:
    pwfake_component_destroy(fc);
    return rc;
}

void pwfake_component_destroy(pwfake_component_t *fc)
{
    if (!fc)
        return;
    if (fc->comp) {
        pw_component_destroy(fc->comp); /* frees the fake transport too */
    } else if (fc->fake) {
        pw_transport_t *t = pwfake_transport_base(fc->fake);
        t->ops->destroy(t);
    }
    if (fc->ctx)
        xmpp_ctx_free(fc->ctx);
    xmpp_shutdown();
    pw_loop_destroy(fc->loop);
    free(fc);
}

const char *pwfake_attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

void pwfake_component_lend(const pwfake_component_t *fc, pw_loop_t **loop, xmpp_ctx_t **ctx,
                           pwfake_transport_t **fake, pw_component_t **comp)
{
    *loop = fc->loop;
    *ctx = fc->ctx;
    *fake = fc->fake;
    *comp = fc->comp;
}

void pwfake_component_take_back(pwfake_component_t **fc, pw_loop_t **loop, xmpp_ctx_t **ctx,
                                pwfake_transport_t **fake, pw_component_t **comp)
{
    pwfake_component_destroy(*fc);
    *fc = NULL;
    *loop = NULL;
    *ctx = NULL;
    *fake = NULL;
    *comp = NULL;
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
