/* test_watcher_subscribe.c: 'changes', 'next' and 'stop' on the IQ route: down the chain like 'current', the answer echoed, the subscription journaled. */
#include "test_watcher_util.h"

TestSuite(watcher_subscribe, .init = tw_setup, .fini = tw_teardown);

/* The journal's text (for checking that a subscription is on disk). */
static void journal_text(char *buf, size_t cap)
{
    char path[512];
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/watcher-" TW_JID ".journal", tw.state_dir);
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

    e = tw_up_to_proxy("c1", "address='+1 202 555 0123' kind='changes' duration='7200'");
    cr_assert_str_eq(tw_attr(e, "kind"), "changes");
    cr_assert_str_eq(tw_attr(e, "duration"), "7200");
    cr_assert_str_eq(tw_attr(e, "presentity"), "+12025550123");
    cr_assert_str_eq(tw_attr(e, "watcher-msisdn"), "+447700900001");
    cr_assert_null(xmpp_stanza_get_attribute(e, "subscription"));
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-1", 7200);

    r = pwfake_transport_last(tw.fake);
    cr_assert_str_eq(tw_attr(r, "type"), "result");
    cr_assert_str_eq(tw_attr(r, "id"), "c1");
    cr_assert_str_eq(tw_attr(r, "to"), "alice@opa.example/phone");
    echo = pw_stanza_payload(r);
    cr_assert_str_eq(xmpp_stanza_get_ns(echo), "urn:peerwatch:0");
    cr_assert_str_eq(tw_attr(echo, "address"), "+12025550123");
    cr_assert_str_eq(tw_attr(echo, "kind"), "changes");
    cr_assert_str_eq(tw_attr(echo, "duration"), "7200");
    state = xmpp_stanza_get_child_by_name_and_ns(echo, "state", "urn:peerwatch:0");
    cr_assert_str_eq(tw_attr(state, "show"), "away");
    sub = xmpp_stanza_get_child_by_name_and_ns(echo, "subscription", "urn:peerwatch:0");
    cr_assert_not_null(sub, "the subscription is echoed");
    cr_assert_str_eq(tw_attr(sub, "id"), "sub-1");
    cr_assert_str_eq(tw_attr(sub, "expires"), tw_time_in(7200, want, sizeof want));
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
    cr_assert_eq(pw_watcher_inflight(tw.wa), 0);
    journal_text(journal, sizeof journal);
    cr_assert(strstr(journal, "i:sub-1\t1 iq changes sub-1 " TW_JID "/"),
              "committed before the answer: %s", journal);
    cr_assert(strstr(journal, " alice@opa.example/phone alice@opa.example +12025550123 " TW_CONTACT " "),
              "full and bare JID, address, contact JID: %s", journal);
}

Test(watcher_subscribe, next_goes_down_the_chain_without_a_duration)
{
    xmpp_stanza_t *e = tw_up_to_proxy("n1", "address='bob@opb.example' kind='next'");
    cr_assert_str_eq(tw_attr(e, "kind"), "next");
    cr_assert_str_eq(tw_attr(e, "presentity-jid"), "bob@opb.example");
    cr_assert_null(xmpp_stanza_get_attribute(e, "duration"));
    tw_proxy_subscribed(TW_STATE_OFF, "sub-n", 86400);
    cr_assert_str_eq(tw_attr(pwfake_transport_last(tw.fake), "type"), "result");
    cr_assert_str_eq(tw_attr(pw_stanza_payload(pwfake_transport_last(tw.fake)), "address"), "bob\\40opb.example");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
}

Test(watcher_subscribe, stop_ends_the_watchers_subscriptions_on_the_presentity)
{
    xmpp_stanza_t *e, *r;
    tw_up_to_proxy("c1", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-1", 60);
    tw_up_to_proxy("c2", "address='+12025550123' kind='next'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-2", 60);
    tw_up_to_proxy("c3", "address='+447700900999' kind='next'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-3", 60);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 3);

    e = tw_up_to_proxy("s1", "address='+12025550123' kind='stop'");
    cr_assert_str_eq(tw_attr(e, "kind"), "stop");
    cr_assert_null(xmpp_stanza_get_attribute(e, "subscription"), "all of them");
    cr_assert_null(xmpp_stanza_get_attribute(e, "duration"));
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 3, "nothing ends before the chain answered");
    tw_answer("proxy.opa.example", "result", "<enquiry xmlns='urn:peerwatch:chain:0'/>");
    r = pwfake_transport_last(tw.fake);
    cr_assert_str_eq(tw_attr(r, "type"), "result");
    cr_assert_str_eq(tw_attr(r, "id"), "s1");
    cr_assert_str_eq(tw_attr(pw_stanza_payload(r), "kind"), "stop");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1, "only the other presentity's remains");
}

Test(watcher_subscribe, stop_may_name_one_subscription)
{
    xmpp_stanza_t *e;
    tw_up_to_proxy("c1", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-1", 60);
    tw_up_to_proxy("c2", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-2", 60);
    e = tw_up_to_proxy("s1", "address='+12025550123' kind='stop' subscription='sub-2'");
    cr_assert_str_eq(tw_attr(e, "subscription"), "sub-2");
    tw_answer("proxy.opa.example", "result", "");
    cr_assert_str_eq(tw_attr(pwfake_transport_last(tw.fake), "type"), "result");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
}

Test(watcher_subscribe, a_failed_stop_keeps_the_subscriptions)
{
    char text[256];
    tw_up_to_proxy("c1", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-1", 60);
    tw_up_to_proxy("s1", "address='+12025550123' kind='stop'");
    tw_proxy_error("remote-server-timeout", "wait", "the gateway of opb.example did not answer");
    cr_assert_eq(tw_last_error("s1", text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
}

Test(watcher_subscribe, duration_is_bounded_by_max_duration)
{
    char text[256];
    tw_enquiry("d1", "alice@opa.example/phone", "address='+12025550123' kind='changes' duration='86401'");
    cr_assert_eq(tw_last_error("d1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "'duration'") && strstr(text, "86400"), "names the bound: %s", text);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), 1, "nothing went down the chain");
    /* the bound itself is fine */
    cr_assert_str_eq(tw_attr(tw_up_to_proxy("d2", "address='+12025550123' kind='changes' duration='86400'"),
                             "duration"), "86400");
}

Test(watcher_subscribe, the_bound_follows_the_config)
{
    char text[256];
    tw_teardown();
    tw_start("max_duration = 2h\nroster_duration = 1h\n");
    tw_enquiry("d1", "alice@opa.example/phone", "address='+12025550123' kind='changes' duration='7201'");
    cr_assert_eq(tw_last_error("d1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "7200"), "%s", text);
}

Test(watcher_subscribe, a_result_without_a_valid_subscription_is_an_error_and_nothing_is_kept)
{
    static const char *const bad[] = {
        "<enquiry xmlns='urn:peerwatch:chain:0'>" TW_STATE_AWAY "</enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:0'>" TW_STATE_AWAY "<subscription xmlns='urn:peerwatch:0' id='x'/></enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:0'>" TW_STATE_AWAY "<subscription xmlns='urn:peerwatch:0' id='x' expires='soon'/></enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:0'>" TW_STATE_AWAY "<subscription xmlns='urn:peerwatch:0' id='' expires='2026-11-21T12:00:00Z'/></enquiry>",
        "<enquiry xmlns='urn:peerwatch:chain:0'><subscription xmlns='urn:peerwatch:0' id='x' expires='2026-11-21T12:00:00Z'/></enquiry>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        tw_up_to_proxy("w1", "address='+12025550123' kind='changes' duration='60'");
        tw_answer("proxy.opa.example", "result", bad[i]);
        cr_assert_eq(tw_last_error("w1", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR, "case %zu", i);
        cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0, "case %zu", i);
    }
}

Test(watcher_subscribe, chain_errors_are_relayed_and_nothing_is_kept)
{
    char text[256];
    tw_up_to_proxy("e1", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_error("subscription-required", "auth", "bob has not yet approved you");
    cr_assert_eq(tw_last_error("e1", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_str_eq(text, "bob has not yet approved you");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0);
}

Test(watcher_subscribe, subscriptions_are_charged_and_limited_like_any_enquiry)
{
    char text[256];
    tw_teardown();
    tw_start("rate_per_watcher = 1\n");
    tw_up_to_proxy("l1", "address='+12025550123' kind='changes' duration='60'");
    tw_enquiry("l2", "alice@opa.example/phone", "address='+12025550123' kind='next'");
    tw_hss_alice();
    cr_assert_eq(tw_last_error("l2", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    tw_enquiry("l3", "alice@opa.example/phone", "address='+12025550123' kind='stop'");
    tw_hss_subscriber("+447700900001", "alice@opa.example", "active", "prepaid", "0");
    cr_assert_eq(tw_last_error("l3", text, sizeof text), PW_ERR_PAYMENT_REQUIRED);
}
