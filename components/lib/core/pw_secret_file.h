/* pw_secret_file.h: the permission check of a file holding a secret (component secret, private key). */
#ifndef PW_SECRET_FILE_H
#define PW_SECRET_FILE_H

#include <stddef.h>

#include "core/pw_status.h"

/**
 * Refuse a file holding a secret whose mode lets others at it, as ssh refuses such keys: any
 * permission for other users (mode & 0007) or write for the group (mode & 0020). Group read is
 * allowed (the install's root:peerwatch 0640). The mode checked is the open file's (fstat), so
 * it is the file read, not one a rename put in its place.
 * @param fd an open descriptor of the file
 * @param path the file's name, for the message
 * @param what what the file holds, for the message ("the component secret", "the private key")
 * @param why receives the reason on refusal: "the file is mode 0644: other users can read
 *        the private key; run chmod o-rwx PATH (refused as ssh refuses such keys)"; untouched
 *        on success
 * @param cap size of why
 * @return PW_OK; PW_EDENIED if the mode is too open; PW_EIO if fstat fails (why says so);
 *         PW_EINVAL for a NULL argument
 */
pw_status_t pw_secret_file_check(int fd, const char *path, const char *what, char *why, size_t cap);

#endif /* PW_SECRET_FILE_H */
