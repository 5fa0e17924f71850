/* ratelimit.c: keyed token buckets: N requests per period per key, bursts of N (DESIGN.md §3 resource-constraint). */
#include "core/pw_ratelimit.h"

#include <stdlib.h>

#include "core/pw_map.h"

#define MAX_RATE 1000000u

/*
 * Integer token bucket: one token is `period` units; a bucket gains `rate` units per
 * millisecond (rate tokens a period) up to rate * period (a burst of rate tokens).
 */
typedef struct bucket {
    uint64_t level;
    uint64_t at_ms; /* when level was last brought up to date */
} bucket_t;

struct pw_ratelimit {
    pw_map_t *buckets; /* key -> bucket_t */
    uint64_t rate;
    uint64_t period;   /* ms */
    size_t max_keys;
};

pw_status_t pw_ratelimit_create(pw_ratelimit_t **out, uint32_t count, uint64_t period_ms,
                                size_t max_keys)
{
    pw_ratelimit_t *l;
    pw_status_t rc;

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (count == 0 || count > MAX_RATE || max_keys == 0 || period_ms == 0 || period_ms > 86400000u)
        return PW_EINVAL;
    l = calloc(1, sizeof *l);
    if (!l)
        return PW_ENOMEM;
    rc = pw_map_create(&l->buckets);
    if (rc != PW_OK) {
        free(l);
        return rc;
    }
    l->rate = count;
    l->period = period_ms;
    l->max_keys = max_keys;
    *out = l;
    return PW_OK;
}

static int free_bucket(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
    return 0;
}

void pw_ratelimit_destroy(pw_ratelimit_t *l)
{
    if (!l)
        return;
    pw_map_foreach(l->buckets, free_bucket, NULL);
    pw_map_destroy(l->buckets);
    free(l);
}

pw_status_t pw_ratelimit_set_rate(pw_ratelimit_t *l, uint32_t count)
{
    if (!l || count == 0 || count > MAX_RATE)
        return PW_EINVAL;
    l->rate = count; /* levels are capped at the new burst when next refilled */
    return PW_OK;
}

/* Bring a bucket up to date. */
static void refill(const pw_ratelimit_t *l, bucket_t *b, uint64_t now_ms)
{
    uint64_t cap = l->rate * l->period;
    if (now_ms > b->at_ms) {
        uint64_t elapsed = now_ms - b->at_ms;
        /* a full period refills any bucket: avoid overflow on long idle times */
        b->level = elapsed >= l->period ? cap : b->level + elapsed * l->rate;
        b->at_ms = now_ms;
    }
    if (b->level > cap)
        b->level = cap;
}

typedef struct sweep {
    pw_ratelimit_t *l;
    uint64_t now_ms;
} sweep_t;

static int forget_full(const char *key, void *value, void *arg)
{
    sweep_t *s = arg;
    bucket_t *b = value;
    refill(s->l, b, s->now_ms);
    if (b->level >= s->l->rate * s->l->period) {
        pw_map_remove(s->l->buckets, key);
        free(b);
    }
    return 0;
}

pw_status_t pw_ratelimit_take(pw_ratelimit_t *l, const char *key, uint64_t now_ms)
{
    bucket_t *b;
    pw_status_t rc;

    if (!l || !key)
        return PW_EINVAL;
    b = pw_map_get(l->buckets, key);
    if (!b) {
        if (pw_map_count(l->buckets) >= l->max_keys) {
            sweep_t s = { l, now_ms };
            pw_map_foreach(l->buckets, forget_full, &s); /* a full bucket is as good as none */
            if (pw_map_count(l->buckets) >= l->max_keys)
                return PW_EFULL;
        }
        b = malloc(sizeof *b);
        if (!b)
            return PW_ENOMEM;
        b->level = l->rate * l->period;
        b->at_ms = now_ms;
        rc = pw_map_put(l->buckets, key, b, NULL);
        if (rc != PW_OK) {
            free(b);
            return rc;
        }
    }
    refill(l, b, now_ms);
    if (b->level < l->period)
        return PW_EDENIED;
    b->level -= l->period;
    return PW_OK;
}

size_t pw_ratelimit_count(const pw_ratelimit_t *l)
{
    return l ? pw_map_count(l->buckets) : 0;
}
