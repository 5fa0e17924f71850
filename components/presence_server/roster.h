/* roster.h: reading a presentity's roster through the server (XEP-0356 §5) and the one "from"/"both" verdict on a watcher (RFC 6121 §2.1.2.5). */
#ifndef PS_ROSTER_H
#define PS_ROSTER_H

#include <strophe.h>

#include "core/pw_map.h"
#include "core/pw_status.h"

/** What a presentity's roster says about a watcher (ordered: a higher value wins). */
typedef enum pw_presence_verdict {
    PW_PRESENCE_NO_ITEM = 0,  /**< no item for the watcher: approval not yet asked or given */
    PW_PRESENCE_DECLINED = 1, /**< an item with subscription none or to: declined or revoked */
    PW_PRESENCE_ALLOWED = 2   /**< an item with subscription from or both */
} pw_presence_verdict_t;

/**
 * The roster get sent to the server on behalf of a presentity (XEP-0356 §5).
 * @param ctx the libstrophe context
 * @param presentity_jid the presentity's bare JID (any case: it is folded)
 * @return a new IQ of type get (the caller releases it), or NULL when out of memory
 */
xmpp_stanza_t *pw_presence_roster_request(xmpp_ctx_t *ctx, const char *presentity_jid);

/**
 * A watcher's contact JID at the own Watcher Application: <msisdn>@<watcher domain>, the JID
 * a presentity's roster holds for it.
 * @param watcher_msisdn the watcher's MSISDN
 * @param watcher_domain the own Watcher Application's domain
 * @param out receives the JID (truncated to cap - 1 characters)
 * @param cap the size of out
 */
void pw_presence_contact_jid(const char *watcher_msisdn, const char *watcher_domain, char *out, size_t cap);

/**
 * Read a roster result into a verdict table: each item's bare JID (normalised and folded)
 * with the highest verdict of its items.
 * @param response the roster result (its <query xmlns='jabber:iq:roster'/>; none: empty)
 * @param out receives the table (free with pw_map_destroy(); values are verdict + 1 cast to
 *        a pointer, nothing to free)
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_presence_roster_read(xmpp_stanza_t *response, pw_map_t **out);

/**
 * The verdict on a watcher (docs/protocol.md §2.4): the highest of the items for its contact
 * JID at the own Watcher Application (<msisdn>@<watcher domain>) and for its own bare JID.
 * Localparts compare in ASCII case-insensitively, as servers store roster JIDs case-mapped
 * (RFC 7622 §3.3).
 * @param roster a table from pw_presence_roster_read()
 * @param watcher_msisdn the watcher's MSISDN
 * @param watcher_domain the own Watcher Application's domain
 * @param watcher_jid the watcher's bare JID
 * @return the verdict
 */
pw_presence_verdict_t pw_presence_roster_verdict(const pw_map_t *roster, const char *watcher_msisdn,
                                                 const char *watcher_domain, const char *watcher_jid);

/**
 * The roster set that names a watcher's item once the presentity approved it (XEP-0356 §5,
 * RFC 6121 §2.3): only for an item of the contact JID with subscription from or both and no
 * name. The set carries the item's groups unchanged and no 'subscription' (the server keeps it).
 * @param ctx the libstrophe context
 * @param response the roster result read on the presentity's behalf
 * @param presentity_jid her bare JID (the set's 'to')
 * @param contact_jid the watcher's contact JID at the own Watcher Application
 * @param name the name to give (pw_approval_name())
 * @return a new IQ of type set (the caller releases it); NULL when there is nothing to name
 *         (no such item, not approved, already named) or when out of memory
 */
xmpp_stanza_t *pw_presence_roster_naming(xmpp_ctx_t *ctx, xmpp_stanza_t *response,
                                         const char *presentity_jid, const char *contact_jid,
                                         const char *name);

#endif /* PS_ROSTER_H */
