/* test_watcher_persistence.c: subscriptions and pending roster requests survive a WA restart on the same state_dir; expired ones are dropped, renewals re-armed. */
#include "test_watcher_util.h"

#define EXTRA "roster_duration = 1h\npending_retry = 5s\n"

static void persistence_setup(void)
{
    tw_start(EXTRA);
}

TestSuite(watcher_persistence, .init = persistence_setup, .fini = tw_teardown);

/* Stop the WA and start a new one on the same state_dir, ms later. */
static void restart_after(uint64_t ms)
{
    tw_stop();
    tw.now += ms;
    tw_start_again(EXTRA);
}

Test(watcher_persistence, subscriptions_survive_a_restart)
{
    xmpp_stanza_t *m;
    char body[256];

    tw_up_to_proxy("c1", "address='+12025550123' kind='changes' duration='3600'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-iq", 3600);
    tw_notify("n1", "proxy.opa.example", "subscription='sub-iq' seq='1'", TW_STATE_AWAY);
    tw_roster_subscribed("sub-ro", 3600);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 2);

    restart_after(1000);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 2);
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 1);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), 0, "a restart sends nothing by itself");
    /* the IQ-route subscription still knows its watcher, its contact JID and its last seq */
    tw_notify("n1", "proxy.opa.example", "subscription='sub-iq' seq='1'", TW_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), 1, "seq 1 was delivered before the restart");
    tw_notify("n2", "proxy.opa.example", "subscription='sub-iq' seq='2'", TW_STATE_OFF);
    m = tw_sent(1);
    cr_assert_str_eq(tw_attr(m, "type"), "headline");
    cr_assert_str_eq(tw_attr(m, "to"), "alice@opa.example");
    cr_assert_str_eq(tw_attr(m, "from"), TW_CONTACT);
    cr_assert_str_eq(pw_stanza_child_text(m, "body", NULL, body, sizeof body), "+12025550123 is now offline");
    /* the roster one becomes presence */
    tw_notify("n3", "proxy.opa.example", "subscription='sub-ro' seq='1'", TW_STATE_OFF);
    tw_assert_presence(tw_sent(3), "unavailable");
    /* and alice can still unsubscribe */
    tw_deliver("<presence type='unsubscribe' from='alice@opa.example' to='" TW_CONTACT "'/>");
    tw_assert_presence(tw_sent(5), "unsubscribed");
    tw_assert_presence(tw_sent(6), "unavailable"); /* she had been told "subscribed" before */
    cr_assert_str_eq(tw_attr(tw_hss_then_proxy(), "subscription"), "sub-ro");
}

Test(watcher_persistence, expired_subscriptions_are_dropped_at_start)
{
    tw_up_to_proxy("c1", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-short", 60);
    tw_up_to_proxy("c2", "address='+12025550123' kind='changes' duration='600'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-long", 600);
    restart_after(120000);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
    restart_after(0);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1, "the drop itself was journaled");
    restart_after(600000);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0);
}

Test(watcher_persistence, renewal_timers_are_re_armed)
{
    xmpp_stanza_t *e;
    tw_roster_subscribed("sub-1", 3600);
    restart_after(2000000); /* 80% of 3600 s is 2880 s */
    tw_advance(880000 - 1);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), 0);
    tw_advance(1);
    e = tw_hss_then_proxy();
    cr_assert_str_eq(tw_attr(e, "kind"), "changes");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-2", 3600);
    cr_assert_str_eq(tw_attr(tw_hss_then_proxy(), "subscription"), "sub-1", "the old one is stopped");
}

Test(watcher_persistence, a_roster_subscription_that_expired_meanwhile_is_renewed_at_start)
{
    tw_roster_subscribed("sub-1", 3600);
    restart_after(4000000);
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 1, "the roster subscription lasts");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0);
    tw_advance(0);
    cr_assert_str_eq(tw_attr(tw_hss_then_proxy(), "kind"), "changes");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-2", 3600);
    tw_assert_presence(pwfake_transport_last(tw.fake), NULL);
    cr_assert_eq(pw_component_pending_iqs(tw.comp), 0, "no 'subscribed' again, nothing to stop");
}

Test(watcher_persistence, pending_requests_survive_and_are_retried)
{
    size_t mark;
    tw_deliver("<presence type='subscribe' from='alice@opa.example' to='" TW_CONTACT "'/>");
    tw_hss_then_proxy();
    tw_proxy_error("subscription-required", "auth", "bob was asked");
    restart_after(1000);
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 1);
    tw_advance(4999);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), 0);
    tw_advance(1);
    tw_hss_then_proxy();
    mark = pwfake_transport_sent_count(tw.fake);
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-1", 3600);
    tw_assert_presence(tw_sent(mark), "subscribed");
}

Test(watcher_persistence, a_request_never_answered_is_asked_again_at_start)
{
    tw_deliver("<presence type='subscribe' from='alice@opa.example' to='" TW_CONTACT "'/>");
    tw_hss_then_proxy(); /* the WA stops before the chain answers */
    restart_after(1000);
    tw_advance(0);
    cr_assert_str_eq(tw_attr(tw_hss_then_proxy(), "kind"), "changes");
}

Test(watcher_persistence, an_unsubscribe_is_durable)
{
    tw_roster_subscribed("sub-1", 3600);
    tw_deliver("<presence type='unsubscribe' from='alice@opa.example' to='" TW_CONTACT "'/>");
    restart_after(1000);
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 0);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0);
}

Test(watcher_persistence, an_unusable_state_dir_refuses_to_start)
{
    pw_watcher_t *wa = NULL;
    pw_watcher_settings_t s = tw.settings;
    s.state_dir = "/proc/no/such/dir";
    cr_assert_neq(pw_watcher_create(&wa, tw.comp, &s), PW_OK);
    cr_assert_null(wa);
}
