/* jid.c: JID splitting and checks (RFC 7622 §3, structure only) and XEP-0106 §3-4 JID Escaping. */
#include "address/pw_jid.h"
#include "core/pw_text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The ten XEP-0106 escapes: character and the two lower-case hex digits after the '\'. */
static const struct { char c; char hex[3]; } jid_escapes[] = {
    { ' ', "20" }, { '"', "22" }, { '&', "26" }, { '\'', "27" }, { '/', "2f" },
    { ':', "3a" }, { '<', "3c" }, { '>', "3e" }, { '@', "40" }, { '\\', "5c" },
};
#define JID_NESCAPES (sizeof jid_escapes / sizeof jid_escapes[0])

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are refused).
 */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (avail < n)
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* 1 if s[0..n) is valid UTF-8 without control characters (and, if no_space, without spaces). */
static int text_ok(const char *s, size_t n, int no_space)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq_len(u + i, n - i);
        if (k == 0 || (k == 1 && (is_control(u[i]) || (no_space && u[i] == ' '))))
            return 0;
        i += k;
    }
    return 1;
}

static int local_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\0' && strchr("\"&'/:<>@", s[i]))
            return 0;
    return text_ok(s, n, 1);
}

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Domainpart (trailing dot already removed): labels, or an IP literal "[...]". */
static int domain_ok(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    if (u[0] == '[') {
        if (n < 3 || u[n - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (pw_text_hexval((char)u[i]) < 0 && u[i] != ':' && u[i] != '.')
                return 0;
        return 1;
    }
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        if (u[i] == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (is_alnum(u[i]) || u[i] == '-' || u[i] == '_' || u[i] >= 0x80) {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0 && text_ok(s, n, 1);
}

/* Copy n bytes and a NUL into dst (skipped when dst is NULL), lower-casing ASCII if asked. */
static pw_status_t put_part(char *dst, size_t cap, const char *src, size_t n, int lower)
{
    if (!dst)
        return PW_OK;
    if (cap < n + 1)
        return PW_ERANGE;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        dst[i] = (lower && c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    dst[n] = '\0';
    return PW_OK;
}

static void clear(char *dst, size_t cap)
{
    if (dst && cap > 0)
        dst[0] = '\0';
}

pw_status_t pw_jid_split(const char *jid, char *local, size_t lcap, char *domain, size_t dcap,
                         char *resource, size_t rcap)
{
    pw_status_t st = PW_EINVAL;
    const char *slash, *at, *d, *r = NULL;
    size_t len, head, llen = 0, dlen, rlen = 0;

    if (!jid)
        goto done;
    len = strnlen(jid, PW_JID_MAX + 1);
    if (len > PW_JID_MAX) {
        st = PW_ERANGE;
        goto done;
    }
    slash = memchr(jid, '/', len);
    head = slash ? (size_t)(slash - jid) : len;
    at = memchr(jid, '@', head);
    if (at) {
        llen = (size_t)(at - jid);
        d = at + 1;
        if (llen == 0)
            goto done;
    } else {
        d = jid;
    }
    dlen = head - (size_t)(d - jid);
    if (dlen > 0 && d[dlen - 1] == '.')
        dlen--;
    if (slash) {
        r = slash + 1;
        rlen = len - head - 1;
        if (rlen == 0)
            goto done;
    }
    if (llen > PW_JID_PART_MAX || dlen > PW_JID_PART_MAX || rlen > PW_JID_PART_MAX) {
        st = PW_ERANGE;
        goto done;
    }
    if ((at && !local_ok(jid, llen)) || !domain_ok(d, dlen) || (r && !text_ok(r, rlen, 0)))
        goto done;
    st = put_part(local, lcap, jid, llen, 0);
    if (st == PW_OK)
        st = put_part(domain, dcap, d, dlen, 1);
    if (st == PW_OK)
        st = put_part(resource, rcap, r ? r : "", rlen, 0);
done:
    if (st != PW_OK) {
        clear(local, lcap);
        clear(domain, dcap);
        clear(resource, rcap);
    }
    return st;
}

pw_status_t pw_jid_bare(const char *jid, char *out, size_t cap)
{
    pw_status_t st = PW_EINVAL;
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1];
    size_t llen, dlen, need;

    if (!out)
        goto done;
    st = pw_jid_split(jid, local, sizeof local, domain, sizeof domain, NULL, 0);
    if (st != PW_OK)
        goto done;
    llen = strlen(local);
    dlen = strlen(domain);
    need = (llen ? llen + 1 : 0) + dlen + 1;
    if (cap < need) {
        st = PW_ERANGE;
        goto done;
    }
    if (llen) {
        memcpy(out, local, llen);
        out[llen] = '@';
        memcpy(out + llen + 1, domain, dlen + 1);
    } else {
        memcpy(out, domain, dlen + 1);
    }
done:
    if (st != PW_OK)
        clear(out, cap);
    return st;
}

int pw_jid_is_domain(const char *jid)
{
    if (!jid || pw_jid_split(jid, NULL, 0, NULL, 0, NULL, 0) != PW_OK)
        return 0;
    /* split succeeded, so the string is at most PW_JID_MAX bytes */
    return strchr(jid, '@') == NULL && strchr(jid, '/') == NULL;
}

int pw_jid_is_component(const char *from, char *domain, size_t cap)
{
    char local[PW_JID_PART_MAX + 1], dom[PW_JID_PART_MAX + 1];
    if (!from || pw_jid_split(from, local, sizeof local, dom, sizeof dom, NULL, 0) != PW_OK ||
        local[0])
        return 0;
    if (domain && snprintf(domain, cap, "%s", dom) >= (int)cap)
        return 0;
    return 1;
}

int pw_jid_is_named_component(const char *from, char *const *names, size_t n)
{
    char domain[PW_JID_PART_MAX + 1];
    if (!pw_jid_is_component(from, domain, sizeof domain))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (names[i] && strcasecmp(domain, names[i]) == 0)
            return 1;
    }
    return 0;
}

pw_status_t pw_jid_domain(const char *jid, char *out, size_t cap)
{
    if (!out)
        return PW_EINVAL;
    return pw_jid_split(jid, NULL, 0, out, cap, NULL, 0);
}

/* The escape index of the sequence at s ("\xx"), or -1; s must have 3 readable bytes or a NUL. */
static int escape_at(const char *s)
{
    if (s[0] != '\\' || s[1] == '\0' || s[2] == '\0')
        return -1;
    for (size_t i = 0; i < JID_NESCAPES; i++)
        if (s[1] == jid_escapes[i].hex[0] && s[2] == jid_escapes[i].hex[1])
            return (int)i;
    return -1;
}

/* The length of the text given to escape or unescape: PW_EINVAL when it or the output is
 * missing or it is empty, PW_ERANGE when it is longer than max. */
static pw_status_t part_len(const char *in, const char *out, size_t max, size_t *len)
{
    if (!in || !out)
        return PW_EINVAL;
    *len = strnlen(in, max + 1);
    if (*len > max)
        return PW_ERANGE;
    return *len ? PW_OK : PW_EINVAL;
}

/* End an escaped or unescaped node: NUL-terminated after o characters on success, cleared
 * on failure. */
static pw_status_t end_output(char *out, size_t cap, size_t o, pw_status_t st)
{
    if (st == PW_OK)
        out[o] = '\0';
    else
        clear(out, cap);
    return st;
}

pw_status_t pw_jid_escape_node(const char *in, char *out, size_t cap)
{
    pw_status_t st;
    size_t len, o = 0, limit;

    st = part_len(in, out, PW_JID_MAX, &len);
    if (st != PW_OK)
        goto done;
    st = PW_EINVAL;
    if (in[0] == ' ' || in[len - 1] == ' ' || !text_ok(in, len, 0))
        goto done;
    st = PW_ERANGE;
    if (cap == 0)
        goto done;
    limit = cap - 1 < PW_JID_PART_MAX ? cap - 1 : PW_JID_PART_MAX;
    for (size_t i = 0; i < len; i++) {
        const char *hex = NULL;
        if (in[i] == '\\') {
            if (escape_at(in + i) >= 0)
                hex = "5c";
        } else {
            for (size_t k = 0; k < JID_NESCAPES; k++)
                if (in[i] == jid_escapes[k].c)
                    hex = jid_escapes[k].hex;
        }
        if (hex) {
            if (o + 3 > limit)
                goto done;
            out[o++] = '\\';
            out[o++] = hex[0];
            out[o++] = hex[1];
        } else {
            if (o + 1 > limit)
                goto done;
            out[o++] = in[i];
        }
    }
    st = PW_OK;
done:
    return end_output(out, cap, o, st);
}

pw_status_t pw_jid_unescape_node(const char *in, char *out, size_t cap)
{
    pw_status_t st;
    size_t len, o = 0;

    st = part_len(in, out, PW_JID_PART_MAX, &len);
    if (st != PW_OK)
        goto done;
    st = PW_ERANGE;
    for (size_t i = 0; i < len;) {
        int k = escape_at(in + i);
        if (o + 1 >= cap)
            goto done;
        if (k >= 0) {
            out[o++] = jid_escapes[k].c;
            i += 3;
        } else {
            out[o++] = in[i++];
        }
    }
    st = PW_OK;
done:
    return end_output(out, cap, o, st);
}
