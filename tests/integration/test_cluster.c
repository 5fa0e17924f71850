/* test_cluster.c: operator B on a two-node ejabberd cluster (docs/ejabberd.md, "An operator on
 * a cluster"): users logged in on either node are seen by presence servers on the other, an
 * enquiry and a subscription go through, the proxy spreads enquiries over B's two gateway
 * instances (gateway on the first node, gateway2 on the second, both behind B's _presence-gw
 * SRV name), and when the instance that carried a subscription is killed under enquiry load,
 * every enquiry still gets an answer, those sent after the kill all succeed through the other
 * instance, and the subscription keeps notifying (the presence server fails over to it). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pwt_ejabberd.h"
#include "pwt_trial.h"
#include "pwt_util.h"
#include "subs_util.h"

#define KILL_AT_MS 2500u
/* load until this long after the kill: the enquiries lost with the killed instance take the
 * proxy's 8 s gateway timeout to fail (and hold the window until then); then 4 s more */
#define AFTER_KILL_MS 12000u
#define WINDOW 4u
#define SETTLE_MS 1000u /* after the kill, enquiries sent later than this must all succeed */
#define MAX_ENQUIRIES 8192u

static pwt_trial_t *trial;

static void setup(void)
{
    pwt_trial_opts_t o = { .log_level = "info", .servers = { "prosody", "ejabberd-cluster" } };
    cr_assert_eq(pwt_trial_start(&trial, &o), PW_OK, "the trial comes up with B on two nodes");
}

static void teardown(void)
{
    pwt_trial_destroy(trial);
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 180);

/* Log a fixture user of B in on one node of B's cluster. */
static pwt_client_t *login_on(pwt_server_t *node, const char *user)
{
    pwt_client_t *c = NULL;
    char jid[64];
    snprintf(jid, sizeof jid, "%s@opb.example", user);
    cr_assert_eq(pwt_client_connect(&c, jid, PWT_TRIAL_PASSWORD, pwt_server_ip(node),
                                    pwt_server_c2s_port(node), 5000),
                 PW_OK, "%s logged in on %s", user, pwt_ejabberd_node(node));
    return c;
}

/* The show in alice's answer about a number, asserting it is a result with a state. */
static void assert_show(pwt_client_t *alice, const char *number, const char *show)
{
    char attrs[128];
    xmpp_stanza_t *r, *state;

    snprintf(attrs, sizeof attrs, "address='%s' kind='current'", number);
    r = chain_enquire(alice, attrs);
    state = chain_state(r);
    cr_assert_str_eq(chain_attr(state, "available"), "true", "%s is available", number);
    cr_assert_str_eq(chain_attr(state, "show"), show, "%s shows %s", number, show);
    xmpp_stanza_release(r);
}

/* Whether the load goes on: until AFTER_KILL_MS after the kill. */
static int loading(uint64_t start, uint64_t killed_at)
{
    return killed_at ? pwt_now_ms() - killed_at < AFTER_KILL_MS : pwt_now_ms() - start < KILL_AT_MS + 1000;
}

static int is_answer(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "iq") == 0 && type &&
           (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

Test(cluster, users_and_components_on_either_node_and_a_gateway_instance_killed_under_load)
{
    pwt_server_t *node1 = pwt_trial_server(trial, PWT_OPB), *node2 = pwt_trial_member(trial, PWT_OPB);
    pwt_component_t *gw[2] = { pwt_trial_component(trial, "opb-gateway"),
                               pwt_trial_component(trial, "opb-gateway2") };
    pwt_component_t *killed, *survivor;
    pwt_component_t *ps1 = pwt_trial_component(trial, "opb-ps1");
    unsigned carried_before;
    pwt_client_t *bob, *grace, *alice;
    unsigned sent = 0, ok = 0, failed = 0, outstanding = 0, late_failed = 0;
    unsigned survivor_at_kill = 0, killed_served = 0;
    static uint64_t sent_at[MAX_ENQUIRIES];
    uint64_t start, killed_at = 0;
    char sub[128], xml[256];
    xmpp_stanza_t *m;

    cr_assert_not_null(node2, "B has a second node");
    cr_assert(gw[0] && gw[1], "B runs two gateway instances");

    /* bob is served by ps1 (first node) and logs in on the second; grace the other way round */
    bob = login_on(node2, "bob");
    grace = login_on(node1, "grace");
    chain_present(bob, "away", "on the second node", 1);
    chain_present(grace, "dnd", "on the first node", 1);
    alice = subs_login(trial, "alice");
    assert_show(alice, "+12025550123", "away");
    assert_show(alice, "+447700900050", "dnd");

    /* a subscription to bob, notified once before the kill; the instance it went through is
     * the one to kill */
    carried_before = pwt_component_log_count(gw[0], "served by");
    subs_subscribe(alice, "address='+12025550123' kind='changes' duration='300'", sub, sizeof sub);
    killed = pwt_component_log_count(gw[0], "served by") > carried_before ? gw[0] : gw[1];
    survivor = killed == gw[0] ? gw[1] : gw[0];
    pwt_client_run(bob, 1200); /* the trial's 1 s notification interval */
    m = subs_next_change(alice, bob, "xa", 5000, "a change before the kill");
    xmpp_stanza_release(m);

    /* enquiry load over both instances; the subscription's is killed in the middle of it */
    start = pwt_now_ms();
    while ((loading(start, killed_at) && sent < MAX_ENQUIRIES) || outstanding > 0) {
        xmpp_stanza_t *r;
        unsigned id;
        while (loading(start, killed_at) && outstanding < WINDOW && sent < MAX_ENQUIRIES) {
            snprintf(xml, sizeof xml, "<iq type='set' id='k%u' to='watcher.opa.example'>"
                     "<enquiry xmlns='urn:peerwatch:0' address='+12025550123' kind='current'/></iq>",
                     sent);
            cr_assert_eq(pwt_client_send_xml(alice, xml), PW_OK);
            sent_at[sent++] = pwt_now_ms();
            outstanding++;
        }
        if (!killed_at && pwt_now_ms() - start >= KILL_AT_MS) {
            killed_served = pwt_component_log_count(killed, "served by");
            survivor_at_kill = pwt_component_log_count(survivor, "served by");
            cr_assert(killed_served > 10 && survivor_at_kill > 10,
                      "the proxy spread the enquiries over both instances (%u, %u)", killed_served,
                      survivor_at_kill);
            cr_assert_eq(pwt_component_signal(killed, SIGKILL), PW_OK);
            killed_at = pwt_now_ms();
        }
        r = pwt_client_wait(alice, is_answer, NULL, 15000);
        cr_assert_not_null(r, "every enquiry is answered (%u outstanding after %u sent)", outstanding,
                           sent);
        outstanding--;
        if (strcmp(xmpp_stanza_get_type(r), "result") == 0) {
            ok++;
        } else {
            char text[256];
            const char *rid = xmpp_stanza_get_id(r);
            failed++;
            chain_error(r, text, sizeof text);
            cr_assert_neq(text[0], '\0', "a failed enquiry says why");
            id = rid && rid[0] == 'k' ? (unsigned)strtoul(rid + 1, NULL, 10) : 0;
            if (id < sent && sent_at[id] > killed_at + SETTLE_MS)
                late_failed++;
            printf("cluster: enquiry %s failed: %s\n", rid ? rid : "?", text);
        }
        xmpp_stanza_release(r);
    }
    cr_assert_neq(killed_at, 0, "the serving gateway instance was killed");
    printf("cluster: %u enquiries, %u ok, %u failed; before the kill the killed instance (%s) had "
           "served %u and the other %u, after it the other %u\n", sent, ok, failed,
           killed == gw[0] ? "opb-gateway" : "opb-gateway2", killed_served, survivor_at_kill,
           pwt_component_log_count(survivor, "served by") - survivor_at_kill);
    cr_assert_eq(late_failed, 0, "every enquiry sent %u ms after the kill succeeded", SETTLE_MS);
    cr_assert_leq(failed, WINDOW, "only enquiries in flight at the kill may fail");
    cr_assert_gt(pwt_component_log_count(survivor, "served by") - survivor_at_kill, 10,
                 "the other instance took over");

    /* the subscription made through the killed instance keeps notifying */
    pwt_client_run(bob, 1200);
    m = subs_next_change(alice, bob, "dnd", 8000, "a change after the kill");
    cr_assert_str_eq(chain_attr(subs_notify_of(m), "subscription"), sub);
    xmpp_stanza_release(m);
    cr_assert_geq(pwt_component_log_count(ps1, "; trying gateway "), 1,
                  "bob's presence server failed over to the other gateway instance");

    pwt_client_destroy(alice);
    pwt_client_destroy(grace);
    pwt_client_destroy(bob);
}
