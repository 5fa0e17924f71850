/* bench_hss.c: HSS benchmark: subscriber-file load rate and lookup rates at 1M/10M subscribers, against baselines. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "subscriber_db.h"
#include "dns/pw_srv.h" /* pw_srv_xorshift: the runtime's seedable generator */

/*
 * Usage: bench_hss [N...]   (default: 1000000 10000000)
 * For each N: writes a synthetic subscriber file of N records in a temp dir ($TMPDIR or /tmp),
 * then measures, in the same run,
 *   - hss_db_load() (subscribers/s) against the baseline of read()ing the same file's bytes
 *     with no parsing (load time / raw read time);
 *   - hss_db_find_msisdn()/hss_db_find_jid() per second for random existing and missing keys,
 *     against a bsearch() over sorted arrays of the same key strings (hash rate / bsearch rate);
 *   - the database's memory per subscriber.
 * Exit status 0 on success, 1 on any failure (including a wrong lookup answer).
 */

#define QUERIES 1000000u
#define CHUNK (4u * 1024u * 1024u)
#define KEY_MAX 48

/*
 * Subscriber i (i < N) gets a unique 9-digit number from a bijection of i over [0, 1e9), so keys
 * are scattered; numbers of i >= N are not allocated and make realistic misses (they sort
 * between the existing keys, so bsearch() gets no shortcut).
 */
static uint64_t num_of(size_t i)
{
    return ((uint64_t)i * 2654435761u) % 1000000000u;
}

static void msisdn_of(size_t i, char *buf, size_t cap)
{
    snprintf(buf, cap, "+447%09llu", (unsigned long long)num_of(i));
}

static void jid_of(size_t i, char *buf, size_t cap)
{
    snprintf(buf, cap, "user%09llu@opa.example", (unsigned long long)num_of(i));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of this process: steadier than wall time on a shared machine. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int write_file(const char *path, size_t n, size_t *bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static const char *const ps[] = {"ps1.opa.example", "ps2.opa.example", "ps3.opa.example", "ps4.opa.example"};
    fprintf(f, "# synthetic subscribers for bench_hss\n");
    for (size_t i = 0; i < n; i++) {
        char m[KEY_MAX], j[KEY_MAX];
        msisdn_of(i, m, sizeof m);
        jid_of(i, j, sizeof j);
        if (i % 3)
            fprintf(f, "%s %s %s %s prepaid %zu\n", m, j, ps[i % 4], (i % 97) ? "active" : "barred", i % 1000);
        else
            fprintf(f, "%s %s %s active postpaid -\n", m, j, ps[i % 4]);
    }
    long pos = ftell(f);
    if (fclose(f) != 0 || pos < 0)
        return -1;
    *bytes = (size_t)pos;
    return 0;
}

/* Baseline: read the file's bytes, no parsing (a byte sum keeps the work from being dropped). */
static int raw_read(const char *path, uint64_t *sum)
{
    int fd = open(path, O_RDONLY);
    char *buf = malloc(CHUNK);
    int rc = -1;
    if (fd < 0 || !buf)
        goto done;
    for (;;) {
        ssize_t k = read(fd, buf, CHUNK);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            goto done;
        if (k == 0)
            break;
        for (ssize_t i = 0; i < k; i += 64)
            *sum += (unsigned char)buf[i];
    }
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

/* Query keys: QUERIES strings in one block. */
typedef struct keys {
    char (*k)[KEY_MAX];
    size_t n;
} keys_t;

/* QUERIES random keys of subscribers base + [0, n). */
static int keys_make(keys_t *ks, size_t base, size_t n, uint64_t seed, void (*fn)(size_t, char *, size_t))
{
    ks->n = QUERIES;
    ks->k = malloc(QUERIES * sizeof *ks->k);
    if (!ks->k)
        return -1;
    for (size_t q = 0; q < QUERIES; q++)
        fn(base + (size_t)(pw_srv_xorshift(&seed) % n), ks->k[q], KEY_MAX);
    return 0;
}

/* The bsearch baseline: a sorted array of pointers to the key strings. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct sorted {
    char (*store)[KEY_MAX - 16];
    const char **ptr;
    size_t n;
} sorted_t;

static int sorted_make(sorted_t *s, size_t n, void (*fn)(size_t, char *, size_t))
{
    s->n = n;
    s->store = malloc(n * sizeof *s->store);
    s->ptr = malloc(n * sizeof *s->ptr);
    if (!s->store || !s->ptr)
        return -1;
    for (size_t i = 0; i < n; i++) {
        fn(i, s->store[i], sizeof s->store[i]);
        s->ptr[i] = s->store[i];
    }
    qsort(s->ptr, n, sizeof *s->ptr, cmp_str);
    return 0;
}

static void sorted_free(sorted_t *s)
{
    free(s->store);
    free(s->ptr);
}

typedef pw_status_t (*find_fn)(const hss_db_t *, const char *, hss_subscriber_t *);

/* @return lookups per second, or -1 if an answer was wrong */
static double rate_db(const hss_db_t *db, find_fn fn, const keys_t *ks, pw_status_t want, uint64_t *sink)
{
    double t0 = now_s();
    for (size_t q = 0; q < ks->n; q++) {
        hss_subscriber_t s;
        pw_status_t st = fn(db, ks->k[q], &s);
        if (st != want)
            return -1;
        if (st == PW_OK)
            *sink += (uint64_t)s.balance + (uint64_t)(unsigned char)s.jid[0];
    }
    return (double)ks->n / (now_s() - t0);
}

static double rate_bsearch(const sorted_t *s, const keys_t *ks, int want_hit, uint64_t *sink)
{
    double t0 = now_s();
    for (size_t q = 0; q < ks->n; q++) {
        const char *key = ks->k[q];
        const char **hit = bsearch(&key, s->ptr, s->n, sizeof *s->ptr, cmp_str);
        if ((hit != NULL) != want_hit)
            return -1;
        if (hit)
            *sink += (unsigned char)(*hit)[1];
    }
    return (double)ks->n / (now_s() - t0);
}

static int run(size_t n)
{
    int rc = 1;
    char dir[256], path[300];
    const char *tmp = getenv("TMPDIR");
    hss_db_t *db = NULL;
    keys_t mh = {0}, mm = {0}, jh = {0}, jm = {0};
    sorted_t sm = {0}, sj = {0};
    uint64_t sink = 0;
    size_t bytes = 0;
    char err[512];

    snprintf(dir, sizeof dir, "%s/bench_hss.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/bench.subscribers", dir);
    double t0 = now_s();
    if (write_file(path, n, &bytes) != 0) {
        perror(path);
        goto done;
    }
    double t_gen = now_s() - t0;

    /* Warm the page cache, then baseline and load (best of 2 reads, 1 load, to keep 10M quick). */
    double t_read = 1e9;
    for (int k = 0; k < 3; k++) {
        t0 = now_s();
        if (raw_read(path, &sink) != 0) {
            perror(path);
            goto done;
        }
        double t = now_s() - t0;
        if (k > 0 && t < t_read)
            t_read = t;
    }
    t0 = now_s();
    double c0 = cpu_s();
    pw_status_t st = hss_db_load(path, &db, err, sizeof err);
    double c_load = cpu_s() - c0;
    double t_load = now_s() - t0;
    if (st != PW_OK) {
        fprintf(stderr, "load failed: %s\n", err);
        goto done;
    }
    if (hss_db_count(db) != n) {
        fprintf(stderr, "loaded %zu subscribers, expected %zu\n", hss_db_count(db), n);
        goto done;
    }
    unlink(path);

    size_t nmiss = n < 1000000000u - n ? n : 1000000000u - n;
    if (keys_make(&mh, 0, n, 1, msisdn_of) || keys_make(&mm, n, nmiss, 2, msisdn_of) ||
        keys_make(&jh, 0, n, 3, jid_of) || keys_make(&jm, n, nmiss, 4, jid_of) ||
        sorted_make(&sm, n, msisdn_of) || sorted_make(&sj, n, jid_of)) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    double r[4], b[4];
    r[0] = rate_db(db, hss_db_find_msisdn, &mh, PW_OK, &sink);
    r[1] = rate_db(db, hss_db_find_msisdn, &mm, PW_ENOTFOUND, &sink);
    r[2] = rate_db(db, hss_db_find_jid, &jh, PW_OK, &sink);
    r[3] = rate_db(db, hss_db_find_jid, &jm, PW_ENOTFOUND, &sink);
    b[0] = rate_bsearch(&sm, &mh, 1, &sink);
    b[1] = rate_bsearch(&sm, &mm, 0, &sink);
    b[2] = rate_bsearch(&sj, &jh, 1, &sink);
    b[3] = rate_bsearch(&sj, &jm, 0, &sink);
    for (int i = 0; i < 4; i++) {
        if (r[i] < 0 || b[i] < 0) {
            fprintf(stderr, "wrong lookup answer (case %d)\n", i);
            goto done;
        }
    }

    size_t mem = hss_db_memory(db);
    double mb = (double)bytes / 1e6;
    static const char *const what[4] = {"MSISDN, existing", "MSISDN, missing ", "JID, existing   ",
                                        "JID, missing    "};
    printf("== HSS subscriber database, N = %zu subscribers ==\n", n);
    printf("file             %.1f MB (%.1f bytes/line), generated in %.2f s\n", mb, (double)bytes / (double)n, t_gen);
    printf("load             %.3f s  = %.2f M subscribers/s  (%.0f MB/s); CPU %.3f s = %.2f M subscribers/CPU-s\n",
           t_load, (double)n / t_load / 1e6, mb / t_load, c_load, (double)n / c_load / 1e6);
    printf("  baseline       raw read() of the same file, no parsing: %.3f s (%.0f MB/s)\n", t_read, mb / t_read);
    printf("  ratio          load time / raw read time = %.1f\n", t_load / t_read);
    printf("memory           %.1f MB = %.1f bytes/subscriber\n", (double)mem / 1e6, (double)mem / (double)n);
    printf("lookups          %u random keys each; baseline bsearch() over a sorted array of the same key strings\n",
           QUERIES);
    for (int i = 0; i < 4; i++)
        printf("  %s  %6.2f M/s   bsearch %6.2f M/s   ratio %.1fx\n", what[i], r[i] / 1e6, b[i] / 1e6, r[i] / b[i]);
    printf("(checksum %llu)\n\n", (unsigned long long)(sink & 0xff));
    fflush(stdout);
    rc = 0;
done:
    unlink(path);
    rmdir(dir);
    hss_db_destroy(db);
    free(mh.k);
    free(mm.k);
    free(jh.k);
    free(jm.k);
    sorted_free(&sm);
    sorted_free(&sj);
    return rc;
}

int main(int argc, char **argv)
{
    static const size_t defaults[] = {1000000, 10000000};
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(argv[i], &end, 10);
            if (errno || *end || v == 0 || v > HSS_DB_MAX_SUBSCRIBERS) {
                fprintf(stderr, "usage: %s [N...]  (1 <= N <= %u)\n", argv[0], HSS_DB_MAX_SUBSCRIBERS);
                return 2;
            }
            if (run((size_t)v) != 0)
                return 1;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if (run(defaults[i]) != 0)
            return 1;
    }
    return 0;
}
