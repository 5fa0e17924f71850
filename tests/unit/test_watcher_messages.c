/* test_watcher_messages.c: a chat message to a contact JID or to the WA is answered with a
 * service-unavailable error whose text says what the address is for, never dropped in silence
 * (docs/protocol.md §6; RFC 6121 §8.5.2). */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_messages, .init = tw_setup, .fini = tw_teardown);

/* Deliver xml and return the error text of the one answer (condition in *cond). */
static void answer_of(const char *xml, pw_error_t *cond, char *text, size_t cap)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    xmpp_stanza_t *m;

    pwfake_watcher_deliver(tw, "%s", xml);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 1, "one answer");
    m = pwfake_watcher_sent(tw, mark);
    cr_assert_str_eq(xmpp_stanza_get_name(m), "message");
    cr_assert_str_eq(xmpp_stanza_get_type(m), "error");
    cr_assert_str_eq(xmpp_stanza_get_id(m), "m1");
    cr_assert_str_eq(xmpp_stanza_get_to(m), "alice@opa.example/phone", "back to the sending resource");
    *cond = pw_stanza_error_parse(m, text, cap);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0, "nothing asked of the HSS or the proxy");
}

Test(watcher_messages, every_chat_or_normal_message_is_answered_with_what_the_address_is_for)
{
    static const struct {
        const char *type_attr, *to, *text;
    } cases[] = {
        /* a number contact: exactly this text */
        { "type='chat'", "+12025550123@watcher.opa.example",
          "+1 202 555 0123 is a presence contact: it shows that person's presence and cannot carry messages" },
        /* a JID contact, no type (normal) */
        { "", "bob\\40opb.example@watcher.opa.example", "bob@opb.example is a presence contact" },
        /* a typo: the address forms */
        { "type='chat'", "hello@watcher.opa.example", "'hello' is not a phone number or an XMPP address" },
        /* the WA itself: how to use it */
        { "type='chat'", "watcher.opa.example", "such as +12025550123@watcher.opa.example" },
        { "type='groupchat'", "watcher.opa.example", "run its command 'Ask about a number'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char xml[512], text[1024];
        pw_error_t cond;
        snprintf(xml, sizeof xml, "<message %s id='m1' from='alice@opa.example/phone' to='%s'>"
                 "<body>hi</body></message>", cases[i].type_attr, cases[i].to);
        answer_of(xml, &cond, text, sizeof text);
        cr_assert_eq(cond, PW_ERR_SERVICE_UNAVAILABLE, "to %s", cases[i].to);
        cr_assert_not_null(strstr(text, cases[i].text), "to %s: %s", cases[i].to, text);
    }
}

Test(watcher_messages, headlines_and_errors_get_no_answer)
{
    size_t mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_deliver(tw, "<message type='headline' from='alice@opa.example' "
                               "to='+12025550123@watcher.opa.example'><body>x</body></message>");
    pwfake_watcher_deliver(tw, "<message type='error' from='alice@opa.example' "
                               "to='+12025550123@watcher.opa.example'><error type='cancel'>"
                               "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                               "</error></message>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "never an error to an error (RFC 6120 §8.3.1)");
}
