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

Test(trial_cli, up_writes_trial_env_and_down_stops_everything, .timeout = 120)
{
    char *dir = pwt_tmpdir("trialcli"), env[PWT_PATH_MAX], cmd[3 * PWT_PATH_MAX], c2s[64], pw[64], pid_text[32];
    char host[64];
    pwt_client_t *alice = NULL;
    xmpp_stanza_t *r;
    pid_t pid;

    cr_assert_not_null(dir);
    snprintf(env, sizeof env, "%s/trial.env", dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/support/pw-trial' --up --env '%s' >/dev/null", pwt_builddir(), env);
    cr_assert_eq(system(cmd), 0, "pw-trial --up returns once the trial is up");
    env_value(env, "OPA_C2S", c2s, sizeof c2s);
    env_value(env, "PASSWORD", pw, sizeof pw);
    pid = (pid_t)atoi(env_value(env, "TRIAL_PID", pid_text, sizeof pid_text));
    cr_assert_eq(kill(pid, 0), 0, "the trial runs in the background");
    env_value(env, "OPB_DOMAIN", host, sizeof host);
    cr_assert_str_eq(host, "opb.example");
    env_value(env, "OPA_CDR_DIR", host, sizeof host);
    snprintf(host, sizeof host, "%.*s", (int)strcspn(c2s, ":"), c2s);
    cr_assert_eq(pwt_client_connect(&alice, "alice@opa.example", pw, host, atoi(strchr(c2s, ':') + 1), 5000),
                 PW_OK, "an XMPP client logs in with what trial.env says");
    r = pwt_client_iq(alice, "<iq type='set' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' "
                             "address='+12025550123' kind='current'/></iq>", 30000);
    cr_assert_not_null(r);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "an enquiry goes through");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
    snprintf(cmd, sizeof cmd, "'%s/tests/support/pw-trial' --down --env '%s' >/dev/null", pwt_builddir(), env);
    cr_assert_eq(system(cmd), 0, "pw-trial --down");
    cr_assert_neq(kill(pid, 0), 0, "the trial process is gone");
    cr_assert_neq(access(env, F_OK), 0, "trial.env is removed");
    pwt_rmtree(dir);
    free(dir);
}
