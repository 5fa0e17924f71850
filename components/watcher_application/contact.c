/* contact.c: contact JIDs at the WA (DESIGN.md §2): "<E.164>@<WA domain>" or "<XEP-0106 escaped JID>@<WA domain>". */
#include "watcher.h"

#include <stdio.h>
#include <string.h>

#include "address/pw_jid.h"

pw_status_t pw_watcher_contact_jid(const pw_address_t *a, const char *wa_domain, char *out,
                                   size_t cap)
{
    char node[PW_JID_PART_MAX + 1];
    pw_status_t rc;
    int n;

    if (!out || cap == 0)
        return PW_EINVAL;
    out[0] = '\0';
    if (!a || !wa_domain || !pw_jid_is_domain(wa_domain))
        return PW_EINVAL;
    rc = pw_address_to_node(a, node, sizeof node);
    if (rc != PW_OK)
        return rc;
    n = snprintf(out, cap, "%s@%s", node, wa_domain);
    if (n < 0 || (size_t)n >= cap || (size_t)n > PW_JID_MAX) {
        out[0] = '\0';
        return PW_ERANGE;
    }
    return PW_OK;
}
