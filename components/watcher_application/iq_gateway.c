/* iq_gateway.c: XEP-0100 §6.3 jabber:iq:gateway on the WA: the prompt for a phone number, and number -> contact JID. */
#include "watcher_int.h"

#include <stdio.h>
#include <string.h>

#include "address/pw_jid.h"
#include "xmpp/pw_stanza.h"

#define PROMPT_MAX 1024

static void on_gateway(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *query, void *arg)
{
    pw_watcher_t *wa = arg;
    const char *type = xmpp_stanza_get_type(iq);
    xmpp_stanza_t *answer = xmpp_stanza_new(pw_component_ctx(c));
    char prompt[PROMPT_MAX + 2], jid[PW_JID_MAX + 1], forms[512], text[1024];
    pw_error_t cond = PW_ERR_NONE;
    pw_address_t a;

    if (!answer) {
        cond = PW_ERR_INTERNAL_SERVER_ERROR;
        snprintf(text, sizeof text, "out of memory");
        goto done;
    }
    xmpp_stanza_set_name(answer, "query");
    xmpp_stanza_set_ns(answer, PW_WATCHER_NS_GATEWAY);
    if (strcmp(type, "get") == 0) {
        /* §6.3.1: how to ask the user for an address */
        pw_stanza_add_text_child(answer, "desc", NULL,
                                 "Enter the phone number (e.g. +12025550123) or the XMPP address of "
                                 "the person whose presence you want to see.");
        pw_stanza_add_text_child(answer, "prompt", NULL, "Phone number or address");
        goto done;
    }
    /* §6.3.2: the legacy address in <prompt/> becomes a JID */
    pw_stanza_child_text(query, "prompt", NULL, prompt, sizeof prompt);
    if (strlen(prompt) > PROMPT_MAX || pw_address_parse(prompt, &wa->rules, &a) != PW_OK ||
        pw_watcher_contact_jid(&a, pw_component_jid(c), jid, sizeof jid) != PW_OK) {
        cond = PW_ERR_JID_MALFORMED;
        snprintf(text, sizeof text, "'%.64s' is not a valid address: %s", prompt,
                 pw_watcher_address_forms(wa, forms, sizeof forms));
        goto done;
    }
    pw_stanza_add_text_child(answer, "jid", NULL, jid);
done:
    if (cond != PW_ERR_NONE)
        pw_component_reply_error(c, iq, cond, text);
    else
        pw_component_reply_payload(c, iq, answer);
    if (answer)
        xmpp_stanza_release(answer);
}

pw_status_t pw_watcher_gateway_register(pw_watcher_t *wa)
{
    return pw_component_on_iq(wa->c, PW_WATCHER_NS_GATEWAY, "query", PW_IQ_GET | PW_IQ_SET,
                              on_gateway, wa);
}
