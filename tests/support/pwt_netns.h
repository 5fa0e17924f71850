/* pwt_netns.h: Linux network namespaces for the harness: named ones made and removed with ip(8), the calling thread moved in and out, and the trial's networks (each operator's, the inter-operator one, the link from where the trial runs). */
#ifndef PWT_NETNS_H
#define PWT_NETNS_H

#include "core/pw_status.h"

/*
 * How the harness places a process in a namespace: the calling thread enters it
 * (pwt_netns_enter()), starts the process (a child inherits the thread's namespace), and
 * leaves again. A socket stays in the namespace it was made in, so a test can also make a
 * socket "from" a namespace the same way. Servers and components remember the namespace they
 * were first started in and restart there (pwt_netns_here()).
 */

/** A named network namespace (/run/netns/NAME) the harness made. Opaque. */
typedef struct pwt_netns pwt_netns_t;

/**
 * Make a namespace with ip(8) ("ip netns add") and bring its loopback up.
 * @param out receives it (pwt_netns_destroy())
 * @param name its name: 1..15 bytes of [a-z0-9-]
 * @return PW_OK; PW_EINVAL for a bad name; PW_EEXIST if one of that name exists; PW_EIO when
 *         ip(8) fails (its message is on stderr; e.g. not root); PW_ENOMEM
 */
pw_status_t pwt_netns_create(pwt_netns_t **out, const char *name);

/** @return the namespace's name, or "" for NULL */
const char *pwt_netns_name(const pwt_netns_t *ns);

/**
 * Run ip(8) inside the namespace: "ip -n NAME ARGS…" (NULL ns: in the caller's own).
 * @param ns the namespace or NULL
 * @param args the arguments after "ip" (and "-n NAME"), NULL-terminated
 * @return PW_OK when ip exits 0; PW_EIO otherwise (its message is on stderr)
 */
pw_status_t pwt_netns_ip(const pwt_netns_t *ns, const char *const args[]);

/**
 * Move the calling thread into the namespace.
 * @param ns the namespace (NULL: stay, and return a handle that pwt_netns_leave() accepts)
 * @return a handle on the namespace the thread was in (≥ 0) for pwt_netns_leave(), or -1 on
 *         failure (logged; the thread has not moved)
 */
int pwt_netns_enter(const pwt_netns_t *ns);

/**
 * Like pwt_netns_enter(), by name (/run/netns/NAME), e.g. one that trial.env names.
 * @param name the namespace's name
 * @return as pwt_netns_enter()
 */
int pwt_netns_enter_named(const char *name);

/**
 * Move the calling thread back to where pwt_netns_enter() found it and release the handle.
 * @param saved what pwt_netns_enter() returned (-1: nothing happens)
 */
void pwt_netns_leave(int saved);

/**
 * A handle on the calling thread's present namespace, for pwt_netns_enter_fd().
 * @return an open file descriptor (the caller closes it), or -1 (logged)
 */
int pwt_netns_here(void);

/**
 * Like pwt_netns_enter(), by a handle from pwt_netns_here() (not taken over).
 * @param fd the handle (-1: stay)
 * @return as pwt_netns_enter()
 */
int pwt_netns_enter_fd(int fd);

/**
 * Remove the namespace ("ip netns del"); the links in it go with it once no process uses it.
 * NULL is fine.
 */
void pwt_netns_destroy(pwt_netns_t *ns);

/* ------------------------------------------------------------------ the trial's networks */

/**
 * The trial's networks (pw-trial --netns). Every address is from the documentation ranges
 * of RFC 5737, but not 192.0.2.0/24, which the machine's own network may use:
 *
 *   operator A's namespace            inter-operator namespace            operator B's namespace
 *   198.51.100.10/26 --- veth --- 198.51.100.1 | 203.0.113.1 --- veth --- 203.0.113.10/26
 *                                   198.51.100.65 (the DNS server)
 *                                         | veth
 *                    198.51.100.66/26 where the trial was started, with routes to
 *                    198.51.100.0/26 and 203.0.113.0/26 via 198.51.100.65
 *
 * Each operator's namespace routes everything else through the inter-operator one, which
 * forwards between its links. Names: "pwt<PID>a", "pwt<PID>b", "pwt<PID>x", and the link
 * where the trial was started "pwt<PID>r". Leftovers of a harness process that has gone
 * (killed before it could clean up) are removed when the next one is made.
 */
typedef struct pwt_network pwt_network_t;

/** Which namespace of the trial's networks (pwt_network_ns()). */
enum {
    PWT_NET_OPA = 0,    /**< operator A's: its XMPP server and every component */
    PWT_NET_OPB = 1,    /**< operator B's */
    PWT_NET_TRANSIT = 2 /**< the inter-operator network: the DNS server, the links */
};

/** A WAN on operator B's link (pwt_network_create()): each direction on its own. */
typedef struct pwt_wan {
    unsigned delay_ms;  /**< every frame is held this long … */
    unsigned jitter_ms; /**< … ± up to this (uniform; frames never overtake each other) */
    double loss_percent; /**< and this share of frames is lost (0..100) */
} pwt_wan_t;

/**
 * Read a WAN as pw-trial's --wan and PWT_TRIAL_WAN give it: "DELAY,JITTER,LOSS" (ms, ms,
 * percent), e.g. "40,10,1".
 * @param text the text
 * @param out receives the WAN
 * @return 1 when text is three such numbers (delay and jitter ≤ 600000, jitter ≤ delay, loss
 *         0..100), 0 otherwise
 */
int pwt_wan_parse(const char *text, pwt_wan_t *out);

/**
 * Make the namespaces and links above.
 * @param out receives it (pwt_network_destroy())
 * @param wan NULL: every link a veth pair; else operator B's link to the inter-operator
 *        network is a userspace link (tests/support/pwt-wire: two TAP devices) that delays and
 *        loses frames as wan says, in each direction (the kernel here may have no netem); so
 *        the path between the operators has about twice its delay as round-trip time
 * @return PW_OK; PW_EEXIST while another live process's networks are up (they use the same
 *         addresses: one at a time per machine); PW_EIO when a namespace or link cannot be
 *         made (everything made so far is removed again); PW_ENOMEM
 */
pw_status_t pwt_network_create(pwt_network_t **out, const pwt_wan_t *wan);

/**
 * @param net the networks
 * @return the log of operator B's WAN link (pwt-wire: "ready", "link down", and on the way out
 *         its counts per direction), or NULL without one
 */
const char *pwt_network_wan_log(const pwt_network_t *net);

/**
 * @param net the networks
 * @param which PWT_NET_OPA, PWT_NET_OPB or PWT_NET_TRANSIT
 * @return that namespace (owned by net), or NULL
 */
pwt_netns_t *pwt_network_ns(const pwt_network_t *net, int which);

/**
 * @param which PWT_NET_OPA or PWT_NET_OPB: the operator's address on its link, where its
 *        XMPP server takes c2s and s2s; PWT_NET_TRANSIT: the DNS server's address
 * @return a static string, or NULL
 */
const char *pwt_network_ip(int which);

/**
 * Take an operator's link to the inter-operator network down or up again (a cable pulled).
 * @param net the networks
 * @param op PWT_NET_OPA or PWT_NET_OPB
 * @param up 1: up, 0: down
 * @return PW_OK; PW_EINVAL; PW_EIO (ip(8) failed)
 */
pw_status_t pwt_network_link(pwt_network_t *net, int op, int up);

/**
 * Cut the path between the two operators, or heal it: the inter-operator network drops
 * (silently, as a WAN outage does) every packet from one operator's network to the other's,
 * while each stays reachable from where the trial runs and reaches the DNS server.
 * @param net the networks
 * @param cut 1: cut, 0: heal
 * @return PW_OK; PW_EINVAL; PW_EIO (ip(8) failed, e.g. cut twice)
 */
pw_status_t pwt_network_partition(pwt_network_t *net, int cut);

/** The round-trip time between two of the trial's namespaces (pwt_network_rtt()). */
typedef struct pwt_rtt {
    double p50_ms, p99_ms; /**< median and 99th percentile of the round trips, in ms */
    unsigned count;        /**< how many round trips were timed */
} pwt_rtt_t;

/**
 * Time the TCP round trip between two of the trial's namespaces directly, the floor under
 * anything that crosses that path: a listener made inside namespace to on its address
 * (pwt_network_ip(), a port the kernel picks), a client socket made inside namespace from,
 * then count one-byte echoes one after the other (TCP_NODELAY both ways; the echo is answered
 * on the calling thread, which is not timed apart: a few µs). With a WAN on B's link the A↔B
 * round trip is about twice its delay; a lost frame shows as a TCP retransmission (≥ 200 ms)
 * in p99.
 * @param net the networks
 * @param from PWT_NET_OPA, PWT_NET_OPB or PWT_NET_TRANSIT: where the client is
 * @param to the same set: where the listener is
 * @param count round trips to time (1..100000)
 * @param out receives the figures
 * @return PW_OK; PW_EINVAL; PW_EIO when a socket cannot be made, connected or an echo does not
 *         come back within 5 s (logged)
 */
pw_status_t pwt_network_rtt(const pwt_network_t *net, int from, int to, unsigned count, pwt_rtt_t *out);

/** Remove the namespaces and links. NULL is fine. */
void pwt_network_destroy(pwt_network_t *net);

#endif /* PWT_NETNS_H */
