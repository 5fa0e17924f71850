/* test_watcher_enquiry.c: a 'current' enquiry end to end through the WA: HSS lookup, chain enquiry to the proxy, the client's answer. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "chain/pw_enquiry.h"
#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_enquiry, .init = tw_setup, .fini = tw_teardown);

/* Run an enquiry up to the chain enquiry sent to the proxy; returns that element. */
static xmpp_stanza_t *up_to_proxy(const char *id, const char *attrs)
{
    xmpp_stanza_t *lookup;
    pwfake_watcher_enquiry(tw, id, "alice@opa.example/phone", attrs);
    lookup = pwfake_watcher_last_request(tw, "hss.opa.example", "get");
    cr_assert_str_eq(xmpp_stanza_get_name(lookup), "lookup");
    cr_assert_str_eq(xmpp_stanza_get_ns(lookup), "urn:peerwatch:hss:0");
    cr_assert_str_eq(pwfake_watcher_attr(lookup, "jid"), "alice@opa.example", "looked up by the bare JID");
    cr_assert_null(xmpp_stanza_get_attribute(lookup, "msisdn"));
    pwfake_watcher_hss_alice(tw);
    return pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
}

Test(watcher_enquiry, happy_path_current_by_number)
{
    xmpp_stanza_t *e, *r, *echo, *state;
    pw_enquiry_t parsed;
    pw_error_t cond;
    char why[256], status[64];

    e = up_to_proxy("e1", "address='+1 (202) 555-0123' kind='current'");
    cr_assert_eq(pw_enquiry_parse(e, &parsed, &cond, why, sizeof why), PW_OK, "a valid chain enquiry: %s", why);
    cr_assert_str_eq(xmpp_stanza_get_ns(e), PW_NS_CHAIN);
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "current");
    cr_assert_str_eq(pwfake_watcher_attr(e, "presentity"), "+12025550123");
    cr_assert_null(xmpp_stanza_get_attribute(e, "presentity-jid"));
    cr_assert_str_eq(pwfake_watcher_attr(e, "watcher-msisdn"), "+447700900001");
    cr_assert_str_eq(pwfake_watcher_attr(e, "watcher-jid"), "alice@opa.example");
    cr_assert_str_eq(pwfake_watcher_attr(e, "watcher-network"), "opa.example", "network defaults to domain");
    cr_assert_null(xmpp_stanza_get_attribute(e, "duration"));
    cr_assert_eq(strncmp(pwfake_watcher_attr(e, "ref"), PWFAKE_WATCHER_JID "/", strlen(PWFAKE_WATCHER_JID) + 1), 0, "ref is <WA domain>/<UUID>: %s", pwfake_watcher_attr(e, "ref"));
    cr_assert_eq(strlen(pwfake_watcher_attr(e, "ref")), strlen(PWFAKE_WATCHER_JID) + 1 + 36, "a UUID follows the domain");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 1);

    pwfake_watcher_answer(tw, "proxy.opa.example", "result",
              "<enquiry xmlns='urn:peerwatch:chain:1' ref='x' kind='current'>"
              "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>In a meeting</status></state>"
              "</enquiry>");
    r = pwfake_transport_last(tw->fake);
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), "e1");
    cr_assert_str_eq(pwfake_watcher_attr(r, "to"), "alice@opa.example/phone");
    cr_assert_str_eq(pwfake_watcher_attr(r, "from"), PWFAKE_WATCHER_JID);
    echo = pw_stanza_payload(r);
    cr_assert_str_eq(xmpp_stanza_get_name(echo), "enquiry");
    cr_assert_str_eq(xmpp_stanza_get_ns(echo), "urn:peerwatch:0");
    cr_assert_str_eq(pwfake_watcher_attr(echo, "address"), "+12025550123", "the echo carries the normalised address");
    cr_assert_str_eq(pwfake_watcher_attr(echo, "kind"), "current");
    cr_assert_null(xmpp_stanza_get_attribute(echo, "ref"), "no chain attribute leaks to the client");
    state = xmpp_stanza_get_child_by_name_and_ns(echo, "state", "urn:peerwatch:0");
    cr_assert_not_null(state);
    cr_assert_str_eq(pwfake_watcher_attr(state, "available"), "true");
    cr_assert_str_eq(pwfake_watcher_attr(state, "show"), "away");
    cr_assert_str_eq(pw_stanza_child_text(state, "status", NULL, status, sizeof status), "In a meeting");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
}

Test(watcher_enquiry, refs_are_unique_per_enquiry)
{
    char first[300];
    xmpp_stanza_t *e = up_to_proxy("u1", "address='+12025550123' kind='current'");
    snprintf(first, sizeof first, "%s", pwfake_watcher_attr(e, "ref"));
    e = up_to_proxy("u2", "address='+12025550123' kind='current'");
    cr_assert_str_neq(pwfake_watcher_attr(e, "ref"), first);
    cr_assert_eq(pw_watcher_inflight(tw->wa), 2);
}

Test(watcher_enquiry, national_number_is_normalised_with_the_country_code)
{
    xmpp_stanza_t *e = up_to_proxy("n1", "address='07700 900123' kind='current'");
    cr_assert_str_eq(pwfake_watcher_attr(e, "presentity"), "+447700900123");
    pwfake_watcher_answer(tw, "proxy.opa.example", "result",
              "<enquiry xmlns='urn:peerwatch:chain:1'><state xmlns='urn:peerwatch:0' available='false'/></enquiry>");
    cr_assert_str_eq(pwfake_watcher_attr(pw_stanza_payload(pwfake_transport_last(tw->fake)), "address"), "+447700900123");
}

Test(watcher_enquiry, xep0106_address_becomes_presentity_jid)
{
    static const char *const forms[] = { "bob\\40opb.example", "bob@opb.example", "bob@OPB.example" };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char attrs[128];
        xmpp_stanza_t *e, *echo;
        snprintf(attrs, sizeof attrs, "address='%s' kind='current'", forms[i]);
        e = up_to_proxy("j1", attrs);
        cr_assert_str_eq(pwfake_watcher_attr(e, "presentity-jid"), "bob@opb.example", "form %s", forms[i]);
        cr_assert_null(xmpp_stanza_get_attribute(e, "presentity"));
        pwfake_watcher_answer(tw, "proxy.opa.example", "result",
                  "<enquiry xmlns='urn:peerwatch:chain:1'><state xmlns='urn:peerwatch:0' available='true'/></enquiry>");
        echo = pw_stanza_payload(pwfake_transport_last(tw->fake));
        cr_assert_str_eq(pwfake_watcher_attr(echo, "address"), "bob\\40opb.example", "the echo is the escaped JID");
        cr_assert_not_null(xmpp_stanza_get_child_by_name(echo, "state"));
    }
}

Test(watcher_enquiry, proxy_errors_are_relayed_with_condition_and_text)
{
    static const struct { const char *cond, *type; pw_error_t want; } cases[] = {
        { "subscription-required", "auth", PW_ERR_SUBSCRIPTION_REQUIRED },
        { "item-not-found", "cancel", PW_ERR_ITEM_NOT_FOUND },
        { "remote-server-not-found", "cancel", PW_ERR_REMOTE_SERVER_NOT_FOUND },
        { "forbidden", "auth", PW_ERR_FORBIDDEN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char inner[512], text[256];
        up_to_proxy("x1", "address='+12025550123' kind='current'");
        snprintf(inner, sizeof inner, "<error type='%s'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                 "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>told by case %zu</text></error>",
                 cases[i].type, cases[i].cond, i);
        pwfake_watcher_answer(tw, "proxy.opa.example", "error", inner);
        cr_assert_eq(pwfake_watcher_last_error(tw, "x1", text, sizeof text), cases[i].want, "case %zu", i);
        {
            char want[64];
            snprintf(want, sizeof want, "told by case %zu", i);
            cr_assert_str_eq(text, want);
        }
        cr_assert_str_eq(pwfake_watcher_attr(pwfake_transport_last(tw->fake), "to"), "alice@opa.example/phone");
    }
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
}

Test(watcher_enquiry, proxy_timeout_answers_remote_server_timeout)
{
    char text[256];
    size_t before;
    up_to_proxy("t1", "address='+12025550123' kind='current'");
    before = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_advance(tw, 19999);
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), before, "nothing before iq_timeout (20 s)");
    pwfake_watcher_advance(tw, 1);
    cr_assert_eq(pwfake_watcher_last_error(tw, "t1", text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(text, "no answer from the presence network in time");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 0);
    /* a late answer is dropped, nothing more is sent */
    before = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), before);
}

Test(watcher_enquiry, answer_from_someone_else_than_the_proxy_is_ignored)
{
    size_t before;
    up_to_proxy("s1", "address='+12025550123' kind='current'");
    before = pwfake_transport_sent_count(tw->fake);
    pwfake_watcher_answer(tw, "evil.example", "result",
              "<enquiry xmlns='urn:peerwatch:chain:1'><state xmlns='urn:peerwatch:0' available='true'/></enquiry>");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), before);
    cr_assert_eq(pw_watcher_inflight(tw->wa), 1);
}

Test(watcher_enquiry, result_without_a_state_is_an_error)
{
    char text[256];
    up_to_proxy("w1", "address='+12025550123' kind='current'");
    pwfake_watcher_answer(tw, "proxy.opa.example", "result", "<enquiry xmlns='urn:peerwatch:chain:1'/>");
    cr_assert_eq(pwfake_watcher_last_error(tw, "w1", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert(strstr(text, "state"), "%s", text);
}

Test(watcher_enquiry, network_setting_is_the_watcher_network)
{
    xmpp_stanza_t *e;
    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, "network = net.opa.example\n");
    e = up_to_proxy("k1", "address='+12025550123' kind='current'");
    cr_assert_str_eq(pwfake_watcher_attr(e, "watcher-network"), "net.opa.example");
}

Test(watcher_enquiry, destroy_answers_enquiries_in_flight)
{
    char text[256];
    up_to_proxy("d1", "address='+12025550123' kind='current'");
    pwfake_watcher_enquiry(tw, "d2", "alice@opa.example/phone", "address='+12025550123' kind='current'");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 2);
    pw_watcher_destroy(tw->wa);
    tw->wa = NULL;
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
    cr_assert_eq(pwfake_watcher_last_error(tw, NULL, text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_transport_sent(tw->fake, pwfake_transport_sent_count(tw->fake) - 2), "type"), "error");
}
