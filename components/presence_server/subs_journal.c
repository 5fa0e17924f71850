/* subs_journal.c: the subscription journal (docs/protocol.md §5.4): one record per live subscription (STATE_DIR/subs-NODE.journal, pw_store), reloaded at start, rewritten at compaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pw_log.h"
#include "core/pw_text.h"
#include "subs_int.h"

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
            int hi = pw_text_hexval(p[1]), lo = hi >= 0 ? pw_text_hexval(p[2]) : -1;
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

/* v in decimal (as "%llu" writes it) into out (24 bytes). */
static void put_dec(uint64_t v, char out[24])
{
    char tmp[24];
    size_t n = 0, o = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        out[o++] = tmp[--n];
    out[o] = '\0';
}

/* v as 16 lower-case hex digits (as "%016llx" writes it) into out (24 bytes). */
static void put_hex16(uint64_t v, char out[24])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15u];
    out[16] = '\0';
}

pw_status_t pw_subs_journal_put(pw_subs_t *s, pw_store_t *store, const ps_sub_t *sub)
{
    char buf[PW_STORE_VALUE_MAX + 1], num[4][24], key[PW_SUBS_ID_TEXT], ref[PS_REF_CAP];
    size_t len = 0;
    put_dec(sub->created_ms, num[0]);
    put_dec(sub->expires_ms, num[1]);
    put_dec(sub->seq, num[2]);
    put_hex16(sub->last_hash, num[3]);
    {
        const char *f[SUBS_FIELDS] = { SUBS_FORMAT, pw_subs_kind_name(sub),
                                       num[0], num[1], num[2], num[3], sub->route->network,
                                       sub->route->proxy, sub->route->gateway, pw_subs_sub_msisdn(sub), sub->w->jid,
                                       sub->p->jid, pw_subs_sub_pmsisdn(sub), pw_subs_sub_ref(sub, ref) };
        for (int i = 0; i < SUBS_FIELDS; i++) {
            if (put_field(buf, sizeof buf, &len, f[i]) != 0)
                return PW_ERANGE;
        }
    }
    buf[len] = '\0';
    (void)s;
    pw_subs_id_format(sub->id, key);
    return pw_store_put(store, key, buf);
}

/* ------------------------------------------------------------------ reloading */

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
    if (t || n != SUBS_FIELDS || strcmp(f[0], SUBS_FORMAT) != 0 || pw_subs_id_parse(key, id) != 0)
        goto bad;
    for (int i = 1; i < SUBS_FIELDS; i++) {
        if (unescape(f[i]) != 0)
            goto bad;
    }
    if ((strcmp(f[1], "changes") != 0 && strcmp(f[1], "next") != 0 && strcmp(f[1], "pending") != 0) ||
        parse_u64(f[2], &created, 10) ||
        parse_u64(f[3], &expires, 10) || parse_u64(f[4], &seq, 10) || seq > UINT32_MAX ||
        parse_u64(f[5], &hash, 16) || !f[6][0] || !f[7][0] || !f[8][0] || !f[10][0] || !f[11][0] ||
        !f[13][0])
        goto bad;
    if (pw_subs_index_find(s, id))
        goto bad;
    sub = pw_subs_sub_new(s, id, strcmp(f[1], "next") == 0, f[13], f[9], f[10], f[11], f[12], f[6], f[7], f[8]);
    if (!sub)
        return PW_ENOMEM;
    if (strcmp(f[1], "pending") == 0)
        sub->flags |= SF_PENDING;
    sub->created_ms = created;
    sub->expires_ms = expires;
    sub->seq = (uint32_t)seq;
    sub->last_hash = hash;
    if (expires <= pw_subs_wall_now(s)) {
        sub->rnext = s->loaded_expired;
        s->loaded_expired = sub;
    } else {
        pw_subs_arm(s, sub);
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
            pw_status_t rc = pw_subs_journal_put(s, store, sub);
            if (rc != PW_OK)
                return rc;
        }
    }
    return PW_OK;
}

/* The journal's live keys: the subscriptions in the id index (the store keeps no copy). */
static size_t live_count(void *arg)
{
    const pw_subs_t *s = arg;
    return s->count;
}

pw_status_t pw_subs_journal_open(pw_subs_t *s, const char *name)
{
    pw_status_t rc;
    if (mkdir(s->cfg.state_dir, 0750) != 0 && errno != EEXIST) {
        pw_error(NULL, "cannot create the state directory %s: %s", s->cfg.state_dir, strerror(errno));
        return PW_EIO;
    }
    rc = pw_store_open(&s->store, s->cfg.state_dir, name, load_cb, rewrite_cb, s);
    if (rc != PW_OK)
        pw_error(NULL, "cannot open the subscription journal %s/%s.journal: %s", s->cfg.state_dir, name,
                 pw_strerror(rc));
    else
        pw_store_keys_by_owner(s->store, live_count);
    return rc;
}
