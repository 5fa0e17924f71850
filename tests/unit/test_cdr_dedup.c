/* test_cdr_dedup.c: unit tests of idempotency: a retried enquiry (same peer, same enquiry_ref) gets no second record. */
#include "test_cdr_util.h"

static pw_cdr_writer_t *writer_cfg(const char *dir, tc_clock_t *clk, uint64_t window_ms, size_t cap, uint64_t max_bytes)
{
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *w = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps1.opb.example";
    cfg.dedup_window_ms = window_ms;
    cfg.dedup_capacity = cap;
    cfg.max_file_bytes = max_bytes;
    cfg.clock = tc_clock;
    cfg.clock_arg = clk;
    cr_assert_eq(pw_cdr_writer_create(&w, &cfg), PW_OK);
    return w;
}

static uint64_t count_records(const char *dir)
{
    pw_cdr_verify_summary_t sum;
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, NULL, NULL, NULL, &sum), PW_OK);
    return sum.records;
}

Test(cdr_dedup, a_retry_is_answered_with_the_earlier_record)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("opa.example/1f0c");
    uint64_t seq;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 1);
    /* retried before the commit (same batch) */
    seq = 0;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EEXIST);
    cr_assert_eq(seq, 1);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    /* retried after the commit, even with other details changed */
    strcpy(r->outcome, "forbidden");
    seq = 0;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EEXIST);
    cr_assert_eq(seq, 1);
    /* the same ref from another peer is another enquiry */
    strcpy(r->peer, "gateway.opc.example");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    cr_assert_eq(pw_cdr_writer_lookup(w, "gateway.opa.example", "opa.example/1f0c", &seq), PW_OK);
    cr_assert_eq(seq, 1);
    cr_assert_eq(pw_cdr_writer_lookup(w, "gateway.opc.example", "opa.example/1f0c", &seq), PW_OK);
    cr_assert_eq(seq, 2);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(count_records(dir), 2);
    free(r);
    tc_rm_rf(dir);
}

Test(cdr_dedup, end_records_are_never_deduplicated)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("");
    uint64_t seq;
    r->kind = PW_CDR_KIND_END;
    strcpy(r->outcome, "expired");
    strcpy(r->subscription_id, "s1");
    r->duration_s = 3600;
    r->notifications = 12;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(seq, 2);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    pw_cdr_writer_destroy(w);
    free(r);
    tc_rm_rf(dir);
}

Test(cdr_dedup, the_index_survives_a_restart_and_a_rotation)
{
    char *dir = tc_tmpdir();
    tc_clock_t clk = { 1700000000000ull };
    pw_cdr_writer_t *w = writer_cfg(dir, &clk, 0, 0, 1500);
    tc_put(w, "d1");
    tc_put(w, "d2"); /* closes the file of d1 */
    tc_put(w, "d3");
    pw_cdr_writer_destroy(w);
    w = writer_cfg(dir, &clk, 0, 0, 1500);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.dedup_loaded, 3);
    pw_cdr_record_t *r = tc_record("d1");
    uint64_t seq;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EEXIST, "from a closed file");
    cr_assert_eq(seq, 1);
    strcpy(r->enquiry_ref, "d3");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EEXIST, "from the open file");
    cr_assert_eq(seq, 3);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(count_records(dir), 3);
    free(r);
    tc_rm_rf(dir);
}

Test(cdr_dedup, refs_older_than_the_window_are_forgotten)
{
    char *dir = tc_tmpdir();
    tc_clock_t clk = { 1700000000000ull };
    pw_cdr_writer_t *w = writer_cfg(dir, &clk, 60000, 0, 0);
    pw_cdr_record_t *r = tc_record("old");
    uint64_t seq;
    tc_put(w, "old");
    clk.now += 30000;
    tc_put(w, "young");
    clk.now += 40000; /* "old" is 70 s old, "young" 40 s */
    pw_cdr_writer_destroy(w);
    w = writer_cfg(dir, &clk, 60000, 0, 0);
    pw_cdr_writer_stats_t s;
    pw_cdr_writer_stats(w, &s);
    cr_assert_eq(s.dedup_loaded, 1);
    cr_assert_eq(pw_cdr_writer_lookup(w, r->peer, "old", &seq), PW_ENOTFOUND);
    strcpy(r->enquiry_ref, "young");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_EEXIST);
    pw_cdr_writer_destroy(w);
    free(r);
    tc_rm_rf(dir);
}

Test(cdr_dedup, the_index_is_bounded_oldest_first)
{
    char *dir = tc_tmpdir();
    tc_clock_t clk = { 1700000000000ull };
    pw_cdr_writer_t *w = writer_cfg(dir, &clk, 0, 4, 0);
    char ref[16];
    uint64_t seq;
    for (int i = 1; i <= 6; i++) {
        snprintf(ref, sizeof ref, "c%d", i);
        tc_put(w, ref);
    }
    cr_assert_eq(pw_cdr_writer_lookup(w, "gateway.opa.example", "c1", &seq), PW_ENOTFOUND);
    cr_assert_eq(pw_cdr_writer_lookup(w, "gateway.opa.example", "c2", &seq), PW_ENOTFOUND);
    for (int i = 3; i <= 6; i++) {
        snprintf(ref, sizeof ref, "c%d", i);
        cr_assert_eq(pw_cdr_writer_lookup(w, "gateway.opa.example", ref, &seq), PW_OK, "%s", ref);
        cr_assert_eq(seq, (uint64_t)i);
    }
    pw_cdr_writer_destroy(w);
    tc_rm_rf(dir);
}

Test(cdr_dedup, many_refs_stay_distinct)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("");
    char ref[32];
    uint64_t seq;
    for (int i = 0; i < 3000; i++) {
        snprintf(r->enquiry_ref, sizeof r->enquiry_ref, "opa.example/%d", i);
        cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
        cr_assert_eq(seq, (uint64_t)i + 1);
    }
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    for (int i = 0; i < 3000; i += 7) {
        snprintf(ref, sizeof ref, "opa.example/%d", i);
        cr_assert_eq(pw_cdr_writer_lookup(w, r->peer, ref, &seq), PW_OK);
        cr_assert_eq(seq, (uint64_t)i + 1);
    }
    pw_cdr_writer_destroy(w);
    free(r);
    tc_rm_rf(dir);
}
