/* test_metrics_render.c: the Prometheus text exposition format 0.0.4 of a small registry, exactly:
 * HELP and TYPE, escaping, label sets, cumulative histogram buckets with +Inf, _sum and _count. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_metrics.h"

static pw_metrics_t *m;

static void setup(void)
{
    cr_assert_eq(pw_metrics_create(&m, "peerwatch-\"test\""), PW_OK);
}

static void teardown(void)
{
    pw_metrics_destroy(m);
}

TestSuite(metrics_render, .init = setup, .fini = teardown);

/* The text after the two built-in families (their start time is the wall clock's). */
static const char *after_builtins(const char *text)
{
    const char *p = strstr(text, "\npeerwatch_start_time_seconds ");
    cr_assert_not_null(p);
    p = strchr(p + 1, '\n');
    cr_assert_not_null(p);
    return p + 1;
}

/* What every registry renders first (the start time's digits after its first one vary). */
#define BUILTINS                                                                                  \
    "# HELP peerwatch_up Running (1)\n"                                                            \
    "# TYPE peerwatch_up gauge\n"                                                                  \
    "peerwatch_up{program=\"peerwatch-\\\"test\\\"\"} 1\n"                                        \
    "# HELP peerwatch_start_time_seconds When the process started, in seconds since the Unix epoch\n" \
    "# TYPE peerwatch_start_time_seconds gauge\n"                                                  \
    "peerwatch_start_time_seconds 1"

Test(metrics_render, the_builtins_come_first)
{
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(pw_metrics_render(m, &text, &len), PW_OK);
    cr_assert_eq(len, strlen(text));
    cr_assert_eq(strncmp(text, BUILTINS, strlen(BUILTINS)), 0, "%s", text);
    cr_assert_str_eq(after_builtins(text), "");
    free(text);
}

Test(metrics_render, families_in_registration_order)
{
    static const double bounds[] = { 0.1, 0.5 };
    char *text = NULL;
    pw_histogram_t *h = pw_metrics_histogram(m, "t_enquiry_seconds", "time to answer", "kind=\"current\"",
                                             bounds, 2);
    pw_counter_t *answered = pw_metrics_counter(m, "t_enquiries_total", "enquiries\\by kind\nand outcome",
                                                "kind=\"current\",outcome=\"answered\"");
    pw_counter_t *refused = pw_metrics_counter(m, "t_enquiries_total", NULL,
                                               "kind=\"current\",outcome=\"re\"fused\"");
    pw_gauge_t *g = pw_metrics_gauge(m, "t_subscriptions_active", "subscriptions", NULL);

    cr_assert_null(refused, "an unescaped quote ends the value early: malformed");
    refused = pw_metrics_counter(m, "t_enquiries_total", NULL, "kind=\"current\",outcome=\"a\\\"b\nc\\d\"");
    cr_assert_not_null(refused);
    pw_counter_add(answered, 3);
    pw_counter_inc(refused);
    pw_gauge_set(g, 0.25);
    pw_histogram_observe(h, 0.05);
    pw_histogram_observe(h, 0.1);
    pw_histogram_observe(h, 0.3);
    pw_histogram_observe(h, 4);
    cr_assert_eq(pw_metrics_render(m, &text, NULL), PW_OK);
    cr_assert_str_eq(after_builtins(text),
                     "# HELP t_enquiry_seconds time to answer\n"
                     "# TYPE t_enquiry_seconds histogram\n"
                     "t_enquiry_seconds_bucket{kind=\"current\",le=\"0.1\"} 2\n"
                     "t_enquiry_seconds_bucket{kind=\"current\",le=\"0.5\"} 3\n"
                     "t_enquiry_seconds_bucket{kind=\"current\",le=\"+Inf\"} 4\n"
                     "t_enquiry_seconds_sum{kind=\"current\"} 4.45\n"
                     "t_enquiry_seconds_count{kind=\"current\"} 4\n"
                     "# HELP t_enquiries_total enquiries\\\\by kind\\nand outcome\n"
                     "# TYPE t_enquiries_total counter\n"
                     "t_enquiries_total{kind=\"current\",outcome=\"answered\"} 3\n"
                     "t_enquiries_total{kind=\"current\",outcome=\"a\\\"b\\nc\\\\d\"} 1\n"
                     "# HELP t_subscriptions_active subscriptions\n"
                     "# TYPE t_subscriptions_active gauge\n"
                     "t_subscriptions_active 0.25\n");
    free(text);
}

Test(metrics_render, a_histogram_without_labels)
{
    static const double bounds[] = { 1 };
    char *text = NULL;
    pw_histogram_t *h = pw_metrics_histogram(m, "t_s", "", NULL, bounds, 1);
    pw_histogram_observe(h, 1);
    cr_assert_eq(pw_metrics_render(m, &text, NULL), PW_OK);
    cr_assert_str_eq(after_builtins(text),
                     "# HELP t_s\n"
                     "# TYPE t_s histogram\n"
                     "t_s_bucket{le=\"1\"} 1\n"
                     "t_s_bucket{le=\"+Inf\"} 1\n"
                     "t_s_sum 1\n"
                     "t_s_count 1\n");
    free(text);
}
