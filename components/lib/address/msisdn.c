/* msisdn.c: E.164 number normalisation (ITU-T E.164 §6) and ENUM domains (RFC 6116 §2.4). */
#include "address/pw_msisdn.h"

#include <string.h>

/* Most digits kept while reading human input: international prefix (4) + 15, with room. */
#define MSISDN_SCAN_DIGITS 32

/* Longest ENUM suffix, without leading/trailing dot (a DNS name of 253 bytes). */
#define ENUM_SUFFIX_MAX 253

static const char default_trunk[] = "0";
static const char default_intl[] = "00";

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 if s is lo..hi digits and nothing else (NULL is never valid). */
static int digits_only(const char *s, size_t lo, size_t hi)
{
    size_t n = 0;
    if (!s)
        return 0;
    while (n <= hi && s[n] != '\0') {
        if (!is_digit(s[n]))
            return 0;
        n++;
    }
    return n >= lo && n <= hi;
}

void pw_msisdn_rules_init(pw_msisdn_rules_t *r)
{
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    memcpy(r->trunk_prefix, default_trunk, sizeof default_trunk);
    memcpy(r->intl_prefix, default_intl, sizeof default_intl);
}

pw_status_t pw_msisdn_rules_set(pw_msisdn_rules_t *r, const char *country_code, const char *trunk,
                                const char *intl)
{
    pw_status_t st = PW_EINVAL;
    pw_msisdn_rules_t n;

    if (!r)
        goto done;
    pw_msisdn_rules_init(&n);
    if (country_code && country_code[0] != '\0') {
        if (!digits_only(country_code, 1, sizeof n.country_code - 1) || country_code[0] == '0')
            goto done;
        strcpy(n.country_code, country_code);
    }
    if (trunk) {
        if (!digits_only(trunk, 0, sizeof n.trunk_prefix - 1))
            goto done;
        strcpy(n.trunk_prefix, trunk);
    }
    if (intl) {
        if (!digits_only(intl, 1, sizeof n.intl_prefix - 1))
            goto done;
        strcpy(n.intl_prefix, intl);
    }
    /* The international prefix is tried first: if it began every trunk-prefixed number,
     * national numbers could never be read. */
    if (n.trunk_prefix[0] != '\0' && strncmp(n.trunk_prefix, n.intl_prefix, strlen(n.intl_prefix)) == 0)
        goto done;
    *r = n;
    st = PW_OK;
done:
    return st;
}

/* What the previous character of the number was, for the separator rules. */
enum scan_prev { PREV_START, PREV_DIGIT, PREV_SPACE, PREV_PUNCT, PREV_OPEN, PREV_CLOSE };

/*
 * Read the digits of a human-written number (blanks already trimmed): an optional '+', then
 * digits with separators between them: spaces, at most one '-' or '.' per gap, and one level
 * of non-empty parentheses. When there is a '+' and a parenthesised group equals the trunk
 * prefix after the country code ("+44 (0)20 ..."), that group is dropped.
 */
static pw_status_t scan_number(const char *s, size_t len, const char *trunk, int *plus,
                               char *digits, size_t *ndigits)
{
    enum scan_prev prev = PREV_START;
    int in_paren = 0, gap_punct = 0;
    size_t n = 0, paren_start = 0, i = 0;

    *plus = 0;
    if (len > 0 && s[0] == '+') {
        *plus = 1;
        i = 1;
    }
    for (; i < len; i++) {
        char c = s[i];
        if (is_digit(c)) {
            if (n >= MSISDN_SCAN_DIGITS)
                return PW_EINVAL;
            digits[n++] = c;
            prev = PREV_DIGIT;
            gap_punct = 0;
        } else if (c == ' ') {
            if (prev == PREV_START || prev == PREV_OPEN)
                return PW_EINVAL;
            prev = PREV_SPACE;
        } else if (c == '-' || c == '.') {
            if ((prev != PREV_DIGIT && prev != PREV_CLOSE && prev != PREV_SPACE) || gap_punct)
                return PW_EINVAL;
            gap_punct = 1;
            prev = PREV_PUNCT;
        } else if (c == '(') {
            if (in_paren || (prev != PREV_START && prev != PREV_DIGIT && prev != PREV_SPACE))
                return PW_EINVAL;
            in_paren = 1;
            paren_start = n;
            prev = PREV_OPEN;
        } else if (c == ')') {
            if (!in_paren || prev != PREV_DIGIT)
                return PW_EINVAL;
            in_paren = 0;
            size_t glen = n - paren_start;
            if (*plus && paren_start > 0 && trunk[0] != '\0' && glen == strlen(trunk) &&
                memcmp(digits + paren_start, trunk, glen) == 0)
                n = paren_start;
            prev = PREV_CLOSE;
        } else {
            return PW_EINVAL;
        }
    }
    if (in_paren || (prev != PREV_DIGIT && prev != PREV_CLOSE) || n == 0)
        return PW_EINVAL;
    *ndigits = n;
    return PW_OK;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

pw_status_t pw_msisdn_normalize(const char *in, const pw_msisdn_rules_t *rules,
                                char out[PW_MSISDN_MAX + 1])
{
    pw_status_t st = PW_EINVAL;
    pw_msisdn_rules_t defaults;
    char digits[MSISDN_SCAN_DIGITS];
    char number[MSISDN_SCAN_DIGITS + 4]; /* country code + national digits */
    size_t len, ndigits = 0, nlen = 0;
    int plus = 0;

    if (out)
        out[0] = '\0';
    if (!in || !out)
        goto done;
    if (!rules) {
        pw_msisdn_rules_init(&defaults);
        rules = &defaults;
    }
    len = strnlen(in, PW_MSISDN_INPUT_MAX + 1);
    if (len > PW_MSISDN_INPUT_MAX) {
        st = PW_ERANGE;
        goto done;
    }
    while (len > 0 && is_blank(in[0])) {
        in++;
        len--;
    }
    while (len > 0 && is_blank(in[len - 1]))
        len--;
    st = scan_number(in, len, rules->trunk_prefix, &plus, digits, &ndigits);
    if (st != PW_OK)
        goto done;
    st = PW_EINVAL;

    size_t ilen = strlen(rules->intl_prefix), tlen = strlen(rules->trunk_prefix);
    size_t clen = strlen(rules->country_code);
    if (plus) {
        memcpy(number, digits, ndigits);
        nlen = ndigits;
    } else if (ilen > 0 && ndigits > ilen && memcmp(digits, rules->intl_prefix, ilen) == 0) {
        nlen = ndigits - ilen;
        memcpy(number, digits + ilen, nlen);
    } else if (clen > 0 && ndigits > tlen && memcmp(digits, rules->trunk_prefix, tlen) == 0) {
        memcpy(number, rules->country_code, clen);
        memcpy(number + clen, digits + tlen, ndigits - tlen);
        nlen = clen + ndigits - tlen;
    } else {
        goto done; /* no '+', no international prefix, and not a national number we can read */
    }
    if (nlen < PW_MSISDN_MIN_DIGITS || nlen > PW_MSISDN_MAX - 1 || number[0] == '0')
        goto done;
    out[0] = '+';
    memcpy(out + 1, number, nlen);
    out[nlen + 1] = '\0';
    st = PW_OK;
done:
    return st;
}

int pw_msisdn_is_e164(const char *s)
{
    size_t n = 0;
    if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return 0;
    while (n < PW_MSISDN_MAX && is_digit(s[1 + n]))
        n++;
    return s[1 + n] == '\0' && n >= PW_MSISDN_MIN_DIGITS && n <= PW_MSISDN_MAX - 1;
}

pw_status_t pw_msisdn_enum_domain(const char *e164, const char *suffix, char *out, size_t cap)
{
    pw_status_t st = PW_EINVAL;
    size_t slen, ndigits, need;

    if (out && cap > 0)
        out[0] = '\0';
    if (!out || !pw_msisdn_is_e164(e164))
        goto done;
    if (!suffix)
        suffix = "e164.arpa";
    if (suffix[0] == '.')
        suffix++;
    slen = strnlen(suffix, ENUM_SUFFIX_MAX + 2);
    if (slen > 0 && suffix[slen - 1] == '.')
        slen--;
    if (slen == 0 || slen > ENUM_SUFFIX_MAX || suffix[slen - 1] == '.')
        goto done;
    for (size_t i = 0; i < slen; i++) {
        unsigned char c = (unsigned char)suffix[i];
        if (c <= 0x20 || c == 0x7f || (c == '.' && (i == 0 || suffix[i - 1] == '.')))
            goto done;
    }
    ndigits = strlen(e164) - 1;
    need = 2 * ndigits + slen + 1;
    if (cap < need) {
        st = PW_ERANGE;
        goto done;
    }
    for (size_t i = 0; i < ndigits; i++) {
        out[2 * i] = e164[ndigits - i];
        out[2 * i + 1] = '.';
    }
    memcpy(out + 2 * ndigits, suffix, slen);
    out[2 * ndigits + slen] = '\0';
    st = PW_OK;
done:
    return st;
}
