/* subscriber_db.h: the HSS subscriber database: loading the subscriber file, lookups by MSISDN and JID, background reload. */
#ifndef HSS_SUBSCRIBER_DB_H
#define HSS_SUBSCRIBER_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_status.h"

/** Longest line accepted in a subscriber file, in bytes, without the line end. */
#define HSS_DB_MAX_LINE 2048

/** Most distinct presence-server JIDs one subscriber file may name. */
#define HSS_DB_MAX_PRESENCE_SERVERS 4096

/** Most subscribers one database holds (the indexes use 32-bit record numbers). */
#define HSS_DB_MAX_SUBSCRIBERS 200000000u

/** A loaded, immutable subscriber database. Opaque; safe to read from several threads. */
typedef struct hss_db hss_db_t;

/** A background reload in progress (see hss_db_reload_start()). Opaque. */
typedef struct hss_db_reload hss_db_reload_t;

/**
 * One subscriber, as returned by the lookups. Every pointer points into the database and
 * stays valid until hss_db_destroy() of that database; the caller frees nothing.
 */
typedef struct {
    const char *msisdn;          /**< canonical E.164, "+447700900001" */
    const char *jid;             /**< bare JID, domain in lower case, "alice@opa.example" */
    const char *presence_server; /**< domain JID of the serving Presence Server */
    int barred;                  /**< non-zero when the status is "barred" */
    int prepaid;                 /**< non-zero for prepaid accounts, zero for postpaid */
    int64_t balance;             /**< prepaid balance in credit units (>= 0; 0 when postpaid gave "-") */
} hss_subscriber_t;

/**
 * Load a subscriber file (format: docs/hss.md). The file is accepted as a whole or not at
 * all: on the first bad line nothing is returned and err says where and why.
 * @param path the file to read
 * @param out receives the new database (free with hss_db_destroy()); set to NULL on error
 * @param err receives "PATH:LINE: message" (or "PATH: message") on error; may be NULL
 * @param errcap size of err in bytes (the message is truncated to fit)
 * @return PW_OK; PW_EINVAL (NULL argument); PW_EIO (the file cannot be read);
 *         PW_ECONFIG (a line is invalid, or a duplicate MSISDN or JID);
 *         PW_ERANGE (too many subscribers or presence servers); PW_ENOMEM
 */
pw_status_t hss_db_load(const char *path, hss_db_t **out, char *err, size_t errcap);

/**
 * Find a subscriber by MSISDN.
 * @param db the database
 * @param msisdn canonical E.164 ('+' then 8 to 15 digits, the first 1-9)
 * @param out receives the record (pointers into db); may be NULL to test presence only
 * @return PW_OK; PW_ENOTFOUND (not allocated); PW_EINVAL (NULL db/msisdn or malformed number)
 */
pw_status_t hss_db_find_msisdn(const hss_db_t *db, const char *msisdn, hss_subscriber_t *out);

/**
 * Find a subscriber by bare JID. The domain compares case-insensitively (ASCII); the
 * localpart compares exactly.
 * @param db the database
 * @param bare_jid "local@domain" (no resource)
 * @param out receives the record (pointers into db); may be NULL to test presence only
 * @return PW_OK; PW_ENOTFOUND; PW_EINVAL (NULL db/bare_jid or not a bare JID with localpart)
 */
pw_status_t hss_db_find_jid(const hss_db_t *db, const char *bare_jid, hss_subscriber_t *out);

/**
 * @param db the database, or NULL
 * @return the number of subscribers (0 for NULL)
 */
size_t hss_db_count(const hss_db_t *db);

/**
 * @param db the database, or NULL
 * @return the bytes of heap the database holds (records, strings, indexes; 0 for NULL)
 */
size_t hss_db_memory(const hss_db_t *db);

/**
 * Free a database and everything it holds. Pointers from its lookups become invalid.
 * @param db the database, or NULL (no-op)
 */
void hss_db_destroy(hss_db_t *db);

/**
 * Start loading a subscriber file in a background thread, so that an event loop can keep
 * serving lookups from the current database meanwhile (the SIGHUP reload). When the load
 * is over, the fd of hss_db_reload_fd() becomes readable; then call hss_db_reload_finish().
 * The thread blocks all signals, so they keep going to the caller's threads.
 * @param path the file to read (copied)
 * @param out receives the reload handle; hss_db_reload_finish() must be called on it
 *            exactly once, and frees it
 * @return PW_OK; PW_EINVAL (NULL argument); PW_ENOMEM; PW_EIO (pipe or thread creation failed)
 */
pw_status_t hss_db_reload_start(const char *path, hss_db_reload_t **out);

/**
 * @param r the reload handle
 * @return a non-blocking fd that becomes readable once the background load is over
 *         (owned by r: do not close it; stop watching it before hss_db_reload_finish()), or -1 for NULL
 */
int hss_db_reload_fd(const hss_db_reload_t *r);

/**
 * Wait for the background load (returns at once if the fd is readable), hand over its
 * result and free the handle and its fd. The caller then swaps the new database in and
 * destroys the old one; nothing about the old database is touched here.
 * @param r the reload handle (freed by this call; NULL gives PW_EINVAL)
 * @param db_out receives the new database on success (caller frees), NULL on failure;
 *               may be NULL to discard the result (e.g. at shutdown)
 * @param err receives the load error as for hss_db_load(); may be NULL
 * @param errcap size of err
 * @return the status of the load, as for hss_db_load()
 */
pw_status_t hss_db_reload_finish(hss_db_reload_t *r, hss_db_t **db_out, char *err, size_t errcap);

#endif /* HSS_SUBSCRIBER_DB_H */
