/* test_watcher_roster_malformed.c: a contact JID whose node is no address (a typo) gets a refusal
 * that says what a contact JID looks like, never silence (DESIGN.md §2, §3). */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_roster_malformed, .init = tw_setup, .fini = tw_teardown);

Test(watcher_roster_malformed, a_subscribe_is_answered_unsubscribed_with_the_reason)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    xmpp_stanza_t *p;
    char text[1024];

    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='alice@opa.example/phone' "
                               "to='hello@watcher.opa.example'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 2, "the error and 'unsubscribed', no enquiry");
    p = pwfake_watcher_sent(tw, mark);
    cr_assert_str_eq(xmpp_stanza_get_type(p), "error", "first the error a client prints");
    cr_assert_str_eq(xmpp_stanza_get_from(p), "hello@watcher.opa.example");
    cr_assert_str_eq(xmpp_stanza_get_to(p), "alice@opa.example");
    cr_assert_eq(pw_stanza_error_parse(p, text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert_not_null(strstr(text, "'hello' is not a phone number or an XMPP address"), "%s", text);
    p = pwfake_watcher_sent(tw, mark + 1);
    cr_assert_str_eq(xmpp_stanza_get_name(p), "presence");
    cr_assert_str_eq(xmpp_stanza_get_type(p), "unsubscribed");
    cr_assert_str_eq(xmpp_stanza_get_from(p), "hello@watcher.opa.example");
    cr_assert_str_eq(xmpp_stanza_get_to(p), "alice@opa.example");
    cr_assert_not_null(pw_stanza_child_text(p, "status", NULL, text, sizeof text));
    cr_assert_not_null(strstr(text, "'hello' is not a phone number or an XMPP address"), "%s", text);
    cr_assert_not_null(strstr(text, "+"), "the text shows the number form: %s", text);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0, "nothing asked of the HSS or the proxy");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}

Test(watcher_roster_malformed, a_probe_gets_jid_malformed_with_a_text)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    xmpp_stanza_t *p;
    char text[1024];

    pwfake_watcher_deliver(tw, "<presence type='probe' id='pr1' from='alice@opa.example' "
                               "to='12-34@watcher.opa.example'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 1);
    p = pwfake_watcher_sent(tw, mark);
    cr_assert_str_eq(xmpp_stanza_get_name(p), "presence");
    cr_assert_str_eq(xmpp_stanza_get_type(p), "error");
    cr_assert_str_eq(xmpp_stanza_get_id(p), "pr1");
    cr_assert_eq(pw_stanza_error_parse(p, text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert_not_null(strstr(text, "'12-34' is not a phone number"), "%s", text);
}

Test(watcher_roster_malformed, presence_to_the_watcher_itself_or_unavailable_stays_unanswered)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='alice@opa.example' to='watcher.opa.example'/>");
    pwfake_watcher_deliver(tw, "<presence type='unavailable' from='alice@opa.example/x' to='hello@watcher.opa.example'/>");
    pwfake_watcher_deliver(tw, "<presence from='alice@opa.example/x' to='hello@watcher.opa.example'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark,
                 "the domain is no contact; available/unavailable presence asks nothing");
}
