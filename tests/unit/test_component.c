/* test_component.c: the component core driven through the in-memory transport: dispatch, errors,
 * disco/version/ping, the outgoing-IQ table (result, spoofed answer, timeout, cancel). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_component.h"
#include "fake_component.h"

static pwfake_component_t *fc; /* owns what the four below borrow (pwfake_component_lend) */
static pw_loop_t *loop;
static xmpp_ctx_t *ctx;
static pwfake_transport_t *fake;
static pw_component_t *comp;
static uint64_t now = 1000; /* the loop clock, ms */

static void setup(void)
{
    pw_component_opts_t o = { .jid = "hss.opa.example", .name = "peerwatch-test", .version = "9.9",
                              .disco_category = "directory", .disco_type = "user",
                              .disco_name = "Test", .iq_timeout_ms = 5000 };
    cr_assert_eq(pwfake_component_create_clocked(&fc, &o, &now), PW_OK);
    pwfake_component_lend(fc, &loop, &ctx, &fake, &comp);
    pwfake_transport_up(fake);
}

static void teardown(void)
{
    pwfake_component_take_back(&fc, &loop, &ctx, &fake, &comp);
}

static pw_error_t last_error(char *text, size_t cap)
{
    xmpp_stanza_t *s = pwfake_transport_last(fake);
    cr_assert_not_null(s);
    cr_assert_str_eq(pwfake_attr(s, "type"), "error");
    return pw_stanza_error_parse(s, text, cap);
}

TestSuite(component, .init = setup, .fini = teardown);

Test(component, unknown_request_gets_service_unavailable_with_text)
{
    char text[256];
    pwfake_transport_deliver_xml(fake, "<iq type='get' id='q1' from='alice@opa.example/x' to='hss.opa.example'>"
                               "<query xmlns='urn:example:nothing'/></iq>");
    cr_assert_eq(pwfake_transport_sent_count(fake), 1);
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert_neq(text[0], '\0', "the error carries a readable <text/>");
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "to"), "alice@opa.example/x");
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "from"), "hss.opa.example");
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "id"), "q1");
}

Test(component, request_with_two_payloads_is_bad_request)
{
    char text[256];
    pwfake_transport_deliver_xml(fake, "<iq type='set' id='q2' from='a@b'><x xmlns='urn:a'/><y xmlns='urn:b'/></iq>");
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_transport_deliver_xml(fake, "<iq type='get' id='q3' from='a@b'/>");
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_transport_deliver_xml(fake, "<iq type='bogus' id='q4' from='a@b'><x xmlns='urn:a'/></iq>");
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_BAD_REQUEST);
}

Test(component, a_message_nobody_takes_is_answered_unless_headline)
{
    char text[256];
    pwfake_transport_deliver_xml(fake, "<message type='chat' id='c1' from='alice@opa.example/x' "
                                       "to='hss.opa.example'><body>hello?</body></message>");
    cr_assert_eq(pwfake_transport_sent_count(fake), 1, "a chat is answered");
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert_not_null(strstr(text, "takes no messages"), "%s", text);
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "id"), "c1");
    pwfake_transport_deliver_xml(fake, "<message id='n1' from='a@b'><body>x</body></message>");
    cr_assert_eq(pwfake_transport_sent_count(fake), 2, "a normal message too");
    pwfake_transport_deliver_xml(fake, "<message type='headline' id='h1' from='a@b'><body>x</body></message>");
    cr_assert_eq(pwfake_transport_sent_count(fake), 2, "a headline is not (RFC 6121 §8.5.2)");
}

Test(component, errors_are_never_answered)
{
    pwfake_transport_deliver_xml(fake, "<message type='error' id='m' from='a@b'><error type='cancel'>"
                               "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
    cr_assert_eq(pwfake_transport_sent_count(fake), 0);
}

Test(component, disco_info_version_and_ping)
{
    xmpp_stanza_t *r, *q, *c;
    int features = 0, has_custom = 0;
    cr_assert_eq(pw_component_add_feature(comp, "urn:peerwatch:hss:0"), PW_OK);
    pwfake_transport_deliver_xml(fake, "<iq type='get' id='d1' from='a@b'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    r = pwfake_transport_last(fake);
    cr_assert_str_eq(pwfake_attr(r, "type"), "result");
    q = xmpp_stanza_get_child_by_name(r, "query");
    cr_assert_not_null(q);
    c = xmpp_stanza_get_child_by_name(q, "identity");
    cr_assert_not_null(c);
    cr_assert_str_eq(pwfake_attr(c, "category"), "directory");
    cr_assert_str_eq(pwfake_attr(c, "type"), "user");
    for (c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        if (strcmp(xmpp_stanza_get_name(c), "feature") == 0) {
            features++;
            has_custom |= strcmp(pwfake_attr(c, "var"), "urn:peerwatch:hss:0") == 0;
        }
    }
    cr_assert_eq(features, 5);
    cr_assert(has_custom);

    pwfake_transport_deliver_xml(fake, "<iq type='get' id='v1' from='a@b'><query xmlns='jabber:iq:version'/></iq>");
    q = xmpp_stanza_get_child_by_name(pwfake_transport_last(fake), "query");
    cr_assert_not_null(q);
    {
        char buf[64];
        cr_assert_str_eq(pw_stanza_child_text(q, "name", NULL, buf, sizeof buf), "peerwatch-test");
        cr_assert_str_eq(pw_stanza_child_text(q, "version", NULL, buf, sizeof buf), "9.9");
    }
    pwfake_transport_deliver_xml(fake, "<iq type='get' id='p1' from='a@b'><ping xmlns='urn:xmpp:ping'/></iq>");
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "type"), "result");
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "id"), "p1");
}

typedef struct {
    int calls;
    pw_iq_outcome_t outcome;
    char from[64];
} iq_seen_t;

static void record_outcome(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    iq_seen_t *seen = arg;
    (void)c;
    seen->calls++;
    seen->outcome = outcome;
    snprintf(seen->from, sizeof seen->from, "%s", response ? pwfake_attr(response, "from") : "");
}

static xmpp_stanza_t *make_request(const char *to)
{
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL);
    xmpp_stanza_set_to(iq, to);
    pw_stanza_add_child(iq, "lookup", "urn:peerwatch:hss:0");
    return iq;
}

Test(component, outgoing_iq_matches_its_answer_and_only_from_the_addressee)
{
    iq_seen_t seen = { 0 };
    char xml[256];
    xmpp_stanza_t *iq = make_request("hss.opb.example");
    const char *id;

    cr_assert_eq(pw_component_send_iq(comp, iq, 0, record_outcome, &seen), PW_OK);
    id = pwfake_attr(pwfake_transport_last(fake), "id");
    cr_assert_neq(id[0], '\0', "an id was assigned");
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "from"), "hss.opa.example", "from is always set");
    cr_assert_eq(pw_component_pending_iqs(comp), 1);
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='evil.example'/>", id);
    pwfake_transport_deliver_xml(fake, xml);
    cr_assert_eq(seen.calls, 0, "an answer from someone else is ignored");
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='hss.opb.example'/>", id);
    pwfake_transport_deliver_xml(fake, xml);
    cr_assert_eq(seen.calls, 1);
    cr_assert_eq(seen.outcome, PW_IQ_RESULT);
    cr_assert_str_eq(seen.from, "hss.opb.example");
    pwfake_transport_deliver_xml(fake, xml);
    cr_assert_eq(seen.calls, 1, "a duplicate answer is dropped");
    cr_assert_eq(pw_component_pending_iqs(comp), 0);
    xmpp_stanza_release(iq);
}

Test(component, outgoing_iq_error_and_timeout)
{
    iq_seen_t e = { 0 }, t = { 0 };
    char xml[512];
    xmpp_stanza_t *a = make_request("x.example"), *b = make_request("y.example");
    cr_assert_eq(pw_component_send_iq(comp, a, 0, record_outcome, &e), PW_OK);
    snprintf(xml, sizeof xml, "<iq type='error' id='%s' from='x.example'><error type='cancel'>"
             "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
             pwfake_attr(pwfake_transport_last(fake), "id"));
    cr_assert_eq(pw_component_send_iq(comp, b, 200, record_outcome, &t), PW_OK);
    pwfake_transport_deliver_xml(fake, xml);
    cr_assert_eq(e.outcome, PW_IQ_ERROR);
    now += 199;
    pw_loop_run_once(loop, 0);
    cr_assert_eq(t.calls, 0);
    now += 1;
    pw_loop_run_once(loop, 0);
    cr_assert_eq(t.calls, 1);
    cr_assert_eq(t.outcome, PW_IQ_TIMEOUT);
    xmpp_stanza_release(a);
    xmpp_stanza_release(b);
}

Test(component, cancel_and_destroy_fire_pending_callbacks_once)
{
    iq_seen_t a = { 0 }, b = { 0 };
    xmpp_stanza_t *ia = make_request("x.example"), *ib = make_request("x.example");
    cr_assert_eq(pw_component_send_iq(comp, ia, 0, record_outcome, &a), PW_OK);
    cr_assert_eq(pw_component_send_iq(comp, ib, 0, record_outcome, &b), PW_OK);
    cr_assert_eq(pw_component_cancel_iqs(comp, &a), 1);
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.outcome, PW_IQ_CANCELLED);
    pw_component_destroy(comp); /* and its transport: the parts forget both */
    comp = fc->comp = NULL;
    fake = fc->fake = NULL;
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(b.outcome, PW_IQ_CANCELLED);
    xmpp_stanza_release(ia);
    xmpp_stanza_release(ib);
}

Test(component, nothing_is_sent_while_the_link_is_down)
{
    iq_seen_t s = { 0 };
    xmpp_stanza_t *iq = make_request("x.example");
    pwfake_transport_down(fake);
    cr_assert_not(pw_component_online(comp));
    cr_assert_eq(pw_component_send_iq(comp, iq, 0, record_outcome, &s), PW_ECLOSED);
    cr_assert_eq(pw_component_send(comp, iq), PW_ECLOSED);
    cr_assert_eq(pwfake_transport_sent_count(fake), 0);
    cr_assert_eq(s.calls, 0);
    xmpp_stanza_release(iq);
}

/* ejabberd closes a component's stream (improper-addressing) at the first stanza without a
 * 'from' (docs/ejabberd.md): every stanza leaves with one, the component's JID unless the
 * sender chose another of its addresses. */
Test(component, every_stanza_leaves_with_a_from)
{
    xmpp_stanza_t *msg = xmpp_message_new(ctx, "headline", "alice@opa.example", NULL);
    xmpp_stanza_t *pres = xmpp_presence_new(ctx);
    cr_assert_eq(pw_component_send(comp, msg), PW_OK);
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "from"), "hss.opa.example");
    xmpp_stanza_set_to(pres, "alice@opa.example");
    xmpp_stanza_set_from(pres, "+12025550123@hss.opa.example");
    cr_assert_eq(pw_component_send(comp, pres), PW_OK);
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(fake), "from"), "+12025550123@hss.opa.example",
                     "a 'from' the sender set is kept");
    xmpp_stanza_release(msg);
    xmpp_stanza_release(pres);
}

static void count_stanza(pw_component_t *c, xmpp_stanza_t *s, void *arg)
{
    (void)c;
    (void)s;
    (*(int *)arg)++;
}

static void answer_lookup(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    (void)payload;
    (*(int *)arg)++;
    pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, "no such subscriber");
}

Test(component, routes_messages_presence_and_registered_iqs)
{
    int messages = 0, presences = 0, lookups = 0;
    char text[128];
    pw_component_on_message(comp, count_stanza, &messages);
    pw_component_on_presence(comp, count_stanza, &presences);
    cr_assert_eq(pw_component_on_iq(comp, "urn:peerwatch:hss:0", "lookup", PW_IQ_GET, answer_lookup, &lookups), PW_OK);
    pwfake_transport_deliver_xml(fake, "<message from='a@b' type='chat'><body>x</body></message>");
    pwfake_transport_deliver_xml(fake, "<presence from='a@b/r'/>");
    pwfake_transport_deliver_xml(fake, "<iq type='set' id='l0' from='a@b'><lookup xmlns='urn:peerwatch:hss:0'/></iq>");
    cr_assert_eq(lookups, 0, "a get-only route does not take a set");
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    pwfake_transport_deliver_xml(fake, "<iq type='get' id='l1' from='a@b'><lookup xmlns='urn:peerwatch:hss:0'/></iq>");
    cr_assert_eq(messages, 1);
    cr_assert_eq(presences, 1);
    cr_assert_eq(lookups, 1);
    cr_assert_eq(last_error(text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    cr_assert_str_eq(text, "no such subscriber");
}

Test(component, error_reply_echoes_the_payload_and_parses_back)
{
    xmpp_stanza_t *req = xmpp_stanza_new_from_string(ctx,
        "<iq type='set' id='e1' from='alice@opa.example/r' to='watcher.opa.example'>"
        "<enquiry xmlns='urn:peerwatch:0' address='+1'/></iq>");
    xmpp_stanza_t *err = pw_stanza_error_reply(req, PW_ERR_JID_MALFORMED, "not a number");
    xmpp_stanza_t *e;
    char text[64];
    cr_assert_not_null(err);
    cr_assert_not_null(xmpp_stanza_get_child_by_name_and_ns(err, "enquiry", "urn:peerwatch:0"));
    e = xmpp_stanza_get_child_by_name(err, "error");
    cr_assert_str_eq(pwfake_attr(e, "type"), "modify");
    cr_assert_eq(pw_stanza_error_parse(err, text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert_str_eq(text, "not a number");
    cr_assert_eq(pw_error_from_name("payment-required"), PW_ERR_PAYMENT_REQUIRED);
    cr_assert_str_eq(pw_error_type(PW_ERR_REMOTE_SERVER_TIMEOUT), "wait");
    cr_assert_eq(pw_error_from_name("nonsense"), PW_ERR_UNDEFINED_CONDITION);
    xmpp_stanza_release(err);
    xmpp_stanza_release(req);
}
