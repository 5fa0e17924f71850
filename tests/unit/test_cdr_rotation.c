/* test_cdr_rotation.c: unit tests of file rotation by size and by age, final names, and restarts across rotations. */
#include <sys/stat.h>
#include <unistd.h>

#include "test_cdr_util.h"

Test(cdr_rotation, rotates_by_size_into_contiguous_read_only_files)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 2000, 0);
    char **names, ref[16];
    for (int i = 1; i <= 12; i++) {
        snprintf(ref, sizeof ref, "r%d", i);
        cr_assert_eq(tc_put(w, ref), (uint64_t)i);
    }
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_geq(s.files_closed, 3);
    size_t n = tc_list(dir, ".jsonl", &names);
    cr_assert_eq(n, s.files_closed);
    uint64_t next = 1;
    for (size_t i = 0; i < n; i++) {
        pw_cdr_name_t nm;
        struct stat sb;
        char path[1024];
        cr_assert_eq(pw_cdr_name_parse(names[i], &nm), PW_OK, "%s", names[i]);
        cr_assert_eq(nm.open, 0);
        cr_assert_str_eq(nm.node, "ps1.opb.example");
        cr_assert_eq(nm.first_seq, next, "%s", names[i]);
        cr_assert_geq(nm.last_seq, nm.first_seq);
        next = nm.last_seq + 1;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        cr_assert_eq(stat(path, &sb), 0);
        cr_assert_eq(sb.st_mode & 0222, 0, "a closed file is read-only");
        cr_assert_leq(sb.st_size, 2000 + 1000, "about the size limit");
    }
    char *open_path = tc_open_path(dir);
    pw_cdr_name_t on;
    cr_assert_eq(pw_cdr_name_parse(strrchr(open_path, '/') + 1, &on), PW_OK);
    cr_assert_eq(on.open, 1);
    cr_assert_eq(on.first_seq, next, "the open file continues after the last closed one");
    pw_cdr_writer_destroy(w);
    pw_cdr_verify_summary_t sum;
    pw_cdr_problem_t p;
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, &p, &sum), PW_OK, "%s:%lu %s", p.file,
                 (unsigned long)p.line, p.text);
    cr_assert_eq(sum.records, 12);
    cr_assert_eq(sum.files, n + 1);
    free(open_path);
    tc_free_list(names, n);
    tc_rm_rf(dir);
}

Test(cdr_rotation, rotates_by_age_with_the_close_time_in_the_name)
{
    char *dir = tc_tmpdir();
    tc_clock_t clk = { 1700000000000ull };
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *w = NULL;
    char **names;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps1.opb.example";
    cfg.max_file_age_ms = 60000;
    cfg.clock = tc_clock;
    cfg.clock_arg = &clk;
    cr_assert_eq(pw_cdr_writer_create(&w, &cfg), PW_OK);
    /* an empty file is never closed, however old */
    clk.now += 120000;
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    cr_assert_eq(tc_list(dir, ".jsonl", &names), 0);
    tc_free_list(names, 0);
    tc_put(w, "a1");
    tc_put(w, "a2");
    clk.now += 59999;
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    cr_assert_eq(tc_list(dir, ".jsonl", &names), 0, "not yet due");
    tc_free_list(names, 0);
    clk.now += 1; /* now 1700000180000 */
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK, "an idle commit closes the file when due");
    size_t n = tc_list(dir, ".jsonl", &names);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(names[0], "cdr-ps1.opb.example-00000000000000000001-00000000000000000002-20231114T221620000Z.jsonl");
    tc_free_list(names, n);
    char *open_path = tc_open_path(dir);
    cr_assert_not_null(strstr(open_path, "-00000000000000000003.jsonl.open"));
    cr_assert_eq(tc_put(w, "a3"), 3);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, NULL), PW_OK);
    free(open_path);
    tc_rm_rf(dir);
}

Test(cdr_rotation, forced_rotation_and_restart_continue_the_chain)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    tc_put(w, "f1");
    cr_assert_eq(pw_cdr_writer_rotate(w), PW_OK);
    cr_assert_eq(pw_cdr_writer_rotate(w), PW_OK, "nothing to close: no-op");
    char **names;
    size_t n = tc_list(dir, ".jsonl", &names);
    cr_assert_eq(n, 1);
    tc_free_list(names, n);
    pw_cdr_writer_destroy(w);
    /* a crash right after a file was closed, before the next was created */
    char *open_path = tc_open_path(dir);
    cr_assert_eq(unlink(open_path), 0);
    w = tc_writer(dir, NULL, 0, 0);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 1);
    cr_assert_eq(tc_put(w, "f2"), 2);
    pw_cdr_writer_destroy(w);
    pw_cdr_problem_t p;
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, &p, NULL), PW_OK, "%s", p.text);
    free(open_path);
    tc_rm_rf(dir);
}

Test(cdr_rotation, a_batch_is_never_split_across_files)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 1500, 0);
    pw_cdr_record_t *r = tc_record("b0");
    uint64_t seq;
    tc_put(w, "b0");
    for (int i = 1; i <= 5; i++) {
        snprintf(r->enquiry_ref, sizeof r->enquiry_ref, "b%d", i);
        cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    }
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    char **names;
    size_t n = tc_list(dir, ".jsonl", &names);
    cr_assert_eq(n, 1);
    pw_cdr_name_t nm;
    cr_assert_eq(pw_cdr_name_parse(names[0], &nm), PW_OK);
    cr_assert_eq(nm.first_seq, 1);
    cr_assert_eq(nm.last_seq, 1, "the old file was closed before the batch");
    tc_free_list(names, n);
    free(r);
    pw_cdr_writer_destroy(w);
    tc_rm_rf(dir);
}
