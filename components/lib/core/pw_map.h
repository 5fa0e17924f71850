/* pw_map.h: a string-keyed hash map (chained, growing) used for ids, JIDs and subscriptions. */
#ifndef PW_MAP_H
#define PW_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_status.h"

/** A map from NUL-terminated string keys (copied) to caller-owned values. Opaque. */
typedef struct pw_map pw_map_t;

/**
 * Create a map.
 * @param out receives the map (pw_map_destroy())
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_map_create(pw_map_t **out);

/**
 * Destroy a map. Values are not touched (free them first, e.g. with pw_map_foreach()).
 * @param map the map, or NULL
 */
void pw_map_destroy(pw_map_t *map);

/**
 * Insert or replace.
 * @param key copied
 * @param value stored as is
 * @param old receives the replaced value, or NULL when the key was new (may be NULL)
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_map_put(pw_map_t *map, const char *key, void *value, void **old);

/** @return the value for key, or NULL */
void *pw_map_get(const pw_map_t *map, const char *key);

/**
 * Remove a key.
 * @return the value it had, or NULL when absent
 */
void *pw_map_remove(pw_map_t *map, const char *key);

/** @return the number of keys */
size_t pw_map_count(const pw_map_t *map);

/**
 * Visit every entry. fn may remove the entry it is visiting (and no other).
 * @param fn called with each key and value; returns non-zero to stop early
 */
void pw_map_foreach(pw_map_t *map, int (*fn)(const char *key, void *value, void *arg), void *arg);

/**
 * Hand every value match selects to take, which may change the map at will (pw_map_foreach()'s
 * fn may not): the values are gathered in batches first, then taken.
 * @param map the map
 * @param match returns non-zero for a value to take (it must not change the map)
 * @param take gets each selected value; it must remove that value from the map (else the
 *             value would be selected again)
 * @param arg passed to match and take
 * @return how many values were taken
 */
size_t pw_map_take_matching(pw_map_t *map, int (*match)(const void *value, void *arg),
                            void (*take)(void *value, void *arg), void *arg);

/**
 * Free every value with free_value, then destroy the map: the way to end a map that owns its
 * values.
 * @param map the map, or NULL
 * @param free_value frees one value (e.g. free)
 */
void pw_map_destroy_values(pw_map_t *map, void (*free_value)(void *value));

/** FNV-1a 64-bit hash of a string (exposed for modules that hash the same keys). */
uint64_t pw_map_hash(const char *key);

#endif /* PW_MAP_H */
