/* test_calls.c: the table of calls in flight (xmpp/pw_calls) on the fake transport: add, bound, fail, end, destroy. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/pw_calls.h"
#include "fake_component.h"

/* A role's call: pw_call_t first, then its own fields. */
typedef struct test_call {
    pw_call_t base;
    int id;
    char *extra;   /* something the role's free_call must free */
    int *freed;    /* counts the calls free_call saw */
} test_call_t;

/* Everything one test needs; the suite's .init/.fini (PWFAKE_FIXTURE_SUITE) reach it through this one pointer. */
typedef struct calls_fixture {
    pwfake_component_t *fc;   /* first: the component on the fake transport (pwfake_fixture_create) */
    int freed;
} calls_fixture_t;

static calls_fixture_t *fx;

PWFAKE_FIXTURE_SUITE(calls, fx, "test-calls", "gateway.opb.example");

static void free_test_call(pw_call_t *call)
{
    test_call_t *k = (test_call_t *)call;
    cr_assert_null(call->req, "the request is released before free_call");
    (*k->freed)++;
    free(k->extra);
    free(k);
}

static test_call_t *new_call(int id)
{
    test_call_t *k = calloc(1, sizeof *k);
    cr_assert_not_null(k);
    k->id = id;
    k->extra = strdup("role data");
    k->freed = &fx->freed;
    return k;
}

/* A request from 'from' with id 'id', as the component would have received it. */
static xmpp_stanza_t *request(const char *from, const char *id)
{
    char xml[512];
    snprintf(xml, sizeof xml,
             "<iq type='set' id='%s' from='%s' to='gateway.opb.example'>"
             "<enquiry xmlns='urn:peerwatch:chain:1'/></iq>", id, from);
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(fx->fc->ctx, xml);
    cr_assert_not_null(s);
    return s;
}

/* Add a call for a request, releasing the test's own reference (the table keeps a clone). */
static test_call_t *add(pw_calls_t *t, int id, const char *from)
{
    char sid[16];
    test_call_t *k = new_call(id);
    snprintf(sid, sizeof sid, "r%d", id);
    xmpp_stanza_t *req = request(from, sid);
    cr_assert_eq(pw_calls_add(t, &k->base, req), PW_OK);
    xmpp_stanza_release(req);
    return k;
}

/* Check the i-th sent stanza is an error answer to (to, id) with cond and text. */
static void assert_error_sent(size_t i, const char *to, const char *id, pw_error_t cond, const char *text)
{
    char got[512];
    xmpp_stanza_t *s = pwfake_transport_sent(fx->fc->fake, i);
    cr_assert_not_null(s);
    cr_assert_str_eq(xmpp_stanza_get_name(s), "iq");
    cr_assert_str_eq(pwfake_attr(s, "type"), "error");
    cr_assert_str_eq(pwfake_attr(s, "to"), to);
    cr_assert_str_eq(pwfake_attr(s, "id"), id);
    cr_assert_eq(pw_stanza_error_parse(s, got, sizeof got), cond);
    cr_assert_str_eq(got, text);
}

Test(calls, add_count_first)
{
    pw_calls_t *t;
    int seen[3] = { 0, 0, 0 };
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, free_test_call), PW_OK);
    cr_assert_eq(pw_calls_component(t), fx->fc->comp);
    cr_assert_eq(pw_calls_count(t), 0);
    cr_assert_null(pw_calls_first(t));
    add(t, 0, "a@opa.example/x");
    add(t, 1, "b@opa.example/x");
    add(t, 2, "c@opa.example/x");
    cr_assert_eq(pw_calls_count(t), 3);
    for (pw_call_t *k = pw_calls_first(t); k; k = pw_calls_next(k)) {
        test_call_t *tk = (test_call_t *)k;
        cr_assert_eq(k->table, t);
        cr_assert_not_null(k->req, "the table keeps the request");
        cr_assert_eq(seen[tk->id]++, 0);
    }
    cr_assert(seen[0] && seen[1] && seen[2]);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0, "adding sends nothing");
    pw_calls_destroy(t);
    cr_assert_eq(fx->freed, 3);
}

Test(calls, full_at_max)
{
    pw_calls_t *t;
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 2, free_test_call), PW_OK);
    add(t, 0, "a@opa.example/x");
    add(t, 1, "b@opa.example/x");
    test_call_t *k = new_call(2);
    xmpp_stanza_t *req = request("c@opa.example/x", "r2");
    cr_assert_eq(pw_calls_add(t, &k->base, req), PW_EFULL);
    cr_assert_eq(pw_calls_count(t), 2);
    cr_assert_null(k->base.req, "a refused call holds no request");
    xmpp_stanza_release(req);
    free_test_call(&k->base); /* refused: still the caller's */
    cr_assert_eq(fx->freed, 1);
    /* once one ends, there is room again */
    pw_calls_end(pw_calls_first(t));
    add(t, 3, "d@opa.example/x");
    cr_assert_eq(pw_calls_count(t), 2);
    pw_calls_destroy(t);
    cr_assert_eq(fx->freed, 4);
}

Test(calls, max_zero_takes_nothing)
{
    pw_calls_t *t;
    test_call_t *k = new_call(0);
    xmpp_stanza_t *req = request("a@opa.example/x", "r0");
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 0, free_test_call), PW_OK);
    cr_assert_eq(pw_calls_add(t, &k->base, req), PW_EFULL);
    xmpp_stanza_release(req);
    free_test_call(&k->base);
    pw_calls_destroy(t);
}

Test(calls, fail_answers_the_sender_and_frees)
{
    pw_calls_t *t;
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, free_test_call), PW_OK);
    test_call_t *a = add(t, 0, "a@opa.example/x");
    add(t, 1, "b@opa.example/y");
    pw_calls_fail(&a->base, PW_ERR_REMOTE_SERVER_TIMEOUT, "the presence server did not answer in time");
    cr_assert_eq(fx->freed, 1);
    cr_assert_eq(pw_calls_count(t), 1);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 1);
    assert_error_sent(0, "a@opa.example/x", "r0", PW_ERR_REMOTE_SERVER_TIMEOUT,
                      "the presence server did not answer in time");
    cr_assert_eq(((test_call_t *)pw_calls_first(t))->id, 1, "the other call stays");
    pw_calls_fail(pw_calls_first(t), PW_ERR_ITEM_NOT_FOUND, "no such subscriber");
    assert_error_sent(1, "b@opa.example/y", "r1", PW_ERR_ITEM_NOT_FOUND, "no such subscriber");
    cr_assert_eq(pw_calls_count(t), 0);
    cr_assert_null(pw_calls_first(t));
    pw_calls_destroy(t);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 2, "an empty table answers nothing more");
    cr_assert_eq(fx->freed, 2);
}

Test(calls, end_frees_without_sending)
{
    pw_calls_t *t;
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, free_test_call), PW_OK);
    add(t, 0, "a@opa.example/x");
    test_call_t *mid = add(t, 1, "b@opa.example/x");
    add(t, 2, "c@opa.example/x");
    pw_calls_end(&mid->base); /* a middle one: the links around it stay sound */
    cr_assert_eq(fx->freed, 1);
    cr_assert_eq(pw_calls_count(t), 2);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0);
    int n = 0;
    for (pw_call_t *k = pw_calls_first(t); k; k = pw_calls_next(k)) {
        cr_assert_neq(((test_call_t *)k)->id, 1);
        if (k->link.next)
            cr_assert_eq(k->link.next->prev, &k->link);
        n++;
    }
    cr_assert_eq(n, 2);
    while (pw_calls_first(t))
        pw_calls_end(pw_calls_first(t));
    cr_assert_eq(fx->freed, 3);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0);
    pw_calls_destroy(t);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0);
}

Test(calls, destroy_answers_every_open_call)
{
    pw_calls_t *t;
    int seen[3] = { 0, 0, 0 };
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, free_test_call), PW_OK);
    pw_calls_set_closing_text(t, "the gateway of opb.example is shutting down");
    add(t, 0, "a0@opa.example/x");
    add(t, 1, "a1@opa.example/x");
    add(t, 2, "a2@opa.example/x");
    pw_calls_destroy(t);
    cr_assert_eq(fx->freed, 3);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 3);
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(fx->fc->fake, i);
        int id = pwfake_attr(s, "id")[1] - '0';
        char to[32];
        cr_assert(id >= 0 && id < 3);
        seen[id]++;
        snprintf(to, sizeof to, "a%d@opa.example/x", id);
        assert_error_sent(i, to, pwfake_attr(s, "id"), PW_ERR_SERVICE_UNAVAILABLE,
                          "the gateway of opb.example is shutting down");
    }
    cr_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
}

Test(calls, default_closing_text_and_shutting_down)
{
    pw_calls_t *t;
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, free_test_call), PW_OK);
    test_call_t *a = add(t, 0, "a@opa.example/x");
    add(t, 1, "b@opa.example/x");
    pw_calls_shutting_down(&a->base);
    assert_error_sent(0, "a@opa.example/x", "r0", PW_ERR_SERVICE_UNAVAILABLE,
                      "the service is shutting down");
    cr_assert_eq(fx->freed, 1);
    pw_calls_destroy(t);
    assert_error_sent(1, "b@opa.example/x", "r1", PW_ERR_SERVICE_UNAVAILABLE,
                      "the service is shutting down");
    cr_assert_eq(fx->freed, 2);
}

Test(calls, closing_text_is_copied)
{
    pw_calls_t *t;
    char text[64];
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, free_test_call), PW_OK);
    snprintf(text, sizeof text, "going away");
    pw_calls_set_closing_text(t, text);
    snprintf(text, sizeof text, "overwritten");
    add(t, 0, "a@opa.example/x");
    pw_calls_destroy(t);
    assert_error_sent(0, "a@opa.example/x", "r0", PW_ERR_SERVICE_UNAVAILABLE, "going away");
}

Test(calls, null_free_call_uses_free)
{
    pw_calls_t *t;
    cr_assert_eq(pw_calls_create(&t, fx->fc->comp, 8, NULL), PW_OK);
    pw_call_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    xmpp_stanza_t *req = request("a@opa.example/x", "r0");
    cr_assert_eq(pw_calls_add(t, a, req), PW_OK);
    cr_assert_eq(pw_calls_add(t, b, req), PW_OK);
    xmpp_stanza_release(req);
    pw_calls_end(a);  /* free()d: valgrind tells a leak otherwise */
    pw_calls_destroy(t);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 1);
    cr_assert_eq(fx->freed, 0);
    pw_calls_destroy(NULL);
}
