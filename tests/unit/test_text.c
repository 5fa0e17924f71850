/* test_text.c: hex digits and ASCII case folding (core/pw_text). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/pw_text.h"

Test(text, hexval_of_every_character)
{
    for (int c = -128; c < 128; c++) {
        int want = -1;
        if (c >= '0' && c <= '9')
            want = c - '0';
        else if (c >= 'a' && c <= 'f')
            want = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            want = c - 'A' + 10;
        cr_assert_eq(pw_text_hexval((char)c), want, "character %d", c);
    }
}

Test(text, hexval_classes)
{
    cr_assert_eq(pw_text_hexval('0'), 0);
    cr_assert_eq(pw_text_hexval('9'), 9);
    cr_assert_eq(pw_text_hexval('a'), 10);
    cr_assert_eq(pw_text_hexval('f'), 15);
    cr_assert_eq(pw_text_hexval('A'), 10);
    cr_assert_eq(pw_text_hexval('F'), 15);
    cr_assert_eq(pw_text_hexval('g'), -1);
    cr_assert_eq(pw_text_hexval('G'), -1);
    cr_assert_eq(pw_text_hexval('/'), -1); /* '0' - 1 */
    cr_assert_eq(pw_text_hexval(':'), -1); /* '9' + 1 */
    cr_assert_eq(pw_text_hexval('@'), -1); /* 'A' - 1 */
    cr_assert_eq(pw_text_hexval('`'), -1); /* 'a' - 1 */
    cr_assert_eq(pw_text_hexval('\0'), -1);
    cr_assert_eq(pw_text_hexval(' '), -1);
    cr_assert_eq(pw_text_hexval((char)0xC3), -1);
}

Test(text, fold_lowers_ascii_only)
{
    char out[64];
    pw_text_fold("Alice@OPA.Example", out, sizeof out);
    cr_assert_str_eq(out, "alice@opa.example");
    pw_text_fold("@AZ[`az{09-_", out, sizeof out);
    cr_assert_str_eq(out, "@az[`az{09-_", "only A-Z change");
    pw_text_fold("\xC3\x89T\xC3\x89", out, sizeof out);
    cr_assert_str_eq(out, "\xC3\x89t\xC3\x89", "bytes past ASCII are kept");
    pw_text_fold("", out, sizeof out);
    cr_assert_str_eq(out, "");
}

Test(text, fold_truncates_to_cap)
{
    char out[8];
    memset(out, 'x', sizeof out);
    pw_text_fold("ABCDEFGHIJ", out, sizeof out);
    cr_assert_str_eq(out, "abcdefg");
    memset(out, 'x', sizeof out);
    pw_text_fold("ABC", out, 4);
    cr_assert_str_eq(out, "abc", "exactly fits");
    memset(out, 'x', sizeof out);
    pw_text_fold("ABCD", out, 4);
    cr_assert_str_eq(out, "abc");
    cr_assert_eq(out[4], 'x', "nothing written past cap");
}

Test(text, fold_cap_one_gives_empty)
{
    char out[2] = { 'x', 'y' };
    pw_text_fold("ABC", out, 1);
    cr_assert_eq(out[0], '\0');
    cr_assert_eq(out[1], 'y', "nothing written past cap");
}

Test(text, fold_n_folds_exactly_n_bytes)
{
    char out[8];
    memset(out, 'x', sizeof out);
    pw_text_fold_n("OPA.Example", 5, out);
    cr_assert_eq(memcmp(out, "opa.exxx", 8), 0, "five bytes, no NUL");
    pw_text_fold_n("AB\0CD", 5, out);
    cr_assert_eq(memcmp(out, "ab\0cd", 5), 0, "a NUL does not stop it");
    memset(out, 'x', sizeof out);
    pw_text_fold_n("ABC", 0, out);
    cr_assert_eq(out[0], 'x');
    char inplace[] = "@AZ[`az{\xC3\x89";
    pw_text_fold_n(inplace, sizeof inplace - 1, inplace);
    cr_assert_str_eq(inplace, "@az[`az{\xC3\x89", "in place; only A-Z change");
}
