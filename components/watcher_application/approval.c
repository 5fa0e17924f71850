/* approval.c: approval requests from the own presence servers (docs/protocol.md §2.5) turned into
 * RFC 6121 §3.1 subscription requests from the watcher's contact JID (with XEP-0172 nick); the answers arrive in roster.c,
 * which reports each decision back to the presence servers (pw_watcher_approval_decided()). */
#include "watcher_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chain/pw_enquiry.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

#define TEXT_MAX (PW_JID_MAX + 1024)

/* Is the sender one of the configured presence servers (a component JID)? */
static int from_presence_server(const pw_watcher_t *wa, xmpp_stanza_t *iq)
{
    const pw_config_list_t *ps = &wa->settings->presence_servers;
    return pw_jid_is_named_component(xmpp_stanza_get_from(iq), ps->items, ps->n);
}

/* A bare user JID attribute ("local@domain", no resource), normalised into out. */
static int user_jid_attr(xmpp_stanza_t *el, const char *name, char *out, size_t cap)
{
    const char *v = xmpp_stanza_get_attribute(el, name);
    return v && !strchr(v, '/') && pw_jid_bare(v, out, cap) == PW_OK && strchr(out, '@');
}

/* The request's attributes: NULL when they are good (presentity and watcher_jid then hold the
 * normalised bare JIDs), else what is wrong with the first bad one (a bad-request). */
static const char *bad_attributes(xmpp_stanza_t *el, const char *msisdn,
                                  char presentity[PW_JID_MAX + 1], char watcher_jid[PW_JID_MAX + 1])
{
    if (!user_jid_attr(el, "presentity", presentity, PW_JID_MAX + 1))
        return "'presentity' must be the presentity's bare JID";
    if (!pw_msisdn_is_e164(msisdn))
        return "'watcher-msisdn' must be an E.164 number such as +447700900001";
    if (!user_jid_attr(el, "watcher-jid", watcher_jid, PW_JID_MAX + 1))
        return "'watcher-jid' must be the watcher's bare JID";
    return NULL;
}

/* The <presence type='subscribe'/> asking the presentity to approve the watcher. */
static xmpp_stanza_t *subscribe_request(pw_watcher_t *wa, const char *from, const char *to,
                                        const char *msisdn, const char *watcher_jid)
{
    xmpp_stanza_t *p = xmpp_presence_new(pw_component_ctx(wa->c));
    char domain[PW_JID_PART_MAX + 1], nick[TEXT_MAX], status[2 * TEXT_MAX];

    if (!p)
        return NULL;
    if (pw_jid_domain(watcher_jid, domain, sizeof domain) != PW_OK)
        snprintf(domain, sizeof domain, "?");
    pw_approval_name(msisdn, watcher_jid, nick, sizeof nick);
    snprintf(status, sizeof status, "%s (%s, operator %s) asks to see your presence.", msisdn,
             watcher_jid, domain);
    xmpp_stanza_set_type(p, "subscribe");
    xmpp_stanza_set_from(p, from);
    xmpp_stanza_set_to(p, to);
    if (!pw_stanza_add_text_child(p, "nick", PW_WATCHER_NS_NICK, nick) ||
        !pw_stanza_add_text_child(p, "status", NULL, status)) {
        xmpp_stanza_release(p);
        return NULL;
    }
    return p;
}

static void on_approval(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg)
{
    pw_watcher_t *wa = arg;
    char presentity[PW_JID_MAX + 1], watcher_jid[PW_JID_MAX + 1], contact[PW_JID_MAX + 1];
    const char *msisdn = xmpp_stanza_get_attribute(el, "watcher-msisdn");
    xmpp_stanza_t *presence = NULL;
    pw_address_t a;
    pw_error_t cond = PW_ERR_NONE;
    const char *text = NULL;

    if (!from_presence_server(wa, iq)) {
        cond = PW_ERR_FORBIDDEN;
        text = "only this operator's presence servers may request approvals";
        goto done;
    }
    text = bad_attributes(el, msisdn, presentity, watcher_jid);
    if (text) {
        cond = PW_ERR_BAD_REQUEST;
        goto done;
    }
    memset(&a, 0, sizeof a);
    a.kind = PW_ADDRESS_MSISDN;
    snprintf(a.msisdn, sizeof a.msisdn, "%s", msisdn);
    if (pw_watcher_contact_jid(&a, pw_component_jid(c), contact, sizeof contact) != PW_OK ||
        !(presence = subscribe_request(wa, contact, presentity, msisdn, watcher_jid))) {
        cond = PW_ERR_INTERNAL_SERVER_ERROR;
        text = "the subscription request could not be made";
        goto done;
    }
    if (pw_component_send(c, presence) != PW_OK) {
        cond = PW_ERR_INTERNAL_SERVER_ERROR;
        text = "the subscription request could not be sent";
        goto done;
    }
    pw_info(xmpp_stanza_get_id(iq), "approval: asked %s to let %s (%s) see their presence",
            presentity, contact, watcher_jid);
    pw_component_reply_result(c, iq);
done:
    if (presence)
        xmpp_stanza_release(presence);
    if (cond != PW_ERR_NONE)
        pw_component_reply_error(c, iq, cond, text);
}

static void on_decided_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg)
{
    char text[TEXT_MAX] = "";
    (void)c;
    (void)arg;
    if (outcome == PW_IQ_ERROR)
        pw_stanza_error_parse(response, text, sizeof text);
    if (outcome == PW_IQ_ERROR || outcome == PW_IQ_TIMEOUT)
        pw_warn(NULL, "a presence server did not take a decision (%s): the watcher's pending "
                "subscription waits for its expiry", outcome == PW_IQ_TIMEOUT ? "no answer" : text);
}

void pw_watcher_approval_decided(pw_watcher_t *wa, const char *presentity, const char *msisdn)
{
    const pw_config_list_t *ps = &wa->settings->presence_servers;
    xmpp_ctx_t *ctx = pw_component_ctx(wa->c);

    for (size_t i = 0; i < ps->n; i++) {
        xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL), *el;
        int sent = 0;
        if (iq && (el = pw_stanza_add_child(iq, "decided", PW_NS_CHAIN)) != NULL) {
            xmpp_stanza_set_to(iq, ps->items[i]);
            xmpp_stanza_set_attribute(el, "presentity", presentity);
            xmpp_stanza_set_attribute(el, "watcher-msisdn", msisdn);
            sent = pw_component_send_iq(wa->c, iq, 0, on_decided_answer, NULL) == PW_OK;
        }
        if (!sent)
            pw_warn(NULL, "the decision of %s about %s could not be reported to %s", presentity,
                    msisdn, ps->items[i]);
        if (iq)
            xmpp_stanza_release(iq);
    }
}

pw_status_t pw_watcher_approval_register(pw_watcher_t *wa)
{
    return pw_component_on_iq(wa->c, PW_NS_CHAIN, "approval", PW_IQ_SET, on_approval, wa);
}
