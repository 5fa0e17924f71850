/* test_presence_subscribe.c: 'changes' and 'next' create a subscription (docs/protocol.md §5.1), answered only once the charge record and the journal are durable. */
#include <dirent.h>

#include "pw_subs.h"
#include "test_presence_util.h"

TestSuite(presence_subscribe, .fini = tp_stop);

/* The journal's contents (empty when it does not exist yet). */
static void journal(char *buf, size_t cap)
{
    char path[256];
    FILE *f;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/state/subs-" TP_JID ".journal", tp_dir);
    buf[0] = '\0';
    f = fopen(path, "r");
    if (!f)
        return;
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

Test(presence_subscribe, changes_answers_with_the_state_and_the_subscription)
{
    char id[64], buf[8192], when[PW_CDR_TIME_TEXT];
    pw_presence_state_t st;
    xmpp_stanza_t *sub;
    static tp_records_t recs;

    tp_start(NULL);
    tp_grant("opb.example", 2);
    tp_bob("away");
    tp_enquiry("s1", "watcher.opa.example/s1", "changes");
    tp_roster(TP_BOTH);
    cr_assert_null(tp_answer("s1"), "no answer before the commit");
    journal(buf, sizeof buf);
    cr_assert_eq(buf[0], '\0', "nothing journaled on disk before the commit");
    tp_read_records(&recs);
    cr_assert_eq(recs.n, 0);

    tp_run(0);
    tp_state("s1", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "away");
    sub = tp_subscription("s1", id, sizeof id);
    cr_assert_eq(strlen(id), 36, "a UUID: %s", id);
    cr_assert_eq(id[14], '4', "version 4: %s", id);
    pw_cdr_time_format(TP_EPOCH_MS + tp_now + 60000, when);
    cr_assert_str_eq(xmpp_stanza_get_attribute(sub, "expires"), when, "expires after the duration");
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);

    /* the answer left after the journal and the record were durable */
    journal(buf, sizeof buf);
    cr_assert(strstr(buf, id), "journaled: %s", buf);
    cr_assert(strstr(buf, "proxy.opa.example"), "%s", buf);
    cr_assert(strstr(buf, TP_GATEWAY), "%s", buf);
    tp_read_records(&recs);
    cr_assert_eq(recs.n, 1);
    cr_assert_eq(recs.last.kind, PW_CDR_KIND_CHANGES);
    cr_assert_str_eq(recs.last.outcome, "ok");
    cr_assert_str_eq(recs.last.subscription_id, id);
    cr_assert_eq(recs.last.duration_s, 60);
    cr_assert_eq(pw_presence_in_progress(tp_ps), 0);
    tp_stop();
}

Test(presence_subscribe, next_lasts_max_duration_and_a_retried_ref_gets_the_same_subscription)
{
    char id[64], id2[64], when[PW_CDR_TIME_TEXT];
    xmpp_stanza_t *sub;
    static tp_records_t recs;

    tp_start("max_duration = 2h");
    tp_subscribe("n1", "next", TP_BOTH);
    sub = tp_subscription("n1", id, sizeof id);
    pw_cdr_time_format(TP_EPOCH_MS + tp_now + 7200000, when);
    cr_assert_str_eq(xmpp_stanza_get_attribute(sub, "expires"), when);
    tp_read_records(&recs);
    cr_assert_eq(recs.last.kind, PW_CDR_KIND_NEXT);
    cr_assert_str_eq(recs.last.subscription_id, id);

    /* the gateway retries the same enquiry: no second subscription, no second record */
    tp_enquiry("n2", "n1", "next");
    tp_roster(TP_BOTH);
    tp_run(0);
    tp_subscription("n2", id2, sizeof id2);
    cr_assert_str_eq(id2, id);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_read_records(&recs);
    cr_assert_eq(recs.n, 1);
    tp_stop();
}

Test(presence_subscribe, refusals_create_nothing)
{
    char text[256];
    tp_start(NULL);
    tp_subscribe("r1", "changes", "");
    cr_assert_eq(tp_error("r1", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    tp_subscribe("r2", "changes", "<item jid='alice@opa.example' subscription='to'/>");
    cr_assert_eq(tp_error("r2", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 0);
    tp_stop();
}

Test(presence_subscribe, max_subscriptions_is_a_resource_constraint)
{
    char text[256], id[64];
    tp_start("max_subscriptions = 1");
    tp_subscribe("m1", "changes", TP_BOTH);
    tp_subscription("m1", id, sizeof id);
    tp_subscribe("m2", "changes", TP_BOTH);
    cr_assert_eq(tp_error("m2", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert_eq(pw_subs_count(pw_presence_subs(tp_ps)), 1);
    tp_stop();
}
