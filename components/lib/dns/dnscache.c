/* dnscache.c: the NAPTR/SRV answer cache: a pw_map keyed by type and lower-cased name, an LRU list, loop-clock expiry.
 *
 * Follows RFC 1035 §3.2.1 / RFC 2181 §8 (records are cached no longer than their TTL, here
 * further clamped by configuration) and RFC 2308 §5 (negative answers are cached, for the
 * TTL the resolver derived from the SOA, or a configured default).
 */
#include "dns/pw_dnscache.h"

#include <stdlib.h>
#include <string.h>

#include "core/pw_list.h"
#include "core/pw_map.h"

/* "n:" or "s:" + the name, lower-cased, without its trailing dot */
#define KEY_MAX (2 + PW_RESOLVER_NAME_MAX + 1)

typedef enum cache_kind { KIND_NAPTR, KIND_SRV } cache_kind_t;

typedef struct cache_entry {
    pw_link_t lru; /* in the LRU list: its head is the least recently used */
    char key[KEY_MAX];
    uint64_t expires_ms;
    pw_status_t status;
    size_t n;
    void *rrs; /* malloc'd copy of n records, NULL for a negative entry */
} cache_entry_t;

struct pw_dnscache {
    pw_loop_t *loop;
    pw_map_t *map;
    pw_list_t lru;
    uint64_t min_ttl_ms, max_ttl_ms, negative_ttl_ms;
    size_t max_entries;
};

static void entry_free(cache_entry_t *e)
{
    if (!e)
        return;
    free(e->rrs);
    free(e);
}

static void entry_remove(pw_dnscache_t *c, cache_entry_t *e)
{
    pw_map_remove(c->map, e->key);
    pw_list_unlink(&c->lru, &e->lru);
    entry_free(e);
}

/* Build the key; -1 for a NULL, empty, over-long or non-printable name. */
static int make_key(char key[KEY_MAX], cache_kind_t kind, const char *name)
{
    size_t n = 0;

    if (!name)
        return -1;
    key[0] = kind == KIND_NAPTR ? 'n' : 's';
    key[1] = ':';
    while (name[n] != '\0') {
        unsigned char ch = (unsigned char)name[n];
        if (n > PW_RESOLVER_NAME_MAX || ch <= 0x20 || ch >= 0x7F)
            return -1;
        key[2 + n] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : (char)ch;
        n++;
    }
    if (n > 0 && key[2 + n - 1] == '.')
        n--;
    if (n == 0 || n > PW_RESOLVER_NAME_MAX)
        return -1;
    key[2 + n] = '\0';
    return 0;
}

pw_status_t pw_dnscache_create(pw_dnscache_t **out, pw_loop_t *loop, uint64_t min_ttl_ms,
                               uint64_t max_ttl_ms, uint64_t negative_ttl_ms, size_t max_entries)
{
    pw_status_t st = PW_EINVAL;
    pw_dnscache_t *c = NULL;

    if (out)
        *out = NULL;
    if (!out || !loop || min_ttl_ms > max_ttl_ms || max_entries == 0)
        goto done;
    st = PW_ENOMEM;
    c = calloc(1, sizeof *c);
    if (!c)
        goto done;
    c->loop = loop;
    c->min_ttl_ms = min_ttl_ms;
    c->max_ttl_ms = max_ttl_ms;
    c->negative_ttl_ms = negative_ttl_ms;
    c->max_entries = max_entries;
    st = pw_map_create(&c->map);
    if (st != PW_OK)
        goto done;
    *out = c;
    c = NULL;
done:
    pw_dnscache_destroy(c);
    return st;
}

void pw_dnscache_destroy(pw_dnscache_t *cache)
{
    if (!cache)
        return;
    while (cache->lru.head) {
        cache_entry_t *e = PW_LIST_ITEM(cache->lru.head, cache_entry_t, lru);
        pw_list_unlink(&cache->lru, &e->lru);
        entry_free(e);
    }
    pw_map_destroy(cache->map);
    free(cache);
}

size_t pw_dnscache_count(const pw_dnscache_t *cache)
{
    return cache ? pw_map_count(cache->map) : 0;
}

static uint64_t lifetime_ms(const pw_dnscache_t *c, pw_status_t status, uint32_t ttl_s)
{
    uint64_t ms = (uint64_t)ttl_s * 1000u;
    if (status != PW_OK)
        ms = (ttl_s == 0 || ms > c->negative_ttl_ms) ? c->negative_ttl_ms : ms;
    if (ms < c->min_ttl_ms)
        ms = c->min_ttl_ms;
    if (ms > c->max_ttl_ms)
        ms = c->max_ttl_ms;
    return ms;
}

static pw_status_t cache_put(pw_dnscache_t *c, cache_kind_t kind, const char *name,
                             pw_status_t status, const void *rrs, size_t n, size_t rr_size,
                             uint32_t ttl_s)
{
    pw_status_t st = PW_EINVAL;
    cache_entry_t *e = NULL, *old;
    char key[KEY_MAX];

    if (!c || make_key(key, kind, name) != 0)
        goto done;
    if (status != PW_OK && status != PW_ENOTFOUND)
        goto done;
    if (status == PW_OK && (n == 0 || !rrs))
        goto done;
    st = PW_ERANGE;
    if (status == PW_OK && n > PW_DNSCACHE_MAX_RRS)
        goto done;
    st = PW_ENOMEM;
    e = calloc(1, sizeof *e);
    if (!e)
        goto done;
    memcpy(e->key, key, sizeof key);
    e->status = status;
    e->expires_ms = pw_loop_now(c->loop) + lifetime_ms(c, status, ttl_s);
    if (status == PW_OK) {
        e->rrs = malloc(n * rr_size);
        if (!e->rrs)
            goto done;
        memcpy(e->rrs, rrs, n * rr_size);
        e->n = n;
    }
    old = pw_map_get(c->map, key);
    if (old) {
        entry_remove(c, old);
    } else {
        while (pw_map_count(c->map) >= c->max_entries && c->lru.head)
            entry_remove(c, PW_LIST_ITEM(c->lru.head, cache_entry_t, lru));
    }
    st = pw_map_put(c->map, key, e, NULL);
    if (st != PW_OK)
        goto done;
    pw_list_push_back(&c->lru, &e->lru);
    e = NULL;
done:
    entry_free(e);
    return st;
}

/* rrsp is the address of the caller's const pw_naptr_t * or const pw_srv_rr_t * (as in
 * pw_array_grow()): it receives the entry's records. */
static pw_status_t cache_get(pw_dnscache_t *c, cache_kind_t kind, const char *name,
                             pw_status_t *status, void *rrsp, size_t *n)
{
    pw_status_t st = PW_EINVAL;
    cache_entry_t *e;
    char key[KEY_MAX];

    if (!c || !status || !rrsp || !n || make_key(key, kind, name) != 0)
        goto done;
    st = PW_ENOTFOUND;
    e = pw_map_get(c->map, key);
    if (!e)
        goto done;
    if (pw_loop_now(c->loop) >= e->expires_ms) {
        entry_remove(c, e);
        goto done;
    }
    pw_list_unlink(&c->lru, &e->lru);
    pw_list_push_back(&c->lru, &e->lru);
    *status = e->status;
    memcpy(rrsp, &e->rrs, sizeof e->rrs);
    *n = e->n;
    st = PW_OK;
done:
    return st;
}

pw_status_t pw_dnscache_put_naptr(pw_dnscache_t *cache, const char *name, pw_status_t status,
                                  const pw_naptr_t *rrs, size_t n, uint32_t ttl_s)
{
    return cache_put(cache, KIND_NAPTR, name, status, rrs, n, sizeof *rrs, ttl_s);
}

pw_status_t pw_dnscache_put_srv(pw_dnscache_t *cache, const char *name, pw_status_t status,
                                const pw_srv_rr_t *rrs, size_t n, uint32_t ttl_s)
{
    return cache_put(cache, KIND_SRV, name, status, rrs, n, sizeof *rrs, ttl_s);
}

pw_status_t pw_dnscache_get_naptr(pw_dnscache_t *cache, const char *name, pw_status_t *status,
                                  const pw_naptr_t **rrs, size_t *n)
{
    return cache_get(cache, KIND_NAPTR, name, status, rrs, n);
}

pw_status_t pw_dnscache_get_srv(pw_dnscache_t *cache, const char *name, pw_status_t *status,
                                const pw_srv_rr_t **rrs, size_t *n)
{
    return cache_get(cache, KIND_SRV, name, status, rrs, n);
}
