/* cdr_format.c: the charge-record line format (docs/charging.md): JSON Lines serialisation, parsing, SHA-256 chain, names. */
#include "charging/pw_cdr.h"
#include "core/pw_clock.h"
#include "core/pw_text.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Largest time written: 9999-12-31T23:59:59.999Z. */

/* Most members of one line (a record has 19). */
#define MEMBERS_MAX 32

static const char *const kind_names[PW_CDR_KIND_COUNT] = {
    [PW_CDR_KIND_CURRENT] = "current", [PW_CDR_KIND_CHANGES] = "changes",
    [PW_CDR_KIND_NEXT] = "next",       [PW_CDR_KIND_STOP] = "stop",
    [PW_CDR_KIND_END] = "end",
};

static const char zero_hash[PW_CDR_HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *pw_cdr_kind_name(pw_cdr_kind_t kind)
{
    if ((unsigned)kind >= PW_CDR_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

pw_status_t pw_cdr_kind_parse(const char *name, pw_cdr_kind_t *out)
{
    if (!name || !out)
        return PW_EINVAL;
    for (unsigned i = 0; i < PW_CDR_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (pw_cdr_kind_t)i;
            return PW_OK;
        }
    }
    return PW_EINVAL;
}

/* 1 if the n bytes at s are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t extra;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= extra)
            return 0;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += extra + 1;
    }
    return 1;
}

/* PW_OK if field is NUL-terminated within cap and UTF-8; required: non-empty too. */
static pw_status_t check_text(const char *field, size_t cap, int required)
{
    const char *nul = memchr(field, '\0', cap);
    if (!nul)
        return PW_ERANGE;
    if (required && nul == field)
        return PW_EINVAL;
    if (!utf8_valid((const unsigned char *)field, (size_t)(nul - field)))
        return PW_EINVAL;
    return PW_OK;
}

int pw_cdr_node_valid(const char *node)
{
    size_t n = 0;
    if (!node)
        return 0;
    for (; node[n] != '\0'; n++) {
        char c = node[n];
        if (n >= PW_CDR_NODE_MAX - 1)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

static int outcome_valid(const char *s)
{
    if (!s[0])
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return 0;
    }
    return 1;
}

pw_status_t pw_cdr_record_check(const pw_cdr_record_t *rec)
{
    pw_status_t st = PW_EINVAL;
    if (!rec || (unsigned)rec->kind >= PW_CDR_KIND_COUNT)
        goto done;
    struct {
        const char *f;
        size_t cap;
        int required;
    } fields[] = {
        { rec->outcome, sizeof rec->outcome, 1 },
        { rec->enquiry_ref, sizeof rec->enquiry_ref, rec->kind != PW_CDR_KIND_END },
        { rec->peer, sizeof rec->peer, 0 },
        { rec->charged_network, sizeof rec->charged_network, 1 },
        { rec->serving_network, sizeof rec->serving_network, 0 },
        { rec->watcher_msisdn, sizeof rec->watcher_msisdn, 0 },
        { rec->watcher_jid, sizeof rec->watcher_jid, 0 },
        { rec->presentity_msisdn, sizeof rec->presentity_msisdn, 0 },
        { rec->presentity_jid, sizeof rec->presentity_jid, 0 },
        { rec->subscription_id, sizeof rec->subscription_id, 0 },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        st = check_text(fields[i].f, fields[i].cap, fields[i].required);
        if (st != PW_OK)
            goto done;
    }
    st = outcome_valid(rec->outcome) ? PW_OK : PW_EINVAL;
done:
    return st;
}

/* ---------------------------------------------------------------- hashing */

static pw_status_t sha256_hex(const void *data, size_t len, char out[PW_CDR_HASH_HEX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return PW_ECRYPTO;
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[64] = '\0';
    return PW_OK;
}

static int hash_hex_valid(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- time */

void pw_cdr_time_format(uint64_t ms, char out[PW_CDR_TIME_TEXT])
{
    pw_clock_format_ms(ms, out);
}

/* Read exactly n digits at s into *v; 1 on success. */
static int digits(const char *s, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

pw_status_t pw_cdr_time_parse(const char *text, uint64_t *out)
{
    struct tm tm, back;
    int y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
    size_t n;
    time_t t;
    if (!text || !out)
        return PW_EINVAL;
    n = strnlen(text, 32);
    if (n < 10 || !digits(text, 4, &y) || text[4] != '-' || !digits(text + 5, 2, &mo) ||
        text[7] != '-' || !digits(text + 8, 2, &d))
        return PW_EINVAL;
    if (n == 10) {
        /* date only */
    } else if ((n == 20 || n == 24) && text[10] == 'T' && digits(text + 11, 2, &h) &&
               text[13] == ':' && digits(text + 14, 2, &mi) && text[16] == ':' &&
               digits(text + 17, 2, &s) && text[n - 1] == 'Z') {
        if (n == 24 && (text[19] != '.' || !digits(text + 20, 3, &ms)))
            return PW_EINVAL;
    } else {
        return PW_EINVAL;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
        return PW_EINVAL;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    t = timegm(&tm);
    if (t < 0 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
        return PW_EINVAL;
    *out = (uint64_t)t * 1000u + (uint64_t)ms;
    return PW_OK;
}

/* ---------------------------------------------------------------- serialisation */

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    int overflow;
} out_t;

static void put_raw(out_t *o, const char *s, size_t n)
{
    if (o->overflow || o->cap - o->len < n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_lit(out_t *o, const char *s)
{
    put_raw(o, s, strlen(s));
}

/* A JSON string: '"' and '\' escaped, control characters as \n \r \t or \u00XX. */
static void put_str(out_t *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put_raw(o, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put_raw(o, esc, 2);
        } else if (c == '\n') {
            put_raw(o, "\\n", 2);
        } else if (c == '\r') {
            put_raw(o, "\\r", 2);
        } else if (c == '\t') {
            put_raw(o, "\\t", 2);
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            put_raw(o, esc, 6);
        } else {
            put_raw(o, (const char *)&c, 1);
        }
    }
    put_raw(o, "\"", 1);
}

static void put_u64(out_t *o, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, v);
    put_raw(o, num, (size_t)n);
}

static void member_str(out_t *o, const char *key, const char *val)
{
    put_lit(o, ",\"");
    put_lit(o, key);
    put_lit(o, "\":");
    put_str(o, val);
}

static void member_u64(out_t *o, const char *key, uint64_t val)
{
    put_lit(o, ",\"");
    put_lit(o, key);
    put_lit(o, "\":");
    put_u64(o, val);
}

/* Hash what is in o so far, then append ,"hash":"..."}\n. */
static pw_status_t finish_line(out_t *o, size_t *len_out, char hash_out[PW_CDR_HASH_HEX])
{
    pw_status_t st;
    if (o->overflow)
        return PW_ERANGE;
    st = sha256_hex(o->buf, o->len, hash_out);
    if (st != PW_OK)
        return st;
    member_str(o, "hash", hash_out);
    put_lit(o, "}\n");
    if (o->overflow || o->len > PW_CDR_LINE_MAX + 1)
        return PW_ERANGE;
    *len_out = o->len;
    return PW_OK;
}

pw_status_t pw_cdr_format_record(const pw_cdr_record_t *rec, const char *prev_hex, char *buf,
                                 size_t cap, size_t *len_out, char hash_out[PW_CDR_HASH_HEX])
{
    out_t o = { buf, cap, 0, 0 };
    char when[PW_CDR_TIME_TEXT];
    pw_status_t st;
    if (!rec || !prev_hex || !buf || !len_out || !hash_out)
        return PW_EINVAL;
    st = pw_cdr_record_check(rec);
    if (st != PW_OK)
        return st;
    if (rec->seq == 0 || !pw_cdr_node_valid(rec->node) || !hash_hex_valid(prev_hex, strlen(prev_hex)))
        return PW_EINVAL;
    pw_cdr_time_format(rec->time_ms, when);
    put_lit(&o, "{\"rec\":\"cdr\"");
    member_u64(&o, "seq", rec->seq);
    member_str(&o, "time", when);
    member_str(&o, "node", rec->node);
    member_str(&o, "kind", pw_cdr_kind_name(rec->kind));
    member_str(&o, "outcome", rec->outcome);
    member_str(&o, "enquiry_ref", rec->enquiry_ref);
    member_str(&o, "peer", rec->peer);
    member_str(&o, "charged_network", rec->charged_network);
    member_str(&o, "serving_network", rec->serving_network);
    member_str(&o, "watcher_msisdn", rec->watcher_msisdn);
    member_str(&o, "watcher_jid", rec->watcher_jid);
    member_str(&o, "presentity_msisdn", rec->presentity_msisdn);
    member_str(&o, "presentity_jid", rec->presentity_jid);
    member_str(&o, "subscription_id", rec->subscription_id);
    member_u64(&o, "duration", rec->duration_s);
    member_u64(&o, "notifications", rec->notifications);
    member_str(&o, "prev", prev_hex);
    return finish_line(&o, len_out, hash_out);
}

pw_status_t pw_cdr_format_header(const pw_cdr_header_t *hdr, char *buf, size_t cap,
                                 size_t *len_out, char hash_out[PW_CDR_HASH_HEX])
{
    out_t o = { buf, cap, 0, 0 };
    char when[PW_CDR_TIME_TEXT];
    if (!hdr || !buf || !len_out || !hash_out || !pw_cdr_node_valid(hdr->node) ||
        hdr->first_seq == 0 || !hash_hex_valid(hdr->prev, strnlen(hdr->prev, PW_CDR_HASH_HEX)))
        return PW_EINVAL;
    pw_cdr_time_format(hdr->created_ms, when);
    put_lit(&o, "{\"rec\":\"header\",\"format\":\"peerwatch-cdr\"");
    member_u64(&o, "version", hdr->version);
    member_str(&o, "node", hdr->node);
    member_u64(&o, "first_seq", hdr->first_seq);
    member_str(&o, "created", when);
    member_str(&o, "prev", hdr->prev);
    return finish_line(&o, len_out, hash_out);
}

/* ---------------------------------------------------------------- parsing */

typedef struct {
    const char *key;  /* points into the line (keys are plain, unescaped) */
    size_t keylen;
    int is_num;
    uint64_t num;
    char *str;        /* decoded, NUL-terminated, in the scratch buffer */
    size_t strlen;
} member_t;

typedef struct {
    const char *p;
    const char *end;
    char *scratch;
    size_t scratch_len;
    size_t scratch_cap;
} parser_t;

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

static int read_u16(parser_t *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->end - ps->p < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        int h = pw_text_hexval(ps->p[i]);
        if (h < 0)
            return 0;
        v = (v << 4) | (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return 1;
}

static int scratch_put(parser_t *ps, const char *s, size_t n)
{
    if (ps->scratch_cap - ps->scratch_len < n)
        return 0;
    memcpy(ps->scratch + ps->scratch_len, s, n);
    ps->scratch_len += n;
    return 1;
}

/* Decode a JSON string at ps->p (opening quote) into the scratch buffer; 1 on success. */
static int parse_string(parser_t *ps, char **out, size_t *outlen)
{
    size_t start;
    if (ps->p >= ps->end || *ps->p != '"')
        return 0;
    ps->p++;
    start = ps->scratch_len;
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            if (!scratch_put(ps, ps->p, 1))
                return 0;
            ps->p++;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end)
            return 0;
        char e = *ps->p++;
        char lit;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            unsigned u, lo;
            char enc[4];
            size_t n;
            if (!read_u16(ps, &u))
                return 0;
            if (u >= 0xd800 && u <= 0xdbff) {
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
                    return 0;
                ps->p += 2;
                if (!read_u16(ps, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return 0;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            } else if (u >= 0xdc00 && u <= 0xdfff) {
                return 0;
            }
            if (u == 0)
                return 0; /* NUL cannot live in a C string field */
            if (u < 0x80) {
                enc[0] = (char)u;
                n = 1;
            } else if (u < 0x800) {
                enc[0] = (char)(0xc0 | (u >> 6));
                enc[1] = (char)(0x80 | (u & 0x3f));
                n = 2;
            } else if (u < 0x10000) {
                enc[0] = (char)(0xe0 | (u >> 12));
                enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
                enc[2] = (char)(0x80 | (u & 0x3f));
                n = 3;
            } else {
                enc[0] = (char)(0xf0 | (u >> 18));
                enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
                enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
                enc[3] = (char)(0x80 | (u & 0x3f));
                n = 4;
            }
            if (!scratch_put(ps, enc, n))
                return 0;
            continue;
        }
        default:
            return 0;
        }
        if (!scratch_put(ps, &lit, 1))
            return 0;
    }
    if (ps->p >= ps->end)
        return 0;
    ps->p++; /* closing quote */
    *outlen = ps->scratch_len - start;
    if (!scratch_put(ps, "", 1))
        return 0;
    *out = ps->scratch + start;
    return utf8_valid((const unsigned char *)*out, *outlen);
}

static int parse_u64(parser_t *ps, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        unsigned d = (unsigned)(*ps->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
        ps->p++;
    }
    if (ps->p == start || (ps->p - start > 1 && *start == '0'))
        return 0;
    *out = v;
    return 1;
}

/*
 * Parse a flat JSON object of string and unsigned-integer members. *hash_cut receives the
 * offset of the ',' before the last member, which must be "hash".
 */
static int parse_object(parser_t *ps, const char *line, member_t *m, size_t *count, size_t *hash_cut)
{
    size_t n = 0;
    size_t last_comma = 0;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '{')
        return 0;
    ps->p++;
    for (;;) {
        skip_ws(ps);
        if (n == MEMBERS_MAX || ps->p >= ps->end || *ps->p != '"')
            return 0;
        ps->p++;
        m[n].key = ps->p;
        while (ps->p < ps->end && ((*ps->p >= 'a' && *ps->p <= 'z') || *ps->p == '_'))
            ps->p++;
        m[n].keylen = (size_t)(ps->p - m[n].key);
        if (m[n].keylen == 0 || ps->p >= ps->end || *ps->p != '"')
            return 0;
        ps->p++;
        for (size_t k = 0; k < n; k++) {
            if (m[k].keylen == m[n].keylen && memcmp(m[k].key, m[n].key, m[n].keylen) == 0)
                return 0; /* duplicate member */
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            return 0;
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '"') {
            m[n].is_num = 0;
            if (!parse_string(ps, &m[n].str, &m[n].strlen))
                return 0;
        } else {
            m[n].is_num = 1;
            if (!parse_u64(ps, &m[n].num))
                return 0;
        }
        n++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            last_comma = (size_t)(ps->p - line);
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            break;
        }
        return 0;
    }
    skip_ws(ps);
    if (ps->p != ps->end || n < 2)
        return 0;
    if (m[n - 1].keylen != 4 || memcmp(m[n - 1].key, "hash", 4) != 0)
        return 0;
    *count = n;
    *hash_cut = last_comma;
    return 1;
}

static const member_t *find(const member_t *m, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (m[i].keylen == kl && memcmp(m[i].key, key, kl) == 0)
            return &m[i];
    }
    return NULL;
}

/* Copy string member key into dst[cap]; 1 on success. */
static int get_str(const member_t *m, size_t n, const char *key, char *dst, size_t cap)
{
    const member_t *x = find(m, n, key);
    if (!x || x->is_num || x->strlen >= cap)
        return 0;
    memcpy(dst, x->str, x->strlen + 1);
    return 1;
}

static int get_u64(const member_t *m, size_t n, const char *key, uint64_t *dst)
{
    const member_t *x = find(m, n, key);
    if (!x || !x->is_num)
        return 0;
    *dst = x->num;
    return 1;
}

static int get_time(const member_t *m, size_t n, const char *key, uint64_t *dst)
{
    const member_t *x = find(m, n, key);
    if (!x || x->is_num || x->strlen != PW_CDR_TIME_TEXT - 1)
        return 0;
    return pw_cdr_time_parse(x->str, dst) == PW_OK;
}

static int get_hash(const member_t *m, size_t n, const char *key, char dst[PW_CDR_HASH_HEX])
{
    const member_t *x = find(m, n, key);
    if (!x || x->is_num || !hash_hex_valid(x->str, x->strlen))
        return 0;
    memcpy(dst, x->str, PW_CDR_HASH_HEX);
    return 1;
}

static int parse_record(const member_t *m, size_t n, pw_cdr_record_t *r)
{
    char kind[16];
    memset(r, 0, sizeof *r);
    if (!get_u64(m, n, "seq", &r->seq) || r->seq == 0 || !get_time(m, n, "time", &r->time_ms) ||
        !get_str(m, n, "node", r->node, sizeof r->node) || !pw_cdr_node_valid(r->node) ||
        !get_str(m, n, "kind", kind, sizeof kind) || pw_cdr_kind_parse(kind, &r->kind) != PW_OK ||
        !get_str(m, n, "outcome", r->outcome, sizeof r->outcome) ||
        !get_str(m, n, "enquiry_ref", r->enquiry_ref, sizeof r->enquiry_ref) ||
        !get_str(m, n, "peer", r->peer, sizeof r->peer) ||
        !get_str(m, n, "charged_network", r->charged_network, sizeof r->charged_network) ||
        !get_str(m, n, "serving_network", r->serving_network, sizeof r->serving_network) ||
        !get_str(m, n, "watcher_msisdn", r->watcher_msisdn, sizeof r->watcher_msisdn) ||
        !get_str(m, n, "watcher_jid", r->watcher_jid, sizeof r->watcher_jid) ||
        !get_str(m, n, "presentity_msisdn", r->presentity_msisdn, sizeof r->presentity_msisdn) ||
        !get_str(m, n, "presentity_jid", r->presentity_jid, sizeof r->presentity_jid) ||
        !get_str(m, n, "subscription_id", r->subscription_id, sizeof r->subscription_id) ||
        !get_u64(m, n, "duration", &r->duration_s) ||
        !get_u64(m, n, "notifications", &r->notifications) || !get_hash(m, n, "prev", r->prev) ||
        !get_hash(m, n, "hash", r->hash))
        return 0;
    return pw_cdr_record_check(r) == PW_OK;
}

static int parse_header(const member_t *m, size_t n, pw_cdr_header_t *h)
{
    char format[32];
    uint64_t version;
    memset(h, 0, sizeof *h);
    if (!get_str(m, n, "format", format, sizeof format) || strcmp(format, "peerwatch-cdr") != 0 ||
        !get_u64(m, n, "version", &version) || version == 0 || version > PW_CDR_FORMAT_VERSION ||
        !get_str(m, n, "node", h->node, sizeof h->node) || !pw_cdr_node_valid(h->node) ||
        !get_u64(m, n, "first_seq", &h->first_seq) || h->first_seq == 0 ||
        !get_time(m, n, "created", &h->created_ms) || !get_hash(m, n, "prev", h->prev) ||
        !get_hash(m, n, "hash", h->hash))
        return 0;
    h->version = (unsigned)version;
    return 1;
}

pw_status_t pw_cdr_line_parse(const char *data, size_t len, pw_cdr_line_t *out)
{
    member_t m[MEMBERS_MAX];
    size_t n = 0, cut = 0;
    char rec[16];
    char computed[PW_CDR_HASH_HEX];
    const char *want;
    char *scratch = NULL;
    pw_status_t st = PW_EINVAL;
    parser_t ps;
    if (!data || !out || len == 0 || len > PW_CDR_LINE_MAX)
        goto done;
    scratch = malloc(len + 1);
    if (!scratch) {
        st = PW_ENOMEM;
        goto done;
    }
    ps = (parser_t){ data, data + len, scratch, 0, len + 1 };
    if (!parse_object(&ps, data, m, &n, &cut))
        goto done;
    if (!get_str(m, n, "rec", rec, sizeof rec))
        goto done;
    if (strcmp(rec, "cdr") == 0) {
        out->type = PW_CDR_LINE_RECORD;
        if (!parse_record(m, n, &out->record))
            goto done;
        want = out->record.hash;
    } else if (strcmp(rec, "header") == 0) {
        out->type = PW_CDR_LINE_HEADER;
        if (!parse_header(m, n, &out->header))
            goto done;
        want = out->header.hash;
    } else {
        goto done;
    }
    st = sha256_hex(data, cut, computed);
    if (st != PW_OK)
        goto done;
    st = strcmp(computed, want) == 0 ? PW_OK : PW_ECORRUPT;
done:
    free(scratch);
    return st;
}

/* ---------------------------------------------------------------- file names */

static const char open_suffix[] = ".jsonl.open";
static const char closed_suffix[] = ".jsonl";
#define SEQ_DIGITS 20
#define STAMP_LEN 19 /* YYYYMMDDTHHMMSSmmmZ */

static int parse_seq(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < SEQ_DIGITS; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return v > 0;
}

static int parse_stamp(const char *s, uint64_t *out)
{
    char iso[PW_CDR_TIME_TEXT];
    if (s[8] != 'T' || s[18] != 'Z')
        return 0;
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s.%.3sZ", s, s + 4, s + 6, s + 9,
             s + 11, s + 13, s + 15);
    return pw_cdr_time_parse(iso, out) == PW_OK;
}

pw_status_t pw_cdr_name_parse(const char *name, pw_cdr_name_t *out)
{
    size_t n, nodelen;
    const char *tail;
    if (!name || !out)
        return PW_EINVAL;
    memset(out, 0, sizeof *out);
    n = strnlen(name, 1024);
    if (n < 4 || memcmp(name, "cdr-", 4) != 0)
        return PW_EINVAL;
    if (n > sizeof open_suffix - 1 && strcmp(name + n - (sizeof open_suffix - 1), open_suffix) == 0) {
        size_t body = n - (sizeof open_suffix - 1);
        if (body < 4 + 1 + 1 + SEQ_DIGITS)
            return PW_EINVAL;
        tail = name + body - SEQ_DIGITS;
        if (tail[-1] != '-' || !parse_seq(tail, &out->first_seq))
            return PW_EINVAL;
        nodelen = body - SEQ_DIGITS - 1 - 4;
        out->open = 1;
    } else if (n > sizeof closed_suffix - 1 &&
               strcmp(name + n - (sizeof closed_suffix - 1), closed_suffix) == 0) {
        size_t body = n - (sizeof closed_suffix - 1);
        size_t fixed = 3 * 1 + 2 * SEQ_DIGITS + STAMP_LEN;
        if (body < 4 + 1 + fixed)
            return PW_EINVAL;
        tail = name + body - fixed;
        if (tail[0] != '-' || !parse_seq(tail + 1, &out->first_seq) || tail[1 + SEQ_DIGITS] != '-' ||
            !parse_seq(tail + 2 + SEQ_DIGITS, &out->last_seq) || tail[2 + 2 * SEQ_DIGITS] != '-' ||
            !parse_stamp(tail + 3 + 2 * SEQ_DIGITS, &out->close_ms) || out->last_seq < out->first_seq)
            return PW_EINVAL;
        nodelen = body - fixed - 4;
        out->open = 0;
    } else {
        return PW_EINVAL;
    }
    if (nodelen == 0 || nodelen >= sizeof out->node)
        return PW_EINVAL;
    memcpy(out->node, name + 4, nodelen);
    out->node[nodelen] = '\0';
    return pw_cdr_node_valid(out->node) ? PW_OK : PW_EINVAL;
}

pw_status_t pw_cdr_name_format(const pw_cdr_name_t *n, char *buf, size_t cap)
{
    int len;
    if (!n || !buf || !pw_cdr_node_valid(n->node) || n->first_seq == 0)
        return PW_EINVAL;
    if (n->open) {
        len = snprintf(buf, cap, "cdr-%s-%020" PRIu64 "%s", n->node, n->first_seq, open_suffix);
    } else {
        char iso[PW_CDR_TIME_TEXT];
        if (n->last_seq < n->first_seq)
            return PW_EINVAL;
        pw_cdr_time_format(n->close_ms, iso);
        len = snprintf(buf, cap, "cdr-%s-%020" PRIu64 "-%020" PRIu64 "-%.4s%.2s%.2sT%.2s%.2s%.2s%.3sZ%s",
                       n->node, n->first_seq, n->last_seq, iso, iso + 5, iso + 8, iso + 11,
                       iso + 14, iso + 17, iso + 20, closed_suffix);
    }
    if (len < 0 || (size_t)len >= cap)
        return PW_ERANGE;
    return PW_OK;
}

const char *pw_cdr_zero_hash(void)
{
    return zero_hash;
}
