/* heap.c: a binary min-heap of pointers whose items know their place (pw_heap.h). */
#include <stdlib.h>

#include "core/pw_array.h"
#include "core/pw_heap.h"

static void place(pw_heap_t *h, size_t i, void *item)
{
    h->items[i] = item;
    h->placed(item, i);
}

static void sift_up(pw_heap_t *h, size_t i)
{
    void *item = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!h->before(item, h->items[parent]))
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, item);
}

/* @return where the item at i ended */
static size_t sift_down(pw_heap_t *h, size_t i)
{
    void *item = h->items[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const void *best = item;
        if (l < h->len && h->before(h->items[l], best)) {
            m = l;
            best = h->items[l];
        }
        if (r < h->len && h->before(h->items[r], best))
            m = r;
        if (m == i)
            break;
        place(h, i, h->items[m]);
        i = m;
    }
    place(h, i, item);
    return i;
}

void pw_heap_init(pw_heap_t *h, pw_heap_before_fn before, pw_heap_placed_fn placed)
{
    h->items = NULL;
    h->len = h->cap = 0;
    h->before = before;
    h->placed = placed;
}

pw_status_t pw_heap_push(pw_heap_t *h, void *item, size_t grow)
{
    if (pw_array_grow(&h->items, &h->cap, h->len + 1, sizeof *h->items, grow) != PW_OK)
        return PW_ENOMEM;
    h->items[h->len++] = item;
    sift_up(h, h->len - 1);
    return PW_OK;
}

void pw_heap_remove(pw_heap_t *h, size_t index)
{
    void *gone;
    if (index >= h->len)
        return;
    gone = h->items[index];
    h->len--;
    if (index < h->len) {
        /* the last item fills the hole, then goes up or down to its place */
        h->items[index] = h->items[h->len];
        if (sift_down(h, index) == index)
            sift_up(h, index);
    }
    h->placed(gone, PW_HEAP_NONE);
}

void pw_heap_fini(pw_heap_t *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->len; i++)
        h->placed(h->items[i], PW_HEAP_NONE);
    free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}
