/* notify.c: who may send the proxy notifications for this operator's watcher: the gateways of the networks in [proxy] notify_from (docs/protocol.md §5.2). */
#include <string.h>
#include <strings.h>

#include "proxy_int.h"
#include "address/pw_jid.h"

int pw_proxy_notify_sender_ok(const pw_proxy_settings_t *s, const char *from)
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
