/* test_presence_subscribe.c: 'changes' and 'next' create a subscription (docs/protocol.md §5.1), answered only once the charge record and the journal are durable. */
#include <criterion/criterion.h>
#include <dirent.h>
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

TestSuite(presence_subscribe, .fini = stop_driver);

/* The journal's contents (empty when it does not exist yet). */
static void journal(char *buf, size_t cap)
{
    char path[256];
    FILE *f;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/state/subs-" PWFAKE_PRESENCE_JID ".journal", pd.dir);
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
    static pwfake_presence_records_t recs;

    pwfake_presence_start(&pd, NULL);
    pwfake_presence_grant(&pd, "opb.example", 2);
    pwfake_presence_bob(&pd, "away");
    pwfake_presence_enquiry(&pd, "s1", "watcher.opa.example/s1", "changes");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    cr_assert_null(pwfake_presence_answer(&pd, "s1"), "no answer before the commit");
    journal(buf, sizeof buf);
    cr_assert_eq(buf[0], '\0', "nothing journaled on disk before the commit");
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 0);

    pwfake_presence_run(&pd, 0);
    pwfake_presence_state(&pd, "s1", &st);
    cr_assert_eq(st.available, 1);
    cr_assert_str_eq(st.show, "away");
    sub = pwfake_presence_subscription(&pd, "s1", id, sizeof id);
    cr_assert_eq(strlen(id), 36, "a UUID: %s", id);
    cr_assert_eq(id[14], '4', "version 4: %s", id);
    pw_cdr_time_format(PWFAKE_PRESENCE_EPOCH_MS + pd.now + 60000, when);
    cr_assert_str_eq(xmpp_stanza_get_attribute(sub, "expires"), when, "expires after the duration");
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);

    /* the answer left after the journal and the record were durable */
    journal(buf, sizeof buf);
    cr_assert(strstr(buf, id), "journaled: %s", buf);
    cr_assert(strstr(buf, "proxy.opa.example"), "%s", buf);
    cr_assert(strstr(buf, PWFAKE_PRESENCE_GATEWAY), "%s", buf);
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 1);
    cr_assert_eq(recs.last.kind, PW_CDR_KIND_CHANGES);
    cr_assert_str_eq(recs.last.outcome, "ok");
    cr_assert_str_eq(recs.last.subscription_id, id);
    cr_assert_eq(recs.last.duration_s, 60);
    cr_assert_eq(pw_presence_in_progress(pd.ps), 0);
    pwfake_presence_stop(&pd);
}

Test(presence_subscribe, next_lasts_max_duration_and_a_retried_ref_gets_the_same_subscription)
{
    char id[64], id2[64], when[PW_CDR_TIME_TEXT];
    xmpp_stanza_t *sub;
    static pwfake_presence_records_t recs;

    pwfake_presence_start(&pd, "max_duration = 2h");
    pwfake_presence_subscribe(&pd, "n1", "next", PWFAKE_PRESENCE_BOTH);
    sub = pwfake_presence_subscription(&pd, "n1", id, sizeof id);
    pw_cdr_time_format(PWFAKE_PRESENCE_EPOCH_MS + pd.now + 7200000, when);
    cr_assert_str_eq(xmpp_stanza_get_attribute(sub, "expires"), when);
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.last.kind, PW_CDR_KIND_NEXT);
    cr_assert_str_eq(recs.last.subscription_id, id);

    /* the gateway retries the same enquiry: no second subscription, no second record */
    pwfake_presence_enquiry(&pd, "n2", "n1", "next");
    pwfake_presence_roster(&pd, PWFAKE_PRESENCE_BOTH);
    pwfake_presence_run(&pd, 0);
    pwfake_presence_subscription(&pd, "n2", id2, sizeof id2);
    cr_assert_str_eq(id2, id);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_read_records(&pd, &recs);
    cr_assert_eq(recs.n, 1);
    pwfake_presence_stop(&pd);
}

Test(presence_subscribe, refusals_create_nothing)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_subscribe(&pd, "r1", "changes", "");
    cr_assert_eq(pwfake_presence_error(&pd, "r1", text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED);
    pwfake_presence_subscribe(&pd, "r2", "changes", "<item jid='alice@opa.example' subscription='to'/>");
    cr_assert_eq(pwfake_presence_error(&pd, "r2", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 0);
    pwfake_presence_stop(&pd);
}

Test(presence_subscribe, max_subscriptions_is_a_resource_constraint)
{
    char text[256], id[64];
    pwfake_presence_start(&pd, "max_subscriptions = 1");
    pwfake_presence_subscribe(&pd, "m1", "changes", PWFAKE_PRESENCE_BOTH);
    pwfake_presence_subscription(&pd, "m1", id, sizeof id);
    pwfake_presence_subscribe(&pd, "m2", "changes", PWFAKE_PRESENCE_BOTH);
    cr_assert_eq(pwfake_presence_error(&pd, "m2", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert_eq(pw_subs_count(pw_presence_subs(pd.ps)), 1);
    pwfake_presence_stop(&pd);
}
