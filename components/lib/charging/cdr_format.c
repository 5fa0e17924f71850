/* cdr_format.c: the charge-record line format (docs/charging.md): canonical lines, parsing with jansson, SHA-256 chain, names. */
#include "charging/pw_cdr.h"
#include "core/pw_clock.h"
#include "core/pw_text.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <string.h>

/* Most members of one line (a record has 19). */
#define MEMBERS_MAX 32

/* Largest number a line may hold: jansson's json_int_t is signed 64-bit. */
#define NUMBER_MAX ((uint64_t)INT64_MAX)

static const char *const kind_names[PW_CDR_KIND_COUNT] = {
    [PW_CDR_KIND_CURRENT] = "current", [PW_CDR_KIND_CHANGES] = "changes",
    [PW_CDR_KIND_NEXT] = "next",       [PW_CDR_KIND_STOP] = "stop",
    [PW_CDR_KIND_END] = "end",
};

static const char zero_hash[PW_CDR_HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* When a text member must not be empty. */
enum { MAY_BE_EMPTY, NOT_EMPTY, NOT_EMPTY_UNLESS_END };

/* The text members a caller sets, in the order of the line (docs/charging.md §2.1). */
static const struct text_member {
    const char *key;
    size_t off;
    size_t cap;
    int required;
} text_members[] = {
#define TEXT(name, req) { #name, offsetof(pw_cdr_record_t, name), sizeof ((pw_cdr_record_t *)0)->name, req }
    TEXT(outcome, NOT_EMPTY),
    TEXT(enquiry_ref, NOT_EMPTY_UNLESS_END),
    TEXT(peer, MAY_BE_EMPTY),
    TEXT(charged_network, NOT_EMPTY),
    TEXT(serving_network, MAY_BE_EMPTY),
    TEXT(watcher_msisdn, MAY_BE_EMPTY),
    TEXT(watcher_jid, MAY_BE_EMPTY),
    TEXT(presentity_msisdn, MAY_BE_EMPTY),
    TEXT(presentity_jid, MAY_BE_EMPTY),
    TEXT(subscription_id, MAY_BE_EMPTY),
#undef TEXT
};
#define TEXT_MEMBERS (sizeof text_members / sizeof text_members[0])

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

/*
 * PW_OK if field is NUL-terminated within cap and UTF-8; required: non-empty too. jansson
 * judges UTF-8 as its parser does (no overlongs, surrogates or code points past U+10FFFF);
 * when it cannot allocate, the field reads as invalid and only this record is refused.
 */
static pw_status_t check_text(const char *field, size_t cap, int required)
{
    const char *nul = memchr(field, '\0', cap);
    json_t *probe;
    if (!nul)
        return PW_ERANGE;
    if (required && nul == field)
        return PW_EINVAL;
    probe = json_stringn(field, (size_t)(nul - field));
    if (!probe)
        return PW_EINVAL;
    json_decref(probe);
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
    for (size_t i = 0; i < TEXT_MEMBERS; i++) {
        const struct text_member *m = &text_members[i];
        int required = m->required == NOT_EMPTY ||
                       (m->required == NOT_EMPTY_UNLESS_END && rec->kind != PW_CDR_KIND_END);
        st = check_text((const char *)rec + m->off, m->cap, required);
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
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return PW_ECRYPTO;
    pw_text_hex(md, 32, out);
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

pw_status_t pw_cdr_time_parse(const char *text, uint64_t *out)
{
    char full[PW_CDR_TIME_TEXT];
    size_t n;
    if (!text || !out)
        return PW_EINVAL;
    /* the three forms of docs/charging.md §5, read by pw_clock_parse(); second 60 (its leap
     * second) is refused, as it always was here */
    n = strnlen(text, PW_CDR_TIME_TEXT);
    if (n == 10) {
        snprintf(full, sizeof full, "%.10sT00:00:00Z", text);
        text = full;
    } else if (!((n == 20 || (n == 24 && text[19] == '.')) && text[n - 1] == 'Z' && text[17] != '6')) {
        return PW_EINVAL;
    }
    return pw_clock_parse(text, out);
}

/* ---------------------------------------------------------------- serialisation */

/*
 * Lines are written here, not with json_dumps(): the hash chain covers the exact bytes, and
 * format version 1 fixes them (docs/charging.md §2.1): members in order, no whitespace, and
 * strings escaped with \" \\ \n \r \t and lowercase \u00xx for the other control characters.
 * jansson's dump (2.14, any flags) writes U+0008 and U+000C as \b and \f and the others as
 * uppercase \u00XX, so a record holding one of them would get other bytes than format 1 says
 * (test_cdr_v1 holds such records). Parsing, where strictness matters, is jansson's.
 */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    int overflow;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->overflow || o->cap - o->len < n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_key(out_t *o, const char *key)
{
    put(o, ",\"", 2);
    put(o, key, strlen(key));
    put(o, "\":", 2);
}

/* ,"key":"value" with the escapes of format 1 */
static void member_str(out_t *o, const char *key, const char *val)
{
    put_key(o, key);
    put(o, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)val; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\')
            put(o, (char[]){ '\\', (char)*c }, 2);
        else if (*c == '\n')
            put(o, "\\n", 2);
        else if (*c == '\r')
            put(o, "\\r", 2);
        else if (*c == '\t')
            put(o, "\\t", 2);
        else if (*c < 0x20)
            put(o, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", *c));
        else
            put(o, (const char *)c, 1);
    }
    put(o, "\"", 1);
}

static void member_u64(out_t *o, const char *key, uint64_t val)
{
    char num[24];
    put_key(o, key);
    put(o, num, (size_t)snprintf(num, sizeof num, "%" PRIu64, val));
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
    put(o, "}\n", 2);
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
    if (rec->seq > NUMBER_MAX || rec->duration_s > NUMBER_MAX || rec->notifications > NUMBER_MAX)
        return PW_ERANGE; /* could be written, but not read back */
    pw_cdr_time_format(rec->time_ms, when);
    put(&o, "{\"rec\":\"cdr\"", 12);
    member_u64(&o, "seq", rec->seq);
    member_str(&o, "time", when);
    member_str(&o, "node", rec->node);
    member_str(&o, "kind", pw_cdr_kind_name(rec->kind));
    for (size_t i = 0; i < TEXT_MEMBERS; i++)
        member_str(&o, text_members[i].key, (const char *)rec + text_members[i].off);
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
    if (hdr->first_seq > NUMBER_MAX)
        return PW_ERANGE;
    pw_cdr_time_format(hdr->created_ms, when);
    put(&o, "{\"rec\":\"header\",\"format\":\"peerwatch-cdr\"", 40);
    member_u64(&o, "version", hdr->version);
    member_str(&o, "node", hdr->node);
    member_u64(&o, "first_seq", hdr->first_seq);
    member_str(&o, "created", when);
    member_str(&o, "prev", hdr->prev);
    return finish_line(&o, len_out, hash_out);
}

/* ---------------------------------------------------------------- parsing */

/*
 * What jansson does not report, read from the line's bytes: the offset of the ',' before the
 * last member, where the hashed bytes end (docs/charging.md §2.3); that member must be a plain
 * "hash". Also refused here, as format 1 always did although JSON allows them: a '\n' or NUL
 * byte, a '-' (jansson reads -0 as 0) and escapes in member names. Only called on a line
 * jansson read as one flat object, so every '"' met outside a string opens one.
 */
static int hash_cut(const char *s, size_t n, size_t *cut)
{
    int in_string = 0, in_key = 0;
    char last = 0; /* the last byte outside strings that is not whitespace */
    size_t comma = 0, k;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' || c == '\0')
            return 0;
        if (in_string) {
            if (c == '\\' && in_key)
                return 0;
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '-')
            return 0;
        if (c == ',')
            comma = i;
        if (c == '"') {
            in_string = 1;
            in_key = last == '{' || last == ',';
        }
        if (c != ' ' && c != '\t' && c != '\r')
            last = c;
    }
    for (k = comma + 1; k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'); k++)
        ;
    if (comma == 0 || n - k < 6 || memcmp(s + k, "\"hash\"", 6) != 0)
        return 0;
    *cut = comma;
    return 1;
}

/* 1 if every member has a name of [a-z_] and a string or non-negative integer value. */
static int members_flat(json_t *obj)
{
    const char *key;
    json_t *val;
    if (json_object_size(obj) > MEMBERS_MAX)
        return 0;
    json_object_foreach(obj, key, val) {
        if (!key[0] || strspn(key, "abcdefghijklmnopqrstuvwxyz_") != strlen(key))
            return 0;
        if (!json_is_string(val) && !(json_is_integer(val) && json_integer_value(val) >= 0))
            return 0;
    }
    return 1;
}

/* Copy string member key into dst[cap]; 1 on success. */
static int get_str(json_t *obj, const char *key, char *dst, size_t cap)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return 0;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 1;
}

static int get_u64(json_t *obj, const char *key, uint64_t *dst)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return 0;
    *dst = (uint64_t)json_integer_value(v);
    return 1;
}

static int get_time(json_t *obj, const char *key, uint64_t *dst)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) != PW_CDR_TIME_TEXT - 1)
        return 0;
    return pw_cdr_time_parse(json_string_value(v), dst) == PW_OK;
}

static int get_hash(json_t *obj, const char *key, char dst[PW_CDR_HASH_HEX])
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || !hash_hex_valid(json_string_value(v), json_string_length(v)))
        return 0;
    memcpy(dst, json_string_value(v), PW_CDR_HASH_HEX);
    return 1;
}

static int parse_record(json_t *obj, pw_cdr_record_t *r)
{
    char kind[16];
    memset(r, 0, sizeof *r);
    if (!get_u64(obj, "seq", &r->seq) || r->seq == 0 || !get_time(obj, "time", &r->time_ms) ||
        !get_str(obj, "node", r->node, sizeof r->node) || !pw_cdr_node_valid(r->node) ||
        !get_str(obj, "kind", kind, sizeof kind) || pw_cdr_kind_parse(kind, &r->kind) != PW_OK ||
        !get_u64(obj, "duration", &r->duration_s) ||
        !get_u64(obj, "notifications", &r->notifications) || !get_hash(obj, "prev", r->prev) ||
        !get_hash(obj, "hash", r->hash))
        return 0;
    for (size_t i = 0; i < TEXT_MEMBERS; i++) {
        const struct text_member *m = &text_members[i];
        if (!get_str(obj, m->key, (char *)r + m->off, m->cap))
            return 0;
    }
    return pw_cdr_record_check(r) == PW_OK;
}

static int parse_header(json_t *obj, pw_cdr_header_t *h)
{
    char format[32];
    uint64_t version;
    memset(h, 0, sizeof *h);
    if (!get_str(obj, "format", format, sizeof format) || strcmp(format, "peerwatch-cdr") != 0 ||
        !get_u64(obj, "version", &version) || version == 0 || version > PW_CDR_FORMAT_VERSION ||
        !get_str(obj, "node", h->node, sizeof h->node) || !pw_cdr_node_valid(h->node) ||
        !get_u64(obj, "first_seq", &h->first_seq) || h->first_seq == 0 ||
        !get_time(obj, "created", &h->created_ms) || !get_hash(obj, "prev", h->prev) ||
        !get_hash(obj, "hash", h->hash))
        return 0;
    h->version = (unsigned)version;
    return 1;
}

pw_status_t pw_cdr_line_parse(const char *data, size_t len, pw_cdr_line_t *out)
{
    json_t *obj = NULL;
    json_error_t err;
    size_t cut = 0;
    char rec[16];
    char computed[PW_CDR_HASH_HEX];
    const char *want;
    pw_status_t st = PW_EINVAL;
    if (!data || !out || len == 0 || len > PW_CDR_LINE_MAX)
        goto done;
    /* duplicate members refused; \u0000, invalid UTF-8 and trailing bytes are by default */
    obj = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!obj) {
        st = json_error_code(&err) == json_error_out_of_memory ? PW_ENOMEM : PW_EINVAL;
        goto done;
    }
    if (!json_is_object(obj) || !members_flat(obj) || !hash_cut(data, len, &cut) ||
        !get_str(obj, "rec", rec, sizeof rec))
        goto done;
    if (strcmp(rec, "cdr") == 0) {
        out->type = PW_CDR_LINE_RECORD;
        if (!parse_record(obj, &out->record))
            goto done;
        want = out->record.hash;
    } else if (strcmp(rec, "header") == 0) {
        out->type = PW_CDR_LINE_HEADER;
        if (!parse_header(obj, &out->header))
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
    json_decref(obj);
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
