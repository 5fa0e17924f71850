/* enquiry_address.c: where an enquiry is sent in protocol version 1 (the gateway method's
 * "B's_MSISDN@gateway_presence_server.Network_of_B", steps 4a and 7; docs/protocol.md §2.2-2.3),
 * built by the sender and checked by the receiver against the presentity the enquiry names. */
#include "chain/pw_enquiry.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "address/pw_address.h"

pw_status_t pw_enquiry_address(const pw_enquiry_t *e, const char *domain, char *out, size_t cap)
{
    pw_status_t st = PW_EINVAL;
    char node[PW_JID_PART_MAX + 1];
    pw_address_t a;
    int n;

    if (out && cap > 0)
        out[0] = '\0';
    if (!e || !domain || !out || !pw_jid_is_domain(domain))
        goto done;
    memset(&a, 0, sizeof a);
    if (e->presentity[0]) {
        a.kind = PW_ADDRESS_MSISDN;
        memcpy(a.msisdn, e->presentity, sizeof a.msisdn);
    } else {
        a.kind = PW_ADDRESS_JID;
        memcpy(a.jid, e->presentity_jid, sizeof a.jid);
    }
    /* the same node as the watcher's contact JIDs: the number, or the escaped bare JID */
    st = pw_address_to_node(&a, node, sizeof node);
    if (st != PW_OK)
        goto done;
    n = snprintf(out, cap, "%s@%s", node, domain);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        st = PW_ERANGE;
    }
done:
    return st;
}

pw_status_t pw_enquiry_address_check(const pw_enquiry_t *e, const char *to, char *why, size_t cap)
{
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1], resource[PW_JID_PART_MAX + 1];
    char jid[PW_JID_MAX + 1], want[PW_JID_MAX + 1];
    const char *named;
    pw_status_t st = PW_EINVAL;

    if (why && cap > 0)
        why[0] = '\0';
    if (!e || !why)
        goto done;
    if (!to || pw_jid_split(to, local, sizeof local, domain, sizeof domain, resource,
                            sizeof resource) != PW_OK) {
        snprintf(why, cap, "the enquiry is not addressed to a valid JID");
        goto done;
    }
    if (pw_enquiry_address(e, domain, want, sizeof want) != PW_OK)
        want[0] = '\0';
    if (!local[0]) {
        snprintf(why, cap, "version 1 addresses the presentity: send to %s",
                 want[0] ? want : "<presentity>@<domain>");
        goto done;
    }
    if (e->presentity[0] && strcmp(local, e->presentity) == 0) {
        st = PW_OK;
        goto done;
    }
    if (e->presentity_jid[0] && pw_jid_unescape_node(local, jid, sizeof jid) == PW_OK &&
        strcasecmp(jid, e->presentity_jid) == 0) {
        st = PW_OK;
        goto done;
    }
    named = e->presentity[0] ? e->presentity : e->presentity_jid;
    snprintf(why, cap, "the attribute and the address must agree or the stanza is refused: %s "
             "does not name the presentity %s%s%s", to, named, want[0] ? "; send to " : "", want);
done:
    return st;
}
