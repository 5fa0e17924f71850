/* test_proxy_failover.c: the proxy tries the gateways in RFC 2782 order, signs afresh for each, fails over on timeouts and remote-server-* errors, and relays every other answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_failover, PWT_TREE);

/* Ask about bob by number (ENUM negative -> prefix -> opb) and return the first gateway's IQ id. */
static void ask_bob_and_expect_gw1(const char *id, char *gw_id, size_t cap, char *nonce, size_t ncap)
{
    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_proxy_ask_bob(drv, id);
    pwfake_proxy_pump(drv);
    snprintf(gw_id, cap, "%s", pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, nonce, ncap), "id"));
}

Test(proxy_failover, first_target_times_out_second_gets_a_fresh_signature)
{
    char id1[64], id2[64], nonce1[64], nonce2[64];
    size_t sent;

    ask_bob_and_expect_gw1("t1", id1, sizeof id1, nonce1, sizeof nonce1);
    sent = pwfake_transport_sent_count(drv->fc->fake);
    pwfake_proxy_advance(drv, 5999);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent, "nothing before gateway_timeout");
    pwfake_proxy_advance(drv, 1);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent + 1, "the second target is tried at 6 s");
    snprintf(id2, sizeof id2, "%s", pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, nonce2, sizeof nonce2), "id"));
    cr_assert_str_neq(nonce1, nonce2, "a fresh nonce for every target");
    cr_assert_str_neq(id1, id2);
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 1);
    /* a late answer of the first gateway is ignored */
    pwfake_proxy_gateway_result(drv, id1, PWFAKE_PROXY_GW1);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent + 1);
    pwfake_proxy_gateway_result(drv, id2, PWFAKE_PROXY_GW2);
    pwfake_proxy_expect_state_to_watcher(drv, "t1");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_failover, remote_server_errors_move_to_the_next_target)
{
    static const char *const conds[][2] = { { "remote-server-not-found", "cancel" },
                                            { "remote-server-timeout", "wait" },
                                            { "service-unavailable", "cancel" } };
    for (size_t i = 0; i < 3; i++) {
        char id[16], gw_id[64], nonce1[64], nonce2[64];
        snprintf(id, sizeof id, "r%zu", i);
        ask_bob_and_expect_gw1(id, gw_id, sizeof gw_id, nonce1, sizeof nonce1);
        pwfake_proxy_gateway_error(drv, gw_id, PWFAKE_PROXY_GW1, conds[i][0], conds[i][1], "s2s failed");
        snprintf(gw_id, sizeof gw_id, "%s", pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, nonce2, sizeof nonce2), "id"));
        cr_assert_str_neq(nonce1, nonce2);
        pwfake_proxy_gateway_result(drv, gw_id, PWFAKE_PROXY_GW2);
        pwfake_proxy_expect_state_to_watcher(drv, id);
        /* past failed_target_hold the first target is tried first again */
        drv->now += 31000;
        pw_loop_run_once(drv->fc->loop, 0);
    }
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_failover, a_target_that_just_failed_is_tried_last_until_its_hold_ends)
{
    char gw_id[64], nonce1[64], nonce2[64];
    ask_bob_and_expect_gw1("h1", gw_id, sizeof gw_id, nonce1, sizeof nonce1);
    pwfake_proxy_gateway_error(drv, gw_id, PWFAKE_PROXY_GW1, "remote-server-not-found", "cancel", "s2s failed");
    snprintf(gw_id, sizeof gw_id, "%s", pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, nonce2, sizeof nonce2), "id"));
    pwfake_proxy_gateway_result(drv, gw_id, PWFAKE_PROXY_GW2);
    pwfake_proxy_expect_state_to_watcher(drv, "h1");
    /* the next enquiry goes to the healthy target first: no second trip to the dead one */
    pwfake_proxy_deliver(drv, "h2", PWFAKE_PROXY_WATCHER, PWFAKE_PROXY_BOB, NULL);
    pw_loop_run_once(drv->fc->loop, 0);
    snprintf(gw_id, sizeof gw_id, "%s", pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, nonce2, sizeof nonce2), "id"));
    pwfake_proxy_gateway_result(drv, gw_id, PWFAKE_PROXY_GW2);
    pwfake_proxy_expect_state_to_watcher(drv, "h2");
    /* 30 s later (the default hold) RFC 2782 order applies again */
    drv->now += 30001;
    pw_loop_run_once(drv->fc->loop, 0);
    ask_bob_and_expect_gw1("h3", gw_id, sizeof gw_id, nonce1, sizeof nonce1);
    pwfake_proxy_gateway_result(drv, gw_id, PWFAKE_PROXY_GW1);
    pwfake_proxy_expect_state_to_watcher(drv, "h3");
}

Test(proxy_failover, a_gateways_verdict_is_relayed_without_failover)
{
    static const char *const conds[][3] = {
        { "not-authorized", "auth", "bad operator signature: the signature does not verify" },
        { "item-not-found", "cancel", "+12025550123 is not a subscriber of opb.example" },
        { "subscription-required", "auth", "+12025550123 has not approved you yet" },
    };
    static const pw_error_t expect[] = { PW_ERR_NOT_AUTHORIZED, PW_ERR_ITEM_NOT_FOUND,
                                         PW_ERR_SUBSCRIPTION_REQUIRED };
    for (size_t i = 0; i < 3; i++) {
        char id[16], gw_id[64], text[512];
        size_t sent;
        snprintf(id, sizeof id, "v%zu", i);
        ask_bob_and_expect_gw1(id, gw_id, sizeof gw_id, NULL, 0);
        sent = pwfake_transport_sent_count(drv->fc->fake);
        pwfake_proxy_gateway_error(drv, gw_id, PWFAKE_PROXY_GW1, conds[i][0], conds[i][1], conds[i][2]);
        cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent + 1, "only the answer to the watcher");
        cr_assert_eq(pwfake_proxy_error_to_watcher(drv, id, text, sizeof text), expect[i]);
        cr_assert_str_eq(text, conds[i][2]);
    }
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_failover, every_target_timing_out_is_remote_server_timeout)
{
    char gw_id[64], text[512];
    ask_bob_and_expect_gw1("a1", gw_id, sizeof gw_id, NULL, 0);
    pwfake_proxy_advance(drv, 6000);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, NULL, 0);
    pwfake_proxy_advance(drv, 6000);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "a1", text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(text, "no gateway of opb.example answered in time");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_failover, last_error_decides_when_no_target_answered)
{
    char gw_id[64], text[512];
    ask_bob_and_expect_gw1("a2", gw_id, sizeof gw_id, NULL, 0);
    pwfake_proxy_advance(drv, 6000); /* the first times out */
    snprintf(gw_id, sizeof gw_id, "%s", pwfake_attr(pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, NULL, 0), "id"));
    pwfake_proxy_gateway_error(drv, gw_id, PWFAKE_PROXY_GW2, "remote-server-not-found", "cancel", "no route");
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "a2", text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND);
    cr_assert(strstr(text, "no gateway of opb.example answered"), "%s", text);
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_failover, link_down_ends_the_enquiry)
{
    size_t sent;
    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_proxy_ask_bob(drv, "l1");
    sent = pwfake_transport_sent_count(drv->fc->fake);
    pwfake_transport_down(drv->fc->fake); /* while DNS is being asked */
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent, "nothing can be sent");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0, "the enquiry ended instead of hanging");
    cr_assert_eq(pw_component_pending_iqs(drv->fc->comp), 0);
}
