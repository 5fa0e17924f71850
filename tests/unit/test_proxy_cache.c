/* test_proxy_cache.c: the proxy caches NAPTR and SRV answers, positive and negative, for their TTL on the loop clock. */
#include "test_proxy_util.h"

TestSuite(proxy_cache, .init = tp_setup, .fini = tp_teardown);

/* Ask about bob, answer from the first gateway, and check the state came back. */
static void ask_and_answer(const char *id)
{
    xmpp_stanza_t *s;
    tp_ask_bob(id);
    tp_pump();
    s = tp_expect_gateway_enquiry("gateway.opx.example", NULL, 0);
    tp_gateway_result(tp_attr(s, "id"), "gateway.opx.example");
    tp_expect_state_to_watcher(id);
}

Test(proxy_cache, answers_are_reused_until_their_ttl_passes)
{
    tp_script_bob_enum("E2U+xmpp", "!^.*$!xmpp:opx.example!", 300);
    tp_script_gateway("opx.example", "gateway.opx.example", 60);

    ask_and_answer("c1");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 1);

    /* from the cache: the gateway is asked at once, without DNS */
    tp_ask_bob("c2");
    tp_expect_gateway_enquiry("gateway.opx.example", NULL, 0);
    tp_gateway_result(tp_attr(pwfake_transport_last(tp.fake), "id"), "gateway.opx.example");
    tp_expect_state_to_watcher("c2");
    cr_assert_eq(pwfake_resolver_count(tp.dns, NULL, NULL), 2, "no lookup for the second enquiry");

    tp_advance(59999);
    ask_and_answer("c3");
    cr_assert_eq(pwfake_resolver_count(tp.dns, NULL, NULL), 2, "still cached just before 60 s");

    tp_advance(1); /* the SRV answer (TTL 60) expired, the NAPTR one (TTL 300) did not */
    ask_and_answer("c4");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 1);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 2);

    tp_advance(240000); /* 300 s after the first lookup */
    ask_and_answer("c5");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 2);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 3);
}

Test(proxy_cache, negative_naptr_answers_are_cached_for_their_soa_ttl)
{
    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, TP_BOB_ENUM, PW_ENOTFOUND, NULL, 0, 30), PW_OK);
    tp_script_opb_gateways(3600);
    tp_ask_bob("n1");
    tp_pump();
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0);
    tp_ask_bob("n2");
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0); /* at once: negative NAPTR and SRV both cached */
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 1);
    tp_advance(30000);
    tp_ask_bob("n3");
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 2, "asked again after the SOA's 30 s");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 1);
}

Test(proxy_cache, negative_answers_without_ttl_live_negative_ttl)
{
    char text[256];
    /* no script: NXDOMAIN without SOA (TTL 0) for the NAPTR; no prefix matches +33 */
    tp_deliver("k1", TP_WATCHER, "+33123456789", NULL);
    tp_pump();
    cr_assert_eq(tp_error_to_watcher("k1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    tp_deliver("k2", TP_WATCHER, "+33123456789", NULL);
    cr_assert_eq(tp_error_to_watcher("k2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND,
                 "answered at once from the cache");
    tp_advance(59999);
    tp_deliver("k3", TP_WATCHER, "+33123456789", NULL);
    cr_assert_eq(tp_error_to_watcher("k3", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 1);
    tp_advance(1); /* negative_ttl = 60s */
    tp_deliver("k4", TP_WATCHER, "+33123456789", NULL);
    tp_pump();
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 2);
}

Test(proxy_cache, negative_srv_answers_are_cached_too)
{
    char text[256];
    tp_deliver("v1", TP_WATCHER, NULL, "bob@nowhere.example");
    tp_pump();
    cr_assert_eq(tp_error_to_watcher("v1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    tp_deliver("v2", TP_WATCHER, NULL, "bob@nowhere.example");
    cr_assert_eq(tp_error_to_watcher("v2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for nowhere.example");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 1);
}

Test(proxy_cache, timeouts_are_not_cached)
{
    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, TP_BOB_ENUM, PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    tp_script_opb_gateways(3600);
    tp_ask_bob("t1");
    tp_pump();
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0);
    tp_ask_bob("t2");
    tp_pump();
    tp_expect_gateway_enquiry(TP_GW1, NULL, 0);
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", NULL), 2, "a timeout is asked again");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "srv", NULL), 1);
}
