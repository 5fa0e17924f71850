/* pw_clock.h: wall-clock time for the protocol: milliseconds since the epoch and XEP-0082 timestamps. */
#ifndef PW_CLOCK_H
#define PW_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_status.h"

/** Longest XEP-0082 timestamp pw_clock_parse() accepts. */
#define PW_CLOCK_TEXT_MAX 40

/** Size of the text pw_clock_format_ms() writes: "YYYY-MM-DDThh:mm:ss.sssZ" and the NUL. */
#define PW_CLOCK_MS_TEXT 25

/**
 * The wall clock (CLOCK_REALTIME) in milliseconds since 1970-01-01T00:00:00Z. Use it for
 * what leaves the process (timestamps, expiry times); the loop's pw_loop_now() is for timers.
 * @return milliseconds since the epoch
 */
uint64_t pw_clock_wall_ms(void);

/**
 * Format a time as an XEP-0082 DateTime in UTC with milliseconds, always 24 characters
 * ("2026-11-21T10:00:00.250Z"). Times past year 9999 are clamped to its last millisecond.
 * @param ms milliseconds since the epoch
 * @param out receives the text (PW_CLOCK_MS_TEXT bytes, NUL-terminated)
 */
void pw_clock_format_ms(uint64_t ms, char out[PW_CLOCK_MS_TEXT]);

/**
 * Format a time as an XEP-0082 DateTime in UTC to the second ("2026-11-21T10:00:00Z").
 * @param ms milliseconds since the epoch (the milliseconds are dropped)
 * @param buf receives the text, NUL-terminated
 * @param cap size of buf (21 bytes suffice)
 * @return PW_OK, or PW_ERANGE when buf is too small
 */
pw_status_t pw_clock_format_seconds(uint64_t ms, char *buf, size_t cap);

/**
 * Parse an XEP-0082 DateTime (XEP-0082 §3.2): "CCYY-MM-DDThh:mm:ss[.sss](Z|(+|-)hh:mm)".
 * Fractions beyond milliseconds are ignored; leap seconds (:60) are accepted; times before
 * the epoch are refused.
 * @param text the timestamp (at most PW_CLOCK_TEXT_MAX characters)
 * @param out_unix_ms receives milliseconds since the epoch
 * @return PW_OK, or PW_EINVAL for anything malformed
 */
pw_status_t pw_clock_parse(const char *text, uint64_t *out_unix_ms);

#endif /* PW_CLOCK_H */
