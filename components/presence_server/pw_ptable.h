/* pw_ptable.h: the Presence Server's presentity table: bare JID -> available resources, and the RFC 6121 aggregate. */
#ifndef PW_PTABLE_H
#define PW_PTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "chain/pw_enquiry.h"
#include "core/pw_status.h"

/*
 * RFC 6121 §4.7.2 (show, status, priority) and §4.7.2.3 / §8.5.2.1 (the aggregate): each
 * presentity (a bare JID, keyed in ASCII lower case) holds its available resources; an
 * unavailable presence removes the resource, and a presentity without resources is forgotten.
 * The aggregate is the available resource with the highest priority, ties going to the one
 * updated most recently; a negative priority still counts as available.
 */

/** The bounds of a table. */
typedef struct pw_ptable_limits {
    size_t max_presentities; /**< presentities with at least one resource (0: 1000000) */
    size_t max_resources;    /**< resources per presentity; the least recently updated is
                                  dropped for a new one (0: 16) */
    size_t max_status;       /**< bytes kept of a <status/> text, cut at a UTF-8 boundary
                                  (0: 1023, and never more than 1023) */
} pw_ptable_limits_t;

/** A presentity table. Opaque. */
typedef struct pw_ptable pw_ptable_t;

/**
 * Create an empty table.
 * @param out receives the table (pw_ptable_destroy())
 * @param limits the bounds (copied), or NULL for the defaults
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_ptable_create(pw_ptable_t **out, const pw_ptable_limits_t *limits);

/**
 * Destroy a table and everything it holds.
 * @param t the table, or NULL
 */
void pw_ptable_destroy(pw_ptable_t *t);

/**
 * Change the bounds (they apply to later updates; nothing is dropped now).
 * @param t the table
 * @param limits the new bounds (copied; NULL: the defaults)
 */
void pw_ptable_set_limits(pw_ptable_t *t, const pw_ptable_limits_t *limits);

/**
 * Record one resource's presence.
 * @param t the table
 * @param bare the presentity's bare JID (local@domain; case is folded)
 * @param resource the resource ("" for a presence from the bare JID)
 * @param available 1 for an available presence, 0 for unavailable (removes the resource)
 * @param priority RFC 6121 priority, clamped to -128..127
 * @param show "", "away", "chat", "dnd" or "xa" (anything else is taken as "")
 * @param status the status text or NULL (copied, cut to max_status bytes)
 * @param changed receives 1 when the presentity's aggregate state changed (may be NULL)
 * @return PW_OK; PW_EINVAL (bad JID); PW_EFULL (a new presentity beyond max_presentities:
 *         not recorded); PW_ENOMEM
 */
pw_status_t pw_ptable_set(pw_ptable_t *t, const char *bare, const char *resource, int available,
                          int priority, const char *show, const char *status, int *changed);

/**
 * Record a <presence/> stanza from a user's full JID: no type is available, type
 * 'unavailable' removes the resource, every other type (probe, subscribe, error, ...) is
 * ignored. Reads <show/>, the first <status/> and <priority/> (absent or malformed: 0).
 * @param t the table
 * @param presence the stanza (not kept)
 * @param bare receives the presentity's bare JID in lower case (may be NULL)
 * @param cap size of bare
 * @param changed receives 1 when the presentity's aggregate state changed (may be NULL)
 * @return PW_OK (also for an ignored type); PW_EINVAL (no user JID in 'from'); PW_EFULL;
 *         PW_ENOMEM
 */
pw_status_t pw_ptable_apply(pw_ptable_t *t, xmpp_stanza_t *presence, char *bare, size_t cap,
                            int *changed);

/**
 * The aggregate state of a presentity.
 * @param t the table
 * @param bare the bare JID (case is folded)
 * @param out receives the state: available=0, show "" and status "" when it has no resource
 */
void pw_ptable_state(const pw_ptable_t *t, const char *bare, pw_presence_state_t *out);

/**
 * @param t the table
 * @param bare a bare JID
 * @return the number of available resources of that presentity
 */
size_t pw_ptable_resources(const pw_ptable_t *t, const char *bare);

/** @return the number of presentities with at least one available resource */
size_t pw_ptable_count(const pw_ptable_t *t);

/**
 * Forget every presentity of a domain (the server resends their presence), or of all
 * domains.
 * @param t the table
 * @param domain the domain (case-insensitive), or NULL for everything
 * @return the number of presentities forgotten
 */
size_t pw_ptable_clear(pw_ptable_t *t, const char *domain);

#endif /* PW_PTABLE_H */
