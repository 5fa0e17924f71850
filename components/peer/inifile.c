/* inifile.c: a Peerwatch INI file as editable lines: key lines read with the loader's rules (docs/config.md: comments, inline " ;", trimming), values set in place, lines added where their section keeps its keys. */
#include "peer_ini.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/pw_array.h"
#include "peer_file.h"

#define NO_SECTION SIZE_MAX
#define BLANKS " \t\r\v\f"

enum { L_BLANK, L_COMMENT, L_SECTION, L_PAIR, L_OTHER };

/* One line of the file, and what it says. */
typedef struct ini_line {
    char *text;          /* without its line end */
    const char *eol;     /* "\n", "\r\n", or "" for a last line without one */
    unsigned orig;       /* 1-based line in the file as read; 0 when added */
    int kind;            /* L_* */
    char *name;          /* L_SECTION: the section's name; L_PAIR: the key */
    char *value;         /* L_PAIR: the value as the loader reads it */
    size_t val_off;      /* L_PAIR: where the value starts in text */
    size_t val_len;      /* L_PAIR: its length there */
    size_t sect;         /* the header line of its section, or NO_SECTION */
} ini_line_t;

struct pw_peer_ini {
    char *path;
    ini_line_t *lines;
    size_t n, cap;
    const char *eol; /* line end of added lines: the file's own */
    int changed;
};

static int is_blank(char c)
{
    return c != '\0' && strchr(BLANKS, c) != NULL;
}

static char *dup_span(const char *s, size_t a, size_t b)
{
    while (a < b && is_blank(s[a]))
        a++;
    while (b > a && is_blank(s[b - 1]))
        b--;
    return strndup(s + a, b - a);
}

/* What a line says, by the loader's rules. */
static pw_status_t parse_line(ini_line_t *l)
{
    const char *t = l->text, *eq, *close;
    size_t len = strlen(t), a = 0, b = len, v, end;

    free(l->name);
    free(l->value);
    l->name = l->value = NULL;
    l->kind = L_OTHER;
    if (len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0)
        a = 3; /* a byte-order mark */
    while (a < b && is_blank(t[a]))
        a++;
    while (b > a && is_blank(t[b - 1]))
        b--;
    if (a == b) {
        l->kind = L_BLANK;
    } else if (t[a] == ';' || t[a] == '#') {
        l->kind = L_COMMENT;
    } else if (t[a] == '[') {
        close = memchr(t + a, ']', b - a);
        if (close) {
            l->kind = L_SECTION;
            l->name = dup_span(t, a + 1, (size_t)(close - t));
        }
    } else if ((eq = memchr(t + a, '=', b - a)) != NULL) {
        v = (size_t)(eq - t) + 1;
        while (v < b && is_blank(t[v]))
            v++;
        for (end = v; end < b; end++)
            if (t[end] == ';' && end > 0 && (t[end - 1] == ' ' || t[end - 1] == '\t'))
                break; /* an inline comment */
        while (end > v && is_blank(t[end - 1]))
            end--;
        l->kind = L_PAIR;
        l->name = dup_span(t, a, (size_t)(eq - t));
        l->value = strndup(t + v, end - v);
        l->val_off = v;
        l->val_len = end - v;
    }
    if ((l->kind == L_SECTION && !l->name) || (l->kind == L_PAIR && (!l->name || !l->value)))
        return PW_ENOMEM;
    return PW_OK;
}

/* Parse every line again and give each its section. */
static pw_status_t reparse(pw_peer_ini_t *ini)
{
    size_t sect = NO_SECTION;
    for (size_t i = 0; i < ini->n; i++) {
        if (parse_line(&ini->lines[i]) != PW_OK)
            return PW_ENOMEM;
        if (ini->lines[i].kind == L_SECTION)
            sect = i;
        ini->lines[i].sect = sect;
    }
    return PW_OK;
}

static const char *section_of(const pw_peer_ini_t *ini, const ini_line_t *l)
{
    return l->sect == NO_SECTION ? "" : ini->lines[l->sect].name;
}

/* Append a line read from the file (text copied). */
static pw_status_t add_read_line(pw_peer_ini_t *ini, const char *s, size_t n, const char *eol)
{
    ini_line_t *l;
    if (pw_array_grow(&ini->lines, &ini->cap, ini->n + 1, sizeof *ini->lines, 64) != PW_OK)
        return PW_ENOMEM;
    l = &ini->lines[ini->n];
    memset(l, 0, sizeof *l);
    l->text = strndup(s, n);
    if (!l->text)
        return PW_ENOMEM;
    l->eol = eol;
    l->orig = (unsigned)++ini->n;
    return PW_OK;
}

pw_status_t pw_peer_ini_load(pw_peer_ini_t **out, const char *path, char *why, size_t cap)
{
    pw_peer_ini_t *ini = NULL;
    char *text = NULL;
    size_t len = 0, pos = 0;
    pw_status_t rc;

    *out = NULL;
    rc = pw_peer_file_read(path, PW_PEER_INI_SIZE_MAX, &text, &len, why, cap);
    if (rc != PW_OK)
        goto done;
    rc = PW_ENOMEM;
    ini = calloc(1, sizeof *ini);
    if (!ini || !(ini->path = strdup(path)))
        goto done;
    ini->eol = "\n";
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        int crlf = nl && n > 0 && text[pos + n - 1] == '\r';
        const char *eol = !nl ? "" : crlf ? "\r\n" : "\n";
        if (add_read_line(ini, text + pos, n - (size_t)crlf, eol) != PW_OK)
            goto done;
        if (ini->n == 1 && crlf)
            ini->eol = "\r\n";
        pos += n + (nl != NULL);
    }
    if (reparse(ini) != PW_OK)
        goto done;
    *out = ini;
    ini = NULL;
    rc = PW_OK;
done:
    if (rc == PW_ENOMEM)
        snprintf(why, cap, "%s: out of memory", path);
    pw_peer_ini_destroy(ini);
    free(text);
    return rc;
}

void pw_peer_ini_destroy(pw_peer_ini_t *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->lines[i].text);
        free(ini->lines[i].name);
        free(ini->lines[i].value);
    }
    free(ini->lines);
    free(ini->path);
    free(ini);
}

const char *pw_peer_ini_path(const pw_peer_ini_t *ini)
{
    return ini->path;
}

static void fill_entry(const pw_peer_ini_t *ini, const ini_line_t *l, pw_peer_ini_entry_t *e)
{
    if (!e)
        return;
    e->section = section_of(ini, l);
    e->key = l->name;
    e->value = l->value;
    e->line = l->orig;
}

int pw_peer_ini_next(const pw_peer_ini_t *ini, const char *section, size_t *cursor,
                     pw_peer_ini_entry_t *e)
{
    while (*cursor < ini->n) {
        const ini_line_t *l = &ini->lines[(*cursor)++];
        if (l->kind == L_PAIR && strcmp(section_of(ini, l), section) == 0) {
            fill_entry(ini, l, e);
            return 1;
        }
    }
    return 0;
}

/* The index of the first line of key in section, or NO_SECTION. */
static size_t find_line(const pw_peer_ini_t *ini, const char *section, const char *key, int fold)
{
    for (size_t i = 0; i < ini->n; i++) {
        const ini_line_t *l = &ini->lines[i];
        if (l->kind == L_PAIR && strcmp(section_of(ini, l), section) == 0 &&
            (fold ? strcasecmp(l->name, key) : strcmp(l->name, key)) == 0)
            return i;
    }
    return NO_SECTION;
}

int pw_peer_ini_find(const pw_peer_ini_t *ini, const char *section, const char *key, int fold,
                     pw_peer_ini_entry_t *e)
{
    size_t i = find_line(ini, section, key, fold);
    if (i == NO_SECTION)
        return 0;
    fill_entry(ini, &ini->lines[i], e);
    return 1;
}

/*
 * Where a new key line of section goes: after its last key line; in a section without one,
 * after its own lines (the comments heading the next section, set off by a blank line, stay
 * with that section); NO_SECTION when the file has no such section.
 */
static size_t insert_point(const pw_peer_ini_t *ini, const char *section)
{
    size_t last_pair = NO_SECTION, header = NO_SECTION, end, stop, j;

    for (size_t i = 0; i < ini->n; i++) {
        const ini_line_t *l = &ini->lines[i];
        if (l->kind == L_PAIR && strcmp(section_of(ini, l), section) == 0)
            last_pair = i;
        if (l->kind == L_SECTION && header == NO_SECTION && strcmp(l->name, section) == 0)
            header = i;
    }
    if (last_pair != NO_SECTION)
        return last_pair + 1;
    if (header == NO_SECTION)
        return NO_SECTION;
    for (end = header + 1; end < ini->n && ini->lines[end].kind != L_SECTION; end++)
        ;
    stop = end;
    if (end < ini->n) {
        for (j = end; j > header + 1 && ini->lines[j - 1].kind == L_COMMENT; j--)
            ;
        if (j < end && j > header + 1 && ini->lines[j - 1].kind == L_BLANK)
            stop = j;
    }
    while (stop > header + 1 && ini->lines[stop - 1].kind == L_BLANK)
        stop--;
    return stop;
}

/* Insert a new line (text taken over) before index pos. */
static pw_status_t insert_line(pw_peer_ini_t *ini, size_t pos, char *text)
{
    ini_line_t *l;
    if (!text ||
        pw_array_grow(&ini->lines, &ini->cap, ini->n + 1, sizeof *ini->lines, 64) != PW_OK) {
        free(text);
        return PW_ENOMEM;
    }
    memmove(&ini->lines[pos + 1], &ini->lines[pos], (ini->n - pos) * sizeof *ini->lines);
    l = &ini->lines[pos];
    memset(l, 0, sizeof *l);
    l->text = text;
    l->eol = ini->eol;
    ini->n++;
    if (pos > 0 && ini->lines[pos - 1].eol[0] == '\0')
        ini->lines[pos - 1].eol = ini->eol; /* the old last line had no line end */
    return PW_OK;
}

/* Whether key and value can be written as "key = value" and read back the same. */
static pw_status_t writable(const char *key, const char *value, char *why, size_t cap)
{
    size_t klen = strlen(key), vlen = strlen(value);

    if (klen == 0 || klen > 127 || strpbrk(key, " \t=:;#[") || key[strcspn(key, "\r\n")]) {
        snprintf(why, cap, "'%.64s' cannot be a key", key);
        return PW_EINVAL;
    }
    for (size_t i = 0; i < vlen; i++) {
        unsigned char ch = (unsigned char)value[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f ||
            (ch == ';' && i > 0 && (value[i - 1] == ' ' || value[i - 1] == '\t'))) {
            snprintf(why, cap, "%s: the value cannot be written in an INI file", key);
            return PW_EINVAL;
        }
    }
    if (vlen > 0 && (is_blank(value[0]) || is_blank(value[vlen - 1]))) {
        snprintf(why, cap, "%s: the value has leading or trailing blanks", key);
        return PW_EINVAL;
    }
    return PW_OK;
}

/* The new text of line l with value in place of its value. */
static char *replaced(const ini_line_t *l, const char *value)
{
    const char *rest = l->text + l->val_off + l->val_len;
    int gap = l->val_len == 0 && rest[0] != '\0'; /* "key = ; comment" */
    size_t n = l->val_off + strlen(value) + (size_t)gap + strlen(rest) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%.*s%s%s%s", (int)l->val_off, l->text, value, gap ? " " : "", rest);
    return s;
}

static int too_long(const char *text)
{
    size_t a = strspn(text, BLANKS), b = strlen(text);
    while (b > a && is_blank(text[b - 1]))
        b--;
    return b - a > PW_PEER_INI_LINE_MAX;
}

/* Add the line text (taken over) to section, adding the section at the end when it is missing. */
static pw_status_t add_line(pw_peer_ini_t *ini, const char *section, char *text)
{
    size_t pos = insert_point(ini, section);
    char *header = NULL;

    if (pos != NO_SECTION)
        return insert_line(ini, pos, text);
    if ((ini->n > 0 && ini->lines[ini->n - 1].kind != L_BLANK &&
         insert_line(ini, ini->n, strdup("")) != PW_OK) ||
        asprintf(&header, "[%s]", section) < 0 || insert_line(ini, ini->n, header) != PW_OK) {
        free(text);
        return PW_ENOMEM;
    }
    return insert_line(ini, ini->n, text);
}

pw_status_t pw_peer_ini_set(pw_peer_ini_t *ini, const char *section, const char *key,
                            const char *value, char *why, size_t cap)
{
    size_t at = find_line(ini, section, key, 0);
    pw_status_t rc = writable(key, value, why, cap);
    char *text = NULL;

    if (rc != PW_OK || (at != NO_SECTION && strcmp(ini->lines[at].value, value) == 0))
        goto done; /* refused, or already so */
    if (at != NO_SECTION)
        text = replaced(&ini->lines[at], value);
    else if (asprintf(&text, "%s = %s", key, value) < 0)
        text = NULL;
    if (!text) {
        rc = PW_ENOMEM;
        goto done;
    }
    if (too_long(text)) {
        rc = PW_EINVAL;
        snprintf(why, cap, "%s: [%s] %s: the line would be longer than %d characters, which the "
                 "configuration loader refuses", ini->path, section, key, PW_PEER_INI_LINE_MAX);
        goto done;
    }
    if (at != NO_SECTION) {
        free(ini->lines[at].text);
        ini->lines[at].text = text;
    } else {
        rc = add_line(ini, section, text);
    }
    text = NULL;
    if (rc == PW_OK)
        rc = reparse(ini);
    if (rc == PW_OK)
        ini->changed = 1;
done:
    if (rc == PW_ENOMEM)
        snprintf(why, cap, "out of memory");
    free(text);
    return rc;
}

int pw_peer_ini_changed(const pw_peer_ini_t *ini)
{
    return ini->changed;
}

pw_status_t pw_peer_ini_render(const pw_peer_ini_t *ini, char **out, size_t *len)
{
    size_t total = 1, o = 0;
    char *s;

    for (size_t i = 0; i < ini->n; i++)
        total += strlen(ini->lines[i].text) + strlen(ini->lines[i].eol);
    s = malloc(total);
    if (!s)
        return PW_ENOMEM;
    for (size_t i = 0; i < ini->n; i++) {
        size_t a = strlen(ini->lines[i].text), b = strlen(ini->lines[i].eol);
        memcpy(s + o, ini->lines[i].text, a);
        memcpy(s + o + a, ini->lines[i].eol, b);
        o += a + b;
    }
    s[o] = '\0';
    *out = s;
    *len = o;
    return PW_OK;
}
