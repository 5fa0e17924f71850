/* fuzz_role_proxy.c: libFuzzer target: one stanza delivered to the Watcher Presence Proxy (peerwatch-proxy) on the in-memory transport with a scripted resolver. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "proxy.h"
#include "core/pw_log.h"
#include "fake_resolver.h"

#define FZ_RECREATE 10000 /* inputs per proxy: bounds its DNS cache and the fake's counters */

#define FZ_CONFIG                                  \
    "[component]\n"                                \
    "jid = proxy.opa.example\n"                    \
    "secret = s\n"                                 \
    "[proxy]\n"                                    \
    "network = opa.example\n"                      \
    "watcher = watcher.opa.example\n"              \
    "signing_key = " PWT_SRCDIR "/conf/keys/opa.key\n" \
    "gateway_timeout = 6s\n"                       \
    "notify_from = opb.example\n"                  \
    "[prefixes]\n"                                 \
    "+4477009 = opa.example\n"                     \
    "+1202555 = opb.example\n"                     \
    "+1 = opd.example\n"

static pwf_role_t fz_role;
static pw_proxy_settings_t fz_settings;
static pwfake_resolver_t *fz_dns;
static pw_proxy_t *fz_proxy;
static unsigned fz_inputs;

static void fz_stop(void)
{
    pw_proxy_destroy(fz_proxy);
    fz_proxy = NULL;
    if (fz_dns)
        pw_resolver_destroy(pwfake_resolver_base(fz_dns));
    fz_dns = NULL;
    pwf_role_close(&fz_role);
}

static void fz_start(void)
{
    pw_component_opts_t o = { .jid = "proxy.opa.example", .name = "peerwatch-proxy", .version = "0",
                              .disco_category = pw_proxy_role.disco_category,
                              .disco_type = pw_proxy_role.disco_type,
                              .disco_name = pw_proxy_role.disco_name, .iq_timeout_ms = 20000 };
    pw_naptr_t bob = pwfake_resolver_naptr("E2U+xmpp", "!^.*$!xmpp:opb.example!");
    pw_srv_rr_t gws[2] = { pwfake_resolver_srv(20, "gateway.opb.example."), pwfake_resolver_srv(10, "gw1.opb.example") };

    if (pwf_role_open(&fz_role, &o) != 0 || pwfake_resolver_create(&fz_dns, fz_role.loop) != PW_OK)
        __builtin_trap();
    /* bob's number and opb's gateways resolve; everything else is NXDOMAIN */
    if (pwfake_resolver_script_naptr(fz_dns, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa", PW_OK, &bob, 1, 300) != PW_OK ||
        pwfake_resolver_script_srv(fz_dns, "_presence-gw._tcp.opb.example", PW_OK, gws, 2, 300) != PW_OK ||
        pw_proxy_create_with_resolver(&fz_proxy, fz_role.comp, &fz_settings, pwfake_resolver_base(fz_dns)) != PW_OK)
        __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[256], why[512];
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-proxy", PW_LOG_ERROR);
    if (pwf_write_file("proxy.conf", (const uint8_t *)FZ_CONFIG, strlen(FZ_CONFIG), path, sizeof path) != 0)
        __builtin_trap();
    memset(&fz_settings, 0, sizeof fz_settings);
    if (pw_runtime_load_config(&pw_proxy_role, path, &fz_settings, why, sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz_role_proxy: %s\n", why);
        __builtin_trap();
    }
    unlink(path);
    fz_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > PWF_MAX_INPUT)
        return 0;
    if (++fz_inputs % FZ_RECREATE == 0) {
        fz_stop();
        fz_start();
    }
    /* past the gateway timeout (6 s per SRV target, two targets) and the DNS answers */
    pwf_role_deliver(&fz_role, data, size, 13000);
    return 0;
}
