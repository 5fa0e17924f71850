/* peer_file.h: how peerwatch-peer reads and writes files: bounded whole-file reads, create-only writes, and atomic replacement (temp file, then rename) keeping mode and owner. */
#ifndef PW_PEER_FILE_H
#define PW_PEER_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "core/pw_status.h"

/** Longest path peerwatch-peer handles (bytes, NUL included). */
#define PW_PEER_PATH_MAX 4096

/**
 * Read a whole file into memory.
 * @param path the file
 * @param max the largest size accepted, in bytes
 * @param out receives a malloc'd copy with a NUL appended (the caller frees it)
 * @param len receives its length (without the NUL)
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_ENOTFOUND when the file does not exist; PW_EIO; PW_ERANGE when it is
 *         larger than max; PW_ENOMEM
 */
pw_status_t pw_peer_file_read(const char *path, size_t max, char **out, size_t *len, char *why,
                              size_t cap);

/**
 * Create a new file holding data (O_CREAT | O_EXCL: an existing file is never touched) with
 * exactly the given mode (the umask does not apply), flushed to disk. A file this call
 * created is removed again when writing it fails.
 * @param path the file
 * @param data its content
 * @param len length of data
 * @param mode its permission bits, e.g. 0600
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_EEXIST when path exists; PW_EIO
 */
pw_status_t pw_peer_file_create(const char *path, const char *data, size_t len, mode_t mode,
                                char *why, size_t cap);

/**
 * First half of an atomic replacement: write data to a new temporary file in the directory
 * of path, with the mode and owner of path (or mode_if_new when path does not exist yet),
 * flushed to disk. Finish with pw_peer_file_commit() or pw_peer_file_discard(). When path is a
 * symbolic link, the file it names is the one replaced (the link stays).
 * @param path the file to replace (or create)
 * @param data the new content
 * @param len length of data
 * @param mode_if_new permission bits when path does not exist
 * @param tmp receives the temporary file's path
 * @param tcap size of tmp (PW_PEER_PATH_MAX is enough)
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK (tmp exists); PW_EIO or PW_ERANGE (nothing is left behind)
 */
pw_status_t pw_peer_file_stage(const char *path, const char *data, size_t len, mode_t mode_if_new,
                               char *tmp, size_t tcap, char *why, size_t cap);

/**
 * Second half: rename the temporary file over path (atomic) and flush the directory.
 * @param tmp what pw_peer_file_stage() wrote
 * @param path the file it replaces
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_EIO (tmp is removed then)
 */
pw_status_t pw_peer_file_commit(const char *tmp, const char *path, char *why, size_t cap);

/**
 * Give a staged file up: remove it.
 * @param tmp what pw_peer_file_stage() wrote; NULL or "" is ignored
 */
void pw_peer_file_discard(const char *tmp);

/**
 * Make sure a directory exists: create it with mode when it is missing (its parent must
 * exist); an existing one is left as it is.
 * @param path the directory
 * @param mode permission bits for a new directory, e.g. 0700 (the umask does not apply)
 * @param made receives 1 when this call created it, else 0 (may be NULL)
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_EINVAL when path exists and is no directory; PW_EIO
 */
pw_status_t pw_peer_file_mkdir(const char *path, mode_t mode, int *made, char *why, size_t cap);

/**
 * Join a directory and a file name.
 * @param dir the directory ("" gives name alone)
 * @param name the file name
 * @param out receives "DIR/NAME"
 * @param cap size of out
 * @return PW_OK or PW_ERANGE when out is too small
 */
pw_status_t pw_peer_file_join(const char *dir, const char *name, char *out, size_t cap);

#endif /* PW_PEER_FILE_H */
