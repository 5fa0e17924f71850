/* trialenv.c: one trial per Criterion binary, shared with its test processes through an environment file. */
#include "pwt_trialenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pwt_trial.h"
#include "pwt_util.h"

/* The runner process owns the trial for the binary's lifetime (test code only). */
static pwt_trial_t *runner_trial;
static char runner_env[PWT_PATH_MAX];

void pwt_trialenv_up(void)
{
    pwt_trialenv_up_tls(0);
}

void pwt_trialenv_up_tls(int tls)
{
    const pwt_trial_opts_t o = { .tls = tls };
    pwt_trialenv_up_with(&o);
}

void pwt_trialenv_up_with(const pwt_trial_opts_t *opts)
{
    pwt_trial_opts_t o = *opts;
    char *dir = pwt_tmpdir("trialenv");

    if (!o.log_level)
        o.log_level = getenv("PWT_TRIAL_LOGLEVEL") ? getenv("PWT_TRIAL_LOGLEVEL") : "info";
    snprintf(runner_env, sizeof runner_env, "%s/trial.env", dir ? dir : "/nonexistent");
    free(dir);
    setenv("PWT_TRIAL_ENV", runner_env, 1);
    if (pwt_trial_start(&runner_trial, &o) != PW_OK) {
        fprintf(stderr, "pwt_trialenv: the trial did not come up\n");
        return;
    }
    if (pwt_trial_write_env(runner_trial, runner_env, getpid()) != PW_OK)
        fprintf(stderr, "pwt_trialenv: cannot write %s\n", runner_env);
}

void pwt_trialenv_down(void)
{
    char dir[PWT_PATH_MAX];
    pwt_trial_destroy(runner_trial);
    runner_trial = NULL;
    snprintf(dir, sizeof dir, "%s", runner_env);
    if (strrchr(dir, '/'))
        *strrchr(dir, '/') = '\0';
    if (dir[0])
        pwt_rmtree(dir);
}

const char *pwt_trialenv(const char *key)
{
    static char values[64][PWT_PATH_MAX];
    static char keys[64][64];
    static int loaded, n;
    const char *path = getenv("PWT_TRIAL_ENV");

    if (!loaded && path) {
        char line[PWT_PATH_MAX + 80];
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f) && n < 64) {
            char *eq = strchr(line, '=');
            if (line[0] == '#' || !eq)
                continue;
            *eq = '\0';
            eq[strcspn(eq + 1, "\n") + 1] = '\0';
            snprintf(keys[n], sizeof keys[n], "%.63s", line);
            snprintf(values[n], sizeof values[n], "%.1023s", eq + 1);
            n++;
        }
        if (f)
            fclose(f);
        loaded = f != NULL;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(keys[i], key) == 0)
            return values[i];
    }
    return NULL;
}

pw_status_t pwt_trialenv_login(const char *user, pwt_client_t **out)
{
    static const char *const opb_users[] = { "bob", "erin", "frank", "grace" };
    const char *op = "OPA", *c2s, *domain, *password;
    char key[16], host[64], jid[128];
    const char *colon;

    for (size_t i = 0; i < sizeof opb_users / sizeof opb_users[0]; i++) {
        if (strcmp(user, opb_users[i]) == 0)
            op = "OPB";
    }
    if (strcmp(user, "mallory") == 0) /* operator C's (pwt_trial_opts_t.third_operator) */
        op = "OPC";
    snprintf(key, sizeof key, "%s_C2S", op);
    c2s = pwt_trialenv(key);
    snprintf(key, sizeof key, "%s_DOMAIN", op);
    domain = pwt_trialenv(key);
    password = pwt_trialenv("PASSWORD");
    if (!c2s || !domain || !password || !(colon = strchr(c2s, ':')))
        return PW_ENOTFOUND;
    snprintf(host, sizeof host, "%.*s", (int)(colon - c2s), c2s);
    snprintf(jid, sizeof jid, "%s@%s", user, domain);
    if (pwt_trialenv("TRIAL_CA")) /* a TLS trial: STARTTLS, verifying the server */
        return pwt_client_connect_tls(out, jid, password, host, atoi(colon + 1),
                                      pwt_trialenv("TRIAL_CA"), 5000);
    return pwt_client_connect(out, jid, password, host, atoi(colon + 1), 5000);
}
