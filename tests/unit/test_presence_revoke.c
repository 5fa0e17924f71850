/* test_presence_revoke.c: the end of subscriptions by 'stop' (docs/protocol.md §5.1), by a revoked roster item and when the presentity is gone. */
#include "pw_subs.h"
#include "test_presence_util.h"

TestSuite(presence_revoke, .fini = tp_stop);

static tp_ends_t ends; /* large: off the stack */

static const char *attr(xmpp_stanza_t *iq, const char *name)
{
    return xmpp_stanza_get_attribute(tp_notify_el(iq), name);
}

/* carol (another watcher) subscribes to bob too. */
static void carol_subscribes(const char *id)
{
    tp_deliver("<iq type='set' id='%s' from='" TP_GATEWAY "' to='" TP_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:0' ref='%s' kind='changes' duration='600' "
               "proxy='proxy.opc.example' presentity-jid='bob@opb.example' watcher-msisdn='+33612345678' "
               "watcher-jid='carol@opc.example' watcher-network='opc.example'/></iq>", id, id);
    tp_roster("<item jid='carol@opc.example' subscription='from'/>");
    tp_run(0);
    cr_assert_str_eq(xmpp_stanza_get_type(tp_answer(id)), "result");
}

Test(presence_revoke, stop_ends_every_subscription_of_the_watcher_on_the_presentity)
{
    char a[64], b[64];
    tp_start(NULL);
    tp_subscribe("s1", "changes", TP_BOTH);
    tp_subscription("s1", a, sizeof a);
    tp_subscribe("s2", "next", TP_BOTH);
    tp_subscription("s2", b, sizeof b);
    carol_subscribes("s3");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 3);

    tp_enquiry("st", "watcher.opa.example/st", "stop");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1, "carol's stays");
    cr_assert_eq(tp_notify_count(), 2, "ended notifications, before the answer");
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *n = tp_notify(i, NULL);
        cr_assert_str_eq(attr(n, "ended"), "stopped");
        cr_assert_str_eq(attr(n, "watcher-jid"), "alice@opa.example");
        cr_assert(strcmp(attr(n, "subscription"), a) == 0 || strcmp(attr(n, "subscription"), b) == 0);
    }
    cr_assert_null(tp_answer("st"), "the answer waits for the commit");
    tp_run(0);
    cr_assert_str_eq(xmpp_stanza_get_type(tp_answer("st")), "result");
    cr_assert_null(xmpp_stanza_get_child_by_name(xmpp_stanza_get_children(tp_answer("st")), "state"));
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 2);
    cr_assert_str_eq(ends.outcome[0], "stopped");
    cr_assert_str_eq(ends.outcome[1], "stopped");
    cr_assert_eq(ends.others, 4, "three subscriptions and the stop are charged");
    tp_stop();
}

Test(presence_revoke, stop_naming_a_subscription_ends_only_that_one)
{
    char a[64], b[64];
    tp_start(NULL);
    tp_subscribe("s1", "changes", TP_BOTH);
    tp_subscription("s1", a, sizeof a);
    tp_subscribe("s2", "changes", TP_BOTH);
    tp_subscription("s2", b, sizeof b);
    tp_deliver("<iq type='set' id='st' from='" TP_GATEWAY "' to='" TP_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:0' ref='st' kind='stop' subscription='%s' "
               "proxy='proxy.opa.example' " TP_ATTRS "/></iq>", b);
    tp_run(0);
    cr_assert_str_eq(xmpp_stanza_get_type(tp_answer("st")), "result");
    cr_assert_eq(tp_notify_count(), 1);
    cr_assert_str_eq(attr(tp_notify(0, NULL), "subscription"), b);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    /* carol cannot stop alice's subscription by naming it */
    tp_deliver("<iq type='set' id='st2' from='" TP_GATEWAY "' to='" TP_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:0' ref='st2' kind='stop' subscription='%s' "
               "presentity-jid='bob@opb.example' watcher-msisdn='+33612345678' "
               "watcher-jid='carol@opc.example' watcher-network='opc.example'/></iq>", a);
    tp_run(0);
    cr_assert_str_eq(xmpp_stanza_get_type(tp_answer("st2")), "result");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_stop();
}

Test(presence_revoke, a_revoked_item_ends_the_subscription_before_the_next_notification)
{
    xmpp_stanza_t *n;
    char a[64];
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("r1", "changes", TP_BOTH);
    tp_subscription("r1", a, sizeof a);
    tp_bob("away");
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 1);
    tp_ack(tp_notify(0, NULL));
    /* bob revokes alice (subscription none); his next change is not sent */
    tp_run(1000);
    tp_bob("dnd");
    tp_roster("<item jid='alice@opa.example' subscription='none'/>");
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 2);
    n = tp_notify(1, NULL);
    cr_assert_str_eq(attr(n, "ended"), "revoked");
    cr_assert_str_eq(attr(n, "seq"), "2");
    cr_assert_null(xmpp_stanza_get_child_by_name(tp_notify_el(n), "state"), "no state leaks");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "revoked");
    cr_assert_eq(ends.notifications[0], 2);
    tp_stop();
}

Test(presence_revoke, a_removed_item_revokes_too_and_the_roster_is_read_once_per_presentity)
{
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("r1", "changes", TP_BOTH);
    tp_subscribe("r2", "changes", TP_BOTH);
    carol_subscribes("r3");
    {
        size_t gets = tp_roster_gets();
        tp_bob("away");
        cr_assert_eq(tp_roster_gets(), gets + 1, "one roster read for three subscriptions");
    }
    tp_roster("<item jid='carol@opc.example' subscription='both'/>");
    tp_run(0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1, "alice's two revoked");
    cr_assert_eq(tp_notify_count(), 3, "two ended, one state");
    tp_stop();
}

Test(presence_revoke, a_presentity_gone_ends_all_its_subscriptions)
{
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("p1", "changes", TP_BOTH);
    carol_subscribes("p2");
    tp_bob("away");
    {
        xmpp_stanza_t *get = tp_sent_ns("jabber:iq:roster");
        tp_deliver("<iq type='error' id='%s' from='bob@opb.example' to='" TP_JID "'><error type='cancel'>"
                   "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
                   xmpp_stanza_get_id(get));
    }
    tp_run(0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    cr_assert_eq(tp_notify_count(), 2);
    cr_assert_str_eq(attr(tp_notify(0, NULL), "ended"), "presentity-gone");
    cr_assert_str_eq(attr(tp_notify(1, NULL), "ended"), "presentity-gone");
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 2);
    cr_assert_str_eq(ends.outcome[0], "presentity-gone");
    tp_stop();
}

Test(presence_revoke, a_failed_roster_read_holds_the_notification_and_retries)
{
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("f1", "changes", TP_BOTH);
    tp_bob("away");
    tp_run(6000); /* the roster read times out */
    cr_assert_eq(tp_notify_count(), 0, "nothing sent unauthorized");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_run(1000); /* the retry reads again */
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 1);
    tp_stop();
}
