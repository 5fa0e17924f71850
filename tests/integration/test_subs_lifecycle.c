/* test_subs_lifecycle.c: subscriptions when things change under them, each on a trial of its own:
 * bob revokes alice, a pending approval completed by the presentity in his client, the presence
 * server killed with SIGKILL and restarted mid-subscription, and a watcher side that forgot it. */
#include "subs_util.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "charging/pw_cdr.h"
#include "pwt_trial.h"
#include "pwt_util.h"

static pwt_trial_t *trial;

static void up(void)
{
    pwt_trial_opts_t o = { .log_level = "info" };
    cr_assert_eq(pwt_trial_start(&trial, &o), PW_OK, "the trial comes up");
}

static void down(void)
{
    pwt_trial_destroy(trial);
    trial = NULL;
}

TestSuite(lifecycle, .init = up, .fini = down, .timeout = 150);

Test(lifecycle, bob_revokes_alice_and_her_subscription_ends_revoked)
{
    subs_pair_t p;
    xmpp_stanza_t *m;

    subs_pair_start(&p, trial, "address='+12025550123' kind='changes' duration='60'");
    m = subs_next_change(p.alice, p.bob, "away", 5000, "a change while approved");
    xmpp_stanza_release(m);
    /* bob cancels alice's subscription in his client, as for any contact (RFC 6121 §3.2) */
    cr_assert_eq(pwt_client_send_xml(p.bob, "<presence type='unsubscribed' to='+447700900001@watcher.opb.example'/>"),
                 PW_OK);
    pwt_client_run(p.bob, 1200);
    pwt_client_presence(p.bob, "dnd", NULL, 1);
    m = subs_next_notify(p.alice, 8000, "the end instead of the next change");
    cr_assert_str_eq(chain_attr(subs_notify_of(m), "ended"), "revoked");
    cr_assert_null(xmpp_stanza_get_child_by_name(subs_notify_of(m), "state"), "bob's new state is not revealed");
    xmpp_stanza_release(m);
    subs_pair_end(&p);
}

/* The name of the item for jid in c's roster ("" when it has none), or NULL without an item. */
static const char *roster_name(pwt_client_t *c, const char *jid, char *out, size_t cap)
{
    xmpp_stanza_t *r = pwt_client_iq(c, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>", 5000), *q;
    const char *found = NULL;

    cr_assert_not_null(r, "the roster");
    q = xmpp_stanza_get_child_by_ns(r, "jabber:iq:roster");
    for (xmpp_stanza_t *it = q ? xmpp_stanza_get_children(q) : NULL; it; it = xmpp_stanza_get_next(it)) {
        const char *j = xmpp_stanza_get_attribute(it, "jid"), *name = xmpp_stanza_get_attribute(it, "name");
        if (j && strcasecmp(j, jid) == 0) {
            snprintf(out, cap, "%s", name ? name : "");
            found = out;
        }
    }
    xmpp_stanza_release(r);
    return found;
}

/* pw_cdr_verify_dir()'s callback: count B's charge records of enquiries about erin. */
static void count_about_erin(const pw_cdr_record_t *rec, void *arg)
{
    size_t *n = arg;
    if (rec->kind != PW_CDR_KIND_END && strcmp(rec->presentity_msisdn, "+12025550124") == 0)
        (*n)++;
}

Test(lifecycle, a_pending_request_completes_when_erin_approves_in_her_client)
{
    pwt_client_t *erin = subs_login(trial, "erin"), *alice = subs_login(trial, "alice");
    subs_presence_t subscribed = { "+12025550124@watcher.opa.example", "subscribed" };
    subs_presence_t waiting = { "+12025550124@watcher.opa.example", "unavailable" };
    xmpp_stanza_t *ask, *p;
    pw_cdr_problem_t problem;
    char text[512];
    size_t charged = 0;

    pwt_client_presence(erin, "chat", NULL, 1);
    pwt_client_run(erin, 300);
    cr_assert_eq(pwt_client_send_xml(alice, "<presence type='subscribe' to='+12025550124@watcher.opa.example'/>"),
                 PW_OK);
    ask = pwt_client_wait(erin, chain_is_subscribe, NULL, 15000);
    cr_assert_not_null(ask, "erin is asked in her own client");
    cr_assert_str_eq(chain_attr(ask, "from"), "+447700900001@watcher.opb.example");
    cr_assert_str_eq(pw_stanza_child_text(ask, "nick", "http://jabber.org/protocol/nick", text, sizeof text),
                     "+447700900001 (alice@opa.example)", "the request names who asks (XEP-0172)");
    xmpp_stanza_release(ask);
    p = pwt_client_wait(alice, subs_is_presence, &waiting, 15000);
    cr_assert_not_null(p, "alice's client is told that approval is pending");
    cr_assert_str_eq(pw_stanza_child_text(p, "status", NULL, text, sizeof text),
                     "Waiting for +1 202 555 0124 to approve your request to see their presence");
    xmpp_stanza_release(p);
    /* erin thinks it over: the trial's pending_retry is 1 s, so a polling watcher would ask
     * again several times meanwhile */
    cr_assert_null(pwt_client_wait(alice, subs_is_presence, &subscribed, 4000), "nothing yet: pending");
    cr_assert_eq(pwt_client_send_xml(erin, "<presence type='subscribed' to='+447700900001@watcher.opb.example'/>"),
                 PW_OK);
    p = pwt_client_wait(alice, subs_is_presence, &subscribed, 15000);
    cr_assert_not_null(p, "the pending subscription completes once erin approved");
    xmpp_stanza_release(p);
    p = pwt_client_wait(alice, subs_is_presence, &(subs_presence_t){ "+12025550124@watcher.opa.example", NULL }, 15000);
    cr_assert_not_null(p, "then erin's state: available");
    cr_assert_str_eq(pw_stanza_child_text(p, "show", NULL, text, sizeof text), "chat");
    xmpp_stanza_release(p);
    /* the whole wait cost alice's network one charge record at B: no enquiry was made again */
    cr_assert_eq(chain_cdr_records(pwt_trial_cdr_dir(trial, PWT_OPB), count_about_erin, &charged, &problem, NULL),
                 PW_OK, "verify: %s", problem.text);
    cr_assert_eq(charged, 1, "one charge record for the wait, not one per retry (%zu)", charged);
    /* the item erin's approval created has the request's name where her server lets the PS set
     * it (Prosody: roster = "both"); ejabberd 23.01 refuses privileged roster sets
     * (docs/ejabberd.md), so there it keeps none */
    {
        const char *kind = pwt_server_kind(pwt_trial_server(trial, PWT_OPB));
        int named = strcmp(kind, "prosody") == 0;
        const char *name = NULL;
        for (int i = 0; i < 50; i++) {
            name = roster_name(erin, "+447700900001@watcher.opb.example", text, sizeof text);
            if (!name || !named || *name)
                break;
            pwt_client_run(erin, 100);
        }
        cr_assert_not_null(name, "erin's roster has the item her approval created");
        cr_assert_str_eq(name, named ? "+447700900001 (alice@opa.example)" : "",
                         "the item's name on %s", kind);
    }
    pwt_client_destroy(alice);
    pwt_client_destroy(erin);
}

Test(lifecycle, notifications_resume_after_the_presence_server_is_killed)
{
    subs_pair_t p;
    pwt_component_t *ps = pwt_trial_component(trial, "opb-ps1");
    xmpp_stanza_t *m;

    subs_pair_start(&p, trial, "address='+12025550123' kind='changes' duration='60'");
    cr_assert_eq(pwt_component_signal(ps, SIGKILL), PW_OK);
    pwt_sleep_ms(200);
    cr_assert_eq(pwt_component_restart(ps), PW_OK);
    cr_assert_eq(pwt_component_wait_online(ps, 2, 15000), 0, "the presence server is back");
    pwt_client_run(p.bob, 1500); /* the server resends bob's presence to it */
    pwt_client_presence(p.bob, "xa", "gone fishing", 1);
    m = subs_next_notify(p.alice, 10000, "a change after the restart");
    cr_assert_str_eq(chain_attr(subs_notify_of(m), "subscription"), p.sub, "the same subscription");
    cr_assert_str_eq(subs_notify_show(m), "xa");
    xmpp_stanza_release(m);
    subs_pair_end(&p);
}

typedef struct {
    int watcher_gone;
} end_seen_t;

static void find_end(const pw_cdr_record_t *rec, void *arg)
{
    end_seen_t *e = arg;
    if (rec->kind == PW_CDR_KIND_END && strcmp(rec->outcome, "watcher-gone") == 0)
        e->watcher_gone++;
}

Test(lifecycle, a_watcher_that_forgot_the_subscription_ends_it)
{
    subs_pair_t p;
    pwt_component_t *wa = pwt_trial_component(trial, "opa-watcher");
    char dir[PWT_PATH_MAX + 32], path[PWT_PATH_MAX * 2];
    end_seen_t seen = { 0 };
    pw_cdr_problem_t problem;
    DIR *d;
    struct dirent *de;
    uint64_t until;

    subs_pair_start(&p, trial, "address='+12025550123' kind='changes' duration='60'");
    /* the watcher side loses its state: killed, its journal gone, started again */
    cr_assert_eq(pwt_component_signal(wa, SIGKILL), PW_OK);
    pwt_sleep_ms(100);
    snprintf(dir, sizeof dir, "%s/state-opa.example", pwt_trial_dir(trial));
    d = opendir(dir);
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "watcher-", 8) == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            cr_assert_eq(unlink(path), 0);
        }
    }
    closedir(d);
    cr_assert_eq(pwt_component_restart(wa), PW_OK);
    cr_assert_eq(pwt_component_wait_online(wa, 2, 15000), 0);
    pwt_client_presence(p.bob, "away", NULL, 1);
    until = pwt_now_ms() + 10000;
    while (!seen.watcher_gone && pwt_now_ms() < until) {
        pwt_client_run(p.bob, 300);
        chain_cdr_records(pwt_trial_cdr_dir(trial, PWT_OPB), find_end, &seen, &problem, NULL);
    }
    cr_assert_eq(seen.watcher_gone, 1, "the presence server ended the subscription (end record watcher-gone)");
    cr_assert_null(pwt_client_wait(p.alice, subs_is_notify, NULL, 500), "and alice got nothing for it");
    pwt_client_run(p.bob, 1200);
    pwt_client_presence(p.bob, "dnd", NULL, 1);
    pwt_client_run(p.bob, 1500);
    seen.watcher_gone = 0;
    chain_cdr_records(pwt_trial_cdr_dir(trial, PWT_OPB), find_end, &seen, &problem, NULL);
    cr_assert_eq(seen.watcher_gone, 1, "no retries afterwards: still one end record");
    subs_pair_end(&p);
}
