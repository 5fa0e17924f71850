/* test_watcher_renewal.c: roster subscriptions are renewed (a new 'changes' enquiry, the old one stopped) before they expire, for as long as they last. */
#include "watcher_driver.h"

#include <criterion/criterion.h>

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

static void renewal_setup(void)
{
    tw = pwfake_watcher_new();
    pwfake_watcher_start(tw, "roster_duration = 1h\npending_retry = 5s\n");
}

TestSuite(watcher_renewal, .init = renewal_setup, .fini = tw_teardown);

/* Renew at 80% of 3600 s: nothing before, the renewal then; answered with new_id. */
static void renew_into(const char *old_id, const char *new_id)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    xmpp_stanza_t *e;

    pwfake_watcher_advance(tw, 2880000 - 1);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "no renewal before 80%% of the duration");
    pwfake_watcher_advance(tw, 1);
    e = pwfake_watcher_hss_then_proxy(tw); /* checked and charged like any enquiry */
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    cr_assert_str_eq(pwfake_watcher_attr(e, "duration"), "3600");
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_OFF, new_id, 3600);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "unavailable"); /* the fresh state; no second 'subscribed' */
    /* then the old subscription is stopped, by name */
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "stop");
    cr_assert_str_eq(pwfake_watcher_attr(e, "subscription"), old_id);
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
}

Test(watcher_renewal, renewed_before_expiry_and_the_old_one_stopped)
{
    char text[256];
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    renew_into("sub-1", "sub-2");
    /* the old one is unknown now, the new one delivers */
    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-1' seq='9'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_watcher_last_error(tw, "n1", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_notify(tw, "n2", "proxy.opa.example", "subscription='sub-2' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 0), NULL);
}

Test(watcher_renewal, renewed_again_and_again_while_the_roster_subscription_lasts)
{
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    renew_into("sub-1", "sub-2");
    renew_into("sub-2", "sub-3");
    renew_into("sub-3", "sub-4");
}

Test(watcher_renewal, expired_early_is_renewed_at_once)
{
    xmpp_stanza_t *e;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_notify(tw, "x1", "proxy.opa.example", "subscription='sub-1' seq='3' ended='expired'", "");
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 0), "type"), "result", "acknowledged; alice sees nothing");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
    pwfake_watcher_advance(tw, 0);
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-2", 3600);
    pwfake_watcher_assert_presence(pwfake_transport_last(tw->fake), NULL);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0, "nothing to stop: the old one ended");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}

Test(watcher_renewal, a_refused_renewal_ends_the_roster_subscription)
{
    size_t mark;
    xmpp_stanza_t *e;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    pwfake_watcher_advance(tw, 2880000);
    pwfake_watcher_hss_then_proxy(tw);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_error(tw, "forbidden", "auth", "bob revoked");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "unsubscribed");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), "unavailable");
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "stop");
    cr_assert_str_eq(pwfake_watcher_attr(e, "subscription"), "sub-1");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}

Test(watcher_renewal, a_failed_renewal_keeps_the_old_one_and_tries_again)
{
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    pwfake_watcher_advance(tw, 2880000);
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_error(tw, "remote-server-timeout", "wait", "the gateway did not answer");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1, "sub-1 still runs");
    pwfake_watcher_advance(tw, 5000);
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-2", 3600);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_hss_then_proxy(tw), "subscription"), "sub-1");
}

Test(watcher_renewal, iq_route_subscriptions_are_not_renewed_but_forgotten_after_expiry)
{
    size_t mark;
    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-i", 60);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_advance(tw, 60000 + 59999);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1, "the PS's 'ended' is waited for a while");
    pwfake_watcher_advance(tw, 1);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "and nothing is sent");
}
