/* util.c: integration-harness helpers: tree paths, clock, ports, temp dirs, template rendering, file copies. */
#include "pwt_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/pw_log.h"

#ifndef PWT_SRCDIR
#error "PWT_SRCDIR must be defined (the absolute source tree path)"
#endif
#ifndef PWT_BUILDDIR
#error "PWT_BUILDDIR must be defined (the absolute build tree path)"
#endif

#define RENDER_MAX_INPUT (1024u * 1024u)
#define RENDER_MAX_NAME 64u
#define TAG_MAX 32u
#define COPY_MAX_INPUT (1024u * 1024u)

const char *pwt_srcdir(void)
{
    const char *env = getenv("PWT_SRCDIR");
    return (env && *env) ? env : PWT_SRCDIR;
}

const char *pwt_builddir(void)
{
    const char *env = getenv("PWT_BUILDDIR");
    return (env && *env) ? env : PWT_BUILDDIR;
}

pw_status_t pwt_srcpath(char *buf, unsigned size, const char *rel)
{
    int n;
    if (!buf || size == 0 || !rel)
        return PW_EINVAL;
    if (rel[0] == '/')
        n = snprintf(buf, size, "%s", rel);
    else
        n = snprintf(buf, size, "%s/%s", pwt_srcdir(), rel);
    if (n < 0 || (unsigned)n >= size)
        return PW_ERANGE;
    return PW_OK;
}

uint64_t pwt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void pwt_percentiles(double *v, size_t n, double *p50, double *p99)
{
    *p50 = *p99 = 0;
    if (n == 0)
        return;
    qsort(v, n, sizeof *v, cmp_double);
    *p50 = v[n / 2];
    *p99 = v[n * 99 / 100 < n ? n * 99 / 100 : n - 1];
}

void pwt_sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Fill an IPv4 socket address; 0 on success, -1 if ip is not a dotted quad. */
static int make_addr(struct sockaddr_in *sa, const char *ip, int port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!ip || inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
        return -1;
    return 0;
}

/* Bind a socket of a type on ip:port (0: any), return the bound port or -1. */
static int bind_port(const char *ip, int type, int port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = -1;
    int result = -1;

    if (make_addr(&sa, ip, port) != 0)
        goto done;
    fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto done;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto done;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        goto done;
    result = ntohs(sa.sin_port);
done:
    if (fd >= 0)
        close(fd);
    return result;
}

int pwt_port_pick(const char *ip)
{
    int port = bind_port(ip, SOCK_STREAM, 0);
    if (port <= 0) {
        pw_error(NULL, "pwt: cannot pick a TCP port on %s: %s", ip ? ip : "(null)",
                 strerror(errno));
        return -1;
    }
    return port;
}

int pwt_port_pick_udp_tcp(const char *ip)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int port = bind_port(ip, SOCK_STREAM, 0);
        if (port <= 0)
            break;
        if (bind_port(ip, SOCK_DGRAM, port) == port)
            return port;
    }
    pw_error(NULL, "pwt: cannot pick a UDP+TCP port on %s", ip ? ip : "(null)");
    return -1;
}

int pwt_port_wait(const char *ip, int port, unsigned timeout_ms)
{
    struct sockaddr_in sa;
    uint64_t deadline = pwt_now_ms() + timeout_ms;

    if (port <= 0 || port > 65535 || make_addr(&sa, ip, port) != 0)
        return -1;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int ok;
        if (fd < 0)
            return -1;
        ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (ok)
            return 0;
        if (pwt_now_ms() >= deadline)
            return -1;
        pwt_sleep_ms(20);
    }
}

char *pwt_strdup_bounded(const char *s, size_t max)
{
    size_t len;
    if (!s)
        return NULL;
    len = strlen(s);
    if (len == 0 || len > max)
        return NULL;
    return strdup(s);
}

pw_status_t pwt_path_join(char *buf, const char *dir, const char *name)
{
    int n = snprintf(buf, PWT_PATH_MAX, "%s/%s", dir, name);
    return (n < 0 || n >= PWT_PATH_MAX) ? PW_ERANGE : PW_OK;
}

int pwt_mkdir(const char *path)
{
    return (mkdir(path, 0700) == 0 || errno == EEXIST) ? 0 : -1;
}

pw_status_t pwt_file_close(FILE *f, const char *path)
{
    int bad;
    if (!f) {
        pw_error(NULL, "pwt: cannot open %s: %s", path ? path : "(null)", strerror(errno));
        return PW_EIO;
    }
    bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        pw_error(NULL, "pwt: cannot write %s: %s", path ? path : "(null)", strerror(errno));
        return PW_EIO;
    }
    return PW_OK;
}

char *pwt_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char path[PWT_PATH_MAX];
    char *result = NULL;
    int n;

    if (!tag || !*tag || strlen(tag) > TAG_MAX || strspn(tag,
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(tag)) {
        pw_error(NULL, "pwt: bad temp dir tag");
        goto done;
    }
    if (!base || base[0] != '/')
        base = "/tmp";
    n = snprintf(path, sizeof path, "%s/pwt-%s-XXXXXX", base, tag);
    if (n < 0 || (size_t)n >= sizeof path) {
        pw_error(NULL, "pwt: temp dir path too long");
        goto done;
    }
    if (!mkdtemp(path)) {
        pw_error(NULL, "pwt: mkdtemp %s: %s", path, strerror(errno));
        goto done;
    }
    result = strdup(path);
    if (!result)
        rmdir(path);
done:
    return result;
}

/* nftw callback: remove one entry (children come first with FTW_DEPTH). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        return rmdir(path) == 0 ? 0 : -1;
    return unlink(path) == 0 ? 0 : -1;
}

int pwt_rmtree(const char *path)
{
    struct stat sb;
    if (!path || lstat(path, &sb) != 0)
        return 0;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        pw_warn(NULL, "pwt: could not remove all of %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Read a whole file of at most max bytes into a malloc'd, NUL-terminated buffer. */
static pw_status_t read_file(const char *path, size_t max, char **out, size_t *out_len)
{
    pw_status_t st = PW_EIO;
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len;

    if (!f) {
        pw_error(NULL, "pwt: cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    buf = malloc(max + 1);
    if (!buf) {
        st = PW_ENOMEM;
        goto done;
    }
    len = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        pw_error(NULL, "pwt: cannot read %s", path);
        goto done;
    }
    if (len > max) {
        pw_error(NULL, "pwt: %s is larger than %zu bytes", path, max);
        st = PW_ERANGE;
        goto done;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    st = PW_OK;
done:
    free(buf);
    if (f)
        fclose(f);
    return st;
}

/* The value of a variable NAME (len bytes at name), or NULL when vars does not define it. */
static const char *lookup_var(const char *const vars[], const char *name, size_t len)
{
    for (size_t i = 0; vars[i] && vars[i + 1]; i += 2) {
        if (strlen(vars[i]) == len && memcmp(vars[i], name, len) == 0)
            return vars[i + 1];
    }
    return NULL;
}

/* Length of a placeholder name at s ([A-Z][A-Z0-9_]*, bounded), 0 if none starts there. */
static size_t name_length(const char *s)
{
    size_t n = 0;
    if (!(s[0] >= 'A' && s[0] <= 'Z'))
        return 0;
    while (n <= RENDER_MAX_NAME &&
           ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
        n++;
    return n;
}

FILE *pwt_file_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;

    if (!f) {
        pw_error(NULL, "pwt: cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

pw_status_t pwt_render(const char *template_path, const char *out_path, const char *const vars[])
{
    pw_status_t st = PW_EINVAL;
    char *text = NULL;
    size_t len = 0;
    unsigned line = 1;
    FILE *out = NULL;

    if (!template_path || !out_path || !vars)
        goto done;
    for (size_t i = 0; vars[i]; i += 2) {
        if (!vars[i + 1] || strlen(vars[i]) > RENDER_MAX_NAME) {
            pw_error(NULL, "pwt: render %s: variable %s has no value or a too long name",
                     template_path, vars[i]);
            goto done;
        }
    }
    st = read_file(template_path, RENDER_MAX_INPUT, &text, &len);
    if (st != PW_OK)
        goto done;
    st = PW_EIO;
    out = pwt_file_create(out_path);
    if (!out)
        goto done;
    for (size_t i = 0; i < len; i++) {
        size_t n;
        const char *value;
        if (text[i] == '\n')
            line++;
        if (text[i] != '@') {
            fputc(text[i], out);
            continue;
        }
        n = name_length(text + i + 1);
        if (n == 0 || n > RENDER_MAX_NAME || text[i + 1 + n] != '@') {
            fputc('@', out);
            continue;
        }
        value = lookup_var(vars, text + i + 1, n);
        if (!value) {
            pw_error(NULL, "pwt: render %s line %u: unknown placeholder @%.*s@", template_path,
                     line, (int)n, text + i + 1);
            st = PW_ECONFIG;
            goto done;
        }
        fputs(value, out);
        i += n + 1;
    }
    if (fflush(out) != 0 || ferror(out)) {
        pw_error(NULL, "pwt: cannot write %s: %s", out_path, strerror(errno));
        goto done;
    }
    st = PW_OK;
done:
    if (out && fclose(out) != 0 && st == PW_OK)
        st = PW_EIO;
    if (st != PW_OK && out_path && st != PW_EINVAL)
        unlink(out_path);
    free(text);
    return st;
}

pw_status_t pwt_file_copy(const char *src, const char *dst)
{
    pw_status_t st = PW_EINVAL;
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    if (!src || !dst)
        goto done;
    st = read_file(src, COPY_MAX_INPUT, &text, &len);
    if (st != PW_OK)
        goto done;
    out = pwt_file_create(dst);
    st = out && fwrite(text, 1, len, out) == len ? PW_OK : PW_EIO;
    if (out && pwt_file_close(out, dst) != PW_OK)
        st = PW_EIO;
    if (st != PW_OK)
        unlink(dst);
done:
    free(text);
    return st;
}

void pwt_print_tail(const char *path, unsigned lines)
{
    char *text = NULL;
    size_t len = 0;
    size_t start;
    unsigned seen = 0;
    FILE *f;
    long size;

    if (!path) {
        fprintf(stderr, "pwt: (no log file)\n");
        return;
    }
    f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "pwt: %s: %s\n", path, strerror(errno));
        return;
    }
    /* Only the last 64 KiB matter. */
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 65536)
        fseek(f, size - 65536, SEEK_SET);
    else
        fseek(f, 0, SEEK_SET);
    text = malloc(65537);
    if (text) {
        len = fread(text, 1, 65536, f);
        text[len] = '\0';
        start = len;
        while (start > 0 && seen <= lines) {
            start--;
            if (text[start] == '\n' && start + 1 < len)
                seen++;
        }
        if (seen > lines)
            start++;
        fprintf(stderr, "pwt: ---- last lines of %s ----\n%s%s---- end of %s ----\n", path,
                text + start, (len && text[len - 1] != '\n') ? "\n" : "", path);
    }
    free(text);
    fclose(f);
}
