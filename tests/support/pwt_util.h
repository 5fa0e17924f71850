/* pwt_util.h: integration-harness helpers: tree paths, clock, ports, temp dirs, template rendering, file copies. */
#ifndef PWT_UTIL_H
#define PWT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/pw_status.h"

/** Longest path the harness builds (bytes, terminator included). */
#define PWT_PATH_MAX 1024

/**
 * The source tree's absolute path: $PWT_SRCDIR when set, else the one compiled in.
 * @return a static string; never NULL
 */
const char *pwt_srcdir(void);

/**
 * The build tree's absolute path: $PWT_BUILDDIR when set, else the one compiled in.
 * @return a static string; never NULL
 */
const char *pwt_builddir(void);

/**
 * Resolve a path relative to the source tree (absolute paths are copied as they are).
 * @param buf receives the path
 * @param size size of buf
 * @param rel e.g. "conf/prosody/operator.cfg.lua"
 * @return PW_OK, PW_EINVAL on NULL arguments, PW_ERANGE if it does not fit
 */
pw_status_t pwt_srcpath(char *buf, unsigned size, const char *rel);

/** @return a monotonic clock in milliseconds */
uint64_t pwt_now_ms(void);

/**
 * The median and 99th percentile of samples (the element at n/2 and at 99 % of n, once sorted).
 * @param v the samples, sorted ascending in place
 * @param n how many (0: both results 0)
 * @param p50 receives the median
 * @param p99 receives the 99th percentile
 */
void pwt_percentiles(double *v, size_t n, double *p50, double *p99);

/**
 * Sleep for a number of milliseconds (restarts after signals).
 * @param ms how long
 */
void pwt_sleep_ms(unsigned ms);

/**
 * Pick a free TCP port on an address: bind port 0, read the port, close.
 * The port is free now, not reserved: start the server soon.
 * @param ip an IPv4 address, e.g. "127.0.0.2"
 * @return the port (1..65535), or -1 on error (logged)
 */
int pwt_port_pick(const char *ip);

/**
 * Pick a port that is free for both TCP and UDP on an address (for a DNS server).
 * @param ip an IPv4 address
 * @return the port, or -1 on error (logged)
 */
int pwt_port_pick_udp_tcp(const char *ip);

/**
 * Wait until a TCP connect to ip:port succeeds.
 * @param ip IPv4 address
 * @param port port
 * @param timeout_ms how long to keep trying
 * @return 0 once a connect succeeded, -1 on timeout or bad arguments
 */
int pwt_port_wait(const char *ip, int port, unsigned timeout_ms);

/**
 * strdup of a string of 1..max bytes.
 * @param s the string (NULL is fine)
 * @param max most bytes
 * @return the copy (caller frees), or NULL if s is NULL, empty, longer than max, or out of memory
 */
char *pwt_strdup_bounded(const char *s, size_t max);

/**
 * Join a directory and a name into a PWT_PATH_MAX buffer: "DIR/NAME".
 * @param buf receives the path (PWT_PATH_MAX bytes)
 * @param dir the directory
 * @param name the name
 * @return PW_OK; PW_ERANGE when it does not fit
 */
pw_status_t pwt_path_join(char *buf, const char *dir, const char *name);

/**
 * mkdir (mode 0700) that accepts an existing directory.
 * @param path the directory
 * @return 0 on success, -1 otherwise (errno set)
 */
int pwt_mkdir(const char *path);

/**
 * Create or truncate a file for writing, mode 0600 whatever the umask or its old mode: what
 * a test writes a component secret or a private key into (the components refuse such a
 * file when others can read it; docs/config.md, "Secrets").
 * @param path the file
 * @return the stream (close it with pwt_file_close() or fclose()); NULL on error (logged)
 */
FILE *pwt_file_create(const char *path);

/**
 * Close a file written with stdio, checking that every write reached it.
 * @param f the file (closed in every case; NULL: the open failed)
 * @param path its path, for the message logged on failure
 * @return PW_OK; PW_EIO (logged)
 */
pw_status_t pwt_file_close(FILE *f, const char *path);

/**
 * Create a fresh private directory "pwt-<tag>-XXXXXX" under $TMPDIR (or /tmp).
 * @param tag short name for humans (letters, digits, '-', '_'; at most 32 bytes)
 * @return the absolute path, malloc'd (caller frees), or NULL on error (logged)
 */
char *pwt_tmpdir(const char *tag);

/**
 * Remove a directory tree (does not follow symlinks). NULL or a missing path is fine.
 * @param path the directory
 * @return 0 on success, -1 if something could not be removed
 */
int pwt_rmtree(const char *path);

/**
 * Render a template: copy it to out_path replacing every "@NAME@" whose NAME is given in
 * vars. NAME is [A-Z][A-Z0-9_]*; an "@" not starting such a token is copied as it is.
 * A token whose NAME is not in vars is an error (logged with its line): a typo never
 * reaches the server.
 * @param template_path template file (at most 1 MiB)
 * @param out_path output file, created or truncated (mode 0600)
 * @param vars NAME, VALUE, NAME, VALUE, ..., NULL (names without the at-signs)
 * @return PW_OK; PW_ECONFIG on an unknown placeholder; PW_EIO, PW_ERANGE, PW_ENOMEM,
 *         PW_EINVAL otherwise
 */
pw_status_t pwt_render(const char *template_path, const char *out_path, const char *const vars[]);

/**
 * Copy a file (at most 1 MiB) to a new private one: created or truncated, mode 0600, owned by
 * the caller (e.g. a certificate for a server that runs as another user: chown the copy).
 * @param src the file to copy
 * @param dst the copy (removed again on failure)
 * @return PW_OK; PW_EINVAL; PW_EIO (logged); PW_ERANGE (too large); PW_ENOMEM
 */
pw_status_t pwt_file_copy(const char *src, const char *dst);

/**
 * Print the last lines of a text file to stderr, framed with its path (for failing tests).
 * @param path the file (NULL or missing: says so)
 * @param lines how many lines at most
 */
void pwt_print_tail(const char *path, unsigned lines);

#endif /* PWT_UTIL_H */
