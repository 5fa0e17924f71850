/* test_watcher_gateway.c: XEP-0100 jabber:iq:gateway (prompt, number -> contact JID) and the WA's XEP-0030 identity and features. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_gateway, .init = tw_setup, .fini = tw_teardown);

#define NS_GW "jabber:iq:gateway"

/* Send a jabber:iq:gateway set with this prompt; returns the answer. */
static xmpp_stanza_t *gateway_set(const char *prompt)
{
    pwfake_watcher_deliver(tw, "<iq type='set' id='gs' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<query xmlns='" NS_GW "'><prompt>%s</prompt></query></iq>", prompt);
    return pwfake_transport_last(tw->fake);
}

Test(watcher_gateway, get_gives_the_description_and_prompt)
{
    xmpp_stanza_t *r, *q;
    char buf[256];
    pwfake_watcher_deliver(tw, "<iq type='get' id='gg' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'><query xmlns='" NS_GW "'/></iq>");
    r = pwfake_transport_last(tw->fake);
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), "gg");
    q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_GW);
    cr_assert_not_null(q);
    cr_assert_str_eq(pw_stanza_child_text(q, "prompt", NULL, buf, sizeof buf), "Phone number or address");
    cr_assert_neq(pw_stanza_child_text(q, "desc", NULL, buf, sizeof buf)[0], '\0');
}

Test(watcher_gateway, set_turns_a_number_or_address_into_a_contact_jid)
{
    static const struct { const char *prompt, *jid; } cases[] = {
        { "+1 202 555 0123", "+12025550123@" PWFAKE_WATCHER_JID },
        { "+1 (202) 555-0123", "+12025550123@" PWFAKE_WATCHER_JID },
        { "07700 900123", "+447700900123@" PWFAKE_WATCHER_JID },
        { "bob@opb.example", "bob\\40opb.example@" PWFAKE_WATCHER_JID },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xmpp_stanza_t *r = gateway_set(cases[i].prompt), *q;
        char buf[256];
        cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result", "case %zu", i);
        q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_GW);
        cr_assert_not_null(q);
        cr_assert_str_eq(pw_stanza_child_text(q, "jid", NULL, buf, sizeof buf), cases[i].jid);
    }
}

Test(watcher_gateway, set_with_a_bad_number_is_jid_malformed)
{
    static const char *const bad[] = { "12", "call me", "", "+1 202 555 0123 4567 8901" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        gateway_set(bad[i]);
        cr_assert_eq(pwfake_watcher_last_error(tw, "gs", text, sizeof text), PW_ERR_JID_MALFORMED, "prompt '%s'", bad[i]);
        cr_assert(strstr(text, "+12025550123"), "%s", text);
    }
    pwfake_watcher_deliver(tw, "<iq type='set' id='gs' from='alice@opa.example/phone'><query xmlns='" NS_GW "'/></iq>");
    cr_assert_eq(pwfake_watcher_last_error(tw, "gs", NULL, 0), PW_ERR_JID_MALFORMED, "no prompt at all");
}

Test(watcher_gateway, disco_identity_is_gateway_with_the_peerwatch_features)
{
    xmpp_stanza_t *q, *c;
    int peerwatch = 0, gateway = 0;
    pwfake_watcher_deliver(tw, "<iq type='get' id='di' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = pw_stanza_payload(pwfake_transport_last(tw->fake));
    cr_assert_not_null(q);
    c = xmpp_stanza_get_child_by_name(q, "identity");
    cr_assert_str_eq(pwfake_watcher_attr(c, "category"), "gateway");
    cr_assert_str_eq(pwfake_watcher_attr(c, "type"), "pstn");
    for (c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        peerwatch |= strcmp(pwfake_watcher_attr(c, "var"), "urn:peerwatch:0") == 0;
        gateway |= strcmp(pwfake_watcher_attr(c, "var"), NS_GW) == 0;
    }
    cr_assert(peerwatch && gateway);
}

Test(watcher_gateway, contact_jid_helper)
{
    pw_address_t a;
    char out[64], small[10];
    cr_assert_eq(pw_address_parse("+12025550123", NULL, &a), PW_OK);
    cr_assert_eq(pw_watcher_contact_jid(&a, PWFAKE_WATCHER_JID, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "+12025550123@" PWFAKE_WATCHER_JID);
    cr_assert_eq(pw_watcher_contact_jid(&a, PWFAKE_WATCHER_JID, small, sizeof small), PW_ERANGE);
    cr_assert_str_eq(small, "");
    cr_assert_eq(pw_watcher_contact_jid(&a, "not a domain", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_watcher_contact_jid(NULL, PWFAKE_WATCHER_JID, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_address_parse("bob@opb.example", NULL, &a), PW_OK);
    cr_assert_eq(pw_watcher_contact_jid(&a, PWFAKE_WATCHER_JID, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "bob\\40opb.example@" PWFAKE_WATCHER_JID);
}
