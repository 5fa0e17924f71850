/* ejabberd.c: a private ejabberd 23.01 per operator: own address, ports, Erlang node, spool and logs, pre-made accounts and rosters. */
#include "pwt_ejabberd.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "pwt_netns.h"
#include "pwt_server.h"
#include "pwt_util.h"

#ifndef PWT_EJABBERDCTL
#define PWT_EJABBERDCTL "/usr/sbin/ejabberdctl"
#endif
#ifndef PWT_ERL
#define PWT_ERL "/usr/bin/erl"
#endif
#ifndef PWT_SETPRIV
#define PWT_SETPRIV "setpriv"
#endif

#define TEMPLATE_YML "conf/ejabberd/operator.yml"
#define TEMPLATE_CTL "conf/ejabberd/ejabberdctl.cfg"
#define TEMPLATE_INETRC "conf/ejabberd/inetrc"
#define TEMPLATE_VMARGS "conf/ejabberd/vm.args"
#define EJABBERD_USER "ejabberd" /* the Debian package's system user: ejabberdctl insists on it */
#define START_TIMEOUT_MS 30000u
#define STOP_TIMEOUT_MS 10000u
#define CTL_TIMEOUT_MS 30000u
#define GONE_TIMEOUT_MS 5000u
#define ARGV_MAX 32u             /* ejabberdctl's command line, NULL included */
#define LEFTOVERS_MAX 16u
#define NO_DIALBACK "# mod_s2s_dialback: not loaded (TLS: certificates only, no dialback fallback)"

/* One instance: the server's common part and what only ejabberd has. */
typedef struct pwt_ejabberd {
    pwt_server_t *srv;              /* domain, address, ports, secret, temp dir, process */
    char dns_ip[24];                /* an Erlang tuple, e.g. {127,0,0,1} */
    int dns_port;
    char node[64];                  /* pwt_XXXXXX@127.0.0.3: a long name on the dist address */
    char dist_ip[24];               /* the distribution's address (the component listener's, on
                                       loopback) as an Erlang tuple, e.g. {127,0,0,3} */
    char join_node[64];             /* a cluster member: the first node's name; else "" */
    char cookie[33];
    char home_env[PWT_PATH_MAX + 8]; /* HOME=<dir>: erl looks there, never in /root */
    char spool_dir[PWT_PATH_MAX];
    char logs_dir[PWT_PATH_MAX];
    char ctl_config_path[PWT_PATH_MAX];
    char inetrc_path[PWT_PATH_MAX];
    char vm_args_path[PWT_PATH_MAX];
    char erl_path[PWT_PATH_MAX];     /* the erl wrapper */
    char error_log_path[PWT_PATH_MAX];
    char ctl_output_path[PWT_PATH_MAX];
    char import_path[PWT_PATH_MAX];
    char tls_dir[PWT_PATH_MAX];      /* TLS: copies the node can read (pwt_server_spec_t.tls) */
    char tls_cert_path[PWT_PATH_MAX];
    char tls_key_path[PWT_PATH_MAX];
    char tls_ca_path[PWT_PATH_MAX];
    int tls;                         /* the copies exist: TLS everywhere, else plain text */
    int dist_port;
    uid_t uid;
    gid_t gid;
    int beam_pid;
    int started;                     /* it ran once: the accounts are in its spool */
} pwt_ejabberd_t;

static pw_status_t ej_start(void *owner);
static pw_status_t ej_stop(void *owner);
static pw_status_t ej_set_dns_server(void *owner, const char *dns_server);
static pw_status_t ej_add_user(void *owner, const char *user, const char *password);
static pw_status_t ej_set_roster(void *owner, const char *user, const char *contact_jid,
                                 const char *subscription);
static void ej_print_log(const void *owner, unsigned lines);
static void ej_destroy(void *owner);

static const pwt_server_ops_t ejabberd_ops = {
    .kind = "ejabberd", .start = ej_start, .stop = ej_stop, .set_dns_server = ej_set_dns_server,
    .add_user = ej_add_user, .set_roster = ej_set_roster, .print_log = ej_print_log,
    .destroy = ej_destroy,
};

/* ------------------------------------------------------------------ preparing the directory */

/* Whether s can go between double quotes in YAML as it is: no '"', '\' or control bytes. */
static int yaml_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f)
            return 0;
    }
    return 1;
}

/* Write an IPv4 address as an Erlang tuple, e.g. "{127,0,0,3}". */
static pw_status_t erlang_ip(const char *ip, char *out, size_t cap)
{
    unsigned char a[4];
    if (inet_pton(AF_INET, ip, a) != 1)
        return PW_EINVAL;
    snprintf(out, cap, "{%u,%u,%u,%u}", a[0], a[1], a[2], a[3]);
    return PW_OK;
}

/* Parse "A.B.C.D@PORT" (NULL: nothing listens on 127.0.0.1:1, lookups fail fast) into the
 * Erlang tuple and port of the inetrc. */
static pw_status_t parse_dns(pwt_ejabberd_t *s, const char *dns_server)
{
    char ip[INET_ADDRSTRLEN];
    const char *at;
    char *end;
    long port;

    if (!dns_server)
        dns_server = "127.0.0.1@1";
    at = strchr(dns_server, '@');
    if (!at || (size_t)(at - dns_server) >= sizeof ip)
        return PW_EINVAL;
    memcpy(ip, dns_server, (size_t)(at - dns_server));
    ip[at - dns_server] = '\0';
    port = strtol(at + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return PW_EINVAL;
    s->dns_port = (int)port;
    return erlang_ip(ip, s->dns_ip, sizeof s->dns_ip);
}

/* A fresh random cookie: 32 hex digits. */
static pw_status_t make_cookie(pwt_ejabberd_t *s)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f ? fread(raw, 1, sizeof raw, f) : 0;

    if (f)
        fclose(f);
    if (n != sizeof raw) {
        pw_error(NULL, "pwt: cannot read /dev/urandom for an Erlang cookie");
        return PW_EIO;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        s->cookie[2 * i] = hex[raw[i] >> 4];
        s->cookie[2 * i + 1] = hex[raw[i] & 15];
    }
    s->cookie[2 * sizeof raw] = '\0';
    return PW_OK;
}

/* Pick the Erlang distribution's port on its address, the component listener's
 * (ejabberdctl's control nodes reach the node there), apart from the server's own ports. Called
 * in the server's network namespace (create_node()). */
static pw_status_t pick_dist_port(pwt_ejabberd_t *s)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        s->dist_port = pwt_port_pick(pwt_server_component_ip(s->srv));
        if (s->dist_port < 0)
            return PW_EIO;
        if (s->dist_port != pwt_server_c2s_port(s->srv) &&
            s->dist_port != pwt_server_s2s_port(s->srv) &&
            s->dist_port != pwt_server_component_port(s->srv))
            return PW_OK;
    }
    return PW_EIO;
}

/* Write the erl wrapper: /usr/bin/erl with the parent-death signal set, so the node (whose
 * parent is ejabberdctl, which dies with the test) never outlives the test. */
static pw_status_t write_erl_wrapper(const pwt_ejabberd_t *s)
{
    FILE *f = fopen(s->erl_path, "w");

    if (f)
        fprintf(f,
                "#!/bin/sh\n"
                "# erl: Erlang with the parent-death signal set (tests/support/ejabberd.c):\n"
                "# the node dies with the ejabberdctl that started it, which dies with the test.\n"
                "exec %s --pdeathsig KILL -- %s \"$@\"\n",
                PWT_SETPRIV, PWT_ERL);
    if (pwt_file_close(f, s->erl_path) != PW_OK)
        return PW_EIO;
    if (chmod(s->erl_path, 0755) != 0) {
        pw_error(NULL, "pwt: chmod %s: %s", s->erl_path, strerror(errno));
        return PW_EIO;
    }
    return PW_OK;
}

/* Render one template of conf/ejabberd into the instance. */
static pw_status_t render(const char *template_rel, const char *out, const char *const vars[])
{
    char template_path[PWT_PATH_MAX];
    pw_status_t st = pwt_srcpath(template_path, sizeof template_path, template_rel);
    return st == PW_OK ? pwt_render(template_path, out, vars) : st;
}

/* Render the inetrc (the DNS server). */
static pw_status_t render_inetrc(const pwt_ejabberd_t *s)
{
    char port[16];
    const char *const vars[] = { "DNS_IP", s->dns_ip, "DNS_PORT", port, NULL };
    snprintf(port, sizeof port, "%d", s->dns_port);
    return render(TEMPLATE_INETRC, s->inetrc_path, vars);
}

/* Render ejabberd.yml, ejabberdctl.cfg, vm.args and the inetrc. */
static pw_status_t render_config(const pwt_ejabberd_t *s)
{
    char c2s[16], s2s[16], comp[16], dist[16];
    char certfiles[2 * PWT_PATH_MAX + 16] = "[]";
    char cafile[PWT_PATH_MAX + 32] = "# s2s_cafile: none (no TLS)";
    const char *level = getenv("PWT_EJABBERD_DEBUG") ? "debug" : "info";
    pw_status_t st;

    if (s->tls) { /* the paths are the temp dir's, checked by copy_tls() */
        snprintf(certfiles, sizeof certfiles, "[\"%s\", \"%s\"]", s->tls_cert_path,
                 s->tls_key_path);
        snprintf(cafile, sizeof cafile, "s2s_cafile: \"%s\"", s->tls_ca_path);
    }
    snprintf(c2s, sizeof c2s, "%d", pwt_server_c2s_port(s->srv));
    snprintf(s2s, sizeof s2s, "%d", pwt_server_s2s_port(s->srv));
    snprintf(comp, sizeof comp, "%d", pwt_server_component_port(s->srv));
    snprintf(dist, sizeof dist, "%d", s->dist_port);
    {
        const char *const vars[] = {
            "DOMAIN", pwt_server_domain(s->srv), "IP", pwt_server_ip(s->srv),
            "C2S_PORT", c2s,                     "S2S_PORT", s2s,
            "COMPONENT_IP", pwt_server_component_ip(s->srv),
            "COMPONENT_PORT", comp,              "LOG_LEVEL", level,
            "SECRET", pwt_server_secret(s->srv), "TLS", s->tls ? "true" : "false",
            "CERTFILES", certfiles,              "S2S_CAFILE", cafile,
            "S2S_USE_STARTTLS", s->tls ? "required" : "false",
            "DIALBACK_MODULE", s->tls ? NO_DIALBACK : "mod_s2s_dialback: {}", NULL,
        };
        st = render(TEMPLATE_YML, pwt_server_config_path(s->srv), vars);
    }
    if (st == PW_OK) {
        const char *const vars[] = {
            "NODE", s->node,     "DIST_PORT", dist, "DIST_IP", s->dist_ip,
            "COOKIE", s->cookie, "ERL", s->erl_path, NULL,
        };
        st = render(TEMPLATE_CTL, s->ctl_config_path, vars);
    }
    if (st == PW_OK) {
        const char *const none[] = { NULL };
        st = render(TEMPLATE_VMARGS, s->vm_args_path, none);
    }
    return st == PW_OK ? render_inetrc(s) : st;
}

/* chown a tree (without following links) to the ejabberd user: the node runs as that user. */
static int chown_tree(const char *path, uid_t uid, gid_t gid)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (lchown(path, uid, gid) != 0 || lstat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode))
        return 0;
    d = opendir(path);
    if (!d)
        return -1;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char child[PWT_PATH_MAX];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = pwt_path_join(child, path, de->d_name) == PW_OK ? chown_tree(child, uid, gid) : -1;
    }
    closedir(d);
    return rc;
}

/* Fill the paths of the instance below its temp dir. */
static pw_status_t make_paths(pwt_ejabberd_t *s)
{
    static const struct { size_t off; const char *name; } paths[] = {
        { offsetof(pwt_ejabberd_t, spool_dir), "spool" },
        { offsetof(pwt_ejabberd_t, logs_dir), "logs" },
        { offsetof(pwt_ejabberd_t, ctl_config_path), "ejabberdctl.cfg" },
        { offsetof(pwt_ejabberd_t, inetrc_path), "inetrc" },
        { offsetof(pwt_ejabberd_t, vm_args_path), "vm.args" },
        { offsetof(pwt_ejabberd_t, erl_path), "erl" },
        { offsetof(pwt_ejabberd_t, error_log_path), "logs/error.log" },
        { offsetof(pwt_ejabberd_t, ctl_output_path), "ejabberdctl.out" },
        { offsetof(pwt_ejabberd_t, import_path), "accounts.xml" },
        { offsetof(pwt_ejabberd_t, tls_dir), "tls" },
        { offsetof(pwt_ejabberd_t, tls_cert_path), "tls/cert.pem" },
        { offsetof(pwt_ejabberd_t, tls_key_path), "tls/key.pem" },
        { offsetof(pwt_ejabberd_t, tls_ca_path), "tls/ca.pem" },
    };
    const char *dir = pwt_server_dir(s->srv);
    const char *suffix = strrchr(dir, '-'); /* pwt_tmpdir(): .../pwt-ejabberd-XXXXXX */

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (pwt_server_path(s->srv, (char *)s + paths[i].off, paths[i].name) != PW_OK)
            return PW_ERANGE;
    }
    snprintf(s->home_env, sizeof s->home_env, "HOME=%s", dir);
    /* the distribution beside the component listener: in an operator's own network namespace
     * that is its loopback, which the other operator cannot reach (c2s and s2s are on ip) */
    snprintf(s->node, sizeof s->node, "pwt_%s@%s", suffix ? suffix + 1 : "node",
             pwt_server_component_ip(s->srv));
    return erlang_ip(pwt_server_component_ip(s->srv), s->dist_ip, sizeof s->dist_ip);
}

/* Copy the certificate, its key and the CA of tls into the instance's tls/ (mode 0600; the
 * node's user gets them with the rest of the dir, see ctl_argv()): the originals may be where
 * that user cannot read, and stay as they are. */
static pw_status_t copy_tls(pwt_ejabberd_t *s, const pwt_server_tls_t *tls)
{
    pw_status_t st = PW_EINVAL;

    if (!tls->cert || !tls->key || !tls->ca || !yaml_safe(s->tls_dir))
        goto done;
    st = PW_EIO;
    if (pwt_mkdir(s->tls_dir) != 0) {
        pw_error(NULL, "pwt: mkdir %s: %s", s->tls_dir, strerror(errno));
        goto done;
    }
    st = pwt_file_copy(tls->cert, s->tls_cert_path);
    if (st == PW_OK)
        st = pwt_file_copy(tls->key, s->tls_key_path);
    if (st == PW_OK)
        st = pwt_file_copy(tls->ca, s->tls_ca_path);
    s->tls = st == PW_OK;
done:
    return st;
}

/* Prepare a node: a standalone one (first NULL), or a member of first's cluster (the same
 * domain, secret, cookie and distribution port, on its own address). */
static pw_status_t create_node(pwt_server_t **out, const pwt_server_spec_t *o,
                               const pwt_ejabberd_t *first)
{
    pw_status_t st = PW_EINVAL;
    pwt_ejabberd_t *s = NULL;
    struct passwd *pw;

    if (!out || !o || !o->domain || !o->ip)
        goto done;
    *out = NULL;
    if (!yaml_safe(o->domain) || !yaml_safe(o->ip) ||
        (o->component_ip && !yaml_safe(o->component_ip)) || (o->secret && !yaml_safe(o->secret)))
        goto done;
    st = PW_ENOMEM;
    s = calloc(1, sizeof *s);
    if (!s)
        goto done;
    s->beam_pid = -1;
    st = parse_dns(s, o->dns_server);
    if (st != PW_OK)
        goto done;
    st = PW_ENOTFOUND;
    pw = getpwnam(EJABBERD_USER);
    if (!pw) {
        pw_error(NULL, "pwt: no user '%s': install Debian's ejabberd (tests/setup-debian.sh)",
                 EJABBERD_USER);
        goto done;
    }
    s->uid = pw->pw_uid;
    s->gid = pw->pw_gid;
    {
        const pwt_server_base_t base = { .ops = &ejabberd_ops, .owner = s,
                                         .config = "ejabberd.yml", .log = "logs/ejabberd.log" };
        st = pwt_server_create(&s->srv, &base, o);
    }
    if (st == PW_OK)
        st = make_paths(s);
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    if (pwt_mkdir(s->spool_dir) != 0 || pwt_mkdir(s->logs_dir) != 0) {
        pw_error(NULL, "pwt: mkdir in %s: %s", pwt_server_dir(s->srv), strerror(errno));
        goto done;
    }
    if (o->tls && (st = copy_tls(s, o->tls)) != PW_OK)
        goto done;
    if (first) {
        /* Erlang's distribution without epmd (ERL_DIST_PORT) dials every node on its own
         * port: the members share it, each on its own address */
        snprintf(s->cookie, sizeof s->cookie, "%s", first->cookie);
        snprintf(s->join_node, sizeof s->join_node, "%s", first->node);
        s->dist_port = first->dist_port;
        st = PW_OK;
    } else {
        st = make_cookie(s);
        if (st == PW_OK)
            st = pick_dist_port(s);
    }
    if (st == PW_OK)
        st = write_erl_wrapper(s);
    if (st == PW_OK)
        st = render_config(s);
    if (st != PW_OK)
        goto done;
    *out = s->srv;
    s = NULL;
done:
    if (s)
        ej_destroy(s);
    return st;
}

pw_status_t pwt_ejabberd_create(pwt_server_t **out, const pwt_server_spec_t *spec)
{
    return create_node(out, spec, NULL);
}

pw_status_t pwt_ejabberd_create_member(pwt_server_t **out, const pwt_server_spec_t *spec,
                                       const pwt_server_t *first)
{
    const pwt_ejabberd_t *f = pwt_server_owner(first, &ejabberd_ops);
    pwt_server_spec_t o;
    pwt_server_tls_t tls;

    /* its own address, and its own distribution address (the port is the cluster's) */
    if (!out || !spec || !spec->ip || !f || f->join_node[0] ||
        strcmp(spec->ip, pwt_server_ip(first)) == 0 ||
        strcmp(spec->component_ip ? spec->component_ip : spec->ip,
               pwt_server_component_ip(first)) == 0)
        return PW_EINVAL;
    o = *spec;
    o.domain = pwt_server_domain(first);
    o.secret = pwt_server_secret(first);
    o.tls = NULL;
    if (f->tls) { /* the cluster's: the first node's copies */
        tls = (pwt_server_tls_t){ .cert = f->tls_cert_path, .key = f->tls_key_path,
                                  .ca = f->tls_ca_path };
        o.tls = &tls;
    }
    return create_node(out, &o, f);
}

static pw_status_t ej_set_dns_server(void *owner, const char *dns_server)
{
    pwt_ejabberd_t *s = owner;
    pw_status_t st = parse_dns(s, dns_server);
    if (st == PW_OK)
        st = render_inetrc(s);
    if (st == PW_OK && s->started && chown_tree(s->inetrc_path, s->uid, s->gid) != 0)
        st = PW_EIO;
    return st;
}

/* ------------------------------------------------------------------ running ejabberdctl */

/* The command line of ejabberdctl with args: as the ejabberd user (no su: setpriv keeps the
 * parent-death signal, so it dies with the caller), with this instance's config dir, logs
 * and spool. Also gives the instance's files to that user. */
static pw_status_t ctl_argv(pwt_ejabberd_t *s, const char *const args[], char *argv[ARGV_MAX])
{
    size_t n = 0;

    argv[n++] = PWT_SETPRIV;
    argv[n++] = "--reuid=" EJABBERD_USER;
    argv[n++] = "--regid=" EJABBERD_USER;
    argv[n++] = "--init-groups";
    argv[n++] = "--pdeathsig";
    argv[n++] = "KILL";
    argv[n++] = "--";
    argv[n++] = "env";
    argv[n++] = s->home_env;
    argv[n++] = PWT_EJABBERDCTL;
    argv[n++] = "--config-dir";
    argv[n++] = (char *)pwt_server_dir(s->srv);
    argv[n++] = "--logs";
    argv[n++] = s->logs_dir;
    argv[n++] = "--spool";
    argv[n++] = s->spool_dir;
    for (size_t i = 0; args[i] && n < ARGV_MAX - 1; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    if (chown_tree(pwt_server_dir(s->srv), s->uid, s->gid) != 0) {
        pw_error(NULL, "pwt: cannot chown %s to %s: %s", pwt_server_dir(s->srv), EJABBERD_USER,
                 strerror(errno));
        return PW_EIO;
    }
    return PW_OK;
}

/* Run one ejabberdctl command to its end (output appended to ejabberdctl.out), in the server's
 * network namespace: its control node reaches the node's distribution there. */
static pw_status_t ctl(pwt_ejabberd_t *s, const char *const args[])
{
    char *argv[ARGV_MAX];
    pwt_proc_t *p = NULL;
    pw_status_t st;
    int status = -1, saved;
    FILE *f = fopen(s->ctl_output_path, "a");

    if (f) {
        fputs("$ ejabberdctl", f);
        for (size_t i = 0; args[i]; i++)
            fprintf(f, " %s", args[i]);
        fputc('\n', f);
        fclose(f);
    }
    st = ctl_argv(s, args, argv);
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    if ((saved = pwt_server_enter_netns(s->srv)) < 0)
        goto done;
    st = pwt_proc_start(&p, "ejabberdctl", argv, NULL, s->ctl_output_path);
    pwt_netns_leave(saved);
    if (st != PW_OK)
        goto done;
    st = pwt_proc_wait(p, CTL_TIMEOUT_MS, &status);
    if (st != PW_OK) {
        pw_error(NULL, "pwt: ejabberdctl %s did not end in %u ms", args[0], CTL_TIMEOUT_MS);
        goto done;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        pw_error(NULL, "pwt: ejabberdctl %s for %s failed (status %d)", args[0],
                 pwt_server_domain(s->srv), status);
        pwt_print_tail(s->ctl_output_path, 10);
        st = PW_EIO;
    }
done:
    pwt_proc_destroy(p);
    return st;
}

/* Write text as XML character data or an attribute value (between single quotes). */
static void xml_escape(FILE *f, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*p, f); break;
        }
    }
}

/* Write every account and roster item as one XEP-0227 document (urn:xmpp:pie:0). */
static pw_status_t write_import(const pwt_ejabberd_t *s)
{
    const pwt_accounts_t *accounts = pwt_server_accounts(s->srv);
    const char *jid, *subscription;
    FILE *f = fopen(s->import_path, "w");

    if (!f)
        return pwt_file_close(f, s->import_path);
    fputs("<?xml version='1.0' encoding='UTF-8'?>\n", f);
    fputs("<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='", f);
    xml_escape(f, pwt_server_domain(s->srv));
    fputs("'>\n", f);
    for (size_t u = 0; u < pwt_accounts_user_count(accounts); u++) {
        const char *password;
        const char *user = pwt_accounts_user(accounts, u, &password);
        fputs("<user name='", f);
        xml_escape(f, user);
        fputs("' password='", f);
        xml_escape(f, password);
        fputs("'><query xmlns='jabber:iq:roster'>\n", f);
        for (size_t k = 0; (jid = pwt_accounts_user_item(accounts, user, k, &subscription)); k++) {
            fputs("<item jid='", f);
            xml_escape(f, jid);
            fprintf(f, "' subscription='%s'/>\n", subscription);
        }
        fputs("</query></user>\n", f);
    }
    fputs("</host>\n</server-data>\n", f);
    return pwt_file_close(f, s->import_path);
}

static pw_status_t ej_add_user(void *owner, const char *user, const char *password)
{
    pwt_ejabberd_t *s = owner;
    pw_status_t st;
    int known;

    if (!user || !password || (s->join_node[0] && !s->started))
        return PW_EINVAL; /* a member's accounts are the cluster's: add them on the first node */
    known = pwt_accounts_has_user(pwt_server_accounts(s->srv), user);
    if (s->started && !pwt_server_running(s->srv))
        return PW_ECLOSED;
    st = pwt_accounts_set_user(pwt_server_accounts(s->srv), user, password);
    if (st == PW_OK && s->started) {
        const char *domain = pwt_server_domain(s->srv);
        const char *const reg[] = { "register", user, domain, password, NULL };
        const char *const change[] = { "change_password", user, domain, password, NULL };
        st = ctl(s, known ? change : reg);
    }
    return st;
}

static pw_status_t ej_set_roster(void *owner, const char *user, const char *contact_jid,
                                 const char *subscription)
{
    pwt_ejabberd_t *s = owner;
    const char *domain = pwt_server_domain(s->srv);
    char contact_user[PWT_ACCOUNTS_JID_MAX + 1];
    const char *contact_server;
    const char *at;
    pw_status_t st;

    if (!user || !contact_jid || !subscription)
        return PW_EINVAL;
    if (!pwt_accounts_has_user(pwt_server_accounts(s->srv), user))
        return PW_ENOTFOUND;
    if (s->started && !pwt_server_running(s->srv))
        return PW_ECLOSED;
    st = pwt_accounts_set_item(pwt_server_accounts(s->srv), user, contact_jid, subscription);
    if (st != PW_OK || !s->started)
        return st;
    at = strchr(contact_jid, '@');
    snprintf(contact_user, sizeof contact_user, "%.*s", at ? (int)(at - contact_jid) : 0,
             contact_jid);
    contact_server = at ? at + 1 : contact_jid;
    if (strcmp(subscription, "remove") == 0) {
        const char *const args[] = { "delete_rosteritem", user, domain, contact_user,
                                     contact_server, NULL };
        return ctl(s, args);
    } else {
        const char *const args[] = { "add_rosteritem", user, domain, contact_user,
                                     contact_server, contact_jid, "", subscription, NULL };
        return ctl(s, args);
    }
}

/* ------------------------------------------------------------------ start and stop */

/* Kill what still runs with the instance's spool dir in its command line (a node whose
 * ejabberdctl is gone: ejabberdctl and beam.smp both name it), and wait until nothing does.
 * Not the instance's dir: a test may run components whose configs live there.
 * Returns how many had to be killed. */
static size_t kill_leftovers(const pwt_ejabberd_t *s)
{
    const char *dir = s->spool_dir;
    int pids[LEFTOVERS_MAX];
    size_t n = pwt_proc_find_cmdline(dir, pids, LEFTOVERS_MAX);
    uint64_t deadline = pwt_now_ms() + GONE_TIMEOUT_MS;

    for (size_t i = 0; i < n && i < LEFTOVERS_MAX; i++) {
        pw_warn(NULL, "pwt: ejabberd for %s: killing leftover pid %d", pwt_server_domain(s->srv),
                pids[i]);
        kill(pids[i], SIGKILL);
    }
    while (n > 0 && pwt_proc_find_cmdline(dir, NULL, 0) > 0 && pwt_now_ms() < deadline)
        pwt_sleep_ms(10);
    return n;
}

/* A member's first start: join the first node's cluster (ejabberd restarts on the member
 * with the cluster's Mnesia: accounts, rosters), then wait for its ports again. Later
 * starts find the cluster in the spool. */
static pw_status_t join_cluster(pwt_ejabberd_t *s)
{
    const char *const args[] = { "join_cluster", s->join_node, NULL };
    pw_status_t st = ctl(s, args);

    if (st == PW_OK && (st = pwt_server_wait_ports(s->srv, START_TIMEOUT_MS)) != PW_OK)
        pw_error(NULL, "pwt: ejabberd node %s: ports closed after joining %s", s->node,
                 s->join_node);
    return st;
}

static pw_status_t ej_start(void *owner)
{
    static const char *const foreground[] = { "foreground", NULL };
    pwt_ejabberd_t *s = owner;
    char *argv[ARGV_MAX];
    pw_status_t st = PW_EEXIST;

    if (pwt_server_running(s->srv))
        goto done;
    kill_leftovers(s);
    st = ctl_argv(s, foreground, argv);
    if (st == PW_OK)
        st = pwt_server_run(s->srv, argv, START_TIMEOUT_MS);
    if (st == PW_OK &&
        pwt_proc_descendants(pwt_server_pid(s->srv), "beam.smp", &s->beam_pid, 1) != 1) {
        pw_error(NULL, "pwt: ejabberd for %s: no single beam.smp below pid %d",
                 pwt_server_domain(s->srv), pwt_server_pid(s->srv));
        st = PW_EIO;
    }
    if (st == PW_OK && !s->started && s->join_node[0])
        st = join_cluster(s);
    else if (st == PW_OK && !s->started && pwt_accounts_user_count(pwt_server_accounts(s->srv)) > 0) {
        const char *const args[] = { "import_piefxis", s->import_path, NULL };
        st = write_import(s);
        if (st == PW_OK)
            st = ctl(s, args);
    }
    if (st != PW_OK) {
        ej_print_log(s, 30);
        ej_stop(s);
        goto done;
    }
    s->started = 1;
done:
    return st;
}

/* Stop the node: sig (SIGTERM: ejabberd shuts down cleanly, its spool stays consistent for a
 * restart; SIGKILL: at once, when the spool goes anyway) to the beam.smp below ejabberdctl,
 * SIGKILL to both after STOP_TIMEOUT_MS; then kill whatever still has the spool dir in its
 * command line. */
static pw_status_t stop_node(pwt_ejabberd_t *s, int sig)
{
    pwt_proc_t *proc = pwt_server_proc(s->srv);
    pw_status_t st = PW_OK;
    int beam = -1;

    if (!proc)
        return PW_OK;
    /* The beam.smp below ejabberdctl (looked up again: the node may have restarted its VM). */
    if (pwt_proc_alive(proc) &&
        pwt_proc_descendants(pwt_server_pid(s->srv), "beam.smp", &beam, 1) == 1)
        s->beam_pid = beam;
    if (beam > 0)
        kill(beam, sig); /* SIGTERM is init:stop(): ejabberd stops, then ejabberdctl returns */
    else
        pwt_proc_signal(proc, sig);
    if (pwt_proc_wait(proc, STOP_TIMEOUT_MS, NULL) != PW_OK) {
        pw_warn(NULL, "pwt: ejabberd for %s ignored signal %d for %u ms: killing it",
                pwt_server_domain(s->srv), sig, STOP_TIMEOUT_MS);
        if (beam > 0)
            kill(beam, SIGKILL);
        pwt_proc_stop(proc, 0);
        st = PW_EIO;
    }
    pwt_server_release_proc(s->srv);
    if (kill_leftovers(s) > 0)
        st = PW_EIO;
    return st;
}

static pw_status_t ej_stop(void *owner)
{
    return stop_node(owner, SIGTERM);
}

/* ------------------------------------------------------------------ accessors */

int pwt_ejabberd_dist_port(const pwt_server_t *srv)
{
    const pwt_ejabberd_t *s = pwt_server_owner(srv, &ejabberd_ops);
    return s ? s->dist_port : -1;
}

const char *pwt_ejabberd_node(const pwt_server_t *srv)
{
    const pwt_ejabberd_t *s = pwt_server_owner(srv, &ejabberd_ops);
    return s ? s->node : "";
}

int pwt_ejabberd_beam_pid(const pwt_server_t *srv)
{
    const pwt_ejabberd_t *s = pwt_server_owner(srv, &ejabberd_ops);
    return s ? s->beam_pid : -1;
}

static void ej_print_log(const void *owner, unsigned lines)
{
    const pwt_ejabberd_t *s = owner;
    pwt_print_tail(pwt_server_log_path(s->srv), lines);
    pwt_print_tail(s->error_log_path, lines);
    pwt_print_tail(pwt_server_output_path(s->srv), lines);
    pwt_print_tail(s->ctl_output_path, lines);
}

static void ej_destroy(void *owner)
{
    pwt_ejabberd_t *s = owner;
    stop_node(s, SIGKILL); /* the spool is removed with the dir: no need to shut down cleanly */
    pwt_server_free(s->srv);
    free(s);
}
