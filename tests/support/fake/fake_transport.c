/* fake_transport.c: the in-memory pw_transport for unit tests (see fake_transport.h). */
#include "fake_transport.h"

#include <stdlib.h>
#include <string.h>

#define FAKE_MAX_SENT 1024

struct pwfake_transport {
    pw_transport_t base;
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *sent[FAKE_MAX_SENT];
    char *raw[FAKE_MAX_SENT]; /* a stanza sent as text, parsed into sent[] when first read */
    size_t nsent;
    int started, stopped;
};

static pw_status_t fake_start(pw_transport_t *t)
{
    ((pwfake_transport_t *)t)->started = 1;
    return PW_OK;
}

static pw_status_t fake_send(pw_transport_t *t, xmpp_stanza_t *stanza)
{
    pwfake_transport_t *f = (pwfake_transport_t *)t;
    if (f->nsent == FAKE_MAX_SENT)
        return PW_EFULL;
    f->sent[f->nsent++] = xmpp_stanza_copy(stanza);
    return PW_OK;
}

static pw_status_t fake_send_raw(pw_transport_t *t, const char *text, size_t len)
{
    pwfake_transport_t *f = (pwfake_transport_t *)t;
    char *copy;
    if (f->nsent == FAKE_MAX_SENT)
        return PW_EFULL;
    copy = malloc(len + 1);
    if (!copy)
        return PW_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    f->sent[f->nsent] = NULL;
    f->raw[f->nsent++] = copy;
    return PW_OK;
}

static void fake_stop(pw_transport_t *t)
{
    ((pwfake_transport_t *)t)->stopped = 1;
}

static void fake_destroy(pw_transport_t *t)
{
    pwfake_transport_t *f = (pwfake_transport_t *)t;
    pwfake_transport_clear(f);
    free(f);
}

static const pw_transport_ops_t fake_ops = { fake_start, fake_send, fake_stop, fake_destroy, fake_send_raw };

pwfake_transport_t *pwfake_transport_create(xmpp_ctx_t *ctx)
{
    pwfake_transport_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->base.ops = &fake_ops;
    f->ctx = ctx;
    return f;
}

pw_transport_t *pwfake_transport_base(pwfake_transport_t *f) { return &f->base; }
void pwfake_transport_up(pwfake_transport_t *f) { pw_component_transport_up(f->base.component); }
void pwfake_transport_down(pwfake_transport_t *f) { pw_component_transport_down(f->base.component); }
size_t pwfake_transport_sent_count(const pwfake_transport_t *f) { return f->nsent; }
int pwfake_transport_started(const pwfake_transport_t *f) { return f->started; }
int pwfake_transport_stopped(const pwfake_transport_t *f) { return f->stopped; }

xmpp_stanza_t *pwfake_transport_sent(const pwfake_transport_t *f, size_t i)
{
    pwfake_transport_t *m = (pwfake_transport_t *)f; /* the parse is a cache: f is not const */
    if (i >= f->nsent)
        return NULL;
    if (!m->sent[i] && m->raw[i]) {
        m->sent[i] = xmpp_stanza_new_from_string(m->ctx, m->raw[i]);
        if (m->sent[i]) {
            free(m->raw[i]);
            m->raw[i] = NULL;
        }
    }
    return m->sent[i];
}

xmpp_stanza_t *pwfake_transport_last(const pwfake_transport_t *f)
{
    return f->nsent ? pwfake_transport_sent(f, f->nsent - 1) : NULL;
}

const char *pwfake_transport_sent_text(const pwfake_transport_t *f, size_t i)
{
    return i < f->nsent ? f->raw[i] : NULL;
}

void pwfake_transport_clear(pwfake_transport_t *f)
{
    for (size_t i = 0; i < f->nsent; i++) {
        if (f->sent[i])
            xmpp_stanza_release(f->sent[i]);
        free(f->raw[i]);
        f->raw[i] = NULL;
    }
    f->nsent = 0;
}

int pwfake_transport_deliver_xml(pwfake_transport_t *f, const char *xml)
{
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(f->ctx, xml);
    if (!s)
        return -1;
    pw_component_deliver(f->base.component, s);
    xmpp_stanza_release(s);
    return 0;
}
