/* test_peer_util.h: helpers shared by the peerwatch-peer unit tests: a temporary directory with one configuration directory per operator, files, cards, and the commands' output captured. */
#ifndef TEST_PEER_UTIL_H
#define TEST_PEER_UTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pw_log.h"
#include "peer.h"

/* The temporary directory of one test: ROOT/opa.example/, ROOT/opb.example/, ... */
typedef struct tp_root {
    char path[64];
} tp_root_t;

/* What a command printed. */
typedef struct tp_io {
    FILE *out, *err;
    char *out_text, *err_text;
    size_t out_len, err_len;
} tp_io_t;

/* The gateway's file of a test operator: comments everywhere, an empty [peers]. */
#define TP_GATEWAY_CONF                                                                            \
    "# gateway.conf: the test operator's Gateway Presence Server\n"                                \
    "include = operator.conf\n"                                                                    \
    "\n"                                                                                           \
    "[gateway]\n"                                                                                  \
    "# enquiries per second per peer\n"                                                            \
    "rate_per_peer = 100   ; an inline comment\n"                                                  \
    "\n"                                                                                           \
    "[peers]\n"                                                                                    \
    "# one line per peering agreement: network = public key file\n"

/* The proxy's file of a test operator, with the prefixes given (lines "P = DOMAIN"). */
#define TP_PROXY_CONF_HEAD                                                                         \
    "# proxy.conf: the test operator's Watcher Presence Proxy\n"                                   \
    "include = operator.conf\n"                                                                    \
    "\n"                                                                                           \
    "[proxy]\n"                                                                                    \
    "# who may deliver notifications\n"                                                            \
    "notify_from = %s   ; this operator\n"                                                         \
    "gateway_timeout = 12s\n"                                                                      \
    "\n"                                                                                           \
    "[prefixes]\n"                                                                                 \
    "# this operator's own prefixes first\n"

static inline void tp_root_make(tp_root_t *r)
{
    snprintf(r->path, sizeof r->path, "/tmp/pw-peer-XXXXXX");
    cr_assert_not_null(mkdtemp(r->path));
}

static inline void tp_root_remove(tp_root_t *r)
{
    char cmd[96];
    if (!r->path[0] || strncmp(r->path, "/tmp/pw-peer-", 13) != 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->path);
    cr_assert_eq(system(cmd), 0);
    r->path[0] = '\0';
}

/* ROOT/NAME in out (a static buffer per slot: 4 slots). */
static inline const char *tp_path(const tp_root_t *r, const char *name)
{
    static char slots[4][256];
    static int next;
    char *p = slots[next++ % 4];
    snprintf(p, sizeof slots[0], "%s/%s", r->path, name);
    return p;
}

static inline void tp_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* A file's content (malloc'd; the caller frees it), NULL when it does not exist. */
static inline char *tp_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    FILE *m;
    int c;
    if (!f)
        return NULL;
    m = open_memstream(&text, &len);
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return text;
}

static inline unsigned tp_mode(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s exists", path);
    return (unsigned)(st.st_mode & 07777);
}

/* The configuration directory of one operator: ROOT/DOMAIN with operator.conf, gateway.conf
 * and proxy.conf (prefixes: a comma-separated list routed to DOMAIN). @return its path */
static inline const char *tp_operator(const tp_root_t *r, const char *domain, const char *prefixes)
{
    static char dir[4][256];
    static int next;
    char *d = dir[next++ % 4], path[320], *text = NULL, list[128];
    size_t len = 0;
    FILE *m;

    snprintf(d, sizeof dir[0], "%s/%s", r->path, domain);
    cr_assert_eq(mkdir(d, 0755), 0, "%s", d);
    snprintf(path, sizeof path, "%s/operator.conf", d);
    m = open_memstream(&text, &len);
    fprintf(m, "# operator.conf of %s\n[operator]\ndomain = %s\nsecret = s3cret\n", domain, domain);
    fclose(m);
    tp_write(path, text);
    cr_assert_eq(chmod(path, 0640), 0, "it holds the secret: the loader refuses it readable by others");
    free(text);
    snprintf(path, sizeof path, "%s/gateway.conf", d);
    tp_write(path, TP_GATEWAY_CONF);
    m = open_memstream(&text, &len);
    fprintf(m, TP_PROXY_CONF_HEAD, domain);
    snprintf(list, sizeof list, "%s", prefixes);
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
        fprintf(m, "%s = %s\n", p, domain);
    fclose(m);
    snprintf(path, sizeof path, "%s/proxy.conf", d);
    tp_write(path, text);
    free(text);
    return d;
}

/* Options for a configuration directory, everything else at its default. */
static inline pw_peer_opts_t tp_opts(const char *config_dir)
{
    pw_peer_opts_t o;
    memset(&o, 0, sizeof o);
    o.config_dir = config_dir;
    return o;
}

static inline void tp_io_open(tp_io_t *io)
{
    memset(io, 0, sizeof *io);
    io->out = open_memstream(&io->out_text, &io->out_len);
    io->err = open_memstream(&io->err_text, &io->err_len);
    cr_assert(io->out && io->err);
}

/* Stop capturing: out_text and err_text hold what was printed. */
static inline void tp_io_close(tp_io_t *io)
{
    fclose(io->out);
    fclose(io->err);
    io->out = io->err = NULL;
}

static inline void tp_io_free(tp_io_t *io)
{
    free(io->out_text);
    free(io->err_text);
    memset(io, 0, sizeof *io);
}

/* The commands tp_run() runs. */
typedef enum { TP_KEYGEN, TP_CARD, TP_IMPORT, TP_DNS } tp_cmd_t;

/* Run a command with options o (card: import's CARD), capturing what it prints in io (what io
 * held before is freed). @return the command's exit status */
static inline int tp_run(tp_io_t *io, const pw_peer_opts_t *o, tp_cmd_t cmd, const char *card)
{
    int rc = -1;
    tp_io_free(io);
    tp_io_open(io);
    switch (cmd) {
    case TP_KEYGEN: rc = pw_peer_keygen(o, io->out, io->err); break;
    case TP_CARD: rc = pw_peer_card(o, io->out, io->err); break;
    case TP_IMPORT: rc = pw_peer_import(o, card, io->out, io->err); break;
    case TP_DNS: rc = pw_peer_dns(o, io->out, io->err); break;
    }
    tp_io_close(io);
    return rc;
}

/* An operator with its key pair (keygen must succeed). */
static inline const char *tp_operator_with_keys(const tp_root_t *r, const char *domain,
                                                const char *prefixes)
{
    const char *d = tp_operator(r, domain, prefixes);
    pw_peer_opts_t o = tp_opts(d);
    tp_io_t io;
    memset(&io, 0, sizeof io);
    cr_assert_eq(tp_run(&io, &o, TP_KEYGEN, NULL), PW_PEER_EXIT_OK, "keygen of %s: %s", domain, io.err_text);
    tp_io_free(&io);
    return d;
}

/* The card of an operator written to ROOT/NAME. @return its path */
static inline const char *tp_card(const tp_root_t *r, const char *config_dir, const char *name)
{
    pw_peer_opts_t o = tp_opts(config_dir);
    const char *path = tp_path(r, name);
    tp_io_t io;
    memset(&io, 0, sizeof io);
    cr_assert_eq(tp_run(&io, &o, TP_CARD, NULL), PW_PEER_EXIT_OK, "card: %s", io.err_text);
    tp_write(path, io.out_text);
    tp_io_free(&io);
    return path;
}

static inline void tp_nothing(void)
{
}

/*
 * The suite of a peer test file: a fresh root and io for each test, removed after it; more_init
 * runs once they are made and more_fini before they go (tp_nothing when there is nothing more;
 * both may be defined after this line). The loaders' warnings (a gateway without peers) are the
 * daemons' business: not shown.
 */
#define TP_SUITE(suite, more_init, more_fini)                                                      \
    static tp_root_t root;                                                                         \
    static tp_io_t io;                                                                             \
    static void more_init(void);                                                                   \
    static void more_fini(void);                                                                   \
    static void tp_setup(void)                                                                     \
    {                                                                                              \
        pw_log_setup(NULL, PW_LOG_ERROR);                                                          \
        tp_root_make(&root);                                                                       \
        memset(&io, 0, sizeof io);                                                                 \
        more_init();                                                                               \
    }                                                                                              \
    static void tp_teardown(void)                                                                  \
    {                                                                                              \
        more_fini();                                                                               \
        tp_io_free(&io);                                                                           \
        tp_root_remove(&root);                                                                     \
    }                                                                                              \
    TestSuite(suite, .init = tp_setup, .fini = tp_teardown)

/* Every file under dir and its subdirectories, names, modes and contents, as one text to
 * compare before and after (malloc'd). */
static inline char *tp_snapshot(const char *dir)
{
    struct dirent **names = NULL;
    char *text = NULL, path[512];
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    int n = scandir(dir, &names, NULL, alphasort);

    cr_assert_geq(n, 0, "%s", dir);
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0 &&
            stat(path, &st) == 0) { /* temporary files left behind count too */
            char *content = S_ISDIR(st.st_mode) ? tp_snapshot(path) : tp_read(path);
            fprintf(m, "== %s %o\n%s", names[i]->d_name, (unsigned)(st.st_mode & 07777),
                    content ? content : "");
            free(content);
        }
        free(names[i]);
    }
    free(names);
    fclose(m);
    return text;
}

#endif /* TEST_PEER_UTIL_H */
