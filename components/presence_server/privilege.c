/* privilege.c: what the XMPP server grants and forwards under XEP-0356 (Privileged Entity): the privileges it advertises (§4.2, urn:xmpp:privilege:1 and :2), its users' presences (§7) into the presentity table, and forgetting both when the link drops. */
#include <stdlib.h>
#include <string.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "presence_int.h"

#define NS_PRIV1 "urn:xmpp:privilege:1"
#define NS_PRIV2 "urn:xmpp:privilege:2"
#define PS_MAX_SERVERS 64 /* server domains whose privileges are remembered */

/* What one server domain granted. */
typedef struct ps_priv {
    unsigned bits;
    unsigned version;
} ps_priv_t;

/* pw_map_foreach() callback: remove and free every value of the map given as arg. */
static int drop_cb(const char *key, void *value, void *arg)
{
    pw_map_remove(arg, key);
    free(value);
    return 0;
}

/* XEP-0356 §4.2: <message from='server'><privilege><perm access=... type=.../></privilege></message>. */
static void on_message(pw_component_t *c, xmpp_stanza_t *msg, void *arg)
{
    pw_presence_t *ps = arg;
    const char *from = xmpp_stanza_get_from(msg), *type = xmpp_stanza_get_type(msg);
    xmpp_stanza_t *priv;
    unsigned version = 2, bits = 0;
    char domain[PW_JID_MAX + 1];
    ps_priv_t *p;
    (void)c;

    priv = xmpp_stanza_get_child_by_ns(msg, NS_PRIV2);
    if (!priv) {
        priv = xmpp_stanza_get_child_by_ns(msg, NS_PRIV1);
        version = 1;
    }
    if (!priv || !xmpp_stanza_get_name(priv) || strcmp(xmpp_stanza_get_name(priv), "privilege") != 0 ||
        (type && strcmp(type, "error") == 0))
        return;
    if (!pw_jid_is_domain(from) || pw_jid_bare(from, domain, sizeof domain) != PW_OK) {
        pw_warn(NULL, "privilege advertisement from '%s' ignored: not a server", from ? from : "");
        return;
    }
    for (xmpp_stanza_t *perm = xmpp_stanza_get_children(priv); perm; perm = xmpp_stanza_get_next(perm)) {
        const char *name = xmpp_stanza_get_name(perm), *access, *ptype;
        if (!xmpp_stanza_is_tag(perm) || !name || strcmp(name, "perm") != 0)
            continue;
        access = xmpp_stanza_get_attribute(perm, "access");
        ptype = xmpp_stanza_get_attribute(perm, "type");
        if (!access || !ptype)
            continue;
        if (strcmp(access, "roster") == 0 && (strcmp(ptype, "get") == 0 || strcmp(ptype, "both") == 0))
            bits |= PW_PRESENCE_PRIV_ROSTER_GET;
        if (strcmp(access, "roster") == 0 && (strcmp(ptype, "set") == 0 || strcmp(ptype, "both") == 0))
            bits |= PW_PRESENCE_PRIV_ROSTER_SET;
        if (strcmp(access, "presence") == 0 &&
            (strcmp(ptype, "managed_entity") == 0 || strcmp(ptype, "roster") == 0))
            bits |= PW_PRESENCE_PRIV_PRESENCE;
    }
    p = pw_map_get(ps->privs, domain);
    if (!p) {
        if (pw_map_count(ps->privs) >= PS_MAX_SERVERS) {
            pw_warn(NULL, "privileges of %s ignored: %d servers already known", domain, PS_MAX_SERVERS);
            return;
        }
        p = calloc(1, sizeof *p);
        if (!p || pw_map_put(ps->privs, domain, p, NULL) != PW_OK) {
            free(p);
            return;
        }
    }
    p->bits = bits;
    p->version = version;
    pw_info(NULL, "%s granted privileges (urn:xmpp:privilege:%u): roster get %s, roster set %s, presence %s",
            domain, version, bits & PW_PRESENCE_PRIV_ROSTER_GET ? "yes" : "NO",
            bits & PW_PRESENCE_PRIV_ROSTER_SET ? "yes" : "no",
            bits & PW_PRESENCE_PRIV_PRESENCE ? "yes" : "NO");
    if (!(bits & PW_PRESENCE_PRIV_ROSTER_GET))
        pw_warn(NULL, "%s did not grant roster get: enquiries about its users cannot be authorized",
                domain);
    if (!(bits & PW_PRESENCE_PRIV_PRESENCE))
        pw_warn(NULL, "%s did not grant presence: its users will all look unavailable", domain);
}

/* XEP-0356 §7: presences of the server's users, forwarded from their full JIDs. */
static void on_presence(pw_component_t *c, xmpp_stanza_t *pres, void *arg)
{
    pw_presence_t *ps = arg;
    const char *from = xmpp_stanza_get_from(pres);
    char domain[PW_JID_MAX + 1], bare[PW_JID_MAX + 1];
    const ps_priv_t *p;
    pw_status_t rc;
    int changed = 0;
    (void)c;

    if (!from || pw_jid_domain(from, domain, sizeof domain) != PW_OK)
        return;
    p = pw_map_get(ps->privs, domain);
    if (!p || !(p->bits & PW_PRESENCE_PRIV_PRESENCE)) {
        pw_debug(NULL, "presence from %s ignored: %s granted no presence privilege", from, domain);
        return;
    }
    rc = pw_ptable_apply(ps->table, pres, bare, sizeof bare, &changed);
    if (rc == PW_EFULL)
        pw_warn(NULL, "presence table full (%zu users): %s not recorded", pw_ptable_count(ps->table), from);
    else if (rc != PW_OK)
        pw_debug(NULL, "presence from %s ignored: %s", from, pw_strerror(rc));
    else if (changed) {
        pw_debug(NULL, "%s changed state", bare);
        pw_subs_changed(ps->subs, bare);
    }
}

/* Link down: forget presences and privileges; the server advertises both again, with the
 * current presence of every connected user, right after the component reconnects
 * (XEP-0356 §4.2, §7.1), and sends no unavailable presence for users who left meanwhile. */
static void on_link(pw_component_t *c, int online, void *arg)
{
    pw_presence_t *ps = arg;
    size_t forgotten;
    (void)c;
    if (online)
        return;
    forgotten = pw_ptable_clear(ps->table, NULL);
    pw_map_foreach(ps->privs, drop_cb, ps->privs);
    pw_info(NULL, "link down: forgetting %zu users' presences until the server resends them",
            forgotten);
}

pw_status_t pw_presence_privilege_start(pw_presence_t *ps)
{
    pw_status_t rc = pw_map_create(&ps->privs);
    if (rc != PW_OK)
        return rc;
    pw_component_on_message(ps->c, on_message, ps);
    pw_component_on_presence(ps->c, on_presence, ps);
    pw_component_on_link(ps->c, on_link, ps);
    return PW_OK;
}

void pw_presence_privilege_stop(pw_presence_t *ps)
{
    pw_component_on_message(ps->c, NULL, NULL);
    pw_component_on_presence(ps->c, NULL, NULL);
    pw_component_on_link(ps->c, NULL, NULL);
    if (ps->privs)
        pw_map_foreach(ps->privs, drop_cb, ps->privs);
    pw_map_destroy(ps->privs);
    ps->privs = NULL;
}

unsigned pw_presence_privileges(const pw_presence_t *ps, const char *domain, unsigned *version)
{
    char key[PW_JID_MAX + 1];
    const ps_priv_t *p;
    if (version)
        *version = 0;
    if (!ps || !ps->privs || !domain || pw_jid_bare(domain, key, sizeof key) != PW_OK)
        return 0;
    p = pw_map_get(ps->privs, key);
    if (!p)
        return 0;
    if (version)
        *version = p->version;
    return p->bits;
}
