/* test_proxy_lifecycle.c: the proxy's configuration (examples, trial template, refusals), reload, and shutdown with enquiries in flight. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_lifecycle, PWT_TREE);

/* ---- shutdown ---- */

Test(proxy_lifecycle, shutdown_answers_enquiries_in_flight)
{
    char text[256];
    size_t sent;

    pwfake_proxy_script_opb_gateways(drv, 60);
    pwfake_proxy_ask_bob(drv, "d1"); /* will wait for a gateway */
    pwfake_proxy_pump(drv);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
    pwfake_resolver_set_delay(drv->dns, 10000);
    pwfake_proxy_deliver(drv, "d2", PWFAKE_PROXY_WATCHER, "+447700900001", NULL); /* waits for ENUM */
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 2);
    cr_assert_eq(pwfake_resolver_pending(drv->dns), 1);
    sent = pwfake_transport_sent_count(drv->fc->fake);

    pw_proxy_destroy(drv->proxy);
    drv->proxy = NULL;
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent + 2, "both answered");
    for (size_t i = sent; i < sent + 2; i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(drv->fc->fake, i);
        const char *id = pwfake_attr(s, "id");
        cr_assert_str_eq(pwfake_attr(s, "type"), "error");
        cr_assert_str_eq(pwfake_attr(s, "to"), PWFAKE_PROXY_WATCHER);
        cr_assert(strcmp(id, "d1") == 0 || strcmp(id, "d2") == 0, "%s", id);
        cr_assert_eq(pw_stanza_error_parse(s, text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
        cr_assert_str_eq(text, "the presence proxy of opa.example is shutting down");
    }
    cr_assert_eq(pw_component_pending_iqs(drv->fc->comp), 0);
    /* the orphaned lookup is answered (and freed) when the resolver goes */
    pwfake_proxy_advance(drv, 10000);
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent + 2);
}

Test(proxy_lifecycle, shutdown_with_its_own_resolver_answers_dns_waiters)
{
    pw_proxy_t *own = NULL;
    char text[256];
    free(drv->settings.dns_servers);
    drv->settings.dns_servers = strdup("127.0.0.1:9"); /* nobody answers: the lookup stays pending */
    pw_proxy_destroy(drv->proxy);
    drv->proxy = NULL;
    cr_assert_eq(pw_proxy_create(&own, drv->fc->comp, &drv->settings), PW_OK);
    pwfake_proxy_deliver(drv, "o1", PWFAKE_PROXY_WATCHER, PWFAKE_PROXY_BOB, NULL);
    cr_assert_eq(pw_proxy_in_flight(own), 1);
    pw_proxy_destroy(own);
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "o1", text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert(strstr(text, "shutting down"), "%s", text);
}

/* ---- reload ---- */

Test(proxy_lifecycle, reload_switches_settings_and_new_cache_bounds_empty_the_cache)
{
    pw_proxy_settings_t fresh;
    char text[2048], why[1024];

    pwfake_proxy_script_opb_gateways(drv, 3600);
    pwfake_proxy_ask_bob(drv, "r1");
    pwfake_proxy_pump(drv);
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 2);

    /* same file with a different cache_size and gateway_timeout */
    snprintf(text, sizeof text,
             "[component]\njid = " PWFAKE_PROXY_JID "\nsecret = s\n[proxy]\nnetwork = opa.example\n"
             "watcher = " PWFAKE_PROXY_WATCHER "\nsigning_key = %s/conf/keys/opa.example.key\ngateway_timeout = 2s\n"
             "cache_size = 10\n[prefixes]\n+1 = opb.example\n", PWT_TREE);
    cr_assert_eq(pwfake_proxy_load_text(&fresh, text, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_proxy_reload(drv->proxy, &fresh), PW_OK);

    pwfake_proxy_ask_bob(drv, "r2");
    pwfake_proxy_pump(drv);
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), 4, "the cache was emptied");
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW1, NULL, 0);
    pwfake_proxy_advance(drv, 2000); /* the new gateway_timeout */
    pwfake_proxy_expect_gateway_enquiry(drv, PWFAKE_PROXY_GW2, NULL, 0);

    /* back to the original settings before they are freed */
    cr_assert_eq(pw_proxy_reload(drv->proxy, &drv->settings), PW_OK);
    pw_runtime_free_config(&pw_proxy_role, &fresh);
}

/* ---- configuration ---- */

Test(proxy_lifecycle, example_configs_load_with_the_documented_defaults)
{
    static const char *const files[][2] = { { "conf/proxy-opa.conf", "opa.example" },
                                            { "conf/proxy-opb.conf", "opb.example" } };
    char why[1024];

    cr_assert_eq(chdir(PWT_TREE), 0); /* conf/ there holds the secrets at mode 0640 */
    for (size_t i = 0; i < 2; i++) {
        pw_proxy_settings_t s;
        memset(&s, 0, sizeof s);
        cr_assert_eq(pw_runtime_load_config(&pw_proxy_role, files[i][0], &s, why, sizeof why), PW_OK,
                     "%s", why);
        cr_assert_str_eq(s.network, files[i][1]);
        cr_assert_not_null(s.key, "the signing key is loaded with the configuration");
        cr_assert_str_eq(s.dns_servers, "");
        cr_assert_eq(s.dns_timeout_ms, 2000);
        cr_assert_eq(s.dns_tries, 2);
        cr_assert_str_eq(s.enum_suffix, "e164.arpa");
        cr_assert_str_eq(s.gateway_service, "_presence-gw._tcp");
        cr_assert_eq(s.gateway_timeout_ms, 12000);
        cr_assert_eq(s.notify_from.n, 2, "the other network and our own may notify");
        cr_assert_eq(s.cache_min_ttl_ms, 1000);
        cr_assert_eq(s.cache_max_ttl_ms, 3600000);
        cr_assert_eq(s.negative_ttl_ms, 60000);
        cr_assert_eq(s.cache_size, 100000);
        cr_assert_str_eq(pw_proxy_prefix_network(&s, "+447700900001"), "opa.example");
        cr_assert_str_eq(pw_proxy_prefix_network(&s, "+12025550123"), "opb.example");
        pw_runtime_free_config(&pw_proxy_role, &s);
    }
}

/* Render conf/trial/proxy.conf as the trial harness does. */
static void render_trial(char *out, size_t cap)
{
    static const char *const vars[] = {
        "@JID@", "proxy.opa.example", "@SECRET@", "s3cret", "@SERVER@", "127.0.0.2",
        "@PORT@", "5347", "@LOGLEVEL@", "debug", "@NETWORK@", "opa.example",
        "@WATCHER@", "watcher.opa.example", "@KEY@", PWT_TREE "/conf/keys/opa.example.key",
        "@DNS@", "127.0.0.1:5353", "@PEER_NETWORK@", "opb.example",
        "@KEY_DIR@", PWT_TREE "/conf/keys", NULL
    };
    char path[512], line[1024];
    FILE *f;
    size_t used = 0;

    snprintf(path, sizeof path, "%s/conf/trial/proxy.conf", PWT_SRCDIR);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        char rendered[1024] = "";
        const char *p = line;
        while (*p) {
            int done = 0;
            for (size_t v = 0; vars[v]; v += 2) {
                size_t n = strlen(vars[v]);
                if (strncmp(p, vars[v], n) == 0) {
                    strncat(rendered, vars[v + 1], sizeof rendered - strlen(rendered) - 1);
                    p += n;
                    done = 1;
                    break;
                }
            }
            if (!done) {
                size_t r = strlen(rendered);
                if (line[0] != '#')
                    cr_assert_neq(*p, '@', "unknown placeholder in: %s", line);
                if (r + 1 < sizeof rendered) {
                    rendered[r] = *p;
                    rendered[r + 1] = '\0';
                }
                p++;
            }
        }
        used += (size_t)snprintf(out + used, cap - used, "%s", rendered);
        cr_assert_lt(used, cap);
    }
    fclose(f);
}

Test(proxy_lifecycle, trial_template_renders_to_a_valid_configuration)
{
    pw_proxy_settings_t s;
    char text[4096], why[1024];

    render_trial(text, sizeof text);
    cr_assert_eq(pwfake_proxy_load_text(&s, text, why, sizeof why), PW_OK, "%s\n%s", why, text);
    cr_assert_str_eq(s.dns_servers, "127.0.0.1:5353");
    cr_assert_eq(s.negative_ttl_ms, 2000);
    cr_assert_eq(s.gateway_timeout_ms, 8000);
    cr_assert_eq(s.notify_from.n, 2, "both networks may notify");
    cr_assert_eq(s.common.reconnect_min_ms, 100);
    cr_assert_eq(s.common.reconnect_max_ms, 2000);
    cr_assert_str_eq(pw_proxy_prefix_network(&s, "+447700900001"), "opa.example");
    cr_assert_str_eq(pw_proxy_prefix_network(&s, "+12025550123"), "opb.example");
    cr_assert_null(pw_proxy_prefix_network(&s, "+33123456789"));
    pw_runtime_free_config(&pw_proxy_role, &s);
}

Test(proxy_lifecycle, bad_configurations_are_refused_with_a_reason)
{
    static const struct {
        const char *extra; /* appended after signing_key */
        const char *prefixes;
        const char *says;
    } cases[] = {
        { "dns_servers = localhost:53\n", "", "dns_servers" },
        { "dns_servers = 127.0.0.1:53,\n", "", "dns_servers" },
        { "dns_servers = 127.0.0.1:99999\n", "", "dns_servers" },
        { "cache_min_ttl = 2h\ncache_max_ttl = 1h\n", "", "cache_min_ttl" },
        { "", "4477009 = opa.example\n", "prefix" },
        { "", "+44a = opa.example\n", "prefix" },
        { "", "+0044 = opa.example\n", "prefix" },
        { "", "+44 = not a domain\n", "network domain" },
        { "", "+44 = opa.example\n+44 = opb.example\n", "+44" },
    };
    char text[2048], why[1024];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pw_proxy_settings_t s;
        snprintf(text, sizeof text,
                 "[component]\njid = " PWFAKE_PROXY_JID "\nsecret = s\n[proxy]\nnetwork = opa.example\n"
                 "watcher = " PWFAKE_PROXY_WATCHER "\nsigning_key = %s/conf/keys/opa.example.key\n%s[prefixes]\n%s",
                 PWT_TREE, cases[i].extra, cases[i].prefixes);
        cr_assert_neq(pwfake_proxy_load_text(&s, text, why, sizeof why), PW_OK, "case %zu accepted", i);
        cr_assert(strstr(why, cases[i].says), "case %zu: %s", i, why);
        cr_assert_null(s.key);
        cr_assert_null(s.prefixes);
    }
}

Test(proxy_lifecycle, signing_key_must_be_a_readable_private_key)
{
    static const char *const keys[] = { "conf/keys/opa.example.pub", "conf/keys/missing.key", "conf/proxy-opa.conf" };
    char text[2048], why[1024];

    for (size_t i = 0; i < 3; i++) {
        pw_proxy_settings_t s;
        snprintf(text, sizeof text,
                 "[component]\njid = " PWFAKE_PROXY_JID "\nsecret = s\n[proxy]\nnetwork = opa.example\n"
                 "watcher = " PWFAKE_PROXY_WATCHER "\nsigning_key = %s/%s\n", PWT_TREE, keys[i]);
        cr_assert_neq(pwfake_proxy_load_text(&s, text, why, sizeof why), PW_OK, "%s accepted", keys[i]);
        cr_assert(strstr(why, "signing_key"), "%s", why);
        cr_assert_null(s.key);
    }
    /* good server lists pass */
    {
        pw_proxy_settings_t s;
        snprintf(text, sizeof text,
                 "[component]\njid = " PWFAKE_PROXY_JID "\nsecret = s\n[proxy]\nnetwork = opa.example\n"
                 "watcher = " PWFAKE_PROXY_WATCHER "\nsigning_key = %s/conf/keys/opa.example.key\n"
                 "dns_servers = 127.0.0.1:5353, [::1]:53,192.0.2.1, ::1\n", PWT_TREE);
        cr_assert_eq(pwfake_proxy_load_text(&s, text, why, sizeof why), PW_OK, "%s", why);
        pw_runtime_free_config(&pw_proxy_role, &s);
    }
}
