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

/* The fixture's files by name, for the table below. */
typedef enum { ANY_FILE, F1, F2, OPEN } which_t;

static const char *file_of(const fixture_t *fx, which_t which)
{
    return which == F1 ? fx->f1 : which == F2 ? fx->f2 : fx->open;
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
    tc_free_list(l->lines, l->n);
}

/* Verify the fixture, which must give want; returns the problem found. */
static pw_cdr_problem_t run(const fixture_t *fx, pw_status_t want, const char *what)
{
    pw_cdr_problem_t p;
    pw_status_t st = pw_cdr_verify_dir(fx->dir, NULL, NULL, NULL, &p, NULL);
    cr_assert_eq(st, want, "%s: verify gave %s: %s:%lu %s", what, pw_strerror(st), p.file, (unsigned long)p.line,
                 p.text);
    return p;
}

/* The ways a file is damaged (file 2 holds header, 4, 5, 6; the open file header, 7). */

static void drop_the_second_record(const char *path)
{
    lines_t l = load(path);
    free(l.lines[2]);
    memmove(&l.lines[2], &l.lines[3], sizeof l.lines[0]);
    l.n--;
    store(path, &l);
}

static void edit_a_field(const char *path)
{
    lines_t l = load(path);
    char *j = strstr(l.lines[2], "alice@");
    cr_assert_not_null(j);
    j[0] = 'm'; /* malice */
    store(path, &l);
}

static void edit_and_recompute_the_hash(const char *path)
{
    lines_t l = load(path);
    pw_cdr_line_t *pl = calloc(1, sizeof *pl);
    char *buf = malloc(PW_CDR_LINE_MAX + 1), hash[PW_CDR_HASH_HEX];
    size_t len;
    cr_assert_eq(pw_cdr_line_parse(l.lines[2], strlen(l.lines[2]) - 1, pl), PW_OK);
    pl->record.duration_s = 1; /* a forger who knows the format */
    cr_assert_eq(pw_cdr_format_record(&pl->record, pl->record.prev, buf, PW_CDR_LINE_MAX + 1, &len, hash), PW_OK);
    free(l.lines[2]);
    l.lines[2] = strndup(buf, len);
    store(path, &l);
    free(pl);
    free(buf);
}

static void edit_the_outcome_of_the_first_record(const char *path)
{
    lines_t l = load(path);
    char *o = strstr(l.lines[1], "\"outcome\":\"ok\"");
    cr_assert_not_null(o);
    memcpy(o + 11, "no", 2);
    store(path, &l);
}

static void swap_the_first_two_records(const char *path)
{
    lines_t l = load(path);
    char *t = l.lines[1];
    l.lines[1] = l.lines[2];
    l.lines[2] = t;
    store(path, &l);
}

static void repeat_the_second_record(const char *path)
{
    lines_t l = load(path);
    char **more = realloc(l.lines, (l.n + 1) * sizeof *more);
    l.lines = more;
    memmove(&l.lines[3], &l.lines[2], (l.n - 2) * sizeof *more);
    l.lines[3] = strdup(l.lines[2]);
    l.n++;
    store(path, &l);
}

static void cut_100_bytes(const char *path)
{
    size_t len;
    char *d = tc_slurp(path, &len);
    tc_spit(path, d, len - 100);
    free(d);
}

static void drop_the_last_line(const char *path)
{
    lines_t l = load(path);
    free(l.lines[--l.n]);
    store(path, &l);
}

static void empty_the_file(const char *path)
{
    tc_spit(path, "", 0);
}

static void remove_file(const char *path)
{
    cr_assert_eq(unlink(path), 0, "%s", path);
}

static void edit_the_header(const char *path)
{
    lines_t l = load(path);
    char *c = strstr(l.lines[0], "\"created\":\"");
    cr_assert_not_null(c);
    c[11 + 20] = c[11 + 20] == '1' ? '2' : '1'; /* the milliseconds */
    store(path, &l);
}

static void replace_the_second_record_with_csv(const char *path)
{
    lines_t l = load(path);
    free(l.lines[2]);
    l.lines[2] = strdup("seq,time,node\n");
    store(path, &l);
}

/* One kind of damage and what verify must say of it: the problem's kind and, where given, its
   file, line (from 1), seq (from 1) and a part of its text. */
typedef struct {
    const char *name;
    void (*damage)(const char *path);
    which_t damaged;
    pw_cdr_problem_kind_t kind;
    which_t file; /* ANY_FILE: not checked */
    uint64_t line; /* 0: not checked */
    uint64_t seq;  /* 0: not checked */
    const char *text;
} damage_t;

static const damage_t damages[] = {
    { "gap", drop_the_second_record, F2, PW_CDR_PROBLEM_GAP, F2, 3, 6, "5..5" },
    { "edit of a field", edit_a_field, F2, PW_CDR_PROBLEM_EDITED, F2, 3, 5, NULL },
    { "edit with a recomputed hash breaks the chain (found at the next record)", edit_and_recompute_the_hash, F2,
      PW_CDR_PROBLEM_EDITED, ANY_FILE, 4, 6, "record 5" },
    { "edit of the last record", edit_the_outcome_of_the_first_record, OPEN, PW_CDR_PROBLEM_EDITED, ANY_FILE, 0, 7,
      NULL },
    { "reorder", swap_the_first_two_records, F2, PW_CDR_PROBLEM_REORDER, ANY_FILE, 2, 5, "line 3" },
    { "duplicate", repeat_the_second_record, F2, PW_CDR_PROBLEM_DUPLICATE, ANY_FILE, 4, 5, NULL },
    { "file truncated mid-line", cut_100_bytes, F1, PW_CDR_PROBLEM_TRUNCATED, F1, 4, 0, NULL },
    { "file truncated at a line end", drop_the_last_line, F1, PW_CDR_PROBLEM_TRUNCATED, F1, 0, 3, NULL },
    { "empty file", empty_the_file, F2, PW_CDR_PROBLEM_TRUNCATED, F2, 0, 0, NULL },
    { "a missing file is a gap", remove_file, F2, PW_CDR_PROBLEM_GAP, OPEN, 1, 0, NULL },
    { "header edited", edit_the_header, F2, PW_CDR_PROBLEM_EDITED, ANY_FILE, 1, 0, NULL },
    { "malformed line", replace_the_second_record_with_csv, F1, PW_CDR_PROBLEM_MALFORMED, ANY_FILE, 3, 0, NULL },
};

Test(cdr_verify, a_clean_directory_passes_in_order)
{
    fixture_t fx = build();
    tc_seen_t seen = { .n = 0 };
    pw_cdr_verify_summary_t sum;
    pw_cdr_problem_t p;
    cr_assert_eq(pw_cdr_verify_dir(fx.dir, NULL, tc_collect, &seen, &p, &sum), PW_OK);
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_NONE);
    cr_assert_eq(sum.files, 3);
    cr_assert_eq(sum.records, 7);
    cr_assert_eq(sum.nodes, 1);
    cr_assert_eq(seen.n, 7);
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(seen.recs[i].seq, i + 1);
    teardown(&fx);
}

Test(cdr_verify, every_kind_of_damage_is_found)
{
    for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
        const damage_t *d = &damages[i];
        fixture_t fx = build();
        d->damage(file_of(&fx, d->damaged));
        pw_cdr_problem_t p = run(&fx, PW_ECORRUPT, d->name);
        cr_assert_eq(p.kind, d->kind, "%s: found %s", d->name, pw_cdr_problem_name(p.kind));
        if (d->file != ANY_FILE)
            cr_assert_str_eq(p.file, file_of(&fx, d->file), "%s", d->name);
        if (d->line)
            cr_assert_eq(p.line, d->line, "%s: line %lu", d->name, (unsigned long)p.line);
        if (d->seq)
            cr_assert_eq(p.seq, d->seq, "%s: seq %lu", d->name, (unsigned long)p.seq);
        if (d->text)
            cr_assert_not_null(strstr(p.text, d->text), "%s: %s", d->name, p.text);
        teardown(&fx);
    }
}

Test(cdr_verify, a_missing_oldest_file_is_a_gap_unless_partial)
{
    fixture_t fx = build();
    cr_assert_eq(unlink(fx.f1), 0);
    pw_cdr_problem_t p = run(&fx, PW_ECORRUPT, "the oldest file is missing");
    cr_assert_eq(p.kind, PW_CDR_PROBLEM_GAP, "the oldest file is missing");
    pw_cdr_verify_options_t opt = { .partial = 1 };
    pw_cdr_verify_summary_t sum;
    cr_assert_eq(pw_cdr_verify_dir(fx.dir, &opt, NULL, NULL, &p, &sum), PW_OK, "%s", p.text);
    cr_assert_eq(sum.records, 4);
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
    pw_cdr_writer_config_t cfg = tc_config(dir, "ps2.opb.example");
    pw_cdr_writer_t *a = tc_writer(dir, NULL, 0, 0), *b = NULL;
    cr_assert_eq(pw_cdr_writer_create(&b, &cfg), PW_OK);
    tc_put(a, "x1");
    tc_put(b, "x1");
    tc_put(b, "x2");
    pw_cdr_writer_destroy(a);
    pw_cdr_writer_destroy(b);
    pw_cdr_verify_summary_t sum = tc_verify(dir);
    cr_assert_eq(sum.nodes, 2);
    cr_assert_eq(sum.records, 3);
    tc_rm_rf(dir);
}
