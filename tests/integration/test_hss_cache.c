/* test_hss_cache.c: on the two-operator trial, the watcher application and the gateway keep the HSS's answers once it promised to tell changes (docs/hss.md, "Changes told"): an enquiry then needs no HSS at all, and a reload that bars the watcher refuses her next enquiry all the same. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_util.h"
#include "pwt_trial.h"
#include "pwt_util.h"

#define BOB "address='+12025550123' kind='current'"

/* Write operator A's subscriber file (the trial's copy) with alice's status. */
static void write_alice(pwt_trial_t *t, const char *status)
{
    char path[PWT_PATH_MAX], tmp[PWT_PATH_MAX + 8];
    FILE *f;
    snprintf(path, sizeof path, "%s/" PWT_TRIAL_SUBSCRIBERS, pwt_trial_dir(t), "opa");
    snprintf(tmp, sizeof tmp, "%s.new", path);
    f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fprintf(f, "+447700900001 alice@opa.example ps1.opa.example %s prepaid 100\n"
               "+447700900002 carol@opa.example ps1.opa.example active postpaid -\n", status);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(rename(tmp, path), 0);
}

/* SIGHUP A's HSS and wait until A's watcher application has been told of the change. */
static void reload_hss_a(pwt_trial_t *t, unsigned nth)
{
    pwt_component_t *hss = pwt_trial_component(t, "opa-hss");
    pwt_component_t *wa = pwt_trial_component(t, "opa-watcher");
    cr_assert_eq(pwt_component_signal(hss, SIGHUP), PW_OK);
    cr_assert_eq(pwt_component_wait_log(hss, "subscriber file reloaded", nth, 10000), 0);
    cr_assert_eq(pwt_component_wait_log(wa, "changed its records", nth, 10000), 0,
                 "the watcher application was told");
}

static void assert_answered(pwt_client_t *alice)
{
    xmpp_stanza_t *r = chain_enquire(alice, BOB);
    cr_assert_str_eq(chain_attr(chain_state(r), "available"), "true");
    xmpp_stanza_release(r);
}

/* Enquire until every instance of B's gateway has asked B's HSS and logged its promise to tell
 * changes, so that each keeps answers. On a cluster B has two instances behind one SRV
 * priority and the proxy orders them at random for each enquiry (RFC 2782): a few enquiries
 * reach both. 1 when every instance did. */
static int every_gateway_keeps_answers(pwt_trial_t *t, pwt_client_t *alice)
{
    static const char *const names[] = { "opb-gateway", "opb-gateway2" };
    for (int tries = 0; tries < 30; tries++) {
        int all = 1;
        assert_answered(alice);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            pwt_component_t *gw = pwt_trial_component(t, names[i]); /* NULL: no such instance */
            if (gw && pwt_component_log_count(gw, "tells of changes") == 0)
                all = 0;
        }
        if (all)
            return 1;
        pwt_sleep_ms(100);
    }
    return 0;
}

Test(hss_cache, kept_answers_spare_the_hss_and_a_barring_reload_refuses_at_once, .timeout = 150)
{
    pwt_trial_t *t = NULL;
    pwt_trial_opts_t o = { .log_level = "info" };
    pwt_client_t *alice = NULL, *bob = NULL;
    pwt_component_t *hss_a, *hss_b;
    char text[512];
    xmpp_stanza_t *r;

    cr_assert_eq(pwt_trial_start(&t, &o), PW_OK, "the trial comes up");
    hss_a = pwt_trial_component(t, "opa-hss");
    hss_b = pwt_trial_component(t, "opb-hss");
    cr_assert(hss_a && hss_b);
    cr_assert_eq(pwt_trial_login(t, "bob", &bob), PW_OK);
    cr_assert_eq(pwt_trial_login(t, "alice", &alice), PW_OK);
    pwt_client_presence(bob, NULL, "at work", 1);
    pwt_client_run(bob, 300);

    /* the first enquiries ask both HSSes, which promise to tell changes */
    assert_answered(alice);
    cr_assert_eq(pwt_component_wait_log(pwt_trial_component(t, "opa-watcher"), "tells of changes", 1, 5000), 0);
    cr_assert(every_gateway_keeps_answers(t, alice), "every instance of B's gateway keeps answers");

    /* with both HSSes stopped, an enquiry is still answered: from what was kept */
    cr_assert_eq(kill(pwt_component_pid(hss_a), SIGSTOP), 0);
    cr_assert_eq(kill(pwt_component_pid(hss_b), SIGSTOP), 0);
    r = chain_enquire(alice, BOB);
    kill(pwt_component_pid(hss_a), SIGCONT);
    kill(pwt_component_pid(hss_b), SIGCONT);
    cr_assert_str_eq(chain_attr(chain_state(r), "available"), "true", "answered without an HSS");
    xmpp_stanza_release(r);

    /* the operator bars alice and reloads: her very next enquiry is refused */
    write_alice(t, "barred");
    reload_hss_a(t, 1);
    r = chain_enquire(alice, BOB);
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_FORBIDDEN, "barred at once: %s", text);
    xmpp_stanza_release(r);

    /* and lifts the bar */
    write_alice(t, "active");
    reload_hss_a(t, 2);
    assert_answered(alice);

    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
    pwt_trial_destroy(t);
}
