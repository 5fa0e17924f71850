/* test_cdr_v1.c: files written by the format-v1 code before jansson still verify, are written again byte for byte, and settle/reconcile the same. */
#include "test_cdr_util.h"

/* tests/unit/data/cdr-v1 (see its README.md); PWT_SRCDIR "/tests/unit/data/cdr-v1" comes from Makefile.am. */
#define CHARGED PWT_SRCDIR "/tests/unit/data/cdr-v1" "/charged"
#define SENT PWT_SRCDIR "/tests/unit/data/cdr-v1" "/sent"
#define EXPECTED PWT_SRCDIR "/tests/unit/data/cdr-v1" "/expected/"

static void verify(const char *dir, uint64_t files, uint64_t records)
{
    pw_cdr_verify_summary_t sum = tc_verify(dir);
    cr_assert_eq(sum.files, files);
    cr_assert_eq(sum.records, records);
    cr_assert_eq(sum.nodes, 1);
}

Test(cdr_v1, old_files_verify)
{
    verify(CHARGED, 3, 13);
    verify(SENT, 2, 8);
}

/* Parse every line of path and format it again: the same bytes, the same hash. Returns lines. */
static size_t rewrite_file(const char *path)
{
    pw_cdr_reader_t *r;
    pw_cdr_rawline_t raw;
    pw_cdr_line_t *l = calloc(1, sizeof *l);
    char *buf = malloc(PW_CDR_LINE_MAX + 1), hash[PW_CDR_HASH_HEX];
    size_t len, n = 0;
    pw_status_t st;
    cr_assert_eq(pw_cdr_reader_create(&r, path), PW_OK, "%s", path);
    while ((st = pw_cdr_reader_next(r, &raw)) == PW_OK) {
        cr_assert(raw.terminated);
        cr_assert_eq(pw_cdr_line_parse(raw.data, raw.len, l), PW_OK, "%s:%llu", path,
                     (unsigned long long)raw.lineno);
        if (l->type == PW_CDR_LINE_HEADER) {
            cr_assert_eq(pw_cdr_format_header(&l->header, buf, PW_CDR_LINE_MAX + 1, &len, hash), PW_OK);
            cr_assert_str_eq(hash, l->header.hash);
        } else {
            cr_assert_eq(pw_cdr_format_record(&l->record, l->record.prev, buf, PW_CDR_LINE_MAX + 1,
                                              &len, hash), PW_OK);
            cr_assert_str_eq(hash, l->record.hash);
        }
        cr_assert_eq(len, raw.len + 1, "%s:%llu: length", path, (unsigned long long)raw.lineno);
        cr_assert_eq(memcmp(buf, raw.data, raw.len), 0, "%s:%llu: bytes", path,
                     (unsigned long long)raw.lineno);
        n++;
    }
    cr_assert_eq(st, PW_ENOTFOUND);
    pw_cdr_reader_destroy(r);
    free(buf);
    free(l);
    return n;
}

static size_t rewrite_dir(const char *dir)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    size_t lines = 0;
    char path[1024];
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++) {
        if (strncmp(ents[i]->d_name, "cdr-", 4) == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
            lines += rewrite_file(path);
        }
        free(ents[i]);
    }
    free(ents);
    return lines;
}

Test(cdr_v1, every_line_is_written_again_byte_for_byte)
{
    cr_assert_eq(rewrite_dir(CHARGED), 3 + 13);
    cr_assert_eq(rewrite_dir(SENT), 2 + 8);
}

static void feed_dir(const char *dir, tc_seen_t *f)
{
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, tc_collect, f, NULL, NULL), PW_OK, "%s", dir);
}

/* Close m: what was written to it must be the file name, byte for byte. */
static void same_as(const char *name, tc_mem_t *m)
{
    char *out = tc_mem_close(m);
    size_t want_len;
    char *want = tc_slurp(name, &want_len);
    cr_assert_eq(m->len, want_len, "%s: %zu bytes, want %zu:\n%s", name, m->len, want_len, out);
    cr_assert_eq(memcmp(out, want, m->len), 0, "%s differs:\n%s", name, out);
    free(want);
    free(out);
}

static void settle_same(const char *dir, pw_cdr_output_t fmt, const char *name)
{
    tc_seen_t f = { .side = PW_CDR_SIDE_SENT };
    tc_mem_t m;
    cr_assert_eq(pw_cdr_settle_create(&f.settle, 0, 0, NULL), PW_OK);
    feed_dir(dir, &f);
    cr_assert_eq(pw_cdr_settle_write(f.settle, tc_mem_open(&m), fmt), PW_OK);
    pw_cdr_settle_destroy(f.settle);
    same_as(name, &m);
}

Test(cdr_v1, settle_gives_the_same_figures)
{
    settle_same(CHARGED, PW_CDR_OUT_CSV, EXPECTED "settle-charged.csv");
    settle_same(CHARGED, PW_CDR_OUT_JSON, EXPECTED "settle-charged.json");
    settle_same(SENT, PW_CDR_OUT_CSV, EXPECTED "settle-sent.csv");
}

static void reconcile_same(pw_cdr_output_t fmt, const char *name)
{
    tc_seen_t f = { .side = PW_CDR_SIDE_SENT };
    tc_mem_t m;
    size_t ndiff = 0;
    cr_assert_eq(pw_cdr_reconcile_create(&f.rec, 0, 0, NULL, NULL), PW_OK);
    feed_dir(SENT, &f);
    f.side = PW_CDR_SIDE_CHARGED;
    feed_dir(CHARGED, &f);
    cr_assert_eq(pw_cdr_reconcile_run(f.rec, &ndiff), PW_OK);
    cr_assert_eq(ndiff, 5);
    cr_assert_eq(pw_cdr_reconcile_write(f.rec, tc_mem_open(&m), fmt), PW_OK);
    pw_cdr_reconcile_destroy(f.rec);
    same_as(name, &m);
}

Test(cdr_v1, reconcile_gives_the_same_differences)
{
    reconcile_same(PW_CDR_OUT_CSV, EXPECTED "reconcile.csv");
    reconcile_same(PW_CDR_OUT_JSON, EXPECTED "reconcile.json");
}
