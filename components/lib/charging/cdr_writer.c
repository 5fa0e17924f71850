/* cdr_writer.c: the durable charge-record writer: group commit, rotation, torn-tail repair, dedup of retried enquiries. */
#include "charging/pw_cdr.h"
#include "core/pw_array.h"
#include "core/pw_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_BYTES (UINT64_C(64) << 20)
#define DEFAULT_MAX_AGE_MS (UINT64_C(3600) * 1000)
#define DEFAULT_WINDOW_MS (UINT64_C(24) * 3600 * 1000)
#define DEFAULT_DEDUP_CAP ((size_t)1 << 18)
#define DEDUP_CAP_MAX ((size_t)1 << 28)
/* Most bytes buffered between commits; beyond, append answers PW_EFULL. */
#define PENDING_MAX ((size_t)16 << 20)
/* Space reserved (then released) to check that a full disk has room again. */
#define PROBE_BYTES 4096
#define NAME_BUF 256
#define NONE UINT32_MAX

/* ---------------------------------------------------------------- dedup index */

typedef struct {
    uint8_t key[16];  /* first 16 bytes of SHA-256(peer NUL enquiry_ref) */
    uint64_t seq;
    uint64_t time_ms;
    uint32_t next;    /* next entry in the same bucket */
} dd_entry_t;

/* A FIFO ring of entries (oldest evicted first) with chained hash buckets over it. */
typedef struct {
    dd_entry_t *ring;
    size_t cap;
    size_t head;
    size_t count;
    uint32_t *buckets;
    size_t mask;
} dedup_t;

static pw_status_t dd_init(dedup_t *d, size_t cap)
{
    size_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    d->ring = calloc(cap, sizeof *d->ring);
    d->buckets = malloc(nb * sizeof *d->buckets);
    if (!d->ring || !d->buckets)
        return PW_ENOMEM;
    memset(d->buckets, 0xff, nb * sizeof *d->buckets);
    d->cap = cap;
    d->mask = nb - 1;
    d->head = d->count = 0;
    return PW_OK;
}

static void dd_free(dedup_t *d)
{
    free(d->ring);
    free(d->buckets);
}

static size_t dd_bucket(const dedup_t *d, const uint8_t key[16])
{
    uint32_t h;
    memcpy(&h, key, sizeof h);
    return h & d->mask;
}

static pw_status_t dd_key(const char *peer, const char *ref, uint8_t key[16])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    pw_status_t st = PW_ECRYPTO;
    if (!ctx)
        goto done;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, peer, strlen(peer) + 1) != 1 ||
        EVP_DigestUpdate(ctx, ref, strlen(ref)) != 1 || EVP_DigestFinal_ex(ctx, md, &len) != 1)
        goto done;
    memcpy(key, md, 16);
    st = PW_OK;
done:
    EVP_MD_CTX_free(ctx);
    return st;
}

static const dd_entry_t *dd_find(const dedup_t *d, const uint8_t key[16])
{
    for (uint32_t i = d->buckets[dd_bucket(d, key)]; i != NONE; i = d->ring[i].next) {
        if (memcmp(d->ring[i].key, key, 16) == 0)
            return &d->ring[i];
    }
    return NULL;
}

static void dd_unlink(dedup_t *d, size_t idx)
{
    uint32_t *p = &d->buckets[dd_bucket(d, d->ring[idx].key)];
    while (*p != NONE && *p != idx)
        p = &d->ring[*p].next;
    if (*p == idx)
        *p = d->ring[idx].next;
}

static void dd_evict_oldest(dedup_t *d)
{
    dd_unlink(d, d->head);
    d->head = (d->head + 1) % d->cap;
    d->count--;
}

/* Drop the newest entries with seq > keep (records that were never committed). */
static void dd_rollback(dedup_t *d, uint64_t keep)
{
    while (d->count > 0) {
        size_t idx = (d->head + d->count - 1) % d->cap;
        if (d->ring[idx].seq <= keep)
            break;
        dd_unlink(d, idx);
        d->count--;
    }
}

static void dd_insert(dedup_t *d, const uint8_t key[16], uint64_t seq, uint64_t time_ms, uint64_t floor_ms)
{
    while (d->count > 0 && d->ring[d->head].time_ms < floor_ms)
        dd_evict_oldest(d);
    if (d->count == d->cap)
        dd_evict_oldest(d);
    size_t idx = (d->head + d->count) % d->cap;
    size_t b = dd_bucket(d, key);
    memcpy(d->ring[idx].key, key, 16);
    d->ring[idx].seq = seq;
    d->ring[idx].time_ms = time_ms;
    d->ring[idx].next = d->buckets[b];
    d->buckets[b] = (uint32_t)idx;
    d->count++;
}

/* ---------------------------------------------------------------- the writer */

struct pw_cdr_writer {
    char *dir;
    char node[PW_CDR_NODE_MAX];
    uint64_t max_bytes;
    uint64_t max_age_ms;
    uint64_t window_ms;
    int sync_each;
    pw_cdr_clock_fn clock;
    void *clock_arg;
    int dirfd;
    int lockfd;
    int fd;                     /* the open file, or -1 */
    char open_name[NAME_BUF];
    uint64_t file_first_seq;
    uint64_t file_first_ms;     /* time of the file's first record (age rotation) */
    uint64_t file_records;
    uint64_t file_len;          /* committed length of the open file */
    uint64_t committed_seq;
    char committed_hash[PW_CDR_HASH_HEX];
    uint64_t next_seq;          /* of the next appended record */
    char last_hash[PW_CDR_HASH_HEX]; /* of the last appended record */
    char *pend;
    size_t pend_len;
    size_t pend_cap;
    size_t pend_count;
    uint64_t pend_first_ms;     /* time of the first buffered record */
    char *line;                 /* PW_CDR_LINE_MAX + 1 bytes of scratch */
    pw_cdr_record_t scratch;    /* the record being appended */
    pw_cdr_line_t parsed;       /* a line being loaded */
    dedup_t dd;
    pw_cdr_writer_stats_t stats;
};

/* What loading one file found. */
typedef struct {
    pw_cdr_header_t header;
    uint64_t good_len;
    uint64_t records;
    uint64_t last_seq;
    char last_hash[PW_CDR_HASH_HEX];
    uint64_t first_ms;
    int torn;
    uint64_t torn_offset;
} file_state_t;

/* A file of this node found in the directory. */
typedef struct {
    char name[NAME_BUF];
    pw_cdr_name_t n;
} node_file_t;

static uint64_t realtime_ms(void *arg)
{
    struct timespec ts;
    (void)arg;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ms(const pw_cdr_writer_t *w)
{
    return w->clock(w->clock_arg);
}

static uint64_t window_floor(const pw_cdr_writer_t *w)
{
    uint64_t now = now_ms(w);
    return now > w->window_ms ? now - w->window_ms : 0;
}

static int write_all(int fd, const char *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = ENOSPC;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Insert the record's ref into the dedup index unless it is there already. */
static void dedup_add_record(pw_cdr_writer_t *w, const pw_cdr_record_t *rec, uint64_t floor_ms, int count)
{
    uint8_t key[16];
    if (rec->kind == PW_CDR_KIND_END || !rec->enquiry_ref[0] || rec->time_ms < floor_ms)
        return;
    if (dd_key(rec->peer, rec->enquiry_ref, key) != PW_OK || dd_find(&w->dd, key))
        return;
    dd_insert(&w->dd, key, rec->seq, rec->time_ms, floor_ms);
    if (count)
        w->stats.dedup_loaded++;
}

static int cmp_node_file(const void *a, const void *b)
{
    const node_file_t *x = a, *y = b;
    if (x->n.first_seq != y->n.first_seq)
        return x->n.first_seq < y->n.first_seq ? -1 : 1;
    return x->n.open - y->n.open;
}

/* List this node's files sorted by first seq (open file last); remove stale temp files. */
static pw_status_t list_files(pw_cdr_writer_t *w, node_file_t **out, size_t *count)
{
    DIR *d = NULL;
    struct dirent *de;
    node_file_t *files = NULL;
    size_t n = 0, cap = 0;
    char tmp_prefix[NAME_BUF];
    pw_status_t st = PW_EIO;
    snprintf(tmp_prefix, sizeof tmp_prefix, ".cdr-%s-", w->node);
    d = opendir(w->dir);
    if (!d)
        goto done;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        pw_cdr_name_t nm;
        if (strncmp(de->d_name, tmp_prefix, strlen(tmp_prefix)) == 0 && len > 4 &&
            strcmp(de->d_name + len - 4, ".tmp") == 0) {
            pw_warn(NULL, "charging: removing stale temporary file %s/%s", w->dir, de->d_name);
            unlinkat(w->dirfd, de->d_name, 0);
            continue;
        }
        if (len >= NAME_BUF || pw_cdr_name_parse(de->d_name, &nm) != PW_OK || strcmp(nm.node, w->node) != 0)
            continue;
        if (pw_array_grow(&files, &cap, n + 1, sizeof *files, 16) != PW_OK) {
            st = PW_ENOMEM;
            goto done;
        }
        memcpy(files[n].name, de->d_name, len + 1);
        files[n].n = nm;
        n++;
    }
    if (n > 1)
        qsort(files, n, sizeof *files, cmp_node_file);
    *out = files;
    *count = n;
    files = NULL;
    st = PW_OK;
done:
    if (d)
        closedir(d);
    free(files);
    return st;
}

/*
 * Read one of this node's files: header, then records in sequence and chain. For the open
 * file a bad tail (unterminated or unparseable lines with no valid record after them) is
 * reported in fs->torn; any other damage is PW_ECORRUPT.
 */
static pw_status_t load_file(pw_cdr_writer_t *w, const char *name, int is_open, file_state_t *fs)
{
    pw_cdr_reader_t *r = NULL;
    pw_cdr_rawline_t raw;
    char path[4096];
    pw_status_t st;
    int bad = 0;
    uint64_t floor_ms = window_floor(w);
    pw_cdr_line_t *pl = &w->parsed;

    memset(fs, 0, sizeof *fs);
    snprintf(path, sizeof path, "%s/%s", w->dir, name);
    st = pw_cdr_reader_create(&r, path);
    if (st != PW_OK)
        goto done;
    st = pw_cdr_reader_next(r, &raw);
    if (st != PW_OK || !raw.terminated || pw_cdr_line_parse(raw.data, raw.len, pl) != PW_OK ||
        pl->type != PW_CDR_LINE_HEADER || strcmp(pl->header.node, w->node) != 0) {
        pw_error(NULL, "charging: %s: no valid header line", path);
        st = st == PW_EIO ? PW_EIO : PW_ECORRUPT;
        goto done;
    }
    fs->header = pl->header;
    fs->good_len = raw.offset + raw.len + 1;
    fs->last_seq = fs->header.first_seq - 1;
    memcpy(fs->last_hash, fs->header.prev, PW_CDR_HASH_HEX);
    for (;;) {
        st = pw_cdr_reader_next(r, &raw);
        if (st == PW_ENOTFOUND)
            break;
        if (st == PW_EIO)
            goto done;
        int whole = st == PW_OK && raw.terminated;
        pw_status_t pst = whole ? pw_cdr_line_parse(raw.data, raw.len, pl) : PW_EINVAL;
        if (bad) {
            if (pst == PW_OK) {
                pw_error(NULL, "charging: %s line %" PRIu64 ": valid data after a damaged line", path, raw.lineno);
                st = PW_ECORRUPT;
                goto done;
            }
            continue;
        }
        if (pst == PW_OK && pl->type == PW_CDR_LINE_RECORD && pl->record.seq == fs->last_seq + 1 &&
            strcmp(pl->record.prev, fs->last_hash) == 0 && strcmp(pl->record.node, w->node) == 0) {
            if (fs->records++ == 0)
                fs->first_ms = pl->record.time_ms;
            fs->last_seq = pl->record.seq;
            memcpy(fs->last_hash, pl->record.hash, PW_CDR_HASH_HEX);
            fs->good_len = raw.offset + raw.len + 1;
            dedup_add_record(w, &pl->record, floor_ms, 1);
            continue;
        }
        if (pst == PW_OK || !is_open) {
            pw_error(NULL, "charging: %s line %" PRIu64 ": record out of sequence or chain", path, raw.lineno);
            st = PW_ECORRUPT;
            goto done;
        }
        bad = 1;
        fs->torn = 1;
        fs->torn_offset = raw.offset;
    }
    st = PW_OK;
done:
    pw_cdr_reader_destroy(r);
    return st;
}

/* Cut a torn tail off the open file, keeping the cut bytes in torn-NODE-FIRST-OFFSET.bin. */
static pw_status_t repair_tail(pw_cdr_writer_t *w, int fd, const file_state_t *fs)
{
    struct stat sb;
    char name[NAME_BUF];
    char buf[8192];
    int out = -1;
    pw_status_t st = PW_EIO;
    if (fstat(fd, &sb) != 0)
        goto done;
    uint64_t size = (uint64_t)sb.st_size;
    snprintf(name, sizeof name, "torn-%s-%020" PRIu64 "-%" PRIu64 ".bin", w->node,
             fs->header.first_seq, fs->torn_offset);
    out = openat(w->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out >= 0) {
        uint64_t off = fs->torn_offset;
        int ok = 1;
        while (ok && off < size) {
            ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
            ok = n > 0 && write_all(out, buf, (size_t)n, off - fs->torn_offset) == 0;
            off += n > 0 ? (uint64_t)n : 0;
        }
        if (!ok || fsync(out) != 0)
            pw_warn(NULL, "charging: could not save the torn tail to %s/%s: %s", w->dir, name, strerror(errno));
    } else {
        pw_warn(NULL, "charging: could not save the torn tail to %s/%s: %s", w->dir, name, strerror(errno));
    }
    if (ftruncate(fd, (off_t)fs->torn_offset) != 0 || fsync(fd) != 0 || fsync(w->dirfd) != 0)
        goto done;
    w->stats.torn_bytes += size - fs->torn_offset;
    pw_warn(NULL, "charging: %s/%s: torn last record detected: cut %" PRIu64 " bytes at offset %" PRIu64
            " (kept in %s); the sequence continues after seq %" PRIu64,
            w->dir, w->open_name, size - fs->torn_offset, fs->torn_offset, name, fs->last_seq);
    st = PW_OK;
done:
    if (out >= 0)
        close(out);
    return st;
}

/* A name of this node's files: the open file's (last_seq and close_ms 0) or a closed one's. */
static pw_status_t node_file_name(const pw_cdr_writer_t *w, int open, uint64_t first_seq,
                                  uint64_t last_seq, uint64_t close_ms, char *buf, size_t cap)
{
    pw_cdr_name_t n;
    memset(&n, 0, sizeof n);
    n.open = open;
    memcpy(n.node, w->node, sizeof n.node);
    n.first_seq = first_seq;
    n.last_seq = last_seq;
    n.close_ms = close_ms;
    return pw_cdr_name_format(&n, buf, cap);
}

/* Start a new open file after the last committed record (temp file, fsync, rename, fsync dir). */
static pw_status_t create_open_file(pw_cdr_writer_t *w)
{
    pw_cdr_header_t h;
    char tmp[NAME_BUF];
    char hash[PW_CDR_HASH_HEX];
    size_t len;
    int fd = -1;
    pw_status_t st;
    memset(&h, 0, sizeof h);
    h.version = PW_CDR_FORMAT_VERSION;
    memcpy(h.node, w->node, sizeof h.node);
    h.first_seq = w->committed_seq + 1;
    h.created_ms = now_ms(w);
    memcpy(h.prev, w->committed_hash, PW_CDR_HASH_HEX);
    st = pw_cdr_format_header(&h, w->line, PW_CDR_LINE_MAX + 1, &len, hash);
    if (st != PW_OK)
        goto done;
    st = node_file_name(w, 1, h.first_seq, 0, 0, w->open_name, sizeof w->open_name);
    if (st != PW_OK)
        goto done;
    snprintf(tmp, sizeof tmp, ".cdr-%s-%020" PRIu64 ".tmp", w->node, h.first_seq);
    st = PW_EIO;
    fd = openat(w->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        goto done;
    if (write_all(fd, w->line, len, 0) != 0 || fdatasync(fd) != 0 ||
        renameat(w->dirfd, tmp, w->dirfd, w->open_name) != 0 || fsync(w->dirfd) != 0) {
        int e = errno;
        unlinkat(w->dirfd, tmp, 0);
        errno = e;
        goto done;
    }
    w->fd = fd;
    fd = -1;
    w->file_first_seq = h.first_seq;
    w->file_first_ms = 0;
    w->file_records = 0;
    w->file_len = len;
    st = PW_OK;
done:
    if (fd >= 0)
        close(fd);
    return st;
}

/* Close the open file for good: read-only, renamed to its final name, directory synced. */
static pw_status_t close_open_file(pw_cdr_writer_t *w)
{
    char final[NAME_BUF];
    if (node_file_name(w, 0, w->file_first_seq, w->committed_seq, now_ms(w), final, sizeof final) != PW_OK) {
        errno = EINVAL;
        return PW_EIO;
    }
    fchmod(w->fd, 0440);
    close(w->fd);
    w->fd = -1;
    if (renameat(w->dirfd, w->open_name, w->dirfd, final) != 0 || fsync(w->dirfd) != 0)
        return PW_EIO;
    w->stats.files_closed++;
    pw_info(NULL, "charging: closed %s/%s", w->dir, final);
    return PW_OK;
}

/*
 * Find where the node's records stand on disk and open (or start) the file to write:
 * repair a torn tail, continue the sequence and chain. initial: also rebuild the dedup
 * index from the closed files within the window.
 */
static pw_status_t attach(pw_cdr_writer_t *w, int initial)
{
    node_file_t *files = NULL;
    size_t nfiles = 0, nopen = 0;
    const node_file_t *open_file = NULL, *last_closed = NULL;
    file_state_t fs;
    char path[4096];
    int fd = -1;
    pw_status_t st;

    st = list_files(w, &files, &nfiles);
    if (st != PW_OK)
        goto done;
    for (size_t i = 0; i < nfiles; i++) {
        if (files[i].n.open) {
            open_file = &files[i];
            nopen++;
        } else {
            last_closed = &files[i];
        }
    }
    if (nopen > 1) {
        pw_error(NULL, "charging: %s holds %zu open files of node %s", w->dir, nopen, w->node);
        st = PW_ECORRUPT;
        goto done;
    }
    if (initial) {
        uint64_t floor_ms = window_floor(w);
        for (size_t i = 0; i < nfiles; i++) {
            if (files[i].n.open || files[i].n.close_ms < floor_ms)
                continue;
            if (load_file(w, files[i].name, 0, &fs) != PW_OK)
                pw_warn(NULL, "charging: %s/%s could not be read for the dedup index", w->dir, files[i].name);
        }
    }
    if (open_file) {
        snprintf(path, sizeof path, "%s/%s", w->dir, open_file->name);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            st = PW_EIO;
            goto done;
        }
        memcpy(w->open_name, open_file->name, strlen(open_file->name) + 1);
        st = load_file(w, open_file->name, 1, &fs);
        if (st != PW_OK)
            goto done;
        if (fs.header.first_seq != open_file->n.first_seq ||
            (last_closed && fs.header.first_seq != last_closed->n.last_seq + 1)) {
            pw_error(NULL, "charging: %s does not continue the previous file", path);
            st = PW_ECORRUPT;
            goto done;
        }
        if (fs.torn) {
            st = repair_tail(w, fd, &fs);
            if (st != PW_OK)
                goto done;
        }
        if (!initial && fs.last_seq < w->committed_seq) {
            pw_error(NULL, "charging: %s lost committed records (%" PRIu64 " < %" PRIu64 ")", path,
                     fs.last_seq, w->committed_seq);
            st = PW_ECORRUPT;
            goto done;
        }
        w->fd = fd;
        fd = -1;
        w->file_first_seq = fs.header.first_seq;
        w->file_first_ms = fs.first_ms;
        w->file_records = fs.records;
        w->file_len = fs.good_len;
        w->committed_seq = fs.last_seq;
        memcpy(w->committed_hash, fs.last_hash, PW_CDR_HASH_HEX);
    } else {
        if (last_closed) {
            st = load_file(w, last_closed->name, 0, &fs);
            if (st != PW_OK)
                goto done;
            if (fs.last_seq != last_closed->n.last_seq || fs.records == 0) {
                pw_error(NULL, "charging: %s/%s is truncated", w->dir, last_closed->name);
                st = PW_ECORRUPT;
                goto done;
            }
            w->committed_seq = fs.last_seq;
            memcpy(w->committed_hash, fs.last_hash, PW_CDR_HASH_HEX);
        } else {
            w->committed_seq = 0;
            memcpy(w->committed_hash, pw_cdr_zero_hash(), PW_CDR_HASH_HEX);
        }
        st = create_open_file(w);
        if (st != PW_OK)
            goto done;
    }
    w->next_seq = w->committed_seq + 1;
    memcpy(w->last_hash, w->committed_hash, PW_CDR_HASH_HEX);
    w->stats.last_seq = w->committed_seq;
    st = PW_OK;
done:
    if (fd >= 0)
        close(fd);
    free(files);
    return st;
}

/* A write failed: drop what was not committed, remember the error, refuse until recovered. */
static pw_status_t fail(pw_cdr_writer_t *w, int err, const char *what)
{
    if (w->fd >= 0 && ftruncate(w->fd, (off_t)w->file_len) != 0)
        pw_warn(NULL, "charging: cannot cut back %s: %s", w->open_name, strerror(errno));
    if (w->pend_count > 0)
        pw_error(NULL, "charging: %zu record(s) after seq %" PRIu64 " not written", w->pend_count, w->committed_seq);
    w->pend_len = 0;
    w->pend_count = 0;
    w->next_seq = w->committed_seq + 1;
    memcpy(w->last_hash, w->committed_hash, PW_CDR_HASH_HEX);
    dd_rollback(&w->dd, w->committed_seq);
    if (!w->stats.in_error)
        pw_error(NULL, "charging: %s failed in %s: %s; refusing enquiries until it works again", what,
                 w->dir, strerror(err));
    w->stats.in_error = 1;
    w->stats.last_errno = err;
    w->stats.failures++;
    return PW_EIO;
}

/* In error: check the file and the disk; leave the error state when they work. */
static pw_status_t recover(pw_cdr_writer_t *w)
{
    int r;
    if (w->fd < 0) {
        pw_status_t st = attach(w, 0);
        if (st != PW_OK) {
            w->stats.last_errno = errno;
            return PW_EIO;
        }
    }
    if (ftruncate(w->fd, (off_t)w->file_len) != 0 || fdatasync(w->fd) != 0) {
        w->stats.last_errno = errno;
        return PW_EIO;
    }
    r = posix_fallocate(w->fd, (off_t)w->file_len, PROBE_BYTES);
    if (r != 0 && r != EOPNOTSUPP && r != EINVAL) {
        w->stats.last_errno = r;
        return PW_EIO;
    }
    if (ftruncate(w->fd, (off_t)w->file_len) != 0 || fdatasync(w->fd) != 0) {
        w->stats.last_errno = errno;
        return PW_EIO;
    }
    w->stats.in_error = 0;
    pw_info(NULL, "charging: %s is writable again; accepting enquiries", w->dir);
    return PW_OK;
}

static int rotation_due(const pw_cdr_writer_t *w, uint64_t now)
{
    if (w->file_records == 0)
        return 0;
    if (w->file_len + w->pend_len > w->max_bytes)
        return 1;
    return now > w->file_first_ms && now - w->file_first_ms >= w->max_age_ms;
}

static pw_status_t rotate(pw_cdr_writer_t *w)
{
    if (close_open_file(w) != PW_OK)
        return fail(w, errno, "closing a charge-record file");
    if (create_open_file(w) != PW_OK)
        return fail(w, errno, "starting a charge-record file");
    return PW_OK;
}

pw_status_t pw_cdr_writer_commit(pw_cdr_writer_t *w)
{
    if (!w)
        return PW_EINVAL;
    if (w->stats.in_error && recover(w) != PW_OK)
        return PW_EIO;
    if (w->fd < 0)
        return fail(w, EBADF, "opening a charge-record file");
    if (rotation_due(w, now_ms(w)) && rotate(w) != PW_OK)
        return PW_EIO;
    if (w->pend_len == 0)
        return PW_OK;
    if (write_all(w->fd, w->pend, w->pend_len, w->file_len) != 0 || fdatasync(w->fd) != 0)
        return fail(w, errno, "writing charge records");
    if (w->file_records == 0)
        w->file_first_ms = w->pend_first_ms;
    w->file_len += w->pend_len;
    w->file_records += w->pend_count;
    w->stats.records += w->pend_count;
    w->stats.commits++;
    w->committed_seq = w->next_seq - 1;
    memcpy(w->committed_hash, w->last_hash, PW_CDR_HASH_HEX);
    w->stats.last_seq = w->committed_seq;
    w->pend_len = 0;
    w->pend_count = 0;
    return PW_OK;
}

pw_status_t pw_cdr_writer_append(pw_cdr_writer_t *w, const pw_cdr_record_t *rec, uint64_t *seq_out)
{
    pw_cdr_record_t *r;
    uint8_t key[16];
    int keyed;
    size_t len;
    char hash[PW_CDR_HASH_HEX];
    pw_status_t st;
    if (!w || !rec || !seq_out)
        return PW_EINVAL;
    if (w->stats.in_error)
        return PW_EIO;
    st = pw_cdr_record_check(rec);
    if (st != PW_OK)
        return st;
    keyed = rec->kind != PW_CDR_KIND_END && rec->enquiry_ref[0] != '\0';
    if (keyed) {
        const dd_entry_t *e;
        st = dd_key(rec->peer, rec->enquiry_ref, key);
        if (st != PW_OK)
            return st;
        e = dd_find(&w->dd, key);
        if (e) {
            *seq_out = e->seq;
            return PW_EEXIST;
        }
    }
    r = &w->scratch;
    *r = *rec;
    r->seq = w->next_seq;
    r->time_ms = now_ms(w);
    memcpy(r->node, w->node, sizeof r->node);
    st = pw_cdr_format_record(r, w->last_hash, w->line, PW_CDR_LINE_MAX + 1, &len, hash);
    if (st != PW_OK)
        return st;
    if (w->pend_cap - w->pend_len < len) {
        size_t ncap = w->pend_cap ? w->pend_cap : 65536;
        while (ncap - w->pend_len < len)
            ncap *= 2;
        if (ncap > PENDING_MAX)
            return PW_EFULL;
        char *np = realloc(w->pend, ncap);
        if (!np)
            return PW_ENOMEM;
        w->pend = np;
        w->pend_cap = ncap;
    }
    if (w->pend_count == 0)
        w->pend_first_ms = r->time_ms;
    memcpy(w->pend + w->pend_len, w->line, len);
    w->pend_len += len;
    w->pend_count++;
    if (keyed)
        dd_insert(&w->dd, key, r->seq, r->time_ms, window_floor(w));
    memcpy(w->last_hash, hash, PW_CDR_HASH_HEX);
    *seq_out = w->next_seq++;
    if (w->sync_each)
        return pw_cdr_writer_commit(w);
    return PW_OK;
}

pw_status_t pw_cdr_writer_rotate(pw_cdr_writer_t *w)
{
    pw_status_t st;
    if (!w)
        return PW_EINVAL;
    st = pw_cdr_writer_commit(w);
    if (st != PW_OK || w->file_records == 0)
        return st;
    return rotate(w);
}

uint64_t pw_cdr_writer_committed_seq(const pw_cdr_writer_t *w)
{
    return w ? w->committed_seq : 0;
}

size_t pw_cdr_writer_pending(const pw_cdr_writer_t *w)
{
    return w ? w->pend_count : 0;
}

pw_status_t pw_cdr_writer_lookup(const pw_cdr_writer_t *w, const char *peer,
                                 const char *enquiry_ref, uint64_t *seq_out)
{
    uint8_t key[16];
    const dd_entry_t *e;
    if (!w || !peer || !enquiry_ref || !seq_out)
        return PW_EINVAL;
    if (dd_key(peer, enquiry_ref, key) != PW_OK)
        return PW_ECRYPTO;
    e = dd_find(&w->dd, key);
    if (!e)
        return PW_ENOTFOUND;
    *seq_out = e->seq;
    return PW_OK;
}

void pw_cdr_writer_stats(const pw_cdr_writer_t *w, pw_cdr_writer_stats_t *out)
{
    if (!w || !out)
        return;
    *out = w->stats;
}

pw_status_t pw_cdr_writer_create(pw_cdr_writer_t **out, const pw_cdr_writer_config_t *cfg)
{
    pw_cdr_writer_t *w = NULL;
    char lock_name[NAME_BUF];
    pw_status_t st = PW_EINVAL;
    if (!out)
        goto done;
    *out = NULL;
    if (!cfg || !cfg->dir || !cfg->dir[0] || strlen(cfg->dir) > 2048 || !pw_cdr_node_valid(cfg->node) ||
        cfg->dedup_capacity > DEDUP_CAP_MAX)
        goto done;
    st = PW_ENOMEM;
    w = calloc(1, sizeof *w);
    if (!w)
        goto done;
    w->dirfd = w->lockfd = w->fd = -1;
    w->dir = strdup(cfg->dir);
    w->line = malloc(PW_CDR_LINE_MAX + 1);
    if (!w->dir || !w->line)
        goto done;
    snprintf(w->node, sizeof w->node, "%s", cfg->node);
    w->max_bytes = cfg->max_file_bytes ? cfg->max_file_bytes : DEFAULT_MAX_BYTES;
    w->max_age_ms = cfg->max_file_age_ms ? cfg->max_file_age_ms : DEFAULT_MAX_AGE_MS;
    w->window_ms = cfg->dedup_window_ms ? cfg->dedup_window_ms : DEFAULT_WINDOW_MS;
    w->sync_each = cfg->sync_each;
    w->clock = cfg->clock ? cfg->clock : realtime_ms;
    w->clock_arg = cfg->clock_arg;
    st = dd_init(&w->dd, cfg->dedup_capacity ? cfg->dedup_capacity : DEFAULT_DEDUP_CAP);
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    if (mkdir(w->dir, 0750) != 0 && errno != EEXIST) {
        pw_error(NULL, "charging: cannot create %s: %s", w->dir, strerror(errno));
        goto done;
    }
    w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        pw_error(NULL, "charging: cannot open %s: %s", w->dir, strerror(errno));
        goto done;
    }
    snprintf(lock_name, sizeof lock_name, ".cdr-%s.lock", w->node);
    w->lockfd = openat(w->dirfd, lock_name, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (w->lockfd < 0)
        goto done;
    if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
        pw_error(NULL, "charging: another writer holds node %s in %s", w->node, w->dir);
        st = errno == EWOULDBLOCK ? PW_EDENIED : PW_EIO;
        goto done;
    }
    st = attach(w, 1);
    if (st != PW_OK)
        goto done;
    pw_info(NULL, "charging: node %s writing %s/%s from seq %" PRIu64 " (%" PRIu64 " refs remembered)",
            w->node, w->dir, w->open_name, w->next_seq, w->stats.dedup_loaded);
    *out = w;
    w = NULL;
    st = PW_OK;
done:
    pw_cdr_writer_destroy(w);
    return st;
}

void pw_cdr_writer_destroy(pw_cdr_writer_t *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->lockfd >= 0)
        close(w->lockfd);
    if (w->dirfd >= 0)
        close(w->dirfd);
    dd_free(&w->dd);
    free(w->pend);
    free(w->line);
    free(w->dir);
    free(w);
}
