/* pw_dnscache.h: a TTL cache of NAPTR and SRV answers, positive and negative, on the loop clock. */
#ifndef PW_DNSCACHE_H
#define PW_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_loop.h"
#include "dns/pw_resolver.h"
#include "core/pw_status.h"

/** Most records one cache entry holds. */
#define PW_DNSCACHE_MAX_RRS 256

/**
 * A bounded cache of answers keyed by (type, name); names compare case-insensitively and a
 * trailing dot is ignored. Entries expire by the loop clock (pw_loop_now()); when the cache
 * is full the least recently used entry is evicted. It does no lookups itself (and no
 * single-flight of concurrent lookups of the same name). Opaque.
 */
typedef struct pw_dnscache pw_dnscache_t;

/**
 * Create a cache.
 * @param out receives the cache; free it with pw_dnscache_destroy()
 * @param loop its clock is the cache's clock (must outlive the cache)
 * @param min_ttl_ms every lifetime is at least this
 * @param max_ttl_ms every lifetime is at most this (>= min_ttl_ms)
 * @param negative_ttl_ms lifetime of a negative answer that carries no TTL (ttl_s 0), and
 *        the cap of one that does (before the [min, max] clamp)
 * @param max_entries most entries kept (>= 1)
 * @return PW_OK; PW_EINVAL (NULL out or loop, min > max, max_entries 0); PW_ENOMEM
 */
pw_status_t pw_dnscache_create(pw_dnscache_t **out, pw_loop_t *loop, uint64_t min_ttl_ms,
                               uint64_t max_ttl_ms, uint64_t negative_ttl_ms, size_t max_entries);

/**
 * Destroy a cache and every entry.
 * @param cache the cache, or NULL
 */
void pw_dnscache_destroy(pw_dnscache_t *cache);

/**
 * Store a NAPTR answer for name, replacing any entry for it.
 * Lifetime: PW_OK answers live ttl_s seconds; PW_ENOTFOUND answers min(ttl_s s,
 * negative_ttl_ms), or negative_ttl_ms when ttl_s is 0; both clamped to [min_ttl_ms, max_ttl_ms].
 * @param cache the cache
 * @param name the queried name (copied), at most PW_RESOLVER_NAME_MAX bytes (+ a trailing dot)
 * @param status PW_OK (n >= 1 records) or PW_ENOTFOUND (a negative answer; rrs ignored)
 * @param rrs the records (copied)
 * @param n how many, at most PW_DNSCACHE_MAX_RRS
 * @param ttl_s the answer's TTL in seconds (as the resolver reports it)
 * @return PW_OK; PW_EINVAL (NULL or malformed argument, other statuses are never cached);
 *         PW_ERANGE (n too large); PW_ENOMEM
 */
pw_status_t pw_dnscache_put_naptr(pw_dnscache_t *cache, const char *name, pw_status_t status,
                                  const pw_naptr_t *rrs, size_t n, uint32_t ttl_s);

/** As pw_dnscache_put_naptr(), for SRV answers (a separate key space). */
pw_status_t pw_dnscache_put_srv(pw_dnscache_t *cache, const char *name, pw_status_t status,
                                const pw_srv_rr_t *rrs, size_t n, uint32_t ttl_s);

/**
 * Look up a NAPTR answer. An expired entry is removed and is a miss. A hit makes the entry
 * the most recently used.
 * @param cache the cache
 * @param name the name
 * @param status receives the cached status on a hit: PW_OK, or PW_ENOTFOUND for a cached
 *        negative answer
 * @param rrs receives the records on a hit (NULL for a negative one); owned by the cache and
 *        valid until the next call on the cache
 * @param n receives the number of records on a hit
 * @return PW_OK on a hit; PW_ENOTFOUND on a miss or an expired entry; PW_EINVAL for NULL
 *         or malformed arguments
 */
pw_status_t pw_dnscache_get_naptr(pw_dnscache_t *cache, const char *name, pw_status_t *status,
                                  const pw_naptr_t **rrs, size_t *n);

/** As pw_dnscache_get_naptr(), for SRV answers. */
pw_status_t pw_dnscache_get_srv(pw_dnscache_t *cache, const char *name, pw_status_t *status,
                                const pw_srv_rr_t **rrs, size_t *n);

/**
 * @param cache the cache (NULL gives 0)
 * @return the number of entries held, expired ones not yet removed included
 */
size_t pw_dnscache_count(const pw_dnscache_t *cache);

#endif /* PW_DNSCACHE_H */
