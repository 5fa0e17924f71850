/* fuzz_enquiry.c: libFuzzer target: XML text -> stanza -> the chain parsers (enquiry, notify, state, stanza error) and back through the builders. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "chain/pw_enquiry.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

static xmpp_ctx_t *fz_ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-enquiry", PW_LOG_ERROR);
    xmpp_initialize();
    fz_ctx = xmpp_ctx_new(NULL, NULL);
    return 0;
}

/* Every parser on one element; what parses is built again and must parse again. */
static void fz_element(xmpp_stanza_t *el)
{
    pw_enquiry_t e, e2;
    pw_notify_t n, n2;
    pw_presence_state_t st;
    pw_error_t cond = PW_ERR_NONE;
    char why[256];
    xmpp_stanza_t *built;

    if (pw_enquiry_parse(el, &e, &cond, why, sizeof why) == PW_OK) {
        built = pw_enquiry_build(fz_ctx, &e);
        if (built) {
            if (pw_enquiry_parse(built, &e2, &cond, why, sizeof why) != PW_OK)
                __builtin_trap(); /* what we build we must read back */
            xmpp_stanza_release(built);
        }
        built = pw_enquiry_iq(fz_ctx, &e, "gateway.opb.example");
        if (built)
            xmpp_stanza_release(built);
    }
    if (pw_notify_parse(el, &n, why, sizeof why) == PW_OK) {
        built = pw_notify_build(fz_ctx, &n);
        if (built) {
            if (pw_notify_parse(built, &n2, why, sizeof why) != PW_OK)
                __builtin_trap();
            xmpp_stanza_release(built);
        }
    }
    if (pw_state_parse(el, &st) == PW_OK) {
        built = pw_state_build(fz_ctx, &st);
        if (built)
            xmpp_stanza_release(built);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml, text[512];
    xmpp_stanza_t *s, *child, *reply;

    if (size > PWF_MAX_INPUT || !fz_ctx)
        return 0;
    xml = pwf_cstr(data, size);
    if (!xml)
        return 0;
    s = xmpp_stanza_new_from_string(fz_ctx, xml);
    free(xml);
    if (!s)
        return 0;

    /* the stanza itself and each of its children (the payload of an IQ or message) */
    fz_element(s);
    for (child = xmpp_stanza_get_children(s); child; child = xmpp_stanza_get_next(child)) {
        if (xmpp_stanza_is_tag(child)) {
            fz_element(child);
            (void)pw_stanza_child_text(child, "status", NULL, text, sizeof text);
        }
    }
    (void)pw_stanza_error_parse(s, text, sizeof text);
    (void)pw_stanza_payload(s);
    (void)pw_stanza_element_count(s);
    reply = pw_stanza_error_reply(s, PW_ERR_BAD_REQUEST, "fuzz");
    if (reply)
        xmpp_stanza_release(reply);
    reply = pw_stanza_result_reply(s);
    if (reply)
        xmpp_stanza_release(reply);
    xmpp_stanza_release(s);
    return 0;
}
