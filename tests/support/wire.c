/* wire.c: pwt-wire, a userspace Ethernet link between two network namespaces with delay, jitter, loss and down/up. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage:
 *   pwt-wire --a NETNS:IFNAME --b NETNS:IFNAME [--delay-ms N] [--jitter-ms N]
 *            [--loss PERCENT] [--seed N] [--queue FRAMES]
 *
 * Creates the TAP device IFNAME in each named namespace (/run/netns/NETNS) and forwards every
 * Ethernet frame read from one to the other. Each direction on its own: a frame is dropped
 * with probability PERCENT/100, else released DELAY ± a uniform JITTER (milliseconds, never
 * below zero) after it was read, but never before the frame ahead of it (no reordering);
 * at most FRAMES wait per direction (default 10000), more are dropped. A --seed (default 1)
 * makes the losses and delays the same on every run.
 *
 * Addresses are the caller's: once "pwt-wire: ready" is printed (both TAPs exist), run
 * `ip -n NETNS addr add ... dev IFNAME; ip -n NETNS link set IFNAME up` on each side.
 *
 * Signals: SIGUSR1 takes the link down (every frame is dropped, the queued ones too; prints
 * "pwt-wire: link down"), SIGUSR2 brings it up again ("pwt-wire: link up"), SIGHUP is
 * ignored, SIGTERM and SIGINT end it with status 0. On the way out it prints one line per
 * direction: "pwt-wire: stats a>b forwarded=N lost=N down=N overflow=N failed=N" (lost: by
 * --loss; down: while the link was down; overflow: queue full; failed: the write was refused,
 * e.g. while the receiving interface is down). The TAPs go with the program.
 *
 * Exit status: 0 after SIGTERM/SIGINT; 1 on bad arguments or an error (said on stderr).
 */

#define WIRE_NAME "pwt-wire"
/** Largest frame a TAP hands over (its MTU may be raised well past 1500). */
#define WIRE_FRAME_MAX 65536
/** Frames read from one side before looking at the other and at the clock. */
#define WIRE_BATCH 64
#define WIRE_QUEUE_DEFAULT 10000
#define WIRE_QUEUE_MAX 1000000
#define WIRE_MS_MAX 600000
#define NS_PER_MS 1000000ull

/* Set by the signal handlers, read by the loop: the only globals. */
static volatile sig_atomic_t g_stop;      /* SIGTERM or SIGINT came */
static volatile sig_atomic_t g_down;      /* 1 after SIGUSR1, 0 after SIGUSR2 */
static volatile sig_atomic_t g_down_seen; /* SIGUSR1s so far (a down and up between two looks still purges) */

/** One side of the link: where its TAP lives. */
typedef struct {
    char netns[NAME_MAX + 1];
    char ifname[IFNAMSIZ];
} wire_end_t;

/** The command line. */
typedef struct {
    wire_end_t end[2];
    uint64_t delay_ns;
    uint64_t jitter_ns;
    double loss; /* percent, 0..100 */
    uint64_t seed;
    size_t queue;
} wire_opts_t;

/** A frame waiting for its release time. */
typedef struct {
    unsigned char *data;
    size_t len;
    uint64_t release_ns;
} wire_frame_t;

/** One direction: its FIFO of frames, its random stream and its counts. */
typedef struct {
    const char *name; /* "a>b" */
    int in_fd;
    int out_fd;
    wire_frame_t *ring;
    size_t cap;
    size_t head;
    size_t count;
    uint64_t last_release_ns;
    uint64_t rng;
    uint64_t forwarded, lost, down, overflow, failed;
} wire_dir_t;

/**
 * The signal handler: sets the flags the loop reads.
 * @param sig the signal
 */
static void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        g_down = 1;
        g_down_seen = g_down_seen + 1;
    } else if (sig == SIGUSR2) {
        g_down = 0;
    } else {
        g_stop = 1;
    }
}

/**
 * splitmix64: the next number of a stream.
 * @param state the stream's state (advanced)
 * @return 64 random bits
 */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/**
 * @param state a random stream
 * @return a uniform double in [0, 1)
 */
static double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/** @return CLOCK_MONOTONIC in nanoseconds */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * Print the usage to a stream.
 * @param f the stream
 */
static void usage(FILE *f)
{
    fprintf(f, "usage: " WIRE_NAME " --a NETNS:IFNAME --b NETNS:IFNAME [--delay-ms N] [--jitter-ms N]\n"
               "                [--loss PERCENT] [--seed N] [--queue FRAMES]\n"
               "A userspace Ethernet link between TAP devices in two network namespaces.\n"
               "SIGUSR1: link down; SIGUSR2: link up; SIGTERM/SIGINT: exit 0 (prints the stats).\n");
}

/**
 * Parse a whole decimal number within bounds.
 * @param opt the option, for the message
 * @param s the text
 * @param max largest value accepted
 * @param out receives the value
 * @return 0; -1 with a message naming the option
 */
static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9') {
        fprintf(stderr, WIRE_NAME ": %s: '%s' is not a whole number\n", opt, s ? s : "");
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0') {
        fprintf(stderr, WIRE_NAME ": %s: '%s' is not a whole number\n", opt, s);
        return -1;
    }
    if (errno == ERANGE || v > max) {
        fprintf(stderr, WIRE_NAME ": %s: %s is more than %" PRIu64 "\n", opt, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

/**
 * Parse a loss percentage, 0 to 100.
 * @param opt the option, for the message
 * @param s the text
 * @param out receives the percentage
 * @return 0; -1 with a message naming the option
 */
static int parse_percent(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v) || v < 0.0 || v > 100.0) {
        fprintf(stderr, WIRE_NAME ": %s: '%s' is not a percentage from 0 to 100\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

/**
 * Parse NETNS:IFNAME.
 * @param opt the option, for the message
 * @param s the text
 * @param end receives the namespace and the interface name
 * @return 0; -1 with a message naming the option
 */
static int parse_end(const char *opt, const char *s, wire_end_t *end)
{
    const char *colon = strrchr(s, ':');
    size_t nslen = colon ? (size_t)(colon - s) : 0;
    const char *ifname = colon ? colon + 1 : "";
    size_t iflen = strlen(ifname);

    if (!colon || nslen == 0 || iflen == 0) {
        fprintf(stderr, WIRE_NAME ": %s: '%s' is not NETNS:IFNAME\n", opt, s);
        return -1;
    }
    if (nslen > NAME_MAX || memchr(s, '/', nslen) || (nslen == 1 && s[0] == '.') || (nslen == 2 && s[0] == '.' && s[1] == '.')) {
        fprintf(stderr, WIRE_NAME ": %s: '%.*s' is no namespace name\n", opt, (int)nslen, s);
        return -1;
    }
    if (iflen >= IFNAMSIZ || strpbrk(ifname, "/: \t\n") || !strcmp(ifname, ".") || !strcmp(ifname, "..")) {
        fprintf(stderr, WIRE_NAME ": %s: '%s' is no interface name (1 to %d characters, no '/', ':' or blanks)\n",
                opt, ifname, IFNAMSIZ - 1);
        return -1;
    }
    memcpy(end->netns, s, nslen);
    end->netns[nslen] = '\0';
    memcpy(end->ifname, ifname, iflen + 1);
    return 0;
}

/**
 * Parse the command line. Options take their value as the next argument or after '='.
 * @param argc as main's
 * @param argv as main's
 * @param o receives the options
 * @return 0; 1 when --help was asked (usage printed); -1 with a message naming the option
 */
static int parse_args(int argc, char *const argv[], wire_opts_t *o)
{
    int have[2] = { 0, 0 };
    uint64_t v;

    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->queue = WIRE_QUEUE_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        const char *eq;
        char name[32];

        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, WIRE_NAME ": '%s': unexpected argument (options start with --)\n", arg);
            return -1;
        }
        eq = strchr(arg, '=');
        if (eq) {
            if ((size_t)(eq - arg) >= sizeof name) {
                fprintf(stderr, WIRE_NAME ": %s: unknown option\n", arg);
                return -1;
            }
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            val = eq + 1;
        } else {
            if (strlen(arg) >= sizeof name) {
                fprintf(stderr, WIRE_NAME ": %s: unknown option\n", arg);
                return -1;
            }
            strcpy(name, arg);
        }
        if (strcmp(name, "--a") && strcmp(name, "--b") && strcmp(name, "--delay-ms") &&
            strcmp(name, "--jitter-ms") && strcmp(name, "--loss") && strcmp(name, "--seed") &&
            strcmp(name, "--queue")) {
            fprintf(stderr, WIRE_NAME ": %s: unknown option (see --help)\n", name);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, WIRE_NAME ": %s: needs a value\n", name);
                return -1;
            }
            val = argv[++i];
        }
        if (!strcmp(name, "--a") || !strcmp(name, "--b")) {
            int side = name[2] == 'b';
            if (parse_end(name, val, &o->end[side]) != 0)
                return -1;
            have[side] = 1;
        } else if (!strcmp(name, "--delay-ms") || !strcmp(name, "--jitter-ms")) {
            if (parse_u64(name, val, WIRE_MS_MAX, &v) != 0)
                return -1;
            if (name[2] == 'd')
                o->delay_ns = v * NS_PER_MS;
            else
                o->jitter_ns = v * NS_PER_MS;
        } else if (!strcmp(name, "--loss")) {
            if (parse_percent(name, val, &o->loss) != 0)
                return -1;
        } else if (!strcmp(name, "--seed")) {
            if (parse_u64(name, val, UINT64_MAX, &o->seed) != 0)
                return -1;
        } else {
            if (parse_u64(name, val, WIRE_QUEUE_MAX, &v) != 0)
                return -1;
            if (v == 0) {
                fprintf(stderr, WIRE_NAME ": --queue: must be at least 1\n");
                return -1;
            }
            o->queue = (size_t)v;
        }
    }
    for (int side = 0; side < 2; side++) {
        if (!have[side]) {
            fprintf(stderr, WIRE_NAME ": --%c NETNS:IFNAME is required\n", 'a' + side);
            return -1;
        }
    }
    if (!strcmp(o->end[0].netns, o->end[1].netns) && !strcmp(o->end[0].ifname, o->end[1].ifname)) {
        fprintf(stderr, WIRE_NAME ": --b: the same interface as --a\n");
        return -1;
    }
    return 0;
}

/**
 * Create the TAP device of one side inside its namespace, then come back to ours.
 * @param end the side
 * @param opt "--a" or "--b", for messages
 * @param home_fd our own namespace (/proc/self/ns/net)
 * @return the TAP's file descriptor (non-blocking, close-on-exec); -1 with a message
 */
static int tap_open(const wire_end_t *end, const char *opt, int home_fd)
{
    char path[PATH_MAX];
    struct ifreq ifr;
    int ns_fd = -1;
    int fd = -1;
    int result = -1;
    int entered = 0;

    if (snprintf(path, sizeof path, "/run/netns/%s", end->netns) >= (int)sizeof path) {
        fprintf(stderr, WIRE_NAME ": %s: namespace name too long\n", opt);
        goto done;
    }
    ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) {
        fprintf(stderr, WIRE_NAME ": %s: no network namespace '%s' (%s: %s)\n", opt, end->netns, path,
                strerror(errno));
        goto done;
    }
    if (setns(ns_fd, CLONE_NEWNET) != 0) {
        fprintf(stderr, WIRE_NAME ": %s: cannot enter network namespace '%s': %s\n", opt, end->netns,
                strerror(errno));
        goto done;
    }
    entered = 1;
    /* the TAP belongs to the namespace its file was opened in */
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, WIRE_NAME ": cannot open /dev/net/tun: %s (is the kernel built with CONFIG_TUN?)\n",
                strerror(errno));
        goto done;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, end->ifname, strlen(end->ifname) + 1);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        fprintf(stderr, WIRE_NAME ": %s: cannot create TAP '%s' in namespace '%s': %s\n", opt, end->ifname,
                end->netns, strerror(errno));
        goto done;
    }
    result = fd;
    fd = -1;
done:
    if (entered && setns(home_fd, CLONE_NEWNET) != 0) {
        fprintf(stderr, WIRE_NAME ": cannot return to the original network namespace: %s\n", strerror(errno));
        if (result >= 0)
            close(result);
        result = -1;
    }
    if (fd >= 0)
        close(fd);
    if (ns_fd >= 0)
        close(ns_fd);
    return result;
}

/**
 * Drop every queued frame of a direction (the link went down).
 * @param d the direction
 */
static void dir_purge(wire_dir_t *d)
{
    while (d->count > 0) {
        free(d->ring[d->head].data);
        d->ring[d->head].data = NULL;
        d->head = (d->head + 1) % d->cap;
        d->count--;
        d->down++;
    }
}

/**
 * Read what one side has sent (up to WIRE_BATCH frames) and queue or drop each frame.
 * @param d the direction
 * @param o the options
 * @param buf a scratch buffer of WIRE_FRAME_MAX bytes
 * @return 0; -1 when the TAP failed (said on stderr)
 */
static int dir_take(wire_dir_t *d, const wire_opts_t *o, unsigned char *buf)
{
    for (int n = 0; n < WIRE_BATCH; n++) {
        ssize_t len = read(d->in_fd, buf, WIRE_FRAME_MAX);
        uint64_t now, release;
        int64_t offset = 0;
        wire_frame_t *slot;

        if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        if (len <= 0) {
            fprintf(stderr, WIRE_NAME ": %s: reading the TAP: %s\n", d->name, len < 0 ? strerror(errno) : "closed");
            return -1;
        }
        if (g_down) {
            d->down++;
            continue;
        }
        /* both draws are made for every frame, so a seed gives the same losses whatever the delays */
        if (rng_unit(&d->rng) * 100.0 < o->loss) {
            (void)rng_next(&d->rng);
            d->lost++;
            continue;
        }
        if (o->jitter_ns > 0)
            offset = (int64_t)(rng_next(&d->rng) % (2 * o->jitter_ns + 1)) - (int64_t)o->jitter_ns;
        else
            (void)rng_next(&d->rng);
        if (d->count == d->cap) {
            d->overflow++;
            continue;
        }
        now = now_ns();
        release = now + o->delay_ns;
        if (offset < 0 && (uint64_t)-offset > o->delay_ns)
            release = now;
        else
            release = (uint64_t)((int64_t)release + offset);
        if (release < d->last_release_ns)
            release = d->last_release_ns;
        slot = &d->ring[(d->head + d->count) % d->cap];
        slot->data = malloc((size_t)len);
        if (!slot->data) {
            d->overflow++;
            continue;
        }
        memcpy(slot->data, buf, (size_t)len);
        slot->len = (size_t)len;
        slot->release_ns = release;
        d->last_release_ns = release;
        d->count++;
    }
    return 0;
}

/**
 * Write every queued frame of a direction whose time has come to the other side.
 * @param d the direction
 * @param now the time
 */
static void dir_release(wire_dir_t *d, uint64_t now)
{
    while (d->count > 0 && d->ring[d->head].release_ns <= now) {
        wire_frame_t *f = &d->ring[d->head];
        ssize_t n;

        do
            n = write(d->out_fd, f->data, f->len);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)f->len)
            d->forwarded++;
        else
            d->failed++; /* e.g. EIO while the receiving interface is down */
        free(f->data);
        f->data = NULL;
        d->head = (d->head + 1) % d->cap;
        d->count--;
    }
}

/**
 * Print a direction's counts on stdout.
 * @param d the direction
 */
static void dir_stats(const wire_dir_t *d)
{
    printf(WIRE_NAME ": stats %s forwarded=%" PRIu64 " lost=%" PRIu64 " down=%" PRIu64 " overflow=%" PRIu64
                     " failed=%" PRIu64 "\n",
           d->name, d->forwarded, d->lost, d->down, d->overflow, d->failed);
}

/**
 * Install the handlers and block the signals they handle (ppoll unblocks them while it waits).
 * @param waitmask receives the mask to wait with
 * @return 0; -1 with a message
 */
static int signals_setup(sigset_t *waitmask)
{
    static const int handled[] = { SIGUSR1, SIGUSR2, SIGTERM, SIGINT };
    const size_t n = sizeof handled / sizeof handled[0];
    struct sigaction sa;
    sigset_t block;
    int result = -1;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    for (size_t i = 0; i < n; i++) {
        sigaddset(&block, handled[i]);
        sigaddset(&sa.sa_mask, handled[i]);
    }
    if (sigprocmask(SIG_BLOCK, &block, waitmask) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (sigaction(handled[i], &sa, NULL) != 0)
            goto done;
        sigdelset(waitmask, handled[i]);
    }
    if (signal(SIGHUP, SIG_IGN) == SIG_ERR || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        goto done;
    result = 0;
done:
    if (result != 0)
        fprintf(stderr, WIRE_NAME ": signals: %s\n", strerror(errno));
    return result;
}

/**
 * Forward frames both ways until SIGTERM or SIGINT.
 * @param dir the two directions, their TAPs open
 * @param o the options
 * @param waitmask the signal mask to wait with
 * @return 0 when stopped by a signal; -1 on a TAP's failure (said on stderr)
 */
static int forward(wire_dir_t dir[2], const wire_opts_t *o, const sigset_t *waitmask)
{
    unsigned char *buf = malloc(WIRE_FRAME_MAX);
    sig_atomic_t downs = 0;
    int was_down = 0;
    int result = -1;

    if (!buf) {
        fprintf(stderr, WIRE_NAME ": out of memory\n");
        goto done;
    }
    while (!g_stop) {
        struct pollfd pfd[2] = { { dir[0].in_fd, POLLIN, 0 }, { dir[1].in_fd, POLLIN, 0 } };
        struct timespec ts;
        struct timespec *timeout = NULL;
        uint64_t now = now_ns();
        uint64_t next = UINT64_MAX;
        int down = g_down;

        if (g_down_seen != downs || down) {
            downs = g_down_seen;
            dir_purge(&dir[0]);
            dir_purge(&dir[1]);
        }
        if (down != was_down) {
            printf(WIRE_NAME ": link %s\n", down ? "down" : "up");
            fflush(stdout);
            was_down = down;
        }
        for (int i = 0; i < 2; i++) {
            dir_release(&dir[i], now);
            if (dir[i].count > 0 && dir[i].ring[dir[i].head].release_ns < next)
                next = dir[i].ring[dir[i].head].release_ns;
        }
        if (next != UINT64_MAX) {
            uint64_t wait = next > now ? next - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000ull);
            ts.tv_nsec = (long)(wait % 1000000000ull);
            timeout = &ts;
        }
        if (ppoll(pfd, 2, timeout, waitmask) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, WIRE_NAME ": poll: %s\n", strerror(errno));
            goto done;
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                fprintf(stderr, WIRE_NAME ": %s: the TAP failed\n", dir[i].name);
                goto done;
            }
            if ((pfd[i].revents & POLLIN) && dir_take(&dir[i], o, buf) != 0)
                goto done;
        }
    }
    result = 0;
done:
    free(buf);
    return result;
}

/**
 * The program: parse, create both TAPs, say ready, forward until told to stop, print the stats.
 * @param argc argument count
 * @param argv arguments
 * @return 0 after SIGTERM/SIGINT (or --help); 1 on bad arguments or an error
 */
int main(int argc, char **argv)
{
    static const char *const opt_names[2] = { "--a", "--b" };
    wire_opts_t o;
    wire_dir_t dir[2];
    sigset_t waitmask;
    int tap[2] = { -1, -1 };
    int home_fd = -1;
    int parsed;
    int status = 1;
    int started = 0;

    memset(dir, 0, sizeof dir);
    parsed = parse_args(argc, argv, &o);
    if (parsed != 0) {
        status = parsed > 0 ? 0 : 1;
        goto done;
    }
    if (signals_setup(&waitmask) != 0)
        goto done;
    home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_fd < 0) {
        fprintf(stderr, WIRE_NAME ": cannot open /proc/self/ns/net: %s\n", strerror(errno));
        goto done;
    }
    for (int side = 0; side < 2; side++) {
        tap[side] = tap_open(&o.end[side], opt_names[side], home_fd);
        if (tap[side] < 0)
            goto done;
    }
    for (int i = 0; i < 2; i++) {
        uint64_t mix = o.seed ^ (0x5851f42d4c957f2dull * (uint64_t)(i + 1));
        dir[i].name = i == 0 ? "a>b" : "b>a";
        dir[i].in_fd = tap[i];
        dir[i].out_fd = tap[1 - i];
        dir[i].cap = o.queue;
        dir[i].rng = rng_next(&mix);
        dir[i].ring = calloc(o.queue, sizeof *dir[i].ring);
        if (!dir[i].ring) {
            fprintf(stderr, WIRE_NAME ": out of memory for a queue of %zu frames\n", o.queue);
            goto done;
        }
    }
    printf(WIRE_NAME ": ready\n");
    fflush(stdout);
    started = 1;
    if (forward(dir, &o, &waitmask) == 0)
        status = 0;
done:
    for (int i = 0; i < 2; i++) {
        if (dir[i].ring) {
            while (dir[i].count > 0) {
                free(dir[i].ring[dir[i].head].data);
                dir[i].head = (dir[i].head + 1) % dir[i].cap;
                dir[i].count--;
            }
            free(dir[i].ring);
        }
        if (started)
            dir_stats(&dir[i]);
        if (tap[i] >= 0)
            close(tap[i]);
    }
    fflush(stdout);
    if (home_fd >= 0)
        close(home_fd);
    return status;
}
