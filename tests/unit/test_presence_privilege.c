/* test_presence_privilege.c: XEP-0356 permission advertisements (urn:xmpp:privilege:2 and :1) and which presences they let in. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presence_driver.h"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_privilege, .fini = stop_driver);

/* opb.example's server advertises these permissions (XEP-0356 namespace version 1 or 2). */
static void advertise(int version, const char *perms)
{
    pwfake_presence_deliver(&pd, "<message from='opb.example' to='" PWFAKE_PRESENCE_JID "'>"
               "<privilege xmlns='urn:xmpp:privilege:%d'>%s</privilege></message>", version, perms);
}

Test(presence_privilege, prosody_v2_advertisement_then_current_presences)
{
    unsigned version = 0;
    pw_presence_state_t st;
    pwfake_presence_start(&pd, NULL);
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", &version), 0);
    /* exactly what mod_privilege sends on component-authenticated (advertise_perm) ... */
    advertise(2, "<perm access='roster' type='get'/><perm access='presence' type='managed_entity'/>");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", &version),
                 PW_PRESENCE_PRIV_ROSTER_GET | PW_PRESENCE_PRIV_PRESENCE);
    cr_assert_eq(version, 2);
    /* ... then the current presence of each connected session (advertise_presences) */
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "' xmlns='jabber:client'>"
               "<show>xa</show><status>on holiday</status><priority>0</priority></presence>");
    pw_ptable_state(pw_presence_table(pd.ps), "bob@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "xa");
    cr_assert_str_eq(st.status, "on holiday");
    /* and later broadcasts, including unavailable */
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "' type='unavailable'/>");
    pw_ptable_state(pw_presence_table(pd.ps), "bob@opb.example", &st);
    cr_assert_eq(st.available, 0);
    cr_assert_eq(pwfake_transport_sent_count(pd.fake), 0, "nothing is answered to a privilege message or presence");
    pwfake_presence_stop(&pd);
}

Test(presence_privilege, ejabberd_v1_advertisement_is_accepted)
{
    unsigned version = 0;
    pwfake_presence_start(&pd, NULL);
    advertise(1, "<perm access='roster' type='both'/><perm access='message' type='outgoing'/>"
                 "<perm access='presence' type='roster'/>");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", &version),
                 PW_PRESENCE_PRIV_ROSTER_GET | PW_PRESENCE_PRIV_ROSTER_SET | PW_PRESENCE_PRIV_PRESENCE);
    cr_assert_eq(version, 1);
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 1);
    pwfake_presence_stop(&pd);
}

Test(presence_privilege, missing_permissions_are_recorded_and_presences_without_permission_ignored)
{
    pwfake_presence_start(&pd, NULL);
    advertise(2, "<perm access='roster' type='set'/><perm access='presence' type='none'/>");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", NULL), PW_PRESENCE_PRIV_ROSTER_SET,
                 "set is not get; none is none");
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 0);
    advertise(2, "<perm access='presence' type='managed_entity'/>");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", NULL), PW_PRESENCE_PRIV_PRESENCE,
                 "a new advertisement replaces the old one");
    /* presences of another domain (no grant from it) are not taken */
    pwfake_presence_deliver(&pd, "<presence from='mallory@evil.example/x' to='" PWFAKE_PRESENCE_JID "'/>");
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 1);
    cr_assert_eq(pw_ptable_resources(pw_presence_table(pd.ps), "mallory@evil.example"), 0);
    pwfake_presence_stop(&pd);
}

Test(presence_privilege, advertisements_not_from_a_server_or_malformed_are_ignored)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_deliver(&pd, "<message from='mallory@opb.example/x' to='" PWFAKE_PRESENCE_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", NULL), 0);
    pwfake_presence_deliver(&pd, "<message to='" PWFAKE_PRESENCE_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    pwfake_presence_deliver(&pd, "<message from='opb.example' type='error' to='" PWFAKE_PRESENCE_JID "'><privilege xmlns='urn:xmpp:privilege:2'>"
               "<perm access='presence' type='managed_entity'/></privilege></message>");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", NULL), 0);
    advertise(2, "<perm/><perm access='presence'/><foo access='roster' type='get'/>text");
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", NULL), 0, "recorded, with nothing granted");
    pwfake_presence_deliver(&pd, "<message from='opb.example' to='" PWFAKE_PRESENCE_JID "'><body>hello</body></message>");
    pwfake_presence_deliver(&pd, "<message from='opb.example' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pwfake_transport_sent_count(pd.fake), 0);
    pwfake_presence_stop(&pd);
}

Test(presence_privilege, the_feature_is_advertised_in_disco)
{
    xmpp_stanza_t *a;
    char *xml;
    size_t len;
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_deliver(&pd, "<iq type='get' id='d1' from='gateway.opb.example' to='" PWFAKE_PRESENCE_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    a = pwfake_presence_answer(&pd, "d1");
    cr_assert_not_null(a);
    cr_assert_eq(xmpp_stanza_to_text(a, &xml, &len), XMPP_EOK);
    cr_assert(strstr(xml, "urn:peerwatch:chain:1"), "feature listed: %s", xml);
    cr_assert(strstr(xml, "category=\"component\"") || strstr(xml, "category='component'"), "%s", xml);
    cr_assert(strstr(xml, "type=\"presence\"") || strstr(xml, "type='presence'"), "%s", xml);
    xmpp_free(pd.ctx, xml);
    pwfake_presence_stop(&pd);
}
