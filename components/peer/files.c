/* files.c: bounded whole-file reads, create-only writes (O_EXCL) and atomic replacement (temp file + rename, mode and owner kept) for peerwatch-peer. */
#include "peer_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Give fd its mode, write all of data through stdio and flush it to disk. fd is closed in
 * every case. */
static pw_status_t write_fd(int fd, mode_t mode, const char *data, size_t len)
{
    FILE *f = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    int ok;

    if (!f) {
        close(fd);
        return PW_EIO;
    }
    ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    return ok ? PW_OK : PW_EIO;
}

/* The directory part of path, in out. */
static void dir_part(const char *path, char *out, size_t cap)
{
    char copy[PW_PEER_PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(out, cap, "%s", dirname(copy));
}

/* The file a path names: the target of a symbolic link (so that replacing a linked
 * configuration file replaces the file, not the link), else the path itself. */
static void target_of(const char *path, char *out, size_t cap)
{
    char real[PATH_MAX];
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, real) &&
        strlen(real) < cap)
        memcpy(out, real, strlen(real) + 1);
    else
        snprintf(out, cap, "%s", path);
}

static void sync_dir_of(const char *path)
{
    char dir[PW_PEER_PATH_MAX];
    int fd;

    dir_part(path, dir, sizeof dir);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

pw_status_t pw_peer_file_read(const char *path, size_t max, char **out, size_t *len, char *why,
                              size_t cap)
{
    pw_status_t rc = PW_OK;
    FILE *f = NULL;
    char *buf = NULL;
    size_t n = 0;

    *out = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (!f) {
        rc = errno == ENOENT ? PW_ENOTFOUND : PW_EIO;
        snprintf(why, cap, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    buf = malloc(max + 2);
    if (!buf) {
        rc = PW_ENOMEM;
        snprintf(why, cap, "%s: out of memory", path);
        goto done;
    }
    n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        rc = PW_EIO;
        snprintf(why, cap, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (n > max) {
        rc = PW_ERANGE;
        snprintf(why, cap, "%s: larger than %zu bytes", path, max);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
done:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

pw_status_t pw_peer_file_create(const char *path, const char *data, size_t len, mode_t mode,
                                char *why, size_t cap)
{
    pw_status_t rc = PW_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
    int e = errno;

    if (fd < 0) {
        rc = e == EEXIST ? PW_EEXIST : PW_EIO;
        snprintf(why, cap, "%s: %s", path,
                 e == EEXIST ? "exists already: refusing to overwrite it" : strerror(e));
        goto done;
    }
    if (write_fd(fd, mode & 0777, data, len) != PW_OK) {
        e = errno;
        rc = PW_EIO;
        unlink(path);
        snprintf(why, cap, "%s: cannot write: %s", path, strerror(e));
        goto done;
    }
    sync_dir_of(path);
done:
    return rc;
}

pw_status_t pw_peer_file_stage(const char *path, const char *data, size_t len, mode_t mode_if_new,
                               char *tmp, size_t tcap, char *why, size_t cap)
{
    char dir[PW_PEER_PATH_MAX], base[PW_PEER_PATH_MAX], copy[PW_PEER_PATH_MAX];
    pw_status_t rc = PW_OK;
    struct stat st;
    int fd, have = stat(path, &st) == 0, n, e;

    target_of(path, copy, sizeof copy);
    dir_part(copy, dir, sizeof dir);
    snprintf(base, sizeof base, "%s", basename(copy));
    n = snprintf(tmp, tcap, "%s/.%s.peer-XXXXXX", dir, base);
    if (n < 0 || (size_t)n >= tcap) {
        rc = PW_ERANGE;
        snprintf(why, cap, "%s: path too long", path);
        goto done;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = PW_EIO;
        snprintf(why, cap, "%s: cannot create a temporary file beside it: %s", path,
                 strerror(errno));
        goto done;
    }
    /* keep the owner when we may (root editing a file of the service user); else it is ours */
    if (have && fchown(fd, st.st_uid, st.st_gid) != 0)
        (void)fchown(fd, (uid_t)-1, st.st_gid);
    if (write_fd(fd, (have ? st.st_mode : mode_if_new) & 07777, data, len) != PW_OK) {
        e = errno;
        rc = PW_EIO;
        unlink(tmp);
        snprintf(why, cap, "%s: cannot write %s: %s", path, tmp, strerror(e));
        goto done;
    }
done:
    if (rc != PW_OK && tcap)
        tmp[0] = '\0';
    return rc;
}

pw_status_t pw_peer_file_commit(const char *tmp, const char *path, char *why, size_t cap)
{
    char target[PW_PEER_PATH_MAX];

    target_of(path, target, sizeof target);
    if (rename(tmp, target) != 0) {
        snprintf(why, cap, "%s: cannot replace it: %s", path, strerror(errno));
        unlink(tmp);
        return PW_EIO;
    }
    sync_dir_of(target);
    return PW_OK;
}

void pw_peer_file_discard(const char *tmp)
{
    if (tmp && tmp[0])
        unlink(tmp);
}

pw_status_t pw_peer_file_mkdir(const char *path, mode_t mode, int *made, char *why, size_t cap)
{
    struct stat st;

    if (made)
        *made = 0;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return PW_OK;
        snprintf(why, cap, "%s: exists and is not a directory", path);
        return PW_EINVAL;
    }
    if (mkdir(path, mode & 0777) != 0 || chmod(path, mode & 0777) != 0) {
        snprintf(why, cap, "%s: cannot create the directory: %s", path, strerror(errno));
        return PW_EIO;
    }
    if (made)
        *made = 1;
    sync_dir_of(path);
    return PW_OK;
}

pw_status_t pw_peer_file_join(const char *dir, const char *name, char *out, size_t cap)
{
    int n = dir && dir[0] ? snprintf(out, cap, "%s%s%s", dir,
                                     dir[strlen(dir) - 1] == '/' ? "" : "/", name)
                          : snprintf(out, cap, "%s", name);
    return n < 0 || (size_t)n >= cap ? PW_ERANGE : PW_OK;
}
