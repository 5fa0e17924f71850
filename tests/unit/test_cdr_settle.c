/* test_cdr_settle.c: unit tests of the settlement statement: totals per charged network and kind, period, outputs. */
#include "test_cdr_util.h"

/* One record of a statement: charged network, kind, outcome, time, duration (s), notifications. */
typedef struct {
    const char *net;
    pw_cdr_kind_t kind;
    const char *outcome;
    uint64_t t;
    uint64_t dur;
    uint64_t notes;
} row_t;

/* A statement for the period [from, to) and the network charged (NULL: all) of the n records rows. */
static pw_cdr_settle_t *statement(uint64_t from, uint64_t to, const char *charged, const row_t *rows, size_t n)
{
    pw_cdr_settle_t *s;
    pw_cdr_record_t *r = tc_record("x");
    cr_assert_eq(pw_cdr_settle_create(&s, from, to, charged), PW_OK);
    for (size_t i = 0; i < n; i++) {
        snprintf(r->charged_network, sizeof r->charged_network, "%s", rows[i].net);
        r->kind = rows[i].kind;
        snprintf(r->outcome, sizeof r->outcome, "%s", rows[i].outcome);
        r->time_ms = rows[i].t;
        r->duration_s = rows[i].dur;
        r->notifications = rows[i].notes;
        cr_assert_eq(pw_cdr_settle_add(s, r), PW_OK, "row %zu", i);
    }
    free(r);
    return s;
}

static const row_t sample_rows[] = {
    { "opa.example", PW_CDR_KIND_CURRENT, "ok", TC_T0, 0, 0 },
    { "opa.example", PW_CDR_KIND_CURRENT, "forbidden", TC_T0 + 1, 0, 0 },
    { "opa.example", PW_CDR_KIND_CHANGES, "ok", TC_T0 + 2, 7200, 0 },
    { "opa.example", PW_CDR_KIND_END, "expired", TC_T0 + 3, 7200, 14 },
    { "opa.example", PW_CDR_KIND_END, "stopped", TC_T0 + 4, 600, 2 },
    { "opc.example", PW_CDR_KIND_NEXT, "ok", TC_T0 + 5, 0, 0 },
    { "opc.example", PW_CDR_KIND_CURRENT, "subscription-required", TC_T0 + 6, 0, 0 },
};

static pw_cdr_settle_t *sample(uint64_t from, uint64_t to, const char *charged)
{
    return statement(from, to, charged, sample_rows, sizeof sample_rows / sizeof sample_rows[0]);
}

/* The statement s written in fmt (malloc'ed). */
static char *render(const pw_cdr_settle_t *s, pw_cdr_output_t fmt)
{
    tc_mem_t m;
    cr_assert_eq(pw_cdr_settle_write(s, tc_mem_open(&m), fmt), PW_OK);
    return tc_mem_close(&m);
}

/* s written in fmt is exactly want; destroys s. */
static void written_as(pw_cdr_settle_t *s, pw_cdr_output_t fmt, const char *want)
{
    char *out = render(s, fmt);
    cr_assert_str_eq(out, want);
    free(out);
    pw_cdr_settle_destroy(s);
}

Test(cdr_settle, totals_per_network_and_kind)
{
    pw_cdr_settle_t *s = sample(0, 0, NULL);
    cr_assert_eq(pw_cdr_settle_rows(s), 5);
    const pw_cdr_settle_row_t *r = pw_cdr_settle_row(s, 0);
    cr_assert_str_eq(r->charged_network, "opa.example");
    cr_assert_eq(r->kind, PW_CDR_KIND_CURRENT);
    cr_assert_eq(r->records, 2);
    cr_assert_eq(r->ok, 1);
    cr_assert_eq(r->errors, 1);
    r = pw_cdr_settle_row(s, 1);
    cr_assert_eq(r->kind, PW_CDR_KIND_CHANGES);
    cr_assert_eq(r->duration_s, 7200);
    r = pw_cdr_settle_row(s, 2);
    cr_assert_eq(r->kind, PW_CDR_KIND_END);
    cr_assert_eq(r->records, 2);
    cr_assert_eq(r->ok, 2, "an end is not an error");
    cr_assert_eq(r->duration_s, 7800);
    cr_assert_eq(r->notifications, 16);
    r = pw_cdr_settle_row(s, 3);
    cr_assert_str_eq(r->charged_network, "opc.example");
    cr_assert_eq(r->kind, PW_CDR_KIND_CURRENT);
    cr_assert_eq(r->errors, 1);
    r = pw_cdr_settle_row(s, 4);
    cr_assert_eq(r->kind, PW_CDR_KIND_NEXT);
    cr_assert_null(pw_cdr_settle_row(s, 5));
    pw_cdr_settle_destroy(s);
}

Test(cdr_settle, period_and_network_filters)
{
    pw_cdr_settle_t *s = sample(TC_T0 + 2, TC_T0 + 5, NULL); /* records at T0+2, +3, +4 */
    cr_assert_eq(pw_cdr_settle_rows(s), 2);
    cr_assert_eq(pw_cdr_settle_row(s, 0)->kind, PW_CDR_KIND_CHANGES);
    cr_assert_eq(pw_cdr_settle_row(s, 1)->records, 2);
    pw_cdr_settle_destroy(s);
    s = sample(0, 0, "opc.example");
    cr_assert_eq(pw_cdr_settle_rows(s), 2);
    pw_cdr_settle_destroy(s);
    cr_assert_eq(pw_cdr_settle_create(&s, 10, 5, NULL), PW_EINVAL);
}

Test(cdr_settle, csv_output)
{
    static const row_t rows[] = {
        { "opa.example", PW_CDR_KIND_CURRENT, "ok", TC_T0, 0, 0 },
        { "odd,\"net\"", PW_CDR_KIND_END, "expired", TC_T0, 60, 3 },
    };
    written_as(statement(0, 0, NULL, rows, 2), PW_CDR_OUT_CSV,
               "charged_network,kind,records,ok,errors,duration_s,notifications\r\n"
               "\"odd,\"\"net\"\"\",end,1,1,0,60,3\r\n"
               "opa.example,current,1,1,0,0,0\r\n");
}

Test(cdr_settle, json_output)
{
    static const row_t rows[] = { { "opa.example", PW_CDR_KIND_CHANGES, "ok", TC_T0, 7200, 0 } };
    written_as(statement(TC_T0, TC_T0 + 1000, NULL, rows, 1), PW_CDR_OUT_JSON,
               "{\"from\":\"2023-11-14T22:13:20.000Z\",\"to\":\"2023-11-14T22:13:21.000Z\",\"rows\":["
               "{\"charged_network\":\"opa.example\",\"kind\":\"changes\",\"records\":1,\"ok\":1,"
               "\"errors\":0,\"duration_s\":7200,\"notifications\":0}]}\n");
}

Test(cdr_settle, table_output_has_totals)
{
    pw_cdr_settle_t *s = sample(0, 0, NULL);
    char *out = render(s, PW_CDR_OUT_TABLE);
    cr_assert_not_null(strstr(out, "charged network"));
    cr_assert_not_null(strstr(out, "opa.example      current           2           1           1"), "%s", out);
    cr_assert_not_null(strstr(out, "                 total             5           4           1         15000             16\n"),
                       "%s", out);
    cr_assert_not_null(strstr(out, "                 total             2           1           1             0              0\n"),
                       "%s", out);
    free(out);
    pw_cdr_settle_destroy(s);
}

Test(cdr_settle, from_a_verified_directory)
{
    char *dir = tc_tmpdir();
    pw_cdr_writer_t *w = tc_writer(dir, NULL, 0, 0);
    pw_cdr_record_t *r = tc_record("q1");
    tc_seen_t f = { .settle = NULL };
    uint64_t seq;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    strcpy(r->enquiry_ref, "q2");
    strcpy(r->outcome, "forbidden");
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    pw_cdr_writer_destroy(w);
    cr_assert_eq(pw_cdr_settle_create(&f.settle, 0, 0, NULL), PW_OK);
    cr_assert_eq(pw_cdr_verify_dir(dir, NULL, tc_collect, &f, NULL, NULL), PW_OK);
    cr_assert_eq(pw_cdr_settle_rows(f.settle), 1);
    cr_assert_eq(pw_cdr_settle_row(f.settle, 0)->records, 2);
    cr_assert_eq(pw_cdr_settle_row(f.settle, 0)->errors, 1);
    pw_cdr_settle_destroy(f.settle);
    free(r);
    tc_rm_rf(dir);
}
