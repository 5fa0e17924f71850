/* rawcomp.c: a minimal XEP-0114 component on expat, a plain socket and OpenSSL's SHA-1 (pwt_rawcomp.h). */
#include "pwt_rawcomp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <expat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pw_log.h"
#include "pwt_util.h"

#define READ_CHUNK 65536

/* A growable text buffer. */
typedef struct rbuf {
    char *p;
    size_t len, cap;
} rbuf_t;

/* The attributes kept of a stanza, as offsets into attrs (SIZE_MAX: absent). */
enum { A_TYPE, A_ID, A_FROM, A_TO, A_COUNT };
static const char *const attr_names[A_COUNT] = { "type", "id", "from", "to" };

struct pwt_rawcomp {
    int fd;
    char *domain;
    XML_Parser parser;
    int depth;
    int online;    /* the server accepted the handshake */
    int closed;    /* the stream ended (or a stream error came before online) */
    int failed;    /* out of memory while parsing */
    char *stream_id;
    rbuf_t name, attrs, payload, out;
    size_t attr_at[A_COUNT];
    int tag_open;  /* a child's start tag written without its '>' yet (it may end as "/>") */
    pwt_rawcomp_cb_t cb;
    void *cb_arg;
};

static int rbuf_add(rbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int rbuf_str(rbuf_t *b, const char *s)
{
    return rbuf_add(b, s, strlen(s));
}

/* Append s escaped: in attribute values (quoted with ') also the quotes. */
static int rbuf_escaped(rbuf_t *b, const char *s, size_t n, int attr)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = NULL;
        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '\'': e = attr ? "&apos;" : NULL; break;
        case '"': e = attr ? "&quot;" : NULL; break;
        default: break;
        }
        if (!e)
            continue;
        if (rbuf_add(b, s + run, i - run) != 0 || rbuf_str(b, e) != 0)
            return -1;
        run = i + 1;
    }
    return rbuf_add(b, s + run, n - run);
}

/* Append " name='value'" with the value escaped. */
static int rbuf_attr(rbuf_t *b, const char *name, const char *value)
{
    if (!value)
        return 0;
    return rbuf_str(b, " ") || rbuf_str(b, name) || rbuf_str(b, "='") ||
                   rbuf_escaped(b, value, strlen(value), 1) || rbuf_str(b, "'")
               ? -1
               : 0;
}

/* Finish a child's start tag left open, before its content. */
static int close_tag(pwt_rawcomp_t *c)
{
    if (!c->tag_open)
        return 0;
    c->tag_open = 0;
    return rbuf_str(&c->payload, ">");
}

static void dispatch(pwt_rawcomp_t *c)
{
    pwt_rawstanza_t s = { .name = c->name.p ? c->name.p : "",
                          .payload = c->payload.p ? c->payload.p : "",
                          .payload_len = c->payload.len };
    const char **v[A_COUNT] = { &s.type, &s.id, &s.from, &s.to };

    for (int i = 0; i < A_COUNT; i++)
        *v[i] = c->attr_at[i] == SIZE_MAX ? NULL : c->attrs.p + c->attr_at[i];
    if (!c->online) {
        if (strcmp(s.name, "handshake") == 0)
            c->online = 1;
        else if (strcmp(s.name, "stream:error") == 0)
            c->closed = 1;
        return;
    }
    if (c->cb)
        c->cb(c, &s, c->cb_arg);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    pwt_rawcomp_t *c = ud;
    int bad = 0;

    c->depth++;
    if (c->depth == 1) {
        for (int i = 0; atts[i]; i += 2)
            if (strcmp(atts[i], "id") == 0 && !c->stream_id)
                bad |= (c->stream_id = strdup(atts[i + 1])) == NULL;
    } else if (c->depth == 2) {
        c->name.len = c->attrs.len = c->payload.len = 0;
        c->tag_open = 0;
        bad |= rbuf_str(&c->name, name);
        bad |= rbuf_str(&c->payload, ""); /* "" rather than NULL for an empty stanza */
        for (int k = 0; k < A_COUNT; k++)
            c->attr_at[k] = SIZE_MAX;
        for (int i = 0; atts[i]; i += 2)
            for (int k = 0; k < A_COUNT; k++)
                if (strcmp(atts[i], attr_names[k]) == 0) {
                    c->attr_at[k] = c->attrs.len;
                    bad |= rbuf_add(&c->attrs, atts[i + 1], strlen(atts[i + 1]) + 1); /* with its NUL */
                }
    } else {
        bad |= close_tag(c) || rbuf_str(&c->payload, "<") || rbuf_str(&c->payload, name);
        for (int i = 0; atts[i]; i += 2)
            bad |= rbuf_attr(&c->payload, atts[i], atts[i + 1]);
        c->tag_open = 1;
    }
    if (bad)
        c->failed = 1;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    pwt_rawcomp_t *c = ud;

    if (c->depth == 1) {
        c->closed = 1;
    } else if (c->depth == 2) {
        if (!c->failed)
            dispatch(c);
    } else if (c->tag_open) {
        c->tag_open = 0;
        c->failed |= rbuf_str(&c->payload, "/>") != 0;
    } else {
        c->failed |= rbuf_str(&c->payload, "</") || rbuf_str(&c->payload, name) || rbuf_str(&c->payload, ">");
    }
    c->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    pwt_rawcomp_t *c = ud;
    if (c->depth >= 2 && (close_tag(c) != 0 || rbuf_escaped(&c->payload, s, (size_t)len, 0) != 0))
        c->failed = 1;
}

pw_status_t pwt_rawcomp_handshake_hex(const char *stream_id, const char *secret, char hex[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    size_t ni, ns;
    char *in;
    pw_status_t st = PW_ECRYPTO;

    if (!stream_id || !secret || !hex)
        return PW_EINVAL;
    ni = strlen(stream_id);
    ns = strlen(secret);
    if (!(in = malloc(ni + ns + 1)))
        return PW_ENOMEM;
    memcpy(in, stream_id, ni);
    memcpy(in + ni, secret, ns + 1);
    if (EVP_Digest(in, ni + ns, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
        goto done;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    st = PW_OK;
done:
    free(in);
    return st;
}

/* Write all of buf (one write(), unless the kernel takes less). */
static pw_status_t write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return PW_EIO;
        buf += w;
        n -= (size_t)w;
    }
    return PW_OK;
}

pw_status_t pwt_rawcomp_read(pwt_rawcomp_t *c)
{
    char buf[READ_CHUNK];
    ssize_t n;

    if (!c)
        return PW_EINVAL;
    if (c->closed)
        return PW_ECLOSED;
    do
        n = read(c->fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return PW_EIO;
    if (n == 0) {
        c->closed = 1;
        return PW_ECLOSED;
    }
    if (XML_Parse(c->parser, buf, (int)n, 0) != XML_STATUS_OK) {
        pw_error(NULL, "pwt: raw component %s: XML error: %s", c->domain,
                 XML_ErrorString(XML_GetErrorCode(c->parser)));
        return PW_EIO;
    }
    if (c->failed)
        return PW_ENOMEM;
    return c->closed ? PW_ECLOSED : PW_OK;
}

/* Read until done(c) or the deadline. */
static pw_status_t read_until(pwt_rawcomp_t *c, int (*done)(const pwt_rawcomp_t *), uint64_t deadline)
{
    while (!done(c)) {
        uint64_t now = pwt_now_ms();
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int r;
        pw_status_t st;

        if (now >= deadline)
            return PW_ETIMEOUT;
        r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return PW_EIO;
        if (r == 0)
            continue;
        if ((st = pwt_rawcomp_read(c)) != PW_OK)
            return st;
    }
    return PW_OK;
}

static int has_stream_id(const pwt_rawcomp_t *c) { return c->stream_id != NULL || c->closed; }
static int is_online(const pwt_rawcomp_t *c) { return c->online || c->closed; }

pw_status_t pwt_rawcomp_connect(pwt_rawcomp_t **out, const char *ip, int port, const char *domain,
                                const char *secret, unsigned timeout_ms)
{
    uint64_t deadline = pwt_now_ms() + timeout_ms;
    pwt_rawcomp_t *c = NULL;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int one = 1;
    char hex[41];
    rbuf_t hdr = { 0 };
    pw_status_t st = PW_EINVAL;

    if (out)
        *out = NULL;
    if (!out || !ip || !domain || !secret || port <= 0 || port > 65535 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
        goto done;
    sa.sin_port = htons((uint16_t)port);
    st = PW_ENOMEM;
    if (!(c = calloc(1, sizeof *c)))
        goto done;
    c->fd = -1;
    if (!(c->domain = strdup(domain)) || !(c->parser = XML_ParserCreate(NULL)))
        goto done;
    XML_SetUserData(c->parser, c);
    XML_SetElementHandler(c->parser, on_start, on_end);
    XML_SetCharacterDataHandler(c->parser, on_text);
    st = PW_EIO;
    if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        pw_error(NULL, "pwt: raw component %s: connect to %s:%d: %s", domain, ip, port, strerror(errno));
        goto done;
    }
    st = PW_ENOMEM;
    if (rbuf_str(&hdr, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                       "xmlns:stream='http://etherx.jabber.org/streams'") != 0 ||
        rbuf_attr(&hdr, "to", domain) != 0 || rbuf_str(&hdr, ">") != 0)
        goto done;
    if ((st = write_all(c->fd, hdr.p, hdr.len)) != PW_OK || (st = read_until(c, has_stream_id, deadline)) != PW_OK)
        goto fail;
    st = PW_ECLOSED;
    if (!c->stream_id)
        goto fail;
    if ((st = pwt_rawcomp_handshake_hex(c->stream_id, secret, hex)) != PW_OK)
        goto fail;
    hdr.len = 0;
    st = PW_ENOMEM;
    if (rbuf_str(&hdr, "<handshake>") != 0 || rbuf_str(&hdr, hex) != 0 || rbuf_str(&hdr, "</handshake>") != 0)
        goto done;
    if ((st = write_all(c->fd, hdr.p, hdr.len)) != PW_OK || (st = read_until(c, is_online, deadline)) != PW_OK)
        goto fail;
    st = c->online ? PW_OK : PW_ECLOSED;
fail:
    if (st != PW_OK)
        pw_error(NULL, "pwt: raw component %s: handshake with %s:%d failed (%d)", domain, ip, port, (int)st);
done:
    free(hdr.p);
    if (st == PW_OK)
        *out = c;
    else
        pwt_rawcomp_destroy(c);
    return st;
}

void pwt_rawcomp_on_stanza(pwt_rawcomp_t *c, pwt_rawcomp_cb_t cb, void *arg)
{
    if (!c)
        return;
    c->cb = cb;
    c->cb_arg = arg;
}

int pwt_rawcomp_fd(const pwt_rawcomp_t *c)
{
    return c ? c->fd : -1;
}

const char *pwt_rawcomp_domain(const pwt_rawcomp_t *c)
{
    return c ? c->domain : "";
}

pw_status_t pwt_rawcomp_send(pwt_rawcomp_t *c, const char *name, const char *type, const char *id,
                             const char *from, const char *to, const char *payload)
{
    rbuf_t *b;
    int bad;

    if (!c || !name || !*name)
        return PW_EINVAL;
    b = &c->out;
    b->len = 0;
    bad = rbuf_str(b, "<") || rbuf_str(b, name) || rbuf_attr(b, "type", type) || rbuf_attr(b, "id", id) ||
          rbuf_attr(b, "from", from ? from : c->domain) || rbuf_attr(b, "to", to);
    if (!bad && payload && *payload)
        bad = rbuf_str(b, ">") || rbuf_str(b, payload) || rbuf_str(b, "</") || rbuf_str(b, name) || rbuf_str(b, ">");
    else if (!bad)
        bad = rbuf_str(b, "/>");
    if (bad)
        return PW_ENOMEM;
    return write_all(c->fd, b->p, b->len);
}

void pwt_rawcomp_destroy(pwt_rawcomp_t *c)
{
    if (!c)
        return;
    if (c->fd >= 0) {
        if (c->online && !c->closed)
            (void)write_all(c->fd, "</stream:stream>", 16);
        close(c->fd);
    }
    if (c->parser)
        XML_ParserFree(c->parser);
    free(c->domain);
    free(c->stream_id);
    free(c->name.p);
    free(c->attrs.p);
    free(c->payload.p);
    free(c->out.p);
    free(c);
}
