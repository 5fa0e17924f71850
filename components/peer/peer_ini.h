/* peer_ini.h: in-place edits of a Peerwatch INI file (docs/config.md): read its key lines as the loader does, set or add one, and render the text with every other line and comment as it was. */
#ifndef PW_PEER_INI_H
#define PW_PEER_INI_H

#include <stddef.h>

#include "core/pw_status.h"

/** Longest line the configuration loader accepts (docs/config.md), after trimming. */
#define PW_PEER_INI_LINE_MAX 198

/** Largest configuration file edited (bytes). */
#define PW_PEER_INI_SIZE_MAX (4 * 1024 * 1024)

/** An INI file's lines, editable. Opaque. */
typedef struct pw_peer_ini pw_peer_ini_t;

/** One "key = value" line, read as the loader reads it. Strings belong to the file's model. */
typedef struct pw_peer_ini_entry {
    const char *section; /**< the section it is in ("" before the first) */
    const char *key;     /**< the key, trimmed */
    const char *value;   /**< the value: trimmed, an inline comment (" ;...") removed */
    unsigned line;       /**< its 1-based line in the file as read; 0 for a line added since */
} pw_peer_ini_entry_t;

/**
 * Read a file.
 * @param out receives the model (pw_peer_ini_destroy())
 * @param path the file
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_ENOTFOUND; PW_EIO; PW_ERANGE (larger than PW_PEER_INI_SIZE_MAX); PW_ENOMEM
 */
pw_status_t pw_peer_ini_load(pw_peer_ini_t **out, const char *path, char *why, size_t cap);

/**
 * Free a model.
 * @param ini the model, or NULL
 */
void pw_peer_ini_destroy(pw_peer_ini_t *ini);

/** @return the path the model was read from (owned by the model) */
const char *pw_peer_ini_path(const pw_peer_ini_t *ini);

/**
 * Walk the key lines of a section (every occurrence of it, in file order).
 * @param ini the model
 * @param section the section name
 * @param cursor 0 before the first call; advanced by each call
 * @param e receives the next entry (valid until the model is changed or freed)
 * @return 1 when e was filled, 0 at the end
 */
int pw_peer_ini_next(const pw_peer_ini_t *ini, const char *section, size_t *cursor,
                     pw_peer_ini_entry_t *e);

/**
 * Find the first line of a key in a section.
 * @param ini the model
 * @param section the section name
 * @param key the key
 * @param fold 1: compare keys ignoring ASCII case (domains); 0: exactly
 * @param e receives the entry (may be NULL)
 * @return 1 when found, else 0
 */
int pw_peer_ini_find(const pw_peer_ini_t *ini, const char *section, const char *key, int fold,
                     pw_peer_ini_entry_t *e);

/**
 * Set a key: its first line in the section gets the new value in place (indentation, the
 * spacing around '=' and an inline comment are kept); without one, a line "key = value" is
 * added after the section's last key line (or after its own comments when it has none); a
 * missing section is added at the end of the file.
 * @param ini the model
 * @param section the section name
 * @param key the key (no whitespace, '=' or ':')
 * @param value the value (no control characters, no leading or trailing blanks, no " ;")
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK; PW_EINVAL (a key or value the file cannot hold, a line over
 *         PW_PEER_INI_LINE_MAX); PW_ENOMEM
 */
pw_status_t pw_peer_ini_set(pw_peer_ini_t *ini, const char *section, const char *key,
                            const char *value, char *why, size_t cap);

/** @return 1 when pw_peer_ini_set() changed anything, else 0 */
int pw_peer_ini_changed(const pw_peer_ini_t *ini);

/**
 * The file's text as it stands: the lines read, with their own line ends, and the edits.
 * @param ini the model
 * @param out receives a malloc'd NUL-terminated text (the caller frees it)
 * @param len receives its length
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_peer_ini_render(const pw_peer_ini_t *ini, char **out, size_t *len);

#endif /* PW_PEER_INI_H */
