/* test_cdr_util.h: helpers shared by the charging unit tests (temporary dirs, records, files as lines). */
#ifndef TEST_CDR_UTIL_H
#define TEST_CDR_UTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "charging/pw_cdr.h"

typedef struct {
    uint64_t now;
} tc_clock_t;

static inline uint64_t tc_clock(void *arg)
{
    return ((tc_clock_t *)arg)->now;
}

static inline char *tc_tmpdir(void)
{
    char t[] = "/tmp/pw-cdr-test-XXXXXX";
    cr_assert_not_null(mkdtemp(t));
    char *d = strdup(t);
    cr_assert_not_null(d);
    return d;
}

static inline int tc_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void tc_rm_rf(char *dir)
{
    if (!dir)
        return;
    nftw(dir, tc_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* A complete enquiry record with reference ref. Free with free(). */
static inline pw_cdr_record_t *tc_record(const char *ref)
{
    pw_cdr_record_t *r = calloc(1, sizeof *r);
    cr_assert_not_null(r);
    r->kind = PW_CDR_KIND_CURRENT;
    strcpy(r->outcome, "ok");
    snprintf(r->enquiry_ref, sizeof r->enquiry_ref, "%s", ref);
    strcpy(r->peer, "gateway.opa.example");
    strcpy(r->charged_network, "opa.example");
    strcpy(r->serving_network, "opb.example");
    strcpy(r->watcher_msisdn, "+447700900001");
    strcpy(r->watcher_jid, "alice@opa.example");
    strcpy(r->presentity_msisdn, "+12025550123");
    return r;
}

static inline pw_cdr_writer_t *tc_writer(const char *dir, tc_clock_t *clk, uint64_t max_bytes, int sync_each)
{
    pw_cdr_writer_config_t cfg;
    pw_cdr_writer_t *w = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = "ps1.opb.example";
    cfg.max_file_bytes = max_bytes;
    cfg.sync_each = sync_each;
    if (clk) {
        cfg.clock = tc_clock;
        cfg.clock_arg = clk;
    }
    pw_status_t st = pw_cdr_writer_create(&w, &cfg);
    cr_assert_eq(st, PW_OK, "writer create: %s", pw_strerror(st));
    return w;
}

/* Append one record with reference ref and commit it; returns its seq. */
static inline uint64_t tc_put(pw_cdr_writer_t *w, const char *ref)
{
    pw_cdr_record_t *r = tc_record(ref);
    uint64_t seq = 0;
    cr_assert_eq(pw_cdr_writer_append(w, r, &seq), PW_OK, "append %s", ref);
    cr_assert_eq(pw_cdr_writer_commit(w), PW_OK);
    free(r);
    return seq;
}

/* Names in dir (sorted) that end with suffix; returns the count. Free each and the array. */
static inline size_t tc_list(const char *dir, const char *suffix, char ***out)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    size_t k = 0;
    char **names = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
    cr_assert_not_null(names);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(ents[i]->d_name), sl = strlen(suffix);
        if (l >= sl && strcmp(ents[i]->d_name + l - sl, suffix) == 0 && ents[i]->d_name[0] != '.')
            names[k++] = strdup(ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    *out = names;
    return k;
}

static inline void tc_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Path of the single open file of dir (malloc'ed). */
static inline char *tc_open_path(const char *dir)
{
    char **names;
    size_t n = tc_list(dir, ".jsonl.open", &names);
    cr_assert_eq(n, 1, "exactly one open file in %s", dir);
    char *p = malloc(strlen(dir) + strlen(names[0]) + 2);
    sprintf(p, "%s/%s", dir, names[0]);
    tc_free_list(names, n);
    return p;
}

/* The whole file as a NUL-terminated string (malloc'ed); *len receives its length. */
static inline char *tc_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static inline void tc_spit(const char *path, const char *data, size_t len)
{
    chmod(path, 0640);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Split a file into lines (with their '\n'); returns the count. */
static inline size_t tc_lines(const char *path, char ***out)
{
    size_t len, n = 0;
    char *b = tc_slurp(path, &len);
    char **lines = calloc(len + 1, sizeof *lines);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (b[i] == '\n' || i + 1 == len) {
            lines[n] = strndup(b + start, i + 1 - start);
            n++;
            start = i + 1;
        }
    }
    free(b);
    *out = lines;
    return n;
}

static inline void tc_write_lines(const char *path, char **lines, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]);
    char *b = malloc(total + 1), *p = b;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(lines[i]);
        memcpy(p, lines[i], l);
        p += l;
    }
    tc_spit(path, b, total);
    free(b);
}

#endif /* TEST_CDR_UTIL_H */
