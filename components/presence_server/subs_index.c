/* subs_index.c: the subscription objects and their indexes (by presentity, by watcher, by id), the interned strings, the clocks and each subscription's one timer. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_clock.h"
#include "core/pw_log.h"
#include "core/pw_text.h"
#include "address/pw_jid.h"
#include "subs_int.h"

uint64_t pw_subs_loop_now(const pw_subs_t *s)
{
    return pw_loop_now(pw_component_loop(s->c));
}

uint64_t pw_subs_wall_now(const pw_subs_t *s)
{
    if (s->cfg.wall_clock)
        return s->cfg.wall_clock(s->cfg.wall_clock_arg);
    return pw_clock_wall_ms();
}

const char *pw_subs_sub_ref(const ps_sub_t *sub)
{
    return sub->data;
}

const char *pw_subs_kind_name(const ps_sub_t *sub)
{
    return (sub->flags & SF_NEXT) ? "next" : (sub->flags & SF_PENDING) ? "pending" : "changes";
}

const char *pw_subs_sub_msisdn(const ps_sub_t *sub)
{
    return sub->data + strlen(sub->data) + 1;
}

const char *pw_subs_sub_pmsisdn(const ps_sub_t *sub)
{
    const char *m = pw_subs_sub_msisdn(sub);
    return m + strlen(m) + 1;
}

void pw_subs_id_format(const uint8_t id[16], char out[PW_SUBS_ID_TEXT])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 15];
    }
    out[o] = '\0';
}

int pw_subs_id_parse(const char *text, uint8_t id[16])
{
    size_t o = 0;
    if (strlen(text) != PW_SUBS_ID_TEXT - 1)
        return -1;
    for (int i = 0; i < 16; i++) {
        int hi, lo;
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (text[o++] != '-')
                return -1;
        }
        hi = pw_text_hexval(text[o]);
        lo = pw_text_hexval(text[o + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        id[i] = (uint8_t)(hi << 4 | lo);
        o += 2;
    }
    return 0;
}

/* FNV-1a over the state: equal states have equal hashes (never 0). */
uint64_t pw_subs_state_hash(const pw_presence_state_t *st)
{
    uint64_t h = 1469598103934665603ull;
    const char *parts[2] = { st->show, st->status };
    h ^= (uint64_t)(st->available ? 1 : 2);
    h *= 1099511628211ull;
    for (int k = 0; k < 2; k++) {
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
            h ^= *p;
            h *= 1099511628211ull;
        }
        h ^= 0xffu;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/* ------------------------------------------------------------------ interning and nodes */

static ps_istr_t *intern(pw_subs_t *s, const char *str)
{
    ps_istr_t *i = pw_map_get(s->interned, str);
    size_t len;
    if (i) {
        i->refs++;
        return i;
    }
    len = strlen(str);
    i = malloc(sizeof *i + len + 1);
    if (!i)
        return NULL;
    i->refs = 1;
    memcpy(i->s, str, len + 1);
    if (pw_map_put(s->interned, str, i, NULL) != PW_OK) {
        free(i);
        return NULL;
    }
    return i;
}

static void unintern(pw_subs_t *s, ps_istr_t *i)
{
    if (i && --i->refs == 0) {
        pw_map_remove(s->interned, i->s);
        free(i);
    }
}

void pw_subs_cache_drop(pw_subs_t *s, ps_pnode_t *p)
{
    if (!p->roster)
        return;
    pw_list_unlink(&s->cached, &p->clink);
    pw_map_destroy(p->roster);
    p->roster = NULL;
}

void pw_subs_pnode_maybe_free(pw_subs_t *s, ps_pnode_t *p)
{
    if (p->count || p->pinned || p->roster_busy)
        return;
    pw_subs_cache_drop(s, p);
    pw_map_remove(s->pnodes, p->jid);
    free(p);
}

void pw_subs_wnode_maybe_free(pw_subs_t *s, ps_wnode_t *w)
{
    if (w->count || w->pinned)
        return;
    pw_map_remove(s->wnodes, w->jid);
    free(w);
}

/* The node of a folded JID in map, made (zeroed, the JID copied to jid_at) when missing. */
static void *node_get(pw_map_t *map, const char *folded, size_t size, size_t jid_at)
{
    char *n = pw_map_get(map, folded);
    size_t len;
    if (n)
        return n;
    len = strlen(folded);
    n = calloc(1, size + len + 1);
    if (!n)
        return NULL;
    memcpy(n + jid_at, folded, len + 1);
    if (pw_map_put(map, folded, n, NULL) != PW_OK) {
        free(n);
        return NULL;
    }
    return n;
}

static ps_pnode_t *pnode_get(pw_subs_t *s, const char *folded)
{
    ps_pnode_t *p = node_get(s->pnodes, folded, sizeof *p, offsetof(ps_pnode_t, jid));
    if (p)
        p->owner = s;
    return p;
}

static ps_wnode_t *wnode_get(pw_subs_t *s, const char *folded)
{
    return node_get(s->wnodes, folded, sizeof(ps_wnode_t), offsetof(ps_wnode_t, jid));
}

/* ------------------------------------------------------------------ id index */

static size_t id_bucket(const pw_subs_t *s, const uint8_t id[16])
{
    uint64_t h;
    memcpy(&h, id + 8, sizeof h);
    return (size_t)(h ^ (h >> 29)) & (s->nbuckets - 1);
}

pw_status_t pw_subs_index_grow(pw_subs_t *s)
{
    size_t n = s->nbuckets ? s->nbuckets * 2 : 1024;
    ps_sub_t **b = calloc(n, sizeof *b), **old = s->buckets;
    size_t oldn = s->nbuckets;
    if (!b)
        return PW_ENOMEM;
    s->buckets = b;
    s->nbuckets = n;
    for (size_t i = 0; i < oldn; i++) {
        ps_sub_t *sub = old[i], *next;
        for (; sub; sub = next) {
            size_t k = id_bucket(s, sub->id);
            next = sub->hnext;
            sub->hnext = b[k];
            b[k] = sub;
        }
    }
    free(old);
    return PW_OK;
}

ps_sub_t *pw_subs_index_find(const pw_subs_t *s, const uint8_t id[16])
{
    if (!s->nbuckets)
        return NULL;
    for (ps_sub_t *sub = s->buckets[id_bucket(s, id)]; sub; sub = sub->hnext) {
        if (memcmp(sub->id, id, 16) == 0)
            return sub;
    }
    return NULL;
}

/* A new subscription in every index (not journaled, no timer). */
ps_sub_t *pw_subs_sub_new(pw_subs_t *s, const uint8_t id[16], int next, const char *ref,
                         const char *wmsisdn, const char *wjid, const char *pjid, const char *pmsisdn,
                         const char *network, const char *proxy, const char *gateway)
{
    char pf[PW_JID_MAX + 1], wf[PW_JID_MAX + 1];
    size_t lr = strlen(ref), lm = strlen(wmsisdn), lp = strlen(pmsisdn);
    ps_sub_t *sub;
    size_t k;

    if (s->count + 1 > s->nbuckets && pw_subs_index_grow(s) != PW_OK)
        return NULL;
    sub = calloc(1, sizeof *sub + lr + lm + lp + 3);
    if (!sub)
        return NULL;
    memcpy(sub->data, ref, lr + 1);
    memcpy(sub->data + lr + 1, wmsisdn, lm + 1);
    memcpy(sub->data + lr + lm + 2, pmsisdn, lp + 1);
    memcpy(sub->id, id, 16);
    sub->flags = next ? SF_NEXT : 0;
    pw_text_fold(pjid, pf, sizeof pf);
    pw_text_fold(wjid, wf, sizeof wf);
    sub->network = intern(s, network);
    sub->proxy = intern(s, proxy);
    sub->gateway = intern(s, gateway);
    sub->p = pnode_get(s, pf);
    sub->w = wnode_get(s, wf);
    if (!sub->network || !sub->proxy || !sub->gateway || !sub->p || !sub->w) {
        unintern(s, sub->network);
        unintern(s, sub->proxy);
        unintern(s, sub->gateway);
        if (sub->p)
            pw_subs_pnode_maybe_free(s, sub->p);
        if (sub->w)
            pw_subs_wnode_maybe_free(s, sub->w);
        free(sub);
        return NULL;
    }
    pw_timer_init(&sub->timer, s->on_timer, s);
    pw_list_push_front(&sub->p->subs, &sub->plink);
    sub->p->count++;
    pw_list_push_front(&sub->w->subs, &sub->wlink);
    sub->w->count++;
    k = id_bucket(s, id);
    sub->hnext = s->buckets[k];
    s->buckets[k] = sub;
    s->count++;
    return sub;
}

/* Take a subscription out of every index (memory stays). */
void pw_subs_sub_unlink(pw_subs_t *s, ps_sub_t *sub)
{
    ps_sub_t **pp = &s->buckets[id_bucket(s, sub->id)];
    pw_timer_stop(pw_component_loop(s->c), &sub->timer);
    while (*pp && *pp != sub)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = sub->hnext;
    pw_list_unlink(&sub->p->subs, &sub->plink);
    sub->p->count--;
    pw_list_unlink(&sub->w->subs, &sub->wlink);
    sub->w->count--;
    pw_subs_pnode_maybe_free(s, sub->p);
    pw_subs_wnode_maybe_free(s, sub->w);
    sub->p = NULL;
    sub->w = NULL;
    s->count--;
}

void pw_subs_sub_free(pw_subs_t *s, ps_sub_t *sub)
{
    unintern(s, sub->network);
    unintern(s, sub->proxy);
    unintern(s, sub->gateway);
    free(sub);
}
/* (Re)start the timer: at the expiry, or at the end of the throttle when a change waits. */
void pw_subs_arm(pw_subs_t *s, ps_sub_t *sub)
{
    uint64_t wall = pw_subs_wall_now(s), due, now;
    if (sub->flags & SF_ENDED)
        return;
    due = sub->expires_ms > wall ? sub->expires_ms - wall : 0;
    if ((sub->flags & SF_DIRTY) && !(sub->flags & (SF_WAITING | SF_READY)) && !sub->out) {
        now = pw_subs_loop_now(s);
        if (sub->hold_ms <= now)
            due = 0;
        else if (sub->hold_ms - now < due)
            due = sub->hold_ms - now;
    }
    if (pw_timer_start(pw_component_loop(s->c), &sub->timer, due) != PW_OK)
        pw_error(pw_subs_sub_ref(sub), "no timer for a subscription: out of memory");
}

