/* pw_metrics.h: a process's counters, gauges and histograms, rendered in the Prometheus text format (docs/metrics.md). */
#ifndef PW_METRICS_H
#define PW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_status.h"

/*
 * One registry per process, created by the runtime and handed to the role through its component
 * (pw_component_metrics()). A series is a metric name plus one label set, written as the text
 * between the braces of the exposition format: "kind=\"current\",outcome=\"answered\"" (NULL or
 * "" for none). Asking twice for the same name and labels gives the same series, so a caller may
 * look a series up at the event or keep the pointer. Every function here is NULL-safe on the
 * registry and on the series: code that runs without metrics (a unit test, a tool) passes NULL
 * and nothing is counted. Single-threaded: everything runs on the process's loop.
 */

typedef struct pw_metrics pw_metrics_t;
typedef struct pw_metric_series pw_counter_t;
typedef struct pw_metric_series pw_gauge_t;
typedef struct pw_metric_series pw_histogram_t;

/** Samples a gauge at rendering time (queue depths, subscriptions active). */
typedef double (*pw_gauge_fn)(void *arg);

/**
 * Create a registry.
 * @param out receives it (pw_metrics_destroy())
 * @param program the program's name; rendered as the label program="..." of peerwatch_up
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_metrics_create(pw_metrics_t **out, const char *program);

/** Destroy a registry and every series (NULL-safe). @param m the registry */
void pw_metrics_destroy(pw_metrics_t *m);

/**
 * The counter NAME{LABELS}: a count that only goes up (name ends in _total).
 * @param m the registry (NULL: returns NULL)
 * @param name metric name, [a-zA-Z_:][a-zA-Z0-9_:]*
 * @param help one line for # HELP (the first registration's is kept)
 * @param labels the label set, or NULL
 * @return the series (owned by the registry), or NULL (no registry, bad name, no memory)
 */
pw_counter_t *pw_metrics_counter(pw_metrics_t *m, const char *name, const char *help,
                                 const char *labels);

/** Add n to a counter (NULL-safe). */
void pw_counter_add(pw_counter_t *c, uint64_t n);

/** Add 1 to a counter (NULL-safe). */
void pw_counter_inc(pw_counter_t *c);

/** @return a counter's value (0 for NULL) */
uint64_t pw_counter_value(const pw_counter_t *c);

/** The gauge NAME{LABELS}: a value that goes up and down. Arguments as pw_metrics_counter(). */
pw_gauge_t *pw_metrics_gauge(pw_metrics_t *m, const char *name, const char *help,
                             const char *labels);

/** Set a gauge (NULL-safe). */
void pw_gauge_set(pw_gauge_t *g, double v);

/** Add delta (may be negative) to a gauge (NULL-safe). */
void pw_gauge_add(pw_gauge_t *g, double delta);

/** @return a gauge's value (0 for NULL; a sampled gauge is sampled now) */
double pw_gauge_value(const pw_gauge_t *g);

/**
 * A gauge whose value fn(arg) gives each time it is rendered.
 * @param owner what fn belongs to; pw_metrics_forget(m, owner) removes the sampler again
 * @return PW_OK; PW_EINVAL (bad name, NULL fn); PW_ENOMEM. With m NULL: PW_OK, nothing kept
 */
pw_status_t pw_metrics_gauge_fn(pw_metrics_t *m, const char *name, const char *help,
                                const char *labels, pw_gauge_fn fn, void *owner);

/**
 * Stop sampling every gauge registered with this owner (before the owner is freed); the series
 * stay, with their last sampled value. NULL-safe.
 */
void pw_metrics_forget(pw_metrics_t *m, void *owner);

/**
 * The histogram NAME{LABELS} with the given upper bounds (ascending; +Inf is implied).
 * NAME_bucket, NAME_sum and NAME_count are rendered for it.
 * @param bounds the bucket bounds (copied); NULL: PW_METRICS_LATENCY_BOUNDS
 * @param nbounds how many
 */
pw_histogram_t *pw_metrics_histogram(pw_metrics_t *m, const char *name, const char *help,
                                     const char *labels, const double *bounds, size_t nbounds);

/** Record one observation, e.g. a latency in seconds (NULL-safe). */
void pw_histogram_observe(pw_histogram_t *h, double v);

/** @return how many observations a histogram holds (0 for NULL) */
uint64_t pw_histogram_count(const pw_histogram_t *h);

/**
 * Write one label, name="value", with value escaped for the exposition format (\\, \" and
 * newline), e.g. to build a label set from a value read off the wire.
 * @param buf receives the NUL-terminated text
 * @param cap its size
 * @param name the label name, [a-zA-Z_][a-zA-Z0-9_]*
 * @param value the raw value
 * @return PW_OK; PW_EINVAL (bad name, NULL); PW_ERANGE (does not fit); PW_ENOMEM
 */
pw_status_t pw_metrics_label(char *buf, size_t cap, const char *name, const char *value);

/**
 * Write a value as the exposition format does: NaN, +Inf, -Inf, else the shortest decimal that
 * reads back exactly (1, 0.25, 1e-05).
 * @param v the value
 * @param buf receives the NUL-terminated text; 32 bytes are enough
 * @param cap its size
 * @return PW_OK, PW_ERANGE (does not fit) or PW_ENOMEM
 */
pw_status_t pw_metrics_format_value(double v, char *buf, size_t cap);

/** Default buckets for latencies in seconds: 0.5 ms .. 10 s. */
#define PW_METRICS_LATENCY_BOUNDS_N 14
extern const double PW_METRICS_LATENCY_BOUNDS[PW_METRICS_LATENCY_BOUNDS_N];

/**
 * Render every series in the Prometheus text exposition format 0.0.4 (# HELP, # TYPE, samples
 * grouped by name, in registration order).
 * @param m the registry
 * @param out receives a malloc'd NUL-terminated text (the caller frees it)
 * @param len receives its length (may be NULL)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_metrics_render(pw_metrics_t *m, char **out, size_t *len);

/** Visits one rendered figure (pw_metrics_each()). */
typedef void (*pw_metrics_visit_fn)(const char *name, const char *labels, const char *help,
                                    double value, void *arg);

/**
 * Visit every counter and gauge, and each histogram's _count and _sum (their help says which:
 * "HELP: number of observations", "HELP: sum of observations"), with its current value: the same
 * figures as pw_metrics_render(), for the XEP-0050 admin command.
 */
void pw_metrics_each(pw_metrics_t *m, pw_metrics_visit_fn fn, void *arg);

#endif /* PW_METRICS_H */
