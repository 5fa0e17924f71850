/* subs_index.c: the subscription objects and their indexes (by presentity, by watcher, by id), the interned routes (network, proxy, gateway, ref domain), the clocks and the subscriptions' timer heap. */
#include <stddef.h>
#include <stdio.h>
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

const char *pw_subs_sub_ref(const ps_sub_t *sub, char buf[PS_REF_CAP])
{
    char uuid[PW_SUBS_ID_TEXT];
    const char *rest = sub->data;
    if (sub->route->ref_uuid) {
        pw_subs_id_format((const uint8_t *)sub->data, uuid);
        rest = uuid;
    }
    snprintf(buf, PS_REF_CAP, "%s%s", sub->route->ref_domain, rest);
    return buf;
}

int pw_subs_sub_ref_is(const ps_sub_t *sub, const char *ref)
{
    char own[PS_REF_CAP];
    return strcmp(pw_subs_sub_ref(sub, own), ref) == 0;
}

/* The length of a ref's domain: up to its first '/' included (0 without one). */
static size_t ref_domain_len(const char *ref)
{
    const char *slash = strchr(ref, '/');
    return slash ? (size_t)(slash - ref) + 1 : 0;
}

/* Whether the rest of a ref (after its domain) is a UUID as pw_subs_id_format() writes it (the
 * protocol's refs are: it is then held as its 16 bytes, and written back the same); id receives
 * them. */
static int ref_rest_is_uuid(const char *rest, uint8_t id[16])
{
    char again[PW_SUBS_ID_TEXT];
    if (pw_subs_id_parse(rest, id) != 0)
        return 0;
    pw_subs_id_format(id, again);
    return strcmp(again, rest) == 0;
}

/* Where the MSISDNs a subscription holds begin: behind its ref's rest. */
static const char *after_ref(const ps_sub_t *sub)
{
    return sub->route->ref_uuid ? sub->data + 16 : sub->data + strlen(sub->data) + 1;
}

const char *pw_subs_kind_name(const ps_sub_t *sub)
{
    return (sub->flags & SF_NEXT) ? "next" : (sub->flags & SF_PENDING) ? "pending" : "changes";
}

/* The MSISDN behind a node's JID. */
static const char *node_msisdn(const char *jid)
{
    return jid + strlen(jid) + 1;
}

const char *pw_subs_sub_msisdn(const ps_sub_t *sub)
{
    if (sub->flags & SF_OWN_WMS)
        return after_ref(sub);
    return node_msisdn(sub->w->jid);
}

const char *pw_subs_sub_pmsisdn(const ps_sub_t *sub)
{
    const char *m = after_ref(sub);
    if (!(sub->flags & SF_OWN_PMS))
        return node_msisdn(sub->p->jid);
    if (sub->flags & SF_OWN_WMS)
        m += strlen(m) + 1;
    return m;
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

/* The interned routes' key: the four strings, the first three prefixed by their lengths, and
 * whether the refs' rest is a UUID (before the domain). */
static void route_key(char *key, size_t cap, const char *network, const char *proxy, const char *gateway,
                      const char *domain, size_t ld, int uuid)
{
    snprintf(key, cap, "%zu:%s%zu:%s%zu:%s%c%.*s", strlen(network), network, strlen(proxy), proxy,
             strlen(gateway), gateway, uuid ? 'u' : '-', (int)ld, domain);
}

/* The interned route of the three, the ref domain (its first ld bytes) and whether the refs'
 * rest is a UUID, held once more. */
static ps_route_t *route_get(pw_subs_t *s, const char *network, const char *proxy, const char *gateway,
                             const char *domain, size_t ld, int uuid)
{
    size_t ln = strlen(network), lp = strlen(proxy), lg = strlen(gateway), cap = ln + lp + lg + ld + 96, lk;
    char *key = malloc(cap);
    ps_route_t *r = NULL;
    if (!key)
        return NULL;
    route_key(key, cap, network, proxy, gateway, domain, ld, uuid);
    r = pw_map_get(s->interned, key);
    if (r) {
        r->refs++;
        goto done;
    }
    lk = strlen(key);
    r = malloc(sizeof *r + lk + ln + lp + lg + ld + 5);
    if (!r)
        goto done;
    r->refs = 1;
    r->ref_uuid = uuid != 0;
    memcpy(r->text, key, lk + 1);
    r->network = r->text + lk + 1;
    r->proxy = r->network + ln + 1;
    r->gateway = r->proxy + lp + 1;
    r->ref_domain = r->gateway + lg + 1;
    memcpy((char *)r->network, network, ln + 1);
    memcpy((char *)r->proxy, proxy, lp + 1);
    memcpy((char *)r->gateway, gateway, lg + 1);
    memcpy((char *)r->ref_domain, domain, ld);
    ((char *)r->ref_domain)[ld] = '\0';
    if (pw_map_put(s->interned, key, r, NULL) != PW_OK) {
        free(r);
        r = NULL;
    }
done:
    free(key);
    return r;
}

ps_route_t *pw_subs_route_hold(ps_route_t *r)
{
    r->refs++;
    return r;
}

void pw_subs_route_release(pw_subs_t *s, ps_route_t *r)
{
    if (!r || --r->refs > 0)
        return;
    pw_map_remove(s->interned, r->text);
    free(r);
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

/* The node of a folded JID in map, made (zeroed, the JID and msisdn copied to jid_at) when
 * missing. */
static void *node_get(pw_map_t *map, const char *folded, const char *msisdn, size_t size, size_t jid_at)
{
    char *n = pw_map_get(map, folded);
    size_t len, lm;
    if (n)
        return n;
    len = strlen(folded);
    lm = strlen(msisdn);
    n = calloc(1, size + len + lm + 2);
    if (!n)
        return NULL;
    memcpy(n + jid_at, folded, len + 1);
    memcpy(n + jid_at + len + 1, msisdn, lm + 1);
    if (pw_map_put(map, folded, n, NULL) != PW_OK) {
        free(n);
        return NULL;
    }
    return n;
}

static ps_pnode_t *pnode_get(pw_subs_t *s, const char *folded, const char *msisdn)
{
    ps_pnode_t *p = node_get(s->pnodes, folded, msisdn, sizeof *p, offsetof(ps_pnode_t, jid));
    if (p)
        p->owner = s;
    return p;
}

static ps_wnode_t *wnode_get(pw_subs_t *s, const char *folded, const char *msisdn)
{
    return node_get(s->wnodes, folded, msisdn, sizeof(ps_wnode_t), offsetof(ps_wnode_t, jid));
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
    size_t ld = ref_domain_len(ref), lr, lm = strlen(wmsisdn), lp = strlen(pmsisdn), o;
    uint8_t uuid[16];
    int is_uuid = ref_rest_is_uuid(ref + ld, uuid);
    ps_sub_t *sub = NULL;
    ps_pnode_t *p = NULL;
    ps_wnode_t *w = NULL;
    ps_route_t *route = NULL;
    int own_w, own_p;
    size_t k;

    if (s->count + 1 > s->nbuckets && pw_subs_index_grow(s) != PW_OK)
        return NULL;
    pw_text_fold(pjid, pf, sizeof pf);
    pw_text_fold(wjid, wf, sizeof wf);
    route = route_get(s, network, proxy, gateway, ref, ld, is_uuid);
    p = pnode_get(s, pf, pmsisdn);
    w = wnode_get(s, wf, wmsisdn);
    if (!route || !p || !w)
        goto done;
    own_w = strcmp(node_msisdn(w->jid), wmsisdn) != 0;
    own_p = strcmp(node_msisdn(p->jid), pmsisdn) != 0;
    lr = is_uuid ? sizeof uuid : strlen(ref + ld) + 1; /* the rest held: 16 bytes or a string */
    sub = calloc(1, offsetof(ps_sub_t, data) + lr + (own_w ? lm + 1 : 0) + (own_p ? lp + 1 : 0));
    if (!sub)
        goto done;
    memcpy(sub->data, is_uuid ? (const char *)uuid : ref + ld, lr);
    o = lr;
    if (own_w) {
        memcpy(sub->data + o, wmsisdn, lm + 1);
        o += lm + 1;
    }
    if (own_p)
        memcpy(sub->data + o, pmsisdn, lp + 1);
    memcpy(sub->id, id, 16);
    sub->flags = (uint8_t)((next ? SF_NEXT : 0) | (own_w ? SF_OWN_WMS : 0) | (own_p ? SF_OWN_PMS : 0));
    sub->route = route;
    sub->p = p;
    sub->w = w;
    sub->heap_index = PS_UNARMED;
    pw_list_push_front(&sub->p->subs, &sub->plink);
    sub->p->count++;
    sub->wnext = w->subs;
    w->subs = sub;
    sub->w->count++;
    k = id_bucket(s, id);
    sub->hnext = s->buckets[k];
    s->buckets[k] = sub;
    s->count++;
done:
    if (!sub) {
        pw_subs_route_release(s, route);
        if (p)
            pw_subs_pnode_maybe_free(s, p);
        if (w)
            pw_subs_wnode_maybe_free(s, w);
    }
    return sub;
}

static void timer_stop(pw_subs_t *s, ps_sub_t *sub);

/* Take a subscription out of every index (memory stays). */
void pw_subs_sub_unlink(pw_subs_t *s, ps_sub_t *sub)
{
    ps_sub_t **pp = &s->buckets[id_bucket(s, sub->id)];
    timer_stop(s, sub);
    while (*pp && *pp != sub)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = sub->hnext;
    pw_list_unlink(&sub->p->subs, &sub->plink);
    sub->p->count--;
    for (pp = &sub->w->subs; *pp && *pp != sub; pp = &(*pp)->wnext)
        ;
    if (*pp)
        *pp = sub->wnext;
    sub->wnext = NULL;
    sub->w->count--;
    pw_subs_pnode_maybe_free(s, sub->p);
    pw_subs_wnode_maybe_free(s, sub->w);
    sub->p = NULL;
    sub->w = NULL;
    s->count--;
}

void pw_subs_sub_free(pw_subs_t *s, ps_sub_t *sub)
{
    pw_subs_route_release(s, sub->route);
    free(sub);
}

/* ------------------------------------------------------------------ timer heap */

/* Whether a fires before b: due first, then armed first. tseq wraps: renumber() keeps every
 * armed one within 2^30 of s->tseq, so the signed difference orders them. */
static int fires_before(const void *a, const void *b)
{
    const ps_sub_t *x = a, *y = b;
    return x->due_ms < y->due_ms || (x->due_ms == y->due_ms && (int32_t)(x->tseq - y->tseq) < 0);
}

static void placed(void *item, size_t index)
{
    ((ps_sub_t *)item)->heap_index = index == PW_HEAP_NONE ? PS_UNARMED : (uint32_t)index;
}

/* The heap's first subscription (the heap is not empty). */
static ps_sub_t *first(const pw_subs_t *s)
{
    return s->heap.items[0];
}

/* Start, move or stop the loop timer so that it fires with the heap's first (not while the due
 * ones run: tick() does it after them). */
static void tick_update(pw_subs_t *s)
{
    pw_loop_t *loop = pw_component_loop(s->c);
    uint64_t now = pw_loop_now(loop), due;
    if (s->draining)
        return;
    if (!s->heap.len) {
        pw_timer_stop(loop, &s->tick);
        return;
    }
    due = first(s)->due_ms;
    if (pw_timer_active(&s->tick) && pw_timer_due(&s->tick) == due)
        return;
    if (pw_timer_start(loop, &s->tick, due > now ? due - now : 0) != PW_OK)
        pw_error(NULL, "no timer for the subscriptions: out of memory");
}

/* Take a subscription's timer out of the heap (harmless when it is stopped). */
static void heap_remove(pw_subs_t *s, ps_sub_t *sub)
{
    if (sub->heap_index != PS_UNARMED)
        pw_heap_remove(&s->heap, sub->heap_index);
}

static void timer_stop(pw_subs_t *s, ps_sub_t *sub)
{
    heap_remove(s, sub);
    tick_update(s);
}

/* Every 2^29 armings, bring older arming numbers up to 2^29 behind: a monotonic change that
 * keeps the heap's order and every armed one within 2^30 of s->tseq. */
static void renumber(pw_subs_t *s)
{
    uint32_t floor = s->tseq - (1u << 29);
    for (size_t i = 0; i < s->heap.len; i++) {
        ps_sub_t *sub = s->heap.items[i];
        if ((int32_t)(sub->tseq - floor) < 0)
            sub->tseq = floor;
    }
}

/* Start (or restart) a subscription's timer to fire at due (loop clock). */
static pw_status_t timer_start(pw_subs_t *s, ps_sub_t *sub, uint64_t due)
{
    pw_status_t rc;
    heap_remove(s, sub);
    sub->due_ms = due;
    sub->tseq = s->tseq++;
    if ((s->tseq & ((1u << 29) - 1)) == 0)
        renumber(s);
    rc = pw_heap_push(&s->heap, sub, 1024);
    tick_update(s);
    return rc;
}

/* The loop timer: run the due subscriptions' timers, those armed before this run in order
 * (one armed during it fires on a later loop iteration, as the loop's own timers do). */
static void tick(pw_timer_t *t, void *arg)
{
    pw_subs_t *s = arg;
    uint64_t now = pw_loop_now(pw_component_loop(s->c));
    uint32_t limit = s->tseq;
    (void)t;
    s->draining = 1;
    while (s->heap.len && first(s)->due_ms <= now && (int32_t)(first(s)->tseq - limit) < 0) {
        ps_sub_t *sub = first(s);
        heap_remove(s, sub);
        s->on_timer(s, sub);
    }
    s->draining = 0;
    tick_update(s);
}

void pw_subs_timers_init(pw_subs_t *s)
{
    pw_timer_init(&s->tick, tick, s);
    pw_heap_init(&s->heap, fires_before, placed);
}

void pw_subs_timers_fini(pw_subs_t *s)
{
    pw_timer_stop(pw_component_loop(s->c), &s->tick);
    pw_heap_fini(&s->heap); /* every subscription still armed reads as unarmed */
}

/* (Re)start the timer: at the expiry, or at the end of the throttle when a change waits. */
void pw_subs_arm(pw_subs_t *s, ps_sub_t *sub)
{
    pw_loop_t *loop = pw_component_loop(s->c);
    uint64_t wall = pw_subs_wall_now(s), due, now;
    if (sub->flags & SF_ENDED)
        return;
    due = sub->expires_ms > wall ? sub->expires_ms - wall : 0;
    if ((sub->flags & SF_DIRTY) && !(sub->flags & (SF_WAITING | SF_READY | SF_PENDING)) && !sub->out) {
        now = pw_subs_loop_now(s);
        if (sub->hold_ms <= now)
            due = 0;
        else if (sub->hold_ms - now < due)
            due = sub->hold_ms - now;
    }
    if (sub->heap_index != PS_UNARMED && sub->due_ms == pw_loop_now(loop) + due)
        return; /* already due then (most re-arms after a notification): no heap moves */
    if (timer_start(s, sub, pw_loop_now(loop) + due) != PW_OK) {
        char ref[PS_REF_CAP];
        pw_error(pw_subs_sub_ref(sub, ref), "no timer for a subscription: out of memory");
    }
}

