/* test_metrics_config.c: the [metrics] section every role has, checked at load: defaults, a listen
 * address, the loopback rule, admins; refusals name FILE:LINE and the key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hss.h"
#include "xmpp/pw_runtime.h"
#include "pwt_util.h"

static char dir[] = "/tmp/pw-metrics-config-XXXXXX";
static char path[64];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/hss.conf", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(metrics_config, .init = setup, .fini = teardown);

/* Load an HSS file whose [metrics] section is the text given; why gets the refusal. */
static pw_status_t load(const char *metrics, hss_settings_t *s, char *why, size_t cap)
{
    FILE *f = pwt_file_create(path);
    cr_assert_not_null(f);
    fprintf(f, "[component]\njid = hss.opa.example\nsecret = s\n\n[hss]\nsubscribers = %s/subs\nallow = watcher.opa.example\n\n%s",
            dir, metrics);
    fclose(f);
    memset(s, 0, sizeof *s);
    return pw_runtime_load_config(&pw_hss_role, path, s, why, cap);
}

Test(metrics_config, off_by_default)
{
    hss_settings_t s;
    char why[512] = "";
    cr_assert_eq(load("", &s, why, sizeof why), PW_OK, "%s", why);
    cr_assert_str_eq(s.common.metrics_listen, "");
    cr_assert_eq(s.common.metrics_allow_remote, 0);
    cr_assert_eq(s.common.metrics_admins.n, 0);
    pw_runtime_free_config(&pw_hss_role, &s);
}

Test(metrics_config, a_loopback_address_and_admins)
{
    hss_settings_t s;
    char why[512] = "";
    cr_assert_eq(load("[metrics]\nlisten = [::1]:9467\nadmins = ops@opa.example, noc@opa.example\n", &s, why,
                      sizeof why), PW_OK, "%s", why);
    cr_assert_str_eq(s.common.metrics_listen, "[::1]:9467");
    cr_assert_eq(s.common.metrics_admins.n, 2);
    cr_assert_str_eq(s.common.metrics_admins.items[1], "noc@opa.example");
    pw_runtime_free_config(&pw_hss_role, &s);
    cr_assert_eq(load("[metrics]\nlisten = 192.0.2.7:9467\nallow_remote = yes\n", &s, why, sizeof why), PW_OK,
                 "%s", why);
    pw_runtime_free_config(&pw_hss_role, &s);
}

Test(metrics_config, refusals_name_the_line)
{
    hss_settings_t s;
    char why[512] = "";
    char at[128];
    snprintf(at, sizeof at, "%s:10: [metrics] listen", path);
    cr_assert_eq(load("[metrics]\nlisten = 9464\n", &s, why, sizeof why), PW_ECONFIG);
    cr_assert_not_null(strstr(why, at), "%s", why);
    cr_assert_eq(load("[metrics]\nlisten = 0.0.0.0:9464\n", &s, why, sizeof why), PW_ECONFIG);
    cr_assert_not_null(strstr(why, at), "%s", why);
    cr_assert_not_null(strstr(why, "0.0.0.0 is not a loopback address"), "%s", why);
    cr_assert_eq(load("[metrics]\nlisten = 127.0.0.1:0\n", &s, why, sizeof why), PW_ECONFIG, "port 0");
    cr_assert_eq(load("[metrics]\nlisten = ::1:9464\n", &s, why, sizeof why), PW_ECONFIG, "IPv6 in brackets");
    snprintf(at, sizeof at, "%s:10: [metrics] admins", path);
    cr_assert_eq(load("[metrics]\nadmins = ops@opa.example/laptop\n", &s, why, sizeof why), PW_ECONFIG);
    cr_assert_not_null(strstr(why, at), "%s", why);
}
