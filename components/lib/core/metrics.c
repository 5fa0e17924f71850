/* metrics.c: the metrics registry (counters, gauges, sampled gauges, histograms) and its
 * rendering in the Prometheus text exposition format 0.0.4. */
#include "config.h"

#include "core/pw_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_array.h"
#include "core/pw_clock.h"
#include "core/pw_log.h"
#include "core/pw_map.h"

/* Bounds on what one caller may register: names and label sets are short by nature. */
#define NAME_MAX_LEN 200
#define LABELS_MAX_LEN 1000
#define HELP_MAX_LEN 1000
#define BOUNDS_MAX 64

const double PW_METRICS_LATENCY_BOUNDS[PW_METRICS_LATENCY_BOUNDS_N] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

typedef enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } kind_t;

static const char *const kind_names[] = { "counter", "gauge", "histogram" };

typedef struct family family_t;

struct pw_metric_series {
    family_t *family;
    char *labels;      /* canonical label text, "" for none */
    uint64_t count;    /* counter value; histogram observation count */
    double value;      /* gauge value (last sampled for a sampled gauge); histogram sum */
    pw_gauge_fn fn;    /* sampled gauge: its sampler, or NULL */
    void *owner;       /* what fn belongs to (pw_metrics_forget()) */
    double *bounds;    /* histogram: upper bounds, ascending */
    uint64_t *buckets; /* histogram: observations per bound (not cumulative), nbounds + 1 */
    size_t nbounds;
};

/* All series of one name: one # HELP, one # TYPE. */
struct family {
    char *name;
    char *help;
    kind_t kind;
    struct pw_metric_series **series; /* in registration order */
    size_t nseries, capseries;
};

struct pw_metrics {
    family_t **families; /* in registration order */
    size_t nfamilies, capfamilies;
    pw_map_t *by_name;   /* name -> family_t */
    pw_map_t *by_series; /* "name{labels}" -> series */
};

/* ---- text checks ---- */

static int is_name_start(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
}

static int is_name_char(char ch)
{
    return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, bounded. */
static int valid_name(const char *name)
{
    size_t n = 0;
    if (!name || !is_name_start(name[0]))
        return 0;
    for (; name[n]; n++)
        if (!is_name_char(name[n]) || n >= NAME_MAX_LEN)
            return 0;
    return 1;
}

/* ---- a growing text buffer ---- */

typedef struct textbuf {
    char *s;
    size_t len, cap;
    int failed; /* out of memory: everything after is dropped */
} textbuf_t;

static void tb_append(textbuf_t *tb, const char *s, size_t n)
{
    if (tb->failed)
        return;
    if (pw_array_grow(&tb->s, &tb->cap, tb->len + n + 1, 1, 256) != PW_OK) {
        tb->failed = 1;
        return;
    }
    memcpy(tb->s + tb->len, s, n);
    tb->len += n;
    tb->s[tb->len] = '\0';
}

static void tb_puts(textbuf_t *tb, const char *s)
{
    tb_append(tb, s, strlen(s));
}

static void tb_putc(textbuf_t *tb, char ch)
{
    tb_append(tb, &ch, 1);
}

/* Label values escape \, " and newline (exposition format 0.0.4); HELP escapes \ and newline. */
static void tb_escaped(textbuf_t *tb, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            tb_puts(tb, "\\\\");
        else if (*s == '\n')
            tb_puts(tb, "\\n");
        else if (*s == '"' && quote)
            tb_puts(tb, "\\\"");
        else
            tb_putc(tb, *s);
    }
}

/* A float the way Prometheus reads it: NaN, +Inf, -Inf, else the shortest exact decimal. */
static void tb_double(textbuf_t *tb, double v)
{
    char num[40];
    if (isnan(v)) {
        tb_puts(tb, "NaN");
        return;
    }
    if (isinf(v)) {
        tb_puts(tb, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v)
            break;
    }
    tb_puts(tb, num);
}

pw_status_t pw_metrics_format_value(double v, char *buf, size_t cap)
{
    textbuf_t tb = { 0 };
    pw_status_t rc = PW_OK;

    tb_double(&tb, v);
    if (tb.failed)
        rc = PW_ENOMEM;
    else if (!buf || tb.len >= cap)
        rc = PW_ERANGE;
    else
        memcpy(buf, tb.s, tb.len + 1);
    free(tb.s);
    return rc;
}

static void tb_u64(textbuf_t *tb, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    tb_puts(tb, num);
}

/*
 * Canonical label text from the caller's: name="value" pairs separated by commas (spaces
 * around them dropped). A raw newline or a lone backslash in a value is escaped; \\, \" and \n
 * are kept. NULL for a malformed set (or no memory).
 */
static char *canonical_labels(const char *in)
{
    textbuf_t tb = { 0 };
    const char *p = in ? in : "";

    tb_puts(&tb, "");
    if (strlen(p) > LABELS_MAX_LEN)
        goto bad;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (tb.len)
            tb_putc(&tb, ',');
        if (!is_name_start(*p) || *p == ':')
            goto bad;
        while (is_name_char(*p) && *p != ':')
            tb_putc(&tb, *p++);
        if (*p++ != '=' || *p++ != '"')
            goto bad;
        tb_puts(&tb, "=\"");
        for (; *p && *p != '"'; p++) {
            if (*p == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n')) {
                tb_append(&tb, p, 2);
                p++;
            } else if (*p == '\\') {
                tb_puts(&tb, "\\\\");
            } else if (*p == '\n') {
                tb_puts(&tb, "\\n");
            } else {
                tb_putc(&tb, *p);
            }
        }
        if (*p++ != '"')
            goto bad;
        tb_putc(&tb, '"');
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
    }
    if (tb.failed)
        goto bad;
    return tb.s;
bad:
    free(tb.s);
    return NULL;
}

pw_status_t pw_metrics_label(char *buf, size_t cap, const char *name, const char *value)
{
    textbuf_t tb = { 0 };
    pw_status_t rc = PW_OK;

    if (!buf || !cap || !name || !value || !is_name_start(name[0]) || strchr(name, ':')) {
        rc = PW_EINVAL;
        goto done;
    }
    tb_puts(&tb, name);
    tb_puts(&tb, "=\"");
    tb_escaped(&tb, value, 1);
    tb_putc(&tb, '"');
    if (tb.failed)
        rc = PW_ENOMEM;
    else if (tb.len >= cap)
        rc = PW_ERANGE;
    else
        memcpy(buf, tb.s, tb.len + 1);
done:
    free(tb.s);
    return rc;
}

/* ---- the registry ---- */

static void series_free(struct pw_metric_series *s)
{
    if (!s)
        return;
    free(s->labels);
    free(s->bounds);
    free(s->buckets);
    free(s);
}

static void family_free(family_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nseries; i++)
        series_free(f->series[i]);
    free(f->series);
    free(f->name);
    free(f->help);
    free(f);
}

/* The family of name, made (last in the order) when new; NULL on a kind mismatch or no memory. */
static family_t *family_get(pw_metrics_t *m, const char *name, const char *help, kind_t kind)
{
    family_t *f = pw_map_get(m->by_name, name);

    if (f) {
        if (f->kind != kind) {
            pw_warn(NULL, "metric %s is a %s: refused as a %s", name, kind_names[f->kind],
                    kind_names[kind]);
            return NULL;
        }
        return f;
    }
    if (pw_array_grow(&m->families, &m->capfamilies, m->nfamilies + 1, sizeof *m->families, 16) != PW_OK)
        return NULL;
    f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->kind = kind;
    f->name = strdup(name);
    f->help = strndup(help ? help : "", HELP_MAX_LEN);
    if (!f->name || !f->help || pw_map_put(m->by_name, name, f, NULL) != PW_OK) {
        family_free(f);
        return NULL;
    }
    m->families[m->nfamilies++] = f;
    return f;
}

/*
 * The series name{labels} of the given kind, made when new (histograms get their bounds then).
 * NULL without a registry, for a bad name or label set, a kind mismatch, or no memory.
 */
static struct pw_metric_series *series_get(pw_metrics_t *m, const char *name, const char *help,
                                           const char *labels, kind_t kind,
                                           const double *bounds, size_t nbounds)
{
    struct pw_metric_series *s = NULL, *found;
    family_t *f;
    char *canon = NULL, *key = NULL;
    size_t keylen;

    if (!m || !valid_name(name))
        goto done;
    canon = canonical_labels(labels);
    if (!canon) {
        pw_warn(NULL, "metric %s: malformed labels '%s' refused", name, labels);
        goto done;
    }
    keylen = strlen(name) + strlen(canon) + 3;
    key = malloc(keylen);
    if (!key)
        goto done;
    snprintf(key, keylen, "%s{%s}", name, canon);
    f = family_get(m, name, help, kind);
    if (!f)
        goto done;
    found = pw_map_get(m->by_series, key);
    if (found) {
        s = found;
        goto done;
    }
    if (pw_array_grow(&f->series, &f->capseries, f->nseries + 1, sizeof *f->series, 4) != PW_OK)
        goto done;
    s = calloc(1, sizeof *s);
    if (!s)
        goto done;
    s->family = f;
    s->labels = canon;
    canon = NULL;
    if (kind == KIND_HISTOGRAM) {
        s->nbounds = nbounds;
        s->bounds = malloc((nbounds ? nbounds : 1) * sizeof *s->bounds);
        s->buckets = calloc(nbounds + 1, sizeof *s->buckets);
        if (s->bounds)
            memcpy(s->bounds, bounds, nbounds * sizeof *s->bounds);
    }
    if ((kind == KIND_HISTOGRAM && (!s->bounds || !s->buckets)) ||
        pw_map_put(m->by_series, key, s, NULL) != PW_OK) {
        series_free(s);
        s = NULL;
        goto done;
    }
    f->series[f->nseries++] = s;
done:
    free(canon);
    free(key);
    return s;
}

pw_status_t pw_metrics_create(pw_metrics_t **out, const char *program)
{
    pw_status_t rc = PW_OK;
    pw_metrics_t *m = NULL;
    char label[256];

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (!program || !*program) {
        rc = PW_EINVAL;
        goto done;
    }
    rc = pw_metrics_label(label, sizeof label, "program", program);
    if (rc != PW_OK)
        goto done;
    m = calloc(1, sizeof *m);
    if (!m) {
        rc = PW_ENOMEM;
        goto done;
    }
    rc = pw_map_create(&m->by_name);
    if (rc == PW_OK)
        rc = pw_map_create(&m->by_series);
    if (rc != PW_OK)
        goto done;
    {
        pw_gauge_t *up = pw_metrics_gauge(m, "peerwatch_up", "Running (1)", label);
        pw_gauge_t *start = pw_metrics_gauge(m, "peerwatch_start_time_seconds",
                                             "When the process started, in seconds since the Unix epoch",
                                             NULL);
        if (!up || !start) {
            rc = PW_ENOMEM;
            goto done;
        }
        pw_gauge_set(up, 1);
        pw_gauge_set(start, (double)pw_clock_wall_ms() / 1000.0);
    }
done:
    if (rc != PW_OK) {
        pw_metrics_destroy(m);
        return rc;
    }
    *out = m;
    return PW_OK;
}

void pw_metrics_destroy(pw_metrics_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfamilies; i++)
        family_free(m->families[i]);
    free(m->families);
    pw_map_destroy(m->by_name);
    pw_map_destroy(m->by_series);
    free(m);
}

/* ---- counters ---- */

pw_counter_t *pw_metrics_counter(pw_metrics_t *m, const char *name, const char *help,
                                 const char *labels)
{
    return series_get(m, name, help, labels, KIND_COUNTER, NULL, 0);
}

void pw_counter_add(pw_counter_t *c, uint64_t n)
{
    if (c)
        c->count += n;
}

void pw_counter_inc(pw_counter_t *c)
{
    pw_counter_add(c, 1);
}

uint64_t pw_counter_value(const pw_counter_t *c)
{
    return c ? c->count : 0;
}

/* ---- gauges ---- */

pw_gauge_t *pw_metrics_gauge(pw_metrics_t *m, const char *name, const char *help,
                             const char *labels)
{
    return series_get(m, name, help, labels, KIND_GAUGE, NULL, 0);
}

void pw_gauge_set(pw_gauge_t *g, double v)
{
    if (g)
        g->value = v;
}

void pw_gauge_add(pw_gauge_t *g, double delta)
{
    if (g)
        g->value += delta;
}

double pw_gauge_value(const pw_gauge_t *g)
{
    if (!g)
        return 0;
    return g->fn ? g->fn(g->owner) : g->value;
}

pw_status_t pw_metrics_gauge_fn(pw_metrics_t *m, const char *name, const char *help,
                                const char *labels, pw_gauge_fn fn, void *owner)
{
    pw_gauge_t *g;

    if (!m)
        return PW_OK;
    if (!fn || !valid_name(name))
        return PW_EINVAL;
    g = pw_metrics_gauge(m, name, help, labels);
    if (!g)
        return pw_map_get(m->by_name, name) ? PW_EINVAL : PW_ENOMEM;
    g->fn = fn;
    g->owner = owner;
    return PW_OK;
}

void pw_metrics_forget(pw_metrics_t *m, void *owner)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfamilies; i++)
        for (size_t j = 0; j < m->families[i]->nseries; j++) {
            struct pw_metric_series *s = m->families[i]->series[j];
            if (s->fn && s->owner == owner) {
                s->fn = NULL;
                s->owner = NULL;
            }
        }
}

/* The value to show now: a sampled gauge is sampled (and the sample kept). */
static double gauge_sample(pw_gauge_t *g)
{
    if (g->fn)
        g->value = g->fn(g->owner);
    return g->value;
}

/* ---- histograms ---- */

pw_histogram_t *pw_metrics_histogram(pw_metrics_t *m, const char *name, const char *help,
                                     const char *labels, const double *bounds, size_t nbounds)
{
    if (!bounds) {
        bounds = PW_METRICS_LATENCY_BOUNDS;
        nbounds = PW_METRICS_LATENCY_BOUNDS_N;
    }
    if (nbounds > BOUNDS_MAX)
        return NULL;
    for (size_t i = 0; i < nbounds; i++)
        if (isnan(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
            return NULL;
    return series_get(m, name, help, labels, KIND_HISTOGRAM, bounds, nbounds);
}

void pw_histogram_observe(pw_histogram_t *h, double v)
{
    size_t i = 0;
    if (!h)
        return;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->value += v;
}

uint64_t pw_histogram_count(const pw_histogram_t *h)
{
    return h ? h->count : 0;
}

/* ---- rendering ---- */

/* name{labels[,extra]} and a space: the start of one sample line. */
static void tb_sample_start(textbuf_t *tb, const char *name, const char *suffix,
                            const char *labels, const char *extra)
{
    tb_puts(tb, name);
    tb_puts(tb, suffix);
    if (*labels || extra) {
        tb_putc(tb, '{');
        tb_puts(tb, labels);
        if (extra) {
            if (*labels)
                tb_putc(tb, ',');
            tb_puts(tb, extra);
        }
        tb_putc(tb, '}');
    }
    tb_putc(tb, ' ');
}

static void render_histogram(textbuf_t *tb, const family_t *f, const pw_histogram_t *h)
{
    uint64_t cumulative = 0;
    textbuf_t le = { 0 };

    for (size_t i = 0; i <= h->nbounds; i++) {
        cumulative += h->buckets[i];
        le.len = 0;
        tb_puts(&le, "le=\"");
        if (i < h->nbounds)
            tb_double(&le, h->bounds[i]);
        else
            tb_puts(&le, "+Inf");
        tb_putc(&le, '"');
        if (le.failed) {
            tb->failed = 1;
            break;
        }
        tb_sample_start(tb, f->name, "_bucket", h->labels, le.s);
        tb_u64(tb, cumulative);
        tb_putc(tb, '\n');
    }
    free(le.s);
    tb_sample_start(tb, f->name, "_sum", h->labels, NULL);
    tb_double(tb, h->value);
    tb_putc(tb, '\n');
    tb_sample_start(tb, f->name, "_count", h->labels, NULL);
    tb_u64(tb, h->count);
    tb_putc(tb, '\n');
}

pw_status_t pw_metrics_render(pw_metrics_t *m, char **out, size_t *len)
{
    textbuf_t tb = { 0 };

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (len)
        *len = 0;
    if (!m)
        return PW_EINVAL;
    tb_puts(&tb, "");
    for (size_t i = 0; i < m->nfamilies; i++) {
        const family_t *f = m->families[i];
        tb_puts(&tb, "# HELP ");
        tb_puts(&tb, f->name);
        if (*f->help)
            tb_putc(&tb, ' ');
        tb_escaped(&tb, f->help, 0);
        tb_puts(&tb, "\n# TYPE ");
        tb_puts(&tb, f->name);
        tb_putc(&tb, ' ');
        tb_puts(&tb, kind_names[f->kind]);
        tb_putc(&tb, '\n');
        for (size_t j = 0; j < f->nseries; j++) {
            struct pw_metric_series *s = f->series[j];
            if (f->kind == KIND_HISTOGRAM) {
                render_histogram(&tb, f, s);
                continue;
            }
            tb_sample_start(&tb, f->name, "", s->labels, NULL);
            if (f->kind == KIND_COUNTER)
                tb_u64(&tb, s->count);
            else
                tb_double(&tb, gauge_sample(s));
            tb_putc(&tb, '\n');
        }
    }
    if (tb.failed) {
        free(tb.s);
        return PW_ENOMEM;
    }
    *out = tb.s;
    if (len)
        *len = tb.len;
    return PW_OK;
}

void pw_metrics_each(pw_metrics_t *m, pw_metrics_visit_fn fn, void *arg)
{
    char name[NAME_MAX_LEN + 16], help[HELP_MAX_LEN + 32];

    if (!m || !fn)
        return;
    for (size_t i = 0; i < m->nfamilies; i++) {
        const family_t *f = m->families[i];
        for (size_t j = 0; j < f->nseries; j++) {
            struct pw_metric_series *s = f->series[j];
            switch (f->kind) {
            case KIND_COUNTER:
                fn(f->name, s->labels, f->help, (double)s->count, arg);
                break;
            case KIND_GAUGE:
                fn(f->name, s->labels, f->help, gauge_sample(s), arg);
                break;
            case KIND_HISTOGRAM: /* its two figures, each with a help that says which */
                snprintf(name, sizeof name, "%s_count", f->name);
                snprintf(help, sizeof help, "%s: number of observations", f->help);
                fn(name, s->labels, help, (double)s->count, arg);
                snprintf(name, sizeof name, "%s_sum", f->name);
                snprintf(help, sizeof help, "%s: sum of observations", f->help);
                fn(name, s->labels, help, s->value, arg);
                break;
            }
        }
    }
}
