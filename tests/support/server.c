/* server.c: a private XMPP server of the harness, Prosody or ejabberd, behind one interface: start, stop, accounts, rosters, DNS, its address, ports, dir and process. */
#include "pwt_server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "pwt_netns.h"
#include "pwt_util.h"

#define FIELD_MAX 256u
#define KIND_MAX 16u /* a kind's name */

struct pwt_server {
    const pwt_server_ops_t *ops;
    void *owner;
    char domain[FIELD_MAX + 1];
    char ip[INET_ADDRSTRLEN];
    char component_ip[INET_ADDRSTRLEN];
    int netns_fd; /* the network namespace it was made in: it starts there (pwt_netns_here()) */
    char secret[FIELD_MAX + 1];
    char *dir;
    char config_path[PWT_PATH_MAX];
    char log_path[PWT_PATH_MAX];
    char output_path[PWT_PATH_MAX];
    int c2s_port;
    int s2s_port;
    int component_port;
    pwt_proc_t *proc;
    int last_pid;
    pwt_accounts_t *accounts;
};

/* Copy a string of 1..size-1 bytes into buf; 0 if it is empty or too long. */
static int copy_field(char *buf, size_t size, const char *value)
{
    size_t len = strlen(value);
    if (len == 0 || len >= size)
        return 0;
    memcpy(buf, value, len + 1);
    return 1;
}

/* Pick three distinct free ports on the server's address. */
static pw_status_t pick_ports(pwt_server_t *s)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        s->c2s_port = pwt_port_pick(s->ip);
        s->s2s_port = pwt_port_pick(s->ip);
        s->component_port = pwt_port_pick(s->component_ip);
        if (s->c2s_port < 0 || s->s2s_port < 0 || s->component_port < 0)
            return PW_EIO;
        if (s->c2s_port != s->s2s_port && s->c2s_port != s->component_port &&
            s->s2s_port != s->component_port)
            return PW_OK;
    }
    return PW_EIO;
}

pw_status_t pwt_server_create(pwt_server_t **out, const pwt_server_base_t *base,
                              const pwt_server_spec_t *spec)
{
    pw_status_t st = PW_EINVAL;
    pwt_server_t *s = NULL;
    char output[KIND_MAX + 8];

    if (!out || !base || !base->ops || !base->ops->kind || strlen(base->ops->kind) > KIND_MAX ||
        !base->config || !base->log || !spec || !spec->domain || !spec->ip)
        goto done;
    *out = NULL;
    st = PW_ENOMEM;
    s = calloc(1, sizeof *s);
    if (s)
        s->netns_fd = -1;
    if (!s || pwt_accounts_create(&s->accounts) != PW_OK)
        goto done;
    s->ops = base->ops;
    s->owner = base->owner;
    s->last_pid = -1;
    st = PW_EINVAL;
    if (!copy_field(s->domain, sizeof s->domain, spec->domain) ||
        !copy_field(s->ip, sizeof s->ip, spec->ip) ||
        !copy_field(s->component_ip, sizeof s->component_ip,
                    spec->component_ip ? spec->component_ip : spec->ip) ||
        !copy_field(s->secret, sizeof s->secret, spec->secret ? spec->secret : "pwt-secret"))
        goto done;
    st = PW_EIO;
    s->netns_fd = pwt_netns_here();
    s->dir = pwt_tmpdir(s->ops->kind);
    if (s->netns_fd < 0 || !s->dir)
        goto done;
    snprintf(output, sizeof output, "%s.out", s->ops->kind);
    st = pwt_path_join(s->config_path, s->dir, base->config);
    if (st == PW_OK)
        st = pwt_path_join(s->log_path, s->dir, base->log);
    if (st == PW_OK)
        st = pwt_path_join(s->output_path, s->dir, output);
    if (st == PW_OK)
        st = pick_ports(s);
    if (st != PW_OK)
        goto done;
    *out = s;
    s = NULL;
done:
    pwt_server_free(s);
    return st;
}

int pwt_server_enter_netns(const pwt_server_t *s)
{
    return s ? pwt_netns_enter_fd(s->netns_fd) : -1;
}

pw_status_t pwt_server_wait_ports(pwt_server_t *s, unsigned timeout_ms)
{
    const int ports[2] = { s ? s->c2s_port : 0, s ? s->s2s_port : 0 };
    pw_status_t st;
    int saved;

    if (!s || !s->proc)
        return PW_EINVAL;
    saved = pwt_server_enter_netns(s); /* where the server listens */
    if (saved < 0)
        return PW_EIO;
    st = pwt_proc_wait_ports(s->proc, s->ip, ports, 2, timeout_ms);
    if (st == PW_OK)
        st = pwt_proc_wait_ports(s->proc, s->component_ip, &s->component_port, 1, timeout_ms);
    pwt_netns_leave(saved);
    if (st == PW_ECLOSED) {
        pw_error(NULL, "pwt: %s for %s exited during start-up", s->ops->kind, s->domain);
        st = PW_EIO;
    } else if (st == PW_ETIMEOUT) {
        pw_error(NULL, "pwt: %s for %s did not open its ports in %u ms", s->ops->kind, s->domain,
                 timeout_ms);
    }
    return st;
}

pw_status_t pwt_server_run(pwt_server_t *s, char *const argv[], unsigned timeout_ms)
{
    pw_status_t st;
    int saved;

    if (!s || !argv)
        return PW_EINVAL;
    if (pwt_server_running(s))
        return PW_EEXIST;
    pwt_server_release_proc(s);
    saved = pwt_server_enter_netns(s); /* the process runs in the server's own namespace */
    if (saved < 0)
        return PW_EIO;
    st = pwt_proc_start(&s->proc, s->ops->kind, argv, NULL, s->output_path);
    pwt_netns_leave(saved);
    if (st != PW_OK)
        return st;
    s->last_pid = pwt_proc_pid(s->proc);
    return pwt_server_wait_ports(s, timeout_ms);
}

pwt_proc_t *pwt_server_proc(const pwt_server_t *s)
{
    return s ? s->proc : NULL;
}

void pwt_server_release_proc(pwt_server_t *s)
{
    if (!s)
        return;
    pwt_proc_destroy(s->proc);
    s->proc = NULL;
}

pw_status_t pwt_server_path(const pwt_server_t *s, char *buf, const char *name)
{
    if (!s || !buf || !name)
        return PW_EINVAL;
    return pwt_path_join(buf, s->dir, name);
}

pwt_accounts_t *pwt_server_accounts(const pwt_server_t *s) { return s ? s->accounts : NULL; }
const char *pwt_server_kind(const pwt_server_t *s) { return s ? s->ops->kind : ""; }
const char *pwt_server_domain(const pwt_server_t *s) { return s ? s->domain : ""; }
const char *pwt_server_ip(const pwt_server_t *s) { return s ? s->ip : ""; }
const char *pwt_server_component_ip(const pwt_server_t *s) { return s ? s->component_ip : ""; }
const char *pwt_server_secret(const pwt_server_t *s) { return s ? s->secret : ""; }
int pwt_server_c2s_port(const pwt_server_t *s) { return s ? s->c2s_port : -1; }
int pwt_server_s2s_port(const pwt_server_t *s) { return s ? s->s2s_port : -1; }
int pwt_server_component_port(const pwt_server_t *s) { return s ? s->component_port : -1; }
const char *pwt_server_dir(const pwt_server_t *s) { return s && s->dir ? s->dir : ""; }
const char *pwt_server_config_path(const pwt_server_t *s) { return s ? s->config_path : ""; }
const char *pwt_server_log_path(const pwt_server_t *s) { return s ? s->log_path : ""; }
const char *pwt_server_output_path(const pwt_server_t *s) { return s ? s->output_path : ""; }
int pwt_server_pid(const pwt_server_t *s) { return s ? s->last_pid : -1; }

int pwt_server_running(const pwt_server_t *s)
{
    return s && s->proc && pwt_proc_alive(s->proc);
}

void *pwt_server_owner(const pwt_server_t *s, const pwt_server_ops_t *ops)
{
    return s && s->ops == ops ? s->owner : NULL;
}

void pwt_server_free(pwt_server_t *s)
{
    if (!s)
        return;
    pwt_server_release_proc(s);
    if (s->dir && !getenv("PWT_KEEP"))
        pwt_rmtree(s->dir);
    pwt_accounts_destroy(s->accounts);
    if (s->netns_fd >= 0)
        close(s->netns_fd);
    free(s->dir);
    free(s);
}

/* ------------------------------------------------------------------ through the kind */

pw_status_t pwt_server_start(pwt_server_t *s)
{
    return s ? s->ops->start(s->owner) : PW_EINVAL;
}

pw_status_t pwt_server_stop(pwt_server_t *s)
{
    return s ? s->ops->stop(s->owner) : PW_OK;
}

pw_status_t pwt_server_set_dns_server(pwt_server_t *s, const char *dns_server)
{
    return s ? s->ops->set_dns_server(s->owner, dns_server) : PW_EINVAL;
}

pw_status_t pwt_server_add_user(pwt_server_t *s, const char *user, const char *password)
{
    return s ? s->ops->add_user(s->owner, user, password) : PW_EINVAL;
}

pw_status_t pwt_server_set_roster(pwt_server_t *s, const char *user, const char *contact_jid,
                                  const char *subscription)
{
    return s ? s->ops->set_roster(s->owner, user, contact_jid, subscription) : PW_EINVAL;
}

void pwt_server_print_log(const pwt_server_t *s, unsigned lines)
{
    if (s)
        s->ops->print_log(s->owner, lines);
}

void pwt_server_destroy(pwt_server_t *s)
{
    if (s)
        s->ops->destroy(s->owner);
}
