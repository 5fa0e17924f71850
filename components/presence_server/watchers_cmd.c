/* watchers_cmd.c: the 'watchers' ad-hoc command of the Presence Server: a user lists who watches him and since when.
 *
 * Implements XEP-0050 (Ad-Hoc Commands) §2.2 (discovery through disco#items of node
 * http://jabber.org/protocol/commands), §2.4.1 (single-stage execution, status 'completed',
 * action 'cancel'); the result is an XEP-0004 data form of type 'result' with <reported/> and
 * one <item/> per subscription (§3.4); the information matches RFC 3857 watcher information
 * (watcher, status, duration) in XMPP form. docs/protocol.md §5.5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charging/pw_cdr.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "pw_watchers.h"

#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define WATCHERS_NAME "Who watches me"
#define NS_DATA "jabber:x:data"

struct pw_watchers {
    pw_component_t *c;
    pw_subs_t *subs;
    pw_watchers_local_fn local;
    void *arg;
    unsigned long sessions;
};

/* The columns of the form: var, label. */
static const char *const columns[][2] = {
    { "watcher-msisdn", "Watcher's number" },
    { "watcher-jid", "Watcher's address" },
    { "network", "Watcher's network" },
    { "kind", "Kind (changes, next, or pending: awaiting your decision)" },
    { "since", "Watching since (UTC)" },
    { "expires", "Until (UTC)" },
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

typedef struct listing {
    xmpp_stanza_t *form;
    size_t n;
    int failed;
} listing_t;

static int add_field(xmpp_stanza_t *item, const char *var, const char *value)
{
    xmpp_stanza_t *f = pw_stanza_add_child(item, "field", NULL);
    if (!f)
        return -1;
    xmpp_stanza_set_attribute(f, "var", var);
    return pw_stanza_add_text_child(f, "value", NULL, value) ? 0 : -1;
}

static int list_cb(const pw_subs_view_t *v, void *arg)
{
    listing_t *l = arg;
    char since[PW_CDR_TIME_TEXT], until[PW_CDR_TIME_TEXT];
    xmpp_stanza_t *item;
    if (l->n >= PW_WATCHERS_MAX_ITEMS)
        return 1;
    item = pw_stanza_add_child(l->form, "item", NULL);
    pw_cdr_time_format(v->created_ms, since);
    pw_cdr_time_format(v->expires_ms, until);
    if (!item || add_field(item, "watcher-msisdn", v->watcher_msisdn) || add_field(item, "watcher-jid", v->watcher_jid) ||
        add_field(item, "network", v->network) || add_field(item, "kind", v->kind) ||
        add_field(item, "since", since) || add_field(item, "expires", until)) {
        l->failed = 1;
        return 1;
    }
    l->n++;
    return 0;
}

/* The completed command with the form listing bare's watchers. */
static xmpp_stanza_t *build_result(pw_watchers_t *w, const char *bare, const char *sessionid)
{
    xmpp_ctx_t *ctx = pw_component_ctx(w->c);
    xmpp_stanza_t *cmd = xmpp_stanza_new(ctx), *form, *reported;
    listing_t l = { NULL, 0, 0 };
    size_t total;
    char text[PW_JID_MAX + 64];

    if (!cmd)
        return NULL;
    xmpp_stanza_set_name(cmd, "command");
    xmpp_stanza_set_ns(cmd, NS_COMMANDS);
    xmpp_stanza_set_attribute(cmd, "node", PW_WATCHERS_NODE);
    xmpp_stanza_set_attribute(cmd, "sessionid", sessionid);
    xmpp_stanza_set_attribute(cmd, "status", "completed");
    form = pw_stanza_add_child(cmd, "x", NS_DATA);
    if (!form)
        goto fail;
    xmpp_stanza_set_attribute(form, "type", "result");
    snprintf(text, sizeof text, "Who watches %s", bare);
    reported = pw_stanza_add_text_child(form, "title", NULL, text) ? pw_stanza_add_child(form, "reported", NULL) : NULL;
    if (!reported)
        goto fail;
    for (size_t i = 0; i < NCOLUMNS; i++) {
        xmpp_stanza_t *f = pw_stanza_add_child(reported, "field", NULL);
        if (!f)
            goto fail;
        xmpp_stanza_set_attribute(f, "var", columns[i][0]);
        xmpp_stanza_set_attribute(f, "label", columns[i][1]);
        xmpp_stanza_set_attribute(f, "type", "text-single");
    }
    l.form = form;
    total = pw_subs_foreach(w->subs, bare, list_cb, &l);
    if (l.failed)
        goto fail;
    if (l.n == 0)
        snprintf(text, sizeof text, "Nobody watches your presence.");
    else if (total > l.n || l.n >= PW_WATCHERS_MAX_ITEMS)
        snprintf(text, sizeof text, "The first %zu subscriptions are listed.", l.n);
    else
        snprintf(text, sizeof text, "%zu subscription(s).", l.n);
    if (!pw_stanza_add_text_child_attr(cmd, "note", NULL, text, "type", "info"))
        goto fail;
    return cmd;
fail:
    xmpp_stanza_release(cmd);
    return NULL;
}

static void on_command(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_watchers_t *w = arg;
    const char *from = xmpp_stanza_get_from(iq), *node, *action, *session;
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1], bare[PW_JID_MAX + 1];
    char sid[64];
    xmpp_stanza_t *cmd;

    if (!w) {
        pw_component_reply_error(c, iq, PW_ERR_SERVICE_UNAVAILABLE, "the presence server is stopping");
        return;
    }
    node = xmpp_stanza_get_attribute(payload, "node");
    action = xmpp_stanza_get_attribute(payload, "action");
    session = xmpp_stanza_get_attribute(payload, "sessionid");
    if (!node || strcmp(node, PW_WATCHERS_NODE) != 0) {
        pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, "no such command (try 'watchers')");
        return;
    }
    if (!from || pw_jid_split(from, local, sizeof local, domain, sizeof domain, NULL, 0) != PW_OK ||
        !local[0] || !w->local(w->arg, domain)) {
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN,
                                 "only this operator's users may list who watches them");
        return;
    }
    if (action && strcmp(action, "cancel") == 0) {
        cmd = xmpp_stanza_new(pw_component_ctx(c));
        if (!cmd)
            return;
        xmpp_stanza_set_name(cmd, "command");
        xmpp_stanza_set_ns(cmd, NS_COMMANDS);
        xmpp_stanza_set_attribute(cmd, "node", PW_WATCHERS_NODE);
        if (session && strlen(session) < sizeof sid)
            xmpp_stanza_set_attribute(cmd, "sessionid", session);
        xmpp_stanza_set_attribute(cmd, "status", "canceled");
        pw_component_reply_payload(c, iq, cmd);
        xmpp_stanza_release(cmd);
        return;
    }
    if (action && strcmp(action, "execute") != 0 && strcmp(action, "complete") != 0) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "'watchers' has one stage: use action 'execute' (or 'cancel')");
        return;
    }
    snprintf(bare, sizeof bare, "%s@%s", local, domain);
    snprintf(sid, sizeof sid, "watchers-%lu", ++w->sessions);
    cmd = build_result(w, bare, sid);
    if (!cmd) {
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    pw_component_reply_payload(c, iq, cmd);
    xmpp_stanza_release(cmd);
    pw_debug(NULL, "%s listed its watchers", bare);
}

pw_status_t pw_watchers_create(pw_watchers_t **out, pw_component_t *c, pw_subs_t *subs,
                               pw_watchers_local_fn local, void *arg)
{
    pw_watchers_t *w = NULL;
    pw_status_t rc = PW_EINVAL;
    if (!out || !c || !subs || !local)
        goto done;
    *out = NULL;
    rc = PW_ENOMEM;
    w = calloc(1, sizeof *w);
    if (!w)
        goto done;
    w->c = c;
    w->subs = subs;
    w->local = local;
    w->arg = arg;
    /* the component core routes the node here and lists it in disco#items (XEP-0050 §2.2) */
    if ((rc = pw_component_add_command(c, PW_WATCHERS_NODE, WATCHERS_NAME, on_command, NULL, w)) != PW_OK)
        goto done;
    *out = w;
    w = NULL;
    rc = PW_OK;
done:
    pw_watchers_destroy(w);
    return rc;
}

void pw_watchers_destroy(pw_watchers_t *w)
{
    if (!w)
        return;
    /* a command that arrives after this is answered "stopping" (on_command with no state) */
    pw_component_add_command(w->c, PW_WATCHERS_NODE, WATCHERS_NAME, on_command, NULL, NULL);
    free(w);
}
