/* test_cdr_chain.c: unit tests of the writer's sequence and hash chain, group commit, restart and I/O errors. */
#include <signal.h>
#include <sys/resource.h>

#include "test_cdr_util.h"

/* The running test's directory, clock and record (test_cdr_util.h). */
TC_FIXTURES(tc)

TestSuite(cdr_chain, .init = tc_setup, .fini = tc_teardown);

/* Parse every line of the single open file of dir. */
static size_t parsed_lines(const char *dir, pw_cdr_line_t **out)
{
    char *path = tc_open_path(dir);
    char **lines;
    size_t n = tc_lines(path, &lines);
    pw_cdr_line_t *parsed = calloc(n, sizeof *parsed);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(pw_cdr_line_parse(lines[i], strlen(lines[i]) - 1, &parsed[i]), PW_OK, "line %zu", i + 1);
    tc_free_list(lines, n);
    free(path);
    *out = parsed;
    return n;
}

/* The size of the file at path. */
static size_t file_size(const char *path)
{
    size_t len;
    free(tc_slurp(path, &len));
    return len;
}

Test(cdr_chain, records_chain_from_the_header_onwards)
{
    pw_cdr_line_t *l;
    tc_open(tc, &tc->clk, 0, 0);
    cr_assert_eq(tc_put(tc->w, "r1"), 1);
    cr_assert_eq(tc_put(tc->w, "r2"), 2);
    cr_assert_eq(tc_put(tc->w, "r3"), 3);
    cr_assert_eq(pw_cdr_writer_committed_seq(tc->w), 3);
    size_t n = parsed_lines(tc->dir, &l);
    cr_assert_eq(n, 4);
    cr_assert_eq(l[0].type, PW_CDR_LINE_HEADER);
    cr_assert_eq(l[0].header.first_seq, 1);
    cr_assert_str_eq(l[0].header.prev, pw_cdr_zero_hash());
    cr_assert_str_eq(l[1].record.prev, pw_cdr_zero_hash());
    for (size_t i = 1; i < n; i++) {
        cr_assert_eq(l[i].type, PW_CDR_LINE_RECORD);
        cr_assert_eq(l[i].record.seq, i);
        cr_assert_eq(l[i].record.time_ms, TC_T0);
        cr_assert_str_eq(l[i].record.node, TC_NODE);
        if (i > 1)
            cr_assert_str_eq(l[i].record.prev, l[i - 1].record.hash);
    }
    free(l);
    tc_close_and_verify(tc);
}

Test(cdr_chain, group_commit_makes_records_durable_only_at_commit)
{
    uint64_t seq;
    tc_open(tc, NULL, 0, 0);
    char *path = tc_open_path(tc->dir);
    size_t len0 = file_size(path);
    strcpy(tc->r->enquiry_ref, "g1");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(seq, 1);
    strcpy(tc->r->enquiry_ref, "g2");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_pending(tc->w), 2);
    cr_assert_eq(pw_cdr_writer_committed_seq(tc->w), 0, "nothing durable before commit");
    cr_assert_eq(file_size(path), len0, "nothing written before commit");
    free(path);
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    cr_assert_eq(pw_cdr_writer_committed_seq(tc->w), 2);
    cr_assert_eq(pw_cdr_writer_pending(tc->w), 0);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(tc->w, &s);
    cr_assert_eq(s.commits, 1, "two records, one write + fsync");
    cr_assert_eq(s.records, 2);
    /* appended but never committed: discarded at destroy, the seq is free again */
    strcpy(tc->r->enquiry_ref, "g3");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(seq, 3);
    tc_open(tc, NULL, 0, 0);
    cr_assert_eq(pw_cdr_writer_lookup(tc->w, tc->r->peer, "g3", &seq), PW_ENOTFOUND);
    tc_goes_on_after(tc, 2, "g4");
    tc_close_and_verify(tc);
}

Test(cdr_chain, sync_each_writes_at_append)
{
    uint64_t seq;
    tc_open(tc, NULL, 0, 1);
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(pw_cdr_writer_committed_seq(tc->w), seq);
    cr_assert_eq(pw_cdr_writer_pending(tc->w), 0);
}

Test(cdr_chain, sequence_and_chain_survive_a_restart)
{
    tc_open(tc, NULL, 0, 0);
    tc_put(tc->w, "a");
    tc_put(tc->w, "b");
    tc_open(tc, NULL, 0, 0);
    tc_goes_on_after(tc, 2, "c");
    pw_cdr_verify_summary_t sum = tc_close_and_verify(tc);
    cr_assert_eq(sum.records, 3);
    cr_assert_eq(sum.files, 1);
}

Test(cdr_chain, one_writer_per_node)
{
    pw_cdr_writer_t *w2 = NULL;
    pw_cdr_writer_config_t cfg = tc_config(tc->dir, TC_NODE);
    tc_open(tc, NULL, 0, 0);
    cr_assert_eq(pw_cdr_writer_create(&w2, &cfg), PW_EDENIED);
    cr_assert_null(w2);
    cfg.node = "ps2.opb.example";
    cr_assert_eq(pw_cdr_writer_create(&w2, &cfg), PW_OK, "another node may share the directory");
    pw_cdr_writer_destroy(w2);
    cfg.node = "../evil";
    cr_assert_eq(pw_cdr_writer_create(&w2, &cfg), PW_EINVAL);
    pw_cdr_writer_destroy(NULL);
}

Test(cdr_chain, a_bad_record_consumes_no_sequence_number)
{
    uint64_t seq = 77;
    tc_open(tc, NULL, 0, 0);
    tc->r->charged_network[0] = '\0';
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_EINVAL);
    cr_assert_eq(seq, 77);
    cr_assert_eq(pw_cdr_writer_append(tc->w, NULL, &seq), PW_EINVAL);
    cr_assert_eq(tc_put(tc->w, "y"), 1);
}

Test(cdr_chain, an_io_error_refuses_enquiries_until_the_disk_works)
{
    pw_cdr_writer_stats_t s;
    struct rlimit rl, old;
    uint64_t seq;
    tc_open(tc, NULL, 0, 0);
    tc_put(tc->w, "ok1");
    char *path = tc_open_path(tc->dir);
    size_t len = file_size(path);
    /* a file size limit makes the next write fail (EFBIG), like a full disk */
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    rl = old;
    rl.rlim_cur = len + 10;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    strcpy(tc->r->enquiry_ref, "lost1");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_EIO);
    cr_assert_eq(pw_cdr_writer_committed_seq(tc->w), 1, "the record was not written");
    cr_assert_eq(pw_cdr_writer_lookup(tc->w, tc->r->peer, "lost1", &seq), PW_ENOTFOUND, "its ref is forgotten");
    pw_cdr_writer_stats(tc->w, &s);
    cr_assert_eq(s.in_error, 1);
    cr_assert_eq(s.failures, 1);
    cr_assert_eq(file_size(path), len, "a partial write is cut back");
    strcpy(tc->r->enquiry_ref, "lost2");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_EIO, "refused while in error");
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_EIO, "still failing");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_EIO);
    /* the disk works again */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    pw_cdr_writer_stats(tc->w, &s);
    cr_assert_eq(s.in_error, 0);
    cr_assert_eq(tc_put(tc->w, "lost1"), 2, "the sequence continues without a gap");
    tc_close_and_verify(tc);
    free(path);
}
