/* pw_log.h: leveled, one-line-per-event logging to stderr (journald-friendly). */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <stdarg.h>

/** Log levels, most severe first; the numbers are syslog priorities. */
typedef enum pw_log_level {
    PW_LOG_ERROR = 3,
    PW_LOG_WARN = 4,
    PW_LOG_INFO = 6,
    PW_LOG_DEBUG = 7
} pw_log_level_t;

/**
 * Set the process-wide threshold and the name printed on every line.
 * Lines go to stderr. When stderr is a journald stream ($JOURNAL_STREAM set), each line
 * starts with the syslog priority in angle brackets ("<6>") so journald files it at the
 * right level; otherwise it starts with the level name.
 * @param name program or component name (copied; NULL keeps the current one)
 * @param level lines above this level (less severe) are dropped
 */
void pw_log_setup(const char *name, pw_log_level_t level);

/**
 * Parse a level name: "error", "warn", "info" or "debug".
 * @param text the name
 * @param out receives the level on success
 * @return 0 on success, -1 if the name is unknown
 */
int pw_log_level_parse(const char *text, pw_log_level_t *out);

/** @return the current threshold */
pw_log_level_t pw_log_level(void);

/**
 * Write one log line. Newlines and control characters in the message are escaped so that
 * one call is always one line.
 * @param level severity
 * @param id the stanza id this event concerns, or NULL
 * @param fmt printf-style format
 */
void pw_log(pw_log_level_t level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list form of pw_log(). */
void pw_logv(pw_log_level_t level, const char *id, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define pw_error(id, ...) pw_log(PW_LOG_ERROR, (id), __VA_ARGS__)
#define pw_warn(id, ...) pw_log(PW_LOG_WARN, (id), __VA_ARGS__)
#define pw_info(id, ...) pw_log(PW_LOG_INFO, (id), __VA_ARGS__)
#define pw_debug(id, ...) \
    do { if (pw_log_level() >= PW_LOG_DEBUG) pw_log(PW_LOG_DEBUG, (id), __VA_ARGS__); } while (0)

#endif /* PW_LOG_H */
