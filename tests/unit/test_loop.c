/* test_loop.c: unit tests of the event loop: timers, fds, signals, hooks and the manual clock. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/pw_loop.h"
#include "fake_clock.h"

typedef struct {
    int order[64];
    int n;
} fired_t;

typedef struct {
    pw_timer_t timer;
    int id;
    fired_t *log;
} tagged_timer_t;

static void record_fire(pw_timer_t *t, void *arg)
{
    tagged_timer_t *tt = arg;
    (void)t;
    tt->log->order[tt->log->n++] = tt->id;
}

/* A timer that writes id into log when it fires (not started). */
static void tagged_init(tagged_timer_t *t, int id, fired_t *log)
{
    t->id = id;
    t->log = log;
    pw_timer_init(&t->timer, record_fire, t);
}

Test(loop, timers_fire_in_due_order_with_ties_in_start_order)
{
    pw_loop_t *loop;
    uint64_t now = 1000; /* the loop clock, ms */
    fired_t log = { { 0 }, 0 };
    tagged_timer_t t[5];
    const uint64_t delays[5] = { 50, 10, 30, 10, 0 };

    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    pw_loop_set_clock(loop, pwfake_clock_now, &now);
    for (int i = 0; i < 5; i++) {
        tagged_init(&t[i], i, &log);
        cr_assert_eq(pw_timer_start(loop, &t[i].timer, delays[i]), PW_OK);
    }
    cr_assert_eq(pw_loop_timer_count(loop), 5);
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(log.n, 1, "only the zero-delay timer is due at once");
    cr_assert_eq(log.order[0], 4);
    now += 30;
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(log.n, 4);
    cr_assert_eq(log.order[1], 1);
    cr_assert_eq(log.order[2], 3, "equal due times fire in start order");
    cr_assert_eq(log.order[3], 2);
    cr_assert(pw_timer_active(&t[0].timer));
    now += 20;
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(log.n, 5);
    cr_assert_eq(log.order[4], 0);
    cr_assert_eq(pw_loop_timer_count(loop), 0);
    pw_loop_destroy(loop);
}

Test(loop, stopped_and_restarted_timers)
{
    pw_loop_t *loop;
    uint64_t now = 0; /* the loop clock, ms */
    fired_t log = { { 0 }, 0 };
    tagged_timer_t t[100];

    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    pw_loop_set_clock(loop, pwfake_clock_now, &now);
    for (int i = 0; i < 100; i++) {
        tagged_init(&t[i], i, &log);
        pw_timer_start(loop, &t[i].timer, (uint64_t)((i * 37) % 100) + 1);
    }
    /* stop every even timer, restart every timer divisible by 5 later */
    for (int i = 0; i < 100; i += 2)
        pw_timer_stop(loop, &t[i].timer);
    pw_timer_stop(loop, &t[0].timer); /* stopping twice is harmless */
    for (int i = 0; i < 100; i += 5)
        pw_timer_start(loop, &t[i].timer, 500);
    cr_assert_eq(pw_loop_timer_count(loop), 50 + 10);
    now = 200;
    pw_loop_run_once(loop, 0);
    /* 50 odd timers are left; the 10 odd multiples of 5 were moved to t=500 */
    cr_assert_eq(log.n, 40, "odd timers not divisible by 5 fire by t=200 (got %d)", log.n);
    for (int k = 1; k < log.n; k++) {
        uint64_t a = (uint64_t)((log.order[k - 1] * 37) % 100);
        uint64_t b = (uint64_t)((log.order[k] * 37) % 100);
        cr_assert_leq(a, b, "timers fire in due order");
    }
    now = 500;
    pw_loop_run_once(loop, 0);
    cr_assert_eq(log.n, 40 + 20);
    pw_loop_destroy(loop);
}

static void restart_self(pw_timer_t *t, void *arg)
{
    pw_loop_t *loop = arg;
    static int count;
    if (++count < 3)
        pw_timer_start(loop, t, 0);
}

Test(loop, zero_delay_timer_restarting_itself_does_not_starve)
{
    pw_loop_t *loop;
    pw_timer_t t;
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    pw_timer_init(&t, restart_self, loop);
    pw_timer_start(loop, &t, 0);
    pw_loop_run_once(loop, 0);
    cr_assert(pw_timer_active(&t), "restarted timer waits for the next iteration");
    pw_loop_run_once(loop, 0);
    pw_loop_run_once(loop, 0);
    cr_assert_not(pw_timer_active(&t));
    pw_loop_destroy(loop);
}

typedef struct {
    int reads;
    char last;
} io_seen_t;

static void on_readable(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    io_seen_t *seen = arg;
    cr_assert(events & PW_IO_READ);
    cr_assert_eq(read(fd, &seen->last, 1), 1);
    seen->reads++;
    (void)loop;
}

Test(loop, fd_readiness_and_clear)
{
    pw_loop_t *loop;
    int p[2];
    io_seen_t seen = { 0, 0 };
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(pw_loop_io_set(loop, p[0], PW_IO_READ, on_readable, &seen), PW_OK);
    pw_loop_run_once(loop, 0);
    cr_assert_eq(seen.reads, 0, "nothing to read yet");
    cr_assert_eq(write(p[1], "x", 1), 1);
    pw_loop_run_once(loop, 1000);
    cr_assert_eq(seen.reads, 1);
    cr_assert_eq(seen.last, 'x');
    pw_loop_io_clear(loop, p[0]);
    cr_assert_eq(write(p[1], "y", 1), 1);
    pw_loop_run_once(loop, 0);
    cr_assert_eq(seen.reads, 1, "a cleared fd is not reported");
    close(p[0]);
    close(p[1]);
    pw_loop_destroy(loop);
}

static void on_sig(pw_loop_t *loop, int signo, void *arg)
{
    *(int *)arg = signo;
    pw_loop_stop(loop);
}

Test(loop, signal_delivered_from_the_loop)
{
    pw_loop_t *loop;
    int got = 0;
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_loop_signal(loop, SIGUSR1, on_sig, &got), PW_OK);
    cr_assert_eq(pw_loop_signal(loop, 0, on_sig, &got), PW_EINVAL);
    raise(SIGUSR1);
    cr_assert_eq(got, 0, "the callback runs from the loop, not the handler");
    cr_assert_eq(pw_loop_run(loop), PW_OK);
    cr_assert_eq(got, SIGUSR1);
    pw_loop_destroy(loop);
}

static void count_hook(pw_loop_t *loop, void *arg)
{
    (void)loop;
    (*(int *)arg)++;
}

Test(loop, hooks_run_each_iteration_until_removed)
{
    pw_loop_t *loop;
    int n = 0;
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_loop_hook_add(loop, count_hook, &n), PW_OK);
    pw_loop_run_once(loop, 0);
    pw_loop_run_once(loop, 0);
    cr_assert_eq(n, 2);
    pw_loop_hook_remove(loop, count_hook, &n);
    pw_loop_run_once(loop, 0);
    cr_assert_eq(n, 2);
    pw_loop_destroy(loop);
}

Test(loop, poll_waits_until_next_timer_on_real_clock)
{
    pw_loop_t *loop;
    fired_t log = { { 0 }, 0 };
    tagged_timer_t tt;
    uint64_t start;
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    tagged_init(&tt, 7, &log);
    start = pw_loop_now(loop);
    pw_timer_start(loop, &tt.timer, 30);
    while (log.n == 0)
        pw_loop_run_once(loop, -1);
    cr_assert_geq(pw_loop_now(loop) - start, 30, "fired no earlier than its delay");
    cr_assert_lt(pw_loop_now(loop) - start, 1000);
    pw_loop_destroy(loop);
}

Test(loop, destroy_null_is_harmless)
{
    pw_loop_destroy(NULL);
    cr_assert_str_eq(pw_strerror(PW_OK), "success");
    cr_assert_str_eq(pw_strerror((pw_status_t)999), "unknown status");
}
