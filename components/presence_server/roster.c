/* roster.c: the roster get, the roster's verdict table and the one "from"/"both" verdict on a watcher (see roster.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "address/pw_jid.h"
#include "core/pw_text.h"
#include "xmpp/pw_stanza.h"
#include "roster.h"

#define NS_ROSTER "jabber:iq:roster"

xmpp_stanza_t *pw_presence_roster_request(xmpp_ctx_t *ctx, const char *presentity_jid)
{
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", NULL);
    char to[PW_JID_MAX + 1];

    if (!iq || !pw_stanza_add_child(iq, "query", NS_ROSTER)) {
        if (iq)
            xmpp_stanza_release(iq);
        return NULL;
    }
    pw_text_fold(presentity_jid, to, sizeof to);
    xmpp_stanza_set_to(iq, to);
    return iq;
}

/* The key a JID is compared by: its normalised bare JID, folded; 0 when it is no JID. */
static int jid_key(const char *jid, char *out, size_t cap)
{
    char bare[PW_JID_MAX + 1];
    if (!jid || !*jid || pw_jid_bare(jid, bare, sizeof bare) != PW_OK)
        return 0;
    pw_text_fold(bare, out, cap);
    return 1;
}

/* A roster <item/>'s key (jid_key() of its 'jid') into key; 0 when it is no item with a JID. */
static int item_key(xmpp_stanza_t *it, char *key, size_t cap)
{
    const char *name = xmpp_stanza_get_name(it);
    return xmpp_stanza_is_tag(it) && name && strcmp(name, "item") == 0 &&
           jid_key(xmpp_stanza_get_attribute(it, "jid"), key, cap);
}

/* Does the item let its contact see the user's presence (subscription from or both)? None, to
 * or an absent subscription (none) do not. */
static int item_allows(xmpp_stanza_t *it)
{
    const char *sub = xmpp_stanza_get_attribute(it, "subscription");
    return sub && (strcmp(sub, "from") == 0 || strcmp(sub, "both") == 0);
}

void pw_presence_contact_jid(const char *watcher_msisdn, const char *watcher_domain, char *out, size_t cap)
{
    snprintf(out, cap, "%s@%s", watcher_msisdn, watcher_domain);
}

pw_status_t pw_presence_roster_read(xmpp_stanza_t *response, pw_map_t **out)
{
    xmpp_stanza_t *query = response ? xmpp_stanza_get_child_by_ns(response, NS_ROSTER) : NULL;
    pw_map_t *m = NULL;
    char key[PW_JID_MAX + 1];

    *out = NULL;
    if (pw_map_create(&m) != PW_OK)
        return PW_ENOMEM;
    for (xmpp_stanza_t *it = query ? xmpp_stanza_get_children(query) : NULL; it;
         it = xmpp_stanza_get_next(it)) {
        uintptr_t v, old;
        if (!item_key(it, key, sizeof key))
            continue;
        /* another item for the same JID may still allow */
        v = item_allows(it) ? PW_PRESENCE_ALLOWED : PW_PRESENCE_DECLINED;
        old = (uintptr_t)pw_map_get(m, key);
        if (v + 1 > old && pw_map_put(m, key, (void *)(v + 1), NULL) != PW_OK) {
            pw_map_destroy(m);
            return PW_ENOMEM;
        }
    }
    *out = m;
    return PW_OK;
}

/* The verdict the table holds for one JID. */
static uintptr_t verdict_for(const pw_map_t *roster, const char *jid)
{
    char key[PW_JID_MAX + 1];
    uintptr_t v;
    if (!jid_key(jid, key, sizeof key))
        return 0;
    v = (uintptr_t)pw_map_get(roster, key);
    return v ? v - 1 : 0;
}

pw_presence_verdict_t pw_presence_roster_verdict(const pw_map_t *roster, const char *watcher_msisdn,
                                                 const char *watcher_domain, const char *watcher_jid)
{
    char contact[PW_JID_MAX + 1];
    uintptr_t a, b;
    pw_presence_contact_jid(watcher_msisdn, watcher_domain, contact, sizeof contact);
    a = verdict_for(roster, contact);
    b = verdict_for(roster, watcher_jid);
    return (pw_presence_verdict_t)(a > b ? a : b);
}

/* The approved, unnamed item of jid in a roster result, or NULL. */
static xmpp_stanza_t *unnamed_approved_item(xmpp_stanza_t *response, const char *jid)
{
    xmpp_stanza_t *query = response ? xmpp_stanza_get_child_by_ns(response, NS_ROSTER) : NULL;
    char want[PW_JID_MAX + 1], key[PW_JID_MAX + 1];

    if (!query || !jid_key(jid, want, sizeof want))
        return NULL;
    for (xmpp_stanza_t *it = xmpp_stanza_get_children(query); it; it = xmpp_stanza_get_next(it)) {
        const char *name;
        if (!item_key(it, key, sizeof key) || strcmp(key, want) != 0)
            continue;
        name = xmpp_stanza_get_attribute(it, "name");
        return item_allows(it) && (!name || !*name) ? it : NULL;
    }
    return NULL;
}

xmpp_stanza_t *pw_presence_roster_naming(xmpp_ctx_t *ctx, xmpp_stanza_t *response,
                                         const char *presentity_jid, const char *contact_jid,
                                         const char *name)
{
    xmpp_stanza_t *old = unnamed_approved_item(response, contact_jid), *iq = NULL, *query, *item;
    char to[PW_JID_MAX + 1];

    if (!old || !name || !*name)
        return NULL;
    iq = xmpp_iq_new(ctx, "set", NULL);
    if (!iq || !(query = pw_stanza_add_child(iq, "query", NS_ROSTER)) ||
        !(item = pw_stanza_add_child(query, "item", NULL)))
        goto fail;
    pw_text_fold(presentity_jid, to, sizeof to);
    xmpp_stanza_set_to(iq, to);
    xmpp_stanza_set_attribute(item, "jid", xmpp_stanza_get_attribute(old, "jid"));
    xmpp_stanza_set_attribute(item, "name", name);
    /* a roster set replaces the item whole: her groups go along */
    for (xmpp_stanza_t *g = xmpp_stanza_get_children(old); g; g = xmpp_stanza_get_next(g)) {
        const char *el = xmpp_stanza_get_name(g);
        xmpp_stanza_t *copy;
        int added;
        if (!xmpp_stanza_is_tag(g) || !el || strcmp(el, "group") != 0)
            continue;
        if (!(copy = xmpp_stanza_copy(g)))
            goto fail;
        added = xmpp_stanza_add_child(item, copy) == XMPP_EOK;
        xmpp_stanza_release(copy);
        if (!added)
            goto fail;
    }
    return iq;
fail:
    if (iq)
        xmpp_stanza_release(iq);
    return NULL;
}
