/* test_proxy_cache.c: the proxy caches NAPTR and SRV answers, positive and negative, for their TTL on the loop clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_cache, PWT_SRCDIR);

/* Ask about bob, answer from the first gateway, and check the state came back. */
static void ask_and_answer(const char *id)
{
    xmpp_stanza_t *s;
    pwfake_proxy_ask_bob(drv, id);
    pwfake_proxy_pump(drv);
    s = pwfake_proxy_expect_gateway_enquiry(drv, "gateway.opx.example", NULL, 0);
    pwfake_proxy_gateway_result(drv, pwfake_attr(s, "id"), "gateway.opx.example");
    pwfake_proxy_expect_state_to_watcher(drv, id);
}

Test(proxy_cache, answers_are_reused_until_their_ttl_passes)
{
    pwfake_proxy_script_bob_enum(drv, "E2U+xmpp", "!^.*$!xmpp:opx.example!", 300);
    pwfake_proxy_script_gateway(drv, "opx.example", "gateway.opx.example", 60);

    ask_and_answer("c1");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);

    /* from the cache: the gateway is asked at once, without DNS */
    pwfake_proxy_ask_bob(drv, "c2");
    pwfake_proxy_expect_gateway_enquiry(drv, "gateway.opx.example", NULL, 0);
    pwfake_proxy_gateway_result(drv, pwfake_attr(pwfake_transport_last(drv->fc->fake), "id"), "gateway.opx.example");
    pwfake_proxy_expect_state_to_watcher(drv, "c2");
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 2, "no lookup for the second enquiry");

    pwfake_proxy_advance(drv, 59999);
    ask_and_answer("c3");
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 2, "still cached just before 60 s");

    pwfake_proxy_advance(drv, 1); /* the SRV answer (TTL 60) expired, the NAPTR one (TTL 300) did not */
    ask_and_answer("c4");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 2);

    pwfake_proxy_advance(drv, 240000); /* 300 s after the first lookup */
    ask_and_answer("c5");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 3);
}

Test(proxy_cache, negative_naptr_answers_are_cached_for_their_soa_ttl)
{
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_ENOTFOUND, NULL, 0, 30), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 3600);
    pwfake_proxy_ask_bob(drv, "n1");
    pwfake_proxy_pump(drv);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
    pwfake_proxy_ask_bob(drv, "n2");
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0); /* at once: negative NAPTR and SRV both cached */
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    pwfake_proxy_advance(drv, 30000);
    pwfake_proxy_ask_bob(drv, "n3");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2, "asked again after the SOA's 30 s");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);
}

Test(proxy_cache, negative_answers_without_ttl_live_negative_ttl)
{
    char text[256];
    /* no script: NXDOMAIN without SOA (TTL 0) for the NAPTR; no prefix matches +33 */
    pwfake_proxy_deliver(drv, "k1", PWFAKE_PROXY_WATCHER, "+33123456789", NULL);
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "k1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    pwfake_proxy_deliver(drv, "k2", PWFAKE_PROXY_WATCHER, "+33123456789", NULL);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "k2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND,
                 "answered at once from the cache");
    pwfake_proxy_advance(drv, 59999);
    pwfake_proxy_deliver(drv, "k3", PWFAKE_PROXY_WATCHER, "+33123456789", NULL);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "k3", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    pwfake_proxy_advance(drv, 1); /* negative_ttl = 60s */
    pwfake_proxy_deliver(drv, "k4", PWFAKE_PROXY_WATCHER, "+33123456789", NULL);
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2);
}

Test(proxy_cache, negative_srv_answers_are_cached_too)
{
    char text[256];
    pwfake_proxy_deliver(drv, "v1", PWFAKE_PROXY_WATCHER, NULL, "bob@nowhere.example");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "v1", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    pwfake_proxy_deliver(drv, "v2", PWFAKE_PROXY_WATCHER, NULL, "bob@nowhere.example");
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "v2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert_str_eq(text, "no presence gateway found for nowhere.example");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);
}

Test(proxy_cache, timeouts_are_not_cached)
{
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 3600);
    pwfake_proxy_ask_bob(drv, "t1");
    pwfake_proxy_pump(drv);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
    pwfake_proxy_ask_bob(drv, "t2");
    pwfake_proxy_pump(drv);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2, "a timeout is asked again");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);
}
