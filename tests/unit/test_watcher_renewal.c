/* test_watcher_renewal.c: roster subscriptions are renewed (a new 'changes' enquiry, the old one stopped) before they expire, for as long as they last. */
#include "test_watcher_util.h"

static void renewal_setup(void)
{
    tw_start("roster_duration = 1h\npending_retry = 5s\n");
}

TestSuite(watcher_renewal, .init = renewal_setup, .fini = tw_teardown);

/* Renew at 80% of 3600 s: nothing before, the renewal then; answered with new_id. */
static void renew_into(const char *old_id, const char *new_id)
{
    size_t mark = pwfake_transport_sent_count(tw.fake);
    xmpp_stanza_t *e;

    tw_advance(2880000 - 1);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), mark, "no renewal before 80%% of the duration");
    tw_advance(1);
    e = tw_hss_then_proxy(); /* checked and charged like any enquiry */
    cr_assert_str_eq(tw_attr(e, "kind"), "changes");
    cr_assert_str_eq(tw_attr(e, "duration"), "3600");
    mark = pwfake_transport_sent_count(tw.fake);
    tw_proxy_subscribed(TW_STATE_OFF, new_id, 3600);
    tw_assert_presence(tw_sent(mark), "unavailable"); /* the fresh state; no second 'subscribed' */
    /* then the old subscription is stopped, by name */
    e = tw_hss_then_proxy();
    cr_assert_str_eq(tw_attr(e, "kind"), "stop");
    cr_assert_str_eq(tw_attr(e, "subscription"), old_id);
    tw_answer("proxy.opa.example", "result", "");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 1);
}

Test(watcher_renewal, renewed_before_expiry_and_the_old_one_stopped)
{
    char text[256];
    tw_roster_subscribed("sub-1", 3600);
    renew_into("sub-1", "sub-2");
    /* the old one is unknown now, the new one delivers */
    tw_notify("n1", "proxy.opa.example", "subscription='sub-1' seq='9'", TW_STATE_AWAY);
    cr_assert_eq(tw_last_error("n1", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    pwfake_transport_clear(tw.fake);
    tw_notify("n2", "proxy.opa.example", "subscription='sub-2' seq='1'", TW_STATE_AWAY);
    tw_assert_presence(tw_sent(0), NULL);
}

Test(watcher_renewal, renewed_again_and_again_while_the_roster_subscription_lasts)
{
    tw_roster_subscribed("sub-1", 3600);
    renew_into("sub-1", "sub-2");
    renew_into("sub-2", "sub-3");
    renew_into("sub-3", "sub-4");
}

Test(watcher_renewal, expired_early_is_renewed_at_once)
{
    xmpp_stanza_t *e;
    tw_roster_subscribed("sub-1", 3600);
    pwfake_transport_clear(tw.fake);
    tw_notify("x1", "proxy.opa.example", "subscription='sub-1' seq='3' ended='expired'", "");
    cr_assert_str_eq(tw_attr(tw_sent(0), "type"), "result", "acknowledged; alice sees nothing");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0);
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 1);
    tw_advance(0);
    e = tw_hss_then_proxy();
    cr_assert_str_eq(tw_attr(e, "kind"), "changes");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-2", 3600);
    tw_assert_presence(pwfake_transport_last(tw.fake), NULL);
    cr_assert_eq(pw_component_pending_iqs(tw.comp), 0, "nothing to stop: the old one ended");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1);
}

Test(watcher_renewal, a_refused_renewal_ends_the_roster_subscription)
{
    size_t mark;
    xmpp_stanza_t *e;
    tw_roster_subscribed("sub-1", 3600);
    tw_advance(2880000);
    tw_hss_then_proxy();
    mark = pwfake_transport_sent_count(tw.fake);
    tw_proxy_error("forbidden", "auth", "bob revoked");
    tw_assert_presence(tw_sent(mark), "unsubscribed");
    tw_assert_presence(tw_sent(mark + 1), "unavailable");
    e = tw_hss_then_proxy();
    cr_assert_str_eq(tw_attr(e, "kind"), "stop");
    cr_assert_str_eq(tw_attr(e, "subscription"), "sub-1");
    cr_assert_eq(pw_watcher_roster_items(tw.wa), 0);
}

Test(watcher_renewal, a_failed_renewal_keeps_the_old_one_and_tries_again)
{
    tw_roster_subscribed("sub-1", 3600);
    tw_advance(2880000);
    tw_hss_then_proxy();
    tw_proxy_error("remote-server-timeout", "wait", "the gateway did not answer");
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1, "sub-1 still runs");
    tw_advance(5000);
    tw_hss_then_proxy();
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-2", 3600);
    cr_assert_str_eq(tw_attr(tw_hss_then_proxy(), "subscription"), "sub-1");
}

Test(watcher_renewal, iq_route_subscriptions_are_not_renewed_but_forgotten_after_expiry)
{
    size_t mark;
    tw_up_to_proxy("c1", "address='+12025550123' kind='changes' duration='60'");
    tw_proxy_subscribed(TW_STATE_AWAY, "sub-i", 60);
    mark = pwfake_transport_sent_count(tw.fake);
    tw_advance(60000 + 59999);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 1, "the PS's 'ended' is waited for a while");
    tw_advance(1);
    cr_assert_eq(pw_watcher_subscriptions(tw.wa), 0);
    cr_assert_eq(pwfake_transport_sent_count(tw.fake), mark, "and nothing is sent");
}
