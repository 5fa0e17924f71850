/* test_cdr_torn.c: unit tests of the start-up repair of a torn last record, and of refusing other damage. */
#include <fcntl.h>
#include <unistd.h>

#include "test_cdr_util.h"

/* Three committed records r1..r3 in a fresh dir; returns the dir. */
static char *three_records(void)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    tc_put(w, "r1");
    tc_put(w, "r2");
    tc_put(w, "r3");
    pw_cdr_writer_destroy(w);
    return dir;
}

Test(cdr_torn, a_torn_last_record_is_cut_kept_and_the_sequence_continues)
{
    char *dir = three_records();
    char *path = tc_open_path(dir);
    size_t len;
    char *data = tc_slurp(path, &len);
    /* the last record was only half written when the process died */
    char *last = data + len - 1;
    while (last > data && last[-1] != '\n')
        last--;
    size_t keep = (size_t)(last - data) + (size_t)(data + len - last) / 2;
    tc_spit(path, data, keep);
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.torn_bytes, keep - (size_t)(last - data));
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 2, "continues after the last whole record");
    uint64_t seq;
    cr_assert_eq(pw_cdr_writer_lookup(w, "gateway.opa.example", "r3", &seq), PW_ENOTFOUND,
                 "the torn record was never answered: a retry must be recorded");
    cr_assert_eq(tc_put(w, "r3"), 3);
    pw_cdr_writer_destroy(w);
    /* the cut bytes are kept for the audit trail */
    char **names;
    size_t n = tc_list(dir, ".bin", &names);
    cr_assert_eq(n, 1);
    cr_assert_eq(strncmp(names[0], "torn-ps1.opb.example-", 21), 0);
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/%s", dir, names[0]);
    size_t blen;
    char *kept = tc_slurp(bin, &blen);
    cr_assert_eq(blen, keep - (size_t)(last - data));
    cr_assert_eq(memcmp(kept, last, blen), 0);
    free(kept);
    tc_free_list(names, n);
    pw_cdr_problem_t p;
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, &p, NULL), PW_OK, "%s", p.text);
    free(data);
    free(path);
    tc_rm_rf(dir);
}

Test(cdr_torn, a_zero_filled_tail_is_cut)
{
    char *dir = three_records();
    char *path = tc_open_path(dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    char zeros[3000];
    memset(zeros, 0, sizeof zeros);
    cr_assert_eq(write(fd, zeros, sizeof zeros), (ssize_t)sizeof zeros);
    close(fd);
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.torn_bytes, sizeof zeros);
    cr_assert_eq(tc_put(w, "r4"), 4);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, NULL), PW_OK);
    free(path);
    tc_rm_rf(dir);
}

Test(cdr_torn, whole_records_written_but_not_answered_are_kept)
{
    /* a crash after write() but before the answer: the records are whole, so they stay, and
       the retry of the same enquiry finds them */
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    tc_put(w, "k1");
    tc_put(w, "k2");
    pw_cdr_writer_destroy(w);
    w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.torn_bytes, 0);
    uint64_t seq;
    pw_cdr_record_t *r = tc_record("k2");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EEXIST);
    cr_assert_eq(seq, 2);
    free(r);
    pw_cdr_writer_destroy(w);
    tc_rm_rf(dir);
}

Test(cdr_torn, damage_before_the_tail_is_refused)
{
    char *dir = three_records();
    char *path = tc_open_path(dir);
    char **lines;
    size_t n = tc_lines(path, &lines);
    cr_assert_eq(n, 4);
    lines[2][10] = '#'; /* record 2 damaged, record 3 intact after it */
    tc_write_lines(path, lines, n);
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *w = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps1.opb.example";
    cr_assert_eq(pw_cdr_writer_create(&w, &cfg), PW_ECORRUPT);
    cr_assert_null(w);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(path);
    tc_rm_rf(dir);
}

Test(cdr_torn, a_whole_record_out_of_sequence_is_not_a_torn_tail)
{
    char *dir = three_records();
    char *path = tc_open_path(dir);
    char **lines;
    size_t n = tc_lines(path, &lines);
    char *tmp = lines[2];
    lines[2] = lines[3];
    lines[3] = tmp; /* reordered, both lines whole: not something a crash does */
    tc_write_lines(path, lines, n);
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *w = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps1.opb.example";
    cr_assert_eq(pw_cdr_writer_create(&w, &cfg), PW_ECORRUPT);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(path);
    tc_rm_rf(dir);
}

Test(cdr_torn, a_stale_temporary_file_is_removed)
{
    char *dir = three_records();
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/.cdr-ps1.opb.example-00000000000000000004.tmp", dir);
    tc_spit(tmp, "{\"rec\":\"hea", 11);
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    cr_assert_eq(access(tmp, F_OK), -1);
    cr_assert_eq(tc_put(w, "r4"), 4);
    pw_cdr_writer_destroy(w);
    tc_rm_rf(dir);
}
