/* test_presence_persist.c: subscriptions survive a restart of the Presence Server (journal in [presence] state_dir): expiry holds, expired ones end at start-up. */
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

TestSuite(presence_persist, .fini = stop_driver);

static pwfake_presence_ends_t ends; /* large: off the stack */

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
    pw_presence_destroy(pd.ps);
    pd.ps = NULL;
    pd.now += later_ms;
    cr_assert_eq(pw_presence_create(&pd.ps, pd.comp, &pd.settings), PW_OK);
}

Test(presence_persist, subscriptions_come_back_with_their_expiry_and_expired_ones_end)
{
    char longer[64], shorter[64];
    seen_t before, after;
    xmpp_stanza_t *n;

    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_subscribe(&pd, "p1", "changes", PWFAKE_PRESENCE_BOTH); /* 60 s */
    pwfake_presence_subscription(&pd, "p1", longer, sizeof longer);
    pwfake_presence_deliver(&pd, "<iq type='set' id='p2' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='p2 with space%%' kind='changes' duration='10' "
               "proxy='proxy.opa.example' " PWFAKE_PRESENCE_ATTRS "/></iq>");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    pwfake_presence_subscription(&pd, "p2", shorter, sizeof shorter);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 0, NULL));
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 1, NULL));
    memset(&before, 0, sizeof before);
    pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", seen_cb, &before);
    cr_assert_eq(before.n, 2);

    restart(20000); /* the 10 s one expired meanwhile */
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    memset(&after, 0, sizeof after);
    pw_subs_foreach(pw_presence_subs(pd.ps), "BOB@opb.example", seen_cb, &after);
    cr_assert_eq(after.n, 1);
    cr_assert_str_eq(after.id[0], longer);
    for (size_t i = 0; i < 2; i++) {
        if (strcmp(before.id[i], longer) == 0)
            cr_assert_eq(after.expires[0], before.expires[i], "the same expiry");
    }
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 1, "the expired one has its end record");
    cr_assert_str_eq(ends.subscription[0], shorter);
    cr_assert_str_eq(ends.outcome[0], "expired");
    cr_assert_eq(ends.notifications[0], 1);

    /* the server resends presences (and privileges); notifications resume, numbering on */
    pwfake_transport_clear(pd.fake);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "dnd");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 1);
    n = pwfake_presence_notify(&pd, 0, NULL);
    cr_assert_str_eq(xmpp_stanza_get_attribute(pwfake_presence_notify_el(n), "subscription"), longer);
    cr_assert_str_eq(xmpp_stanza_get_attribute(pwfake_presence_notify_el(n), "seq"), "2", "seq survives the restart");
    cr_assert_str_eq(xmpp_stanza_get_attribute(pwfake_presence_notify_el(n), "proxy"), "proxy.opa.example");
    cr_assert_str_eq(xmpp_stanza_get_to(n), PWFAKE_PRESENCE_GATEWAY);
    pwfake_presence_ack(&pd, n);

    /* it still expires on time: 60 s after it was made */
    pwfake_presence_run(&pd, 39000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_run(&pd, 1000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_read_ends(&pd, &ends);
    cr_assert_eq(ends.n, 2);
    cr_assert_str_eq(ends.subscription[1], longer);
    cr_assert_eq(ends.duration[1], 60);

    /* and nothing comes back after another restart */
    restart(1000);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_stop(&pd);
}

typedef struct numbers {
    char id[4][64], msisdn[4][32];
    size_t n;
} numbers_t;

static int numbers_cb(const pw_subs_view_t *v, void *arg)
{
    numbers_t *s = arg;
    if (s->n < 4) {
        snprintf(s->id[s->n], sizeof s->id[s->n], "%s", v->id);
        snprintf(s->msisdn[s->n], sizeof s->msisdn[s->n], "%s", v->watcher_msisdn);
    }
    s->n++;
    return 0;
}

/* The watcher's MSISDN of subscription id in a listing ("" when absent). */
static const char *msisdn_of(const numbers_t *s, const char *id)
{
    for (size_t i = 0; i < s->n && i < 4; i++) {
        if (strcmp(s->id[i], id) == 0)
            return s->msisdn[i];
    }
    return "";
}

/* The attribute name of the notification of subscription id among those sent ("" when none). */
static const char *notified_attr(const char *id, const char *name)
{
    for (size_t i = 0; i < pwfake_presence_notify_count(&pd); i++) {
        xmpp_stanza_t *el = pwfake_presence_notify_el(pwfake_presence_notify(&pd, i, NULL));
        const char *p = xmpp_stanza_get_attribute(el, name);
        if (strcmp(xmpp_stanza_get_attribute(el, "subscription"), id) == 0)
            return p ? p : "";
    }
    return "";
}

/* The presentity= of the notification of subscription id among those sent ("" when none). */
static const char *notified_presentity(const char *id)
{
    return notified_attr(id, "presentity");
}

/* One watcher JID and one presentity JID under different MSISDNs in two enquiries: each
 * subscription keeps its own numbers (the nodes share the first ones), also after a restart. */
static void notify_both(void)
{
    pwfake_transport_clear(pd.fake);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 2);
}

Test(presence_persist, subscriptions_of_one_jid_under_other_numbers_keep_their_own)
{
    char first[64], second[64];
    numbers_t before, after;

    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_subscribe(&pd, "n1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "n1", first, sizeof first);
    pwfake_presence_deliver(&pd, "<iq type='set' id='n2' from='" PWFAKE_PRESENCE_GATEWAY "' to='+12025550199@" PWFAKE_PRESENCE_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='n2' kind='changes' duration='60' "
               "proxy='proxy.opa.example' presentity='+12025550199' presentity-jid='bob@opb.example' "
               "watcher-msisdn='+447700900099' watcher-jid='alice@opa.example' watcher-network='opa.example'/></iq>");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    pwfake_presence_subscription(&pd, "n2", second, sizeof second);
    memset(&before, 0, sizeof before);
    pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", numbers_cb, &before);
    cr_assert_eq(before.n, 2);
    cr_assert_str_eq(msisdn_of(&before, first), "+447700900001");
    cr_assert_str_eq(msisdn_of(&before, second), "+447700900099");
    notify_both();
    cr_assert_str_eq(notified_presentity(first), "+12025550123");
    cr_assert_str_eq(notified_presentity(second), "+12025550199");
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 0, NULL));
    pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, 1, NULL));

    restart(2000);
    memset(&after, 0, sizeof after);
    pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", numbers_cb, &after);
    cr_assert_eq(after.n, 2);
    cr_assert_str_eq(msisdn_of(&after, first), "+447700900001");
    cr_assert_str_eq(msisdn_of(&after, second), "+447700900099");
    pwfake_presence_grant(&pd, "opb.example", 2);
    notify_both();
    cr_assert_str_eq(notified_presentity(first), "+12025550123");
    cr_assert_str_eq(notified_presentity(second), "+12025550199");
    pwfake_presence_stop(&pd);
}

Test(presence_persist, an_acknowledged_subscription_is_on_disk_a_stopped_one_is_gone)
{
    char a[64], b[64];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_subscribe(&pd, "k1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "k1", a, sizeof a);
    pwfake_presence_subscribe(&pd, "k2", "next", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "k2", b, sizeof b);
    pwfake_presence_deliver(&pd, "<iq type='set' id='st' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='st' kind='stop' subscription='%s' " PWFAKE_PRESENCE_ATTRS "/></iq>", a);
    pwfake_presence_run(&pd, 0);
    cr_assert_not_null(pwfake_presence_answer(&pd, "st"));
    restart(0);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    {
        seen_t after;
        memset(&after, 0, sizeof after);
        pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", seen_cb, &after);
        cr_assert_str_eq(after.id[0], b);
    }
    pwfake_presence_stop(&pd);
}

Test(presence_persist, a_damaged_journal_refuses_the_start)
{
    char path[256];
    FILE *f;
    pw_presence_t *ps = NULL;
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_subscribe(&pd, "d1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscribe(&pd, "d2", "changes", PWFAKE_PRESENCE_BOTH);
    pw_presence_destroy(pd.ps);
    pd.ps = NULL;
    snprintf(path, sizeof path, "%s/state/subs-" PWFAKE_PRESENCE_JID ".journal", pd.dir);
    f = fopen(path, "r+");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, 5, SEEK_SET), 0);
    fputc('#', f); /* the first of two records */
    fclose(f);
    cr_assert_eq(pw_presence_create(&ps, pd.comp, &pd.settings), PW_ECORRUPT);
    cr_assert_null(ps);
    pwfake_presence_stop(&pd);
}

/* A 'changes' enquiry (request id) with this ref and these numbers, answered from a roster
 * granting both; out receives the subscription's id. */
static void subscribe_ref(const char *id, const char *ref, const char *presentity, const char *watcher_msisdn,
                          char *out, size_t cap)
{
    pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='%s@" PWFAKE_PRESENCE_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='%s' kind='changes' duration='60' "
               "proxy='proxy.opa.example' presentity='%s' presentity-jid='bob@opb.example' "
               "watcher-msisdn='%s' watcher-jid='alice@opa.example' watcher-network='opa.example'/></iq>",
               id, presentity, ref, presentity, watcher_msisdn);
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    pwfake_presence_subscription(&pd, id, out, cap);
}

/* The refs of the subscriptions below, as the enquiries gave them. */
static const char *const refs[4] = {
    "watcher.opa.example/k1",
    "watcher.opa.example/00000000-0000-4000-8000-000000000001", /* a UUID (held as its bytes) */
    "watcher.opa.example/0B6C9A8E-2F0E-4A55-9A0F-6C51C8B1A2D4", /* not as we write UUIDs */
    "plain-ref",                                                /* no domain */
};

/* bob changes: each subscription's notification carries its ref whole, and the second its own
 * numbers (held behind its ref). */
static void notify_refs(const char ids[4][64], const char *show)
{
    numbers_t listed;
    pwfake_transport_clear(pd.fake);
    pwfake_presence_bob(&pd, show);
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    cr_assert_eq(pwfake_presence_notify_count(&pd), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(notified_attr(ids[i], "ref"), refs[i]);
    cr_assert_str_eq(notified_presentity(ids[1]), "+12025550199");
    cr_assert_str_eq(notified_presentity(ids[0]), "+12025550123");
    memset(&listed, 0, sizeof listed);
    pw_subs_foreach(pw_presence_subs(pd.ps), "bob@opb.example", numbers_cb, &listed);
    cr_assert_eq(listed.n, 4);
    cr_assert_str_eq(msisdn_of(&listed, ids[1]), "+447700900099");
    cr_assert_str_eq(msisdn_of(&listed, ids[2]), "+447700900001");
    for (size_t i = 0; i < 4; i++)
        pwfake_presence_ack(&pd, pwfake_presence_notify(&pd, i, NULL));
}

/* A subscription keeps its ref apart from its domain (and a UUID as its 16 bytes): the ref comes
 * back whole in notifications, to a retried enquiry and after a restart. */
Test(presence_persist, refs_come_back_whole_with_or_without_a_domain_or_a_uuid)
{
    char ids[4][64], again[64], req[8];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    for (size_t i = 0; i < 4; i++) {
        snprintf(req, sizeof req, "s%zu", i);
        subscribe_ref(req, refs[i], i == 1 ? "+12025550199" : "+12025550123",
                      i == 1 ? "+447700900099" : "+447700900001", ids[i], sizeof ids[i]);
    }
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 4);
    /* the gateway retries the UUID one and the upper-case one: the same subscriptions */
    subscribe_ref("r1", refs[1], "+12025550199", "+447700900099", again, sizeof again);
    cr_assert_str_eq(again, ids[1]);
    subscribe_ref("r2", refs[2], "+12025550123", "+447700900001", again, sizeof again);
    cr_assert_str_eq(again, ids[2]);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 4);
    notify_refs((const char (*)[64])ids, "away");

    restart(1000);
    pwfake_presence_grant(&pd, "opb.example", 2);
    notify_refs((const char (*)[64])ids, "dnd");
    pwfake_presence_stop(&pd);
}
