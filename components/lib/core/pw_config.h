/* pw_config.h: one-file-per-component INI configuration, every option declared in one table. */
#ifndef PW_CONFIG_H
#define PW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/pw_log.h"
#include "core/pw_status.h"

/** The kinds of option value, with the type each is stored as in the caller's struct. */
typedef enum pw_opt_type {
    PW_OPT_STRING,   /**< char * (malloc'd); bounds: length in bytes */
    PW_OPT_INT,      /**< int64_t; bounds: the value */
    PW_OPT_BOOL,     /**< int (0 or 1): yes/no/true/false/on/off/1/0; bounds unused */
    PW_OPT_DURATION, /**< int64_t in ms: 1500ms, 30s, 5m, 2h, 1d, bare integer = s; bounds in ms */
    PW_OPT_SIZE,     /**< int64_t in bytes: 64, 16k, 10M, 1G (powers of 1024); bounds in bytes */
    PW_OPT_JID,      /**< char *: bare JID or domain (no resource); bounds: length */
    PW_OPT_DOMAIN,   /**< char *: DNS name (labels of letters, digits, '-', '_'); bounds: length */
    PW_OPT_HOST,     /**< char *: DNS name, IPv4 or IPv6 literal; bounds: length */
    PW_OPT_PORT,     /**< int: 1..65535; bounds: the value (within 1..65535) */
    PW_OPT_PATH,     /**< char *: file system path, kept as written; bounds: length */
    PW_OPT_LOGLEVEL, /**< pw_log_level_t: error, warn, info, debug; bounds unused */
    PW_OPT_LIST      /**< pw_config_list_t: comma-separated, trimmed items; bounds: item count */
} pw_opt_type_t;

/**
 * One option: where it lives in the file and in the caller's settings struct.
 * min == max == 0 means "the natural bounds of the type" (see docs/config.md).
 */
typedef struct pw_config_option {
    const char *section; /**< "component" */
    const char *name;    /**< "jid" */
    pw_opt_type_t type;
    int64_t min, max;    /**< numeric value, duration in ms, size in bytes, string length, list items */
    const char *def;     /**< default as text, parsed like a file value; NULL = required */
    const char *help;    /**< one line */
    size_t offset;       /**< offsetof() into the caller's settings struct */
} pw_config_option_t;

/** Storage of a PW_OPT_LIST value; items are malloc'd, freed by pw_config_free(). */
typedef struct pw_config_list {
    size_t n;
    char **items;
} pw_config_list_t;

/**
 * Handler of one line of a map section (a section whose keys are data, e.g. [peers]).
 * It validates and stores the pair in its own structures inside settings; those structures are
 * the caller's to free, also after a failed load. The loader has already refused an exact
 * duplicate key in the same section.
 * @param settings the settings pointer given to pw_config_load()
 * @param key the key as written (trimmed, non-empty, no whitespace)
 * @param value the value (trimmed, inline comment removed; may be empty)
 * @param why buffer for the reason of a refusal, shown after "file:line: [section] key: "
 * @param why_cap size of why
 * @return PW_OK to accept; any other status refuses the line and stops the load
 */
typedef pw_status_t (*pw_config_map_fn)(void *settings, const char *key, const char *value,
                                        char *why, size_t why_cap);

/** A map section and its handler. */
typedef struct pw_config_map {
    const char *section;
    pw_config_map_fn fn;
    const char *help; /**< one line: what a key and a value are */
} pw_config_map_t;

/** Where and why loading stopped. line is 0 when the error concerns no line of the file. */
typedef struct pw_config_error {
    char file[256];
    unsigned line;
    char section[64];
    char key[128];
    char message[512];
} pw_config_error_t;

/**
 * Load a configuration file. Every option's field is first set to its default (required options
 * to NULL/0), then the file is applied; loading stops at the first error: unreadable file,
 * over-long line, a line that is not "[section]" or "key = value", unknown section, unknown key,
 * duplicate key, bad or out-of-bounds value, a map handler's refusal, a required key missing,
 * the built-in cross checks ([component] reconnect_max >= reconnect_min), and a "secret = ..."
 * line (any section) in a file other users can read or change (pw_secret_file_check()).
 * @param path the file to read
 * @param opts the option table (may be NULL when nopts is 0)
 * @param nopts number of rows in opts
 * @param maps the map sections (may be NULL when nmaps is 0)
 * @param nmaps number of rows in maps
 * @param settings the caller's struct; its option fields are overwritten without being freed,
 *        so pass a zeroed or already-freed struct
 * @param err receives the error on failure (may be NULL); zeroed on success
 * @return PW_OK; PW_EIO if the file cannot be opened or read; PW_ENOMEM; PW_EINVAL for NULL
 *         path/settings (settings untouched then); PW_ECONFIG otherwise.
 *         On failure every option field has been freed and reset (as by pw_config_free()).
 *         On success the caller frees the settings with pw_config_free().
 */
pw_status_t pw_config_load(const char *path, const pw_config_option_t *opts, size_t nopts,
                           const pw_config_map_t *maps, size_t nmaps, void *settings,
                           pw_config_error_t *err);

/**
 * Free every string and list an option table stored and reset every option field to 0/NULL.
 * Calling it twice is harmless. Map data is not touched.
 * @param opts the table given to pw_config_load()
 * @param nopts number of rows
 * @param settings the struct (NULL is accepted and ignored)
 */
void pw_config_free(const pw_config_option_t *opts, size_t nopts, void *settings);

/**
 * Find the line of a file that sets a key, for the checks that run after pw_config_load() (a
 * role's cross-field check) so that their errors name a line too.
 * @param path the configuration file (read again; nothing is kept)
 * @param section the section, without brackets
 * @param key the key
 * @return the 1-based line of "key = ..." in [section]; 0 when it is not there or the file
 *         cannot be read
 */
unsigned pw_config_line_of(const char *path, const char *section, const char *key);

/**
 * Format an error as "FILE:LINE: [section] key: message" ("FILE: ..." when line is 0; the
 * section and key parts are left out when empty).
 * @param e the error
 * @param buf where to write (always NUL-terminated when cap > 0; truncated if short)
 * @param cap size of buf
 * @return buf
 */
const char *pw_config_error_text(const pw_config_error_t *e, char *buf, size_t cap);

/**
 * Print the reference of a table as text (for --help-config): for each section its options
 * with type, bounds, default or "required", and help; then the map sections.
 * @param out where to print
 * @param opts the option table
 * @param nopts number of rows
 * @param maps the map sections (may be NULL)
 * @param nmaps number of rows in maps
 */
void pw_config_print_reference(FILE *out, const pw_config_option_t *opts, size_t nopts,
                               const pw_config_map_t *maps, size_t nmaps);

/** The forms of the option reference. */
typedef enum pw_config_format {
    PW_CONFIG_FORMAT_TEXT, /**< plain text, as pw_config_print_reference() prints it */
    PW_CONFIG_FORMAT_MAN   /**< roff for a man page (man(7)): ".SS [section]", a ".TP" per option */
} pw_config_format_t;

/**
 * Print the reference of a table in a given form: PW_CONFIG_FORMAT_TEXT is
 * pw_config_print_reference(); PW_CONFIG_FORMAT_MAN is roff to put into a man page (the
 * program's --help-config=man, which docs/man/mkman.sh puts into the pages at build time): a
 * ".SS [section]" per section, per option a ".TP" paragraph "\fBname\fR = \fItype\fR" with its
 * help, its default or "Required", and its bounds; then each map section with its help. Text
 * from the table is escaped (backslashes, hyphens as \-, a leading '.' or '\'').
 * @param out where to print (NULL: nothing is printed)
 * @param opts the option table
 * @param nopts number of rows
 * @param maps the map sections (may be NULL)
 * @param nmaps number of rows in maps
 * @param fmt the form
 */
void pw_config_print_reference_as(FILE *out, const pw_config_option_t *opts, size_t nopts,
                                  const pw_config_map_t *maps, size_t nmaps, pw_config_format_t fmt);

/**
 * Parse a duration ("1500ms", "30s", "5m", "2h", "1d", bare integer = seconds); for map handlers.
 * @param text the text (no surrounding whitespace)
 * @param out_ms receives milliseconds
 * @return PW_OK, PW_EINVAL if malformed, PW_ERANGE if it overflows
 */
pw_status_t pw_config_parse_duration(const char *text, int64_t *out_ms);

/**
 * Parse a size ("64", "16k", "10M", "1G"; powers of 1024); for map handlers.
 * @param text the text (no surrounding whitespace)
 * @param out_bytes receives bytes
 * @return PW_OK, PW_EINVAL if malformed, PW_ERANGE if it overflows
 */
pw_status_t pw_config_parse_size(const char *text, int64_t *out_bytes);

/**
 * Parse a boolean (yes/no/true/false/on/off/1/0, any case); for map handlers.
 * @param text the text
 * @param out receives 1 or 0
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_config_parse_bool(const char *text, int *out);

/*
 * The operator file (docs/config.md, "The operator file"). What every role of one operator
 * shares is written once, in an [operator] section: in a file a role's configuration names with
 * "include = FILE" on a line before its first section (FILE relative to the including file's
 * directory), or in the role's file itself. Its values are the variables of built-in defaults:
 * a role's table may give an option the default "watcher.${domain}", filled from the operator
 * file; ${name:-text} gives text when name is unset, ${name:+text} gives text only when name is
 * set. A default that needs an unset ${name} leaves its option required. The variables: the
 * [operator] keys below and config_dir, the directory of the file holding [operator].
 */

/** What an operator file holds (pw_config_operator_load()). Strings are malloc'd. */
typedef struct pw_config_operator {
    char *domain;    /**< the operator's network domain (required) */
    char *secret;    /**< the XEP-0114 secret of its server's component definitions (required) */
    char *server;    /**< host of the server's component listener (127.0.0.1) */
    int port;        /**< its port (5347) */
    char *state_dir; /**< where the roles keep their state (/var/lib/peerwatch) */
    char *key_dir;   /**< this operator's key pair <domain>.key/.pub and its peers' keys
                          (${config_dir}/keys) */
    char *config_dir; /**< the directory of the file holding [operator] */
} pw_config_operator_t;

/** The [operator] keys, with offsets into pw_config_operator_t (config_dir is no key). */
extern const pw_config_option_t pw_config_operator_options[];
/** Number of rows of pw_config_operator_options. */
extern const size_t pw_config_operator_count;

/**
 * Load an operator file, or the [operator] part of a role's file (its include followed; its
 * other sections are skipped unread).
 * @param path the file
 * @param out receives the values, defaults filled in (free with pw_config_operator_free())
 * @param err receives the error on failure (may be NULL): file, line, key, message
 * @return PW_OK; PW_ENOTFOUND when the file has no [operator] section and no include;
 *         PW_EIO; PW_ENOMEM; PW_ECONFIG
 */
pw_status_t pw_config_operator_load(const char *path, pw_config_operator_t *out, pw_config_error_t *err);

/** Free what pw_config_operator_load() stored (NULL and a zeroed struct are fine). @param op the values */
void pw_config_operator_free(pw_config_operator_t *op);

/** Variables for pw_config_expand(): names[i] has values[i] (NULL: unset). */
typedef struct pw_config_vars {
    const char *const *names;
    const char *const *values;
    size_t n;
} pw_config_vars_t;

/**
 * Expand ${name}, ${name:-text} and ${name:+text} (text may hold more of them).
 * @param text the text
 * @param vars the variables (NULL: none set)
 * @param out receives the expansion
 * @param cap size of out
 * @param missing receives the name of the first unset variable a plain ${name} needed (may be NULL)
 * @param mcap size of missing
 * @return PW_OK; PW_ENOTFOUND (an unset ${name}); PW_EINVAL (a malformed ${...}); PW_ERANGE (out too small)
 */
pw_status_t pw_config_expand(const char *text, const pw_config_vars_t *vars, char *out, size_t cap,
                             char *missing, size_t mcap);

/** @return 1 when text holds a "${": a default filled from the operator file, else 0 */
int pw_config_has_vars(const char *text);

/** The options every component has; roles embed it as `pw_config_common_t common;`. */
typedef struct pw_config_common {
    char *jid;                  /**< [component] jid: the component's domain (required) */
    char *secret;               /**< [component] secret: XEP-0114 shared secret (required) */
    char *server;               /**< [component] server: XMPP server host (127.0.0.1) */
    int port;                   /**< [component] port: component port (5347) */
    int64_t connect_timeout_ms; /**< [component] connect_timeout (10s) */
    int64_t reconnect_min_ms;   /**< [component] reconnect_min: first backoff delay (500ms) */
    int64_t reconnect_max_ms;   /**< [component] reconnect_max: backoff ceiling (30s), >= min */
    int64_t iq_timeout_ms;      /**< [component] iq_timeout (10s) */
    pw_log_level_t log_level;   /**< [log] level (info) */
    char *metrics_listen;       /**< [metrics] listen: HOST:PORT of GET /metrics ("": none) */
    int metrics_allow_remote;   /**< [metrics] allow_remote: may listen be non-loopback (no) */
    pw_config_list_t metrics_admins; /**< [metrics] admins: bare JIDs allowed the admin command */
} pw_config_common_t;

/**
 * The common option rows with offsets into a struct where pw_config_common_t sits at byte
 * offset BASE. Use PW_CONFIG_COMMON_OPTIONS() in a role's table instead of this.
 */
#define PW_CONFIG_COMMON_OPTIONS_AT(base, jid_default)                                           \
    { "component", "jid", PW_OPT_DOMAIN, 1, 253, (jid_default),                                  \
      "the component's domain (its JID), e.g. hss.opa.example",                                 \
      (base) + offsetof(pw_config_common_t, jid) },                                              \
    { "component", "secret", PW_OPT_STRING, 1, 1023, "${secret}",                                \
      "XEP-0114 shared secret, as in the server's component definition",                         \
      (base) + offsetof(pw_config_common_t, secret) },                                           \
    { "component", "server", PW_OPT_HOST, 0, 0, "${server:-127.0.0.1}",                          \
      "host of the XMPP server's component listener",                                            \
      (base) + offsetof(pw_config_common_t, server) },                                           \
    { "component", "port", PW_OPT_PORT, 0, 0, "${port:-5347}",                                   \
      "TCP port of the XMPP server's component listener",                                        \
      (base) + offsetof(pw_config_common_t, port) },                                             \
    { "component", "connect_timeout", PW_OPT_DURATION, 100, 600000, "10s",                       \
      "give up a connection attempt (TCP + handshake) after this long",                          \
      (base) + offsetof(pw_config_common_t, connect_timeout_ms) },                               \
    { "component", "reconnect_min", PW_OPT_DURATION, 100, 3600000, "500ms",                      \
      "first delay before reconnecting; doubles on each failure",                                \
      (base) + offsetof(pw_config_common_t, reconnect_min_ms) },                                 \
    { "component", "reconnect_max", PW_OPT_DURATION, 1000, 86400000, "30s",                      \
      "ceiling of the reconnect delay; must be >= reconnect_min",                                \
      (base) + offsetof(pw_config_common_t, reconnect_max_ms) },                                 \
    { "component", "iq_timeout", PW_OPT_DURATION, 100, 600000, "10s",                            \
      "how long to wait for the answer to an IQ this component sends",                           \
      (base) + offsetof(pw_config_common_t, iq_timeout_ms) },                                    \
    { "log", "level", PW_OPT_LOGLEVEL, 0, 0, "info",                                             \
      "log threshold: error, warn, info or debug",                                               \
      (base) + offsetof(pw_config_common_t, log_level) },                                        \
    { "metrics", "listen", PW_OPT_STRING, 0, 80, "",                                             \
      "HOST:PORT or [V6]:PORT serving Prometheus GET /metrics, e.g. 127.0.0.1:9464; empty: off", \
      (base) + offsetof(pw_config_common_t, metrics_listen) },                                   \
    { "metrics", "allow_remote", PW_OPT_BOOL, 0, 0, "no",                                        \
      "allow a listen address that is not a loopback address (127.0.0.0/8, ::1)",                \
      (base) + offsetof(pw_config_common_t, metrics_allow_remote) },                             \
    { "metrics", "admins", PW_OPT_LIST, 0, 64, "",                                               \
      "bare JIDs allowed the XEP-0050 command urn:peerwatch:metrics; empty: nobody",             \
      (base) + offsetof(pw_config_common_t, metrics_admins) }

/** Number of rows PW_CONFIG_COMMON_OPTIONS() expands to. */
#define PW_CONFIG_COMMON_COUNT 12

/**
 * The common option rows for a role's own table, with offsets into the role's struct TYPE whose
 * pw_config_common_t member is MEMBER. Put it first in the role's table:
 *
 *     typedef struct { pw_config_common_t common; char *db; } hss_settings_t;
 *     static const pw_config_option_t hss_options[] = {
 *         PW_CONFIG_COMMON_OPTIONS(hss_settings_t, common),
 *         { "hss", "db", PW_OPT_PATH, 1, 4095, NULL, "subscriber file",
 *           offsetof(hss_settings_t, db) },
 *     };
 *
 * then load, free and print with that one table.
 */
#define PW_CONFIG_COMMON_OPTIONS(type, member) PW_CONFIG_COMMON_OPTIONS_AT(offsetof(type, member), NULL)

/**
 * The same for a role whose component JID defaults to "<label>.${domain}" of the operator
 * file (docs/config.md): PW_CONFIG_ROLE_OPTIONS(hss_settings_t, common, "hss").
 */
#define PW_CONFIG_ROLE_OPTIONS(type, member, label)                                                \
    PW_CONFIG_COMMON_OPTIONS_AT(offsetof(type, member), label ".${domain}")

/** The common rows alone, with offsets into pw_config_common_t itself. */
extern const pw_config_option_t pw_config_common_options[];
/** Number of rows of pw_config_common_options (PW_CONFIG_COMMON_COUNT). */
extern const size_t pw_config_common_count;

#endif /* PW_CONFIG_H */
