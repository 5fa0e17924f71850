/* test_wire.c: pwt-wire between two network namespaces: its delay and jitter, loss, link down and up, bad arguments. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pwt_proc.h"
#include "pwt_util.h"

#define A_IP "192.0.2.1"
#define B_IP "192.0.2.2"
#define ECHO_PORT 7
#define READY_MS 5000u
/* a connect through a working link: ARP and the handshake, at most 2 x (50 + 50) ms delayed */
#define CONNECT_MS 2000u
/* a connect through a link that drops everything: given up after this */
#define REFUSED_MS 1000u

/* What a test made, removed by teardown() even when an assertion ends the test early. */
static struct fixture {
    char ns[2][32];     /* the namespaces, "pwtnsa<pid>" and "pwtnsb<pid>" */
    char ifname[2][16]; /* the TAPs, "pwta<pid>" and "pwtb<pid>" */
    int made[2];
    char *dir; /* the wire's log */
    char log[PWT_PATH_MAX];
    pwt_proc_t *wire;
    int listener; /* in namespace b */
} fx = { .listener = -1 };

/* Run a shell command made from a format; its exit status, or -1. */
static int run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    int n, st;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd)
        return -1;
    st = system(cmd);
    return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether a path exists. */
static int path_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Whether `ip netns list` names ns. */
static int netns_listed(const char *ns)
{
    char line[256];
    FILE *p = popen("ip netns list 2>/dev/null", "r");
    int found = 0;

    cr_assert_not_null(p, "ip netns list");
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, " \n")] = '\0';
        if (strcmp(line, ns) == 0)
            found = 1;
    }
    pclose(p);
    return found;
}

/* Criterion .init: two fresh namespaces and a directory for the wire's log. */
static void setup(void)
{
    int pid = (int)getpid();
    for (int i = 0; i < 2; i++) {
        snprintf(fx.ns[i], sizeof fx.ns[i], "pwtns%c%d", 'a' + i, pid);
        snprintf(fx.ifname[i], sizeof fx.ifname[i], "pwt%c%d", 'a' + i, pid);
        cr_assert_eq(run("ip netns add %s", fx.ns[i]), 0, "ip netns add %s", fx.ns[i]);
        fx.made[i] = 1;
    }
    fx.dir = pwt_tmpdir("wire");
    cr_assert_not_null(fx.dir);
    cr_assert_eq(pwt_path_join(fx.log, fx.dir, "wire.log"), PW_OK);
}

/* Criterion .fini: stop the wire, remove the namespaces and the directory (each once). */
static void teardown(void)
{
    if (fx.listener >= 0)
        close(fx.listener);
    fx.listener = -1;
    pwt_proc_destroy(fx.wire);
    fx.wire = NULL;
    for (int i = 0; i < 2; i++) {
        if (fx.made[i])
            run("ip netns del %s 2>/dev/null", fx.ns[i]);
        fx.made[i] = 0;
    }
    pwt_rmtree(fx.dir);
    free(fx.dir);
    fx.dir = NULL;
}

/* The wire's log as a string (caller frees). */
static char *wire_log(void)
{
    FILE *f = fopen(fx.log, "r");
    char *buf = calloc(1, 65536);
    cr_assert_not_null(buf);
    if (f) {
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

/* Whether the wire's log holds text, waiting up to timeout_ms for it while the wire runs. */
static int wire_log_wait(const char *text, unsigned timeout_ms)
{
    uint64_t end = pwt_now_ms() + timeout_ms;
    for (;;) {
        char *log = wire_log();
        int found = strstr(log, text) != NULL;
        free(log);
        if (found || pwt_now_ms() >= end || !pwt_proc_alive(fx.wire))
            return found;
        pwt_sleep_ms(10);
    }
}

/* "NETNS:IFNAME" of side i. */
static const char *end_arg(int i, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%s", fx.ns[i], fx.ifname[i]);
    return buf;
}

/* Start pwt-wire between the namespaces with extra arguments (NULL-terminated), without waiting. */
static void wire_spawn(const char *a, const char *b, const char *const extra[])
{
    char path[PWT_PATH_MAX];
    char *argv[24];
    int n = 0;

    cr_assert_eq(pwt_path_join(path, pwt_builddir(), "tests/support/pwt-wire"), PW_OK);
    cr_assert(access(path, X_OK) == 0, "%s is not built (make check builds it)", path);
    argv[n++] = path;
    if (a) {
        argv[n++] = "--a";
        argv[n++] = (char *)a;
    }
    if (b) {
        argv[n++] = "--b";
        argv[n++] = (char *)b;
    }
    for (int i = 0; extra && extra[i]; i++) {
        cr_assert(n < 23);
        argv[n++] = (char *)extra[i];
    }
    argv[n] = NULL;
    cr_assert_eq(pwt_proc_start(&fx.wire, "pwt-wire", argv, NULL, fx.log), PW_OK);
}

/* A non-blocking TCP socket made inside namespace ns (the test thread goes in and comes back). */
static int ns_socket(const char *ns)
{
    char path[64];
    int home, nsfd, fd;

    home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert(home >= 0 && nsfd >= 0, "open the namespaces: %s", strerror(errno));
    cr_assert_eq(setns(nsfd, CLONE_NEWNET), 0, "setns %s: %s", ns, strerror(errno));
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    cr_assert_eq(setns(home, CLONE_NEWNET), 0, "setns back: %s", strerror(errno));
    close(nsfd);
    close(home);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    return fd;
}

/* Start the wire, wait until it is ready, give both sides their address, bring them up, listen in b. */
static void wire_up(const char *const extra[])
{
    char a[64], b[64];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
    int one = 1;

    wire_spawn(end_arg(0, a, sizeof a), end_arg(1, b, sizeof b), extra);
    if (!wire_log_wait("pwt-wire: ready\n", READY_MS))
        pwt_print_tail(fx.log, 20);
    cr_assert(pwt_proc_alive(fx.wire), "pwt-wire exited before it was ready");
    cr_assert(wire_log_wait("pwt-wire: ready\n", 0), "pwt-wire did not say it was ready");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(run("ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up && ip -n %s link set lo up",
                         fx.ns[i], i == 0 ? A_IP : B_IP, fx.ifname[i], fx.ns[i], fx.ifname[i], fx.ns[i]),
                     0, "configuring %s in %s", fx.ifname[i], fx.ns[i]);
    }
    fx.listener = ns_socket(fx.ns[1]); /* the echo server's */
    setsockopt(fx.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    inet_pton(AF_INET, B_IP, &sa.sin_addr);
    cr_assert_eq(bind(fx.listener, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s", strerror(errno));
    cr_assert_eq(listen(fx.listener, 8), 0);
}

/* Stop the wire (SIGTERM: status 0), check its stats lines, then that its TAPs are gone; its log (caller frees). */
static char *wire_stop(void)
{
    int st = pwt_proc_stop(fx.wire, 3000);
    char *log;

    pwt_proc_destroy(fx.wire);
    fx.wire = NULL;
    log = wire_log();
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pwt-wire stopped by SIGTERM exits 0 (status %d):\n%s", st,
              log);
    cr_assert_not_null(strstr(log, "pwt-wire: stats a>b forwarded="), "stats a>b on exit:\n%s", log);
    cr_assert_not_null(strstr(log, "pwt-wire: stats b>a forwarded="), "stats b>a on exit:\n%s", log);
    for (int i = 0; i < 2; i++)
        cr_assert_neq(run("ip -n %s link show %s >/dev/null 2>&1", fx.ns[i], fx.ifname[i]), 0,
                      "TAP %s gone with the wire", fx.ifname[i]);
    return log;
}

/* One count of a direction's stats line in the wire's log ("a>b", "lost"), or -1 when missing. */
static long stat_of(const char *log, const char *dir, const char *name)
{
    char key[32];
    const char *line, *at, *eol;

    snprintf(key, sizeof key, "pwt-wire: stats %s ", dir);
    line = strstr(log, key);
    if (!line)
        return -1;
    eol = strchr(line, '\n');
    snprintf(key, sizeof key, " %s=", name);
    at = strstr(line, key);
    if (!at || (eol && at > eol))
        return -1;
    return strtol(at + strlen(key), NULL, 10);
}

/* Remove both namespaces, checking that they are no longer listed. */
static void remove_namespaces(void)
{
    char path[64];
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(run("ip netns del %s", fx.ns[i]), 0, "ip netns del %s", fx.ns[i]);
        fx.made[i] = 0;
        snprintf(path, sizeof path, "/run/netns/%s", fx.ns[i]);
        cr_assert_not(path_exists(path), "%s left", path);
        cr_assert_not(netns_listed(fx.ns[i]), "%s still in ip netns list", fx.ns[i]);
    }
}

/* The end of every network test: the wire stopped (its checks), the namespaces removed. */
static void finish(void)
{
    free(wire_stop());
    if (fx.listener >= 0)
        close(fx.listener);
    fx.listener = -1;
    remove_namespaces();
}

/* A TCP connection from namespace a to the echo listener in b: 0 and both ends; -1 if it did not connect in time. */
static int tcp_connect(unsigned timeout_ms, int *client, int *server)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
    int fd = ns_socket(fx.ns[0]), err = 0, one = 1;
    socklen_t len = sizeof err;
    struct pollfd p;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    inet_pton(AF_INET, B_IP, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        cr_assert_eq(errno, EINPROGRESS, "connect: %s", strerror(errno));
    p = (struct pollfd){ fd, POLLOUT, 0 };
    if (poll(&p, 1, (int)timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        close(fd);
        return -1;
    }
    p = (struct pollfd){ fx.listener, POLLIN, 0 };
    cr_assert_eq(poll(&p, 1, (int)timeout_ms), 1, "the connection reached the listener");
    *server = accept4(fx.listener, NULL, NULL, SOCK_CLOEXEC);
    cr_assert_geq(*server, 0, "accept: %s", strerror(errno));
    setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *client = fd;
    return 0;
}

/* Read one byte from fd within timeout_ms. */
static void read_byte(int fd, unsigned timeout_ms, const char *what)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char c;
    cr_assert_eq(poll(&p, 1, (int)timeout_ms), 1, "%s: nothing came in %u ms", what, timeout_ms);
    cr_assert_eq(read(fd, &c, 1), 1, "%s: read", what);
}

/* One byte from a to b and back: the round trip in ms. */
static double round_trip(int client, int server)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(write(client, "x", 1), 1);
    read_byte(server, 2000, "a to b");
    cr_assert_eq(write(server, "x", 1), 1);
    read_byte(client, 2000, "b to a");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

/* Connect (asserting it works) and time n round trips; min and max in ms. */
static void measure(int n, double *min, double *max)
{
    int client, server;
    cr_assert_eq(tcp_connect(CONNECT_MS, &client, &server), 0, "a TCP connect from a to b through the wire");
    *min = 1e9;
    *max = 0;
    for (int i = 0; i < n; i++) {
        double rtt = round_trip(client, server);
        if (rtt < *min)
            *min = rtt;
        if (rtt > *max)
            *max = rtt;
    }
    close(client);
    close(server);
}

/* Whether a connect from a to b fails within REFUSED_MS. */
static int connect_fails(void)
{
    int client, server;
    if (tcp_connect(REFUSED_MS, &client, &server) != 0)
        return 1;
    close(client);
    close(server);
    return 0;
}

TestSuite(wire, .init = setup, .fini = teardown, .timeout = 30);

Test(wire, delay_and_jitter_bound_the_round_trip)
{
    static const char *const args[] = { "--delay-ms", "40", "--jitter-ms", "10", NULL };
    double min, max;

    wire_up(args);
    measure(8, &min, &max);
    cr_log_info("delay 40 ms, jitter 10 ms: TCP round trips %.1f to %.1f ms", min, max);
    cr_assert_geq(min, 60.0, "a round trip takes at least 2 x (40 - 10) ms: %.1f", min);
    cr_assert_lt(max, 200.0, "a round trip takes less than 200 ms: %.1f", max);
    finish();
}

Test(wire, no_delay_is_fast)
{
    static const char *const args[] = { "--delay-ms", "0", NULL };
    double min, max;

    wire_up(args);
    measure(8, &min, &max);
    cr_log_info("no delay: TCP round trips %.2f to %.2f ms", min, max);
    cr_assert_lt(max, 10.0, "without delay a round trip takes less than 10 ms: %.2f", max);
    finish();
}

Test(wire, loss_100_lets_nothing_through)
{
    static const char *const args[] = { "--loss", "100", NULL };
    char *log;

    wire_up(args);
    cr_assert(connect_fails(), "with --loss 100 a connect does not get through");
    log = wire_stop();
    cr_assert_eq(stat_of(log, "a>b", "forwarded"), 0, "nothing forwarded a>b:\n%s", log);
    cr_assert_gt(stat_of(log, "a>b", "lost"), 0, "a>b frames counted as lost:\n%s", log);
    free(log);
    remove_namespaces();
}

Test(wire, loss_0_lets_everything_through)
{
    static const char *const args[] = { "--loss", "0", "--seed", "7", NULL };
    double min, max;

    char *log;

    wire_up(args);
    measure(4, &min, &max);
    cr_log_info("loss 0: TCP round trips %.2f to %.2f ms", min, max);
    log = wire_stop();
    for (int i = 0; i < 2; i++) {
        const char *dir = i == 0 ? "a>b" : "b>a";
        cr_assert_gt(stat_of(log, dir, "forwarded"), 0, "frames forwarded %s:\n%s", dir, log);
        cr_assert_eq(stat_of(log, dir, "lost"), 0, "none lost %s:\n%s", dir, log);
        cr_assert_eq(stat_of(log, dir, "overflow"), 0, "no overflow %s:\n%s", dir, log);
    }
    free(log);
    remove_namespaces();
}

Test(wire, link_down_and_up)
{
    double min, max;

    wire_up(NULL);
    measure(1, &min, &max);
    cr_assert_eq(pwt_proc_signal(fx.wire, SIGUSR1), PW_OK);
    cr_assert(wire_log_wait("pwt-wire: link down\n", 2000), "pwt-wire says the link is down");
    cr_assert(connect_fails(), "after SIGUSR1 a connect does not get through");
    cr_assert_eq(pwt_proc_signal(fx.wire, SIGUSR2), PW_OK);
    cr_assert(wire_log_wait("pwt-wire: link up\n", 2000), "pwt-wire says the link is up");
    measure(2, &min, &max);
    cr_assert_eq(pwt_proc_signal(fx.wire, SIGHUP), PW_OK);
    measure(1, &min, &max);
    cr_assert(pwt_proc_alive(fx.wire), "SIGHUP is ignored");
    finish();
}

/* Run pwt-wire with bad arguments: it exits 1 at once and its message holds want. */
static void assert_refused(const char *a, const char *b, const char *const extra[], const char *want)
{
    int st = -1;
    char *log;
    FILE *f = fopen(fx.log, "w"); /* each run's message alone */

    if (f)
        fclose(f);
    wire_spawn(a, b, extra);
    cr_assert_eq(pwt_proc_wait(fx.wire, 3000, &st), PW_OK, "pwt-wire refusing %s exits", want);
    pwt_proc_destroy(fx.wire);
    fx.wire = NULL;
    log = wire_log();
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status 1 for %s (status %d): %s", want, st, log);
    cr_assert_not_null(strstr(log, want), "the message names %s: %s", want, log);
    cr_assert_null(strstr(log, "ready"), "not ready: %s", log);
    free(log);
}

Test(wire, bad_arguments_exit_1_naming_the_option)
{
    char a[64], b[64], none[64];
    static const char *const delay[] = { "--delay-ms", "forty", NULL };
    static const char *const neg[] = { "--jitter-ms", "-5", NULL };
    static const char *const loss[] = { "--loss", "101", NULL };
    static const char *const queue[] = { "--queue", "0", NULL };
    static const char *const seed[] = { "--seed", "", NULL };
    static const char *const unknown[] = { "--bogus", "1", NULL };
    static const char *const novalue[] = { "--delay-ms", NULL };

    end_arg(0, a, sizeof a);
    end_arg(1, b, sizeof b);
    assert_refused(a, b, delay, "--delay-ms");
    assert_refused(a, b, neg, "--jitter-ms");
    assert_refused(a, b, loss, "--loss");
    assert_refused(a, b, queue, "--queue");
    assert_refused(a, b, seed, "--seed");
    assert_refused(a, b, unknown, "--bogus");
    assert_refused(a, b, novalue, "--delay-ms");
    assert_refused(a, NULL, NULL, "--b");
    assert_refused("nocolon", b, NULL, "--a");
    assert_refused(a, "x:waytoolonginterfacename", NULL, "--b");
    /* errors: no such namespace (the TAP made in a goes with the program) */
    snprintf(none, sizeof none, "pwtnone%d:pwtx%d", (int)getpid(), (int)getpid());
    assert_refused(a, none, NULL, "--b: no network namespace 'pwtnone");
    cr_assert_neq(run("ip -n %s link show %s >/dev/null 2>&1", fx.ns[0], fx.ifname[0]), 0, "no TAP left in a");
    assert_refused(none, b, NULL, "--a: no network namespace 'pwtnone");
    remove_namespaces();
}
