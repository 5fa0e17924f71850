/* test_store.c: the subscription journal: replay, replace/delete, torn-tail repair, damage refused, compaction, failing disk. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/pw_map.h"
#include "core/pw_store.h"

static char dir[] = "/tmp/pw-store-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

typedef struct {
    pw_map_t *seen;
} loaded_t;

static pw_status_t remember(void *arg, const char *key, const char *value)
{
    loaded_t *l = arg;
    return pw_map_put(l->seen, key, strdup(value), NULL);
}

static int free_it(const char *k, void *v, void *a)
{
    (void)k;
    (void)a;
    free(v);
    return 0;
}

static pw_store_t *open_store(loaded_t *l, pw_store_rewrite_fn rw)
{
    pw_store_t *s = NULL;
    if (!l->seen)
        cr_assert_eq(pw_map_create(&l->seen), PW_OK);
    cr_assert_eq(pw_store_open(&s, dir, "subs", remember, rw, l), PW_OK);
    return s;
}

static void forget(loaded_t *l)
{
    pw_map_foreach(l->seen, free_it, NULL);
    pw_map_destroy(l->seen);
    l->seen = NULL;
}

static void journal_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/subs.journal", dir);
}

Test(store, committed_records_come_back_with_replacements_and_deletions)
{
    loaded_t l = { 0 };
    pw_store_t *s = open_store(&l, NULL);
    cr_assert_eq(pw_map_count(l.seen), 0);
    cr_assert_eq(pw_store_put(s, "a", "1"), PW_OK);
    cr_assert_eq(pw_store_put(s, "b", "2"), PW_OK);
    cr_assert_eq(pw_store_put(s, "a", "3"), PW_OK);
    cr_assert_eq(pw_store_put(s, "c", "x y z"), PW_OK);
    cr_assert_eq(pw_store_del(s, "b"), PW_OK);
    cr_assert(pw_store_pending(s));
    cr_assert_eq(pw_store_commit(s), PW_OK);
    cr_assert_not(pw_store_pending(s));
    cr_assert_eq(pw_store_count(s), 2);
    pw_store_close(s);
    forget(&l);
    s = open_store(&l, NULL);
    cr_assert_eq(pw_map_count(l.seen), 2);
    cr_assert_str_eq(pw_map_get(l.seen, "a"), "3");
    cr_assert_str_eq(pw_map_get(l.seen, "c"), "x y z");
    cr_assert_null(pw_map_get(l.seen, "b"));
    pw_store_close(s);
    forget(&l);
}

Test(store, bad_keys_and_values_are_refused)
{
    loaded_t l = { 0 };
    pw_store_t *s = open_store(&l, NULL);
    char big[PW_STORE_VALUE_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(pw_store_put(s, "k\tx", "v"), PW_EINVAL);
    cr_assert_eq(pw_store_put(s, "k", "line\nbreak"), PW_EINVAL);
    cr_assert_eq(pw_store_put(s, "", "v"), PW_EINVAL);
    cr_assert_eq(pw_store_put(s, "k", big), PW_EINVAL);
    cr_assert_eq(pw_store_count(s), 0);
    pw_store_close(s);
    forget(&l);
    cr_assert_eq(pw_store_open(&s, dir, "bad/name", remember, NULL, &l), PW_EINVAL);
}

/* A committed journal holding k1 = 1 and k2 = 2, closed again (l forgotten). */
static void journal_of_two(loaded_t *l, const char *k1, const char *k2)
{
    pw_store_t *s = open_store(l, NULL);
    pw_store_put(s, k1, "1");
    pw_store_put(s, k2, "2");
    cr_assert_eq(pw_store_commit(s), PW_OK);
    pw_store_close(s);
    forget(l);
}

Test(store, a_torn_last_record_is_cut_and_the_rest_kept)
{
    loaded_t l = { 0 };
    char path[256];
    FILE *f;
    pw_store_t *s;
    journal_of_two(&l, "a", "b");
    journal_path(path, sizeof path);
    f = fopen(path, "a");
    fputs("P\tc\t3\t0123", f); /* a crash in the middle of a write */
    fclose(f);
    s = open_store(&l, NULL);
    cr_assert_eq(pw_map_count(l.seen), 2);
    cr_assert_null(pw_map_get(l.seen, "c"));
    pw_store_put(s, "d", "4");
    cr_assert_eq(pw_store_commit(s), PW_OK);
    pw_store_close(s);
    forget(&l);
    s = open_store(&l, NULL);
    cr_assert_eq(pw_map_count(l.seen), 3, "records after the repair are readable");
    cr_assert_str_eq(pw_map_get(l.seen, "d"), "4");
    pw_store_close(s);
    forget(&l);
}

Test(store, damage_before_the_end_is_refused)
{
    loaded_t l = { 0 };
    char path[256], cmd[512];
    pw_store_t *s = NULL;
    journal_of_two(&l, "alpha", "beta");
    journal_path(path, sizeof path);
    snprintf(cmd, sizeof cmd, "sed -i 's/alpha\t1/alpha\t9/' '%s'", path);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(pw_map_create(&l.seen), PW_OK);
    cr_assert_eq(pw_store_open(&s, dir, "subs", remember, NULL, &l), PW_ECORRUPT);
    forget(&l);
}

typedef struct {
    pw_map_t *data; /* what the "application" holds */
} app_t;

static int reput(const char *key, void *value, void *arg)
{
    return pw_store_put(arg, key, value) != PW_OK;
}

static pw_status_t rewrite_app(void *arg, pw_store_t *s)
{
    app_t *a = arg;
    pw_map_foreach(a->data, reput, s);
    return PW_OK;
}

static pw_status_t load_app(void *arg, const char *key, const char *value)
{
    app_t *a = arg;
    return pw_map_put(a->data, key, strdup(value), NULL);
}

/* One round of the compaction tests: keys k0..k999 given the values vI-ROUND, in the app's
 * map and in the store. */
static void put_round(app_t *a, pw_store_t *s, int round)
{
    char key[32], val[32];
    for (int i = 0; i < 1000; i++) {
        void *old = NULL;
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d-%d", i, round);
        pw_map_put(a->data, key, strdup(val), &old);
        free(old);
        cr_assert_eq(pw_store_put(s, key, val), PW_OK);
    }
}

/* @return the journal's size in bytes */
static long journal_size(void)
{
    char path[256];
    long size;
    FILE *f;
    journal_path(path, sizeof path);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    return size;
}

/* Close the store, empty the app, open both again: what the journal gives back. */
static void reopen(app_t *a, pw_store_t **s)
{
    pw_store_close(*s);
    pw_map_foreach(a->data, free_it, NULL);
    pw_map_destroy(a->data);
    cr_assert_eq(pw_map_create(&a->data), PW_OK);
    cr_assert_eq(pw_store_open(s, dir, "subs", load_app, rewrite_app, a), PW_OK);
}

Test(store, compaction_keeps_exactly_the_live_records)
{
    app_t a;
    pw_store_t *s;
    long before, after;

    cr_assert_eq(pw_map_create(&a.data), PW_OK);
    cr_assert_eq(pw_store_open(&s, dir, "subs", load_app, rewrite_app, &a), PW_OK);
    put_round(&a, s, 0);
    cr_assert_eq(pw_store_commit(s), PW_OK);
    before = journal_size(); /* one generation on disk: the size of 1000 live records */
    for (int round = 1; round < 4; round++)
        put_round(&a, s, round);
    cr_assert_eq(pw_store_commit(s), PW_OK); /* 4000 records for 1000 live: compacts */
    after = journal_size();
    cr_assert_eq(after, before, "the journal holds one record per live key (%ld bytes, one generation %ld)",
                 after, before);
    cr_assert_eq(pw_store_count(s), 1000);
    reopen(&a, &s);
    cr_assert_eq(pw_map_count(a.data), 1000);
    cr_assert_str_eq(pw_map_get(a.data, "k7"), "v7-3");
    pw_store_close(s);
    pw_map_foreach(a.data, free_it, NULL);
    pw_map_destroy(a.data);
}

static size_t app_count(void *arg)
{
    const app_t *a = arg;
    return pw_map_count(a->data);
}

/* The owner keeps the keys (pw_store_keys_by_owner): the same records, deletions and compaction. */
Test(store, an_owner_counting_the_keys_gets_the_same_journal)
{
    app_t a;
    pw_store_t *s;
    long one, after;

    cr_assert_eq(pw_map_create(&a.data), PW_OK);
    cr_assert_eq(pw_store_open(&s, dir, "subs", load_app, rewrite_app, &a), PW_OK);
    pw_store_keys_by_owner(s, app_count);
    put_round(&a, s, 0);
    cr_assert_eq(pw_store_commit(s), PW_OK);
    one = journal_size();
    for (int round = 1; round < 4; round++)
        put_round(&a, s, round);
    free(pw_map_remove(a.data, "k5"));
    cr_assert_eq(pw_store_del(s, "k5"), PW_OK);
    cr_assert_eq(pw_store_del(s, "never-put"), PW_OK); /* written, ignored when loading */
    cr_assert_eq(pw_store_count(s), 999);
    cr_assert_eq(pw_store_commit(s), PW_OK); /* 4002 records for 999 live: compacts */
    after = journal_size();
    cr_assert(after < one, "compacted to the 999 live records (%ld bytes; 1000 records: %ld)", after, one);
    reopen(&a, &s);
    cr_assert_eq(pw_map_count(a.data), 999);
    cr_assert_null(pw_map_get(a.data, "k5"));
    cr_assert_null(pw_map_get(a.data, "never-put"));
    cr_assert_str_eq(pw_map_get(a.data, "k7"), "v7-3");
    pw_store_close(s);
    pw_map_foreach(a.data, free_it, NULL);
    pw_map_destroy(a.data);
}

Test(store, a_failing_disk_keeps_records_buffered_until_it_recovers)
{
    loaded_t l = { 0 };
    struct rlimit small = { 64, RLIM_INFINITY }, unlimited = { RLIM_INFINITY, RLIM_INFINITY };
    pw_store_t *s = open_store(&l, NULL);
    char val[200];
    memset(val, 'x', sizeof val - 1);
    val[sizeof val - 1] = '\0';
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    cr_assert_eq(pw_store_put(s, "a", val), PW_OK);
    cr_assert_eq(pw_store_commit(s), PW_EIO, "the write beyond the file size limit fails");
    cr_assert(pw_store_pending(s), "the record stays buffered");
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &unlimited), 0);
    cr_assert_eq(pw_store_commit(s), PW_OK, "the next commit succeeds");
    pw_store_close(s);
    forget(&l);
    s = open_store(&l, NULL);
    cr_assert_eq(pw_map_count(l.seen), 1, "exactly one whole record, no torn bytes");
    pw_store_close(s);
    forget(&l);
}
