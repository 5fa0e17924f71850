/* test_presence_naming.c: once the presentity approved a watcher, the presence server that asked
 * her names the roster item her approval created after the request's nick ("+447700900001
 * (alice@opa.example)"), where her server granted roster set; a name she gave is kept, a
 * declined item is left alone, and a server granting only roster get is never asked to set
 * (docs/protocol.md §2.5). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pw_subs.h"
#include "presence_driver.h"
#include "xmpp/pw_stanza.h"

#define CONTACT "+447700900001@watcher.opb.example"
#define NAME "+447700900001 (alice@opa.example)"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_naming, .fini = stop_driver);

/* alice's roster route asks about bob, who has no item for her yet, on a server that grants
 * roster access of this type: the PS holds a pending subscription and asks bob to approve. */
static void asked(const char *roster_access)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant_roster(&pd, "opb.example", 2, roster_access);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_deliver(&pd, "<iq type='set' id='p1' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
                            "<enquiry xmlns='urn:peerwatch:chain:1' ref='r1' kind='changes' duration='600' "
                            "await-approval='true' proxy='proxy.opa.example' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    pwfake_presence_roster(&pd, "");
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_sent_ns(&pd, "urn:peerwatch:chain:1"), "bob is asked to approve");
}

/* The roster IQs (of type) sent from index `from` on: how many, the last one into *last. */
static size_t roster_iqs(size_t from, const char *type, xmpp_stanza_t **last)
{
    size_t n = 0;
    *last = NULL;
    for (size_t i = from; i < pwfake_transport_sent_count(pd.fake); i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(pd.fake, i);
        if (xmpp_stanza_get_child_by_ns(s, "jabber:iq:roster") && strcmp(xmpp_stanza_get_type(s), type) == 0) {
            n++;
            *last = s;
        }
    }
    return n;
}

/* Answer every roster get sent from index `from` on with these items. */
static void answer_gets(size_t from, const char *items)
{
    size_t end = pwfake_transport_sent_count(pd.fake);
    char ids[4][64];
    size_t n = 0;
    for (size_t i = from; i < end && n < 4; i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(pd.fake, i);
        if (xmpp_stanza_get_child_by_ns(s, "jabber:iq:roster") && strcmp(xmpp_stanza_get_type(s), "get") == 0)
            snprintf(ids[n++], sizeof ids[0], "%s", xmpp_stanza_get_id(s));
    }
    for (size_t i = 0; i < n; i++)
        pwfake_presence_deliver(&pd, "<iq type='result' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                                "<query xmlns='jabber:iq:roster'>%s</query></iq>", ids[i], items);
    pwfake_presence_run(&pd, 0);
}

/* bob's WA reports his decision about alice: @return the sent count before it */
static size_t decided(void)
{
    size_t before = pwfake_transport_sent_count(pd.fake);
    pwfake_presence_deliver(&pd, "<iq type='set' id='d1' from='watcher.opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                            "<decided xmlns='urn:peerwatch:chain:1' presentity='bob@opb.example' "
                            "watcher-msisdn='+447700900001'/></iq>");
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, "d1")), "result");
    return before;
}

Test(presence_naming, her_approved_item_gets_the_request_name_and_keeps_its_groups)
{
    xmpp_stanza_t *set, *item, *group;
    size_t from;
    char text[64];

    asked("both");
    from = decided();
    answer_gets(from, "<item jid='" CONTACT "' subscription='from'><group>Friends</group></item>");
    cr_assert_eq(roster_iqs(from, "set", &set), 1, "one roster set names the item");
    cr_assert_str_eq(xmpp_stanza_get_to(set), "bob@opb.example", "on bob's behalf (XEP-0356 §5)");
    item = xmpp_stanza_get_child_by_name(xmpp_stanza_get_child_by_ns(set, "jabber:iq:roster"), "item");
    cr_assert_not_null(item);
    cr_assert_str_eq(xmpp_stanza_get_attribute(item, "jid"), CONTACT);
    cr_assert_str_eq(xmpp_stanza_get_attribute(item, "name"), NAME, "the name of the request's nick");
    cr_assert_null(xmpp_stanza_get_attribute(item, "subscription"), "the subscription is the server's");
    group = xmpp_stanza_get_child_by_name(item, "group");
    cr_assert_not_null(group, "her groups go along: a set replaces the item whole");
    cr_assert_str_eq(pw_stanza_child_text(item, "group", NULL, text, sizeof text), "Friends");
    /* the server takes it; nothing more is sent */
    pwfake_presence_deliver(&pd, "<iq type='result' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'/>",
                            xmpp_stanza_get_id(set));
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(roster_iqs(from, "set", &set), 1);
}

/* On a server granting roster "both": bob decides, his roster reads these items. @return how
 * many roster sets followed (the last one into *set) */
static size_t sets_after_decision(const char *items, xmpp_stanza_t **set)
{
    size_t from;
    asked("both");
    from = decided();
    answer_gets(from, items);
    return roster_iqs(from, "set", set);
}

Test(presence_naming, a_name_she_gave_is_kept)
{
    xmpp_stanza_t *set;
    cr_assert_eq(sets_after_decision("<item jid='" CONTACT "' name='Alice from work' subscription='from'/>", &set), 0,
                 "her own name stays");
}

Test(presence_naming, a_declined_item_is_left_alone)
{
    xmpp_stanza_t *set;
    cr_assert_eq(sets_after_decision("<item jid='" CONTACT "' subscription='none'/>", &set), 0,
                 "only an approved item is named");
}

Test(presence_naming, a_server_granting_only_roster_get_is_not_asked_to_set)
{
    xmpp_stanza_t *get, *set;
    size_t from;

    asked("get");
    from = decided();
    cr_assert_eq(roster_iqs(from, "get", &get), 1, "only the read that settles the subscription");
    answer_gets(from, "<item jid='" CONTACT "' subscription='from'/>");
    cr_assert_eq(roster_iqs(from, "set", &set), 0);
}

Test(presence_naming, only_the_presence_server_that_asked_names_the_item)
{
    xmpp_stanza_t *get, *set;
    size_t from;

    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant_roster(&pd, "opb.example", 2, "both");
    from = decided(); /* ps2 asked her, not this one */
    cr_assert_eq(roster_iqs(from, "get", &get), 0, "no pending subscription, no naming: nothing to read");
    answer_gets(from, "<item jid='" CONTACT "' subscription='from'/>");
    cr_assert_eq(roster_iqs(from, "set", &set), 0);
}

Test(presence_naming, a_refused_set_is_only_logged)
{
    xmpp_stanza_t *set;

    cr_assert_eq(sets_after_decision("<item jid='" CONTACT "' subscription='both'/>", &set), 1);
    pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                            "<error type='cancel'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
                            xmpp_stanza_get_id(set));
    pwfake_presence_run(&pd, 0);
    pwfake_presence_run(&pd, 60000);
    cr_assert_eq(roster_iqs(0, "set", &set), 1, "not retried");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "the subscription lives on");
}
