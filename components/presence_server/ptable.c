/* ptable.c: the presentity table: per-resource presence and the RFC 6121 §4.7.2 / §8.5.2.1 aggregate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_jid.h"
#include "core/pw_map.h"
#include "core/pw_text.h"
#include "pw_ptable.h"

#define PT_DEFAULT_PRESENTITIES 1000000u
#define PT_DEFAULT_RESOURCES 16u
#define PT_STATUS_CAP (sizeof(((pw_presence_state_t *)0)->status) - 1) /* 1023 */
#define PT_PRIORITY_TEXT 16

/* RFC 6121 §4.7.2.1 show values; index 0 is "plainly available". */
static const char *const pt_shows[] = { "", "away", "chat", "dnd", "xa" };

typedef struct pt_resource {
    char *name;         /* the resource (malloc'd) */
    char *status;       /* status text (malloc'd) or NULL */
    int priority;       /* -128..127 */
    unsigned char show; /* index into pt_shows */
    uint64_t stamp;     /* update order: larger is more recent */
} pt_resource_t;

typedef struct pt_entry {
    size_t n, cap;
    pt_resource_t *res;
} pt_entry_t;

struct pw_ptable {
    pw_map_t *map;            /* lower-case bare JID -> pt_entry_t */
    pw_ptable_limits_t limits;
    uint64_t stamp;           /* last update order given out */
};

static unsigned char show_index(const char *show)
{
    for (unsigned char i = 1; i < sizeof pt_shows / sizeof pt_shows[0]; i++) {
        if (show && strcmp(show, pt_shows[i]) == 0)
            return i;
    }
    return 0;
}

/* Copy at most max bytes of text, cut back to the start of a UTF-8 character. */
static char *bounded_copy(const char *text, size_t max)
{
    size_t len;
    char *out;
    if (!text || !*text)
        return NULL;
    len = strlen(text);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    out = malloc(len + 1);
    if (!out)
        return NULL;
    memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

static void entry_free(void *value)
{
    pt_entry_t *e = value;
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        free(e->res[i].name);
        free(e->res[i].status);
    }
    free(e->res);
    free(e);
}

static void entry_remove(pt_entry_t *e, size_t i)
{
    free(e->res[i].name);
    free(e->res[i].status);
    e->res[i] = e->res[e->n - 1];
    e->n--;
}

/* The winning resource: highest priority, ties to the most recent; NULL when none. */
static const pt_resource_t *entry_top(const pt_entry_t *e)
{
    const pt_resource_t *best = NULL;
    if (!e)
        return NULL;
    for (size_t i = 0; i < e->n; i++) {
        const pt_resource_t *r = &e->res[i];
        if (!best || r->priority > best->priority ||
            (r->priority == best->priority && r->stamp > best->stamp))
            best = r;
    }
    return best;
}

static void entry_state(const pt_entry_t *e, pw_presence_state_t *out)
{
    const pt_resource_t *top = entry_top(e);
    memset(out, 0, sizeof *out);
    if (!top)
        return;
    out->available = 1;
    strcpy(out->show, pt_shows[top->show]);
    if (top->status) {
        size_t len = strlen(top->status);
        if (len > sizeof out->status - 1)
            len = sizeof out->status - 1;
        memcpy(out->status, top->status, len);
        out->status[len] = '\0';
    }
}

static int same_state(const pw_presence_state_t *a, const pw_presence_state_t *b)
{
    return a->available == b->available && strcmp(a->show, b->show) == 0 &&
           strcmp(a->status, b->status) == 0;
}

pw_status_t pw_ptable_create(pw_ptable_t **out, const pw_ptable_limits_t *limits)
{
    pw_ptable_t *t;
    pw_status_t rc = PW_ENOMEM;
    if (!out)
        return PW_EINVAL;
    *out = NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        goto done;
    rc = pw_map_create(&t->map);
    if (rc != PW_OK)
        goto done;
    pw_ptable_set_limits(t, limits);
    *out = t;
    t = NULL;
    rc = PW_OK;
done:
    pw_ptable_destroy(t);
    return rc;
}

void pw_ptable_destroy(pw_ptable_t *t)
{
    if (!t)
        return;
    pw_map_destroy_values(t->map, entry_free);
    free(t);
}

void pw_ptable_set_limits(pw_ptable_t *t, const pw_ptable_limits_t *limits)
{
    pw_ptable_limits_t l = { 0, 0, 0 };
    if (limits)
        l = *limits;
    if (l.max_presentities == 0)
        l.max_presentities = PT_DEFAULT_PRESENTITIES;
    if (l.max_resources == 0)
        l.max_resources = PT_DEFAULT_RESOURCES;
    if (l.max_status == 0 || l.max_status > PT_STATUS_CAP)
        l.max_status = PT_STATUS_CAP;
    t->limits = l;
}

/* Store an available resource in e (new or updated). */
static pw_status_t entry_put(pw_ptable_t *t, pt_entry_t *e, const char *resource, int priority,
                             const char *show, const char *status)
{
    pt_resource_t *r = NULL;
    char *st = NULL;
    if (status && *status) {
        st = bounded_copy(status, t->limits.max_status);
        if (!st)
            return PW_ENOMEM;
    }
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->res[i].name, resource) == 0) {
            r = &e->res[i];
            break;
        }
    }
    if (!r) {
        char *name = strdup(resource);
        if (!name) {
            free(st);
            return PW_ENOMEM;
        }
        while (e->n >= t->limits.max_resources && e->n > 0) {
            size_t oldest = 0;
            for (size_t i = 1; i < e->n; i++) {
                if (e->res[i].stamp < e->res[oldest].stamp)
                    oldest = i;
            }
            entry_remove(e, oldest);
        }
        if (e->n == e->cap) {
            size_t cap = e->cap ? e->cap * 2 : 1;
            pt_resource_t *grown = realloc(e->res, cap * sizeof *grown);
            if (!grown) {
                free(name);
                free(st);
                return PW_ENOMEM;
            }
            e->res = grown;
            e->cap = cap;
        }
        r = &e->res[e->n++];
        memset(r, 0, sizeof *r);
        r->name = name;
    }
    free(r->status);
    r->status = st;
    r->priority = priority < -128 ? -128 : priority > 127 ? 127 : priority;
    r->show = show_index(show);
    r->stamp = ++t->stamp;
    return PW_OK;
}

pw_status_t pw_ptable_set(pw_ptable_t *t, const char *bare, const char *resource, int available,
                          int priority, const char *show, const char *status, int *changed)
{
    char key[PW_JID_MAX + 1], local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1];
    pw_presence_state_t before, after;
    pt_entry_t *e;
    int created = 0;
    pw_status_t rc = PW_EINVAL;

    if (changed)
        *changed = 0;
    if (!t || !bare || !resource)
        goto done;
    if (pw_jid_split(bare, local, sizeof local, domain, sizeof domain, NULL, 0) != PW_OK ||
        !local[0] || strchr(bare, '/'))
        goto done;
    pw_text_fold(bare, key, sizeof key);
    e = pw_map_get(t->map, key);
    entry_state(e, &before);
    if (!available) {
        if (e) {
            for (size_t i = 0; i < e->n; i++) {
                if (strcmp(e->res[i].name, resource) == 0) {
                    entry_remove(e, i);
                    break;
                }
            }
            if (e->n == 0)
                entry_free(pw_map_remove(t->map, key));
        }
        rc = PW_OK;
        goto report;
    }
    if (!e) {
        if (pw_map_count(t->map) >= t->limits.max_presentities) {
            rc = PW_EFULL;
            goto done;
        }
        e = calloc(1, sizeof *e);
        if (!e) {
            rc = PW_ENOMEM;
            goto done;
        }
        created = 1;
    }
    rc = entry_put(t, e, resource, priority, show, status);
    if (created) {
        if (rc == PW_OK)
            rc = pw_map_put(t->map, key, e, NULL);
        if (rc != PW_OK) {
            entry_free(e);
            goto done;
        }
    }
    if (rc != PW_OK)
        goto done;
report:
    e = pw_map_get(t->map, key);
    entry_state(e, &after);
    if (changed)
        *changed = !same_state(&before, &after);
done:
    return rc;
}

pw_status_t pw_ptable_apply(pw_ptable_t *t, xmpp_stanza_t *presence, char *bare, size_t cap,
                            int *changed)
{
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1], resource[PW_JID_PART_MAX + 1];
    char key[PW_JID_MAX + 1], show[8], prio[PT_PRIORITY_TEXT];
    const char *from, *type, *status_text = NULL;
    xmpp_stanza_t *status_el;
    char *status = NULL;
    long priority = 0;
    int available;
    pw_status_t rc = PW_EINVAL;

    if (changed)
        *changed = 0;
    if (bare && cap)
        bare[0] = '\0';
    if (!t || !presence)
        goto done;
    from = xmpp_stanza_get_from(presence);
    if (!from || pw_jid_split(from, local, sizeof local, domain, sizeof domain, resource,
                              sizeof resource) != PW_OK || !local[0])
        goto done;
    snprintf(key, sizeof key, "%s@%s", local, domain);
    if (bare && cap)
        pw_text_fold(key, bare, cap);
    type = xmpp_stanza_get_type(presence);
    if (type && strcmp(type, "unavailable") != 0) {
        rc = PW_OK; /* probe, subscribe, error, ...: not a presence state */
        goto done;
    }
    available = type == NULL;
    if (available) {
        char *end = NULL;
        pw_stanza_child_text(presence, "show", NULL, show, sizeof show);
        pw_stanza_child_text(presence, "priority", NULL, prio, sizeof prio);
        if (prio[0]) {
            priority = strtol(prio, &end, 10);
            if (!end || *end != '\0' || priority < -128 || priority > 127)
                priority = 0; /* RFC 6121 §4.7.2.3: out of range is not a priority */
        }
        status_el = xmpp_stanza_get_child_by_name(presence, "status");
        if (status_el) {
            status = xmpp_stanza_get_text(status_el);
            status_text = status;
        }
    } else {
        show[0] = '\0';
    }
    rc = pw_ptable_set(t, key, resource, available, (int)priority, show, status_text, changed);
done:
    if (status)
        xmpp_free(xmpp_stanza_get_context(presence), status);
    return rc;
}

void pw_ptable_state(const pw_ptable_t *t, const char *bare, pw_presence_state_t *out)
{
    char key[PW_JID_MAX + 1];
    memset(out, 0, sizeof *out);
    if (!t || !bare)
        return;
    pw_text_fold(bare, key, sizeof key);
    entry_state(pw_map_get(t->map, key), out);
}

size_t pw_ptable_resources(const pw_ptable_t *t, const char *bare)
{
    char key[PW_JID_MAX + 1];
    const pt_entry_t *e;
    if (!t || !bare)
        return 0;
    pw_text_fold(bare, key, sizeof key);
    e = pw_map_get(t->map, key);
    return e ? e->n : 0;
}

size_t pw_ptable_count(const pw_ptable_t *t)
{
    return t ? pw_map_count(t->map) : 0;
}

typedef struct pt_clear {
    pw_map_t *map;
    const char *domain;
    size_t removed;
} pt_clear_t;

static int clear_cb(const char *key, void *value, void *arg)
{
    pt_clear_t *c = arg;
    const char *at = strchr(key, '@');
    if (c->domain && (!at || strcasecmp(at + 1, c->domain) != 0))
        return 0;
    entry_free(value);
    pw_map_remove(c->map, key);
    c->removed++;
    return 0;
}

size_t pw_ptable_clear(pw_ptable_t *t, const char *domain)
{
    pt_clear_t c;
    if (!t)
        return 0;
    c.map = t->map;
    c.domain = domain;
    c.removed = 0;
    pw_map_foreach(t->map, clear_cb, &c);
    return c.removed;
}
