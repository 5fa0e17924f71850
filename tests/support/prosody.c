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
#include "pwt_proc.h"
#include "pwt_util.h"

#ifndef PWT_PROSODY
#define PWT_PROSODY "prosody"
#endif

#define TEMPLATE "conf/prosody/operator.cfg.lua"
#define FIELD_MAX 256u       /* domain, ip, secret, user, password */
#define JID_MAX 1024u
#define ROSTER_MAX 1024u
#define START_TIMEOUT_MS 20000u
#define STOP_TIMEOUT_MS 5000u
#define NO_DNS "127.0.0.1@1" /* nothing listens there: lookups fail fast */

/* One roster item the harness has set. */
typedef struct roster_item {
    char *user;
    char *jid;
    char subscription[8];
} roster_item_t;

struct pwt_prosody {
    char *domain;
    char *ip;
    char *secret;
    char *dns_server;
    char *dir;
    char data_dir[PWT_PATH_MAX];
    char config_path[PWT_PATH_MAX];
    char log_path[PWT_PATH_MAX];    /* Prosody's own log */
    char output_path[PWT_PATH_MAX]; /* its stdout and stderr */
    char pid_path[PWT_PATH_MAX];
    int c2s_port;
    int s2s_port;
    int component_port;
    pwt_proc_t *proc;
    int last_pid;
    roster_item_t *items;
    size_t n_items;
};

/* strdup of a string of 1..max bytes, NULL otherwise (or out of memory). */
static char *dup_bounded(const char *s, size_t max)
{
    size_t len;
    if (!s)
        return NULL;
    len = strlen(s);
    if (len == 0 || len > max)
        return NULL;
    return strdup(s);
}

/* snprintf into a PWT_PATH_MAX buffer; PW_ERANGE when it does not fit. */
static pw_status_t path_fmt(char *buf, const char *dir, const char *name)
{
    int n = snprintf(buf, PWT_PATH_MAX, "%s/%s", dir, name);
    return (n < 0 || n >= PWT_PATH_MAX) ? PW_ERANGE : PW_OK;
}

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

/* mkdir that accepts an existing directory. */
static int mkdir_ok(const char *path)
{
    return (mkdir(path, 0700) == 0 || errno == EEXIST) ? 0 : -1;
}

/* Open data/<host>/<store>/<user>.dat~ for writing; *final receives the file's real path. */
static FILE *open_store(const pwt_prosody_t *s, const char *store, const char *user,
                        char *final, char *scratch)
{
    char host_enc[FIELD_MAX * 3 + 1];
    char user_enc[FIELD_MAX * 3 + 1];
    char dir[PWT_PATH_MAX];
    int n;

    if (dm_encode(host_enc, sizeof host_enc, s->domain) != PW_OK ||
        dm_encode(user_enc, sizeof user_enc, user) != PW_OK)
        return NULL;
    n = snprintf(dir, sizeof dir, "%s/%s", s->data_dir, host_enc);
    if (n < 0 || n >= (int)sizeof dir || mkdir_ok(dir) != 0)
        return NULL;
    n = snprintf(dir, sizeof dir, "%s/%s/%s", s->data_dir, host_enc, store);
    if (n < 0 || n >= (int)sizeof dir || mkdir_ok(dir) != 0)
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
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(scratch, final) != 0) {
        pw_error(NULL, "pwt: cannot write %s: %s", final, strerror(errno));
        unlink(scratch);
        return PW_EIO;
    }
    return PW_OK;
}

pw_status_t pwt_prosody_add_user(pwt_prosody_t *s, const char *user, const char *password)
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
    char final[PWT_PATH_MAX];
    char scratch[PWT_PATH_MAX];
    FILE *f = open_store(s, "roster", user, final, scratch);

    if (!f) {
        pw_error(NULL, "pwt: cannot create the roster file of %s", user);
        return PW_EIO;
    }
    fputs("return {\n\t[false] = {\n\t\t[\"version\"] = 1;\n\t\t[\"pending\"] = {};\n\t};\n", f);
    for (size_t i = 0; i < s->n_items; i++) {
        if (strcmp(s->items[i].user, user) != 0)
            continue;
        fputs("\t[", f);
        lua_quote(f, s->items[i].jid);
        fputs("] = {\n\t\t[\"subscription\"] = ", f);
        lua_quote(f, s->items[i].subscription);
        fputs(";\n\t\t[\"groups\"] = {};\n\t};\n", f);
    }
    fputs("};\n", f);
    return commit_store(f, final, scratch);
}

pw_status_t pwt_prosody_set_roster(pwt_prosody_t *s, const char *user, const char *contact_jid,
                                   const char *subscription)
{
    static const char *const valid[] = { "none", "to", "from", "both", "remove" };
    int remove = 0;
    int known = 0;
    size_t i;

    if (!s || !user || !contact_jid || !subscription || !*user || strlen(user) > FIELD_MAX ||
        !*contact_jid || strlen(contact_jid) > JID_MAX)
        return PW_EINVAL;
    for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
        known |= strcmp(subscription, valid[i]) == 0;
    if (!known)
        return PW_EINVAL;
    remove = strcmp(subscription, "remove") == 0;
    for (i = 0; i < s->n_items; i++) {
        if (strcmp(s->items[i].user, user) == 0 && strcmp(s->items[i].jid, contact_jid) == 0)
            break;
    }
    if (i < s->n_items) {
        if (remove) {
            free(s->items[i].user);
            free(s->items[i].jid);
            s->items[i] = s->items[--s->n_items];
        } else {
            snprintf(s->items[i].subscription, sizeof s->items[i].subscription, "%s",
                     subscription);
        }
    } else if (!remove) {
        roster_item_t *grown;
        roster_item_t item = { 0 };
        if (s->n_items >= ROSTER_MAX)
            return PW_EFULL;
        grown = realloc(s->items, (s->n_items + 1) * sizeof *grown);
        if (!grown)
            return PW_ENOMEM;
        s->items = grown;
        item.user = strdup(user);
        item.jid = strdup(contact_jid);
        if (!item.user || !item.jid) {
            free(item.user);
            free(item.jid);
            return PW_ENOMEM;
        }
        snprintf(item.subscription, sizeof item.subscription, "%s", subscription);
        s->items[s->n_items++] = item;
    }
    return write_roster(s, user);
}

/* Pick three distinct free ports on the instance's address. */
static pw_status_t pick_ports(pwt_prosody_t *s)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        s->c2s_port = pwt_port_pick(s->ip);
        s->s2s_port = pwt_port_pick(s->ip);
        s->component_port = pwt_port_pick(s->ip);
        if (s->c2s_port < 0 || s->s2s_port < 0 || s->component_port < 0)
            return PW_EIO;
        if (s->c2s_port != s->s2s_port && s->c2s_port != s->component_port &&
            s->s2s_port != s->component_port)
            return PW_OK;
    }
    return PW_EIO;
}

/* Render the config template with the instance's values. */
static pw_status_t render_config(pwt_prosody_t *s)
{
    char template_path[PWT_PATH_MAX];
    char c2s[16], s2s[16], comp[16];
    const char *level = getenv("PWT_PROSODY_DEBUG") ? "debug" : "info";
    pw_status_t st = pwt_srcpath(template_path, sizeof template_path, TEMPLATE);

    if (st != PW_OK)
        return st;
    snprintf(c2s, sizeof c2s, "%d", s->c2s_port);
    snprintf(s2s, sizeof s2s, "%d", s->s2s_port);
    snprintf(comp, sizeof comp, "%d", s->component_port);
    {
        const char *const vars[] = {
            "DOMAIN", s->domain,       "IP", s->ip,
            "C2S_PORT", c2s,           "S2S_PORT", s2s,
            "COMPONENT_PORT", comp,    "DATA_DIR", s->data_dir,
            "PID_FILE", s->pid_path,   "LOG_FILE", s->log_path,
            "LOG_LEVEL", level,        "DNS_SERVER", s->dns_server,
            "SECRET", s->secret,       NULL,
        };
        return pwt_render(template_path, s->config_path, vars);
    }
}

pw_status_t pwt_prosody_create(pwt_prosody_t **out, const pwt_prosody_opts_t *o)
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
    s->last_pid = -1;
    s->domain = dup_bounded(o->domain, FIELD_MAX);
    s->ip = dup_bounded(o->ip, 64);
    s->secret = dup_bounded(o->secret ? o->secret : "pwt-secret", FIELD_MAX);
    s->dns_server = dup_bounded(o->dns_server ? o->dns_server : NO_DNS, FIELD_MAX);
    if (!s->domain || !s->ip || !s->secret || !s->dns_server) {
        st = PW_EINVAL;
        goto done;
    }
    st = PW_EIO;
    s->dir = pwt_tmpdir("prosody");
    if (!s->dir)
        goto done;
    st = path_fmt(s->data_dir, s->dir, "data");
    if (st == PW_OK)
        st = path_fmt(s->config_path, s->dir, "prosody.cfg.lua");
    if (st == PW_OK)
        st = path_fmt(s->log_path, s->dir, "prosody.log");
    if (st == PW_OK)
        st = path_fmt(s->output_path, s->dir, "prosody.out");
    if (st == PW_OK)
        st = path_fmt(s->pid_path, s->dir, "prosody.pid");
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    if (mkdir_ok(s->data_dir) != 0) {
        pw_error(NULL, "pwt: mkdir %s: %s", s->data_dir, strerror(errno));
        goto done;
    }
    st = pick_ports(s);
    if (st != PW_OK)
        goto done;
    st = render_config(s);
    if (st != PW_OK)
        goto done;
    *out = s;
    s = NULL;
done:
    pwt_prosody_destroy(s);
    return st;
}

pw_status_t pwt_prosody_set_dns_server(pwt_prosody_t *s, const char *dns_server)
{
    char *copy;
    if (!s)
        return PW_EINVAL;
    copy = dup_bounded(dns_server ? dns_server : NO_DNS, FIELD_MAX);
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

pw_status_t pwt_prosody_start_again(pwt_prosody_t *s)
{
    pw_status_t st = PW_EINVAL;
    char *argv[] = { PWT_PROSODY, "-F", "--config", NULL, NULL };
    uint64_t deadline;
    long log_offset;

    if (!s)
        goto done;
    st = PW_EEXIST;
    if (s->proc && pwt_proc_alive(s->proc))
        goto done;
    pwt_proc_destroy(s->proc);
    s->proc = NULL;
    argv[3] = s->config_path;
    log_offset = file_size(s->log_path);
    st = pwt_proc_start(&s->proc, "prosody", argv, NULL, s->output_path);
    if (st != PW_OK)
        goto done;
    s->last_pid = pwt_proc_pid(s->proc);
    deadline = pwt_now_ms() + START_TIMEOUT_MS;
    st = PW_ETIMEOUT;
    for (;;) {
        if (!pwt_proc_alive(s->proc)) {
            pw_error(NULL, "pwt: prosody for %s exited during start-up", s->domain);
            st = PW_EIO;
            break;
        }
        if (pwt_port_wait(s->ip, s->c2s_port, 0) == 0 &&
            pwt_port_wait(s->ip, s->s2s_port, 0) == 0 &&
            pwt_port_wait(s->ip, s->component_port, 0) == 0) {
            st = PW_OK;
            break;
        }
        if (pwt_now_ms() >= deadline) {
            pw_error(NULL, "pwt: prosody for %s did not open its ports in %u ms", s->domain,
                     START_TIMEOUT_MS);
            break;
        }
        pwt_sleep_ms(20);
    }
    if (st == PW_OK && log_has_port_failure(s->log_path, log_offset)) {
        pw_error(NULL, "pwt: prosody for %s could not open one of its ports (taken?)",
                 s->domain);
        st = PW_EIO;
    }
    if (st != PW_OK) {
        pwt_prosody_print_log(s, 30);
        pwt_proc_destroy(s->proc);
        s->proc = NULL;
    }
done:
    return st;
}

pw_status_t pwt_prosody_start(pwt_prosody_t **out, const pwt_prosody_opts_t *o)
{
    pwt_prosody_t *s = NULL;
    pw_status_t st = pwt_prosody_create(&s, o);
    if (st == PW_OK)
        st = pwt_prosody_start_again(s);
    if (st != PW_OK) {
        pwt_prosody_destroy(s);
        s = NULL;
    }
    if (out)
        *out = s;
    return st;
}

pw_status_t pwt_prosody_stop(pwt_prosody_t *s)
{
    int status;
    pw_status_t st = PW_OK;

    if (!s || !s->proc)
        return PW_OK;
    status = pwt_proc_stop(s->proc, STOP_TIMEOUT_MS);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
        pw_warn(NULL, "pwt: prosody for %s died of signal %d", s->domain, WTERMSIG(status));
        st = PW_EIO;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        /* Not an error: under `valgrind --trace-children=yes` the exit code is valgrind's
         * verdict on the Lua interpreter, not Prosody's. */
        pw_warn(NULL, "pwt: prosody for %s exited with status %d", s->domain,
                WEXITSTATUS(status));
    }
    pwt_proc_destroy(s->proc);
    s->proc = NULL;
    return st;
}

const char *pwt_prosody_domain(const pwt_prosody_t *s) { return s ? s->domain : ""; }
const char *pwt_prosody_ip(const pwt_prosody_t *s) { return s ? s->ip : ""; }
const char *pwt_prosody_secret(const pwt_prosody_t *s) { return s ? s->secret : ""; }
int pwt_prosody_c2s_port(const pwt_prosody_t *s) { return s ? s->c2s_port : -1; }
int pwt_prosody_s2s_port(const pwt_prosody_t *s) { return s ? s->s2s_port : -1; }
int pwt_prosody_component_port(const pwt_prosody_t *s) { return s ? s->component_port : -1; }
const char *pwt_prosody_dir(const pwt_prosody_t *s) { return s ? s->dir : ""; }
const char *pwt_prosody_data_dir(const pwt_prosody_t *s) { return s ? s->data_dir : ""; }
const char *pwt_prosody_log_path(const pwt_prosody_t *s) { return s ? s->log_path : ""; }
const char *pwt_prosody_config_path(const pwt_prosody_t *s) { return s ? s->config_path : ""; }
int pwt_prosody_pid(const pwt_prosody_t *s) { return s ? s->last_pid : -1; }

int pwt_prosody_running(pwt_prosody_t *s)
{
    return s && s->proc && pwt_proc_alive(s->proc);
}

void pwt_prosody_print_log(const pwt_prosody_t *s, unsigned lines)
{
    if (!s)
        return;
    pwt_print_tail(s->log_path, lines);
    pwt_print_tail(s->output_path, lines);
}

void pwt_prosody_destroy(pwt_prosody_t *s)
{
    if (!s)
        return;
    pwt_prosody_stop(s);
    if (s->dir && !getenv("PWT_KEEP"))
        pwt_rmtree(s->dir);
    for (size_t i = 0; i < s->n_items; i++) {
        free(s->items[i].user);
        free(s->items[i].jid);
    }
    free(s->items);
    free(s->dir);
    free(s->domain);
    free(s->ip);
    free(s->secret);
    free(s->dns_server);
    free(s);
}
