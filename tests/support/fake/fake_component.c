/* fake_component.c: a component on the fake transport for unit tests and fuzz targets: set up, lent, torn down (see fake_component.h). */
#include <stdlib.h>

#include "xmpp/pw_transport.h"

#include "fake_clock.h"
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

pw_status_t pwfake_component_create_clocked(pwfake_component_t **out, const pw_component_opts_t *o, uint64_t *now)
{
    pw_status_t rc = pwfake_component_create_opts(out, o);
    if (rc == PW_OK)
        pw_loop_set_clock((*out)->loop, pwfake_clock_now, now);
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
