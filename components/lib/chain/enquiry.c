/* enquiry.c: the chain enquiry of docs/protocol.md §2: parsing with validation, building, and
 * relaying a callee's answer to the caller (RFC 6120 §8.2.3 request/response semantics). */
#include "chain/pw_enquiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_log.h"

#define MAX_DURATION_S (366u * 24u * 3600u)

static const char *const kind_names[] = { "current", "changes", "next", "stop" };

const char *pw_enquiry_kind_name(pw_enquiry_kind_t kind)
{
    return (unsigned)kind < 4 ? kind_names[kind] : "current";
}

pw_status_t pw_enquiry_kind_parse(const char *name, pw_enquiry_kind_t *out)
{
    for (int i = 0; name && i < 4; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (pw_enquiry_kind_t)i;
            return PW_OK;
        }
    }
    return PW_EINVAL;
}

/* Copy an attribute into a bounded buffer; PW_ERANGE when it does not fit. */
static pw_status_t copy_attr(xmpp_stanza_t *el, const char *name, char *dst, size_t cap, int *present)
{
    const char *v = xmpp_stanza_get_attribute(el, name);
    *present = v != NULL;
    dst[0] = '\0';
    if (!v)
        return PW_OK;
    if (strlen(v) >= cap)
        return PW_ERANGE;
    memcpy(dst, v, strlen(v) + 1);
    return PW_OK;
}

static pw_status_t fail(pw_error_t *cond, pw_error_t c, char *why, size_t cap, const char *text)
{
    *cond = c;
    snprintf(why, cap, "%s", text);
    return PW_EINVAL;
}

pw_status_t pw_enquiry_parse(xmpp_stanza_t *el, pw_enquiry_t *out, pw_error_t *cond,
                             char *why, size_t cap)
{
    int has_ref, has_p, has_pj, has_wm, has_wj, has_wn, has_sub, has_dur;
    char dur[16], bare[PW_JID_MAX + 1];
    const char *kind = xmpp_stanza_get_attribute(el, "kind");

    memset(out, 0, sizeof *out);
    if (!el || !xmpp_stanza_get_ns(el) || strcmp(xmpp_stanza_get_ns(el), PW_NS_CHAIN) != 0)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "not an enquiry of urn:peerwatch:chain:1");
    if (pw_enquiry_kind_parse(kind, &out->kind) != PW_OK)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap,
                    "'kind' must be one of current, changes, next, stop");
    if (copy_attr(el, "ref", out->ref, sizeof out->ref, &has_ref) != PW_OK || !has_ref || !out->ref[0])
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'ref' is missing or longer than 255 bytes");
    if (copy_attr(el, "presentity", out->presentity, sizeof out->presentity, &has_p) != PW_OK ||
        (has_p && !pw_msisdn_is_e164(out->presentity)))
        return fail(cond, PW_ERR_JID_MALFORMED, why, cap, "'presentity' is not an E.164 number");
    if (copy_attr(el, "presentity-jid", out->presentity_jid, sizeof out->presentity_jid, &has_pj) != PW_OK ||
        (has_pj && (pw_jid_bare(out->presentity_jid, bare, sizeof bare) != PW_OK ||
                    strcmp(bare, out->presentity_jid) != 0 || !strchr(bare, '@'))))
        return fail(cond, PW_ERR_JID_MALFORMED, why, cap, "'presentity-jid' is not a bare user JID");
    if (!has_p && !has_pj)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "one of 'presentity' or 'presentity-jid' is required");
    if (copy_attr(el, "watcher-msisdn", out->watcher_msisdn, sizeof out->watcher_msisdn, &has_wm) != PW_OK ||
        !has_wm || !pw_msisdn_is_e164(out->watcher_msisdn))
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'watcher-msisdn' must be an E.164 number");
    if (copy_attr(el, "watcher-jid", out->watcher_jid, sizeof out->watcher_jid, &has_wj) != PW_OK ||
        !has_wj || pw_jid_bare(out->watcher_jid, bare, sizeof bare) != PW_OK || !strchr(bare, '@'))
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'watcher-jid' must be a bare user JID");
    if (copy_attr(el, "watcher-network", out->watcher_network, sizeof out->watcher_network, &has_wn) != PW_OK ||
        !has_wn || !out->watcher_network[0] || !pw_jid_is_domain(out->watcher_network))
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'watcher-network' must be a domain");
    if (copy_attr(el, "subscription", out->subscription, sizeof out->subscription, &has_sub) != PW_OK)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'subscription' is longer than 127 bytes");
    {
        int has_proxy;
        if (copy_attr(el, "proxy", out->proxy, sizeof out->proxy, &has_proxy) != PW_OK ||
            (has_proxy && (!out->proxy[0] || !pw_jid_is_domain(out->proxy))))
            return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'proxy' must be a domain");
    }
    if (copy_attr(el, "duration", dur, sizeof dur, &has_dur) != PW_OK)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'duration' is not a number of seconds");
    if (has_dur) {
        char *end;
        unsigned long v = strtoul(dur, &end, 10);
        if (!dur[0] || *end || dur[0] == '-' || v == 0 || v > MAX_DURATION_S)
            return fail(cond, PW_ERR_BAD_REQUEST, why, cap,
                        "'duration' must be a whole number of seconds from 1 to 31622400");
        out->duration_s = (uint32_t)v;
    }
    if (out->kind == PW_KIND_CHANGES && !has_dur)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "a 'changes' enquiry needs a 'duration'");
    {
        char flag[8];
        int has_flag;
        if (copy_attr(el, "await-approval", flag, sizeof flag, &has_flag) != PW_OK ||
            (has_flag && strcmp(flag, "true") != 0 && strcmp(flag, "false") != 0))
            return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'await-approval' must be true or false");
        if (has_flag && out->kind != PW_KIND_CHANGES)
            return fail(cond, PW_ERR_BAD_REQUEST, why, cap,
                        "'await-approval' belongs to 'changes' enquiries only");
        out->await_approval = has_flag && strcmp(flag, "true") == 0;
    }
    if (out->kind != PW_KIND_CHANGES && has_dur)
        return fail(cond, PW_ERR_BAD_REQUEST, why, cap, "'duration' belongs to 'changes' enquiries only");
    return PW_OK;
}

/* An optional attribute: written only when its value is not empty. */
static void set_optional(xmpp_stanza_t *el, const char *name, const char *value)
{
    if (value[0])
        xmpp_stanza_set_attribute(el, name, value);
}

/*
 * Add child to parent, both built just now: the parent with its child, or NULL when either
 * is NULL (out of memory; the other is released then). The caller's reference to child goes.
 */
static xmpp_stanza_t *adopt(xmpp_stanza_t *parent, xmpp_stanza_t *child)
{
    if (parent && child) {
        xmpp_stanza_add_child(parent, child);
    } else if (parent) {
        xmpp_stanza_release(parent);
        parent = NULL;
    }
    if (child)
        xmpp_stanza_release(child);
    return parent;
}

/* An empty IQ set addressed to 'to', or NULL. */
static xmpp_stanza_t *iq_set(xmpp_ctx_t *ctx, const char *to)
{
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", NULL);
    if (iq)
        xmpp_stanza_set_to(iq, to);
    return iq;
}

xmpp_stanza_t *pw_enquiry_build(xmpp_ctx_t *ctx, const pw_enquiry_t *e)
{
    xmpp_stanza_t *el = pw_stanza_element(ctx, "enquiry", PW_NS_CHAIN);
    char dur[16];
    if (!el)
        return NULL;
    xmpp_stanza_set_attribute(el, "ref", e->ref);
    xmpp_stanza_set_attribute(el, "kind", pw_enquiry_kind_name(e->kind));
    set_optional(el, "presentity", e->presentity);
    set_optional(el, "presentity-jid", e->presentity_jid);
    xmpp_stanza_set_attribute(el, "watcher-msisdn", e->watcher_msisdn);
    xmpp_stanza_set_attribute(el, "watcher-jid", e->watcher_jid);
    xmpp_stanza_set_attribute(el, "watcher-network", e->watcher_network);
    if (e->kind == PW_KIND_CHANGES && e->duration_s) {
        snprintf(dur, sizeof dur, "%u", (unsigned)e->duration_s);
        xmpp_stanza_set_attribute(el, "duration", dur);
    }
    set_optional(el, "subscription", e->subscription);
    set_optional(el, "proxy", e->proxy);
    if (e->kind == PW_KIND_CHANGES && e->await_approval)
        xmpp_stanza_set_attribute(el, "await-approval", "true");
    return el;
}

xmpp_stanza_t *pw_enquiry_iq(xmpp_ctx_t *ctx, const pw_enquiry_t *e, const char *to)
{
    return adopt(iq_set(ctx, to), pw_enquiry_build(ctx, e));
}

xmpp_stanza_t *pw_state_build(xmpp_ctx_t *ctx, const pw_presence_state_t *st)
{
    xmpp_stanza_t *el = pw_stanza_element(ctx, "state", PW_NS);
    if (!el)
        return NULL;
    xmpp_stanza_set_attribute(el, "available", st->available ? "true" : "false");
    if (st->available && st->show[0])
        xmpp_stanza_set_attribute(el, "show", st->show);
    if (st->status[0])
        pw_stanza_add_text_child(el, "status", NULL, st->status);
    return el;
}

pw_status_t pw_state_parse(xmpp_stanza_t *el, pw_presence_state_t *out)
{
    const char *avail = xmpp_stanza_get_attribute(el, "available");
    const char *show = xmpp_stanza_get_attribute(el, "show");
    memset(out, 0, sizeof *out);
    if (!avail || (strcmp(avail, "true") != 0 && strcmp(avail, "false") != 0))
        return PW_EINVAL;
    out->available = strcmp(avail, "true") == 0;
    if (show) {
        if (strcmp(show, "away") != 0 && strcmp(show, "chat") != 0 && strcmp(show, "dnd") != 0 &&
            strcmp(show, "xa") != 0)
            return PW_EINVAL;
        snprintf(out->show, sizeof out->show, "%s", show);
    }
    pw_stanza_child_text(el, "status", NULL, out->status, sizeof out->status);
    return PW_OK;
}

/* Copy the answer children that travel back (state, subscription) from src into dst. */
/* Copy the <state/> and <subscription/> children of src into dst; network (or NULL) is written
 * on the <subscription/>, whatever the callee wrote there. */
static void copy_answer_children(xmpp_stanza_t *src, xmpp_stanza_t *dst, const char *network)
{
    for (xmpp_stanza_t *c = src ? xmpp_stanza_get_children(src) : NULL; c; c = xmpp_stanza_get_next(c)) {
        const char *name = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;
        if (name && (strcmp(name, "state") == 0 || strcmp(name, "subscription") == 0)) {
            xmpp_stanza_t *copy = xmpp_stanza_copy(c);
            if (copy) {
                if (network && strcmp(name, "subscription") == 0)
                    xmpp_stanza_set_attribute(copy, "network", network);
                xmpp_stanza_add_child(dst, copy);
                xmpp_stanza_release(copy);
            }
        }
    }
}

pw_status_t pw_enquiry_relay(pw_component_t *c, xmpp_stanza_t *req, pw_iq_outcome_t outcome,
                             xmpp_stanza_t *response, const char *timeout_text)
{
    return pw_enquiry_relay_through(c, req, outcome, response, timeout_text, NULL);
}

pw_status_t pw_enquiry_relay_through(pw_component_t *c, xmpp_stanza_t *req,
                                     pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                                     const char *timeout_text, const char *network)
{
    xmpp_stanza_t *payload = pw_stanza_payload(req), *echo, *answer;
    pw_status_t rc;
    char text[1024];

    if (outcome == PW_IQ_ERROR) {
        pw_error_t cond = pw_stanza_error_parse(response, text, sizeof text);
        return pw_component_reply_error(c, req, cond, text[0] ? text : "the request failed further down the chain");
    }
    if (outcome != PW_IQ_RESULT)
        return pw_component_reply_error(c, req, PW_ERR_REMOTE_SERVER_TIMEOUT, timeout_text);
    if (!payload)
        return pw_component_reply_result(c, req);
    /* echo the request's element (attributes only), then the travelling answer children */
    echo = pw_stanza_element(pw_component_ctx(c), xmpp_stanza_get_name(payload),
                             xmpp_stanza_get_ns(payload));
    if (!echo)
        return PW_ENOMEM;
    {
        const char *attrs[64];
        int n = xmpp_stanza_get_attributes(payload, attrs, 64);
        for (int i = 0; i + 1 < n; i += 2) {
            if (strcmp(attrs[i], "xmlns") != 0)
                xmpp_stanza_set_attribute(echo, attrs[i], attrs[i + 1]);
        }
    }
    answer = response ? pw_stanza_payload(response) : NULL;
    copy_answer_children(answer, echo, network);
    rc = pw_component_reply_payload(c, req, echo);
    xmpp_stanza_release(echo);
    return rc;
}

const char *pw_notify_reason(const char *reason)
{
    /* keep in step with PW_NOTIFY_REASONS */
    static const char *const reasons[] = { "expired", "stopped", "revoked", "presentity-gone",
                                           "fulfilled", "declined" };
    for (size_t i = 0; reason && i < sizeof reasons / sizeof reasons[0]; i++) {
        if (strcmp(reason, reasons[i]) == 0)
            return reasons[i];
    }
    return NULL;
}

void pw_approval_name(const char *msisdn, const char *watcher_jid, char *out, size_t cap)
{
    snprintf(out, cap, "%s (%s)", msisdn, watcher_jid);
}

pw_status_t pw_notify_parse(xmpp_stanza_t *el, pw_notify_t *out, char *why, size_t cap)
{
    int has_sub, has_ref, has_proxy, has_wj, has_p, has_pj, has_seq, has_end, has_net;
    char seq[16], bare[PW_JID_MAX + 1];
    pw_error_t cond;
    xmpp_stanza_t *st;

    memset(out, 0, sizeof *out);
    if (!el || !xmpp_stanza_get_ns(el) || strcmp(xmpp_stanza_get_ns(el), PW_NS_CHAIN) != 0 ||
        strcmp(xmpp_stanza_get_name(el), "notify") != 0)
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "not a notify of urn:peerwatch:chain:1");
    if (copy_attr(el, "subscription", out->subscription, sizeof out->subscription, &has_sub) != PW_OK ||
        !has_sub || !out->subscription[0])
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'subscription' is missing or too long");
    if (copy_attr(el, "ref", out->ref, sizeof out->ref, &has_ref) != PW_OK || !has_ref || !out->ref[0])
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'ref' is missing or too long");
    if (copy_attr(el, "proxy", out->proxy, sizeof out->proxy, &has_proxy) != PW_OK || !has_proxy ||
        !pw_jid_is_domain(out->proxy))
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'proxy' must be a domain");
    if (copy_attr(el, "watcher-jid", out->watcher_jid, sizeof out->watcher_jid, &has_wj) != PW_OK ||
        !has_wj || pw_jid_bare(out->watcher_jid, bare, sizeof bare) != PW_OK || !strchr(bare, '@'))
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'watcher-jid' must be a bare user JID");
    if (copy_attr(el, "presentity", out->presentity, sizeof out->presentity, &has_p) != PW_OK ||
        (has_p && !pw_msisdn_is_e164(out->presentity)))
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'presentity' is not an E.164 number");
    if (copy_attr(el, "presentity-jid", out->presentity_jid, sizeof out->presentity_jid, &has_pj) != PW_OK)
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'presentity-jid' is too long");
    if (!has_p && !has_pj)
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "one of 'presentity' or 'presentity-jid' is required");
    if (copy_attr(el, "seq", seq, sizeof seq, &has_seq) != PW_OK || !has_seq) {
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'seq' is missing");
    } else {
        char *end;
        unsigned long v = strtoul(seq, &end, 10);
        if (!seq[0] || *end || seq[0] == '-' || v == 0 || v > UINT32_MAX)
            return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'seq' must be a positive whole number");
        out->seq = (uint32_t)v;
    }
    if (copy_attr(el, "ended", out->ended, sizeof out->ended, &has_end) != PW_OK ||
        (has_end && !pw_notify_reason(out->ended)))
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'ended' must be " PW_NOTIFY_REASONS);
    if (copy_attr(el, "network", out->network, sizeof out->network, &has_net) != PW_OK ||
        (has_net && !pw_jid_is_domain(out->network)))
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "'network' must be a domain");
    st = xmpp_stanza_get_child_by_name_and_ns(el, "state", PW_NS);
    if (st) {
        if (pw_state_parse(st, &out->state) != PW_OK)
            return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "malformed <state/>");
        out->has_state = 1;
    }
    if (!out->has_state && !has_end)
        return fail(&cond, PW_ERR_BAD_REQUEST, why, cap, "a notify carries a <state/> or 'ended'");
    return PW_OK;
}

static void text_optional(pw_xml_text_t *x, const char *name, const char *value)
{
    if (value[0])
        pw_xml_text_attr(x, name, value);
}

pw_status_t pw_notify_text(const pw_notify_t *n, pw_xml_text_t *x)
{
    char seq[16];
    pw_xml_text_open(x, "notify");
    pw_xml_text_attr(x, "xmlns", PW_NS_CHAIN);
    pw_xml_text_attr(x, "subscription", n->subscription);
    pw_xml_text_attr(x, "ref", n->ref);
    pw_xml_text_attr(x, "proxy", n->proxy);
    pw_xml_text_attr(x, "watcher-jid", n->watcher_jid);
    text_optional(x, "presentity", n->presentity);
    text_optional(x, "presentity-jid", n->presentity_jid);
    snprintf(seq, sizeof seq, "%u", (unsigned)n->seq);
    pw_xml_text_attr(x, "seq", seq);
    text_optional(x, "ended", n->ended);
    text_optional(x, "network", n->network);
    if (!n->has_state) {
        pw_xml_text_empty_end(x);
        return x->failed ? PW_ENOMEM : PW_OK;
    }
    pw_xml_text_start_end(x);
    pw_xml_text_open(x, "state");
    pw_xml_text_attr(x, "xmlns", PW_NS);
    pw_xml_text_attr(x, "available", n->state.available ? "true" : "false");
    if (n->state.available && n->state.show[0])
        pw_xml_text_attr(x, "show", n->state.show);
    if (n->state.status[0]) {
        pw_xml_text_start_end(x);
        pw_xml_text_raw(x, "<status>", 8);
        pw_xml_text_chars(x, n->state.status);
        pw_xml_text_close(x, "status");
        pw_xml_text_close(x, "state");
    } else {
        pw_xml_text_empty_end(x);
    }
    pw_xml_text_close(x, "notify");
    return x->failed ? PW_ENOMEM : PW_OK;
}

/* The element is written once, as text (pw_notify_text()), and read back for the object tree:
 * one definition of a notification's form on the wire. */
xmpp_stanza_t *pw_notify_build(xmpp_ctx_t *ctx, const pw_notify_t *n)
{
    pw_xml_text_t x = { 0 };
    xmpp_stanza_t *el = NULL;
    if (pw_notify_text(n, &x) == PW_OK)
        el = xmpp_stanza_new_from_string(ctx, x.buf);
    pw_xml_text_free(&x);
    return el;
}

xmpp_stanza_t *pw_notify_iq(xmpp_ctx_t *ctx, const pw_notify_t *n, const char *to)
{
    return adopt(iq_set(ctx, to), pw_notify_build(ctx, n));
}

void pw_enquiry_count(pw_component_t *c, const char *kind, pw_error_t cond)
{
    char labels[96];
    snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", kind ? kind : "invalid",
             cond == PW_ERR_NONE ? "answered" : pw_error_name(cond));
    pw_counter_inc(pw_metrics_counter(pw_component_metrics(c), "peerwatch_enquiries_total",
                                      "Enquiries answered, by kind and outcome (answered or the error condition)",
                                      labels));
}

pw_status_t pw_enquiry_refuse(pw_component_t *c, xmpp_stanza_t *iq, const pw_enquiry_t *e,
                              pw_error_t cond, const char *text)
{
    pw_enquiry_count(c, e ? pw_enquiry_kind_name(e->kind) : NULL, cond);
    return pw_component_reply_error(c, iq, cond, text);
}

void pw_enquiry_answered(pw_component_t *c, pw_enquiry_kind_t kind, pw_error_t cond,
                         uint64_t started_ms)
{
    pw_metrics_t *m = pw_component_metrics(c);
    uint64_t now = pw_loop_now(pw_component_loop(c));
    char labels[48];

    pw_enquiry_count(c, pw_enquiry_kind_name(kind), cond);
    if (!m)
        return;
    snprintf(labels, sizeof labels, "kind=\"%s\"", pw_enquiry_kind_name(kind));
    pw_histogram_observe(pw_metrics_histogram(m, "peerwatch_enquiry_seconds",
                                              "Time from an enquiry's arrival to its answer, in seconds",
                                              labels, NULL, 0),
                         now > started_ms ? (double)(now - started_ms) / 1000.0 : 0.0);
}

void pw_enquiry_count_charged(pw_component_t *c, uint64_t n)
{
    pw_counter_add(pw_metrics_counter(pw_component_metrics(c), "peerwatch_charge_records_written_total",
                                      "Charge records made durable", NULL), n);
}

pw_status_t pw_enquiry_gauge(pw_component_t *c, pw_enquiry_gauge_t which, pw_gauge_fn fn,
                             void *owner)
{
    static const char *const gauges[][2] = {
        { "peerwatch_enquiries_in_flight", "Enquiries arrived and not yet answered" },
        { "peerwatch_subscriptions_active", "Subscriptions held" },
        { "peerwatch_notifications_unacked", "Notifications sent and not yet acknowledged" },
    };
    if ((unsigned)which >= sizeof gauges / sizeof gauges[0])
        return PW_EINVAL;
    return pw_metrics_gauge_fn(pw_component_metrics(c), gauges[which][0], gauges[which][1], NULL, fn,
                               owner);
}

void pw_notify_count_sent(pw_component_t *c)
{
    pw_counter_inc(pw_metrics_counter(pw_component_metrics(c), "peerwatch_notifications_sent_total",
                                      "Notifications sent on (to the next hop or the watcher's client)", NULL));
}

void pw_notify_count_acked(pw_component_t *c)
{
    pw_counter_inc(pw_metrics_counter(pw_component_metrics(c), "peerwatch_notifications_acked_total",
                                      "Notifications sent whose acknowledgement came back", NULL));
}

/* A notification on its way through a relay: the request to answer and the timeout text. */
typedef struct notify_hop {
    xmpp_stanza_t *req;
    char timeout_text[256];
} notify_hop_t;

static void on_notify_hop_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                                 void *arg)
{
    notify_hop_t *hop = arg;
    if (outcome == PW_IQ_RESULT)
        pw_notify_count_acked(c);
    if (outcome == PW_IQ_CANCELLED)
        pw_component_reply_error(c, hop->req, PW_ERR_SERVICE_UNAVAILABLE, "the relay is shutting down");
    else
        pw_enquiry_relay(c, hop->req, outcome, response, hop->timeout_text);
    xmpp_stanza_release(hop->req);
    free(hop);
}

pw_status_t pw_notify_forward(pw_component_t *c, xmpp_stanza_t *req, const pw_notify_t *n,
                              xmpp_stanza_t *signature, const char *to, const char *timeout_text)
{
    pw_status_t rc = PW_ENOMEM;
    notify_hop_t *hop = calloc(1, sizeof *hop);
    xmpp_stanza_t *fwd = pw_notify_iq(pw_component_ctx(c), n, to);
    xmpp_stanza_t *el = fwd ? pw_stanza_payload(fwd) : NULL;

    if (!hop || !el || (signature && xmpp_stanza_add_child(el, signature) != XMPP_EOK)) {
        pw_component_reply_error(c, req, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        goto done;
    }
    hop->req = xmpp_stanza_clone(req);
    snprintf(hop->timeout_text, sizeof hop->timeout_text, "%s", timeout_text);
    rc = pw_component_send_iq(c, fwd, 0, on_notify_hop_answer, hop);
    if (rc != PW_OK) {
        pw_component_reply_error(c, req, PW_ERR_SERVICE_UNAVAILABLE, "the next hop cannot be reached now");
        xmpp_stanza_release(hop->req);
        goto done;
    }
    pw_notify_count_sent(c);
    pw_debug(xmpp_stanza_get_id(req), "notification %u of %s -> %s", (unsigned)n->seq, n->subscription, to);
    hop = NULL; /* owned by the pending IQ now */
done:
    free(hop);
    if (fwd)
        xmpp_stanza_release(fwd);
    return rc;
}
