/* test_watcher_approval.c: approval requests from the own presence servers become subscribe presences from the watcher's contact JID. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_approval, .init = tw_setup, .fini = tw_teardown);

#define APPROVAL(from, attrs)                                                                   \
    pwfake_watcher_deliver(tw, "<iq type='set' id='ap1' from='" from "' to='" PWFAKE_WATCHER_JID "'>"                        \
               "<approval xmlns='urn:peerwatch:chain:1' " attrs "/></iq>")

#define GOOD "presentity='bob@opa.example' watcher-msisdn='+12025550123' watcher-jid='bob@opb.example'"

Test(watcher_approval, approval_sends_a_subscribe_from_the_contact_jid_then_result)
{
    xmpp_stanza_t *p, *r, *nick;
    char buf[256];
    APPROVAL("ps2.opa.example", GOOD);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "the presence, then the result");
    p = pwfake_transport_sent(tw->fake, 0);
    cr_assert_str_eq(xmpp_stanza_get_name(p), "presence");
    cr_assert_str_eq(pwfake_watcher_attr(p, "type"), "subscribe");
    cr_assert_str_eq(pwfake_watcher_attr(p, "from"), "+12025550123@" PWFAKE_WATCHER_JID);
    cr_assert_str_eq(pwfake_watcher_attr(p, "to"), "bob@opa.example");
    nick = xmpp_stanza_get_child_by_name_and_ns(p, "nick", "http://jabber.org/protocol/nick");
    cr_assert_not_null(nick);
    cr_assert_str_eq(pw_stanza_child_text(p, "nick", "http://jabber.org/protocol/nick", buf, sizeof buf),
                     "+12025550123 (bob@opb.example)");
    cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, buf, sizeof buf),
                     "+12025550123 (bob@opb.example, operator opb.example) asks to see your presence.");
    r = pwfake_transport_sent(tw->fake, 1);
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), "ap1");
    cr_assert_str_eq(pwfake_watcher_attr(r, "to"), "ps2.opa.example");
}

Test(watcher_approval, approval_from_anyone_but_a_presence_server_is_forbidden)
{
    char text[256];
    APPROVAL("ps3.opa.example", GOOD);
    cr_assert_eq(pwfake_watcher_last_error(tw, "ap1", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "no presence was sent");
    APPROVAL("alice@opa.example/phone", GOOD);
    cr_assert_eq(pwfake_watcher_last_error(tw, "ap1", text, sizeof text), PW_ERR_FORBIDDEN);
    APPROVAL("ps1.opb.example", GOOD);
    cr_assert_eq(pwfake_watcher_last_error(tw, "ap1", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 3);
}

Test(watcher_approval, malformed_approval_is_bad_request_naming_the_attribute)
{
    static const struct { const char *attrs, *word; } cases[] = {
        { "watcher-msisdn='+12025550123' watcher-jid='bob@opb.example'", "'presentity'" },
        { "presentity='opa.example' watcher-msisdn='+12025550123' watcher-jid='bob@opb.example'", "'presentity'" },
        { "presentity='bob@opa.example/r' watcher-msisdn='+12025550123' watcher-jid='bob@opb.example'", "'presentity'" },
        { "presentity='bob@opa.example' watcher-msisdn='12025550123' watcher-jid='bob@opb.example'", "'watcher-msisdn'" },
        { "presentity='bob@opa.example' watcher-jid='bob@opb.example'", "'watcher-msisdn'" },
        { "presentity='bob@opa.example' watcher-msisdn='+12025550123'", "'watcher-jid'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        pwfake_transport_clear(tw->fake);
        pwfake_watcher_deliver(tw, "<iq type='set' id='m' from='ps1.opa.example'>"
                               "<approval xmlns='urn:peerwatch:chain:1' %s/></iq>", cases[i].attrs);
        pwfake_watcher_expect_refusal(tw, "m", PW_ERR_BAD_REQUEST, cases[i].word, cases[i].attrs, text, sizeof text);
    }
}

Test(watcher_approval, a_decision_is_reported_to_the_presence_servers)
{
    /* bob's answer to the subscription request: his server records it in his roster; each
     * presence server is told, so that the one holding the watcher's pending subscription
     * reads that roster now */
    static const char *const types[] = { "subscribed", "unsubscribed" };
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *iq, *el;
        pwfake_transport_clear(tw->fake);
        pwfake_watcher_deliver(tw, "<presence type='%s' from='bob@opa.example' to='+12025550123@" PWFAKE_WATCHER_JID "'/>",
                               types[i]);
        cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "one report per presence server (ps1, ps2)");
        for (size_t k = 0; k < 2; k++) {
            iq = pwfake_watcher_sent(tw, k);
            cr_assert_str_eq(pwfake_watcher_attr(iq, "to"), k == 0 ? "ps1.opa.example" : "ps2.opa.example");
            el = xmpp_stanza_get_child_by_name_and_ns(iq, "decided", "urn:peerwatch:chain:1");
            cr_assert_not_null(el, "a <decided/> after '%s'", types[i]);
            cr_assert_str_eq(pwfake_watcher_attr(el, "presentity"), "bob@opa.example");
            cr_assert_str_eq(pwfake_watcher_attr(el, "watcher-msisdn"), "+12025550123");
        }
    }
    /* from someone else's user: nothing */
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='subscribed' from='mallory@evil.example' to='+12025550123@" PWFAKE_WATCHER_JID "'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 0, "only users of the WA's domain decide");
}

Test(watcher_approval, plain_presence_sends_nothing)
{
    /* plain presence (a probe to a malformed contact JID is refused: test_watcher_roster_malformed) */
    pwfake_watcher_deliver(tw, "<presence from='alice@opa.example/x' to='+12025550123@" PWFAKE_WATCHER_JID "'/>");
    pwfake_watcher_deliver(tw, "<presence from='alice@opa.example/x' to='" PWFAKE_WATCHER_JID "'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 0);
}
