/* test_presence_revoke.c: the end of subscriptions by 'stop' (docs/protocol.md §5.1), by a revoked roster item and when the presentity is gone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pw_subs.h"
#include "presence_driver.h"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_revoke, .fini = stop_driver);

static pwfake_presence_ends_t ends; /* large: off the stack */

static const char *attr(xmpp_stanza_t *iq, const char *name)
{
    return xmpp_stanza_get_attribute(pwfake_presence_notify_el(iq), name);
}

/* carol (another watcher) subscribes to bob too. */
static void carol_subscribes(const char *id)
{
    pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='%s' kind='changes' duration='600' "
               "proxy='proxy.opc.example' presentity-jid='bob@opb.example' watcher-msisdn='+33612345678' "
               "watcher-jid='carol@opc.example' watcher-network='opc.example'/></iq>", id, id);
    pwfake_presence_roster(&pd, "<item jid='carol@opc.example' subscription='from'/>");
    pwfake_presence_run(&pd, 0);
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, id)), "result");
}

/* alice subscribes to bob (request id, of this kind; bob's roster grants both); sub receives the subscription's id. */
static void alice_subscribes(const char *id, const char *kind, char *sub, size_t cap)
{
    pwfake_presence_subscribe(&pd, id, kind, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, id, sub, cap);
}

/* A 'stop' enquiry (request id) to address to, naming subscription sub, from the watcher that attrs describe; answered when the loop has run. */
static void stop_named(const char *id, const char *to, const char *sub, const char *attrs)
{
    pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='%s'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='%s' kind='stop' subscription='%s' %s/></iq>",
               id, to, id, sub, attrs);
    pwfake_presence_run(&pd, 0);
}

Test(presence_revoke, stop_ends_every_subscription_of_the_watcher_on_the_presentity)
{
    char a[64], b[64];
    pwfake_presence_start(&pd, NULL);
    alice_subscribes("s1", "changes", a, sizeof a);
    alice_subscribes("s2", "next", b, sizeof b);
    carol_subscribes("s3");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 3);

    pwfake_presence_enquiry(&pd, "st", "watcher.opa.example/st", "stop");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "carol's stays");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "ended notifications, before the answer");
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *n = pwfake_presence_notify(&pd, i, NULL);
        cr_assert_str_eq(attr(n, "ended"), "stopped");
        cr_assert_str_eq(attr(n, "watcher-jid"), "alice@opa.example");
        cr_assert(strcmp(attr(n, "subscription"), a) == 0 || strcmp(attr(n, "subscription"), b) == 0);
    }
    cr_assert_null(pwfake_presence_answer(&pd, "st"), "the answer waits for the commit");
    pwfake_presence_run(&pd, 0);
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, "st")), "result");
    cr_assert_null(xmpp_stanza_get_child_by_name(xmpp_stanza_get_children(pwfake_presence_answer(&pd, "st")), "state"));
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 2);
    cr_assert_str_eq(ends.outcome[0], "stopped");
    cr_assert_str_eq(ends.outcome[1], "stopped");
    cr_assert_eq(ends.others, 4, "three subscriptions and the stop are charged");
    pwfake_presence_stop(&pd);
}

Test(presence_revoke, stop_naming_a_subscription_ends_only_that_one)
{
    char a[64], b[64];
    pwfake_presence_start(&pd, NULL);
    alice_subscribes("s1", "changes", a, sizeof a);
    alice_subscribes("s2", "changes", b, sizeof b);
    stop_named("st", PWFAKE_PRESENCE_BOB, b, "proxy='proxy.opa.example' " PWFAKE_PRESENCE_ATTRS);
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, "st")), "result");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    cr_assert_str_eq(attr(pwfake_presence_notify(&pd, 0, NULL), "subscription"), b);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    /* carol cannot stop alice's subscription by naming it */
    stop_named("st2", PWFAKE_PRESENCE_BOB_JID, a, "presentity-jid='bob@opb.example' watcher-msisdn='+33612345678' "
                         "watcher-jid='carol@opc.example' watcher-network='opc.example'");
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, "st2")), "result");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_stop(&pd);
}

Test(presence_revoke, a_revoked_item_ends_the_subscription_before_the_next_notification)
{
    xmpp_stanza_t *n;
    char a[64];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    alice_subscribes("r1", "changes", a, sizeof a);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 0, NULL));
    /* bob revokes alice (subscription none); his next change is not sent */
    pwfake_presence_run(&pd, 1000);
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_roster(&pd, "<item jid='alice@opa.example' subscription='none'/>");
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    n = pwfake_presence_notify(&pd, 1, NULL);
    cr_assert_str_eq(attr(n, "ended"), "revoked");
    cr_assert_str_eq(attr(n, "seq"), "2");
    cr_assert_null(xmpp_stanza_get_child_by_name(pwfake_presence_notify_el(n), "state"), "no state leaks");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "revoked");
    cr_assert_eq(ends.notifications[0], 2);
    pwfake_presence_stop(&pd);
}

Test(presence_revoke, a_removed_item_revokes_too_and_the_roster_is_read_once_per_presentity)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_subscribe(&pd, "r1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscribe(&pd, "r2", "changes", PWFAKE_PRESENCE_BOTH);
    carol_subscribes("r3");
    {
        size_t gets = pwfake_presence_roster_gets(&pd);
        pwfake_presence_bob(&pd, "away");
        cr_assert_eq(pwfake_presence_roster_gets(&pd), gets + 1, "one roster read for three subscriptions");
    }
    pwfake_presence_roster(&pd, "<item jid='carol@opc.example' subscription='both'/>");
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "alice's two revoked");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 3, "two ended, one state");
    pwfake_presence_stop(&pd);
}

Test(presence_revoke, a_presentity_gone_ends_all_its_subscriptions)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_subscribe(&pd, "p1", "changes", PWFAKE_PRESENCE_BOTH);
    carol_subscribes("p2");
    pwfake_presence_bob(&pd, "away");
    {
        xmpp_stanza_t *get = pwfake_presence_sent_ns(&pd, "jabber:iq:roster");
        pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='bob@opb.example' to='" PWFAKE_PRESENCE_JID "'><error type='cancel'>"
                   "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
                   xmpp_stanza_get_id(get));
    }
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    cr_assert_str_eq(attr(pwfake_presence_notify(&pd, 0, NULL), "ended"), "presentity-gone");
    cr_assert_str_eq(attr(pwfake_presence_notify(&pd, 1, NULL), "ended"), "presentity-gone");
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 2);
    cr_assert_str_eq(ends.outcome[0], "presentity-gone");
    pwfake_presence_stop(&pd);
}

Test(presence_revoke, a_failed_roster_read_holds_the_notification_and_retries)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_subscribe(&pd, "f1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_run(&pd, 6000); /* the roster read times out */
    cr_assert_eq(pwfake_presence_notify_count(&pd), 0, "nothing sent unauthorized");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_run(&pd, 1000); /* the retry reads again */
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    pwfake_presence_stop(&pd);
}
