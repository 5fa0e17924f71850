/* loop.c: poll(2)-based event loop with a timer min-heap, self-pipe signals and per-iteration hooks. */
#include "core/pw_loop.h"
#include "core/pw_array.h"
#include "core/pw_heap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct loop_io {
    int fd;
    unsigned events;
    pw_io_cb cb;
    void *arg;
} loop_io_t;

typedef struct loop_hook {
    pw_hook_cb cb;
    void *arg;
} loop_hook_t;

typedef struct loop_signal {
    pw_signal_cb cb;
    void *arg;
} loop_signal_t;

#define LOOP_NSIG 65

struct pw_loop {
    uint64_t now_ms;
    pw_clock_fn clock;
    void *clock_arg;

    pw_heap_t timers; /* of pw_timer_t */
    uint64_t timer_seq;

    loop_io_t *ios;
    size_t io_len, io_cap;
    struct pollfd *pfds;
    size_t pfd_cap;

    loop_hook_t *hooks;
    size_t hook_len, hook_cap;

    loop_signal_t signals[LOOP_NSIG];
    int sig_pipe[2];

    int stop;
    int wakeup;
};

/* Signals are process-wide; the write end of the pipe of the loop that watches them. */
static volatile sig_atomic_t signal_pipe_wr = -1;

static void signal_trampoline(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    if (signal_pipe_wr >= 0) {
        ssize_t r = write(signal_pipe_wr, &b, 1);
        (void)r;
    }
    errno = saved;
}

static uint64_t monotonic_ms(void *arg)
{
    struct timespec ts;
    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_signal_pipe(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    unsigned char buf[64];
    ssize_t n;
    (void)events;
    (void)arg;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            loop_signal_t *s = &loop->signals[buf[i] % LOOP_NSIG];
            if (s->cb)
                s->cb(loop, buf[i], s->arg);
        }
    }
}

static int timer_before(const void *a, const void *b);
static void timer_placed(void *item, size_t index);

pw_status_t pw_loop_create(pw_loop_t **out)
{
    pw_status_t rc = PW_OK;
    pw_loop_t *loop = calloc(1, sizeof *loop);

    *out = NULL;
    if (!loop)
        return PW_ENOMEM;
    loop->sig_pipe[0] = loop->sig_pipe[1] = -1;
    pw_heap_init(&loop->timers, timer_before, timer_placed);
    loop->clock = monotonic_ms;
    loop->now_ms = monotonic_ms(NULL);
    if (pipe2(loop->sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        rc = PW_EIO;
        goto done;
    }
    rc = pw_loop_io_set(loop, loop->sig_pipe[0], PW_IO_READ, on_signal_pipe, NULL);
done:
    if (rc != PW_OK) {
        pw_loop_destroy(loop);
        return rc;
    }
    *out = loop;
    return PW_OK;
}

void pw_loop_destroy(pw_loop_t *loop)
{
    if (!loop)
        return;
    for (int s = 1; s < LOOP_NSIG; s++) {
        if (loop->signals[s].cb)
            signal(s, SIG_DFL);
    }
    if (loop->sig_pipe[1] >= 0 && signal_pipe_wr == loop->sig_pipe[1])
        signal_pipe_wr = -1;
    if (loop->sig_pipe[0] >= 0)
        close(loop->sig_pipe[0]);
    if (loop->sig_pipe[1] >= 0)
        close(loop->sig_pipe[1]);
    pw_heap_fini(&loop->timers); /* every timer still started reads as stopped */
    free(loop->ios);
    free(loop->pfds);
    free(loop->hooks);
    free(loop);
}

void pw_loop_set_clock(pw_loop_t *loop, pw_clock_fn fn, void *arg)
{
    loop->clock = fn ? fn : monotonic_ms;
    loop->clock_arg = fn ? arg : NULL;
    loop->now_ms = loop->clock(loop->clock_arg);
}

uint64_t pw_loop_now(pw_loop_t *loop)
{
    return loop->now_ms;
}

void pw_loop_update_time(pw_loop_t *loop)
{
    loop->now_ms = loop->clock(loop->clock_arg);
}

/* ---- timers: a binary min-heap ordered by (due, seq) ---- */

static int timer_before(const void *a, const void *b)
{
    const pw_timer_t *x = a, *y = b;
    return x->due_ms < y->due_ms || (x->due_ms == y->due_ms && x->seq < y->seq);
}

static void timer_placed(void *item, size_t index)
{
    ((pw_timer_t *)item)->heap_index = index; /* PW_HEAP_NONE is SIZE_MAX: stopped */
}

void pw_timer_init(pw_timer_t *timer, pw_timer_cb cb, void *arg)
{
    memset(timer, 0, sizeof *timer);
    timer->heap_index = SIZE_MAX;
    timer->cb = cb;
    timer->arg = arg;
}

int pw_timer_active(const pw_timer_t *timer)
{
    return timer->heap_index != SIZE_MAX;
}

uint64_t pw_timer_due(const pw_timer_t *timer)
{
    return timer->due_ms;
}

size_t pw_loop_timer_count(const pw_loop_t *loop)
{
    return loop->timers.len;
}

void pw_timer_stop(pw_loop_t *loop, pw_timer_t *timer)
{
    size_t i = timer->heap_index;
    if (i < loop->timers.len && loop->timers.items[i] == timer)
        pw_heap_remove(&loop->timers, i);
}

pw_status_t pw_timer_start(pw_loop_t *loop, pw_timer_t *timer, uint64_t delay_ms)
{
    pw_timer_stop(loop, timer);
    timer->due_ms = loop->now_ms + delay_ms;
    timer->seq = loop->timer_seq++;
    return pw_heap_push(&loop->timers, timer, 64);
}

static void run_due_timers(pw_loop_t *loop)
{
    /* Timers started by callbacks during this pass with delay 0 fire on the next iteration,
     * so a timer that restarts itself cannot starve the loop. */
    uint64_t limit_seq = loop->timer_seq;
    while (loop->timers.len > 0) {
        pw_timer_t *t = loop->timers.items[0];
        if (t->due_ms > loop->now_ms || t->seq >= limit_seq)
            break;
        pw_timer_stop(loop, t);
        t->cb(t, t->arg);
    }
}

/* ---- file descriptors ---- */

static loop_io_t *find_io(pw_loop_t *loop, int fd)
{
    for (size_t i = 0; i < loop->io_len; i++) {
        if (loop->ios[i].fd == fd)
            return &loop->ios[i];
    }
    return NULL;
}

pw_status_t pw_loop_io_set(pw_loop_t *loop, int fd, unsigned events, pw_io_cb cb, void *arg)
{
    loop_io_t *io = find_io(loop, fd);
    if (!io) {
        if (pw_array_grow(&loop->ios, &loop->io_cap, loop->io_len + 1, sizeof *loop->ios, 8) != PW_OK)
            return PW_ENOMEM;
        io = &loop->ios[loop->io_len++];
        io->fd = fd;
    }
    io->events = events & (PW_IO_READ | PW_IO_WRITE);
    io->cb = cb;
    io->arg = arg;
    return PW_OK;
}

void pw_loop_io_clear(pw_loop_t *loop, int fd)
{
    loop_io_t *io = find_io(loop, fd);
    if (!io)
        return;
    /* Mark rather than compact: the dispatch pass may be iterating. */
    io->fd = -1;
    io->cb = NULL;
}

static void compact_ios(pw_loop_t *loop)
{
    size_t o = 0;
    for (size_t i = 0; i < loop->io_len; i++) {
        if (loop->ios[i].fd >= 0)
            loop->ios[o++] = loop->ios[i];
    }
    loop->io_len = o;
}

/* ---- hooks, signals ---- */

pw_status_t pw_loop_hook_add(pw_loop_t *loop, pw_hook_cb cb, void *arg)
{
    if (pw_array_grow(&loop->hooks, &loop->hook_cap, loop->hook_len + 1, sizeof *loop->hooks, 4) !=
        PW_OK)
        return PW_ENOMEM;
    loop->hooks[loop->hook_len].cb = cb;
    loop->hooks[loop->hook_len].arg = arg;
    loop->hook_len++;
    return PW_OK;
}

void pw_loop_hook_remove(pw_loop_t *loop, pw_hook_cb cb, void *arg)
{
    for (size_t i = 0; i < loop->hook_len; i++) {
        if (loop->hooks[i].cb == cb && loop->hooks[i].arg == arg) {
            memmove(&loop->hooks[i], &loop->hooks[i + 1],
                    (loop->hook_len - i - 1) * sizeof loop->hooks[0]);
            loop->hook_len--;
            return;
        }
    }
}

pw_status_t pw_loop_signal(pw_loop_t *loop, int signo, pw_signal_cb cb, void *arg)
{
    struct sigaction sa;
    if (signo <= 0 || signo >= LOOP_NSIG)
        return PW_EINVAL;
    loop->signals[signo].cb = cb;
    loop->signals[signo].arg = arg;
    signal_pipe_wr = loop->sig_pipe[1];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cb ? signal_trampoline : SIG_DFL;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) != 0)
        return PW_EIO;
    return PW_OK;
}

void pw_loop_wakeup(pw_loop_t *loop)
{
    loop->wakeup = 1;
}

void pw_loop_stop(pw_loop_t *loop)
{
    loop->stop = 1;
}

int pw_loop_stopping(const pw_loop_t *loop)
{
    return loop->stop;
}

/* ---- the iteration ---- */

static int poll_timeout(pw_loop_t *loop, int max_wait_ms)
{
    int64_t wait = max_wait_ms;
    if (loop->wakeup || loop->stop)
        return 0;
    if (loop->timers.len > 0) {
        uint64_t due = ((const pw_timer_t *)loop->timers.items[0])->due_ms;
        int64_t until = due > loop->now_ms ? (int64_t)(due - loop->now_ms) : 0;
        if (wait < 0 || until < wait)
            wait = until;
    }
    if (wait > 24 * 3600 * 1000)
        wait = 24 * 3600 * 1000;
    return (int)wait;
}

pw_status_t pw_loop_run_once(pw_loop_t *loop, int max_wait_ms)
{
    size_t n;
    int rc;

    compact_ios(loop);
    n = loop->io_len;
    if (n > loop->pfd_cap) {
        struct pollfd *p = realloc(loop->pfds, n * sizeof *p);
        if (!p)
            return PW_ENOMEM;
        loop->pfds = p;
        loop->pfd_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        loop->pfds[i].fd = loop->ios[i].events ? loop->ios[i].fd : -1;
        loop->pfds[i].events = (short)(((loop->ios[i].events & PW_IO_READ) ? POLLIN : 0) |
                                       ((loop->ios[i].events & PW_IO_WRITE) ? POLLOUT : 0));
        loop->pfds[i].revents = 0;
    }
    rc = poll(loop->pfds, (nfds_t)n, poll_timeout(loop, max_wait_ms));
    loop->wakeup = 0;
    if (rc < 0 && errno != EINTR)
        return PW_EIO;
    pw_loop_update_time(loop);
    for (size_t i = 0; rc > 0 && i < n; i++) {
        short re = loop->pfds[i].revents;
        unsigned ev = 0;
        loop_io_t *io;
        if (!re)
            continue;
        /* ios may have grown (realloc) during callbacks: index, don't keep pointers */
        io = &loop->ios[i];
        if (io->fd != loop->pfds[i].fd || !io->cb)
            continue;
        if (re & POLLIN)
            ev |= PW_IO_READ;
        if (re & POLLOUT)
            ev |= PW_IO_WRITE;
        if (re & (POLLERR | POLLHUP | POLLNVAL))
            ev |= PW_IO_ERROR;
        io->cb(loop, io->fd, ev, io->arg);
    }
    run_due_timers(loop);
    for (size_t i = 0; i < loop->hook_len; i++)
        loop->hooks[i].cb(loop, loop->hooks[i].arg);
    return PW_OK;
}

pw_status_t pw_loop_run(pw_loop_t *loop)
{
    pw_status_t rc = PW_OK;
    loop->stop = 0;
    while (!loop->stop) {
        rc = pw_loop_run_once(loop, -1);
        if (rc != PW_OK)
            break;
    }
    loop->stop = 0;
    return rc;
}
