/* subs_reauth.c: re-authorization before each notification (docs/protocol.md §5.2): the presentity's roster, read through the server (roster.h) and cached for notify_interval; a revoked watcher's subscription ends. */
#include <stdint.h>
#include <string.h>

#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"
#include "roster.h"
#include "subs_int.h"

/* The roster allows (or not) this subscription's next notification; a pending one waits
 * on while there is no item, ends 'declined' on none/to, and becomes active (its first
 * notification, the state now) when allowed. */
static void decide(pw_subs_t *s, ps_sub_t *sub)
{
    pw_presence_verdict_t verdict = pw_presence_roster_verdict(sub->p->roster, pw_subs_sub_msisdn(sub),
                                                                s->cfg.watcher, sub->w->jid);
    char ref[PS_REF_CAP];
    if ((sub->flags & SF_PENDING) && verdict == PW_PRESENCE_NO_ITEM) {
        pw_subs_arm(s, sub);
        return;
    }
    if ((sub->flags & SF_PENDING) && verdict != PW_PRESENCE_ALLOWED) {
        pw_subs_end(s, sub, "declined", 1, NULL);
        return;
    }
    if (verdict != PW_PRESENCE_ALLOWED) {
        pw_subs_end(s, sub, "revoked", 1, NULL);
        return;
    }
    if (sub->flags & SF_PENDING) {
        sub->flags &= (uint8_t)~SF_PENDING;
        pw_info(pw_subs_sub_ref(sub, ref), "%s approved %s: the subscription is active", sub->p->jid,
                pw_subs_sub_msisdn(sub));
    }
    if (sub->flags & SF_NEXT) {
        pw_ptable_state(s->table, sub->p->jid, &s->st);
        pw_subs_end(s, sub, "fulfilled", 1, &s->st);
        return;
    }
    sub->seq++;
    sub->flags &= (uint8_t)~SF_DIRTY;
    sub->flags |= SF_READY;
    sub->hold_ms = pw_subs_loop_now(s) + s->cfg.notify_interval_ms;
    if (pw_subs_journal_put(s, s->store, sub) != PW_OK)
        pw_warn(pw_subs_sub_ref(sub, ref), "notification %u could not be journaled", (unsigned)sub->seq);
    sub->rnext = NULL;
    if (s->ready_tail)
        s->ready_tail->rnext = sub;
    else
        s->ready = sub;
    s->ready_tail = sub;
    pw_subs_arm(s, sub);
}

/* Build the roster cache of p from a roster result. */
static pw_status_t roster_cache(pw_subs_t *s, ps_pnode_t *p, xmpp_stanza_t *response)
{
    pw_map_t *m = NULL;

    if (pw_presence_roster_read(response, &m) != PW_OK)
        return PW_ENOMEM;
    pw_subs_cache_drop(s, p);
    p->roster = m;
    p->roster_ms = pw_subs_loop_now(s);
    pw_list_push_back(&s->cached, &p->clink);
    if (!pw_timer_active(&s->sweep))
        pw_timer_start(pw_component_loop(s->c), &s->sweep, s->cfg.notify_interval_ms);
    return PW_OK;
}

/* Drop roster caches older than notify_interval. */
static void on_sweep(pw_timer_t *t, void *arg)
{
    pw_subs_t *s = arg;
    uint64_t now = pw_subs_loop_now(s);
    ps_pnode_t *p;
    (void)t;
    while ((p = PW_LIST_ITEM(s->cached.head, ps_pnode_t, clink)) != NULL &&
           now - p->roster_ms >= s->cfg.notify_interval_ms) {
        pw_subs_cache_drop(s, p);
        pw_subs_pnode_maybe_free(s, p);
    }
    if (p)
        pw_timer_start(pw_component_loop(s->c), &s->sweep, p->roster_ms + s->cfg.notify_interval_ms - now);
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
    for (sub = PS_SUB_OF_P(p->subs.head); sub; sub = next) {
        next = PS_SUB_OF_P(sub->plink.next);
        if (gone) {
            pw_subs_end(s, sub, "presentity-gone", 1, NULL);
            continue;
        }
        if (!(sub->flags & SF_WAITING))
            continue;
        sub->flags &= (uint8_t)~SF_WAITING;
        if (ok) {
            decide(s, sub);
        } else {
            sub->hold_ms = pw_subs_loop_now(s) + s->cfg.notify_interval_ms;
            pw_subs_arm(s, sub);
        }
    }
    p->pinned--;
    pw_subs_pnode_maybe_free(s, p);
}

void pw_subs_reauthorize(pw_subs_t *s, ps_sub_t *sub)
{
    ps_pnode_t *p = sub->p;
    xmpp_stanza_t *iq;
    if (p->roster && pw_subs_loop_now(s) - p->roster_ms < s->cfg.notify_interval_ms) {
        decide(s, sub);
        return;
    }
    sub->flags |= SF_WAITING;
    if (p->roster_busy)
        return;
    iq = pw_presence_roster_request(pw_component_ctx(s->c), p->jid);
    if (iq) {
        if (pw_component_send_iq(s->c, iq, 0, on_roster, p) == PW_OK) {
            p->roster_busy = 1;
            s->stats.roster_reads++;
        }
    }
    if (iq)
        xmpp_stanza_release(iq);
    if (!p->roster_busy) {
        sub->flags &= (uint8_t)~SF_WAITING;
        sub->hold_ms = pw_subs_loop_now(s) + s->cfg.notify_interval_ms;
        pw_subs_arm(s, sub);
    }
}

void pw_subs_reauth_init(pw_subs_t *s)
{
    pw_timer_init(&s->sweep, on_sweep, s);
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

void pw_subs_reauth_fini(pw_subs_t *s)
{
    if (s->pnodes)
        pw_map_foreach(s->pnodes, cancel_roster_cb, s);
    pw_timer_stop(pw_component_loop(s->c), &s->sweep);
}
