/* test_watcher_roster.c: the roster route (RFC 6121): subscribe, pending approval, unsubscribe, probe, and notifications as presence. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

static void roster_setup(void)
{
    tw = pwfake_watcher_new();
    pwfake_watcher_start(tw, "country_code = 44\npending_retry = 5s\n");
}

TestSuite(watcher_roster, .init = roster_setup, .fini = tw_teardown);

#define SUBSCRIBE "<presence type='subscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>"

/* alice subscribes and the enquiry passes the HSS to the proxy: @return how many stanzas were sent so far */
static size_t subscribe_to_the_proxy(void)
{
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    pwfake_watcher_hss_then_proxy(tw);
    return pwfake_transport_sent_count(tw->fake);
}

Test(watcher_roster, subscribe_makes_a_changes_enquiry_then_subscribed_and_presence)
{
    xmpp_stanza_t *e, *p;
    char buf[64];
    size_t mark;

    pwfake_watcher_deliver(tw, SUBSCRIBE);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_last_request(tw, "hss.opa.example", "get"), "jid"), "alice@opa.example",
                     "the HSS and credit checks apply");
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    cr_assert_str_eq(pwfake_watcher_attr(e, "duration"), "86400", "roster_duration defaults to 1d");
    cr_assert_str_eq(pwfake_watcher_attr(e, "presentity"), "+12025550123");
    cr_assert_str_eq(pwfake_watcher_attr(e, "watcher-jid"), "alice@opa.example");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 86400);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 2, "subscribed, then the state");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "subscribed");
    p = pwfake_watcher_sent(tw, mark + 1);
    pwfake_watcher_assert_presence(p, NULL);
    cr_assert_str_eq(pw_stanza_child_text(p, "show", NULL, buf, sizeof buf), "away");
    cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, buf, sizeof buf), "In a meeting");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
}

Test(watcher_roster, an_offline_presentity_is_unavailable_presence)
{
    size_t mark;
    mark = subscribe_to_the_proxy();
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_OFF, "sub-1", 86400);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "subscribed");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), "unavailable");
}

Test(watcher_roster, a_second_subscribe_is_answered_without_a_new_enquiry)
{
    size_t mark;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 86400);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 1);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "subscribed");
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
}

Test(watcher_roster, a_refused_request_is_retried_with_backoff_under_the_same_ref)
{
    /* subscription-required from a PS that does not hold requests for the decision */
    size_t mark;
    char ref[300];
    xmpp_stanza_t *e;
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "await-approval"), "true", "the PS may hold it for her decision");
    snprintf(ref, sizeof ref, "%s", pwfake_watcher_attr(e, "ref"));
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "bob was asked to approve you");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "nothing to alice while pending");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
    pwfake_watcher_advance(tw, 4999);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "not before pending_retry");
    pwfake_watcher_advance(tw, 1);
    pwfake_watcher_last_request(tw, "hss.opa.example", "get");
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    cr_assert_str_eq(pwfake_watcher_attr(e, "ref"), ref, "a retry repeats the ref: not charged again");
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "still waiting");
    pwfake_watcher_advance(tw, 9999);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "the second retry waits twice as long");
    pwfake_watcher_advance(tw, 1);
    pwfake_watcher_hss_then_proxy(tw);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_AWAY, "sub-1", 86400);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "subscribed");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), NULL);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
}

Test(watcher_roster, pending_then_forbidden_is_unsubscribed)
{
    size_t mark;
    char buf[256];
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "bob was asked to approve you");
    pwfake_watcher_advance(tw, 5000);
    pwfake_watcher_hss_then_proxy(tw);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_error(tw, "forbidden", "auth", "bob declined");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 2, "the error and unsubscribed (never approved)");
    cr_assert_eq(pw_stanza_error_parse(pwfake_watcher_sent(tw, mark), buf, sizeof buf), PW_ERR_FORBIDDEN);
    cr_assert_str_eq(buf, "bob declined");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), "unsubscribed");
    cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, mark + 1), "status", NULL, buf, sizeof buf), "bob declined");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
    pwfake_watcher_advance(tw, 60000);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 2, "no more retries");
}

Test(watcher_roster, transient_failures_are_retried_and_permanent_ones_unsubscribed)
{
    size_t mark;
    char buf[256];
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_advance(tw, 20000); /* the proxy never answers */
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 1, "a timeout is retried");
    pwfake_watcher_advance(tw, 5000);
    pwfake_watcher_hss_then_proxy(tw);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_proxy_error(tw, "item-not-found", "cancel", "+12025550123 is not allocated");
    cr_assert_eq(pw_stanza_error_parse(pwfake_watcher_sent(tw, mark), buf, sizeof buf), PW_ERR_ITEM_NOT_FOUND,
                 "the refusal as an error a client prints");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), "unsubscribed");
    cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, mark + 1), "status", NULL, buf, sizeof buf),
                     "+12025550123 is not allocated");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}

Test(watcher_roster, a_watcher_without_credit_is_unsubscribed)
{
    size_t mark;
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_hss_subscriber(tw, "+447700900001", "alice@opa.example", "active", "prepaid", "0");
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_watcher_sent(tw, mark)), "error");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), "unsubscribed");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}

Test(watcher_roster, unsubscribe_stops_at_the_ps_and_answers_unsubscribed)
{
    size_t mark;
    xmpp_stanza_t *e;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 86400);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='unsubscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "unsubscribed");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), "unavailable");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "stop");
    cr_assert_str_eq(pwfake_watcher_attr(e, "subscription"), "sub-1", "only the roster subscription");
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "");
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
}

Test(watcher_roster, unsubscribed_from_the_user_ends_it_too)
{
    size_t mark;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 86400);
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_deliver(tw, "<presence type='unsubscribed' from='alice@opa.example/x' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "unsubscribed");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_hss_then_proxy(tw), "kind"), "stop");
}

Test(watcher_roster, unsubscribe_while_the_request_runs_stops_what_it_made)
{
    xmpp_stanza_t *e;
    pwfake_watcher_deliver(tw, SUBSCRIBE);
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_deliver(tw, "<presence type='unsubscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_assert_presence(pwfake_transport_last(tw->fake), "unsubscribed");
    /* the answer to the first request arrives: its proxy request is the one before last */
    {
        char inner[1024], t[64], id[128];
        snprintf(id, sizeof id, "%s", pwfake_watcher_attr(pwfake_watcher_sent(tw, pwfake_transport_sent_count(tw->fake) - 2), "id"));
        snprintf(inner, sizeof inner, "<enquiry xmlns='urn:peerwatch:chain:1'>" PWFAKE_WATCHER_STATE_AWAY
                 "<subscription xmlns='urn:peerwatch:0' id='sub-late' expires='%s'/></enquiry>",
                 pwfake_watcher_time_in(tw, 600, t, sizeof t));
        pwfake_watcher_deliver(tw, "<iq type='result' id='%s' from='proxy.opa.example' to='" PWFAKE_WATCHER_JID "'>%s</iq>", id, inner);
    }
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "stop");
    cr_assert_str_eq(pwfake_watcher_attr(e, "subscription"), "sub-late");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 0);
}

Test(watcher_roster, unsubscribe_without_a_subscription_is_acknowledged)
{
    pwfake_watcher_deliver(tw, "<presence type='unsubscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 0), "unsubscribed");
}

Test(watcher_roster, probe_is_a_current_enquiry_answered_with_presence)
{
    xmpp_stanza_t *e, *p;
    char buf[64];
    pwfake_watcher_deliver(tw, "<presence type='probe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    e = pwfake_watcher_hss_then_proxy(tw);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "current");
    pwfake_watcher_proxy_state(tw, "<state xmlns='urn:peerwatch:0' available='true' show='dnd'/>");
    p = pwfake_transport_last(tw->fake);
    pwfake_watcher_assert_presence(p, NULL);
    cr_assert_str_eq(pw_stanza_child_text(p, "show", NULL, buf, sizeof buf), "dnd");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0, "a probe keeps nothing");

    pwfake_watcher_deliver(tw, "<presence type='probe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_state(tw, PWFAKE_WATCHER_STATE_OFF);
    pwfake_watcher_assert_presence(pwfake_transport_last(tw->fake), "unavailable");
}

Test(watcher_roster, a_failed_probe_is_unavailable_presence)
{
    char buf[256];
    pwfake_watcher_deliver(tw, "<presence type='probe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_hss_then_proxy(tw);
    pwfake_watcher_proxy_error(tw, "forbidden", "auth", "bob declined");
    pwfake_watcher_assert_presence(pwfake_transport_last(tw->fake), "unavailable");
    cr_assert_str_eq(pw_stanza_child_text(pwfake_transport_last(tw->fake), "status", NULL, buf, sizeof buf),
                     "bob declined");
}

Test(watcher_roster, notifications_become_presence)
{
    xmpp_stanza_t *p;
    char buf[64];
    pwfake_watcher_roster_subscribed(tw, "sub-1", 86400);
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-1' seq='1'",
              "<state xmlns='urn:peerwatch:0' available='true' show='xa'><status>zzz</status></state>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 2, "presence, then the ack");
    p = pwfake_watcher_sent(tw, 0);
    pwfake_watcher_assert_presence(p, NULL);
    cr_assert_str_eq(pw_stanza_child_text(p, "show", NULL, buf, sizeof buf), "xa");
    cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, buf, sizeof buf), "zzz");
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 1), "type"), "result");
    pwfake_watcher_notify(tw, "n2", "proxy.opa.example", "subscription='sub-1' seq='2'", PWFAKE_WATCHER_STATE_OFF);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 2), "unavailable");
    pwfake_watcher_notify(tw, "n3", "proxy.opa.example", "subscription='sub-1' seq='2'", PWFAKE_WATCHER_STATE_OFF);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 5, "a duplicate is only acknowledged");
}

Test(watcher_roster, revoked_or_gone_is_unsubscribed)
{
    static const char *const reasons[] = { "revoked", "presentity-gone" };
    for (size_t i = 0; i < 2; i++) {
        char attrs[128], text[256];
        pwfake_watcher_roster_subscribed(tw, "sub-1", 86400);
        pwfake_transport_clear(tw->fake);
        snprintf(attrs, sizeof attrs, "subscription='sub-1' seq='1' ended='%s'", reasons[i]);
        pwfake_watcher_notify(tw, "r1", "proxy.opa.example", attrs, "");
        pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 0), "unsubscribed");
        pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, 1), "unavailable");
        cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 2), "type"), "result");
        cr_assert_eq(pwfake_transport_sent_count(tw->fake), 3, "nothing is stopped: it ended already");
        cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
        pwfake_watcher_notify(tw, "r2", "proxy.opa.example", "subscription='sub-1' seq='2'", PWFAKE_WATCHER_STATE_OFF);
        cr_assert_eq(pwfake_watcher_last_error(tw, "r2", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    }
}

Test(watcher_roster, an_iq_stop_ends_the_roster_subscription_too)
{
    size_t mark;
    pwfake_watcher_roster_subscribed(tw, "sub-1", 86400);
    pwfake_watcher_up_to_proxy(tw, "s1", "address='+12025550123' kind='stop'");
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "unsubscribed");
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_transport_last(tw->fake), "id"), "s1");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}

Test(watcher_roster, only_local_users_may_subscribe)
{
    pwfake_watcher_deliver(tw, "<presence type='subscribe' from='mallory@evil.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 0), "type"), "unsubscribed");
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 0), "to"), "mallory@evil.example");
    pwfake_watcher_deliver(tw, "<presence type='probe' from='mallory@evil.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), 1, "probes from elsewhere get nothing");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}

/* alice subscribes and bob's PS holds the request for his decision (a pending subscription). */
static void subscribe_pending(void)
{
    char inner[512], t[64];
    size_t mark;
    xmpp_stanza_t *p;
    char status[256];

    pwfake_watcher_deliver(tw, SUBSCRIBE);
    pwfake_watcher_hss_then_proxy(tw);
    mark = pwfake_transport_sent_count(tw->fake);
    snprintf(inner, sizeof inner, "<enquiry xmlns='urn:peerwatch:chain:1'><subscription xmlns='urn:peerwatch:0' "
             "id='sub-p' expires='%s' pending='true'/></enquiry>", pwfake_watcher_time_in(tw, 86400, t, sizeof t));
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", inner);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 1, "only the waiting status, no 'subscribed'");
    p = pwfake_watcher_sent(tw, mark);
    pwfake_watcher_assert_presence(p, "unavailable");
    cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, status, sizeof status),
                     "Waiting for +1 202 555 0123 to approve your request to see their presence");
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1, "the pending subscription is known: her decision comes to it");
}

Test(watcher_roster, a_pending_request_waits_without_polling_and_her_approval_subscribes)
{
    size_t mark;
    char buf[64];
    subscribe_pending();
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_advance(tw, 3600000);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark, "an hour later: no enquiry was made again");
    pwfake_watcher_notify(tw, "a1", "proxy.opa.example", "subscription='sub-p' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), mark + 3, "subscribed, the state, the acknowledgement");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "subscribed");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 1), NULL);
    cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, mark + 1), "show", NULL, buf, sizeof buf), "away");
    /* then an ordinary item: the next state is plain presence */
    pwfake_watcher_notify(tw, "a2", "proxy.opa.example", "subscription='sub-p' seq='2'", PWFAKE_WATCHER_STATE_OFF);
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark + 3), "unavailable");
}

Test(watcher_roster, her_refusal_of_a_pending_request_unsubscribes_in_words)
{
    size_t mark;
    char status[256];
    subscribe_pending();
    mark = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_notify(tw, "a1", "proxy.opa.example", "subscription='sub-p' seq='1' ended='declined'", "");
    pwfake_watcher_assert_presence(pwfake_watcher_sent(tw, mark), "unsubscribed");
    cr_assert_str_eq(pw_stanza_child_text(pwfake_watcher_sent(tw, mark), "status", NULL, status, sizeof status),
                     "Your subscription to +1 202 555 0123 has ended: +1 202 555 0123 declined your request to "
                     "see their presence.");
    cr_assert_eq(pw_watcher_roster_items(tw->wa), 0);
}
