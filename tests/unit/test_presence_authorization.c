/* test_presence_authorization.c: enquiry acceptance and the roster authorization table of docs/protocol.md §2.4-2.5. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/pw_runtime.h"
#include "presence_driver.h"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_authorization, .fini = stop_driver);

/* How many approval requests were sent (since the last pwfake_transport_clear()). */
static size_t approvals(void)
{
    size_t n = 0;
    for (size_t i = 0; i < pwfake_transport_sent_count(pd.fake); i++)
        n += xmpp_stanza_get_child_by_name(pwfake_transport_sent(pd.fake, i), "approval") != NULL;
    return n;
}

/* One enquiry answered from a roster holding items; returns the answer's condition
 * (PW_ERR_NONE for a result). */
static pw_error_t ask(const char *id, const char *items, char *text, size_t cap)
{
    xmpp_stanza_t *a;
    pwfake_presence_enquiry(&pd, id, id, "current");
    pwfake_presence_roster(&pd, items);
    pwfake_presence_run(&pd, 0);
    a = pwfake_presence_answer(&pd, id);
    cr_assert_not_null(a, "answer to %s", id);
    text[0] = '\0';
    if (strcmp(xmpp_stanza_get_type(a), "result") == 0)
        return PW_ERR_NONE;
    return pw_stanza_error_parse(a, text, cap);
}

Test(presence_authorization, the_roster_table)
{
    static const struct {
        const char *items;
        pw_error_t cond;
    } cases[] = {
        { "<item jid='+447700900001@watcher.opb.example' subscription='from'/>", PW_ERR_NONE },
        { "<item jid='+447700900001@watcher.opb.example' subscription='both' name='alice'><group>x</group></item>", PW_ERR_NONE },
        { "<item jid='alice@opa.example' subscription='from'/>", PW_ERR_NONE },
        { "<item jid='alice@OPA.Example' subscription='both'/>", PW_ERR_NONE },
        { "<item jid='+447700900001@watcher.opb.example' subscription='none'/>", PW_ERR_FORBIDDEN },
        { "<item jid='+447700900001@watcher.opb.example' subscription='to'/>", PW_ERR_FORBIDDEN },
        { "<item jid='alice@opa.example' subscription='to' ask='subscribe'/>", PW_ERR_FORBIDDEN },
        { "<item jid='alice@opa.example'/>", PW_ERR_FORBIDDEN },
        { "<item jid='alice@opa.example' subscription='none'/>"
          "<item jid='+447700900001@watcher.opb.example' subscription='from'/>", PW_ERR_NONE },
        { "", PW_ERR_SUBSCRIPTION_REQUIRED },
        { "<item jid='carol@opa.example' subscription='both'/><item jid='+447700900002@watcher.opb.example' subscription='both'/>"
          "<item jid='+447700900001@watcher.opa.example' subscription='both'/><item subscription='both'/>",
          PW_ERR_SUBSCRIPTION_REQUIRED },
    };
    char id[16], text[256];
    pwfake_presence_start(&pd, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(id, sizeof id, "e%zu", i);
        cr_assert_eq(ask(id, cases[i].items, text, sizeof text), cases[i].cond, "case %zu: %s -> %s (%s)", i,
                     cases[i].items, pw_error_name(cases[i].cond), text);
        if (cases[i].cond == PW_ERR_FORBIDDEN)
            cr_assert(strstr(text, "declined"), "%s", text);
        if (cases[i].cond == PW_ERR_SUBSCRIPTION_REQUIRED) {
            cr_assert(strstr(text, "+12025550123 has not yet approved +447700900001"), "%s", text);
            cr_assert(strstr(text, "approval has been requested"), "%s", text);
            cr_assert_null(strstr(text, "bob@"), "the presentity's JID does not leave: %s", text);
        }
    }
    {
        xmpp_stanza_t *get = pwfake_presence_sent_ns(&pd, "jabber:iq:roster");
        cr_assert_str_eq(xmpp_stanza_get_to(get), "bob@opb.example", "XEP-0356 roster get to the bare JID");
        cr_assert_str_eq(xmpp_stanza_get_name(xmpp_stanza_get_children(get)), "query");
    }
    cr_assert_eq(pw_presence_in_progress(pd.ps), 0);
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, approval_is_requested_once_per_interval_per_pair)
{
    char text[256];
    xmpp_stanza_t *iq, *ap;
    pwfake_presence_start(&pd, "approval_interval = 1d");
    cr_assert_eq(ask("a1", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_eq(approvals(), 1, "one approval request");
    iq = NULL;
    for (size_t i = 0; i < pwfake_transport_sent_count(pd.fake); i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(pd.fake, i);
        if (xmpp_stanza_get_child_by_name(s, "approval"))
            iq = s;
    }
    ap = xmpp_stanza_get_child_by_name(iq, "approval");
    cr_assert_not_null(ap);
    cr_assert_str_eq(xmpp_stanza_get_type(iq), "set");
    cr_assert_str_eq(xmpp_stanza_get_to(iq), "watcher.opb.example");
    cr_assert_str_eq(xmpp_stanza_get_ns(ap), "urn:peerwatch:chain:1");
    cr_assert_str_eq(xmpp_stanza_get_attribute(ap, "presentity"), "bob@opb.example");
    cr_assert_str_eq(xmpp_stanza_get_attribute(ap, "watcher-msisdn"), "+447700900001");
    cr_assert_str_eq(xmpp_stanza_get_attribute(ap, "watcher-jid"), "alice@opa.example");
    pwfake_presence_deliver(&pd, "<iq type='result' id='%s' from='watcher.opb.example' to='" PWFAKE_PRESENCE_JID "'/>", xmpp_stanza_get_id(iq));

    pwfake_transport_clear(pd.fake);
    pwfake_presence_run(&pd, 3600 * 1000);
    cr_assert_eq(ask("a2", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_eq(approvals(), 0, "within the interval: no request");

    pwfake_transport_clear(pd.fake);
    pwfake_presence_run(&pd, 23 * 3600 * 1000);
    cr_assert_eq(ask("a3", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_eq(approvals(), 1, "a day later: asked again");
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, a_failed_approval_request_is_retried_at_the_next_enquiry)
{
    char text[256];
    xmpp_stanza_t *iq = NULL;
    pwfake_presence_start(&pd, NULL);
    cr_assert_eq(ask("b1", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    for (size_t i = 0; i < pwfake_transport_sent_count(pd.fake); i++) {
        if (xmpp_stanza_get_child_by_name(pwfake_transport_sent(pd.fake, i), "approval"))
            iq = pwfake_transport_sent(pd.fake, i);
    }
    cr_assert_not_null(iq);
    pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='watcher.opb.example' to='" PWFAKE_PRESENCE_JID "'><error type='cancel'>"
               "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
               xmpp_stanza_get_id(iq));
    pwfake_transport_clear(pd.fake);
    cr_assert_eq(ask("b2", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_eq(approvals(), 1, "asked again after the failure");
    /* an approval request that times out is retried too */
    pwfake_transport_clear(pd.fake);
    pwfake_presence_run(&pd, 6000);
    cr_assert_eq(ask("b3", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_eq(approvals(), 1, "asked again after the timeout");
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, only_the_gateway_may_ask)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_deliver(&pd, "<iq type='set' id='f1' from='proxy.opa.example' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r1' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "f1", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert(strstr(text, "gateway"), "%s", text);
    pwfake_presence_deliver(&pd, "<iq type='set' id='f2' from='alice@opa.example/phone' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r2' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "f2", text, sizeof text), PW_ERR_FORBIDDEN);
    pwfake_presence_deliver(&pd, "<iq type='set' id='f3' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r3' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "f3", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"), "no roster read for a refused sender");
    /* the gateway's full JID is the gateway, in any case */
    pwfake_presence_deliver(&pd, "<iq type='set' id='f4' from='Gateway.OPB.example/x' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r4' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_not_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"));
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, every_listed_gateway_instance_may_ask)
{
    char text[256];
    pwfake_presence_start(&pd, "gateway = " PWFAKE_PRESENCE_GATEWAY ", gateway2.opb.example");
    pwfake_presence_deliver(&pd, "<iq type='set' id='g1' from='gateway2.opb.example' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r1' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_not_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"), "the second instance is a gateway");
    pwfake_presence_deliver(&pd, "<iq type='set' id='g2' from='gateway3.opb.example' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r2' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "g2", text, sizeof text), PW_ERR_FORBIDDEN, "an unlisted one is not");
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, malformed_enquiries_get_bad_request)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_deliver(&pd, "<iq type='set' id='m1' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "m1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "ref"), "%s", text);
    pwfake_presence_deliver(&pd, "<iq type='set' id='m2' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r' kind='later' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "m2", text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_presence_deliver(&pd, "<iq type='set' id='m3' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r' kind='current' presentity='+12025550123' "
               "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "m3", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "presentity-jid"), "%s", text);
    pwfake_presence_deliver(&pd, "<iq type='set' id='m4' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r' kind='current' presentity-jid='bob@opb.example/x' "
               "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "m4", text, sizeof text), PW_ERR_JID_MALFORMED);
    cr_assert_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"));
    pwfake_presence_run(&pd, 0);
    {
        pwfake_presence_records_t r;
        pwfake_presence_read_records(&pd, &r);
        cr_assert_eq(r.n, 0, "malformed enquiries are not charged");
    }
    pwfake_presence_stop(&pd);
}

/* Protocol version 1: an enquiry is addressed to its presentity at the PS; the attribute and the
 * address must agree or the stanza is refused (bad-request), before any roster read or charge. */
Test(presence_authorization, enquiries_must_be_addressed_to_their_presentity)
{
    static const struct {
        const char *id, *to, *attrs, *says;
    } refused[] = {
        /* no localpart: the bare domain of version 0 */
        { "a1", PWFAKE_PRESENCE_JID, PWFAKE_PRESENCE_ATTRS,
          "version 1 addresses the presentity: send to +12025550123@ps1.opb.example" },
        { "a2", PWFAKE_PRESENCE_JID, "presentity-jid='bob@opb.example' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'",
          "send to bob\\40opb.example@ps1.opb.example" },
        /* another number than the attribute's */
        { "a3", "+12025550199@" PWFAKE_PRESENCE_JID, PWFAKE_PRESENCE_ATTRS,
          "the attribute and the address must agree or the stanza is refused" },
        /* the number compares exactly */
        { "a4", "12025550123@" PWFAKE_PRESENCE_JID, PWFAKE_PRESENCE_ATTRS, "must agree" },
        /* another account than the attribute's, and a number where the enquiry has none */
        { "a5", "alice\\40opb.example@" PWFAKE_PRESENCE_JID, PWFAKE_PRESENCE_ATTRS, "must agree" },
        { "a6", PWFAKE_PRESENCE_BOB, "presentity-jid='bob@opb.example' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", "must agree" },
        /* an account that only begins like bob's */
        { "a7", "bob\\40opb.example.evil@" PWFAKE_PRESENCE_JID, PWFAKE_PRESENCE_ATTRS, "must agree" },
    };
    char text[512];
    pwfake_presence_records_t r;

    pwfake_presence_start(&pd, NULL);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='%s'>"
                   "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/%s' kind='current' %s/></iq>",
                   refused[i].id, refused[i].to, refused[i].id, refused[i].attrs);
        cr_assert_eq(pwfake_presence_error(&pd, refused[i].id, text, sizeof text), PW_ERR_BAD_REQUEST,
                     "%s to %s: %s", refused[i].id, refused[i].to, text);
        cr_assert(strstr(text, refused[i].says), "%s: '%s' says '%s'", refused[i].id, text, refused[i].says);
        cr_assert_str_eq(pwfake_attr(pwfake_presence_answer(&pd, refused[i].id), "from"), refused[i].to,
                         "the refusal comes from the address asked");
    }
    cr_assert_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"), "no roster read for a refused enquiry");
    pwfake_presence_run(&pd, 0);
    pwfake_presence_read_records(&pd, &r);
    cr_assert_eq(r.n, 0, "refused enquiries are not charged");
    pwfake_presence_stop(&pd);
}

/* An enquiry naming bob by JID only, at his escaped JID (the domain in any case), is served and
 * answered from exactly the address asked. */
Test(presence_authorization, enquiry_by_jid_at_the_escaped_address_is_served)
{
    static const char *const to[] = { PWFAKE_PRESENCE_BOB_JID, "bob\\40OPB.Example@" PWFAKE_PRESENCE_JID };
    pwfake_presence_records_t r;

    pwfake_presence_start(&pd, NULL);
    for (size_t i = 0; i < 2; i++) {
        char id[8];
        xmpp_stanza_t *answer;
        snprintf(id, sizeof id, "j%zu", i);
        pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='%s'>"
                   "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/%s' kind='current' "
                   "presentity-jid='bob@opb.example' watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' "
                   "watcher-network='opa.example'/></iq>", id, to[i], id);
        pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
        pwfake_presence_run(&pd, 0);
        answer = pwfake_presence_answer(&pd, id);
        cr_assert_not_null(answer, "%s answered", id);
        cr_assert_str_eq(xmpp_stanza_get_type(answer), "result", "%s to %s", id, to[i]);
        cr_assert_str_eq(pwfake_attr(answer, "from"), to[i], "answered from the address asked");
    }
    pwfake_presence_read_records(&pd, &r);
    cr_assert_eq(r.n, 2, "both served and charged");
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, subscription_kinds_need_the_proxy_and_a_bounded_duration)
{
    char text[256];
    pwfake_presence_start(&pd, "max_duration = 1h");
    pwfake_presence_deliver(&pd, "<iq type='set' id='k1' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/k1' kind='changes' "
               "duration='60' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "k1", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "'proxy'"), "%s", text);
    pwfake_presence_deliver(&pd, "<iq type='set' id='k2' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/k2' kind='changes' "
               "duration='3601' proxy='proxy.opa.example' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "k2", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert(strstr(text, "3600 seconds"), "%s", text);
    /* a stop with nothing to end: result, charged, no roster read */
    pwfake_presence_enquiry(&pd, "k3", "watcher.opa.example/k3", "stop");
    cr_assert_null(pwfake_presence_answer(&pd, "k3"), "not before the commit");
    pwfake_presence_run(&pd, 0);
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, "k3")), "result");
    cr_assert_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"));
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, roster_timeout_and_refusal)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_enquiry(&pd, "t1", "watcher.opa.example/t1", "current");
    cr_assert_not_null(pwfake_presence_sent_ns(&pd, "jabber:iq:roster"));
    pwfake_presence_run(&pd, 4999);
    cr_assert_null(pwfake_presence_answer(&pd, "t1"));
    pwfake_presence_run(&pd, 2);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_error(&pd, "t1", text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(text, "could not read the presentity's contact list in time");

    pwfake_transport_clear(pd.fake);
    pwfake_presence_enquiry(&pd, "t2", "watcher.opa.example/t2", "current");
    {
        xmpp_stanza_t *get = pwfake_presence_sent_ns(&pd, "jabber:iq:roster");
        pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'><error type='auth'>"
                   "<forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", xmpp_stanza_get_id(get));
    }
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_error(&pd, "t2", text, sizeof text), PW_ERR_INTERNAL_SERVER_ERROR);
    cr_assert(strstr(text, "contact list"), "%s", text);
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, teardown_with_enquiries_in_flight_is_clean)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    cr_assert_eq(ask("x1", "", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED); /* approval IQ pending */
    pwfake_presence_enquiry(&pd, "x2", "watcher.opa.example/x2", "current");                      /* roster get pending */
    pwfake_presence_enquiry(&pd, "x3", "watcher.opa.example/x3", "next");                         /* awaiting commit */
    cr_assert_eq(pw_presence_in_progress(pd.ps), 2);
    pw_presence_destroy(pd.ps);
    pd.ps = NULL;
    cr_assert_eq(pw_component_pending_iqs(pd.comp), 0, "every IQ of the server was cancelled");
    pwfake_presence_deliver(&pd, "<iq type='set' id='x4' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='r4' kind='current' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "x4", text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    pwfake_presence_stop(&pd);
}

Test(presence_authorization, the_example_configs_load)
{
    static const char *const files[] = { "presence-ps1-opb.conf", "presence-ps2-opb.conf",
                                         "presence-ps1-opa.conf" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512], why[512];
        pw_config_error_t err;
        pw_presence_settings_t s;
        memset(&s, 0, sizeof s);
        snprintf(path, sizeof path, "%s/%s", PWT_TREE "/conf", files[i]); /* the secret at 0640 */
        cr_assert_eq(pw_config_load(path, pw_presence_role.options, pw_presence_role.noptions, NULL, 0, &s, &err),
                     PW_OK, "%s", pw_config_error_text(&err, why, sizeof why));
        cr_assert_eq(pw_presence_check(&s, why, sizeof why), PW_OK, "%s: %s", files[i], why);
        cr_assert(strstr(s.common.jid, "ps"), "%s", s.common.jid);
        cr_assert(strstr(s.watcher, "watcher."), "%s", s.watcher);
        pw_config_free(pw_presence_role.options, pw_presence_role.noptions, &s);
    }
}

/* An enquiry about bob from watcher msisdn, answered from an empty roster. */
static void ask_from(const char *id, const char *msisdn)
{
    pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='watcher.opa.example/%s' kind='current' "
               "presentity-jid='bob@opb.example' watcher-msisdn='%s' watcher-jid='x@opa.example' "
               "watcher-network='opa.example'/></iq>", id, id, msisdn);
    pwfake_presence_roster(&pd, "");
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, id));
}

Test(presence_authorization, the_approval_table_is_bounded)
{
    pwfake_presence_start(&pd, "max_approvals = 2\napproval_interval = 1h");
    ask_from("p1", "+447700900001");
    ask_from("p2", "+447700900002");
    cr_assert_eq(approvals(), 2);
    pwfake_transport_clear(pd.fake);
    ask_from("p3", "+447700900003");
    cr_assert_eq(approvals(), 0, "table full of pairs within the interval: not asked");
    pwfake_presence_run(&pd, 3600 * 1000);
    ask_from("p4", "+447700900003");
    cr_assert_eq(approvals(), 1, "expired pairs make room");
    pwfake_transport_clear(pd.fake);
    ask_from("p5", "+447700900001");
    cr_assert_eq(approvals(), 1, "its pair had expired and was swept");
    pwfake_presence_stop(&pd);
}
