/* subs_notify.c: the subscriptions' notifications in flight to the gateway (docs/protocol.md §5.2): send (notify_window at a time, the rest queued), acknowledgement, failover to the operator's other gateway instances, retries after a timeout; what follows goes up through the callbacks. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"
#include "subs_int.h"


static void out_free(ps_out_t *o)
{
    pw_subs_route_release(o->s, o->route);
    free(o);
}

static void on_notify_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                             void *arg);

/* Track a notification in flight (s->outs, s->nouts: what notify_window counts). */
static void outs_add(pw_subs_t *s, ps_out_t *o)
{
    pw_list_push_front(&s->outs, &o->link);
    s->nouts++;
}

static void outs_remove(pw_subs_t *s, ps_out_t *o)
{
    pw_list_unlink(&s->outs, &o->link);
    s->nouts--;
}

pw_status_t pw_subs_notify_send(pw_subs_t *s, ps_sub_t *sub, const char *reason,
                               const pw_presence_state_t *state)
{
    pw_notify_t *n = &s->n;
    ps_out_t *o = NULL;
    pw_status_t rc = PW_ENOMEM;

    memset(n, 0, offsetof(pw_notify_t, state));
    pw_subs_id_format(sub->id, n->subscription);
    pw_subs_sub_ref(sub, n->ref);
    SUBS_COPY(n->proxy, sub->route->proxy);
    SUBS_COPY(n->watcher_jid, sub->w->jid);
    SUBS_COPY(n->presentity, pw_subs_sub_pmsisdn(sub));
    SUBS_COPY(n->presentity_jid, sub->p->jid);
    n->seq = sub->seq;
    if (reason)
        SUBS_COPY(n->ended, reason);
    n->has_state = state != NULL;
    if (state)
        n->state = *state;
    pw_xml_text_reset(&s->text);
    if (pw_notify_text(n, &s->text) != PW_OK)
        goto done;
    o = calloc(1, sizeof *o + s->text.len + 1);
    if (!o)
        goto done;
    memcpy(o->payload, s->text.buf, s->text.len + 1);
    o->s = s;
    o->route = pw_subs_route_hold(sub->route);
    o->to = o->route->gateway;
    o->sub = reason ? NULL : sub;
    outs_add(s, o);
    rc = pw_component_send_iq_text(s->c, o->to, o->payload, s->cfg.notify_timeout_ms, on_notify_answer, o);
    if (rc != PW_OK) {
        outs_remove(s, o);
        goto done;
    }
    if (!reason)
        sub->out = o;
    o = NULL;
    s->stats.notifications++;
    pw_notify_count_sent(s->c);
    pw_debug(n->ref, "notify %s seq %u to %s%s%s", n->subscription, (unsigned)n->seq, n->proxy,
             reason ? " ended=" : "", reason ? reason : "");
done:
    if (rc != PW_OK)
        pw_warn(n->ref, "notification %u of %s not sent: %s", (unsigned)n->seq, n->subscription,
                pw_strerror(rc));
    if (o)
        out_free(o);
    return rc;
}

static int error_is_wait(xmpp_stanza_t *response)
{
    xmpp_stanza_t *err = response ? xmpp_stanza_get_child_by_name(response, "error") : NULL;
    const char *type = err ? xmpp_stanza_get_attribute(err, "type") : NULL;
    return type && strcmp(type, "wait") == 0;
}

/* The k-th gateway (k from 1) to try after the subscription's own: the configured instances
 * in order, the own one left out. NULL past the last. */
static const char *other_gateway(const pw_subs_t *s, const char *own, unsigned k)
{
    for (size_t i = 0; i < s->cfg.ngateways; i++) {
        if (strcasecmp(s->cfg.gateways[i], own) != 0 && --k == 0)
            return s->cfg.gateways[i];
    }
    return NULL;
}

/* Send the notification again (same seq, new IQ id) to a gateway. 0 when it went out. */
static int resend(ps_out_t *o, const char *to)
{
    pw_subs_t *s = o->s;
    o->to = to;
    outs_add(s, o);
    if (pw_component_send_iq_text(s->c, to, o->payload, s->cfg.notify_timeout_ms, on_notify_answer, o) != PW_OK) {
        outs_remove(s, o);
        return -1;
    }
    if (o->sub)
        o->sub->out = o;
    return 0;
}

/* The gateway it was sent to failed it (an error or no answer): another instance of the
 * operator's gateway may take it (a gateway that is down, on a server that bounces or drops
 * stanzas to a missing component). 1 when it went out there. */
static int fail_over(ps_out_t *o, pw_iq_outcome_t outcome, xmpp_stanza_t *response)
{
    const char *next = other_gateway(o->s, o->route->gateway, o->target + 1);
    char text[256] = "no answer in time";

    if (!next)
        return 0;
    if (outcome == PW_IQ_ERROR) {
        pw_error_t cond = pw_stanza_error_parse(response, text, sizeof text);
        if (!text[0])
            snprintf(text, sizeof text, "%s", pw_error_name(cond));
    }
    pw_info(NULL, "notification to %s failed (%s); trying gateway %s",
            o->to, text, next);
    if (resend(o, next) != 0)
        return 0;
    o->target++;
    return 1;
}

/* Whether a subscription whose notification went unacknowledged is still within
 * notify_grace of its first unacknowledged one (from now on, if this is it). */
static int within_grace(pw_subs_t *s, ps_sub_t *sub)
{
    uint32_t now_s = (uint32_t)(pw_subs_loop_now(s) / 1000u) + 1u;
    if (!sub->unacked_s)
        sub->unacked_s = now_s;
    return (uint64_t)(now_s - sub->unacked_s) * 1000u < s->cfg.notify_grace_ms;
}

static void on_notify_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                             void *arg)
{
    ps_out_t *o = arg;
    pw_subs_t *s = o->s;
    ps_sub_t *sub = o->sub;
    char text[256], id[PW_SUBS_ID_TEXT], ref[PS_REF_CAP];
    pw_error_t cond = PW_ERR_NONE;

    outs_remove(s, o);
    if (sub)
        sub->out = NULL;
    switch (outcome) {
    case PW_IQ_CANCELLED:
        break;
    case PW_IQ_RESULT:
        if (sub)
            sub->unacked_s = 0;
        s->stats.acked++;
        pw_notify_count_acked(c);
        if (sub)
            s->on_acked(s, sub);
        break;
    case PW_IQ_ERROR:
    case PW_IQ_TIMEOUT:
    default:
        if (fail_over(o, outcome, response))
            return;
        if (outcome == PW_IQ_ERROR && !error_is_wait(response)) {
            cond = pw_stanza_error_parse(response, text, sizeof text);
            if (sub) {
                pw_subs_id_format(sub->id, id);
                pw_info(pw_subs_sub_ref(sub, ref), "subscription %s: the watcher is gone (%s: %s); ending it",
                        id, pw_error_name(cond), text);
                s->on_lost(s, sub, "watcher-gone");
            }
            break;
        }
        /* a timeout, here or relayed by a hop (remote-server-timeout, type wait) */
        if (o->retries < s->cfg.notify_retries) {
            o->retries++;
            s->stats.retries++;
            o->target = 0; /* each retry starts again at the subscription's own gateway */
            if (resend(o, o->route->gateway) == 0)
                return;
        }
        if (sub && (!pw_component_online(s->c) || within_grace(s, sub))) {
            /* our own link is down (not the watcher's fault), or the watcher's network has not
             * answered for less than notify_grace (a WAN outage, its server restarting): send
             * the latest state, a new number, later instead of this one */
            pw_subs_id_format(sub->id, id);
            pw_info(pw_subs_sub_ref(sub, ref), "subscription %s: notification %u unacknowledged; the "
                    "latest state follows", id, (unsigned)sub->seq);
            sub->flags |= SF_DIRTY;
            sub->last_hash = 0;
            sub->hold_ms = pw_subs_loop_now(s) + (pw_component_online(s->c)
                                                      ? s->cfg.notify_timeout_ms
                                                      : s->cfg.notify_interval_ms);
            pw_subs_arm(s, sub);
            break;
        }
        if (sub) {
            pw_subs_id_format(sub->id, id);
            pw_warn(pw_subs_sub_ref(sub, ref), "subscription %s: notification %u unacknowledged after %u tries; ending it",
                    id, (unsigned)sub->seq, o->retries + 1);
            s->on_lost(s, sub, "watcher-unreachable");
        }
        break;
    }
    out_free(o);
    if (outcome != PW_IQ_CANCELLED)
        pw_subs_send_queued(s); /* room in notify_window */
}

/* Whether notify_window is full: the next state notification waits in the queue. */
static int window_full(const pw_subs_t *s)
{
    return s->cfg.notify_window && s->nouts >= s->cfg.notify_window;
}

void pw_subs_send_queued(pw_subs_t *s)
{
    ps_sub_t *sub;
    const ps_pnode_t *last = NULL; /* s->st and hash hold its state (a fan-out's run of subs) */
    uint64_t hash = 0;

    while ((sub = s->queued) != NULL && !window_full(s)) {
        s->queued = sub->rnext;
        if (!s->queued)
            s->queued_tail = NULL;
        sub->rnext = NULL;
        sub->flags &= (uint8_t)~SF_READY;
        if (sub->flags & SF_ENDED) {
            pw_subs_sub_free(s, sub);
            continue;
        }
        if (sub->p != last) {
            pw_ptable_state(s->table, sub->p->jid, &s->st);
            hash = pw_subs_state_hash(&s->st);
            last = sub->p;
        }
        sub->last_hash = hash;
        if (pw_subs_notify_send(s, sub, NULL, &s->st) != PW_OK) {
            /* try again after the interval, with the next number */
            sub->flags |= SF_DIRTY;
            sub->last_hash = 0;
        }
        pw_subs_arm(s, sub);
    }
}

size_t pw_subs_unacked(const pw_subs_t *s)
{
    return s ? s->nouts : 0;
}

void pw_subs_notify_cancel_all(pw_subs_t *s)
{
    while (s->outs.head) {
        ps_out_t *o = PW_LIST_ITEM(s->outs.head, ps_out_t, link);
        if (pw_component_cancel_iqs(s->c, o) == 0) {
            outs_remove(s, o);
            out_free(o);
        }
    }
}
