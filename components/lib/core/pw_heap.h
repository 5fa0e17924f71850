/* pw_heap.h: a binary min-heap of pointers whose items know their place in it (the loop's timers, the presence server's subscriptions), so any of them can be taken out in O(log n). */
#ifndef PW_HEAP_H
#define PW_HEAP_H

#include <stddef.h>

#include "core/pw_status.h"

/** @return non-zero when item a comes out of the heap before item b */
typedef int (*pw_heap_before_fn)(const void *a, const void *b);

/** Tell item that it is now at index of the heap (PW_HEAP_NONE: it left the heap). */
typedef void (*pw_heap_placed_fn)(void *item, size_t index);

/** The index pw_heap_placed_fn is told when an item leaves the heap. */
#define PW_HEAP_NONE ((size_t)-1)

/**
 * A heap. Embedded by its owner; fields are read-only outside heap.c (items[0] is the first
 * to come out while len > 0). Initialise with pw_heap_init(), release with pw_heap_fini().
 */
typedef struct pw_heap {
    void **items;
    size_t len, cap;
    pw_heap_before_fn before;
    pw_heap_placed_fn placed;
} pw_heap_t;

/**
 * Initialise an empty heap (no allocation until the first push).
 * @param h the heap
 * @param before the order
 * @param placed called whenever an item moves, enters or leaves
 */
void pw_heap_init(pw_heap_t *h, pw_heap_before_fn before, pw_heap_placed_fn placed);

/**
 * Add an item (not in the heap already).
 * @param h the heap
 * @param item the item (borrowed: the heap never frees items)
 * @param grow how many slots to add at least when the array grows
 * @return PW_OK, or PW_ENOMEM (the heap is unchanged)
 */
pw_status_t pw_heap_push(pw_heap_t *h, void *item, size_t grow);

/**
 * Take out the item at index (placed() is told PW_HEAP_NONE); nothing when index is out of range.
 * @param h the heap
 * @param index where the item is, as placed() last told it
 */
void pw_heap_remove(pw_heap_t *h, size_t index);

/**
 * Release the array; every item still in the heap is told PW_HEAP_NONE. The heap is empty
 * and usable again afterwards. NULL-safe.
 * @param h the heap
 */
void pw_heap_fini(pw_heap_t *h);

#endif /* PW_HEAP_H */
