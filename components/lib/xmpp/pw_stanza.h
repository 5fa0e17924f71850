/* pw_stanza.h: stanza helpers: RFC 6120 stanza errors, reply builders and small accessors. */
#ifndef PW_STANZA_H
#define PW_STANZA_H

#include <stddef.h>
#include <strophe.h>

#include "core/pw_status.h"

/** Peerwatch's client-facing namespace (DESIGN.md §3). */
#define PW_NS "urn:peerwatch:0"
/** RFC 6120 §8.3 stanza error namespace. */
#define PW_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

/** The RFC 6120 §8.3.3 defined conditions Peerwatch uses, each with its usual error type. */
typedef enum pw_error {
    PW_ERR_NONE = 0,
    PW_ERR_BAD_REQUEST,             /* modify */
    PW_ERR_CONFLICT,                /* cancel */
    PW_ERR_FEATURE_NOT_IMPLEMENTED, /* cancel */
    PW_ERR_FORBIDDEN,               /* auth */
    PW_ERR_INTERNAL_SERVER_ERROR,   /* wait */
    PW_ERR_ITEM_NOT_FOUND,          /* cancel */
    PW_ERR_JID_MALFORMED,           /* modify */
    PW_ERR_NOT_ACCEPTABLE,          /* modify */
    PW_ERR_NOT_ALLOWED,             /* cancel */
    PW_ERR_NOT_AUTHORIZED,          /* auth */
    PW_ERR_PAYMENT_REQUIRED,        /* auth */
    PW_ERR_RECIPIENT_UNAVAILABLE,   /* wait */
    PW_ERR_REMOTE_SERVER_NOT_FOUND, /* cancel */
    PW_ERR_REMOTE_SERVER_TIMEOUT,   /* wait */
    PW_ERR_RESOURCE_CONSTRAINT,     /* wait */
    PW_ERR_SERVICE_UNAVAILABLE,     /* cancel */
    PW_ERR_SUBSCRIPTION_REQUIRED,   /* auth */
    PW_ERR_UNDEFINED_CONDITION,     /* cancel */
    PW_ERR_MAX
} pw_error_t;

/**
 * @param cond a condition
 * @return its element name ("bad-request"), static; "undefined-condition" for unknown values
 */
const char *pw_error_name(pw_error_t cond);

/**
 * @param cond a condition
 * @return its usual error type ("modify", "cancel", "auth" or "wait"), static
 */
const char *pw_error_type(pw_error_t cond);

/**
 * Map an element name to a condition.
 * @param name e.g. "item-not-found"
 * @return the condition, or PW_ERR_UNDEFINED_CONDITION when the name is not one of ours
 */
pw_error_t pw_error_from_name(const char *name);

/**
 * Build the error reply to a stanza (RFC 6120 §8.3): to/from swapped, same id and
 * type='error', with <error type=...><condition/><text xml:lang='en'>text</text></error>.
 * @param request the stanza answered (not modified)
 * @param cond the condition
 * @param text a readable explanation (may be NULL: no <text/>)
 * @return a new stanza the caller releases, or NULL on allocation failure
 */
xmpp_stanza_t *pw_stanza_error_reply(xmpp_stanza_t *request, pw_error_t cond, const char *text);

/**
 * Read the condition and text of an error stanza.
 * @param stanza a stanza of type 'error'
 * @param text receives the <text/> content (empty when none), truncated to cap
 * @return the condition (PW_ERR_UNDEFINED_CONDITION when missing or unknown)
 */
pw_error_t pw_stanza_error_parse(xmpp_stanza_t *stanza, char *text, size_t cap);

/**
 * Build an empty result reply to an IQ (to/from swapped, same id).
 * @return a new stanza the caller releases, or NULL
 */
xmpp_stanza_t *pw_stanza_result_reply(xmpp_stanza_t *iq);

/**
 * Create an element (not attached to anything).
 * @param ctx the libstrophe context
 * @param name element name
 * @param ns namespace, or NULL for none (a child then inherits its parent's)
 * @return the element (the caller releases it), or NULL when out of memory
 */
xmpp_stanza_t *pw_stanza_element(xmpp_ctx_t *ctx, const char *name, const char *ns);

/**
 * Create a child element and append it.
 * @param parent the element to add to
 * @param name element name
 * @param ns namespace, or NULL to inherit
 * @return the child (owned by parent: do not release), or NULL
 */
xmpp_stanza_t *pw_stanza_add_child(xmpp_stanza_t *parent, const char *name, const char *ns);

/**
 * Create a child element holding text and append it.
 * @return the child (owned by parent), or NULL
 */
xmpp_stanza_t *pw_stanza_add_text_child(xmpp_stanza_t *parent, const char *name, const char *ns,
                                        const char *text);

/**
 * Create a child element holding text, give it one attribute and append it
 * (<text xml:lang="en">, <note type="info">).
 * @param parent the element to add to
 * @param name element name
 * @param ns namespace, or NULL to inherit
 * @param text its text
 * @param attr the attribute's name
 * @param value the attribute's value
 * @return the child (owned by parent), or NULL when out of memory
 */
xmpp_stanza_t *pw_stanza_add_text_child_attr(xmpp_stanza_t *parent, const char *name, const char *ns,
                                             const char *text, const char *attr, const char *value);

/**
 * The text of the first child element with this name (and namespace if given).
 * @param buf receives the text, truncated to cap ("" when absent)
 * @return buf
 */
const char *pw_stanza_child_text(xmpp_stanza_t *parent, const char *name, const char *ns,
                                 char *buf, size_t cap);

/**
 * The first element child of a stanza (the payload of an IQ).
 * @return the child (borrowed), or NULL when there is none
 */
xmpp_stanza_t *pw_stanza_payload(xmpp_stanza_t *stanza);

/**
 * Count the element children (an IQ get/set must have exactly one, RFC 6120 §8.2.3).
 */
size_t pw_stanza_element_count(xmpp_stanza_t *stanza);

#endif /* PW_STANZA_H */
