/* notify.c: chain notifications at the WA (docs/protocol.md §5.2): checks, duplicates by seq, and the IQ route's
 * RFC 6121 §5.2.2 headline message with a readable body and <notify xmlns='urn:peerwatch:0'/>. */
#include "watcher_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

/* The headline of docs/protocol.md §5.2, to the watcher's bare JID (all its resources). */
static pw_status_t send_headline(pw_watcher_sub_t *sub, const pw_presence_state_t *st,
                                 const char *ended)
{
    xmpp_ctx_t *ctx = pw_component_ctx(sub->wa->c);
    xmpp_stanza_t *m = xmpp_message_new(ctx, "headline", sub->bare, NULL), *n, *el;
    char body[2 * PW_WATCHER_TEXT_MAX + 2200], change[PW_WATCHER_TEXT_MAX + 1100], end[PW_WATCHER_TEXT_MAX];
    pw_status_t rc = PW_ENOMEM;

    if (!m)
        return PW_ENOMEM;
    xmpp_stanza_set_from(m, sub->contact);
    /* the change, the end, or both (a 'next' ends with the change it waited for) */
    if (st)
        pw_watcher_state_text(sub->address, st, change, sizeof change);
    if (ended)
        pw_watcher_end_text(sub->address, ended, end, sizeof end);
    snprintf(body, sizeof body, "%s%s%s", st ? change : "", st && ended ? "\n" : "", ended ? end : "");
    if (!pw_stanza_add_text_child(m, "body", NULL, body))
        goto done;
    n = pw_stanza_add_child(m, "notify", PW_NS);
    if (!n)
        goto done;
    xmpp_stanza_set_attribute(n, "subscription", sub->id);
    if (ended)
        xmpp_stanza_set_attribute(n, "ended", ended);
    if (st) {
        el = pw_state_build(ctx, st);
        if (!el)
            goto done;
        xmpp_stanza_add_child(n, el);
        xmpp_stanza_release(el);
    }
    rc = pw_component_send(sub->wa->c, m);
done:
    xmpp_stanza_release(m);
    return rc;
}

/* Is the IQ from the configured proxy? */
static int from_proxy(const pw_watcher_t *wa, xmpp_stanza_t *iq)
{
    return pw_jid_is_named_component(xmpp_stanza_get_from(iq), &wa->settings->proxy, 1);
}

static void on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg)
{
    pw_watcher_t *wa = arg;
    const char *id = xmpp_stanza_get_attribute(el, "subscription");
    const char *seq_text = xmpp_stanza_get_attribute(el, "seq");
    const char *ended = xmpp_stanza_get_attribute(el, "ended");
    const char *network = xmpp_stanza_get_attribute(el, "network");
    xmpp_stanza_t *state_el = xmpp_stanza_get_child_by_name_and_ns(el, "state", PW_NS);
    pw_presence_state_t st, *stp = NULL;
    pw_watcher_sub_t *sub;
    char text[PW_WATCHER_TEXT_MAX];
    uint64_t seq = 0;
    size_t i;

    if (!from_proxy(wa, iq)) {
        snprintf(text, sizeof text, "only %s may send notifications here", wa->settings->proxy);
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN, text);
        return;
    }
    if (!id || !id[0] || strlen(id) > PW_ENQUIRY_SUBID_MAX) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "'subscription' must be a subscription id of at most 127 bytes");
        return;
    }
    for (i = 0; seq_text && seq_text[i] >= '0' && seq_text[i] <= '9' && i < 19; i++)
        seq = seq * 10 + (uint64_t)(seq_text[i] - '0');
    if (!seq_text || !seq_text[0] || seq_text[i] || seq == 0) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "'seq' must be a notification number from 1");
        return;
    }
    if (ended && !(ended = pw_notify_reason(ended))) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, "'ended' must be " PW_NOTIFY_REASONS);
        return;
    }
    if (state_el) {
        if (pw_state_parse(state_el, &st) != PW_OK) {
            pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, "the <state/> is malformed");
            return;
        }
        stp = &st;
    } else if (!ended) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "a notification carries a <state/> unless it has 'ended'");
        return;
    }
    sub = pw_map_get(wa->subs, id);
    if (!sub) {
        snprintf(text, sizeof text, "no subscription %s here: the watcher is gone", id);
        pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, text);
        return;
    }
    /* one peer cannot speak for another: the network that signed it (the proxy verified the
     * signature) must be the one the subscription was made through (docs/protocol.md §5.2) */
    if (sub->network[0] && (!network || strcasecmp(network, sub->network) != 0)) {
        snprintf(text, sizeof text, "subscription %s was made through %s: %s may not notify it", id,
                 sub->network, network ? network : "a notification without a network");
        pw_warn(xmpp_stanza_get_id(iq), "%s", text);
        pw_component_reply_error(c, iq, PW_ERR_NOT_AUTHORIZED, text);
        return;
    }
    if (seq <= sub->seq) {
        pw_debug(xmpp_stanza_get_id(iq), "notification %" PRIu64 " of %s already delivered", seq, id);
        pw_component_reply_result(c, iq);
        return;
    }
    pw_info(xmpp_stanza_get_id(iq), "notification %" PRIu64 " of %s for %s about %s%s%s", seq, id,
            sub->bare, sub->address, ended ? ": ended " : "", ended ? ended : "");
    pw_notify_count_sent(c); /* to the watcher's client */
    if (sub->route == PW_WATCHER_ROUTE_ROSTER) {
        sub->seq = seq;
        pw_watcher_roster_notify(sub, ended ? NULL : stp, ended); /* may forget sub */
    } else {
        if (send_headline(sub, stp, ended) != PW_OK)
            pw_warn(xmpp_stanza_get_id(iq), "the notification to %s could not be sent", sub->bare);
        if (ended) {
            pw_watcher_sub_forget(sub);
        } else {
            sub->seq = seq;
            pw_watcher_sub_save(sub);
        }
    }
    pw_watcher_commit(wa);
    pw_component_reply_result(c, iq);
}

pw_status_t pw_watcher_notify_register(pw_watcher_t *wa)
{
    return pw_component_on_iq(wa->c, PW_NS_CHAIN, "notify", PW_IQ_SET, on_notify, wa);
}
