/* test_chain_routing.c: how the chain finds the other operator: gateway SRV failover, unknown
 * networks, networks without a reachable gateway, non-peer senders, and nothing leaking out of B. */
#include "chain_util.h"

#include <stdio.h>
#include <string.h>

TestSuite(routing, .timeout = 120);

Test(routing, first_gateway_target_down_fails_over_to_the_second)
{
    /* B's _presence-gw._tcp SRV lists gw-down.opb.example (priority 10, its s2s port refuses)
     * before gateway.opb.example (priority 20; on a cluster also gateway2.opb.example, same
     * priority and weight). Only what the proxy logged for this enquiry counts: its lines from
     * here on, tied together by the proxy's stanza id. */
    const char *log = pwt_trialenv("OPA_PROXY_LOG");
    const char *b_kind = pwt_trialenv("OPB_SERVER");
    long from = chain_log_size(log);
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r = chain_enquire(alice, "address='+12025550123' kind='current'");
    const char *sent[] = { "for +12025550123: network opb.example, sent to gateway +12025550123@gateway.opb.example", NULL };
    const char *sent2[] = { "for +12025550123: network opb.example, sent to gateway +12025550123@gateway2.opb.example", NULL };
    char id[128], tag[160];
    const char *failed[] = { tag, "gateway gw-down.opb.example failed", NULL };

    chain_state(r);
    xmpp_stanza_release(r);
    cr_assert(chain_log_find(log, from, sent, id, sizeof id) ||
              (b_kind && !strcmp(b_kind, "ejabberd-cluster") && chain_log_find(log, from, sent2, id, sizeof id)),
              "the proxy sent this enquiry to a gateway of the second priority");
    cr_assert_neq(id[0], '\0', "the proxy logged the enquiry with its stanza id");
    snprintf(tag, sizeof tag, "[id=%s]", id);
    cr_assert(chain_log_find(log, from, failed, NULL, 0), "the proxy tried the first target and moved on");
    pwt_client_destroy(alice);
}

Test(routing, unknown_network_is_remote_server_not_found)
{
    char text[512];
    /* no ENUM record and no prefix matches +86… */
    cr_assert_eq(chain_refused("alice", "address='+8613800138000' kind='current'", text, sizeof text),
                 PW_ERR_REMOTE_SERVER_NOT_FOUND, "text: %s", text);
}

Test(routing, network_without_a_reachable_gateway)
{
    char text[512];
    /* ENUM says opc.example; its gateway has no s2s address at all */
    pw_error_t cond = chain_refused("alice", "address='+33123456789' kind='current'", text, sizeof text);
    cr_assert(cond == PW_ERR_REMOTE_SERVER_NOT_FOUND || cond == PW_ERR_REMOTE_SERVER_TIMEOUT,
              "got %s: %s", pw_error_name(cond), text);
}

Test(routing, non_peer_sender_is_not_authorized)
{
    /* erin (opb.example) talks to B's gateway directly: opb.example's own users are no peer
     * network, and her enquiry carries no operator signature. */
    char text[512];
    cr_assert_eq(chain_refused_iq("erin",
        "<iq type='set' to='+12025550123@gateway.opb.example'><enquiry xmlns='urn:peerwatch:chain:1' "
        "ref='x/1' kind='current' presentity='+12025550123' watcher-msisdn='+12025550124' "
        "watcher-jid='erin@opb.example' watcher-network='opc.example'/></iq>", 10000, text, sizeof text),
        PW_ERR_NOT_AUTHORIZED, "text: %s", text);
}

Test(routing, a_forged_enquiry_from_a_peer_user_is_not_authorized)
{
    /* alice is in the peer network opa.example but cannot sign as the operator */
    char text[512];
    cr_assert_eq(chain_refused_iq("alice",
        "<iq type='set' to='+12025550123@gateway.opb.example'><enquiry xmlns='urn:peerwatch:chain:1' "
        "ref='x/2' kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' "
        "watcher-jid='alice@opa.example' watcher-network='opa.example'>"
        "<signature alg='ed25519' network='opa.example' timestamp='2026-01-01T00:00:00Z' "
        "nonce='AAAAAAAAAAAAAAAAAAAAAA'>AAAA</signature></enquiry></iq>", 10000, text, sizeof text),
        PW_ERR_NOT_AUTHORIZED, "text: %s", text);
}

Test(routing, only_the_gateway_of_b_is_visible_to_a)
{
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r;
    char *xml;
    size_t len;
    r = chain_enquire(alice, "address='+12025550125' kind='current'");  /* frank: forbidden */
    xmpp_stanza_to_text(r, &xml, &len);
    cr_assert_null(strstr(xml, "ps1.opb.example"), "no presence-server address: %s", xml);
    cr_assert_null(strstr(xml, "hss.opb.example"), "no HSS address: %s", xml);
    xmpp_free(pwt_client_ctx(alice), xml);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}
