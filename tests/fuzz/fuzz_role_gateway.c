/* fuzz_role_gateway.c: libFuzzer target: one stanza delivered to the Gateway Presence Server (peerwatch-gateway) on the in-memory transport. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_util.h"
#include "gateway.h"
#include "chain/pw_enquiry.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"

static pw_gateway_settings_t fz_settings;
static pw_peering_key_t *fz_key; /* opa's private key: signs enquiries whose IQ id starts "sign" */

static void fz_configure(void);
static void fz_sign(xmpp_stanza_t *iq);
static char *fz_presence_servers[] = { "ps1.opb.example" };

static pwf_target_t fz_target = {
    .program = "fuzz-gateway",
    .opts = { .jid = "gateway.opb.example", .name = "peerwatch-gateway", .version = "0",
              .disco_category = "component", .disco_type = "presence",
              .disco_name = "fuzz gateway", .iq_timeout_ms = 5000 },
    .every = 10000, /* inputs per gateway: bounds the replay and rate tables */
    .step_ms = 6000, /* past the gateway's HSS and PS timeouts (5 s each) */
    .configure = fz_configure,
    .lifecycle = &pw_gateway_role,
    .settings = &fz_settings,
    .prepare = fz_sign,
};

/* opb's gateway keeping HSS answers, one peer (opa) whose key signs the enquiries fz_sign() completes. */
static void fz_configure(void)
{
    char why[256];
    memset(&fz_settings, 0, sizeof fz_settings);
    fz_settings.network = "opb.example";
    fz_settings.hss = "hss.opb.example";
    fz_settings.max_skew_ms = 300000;
    fz_settings.max_nonces = 1000;
    fz_settings.rate_per_peer = 200;
    fz_settings.max_in_flight = 4096;
    fz_settings.hss_cache = 64; /* answers kept, dropped on <changed/> (seed hss_changed) */
    if (pw_peering_peers_create(&fz_settings.peers) != PW_OK ||
        pw_peering_peers_add(fz_settings.peers, "opa.example", PWT_SRCDIR "/conf/keys/opa.example.pub", why,
                             sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz_role_gateway: %s\n", why);
        __builtin_trap();
    }
    if (pw_peering_key_load_private(PWT_TREE "/conf/keys/opa.example.key", &fz_key, why, sizeof why) != PW_OK ||
        pw_peering_key_load_private(PWT_TREE "/conf/keys/opb.example.key", &fz_settings.key, why,
                                    sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz_role_gateway: %s\n", why);
        __builtin_trap();
    }
    /* notifications (signed with opb's key on the way out) only from ps1 */
    fz_settings.presence_servers.items = fz_presence_servers;
    fz_settings.presence_servers.n = 1;
}

/*
 * An IQ whose id starts with "sign" and that carries a chain enquiry without a signature gets
 * opa's signature (as the proxy would make it, for the IQ's from and to), so that the fuzzer
 * reaches what lies behind the signature check: replay, rate, the HSS and PS steps.
 */
static void fz_sign(xmpp_stanza_t *iq)
{
    char from_dom[PW_JID_MAX + 1], to_dom[PW_JID_MAX + 1], why[256];
    xmpp_stanza_t *el = pwf_to_sign(iq, "enquiry", from_dom, to_dom, sizeof from_dom), *sig;
    pw_enquiry_t e;
    pw_error_t cond;

    if (!el || pw_enquiry_parse(el, &e, &cond, why, sizeof why) != PW_OK)
        return;
    sig = pw_peering_sign(fz_target.role.ctx, fz_key, e.watcher_network, &e, from_dom, to_dom,
                          (uint64_t)time(NULL) * 1000u);
    if (sig) {
        xmpp_stanza_add_child(el, sig);
        xmpp_stanza_release(sig);
    }
}

PWF_ROLE_TARGET(fz_target)
