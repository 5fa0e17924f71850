/* secret_file.c: refuse a secret-holding file that other users can read or change (ssh's rule). */
#include "core/pw_secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SECRET_OTHER_BITS 0007 /* any permission for other users */
#define SECRET_GROUP_WRITE 0020

pw_status_t pw_secret_file_check(int fd, const char *path, const char *what, char *why, size_t cap)
{
    struct stat st;
    unsigned mode;
    const char *who, *can, *fix;

    if (fd < 0 || !path || !what || !why || cap == 0)
        return PW_EINVAL;
    if (fstat(fd, &st) != 0) {
        snprintf(why, cap, "cannot read the file's mode: %s", strerror(errno));
        return PW_EIO;
    }
    mode = (unsigned)st.st_mode & 07777;
    if (!(mode & (SECRET_OTHER_BITS | SECRET_GROUP_WRITE)))
        return PW_OK;
    who = mode & SECRET_OTHER_BITS ? "other users" : "the group";
    can = mode & 0004 ? "can read" : mode & (0002 | SECRET_GROUP_WRITE) ? "can change" : "have access to";
    fix = !(mode & SECRET_GROUP_WRITE) ? "o-rwx" : !(mode & SECRET_OTHER_BITS) ? "g-w" : "g-w,o-rwx";
    snprintf(why, cap, "the file is mode %04o: %s %s %s; run chmod %s %s (refused as ssh refuses such keys)",
             mode, who, can, what, fix, path);
    return PW_EDENIED;
}
