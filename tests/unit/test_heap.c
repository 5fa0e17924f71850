/* test_heap.c: the runtime's heap of items that know their place (pw_heap.h): order, removal from anywhere, the places told, release. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "core/pw_heap.h"

typedef struct item {
    unsigned key;
    size_t at; /* as placed() last told */
} item_t;

static int key_before(const void *a, const void *b)
{
    return ((const item_t *)a)->key < ((const item_t *)b)->key;
}

static void item_placed(void *it, size_t index)
{
    ((item_t *)it)->at = index;
}

/* Every item in the heap is where it was told, and no child comes before its parent. */
static void check_heap(const pw_heap_t *h)
{
    for (size_t i = 0; i < h->len; i++) {
        const item_t *it = h->items[i];
        cr_assert_eq(it->at, i, "item %u told %zu, is at %zu", it->key, it->at, i);
        if (i)
            cr_assert(!key_before(it, h->items[(i - 1) / 2]), "heap order at %zu", i);
    }
}

Test(heap, items_come_out_in_order_and_any_can_be_removed)
{
    enum { N = 500 };
    static item_t items[N];
    pw_heap_t h;
    unsigned last = 0, seed = 7;
    size_t left = N;

    pw_heap_init(&h, key_before, item_placed);
    for (size_t i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        items[i].key = (seed >> 8) % 1000;
        cr_assert_eq(pw_heap_push(&h, &items[i], 16), PW_OK);
    }
    check_heap(&h);
    /* a third taken out from the middle of the heap, wherever they are */
    for (size_t i = 0; i < N; i += 3) {
        pw_heap_remove(&h, items[i].at);
        cr_assert_eq(items[i].at, PW_HEAP_NONE, "a removed item is told it left");
        left--;
        check_heap(&h);
    }
    cr_assert_eq(h.len, left);
    pw_heap_remove(&h, h.len); /* out of range: nothing */
    cr_assert_eq(h.len, left);
    while (h.len) {
        item_t *first = h.items[0];
        cr_assert_geq(first->key, last, "in order");
        last = first->key;
        pw_heap_remove(&h, 0);
        check_heap(&h);
    }
    pw_heap_fini(&h);
}

Test(heap, fini_tells_every_item_left_and_the_heap_is_usable_again)
{
    item_t a = { 2, 0 }, b = { 1, 0 };
    pw_heap_t h;
    pw_heap_init(&h, key_before, item_placed);
    cr_assert_eq(pw_heap_push(&h, &a, 1), PW_OK);
    cr_assert_eq(pw_heap_push(&h, &b, 1), PW_OK);
    cr_assert_eq(h.items[0], &b);
    pw_heap_fini(&h);
    cr_assert_eq(a.at, PW_HEAP_NONE);
    cr_assert_eq(b.at, PW_HEAP_NONE);
    cr_assert_eq(h.len, 0);
    cr_assert_eq(pw_heap_push(&h, &a, 1), PW_OK);
    cr_assert_eq(a.at, 0);
    pw_heap_fini(&h);
    pw_heap_fini(NULL);
}
