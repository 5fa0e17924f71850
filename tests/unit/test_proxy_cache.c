/* test_proxy_cache.c: the proxy caches NAPTR and SRV answers, positive and negative, for their TTL on the loop clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_cache, PWT_TREE);

/* Ask about bob (pumping the resolver first when pump is set), answer from the first gateway, and check the state came back. */
static void ask_and_answer(const char *id, int pump)
{
    xmpp_stanza_t *s;
    pwfake_proxy_ask_bob(drv, id);
    if (pump)
        pwfake_proxy_pump(drv);
    s = pwfake_proxy_expect_gateway_enquiry(drv, "gateway.opx.example", NULL, 0);
    pwfake_proxy_gateway_result(drv, pwfake_attr(s, "id"), "gateway.opx.example");
    pwfake_proxy_expect_state_to_watcher(drv, id);
}

/* Ask about bob (request id), pumping the resolver first when pump is set: the enquiry goes to opb's first gateway. */
static void ask_bob_via_gw1(const char *id, int pump)
{
    pwfake_proxy_ask_bob(drv, id);
    if (pump)
        pwfake_proxy_pump(drv);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
}

/* A watcher's enquiry (request id) about msisdn or jid, pumping the resolver first when pump is set, gets remote-server-not-found (its text in text). */
static void expect_not_found(const char *id, const char *msisdn, const char *jid, int pump, char *text, size_t cap)
{
    pwfake_proxy_deliver(drv, id, PWFAKE_PROXY_WATCHER, msisdn, jid);
    if (pump)
        pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, id, text, cap), PW_ERR_REMOTE_SERVER_NOT_FOUND, "%s", id);
}

Test(proxy_cache, answers_are_reused_until_their_ttl_passes)
{
    pwfake_proxy_script_bob_enum(drv, "E2U+xmpp", "!^.*$!xmpp:opx.example!", 300);
    pwfake_proxy_script_gateway(drv, "opx.example", "gateway.opx.example", 60);

    ask_and_answer("c1", 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);

    /* from the cache: the gateway is asked at once, without DNS */
    ask_and_answer("c2", 0);
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 2, "no lookup for the second enquiry");

    pwfake_proxy_advance(drv, 59999);
    ask_and_answer("c3", 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 2, "still cached just before 60 s");

    pwfake_proxy_advance(drv, 1); /* the SRV answer (TTL 60) expired, the NAPTR one (TTL 300) did not */
    ask_and_answer("c4", 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 2);

    pwfake_proxy_advance(drv, 240000); /* 300 s after the first lookup */
    ask_and_answer("c5", 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 3);
}

Test(proxy_cache, negative_naptr_answers_are_cached_for_their_soa_ttl)
{
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_ENOTFOUND, NULL, 0, 30), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 3600);
    ask_bob_via_gw1("n1", 1);
    ask_bob_via_gw1("n2", 0); /* at once: negative NAPTR and SRV both cached */
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
    expect_not_found("k1", "+33123456789", NULL, 1, text, sizeof text);
    expect_not_found("k2", "+33123456789", NULL, 0, text, sizeof text); /* answered at once from the cache */
    pwfake_proxy_advance(drv, 59999);
    expect_not_found("k3", "+33123456789", NULL, 0, text, sizeof text);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 1);
    pwfake_proxy_advance(drv, 1); /* negative_ttl = 60s */
    pwfake_proxy_deliver(drv, "k4", PWFAKE_PROXY_WATCHER, "+33123456789", NULL);
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2);
}

Test(proxy_cache, negative_srv_answers_are_cached_too)
{
    char text[256];
    expect_not_found("v1", NULL, "bob@nowhere.example", 1, text, sizeof text);
    expect_not_found("v2", NULL, "bob@nowhere.example", 0, text, sizeof text);
    cr_assert_str_eq(text, "no presence gateway found for nowhere.example");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);
}

Test(proxy_cache, timeouts_are_not_cached)
{
    cr_assert_eq(pwfake_resolver_script_naptr(drv->dns, PWFAKE_PROXY_BOB_ENUM, PW_ETIMEOUT, NULL, 0, 0), PW_OK);
    pwfake_proxy_script_opb_gateways(drv, 3600);
    ask_bob_via_gw1("t1", 1);
    ask_bob_via_gw1("t2", 1);
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", NULL), 2, "a timeout is asked again");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "srv", NULL), 1);
}
