/* test_presence_persist.c: subscriptions survive a restart of the Presence Server (journal in [presence] state_dir): expiry holds, expired ones end at start-up. */
#include "pw_subs.h"
#include "test_presence_util.h"

TestSuite(presence_persist, .fini = tp_stop);

static tp_ends_t ends; /* large: off the stack */

typedef struct seen {
    char id[4][64];
    uint64_t expires[4];
    size_t n;
} seen_t;

static int seen_cb(const pw_subs_view_t *v, void *arg)
{
    seen_t *s = arg;
    if (s->n < 4) {
        snprintf(s->id[s->n], sizeof s->id[s->n], "%s", v->id);
        s->expires[s->n] = v->expires_ms;
    }
    s->n++;
    return 0;
}

/* Destroy the server and start a new one on the same directories, later. */
static void restart(uint64_t later_ms)
{
    pw_presence_destroy(tp_ps);
    tp_ps = NULL;
    tp_now += later_ms;
    cr_assert_eq(pw_presence_create(&tp_ps, tp_comp, &tp_settings), PW_OK);
}

Test(presence_persist, subscriptions_come_back_with_their_expiry_and_expired_ones_end)
{
    char longer[64], shorter[64];
    seen_t before, after;
    xmpp_stanza_t *n;

    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_subscribe("p1", "changes", TP_BOTH); /* 60 s */
    tp_subscription("p1", longer, sizeof longer);
    tp_deliver("<iq type='set' id='p2' from='" TP_GATEWAY "' to='" TP_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:0' ref='p2 with space%%' kind='changes' duration='10' "
               "proxy='proxy.opa.example' " TP_ATTRS "/></iq>");
    tp_roster(TP_BOTH);
    tp_run(0);
    tp_subscription("p2", shorter, sizeof shorter);
    tp_bob("away");
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 2);
    tp_ack(tp_notify(0, NULL));
    tp_ack(tp_notify(1, NULL));
    memset(&before, 0, sizeof before);
    pw_subs_foreach(pw_presence_subs(tp_ps), "bob@opb.example", seen_cb, &before);
    cr_assert_eq(before.n, 2);

    restart(20000); /* the 10 s one expired meanwhile */
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    memset(&after, 0, sizeof after);
    pw_subs_foreach(pw_presence_subs(tp_ps), "BOB@opb.example", seen_cb, &after);
    cr_assert_eq(after.n, 1);
    cr_assert_str_eq(after.id[0], longer);
    for (size_t i = 0; i < 2; i++) {
        if (strcmp(before.id[i], longer) == 0)
            cr_assert_eq(after.expires[0], before.expires[i], "the same expiry");
    }
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 1, "the expired one has its end record");
    cr_assert_str_eq(ends.subscription[0], shorter);
    cr_assert_str_eq(ends.outcome[0], "expired");
    cr_assert_eq(ends.notifications[0], 1);

    /* the server resends presences (and privileges); notifications resume, numbering on */
    pwfake_transport_clear(tp_fake);
    tp_grant("opb.example", 2);
    tp_bob("dnd");
    tp_roster(TP_BOTH);
    tp_run(0);
    cr_assert_eq(tp_notify_count(), 1);
    n = tp_notify(0, NULL);
    cr_assert_str_eq(xmpp_stanza_get_attribute(tp_notify_el(n), "subscription"), longer);
    cr_assert_str_eq(xmpp_stanza_get_attribute(tp_notify_el(n), "seq"), "2", "seq survives the restart");
    cr_assert_str_eq(xmpp_stanza_get_attribute(tp_notify_el(n), "proxy"), "proxy.opa.example");
    cr_assert_str_eq(xmpp_stanza_get_to(n), TP_GATEWAY);
    tp_ack(n);

    /* it still expires on time: 60 s after it was made */
    tp_run(39000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_run(1000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_read_ends(&ends);
    cr_assert_eq(ends.n, 2);
    cr_assert_str_eq(ends.subscription[1], longer);
    cr_assert_eq(ends.duration[1], 60);

    /* and nothing comes back after another restart */
    restart(1000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_stop();
}

Test(presence_persist, an_acknowledged_subscription_is_on_disk_a_stopped_one_is_gone)
{
    char a[64], b[64];
    tp_start(NULL);
    tp_subscribe("k1", "changes", TP_BOTH);
    tp_subscription("k1", a, sizeof a);
    tp_subscribe("k2", "next", TP_BOTH);
    tp_subscription("k2", b, sizeof b);
    tp_deliver("<iq type='set' id='st' from='" TP_GATEWAY "' to='" TP_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:0' ref='st' kind='stop' subscription='%s' " TP_ATTRS "/></iq>", a);
    tp_run(0);
    cr_assert_not_null(tp_answer("st"));
    restart(0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    {
        seen_t after;
        memset(&after, 0, sizeof after);
        pw_subs_foreach(pw_presence_subs(tp_ps), "bob@opb.example", seen_cb, &after);
        cr_assert_str_eq(after.id[0], b);
    }
    tp_stop();
}

Test(presence_persist, a_damaged_journal_refuses_the_start)
{
    char path[256];
    FILE *f;
    pw_presence_t *ps = NULL;
    tp_start(NULL);
    tp_subscribe("d1", "changes", TP_BOTH);
    tp_subscribe("d2", "changes", TP_BOTH);
    pw_presence_destroy(tp_ps);
    tp_ps = NULL;
    snprintf(path, sizeof path, "%s/state/subs-" TP_JID ".journal", tp_dir);
    f = fopen(path, "r+");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, 5, SEEK_SET), 0);
    fputc('#', f); /* the first of two records */
    fclose(f);
    cr_assert_eq(pw_presence_create(&ps, tp_comp, &tp_settings), PW_ECORRUPT);
    cr_assert_null(ps);
    tp_stop();
}
