/* test_deploy.c: docs/operating.md followed literally for two operators on one machine: make
 * install into a staging root, each operator configured from the installed example files by the
 * guide's own shell blocks, keys from `peerwatch-peer keygen`, cards exchanged with card/import,
 * the DNS records of `peerwatch-peer dns` served by a real dnsmasq, the daemons started by their
 * installed units' ExecStart lines on private servers, then an enquiry across the operators
 * answered and counted in the figures the daemons serve on GET /metrics (the guide's Watch
 * section). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xmpp/pw_stanza.h"
#include "pwt_client.h"
#include "pwt_dns.h"
#include "pwt_proc.h"
#include "pwt_server.h"
#include "pwt_trial.h"
#include "pwt_util.h"

/* make install's directories (Makefile.am's AM_TESTS_ENVIRONMENT) */
static const char *install_dir(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v && v[0] == '/', "%s names make install's directory (run by make check)", name);
    return v;
}
#define PWT_INSTALL_BINDIR install_dir("PW_INSTALL_BINDIR")
#define PWT_INSTALL_SYSCONFDIR install_dir("PW_INSTALL_SYSCONFDIR")
#define PWT_INSTALL_UNITDIR install_dir("PW_INSTALL_UNITDIR")

#define ROLES 5
static const char *const roles[ROLES] = { "hss", "presence", "gateway", "proxy", "watcher" };

/* One operator as the guide sets it up. */
typedef struct op {
    int index;                 /* PWT_OPA or PWT_OPB */
    const char *domain;
    const char *prefix;        /* the number prefix it serves (its card) */
    const char *subscribers;   /* its users, from the trial's fixtures */
    char dir[PWT_PATH_MAX];    /* its host: the staging root's copy of /etc, its state, its files */
    char etc[PWT_PATH_MAX];
    int metrics_port;          /* the guide's METRICS_PORT: the watcher's; proxy +1 ... presence +4 */
    pwt_proc_t *daemon[ROLES];
} op_t;

static pwt_trial_t *trial;
static char *root;      /* the staging root of make install */
static op_t ops[2] = {
    { PWT_OPA, "opa.example", "+4477009", "conf/hss-opa.subscribers", "", "", 0, { NULL } },
    { PWT_OPB, "opb.example", "+1202555", "conf/hss-opb.subscribers", "", "", 0, { NULL } },
};
static int dns_port;
static pwt_dnsmasq_t *dns;

static void teardown(void)
{
    for (int o = 0; o < 2; o++) {
        for (int r = ROLES; r-- > 0;) {
            pwt_proc_destroy(ops[o].daemon[r]);
            ops[o].daemon[r] = NULL;
        }
    }
    pwt_dnsmasq_destroy(dns);
    dns = NULL;
    pwt_trial_destroy(trial);
    trial = NULL;
    if (root && !getenv("PWT_KEEP"))
        pwt_rmtree(root);
    free(root);
    root = NULL;
}

TestSuite(deploy, .fini = teardown, .timeout = 300);

/* Run a shell command line; @return its exit status (-1: it could not run) */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4 * PWT_PATH_MAX];
    va_list ap;
    int st;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    st = system(cmd);
    return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* The shell block of docs/operating.md marked <!-- deploy:STEP --> (malloc'd). */
static char *guide_block(const char *step)
{
    char path[PWT_PATH_MAX], line[1024], marker[128];
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    int state = 0; /* 0 looking for the marker, 1 for the fence, 2 inside */
    FILE *f;

    cr_assert_not_null(text);
    text[0] = '\0';
    cr_assert_eq(pwt_srcpath(path, sizeof path, "docs/operating.md"), PW_OK);
    f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    snprintf(marker, sizeof marker, "<!-- deploy:%s -->", step);
    while (fgets(line, sizeof line, f)) {
        if (state == 0 && strncmp(line, marker, strlen(marker)) == 0)
            state = 1;
        else if (state == 1 && strncmp(line, "```sh", 5) == 0)
            state = 2;
        else if (state == 2 && strncmp(line, "```", 3) == 0)
            break;
        else if (state == 2) {
            size_t n = strlen(line);
            if (len + n + 1 > cap) {
                cap = 2 * (len + n + 1);
                text = realloc(text, cap);
                cr_assert_not_null(text);
            }
            memcpy(text + len, line, n + 1);
            len += n;
        }
    }
    fclose(f);
    cr_assert_eq(state == 2 && len > 0, 1, "docs/operating.md has a shell block marked %s", marker);
    return text;
}

/* Run the guide's block STEP as operator o would: its variables block, then this machine's
 * values of those variables, then extra assignments, then the step; in o's directory. */
static void run_step(op_t *o, const char *step, const char *extra)
{
    char script[2 * PWT_PATH_MAX], log[2 * PWT_PATH_MAX];
    char *vars = guide_block("vars"), *body = guide_block(step);
    pwt_server_t *s = pwt_trial_server(trial, o->index);
    FILE *f;

    snprintf(script, sizeof script, "%s/step-%s.sh", o->dir, step);
    snprintf(log, sizeof log, "%s/step-%s.log", o->dir, step);
    f = fopen(script, "w");
    cr_assert_not_null(f);
    fprintf(f, "set -eu\n%s\n# this machine's values\n"
               "ETC='%s' DOMAIN='%s' SECRET='%s' SERVER='%s' PORT=%d STATE='%s/state'\n"
               "DNS=127.0.0.1:%d PREFIX='%s' XMPP_ADDRESS='%s' S2S_PORT=%d\n"
               "PATH='%s%s':\"$PATH\"\n%s\n# the guide's step %s\n%s",
            vars, o->etc, o->domain, pwt_server_secret(s), pwt_server_ip(s), pwt_server_component_port(s),
            o->dir, dns_port, o->prefix, pwt_server_ip(s), pwt_server_s2s_port(s), root,
            PWT_INSTALL_BINDIR, extra ? extra : "", step, body);
    fclose(f);
    free(vars);
    free(body);
    if (sh("cd '%s' && sh '%s' >'%s' 2>&1", o->dir, script, log) != 0) {
        pwt_print_tail(log, 40);
        cr_assert_fail("%s: the guide's step '%s' failed (script %s)", o->domain, step, script);
    }
}

/* Zone-file lines (peerwatch-peer dns) as dnsmasq lines: SRV, NAPTR and A records. */
static void zone_to_dnsmasq(const char *zone, FILE *out)
{
    char line[1024];
    FILE *f = fopen(zone, "r");
    cr_assert_not_null(f, "%s", zone);
    while (fgets(line, sizeof line, f)) {
        char *tok[16], *save = NULL, *p;
        int n = 0, t;
        if ((p = strchr(line, ';')))
            *p = '\0';
        for (p = strtok_r(line, " \t\r\n", &save); p && n < 16; p = strtok_r(NULL, " \t\r\n", &save))
            tok[n++] = p;
        if (n < 3 || line[0] == '$')
            continue;
        for (int i = 0; i < n; i++) { /* names without their final dot, strings unquoted */
            size_t l = strlen(tok[i]);
            if (l > 1 && tok[i][l - 1] == '.')
                tok[i][l - 1] = '\0';
            if (l > 1 && tok[i][0] == '"' && tok[i][strlen(tok[i]) - 1] == '"') {
                tok[i][strlen(tok[i]) - 1] = '\0';
                tok[i]++;
            }
        }
        for (t = 1; t < n && (strcmp(tok[t], "IN") == 0 || (tok[t][0] >= '0' && tok[t][0] <= '9')); t++)
            ;
        if (t + 5 <= n && strcmp(tok[t], "SRV") == 0)
            fprintf(out, "srv-host=%s,%s,%s,%s,%s\n", tok[0], tok[t + 4], tok[t + 3], tok[t + 1], tok[t + 2]);
        else if (t + 6 <= n && strcmp(tok[t], "NAPTR") == 0)
            fprintf(out, "naptr-record=%s,%s,%s,%s,%s,%s%s%s\n", tok[0], tok[t + 1], tok[t + 2], tok[t + 3],
                    tok[t + 4], tok[t + 5], t + 6 < n ? "," : "", t + 6 < n ? tok[t + 6] : "");
        else if (t + 2 <= n && strcmp(tok[t], "A") == 0)
            fprintf(out, "host-record=%s,%s\n", tok[0], tok[t + 1]);
    }
    fclose(f);
}

/* Each operator's published records, served by the test's own DNS server on dns_port. */
static void serve_published_records(void)
{
    char conf[PWT_PATH_MAX], zone[PWT_PATH_MAX];
    const char *vars[] = { NULL };
    FILE *f;

    snprintf(conf, sizeof conf, "%s/published.conf", root);
    f = fopen(conf, "w");
    cr_assert_not_null(f);
    fprintf(f, "# the records both operators published (peerwatch-peer dns), as dnsmasq lines\n"
               "no-resolv\nno-hosts\nlog-queries\n");
    for (int o = 0; o < 2; o++) {
        snprintf(zone, sizeof zone, "%s/%s.zone", ops[o].dir, ops[o].domain);
        zone_to_dnsmasq(zone, f);
    }
    fclose(f);
    cr_assert_eq(pwt_dnsmasq_start_on(&dns, conf, vars, dns_port), PW_OK, "dnsmasq serves %s", conf);
}

/* The installed unit's ExecStart for role, its paths moved into the staging root and o's /etc,
 * split into argv (our units quote nothing); words holds the strings. */
static void unit_command(const op_t *o, const char *role, char words[][PWT_PATH_MAX], char *argv[], int max)
{
    char path[PWT_PATH_MAX], line[1024], *save = NULL, *p;
    char etc[PWT_PATH_MAX], bindir[PWT_PATH_MAX];
    int n = 0;
    FILE *f;

    snprintf(etc, sizeof etc, "%s/peerwatch", PWT_INSTALL_SYSCONFDIR);
    snprintf(bindir, sizeof bindir, "%s/", PWT_INSTALL_BINDIR);
    snprintf(path, sizeof path, "%s%s/peerwatch-%s.service", root, PWT_INSTALL_UNITDIR, role);
    f = fopen(path, "r");
    cr_assert_not_null(f, "the unit %s is installed", path);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "ExecStart=", 10) != 0)
            continue;
        for (p = strtok_r(line + 10, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
            cr_assert_lt(n + 1, max);
            if (strncmp(p, bindir, strlen(bindir)) == 0)
                snprintf(words[n], PWT_PATH_MAX, "%s%s", root, p);
            else if (strncmp(p, etc, strlen(etc)) == 0)
                snprintf(words[n], PWT_PATH_MAX, "%s%s", o->etc, p + strlen(etc));
            else
                snprintf(words[n], PWT_PATH_MAX, "%s", p);
            argv[n] = words[n];
            n++;
        }
    }
    fclose(f);
    argv[n] = NULL;
    cr_assert_gt(n, 0, "%s has an ExecStart line", path);
}

/* Start o's daemons as their units would, callees first; wait until each is online. */
static void start_daemons(op_t *o)
{
    for (int r = 0; r < ROLES; r++) {
        static char words[16][PWT_PATH_MAX];
        char log[PWT_PATH_MAX], name[32];
        char *argv[16];
        int online = 0;
        unit_command(o, roles[r], words, argv, 16);
        snprintf(log, sizeof log, "%s/%s.log", o->dir, roles[r]);
        snprintf(name, sizeof name, "%s-%s", o->domain, roles[r]);
        cr_assert_eq(pwt_proc_start(&o->daemon[r], name, argv, NULL, log), PW_OK, "%s starts", name);
        for (int i = 0; i < 200 && !online; i++) {
            online = sh("grep -q ' is online' '%s'", log) == 0;
            if (!online)
                pwt_sleep_ms(50);
        }
        if (!online)
            pwt_print_tail(log, 30);
        cr_assert(online, "%s came online (its log: %s)", name, log);
    }
}

/* Can a TCP port on 127.0.0.1 be bound now? */
static int port_free(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The first of n consecutive free TCP ports on 127.0.0.1 (the guide gives one per daemon). */
static int pick_ports(int n)
{
    for (int tries = 0; tries < 100; tries++) {
        int base = pwt_port_pick("127.0.0.1"), ok = base > 0 && base + n <= 65535;
        for (int i = 1; ok && i < n; i++)
            ok = port_free(base + i);
        if (ok)
            return base;
    }
    cr_assert_fail("no %d consecutive free ports on 127.0.0.1", n);
    return -1;
}

/* GET /metrics from 127.0.0.1:port, as a scraper would (HTTP/1.0: the server closes); the body,
 * malloc'd. */
static char *get_metrics(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct timeval tv = { .tv_sec = 5 };
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap), *body;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ssize_t n;

    cr_assert_not_null(buf);
    cr_assert_geq(fd, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "GET /metrics: connect to port %d: %s",
                 port, strerror(errno));
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    close(fd);
    buf[len] = '\0';
    cr_assert(strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0,
              "GET /metrics on port %d answers 200: %.200s", port, buf);
    body = strstr(buf, "\r\n\r\n");
    cr_assert_not_null(body);
    memmove(buf, body + 4, strlen(body + 4) + 1);
    return buf;
}

/* Does the exposition text hold this sample line exactly? */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p += n) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* Assert that daemon r of o serves line on GET /metrics. */
static void assert_figure(const op_t *o, int r, const char *line)
{
    static const int offset[ROLES] = { 3, 4, 2, 1, 0 }; /* roles[] against the guide's port order */
    char *text = get_metrics(o->metrics_port + offset[r]);
    if (!has_line(text, line))
        fprintf(stderr, "GET /metrics of %s's %s:\n%s\n", o->domain, roles[r], text);
    cr_expect(has_line(text, line), "%s's %s serves \"%s\"", o->domain, roles[r], line);
    free(text);
}

Test(deploy, two_operators_set_up_by_the_guide_answer_an_enquiry_across)
{
    pwt_trial_opts_t topts = { .log_level = "info", .servers_only = 1 };
    pwt_client_t *alice;
    xmpp_stanza_t *r;
    char extra[PWT_PATH_MAX + 32];

    /* 1. install, as an operator's host would have it */
    root = pwt_tmpdir("deploy");
    cr_assert_not_null(root);
    cr_assert_eq(sh("make -s -C '%s' install DESTDIR='%s' >'%s/install.log' 2>&1", pwt_builddir(), root, root), 0,
                 "make install DESTDIR=%s (log: %s/install.log)", root, root);
    /* the two operators' XMPP servers (users, rosters, s2s), nothing of ours yet */
    cr_assert_eq(pwt_trial_start(&trial, &topts), PW_OK);
    dns_port = pwt_port_pick_udp_tcp("127.0.0.1");
    cr_assert_gt(dns_port, 0);

    /* 2-4. each operator: its copy of the installed /etc, configured, checked, keyed, carded */
    for (int o = 0; o < 2; o++) {
        op_t *op = &ops[o];
        snprintf(op->dir, sizeof op->dir, "%s/%s", root, op->domain);
        snprintf(op->etc, sizeof op->etc, "%s/etc/peerwatch", op->dir);
        cr_assert_eq(sh("mkdir -p '%s/etc' && cp -a '%s%s/peerwatch' '%s/etc/' && cp '%s/%s' '%s/hss.subscribers'",
                        op->dir, root, PWT_INSTALL_SYSCONFDIR, op->dir, pwt_srcdir(), op->subscribers, op->etc),
                     0);
        run_step(op, "configure", NULL);
        run_step(op, "keygen", NULL);
        run_step(op, "card", NULL);
    }
    for (int o = 0; o < 2; o++) {
        snprintf(extra, sizeof extra, "PEER_CARD='%s/%s.card'", ops[1 - o].dir, ops[1 - o].domain);
        run_step(&ops[o], "import", extra);
        run_step(&ops[o], "import", extra); /* again: idempotent */
        run_step(&ops[o], "check", NULL);
        run_step(&ops[o], "dns", NULL);
        /* 7. Watch: GET /metrics on the loopback, one port per daemon (read at start) */
        ops[o].metrics_port = pick_ports(ROLES);
        snprintf(extra, sizeof extra, "METRICS_PORT=%d", ops[o].metrics_port);
        run_step(&ops[o], "metrics", extra);
    }
    /* 5. what they published, on a real DNS server the proxies ask */
    serve_published_records();

    /* 6. start, as the units do */
    for (int o = 0; o < 2; o++)
        start_daemons(&ops[o]);

    /* an enquiry from alice (opa.example) about bob's number (opb.example) */
    cr_assert_eq(pwt_trial_login(trial, "alice", &alice), PW_OK);
    r = pwt_client_iq(alice, "<iq type='set' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' "
                             "address='+12025550123' kind='current'/></iq>", 20000);
    cr_assert_not_null(r, "an answer");
    if (strcmp(xmpp_stanza_get_type(r), "result") != 0) {
        char text[256] = "";
        pw_stanza_error_parse(r, text, sizeof text);
        for (int o = 0; o < 2; o++)
            for (int k = 0; k < ROLES; k++) {
                char log[PWT_PATH_MAX];
                snprintf(log, sizeof log, "%s/%s.log", ops[o].dir, roles[k]);
                pwt_print_tail(log, 15);
            }
        cr_assert_fail("the enquiry across the operators was refused: %s", text);
    }
    cr_assert_not_null(xmpp_stanza_get_child_by_name(xmpp_stanza_get_children(r), "state"),
                       "the answer carries bob's state");
    xmpp_stanza_release(r);
    /* and one refused at once: a kind the service does not know */
    r = pwt_client_iq(alice, "<iq type='set' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' "
                             "address='+12025550123' kind='sometimes'/></iq>", 20000);
    cr_assert(r && strcmp(xmpp_stanza_get_type(r), "error") == 0, "an unknown kind is refused");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);

    /* 7. Watch: the enquiry in the figures of the daemons it went through */
    assert_figure(&ops[0], 4, "peerwatch_up{program=\"peerwatch-watcher\"} 1");
    assert_figure(&ops[0], 4, "peerwatch_enquiries_total{kind=\"current\",outcome=\"answered\"} 1");
    assert_figure(&ops[0], 4, "peerwatch_enquiry_seconds_count{kind=\"current\"} 1");
    assert_figure(&ops[0], 4, "peerwatch_enquiries_total{kind=\"invalid\",outcome=\"bad-request\"} 1");
    assert_figure(&ops[0], 4, "peerwatch_charge_records_written_total 1");
    assert_figure(&ops[0], 3, "peerwatch_enquiries_total{kind=\"current\",outcome=\"answered\"} 1");
    assert_figure(&ops[1], 2, "peerwatch_up{program=\"peerwatch-gateway\"} 1");
    assert_figure(&ops[1], 2, "peerwatch_enquiries_total{kind=\"current\",outcome=\"answered\"} 1");
    assert_figure(&ops[1], 1, "peerwatch_enquiries_total{kind=\"current\",outcome=\"answered\"} 1");
    assert_figure(&ops[1], 1, "peerwatch_charge_records_written_total 1");
    assert_figure(&ops[1], 0, "peerwatch_hss_lookups_total{outcome=\"answered\"} 1");
    /* and the guide's own command, where curl is installed */
    if (sh("command -v curl >/dev/null") == 0) {
        char log[PWT_PATH_MAX + 32];
        snprintf(extra, sizeof extra, "METRICS_PORT=%d", ops[0].metrics_port);
        run_step(&ops[0], "scrape", extra);
        snprintf(log, sizeof log, "%s/step-scrape.log", ops[0].dir);
        cr_expect_eq(sh("grep -qx 'peerwatch_enquiries_total{kind=\"current\",outcome=\"answered\"} 1' '%s'", log), 0,
                     "the guide's curl shows the enquiry (%s)", log);
    }
}
