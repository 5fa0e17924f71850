/* test_netns.c: the trial's networks alone (pwt_network_t of pwt_netns.h): made, reachable
 * from where they were made and between the operators, an operator's link taken down and up,
 * a WAN on B's link, and removed without trace, also when a harness was killed before it could clean up. Not
 * while a trial on separate networks runs (they would share the same addresses). */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/options.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "pwt_netns.h"
#include "pwt_util.h"

/* One test at a time: the networks of two would use the same addresses. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    criterion_options.jobs = 1;
}

TestSuite(networks, .timeout = 60);

/* Whether a namespace or a link of this name exists. */
static int ns_exists(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    return access(path, F_OK) == 0;
}

static int link_exists(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/sys/class/net/%s", name);
    return access(path, F_OK) == 0;
}

/* A TCP listener on ip, port in namespace which of net. */
static int listen_in(pwt_network_t *net, int which, const char *ip, int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int saved = pwt_netns_enter(pwt_network_ns(net, which)), fd, one = 1;
    cr_assert_geq(saved, 0);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind %s:%d: %s", ip, port, strerror(errno));
    cr_assert_eq(listen(fd, 8), 0);
    pwt_netns_leave(saved);
    return fd;
}

Test(networks, made_and_removed_without_trace)
{
    pwt_network_t *net = NULL;
    char name[16], root_link[16];
    int fd;

    cr_assert_eq(pwt_network_create(&net, NULL), PW_OK);
    snprintf(root_link, sizeof root_link, "pwt%dr", (int)getpid());
    for (int i = 0; i < 3; i++)
        cr_assert(ns_exists(pwt_netns_name(pwt_network_ns(net, i))));
    cr_assert(link_exists(root_link), "the link where the trial runs is %s", root_link);

    /* reachable from here, and from B through the inter-operator network; not when A's link is down */
    fd = listen_in(net, PWT_NET_OPA, pwt_network_ip(PWT_NET_OPA), 5222);
    cr_assert_eq(pwt_port_wait(pwt_network_ip(PWT_NET_OPA), 5222, 2000), 0, "A reachable from here");
    {
        int saved = pwt_netns_enter(pwt_network_ns(net, PWT_NET_OPB)), rc;
        rc = pwt_port_wait(pwt_network_ip(PWT_NET_OPA), 5222, 2000);
        pwt_netns_leave(saved);
        cr_assert_eq(rc, 0, "A reachable from B");
    }
    cr_assert_eq(pwt_network_link(net, PWT_NET_OPA, 0), PW_OK);
    cr_assert_neq(pwt_port_wait(pwt_network_ip(PWT_NET_OPA), 5222, 500), 0, "A's link is down");
    cr_assert_eq(pwt_network_link(net, PWT_NET_OPA, 1), PW_OK);
    cr_assert_eq(pwt_port_wait(pwt_network_ip(PWT_NET_OPA), 5222, 3000), 0, "A's link is up again");
    close(fd);

    snprintf(name, sizeof name, "%s", pwt_netns_name(pwt_network_ns(net, PWT_NET_OPA)));
    pwt_network_destroy(net);
    cr_assert_not(ns_exists(name), "%s removed", name);
    name[strlen(name) - 1] = 'b';
    cr_assert_not(ns_exists(name), "%s removed", name);
    name[strlen(name) - 1] = 'x';
    cr_assert_not(ns_exists(name), "%s removed", name);
    /* (its routes went with it; nothing is sent to those addresses now, it would leave the
     * machine by its default route) */
    cr_assert_not(link_exists(root_link), "%s removed", root_link);
}

Test(networks, leftovers_of_a_killed_harness_are_removed)
{
    pwt_network_t *net = NULL;
    char name[16];
    pid_t gone = fork();

    cr_assert_geq(gone, 0);
    if (gone == 0)
        _exit(0);
    cr_assert_eq(waitpid(gone, NULL, 0), gone); /* a PID that no process has now */
    snprintf(name, sizeof name, "pwt%da", (int)gone);
    pid_t orphan;
    int status = 0;

    /* as a harness killed before it could clean up leaves it, with a process still in it */
    cr_assert_eq(pwt_netns_ip(NULL, (const char *const[]){ "netns", "add", name, NULL }), PW_OK);
    cr_assert(ns_exists(name));
    orphan = fork();
    cr_assert_geq(orphan, 0);
    if (orphan == 0) {
        if (pwt_netns_enter_named(name) < 0)
            _exit(2);
        pause();
        _exit(3);
    }
    pwt_sleep_ms(200); /* it has entered the namespace */
    cr_assert_eq(pwt_network_create(&net, NULL), PW_OK);
    cr_assert_not(ns_exists(name), "the next harness removed %s", name);
    cr_assert_eq(waitpid(orphan, &status, 0), orphan);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "the process left in %s was stopped (status %#x)", name, status);
    pwt_network_destroy(net);
}

Test(networks, a_wan_on_b_link_delays_the_path_between_the_operators)
{
    const pwt_wan_t wan = { .delay_ms = 40, .jitter_ms = 10, .loss_percent = 0 };
    pwt_network_t *net = NULL;
    pwt_rtt_t a_to_b, a_to_transit;

    cr_assert_eq(pwt_network_create(&net, &wan), PW_OK);
    cr_assert_not_null(pwt_network_wan_log(net));
    cr_assert_eq(pwt_network_rtt(net, PWT_NET_OPA, PWT_NET_OPB, 20, &a_to_b), PW_OK);
    cr_assert_eq(pwt_network_rtt(net, PWT_NET_OPA, PWT_NET_TRANSIT, 20, &a_to_transit), PW_OK);
    cr_log_info("round trip A<->B p50 %.1f ms p99 %.1f ms; A<->inter-operator network p50 %.3f ms",
                a_to_b.p50_ms, a_to_b.p99_ms, a_to_transit.p50_ms);
    cr_assert_eq(a_to_b.count, 20);
    /* through the WAN both ways: at least 2 × (40 − 10) ms; A's own link is a veth */
    cr_assert_geq(a_to_b.p50_ms, 60.0, "A<->B p50 %.1f ms", a_to_b.p50_ms);
    cr_assert_lt(a_to_b.p50_ms, 150.0, "A<->B p50 %.1f ms", a_to_b.p50_ms);
    cr_assert_lt(a_to_transit.p50_ms, 20.0, "A's own link is not delayed (%.3f ms)", a_to_transit.p50_ms);
    pwt_network_destroy(net);
    cr_assert_null(pwt_network_wan_log(NULL));
}

Test(networks, wan_is_read_as_delay_jitter_loss)
{
    pwt_wan_t w;
    cr_assert(pwt_wan_parse("40,10,1", &w));
    cr_assert_eq(w.delay_ms, 40);
    cr_assert_eq(w.jitter_ms, 10);
    cr_assert_float_eq(w.loss_percent, 1.0, 1e-9);
    cr_assert(pwt_wan_parse("0,0,0.5", &w));
    cr_assert_not(pwt_wan_parse("40,50,1", &w), "jitter above the delay");
    cr_assert_not(pwt_wan_parse("40,10,101", &w));
    cr_assert_not(pwt_wan_parse("40,10", &w));
    cr_assert_not(pwt_wan_parse("40,10,1x", &w));
    cr_assert_not(pwt_wan_parse(NULL, &w));
}
