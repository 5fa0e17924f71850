/* config.c: the INI configuration loader on libinih: typed option table, map sections, errors. */
#include "core/pw_config.h"
#include "core/pw_secret_file.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CFG_LINE_MAX 4096     /* our reader's bound on a physical line (libinih's is smaller) */
#define CFG_SECTION_MAX 49    /* libinih keeps section names in a 50-byte buffer */
#define CFG_KEY_MAX 127       /* fits pw_config_error_t.key */
#define CFG_STRING_MAX 4095   /* natural length bound of STRING and PATH */
#define CFG_JID_PART_MAX 1023 /* RFC 7622: each part of a JID at most 1023 bytes */
#define CFG_DOMAIN_MAX 253
#define CFG_LABEL_MAX 63
#define CFG_OP_KEYS 6         /* rows of pw_config_operator_options */

const pw_config_option_t pw_config_common_options[] = { PW_CONFIG_COMMON_OPTIONS_AT(0, NULL) };
const size_t pw_config_common_count =
    sizeof pw_config_common_options / sizeof pw_config_common_options[0];
_Static_assert(sizeof pw_config_common_options / sizeof pw_config_common_options[0] ==
                   PW_CONFIG_COMMON_COUNT,
               "PW_CONFIG_COMMON_COUNT is out of date");

const pw_config_option_t pw_config_operator_options[] = {
    { "operator", "domain", PW_OPT_DOMAIN, 1, 253, NULL,
      "this operator's network domain, its XMPP server's host; component JIDs default to <role>.<domain>",
      offsetof(pw_config_operator_t, domain) },
    { "operator", "secret", PW_OPT_STRING, 1, 1023, NULL,
      "the XEP-0114 secret of the server's component definitions, shared by every role",
      offsetof(pw_config_operator_t, secret) },
    { "operator", "server", PW_OPT_HOST, 0, 0, "127.0.0.1",
      "host of the XMPP server's component listener",
      offsetof(pw_config_operator_t, server) },
    { "operator", "port", PW_OPT_PORT, 0, 0, "5347",
      "TCP port of the XMPP server's component listener",
      offsetof(pw_config_operator_t, port) },
    { "operator", "state_dir", PW_OPT_PATH, 1, 4000, "/var/lib/peerwatch",
      "where the roles keep journals and charge records, each in a subdirectory",
      offsetof(pw_config_operator_t, state_dir) },
    { "operator", "key_dir", PW_OPT_PATH, 1, 4000, "${config_dir}/keys",
      "this operator's key pair <domain>.key and <domain>.pub, and its peers' <network>.pub",
      offsetof(pw_config_operator_t, key_dir) },
};
const size_t pw_config_operator_count =
    sizeof pw_config_operator_options / sizeof pw_config_operator_options[0];
_Static_assert(sizeof pw_config_operator_options / sizeof pw_config_operator_options[0] == CFG_OP_KEYS,
               "CFG_OP_KEYS is out of date");

/* Cross checks between two numeric options of one section: upper must be >= lower. */
static const struct {
    const char *section, *lower, *upper;
} order_rules[] = {
    { "component", "reconnect_min", "reconnect_max" },
};

/* A parsed value before it is stored. */
typedef union cfg_value {
    char *s;
    int64_t i;
    int b;
    pw_log_level_t level;
    pw_config_list_t list;
} cfg_value_t;

/* The "section\nkey" strings of map lines seen so far (open addressing, power-of-two size). */
typedef struct cfg_keyset {
    char **slots;
    size_t cap, n;
} cfg_keyset_t;

/* Everything one pw_config_load() call needs; the reader and the handler share it. */
typedef struct cfg_load {
    FILE *file;
    const pw_config_option_t *opts;
    size_t nopts;
    const pw_config_map_t *maps;
    size_t nmaps;
    void *settings;
    unsigned lineno;     /* physical line last handed to libinih */
    unsigned *seen;      /* per option: the line that set it, 0 = not in the file */
    cfg_keyset_t mapkeys;
    char section[CFG_SECTION_MAX + 1];
    char line[CFG_LINE_MAX];
    pw_status_t status;  /* first failure, PW_OK so far */
    pw_config_error_t *err;
    /* the operator file: include, [operator], the variables of defaults */
    const char *path;              /* the file being read: the role's, or the one it includes */
    char include_path[CFG_LINE_MAX];
    int included;                  /* the include line was seen */
    int in_include;                /* reading the included file: [operator] only */
    int operator_only;             /* pw_config_operator_load(): other sections skipped */
    int op_any;                    /* an [operator] key was read: the variables are set */
    char op_file[CFG_LINE_MAX];    /* the file holding [operator] */
    char *op_value[CFG_OP_KEYS];   /* its values as written, then with defaults (malloc'd) */
    unsigned op_line[CFG_OP_KEYS];
    char op_dir[CFG_LINE_MAX];     /* config_dir: the directory of op_file */
} cfg_load_t;

/* ---- small helpers ---- */

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1; /* truncated */
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Record the first failure; later ones are ignored. */
static pw_status_t fail(cfg_load_t *c, pw_status_t status, unsigned line, const char *section,
                        const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static pw_status_t fail(cfg_load_t *c, pw_status_t status, unsigned line, const char *section,
                        const char *key, const char *fmt, ...)
{
    va_list ap;

    if (c->status != PW_OK)
        return c->status;
    c->status = status;
    c->err->line = line;
    copy_str(c->err->section, sizeof c->err->section, section);
    copy_str(c->err->key, sizeof c->err->key, key);
    va_start(ap, fmt);
    vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
    va_end(ap);
    return status;
}

static int has_control(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return 1;
    }
    return 0;
}

static char *trim(char *s)
{
    size_t n;

    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static const char *type_name(pw_opt_type_t t)
{
    switch (t) {
    case PW_OPT_STRING: return "string";
    case PW_OPT_INT: return "integer";
    case PW_OPT_BOOL: return "boolean";
    case PW_OPT_DURATION: return "duration";
    case PW_OPT_SIZE: return "size";
    case PW_OPT_JID: return "jid";
    case PW_OPT_DOMAIN: return "domain";
    case PW_OPT_HOST: return "host";
    case PW_OPT_PORT: return "port";
    case PW_OPT_PATH: return "path";
    case PW_OPT_LOGLEVEL: return "log level";
    case PW_OPT_LIST: return "list";
    }
    return "?";
}

static int is_string_type(pw_opt_type_t t)
{
    return t == PW_OPT_STRING || t == PW_OPT_JID || t == PW_OPT_DOMAIN || t == PW_OPT_HOST ||
           t == PW_OPT_PATH;
}

static int is_int64_type(pw_opt_type_t t)
{
    return t == PW_OPT_INT || t == PW_OPT_DURATION || t == PW_OPT_SIZE;
}

/* The bounds that apply to an option: its own, or its type's natural ones when both are 0. */
static void option_bounds(const pw_config_option_t *o, int64_t *lo, int64_t *hi)
{
    if (o->min != 0 || o->max != 0) {
        *lo = o->min;
        *hi = o->max;
        return;
    }
    switch (o->type) {
    case PW_OPT_INT: *lo = INT64_MIN; *hi = INT64_MAX; break;
    case PW_OPT_DURATION:
    case PW_OPT_SIZE:
    case PW_OPT_LIST: *lo = 0; *hi = INT64_MAX; break;
    case PW_OPT_PORT: *lo = 1; *hi = 65535; break;
    case PW_OPT_STRING: *lo = 0; *hi = CFG_STRING_MAX; break;
    case PW_OPT_PATH: *lo = 1; *hi = CFG_STRING_MAX; break;
    case PW_OPT_JID: *lo = 1; *hi = 2 * CFG_JID_PART_MAX + 1; break;
    case PW_OPT_DOMAIN:
    case PW_OPT_HOST: *lo = 1; *hi = CFG_DOMAIN_MAX; break; /* an IPv6 literal is shorter */
    default: *lo = 0; *hi = 0; break;
    }
}

/* Write a duration in ms with the largest unit that divides it ("1500ms", "30s", "1d"). */
static void format_duration(char *buf, size_t cap, int64_t ms)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms != 0 && ms % units[i].ms == 0) {
            snprintf(buf, cap, "%" PRId64 "%s", ms / units[i].ms, units[i].unit);
            return;
        }
    }
    snprintf(buf, cap, "%" PRId64 "ms", ms);
}

/* Write a size in bytes with the largest power-of-1024 unit that divides it ("16k", "1G"). */
static void format_size(char *buf, size_t cap, int64_t bytes)
{
    static const struct { const char *unit; int64_t n; } units[] = {
        { "G", 1024 * 1024 * 1024 }, { "M", 1024 * 1024 }, { "k", 1024 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (bytes != 0 && bytes % units[i].n == 0) {
            snprintf(buf, cap, "%" PRId64 "%s", bytes / units[i].n, units[i].unit);
            return;
        }
    }
    snprintf(buf, cap, "%" PRId64, bytes);
}

/* Write a numeric value of an option's type in the file's syntax. */
static void format_number(char *buf, size_t cap, pw_opt_type_t t, int64_t v)
{
    if (t == PW_OPT_DURATION)
        format_duration(buf, cap, v);
    else if (t == PW_OPT_SIZE)
        format_size(buf, cap, v);
    else
        snprintf(buf, cap, "%" PRId64, v);
}

/* ---- value syntax ---- */

/* Digits followed by an optional unit; the unit is returned in *unit (points into text). */
static pw_status_t parse_number_unit(const char *text, int64_t *num, const char **unit)
{
    int64_t v = 0;
    const char *p = text;

    if (!isdigit((unsigned char)*p))
        return PW_EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return PW_ERANGE;
        v = v * 10 + d;
    }
    *num = v;
    *unit = p;
    return PW_OK;
}

/* A unit suffix and what one of it is worth. */
typedef struct unit_factor {
    const char *unit;
    int64_t factor;
} unit_factor_t;

/* "<number><unit>" scaled by the unit's factor; PW_EINVAL for an unknown unit, PW_ERANGE on overflow. */
static pw_status_t parse_scaled(const char *text, const unit_factor_t *units, size_t nunits, int64_t *out)
{
    const char *unit;
    int64_t n;
    pw_status_t st;

    if (!text || !out)
        return PW_EINVAL;
    st = parse_number_unit(text, &n, &unit);
    if (st != PW_OK)
        return st;
    for (size_t i = 0; i < nunits; i++) {
        if (strcmp(unit, units[i].unit) == 0) {
            if (n > INT64_MAX / units[i].factor)
                return PW_ERANGE;
            *out = n * units[i].factor;
            return PW_OK;
        }
    }
    return PW_EINVAL;
}

pw_status_t pw_config_parse_duration(const char *text, int64_t *out_ms)
{
    static const unit_factor_t units[] = {
        { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    return parse_scaled(text, units, sizeof units / sizeof units[0], out_ms);
}

pw_status_t pw_config_parse_size(const char *text, int64_t *out_bytes)
{
    static const unit_factor_t units[] = {
        { "", 1 }, { "k", 1024 }, { "K", 1024 }, { "m", 1024 * 1024 }, { "M", 1024 * 1024 },
        { "g", 1024 * 1024 * 1024 }, { "G", 1024 * 1024 * 1024 },
    };
    return parse_scaled(text, units, sizeof units / sizeof units[0], out_bytes);
}

pw_status_t pw_config_parse_bool(const char *text, int *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    if (!text || !out)
        return PW_EINVAL;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return PW_OK;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return PW_OK;
        }
    }
    return PW_EINVAL;
}

static pw_status_t parse_int(const char *text, int64_t *out)
{
    const char *p = text;
    int neg = 0;
    uint64_t v = 0, limit;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return PW_EINVAL;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10)
            return PW_ERANGE;
        v = v * 10 + d;
    }
    if (*p)
        return PW_EINVAL;
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return PW_OK;
}

/* A DNS name: 1..253 bytes, labels 1..63 of letters, digits, '-', '_', no '-' at either end;
 * the last label is not all digits (that is a mistyped IPv4 address). */
static int domain_ok(const char *s, char *why, size_t cap)
{
    size_t len = strlen(s), label = 0;
    int all_digits = 1;

    if (len == 0 || len > CFG_DOMAIN_MAX) {
        snprintf(why, cap, "a domain name has 1 to %d characters", CFG_DOMAIN_MAX);
        return 0;
    }
    for (size_t i = 0; i <= len; i++) {
        char ch = s[i];
        if (ch == '.' || ch == '\0') {
            if (label == 0) {
                snprintf(why, cap, "empty label in domain name");
                return 0;
            }
            if (s[i - 1] == '-') {
                snprintf(why, cap, "a domain label must not end with '-'");
                return 0;
            }
            if (ch == '\0' && all_digits) {
                snprintf(why, cap, "not a domain name (the last label is numeric)");
                return 0;
            }
            label = 0;
            all_digits = 1;
            continue;
        }
        if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_') {
            snprintf(why, cap, "a domain name holds only letters, digits, '-', '_' and '.'");
            return 0;
        }
        if (label == 0 && ch == '-') {
            snprintf(why, cap, "a domain label must not start with '-'");
            return 0;
        }
        if (!isdigit((unsigned char)ch))
            all_digits = 0;
        if (++label > CFG_LABEL_MAX) {
            snprintf(why, cap, "a domain label has at most %d characters", CFG_LABEL_MAX);
            return 0;
        }
    }
    return 1;
}

/* A bare JID or a domain: no whitespace, no '/', at most one '@', parts non-empty and short. */
static int jid_ok(const char *s, char *why, size_t cap)
{
    const char *at = strchr(s, '@');
    size_t len = strlen(s);

    if (len == 0) {
        snprintf(why, cap, "empty JID");
        return 0;
    }
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch == 0x7f) {
            snprintf(why, cap, "a JID must not contain whitespace or control characters");
            return 0;
        }
        if (ch == '/') {
            snprintf(why, cap, "a bare JID is expected (no '/resource')");
            return 0;
        }
    }
    if (at && strchr(at + 1, '@')) {
        snprintf(why, cap, "a JID has at most one '@'");
        return 0;
    }
    if (at && (at == s || at[1] == '\0')) {
        snprintf(why, cap, "empty local part or domain in JID");
        return 0;
    }
    if ((at && (size_t)(at - s) > CFG_JID_PART_MAX) ||
        strlen(at ? at + 1 : s) > CFG_JID_PART_MAX) {
        snprintf(why, cap, "each part of a JID has at most %d characters", CFG_JID_PART_MAX);
        return 0;
    }
    return 1;
}

/* A host: IPv6 literal (has ':'), IPv4 literal (digits and dots) or DNS name. */
static int host_ok(const char *s, char *why, size_t cap)
{
    unsigned char addr[16];

    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, addr) == 1)
            return 1;
        snprintf(why, cap, "not a valid IPv6 address");
        return 0;
    }
    if (*s && strspn(s, "0123456789.") == strlen(s)) {
        if (inet_pton(AF_INET, s, addr) == 1)
            return 1;
        snprintf(why, cap, "not a valid IPv4 address");
        return 0;
    }
    return domain_ok(s, why, cap);
}

static void list_free(pw_config_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Split "a, b ,c" into trimmed, non-empty items; "" is the empty list. */
static pw_status_t parse_list(const char *text, pw_config_list_t *out, char *why, size_t cap)
{
    pw_status_t st = PW_OK;
    char *copy = NULL, *p, *comma;
    size_t n = 1;

    out->n = 0;
    out->items = NULL;
    if (*text == '\0')
        goto done;
    for (p = (char *)text; *p; p++)
        n += *p == ',';
    copy = strdup(text);
    out->items = calloc(n, sizeof *out->items);
    if (!copy || !out->items) {
        st = PW_ENOMEM;
        goto done;
    }
    for (p = copy;; p = comma + 1) {
        char *item;
        comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        item = trim(p);
        if (*item == '\0') {
            snprintf(why, cap, "list item %zu is empty", out->n + 1);
            st = PW_ECONFIG;
            goto done;
        }
        out->items[out->n] = strdup(item);
        if (!out->items[out->n]) {
            st = PW_ENOMEM;
            goto done;
        }
        out->n++;
        if (!comma)
            break;
    }
done:
    free(copy);
    if (st != PW_OK)
        list_free(out);
    return st;
}

/* How each numeric option type is written, and what is said when a value is not. */
static const struct number_form {
    pw_opt_type_t type;
    pw_status_t (*parse)(const char *text, int64_t *out);
    const char *too_large;
    const char *malformed;
} number_forms[] = {
    { PW_OPT_INT, parse_int, "integer too large", "not an integer" },
    { PW_OPT_PORT, parse_int, "integer too large", "not an integer" },
    { PW_OPT_DURATION, pw_config_parse_duration, "duration too large",
      "not a duration (e.g. 1500ms, 30s, 5m, 2h, 1d)" },
    { PW_OPT_SIZE, pw_config_parse_size, "size too large", "not a size (e.g. 64, 16k, 10M, 1G)" },
};

/* Read text as a number of a numeric option type into *n; 0 with why when it is not one
 * (or, for a port, not 1..65535). The option's own bounds are checked by the caller. */
static int number_ok(pw_opt_type_t type, const char *text, int64_t *n, char *why, size_t cap)
{
    for (size_t i = 0; i < sizeof number_forms / sizeof number_forms[0]; i++) {
        const struct number_form *f = &number_forms[i];
        pw_status_t st;
        if (f->type != type)
            continue;
        st = f->parse(text, n);
        if (st != PW_OK) {
            snprintf(why, cap, "%s", st == PW_ERANGE ? f->too_large : f->malformed);
            return 0;
        }
        if (type == PW_OPT_PORT && (*n < 1 || *n > 65535)) {
            snprintf(why, cap, "a port is 1..65535");
            return 0;
        }
        return 1;
    }
    snprintf(why, cap, "option of unknown type %d", (int)type);
    return 0;
}

/* Parse text as option o's type and check its bounds. PW_ECONFIG with why, or PW_ENOMEM. */
static pw_status_t parse_value(const pw_config_option_t *o, const char *text, cfg_value_t *out,
                               char *why, size_t cap)
{
    pw_status_t st = PW_ECONFIG;
    int64_t lo, hi, n = 0;
    char a[32], b[32], v[32];

    memset(out, 0, sizeof *out);
    option_bounds(o, &lo, &hi);
    if (has_control(text)) {
        snprintf(why, cap, "the value contains a control character");
        goto done;
    }
    switch (o->type) {
    case PW_OPT_STRING:
    case PW_OPT_PATH:
    case PW_OPT_JID:
    case PW_OPT_DOMAIN:
    case PW_OPT_HOST:
        if ((o->type == PW_OPT_JID && !jid_ok(text, why, cap)) ||
            (o->type == PW_OPT_DOMAIN && !domain_ok(text, why, cap)) ||
            (o->type == PW_OPT_HOST && !host_ok(text, why, cap)))
            goto done;
        n = (int64_t)strlen(text);
        if (n < lo || n > hi) {
            if (n < lo && lo == 1)
                snprintf(why, cap, "must not be empty");
            else
                snprintf(why, cap, "length %" PRId64 " is out of bounds %" PRId64 "..%" PRId64,
                         n, lo, hi);
            goto done;
        }
        out->s = strdup(text);
        st = out->s ? PW_OK : PW_ENOMEM;
        goto done;
    case PW_OPT_INT:
    case PW_OPT_PORT:
    case PW_OPT_DURATION:
    case PW_OPT_SIZE:
        if (!number_ok(o->type, text, &n, why, cap))
            goto done;
        break;
    case PW_OPT_BOOL:
        if (pw_config_parse_bool(text, &out->b) != PW_OK) {
            snprintf(why, cap, "not a boolean (yes/no, true/false, on/off, 1/0)");
            goto done;
        }
        st = PW_OK;
        goto done;
    case PW_OPT_LOGLEVEL:
        if (pw_log_level_parse(text, &out->level) != 0) {
            snprintf(why, cap, "not a log level (error, warn, info, debug)");
            goto done;
        }
        st = PW_OK;
        goto done;
    case PW_OPT_LIST:
        st = parse_list(text, &out->list, why, cap);
        if (st != PW_OK)
            goto done;
        if ((int64_t)out->list.n < lo || (int64_t)out->list.n > hi) {
            snprintf(why, cap, "%zu items, expected %" PRId64 "..%" PRId64, out->list.n, lo, hi);
            list_free(&out->list);
            st = PW_ECONFIG;
        }
        goto done;
    default:
        snprintf(why, cap, "option of unknown type %d", (int)o->type);
        goto done;
    }
    /* numeric kinds */
    if (n < lo || n > hi) {
        format_number(v, sizeof v, o->type, n);
        format_number(a, sizeof a, o->type, lo);
        format_number(b, sizeof b, o->type, hi);
        snprintf(why, cap, "%s is out of bounds %s..%s", v, a, b);
        goto done;
    }
    out->i = n;
    st = PW_OK;
done:
    return st;
}

static void *field(const pw_config_option_t *o, void *settings)
{
    return (char *)settings + o->offset;
}

/* Reset one option field to 0/NULL; free what it holds if owned. */
static void reset_field(const pw_config_option_t *o, void *settings, int owned)
{
    void *p = field(o, settings);

    if (is_string_type(o->type)) {
        if (owned)
            free(*(char **)p);
        *(char **)p = NULL;
    } else if (o->type == PW_OPT_LIST) {
        pw_config_list_t *l = p;
        if (owned)
            list_free(l);
        l->n = 0;
        l->items = NULL;
    } else if (is_int64_type(o->type)) {
        *(int64_t *)p = 0;
    } else if (o->type == PW_OPT_LOGLEVEL) {
        memset(p, 0, sizeof(pw_log_level_t));
    } else {
        *(int *)p = 0;
    }
}

/* Move a parsed value into its field, freeing what was there. */
static void store_value(const pw_config_option_t *o, void *settings, cfg_value_t *v)
{
    void *p = field(o, settings);

    reset_field(o, settings, 1);
    if (is_string_type(o->type))
        *(char **)p = v->s;
    else if (o->type == PW_OPT_LIST)
        *(pw_config_list_t *)p = v->list;
    else if (is_int64_type(o->type))
        *(int64_t *)p = v->i;
    else if (o->type == PW_OPT_LOGLEVEL)
        *(pw_log_level_t *)p = v->level;
    else if (o->type == PW_OPT_BOOL)
        *(int *)p = v->b;
    else
        *(int *)p = (int)v->i; /* PORT, checked 1..65535 */
}

void pw_config_free(const pw_config_option_t *opts, size_t nopts, void *settings)
{
    if (!settings || !opts)
        return;
    for (size_t i = 0; i < nopts; i++)
        reset_field(&opts[i], settings, 1);
}

/* ---- the set of map keys seen ---- */

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

static void keyset_free(cfg_keyset_t *ks)
{
    for (size_t i = 0; i < ks->cap; i++)
        free(ks->slots[i]);
    free(ks->slots);
    memset(ks, 0, sizeof *ks);
}

/* Add "section\nkey"; PW_EEXIST if it is there already. */
static pw_status_t keyset_add(cfg_keyset_t *ks, const char *section, const char *key)
{
    pw_status_t st = PW_OK;
    size_t len = strlen(section) + strlen(key) + 2, i;
    char *s = malloc(len);

    if (!s)
        return PW_ENOMEM;
    snprintf(s, len, "%s\n%s", section, key);
    if ((ks->n + 1) * 2 > ks->cap) {
        size_t ncap = ks->cap ? ks->cap * 2 : 64;
        char **slots = calloc(ncap, sizeof *slots);
        if (!slots) {
            st = PW_ENOMEM;
            goto done;
        }
        for (size_t j = 0; j < ks->cap; j++) {
            if (!ks->slots[j])
                continue;
            for (i = hash_str(ks->slots[j]) & (ncap - 1); slots[i]; i = (i + 1) & (ncap - 1))
                ;
            slots[i] = ks->slots[j];
        }
        free(ks->slots);
        ks->slots = slots;
        ks->cap = ncap;
    }
    for (i = hash_str(s) & (ks->cap - 1); ks->slots[i]; i = (i + 1) & (ks->cap - 1)) {
        if (strcmp(ks->slots[i], s) == 0) {
            st = PW_EEXIST;
            goto done;
        }
    }
    ks->slots[i] = s;
    ks->n++;
    s = NULL;
done:
    free(s);
    return st;
}

/* ---- table look-ups ---- */

static const pw_config_option_t *find_option(const cfg_load_t *c, const char *section,
                                             const char *name, size_t *index)
{
    for (size_t i = 0; i < c->nopts; i++) {
        if (strcmp(c->opts[i].section, section) == 0 && strcmp(c->opts[i].name, name) == 0) {
            if (index)
                *index = i;
            return &c->opts[i];
        }
    }
    return NULL;
}

static const pw_config_map_t *find_map(const cfg_load_t *c, const char *section)
{
    for (size_t i = 0; i < c->nmaps; i++) {
        if (strcmp(c->maps[i].section, section) == 0)
            return &c->maps[i];
    }
    return NULL;
}

static int section_known(const cfg_load_t *c, const char *section)
{
    if (strcmp(section, "operator") == 0 || c->operator_only)
        return 1;
    if (c->in_include)
        return 0;
    for (size_t i = 0; i < c->nopts; i++) {
        if (strcmp(c->opts[i].section, section) == 0)
            return 1;
    }
    return find_map(c, section) != NULL;
}

/* ---- the reader libinih pulls lines from ---- */

/*
 * Check a line's shape before libinih sees it, so that the first error stops the load with a
 * precise message (libinih only reports "line N" and carries on). p has no leading whitespace.
 */
static pw_status_t check_line(cfg_load_t *c, char *p)
{
    char name[CFG_KEY_MAX + 1];
    char *q, *end;
    size_t n;

    if (*p == '\0' || *p == ';' || *p == '#')
        return PW_OK;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end)
            return fail(c, PW_ECONFIG, c->lineno, "", "", "expected ']' after the section name");
        for (q = end + 1; isspace((unsigned char)*q); q++)
            ;
        if (*q && *q != ';' && *q != '#')
            return fail(c, PW_ECONFIG, c->lineno, "", "", "unexpected text after ']'");
        n = (size_t)(end - p - 1);
        if (n == 0)
            return fail(c, PW_ECONFIG, c->lineno, "", "", "empty section name");
        if (n > CFG_SECTION_MAX)
            return fail(c, PW_ECONFIG, c->lineno, "", "",
                        "section name longer than %d characters", CFG_SECTION_MAX);
        for (q = p + 1; q < end; q++) {
            if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
                return fail(c, PW_ECONFIG, c->lineno, "", "",
                            "a section name holds only letters, digits, '_', '-' and '.'");
        }
        memcpy(c->section, p + 1, n);
        c->section[n] = '\0';
        if (!section_known(c, c->section))
            return fail(c, PW_ECONFIG, c->lineno, c->section, "",
                        c->in_include ? "unknown section: an operator file holds only [operator]"
                                      : "unknown section");
        return PW_OK;
    }
    /* key = value: the first of '=', ':' or an inline comment must be '=' */
    for (q = p; *q && *q != '=' && *q != ':'; q++) {
        if (*q == ';' && q > p && isspace((unsigned char)q[-1]))
            break;
    }
    if (*q != '=')
        return fail(c, PW_ECONFIG, c->lineno, c->section, "",
                    "expected 'key = value' or '[section]'");
    for (end = q; end > p && isspace((unsigned char)end[-1]); end--)
        ;
    n = (size_t)(end - p);
    if (n == 0)
        return fail(c, PW_ECONFIG, c->lineno, c->section, "", "empty key before '='");
    if (n > CFG_KEY_MAX)
        return fail(c, PW_ECONFIG, c->lineno, c->section, "",
                    "key longer than %d characters", CFG_KEY_MAX);
    memcpy(name, p, n);
    name[n] = '\0';
    if (strpbrk(name, " \t\v\f"))
        return fail(c, PW_ECONFIG, c->lineno, c->section, name, "whitespace inside a key");
    if (c->section[0] == '\0' && (strcmp(name, "include") != 0 || c->in_include))
        return fail(c, PW_ECONFIG, c->lineno, "", name,
                    c->in_include ? "key outside [operator] (an operator file includes nothing)"
                                  : "key outside any [section] (only 'include = FILE' goes before the first)");
    return PW_OK;
}

/* ini_reader: one physical line per call, counted, left-trimmed (so libinih never sees a
 * continuation line) and checked; NULL ends the parse at EOF or at the first error. */
static char *cfg_reader(char *str, int num, void *stream)
{
    cfg_load_t *c = stream;
    size_t len = 0;
    int ch = 0, any = 0, nul = 0, toolong = 0;
    char *p;

    if (c->status != PW_OK)
        return NULL;
    while ((ch = getc(c->file)) != EOF) {
        any = 1;
        if (ch == '\n')
            break;
        if (ch == '\0')
            nul = 1;
        else if (len + 1 < sizeof c->line)
            c->line[len++] = (char)ch;
        else
            toolong = 1;
    }
    c->line[len] = '\0';
    if (!any) {
        if (ferror(c->file))
            fail(c, PW_EIO, c->lineno, "", "", "read error: %s", strerror(errno));
        return NULL;
    }
    c->lineno++;
    p = c->line;
    if (c->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 byte order mark */
    p = trim(p);
    if (nul) {
        fail(c, PW_ECONFIG, c->lineno, c->section, "", "NUL byte in line");
        return NULL;
    }
    if (toolong || num < 2 || strlen(p) > (size_t)num - 2) {
        fail(c, PW_ECONFIG, c->lineno, c->section, "", "line longer than %d characters",
             num < 2 ? 0 : num - 2);
        return NULL;
    }
    if (check_line(c, p) != PW_OK)
        return NULL;
    snprintf(str, (size_t)num, "%s\n", p);
    return str;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value);

/* The directory of path into out ("." when it has none). */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* "include = FILE" before the first section: read FILE's [operator] now. Its errors name FILE
 * and its line; the include line's own errors name the including file. */
static int read_include(cfg_load_t *c, const char *value)
{
    char dir[CFG_LINE_MAX];
    FILE *outer_file = c->file;
    const char *outer_path = c->path;
    unsigned outer_line = c->lineno;
    int rc;

    if (c->included) {
        fail(c, PW_ECONFIG, c->lineno, "", "include", "only one include per file");
        return 0;
    }
    c->included = 1;
    if (!*value) {
        fail(c, PW_ECONFIG, c->lineno, "", "include", "names no file");
        return 0;
    }
    dir_of(c->path, dir, sizeof dir);
    rc = value[0] == '/' ? snprintf(c->include_path, sizeof c->include_path, "%s", value)
                         : snprintf(c->include_path, sizeof c->include_path, "%s/%s", dir, value);
    if (rc < 0 || (size_t)rc >= sizeof c->include_path) {
        fail(c, PW_ECONFIG, c->lineno, "", "include", "the file's path is too long");
        return 0;
    }
    c->file = fopen(c->include_path, "r");
    if (!c->file) {
        c->file = outer_file;
        fail(c, PW_ECONFIG, c->lineno, "", "include", "cannot open %s: %s", c->include_path, strerror(errno));
        return 0;
    }
    copy_str(c->err->file, sizeof c->err->file, c->include_path);
    c->path = c->include_path;
    c->lineno = 0;
    c->in_include = 1;
    rc = ini_parse_stream(cfg_reader, c, cfg_handler, c);
    fclose(c->file);
    if (c->status == PW_OK && rc != 0)
        fail(c, rc == -2 ? PW_ENOMEM : PW_ECONFIG, rc > 0 ? (unsigned)rc : 0, "", "", "%s",
             rc == -2 ? pw_strerror(PW_ENOMEM) : "syntax error");
    if (c->status == PW_OK && !c->op_any)
        fail(c, PW_ECONFIG, 0, "operator", "", "an included operator file needs an [operator] section");
    c->file = outer_file;
    c->path = outer_path;
    c->lineno = outer_line;
    c->in_include = 0;
    c->section[0] = '\0';
    if (c->status != PW_OK)
        return 0;
    copy_str(c->err->file, sizeof c->err->file, c->path);
    return 1;
}

/* The row of an [operator] key, or -1. */
static int operator_key(const char *name)
{
    for (size_t i = 0; i < CFG_OP_KEYS; i++) {
        if (strcmp(pw_config_operator_options[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* Free a parsed value that is not stored. */
static void drop_value(const pw_config_option_t *o, cfg_value_t *v)
{
    if (is_string_type(o->type))
        free(v->s);
    else if (o->type == PW_OPT_LIST)
        list_free(&v->list);
}

/* One [operator] key: checked like an option, kept as written for the defaults. */
static int operator_line(cfg_load_t *c, const char *name, const char *value)
{
    int i = operator_key(name);
    char why[200] = "";
    cfg_value_t v;
    pw_status_t st;

    if (i < 0) {
        fail(c, PW_ECONFIG, c->lineno, "operator", name, "unknown key");
        return 0;
    }
    if (c->op_value[i]) {
        fail(c, PW_ECONFIG, c->lineno, "operator", name, "duplicate key (first set on line %u of %s)",
             c->op_line[i], c->op_file);
        return 0;
    }
    if (c->op_any && strcmp(c->op_file, c->path) != 0) {
        fail(c, PW_ECONFIG, c->lineno, "operator", name, "[operator] is already in %s: write it in one file",
             c->op_file);
        return 0;
    }
    st = parse_value(&pw_config_operator_options[i], value, &v, why, sizeof why);
    if (st != PW_OK) {
        fail(c, st, c->lineno, "operator", name, "%s", st == PW_ENOMEM ? pw_strerror(st) : why);
        return 0;
    }
    drop_value(&pw_config_operator_options[i], &v);
    if (!(c->op_value[i] = strdup(value))) {
        fail(c, PW_ENOMEM, c->lineno, "operator", name, "%s", pw_strerror(PW_ENOMEM));
        return 0;
    }
    c->op_line[i] = c->lineno;
    if (!c->op_any) {
        c->op_any = 1;
        copy_str(c->op_file, sizeof c->op_file, c->path);
        dir_of(c->path, c->op_dir, sizeof c->op_dir);
    }
    return 1;
}

/* A "secret = ..." line: refuse the file if others can read or change it (pw_secret_file_check()).
 * Returns 1 when the file's mode is safe. */
static int secret_line(cfg_load_t *c, const char *section, const char *name)
{
    char why[sizeof c->err->message];
    pw_status_t st = pw_secret_file_check(fileno(c->file), c->path, "the component secret", why, sizeof why);

    if (st == PW_OK)
        return 1;
    fail(c, st == PW_EDENIED ? PW_ECONFIG : st, c->lineno, section, name, "%s", why);
    return 0;
}

/* ini_handler: one "key = value" of the current line (c->lineno). Returns 1 on success. */
static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    cfg_load_t *c = user;
    const pw_config_option_t *o;
    const pw_config_map_t *m;
    char why[200] = "";
    cfg_value_t v;
    size_t i = 0;
    pw_status_t st;

    if (c->status != PW_OK)
        return 0;
    if (section[0] == '\0' && strcmp(name, "include") == 0)
        return read_include(c, value);
    if (strcmp(name, "secret") == 0 && !secret_line(c, section, name))
        return 0;
    if (strcmp(section, "operator") == 0)
        return operator_line(c, name, value);
    if (c->operator_only)
        return 1;
    o = find_option(c, section, name, &i);
    if (o) {
        if (c->seen[i]) {
            fail(c, PW_ECONFIG, c->lineno, section, name, "duplicate key (first set on line %u)",
                 c->seen[i]);
            return 0;
        }
        st = parse_value(o, value, &v, why, sizeof why);
        if (st != PW_OK) {
            fail(c, st, c->lineno, section, name, "%s", st == PW_ENOMEM ? pw_strerror(st) : why);
            return 0;
        }
        store_value(o, c->settings, &v);
        c->seen[i] = c->lineno;
        return 1;
    }
    m = find_map(c, section);
    if (!m) {
        fail(c, PW_ECONFIG, c->lineno, section, name, "unknown key");
        return 0;
    }
    st = keyset_add(&c->mapkeys, section, name);
    if (st != PW_OK) {
        fail(c, st == PW_EEXIST ? PW_ECONFIG : st, c->lineno, section, name, "%s",
             st == PW_EEXIST ? "duplicate key" : pw_strerror(st));
        return 0;
    }
    st = m->fn(c->settings, name, value, why, sizeof why);
    if (st != PW_OK) {
        fail(c, st == PW_ENOMEM ? PW_ENOMEM : PW_ECONFIG, c->lineno, section, name, "%s",
             why[0] ? why : pw_strerror(st));
        return 0;
    }
    return 1;
}

/* ---- load ---- */

static pw_status_t apply_defaults(cfg_load_t *c)
{
    char why[200];
    cfg_value_t v;
    pw_status_t st;

    for (size_t i = 0; i < c->nopts; i++)
        reset_field(&c->opts[i], c->settings, 0);
    for (size_t i = 0; i < c->nopts; i++) {
        const pw_config_option_t *o = &c->opts[i];
        if (!o->def || pw_config_has_vars(o->def))
            continue; /* a default of the operator file's comes after the file (apply_deferred) */
        why[0] = '\0';
        st = parse_value(o, o->def, &v, why, sizeof why);
        if (st != PW_OK)
            return fail(c, st, 0, o->section, o->name, "invalid built-in default \"%s\": %s",
                        o->def, st == PW_ENOMEM ? pw_strerror(st) : why);
        store_value(o, c->settings, &v);
    }
    return PW_OK;
}

/* The variables of the defaults: the [operator] values and config_dir (all unset without
 * [operator]). names and values need CFG_OP_KEYS + 1 rows. */
static void operator_vars(const cfg_load_t *c, const char *names[], const char *values[], pw_config_vars_t *vars)
{
    for (size_t i = 0; i < CFG_OP_KEYS; i++) {
        names[i] = pw_config_operator_options[i].name;
        values[i] = c->op_any ? c->op_value[i] : NULL;
    }
    names[CFG_OP_KEYS] = "config_dir";
    values[CFG_OP_KEYS] = c->op_any ? c->op_dir : NULL;
    vars->names = names;
    vars->values = values;
    vars->n = CFG_OP_KEYS + 1;
}

/* After the files: the [operator] keys not written take their defaults; domain and secret
 * are required once there is an [operator]. Errors name the file holding it. */
static pw_status_t operator_finish(cfg_load_t *c)
{
    const char *names[CFG_OP_KEYS + 1], *values[CFG_OP_KEYS + 1];
    pw_config_vars_t vars;
    char text[CFG_LINE_MAX];

    if (!c->op_any)
        return PW_OK;
    for (size_t i = 0; i < CFG_OP_KEYS; i++) {
        const pw_config_option_t *o = &pw_config_operator_options[i];
        if (c->op_value[i])
            continue;
        if (!o->def) {
            copy_str(c->err->file, sizeof c->err->file, c->op_file);
            return fail(c, PW_ECONFIG, 0, "operator", o->name, "required key missing");
        }
        operator_vars(c, names, values, &vars);
        if (pw_config_expand(o->def, &vars, text, sizeof text, NULL, 0) != PW_OK ||
            !(c->op_value[i] = strdup(text)))
            return fail(c, PW_ENOMEM, 0, "operator", o->name, "%s", pw_strerror(PW_ENOMEM));
    }
    return PW_OK;
}

/* The options not written whose defaults come from the operator file ("watcher.${domain}"). */
static pw_status_t apply_deferred(cfg_load_t *c)
{
    const char *names[CFG_OP_KEYS + 1], *values[CFG_OP_KEYS + 1];
    pw_config_vars_t vars;
    char text[CFG_LINE_MAX], missing[CFG_KEY_MAX + 1], why[200];
    cfg_value_t v;
    pw_status_t st;

    operator_vars(c, names, values, &vars);
    for (size_t i = 0; i < c->nopts; i++) {
        const pw_config_option_t *o = &c->opts[i];
        if (c->seen[i] || !o->def || !pw_config_has_vars(o->def))
            continue;
        st = pw_config_expand(o->def, &vars, text, sizeof text, missing, sizeof missing);
        if (st == PW_ENOTFOUND)
            return fail(c, PW_ECONFIG, 0, o->section, o->name,
                        c->op_any ? "required key missing (its default \"%s\" needs [operator] %s)"
                                  : "required key missing (or 'include' an operator file, whose [operator] "
                                    "%s gives the default \"%s\")",
                        c->op_any ? o->def : missing, c->op_any ? missing : o->def);
        if (st != PW_OK)
            return fail(c, PW_ECONFIG, 0, o->section, o->name, "invalid built-in default \"%s\"", o->def);
        why[0] = '\0';
        st = parse_value(o, text, &v, why, sizeof why);
        if (st != PW_OK)
            return fail(c, st, 0, o->section, o->name, "the default \"%s\" from %s gives \"%s\": %s", o->def,
                        c->op_file, text, st == PW_ENOMEM ? pw_strerror(st) : why);
        store_value(o, c->settings, &v);
    }
    return PW_OK;
}

static pw_status_t check_required(cfg_load_t *c)
{
    for (size_t i = 0; i < c->nopts; i++) {
        if (!c->opts[i].def && !c->seen[i])
            return fail(c, PW_ECONFIG, 0, c->opts[i].section, c->opts[i].name,
                        "required key missing");
    }
    return PW_OK;
}

static pw_status_t check_order(cfg_load_t *c)
{
    for (size_t r = 0; r < sizeof order_rules / sizeof order_rules[0]; r++) {
        size_t li, ui;
        const pw_config_option_t *lo = find_option(c, order_rules[r].section, order_rules[r].lower, &li);
        const pw_config_option_t *hi = find_option(c, order_rules[r].section, order_rules[r].upper, &ui);
        char a[32], b[32];
        int64_t lv, hv;

        if (!lo || !hi || !is_int64_type(lo->type) || lo->type != hi->type)
            continue;
        lv = *(int64_t *)field(lo, c->settings);
        hv = *(int64_t *)field(hi, c->settings);
        if (hv >= lv)
            continue;
        format_number(a, sizeof a, hi->type, hv);
        format_number(b, sizeof b, lo->type, lv);
        /* blame the one written in the file (the upper one if both are) */
        if (c->seen[ui] || !c->seen[li])
            return fail(c, PW_ECONFIG, c->seen[ui], hi->section, hi->name,
                        "%s is below %s = %s", a, lo->name, b);
        return fail(c, PW_ECONFIG, c->seen[li], lo->section, lo->name, "%s is above %s = %s", b,
                    hi->name, a);
    }
    return PW_OK;
}

/* Free the loader's own state (the settings are the caller's). */
static void load_free(cfg_load_t *c)
{
    if (!c)
        return;
    if (c->file)
        fclose(c->file);
    keyset_free(&c->mapkeys);
    for (size_t i = 0; i < CFG_OP_KEYS; i++)
        free(c->op_value[i]);
    free(c->seen);
    free(c);
}

/* Read path into c (set up by the caller): defaults, the file (and its include), the
 * operator's defaults, the checks. */
static pw_status_t load_file(cfg_load_t *c, const char *path)
{
    pw_status_t st;
    int rc;

    c->path = path;
    st = apply_defaults(c);
    if (st != PW_OK)
        return st;
    c->file = fopen(path, "r");
    if (!c->file)
        return fail(c, PW_EIO, 0, "", "", "cannot open: %s", strerror(errno));
    rc = ini_parse_stream(cfg_reader, c, cfg_handler, c);
    if (c->status != PW_OK)
        return c->status;
    if (rc == -2)
        return fail(c, PW_ENOMEM, 0, "", "", "%s", pw_strerror(PW_ENOMEM));
    if (rc != 0) /* libinih saw an error check_line() let through */
        return fail(c, PW_ECONFIG, rc > 0 ? (unsigned)rc : 0, "", "", "syntax error");
    if ((st = operator_finish(c)) != PW_OK || (st = check_required(c)) != PW_OK ||
        (st = apply_deferred(c)) != PW_OK)
        return st;
    return check_order(c);
}

/* A loader for path, or NULL (err says why). */
static cfg_load_t *load_new(const char *path, size_t nopts, pw_config_error_t *err)
{
    cfg_load_t *c;

    memset(err, 0, sizeof *err);
    copy_str(err->file, sizeof err->file, path);
    c = calloc(1, sizeof *c);
    if (!c || !(c->seen = calloc(nopts ? nopts : 1, sizeof *c->seen))) {
        snprintf(err->message, sizeof err->message, "%s", pw_strerror(PW_ENOMEM));
        free(c);
        return NULL;
    }
    c->err = err;
    return c;
}

pw_status_t pw_config_load(const char *path, const pw_config_option_t *opts, size_t nopts,
                           const pw_config_map_t *maps, size_t nmaps, void *settings,
                           pw_config_error_t *err)
{
    pw_config_error_t local;
    cfg_load_t *c = NULL;
    pw_status_t st;

    if (!err)
        err = &local;
    if (!path || !settings || (nopts && !opts) || (nmaps && !maps)) {
        memset(err, 0, sizeof *err);
        copy_str(err->file, sizeof err->file, path);
        snprintf(err->message, sizeof err->message, "invalid arguments");
        return PW_EINVAL;
    }
    if (!(c = load_new(path, nopts, err)))
        return PW_ENOMEM;
    c->opts = opts;
    c->nopts = nopts;
    c->maps = maps;
    c->nmaps = nmaps;
    c->settings = settings; /* from here on the option fields are ours to free on failure */
    st = load_file(c, path);
    load_free(c);
    if (st != PW_OK)
        pw_config_free(opts, nopts, settings);
    else
        memset(err, 0, sizeof *err);
    return st;
}

pw_status_t pw_config_operator_load(const char *path, pw_config_operator_t *out, pw_config_error_t *err)
{
    pw_config_error_t local;
    cfg_load_t *c = NULL;
    pw_status_t st = PW_OK;
    char why[200];
    cfg_value_t v;

    if (!err)
        err = &local;
    if (!path || !out) {
        memset(err, 0, sizeof *err);
        snprintf(err->message, sizeof err->message, "invalid arguments");
        return PW_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (!(c = load_new(path, 0, err)))
        return PW_ENOMEM;
    c->operator_only = 1;
    c->settings = out;
    st = load_file(c, path);
    if (st == PW_OK && !c->op_any) {
        st = PW_ENOTFOUND;
        snprintf(err->message, sizeof err->message, "no [operator] section and no include");
    }
    for (size_t i = 0; st == PW_OK && i < CFG_OP_KEYS; i++) {
        st = parse_value(&pw_config_operator_options[i], c->op_value[i], &v, why, sizeof why);
        if (st == PW_OK)
            store_value(&pw_config_operator_options[i], out, &v);
        else
            fail(c, st, 0, "operator", pw_config_operator_options[i].name, "%s", why);
    }
    if (st == PW_OK && !(out->config_dir = strdup(c->op_dir)))
        st = PW_ENOMEM;
    load_free(c);
    if (st != PW_OK)
        pw_config_operator_free(out);
    else
        memset(err, 0, sizeof *err);
    return st;
}

void pw_config_operator_free(pw_config_operator_t *op)
{
    if (!op)
        return;
    pw_config_free(pw_config_operator_options, CFG_OP_KEYS, op);
    free(op->config_dir);
    op->config_dir = NULL;
}

/* ---- where a key is ---- */

unsigned pw_config_line_of(const char *path, const char *section, const char *key)
{
    char line[CFG_LINE_MAX + 2], current[CFG_SECTION_MAX + 1] = "";
    unsigned lineno = 0, found = 0;
    FILE *f;

    if (!path || !section || !key || !(f = fopen(path, "r")))
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *p = trim(line), *end;
        lineno++;
        if (*p == '[' && (end = strchr(p, ']')) != NULL) {
            *end = '\0';
            copy_str(current, sizeof current, trim(p + 1));
        } else if (strcmp(current, section) == 0 && (end = strchr(p, '=')) != NULL) {
            *end = '\0';
            if (strcmp(trim(p), key) == 0)
                found = lineno;
        }
    }
    fclose(f);
    return found;
}

/* ---- text ---- */

const char *pw_config_error_text(const pw_config_error_t *e, char *buf, size_t cap)
{
    size_t o = 0;
    int n;

    if (!buf || cap == 0)
        return buf;
    buf[0] = '\0';
    if (!e)
        return buf;
#define PW_CFG_APPEND(...)                                                 \
    do {                                                                   \
        n = snprintf(buf + o, cap - o, __VA_ARGS__);                       \
        if (n < 0 || (size_t)n >= cap - o)                                 \
            return buf;                                                    \
        o += (size_t)n;                                                    \
    } while (0)
    if (e->line)
        PW_CFG_APPEND("%s:%u: ", e->file, e->line);
    else
        PW_CFG_APPEND("%s: ", e->file);
    if (e->section[0] && e->key[0])
        PW_CFG_APPEND("[%s] %s: ", e->section, e->key);
    else if (e->section[0])
        PW_CFG_APPEND("[%s]: ", e->section);
    else if (e->key[0])
        PW_CFG_APPEND("%s: ", e->key);
    PW_CFG_APPEND("%s", e->message);
#undef PW_CFG_APPEND
    return buf;
}

/* The bounds of an option in words ("1..253 characters", "at least 1s", "yes/no"); "" when its
 * type has none worth saying (an integer of any value). */
static void describe_bounds(const pw_config_option_t *o, char *buf, size_t cap)
{
    int64_t lo, hi;
    char a[32], b[32];

    option_bounds(o, &lo, &hi);
    format_number(a, sizeof a, o->type, lo);
    format_number(b, sizeof b, o->type, hi);
    switch (o->type) {
    case PW_OPT_BOOL: snprintf(buf, cap, "yes/no"); break;
    case PW_OPT_LOGLEVEL: snprintf(buf, cap, "error, warn, info, debug"); break;
    case PW_OPT_LIST:
        if (hi == INT64_MAX)
            snprintf(buf, cap, "at least %s items", a);
        else
            snprintf(buf, cap, "%s..%s items", a, b);
        break;
    case PW_OPT_STRING:
    case PW_OPT_JID:
    case PW_OPT_DOMAIN:
    case PW_OPT_HOST:
    case PW_OPT_PATH:
        snprintf(buf, cap, "%s..%s characters", a, b);
        break;
    default:
        if (lo == INT64_MIN && hi == INT64_MAX)
            snprintf(buf, cap, "%s", "");
        else if (hi == INT64_MAX)
            snprintf(buf, cap, "at least %s", a);
        else
            snprintf(buf, cap, "%s..%s", a, b);
        break;
    }
}

/* "type, bounds" of an option for the text reference ("boolean (yes/no)" for the enumerations). */
static void describe(const pw_config_option_t *o, char *buf, size_t cap)
{
    char bounds[96];

    describe_bounds(o, bounds, sizeof bounds);
    if (!bounds[0])
        snprintf(buf, cap, "%s", type_name(o->type));
    else if (o->type == PW_OPT_BOOL || o->type == PW_OPT_LOGLEVEL)
        snprintf(buf, cap, "%s (%s)", type_name(o->type), bounds);
    else
        snprintf(buf, cap, "%s, %s", type_name(o->type), bounds);
}

/* The text reference: "[section]", then per option "name  type, bounds; default X" and its help. */
static void print_text(FILE *out, const pw_config_option_t *opts, size_t nopts,
                       const pw_config_map_t *maps, size_t nmaps)
{
    const char *section = NULL;
    char what[128];

    for (size_t i = 0; opts && i < nopts; i++) {
        const pw_config_option_t *o = &opts[i];
        if (!section || strcmp(section, o->section) != 0) {
            fprintf(out, "%s[%s]\n", section ? "\n" : "", o->section);
            section = o->section;
        }
        describe(o, what, sizeof what);
        if (o->def)
            fprintf(out, "%-16s %s; default %s\n", o->name, what, o->def[0] ? o->def : "\"\"");
        else
            fprintf(out, "%-16s %s; required\n", o->name, what);
        fprintf(out, "%-16s %s\n", "", o->help ? o->help : "");
    }
    for (size_t i = 0; maps && i < nmaps; i++) {
        fprintf(out, "%s[%s]\n", section || i ? "\n" : "", maps[i].section);
        fprintf(out, "%-16s map section: every line is \"key = value\" data\n", "KEY = VALUE");
        fprintf(out, "%-16s %s\n", "", maps[i].help ? maps[i].help : "");
    }
}

/* Text as roff (man(7)) prints it: a backslash as \(rs, a hyphen as \- (a minus, so that it is
 * searched and copied as one), a '.' or '\'' that would start a line as a request made plain by
 * \&. at_line_start says whether text starts a line of the output. */
static void roff_put(FILE *out, const char *text, int at_line_start)
{
    for (const char *p = text ? text : ""; *p; p++) {
        if (at_line_start && (*p == '.' || *p == '\''))
            fputs("\\&", out);
        at_line_start = *p == '\n';
        if (*p == '\\')
            fputs("\\(rs", out);
        else if (*p == '-')
            fputs("\\-", out);
        else
            fputc(*p, out);
    }
}

/* The roff reference for a man page: ".SS [section]", then per option a ".TP" paragraph
 * "\fBname\fR = \fItype\fR" over its help, its default (or "required") and its bounds. */
static void print_man(FILE *out, const pw_config_option_t *opts, size_t nopts,
                      const pw_config_map_t *maps, size_t nmaps)
{
    const char *section = NULL;
    char bounds[96];

    for (size_t i = 0; opts && i < nopts; i++) {
        const pw_config_option_t *o = &opts[i];
        if (!section || strcmp(section, o->section) != 0) {
            fputs(".SS [", out);
            roff_put(out, o->section, 0);
            fputs("]\n", out);
            section = o->section;
        }
        fputs(".TP\n\\fB", out);
        roff_put(out, o->name, 0);
        fputs("\\fR = \\fI", out);
        roff_put(out, type_name(o->type), 0);
        fputs("\\fR\n", out);
        roff_put(out, o->help, 1);
        fputs("\n.br\n", out);
        if (!o->def) {
            fputs("Required", out);
        } else {
            fputs("Default: \\fB", out);
            roff_put(out, o->def[0] ? o->def : "\"\"", 0);
            fputs("\\fR", out);
        }
        describe_bounds(o, bounds, sizeof bounds);
        if (bounds[0]) {
            fputs("; ", out);
            roff_put(out, bounds, 0);
        }
        fputs(".\n", out);
    }
    for (size_t i = 0; maps && i < nmaps; i++) {
        fputs(".SS [", out);
        roff_put(out, maps[i].section, 0);
        fputs("]\nA map section: every line is \\fIkey\\fR = \\fIvalue\\fR data.\n.br\n", out);
        roff_put(out, maps[i].help, 1);
        fputs("\n", out);
    }
}

void pw_config_print_reference_as(FILE *out, const pw_config_option_t *opts, size_t nopts,
                                  const pw_config_map_t *maps, size_t nmaps, pw_config_format_t fmt)
{
    if (!out)
        return;
    if (fmt == PW_CONFIG_FORMAT_MAN)
        print_man(out, opts, nopts, maps, nmaps);
    else
        print_text(out, opts, nopts, maps, nmaps);
}

void pw_config_print_reference(FILE *out, const pw_config_option_t *opts, size_t nopts,
                               const pw_config_map_t *maps, size_t nmaps)
{
    pw_config_print_reference_as(out, opts, nopts, maps, nmaps, PW_CONFIG_FORMAT_TEXT);
}
