/* test_cdr_rotation.c: unit tests of file rotation by size and by age, final names, and restarts across rotations. */
#include <sys/stat.h>
#include <unistd.h>

#include "test_cdr_util.h"

/* The running test's directory, clock and record (test_cdr_util.h). */
TC_FIXTURES(tc)

TestSuite(cdr_rotation, .init = tc_setup, .fini = tc_teardown);

/* The closed files of tc's directory, which must be want of them; returns their names. */
static char **closed_files(size_t want, const char *why)
{
    char **names;
    cr_assert_eq(tc_list(tc->dir, ".jsonl", &names), want, "%s", why);
    return names;
}

Test(cdr_rotation, rotates_by_size_into_contiguous_read_only_files)
{
    char ref[16];
    tc_open(tc, NULL, 2000, 0);
    for (int i = 1; i <= 12; i++) {
        snprintf(ref, sizeof ref, "r%d", i);
        cr_assert_eq(tc_put(tc->w, ref), (uint64_t)i);
    }
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(tc->w, &s);
    cr_assert_geq(s.files_closed, 3);
    size_t n = s.files_closed;
    char **names = closed_files(n, "one file each closed");
    uint64_t next = 1;
    for (size_t i = 0; i < n; i++) {
        pw_cdr_name_t nm;
        struct stat sb;
        char path[1024];
        cr_assert_eq(pw_cdr_name_parse(names[i], &nm), PW_OK, "%s", names[i]);
        cr_assert_eq(nm.open, 0);
        cr_assert_str_eq(nm.node, TC_NODE);
        cr_assert_eq(nm.first_seq, next, "%s", names[i]);
        cr_assert_geq(nm.last_seq, nm.first_seq);
        next = nm.last_seq + 1;
        snprintf(path, sizeof path, "%s/%s", tc->dir, names[i]);
        cr_assert_eq(stat(path, &sb), 0);
        cr_assert_eq(sb.st_mode & 0222, 0, "a closed file is read-only");
        cr_assert_leq(sb.st_size, 2000 + 1000, "about the size limit");
    }
    char *open_path = tc_open_path(tc->dir);
    pw_cdr_name_t on;
    cr_assert_eq(pw_cdr_name_parse(strrchr(open_path, '/') + 1, &on), PW_OK);
    cr_assert_eq(on.open, 1);
    cr_assert_eq(on.first_seq, next, "the open file continues after the last closed one");
    pw_cdr_verify_summary_t sum = tc_close_and_verify(tc);
    cr_assert_eq(sum.records, 12);
    cr_assert_eq(sum.files, n + 1);
    free(open_path);
    tc_free_list(names, n);
}

Test(cdr_rotation, rotates_by_age_with_the_close_time_in_the_name)
{
    pw_cdr_writer_config_t cfg = tc_config(tc->dir, TC_NODE);
    cfg.max_file_age_ms = 60000;
    cfg.clock = tc_clock;
    cfg.clock_arg = &tc->clk;
    cr_assert_eq(pw_cdr_writer_create(&tc->w, &cfg), PW_OK);
    /* an empty file is never closed, however old */
    tc->clk.now += 120000;
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    tc_free_list(closed_files(0, "an empty file"), 0);
    tc_put(tc->w, "a1");
    tc_put(tc->w, "a2");
    tc->clk.now += 59999;
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    tc_free_list(closed_files(0, "not yet due"), 0);
    tc->clk.now += 1; /* now 1700000180000 */
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK, "an idle commit closes the file when due");
    char **names = closed_files(1, "due");
    cr_assert_str_eq(names[0], "cdr-ps1.opb.example-00000000000000000001-00000000000000000002-20231114T221620000Z.jsonl");
    tc_free_list(names, 1);
    char *open_path = tc_open_path(tc->dir);
    cr_assert_not_null(strstr(open_path, "-00000000000000000003.jsonl.open"));
    cr_assert_eq(tc_put(tc->w, "a3"), 3);
    tc_close_and_verify(tc);
    free(open_path);
}

Test(cdr_rotation, forced_rotation_and_restart_continue_the_chain)
{
    tc_open(tc, NULL, 0, 0);
    tc_put(tc->w, "f1");
    cr_assert_eq(pw_cdr_writer_rotate(tc->w), PW_OK);
    cr_assert_eq(pw_cdr_writer_rotate(tc->w), PW_OK, "nothing to close: no-op");
    tc_free_list(closed_files(1, "one rotation"), 1);
    tc_close(tc);
    /* a crash right after a file was closed, before the next was created */
    char *open_path = tc_open_path(tc->dir);
    cr_assert_eq(unlink(open_path), 0);
    free(open_path);
    tc_open(tc, NULL, 0, 0);
    tc_goes_on_after(tc, 1, "f2");
    tc_close_and_verify(tc);
}

Test(cdr_rotation, a_batch_is_never_split_across_files)
{
    uint64_t seq;
    tc_open(tc, NULL, 1500, 0);
    tc_put(tc->w, "b0");
    for (int i = 1; i <= 5; i++) {
        snprintf(tc->r->enquiry_ref, sizeof tc->r->enquiry_ref, "b%d", i);
        cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    }
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    char **names = closed_files(1, "the batch goes into the next file");
    pw_cdr_name_t nm;
    cr_assert_eq(pw_cdr_name_parse(names[0], &nm), PW_OK);
    cr_assert_eq(nm.first_seq, 1);
    cr_assert_eq(nm.last_seq, 1, "the old file was closed before the batch");
    tc_free_list(names, 1);
}
