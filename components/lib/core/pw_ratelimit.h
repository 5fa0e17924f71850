/* pw_ratelimit.h: keyed token buckets for rate limits (per watcher, per peer network): N requests per period, bursts of N. */
#ifndef PW_RATELIMIT_H
#define PW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_status.h"

/** A set of token buckets, one per key. Opaque. */
typedef struct pw_ratelimit pw_ratelimit_t;

/**
 * Create a limiter allowing count requests per key and period, with bursts of up to count.
 * @param out receives the limiter (pw_ratelimit_destroy())
 * @param count requests per period (1..1000000)
 * @param period_ms the period in ms (1 ms .. 1 day), e.g. 60000 for "per minute"
 * @param max_keys most keys tracked at once; full buckets are forgotten first when it is reached
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_ratelimit_create(pw_ratelimit_t **out, uint32_t count, uint64_t period_ms,
                                size_t max_keys);

/** Destroy a limiter (NULL-safe). */
void pw_ratelimit_destroy(pw_ratelimit_t *l);

/**
 * Change the rate (the period stays); buckets are capped at the new burst when next used.
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_ratelimit_set_rate(pw_ratelimit_t *l, uint32_t count);

/**
 * Take one token from key's bucket.
 * @param now_ms the loop clock
 * @return PW_OK (allowed), PW_EDENIED (over the rate), PW_EFULL (too many keys), PW_ENOMEM, PW_EINVAL
 */
pw_status_t pw_ratelimit_take(pw_ratelimit_t *l, const char *key, uint64_t now_ms);

/** @return the number of keys tracked */
size_t pw_ratelimit_count(const pw_ratelimit_t *l);

#endif /* PW_RATELIMIT_H */
