/* pw_sdnotify.h: telling the service manager how the process is doing (systemd's notification protocol, sd_notify(3) of libsystemd). */
#ifndef PW_SDNOTIFY_H
#define PW_SDNOTIFY_H

#include "core/pw_status.h"

/** Room for one notification with a JID in its STATUS. */
#define PW_SDNOTIFY_STATE_MAX 1200

/**
 * Send one notification to the service manager: newline-separated assignments such as
 * "READY=1\nSTATUS=online as watcher.opa.example", with libsystemd's sd_notify(3), which sends
 * them as one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for
 * the abstract namespace) and leaves $NOTIFY_SOCKET set for the next call. Without
 * $NOTIFY_SOCKET (not started by a Type=notify unit) nothing is sent.
 * @param state the assignments
 * @return PW_OK when sent (sd_notify() > 0) and when there is no service manager to tell
 *         (sd_notify() == 0); PW_EINVAL for a NULL state or a $NOTIFY_SOCKET that names no
 *         usable socket (sd_notify() == -EINVAL); PW_EIO when the datagram could not be sent
 *         (any other sd_notify() < 0, e.g. nobody listening)
 */
pw_status_t pw_sdnotify(const char *state);

#endif /* PW_SDNOTIFY_H */
