/* test_proxy_notify.c: the proxy passes notifications from peer gateways to its own watcher and relays the acknowledgement. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_notify, PWT_TREE);

#define N_ATTRS "subscription='s1' ref='" PWFAKE_PROXY_REF "' watcher-jid='alice@opa.example' presentity='" PWFAKE_PROXY_BOB "' seq='4'"

Test(proxy_notify, notification_goes_to_the_watcher_and_the_ack_comes_back)
{
    xmpp_stanza_t *fwd, *ack;
    char xml[1024];
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n1' from='gateway.opb.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' " N_ATTRS ">"
        "<state xmlns='urn:peerwatch:0' available='false'/></notify></iq>");
    fwd = pwfake_transport_last(drv->fc->fake);
    cr_assert_not_null(fwd);
    cr_assert_str_eq(pwfake_attr(fwd, "to"), PWFAKE_PROXY_WATCHER);
    cr_assert_str_eq(pwfake_attr(fwd, "from"), PWFAKE_PROXY_JID);
    cr_assert_str_eq(pwfake_attr(xmpp_stanza_get_child_by_name(fwd, "notify"), "seq"), "4");
    snprintf(xml, sizeof xml, "<iq type='result' id='%s' from='" PWFAKE_PROXY_WATCHER "' to='" PWFAKE_PROXY_JID "'/>", pwfake_attr(fwd, "id"));
    pwfake_transport_deliver_xml(drv->fc->fake, xml);
    ack = pwfake_transport_last(drv->fc->fake);
    cr_assert_str_eq(pwfake_attr(ack, "type"), "result");
    cr_assert_str_eq(pwfake_attr(ack, "to"), "gateway.opb.example");
    cr_assert_str_eq(pwfake_attr(ack, "id"), "n1");
}

Test(proxy_notify, a_gone_watcher_and_a_timeout_are_relayed)
{
    char xml[1024], text[256];
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n2' from='gateway.opb.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' " N_ATTRS " ended='expired'/></iq>");
    snprintf(xml, sizeof xml, "<iq type='error' id='%s' from='" PWFAKE_PROXY_WATCHER "'><error type='cancel'>"
             "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
             pwfake_attr(pwfake_transport_last(drv->fc->fake), "id"));
    pwfake_transport_deliver_xml(drv->fc->fake, xml);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n3' from='gateway.opb.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' " N_ATTRS " ended='expired'/></iq>");
    drv->now += 60000;
    pw_loop_run_once(drv->fc->loop, 0);
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT);
    cr_assert_str_eq(pwfake_attr(pwfake_transport_last(drv->fc->fake), "id"), "n3");
}

Test(proxy_notify, only_peer_gateways_and_only_for_this_proxy)
{
    char text[256];
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n4' from='gateway.evil.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' " N_ATTRS " ended='stopped'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_NOT_AUTHORIZED);
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n5' from='gateway.opb.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='proxy.other.example' " N_ATTRS " ended='stopped'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='set' id='n6' from='gateway.opb.example' to='" PWFAKE_PROXY_JID "'>"
        "<notify xmlns='urn:peerwatch:chain:1' proxy='" PWFAKE_PROXY_JID "' subscription='s1'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(drv->fc->fake), text, sizeof text), PW_ERR_BAD_REQUEST);
}
