/* test_reconnect.c: a real component survives a restart of its XMPP server (Prosody or ejabberd, PWT_SERVERS): it reconnects with
 * backoff and answers again, and it stops cleanly on SIGTERM. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "pwt_client.h"
#include "pwt_component.h"
#include "pwt_trial.h"
#include "pwt_util.h"

static int ping_hss(pwt_server_t *server)
{
    pwt_client_t *c = NULL;
    xmpp_stanza_t *r;
    int ok;
    if (pwt_client_connect(&c, "alice@opa.example", "pw", "127.0.0.2", pwt_server_c2s_port(server), 5000) != PW_OK)
        return 0;
    r = pwt_client_iq(c, "<iq type='get' to='hss.opa.example'><ping xmlns='urn:xmpp:ping'/></iq>", 5000);
    ok = r && strcmp(xmpp_stanza_get_type(r), "result") == 0;
    if (r)
        xmpp_stanza_release(r);
    pwt_client_destroy(c);
    return ok;
}

Test(reconnect, component_reconnects_after_the_server_restarts, .timeout = 90)
{
    pwt_server_t *server;
    pwt_component_t *hss;
    pwt_server_spec_t o = { .domain = "opa.example", .ip = "127.0.0.2" };
    char port[16], subs[PWT_PATH_MAX];
    int st;

    cr_assert_eq(pwt_trial_server_create(&server, PWT_OPA, &o), PW_OK);
    cr_assert_eq(pwt_server_add_user(server, "alice", "pw"), PW_OK);
    cr_assert_eq(pwt_server_start(server), PW_OK);
    snprintf(port, sizeof port, "%d", pwt_server_component_port(server));
    cr_assert_eq(pwt_srcpath(subs, sizeof subs, "conf/hss-opa.subscribers"), PW_OK);
    {
        const char *vars[] = { "JID", "hss.opa.example", "SECRET", pwt_server_secret(server),
                               "SERVER", "127.0.0.2", "PORT", port, "LOGLEVEL", "info",
                               "SUBSCRIBERS", subs, "ALLOW", "alice@opa.example", NULL };
        cr_assert_eq(pwt_component_start(&hss, "hss/peerwatch-hss", "conf/trial/hss.conf", vars,
                                         pwt_server_dir(server), "hss"), PW_OK);
    }
    cr_assert_eq(pwt_component_wait_online(hss, 1, 10000), 0);
    cr_assert(ping_hss(server), "answers before the restart");

    cr_assert_eq(pwt_server_stop(server), PW_OK);
    cr_assert_eq(pwt_component_wait_log(hss, "lost its connection", 1, 5000), 0);
    pwt_sleep_ms(1500); /* a few refused attempts while the server is away */
    cr_assert_geq(pwt_component_log_count(hss, "reconnecting to"), 2, "it retried with backoff");
    cr_assert_eq(pwt_component_pid(hss) > 0 && kill(pwt_component_pid(hss), 0) == 0, 1, "still running");
    cr_assert_eq(pwt_server_start(server), PW_OK);
    cr_assert_eq(pwt_component_wait_online(hss, 2, 10000), 0, "came online again");
    cr_assert(ping_hss(server), "answers after the restart");

    st = pwt_component_stop(hss, 5000);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean stop on SIGTERM (status %d)", st);
    cr_assert_eq(pwt_component_log_count(hss, "stopped"), 1);
    pwt_component_destroy(hss);
    pwt_server_destroy(server);
}
