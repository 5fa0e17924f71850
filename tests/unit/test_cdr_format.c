/* test_cdr_format.c: unit tests of the charge-record line format: fields, escaping, hashes, parsing, times, names. */
#include <openssl/evp.h>

#include "test_cdr_util.h"

#define BUF (PW_CDR_LINE_MAX + 1)

static const char *prev64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/* The running test's sample record, its line once formatted (format()), and a line to parse into. */
typedef struct {
    pw_cdr_record_t r;
    char *buf; /* BUF bytes */
    size_t len;
    char hash[PW_CDR_HASH_HEX];
    pw_cdr_line_t l;
} fixture_t;

static fixture_t *fx;

static void setup(void)
{
    fx = calloc(1, sizeof *fx);
    cr_assert_not_null(fx);
    fx->buf = malloc(BUF);
    cr_assert_not_null(fx->buf);
    tc_record_fill(&fx->r, "watcher.opa.example/0b9d2c3e-1111-4222-8333-944445555666");
    fx->r.seq = 42;
    fx->r.time_ms = 1700000000123ull;
    strcpy(fx->r.node, "ps1.opb.example");
    fx->r.kind = PW_CDR_KIND_CHANGES;
    strcpy(fx->r.watcher_jid, "alice@opa.example/phone");
    strcpy(fx->r.subscription_id, "sub-7");
    fx->r.duration_s = 7200;
    fx->r.notifications = 3;
}

static void teardown(void)
{
    free(fx->buf);
    free(fx);
    fx = NULL;
}

TestSuite(cdr_format, .init = setup, .fini = teardown);

/* Format the sample record after prev64 into fx->buf (fx->len bytes, fx->hash); returns the status. */
static pw_status_t format(void)
{
    return pw_cdr_format_record(&fx->r, prev64, fx->buf, BUF, &fx->len, fx->hash);
}

/* Format the sample record, which must succeed, and end fx->buf before its '\n'. */
static void format_as_text(void)
{
    cr_assert_eq(format(), PW_OK);
    fx->buf[fx->len - 1] = '\0';
}

/* Parse text (its strlen) into fx->l; returns the status. */
static pw_status_t parse(const char *text)
{
    return pw_cdr_line_parse(text, strlen(text), &fx->l);
}

Test(cdr_format, kind_names_round_trip)
{
    pw_cdr_kind_t k;
    for (int i = 0; i < PW_CDR_KIND_COUNT; i++) {
        cr_assert_eq(pw_cdr_kind_parse(pw_cdr_kind_name((pw_cdr_kind_t)i), &k), PW_OK);
        cr_assert_eq(k, (pw_cdr_kind_t)i);
    }
    cr_assert_str_eq(pw_cdr_kind_name(PW_CDR_KIND_END), "end");
    cr_assert_str_eq(pw_cdr_kind_name((pw_cdr_kind_t)99), "unknown");
    cr_assert_eq(pw_cdr_kind_parse("later", &k), PW_EINVAL);
}

/* The SHA-256 of len bytes at data, in hex. */
static void sha256_hex(const char *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen;
    cr_assert_eq(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
}

Test(cdr_format, record_round_trips_with_every_field)
{
    const pw_cdr_record_t *r = &fx->r, *p = &fx->l.record;
    cr_assert_eq(format(), PW_OK);
    cr_assert_eq(fx->buf[fx->len - 1], '\n');
    cr_assert_null(memchr(fx->buf, '\n', fx->len - 1), "one record is one line");
    cr_assert_eq(pw_cdr_line_parse(fx->buf, fx->len - 1, &fx->l), PW_OK);
    cr_assert_eq(fx->l.type, PW_CDR_LINE_RECORD);
    cr_assert_eq(p->seq, 42);
    cr_assert_eq(p->time_ms, 1700000000123ull);
    cr_assert_str_eq(p->node, r->node);
    cr_assert_eq(p->kind, PW_CDR_KIND_CHANGES);
    cr_assert_str_eq(p->outcome, "ok");
    cr_assert_str_eq(p->enquiry_ref, r->enquiry_ref);
    cr_assert_str_eq(p->peer, r->peer);
    cr_assert_str_eq(p->charged_network, "opa.example");
    cr_assert_str_eq(p->serving_network, "opb.example");
    cr_assert_str_eq(p->watcher_msisdn, "+447700900001");
    cr_assert_str_eq(p->watcher_jid, r->watcher_jid);
    cr_assert_str_eq(p->presentity_msisdn, "+12025550123");
    cr_assert_str_eq(p->presentity_jid, "");
    cr_assert_str_eq(p->subscription_id, "sub-7");
    cr_assert_eq(p->duration_s, 7200);
    cr_assert_eq(p->notifications, 3);
    cr_assert_str_eq(p->prev, prev64);
    cr_assert_str_eq(p->hash, fx->hash);
    cr_assert_not_null(strstr(fx->buf, "\"time\":\"2023-11-14T22:13:20.123Z\""));
}

Test(cdr_format, hash_covers_the_bytes_before_the_hash_member)
{
    char hex[65];
    cr_assert_eq(format(), PW_OK);
    char *cut = strstr(fx->buf, ",\"hash\":\"");
    cr_assert_not_null(cut);
    sha256_hex(fx->buf, (size_t)(cut - fx->buf), hex);
    cr_assert_str_eq(hex, fx->hash);
    cr_assert_eq(strncmp(cut + 9, fx->hash, 64), 0);
    cr_assert_eq(strncmp(cut + 9 + 64, "\"}\n", 3), 0);
}

Test(cdr_format, hostile_text_is_escaped_and_survives)
{
    const char *jid = "a,\"b\"\\c\nd\re\tf\x01g caf\xc3\xa9 \xf0\x9f\x98\x80@x.example/r,1";
    strcpy(fx->r.watcher_jid, jid);
    strcpy(fx->r.enquiry_ref, "opa.example/\"quoted\",ref");
    cr_assert_eq(format(), PW_OK);
    cr_assert_null(memchr(fx->buf, '\n', fx->len - 1));
    cr_assert_null(memchr(fx->buf, '\r', fx->len - 1));
    cr_assert_null(memchr(fx->buf, '\x01', fx->len - 1));
    cr_assert_not_null(strstr(fx->buf, "\\u0001"));
    cr_assert_eq(pw_cdr_line_parse(fx->buf, fx->len - 1, &fx->l), PW_OK);
    cr_assert_str_eq(fx->l.record.watcher_jid, jid);
    cr_assert_str_eq(fx->l.record.enquiry_ref, fx->r.enquiry_ref);
}

Test(cdr_format, standard_json_escapes_are_read)
{
    char line[4096];
    strcpy(fx->r.watcher_jid, "PLACEHOLDER");
    format_as_text();
    /* \u00e9 and a surrogate pair, written by another JSON tool; the hash no longer matches */
    char *at = strstr(fx->buf, "PLACEHOLDER");
    snprintf(line, sizeof line, "%.*s\\u00e9\\ud83d\\ude00\\/%s", (int)(at - fx->buf), fx->buf, at + 11);
    cr_assert_eq(parse(line), PW_ECORRUPT);
    cr_assert_str_eq(fx->l.record.watcher_jid, "\xc3\xa9\xf0\x9f\x98\x80/");
}

Test(cdr_format, bad_records_are_refused)
{
    pw_cdr_record_t *r = &fx->r;
    cr_assert_eq(pw_cdr_record_check(r), PW_OK);
    strcpy(r->watcher_jid, "bad\xc3(utf8");
    cr_assert_eq(pw_cdr_record_check(r), PW_EINVAL);
    strcpy(r->watcher_jid, "x");
    memset(r->subscription_id, 'a', sizeof r->subscription_id); /* no NUL */
    cr_assert_eq(pw_cdr_record_check(r), PW_ERANGE);
    strcpy(r->subscription_id, "s");
    r->charged_network[0] = '\0';
    cr_assert_eq(pw_cdr_record_check(r), PW_EINVAL);
    strcpy(r->charged_network, "opa.example");
    strcpy(r->outcome, "Not OK");
    cr_assert_eq(pw_cdr_record_check(r), PW_EINVAL);
    strcpy(r->outcome, "");
    cr_assert_eq(pw_cdr_record_check(r), PW_EINVAL);
    strcpy(r->outcome, "item-not-found");
    r->enquiry_ref[0] = '\0';
    cr_assert_eq(pw_cdr_record_check(r), PW_EINVAL, "an enquiry needs its reference");
    r->kind = PW_CDR_KIND_END;
    strcpy(r->outcome, "expired");
    cr_assert_eq(pw_cdr_record_check(r), PW_OK, "an end record needs none");
    r->kind = (pw_cdr_kind_t)17;
    cr_assert_eq(pw_cdr_record_check(r), PW_EINVAL);
    r->kind = PW_CDR_KIND_END;
    cr_assert_eq(pw_cdr_format_record(r, "zz", fx->buf, BUF, &fx->len, fx->hash), PW_EINVAL);
    strcpy(r->node, "bad node/");
    cr_assert_eq(format(), PW_EINVAL);
    strcpy(r->node, "ps1");
    cr_assert_eq(pw_cdr_format_record(r, prev64, fx->buf, 100, &fx->len, fx->hash), PW_ERANGE);
}

Test(cdr_format, any_changed_byte_is_detected)
{
    cr_assert_eq(format(), PW_OK);
    char *d = strstr(fx->buf, "\"duration\":7200");
    cr_assert_not_null(d);
    d[11] = '9'; /* 7200 -> 9200 */
    cr_assert_eq(pw_cdr_line_parse(fx->buf, fx->len - 1, &fx->l), PW_ECORRUPT);
    cr_assert_eq(fx->l.record.duration_s, 9200);
    d[11] = '7';
    cr_assert_eq(pw_cdr_line_parse(fx->buf, fx->len - 1, &fx->l), PW_OK);
}

Test(cdr_format, malformed_lines_are_rejected)
{
    char *buf = fx->buf, line[8192];
    const char *bad[] = {
        "", "{}", "not json", "{\"rec\":\"cdr\"}", "[1,2]",
        "{\"rec\":\"header\",\"hash\":\"00\"}",
        "{\"rec\":\"cdr\",\"rec\":\"cdr\",\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(parse(bad[i]), PW_EINVAL, "%s", bad[i]);
    format_as_text();
    /* trailing junk */
    snprintf(line, sizeof line, "%sx", buf);
    cr_assert_eq(parse(line), PW_EINVAL);
    /* cut in the middle (a torn line) */
    cr_assert_eq(pw_cdr_line_parse(buf, strlen(buf) / 2, &fx->l), PW_EINVAL);
    /* a number with a leading zero, and one too big */
    char *s = strstr(buf, "\"seq\":42");
    snprintf(line, sizeof line, "%.*s\"seq\":042%s", (int)(s - buf), buf, s + 8);
    cr_assert_eq(parse(line), PW_EINVAL);
    snprintf(line, sizeof line, "%.*s\"seq\":99999999999999999999999%s", (int)(s - buf), buf, s + 8);
    cr_assert_eq(parse(line), PW_EINVAL);
    /* a missing member */
    s = strstr(buf, ",\"peer\":\"gateway.opa.example\"");
    snprintf(line, sizeof line, "%.*s%s", (int)(s - buf), buf, s + strlen(",\"peer\":\"gateway.opa.example\""));
    cr_assert_eq(parse(line), PW_EINVAL);
    /* over-long */
    cr_assert_eq(pw_cdr_line_parse(buf, PW_CDR_LINE_MAX + 1, &fx->l), PW_EINVAL);
}

Test(cdr_format, header_round_trips)
{
    pw_cdr_header_t h;
    pw_cdr_line_t *l = &fx->l;
    char *buf = fx->buf, *hash = fx->hash;
    size_t len;
    memset(&h, 0, sizeof h);
    h.version = PW_CDR_FORMAT_VERSION;
    strcpy(h.node, "ps2.opb.example");
    h.first_seq = 1001;
    h.created_ms = 1700000000000ull;
    strcpy(h.prev, prev64);
    cr_assert_eq(pw_cdr_format_header(&h, buf, BUF, &len, hash), PW_OK);
    cr_assert_eq(pw_cdr_line_parse(buf, len - 1, l), PW_OK);
    cr_assert_eq(l->type, PW_CDR_LINE_HEADER);
    cr_assert_eq(l->header.version, 1);
    cr_assert_str_eq(l->header.node, "ps2.opb.example");
    cr_assert_eq(l->header.first_seq, 1001);
    cr_assert_eq(l->header.created_ms, 1700000000000ull);
    cr_assert_str_eq(l->header.prev, prev64);
    cr_assert_str_eq(l->header.hash, hash);
    /* a future version is not read as this one */
    h.version = 2;
    cr_assert_eq(pw_cdr_format_header(&h, buf, BUF, &len, hash), PW_OK);
    cr_assert_eq(pw_cdr_line_parse(buf, len - 1, l), PW_EINVAL);
}

Test(cdr_format, times)
{
    static const struct {
        uint64_t ms;
        const char *text;
    } formats[] = {
        { 0, "1970-01-01T00:00:00.000Z" },
        { 1700000000123ull, "2023-11-14T22:13:20.123Z" },
        { UINT64_MAX, "9999-12-31T23:59:59.999Z" },
    };
    static const struct {
        const char *text;
        pw_status_t st;
        uint64_t ms; /* when st is PW_OK */
    } parses[] = {
        { "2023-11-14T22:13:20.123Z", PW_OK, 1700000000123ull },
        { "2023-11-14", PW_OK, 1699920000000ull },
        { "2023-11-14T22:13:20Z", PW_OK, 1700000000000ull },
        { "2023-02-30", PW_EINVAL, 0 },
        { "2023-11-14T25:00:00Z", PW_EINVAL, 0 },
        { "2023-11-14T22:13:20", PW_EINVAL, 0 },
        { "yesterday", PW_EINVAL, 0 },
    };
    char t[PW_CDR_TIME_TEXT];
    uint64_t ms;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        pw_cdr_time_format(formats[i].ms, t);
        cr_assert_str_eq(t, formats[i].text);
    }
    for (size_t i = 0; i < sizeof parses / sizeof parses[0]; i++) {
        cr_assert_eq(pw_cdr_time_parse(parses[i].text, &ms), parses[i].st, "%s", parses[i].text);
        if (parses[i].st == PW_OK)
            cr_assert_eq(ms, parses[i].ms, "%s", parses[i].text);
    }
}

Test(cdr_format, file_names)
{
    static const struct {
        pw_cdr_name_t name;
        const char *text;
    } good[] = {
        { { .node = "ps-1.opb.example", .open = 1, .first_seq = 17 },
          "cdr-ps-1.opb.example-00000000000000000017.jsonl.open" },
        { { .node = "ps-1.opb.example", .open = 0, .first_seq = 17, .last_seq = 99, .close_ms = 1700000000123ull },
          "cdr-ps-1.opb.example-00000000000000000017-00000000000000000099-20231114T221320123Z.jsonl" },
    };
    static const char *bad[] = {
        "torn-ps1-00000000000000000001-5.bin",
        "cdr-ps1-1.jsonl.open",
        "cdr--00000000000000000001.jsonl.open",
        ".cdr-ps1.lock",
        "cdr-ps1-00000000000000000009-00000000000000000002-20231114T221320123Z.jsonl", /* last before first */
    };
    pw_cdr_name_t p;
    char name[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const pw_cdr_name_t *n = &good[i].name;
        cr_assert_eq(pw_cdr_name_format(n, name, sizeof name), PW_OK, "%s", good[i].text);
        cr_assert_str_eq(name, good[i].text);
        cr_assert_eq(pw_cdr_name_parse(name, &p), PW_OK, "%s", name);
        cr_assert_eq(p.open, n->open, "%s", name);
        cr_assert_str_eq(p.node, n->node, "%s", name);
        cr_assert_eq(p.first_seq, n->first_seq, "%s", name);
        cr_assert_eq(p.last_seq, n->last_seq, "%s", name);
        cr_assert_eq(p.close_ms, n->close_ms, "%s", name);
    }
    cr_assert_eq(pw_cdr_name_format(&good[1].name, name, 20), PW_ERANGE);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(pw_cdr_name_parse(bad[i], &p), PW_EINVAL, "%s", bad[i]);
    cr_assert(pw_cdr_node_valid("ps1.opb.example"));
    cr_assert(!pw_cdr_node_valid(""));
    cr_assert(!pw_cdr_node_valid("a/b"));
    cr_assert(!pw_cdr_node_valid(NULL));
}

/* line with the first `from` replaced by `to` and its hash recomputed, in out[cap] */
static void edit_and_rehash(const char *line, const char *from, const char *to, char *out, size_t cap)
{
    const char *at = strstr(line, from);
    char hex[65];
    cr_assert_not_null(at, "%s", from);
    snprintf(out, cap, "%.*s%s%s", (int)(at - line), line, to, at + strlen(from));
    char *cut = strstr(out, ",\"hash\":\"");
    cr_assert_not_null(cut);
    sha256_hex(out, (size_t)(cut - out), hex);
    memcpy(cut + 9, hex, 64);
}

Test(cdr_format, what_format_1_refused_is_refused_with_a_good_hash)
{
    char *buf = fx->buf, line[8192];
    format_as_text();
    static const struct { const char *from, *to; } good[] = {
        { "\"peer\":\"g", "\"peer\" :\t\"\\u0067" }, /* whitespace and escapes in values */
        { "\"seq\"", " \"seq\"" },
        { ",\"hash\"", ",\"x_extra\":\"new in v1.1\",\"hash\"" }, /* unknown members are ignored */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        edit_and_rehash(buf, good[i].from, good[i].to, line, sizeof line);
        cr_assert_eq(parse(line), PW_OK, "%s", line);
        cr_assert_str_eq(fx->l.record.peer, "gateway.opa.example");
    }
    static const struct { const char *from, *to; } bad[] = {
        { "\"duration\":7200", "\"duration\":-0" },
        { "\"duration\":7200", "\"duration\":-7200" },
        { "\"duration\":7200", "\"duration\":7200.0" },
        { "\"duration\":7200", "\"duration\":72e2" },
        { "\"duration\":7200", "\"duration\":\"7200\"" },
        { "\"duration\":7200", "\"duration\":9223372036854775808" }, /* new: > 2^63 - 1 */
        { ",\"hash\"", ",\"x\":true,\"hash\"" },
        { ",\"hash\"", ",\"x\":null,\"hash\"" },
        { ",\"hash\"", ",\"x\":[1],\"hash\"" },
        { ",\"hash\"", ",\"x\":{\"y\":1},\"hash\"" },
        { ",\"hash\"", ",\"X\":1,\"hash\"" },
        { ",\"hash\"", ",\"x1\":1,\"hash\"" },
        { ",\"hash\"", ",\"\":1,\"hash\"" },
        { "\"seq\"", "\"s\\u0065q\"" },
        { "\"seq\":42,", "\"seq\":42,\n" },
        { "\"peer\":\"g", "\"peer\":\"\\u0000g" },
        { "\"peer\":\"g", "\"peer\":\"\\ud800g" },
        { "\"peer\":\"g", "\"peer\":\"\xc0\x80g" },
        { "\"peer\":\"g", "\"peer\":\"\xed\xa0\x80g" },
        { "\"prev\"", "\"peer\":\"again\",\"prev\"" },
        { "\"time\":\"2023-11-14T22:13:20.123Z\"", "\"time\":\"2023-11-14T22:13:60.123Z\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        edit_and_rehash(buf, bad[i].from, bad[i].to, line, sizeof line);
        cr_assert_eq(parse(line), PW_EINVAL, "%s", line);
    }
    /* more than 32 members (a record has 19) */
    char extra[512];
    snprintf(extra, sizeof extra, ",\"xa\":1,\"xb\":1,\"xc\":1,\"xd\":1,\"xe\":1,\"xf\":1,\"xg\":1,"
             "\"xh\":1,\"xi\":1,\"xj\":1,\"xk\":1,\"xl\":1,\"xm\":1,\"xn\":1,\"hash\"");
    edit_and_rehash(buf, ",\"hash\"", extra, line, sizeof line);
    cr_assert_eq(parse(line), PW_EINVAL, "33 members");
    edit_and_rehash(buf, ",\"hash\"", extra + 7, line, sizeof line); /* 32 members */
    cr_assert_eq(parse(line), PW_OK, "32 members");
    /* the last member must be "hash" */
    edit_and_rehash(buf, ",\"hash\"", ",\"hash\"", line, sizeof line);
    cr_assert_eq(parse(line), PW_OK);
    strcpy(line + strlen(line) - 1, ",\"x\":1}");
    cr_assert_eq(parse(line), PW_EINVAL);
    /* numbers a reader could not read back are not written (new with jansson: 2^63 - 1 at most) */
    fx->r.duration_s = (uint64_t)INT64_MAX + 1;
    cr_assert_eq(format(), PW_ERANGE);
    fx->r.duration_s = (uint64_t)INT64_MAX;
    cr_assert_eq(format(), PW_OK);
    cr_assert_eq(pw_cdr_line_parse(buf, fx->len - 1, &fx->l), PW_OK);
    cr_assert_eq(fx->l.record.duration_s, (uint64_t)INT64_MAX);
}
