/* cdr_reader.c: bounded line reading of charge-record files and verify (sequence, chain, names) of a directory. */
#include "charging/pw_cdr.h"
#include "core/pw_array.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Buffer: two longest lines, so a line always fits after compaction. */
#define READER_CAP (2u * (PW_CDR_LINE_MAX + 1u))

struct pw_cdr_reader {
    int fd;
    char *buf;
    size_t start;      /* first unread byte */
    size_t end;        /* end of valid bytes */
    int eof;
    int skipping;      /* discarding the rest of an over-long line */
    uint64_t lineno;   /* lines returned so far */
    uint64_t offset;   /* file offset of buf[start] */
};

pw_status_t pw_cdr_reader_create(pw_cdr_reader_t **out, const char *path)
{
    pw_cdr_reader_t *r = NULL;
    pw_status_t st = PW_EINVAL;
    if (!out || !path)
        goto done;
    *out = NULL;
    st = PW_ENOMEM;
    r = calloc(1, sizeof *r);
    if (!r)
        goto done;
    r->fd = -1;
    r->buf = malloc(READER_CAP);
    if (!r->buf)
        goto done;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        st = PW_EIO;
        goto done;
    }
    *out = r;
    r = NULL;
    st = PW_OK;
done:
    pw_cdr_reader_destroy(r);
    return st;
}

void pw_cdr_reader_destroy(pw_cdr_reader_t *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r);
}

pw_status_t pw_cdr_reader_next(pw_cdr_reader_t *r, pw_cdr_rawline_t *out)
{
    if (!r || !out)
        return PW_EINVAL;
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            size_t len = (size_t)(nl - (r->buf + r->start));
            if (r->skipping) {
                r->skipping = 0;
                r->offset += len + 1;
                r->start += len + 1;
                continue;
            }
            out->data = r->buf + r->start;
            out->len = len;
            out->terminated = 1;
            out->lineno = ++r->lineno;
            out->offset = r->offset;
            r->start += len + 1;
            r->offset += len + 1;
            return PW_OK;
        }
        if (r->eof) {
            size_t len = r->end - r->start;
            if (len == 0 || r->skipping) {
                r->offset += len;
                r->start = r->end;
                r->skipping = 0;
                return PW_ENOTFOUND;
            }
            out->data = r->buf + r->start;
            out->len = len;
            out->terminated = 0;
            out->lineno = ++r->lineno;
            out->offset = r->offset;
            r->start = r->end;
            r->offset += len;
            return PW_OK;
        }
        if (r->end - r->start > PW_CDR_LINE_MAX) {
            size_t len = r->end - r->start;
            int first = !r->skipping;
            if (first) {
                out->data = r->buf + r->start;
                out->len = len;
                out->terminated = 0;
                out->lineno = ++r->lineno;
                out->offset = r->offset;
            }
            r->offset += len;
            r->start = r->end = 0;
            r->skipping = 1;
            if (first)
                return PW_ERANGE;
            continue;
        }
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        ssize_t n = read(r->fd, r->buf + r->end, READER_CAP - r->end);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return PW_EIO;
        }
        if (n == 0)
            r->eof = 1;
        r->end += (size_t)n;
    }
}

/* ---------------------------------------------------------------- verify */

const char *pw_cdr_problem_name(pw_cdr_problem_kind_t kind)
{
    switch (kind) {
    case PW_CDR_PROBLEM_NONE: return "none";
    case PW_CDR_PROBLEM_MALFORMED: return "malformed";
    case PW_CDR_PROBLEM_TRUNCATED: return "truncated";
    case PW_CDR_PROBLEM_EDITED: return "edited";
    case PW_CDR_PROBLEM_GAP: return "gap";
    case PW_CDR_PROBLEM_REORDER: return "reorder";
    case PW_CDR_PROBLEM_DUPLICATE: return "duplicate";
    case PW_CDR_PROBLEM_IO: return "io";
    }
    return "unknown";
}

typedef struct {
    char *path;
    pw_cdr_name_t name;
} vfile_t;

typedef struct {
    pw_cdr_record_cb cb;
    void *arg;
    pw_cdr_problem_t *problem;
    pw_cdr_verify_summary_t sum;
    int partial;
    /* per node */
    int started;
    uint64_t expected_seq;
    char expected_prev[PW_CDR_HASH_HEX];
} vctx_t;

__attribute__((format(printf, 6, 7)))
static pw_status_t report(vctx_t *v, pw_cdr_problem_kind_t kind, const char *file, uint64_t line,
                          uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    pw_cdr_problem_t *p = v->problem;
    p->kind = kind;
    snprintf(p->file, sizeof p->file, "%s", file);
    p->line = line;
    p->seq = seq;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
    return kind == PW_CDR_PROBLEM_IO ? PW_EIO : PW_ECORRUPT;
}

static int vfile_cmp(const void *a, const void *b)
{
    const vfile_t *x = a, *y = b;
    int c = strcmp(x->name.node, y->name.node);
    if (c)
        return c;
    if (x->name.first_seq != y->name.first_seq)
        return x->name.first_seq < y->name.first_seq ? -1 : 1;
    return x->name.open - y->name.open;
}

/* Look in path after line `after` for a record with sequence number seq; its line or 0. */
static uint64_t find_later(const char *path, uint64_t after, uint64_t seq)
{
    pw_cdr_reader_t *r = NULL;
    pw_cdr_rawline_t raw;
    pw_cdr_line_t *line = NULL;
    uint64_t found = 0;
    pw_status_t st;
    line = malloc(sizeof *line);
    if (!line || pw_cdr_reader_create(&r, path) != PW_OK)
        goto done;
    while ((st = pw_cdr_reader_next(r, &raw)) != PW_ENOTFOUND) {
        if (st != PW_OK && st != PW_ERANGE)
            break;
        if (st != PW_OK || raw.lineno <= after || !raw.terminated)
            continue;
        if (pw_cdr_line_parse(raw.data, raw.len, line) == PW_OK && line->type == PW_CDR_LINE_RECORD &&
            line->record.seq == seq) {
            found = raw.lineno;
            break;
        }
    }
done:
    pw_cdr_reader_destroy(r);
    free(line);
    return found;
}

static pw_status_t verify_file(vctx_t *v, const vfile_t *f, int last_of_node)
{
    pw_cdr_reader_t *r = NULL;
    pw_cdr_rawline_t raw;
    pw_cdr_line_t *line = NULL;
    uint64_t file_records = 0, last_seq = 0;
    const char *path = f->path;
    pw_status_t st;

    line = malloc(sizeof *line);
    if (!line) {
        st = PW_ENOMEM;
        goto done;
    }
    if (pw_cdr_reader_create(&r, path) != PW_OK) {
        st = report(v, PW_CDR_PROBLEM_IO, path, 0, 0, "cannot open: %s", strerror(errno));
        goto done;
    }
    v->sum.files++;
    st = pw_cdr_reader_next(r, &raw);
    if (st == PW_ENOTFOUND) {
        st = report(v, PW_CDR_PROBLEM_TRUNCATED, path, 0, 0, "file is empty (no header line)");
        goto done;
    }
    if (st == PW_EIO) {
        st = report(v, PW_CDR_PROBLEM_IO, path, 1, 0, "read error: %s", strerror(errno));
        goto done;
    }
    if (st != PW_OK || !raw.terminated) {
        st = report(v, st == PW_OK ? PW_CDR_PROBLEM_TRUNCATED : PW_CDR_PROBLEM_MALFORMED, path, 1, 0,
                    "the header line is incomplete or too long");
        goto done;
    }
    st = pw_cdr_line_parse(raw.data, raw.len, line);
    if (st == PW_ECORRUPT && line->type == PW_CDR_LINE_HEADER) {
        st = report(v, PW_CDR_PROBLEM_EDITED, path, 1, 0, "the header does not match its hash (altered)");
        goto done;
    }
    if (st != PW_OK || line->type != PW_CDR_LINE_HEADER) {
        st = report(v, PW_CDR_PROBLEM_MALFORMED, path, 1, 0, "the first line is not a valid header");
        goto done;
    }
    const pw_cdr_header_t *h = &line->header;
    if (strcmp(h->node, f->name.node) != 0 || h->first_seq != f->name.first_seq) {
        st = report(v, PW_CDR_PROBLEM_MALFORMED, path, 1, h->first_seq,
                    "header (node %s, first seq %" PRIu64 ") disagrees with the file name", h->node,
                    h->first_seq);
        goto done;
    }
    if (!v->started && v->partial) {
        v->expected_seq = h->first_seq;
        memcpy(v->expected_prev, h->prev, PW_CDR_HASH_HEX);
    }
    v->started = 1;
    if (h->first_seq > v->expected_seq) {
        st = report(v, PW_CDR_PROBLEM_GAP, path, 1, v->expected_seq,
                    "records %" PRIu64 "..%" PRIu64 " are missing before this file (a file was removed?)",
                    v->expected_seq, h->first_seq - 1);
        goto done;
    }
    if (h->first_seq < v->expected_seq) {
        st = report(v, PW_CDR_PROBLEM_DUPLICATE, path, 1, h->first_seq,
                    "file starts at seq %" PRIu64 " but records up to %" PRIu64 " were already read (overlapping files)",
                    h->first_seq, v->expected_seq - 1);
        goto done;
    }
    if (strcmp(h->prev, v->expected_prev) != 0) {
        st = report(v, PW_CDR_PROBLEM_EDITED, path, 1, h->first_seq,
                    "header prev does not match the hash of the previous file's last record");
        goto done;
    }

    for (;;) {
        st = pw_cdr_reader_next(r, &raw);
        if (st == PW_ENOTFOUND)
            break;
        if (st == PW_EIO) {
            st = report(v, PW_CDR_PROBLEM_IO, path, raw.lineno, 0, "read error: %s", strerror(errno));
            goto done;
        }
        if (st == PW_ERANGE) {
            st = report(v, PW_CDR_PROBLEM_MALFORMED, path, raw.lineno, v->expected_seq,
                        "line longer than %u bytes", (unsigned)PW_CDR_LINE_MAX);
            goto done;
        }
        if (!raw.terminated) {
            st = report(v, PW_CDR_PROBLEM_TRUNCATED, path, raw.lineno, v->expected_seq,
                        "the file ends in the middle of a record (torn or truncated)");
            goto done;
        }
        st = pw_cdr_line_parse(raw.data, raw.len, line);
        if (st == PW_ECORRUPT && line->type == PW_CDR_LINE_RECORD) {
            st = report(v, PW_CDR_PROBLEM_EDITED, path, raw.lineno, line->record.seq,
                        "record does not match its own hash (altered)");
            goto done;
        }
        if (st != PW_OK || line->type != PW_CDR_LINE_RECORD) {
            st = report(v, PW_CDR_PROBLEM_MALFORMED, path, raw.lineno, v->expected_seq,
                        "line is not a valid record");
            goto done;
        }
        const pw_cdr_record_t *rec = &line->record;
        if (strcmp(rec->node, f->name.node) != 0) {
            st = report(v, PW_CDR_PROBLEM_MALFORMED, path, raw.lineno, rec->seq,
                        "record of node %s in a file of node %s", rec->node, f->name.node);
            goto done;
        }
        if (rec->seq < v->expected_seq) {
            st = report(v, PW_CDR_PROBLEM_DUPLICATE, path, raw.lineno, rec->seq,
                        "seq %" PRIu64 " appears again (expected %" PRIu64 ")", rec->seq, v->expected_seq);
            goto done;
        }
        if (rec->seq > v->expected_seq) {
            uint64_t later = find_later(path, raw.lineno, v->expected_seq);
            if (later)
                st = report(v, PW_CDR_PROBLEM_REORDER, path, raw.lineno, rec->seq,
                            "seq %" PRIu64 " where %" PRIu64 " was expected; %" PRIu64 " comes later, at line %" PRIu64,
                            rec->seq, v->expected_seq, v->expected_seq, later);
            else
                st = report(v, PW_CDR_PROBLEM_GAP, path, raw.lineno, rec->seq,
                            "records %" PRIu64 "..%" PRIu64 " are missing", v->expected_seq, rec->seq - 1);
            goto done;
        }
        if (strcmp(rec->prev, v->expected_prev) != 0) {
            st = report(v, PW_CDR_PROBLEM_EDITED, path, raw.lineno, rec->seq,
                        "prev does not match the hash of record %" PRIu64 " (altered or replaced)",
                        rec->seq - 1);
            goto done;
        }
        if (v->cb)
            v->cb(rec, path, raw.lineno, v->arg);
        v->sum.records++;
        file_records++;
        last_seq = rec->seq;
        v->expected_seq++;
        memcpy(v->expected_prev, rec->hash, PW_CDR_HASH_HEX);
    }
    if (!f->name.open) {
        if (file_records == 0) {
            st = report(v, PW_CDR_PROBLEM_TRUNCATED, path, 0, f->name.first_seq,
                        "closed file holds no record (its name says %" PRIu64 "..%" PRIu64 ")",
                        f->name.first_seq, f->name.last_seq);
            goto done;
        }
        if (last_seq < f->name.last_seq) {
            st = report(v, PW_CDR_PROBLEM_TRUNCATED, path, 0, last_seq + 1,
                        "file name says the last seq is %" PRIu64 " but the last record is %" PRIu64
                        " (records cut off)", f->name.last_seq, last_seq);
            goto done;
        }
        if (last_seq > f->name.last_seq) {
            st = report(v, PW_CDR_PROBLEM_MALFORMED, path, 0, last_seq,
                        "file holds records beyond seq %" PRIu64 " given in its name", f->name.last_seq);
            goto done;
        }
    } else if (!last_of_node) {
        st = report(v, PW_CDR_PROBLEM_MALFORMED, path, 0, 0,
                    "an open file is followed by another file of the same node");
        goto done;
    }
    st = PW_OK;
done:
    pw_cdr_reader_destroy(r);
    free(line);
    return st;
}

pw_status_t pw_cdr_verify_dir(const char *dir, const pw_cdr_verify_options_t *opt,
                              pw_cdr_record_cb cb, void *arg, pw_cdr_problem_t *problem,
                              pw_cdr_verify_summary_t *summary)
{
    pw_cdr_problem_t local;
    vctx_t v;
    DIR *d = NULL;
    vfile_t *files = NULL;
    size_t nfiles = 0, cap = 0;
    pw_status_t st = PW_EINVAL;
    struct dirent *de;

    memset(&v, 0, sizeof v);
    v.problem = problem ? problem : &local;
    memset(v.problem, 0, sizeof *v.problem);
    v.cb = cb;
    v.arg = arg;
    v.partial = opt ? opt->partial : 0;
    if (!dir)
        goto done;
    d = opendir(dir);
    if (!d) {
        st = report(&v, PW_CDR_PROBLEM_IO, dir, 0, 0, "cannot open directory: %s", strerror(errno));
        goto done;
    }
    while ((de = readdir(d)) != NULL) {
        pw_cdr_name_t n;
        if (pw_cdr_name_parse(de->d_name, &n) != PW_OK)
            continue;
        if (pw_array_grow(&files, &cap, nfiles + 1, sizeof *files, 16) != PW_OK) {
            st = PW_ENOMEM;
            goto done;
        }
        size_t plen = strlen(dir) + 1 + strlen(de->d_name) + 1;
        files[nfiles].path = malloc(plen);
        if (!files[nfiles].path) {
            st = PW_ENOMEM;
            goto done;
        }
        snprintf(files[nfiles].path, plen, "%s/%s", dir, de->d_name);
        files[nfiles].name = n;
        nfiles++;
    }
    if (nfiles > 1)
        qsort(files, nfiles, sizeof *files, vfile_cmp);
    st = PW_OK;
    for (size_t i = 0; i < nfiles && st == PW_OK; i++) {
        if (i == 0 || strcmp(files[i].name.node, files[i - 1].name.node) != 0) {
            v.started = 0;
            v.expected_seq = 1;
            memcpy(v.expected_prev, pw_cdr_zero_hash(), PW_CDR_HASH_HEX);
            v.sum.nodes++;
        }
        int last = i + 1 == nfiles || strcmp(files[i].name.node, files[i + 1].name.node) != 0;
        st = verify_file(&v, &files[i], last);
    }
done:
    if (d)
        closedir(d);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i].path);
    free(files);
    if (summary)
        *summary = v.sum;
    return st;
}
