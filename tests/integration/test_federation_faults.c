/* test_federation_faults.c: faults between the operators, each on its own network (pw-trial
 * --netns): the inter-operator link down for 30 s, and the other operator's XMPP server
 * restarted, during an active subscription and a stream of enquiries. Enquiries during the
 * fault are answered remote-server-timeout within the watcher's timeout, never left hanging;
 * afterwards enquiries are answered again and the subscription's next notification carries
 * the presentity's latest state; the charge records agree (peerwatch-cdr reconcile). */
#include "subs_util.h"

#include <criterion/hooks.h>
#include <criterion/options.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pwt_netns.h"
#include "pwt_server.h"
#include "pwt_trial.h"
#include "pwt_util.h"

/* The test's own trial: it stops the servers and cuts the network, so it shares it with no
 * other test; stopped by the suite's fini also when an assertion ends the test early. */
static pwt_trial_t *trial;

static void stop_trial(void)
{
    pwt_trial_destroy(trial);
    trial = NULL;
}

/* One test at a time: two trials on separate networks would use the same addresses. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    criterion_options.jobs = 1;
}

TestSuite(federation_faults, .timeout = 300, .fini = stop_trial);

#define WATCHER_TIMEOUT_MS 20000u /* conf/trial/watcher.conf iq_timeout */
#define SLACK_MS 3000u
#define OUTAGE_MS 30000u
#define RECOVERY_MS 90000u

/* What happened to the enquiries of one phase. */
typedef struct tally {
    unsigned made, answered, timed_out, not_found, other;
    uint64_t slowest_ms;
} tally_t;

static pwt_trial_t *start_trial(void)
{
    const pwt_trial_opts_t o = { .netns = 1, .log_level = "info" };
    cr_assert_eq(pwt_trial_start(&trial, &o), PW_OK, "the trial on separate networks comes up");
    return trial;
}

#define ENQUIRY_XML "<iq type='set' id='%s' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' " \
                    "address='+12025550123' kind='current'/></iq>"
#define STREAM_GAP_MS 1000u /* between two enquiries of a stream */
#define STREAM_MAX 64

/* Count the answer r to an enquiry that took ms in tl; its condition. */
static pw_error_t count(tally_t *tl, xmpp_stanza_t *r, uint64_t ms)
{
    char text[256] = "";
    const char *type = xmpp_stanza_get_type(r);
    pw_error_t cond = type && strcmp(type, "result") == 0 ? PW_ERR_NONE : chain_error(r, text, sizeof text);

    tl->made++;
    tl->slowest_ms = ms > tl->slowest_ms ? ms : tl->slowest_ms;
    if (cond == PW_ERR_NONE)
        tl->answered++;
    else if (cond == PW_ERR_REMOTE_SERVER_TIMEOUT)
        tl->timed_out++;
    else
        tl->other++;
    tl->not_found += cond == PW_ERR_REMOTE_SERVER_NOT_FOUND;
    cr_log_info("enquiry %s: %s in %llu ms%s%s", xmpp_stanza_get_id(r),
                cond == PW_ERR_NONE ? "answered" : pw_error_name(cond), (unsigned long long)ms,
                text[0] ? ": " : "", text);
    return cond;
}

/* One current-state enquiry by c about bob, waited for: its outcome counted in tl. */
static pw_error_t enquire(pwt_client_t *c, tally_t *tl)
{
    uint64_t t0 = pwt_now_ms();
    xmpp_stanza_t *r = chain_enquire(c, "address='+12025550123' kind='current'");
    pw_error_t cond = count(tl, r, pwt_now_ms() - t0);
    xmpp_stanza_release(r);
    return cond;
}

/* A stream of enquiries: their ids and when each was sent (0 once answered). */
typedef struct stream {
    char id[STREAM_MAX][16];
    uint64_t sent[STREAM_MAX];
    unsigned n;
} stream_t;

/* How many enquiries of the stream have no answer yet. */
static unsigned waiting(const stream_t *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->n; i++)
        n += s->sent[i] != 0;
    return n;
}

/* pwt_match_fn: an answer to an enquiry of the stream still waiting. */
static int is_stream_answer(xmpp_stanza_t *st, void *arg)
{
    const stream_t *s = arg;
    const char *id = xmpp_stanza_get_id(st);
    for (unsigned i = 0; id && i < s->n; i++) {
        if (s->sent[i] && strcmp(s->id[i], id) == 0)
            return 1;
    }
    return 0;
}

/* Take the answers that have come, waiting up to wait_ms for the first; each counted with the
 * time since its enquiry was sent. */
static void take_answers(pwt_client_t *c, stream_t *s, tally_t *tl, unsigned wait_ms)
{
    xmpp_stanza_t *r;
    while ((r = pwt_client_wait(c, is_stream_answer, s, wait_ms)) != NULL) {
        for (unsigned i = 0; i < s->n; i++) {
            if (s->sent[i] && strcmp(s->id[i], xmpp_stanza_get_id(r)) == 0) {
                count(tl, r, pwt_now_ms() - s->sent[i]);
                s->sent[i] = 0;
            }
        }
        xmpp_stanza_release(r);
        wait_ms = 0;
    }
}

/* An enquiry every STREAM_GAP_MS for ms, not waiting for the answers (as many users would ask),
 * then every answer, each timed from its own enquiry (to within STREAM_GAP_MS); an enquiry
 * without an answer past the watcher's timeout fails the test. */
static void enquire_stream(pwt_client_t *c, unsigned ms, tally_t *tl)
{
    static unsigned streams;
    stream_t s = { .n = 0 };
    uint64_t until = pwt_now_ms() + ms, last;

    streams++;
    while (pwt_now_ms() < until && s.n < STREAM_MAX) {
        char xml[512];
        snprintf(s.id[s.n], sizeof s.id[s.n], "s%u-%u", streams, s.n + 1);
        snprintf(xml, sizeof xml, ENQUIRY_XML, s.id[s.n]);
        cr_assert_eq(pwt_client_send_xml(c, xml), PW_OK);
        s.sent[s.n] = pwt_now_ms();
        for (uint64_t next = s.sent[s.n++] + STREAM_GAP_MS, now; (now = pwt_now_ms()) < next;)
            take_answers(c, &s, tl, (unsigned)(next - now));
    }
    last = pwt_now_ms();
    while (waiting(&s) > 0 && pwt_now_ms() - last < WATCHER_TIMEOUT_MS + SLACK_MS)
        take_answers(c, &s, tl, 1000);
    cr_assert_eq(waiting(&s), 0, "every enquiry of the stream is answered (%u of %u unanswered), "
                 "none hangs", waiting(&s), s.n);
}

/* Enquire until one is answered (the fault is over for the chain), at most ms. */
static void enquire_until_answered(pwt_client_t *c, unsigned ms, tally_t *tl)
{
    uint64_t until = pwt_now_ms() + ms;
    while (enquire(c, tl) != PW_ERR_NONE) {
        cr_assert_lt(pwt_now_ms(), until, "an enquiry is answered again within %u ms of the fault's end", ms);
        pwt_client_run(c, 500);
    }
}

/* Run peerwatch-cdr with the arguments; its exit status (its output goes to the test log). */
static int cdr_tool(const char *verb, const char *a, const char *b)
{
    char prog[PWT_PATH_MAX];
    int status = 0;
    pid_t pid;

    snprintf(prog, sizeof prog, "%s/components/cdr/peerwatch-cdr", pwt_builddir());
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execl(prog, "peerwatch-cdr", verb, a, b, (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "peerwatch-cdr %s ran", verb);
    return WEXITSTATUS(status);
}

/* The subscription's notifications after a fault: the next one carries bob's latest state. */
static void assert_latest_state_arrives(subs_pair_t *p, const char *show)
{
    xmpp_stanza_t *msg = subs_next_notify(p->alice, RECOVERY_MS, "the notification after the fault");
    /* an older notification may come first (retried through the fault); the latest follows */
    while (strcmp(subs_notify_show(msg), show) != 0) {
        cr_log_info("notification first: %s", subs_notify_show(msg));
        xmpp_stanza_release(msg);
        msg = subs_next_notify(p->alice, RECOVERY_MS, "the notification with the latest state");
    }
    xmpp_stanza_release(msg);
}

static void report(const char *phase, const tally_t *tl)
{
    cr_log_info("%s: %u enquiries made, %u answered, %u remote-server-timeout, %u other; slowest %llu ms",
                phase, tl->made, tl->answered, tl->timed_out, tl->other, (unsigned long long)tl->slowest_ms);
}

/* Counts B's charge records: all of them, and the ends of subscriptions. */
typedef struct charges {
    unsigned records, ends;
} charges_t;

static void count_charge(const pw_cdr_record_t *rec, void *arg)
{
    charges_t *c = arg;
    c->records++;
    c->ends += rec->kind == PW_CDR_KIND_END;
}

/* Charge records: B's presence server charged every enquiry A recorded as answered, once; and
 * the subscription did not end (no end record). */
static void assert_records_agree(pwt_trial_t *t)
{
    char charged[PWT_PATH_MAX];
    charges_t c = { 0 };
    snprintf(charged, sizeof charged, "%s", pwt_trial_cdr_dir(t, PWT_OPB));
    cr_assert_eq(chain_cdr_records(charged, count_charge, &c, NULL, NULL), PW_OK);
    cr_log_info("B's charge records: %u (%u subscription ends)", c.records, c.ends);
    cr_assert_eq(c.ends, 0, "the subscription lived through the fault (no end record)");
    cr_assert_eq(cdr_tool("verify", pwt_trial_sent_dir(t, PWT_OPA), charged), 0,
                 "both record directories are intact");
    cr_assert_eq(cdr_tool("reconcile", pwt_trial_sent_dir(t, PWT_OPA), charged), 0,
                 "reconcile finds no difference between A's sent records and B's charges");
}

/* After a fault: bob changes to show, alice's subscription brings it; an enquiry is answered
 * again; the charge records agree and the subscription did not end. */
static void assert_recovered(pwt_trial_t *t, subs_pair_t *p, const char *show)
{
    tally_t after = { 0 };
    chain_present(p->bob, show, "Back", 1);
    assert_latest_state_arrives(p, show);
    enquire_until_answered(p->alice, RECOVERY_MS, &after);
    report("after", &after);
    subs_pair_end(p);
    assert_records_agree(t);
}

Test(federation_faults, link_down_for_30s)
{
    pwt_trial_t *t = start_trial();
    subs_pair_t p;
    tally_t before = { 0 }, during = { 0 };

    subs_pair_start(&p, t, "address='+12025550123' kind='changes' duration='3600'");
    enquire(p.alice, &before);
    cr_assert_eq(before.answered, before.made, "answered before the fault");

    cr_assert_eq(pwt_network_partition(pwt_trial_network(t), 1), PW_OK, "the operators cut apart");
    chain_present(p.bob, "dnd", "Outage", 1); /* B's PS notifies into the outage */
    enquire_stream(p.alice, OUTAGE_MS, &during);
    cr_assert_eq(pwt_network_partition(pwt_trial_network(t), 0), PW_OK, "and joined again");
    report("link down", &during);
    cr_assert_eq(during.other, 0, "every enquiry during the outage: answered or remote-server-timeout");
    cr_assert_geq(during.timed_out, 1, "the outage was seen");
    cr_assert_leq(during.slowest_ms, WATCHER_TIMEOUT_MS + SLACK_MS, "none hung past the watcher's timeout");

    assert_recovered(t, &p, "away");
}

Test(federation_faults, other_server_restarted)
{
    pwt_trial_t *t = start_trial();
    pwt_server_t *b = pwt_trial_server(t, PWT_OPB);
    subs_pair_t p;
    tally_t during = { 0 };

    subs_pair_start(&p, t, "address='+12025550123' kind='changes' duration='3600'");
    cr_assert_eq(pwt_server_stop(b), PW_OK, "B's server stopped");
    enquire_stream(p.alice, 5000, &during);
    cr_assert_eq(pwt_server_start(b), PW_OK, "B's server started again");
    report("B's server down", &during);
    cr_assert_eq(during.answered, 0);
    /* refused at once (remote-server-not-found: nothing listens) or timed out, nothing else */
    cr_assert_eq(during.other, during.not_found, "every enquiry: remote-server-not-found or -timeout");
    cr_assert_leq(during.slowest_ms, WATCHER_TIMEOUT_MS + SLACK_MS, "none hung past the watcher's timeout");
    /* bob comes back once B's presence server has reattached: ejabberd forwards a presence
     * only to a managed entity that is connected when it is sent (docs/ejabberd.md) */
    cr_assert_eq(pwt_component_wait_online(pwt_trial_component(t, "opb-ps1"), 2, 30000), 0,
                 "B's presence server reattached");
    pwt_client_destroy(p.bob); /* bob's session went with his server */
    cr_assert_eq(pwt_trial_login(t, "bob", &p.bob), PW_OK, "bob logs in again");
    assert_recovered(t, &p, "xa");
}
