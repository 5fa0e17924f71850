/* test_gateway.c: the Gateway Presence Server through the in-memory transport: signed enquiry -> HSS -> PS -> answer, every refusal, timeouts, rate limit, config. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "chain/pw_enquiry.h"
#include "chain/pw_hss.h"
#include "core/pw_clock.h"
#include "gateway_driver.h"
#include "pwt_util.h"
#include "keys.h"

#define GW PWFAKE_GATEWAY_JID
#define HSS PWFAKE_GATEWAY_HSS
#define PS PWFAKE_GATEWAY_PS
#define PROXY PWFAKE_GATEWAY_PROXY
/* bob at the gateway and at his PS, as version 1 addresses him (docs/protocol.md §2.2-2.3) */
#define GW_BOB "+12025550123@" GW
#define GW_BOB_JID "bob\\40opb.example@" GW
#define PS_BOB "+12025550123@" PS

/* Criterion's .init/.fini take no argument: the one pointer to the driver the tests share. */
static pwfake_gateway_t *d;

static void setup(void)
{
    char why[256];
    cr_assert_eq(pwfake_gateway_create(&d, why, sizeof why), PW_OK, "%s", why);
}

static void teardown(void)
{
    pwfake_gateway_destroy(d);
    d = NULL;
}

TestSuite(gateway, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static const char *attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

/* How to sign a test enquiry. */
typedef struct sign_opts {
    const pw_peering_key_t *key; /* NULL: no signature */
    const char *network;         /* the signature's network attribute */
    const char *signed_from;     /* the domain that goes into the signed string */
    int64_t skew_ms;             /* added to the wall clock when signing */
} sign_opts_t;

/* The addresses the enquiries of the test were sent to, by IQ id: answers come from there. */
static struct {
    char id[32];
    char to[PW_JID_MAX + 1];
} asked[16];

/* The address request id was delivered to, or NULL. */
static const char *asked_at(const char *id)
{
    for (size_t i = 0; id && i < sizeof asked / sizeof asked[0]; i++) {
        if (strcmp(asked[i].id, id) == 0)
            return asked[i].to;
    }
    return NULL;
}

/* The enquiry IQ as XML text, as a peer's proxy sends it to address to (NULL: to the
 * presentity at the gateway, as version 1 addresses it) (caller frees with xmpp_free). */
static char *enquiry_xml_to(const pw_enquiry_t *e, const char *to, const char *from, const char *id,
                            const sign_opts_t *so)
{
    char addr[PW_JID_MAX + 1];
    xmpp_stanza_t *iq;
    char *xml = NULL;
    size_t len, slot;
    static size_t next;

    if (!to)
        to = pwfake_keys_enquiry_to(e, GW, addr, sizeof addr);
    iq = pw_enquiry_iq(d->ctx, e, to);
    slot = asked_at(id) ? (size_t)(((const char *)asked_at(id) - asked[0].to) / sizeof asked[0]) : next++;
    next %= sizeof asked / sizeof asked[0];
    snprintf(asked[slot].id, sizeof asked[slot].id, "%s", id);
    snprintf(asked[slot].to, sizeof asked[slot].to, "%s", to);
    xmpp_stanza_set_from(iq, from);
    xmpp_stanza_set_id(iq, id);
    if (so && so->key) {
        xmpp_stanza_t *sig = pw_peering_sign(d->ctx, so->key, so->network, e, so->signed_from, GW,
                                             (uint64_t)((int64_t)pw_clock_wall_ms() + so->skew_ms));
        cr_assert_not_null(sig);
        xmpp_stanza_add_child(xmpp_stanza_get_child_by_name(iq, "enquiry"), sig);
        xmpp_stanza_release(sig);
    }
    cr_assert_eq(xmpp_stanza_to_text(iq, &xml, &len), XMPP_EOK);
    xmpp_stanza_release(iq);
    return xml;
}

/* The enquiry IQ addressed to the presentity at the gateway (caller frees with xmpp_free). */
static char *enquiry_xml(const pw_enquiry_t *e, const char *from, const char *id, const sign_opts_t *so)
{
    return enquiry_xml_to(e, NULL, from, id, so);
}

static void deliver_enquiry(const pw_enquiry_t *e, const char *from, const char *id, const sign_opts_t *so)
{
    char *xml = enquiry_xml(e, from, id, so);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0, "%s", xml);
    xmpp_free(d->ctx, xml);
}

static const sign_opts_t SIGNED_BY_OPA = { NULL, "opa.example", PROXY, 0 };

static void deliver_signed(const pw_enquiry_t *e, const char *id)
{
    sign_opts_t so = SIGNED_BY_OPA;
    so.key = d->k_opa;
    deliver_enquiry(e, PROXY, id, &so);
}

/* The last stanza is an IQ of this type from the gateway to `to`, for request id (NULL: any);
 * returns it. An answer to an enquiry comes from exactly the address it was sent to. */
static xmpp_stanza_t *expect_last_iq(const char *type, const char *to, const char *id)
{
    xmpp_stanza_t *s = pwfake_transport_last(d->fake);
    int answer = strcmp(type, "result") == 0 || strcmp(type, "error") == 0;
    cr_assert_not_null(s);
    cr_assert_str_eq(attr(s, "type"), type);
    cr_assert_str_eq(attr(s, "to"), to);
    cr_assert_str_eq(attr(s, "from"), answer && asked_at(id) ? asked_at(id) : GW);
    if (id)
        cr_assert_str_eq(attr(s, "id"), id);
    return s;
}

/* The last stanza must be an error to the proxy for request id; returns its condition. */
static pw_error_t last_error_to_proxy(const char *id, char *text, size_t cap)
{
    return pw_stanza_error_parse(expect_last_iq("error", PROXY, id), text, cap);
}

/* No internal address in a stanza that leaves the operator. */
static void assert_no_internal_address(xmpp_stanza_t *s)
{
    char *xml;
    size_t len;
    cr_assert_eq(xmpp_stanza_to_text(s, &xml, &len), XMPP_EOK);
    cr_assert_null(strstr(xml, PS), "the PS address leaks: %s", xml);
    cr_assert_null(strstr(xml, HSS), "the HSS address leaks: %s", xml);
    cr_assert_null(strstr(xml, "bob@opb.example"), "the presentity's JID leaks: %s", xml);
    xmpp_free(d->ctx, xml);
}

/* The last stanza must be the HSS lookup; returns its id. */
static const char *expect_hss_lookup(const char *key, const char *value)
{
    xmpp_stanza_t *s = pwfake_transport_last(d->fake), *lookup;
    cr_assert_not_null(s);
    cr_assert_str_eq(xmpp_stanza_get_name(s), "iq");
    cr_assert_str_eq(attr(s, "type"), "get");
    cr_assert_str_eq(attr(s, "to"), HSS);
    lookup = xmpp_stanza_get_child_by_name_and_ns(s, "lookup", PW_HSS_NS);
    cr_assert_not_null(lookup, "an HSS lookup was sent");
    cr_assert_str_eq(attr(lookup, key), value);
    return attr(s, "id");
}

static void hss_answers_bob(const char *id)
{
    char xml[768];
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" HSS "' to='" GW "'>"
             "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='+12025550123' jid='bob@opb.example' "
             "presence-server='" PS "' status='active' account='postpaid' balance='0'/></iq>", id);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
}

/* The HSS or the PS (from) answers request id with an error of this type, condition and text. */
static void answer_error(const char *from, const char *id, const char *type, const char *condition, const char *text)
{
    char xml[1024];
    snprintf(xml, sizeof xml, "<iq type='error' id='%s' from='%s' to='" GW "'><error type='%s'>"
             "<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>%s</text>"
             "</error></iq>", id, from, type, condition, text);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0, "%s", xml);
}

/* The last stanza must be the enquiry forwarded to the PS; returns its id. */
static const char *expect_ps_enquiry(void)
{
    static const char *const want[][2] = {
        { "presentity-jid", "bob@opb.example" },
        { "presentity", "+12025550123" },
        { "ref", "watcher.opa.example/0b6c9a8e-2f0e-4a55-9a0f-6c51c8b1a2d4" },
        { "watcher-msisdn", "+447700900001" },
        { "watcher-jid", "alice@opa.example" },
        { "watcher-network", "opa.example" },
    };
    xmpp_stanza_t *s = expect_last_iq("set", PS_BOB, NULL), *el;
    el = xmpp_stanza_get_child_by_name_and_ns(s, "enquiry", PW_NS_CHAIN);
    cr_assert_not_null(el);
    cr_assert_null(xmpp_stanza_get_child_by_name(el, "signature"), "the signature stays at the gateway");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_str_eq(attr(el, want[i][0]), want[i][1], "the enquiry's %s", want[i][0]);
    return attr(s, "id");
}

/* Deliver bob's enquiry signed by opa as request id, and the HSS finds bob by his number: the enquiry goes on to the PS. */
static void deliver_until_the_ps(const pw_enquiry_t *e, const char *id)
{
    char hss_id[64];
    deliver_signed(e, id);
    snprintf(hss_id, sizeof hss_id, "%s", expect_hss_lookup("msisdn", "+12025550123"));
    hss_answers_bob(hss_id);
}

/* ---- the happy path ---- */

Test(gateway, signed_enquiry_goes_to_hss_then_ps_and_the_state_comes_back)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char xml[768], hss_id[64], ps_id[64];
    xmpp_stanza_t *res, *el, *state;

    deliver_signed(&e, "e1");
    cr_assert_eq(pwfake_transport_sent_count(d->fake), 1);
    snprintf(hss_id, sizeof hss_id, "%s", expect_hss_lookup("msisdn", "+12025550123"));
    cr_assert_eq(pw_gateway_in_flight(d->gw), 1);

    hss_answers_bob(hss_id);
    cr_assert_eq(pwfake_transport_sent_count(d->fake), 2);
    snprintf(ps_id, sizeof ps_id, "%s", expect_ps_enquiry());
    cr_assert_str_eq(attr(xmpp_stanza_get_child_by_name(pwfake_transport_last(d->fake), "enquiry"), "proxy"), PROXY,
                     "the PS learns where notifications go back to");

    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" PS_BOB "' to='" GW "'>"
             "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/0b6c9a8e-2f0e-4a55-9a0f-6c51c8b1a2d4' kind='current'>"
             "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>In a meeting</status></state>"
             "</enquiry></iq>", ps_id);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    cr_assert_eq(pwfake_transport_sent_count(d->fake), 3);
    res = expect_last_iq("result", PROXY, "e1");
    el = xmpp_stanza_get_child_by_name_and_ns(res, "enquiry", PW_NS_CHAIN);
    cr_assert_not_null(el);
    cr_assert_str_eq(attr(el, "ref"), "watcher.opa.example/0b6c9a8e-2f0e-4a55-9a0f-6c51c8b1a2d4");
    state = xmpp_stanza_get_child_by_name(el, "state");
    cr_assert_not_null(state, "the state travels back");
    cr_assert_str_eq(attr(state, "available"), "true");
    cr_assert_str_eq(attr(state, "show"), "away");
    cr_assert_null(xmpp_stanza_get_child_by_name(el, "signature"));
    assert_no_internal_address(res);
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
}

Test(gateway, enquiry_by_jid_is_looked_up_by_jid)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char hss_id[64];
    e.presentity[0] = '\0';
    snprintf(e.presentity_jid, sizeof e.presentity_jid, "bob@opb.example");
    deliver_signed(&e, "j1");
    snprintf(hss_id, sizeof hss_id, "%s", expect_hss_lookup("jid", "bob@opb.example"));
    hss_answers_bob(hss_id);
    expect_ps_enquiry(); /* presentity filled in from the HSS record */
}

/* Deliver e signed by opa, addressed to to, as request id. */
static void deliver_signed_to(const pw_enquiry_t *e, const char *to, const char *id)
{
    sign_opts_t so = SIGNED_BY_OPA;
    char *xml;
    so.key = d->k_opa;
    xml = enquiry_xml_to(e, to, PROXY, id, &so);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0, "%s", xml);
    xmpp_free(d->ctx, xml);
}

/* Protocol version 1 (seed: "Presence query for B" to B's_MSISDN@gateway_presence_server):
 * the enquiry goes to bob's number at the gateway, on to his number at his PS, and each answer
 * comes from exactly the address asked. */
Test(gateway, enquiry_to_the_number_goes_to_the_number_at_the_ps)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char xml[768], ps_id[64];
    xmpp_stanza_t *ps;

    deliver_signed_to(&e, "+12025550123@gateway.opb.example", "n1");
    hss_answers_bob(expect_hss_lookup("msisdn", "+12025550123"));
    ps = pwfake_transport_last(d->fake);
    cr_assert_str_eq(attr(ps, "to"), "+12025550123@ps1.opb.example", "step 7: B's_MSISDN@B's_presence_server");
    cr_assert_str_eq(attr(ps, "from"), GW);
    snprintf(ps_id, sizeof ps_id, "%s", attr(ps, "id"));
    /* an answer from the PS's bare domain is not the answer to what was sent (ignored) */
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" PS "' to='" GW "'/>", ps_id);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    cr_assert_eq(pw_gateway_in_flight(d->gw), 1, "still waiting for bob's PS");
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='+12025550123@ps1.opb.example' to='" GW "'>"
             "<enquiry xmlns='urn:peerwatch:chain:1' ref='r' kind='current'>"
             "<state xmlns='urn:peerwatch:0' available='false'/></enquiry></iq>", ps_id);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    ps = pwfake_transport_last(d->fake);
    cr_assert_str_eq(attr(ps, "type"), "result");
    cr_assert_str_eq(attr(ps, "to"), PROXY);
    cr_assert_str_eq(attr(ps, "from"), "+12025550123@gateway.opb.example", "answered from the address asked");
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
}

/* An enquiry naming bob by JID goes to his XEP-0106-escaped JID at the gateway (its domain part
 * in any case); after the HSS it goes to his number at his PS. */
Test(gateway, enquiry_by_jid_at_the_escaped_address_is_accepted)
{
    static const char *const to[] = { "bob\\40opb.example@gateway.opb.example",
                                      "bob\\40OPB.example@gateway.opb.example" };
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    e.presentity[0] = '\0';
    snprintf(e.presentity_jid, sizeof e.presentity_jid, "bob@opb.example");
    for (size_t i = 0; i < 2; i++) {
        char id[8], ps_id[64], text[256];
        snprintf(id, sizeof id, "x%zu", i);
        deliver_signed_to(&e, to[i], id);
        hss_answers_bob(expect_hss_lookup("jid", "bob@opb.example"));
        snprintf(ps_id, sizeof ps_id, "%s", expect_ps_enquiry());
        answer_error(PS_BOB, ps_id, "cancel", "forbidden", "no");
        cr_assert_eq(last_error_to_proxy(id, text, sizeof text), PW_ERR_FORBIDDEN, "%s", text);
        cr_assert_str_eq(attr(pwfake_transport_last(d->fake), "from"), to[i], "answered from the address asked");
    }
}

/* The attribute and the address must agree or the stanza is refused: bad-request with a text
 * saying what to do, before the signature check (no nonce spent), no HSS lookup, nothing served. */
Test(gateway, enquiry_not_addressed_to_its_presentity_is_refused)
{
    static const struct {
        const char *to, *says;
        int by_jid;
    } refused[] = {
        { GW, "version 1 addresses the presentity: send to +12025550123@gateway.opb.example", 0 },
        { GW, "version 1 addresses the presentity: send to bob\\40opb.example@gateway.opb.example", 1 },
        { "+12025550199@" GW, "the attribute and the address must agree or the stanza is refused", 0 },
        { "+12025550123@" GW, "the attribute and the address must agree or the stanza is refused", 1 },
        { "bob\\40opb.example@" GW, "must agree", 0 },
        { "carol\\40opb.example@" GW, "must agree", 1 },
        { "bob@" GW, "must agree", 1 },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        pw_enquiry_t e = pwfake_keys_alice_enquiry();
        size_t before = pwfake_transport_sent_count(d->fake);
        char id[8], text[1024];
        xmpp_stanza_t *s;
        if (refused[i].by_jid) {
            e.presentity[0] = '\0';
            snprintf(e.presentity_jid, sizeof e.presentity_jid, "bob@opb.example");
        }
        snprintf(id, sizeof id, "r%zu", i);
        deliver_signed_to(&e, refused[i].to, id);
        cr_assert_eq(pwfake_transport_sent_count(d->fake), before + 1, "%s: one answer, no HSS lookup", id);
        s = expect_last_iq("error", PROXY, id);
        cr_assert_str_eq(attr(s, "from"), refused[i].to);
        cr_assert_eq(pw_stanza_error_parse(s, text, sizeof text), PW_ERR_BAD_REQUEST, "%s: %s", id, text);
        cr_assert(strstr(text, refused[i].says), "%s: '%s' says '%s'", id, text, refused[i].says);
        if (!refused[i].by_jid) /* (an enquiry by JID echoes bob's JID, which its sender wrote) */
            assert_no_internal_address(s);
    }
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
    /* the very stanza refused, its signature and nonce unchanged, is served once addressed
     * right: the refusal spent no nonce, and the signature names the gateway's domain only */
    {
        pw_enquiry_t e = pwfake_keys_alice_enquiry();
        sign_opts_t so = SIGNED_BY_OPA;
        char *xml, *at, *fixed, text[512];
        so.key = d->k_opa;
        xml = enquiry_xml_to(&e, GW, PROXY, "ok", &so);
        cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
        cr_assert_eq(last_error_to_proxy("ok", text, sizeof text), PW_ERR_BAD_REQUEST, "%s", text);
        at = strstr(xml, "to=\"" GW "\"");
        cr_assert_not_null(at, "%s", xml);
        fixed = malloc(strlen(xml) + sizeof "+12025550123@");
        cr_assert_not_null(fixed);
        sprintf(fixed, "%.*sto=\"+12025550123@%s", (int)(at - xml), xml, at + strlen("to=\""));
        cr_assert_eq(pwfake_transport_deliver_xml(d->fake, fixed), 0, "%s", fixed);
        expect_hss_lookup("msisdn", "+12025550123");
        cr_assert_eq(pw_gateway_in_flight(d->gw), 1);
        free(fixed);
        xmpp_free(d->ctx, xml);
    }
}

Test(gateway, subdomain_of_a_peer_may_send_and_other_peers_too)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opa, "opa.example", "eu.proxy.opa.example", 0 };
    deliver_enquiry(&e, "eu.proxy.opa.example", "s1", &so);
    expect_hss_lookup("msisdn", "+12025550123");

    snprintf(e.watcher_network, sizeof e.watcher_network, "opc.example");
    snprintf(e.watcher_jid, sizeof e.watcher_jid, "carol@opc.example");
    so = (sign_opts_t){ d->k_opc, "opc.example", "proxy.opc.example", 0 };
    deliver_enquiry(&e, "proxy.opc.example", "s2", &so);
    expect_hss_lookup("msisdn", "+12025550123");
    cr_assert_eq(pw_gateway_in_flight(d->gw), 2);
}

/* ---- refusals ---- */

/* Deliver and expect not-authorized with a text holding word, and nothing sent to the HSS. */
static void expect_refused(const pw_enquiry_t *e, const char *from, const sign_opts_t *so,
                           pw_error_t want, const char *word)
{
    char text[1024];
    size_t before = pwfake_transport_sent_count(d->fake);
    deliver_enquiry(e, from, "bad", so);
    cr_assert_eq(pwfake_transport_sent_count(d->fake), before + 1, "exactly one answer, no HSS lookup");
    xmpp_stanza_t *s = pwfake_transport_last(d->fake);
    cr_assert_str_eq(attr(s, "type"), "error");
    cr_assert_str_eq(attr(s, "to"), from);
    cr_assert_eq(pw_stanza_error_parse(s, text, sizeof text), want, "condition %s, text '%s'",
                 pw_error_name(pw_stanza_error_parse(s, text, sizeof text)), text);
    cr_assert(strstr(text, word), "'%s' says %s", text, word);
    assert_no_internal_address(s);
}

Test(gateway, sender_without_peering_agreement_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_rogue, "opa.example", "proxy.evil.example", 0 };
    expect_refused(&e, "proxy.evil.example", &so, PW_ERR_NOT_AUTHORIZED, "no peering agreement");
    so.signed_from = "proxy.evilopa.example";
    expect_refused(&e, "proxy.evilopa.example", &so, PW_ERR_NOT_AUTHORIZED, "no peering agreement");
    so.signed_from = "example";
    expect_refused(&e, "example", &so, PW_ERR_NOT_AUTHORIZED, "no peering agreement");
}

Test(gateway, a_user_of_a_peer_never_speaks_for_it)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opa, "opa.example", "opa.example", 0 };
    expect_refused(&e, "alice@opa.example/phone", &so, PW_ERR_NOT_AUTHORIZED, "not a component");
    so.signed_from = "proxy.opa.example";
    expect_refused(&e, "x@proxy.opa.example", &so, PW_ERR_NOT_AUTHORIZED, "not a component");
}

Test(gateway, watcher_network_must_be_the_senders_network)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opc, "opc.example", PROXY, 0 };
    snprintf(e.watcher_network, sizeof e.watcher_network, "opc.example");
    expect_refused(&e, PROXY, &so, PW_ERR_NOT_AUTHORIZED, "watcher-network");
}

Test(gateway, unsigned_enquiry_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    expect_refused(&e, PROXY, NULL, PW_ERR_NOT_AUTHORIZED, "no operator signature");
}

Test(gateway, signature_of_another_network_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opc, "opc.example", PROXY, 0 };
    expect_refused(&e, PROXY, &so, PW_ERR_NOT_AUTHORIZED, "signature's network");
}

Test(gateway, signature_with_the_wrong_key_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_rogue, "opa.example", PROXY, 0 };
    expect_refused(&e, PROXY, &so, PW_ERR_NOT_AUTHORIZED, "does not verify");
    so = (sign_opts_t){ d->k_opa, "opa.example", "proxy2.opa.example", 0 };
    expect_refused(&e, PROXY, &so, PW_ERR_NOT_AUTHORIZED, "does not verify");
}

/* The last stanza is not-authorized to request id, its text holding word, after sent stanzas in all. */
static void expect_not_authorized(const char *id, const char *word, size_t sent)
{
    char text[512];
    cr_assert_eq(last_error_to_proxy(id, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert(strstr(text, word), "%s", text);
    cr_assert_eq(pwfake_transport_sent_count(d->fake), sent);
}

Test(gateway, tampered_enquiry_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opa, "opa.example", PROXY, 0 };
    char *xml = enquiry_xml(&e, PROXY, "t1", &so), *p;
    /* change the watcher after signing */
    p = strstr(xml, "alice@opa.example");
    cr_assert_not_null(p);
    memcpy(p, "mally", 5);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    xmpp_free(d->ctx, xml);
    expect_not_authorized("t1", "does not verify", 1);
}

Test(gateway, replayed_enquiry_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opa, "opa.example", PROXY, 0 };
    char *xml = enquiry_xml(&e, PROXY, "r1", &so);
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    expect_hss_lookup("msisdn", "+12025550123");
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    xmpp_free(d->ctx, xml);
    expect_not_authorized("r1", "replay", 2);
}

Test(gateway, stale_or_future_signature_is_not_authorized)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    sign_opts_t so = { d->k_opa, "opa.example", PROXY, -600000 };
    expect_refused(&e, PROXY, &so, PW_ERR_NOT_AUTHORIZED, "timestamp");
    so.skew_ms = 600000;
    expect_refused(&e, PROXY, &so, PW_ERR_NOT_AUTHORIZED, "timestamp");
}

Test(gateway, an_enquiry_held_up_past_max_age_is_not_served)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    /* signed 11 s ago (a WAN outage held it): the asker has given up (max_age 10 s) */
    sign_opts_t so = { d->k_opa, "opa.example", PROXY, -11000 };
    expect_refused(&e, PROXY, &so, PW_ERR_REMOTE_SERVER_TIMEOUT, "max_age");
    so.skew_ms = -8000; /* within it: served */
    deliver_enquiry(&e, PROXY, "fresh", &so);
    expect_hss_lookup("msisdn", "+12025550123");
}

Test(gateway, malformed_enquiries_get_their_condition)
{
    char text[512];
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='m1' from='" PROXY "' to='" GW "'>"
                               "<enquiry xmlns='urn:peerwatch:chain:1' kind='later' ref='r' presentity='+12025550123' "
                               "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'/></iq>");
    cr_assert_eq(last_error_to_proxy("m1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "kind"), "%s", text);
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='m2' from='" PROXY "' to='" GW "'>"
                               "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' ref='r' presentity='+1' "
                               "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'/></iq>");
    cr_assert_eq(last_error_to_proxy("m2", text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert(strstr(text, "presentity"), "%s", text);
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
}

/* ---- HSS and PS outcomes ---- */

/*
 * Bob's enquiry as request id meets this error from the HSS; the answer to the proxy names no
 * internal address. @return its condition (its text in text)
 */
static pw_error_t hss_error_to_proxy(const char *id, const char *type, const char *condition, const char *hss_text,
                                     char *text, size_t cap)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    deliver_signed(&e, id);
    answer_error(HSS, expect_hss_lookup("msisdn", "+12025550123"), type, condition, hss_text);
    assert_no_internal_address(pwfake_transport_last(d->fake));
    return last_error_to_proxy(id, text, cap);
}

Test(gateway, unknown_number_is_item_not_found)
{
    char text[512];
    cr_assert_eq(hss_error_to_proxy("u1", "cancel", "item-not-found", "no subscriber has the number +12025550123",
                                    text, sizeof text),
                 PW_ERR_ITEM_NOT_FOUND);
    cr_assert(strstr(text, "+12025550123"), "%s", text);
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
}

Test(gateway, hss_refusal_is_an_internal_error_without_its_text)
{
    char text[512];
    cr_assert_eq(hss_error_to_proxy("h1", "auth", "forbidden", HSS " allows only its own components", text, sizeof text),
                 PW_ERR_INTERNAL_SERVER_ERROR);
}

/*
 * ms later request id gets remote-server-timeout (its text in text) naming no internal address,
 * and nothing stays in flight.
 */
static void expect_timeout_after(uint64_t ms, const char *id, char *text, size_t cap)
{
    d->clock_ms += ms;
    pw_loop_run_once(d->loop, 0);
    cr_assert_eq(last_error_to_proxy(id, text, cap), PW_ERR_REMOTE_SERVER_TIMEOUT);
    assert_no_internal_address(pwfake_transport_last(d->fake));
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
}

Test(gateway, hss_timeout_is_remote_server_timeout)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char text[512];
    deliver_signed(&e, "t1");
    expect_hss_lookup("msisdn", "+12025550123");
    d->clock_ms += 4999;
    pw_loop_run_once(d->loop, 0);
    cr_assert_eq(pwfake_transport_sent_count(d->fake), 1, "not before iq_timeout");
    expect_timeout_after(1, "t1", text, sizeof text);
    cr_assert(strstr(text, "opb.example"), "%s", text);
}

Test(gateway, ps_timeout_is_remote_server_timeout)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char text[512];
    deliver_until_the_ps(&e, "t2");
    expect_ps_enquiry();
    expect_timeout_after(5000, "t2", text, sizeof text);
    cr_assert_str_eq(text, "the presence service of opb.example did not answer in time");
}

Test(gateway, ps_errors_are_relayed_but_never_its_address)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char text[512];

    deliver_until_the_ps(&e, "p1");
    answer_error(PS_BOB, expect_ps_enquiry(), "auth", "subscription-required", "+12025550123 has not approved you yet");
    cr_assert_eq(last_error_to_proxy("p1", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_str_eq(text, "+12025550123 has not approved you yet");

    deliver_until_the_ps(&e, "p2");
    answer_error(PS_BOB, expect_ps_enquiry(), "wait", "internal-server-error", PS " cannot write its charge records");
    cr_assert_eq(last_error_to_proxy("p2", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    assert_no_internal_address(pwfake_transport_last(d->fake));
}

Test(gateway, bad_hss_record_is_an_internal_error)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char xml[768], text[512];
    deliver_signed(&e, "b1");
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" HSS "' to='" GW "'>"
             "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='+12025550123' jid='bob@opb.example'/></iq>",
             expect_hss_lookup("msisdn", "+12025550123"));
    cr_assert_eq(pwfake_transport_deliver_xml(d->fake, xml), 0);
    cr_assert_eq(last_error_to_proxy("b1", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert_eq(pw_gateway_in_flight(d->gw), 0);
}

/* ---- rate limit ---- */

Test(gateway, rate_per_peer_is_a_token_bucket)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char text[512];
    d->settings.rate_per_peer = 2;
    cr_assert_eq(pw_gateway_reload(d->gw, &d->settings), PW_OK, "a reload applies the new rate");
    deliver_signed(&e, "a1");
    expect_hss_lookup("msisdn", "+12025550123");
    deliver_signed(&e, "a2");
    expect_hss_lookup("msisdn", "+12025550123");
    deliver_signed(&e, "a3");
    cr_assert_eq(last_error_to_proxy("a3", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert(strstr(text, "opa.example"), "%s", text);
    /* another peer has its own bucket */
    {
        pw_enquiry_t c = e;
        sign_opts_t so = { d->k_opc, "opc.example", "proxy.opc.example", 0 };
        snprintf(c.watcher_network, sizeof c.watcher_network, "opc.example");
        deliver_enquiry(&c, "proxy.opc.example", "c1", &so);
        expect_hss_lookup("msisdn", "+12025550123");
    }
    /* half a second later one token is back */
    d->clock_ms += 500;
    pw_loop_update_time(d->loop);
    deliver_signed(&e, "a4");
    expect_hss_lookup("msisdn", "+12025550123");
    deliver_signed(&e, "a5");
    cr_assert_eq(last_error_to_proxy("a5", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
}

/* max_in_flight: beyond it every peer is refused at once (nothing asked of the HSS), with a
 * temporary condition (type wait) and a text that says so. */
Test(gateway, beyond_max_in_flight_enquiries_are_refused_at_once)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char text[512];
    size_t before;

    d->settings.max_in_flight = 2;
    cr_assert_eq(pw_gateway_reload(d->gw, &d->settings), PW_OK);
    deliver_signed(&e, "b1");
    expect_hss_lookup("msisdn", "+12025550123");
    deliver_signed(&e, "b2");
    expect_hss_lookup("msisdn", "+12025550123");
    before = pwfake_transport_sent_count(d->fake);
    deliver_signed(&e, "b3");
    cr_assert_eq(pwfake_transport_sent_count(d->fake), before + 1, "only the refusal is sent");
    cr_assert_eq(last_error_to_proxy("b3", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert(strstr(text, "the gateway of opb.example is busy (2 enquiries in progress)"), "%s", text);
    cr_assert_str_eq(xmpp_stanza_get_type(xmpp_stanza_get_child_by_name(pwfake_transport_last(d->fake), "error")),
                     "wait");
    cr_assert_eq(pw_gateway_in_flight(d->gw), 2);
}

/* ---- lifecycle, disco, config ---- */

Test(gateway, shutdown_answers_enquiries_in_flight)
{
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char text[512];
    deliver_signed(&e, "d1");
    expect_hss_lookup("msisdn", "+12025550123");
    pw_gateway_destroy(d->gw);
    d->gw = NULL;
    cr_assert_eq(last_error_to_proxy("d1", text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert_eq(pw_component_pending_iqs(d->comp), 0);
}

Test(gateway, disco_advertises_the_chain_namespace)
{
    xmpp_stanza_t *s;
    int found = 0;
    pwfake_transport_deliver_xml(d->fake, "<iq type='get' id='d1' from='" PROXY "' to='" GW "'>"
                               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    s = xmpp_stanza_get_child_by_name(pwfake_transport_last(d->fake), "query");
    cr_assert_not_null(s);
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(s); c; c = xmpp_stanza_get_next(c)) {
        if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "feature") == 0 &&
            strcmp(attr(c, "var"), PW_NS_CHAIN) == 0)
            found = 1;
    }
    cr_assert(found, "urn:peerwatch:chain:1 is advertised");
}

Test(gateway, example_configs_load_and_a_gateway_without_peers_only_warns)
{
    static const char *const files[] = { "gateway-opb.conf", "gateway-opa.conf" };
    char why[1024], path[512];
    for (size_t i = 0; i < 2; i++) {
        pw_gateway_settings_t s;
        memset(&s, 0, sizeof s);
        cr_assert_eq(chdir(PWT_TREE), 0); /* conf/ there holds the secrets at mode 0640 */
        snprintf(path, sizeof path, "conf/%s", files[i]);
        cr_assert_eq(pw_runtime_load_config(&pw_gateway_role, path, &s, why, sizeof why), PW_OK, "%s", why);
        cr_assert_eq(pw_peering_peers_count(s.peers), 1);
        cr_assert_eq(s.max_skew_ms, 300000);
        cr_assert_eq(s.max_age_ms, 10000);
        cr_assert_eq(s.max_nonces, 1000000);
        cr_assert_eq(s.rate_per_peer, 200);
        cr_assert_eq(s.common.iq_timeout_ms, 5000);
        pw_runtime_free_config(&pw_gateway_role, &s);
    }
    {
        pw_gateway_settings_t s;
        FILE *f;
        snprintf(path, sizeof path, "%s/nopeers.conf", d->dir);
        f = pwt_file_create(path);
        cr_assert_not_null(f);
        fprintf(f, "[component]\njid = gateway.opb.example\nsecret = x\n[gateway]\nnetwork = opb.example\n"
                   "hss = hss.opb.example\npresence_servers = ps1.opb.example\nsigning_key = %s\n", d->opb.key);
        fclose(f);
        memset(&s, 0, sizeof s);
        /* before the first peering agreement (a fresh install): loads, with a warning */
        cr_assert_eq(pw_runtime_load_config(&pw_gateway_role, path, &s, why, sizeof why), PW_OK, "%s", why);
        cr_assert_eq(pw_peering_peers_count(s.peers), 0);
        pw_runtime_free_config(&pw_gateway_role, &s);
        f = pwt_file_create(path);
        cr_assert_not_null(f);
        fprintf(f, "[component]\njid = gateway.opb.example\nsecret = x\n[gateway]\nnetwork = opb.example\n"
                   "hss = hss.opb.example\npresence_servers = ps1.opb.example\nsigning_key = %s\n[peers]\nopa.example = %s/missing.pub\n",
                d->opb.key, d->dir);
        fclose(f);
        memset(&s, 0, sizeof s);
        cr_assert_neq(pw_runtime_load_config(&pw_gateway_role, path, &s, why, sizeof why), PW_OK);
        cr_assert(strstr(why, "missing.pub"), "%s", why);
        unlink(path);
    }
}

/* ---- notifications (docs/protocol.md §5.2) ---- */

#define NOTIFY_ATTRS "subscription='s1' ref='watcher.opa.example/1' watcher-jid='alice@opa.example' " \
                     "presentity='+12025550123' seq='2'"

Test(gateway, notification_is_forwarded_to_the_named_proxy_and_acknowledged_back)
{
    xmpp_stanza_t *fwd, *el, *ack;
    char xml[768], fwd_id[64];
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='n1' from='" PS "' to='" GW "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PROXY "' " NOTIFY_ATTRS ">"
        "<state xmlns='urn:peerwatch:0' available='true' show='dnd'/></notify></iq>");
    cr_assert_eq(pwfake_transport_sent_count(d->fake), 1);
    fwd = pwfake_transport_last(d->fake);
    cr_assert_str_eq(attr(fwd, "to"), PROXY);
    cr_assert_str_eq(attr(fwd, "type"), "set");
    el = xmpp_stanza_get_child_by_name_and_ns(fwd, "notify", PW_NS_CHAIN);
    cr_assert_not_null(el);
    cr_assert_str_eq(attr(el, "seq"), "2");
    cr_assert_not_null(xmpp_stanza_get_child_by_name(el, "state"));
    assert_no_internal_address(fwd);
    {
        /* signed by this operator for the proxy it goes to (docs/protocol.md §5.2) */
        pw_peering_key_t *pub = NULL;
        pw_notify_t n;
        char why[256];
        xmpp_stanza_t *sig = xmpp_stanza_get_child_by_name_and_ns(el, "signature", PW_NS_CHAIN);
        cr_assert_not_null(sig, "the notification is signed");
        cr_assert_str_eq(attr(sig, "network"), "opb.example");
        cr_assert_eq(pw_notify_parse(el, &n, why, sizeof why), PW_OK, "%s", why);
        cr_assert_eq(pw_peering_key_load_public(d->opb.pub, &pub, why, sizeof why), PW_OK, "%s", why);
        cr_assert_eq(pw_peering_verify_notify(pub, sig, "opb.example", &n, GW, PROXY, why, sizeof why), PW_OK,
                     "%s", why);
        cr_assert_neq(pw_peering_verify_notify(pub, sig, "opb.example", &n, GW, "proxy.opc.example", why,
                                               sizeof why), PW_OK, "bound to the proxy it was sent to");
        pw_peering_key_destroy(pub);
    }
    snprintf(fwd_id, sizeof fwd_id, "%s", attr(fwd, "id"));
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" PROXY "' to='" GW "'/>", fwd_id);
    pwfake_transport_deliver_xml(d->fake, xml);
    ack = pwfake_transport_last(d->fake);
    cr_assert_str_eq(attr(ack, "type"), "result");
    cr_assert_str_eq(attr(ack, "id"), "n1");
    cr_assert_str_eq(attr(ack, "to"), PS);
}

Test(gateway, a_gone_watcher_is_relayed_back_to_the_presence_server)
{
    char xml[768], text[256];
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='n2' from='" PS "' to='" GW "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PROXY "' " NOTIFY_ATTRS " ended='expired'/></iq>");
    snprintf(xml, sizeof xml, "<iq type='error' id='%s' from='" PROXY "'><error type='cancel'>"
             "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such subscription</text></error></iq>",
             attr(pwfake_transport_last(d->fake), "id"));
    pwfake_transport_deliver_xml(d->fake, xml);
    cr_assert_str_eq(attr(pwfake_transport_last(d->fake), "to"), PS);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(d->fake), text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
}

Test(gateway, notifications_only_from_the_named_presence_servers_never_from_a_user)
{
    static const char *const senders[] = { "ps9.opb.example", "bob@opb.example", "x@" PS, "x@" PS "/r",
                                           "opb.example", "ps1.opc.example" };
    char xml[768], text[256];
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        snprintf(xml, sizeof xml, "<iq type='set' id='s%zu' from='%s' to='" GW "'>"
                 "<notify xmlns='urn:peerwatch:chain:1' proxy='" PROXY "' " NOTIFY_ATTRS " ended='stopped'/></iq>",
                 i, senders[i]);
        pwfake_transport_deliver_xml(d->fake, xml);
        cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(d->fake), text, sizeof text), PW_ERR_FORBIDDEN,
                     "%s", senders[i]);
    }
    cr_assert_eq(pwfake_transport_sent_count(d->fake), sizeof senders / sizeof senders[0], "nothing relayed");
}

Test(gateway, notifications_only_from_own_components_and_only_to_peers)
{
    char text[256];
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='n3' from='" PROXY "' to='" GW "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PROXY "' " NOTIFY_ATTRS " ended='stopped'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(d->fake), text, sizeof text), PW_ERR_FORBIDDEN);
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='n4' from='" PS "' to='" GW "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='proxy.evil.example' " NOTIFY_ATTRS " ended='stopped'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(d->fake), text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    pwfake_transport_deliver_xml(d->fake, "<iq type='set' id='n5' from='" PS "' to='" GW "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PROXY "' subscription='s1' seq='1'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(d->fake), text, sizeof text), PW_ERR_BAD_REQUEST);
}
