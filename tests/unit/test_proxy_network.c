/* test_proxy_network.c: how the proxy derives the presentity's network (JID domain, ENUM NAPTR, longest prefix) and finds its gateway (SRV). */
#include "test_proxy_util.h"

TestSuite(proxy_network, .init = tp_setup, .fini = tp_teardown);

Test(proxy_network, jid_addressing_uses_the_domain_and_srv_only)
{
    tp_script_opb_gateways(60);
    tp_deliver("j1", TP_WATCHER, NULL, "bob@opb.example");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 0, "no ENUM for a JID");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", TP_SRV_OPB), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, NULL, NULL), 1);
    {
        xmpp_stanza_t *s = tp_expect_gateway_enquiry(TP_GW1, NULL, 0);
        xmpp_stanza_t *el = xmpp_stanza_get_child_by_name(s, "enquiry");
        cr_assert_str_eq(tp_attr(el, "presentity-jid"), "bob@opb.example");
        cr_assert_null(xmpp_stanza_get_attribute(el, "presentity"));
        tp_gateway_result(tp_attr(s, "id"), TP_GW1);
    }
    tp_expect_state_to_watcher("j1");
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 0);
}

Test(proxy_network, enum_xmpp_record_names_the_network)
{
    tp_script_bob_enum("E2U+xmpp", "!^.*$!xmpp:OPX.example!", 300);
    tp_script_gateway("opx.example", "gateway.opx.example", 300);
    tp_ask_bob("x1");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", TP_BOB_ENUM), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", "_presence-gw._tcp.opx.example"), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", TP_SRV_OPB), 0, "ENUM wins over the prefix table");
    tp_gateway_result(tp_attr(tp_expect_gateway_enquiry("gateway.opx.example", NULL, 0), "id"),
                      "gateway.opx.example");
    tp_expect_state_to_watcher("x1");
}

Test(proxy_network, enum_sip_record_names_the_network)
{
    tp_script_bob_enum("E2U+sip", "!^\\+(.*)$!sip:+\\1@opx.example;user=phone!", 300);
    tp_script_gateway("opx.example", "gateway.opx.example", 300);
    tp_ask_bob("s1");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", "_presence-gw._tcp.opx.example"), 1);
    tp_expect_gateway_enquiry("gateway.opx.example", NULL, 0);
}

Test(proxy_network, enum_negative_answer_falls_back_to_the_prefix_table)
{
    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, TP_BOB_ENUM, PW_ENOTFOUND, NULL, 0, 30), PW_OK);
    tp_script_opb_gateways(60);
    tp_ask_bob("n1");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", TP_BOB_ENUM), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", TP_SRV_OPB), 1, "+1202555 = opb.example");
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0);
}

Test(proxy_network, enum_timeout_falls_back_to_the_prefix_table)
{
    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, TP_BOB_ENUM, PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    tp_script_opb_gateways(60);
    pwfake_resolver_set_delay(tp.dns, 4000); /* c-ares gave up after its tries */
    tp_ask_bob("t1");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 0, "still waiting for ENUM");
    pwfake_resolver_set_delay(tp.dns, 0);
    tp_advance(4000);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", TP_SRV_OPB), 1);
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0);
}

Test(proxy_network, enum_dns_failure_and_unusable_records_fall_back_too)
{
    pw_naptr_t mail = tp_naptr("E2U+email:mailto", "!^.*$!mailto:bob@opx.example!");
    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, TP_BOB_ENUM, PW_OK, &mail, 1, 300), PW_OK);
    tp_script_opb_gateways(60);
    tp_ask_bob("u1");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", TP_SRV_OPB), 1);
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0);

    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, "0.0.0.0.0.9.0.0.7.7.4.4.e164.arpa", PW_EDNS,
                                                NULL, 0, 0), PW_OK);
    tp_script_gateway("opa.example", "gateway.opa.example", 60);
    tp_deliver("u2", TP_WATCHER, "+447700900000", NULL);
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", "_presence-gw._tcp.opa.example"), 1);
    tp_expect_gateway_enquiry("gateway.opa.example", NULL, 0);
}

Test(proxy_network, longest_prefix_wins)
{
    struct {
        const char *number, *srv;
    } cases[] = {
        { "+12025550123", TP_SRV_OPB },                       /* +1202555 */
        { "+12029999999", "_presence-gw._tcp.opc.example" },  /* +1202 */
        { "+13105550000", "_presence-gw._tcp.opd.example" },  /* +1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%zu", i);
        tp_deliver(id, TP_WATCHER, cases[i].number, NULL);
        tp_pump();
        cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", cases[i].srv), 1, "%s -> %s",
                     cases[i].number, cases[i].srv);
    }
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 3);
    cr_assert_str_eq(pw_proxy_prefix_network(&tp.settings, "+447700900001"), "opa.example");
    cr_assert_null(pw_proxy_prefix_network(&tp.settings, "+33123456789"));
}

Test(proxy_network, unknown_network_is_remote_server_not_found)
{
    char text[512];
    tp_deliver("k1", TP_WATCHER, "+33123456789", NULL);
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", "9.8.7.6.5.4.3.2.1.3.3.e164.arpa"), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 0);
    cr_assert_eq(tp_error_to_watcher("k1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "cannot tell which network +33123456789 belongs to");
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 0);
}

Test(proxy_network, no_srv_record_is_remote_server_not_found)
{
    char text[512];
    tp_deliver("v1", TP_WATCHER, NULL, "bob@nowhere.example");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", "_presence-gw._tcp.nowhere.example"), 1);
    cr_assert_eq(tp_error_to_watcher("v1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for nowhere.example");
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 0);
}

Test(proxy_network, srv_decidedly_unavailable_or_failing_is_remote_server_not_found)
{
    char text[512];
    pw_srv_rr_t dot = tp_srv(0, ".");
    cr_assert_eq(pwfake_resolver_script_srv(tp.dns, "_presence-gw._tcp.none.example", PW_OK, &dot, 1, 60), PW_OK);
    cr_assert_eq(pwfake_resolver_script_srv(tp.dns, "_presence-gw._tcp.broken.example", PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    tp_deliver("w1", TP_WATCHER, NULL, "bob@none.example");
    tp_pump();
    cr_assert_eq(tp_error_to_watcher("w1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for none.example");
    tp_deliver("w2", TP_WATCHER, NULL, "bob@broken.example");
    tp_pump();
    cr_assert_eq(tp_error_to_watcher("w2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for broken.example");
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 0);
}
