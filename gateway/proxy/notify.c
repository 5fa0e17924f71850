/* notify.c: the proxy's part of notifications (docs/protocol.md §5.2): accept them from the
 * gateways of the networks in [proxy] notify_from, pass them to this operator's watcher, and
 * relay the watcher's acknowledgement (or its item-not-found: the watcher is gone) back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_int.h"
#include "pw_enquiry.h"
#include "pw_jid.h"
#include "pw_log.h"

typedef struct proxy_notify {
    xmpp_stanza_t *req;
} proxy_notify_t;

/* Is the sender's domain one of the notify_from networks or a subdomain of one? */
static int sender_may_notify(const pw_proxy_settings_t *s, const char *from)
{
    char domain[PW_JID_PART_MAX + 1];
    size_t dl;
    if (!from || pw_jid_domain(from, domain, sizeof domain) != PW_OK)
        return 0;
    dl = strlen(domain);
    for (size_t i = 0; i < s->notify_from.n; i++) {
        const char *net = s->notify_from.items[i];
        size_t nl = strlen(net);
        if (strcasecmp(domain, net) == 0 ||
            (dl > nl + 1 && domain[dl - nl - 1] == '.' && strcasecmp(domain + dl - nl, net) == 0))
            return 1;
    }
    return 0;
}

static void on_watcher_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg)
{
    proxy_notify_t *pn = arg;
    if (outcome == PW_IQ_CANCELLED)
        pw_component_reply_error(c, pn->req, PW_ERR_SERVICE_UNAVAILABLE, "the proxy is shutting down");
    else
        pw_enquiry_relay(c, pn->req, outcome, response,
                         "the watcher application did not acknowledge the notification in time");
    xmpp_stanza_release(pn->req);
    free(pn);
}

void pw_proxy_on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_proxy_t *p = arg;
    const pw_proxy_settings_t *s = p->settings;
    pw_notify_t n;
    char why[512];
    xmpp_stanza_t *fwd, *el;
    proxy_notify_t *pn;

    if (!sender_may_notify(s, xmpp_stanza_get_from(iq))) {
        snprintf(why, sizeof why, "notifications for %s are accepted only from the gateways of its peer networks",
                 s->network);
        pw_component_reply_error(c, iq, PW_ERR_NOT_AUTHORIZED, why);
        return;
    }
    if (pw_notify_parse(payload, &n, why, sizeof why) != PW_OK) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        return;
    }
    if (strcasecmp(n.proxy, pw_component_jid(c)) != 0) {
        snprintf(why, sizeof why, "this notification is for %s, not for this proxy", n.proxy);
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, why);
        return;
    }
    pn = calloc(1, sizeof *pn);
    fwd = xmpp_iq_new(pw_component_ctx(c), "set", NULL);
    el = pw_notify_build(pw_component_ctx(c), &n);
    if (!pn || !fwd || !el) {
        free(pn);
        if (fwd)
            xmpp_stanza_release(fwd);
        if (el)
            xmpp_stanza_release(el);
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    xmpp_stanza_set_to(fwd, s->watcher);
    xmpp_stanza_add_child(fwd, el);
    xmpp_stanza_release(el);
    pn->req = xmpp_stanza_clone(iq);
    pw_debug(xmpp_stanza_get_id(iq), "notification %u of %s -> %s", (unsigned)n.seq, n.subscription, s->watcher);
    if (pw_component_send_iq(c, fwd, 0, on_watcher_answer, pn) != PW_OK) {
        pw_component_reply_error(c, iq, PW_ERR_SERVICE_UNAVAILABLE, "the proxy is not connected");
        xmpp_stanza_release(pn->req);
        free(pn);
    }
    xmpp_stanza_release(fwd);
}
