/* test_watcher_refusals.c: every check of a client enquiry refuses with its own condition and text, before anything goes down the chain. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_refusals, .init = tw_setup, .fini = tw_teardown);

/* Nothing but the one error went out: no HSS lookup, no chain enquiry. */
static void assert_only_the_error(void)
{
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "only the error was sent");
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
}

/*
 * alice's enquiry (request id, these attributes) is refused with cond, its text (in text)
 * holding word, and nothing else went out.
 */
static void expect_refused(const char *id, const char *attrs, pw_error_t cond, const char *word, char *text, size_t cap)
{
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_enquiry(tw, id, "alice@opa.example/phone", attrs);
    pwfake_watcher_expect_refusal(tw, id, cond, word, attrs, text, cap);
    assert_only_the_error();
}

Test(watcher_refusals, non_local_senders_are_forbidden)
{
    static const char *const senders[] = { "mallory@evil.example/x", "opa.example", "bob@opb.example",
                                           "alice@sub.opa.example/r" };
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        char text[256];
        pwfake_transport_clear(tw->fake);
        pwfake_watcher_enquiry(tw, "a1", senders[i], "address='+12025550123' kind='current'");
        cr_assert_eq(pwfake_watcher_last_error(tw, "a1", text, sizeof text), PW_ERR_FORBIDDEN, "sender %s", senders[i]);
        cr_assert_str_eq(text, "only users of opa.example may use this service");
        assert_only_the_error();
    }
}

Test(watcher_refusals, the_user_domain_is_compared_without_case)
{
    pwfake_watcher_enquiry(tw, "a2", "alice@OPA.Example/x", "address='+12025550123' kind='current'");
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_last_request(tw, "hss.opa.example", "get"), "jid"), "alice@opa.example");
}

Test(watcher_refusals, unknown_kind_is_bad_request)
{
    static const char *const attrs[] = { "address='+12025550123' kind='later'",
                                         "address='+12025550123'",
                                         "address='+12025550123' kind=''",
                                         "address='+12025550123' kind='CURRENT'" };
    char text[256];
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        expect_refused("b1", attrs[i], PW_ERR_BAD_REQUEST, "'kind'", text, sizeof text);
}

Test(watcher_refusals, subscription_kinds_check_their_own_attributes)
{
    static const struct { const char *attrs, *word; } cases[] = {
        { "kind='changes'", "'duration'" },
        { "kind='changes' duration='0'", "'duration'" },
        { "kind='changes' duration='-5'", "'duration'" },
        { "kind='changes' duration='1h'", "'duration'" },
        { "kind='changes' duration=''", "'duration'" },
        { "kind='changes' duration='99999999999999999999'", "'duration'" },
        { "kind='next' duration='60'", "'duration'" },
        { "kind='stop' duration='60'", "'duration'" },
        { "kind='current' subscription='abc'", "'subscription'" },
        { "kind='changes' duration='60' subscription='abc'", "'subscription'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char attrs[256], text[256];
        snprintf(attrs, sizeof attrs, "address='+12025550123' %s", cases[i].attrs);
        expect_refused("b2", attrs, PW_ERR_BAD_REQUEST, cases[i].word, text, sizeof text);
    }
}

Test(watcher_refusals, duration_on_current_is_bad_request)
{
    char text[256];
    expect_refused("b3", "address='+12025550123' kind='current' duration='60'", PW_ERR_BAD_REQUEST, "'duration'", text,
                   sizeof text);
}

Test(watcher_refusals, malformed_addresses_are_jid_malformed_with_the_accepted_forms)
{
    static const char *const bad[] = {
        "12345",                /* too short, no '+' */
        "+1",                   /* too few digits */
        "+12025550123456789",   /* too many digits */
        "+1 202 555 0123 ext 5",
        "hello",                /* neither a number nor a JID */
        "bob@opb.example/phone",/* a full JID */
        "@opb.example",
        "bob\\40",              /* escaped JID without a domain */
        "",
        "2025550123",           /* national without the trunk prefix */
        "+44 20 7946 000a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char attrs[256], text[512];
        snprintf(attrs, sizeof attrs, "address='%s' kind='current'", bad[i]);
        expect_refused("c1", attrs, PW_ERR_JID_MALFORMED, "+44", text, sizeof text); /* the country code's national numbers */
        cr_assert(strstr(text, "+12025550123") && strstr(text, "bob@opb.example") &&
                  strstr(text, "bob\\40opb.example"), "the text shows the accepted forms: %s", text);
    }
}

Test(watcher_refusals, missing_address_is_bad_request)
{
    char text[512];
    pwfake_watcher_enquiry(tw, "c2", "alice@opa.example/phone", "kind='current'");
    cr_assert_eq(pwfake_watcher_last_error(tw, "c2", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "'address'"), "%s", text);
}

Test(watcher_refusals, without_a_country_code_national_numbers_are_refused)
{
    char text[512];
    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, NULL);
    pwfake_watcher_enquiry(tw, "c3", "alice@opa.example/phone", "address='07700 900123' kind='current'");
    cr_assert_eq(pwfake_watcher_last_error(tw, "c3", text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert(strstr(text, "international"), "%s", text);
}

/* Send a valid enquiry and answer the HSS lookup with `inner` (type result or error). */
static pw_error_t hss_says(const char *type, const char *inner, char *text, size_t cap)
{
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_enquiry(tw, "d1", "alice@opa.example/phone", "address='+12025550123' kind='current'");
    pwfake_watcher_last_request(tw, "hss.opa.example", "get");
    pwfake_watcher_answer(tw, "hss.opa.example", type, inner);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "the lookup, then only the error");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
    return pwfake_watcher_last_error(tw, "d1", text, cap);
}

Test(watcher_refusals, unknown_watcher_is_forbidden)
{
    char text[256];
    cr_assert_eq(hss_says("error", "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no subscriber has the address alice@opa.example</text>"
                          "</error>", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_str_eq(text, "alice@opa.example is not a subscriber of opa.example");
}

Test(watcher_refusals, barred_watcher_is_forbidden)
{
    char text[256];
    cr_assert_eq(hss_says("result", "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='+447700900003' "
                          "jid='alice@opa.example' presence-server='ps1.opa.example' status='barred' "
                          "account='prepaid' balance='50'/>", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_str_eq(text, "alice@opa.example is barred");
}

Test(watcher_refusals, prepaid_balance_below_the_price_is_payment_required)
{
    char text[256];
    cr_assert_eq(hss_says("result", "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='+447700900002' "
                          "jid='alice@opa.example' presence-server='ps1.opa.example' status='active' "
                          "account='prepaid' balance='0'/>", text, sizeof text), PW_ERR_PAYMENT_REQUIRED);
    cr_assert_str_eq(text, "balance 0 is below the enquiry price 1");
}

Test(watcher_refusals, postpaid_with_zero_balance_and_exact_balance_pass)
{
    pwfake_watcher_enquiry(tw, "d2", "alice@opa.example/phone", "address='+12025550123' kind='current'");
    pwfake_watcher_hss_subscriber(tw, "+447700900001", "alice@opa.example", "active", "postpaid", "0");
    pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
    pwfake_watcher_enquiry(tw, "d3", "alice@opa.example/phone", "address='+12025550123' kind='current'");
    pwfake_watcher_hss_subscriber(tw, "+447700900001", "alice@opa.example", "active", "prepaid", "1");
    pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
}

Test(watcher_refusals, hss_timeout_is_remote_server_timeout)
{
    char text[256];
    pwfake_watcher_enquiry(tw, "d4", "alice@opa.example/phone", "address='+12025550123' kind='current'");
    pwfake_watcher_last_request(tw, "hss.opa.example", "get");
    pwfake_watcher_advance(tw, 19999);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1);
    pwfake_watcher_advance(tw, 1);
    cr_assert_eq(pwfake_watcher_last_error(tw, "d4", text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(text, "the subscriber database did not answer");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
}

Test(watcher_refusals, hss_not_connected_is_remote_server_timeout)
{
    char text[256];
    /* what the server bounces while the HSS component is down */
    cr_assert_eq(hss_says("error", "<error type='wait'><remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                          text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(text, "the subscriber database did not answer");
    cr_assert_eq(hss_says("error", "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                          text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
}

Test(watcher_refusals, other_hss_errors_and_bad_records_are_internal)
{
    char text[256];
    cr_assert_eq(hss_says("error", "<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                          text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert(strstr(text, "subscriber database"), "%s", text);
    cr_assert_eq(hss_says("result", "", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert_eq(hss_says("result", "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='12' status='active' "
                          "account='postpaid' balance='0'/>", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert_eq(hss_says("result", "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='+447700900001' "
                          "status='active' account='prepaid' balance='lots'/>", text, sizeof text),
                 PW_ERR_INTERNAL_SERVER_ERROR);
}

Test(watcher_refusals, enquiry_get_is_not_offered)
{
    char text[256];
    pwfake_watcher_deliver(tw, "<iq type='get' id='g1' from='alice@opa.example/phone'>"
               "<enquiry xmlns='urn:peerwatch:0' address='+12025550123' kind='current'/></iq>");
    cr_assert_eq(pwfake_watcher_last_error(tw, "g1", text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
}

Test(watcher_refusals, an_enquiry_about_oneself_is_bad_request_in_words)
{
    static const char *const addresses[] = { "07700900001", "+447700900001", "alice@opa.example" };
    for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
        char attrs[128], text[256];
        pwfake_transport_clear(tw->fake);
        snprintf(attrs, sizeof attrs, "address='%s' kind='changes' duration='60'", addresses[i]);
        pwfake_watcher_enquiry(tw, "s1", "alice@opa.example/phone", attrs);
        pwfake_watcher_hss_alice(tw); /* alice is +447700900001 */
        cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "the lookup, then only the error: nothing to the proxy");
        cr_assert_eq(pwfake_watcher_last_error(tw, "s1", text, sizeof text), PW_ERR_BAD_REQUEST, "about %s", addresses[i]);
        cr_assert_not_null(strstr(text, " is you: your own presence is what your client shows"), "%s", text);
        cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
    }
}

Test(watcher_refusals, a_roster_subscription_to_oneself_is_unsubscribed_with_the_reason)
{
    xmpp_stanza_t *p;
    char status[256];
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='alice@opa.example' to='+447700900001@watcher.opa.example'/>");
    pwfake_watcher_hss_alice(tw);
    p = pwfake_transport_last(tw->fake);
    cr_assert_str_eq(xmpp_stanza_get_type(p), "unsubscribed");
    cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, status, sizeof status),
                     "+44 7700900001 is you: your own presence is what your client shows, nothing to ask");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0, "no approval request to herself, nothing pending");
}
