/* runtime.c: the shared main() of every role: command line, config, signals, connect, run, clean stop. */
#include "config.h"

#include "xmpp/pw_runtime.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_log.h"
#include "core/pw_metrics.h"
#include "core/pw_metrics_http.h"
#include "core/pw_sdnotify.h"
#include "xmpp/pw_metrics_cmd.h"
#include "xmpp/pw_transport.h"

#define STOP_GRACE_MS 3000

typedef struct runtime {
    const pw_role_t *role;
    const char *config_path;
    void *settings;
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pw_component_t *component;
    void *state;
    int stopping;
    pw_metrics_t *metrics;     /* the process's figures (docs/metrics.md) */
    pw_metrics_http_t *http;   /* GET /metrics, when [metrics] listen is set */
    pw_metrics_cmd_t *command; /* the XEP-0050 command urn:peerwatch:metrics */
    xmpp_log_t strophe_log;    /* libstrophe's lines at log_level = debug, secrets hidden */
    char *log_secret;          /* what strophe_log hides: the secret it started with (a reload
                                * frees the settings; the connection keeps this secret) */
} runtime_t;

static pw_config_common_t *common_of(const pw_role_t *role, void *settings)
{
    return (pw_config_common_t *)((char *)settings + role->common_offset);
}

/* A role's check says "[section] key: reason" (or "[section] key is ..."): name the file and,
 * when the key is written in it, its line, as the loader's own errors do. */
static void blame_line(const char *path, const char *reason, char *why, size_t cap)
{
    char section[64], key[128];
    unsigned line = 0;

    if (sscanf(reason, "[%63[^]]] %127[A-Za-z0-9_.+-]", section, key) == 2)
        line = pw_config_line_of(path, section, key);
    if (line)
        snprintf(why, cap, "%s:%u: %s", path, line, reason);
    else
        snprintf(why, cap, "%s: %s", path, reason);
}

/* The [metrics] section every role has: a listen address we can bind, loopback unless
 * allow_remote says otherwise, bare JIDs as admins. Says "[metrics] key: reason" on a refusal. */
static pw_status_t check_metrics(const pw_config_common_t *common, char *reason, size_t cap)
{
    char host[PW_METRICS_HOST_MAX];
    unsigned port;
    const char *listen = common->metrics_listen ? common->metrics_listen : "";

    if (*listen && (pw_metrics_http_parse_listen(listen, host, &port) != PW_OK || port == 0)) {
        snprintf(reason, cap, "[metrics] listen: \"%s\" is not HOST:PORT or [IPV6]:PORT "
                 "(an IP address or localhost, a port 1-65535)", listen);
        return PW_ECONFIG;
    }
    if (*listen && !common->metrics_allow_remote && !pw_metrics_http_is_loopback(host)) {
        snprintf(reason, cap, "[metrics] listen: %s is not a loopback address; the metrics are "
                 "served beyond this host only with allow_remote = yes", host);
        return PW_ECONFIG;
    }
    for (size_t i = 0; i < common->metrics_admins.n; i++) {
        const char *jid = common->metrics_admins.items[i];
        if (!*jid || strpbrk(jid, "/ \t") || jid[0] == '@' || jid[strlen(jid) - 1] == '@') {
            snprintf(reason, cap, "[metrics] admins: \"%s\" is not a bare JID (user@domain)", jid);
            return PW_ECONFIG;
        }
    }
    return PW_OK;
}

pw_status_t pw_runtime_load_config(const pw_role_t *role, const char *path, void *settings,
                                   char *why, size_t cap)
{
    pw_config_error_t err;
    pw_status_t rc = pw_config_load(path, role->options, role->noptions, role->maps, role->nmaps,
                                    settings, &err);
    if (rc != PW_OK) {
        pw_config_error_text(&err, why, cap);
        if (role->free_maps)
            role->free_maps(settings);
        return rc;
    }
    {
        char reason[512] = "";
        rc = check_metrics(common_of(role, settings), reason, sizeof reason);
        if (rc == PW_OK && role->check)
            rc = role->check(settings, reason, sizeof reason);
        if (rc != PW_OK) {
            blame_line(path, reason, why, cap);
            pw_runtime_free_config(role, settings);
            return rc;
        }
    }
    return PW_OK;
}

void pw_runtime_free_config(const pw_role_t *role, void *settings)
{
    if (!settings)
        return;
    pw_config_free(role->options, role->noptions, settings);
    if (role->free_maps)
        role->free_maps(settings);
}

static void usage(const pw_role_t *role, FILE *out)
{
    fprintf(out,
            "Usage: %s -c FILE [--check-config]\n"
            "       %s --help-config[=man] | --help | --version\n"
            "\n%s\n\n"
            "  -c, --config FILE   configuration file (see --help-config and conf/)\n"
            "      --check-config  load and check the configuration, print the result, exit\n"
            "      --help-config[=man]  print every configuration option with its type and\n"
            "                      default (=man: as roff, for the man pages)\n"
            "  -h, --help          this text\n"
            "  -V, --version       print the version\n"
            "\nSignals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the configuration.\n"
            "Exit status: 0 clean stop, 1 configuration error, 2 usage error, 3 start-up failure.\n",
            role->program, role->program, role->summary);
}

/* --help-config[=text|man]: the operator file's options, then the role's own; as text, or as roff
 * for the man pages (docs/man/mkman.sh). */
static int print_reference(const pw_role_t *role, const char *form)
{
    pw_config_format_t fmt;

    if (!form || strcmp(form, "text") == 0) {
        fmt = PW_CONFIG_FORMAT_TEXT;
    } else if (strcmp(form, "man") == 0) {
        fmt = PW_CONFIG_FORMAT_MAN;
    } else {
        fprintf(stderr, "%s: --help-config=%s: the forms are text and man\n\n", role->program, form);
        usage(role, stderr);
        return 2;
    }
    if (fmt == PW_CONFIG_FORMAT_TEXT)
        printf("# the operator file (include = FILE before the first section; docs/config.md)\n");
    else
        printf(".\\\" the operator file, then this role's own file (%s --help-config=man)\n", role->program);
    pw_config_print_reference_as(stdout, pw_config_operator_options, pw_config_operator_count, NULL, 0, fmt);
    if (fmt == PW_CONFIG_FORMAT_TEXT)
        printf("\n# this role's own file\n");
    pw_config_print_reference_as(stdout, role->options, role->noptions, role->maps, role->nmaps, fmt);
    return 0;
}

static void on_stop_signal(pw_loop_t *loop, int signo, void *arg)
{
    runtime_t *rt = arg;
    pw_info(NULL, "signal %d: stopping", signo);
    pw_sdnotify("STOPPING=1\nSTATUS=stopping");
    rt->stopping = 1;
    pw_loop_stop(loop);
}

/* A reload takes [metrics] admins at once: the command is offered anew with them, replacing the
 * old one (a changed listen address waits for a restart: reload() says so). */
static void metrics_reload(runtime_t *rt, const pw_config_common_t *now)
{
    pw_metrics_cmd_t *fresh = NULL;

    if (!rt->command)
        return; /* the role answers XEP-0050 itself: no command to renew */
    if (pw_metrics_cmd_create(&fresh, rt->component, rt->metrics, now->metrics_admins.items,
                              now->metrics_admins.n) != PW_OK) {
        pw_error(NULL, "reload: [metrics] admins could not be renewed; the running ones stay");
        return;
    }
    pw_metrics_cmd_destroy(rt->command);
    rt->command = fresh;
}

/* Reload the configuration; the running one stays when the new one is refused. */
static void reload(runtime_t *rt)
{
    const pw_role_t *role = rt->role;
    void *fresh = calloc(1, role->settings_size);
    char why[1024];
    pw_config_common_t *old_common, *new_common;

    if (!fresh)
        return;
    if (pw_runtime_load_config(role, rt->config_path, fresh, why, sizeof why) != PW_OK) {
        pw_error(NULL, "reload refused, keeping the running configuration: %s", why);
        free(fresh);
        return;
    }
    old_common = common_of(role, rt->settings);
    new_common = common_of(role, fresh);
    if (strcmp(old_common->jid, new_common->jid) != 0 ||
        strcmp(old_common->secret, new_common->secret) != 0 ||
        strcmp(old_common->server, new_common->server) != 0 || old_common->port != new_common->port)
        pw_warn(NULL, "reload: [component] connection settings changed; they take effect at the next restart");
    if (strcmp(old_common->metrics_listen ? old_common->metrics_listen : "",
               new_common->metrics_listen ? new_common->metrics_listen : "") != 0 ||
        old_common->metrics_allow_remote != new_common->metrics_allow_remote)
        pw_warn(NULL, "reload: [metrics] listen and allow_remote take effect at the next restart");
    if (role->reload && role->reload(rt->state, fresh) != PW_OK) {
        pw_error(NULL, "reload refused by %s, keeping the running configuration", role->program);
        pw_runtime_free_config(role, fresh);
        free(fresh);
        return;
    }
    metrics_reload(rt, new_common);
    if (!role->reload) {
        /* without a role hook only the log and metrics settings change; keep the running ones */
        old_common->log_level = new_common->log_level;
        pw_runtime_free_config(role, fresh);
        free(fresh);
    } else {
        pw_runtime_free_config(role, rt->settings);
        free(rt->settings);
        rt->settings = fresh;
    }
    pw_log_setup(NULL, common_of(role, rt->settings)->log_level);
    pw_info(NULL, "configuration reloaded from %s", rt->config_path);
}

/* SIGHUP (systemctl reload): the service manager is told while it lasts. Only a component that
 * is online has told it READY=1 (or will again on its next handshake): one that is not yet (still
 * connecting, or reconnecting) gets STATUS lines alone, so that a reload neither declares it
 * ready early nor leaves the manager waiting in "reloading" for a READY=1 the reload cannot give. */
static void on_reload_signal(pw_loop_t *loop, int signo, void *arg)
{
    runtime_t *rt = arg;
    int was_ready = pw_component_online(rt->component);

    (void)loop;
    (void)signo;
    pw_sdnotify(was_ready ? "RELOADING=1\nSTATUS=reloading the configuration"
                          : "STATUS=reloading the configuration (not connected yet)");
    reload(rt);
    pw_sdnotify(was_ready ? "READY=1\nSTATUS=running (the log says whether the reload took)"
                          : "STATUS=connecting (the log says whether the reload took)");
}

/* The figures: the registry (before the component, which counts into it). */
static pw_status_t metrics_open(runtime_t *rt)
{
    pw_status_t rc = pw_metrics_create(&rt->metrics, rt->role->program);
    if (rc != PW_OK)
        pw_error(NULL, "metrics: %s", pw_strerror(rc));
    return rc;
}

/* Once the role is up: the XEP-0050 command and, when [metrics] listen is set, the HTTP
 * endpoint. A listen address that cannot be bound stops the start-up. */
static pw_status_t metrics_serve(runtime_t *rt, const pw_config_common_t *common)
{
    char host[PW_METRICS_HOST_MAX], why[256];
    unsigned port;
    pw_status_t rc = pw_metrics_cmd_create(&rt->command, rt->component, rt->metrics,
                                           common->metrics_admins.items, common->metrics_admins.n);

    if (rc == PW_EEXIST)
        pw_warn(NULL, "%s answers XEP-0050 itself: the command %s is not offered",
                rt->role->program, PW_METRICS_CMD_NODE);
    else if (rc != PW_OK)
        return rc;
    if (!common->metrics_listen || !*common->metrics_listen)
        return PW_OK;
    rc = pw_metrics_http_parse_listen(common->metrics_listen, host, &port);
    if (rc == PW_OK)
        rc = pw_metrics_http_create(&rt->http, rt->loop, rt->metrics, host, port,
                                    common->metrics_allow_remote, why, sizeof why);
    else
        snprintf(why, sizeof why, "not HOST:PORT");
    if (rc != PW_OK) {
        pw_error(NULL, "metrics: cannot serve http://%s/metrics: %s", common->metrics_listen, why);
        return rc;
    }
    pw_info(NULL, "metrics: serving http://%s/metrics", common->metrics_listen);
    return PW_OK;
}

static int run(runtime_t *rt)
{
    const pw_role_t *role = rt->role;
    pw_config_common_t *common = common_of(role, rt->settings);
    pw_transport_t *transport = NULL;
    pw_transport_opts_t topts;
    pw_component_opts_t copts;
    int status = 3;

    memset(&topts, 0, sizeof topts);
    topts.jid = common->jid;
    topts.secret = common->secret;
    topts.server = common->server;
    topts.port = (unsigned short)common->port;
    topts.connect_timeout_ms = (uint64_t)common->connect_timeout_ms;
    topts.reconnect_min_ms = (uint64_t)common->reconnect_min_ms;
    topts.reconnect_max_ms = (uint64_t)common->reconnect_max_ms;
    memset(&copts, 0, sizeof copts);
    copts.jid = common->jid;
    copts.name = role->program;
    copts.version = PACKAGE_VERSION;
    copts.disco_category = role->disco_category;
    copts.disco_type = role->disco_type;
    copts.disco_name = role->disco_name;
    copts.iq_timeout_ms = (uint64_t)common->iq_timeout_ms;

    if (pw_loop_create(&rt->loop) != PW_OK || metrics_open(rt) != PW_OK)
        goto done;
    copts.metrics = rt->metrics;
    xmpp_initialize();
    if (!(rt->log_secret = strdup(common->secret)))
        goto done;
    pw_transport_strophe_logger(&rt->strophe_log, rt->log_secret);
    rt->ctx = xmpp_ctx_new(NULL, common->log_level >= PW_LOG_DEBUG ? &rt->strophe_log : NULL);
    if (!rt->ctx)
        goto done;
    if (pw_transport_strophe_create(&transport, rt->loop, rt->ctx, &topts) != PW_OK)
        goto done;
    if (pw_component_create(&rt->component, rt->loop, rt->ctx, &copts, transport) != PW_OK)
        goto done;
    if (role->init(rt->component, rt->settings, &rt->state) != PW_OK) {
        pw_error(NULL, "%s could not start", role->program);
        goto done;
    }
    if (metrics_serve(rt, common) != PW_OK)
        goto done;
    pw_loop_signal(rt->loop, SIGTERM, on_stop_signal, rt);
    pw_loop_signal(rt->loop, SIGINT, on_stop_signal, rt);
    pw_loop_signal(rt->loop, SIGHUP, on_reload_signal, rt);
    signal(SIGPIPE, SIG_IGN);
    pw_info(NULL, "%s %s starting as %s, server %s:%d", role->program, PACKAGE_VERSION,
            common->jid, common->server, common->port);
    pw_component_start(rt->component);
    if (pw_loop_run(rt->loop) != PW_OK)
        goto done;
    /* clean stop: close the stream and wait (bounded) for the server to close its side */
    pw_component_stop(rt->component);
    {
        uint64_t until = pw_loop_now(rt->loop) + STOP_GRACE_MS;
        while (pw_component_online(rt->component) && pw_loop_now(rt->loop) < until)
            pw_loop_run_once(rt->loop, 100);
    }
    status = 0;
done:
    if (rt->component && role->fini)
        role->fini(rt->state);
    /* the endpoint first (it samples the component's figures), the registry last */
    pw_metrics_http_destroy(rt->http);
    pw_component_destroy(rt->component);
    pw_metrics_cmd_destroy(rt->command);
    pw_metrics_destroy(rt->metrics);
    if (rt->ctx)
        xmpp_ctx_free(rt->ctx);
    free(rt->log_secret);
    xmpp_shutdown();
    pw_loop_destroy(rt->loop);
    pw_info(NULL, "%s stopped", role->program);
    return status;
}

int pw_runtime_main(const pw_role_t *role, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 'k' },
        { "help-config", optional_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    runtime_t rt;
    int check_only = 0, opt, status;
    char why[1024];

    memset(&rt, 0, sizeof rt);
    rt.role = role;
    pw_log_setup(role->program, PW_LOG_INFO);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': rt.config_path = optarg; break;
        case 'k': check_only = 1; break;
        case 'H': return print_reference(role, optarg);
        case 'h': usage(role, stdout); return 0;
        case 'V': printf("%s %s\n", role->program, PACKAGE_VERSION); return 0;
        default:
            fprintf(stderr, "%s: unknown option '%s'\n\n", role->program, argv[optind - 1]);
            usage(role, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'%s\n\n", role->program, argv[optind],
                rt.config_path ? "" : " (a configuration file is given as -c FILE)");
        usage(role, stderr);
        return 2;
    }
    if (!rt.config_path) {
        fprintf(stderr, "%s: no configuration file given (use -c FILE)\n\n", role->program);
        usage(role, stderr);
        return 2;
    }
    rt.settings = calloc(1, role->settings_size);
    if (!rt.settings)
        return 3;
    if (pw_runtime_load_config(role, rt.config_path, rt.settings, why, sizeof why) != PW_OK) {
        fprintf(stderr, "%s: configuration error: %s\n", role->program, why);
        free(rt.settings);
        return 1;
    }
    if (check_only) {
        printf("%s: configuration %s is valid\n", role->program, rt.config_path);
        pw_runtime_free_config(role, rt.settings);
        free(rt.settings);
        return 0;
    }
    pw_log_setup(role->program, common_of(role, rt.settings)->log_level);
    status = run(&rt);
    pw_runtime_free_config(role, rt.settings);
    free(rt.settings);
    return status;
}
