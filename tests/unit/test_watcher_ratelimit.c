/* test_watcher_ratelimit.c: the keyed token bucket (pw_ratelimit) alone, and as step e of an enquiry (resource-constraint). */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <string.h>

#include "core/pw_config.h"
#include "core/pw_ratelimit.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_ratelimit, .init = tw_setup, .fini = tw_teardown);

Test(watcher_ratelimit, bucket_allows_a_burst_then_refills_at_the_rate)
{
    pw_ratelimit_t *l;
    cr_assert_eq(pw_ratelimit_create(&l, 3, 60000, 100), PW_OK);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pw_ratelimit_take(l, "a@x", 1000), PW_OK, "burst %d", i);
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 1000), PW_EDENIED);
    cr_assert_eq(pw_ratelimit_take(l, "b@x", 1000), PW_OK, "buckets are per key");
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 20999), PW_EDENIED, "3/min: one token per 20 s");
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 21000), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 21000), PW_EDENIED);
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 10u * 86400000u), PW_OK, "a long idle time refills (no overflow)");
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 10u * 86400000u), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 10u * 86400000u), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 10u * 86400000u), PW_EDENIED, "but never beyond the burst");
    cr_assert_eq(pw_ratelimit_set_rate(l, 0), PW_EINVAL);
    pw_ratelimit_destroy(l);
    pw_ratelimit_destroy(NULL);
}

Test(watcher_ratelimit, idle_keys_are_forgotten_and_the_table_is_bounded)
{
    pw_ratelimit_t *l;
    cr_assert_eq(pw_ratelimit_create(&l, 60, 60000, 2), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "a@x", 0), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "b@x", 0), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "c@x", 500), PW_EFULL, "both buckets still refilling");
    cr_assert_eq(pw_ratelimit_count(l), 2);
    cr_assert_eq(pw_ratelimit_take(l, "c@x", 1000), PW_OK, "refilled buckets are forgotten");
    cr_assert_eq(pw_ratelimit_count(l), 1);
    pw_ratelimit_destroy(l);
}

/* alice asks about bob (request id) and the HSS knows her: the WA goes on, or refuses her. */
static void alice_asks(const char *id)
{
    pwfake_watcher_enquiry(tw, id, "alice@opa.example/phone", "address='+12025550123' kind='current'");
    pwfake_watcher_hss_alice(tw);
}

Test(watcher_ratelimit, enquiries_over_the_rate_get_resource_constraint)
{
    char text[256];
    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, "rate_per_watcher = 2\n");
    for (int i = 0; i < 2; i++) {
        alice_asks("r");
        pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
    }
    alice_asks("r3");
    cr_assert_eq(pwfake_watcher_last_error(tw, "r3", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert(strstr(text, "alice@opa.example") && strstr(text, "2 enquiries a minute"), "%s", text);
    /* another watcher is not affected */
    pwfake_watcher_enquiry(tw, "r4", "carol@opa.example/tab", "address='+12025550123' kind='current'");
    pwfake_watcher_hss_subscriber(tw, "+447700900002", "carol@opa.example", "active", "postpaid", "-");
    pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
    /* alice gets a token back after 30 s (2 a minute) */
    pwfake_watcher_advance(tw, 30000); /* (the earlier proxy enquiries time out meanwhile) */
    alice_asks("r5");
    pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
}

Test(watcher_ratelimit, reload_changes_the_rate)
{
    pw_watcher_settings_t fresh, old;
    char why[512] = "", text[256];
    cr_assert_eq(pwfake_watcher_load(tw, &fresh, PWFAKE_WATCHER_CONFIG "rate_per_watcher = 1\n", why, sizeof why), PW_OK, "%s", why);
    old = tw->settings;
    tw->settings = fresh; /* the WA keeps pointing at tw->settings */
    cr_assert_eq(pw_watcher_reload(tw->wa, &tw->settings), PW_OK);
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &old);
    alice_asks("q1");
    pwfake_watcher_last_request(tw, "proxy.opa.example", "set");
    alice_asks("q2");
    cr_assert_eq(pwfake_watcher_last_error(tw, "q2", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert(strstr(text, "1 enquiries a minute"), "%s", text);
}

Test(watcher_ratelimit, a_per_second_limiter_as_the_gateway_uses_it)
{
    pw_ratelimit_t *l;
    cr_assert_eq(pw_ratelimit_create(&l, 2, 1000, 10), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "opa.example", 0), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "opa.example", 0), PW_OK);
    cr_assert_eq(pw_ratelimit_take(l, "opa.example", 0), PW_EDENIED);
    cr_assert_eq(pw_ratelimit_take(l, "opa.example", 499), PW_EDENIED, "2/s: one token per 500 ms");
    cr_assert_eq(pw_ratelimit_take(l, "opa.example", 500), PW_OK);
    cr_assert_eq(pw_ratelimit_create(&(pw_ratelimit_t *){ NULL }, 2, 0, 10), PW_EINVAL, "a period is needed");
    pw_ratelimit_destroy(l);
}
