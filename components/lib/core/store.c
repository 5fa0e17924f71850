/* store.c: the durable key-value journal of pw_store.h. One line per change:
 *   P<TAB>key<TAB>value<TAB>check\n    (put)
 *   D<TAB>key<TAB><TAB>check\n         (delete)
 * where check is the first 16 hex digits of SHA-256 over the line up to its last tab. */
#include "core/pw_store.h"
#include "core/pw_array.h"
#include "core/pw_text.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "core/pw_map.h"

#define LINE_MAX_BYTES (PW_STORE_KEY_MAX + PW_STORE_VALUE_MAX + 32)
#define CHECK_HEX 16

struct pw_store {
    char path[4096], tmp_path[4096], dir[4096];
    int fd;
    pw_map_t *live;            /* key -> (void *)1; NULL once the owner counts the keys */
    size_t (*owner_count)(void *arg); /* the owner's count of live keys (pw_store_keys_by_owner) */
    EVP_MD *sha256;            /* fetched once: the check of every line */
    size_t records;            /* lines in the journal */
    char *buf;                 /* buffered lines */
    size_t len, cap;
    int failing;
    off_t durable;             /* journal bytes known to be on disk */
    pw_store_rewrite_fn rewrite;
    void *arg;
};

static void check_of(const pw_store_t *s, const char *line, size_t len, char out[CHECK_HEX + 1])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (!s->sha256 || !EVP_Digest(line, len, md, NULL, s->sha256, NULL))
        SHA256((const unsigned char *)line, len, md);
    pw_text_hex(md, CHECK_HEX / 2, out);
}

static int text_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++) {
        if (s[n] == '\t' || s[n] == '\n' || s[n] == '\r' || n >= max)
            return 0;
    }
    return 1;
}

static pw_status_t append_line(pw_store_t *s, char op, const char *key, const char *value)
{
    char line[LINE_MAX_BYTES], check[CHECK_HEX + 1];
    size_t lk = strlen(key), lv = value ? strlen(value) : 0, n = lk + lv + 4, need;
    if (n >= sizeof line - CHECK_HEX - 2)
        return PW_ERANGE;
    /* op TAB key TAB value TAB (as "%c\t%s\t%s\t") */
    line[0] = op;
    line[1] = '\t';
    memcpy(line + 2, key, lk);
    line[2 + lk] = '\t';
    if (lv)
        memcpy(line + 3 + lk, value, lv);
    line[3 + lk + lv] = '\t';
    check_of(s, line, (size_t)n - 1, check);
    need = (size_t)n + CHECK_HEX + 1;
    if (pw_array_grow(&s->buf, &s->cap, s->len + need, 1, 65536) != PW_OK)
        return PW_ENOMEM;
    memcpy(s->buf + s->len, line, (size_t)n);
    memcpy(s->buf + s->len + n, check, CHECK_HEX);
    s->buf[s->len + (size_t)n + CHECK_HEX] = '\n';
    s->len += need;
    return PW_OK;
}

pw_status_t pw_store_put(pw_store_t *s, const char *key, const char *value)
{
    pw_status_t rc;
    if (!key || !*key || !value || !text_ok(key, PW_STORE_KEY_MAX) || !text_ok(value, PW_STORE_VALUE_MAX))
        return PW_EINVAL;
    if (s->failing && s->len > 16 * 1024 * 1024)
        return PW_EIO;
    rc = append_line(s, 'P', key, value);
    if (rc == PW_OK && s->live)
        rc = pw_map_put(s->live, key, (void *)1, NULL);
    if (rc == PW_OK)
        s->records++;
    return rc;
}

pw_status_t pw_store_del(pw_store_t *s, const char *key)
{
    pw_status_t rc;
    if (!key || !*key || !text_ok(key, PW_STORE_KEY_MAX))
        return PW_EINVAL;
    if (s->live && !pw_map_get(s->live, key))
        return PW_OK;
    rc = append_line(s, 'D', key, NULL);
    if (rc == PW_OK) {
        if (s->live)
            pw_map_remove(s->live, key);
        s->records++;
    }
    return rc;
}

static pw_status_t write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return PW_EIO;
        }
        data += w;
        len -= (size_t)w;
    }
    return PW_OK;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Rewrite the journal with only the live records (the caller re-puts them). */
static pw_status_t compact(pw_store_t *s)
{
    pw_status_t rc;
    pw_map_t *old_live = s->live;
    char *old_buf = s->buf;
    size_t old_len = s->len, old_cap = s->cap, old_records = s->records;
    int fd;

    if (old_live && pw_map_create(&s->live) != PW_OK) {
        s->live = old_live;
        return PW_ENOMEM;
    }
    s->buf = NULL;
    s->len = s->cap = 0;
    s->records = 0;
    rc = s->rewrite(s->arg, s);
    fd = rc == PW_OK ? open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    if (rc == PW_OK && fd < 0)
        rc = PW_EIO;
    if (rc == PW_OK)
        rc = write_all(fd, s->buf ? s->buf : "", s->len);
    if (rc == PW_OK && fdatasync(fd) != 0)
        rc = PW_EIO;
    if (fd >= 0)
        close(fd);
    if (rc == PW_OK && rename(s->tmp_path, s->path) != 0)
        rc = PW_EIO;
    if (rc != PW_OK) {
        /* keep going on the old journal */
        unlink(s->tmp_path);
        if (old_live)
            pw_map_destroy(s->live);
        free(s->buf);
        s->live = old_live;
        s->buf = old_buf;
        s->len = old_len;
        s->cap = old_cap;
        s->records = old_records;
        return rc;
    }
    sync_dir(s->dir);
    close(s->fd);
    s->fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    s->durable = (off_t)s->len;
    pw_map_destroy(old_live);
    free(old_buf); /* its records are all in the new journal (they were live) */
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
    pw_info(NULL, "store %s compacted to %zu records", s->path, s->records);
    return s->fd >= 0 ? PW_OK : PW_EIO;
}

pw_status_t pw_store_commit(pw_store_t *s)
{
    size_t live = pw_store_count(s);
    if (s->rewrite && s->records > 2 * live && s->records - live >= 1024) {
        /* buffered records are live ones too: the rewrite re-emits them */
        if (compact(s) == PW_OK) {
            s->failing = 0;
            return PW_OK;
        }
    }
    if (s->len == 0)
        return PW_OK;
    if (s->fd < 0 || write_all(s->fd, s->buf, s->len) != PW_OK || fdatasync(s->fd) != 0) {
        if (!s->failing)
            pw_error(NULL, "store %s: cannot write: %s", s->path, strerror(errno));
        s->failing = 1;
        /* a partial write leaves a torn tail: cut back to what was durable before */
        if (s->fd >= 0 && ftruncate(s->fd, s->durable) != 0)
            pw_debug(NULL, "store %s: truncate after a failed write failed", s->path);
        return PW_EIO;
    }
    if (s->failing)
        pw_info(NULL, "store %s: writing again", s->path);
    s->failing = 0;
    s->durable += (off_t)s->len;
    s->len = 0;
    return PW_OK;
}

size_t pw_store_count(const pw_store_t *s)
{
    return s->live ? pw_map_count(s->live) : s->owner_count(s->arg);
}

void pw_store_keys_by_owner(pw_store_t *s, size_t (*live_count)(void *arg))
{
    if (!s || !live_count)
        return;
    pw_map_destroy(s->live);
    s->live = NULL;
    s->owner_count = live_count;
}

int pw_store_pending(const pw_store_t *s)
{
    return s->len > 0;
}

typedef struct replay {
    pw_map_t *values; /* key -> malloc'd value */
    pw_store_load_fn load;
    void *arg;
    pw_status_t rc;
} replay_t;

static int free_value(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
    return 0;
}

static int report_value(const char *key, void *value, void *arg)
{
    replay_t *r = arg;
    r->rc = r->load ? r->load(r->arg, key, value) : PW_OK;
    return r->rc != PW_OK;
}

/* Parse one line (without its newline); PW_ECORRUPT when it is not a valid record. */
static pw_status_t parse_line(char *line, size_t len, pw_store_t *s, replay_t *r)
{
    char check[CHECK_HEX + 1], *key, *value, *sum;
    char *t1, *t2, *t3;
    if (len < 4 + CHECK_HEX || (line[0] != 'P' && line[0] != 'D') || line[1] != '\t')
        return PW_ECORRUPT;
    t3 = line + len - CHECK_HEX - 1;
    if (*t3 != '\t')
        return PW_ECORRUPT;
    check_of(s, line, (size_t)(t3 - line), check);
    sum = t3 + 1;
    if (memcmp(sum, check, CHECK_HEX) != 0)
        return PW_ECORRUPT;
    *t3 = '\0';
    key = line + 2;
    t1 = strchr(key, '\t');
    if (!t1)
        return PW_ECORRUPT;
    *t1 = '\0';
    value = t1 + 1;
    t2 = strchr(value, '\t');
    if (t2)
        return PW_ECORRUPT;
    s->records++;
    if (line[0] == 'P') {
        char *copy = strdup(value);
        void *old = NULL;
        if (!copy || pw_map_put(r->values, key, copy, &old) != PW_OK) {
            free(copy);
            return PW_ENOMEM;
        }
        free(old);
        pw_map_put(s->live, key, (void *)1, NULL);
    } else {
        free(pw_map_remove(r->values, key));
        pw_map_remove(s->live, key);
    }
    return PW_OK;
}

static pw_status_t replay_file(pw_store_t *s, replay_t *r)
{
    pw_status_t rc = PW_OK;
    FILE *f = fopen(s->path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    off_t good = 0;

    if (!f)
        return errno == ENOENT ? PW_OK : PW_EIO;
    while ((n = getline(&line, &cap, f)) > 0) {
        int complete = line[n - 1] == '\n';
        pw_status_t lr = complete ? parse_line(line, (size_t)n - 1, s, r) : PW_ECORRUPT;
        if (lr == PW_ENOMEM) {
            rc = lr;
            break;
        }
        if (lr != PW_OK) {
            /* only the very last line may be torn */
            int c = fgetc(f);
            if (c != EOF) {
                pw_error(NULL, "store %s: damaged record at byte %lld", s->path, (long long)good);
                rc = PW_ECORRUPT;
                break;
            }
            pw_warn(NULL, "store %s: torn last record cut off at byte %lld", s->path, (long long)good);
            if (truncate(s->path, good) != 0)
                rc = PW_EIO;
            break;
        }
        good += n;
    }
    free(line);
    fclose(f);
    return rc;
}

pw_status_t pw_store_open(pw_store_t **out, const char *dir, const char *name, pw_store_load_fn load,
                          pw_store_rewrite_fn rewrite, void *arg)
{
    pw_status_t rc = PW_OK;
    pw_store_t *s = NULL;
    replay_t r = { NULL, load, arg, PW_OK };

    *out = NULL;
    if (!dir || !name || !*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name))
        return PW_EINVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return PW_ENOMEM;
    s->fd = -1;
    s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    s->rewrite = rewrite;
    s->arg = arg;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if ((size_t)snprintf(s->path, sizeof s->path, "%s/%s.journal", dir, name) >= sizeof s->path ||
        (size_t)snprintf(s->tmp_path, sizeof s->tmp_path, "%s/%s.journal.new", dir, name) >= sizeof s->tmp_path) {
        rc = PW_ERANGE;
        goto done;
    }
    if ((rc = pw_map_create(&s->live)) != PW_OK || (rc = pw_map_create(&r.values)) != PW_OK)
        goto done;
    unlink(s->tmp_path); /* a compaction that did not finish */
    if ((rc = replay_file(s, &r)) != PW_OK)
        goto done;
    s->fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        rc = PW_EIO;
        goto done;
    }
    {
        struct stat st;
        s->durable = fstat(s->fd, &st) == 0 ? st.st_size : 0;
    }
    sync_dir(dir);
    pw_map_foreach(r.values, report_value, &r);
    rc = r.rc;
done:
    if (r.values) {
        pw_map_foreach(r.values, free_value, NULL);
        pw_map_destroy(r.values);
    }
    if (rc != PW_OK) {
        pw_store_close(s);
        return rc;
    }
    *out = s;
    return PW_OK;
}

void pw_store_close(pw_store_t *s)
{
    if (!s)
        return;
    if (s->len && s->fd >= 0)
        pw_store_commit(s);
    if (s->fd >= 0)
        close(s->fd);
    pw_map_destroy(s->live);
    EVP_MD_free(s->sha256);
    free(s->buf);
    free(s);
}
