/* pw_list.h: intrusive doubly linked lists with a head and a tail, the one way every area queues and unlinks its items. */
#ifndef PW_LIST_H
#define PW_LIST_H

#include <stddef.h>

/** A link embedded in an item that can be listed; both NULL while the item is in no list. */
typedef struct pw_link {
    struct pw_link *prev, *next;
} pw_link_t;

/** A list: its first and last links, both NULL when it is empty (zero-initialise it). */
typedef struct pw_list {
    pw_link_t *head, *tail;
} pw_list_t;

/**
 * The item a link is embedded in.
 * @param link a link, or NULL
 * @param offset where the link lies in the item (offsetof)
 * @return the item, or NULL for a NULL link
 */
static inline void *pw_list_item_at(pw_link_t *link, size_t offset)
{
    return link ? (void *)((char *)link - offset) : NULL;
}

/** The item of type `type` whose link `member` is `link` (NULL for a NULL link). */
#define PW_LIST_ITEM(link, type, member) ((type *)pw_list_item_at((link), offsetof(type, member)))

/**
 * Insert an item after another one, or first (its link must be in no list).
 * @param l the list
 * @param at the link to insert after, or NULL to insert at the head
 * @param n the item's link
 */
static inline void pw_list_insert_after(pw_list_t *l, pw_link_t *at, pw_link_t *n)
{
    n->prev = at;
    n->next = at ? at->next : l->head;
    if (n->next)
        n->next->prev = n;
    else
        l->tail = n;
    if (at)
        at->next = n;
    else
        l->head = n;
}

/**
 * Append an item (its link must be in no list).
 * @param l the list
 * @param n the item's link
 */
static inline void pw_list_push_back(pw_list_t *l, pw_link_t *n)
{
    pw_list_insert_after(l, l->tail, n);
}

/**
 * Prepend an item (its link must be in no list).
 * @param l the list
 * @param n the item's link
 */
static inline void pw_list_push_front(pw_list_t *l, pw_link_t *n)
{
    pw_list_insert_after(l, NULL, n);
}

/**
 * Take an item out of the list; its link is then NULL/NULL. An item in no list (its link
 * NULL/NULL, as after a pw_list_unlink()) stays as it is.
 * @param l the list holding n, if any list does
 * @param n the item's link
 */
static inline void pw_list_unlink(pw_list_t *l, pw_link_t *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else if (l->head == n)
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else if (l->tail == n)
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

/**
 * Take every item out at once: the list is empty afterwards, and the items stay chained to
 * each other through their links (walk them from the returned link by ->next).
 * @param l the list
 * @return its former first link, or NULL
 */
static inline pw_link_t *pw_list_take_all(pw_list_t *l)
{
    pw_link_t *head = l->head;
    l->head = l->tail = NULL;
    return head;
}

#endif /* PW_LIST_H */
