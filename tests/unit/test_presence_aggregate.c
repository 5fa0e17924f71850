/* test_presence_aggregate.c: the presentity table and the RFC 6121 aggregate (priorities, ties, unavailable, show/status, bounds). */
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

TestSuite(presence_aggregate, .fini = stop_driver);

static pw_ptable_t *table(size_t presentities, size_t resources, size_t status)
{
    pw_ptable_t *t = NULL;
    pw_ptable_limits_t l = { presentities, resources, status };
    cr_assert_eq(pw_ptable_create(&t, &l), PW_OK);
    return t;
}

/* Apply a presence given as XML; returns the status and the change flag. */
static pw_status_t apply(pw_ptable_t *t, xmpp_ctx_t *ctx, const char *xml, int *changed)
{
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(ctx, xml);
    char bare[256];
    pw_status_t rc;
    cr_assert_not_null(s, "parses: %s", xml);
    rc = pw_ptable_apply(t, s, bare, sizeof bare, changed);
    xmpp_stanza_release(s);
    return rc;
}

Test(presence_aggregate, the_highest_priority_wins)
{
    pw_ptable_t *t = table(0, 0, 0);
    pw_presence_state_t st;
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example", "laptop", 1, 1, "dnd", "coding", NULL), PW_OK);
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example", "phone", 1, 5, "away", "In a meeting", NULL), PW_OK);
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example", "tablet", 1, 3, "xa", NULL, NULL), PW_OK);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "away");
    cr_assert_str_eq(st.status, "In a meeting");
    /* the phone drops to a lower priority: the tablet (3) wins now */
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example", "phone", 1, 0, "away", "In a meeting", NULL), PW_OK);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.show, "xa");
    cr_assert_str_eq(st.status, "", "the winner's status, not another resource's");
    cr_assert_eq(pw_ptable_resources(t, "bob@opb.example"), 3);
    pw_ptable_destroy(t);
}

Test(presence_aggregate, ties_go_to_the_most_recent_update)
{
    pw_ptable_t *t = table(0, 0, 0);
    pw_presence_state_t st;
    pw_ptable_set(t, "bob@opb.example", "a", 1, 2, "chat", NULL, NULL);
    pw_ptable_set(t, "bob@opb.example", "b", 1, 2, "dnd", NULL, NULL);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.show, "dnd");
    pw_ptable_set(t, "bob@opb.example", "a", 1, 2, "away", NULL, NULL);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.show, "away", "a was updated last");
    pw_ptable_destroy(t);
}

Test(presence_aggregate, unavailable_removes_the_resource_and_none_left_is_unavailable)
{
    pw_ptable_t *t = table(0, 0, 0);
    pw_presence_state_t st;
    int changed = 0;
    pw_ptable_set(t, "bob@opb.example", "phone", 1, 5, "away", "x", NULL);
    pw_ptable_set(t, "bob@opb.example", "laptop", 1, 1, "", NULL, NULL);
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example", "phone", 0, 0, NULL, "gone", &changed), PW_OK);
    cr_assert_eq(changed, 1);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "", "plainly online");
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example", "laptop", 0, 0, NULL, NULL, &changed), PW_OK);
    cr_assert_eq(changed, 1);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_eq(st.available, 0);
    cr_assert_str_eq(st.show, "");
    cr_assert_str_eq(st.status, "");
    cr_assert_eq(pw_ptable_count(t), 0, "a user without resources is forgotten");
    /* unknown user, unknown resource: nothing happens */
    cr_assert_eq(pw_ptable_set(t, "carol@opb.example", "x", 0, 0, NULL, NULL, &changed), PW_OK);
    cr_assert_eq(changed, 0);
    pw_ptable_state(t, "nobody@opb.example", &st);
    cr_assert_eq(st.available, 0);
    pw_ptable_destroy(t);
}

Test(presence_aggregate, negative_priority_still_counts_as_available)
{
    pw_ptable_t *t = table(0, 0, 0);
    pw_presence_state_t st;
    pw_ptable_set(t, "bob@opb.example", "bot", 1, -5, "dnd", "automated", NULL);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "dnd");
    pw_ptable_set(t, "bob@opb.example", "phone", 1, -1, "chat", NULL, NULL);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.show, "chat", "-1 beats -5");
    pw_ptable_destroy(t);
}

Test(presence_aggregate, stanzas_give_show_status_priority_and_case_folded_keys)
{
    pw_ptable_t *t = table(0, 0, 0);
    xmpp_ctx_t *ctx;
    pw_presence_state_t st;
    int changed = 0;
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    cr_assert_eq(apply(t, ctx, "<presence from='Bob@OPB.example/phone' to='ps1.opb.example'><show>away</show>"
                               "<status>In a meeting</status><priority>5</priority></presence>", &changed), PW_OK);
    cr_assert_eq(changed, 1);
    cr_assert_eq(apply(t, ctx, "<presence from='bob@opb.example/laptop'><show>sleeping</show>"
                               "<priority>nine</priority></presence>", &changed), PW_OK);
    cr_assert_eq(changed, 0, "a lower resource does not change the aggregate");
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "away");
    cr_assert_str_eq(st.status, "In a meeting");
    cr_assert_eq(apply(t, ctx, "<presence from='bob@opb.example/phone' type='unavailable'/>", &changed), PW_OK);
    pw_ptable_state(t, "BOB@opb.example", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "", "unknown show values are plain online");
    /* types that are no presence state, and senders that are no user, change nothing */
    cr_assert_eq(apply(t, ctx, "<presence from='bob@opb.example/laptop' type='probe'/>", &changed), PW_OK);
    cr_assert_eq(apply(t, ctx, "<presence from='bob@opb.example/laptop' type='subscribe'/>", &changed), PW_OK);
    cr_assert_eq(pw_ptable_resources(t, "bob@opb.example"), 1);
    cr_assert_eq(apply(t, ctx, "<presence from='opb.example'/>", &changed), PW_EINVAL);
    cr_assert_eq(apply(t, ctx, "<presence/>", &changed), PW_EINVAL);
    cr_assert_eq(apply(t, ctx, "<presence from='bob@@x'/>", &changed), PW_EINVAL);
    cr_assert_eq(apply(t, ctx, "<presence from='bob@opb.example/x'><priority>300</priority></presence>", &changed), PW_OK);
    cr_assert_eq(pw_ptable_resources(t, "bob@opb.example"), 2, "an out-of-range priority is 0");
    pw_ptable_destroy(t);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

Test(presence_aggregate, bounds_on_resources_status_and_users)
{
    pw_ptable_t *t = table(2, 2, 5);
    pw_presence_state_t st;
    pw_ptable_set(t, "bob@opb.example", "a", 1, 9, "dnd", NULL, NULL);
    pw_ptable_set(t, "bob@opb.example", "b", 1, 1, "", NULL, NULL);
    pw_ptable_set(t, "bob@opb.example", "c", 1, 1, "away", "h\xc3\xa9llo world", NULL);
    cr_assert_eq(pw_ptable_resources(t, "bob@opb.example"), 2, "bounded");
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.show, "away", "the least recently updated resource (a) gave way");
    cr_assert_str_eq(st.status, "h\xc3\xa9ll", "cut at 5 bytes, on a character boundary");
    pw_ptable_set(t, "bob@opb.example", "c", 1, 1, "away", "h\xc3\xa9xyz", NULL);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.status, "h\xc3\xa9xy");
    pw_ptable_set(t, "bob@opb.example", "c", 1, 1, "away", "\xc3\xa9\xc3\xa9\xc3\xa9", NULL);
    pw_ptable_state(t, "bob@opb.example", &st);
    cr_assert_str_eq(st.status, "\xc3\xa9\xc3\xa9", "a two-byte character is not split");
    cr_assert_eq(pw_ptable_set(t, "carol@opb.example", "x", 1, 0, "", NULL, NULL), PW_OK);
    cr_assert_eq(pw_ptable_set(t, "dave@opb.example", "x", 1, 0, "", NULL, NULL), PW_EFULL);
    cr_assert_eq(pw_ptable_count(t), 2);
    cr_assert_eq(pw_ptable_set(t, "opb.example", "x", 1, 0, "", NULL, NULL), PW_EINVAL);
    cr_assert_eq(pw_ptable_set(t, "bob@opb.example/r", "x", 1, 0, "", NULL, NULL), PW_EINVAL);
    cr_assert_eq(pw_ptable_clear(t, "OPB.example"), 2);
    cr_assert_eq(pw_ptable_count(t), 0);
    pw_ptable_destroy(t);
}

/* alice asks for bob's current state (request id, ref) and bob's roster item for her is item: st receives the answer's state. */
static void current_state(const char *id, const char *ref, const char *item, pw_presence_state_t *st)
{
    pwfake_presence_enquiry(&pd, id, ref, "current");
    pwfake_presence_roster(&pd, item);
    pwfake_presence_run(&pd, 0);
    pwfake_presence_state(&pd, id, st);
}

Test(presence_aggregate, an_enquiry_answers_the_aggregate_of_forwarded_presences)
{
    pw_presence_state_t st;
    pwfake_presence_start(&pd, "max_resources = 4");
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'><show>away</show>"
               "<status>In a meeting</status><priority>5</priority></presence>");
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/laptop' to='" PWFAKE_PRESENCE_JID "'><show>dnd</show>"
               "<priority>-1</priority></presence>");
    current_state("q1", "watcher.opa.example/1", "<item jid='alice@opa.example' subscription='both'/>", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "away");
    cr_assert_str_eq(st.status, "In a meeting");

    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "' type='unavailable'/>");
    current_state("q2", "watcher.opa.example/2", "<item jid='alice@opa.example' subscription='both'/>", &st);
    cr_assert_eq(st.available, 1, "the laptop (priority -1) is still available");
    cr_assert_str_eq(st.show, "dnd");

    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/laptop' to='" PWFAKE_PRESENCE_JID "' type='unavailable'/>");
    current_state("q3", "watcher.opa.example/3", "<item jid='alice@opa.example' subscription='from'/>", &st);
    cr_assert_eq(st.available, 0);
    {
        xmpp_stanza_t *s = xmpp_stanza_get_child_by_name(
            xmpp_stanza_get_child_by_name(pwfake_presence_answer(&pd, "q3"), "enquiry"), "state");
        cr_assert_str_eq(xmpp_stanza_get_attribute(s, "available"), "false");
        cr_assert_null(xmpp_stanza_get_attribute(s, "show"));
    }
    pwfake_presence_stop(&pd);
}

Test(presence_aggregate, link_down_forgets_the_table_until_the_server_resends)
{
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    pwfake_presence_deliver(&pd, "<presence from='carol@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 2);
    pwfake_transport_down(pd.fake);
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 0);
    cr_assert_eq(pw_presence_privileges(pd.ps, "opb.example", NULL), 0);
    pwfake_transport_up(pd.fake);
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 0, "no privilege advertised yet");
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_deliver(&pd, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    cr_assert_eq(pw_ptable_count(pw_presence_table(pd.ps)), 1);
    pwfake_presence_stop(&pd);
}
