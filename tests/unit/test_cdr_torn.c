/* test_cdr_torn.c: unit tests of the start-up repair of a torn last record, and of refusing other damage. */
#include <fcntl.h>
#include <unistd.h>

#include "test_cdr_util.h"

/* The running test's directory, clock and record (test_cdr_util.h). */
TC_FIXTURES(tc)

TestSuite(cdr_torn, .init = tc_setup, .fini = tc_teardown);

/* Three committed records r1..r3 in tc's directory, the writer closed. */
static void three_records(void)
{
    tc_open(tc, NULL, 0, 0);
    tc_put(tc->w, "r1");
    tc_put(tc->w, "r2");
    tc_put(tc->w, "r3");
    tc_close(tc);
}

/* How many bytes the writer cut as torn when it opened. */
static uint64_t torn_bytes(void)
{
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(tc->w, &s);
    return s.torn_bytes;
}

Test(cdr_torn, a_torn_last_record_is_cut_kept_and_the_sequence_continues)
{
    three_records();
    char *path = tc_open_path(tc->dir);
    size_t len;
    char *data = tc_slurp(path, &len);
    /* the last record was only half written when the process died */
    char *last = data + len - 1;
    while (last > data && last[-1] != '\n')
        last--;
    size_t keep = (size_t)(last - data) + (size_t)(data + len - last) / 2;
    tc_spit(path, data, keep);
    tc_open(tc, NULL, 0, 0);
    cr_assert_eq(torn_bytes(), keep - (size_t)(last - data));
    uint64_t seq;
    cr_assert_eq(pw_cdr_writer_lookup(tc->w, "gateway.opa.example", "r3", &seq), PW_ENOTFOUND,
                 "the torn record was never answered: a retry must be recorded");
    tc_goes_on_after(tc, 2, "r3"); /* after the last whole record */
    tc_close(tc);
    /* the cut bytes are kept for the audit trail */
    char **names;
    size_t n = tc_list(tc->dir, ".bin", &names);
    cr_assert_eq(n, 1);
    cr_assert_eq(strncmp(names[0], "torn-ps1.opb.example-", 21), 0);
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/%s", tc->dir, names[0]);
    size_t blen;
    char *kept = tc_slurp(bin, &blen);
    cr_assert_eq(blen, keep - (size_t)(last - data));
    cr_assert_eq(memcmp(kept, last, blen), 0);
    free(kept);
    tc_free_list(names, n);
    tc_verify(tc->dir);
    free(data);
    free(path);
}

Test(cdr_torn, a_zero_filled_tail_is_cut)
{
    three_records();
    char *path = tc_open_path(tc->dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    char zeros[3000];
    memset(zeros, 0, sizeof zeros);
    cr_assert_eq(write(fd, zeros, sizeof zeros), (ssize_t)sizeof zeros);
    close(fd);
    tc_open(tc, NULL, 0, 0);
    cr_assert_eq(torn_bytes(), sizeof zeros);
    cr_assert_eq(tc_put(tc->w, "r4"), 4);
    tc_close_and_verify(tc);
    free(path);
}

Test(cdr_torn, whole_records_written_but_not_answered_are_kept)
{
    /* a crash after write() but before the answer: the records are whole, so they stay, and
       the retry of the same enquiry finds them */
    tc_open(tc, NULL, 0, 0);
    tc_put(tc->w, "k1");
    tc_put(tc->w, "k2");
    tc_open(tc, NULL, 0, 0);
    cr_assert_eq(torn_bytes(), 0);
    uint64_t seq;
    strcpy(tc->r->enquiry_ref, "k2");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_EEXIST);
    cr_assert_eq(seq, 2);
}

/* After edit has changed the lines of the open file, the writer refuses to start. */
static void refused_after(void (*edit)(char **lines, size_t n))
{
    three_records();
    char *path = tc_open_path(tc->dir);
    char **lines;
    size_t n = tc_lines(path, &lines);
    cr_assert_eq(n, 4);
    edit(lines, n);
    tc_write_lines(path, lines, n);
    pw_cdr_writer_config_t cfg = tc_config(tc->dir, TC_NODE);
    cr_assert_eq(pw_cdr_writer_create(&tc->w, &cfg), PW_ECORRUPT);
    cr_assert_null(tc->w);
    tc_free_list(lines, n);
    free(path);
}

static void damage_record_2(char **lines, size_t n)
{
    (void)n;
    lines[2][10] = '#'; /* record 2 damaged, record 3 intact after it */
}

static void swap_records_2_and_3(char **lines, size_t n)
{
    char *tmp = lines[2];
    (void)n;
    lines[2] = lines[3];
    lines[3] = tmp; /* reordered, both lines whole: not something a crash does */
}

Test(cdr_torn, damage_before_the_tail_is_refused)
{
    refused_after(damage_record_2);
}

Test(cdr_torn, a_whole_record_out_of_sequence_is_not_a_torn_tail)
{
    refused_after(swap_records_2_and_3);
}

Test(cdr_torn, a_stale_temporary_file_is_removed)
{
    three_records();
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/.cdr-ps1.opb.example-00000000000000000004.tmp", tc->dir);
    tc_spit(tmp, "{\"rec\":\"hea", 11);
    tc_open(tc, NULL, 0, 0);
    cr_assert_eq(access(tmp, F_OK), -1);
    cr_assert_eq(tc_put(tc->w, "r4"), 4);
}
