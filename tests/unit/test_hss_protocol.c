/* test_hss_protocol.c: the HSS lookup protocol (chain/pw_hss): the <lookup/> sent, <subscriber/> records parsed and built. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/pw_hss.h"
#include "fake_component.h"

/* Everything one test needs; the suite's .init/.fini (PWFAKE_FIXTURE_SUITE) reach it through this one pointer. */
typedef struct hss_protocol_fixture {
    pwfake_component_t *fc;   /* first: the component on the fake transport (pwfake_fixture_create) */
    int answers;               /* callbacks seen */
    pw_iq_outcome_t outcome;   /* of the last one */
    pw_hss_record_t record;    /* parsed from the last result */
    pw_status_t parsed;        /* what pw_hss_record_parse() said */
} hss_protocol_fixture_t;

static hss_protocol_fixture_t *fx;

PWFAKE_FIXTURE_SUITE(hss_protocol, fx, "test-hss-protocol", "watcher.opa.example");

static void on_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    hss_protocol_fixture_t *f = arg;
    (void)c;
    f->answers++;
    f->outcome = outcome;
    f->parsed = response ? pw_hss_record_parse(response, &f->record) : PW_EINVAL;
}

/* The one <lookup/> sent: checks the IQ around it. @return the <lookup/> */
static xmpp_stanza_t *sent_lookup(void)
{
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 1);
    xmpp_stanza_t *iq = pwfake_transport_last(fx->fc->fake);
    cr_assert_str_eq(xmpp_stanza_get_name(iq), "iq");
    cr_assert_str_eq(pwfake_attr(iq, "type"), "get");
    cr_assert_str_eq(pwfake_attr(iq, "to"), "hss.opa.example");
    cr_assert_str_eq(pwfake_attr(iq, "from"), "watcher.opa.example");
    cr_assert_neq(pwfake_attr(iq, "id")[0], '\0');
    xmpp_stanza_t *lookup = xmpp_stanza_get_children(iq);
    cr_assert_not_null(lookup);
    cr_assert_null(xmpp_stanza_get_next(lookup), "one payload");
    cr_assert_str_eq(xmpp_stanza_get_name(lookup), "lookup");
    cr_assert_str_eq(xmpp_stanza_get_ns(lookup), PW_HSS_NS);
    cr_assert_null(xmpp_stanza_get_children(lookup));
    return lookup;
}

Test(hss_protocol, lookup_by_msisdn)
{
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, "hss.opa.example", "+447700900001", NULL, on_answer, fx), PW_OK);
    xmpp_stanza_t *lookup = sent_lookup();
    cr_assert_str_eq(pwfake_attr(lookup, "msisdn"), "+447700900001");
    cr_assert_null(xmpp_stanza_get_attribute(lookup, "jid"));
    cr_assert_eq(xmpp_stanza_get_attribute_count(lookup), 2, "xmlns and msisdn only");
    cr_assert_eq(pw_component_pending_iqs(fx->fc->comp), 1);
    cr_assert_eq(fx->answers, 0, "not called back from within");
}

Test(hss_protocol, lookup_by_jid)
{
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, "hss.opa.example", NULL, "alice@opa.example", on_answer, fx), PW_OK);
    xmpp_stanza_t *lookup = sent_lookup();
    cr_assert_str_eq(pwfake_attr(lookup, "jid"), "alice@opa.example");
    cr_assert_null(xmpp_stanza_get_attribute(lookup, "msisdn"));
    cr_assert_eq(xmpp_stanza_get_attribute_count(lookup), 2, "xmlns and jid only");
}

Test(hss_protocol, lookup_needs_exactly_one_key_and_an_hss)
{
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, "hss.opa.example", "+447700900001", "alice@opa.example",
                               on_answer, fx), PW_EINVAL);
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, "hss.opa.example", NULL, NULL, on_answer, fx), PW_EINVAL);
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, NULL, "+447700900001", NULL, on_answer, fx), PW_EINVAL);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0);
    cr_assert_eq(pw_component_pending_iqs(fx->fc->comp), 0);
    cr_assert_eq(fx->answers, 0);
}

Test(hss_protocol, lookup_while_down_is_closed)
{
    pwfake_transport_down(fx->fc->fake);
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, "hss.opa.example", "+447700900001", NULL, on_answer, fx), PW_ECLOSED);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), 0);
    cr_assert_eq(fx->answers, 0);
}

Test(hss_protocol, result_reaches_the_callback)
{
    char xml[768];
    cr_assert_eq(pw_hss_lookup(fx->fc->comp, "hss.opa.example", "+447700900001", NULL, on_answer, fx), PW_OK);
    snprintf(xml, sizeof xml,
             "<iq type='result' id='%s' from='hss.opa.example' to='watcher.opa.example'>"
             "<subscriber xmlns='" PW_HSS_NS "' msisdn='+447700900001' jid='alice@opa.example' "
             "presence-server='ps1.opa.example' status='active' account='prepaid' balance='100'/></iq>",
             pwfake_attr(pwfake_transport_last(fx->fc->fake), "id"));
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake, xml), 0);
    cr_assert_eq(fx->answers, 1);
    cr_assert_eq(fx->outcome, PW_IQ_RESULT);
    cr_assert_eq(fx->parsed, PW_OK);
    cr_assert_str_eq(fx->record.msisdn, "+447700900001");
    cr_assert_str_eq(fx->record.jid, "alice@opa.example");
    cr_assert_str_eq(fx->record.presence_server, "ps1.opa.example");
    cr_assert_eq(fx->record.balance, 100);
}

/* Parse the record carried by a result with the given <subscriber/> attributes (XML text). */
static pw_status_t parse(const char *payload, pw_hss_record_t *r)
{
    char xml[1024];
    snprintf(xml, sizeof xml, "<iq type='result' id='h1' from='hss.opa.example'>%s</iq>", payload);
    xmpp_stanza_t *iq = xmpp_stanza_new_from_string(fx->fc->ctx, xml);
    cr_assert_not_null(iq, "%s", xml);
    memset(r, 0x5a, sizeof *r); /* everything is written */
    pw_status_t rc = pw_hss_record_parse(iq, r);
    xmpp_stanza_release(iq);
    return rc;
}

Test(hss_protocol, parse_a_good_record)
{
    pw_hss_record_t r;
    cr_assert_eq(parse("<subscriber xmlns='" PW_HSS_NS "' msisdn='+447700900001' jid='alice@opa.example' "
                       "presence-server='ps1.opa.example' status='active' account='prepaid' balance='100'/>",
                       &r), PW_OK);
    cr_assert_str_eq(r.msisdn, "+447700900001");
    cr_assert_str_eq(r.jid, "alice@opa.example");
    cr_assert_str_eq(r.presence_server, "ps1.opa.example");
    cr_assert_eq(r.active, 1);
    cr_assert_eq(r.barred, 0);
    cr_assert_eq(r.prepaid, 1);
    cr_assert_eq(r.has_balance, 1);
    cr_assert_eq(r.balance, 100);

    cr_assert_eq(parse("<subscriber xmlns='" PW_HSS_NS "' msisdn='+12025550123' jid='bob@opb.example/phone' "
                       "presence-server='ps1.opb.example' status='barred' account='postpaid' balance='0'/>",
                       &r), PW_OK);
    cr_assert_str_eq(r.jid, "bob@opb.example", "a full JID is reduced to its bare JID");
    cr_assert_eq(r.active, 0);
    cr_assert_eq(r.barred, 1);
    cr_assert_eq(r.prepaid, 0);
    cr_assert_eq(r.has_balance, 1);
    cr_assert_eq(r.balance, 0);
}

Test(hss_protocol, parse_a_partial_record)
{
    pw_hss_record_t r;
    cr_assert_eq(parse("<subscriber xmlns='" PW_HSS_NS "' jid='alice@opa.example'/>", &r), PW_OK);
    cr_assert_str_eq(r.msisdn, "");
    cr_assert_str_eq(r.jid, "alice@opa.example");
    cr_assert_str_eq(r.presence_server, "");
    cr_assert_eq(r.active + r.barred + r.prepaid + r.has_balance, 0);
    cr_assert_eq(r.balance, 0);

    cr_assert_eq(parse("<subscriber xmlns='" PW_HSS_NS "' msisdn='+447700900001' "
                       "presence-server='ps1.opa.example'/>", &r), PW_OK);
    cr_assert_str_eq(r.msisdn, "+447700900001");
    cr_assert_str_eq(r.jid, "");
    cr_assert_str_eq(r.presence_server, "ps1.opa.example");
}

Test(hss_protocol, parse_leaves_invalid_fields_empty)
{
    pw_hss_record_t r;
    cr_assert_eq(parse("<subscriber xmlns='" PW_HSS_NS "' msisdn='07700900001' jid='opa.example' "
                       "presence-server='ps@opa.example' status='Active' account='PREPAID' balance='12x'/>",
                       &r), PW_OK);
    cr_assert_str_eq(r.msisdn, "", "not E.164");
    cr_assert_str_eq(r.jid, "", "no localpart");
    cr_assert_str_eq(r.presence_server, "", "not a domain");
    cr_assert_eq(r.active, 0, "status compares exactly");
    cr_assert_eq(r.barred, 0);
    cr_assert_eq(r.prepaid, 0, "account compares exactly");
    cr_assert_eq(r.has_balance, 0, "trailing garbage");

    cr_assert_eq(parse("<subscriber xmlns='" PW_HSS_NS "' jid='a@b@c' balance=''/>", &r), PW_OK);
    cr_assert_str_eq(r.jid, "");
    cr_assert_eq(r.has_balance, 0, "empty balance");
    cr_assert_eq(r.balance, 0);

    /* a presence server one byte too long for the record */
    char ps[300], payload[600];
    memset(ps, 0, sizeof ps);
    for (int i = 0; i < 254; i += 2)
        memcpy(ps + i, "a.", 2);
    ps[253] = 'a';
    cr_assert_eq(strlen(ps), PW_ENQUIRY_DOMAIN_MAX + 1);
    snprintf(payload, sizeof payload, "<subscriber xmlns='" PW_HSS_NS "' presence-server='%s'/>", ps);
    cr_assert_eq(parse(payload, &r), PW_OK);
    cr_assert_str_eq(r.presence_server, "");
    ps[PW_ENQUIRY_DOMAIN_MAX] = '\0'; /* 253 characters ending in 'a': fits */
    snprintf(payload, sizeof payload, "<subscriber xmlns='" PW_HSS_NS "' presence-server='%s'/>", ps);
    cr_assert_eq(parse(payload, &r), PW_OK);
    cr_assert_str_eq(r.presence_server, ps);
}

Test(hss_protocol, parse_without_a_subscriber_is_not_found)
{
    pw_hss_record_t r;
    cr_assert_eq(parse("", &r), PW_ENOTFOUND);
    cr_assert_str_eq(r.msisdn, "");
    cr_assert_str_eq(r.jid, "");
    cr_assert_eq(r.has_balance, 0);
    cr_assert_eq(parse("<subscriber xmlns='urn:example:other' msisdn='+447700900001'/>", &r), PW_ENOTFOUND);
    cr_assert_eq(parse("<subscriber msisdn='+447700900001'/>", &r), PW_ENOTFOUND, "no namespace");
    cr_assert_eq(parse("<record xmlns='" PW_HSS_NS "' msisdn='+447700900001'/>", &r), PW_ENOTFOUND);
}

Test(hss_protocol, build_gives_the_documented_element)
{
    pw_hss_record_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.msisdn, sizeof r.msisdn, "+12025550123");
    snprintf(r.jid, sizeof r.jid, "bob@opb.example");
    snprintf(r.presence_server, sizeof r.presence_server, "ps1.opb.example");
    xmpp_stanza_t *sub = pw_hss_record_build(fx->fc->ctx, &r);
    cr_assert_not_null(sub);
    cr_assert_str_eq(xmpp_stanza_get_name(sub), "subscriber");
    cr_assert_str_eq(xmpp_stanza_get_ns(sub), PW_HSS_NS);
    cr_assert_str_eq(pwfake_attr(sub, "msisdn"), "+12025550123");
    cr_assert_str_eq(pwfake_attr(sub, "jid"), "bob@opb.example");
    cr_assert_str_eq(pwfake_attr(sub, "presence-server"), "ps1.opb.example");
    cr_assert_str_eq(pwfake_attr(sub, "status"), "active");
    cr_assert_str_eq(pwfake_attr(sub, "account"), "postpaid");
    cr_assert_str_eq(pwfake_attr(sub, "balance"), "0");
    cr_assert_eq(xmpp_stanza_get_attribute_count(sub), 7);
    xmpp_stanza_release(sub);
}

/* Build r, wrap it in a result, parse it back. */
static void round_trip(const pw_hss_record_t *r, pw_hss_record_t *back)
{
    xmpp_stanza_t *iq = xmpp_iq_new(fx->fc->ctx, "result", "h1");
    xmpp_stanza_t *sub = pw_hss_record_build(fx->fc->ctx, r);
    cr_assert_not_null(sub);
    xmpp_stanza_add_child(iq, sub);
    xmpp_stanza_release(sub);
    cr_assert_eq(pw_hss_record_parse(iq, back), PW_OK);
    xmpp_stanza_release(iq);
}

Test(hss_protocol, build_parse_round_trip)
{
    static const struct { int barred, prepaid; long long balance; } cases[] = {
        { 0, 1, 100 }, { 1, 1, 50 }, { 0, 0, 0 }, { 1, 0, 0 }, { 0, 1, LLONG_MAX }, { 0, 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pw_hss_record_t r, back;
        memset(&r, 0, sizeof r);
        snprintf(r.msisdn, sizeof r.msisdn, "+4477009000%02zu", i);
        snprintf(r.jid, sizeof r.jid, "user%zu@opa.example", i);
        snprintf(r.presence_server, sizeof r.presence_server, "ps%zu.opa.example", i);
        r.barred = cases[i].barred;
        r.active = !r.barred;
        r.prepaid = cases[i].prepaid;
        r.has_balance = 1;
        r.balance = cases[i].balance;
        round_trip(&r, &back);
        cr_assert_eq(memcmp(&r, &back, sizeof r), 0, "case %zu comes back the same", i);
    }
}
