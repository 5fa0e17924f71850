/* accounts.c: the accounts and roster items a test has set for a private XMPP server, kept until the server stores them. */
#include "pwt_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A user (key: name, value: password) or a roster item (key: owner, value: contact JID). */
typedef struct entry {
    char *key;
    char *value;
    char subscription[8];
} entry_t;

/* A growing array of entries. */
typedef struct entries {
    entry_t *v;
    size_t n;
} entries_t;

struct pwt_accounts {
    entries_t users;
    entries_t items;
};

/* Whether s has 1..max bytes. */
static int bounded(const char *s, size_t max)
{
    return s && *s && strlen(s) <= max;
}

/* The index of the entry with this key (and value, unless value is NULL), or es->n. */
static size_t find(const entries_t *es, const char *key, const char *value)
{
    size_t i;
    for (i = 0; i < es->n; i++) {
        if (strcmp(es->v[i].key, key) == 0 && (!value || strcmp(es->v[i].value, value) == 0))
            break;
    }
    return i;
}

/* Set entry i of es (es->n: append) to key/value/subscription. */
static pw_status_t put(entries_t *es, size_t i, const char *key, const char *value,
                       const char *subscription)
{
    char *v = strdup(value);
    if (!v)
        return PW_ENOMEM;
    if (i == es->n) {
        entry_t *grown;
        char *k;
        if (es->n >= PWT_ACCOUNTS_MAX) {
            free(v);
            return PW_EFULL;
        }
        grown = realloc(es->v, (es->n + 1) * sizeof *grown);
        k = grown ? strdup(key) : NULL;
        if (grown)
            es->v = grown;
        if (!k) {
            free(v);
            return PW_ENOMEM;
        }
        es->v[es->n].key = k;
        es->v[es->n].value = NULL;
        es->n++;
    }
    free(es->v[i].value);
    es->v[i].value = v;
    snprintf(es->v[i].subscription, sizeof es->v[i].subscription, "%s", subscription);
    return PW_OK;
}

/* Free all entries. */
static void clear(entries_t *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->v[i].key);
        free(es->v[i].value);
    }
    free(es->v);
    es->v = NULL;
    es->n = 0;
}

pw_status_t pwt_accounts_create(pwt_accounts_t **out)
{
    if (!out)
        return PW_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? PW_OK : PW_ENOMEM;
}

pw_status_t pwt_accounts_set_user(pwt_accounts_t *a, const char *user, const char *password)
{
    if (!a || !bounded(user, PWT_ACCOUNTS_FIELD_MAX) || !bounded(password, PWT_ACCOUNTS_FIELD_MAX))
        return PW_EINVAL;
    return put(&a->users, find(&a->users, user, NULL), user, password, "");
}

pw_status_t pwt_accounts_set_item(pwt_accounts_t *a, const char *user, const char *contact_jid,
                                  const char *subscription)
{
    static const char *const valid[] = { "none", "to", "from", "both", "remove" };
    int known = 0;
    size_t i;

    if (!a || !bounded(user, PWT_ACCOUNTS_FIELD_MAX) ||
        !bounded(contact_jid, PWT_ACCOUNTS_JID_MAX) || !subscription)
        return PW_EINVAL;
    for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
        known |= strcmp(subscription, valid[i]) == 0;
    if (!known)
        return PW_EINVAL;
    i = find(&a->items, user, contact_jid);
    if (strcmp(subscription, "remove") != 0)
        return put(&a->items, i, user, contact_jid, subscription);
    if (i < a->items.n) {
        free(a->items.v[i].key);
        free(a->items.v[i].value);
        a->items.v[i] = a->items.v[--a->items.n];
    }
    return PW_OK;
}

size_t pwt_accounts_user_count(const pwt_accounts_t *a)
{
    return a ? a->users.n : 0;
}

const char *pwt_accounts_user(const pwt_accounts_t *a, size_t i, const char **password)
{
    if (!a || i >= a->users.n)
        return NULL;
    if (password)
        *password = a->users.v[i].value;
    return a->users.v[i].key;
}

int pwt_accounts_has_user(const pwt_accounts_t *a, const char *user)
{
    return a && user && find(&a->users, user, NULL) < a->users.n;
}

const char *pwt_accounts_user_item(const pwt_accounts_t *a, const char *user, size_t k,
                                   const char **subscription)
{
    for (size_t i = 0; a && user && i < a->items.n; i++) {
        if (strcmp(a->items.v[i].key, user) != 0 || k-- > 0)
            continue;
        if (subscription)
            *subscription = a->items.v[i].subscription;
        return a->items.v[i].value;
    }
    return NULL;
}

void pwt_accounts_destroy(pwt_accounts_t *a)
{
    if (!a)
        return;
    clear(&a->users);
    clear(&a->items);
    free(a);
}
