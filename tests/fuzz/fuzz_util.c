/* fuzz_util.c: helpers the libFuzzer targets share: input copies, a private temp dir, the role harness on the in-memory transport. */
#include "fuzz_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address/pw_jid.h"
#include "chain/pw_enquiry.h"


char *pwf_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static char pwf_dir[64];

void pwf_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[512];
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) != 0) /* a subdirectory: one more level */
            pwf_remove_tree(path);
    }
    closedir(d);
    rmdir(dir);
}

static void pwf_cleanup(void)
{
    if (pwf_dir[0])
        pwf_remove_tree(pwf_dir);
}

const char *pwf_tmpdir(void)
{
    if (!pwf_dir[0]) {
        /* tmpfs when there is one: the targets fdatasync journals on every input */
        snprintf(pwf_dir, sizeof pwf_dir, "%s/pw-fuzz-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(pwf_dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(pwf_cleanup);
    }
    return pwf_dir;
}

int pwf_write_file(const char *name, const uint8_t *data, size_t size, char *path, size_t cap)
{
    int fd, rc = -1;
    size_t off = 0;
    snprintf(path, cap, "%s/%s", pwf_tmpdir(), name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            goto done;
        off += (size_t)n;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

int pwf_input_file(const char *name, const uint8_t *data, size_t size, char *path, size_t cap)
{
    if (size > PWF_MAX_INPUT)
        return -1;
    if (pwf_write_file(name, data, size, path, cap) != 0)
        __builtin_trap(); /* the temp dir must be writable */
    return 0;
}

/* The log: errors only, or everything when PWF_DEBUG is set (to see what a seed reaches). */
static void pwf_log_setup(const char *program)
{
    pw_log_setup(program, getenv("PWF_DEBUG") ? PW_LOG_DEBUG : PW_LOG_ERROR);
}

void pwf_file_target_init(const pwf_file_target_t *t)
{
    pwf_log_setup(t->program);
    (void)pwf_tmpdir();
}

void pwf_file_target_input(const pwf_file_target_t *t, const uint8_t *data, size_t size)
{
    char path[256];
    if (pwf_input_file(t->file, data, size, path, sizeof path) != 0)
        return;
    t->use(path, data, size);
    unlink(path);
}

int pwf_role_open(pwf_role_t *r, const pw_component_opts_t *opts)
{
    memset(r, 0, sizeof *r);
    r->now = 1000000;
    if (pwfake_component_create_clocked(&r->fc, opts, &r->now) != PW_OK)
        return -1;
    pwfake_component_lend(r->fc, &r->loop, &r->ctx, &r->fake, &r->comp);
    pwfake_transport_up(r->fake);
    return 0;
}

void pwf_role_run(pwf_role_t *r, uint64_t step_ms)
{
    /* what is due at once (scripted answers, hooks), then everything that times out */
    for (int i = 0; i < 3; i++)
        pw_loop_run_once(r->loop, 0);
    for (int round = 0; round < 3; round++) {
        r->now += step_ms;
        for (int i = 0; i < 3; i++)
            pw_loop_run_once(r->loop, 0);
    }
    pwfake_transport_clear(r->fake);
}

void pwf_role_close(pwf_role_t *r)
{
    pwfake_component_take_back(&r->fc, &r->loop, &r->ctx, &r->fake, &r->comp);
}

void pwf_role_settings(const pw_role_t *role, void *settings, const char *fmt, ...)
{
    char path[256], why[512], conf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(conf, sizeof conf, fmt, ap);
    va_end(ap);
    if (pwf_write_file("role.conf", (const uint8_t *)conf, strlen(conf), path, sizeof path) != 0)
        __builtin_trap();
    memset(settings, 0, role->settings_size);
    if (pw_runtime_load_config(role, path, settings, why, sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz target for %s: bad settings: %s\n", role->program, why);
        __builtin_trap();
    }
    unlink(path);
}

uint64_t pwf_target_wall(void *target)
{
    pwf_target_t *t = target;
    return t->wall_base + t->role.now;
}

/* Create the role: t->start, or the role's init hook. @return 0, or -1 on failure */
static int pwf_target_create(pwf_target_t *t)
{
    if (t->start)
        return t->start(&t->role);
    return t->lifecycle->init(t->role.comp, t->settings, &t->state) == PW_OK ? 0 : -1;
}

/* Destroy the role: t->stop, or the role's fini hook. */
static void pwf_target_destroy(pwf_target_t *t)
{
    if (t->stop) {
        t->stop();
    } else {
        t->lifecycle->fini(t->state);
        t->state = NULL;
    }
}

void pwf_target_start(pwf_target_t *t)
{
    if ((t->dir[0] && mkdir(t->dir, 0700) != 0) || pwf_role_open(&t->role, &t->opts) != 0 ||
        pwf_target_create(t) != 0)
        __builtin_trap();
}

void pwf_target_init(pwf_target_t *t)
{
    pwf_log_setup(t->program);
    if (t->dir_name)
        snprintf(t->dir, sizeof t->dir, "%s/%s", pwf_tmpdir(), t->dir_name);
    if (t->configure)
        t->configure();
    pwf_target_start(t);
}

int pwf_target_next(pwf_target_t *t, size_t size)
{
    if (size > PWF_MAX_INPUT)
        return -1;
    if (++t->inputs % t->every == 0) {
        pwf_target_destroy(t);
        if (t->dir[0])
            pwf_remove_tree(t->dir);
        pwf_role_close(&t->role);
        pwf_target_start(t);
    }
    return 0;
}

/* Is s an IQ request (get or set)? */
static int pwf_is_request(xmpp_stanza_t *s)
{
    const char *name = xmpp_stanza_get_name(s), *type = xmpp_stanza_get_type(s);
    return name && strcmp(name, "iq") == 0 && type &&
           (strcmp(type, "get") == 0 || strcmp(type, "set") == 0);
}

/*
 * Make an answer of the input answer the oldest request the role sent that no answer of the
 * input has taken yet (*next: where to look from among the stanzas sent): the request's id,
 * and its 'to' as 'from' when the answer names none. Nothing changes when no request is left.
 */
static void pwf_address_answer(pwf_target_t *t, xmpp_stanza_t *answer, size_t *next)
{
    const char *to;
    xmpp_stanza_t *req = NULL;

    while (!req && *next < pwfake_transport_sent_count(t->role.fake)) {
        xmpp_stanza_t *s = pwfake_transport_sent(t->role.fake, (*next)++);
        if (s && pwf_is_request(s) && xmpp_stanza_get_id(s))
            req = s;
    }
    if (!req)
        return;
    xmpp_stanza_set_id(answer, xmpp_stanza_get_id(req));
    to = xmpp_stanza_get_to(req);
    if (to && !xmpp_stanza_get_from(answer))
        xmpp_stanza_set_from(answer, to);
}

/* Deliver one stanza of the input (changed by t->prepare), then what is due at once. */
static void pwf_deliver_one(pwf_target_t *t, xmpp_stanza_t *stanza)
{
    if (t->prepare)
        t->prepare(stanza);
    pw_component_deliver(t->role.comp, stanza);
    for (int i = 0; i < 3; i++)
        pw_loop_run_once(t->role.loop, 0);
}

void pwf_target_deliver(pwf_target_t *t, const uint8_t *data, size_t size)
{
    char *xml;
    xmpp_stanza_t *stanza, *child;
    const char *name, *type;
    size_t next = 0;
    int n = 0;

    if (pwf_target_next(t, size) != 0)
        return;
    xml = pwf_cstr(data, size);
    if (!xml)
        return;
    stanza = xmpp_stanza_new_from_string(t->role.ctx, xml);
    free(xml);
    if (!stanza)
        return;
    name = xmpp_stanza_get_name(stanza);
    if (name && strcmp(name, PWF_SEQUENCE) == 0) {
        /* a sequence: its first stanza, then answers to the requests the role sent meanwhile */
        for (child = xmpp_stanza_get_children(stanza); child && n < PWF_SEQUENCE_MAX;
             child = xmpp_stanza_get_next(child)) {
            if (!xmpp_stanza_is_tag(child))
                continue;
            type = xmpp_stanza_get_type(child);
            name = xmpp_stanza_get_name(child);
            if (n++ > 0 && name && strcmp(name, "iq") == 0 && type &&
                (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
                pwf_address_answer(t, child, &next);
            pwf_deliver_one(t, child);
        }
    } else {
        pwf_deliver_one(t, stanza);
    }
    xmpp_stanza_release(stanza);
    pwf_role_run(&t->role, t->step_ms);
}

xmpp_stanza_t *pwf_to_sign(xmpp_stanza_t *iq, const char *name, char *from_dom, char *to_dom,
                           size_t cap)
{
    const char *id = xmpp_stanza_get_id(iq), *from = xmpp_stanza_get_from(iq);
    const char *to = xmpp_stanza_get_to(iq);
    xmpp_stanza_t *el;

    if (!id || strncmp(id, "sign", 4) != 0 || !from || !to)
        return NULL;
    el = xmpp_stanza_get_child_by_name_and_ns(iq, name, PW_NS_CHAIN);
    if (!el || xmpp_stanza_get_child_by_name(el, "signature") ||
        pw_jid_domain(from, from_dom, cap) != PW_OK || pw_jid_domain(to, to_dom, cap) != PW_OK)
        return NULL;
    return el;
}
