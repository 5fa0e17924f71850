/* map.c: chained string-keyed hash map with power-of-two buckets, doubling at load factor 1. */
#include "core/pw_map.h"

#include <stdlib.h>
#include <string.h>

typedef struct map_entry {
    struct map_entry *next;
    uint64_t hash;
    void *value;
    char key[]; /* NUL-terminated copy */
} map_entry_t;

struct pw_map {
    map_entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
};

uint64_t pw_map_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

pw_status_t pw_map_create(pw_map_t **out)
{
    pw_map_t *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return PW_ENOMEM;
    m->nbuckets = 16;
    m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
    if (!m->buckets) {
        free(m);
        return PW_ENOMEM;
    }
    *out = m;
    return PW_OK;
}

void pw_map_destroy(pw_map_t *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->nbuckets; i++) {
        map_entry_t *e = map->buckets[i];
        while (e) {
            map_entry_t *next = e->next;
            free(e);
            e = next;
        }
    }
    free(map->buckets);
    free(map);
}

static map_entry_t **find_slot(const pw_map_t *map, const char *key, uint64_t h)
{
    map_entry_t **pe = &map->buckets[h & (map->nbuckets - 1)];
    while (*pe && ((*pe)->hash != h || strcmp((*pe)->key, key) != 0))
        pe = &(*pe)->next;
    return pe;
}

static void grow(pw_map_t *map)
{
    size_t n = map->nbuckets * 2;
    map_entry_t **b = calloc(n, sizeof *b);
    if (!b)
        return; /* keep working with longer chains */
    for (size_t i = 0; i < map->nbuckets; i++) {
        map_entry_t *e = map->buckets[i];
        while (e) {
            map_entry_t *next = e->next;
            size_t j = e->hash & (n - 1);
            e->next = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(map->buckets);
    map->buckets = b;
    map->nbuckets = n;
}

pw_status_t pw_map_put(pw_map_t *map, const char *key, void *value, void **old)
{
    uint64_t h = pw_map_hash(key);
    map_entry_t **pe = find_slot(map, key, h), *e;
    size_t len;

    if (old)
        *old = NULL;
    if (*pe) {
        if (old)
            *old = (*pe)->value;
        (*pe)->value = value;
        return PW_OK;
    }
    len = strlen(key);
    e = malloc(sizeof *e + len + 1);
    if (!e)
        return PW_ENOMEM;
    memcpy(e->key, key, len + 1);
    e->hash = h;
    e->value = value;
    e->next = NULL;
    *pe = e;
    map->count++;
    if (map->count > map->nbuckets)
        grow(map);
    return PW_OK;
}

void *pw_map_get(const pw_map_t *map, const char *key)
{
    map_entry_t **pe = find_slot(map, key, pw_map_hash(key));
    return *pe ? (*pe)->value : NULL;
}

void *pw_map_remove(pw_map_t *map, const char *key)
{
    map_entry_t **pe = find_slot(map, key, pw_map_hash(key)), *e = *pe;
    void *value;
    if (!e)
        return NULL;
    value = e->value;
    *pe = e->next;
    free(e);
    map->count--;
    return value;
}

size_t pw_map_count(const pw_map_t *map)
{
    return map->count;
}

void pw_map_foreach(pw_map_t *map, int (*fn)(const char *key, void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < map->nbuckets; i++) {
        map_entry_t *e = map->buckets[i];
        while (e) {
            map_entry_t *next = e->next; /* fn may remove e */
            if (fn(e->key, e->value, arg))
                return;
            e = next;
        }
    }
}

#define TAKE_BATCH 64

/* What pw_map_take_matching() gathers in one pass. */
typedef struct take_scan {
    int (*match)(const void *value, void *arg);
    void *arg;
    void *found[TAKE_BATCH];
    size_t n;
} take_scan_t;

static int gather(const char *key, void *value, void *arg)
{
    take_scan_t *s = arg;
    (void)key;
    if (s->match(value, s->arg))
        s->found[s->n++] = value;
    return s->n == TAKE_BATCH;
}

size_t pw_map_take_matching(pw_map_t *map, int (*match)(const void *value, void *arg),
                            void (*take)(void *value, void *arg), void *arg)
{
    take_scan_t s = { .match = match, .arg = arg, .n = 0 };
    size_t total = 0;
    do {
        s.n = 0;
        pw_map_foreach(map, gather, &s);
        for (size_t i = 0; i < s.n; i++)
            take(s.found[i], arg);
        total += s.n;
    } while (s.n == TAKE_BATCH);
    return total;
}

/* pw_map_foreach() callback of pw_map_destroy_values(): arg is the free function. */
static int free_one(const char *key, void *value, void *arg)
{
    void (**free_value)(void *) = arg;
    (void)key;
    (*free_value)(value);
    return 0;
}

void pw_map_destroy_values(pw_map_t *map, void (*free_value)(void *value))
{
    if (!map)
        return;
    pw_map_foreach(map, free_one, &free_value);
    pw_map_destroy(map);
}
