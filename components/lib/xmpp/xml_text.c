/* xml_text.c: XML written as text into a growing buffer (see pw_xml_text.h). */
#include "xmpp/pw_xml_text.h"

#include <stdlib.h>
#include <string.h>

#include "core/pw_array.h"

void pw_xml_text_reset(pw_xml_text_t *t)
{
    t->len = 0;
    t->failed = 0;
    if (t->buf)
        t->buf[0] = '\0';
}

void pw_xml_text_free(pw_xml_text_t *t)
{
    if (!t)
        return;
    free(t->buf);
    t->buf = NULL;
    t->len = t->cap = 0;
    t->failed = 0;
}

/* Room for n more bytes and the NUL; 0 when there is. */
static int reserve(pw_xml_text_t *t, size_t n)
{
    if (t->failed)
        return -1;
    if (pw_array_grow(&t->buf, &t->cap, t->len + n + 1, 1, 256) != PW_OK) {
        t->failed = 1;
        return -1;
    }
    return 0;
}

void pw_xml_text_raw(pw_xml_text_t *t, const char *raw, size_t len)
{
    if (reserve(t, len) != 0)
        return;
    memcpy(t->buf + t->len, raw, len);
    t->len += len;
    t->buf[t->len] = '\0';
}

static void append(pw_xml_text_t *t, const char *s)
{
    pw_xml_text_raw(t, s, strlen(s));
}

/* Append s escaped: the runs without a special character are copied whole. */
static void escaped(pw_xml_text_t *t, const char *s)
{
    while (*s) {
        size_t run = strcspn(s, "&<>\"'");
        const char *ent = NULL;
        pw_xml_text_raw(t, s, run);
        s += run;
        switch (*s) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&apos;"; break;
        default: return; /* the end */
        }
        append(t, ent);
        s++;
    }
}

void pw_xml_text_open(pw_xml_text_t *t, const char *name)
{
    pw_xml_text_raw(t, "<", 1);
    append(t, name);
}

void pw_xml_text_attr(pw_xml_text_t *t, const char *name, const char *value)
{
    pw_xml_text_raw(t, " ", 1);
    append(t, name);
    pw_xml_text_raw(t, "=\"", 2);
    escaped(t, value);
    pw_xml_text_raw(t, "\"", 1);
}

void pw_xml_text_start_end(pw_xml_text_t *t)
{
    pw_xml_text_raw(t, ">", 1);
}

void pw_xml_text_empty_end(pw_xml_text_t *t)
{
    pw_xml_text_raw(t, "/>", 2);
}

void pw_xml_text_chars(pw_xml_text_t *t, const char *text)
{
    escaped(t, text);
}

void pw_xml_text_close(pw_xml_text_t *t, const char *name)
{
    pw_xml_text_raw(t, "</", 2);
    append(t, name);
    pw_xml_text_raw(t, ">", 1);
}
