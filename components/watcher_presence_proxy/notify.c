/* notify.c: the proxy's part of notifications (docs/protocol.md §5.2): accept them from the
 * gateways of the networks in [proxy] notify_from, pass them to this operator's watcher, and
 * relay the watcher's acknowledgement (or its item-not-found: the watcher is gone) back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_int.h"
#include "chain/pw_enquiry.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"

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

void pw_proxy_on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_proxy_t *p = arg;
    const pw_proxy_settings_t *s = p->settings;
    pw_notify_t n;
    char why[512];

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
    pw_notify_forward(c, iq, &n, s->watcher,
                      "the watcher application did not acknowledge the notification in time");
}
