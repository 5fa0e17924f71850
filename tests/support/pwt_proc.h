/* pwt_proc.h: integration-harness child processes: start in their own group, log to a file, stop by PID. */
#ifndef PWT_PROC_H
#define PWT_PROC_H

#include <stddef.h>

#include "core/pw_status.h"

/** A child process started by the harness. Opaque. */
typedef struct pwt_proc pwt_proc_t;

/**
 * Start a program as a child: new process group, stdin from /dev/null, stdout and stderr
 * appended to log_path, default signal mask and dispositions. The child gets SIGKILL if
 * the starting process dies, so a crashed test leaves nothing behind.
 * @param out receives the process (caller destroys with pwt_proc_destroy())
 * @param name short name for messages (copied)
 * @param argv NULL-terminated argument vector; argv[0] is searched in $PATH if it has no '/'
 * @param envp NULL-terminated environment, or NULL to inherit the harness's
 * @param log_path file for stdout and stderr (created, appended to)
 * @return PW_OK; PW_EINVAL on bad arguments; PW_EIO if the log cannot be opened, fork
 *         fails or the program cannot be executed (logged); PW_ENOMEM
 */
pw_status_t pwt_proc_start(pwt_proc_t **out, const char *name, char *const argv[],
                           char *const envp[], const char *log_path);

/**
 * @param p the process
 * @return its PID (still the same after it exited), or -1 for NULL
 */
int pwt_proc_pid(const pwt_proc_t *p);

/**
 * @param p the process
 * @return its name, or "" for NULL
 */
const char *pwt_proc_name(const pwt_proc_t *p);

/**
 * Send a signal to the process (not to its group), unless it has been reaped already.
 * @param p the process
 * @param sig the signal
 * @return PW_OK; PW_ECLOSED if it has exited; PW_EINVAL for NULL
 */
pw_status_t pwt_proc_signal(pwt_proc_t *p, int sig);

/**
 * Whether the process still runs (reaps it if it exited).
 * @param p the process
 * @return 1 if running, 0 if exited or NULL
 */
int pwt_proc_alive(pwt_proc_t *p);

/**
 * Stop the process: SIGTERM, wait up to timeout_ms, then SIGKILL to it and its process
 * group, and reap it. Harmless when it has exited already.
 * @param p the process
 * @param timeout_ms grace period after SIGTERM
 * @return its wait status (see waitpid(2)), or -1 if NULL or it could not be reaped
 */
int pwt_proc_stop(pwt_proc_t *p, unsigned timeout_ms);

/**
 * Wait for the process to exit by itself, without signalling it.
 * @param p the process
 * @param timeout_ms how long
 * @param status receives the wait status (may be NULL)
 * @return PW_OK if it exited; PW_ETIMEOUT if it still runs; PW_EINVAL for NULL
 */
pw_status_t pwt_proc_wait(pwt_proc_t *p, unsigned timeout_ms, int *status);

/**
 * Wait until every one of ports accepts a TCP connection on ip, as long as the process runs.
 * @param p the process (a server that opens the ports)
 * @param ip IPv4 address
 * @param ports the ports
 * @param n how many
 * @param timeout_ms how long
 * @return PW_OK once all accept; PW_ECLOSED if the process exited first; PW_ETIMEOUT;
 *         PW_EINVAL
 */
pw_status_t pwt_proc_wait_ports(pwt_proc_t *p, const char *ip, const int *ports, size_t n,
                                unsigned timeout_ms);

/**
 * Find the descendants of a process (children, grandchildren...) by reading /proc.
 * @param pid the ancestor (need not be a pwt_proc_t)
 * @param comm only those whose command name is this, e.g. "beam.smp"; NULL: all
 * @param out receives up to max PIDs, nearest first
 * @param max size of out
 * @return how many were found (more than max when out was too small)
 */
size_t pwt_proc_descendants(int pid, const char *comm, int *out, size_t max);

/**
 * Find the processes, other than the caller, whose command line (arguments joined by
 * spaces) contains text: what a test left running.
 * @param text e.g. an instance's directory
 * @param out receives up to max PIDs (may be NULL when max is 0)
 * @param max size of out
 * @return how many there are
 */
size_t pwt_proc_find_cmdline(const char *text, int *out, size_t max);

/**
 * Stop the process if it runs (5 s grace) and free it. NULL is fine.
 * @param p the process
 */
void pwt_proc_destroy(pwt_proc_t *p);

#endif /* PWT_PROC_H */
