/* config_expand.c: the ${name}, ${name:-text} and ${name:+text} forms of built-in defaults, filled from the operator file (docs/config.md, "The operator file"). */
#include "core/pw_config.h"

#include <string.h>

/* Where the expansion writes. */
typedef struct expand_out {
    char *buf;
    size_t cap, len;
    int overflow;
} expand_out_t;

static void put(expand_out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* The value of a variable: NULL when unset (or unknown). */
static const char *lookup(const pw_config_vars_t *vars, const char *name, size_t n)
{
    for (size_t i = 0; vars && i < vars->n; i++) {
        if (strlen(vars->names[i]) == n && strncmp(vars->names[i], name, n) == 0)
            return vars->values[i];
    }
    return NULL;
}

/* The '}' closing the '${' at s (nesting counted), or NULL. */
static const char *closing(const char *s)
{
    int depth = 0;
    for (; *s; s++) {
        if (s[0] == '$' && s[1] == '{') {
            depth++;
            s++;
        } else if (*s == '}' && --depth == 0) {
            return s;
        }
    }
    return NULL;
}

static pw_status_t expand(const char *s, const char *end, const pw_config_vars_t *vars, expand_out_t *o,
                          char *missing, size_t mcap)
{
    while (s < end) {
        const char *open = strstr(s, "${"), *close, *name, *op;
        const char *value;
        size_t n;

        if (!open || open >= end) {
            put(o, s, (size_t)(end - s));
            break;
        }
        put(o, s, (size_t)(open - s));
        close = closing(open);
        if (!close || close > end)
            return PW_EINVAL;
        name = open + 2;
        for (op = name; op < close && *op != ':'; op++)
            ;
        n = (size_t)(op - name);
        if (n == 0)
            return PW_EINVAL;
        value = lookup(vars, name, n);
        if (op == close) { /* ${name} */
            if (!value) {
                if (missing && mcap)
                    snprintf(missing, mcap, "%.*s", (int)n, name);
                return PW_ENOTFOUND;
            }
            put(o, value, strlen(value));
        } else if (op + 1 < close && (op[1] == '-' || op[1] == '+')) {
            int use_text = op[1] == '-' ? value == NULL : value != NULL;
            pw_status_t st;
            if (op[1] == '-' && value)
                put(o, value, strlen(value));
            if (use_text && (st = expand(op + 2, close, vars, o, missing, mcap)) != PW_OK)
                return st;
        } else {
            return PW_EINVAL;
        }
        s = close + 1;
    }
    return o->overflow ? PW_ERANGE : PW_OK;
}

pw_status_t pw_config_expand(const char *text, const pw_config_vars_t *vars, char *out, size_t cap,
                             char *missing, size_t mcap)
{
    expand_out_t o = { out, cap, 0, 0 };

    if (missing && mcap)
        missing[0] = '\0';
    if (!text || !out || cap == 0)
        return PW_EINVAL;
    out[0] = '\0';
    return expand(text, text + strlen(text), vars, &o, missing, mcap);
}

int pw_config_has_vars(const char *text)
{
    return text && strstr(text, "${") != NULL;
}
