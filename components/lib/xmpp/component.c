/* component.c: stanza dispatch, the outgoing-IQ table with timeouts, the
 * XEP-0030 (disco), XEP-0092 (version) and XEP-0199 (ping) answers every role gives, the
 * XEP-0050 command table (§3 routing by node, §2.2-2.3 discovery) and the component's figures. */
#include "config.h"

#include "xmpp/pw_component.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/pw_log.h"
#include "core/pw_map.h"
#include "core/pw_sdnotify.h"
#include "xmpp/pw_xml_text.h"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_VERSION "jabber:iq:version"
#define NS_PING "urn:xmpp:ping"
#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NS_DATA "jabber:x:data"
#define MAX_FEATURES 32
#define MAX_IQ_ROUTES 32
#define MAX_COMMANDS 8

/* The stanza kinds counted by peerwatch_stanzas_*_total{kind}. */
static const char *const stanza_kinds[] = { "iq", "message", "presence" };
#define NKINDS (sizeof stanza_kinds / sizeof stanza_kinds[0])

/* The component's own figures (docs/metrics.md); every one NULL without a registry. */
typedef struct component_figures {
    pw_counter_t *received[NKINDS], *sent[NKINDS];
    pw_counter_t *reconnects, *iq_timeouts;
    pw_gauge_t *connected;
} component_figures_t;

typedef struct iq_route {
    char *ns;
    char *name; /* NULL: any element in ns */
    unsigned types;
    pw_iq_handler fn;
    void *arg;
} iq_route_t;

/* An XEP-0050 command offered by pw_component_add_command(). */
typedef struct command {
    char *node, *name;
    pw_iq_handler fn;
    pw_command_visible_fn visible; /* NULL: listed to everyone */
    void *arg;
} command_t;

typedef struct pending_iq {
    pw_timer_t timer;
    pw_component_t *c;
    char id[48];
    char *to; /* where the request went: only it may answer */
    pw_iq_result_cb cb;
    void *arg;
    void *cancel_key;     /* what pw_component_cancel_iqs() matches: arg, or the caller's own */
    xmpp_stanza_t *local; /* an answer given without the network (pw_component_answer_iq_later()) */
} pending_iq_t;

struct pw_component {
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pw_transport_t *transport;
    char *jid, *name, *version, *disco_category, *disco_type, *disco_name;
    uint64_t iq_timeout_ms;
    int online;
    pw_metrics_t *metrics; /* borrowed, may be NULL */
    component_figures_t figures;
    int was_online; /* the link was up once: the next up is a reconnection */
    unsigned long links; /* how many times the link came up */

    iq_route_t routes[MAX_IQ_ROUTES];
    size_t nroutes;
    char *features[MAX_FEATURES];
    size_t nfeatures;
    command_t commands[MAX_COMMANDS];
    size_t ncommands;
    int commands_at_root; /* list them in disco#items without a node too */

    pw_stanza_handler on_message, on_presence;
    void *on_message_arg, *on_presence_arg;
    pw_link_handler on_link;
    void *on_link_arg;

    pw_map_t *pending; /* id -> pending_iq_t */
    pw_xml_text_t text; /* scratch: pw_component_send_iq_text()'s stanza */
    uint64_t next_id;
    char id_prefix[12];
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* @return the index of a stanza name in stanza_kinds, or -1 */
static int stanza_kind(const char *name)
{
    for (size_t i = 0; name && i < NKINDS; i++)
        if (strcmp(name, stanza_kinds[i]) == 0)
            return (int)i;
    return -1;
}

static double sample_pending_iqs(void *arg)
{
    return (double)pw_component_pending_iqs(arg);
}

/* Register the component's figures (nothing without a registry; a figure that cannot be made
 * stays NULL and is not counted). */
static void figures_register(pw_component_t *c)
{
    component_figures_t *f = &c->figures;
    char label[32];

    for (size_t i = 0; i < NKINDS; i++) {
        snprintf(label, sizeof label, "kind=\"%s\"", stanza_kinds[i]);
        f->received[i] = pw_metrics_counter(c->metrics, "peerwatch_stanzas_received_total",
                                            "Stanzas received from the XMPP server, by kind", label);
        f->sent[i] = pw_metrics_counter(c->metrics, "peerwatch_stanzas_sent_total",
                                        "Stanzas sent to the XMPP server, by kind", label);
    }
    f->reconnects = pw_metrics_counter(c->metrics, "peerwatch_reconnects_total",
                                       "Connections to the XMPP server made again after a loss", NULL);
    f->connected = pw_metrics_gauge(c->metrics, "peerwatch_connected",
                                    "Connected to the XMPP server (1) or not (0)", NULL);
    pw_metrics_gauge_fn(c->metrics, "peerwatch_iq_pending",
                        "Outgoing IQs awaiting an answer", NULL, sample_pending_iqs, c);
    f->iq_timeouts = pw_metrics_counter(c->metrics, "peerwatch_iq_timeouts_total",
                                        "Outgoing IQs that got no answer in time", NULL);
}

pw_status_t pw_component_create(pw_component_t **out, pw_loop_t *loop, xmpp_ctx_t *ctx,
                                const pw_component_opts_t *opts, pw_transport_t *transport)
{
    pw_status_t rc = PW_OK;
    pw_component_t *c = NULL;
    uint64_t seed = pw_loop_now(loop) ^ (uint64_t)(uintptr_t)&rc;

    *out = NULL;
    if (!opts || !opts->jid || !*opts->jid || !transport) {
        rc = PW_EINVAL;
        goto done;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        rc = PW_ENOMEM;
        goto done;
    }
    c->loop = loop;
    c->ctx = ctx;
    c->transport = transport;
    transport->component = c;
    c->jid = dup_or_empty(opts->jid);
    c->name = dup_or_empty(opts->name ? opts->name : "peerwatch");
    c->version = dup_or_empty(opts->version ? opts->version : PACKAGE_VERSION);
    c->disco_category = dup_or_empty(opts->disco_category ? opts->disco_category : "component");
    c->disco_type = dup_or_empty(opts->disco_type ? opts->disco_type : "generic");
    c->disco_name = dup_or_empty(opts->disco_name ? opts->disco_name : c->name);
    c->iq_timeout_ms = opts->iq_timeout_ms ? opts->iq_timeout_ms : 10000;
    c->metrics = opts->metrics;
    /* ids start with a per-process prefix so a restarted component never matches an answer
     * meant for its previous life */
    snprintf(c->id_prefix, sizeof c->id_prefix, "%08llx",
             (unsigned long long)((seed * 0x9E3779B97F4A7C15ull) >> 32));
    if (!c->jid || !c->name || !c->version || !c->disco_category || !c->disco_type ||
        !c->disco_name) {
        rc = PW_ENOMEM;
        goto done;
    }
    rc = pw_map_create(&c->pending);
    if (rc == PW_OK)
        figures_register(c);
done:
    if (rc != PW_OK) {
        if (c)
            pw_component_destroy(c);
        else if (transport)
            transport->ops->destroy(transport);
        return rc;
    }
    *out = c;
    return PW_OK;
}

static void finish_pending(pending_iq_t *p, pw_iq_outcome_t outcome, xmpp_stanza_t *response)
{
    pw_component_t *c = p->c;
    pw_iq_result_cb cb = p->cb;
    void *arg = p->arg;
    xmpp_stanza_t *local = p->local;

    pw_timer_stop(c->loop, &p->timer);
    pw_map_remove(c->pending, p->id);
    free(p->to);
    free(p);
    cb(c, outcome, response, arg);
    if (local)
        xmpp_stanza_release(local);
}

static int cancel_all(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    finish_pending(value, PW_IQ_CANCELLED, NULL);
    return 0;
}

void pw_component_destroy(pw_component_t *c)
{
    if (!c)
        return;
    pw_metrics_forget(c->metrics, c);
    if (c->pending) {
        pw_map_foreach(c->pending, cancel_all, NULL);
        pw_map_destroy(c->pending);
    }
    if (c->transport)
        c->transport->ops->destroy(c->transport);
    for (size_t i = 0; i < c->nroutes; i++) {
        free(c->routes[i].ns);
        free(c->routes[i].name);
    }
    for (size_t i = 0; i < c->nfeatures; i++)
        free(c->features[i]);
    for (size_t i = 0; i < c->ncommands; i++) {
        free(c->commands[i].node);
        free(c->commands[i].name);
    }
    free(c->jid);
    free(c->name);
    free(c->version);
    free(c->disco_category);
    free(c->disco_type);
    free(c->disco_name);
    pw_xml_text_free(&c->text);
    free(c);
}

pw_status_t pw_component_start(pw_component_t *c)
{
    return c->transport->ops->start(c->transport);
}

void pw_component_stop(pw_component_t *c)
{
    c->transport->ops->stop(c->transport);
}

const char *pw_component_jid(const pw_component_t *c) { return c->jid; }
xmpp_ctx_t *pw_component_ctx(const pw_component_t *c) { return c->ctx; }
pw_loop_t *pw_component_loop(const pw_component_t *c) { return c->loop; }
int pw_component_online(const pw_component_t *c) { return c->online; }
pw_metrics_t *pw_component_metrics(const pw_component_t *c) { return c ? c->metrics : NULL; }

pw_status_t pw_component_on_iq(pw_component_t *c, const char *ns, const char *name,
                               unsigned types, pw_iq_handler fn, void *arg)
{
    iq_route_t *r = NULL;
    for (size_t i = 0; i < c->nroutes; i++) {
        iq_route_t *x = &c->routes[i];
        if (strcmp(x->ns, ns) == 0 && ((!x->name && !name) || (x->name && name && strcmp(x->name, name) == 0)))
            r = x;
    }
    if (!r) {
        if (c->nroutes == MAX_IQ_ROUTES)
            return PW_EFULL;
        r = &c->routes[c->nroutes];
        r->ns = strdup(ns);
        r->name = name ? strdup(name) : NULL;
        if (!r->ns || (name && !r->name)) {
            free(r->ns);
            free(r->name);
            return PW_ENOMEM;
        }
        c->nroutes++;
    }
    r->types = types;
    r->fn = fn;
    r->arg = arg;
    return PW_OK;
}

void pw_component_on_message(pw_component_t *c, pw_stanza_handler fn, void *arg)
{
    c->on_message = fn;
    c->on_message_arg = arg;
}

void pw_component_on_presence(pw_component_t *c, pw_stanza_handler fn, void *arg)
{
    c->on_presence = fn;
    c->on_presence_arg = arg;
}

void pw_component_on_link(pw_component_t *c, pw_link_handler fn, void *arg)
{
    c->on_link = fn;
    c->on_link_arg = arg;
}

pw_status_t pw_component_add_feature(pw_component_t *c, const char *ns)
{
    for (size_t i = 0; i < c->nfeatures; i++)
        if (strcmp(c->features[i], ns) == 0)
            return PW_OK;
    if (c->nfeatures == MAX_FEATURES)
        return PW_EFULL;
    c->features[c->nfeatures] = strdup(ns);
    if (!c->features[c->nfeatures])
        return PW_ENOMEM;
    c->nfeatures++;
    return PW_OK;
}

/* ---- XEP-0050 ad-hoc commands ---- */

static const command_t *find_command(const pw_component_t *c, const char *node)
{
    for (size_t i = 0; node && i < c->ncommands; i++)
        if (strcmp(c->commands[i].node, node) == 0)
            return &c->commands[i];
    return NULL;
}

/* XEP-0050 §3: a <command/> goes to its node's handler. */
static void dispatch_command(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    const command_t *cmd = find_command(c, xmpp_stanza_get_attribute(payload, "node"));
    (void)arg;
    if (!cmd) {
        pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, "no such command");
        return;
    }
    cmd->fn(c, iq, payload, cmd->arg);
}

pw_status_t pw_component_add_command(pw_component_t *c, const char *node, const char *name,
                                     pw_iq_handler fn, pw_command_visible_fn visible, void *arg)
{
    pw_status_t rc = PW_OK;
    command_t *cmd;
    char *copy;

    if (!c || !node || !*node || !name || !fn)
        return PW_EINVAL;
    cmd = (command_t *)find_command(c, node);
    if (cmd) { /* offered again (a role made anew on the same component): the newer wins */
        if (!(copy = strdup(name)))
            return PW_ENOMEM;
        free(cmd->name);
        cmd->name = copy;
        cmd->fn = fn;
        cmd->visible = visible;
        cmd->arg = arg;
        return PW_OK;
    }
    for (size_t i = 0; i < c->nroutes; i++)
        if (strcmp(c->routes[i].ns, NS_COMMANDS) == 0 && c->routes[i].fn != dispatch_command)
            return PW_EEXIST; /* the role answers XEP-0050 itself */
    if (c->ncommands == MAX_COMMANDS)
        return PW_EFULL;
    if (c->ncommands == 0) {
        rc = pw_component_on_iq(c, NS_COMMANDS, "command", PW_IQ_SET, dispatch_command, NULL);
        if (rc == PW_OK)
            rc = pw_component_add_feature(c, NS_COMMANDS);
        if (rc != PW_OK)
            return rc;
    }
    cmd = &c->commands[c->ncommands];
    cmd->node = strdup(node);
    cmd->name = strdup(name);
    if (!cmd->node || !cmd->name) {
        free(cmd->node);
        free(cmd->name);
        return PW_ENOMEM;
    }
    cmd->fn = fn;
    cmd->visible = visible;
    cmd->arg = arg;
    c->ncommands++;
    return PW_OK;
}

void pw_component_list_commands_at_root(pw_component_t *c)
{
    c->commands_at_root = 1;
}

/* ---- sending ---- */

pw_status_t pw_component_send(pw_component_t *c, xmpp_stanza_t *stanza)
{
    pw_status_t rc;
    int kind;

    if (!c->online)
        return PW_ECLOSED;
    if (!xmpp_stanza_get_from(stanza))
        xmpp_stanza_set_from(stanza, c->jid);
    rc = c->transport->ops->send(c->transport, stanza);
    kind = stanza_kind(xmpp_stanza_get_name(stanza));
    if (rc == PW_OK && kind >= 0)
        pw_counter_inc(c->figures.sent[kind]);
    return rc;
}

pw_status_t pw_component_reply_result(pw_component_t *c, xmpp_stanza_t *request)
{
    return pw_component_reply_payload(c, request, NULL);
}

pw_status_t pw_component_reply_payload(pw_component_t *c, xmpp_stanza_t *request,
                                       xmpp_stanza_t *payload)
{
    pw_status_t rc;
    xmpp_stanza_t *reply = pw_stanza_result_reply(request);
    if (!reply)
        return PW_ENOMEM;
    if (payload) {
        xmpp_stanza_t *copy = xmpp_stanza_copy(payload);
        if (!copy) {
            xmpp_stanza_release(reply);
            return PW_ENOMEM;
        }
        xmpp_stanza_add_child(reply, copy);
        xmpp_stanza_release(copy);
    }
    rc = pw_component_send(c, reply);
    xmpp_stanza_release(reply);
    return rc;
}

pw_status_t pw_component_reply_error(pw_component_t *c, xmpp_stanza_t *request,
                                     pw_error_t cond, const char *text)
{
    pw_status_t rc;
    xmpp_stanza_t *reply;
    const char *type = xmpp_stanza_get_type(request);

    /* RFC 6120 §8.3.1: never answer an error with an error */
    if (type && strcmp(type, "error") == 0)
        return PW_OK;
    reply = pw_stanza_error_reply(request, cond, text);
    if (!reply)
        return PW_ENOMEM;
    pw_info(xmpp_stanza_get_id(request), "%s from %s: %s (%s)",
            xmpp_stanza_get_name(request), xmpp_stanza_get_from(request) ? xmpp_stanza_get_from(request) : "?",
            pw_error_name(cond), text ? text : "");
    rc = pw_component_send(c, reply);
    xmpp_stanza_release(reply);
    return rc;
}

const char *pw_component_new_id(pw_component_t *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "pw%s-%llu", c->id_prefix, (unsigned long long)++c->next_id);
    return buf;
}

static void on_iq_timeout(pw_timer_t *timer, void *arg)
{
    pending_iq_t *p = arg;
    (void)timer;
    pw_info(p->id, "no answer from %s in time", p->to);
    pw_counter_inc(p->c->figures.iq_timeouts);
    finish_pending(p, PW_IQ_TIMEOUT, NULL);
}

/* Register a request about to be sent: its answer (or timeout) will call cb. *out is the
 * pending IQ (the map owns it; pending_drop() when the request could not be sent). */
/* Register a pending IQ whose timer fires after delay_ms with fire: on_iq_timeout() for a
 * request sent (its answer normally comes first), on_local_answer() for an answer given from
 * here. *out is the pending IQ (the map owns it; pending_drop() when the request could not be
 * sent). */
static pw_status_t pending_add(pw_component_t *c, const char *id, const char *to, uint64_t delay_ms,
                               pw_timer_cb fire, pw_iq_result_cb cb, void *arg, void *cancel_key,
                               pending_iq_t **out)
{
    pw_status_t rc = PW_OK;
    pending_iq_t *p = NULL;

    *out = NULL;
    if (pw_map_get(c->pending, id))
        return PW_EEXIST;
    p = calloc(1, sizeof *p);
    if (!p)
        return PW_ENOMEM;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->c = c;
    p->cb = cb;
    p->arg = arg;
    p->cancel_key = cancel_key;
    p->to = strdup(to);
    if (!p->to) {
        rc = PW_ENOMEM;
        goto done;
    }
    rc = pw_map_put(c->pending, p->id, p, NULL);
    if (rc != PW_OK)
        goto done;
    pw_timer_init(&p->timer, fire, p);
    rc = pw_timer_start(c->loop, &p->timer, delay_ms);
    if (rc != PW_OK)
        pw_map_remove(c->pending, p->id);
done:
    if (rc != PW_OK) {
        free(p->to);
        free(p);
        return rc;
    }
    *out = p;
    return PW_OK;
}

/* Undo pending_add() for a request that could not be sent (no callback). */
static void pending_drop(pw_component_t *c, pending_iq_t *p)
{
    pw_timer_stop(c->loop, &p->timer);
    pw_map_remove(c->pending, p->id);
    free(p->to);
    free(p);
}

pw_status_t pw_component_send_iq(pw_component_t *c, xmpp_stanza_t *iq, uint64_t timeout_ms,
                                 pw_iq_result_cb cb, void *arg)
{
    return pw_component_send_iq_keyed(c, iq, timeout_ms, cb, arg, arg);
}

pw_status_t pw_component_send_iq_keyed(pw_component_t *c, xmpp_stanza_t *iq, uint64_t timeout_ms,
                                       pw_iq_result_cb cb, void *arg, void *cancel_key)
{
    pw_status_t rc;
    pending_iq_t *p = NULL;
    const char *to = xmpp_stanza_get_to(iq), *id;
    char fresh[sizeof p->id];

    if (!to || !cb)
        return PW_EINVAL;
    if (!c->online)
        return PW_ECLOSED;
    id = xmpp_stanza_get_id(iq);
    if (!id || !*id || strlen(id) >= sizeof fresh) {
        xmpp_stanza_set_id(iq, pw_component_new_id(c, fresh, sizeof fresh));
        id = fresh;
    }
    rc = pending_add(c, id, to, timeout_ms ? timeout_ms : c->iq_timeout_ms, on_iq_timeout, cb, arg,
                     cancel_key, &p);
    if (rc == PW_OK && (rc = pw_component_send(c, iq)) != PW_OK)
        pending_drop(c, p);
    return rc;
}

/* A whole stanza as text to the transport: through its send_raw, or parsed back into a stanza
 * for a transport without one. */
static pw_status_t send_text(pw_component_t *c, const char *text, size_t len)
{
    xmpp_stanza_t *st;
    pw_status_t rc;
    if (c->transport->ops->send_raw)
        return c->transport->ops->send_raw(c->transport, text, len);
    st = xmpp_stanza_new_from_string(c->ctx, text);
    if (!st)
        return PW_ENOMEM;
    rc = c->transport->ops->send(c->transport, st);
    xmpp_stanza_release(st);
    return rc;
}

pw_status_t pw_component_send_iq_text(pw_component_t *c, const char *to, const char *payload,
                                      uint64_t timeout_ms, pw_iq_result_cb cb, void *arg)
{
    pw_status_t rc;
    pending_iq_t *p = NULL;
    pw_xml_text_t *x = &c->text;
    char id[sizeof p->id];

    if (!to || !payload || !cb)
        return PW_EINVAL;
    if (!c->online)
        return PW_ECLOSED;
    pw_component_new_id(c, id, sizeof id);
    pw_xml_text_reset(x);
    pw_xml_text_open(x, "iq");
    pw_xml_text_attr(x, "type", "set");
    pw_xml_text_attr(x, "id", id);
    pw_xml_text_attr(x, "to", to);
    pw_xml_text_attr(x, "from", c->jid);
    pw_xml_text_start_end(x);
    pw_xml_text_raw(x, payload, strlen(payload));
    pw_xml_text_close(x, "iq");
    if (x->failed)
        return PW_ENOMEM;
    rc = pending_add(c, id, to, timeout_ms ? timeout_ms : c->iq_timeout_ms, on_iq_timeout, cb, arg,
                     arg, &p);
    if (rc != PW_OK)
        return rc;
    rc = send_text(c, x->buf, x->len);
    if (rc != PW_OK)
        pending_drop(c, p);
    else
        pw_counter_inc(c->figures.sent[0]); /* stanza_kinds[0]: iq */
    return rc;
}

static void on_local_answer(pw_timer_t *timer, void *arg)
{
    pending_iq_t *p = arg;
    (void)timer;
    finish_pending(p, PW_IQ_RESULT, p->local);
}

pw_status_t pw_component_answer_iq_later(pw_component_t *c, xmpp_stanza_t *response,
                                         pw_iq_result_cb cb, void *arg, void *cancel_key)
{
    const char *from = response ? xmpp_stanza_get_from(response) : NULL;
    pending_iq_t *p = NULL;
    char id[sizeof p->id];
    pw_status_t rc;

    if (!response || !cb)
        return PW_EINVAL;
    pw_component_new_id(c, id, sizeof id);
    rc = pending_add(c, id, from ? from : "", 0, on_local_answer, cb, arg, cancel_key, &p);
    if (rc == PW_OK)
        p->local = xmpp_stanza_clone(response);
    return rc;
}

unsigned long pw_component_link_count(const pw_component_t *c)
{
    return c->links;
}

static int sent_with_arg(const void *value, void *arg)
{
    const pending_iq_t *p = value;
    return p->cancel_key == arg;
}

static void cancel_pending(void *value, void *arg)
{
    (void)arg;
    finish_pending(value, PW_IQ_CANCELLED, NULL);
}

size_t pw_component_cancel_iqs(pw_component_t *c, void *arg)
{
    return pw_map_take_matching(c->pending, sent_with_arg, cancel_pending, arg);
}

size_t pw_component_pending_iqs(const pw_component_t *c)
{
    return pw_map_count(c->pending);
}

/* ---- built-in answers: XEP-0030, XEP-0092, XEP-0199 ---- */

/* Append a <feature var=.../> per namespace (XEP-0030 §3.1). */
static void add_features(xmpp_stanza_t *query, const char *const *vars, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        xmpp_stanza_t *f = pw_stanza_add_child(query, "feature", NULL);
        if (f)
            xmpp_stanza_set_attribute(f, "var", vars[i]);
    }
}

/* Answer iq with a query element built by the caller (NULL, when out of memory: no answer). */
static void reply_query(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *query)
{
    if (!query)
        return;
    pw_component_reply_payload(c, iq, query);
    xmpp_stanza_release(query);
}

static void answer_disco_info(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    xmpp_stanza_t *query, *id;
    static const char *const builtin[] = { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_VERSION };
    const char *node = xmpp_stanza_get_attribute(payload, "node");
    const command_t *cmd = find_command(c, node);
    (void)arg;
    if (node && !cmd) {
        pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, "no such disco node");
        return;
    }
    query = pw_stanza_element(c->ctx, "query", NS_DISCO_INFO);
    if (!query)
        return;
    if (cmd) { /* XEP-0050 §2.3: a command's node */
        static const char *const command_features[] = { NS_COMMANDS, NS_DATA };
        xmpp_stanza_set_attribute(query, "node", node);
        id = pw_stanza_add_child(query, "identity", NULL);
        if (id) {
            xmpp_stanza_set_attribute(id, "category", "automation");
            xmpp_stanza_set_attribute(id, "type", "command-node");
            xmpp_stanza_set_attribute(id, "name", cmd->name);
        }
        add_features(query, command_features, 2);
        reply_query(c, iq, query);
        return;
    }
    id = pw_stanza_add_child(query, "identity", NULL);
    if (id) {
        xmpp_stanza_set_attribute(id, "category", c->disco_category);
        xmpp_stanza_set_attribute(id, "type", c->disco_type);
        xmpp_stanza_set_attribute(id, "name", c->disco_name);
    }
    add_features(query, builtin, sizeof builtin / sizeof builtin[0]);
    add_features(query, (const char *const *)c->features, c->nfeatures);
    reply_query(c, iq, query);
}

/* XEP-0050 §2.2: the commands node lists the commands the requester may see (and, when asked
 * for, the component's own items do too); other nodes are empty. */
static void answer_disco_items(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    const char *node = xmpp_stanza_get_attribute(payload, "node");
    xmpp_stanza_t *query = pw_stanza_element(c->ctx, "query", NS_DISCO_ITEMS), *item;
    (void)arg;
    if (!query)
        return;
    if (node)
        xmpp_stanza_set_attribute(query, "node", node);
    if (node ? strcmp(node, NS_COMMANDS) == 0 : c->commands_at_root) {
        for (size_t i = 0; i < c->ncommands; i++) {
            const command_t *cmd = &c->commands[i];
            if (cmd->visible && !cmd->visible(xmpp_stanza_get_from(iq), cmd->arg))
                continue;
            item = pw_stanza_add_child(query, "item", NULL);
            if (!item)
                break;
            xmpp_stanza_set_attribute(item, "jid", c->jid);
            xmpp_stanza_set_attribute(item, "node", c->commands[i].node);
            xmpp_stanza_set_attribute(item, "name", c->commands[i].name);
        }
    }
    reply_query(c, iq, query);
}

static void answer_version(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    xmpp_stanza_t *query = pw_stanza_element(c->ctx, "query", NS_VERSION);
    (void)payload;
    (void)arg;
    if (query) {
        pw_stanza_add_text_child(query, "name", NULL, c->name);
        pw_stanza_add_text_child(query, "version", NULL, c->version);
    }
    reply_query(c, iq, query);
}

static void answer_ping(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    (void)payload;
    (void)arg;
    pw_component_reply_result(c, iq);
}

/* ---- receiving ---- */

void pw_component_transport_up(pw_component_t *c)
{
    static const struct {
        const char *ns, *name;
        unsigned types;
        pw_iq_handler fn;
    } builtin[] = {
        { NS_DISCO_INFO, "query", PW_IQ_GET, answer_disco_info },
        { NS_DISCO_ITEMS, "query", PW_IQ_GET, answer_disco_items },
        { NS_VERSION, "query", PW_IQ_GET, answer_version },
        { NS_PING, "ping", PW_IQ_GET, answer_ping },
    };
    /* built-ins are registered lazily so a role may override any of them first */
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        int present = 0;
        for (size_t r = 0; r < c->nroutes; r++)
            present |= strcmp(c->routes[r].ns, builtin[i].ns) == 0;
        if (!present)
            pw_component_on_iq(c, builtin[i].ns, builtin[i].name, builtin[i].types, builtin[i].fn, NULL);
    }
    c->online = 1;
    c->links++;
    if (c->was_online)
        pw_counter_inc(c->figures.reconnects);
    c->was_online = 1;
    pw_gauge_set(c->figures.connected, 1);
    pw_info(NULL, "%s is online", c->jid);
    {
        char state[PW_SDNOTIFY_STATE_MAX];
        snprintf(state, sizeof state, "READY=1\nSTATUS=online as %s", c->jid);
        pw_sdnotify(state); /* a Type=notify unit is ready once the handshake succeeded */
    }
    if (c->on_link)
        c->on_link(c, 1, c->on_link_arg);
}

void pw_component_transport_down(pw_component_t *c)
{
    int was = c->online;
    c->online = 0;
    pw_gauge_set(c->figures.connected, 0);
    if (was) {
        char state[PW_SDNOTIFY_STATE_MAX];
        pw_warn(NULL, "%s lost its connection to the server", c->jid);
        snprintf(state, sizeof state, "STATUS=%s lost its connection to the server: reconnecting", c->jid);
        pw_sdnotify(state);
        if (c->on_link)
            c->on_link(c, 0, c->on_link_arg);
    }
}

static void dispatch_response(pw_component_t *c, xmpp_stanza_t *iq, int is_error)
{
    const char *id = xmpp_stanza_get_id(iq), *from = xmpp_stanza_get_from(iq);
    pending_iq_t *p = id ? pw_map_get(c->pending, id) : NULL;

    if (!p) {
        pw_debug(id, "answer to no pending request (late or unknown), dropped");
        return;
    }
    if (!from || strcasecmp(from, p->to) != 0) {
        pw_warn(id, "answer from %s to a request sent to %s, ignored", from ? from : "(none)", p->to);
        return;
    }
    finish_pending(p, is_error ? PW_IQ_ERROR : PW_IQ_RESULT, iq);
}

static void dispatch_request(pw_component_t *c, xmpp_stanza_t *iq, unsigned type)
{
    xmpp_stanza_t *payload = pw_stanza_payload(iq);
    const char *ns, *name;

    if (!xmpp_stanza_get_id(iq)) {
        pw_warn(NULL, "request IQ without an id from %s, dropped",
                xmpp_stanza_get_from(iq) ? xmpp_stanza_get_from(iq) : "?");
        return;
    }
    if (!payload || pw_stanza_element_count(iq) != 1) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "an IQ get/set must carry exactly one payload element");
        return;
    }
    ns = xmpp_stanza_get_ns(payload);
    name = xmpp_stanza_get_name(payload);
    for (size_t i = 0; ns && i < c->nroutes; i++) {
        iq_route_t *r = &c->routes[i];
        if (strcmp(r->ns, ns) != 0 || (r->name && strcmp(r->name, name) != 0))
            continue;
        if (!(r->types & type))
            continue;
        r->fn(c, iq, payload, r->arg);
        return;
    }
    pw_component_reply_error(c, iq, PW_ERR_SERVICE_UNAVAILABLE,
                             "this service does not offer that request");
}

void pw_component_deliver(pw_component_t *c, xmpp_stanza_t *stanza)
{
    const char *name = xmpp_stanza_get_name(stanza);
    const char *type = xmpp_stanza_get_type(stanza);

    if (!name)
        return;
    if (stanza_kind(name) >= 0)
        pw_counter_inc(c->figures.received[stanza_kind(name)]);
    if (strcmp(name, "iq") == 0) {
        if (!type)
            pw_component_reply_error(c, stanza, PW_ERR_BAD_REQUEST, "IQ without a type");
        else if (strcmp(type, "result") == 0)
            dispatch_response(c, stanza, 0);
        else if (strcmp(type, "error") == 0)
            dispatch_response(c, stanza, 1);
        else if (strcmp(type, "get") == 0)
            dispatch_request(c, stanza, PW_IQ_GET);
        else if (strcmp(type, "set") == 0)
            dispatch_request(c, stanza, PW_IQ_SET);
        else
            pw_component_reply_error(c, stanza, PW_ERR_BAD_REQUEST, "unknown IQ type");
    } else if (strcmp(name, "message") == 0) {
        if (c->on_message)
            c->on_message(c, stanza, c->on_message_arg);
        else if (!type || (strcmp(type, "error") != 0 && strcmp(type, "headline") != 0))
            pw_component_reply_error(c, stanza, PW_ERR_SERVICE_UNAVAILABLE,
                                     "this is a service of the presence chain: it takes no messages");
    } else if (strcmp(name, "presence") == 0) {
        if (c->on_presence)
            c->on_presence(c, stanza, c->on_presence_arg);
    } else {
        pw_debug(xmpp_stanza_get_id(stanza), "ignoring <%s/>", name);
    }
}
