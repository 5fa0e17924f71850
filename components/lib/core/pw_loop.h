/* pw_loop.h: the single-threaded event loop every component runs on: fds, timers, signals, hooks. */
#ifndef PW_LOOP_H
#define PW_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_status.h"

/** An event loop. Opaque; one per thread (normally one per process). */
typedef struct pw_loop pw_loop_t;

/** Interest and readiness bits for file descriptors. */
#define PW_IO_READ 0x1u
#define PW_IO_WRITE 0x2u
#define PW_IO_ERROR 0x4u /**< error or hang-up; always reported, never requested */

typedef struct pw_timer pw_timer_t;

/** Called when a timer fires. The timer is already stopped; the callback may restart it. */
typedef void (*pw_timer_cb)(pw_timer_t *timer, void *arg);

/**
 * A one-shot timer, embedded by its owner (no allocation per timer).
 * Fields are private to the loop; initialise with pw_timer_init().
 */
struct pw_timer {
    uint64_t due_ms;   /* loop clock time at which it fires */
    size_t heap_index; /* position in the loop's heap; SIZE_MAX when stopped */
    uint64_t seq;      /* start order, to fire timers due at the same time in order */
    pw_timer_cb cb;
    void *arg;
};

/** Called when a watched fd is ready; events holds PW_IO_* bits. */
typedef void (*pw_io_cb)(pw_loop_t *loop, int fd, unsigned events, void *arg);

/** Called once per loop iteration, after fd and timer callbacks ran. */
typedef void (*pw_hook_cb)(pw_loop_t *loop, void *arg);

/** Called (from the loop, not from the signal handler) when a watched signal arrived. */
typedef void (*pw_signal_cb)(pw_loop_t *loop, int signo, void *arg);

/** A clock for tests: returns milliseconds on any monotonic scale. */
typedef uint64_t (*pw_clock_fn)(void *arg);

/**
 * Create a loop.
 * @param out receives the loop; free it with pw_loop_destroy()
 * @return PW_OK, PW_ENOMEM, or PW_EIO if the signal pipe cannot be made
 */
pw_status_t pw_loop_create(pw_loop_t **out);

/**
 * Destroy a loop. Timers still started are simply forgotten (their owners free them);
 * signal handlers installed through this loop are restored to the default.
 * @param loop the loop, or NULL (no-op)
 */
void pw_loop_destroy(pw_loop_t *loop);

/**
 * Replace the clock (for unit tests). Timers keep their due times on the new scale.
 * @param loop the loop
 * @param fn the clock, or NULL for CLOCK_MONOTONIC
 * @param arg passed to fn
 */
void pw_loop_set_clock(pw_loop_t *loop, pw_clock_fn fn, void *arg);

/** @return the loop clock in milliseconds (cached for the current iteration) */
uint64_t pw_loop_now(pw_loop_t *loop);

/** Refresh the cached clock (for callbacks that ran for a long time). */
void pw_loop_update_time(pw_loop_t *loop);

/**
 * Prepare a timer for use. Must be called once before pw_timer_start().
 * @param timer the timer (owned by the caller)
 * @param cb callback fired on expiry
 * @param arg passed to cb
 */
void pw_timer_init(pw_timer_t *timer, pw_timer_cb cb, void *arg);

/**
 * Start (or restart) a timer to fire after delay_ms.
 * @return PW_OK or PW_ENOMEM (the heap could not grow)
 */
pw_status_t pw_timer_start(pw_loop_t *loop, pw_timer_t *timer, uint64_t delay_ms);

/** Stop a timer; harmless when it is not started. */
void pw_timer_stop(pw_loop_t *loop, pw_timer_t *timer);

/** @return non-zero when the timer is started and has not yet fired */
int pw_timer_active(const pw_timer_t *timer);

/**
 * @param timer a started timer
 * @return the loop time (ms) it is due at (meaningless when it is not started)
 */
uint64_t pw_timer_due(const pw_timer_t *timer);

/** @return the number of started timers (for tests and statistics) */
size_t pw_loop_timer_count(const pw_loop_t *loop);

/**
 * Watch a file descriptor, or change the events or callback of one already watched.
 * @param events PW_IO_READ and/or PW_IO_WRITE (0 keeps the fd registered but idle)
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_loop_io_set(pw_loop_t *loop, int fd, unsigned events, pw_io_cb cb, void *arg);

/** Stop watching fd (harmless if it is not watched). Safe to call from any callback. */
void pw_loop_io_clear(pw_loop_t *loop, int fd);

/**
 * Register a hook run once per iteration, after the fd and timer callbacks.
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_loop_hook_add(pw_loop_t *loop, pw_hook_cb cb, void *arg);

/** Remove a hook registered with the same cb and arg (harmless if absent). */
void pw_loop_hook_remove(pw_loop_t *loop, pw_hook_cb cb, void *arg);

/**
 * Deliver signo to cb from the loop. Signals are process-wide: only one loop in a process
 * should watch a given signal; the last registration wins.
 * @return PW_OK, PW_EINVAL (bad signal number) or PW_EIO (sigaction failed)
 */
pw_status_t pw_loop_signal(pw_loop_t *loop, int signo, pw_signal_cb cb, void *arg);

/** Make the next poll return at once (e.g. when a hook has more work queued). */
void pw_loop_wakeup(pw_loop_t *loop);

/**
 * Run one iteration: wait for at most max_wait_ms (or less if a timer is due), then run
 * fd callbacks, due timers and hooks.
 * @param max_wait_ms upper bound on the wait; negative waits for the next event
 * @return PW_OK, or PW_EIO if poll() failed with something other than EINTR
 */
pw_status_t pw_loop_run_once(pw_loop_t *loop, int max_wait_ms);

/**
 * Run until pw_loop_stop() is called.
 * @return PW_OK when stopped, PW_EIO on a poll() failure
 */
pw_status_t pw_loop_run(pw_loop_t *loop);

/** Make pw_loop_run() return after the current iteration. */
void pw_loop_stop(pw_loop_t *loop);

/** @return non-zero once pw_loop_stop() has been called (cleared by pw_loop_run()) */
int pw_loop_stopping(const pw_loop_t *loop);

#endif /* PW_LOOP_H */
