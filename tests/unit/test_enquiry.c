/* test_enquiry.c: chain enquiry parsing/validation, building (round trip), state elements, and relaying answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "chain/pw_enquiry.h"
#include "fake_transport.h"

static xmpp_ctx_t *ctx;

static void setup(void)
{
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
}

static void teardown(void)
{
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(enquiry, .init = setup, .fini = teardown);

static pw_status_t parse_xml(const char *xml, pw_enquiry_t *e, pw_error_t *cond, char *why)
{
    xmpp_stanza_t *el = xmpp_stanza_new_from_string(ctx, xml);
    pw_status_t rc;
    cr_assert_not_null(el, "fixture parses: %s", xml);
    rc = pw_enquiry_parse(el, e, cond, why, 256);
    xmpp_stanza_release(el);
    return rc;
}

#define GOOD_ATTRS "ref='watcher.opa.example/1' presentity='+12025550123' watcher-msisdn='+447700900001' " \
                   "watcher-jid='alice@opa.example' watcher-network='opa.example'"

Test(enquiry, parses_a_valid_current_enquiry_and_round_trips)
{
    pw_enquiry_t e, again;
    pw_error_t cond;
    char why[256];
    xmpp_stanza_t *built;
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='current' " GOOD_ATTRS "/>", &e, &cond, why), PW_OK);
    cr_assert_eq(e.kind, PW_KIND_CURRENT);
    cr_assert_str_eq(e.presentity, "+12025550123");
    cr_assert_str_eq(e.watcher_network, "opa.example");
    built = pw_enquiry_build(ctx, &e);
    cr_assert_eq(pw_enquiry_parse(built, &again, &cond, why, sizeof why), PW_OK);
    cr_assert_eq(memcmp(&e, &again, sizeof e), 0, "build then parse gives the same enquiry");
    xmpp_stanza_release(built);
}

Test(enquiry, changes_needs_a_bounded_duration)
{
    pw_enquiry_t e;
    pw_error_t cond;
    char why[256];
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='changes' duration='7200' " GOOD_ATTRS "/>", &e, &cond, why), PW_OK);
    cr_assert_eq(e.duration_s, 7200);
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='changes' " GOOD_ATTRS "/>", &e, &cond, why), PW_EINVAL);
    cr_assert_eq(cond, PW_ERR_BAD_REQUEST);
    cr_assert(strstr(why, "duration"));
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='changes' duration='-5' " GOOD_ATTRS "/>", &e, &cond, why), PW_EINVAL);
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='changes' duration='0' " GOOD_ATTRS "/>", &e, &cond, why), PW_EINVAL);
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='changes' duration='99999999999' " GOOD_ATTRS "/>", &e, &cond, why), PW_EINVAL);
    cr_assert_eq(parse_xml("<enquiry xmlns='urn:peerwatch:chain:1' kind='current' duration='5' " GOOD_ATTRS "/>", &e, &cond, why), PW_EINVAL);
}

Test(enquiry, rejects_each_malformed_attribute_with_the_right_condition)
{
    static const struct { const char *xml; pw_error_t cond; const char *word; } cases[] = {
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='later' " GOOD_ATTRS "/>", PW_ERR_BAD_REQUEST, "kind" },
        { "<enquiry xmlns='urn:other' kind='current' " GOOD_ATTRS "/>", PW_ERR_BAD_REQUEST, "enquiry" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' presentity='+1' watcher-msisdn='+447700900001' ref='r' watcher-jid='a@b' watcher-network='b'/>", PW_ERR_JID_MALFORMED, "presentity" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' ref='r' watcher-msisdn='+447700900001' watcher-jid='a@b' watcher-network='b'/>", PW_ERR_BAD_REQUEST, "presentity" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' ref='r' presentity-jid='bob@opb.example/res' watcher-msisdn='+447700900001' watcher-jid='a@b' watcher-network='b'/>", PW_ERR_JID_MALFORMED, "presentity-jid" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' watcher-jid='a@b' watcher-network='b'/>", PW_ERR_BAD_REQUEST, "ref" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' ref='r' presentity='+12025550123' watcher-msisdn='12' watcher-jid='a@b' watcher-network='b'/>", PW_ERR_BAD_REQUEST, "watcher-msisdn" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' ref='r' presentity='+12025550123' watcher-msisdn='+447700900001' watcher-jid='nodomain' watcher-network='b'/>", PW_ERR_BAD_REQUEST, "watcher-jid" },
        { "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' ref='r' presentity='+12025550123' watcher-msisdn='+447700900001' watcher-jid='a@b'/>", PW_ERR_BAD_REQUEST, "watcher-network" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pw_enquiry_t e;
        pw_error_t cond = PW_ERR_NONE;
        char why[256];
        cr_assert_eq(parse_xml(cases[i].xml, &e, &cond, why), PW_EINVAL, "case %zu accepted", i);
        cr_assert_eq(cond, cases[i].cond, "case %zu: condition %s", i, pw_error_name(cond));
        cr_assert(strstr(why, cases[i].word), "case %zu: '%s' names %s", i, why, cases[i].word);
    }
}

Test(enquiry, state_element_round_trip_and_validation)
{
    pw_presence_state_t st = { 1, "away", "In a meeting" }, back;
    xmpp_stanza_t *el = pw_state_build(ctx, &st), *bad;
    cr_assert_eq(pw_state_parse(el, &back), PW_OK);
    cr_assert_eq(back.available, 1);
    cr_assert_str_eq(back.show, "away");
    cr_assert_str_eq(back.status, "In a meeting");
    bad = xmpp_stanza_new_from_string(ctx, "<state xmlns='urn:peerwatch:0' available='true' show='sleeping'/>");
    cr_assert_eq(pw_state_parse(bad, &back), PW_EINVAL);
    xmpp_stanza_release(bad);
    xmpp_stanza_release(el);
}

Test(enquiry, relay_copies_state_or_error_and_answers_timeouts)
{
    pw_loop_t *loop;
    pwfake_transport_t *fake = pwfake_transport_create(ctx);
    pw_component_t *c;
    pw_component_opts_t o = { .jid = "gateway.opb.example" };
    xmpp_stanza_t *req, *ok, *err, *sent;
    char text[128];

    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_component_create(&c, loop, ctx, &o, pwfake_transport_base(fake)), PW_OK);
    pwfake_transport_up(fake);
    req = xmpp_stanza_new_from_string(ctx, "<iq type='set' id='r1' from='proxy.opa.example' to='gateway.opb.example'>"
        "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' " GOOD_ATTRS "><signature alg='ed25519'>x</signature></enquiry></iq>");
    ok = xmpp_stanza_new_from_string(ctx, "<iq type='result' id='z' from='ps1.opb.example'>"
        "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/1' kind='current'>"
        "<state xmlns='urn:peerwatch:0' available='true' show='dnd'/></enquiry></iq>");
    err = xmpp_stanza_new_from_string(ctx, "<iq type='error' id='z' from='ps1.opb.example'><error type='auth'>"
        "<subscription-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>bob has not approved you yet</text></error></iq>");

    cr_assert_eq(pw_enquiry_relay(c, req, PW_IQ_RESULT, ok, "t"), PW_OK);
    sent = pwfake_transport_last(fake);
    cr_assert_str_eq(xmpp_stanza_get_type(sent), "result");
    cr_assert_str_eq(xmpp_stanza_get_id(sent), "r1");
    cr_assert_str_eq(xmpp_stanza_get_to(sent), "proxy.opa.example");
    {
        xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(sent, "enquiry");
        char *xml; size_t len;
        cr_assert_not_null(xmpp_stanza_get_child_by_name(e, "state"));
        cr_assert_null(xmpp_stanza_get_child_by_name(e, "signature"), "the request's children are not echoed");
        xmpp_stanza_to_text(sent, &xml, &len);
        cr_assert_null(strstr(xml, "ps1.opb.example"), "no presence-server address leaks: %s", xml);
        xmpp_free(ctx, xml);
    }
    cr_assert_eq(pw_enquiry_relay(c, req, PW_IQ_ERROR, err, "t"), PW_OK);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(fake), text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_str_eq(text, "bob has not approved you yet");
    cr_assert_eq(pw_enquiry_relay(c, req, PW_IQ_TIMEOUT, NULL, "the presence server did not answer"), PW_OK);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(fake), text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(text, "the presence server did not answer");

    xmpp_stanza_release(req);
    xmpp_stanza_release(ok);
    xmpp_stanza_release(err);
    pw_component_destroy(c);
    pw_loop_destroy(loop);
}

Test(enquiry, notify_round_trip_and_validation)
{
    pw_notify_t n = { .subscription = "s1", .ref = "watcher.opa.example/1", .proxy = "proxy.opa.example",
                      .watcher_jid = "alice@opa.example", .presentity = "+12025550123", .seq = 3,
                      .has_state = 1, .state = { 1, "dnd", "busy" } }, back;
    char why[256];
    xmpp_stanza_t *el = pw_notify_build(ctx, &n), *bad;
    cr_assert_eq(pw_notify_parse(el, &back, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(memcmp(&n, &back, sizeof n), 0, "build then parse gives the same notification");
    xmpp_stanza_release(el);
    bad = xmpp_stanza_new_from_string(ctx, "<notify xmlns='urn:peerwatch:chain:1' subscription='s' ref='r' "
        "proxy='proxy.opa.example' watcher-jid='alice@opa.example' presentity='+12025550123' seq='1' ended='bored'/>");
    cr_assert_eq(pw_notify_parse(bad, &back, why, sizeof why), PW_EINVAL);
    cr_assert(strstr(why, "ended"));
    xmpp_stanza_release(bad);
    bad = xmpp_stanza_new_from_string(ctx, "<notify xmlns='urn:peerwatch:chain:1' subscription='s' ref='r' "
        "proxy='proxy.opa.example' watcher-jid='alice@opa.example' presentity='+12025550123' seq='0'/>");
    cr_assert_eq(pw_notify_parse(bad, &back, why, sizeof why), PW_EINVAL);
    cr_assert(strstr(why, "seq"));
    xmpp_stanza_release(bad);
    bad = xmpp_stanza_new_from_string(ctx, "<notify xmlns='urn:peerwatch:chain:1' subscription='s' ref='r' "
        "proxy='proxy.opa.example' watcher-jid='alice@opa.example' presentity='+12025550123' seq='2'/>");
    cr_assert_eq(pw_notify_parse(bad, &back, why, sizeof why), PW_EINVAL, "neither state nor ended");
    xmpp_stanza_release(bad);
}

/* ---- the address of an enquiry (protocol version 1, docs/protocol.md §2.2) ---- */

/* An enquiry naming the presentity by number (number) and/or by JID (jid; NULL: none). */
static pw_enquiry_t naming(const char *number, const char *jid)
{
    pw_enquiry_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.presentity, sizeof e.presentity, "%s", number ? number : "");
    snprintf(e.presentity_jid, sizeof e.presentity_jid, "%s", jid ? jid : "");
    return e;
}

Test(enquiry, address_is_the_number_or_the_escaped_jid_at_the_domain)
{
    static const struct {
        const char *number, *jid, *domain, *want;
    } cases[] = {
        { "+12025550123", NULL, "gateway.opb.example", "+12025550123@gateway.opb.example" },
        { "+12025550123", "bob@opb.example", "ps1.opb.example", "+12025550123@ps1.opb.example" },
        { NULL, "bob@opb.example", "gateway.opb.example", "bob\\40opb.example@gateway.opb.example" },
        /* a backslash is escaped only where it would start an escape (XEP-0106 §4) */
        { NULL, "o\\brien@example.com", "gw.example", "o\\brien\\40example.com@gw.example" },
        { NULL, "x\\40y@example.com", "gw.example", "x\\5c40y\\40example.com@gw.example" },
    };
    char out[PW_JID_MAX + 1];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pw_enquiry_t e = naming(cases[i].number, cases[i].jid);
        cr_assert_eq(pw_enquiry_address(&e, cases[i].domain, out, sizeof out), PW_OK, "case %zu", i);
        cr_assert_str_eq(out, cases[i].want);
    }
}

Test(enquiry, address_refuses_what_it_cannot_write)
{
    pw_enquiry_t e = naming("+12025550123", NULL), none = naming(NULL, NULL);
    char out[64];
    cr_assert_eq(pw_enquiry_address(&e, "not a domain", out, sizeof out), PW_EINVAL);
    cr_assert_str_eq(out, "");
    cr_assert_eq(pw_enquiry_address(&e, "bob@gateway.opb.example", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enquiry_address(&none, "gateway.opb.example", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enquiry_address(NULL, "gateway.opb.example", out, sizeof out), PW_EINVAL);
    /* exactly fits, one short */
    cr_assert_eq(pw_enquiry_address(&e, "gw.example", out, sizeof "+12025550123@gw.example"), PW_OK);
    cr_assert_eq(pw_enquiry_address(&e, "gw.example", out, sizeof "+12025550123@gw.example" - 1), PW_ERANGE);
    cr_assert_str_eq(out, "");
}

Test(enquiry, address_check_accepts_only_the_presentity_it_names)
{
    static const struct {
        const char *number, *jid, *to;
        int ok;
        const char *says; /* for a refusal */
    } cases[] = {
        { "+12025550123", NULL, "+12025550123@gateway.opb.example", 1, NULL },
        { "+12025550123", "bob@opb.example", "+12025550123@ps1.opb.example", 1, NULL },
        { "+12025550123", "bob@opb.example", "bob\\40opb.example@ps1.opb.example", 1, NULL },
        { NULL, "bob@opb.example", "bob\\40opb.example@gateway.opb.example", 1, NULL },
        /* RFC 7622: the domain compares without case; the server may have case-mapped the localpart */
        { NULL, "bob@opb.example", "bob\\40OPB.EXAMPLE@gateway.opb.example", 1, NULL },
        { NULL, "Bob@opb.example", "bob\\40opb.example@gateway.opb.example", 1, NULL },
        { "+12025550123", NULL, "+12025550123@gateway.opb.example/r", 1, NULL },
        /* no localpart */
        { "+12025550123", NULL, "gateway.opb.example", 0,
          "version 1 addresses the presentity: send to +12025550123@gateway.opb.example" },
        { NULL, "bob@opb.example", "gateway.opb.example", 0,
          "version 1 addresses the presentity: send to bob\\40opb.example@gateway.opb.example" },
        /* disagreeing */
        { "+12025550123", NULL, "+12025550124@gateway.opb.example", 0,
          "the attribute and the address must agree or the stanza is refused" },
        { "+12025550123", NULL, "12025550123@gateway.opb.example", 0, "must agree" },
        { "+12025550123", NULL, "bob\\40opb.example@gateway.opb.example", 0, "must agree" },
        { NULL, "bob@opb.example", "+12025550123@gateway.opb.example", 0, "must agree" },
        { NULL, "bob@opb.example", "bob@gateway.opb.example", 0, "must agree" },
        { NULL, "bob@opb.example", "bob\\40opb.example.evil@gateway.opb.example", 0, "must agree" },
        { NULL, "bob@opb.example", "bob\\5c40opb.example@gateway.opb.example", 0, "must agree" },
        { NULL, "bob@opb.example", "bob\\40opb\\2eexample@gateway.opb.example", 0, "must agree" },
        /* no JID at all */
        { "+12025550123", NULL, "@gateway.opb.example", 0, "not addressed to a valid JID" },
        { "+12025550123", NULL, NULL, 0, "not addressed to a valid JID" },
    };
    char why[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pw_enquiry_t e = naming(cases[i].number, cases[i].jid);
        pw_status_t rc = pw_enquiry_address_check(&e, cases[i].to, why, sizeof why);
        if (cases[i].ok) {
            cr_assert_eq(rc, PW_OK, "%s accepted: %s", cases[i].to, why);
        } else {
            cr_assert_eq(rc, PW_EINVAL, "%s refused", cases[i].to ? cases[i].to : "(none)");
            cr_assert(strstr(why, cases[i].says), "'%s' says '%s'", why, cases[i].says);
        }
    }
}

Test(enquiry, address_check_agrees_with_the_address_built)
{
    static const char *const jids[] = { "bob@opb.example", "o\\brien@example.com", "x\\40y@example.com",
                                        "x\\5cy@Example.COM", "+447700900001@opb.example" };
    char to[PW_JID_MAX + 1], why[512];
    for (size_t i = 0; i < sizeof jids / sizeof jids[0]; i++) {
        pw_enquiry_t e = naming(NULL, jids[i]);
        cr_assert_eq(pw_enquiry_address(&e, "gateway.opb.example", to, sizeof to), PW_OK, "%s", jids[i]);
        cr_assert_eq(pw_enquiry_address_check(&e, to, why, sizeof why), PW_OK, "%s at %s: %s", jids[i], to, why);
    }
}
