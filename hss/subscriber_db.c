/* subscriber_db.c: HSS subscriber database: file parser, compact indexes, lookups, background reload. */
#include "subscriber_db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pw_text.h"

/* Limits of the fields (RFC 7622 localpart; DNS name for domains; E.164). */
#define MSISDN_MIN_DIGITS 8
#define MSISDN_MAX_DIGITS 15
#define LOCALPART_MAX 1023
#define DOMAIN_MAX 253
#define LABEL_MAX 63
#define JID_MAX (LOCALPART_MAX + 1 + DOMAIN_MAX)

#define READ_CHUNK (4u * 1024u * 1024u) /* bytes read per read(); must exceed HSS_DB_MAX_LINE */
#define NFIELDS 6
#define QUOTE_MAX 64                     /* bytes of a bad token quoted in an error message */

#define FLAG_BARRED 0x1u
#define FLAG_PREPAID 0x2u

/* One subscriber: 16 bytes. Its strings sit in the arena at off: "MSISDN\0JID\0". */
typedef struct hss_rec {
    int64_t balance;
    uint32_t off;    /* arena offset of the MSISDN string; the JID follows at off + mlen + 1 */
    uint16_t ps;     /* index into the interned presence servers */
    uint8_t flags;   /* FLAG_* */
    uint8_t mlen;    /* length of the MSISDN string, '+' included */
} hss_rec_t;

/* An index slot: record number + 1 (0 = empty) and the key's hash, so that probes
 * compare hashes inside the table and visit a record only when the hash matches. */
typedef struct slot {
    uint32_t idx1;
    uint32_t hash;
} slot_t;

/* An open-addressing hash index with linear probing, at most 70% full. */
typedef struct index {
    slot_t *tab;
    size_t cap; /* power of two */
} index_t;

/* Which string of a record an index keys on. */
enum key_kind { KEY_MSISDN, KEY_JID };

struct hss_db {
    hss_rec_t *recs;
    size_t n, rcap;
    char *arena;
    size_t alen, acap;
    index_t by_msisdn;
    index_t by_jid;
    char **ps;        /* interned presence-server JIDs */
    size_t nps;
    size_t psbytes;   /* bytes of the presence-server strings */
    uint16_t *pstab;  /* interning index: ps number + 1, 0 = empty */
    size_t pscap;
};

struct hss_db_reload {
    pthread_t thread;
    int rfd, wfd;
    char *path;
    hss_db_t *db;
    pw_status_t status;
    char err[1024];
};

/* What the index build needs of each record while loading (freed once the indexes are built). */
typedef struct pending {
    uint32_t line;  /* file line, for "first on line N" in duplicate errors */
    uint32_t mhash; /* hash of the MSISDN */
    uint32_t jhash; /* hash of the JID */
} pending_t;

/* State of one load: the database being built, the position, the error text. */
typedef struct loader {
    hss_db_t *db;
    const char *path;
    size_t line;
    pending_t *pend; /* one per record */
    size_t pcap;
    char *err;
    size_t errcap;
} loader_t;

typedef struct tok {
    const char *s;
    size_t n;
} tok_t;

/* ---- hashing ---- */

static uint32_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return (uint32_t)h;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

/* ---- field validation (shared by the parser and the lookups) ---- */

/* Parse canonical E.164: '+', 8..15 digits, first 1-9. @return 0 and *out, or -1. */
static int msisdn_parse(const char *s, size_t n, uint64_t *out)
{
    if (n < 1 + MSISDN_MIN_DIGITS || n > 1 + MSISDN_MAX_DIGITS || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return -1;
    uint64_t v = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int is_alnum_ascii(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Check a DNS-style domain: dot-separated labels of letters, digits and inner hyphens. */
static const char *domain_check(const char *s, size_t n)
{
    if (n == 0)
        return "empty domain";
    if (n > DOMAIN_MAX)
        return "domain too long";
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return "bad domain label";
            label = 0;
        } else if (is_alnum_ascii(c) || c == '-') {
            if (c == '-' && label == 0)
                return "bad domain label";
            if (++label > LABEL_MAX)
                return "domain label too long";
        } else if (c == '/') {
            return "resource not allowed (bare JID expected)";
        } else if (c == '@') {
            return "more than one '@'";
        } else {
            return "bad character in domain";
        }
    }
    if (label == 0 || s[n - 1] == '-')
        return "bad domain label";
    return NULL;
}

/* Check a bare JID with localpart. @return NULL if fine, else the reason; *at gets the '@'. */
static const char *jid_check(const char *s, size_t n, size_t *at)
{
    const char *a = memchr(s, '@', n);
    if (!a)
        return "missing localpart (expected local@domain)";
    size_t ln = (size_t)(a - s);
    if (ln == 0)
        return "empty localpart";
    if (ln > LOCALPART_MAX)
        return "localpart too long";
    for (size_t i = 0; i < ln; i++) {
        unsigned char c = (unsigned char)s[i];
        /* RFC 7622 / nodeprep: no controls, spaces or "&'/:<>@ */
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' ||
            c == '<' || c == '>')
            return "bad character in localpart";
    }
    const char *why = domain_check(a + 1, n - ln - 1);
    if (why)
        return why;
    *at = ln;
    return NULL;
}

/* ---- errors ---- */

static void set_err(loader_t *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(loader_t *ld, const char *fmt, ...)
{
    if (!ld->err || ld->errcap == 0)
        return;
    int k;
    if (ld->line > 0)
        k = snprintf(ld->err, ld->errcap, "%s:%zu: ", ld->path, ld->line);
    else
        k = snprintf(ld->err, ld->errcap, "%s: ", ld->path);
    if (k < 0 || (size_t)k >= ld->errcap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + k, ld->errcap - (size_t)k, fmt, ap);
    va_end(ap);
}

/* Length of a token as quoted in error messages. */
static int qlen(const tok_t *t)
{
    return (int)(t->n > QUOTE_MAX ? QUOTE_MAX : t->n);
}

/* ---- growth ---- */

/*
 * Make room for need elements in the array *pp points to (a pointer to any object pointer),
 * doubling from first. @return PW_OK, or PW_ENOMEM with the array untouched.
 */
static pw_status_t grow(void *pp, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return PW_OK;
    size_t nc = *cap ? *cap : first;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return PW_ENOMEM;
        nc *= 2;
    }
    void *p;
    memcpy(&p, pp, sizeof p);
    void *np = realloc(p, nc * elem);
    if (!np)
        return PW_ENOMEM;
    memcpy(pp, &np, sizeof np);
    *cap = nc;
    return PW_OK;
}

/* Allocate an empty index for n keys: a power of two of at least 1024 slots, at most 70% full. */
static pw_status_t index_create(index_t *ix, size_t n)
{
    size_t cap = 1024;
    while (cap * 7 < n * 10) {
        if (cap > SIZE_MAX / 2 / sizeof(slot_t))
            return PW_ENOMEM;
        cap *= 2;
    }
    ix->tab = calloc(cap, sizeof *ix->tab);
    if (!ix->tab)
        return PW_ENOMEM;
    ix->cap = cap;
    return PW_OK;
}

static const char *rec_msisdn(const hss_db_t *db, const hss_rec_t *r)
{
    return db->arena + r->off;
}

static const char *rec_jid(const hss_db_t *db, const hss_rec_t *r)
{
    return db->arena + r->off + r->mlen + 1;
}

/* @return the slot holding key (n bytes, hash h), or the empty slot where it would go. */
static size_t index_probe(const hss_db_t *db, const index_t *ix, enum key_kind kind, const char *key,
                          size_t n, uint32_t h)
{
    size_t mask = ix->cap - 1;
    size_t j = h & mask;
    for (;;) {
        const slot_t *s = &ix->tab[j];
        if (!s->idx1)
            return j;
        if (s->hash == h) {
            const hss_rec_t *r = &db->recs[s->idx1 - 1];
            const char *o = kind == KEY_MSISDN ? rec_msisdn(db, r) : rec_jid(db, r);
            if (strncmp(o, key, n) == 0 && o[n] == '\0') /* strncmp: o may be shorter */
                return j;
        }
        j = (j + 1) & mask;
    }
}

/* ---- presence-server interning ---- */

static pw_status_t ps_intern(loader_t *ld, const char *s, size_t n, uint16_t *out)
{
    hss_db_t *db = ld->db;
    pw_status_t st = PW_OK;
    char low[DOMAIN_MAX];
    pw_text_fold_n(s, n, low);
    uint32_t h = hash_bytes(low, n);
    size_t mask = db->pscap - 1;
    size_t j = h & mask;
    while (db->pstab[j]) {
        const char *p = db->ps[db->pstab[j] - 1];
        if (strncmp(p, low, n) == 0 && p[n] == '\0') {
            *out = (uint16_t)(db->pstab[j] - 1);
            goto done;
        }
        j = (j + 1) & mask;
    }
    if (db->nps >= HSS_DB_MAX_PRESENCE_SERVERS) {
        set_err(ld, "more than %d distinct presence servers", HSS_DB_MAX_PRESENCE_SERVERS);
        st = PW_ERANGE;
        goto done;
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        st = PW_ENOMEM;
        goto done;
    }
    memcpy(copy, low, n);
    copy[n] = '\0';
    db->ps[db->nps] = copy;
    db->psbytes += n + 1;
    db->pstab[j] = (uint16_t)(db->nps + 1);
    *out = (uint16_t)db->nps;
    db->nps++;
done:
    return st;
}

/* ---- line parser ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int tok_is(const tok_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->n == n && memcmp(t->s, word, n) == 0;
}

/* Parse one line (without its '\n') and add its subscriber. */
static pw_status_t parse_line(loader_t *ld, const char *p, size_t len)
{
    static const char *const names[NFIELDS] = {"MSISDN", "JID",     "PRESENCE-SERVER",
                                               "STATUS", "ACCOUNT", "BALANCE"};
    hss_db_t *db = ld->db;
    pw_status_t st = PW_ECONFIG;
    tok_t f[NFIELDS];
    size_t nf = 0;
    const char *e = p + len;

    if (len > HSS_DB_MAX_LINE) {
        set_err(ld, "line longer than %d bytes", HSS_DB_MAX_LINE);
        goto done;
    }
    for (;;) {
        while (p < e && is_space(*p))
            p++;
        if (p == e || *p == '#')
            break;
        const char *s = p;
        while (p < e && !is_space(*p))
            p++;
        if (nf == NFIELDS) {
            tok_t x = {s, (size_t)(p - s)};
            set_err(ld, "unexpected field '%.*s' after BALANCE", qlen(&x), x.s);
            goto done;
        }
        f[nf].s = s;
        f[nf].n = (size_t)(p - s);
        nf++;
    }
    if (nf == 0) {
        st = PW_OK; /* blank or comment line */
        goto done;
    }
    if (nf < NFIELDS) {
        set_err(ld, "missing field %s (expected MSISDN JID PRESENCE-SERVER STATUS ACCOUNT BALANCE)",
                names[nf]);
        goto done;
    }

    uint64_t msisdn;
    if (msisdn_parse(f[0].s, f[0].n, &msisdn) != 0) {
        set_err(ld, "invalid MSISDN '%.*s': expected '+' and %d to %d digits, the first not 0", qlen(&f[0]),
                f[0].s, MSISDN_MIN_DIGITS, MSISDN_MAX_DIGITS);
        goto done;
    }
    size_t at = 0;
    const char *why = jid_check(f[1].s, f[1].n, &at);
    if (why) {
        set_err(ld, "invalid JID '%.*s': %s", qlen(&f[1]), f[1].s, why);
        goto done;
    }
    why = memchr(f[2].s, '@', f[2].n) ? "a domain JID has no '@'" : domain_check(f[2].s, f[2].n);
    if (why) {
        set_err(ld, "invalid PRESENCE-SERVER '%.*s': %s", qlen(&f[2]), f[2].s, why);
        goto done;
    }
    uint8_t flags = 0;
    if (tok_is(&f[3], "barred")) {
        flags |= FLAG_BARRED;
    } else if (!tok_is(&f[3], "active")) {
        set_err(ld, "invalid STATUS '%.*s': expected active or barred", qlen(&f[3]), f[3].s);
        goto done;
    }
    if (tok_is(&f[4], "prepaid")) {
        flags |= FLAG_PREPAID;
    } else if (!tok_is(&f[4], "postpaid")) {
        set_err(ld, "invalid ACCOUNT '%.*s': expected prepaid or postpaid", qlen(&f[4]), f[4].s);
        goto done;
    }
    int64_t balance = 0;
    if (tok_is(&f[5], "-")) {
        if (flags & FLAG_PREPAID) {
            set_err(ld, "a prepaid account needs a BALANCE, not '-'");
            goto done;
        }
    } else {
        uint64_t b = 0;
        for (size_t i = 0; i < f[5].n; i++) {
            unsigned d = (unsigned)(unsigned char)f[5].s[i] - '0';
            if (d > 9) {
                set_err(ld, "invalid BALANCE '%.*s': expected a non-negative integer%s", qlen(&f[5]), f[5].s,
                        (flags & FLAG_PREPAID) ? "" : " or '-'");
                goto done;
            }
            if (b > ((uint64_t)INT64_MAX - d) / 10) {
                set_err(ld, "BALANCE '%.*s' out of range", qlen(&f[5]), f[5].s);
                goto done;
            }
            b = b * 10 + d;
        }
        balance = (int64_t)b;
    }

    /* Room for the record, its strings and one more index entry each. */
    if (db->n >= HSS_DB_MAX_SUBSCRIBERS) {
        set_err(ld, "more than %u subscribers", HSS_DB_MAX_SUBSCRIBERS);
        st = PW_ERANGE;
        goto done;
    }
    size_t need = f[0].n + 1 + f[1].n + 1;
    if (db->alen + need > UINT32_MAX) {
        set_err(ld, "subscriber strings exceed 4 GiB");
        st = PW_ERANGE;
        goto done;
    }
    st = grow(&db->recs, &db->rcap, db->n + 1, sizeof *db->recs, 1024);
    if (st == PW_OK)
        st = grow(&ld->pend, &ld->pcap, db->n + 1, sizeof *ld->pend, 1024);
    if (st == PW_OK)
        st = grow(&db->arena, &db->acap, db->alen + need, 1, 64 * 1024);
    if (st != PW_OK) {
        set_err(ld, "%s", pw_strerror(st));
        goto done;
    }
    st = PW_ECONFIG;

    /* Write the strings (domain folded to lower case) after the arena's end. */
    char *ms = db->arena + db->alen;
    memcpy(ms, f[0].s, f[0].n);
    ms[f[0].n] = '\0';
    char *js = ms + f[0].n + 1;
    memcpy(js, f[1].s, at + 1);
    pw_text_fold_n(f[1].s + at + 1, f[1].n - at - 1, js + at + 1);
    js[f[1].n] = '\0';

    uint16_t ps;
    st = ps_intern(ld, f[2].s, f[2].n, &ps);
    if (st != PW_OK) {
        if (st == PW_ENOMEM)
            set_err(ld, "%s", pw_strerror(st));
        goto done;
    }

    hss_rec_t *r = &db->recs[db->n];
    r->balance = balance;
    r->off = (uint32_t)db->alen;
    r->ps = ps;
    r->flags = flags;
    r->mlen = (uint8_t)f[0].n;
    pending_t *pd = &ld->pend[db->n];
    pd->line = (uint32_t)(ld->line > UINT32_MAX ? UINT32_MAX : ld->line);
    pd->mhash = mix64(msisdn);
    pd->jhash = hash_bytes(js, f[1].n);
    db->n++;
    db->alen += need;
    st = PW_OK;
done:
    return st;
}

/* ---- loading ---- */

/* How many records ahead the index build prefetches its slots (hides memory latency). */
#define PREFETCH_AHEAD 16

/*
 * Build both indexes over the records parsed so far, in file order, so that the first record
 * (by line) whose MSISDN or JID repeats an earlier one is the one reported.
 * @return PW_OK, PW_ECONFIG (duplicate; err set), or PW_ENOMEM
 */
static pw_status_t build_indexes(loader_t *ld)
{
    hss_db_t *db = ld->db;
    pw_status_t st = index_create(&db->by_msisdn, db->n);
    if (st == PW_OK)
        st = index_create(&db->by_jid, db->n);
    if (st != PW_OK)
        goto done;
    size_t mmask = db->by_msisdn.cap - 1, jmask = db->by_jid.cap - 1;
    for (size_t i = 0; i < db->n; i++) {
        if (i + PREFETCH_AHEAD < db->n) {
            const pending_t *ahead = &ld->pend[i + PREFETCH_AHEAD];
            __builtin_prefetch(&db->by_msisdn.tab[ahead->mhash & mmask], 1);
            __builtin_prefetch(&db->by_jid.tab[ahead->jhash & jmask], 1);
        }
        const hss_rec_t *r = &db->recs[i];
        const pending_t *pd = &ld->pend[i];
        const char *ms = rec_msisdn(db, r);
        const char *js = rec_jid(db, r);
        slot_t *m = &db->by_msisdn.tab[index_probe(db, &db->by_msisdn, KEY_MSISDN, ms, r->mlen, pd->mhash)];
        slot_t *j = &db->by_jid.tab[index_probe(db, &db->by_jid, KEY_JID, js, strlen(js), pd->jhash)];
        if (m->idx1 || j->idx1) {
            ld->line = pd->line;
            if (m->idx1)
                set_err(ld, "duplicate MSISDN %s (first on line %u)", ms, ld->pend[m->idx1 - 1].line);
            else
                set_err(ld, "duplicate JID %.*s (first on line %u)", QUOTE_MAX, js,
                        ld->pend[j->idx1 - 1].line);
            st = PW_ECONFIG;
            goto done;
        }
        m->idx1 = j->idx1 = (uint32_t)(i + 1);
        m->hash = pd->mhash;
        j->hash = pd->jhash;
    }
done:
    return st;
}

static pw_status_t db_new(hss_db_t **out)
{
    pw_status_t st = PW_ENOMEM;
    hss_db_t *db = calloc(1, sizeof *db);
    if (!db)
        goto done;
    db->ps = calloc(HSS_DB_MAX_PRESENCE_SERVERS, sizeof *db->ps);
    db->pscap = 2 * HSS_DB_MAX_PRESENCE_SERVERS;
    db->pstab = calloc(db->pscap, sizeof *db->pstab);
    if (!db->ps || !db->pstab)
        goto done;
    *out = db;
    db = NULL;
    st = PW_OK;
done:
    hss_db_destroy(db);
    return st;
}

/* Give back the slack of the growth buffers once the size is known. */
static void db_trim(hss_db_t *db)
{
    if (db->n > 0 && db->n < db->rcap) {
        hss_rec_t *r = realloc(db->recs, db->n * sizeof *r);
        if (r) {
            db->recs = r;
            db->rcap = db->n;
        }
    }
    if (db->alen > 0 && db->alen < db->acap) {
        char *a = realloc(db->arena, db->alen);
        if (a) {
            db->arena = a;
            db->acap = db->alen;
        }
    }
    char **p = realloc(db->ps, (db->nps ? db->nps : 1) * sizeof *p);
    if (p)
        db->ps = p;
    free(db->pstab); /* only needed while loading */
    db->pstab = NULL;
    db->pscap = 0;
}

static pw_status_t read_some(int fd, char *buf, size_t cap, size_t *got)
{
    for (;;) {
        ssize_t k = read(fd, buf, cap);
        if (k >= 0) {
            *got = (size_t)k;
            return PW_OK;
        }
        if (errno != EINTR)
            return PW_EIO;
    }
}

pw_status_t hss_db_load(const char *path, hss_db_t **out, char *err, size_t errcap)
{
    pw_status_t st = PW_EINVAL;
    loader_t ld = {.path = path, .err = err, .errcap = errcap};
    char *buf = NULL;
    int fd = -1;
    int parsed = 0;

    if (err && errcap)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (!path || !out) {
        if (err && errcap)
            snprintf(err, errcap, "hss_db_load: NULL argument");
        goto done;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st = PW_EIO;
        set_err(&ld, "cannot open: %s", strerror(errno));
        goto done;
    }
    buf = malloc(READ_CHUNK);
    st = buf ? db_new(&ld.db) : PW_ENOMEM;
    if (st != PW_OK) {
        set_err(&ld, "%s", pw_strerror(st));
        goto done;
    }

    size_t have = 0;
    int eof = 0;
    while (!eof || have > 0) {
        if (!eof) {
            size_t got = 0;
            st = read_some(fd, buf + have, READ_CHUNK - have, &got);
            if (st != PW_OK) {
                ld.line = 0;
                set_err(&ld, "read error: %s", strerror(errno));
                goto done;
            }
            have += got;
            eof = got == 0;
        }
        char *p = buf;
        char *end = buf + have;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                if (!eof)
                    break;
                nl = end; /* last line without a line end */
            }
            ld.line++;
            st = parse_line(&ld, p, (size_t)(nl - p));
            if (st != PW_OK)
                goto done;
            p = nl < end ? nl + 1 : end;
        }
        size_t rem = (size_t)(end - p);
        if (rem > HSS_DB_MAX_LINE) {
            ld.line++;
            set_err(&ld, "line longer than %d bytes", HSS_DB_MAX_LINE);
            st = PW_ECONFIG;
            goto done;
        }
        memmove(buf, p, rem);
        have = rem;
        if (eof)
            have = 0; /* everything was parsed above */
    }
    parsed = 1;
    st = build_indexes(&ld);
    if (st != PW_OK) {
        if (st == PW_ENOMEM)
            set_err(&ld, "%s", pw_strerror(st));
        goto done;
    }
    db_trim(ld.db);
    *out = ld.db;
    ld.db = NULL;
done:
    /* A line was refused: if an earlier line repeats a key, that one comes first in the file. */
    if (!parsed && ld.db && (st == PW_ECONFIG || st == PW_ERANGE) && build_indexes(&ld) == PW_ECONFIG)
        st = PW_ECONFIG;
    if (fd >= 0)
        close(fd);
    free(buf);
    free(ld.pend);
    hss_db_destroy(ld.db);
    return st;
}

/* ---- lookups ---- */

static void fill(const hss_db_t *db, const hss_rec_t *r, hss_subscriber_t *out)
{
    if (!out)
        return;
    out->msisdn = rec_msisdn(db, r);
    out->jid = rec_jid(db, r);
    out->presence_server = db->ps[r->ps];
    out->barred = (r->flags & FLAG_BARRED) != 0;
    out->prepaid = (r->flags & FLAG_PREPAID) != 0;
    out->balance = r->balance;
}

pw_status_t hss_db_find_msisdn(const hss_db_t *db, const char *msisdn, hss_subscriber_t *out)
{
    uint64_t v;
    if (!db || !msisdn)
        return PW_EINVAL;
    size_t n = strnlen(msisdn, 2 + MSISDN_MAX_DIGITS);
    if (msisdn_parse(msisdn, n, &v) != 0)
        return PW_EINVAL;
    if (db->n == 0)
        return PW_ENOTFOUND;
    const slot_t *s = &db->by_msisdn.tab[index_probe(db, &db->by_msisdn, KEY_MSISDN, msisdn, n, mix64(v))];
    if (!s->idx1)
        return PW_ENOTFOUND;
    fill(db, &db->recs[s->idx1 - 1], out);
    return PW_OK;
}

pw_status_t hss_db_find_jid(const hss_db_t *db, const char *bare_jid, hss_subscriber_t *out)
{
    char key[JID_MAX + 1];
    size_t at = 0;
    if (!db || !bare_jid)
        return PW_EINVAL;
    size_t n = strnlen(bare_jid, JID_MAX + 1);
    if (n > JID_MAX || jid_check(bare_jid, n, &at) != NULL)
        return PW_EINVAL;
    if (db->n == 0)
        return PW_ENOTFOUND;
    memcpy(key, bare_jid, at + 1);
    pw_text_fold_n(bare_jid + at + 1, n - at - 1, key + at + 1);
    key[n] = '\0';
    const slot_t *s = &db->by_jid.tab[index_probe(db, &db->by_jid, KEY_JID, key, n, hash_bytes(key, n))];
    if (!s->idx1)
        return PW_ENOTFOUND;
    fill(db, &db->recs[s->idx1 - 1], out);
    return PW_OK;
}

size_t hss_db_count(const hss_db_t *db)
{
    return db ? db->n : 0;
}

size_t hss_db_memory(const hss_db_t *db)
{
    if (!db)
        return 0;
    return sizeof *db + db->rcap * sizeof *db->recs + db->acap +
           (db->by_msisdn.cap + db->by_jid.cap) * sizeof(slot_t) + (db->nps ? db->nps : 1) * sizeof *db->ps +
           db->psbytes + db->pscap * sizeof *db->pstab;
}

void hss_db_destroy(hss_db_t *db)
{
    if (!db)
        return;
    if (db->ps) {
        for (size_t i = 0; i < db->nps; i++)
            free(db->ps[i]);
    }
    free(db->ps);
    free(db->pstab);
    free(db->recs);
    free(db->arena);
    free(db->by_msisdn.tab);
    free(db->by_jid.tab);
    free(db);
}

/* ---- background reload ---- */

static void *reload_main(void *arg)
{
    hss_db_reload_t *r = arg;
    r->status = hss_db_load(r->path, &r->db, r->err, sizeof r->err);
    ssize_t k;
    do {
        k = write(r->wfd, "x", 1);
    } while (k < 0 && errno == EINTR);
    return NULL;
}

static void reload_free(hss_db_reload_t *r)
{
    if (!r)
        return;
    if (r->rfd >= 0)
        close(r->rfd);
    if (r->wfd >= 0)
        close(r->wfd);
    hss_db_destroy(r->db);
    free(r->path);
    free(r);
}

pw_status_t hss_db_reload_start(const char *path, hss_db_reload_t **out)
{
    pw_status_t st = PW_EINVAL;
    hss_db_reload_t *r = NULL;
    if (out)
        *out = NULL;
    if (!path || !out)
        goto done;
    st = PW_ENOMEM;
    r = calloc(1, sizeof *r);
    if (!r)
        goto done;
    r->rfd = r->wfd = -1;
    r->path = strdup(path);
    if (!r->path)
        goto done;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        st = PW_EIO;
        goto done;
    }
    r->rfd = fds[0];
    r->wfd = fds[1];

    /* The thread inherits this mask: block everything so signals stay with the loop's thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&r->thread, NULL, reload_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        st = rc == EAGAIN ? PW_ENOMEM : PW_EIO;
        goto done;
    }
    *out = r;
    r = NULL;
    st = PW_OK;
done:
    reload_free(r);
    return st;
}

int hss_db_reload_fd(const hss_db_reload_t *r)
{
    return r ? r->rfd : -1;
}

pw_status_t hss_db_reload_finish(hss_db_reload_t *r, hss_db_t **db_out, char *err, size_t errcap)
{
    pw_status_t st = PW_EINVAL;
    if (db_out)
        *db_out = NULL;
    if (!r)
        goto done;
    pthread_join(r->thread, NULL);
    st = r->status;
    if (err && errcap)
        snprintf(err, errcap, "%s", r->err);
    if (st == PW_OK && db_out) {
        *db_out = r->db;
        r->db = NULL;
    }
done:
    reload_free(r);
    return st;
}
