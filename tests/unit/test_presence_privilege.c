/* test_presence_privilege.c: XEP-0356 permission advertisements (urn:xmpp:privilege:2 and :1) and which presences they let in. */
#include "test_presence_util.h"

TestSuite(presence_privilege, .fini = tp_stop);

Test(presence_privilege, prosody_v2_advertisement_then_current_presences)
{
    unsigned version = 0;
    pw_presence_state_t st;
    tp_start(NULL);
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", &version), 0);
    /* exactly what mod_privilege sends on component-authenticated (advertise_perm) ... */
    tp_deliver("<message from='opb.example' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='roster' type='get'/><perm access='presence' type='managed_entity'/>"
               "</privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", &version),
                 PW_PRESENCE_PRIV_ROSTER_GET | PW_PRESENCE_PRIV_PRESENCE);
    cr_assert_eq(version, 2);
    /* ... then the current presence of each connected session (advertise_presences) */
    tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "' xmlns='jabber:client'>"
               "<show>xa</show><status>on holiday</status><priority>0</priority></presence>");
    pw_ptable_state(pw_presence_table(tp_ps), "bob@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "xa");
    cr_assert_str_eq(st.status, "on holiday");
    /* and later broadcasts, including unavailable */
    tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "' type='unavailable'/>");
    pw_ptable_state(pw_presence_table(tp_ps), "bob@opb.example", &st);
    cr_assert_eq(st.available, 0);
    cr_assert_eq(pwfake_transport_sent_count(tp_fake), 0, "nothing is answered to a privilege message or presence");
    tp_stop();
}

Test(presence_privilege, ejabberd_v1_advertisement_is_accepted)
{
    unsigned version = 0;
    tp_start(NULL);
    tp_deliver("<message from='opb.example' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:1'>"
               "<perm access='roster' type='both'/><perm access='message' type='outgoing'/>"
               "<perm access='presence' type='roster'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", &version),
                 PW_PRESENCE_PRIV_ROSTER_GET | PW_PRESENCE_PRIV_PRESENCE);
    cr_assert_eq(version, 1);
    tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(tp_ps)), 1);
    tp_stop();
}

Test(presence_privilege, missing_permissions_are_recorded_and_presences_without_permission_ignored)
{
    tp_start(NULL);
    tp_deliver("<message from='opb.example' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='roster' type='set'/><perm access='presence' type='none'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", NULL), 0, "set is not get; none is none");
    tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(tp_ps)), 0);
    tp_deliver("<message from='opb.example' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", NULL), PW_PRESENCE_PRIV_PRESENCE,
                 "a new advertisement replaces the old one");
    /* presences of another domain (no grant from it) are not taken */
    tp_deliver("<presence from='mallory@evil.example/x' to='" TP_JID "'/>");
    tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(tp_ps)), 1);
    cr_assert_eq(pw_ptable_resources(pw_presence_table(tp_ps), "mallory@evil.example"), 0);
    tp_stop();
}

Test(presence_privilege, advertisements_not_from_a_server_or_malformed_are_ignored)
{
    tp_start(NULL);
    tp_deliver("<message from='mallory@opb.example/x' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", NULL), 0);
    tp_deliver("<message to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    tp_deliver("<message from='opb.example' type='error' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", NULL), 0);
    tp_deliver("<message from='opb.example' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm/><perm access='presence'/><foo access='roster' type='get'/>text</privilege></message>");
    cr_assert_eq(pw_presence_privileges(tp_ps, "opb.example", NULL), 0, "recorded, with nothing granted");
    tp_deliver("<message from='opb.example' to='" TP_JID "'><body>hello</body></message>");
    tp_deliver("<message from='opb.example' to='" TP_JID "'/>");
    cr_assert_eq(pwfake_transport_sent_count(tp_fake), 0);
    tp_stop();
}

Test(presence_privilege, the_feature_is_advertised_in_disco)
{
    xmpp_stanza_t *a;
    char *xml;
    size_t len;
    tp_start(NULL);
    tp_deliver("<iq type='get' id='d1' from='gateway.opb.example' to='" TP_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    a = tp_answer("d1");
    cr_assert_not_null(a);
    cr_assert_eq(xmpp_stanza_to_text(a, &xml, &len), XMPP_EOK);
    cr_assert(strstr(xml, "urn:peerwatch:chain:0"), "feature listed: %s", xml);
    cr_assert(strstr(xml, "category=\"component\"") || strstr(xml, "category='component'"), "%s", xml);
    cr_assert(strstr(xml, "type=\"presence\"") || strstr(xml, "type='presence'"), "%s", xml);
    xmpp_free(tp_ctx, xml);
    tp_stop();
}
