/* test_presence_pending.c: a roster-route 'changes' (await-approval) whose presentity has not
 * decided becomes a pending subscription: no state, no notifications, charged once; her
 * decision, reported by the own WA (<decided/>), activates it or ends it 'declined'
 * (docs/protocol.md §2.5, §5.2, §6). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pw_subs.h"
#include "presence_driver.h"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_pending, .fini = stop_driver);

static pwfake_presence_records_t records; /* large: off the stack */
static pwfake_presence_ends_t ends;

static const char *notify_attr(xmpp_stanza_t *iq, const char *name)
{
    return xmpp_stanza_get_attribute(pwfake_presence_notify_el(iq), name);
}

/* alice's roster route asks about bob, who has no item for her: @return the answer's <subscription/> */
static xmpp_stanza_t *pending(char *id, size_t cap)
{
    xmpp_stanza_t *a, *sub;
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_deliver(&pd, "<iq type='set' id='p1' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
                            "<enquiry xmlns='urn:peerwatch:chain:1' ref='r1' kind='changes' duration='600' "
                            "await-approval='true' proxy='proxy.opa.example' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    pwfake_presence_roster(&pd, ""); /* no item for alice */
    pwfake_presence_run(&pd, 0);
    a = pwfake_presence_answer(&pd, "p1");
    cr_assert_not_null(a);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "result", "held for her decision, not refused");
    sub = pwfake_presence_subscription(&pd, "p1", id, cap);
    cr_assert_str_eq(xmpp_stanza_get_attribute(sub, "pending"), "true");
    cr_assert_null(xmpp_stanza_get_child_by_name(xmpp_stanza_get_child_by_ns(a, "urn:peerwatch:chain:1"), "state"),
                   "nothing of her state before she approves");
    return sub;
}

/* bob's WA reports his decision; the PS reads his roster afresh and gets these items. */
static void decided(const char *items)
{
    size_t gets = pwfake_presence_roster_gets(&pd);
    pwfake_presence_deliver(&pd, "<iq type='set' id='d1' from='watcher.opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                            "<decided xmlns='urn:peerwatch:chain:1' presentity='bob@opb.example' "
                            "watcher-msisdn='+447700900001'/></iq>");
    cr_assert_str_eq(xmpp_stanza_get_type(pwfake_presence_answer(&pd, "d1")), "result");
    cr_assert_eq(pwfake_presence_roster_gets(&pd), gets + 1, "her roster is read afresh");
    pwfake_presence_roster(&pd, items);
    pwfake_presence_run(&pd, 0);
}

Test(presence_pending, the_request_is_held_charged_once_and_asks_her_once)
{
    char id[64];
    pending(id, sizeof id);
    {
        size_t approvals = 0;
        for (size_t i = 0; i < pwfake_transport_sent_count(pd.fake); i++)
            approvals += xmpp_stanza_get_child_by_name(pwfake_transport_sent(pd.fake, i), "approval") != NULL;
        cr_assert_eq(approvals, 1, "she is asked to approve");
    }
    pwfake_presence_read_records(&pd, &records);
    cr_assert_eq(records.n, 1, "one charge record for the whole wait");
    cr_assert_str_eq(records.outcome[0], "pending");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    /* her changes reach nobody while she has not decided */
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_run(&pd, 2000);
    pwfake_presence_bob(&pd, "xa");
    pwfake_presence_run(&pd, 2000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 0, "no notification while pending");
}

/* A pending subscription (its id into id), her decision read from a roster with these items,
 * and the one notification that follows. */
static xmpp_stanza_t *decision_notified(const char *items, char *id, size_t cap)
{
    pending(id, cap);
    decided(items);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1, "her decision travels back as one notification");
    return pwfake_presence_notify(&pd, 0, NULL);
}

Test(presence_pending, her_approval_activates_it_with_her_state_now)
{
    char id[64];
    xmpp_stanza_t *n = decision_notified(PWFAKE_PRESENCE_BOTH, id, sizeof id);
    cr_assert_str_eq(notify_attr(n, "subscription"), id);
    cr_assert_str_eq(notify_attr(n, "seq"), "1");
    cr_assert_null(notify_attr(n, "ended"));
    cr_assert_not_null(xmpp_stanza_get_child_by_name(pwfake_presence_notify_el(n), "state"), "with her state");
    pwfake_presence_ack(&pd, n);
    /* from now on an ordinary subscription */
    pwfake_presence_run(&pd, 1000);
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2, "her next change is notified");
}

Test(presence_pending, her_refusal_ends_it_declined)
{
    char id[64];
    xmpp_stanza_t *n = decision_notified("<item jid='+447700900001@watcher.opb.example' subscription='none'/>",
                                         id, sizeof id);
    cr_assert_str_eq(notify_attr(n, "ended"), "declined");
    cr_assert_null(xmpp_stanza_get_child_by_name(pwfake_presence_notify_el(n), "state"), "nothing of her state");
    pwfake_presence_ack(&pd, n);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 1);
    cr_assert_str_eq(ends.outcome[0], "declined");
}

Test(presence_pending, no_item_yet_keeps_it_waiting)
{
    char id[64];
    pending(id, sizeof id);
    decided("");
    cr_assert_eq(pwfake_presence_notify_count(&pd), 0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1, "still pending");
}

Test(presence_pending, only_the_own_watcher_application_reports_decisions)
{
    char id[64], text[256];
    pending(id, sizeof id);
    pwfake_presence_deliver(&pd, "<iq type='set' id='d2' from='watcher.opa.example' to='" PWFAKE_PRESENCE_JID "'>"
                            "<decided xmlns='urn:peerwatch:chain:1' presentity='bob@opb.example' "
                            "watcher-msisdn='+447700900001'/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "d2", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_not_null(strstr(text, "watcher.opb.example"), "%s", text);
    pwfake_presence_deliver(&pd, "<iq type='set' id='d3' from='watcher.opb.example' to='" PWFAKE_PRESENCE_JID "'>"
                            "<decided xmlns='urn:peerwatch:chain:1' presentity='bob' watcher-msisdn='x'/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "d3", text, sizeof text), PW_ERR_BAD_REQUEST);
}

Test(presence_pending, without_await_approval_it_is_subscription_required_as_before)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_enquiry(&pd, "c1", "r2", "changes");
    pwfake_presence_roster(&pd, "");
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_error(&pd, "c1", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
}

static int kind_cb(const pw_subs_view_t *v, void *arg)
{
    snprintf(arg, 16, "%s", v->kind);
    return 1;
}

Test(presence_pending, it_stays_pending_across_a_restart_and_her_decision_still_settles_it)
{
    char id[64], kind[16] = "";
    pending(id, sizeof id);
    /* destroy the server and start a new one on the same journal */
    pw_presence_destroy(pd.ps);
    pd.ps = NULL;
    cr_assert_eq(pw_presence_create(&pd.ps, pd.comp, &pd.settings), PW_OK);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", kind_cb, kind);
    cr_assert_str_eq(kind, "pending", "journaled as pending");
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_run(&pd, 2000);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 0, "still no notification");
    decided(PWFAKE_PRESENCE_BOTH);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1, "her approval after the restart activates it");
    pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", kind_cb, kind);
    cr_assert_str_eq(kind, "changes");
}
