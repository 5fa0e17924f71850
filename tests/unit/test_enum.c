/* test_enum.c: unit tests of ENUM NAPTR processing: order, flags, services, regexp rewriting, domains. */
#include <criterion/criterion.h>
#include <string.h>

#include "dns/pw_enum.h"
#include "core/pw_loop.h"
#include "address/pw_msisdn.h"
#include "fake_resolver.h"

#define BOB "+12025550123"

static pw_naptr_t naptr(uint16_t order, uint16_t pref, const char *flags, const char *service,
                        const char *regexp)
{
    pw_naptr_t r;
    memset(&r, 0, sizeof r);
    r.order = order;
    r.preference = pref;
    strncpy(r.flags, flags, sizeof r.flags - 1);
    strncpy(r.service, service, sizeof r.service - 1);
    strncpy(r.regexp, regexp, sizeof r.regexp - 1);
    strcpy(r.replacement, ".");
    return r;
}

Test(enum, xmpp_catch_all_rule)
{
    pw_naptr_t r = naptr(100, 10, "u", "E2U+xmpp", "!^.*$!xmpp:opb.example!");
    char domain[64], uri[128];

    cr_assert_eq(pw_enum_domain_for(BOB, &r, 1, domain, sizeof domain, uri, sizeof uri), PW_OK);
    cr_assert_str_eq(domain, "opb.example");
    cr_assert_str_eq(uri, "xmpp:opb.example");
}

Test(enum, backreference_to_the_number)
{
    pw_naptr_t r = naptr(10, 10, "U", "e2u+XMPP", "!^(.*)$!xmpp:\\1@OPB.Example!");
    pw_naptr_t s = naptr(10, 10, "u", "E2U+sip", "!^\\+(1[0-9]*)$!sip:+\\1@opb.example;user=phone!");
    char domain[64], uri[128];

    cr_assert_eq(pw_enum_domain_for(BOB, &r, 1, domain, sizeof domain, uri, sizeof uri), PW_OK);
    cr_assert_str_eq(uri, "xmpp:+12025550123@OPB.Example");
    cr_assert_str_eq(domain, "opb.example", "lower-cased");
    cr_assert_eq(pw_enum_domain_for(BOB, &s, 1, domain, sizeof domain, uri, sizeof uri), PW_OK);
    cr_assert_str_eq(uri, "sip:+12025550123@opb.example;user=phone");
    cr_assert_str_eq(domain, "opb.example");
}

Test(enum, order_then_preference_and_skipping_unusable_records)
{
    pw_naptr_t rrs[6] = {
        naptr(100, 50, "u", "E2U+sip", "!^.*$!sip:info@late.example!"),
        naptr(10, 10, "u", "E2U+email:mailto", "!^.*$!mailto:bob@mail.example!"), /* other service */
        naptr(10, 20, "", "E2U+xmpp", "!^.*$!xmpp:nonterminal.example!"),         /* non-terminal */
        naptr(10, 30, "u", "E2U+xmpp", "!^\\+44.*$!xmpp:uk.example!"),            /* no match */
        naptr(100, 10, "u", "E2U+xmpp", "!^.*$!xmpp:winner.example!"),
        naptr(100, 10, "u", "E2U+xmpp", "!^.*$!xmpp:second-of-tie.example!"),
    };
    char domain[64];

    cr_assert_eq(pw_enum_domain_for(BOB, rrs, 6, domain, sizeof domain, NULL, 0), PW_OK);
    cr_assert_str_eq(domain, "winner.example");
    /* the lowest (order, preference) wins even when it comes last in the answer */
    rrs[5].preference = 5;
    cr_assert_eq(pw_enum_domain_for(BOB, rrs, 6, domain, sizeof domain, NULL, 0), PW_OK);
    cr_assert_str_eq(domain, "second-of-tie.example");
    rrs[3].regexp[4] = '1'; /* "!^\+14..." still does not match +120... */
    cr_assert_eq(pw_enum_domain_for(BOB, rrs, 6, domain, sizeof domain, NULL, 0), PW_OK);
    cr_assert_str_eq(domain, "second-of-tie.example");
}

Test(enum, compound_services)
{
    pw_naptr_t ok = naptr(1, 1, "u", "E2U+sms+sip", "!^.*$!sip:gw@b.example!");
    pw_naptr_t subtype = naptr(1, 1, "u", "E2U+sip:foo", "!^.*$!sip:gw@b.example!");
    pw_naptr_t bad[4] = { naptr(1, 1, "u", "E2U", "!^.*$!sip:gw@b.example!"),
                          naptr(1, 1, "u", "E2U+", "!^.*$!sip:gw@b.example!"),
                          naptr(1, 1, "u", "SIP+E2U", "!^.*$!sip:gw@b.example!"),
                          naptr(1, 1, "u", "E2U+sipx", "!^.*$!sip:gw@b.example!") };
    char domain[64];

    cr_assert_eq(pw_enum_domain_for(BOB, &ok, 1, domain, sizeof domain, NULL, 0), PW_OK);
    cr_assert_str_eq(domain, "b.example");
    cr_assert_eq(pw_enum_domain_for(BOB, &subtype, 1, domain, sizeof domain, NULL, 0), PW_ENOTFOUND);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pw_enum_domain_for(BOB, &bad[i], 1, domain, sizeof domain, NULL, 0),
                     PW_ENOTFOUND, "service \"%s\"", bad[i].service);
    cr_assert_str_eq(domain, "");
}

Test(enum, no_usable_record_and_bad_arguments)
{
    pw_naptr_t ip = naptr(1, 1, "u", "E2U+sip", "!^.*$!sip:+1@192.0.2.1!");
    pw_naptr_t v6 = naptr(1, 1, "u", "E2U+sip", "!^.*$!sip:+1@[2001:db8::1]!");
    pw_naptr_t noreg = naptr(1, 1, "u", "E2U+sip", "");
    pw_naptr_t ok = naptr(1, 1, "u", "E2U+xmpp", "!^.*$!xmpp:opb.example!");
    char domain[64], uri[8];

    cr_assert_eq(pw_enum_domain_for(BOB, NULL, 0, domain, sizeof domain, NULL, 0), PW_ENOTFOUND);
    cr_assert_eq(pw_enum_domain_for(BOB, &ip, 1, domain, sizeof domain, NULL, 0), PW_ENOTFOUND);
    cr_assert_eq(pw_enum_domain_for(BOB, &v6, 1, domain, sizeof domain, NULL, 0), PW_ENOTFOUND);
    cr_assert_eq(pw_enum_domain_for(BOB, &noreg, 1, domain, sizeof domain, NULL, 0), PW_ENOTFOUND);
    cr_assert_eq(pw_enum_domain_for("12025550123", &ok, 1, domain, sizeof domain, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_enum_domain_for(NULL, &ok, 1, domain, sizeof domain, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_enum_domain_for(BOB, &ok, 1, NULL, 0, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_enum_domain_for(BOB, NULL, 1, domain, sizeof domain, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_enum_domain_for(BOB, &ok, 1, domain, 5, NULL, 0), PW_ERANGE);
    cr_assert_eq(pw_enum_domain_for(BOB, &ok, 1, domain, sizeof domain, uri, sizeof uri), PW_ERANGE);
    cr_assert_str_eq(domain, "");
    cr_assert_str_eq(uri, "");
}

Test(enum, apply_regexp)
{
    char out[64];

    cr_assert_eq(pw_enum_apply_regexp("!^.*$!xmpp:opb.example!", BOB, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "xmpp:opb.example");
    /* another delimiter, an escaped delimiter in both parts, "\\" for a backslash */
    cr_assert_eq(pw_enum_apply_regexp("/^\\+(1)(2)(.*)$/x:\\3\\/\\2\\1\\\\/", BOB, out, sizeof out),
                 PW_OK);
    cr_assert_str_eq(out, "x:025550123/21\\");
    cr_assert_eq(pw_enum_apply_regexp("#^\\+1(20)#a\\#\\1#", BOB, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "a#20");
    /* the "i" flag */
    cr_assert_eq(pw_enum_apply_regexp("!^ABC$!x!", "abc", out, sizeof out), PW_ENOTFOUND);
    cr_assert_eq(pw_enum_apply_regexp("!^ABC$!x!i", "abc", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "x");
    /* an optional group that did not take part gives "" */
    cr_assert_eq(pw_enum_apply_regexp("!^(x)?\\+(1)!<\\1|\\2>!", BOB, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "<|1>");
    /* malformed */
    cr_assert_eq(pw_enum_apply_regexp("", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("!^.*$!x", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("!^.*$!x!g", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("1^.*$1x1", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("\\^.*$\\x\\", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("!^(.*$!x!", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("!^(.*)$!\\2!", BOB, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_enum_apply_regexp("!^(.*)$!\\1\\1\\1\\1\\1\\1!", BOB, out, 20), PW_ERANGE);
    cr_assert_str_eq(out, "");
    cr_assert_eq(pw_enum_apply_regexp(NULL, BOB, out, sizeof out), PW_EINVAL);
}

Test(enum, over_long_regexp_is_refused)
{
    char big[2000], out[16];
    memset(big, 'a', sizeof big - 1);
    big[0] = '!';
    big[sizeof big - 1] = '\0';
    cr_assert_eq(pw_enum_apply_regexp(big, BOB, out, sizeof out), PW_EINVAL);
    big[600] = '!';
    big[601] = 'x';
    big[602] = '!';
    big[603] = '\0';
    cr_assert_eq(pw_enum_apply_regexp(big, BOB, out, sizeof out), PW_EINVAL);
}

Test(enum, uri_domain)
{
    static const char *const ok[][2] = {
        { "sip:+12025550123@opb.example;user=phone", "opb.example" },
        { "xmpp:OPB.EXAMPLE.", "opb.example" },
        { "xmpp:bob@opb.example/res", "opb.example" },
        { "sip:gw.opb.example:5060", "gw.opb.example" },
        { "xmpp:opb.example?message", "opb.example" },
    };
    static const char *const bad[] = { "opb.example", ":opb.example", "xmpp:", "xmpp:bob@", "xmpp:a..b",
                                       "xmpp:a b", "xmpp://opb.example", "sip:10.0.0.1" };
    char d[64];

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_assert_eq(pw_enum_uri_domain(ok[i][0], d, sizeof d), PW_OK, "%s", ok[i][0]);
        cr_assert_str_eq(d, ok[i][1], "%s", ok[i][0]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(pw_enum_uri_domain(bad[i], d, sizeof d), PW_EINVAL, "%s", bad[i]);
    cr_assert_eq(pw_enum_uri_domain("xmpp:opb.example", d, 4), PW_ERANGE);
    cr_assert_eq(pw_enum_uri_domain(NULL, d, sizeof d), PW_EINVAL);
}

/* The proxy's flow: ENUM name from the number, NAPTR lookup, domain from the answer. */
typedef struct {
    int calls;
    pw_status_t status;
    char domain[64];
} enum_result_t;

static void on_naptr(void *arg, pw_status_t status, const pw_naptr_t *rrs, size_t n, uint32_t ttl)
{
    enum_result_t *res = arg;
    res->calls++;
    res->status = status;
    if (status == PW_OK)
        res->status = pw_enum_domain_for(BOB, rrs, n, res->domain, sizeof res->domain, NULL, 0);
    (void)ttl;
}

Test(enum, lookup_through_the_fake_resolver)
{
    pw_loop_t *loop;
    pwfake_resolver_t *f;
    pw_naptr_t rrs[2] = { naptr(100, 20, "u", "E2U+sip", "!^.*$!sip:x@sip.opb.example!"),
                          naptr(100, 10, "u", "E2U+xmpp", "!^.*$!xmpp:opb.example!") };
    char name[128];
    enum_result_t res = { 0 }, miss = { 0 };

    cr_assert_eq(pw_msisdn_enum_domain(BOB, "e164.arpa", name, sizeof name), PW_OK);
    cr_assert_str_eq(name, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa");
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pwfake_resolver_create(&f, loop), PW_OK);
    cr_assert_eq(pwfake_resolver_script_naptr(f, name, PW_OK, rrs, 2, 60), PW_OK);
    cr_assert_eq(pw_resolver_naptr(pwfake_resolver_base(f), name, on_naptr, &res), PW_OK);
    cr_assert_eq(pw_resolver_naptr(pwfake_resolver_base(f), "9.9.9.e164.arpa", on_naptr, &miss),
                 PW_OK);
    cr_assert_eq(res.calls + miss.calls, 0);
    cr_assert_eq(pwfake_resolver_pending(f), 2);
    cr_assert_eq(pw_loop_run_once(loop, 100), PW_OK);
    cr_assert_eq(res.calls, 1);
    cr_assert_eq(res.status, PW_OK);
    cr_assert_str_eq(res.domain, "opb.example");
    cr_assert_eq(miss.calls, 1);
    cr_assert_eq(miss.status, PW_ENOTFOUND);
    cr_assert_eq(pwfake_resolver_count(f, "naptr", NULL), 2);
    cr_assert_eq(pwfake_resolver_count(f, "naptr", name), 1);
    cr_assert_eq(pwfake_resolver_count(f, "srv", NULL), 0);
    pw_resolver_destroy(pwfake_resolver_base(f));
    pw_loop_destroy(loop);
}

Test(enum, hostile_regexps_from_dns_are_refused_before_compiling)
{
    char out[256];
    static const char *const hostile[] = {
        "!^\\\\++++++++++++++++++++++++++++++++(.*)$!sip:x@opb.example!",
        "!.{1,255}{1,255}{1,255}!x!",
        "!((.{1,99}){1,99}){1,99}!x!",
        "!(a*)*!x!",
        "!a**!x!",
        "!a{300}!x!",
        "![abc!x!",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        cr_assert_eq(pw_enum_apply_regexp(hostile[i], "+12025550123", out, sizeof out), PW_EINVAL,
                     "refused: %s", hostile[i]);
    /* the forms ENUM zones use keep working */
    cr_assert_eq(pw_enum_apply_regexp("!^\\+(.*)$!sip:\\1@opb.example!", "+12025550123", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "sip:12025550123@opb.example");
    cr_assert_eq(pw_enum_apply_regexp("!^[+]1(202)?[0-9]{7}$!xmpp:opb.example!", "+12025550123", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "xmpp:opb.example");
}
