/* pw_array.h: growing a malloc'd array by doubling, the one way every area does it. */
#ifndef PW_ARRAY_H
#define PW_ARRAY_H

#include <stdlib.h>
#include <string.h>

#include "core/pw_status.h"

/**
 * Make room for at least need items in a malloc'd array: when it holds fewer, its capacity
 * doubles (starting from first) until it does, and the array is reallocated.
 * @param arrayp the address of the caller's array pointer (a T ** for an array of T, NULL
 *               while the capacity is 0); updated when the array moves
 * @param cap its capacity in items; updated
 * @param need how many items it must hold (the items in use plus those to be added)
 * @param size the size of one item
 * @param first the capacity of the first allocation (at least 1)
 * @return PW_OK, or PW_ENOMEM with the array and capacity as they were
 */
static inline pw_status_t pw_array_grow(void *arrayp, size_t *cap, size_t need, size_t size,
                                        size_t first)
{
    size_t ncap = *cap ? *cap : first;
    void *items;
    while (ncap < need) {
        if (ncap > ((size_t)-1 / 2) / size)
            return PW_ENOMEM;
        ncap *= 2;
    }
    if (ncap == *cap)
        return PW_OK;
    memcpy(&items, arrayp, sizeof items);
    items = realloc(items, ncap * size);
    if (!items)
        return PW_ENOMEM;
    memcpy(arrayp, &items, sizeof items);
    *cap = ncap;
    return PW_OK;
}

#endif /* PW_ARRAY_H */
