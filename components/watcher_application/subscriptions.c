/* subscriptions.c: the WA's subscriptions (docs/protocol.md §5.1, §6): the in-memory tables and their durable journal in state_dir (pw_store). */
#include "watcher_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pw_log.h"
#include "core/pw_text.h"

/*
 * Journal records (pw_store, key -> value):
 *   i:<subscription id>  an IQ-route subscription
 *   r:<uuid>             a roster item (pending while its subscription id is empty)
 * The value is "1" followed by these fields, each after one space, each percent-encoded
 * (%, space and control characters as %XX): route (iq|roster), kind, subscription id, ref,
 * watcher JID, watcher bare JID, address, contact JID, expires (ms since 1970, 0 = none),
 * renew at (ms), last seq, approved (0|1), and (from version 2, protocol version 1) the network
 * the subscription was made through ("" in a version 1 record: not bound).
 */
#define RECORD_VERSION "2"
#define NFIELDS 14
#define JOURNAL_PREFIX "watcher-"

/* ---- field encoding ---- */

/* Append one encoded field (with its leading space) to out; 0 when it does not fit. */
static int put_field(char *out, size_t cap, size_t *len, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    if (*len + 1 >= cap)
        return 0;
    out[(*len)++] = ' ';
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch <= 0x20 || ch == 0x7f || ch == '%') {
            if (*len + 3 >= cap)
                return 0;
            out[(*len)++] = '%';
            out[(*len)++] = hex[ch >> 4];
            out[(*len)++] = hex[ch & 15];
        } else {
            if (*len + 1 >= cap)
                return 0;
            out[(*len)++] = (char)ch;
        }
    }
    out[*len] = '\0';
    return 1;
}

/* Decode fields in place: splits value at spaces into at most max fields. @return the count */
static size_t split_fields(char *value, char **fields, size_t max)
{
    size_t n = 0;
    char *p = value;
    while (n < max) {
        char *end = strchr(p, ' '), *r = p, *w = p;
        if (end)
            *end = '\0';
        while (*r) {
            int hi, lo;
            if (*r == '%' && (hi = pw_text_hexval(r[1])) >= 0 && (lo = pw_text_hexval(r[2])) >= 0) {
                *w++ = (char)(hi * 16 + lo);
                r += 3;
            } else {
                *w++ = *r++;
            }
        }
        *w = '\0';
        fields[n++] = p;
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 1;
}

/* ---- subscriptions ---- */

pw_status_t pw_watcher_roster_key(const char *bare, const char *contact, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s %s", bare, contact);
    return n < 0 || (size_t)n >= cap ? PW_ERANGE : PW_OK;
}

pw_watcher_sub_t *pw_watcher_sub_new(pw_watcher_t *wa, pw_watcher_route_t route,
                                     const char *watcher, const char *bare, const char *address)
{
    pw_watcher_sub_t *sub = calloc(1, sizeof *sub);
    char contact[PW_JID_MAX + 1];

    if (!sub)
        return NULL;
    sub->wa = wa;
    sub->route = route;
    sub->kind = PW_KIND_CHANGES;
    pw_timer_init(&sub->timer, NULL, sub);
    if (pw_watcher_contact_of(wa, address, contact, sizeof contact) != PW_OK)
        goto fail;
    sub->watcher = strdup(watcher);
    sub->bare = strdup(bare);
    sub->address = strdup(address);
    sub->contact = strdup(contact);
    if (!sub->watcher || !sub->bare || !sub->address || !sub->contact)
        goto fail;
    return sub;
fail:
    pw_watcher_sub_free(sub);
    return NULL;
}

void pw_watcher_sub_free(pw_watcher_sub_t *sub)
{
    if (!sub)
        return;
    pw_timer_stop(pw_component_loop(sub->wa->c), &sub->timer);
    free(sub->watcher);
    free(sub->bare);
    free(sub->address);
    free(sub->contact);
    free(sub);
}

pw_status_t pw_watcher_sub_save(pw_watcher_sub_t *sub)
{
    char value[PW_STORE_VALUE_MAX + 1], num[3][24];
    size_t len;
    int ok;

    snprintf(value, sizeof value, "%s", RECORD_VERSION);
    len = strlen(value);
    snprintf(num[0], sizeof num[0], "%" PRIu64, sub->expires_ms);
    snprintf(num[1], sizeof num[1], "%" PRIu64, sub->renew_at_ms);
    snprintf(num[2], sizeof num[2], "%" PRIu64, sub->seq);
    ok = put_field(value, sizeof value, &len, sub->route == PW_WATCHER_ROUTE_ROSTER ? "roster" : "iq") &&
         put_field(value, sizeof value, &len, pw_enquiry_kind_name(sub->kind)) &&
         put_field(value, sizeof value, &len, sub->id) &&
         put_field(value, sizeof value, &len, sub->ref) &&
         put_field(value, sizeof value, &len, sub->watcher) &&
         put_field(value, sizeof value, &len, sub->bare) &&
         put_field(value, sizeof value, &len, sub->address) &&
         put_field(value, sizeof value, &len, sub->contact) &&
         put_field(value, sizeof value, &len, num[0]) &&
         put_field(value, sizeof value, &len, num[1]) &&
         put_field(value, sizeof value, &len, num[2]) &&
         put_field(value, sizeof value, &len, sub->approved ? "1" : "0") &&
         put_field(value, sizeof value, &len, sub->network);
    if (!ok || len > PW_STORE_VALUE_MAX) {
        pw_warn(NULL, "subscription %s of %s is too long to be recorded", sub->key, sub->bare);
        return PW_ERANGE;
    }
    return pw_store_put(sub->wa->store, sub->key, value);
}

void pw_watcher_sub_forget(pw_watcher_sub_t *sub)
{
    pw_watcher_t *wa = sub->wa;
    char rkey[2 * PW_JID_MAX + 2];

    if (sub->id[0] && pw_map_get(wa->subs, sub->id) == sub)
        pw_map_remove(wa->subs, sub->id);
    if (sub->route == PW_WATCHER_ROUTE_ROSTER &&
        pw_watcher_roster_key(sub->bare, sub->contact, rkey, sizeof rkey) == PW_OK &&
        pw_map_get(wa->roster, rkey) == sub)
        pw_map_remove(wa->roster, rkey);
    if (pw_store_del(wa->store, sub->key) != PW_OK)
        pw_warn(NULL, "could not journal the end of subscription %s", sub->key);
    pw_watcher_sub_free(sub);
}

pw_status_t pw_watcher_commit(pw_watcher_t *wa)
{
    pw_status_t rc = pw_store_commit(wa->store);
    if (rc != PW_OK)
        pw_error(NULL, "the subscriptions journal in %s could not be written: %s",
                 wa->settings->state_dir, pw_strerror(rc));
    return rc;
}

/* IQ-route subscriptions are forgotten a while after they expired without an 'ended'. */
static void on_iq_expiry(pw_timer_t *timer, void *arg)
{
    pw_watcher_sub_t *sub = arg;
    pw_watcher_t *wa = sub->wa;
    (void)timer;
    pw_info(NULL, "subscription %s of %s to %s expired", sub->id, sub->bare, sub->address);
    pw_watcher_sub_forget(sub);
    pw_watcher_commit(wa);
}

static void arm_iq_expiry(pw_watcher_sub_t *sub)
{
    uint64_t now = pw_watcher_wall_now(sub->wa);
    uint64_t delay = sub->expires_ms > now ? sub->expires_ms - now : 0;
    pw_timer_init(&sub->timer, on_iq_expiry, sub);
    pw_timer_start(pw_component_loop(sub->wa->c), &sub->timer, delay + PW_WATCHER_EXPIRY_GRACE_MS);
}

pw_status_t pw_watcher_subs_add_iq(pw_watcher_t *wa, const pw_watcher_job_t *job,
                                   const pw_watcher_answer_t *ans)
{
    pw_watcher_sub_t *sub = pw_watcher_sub_new(wa, PW_WATCHER_ROUTE_IQ, job->watcher, job->bare,
                                               job->address);
    pw_watcher_sub_t *old = NULL;
    pw_status_t rc = PW_ENOMEM;

    if (!sub)
        goto done;
    sub->kind = job->kind;
    snprintf(sub->id, sizeof sub->id, "%s", ans->subscription);
    snprintf(sub->key, sizeof sub->key, "i:%s", ans->subscription);
    snprintf(sub->network, sizeof sub->network, "%s", ans->network);
    snprintf(sub->ref, sizeof sub->ref, "%s", ans->ref);
    sub->expires_ms = ans->expires_ms;
    old = pw_map_get(wa->subs, sub->id);
    if (old && old->route != PW_WATCHER_ROUTE_IQ) {
        rc = PW_EEXIST; /* a PS never gives one id twice; never let a roster item dangle */
        goto done;
    }
    old = NULL;
    rc = pw_watcher_sub_save(sub);
    if (rc == PW_OK)
        rc = pw_watcher_commit(wa);
    if (rc == PW_OK)
        rc = pw_map_put(wa->subs, sub->id, sub, (void **)&old);
done:
    if (rc != PW_OK) {
        if (sub && rc != PW_EEXIST)
            pw_store_del(wa->store, sub->key);
        pw_watcher_sub_free(sub);
        return rc;
    }
    if (old && old != sub) {
        old->id[0] = '\0'; /* replaced under the same id: only its record goes */
        pw_watcher_sub_free(old);
    }
    arm_iq_expiry(sub);
    return PW_OK;
}

typedef struct stop_match {
    const char *bare, *address, *subscription;
} stop_match_t;

static int match_iq(const void *value, void *arg)
{
    const stop_match_t *m = arg;
    const pw_watcher_sub_t *sub = value;
    return sub->route == PW_WATCHER_ROUTE_IQ && strcmp(sub->bare, m->bare) == 0 &&
           strcmp(sub->address, m->address) == 0 &&
           (!m->subscription[0] || strcmp(sub->id, m->subscription) == 0);
}

static void forget_matched(void *value, void *arg)
{
    (void)arg;
    pw_watcher_sub_forget(value);
}

void pw_watcher_subs_stopped(pw_watcher_t *wa, const char *bare, const char *address,
                             const char *subscription)
{
    stop_match_t m = { bare, address, subscription };
    char rkey[2 * PW_JID_MAX + 2], contact[PW_JID_MAX + 1];
    pw_watcher_sub_t *item = NULL;

    pw_map_take_matching(wa->subs, match_iq, forget_matched, &m);
    /* the roster item too: 'stop' ends every subscription of the watcher on the presentity */
    if (pw_watcher_contact_of(wa, address, contact, sizeof contact) == PW_OK &&
        pw_watcher_roster_key(bare, contact, rkey, sizeof rkey) == PW_OK)
        item = pw_map_get(wa->roster, rkey);
    if (item && (!subscription[0] || strcmp(item->id, subscription) == 0) && wa->end_item)
        wa->end_item(item, "stopped at the watcher's request");
    pw_watcher_commit(wa);
}

/* ---- the journal ---- */

/* A record read back; NULL when it does not parse. */
static pw_watcher_sub_t *sub_from_record(pw_watcher_t *wa, const char *key, const char *value)
{
    char buf[PW_STORE_VALUE_MAX + 1], *f[NFIELDS];
    pw_watcher_sub_t *sub = NULL;
    pw_enquiry_kind_t kind;
    pw_watcher_route_t route;
    size_t nf;

    if (strlen(value) > PW_STORE_VALUE_MAX || strlen(key) >= sizeof sub->key)
        return NULL;
    memcpy(buf, value, strlen(value) + 1);
    nf = split_fields(buf, f, NFIELDS);
    /* version 1 (before the network was kept): its 13 fields, the network unknown */
    if (!(nf == NFIELDS && strcmp(f[0], RECORD_VERSION) == 0) &&
        !(nf == NFIELDS - 1 && strcmp(f[0], "1") == 0))
        return NULL;
    if (nf == NFIELDS && f[13][0] && !pw_jid_is_domain(f[13]))
        return NULL;
    if (strcmp(f[1], "iq") == 0 && strncmp(key, "i:", 2) == 0)
        route = PW_WATCHER_ROUTE_IQ;
    else if (strcmp(f[1], "roster") == 0 && strncmp(key, "r:", 2) == 0)
        route = PW_WATCHER_ROUTE_ROSTER;
    else
        return NULL;
    if (pw_enquiry_kind_parse(f[2], &kind) != PW_OK || strlen(f[3]) > PW_ENQUIRY_SUBID_MAX ||
        strlen(f[4]) > PW_ENQUIRY_REF_MAX || (route == PW_WATCHER_ROUTE_IQ && !f[3][0]))
        return NULL;
    sub = pw_watcher_sub_new(wa, route, f[5], f[6], f[7]);
    if (!sub)
        return NULL;
    sub->kind = kind;
    snprintf(sub->key, sizeof sub->key, "%s", key);
    snprintf(sub->id, sizeof sub->id, "%s", f[3]);
    snprintf(sub->ref, sizeof sub->ref, "%s", f[4]);
    if (strcmp(sub->contact, f[8]) != 0 || !parse_u64(f[9], &sub->expires_ms) ||
        !parse_u64(f[10], &sub->renew_at_ms) || !parse_u64(f[11], &sub->seq) ||
        (strcmp(f[12], "0") != 0 && strcmp(f[12], "1") != 0)) {
        pw_watcher_sub_free(sub);
        return NULL;
    }
    sub->approved = f[12][0] == '1';
    snprintf(sub->network, sizeof sub->network, "%s", nf == NFIELDS ? f[13] : "");
    return sub;
}

/* One journal record while opening (wa->load_drop collects the keys to delete once open). */
static pw_status_t load_record(void *arg, const char *key, const char *value)
{
    pw_watcher_t *wa = arg;
    pw_watcher_sub_t *sub = sub_from_record(wa, key, value), *old = NULL;
    char rkey[2 * PW_JID_MAX + 2];
    uint64_t now = pw_watcher_wall_now(wa);
    pw_status_t rc;

    if (!sub) {
        pw_warn(NULL, "subscriptions journal: record %s cannot be read; dropped", key);
        return pw_map_put(wa->load_drop, key, (void *)1, NULL);
    }
    if (sub->route == PW_WATCHER_ROUTE_IQ) {
        if (sub->expires_ms <= now) {
            pw_watcher_sub_free(sub);
            return pw_map_put(wa->load_drop, key, (void *)1, NULL);
        }
        rc = pw_map_put(wa->subs, sub->id, sub, (void **)&old);
        if (rc != PW_OK) {
            pw_watcher_sub_free(sub);
            return rc;
        }
        if (old) { /* cannot happen: ids are keys */
            old->id[0] = '\0';
            pw_watcher_sub_free(old);
        }
        arm_iq_expiry(sub);
        return PW_OK;
    }
    if (sub->id[0] && sub->expires_ms <= now) {
        sub->id[0] = '\0'; /* expired while we were away: renewed at once */
        sub->renew_at_ms = 0;
    }
    sub->token = wa->next_token++;
    rc = pw_watcher_roster_key(sub->bare, sub->contact, rkey, sizeof rkey);
    if (rc == PW_OK && pw_map_get(wa->roster, rkey))
        rc = PW_EEXIST;
    if (rc == PW_OK)
        rc = pw_map_put(wa->roster, rkey, sub, NULL);
    if (rc == PW_OK && sub->id[0] && (rc = pw_map_put(wa->subs, sub->id, sub, NULL)) != PW_OK)
        pw_map_remove(wa->roster, rkey);
    if (rc != PW_OK) {
        pw_watcher_sub_free(sub);
        return rc == PW_EEXIST ? pw_map_put(wa->load_drop, key, (void *)1, NULL) : rc;
    }
    return PW_OK;
}

/* Compaction: write every live record again. */
static int rewrite_one(const char *key, void *value, void *arg)
{
    pw_watcher_sub_t *sub = value;
    pw_status_t *rc = arg;
    (void)key;
    if (*rc == PW_OK)
        *rc = pw_watcher_sub_save(sub);
    return *rc != PW_OK;
}

static int rewrite_iq(const char *key, void *value, void *arg)
{
    pw_watcher_sub_t *sub = value;
    return sub->route == PW_WATCHER_ROUTE_IQ ? rewrite_one(key, value, arg) : 0;
}

static pw_status_t rewrite(void *arg, pw_store_t *store)
{
    pw_watcher_t *wa = arg;
    pw_status_t rc = PW_OK;
    (void)store;
    pw_map_foreach(wa->subs, rewrite_iq, &rc);
    pw_map_foreach(wa->roster, rewrite_one, &rc);
    return rc;
}

static int drop_key(const char *key, void *value, void *arg)
{
    pw_watcher_t *wa = arg;
    (void)value;
    pw_store_del(wa->store, key);
    return 0;
}

pw_status_t pw_watcher_subs_open(pw_watcher_t *wa)
{
    const char *dir = wa->settings->state_dir;
    char name[PW_JID_MAX + 16];
    pw_status_t rc;

    rc = pw_map_create(&wa->subs);
    if (rc == PW_OK)
        rc = pw_map_create(&wa->roster);
    if (rc == PW_OK)
        rc = pw_map_create(&wa->load_drop);
    if (rc != PW_OK)
        goto done;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        pw_error(NULL, "state_dir %s cannot be created: %s", dir, strerror(errno));
        rc = PW_EIO;
        goto done;
    }
    /* one journal per WA, named after its JID, so that components may share the directory */
    snprintf(name, sizeof name, JOURNAL_PREFIX "%s", pw_component_jid(wa->c));
    rc = pw_store_open(&wa->store, dir, name, load_record, rewrite, wa);
    if (rc != PW_OK) {
        pw_error(NULL, "the subscriptions journal in %s cannot be opened: %s", dir, pw_strerror(rc));
        goto done;
    }
    if (pw_map_count(wa->load_drop) > 0) {
        pw_info(NULL, "%zu expired or unreadable subscriptions dropped", pw_map_count(wa->load_drop));
        pw_map_foreach(wa->load_drop, drop_key, wa);
        pw_watcher_commit(wa);
    }
done:
    pw_map_destroy(wa->load_drop);
    wa->load_drop = NULL;
    return rc;
}

static int free_iq(const char *key, void *value, void *arg)
{
    pw_watcher_sub_t *sub = value;
    (void)key;
    (void)arg;
    if (sub->route == PW_WATCHER_ROUTE_IQ)
        pw_watcher_sub_free(sub);
    return 0;
}

static void free_sub(void *value)
{
    pw_watcher_sub_free(value);
}

void pw_watcher_subs_close(pw_watcher_t *wa)
{
    if (wa->subs)
        pw_map_foreach(wa->subs, free_iq, NULL);
    pw_map_destroy(wa->subs);
    pw_map_destroy_values(wa->roster, free_sub);
    wa->subs = wa->roster = NULL;
    pw_store_close(wa->store);
    wa->store = NULL;
}
