/* enum.c: ENUM NAPTR processing: rule order, terminal "u" rules, E2U+xmpp / E2U+sip, regexp rewriting.
 *
 * Implements: RFC 6116 §2.1 (the Application Unique String is the E.164 number with its '+'),
 * §2.4.1 (the "u" flag: a terminal rule whose output is a URI), §2.4.2 (the "E2U+<enumservice>"
 * services field); RFC 3403 §4.1 (NAPTR Order and Preference: lowest first); RFC 3402 §3.2
 * (the substitution expression "delim-char ERE delim-char repl delim-char *flags", with
 * backreferences \1-\9, escaped delimiters and the "i" flag).
 */
#include "dns/pw_enum.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_msisdn.h"

#define SUBST_PART_MAX 512 /* one part (ERE or replacement) of a NAPTR regexp field */
#define MAX_GROUPS 10      /* whole match + \1..\9 */

static int is_pos_digit(char c)
{
    return c >= '1' && c <= '9';
}

/* Split "dEREdREPLd[i]" into its parts. Escaped delimiters in the ERE lose their backslash;
 * the replacement is kept raw (expanded later). Returns 0 or -1 (malformed or too long). */
static int split_subst(const char *expr, char *ere, char *repl, int *icase)
{
    char delim = expr[0];
    const char *p = expr + 1;
    char *parts[2] = { ere, repl };

    if (delim == '\0' || delim == '\\' || delim == 'i' || is_pos_digit(delim))
        return -1;
    for (int k = 0; k < 2; k++) {
        size_t o = 0;
        for (;;) {
            if (*p == '\0')
                return -1;
            if (*p == delim)
                break;
            if (*p == '\\' && p[1] != '\0') {
                if (k == 0 && p[1] == delim) { /* "\d" in the ERE is the delimiter itself */
                    p++;
                } else {
                    if (o + 1 >= SUBST_PART_MAX)
                        return -1;
                    parts[k][o++] = *p++;
                }
            }
            if (o + 1 >= SUBST_PART_MAX)
                return -1;
            parts[k][o++] = *p++;
        }
        parts[k][o] = '\0';
        p++; /* the delimiter */
    }
    if (*p == '\0')
        *icase = 0;
    else if ((p[0] == 'i' || p[0] == 'I') && p[1] == '\0')
        *icase = 1;
    else
        return -1;
    return 0;
}

/* Append n bytes to out[*o]; -1 when it does not fit (NUL included). */
static int append(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
    if (n >= cap - *o)
        return -1;
    memcpy(out + *o, s, n);
    *o += n;
    out[*o] = '\0';
    return 0;
}

/*
 * A regexp from DNS is untrusted: glibc's regcomp() needs time and memory exponential in
 * stacked or nested repetition ("a+++++…", "(.{1,99}){1,99}"), so a hostile ENUM zone could
 * exhaust the proxy. ENUM rules in use are simple ("^.*$", "^\\+(.*)$", "^(202)?[0-9]{7}$"),
 * so accept only patterns where a repetition operator (* + ? {m,n}) follows a single atom or
 * a parenthesised group that holds no repetition itself, interval bounds are at most 255, and
 * groups nest at most 8 deep.
 * @return 1 when the pattern is acceptable
 */
#define ERE_MAX_DEPTH 8
static int ere_is_tame(const char *ere)
{
    int has_quant[ERE_MAX_DEPTH + 1] = { 0 }; /* per open group: a repetition inside */
    int depth = 0, can_repeat = 0, in_bracket = 0;
    for (const char *p = ere; *p; p++) {
        int quant = 0;
        if (in_bracket) {
            if (*p == ']')
                in_bracket = 0;
            continue;
        }
        switch (*p) {
        case '\\':
            if (!p[1])
                return 0;
            p++;
            can_repeat = 1;
            break;
        case '[':
            in_bracket = 1;
            if (p[1] == '^')
                p++;
            if (p[1] == ']')
                p++;
            can_repeat = 1;
            break;
        case '(':
            if (depth == ERE_MAX_DEPTH)
                return 0;
            has_quant[++depth] = 0;
            can_repeat = 0;
            break;
        case ')':
            if (depth == 0)
                return 0;
            /* a group may be repeated only when nothing inside it repeats */
            can_repeat = !has_quant[depth];
            depth--;
            break;
        case '*':
        case '+':
        case '?':
            quant = 1;
            break;
        case '{': {
            char *q;
            unsigned long lo, hi;
            if (!isdigit((unsigned char)p[1]))
                return 0;
            lo = strtoul(p + 1, &q, 10);
            hi = lo;
            if (*q == ',') {
                q++;
                if (*q == '}')
                    hi = 255;
                else if (isdigit((unsigned char)*q))
                    hi = strtoul(q, &q, 10);
                else
                    return 0;
            }
            if (*q != '}' || lo > 255 || hi > 255 || hi < lo)
                return 0;
            p = q;
            quant = 1;
            break;
        }
        case '^':
        case '$':
        case '|':
            can_repeat = 0;
            break;
        default:
            can_repeat = 1;
            break;
        }
        if (quant) {
            if (!can_repeat)
                return 0;
            for (int d = 1; d <= depth; d++)
                has_quant[d] = 1;
            can_repeat = 0;
        }
    }
    return !in_bracket && depth == 0;
}

pw_status_t pw_enum_apply_regexp(const char *regexp, const char *input, char *out, size_t cap)
{
    pw_status_t st = PW_EINVAL;
    char ere[SUBST_PART_MAX], repl[SUBST_PART_MAX];
    regex_t re;
    int compiled = 0, icase = 0;
    regmatch_t m[MAX_GROUPS];
    size_t o = 0;

    if (out && cap > 0)
        out[0] = '\0';
    if (!regexp || !input || !out || cap == 0)
        goto done;
    if (strnlen(regexp, SUBST_PART_MAX * 2) >= SUBST_PART_MAX * 2)
        goto done;
    if (split_subst(regexp, ere, repl, &icase) != 0)
        goto done;
    if (!ere_is_tame(ere) || regcomp(&re, ere, REG_EXTENDED | (icase ? REG_ICASE : 0)) != 0)
        goto done;
    compiled = 1;
    st = PW_ENOTFOUND;
    if (regexec(&re, input, MAX_GROUPS, m, 0) != 0)
        goto done;
    st = PW_ERANGE;
    for (const char *p = repl; *p != '\0'; p++) {
        if (*p == '\\' && is_pos_digit(p[1])) {
            size_t g = (size_t)(p[1] - '0');
            p++;
            if (g > re.re_nsub) {
                st = PW_EINVAL;
                goto fail;
            }
            if (m[g].rm_so >= 0 &&
                append(out, cap, &o, input + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so)) != 0)
                goto fail;
            continue;
        }
        if (*p == '\\' && p[1] != '\0') /* "\\", "\<delim>" and any other escape: the character */
            p++;
        if (append(out, cap, &o, p, 1) != 0)
            goto fail;
    }
    st = PW_OK;
    goto done;
fail:
    out[0] = '\0';
done:
    if (compiled)
        regfree(&re);
    return st;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

pw_status_t pw_enum_uri_domain(const char *uri, char *domain, size_t cap)
{
    pw_status_t st = PW_EINVAL;
    const char *rest, *host, *at = NULL;
    size_t scheme_len, path_end, host_len, label = 0;
    int last_label_numeric = 1;

    if (domain && cap > 0)
        domain[0] = '\0';
    if (!uri || !domain || cap == 0)
        goto done;
    scheme_len = strcspn(uri, ":");
    if (scheme_len == 0 || uri[scheme_len] != ':' || scheme_len > 32)
        goto done;
    for (size_t i = 0; i < scheme_len; i++) {
        char c = lower(uri[i]);
        if (!((c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
                                                   c == '-' || c == '.'))))
            goto done;
    }
    rest = uri + scheme_len + 1;
    path_end = strcspn(rest, "?/");
    for (size_t i = 0; i < path_end; i++) {
        if (rest[i] == '@')
            at = rest + i;
    }
    host = at ? at + 1 : rest;
    host_len = strcspn(host, ";:?/>");
    if (host_len > 0 && host[host_len - 1] == '.')
        host_len--;
    if (host_len == 0 || host_len > PW_ENUM_DOMAIN_MAX)
        goto done;
    for (size_t i = 0; i < host_len; i++) {
        char c = lower(host[i]);
        if (c == '.') {
            if (label == 0)
                goto done;
            label = 0;
            last_label_numeric = 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            goto done;
        if (!(c >= '0' && c <= '9'))
            last_label_numeric = 0;
        if (++label > 63)
            goto done;
    }
    if (label == 0 || last_label_numeric) /* empty last label, or an IPv4 literal */
        goto done;
    st = PW_ERANGE;
    if (host_len >= cap)
        goto done;
    for (size_t i = 0; i < host_len; i++)
        domain[i] = lower(host[i]);
    domain[host_len] = '\0';
    st = PW_OK;
done:
    return st;
}

/* 1 for "E2U" + one or more "+enumservice" where one of them is plain "xmpp" or "sip". */
static int service_ok(const char *service)
{
    const char *p;
    int found = 0;

    if (strncasecmp(service, "E2U", 3) != 0 || service[3] != '+')
        return 0;
    p = service + 3;
    while (*p == '+') {
        size_t len = strcspn(p + 1, "+");
        if (len == 0)
            return 0;
        if ((len == 4 && strncasecmp(p + 1, "xmpp", 4) == 0) ||
            (len == 3 && strncasecmp(p + 1, "sip", 3) == 0))
            found = 1;
        p += 1 + len;
    }
    return *p == '\0' && found;
}

/* Index of the next record after (order, preference, index) = prev in sort order, or n. */
static size_t next_record(const pw_naptr_t *rrs, size_t n, size_t prev, int first)
{
    size_t best = n;
    for (size_t i = 0; i < n; i++) {
        if (!first) {
            const pw_naptr_t *a = &rrs[i], *b = &rrs[prev];
            if (a->order < b->order || (a->order == b->order && (a->preference < b->preference ||
                (a->preference == b->preference && i <= prev))))
                continue; /* at or before prev */
        }
        if (best == n || rrs[i].order < rrs[best].order ||
            (rrs[i].order == rrs[best].order && rrs[i].preference < rrs[best].preference))
            best = i;
    }
    return best;
}

pw_status_t pw_enum_domain_for(const char *e164, const pw_naptr_t *rrs, size_t n, char *domain,
                               size_t cap, char *uri, size_t ucap)
{
    pw_status_t st = PW_EINVAL;
    char out[PW_ENUM_URI_MAX + 1];
    char host[PW_ENUM_DOMAIN_MAX + 1];

    if (domain && cap > 0)
        domain[0] = '\0';
    if (uri && ucap > 0)
        uri[0] = '\0';
    if (!domain || cap == 0 || (uri && ucap == 0) || !pw_msisdn_is_e164(e164) || (n > 0 && !rrs))
        goto done;
    st = PW_ENOTFOUND;
    for (size_t k = 0, i = next_record(rrs, n, 0, 1); k < n && i < n;
         k++, i = next_record(rrs, n, i, 0)) {
        const pw_naptr_t *rr = &rrs[i];
        if (strnlen(rr->flags, sizeof rr->flags) != 1 || lower(rr->flags[0]) != 'u')
            continue;
        if (strnlen(rr->service, sizeof rr->service) == sizeof rr->service ||
            !service_ok(rr->service))
            continue;
        if (strnlen(rr->regexp, sizeof rr->regexp) == sizeof rr->regexp ||
            pw_enum_apply_regexp(rr->regexp, e164, out, sizeof out) != PW_OK)
            continue;
        if (pw_enum_uri_domain(out, host, sizeof host) != PW_OK)
            continue;
        st = PW_ERANGE;
        if (strlen(host) >= cap || (uri && strlen(out) >= ucap))
            goto done;
        memcpy(domain, host, strlen(host) + 1);
        if (uri)
            memcpy(uri, out, strlen(out) + 1);
        st = PW_OK;
        goto done;
    }
done:
    return st;
}
