/* pw_store.h: a small durable key-value journal (append, group commit with fdatasync, torn-tail repair, compaction) for subscriptions. */
#ifndef PW_STORE_H
#define PW_STORE_H

#include <stddef.h>

#include "core/pw_status.h"

/** A journal of key -> value text records in one directory. Opaque. */
typedef struct pw_store pw_store_t;

/** Longest key and value accepted, in bytes. */
#define PW_STORE_KEY_MAX 255
#define PW_STORE_VALUE_MAX 4000

/**
 * Called once per live record while the journal is opened (after replay: deleted and
 * superseded records are not reported).
 * @return PW_OK to go on; anything else stops the open with that status
 */
typedef pw_status_t (*pw_store_load_fn)(void *arg, const char *key, const char *value);

/**
 * Called when the store compacts: the caller writes every record it still holds with
 * pw_store_put() (the puts go to the new journal).
 */
typedef pw_status_t (*pw_store_rewrite_fn)(void *arg, pw_store_t *store);

/**
 * Open (or create) DIR/NAME.journal and replay it. A last record torn by a crash (no final
 * newline or a bad checksum on the last line) is cut off and reported in the log; damage
 * anywhere else refuses the open with PW_ECORRUPT.
 * @param out receives the store (pw_store_close())
 * @param dir an existing directory
 * @param name the journal's base name ([A-Za-z0-9._-])
 * @param load called for every live record
 * @param rewrite called when compaction is due (may be NULL: never compact)
 * @param arg passed to load and rewrite
 * @return PW_OK, PW_EINVAL, PW_EIO, PW_ECORRUPT, PW_ENOMEM, or load's failure
 */
pw_status_t pw_store_open(pw_store_t **out, const char *dir, const char *name, pw_store_load_fn load,
                          pw_store_rewrite_fn rewrite, void *arg);

/**
 * Record key = value (replacing an earlier value). Buffered until pw_store_commit().
 * Keys and values are text without tab, newline or NUL.
 * @return PW_OK, PW_EINVAL (bad characters or lengths), PW_ENOMEM, or PW_EIO while the
 *         store is failing
 */
pw_status_t pw_store_put(pw_store_t *s, const char *key, const char *value);

/** Record that key is gone. Buffered until pw_store_commit(). */
pw_status_t pw_store_del(pw_store_t *s, const char *key);

/**
 * Write everything buffered with one write and one fdatasync (group commit); compacts first
 * when the journal holds more than twice the live records (and at least 1024 dead ones).
 * @return PW_OK (nothing lost from here on) or PW_EIO (the buffered records stay buffered and
 *         the next commit retries)
 */
pw_status_t pw_store_commit(pw_store_t *s);

/** @return the number of live keys (the owner's count after pw_store_keys_by_owner()) */
size_t pw_store_count(const pw_store_t *s);

/**
 * Let the owner keep track of which keys are live, after pw_store_open() has loaded them: the
 * store drops its own set of live keys (a copy of every key); from then on pw_store_del() writes
 * its record whatever the key (a deletion of a key that is not live is ignored at loading, so the
 * owner need not check), and pw_store_count() (the compaction's measure) asks live_count.
 * @param s the store, or NULL (nothing done)
 * @param live_count returns the number of live keys; called with the arg given at opening
 */
void pw_store_keys_by_owner(pw_store_t *s, size_t (*live_count)(void *arg));

/** @return non-zero when records wait for pw_store_commit() */
int pw_store_pending(const pw_store_t *s);

/** Commit what is buffered (best effort) and close. NULL is fine. */
void pw_store_close(pw_store_t *s);

#endif /* PW_STORE_H */
