/* notify.c: who may send the proxy notifications for this operator's watcher: a component of a network in [proxy] notify_from, with that network's signature, fresh (docs/protocol.md §5.2, §7). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy_int.h"
#include "address/pw_jid.h"
#include "core/pw_clock.h"

int pw_proxy_notify_sender_ok(const pw_proxy_t *p, const char *from,
                              char domain[PW_JID_PART_MAX + 1], const char **network, char *why,
                              size_t cap)
{
    const pw_proxy_settings_t *s = p->settings;

    /* only components speak for an operator: never a user of it */
    if (!pw_jid_is_component(from, domain, PW_JID_PART_MAX + 1)) {
        snprintf(why, cap, "%.1023s is not a component: notifications for %s come only from the "
                 "gateways of its peer networks", from ? from : "(no sender)", s->network);
        return 0;
    }
    if (!pw_peering_peers_find(s->notify_peers, domain, network)) {
        snprintf(why, cap, "%.1023s is in no network that may notify %s (its notify_from)", from,
                 s->network);
        return 0;
    }
    return 1;
}

pw_error_t pw_proxy_notify_signed(pw_proxy_t *p, const char *from_domain, xmpp_stanza_t *payload,
                                  pw_notify_t *n, const char *network, char *why, size_t cap)
{
    const pw_proxy_settings_t *s = p->settings;
    const pw_peering_key_t *key = pw_peering_peers_find(s->notify_peers, network, NULL);
    xmpp_stanza_t *sig = xmpp_stanza_get_child_by_name_and_ns(payload, "signature", PW_NS_CHAIN);
    char reason[512];
    pw_status_t rc;

    /* that network's operator signed it, for this proxy, from this sender */
    if (!sig || !key) {
        snprintf(why, cap, "the notification carries no signature of %s", network);
        return PW_ERR_NOT_AUTHORIZED;
    }
    rc = pw_peering_verify_notify(key, sig, network, n, from_domain, pw_component_jid(p->c), reason,
                                  sizeof reason);
    if (rc != PW_OK) {
        snprintf(why, cap, "bad operator signature: %s", reason);
        return rc == PW_ECRYPTO ? PW_ERR_INTERNAL_SERVER_ERROR : PW_ERR_NOT_AUTHORIZED;
    }
    /* fresh: its timestamp near the proxy's clock, its nonce not seen before */
    rc = pw_peering_replay_check(p->replay, network, xmpp_stanza_get_attribute(sig, "timestamp"),
                                 xmpp_stanza_get_attribute(sig, "nonce"), pw_clock_wall_ms(),
                                 reason, sizeof reason);
    if (rc == PW_EFULL || rc == PW_ENOMEM) {
        snprintf(why, cap, "the proxy of %s is overloaded: %s", s->network, reason);
        return PW_ERR_RESOURCE_CONSTRAINT;
    }
    if (rc != PW_OK) {
        snprintf(why, cap, "%s", reason);
        return PW_ERR_NOT_AUTHORIZED;
    }
    snprintf(n->network, sizeof n->network, "%s", network);
    return PW_ERR_NONE;
}
