/* pwt_component.h: run a real Peerwatch component binary for an integration test: render its config, start, wait online, stop. */
#ifndef PWT_COMPONENT_H
#define PWT_COMPONENT_H

#include "core/pw_status.h"

/** A component process under test. Opaque. */
typedef struct pwt_component pwt_component_t;

/**
 * Render a config template and start the program, in the network namespace the calling
 * thread is in (pwt_netns.h), where pwt_component_restart() starts it again.
 * @param out receives the component (pwt_component_destroy())
 * @param program path relative to the build tree, e.g. "hss/peerwatch-hss"
 * @param template_rel config template relative to the source tree, e.g. "conf/trial/hss.conf"
 * @param vars NAME, VALUE, ..., NULL pairs substituted for @NAME@ in the template
 * @param dir directory for the rendered config and the log (e.g. the Prosody temp dir)
 * @param name short name used for the files: DIR/NAME.conf, DIR/NAME.log
 * @return PW_OK, or the render/start failure (logged to stderr)
 */
pw_status_t pwt_component_start(pwt_component_t **out, const char *program, const char *template_rel,
                                const char *const vars[], const char *dir, const char *name);

/**
 * Wait until the component has logged its (count-th) "is online" line: the handshake with
 * the server is done.
 * @param count how many times it must have come online (1 for the first connection)
 * @return 0 when it did within timeout_ms, -1 otherwise (the log tail is printed)
 */
int pwt_component_wait_online(pwt_component_t *c, unsigned count, unsigned timeout_ms);

/**
 * Wait until the component's log contains text at least count times.
 * @return 0 or -1 on timeout
 */
int pwt_component_wait_log(pwt_component_t *c, const char *text, unsigned count, unsigned timeout_ms);

/** Count the lines of the component's log that contain text. */
unsigned pwt_component_log_count(const pwt_component_t *c, const char *text);

/** Send a signal (SIGHUP for reload, SIGKILL for crash tests). @return PW_OK or PW_EIO */
pw_status_t pwt_component_signal(pwt_component_t *c, int sig);

/** Start the same program with the same config again (after a stop or crash). */
pw_status_t pwt_component_restart(pwt_component_t *c);

/**
 * Stop with SIGTERM (SIGKILL after timeout_ms).
 * @return the wait status (WIFEXITED/WEXITSTATUS apply), or -1
 */
int pwt_component_stop(pwt_component_t *c, unsigned timeout_ms);

/** @return the PID, or -1 */
int pwt_component_pid(const pwt_component_t *c);

/** @return the rendered config path */
const char *pwt_component_config(const pwt_component_t *c);

/** @return the log path */
const char *pwt_component_log(const pwt_component_t *c);

/** Print the last lines of the log to stderr. */
void pwt_component_print_log(const pwt_component_t *c, unsigned lines);

/** Stop (if running) and free. NULL is fine. */
void pwt_component_destroy(pwt_component_t *c);

#endif /* PWT_COMPONENT_H */
