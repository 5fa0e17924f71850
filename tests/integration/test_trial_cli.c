/* test_trial_cli.c: the trial command as an operator uses it: --up writes trial.env and stays up
 * in the background, any XMPP client can log in with what it says, --down stops everything. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pwt_client.h"
#include "pwt_proc.h"
#include "pwt_util.h"

static char *env_value(const char *path, const char *key, char *buf, size_t cap)
{
    char line[2048];
    size_t kl = strlen(key);
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    cr_assert_not_null(f, "%s exists", path);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(buf, cap, "%s", line + kl + 1);
        }
    }
    fclose(f);
    cr_assert_neq(buf[0], '\0', "%s has %s", path, key);
    return buf;
}

/* A client logged in with what trial.env says for operator op ("OPA", "OPB"). */
static pwt_client_t *login(const char *env, const char *op, const char *jid)
{
    char key[16], c2s[64], pw[64], host[64];
    pwt_client_t *c = NULL;
    snprintf(key, sizeof key, "%s_C2S", op);
    env_value(env, key, c2s, sizeof c2s);
    env_value(env, "PASSWORD", pw, sizeof pw);
    snprintf(host, sizeof host, "%.*s", (int)strcspn(c2s, ":"), c2s);
    cr_assert_eq(pwt_client_connect(&c, jid, pw, host, atoi(strchr(c2s, ':') + 1), 5000), PW_OK,
                 "%s logs in with what trial.env says (%s)", jid, c2s);
    return c;
}

/*
 * `pw-trial --up [--servers SERVERS]`, then as any XMPP client would: bob logs in on B and goes
 * away, alice logs in on A and asks about his number and gets his state; `--down` stops it all.
 * servers: NULL for the default (Prosody for both), or "A,B".
 */
static void up_enquire_down(const char *servers, const char *a_kind, const char *b_kind)
{
    char *dir = pwt_tmpdir("trialcli"), env[PWT_PATH_MAX], cmd[3 * PWT_PATH_MAX], text[64];
    char trial_dir[PWT_PATH_MAX];
    int left[4];
    pwt_client_t *alice, *bob;
    xmpp_stanza_t *r, *state;
    pid_t pid;

    cr_assert_not_null(dir);
    snprintf(env, sizeof env, "%s/trial.env", dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/support/pw-trial' --up %s%s --env '%s' >/dev/null",
             pwt_builddir(), servers ? "--servers " : "", servers ? servers : "", env);
    cr_assert_eq(system(cmd), 0, "pw-trial --up returns once the trial is up");
    pid = (pid_t)atoi(env_value(env, "TRIAL_PID", text, sizeof text));
    cr_assert_eq(kill(pid, 0), 0, "the trial runs in the background");
    cr_assert_str_eq(env_value(env, "OPB_DOMAIN", text, sizeof text), "opb.example");
    cr_assert_str_eq(env_value(env, "OPA_SERVER", text, sizeof text), a_kind);
    cr_assert_str_eq(env_value(env, "OPB_SERVER", text, sizeof text), b_kind);
    env_value(env, "OPA_CDR_DIR", text, sizeof text);
    env_value(env, "TRIAL_DIR", trial_dir, sizeof trial_dir);
    cr_assert_gt(pwt_proc_find_cmdline(trial_dir, left, 4), 0, "the components run from the trial's dir");

    bob = login(env, "OPB", "bob@opb.example");
    cr_assert_eq(pwt_client_presence(bob, "away", "In a meeting", 5), PW_OK);
    pwt_client_run(bob, 500); /* his presence reaches his presence server */
    alice = login(env, "OPA", "alice@opa.example");
    r = pwt_client_iq(alice, "<iq type='set' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' "
                             "address='+12025550123' kind='current'/></iq>", 30000);
    cr_assert_not_null(r);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "an enquiry goes through");
    state = xmpp_stanza_get_child_by_name(xmpp_stanza_get_child_by_name(r, "enquiry"), "state");
    cr_assert_not_null(state, "the answer carries bob's state");
    cr_assert_str_eq(xmpp_stanza_get_attribute(state, "available"), "true");
    cr_assert_str_eq(xmpp_stanza_get_attribute(state, "show"), "away", "bob's own presence, from B's %s", b_kind);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);

    snprintf(cmd, sizeof cmd, "'%s/tests/support/pw-trial' --down --env '%s' >/dev/null", pwt_builddir(), env);
    cr_assert_eq(system(cmd), 0, "pw-trial --down");
    cr_assert_neq(kill(pid, 0), 0, "the trial process is gone");
    cr_assert_neq(access(env, F_OK), 0, "trial.env is removed");
    cr_assert_eq(pwt_proc_find_cmdline(trial_dir, left, 4), 0, "no component of the trial is left");
    pwt_rmtree(dir);
    free(dir);
}

Test(trial_cli, up_writes_trial_env_and_down_stops_everything, .timeout = 120)
{
    up_enquire_down(NULL, "prosody", "prosody");
}

Test(trial_cli, ejabberd_for_both_operators, .timeout = 120)
{
    up_enquire_down("ejabberd,ejabberd", "ejabberd", "ejabberd");
}

Test(trial_cli, prosody_for_a_and_ejabberd_for_b, .timeout = 120)
{
    up_enquire_down("prosody,ejabberd", "prosody", "ejabberd");
}

Test(trial_cli, ejabberd_for_a_and_prosody_for_b, .timeout = 120)
{
    up_enquire_down("ejabberd,prosody", "ejabberd", "prosody");
}

Test(trial_cli, an_unknown_server_kind_is_a_usage_error)
{
    char cmd[2 * PWT_PATH_MAX];
    int status;
    snprintf(cmd, sizeof cmd, "'%s/tests/support/pw-trial' --up --servers prosody,openfire 2>/dev/null",
             pwt_builddir());
    status = system(cmd);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 2, "exit 2: a usage error, nothing started");
}
