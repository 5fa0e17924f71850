/* test_proxy_notify.c: the proxy passes notifications signed by a peer's gateway to its own watcher, naming the network that signed, relays the acknowledgement, and refuses users, other networks, unsigned, forged, altered and replayed notifications (docs/protocol.md §5.2, §7). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_notify, PWT_TREE);

#define GW_OPB "gateway.opb.example"
#define N_ATTRS "subscription='s1' ref='" PWFAKE_PROXY_REF "' watcher-jid='alice@opa.example' presentity='" PWFAKE_PROXY_BOB "' seq='4'"
#define N_STATE "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' " N_ATTRS ">" \
                "<state xmlns='urn:peerwatch:0' available='true' show='chat'><status>line one\nline two</status></state></notify>"
#define N_ENDED "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' " N_ATTRS " ended='expired'/>"

/* Deliver the IQ as text and return the condition of the proxy's answer to it (PW_ERR_NONE
 * when it was not an error, i.e. it went on to the watcher). */
static pw_error_t answer_to(const char *xml, char *text, size_t cap)
{
    xmpp_stanza_t *last;
    size_t before = pwfake_transport_sent_count(drv->fc->fake);
    pwfake_transport_deliver_xml(drv->fc->fake, xml);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), before + 1, "one stanza answers it");
    last = pwfake_transport_last(drv->fc->fake);
    text[0] = '\0';
    if (strcmp(pwfake_attr(last, "type"), "error") != 0)
        return PW_ERR_NONE;
    return pw_stanza_error_parse(last, text, cap);
}

Test(proxy_notify, a_signed_notification_goes_to_the_watcher_naming_its_network_and_the_ack_comes_back)
{
    xmpp_stanza_t *fwd, *ack, *el;
    char xml[4096], text[512];
    pwfake_proxy_signed_notify(drv, "n1", GW_OPB, N_STATE, drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NONE, "%s", text);
    fwd = pwfake_transport_last(drv->fc->fake);
    cr_assert_str_eq(pwfake_attr(fwd, "to"), PWFAKE_PROXY_WATCHER);
    cr_assert_str_eq(pwfake_attr(fwd, "from"), PWFAKE_PROXY_JID);
    el = xmpp_stanza_get_child_by_name(fwd, "notify");
    cr_assert_str_eq(pwfake_attr(el, "seq"), "4");
    cr_assert_str_eq(pwfake_attr(el, "network"), "opb.example", "the WA learns which network signed");
    cr_assert_null(xmpp_stanza_get_child_by_name(el, "signature"), "the signature stays at the border");
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" PWFAKE_PROXY_WATCHER "' to='" PWFAKE_PROXY_JID "'/>", pwfake_attr(fwd, "id"));
    pwfake_transport_deliver_xml(drv->fc->fake, xml);
    ack = pwfake_transport_last(drv->fc->fake);
    cr_assert_str_eq(pwfake_attr(ack, "type"), "result");
    cr_assert_str_eq(pwfake_attr(ack, "to"), GW_OPB);
    cr_assert_str_eq(pwfake_attr(ack, "id"), "n1");
}

Test(proxy_notify, a_gone_watcher_and_a_timeout_are_relayed)
{
    char xml[4096], text[256];
    pwfake_proxy_signed_notify(drv, "n2", GW_OPB, N_ENDED, drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NONE, "%s", text);
    snprintf(xml, sizeof xml, "<iq type='error' id='%s' from='" PWFAKE_PROXY_WATCHER "'><error type='cancel'>"
             "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
             pwfake_attr(pwfake_transport_last(drv->fc->fake), "id"));
    pwfake_transport_deliver_xml(drv->fc->fake, xml);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    pwfake_proxy_signed_notify(drv, "n3", GW_OPB, N_ENDED, drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NONE, "%s", text);
    drv->now += 60000;
    pw_loop_run_once(drv->fc->loop, 0);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(drv->fc->fake), "id"), "n3");
}

/* The forged notification of issue 14: a user of the peer sends one straight to the proxy. */
Test(proxy_notify, a_user_never_speaks_for_an_operator_even_with_a_valid_signature)
{
    char xml[4096], text[512];
    pwfake_proxy_signed_notify(drv, "u1", "bob@opb.example/phone", N_STATE, drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert(strstr(text, "not a component"), "%s", text);
    pwfake_proxy_signed_notify(drv, "u2", "bob@opb.example", N_STATE, NULL, NULL, xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    pwfake_proxy_signed_notify(drv, "u3", "x@gateway.opb.example", N_STATE, drv->opb, "gateway.opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED, "a localpart on a component domain");
}

Test(proxy_notify, unsigned_forged_and_altered_notifications_are_refused)
{
    char xml[4096], text[512], *at;
    pwfake_proxy_signed_notify(drv, "f1", GW_OPB, N_STATE, NULL, NULL, xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert(strstr(text, "no signature of opb.example"), "%s", text);
    /* signed, but naming another network than the sender's */
    pwfake_proxy_signed_notify(drv, "f2", GW_OPB, N_STATE, drv->opb, "opa.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    /* signed by another key in opb's name */
    {
        char path[512], why[256];
        pw_peering_key_t *opa = NULL;
        snprintf(path, sizeof path, "%s/conf/keys/opa.example.key", PWT_TREE);
        cr_assert_eq(pw_peering_key_load_private(path, &opa, why, sizeof why), PW_OK, "%s", why);
        pwfake_proxy_signed_notify(drv, "f3", GW_OPB, N_STATE, opa, "opb.example", xml, sizeof xml);
        pw_peering_key_destroy(opa);
    }
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert(strstr(text, "does not verify"), "%s", text);
    /* signed, then the status altered on the way */
    pwfake_proxy_signed_notify(drv, "f4", GW_OPB, N_STATE, drv->opb, "opb.example", xml, sizeof xml);
    at = strstr(xml, "line one");
    cr_assert_not_null(at);
    memcpy(at, "LINE", 4);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    /* signed for seq 4, sent as seq 5 */
    pwfake_proxy_signed_notify(drv, "f5", GW_OPB, N_STATE, drv->opb, "opb.example", xml, sizeof xml);
    at = strstr(xml, "seq=\"4\"");
    cr_assert_not_null(at, "%s", xml);
    at[5] = '5';
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), 5, "nothing reached the watcher");
}

Test(proxy_notify, a_replayed_notification_is_refused)
{
    char xml[4096], text[512];
    pwfake_proxy_signed_notify(drv, "r1", GW_OPB, N_STATE, drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NONE, "%s", text);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    cr_assert(strstr(text, "nonce"), "the replay guard says why: %s", text);
}

Test(proxy_notify, only_networks_of_notify_from_and_only_for_this_proxy)
{
    char xml[4096], text[256];
    pwfake_proxy_signed_notify(drv, "n4", "gateway.evil.example", N_ENDED, drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    pwfake_proxy_signed_notify(drv, "n5", GW_OPB, "<notify xmlns='urn:peerwatch:chain:1' proxy='proxy.other.example' "
                               N_ATTRS " ended='stopped'/>", drv->opb, "opb.example", xml, sizeof xml);
    cr_assert_eq(answer_to(xml, text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n6' from='gateway.opb.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' subscription='s1'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_BAD_REQUEST);
}
