/* prosody.c: a private Prosody 0.12 per test: own loopback address, ports, data and log, pre-made accounts and rosters. */
#include "pwt_prosody.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "pwt_server.h"
#include "pwt_util.h"

#ifndef PWT_PROSODY
#define PWT_PROSODY "prosody"
#endif

#define TEMPLATE "conf/prosody/operator.cfg.lua"
#define FIELD_MAX 256u       /* user, password */
#define START_TIMEOUT_MS 20000u
#define STOP_TIMEOUT_MS 5000u
#define NO_DNS "127.0.0.1@1" /* nothing listens there: lookups fail fast */

/* A private Prosody: the owner behind its pwt_server_t. */
typedef struct pwt_prosody {
    pwt_server_t *srv;              /* domain, address, ports, secret, temp dir, process */
    char *dns_server;
    unsigned optional;              /* PWT_SERVER_WITH_* */
    char *tls_cert, *tls_key, *tls_ca; /* all NULL: plain text (pwt_server_spec_t.tls) */
    char data_dir[PWT_PATH_MAX];
    char pid_path[PWT_PATH_MAX];
} pwt_prosody_t;

/* Prosody's datamanager encoding of host and user names: every byte that is not an ASCII
 * letter or digit becomes %xx (lower-case hex), e.g. "opa.example" -> "opa%2eexample". */
static pw_status_t dm_encode(char *buf, size_t size, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9');
        if (o + (alnum ? 1 : 3) >= size)
            return PW_ERANGE;
        if (alnum) {
            buf[o++] = (char)*p;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        }
    }
    buf[o] = '\0';
    return PW_OK;
}

/* Write s as a Lua string literal: printable ASCII as it is, '"' and '\' escaped, every
 * other byte as a decimal escape \ddd. */
static void lua_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f)
            fputc(*p, f);
        else
            fprintf(f, "\\%03u", (unsigned)*p);
    }
    fputc('"', f);
}

/* s as a Lua string literal (lua_quote()) in a new string, or "nil" for NULL; NULL when out
 * of memory. The caller frees it. */
static char *lua_literal(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (s)
        lua_quote(f, s);
    else
        fputs("nil", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Open data/<host>/<store>/<user>.dat~ for writing; *final receives the file's real path. */
static FILE *open_store(const pwt_prosody_t *s, const char *store, const char *user,
                        char *final, char *scratch)
{
    char host_enc[FIELD_MAX * 3 + 1];
    char user_enc[FIELD_MAX * 3 + 1];
    char dir[PWT_PATH_MAX];
    int n;

    if (dm_encode(host_enc, sizeof host_enc, pwt_server_domain(s->srv)) != PW_OK ||
        dm_encode(user_enc, sizeof user_enc, user) != PW_OK)
        return NULL;
    n = snprintf(dir, sizeof dir, "%s/%s", s->data_dir, host_enc);
    if (n < 0 || n >= (int)sizeof dir || pwt_mkdir(dir) != 0)
        return NULL;
    n = snprintf(dir, sizeof dir, "%s/%s/%s", s->data_dir, host_enc, store);
    if (n < 0 || n >= (int)sizeof dir || pwt_mkdir(dir) != 0)
        return NULL;
    n = snprintf(final, PWT_PATH_MAX, "%s/%s.dat", dir, user_enc);
    if (n < 0 || n >= PWT_PATH_MAX)
        return NULL;
    n = snprintf(scratch, PWT_PATH_MAX, "%s~", final);
    if (n < 0 || n >= PWT_PATH_MAX)
        return NULL;
    return fopen(scratch, "w");
}

/* Close a store file and move it into place atomically, as Prosody does itself. */
static pw_status_t commit_store(FILE *f, const char *final, const char *scratch)
{
    if (pwt_file_close(f, scratch) != PW_OK || rename(scratch, final) != 0) {
        pw_error(NULL, "pwt: cannot write %s: %s", final, strerror(errno));
        unlink(scratch);
        return PW_EIO;
    }
    return PW_OK;
}

static pw_status_t prosody_add_user(pwt_prosody_t *s, const char *user, const char *password)
{
    char final[PWT_PATH_MAX];
    char scratch[PWT_PATH_MAX];
    FILE *f;

    if (!s || !user || !password || !*user || !*password || strlen(user) > FIELD_MAX ||
        strlen(password) > FIELD_MAX)
        return PW_EINVAL;
    f = open_store(s, "accounts", user, final, scratch);
    if (!f) {
        pw_error(NULL, "pwt: cannot create the account file of %s", user);
        return PW_EIO;
    }
    fputs("return {\n\t[\"password\"] = ", f);
    lua_quote(f, password);
    fputs(";\n};\n", f);
    return commit_store(f, final, scratch);
}

/* Rewrite roster/<user>.dat from the items set for that user. */
static pw_status_t write_roster(pwt_prosody_t *s, const char *user)
{
    const pwt_accounts_t *accounts = pwt_server_accounts(s->srv);
    const char *jid, *subscription;
    char final[PWT_PATH_MAX];
    char scratch[PWT_PATH_MAX];
    FILE *f = open_store(s, "roster", user, final, scratch);

    if (!f) {
        pw_error(NULL, "pwt: cannot create the roster file of %s", user);
        return PW_EIO;
    }
    fputs("return {\n\t[false] = {\n\t\t[\"version\"] = 1;\n\t\t[\"pending\"] = {};\n\t};\n", f);
    for (size_t k = 0; (jid = pwt_accounts_user_item(accounts, user, k, &subscription)); k++) {
        fputs("\t[", f);
        lua_quote(f, jid);
        fputs("] = {\n\t\t[\"subscription\"] = ", f);
        lua_quote(f, subscription);
        fputs(";\n\t\t[\"groups\"] = {};\n\t};\n", f);
    }
    fputs("};\n", f);
    return commit_store(f, final, scratch);
}

static pw_status_t prosody_set_roster(pwt_prosody_t *s, const char *user, const char *contact_jid,
                                   const char *subscription)
{
    pw_status_t st;
    if (!s)
        return PW_EINVAL;
    st = pwt_accounts_set_item(pwt_server_accounts(s->srv), user, contact_jid, subscription);
    return st == PW_OK ? write_roster(s, user) : st;
}

/* Render the config template with the instance's values. */
static pw_status_t render_config(pwt_prosody_t *s)
{
    char template_path[PWT_PATH_MAX];
    char c2s[16], s2s[16], comp[16];
    const char *level = getenv("PWT_PROSODY_DEBUG") ? "debug" : "info";
    pw_status_t st = pwt_srcpath(template_path, sizeof template_path, TEMPLATE);
    char *cert = NULL, *key = NULL, *ca = NULL;
    const char *tls = s->tls_cert ? "true" : "false";

    if (st != PW_OK)
        return st;
    cert = lua_literal(s->tls_cert);
    key = lua_literal(s->tls_key);
    ca = lua_literal(s->tls_ca);
    if (!cert || !key || !ca) {
        st = PW_ENOMEM;
        goto done;
    }
    snprintf(c2s, sizeof c2s, "%d", pwt_server_c2s_port(s->srv));
    snprintf(s2s, sizeof s2s, "%d", pwt_server_s2s_port(s->srv));
    snprintf(comp, sizeof comp, "%d", pwt_server_component_port(s->srv));
    {
        const char *const vars[] = {
            "DOMAIN", pwt_server_domain(s->srv),     "IP", pwt_server_ip(s->srv),
            "COMPONENT_IP", pwt_server_component_ip(s->srv),
            "C2S_PORT", c2s,                         "S2S_PORT", s2s,
            "COMPONENT_PORT", comp,                  "DATA_DIR", s->data_dir,
            "PID_FILE", s->pid_path,                 "LOG_FILE", pwt_server_log_path(s->srv),
            "LOG_LEVEL", level,                      "DNS_SERVER", s->dns_server,
            "SECRET", pwt_server_secret(s->srv),
            "WITH_PS2", (s->optional & PWT_SERVER_WITH_PS2) ? "true" : "false",
            "WITH_BENCH", (s->optional & PWT_SERVER_WITH_BENCH) ? "true" : "false",
            "WITH_ROGUE", (s->optional & PWT_SERVER_WITH_ROGUE) ? "true" : "false",
            "TLS", tls, "TLS_MODULE", s->tls_cert ? "\"tls\"; -- STARTTLS (RFC 6120 5)" : "",
            "TLS_CERT", cert, "TLS_KEY", key, "TLS_CA", ca, NULL,
        };
        st = pwt_render(template_path, pwt_server_config_path(s->srv), vars);
    }
done:
    free(cert);
    free(key);
    free(ca);
    return st;
}

static pw_status_t prosody_set_dns_server(pwt_prosody_t *s, const char *dns_server);
static pw_status_t prosody_start(pwt_prosody_t *s);
static pw_status_t prosody_stop(pwt_prosody_t *s);
static void prosody_print_log(const pwt_prosody_t *s, unsigned lines);
static void prosody_destroy(pwt_prosody_t *s);

/* The pwt_server_ops_t of Prosody: each takes the pwt_prosody_t as its owner. */
static pw_status_t op_start(void *owner) { return prosody_start(owner); }
static pw_status_t op_stop(void *owner) { return prosody_stop(owner); }
static pw_status_t op_set_dns_server(void *owner, const char *dns_server)
{
    return prosody_set_dns_server(owner, dns_server);
}
static pw_status_t op_add_user(void *owner, const char *user, const char *password)
{
    return prosody_add_user(owner, user, password);
}
static pw_status_t op_set_roster(void *owner, const char *user, const char *contact_jid,
                                 const char *subscription)
{
    return prosody_set_roster(owner, user, contact_jid, subscription);
}
static void op_print_log(const void *owner, unsigned lines) { prosody_print_log(owner, lines); }
static void op_destroy(void *owner) { prosody_destroy(owner); }

static const pwt_server_ops_t prosody_ops = {
    .kind = "prosody", .start = op_start, .stop = op_stop, .set_dns_server = op_set_dns_server,
    .add_user = op_add_user, .set_roster = op_set_roster, .print_log = op_print_log,
    .destroy = op_destroy,
};

pw_status_t pwt_prosody_create(pwt_server_t **out, const pwt_server_spec_t *o)
{
    pw_status_t st = PW_EINVAL;
    pwt_prosody_t *s = NULL;

    if (!out || !o || !o->domain || !o->ip)
        goto done;
    *out = NULL;
    st = PW_ENOMEM;
    s = calloc(1, sizeof *s);
    if (!s)
        goto done;
    {
        const pwt_server_base_t base = { .ops = &prosody_ops, .owner = s,
                                         .config = "prosody.cfg.lua", .log = "prosody.log" };
        st = pwt_server_create(&s->srv, &base, o);
    }
    if (st != PW_OK)
        goto done;
    st = PW_EINVAL;
    s->optional = o->optional;
    if (o->tls) {
        if (!o->tls->cert || !o->tls->key || !o->tls->ca)
            goto done;
        st = PW_ENOMEM;
        s->tls_cert = pwt_strdup_bounded(o->tls->cert, PWT_PATH_MAX);
        s->tls_key = pwt_strdup_bounded(o->tls->key, PWT_PATH_MAX);
        s->tls_ca = pwt_strdup_bounded(o->tls->ca, PWT_PATH_MAX);
        if (!s->tls_cert || !s->tls_key || !s->tls_ca)
            goto done;
        st = PW_EINVAL;
    }
    s->dns_server = pwt_strdup_bounded(o->dns_server ? o->dns_server : NO_DNS, FIELD_MAX);
    if (!s->dns_server)
        goto done;
    st = pwt_server_path(s->srv, s->data_dir, "data");
    if (st == PW_OK)
        st = pwt_server_path(s->srv, s->pid_path, "prosody.pid");
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    if (pwt_mkdir(s->data_dir) != 0) {
        pw_error(NULL, "pwt: mkdir %s: %s", s->data_dir, strerror(errno));
        goto done;
    }
    st = render_config(s);
    if (st != PW_OK)
        goto done;
    *out = s->srv;
    s = NULL;
done:
    prosody_destroy(s);
    return st;
}

static pw_status_t prosody_set_dns_server(pwt_prosody_t *s, const char *dns_server)
{
    char *copy;
    if (!s)
        return PW_EINVAL;
    copy = pwt_strdup_bounded(dns_server ? dns_server : NO_DNS, FIELD_MAX);
    if (!copy)
        return PW_EINVAL;
    free(s->dns_server);
    s->dns_server = copy;
    return render_config(s);
}

/* Size of a file, 0 if it does not exist. */
static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

/* Whether the log, from offset on, says a port could not be opened. */
static int log_has_port_failure(const char *path, long offset)
{
    char line[2048];
    int found = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fseek(f, offset, SEEK_SET) == 0) {
        while (!found && fgets(line, sizeof line, f))
            found = strstr(line, "Failed to open server port") != NULL;
    }
    fclose(f);
    return found;
}

static pw_status_t prosody_start(pwt_prosody_t *s)
{
    pw_status_t st = PW_EINVAL;
    char *argv[] = { PWT_PROSODY, "-F", "--config", NULL, NULL };
    long log_offset;

    if (!s)
        goto done;
    argv[3] = (char *)pwt_server_config_path(s->srv);
    log_offset = file_size(pwt_server_log_path(s->srv));
    st = pwt_server_run(s->srv, argv, START_TIMEOUT_MS);
    if (st == PW_EEXIST)
        goto done;
    if (st == PW_OK && log_has_port_failure(pwt_server_log_path(s->srv), log_offset)) {
        pw_error(NULL, "pwt: prosody for %s could not open one of its ports (taken?)",
                 pwt_server_domain(s->srv));
        st = PW_EIO;
    }
    if (st != PW_OK) {
        prosody_print_log(s, 30);
        pwt_server_release_proc(s->srv);
    }
done:
    return st;
}

pw_status_t pwt_prosody_start(pwt_server_t **out, const pwt_server_spec_t *o)
{
    pwt_server_t *s = NULL;
    pw_status_t st = pwt_prosody_create(&s, o);
    if (st == PW_OK)
        st = pwt_server_start(s);
    if (st != PW_OK) {
        pwt_server_destroy(s);
        s = NULL;
    }
    if (out)
        *out = s;
    return st;
}

static pw_status_t prosody_stop(pwt_prosody_t *s)
{
    pwt_proc_t *proc = s ? pwt_server_proc(s->srv) : NULL;
    const char *domain = s ? pwt_server_domain(s->srv) : "";
    pw_status_t st = PW_OK;
    int status;

    if (!proc)
        return PW_OK;
    status = pwt_proc_stop(proc, STOP_TIMEOUT_MS);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
        pw_warn(NULL, "pwt: prosody for %s died of signal %d", domain, WTERMSIG(status));
        st = PW_EIO;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        /* Not an error: under `valgrind --trace-children=yes` the exit code is valgrind's
         * verdict on the Lua interpreter, not Prosody's. */
        pw_warn(NULL, "pwt: prosody for %s exited with status %d", domain, WEXITSTATUS(status));
    }
    pwt_server_release_proc(s->srv);
    return st;
}

const char *pwt_prosody_data_dir(const pwt_server_t *srv)
{
    const pwt_prosody_t *s = pwt_server_owner(srv, &prosody_ops);
    return s ? s->data_dir : "";
}

static void prosody_print_log(const pwt_prosody_t *s, unsigned lines)
{
    if (!s)
        return;
    pwt_print_tail(pwt_server_log_path(s->srv), lines);
    pwt_print_tail(pwt_server_output_path(s->srv), lines);
}

static void prosody_destroy(pwt_prosody_t *s)
{
    if (!s)
        return;
    prosody_stop(s);
    pwt_server_free(s->srv);
    free(s->dns_server);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->tls_ca);
    free(s);
}
