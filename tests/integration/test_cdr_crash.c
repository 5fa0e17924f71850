/* test_cdr_crash.c: charging under SIGKILL and a full disk: no answered enquiry without exactly one record, the chain intact. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "charging/pw_cdr.h"

#ifndef PW_CDR_DRIVER
#define PW_CDR_DRIVER "tests/support/cdr-driver"
#endif

#define MAX_IDS (1 << 20)
#define ID_PREFIX "opa.example/"

/* ---------------------------------------------------------------- helpers */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A running cdr-driver: its stdin and stdout, and a buffer of output not yet split into lines. */
typedef struct {
    pid_t pid;
    int in;
    int out;
    char buf[1 << 16];
    size_t len;
} driver_t;

static void driver_start(driver_t *d, const char *dir, const char *max_bytes)
{
    int in[2], out[2];
    cr_assert_eq(access(PW_CDR_DRIVER, X_OK), 0, "the driver %s is not built (make check builds it)", PW_CDR_DRIVER);
    cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
    d->pid = fork();
    cr_assert_geq(d->pid, 0);
    if (d->pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        execl(PW_CDR_DRIVER, "cdr-driver", dir, "ps1.opb.example", max_bytes, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    d->in = in[1];
    d->out = out[0];
    d->len = 0;
    fcntl(d->in, F_SETFL, O_NONBLOCK);
}

typedef void (*line_fn)(const char *line, void *arg);

/* Read what is there (waiting up to timeout_ms); call fn per complete line. -1 at EOF. */
static int driver_read(driver_t *d, int timeout_ms, line_fn fn, void *arg)
{
    struct pollfd p = { d->out, POLLIN, 0 };
    if (poll(&p, 1, timeout_ms) <= 0)
        return 0;
    ssize_t n = read(d->out, d->buf + d->len, sizeof d->buf - 1 - d->len);
    if (n <= 0)
        return -1;
    d->len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < d->len; i++) {
        if (d->buf[i] == '\n') {
            d->buf[i] = '\0';
            fn(d->buf + start, arg);
            start = i + 1;
        }
    }
    memmove(d->buf, d->buf + start, d->len - start);
    d->len -= start;
    return 1;
}

static void driver_close(driver_t *d)
{
    if (d->in >= 0)
        close(d->in);
    if (d->out >= 0)
        close(d->out);
    d->in = d->out = -1;
}

static long id_of(const char *ref)
{
    if (strncmp(ref, ID_PREFIX, strlen(ID_PREFIX)) != 0)
        return -1;
    char *end;
    long v = strtol(ref + strlen(ID_PREFIX), &end, 10);
    if (*end != '\0' || v < 0 || v >= MAX_IDS)
        return -1;
    return v;
}

/* Records per id, from a verified directory. */
typedef struct {
    unsigned char *count;
    long stray;
} tally_t;

static void tally_cb(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    tally_t *t = arg;
    long id = id_of(rec->enquiry_ref);
    (void)file;
    (void)line;
    if (id < 0)
        t->stray++;
    else if (t->count[id] < 255)
        t->count[id]++;
}

static void tally_dir(const char *dir, tally_t *t)
{
    pw_cdr_problem_t p;
    pw_cdr_verify_summary_t sum;
    memset(t->count, 0, MAX_IDS);
    t->stray = 0;
    pw_status_t st = pw_cdr_verify_dir(dir, NULL, tally_cb, t, &p, &sum);
    cr_assert_eq(st, PW_OK, "verify failed: %s:%lu: seq %lu: %s: %s", p.file, (unsigned long)p.line,
                 (unsigned long)p.seq, pw_cdr_problem_name(p.kind), p.text);
}

/* ---------------------------------------------------------------- SIGKILL under load */

typedef struct {
    unsigned char *answered; /* ANSWER lines seen per id (capped) */
    long nanswers;
    long again;              /* answered from a record written before a crash */
} crash_state_t;

static void on_answer(const char *line, void *arg)
{
    crash_state_t *s = arg;
    char ref[256];
    unsigned long seq;
    if (sscanf(line, "ANSWER %255s %lu", ref, &seq) == 2) {
        if (strstr(line, " again"))
            s->again++;
        long id = id_of(ref);
        cr_assert_geq(id, 0, "answer for an id never sent: %s", line);
        if (s->answered[id] < 255)
            s->answered[id]++;
        s->nanswers++;
    } else {
        cr_assert_fail("unexpected driver output: %s", line);
    }
}

/* Queue "opa.example/<id>\n" in buf. */
static void queue_id(char *buf, size_t cap, size_t *len, long id)
{
    int n = snprintf(buf + *len, cap - *len, ID_PREFIX "%ld\n", id);
    cr_assert(n > 0 && (size_t)n < cap - *len, "send queue full");
    *len += (size_t)n;
}

Test(cdr_crash, sigkill_under_load_loses_and_duplicates_no_record, .timeout = 180)
{
    char tmpl[] = "/tmp/pw-cdr-crash-XXXXXX";
    char *base = mkdtemp(tmpl);
    cr_assert_not_null(base);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cdr", base);
    crash_state_t st = { calloc(MAX_IDS, 1), 0, 0 };
    tally_t tally = { calloc(MAX_IDS, 1), 0 };
    size_t qcap = 4u << 20;
    char *q = malloc(qcap);
    long next_id = 0;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    driver_t *d = calloc(1, sizeof *d);
    cr_assert(st.answered && tally.count && q && d);
    srand(seed);
    signal(SIGPIPE, SIG_IGN);
    cr_log_info("seed %u, dir %s", seed, dir);

    const int kills = 20;
    for (int round = 0; round <= kills; round++) {
        int last = round == kills;
        size_t qlen = 0, qoff = 0;
        driver_start(d, dir, "65536"); /* small files: kills also land in rotations */
        for (long i = 0; i < next_id; i++) {
            if (!st.answered[i])
                queue_id(q, qcap, &qlen, i); /* retry: the same id */
        }
        uint64_t deadline = mono_ms() + 50 + (uint64_t)(rand() % 450);
        for (;;) {
            long unanswered = next_id - st.nanswers; /* rough: retries are counted once more */
            if (!last && mono_ms() >= deadline)
                break;
            if (!last && qoff == qlen && unanswered < 4096) {
                qlen = qoff = 0;
                for (int k = 0; k < 256 && next_id < MAX_IDS; k++)
                    queue_id(q, qcap, &qlen, next_id++);
            }
            if (qoff < qlen) {
                ssize_t n = write(d->in, q + qoff, qlen - qoff);
                if (n > 0)
                    qoff += (size_t)n;
                else
                    cr_assert(errno == EAGAIN || errno == EPIPE, "write to driver: %s", strerror(errno));
            }
            if (last && qoff == qlen) {
                int all = 1;
                for (long i = 0; i < next_id && all; i++)
                    all = st.answered[i] > 0;
                if (all)
                    break;
            }
            if (driver_read(d, 2, on_answer, &st) < 0) {
                cr_assert(!last, "the driver died in the final round");
                break;
            }
            if (last)
                cr_assert_lt(mono_ms(), deadline + 60000, "final round: not every enquiry was answered");
        }
        if (!last) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
            /* answers written before the kill did reach the client */
            while (driver_read(d, 100, on_answer, &st) >= 0) {
            }
            driver_close(d);
        } else {
            int status;
            close(d->in);
            d->in = -1;
            while (driver_read(d, 1000, on_answer, &st) >= 0) {
            }
            cr_assert_eq(waitpid(d->pid, &status, 0), d->pid);
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "driver exit status %d", status);
            driver_close(d);
        }
    }

    tally_dir(dir, &tally);
    cr_assert_eq(tally.stray, 0, "records for enquiries never sent");
    long records = 0;
    for (long i = 0; i < next_id; i++) {
        cr_assert_geq(st.answered[i], 1, "id %ld was never answered", i);
        cr_assert_eq(tally.count[i], 1, "id %ld answered with %d records", i, tally.count[i]);
        records += tally.count[i];
    }
    for (long i = next_id; i < MAX_IDS; i++)
        cr_assert_eq(tally.count[i], 0);
    int torn = 0;
    DIR *dh = opendir(dir);
    cr_assert_not_null(dh);
    for (struct dirent *de; (de = readdir(dh)) != NULL;)
        torn += strncmp(de->d_name, "torn-", 5) == 0;
    closedir(dh);
    cr_log_info("%d kills, %ld enquiries, %ld records; %ld retries answered from a record written before "
                "a kill; %d torn tails repaired", kills, next_id, records, st.again, torn);
    cr_assert_gt(next_id, 100, "the load was too light to mean anything");

    nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(st.answered);
    free(tally.count);
    free(q);
    free(d);
}

/* ---------------------------------------------------------------- full disk */

static char disk_base[256];
static char disk_mnt[300];

static void disk_fini(void)
{
    if (disk_mnt[0])
        umount2(disk_mnt, MNT_DETACH);
    if (disk_base[0])
        nftw(disk_base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct {
    char want[256];
    char got; /* 'A', 'E' or 0 */
} reply_t;

static void on_reply(const char *line, void *arg)
{
    reply_t *r = arg;
    char ref[256];
    if (sscanf(line, "ANSWER %255s", ref) == 1 && strcmp(ref, r->want) == 0)
        r->got = 'A';
    else if (sscanf(line, "ERROR %255s", ref) == 1 && strcmp(ref, r->want) == 0)
        r->got = 'E';
    else
        cr_assert_fail("unexpected reply: %s", line);
}

/* Send one enquiry and wait for its reply: 'A' (answered) or 'E' (error, wait). */
static char ask(driver_t *d, long id)
{
    reply_t r;
    char line[300];
    snprintf(r.want, sizeof r.want, ID_PREFIX "%ld", id);
    r.got = 0;
    int n = snprintf(line, sizeof line, "%s\n", r.want);
    cr_assert_eq(write(d->in, line, (size_t)n), n);
    uint64_t until = mono_ms() + 10000;
    while (!r.got && mono_ms() < until)
        cr_assert_geq(driver_read(d, 100, on_reply, &r), 0, "driver died");
    cr_assert(r.got, "no reply for %s", r.want);
    return r.got;
}

Test(cdr_crash, full_disk_gives_no_answer_without_a_record, .fini = disk_fini, .timeout = 60)
{
    char tmpl[] = "/tmp/pw-cdr-disk-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    snprintf(disk_base, sizeof disk_base, "%s", tmpl);
    char mnt[300], dir[400], filler[400];
    snprintf(mnt, sizeof mnt, "%s/mnt", disk_base);
    cr_assert_eq(mkdir(mnt, 0700), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k,mode=0700") != 0)
        cr_assert_fail("cannot mount a 256 KiB tmpfs on %s (%s): the full-disk test needs root "
                       "(CAP_SYS_ADMIN); run it as root or in a container that allows mounts",
                       mnt, strerror(errno));
    snprintf(disk_mnt, sizeof disk_mnt, "%s", mnt);
    snprintf(dir, sizeof dir, "%s/cdr", mnt);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    signal(SIGPIPE, SIG_IGN);
    tally_t tally = { calloc(MAX_IDS, 1), 0 };
    char *result = calloc(1000, 1);
    driver_t *d = calloc(1, sizeof *d);
    cr_assert(tally.count && result && d);
    driver_start(d, dir, "0");
    long id = 0;

    /* plenty of space: answered, and on disk by the time the answer is read */
    for (; id < 5; id++) {
        result[id] = ask(d, id);
        cr_assert_eq(result[id], 'A');
        tally_dir(dir, &tally);
        cr_assert_eq(tally.count[id], 1);
    }

    /* fill the disk */
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    while (write(fd, chunk, sizeof chunk) > 0) {
    }
    cr_assert_eq(errno, ENOSPC);
    close(fd);

    /* what still fits in the file's last page is answered; then only errors, never an answer
       without its record */
    long first_error = -1;
    for (; id < 200 && (first_error < 0 || id < first_error + 6); id++) {
        result[id] = ask(d, id);
        tally_dir(dir, &tally);
        if (result[id] == 'A') {
            cr_assert_lt(first_error, 0, "id %ld answered while the writer was in error", id);
            cr_assert_eq(tally.count[id], 1, "id %ld answered without a record", id);
        } else {
            cr_assert_eq(tally.count[id], 0, "id %ld refused but recorded", id);
            if (first_error < 0)
                first_error = id;
        }
    }
    cr_assert_geq(first_error, 0, "the disk never filled up");
    cr_log_info("disk full after %ld records", first_error);

    /* space again: the idle commit notices, and writing resumes */
    cr_assert_eq(unlink(filler), 0);
    usleep(400 * 1000);
    long resumed = id;
    for (; id < resumed + 5; id++) {
        result[id] = ask(d, id);
        cr_assert_eq(result[id], 'A', "id %ld refused after space was freed", id);
    }
    /* the refused enquiries, retried, are answered now, once each */
    for (long i = first_error; i < resumed; i++) {
        cr_assert_eq(ask(d, i), 'A', "retry of %ld", i);
        result[i] = 'A';
    }
    close(d->in);
    d->in = -1;
    int status;
    cr_assert_eq(waitpid(d->pid, &status, 0), d->pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    driver_close(d);

    tally_dir(dir, &tally);
    for (long i = 0; i < id; i++)
        cr_assert_eq(tally.count[i], 1, "id %ld has %d records", i, tally.count[i]);
    cr_assert_eq(tally.stray, 0);
    free(tally.count);
    free(result);
    free(d);
}
