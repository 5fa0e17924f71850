/* test_watcher_persistence.c: subscriptions and pending roster requests survive a WA restart on the same state_dir; expired ones are dropped, renewals re-armed. */
#include "watcher_driver.h"

#include <criterion/criterion.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

#define EXTRA "roster_duration = 1h\npending_retry = 5s\n"

static void persistence_setup(void)
{
    tw = pwfake_watcher_new();
    pwfake_watcher_start(tw, EXTRA);
}

TestSuite(watcher_persistence, .init = persistence_setup, .fini = tw_teardown);

/* Stop the WA and start a new one on the same state_dir, ms later. */
static void restart_after(uint64_t ms)
{
    pwfake_watcher_stop(tw);
    tw->now += ms;
    pwfake_watcher_start_again(tw, EXTRA);
}

Test(watcher_persistence, subscriptions_survive_a_restart)
{
    xmpp_stanza_t *m;
    char body[256], why[256];

    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='3600'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-iq", 3600);
    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-iq' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    pwfake_watcher_roster_subscribed(tw, "sub-ro", 3600);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 2);

    restart_after(1000);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 2);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 0, "a restart sends nothing by itself");
    /* both still know the network they were made through (docs/protocol.md §5.2) */
    pwfake_watcher_notify(tw, "x1", "proxy.opa.example", "network='opc.example' subscription='sub-iq' seq='9'",
                          PWFAKE_WATCHER_STATE_OFF);
    pwfake_watcher_notify(tw, "x2", "proxy.opa.example", "network='opc.example' subscription='sub-ro' seq='9'",
                          PWFAKE_WATCHER_STATE_OFF);
    cr_assert_eq(pw_stanza_error_parse(pwfake_watcher_sent(tw, 0), why, sizeof why), PW_ERR_NOT_AUTHORIZED, "%s", why);
    cr_assert_eq(pw_stanza_error_parse(pwfake_watcher_sent(tw, 1), why, sizeof why), PW_ERR_NOT_AUTHORIZED, "%s", why);
    pwfake_transport_clear(tw->fake);
    /* the IQ-route subscription still knows its watcher, its contact JID and its last seq */
    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-iq' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "seq 1 was delivered before the restart");
    pwfake_watcher_notify(tw, "n2", "proxy.opa.example", "subscription='sub-iq' seq='2'", PWFAKE_WATCHER_STATE_OFF);
    m = pwfake_watcher_sent(tw, 1);
    cr_assert_str_eq(pwfake_watcher_attr(m, "type"), "headline");
    cr_assert_str_eq(pwfake_watcher_attr(m, "to"), "alice@opa.example");
    cr_assert_str_eq(pwfake_watcher_attr(m, "from"), PWFAKE_WATCHER_CONTACT);
    cr_assert_str_eq(pw_stanza_child_text(m, "body", NULL, body, sizeof body), "+1 202 555 0123 is now offline");
    /* the roster one becomes presence */
    pwfake_watcher_notify(tw, "n3", "proxy.opa.example", "subscription='sub-ro' seq='1'", PWFAKE_WATCHER_STATE_OFF);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 3), "unavailable");
    /* and alice can still unsubscribe */
    pwfake_watcher_deliver(tw, "<presence type='unsubscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 5), "unsubscribed");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 6), "unavailable"); /* she had been told "subscribed" before */
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_hss_then_proxy(tw), "subscription"), "sub-ro");
}

Test(watcher_persistence, expired_subscriptions_are_dropped_at_start)
{
    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='60'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-short", 60);
    pwfake_watcher_up_to_proxy(tw, "c2", "address='+12025550123' kind='changes' duration='600'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-long", 600);
    restart_after(120000);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
    restart_after(0);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1, "the drop itself was journaled");
    restart_after(600000);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
}

Test(watcher_persistence, renewal_timers_are_re_armed)
{
    xmpp_stanza_t *e;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    restart_after(2000000); /* 80% of 3600 s is 2880 s */
    pwfake_watcher_advance(tw, 880000 - 1);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 0);
    pwfake_watcher_advance(tw, 1);
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-2", 3600);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_hss_then_proxy(tw), "subscription"), "sub-1", "the old one is stopped");
}

Test(watcher_persistence, a_roster_subscription_that_expired_meanwhile_is_renewed_at_start)
{
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    restart_after(4000000);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1, "the roster subscription lasts");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
    pwfake_watcher_advance(tw, 0);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_hss_then_proxy(tw), "kind"), "changes");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-2", 3600);
    pwfake_watcher_assert_presence(pwfake_transport_last(tw->fake), NULL);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0, "no 'subscribed' again, nothing to stop");
}

Test(watcher_persistence, pending_requests_survive_and_are_retried)
{
    size_t mark;
    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "bob was asked");
    restart_after(1000);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
    pwfake_watcher_advance(tw, 4999);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 0);
    pwfake_watcher_advance(tw, 1);
    pwfake_watcher_hss_then_proxy(tw);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 3600);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "subscribed");
}

Test(watcher_persistence, a_request_never_answered_is_asked_again_at_start)
{
    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_hss_then_proxy(tw); /* the WA stops before the chain answers */
    restart_after(1000);
    pwfake_watcher_advance(tw, 0);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_hss_then_proxy(tw), "kind"), "changes");
}

Test(watcher_persistence, an_unsubscribe_is_durable)
{
    pwfake_watcher_roster_subscribed(tw, "sub-1", 3600);
    pwfake_watcher_deliver(tw, "<presence type='unsubscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    restart_after(1000);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
}

Test(watcher_persistence, an_unusable_state_dir_refuses_to_start)
{
    pw_watcher_t *wa = NULL;
    pw_watcher_settings_t s = tw->settings;
    s.state_dir = "/proc/no/such/dir";
    cr_assert_neq(pw_watcher_create(&wa, tw->comp, &s), PW_OK);
    cr_assert_null(wa);
}
