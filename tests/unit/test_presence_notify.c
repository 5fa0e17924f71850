/* test_presence_notify.c: notifications of a subscription (docs/protocol.md §5.2): seq, acks, throttling with the latest state, expiry, 'next', retries, the window of notifications in flight, a watcher gone, and failover to the operator's other gateway instances. */
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

TestSuite(presence_notify, .fini = stop_driver);

static pwfake_presence_ends_t ends; /* large: off the stack */

/* A change of bob, re-authorized by a roster read, flushed by the commit hook. */
static void change(const char *show)
{
    size_t gets = pwfake_presence_roster_gets(&pd);
    pwfake_presence_bob(&pd, show);
    cr_assert_eq(pwfake_presence_roster_gets(&pd), gets + 1, "a roster read before the notification");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
}

static const char *attr(xmpp_stanza_t *iq, const char *name)
{
    return xmpp_stanza_get_attribute(pwfake_presence_notify_el(iq), name);
}

static void state_of(xmpp_stanza_t *iq, pw_presence_state_t *st)
{
    xmpp_stanza_t *s = xmpp_stanza_get_child_by_name_and_ns(pwfake_presence_notify_el(iq), "state", "urn:peerwatch:0");
    cr_assert_not_null(s, "the notification carries a <state/>");
    cr_assert_eq(pw_state_parse(s, st), PW_OK);
}

/*
 * A PS with these settings (NULL: the defaults) and the server's privileges; alice subscribes
 * to bob's changes (request id, bob's roster granting both; sub, when not NULL, receives the
 * subscription's id) and bob goes away: the first notification is out.
 */
static void notified(const char *settings, const char *id, char *sub, size_t cap)
{
    pwfake_presence_start(&pd, settings);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_subscribe(&pd, id, "changes", PWFAKE_PRESENCE_BOTH);
    if (sub)
        pwfake_presence_subscription(&pd, id, sub, cap);
    change("away");
}

/* One subscription ended, with this outcome. */
static void expect_one_end(const char *outcome)
{
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], outcome);
}

Test(presence_notify, three_changes_three_notifications_in_sequence)
{
    char id[64];
    pw_presence_state_t st;
    static const char *const shows[] = { "away", "dnd", "xa" };
    pw_subs_stats_t stats;

    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "");
    pwfake_presence_subscribe(&pd, "c1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "c1", id, sizeof id);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 0);
    for (int i = 0; i < 3; i++) {
        xmpp_stanza_t *n;
        char seq[8];
        if (i)
            pwfake_presence_run(&pd, 1000); /* past the throttle */
        change(shows[i]);
        cr_assert_eq(pwfake_presence_notify_count(&pd), (size_t)i + 1);
        n = pwfake_presence_notify(&pd, (size_t)i, NULL);
        snprintf(seq, sizeof seq, "%d", i + 1);
        cr_assert_str_eq(xmpp_stanza_get_to(n), PWFAKE_PRESENCE_GATEWAY);
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
        pwfake_presence_ack(&pd, n);
    }
    pw_subs_stats(pw_presence_subs(pd.ps), &stats);
    cr_assert_eq(stats.acked, 3);
    cr_assert_eq(stats.notifications, 3);
    pwfake_presence_stop(&pd);
}

Test(presence_notify, throttled_changes_are_merged_latest_state_wins)
{
    pw_presence_state_t st;
    xmpp_stanza_t *n;
    char id[64];
    pwfake_presence_start(&pd, "notify_interval = 1s");
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "");
    pwfake_presence_subscribe(&pd, "t1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "t1", id, sizeof id);
    change("away");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 0, NULL));

    /* three changes within the interval: nothing now */
    pwfake_presence_run(&pd, 100);
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_bob(&pd, "xa");
    pwfake_presence_bob(&pd, "chat");
    pwfake_presence_run(&pd, 0);
    pwfake_presence_run(&pd, 800);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1, "throttled");
    /* the interval is over: one notification with the latest state, after a fresh roster read */
    pwfake_presence_run(&pd, 100);
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    n = pwfake_presence_notify(&pd, 1, NULL);
    cr_assert_str_eq(attr(n, "seq"), "2");
    state_of(n, &st);
    cr_assert_str_eq(st.show, "chat", "the latest state, nothing stale");
    pwfake_presence_ack(&pd, n);

    /* a change and back within the interval: the state last sent is not sent again */
    pwfake_presence_run(&pd, 100);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_bob(&pd, "chat");
    pwfake_presence_run(&pd, 2000);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    /* a change while a notification is unacknowledged waits for the ack */
    pwfake_presence_run(&pd, 1000);
    change("dnd");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 3);
    pwfake_presence_run(&pd, 1000);
    pwfake_presence_bob(&pd, "xa");
    pwfake_presence_run(&pd, 1000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 3, "one notification in flight at a time");
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 2, NULL));
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 4);
    state_of(pwfake_presence_notify(&pd, 3, NULL), &st);
    cr_assert_str_eq(st.show, "xa");
    cr_assert_str_eq(attr(pwfake_presence_notify(&pd, 3, NULL), "seq"), "4");
    pwfake_presence_stop(&pd);
}

Test(presence_notify, changes_expire_on_time_with_the_ended_notification_and_record)
{
    char id[64];
    xmpp_stanza_t *n;
    notified(NULL, "e1", id, sizeof id); /* 60 s */
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 0, NULL));
    pwfake_presence_run(&pd, 58000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_run(&pd, 2000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0, "ended at its expiry");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    n = pwfake_presence_notify(&pd, 1, NULL);
    cr_assert_str_eq(attr(n, "ended"), "expired");
    cr_assert_str_eq(attr(n, "seq"), "2");
    cr_assert_str_eq(attr(n, "subscription"), id);
    cr_assert_null(xmpp_stanza_get_child_by_name(pwfake_presence_notify_el(n), "state"));
    pwfake_presence_ack(&pd, n);
    expect_one_end("expired");
    cr_assert_str_eq(ends.subscription[0], id);
    cr_assert_eq(ends.duration[0], 60);
    cr_assert_eq(ends.notifications[0], 2);
    /* later changes notify nobody */
    pwfake_presence_run(&pd, 1000);
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    pwfake_presence_stop(&pd);
}

/* alice subscribes to bob's changes for duration_s with this ref (also the request id). */
static void subscribe_for(const char *ref, unsigned duration_s)
{
    pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
                            "<enquiry xmlns='urn:peerwatch:chain:1' ref='%s' kind='changes' duration='%u' "
                            "proxy='proxy.opa.example' " PWFAKE_PRESENCE_ATTRS "/></iq>", ref, ref, duration_s);
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, ref), "answer to %s", ref);
}

/* The subscriptions' timers (one heap per PS): each subscription expires at its own time
 * whatever the order they were made in, those due at the same time in the order they were made. */
Test(presence_notify, subscriptions_expire_in_the_order_of_their_expiry_then_of_their_making)
{
    /* made 700 ms apart: {ref, duration_s}; expiries 62.0, 60.0 | 60.7, 60.7 | 61.4 x3, 60.4 s */
    static const struct { const char *ref; unsigned duration_s; } made[3][4] = {
        { { "y9", 62 }, { "x1", 60 } },
        { { "x2", 60 }, { "x3", 60 } },
        { { "x4", 60 }, { "x5", 60 }, { "x6", 60 }, { "y8", 59 } },
    };
    static const char *const ended[] = { "x1", "y8", "x2", "x3", "x4", "x5", "x6", "y9" };
    static const size_t left_at[] = { 7, 6, 4, 1, 0 }; /* after 60.0, 60.4, 60.7, 61.4, 62.0 s */
    static const uint64_t steps[] = { 400, 300, 700, 600 };
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    for (size_t t = 0; t < 3; t++) {
        for (size_t k = 0; k < 4 && made[t][k].ref; k++)
            subscribe_for(made[t][k].ref, made[t][k].duration_s);
        if (t < 2)
            pwfake_presence_run(&pd, 700);
    }
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 8);
    pwfake_presence_run(&pd, 60000 - 1400 - 1);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 8, "none before its expiry");
    pwfake_presence_run(&pd, 1);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), left_at[0]);
    for (size_t i = 0; i < 4; i++) {
        pwfake_presence_run(&pd, steps[i] - 1);
        cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), left_at[i], "none before its expiry (%zu)", i);
        pwfake_presence_run(&pd, 1);
        cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), left_at[i + 1], "at its expiry (%zu)", i);
    }
    cr_assert_eq(pwfake_presence_notify_count(&pd), 8);
    for (size_t i = 0; i < 8; i++) {
        xmpp_stanza_t *n = pwfake_presence_notify(&pd, i, NULL);
        cr_assert_str_eq(attr(n, "ended"), "expired");
        cr_assert_str_eq(attr(n, "ref"), ended[i], "ended notification %zu", i);
    }
    pwfake_presence_stop(&pd);
}

Test(presence_notify, next_fires_once_with_the_state_and_ends)
{
    pw_presence_state_t st;
    xmpp_stanza_t *n;
    char id[64];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "");
    pwfake_presence_subscribe(&pd, "x1", "next", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "x1", id, sizeof id);
    pwfake_presence_bob(&pd, ""); /* the same state again: no change */
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 0);
    change("dnd");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    n = pwfake_presence_notify(&pd, 0, NULL);
    cr_assert_str_eq(attr(n, "seq"), "1");
    cr_assert_str_eq(attr(n, "ended"), "fulfilled", "a next that fired is fulfilled, not expired");
    state_of(n, &st);
    cr_assert_str_eq(st.show, "dnd");
    pwfake_presence_ack(&pd, n);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_run(&pd, 1000);
    pwfake_presence_bob(&pd, "xa");
    pwfake_presence_run(&pd, 1000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1, "fires once");
    expect_one_end("fulfilled");
    cr_assert_eq(ends.notifications[0], 1);
    pwfake_presence_stop(&pd);
}

Test(presence_notify, a_watcher_gone_ends_without_retries)
{
    xmpp_stanza_t *n;
    notified(NULL, "g1", NULL, 0);
    n = pwfake_presence_notify(&pd, 0, NULL);
    pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_JID "'><error type='cancel'>"
               "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
               "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such subscription</text></error></iq>",
               xmpp_stanza_get_id(n));
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_run(&pd, 20000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1, "no retry, no ended notification");
    expect_one_end("watcher-gone");
    pwfake_presence_stop(&pd);
}

Test(presence_notify, a_timeout_is_retried_then_the_subscription_ends)
{
    notified("notify_timeout = 2s\nnotify_retries = 2\nnotify_grace = 0", "o1", NULL, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    pwfake_presence_run(&pd, 2001);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "first retry");
    /* a hop's relayed timeout (type wait) counts as a timeout too */
    pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_JID "'><error type='wait'>"
               "<remote-server-timeout xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
               xmpp_stanza_get_id(pwfake_presence_notify(&pd, 1, NULL)));
    cr_assert_eq(pwfake_presence_notify_count(&pd), 3, "second retry");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(attr(pwfake_presence_notify(&pd, i, NULL), "seq"), "1", "the same notification each time");
        cr_assert_str_neq(xmpp_stanza_get_id(pwfake_presence_notify(&pd, i, NULL)), i ? xmpp_stanza_get_id(pwfake_presence_notify(&pd, i - 1, NULL)) : "");
    }
    pwfake_presence_run(&pd, 2001);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 3, "no more than notify_retries resends");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    expect_one_end("watcher-unreachable");
    pwfake_presence_stop(&pd);
}

/* Let ms pass, answering every roster read the PS makes meanwhile (bob's roster grants both). */
static void run_answering_rosters(uint64_t ms)
{
    for (uint64_t done = 0; done < ms; done += 500) {
        size_t gets = pwfake_presence_roster_gets(&pd);
        pwfake_presence_run(&pd, 500);
        if (pwfake_presence_roster_gets(&pd) > gets) {
            pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
            pwfake_presence_run(&pd, 0);
        }
    }
}

/* A fan-out wider than notify_window: that many in flight, the others wait their turn and go
 * as acknowledgements make room, each with the presentity's state of its turn. */
Test(presence_notify, a_fan_out_beyond_the_window_waits_its_turn_with_the_state_of_its_turn)
{
    pw_presence_state_t st;
    char ref[8];
    pwfake_presence_start(&pd, "notify_window = 2");
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "");
    for (int i = 0; i < 5; i++) {
        snprintf(ref, sizeof ref, "w%d", i);
        pwfake_presence_subscribe(&pd, ref, "changes", PWFAKE_PRESENCE_BOTH);
    }
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 5);
    change("away");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "as many as the window");
    cr_assert_eq(pw_subs_unacked(pw_presence_subs(pd.ps)), 2);
    /* bob changes again while three wait: they will carry his state of their turn */
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "nothing more while the window is full");
    for (size_t acked = 0; acked < 3; acked++) {
        pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, acked, NULL));
        cr_assert_eq(pwfake_presence_notify_count(&pd), acked + 3, "an acknowledgement makes room for one");
        cr_assert_eq(pw_subs_unacked(pw_presence_subs(pd.ps)), 2);
        state_of(pwfake_presence_notify(&pd, acked + 2, NULL), &st);
        cr_assert_str_eq(st.show, "dnd", "the state of its turn, not of the change that queued it");
        cr_assert_str_eq(attr(pwfake_presence_notify(&pd, acked + 2, NULL), "seq"), "1");
    }
    for (size_t i = 3; i < 5; i++)
        pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, i, NULL));
    cr_assert_eq(pw_subs_unacked(pw_presence_subs(pd.ps)), 0);
    /* the two sent first, with 'away', get 'dnd' after the throttle, still two at a time */
    run_answering_rosters(1000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 7);
    for (size_t i = 5; i < 7; i++) {
        state_of(pwfake_presence_notify(&pd, i, NULL), &st);
        cr_assert_str_eq(st.show, "dnd");
        cr_assert_str_eq(attr(pwfake_presence_notify(&pd, i, NULL), "seq"), "2");
    }
    pwfake_presence_stop(&pd);
}

Test(presence_notify, within_the_grace_the_latest_state_follows_then_it_ends)
{
    size_t gets;
    notified("notify_timeout = 2s\nnotify_retries = 1\nnotify_grace = 10s", "g2", NULL, 0);
    pwfake_presence_run(&pd, 2001);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "the retry");
    pwfake_presence_run(&pd, 2001); /* retries spent: the grace begins, the subscription stays */
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "kept within notify_grace");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "nothing before notify_timeout has passed");
    gets = pwfake_presence_roster_gets(&pd);
    pwfake_presence_run(&pd, 2001);
    cr_assert_eq(pwfake_presence_roster_gets(&pd), gets + 1, "re-authorized first (a revocation holds)");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 3, "then the latest state");
    cr_assert_str_eq(attr(pwfake_presence_notify(&pd, 2, NULL), "seq"), "2", "as a new notification");
    run_answering_rosters(14000); /* unacknowledged past the grace */
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0, "ended once the grace has passed");
    expect_one_end("watcher-unreachable");
    pwfake_presence_stop(&pd);
}

Test(presence_notify, an_ack_within_the_grace_keeps_the_subscription)
{
    size_t n;
    notified("notify_timeout = 2s\nnotify_retries = 0\nnotify_grace = 5s", "g3", NULL, 0);
    pwfake_presence_run(&pd, 2001); /* no retry: the grace at once */
    run_answering_rosters(2500);
    n = pwfake_presence_notify_count(&pd);
    cr_assert_eq(n, 2, "the latest state after notify_timeout");
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 1, NULL));
    run_answering_rosters(30000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "acknowledged: it lives on");
    cr_assert_eq(pwfake_presence_notify_count(&pd), n, "and nothing more is sent");
    pwfake_presence_stop(&pd);
}

Test(presence_notify, an_ack_after_a_retry_keeps_the_subscription)
{
    notified("notify_timeout = 2s", "a1", NULL, 0);
    pwfake_presence_run(&pd, 2001);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 1, NULL));
    pwfake_presence_run(&pd, 10000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    pwfake_presence_stop(&pd);
}

Test(presence_notify, our_link_down_does_not_end_the_subscription)
{
    notified("notify_timeout = 2s", "l1", NULL, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    pwfake_transport_down(pd.fake);
    pwfake_presence_run(&pd, 2001); /* the notification times out; the resend cannot leave */
    pwfake_presence_run(&pd, 5000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "kept while our own link is down");
    /* back up: the server resends privileges and presences; the latest state goes out */
    pwfake_transport_up(pd.fake);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_run(&pd, 1000); /* the retry, held for notify_interval after the last failed attempt */
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    cr_assert_str_eq(attr(pwfake_presence_notify(&pd, 1, NULL), "seq"), "2");
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 1, NULL));
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_stop(&pd);
}

#define TWO_GATEWAYS "gateway = " PWFAKE_PRESENCE_GATEWAY ", gateway2.opb.example"

/* The error an XMPP server bounces for a component domain nobody serves (ejabberd: s2s to it
 * fails; docs/ejabberd.md). */
static void bounce(xmpp_stanza_t *n, const char *from)
{
    pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='%s' to='" PWFAKE_PRESENCE_JID "'><error type='cancel'>"
               "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
               xmpp_stanza_get_id(n), from);
    pwfake_presence_run(&pd, 0);
}

Test(presence_notify, a_gateway_instance_that_is_down_is_replaced_by_the_next)
{
    xmpp_stanza_t *n;
    notified(TWO_GATEWAYS "\nnotify_timeout = 2s", "f1", NULL, 0);
    n = pwfake_presence_notify(&pd, 0, NULL);
    cr_assert_str_eq(xmpp_stanza_get_to(n), PWFAKE_PRESENCE_GATEWAY, "first to the gateway it came through");
    bounce(n, PWFAKE_PRESENCE_GATEWAY);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    n = pwfake_presence_notify(&pd, 1, NULL);
    cr_assert_str_eq(xmpp_stanza_get_to(n), "gateway2.opb.example", "then to the other instance");
    cr_assert_str_eq(attr(n, "seq"), "1", "the same notification");
    pwfake_presence_ack(&pd, n);
    pwfake_presence_run(&pd, 10000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "the subscription lives on");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "nothing more");

    /* the next change: again first to the subscription's gateway, which times out this time */
    change("dnd");
    n = pwfake_presence_notify(&pd, 2, NULL);
    cr_assert_str_eq(xmpp_stanza_get_to(n), PWFAKE_PRESENCE_GATEWAY);
    pwfake_presence_run(&pd, 2001);
    n = pwfake_presence_notify(&pd, 3, NULL);
    cr_assert_not_null(n, "a timeout fails over too");
    cr_assert_str_eq(xmpp_stanza_get_to(n), "gateway2.opb.example");
    cr_assert_str_eq(attr(n, "seq"), "2");
    pwfake_presence_ack(&pd, n);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_stop(&pd);
}

Test(presence_notify, a_watcher_gone_is_judged_on_the_last_gateway_instance)
{
    xmpp_stanza_t *n;
    notified(TWO_GATEWAYS, "f2", NULL, 0);
    bounce(pwfake_presence_notify(&pd, 0, NULL), PWFAKE_PRESENCE_GATEWAY);
    n = pwfake_presence_notify(&pd, 1, NULL);
    cr_assert_str_eq(xmpp_stanza_get_to(n), "gateway2.opb.example");
    pwfake_presence_deliver(&pd, "<iq type='error' id='%s' from='gateway2.opb.example' to='" PWFAKE_PRESENCE_JID "'><error type='cancel'>"
               "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
               xmpp_stanza_get_id(n));
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "no third try");
    expect_one_end("watcher-gone");
    pwfake_presence_stop(&pd);
}

Test(presence_notify, with_one_gateway_a_bounce_ends_the_subscription_as_before)
{
    notified(NULL, "f3", NULL, 0);
    bounce(pwfake_presence_notify(&pd, 0, NULL), PWFAKE_PRESENCE_GATEWAY);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    expect_one_end("watcher-gone");
    pwfake_presence_stop(&pd);
}
