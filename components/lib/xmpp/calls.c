/* calls.c: the table of calls in flight (see pw_calls.h): a doubly linked list with a bound. */
#include <stdio.h>
#include <stdlib.h>

#include "xmpp/pw_calls.h"

struct pw_calls {
    pw_component_t *c;
    pw_list_t list;
    size_t n, max;
    pw_call_free_fn free_call;
    char closing[320];
};

pw_status_t pw_calls_create(pw_calls_t **out, pw_component_t *c, size_t max,
                            pw_call_free_fn free_call)
{
    pw_calls_t *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return PW_ENOMEM;
    t->c = c;
    t->max = max;
    t->free_call = free_call;
    snprintf(t->closing, sizeof t->closing, "the service is shutting down");
    *out = t;
    return PW_OK;
}

void pw_calls_destroy(pw_calls_t *t)
{
    if (!t)
        return;
    pw_call_t *call;
    while ((call = pw_calls_first(t)) != NULL) {
        /* a call waiting on an IQ sent with it as arg: its callback sees PW_IQ_CANCELLED and
         * ends it; any other is answered here */
        if (pw_component_cancel_iqs(t->c, call) == 0)
            pw_calls_shutting_down(call);
    }
    free(t);
}

void pw_calls_set_closing_text(pw_calls_t *t, const char *text)
{
    snprintf(t->closing, sizeof t->closing, "%s", text);
}

pw_status_t pw_calls_add(pw_calls_t *t, pw_call_t *call, xmpp_stanza_t *req)
{
    if (t->n >= t->max)
        return PW_EFULL;
    call->req = NULL;
    if (req) {
        call->req = xmpp_stanza_clone(req); /* a reference: stanzas are not changed once received */
        if (!call->req)
            return PW_ENOMEM;
    }
    call->table = t;
    pw_list_push_front(&t->list, &call->link);
    t->n++;
    return PW_OK;
}

void pw_calls_end(pw_call_t *call)
{
    pw_calls_t *t = call->table;
    pw_list_unlink(&t->list, &call->link);
    t->n--;
    if (call->req)
        xmpp_stanza_release(call->req);
    call->req = NULL;
    if (t->free_call)
        t->free_call(call);
    else
        free(call);
}

void pw_calls_fail(pw_call_t *call, pw_error_t cond, const char *text)
{
    if (call->req)
        pw_component_reply_error(call->table->c, call->req, cond, text);
    pw_calls_end(call);
}

void pw_calls_shutting_down(pw_call_t *call)
{
    pw_calls_fail(call, PW_ERR_SERVICE_UNAVAILABLE, call->table->closing);
}

pw_component_t *pw_calls_component(const pw_calls_t *t)
{
    return t->c;
}

size_t pw_calls_count(const pw_calls_t *t)
{
    return t->n;
}

pw_call_t *pw_calls_first(const pw_calls_t *t)
{
    return PW_LIST_ITEM(t->list.head, pw_call_t, link);
}

pw_call_t *pw_calls_next(pw_call_t *call)
{
    return PW_LIST_ITEM(call->link.next, pw_call_t, link);
}
