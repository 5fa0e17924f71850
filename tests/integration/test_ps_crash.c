/* test_ps_crash.c: the real presence server under enquiry load on the two-operator trial is killed
 * with SIGKILL at random moments and restarted; afterwards its charge records verify, and every
 * enquiry whose answer reached the watcher side has exactly one record (none lost, none doubled). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charging/pw_cdr.h"
#include "core/pw_map.h"
#include "pwt_trial.h"
#include "chain_util.h"
#include "pwt_util.h"

#define KILLS 5
#define LOAD_MS 14000
#define WINDOW 8

typedef struct {
    pw_map_t *counts; /* enquiry_ref -> (count as intptr_t) */
    size_t records;
} tally_t;

static void count_charged(const pw_cdr_record_t *rec, void *arg)
{
    tally_t *t = arg;
    intptr_t n;
    if (rec->kind == PW_CDR_KIND_END || !rec->enquiry_ref[0])
        return;
    n = (intptr_t)pw_map_get(t->counts, rec->enquiry_ref);
    pw_map_put(t->counts, rec->enquiry_ref, (void *)(n + 1), NULL);
    t->records++;
}

typedef struct {
    char refs[20000][64];
    size_t n;
} answered_t;

static void collect_answered(const pw_cdr_record_t *rec, void *arg)
{
    answered_t *a = arg;
    if (strcmp(rec->outcome, "ok") == 0 && a->n < 20000 && strlen(rec->enquiry_ref) < 64)
        snprintf(a->refs[a->n++], 64, "%s", rec->enquiry_ref);
}

static int is_answer(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "iq") == 0 && type &&
           (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

Test(ps_crash, sigkill_under_load_loses_and_doubles_no_charge_record, .timeout = 180)
{
    pwt_trial_t *t = NULL;
    pwt_trial_opts_t o = { .log_level = "info" };
    pwt_client_t *alice = NULL, *bob = NULL;
    pwt_component_t *ps;
    unsigned sent = 0, ok = 0, failed = 0, outstanding = 0, kills = 0;
    uint64_t start, next_kill;
    pw_cdr_problem_t problem;
    pw_cdr_verify_summary_t sum;
    tally_t tally = { NULL, 0 };
    answered_t *answered = calloc(1, sizeof *answered);
    char xml[256];

    cr_assert_not_null(answered);
    srand((unsigned)pwt_now_ms());
    cr_assert_eq(pwt_trial_start(&t, &o), PW_OK, "the trial comes up");
    ps = pwt_trial_component(t, "opb-ps1");
    cr_assert_not_null(ps);
    cr_assert_eq(pwt_trial_login(t, "bob", &bob), PW_OK);
    cr_assert_eq(pwt_trial_login(t, "alice", &alice), PW_OK);
    pwt_client_presence(bob, NULL, "load test", 1);
    pwt_client_run(bob, 300);

    start = pwt_now_ms();
    next_kill = start + 1000 + (uint64_t)(rand() % 1500);
    while (pwt_now_ms() - start < LOAD_MS || outstanding > 0) {
        xmpp_stanza_t *r;
        while (pwt_now_ms() - start < LOAD_MS && outstanding < WINDOW) {
            snprintf(xml, sizeof xml, "<iq type='set' id='c%u' to='watcher.opa.example'>"
                     "<enquiry xmlns='urn:peerwatch:0' address='+12025550123' kind='current'/></iq>", sent++);
            cr_assert_eq(pwt_client_send_xml(alice, xml), PW_OK);
            outstanding++;
        }
        if (kills < KILLS && pwt_now_ms() >= next_kill) {
            /* SIGKILL at a random moment, then straight back (as a supervisor would) */
            cr_assert_eq(pwt_component_signal(ps, SIGKILL), PW_OK);
            pwt_sleep_ms((unsigned)(rand() % 200));
            cr_assert_eq(pwt_component_restart(ps), PW_OK);
            kills++;
            next_kill = pwt_now_ms() + 1500 + (uint64_t)(rand() % 1500);
        }
        r = pwt_client_wait(alice, is_answer, NULL, 500);
        pwt_client_run(bob, 0);
        if (!r)
            continue;
        if (strcmp(xmpp_stanza_get_type(r), "result") == 0)
            ok++;
        else
            failed++;
        outstanding--;
        xmpp_stanza_release(r);
    }
    cr_assert_eq(kills, KILLS, "the presence server was killed %u times", kills);
    cr_assert_gt(ok, 50, "enquiries were answered between the kills (%u ok, %u failed)", ok, failed);

    /* everything is quiet now: let the watcher's sent records be committed */
    pwt_client_run(alice, 500);

    /* B's records: intact chain, no gap, no duplicate, a torn tail (if any) repaired */
    cr_assert_eq(pw_map_create(&tally.counts), PW_OK);
    cr_assert_eq(chain_cdr_records(pwt_trial_cdr_dir(t, PWT_OPB), count_charged, &tally, &problem, &sum),
                 PW_OK, "verify: %s:%llu: %s", problem.file, (unsigned long long)problem.line, problem.text);
    /* A's record of what came back ok */
    cr_assert_eq(chain_cdr_records(pwt_trial_sent_dir(t, PWT_OPA), collect_answered, answered, &problem, NULL),
                 PW_OK, "verify sent: %s", problem.text);
    cr_assert_geq(answered->n, (size_t)ok * 9 / 10, "the watcher recorded the answers (%zu of %u)", answered->n, ok);
    for (size_t i = 0; i < answered->n; i++) {
        intptr_t n = (intptr_t)pw_map_get(tally.counts, answered->refs[i]);
        cr_assert_eq(n, 1, "enquiry %s was answered ok and has %ld charge records", answered->refs[i], (long)n);
    }
    printf("ps_crash: %u enquiries sent, %u answered ok, %u failed, %u kills; %zu charge records, %zu answered refs each charged once\n",
           sent, ok, failed, kills, tally.records, answered->n);
    pw_map_destroy(tally.counts);
    free(answered);
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
    pwt_trial_destroy(t);
}
