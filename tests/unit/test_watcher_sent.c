/* test_watcher_sent.c: the watcher's own record of the enquiries it sent (docs/charging.md §4), for reconcile. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "chain/pw_enquiry.h"
#include "charging/pw_cdr.h"
#include "test_cdr_util.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

static char sent_dir[64];

static void sent_setup(void)
{
    char extra[160];
    tw = pwfake_watcher_new();
    snprintf(sent_dir, sizeof sent_dir, "/tmp/pw-watcher-sent-XXXXXX");
    cr_assert_not_null(mkdtemp(sent_dir));
    snprintf(extra, sizeof extra, "\n[charging]\ndir = %s\n", sent_dir);
    pwfake_watcher_start(tw, extra);
}

static void sent_teardown(void)
{
    char cmd[128];
    tw_teardown();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sent_dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(watcher_sent, .init = sent_setup, .fini = sent_teardown);

Test(watcher_sent, every_enquiry_sent_is_recorded_with_its_outcome_and_nothing_else)
{
    tc_seen_t seen = { .n = 0 };
    pw_cdr_problem_t problem;
    char ref[PW_ENQUIRY_REF_MAX + 1], text[128];
    xmpp_stanza_t *e;

    e = pwfake_watcher_up_to_proxy(tw, "e1", "address='+12025550123' kind='current'");
    snprintf(ref, sizeof ref, "%s", pwfake_watcher_attr(e, "ref"));
    pwfake_watcher_proxy_state(tw, PWFAKE_WATCHER_STATE_AWAY);
    pwfake_watcher_up_to_proxy(tw, "e2", "address='+12025550124' kind='current'");
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "not yet approved");
    /* refused before anything is sent: no record */
    pwfake_watcher_enquiry(tw, "e3", "alice@opa.example/phone", "address='+1' kind='current'");
    cr_assert_eq(pwfake_watcher_last_error(tw, "e3", text, sizeof text), PW_ERR_JID_MALFORMED);
    pw_loop_run_once(tw->loop, 0); /* the commit hook */

    cr_assert_eq(pw_cdr_verify_dir(sent_dir, NULL, tc_collect, &seen, &problem, NULL), PW_OK, "%s", problem.text);
    cr_assert_eq(seen.n, 2, "two enquiries went down the chain");
    cr_assert_str_eq(seen.recs[0].enquiry_ref, ref);
    cr_assert_str_eq(seen.recs[0].outcome, "ok");
    cr_assert_eq(seen.recs[0].kind, PW_CDR_KIND_CURRENT);
    cr_assert_str_eq(seen.recs[0].charged_network, "opa.example");
    cr_assert_str_eq(seen.recs[0].watcher_jid, "alice@opa.example");
    cr_assert_str_eq(seen.recs[0].watcher_msisdn, "+447700900001");
    cr_assert_str_eq(seen.recs[0].presentity_msisdn, "+12025550123");
    cr_assert_str_eq(seen.recs[0].node, PWFAKE_WATCHER_JID);
    cr_assert_str_eq(seen.recs[1].outcome, "subscription-required");
    cr_assert_str_eq(seen.recs[1].presentity_msisdn, "+12025550124");
}
