/* addresses.c: who is who at the WA: local users, presentity addresses and their contact JIDs (DESIGN.md §2), and how addresses and states read to people. */
#include "watcher_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

pw_status_t pw_watcher_contact_of(const pw_watcher_t *wa, const char *address, char *out, size_t cap)
{
    pw_address_t a;
    pw_status_t rc = pw_address_parse(address, &wa->rules, &a);
    if (rc != PW_OK) {
        if (cap)
            out[0] = '\0';
        return rc;
    }
    return pw_watcher_contact_jid(&a, pw_component_jid(wa->c), out, cap);
}

int pw_watcher_local_user(const pw_watcher_t *wa, const char *from, char *bare, size_t cap)
{
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1];

    if (!from || pw_jid_split(from, local, sizeof local, domain, sizeof domain, NULL, 0) != PW_OK ||
        !local[0] || strcasecmp(domain, wa->settings->domain) != 0)
        return 0;
    return (size_t)snprintf(bare, cap, "%s@%s", local, domain) < cap;
}

const char *pw_watcher_address_forms(const pw_watcher_t *wa, char *buf, size_t cap)
{
    if (wa->rules.country_code[0])
        snprintf(buf, cap, "an address is a phone number such as +12025550123 (national numbers "
                 "of +%s with the prefix '%s' too) or an XMPP address such as bob@opb.example "
                 "or bob\\40opb.example", wa->rules.country_code, wa->rules.trunk_prefix);
    else
        snprintf(buf, cap, "an address is a phone number in international form such as "
                 "+12025550123 or an XMPP address such as bob@opb.example or bob\\40opb.example");
    return buf;
}

const char *pw_watcher_display(const char *address, char *buf, size_t cap)
{
    if (address[0] == '+' || pw_jid_unescape_node(address, buf, cap) != PW_OK)
        snprintf(buf, cap, "%s", address);
    return buf;
}

const char *pw_watcher_state_text(const char *address, const pw_presence_state_t *st, char *buf,
                                  size_t cap)
{
    char who[PW_JID_MAX + 1];
    const char *word = "online";

    pw_watcher_display(address, who, sizeof who);
    if (!st->available)
        word = "offline";
    else if (strcmp(st->show, "away") == 0)
        word = "away";
    else if (strcmp(st->show, "chat") == 0)
        word = "free to chat";
    else if (strcmp(st->show, "dnd") == 0)
        word = "busy (dnd)";
    else if (strcmp(st->show, "xa") == 0)
        word = "away for a long time (xa)";
    if (st->status[0])
        snprintf(buf, cap, "%s is now %s: %s", who, word, st->status);
    else
        snprintf(buf, cap, "%s is now %s", who, word);
    return buf;
}
