/* pw_msisdn.h: E.164 phone numbers (MSISDNs): normalisation of human forms, strict check, ENUM domain. */
#ifndef PW_MSISDN_H
#define PW_MSISDN_H

#include <stddef.h>

#include "core/pw_status.h"

/** Length of the canonical form: a '+' and at most 15 digits (ITU-T E.164 §6). No NUL. */
#define PW_MSISDN_MAX 16

/** Fewest digits (country code included) accepted in a canonical number; see pw_msisdn_normalize(). */
#define PW_MSISDN_MIN_DIGITS 8

/** Longest text pw_msisdn_normalize() looks at (bytes, without the NUL); longer is PW_ERANGE. */
#define PW_MSISDN_INPUT_MAX 64

/**
 * How national and internationally-dialled numbers are read (DESIGN.md §2). A plain value:
 * initialise with pw_msisdn_rules_init(), change with pw_msisdn_rules_set().
 */
typedef struct pw_msisdn_rules {
    char country_code[4]; /**< 1-3 digits without '+', first digit 1-9 ("44"); "" = none */
    char trunk_prefix[4]; /**< national (trunk) prefix, 0-3 digits; default "0"; "" = none */
    char intl_prefix[5];  /**< international call prefix, 1-4 digits; default "00" */
} pw_msisdn_rules_t;

/**
 * Set the defaults: no country code (national numbers are refused), trunk prefix "0",
 * international prefix "00".
 * @param r the rules to initialise (caller-owned); NULL is a no-op
 */
void pw_msisdn_rules_init(pw_msisdn_rules_t *r);

/**
 * Validate and store rules. On failure @p r is left unchanged.
 * @param r rules (caller-owned), initialised with pw_msisdn_rules_init()
 * @param country_code 1-3 digits, first 1-9, without '+' ("44"); NULL or "" for none
 * @param trunk trunk prefix, 0-3 digits ("" for none); NULL keeps "0"
 * @param intl international prefix, 1-4 digits; NULL keeps "00". The international prefix
 *        must not be a prefix of the trunk prefix (national numbers could not be read)
 * @return PW_OK, or PW_EINVAL for a NULL @p r or a malformed value
 */
pw_status_t pw_msisdn_rules_set(pw_msisdn_rules_t *r, const char *country_code, const char *trunk,
                                const char *intl);

/**
 * Normalise a phone number as a person would type it into the canonical E.164 form
 * "+<digits>".
 *
 * Accepted: "+12025550123"; spaces, '-', '.' and one level of '(' ')' between digits
 * ("+1 202 555 0123", "+1 (202) 555-0123"; at most one '-' or '.' per gap, parentheses
 * non-empty and not nested); after '+' and the country code, a parenthesised trunk prefix
 * is dropped ("+44 (0)20 7946 0000" -> "+442079460000"); leading and trailing blanks; the international
 * prefix instead of '+' ("0012025550123"); and, only when @p rules carry a country code, a
 * national number starting with the trunk prefix ("07700900001" -> "+447700900001" for
 * country code 44, trunk "0"; when the trunk prefix is "" every other digit string is
 * national). A digit string with neither '+', international prefix nor (with a country code)
 * trunk prefix is refused, as is a national number when there is no country code.
 *
 * The result must have a first digit 1-9 and 8 to 15 digits. E.164 caps numbers at 15 digits
 * but sets no minimum; we refuse fewer than 8 digits (PW_MSISDN_MIN_DIGITS) so that short
 * codes, extensions and truncated input are caught. The price is that the few numbering
 * plans with 7-digit international numbers (e.g. Niue +683 and Tokelau +690, 4-digit
 * subscriber numbers) cannot be addressed.
 *
 * Never reads past the NUL of @p in, nor more than PW_MSISDN_INPUT_MAX + 1 bytes of it.
 * @param in the text (caller-owned)
 * @param rules national-number rules, or NULL for the defaults (no country code)
 * @param out receives the canonical number, NUL-terminated; "" on failure
 * @return PW_OK; PW_ERANGE when @p in is longer than PW_MSISDN_INPUT_MAX bytes;
 *         PW_EINVAL for NULL arguments or anything that is not a number as described above
 */
pw_status_t pw_msisdn_normalize(const char *in, const pw_msisdn_rules_t *rules,
                                char out[PW_MSISDN_MAX + 1]);

/**
 * Strict check of the canonical form: '+', a digit 1-9, then digits only, 8 to 15 digits in
 * all, then the NUL. Stops reading at the first byte that cannot belong to such a number.
 * @param s the text, or NULL
 * @return 1 if @p s is canonical, 0 otherwise
 */
int pw_msisdn_is_e164(const char *s);

/**
 * The ENUM domain of a number (RFC 6116 §2.4): the digits reversed, dot-separated, followed
 * by the suffix. "+12025550123", "e164.arpa" -> "3.2.1.0.5.5.5.2.0.2.1.e164.arpa".
 * @param e164 a canonical number (pw_msisdn_is_e164())
 * @param suffix the ENUM tree's domain, with or without a leading and/or trailing dot,
 *        at most 253 bytes without them; NULL means "e164.arpa"
 * @param out caller's buffer, receives the domain without a trailing dot; "" on failure
 * @param cap size of @p out in bytes, NUL included
 * @return PW_OK; PW_EINVAL for a non-canonical number or a malformed suffix (empty, blanks,
 *         control characters, empty labels, over 253 bytes); PW_ERANGE if @p out is too small
 */
pw_status_t pw_msisdn_enum_domain(const char *e164, const char *suffix, char *out, size_t cap);

#endif /* PW_MSISDN_H */
