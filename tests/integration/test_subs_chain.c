/* test_subs_chain.c: subscriptions through the whole chain with real clients: a `changes`
 * subscription that sees three changes and expires on time, `next` firing once, `stop`, and the
 * RFC 6121 roster route (subscribe, presence, probe at login, unsubscribe) from a plain client. */
#include "subs_util.h"

#include "pwt_trialenv.h"
#include "pwt_util.h"

TestSuite(subs, .timeout = 120);

Test(subs, changes_sees_three_changes_then_expires_on_time)
{
    pwt_client_t *bob = subs_login(NULL, "bob"), *alice = subs_login(NULL, "alice");
    static const char *const shows[] = { "away", "dnd", "xa" };
    xmpp_stanza_t *m;
    char sub[128];
    uint64_t t0;

    chain_present(bob, NULL, NULL, 1);
    t0 = pwt_now_ms();
    subs_subscribe(alice, "address='+12025550123' kind='changes' duration='6'", sub, sizeof sub);
    for (int i = 0; i < 3; i++) {
        pwt_client_presence(bob, shows[i], NULL, 1);
        m = subs_next_notify(alice, 5000, shows[i]);
        cr_assert_str_eq(chain_attr(m, "from"), BOB_CONTACT, "from the number's contact JID");
        cr_assert_str_eq(chain_attr(subs_notify_of(m), "subscription"), sub);
        cr_assert_str_eq(subs_notify_show(m), shows[i], "change %d delivered in order", i + 1);
        cr_assert_neq(pw_stanza_child_text(m, "body", NULL, (char[256]){0}, 256)[0], '\0', "a readable body");
        xmpp_stanza_release(m);
        pwt_client_run(bob, 1200); /* more than the trial's 1 s notification interval */
    }
    m = subs_next_notify(alice, 8000, "the end of the subscription");
    cr_assert_str_eq(chain_attr(subs_notify_of(m), "ended"), "expired");
    cr_assert_geq(pwt_now_ms() - t0, 5500, "not before its 6 s were up");
    cr_assert_leq(pwt_now_ms() - t0, 9500, "and on time");
    xmpp_stanza_release(m);
    pwt_client_presence(bob, NULL, "after", 1);
    cr_assert_null(pwt_client_wait(alice, subs_is_notify, NULL, 2000), "nothing after the end");
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
}

Test(subs, next_fires_once)
{
    subs_pair_t p;
    xmpp_stanza_t *m;

    subs_pair_start(&p, NULL, "address='+12025550123' kind='next'");
    m = subs_next_change(p.alice, p.bob, "away", 5000, "the next change");
    cr_assert_str_eq(chain_attr(subs_notify_of(m), "ended"), "fulfilled", "and it ends with it");
    cr_assert_str_eq(pw_stanza_child_text(m, "body", NULL, (char[512]){0}, 512),
                     "+1 202 555 0123 is now away\nYour subscription to +1 202 555 0123 has ended: "
                     "that was the change you were waiting for.", "the change and the end, in words");
    xmpp_stanza_release(m);
    pwt_client_run(p.bob, 1200);
    pwt_client_presence(p.bob, "dnd", NULL, 1);
    cr_assert_null(pwt_client_wait(p.alice, subs_is_notify, NULL, 2500), "only once");
    subs_pair_end(&p);
}

Test(subs, stop_ends_every_subscription_on_the_presentity)
{
    subs_pair_t p;
    xmpp_stanza_t *r, *m;

    subs_pair_start(&p, NULL, "address='+12025550123' kind='changes' duration='60'");
    r = chain_enquire(p.alice, "address='+12025550123' kind='stop'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "stop is acknowledged");
    xmpp_stanza_release(r);
    m = pwt_client_wait(p.alice, subs_is_notify, NULL, 3000);
    if (m) { /* the ended notification may race the result; it must say stopped */
        cr_assert_str_eq(chain_attr(subs_notify_of(m), "ended"), "stopped");
        xmpp_stanza_release(m);
    }
    pwt_client_presence(p.bob, "dnd", NULL, 1);
    cr_assert_null(pwt_client_wait(p.alice, subs_is_notify, NULL, 2500), "no notification after stop");
    subs_pair_end(&p);
}

Test(subs, roster_route_subscribe_presence_probe_unsubscribe)
{
    pwt_client_t *bob = subs_login(NULL, "bob"), *alice = subs_login(NULL, "alice");
    subs_presence_t subscribed = { BOB_CONTACT, "subscribed" }, avail = { BOB_CONTACT, NULL };
    xmpp_stanza_t *p;

    pwt_client_presence(bob, "away", "roster test", 1);
    pwt_client_run(bob, 300);
    cr_assert_eq(pwt_client_send_xml(alice, "<presence type='subscribe' to='" BOB_CONTACT "'/>"), PW_OK);
    p = pwt_client_wait(alice, subs_is_presence, &subscribed, 15000);
    cr_assert_not_null(p, "the watcher answers subscribed once bob's side authorised it");
    xmpp_stanza_release(p);
    p = pwt_client_wait(alice, subs_is_presence, &avail, 10000);
    cr_assert_not_null(p, "then bob's presence, as ordinary presence");
    cr_assert_str_eq(pw_stanza_child_text(p, "show", NULL, (char[16]){0}, 16), "away");
    xmpp_stanza_release(p);

    /* a change reaches alice as presence */
    pwt_client_presence(bob, "dnd", NULL, 1);
    p = pwt_client_wait(alice, subs_is_presence, &avail, 8000);
    cr_assert_not_null(p, "bob's change arrives as presence");
    cr_assert_str_eq(pw_stanza_child_text(p, "show", NULL, (char[16]){0}, 16), "dnd");
    xmpp_stanza_release(p);

    /* alice logs in again: her server probes the contact, the watcher answers with bob's presence */
    pwt_client_destroy(alice);
    alice = subs_login(NULL, "alice");
    p = pwt_client_wait(alice, subs_is_presence, &avail, 15000);
    cr_assert_not_null(p, "the probe at login is answered with bob's presence");
    xmpp_stanza_release(p);

    /* unsubscribe: her server drops the subscription at once (RFC 6121 §3.3), the watcher stops
     * the presence subscription down the chain: bob's changes no longer reach her */
    cr_assert_eq(pwt_client_send_xml(alice, "<presence type='unsubscribe' to='" BOB_CONTACT "'/>"), PW_OK);
    pwt_client_run(alice, 1500);
    while ((p = pwt_client_wait(alice, subs_is_presence, &avail, 0)) != NULL)
        xmpp_stanza_release(p); /* whatever was on its way before */
    pwt_client_presence(bob, "chat", "after unsubscribe", 1);
    cr_assert_null(pwt_client_wait(alice, subs_is_presence, &avail, 3000), "no presence after unsubscribe");
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
}
