/* bench_cdr.c: charge records per second with an fsync per record (baseline) and with group commit, and their ratio. */
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "core/pw_log.h"

/* The unit tests' record, writer configuration and clean-up, without Criterion (this links none). */
#define TC_WITHOUT_CRITERION
#include "../unit/test_cdr_util.h"

/*
 * Usage: bench_cdr [RECORDS [BATCH [DIR]]]
 *   RECORDS  records written in each mode (default 20000)
 *   BATCH    records per commit in group-commit mode (default 64)
 *   DIR      where the temporary directories go (default $TMPDIR or /tmp); put it on the
 *            file system the presence server will write to, the figures depend on it
 */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write n records committing every batch (batch 0: sync_each); records/s or a negative value. */
static double run(const char *base, const char *name, uint64_t n, uint64_t batch)
{
    char dir[1024];
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *w = NULL;
    pw_cdr_record_t *rec = calloc(1, sizeof *rec);
    double rate = -1, t0;
    uint64_t seq;
    snprintf(dir, sizeof dir, "%s/%s", base, name);
    cfg = tc_config(dir, TC_NODE);
    cfg.sync_each = batch == 0;
    if (!rec || pw_cdr_writer_create(&w, &cfg) != PW_OK)
        goto done;
    tc_record_fill(rec, "");
    strcpy(rec->watcher_jid, "+447700900001@watcher.opb.example");
    t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        snprintf(rec->enquiry_ref, sizeof rec->enquiry_ref, "watcher.opa.example/%08" PRIx64 "-bench", i);
        if (pw_cdr_writer_append(w, rec, &seq) != PW_OK)
            goto done;
        if (batch && ((i + 1) % batch == 0 || i + 1 == n) && pw_cdr_writer_commit(w) != PW_OK)
            goto done;
    }
    rate = (double)n / (now_s() - t0);
    if (pw_cdr_writer_committed_seq(w) != n)
        rate = -1;
done:
    pw_cdr_writer_destroy(w);
    free(rec);
    return rate;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
    uint64_t batch = argc > 2 ? strtoull(argv[2], NULL, 10) : 64;
    const char *where = argc > 3 ? argv[3] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    char base[1024];
    int rc = 1;
    if (n == 0 || batch == 0) {
        fprintf(stderr, "usage: bench_cdr [RECORDS [BATCH [DIR]]] (both > 0)\n");
        return 2;
    }
    pw_log_setup("bench_cdr", PW_LOG_WARN);
    snprintf(base, sizeof base, "%s/pw-cdr-bench-XXXXXX", where);
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    printf("charge-record writer: %" PRIu64 " records per mode, in %s\n", n, base);
    double per_record = run(base, "sync-each", n, 0);
    double group = run(base, "group", n, batch);
    if (per_record <= 0 || group <= 0) {
        fprintf(stderr, "bench_cdr: writing failed\n");
        goto done;
    }
    printf("fsync per record (baseline):   %10.0f records/s\n", per_record);
    printf("group commit, %4" PRIu64 " per commit: %10.0f records/s\n", batch, group);
    printf("ratio group commit / baseline: %10.1f\n", group / per_record);
    rc = 0;
done:
    tc_rm_tree(base);
    return rc;
}
