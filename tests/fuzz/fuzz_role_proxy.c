/* fuzz_role_proxy.c: libFuzzer target: one stanza delivered to the Watcher Presence Proxy (peerwatch-proxy) on the in-memory transport with a scripted resolver. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fuzz_util.h"
#include "proxy.h"
#include "address/pw_jid.h"
#include "chain/pw_enquiry.h"
#include "core/pw_log.h"
#include "fake_resolver.h"

#define FZ_CONFIG                                  \
    "[component]\n"                                \
    "jid = proxy.opa.example\n"                    \
    "secret = s\n"                                 \
    "[proxy]\n"                                    \
    "network = opa.example\n"                      \
    "watcher = watcher.opa.example\n"              \
    "signing_key = " PWT_TREE "/conf/keys/opa.example.key\n" \
    "gateway_timeout = 6s\n"                       \
    "notify_from = opb.example\n"                  \
    "notify_keys = " PWT_TREE "/conf/keys\n"          \
    "[prefixes]\n"                                 \
    "+4477009 = opa.example\n"                     \
    "+1202555 = opb.example\n"                     \
    "+1 = opd.example\n"

static pw_proxy_settings_t fz_settings;
static pwfake_resolver_t *fz_dns;
static pw_proxy_t *fz_proxy;

static int fz_start(pwf_role_t *r)
{
    pw_naptr_t bob = pwfake_resolver_naptr("E2U+xmpp", "!^.*$!xmpp:opb.example!");
    pw_srv_rr_t gws[2] = { pwfake_resolver_srv(20, "gateway.opb.example."), pwfake_resolver_srv(10, "gw1.opb.example") };

    if (pwfake_resolver_create(&fz_dns, r->loop) != PW_OK)
        return -1;
    /* bob's number and opb's gateways resolve; everything else is NXDOMAIN */
    if (pwfake_resolver_script_naptr(fz_dns, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa", PW_OK, &bob, 1, 300) != PW_OK ||
        pwfake_resolver_script_srv(fz_dns, "_presence-gw._tcp.opb.example", PW_OK, gws, 2, 300) != PW_OK ||
        pw_proxy_create_with_resolver(&fz_proxy, r->comp, &fz_settings, pwfake_resolver_base(fz_dns)) != PW_OK)
        return -1;
    return 0;
}

static void fz_stop(void)
{
    pw_proxy_destroy(fz_proxy);
    fz_proxy = NULL;
    if (fz_dns)
        pw_resolver_destroy(pwfake_resolver_base(fz_dns));
    fz_dns = NULL;
}

static void fz_configure(void);
static void fz_sign(xmpp_stanza_t *iq);
static pw_peering_key_t *fz_opb_key; /* opb's, as its gateway signs notifications */

static pwf_target_t fz_target = {
    .program = "fuzz-proxy",
    .opts = { .jid = "proxy.opa.example", .name = "peerwatch-proxy", .version = "0",
              .iq_timeout_ms = 20000 }, /* the identity: the role's, set at the start */
    .every = 10000, /* inputs per proxy: bounds its DNS cache and the fake's counters */
    .step_ms = 13000, /* past the gateway timeout (6 s per SRV target, two targets) and the DNS answers */
    .configure = fz_configure,
    .start = fz_start,
    .stop = fz_stop,
    .prepare = fz_sign,
};

/* The identity is the role's own; the settings are FZ_CONFIG's. */
static void fz_configure(void)
{
    fz_target.opts.disco_category = pw_proxy_role.disco_category;
    fz_target.opts.disco_type = pw_proxy_role.disco_type;
    fz_target.opts.disco_name = pw_proxy_role.disco_name;
    char why[256];
    pwf_role_settings(&pw_proxy_role, &fz_settings, "%s", FZ_CONFIG);
    if (pw_peering_key_load_private(PWT_TREE "/conf/keys/opb.example.key", &fz_opb_key, why,
                                    sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz_role_proxy: %s\n", why);
        __builtin_trap();
    }
}

/*
 * An IQ whose id starts with "sign" and that carries a chain notification without a signature
 * gets opb's (as its gateway would make it, for the IQ's from and to), so that the fuzzer
 * reaches what lies behind the signature check: the replay guard and the relay to the WA.
 */
static void fz_sign(xmpp_stanza_t *iq)
{
    char from_dom[PW_JID_MAX + 1], to_dom[PW_JID_MAX + 1], why[256];
    xmpp_stanza_t *el = pwf_to_sign(iq, "notify", from_dom, to_dom, sizeof from_dom), *sig;
    pw_notify_t n;

    if (!el || pw_notify_parse(el, &n, why, sizeof why) != PW_OK)
        return;
    sig = pw_peering_sign_notify(fz_target.role.ctx, fz_opb_key, "opb.example", &n, from_dom, to_dom,
                                 (uint64_t)time(NULL) * 1000u);
    if (sig) {
        xmpp_stanza_add_child(el, sig);
        xmpp_stanza_release(sig);
    }
}

PWF_ROLE_TARGET(fz_target)
