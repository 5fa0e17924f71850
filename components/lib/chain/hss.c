/* hss.c: the HSS lookup protocol (docs/hss.md): <lookup/> requests, <subscriber/> records, and a role's link to its HSS with the cache the HSS's <changed/> keeps true (§3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/pw_hss.h"
#include "core/pw_list.h"
#include "core/pw_log.h"
#include "core/pw_map.h"
#include "xmpp/pw_stanza.h"

/* Send <lookup/>; pw_component_cancel_iqs(c, cancel_key) cancels it. */
static pw_status_t send_lookup(pw_component_t *c, const char *hss, const char *msisdn,
                               const char *jid, pw_iq_result_cb cb, void *arg, void *cancel_key)
{
    xmpp_stanza_t *iq = NULL, *lookup = NULL;
    pw_status_t rc = PW_EINVAL;

    if (!hss || (msisdn == NULL) == (jid == NULL))
        goto done;
    rc = PW_ENOMEM;
    iq = xmpp_iq_new(pw_component_ctx(c), "get", NULL);
    if (iq)
        lookup = pw_stanza_add_child(iq, "lookup", PW_HSS_NS);
    if (!lookup)
        goto done;
    xmpp_stanza_set_to(iq, hss);
    if (msisdn)
        xmpp_stanza_set_attribute(lookup, "msisdn", msisdn);
    else
        xmpp_stanza_set_attribute(lookup, "jid", jid);
    rc = pw_component_send_iq_keyed(c, iq, 0, cb, arg, cancel_key);
done:
    if (iq)
        xmpp_stanza_release(iq);
    return rc;
}

pw_status_t pw_hss_lookup(pw_component_t *c, const char *hss, const char *msisdn, const char *jid,
                          pw_iq_result_cb cb, void *arg)
{
    return send_lookup(c, hss, msisdn, jid, cb, arg, arg);
}

/* ---- a role's link to its HSS, with the cache (docs/hss.md, "Changes told") ---- */

/* After the HSS refused to promise (or did not answer), do not ask again sooner. */
#define PROMISE_RETRY_MS 60000
/* "m:" or "j:", then the number or the JID */
#define KEY_MAX (2 + PW_JID_MAX)

struct pw_hss_client {
    pw_component_t *c;
    char *hss;
    size_t cache_max;
    pw_map_t *cache;         /* key -> the HSS's result IQ (a reference) */
    pw_list_t lookups;       /* hss_lookup_t in flight */
    unsigned long link;      /* pw_component_link_count() the cache and the promise belong to */
    int promised;            /* the HSS promised, on this link, to tell changes */
    int asking;              /* the <changes/> request is in flight */
    unsigned long asked_on;  /* ... sent on this link */
    uint64_t ask_again_ms;   /* loop time before which a refused promise is not asked again */
    unsigned long flushes;   /* answers to lookups sent before the latest flush are not kept */
};

/* One lookup asked of the HSS while a cache exists: its answer may be kept. */
typedef struct hss_lookup {
    pw_link_t link;          /* in the client's lookups */
    pw_hss_client_t *h;      /* NULL once the client is gone */
    unsigned long flushes;   /* h->flushes when it was sent */
    pw_iq_result_cb cb;
    void *arg;
    char key[KEY_MAX + 1];
} hss_lookup_t;

static void release_answer(void *value)
{
    xmpp_stanza_release(value);
}

static int drop_answer(const char *key, void *value, void *cache)
{
    pw_map_remove(cache, key);
    xmpp_stanza_release(value);
    return 0;
}

/* Forget every kept answer: a change was told, the link changed, or the cache is full. */
static void flush(pw_hss_client_t *h)
{
    pw_map_foreach(h->cache, drop_answer, h->cache);
    h->flushes++;
}

/* A reconnection may have lost a <changed/>: the cache and the promise belong to one link. */
static void follow_link(pw_hss_client_t *h)
{
    unsigned long now = pw_component_link_count(h->c);
    if (now == h->link)
        return;
    flush(h);
    h->link = now;
    h->promised = 0;
    h->ask_again_ms = 0;
}

static void on_promise(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    pw_hss_client_t *h = arg;
    (void)response;
    if (outcome == PW_IQ_CANCELLED)
        return;
    h->asking = 0;
    follow_link(h);
    if (outcome == PW_IQ_RESULT && h->asked_on == h->link) {
        h->promised = 1;
        pw_info(NULL, "%s tells of changes to its records: its answers are kept (at most %zu)",
                h->hss, h->cache_max);
        return;
    }
    h->ask_again_ms = pw_loop_now(pw_component_loop(c)) + PROMISE_RETRY_MS;
    pw_info(NULL, "%s does not promise to tell of changes: every lookup is asked", h->hss);
}

/* Ask the HSS to promise <changed/> (docs/hss.md, "Changes told"), unless asked already or refused lately. */
static void ask_promise(pw_hss_client_t *h)
{
    xmpp_stanza_t *iq = NULL;

    if (h->asking || h->promised || !pw_component_online(h->c) ||
        pw_loop_now(pw_component_loop(h->c)) < h->ask_again_ms)
        return;
    iq = xmpp_iq_new(pw_component_ctx(h->c), "get", NULL);
    if (!iq)
        return;
    xmpp_stanza_set_to(iq, h->hss);
    if (pw_stanza_add_child(iq, PW_HSS_CHANGES, PW_HSS_NS) &&
        pw_component_send_iq(h->c, iq, 0, on_promise, h) == PW_OK) {
        h->asking = 1;
        h->asked_on = h->link;
    }
    xmpp_stanza_release(iq);
}

/* <changed/> from the HSS: its records changed (a reload, a restart); nothing kept is true now. */
static void on_changed(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_hss_client_t *h = arg;
    char bare[PW_JID_MAX + 1], text[PW_JID_MAX + 64];
    const char *from = xmpp_stanza_get_from(iq);
    (void)payload;

    if (!h || !from || pw_jid_bare(from, bare, sizeof bare) != PW_OK || strcasecmp(bare, h->hss) != 0) {
        snprintf(text, sizeof text, "only %s tells of changes to its records", h ? h->hss : "the HSS");
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN, text);
        return;
    }
    follow_link(h);
    pw_info(xmpp_stanza_get_id(iq), "%s changed its records: %zu kept answer(s) dropped", h->hss,
            pw_map_count(h->cache));
    flush(h);
    pw_component_reply_result(c, iq);
}

/* Keep the HSS's answer to a lookup sent on this link since the latest flush. */
static void keep(pw_hss_client_t *h, const hss_lookup_t *l, xmpp_stanza_t *response)
{
    xmpp_stanza_t *ref;
    void *old = NULL;

    follow_link(h);
    if (!h->promised || l->flushes != h->flushes ||
        !xmpp_stanza_get_child_by_name_and_ns(response, "subscriber", PW_HSS_NS))
        return;
    if (pw_map_count(h->cache) >= h->cache_max)
        flush(h); /* bounded: full, start again */
    ref = xmpp_stanza_clone(response);
    if (pw_map_put(h->cache, l->key, ref, &old) != PW_OK) {
        xmpp_stanza_release(ref);
        return;
    }
    if (old)
        xmpp_stanza_release(old);
}

static void on_lookup_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                             void *arg)
{
    hss_lookup_t *l = arg;
    pw_iq_result_cb cb = l->cb;
    void *cb_arg = l->arg;

    if (l->h) {
        if (outcome == PW_IQ_RESULT && response)
            keep(l->h, l, response);
        pw_list_unlink(&l->h->lookups, &l->link);
    }
    free(l);
    cb(c, outcome, response, cb_arg);
}

pw_status_t pw_hss_client_create(pw_hss_client_t **out, pw_component_t *c, const char *hss,
                                 size_t cache_max)
{
    pw_hss_client_t *h = NULL;
    pw_status_t rc = PW_EINVAL;

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (!c || !hss)
        goto done;
    rc = PW_ENOMEM;
    h = calloc(1, sizeof *h);
    if (!h || !(h->hss = strdup(hss)))
        goto done;
    h->c = c;
    h->cache_max = cache_max;
    h->link = pw_component_link_count(c);
    if ((rc = pw_map_create(&h->cache)) != PW_OK ||
        (rc = pw_component_on_iq(c, PW_HSS_NS, PW_HSS_CHANGED, PW_IQ_SET, on_changed, h)) != PW_OK)
        goto done;
    *out = h;
    h = NULL;
done:
    pw_hss_client_destroy(h);
    return rc;
}

pw_status_t pw_hss_client_update(pw_hss_client_t **h, pw_component_t *c, const char *hss,
                                 size_t cache_max)
{
    pw_hss_client_t *fresh = NULL;
    pw_status_t rc;

    if (!h || !hss)
        return PW_EINVAL;
    if (*h && (*h)->c == c && strcasecmp((*h)->hss, hss) == 0 && (*h)->cache_max == cache_max)
        return PW_OK;
    pw_hss_client_destroy(*h); /* first: the new one registers the <changed/> handler */
    *h = NULL;
    rc = pw_hss_client_create(&fresh, c, hss, cache_max);
    if (rc == PW_OK)
        *h = fresh;
    return rc;
}

void pw_hss_client_destroy(pw_hss_client_t *h)
{
    if (!h)
        return;
    if (h->c) {
        pw_component_cancel_iqs(h->c, h); /* the <changes/> request */
        pw_component_on_iq(h->c, PW_HSS_NS, PW_HSS_CHANGED, PW_IQ_SET, on_changed, NULL);
    }
    for (pw_link_t *n = pw_list_take_all(&h->lookups); n; n = n->next)
        PW_LIST_ITEM(n, hss_lookup_t, link)->h = NULL; /* their answers still reach their callers */
    pw_map_destroy_values(h->cache, release_answer);
    free(h->hss);
    free(h);
}

pw_status_t pw_hss_client_lookup(pw_hss_client_t *h, const char *msisdn, const char *jid,
                                 pw_iq_result_cb cb, void *arg)
{
    hss_lookup_t *l = NULL;
    xmpp_stanza_t *kept;
    pw_status_t rc = PW_EINVAL;

    if (!h || !cb || (msisdn == NULL) == (jid == NULL) || strlen(msisdn ? msisdn : jid) > PW_JID_MAX)
        goto done;
    if (h->cache_max == 0) {
        rc = pw_hss_lookup(h->c, h->hss, msisdn, jid, cb, arg);
        goto done;
    }
    rc = PW_ENOMEM;
    l = calloc(1, sizeof *l);
    if (!l)
        goto done;
    snprintf(l->key, sizeof l->key, "%c:%s", msisdn ? 'm' : 'j', msisdn ? msisdn : jid);
    follow_link(h);
    if (h->promised && (kept = pw_map_get(h->cache, l->key)) != NULL) {
        rc = pw_component_answer_iq_later(h->c, kept, cb, arg, arg);
        goto done;
    }
    ask_promise(h);
    l->h = h;
    l->flushes = h->flushes;
    l->cb = cb;
    l->arg = arg;
    rc = send_lookup(h->c, h->hss, msisdn, jid, on_lookup_answer, l, arg);
    if (rc != PW_OK)
        goto done;
    pw_list_push_back(&h->lookups, &l->link);
    l = NULL;
done:
    free(l);
    return rc;
}

size_t pw_hss_client_cached(const pw_hss_client_t *h)
{
    return h ? pw_map_count(h->cache) : 0;
}

int pw_hss_client_caching(const pw_hss_client_t *h)
{
    return h && h->promised && h->link == pw_component_link_count(h->c);
}

/* Copy s into out when it fits and passes ok(), else leave out empty. */
static void copy_checked(char *out, size_t cap, const char *s, int (*ok)(const char *))
{
    out[0] = '\0';
    if (s && strlen(s) < cap && ok(s))
        memcpy(out, s, strlen(s) + 1);
}

static int is_msisdn(const char *s)
{
    return pw_msisdn_is_e164(s);
}

static int is_domain(const char *s)
{
    return pw_jid_is_domain(s);
}

pw_status_t pw_hss_record_parse(xmpp_stanza_t *result, pw_hss_record_t *out)
{
    xmpp_stanza_t *sub = xmpp_stanza_get_child_by_name_and_ns(result, "subscriber", PW_HSS_NS);
    const char *status, *account, *balance, *jid;
    char *end;

    memset(out, 0, sizeof *out);
    if (!sub)
        return PW_ENOTFOUND;
    copy_checked(out->msisdn, sizeof out->msisdn, xmpp_stanza_get_attribute(sub, "msisdn"), is_msisdn);
    copy_checked(out->presence_server, sizeof out->presence_server,
                 xmpp_stanza_get_attribute(sub, "presence-server"), is_domain);
    jid = xmpp_stanza_get_attribute(sub, "jid");
    if (!jid || pw_jid_bare(jid, out->jid, sizeof out->jid) != PW_OK || !strchr(out->jid, '@'))
        out->jid[0] = '\0';
    status = xmpp_stanza_get_attribute(sub, "status");
    out->active = status && strcmp(status, "active") == 0;
    out->barred = status && strcmp(status, "barred") == 0;
    account = xmpp_stanza_get_attribute(sub, "account");
    out->prepaid = account && strcmp(account, "prepaid") == 0;
    balance = xmpp_stanza_get_attribute(sub, "balance");
    if (balance && balance[0]) {
        out->balance = strtoll(balance, &end, 10);
        out->has_balance = *end == '\0';
    }
    return PW_OK;
}

xmpp_stanza_t *pw_hss_record_build(xmpp_ctx_t *ctx, const pw_hss_record_t *r)
{
    char balance[32];
    xmpp_stanza_t *sub = pw_stanza_element(ctx, "subscriber", PW_HSS_NS);
    if (!sub)
        return NULL;
    snprintf(balance, sizeof balance, "%lld", r->balance);
    xmpp_stanza_set_attribute(sub, "msisdn", r->msisdn);
    xmpp_stanza_set_attribute(sub, "jid", r->jid);
    xmpp_stanza_set_attribute(sub, "presence-server", r->presence_server);
    xmpp_stanza_set_attribute(sub, "status", r->barred ? "barred" : "active");
    xmpp_stanza_set_attribute(sub, "account", r->prepaid ? "prepaid" : "postpaid");
    xmpp_stanza_set_attribute(sub, "balance", balance);
    return sub;
}
