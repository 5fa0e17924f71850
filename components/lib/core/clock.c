/* clock.c: wall-clock milliseconds and XEP-0082 (Date and Time Profiles) timestamps, parsed and formatted. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/pw_clock.h"

/* The last millisecond of year 9999: formats stay 24 characters long. */
#define CLOCK_MS_MAX 253402300799999ull

uint64_t pw_clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void pw_clock_format_ms(uint64_t ms, char out[PW_CLOCK_MS_TEXT])
{
    char tmp[96]; /* wide enough for any int, to keep the compiler's range check quiet */
    struct tm tm;
    time_t secs;

    if (ms > CLOCK_MS_MAX)
        ms = CLOCK_MS_MAX;
    secs = (time_t)(ms / 1000);
    if (!gmtime_r(&secs, &tm)) {
        memcpy(out, "1970-01-01T00:00:00.000Z", PW_CLOCK_MS_TEXT);
        return;
    }
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
    memcpy(out, tmp, PW_CLOCK_MS_TEXT - 1);
    out[PW_CLOCK_MS_TEXT - 1] = '\0';
}

pw_status_t pw_clock_format_seconds(uint64_t ms, char *buf, size_t cap)
{
    time_t secs = (time_t)(ms / 1000u);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return PW_ERANGE;
    return PW_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Read exactly n digits. @return the value or -1. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

pw_status_t pw_clock_parse(const char *text, uint64_t *out_unix_ms)
{
    static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    const char *p = text;
    int y, mo, d, h, mi, s, ms = 0, off = 0;
    int64_t t;

    if (!text || !out_unix_ms || strlen(text) > PW_CLOCK_TEXT_MAX)
        return PW_EINVAL;
    if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
        (d = digits(&p, 2)) < 0 || *p++ != 'T' || (h = digits(&p, 2)) < 0 || *p++ != ':' ||
        (mi = digits(&p, 2)) < 0 || *p++ != ':' || (s = digits(&p, 2)) < 0)
        return PW_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return PW_EINVAL;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return PW_EINVAL;
    if (*p == '.') {
        int n = 0, scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, n++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (n == 0)
            return PW_EINVAL;
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if ((oh = digits(&p, 2)) < 0 || *p++ != ':' || (om = digits(&p, 2)) < 0 || oh > 23 || om > 59)
            return PW_EINVAL;
        off = sign * (oh * 60 + om);
    } else {
        return PW_EINVAL;
    }
    if (*p)
        return PW_EINVAL;
    t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - off * 60;
    if (t < 0)
        return PW_EINVAL;
    *out_unix_ms = (uint64_t)t * 1000u + (uint64_t)ms;
    return PW_OK;
}
