/* pw_watchers.h: the Presence Server's 'watchers' ad-hoc command (XEP-0050): a user lists who watches him (in the spirit of RFC 3857). */
#ifndef PW_WATCHERS_H
#define PW_WATCHERS_H

#include "xmpp/pw_component.h"
#include "core/pw_status.h"
#include "pw_subs.h"

/** The XEP-0050 node of the command. */
#define PW_WATCHERS_NODE "watchers"
/** Items listed at most in one answer (a note says when there are more). */
#define PW_WATCHERS_MAX_ITEMS 500

/** The command. Opaque. */
typedef struct pw_watchers pw_watchers_t;

/**
 * Decides whether a domain is one whose users this Presence Server serves.
 * @param arg the argument given to pw_watchers_create()
 * @param domain a domain (as in the sender's JID)
 * @return non-zero when its users may run the command
 */
typedef int (*pw_watchers_local_fn)(void *arg, const char *domain);

/**
 * Register the command on a component: XEP-0050 execution, the item in disco#items of node
 * http://jabber.org/protocol/commands and the commands feature in disco#info.
 * @param out receives the command (pw_watchers_destroy())
 * @param c the component (borrowed)
 * @param subs the subscriptions listed (borrowed)
 * @param local which senders are local users
 * @param arg passed to local
 * @return PW_OK, PW_EINVAL, PW_ENOMEM or PW_EFULL (no room for the feature)
 */
pw_status_t pw_watchers_create(pw_watchers_t **out, pw_component_t *c, pw_subs_t *subs,
                               pw_watchers_local_fn local, void *arg);

/**
 * Unregister (later requests get service-unavailable; disco#items answers empty) and free.
 * @param w the command, or NULL
 */
void pw_watchers_destroy(pw_watchers_t *w);

#endif /* PW_WATCHERS_H */
