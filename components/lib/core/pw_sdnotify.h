/* pw_sdnotify.h: telling the service manager how the process is doing (systemd's notification protocol, sd_notify(3)). */
#ifndef PW_SDNOTIFY_H
#define PW_SDNOTIFY_H

#include "core/pw_status.h"

/** Room for one notification with a JID in its STATUS. */
#define PW_SDNOTIFY_STATE_MAX 1200

/**
 * Send one notification to the service manager: newline-separated assignments such as
 * "READY=1\nSTATUS=online as watcher.opa.example" (sd_notify(3)), as a datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * The protocol is systemd's stable interface; no library is needed for it. Without
 * $NOTIFY_SOCKET (not started by a Type=notify unit) nothing is sent.
 * @param state the assignments
 * @return PW_OK (also when there is no service manager to tell); PW_EINVAL for a bad
 *         $NOTIFY_SOCKET; PW_EIO when the datagram could not be sent
 */
pw_status_t pw_sdnotify(const char *state);

#endif /* PW_SDNOTIFY_H */
