/* fake_resolver.c: the scripted pw_resolver for unit tests (see fake_resolver.h). */
#include "fake_resolver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FAKE_NAME_MAX (PW_RESOLVER_NAME_MAX + 2)
#define FAKE_LOG_MAX 4096

typedef enum fake_type { FAKE_NAPTR, FAKE_SRV } fake_type_t;

/* A scripted answer. */
typedef struct fake_script {
    struct fake_script *next;
    fake_type_t type;
    char name[FAKE_NAME_MAX];
    pw_status_t status;
    size_t n;
    pw_naptr_t *naptrs;
    pw_srv_rr_t *srvs;
    uint32_t ttl;
} fake_script_t;

/* A lookup in flight, with its own copy of the answer. */
typedef struct fake_lookup {
    struct fake_lookup *prev, *next;
    pwfake_resolver_t *f;
    pw_timer_t timer;
    fake_type_t type;
    pw_resolver_naptr_cb naptr_cb;
    pw_resolver_srv_cb srv_cb;
    void *arg;
    pw_status_t status;
    size_t n;
    pw_naptr_t *naptrs;
    pw_srv_rr_t *srvs;
    uint32_t ttl;
} fake_lookup_t;

/* The log of lookups started, for pwfake_resolver_count(). */
typedef struct fake_log_entry {
    fake_type_t type;
    char name[FAKE_NAME_MAX];
} fake_log_entry_t;

struct pwfake_resolver {
    pw_resolver_t base;
    pw_loop_t *loop;
    fake_script_t *scripts;
    fake_lookup_t *pending;
    size_t npending;
    uint64_t delay_ms;
    int closing;
    fake_log_entry_t *log;
    size_t nlog;
};

static void lookup_free(fake_lookup_t *l)
{
    free(l->naptrs);
    free(l->srvs);
    free(l);
}

static void lookup_unlink(pwfake_resolver_t *f, fake_lookup_t *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        f->pending = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->prev = l->next = NULL;
    f->npending--;
}

static void lookup_fire(fake_lookup_t *l)
{
    if (l->type == FAKE_NAPTR)
        l->naptr_cb(l->arg, l->status, l->status == PW_OK ? l->naptrs : NULL, l->n, l->ttl);
    else
        l->srv_cb(l->arg, l->status, l->status == PW_OK ? l->srvs : NULL, l->n, l->ttl);
}

static void on_answer_timer(pw_timer_t *t, void *arg)
{
    fake_lookup_t *l = arg;
    (void)t;
    lookup_unlink(l->f, l);
    lookup_fire(l); /* may destroy the fake: l is no longer on its list */
    lookup_free(l);
}

static const fake_script_t *find_script(const pwfake_resolver_t *f, fake_type_t type,
                                        const char *name)
{
    for (const fake_script_t *s = f->scripts; s; s = s->next) {
        if (s->type == type && strcasecmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

static pw_status_t start_lookup(pwfake_resolver_t *f, fake_type_t type, const char *name,
                                pw_resolver_naptr_cb ncb, pw_resolver_srv_cb scb, void *arg)
{
    const fake_script_t *s;
    fake_lookup_t *l;

    if (!name || name[0] == '\0' || strlen(name) >= FAKE_NAME_MAX)
        return PW_EINVAL;
    if (f->closing)
        return PW_ECLOSED;
    l = calloc(1, sizeof *l);
    if (!l)
        return PW_ENOMEM;
    l->f = f;
    l->type = type;
    l->naptr_cb = ncb;
    l->srv_cb = scb;
    l->arg = arg;
    l->status = PW_ENOTFOUND;
    s = find_script(f, type, name);
    if (s) {
        l->status = s->status;
        l->ttl = s->ttl;
        l->n = s->n;
        if (s->n > 0) {
            l->naptrs = s->naptrs ? malloc(s->n * sizeof *l->naptrs) : NULL;
            l->srvs = s->srvs ? malloc(s->n * sizeof *l->srvs) : NULL;
            if ((s->naptrs && !l->naptrs) || (s->srvs && !l->srvs)) {
                lookup_free(l);
                return PW_ENOMEM;
            }
            if (l->naptrs)
                memcpy(l->naptrs, s->naptrs, s->n * sizeof *l->naptrs);
            if (l->srvs)
                memcpy(l->srvs, s->srvs, s->n * sizeof *l->srvs);
        }
    }
    pw_timer_init(&l->timer, on_answer_timer, l);
    if (pw_timer_start(f->loop, &l->timer, f->delay_ms) != PW_OK) {
        lookup_free(l);
        return PW_ENOMEM;
    }
    if (f->nlog < FAKE_LOG_MAX) {
        f->log[f->nlog].type = type;
        memcpy(f->log[f->nlog].name, name, strlen(name) + 1);
        f->nlog++;
    }
    l->next = f->pending;
    if (f->pending)
        f->pending->prev = l;
    f->pending = l;
    f->npending++;
    return PW_OK;
}

static pw_status_t fake_naptr(pw_resolver_t *r, const char *name, pw_resolver_naptr_cb cb, void *arg)
{
    if (!r || !cb)
        return PW_EINVAL;
    return start_lookup((pwfake_resolver_t *)r, FAKE_NAPTR, name, cb, NULL, arg);
}

static pw_status_t fake_srv(pw_resolver_t *r, const char *name, pw_resolver_srv_cb cb, void *arg)
{
    if (!r || !cb)
        return PW_EINVAL;
    return start_lookup((pwfake_resolver_t *)r, FAKE_SRV, name, NULL, cb, arg);
}

static void fake_destroy(pw_resolver_t *r)
{
    pwfake_resolver_t *f = (pwfake_resolver_t *)r;

    if (!f || f->closing)
        return;
    f->closing = 1;
    while (f->pending) {
        fake_lookup_t *l = f->pending;
        pw_timer_stop(f->loop, &l->timer);
        lookup_unlink(f, l);
        l->status = PW_ECLOSED;
        l->n = 0;
        l->ttl = 0;
        lookup_fire(l);
        lookup_free(l);
    }
    while (f->scripts) {
        fake_script_t *s = f->scripts;
        f->scripts = s->next;
        free(s->naptrs);
        free(s->srvs);
        free(s);
    }
    free(f->log);
    free(f);
}

static const pw_resolver_ops_t fake_ops = { fake_naptr, fake_srv, fake_destroy };

pw_status_t pwfake_resolver_create(pwfake_resolver_t **out, pw_loop_t *loop)
{
    pwfake_resolver_t *f;

    if (!out || !loop)
        return PW_EINVAL;
    *out = NULL;
    f = calloc(1, sizeof *f);
    if (!f)
        return PW_ENOMEM;
    f->log = calloc(FAKE_LOG_MAX, sizeof *f->log);
    if (!f->log) {
        free(f);
        return PW_ENOMEM;
    }
    f->base.ops = &fake_ops;
    f->loop = loop;
    *out = f;
    return PW_OK;
}

pw_resolver_t *pwfake_resolver_base(pwfake_resolver_t *f)
{
    return f ? &f->base : NULL;
}

static pw_status_t script(pwfake_resolver_t *f, fake_type_t type, const char *name,
                          pw_status_t status, const void *rrs, size_t n, size_t rr_size,
                          uint32_t ttl)
{
    fake_script_t *s, **pp;

    if (!f || !name || name[0] == '\0' || strlen(name) >= FAKE_NAME_MAX || (n > 0 && !rrs) ||
        (status == PW_OK && n == 0))
        return PW_EINVAL;
    if (n > PW_RESOLVER_MAX_RRS)
        return PW_ERANGE;
    s = calloc(1, sizeof *s);
    if (!s)
        return PW_ENOMEM;
    s->type = type;
    memcpy(s->name, name, strlen(name) + 1);
    s->status = status;
    s->n = n;
    s->ttl = ttl;
    if (n > 0) {
        void *copy = malloc(n * rr_size);
        if (!copy) {
            free(s);
            return PW_ENOMEM;
        }
        memcpy(copy, rrs, n * rr_size);
        if (type == FAKE_NAPTR)
            s->naptrs = copy;
        else
            s->srvs = copy;
    }
    for (pp = &f->scripts; *pp; pp = &(*pp)->next) { /* drop an earlier script of the name */
        if ((*pp)->type == type && strcasecmp((*pp)->name, name) == 0) {
            fake_script_t *old = *pp;
            *pp = old->next;
            free(old->naptrs);
            free(old->srvs);
            free(old);
            break;
        }
    }
    s->next = f->scripts;
    f->scripts = s;
    return PW_OK;
}

pw_status_t pwfake_resolver_script_naptr(pwfake_resolver_t *f, const char *name,
                                           pw_status_t status, const pw_naptr_t *rrs, size_t n,
                                           uint32_t ttl)
{
    return script(f, FAKE_NAPTR, name, status, rrs, n, sizeof(pw_naptr_t), ttl);
}

pw_status_t pwfake_resolver_script_srv(pwfake_resolver_t *f, const char *name,
                                         pw_status_t status, const pw_srv_rr_t *rrs, size_t n,
                                         uint32_t ttl)
{
    return script(f, FAKE_SRV, name, status, rrs, n, sizeof(pw_srv_rr_t), ttl);
}

void pwfake_resolver_set_delay(pwfake_resolver_t *f, uint64_t delay_ms)
{
    if (f)
        f->delay_ms = delay_ms;
}

size_t pwfake_resolver_count(const pwfake_resolver_t *f, const char *type, const char *name)
{
    size_t count = 0;
    int want = -1;

    if (!f)
        return 0;
    if (type)
        want = strcasecmp(type, "naptr") == 0 ? FAKE_NAPTR : FAKE_SRV;
    for (size_t i = 0; i < f->nlog; i++) {
        if (want >= 0 && (int)f->log[i].type != want)
            continue;
        if (name && strcasecmp(f->log[i].name, name) != 0)
            continue;
        count++;
    }
    return count;
}

size_t pwfake_resolver_pending(const pwfake_resolver_t *f)
{
    return f ? f->npending : 0;
}

pw_naptr_t pwfake_resolver_naptr(const char *service, const char *regexp)
{
    pw_naptr_t r;
    memset(&r, 0, sizeof r);
    r.order = 100;
    r.preference = 10;
    strcpy(r.flags, "u");
    snprintf(r.service, sizeof r.service, "%s", service);
    snprintf(r.regexp, sizeof r.regexp, "%s", regexp);
    strcpy(r.replacement, ".");
    return r;
}

pw_srv_rr_t pwfake_resolver_srv(uint16_t priority, const char *target)
{
    pw_srv_rr_t r;
    memset(&r, 0, sizeof r);
    r.priority = priority;
    r.weight = 10;
    r.port = 5269;
    snprintf(r.target, sizeof r.target, "%s", target);
    return r;
}
