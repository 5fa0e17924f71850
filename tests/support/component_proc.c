/* component_proc.c: a real component binary under test (see pwt_component.h). */
#include "pwt_component.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pwt_netns.h"
#include "pwt_proc.h"
#include "pwt_util.h"

struct pwt_component {
    pwt_proc_t *proc;
    char name[64];
    char program[PWT_PATH_MAX];
    char config[PWT_PATH_MAX];
    char log[PWT_PATH_MAX];
    int netns_fd; /* the network namespace it was first started in: it restarts there */
};

static pw_status_t spawn(pwt_component_t *c)
{
    char *argv[] = { c->program, "-c", c->config, NULL };
    pw_status_t rc;
    int saved;

    if (c->proc) {
        pwt_proc_destroy(c->proc);
        c->proc = NULL;
    }
    saved = pwt_netns_enter_fd(c->netns_fd);
    if (saved < 0)
        return PW_EIO;
    rc = pwt_proc_start(&c->proc, c->name, argv, NULL, c->log);
    pwt_netns_leave(saved);
    return rc;
}

pw_status_t pwt_component_start(pwt_component_t **out, const char *program, const char *template_rel,
                                const char *const vars[], const char *dir, const char *name)
{
    pw_status_t rc;
    char tpl[PWT_PATH_MAX];
    pwt_component_t *c = calloc(1, sizeof *c);

    *out = NULL;
    if (!c)
        return PW_ENOMEM;
    c->netns_fd = pwt_netns_here();
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->program, sizeof c->program, "%s/%s", pwt_builddir(), program);
    snprintf(c->config, sizeof c->config, "%s/%s.conf", dir, name);
    snprintf(c->log, sizeof c->log, "%s/%s.log", dir, name);
    rc = pwt_srcpath(tpl, sizeof tpl, template_rel);
    if (rc == PW_OK)
        rc = pwt_render(tpl, c->config, vars);
    if (rc == PW_OK)
        rc = spawn(c);
    if (rc != PW_OK) {
        fprintf(stderr, "pwt_component: cannot start %s (%s)\n", name, pw_strerror(rc));
        pwt_component_destroy(c);
        return rc;
    }
    *out = c;
    return PW_OK;
}

unsigned pwt_component_log_count(const pwt_component_t *c, const char *text)
{
    char line[4096];
    unsigned n = 0;
    FILE *f = fopen(c->log, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    fclose(f);
    return n;
}

int pwt_component_wait_log(pwt_component_t *c, const char *text, unsigned count, unsigned timeout_ms)
{
    uint64_t until = pwt_now_ms() + timeout_ms;
    do {
        if (pwt_component_log_count(c, text) >= count)
            return 0;
        pwt_sleep_ms(20);
    } while (pwt_now_ms() < until);
    fprintf(stderr, "pwt_component: %s did not log '%s' x%u within %u ms\n", c->name, text, count,
            timeout_ms);
    pwt_component_print_log(c, 30);
    return -1;
}

int pwt_component_wait_online(pwt_component_t *c, unsigned count, unsigned timeout_ms)
{
    return pwt_component_wait_log(c, " is online", count, timeout_ms);
}

pw_status_t pwt_component_signal(pwt_component_t *c, int sig)
{
    return c->proc ? pwt_proc_signal(c->proc, sig) : PW_ECLOSED;
}

pw_status_t pwt_component_restart(pwt_component_t *c)
{
    if (c->proc && pwt_proc_alive(c->proc))
        pwt_proc_stop(c->proc, 3000);
    return spawn(c);
}

int pwt_component_stop(pwt_component_t *c, unsigned timeout_ms)
{
    return c->proc ? pwt_proc_stop(c->proc, timeout_ms) : -1;
}

int pwt_component_pid(const pwt_component_t *c)
{
    return c->proc ? pwt_proc_pid(c->proc) : -1;
}

const char *pwt_component_config(const pwt_component_t *c) { return c->config; }
const char *pwt_component_log(const pwt_component_t *c) { return c->log; }

void pwt_component_print_log(const pwt_component_t *c, unsigned lines)
{
    fprintf(stderr, "---- %s (%s), last %u lines\n", c->name, c->log, lines);
    pwt_print_tail(c->log, lines);
}

void pwt_component_destroy(pwt_component_t *c)
{
    if (!c)
        return;
    if (c->proc)
        pwt_proc_destroy(c->proc);
    if (c->netns_fd >= 0)
        close(c->netns_fd);
    free(c);
}
