/* subscriptions.c: the Presence Server's subscriptions: indexes, throttled and re-authorized notifications, ends, and the journal.
 *
 * Implements docs/protocol.md §5 (changes, next, stop, <notify/>, seq, ended) on the PS side;
 * re-authorization reads the presentity's roster as in §2.4 (XEP-0356 §5, RFC 6121 §2.1.2.5).
 *
 * Memory: one ps_sub_t per subscription (fixed part + ref and two numbers packed behind it);
 * presentity (fan-out) and watcher (stop) nodes and the network/proxy/gateway strings are shared;
 * the id index is a chained table of the subscriptions themselves. One pw_timer_t per
 * subscription serves both its expiry and its throttle.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "core/pw_map.h"
#include "core/pw_store.h"
#include "pw_subs.h"

#define NS_ROSTER "jabber:iq:roster"
#define SUBS_FORMAT "1"      /* first field of a journal value */
#define SUBS_FIELDS 14       /* fields of a journal value */

/* What the roster says about a watcher (ordered: a higher value wins). */
enum { V_NONE = 0, V_DECLINED = 1, V_ALLOWED = 2 };

/* Subscription flags. */
enum {
    SF_DIRTY = 0x01,   /* the presentity changed since the last notification */
    SF_WAITING = 0x02, /* waiting for the presentity's roster */
    SF_READY = 0x04,   /* in the ready list: to be sent after the journal commit */
    SF_ENDED = 0x08,   /* ended; memory kept only until the ready list lets go */
    SF_NEXT = 0x10     /* kind 'next' (else 'changes') */
};

/* An interned string (networks, proxies, gateways). */
typedef struct ps_istr {
    uint32_t refs;
    char s[];
} ps_istr_t;

struct ps_sub;

/* A presentity with subscriptions. */
typedef struct ps_pnode {
    struct pw_subs *owner;
    struct ps_sub *subs;
    uint32_t count;
    uint16_t pinned;             /* being iterated: not freed */
    uint8_t roster_busy;         /* a roster read is in flight */
    pw_map_t *roster;            /* cache: folded bare JID -> verdict + 1 */
    uint64_t roster_ms;          /* loop time it was read */
    struct ps_pnode *cnext, *cprev; /* in the list of cached rosters, oldest first */
    char jid[];                  /* folded bare JID */
} ps_pnode_t;

/* A watcher with subscriptions. */
typedef struct ps_wnode {
    struct ps_sub *subs;
    uint32_t count;
    uint16_t pinned;
    char jid[]; /* folded bare JID */
} ps_wnode_t;

typedef struct ps_sub {
    pw_timer_t timer; /* first: the timer callback finds the subscription from it */
    struct ps_sub *pnext, *pprev, *wnext, *wprev, *hnext, *rnext;
    ps_pnode_t *p;
    ps_wnode_t *w;
    ps_istr_t *network, *proxy, *gateway;
    struct ps_out *out;    /* its state notification in flight */
    uint64_t created_ms;   /* wall clock */
    uint64_t expires_ms;   /* wall clock */
    uint64_t hold_ms;      /* loop clock: no notification before */
    uint64_t last_hash;    /* of the last state sent (or answered) */
    uint32_t seq;          /* of the last notification sent */
    uint8_t id[16];
    uint8_t flags;
    char data[];           /* ref NUL watcher-msisdn NUL presentity-msisdn NUL */
} ps_sub_t;

/* A notification in flight. */
typedef struct ps_out {
    struct pw_subs *s;
    ps_sub_t *sub;        /* NULL for an ended notification or once the subscription ended */
    xmpp_stanza_t *iq;
    unsigned retries;
    struct ps_out *prev, *next;
} ps_out_t;

struct pw_subs {
    pw_component_t *c;
    pw_subs_config_t cfg;
    const pw_ptable_t *table;
    pw_cdr_writer_t *cdr;
    pw_store_t *store;
    pw_map_t *interned;          /* string -> ps_istr_t */
    pw_map_t *pnodes;            /* folded presentity JID -> ps_pnode_t */
    pw_map_t *wnodes;            /* folded watcher JID -> ps_wnode_t */
    ps_sub_t **buckets;          /* id index */
    size_t nbuckets, count;
    ps_sub_t *ready, *ready_tail;
    ps_out_t *outs;
    ps_pnode_t *cached, *cached_tail;
    pw_timer_t sweep;
    pw_subs_stats_t stats;
    pw_cdr_record_t rec;         /* scratch (large) */
    pw_notify_t n;               /* scratch (large) */
    pw_presence_state_t st;      /* scratch */
    ps_sub_t *loaded_expired;    /* during create */
};

/* ------------------------------------------------------------------ small helpers */

static void fold(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

static uint64_t loop_now(const pw_subs_t *s)
{
    return pw_loop_now(pw_component_loop(s->c));
}

uint64_t pw_subs_wall_now(const pw_subs_t *s)
{
    struct timespec ts;
    if (s->cfg.wall_clock)
        return s->cfg.wall_clock(s->cfg.wall_clock_arg);
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *sub_ref(const ps_sub_t *sub)
{
    return sub->data;
}

static const char *sub_msisdn(const ps_sub_t *sub)
{
    return sub->data + strlen(sub->data) + 1;
}

static const char *sub_pmsisdn(const ps_sub_t *sub)
{
    const char *m = sub_msisdn(sub);
    return m + strlen(m) + 1;
}

static void id_format(const uint8_t id[16], char out[PW_SUBS_ID_TEXT])
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

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse a UUID text; 0 on success. */
static int id_parse(const char *text, uint8_t id[16])
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
        hi = hexval(text[o]);
        lo = hexval(text[o + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        id[i] = (uint8_t)(hi << 4 | lo);
        o += 2;
    }
    return 0;
}

/* FNV-1a over the state: equal states have equal hashes (never 0). */
static uint64_t state_hash(const pw_presence_state_t *st)
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

static void cached_unlink(pw_subs_t *s, ps_pnode_t *p)
{
    if (!p->roster)
        return;
    if (p->cprev)
        p->cprev->cnext = p->cnext;
    else
        s->cached = p->cnext;
    if (p->cnext)
        p->cnext->cprev = p->cprev;
    else
        s->cached_tail = p->cprev;
    p->cnext = p->cprev = NULL;
    pw_map_destroy(p->roster);
    p->roster = NULL;
}

static void pnode_maybe_free(pw_subs_t *s, ps_pnode_t *p)
{
    if (p->count || p->pinned || p->roster_busy)
        return;
    cached_unlink(s, p);
    pw_map_remove(s->pnodes, p->jid);
    free(p);
}

static void wnode_maybe_free(pw_subs_t *s, ps_wnode_t *w)
{
    if (w->count || w->pinned)
        return;
    pw_map_remove(s->wnodes, w->jid);
    free(w);
}

static ps_pnode_t *pnode_get(pw_subs_t *s, const char *folded)
{
    ps_pnode_t *p = pw_map_get(s->pnodes, folded);
    size_t len;
    if (p)
        return p;
    len = strlen(folded);
    p = calloc(1, sizeof *p + len + 1);
    if (!p)
        return NULL;
    memcpy(p->jid, folded, len + 1);
    p->owner = s;
    if (pw_map_put(s->pnodes, folded, p, NULL) != PW_OK) {
        free(p);
        return NULL;
    }
    return p;
}

static ps_wnode_t *wnode_get(pw_subs_t *s, const char *folded)
{
    ps_wnode_t *w = pw_map_get(s->wnodes, folded);
    size_t len;
    if (w)
        return w;
    len = strlen(folded);
    w = calloc(1, sizeof *w + len + 1);
    if (!w)
        return NULL;
    memcpy(w->jid, folded, len + 1);
    if (pw_map_put(s->wnodes, folded, w, NULL) != PW_OK) {
        free(w);
        return NULL;
    }
    return w;
}

/* ------------------------------------------------------------------ id index */

static size_t id_bucket(const pw_subs_t *s, const uint8_t id[16])
{
    uint64_t h;
    memcpy(&h, id + 8, sizeof h);
    return (size_t)(h ^ (h >> 29)) & (s->nbuckets - 1);
}

static pw_status_t index_grow(pw_subs_t *s)
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

static ps_sub_t *index_find(const pw_subs_t *s, const uint8_t id[16])
{
    if (!s->nbuckets)
        return NULL;
    for (ps_sub_t *sub = s->buckets[id_bucket(s, id)]; sub; sub = sub->hnext) {
        if (memcmp(sub->id, id, 16) == 0)
            return sub;
    }
    return NULL;
}

/* ------------------------------------------------------------------ subscription objects */

static void on_timer(pw_timer_t *t, void *arg);

/* A new subscription in every index (not journaled, no timer). */
static ps_sub_t *sub_new(pw_subs_t *s, const uint8_t id[16], int next, const char *ref,
                         const char *wmsisdn, const char *wjid, const char *pjid, const char *pmsisdn,
                         const char *network, const char *proxy, const char *gateway)
{
    char pf[PW_JID_MAX + 1], wf[PW_JID_MAX + 1];
    size_t lr = strlen(ref), lm = strlen(wmsisdn), lp = strlen(pmsisdn);
    ps_sub_t *sub;
    size_t k;

    if (s->count + 1 > s->nbuckets && index_grow(s) != PW_OK)
        return NULL;
    sub = calloc(1, sizeof *sub + lr + lm + lp + 3);
    if (!sub)
        return NULL;
    memcpy(sub->data, ref, lr + 1);
    memcpy(sub->data + lr + 1, wmsisdn, lm + 1);
    memcpy(sub->data + lr + lm + 2, pmsisdn, lp + 1);
    memcpy(sub->id, id, 16);
    sub->flags = next ? SF_NEXT : 0;
    fold(pjid, pf, sizeof pf);
    fold(wjid, wf, sizeof wf);
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
            pnode_maybe_free(s, sub->p);
        if (sub->w)
            wnode_maybe_free(s, sub->w);
        free(sub);
        return NULL;
    }
    pw_timer_init(&sub->timer, on_timer, s);
    sub->pnext = sub->p->subs;
    if (sub->pnext)
        sub->pnext->pprev = sub;
    sub->p->subs = sub;
    sub->p->count++;
    sub->wnext = sub->w->subs;
    if (sub->wnext)
        sub->wnext->wprev = sub;
    sub->w->subs = sub;
    sub->w->count++;
    k = id_bucket(s, id);
    sub->hnext = s->buckets[k];
    s->buckets[k] = sub;
    s->count++;
    return sub;
}

/* Take a subscription out of every index (memory stays). */
static void sub_unlink(pw_subs_t *s, ps_sub_t *sub)
{
    ps_sub_t **pp = &s->buckets[id_bucket(s, sub->id)];
    pw_timer_stop(pw_component_loop(s->c), &sub->timer);
    while (*pp && *pp != sub)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = sub->hnext;
    if (sub->pprev)
        sub->pprev->pnext = sub->pnext;
    else
        sub->p->subs = sub->pnext;
    if (sub->pnext)
        sub->pnext->pprev = sub->pprev;
    sub->p->count--;
    if (sub->wprev)
        sub->wprev->wnext = sub->wnext;
    else
        sub->w->subs = sub->wnext;
    if (sub->wnext)
        sub->wnext->wprev = sub->wprev;
    sub->w->count--;
    pnode_maybe_free(s, sub->p);
    wnode_maybe_free(s, sub->w);
    sub->p = NULL;
    sub->w = NULL;
    s->count--;
}

static void sub_free(pw_subs_t *s, ps_sub_t *sub)
{
    unintern(s, sub->network);
    unintern(s, sub->proxy);
    unintern(s, sub->gateway);
    free(sub);
}

/* ------------------------------------------------------------------ the journal */

/* Append field v percent-escaped (space, controls, '%'; "" as "-", "-" as "%2D"). */
static int put_field(char *buf, size_t cap, size_t *len, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = *len;
    if (o && o < cap)
        buf[o++] = ' ';
    if (!*v || strcmp(v, "-") == 0) {
        const char *t = *v ? "%2D" : "-";
        size_t tl = strlen(t);
        if (o + tl >= cap)
            return -1;
        memcpy(buf + o, t, tl);
        *len = o + tl;
        return 0;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '%') {
            if (o + 3 >= cap)
                return -1;
            buf[o++] = '%';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        } else {
            if (o + 1 >= cap)
                return -1;
            buf[o++] = (char)*p;
        }
    }
    *len = o;
    return 0;
}

/* Undo put_field in place; 0 on success. */
static int unescape(char *t)
{
    char *o = t;
    if (strcmp(t, "-") == 0) {
        *t = '\0';
        return 0;
    }
    for (char *p = t; *p; p++) {
        if (*p == '%') {
            int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            *o++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

/* Journal the subscription's current fields. */
static pw_status_t sub_put(pw_subs_t *s, pw_store_t *store, const ps_sub_t *sub)
{
    char buf[PW_STORE_VALUE_MAX + 1], num[4][24], key[PW_SUBS_ID_TEXT];
    size_t len = 0;
    snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)sub->created_ms);
    snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)sub->expires_ms);
    snprintf(num[2], sizeof num[2], "%u", (unsigned)sub->seq);
    snprintf(num[3], sizeof num[3], "%016llx", (unsigned long long)sub->last_hash);
    {
        const char *f[SUBS_FIELDS] = { SUBS_FORMAT, (sub->flags & SF_NEXT) ? "next" : "changes",
                                       num[0], num[1], num[2], num[3], sub->network->s,
                                       sub->proxy->s, sub->gateway->s, sub_msisdn(sub), sub->w->jid,
                                       sub->p->jid, sub_pmsisdn(sub), sub_ref(sub) };
        for (int i = 0; i < SUBS_FIELDS; i++) {
            if (put_field(buf, sizeof buf, &len, f[i]) != 0)
                return PW_ERANGE;
        }
    }
    buf[len] = '\0';
    (void)s;
    id_format(sub->id, key);
    return pw_store_put(store, key, buf);
}

/* ------------------------------------------------------------------ charging the end */

#define SUBS_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static void end_record(pw_subs_t *s, const ps_sub_t *sub, const char *reason)
{
    pw_cdr_record_t *r = &s->rec;
    uint64_t wall = pw_subs_wall_now(s), seq = 0;
    pw_status_t rc;
    memset(r, 0, sizeof *r);
    r->kind = PW_CDR_KIND_END;
    SUBS_COPY(r->outcome, reason);
    SUBS_COPY(r->enquiry_ref, sub_ref(sub));
    SUBS_COPY(r->peer, sub->network->s);
    SUBS_COPY(r->charged_network, sub->network->s);
    SUBS_COPY(r->serving_network, s->cfg.network);
    SUBS_COPY(r->watcher_msisdn, sub_msisdn(sub));
    SUBS_COPY(r->watcher_jid, sub->w->jid);
    SUBS_COPY(r->presentity_msisdn, sub_pmsisdn(sub));
    SUBS_COPY(r->presentity_jid, sub->p->jid);
    id_format(sub->id, r->subscription_id);
    r->duration_s = wall > sub->created_ms ? (wall - sub->created_ms) / 1000u : 0;
    r->notifications = sub->seq;
    rc = pw_cdr_writer_append(s->cdr, r, &seq);
    if (rc != PW_OK)
        pw_error(sub_ref(sub), "no end record for subscription %s (%s): %s", r->subscription_id,
                 reason, pw_strerror(rc));
}

/* ------------------------------------------------------------------ notifications */

static void arm(pw_subs_t *s, ps_sub_t *sub);
static void kick(pw_subs_t *s, ps_sub_t *sub);
static void end_sub(pw_subs_t *s, ps_sub_t *sub, const char *reason, int notify,
                    const pw_presence_state_t *state);

static void out_unlink(pw_subs_t *s, ps_out_t *o)
{
    if (o->prev)
        o->prev->next = o->next;
    else if (s->outs == o)
        s->outs = o->next;
    if (o->next)
        o->next->prev = o->prev;
    o->prev = o->next = NULL;
}

static void out_link(pw_subs_t *s, ps_out_t *o)
{
    o->prev = NULL;
    o->next = s->outs;
    if (s->outs)
        s->outs->prev = o;
    s->outs = o;
}

static void out_free(ps_out_t *o)
{
    if (o->iq)
        xmpp_stanza_release(o->iq);
    free(o);
}

static void on_notify_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                             void *arg);

/* Send the subscription's notification number sub->seq: the state when given, 'ended' when
 * reason is given. A state notification becomes sub->out. */
static pw_status_t send_notify(pw_subs_t *s, ps_sub_t *sub, const char *reason,
                               const pw_presence_state_t *state)
{
    xmpp_ctx_t *ctx = pw_component_ctx(s->c);
    pw_notify_t *n = &s->n;
    xmpp_stanza_t *iq = NULL, *el = NULL;
    ps_out_t *o = NULL;
    pw_status_t rc = PW_ENOMEM;

    memset(n, 0, offsetof(pw_notify_t, state));
    id_format(sub->id, n->subscription);
    SUBS_COPY(n->ref, sub_ref(sub));
    SUBS_COPY(n->proxy, sub->proxy->s);
    SUBS_COPY(n->watcher_jid, sub->w->jid);
    SUBS_COPY(n->presentity, sub_pmsisdn(sub));
    SUBS_COPY(n->presentity_jid, sub->p->jid);
    n->seq = sub->seq;
    if (reason)
        SUBS_COPY(n->ended, reason);
    n->has_state = state != NULL;
    if (state)
        n->state = *state;
    o = calloc(1, sizeof *o);
    iq = xmpp_iq_new(ctx, "set", NULL);
    el = iq ? pw_notify_build(ctx, n) : NULL;
    if (!o || !el)
        goto done;
    xmpp_stanza_set_to(iq, sub->gateway->s);
    xmpp_stanza_add_child(iq, el);
    o->s = s;
    o->iq = iq;
    iq = NULL;
    o->sub = reason ? NULL : sub;
    out_link(s, o);
    rc = pw_component_send_iq(s->c, o->iq, s->cfg.notify_timeout_ms, on_notify_answer, o);
    if (rc != PW_OK) {
        out_unlink(s, o);
        goto done;
    }
    if (!reason)
        sub->out = o;
    o = NULL;
    s->stats.notifications++;
    pw_debug(n->ref, "notify %s seq %u to %s%s%s", n->subscription, (unsigned)n->seq, n->proxy,
             reason ? " ended=" : "", reason ? reason : "");
done:
    if (rc != PW_OK)
        pw_warn(n->ref, "notification %u of %s not sent: %s", (unsigned)n->seq, n->subscription,
                pw_strerror(rc));
    if (el)
        xmpp_stanza_release(el);
    if (iq)
        xmpp_stanza_release(iq);
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

static void on_notify_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                             void *arg)
{
    ps_out_t *o = arg;
    pw_subs_t *s = o->s;
    ps_sub_t *sub = o->sub;
    char text[256], id[PW_SUBS_ID_TEXT];
    pw_error_t cond = PW_ERR_NONE;
    (void)c;

    out_unlink(s, o);
    if (sub)
        sub->out = NULL;
    switch (outcome) {
    case PW_IQ_CANCELLED:
        break;
    case PW_IQ_RESULT:
        s->stats.acked++;
        if (sub)
            kick(s, sub);
        break;
    case PW_IQ_ERROR:
    case PW_IQ_TIMEOUT:
    default:
        if (outcome == PW_IQ_ERROR && !error_is_wait(response)) {
            cond = pw_stanza_error_parse(response, text, sizeof text);
            if (sub) {
                id_format(sub->id, id);
                pw_info(sub_ref(sub), "subscription %s: the watcher is gone (%s: %s); ending it",
                        id, pw_error_name(cond), text);
                end_sub(s, sub, "watcher-gone", 0, NULL);
            }
            break;
        }
        /* a timeout, here or relayed by a hop (remote-server-timeout, type wait) */
        if (o->retries < s->cfg.notify_retries) {
            o->retries++;
            s->stats.retries++;
            xmpp_stanza_del_attribute(o->iq, "id");
            out_link(s, o);
            if (pw_component_send_iq(s->c, o->iq, s->cfg.notify_timeout_ms, on_notify_answer, o) == PW_OK) {
                if (sub)
                    sub->out = o;
                return;
            }
            out_unlink(s, o);
            if (sub && !pw_component_online(s->c)) {
                /* our own link is down: not the watcher's fault; send the latest state (a new
                 * number) once it is back */
                sub->flags |= SF_DIRTY;
                sub->last_hash = 0;
                sub->hold_ms = loop_now(s) + s->cfg.notify_interval_ms;
                arm(s, sub);
                out_free(o);
                return;
            }
        }
        if (sub) {
            id_format(sub->id, id);
            pw_warn(sub_ref(sub), "subscription %s: notification %u unacknowledged after %u tries; ending it",
                    id, (unsigned)sub->seq, o->retries + 1);
            end_sub(s, sub, "watcher-unreachable", 0, NULL);
        }
        break;
    }
    out_free(o);
}

/* ------------------------------------------------------------------ end */

static void end_sub(pw_subs_t *s, ps_sub_t *sub, const char *reason, int notify,
                    const pw_presence_state_t *state)
{
    char key[PW_SUBS_ID_TEXT];
    if (sub->flags & SF_ENDED)
        return;
    sub->flags |= SF_ENDED;
    if (sub->out) {
        sub->out->sub = NULL;
        sub->out = NULL;
    }
    if (notify) {
        sub->seq++;
        send_notify(s, sub, reason, state);
    }
    end_record(s, sub, reason);
    id_format(sub->id, key);
    pw_store_del(s->store, key);
    s->stats.ended++;
    pw_info(sub_ref(sub), "subscription %s of %s on %s ended: %s (%u notifications)", key,
            sub->w->jid, sub->p->jid, reason, (unsigned)sub->seq);
    sub_unlink(s, sub);
    if (!(sub->flags & SF_READY))
        sub_free(s, sub);
}

/* ------------------------------------------------------------------ authorization */

static int verdict_of(const pw_subs_t *s, const ps_sub_t *sub)
{
    char contact[PW_JID_MAX + 1], folded[PW_JID_MAX + 1];
    uintptr_t a, b;
    snprintf(contact, sizeof contact, "%s@%s", sub_msisdn(sub), s->cfg.watcher);
    fold(contact, folded, sizeof folded);
    a = (uintptr_t)pw_map_get(sub->p->roster, folded);
    b = (uintptr_t)pw_map_get(sub->p->roster, sub->w->jid);
    a = a > b ? a : b;
    return a ? (int)a - 1 : V_NONE;
}

/* The roster allows (or not) this subscription's next notification. */
static void decide(pw_subs_t *s, ps_sub_t *sub)
{
    int v = verdict_of(s, sub);
    if (v != V_ALLOWED) {
        end_sub(s, sub, "revoked", 1, NULL);
        return;
    }
    if (sub->flags & SF_NEXT) {
        pw_ptable_state(s->table, sub->p->jid, &s->st);
        end_sub(s, sub, "expired", 1, &s->st);
        return;
    }
    sub->seq++;
    sub->flags &= (uint8_t)~SF_DIRTY;
    sub->flags |= SF_READY;
    sub->hold_ms = loop_now(s) + s->cfg.notify_interval_ms;
    if (sub_put(s, s->store, sub) != PW_OK)
        pw_warn(sub_ref(sub), "notification %u could not be journaled", (unsigned)sub->seq);
    sub->rnext = NULL;
    if (s->ready_tail)
        s->ready_tail->rnext = sub;
    else
        s->ready = sub;
    s->ready_tail = sub;
    arm(s, sub);
}

/* Build the roster cache of p from a roster result. */
static pw_status_t roster_cache(pw_subs_t *s, ps_pnode_t *p, xmpp_stanza_t *response)
{
    xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(response, NS_ROSTER);
    pw_map_t *m = NULL;
    char bare[PW_JID_MAX + 1], folded[PW_JID_MAX + 1];

    if (pw_map_create(&m) != PW_OK)
        return PW_ENOMEM;
    for (xmpp_stanza_t *it = query ? xmpp_stanza_get_children(query) : NULL; it;
         it = xmpp_stanza_get_next(it)) {
        const char *jid, *sub, *name = xmpp_stanza_get_name(it);
        uintptr_t v, old;
        if (!xmpp_stanza_is_tag(it) || !name || strcmp(name, "item") != 0)
            continue;
        jid = xmpp_stanza_get_attribute(it, "jid");
        if (!jid || pw_jid_bare(jid, bare, sizeof bare) != PW_OK)
            continue;
        fold(bare, folded, sizeof folded);
        sub = xmpp_stanza_get_attribute(it, "subscription");
        v = (sub && (strcmp(sub, "from") == 0 || strcmp(sub, "both") == 0)) ? V_ALLOWED : V_DECLINED;
        old = (uintptr_t)pw_map_get(m, folded);
        if (v + 1 > old && pw_map_put(m, folded, (void *)(v + 1), NULL) != PW_OK) {
            pw_map_destroy(m);
            return PW_ENOMEM;
        }
    }
    cached_unlink(s, p);
    p->roster = m;
    p->roster_ms = loop_now(s);
    p->cprev = s->cached_tail;
    p->cnext = NULL;
    if (s->cached_tail)
        s->cached_tail->cnext = p;
    else
        s->cached = p;
    s->cached_tail = p;
    if (!pw_timer_active(&s->sweep))
        pw_timer_start(pw_component_loop(s->c), &s->sweep, s->cfg.notify_interval_ms);
    return PW_OK;
}

/* Drop roster caches older than notify_interval. */
static void on_sweep(pw_timer_t *t, void *arg)
{
    pw_subs_t *s = arg;
    uint64_t now = loop_now(s);
    (void)t;
    while (s->cached && now - s->cached->roster_ms >= s->cfg.notify_interval_ms) {
        ps_pnode_t *p = s->cached;
        cached_unlink(s, p);
        pnode_maybe_free(s, p);
    }
    if (s->cached)
        pw_timer_start(pw_component_loop(s->c), &s->sweep,
                       s->cached->roster_ms + s->cfg.notify_interval_ms - now);
}

static void on_roster(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    ps_pnode_t *p = arg;
    pw_subs_t *s = p->owner;
    ps_sub_t *sub, *next;
    pw_error_t cond = PW_ERR_NONE;
    char text[256];
    int gone = 0, ok = 0;
    (void)c;

    p->roster_busy = 0;
    if (outcome == PW_IQ_CANCELLED)
        return;
    if (outcome == PW_IQ_RESULT)
        ok = roster_cache(s, p, response) == PW_OK;
    else if (outcome == PW_IQ_ERROR) {
        cond = pw_stanza_error_parse(response, text, sizeof text);
        gone = cond == PW_ERR_ITEM_NOT_FOUND;
        if (!gone)
            pw_warn(NULL, "roster of %s not readable for notifications: %s (%s); retrying later",
                    p->jid, pw_error_name(cond), text);
    } else {
        pw_warn(NULL, "roster of %s not read in time for notifications; retrying later", p->jid);
    }
    p->pinned++;
    for (sub = p->subs; sub; sub = next) {
        next = sub->pnext;
        if (gone) {
            end_sub(s, sub, "presentity-gone", 1, NULL);
            continue;
        }
        if (!(sub->flags & SF_WAITING))
            continue;
        sub->flags &= (uint8_t)~SF_WAITING;
        if (ok) {
            decide(s, sub);
        } else {
            sub->hold_ms = loop_now(s) + s->cfg.notify_interval_ms;
            arm(s, sub);
        }
    }
    p->pinned--;
    pnode_maybe_free(s, p);
}

/* Re-authorize before a notification: the cached roster, or a fresh read. */
static void authorize(pw_subs_t *s, ps_sub_t *sub)
{
    ps_pnode_t *p = sub->p;
    xmpp_stanza_t *iq;
    if (p->roster && loop_now(s) - p->roster_ms < s->cfg.notify_interval_ms) {
        decide(s, sub);
        return;
    }
    sub->flags |= SF_WAITING;
    if (p->roster_busy)
        return;
    iq = xmpp_iq_new(pw_component_ctx(s->c), "get", NULL);
    if (iq && pw_stanza_add_child(iq, "query", NS_ROSTER)) {
        xmpp_stanza_set_to(iq, p->jid);
        if (pw_component_send_iq(s->c, iq, 0, on_roster, p) == PW_OK) {
            p->roster_busy = 1;
            s->stats.roster_reads++;
        }
    }
    if (iq)
        xmpp_stanza_release(iq);
    if (!p->roster_busy) {
        sub->flags &= (uint8_t)~SF_WAITING;
        sub->hold_ms = loop_now(s) + s->cfg.notify_interval_ms;
        arm(s, sub);
    }
}

/* ------------------------------------------------------------------ timers */

static void on_timer(pw_timer_t *t, void *arg)
{
    pw_subs_t *s = arg;
    ps_sub_t *sub = (ps_sub_t *)t;
    if (pw_subs_wall_now(s) >= sub->expires_ms) {
        end_sub(s, sub, "expired", 1, NULL);
        return;
    }
    kick(s, sub);
}

/* (Re)start the timer: at the expiry, or at the end of the throttle when a change waits. */
static void arm(pw_subs_t *s, ps_sub_t *sub)
{
    uint64_t wall = pw_subs_wall_now(s), due, now;
    if (sub->flags & SF_ENDED)
        return;
    due = sub->expires_ms > wall ? sub->expires_ms - wall : 0;
    if ((sub->flags & SF_DIRTY) && !(sub->flags & (SF_WAITING | SF_READY)) && !sub->out) {
        now = loop_now(s);
        if (sub->hold_ms <= now)
            due = 0;
        else if (sub->hold_ms - now < due)
            due = sub->hold_ms - now;
    }
    if (pw_timer_start(pw_component_loop(s->c), &sub->timer, due) != PW_OK)
        pw_error(sub_ref(sub), "no timer for a subscription: out of memory");
}

/* Notify the subscription now if a change waits and the throttle allows. */
static void kick(pw_subs_t *s, ps_sub_t *sub)
{
    if ((sub->flags & (SF_ENDED | SF_WAITING | SF_READY)) || sub->out)
        goto rearm;
    if (!(sub->flags & SF_DIRTY) || loop_now(s) < sub->hold_ms)
        goto rearm;
    pw_ptable_state(s->table, sub->p->jid, &s->st);
    if (state_hash(&s->st) == sub->last_hash) {
        sub->flags &= (uint8_t)~SF_DIRTY; /* back to the state last sent */
        goto rearm;
    }
    authorize(s, sub);
    return;
rearm:
    arm(s, sub);
}

/* ------------------------------------------------------------------ public operations */

pw_status_t pw_subs_subscribe(pw_subs_t *s, const pw_enquiry_t *e, const char *gateway,
                              const pw_presence_state_t *state, pw_subs_created_t *out)
{
    char pf[PW_JID_MAX + 1];
    ps_pnode_t *p;
    ps_sub_t *sub;
    uint8_t id[16];
    uint64_t wall, seq;
    pw_status_t rc;

    if (!s || !e || !gateway || !state || !out || !e->proxy[0] || !e->presentity_jid[0] ||
        (e->kind != PW_KIND_CHANGES && e->kind != PW_KIND_NEXT))
        return PW_EINVAL;
    fold(e->presentity_jid, pf, sizeof pf);
    /* a retry of an enquiry already charged: look for the subscription it made */
    p = pw_cdr_writer_lookup(s->cdr, e->watcher_network, e->ref, &seq) == PW_OK
            ? pw_map_get(s->pnodes, pf) : NULL;
    for (sub = p ? p->subs : NULL; sub; sub = sub->pnext) {
        if (strcmp(sub_ref(sub), e->ref) == 0 && strcmp(sub->network->s, e->watcher_network) == 0) {
            id_format(sub->id, out->id);
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
    sub = sub_new(s, id, e->kind == PW_KIND_NEXT, e->ref, e->watcher_msisdn, e->watcher_jid,
                  e->presentity_jid, e->presentity, e->watcher_network, e->proxy, gateway);
    if (!sub)
        return PW_ENOMEM;
    wall = pw_subs_wall_now(s);
    sub->created_ms = wall;
    sub->expires_ms = wall + (e->kind == PW_KIND_NEXT ? s->cfg.max_duration_ms
                                                       : (uint64_t)e->duration_s * 1000u);
    sub->last_hash = state_hash(state);
    rc = sub_put(s, s->store, sub);
    if (rc != PW_OK) {
        sub_unlink(s, sub);
        sub_free(s, sub);
        return rc == PW_EINVAL ? PW_ERANGE : rc;
    }
    arm(s, sub);
    id_format(id, out->id);
    out->expires_ms = sub->expires_ms;
    return PW_OK;
}

void pw_subs_abort(pw_subs_t *s, const char *id_text)
{
    uint8_t id[16];
    ps_sub_t *sub;
    if (!s || !id_text || id_parse(id_text, id) != 0 || !(sub = index_find(s, id)))
        return;
    pw_store_del(s->store, id_text);
    sub->flags |= SF_ENDED;
    if (sub->out) {
        sub->out->sub = NULL;
        sub->out = NULL;
    }
    sub_unlink(s, sub);
    if (!(sub->flags & SF_READY))
        sub_free(s, sub);
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
        if (id_parse(e->subscription, id) != 0)
            return 0;
        by_id = 1;
    }
    fold(e->watcher_jid, wf, sizeof wf);
    fold(e->presentity_jid, pf, sizeof pf);
    w = pw_map_get(s->wnodes, wf);
    if (!w)
        return 0;
    w->pinned++;
    for (sub = w->subs; sub; sub = next) {
        next = sub->wnext;
        if (strcmp(sub->p->jid, pf) != 0 || (by_id && memcmp(sub->id, id, 16) != 0))
            continue;
        end_sub(s, sub, "stopped", 1, NULL);
        n++;
    }
    w->pinned--;
    wnode_maybe_free(s, w);
    return n;
}

void pw_subs_changed(pw_subs_t *s, const char *bare)
{
    char pf[PW_JID_MAX + 1];
    ps_pnode_t *p;
    ps_sub_t *sub, *next;
    if (!s || !bare)
        return;
    fold(bare, pf, sizeof pf);
    p = pw_map_get(s->pnodes, pf);
    if (!p)
        return;
    p->pinned++;
    for (sub = p->subs; sub; sub = next) {
        next = sub->pnext;
        sub->flags |= SF_DIRTY;
        kick(s, sub);
    }
    p->pinned--;
    pnode_maybe_free(s, p);
}

pw_status_t pw_subs_commit(pw_subs_t *s)
{
    if (!s || !pw_store_pending(s->store))
        return PW_OK;
    return pw_store_commit(s->store);
}

void pw_subs_flush(pw_subs_t *s)
{
    ps_sub_t *sub, *next;
    if (!s)
        return;
    sub = s->ready;
    s->ready = s->ready_tail = NULL;
    for (; sub; sub = next) {
        next = sub->rnext;
        sub->rnext = NULL;
        sub->flags &= (uint8_t)~SF_READY;
        if (sub->flags & SF_ENDED) {
            sub_free(s, sub);
            continue;
        }
        pw_ptable_state(s->table, sub->p->jid, &s->st);
        sub->last_hash = state_hash(&s->st);
        if (send_notify(s, sub, NULL, &s->st) != PW_OK) {
            /* try again after the interval, with the next number */
            sub->flags |= SF_DIRTY;
            sub->last_hash = 0;
        }
        arm(s, sub);
    }
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
    fold(bare, pf, sizeof pf);
    p = pw_map_get(s->pnodes, pf);
    for (ps_sub_t *sub = p ? p->subs : NULL; sub; sub = sub->pnext) {
        pw_subs_view_t v;
        id_format(sub->id, id);
        v.id = id;
        v.watcher_msisdn = sub_msisdn(sub);
        v.watcher_jid = sub->w->jid;
        v.network = sub->network->s;
        v.kind = (sub->flags & SF_NEXT) ? "next" : "changes";
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
    if (s && cfg)
        s->cfg = *cfg;
}

/* ------------------------------------------------------------------ life cycle */

static int parse_u64(const char *t, uint64_t *out, int base)
{
    char *end;
    unsigned long long v;
    if (!*t || *t == '-')
        return -1;
    errno = 0;
    v = strtoull(t, &end, base);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

/* pw_store_load_fn: one journaled subscription. */
static pw_status_t load_cb(void *arg, const char *key, const char *value)
{
    pw_subs_t *s = arg;
    char buf[PW_STORE_VALUE_MAX + 1], *f[SUBS_FIELDS], *save = NULL, *t;
    uint64_t created, expires, seq, hash;
    uint8_t id[16];
    ps_sub_t *sub;
    int n = 0;

    snprintf(buf, sizeof buf, "%s", value);
    for (t = strtok_r(buf, " ", &save); t && n < SUBS_FIELDS; t = strtok_r(NULL, " ", &save))
        f[n++] = t;
    if (t || n != SUBS_FIELDS || strcmp(f[0], SUBS_FORMAT) != 0 || id_parse(key, id) != 0)
        goto bad;
    for (int i = 1; i < SUBS_FIELDS; i++) {
        if (unescape(f[i]) != 0)
            goto bad;
    }
    if ((strcmp(f[1], "changes") != 0 && strcmp(f[1], "next") != 0) || parse_u64(f[2], &created, 10) ||
        parse_u64(f[3], &expires, 10) || parse_u64(f[4], &seq, 10) || seq > UINT32_MAX ||
        parse_u64(f[5], &hash, 16) || !f[6][0] || !f[7][0] || !f[8][0] || !f[10][0] || !f[11][0] ||
        !f[13][0])
        goto bad;
    if (index_find(s, id))
        goto bad;
    sub = sub_new(s, id, strcmp(f[1], "next") == 0, f[13], f[9], f[10], f[11], f[12], f[6], f[7], f[8]);
    if (!sub)
        return PW_ENOMEM;
    sub->created_ms = created;
    sub->expires_ms = expires;
    sub->seq = (uint32_t)seq;
    sub->last_hash = hash;
    if (expires <= pw_subs_wall_now(s)) {
        sub->rnext = s->loaded_expired;
        s->loaded_expired = sub;
    } else {
        arm(s, sub);
    }
    return PW_OK;
bad:
    pw_error(NULL, "subscription journal: record %s is malformed; ignored (dropped at the next compaction)",
             key);
    return PW_OK;
}

/* pw_store_rewrite_fn: journal every live subscription again. */
static pw_status_t rewrite_cb(void *arg, pw_store_t *store)
{
    pw_subs_t *s = arg;
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (ps_sub_t *sub = s->buckets[i]; sub; sub = sub->hnext) {
            pw_status_t rc = sub_put(s, store, sub);
            if (rc != PW_OK)
                return rc;
        }
    }
    return PW_OK;
}

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
    pw_timer_init(&s->sweep, on_sweep, s);
    if (pw_map_create(&s->interned) != PW_OK || pw_map_create(&s->pnodes) != PW_OK ||
        pw_map_create(&s->wnodes) != PW_OK || index_grow(s) != PW_OK)
        goto done;
    if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST) {
        pw_error(NULL, "cannot create the state directory %s: %s", cfg->state_dir, strerror(errno));
        rc = PW_EIO;
        goto done;
    }
    snprintf(name, sizeof name, "subs-%s", cfg->node);
    rc = pw_store_open(&s->store, cfg->state_dir, name, load_cb, rewrite_cb, s);
    if (rc != PW_OK) {
        pw_error(NULL, "cannot open the subscription journal %s/%s.journal: %s", cfg->state_dir, name,
                 pw_strerror(rc));
        goto done;
    }
    while (s->loaded_expired) {
        ps_sub_t *sub = s->loaded_expired;
        s->loaded_expired = sub->rnext;
        sub->rnext = NULL;
        end_sub(s, sub, "expired", 0, NULL);
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

static int free_node_cb(const char *key, void *value, void *arg)
{
    ps_pnode_t *p = value;
    (void)key;
    if (arg)
        pw_map_destroy(p->roster);
    free(value);
    return 0;
}

static int cancel_roster_cb(const char *key, void *value, void *arg)
{
    ps_pnode_t *p = value;
    pw_subs_t *s = arg;
    (void)key;
    if (p->roster_busy) {
        p->pinned++; /* the cancel callback must not free it */
        pw_component_cancel_iqs(s->c, p);
        p->pinned--;
    }
    return 0;
}

void pw_subs_destroy(pw_subs_t *s)
{
    pw_loop_t *loop;
    if (!s)
        return;
    loop = pw_component_loop(s->c);
    while (s->outs) {
        ps_out_t *o = s->outs;
        if (pw_component_cancel_iqs(s->c, o) == 0) {
            out_unlink(s, o);
            out_free(o);
        }
    }
    if (s->pnodes)
        pw_map_foreach(s->pnodes, cancel_roster_cb, s);
    pw_timer_stop(loop, &s->sweep);
    for (ps_sub_t *sub = s->ready, *next; sub; sub = next) {
        next = sub->rnext;
        if (sub->flags & SF_ENDED)
            free(sub); /* interned strings go with the table below */
    }
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (ps_sub_t *sub = s->buckets[i], *next; sub; sub = next) {
            next = sub->hnext;
            pw_timer_stop(loop, &sub->timer);
            free(sub);
        }
    }
    free(s->buckets);
    pw_store_close(s->store);
    if (s->pnodes)
        pw_map_foreach(s->pnodes, free_node_cb, s);
    pw_map_destroy(s->pnodes);
    if (s->wnodes)
        pw_map_foreach(s->wnodes, free_node_cb, NULL);
    pw_map_destroy(s->wnodes);
    if (s->interned)
        pw_map_foreach(s->interned, free_node_cb, NULL);
    pw_map_destroy(s->interned);
    free(s);
}
