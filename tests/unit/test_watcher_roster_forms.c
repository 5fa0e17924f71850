/* test_watcher_roster_forms.c: a number contact added in another form than its contact JID
 * (national, dashes) is refused with a status naming the contact JID to add, never a live
 * subscription whose presence comes from an address the client does not show (docs/protocol.md §6). */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup (country code 44) and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_roster_forms, .init = tw_setup, .fini = tw_teardown);

/* Deliver a presence of alice to `to` and return the last of the `answers` stanzas answered. */
static xmpp_stanza_t *answer_to(const char *type, const char *to, size_t answers)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='%s' id='f1' from='alice@opa.example/phone' to='%s'/>", type, to);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + answers, "%zu answer(s) to the %s of %s", answers,
                 type, to);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0, "no enquiry, nothing charged");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0, "no roster item");
    return pwfake_watcher_sent(tw, mark + answers - 1);
}

Test(watcher_roster_forms, a_subscribe_names_the_contact_jid_to_add)
{
    static const struct {
        const char *to, *status;
    } cases[] = {
        { "+1-202-555-0123@watcher.opa.example",
          "'+1-202-555-0123' is +1 202 555 0123: add it as +12025550123@watcher.opa.example, the one "
          "address its presence comes from" },
        { "07700900001@watcher.opa.example",
          "'07700900001' is +44 7700900001: add it as +447700900001@watcher.opa.example, the one "
          "address its presence comes from" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xmpp_stanza_t *p = answer_to("subscribe", cases[i].to, 2); /* the error, then this */
        char status[512];
        cr_assert_eq(pw_stanza_error_parse(pwfake_watcher_sent(tw, pwfake_transport_sent_count(tw->fake) - 2),
                                           status, sizeof status), PW_ERR_JID_MALFORMED);
        cr_assert_str_eq(status, cases[i].status, "the error a client prints says the same");
        cr_assert_str_eq(xmpp_stanza_get_type(p), "unsubscribed");
        cr_assert_str_eq(xmpp_stanza_get_from(p), cases[i].to, "from the JID the user added");
        cr_assert_str_eq(xmpp_stanza_get_to(p), "alice@opa.example");
        cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, status, sizeof status), cases[i].status);
    }
}

Test(watcher_roster_forms, a_probe_gets_jid_malformed_naming_the_contact_jid)
{
    xmpp_stanza_t *p = answer_to("probe", "+1-202-555-0123@watcher.opa.example", 1);
    char text[512];
    cr_assert_str_eq(xmpp_stanza_get_type(p), "error");
    cr_assert_str_eq(xmpp_stanza_get_id(p), "f1");
    cr_assert_eq(pw_stanza_error_parse(p, text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert_not_null(strstr(text, "add it as +12025550123@watcher.opa.example"), "%s", text);
}

Test(watcher_roster_forms, removing_the_other_form_leaves_the_contact_jid_item_alone)
{
    xmpp_stanza_t *p;
    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 86400);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='unsubscribe' from='alice@opa.example' to='+1-202-555-0123@watcher.opa.example'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "only the confirmation, no stop");
    p = pwfake_watcher_sent(tw, 0);
    cr_assert_str_eq(xmpp_stanza_get_type(p), "unsubscribed");
    cr_assert_str_eq(xmpp_stanza_get_from(p), "+1-202-555-0123@watcher.opa.example");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1, "the item under the contact JID stays");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}
