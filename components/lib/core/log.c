/* log.c: leveled logging to stderr, one line per event, with the stanza id when there is one. */
#include "core/pw_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The logger is process-wide state by nature (stderr is), kept to these three fields. */
static char log_name[64] = "peerwatch";
static pw_log_level_t log_threshold = PW_LOG_INFO;
static int log_journal = -1; /* -1: not yet checked */

void pw_log_setup(const char *name, pw_log_level_t level)
{
    if (name)
        snprintf(log_name, sizeof log_name, "%s", name);
    log_threshold = level;
    log_journal = getenv("JOURNAL_STREAM") != NULL;
}

int pw_log_level_parse(const char *text, pw_log_level_t *out)
{
    static const struct { const char *name; pw_log_level_t level; } names[] = {
        { "error", PW_LOG_ERROR }, { "warn", PW_LOG_WARN },
        { "info", PW_LOG_INFO },   { "debug", PW_LOG_DEBUG },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (text && strcasecmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

pw_log_level_t pw_log_level(void)
{
    return log_threshold;
}

static const char *level_name(pw_log_level_t level)
{
    switch (level) {
    case PW_LOG_ERROR: return "error";
    case PW_LOG_WARN: return "warn";
    case PW_LOG_INFO: return "info";
    default: return "debug";
    }
}

/* Copy src into dst, escaping anything that would break the one-line rule. */
static void escape_line(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (; *src && o + 5 < cap; src++) {
        unsigned char c = (unsigned char)*src;
        if (c == '\n') { dst[o++] = '\\'; dst[o++] = 'n'; }
        else if (c == '\r') { dst[o++] = '\\'; dst[o++] = 'r'; }
        else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
        else dst[o++] = (char)c;
    }
    dst[o] = '\0';
}

void pw_logv(pw_log_level_t level, const char *id, const char *fmt, va_list ap)
{
    char msg[2048], line[4096];
    if (level > log_threshold)
        return;
    if (log_journal < 0)
        log_journal = getenv("JOURNAL_STREAM") != NULL;
    vsnprintf(msg, sizeof msg, fmt, ap);
    escape_line(line, sizeof line, msg);
    if (log_journal) {
        if (id)
            fprintf(stderr, "<%d>%s: [id=%s] %s\n", (int)level, log_name, id, line);
        else
            fprintf(stderr, "<%d>%s: %s\n", (int)level, log_name, line);
    } else {
        struct timespec ts;
        struct tm tm;
        char stamp[32];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        if (id)
            fprintf(stderr, "%s.%03ldZ %s %s: [id=%s] %s\n", stamp, ts.tv_nsec / 1000000L,
                    level_name(level), log_name, id, line);
        else
            fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, ts.tv_nsec / 1000000L,
                    level_name(level), log_name, line);
    }
}

void pw_log(pw_log_level_t level, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pw_logv(level, id, fmt, ap);
    va_end(ap);
}
