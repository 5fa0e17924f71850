/* fuzz_store.c: libFuzzer target: the input as a pw_store journal file, replayed by pw_store_open (torn tails, checksums, deletes). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "core/pw_log.h"
#include "core/pw_store.h"

typedef struct fz_seen {
    size_t records;
    size_t bytes;
} fz_seen_t;

static pw_status_t fz_load(void *arg, const char *key, const char *value)
{
    fz_seen_t *seen = arg;
    size_t k = strlen(key), v = strlen(value);
    if (k == 0 || k > PW_STORE_KEY_MAX || v > PW_STORE_VALUE_MAX)
        __builtin_trap(); /* replay must only hand out records that could have been written */
    seen->records++;
    seen->bytes += k + v;
    return PW_OK;
}

/* The input as the journal (written to where pw_store_open looks for "subs"). */
static void fz_use(const char *path, const uint8_t *data, size_t size)
{
    pw_store_t *store = NULL;
    fz_seen_t seen = { 0, 0 };

    (void)path;
    (void)data;
    (void)size;
    if (pw_store_open(&store, pwf_tmpdir(), "subs", fz_load, NULL, &seen) == PW_OK) {
        if (pw_store_count(store) != seen.records)
            __builtin_trap();
        /* the repaired journal takes a write and a commit */
        (void)pw_store_put(store, "fuzz", "value");
        (void)pw_store_del(store, "fuzz");
        (void)pw_store_commit(store);
        pw_store_close(store);
    }
}

static const pwf_file_target_t fz_target = { "fuzz-store", "subs.journal", fz_use };
PWF_FILE_TARGET(fz_target)
