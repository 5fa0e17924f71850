/* test_proxy_network.c: how the proxy derives the presentity's network (JID domain, ENUM NAPTR, longest prefix) and finds its gateway (SRV). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_network, PWT_TREE);

Test(proxy_network, jid_addressing_uses_the_domain_and_srv_only)
{
    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_proxy_deliver(drv, "j1", PWFAKE_PROXY_WATCHER, NULL, "bob@opb.example");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 0, "no ENUM for a JID");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", PWFAKE_PROXY_SRV_OPB), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 1);
    {
        xmpp_stanza_t *s = pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
        xmpp_stanza_t *el = xmpp_stanza_get_child_by_name(s, "enquiry");
        cr_assert_str_eq(pwfake_attr(el, "presentity-jid"), "bob@opb.example");
        cr_assert_null(xmpp_stanza_get_attribute(el, "presentity"));
        pwfake_proxy_gateway_result(drv, pwfake_attr(s, "id"), PWFAKE_PROXY_GW1);
    }
    pwfake_proxy_expect_state_to_watcher(drv, "j1");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

/* Protocol version 1 (the seed's step 4a, "Presence query for B" to
 * B's_MSISDN@gateway_presence_server.Network_of_B): the enquiry goes to the presentity at the
 * gateway, by number or by XEP-0106-escaped JID; the signature still names the gateway's domain
 * (pwfake_proxy_expect_gateway_enquiry() verifies it so), and the answer from that address counts. */
Test(proxy_network, enquiry_is_addressed_to_the_presentity_at_the_gateway)
{
    static const struct {
        const char *id, *number, *jid, *to;
    } cases[] = {
        { "a1", PWFAKE_PROXY_BOB, NULL, "+12025550123@gw1.opb.example" },
        { "a2", NULL, "bob@opb.example", "bob\\40opb.example@gw1.opb.example" },
    };
    pwfake_proxy_script_opb_gateways(drv, 60);
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *s;
        pwfake_proxy_deliver(drv, cases[i].id, PWFAKE_PROXY_WATCHER, cases[i].number, cases[i].jid);
        pwfake_proxy_pump(drv);
        s = pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
        cr_assert_str_eq(pwfake_attr(s, "to"), cases[i].to);
        /* an answer from the gateway's bare domain is not the answer to this request */
        pwfake_component_deliver(drv->fc, "<iq type='result' id='%s' from='" PWFAKE_PROXY_GW1 "' to='"
                                 PWFAKE_PROXY_JID "'/>", pwfake_attr(s, "id"));
        cr_assert_eq(pw_proxy_in_flight(drv->proxy), 1, "%s: still waiting", cases[i].id);
        pwfake_proxy_gateway_result(drv, pwfake_attr(s, "id"), PWFAKE_PROXY_GW1);
        pwfake_proxy_expect_state_to_watcher(drv, cases[i].id);
        cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
    }
}

Test(proxy_network, enum_xmpp_record_names_the_network)
{
    pwfake_proxy_script_bob_enum(drv, "E2U+xmpp", "!^.*$!xmpp:OPX.example!", 300);
    pwfake_proxy_script_gateway(drv, "opx.example", "gateway.opx.example", 300);
    pwfake_proxy_ask_bob(drv, "x1");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", PWFAKE_PROXY_BOB_ENUM), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", "_presence-gw._tcp.opx.example"), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", PWFAKE_PROXY_SRV_OPB), 0, "ENUM wins over the prefix table");
    pwfake_proxy_gateway_result(drv, pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, "gateway.opx.example", NULL, 0), "id"),
                      "gateway.opx.example");
    pwfake_proxy_expect_state_to_watcher(drv, "x1");
}

Test(proxy_network, enum_sip_record_names_the_network)
{
    pwfake_proxy_script_bob_enum(drv, "E2U+sip", "!^\\+(.*)$!sip:+\\1@opx.example;user=phone!", 300);
    pwfake_proxy_script_gateway(drv, "opx.example", "gateway.opx.example", 300);
    pwfake_proxy_ask_bob(drv, "s1");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", "_presence-gw._tcp.opx.example"), 1);
    pwfake_proxy_expect_gateway_enquiry(drv, "gateway.opx.example", NULL, 0);
}

Test(proxy_network, enum_negative_answer_falls_back_to_the_prefix_table)
{
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_ENOTFOUND, NULL, 0, 30), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_proxy_ask_bob(drv, "n1");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", PWFAKE_PROXY_BOB_ENUM), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", PWFAKE_PROXY_SRV_OPB), 1, "+1202555 = opb.example");
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
}

Test(proxy_network, enum_timeout_falls_back_to_the_prefix_table)
{
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_resolver_set_delay(drv->dns, 4000); /* c-ares gave up after its tries */
    pwfake_proxy_ask_bob(drv, "t1");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 0, "still waiting for ENUM");
    pwfake_resolver_set_delay(drv->dns, 0);
    pwfake_proxy_advance(drv, 4000);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", PWFAKE_PROXY_SRV_OPB), 1);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
}

Test(proxy_network, enum_dns_failure_and_unusable_records_fall_back_too)
{
    pw_naptr_t mail = pwfake_resolver_naptr("E2U+email:mailto", "!^.*$!mailto:bob@opx.example!");
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_OK, &mail, 1, 300), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_proxy_ask_bob(drv, "u1");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", PWFAKE_PROXY_SRV_OPB), 1);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);

    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, "0.0.0.0.0.9.0.0.7.7.4.4.e164.arpa", PW_EDNS,
                                                NULL, 0, 0), PW_OK);
    pwfake_proxy_script_gateway(drv, "opa.example", "gateway.opa.example", 60);
    pwfake_proxy_deliver(drv, "u2", PWFAKE_PROXY_WATCHER, "+447700900000", NULL);
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", "_presence-gw._tcp.opa.example"), 1);
    pwfake_proxy_expect_gateway_enquiry(drv, "gateway.opa.example", NULL, 0);
}

Test(proxy_network, longest_prefix_wins)
{
    struct {
        const char *number, *srv;
    } cases[] = {
        { "+12025550123", PWFAKE_PROXY_SRV_OPB },                       /* +1202555 */
        { "+12029999999", "_presence-gw._tcp.opc.example" },  /* +1202 */
        { "+13105550000", "_presence-gw._tcp.opd.example" },  /* +1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%zu", i);
        pwfake_proxy_deliver(drv, id, PWFAKE_PROXY_WATCHER, cases[i].number, NULL);
        pwfake_proxy_pump(drv);
        cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", cases[i].srv), 1, "%s -> %s",
                     cases[i].number, cases[i].srv);
    }
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 3);
    cr_assert_str_eq(pw_proxy_prefix_network(&drv->settings, "+447700900001"), "opa.example");
    cr_assert_null(pw_proxy_prefix_network(&drv->settings, "+33123456789"));
}

Test(proxy_network, unknown_network_is_remote_server_not_found)
{
    char text[512];
    pwfake_proxy_deliver(drv, "k1", PWFAKE_PROXY_WATCHER, "+33123456789", NULL);
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", "9.8.7.6.5.4.3.2.1.3.3.e164.arpa"), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 0);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "k1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "cannot tell which network +33123456789 belongs to");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_network, no_srv_record_is_remote_server_not_found)
{
    char text[512];
    pwfake_proxy_deliver(drv, "v1", PWFAKE_PROXY_WATCHER, NULL, "bob@nowhere.example");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", "_presence-gw._tcp.nowhere.example"), 1);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "v1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for nowhere.example");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_network, srv_decidedly_unavailable_or_failing_is_remote_server_not_found)
{
    char text[512];
    pw_srv_rr_t dot = pwfake_resolver_srv(0, ".");
    cr_assert_eq(pwfake_resolver_script_srv(drv->dns, "_presence-gw._tcp.none.example", PW_OK, &dot, 1, 60), PW_OK);
    cr_assert_eq(pwfake_resolver_script_srv(drv->dns, "_presence-gw._tcp.broken.example", PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    pwfake_proxy_deliver(drv, "w1", PWFAKE_PROXY_WATCHER, NULL, "bob@none.example");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "w1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for none.example");
    pwfake_proxy_deliver(drv, "w2", PWFAKE_PROXY_WATCHER, NULL, "bob@broken.example");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "w2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for broken.example");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}
