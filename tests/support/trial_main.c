/* trial_main.c: pw-trial, the two-operator trial as a command: one enquiry end to end, or stay up for any XMPP client. */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xmpp/pw_stanza.h"
#include "pwt_trial.h"
#include "pwt_util.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: pw-trial [--servers A,B] [--tls] [--netns] [--wan D,J,L] [--hss-only] [--keep]\n"
            "       pw-trial --up [--servers A,B] [--tls] [--netns] [--wan D,J,L] [--servers-only]\n"
            "                [--env FILE]\n"
            "       pw-trial --down [--env FILE]\n"
            "\n"
            "Without a mode: bring the two-operator trial up (dnsmasq, an XMPP server for opa.example\n"
            "on 127.0.0.2 and one for opb.example on 127.0.0.3, all ten components), make one enquiry\n"
            "as alice@opa.example about +12025550123 (bob@opb.example), print the steps and the\n"
            "answer, and stop everything.\n"
            "  --servers A,B  operator A's server, then B's: prosody, ejabberd, or ejabberd-cluster\n"
            "                 (two ejabberd nodes; default prosody,prosody)\n"
            "  --tls       TLS everywhere: a private CA certifies both operators (any servers); clients\n"
            "              must use STARTTLS, s2s is TLS with verified certificates; FILE names the CA\n"
            "              as TRIAL_CA\n"
            "  --netns     each operator on its own network: its server and components in its own\n"
            "              network namespace (A on 198.51.100.10, B on 203.0.113.10), joined through an\n"
            "              inter-operator namespace that holds the DNS server (198.51.100.65); only c2s\n"
            "              and s2s are reachable from outside an operator's network; implies --tls\n"
            "              (prosody or ejabberd, not ejabberd-cluster; needs root)\n"
            "  --wan D,J,L with --netns (implied): operator B's link is a WAN, each way D ms ± J ms\n"
            "              late and L %% of frames lost, e.g. --wan 40,10,1 (a userspace link,\n"
            "              tests/support/pwt-wire; PWT_TRIAL_WAN=D,J,L in the environment does the same)\n"
            "  --hss-only  only operator A's server and HSS; print an HSS lookup made by a client\n"
            "  --keep      keep the trial's directory (configs, logs, charge records) afterwards\n"
            "  --up        bring the trial up, write FILE (default ./trial.env), stay up in the background\n"
            "  --servers-only  with --up: dnsmasq and the two servers with their users, no component\n"
            "              (FILE says where components attach: OPA_COMPONENT, OPA_SECRET...)\n"
            "  --down      stop the trial described by FILE (default ./trial.env)\n"
            "Exit status: 0 success, 1 the trial failed, 2 usage error.\n");
}

static char *stanza_text(xmpp_stanza_t *s, xmpp_ctx_t *ctx)
{
    char *buf = NULL, *copy;
    size_t len = 0;
    if (xmpp_stanza_to_text(s, &buf, &len) != XMPP_EOK)
        return NULL;
    copy = strdup(buf);
    xmpp_free(ctx, buf);
    return copy;
}

/* Print the components' log lines written since 'since' (ISO time prefix), in time order. */
static void print_steps(pwt_trial_t *t, const char *since)
{
    static const char *const names[] = { "opa-watcher", "opa-proxy", "opb-gateway", "opb-hss",
                                         "opb-ps1", "opb-ps2", "opb-watcher", "opa-hss" };
    char cmd[8192];
    size_t o = (size_t)snprintf(cmd, sizeof cmd, "cat");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        pwt_component_t *c = pwt_trial_component(t, names[i]);
        if (c)
            o += (size_t)snprintf(cmd + o, sizeof cmd - o, " '%s'", pwt_component_log(c));
    }
    snprintf(cmd + o, sizeof cmd - o, " | awk '$1 >= \"%s\"' | sort -s -k1,1 | cut -c12-", since);
    printf("\nWhat the components did (their logs, in time order):\n");
    fflush(stdout);
    if (system(cmd) != 0)
        fprintf(stderr, "pw-trial: could not print the component logs\n");
}

static void now_iso(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + strlen(buf), cap - strlen(buf), ".%03ldZ", ts.tv_nsec / 1000000L);
}

static int demo_hss(pwt_trial_t *t)
{
    pwt_client_t *alice = NULL;
    xmpp_stanza_t *r;
    char *text;
    const char *q = "<iq type='get' to='hss.opa.example' id='lookup1'>"
                    "<lookup xmlns='urn:peerwatch:hss:0' msisdn='+447700900001'/></iq>";

    if (pwt_trial_login(t, "alice", &alice) != PW_OK) {
        fprintf(stderr, "pw-trial: alice could not log in\n");
        return 1;
    }
    printf("\nalice@opa.example asks the HSS:\n  %s\n", q);
    r = pwt_client_iq(alice, q, 5000);
    if (!r) {
        fprintf(stderr, "pw-trial: no answer from hss.opa.example\n");
        pwt_client_destroy(alice);
        return 1;
    }
    text = stanza_text(r, pwt_client_ctx(alice));
    printf("hss.opa.example answers:\n  %s\n", text ? text : "?");
    free(text);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
    return 0;
}

static int demo_enquiry(pwt_trial_t *t)
{
    pwt_client_t *alice = NULL, *bob = NULL;
    xmpp_stanza_t *r;
    char *text, since[40];
    int status = 1;
    const char *q = "<iq type='set' to='watcher.opa.example' id='e1'>"
                    "<enquiry xmlns='urn:peerwatch:0' address='+1 202 555 0123' kind='current'/></iq>";

    if (pwt_trial_login(t, "bob", &bob) != PW_OK || pwt_trial_login(t, "alice", &alice) != PW_OK) {
        fprintf(stderr, "pw-trial: the fixture users could not log in\n");
        goto done;
    }
    pwt_client_presence(bob, "away", "In a meeting", 5);
    pwt_client_run(bob, 500); /* let bob's presence reach his presence server */
    printf("\nbob@opb.example is online: away, \"In a meeting\".\n");
    printf("alice@opa.example asks her watcher about +1 202 555 0123:\n  %s\n", q);
    now_iso(since, sizeof since);
    r = pwt_client_iq(alice, q, 30000);
    if (!r) {
        fprintf(stderr, "pw-trial: no answer within 30 s\n");
        goto done;
    }
    print_steps(t, since);
    text = stanza_text(r, pwt_client_ctx(alice));
    printf("\nThe answer alice's client received:\n  %s\n", text ? text : "?");
    free(text);
    status = strcmp(xmpp_stanza_get_type(r), "result") == 0 ? 0 : 1;
    xmpp_stanza_release(r);
done:
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
    return status;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int signo)
{
    (void)signo;
    stop_requested = 1;
}

/* --up: a background process owns the trial until --down sends it SIGTERM. */
static int trial_up(const char *env_path, const pwt_trial_opts_t *opts)
{
    int ready[2];
    pid_t pid;
    char abs_env[PWT_PATH_MAX];

    if (env_path[0] == '/')
        snprintf(abs_env, sizeof abs_env, "%s", env_path);
    else if (getcwd(abs_env, sizeof abs_env))
        snprintf(abs_env + strlen(abs_env), sizeof abs_env - strlen(abs_env), "/%s", env_path);
    if (pipe(ready) != 0)
        return 1;
    pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        pwt_trial_t *t = NULL;
        pwt_trial_opts_t o = *opts;
        char ok = 0, log_path[PWT_PATH_MAX + 8];
        int fd;
        close(ready[0]);
        setsid();
        /* a daemon: let go of the caller's terminal or pipes, keep a log beside the env file */
        snprintf(log_path, sizeof log_path, "%s.log", abs_env);
        fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            close(fd);
        }
        signal(SIGTERM, on_stop);
        signal(SIGINT, on_stop);
        signal(SIGHUP, SIG_IGN);
        if (pwt_trial_start(&t, &o) == PW_OK && pwt_trial_write_env(t, abs_env, getpid()) == PW_OK)
            ok = 1;
        if (write(ready[1], &ok, 1) != 1 || !ok) {
            pwt_trial_destroy(t);
            _exit(1);
        }
        close(ready[1]);
        while (!stop_requested)
            pause();
        pwt_trial_destroy(t);
        unlink(abs_env);
        _exit(0);
    }
    close(ready[1]);
    {
        char ok = 0;
        if (read(ready[0], &ok, 1) != 1 || !ok) {
            fprintf(stderr, "pw-trial: the trial did not come up (see %s.log)\n", abs_env);
            waitpid(pid, NULL, 0);
            return 1;
        }
    }
    printf("pw-trial: up (pid %d); environment in %s, its log in %s.log; stop it with: "
           "tests/trial.sh --down --env %s\n", (int)pid, abs_env, abs_env, abs_env);
    return 0;
}

static int trial_down(const char *env_path)
{
    char line[PWT_PATH_MAX + 32];
    long pid = 0;
    FILE *f = fopen(env_path, "r");
    if (!f) {
        fprintf(stderr, "pw-trial: cannot read %s: %s\n", env_path, strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "TRIAL_PID=", 10) == 0)
            pid = strtol(line + 10, NULL, 10);
    }
    fclose(f);
    if (pid <= 1 || kill((pid_t)pid, SIGTERM) != 0) {
        fprintf(stderr, "pw-trial: no running trial with pid %ld\n", pid);
        return 1;
    }
    for (int i = 0; i < 600 && kill((pid_t)pid, 0) == 0; i++)
        pwt_sleep_ms(50);
    if (kill((pid_t)pid, 0) == 0) {
        fprintf(stderr, "pw-trial: pid %ld did not stop within 30 s\n", pid);
        return 1;
    }
    printf("pw-trial: stopped (pid %ld)\n", pid);
    return 0;
}

/* "--servers A,B": two server kinds into o->servers; 0 when the text is not two known kinds. */
static int parse_servers(const char *arg, pwt_trial_opts_t *o, char kinds[2][PWT_TRIAL_KIND_MAX])
{
    if (!pwt_trial_split_servers(arg, kinds))
        return 0;
    o->servers[0] = kinds[0];
    o->servers[1] = kinds[1];
    return pwt_trial_server_kind_ok(kinds[0]) && pwt_trial_server_kind_ok(kinds[1]);
}

int main(int argc, char **argv)
{
    const char *env = "trial.env";
    int up = 0, down = 0, hss_only = 0, keep = 0, status;
    pwt_trial_t *t = NULL;
    pwt_trial_opts_t o = { .verbose = 1 };
    char kinds[2][PWT_TRIAL_KIND_MAX];
    pwt_wan_t wan;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--servers") == 0 && i + 1 < argc) {
            if (!parse_servers(argv[++i], &o, kinds)) {
                fprintf(stderr, "pw-trial: --servers '%s': give operator A's server and B's, each "
                                "prosody, ejabberd or ejabberd-cluster, e.g. --servers prosody,ejabberd\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--up") == 0) up = 1;
        else if (strcmp(argv[i], "--down") == 0) down = 1;
        else if (strcmp(argv[i], "--hss-only") == 0) hss_only = 1;
        else if (strcmp(argv[i], "--tls") == 0) o.tls = 1;
        else if (strcmp(argv[i], "--netns") == 0) o.netns = 1;
        else if (strcmp(argv[i], "--wan") == 0 && i + 1 < argc) {
            if (!pwt_wan_parse(argv[++i], &wan)) {
                fprintf(stderr, "pw-trial: --wan '%s': give DELAY,JITTER,LOSS: milliseconds each way, "
                                "milliseconds (at most DELAY), percent of frames lost, e.g. --wan 40,10,1\n", argv[i]);
                return 2;
            }
            o.wan = &wan;
        }
        else if (strcmp(argv[i], "--servers-only") == 0) o.servers_only = 1;
        else if (strcmp(argv[i], "--keep") == 0) keep = 1;
        else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) env = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) { usage(stdout); return 0; }
        else { usage(stderr); return 2; }
    }
    if (up + down > 1 || (o.servers_only && !up)) {
        usage(stderr);
        return 2;
    }
    if (up)
        return trial_up(env, &o);
    if (down)
        return trial_down(env);
    o.hss_only = hss_only;
    if (pwt_trial_start(&t, &o) != PW_OK)
        return 1;
    status = hss_only ? demo_hss(t) : demo_enquiry(t);
    if (keep) {
        char path[PWT_PATH_MAX];
        snprintf(path, sizeof path, "%s", pwt_trial_dir(t));
        printf("\npw-trial: kept %s\n", path);
        pwt_trial_keep(t);
    }
    printf("\npw-trial: stopping everything\n");
    pwt_trial_destroy(t);
    return status;
}
