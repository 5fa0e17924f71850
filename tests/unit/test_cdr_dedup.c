/* test_cdr_dedup.c: unit tests of idempotency: a retried enquiry (same peer, same enquiry_ref) gets no second record. */
#include "test_cdr_util.h"

/* The running test's directory, clock and record (test_cdr_util.h). */
TC_FIXTURES(tc)

TestSuite(cdr_dedup, .init = tc_setup, .fini = tc_teardown);

/* Open a writer on tc's clock with this deduplication window and index size (0: the defaults). */
static void open_dedup(uint64_t window_ms, size_t cap, uint64_t max_bytes)
{
    pw_cdr_writer_config_t cfg = tc_config(tc->dir, TC_NODE);
    tc_close(tc);
    cfg.dedup_window_ms = window_ms;
    cfg.dedup_capacity = cap;
    cfg.max_file_bytes = max_bytes;
    cfg.clock = tc_clock;
    cfg.clock_arg = &tc->clk;
    cr_assert_eq(pw_cdr_writer_create(&tc->w, &cfg), PW_OK);
}

/* Append tc's record: want is what append must return, want_seq the seq it must give. */
static void append(const char *ref, pw_status_t want, uint64_t want_seq, const char *why)
{
    uint64_t seq = 0;
    snprintf(tc->r->enquiry_ref, sizeof tc->r->enquiry_ref, "%s", ref);
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), want, "%s: %s", ref, why);
    cr_assert_eq(seq, want_seq, "%s: %s", ref, why);
}

/* The writer knows ref from peer at want_seq (0: it does not know it). */
static void known(const char *peer, const char *ref, uint64_t want_seq)
{
    uint64_t seq;
    pw_status_t st = pw_cdr_writer_lookup(tc->w, peer, ref, &seq);
    cr_assert_eq(st, want_seq ? PW_OK : PW_ENOTFOUND, "%s from %s", ref, peer);
    if (want_seq)
        cr_assert_eq(seq, want_seq, "%s from %s", ref, peer);
}

Test(cdr_dedup, a_retry_is_answered_with_the_earlier_record)
{
    tc_open(tc, NULL, 0, 0);
    append("opa.example/1f0c", PW_OK, 1, "the first time");
    append("opa.example/1f0c", PW_EEXIST, 1, "retried before the commit (same batch)");
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    strcpy(tc->r->outcome, "forbidden");
    append("opa.example/1f0c", PW_EEXIST, 1, "retried after the commit, even with other details changed");
    strcpy(tc->r->peer, "gateway.opc.example");
    append("opa.example/1f0c", PW_OK, 2, "the same ref from another peer is another enquiry");
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    known("gateway.opa.example", "opa.example/1f0c", 1);
    known("gateway.opc.example", "opa.example/1f0c", 2);
    cr_assert_eq(tc_close_and_verify(tc).records, 2);
}

Test(cdr_dedup, end_records_are_never_deduplicated)
{
    uint64_t seq;
    tc_open(tc, NULL, 0, 0);
    tc->r->enquiry_ref[0] = '\0';
    tc->r->kind = PW_CDR_KIND_END;
    strcpy(tc->r->outcome, "expired");
    strcpy(tc->r->subscription_id, "s1");
    tc->r->duration_s = 3600;
    tc->r->notifications = 12;
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
}

Test(cdr_dedup, the_index_survives_a_restart_and_a_rotation)
{
    pw_cdr_writer_stats_t s;
    open_dedup(0, 0, 1500);
    tc_put(tc->w, "d1");
    tc_put(tc->w, "d2"); /* closes the file of d1 */
    tc_put(tc->w, "d3");
    open_dedup(0, 0, 1500);
    pw_cdr_writer_stats(tc->w, &s);
    cr_assert_eq(s.dedup_loaded, 3);
    append("d1", PW_EEXIST, 1, "from a closed file");
    append("d3", PW_EEXIST, 3, "from the open file");
    cr_assert_eq(tc_close_and_verify(tc).records, 3);
}

Test(cdr_dedup, refs_older_than_the_window_are_forgotten)
{
    pw_cdr_writer_stats_t s;
    uint64_t seq;
    open_dedup(60000, 0, 0);
    tc_put(tc->w, "old");
    tc->clk.now += 30000;
    tc_put(tc->w, "young");
    tc->clk.now += 40000; /* "old" is 70 s old, "young" 40 s */
    open_dedup(60000, 0, 0);
    pw_cdr_writer_stats(tc->w, &s);
    cr_assert_eq(s.dedup_loaded, 1);
    known(tc->r->peer, "old", 0);
    strcpy(tc->r->enquiry_ref, "young");
    cr_assert_eq(pw_cdr_writer_append(tc->w, tc->r, &seq), PW_EEXIST);
}

Test(cdr_dedup, the_index_is_bounded_oldest_first)
{
    char ref[16];
    open_dedup(0, 4, 0);
    for (int i = 1; i <= 6; i++) {
        snprintf(ref, sizeof ref, "c%d", i);
        tc_put(tc->w, ref);
    }
    for (int i = 1; i <= 6; i++) {
        snprintf(ref, sizeof ref, "c%d", i);
        known("gateway.opa.example", ref, i <= 2 ? 0 : (uint64_t)i);
    }
}

Test(cdr_dedup, many_refs_stay_distinct)
{
    char ref[32];
    tc_open(tc, NULL, 0, 0);
    for (int i = 0; i < 3000; i++) {
        snprintf(ref, sizeof ref, "opa.example/%d", i);
        append(ref, PW_OK, (uint64_t)i + 1, "a new ref");
    }
    cr_assert_eq(pw_cdr_writer_commit(tc->w), PW_OK);
    for (int i = 0; i < 3000; i += 7) {
        snprintf(ref, sizeof ref, "opa.example/%d", i);
        known(tc->r->peer, ref, (uint64_t)i + 1);
    }
}
