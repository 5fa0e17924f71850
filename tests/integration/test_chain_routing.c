/* test_chain_routing.c: how the chain finds the other operator: gateway SRV failover, unknown
 * networks, networks without a reachable gateway, non-peer senders, and nothing leaking out of B. */
#include "chain_util.h"

#include <stdlib.h>

TestSuite(routing, .timeout = 120);

static unsigned count_in_file(const char *path, const char *text)
{
    char line[4096];
    unsigned n = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    cr_assert_not_null(f, "log %s readable", path ? path : "(none)");
    while (fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    fclose(f);
    return n;
}

Test(routing, first_gateway_target_down_fails_over_to_the_second)
{
    /* B's _presence-gw._tcp SRV lists gw-down.opb.example (priority 10, its s2s port refuses)
     * before gateway.opb.example (priority 20). */
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r = chain_enquire(alice, "address='+12025550123' kind='current'");
    chain_state(r);
    xmpp_stanza_release(r);
    cr_assert_geq(count_in_file(pwt_trialenv("OPA_PROXY_LOG"), "gw-down.opb.example"), 1,
                  "the proxy tried the first target and moved on");
    pwt_client_destroy(alice);
}

Test(routing, unknown_network_is_remote_server_not_found)
{
    pwt_client_t *alice = chain_login("alice");
    char text[512];
    /* no ENUM record and no prefix matches +86… */
    xmpp_stanza_t *r = chain_enquire(alice, "address='+8613800138000' kind='current'");
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_REMOTE_SERVER_NOT_FOUND, "text: %s", text);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}

Test(routing, network_without_a_reachable_gateway)
{
    pwt_client_t *alice = chain_login("alice");
    char text[512];
    /* ENUM says opc.example; its gateway has no s2s address at all */
    xmpp_stanza_t *r = chain_enquire(alice, "address='+33123456789' kind='current'");
    pw_error_t cond = chain_error(r, text, sizeof text);
    cr_assert(cond == PW_ERR_REMOTE_SERVER_NOT_FOUND || cond == PW_ERR_REMOTE_SERVER_TIMEOUT,
              "got %s: %s", pw_error_name(cond), text);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}

Test(routing, non_peer_sender_is_not_authorized)
{
    /* erin (opb.example) talks to B's gateway directly: opb.example's own users are no peer
     * network, and her enquiry carries no operator signature. */
    pwt_client_t *erin = chain_login("erin");
    char text[512];
    xmpp_stanza_t *r = pwt_client_iq(erin,
        "<iq type='set' to='gateway.opb.example'><enquiry xmlns='urn:peerwatch:chain:0' "
        "ref='x/1' kind='current' presentity='+12025550123' watcher-msisdn='+12025550124' "
        "watcher-jid='erin@opb.example' watcher-network='opc.example'/></iq>", 10000);
    cr_assert_not_null(r);
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_NOT_AUTHORIZED, "text: %s", text);
    xmpp_stanza_release(r);
    pwt_client_destroy(erin);
}

Test(routing, a_forged_enquiry_from_a_peer_user_is_not_authorized)
{
    /* alice is in the peer network opa.example but cannot sign as the operator */
    pwt_client_t *alice = chain_login("alice");
    char text[512];
    xmpp_stanza_t *r = pwt_client_iq(alice,
        "<iq type='set' to='gateway.opb.example'><enquiry xmlns='urn:peerwatch:chain:0' "
        "ref='x/2' kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' "
        "watcher-jid='alice@opa.example' watcher-network='opa.example'>"
        "<signature alg='ed25519' network='opa.example' timestamp='2026-01-01T00:00:00Z' "
        "nonce='AAAAAAAAAAAAAAAAAAAAAA'>AAAA</signature></enquiry></iq>", 10000);
    cr_assert_not_null(r);
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_NOT_AUTHORIZED, "text: %s", text);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
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
