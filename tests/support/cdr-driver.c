/* cdr-driver.c: a stand-in presence server for charging tests: records each enquiry read on stdin, answers only once it is durable. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "charging/pw_cdr.h"
#include "core/pw_log.h"

/*
 * Usage: cdr-driver DIR NODE [MAX_FILE_BYTES] [sync-each]
 * Reads one enquiry id per line on stdin. Every line read in one go is appended (group
 * commit), then committed; only then is "ANSWER <id> <seq>" printed for each id whose record
 * is durable, or "ERROR <id> wait" when the record could not be written. A retried id (same
 * id) is answered again without a second record ("ANSWER <id> <seq> again"). While idle, it commits every 100 ms, as the
 * presence server's loop hook does, so a writer in error notices when the disk works again.
 * Exits 0 at end of input.
 */

#define IN_CAP 65536
#define PEER "gateway.opa.example"

typedef struct {
    char id[PW_CDR_REF_MAX];
    uint64_t seq;
    int failed;
    int again; /* PW_EEXIST: answered from the earlier record */
} pending_t;

static int out_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fill_record(pw_cdr_record_t *rec, const char *id)
{
    memset(rec, 0, sizeof *rec);
    rec->kind = PW_CDR_KIND_CURRENT;
    snprintf(rec->outcome, sizeof rec->outcome, "ok");
    snprintf(rec->enquiry_ref, sizeof rec->enquiry_ref, "%s", id);
    snprintf(rec->peer, sizeof rec->peer, PEER);
    snprintf(rec->charged_network, sizeof rec->charged_network, "opa.example");
    snprintf(rec->serving_network, sizeof rec->serving_network, "opb.example");
    snprintf(rec->watcher_msisdn, sizeof rec->watcher_msisdn, "+447700900001");
    snprintf(rec->watcher_jid, sizeof rec->watcher_jid, "alice@opa.example");
    snprintf(rec->presentity_msisdn, sizeof rec->presentity_msisdn, "+12025550123");
}

/* Append every complete line of buf; commit; print the answers. Returns bytes consumed or -1. */
static ssize_t handle(pw_cdr_writer_t *w, char *buf, size_t len, pending_t *pend, pw_cdr_record_t *rec)
{
    size_t used = 0, n = 0;
    char *out = NULL;
    size_t olen = 0;
    ssize_t rc = -1;
    char *nl;
    while ((nl = memchr(buf + used, '\n', len - used)) != NULL) {
        size_t l = (size_t)(nl - (buf + used));
        if (l > 0 && l < PW_CDR_REF_MAX) {
            pending_t *p = &pend[n++];
            memcpy(p->id, buf + used, l);
            p->id[l] = '\0';
            fill_record(rec, p->id);
            pw_status_t st = pw_cdr_writer_append(w, rec, &p->seq);
            p->failed = st != PW_OK && st != PW_EEXIST;
            p->again = st == PW_EEXIST;
        }
        used += l + 1;
    }
    if (pw_cdr_writer_commit(w) != PW_OK) {
        /* records after committed_seq were discarded */
    }
    uint64_t durable = pw_cdr_writer_committed_seq(w);
    out = malloc(n * (PW_CDR_REF_MAX + 40) + 1);
    if (!out)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (!pend[i].failed && pend[i].seq <= durable)
            olen += (size_t)sprintf(out + olen, "ANSWER %s %" PRIu64 "%s\n", pend[i].id, pend[i].seq,
                                    pend[i].again ? " again" : "");
        else
            olen += (size_t)sprintf(out + olen, "ERROR %s wait\n", pend[i].id);
    }
    if (out_all(out, olen) != 0)
        goto done;
    rc = (ssize_t)used;
done:
    free(out);
    return rc;
}

int main(int argc, char **argv)
{
    pw_cdr_writer_t *w = NULL;
    pw_cdr_writer_config_t cfg;
    pw_cdr_record_t *rec = NULL;
    pending_t *pend = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = 1;
    if (argc < 3) {
        fprintf(stderr, "usage: cdr-driver DIR NODE [MAX_FILE_BYTES] [sync-each]\n");
        return 2;
    }
    pw_log_setup("cdr-driver", PW_LOG_WARN);
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = argv[1];
    cfg.node = argv[2];
    cfg.max_file_bytes = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
    cfg.sync_each = argc > 4 && strcmp(argv[4], "sync-each") == 0;
    buf = malloc(IN_CAP);
    pend = malloc((IN_CAP / 2 + 1) * sizeof *pend);
    rec = malloc(sizeof *rec);
    if (!buf || !pend || !rec)
        goto done;
    if (pw_cdr_writer_create(&w, &cfg) != PW_OK) {
        fprintf(stderr, "cdr-driver: cannot open the charge-record writer in %s\n", cfg.dir);
        goto done;
    }
    for (;;) {
        struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
        int pr = poll(&pfd, 1, 100);
        if (pr < 0 && errno != EINTR)
            goto done;
        if (pr <= 0) {
            pw_cdr_writer_commit(w); /* the idle loop hook */
            continue;
        }
        ssize_t n = read(STDIN_FILENO, buf + len, IN_CAP - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        ssize_t used = handle(w, buf, len, pend, rec);
        if (used < 0)
            goto done;
        memmove(buf, buf + used, len - (size_t)used);
        len -= (size_t)used;
        if (len == IN_CAP)
            len = 0; /* a line longer than any id: drop it */
    }
    rc = 0;
done:
    pw_cdr_writer_destroy(w);
    free(buf);
    free(pend);
    free(rec);
    return rc;
}
