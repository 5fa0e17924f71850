/* test_address.c: unit tests for presentity addresses (numbers and XEP-0106-escaped JIDs). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "address/pw_address.h"

static pw_msisdn_rules_t uk(void)
{
    pw_msisdn_rules_t r;
    pw_msisdn_rules_init(&r);
    cr_assert_eq(pw_msisdn_rules_set(&r, "44", "0", "00"), PW_OK);
    return r;
}

/* text parses (with rules) as an address of this kind with these parts ("" for the parts it has not). */
static void expect_address(const char *text, const pw_msisdn_rules_t *rules, pw_address_kind_t kind,
                           const char *msisdn, const char *jid, const char *domain)
{
    pw_address_t a;
    pw_status_t st = pw_address_parse(text, rules, &a);
    cr_assert_eq(st, PW_OK, "\"%s\": status %d", text, st);
    cr_assert_eq(a.kind, kind, "\"%s\"", text);
    cr_assert_str_eq(a.msisdn, msisdn, "\"%s\"", text);
    cr_assert_str_eq(a.jid, jid, "\"%s\"", text);
    cr_assert_str_eq(a.domain, domain, "\"%s\"", text);
}

static void expect_number(const char *text, const pw_msisdn_rules_t *rules, const char *want)
{
    expect_address(text, rules, PW_ADDRESS_MSISDN, want, "", "");
}

static void expect_jid(const char *text, const char *jid, const char *domain)
{
    expect_address(text, NULL, PW_ADDRESS_JID, "", jid, domain);
}

static void expect_parse_fail(const char *text, const pw_msisdn_rules_t *rules, pw_status_t want)
{
    pw_address_t a;
    memset(&a, 'x', sizeof a);
    pw_status_t st = pw_address_parse(text, rules, &a);
    cr_assert_eq(st, want, "\"%s\": status %d, want %d", text ? text : "(null)", st, want);
    cr_assert_str_eq(a.msisdn, "");
    cr_assert_str_eq(a.jid, "");
    cr_assert_str_eq(a.domain, "");
}

Test(address, parse_numbers)
{
    pw_msisdn_rules_t r = uk();
    expect_number("+12025550123", NULL, "+12025550123");
    expect_number("+1 (202) 555-0123", NULL, "+12025550123");
    expect_number("0012025550123", NULL, "+12025550123");
    expect_number("07700900001", &r, "+447700900001");
    expect_number("(020) 7946 0000", &r, "+442079460000");
    expect_parse_fail("07700900001", NULL, PW_EINVAL);
    expect_parse_fail("+1202555", NULL, PW_EINVAL);
    expect_parse_fail("+1234567890123456", NULL, PW_EINVAL);
    /* numbers win when the text starts with '+' or a digit ... */
    expect_parse_fail("+1 202 555 0123 x", NULL, PW_EINVAL);
    expect_parse_fail("12025550123", NULL, PW_EINVAL);
    /* ... but text that cannot be a number and holds '@' or '\' is still a JID */
    expect_jid("1bob@opb.example", "1bob@opb.example", "opb.example");
    expect_jid("+447700900001@opb.example", "+447700900001@opb.example", "opb.example");
    expect_jid("+447700900001\\40OPB.example", "+447700900001@opb.example", "opb.example");
    expect_jid("42\\40opb.example", "42@opb.example", "opb.example");
    expect_parse_fail("+bob@opb..example", NULL, PW_EINVAL);
    expect_parse_fail("1\\40", NULL, PW_EINVAL);
}

Test(address, parse_jids)
{
    expect_jid("bob\\40opb.example", "bob@opb.example", "opb.example");
    expect_jid("bob\\40OPB.Example.", "bob@opb.example", "opb.example");
    expect_jid("bob@opb.example", "bob@opb.example", "opb.example");
    expect_jid("bob@OPB.example", "bob@opb.example", "opb.example");
    /* a JID whose localpart is itself escaped (d'artagnan) survives both ways */
    expect_jid("d\\5c27artagnan\\40gascon.fr", "d\\27artagnan@gascon.fr", "gascon.fr");
    expect_jid("d\\27artagnan@gascon.fr", "d\\27artagnan@gascon.fr", "gascon.fr");
    expect_jid("j\xc3\xbcrgen\\40m\xc3\xbcnchen.example", "j\xc3\xbcrgen@m\xc3\xbcnchen.example",
               "m\xc3\xbcnchen.example");
}

Test(address, parse_rejects)
{
    const char *bad[] = {
        "", "bob", "opb.example", "bob\\40opb.example/res", "bob@opb.example/res",
        "\\40opb.example", "bob\\40", "@opb.example", "bob@", "d'artagnan@gascon.fr",
        "bob\\40opb\\40example", "bob@opb@example", "bob\\20smith\\40opb.example",
        "bob\\40opb example", " bob@opb.example", "bob@opb..example", "bob\\2fx\\40opb.example",
        "tel:+12025550123",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_parse_fail(bad[i], NULL, PW_EINVAL);
    expect_parse_fail(NULL, NULL, PW_EINVAL);
    cr_assert_eq(pw_address_parse("+12025550123", NULL, NULL), PW_EINVAL);
}

Test(address, parse_lengths)
{
    static char text[4096], local[PW_JID_PART_MAX + 2];
    /* a bare JID with a 1023-byte localpart is fine, 1024 is not */
    memset(local, 'a', 1023);
    local[1023] = '\0';
    snprintf(text, sizeof text, "%s@opb.example", local);
    pw_address_t a;
    cr_assert_eq(pw_address_parse(text, NULL, &a), PW_OK);
    cr_assert_eq(strlen(a.jid), 1023 + 12);
    snprintf(text, sizeof text, "%sa@opb.example", local);
    expect_parse_fail(text, NULL, PW_ERANGE);
    /* text over PW_JID_MAX */
    memset(text, 'a', PW_JID_MAX + 1);
    text[PW_JID_MAX + 1] = '\0';
    expect_parse_fail(text, NULL, PW_ERANGE);
    /* an escaped node over 1023 bytes */
    memset(text, 'a', 1024);
    text[1024] = '\0';
    expect_parse_fail(text, NULL, PW_ERANGE);
}

Test(address, from_contact_jid)
{
    pw_address_t a;
    const char *wa = "watcher.opa.example";
    cr_assert_eq(pw_address_from_contact_jid("+12025550123@watcher.opa.example", wa, NULL, &a), PW_OK);
    cr_assert_eq(a.kind, PW_ADDRESS_MSISDN);
    cr_assert_str_eq(a.msisdn, "+12025550123");

    /* resource ignored, domain compared case-insensitively and without trailing dot */
    cr_assert_eq(pw_address_from_contact_jid("+12025550123@Watcher.OPA.example./phone", wa, NULL, &a),
                 PW_OK);
    cr_assert_str_eq(a.msisdn, "+12025550123");
    cr_assert_eq(pw_address_from_contact_jid("+12025550123@watcher.opa.example", "WATCHER.opa.example.",
                                             NULL, &a),
                 PW_OK);

    cr_assert_eq(pw_address_from_contact_jid("bob\\40opb.example@watcher.opa.example", wa, NULL, &a),
                 PW_OK);
    cr_assert_eq(a.kind, PW_ADDRESS_JID);
    cr_assert_str_eq(a.jid, "bob@opb.example");
    cr_assert_str_eq(a.domain, "opb.example");

    pw_msisdn_rules_t r = uk();
    cr_assert_eq(pw_address_from_contact_jid("07700900001@watcher.opa.example", wa, &r, &a), PW_OK);
    cr_assert_str_eq(a.msisdn, "+447700900001");
}

Test(address, from_contact_jid_rejects)
{
    pw_address_t a;
    const char *wa = "watcher.opa.example";
    const char *bad[] = {
        "+12025550123@watcher.opb.example", "+12025550123@opa.example",
        "+12025550123@watcher.opa.example.com", "watcher.opa.example",
        "watcher.opa.example/+12025550123", "bob@watcher.opa.example",
        "+1202@watcher.opa.example", "@watcher.opa.example", "a b@watcher.opa.example",
        "bob\\40opb.example\\2fr@watcher.opa.example", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&a, 'x', sizeof a);
        cr_assert_eq(pw_address_from_contact_jid(bad[i], wa, NULL, &a), PW_EINVAL, "%s", bad[i]);
        cr_assert_str_eq(a.msisdn, "");
        cr_assert_str_eq(a.jid, "");
    }
    const char *bad_wa[] = { "x@watcher.opa.example", "watcher.opa.example/r", "", "a b" };
    for (size_t i = 0; i < sizeof bad_wa / sizeof bad_wa[0]; i++)
        cr_assert_eq(pw_address_from_contact_jid("+12025550123@watcher.opa.example", bad_wa[i],
                                                 NULL, &a),
                     PW_EINVAL, "wa %s", bad_wa[i]);
    cr_assert_eq(pw_address_from_contact_jid(NULL, wa, NULL, &a), PW_EINVAL);
    cr_assert_eq(pw_address_from_contact_jid("+12025550123@watcher.opa.example", NULL, NULL, &a),
                 PW_EINVAL);
    cr_assert_eq(pw_address_from_contact_jid("+12025550123@watcher.opa.example", wa, NULL, NULL),
                 PW_EINVAL);
}

Test(address, to_node_and_round_trip)
{
    const char *texts[] = { "+12025550123", "bob\\40opb.example", "bob@opb.example",
                            "d\\27artagnan@gascon.fr", "+447700900001", "x\\5cy@opb.example",
                            "+447700900001@opb.example" };
    const char *nodes[] = { "+12025550123", "bob\\40opb.example", "bob\\40opb.example",
                            "d\\5c27artagnan\\40gascon.fr", "+447700900001",
                            "x\\5c5cy\\40opb.example", "+447700900001\\40opb.example" };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        pw_address_t a, b;
        char node[PW_JID_PART_MAX + 1], contact[PW_JID_MAX + 1];
        cr_assert_eq(pw_address_parse(texts[i], NULL, &a), PW_OK, "%s", texts[i]);
        cr_assert_eq(pw_address_to_node(&a, node, sizeof node), PW_OK, "%s", texts[i]);
        cr_assert_str_eq(node, nodes[i]);
        /* the node, as a contact JID at the WA, gives the same address back */
        snprintf(contact, sizeof contact, "%s@watcher.opa.example", node);
        cr_assert_eq(pw_address_from_contact_jid(contact, "watcher.opa.example", NULL, &b), PW_OK,
                     "%s", contact);
        cr_assert_eq(b.kind, a.kind);
        cr_assert_str_eq(b.msisdn, a.msisdn);
        cr_assert_str_eq(b.jid, a.jid);
        cr_assert_str_eq(b.domain, a.domain);
    }
}

Test(address, to_node_capacity_and_rejects)
{
    pw_address_t a;
    char out[64];
    cr_assert_eq(pw_address_parse("+12025550123", NULL, &a), PW_OK);
    cr_assert_eq(pw_address_to_node(&a, out, 13), PW_OK); /* exactly fits */
    cr_assert_str_eq(out, "+12025550123");
    memset(out, 'x', sizeof out);
    cr_assert_eq(pw_address_to_node(&a, out, 12), PW_ERANGE);
    cr_assert_str_eq(out, "");

    cr_assert_eq(pw_address_parse("bob@opb.example", NULL, &a), PW_OK);
    cr_assert_eq(pw_address_to_node(&a, out, 18), PW_OK); /* "bob\40opb.example" is 17 */
    cr_assert_str_eq(out, "bob\\40opb.example");
    cr_assert_eq(pw_address_to_node(&a, out, 17), PW_ERANGE);

    /* a JID whose escaped node would exceed 1023 bytes */
    static char text[2048];
    char node[PW_JID_PART_MAX + 1];
    memset(text, 'a', 1020);
    strcpy(text + 1020, "@opb.example");
    cr_assert_eq(pw_address_parse(text, NULL, &a), PW_OK);
    cr_assert_eq(pw_address_to_node(&a, node, sizeof node), PW_ERANGE);

    /* inconsistent addresses */
    memset(&a, 0, sizeof a);
    a.kind = PW_ADDRESS_MSISDN;
    strcpy(a.msisdn, "12345");
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_EINVAL);
    a.kind = PW_ADDRESS_JID;
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_EINVAL); /* jid "" */
    strcpy(a.jid, "opb.example");
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_EINVAL); /* no localpart */
    strcpy(a.jid, "bob@opb.example/r");
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_EINVAL); /* resource */
    a.kind = (pw_address_kind_t)42;
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_address_to_node(NULL, out, sizeof out), PW_EINVAL);
    cr_assert_eq(pw_address_to_node(&a, NULL, 0), PW_EINVAL);
    /* garbage that is not NUL-terminated is refused without reading past the struct */
    memset(&a, 'x', sizeof a);
    a.kind = PW_ADDRESS_JID;
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_ERANGE);
    a.kind = PW_ADDRESS_MSISDN;
    cr_assert_eq(pw_address_to_node(&a, out, sizeof out), PW_EINVAL);
}
