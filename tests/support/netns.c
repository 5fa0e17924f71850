/* netns.c: Linux network namespaces for the harness and the trial's networks (see pwt_netns.h). */
#include "pwt_netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "core/pw_log.h"
#include "pwt_proc.h"
#include "pwt_util.h"

#ifndef PWT_IP
#define PWT_IP "ip"
#endif

#define NAME_MAX_LEN 15u /* IFNAMSIZ - 1: names double as interface names */
#define RUN_NETNS "/run/netns"

struct pwt_netns {
    char name[NAME_MAX_LEN + 1];
};

static int name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

/* Run ip(8) with the given arguments (at most 24), waiting for it. 0 when it exits 0. */
static int run_ip(const char *netns, const char *const args[])
{
    const char *argv[32];
    size_t argc = 0;
    int status = 0;
    pid_t pid;

    argv[argc++] = PWT_IP;
    if (netns) {
        argv[argc++] = "-n";
        argv[argc++] = netns;
    }
    for (size_t i = 0; args[i]; i++) {
        if (argc + 2 > sizeof argv / sizeof argv[0])
            return -1;
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

pw_status_t pwt_netns_ip(const pwt_netns_t *ns, const char *const args[])
{
    if (!args)
        return PW_EINVAL;
    return run_ip(ns ? ns->name : NULL, args) == 0 ? PW_OK : PW_EIO;
}

pw_status_t pwt_netns_create(pwt_netns_t **out, const char *name)
{
    pw_status_t st = PW_EINVAL;
    pwt_netns_t *ns = NULL;
    char path[sizeof RUN_NETNS + NAME_MAX_LEN + 2];

    if (!out || !name_ok(name))
        goto done;
    *out = NULL;
    snprintf(path, sizeof path, RUN_NETNS "/%s", name);
    st = PW_EEXIST;
    if (access(path, F_OK) == 0)
        goto done;
    st = PW_ENOMEM;
    ns = calloc(1, sizeof *ns);
    if (!ns)
        goto done;
    snprintf(ns->name, sizeof ns->name, "%s", name);
    st = PW_EIO;
    {
        const char *add[] = { "netns", "add", name, NULL };
        if (run_ip(NULL, add) != 0) {
            pw_error(NULL, "pwt: cannot make network namespace %s (ip netns add; root?)", name);
            free(ns);
            ns = NULL;
            goto done;
        }
    }
    {
        const char *lo[] = { "link", "set", "lo", "up", NULL };
        if (run_ip(name, lo) != 0)
            goto done;
    }
    *out = ns;
    ns = NULL;
    st = PW_OK;
done:
    pwt_netns_destroy(ns);
    return st;
}

const char *pwt_netns_name(const pwt_netns_t *ns)
{
    return ns ? ns->name : "";
}

int pwt_netns_here(void)
{
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        pw_error(NULL, "pwt: /proc/thread-self/ns/net: %s", strerror(errno));
    return fd;
}

int pwt_netns_enter_fd(int fd)
{
    int saved = pwt_netns_here();
    if (saved < 0 || fd < 0)
        return saved;
    if (setns(fd, CLONE_NEWNET) != 0) {
        pw_error(NULL, "pwt: setns: %s", strerror(errno));
        close(saved);
        return -1;
    }
    return saved;
}

int pwt_netns_enter_named(const char *name)
{
    char path[sizeof RUN_NETNS + NAME_MAX_LEN + 2];
    int fd, saved;

    if (!name_ok(name)) {
        pw_error(NULL, "pwt: no network namespace can be named '%s'", name ? name : "(null)");
        return -1;
    }
    snprintf(path, sizeof path, RUN_NETNS "/%s", name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pw_error(NULL, "pwt: %s: %s", path, strerror(errno));
        return -1;
    }
    saved = pwt_netns_enter_fd(fd);
    close(fd);
    return saved;
}

int pwt_netns_enter(const pwt_netns_t *ns)
{
    return ns ? pwt_netns_enter_named(ns->name) : pwt_netns_here();
}

void pwt_netns_leave(int saved)
{
    if (saved < 0)
        return;
    if (setns(saved, CLONE_NEWNET) != 0) /* cannot happen for a handle we held open */
        pw_error(NULL, "pwt: setns back: %s", strerror(errno));
    close(saved);
}

void pwt_netns_destroy(pwt_netns_t *ns)
{
    if (!ns)
        return;
    {
        const char *del[] = { "netns", "del", ns->name, NULL };
        if (run_ip(NULL, del) != 0)
            pw_error(NULL, "pwt: cannot remove network namespace %s", ns->name);
    }
    free(ns);
}

/* ------------------------------------------------------------------ the trial's networks */

/* The namespaces' name suffixes (PWT_NET_*) and the addresses (pwt_netns.h). 192.0.2.0/24 is
 * left alone: a machine's own network may use it (this one's does), and the trial's routes
 * where it is started must not shadow that. */
static const char ns_suffix[3] = { 'a', 'b', 'x' };
static const char *const op_ip[3] = { "198.51.100.10", "203.0.113.10", "198.51.100.65" };
static const char *const op_cidr[2] = { "198.51.100.10/26", "203.0.113.10/26" };
static const char *const transit_cidr[2] = { "198.51.100.1/26", "203.0.113.1/26" };
static const char *const transit_gw[2] = { "198.51.100.1", "203.0.113.1" };
static const char *const op_net[2] = { "198.51.100.0/26", "203.0.113.0/26" };
#define ROOT_CIDR "198.51.100.66/26"
#define TRANSIT_ROOT_CIDR "198.51.100.65/26"

#define WIRE_READY "pwt-wire: ready\n"
#define WIRE_READY_MS 5000u

struct pwt_network {
    int pid;                      /* in every name: pwt<PID>a, … */
    pwt_netns_t *ns[3];           /* PWT_NET_* */
    char root_link[NAME_MAX_LEN + 1];
    int root_link_made;
    pwt_proc_t *wire;             /* a WAN on B's link: the pwt-wire process, or NULL */
    char *wire_dir;               /* its temp dir, holding wire_log */
    char wire_log[PWT_PATH_MAX];
};

/* Stop (SIGKILL, by PID) every process in the namespace at path: what a harness that was
 * killed left there (e.g. dnsmasq, which drops the harness's parent-death signal when it
 * changes its credentials); it would keep the namespace and its links alive. */
static void kill_processes_in(const char *path)
{
    struct stat ns, other;
    DIR *d;
    struct dirent *e;

    if (stat(path, &ns) != 0 || !(d = opendir("/proc")))
        return;
    while ((e = readdir(d)) != NULL) {
        char link[64];
        long pid = strtol(e->d_name, NULL, 10);
        if (pid <= 0 || pid == (long)getpid())
            continue;
        snprintf(link, sizeof link, "/proc/%ld/ns/net", pid);
        if (stat(link, &other) == 0 && other.st_ino == ns.st_ino && other.st_dev == ns.st_dev) {
            pw_warn(NULL, "pwt: stopping process %ld left in %s", pid, path);
            kill((pid_t)pid, SIGKILL);
        }
    }
    closedir(d);
}

/* The PID in a name of the trial's networks, "pwt<PID>S" with S one character of suffixes (put
 * in *which); 0 for any other name. */
static long owner_pid(const char *name, const char *suffixes, char *which)
{
    char *end;
    long pid;
    if (strncmp(name, "pwt", 3) != 0 || !name_ok(name))
        return 0;
    pid = strtol(name + 3, &end, 10);
    if (end == name + 3 || pid <= 0 || !*end || end[1] || !strchr(suffixes, *end))
        return 0;
    *which = *end;
    return pid;
}

/* Whether process pid is gone. */
static int gone(long pid)
{
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Remove the links "pwt<PID>r" where the harness runs whose process is gone (their routes go
 * with them): left when something still held its transit namespace. */
static void sweep_root_links(void)
{
    DIR *d = opendir("/sys/class/net");
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char which;
        long pid = owner_pid(e->d_name, "r", &which);
        if (!pid || !gone(pid))
            continue;
        {
            const char *del[] = { "link", "del", e->d_name, NULL };
            pw_warn(NULL, "pwt: removing link %s left by process %ld", e->d_name, pid);
            (void)run_ip(NULL, del);
        }
    }
    closedir(d);
}

/* Remove the namespaces (and so their links) of harness processes that are gone. Another
 * live process's transit namespace means its networks hold the addresses: 0, named in
 * busy (NAME_MAX_LEN + 1 bytes). */
static int sweep_leftovers(char *busy)
{
    DIR *d = opendir(RUN_NETNS);
    struct dirent *e;
    int free_here = 1;

    if (!d)
        return 1;
    while ((e = readdir(d)) != NULL) {
        char which;
        long pid = owner_pid(e->d_name, "abx", &which);
        if (!pid)
            continue;
        if (!gone(pid)) { /* its owner lives */
            if (which == 'x' && pid != (long)getpid()) {
                snprintf(busy, NAME_MAX_LEN + 1, "%.15s", e->d_name);
                free_here = 0;
            }
            continue;
        }
        {
            const char *del[] = { "netns", "del", e->d_name, NULL };
            char path[sizeof RUN_NETNS + NAME_MAX_LEN + 2];
            snprintf(path, sizeof path, RUN_NETNS "/%.15s", e->d_name);
            pw_warn(NULL, "pwt: removing network namespace %s left by process %ld", e->d_name, pid);
            kill_processes_in(path);
            (void)run_ip(NULL, del);
        }
    }
    closedir(d);
    sweep_root_links();
    return free_here;
}

/* ip -n NS ARGS… with the arguments as a compound literal list. */
#define NS_IP(ns, ...) pwt_netns_ip((ns), (const char *const[]){ __VA_ARGS__, NULL })

int pwt_wan_parse(const char *text, pwt_wan_t *out)
{
    unsigned delay, jitter;
    double loss;
    int used = 0;

    if (!text || !out ||
        sscanf(text, "%u,%u,%lf%n", &delay, &jitter, &loss, &used) != 3 || text[used] != '\0' ||
        delay > 600000u || jitter > delay || !(loss >= 0.0 && loss <= 100.0))
        return 0;
    *out = (pwt_wan_t){ .delay_ms = delay, .jitter_ms = jitter, .loss_percent = loss };
    return 1;
}

/* Whether the file at path holds text. */
static int file_has(const char *path, const char *text)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* Operator B's link as a WAN: pwt-wire makes a TAP device in B's namespace (near) and one in
 * the transit namespace (far) and carries the frames between them as wan says. */
static pw_status_t start_wire(pwt_network_t *net, const pwt_wan_t *wan, const char *near,
                              const char *far)
{
    char prog[PWT_PATH_MAX], a[48], b[48], delay[16], jitter[16], loss[32];
    char *argv[] = { prog, "--a", a, "--b", b, "--delay-ms", delay, "--jitter-ms", jitter,
                     "--loss", loss, NULL };
    uint64_t deadline;
    pw_status_t st;

    snprintf(prog, sizeof prog, "%s/tests/support/pwt-wire", pwt_builddir());
    snprintf(a, sizeof a, "%s:%s", pwt_netns_name(net->ns[PWT_NET_OPB]), near);
    snprintf(b, sizeof b, "%s:%s", pwt_netns_name(net->ns[PWT_NET_TRANSIT]), far);
    snprintf(delay, sizeof delay, "%u", wan->delay_ms);
    snprintf(jitter, sizeof jitter, "%u", wan->jitter_ms);
    snprintf(loss, sizeof loss, "%g", wan->loss_percent);
    if (!(net->wire_dir = pwt_tmpdir("wire")) ||
        (st = pwt_path_join(net->wire_log, net->wire_dir, "pwt-wire.log")) != PW_OK)
        return PW_EIO;
    if ((st = pwt_proc_start(&net->wire, "pwt-wire", argv, NULL, net->wire_log)) != PW_OK)
        return st;
    for (deadline = pwt_now_ms() + WIRE_READY_MS; pwt_now_ms() < deadline; pwt_sleep_ms(10)) {
        if (file_has(net->wire_log, WIRE_READY))
            return PW_OK;
        if (!pwt_proc_alive(net->wire))
            break;
    }
    pw_error(NULL, "pwt: pwt-wire did not make operator B's link (%s):", net->wire_log);
    pwt_print_tail(net->wire_log, 10);
    return PW_EIO;
}

/* A veth pair from the transit namespace (end "pwt<PID><a|b|r>x") to ns (end "pwt<PID><a|b|r>")
 * or, for ns NULL, to where the harness runs. */
static pw_status_t make_link(pwt_network_t *net, pwt_netns_t *ns, char which, char *near,
                             char *far)
{
    const char *transit = pwt_netns_name(net->ns[PWT_NET_TRANSIT]);
    snprintf(near, NAME_MAX_LEN + 1, "pwt%d%c", net->pid, which);
    snprintf(far, NAME_MAX_LEN + 1, "pwt%d%cx", net->pid, which);
    if (strlen(far) > NAME_MAX_LEN)
        return PW_ERANGE;
    if (ns)
        return NS_IP(ns, "link", "add", near, "type", "veth", "peer", "name", far, "netns", transit);
    return NS_IP(NULL, "link", "add", near, "type", "veth", "peer", "name", far, "netns", transit);
}

pw_status_t pwt_network_create(pwt_network_t **out, const pwt_wan_t *wan)
{
    pw_status_t st = PW_ENOMEM;
    pwt_network_t *net = calloc(1, sizeof *net);
    char near[NAME_MAX_LEN + 1], far[NAME_MAX_LEN + 1], name[NAME_MAX_LEN + 1];
    pwt_netns_t *transit;

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (!net)
        goto done;
    net->pid = (int)getpid();
    if (!sweep_leftovers(name)) {
        pw_error(NULL, "pwt: another trial on separate networks is up (its inter-operator "
                       "namespace is %s, of a live process): one at a time, they use the same "
                       "addresses", name);
        st = PW_EEXIST;
        goto done;
    }
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "pwt%d%c", net->pid, ns_suffix[i]);
        if ((st = pwt_netns_create(&net->ns[i], name)) != PW_OK)
            goto done;
    }
    transit = net->ns[PWT_NET_TRANSIT];
    st = NS_IP(transit, "link", "set", "lo", "up"); /* (done by create; harmless) */
    /* forwarding between the links: a sysctl of the namespace, written from inside it */
    if (st == PW_OK) {
        int saved = pwt_netns_enter(transit);
        FILE *f = saved >= 0 ? fopen("/proc/sys/net/ipv4/ip_forward", "w") : NULL;
        if (!f || fputs("1\n", f) == EOF)
            st = PW_EIO;
        if (f && fclose(f) != 0)
            st = PW_EIO;
        pwt_netns_leave(saved);
        if (st != PW_OK)
            pw_error(NULL, "pwt: cannot enable forwarding in %s", pwt_netns_name(transit));
    }
    for (int op = 0; st == PW_OK && op < 2; op++) {
        pwt_netns_t *ns = net->ns[op];
        if (wan && op == PWT_NET_OPB) { /* the same names, made by pwt-wire */
            snprintf(near, sizeof near, "pwt%d%c", net->pid, ns_suffix[op]);
            snprintf(far, sizeof far, "pwt%d%cx", net->pid, ns_suffix[op]);
            st = start_wire(net, wan, near, far);
        } else {
            st = make_link(net, ns, ns_suffix[op], near, far);
        }
        if (st != PW_OK ||
            (st = NS_IP(ns, "addr", "add", op_cidr[op], "dev", near)) != PW_OK ||
            (st = NS_IP(ns, "link", "set", near, "up")) != PW_OK ||
            (st = NS_IP(transit, "addr", "add", transit_cidr[op], "dev", far)) != PW_OK ||
            (st = NS_IP(transit, "link", "set", far, "up")) != PW_OK ||
            (st = NS_IP(ns, "route", "add", "default", "via", transit_gw[op])) != PW_OK)
            break;
    }
    if (st == PW_OK && (st = make_link(net, NULL, 'r', near, far)) == PW_OK) {
        snprintf(net->root_link, sizeof net->root_link, "%s", near);
        net->root_link_made = 1;
        if ((st = NS_IP(NULL, "addr", "add", ROOT_CIDR, "dev", near)) == PW_OK &&
            (st = NS_IP(NULL, "link", "set", near, "up")) == PW_OK &&
            (st = NS_IP(transit, "addr", "add", TRANSIT_ROOT_CIDR, "dev", far)) == PW_OK &&
            (st = NS_IP(transit, "link", "set", far, "up")) == PW_OK) {
            for (int op = 0; st == PW_OK && op < 2; op++)
                st = NS_IP(NULL, "route", "add", op_net[op], "via", op_ip[PWT_NET_TRANSIT]);
        }
    }
    if (st != PW_OK)
        goto done;
    *out = net;
    net = NULL;
done:
    if (st != PW_OK && st != PW_EEXIST)
        pw_error(NULL, "pwt: cannot make the trial's networks (%s): are 198.51.100.0/26, "
                       "198.51.100.64/26 and 203.0.113.0/26 free here?", pw_strerror(st));
    pwt_network_destroy(net);
    return st;
}

pwt_netns_t *pwt_network_ns(const pwt_network_t *net, int which)
{
    return net && which >= 0 && which < 3 ? net->ns[which] : NULL;
}

const char *pwt_network_wan_log(const pwt_network_t *net)
{
    return net && net->wire ? net->wire_log : NULL;
}

const char *pwt_network_ip(int which)
{
    return which >= 0 && which < 3 ? op_ip[which] : NULL;
}

pw_status_t pwt_network_link(pwt_network_t *net, int op, int up)
{
    char far[NAME_MAX_LEN + 1];
    if (!net || (op != PWT_NET_OPA && op != PWT_NET_OPB))
        return PW_EINVAL;
    snprintf(far, sizeof far, "pwt%d%cx", net->pid, ns_suffix[op]);
    return NS_IP(net->ns[PWT_NET_TRANSIT], "link", "set", far, up ? "up" : "down");
}

pw_status_t pwt_network_partition(pwt_network_t *net, int cut)
{
    const char *verb = cut ? "add" : "del";
    pw_status_t st;
    if (!net)
        return PW_EINVAL;
    /* policy routing in the transit namespace: a blackhole rule each way */
    st = NS_IP(net->ns[PWT_NET_TRANSIT], "rule", verb, "from", op_net[0], "to", op_net[1], "blackhole");
    if (st == PW_OK)
        st = NS_IP(net->ns[PWT_NET_TRANSIT], "rule", verb, "from", op_net[1], "to", op_net[0], "blackhole");
    return st;
}

/* A TCP socket made inside namespace which of net, or -1. */
static int tcp_socket_in(const pwt_network_t *net, int which)
{
    int saved = pwt_netns_enter(pwt_network_ns(net, which)), fd;
    if (saved < 0)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pwt_netns_leave(saved);
    return fd;
}

/* No Nagle, and no read or accept that waits more than 5 s. */
static void tcp_quick(int fd)
{
    const struct timeval tv = { .tv_sec = 5 };
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* One byte there and back: written on c, read and written back on s, read again on c. */
static int echo_once(int c, int s)
{
    char b = 'x';
    return write(c, &b, 1) == 1 && read(s, &b, 1) == 1 && write(s, &b, 1) == 1 && read(c, &b, 1) == 1;
}

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

pw_status_t pwt_network_rtt(const pwt_network_t *net, int from, int to, unsigned count, pwt_rtt_t *out)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof sa;
    const char *ip = pwt_network_ip(to);
    int lfd = -1, c = -1, s = -1;
    pw_status_t rc = PW_EIO;
    double *ms;

    if (!net || !out || !ip || !pwt_network_ip(from) || count == 0 || count > 100000)
        return PW_EINVAL;
    if (!(ms = calloc(count, sizeof *ms)))
        return PW_ENOMEM;
    inet_pton(AF_INET, ip, &sa.sin_addr);
    if ((lfd = tcp_socket_in(net, to)) < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(lfd, 1) != 0 || getsockname(lfd, (struct sockaddr *)&sa, &len) != 0 ||
        (c = tcp_socket_in(net, from)) < 0 || connect(c, (struct sockaddr *)&sa, sizeof sa) != 0) {
        pw_error(NULL, "pwt: TCP round trip %s -> %s: %s", pwt_network_ip(from), ip, strerror(errno));
        goto out;
    }
    tcp_quick(lfd);
    if ((s = accept(lfd, NULL, NULL)) < 0) {
        pw_error(NULL, "pwt: TCP round trip %s -> %s: accept: %s", pwt_network_ip(from), ip, strerror(errno));
        goto out;
    }
    tcp_quick(c);
    tcp_quick(s);
    for (unsigned i = 0; i < count; i++) {
        double t0 = monotonic_ms();
        if (!echo_once(c, s)) {
            pw_error(NULL, "pwt: TCP round trip %s -> %s: echo %u of %u lost (%s)", pwt_network_ip(from), ip,
                     i + 1, count, strerror(errno));
            goto out;
        }
        ms[i] = monotonic_ms() - t0;
    }
    pwt_percentiles(ms, count, &out->p50_ms, &out->p99_ms);
    out->count = count;
    rc = PW_OK;
out:
    if (s >= 0)
        close(s);
    if (c >= 0)
        close(c);
    if (lfd >= 0)
        close(lfd);
    free(ms);
    return rc;
}

void pwt_network_destroy(pwt_network_t *net)
{
    if (!net)
        return;
    /* the root link's routes go with it; its far end with the transit namespace */
    if (net->root_link_made)
        (void)NS_IP(NULL, "link", "del", net->root_link);
    pwt_proc_destroy(net->wire); /* its TAPs go with it */
    if (net->wire_dir && !getenv("PWT_KEEP"))
        pwt_rmtree(net->wire_dir);
    free(net->wire_dir);
    for (int i = 0; i < 3; i++)
        pwt_netns_destroy(net->ns[i]);
    free(net);
}
