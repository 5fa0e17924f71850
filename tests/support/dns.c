/* dns.c: a private dnsmasq per test, on 127.0.0.1 (or an address of a test network namespace) and a free port, serving a rendered template. */
#include "pwt_dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "pwt_proc.h"
#include "pwt_util.h"

#ifndef PWT_DNSMASQ
#define PWT_DNSMASQ "dnsmasq"
#endif

#define LISTEN_IP "127.0.0.1"
#define START_TIMEOUT_MS 10000u
#define STOP_TIMEOUT_MS 5000u

struct pwt_dnsmasq {
    char *dir;
    char config_path[PWT_PATH_MAX];
    char log_path[PWT_PATH_MAX];
    char pid_path[PWT_PATH_MAX];
    char ip[16];     /* where it listens */
    char server[32]; /* "IP@PORT" */
    int port;
    pwt_proc_t *proc;
};

pw_status_t pwt_dnsmasq_start(pwt_dnsmasq_t **out, const char *template_path,
                              const char *const vars[])
{
    return pwt_dnsmasq_start_on(out, template_path, vars, 0);
}

pw_status_t pwt_dnsmasq_start_on(pwt_dnsmasq_t **out, const char *template_path,
                                 const char *const vars[], int port)
{
    return pwt_dnsmasq_start_at(out, template_path, vars, LISTEN_IP, port);
}

pw_status_t pwt_dnsmasq_start_at(pwt_dnsmasq_t **out, const char *template_path,
                                 const char *const vars[], const char *ip, int port)
{
    pw_status_t st = PW_EINVAL;
    pwt_dnsmasq_t *d = NULL;
    char template_abs[PWT_PATH_MAX];
    char conf_arg[PWT_PATH_MAX + 16];
    char pid_arg[PWT_PATH_MAX + 16];
    char port_arg[32];
    char listen_arg[48];
    char *argv[12];
    int argc = 0;

    if (!out || !template_path || !vars || !ip || strlen(ip) >= sizeof d->ip)
        goto done;
    *out = NULL;
    st = pwt_srcpath(template_abs, sizeof template_abs, template_path);
    if (st != PW_OK)
        goto done;
    st = PW_ENOMEM;
    d = calloc(1, sizeof *d);
    if (!d)
        goto done;
    st = PW_EIO;
    snprintf(d->ip, sizeof d->ip, "%s", ip);
    d->dir = pwt_tmpdir("dnsmasq");
    if (!d->dir)
        goto done;
    if (strlen(d->dir) + sizeof "/dnsmasq.conf" > PWT_PATH_MAX) {
        st = PW_ERANGE;
        goto done;
    }
    snprintf(d->config_path, sizeof d->config_path, "%s/dnsmasq.conf", d->dir);
    snprintf(d->log_path, sizeof d->log_path, "%s/dnsmasq.log", d->dir);
    snprintf(d->pid_path, sizeof d->pid_path, "%s/dnsmasq.pid", d->dir);
    st = pwt_render(template_abs, d->config_path, vars);
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    d->port = port > 0 ? port : pwt_port_pick_udp_tcp(d->ip);
    if (d->port < 0)
        goto done;
    snprintf(d->server, sizeof d->server, "%s@%d", d->ip, d->port);
    snprintf(listen_arg, sizeof listen_arg, "--listen-address=%s", d->ip);
    snprintf(conf_arg, sizeof conf_arg, "--conf-file=%s", d->config_path);
    snprintf(pid_arg, sizeof pid_arg, "--pid-file=%s", d->pid_path);
    snprintf(port_arg, sizeof port_arg, "--port=%d", d->port);
    argv[argc++] = PWT_DNSMASQ;
    argv[argc++] = "--keep-in-foreground";
    argv[argc++] = conf_arg;
    argv[argc++] = port_arg;
    argv[argc++] = listen_arg;
    argv[argc++] = "--bind-interfaces";
    argv[argc++] = pid_arg;
    if (geteuid() == 0)
        argv[argc++] = "--user=root"; /* stay root: the temp files are root's */
    argv[argc] = NULL;
    st = pwt_proc_start(&d->proc, "dnsmasq", argv, NULL, d->log_path);
    if (st != PW_OK)
        goto done;
    {
        uint64_t deadline = pwt_now_ms() + START_TIMEOUT_MS;
        st = PW_ETIMEOUT;
        while (pwt_now_ms() < deadline) {
            if (!pwt_proc_alive(d->proc)) {
                pw_error(NULL, "pwt: dnsmasq exited during start-up");
                st = PW_EIO;
                break;
            }
            if (pwt_port_wait(d->ip, d->port, 0) == 0) {
                st = PW_OK;
                break;
            }
            pwt_sleep_ms(10);
        }
    }
    if (st != PW_OK) {
        pwt_print_tail(d->log_path, 30);
        goto done;
    }
    *out = d;
    d = NULL;
done:
    pwt_dnsmasq_destroy(d);
    return st;
}

int pwt_dnsmasq_port(const pwt_dnsmasq_t *d)
{
    return d ? d->port : -1;
}

const char *pwt_dnsmasq_ip(const pwt_dnsmasq_t *d)
{
    return d ? d->ip : "";
}

const char *pwt_dnsmasq_server(const pwt_dnsmasq_t *d)
{
    return d ? d->server : "";
}

int pwt_dnsmasq_pid(const pwt_dnsmasq_t *d)
{
    return d ? pwt_proc_pid(d->proc) : -1;
}

const char *pwt_dnsmasq_log_path(const pwt_dnsmasq_t *d)
{
    return d ? d->log_path : "";
}

const char *pwt_dnsmasq_config_path(const pwt_dnsmasq_t *d)
{
    return d ? d->config_path : "";
}

void pwt_dnsmasq_destroy(pwt_dnsmasq_t *d)
{
    if (!d)
        return;
    if (d->proc)
        pwt_proc_stop(d->proc, STOP_TIMEOUT_MS);
    pwt_proc_destroy(d->proc);
    if (d->dir && !getenv("PWT_KEEP"))
        pwt_rmtree(d->dir);
    free(d->dir);
    free(d);
}
