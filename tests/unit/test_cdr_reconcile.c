/* test_cdr_reconcile.c: unit tests of reconcile: what the watcher side sent against what the serving side charged. */
#include "test_cdr_util.h"

#define T0 TC_T0
#define S PW_CDR_SIDE_SENT
#define C PW_CDR_SIDE_CHARGED
#define CUR PW_CDR_KIND_CURRENT

/* One record on one side: its enquiry_ref, kind, outcome, time, node and seq. */
typedef struct {
    pw_cdr_side_t side;
    const char *ref;
    pw_cdr_kind_t kind;
    const char *outcome;
    uint64_t t;
    const char *node;
    uint64_t seq;
} row_t;

/* A reconciliation of the period [from, to) holding the n records rows, not yet run. */
static pw_cdr_reconcile_t *reconciliation(uint64_t from, uint64_t to, const row_t *rows, size_t n)
{
    pw_cdr_reconcile_t *r;
    cr_assert_eq(pw_cdr_reconcile_create(&r, from, to, NULL, NULL), PW_OK);
    for (size_t i = 0; i < n; i++) {
        pw_cdr_record_t *rec = tc_record(rows[i].ref);
        rec->kind = rows[i].kind;
        snprintf(rec->outcome, sizeof rec->outcome, "%s", rows[i].outcome);
        rec->time_ms = rows[i].t;
        snprintf(rec->node, sizeof rec->node, "%s", rows[i].node);
        rec->seq = rows[i].seq;
        cr_assert_eq(pw_cdr_reconcile_add(r, rows[i].side, rec), PW_OK, "%s", rows[i].ref);
        free(rec);
    }
    return r;
}

/* Run r, which must find want differences. */
static void run(pw_cdr_reconcile_t *r, size_t want)
{
    size_t n;
    cr_assert_eq(pw_cdr_reconcile_run(r, &n), PW_OK);
    cr_assert_eq(n, want);
}

static const row_t sample_rows[] = {
    { S, "opa/1", CUR, "ok", T0, "watcher.opa", 1 },
    { S, "opa/2", CUR, "ok", T0 + 10, "watcher.opa", 2 },
    { S, "opa/3", CUR, "remote-server-timeout", T0 + 20, "watcher.opa", 3 },
    { S, "opa/4", CUR, "ok", T0 + 30, "watcher.opa", 4 },
    { S, "opa/5", CUR, "remote-server-timeout", T0 + 35, "watcher.opa", 5 }, /* not served: agreed */
    { S, "opa/6", PW_CDR_KIND_CHANGES, "pending", T0 + 36, "watcher.opa", 6 }, /* served, not charged */
    { C, "opa/1", CUR, "ok", T0 + 1, "ps1.opb", 11 },
    { C, "opa/2", CUR, "ok", T0 + 11, "ps1.opb", 12 },
    { C, "opa/2", CUR, "ok", T0 + 12, "ps2.opb", 5 },  /* charged twice, by two servers */
    { C, "opa/3", CUR, "ok", T0 + 21, "ps1.opb", 13 }, /* A saw a timeout, B charged */
    { C, "opa/9", CUR, "ok", T0 + 40, "ps1.opb", 14 }, /* never sent by A */
};

static pw_cdr_reconcile_t *sample(void)
{
    pw_cdr_reconcile_t *r = reconciliation(0, 0, sample_rows, sizeof sample_rows / sizeof sample_rows[0]);
    /* end records and other networks take no part */
    pw_cdr_record_t *e = tc_record("");
    e->kind = PW_CDR_KIND_END;
    strcpy(e->outcome, "expired");
    cr_assert_eq(pw_cdr_reconcile_add(r, C, e), PW_OK);
    free(e);
    return r;
}

Test(cdr_reconcile, lists_what_one_side_has_and_the_other_lacks)
{
    pw_cdr_reconcile_t *r = sample();
    run(r, 5);
    const pw_cdr_diff_t *d = pw_cdr_reconcile_diff(r, 0);
    cr_assert_eq(d->kind, PW_CDR_DIFF_DUPLICATE);
    cr_assert_str_eq(d->enquiry_ref, "opa/2");
    cr_assert_null(d->sent);
    cr_assert_str_eq(d->charged->node, "ps2.opb");
    d = pw_cdr_reconcile_diff(r, 1);
    cr_assert_eq(d->kind, PW_CDR_DIFF_MISMATCH);
    cr_assert_str_eq(d->enquiry_ref, "opa/3");
    cr_assert_str_eq(d->sent->outcome, "remote-server-timeout");
    cr_assert_str_eq(d->charged->outcome, "ok");
    cr_assert_eq(d->charged->seq, 13);
    d = pw_cdr_reconcile_diff(r, 2);
    cr_assert_eq(d->kind, PW_CDR_DIFF_ONLY_SENT);
    cr_assert_str_eq(d->enquiry_ref, "opa/4");
    cr_assert_null(d->charged);
    d = pw_cdr_reconcile_diff(r, 3);
    cr_assert_eq(d->kind, PW_CDR_DIFF_ONLY_SENT, "a pending subscription was served");
    cr_assert_str_eq(d->enquiry_ref, "opa/6");
    d = pw_cdr_reconcile_diff(r, 4);
    cr_assert_eq(d->kind, PW_CDR_DIFF_ONLY_CHARGED);
    cr_assert_str_eq(d->enquiry_ref, "opa/9");
    cr_assert_null(pw_cdr_reconcile_diff(r, 5), "opa/5, an error B never charged, is no difference");
    cr_assert_str_eq(pw_cdr_diff_name(PW_CDR_DIFF_ONLY_SENT), "only-sent");
    pw_cdr_reconcile_destroy(r);
}

Test(cdr_reconcile, matching_sides_have_no_difference)
{
    static const row_t rows[] = {
        { S, "opa/1", CUR, "ok", T0, "watcher.opa", 1 },
        { C, "opa/1", CUR, "ok", T0 + 5, "ps1.opb", 1 },
        { S, "opa/2", PW_CDR_KIND_CHANGES, "forbidden", T0, "watcher.opa", 2 },
        { C, "opa/2", PW_CDR_KIND_CHANGES, "forbidden", T0 + 5, "ps1.opb", 2 },
    };
    pw_cdr_reconcile_t *r = reconciliation(0, 0, rows, sizeof rows / sizeof rows[0]);
    run(r, 0);
    pw_cdr_reconcile_destroy(r);
}

Test(cdr_reconcile, a_period_edge_does_not_make_false_differences)
{
    /* sent just before the end of the period, charged just after it (clock skew) */
    static const row_t rows[] = {
        { S, "opa/edge", CUR, "ok", T0 + 999, "watcher.opa", 1 },
        { C, "opa/edge", CUR, "ok", T0 + 1200, "ps1.opb", 1 },
        { S, "opa/late", CUR, "ok", T0 + 5000, "watcher.opa", 2 }, /* outside: ignored */
        { S, "opa/way-late", CUR, "ok", T0 + 3600000, "watcher.opa", 3 },
    };
    pw_cdr_reconcile_t *r = reconciliation(T0, T0 + 1000, rows, sizeof rows / sizeof rows[0]);
    run(r, 0);
    pw_cdr_reconcile_destroy(r);
}

Test(cdr_reconcile, network_filters)
{
    pw_cdr_reconcile_t *r;
    size_t n;
    pw_cdr_record_t *rec = tc_record("opa/x");
    cr_assert_eq(pw_cdr_reconcile_create(&r, 0, 0, "opa.example", "opb.example"), PW_OK);
    strcpy(rec->serving_network, "opc.example");
    cr_assert_eq(pw_cdr_reconcile_add(r, S, rec), PW_OK); /* served by another network */
    cr_assert_eq(pw_cdr_reconcile_run(r, &n), PW_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(pw_cdr_reconcile_add(r, S, rec), PW_EINVAL, "no adds after run");
    free(rec);
    pw_cdr_reconcile_destroy(r);
}

/* The differences of r written in fmt (malloc'ed). */
static char *render(const pw_cdr_reconcile_t *r, pw_cdr_output_t fmt)
{
    tc_mem_t m;
    cr_assert_eq(pw_cdr_reconcile_write(r, tc_mem_open(&m), fmt), PW_OK);
    return tc_mem_close(&m);
}

Test(cdr_reconcile, outputs)
{
    pw_cdr_reconcile_t *r = sample();
    run(r, 5);
    char *csv = render(r, PW_CDR_OUT_CSV);
    cr_assert_not_null(strstr(csv, "difference,enquiry_ref,sent_node,sent_seq,sent_time,sent_kind,sent_outcome,"
                                   "charged_node,charged_seq,charged_time,charged_kind,charged_outcome\r\n"));
    cr_assert_not_null(strstr(csv, "only-sent,opa/4,watcher.opa,4,2023-11-14T22:13:20.030Z,current,ok,,,,,\r\n"), "%s", csv);
    cr_assert_not_null(strstr(csv, "mismatch,opa/3,watcher.opa,3,2023-11-14T22:13:20.020Z,current,remote-server-timeout,"
                                   "ps1.opb,13,2023-11-14T22:13:20.021Z,current,ok\r\n"), "%s", csv);
    char *json = render(r, PW_CDR_OUT_JSON);
    cr_assert_eq(strncmp(json, "{\"sent\":6,\"charged\":5,\"differences\":[{\"difference\":\"duplicate\"", 62), 0, "%s", json);
    cr_assert_not_null(strstr(json, "{\"difference\":\"only-charged\",\"enquiry_ref\":\"opa/9\",\"sent\":null,"
                                    "\"charged\":{\"node\":\"ps1.opb\",\"seq\":14,"), "%s", json);
    char *table = render(r, PW_CDR_OUT_TABLE);
    cr_assert_not_null(strstr(table, "5 difference(s)"), "%s", table);
    free(csv);
    free(json);
    free(table);
    pw_cdr_reconcile_destroy(r);
}
