/* fake_transport.c: the in-memory pw_transport for unit tests (see pwt_fake.h). */
#include "pwt_fake.h"

#include <stdlib.h>

#define FAKE_MAX_SENT 1024

struct pwt_fake {
    pw_transport_t base;
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *sent[FAKE_MAX_SENT];
    size_t nsent;
    int started, stopped;
};

static pw_status_t fake_start(pw_transport_t *t)
{
    ((pwt_fake_t *)t)->started = 1;
    return PW_OK;
}

static pw_status_t fake_send(pw_transport_t *t, xmpp_stanza_t *stanza)
{
    pwt_fake_t *f = (pwt_fake_t *)t;
    if (f->nsent == FAKE_MAX_SENT)
        return PW_EFULL;
    f->sent[f->nsent++] = xmpp_stanza_copy(stanza);
    return PW_OK;
}

static void fake_stop(pw_transport_t *t)
{
    ((pwt_fake_t *)t)->stopped = 1;
}

static void fake_destroy(pw_transport_t *t)
{
    pwt_fake_t *f = (pwt_fake_t *)t;
    pwt_fake_clear(f);
    free(f);
}

static const pw_transport_ops_t fake_ops = { fake_start, fake_send, fake_stop, fake_destroy };

pwt_fake_t *pwt_fake_create(xmpp_ctx_t *ctx)
{
    pwt_fake_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->base.ops = &fake_ops;
    f->ctx = ctx;
    return f;
}

pw_transport_t *pwt_fake_transport(pwt_fake_t *f) { return &f->base; }
void pwt_fake_up(pwt_fake_t *f) { pw_component_transport_up(f->base.component); }
void pwt_fake_down(pwt_fake_t *f) { pw_component_transport_down(f->base.component); }
size_t pwt_fake_sent_count(const pwt_fake_t *f) { return f->nsent; }
int pwt_fake_started(const pwt_fake_t *f) { return f->started; }
int pwt_fake_stopped(const pwt_fake_t *f) { return f->stopped; }

xmpp_stanza_t *pwt_fake_sent(const pwt_fake_t *f, size_t i)
{
    return i < f->nsent ? f->sent[i] : NULL;
}

xmpp_stanza_t *pwt_fake_last(const pwt_fake_t *f)
{
    return f->nsent ? f->sent[f->nsent - 1] : NULL;
}

void pwt_fake_clear(pwt_fake_t *f)
{
    for (size_t i = 0; i < f->nsent; i++)
        xmpp_stanza_release(f->sent[i]);
    f->nsent = 0;
}

int pwt_fake_deliver_xml(pwt_fake_t *f, const char *xml)
{
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(f->ctx, xml);
    if (!s)
        return -1;
    pw_component_deliver(f->base.component, s);
    xmpp_stanza_release(s);
    return 0;
}
