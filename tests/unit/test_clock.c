/* test_clock.c: the wall clock and XEP-0082 timestamps (core/pw_clock): formatting, parsing, round trips. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/pw_clock.h"

/* 2026-11-21T10:00:00Z */
#define T_2026 1795255200000ull
/* 9999-12-31T23:59:59.999Z, the last formattable millisecond */
#define T_MAX 253402300799999ull

static uint64_t parsed(const char *text)
{
    uint64_t ms = 1;
    cr_assert_eq(pw_clock_parse(text, &ms), PW_OK, "%s parses", text);
    return ms;
}

static void refused(const char *text)
{
    uint64_t ms = 42;
    cr_assert_eq(pw_clock_parse(text, &ms), PW_EINVAL, "%s is refused", text);
    cr_assert_eq(ms, 42, "nothing is written for %s", text);
}

Test(clock, wall_ms_is_close_to_time)
{
    uint64_t before = (uint64_t)time(NULL) * 1000u;
    uint64_t now = pw_clock_wall_ms();
    uint64_t after = (uint64_t)time(NULL) * 1000u + 1000u;
    cr_assert_geq(now, before);
    cr_assert_lt(now, after);
}

Test(clock, format_ms_exact)
{
    char out[PW_CLOCK_MS_TEXT];
    pw_clock_format_ms(0, out);
    cr_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
    pw_clock_format_ms(T_2026 + 250, out);
    cr_assert_str_eq(out, "2026-11-21T10:00:00.250Z");
    pw_clock_format_ms(T_2026 + 7, out);
    cr_assert_str_eq(out, "2026-11-21T10:00:00.007Z");
    pw_clock_format_ms(1709210096999ull, out);
    cr_assert_str_eq(out, "2024-02-29T12:34:56.999Z");
    pw_clock_format_ms(951868799000ull, out);
    cr_assert_str_eq(out, "2000-02-29T23:59:59.000Z");
    cr_assert_eq(strlen(out), PW_CLOCK_MS_TEXT - 1);
}

Test(clock, format_ms_clamps_past_9999)
{
    char out[PW_CLOCK_MS_TEXT];
    pw_clock_format_ms(T_MAX, out);
    cr_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
    pw_clock_format_ms(T_MAX + 1, out);
    cr_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
    pw_clock_format_ms(UINT64_MAX, out);
    cr_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
    cr_assert_eq(strlen(out), 24);
}

Test(clock, format_seconds)
{
    char buf[21];
    cr_assert_eq(pw_clock_format_seconds(T_2026 + 999, buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf, "2026-11-21T10:00:00Z");
    cr_assert_eq(pw_clock_format_seconds(0, buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    cr_assert_eq(pw_clock_format_seconds(T_2026, buf, 20), PW_ERANGE, "no room for the NUL");
    cr_assert_eq(pw_clock_format_seconds(T_2026, buf, 1), PW_ERANGE);
}

Test(clock, parse_utc)
{
    cr_assert_eq(parsed("2026-11-21T10:00:00Z"), T_2026);
    cr_assert_eq(parsed("1970-01-01T00:00:00Z"), 0);
    cr_assert_eq(parsed("9999-12-31T23:59:59.999Z"), T_MAX);
}

Test(clock, parse_fraction)
{
    cr_assert_eq(parsed("2026-11-21T10:00:00.250Z"), T_2026 + 250);
    cr_assert_eq(parsed("2026-11-21T10:00:00.5Z"), T_2026 + 500);
    cr_assert_eq(parsed("2026-11-21T10:00:00.05Z"), T_2026 + 50);
    cr_assert_eq(parsed("2026-11-21T10:00:00.007Z"), T_2026 + 7);
    cr_assert_eq(parsed("2026-11-21T10:00:00.123456789Z"), T_2026 + 123, "beyond ms is ignored");
    cr_assert_eq(parsed("2026-11-21T10:00:00.999999+00:00"), T_2026 + 999);
    refused("2026-11-21T10:00:00.Z");
    refused("2026-11-21T10:00:00.x5Z");
}

Test(clock, parse_offsets)
{
    cr_assert_eq(parsed("2026-11-21T11:00:00+01:00"), T_2026);
    cr_assert_eq(parsed("2026-11-21T04:30:00-05:30"), T_2026);
    cr_assert_eq(parsed("2026-11-21T10:00:00+00:00"), T_2026);
    cr_assert_eq(parsed("2026-11-21T10:00:00-00:00"), T_2026);
    cr_assert_eq(parsed("2026-11-22T09:59:00+23:59"), T_2026);
    cr_assert_eq(parsed("2026-11-21T12:00:00.250+02:00"), T_2026 + 250);
    /* the offset may carry the time over the epoch either way */
    cr_assert_eq(parsed("1969-12-31T23:30:00-01:00"), 1800000);
    refused("1970-01-01T00:30:00+01:00");
    refused("2026-11-21T10:00:00+24:00");
    refused("2026-11-21T10:00:00+01:60");
    refused("2026-11-21T10:00:00+0100");
    refused("2026-11-21T10:00:00+01");
    refused("2026-11-21T10:00:00+1:00");
    refused("2026-11-21T10:00:00");
    refused("2026-11-21T10:00:00z");
}

Test(clock, parse_leap_days_and_seconds)
{
    cr_assert_eq(parsed("2024-02-29T12:34:56Z"), 1709210096000ull);
    cr_assert_eq(parsed("2000-02-29T00:00:00Z"), 951782400000ull, "divisible by 400: leap");
    refused("2023-02-29T00:00:00Z");
    refused("2100-02-29T00:00:00Z"); /* divisible by 100, not by 400: not leap */
    refused("2024-02-30T00:00:00Z");
    refused("2024-04-31T00:00:00Z");
    cr_assert_eq(parsed("2024-12-31T00:00:00Z"), 1735603200000ull);
    /* a leap second counts as the next day's first second */
    cr_assert_eq(parsed("2016-12-31T23:59:60Z"), parsed("2017-01-01T00:00:00Z"));
    refused("2016-12-31T23:59:61Z");
}

Test(clock, parse_refuses_fields_out_of_range)
{
    refused("2026-00-21T10:00:00Z");
    refused("2026-13-21T10:00:00Z");
    refused("2026-11-00T10:00:00Z");
    refused("2026-11-31T10:00:00Z");
    refused("2026-11-21T24:00:00Z");
    refused("2026-11-21T10:60:00Z");
}

Test(clock, parse_refuses_pre_1970)
{
    refused("1969-12-31T23:59:59Z");
    refused("1969-12-31T23:59:59.999Z");
    refused("0000-01-01T00:00:00Z");
    refused("1900-01-01T00:00:00Z");
}

Test(clock, parse_refuses_garbage)
{
    uint64_t ms;
    refused("");
    refused("now");
    refused("2026-11-21");
    refused("2026-11-21 10:00:00Z");
    refused("2026/11/21T10:00:00Z");
    refused("26-11-21T10:00:00Z");
    refused("2026-11-21T10:00Z");
    refused("2026-1-21T10:00:00Z");
    refused("+2026-11-21T10:00:00Z");
    refused("2026-11-21T10:00:00Z ");
    refused(" 2026-11-21T10:00:00Z");
    refused("2026-11-21T10:00:00ZZ");
    refused("2026-11-21t10:00:00Z");
    refused("2026-11-21T1a:00:00Z");
    cr_assert_eq(pw_clock_parse(NULL, &ms), PW_EINVAL);
    cr_assert_eq(pw_clock_parse("2026-11-21T10:00:00Z", NULL), PW_EINVAL);
}

Test(clock, parse_refuses_over_long)
{
    /* 40 characters pass, 41 do not, however valid */
    const char *longer = "2026-11-21T10:00:00.250000000000000000+00:00";
    char text[64];
    cr_assert_eq(strlen("2026-11-21T10:00:00.25000000000000+00:00"), PW_CLOCK_TEXT_MAX);
    cr_assert_eq(parsed("2026-11-21T10:00:00.25000000000000+00:00"), T_2026 + 250);
    snprintf(text, sizeof text, "%s", "2026-11-21T10:00:00.250000000000000+00:00");
    cr_assert_eq(strlen(text), PW_CLOCK_TEXT_MAX + 1);
    refused(text);
    refused(longer);
}

Test(clock, round_trip_with_format_ms)
{
    static const uint64_t times[] = { 0, 1, 999, 1000, 86399999, 951782400000ull, 1709210096123ull,
                                      T_2026, T_2026 + 250, 4102444800000ull, T_MAX };
    char out[PW_CLOCK_MS_TEXT];
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        pw_clock_format_ms(times[i], out);
        cr_assert_eq(parsed(out), times[i], "%s", out);
    }
    /* and a spread of times between */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t t = x % (T_MAX + 1);
        pw_clock_format_ms(t, out);
        cr_assert_eq(parsed(out), t, "%s", out);
    }
    uint64_t now = pw_clock_wall_ms();
    pw_clock_format_ms(now, out);
    cr_assert_eq(parsed(out), now);
}
