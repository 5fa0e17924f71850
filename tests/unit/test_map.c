/* test_map.c: the string-keyed hash map: put/get/replace/remove, growth, foreach with removal. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "core/pw_map.h"

Test(map, put_get_replace_remove)
{
    pw_map_t *m;
    void *old = (void *)1;
    int a = 1, b = 2;
    cr_assert_eq(pw_map_create(&m), PW_OK);
    cr_assert_null(pw_map_get(m, "x"));
    cr_assert_eq(pw_map_put(m, "x", &a, &old), PW_OK);
    cr_assert_null(old);
    cr_assert_eq(pw_map_get(m, "x"), &a);
    cr_assert_eq(pw_map_put(m, "x", &b, &old), PW_OK);
    cr_assert_eq(old, &a);
    cr_assert_eq(pw_map_count(m), 1);
    cr_assert_eq(pw_map_remove(m, "x"), &b);
    cr_assert_null(pw_map_remove(m, "x"));
    cr_assert_eq(pw_map_count(m), 0);
    pw_map_destroy(m);
    pw_map_destroy(NULL);
}

static int drop_even(const char *key, void *value, void *arg)
{
    pw_map_t *m = arg;
    if (((intptr_t)value & 1) == 0)
        pw_map_remove(m, key);
    return 0;
}

Test(map, grows_and_foreach_may_remove_the_visited_entry)
{
    pw_map_t *m;
    char key[32];
    cr_assert_eq(pw_map_create(&m), PW_OK);
    for (intptr_t i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "k%ld", (long)i);
        cr_assert_eq(pw_map_put(m, key, (void *)(i + 1), NULL), PW_OK);
    }
    cr_assert_eq(pw_map_count(m), 10000);
    for (intptr_t i = 0; i < 10000; i += 997) {
        snprintf(key, sizeof key, "k%ld", (long)i);
        cr_assert_eq((intptr_t)pw_map_get(m, key), i + 1);
    }
    pw_map_foreach(m, drop_even, m);
    cr_assert_eq(pw_map_count(m), 5000);
    cr_assert_null(pw_map_get(m, "k1"), "value 2 was even and removed");
    cr_assert_eq((intptr_t)pw_map_get(m, "k0"), 1);
    pw_map_destroy(m);
}
