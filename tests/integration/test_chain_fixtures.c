/* test_chain_fixtures.c: every fixture row of the two-operator trial gets its expected answer
 * through the real chain (watcher, proxy, gateway, HSS, presence server on two Prosody servers). */
#include "chain_util.h"

#include <string.h>

TestSuite(fixtures, .timeout = 120);

Test(fixtures, alice_sees_bob_who_approved_her)
{
    pwt_client_t *bob = chain_login("bob"), *alice = chain_login("alice");
    xmpp_stanza_t *r, *st;
    char status[64];

    chain_present(bob, "away", "In a meeting", 5);
    r = chain_enquire(alice, "address='+1 202 555 0123' kind='current'");
    st = chain_state(r);
    cr_assert_str_eq(chain_attr(st, "available"), "true");
    cr_assert_str_eq(chain_attr(st, "show"), "away");
    cr_assert_str_eq(pw_stanza_child_text(st, "status", NULL, status, sizeof status), "In a meeting");
    cr_assert_str_eq(chain_attr(xmpp_stanza_get_child_by_name(r, "enquiry"), "address"), "+12025550123",
                     "the result carries the normalised address");
    xmpp_stanza_release(r);

    /* bob goes offline: the next answer says so */
    pwt_client_destroy(bob);
    pwt_client_run(alice, 500);
    r = chain_enquire(alice, "address='+12025550123' kind='current'");
    cr_assert_str_eq(chain_attr(chain_state(r), "available"), "false");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}

/* user is present with show (and status); alice's enquiry (attrs) sees that show. */
static void alice_sees_show(const char *user, const char *show, const char *status, int priority,
                            const char *attrs)
{
    pwt_client_t *who = chain_login(user), *alice = chain_login("alice");
    xmpp_stanza_t *r;
    chain_present(who, show, status, priority);
    r = chain_enquire(alice, attrs);
    cr_assert_str_eq(chain_attr(chain_state(r), "show"), show);
    xmpp_stanza_release(r);
    pwt_client_destroy(who);
    pwt_client_destroy(alice);
}

Test(fixtures, bob_by_his_escaped_jid)
{
    alice_sees_show("bob", "dnd", NULL, 0, "address='bob\\40opb.example' kind='current'");
}

Test(fixtures, erin_has_not_approved_and_is_asked_once)
{
    pwt_client_t *erin = chain_login("erin"), *alice = chain_login("alice");
    xmpp_stanza_t *r, *ask;
    char text[512];
    const char *from;

    chain_present(erin, NULL, NULL, 0);
    r = chain_enquire(alice, "address='+12025550124' kind='current'");
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED, "text: %s", text);
    cr_assert_neq(text[0], '\0', "a readable text");
    xmpp_stanza_release(r);

    /* erin's own client is asked, as for any contact */
    ask = pwt_client_wait(erin, chain_is_subscribe, NULL, 10000);
    cr_assert_not_null(ask, "erin receives a subscription request");
    cr_assert_str_eq(chain_attr(ask, "type"), "subscribe");
    from = chain_attr(ask, "from");
    cr_assert_str_eq(from, "+447700900001@watcher.opb.example");
    xmpp_stanza_release(ask);

    /* asking again does not ask erin again */
    r = chain_enquire(alice, "address='+12025550124' kind='current'");
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    xmpp_stanza_release(r);
    ask = pwt_client_wait(erin, chain_is_subscribe, NULL, 1500);
    cr_assert_null(ask, "the approval request is sent once");
    pwt_client_destroy(erin);
    pwt_client_destroy(alice);
}

Test(fixtures, frank_declined)
{
    char text[512];
    cr_assert_eq(chain_refused("alice", "address='+12025550125' kind='current'", text, sizeof text),
                 PW_ERR_FORBIDDEN, "text: %s", text);
}

Test(fixtures, grace_ported_to_b_is_found_through_enum)
{
    /* +447700900050 matches the prefix +4477009 of operator A; only ENUM says opb.example.
     * Routed by the prefix it would reach A's HSS and get item-not-found. */
    alice_sees_show("grace", "chat", "Free to talk", 1, "address='+447700900050' kind='current'");
}

Test(fixtures, carol_has_no_credit)
{
    char text[512];
    cr_assert_eq(chain_refused("carol", "address='+12025550123' kind='current'", text, sizeof text),
                 PW_ERR_PAYMENT_REQUIRED, "text: %s", text);
}

Test(fixtures, dave_is_barred)
{
    char text[512];
    cr_assert_eq(chain_refused("dave", "address='+12025550123' kind='current'", text, sizeof text),
                 PW_ERR_FORBIDDEN, "text: %s", text);
}

Test(fixtures, unallocated_number)
{
    char text[512];
    cr_assert_eq(chain_refused("alice", "address='+12025550199' kind='current'", text, sizeof text),
                 PW_ERR_ITEM_NOT_FOUND, "text: %s", text);
    cr_assert(strstr(text, "+12025550199"), "the text names the number: %s", text);
}
