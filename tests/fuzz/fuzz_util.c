/* fuzz_util.c: helpers the libFuzzer targets share: input copies, a private temp dir, the role harness on the in-memory transport. */
#include "fuzz_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


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

static uint64_t pwf_clock(void *arg)
{
    return ((pwf_role_t *)arg)->now;
}

int pwf_role_open(pwf_role_t *r, const pw_component_opts_t *opts)
{
    memset(r, 0, sizeof *r);
    r->now = 1000000;
    if (pw_loop_create(&r->loop) != PW_OK)
        return -1;
    pw_loop_set_clock(r->loop, pwf_clock, r);
    xmpp_initialize();
    r->ctx = xmpp_ctx_new(NULL, NULL);
    if (!r->ctx)
        goto fail;
    r->fake = pwfake_transport_create(r->ctx);
    if (!r->fake)
        goto fail;
    if (pw_component_create(&r->comp, r->loop, r->ctx, opts, pwfake_transport_base(r->fake)) != PW_OK) {
        r->fake = NULL; /* freed with the transport */
        goto fail;
    }
    pwfake_transport_up(r->fake);
    return 0;
fail:
    pwf_role_close(r);
    return -1;
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

void pwf_role_deliver(pwf_role_t *r, const uint8_t *data, size_t size, uint64_t step_ms)
{
    char *xml = pwf_cstr(data, size);
    if (!xml)
        return;
    if (pwfake_transport_deliver_xml(r->fake, xml) == 0)
        pwf_role_run(r, step_ms);
    free(xml);
}

void pwf_role_close(pwf_role_t *r)
{
    if (r->comp) {
        pw_component_destroy(r->comp);
        r->comp = NULL;
        r->fake = NULL;
    }
    if (r->ctx) {
        xmpp_ctx_free(r->ctx);
        r->ctx = NULL;
        xmpp_shutdown();
    } else if (r->loop) {
        xmpp_shutdown();
    }
    pw_loop_destroy(r->loop);
    r->loop = NULL;
}

void pwf_role_settings(const pw_role_t *role, const char *conf, void *settings)
{
    char path[256], why[512];
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

void pwf_target_start(pwf_target_t *t)
{
    if (pwf_role_open(&t->role, &t->opts) != 0 || t->start(&t->role) != 0)
        __builtin_trap();
}

int pwf_target_next(pwf_target_t *t, size_t size)
{
    if (size > PWF_MAX_INPUT)
        return -1;
    if (++t->inputs % t->every == 0) {
        t->stop();
        pwf_role_close(&t->role);
        pwf_target_start(t);
    }
    return 0;
}

void pwf_target_deliver(pwf_target_t *t, const uint8_t *data, size_t size)
{
    if (pwf_target_next(t, size) == 0)
        pwf_role_deliver(&t->role, data, size, t->step_ms);
}
