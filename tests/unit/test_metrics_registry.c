/* test_metrics_registry.c: the metrics registry: counters, gauges, sampled gauges, histograms,
 * one series per name and labels, one type per name, NULL everywhere. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/pw_metrics.h"

static pw_metrics_t *m;

static double sample_arg(void *arg);

static void setup(void)
{
    cr_assert_eq(pw_metrics_create(&m, "peerwatch-test"), PW_OK);
}

static void teardown(void)
{
    pw_metrics_destroy(m);
}

TestSuite(metrics_registry, .init = setup, .fini = teardown);

Test(metrics_registry, counters_count_and_the_same_series_comes_back)
{
    pw_counter_t *a = pw_metrics_counter(m, "t_enquiries_total", "enquiries", "kind=\"current\"");
    pw_counter_t *b = pw_metrics_counter(m, "t_enquiries_total", "other help", "kind=\"current\"");
    pw_counter_t *c = pw_metrics_counter(m, "t_enquiries_total", NULL, "kind=\"next\"");
    cr_assert_not_null(a);
    cr_assert_eq(a, b, "same name and labels: the same series");
    cr_assert_neq(a, c);
    pw_counter_inc(a);
    pw_counter_add(b, 41);
    cr_assert_eq(pw_counter_value(a), 42);
    cr_assert_eq(pw_counter_value(c), 0);
    cr_assert_eq(pw_metrics_counter(m, "t_enquiries_total", NULL, " kind=\"current\" "), a,
                 "labels are compared in their canonical form");
}

Test(metrics_registry, gauges_go_up_and_down)
{
    pw_gauge_t *g = pw_metrics_gauge(m, "t_depth", "depth", NULL);
    cr_assert_not_null(g);
    pw_gauge_set(g, 5);
    pw_gauge_add(g, -2.5);
    cr_assert_float_eq(pw_gauge_value(g), 2.5, 1e-12);
    cr_assert_eq(pw_metrics_gauge(m, "t_depth", NULL, ""), g, "NULL and \"\" are both no labels");
}

Test(metrics_registry, a_name_keeps_its_type)
{
    cr_assert_not_null(pw_metrics_counter(m, "t_x_total", "x", NULL));
    cr_assert_null(pw_metrics_gauge(m, "t_x_total", "x", NULL), "a counter's name is refused as a gauge");
    cr_assert_null(pw_metrics_histogram(m, "t_x_total", "x", "a=\"b\"", NULL, 0));
    cr_assert_eq(pw_metrics_gauge_fn(m, "t_x_total", "x", NULL, sample_arg, NULL), PW_EINVAL);
    cr_assert_null(pw_metrics_counter(m, "peerwatch_up", "x", NULL), "the built-in gauge too");
}

Test(metrics_registry, bad_names_and_labels_are_refused)
{
    cr_assert_null(pw_metrics_counter(m, "9lives", "x", NULL));
    cr_assert_null(pw_metrics_counter(m, "a-b", "x", NULL));
    cr_assert_null(pw_metrics_counter(m, "", "x", NULL));
    cr_assert_null(pw_metrics_counter(m, NULL, "x", NULL));
    cr_assert_null(pw_metrics_counter(m, "t_ok", "x", "kind=current"), "values are quoted");
    cr_assert_null(pw_metrics_counter(m, "t_ok", "x", "kind=\"a\" outcome=\"b\""), "pairs are separated by commas");
    cr_assert_null(pw_metrics_counter(m, "t_ok", "x", "kind=\"open"));
    cr_assert_not_null(pw_metrics_counter(m, "t_ok", "x", "kind=\"a\",outcome=\"b\""));
}

static double sample_arg(void *arg)
{
    return *(double *)arg;
}

Test(metrics_registry, sampled_gauges_and_forget)
{
    double depth = 7;
    pw_gauge_t *g;
    cr_assert_eq(pw_metrics_gauge_fn(m, "t_queue", "queue", NULL, sample_arg, &depth), PW_OK);
    g = pw_metrics_gauge(m, "t_queue", NULL, NULL);
    cr_assert_float_eq(pw_gauge_value(g), 7, 1e-12);
    depth = 9;
    cr_assert_float_eq(pw_gauge_value(g), 9, 1e-12, "sampled when read");
    {
        char *text = NULL;
        cr_assert_eq(pw_metrics_render(m, &text, NULL), PW_OK);
        cr_assert_not_null(strstr(text, "\nt_queue 9\n"));
        free(text);
    }
    pw_metrics_forget(m, &depth);
    depth = 100;
    cr_assert_float_eq(pw_gauge_value(g), 9, 1e-12, "after forget: the last sampled value");
    cr_assert_eq(pw_metrics_gauge_fn(m, "t_queue", NULL, NULL, NULL, &depth), PW_EINVAL, "no sampler");
}

Test(metrics_registry, histograms_count_observations)
{
    static const double bounds[] = { 0.1, 1 };
    pw_histogram_t *h = pw_metrics_histogram(m, "t_seconds", "latency", NULL, bounds, 2);
    cr_assert_not_null(h);
    pw_histogram_observe(h, 0.05);
    pw_histogram_observe(h, 2);
    cr_assert_eq(pw_histogram_count(h), 2);
    cr_assert_eq(pw_metrics_histogram(m, "t_seconds", NULL, NULL, bounds, 2), h);
    cr_assert_not_null(pw_metrics_histogram(m, "t_default_seconds", "x", NULL, NULL, 0),
                       "NULL bounds: the latency buckets");
    {
        static const double unordered[] = { 1, 0.5 };
        cr_assert_null(pw_metrics_histogram(m, "t_bad_seconds", "x", NULL, unordered, 2));
    }
    cr_assert_eq(PW_METRICS_LATENCY_BOUNDS[0], 0.0005);
    cr_assert_eq(PW_METRICS_LATENCY_BOUNDS[PW_METRICS_LATENCY_BOUNDS_N - 1], 10);
}

static void count_figure(const char *name, const char *labels, const char *help, double value, void *arg)
{
    (void)labels;
    (void)help;
    (void)value;
    if (strncmp(name, "t_", 2) == 0)
        (*(int *)arg)++;
}

Test(metrics_registry, each_visits_every_figure)
{
    int n = 0;
    pw_counter_inc(pw_metrics_counter(m, "t_a_total", "a", NULL));
    pw_gauge_set(pw_metrics_gauge(m, "t_b", "b", NULL), 1);
    pw_histogram_observe(pw_metrics_histogram(m, "t_c_seconds", "c", NULL, NULL, 0), 1);
    pw_metrics_each(m, count_figure, &n);
    cr_assert_eq(n, 4, "a counter, a gauge, a histogram's _count and _sum");
}

Test(metrics_registry, null_is_safe_everywhere)
{
    cr_assert_eq(pw_metrics_create(NULL, "x"), PW_EINVAL);
    {
        pw_metrics_t *none = (pw_metrics_t *)1;
        cr_assert_eq(pw_metrics_create(&none, ""), PW_EINVAL);
        cr_assert_null(none);
    }
    cr_assert_null(pw_metrics_counter(NULL, "a_total", "a", NULL));
    cr_assert_null(pw_metrics_gauge(NULL, "a", "a", NULL));
    cr_assert_null(pw_metrics_histogram(NULL, "a", "a", NULL, NULL, 0));
    cr_assert_eq(pw_metrics_gauge_fn(NULL, "a", "a", NULL, sample_arg, NULL), PW_OK);
    pw_counter_inc(NULL);
    pw_counter_add(NULL, 3);
    pw_gauge_set(NULL, 1);
    pw_gauge_add(NULL, 1);
    pw_histogram_observe(NULL, 1);
    pw_metrics_forget(NULL, NULL);
    pw_metrics_each(NULL, count_figure, NULL);
    pw_metrics_destroy(NULL);
    cr_assert_eq(pw_counter_value(NULL), 0);
    cr_assert_eq(pw_gauge_value(NULL), 0);
    cr_assert_eq(pw_histogram_count(NULL), 0);
    {
        char *text = (char *)1;
        cr_assert_eq(pw_metrics_render(NULL, &text, NULL), PW_EINVAL);
        cr_assert_null(text);
    }
}

Test(metrics_registry, label_helper_escapes)
{
    char buf[64];
    cr_assert_eq(pw_metrics_label(buf, sizeof buf, "peer", "a\"b\\c\nd"), PW_OK);
    cr_assert_str_eq(buf, "peer=\"a\\\"b\\\\c\\nd\"");
    cr_assert_eq(pw_metrics_label(buf, 8, "peer", "long value"), PW_ERANGE);
    cr_assert_eq(pw_metrics_label(buf, sizeof buf, "9x", "v"), PW_EINVAL);
    cr_assert_eq(pw_metrics_format_value(0.25, buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf, "0.25");
    cr_assert_eq(pw_metrics_format_value(INFINITY, buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf, "+Inf");
    cr_assert_eq(pw_metrics_format_value(NAN, buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf, "NaN");
}
