/* pwt_accounts.h: the accounts and roster items a test has set for a private XMPP server, kept until the server stores them. */
#ifndef PWT_ACCOUNTS_H
#define PWT_ACCOUNTS_H

#include <stddef.h>

#include "core/pw_status.h"

/** Longest user name and password (bytes). */
#define PWT_ACCOUNTS_FIELD_MAX 256u
/** Longest roster item JID (bytes). */
#define PWT_ACCOUNTS_JID_MAX 1024u
/** Most users, and most roster items over all users (the trial's crowd, pwt_trial_opts_t, sets
 *  N × N authorisations; items are found by a linear search, so N past a few hundred is slow). */
#define PWT_ACCOUNTS_MAX 1048576u

/** Users (name, password) and roster items (owner, contact JID, subscription). Opaque. */
typedef struct pwt_accounts pwt_accounts_t;

/**
 * An empty set.
 * @param out receives it (caller destroys with pwt_accounts_destroy())
 * @return PW_OK; PW_EINVAL; PW_ENOMEM
 */
pw_status_t pwt_accounts_create(pwt_accounts_t **out);

/**
 * Add a user or change the password of one already set.
 * @param a the set
 * @param user node part (1..PWT_ACCOUNTS_FIELD_MAX bytes; stored as given)
 * @param password the password (1..PWT_ACCOUNTS_FIELD_MAX bytes)
 * @return PW_OK; PW_EINVAL; PW_EFULL past PWT_ACCOUNTS_MAX users; PW_ENOMEM
 */
pw_status_t pwt_accounts_set_user(pwt_accounts_t *a, const char *user, const char *password);

/**
 * Add, change or remove an item of a user's roster (the user need not be set).
 * @param a the set
 * @param user node part of the roster's owner (1..PWT_ACCOUNTS_FIELD_MAX bytes)
 * @param contact_jid bare JID of the item (1..PWT_ACCOUNTS_JID_MAX bytes)
 * @param subscription "none", "to", "from", "both", or "remove" to delete the item
 * @return PW_OK; PW_EINVAL; PW_EFULL past PWT_ACCOUNTS_MAX items; PW_ENOMEM
 */
pw_status_t pwt_accounts_set_item(pwt_accounts_t *a, const char *user, const char *contact_jid,
                                  const char *subscription);

/** @return how many users are set (0 for NULL) */
size_t pwt_accounts_user_count(const pwt_accounts_t *a);

/**
 * The i-th user, in the order they were first set.
 * @param a the set
 * @param i 0..pwt_accounts_user_count()-1
 * @param password receives the password (owned by the set; may be NULL)
 * @return the user name (owned by the set), or NULL when i is out of range
 */
const char *pwt_accounts_user(const pwt_accounts_t *a, size_t i, const char **password);

/**
 * Whether a user is set.
 * @param a the set
 * @param user node part
 * @return 1 if it is, 0 otherwise (or for NULL)
 */
int pwt_accounts_has_user(const pwt_accounts_t *a, const char *user);

/**
 * The k-th item of a user's roster, in the order set (removing an item may reorder them).
 * @param a the set
 * @param user the roster's owner
 * @param k 0, 1, ... until NULL comes back
 * @param subscription receives "none", "to", "from" or "both" (owned by the set; may be NULL)
 * @return the item's contact JID (owned by the set), or NULL past the last item
 */
const char *pwt_accounts_user_item(const pwt_accounts_t *a, const char *user, size_t k,
                                   const char **subscription);

/**
 * Free the set. NULL is fine.
 * @param a the set
 */
void pwt_accounts_destroy(pwt_accounts_t *a);

#endif /* PWT_ACCOUNTS_H */
