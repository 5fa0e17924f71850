/* test_cdr_chain.c: unit tests of the writer's sequence and hash chain, group commit, restart and I/O errors. */
#include <signal.h>
#include <sys/resource.h>

#include "test_cdr_util.h"

/* Parse every line of the single open file of dir. */
static size_t parsed_lines(const char *dir, pw_cdr_line_t **out)
{
    char *path = tc_open_path(dir);
    char **lines;
    size_t n = tc_lines(path, &lines);
    pw_cdr_line_t *parsed = calloc(n, sizeof *parsed);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(pw_cdr_line_parse(lines[i], strlen(lines[i]) - 1, &parsed[i]), PW_OK, "line %zu", i + 1);
        free(lines[i]);
    }
    free(lines);
    free(path);
    *out = parsed;
    return n;
}

Test(cdr_chain, records_chain_from_the_header_onwards)
{
    char *dir = tc_tmpdir();
    tc_clock_t clk = { 1700000000000ull };
    pw_cdr_writer_t *w = tc_writer(dir, &clk, 0, 0);
    pw_cdr_line_t *l;
    cr_assert_eq(tc_put(w, "r1"), 1);
    cr_assert_eq(tc_put(w, "r2"), 2);
    cr_assert_eq(tc_put(w, "r3"), 3);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 3);
    size_t n = parsed_lines(dir, &l);
    cr_assert_eq(n, 4);
    cr_assert_eq(l[0].type, PW_CDR_LINE_HEADER);
    cr_assert_eq(l[0].header.first_seq, 1);
    cr_assert_str_eq(l[0].header.prev, pw_cdr_zero_hash());
    cr_assert_str_eq(l[1].record.prev, pw_cdr_zero_hash());
    for (size_t i = 1; i < n; i++) {
        cr_assert_eq(l[i].type, PW_CDR_LINE_RECORD);
        cr_assert_eq(l[i].record.seq, i);
        cr_assert_eq(l[i].record.time_ms, 1700000000000ull);
        cr_assert_str_eq(l[i].record.node, "ps1.opb.example");
        if (i > 1)
            cr_assert_str_eq(l[i].record.prev, l[i - 1].record.hash);
    }
    free(l);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, NULL), PW_OK);
    tc_rm_rf(dir);
}

Test(cdr_chain, group_commit_makes_records_durable_only_at_commit)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("g1");
    uint64_t seq;
    char *path = tc_open_path(dir);
    size_t len0, len1;
    free(tc_slurp(path, &len0));
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 1);
    strcpy(r->enquiry_ref, "g2");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_pending(w), 2);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 0, "nothing durable before commit");
    free(tc_slurp(path, &len1));
    cr_assert_eq(len1, len0, "nothing written before commit");
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 2);
    cr_assert_eq(pw_cdr_writer_pending(w), 0);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.commits, 1, "two records, one write + fsync");
    cr_assert_eq(s.records, 2);
    /* appended but never committed: discarded at destroy, the seq is free again */
    strcpy(r->enquiry_ref, "g3");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 3);
    pw_cdr_writer_destroy(w);
    w = tc_writer(dir, NULL, 0, 0);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 2);
    cr_assert_eq(pw_cdr_writer_lookup(w, r->peer, "g3", &seq), PW_ENOTFOUND);
    cr_assert_eq(tc_put(w, "g4"), 3);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, NULL), PW_OK);
    free(path);
    free(r);
    tc_rm_rf(dir);
}

Test(cdr_chain, sync_each_writes_at_append)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 1);
    pw_cdr_record_t *r = tc_record("s1");
    uint64_t seq;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), seq);
    cr_assert_eq(pw_cdr_writer_pending(w), 0);
    free(r);
    pw_cdr_writer_destroy(w);
    tc_rm_rf(dir);
}

Test(cdr_chain, sequence_and_chain_survive_a_restart)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    tc_put(w, "a");
    tc_put(w, "b");
    pw_cdr_writer_destroy(w);
    w = tc_writer(dir, NULL, 0, 0);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 2);
    cr_assert_eq(tc_put(w, "c"), 3);
    pw_cdr_writer_destroy(w);
    pw_cdr_verify_summary_t sum;
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, &sum), PW_OK);
    cr_assert_eq(sum.records, 3);
    cr_assert_eq(sum.files, 1);
    tc_rm_rf(dir);
}

Test(cdr_chain, one_writer_per_node)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0), *w2 = NULL;
    pw_cdr_writer_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps1.opb.example";
    cr_assert_eq(pw_cdr_writer_create(&w2, &cfg), PW_EDENIED);
    cr_assert_null(w2);
    cfg.node = "ps2.opb.example";
    cr_assert_eq(pw_cdr_writer_create(&w2, &cfg), PW_OK, "another node may share the directory");
    pw_cdr_writer_destroy(w2);
    cfg.node = "../evil";
    cr_assert_eq(pw_cdr_writer_create(&w2, &cfg), PW_EINVAL);
    pw_cdr_writer_destroy(w);
    pw_cdr_writer_destroy(NULL);
    tc_rm_rf(dir);
}

Test(cdr_chain, a_bad_record_consumes_no_sequence_number)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("x");
    uint64_t seq = 77;
    r->charged_network[0] = '\0';
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EINVAL);
    cr_assert_eq(seq, 77);
    cr_assert_eq(pw_cdr_writer_append(w, NULL, &seq), PW_EINVAL);
    cr_assert_eq(tc_put(w, "y"), 1);
    free(r);
    pw_cdr_writer_destroy(w);
    tc_rm_rf(dir);
}

Test(cdr_chain, an_io_error_refuses_enquiries_until_the_disk_works)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("ok1");
    pw_cdr_writer_stats_t s;
    struct rlimit rl, old;
    uint64_t seq;
    size_t len;
    tc_put(w, "ok1");
    char *path = tc_open_path(dir);
    free(tc_slurp(path, &len));
    /* a file size limit makes the next write fail (EFBIG), like a full disk */
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    rl = old;
    rl.rlim_cur = len + 10;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    strcpy(r->enquiry_ref, "lost1");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_EIO);
    cr_assert_eq(pw_cdr_writer_committed_seq(w), 1, "the record was not written");
    cr_assert_eq(pw_cdr_writer_lookup(w, r->peer, "lost1", &seq), PW_ENOTFOUND, "its ref is forgotten");
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.in_error, 1);
    cr_assert_eq(s.failures, 1);
    size_t len2;
    free(tc_slurp(path, &len2));
    cr_assert_eq(len2, len, "a partial write is cut back");
    strcpy(r->enquiry_ref, "lost2");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EIO, "refused while in error");
    cr_assert_eq(pw_cdr_writer_commit(w), PW_EIO, "still failing");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EIO);
    /* the disk works again */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.in_error, 0);
    cr_assert_eq(tc_put(w, "lost1"), 2, "the sequence continues without a gap");
    pw_cdr_writer_destroy(w);
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, NULL), PW_OK);
    free(path);
    free(r);
    tc_rm_rf(dir);
}
