/* stanza.c: RFC 6120 §8.3 stanza errors and small stanza builders over libstrophe. */
#include "xmpp/pw_stanza.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *type;
} error_table[PW_ERR_MAX] = {
    [PW_ERR_NONE] = { "undefined-condition", "cancel" },
    [PW_ERR_BAD_REQUEST] = { "bad-request", "modify" },
    [PW_ERR_CONFLICT] = { "conflict", "cancel" },
    [PW_ERR_FEATURE_NOT_IMPLEMENTED] = { "feature-not-implemented", "cancel" },
    [PW_ERR_FORBIDDEN] = { "forbidden", "auth" },
    [PW_ERR_INTERNAL_SERVER_ERROR] = { "internal-server-error", "wait" },
    [PW_ERR_ITEM_NOT_FOUND] = { "item-not-found", "cancel" },
    [PW_ERR_JID_MALFORMED] = { "jid-malformed", "modify" },
    [PW_ERR_NOT_ACCEPTABLE] = { "not-acceptable", "modify" },
    [PW_ERR_NOT_ALLOWED] = { "not-allowed", "cancel" },
    [PW_ERR_NOT_AUTHORIZED] = { "not-authorized", "auth" },
    [PW_ERR_PAYMENT_REQUIRED] = { "payment-required", "auth" },
    [PW_ERR_RECIPIENT_UNAVAILABLE] = { "recipient-unavailable", "wait" },
    [PW_ERR_REMOTE_SERVER_NOT_FOUND] = { "remote-server-not-found", "cancel" },
    [PW_ERR_REMOTE_SERVER_TIMEOUT] = { "remote-server-timeout", "wait" },
    [PW_ERR_RESOURCE_CONSTRAINT] = { "resource-constraint", "wait" },
    [PW_ERR_SERVICE_UNAVAILABLE] = { "service-unavailable", "cancel" },
    [PW_ERR_SUBSCRIPTION_REQUIRED] = { "subscription-required", "auth" },
    [PW_ERR_UNDEFINED_CONDITION] = { "undefined-condition", "cancel" },
};

const char *pw_error_name(pw_error_t cond)
{
    if ((unsigned)cond >= PW_ERR_MAX)
        cond = PW_ERR_UNDEFINED_CONDITION;
    return error_table[cond].name;
}

const char *pw_error_type(pw_error_t cond)
{
    if ((unsigned)cond >= PW_ERR_MAX)
        cond = PW_ERR_UNDEFINED_CONDITION;
    return error_table[cond].type;
}

pw_error_t pw_error_from_name(const char *name)
{
    if (!name)
        return PW_ERR_UNDEFINED_CONDITION;
    for (int i = PW_ERR_BAD_REQUEST; i < PW_ERR_MAX; i++) {
        if (strcmp(error_table[i].name, name) == 0)
            return (pw_error_t)i;
    }
    return PW_ERR_UNDEFINED_CONDITION;
}

xmpp_stanza_t *pw_stanza_element(xmpp_ctx_t *ctx, const char *name, const char *ns)
{
    xmpp_stanza_t *el = xmpp_stanza_new(ctx);
    if (!el)
        return NULL;
    xmpp_stanza_set_name(el, name);
    if (ns)
        xmpp_stanza_set_ns(el, ns);
    return el;
}

xmpp_stanza_t *pw_stanza_add_child(xmpp_stanza_t *parent, const char *name, const char *ns)
{
    xmpp_stanza_t *child = pw_stanza_element(xmpp_stanza_get_context(parent), name, ns);
    if (!child)
        return NULL;
    xmpp_stanza_add_child(parent, child); /* parent takes its own reference */
    xmpp_stanza_release(child);
    return child;
}

xmpp_stanza_t *pw_stanza_add_text_child(xmpp_stanza_t *parent, const char *name, const char *ns,
                                        const char *text)
{
    xmpp_stanza_t *child = pw_stanza_add_child(parent, name, ns), *body;
    if (!child)
        return NULL;
    body = xmpp_stanza_new(xmpp_stanza_get_context(parent));
    if (!body)
        return NULL;
    xmpp_stanza_set_text(body, text ? text : "");
    xmpp_stanza_add_child(child, body);
    xmpp_stanza_release(body);
    return child;
}

xmpp_stanza_t *pw_stanza_add_text_child_attr(xmpp_stanza_t *parent, const char *name, const char *ns,
                                             const char *text, const char *attr, const char *value)
{
    xmpp_stanza_t *child = pw_stanza_add_text_child(parent, name, ns, text);
    if (child)
        xmpp_stanza_set_attribute(child, attr, value);
    return child;
}

/* A reply skeleton: same name and id, to/from swapped. */
static xmpp_stanza_t *reply_skeleton(xmpp_stanza_t *request, const char *type)
{
    xmpp_stanza_t *reply = xmpp_stanza_new(xmpp_stanza_get_context(request));
    const char *id = xmpp_stanza_get_id(request);
    const char *from = xmpp_stanza_get_from(request);
    const char *to = xmpp_stanza_get_to(request);
    const char *name = xmpp_stanza_get_name(request);

    if (!reply)
        return NULL;
    xmpp_stanza_set_name(reply, name ? name : "iq");
    xmpp_stanza_set_type(reply, type);
    if (id)
        xmpp_stanza_set_id(reply, id);
    if (from)
        xmpp_stanza_set_to(reply, from);
    if (to)
        xmpp_stanza_set_from(reply, to);
    return reply;
}

xmpp_stanza_t *pw_stanza_result_reply(xmpp_stanza_t *iq)
{
    return reply_skeleton(iq, "result");
}

xmpp_stanza_t *pw_stanza_error_reply(xmpp_stanza_t *request, pw_error_t cond, const char *text)
{
    xmpp_stanza_t *reply = reply_skeleton(request, "error"), *error, *payload;

    if (!reply)
        return NULL;
    /* RFC 6120 §8.3.1: the original payload MAY be included; echo it for IQs so a client sees
     * which request failed. */
    payload = pw_stanza_payload(request);
    if (payload && strcmp(xmpp_stanza_get_name(request), "iq") == 0) {
        xmpp_stanza_t *copy = xmpp_stanza_copy(payload);
        if (copy) {
            xmpp_stanza_add_child(reply, copy);
            xmpp_stanza_release(copy);
        }
    }
    error = pw_stanza_add_child(reply, "error", NULL);
    if (!error)
        goto fail;
    xmpp_stanza_set_type(error, pw_error_type(cond));
    if (!pw_stanza_add_child(error, pw_error_name(cond), PW_NS_STANZAS))
        goto fail;
    if (text && *text && !pw_stanza_add_text_child_attr(error, "text", PW_NS_STANZAS, text, "xml:lang", "en"))
        goto fail;
    return reply;
fail:
    xmpp_stanza_release(reply);
    return NULL;
}

pw_error_t pw_stanza_error_parse(xmpp_stanza_t *stanza, char *text, size_t cap)
{
    xmpp_stanza_t *error = xmpp_stanza_get_child_by_name(stanza, "error"), *c;
    pw_error_t cond = PW_ERR_UNDEFINED_CONDITION;

    if (cap)
        text[0] = '\0';
    if (!error)
        return cond;
    for (c = xmpp_stanza_get_children(error); c; c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c), *name = xmpp_stanza_get_name(c);
        if (!xmpp_stanza_is_tag(c) || !ns || strcmp(ns, PW_NS_STANZAS) != 0 || !name)
            continue;
        if (strcmp(name, "text") == 0) {
            const char *t;
            for (xmpp_stanza_t *tc = xmpp_stanza_get_children(c); tc; tc = xmpp_stanza_get_next(tc)) {
                if (xmpp_stanza_is_text(tc) && (t = xmpp_stanza_get_text_ptr(tc)) && cap)
                    snprintf(text + strlen(text), cap - strlen(text), "%s", t);
            }
        } else if (cond == PW_ERR_UNDEFINED_CONDITION) {
            cond = pw_error_from_name(name);
        }
    }
    return cond;
}

const char *pw_stanza_child_text(xmpp_stanza_t *parent, const char *name, const char *ns,
                                 char *buf, size_t cap)
{
    xmpp_stanza_t *child = ns ? xmpp_stanza_get_child_by_name_and_ns(parent, name, ns)
                              : xmpp_stanza_get_child_by_name(parent, name);
    if (cap)
        buf[0] = '\0';
    if (!child || !cap)
        return buf;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(child); c; c = xmpp_stanza_get_next(c)) {
        const char *t = xmpp_stanza_is_text(c) ? xmpp_stanza_get_text_ptr(c) : NULL;
        size_t used = strlen(buf);
        if (t && used + 1 < cap)
            snprintf(buf + used, cap - used, "%s", t);
    }
    return buf;
}

xmpp_stanza_t *pw_stanza_payload(xmpp_stanza_t *stanza)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(stanza); c; c = xmpp_stanza_get_next(c)) {
        if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "error") != 0)
            return c;
    }
    return NULL;
}

size_t pw_stanza_element_count(xmpp_stanza_t *stanza)
{
    size_t n = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(stanza); c; c = xmpp_stanza_get_next(c))
        n += xmpp_stanza_is_tag(c) ? 1 : 0;
    return n;
}
