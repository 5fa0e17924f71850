/* card.c: the peering card format of docs/peering-card.md: a strict line-by-line parser that names the line of every problem, and the canonical writer. */
#include "peer_card.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/pw_array.h"
#include "core/pw_text.h"
#include "peer_file.h"

/* What the parser has seen so far. */
typedef struct card_parse {
    pw_peer_card_t *card;
    unsigned version_line, network_line, gateway_line, key_line;
    char *why;
    size_t cap;
} card_parse_t;

int pw_peer_card_domain_ok(const char *s)
{
    size_t len = strnlen(s, PW_PEER_CARD_DOMAIN_MAX + 1), label = 0, digits = 0;

    if (len == 0 || len > PW_PEER_CARD_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.' || ch == '\0') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return 0;
            if (ch == '\0')
                return digits != label; /* the last label is not all digits */
            label = digits = 0;
        } else if (isalnum(ch) || ch == '_' || (ch == '-' && label > 0)) {
            label++;
            digits += isdigit(ch) != 0;
        } else {
            return 0;
        }
    }
    return 0;
}

int pw_peer_card_domain_under(const char *domain, const char *parent)
{
    size_t d = strlen(domain), p = strlen(parent);
    if (d == p)
        return strcasecmp(domain, parent) == 0;
    return d > p && domain[d - p - 1] == '.' && strcasecmp(domain + d - p, parent) == 0;
}

pw_status_t pw_peer_card_add_prefix(pw_peer_card_t *card, const char *prefix, char *why, size_t cap)
{
    size_t len = strnlen(prefix, PW_MSISDN_MAX + 1);

    if (prefix[0] != '+' || len < 2 || len > PW_MSISDN_MAX || prefix[1] == '0' ||
        strspn(prefix + 1, "0123456789") != len - 1) {
        snprintf(why, cap, "'%.40s' is not an E.164 prefix ('+' and 1 to 15 digits, the first "
                 "not 0)", prefix);
        return PW_EINVAL;
    }
    for (size_t i = 0; i < card->nprefixes; i++) {
        if (strcmp(card->prefixes[i], prefix) == 0) {
            snprintf(why, cap, "%s is listed twice", prefix);
            return PW_EEXIST;
        }
    }
    if (card->nprefixes >= PW_PEER_CARD_PREFIXES_MAX) {
        snprintf(why, cap, "more than %d prefixes", PW_PEER_CARD_PREFIXES_MAX);
        return PW_EFULL;
    }
    if (pw_array_grow(&card->prefixes, &card->cap, card->nprefixes + 1, sizeof *card->prefixes,
                      8) != PW_OK) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    memcpy(card->prefixes[card->nprefixes++], prefix, len + 1);
    return PW_OK;
}

/* The version line: PW_PEER_CARD_MAGIC, blanks, a version number. */
static pw_status_t version_line(card_parse_t *p, const char *s, unsigned lineno)
{
    size_t m = strlen(PW_PEER_CARD_MAGIC);
    const char *v = s + m;
    unsigned long version;
    char *end;

    if (strncmp(s, PW_PEER_CARD_MAGIC, m) != 0 || (*v != ' ' && *v != '\t')) {
        snprintf(p->why, p->cap, "not a peering card: its first line must be '%s %d'",
                 PW_PEER_CARD_MAGIC, PW_PEER_CARD_VERSION);
        return PW_EINVAL;
    }
    v += strspn(v, " \t");
    version = strtoul(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end != '\0') {
        snprintf(p->why, p->cap, "the version after '%s' is not a number", PW_PEER_CARD_MAGIC);
        return PW_EINVAL;
    }
    if (version != PW_PEER_CARD_VERSION) {
        snprintf(p->why, p->cap,
                 "card version %.20s is not known: this peerwatch-peer reads version %d", v,
                 PW_PEER_CARD_VERSION);
        return PW_EINVAL;
    }
    p->version_line = lineno;
    return PW_OK;
}

/* A field that must appear once: refuse its second line. */
static pw_status_t once(card_parse_t *p, unsigned *seen, const char *name, unsigned lineno)
{
    if (*seen) {
        snprintf(p->why, p->cap, "%s: given twice (first on line %u)", name, *seen);
        return PW_EINVAL;
    }
    *seen = lineno;
    return PW_OK;
}

/* A domain field (network, gateway), stored in lower case. */
static pw_status_t domain_field(card_parse_t *p, const char *name, const char *value, char *out)
{
    if (!pw_peer_card_domain_ok(value)) {
        snprintf(p->why, p->cap, "%s: '%.64s' is not a domain (e.g. opb.example)", name, value);
        return PW_EINVAL;
    }
    pw_text_fold(value, out, PW_PEER_CARD_DOMAIN_MAX + 1);
    return PW_OK;
}

/* A "name = value" line after the version line. */
static pw_status_t field_line(card_parse_t *p, char *s, unsigned lineno)
{
    char *eq = strchr(s, '='), *name = s, *value, why[160];
    pw_peer_card_t *card = p->card;
    size_t n;
    pw_status_t rc;

    if (!eq) {
        snprintf(p->why, p->cap, "expected 'name = value'");
        return PW_EINVAL;
    }
    for (n = (size_t)(eq - s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
        ;
    name[n] = '\0';
    value = eq + 1 + strspn(eq + 1, " \t");
    if (strcmp(name, "network") == 0) {
        rc = once(p, &p->network_line, name, lineno);
        return rc == PW_OK ? domain_field(p, name, value, card->network) : rc;
    }
    if (strcmp(name, "gateway") == 0) {
        rc = once(p, &p->gateway_line, name, lineno);
        return rc == PW_OK ? domain_field(p, name, value, card->gateway) : rc;
    }
    if (strcmp(name, "key") == 0) {
        rc = once(p, &p->key_line, name, lineno);
        if (rc == PW_OK && pw_peer_keys_check_b64(value, why, sizeof why) != PW_OK) {
            snprintf(p->why, p->cap, "key: %s", why);
            rc = PW_EINVAL;
        }
        if (rc == PW_OK)
            snprintf(card->key, sizeof card->key, "%s", value);
        return rc;
    }
    if (strcmp(name, "prefix") == 0) {
        rc = pw_peer_card_add_prefix(card, value, why, sizeof why);
        if (rc != PW_OK)
            snprintf(p->why, p->cap, "prefix: %s", why);
        return rc == PW_ENOMEM ? rc : rc == PW_OK ? PW_OK : PW_EINVAL;
    }
    snprintf(p->why, p->cap, "unknown field '%.40s' (version %d has network, gateway, key, prefix)",
             name, PW_PEER_CARD_VERSION);
    return PW_EINVAL;
}

/* One line (line end removed): its characters, then what it says. */
static pw_status_t one_line(card_parse_t *p, const char *raw, size_t n, unsigned lineno)
{
    char s[PW_PEER_CARD_LINE_MAX + 1];
    size_t start = 0;

    if (n > PW_PEER_CARD_LINE_MAX) {
        snprintf(p->why, p->cap, "line longer than %d characters", PW_PEER_CARD_LINE_MAX);
        return PW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)raw[i];
        if ((ch < 0x20 && ch != '\t') || ch > 0x7e) {
            snprintf(p->why, p->cap, "byte 0x%02x at column %zu: a card is printable ASCII", ch,
                     i + 1);
            return PW_EINVAL;
        }
    }
    while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
        n--;
    while (start < n && (raw[start] == ' ' || raw[start] == '\t'))
        start++;
    memcpy(s, raw + start, n - start);
    s[n - start] = '\0';
    if (s[0] == '\0' || s[0] == '#')
        return PW_OK;
    return p->version_line ? field_line(p, s, lineno) : version_line(p, s, lineno);
}

/* What a complete card must have, once every line was read; *line receives the line to blame. */
static pw_status_t whole_card(card_parse_t *p, unsigned *line)
{
    const char *missing = !p->network_line ? "network"
                          : !p->gateway_line ? "gateway"
                          : !p->key_line     ? "key"
                                             : NULL;

    *line = 0;
    if (!p->version_line) {
        snprintf(p->why, p->cap, "empty: not a peering card");
        return PW_EINVAL;
    }
    if (missing) {
        snprintf(p->why, p->cap, "no '%s' line", missing);
        return PW_EINVAL;
    }
    if (!pw_peer_card_domain_under(p->card->gateway, p->card->network)) {
        *line = p->gateway_line;
        snprintf(p->why, p->cap, "gateway: %s is not %s or a subdomain of it (its notifications "
                 "would be refused)", p->card->gateway, p->card->network);
        return PW_EINVAL;
    }
    return PW_OK;
}

pw_status_t pw_peer_card_parse(const char *text, size_t len, pw_peer_card_t *card, unsigned *line,
                               char *why, size_t cap)
{
    card_parse_t p = { .card = card, .why = why, .cap = cap };
    pw_status_t rc = PW_OK;
    unsigned lineno = 0;
    size_t pos = 0;

    *line = 0;
    while (rc == PW_OK && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        size_t next = pos + n + (nl != NULL);
        lineno++;
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        rc = one_line(&p, text + pos, n, lineno);
        if (rc != PW_OK)
            *line = lineno;
        pos = next;
    }
    if (rc == PW_OK)
        rc = whole_card(&p, line);
    if (rc != PW_OK)
        pw_peer_card_free(card);
    return rc;
}

pw_status_t pw_peer_card_read(const char *path, pw_peer_card_t *card, char *why, size_t cap)
{
    char *text = NULL, reason[384];
    size_t len = 0;
    unsigned line = 0;
    pw_status_t rc = pw_peer_file_read(path, PW_PEER_CARD_SIZE_MAX, &text, &len, why, cap);

    if (rc != PW_OK)
        goto done;
    rc = pw_peer_card_parse(text, len, card, &line, reason, sizeof reason);
    if (rc != PW_OK && line)
        snprintf(why, cap, "%s:%u: %s", path, line, reason);
    else if (rc != PW_OK)
        snprintf(why, cap, "%s: %s", path, reason);
done:
    free(text);
    return rc;
}

pw_status_t pw_peer_card_write(FILE *out, const pw_peer_card_t *card)
{
    fprintf(out,
            "# Peerwatch peering card of %s: the peer imports it with\n"
            "# `peerwatch-peer import FILE`.\n"
            "# Format: docs/peering-card.md. It holds nothing secret.\n"
            "%s %d\nnetwork = %s\ngateway = %s\nkey = %s\n",
            card->network, PW_PEER_CARD_MAGIC, PW_PEER_CARD_VERSION, card->network, card->gateway,
            card->key);
    for (size_t i = 0; i < card->nprefixes; i++)
        fprintf(out, "prefix = %s\n", card->prefixes[i]);
    return fflush(out) == 0 && !ferror(out) ? PW_OK : PW_EIO;
}

void pw_peer_card_free(pw_peer_card_t *card)
{
    if (!card)
        return;
    free(card->prefixes);
    memset(card, 0, sizeof *card);
}
