/* test_federation_netns.c: each operator on its own network (pw-trial --netns): the chain works
 * across the inter-operator network, the DNS server is reachable from both operators, every
 * component runs inside its operator's namespace, only c2s and s2s answer from the other
 * operator's network (the networks alone: test_netns.c). */
#include "chain_util.h"

#include <criterion/hooks.h>
#include <criterion/options.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "pwt_netns.h"
#include "pwt_trial.h"
#include "pwt_util.h"

/* One trial on separate networks for the whole binary (TLS, as --netns implies). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    const pwt_trial_opts_t o = { .netns = 1 };
    (void)set;
    criterion_options.jobs = 1;
    pwt_trialenv_up_with(&o);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    pwt_trialenv_down();
}

TestSuite(federation_netns, .timeout = 120);

#define MAX_PORTS 64
#define SCAN_BATCH 400

/* A trial.env value that must be there. */
static const char *env(const char *key)
{
    const char *v = pwt_trialenv(key);
    cr_assert_not_null(v, "trial.env names %s (is the trial up? see the runner's output)", key);
    return v;
}

/* The TCP ports listening in the calling thread's namespace, and whether each listens on
 * loopback only (127.0.0.0/8 or ::1). */
static size_t listeners(int *ports, int *loopback_only, size_t max)
{
    static const char *const files[] = { "/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6" };
    size_t n = 0;

    for (size_t k = 0; k < 2; k++) {
        char line[512];
        FILE *f = fopen(files[k], "r");
        cr_assert_not_null(f, "%s readable", files[k]);
        while (fgets(line, sizeof line, f)) {
            char local[64];
            unsigned port, state;
            if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", local, &port, &state) != 3 ||
                state != 0x0A) /* TCP_LISTEN */
                continue;
            cr_assert_lt(n, max);
            ports[n] = (int)port;
            if (k == 0) /* IPv4 in host order as hex: 127.x.y.z ends in "7F" */
                loopback_only[n] = strlen(local) == 8 && strcasecmp(local + 6, "7F") == 0;
            else
                loopback_only[n] = strcmp(local, "00000000000000000000000001000000") == 0;
            n++;
        }
        fclose(f);
    }
    return n;
}

/* Every TCP port of ip that accepts a connection from namespace ns_name (a full scan). */
static size_t scan(const char *ns_name, const char *ip, int *open_ports, size_t max)
{
    int saved = pwt_netns_enter_named(ns_name);
    size_t n = 0;

    cr_assert_geq(saved, 0, "can enter %s", ns_name);
    for (int first = 1; first <= 65535; first += SCAN_BATCH) {
        struct pollfd pfd[SCAN_BATCH];
        int port_of[SCAN_BATCH], count = 0;
        uint64_t deadline = pwt_now_ms() + 2000;
        for (int port = first; port < first + SCAN_BATCH && port <= 65535; port++) {
            struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
            inet_pton(AF_INET, ip, &sa.sin_addr);
            if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
                close(fd); /* refused at once */
                continue;
            }
            pfd[count] = (struct pollfd){ .fd = fd, .events = POLLOUT };
            port_of[count++] = port;
        }
        for (int pending = count; pending > 0 && pwt_now_ms() < deadline;) {
            if (poll(pfd, (nfds_t)count, 100) <= 0)
                continue;
            pending = 0;
            for (int i = 0; i < count; i++) {
                int err = 0;
                socklen_t len = sizeof err;
                if (pfd[i].fd < 0)
                    continue;
                if (!pfd[i].revents) {
                    pending++;
                    continue;
                }
                getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err == 0) {
                    cr_assert_lt(n, max);
                    open_ports[n++] = port_of[i];
                }
                close(pfd[i].fd);
                pfd[i].fd = -1;
            }
        }
        for (int i = 0; i < count; i++) {
            cr_assert_lt(pfd[i].fd, 0, "%s:%d neither accepted nor refused within 2 s from %s", ip,
                         port_of[i], ns_name);
        }
    }
    pwt_netns_leave(saved);
    return n;
}

/* From the other operator's network, only op's c2s and s2s ports answer on op's address, and
 * whatever else listens in op's namespace (the component port, …) listens on loopback only. */
static void assert_only_c2s_and_s2s(const char *op, const char *other)
{
    char key[32], ip[64], ns_key[32];
    int c2s, s2s, open_ports[MAX_PORTS], ports[MAX_PORTS], loopback[MAX_PORTS], component;
    size_t n, nl;
    int saved;

    snprintf(key, sizeof key, "%s_C2S", op);
    c2s = chain_env_host_port(key, ip, sizeof ip);
    snprintf(key, sizeof key, "%s_COMPONENT", op);
    {
        char cip[64];
        component = chain_env_host_port(key, cip, sizeof cip);
        cr_assert(strncmp(cip, "127.", 4) == 0, "%s's component listener is on loopback (%s)", op, cip);
    }
    snprintf(ns_key, sizeof ns_key, "%s_NETNS", op);
    saved = pwt_netns_enter_named(env(ns_key));
    cr_assert_geq(saved, 0);
    nl = listeners(ports, loopback, MAX_PORTS);
    pwt_netns_leave(saved);
    s2s = -1;
    for (size_t i = 0; i < nl; i++) {
        if (!loopback[i] && ports[i] != c2s)
            s2s = ports[i]; /* the one other port reachable by design */
    }
    cr_assert_gt(s2s, 0, "%s's server listens for s2s off loopback", op);
    for (size_t i = 0; i < nl; i++) {
        cr_assert(loopback[i] || ports[i] == c2s || ports[i] == s2s,
                  "in %s's network, port %d listens beyond loopback", op, ports[i]);
        if (ports[i] == component)
            cr_assert(loopback[i], "%s's component port %d listens on loopback only", op, component);
    }
    cr_assert_geq(nl, 3, "%s's network has the server's c2s, s2s and component listeners", op);

    snprintf(ns_key, sizeof ns_key, "%s_NETNS", other);
    n = scan(env(ns_key), ip, open_ports, MAX_PORTS);
    cr_assert_eq(n, 2, "from %s's network exactly two ports of %s answer, not %zu", other, ip, n);
    cr_assert((open_ports[0] == c2s && open_ports[1] == s2s) ||
                  (open_ports[0] == s2s && open_ports[1] == c2s),
              "the two are c2s %d and s2s %d (got %d, %d)", c2s, s2s, open_ports[0], open_ports[1]);
}

Test(federation_netns, trial_env_names_each_network)
{
    char host[64];
    chain_env_host_port("OPA_C2S", host, sizeof host);
    cr_assert_str_eq(host, pwt_network_ip(PWT_NET_OPA), "A's clients connect on A's network");
    chain_env_host_port("OPB_C2S", host, sizeof host);
    cr_assert_str_eq(host, pwt_network_ip(PWT_NET_OPB));
    cr_assert(access(env("TRIAL_CA"), R_OK) == 0, "a separate-networks trial is a TLS trial");
    cr_assert_str_neq(env("OPA_NETNS"), env("OPB_NETNS"));
}

Test(federation_netns, every_component_runs_in_its_operators_network)
{
    static const char *const roles[] = { "HSS", "PS1", "GATEWAY", "PROXY", "WATCHER", "PS2" };
    static const char *const ops[] = { "OPA", "OPB" };

    for (size_t o = 0; o < 2; o++) {
        char key[32], path[64];
        struct stat want, got;
        snprintf(key, sizeof key, "%s_NETNS", ops[o]);
        snprintf(path, sizeof path, "/run/netns/%s", env(key));
        cr_assert_eq(stat(path, &want), 0, "%s exists", path);
        for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
            const char *pid;
            snprintf(key, sizeof key, "%s_%s_PID", ops[o], roles[r]);
            if (!(pid = pwt_trialenv(key)))
                continue; /* ps2: B only */
            snprintf(path, sizeof path, "/proc/%s/ns/net", pid);
            cr_assert_eq(stat(path, &got), 0, "%s runs (%s)", key, path);
            cr_assert_eq(got.st_ino, want.st_ino, "%s (pid %s) runs in %s's network", key, pid, ops[o]);
        }
    }
}

Test(federation_netns, dns_server_is_reachable_from_both_operators)
{
    char ip[64];
    int port = chain_env_host_port("DNS_SERVER", ip, sizeof ip);
    cr_assert_str_eq(ip, pwt_network_ip(PWT_NET_TRANSIT), "DNS is in the inter-operator network");
    for (int op = 0; op < 2; op++) {
        int saved = pwt_netns_enter_named(env(op == 0 ? "OPA_NETNS" : "OPB_NETNS"));
        int rc;
        cr_assert_geq(saved, 0);
        rc = pwt_port_wait(ip, port, 2000);
        pwt_netns_leave(saved);
        cr_assert_eq(rc, 0, "operator %c reaches the DNS server %s:%d", 'A' + op, ip, port);
    }
}

Test(federation_netns, enquiry_crosses_the_inter_operator_network)
{
    chain_assert_bob_seen_away(); /* clients log in over STARTTLS verifying TRIAL_CA */
}

Test(federation_netns, only_c2s_and_s2s_answer_from_the_other_network)
{
    assert_only_c2s_and_s2s("OPA", "OPB");
    assert_only_c2s_and_s2s("OPB", "OPA");
}
