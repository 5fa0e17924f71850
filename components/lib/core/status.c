/* status.c: human-readable text for pw_status_t. */
#include "core/pw_status.h"

const char *pw_strerror(pw_status_t status)
{
    static const char *const text[PW_STATUS_MAX] = {
        [PW_OK] = "success",
        [PW_ENOMEM] = "out of memory",
        [PW_EINVAL] = "invalid argument",
        [PW_ERANGE] = "value out of range",
        [PW_ENOTFOUND] = "not found",
        [PW_EEXIST] = "already exists",
        [PW_EIO] = "input/output error",
        [PW_ECONFIG] = "invalid configuration",
        [PW_ETIMEOUT] = "timed out",
        [PW_ECLOSED] = "closed",
        [PW_ECORRUPT] = "data corrupt",
        [PW_EFULL] = "table full",
        [PW_EDNS] = "DNS lookup failed",
        [PW_ECRYPTO] = "cryptographic failure",
        [PW_EDENIED] = "not allowed",
    };
    if ((unsigned)status >= PW_STATUS_MAX || !text[status])
        return "unknown status";
    return text[status];
}
