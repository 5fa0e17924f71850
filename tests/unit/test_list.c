/* test_list.c: pw_list.h, the intrusive list every queue of the runtime and the roles uses:
 * order, unlinking at either end and in the middle, take-all, the item of a link. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/pw_list.h"

typedef struct item {
    int value;
    pw_link_t link;
} item_t;

/* The values of the list from head to tail, and from tail to head, as digits ("123", "321"). */
static void expect_order(const pw_list_t *l, const char *forward)
{
    char fw[16] = "", bw[16] = "";
    size_t n = 0, m = strlen(forward);
    for (pw_link_t *k = l->head; k && n < sizeof fw - 1; k = k->next)
        fw[n++] = (char)('0' + PW_LIST_ITEM(k, item_t, link)->value);
    cr_assert_str_eq(fw, forward, "head to tail");
    n = 0;
    for (pw_link_t *k = l->tail; k && n < sizeof bw - 1; k = k->prev)
        bw[n++] = (char)('0' + PW_LIST_ITEM(k, item_t, link)->value);
    for (size_t i = 0; i < m; i++)
        cr_assert_eq(bw[i], forward[m - 1 - i], "tail to head: %s for %s", bw, forward);
    cr_assert_eq(strlen(bw), m);
}

Test(list, push_back_front_and_insert_after_keep_order)
{
    pw_list_t l = { 0 };
    item_t a = { 1, { 0 } }, b = { 2, { 0 } }, c = { 3, { 0 } }, d = { 4, { 0 } };
    expect_order(&l, "");
    pw_list_push_back(&l, &b.link);
    pw_list_push_front(&l, &a.link);
    pw_list_push_back(&l, &d.link);
    pw_list_insert_after(&l, &b.link, &c.link);
    expect_order(&l, "1234");
}

Test(list, unlink_at_the_ends_and_in_the_middle)
{
    pw_list_t l = { 0 };
    item_t it[4] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } }, { 4, { 0 } } };
    for (int i = 0; i < 4; i++)
        pw_list_push_back(&l, &it[i].link);
    pw_list_unlink(&l, &it[1].link);
    expect_order(&l, "134");
    cr_assert_null(it[1].link.prev);
    cr_assert_null(it[1].link.next);
    pw_list_unlink(&l, &it[1].link); /* in no list: stays as it is */
    expect_order(&l, "134");
    pw_list_unlink(&l, &it[0].link);
    expect_order(&l, "34");
    pw_list_unlink(&l, &it[3].link);
    expect_order(&l, "3");
    pw_list_unlink(&l, &it[2].link);
    expect_order(&l, "");
    cr_assert_null(l.head);
    cr_assert_null(l.tail);
}

Test(list, take_all_empties_the_list_and_keeps_the_chain)
{
    pw_list_t l = { 0 };
    item_t a = { 1, { 0 } }, b = { 2, { 0 } };
    pw_link_t *k;
    pw_list_push_back(&l, &a.link);
    pw_list_push_back(&l, &b.link);
    k = pw_list_take_all(&l);
    expect_order(&l, "");
    cr_assert_eq(PW_LIST_ITEM(k, item_t, link), &a);
    cr_assert_eq(PW_LIST_ITEM(k->next, item_t, link), &b);
    cr_assert_null(k->next->next);
    cr_assert_null(pw_list_take_all(&l));
    cr_assert_null(PW_LIST_ITEM((pw_link_t *)NULL, item_t, link), "a NULL link is no item");
}
