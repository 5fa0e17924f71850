/* subscriptions.c: the Presence Server's subscriptions (pw_subs.h): the public operations, the per-subscription throttle and expiry, the life cycle.
 *
 * Implements docs/protocol.md §5 (changes, next, stop, <notify/>, seq, ended) on the PS side;
 * the layers below are listed in subs_int.h.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "core/pw_text.h"
#include "subs_int.h"

static void kick(pw_subs_t *s, ps_sub_t *sub);

/* A subscription's timer: its expiry, or the end of its throttle. */
static void on_timer(pw_subs_t *s, ps_sub_t *sub)
{
    if (pw_subs_wall_now(s) >= sub->expires_ms) {
        pw_subs_end(s, sub, "expired", 1, NULL);
        return;
    }
    kick(s, sub);
}

/* Notify the subscription now if a change waits and the throttle allows (never while it
 * awaits the presentity's decision). */
static void kick(pw_subs_t *s, ps_sub_t *sub)
{
    if ((sub->flags & (SF_ENDED | SF_WAITING | SF_READY | SF_PENDING)) || sub->out)
        goto rearm;
    if (!(sub->flags & SF_DIRTY) || pw_subs_loop_now(s) < sub->hold_ms)
        goto rearm;
    pw_ptable_state(s->table, sub->p->jid, &s->st);
    if (pw_subs_state_hash(&s->st) == sub->last_hash) {
        sub->flags &= (uint8_t)~SF_DIRTY; /* back to the state last sent */
        goto rearm;
    }
    pw_subs_reauthorize(s, sub);
    return;
rearm:
    pw_subs_arm(s, sub);
}

/* A notification was lost for good (watcher gone or unreachable): end the subscription. */
static void lost(pw_subs_t *s, ps_sub_t *sub, const char *reason)
{
    pw_subs_end(s, sub, reason, 0, NULL);
}

/* ------------------------------------------------------------------ public operations */

/* Create a subscription (pending: awaiting the presentity's decision, state NULL). */
static pw_status_t create(pw_subs_t *s, const pw_enquiry_t *e, const char *gateway,
                          const pw_presence_state_t *state, int pending, pw_subs_created_t *out)
{
    char pf[PW_JID_MAX + 1];
    ps_pnode_t *p;
    ps_sub_t *sub;
    uint8_t id[16];
    uint64_t wall, seq;
    pw_status_t rc;

    if (!s || !e || !gateway || (!state && !pending) || !out || !e->proxy[0] || !e->presentity_jid[0] ||
        (e->kind != PW_KIND_CHANGES && e->kind != PW_KIND_NEXT) || (pending && e->kind != PW_KIND_CHANGES))
        return PW_EINVAL;
    pw_text_fold(e->presentity_jid, pf, sizeof pf);
    /* a retry of an enquiry already charged: look for the subscription it made */
    p = pw_cdr_writer_lookup(s->cdr, e->watcher_network, e->ref, &seq) == PW_OK
            ? pw_map_get(s->pnodes, pf) : NULL;
    for (sub = p ? PS_SUB_OF_P(p->subs.head) : NULL; sub; sub = PS_SUB_OF_P(sub->plink.next)) {
        if (pw_subs_sub_ref_is(sub, e->ref) && strcmp(sub->route->network, e->watcher_network) == 0) {
            pw_subs_id_format(sub->id, out->id);
            out->expires_ms = sub->expires_ms;
            return PW_OK; /* a retried enquiry: the same subscription */
        }
    }
    if (s->count >= s->cfg.max_subscriptions)
        return PW_EFULL;
    if (RAND_bytes(id, sizeof id) != 1)
        return PW_ENOMEM;
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    sub = pw_subs_sub_new(s, id, e->kind == PW_KIND_NEXT, e->ref, e->watcher_msisdn, e->watcher_jid,
                  e->presentity_jid, e->presentity, e->watcher_network, e->proxy, gateway);
    if (!sub)
        return PW_ENOMEM;
    wall = pw_subs_wall_now(s);
    sub->created_ms = wall;
    sub->expires_ms = wall + (e->kind == PW_KIND_NEXT ? s->cfg.max_duration_ms
                                                       : (uint64_t)e->duration_s * 1000u);
    sub->last_hash = state ? pw_subs_state_hash(state) : 0;
    if (pending)
        sub->flags |= SF_PENDING;
    rc = pw_subs_journal_put(s, s->store, sub);
    if (rc != PW_OK) {
        pw_subs_sub_unlink(s, sub);
        pw_subs_sub_free(s, sub);
        return rc == PW_EINVAL ? PW_ERANGE : rc;
    }
    pw_subs_arm(s, sub);
    pw_subs_id_format(id, out->id);
    out->expires_ms = sub->expires_ms;
    return PW_OK;
}

pw_status_t pw_subs_subscribe(pw_subs_t *s, const pw_enquiry_t *e, const char *gateway,
                              const pw_presence_state_t *state, pw_subs_created_t *out)
{
    return create(s, e, gateway, state, 0, out);
}

pw_status_t pw_subs_subscribe_pending(pw_subs_t *s, const pw_enquiry_t *e, const char *gateway,
                                      pw_subs_created_t *out)
{
    return create(s, e, gateway, NULL, 1, out);
}

size_t pw_subs_decided(pw_subs_t *s, const char *presentity, const char *watcher_msisdn)
{
    char pf[PW_JID_MAX + 1];
    ps_pnode_t *p;
    ps_sub_t *sub, *next;
    size_t n = 0;

    if (!s || !presentity || !watcher_msisdn)
        return 0;
    pw_text_fold(presentity, pf, sizeof pf);
    p = pw_map_get(s->pnodes, pf);
    if (!p)
        return 0;
    pw_subs_cache_drop(s, p); /* her roster has just changed: read it afresh */
    p->pinned++;
    for (sub = PS_SUB_OF_P(p->subs.head); sub; sub = next) {
        next = PS_SUB_OF_P(sub->plink.next);
        if (!(sub->flags & SF_PENDING) || (sub->flags & (SF_ENDED | SF_WAITING)) ||
            strcmp(pw_subs_sub_msisdn(sub), watcher_msisdn) != 0)
            continue;
        n++;
        pw_subs_reauthorize(s, sub);
    }
    p->pinned--;
    pw_subs_pnode_maybe_free(s, p);
    return n;
}

void pw_subs_abort(pw_subs_t *s, const char *id_text)
{
    uint8_t id[16];
    ps_sub_t *sub;
    if (!s || !id_text || pw_subs_id_parse(id_text, id) != 0 || !(sub = pw_subs_index_find(s, id)))
        return;
    pw_store_del(s->store, id_text);
    sub->flags |= SF_ENDED;
    if (sub->out) {
        sub->out->sub = NULL;
        sub->out = NULL;
    }
    pw_subs_sub_unlink(s, sub);
    if (!(sub->flags & SF_READY))
        pw_subs_sub_free(s, sub);
}

size_t pw_subs_stop(pw_subs_t *s, const pw_enquiry_t *e)
{
    char wf[PW_JID_MAX + 1], pf[PW_JID_MAX + 1];
    uint8_t id[16];
    int by_id = 0;
    ps_wnode_t *w;
    ps_sub_t *sub, *next;
    size_t n = 0;

    if (!s || !e)
        return 0;
    if (e->subscription[0]) {
        if (pw_subs_id_parse(e->subscription, id) != 0)
            return 0;
        by_id = 1;
    }
    pw_text_fold(e->watcher_jid, wf, sizeof wf);
    pw_text_fold(e->presentity_jid, pf, sizeof pf);
    w = pw_map_get(s->wnodes, wf);
    if (!w)
        return 0;
    w->pinned++;
    for (sub = w->subs; sub; sub = next) {
        next = sub->wnext;
        if (strcmp(sub->p->jid, pf) != 0 || (by_id && memcmp(sub->id, id, 16) != 0))
            continue;
        pw_subs_end(s, sub, "stopped", 1, NULL);
        n++;
    }
    w->pinned--;
    pw_subs_wnode_maybe_free(s, w);
    return n;
}

void pw_subs_changed(pw_subs_t *s, const char *bare)
{
    char pf[PW_JID_MAX + 1];
    ps_pnode_t *p;
    ps_sub_t *sub, *next;
    if (!s || !bare)
        return;
    pw_text_fold(bare, pf, sizeof pf);
    p = pw_map_get(s->pnodes, pf);
    if (!p)
        return;
    p->pinned++;
    for (sub = PS_SUB_OF_P(p->subs.head); sub; sub = next) {
        next = PS_SUB_OF_P(sub->plink.next);
        sub->flags |= SF_DIRTY;
        kick(s, sub);
    }
    p->pinned--;
    pw_subs_pnode_maybe_free(s, p);
}

pw_status_t pw_subs_commit(pw_subs_t *s)
{
    if (!s || !pw_store_pending(s->store))
        return PW_OK;
    return pw_store_commit(s->store);
}

void pw_subs_flush(pw_subs_t *s)
{
    if (!s || !s->ready)
        return;
    /* the ready ones join the queue's tail, so that a burst waits behind an earlier one */
    if (s->queued_tail)
        s->queued_tail->rnext = s->ready;
    else
        s->queued = s->ready;
    s->queued_tail = s->ready_tail;
    s->ready = s->ready_tail = NULL;
    pw_subs_send_queued(s);
}

size_t pw_subs_count(const pw_subs_t *s)
{
    return s ? s->count : 0;
}

size_t pw_subs_foreach(pw_subs_t *s, const char *bare,
                       int (*fn)(const pw_subs_view_t *v, void *arg), void *arg)
{
    char pf[PW_JID_MAX + 1], id[PW_SUBS_ID_TEXT];
    ps_pnode_t *p;
    size_t n = 0;
    if (!s || !bare || !fn)
        return 0;
    pw_text_fold(bare, pf, sizeof pf);
    p = pw_map_get(s->pnodes, pf);
    for (ps_sub_t *sub = p ? PS_SUB_OF_P(p->subs.head) : NULL; sub; sub = PS_SUB_OF_P(sub->plink.next)) {
        pw_subs_view_t v;
        pw_subs_id_format(sub->id, id);
        v.id = id;
        v.watcher_msisdn = pw_subs_sub_msisdn(sub);
        v.watcher_jid = sub->w->jid;
        v.network = sub->route->network;
        v.kind = pw_subs_kind_name(sub);
        v.created_ms = sub->created_ms;
        v.expires_ms = sub->expires_ms;
        n++;
        if (fn(&v, arg))
            break;
    }
    return n;
}

void pw_subs_stats(const pw_subs_t *s, pw_subs_stats_t *out)
{
    if (s && out)
        *out = s->stats;
}

void pw_subs_set_config(pw_subs_t *s, const pw_subs_config_t *cfg)
{
    if (!s || !cfg)
        return;
    s->cfg = *cfg;
    pw_subs_send_queued(s); /* a wider notify_window */
}

/* ------------------------------------------------------------------ life cycle */
pw_status_t pw_subs_create(pw_subs_t **out, pw_component_t *c, const pw_subs_config_t *cfg,
                           const pw_ptable_t *table, pw_cdr_writer_t *cdr)
{
    pw_subs_t *s = NULL;
    pw_status_t rc = PW_EINVAL;
    char name[160];
    size_t dropped = 0;

    if (!out || !c || !cfg || !table || !cdr || !cfg->state_dir || !cfg->node || !cfg->network ||
        !cfg->watcher || !cfg->notify_interval_ms)
        goto done;
    *out = NULL;
    rc = PW_ENOMEM;
    s = calloc(1, sizeof *s);
    if (!s)
        goto done;
    s->c = c;
    s->cfg = *cfg;
    s->table = table;
    s->cdr = cdr;
    s->on_timer = on_timer;
    s->on_acked = kick;
    s->on_lost = lost;
    pw_subs_reauth_init(s);
    pw_subs_timers_init(s);
    if (pw_map_create(&s->interned) != PW_OK || pw_map_create(&s->pnodes) != PW_OK ||
        pw_map_create(&s->wnodes) != PW_OK || pw_subs_index_grow(s) != PW_OK)
        goto done;
    snprintf(name, sizeof name, "subs-%s", cfg->node);
    if ((rc = pw_subs_journal_open(s, name)) != PW_OK)
        goto done;
    while (s->loaded_expired) {
        ps_sub_t *sub = s->loaded_expired;
        s->loaded_expired = sub->rnext;
        sub->rnext = NULL;
        pw_subs_end(s, sub, "expired", 0, NULL);
        dropped++;
    }
    if (dropped) {
        if (pw_cdr_writer_commit(cdr) != PW_OK)
            pw_error(NULL, "end records of expired subscriptions could not be committed");
        pw_store_commit(s->store);
    }
    pw_info(NULL, "subscriptions: %zu reloaded from %s/%s.journal, %zu expired meanwhile", s->count,
            cfg->state_dir, name, dropped);
    *out = s;
    s = NULL;
    rc = PW_OK;
done:
    pw_subs_destroy(s);
    return rc;
}

/* Free a presentity node and its roster cache. */
static void free_pnode(void *value)
{
    ps_pnode_t *p = value;
    pw_map_destroy(p->roster);
    free(p);
}

void pw_subs_destroy(pw_subs_t *s)
{
    if (!s)
        return;
    pw_subs_notify_cancel_all(s);
    pw_subs_reauth_fini(s);
    for (ps_sub_t *sub = s->ready, *next; sub; sub = next) {
        next = sub->rnext;
        if (sub->flags & SF_ENDED)
            free(sub); /* interned strings go with the table below */
    }
    for (ps_sub_t *sub = s->queued, *next; sub; sub = next) {
        next = sub->rnext;
        if (sub->flags & SF_ENDED)
            free(sub);
    }
    pw_subs_timers_fini(s);
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (ps_sub_t *sub = s->buckets[i], *next; sub; sub = next) {
            next = sub->hnext;
            free(sub);
        }
    }
    free(s->buckets);
    pw_store_close(s->store);
    pw_map_destroy_values(s->pnodes, free_pnode);
    pw_map_destroy_values(s->wnodes, free);
    pw_map_destroy_values(s->interned, free);
    pw_xml_text_free(&s->text);
    free(s);
}
