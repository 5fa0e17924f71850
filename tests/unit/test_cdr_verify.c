/* test_cdr_verify.c: unit tests of verify: a clean directory, and every failure (gap, edit, reorder, duplicate, truncation). */
#include <unistd.h>

#include "test_cdr_util.h"

/* Seven records: closed file 1 (seq 1-3), closed file 2 (seq 4-6), open file (seq 7). */
typedef struct {
    char *dir;
    char *f1;
    char *f2;
    char *open;
} fixture_t;

static fixture_t build(void)
{
    fixture_t fx;
    char ref[16], **names;
    fx.dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(fx.dir, NULL, 2200, 0);
    for (int i = 1; i <= 7; i++) {
        snprintf(ref, sizeof ref, "e%d", i);
        tc_put(w, ref);
    }
    pw_cdr_writer_destroy(w);
    size_t n = tc_list(fx.dir, ".jsonl", &names);
    cr_assert_eq(n, 2, "fixture has two closed files");
    fx.f1 = malloc(1024);
    fx.f2 = malloc(1024);
    snprintf(fx.f1, 1024, "%s/%s", fx.dir, names[0]);
    snprintf(fx.f2, 1024, "%s/%s", fx.dir, names[1]);
    cr_assert_not_null(strstr(fx.f1, "-00000000000000000001-00000000000000000003-"), "%s", fx.f1);
    cr_assert_not_null(strstr(fx.f2, "-00000000000000000004-00000000000000000006-"), "%s", fx.f2);
    tc_free_list(names, n);
    fx.open = tc_open_path(fx.dir);
    return fx;
}

static void teardown(fixture_t *fx)
{
    free(fx->f1);
    free(fx->f2);
    free(fx->open);
    tc_rm_rf(fx->dir);
}

typedef struct {
    size_t n;
    char **lines;
} lines_t;

static lines_t load(const char *path)
{
    lines_t l;
    l.n = tc_lines(path, &l.lines);
    return l;
}

static void store(const char *path, lines_t *l)
{
    tc_write_lines(path, l->lines, l->n);
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    free(l->lines);
}

static pw_cdr_problem_t run(const fixture_t *fx, pw_status_t want)
{
    pw_cdr_problem_t p;
    pw_status_t st = pw_cdr_verify_dir(fx->dir, NULL, NULL, NULL, &p, NULL);
    cr_assert_eq(st, want, "verify gave %s: %s:%lu %s", pw_strerror(st), p.file, (unsigned long)p.line, p.text);
    return p;
}

typedef struct {
    uint64_t seqs[16];
    size_t n;
} seen_t;

static void collect(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    seen_t *s = arg;
    (void)file;
    (void)line;
    if (s->n < 16)
        s->seqs[s->n++] = rec->seq;
}

Test(cdr_verify, a_clean_directory_passes_in_order)
{
    fixture_t fx = build();
    seen_t seen = { { 0 }, 0 };
    pw_cdr_verify_summary_t sum;
    pw_cdr_problem_t p;
    cr_assert_eq(pw_cdr_verify_dir(fx.dir, NULL, collect, &seen, &p, &sum), PW_OK);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_NONE);
    cr_assert_eq(sum.files, 3);
    cr_assert_eq(sum.records, 7);
    cr_assert_eq(sum.nodes, 1);
    cr_assert_eq(seen.n, 7);
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(seen.seqs[i], i + 1);
    teardown(&fx);
}

Test(cdr_verify, gap)
{
    fixture_t fx = build();
    lines_t l = load(fx.f2); /* header, 4, 5, 6 */
    free(l.lines[2]);
    memmove(&l.lines[2], &l.lines[3], sizeof l.lines[0]);
    l.n--;
    store(fx.f2, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_GAP);
    cr_assert_str_eq(p.file, fx.f2);
    cr_assert_eq(p.line, 3);
    cr_assert_eq(p.seq, 6);
    cr_assert_not_null(strstr(p.text, "5..5"), "%s", p.text);
    teardown(&fx);
}

Test(cdr_verify, edit_of_a_field)
{
    fixture_t fx = build();
    lines_t l = load(fx.f2);
    char *j = strstr(l.lines[2], "alice@");
    cr_assert_not_null(j);
    j[0] = 'm'; /* malice */
    store(fx.f2, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_EDITED);
    cr_assert_str_eq(p.file, fx.f2);
    cr_assert_eq(p.line, 3);
    cr_assert_eq(p.seq, 5);
    teardown(&fx);
}

Test(cdr_verify, edit_with_a_recomputed_hash_breaks_the_chain)
{
    fixture_t fx = build();
    lines_t l = load(fx.f2);
    pw_cdr_line_t *pl = calloc(1, sizeof *pl);
    char *buf = malloc(PW_CDR_LINE_MAX + 1), hash[PW_CDR_HASH_HEX];
    size_t len;
    cr_assert_eq(pw_cdr_line_parse(l.lines[2], strlen(l.lines[2]) - 1, pl), PW_OK);
    pl->record.duration_s = 1; /* a forger who knows the format */
    cr_assert_eq(pw_cdr_format_record(&pl->record, pl->record.prev, buf, PW_CDR_LINE_MAX + 1, &len, hash), PW_OK);
    free(l.lines[2]);
    l.lines[2] = strndup(buf, len);
    store(fx.f2, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_EDITED);
    cr_assert_eq(p.line, 4, "found at the next record");
    cr_assert_eq(p.seq, 6);
    cr_assert_not_null(strstr(p.text, "record 5"), "%s", p.text);
    free(pl);
    free(buf);
    teardown(&fx);
}

Test(cdr_verify, edit_of_the_last_record)
{
    fixture_t fx = build();
    lines_t l = load(fx.open); /* header, 7 */
    char *o = strstr(l.lines[1], "\"outcome\":\"ok\"");
    cr_assert_not_null(o);
    memcpy(o + 11, "no", 2);
    store(fx.open, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_EDITED);
    cr_assert_eq(p.seq, 7);
    teardown(&fx);
}

Test(cdr_verify, reorder)
{
    fixture_t fx = build();
    lines_t l = load(fx.f2);
    char *t = l.lines[1];
    l.lines[1] = l.lines[2];
    l.lines[2] = t;
    store(fx.f2, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_REORDER);
    cr_assert_eq(p.line, 2);
    cr_assert_eq(p.seq, 5);
    cr_assert_not_null(strstr(p.text, "line 3"), "%s", p.text);
    teardown(&fx);
}

Test(cdr_verify, duplicate)
{
    fixture_t fx = build();
    lines_t l = load(fx.f2);
    char **more = realloc(l.lines, (l.n + 1) * sizeof *more);
    l.lines = more;
    memmove(&l.lines[3], &l.lines[2], (l.n - 2) * sizeof *more);
    l.lines[3] = strdup(l.lines[2]);
    l.n++;
    store(fx.f2, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_DUPLICATE);
    cr_assert_eq(p.line, 4);
    cr_assert_eq(p.seq, 5);
    teardown(&fx);
}

Test(cdr_verify, file_truncated_mid_line)
{
    fixture_t fx = build();
    size_t len;
    char *d = tc_slurp(fx.f1, &len);
    tc_spit(fx.f1, d, len - 100);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_TRUNCATED);
    cr_assert_str_eq(p.file, fx.f1);
    cr_assert_eq(p.line, 4);
    free(d);
    teardown(&fx);
}

Test(cdr_verify, file_truncated_at_a_line_end)
{
    fixture_t fx = build();
    lines_t l = load(fx.f1);
    free(l.lines[--l.n]);
    store(fx.f1, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_TRUNCATED);
    cr_assert_str_eq(p.file, fx.f1);
    cr_assert_eq(p.seq, 3);
    teardown(&fx);
}

Test(cdr_verify, empty_file)
{
    fixture_t fx = build();
    tc_spit(fx.f2, "", 0);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_TRUNCATED);
    cr_assert_str_eq(p.file, fx.f2);
    teardown(&fx);
}

Test(cdr_verify, a_missing_file_is_a_gap_unless_partial)
{
    fixture_t fx = build();
    cr_assert_eq(unlink(fx.f2), 0);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_GAP);
    cr_assert_str_eq(p.file, fx.open);
    cr_assert_eq(p.line, 1);
    teardown(&fx);

    fx = build();
    cr_assert_eq(unlink(fx.f1), 0);
    p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_GAP, "the oldest file is missing");
    pw_cdr_verify_options_t opt = { .partial = 1 };
    pw_cdr_verify_summary_t sum;
    cr_assert_eq(pw_cdr_verify_dir(fx.dir, &opt, NULL, NULL, &p, &sum), PW_OK, "%s", p.text);
    cr_assert_eq(sum.records, 4);
    teardown(&fx);
}

Test(cdr_verify, header_edited)
{
    fixture_t fx = build();
    lines_t l = load(fx.f2);
    char *c = strstr(l.lines[0], "\"created\":\"");
    cr_assert_not_null(c);
    c[11 + 20] = c[11 + 20] == '1' ? '2' : '1'; /* the milliseconds */
    store(fx.f2, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_EDITED);
    cr_assert_eq(p.line, 1);
    teardown(&fx);
}

Test(cdr_verify, malformed_line)
{
    fixture_t fx = build();
    lines_t l = load(fx.f1);
    free(l.lines[2]);
    l.lines[2] = strdup("seq,time,node\n");
    store(fx.f1, &l);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_MALFORMED);
    cr_assert_eq(p.line, 3);
    teardown(&fx);
}

Test(cdr_verify, unreadable_directory)
{
    pw_cdr_problem_t p;
    cr_assert_eq(pw_cdr_verify_dir("/nonexistent/cdr", NULL, NULL, NULL, &p, NULL), PW_EIO);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_IO);
    cr_assert_str_eq(pw_cdr_problem_name(p.kind), "io");
}

Test(cdr_verify, several_nodes_in_one_directory)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *a = tc_writer(dir, NULL, 0, 0), *b = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps2.opb.example";
    cr_assert_eq(pw_cdr_writer_create(&b, &cfg), PW_OK);
    tc_put(a, "x1");
    tc_put(b, "x1");
    tc_put(b, "x2");
    pw_cdr_writer_destroy(a);
    pw_cdr_writer_destroy(b);
    pw_cdr_verify_summary_t sum;
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, &sum), PW_OK);
    cr_assert_eq(sum.nodes, 2);
    cr_assert_eq(sum.records, 3);
    tc_rm_rf(dir);
}
