/* test_hss_cache.c: a role's link to its HSS (chain/pw_hss, docs/hss.md "Changes told"): answers kept only while the HSS has promised to tell changes, dropped when it does or the link drops. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "chain/pw_hss.h"
#include "fake_component.h"

#define HSS "hss.opa.example"
#define ALICE "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='+447700900001' jid='alice@opa.example' " \
              "presence-server='ps1.opa.example' status='%s' account='prepaid' balance='100'/>"

/* Everything one test needs; the suite's .init/.fini (PWFAKE_FIXTURE_SUITE) reach it through this one pointer. */
typedef struct hss_cache_fixture {
    pwfake_component_t *fc;  /* first: the component on the fake transport */
    pw_hss_client_t *h;      /* the link under test (10 answers at most) */
    int answers;             /* callbacks seen */
    pw_iq_outcome_t outcome; /* of the last one */
    pw_hss_record_t record;  /* parsed from the last result */
} hss_cache_fixture_t;

static hss_cache_fixture_t *fx;

static void setup(void)
{
    fx = pwfake_fixture_create(sizeof *fx, "test-hss-cache", "watcher.opa.example");
    cr_assert_eq(pw_hss_client_create(&fx->h, fx->fc->comp, HSS, 10), PW_OK);
}

static void teardown(void)
{
    pw_hss_client_destroy(fx->h);
    pwfake_fixture_destroy(fx);
}

TestSuite(hss_cache, .init = setup, .fini = teardown);

static void on_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    hss_cache_fixture_t *f = arg;
    (void)c;
    f->answers++;
    f->outcome = outcome;
    memset(&f->record, 0, sizeof f->record);
    if (response)
        pw_hss_record_parse(response, &f->record);
}

/* Run the loop until it has nothing ready (kept answers are given from the loop). */
static void run_loop(void)
{
    for (int i = 0; i < 5; i++)
        pw_loop_run_once(fx->fc->loop, 0);
}

/* The sent stanza whose payload is <name/> in the HSS namespace, the latest first; NULL if none. */
static xmpp_stanza_t *sent_with(const char *name)
{
    for (size_t i = pwfake_transport_sent_count(fx->fc->fake); i-- > 0;) {
        xmpp_stanza_t *iq = pwfake_transport_sent(fx->fc->fake, i);
        xmpp_stanza_t *p = xmpp_stanza_get_child_by_name_and_ns(iq, name, PW_HSS_NS);
        if (p)
            return iq;
    }
    return NULL;
}

static size_t count_sent(const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < pwfake_transport_sent_count(fx->fc->fake); i++)
        n += xmpp_stanza_get_child_by_name_and_ns(pwfake_transport_sent(fx->fc->fake, i), name,
                                                  PW_HSS_NS) != NULL;
    return n;
}

/* Answer the latest request with payload <name/> from the HSS: type "result" or "error". */
static void answer(const char *name, const char *type, const char *inner)
{
    xmpp_stanza_t *iq = sent_with(name);
    char xml[1024];
    cr_assert_not_null(iq, "a <%s/> was sent", name);
    snprintf(xml, sizeof xml, "<iq type='%s' from='" HSS "' to='watcher.opa.example' id='%s'>%s</iq>",
             type, pwfake_attr(iq, "id"), inner);
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake, xml), 0);
}

static void answer_alice(const char *status)
{
    char inner[512];
    snprintf(inner, sizeof inner, ALICE, status);
    answer("lookup", "result", inner);
}

/* The HSS promises (result to <changes/>). */
static void promise(void)
{
    answer(PW_HSS_CHANGES, "result", "");
    cr_assert(pw_hss_client_caching(fx->h));
}

static void lookup_alice(void)
{
    cr_assert_eq(pw_hss_client_lookup(fx->h, NULL, "alice@opa.example", on_answer, fx), PW_OK);
}

/* A first lookup with the promise, answered: one answer kept. */
static void kept_alice(void)
{
    lookup_alice();
    promise();
    answer_alice("active");
    cr_assert_eq(fx->answers, 1);
    cr_assert_eq(pw_hss_client_cached(fx->h), 1);
}

Test(hss_cache, the_first_lookup_asks_for_the_promise_and_the_record)
{
    lookup_alice();
    xmpp_stanza_t *changes = sent_with(PW_HSS_CHANGES);
    cr_assert_not_null(changes);
    cr_assert_str_eq(pwfake_attr(changes, "type"), "get");
    cr_assert_str_eq(pwfake_attr(changes, "to"), HSS);
    cr_assert_not_null(sent_with("lookup"));
    cr_assert_eq(fx->answers, 0, "not called back from within");
    cr_assert_not(pw_hss_client_caching(fx->h));
}

Test(hss_cache, a_kept_answer_costs_no_stanza_and_comes_from_the_loop)
{
    kept_alice();
    size_t sent = pwfake_transport_sent_count(fx->fc->fake);
    lookup_alice();
    cr_assert_eq(fx->answers, 1, "not called back from within");
    cr_assert_eq(pw_component_pending_iqs(fx->fc->comp), 1, "it counts as pending until given");
    run_loop();
    cr_assert_eq(fx->answers, 2);
    cr_assert_eq(fx->outcome, PW_IQ_RESULT);
    cr_assert_str_eq(fx->record.jid, "alice@opa.example");
    cr_assert(fx->record.active);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), sent, "nothing sent for a kept answer");
    cr_assert_eq(pw_component_pending_iqs(fx->fc->comp), 0);
}

Test(hss_cache, without_the_promise_every_lookup_is_asked)
{
    lookup_alice();
    answer(PW_HSS_CHANGES, "error", "<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
    answer_alice("active");
    cr_assert_eq(pw_hss_client_cached(fx->h), 0);
    lookup_alice();
    cr_assert_eq(count_sent("lookup"), 2);
    cr_assert_eq(count_sent(PW_HSS_CHANGES), 1, "a refused promise is not asked again at once");
}

Test(hss_cache, an_answer_before_the_promise_is_not_kept)
{
    lookup_alice();
    answer_alice("active");
    promise();
    cr_assert_eq(pw_hss_client_cached(fx->h), 0);
}

Test(hss_cache, changed_from_the_hss_drops_everything_and_the_next_lookup_sees_the_barring)
{
    kept_alice();
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake,
        "<iq type='set' from='" HSS "' to='watcher.opa.example' id='k1'>"
        "<changed xmlns='urn:peerwatch:hss:0'/></iq>"), 0);
    xmpp_stanza_t *ack = pwfake_transport_last(fx->fc->fake);
    cr_assert_str_eq(pwfake_attr(ack, "type"), "result");
    cr_assert_str_eq(pwfake_attr(ack, "id"), "k1");
    cr_assert_eq(pw_hss_client_cached(fx->h), 0);
    lookup_alice();
    cr_assert_eq(count_sent("lookup"), 2, "asked again");
    answer_alice("barred");
    cr_assert_eq(fx->answers, 2);
    cr_assert(fx->record.barred, "the new record, not the kept one");
}

Test(hss_cache, an_answer_to_a_lookup_sent_before_changed_is_not_kept)
{
    lookup_alice();
    promise();
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake,
        "<iq type='set' from='" HSS "' to='watcher.opa.example' id='k1'>"
        "<changed xmlns='urn:peerwatch:hss:0'/></iq>"), 0);
    answer_alice("active");
    cr_assert_eq(fx->answers, 1, "still given to the caller");
    cr_assert_eq(pw_hss_client_cached(fx->h), 0);
}

Test(hss_cache, changed_from_anyone_else_is_forbidden_and_drops_nothing)
{
    kept_alice();
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake,
        "<iq type='set' from='mallory@opa.example/x' to='watcher.opa.example' id='k2'>"
        "<changed xmlns='urn:peerwatch:hss:0'/></iq>"), 0);
    xmpp_stanza_t *err = pwfake_transport_last(fx->fc->fake);
    cr_assert_str_eq(pwfake_attr(err, "type"), "error");
    xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(err, "error");
    cr_assert_not_null(xmpp_stanza_get_child_by_name(e, "forbidden"));
    xmpp_stanza_t *text = xmpp_stanza_get_child_by_name(e, "text");
    cr_assert_not_null(text, "a readable reason");
    char *t = xmpp_stanza_get_text(text);
    cr_assert(strstr(t, HSS) != NULL, "names who may: %s", t);
    xmpp_free(fx->fc->ctx, t);
    cr_assert_eq(pw_hss_client_cached(fx->h), 1);
}

Test(hss_cache, a_reconnection_drops_everything_and_asks_the_promise_again)
{
    kept_alice();
    pwfake_transport_down(fx->fc->fake);
    pwfake_transport_up(fx->fc->fake);
    cr_assert_not(pw_hss_client_caching(fx->h));
    lookup_alice();
    cr_assert_eq(count_sent("lookup"), 2, "the kept answer belonged to the old link");
    cr_assert_eq(count_sent(PW_HSS_CHANGES), 2);
    cr_assert_eq(pw_hss_client_cached(fx->h), 0);
}

Test(hss_cache, unknown_numbers_are_not_kept)
{
    cr_assert_eq(pw_hss_client_lookup(fx->h, "+447700900999", NULL, on_answer, fx), PW_OK);
    promise();
    answer("lookup", "error", "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
    cr_assert_eq(fx->outcome, PW_IQ_ERROR);
    cr_assert_eq(pw_hss_client_cached(fx->h), 0);
}

Test(hss_cache, the_cache_is_bounded)
{
    char number[32];
    lookup_alice();
    promise();
    answer_alice("active");
    for (int i = 0; i < 25; i++) {
        snprintf(number, sizeof number, "+4477009%05d", i);
        cr_assert_eq(pw_hss_client_lookup(fx->h, number, NULL, on_answer, fx), PW_OK);
        char inner[512];
        snprintf(inner, sizeof inner, "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='%s' "
                 "jid='u%d@opa.example' presence-server='ps1.opa.example' status='active' "
                 "account='postpaid' balance='0'/>", number, i);
        answer("lookup", "result", inner);
        cr_assert_leq(pw_hss_client_cached(fx->h), 10);
    }
}

Test(hss_cache, cancelling_by_the_callers_arg_cancels_a_kept_answer_and_a_lookup)
{
    kept_alice();
    lookup_alice(); /* from the cache, not yet given */
    cr_assert_eq(pw_hss_client_lookup(fx->h, "+447700900002", NULL, on_answer, fx), PW_OK); /* asked */
    cr_assert_eq(pw_component_cancel_iqs(fx->fc->comp, fx), 2);
    cr_assert_eq(fx->answers, 3);
    cr_assert_eq(fx->outcome, PW_IQ_CANCELLED);
    run_loop();
    cr_assert_eq(fx->answers, 3, "nothing given after the cancel");
}

Test(hss_cache, no_cache_is_a_plain_lookup)
{
    pw_hss_client_t *plain = NULL;
    cr_assert_eq(pw_hss_client_update(&plain, fx->fc->comp, HSS, 0), PW_OK);
    size_t before = pwfake_transport_sent_count(fx->fc->fake);
    cr_assert_eq(pw_hss_client_lookup(plain, NULL, "alice@opa.example", on_answer, fx), PW_OK);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), before + 1, "the lookup only, no promise");
    cr_assert_not_null(sent_with("lookup"));
    pw_component_cancel_iqs(fx->fc->comp, fx);
    pw_hss_client_destroy(plain);
    /* the fixture's link registered the <changed/> handler last but plain's destroy unset it: re-create */
    cr_assert_eq(pw_hss_client_update(&fx->h, fx->fc->comp, HSS, 11), PW_OK);
}

Test(hss_cache, lookups_need_exactly_one_key)
{
    cr_assert_eq(pw_hss_client_lookup(fx->h, "+447700900001", "alice@opa.example", on_answer, fx), PW_EINVAL);
    cr_assert_eq(pw_hss_client_lookup(fx->h, NULL, NULL, on_answer, fx), PW_EINVAL);
    cr_assert_eq(pw_hss_client_lookup(NULL, "+447700900001", NULL, on_answer, fx), PW_EINVAL);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0);
}
