/* test_watcher_notify.c: chain notifications for IQ-route subscriptions become headline messages, acknowledged once; unknown subscriptions are item-not-found. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

/* alice subscribed to +12025550123 as sub-1 from her phone. */
static void subscribed_setup(void)
{
    tw = pwfake_watcher_new();
    pwfake_watcher_setup(tw);
    pwfake_watcher_up_to_proxy(tw, "c1", "address='+12025550123' kind='changes' duration='3600'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 3600);
    pwfake_transport_clear(tw->fake);
}

TestSuite(watcher_notify, .init = subscribed_setup, .fini = tw_teardown);

/* The last stanza is the IQ result acknowledging notification id to the proxy. */
static void assert_acked(const char *id)
{
    xmpp_stanza_t *r = pwfake_transport_last(tw->fake);
    cr_assert_str_eq(xmpp_stanza_get_name(r), "iq");
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), id);
    cr_assert_str_eq(pwfake_watcher_attr(r, "to"), "proxy.opa.example");
}

Test(watcher_notify, a_change_becomes_a_headline_to_the_bare_jid_then_the_ack)
{
    xmpp_stanza_t *m, *n, *st;
    char body[256];

    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-1' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "the headline, then the ack");
    m = pwfake_watcher_sent(tw, 0);
    cr_assert_str_eq(xmpp_stanza_get_name(m), "message");
    cr_assert_str_eq(pwfake_watcher_attr(m, "type"), "headline");
    cr_assert_str_eq(pwfake_watcher_attr(m, "from"), PWFAKE_WATCHER_CONTACT);
    cr_assert_str_eq(pwfake_watcher_attr(m, "to"), "alice@opa.example", "every resource of alice");
    cr_assert_str_eq(pw_stanza_child_text(m, "body", NULL, body, sizeof body),
                     "+1 202 555 0123 is now away: In a meeting");
    n = xmpp_stanza_get_child_by_name_and_ns(m, "notify", "urn:peerwatch:0");
    cr_assert_not_null(n);
    cr_assert_str_eq(pwfake_watcher_attr(n, "subscription"), "sub-1");
    cr_assert_null(xmpp_stanza_get_attribute(n, "ended"));
    st = xmpp_stanza_get_child_by_name_and_ns(n, "state", "urn:peerwatch:0");
    cr_assert_not_null(st);
    cr_assert_str_eq(pwfake_watcher_attr(st, "available"), "true");
    cr_assert_str_eq(pwfake_watcher_attr(st, "show"), "away");
    cr_assert_str_eq(pw_stanza_child_text(st, "status", NULL, body, sizeof body), "In a meeting");
    assert_acked("n1");
}

Test(watcher_notify, readable_bodies)
{
    static const struct { const char *state, *body; } cases[] = {
        { PWFAKE_WATCHER_STATE_OFF, "+1 202 555 0123 is now offline" },
        { "<state xmlns='urn:peerwatch:0' available='true'/>", "+1 202 555 0123 is now online" },
        { "<state xmlns='urn:peerwatch:0' available='true' show='dnd'/>", "+1 202 555 0123 is now busy (do not disturb)" },
        { "<state xmlns='urn:peerwatch:0' available='true' show='chat'/>", "+1 202 555 0123 is now free to chat" },
        { "<state xmlns='urn:peerwatch:0' available='true' show='xa'><status>gone</status></state>",
          "+1 202 555 0123 is now away for a long time: gone" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char seq[32], body[256];
        pwfake_transport_clear(tw->fake);
        snprintf(seq, sizeof seq, "subscription='sub-1' seq='%zu'", i + 1);
        pwfake_watcher_notify(tw, "n", "proxy.opa.example", seq, cases[i].state);
        cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, 0), "body", NULL, body, sizeof body), cases[i].body);
    }
}

Test(watcher_notify, duplicates_by_seq_are_acknowledged_but_not_delivered_twice)
{
    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-1' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    pwfake_watcher_notify(tw, "n2", "proxy.opa.example", "subscription='sub-1' seq='2'", PWFAKE_WATCHER_STATE_OFF);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 4);
    pwfake_watcher_notify(tw, "n3", "proxy.opa.example", "subscription='sub-1' seq='2'", PWFAKE_WATCHER_STATE_OFF);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 5, "only the ack");
    assert_acked("n3");
    pwfake_watcher_notify(tw, "n4", "proxy.opa.example", "subscription='sub-1' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 6, "an older one is not delivered either");
    assert_acked("n4");
    pwfake_watcher_notify(tw, "n5", "proxy.opa.example", "subscription='sub-1' seq='3'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 8);
    cr_assert_str_eq(xmpp_stanza_get_name(pwfake_watcher_sent(tw, 6)), "message");
}

Test(watcher_notify, unknown_subscription_is_item_not_found)
{
    char text[256];
    pwfake_watcher_notify(tw, "u1", "proxy.opa.example", "subscription='sub-9' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "no message");
    cr_assert_eq(pwfake_watcher_last_error(tw, "u1", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    cr_assert(strstr(text, "sub-9"), "%s", text);
}

/* One peer cannot speak for another (docs/protocol.md §5.2): sub-1 was made through
 * opb.example, so a notification signed by another network is refused and shown nowhere. */
Test(watcher_notify, only_the_network_a_subscription_was_made_through_may_notify_it)
{
    char text[256];
    pwfake_watcher_notify(tw, "x1", "proxy.opa.example", "network='opc.example' subscription='sub-1' seq='7'",
                          PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "no headline, only the refusal");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(tw->fake), text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert(strstr(text, "made through opb.example"), "%s", text);
    pwfake_watcher_notify(tw, "x2", "proxy.opa.example", "network='' subscription='sub-1' seq='7'",
                          PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(tw->fake), text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "still no headline");
    /* and the rightful network's next notification is still delivered: nothing was spent */
    pwfake_watcher_notify(tw, "x3", "proxy.opa.example", "network='OPB.example' subscription='sub-1' seq='7'",
                          PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_str_eq(xmpp_stanza_get_name(pwfake_watcher_sent(tw, 2)), "message");
    assert_acked("x3");
}

Test(watcher_notify, only_the_proxy_may_notify)
{
    static const char *const senders[] = { "gateway.opb.example", "alice@opa.example/phone",
                                           "proxy.opb.example", "ps1.opa.example" };
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        char text[256];
        pwfake_transport_clear(tw->fake);
        pwfake_watcher_notify(tw, "f1", senders[i], "subscription='sub-1' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
        cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "%s: only the error", senders[i]);
        cr_assert_eq(pwfake_watcher_last_error(tw, "f1", text, sizeof text), PW_ERR_FORBIDDEN);
    }
    /* and the real one still gets through with seq 1 */
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_notify(tw, "f2", "proxy.opa.example", "subscription='sub-1' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2);
}

Test(watcher_notify, ended_is_notified_and_drops_the_subscription)
{
    xmpp_stanza_t *m, *n;
    char body[256], text[256];

    pwfake_watcher_notify(tw, "e1", "proxy.opa.example", "subscription='sub-1' seq='4' ended='expired'", "");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2);
    m = pwfake_watcher_sent(tw, 0);
    cr_assert_str_eq(pwfake_watcher_attr(m, "type"), "headline");
    cr_assert_str_eq(pw_stanza_child_text(m, "body", NULL, body, sizeof body),
                     "Your subscription to +1 202 555 0123 has ended: the time you asked for is over.");
    n = xmpp_stanza_get_child_by_name_and_ns(m, "notify", "urn:peerwatch:0");
    cr_assert_str_eq(pwfake_watcher_attr(n, "subscription"), "sub-1");
    cr_assert_str_eq(pwfake_watcher_attr(n, "ended"), "expired");
    cr_assert_null(xmpp_stanza_get_child_by_name(n, "state"));
    assert_acked("e1");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
    pwfake_watcher_notify(tw, "e2", "proxy.opa.example", "subscription='sub-1' seq='5'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_watcher_last_error(tw, "e2", text, sizeof text), PW_ERR_ITEM_NOT_FOUND, "gone after its end");
}

Test(watcher_notify, every_reason_is_told_in_words)
{
    static const struct {
        const char *reason, *state, *body;
    } cases[] = {
        { "stopped", "", "Your subscription to +1 202 555 0123 has ended: it was stopped at your request." },
        { "revoked", "", "Your subscription to +1 202 555 0123 has ended: +1 202 555 0123 no longer "
                         "shares their presence with you." },
        { "presentity-gone", "", "Your subscription to +1 202 555 0123 has ended: +1 202 555 0123 is "
                                 "no longer a subscriber of their operator." },
        { "fulfilled", "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>Walking the "
                       "dog</status></state>",
          "+1 202 555 0123 is now away: Walking the dog\nYour subscription to +1 202 555 0123 has "
          "ended: that was the change you were waiting for." },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char attrs[128], body[512];
        pwfake_watcher_up_to_proxy(tw, "c", "address='+12025550123' kind='next'");
        pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-r", 60);
        pwfake_transport_clear(tw->fake);
        snprintf(attrs, sizeof attrs, "subscription='sub-r' seq='1' ended='%s'", cases[i].reason);
        pwfake_watcher_notify(tw, "e", "proxy.opa.example", attrs, cases[i].state);
        cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, 0), "body", NULL, body, sizeof body),
                         cases[i].body);
        assert_acked("e");
    }
}

Test(watcher_notify, malformed_notifications_are_bad_request)
{
    static const struct { const char *attrs, *inner, *word; } cases[] = {
        { "seq='1'", PWFAKE_WATCHER_STATE_AWAY, "'subscription'" },
        { "subscription='sub-1'", PWFAKE_WATCHER_STATE_AWAY, "'seq'" },
        { "subscription='sub-1' seq='0'", PWFAKE_WATCHER_STATE_AWAY, "'seq'" },
        { "subscription='sub-1' seq='x'", PWFAKE_WATCHER_STATE_AWAY, "'seq'" },
        { "subscription='sub-1' seq='1' ended='bored'", "", "'ended'" },
        { "subscription='sub-1' seq='1'", "", "<state/>" },
        { "subscription='sub-1' seq='1'", "<state xmlns='urn:peerwatch:0' available='maybe'/>", "<state/>" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        pwfake_transport_clear(tw->fake);
        pwfake_watcher_notify(tw, "m", "proxy.opa.example", cases[i].attrs, cases[i].inner);
        cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "case %zu", i);
        cr_assert_eq(pwfake_watcher_last_error(tw, "m", text, sizeof text), PW_ERR_BAD_REQUEST, "case %zu", i);
        cr_assert(strstr(text, cases[i].word), "case %zu: %s", i, text);
    }
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}

Test(watcher_notify, a_jid_presentity_is_shown_unescaped)
{
    char body[256];
    pwfake_watcher_up_to_proxy(tw, "c", "address='bob@opb.example' kind='next'");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-j", 60);
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_notify(tw, "j", "proxy.opa.example", "subscription='sub-j' seq='1'", PWFAKE_WATCHER_STATE_OFF);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 0), "from"), "bob\\40opb.example@" PWFAKE_WATCHER_JID);
    cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, 0), "body", NULL, body, sizeof body),
                     "bob@opb.example is now offline");
}
