/* test_profanity.c: the Profanity console client, driven in tmux against a trial of its own, as a
 * person uses it: alice logs in, adds bob's number as a contact, sees bob's presence change,
 * and reads the answer to a chat she sends to the number (README "With a stock client"). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pwt_client.h"
#include "pwt_server.h"
#include "pwt_trial.h"
#include "pwt_util.h"

extern char **environ;

#define SCREEN_MAX 65536
#define CONTACT "+12025550123@watcher.opa.example"

/* The trial, the temporary home of alice's Profanity, and the tmux server that runs it. */
static struct {
    pwt_trial_t *trial;
    char *home;
    char socket[PWT_PATH_MAX];
    int tmux_pid;
} fx;

/* Run argv to its end; @return its exit status, or -1 when it could not run */
static int run(char *const argv[])
{
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What alice's Profanity shows now (the visible screen and its history). */
static const char *screen(char *buf, size_t cap)
{
    char cmd[PWT_PATH_MAX + 64];
    size_t n = 0;
    FILE *p;
    snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -p -J -S -200 -t alice", fx.socket);
    buf[0] = '\0';
    p = popen(cmd, "r");
    if (!p)
        return buf;
    n = fread(buf, 1, cap - 1, p);
    buf[n] = '\0';
    pclose(p);
    return buf;
}

/* Wait until the screen shows text; @return 1 when it did within timeout_ms */
static int shows(const char *text, unsigned timeout_ms)
{
    static char buf[SCREEN_MAX];
    uint64_t until = pwt_now_ms() + timeout_ms;
    do {
        if (strstr(screen(buf, sizeof buf), text))
            return 1;
        pwt_sleep_ms(100);
    } while (pwt_now_ms() < until);
    fprintf(stderr, "---- Profanity's screen, without \"%s\":\n%s\n----\n", text, buf);
    return 0;
}

/* alice types a line into Profanity. */
static void type_line(const char *line)
{
    char *const keys[] = { "tmux", "-S", fx.socket, "send-keys", "-t", "alice", "-l", (char *)line, NULL };
    char *const enter[] = { "tmux", "-S", fx.socket, "send-keys", "-t", "alice", "Enter", NULL };
    cr_assert_eq(run(keys), 0, "typed: %s", line);
    cr_assert_eq(run(enter), 0);
}

static void setup(void)
{
    pwt_trial_opts_t o = { .log_level = "info" };
    char path[PWT_PATH_MAX], cmd[3 * PWT_PATH_MAX], pid[32];
    const pwt_server_t *a;
    FILE *f;

    cr_assert_eq(pwt_trial_start(&fx.trial, &o), PW_OK, "the trial comes up");
    fx.home = pwt_tmpdir("profanity");
    cr_assert_not_null(fx.home);
    snprintf(path, sizeof path, "%s/.local/share/profanity", fx.home);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    cr_assert_eq(system(cmd), 0);
    /* alice's account, as a person sets it up: plain login on the trial's loopback server */
    a = pwt_trial_server(fx.trial, PWT_OPA);
    snprintf(path, sizeof path, "%s/.local/share/profanity/accounts", fx.home);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "[alice@opa.example]\nenabled=true\njid=alice@opa.example\nserver=%s\nport=%d\n"
               "password=%s\ntls.policy=disable\nresource=profanity\n",
            pwt_server_ip(a), pwt_server_c2s_port(a), PWT_TRIAL_PASSWORD);
    cr_assert_eq(fclose(f), 0);
    snprintf(fx.socket, sizeof fx.socket, "%s/tmux.sock", fx.home);
    snprintf(cmd, sizeof cmd, "env HOME='%s' profanity -a alice@opa.example", fx.home);
    {
        char *const argv[] = { "tmux", "-S", fx.socket, "-f", "/dev/null", "new-session", "-d", "-s", "alice",
                               "-x", "220", "-y", "50", cmd, NULL };
        cr_assert_eq(run(argv), 0, "tmux runs Profanity");
    }
    /* the tmux server is a daemon: remember its PID to stop it */
    snprintf(cmd, sizeof cmd, "tmux -S '%s' display-message -p '#{pid}'", fx.socket);
    f = popen(cmd, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(pid, sizeof pid, f));
    pclose(f);
    fx.tmux_pid = atoi(pid);
    cr_assert_gt(fx.tmux_pid, 1);
}

static void teardown(void)
{
    if (fx.tmux_pid > 1) {
        kill(fx.tmux_pid, SIGTERM); /* tmux ends Profanity with it */
        for (int i = 0; i < 50 && kill(fx.tmux_pid, 0) == 0; i++)
            pwt_sleep_ms(100);
        if (kill(fx.tmux_pid, 0) == 0)
            kill(fx.tmux_pid, SIGKILL);
        fx.tmux_pid = 0;
    }
    if (fx.home) {
        pwt_rmtree(fx.home);
        free(fx.home);
        fx.home = NULL;
    }
    pwt_trial_destroy(fx.trial);
    fx.trial = NULL;
}

TestSuite(profanity, .init = setup, .fini = teardown, .timeout = 150);

Test(profanity, alice_adds_a_number_and_sees_bob_change_in_her_client)
{
    pwt_client_t *bob = NULL;

    cr_assert(shows("alice@opa.example/profanity logged in successfully", 20000), "alice is logged in");
    cr_assert_eq(pwt_trial_login(fx.trial, "bob", &bob), PW_OK, "bob logs in");
    cr_assert_eq(pwt_client_presence(bob, NULL, NULL, 1), PW_OK);

    type_line("/roster add " CONTACT);
    type_line("/sub request " CONTACT);
    cr_assert(shows("Subscription received from " CONTACT, 15000), "bob approved alice long ago: subscribed");
    cr_assert(shows("++ " CONTACT " is online", 15000), "then bob's presence: online");

    cr_assert_eq(pwt_client_presence(bob, "away", "Walking the dog", 1), PW_OK);
    cr_assert(shows("++ " CONTACT " is away, \"Walking the dog\"", 15000), "bob's change, as Profanity prints it");

    /* a mistake people make: chatting with the number */
    type_line("/msg " CONTACT " are you there?");
    cr_assert(shows("Error from " CONTACT ": +1 202 555 0123 is a presence contact", 15000),
              "the chat is answered in words, not dropped");
    type_line("/quit");
    pwt_client_destroy(bob);
}
