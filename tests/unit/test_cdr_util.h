/* test_cdr_util.h: helpers shared by the charging unit tests and bench_cdr (temporary dirs, writers, records, files as lines). */
#ifndef TEST_CDR_UTIL_H
#define TEST_CDR_UTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "charging/pw_cdr.h"

/* The first part needs no Criterion: bench_cdr, which links none, defines TC_WITHOUT_CRITERION. */

/* The node every test's writer is, unless a test names another. */
#define TC_NODE "ps1.opb.example"

/* The time the tests' clocks start at (2023-11-14T22:13:20Z). */
#define TC_T0 1700000000000ull

typedef struct {
    uint64_t now;
} tc_clock_t;

static inline uint64_t tc_clock(void *arg)
{
    return ((tc_clock_t *)arg)->now;
}

/* A writer configuration for node in dir with every other setting at its default. */
static inline pw_cdr_writer_config_t tc_config(const char *dir, const char *node)
{
    pw_cdr_writer_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = node;
    return cfg;
}

/* Fill r as a complete enquiry record with reference ref: a current enquiry from opa.example
   about +12025550123, answered "ok" by opb.example. The other fields of r are left as they are. */
static inline void tc_record_fill(pw_cdr_record_t *r, const char *ref)
{
    r->kind = PW_CDR_KIND_CURRENT;
    strcpy(r->outcome, "ok");
    snprintf(r->enquiry_ref, sizeof r->enquiry_ref, "%s", ref);
    strcpy(r->peer, "gateway.opa.example");
    strcpy(r->charged_network, "opa.example");
    strcpy(r->serving_network, "opb.example");
    strcpy(r->watcher_msisdn, "+447700900001");
    strcpy(r->watcher_jid, "alice@opa.example");
    strcpy(r->presentity_msisdn, "+12025550123");
}

static inline int tc_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Remove dir and everything in it. */
static inline void tc_rm_tree(const char *dir)
{
    nftw(dir, tc_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

#ifndef TC_WITHOUT_CRITERION
#include <criterion/criterion.h>

static inline char *tc_tmpdir(void)
{
    char t[] = "/tmp/pw-cdr-test-XXXXXX";
    cr_assert_not_null(mkdtemp(t));
    char *d = strdup(t);
    cr_assert_not_null(d);
    return d;
}

static inline void tc_rm_rf(char *dir)
{
    if (!dir)
        return;
    tc_rm_tree(dir);
    free(dir);
}

/* A complete enquiry record with reference ref (tc_record_fill). Free with free(). */
static inline pw_cdr_record_t *tc_record(const char *ref)
{
    pw_cdr_record_t *r = calloc(1, sizeof *r);
    cr_assert_not_null(r);
    tc_record_fill(r, ref);
    return r;
}

static inline pw_cdr_writer_t *tc_writer(const char *dir, tc_clock_t *clk, uint64_t max_bytes, int sync_each)
{
    pw_cdr_writer_config_t cfg = tc_config(dir, TC_NODE);
    pw_cdr_writer_t *w = NULL;
    cfg.max_file_bytes = max_bytes;
    cfg.sync_each = sync_each;
    if (clk) {
        cfg.clock = tc_clock;
        cfg.clock_arg = clk;
    }
    pw_status_t st = pw_cdr_writer_create(&w, &cfg);
    cr_assert_eq(st, PW_OK, "writer create: %s", pw_strerror(st));
    return w;
}

/* Append one record with reference ref and commit it; returns its seq. */
static inline uint64_t tc_put(pw_cdr_writer_t *w, const char *ref)
{
    pw_cdr_record_t *r = tc_record(ref);
    uint64_t seq = 0;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK, "append %s", ref);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    free(r);
    return seq;
}

/* Verify dir, which must pass; returns what verify counted. */
static inline pw_cdr_verify_summary_t tc_verify(const char *dir)
{
    pw_cdr_problem_t p;
    pw_cdr_verify_summary_t sum;
    pw_status_t st = pw_cdr_verify_dir(dir, NULL, NULL, NULL, &p, &sum);
    cr_assert_eq(st, PW_OK, "verify %s: %s:%llu: %s: %s", dir, p.file, (unsigned long long)p.line,
                 pw_cdr_problem_name(p.kind), p.text);
    return sum;
}

/* What a writer test works on: a fresh directory, a clock at TC_T0 a test may give its writer,
   the writer the test opens (tc_open), and a record to append (tc_record("r")). */
typedef struct {
    char *dir;
    tc_clock_t clk;
    pw_cdr_writer_t *w; /* NULL until tc_open and after tc_close */
    pw_cdr_record_t *r;
} tc_fixture_t;

static inline tc_fixture_t *tc_fixture_new(void)
{
    tc_fixture_t *t = calloc(1, sizeof *t);
    cr_assert_not_null(t);
    t->dir = tc_tmpdir();
    t->clk.now = TC_T0;
    t->r = tc_record("r");
    return t;
}

/* Destroy t's writer, remove its directory, free t. Accepts NULL. */
static inline void tc_fixture_free(tc_fixture_t *t)
{
    if (!t)
        return;
    pw_cdr_writer_destroy(t->w);
    free(t->r);
    tc_rm_rf(t->dir);
    free(t);
}

/* Close t's writer: what it appended but did not commit is lost, as in a crash. */
static inline void tc_close(tc_fixture_t *t)
{
    pw_cdr_writer_destroy(t->w);
    t->w = NULL;
}

/* Open a writer on t's directory (closing the one open: a restart); clk NULL: the wall clock. */
static inline void tc_open(tc_fixture_t *t, tc_clock_t *clk, uint64_t max_bytes, int sync_each)
{
    tc_close(t);
    t->w = tc_writer(t->dir, clk, max_bytes, sync_each);
}

/* Close t's writer; its directory must verify. Returns what verify counted. */
static inline pw_cdr_verify_summary_t tc_close_and_verify(tc_fixture_t *t)
{
    tc_close(t);
    return tc_verify(t->dir);
}

/* t's writer goes on after seq last: that is the last committed, and a new record (ref) gets last + 1. */
static inline void tc_goes_on_after(tc_fixture_t *t, uint64_t last, const char *ref)
{
    cr_assert_eq(pw_cdr_writer_committed_seq(t->w), last, "the last committed seq");
    cr_assert_eq(tc_put(t->w, ref), last + 1, "%s after seq %llu", ref, (unsigned long long)last);
}

/*
 * Define a test file's fixture pointer `var` and its Criterion fixtures var##_setup
 * (tc_fixture_new()) and var##_teardown (tc_fixture_free()). Criterion's .init/.fini take no
 * argument, so each test file keeps this one pointer. At file scope, without a semicolon.
 */
#define TC_FIXTURES(var)                                     \
    static tc_fixture_t *var;                                \
    static void __attribute__((unused)) var##_setup(void)    \
    {                                                        \
        var = tc_fixture_new();                              \
    }                                                        \
    static void __attribute__((unused)) var##_teardown(void) \
    {                                                        \
        tc_fixture_free(var);                                \
        var = NULL;                                          \
    }

/* Names in dir (sorted) that end with suffix; returns the count. Free with tc_free_list. */
static inline size_t tc_list(const char *dir, const char *suffix, char ***out)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    size_t k = 0;
    char **names = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    cr_assert_not_null(names);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(ents[i]->d_name), sl = strlen(suffix);
        if (l >= sl && strcmp(ents[i]->d_name + l - sl, suffix) == 0 && ents[i]->d_name[0] != '.')
            names[k++] = strdup(ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    *out = names;
    return k;
}

/* Free n strings and the array holding them (what tc_list and tc_lines give). */
static inline void tc_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Path of the single open file of dir (malloc'ed). */
static inline char *tc_open_path(const char *dir)
{
    char **names;
    size_t n = tc_list(dir, ".jsonl.open", &names);
    cr_assert_eq(n, 1, "exactly one open file in %s", dir);
    char *p = malloc(strlen(dir) + strlen(names[0]) + 2);
    sprintf(p, "%s/%s", dir, names[0]);
    tc_free_list(names, n);
    return p;
}

/* The whole file as a NUL-terminated string (malloc'ed); *len receives its length. */
static inline char *tc_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static inline void tc_spit(const char *path, const char *data, size_t len)
{
    chmod(path, 0640);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Split a file into lines (with their '\n'); returns the count. Free with tc_free_list. */
static inline size_t tc_lines(const char *path, char ***out)
{
    size_t len, n = 0;
    char *b = tc_slurp(path, &len);
    char **lines = calloc(len + 1, sizeof *lines);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (b[i] == '\n' || i + 1 == len) {
            lines[n] = strndup(b + start, i + 1 - start);
            n++;
            start = i + 1;
        }
    }
    free(b);
    *out = lines;
    return n;
}

static inline void tc_write_lines(const char *path, char **lines, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]);
    char *b = malloc(total + 1), *p = b;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(lines[i]);
        memcpy(p, lines[i], l);
        p += l;
    }
    tc_spit(path, b, total);
    free(b);
}

/*
 * What tc_collect did with the records a pw_cdr_record_cb saw: kept the first TC_SEEN_MAX, and
 * added each to the statement settle when set, else to the reconciliation rec on side when set.
 */
#define TC_SEEN_MAX 8
typedef struct {
    pw_cdr_record_t recs[TC_SEEN_MAX];
    size_t n;
    pw_cdr_settle_t *settle;
    pw_cdr_reconcile_t *rec;
    pw_cdr_side_t side;
} tc_seen_t;

/* A pw_cdr_record_cb doing with each record what the tc_seen_t arg says. */
static inline void tc_collect(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    tc_seen_t *s = arg;
    (void)file;
    (void)line;
    if (s->n < TC_SEEN_MAX)
        s->recs[s->n++] = *rec;
    if (s->settle)
        cr_assert_eq(pw_cdr_settle_add(s->settle, rec), PW_OK);
    else if (s->rec)
        cr_assert_eq(pw_cdr_reconcile_add(s->rec, s->side, rec), PW_OK);
}

/* A stream in memory for the write functions: tc_mem_open, write, then tc_mem_close. */
typedef struct {
    char *buf;
    size_t len;
    FILE *f;
} tc_mem_t;

static inline FILE *tc_mem_open(tc_mem_t *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    cr_assert_not_null(m->f);
    return m->f;
}

/* Close the stream; returns what was written (malloc'ed, NUL-terminated, m->len bytes). */
static inline char *tc_mem_close(tc_mem_t *m)
{
    fclose(m->f);
    return m->buf;
}

#endif /* TC_WITHOUT_CRITERION */
#endif /* TEST_CDR_UTIL_H */
