/* test_watcher_config.c: the [watcher] settings: the example configs load, defaults, and the cross checks refuse bad values. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/pw_config.h"

static void load_file(const char *name, pw_watcher_settings_t *s)
{
    char path[1024], why[512] = "";
    pw_config_error_t err;
    snprintf(path, sizeof path, "%s/%s", PWT_TREE "/conf", name); /* the secret at 0640 */
    memset(s, 0, sizeof *s);
    cr_assert_eq(pw_config_load(path, pw_watcher_role.options, pw_watcher_role.noptions, NULL, 0, s, &err), PW_OK,
                 "%s", pw_config_error_text(&err, why, sizeof why));
    cr_assert_eq(pw_watcher_check(s, why, sizeof why), PW_OK, "%s", why);
}

Test(watcher_config, example_configs_load_and_pass_the_checks)
{
    pw_watcher_settings_t s;
    load_file("watcher-opa.conf", &s);
    cr_assert_str_eq(s.common.jid, "watcher.opa.example");
    cr_assert_eq(s.common.iq_timeout_ms, 20000, "the proxy hop is bounded by 20 s (docs/protocol.md §3)");
    cr_assert_str_eq(s.domain, "opa.example");
    cr_assert_str_eq(s.proxy, "proxy.opa.example");
    cr_assert_str_eq(s.hss, "hss.opa.example");
    cr_assert_eq(s.presence_servers.n, 2);
    cr_assert_str_eq(s.presence_servers.items[1], "ps2.opa.example");
    cr_assert_str_eq(s.state_dir, "/var/lib/peerwatch/state/opa");
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &s);
    load_file("watcher-opb.conf", &s);
    cr_assert_str_eq(s.common.jid, "watcher.opb.example");
    cr_assert_str_eq(s.country_code, "1");
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &s);
}

Test(watcher_config, defaults)
{
    pw_watcher_settings_t s;
    char why[512] = "";
    cr_assert_eq(pwfake_watcher_load(NULL, &s, PWFAKE_WATCHER_CONFIG, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(s.price, 1);
    cr_assert_eq(s.rate_per_watcher, 60);
    cr_assert_eq(s.max_duration_ms, 86400000);
    cr_assert_str_eq(s.network, "", "empty: the domain is the network");
    cr_assert_str_eq(s.trunk_prefix, "0");
    cr_assert_str_eq(s.intl_prefix, "00");
    cr_assert_str_eq(s.country_code, "", "no country code: national numbers are refused");
    cr_assert_eq(s.roster_duration_ms, 86400000, "roster subscriptions last a day between renewals");
    cr_assert_eq(s.pending_retry_ms, 60000, "pending roster requests are asked again every minute");
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &s);
}

Test(watcher_config, bad_values_are_refused)
{
    static const char *const bad[] = {
        "network = not a domain\n",
        "presence_servers = ps1.opa.example, user@opa.example\n",
        "country_code = 0\n",
        "country_code = 4a\n",
        "intl_prefix = 0\ntrunk_prefix = 0\n",
        "rate_per_watcher = 0\n",
        "price = -1\n",
        "max_duration = 400d\n",
        "colour = blue\n",
        "max_duration = 1h\n",                    /* the default roster_duration (1d) exceeds it */
        "roster_duration = 2h\nmax_duration = 1h\n",
        "pending_retry = 10ms\n",
        "state_dir = \n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pw_watcher_settings_t s;
        char text[2048], why[512] = "";
        snprintf(text, sizeof text, "%s%s", PWFAKE_WATCHER_CONFIG, bad[i]);
        cr_assert_neq(pwfake_watcher_load(NULL, &s, text, why, sizeof why), PW_OK, "accepted: %s", bad[i]);
        cr_assert_neq(why[0], '\0', "a reason is given for %s", bad[i]);
    }
}

Test(watcher_config, required_options)
{
    pw_watcher_settings_t s;
    char why[512] = "";
    cr_assert_neq(pwfake_watcher_load(NULL, &s, "[component]\njid = w.example\nsecret = s\n[watcher]\ndomain = x.example\n"
                              "hss = h.example\npresence_servers = p.example\n", why, sizeof why), PW_OK);
    cr_assert(strstr(why, "proxy"), "%s", why);
    cr_assert_neq(pwfake_watcher_load(NULL, &s, "[component]\njid = w.example\nsecret = s\n[watcher]\ndomain = x.example\n"
                              "proxy = p.example\nhss = h.example\npresence_servers = p.example\n",
                          why, sizeof why), PW_OK);
    cr_assert(strstr(why, "state_dir"), "%s", why);
}

Test(watcher_config, the_trial_template_has_the_trial_settings)
{
    char path[1024], text[8192];
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/trial/watcher.conf", PWT_SRCDIR "/conf");
    f = fopen(path, "r");
    cr_assert_not_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert(strstr(text, "\nstate_dir = @STATE_DIR@\n"));
    cr_assert(strstr(text, "\nroster_duration = 1h\n"));
    cr_assert(strstr(text, "\npending_retry = 1s\n"));
    cr_assert(strstr(text, "\nmax_duration = 1d\n"));
}
