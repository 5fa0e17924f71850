/* test_presence_notify.c: notifications of a subscription (docs/protocol.md §5.2): seq, acks, throttling with the latest state, expiry, 'next', retries and a watcher gone. */
#include "pw_subs.h"
#include "test_presence_util.h"

TestSuite(presence_notify, .fini = tp_stop);

static tp_ends_t ends; /* large: off the stack */

/* A change of bob, re-authorized by a roster read, flushed by the commit hook. */
static void change(const char *show)
{
    size_t gets = tp_roster_gets();
    tp_bob(show);
    cr_assert_eq(tp_roster_gets(), gets + 1, "a roster read before the notification");
    tp_roster(TP_BOTH);
    tp_run(0);
}

static const char *attr(xmpp_stanza_t *iq, const char *name)
{
    return xmpp_stanza_get_attribute(tp_notify_el(iq), name);
}

static void state_of(xmpp_stanza_t *iq, pw_presence_state_t *st)
{
    xmpp_stanza_t *s = xmpp_stanza_get_child_by_name_and_ns(tp_notify_el(iq), "state", "urn:peerwatch:0");
    cr_assert_not_null(s, "the notification carries a <state/>");
    cr_assert_eq(pw_state_parse(s, st), PW_OK);
}

Test(presence_notify, three_changes_three_notifications_in_sequence)
{
    char id[64];
    pw_presence_state_t st;
    static const char *const shows[] = { "away", "dnd", "xa" };
    pw_subs_stats_t stats;

    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_bob("");
    tp_subscribe("c1", "changes", TP_BOTH);
    tp_subscription("c1", id, sizeof id);
    cr_assert_eq(tp_notify_count(), 0);
    for (int i = 0; i < 3; i++) {
        xmpp_stanza_t *n;
        char seq[8];
        if (i)
            tp_run(1000); /* past the throttle */
        change(shows[i]);
        cr_assert_eq(tp_notify_count(), (size_t)i + 1);
        n = tp_notify((size_t)i, NULL);
        snprintf(seq, sizeof seq, "%d", i + 1);
        cr_assert_str_eq(xmpp_stanza_get_to(n), TP_GATEWAY);
        cr_assert_str_eq(attr(n, "subscription"), id);
        cr_assert_str_eq(attr(n, "seq"), seq);
        cr_assert_str_eq(attr(n, "ref"), "c1");
        cr_assert_str_eq(attr(n, "proxy"), "proxy.opa.example");
        cr_assert_str_eq(attr(n, "watcher-jid"), "alice@opa.example");
        cr_assert_str_eq(attr(n, "presentity"), "+12025550123");
        cr_assert_str_eq(attr(n, "presentity-jid"), "bob@opb.example");
        cr_assert_null(attr(n, "ended"));
        state_of(n, &st);
        cr_assert_str_eq(st.show, shows[i]);
        tp_ack(n);
    }
    pw_subs_stats(pw_presence_subs(tp_ps), &stats);
    cr_assert_eq(stats.acked, 3);
    cr_assert_eq(stats.notifications, 3);
    tp_stop();
}

Test(presence_notify, throttled_changes_are_merged_latest_state_wins)
{
    pw_presence_state_t st;
    xmpp_stanza_t *n;
    char id[64];
    tp_start("notify_interval = 1s");
    tp_grant("opb.example", 2);
    tp_bob("");
    tp_subscribe("t1", "changes", TP_BOTH);
    tp_subscription("t1", id, sizeof id);
    change("away");
    cr_assert_eq(tp_notify_count(), 1);
    tp_ack(tp_notify(0, NULL));

    /* three changes within the interval: nothing now */
    tp_run(100);
    tp_bob("dnd");
    tp_bob("xa");
    tp_bob("chat");
    tp_run(0);
    tp_run(800);
    cr_assert_eq(tp_notify_count(), 1, "throttled");
    /* the interval is over: one notification with the latest state, after a fresh roster read */
    tp_run(100);
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 2);
    n = tp_notify(1, NULL);
    cr_assert_str_eq(attr(n, "seq"), "2");
    state_of(n, &st);
    cr_assert_str_eq(st.show, "chat", "the latest state, nothing stale");
    tp_ack(n);

    /* a change and back within the interval: the state last sent is not sent again */
    tp_run(100);
    tp_bob("away");
    tp_bob("chat");
    tp_run(2000);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 2);
    /* a change while a notification is unacknowledged waits for the ack */
    tp_run(1000);
    change("dnd");
    cr_assert_eq(tp_notify_count(), 3);
    tp_run(1000);
    tp_bob("xa");
    tp_run(1000);
    cr_assert_eq(tp_notify_count(), 3, "one notification in flight at a time");
    tp_ack(tp_notify(2, NULL));
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 4);
    state_of(tp_notify(3, NULL), &st);
    cr_assert_str_eq(st.show, "xa");
    cr_assert_str_eq(attr(tp_notify(3, NULL), "seq"), "4");
    tp_stop();
}

Test(presence_notify, changes_expire_on_time_with_the_ended_notification_and_record)
{
    char id[64];
    xmpp_stanza_t *n;
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("e1", "changes", TP_BOTH); /* 60 s */
    tp_subscription("e1", id, sizeof id);
    change("away");
    tp_ack(tp_notify(0, NULL));
    tp_run(58000);
    cr_assert_eq(tp_notify_count(), 1);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_run(2000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0, "ended at its expiry");
    cr_assert_eq(tp_notify_count(), 2);
    n = tp_notify(1, NULL);
    cr_assert_str_eq(attr(n, "ended"), "expired");
    cr_assert_str_eq(attr(n, "seq"), "2");
    cr_assert_str_eq(attr(n, "subscription"), id);
    cr_assert_null(xmpp_stanza_get_child_by_name(tp_notify_el(n), "state"));
    tp_ack(n);
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "expired");
    cr_assert_str_eq(ends.subscription[0], id);
    cr_assert_eq(ends.duration[0], 60);
    cr_assert_eq(ends.notifications[0], 2);
    /* later changes notify nobody */
    tp_run(1000);
    tp_bob("dnd");
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 2);
    tp_stop();
}

Test(presence_notify, next_fires_once_with_the_state_and_ends)
{
    pw_presence_state_t st;
    xmpp_stanza_t *n;
    char id[64];
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_bob("");
    tp_subscribe("x1", "next", TP_BOTH);
    tp_subscription("x1", id, sizeof id);
    tp_bob(""); /* the same state again: no change */
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 0);
    change("dnd");
    cr_assert_eq(tp_notify_count(), 1);
    n = tp_notify(0, NULL);
    cr_assert_str_eq(attr(n, "seq"), "1");
    cr_assert_str_eq(attr(n, "ended"), "expired");
    state_of(n, &st);
    cr_assert_str_eq(st.show, "dnd");
    tp_ack(n);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_run(1000);
    tp_bob("xa");
    tp_run(1000);
    cr_assert_eq(tp_notify_count(), 1, "fires once");
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "expired");
    cr_assert_eq(ends.notifications[0], 1);
    tp_stop();
}

Test(presence_notify, a_watcher_gone_ends_without_retries)
{
    xmpp_stanza_t *n;
    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("g1", "changes", TP_BOTH);
    change("away");
    n = tp_notify(0, NULL);
    tp_deliver("<iq type='error' id='%s' from='" TP_GATEWAY "' to='" TP_JID "'><error type='cancel'>"
               "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
               "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such subscription</text></error></iq>",
               xmpp_stanza_get_id(n));
    tp_run(0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_run(20000);
    cr_assert_eq(tp_notify_count(), 1, "no retry, no ended notification");
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "watcher-gone");
    tp_stop();
}

Test(presence_notify, a_timeout_is_retried_then_the_subscription_ends)
{
    tp_start("notify_timeout = 2s\nnotify_retries = 2");
    tp_grant("opb.example", 2);
    tp_subscribe("o1", "changes", TP_BOTH);
    change("away");
    cr_assert_eq(tp_notify_count(), 1);
    tp_run(2001);
    cr_assert_eq(tp_notify_count(), 2, "first retry");
    /* a hop's relayed timeout (type wait) counts as a timeout too */
    tp_deliver("<iq type='error' id='%s' from='" TP_GATEWAY "' to='" TP_JID "'><error type='wait'>"
               "<remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
               xmpp_stanza_get_id(tp_notify(1, NULL)));
    cr_assert_eq(tp_notify_count(), 3, "second retry");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(attr(tp_notify(i, NULL), "seq"), "1", "the same notification each time");
        cr_assert_str_neq(xmpp_stanza_get_id(tp_notify(i, NULL)), i ? xmpp_stanza_get_id(tp_notify(i - 1, NULL)) : "");
    }
    tp_run(2001);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 3, "no more than notify_retries resends");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "watcher-unreachable");
    tp_stop();
}

Test(presence_notify, an_ack_after_a_retry_keeps_the_subscription)
{
    tp_start("notify_timeout = 2s");
    tp_grant("opb.example", 2);
    tp_subscribe("a1", "changes", TP_BOTH);
    change("away");
    tp_run(2001);
    cr_assert_eq(tp_notify_count(), 2);
    tp_ack(tp_notify(1, NULL));
    tp_run(10000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    cr_assert_eq(tp_notify_count(), 2);
    tp_stop();
}

Test(presence_notify, our_link_down_does_not_end_the_subscription)
{
    tp_start("notify_timeout = 2s");
    tp_grant("opb.example", 2);
    tp_subscribe("l1", "changes", TP_BOTH);
    change("away");
    cr_assert_eq(tp_notify_count(), 1);
    pwfake_transport_down(tp_fake);
    tp_run(2001); /* the notification times out; the resend cannot leave */
    tp_run(5000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1, "kept while our own link is down");
    /* back up: the server resends privileges and presences; the latest state goes out */
    pwfake_transport_up(tp_fake);
    tp_grant("opb.example", 2);
    tp_bob("away");
    tp_run(1000); /* the retry, held for notify_interval after the last failed attempt */
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 2);
    cr_assert_str_eq(attr(tp_notify(1, NULL), "seq"), "2");
    tp_ack(tp_notify(1, NULL));
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_stop();
}
