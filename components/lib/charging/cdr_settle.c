/* cdr_settle.c: the inter-operator settlement statement and the reconciliation of both operators' records. */
#include "charging/pw_cdr.h"
#include "core/pw_array.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Records this close outside the period still take part in matching (clocks differ). */
#define RECONCILE_SLACK_MS (UINT64_C(5) * 60 * 1000)

pw_status_t pw_cdr_output_parse(const char *name, pw_cdr_output_t *out)
{
    if (!name || !out)
        return PW_EINVAL;
    if (strcmp(name, "table") == 0)
        *out = PW_CDR_OUT_TABLE;
    else if (strcmp(name, "csv") == 0)
        *out = PW_CDR_OUT_CSV;
    else if (strcmp(name, "json") == 0)
        *out = PW_CDR_OUT_JSON;
    else
        return PW_EINVAL;
    return PW_OK;
}

/* A JSON string literal. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void time_or_none(uint64_t ms, int set, char out[PW_CDR_TIME_TEXT])
{
    if (set)
        pw_cdr_time_format(ms, out);
    else
        snprintf(out, PW_CDR_TIME_TEXT, "%s", "");
}

/* Whether t lies in [from_ms, to_ms); to_ms 0 is no end. */
static int in_period(uint64_t from_ms, uint64_t to_ms, uint64_t t)
{
    return t >= from_ms && (!to_ms || t < to_ms);
}

/* ---------------------------------------------------------------- settle */

struct pw_cdr_settle {
    uint64_t from_ms;
    uint64_t to_ms;
    char *charged;
    pw_cdr_settle_row_t *rows;
    size_t nrows;
    size_t cap;
};

pw_status_t pw_cdr_settle_create(pw_cdr_settle_t **out, uint64_t from_ms, uint64_t to_ms,
                                 const char *charged)
{
    pw_cdr_settle_t *s = NULL;
    pw_status_t st = PW_EINVAL;
    if (!out || (to_ms && to_ms <= from_ms) || (charged && strlen(charged) >= PW_CDR_DOMAIN_MAX))
        goto done;
    st = PW_ENOMEM;
    s = calloc(1, sizeof *s);
    if (!s || (charged && !(s->charged = strdup(charged))))
        goto done;
    s->from_ms = from_ms;
    s->to_ms = to_ms;
    *out = s;
    s = NULL;
    st = PW_OK;
done:
    pw_cdr_settle_destroy(s);
    return st;
}

void pw_cdr_settle_destroy(pw_cdr_settle_t *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s->charged);
    free(s);
}

static int row_cmp(const char *net, pw_cdr_kind_t kind, const pw_cdr_settle_row_t *row)
{
    int c = strcmp(net, row->charged_network);
    if (c)
        return c;
    return (int)kind - (int)row->kind;
}

pw_status_t pw_cdr_settle_add(pw_cdr_settle_t *s, const pw_cdr_record_t *rec)
{
    size_t lo = 0, hi;
    pw_cdr_settle_row_t *row;
    if (!s || !rec || (unsigned)rec->kind >= PW_CDR_KIND_COUNT ||
        !memchr(rec->charged_network, '\0', sizeof rec->charged_network))
        return PW_EINVAL;
    if (!in_period(s->from_ms, s->to_ms, rec->time_ms) ||
        (s->charged && strcmp(s->charged, rec->charged_network) != 0))
        return PW_OK;
    hi = s->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = row_cmp(rec->charged_network, rec->kind, &s->rows[mid]);
        if (c == 0) {
            lo = mid;
            goto found;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (pw_array_grow(&s->rows, &s->cap, s->nrows + 1, sizeof *s->rows, 16) != PW_OK)
        return PW_ENOMEM;
    memmove(&s->rows[lo + 1], &s->rows[lo], (s->nrows - lo) * sizeof *s->rows);
    s->nrows++;
    memset(&s->rows[lo], 0, sizeof s->rows[lo]);
    memcpy(s->rows[lo].charged_network, rec->charged_network, strlen(rec->charged_network) + 1);
    s->rows[lo].kind = rec->kind;
found:
    row = &s->rows[lo];
    row->records++;
    if (rec->kind == PW_CDR_KIND_END || strcmp(rec->outcome, "ok") == 0)
        row->ok++;
    else
        row->errors++;
    row->duration_s += rec->duration_s;
    row->notifications += rec->notifications;
    return PW_OK;
}

size_t pw_cdr_settle_rows(const pw_cdr_settle_t *s)
{
    return s ? s->nrows : 0;
}

const pw_cdr_settle_row_t *pw_cdr_settle_row(const pw_cdr_settle_t *s, size_t i)
{
    if (!s || i >= s->nrows)
        return NULL;
    return &s->rows[i];
}

pw_status_t pw_cdr_settle_write(const pw_cdr_settle_t *s, FILE *out, pw_cdr_output_t fmt)
{
    char from[PW_CDR_TIME_TEXT], to[PW_CDR_TIME_TEXT];
    if (!s || !out)
        return PW_EINVAL;
    time_or_none(s->from_ms, 1, from);
    time_or_none(s->to_ms, s->to_ms != 0, to);
    if (fmt == PW_CDR_OUT_CSV) {
        fputs("charged_network,kind,records,ok,errors,duration_s,notifications\r\n", out);
        for (size_t i = 0; i < s->nrows; i++) {
            const pw_cdr_settle_row_t *r = &s->rows[i];
            csv_str(out, r->charged_network);
            fprintf(out, ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\r\n",
                    pw_cdr_kind_name(r->kind), r->records, r->ok, r->errors, r->duration_s, r->notifications);
        }
    } else if (fmt == PW_CDR_OUT_JSON) {
        fputs("{\"from\":", out);
        json_str(out, from);
        fputs(",\"to\":", out);
        if (s->to_ms)
            json_str(out, to);
        else
            fputs("null", out);
        fputs(",\"rows\":[", out);
        for (size_t i = 0; i < s->nrows; i++) {
            const pw_cdr_settle_row_t *r = &s->rows[i];
            fputs(i ? ",{\"charged_network\":" : "{\"charged_network\":", out);
            json_str(out, r->charged_network);
            fprintf(out, ",\"kind\":\"%s\",\"records\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"errors\":%" PRIu64
                    ",\"duration_s\":%" PRIu64 ",\"notifications\":%" PRIu64 "}",
                    pw_cdr_kind_name(r->kind), r->records, r->ok, r->errors, r->duration_s, r->notifications);
        }
        fputs("]}\n", out);
    } else {
        int w = 15;
        for (size_t i = 0; i < s->nrows; i++) {
            int l = (int)strlen(s->rows[i].charged_network);
            if (l > w)
                w = l;
        }
        fprintf(out, "Settlement statement, records from %s to %s\n\n", from, s->to_ms ? to : "(end)");
        fprintf(out, "%-*s  %-7s  %10s  %10s  %10s  %12s  %13s\n", w, "charged network", "kind",
                "records", "ok", "errors", "duration_s", "notifications");
        for (size_t i = 0; i < s->nrows; i++) {
            const pw_cdr_settle_row_t *r = &s->rows[i];
            fprintf(out, "%-*s  %-7s  %10" PRIu64 "  %10" PRIu64 "  %10" PRIu64 "  %12" PRIu64 "  %13" PRIu64 "\n",
                    w, r->charged_network, pw_cdr_kind_name(r->kind), r->records, r->ok, r->errors,
                    r->duration_s, r->notifications);
            if (i + 1 == s->nrows || strcmp(r->charged_network, s->rows[i + 1].charged_network) != 0) {
                pw_cdr_settle_row_t t;
                memset(&t, 0, sizeof t);
                for (size_t k = 0; k < s->nrows; k++) {
                    if (strcmp(s->rows[k].charged_network, r->charged_network) != 0)
                        continue;
                    t.records += s->rows[k].records;
                    t.ok += s->rows[k].ok;
                    t.errors += s->rows[k].errors;
                    t.duration_s += s->rows[k].duration_s;
                    t.notifications += s->rows[k].notifications;
                }
                fprintf(out, "%-*s  %-7s  %10" PRIu64 "  %10" PRIu64 "  %10" PRIu64 "  %12" PRIu64 "  %13" PRIu64 "\n\n",
                        w, "", "total", t.records, t.ok, t.errors, t.duration_s, t.notifications);
            }
        }
        if (s->nrows == 0)
            fputs("(no records in the period)\n", out);
    }
    return ferror(out) ? PW_EIO : PW_OK;
}

/* ---------------------------------------------------------------- reconcile */

typedef struct {
    pw_cdr_diff_entry_t e;
    char *ref;
    pw_cdr_side_t side;
    char outcome[PW_CDR_OUTCOME_MAX];
    char node[PW_CDR_NODE_MAX];
} rc_entry_t;

struct pw_cdr_reconcile {
    uint64_t from_ms;
    uint64_t to_ms;
    char *charged;
    char *serving;
    rc_entry_t *entries;
    size_t n;
    size_t cap;
    pw_cdr_diff_t *diffs;
    size_t ndiffs;
    size_t diffcap;
    uint64_t counted[2];   /* in-period entries per side */
    int ran;
};

const char *pw_cdr_diff_name(pw_cdr_diff_kind_t kind)
{
    switch (kind) {
    case PW_CDR_DIFF_ONLY_SENT: return "only-sent";
    case PW_CDR_DIFF_ONLY_CHARGED: return "only-charged";
    case PW_CDR_DIFF_MISMATCH: return "mismatch";
    case PW_CDR_DIFF_DUPLICATE: return "duplicate";
    }
    return "unknown";
}

pw_status_t pw_cdr_reconcile_create(pw_cdr_reconcile_t **out, uint64_t from_ms, uint64_t to_ms,
                                    const char *charged, const char *serving)
{
    pw_cdr_reconcile_t *r = NULL;
    pw_status_t st = PW_EINVAL;
    if (!out || (to_ms && to_ms <= from_ms))
        goto done;
    st = PW_ENOMEM;
    r = calloc(1, sizeof *r);
    if (!r || (charged && !(r->charged = strdup(charged))) || (serving && !(r->serving = strdup(serving))))
        goto done;
    r->from_ms = from_ms;
    r->to_ms = to_ms;
    *out = r;
    r = NULL;
    st = PW_OK;
done:
    pw_cdr_reconcile_destroy(r);
    return st;
}

void pw_cdr_reconcile_destroy(pw_cdr_reconcile_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->entries[i].ref);
    free(r->entries);
    free(r->diffs);
    free(r->charged);
    free(r->serving);
    free(r);
}

pw_status_t pw_cdr_reconcile_add(pw_cdr_reconcile_t *r, pw_cdr_side_t side, const pw_cdr_record_t *rec)
{
    rc_entry_t *e;
    uint64_t lo, hi;
    if (!r || !rec || r->ran || (side != PW_CDR_SIDE_SENT && side != PW_CDR_SIDE_CHARGED) ||
        !memchr(rec->enquiry_ref, '\0', sizeof rec->enquiry_ref) ||
        !memchr(rec->outcome, '\0', sizeof rec->outcome) || !memchr(rec->node, '\0', sizeof rec->node))
        return PW_EINVAL;
    if (rec->kind == PW_CDR_KIND_END || !rec->enquiry_ref[0])
        return PW_OK;
    if ((r->charged && strcmp(r->charged, rec->charged_network) != 0) ||
        (r->serving && strcmp(r->serving, rec->serving_network) != 0))
        return PW_OK;
    lo = r->from_ms > RECONCILE_SLACK_MS ? r->from_ms - RECONCILE_SLACK_MS : 0;
    hi = r->to_ms ? r->to_ms + RECONCILE_SLACK_MS : UINT64_MAX;
    if (rec->time_ms < lo || rec->time_ms >= hi)
        return PW_OK;
    if (pw_array_grow(&r->entries, &r->cap, r->n + 1, sizeof *r->entries, 64) != PW_OK)
        return PW_ENOMEM;
    e = &r->entries[r->n];
    memset(e, 0, sizeof *e);
    e->ref = strdup(rec->enquiry_ref);
    if (!e->ref)
        return PW_ENOMEM;
    e->side = side;
    snprintf(e->outcome, sizeof e->outcome, "%s", rec->outcome);
    snprintf(e->node, sizeof e->node, "%s", rec->node);
    e->e.seq = rec->seq;
    e->e.time_ms = rec->time_ms;
    e->e.kind = rec->kind;
    r->n++;
    if (in_period(r->from_ms, r->to_ms, rec->time_ms))
        r->counted[side]++;
    return PW_OK;
}

static int entry_cmp(const void *a, const void *b)
{
    const rc_entry_t *x = a, *y = b;
    int c = strcmp(x->ref, y->ref);
    if (c)
        return c;
    if (x->side != y->side)
        return (int)x->side - (int)y->side;
    if (x->e.time_ms != y->e.time_ms)
        return x->e.time_ms < y->e.time_ms ? -1 : 1;
    return strcmp(x->node, y->node);
}

static pw_status_t add_diff(pw_cdr_reconcile_t *r, pw_cdr_diff_kind_t kind, const rc_entry_t *sent,
                            const rc_entry_t *charged)
{
    if (pw_array_grow(&r->diffs, &r->diffcap, r->ndiffs + 1, sizeof *r->diffs, 16) != PW_OK)
        return PW_ENOMEM;
    r->diffs[r->ndiffs].kind = kind;
    r->diffs[r->ndiffs].enquiry_ref = sent ? sent->ref : charged->ref;
    r->diffs[r->ndiffs].sent = sent ? &sent->e : NULL;
    r->diffs[r->ndiffs].charged = charged ? &charged->e : NULL;
    r->ndiffs++;
    return PW_OK;
}

/* Whether the watcher side's record says the serving side served the enquiry: an answer
 * (ok) or a subscription awaiting approval (pending). An error there without a charge on the
 * serving side means it was not served (refused or lost on the way, e.g. remote-server-timeout
 * in a WAN outage): both sides agree that nothing is owed. */
static int served(const rc_entry_t *sent)
{
    return strcmp(sent->outcome, "ok") == 0 || strcmp(sent->outcome, "pending") == 0;
}

pw_status_t pw_cdr_reconcile_run(pw_cdr_reconcile_t *r, size_t *count_out)
{
    pw_status_t st = PW_OK;
    if (!r || !count_out || r->ran)
        return PW_EINVAL;
    r->ran = 1;
    if (r->n > 1)
        qsort(r->entries, r->n, sizeof *r->entries, entry_cmp);
    for (size_t i = 0; i < r->n; i++) {
        r->entries[i].e.outcome = r->entries[i].outcome;
        r->entries[i].e.node = r->entries[i].node;
    }
    for (size_t i = 0; i < r->n && st == PW_OK;) {
        size_t j = i, ns = 0, nc = 0;
        while (j < r->n && strcmp(r->entries[j].ref, r->entries[i].ref) == 0) {
            if (r->entries[j].side == PW_CDR_SIDE_SENT)
                ns++;
            else
                nc++;
            j++;
        }
        const rc_entry_t *s0 = ns ? &r->entries[i] : NULL;
        const rc_entry_t *c0 = nc ? &r->entries[i + ns] : NULL;
        int relevant = (s0 && in_period(r->from_ms, r->to_ms, s0->e.time_ms)) ||
                       (c0 && in_period(r->from_ms, r->to_ms, c0->e.time_ms));
        if (relevant) {
            if (!c0) {
                if (served(s0))
                    st = add_diff(r, PW_CDR_DIFF_ONLY_SENT, s0, NULL);
            } else if (!s0)
                st = add_diff(r, PW_CDR_DIFF_ONLY_CHARGED, NULL, c0);
            else if (s0->e.kind != c0->e.kind || strcmp(s0->outcome, c0->outcome) != 0)
                st = add_diff(r, PW_CDR_DIFF_MISMATCH, s0, c0);
            if (st == PW_OK && ns > 1)
                st = add_diff(r, PW_CDR_DIFF_DUPLICATE, &r->entries[i + 1], NULL);
            if (st == PW_OK && nc > 1)
                st = add_diff(r, PW_CDR_DIFF_DUPLICATE, NULL, &r->entries[i + ns + 1]);
        }
        i = j;
    }
    *count_out = r->ndiffs;
    return st;
}

const pw_cdr_diff_t *pw_cdr_reconcile_diff(const pw_cdr_reconcile_t *r, size_t i)
{
    if (!r || i >= r->ndiffs)
        return NULL;
    return &r->diffs[i];
}

/* How a difference's row is laid out in each format around its two entries. */
typedef struct diff_layout {
    const char *none;           /* an entry a side does not have */
    const char *before_sent, *before_charged, *after;
} diff_layout_t;

static const diff_layout_t diff_layouts[] = {
    [PW_CDR_OUT_TABLE] = { NULL, "", "\n", "\n" },
    [PW_CDR_OUT_CSV] = { ",,,,", ",", ",", "\r\n" },
    [PW_CDR_OUT_JSON] = { "null", ",\"sent\":", ",\"charged\":", "}" },
};

/* One side's entry of a difference, in the format (label: the table's name for the side). */
static void entry_write(FILE *out, pw_cdr_output_t fmt, const char *label, const pw_cdr_diff_entry_t *e)
{
    char t[PW_CDR_TIME_TEXT];
    if (!e) {
        if (fmt == PW_CDR_OUT_TABLE)
            fprintf(out, "  %s: -", label);
        else
            fputs(diff_layouts[fmt].none, out);
        return;
    }
    pw_cdr_time_format(e->time_ms, t);
    if (fmt == PW_CDR_OUT_CSV) {
        fprintf(out, "%s,%" PRIu64 ",%s,%s,%s", e->node, e->seq, t, pw_cdr_kind_name(e->kind), e->outcome);
    } else if (fmt == PW_CDR_OUT_JSON) {
        fputs("{\"node\":", out);
        json_str(out, e->node);
        fprintf(out, ",\"seq\":%" PRIu64 ",\"time\":\"%s\",\"kind\":\"%s\",\"outcome\":", e->seq, t,
                pw_cdr_kind_name(e->kind));
        json_str(out, e->outcome);
        fputc('}', out);
    } else {
        fprintf(out, "  %s: %s #%" PRIu64 " %s %s %s", label, e->node, e->seq, t, pw_cdr_kind_name(e->kind),
                e->outcome);
    }
}

pw_status_t pw_cdr_reconcile_write(const pw_cdr_reconcile_t *r, FILE *out, pw_cdr_output_t fmt)
{
    const diff_layout_t *lay;
    if (!r || !out || !r->ran)
        return PW_EINVAL;
    if (fmt != PW_CDR_OUT_CSV && fmt != PW_CDR_OUT_JSON)
        fmt = PW_CDR_OUT_TABLE;
    lay = &diff_layouts[fmt];
    if (fmt == PW_CDR_OUT_CSV)
        fputs("difference,enquiry_ref,sent_node,sent_seq,sent_time,sent_kind,sent_outcome,"
              "charged_node,charged_seq,charged_time,charged_kind,charged_outcome\r\n", out);
    else if (fmt == PW_CDR_OUT_JSON)
        fprintf(out, "{\"sent\":%" PRIu64 ",\"charged\":%" PRIu64 ",\"differences\":[", r->counted[0],
                r->counted[1]);
    else
        fprintf(out, "Reconciliation: %" PRIu64 " enquiries sent, %" PRIu64 " charged, %zu difference(s)\n",
                r->counted[0], r->counted[1], r->ndiffs);
    for (size_t i = 0; i < r->ndiffs; i++) {
        const pw_cdr_diff_t *d = &r->diffs[i];
        if (fmt == PW_CDR_OUT_CSV) {
            fprintf(out, "%s,", pw_cdr_diff_name(d->kind));
            csv_str(out, d->enquiry_ref);
        } else if (fmt == PW_CDR_OUT_JSON) {
            fprintf(out, "%s{\"difference\":\"%s\",\"enquiry_ref\":", i ? "," : "", pw_cdr_diff_name(d->kind));
            json_str(out, d->enquiry_ref);
        } else {
            fprintf(out, "%-12s %s\n", pw_cdr_diff_name(d->kind), d->enquiry_ref);
        }
        fputs(lay->before_sent, out);
        entry_write(out, fmt, "sent   ", d->sent);
        fputs(lay->before_charged, out);
        entry_write(out, fmt, "charged", d->charged);
        fputs(lay->after, out);
    }
    if (fmt == PW_CDR_OUT_JSON)
        fputs("]}\n", out);
    return ferror(out) ? PW_EIO : PW_OK;
}
