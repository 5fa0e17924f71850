/* test_msisdn.c: unit tests for E.164 normalisation, the strict check and ENUM domains. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "address/pw_msisdn.h"

/* Normalise with the given rules and expect success and the given result. */
static void expect_ok(const char *in, const pw_msisdn_rules_t *rules, const char *want)
{
    char out[PW_MSISDN_MAX + 1];
    pw_status_t st = pw_msisdn_normalize(in, rules, out);
    cr_assert_eq(st, PW_OK, "\"%s\": status %d", in, st);
    cr_assert_str_eq(out, want, "\"%s\"", in);
    cr_assert(pw_msisdn_is_e164(out), "\"%s\" -> \"%s\" not canonical", in, out);
}

static void expect_fail(const char *in, const pw_msisdn_rules_t *rules, pw_status_t want)
{
    char out[PW_MSISDN_MAX + 1];
    memset(out, 'x', sizeof out);
    pw_status_t st = pw_msisdn_normalize(in, rules, out);
    cr_assert_eq(st, want, "\"%s\": status %d, want %d", in ? in : "(null)", st, want);
    cr_assert_str_eq(out, "", "output not cleared for \"%s\"", in ? in : "(null)");
}

static pw_msisdn_rules_t uk(void)
{
    pw_msisdn_rules_t r;
    pw_msisdn_rules_init(&r);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "0", "00"), PW_OK);
    return r;
}

Test(msisdn, rules_defaults)
{
    pw_msisdn_rules_t r;
    memset(&r, 'x', sizeof r);
    pw_msisdn_rules_init(&r);
    cr_assert_str_eq(r.country_code, "");
    cr_assert_str_eq(r.trunk_prefix, "0");
    cr_assert_str_eq(r.intl_prefix, "00");
    pw_msisdn_rules_init(NULL); /* no crash */
}

Test(msisdn, rules_set_valid_and_invalid)
{
    pw_msisdn_rules_t r;
    pw_msisdn_rules_init(&r);
    cr_assert_eq(pw_msisdn_rules_set(&r, "1", "1", "011"), PW_OK);
    cr_assert_str_eq(r.country_code, "1");
    cr_assert_str_eq(r.trunk_prefix, "1");
    cr_assert_str_eq(r.intl_prefix, "011");
    cr_assert_eq(pw_msisdn_rules_set(&r, "39", "", NULL), PW_OK); /* no trunk, default intl */
    cr_assert_str_eq(r.trunk_prefix, "");
    cr_assert_str_eq(r.intl_prefix, "00");
    cr_assert_eq(pw_msisdn_rules_set(&r, NULL, NULL, NULL), PW_OK);
    cr_assert_str_eq(r.country_code, "");
    cr_assert_str_eq(r.trunk_prefix, "0");
    cr_assert_eq(pw_msisdn_rules_set(&r, "358", "0", "00"), PW_OK);

    pw_msisdn_rules_t before = r;
    const char *bad_cc[] = { "0", "044", "1234", "4a", "+44", " 44" };
    for (size_t i = 0; i < sizeof bad_cc / sizeof bad_cc[0]; i++)
        cr_assert_eq(pw_msisdn_rules_set(&r, bad_cc[i], "0", "00"), PW_EINVAL, "cc %s", bad_cc[i]);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "0000", "00"), PW_EINVAL);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "x", "00"), PW_EINVAL);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "0", ""), PW_EINVAL);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "0", "00000"), PW_EINVAL);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "00", "0"), PW_EINVAL); /* intl prefixes trunk */
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "0", "0"), PW_EINVAL);
    cr_assert_eq(pw_msisdn_rules_set(NULL, "44", "0", "00"), PW_EINVAL);
    cr_assert_eq(memcmp(&r, &before, sizeof r), 0, "rules changed by a failed set");
}

Test(msisdn, canonical_and_human_forms)
{
    expect_ok("+12025550123", NULL, "+12025550123");
    expect_ok("+1 202 555 0123", NULL, "+12025550123");
    expect_ok("+1 (202) 555-0123", NULL, "+12025550123");
    expect_ok("+1(202)555-0123", NULL, "+12025550123");
    expect_ok("+1.202.555.0123", NULL, "+12025550123");
    expect_ok("+1-202-555-0123", NULL, "+12025550123");
    expect_ok("+1 202 - 555 - 0123", NULL, "+12025550123");
    expect_ok("  +12025550123\t", NULL, "+12025550123");
    expect_ok("+44 (0)20 7946 0000", NULL, "+442079460000");
    expect_ok("+44 7700 900001", NULL, "+447700900001");
}

Test(msisdn, international_prefix)
{
    expect_ok("0012025550123", NULL, "+12025550123");
    expect_ok("00 1 202 555 0123", NULL, "+12025550123");
    pw_msisdn_rules_t r = uk();
    expect_ok("0012025550123", &r, "+12025550123");
    pw_msisdn_rules_t us;
    pw_msisdn_rules_init(&us);
    cr_assert_eq(pw_msisdn_rules_set(&us, "1", "1", "011"), PW_OK);
    expect_ok("011 44 7700 900001", &us, "+447700900001");
    expect_ok("1 (202) 555-0123", &us, "+12025550123");
    /* 00 is not the international prefix there, and "0..." is not national either */
    expect_fail("0044770090000", &us, PW_EINVAL);
}

Test(msisdn, national_numbers_need_a_country_code)
{
    pw_msisdn_rules_t r = uk();
    expect_ok("07700900001", &r, "+447700900001");
    expect_ok("07700 900001", &r, "+447700900001");
    expect_ok("(020) 7946 0000", &r, "+442079460000");
    expect_fail("07700900001", NULL, PW_EINVAL);
    pw_msisdn_rules_t none;
    pw_msisdn_rules_init(&none);
    expect_fail("07700900001", &none, PW_EINVAL);
    /* with a country code but without the trunk prefix: refused, not guessed */
    expect_fail("7700900001", &r, PW_EINVAL);
    expect_fail("12025550123", NULL, PW_EINVAL);
    /* a country without trunk prefix: every non-international digit string is national */
    pw_msisdn_rules_t it;
    pw_msisdn_rules_init(&it);
    cr_assert_eq(pw_msisdn_rules_set(&it, "39", "", "00"), PW_OK);
    expect_ok("06 6982 0000", &it, "+390669820000");
}

Test(msisdn, digit_count_boundaries)
{
    expect_ok("+123456789012345", NULL, "+123456789012345"); /* 15 digits */
    expect_fail("+1234567890123456", NULL, PW_EINVAL);      /* 16 digits */
    expect_ok("+12345678", NULL, "+12345678");               /* 8 digits */
    expect_fail("+1234567", NULL, PW_EINVAL);                /* 7 digits: our minimum */
    expect_ok("00123456789012345", NULL, "+123456789012345");
    expect_fail("001234567890123456", NULL, PW_EINVAL);
    pw_msisdn_rules_t r = uk();
    expect_ok("0123456789012", &r, "+44123456789012");   /* 14 */
    expect_ok("01234567890123", &r, "+441234567890123"); /* 15 */
    expect_fail("012345678901234", &r, PW_EINVAL);       /* 16 */
    expect_fail("+" "11111111111111111111111111111111111111111", NULL, PW_EINVAL);
}

Test(msisdn, malformed)
{
    const char *bad[] = {
        "", " ", "+", "++12025550123", "+0012025550123", "+02025550123", "1+2025550123",
        "+1202555012a", "+1 202 555 0123x", "tel:+12025550123", "+1--202-555-0123",
        "+1 -. 202", "+1 (202 555 0123", "+1 202) 555 0123", "+1 () 2025550123",
        "+1 ((202)) 5550123", "+1 ( 202) 5550123", "+1 (202 ) 5550123", "+ 12025550123",
        "+-12025550123", "-12025550123", "+12025550123-", "+12025550123.", "+1\t2025550123",
        "+1_202_555_0123", "+1/202/555/0123", "+12025550123\n", "0", "00", "0012",
        "+1 202 555 0123 ext 5", "\xef\xbc\x8b" "12025550123",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_fail(bad[i], NULL, PW_EINVAL);
    expect_fail(NULL, NULL, PW_EINVAL);
    cr_assert_eq(pw_msisdn_normalize("+12025550123", NULL, NULL), PW_EINVAL);
}

Test(msisdn, input_length_limit)
{
    /* 64 bytes is looked at (and is a fine number with padding); 65 is PW_ERANGE */
    char in[80];
    memset(in, ' ', sizeof in);
    memcpy(in, "+12025550123", 12);
    in[64] = '\0';
    expect_ok(in, NULL, "+12025550123");
    in[64] = ' ';
    in[65] = '\0';
    expect_fail(in, NULL, PW_ERANGE);
}

Test(msisdn, never_reads_past_nul)
{
    /* the number sits at the very end of an exactly-sized heap block: ASan/valgrind would
     * flag any read past its NUL */
    const char *cases[] = { "+12025550123", "+1 (202", "00", "+", "+1234567890123456" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i]) + 1;
        char *p = malloc(n);
        cr_assert_not_null(p);
        memcpy(p, cases[i], n);
        char out[PW_MSISDN_MAX + 1];
        (void)pw_msisdn_normalize(p, NULL, out);
        (void)pw_msisdn_is_e164(p);
        free(p);
    }
}

Test(msisdn, is_e164_strict)
{
    cr_assert(pw_msisdn_is_e164("+12025550123"));
    cr_assert(pw_msisdn_is_e164("+12345678"));
    cr_assert(pw_msisdn_is_e164("+123456789012345"));
    const char *bad[] = { NULL, "", "+", "12025550123", "+02025550123", "+1234567",
                          "+1234567890123456", "+1 2025550123", "+12025550123 ", "+1202555012a",
                          "++12025550123", "+1(202)5550123", "+12345678901234567890123" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(pw_msisdn_is_e164(bad[i]), "%s", bad[i] ? bad[i] : "(null)");
}

Test(msisdn, enum_domain)
{
    char out[128];
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa");
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", ".e164.arpa.", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa");
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa.", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa");
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", ".e164.arpa", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa");
    cr_assert_eq(pw_msisdn_enum_domain("+447700900001", "enum.infra.example", out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "1.0.0.0.0.9.0.0.7.7.4.4.enum.infra.example");
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", NULL, out, sizeof out), PW_OK);
    cr_assert_str_eq(out, "3.2.1.0.5.5.5.2.0.2.1.e164.arpa");
}

Test(msisdn, enum_domain_capacity)
{
    const char *want = "3.2.1.0.5.5.5.2.0.2.1.e164.arpa";
    size_t exact = strlen(want) + 1;
    char out[64];
    memset(out, 'x', sizeof out);
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa", out, exact), PW_OK);
    cr_assert_str_eq(out, want);
    memset(out, 'x', sizeof out);
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa", out, exact - 1), PW_ERANGE);
    cr_assert_str_eq(out, "");
    cr_assert_eq(out[exact - 1], 'x', "wrote past the capacity");
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa", out, 0), PW_ERANGE);
}

Test(msisdn, enum_domain_rejects)
{
    char out[512];
    cr_assert_eq(pw_msisdn_enum_domain("12025550123", "e164.arpa", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_msisdn_enum_domain("+1 202 555 0123", "e164.arpa", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_msisdn_enum_domain(NULL, "e164.arpa", out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa", NULL, 10), PW_EINVAL);
    const char *bad[] = { "", ".", "..", "e164..arpa", "e164 arpa", "e164.arpa\n", "..e164.arpa",
                          "e164.arpa.." };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(pw_msisdn_enum_domain("+12025550123", bad[i], out, sizeof out), PW_EINVAL,
                     "suffix \"%s\"", bad[i]);
    /* 253 bytes of suffix is fine, 254 is not */
    char suffix[260];
    memset(suffix, 'a', sizeof suffix);
    for (size_t i = 63; i < 253; i += 64)
        suffix[i] = '.';
    suffix[253] = '\0';
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", suffix, out, sizeof out), PW_OK);
    cr_assert_eq(strlen(out), 22 + 253);
    suffix[253] = 'a';
    suffix[254] = '\0';
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", suffix, out, sizeof out), PW_EINVAL);
}
