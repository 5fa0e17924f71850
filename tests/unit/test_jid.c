/* test_jid.c: unit tests for JID splitting and checks and XEP-0106 escaping. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "address/pw_jid.h"

#define PART (PW_JID_PART_MAX + 1)

static void expect_split(const char *jid, const char *l, const char *d, const char *r)
{
    char local[PART], domain[PART], resource[PART];
    pw_status_t st = pw_jid_split(jid, local, sizeof local, domain, sizeof domain, resource,
                                  sizeof resource);
    cr_assert_eq(st, PW_OK, "\"%s\": status %d", jid, st);
    cr_assert_str_eq(local, l, "\"%s\" local", jid);
    cr_assert_str_eq(domain, d, "\"%s\" domain", jid);
    cr_assert_str_eq(resource, r, "\"%s\" resource", jid);
}

static void expect_split_fail(const char *jid, pw_status_t want)
{
    char local[PART], domain[PART], resource[PART];
    memset(local, 'x', 4);
    memset(domain, 'x', 4);
    memset(resource, 'x', 4);
    pw_status_t st = pw_jid_split(jid, local, sizeof local, domain, sizeof domain, resource,
                                  sizeof resource);
    cr_assert_eq(st, want, "\"%s\": status %d, want %d", jid ? jid : "(null)", st, want);
    cr_assert_str_eq(local, "");
    cr_assert_str_eq(domain, "");
    cr_assert_str_eq(resource, "");
}

/* A string of n copies of c (the caller frees nothing: static storage, one at a time). */
static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

/* A domain of exactly n bytes: labels of 'a' separated by dots every 60 bytes. */
static char *make_domain(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (i % 61 == 60 && i + 1 < n) ? '.' : 'a';
    buf[n] = '\0';
    return buf;
}

Test(jid, split_valid)
{
    expect_split("bob@opb.example/phone", "bob", "opb.example", "phone");
    expect_split("bob@opb.example", "bob", "opb.example", "");
    expect_split("opb.example", "", "opb.example", "");
    expect_split("opb.example/r", "", "opb.example", "r");
    expect_split("Bob@OPB.Example.", "Bob", "opb.example", "");
    expect_split("a@b.c/res@x/y z", "a", "b.c", "res@x/y z");
    expect_split("b.c/a@b", "", "b.c", "a@b");
    expect_split("+12025550123@watcher.opa.example", "+12025550123", "watcher.opa.example", "");
    expect_split("bob\\40opb.example@watcher.opa.example", "bob\\40opb.example",
                 "watcher.opa.example", "");
    expect_split("j\xc3\xbcrgen@m\xc3\xbcnchen.example/\xe2\x98\x83", "j\xc3\xbcrgen",
                 "m\xc3\xbcnchen.example", "\xe2\x98\x83");
    expect_split("a@[::1]/r", "a", "[::1]", "r");
    expect_split("[2001:DB8::1]", "", "[2001:db8::1]", "");
    expect_split("127.0.0.1", "", "127.0.0.1", "");
    expect_split("x@my_host-1.example", "x", "my_host-1.example", "");
    expect_split("a@b", "a", "b", "");
}

Test(jid, split_null_outputs)
{
    char domain[PART];
    cr_assert_eq(pw_jid_split("bob@opb.example/r", NULL, 0, domain, sizeof domain, NULL, 0), PW_OK);
    cr_assert_str_eq(domain, "opb.example");
    cr_assert_eq(pw_jid_split("bob@opb.example/r", NULL, 0, NULL, 0, NULL, 0), PW_OK);
    cr_assert_eq(pw_jid_split("bob@@opb.example", NULL, 0, NULL, 0, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_jid_split(NULL, NULL, 0, NULL, 0, NULL, 0), PW_EINVAL);
}

Test(jid, split_rejects)
{
    const char *bad[] = {
        "", "@", "@b.c", "a@", "a@/r", "b.c/", "/r", "a@b.c/", "a@b@c", "a b@c", "a\"b@c",
        "a&b@c", "a'b@c", "a:b@c", "a<b@c", "a>b@c", "a\tb@c", "a\x01" "b@c", "a\x7f@c",
        "a@b c", "a@b..c", "a@.b", "a@b.c..", "a@.", ".", "a@b/re\x01s", "a@b/r\x7f",
        "a\xff@b", "a\xc0\xaf@b", "\xed\xa0\x80@b", "a@b\xe2\x98", "a@b.c/\xf5\x80\x80\x80",
        "a@b:5222", "a@b\\c", "a@<b>", "a@b&c", "a@b'c", "a@\"b\"", "[::1", "[]", "[zz]",
        "a@[::1]x", "a@b!c", "a@b,c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_split_fail(bad[i], PW_EINVAL);
    expect_split_fail(NULL, PW_EINVAL);
}

Test(jid, part_length_boundaries)
{
    static char part[2048], dom[2048], jid[4096];
    /* localpart 1023 ok, 1024 too long */
    snprintf(jid, sizeof jid, "%s@b.c", repeat(part, 'a', 1023));
    expect_split(jid, part, "b.c", "");
    snprintf(jid, sizeof jid, "%s@b.c", repeat(part, 'a', 1024));
    expect_split_fail(jid, PW_ERANGE);
    /* domain 1023 ok (also with a trailing dot), 1024 too long */
    snprintf(jid, sizeof jid, "a@%s", make_domain(dom, 1023));
    expect_split(jid, "a", dom, "");
    snprintf(jid, sizeof jid, "a@%s.", make_domain(dom, 1023));
    expect_split(jid, "a", dom, "");
    snprintf(jid, sizeof jid, "a@%s", make_domain(dom, 1024));
    expect_split_fail(jid, PW_ERANGE);
    /* resource 1023 ok, 1024 too long */
    snprintf(jid, sizeof jid, "a@b/%s", repeat(part, 'r', 1023));
    expect_split(jid, "a", "b", part);
    snprintf(jid, sizeof jid, "a@b/%s", repeat(part, 'r', 1024));
    expect_split_fail(jid, PW_ERANGE);
}

Test(jid, full_length_boundary)
{
    static char l[PART], d[PART], r[PART], jid[4096];
    repeat(l, 'l', 1023);
    make_domain(d, 1023);
    repeat(r, 'r', 1023);
    snprintf(jid, sizeof jid, "%s@%s/%s", l, d, r);
    cr_assert_eq(strlen(jid), PW_JID_MAX);
    expect_split(jid, l, d, r);
    snprintf(jid, sizeof jid, "%s@%s/%sr", l, d, r);
    expect_split_fail(jid, PW_ERANGE);
}

Test(jid, split_capacity)
{
    char buf[16];
    const char *jid = "alice@opa.example/phone";
    /* exactly fits */
    cr_assert_eq(pw_jid_split(jid, buf, 6, NULL, 0, NULL, 0), PW_OK);
    cr_assert_str_eq(buf, "alice");
    cr_assert_eq(pw_jid_split(jid, NULL, 0, buf, 12, NULL, 0), PW_OK);
    cr_assert_str_eq(buf, "opa.example");
    cr_assert_eq(pw_jid_split(jid, NULL, 0, NULL, 0, buf, 6), PW_OK);
    cr_assert_str_eq(buf, "phone");
    /* one short */
    memset(buf, 'x', sizeof buf);
    cr_assert_eq(pw_jid_split(jid, buf, 5, NULL, 0, NULL, 0), PW_ERANGE);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(buf[5], 'x');
    cr_assert_eq(pw_jid_split(jid, NULL, 0, buf, 11, NULL, 0), PW_ERANGE);
    cr_assert_eq(pw_jid_split(jid, NULL, 0, NULL, 0, buf, 5), PW_ERANGE);
    /* a given buffer of capacity 0 is too small even for "" */
    cr_assert_eq(pw_jid_split("opa.example", NULL, 0, NULL, 0, buf, 0), PW_ERANGE);
    cr_assert_eq(pw_jid_split("opa.example", NULL, 0, NULL, 0, buf, 1), PW_OK);
    cr_assert_str_eq(buf, "");
}

Test(jid, bare_domain_is_domain)
{
    char out[64];
    cr_assert_eq(pw_jid_bare("bob@OPB.example./x", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "bob@opb.example");
    cr_assert_eq(pw_jid_bare("OPB.example/x", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "opb.example");
    cr_assert_eq(pw_jid_bare("bob@opb.example", out, 16), PW_OK); /* exactly fits */
    cr_assert_str_eq(out, "bob@opb.example");
    memset(out, 'x', sizeof out);
    cr_assert_eq(pw_jid_bare("bob@opb.example", out, 15), PW_ERANGE);
    cr_assert_str_eq(out, "");
    cr_assert_eq(pw_jid_bare("opb.example", out, 12), PW_OK);
    cr_assert_eq(pw_jid_bare("opb.example", out, 11), PW_ERANGE);
    cr_assert_eq(pw_jid_bare("a@b@c", out, sizeof out), PW_EINVAL);
    cr_assert_str_eq(out, "");
    cr_assert_eq(pw_jid_bare("bob@opb.example", NULL, 10), PW_EINVAL);

    cr_assert_eq(pw_jid_domain("bob@OPB.example/r", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "opb.example");
    cr_assert_eq(pw_jid_domain("bob@opb.example", out, 12), PW_OK);
    cr_assert_eq(pw_jid_domain("bob@opb.example", out, 11), PW_ERANGE);
    cr_assert_eq(pw_jid_domain("@opb.example", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_jid_domain("opb.example", NULL, 0), PW_EINVAL);

    cr_assert(pw_jid_is_domain("opb.example"));
    cr_assert(pw_jid_is_domain("watcher.opa.example."));
    cr_assert(pw_jid_is_domain("[::1]"));
    cr_assert_not(pw_jid_is_domain("a@opb.example"));
    cr_assert_not(pw_jid_is_domain("opb.example/r"));
    cr_assert_not(pw_jid_is_domain(""));
    cr_assert_not(pw_jid_is_domain("a b"));
    cr_assert_not(pw_jid_is_domain(NULL));
}

/* XEP-0106 §5 examples, plus the backslash cases of §4 and common test vectors. */
static const struct { const char *raw, *escaped; } xep_vectors[] = {
    { "space cadet", "space\\20cadet" },
    { "call me \"ishmael\"", "call\\20me\\20\\22ishmael\\22" },
    { "at&t guy", "at\\26t\\20guy" },
    { "d'artagnan", "d\\27artagnan" },
    { "/.fanboy", "\\2f.fanboy" },
    { "::foo::", "\\3a\\3afoo\\3a\\3a" },
    { "<foo>", "\\3cfoo\\3e" },
    { "user@host", "user\\40host" },
    { "c:\\net", "c\\3a\\net" },
    { "c:\\\\net", "c\\3a\\\\net" },
    { "c:\\cool stuff", "c\\3a\\cool\\20stuff" },
    { "c:\\5commas", "c\\3a\\5c5commas" },
    { "\\3and\\2is\\5cool", "\\5c3and\\2is\\5c5cool" },
    { "\\5c", "\\5c5c" },
    { "\\2plus\\2is\\4", "\\2plus\\2is\\4" },
    { "foo\\bar", "foo\\bar" },
    { "foo\\41r", "foo\\41r" },
    { "call\\20me", "call\\5c20me" },
    { "call me\\20", "call\\20me\\5c20" },
    { "bob@opb.example", "bob\\40opb.example" },
    { "a\\", "a\\" },
    { "\\2F", "\\2F" },
    { "plain", "plain" },
};

/* fn (pw_jid_escape_node or pw_jid_unescape_node, called what) turns in into want. */
static void expect_node(pw_status_t (*fn)(const char *, char *, size_t), const char *what, const char *in,
                        const char *want)
{
    char out[128];
    cr_assert_eq(fn(in, out, sizeof out), PW_OK, "%s %s", what, in);
    cr_assert_str_eq(out, want, "%s %s", what, in);
}

Test(jid, escape_xep_examples)
{
    for (size_t i = 0; i < sizeof xep_vectors / sizeof xep_vectors[0]; i++)
        expect_node(pw_jid_escape_node, "escape", xep_vectors[i].raw, xep_vectors[i].escaped);
}

Test(jid, unescape_xep_examples)
{
    for (size_t i = 0; i < sizeof xep_vectors / sizeof xep_vectors[0]; i++)
        expect_node(pw_jid_unescape_node, "unescape", xep_vectors[i].escaped, xep_vectors[i].raw);
    /* only recognised sequences are unescaped (lower-case hex); others are left alone */
    const struct { const char *in, *want; } more[] = {
        { "\\41", "\\41" }, { "\\2F", "\\2F" }, { "\\3A\\3a", "\\3A:" }, { "a\\5", "a\\5" },
        { "a\\", "a\\" }, { "\\\\20", "\\ " }, { "\\20x\\20", " x " }, { "\\5c\\5c", "\\\\" },
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        expect_node(pw_jid_unescape_node, "unescape", more[i].in, more[i].want);
}

Test(jid, escape_rejects)
{
    char out[64];
    const char *bad[] = { "", " ", " a", "a ", " space cadet ", "a\nb", "a\tb", "a\x7f",
                          "a\xff", "\xc0\x80", "a\xe2\x98" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(out, 'x', sizeof out);
        cr_assert_eq(pw_jid_escape_node(bad[i], out, sizeof out), PW_EINVAL, "\"%s\"", bad[i]);
        cr_assert_str_eq(out, "");
    }
    cr_assert_eq(pw_jid_escape_node(NULL, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_jid_escape_node("a", NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_jid_unescape_node("", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_jid_unescape_node(NULL, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_jid_unescape_node("a", NULL, 0), PW_EINVAL);
}

Test(jid, escape_capacity_and_limits)
{
    char out[2048];
    static char in[4096];
    /* exactly fits / one short: "user\40host" is 11 bytes + NUL */
    cr_assert_eq(pw_jid_escape_node("user@host", out, 12), PW_OK);
    cr_assert_str_eq(out, "user\\40host");
    memset(out, 'x', sizeof out);
    cr_assert_eq(pw_jid_escape_node("user@host", out, 11), PW_ERANGE);
    cr_assert_str_eq(out, "");
    cr_assert_eq(out[11], 'x');
    cr_assert_eq(pw_jid_escape_node("a", out, 0), PW_ERANGE);
    cr_assert_eq(pw_jid_escape_node("a", out, 1), PW_ERANGE);
    cr_assert_eq(pw_jid_escape_node("a", out, 2), PW_OK);
    /* a result of 1023 bytes is a localpart, 1024 is not */
    repeat(in, '@', 341);
    cr_assert_eq(pw_jid_escape_node(in, out, sizeof out), PW_OK);
    cr_assert_eq(strlen(out), 1023);
    strcat(in, "a");
    cr_assert_eq(pw_jid_escape_node(in, out, sizeof out), PW_ERANGE);
    /* input longer than a JID */
    repeat(in, 'a', PW_JID_MAX + 1);
    cr_assert_eq(pw_jid_escape_node(in, out, sizeof out), PW_ERANGE);

    /* unescape: exactly fits / one short, input 1023 ok / 1024 too long */
    cr_assert_eq(pw_jid_unescape_node("user\\40host", out, 10), PW_OK);
    cr_assert_str_eq(out, "user@host");
    cr_assert_eq(pw_jid_unescape_node("user\\40host", out, 9), PW_ERANGE);
    cr_assert_str_eq(out, "");
    cr_assert_eq(pw_jid_unescape_node("a", out, 0), PW_ERANGE);
    repeat(in, 'a', 1023);
    cr_assert_eq(pw_jid_unescape_node(in, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, in);
    repeat(in, 'a', 1024);
    cr_assert_eq(pw_jid_unescape_node(in, out, sizeof out), PW_ERANGE);
}

/* xorshift32: a small deterministic generator so failures reproduce. */
static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

Test(jid, escape_unescape_round_trip)
{
    /* pieces chosen to hit every escape, backslash sequences (valid and not), hex digits
     * and multi-byte UTF-8 */
    static const char *const pieces[] = {
        " ", "\"", "&", "'", "/", ":", "<", ">", "@", "\\", "2", "0", "5", "c", "f", "a",
        "3", "4", "e", "2f", "5c", "20", "40", "x", ".", "-", "\xc3\xa9", "\xe2\x98\x83",
        "\xf0\x9f\x98\x80", "\\5c", "\\20", "\\2F",
    };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 0x5eed1234u;
    char raw[256], esc[PART], back[PART], jid[PART + 32];
    int checked = 0;

    for (int n = 0; n < 500; n++) {
        size_t len = 0, count = 1 + next_rand(&seed) % 24;
        raw[0] = '\0';
        for (size_t k = 0; k < count; k++) {
            const char *p = pieces[next_rand(&seed) % npieces];
            size_t pl = strlen(p);
            if (len + pl >= sizeof raw)
                break;
            memcpy(raw + len, p, pl + 1);
            len += pl;
        }
        /* no leading or trailing space: XEP-0106 forbids escaping those */
        if (raw[0] == ' ')
            raw[0] = 'x';
        if (raw[len - 1] == ' ')
            raw[len - 1] = 'x';
        cr_assert_eq(pw_jid_escape_node(raw, esc, sizeof esc), PW_OK, "escape \"%s\"", raw);
        cr_assert_eq(pw_jid_unescape_node(esc, back, sizeof back), PW_OK, "unescape \"%s\"", esc);
        cr_assert_str_eq(back, raw, "round trip of \"%s\" via \"%s\"", raw, esc);
        /* the escaped form is always a valid localpart */
        snprintf(jid, sizeof jid, "%s@example.com", esc);
        char local[PART];
        cr_assert_eq(pw_jid_split(jid, local, sizeof local, NULL, 0, NULL, 0), PW_OK, "%s", jid);
        cr_assert_str_eq(local, esc);
        checked++;
    }
    cr_assert_eq(checked, 500);
}

/* docs/protocol.md §7: only components speak for an operator, and only the named ones. */
Test(jid, a_component_has_no_localpart_and_is_named)
{
    char *names[] = { "gateway.opb.example", "ps1.opb.example" };
    char domain[PW_JID_PART_MAX + 1];
    cr_assert(pw_jid_is_component("Gateway.OPB.example/r", domain, sizeof domain));
    cr_assert_str_eq(domain, "gateway.opb.example", "normalised");
    cr_assert(pw_jid_is_component("opb.example", NULL, 0));
    cr_assert_not(pw_jid_is_component("bob@opb.example", NULL, 0), "a user");
    cr_assert_not(pw_jid_is_component("x@gateway.opb.example", NULL, 0), "a localpart on a component domain");
    cr_assert_not(pw_jid_is_component("", NULL, 0));
    cr_assert_not(pw_jid_is_component(NULL, NULL, 0));
    cr_assert_not(pw_jid_is_component("gateway.opb.example", domain, 4), "its domain must fit");
    cr_assert(pw_jid_is_named_component("PS1.opb.example", names, 2));
    cr_assert(pw_jid_is_named_component("gateway.opb.example/x", names, 2));
    cr_assert_not(pw_jid_is_named_component("ps2.opb.example", names, 2), "in that domain, not named");
    cr_assert_not(pw_jid_is_named_component("x@ps1.opb.example", names, 2));
    cr_assert_not(pw_jid_is_named_component("opb.example", names, 2));
    cr_assert_not(pw_jid_is_named_component("ps1.opb.example", names, 0));
}
