/* sdnotify.c: the service manager notification (READY=1 and friends) through libsystemd's sd_notify(3). */
#include "core/pw_sdnotify.h"

#include <errno.h>
#include <systemd/sd-daemon.h>

pw_status_t pw_sdnotify(const char *state)
{
    int r;

    if (!state)
        return PW_EINVAL;
    r = sd_notify(0, state); /* 0: keep $NOTIFY_SOCKET for the notifications that follow */
    if (r >= 0)
        return PW_OK; /* > 0 sent; 0 no $NOTIFY_SOCKET: no service manager to tell */
    return r == -EINVAL ? PW_EINVAL : PW_EIO;
}
