/* fuzz_address.c: libFuzzer target: presentity addresses, E.164 normalisation, JID splitting and the XEP-0106 escape/unescape round trip. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "address/pw_address.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "address/pw_msisdn.h"

static pw_msisdn_rules_t fz_uk; /* country code 44, trunk 0, international 00 */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-address", PW_LOG_ERROR);
    pw_msisdn_rules_init(&fz_uk);
    if (pw_msisdn_rules_set(&fz_uk, "44", "0", "00") != PW_OK)
        __builtin_trap();
    return 0;
}

static void fz_msisdn(const char *text, const pw_msisdn_rules_t *rules)
{
    char out[PW_MSISDN_MAX + 1], again[PW_MSISDN_MAX + 1], dom[128];
    if (pw_msisdn_normalize(text, rules, out) != PW_OK)
        return;
    /* a normalised number is canonical and normalises to itself */
    if (!pw_msisdn_is_e164(out))
        __builtin_trap();
    if (pw_msisdn_normalize(out, rules, again) != PW_OK || strcmp(out, again) != 0)
        __builtin_trap();
    if (pw_msisdn_enum_domain(out, NULL, dom, sizeof dom) != PW_OK)
        __builtin_trap();
}

static void fz_address(const char *text, const pw_msisdn_rules_t *rules)
{
    pw_address_t a, b;
    char node[PW_JID_MAX + 1];
    if (pw_address_parse(text, rules, &a) != PW_OK)
        return;
    /* the node of an address parses back to the same address (pw_address.h) */
    if (pw_address_to_node(&a, node, sizeof node) != PW_OK)
        return;
    if (pw_address_parse(node, rules, &b) != PW_OK)
        __builtin_trap();
    if (a.kind != b.kind || strcmp(a.msisdn, b.msisdn) != 0 || strcmp(a.jid, b.jid) != 0 ||
        strcmp(a.domain, b.domain) != 0)
        __builtin_trap();
}

static void fz_jid(const char *text)
{
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1], res[PW_JID_PART_MAX + 1];
    char bare[PW_JID_MAX + 1], bare2[PW_JID_MAX + 1];
    pw_address_t a;

    if (pw_jid_split(text, local, sizeof local, domain, sizeof domain, res, sizeof res) == PW_OK) {
        /* the bare JID is a fixed point */
        if (pw_jid_bare(text, bare, sizeof bare) != PW_OK)
            __builtin_trap();
        if (pw_jid_bare(bare, bare2, sizeof bare2) != PW_OK || strcmp(bare, bare2) != 0)
            __builtin_trap();
        (void)pw_jid_is_domain(text);
        (void)pw_address_from_contact_jid(text, "watcher.opa.example", &fz_uk, &a);
        if (domain[0])
            (void)pw_address_from_contact_jid(text, domain, NULL, &a);
    }
    (void)pw_jid_domain(text, domain, sizeof domain);
}

static void fz_escape(const char *text)
{
    char esc[PW_JID_PART_MAX + 1], back[PW_JID_MAX + 1], un[PW_JID_MAX + 1];
    /* XEP-0106: unescape(escape(x)) == x for every x escape accepts */
    if (pw_jid_escape_node(text, esc, sizeof esc) == PW_OK) {
        if (pw_jid_unescape_node(esc, back, sizeof back) != PW_OK || strcmp(back, text) != 0)
            __builtin_trap();
    }
    (void)pw_jid_unescape_node(text, un, sizeof un);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    if (size > PWF_MAX_INPUT)
        return 0;
    text = pwf_cstr(data, size);
    if (!text)
        return 0;
    fz_msisdn(text, NULL);
    fz_msisdn(text, &fz_uk);
    fz_address(text, NULL);
    fz_address(text, &fz_uk);
    fz_jid(text);
    fz_escape(text);
    free(text);
    return 0;
}
