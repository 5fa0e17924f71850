/* test_watcher_subscribe.c: 'changes', 'next' and 'stop' on the IQ route: down the chain like 'current', the answer echoed, the subscription journaled. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_subscribe, .init = tw_setup, .fini = tw_teardown);

/* The journal's text (for checking that a subscription is on disk). */
static void journal_text(char *buf, size_t cap)
{
    char path[512];
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/watcher-" PWFAKE_WATCHER_JID ".journal", tw->state_dir);
    f = fopen(path, "r");
    cr_assert_not_null(f, "the journal %s exists", path);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

Test(watcher_subscribe, changes_goes_down_the_chain_and_the_subscription_is_stored)
{
    xmpp_stanza_t *e, *r, *echo, *sub, *state;
    char want[64], journal[8192];

    e = pwfake_watcher_up_to_proxy(tw, "c1", "address='+1 202 555 0123' kind='changes' duration='7200'");
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    cr_assert_str_eq(pwfake_watcher_attr(e, "duration"), "7200");
    cr_assert_str_eq(pwfake_watcher_attr(e, "presentity"), "+12025550123");
    cr_assert_str_eq(pwfake_watcher_attr(e, "watcher-msisdn"), "+447700900001");
    cr_assert_null(xmpp_stanza_get_attribute(e, "subscription"));
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 7200);

    r = pwfake_transport_last(tw->fake);
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), "c1");
    cr_assert_str_eq(pwfake_watcher_attr(r, "to"), "alice@opa.example/phone");
    echo = pw_stanza_payload(r);
    cr_assert_str_eq(xmpp_stanza_get_ns(echo), "urn:peerwatch:0");
    cr_assert_str_eq(pwfake_watcher_attr(echo, "address"), "+12025550123");
    cr_assert_str_eq(pwfake_watcher_attr(echo, "kind"), "changes");
    cr_assert_str_eq(pwfake_watcher_attr(echo, "duration"), "7200");
    state = xmpp_stanza_get_child_by_name_and_ns(echo, "state", "urn:peerwatch:0");
    cr_assert_str_eq(pwfake_watcher_attr(state, "show"), "away");
    sub = xmpp_stanza_get_child_by_name_and_ns(echo, "subscription", "urn:peerwatch:0");
    cr_assert_not_null(sub, "the subscription is echoed");
    cr_assert_str_eq(pwfake_watcher_attr(sub, "id"), "sub-1");
    cr_assert_str_eq(pwfake_watcher_attr(sub, "expires"), pwfake_watcher_time_in(tw, 7200, want, sizeof want));
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
    journal_text(journal, sizeof journal);
    cr_assert(strstr(journal, "i:sub-1\t2 iq changes sub-1 " PWFAKE_WATCHER_JID "/"),
              "committed before the answer: %s", journal);
    cr_assert(strstr(journal, " alice@opa.example/phone alice@opa.example +12025550123 " PWFAKE_WATCHER_CONTACT " "),
              "full and bare JID, address, contact JID: %s", journal);
}

Test(watcher_subscribe, next_goes_down_the_chain_without_a_duration)
{
    xmpp_stanza_t *e = pwfake_watcher_up_to_proxy(tw, "n1", "address='bob@opb.example' kind='next'");
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "next");
    cr_assert_str_eq(pwfake_watcher_attr(e, "presentity-jid"), "bob@opb.example");
    cr_assert_null(xmpp_stanza_get_attribute(e, "duration"));
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_OFF, "sub-n", 86400);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_transport_last(tw->fake), "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(pw_stanza_payload(pwfake_transport_last(tw->fake)), "address"), "bob\\40opb.example");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}

Test(watcher_subscribe, stop_ends_the_watchers_subscriptions_on_the_presentity)
{
    xmpp_stanza_t *e, *r;
    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 60);
    pwfake_watcher_up_to_proxy(tw, "c2", "address='+12025550123' kind='next'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-2", 60);
    pwfake_watcher_up_to_proxy(tw, "c3", "address='+447700900999' kind='next'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-3", 60);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 3);

    e = pwfake_watcher_up_to_proxy(tw, "s1", "address='+12025550123' kind='stop'");
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "stop");
    cr_assert_null(xmpp_stanza_get_attribute(e, "subscription"), "all of them");
    cr_assert_null(xmpp_stanza_get_attribute(e, "duration"));
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 3, "nothing ends before the chain answered");
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "<enquiry xmlns='urn:peerwatch:chain:1'/>");
    r = pwfake_transport_last(tw->fake);
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), "s1");
    cr_assert_str_eq(pwfake_watcher_attr(pw_stanza_payload(r), "kind"), "stop");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1, "only the other presentity's remains");
}

Test(watcher_subscribe, stop_may_name_one_subscription)
{
    xmpp_stanza_t *e;
    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 60);
    pwfake_watcher_up_to_proxy(tw, "c2", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-2", 60);
    e = pwfake_watcher_up_to_proxy(tw, "s1", "address='+12025550123' kind='stop' subscription='sub-2'");
    cr_assert_str_eq(pwfake_watcher_attr(e, "subscription"), "sub-2");
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "");
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_transport_last(tw->fake), "type"), "result");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}

Test(watcher_subscribe, a_failed_stop_keeps_the_subscriptions)
{
    char text[256];
    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 60);
    pwfake_watcher_up_to_proxy(tw, "s1", "address='+12025550123' kind='stop'");
    pwfake_watcher_proxy_error(tw, "remote-server-timeout", "wait", "the gateway of opb.example did not answer");
    cr_assert_eq(pwfake_watcher_last_error(tw, "s1", text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}

Test(watcher_subscribe, duration_is_bounded_by_max_duration)
{
    char text[256];
    pwfake_watcher_enquiry(tw, "d1", "alice@opa.example/phone", "address='+12025550123' kind='changes' duration='86401'");
    cr_assert_eq(pwfake_watcher_last_error(tw, "d1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "'duration'") && strstr(text, "86400"), "names the bound: %s", text);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "nothing went down the chain");
    /* the bound itself is fine */
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_up_to_proxy(tw, "d2", "address='+12025550123' kind='changes' duration='86400'"),
                             "duration"), "86400");
}

Test(watcher_subscribe, the_bound_follows_the_config)
{
    char text[256];
    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, "max_duration = 2h\nroster_duration = 1h\n");
    pwfake_watcher_enquiry(tw, "d1", "alice@opa.example/phone", "address='+12025550123' kind='changes' duration='7201'");
    cr_assert_eq(pwfake_watcher_last_error(tw, "d1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "7200"), "%s", text);
}

Test(watcher_subscribe, a_result_without_a_valid_subscription_is_an_error_and_nothing_is_kept)
{
    static const char *const bad[] = {
        "<enquiry xmlns='urn:peerwatch:chain:1'>" PWFAKE_WATCHER_STATE_AWAY "</enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:1'>" PWFAKE_WATCHER_STATE_AWAY "<subscription xmlns='urn:peerwatch:0' id='x'/></enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:1'>" PWFAKE_WATCHER_STATE_AWAY "<subscription xmlns='urn:peerwatch:0' id='x' expires='soon'/></enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:1'>" PWFAKE_WATCHER_STATE_AWAY "<subscription xmlns='urn:peerwatch:0' id='' expires='2026-11-21T12:00:00Z'/></enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:1'><subscription xmlns='urn:peerwatch:0' id='x' expires='2026-11-21T12:00:00Z'/></enquiry>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        pwfake_watcher_up_to_proxy(tw, "w1", "address='+12025550123' kind='changes' duration='60'");
        pwfake_watcher_answer(tw, "proxy.opa.example", "result", bad[i]);
        cr_assert_eq(pwfake_watcher_last_error(tw, "w1", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR, "case %zu", i);
        cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0, "case %zu", i);
    }
}

Test(watcher_subscribe, chain_errors_are_relayed_and_nothing_is_kept)
{
    char text[256];
    pwfake_watcher_up_to_proxy(tw, "e1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "bob has not yet approved you");
    cr_assert_eq(pwfake_watcher_last_error(tw, "e1", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_str_eq(text, "bob has not yet approved you");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
}

Test(watcher_subscribe, subscriptions_are_charged_and_limited_like_any_enquiry)
{
    char text[256];
    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, "rate_per_watcher = 1\n");
    pwfake_watcher_up_to_proxy(tw, "l1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_enquiry(tw, "l2", "alice@opa.example/phone", "address='+12025550123' kind='next'");
    pwfake_watcher_hss_alice(tw);
    cr_assert_eq(pwfake_watcher_last_error(tw, "l2", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    pwfake_watcher_enquiry(tw, "l3", "alice@opa.example/phone", "address='+12025550123' kind='stop'");
    pwfake_watcher_hss_subscriber(tw, "+447700900001", "alice@opa.example", "active", "prepaid", "0");
    cr_assert_eq(pwfake_watcher_last_error(tw, "l3", text, sizeof text), PW_ERR_PAYMENT_REQUIRED);
}
