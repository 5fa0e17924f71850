/* test_proxy_access.c: the proxy takes enquiries only from its own WA, refuses malformed ones, and advertises the chain in disco. */
#include "test_proxy_util.h"

TestSuite(proxy_access, .init = tp_setup, .fini = tp_teardown);

Test(proxy_access, enquiry_from_anyone_but_the_watcher_is_forbidden)
{
    static const char *const senders[] = { "alice@opa.example/phone", "watcher.opb.example",
                                           "gateway.opb.example", "evil.example" };
    char text[512];

    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        tp_deliver("f1", senders[i], TP_BOB, NULL);
        cr_assert_eq(tp_error_to(senders[i], "f1", text, sizeof text), PW_ERR_FORBIDDEN, "%s", senders[i]);
        cr_assert(strstr(text, TP_WATCHER), "the text names the allowed sender: %s", text);
    }
    cr_assert_eq(pwfake_resolver_count(tp.dns, NULL, NULL), 0, "no DNS for a refused enquiry");
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 0);
}

Test(proxy_access, the_watcher_is_recognised_whatever_its_case_or_resource)
{
    tp_deliver("c1", "Watcher.OPA.example/x", TP_BOB, NULL);
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 1, "accepted");
    cr_assert_eq(pwfake_resolver_count(tp.dns, "naptr", TP_BOB_ENUM), 1);
}

Test(proxy_access, malformed_enquiries_get_their_condition)
{
    char text[512];
    struct {
        const char *attrs;
        pw_error_t cond;
        const char *names;
    } cases[] = {
        { "ref='" TP_REF "' kind='sometimes' presentity='+12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_BAD_REQUEST, "kind" },
        { "kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_BAD_REQUEST, "ref" },
        { "ref='" TP_REF "' kind='current' presentity='12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_JID_MALFORMED, "presentity" },
        { "ref='" TP_REF "' kind='current' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opa.example'", PW_ERR_BAD_REQUEST, "presentity" },
        /* the watcher's network must be the proxy's own: it is the network that signs */
        { "ref='" TP_REF "' kind='current' presentity='+12025550123' watcher-msisdn='+447700900001' "
          "watcher-jid='alice@opa.example' watcher-network='opc.example'", PW_ERR_BAD_REQUEST, "watcher-network" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char xml[1024];
        snprintf(xml, sizeof xml, "<iq type='set' id='m%zu' from='" TP_WATCHER "' to='" TP_JID "'>"
                 "<enquiry xmlns='urn:peerwatch:chain:0' %s/></iq>", i, cases[i].attrs);
        cr_assert_eq(pwfake_transport_deliver_xml(tp.fake, xml), 0);
        snprintf(xml, sizeof xml, "m%zu", i);
        cr_assert_eq(tp_error_to_watcher(xml, text, sizeof text), cases[i].cond, "case %zu: %s", i, text);
        cr_assert(strstr(text, cases[i].names), "case %zu names %s: %s", i, cases[i].names, text);
    }
    cr_assert_eq(pwfake_resolver_count(tp.dns, NULL, NULL), 0);
    cr_assert_eq(pw_proxy_in_flight(tp.proxy), 0);
}

Test(proxy_access, disco_advertises_the_chain_namespace_and_presence_identity)
{
    xmpp_stanza_t *q;
    int feature = 0, identity = 0;

    pwfake_transport_deliver_xml(tp.fake, "<iq type='get' id='d1' from='" TP_WATCHER "' to='" TP_JID "'>"
                                  "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = xmpp_stanza_get_child_by_name(pwfake_transport_last(tp.fake), "query");
    cr_assert_not_null(q);
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c))
            continue;
        if (strcmp(xmpp_stanza_get_name(c), "feature") == 0 && strcmp(tp_attr(c, "var"), PW_NS_CHAIN) == 0)
            feature = 1;
        if (strcmp(xmpp_stanza_get_name(c), "identity") == 0 &&
            strcmp(tp_attr(c, "category"), "component") == 0 && strcmp(tp_attr(c, "type"), "presence") == 0)
            identity = 1;
    }
    cr_assert(feature, "urn:peerwatch:chain:0 is advertised");
    cr_assert(identity, "identity component/presence");
}
