/* test_proxy_access.c: the proxy takes enquiries only from its own WA, refuses malformed ones, and advertises the chain in disco. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_access, PWT_TREE);

Test(proxy_access, enquiry_from_anyone_but_the_watcher_is_forbidden)
{
    static const char *const senders[] = { "alice@opa.example/phone", "watcher.opb.example",
                                           "gateway.opb.example", "evil.example" };
    char text[512];

    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        pwfake_proxy_deliver(drv, "f1", senders[i], PWFAKE_PROXY_BOB, NULL);
        cr_assert_eq(pwfake_proxy_error_to(drv, senders[i], "f1", text, sizeof text), PW_ERR_FORBIDDEN, "%s", senders[i]);
        cr_assert(strstr(text, PWFAKE_PROXY_WATCHER), "the text names the allowed sender: %s", text);
    }
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 0, "no DNS for a refused enquiry");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_access, the_watcher_is_recognised_whatever_its_case_or_resource)
{
    pwfake_proxy_deliver(drv, "c1", "Watcher.OPA.example/x", PWFAKE_PROXY_BOB, NULL);
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 1, "accepted");
    cr_assert_eq(pwfake_resolver_count(drv->dns, "naptr", PWFAKE_PROXY_BOB_ENUM), 1);
}

Test(proxy_access, malformed_enquiries_get_their_condition)
{
    char text[512];
    struct {
        const char *attrs;
        pw_error_t cond;
        const char *names;
    } cases[] = {
        { "ref='" PWFAKE_PROXY_REF "' kind='sometimes' presentity='+12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_BAD_REQUEST, "kind" },
        { "kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_BAD_REQUEST, "ref" },
        { "ref='" PWFAKE_PROXY_REF "' kind='current' presentity='12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_JID_MALFORMED, "presentity" },
        { "ref='" PWFAKE_PROXY_REF "' kind='current' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_BAD_REQUEST, "presentity" },
        /* the watcher's network must be the proxy's own: it is the network that signs */
        { "ref='" PWFAKE_PROXY_REF "' kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opc.example'", PW_ERR_BAD_REQUEST, "watcher-network" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char xml[1024];
        snprintf(xml, sizeof xml, "<iq type='set' id='m%zu' from='" PWFAKE_PROXY_WATCHER "' to='" PWFAKE_PROXY_JID "'>"
                 "<enquiry xmlns='urn:peerwatch:chain:1' %s/></iq>", i, cases[i].attrs);
        cr_assert_eq(pwfake_transport_deliver_xml(drv->fc->fake, xml), 0);
        snprintf(xml, sizeof xml, "m%zu", i);
        cr_assert_eq(pwfake_proxy_error_to_watcher(drv, xml, text, sizeof text), cases[i].cond, "case %zu: %s", i, text);
        cr_assert(strstr(text, cases[i].names), "case %zu names %s: %s", i, cases[i].names, text);
    }
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 0);
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 0);
}

Test(proxy_access, disco_advertises_the_chain_namespace_and_presence_identity)
{
    xmpp_stanza_t *q;
    int feature = 0, identity = 0;

    pwfake_transport_deliver_xml(drv->fc->fake, "<iq type='get' id='d1' from='" PWFAKE_PROXY_WATCHER "' to='" PWFAKE_PROXY_JID "'>"
                                  "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = xmpp_stanza_get_child_by_name(pwfake_transport_last(drv->fc->fake), "query");
    cr_assert_not_null(q);
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c))
            continue;
        if (strcmp(xmpp_stanza_get_name(c), "feature") == 0 && strcmp(pwfake_attr(c, "var"), PW_NS_CHAIN) == 0)
            feature = 1;
        if (strcmp(xmpp_stanza_get_name(c), "identity") == 0 &&
            strcmp(pwfake_attr(c, "category"), "component") == 0 && strcmp(pwfake_attr(c, "type"), "presence") == 0)
            identity = 1;
    }
    cr_assert(feature, "urn:peerwatch:chain:1 is advertised");
    cr_assert(identity, "identity component/presence");
}
