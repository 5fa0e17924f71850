/* resolver_cares.c: the pw_resolver for NAPTR and SRV on c-ares, non-blocking, driven by pw_loop.
 *
 * Implements: RFC 1035 §4.1 (message format: header, question, answer and authority sections,
 * walked here to read the TTLs that c-ares 1.18's parsers drop), §4.1.4 (name compression),
 * §3.3.13 (SOA RDATA); RFC 2181 §8 (a TTL with the top bit set counts as 0); RFC 2308 §5
 * (the TTL of a negative answer is min(SOA TTL, SOA MINIMUM)); RFC 3403 §4.1 (NAPTR RDATA,
 * parsed by ares_parse_naptr_reply); RFC 2782 (SRV RDATA, parsed by ares_parse_srv_reply).
 *
 * c-ares calls back into this file from ares_process_fd(), ares_query() and ares_destroy();
 * those callbacks only park the finished query on a "done" list. The user's callbacks run
 * from a 0 ms loop timer that drains that list (or from destroy(), with PW_ECLOSED), never
 * from inside c-ares and never from inside naptr()/srv().
 */
#include "dns/pw_resolver.h"

#include <ares.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/pw_list.h"
#include "core/pw_log.h"

#define DNS_TYPE_SOA 6
#define DNS_TYPE_SRV 33
#define DNS_TYPE_NAPTR 35
#define DNS_CLASS_IN 1
#define DNS_HEADER_LEN 12
#define DNS_MAX_LABELS 128
#define SERVERS_MAX 1024
#define DEFAULT_TIMEOUT_MS 2000u
#define DEFAULT_TRIES 2

typedef enum query_type { QUERY_NAPTR, QUERY_SRV } query_type_t;

typedef struct resolver_cares resolver_cares_t;

/* One lookup, from naptr()/srv() until its callback has run. */
typedef struct cares_query {
    pw_link_t link; /* on the pending or the done list */
    resolver_cares_t *r;
    query_type_t type;
    pw_resolver_naptr_cb naptr_cb;
    pw_resolver_srv_cb srv_cb;
    void *arg;
    pw_status_t status;
    uint32_t ttl;
    size_t n;
    void *rrs;          /* malloc'd, n records when status is PW_OK: pw_naptr_t for QUERY_NAPTR,
                           pw_srv_rr_t for QUERY_SRV */
} cares_query_t;

struct resolver_cares {
    pw_resolver_t base;
    pw_loop_t *loop;
    ares_channel channel;
    int channel_ok;
    int library_ok;
    pw_timer_t ares_timer;    /* fires at ares_timeout() */
    pw_timer_t deliver_timer; /* 0 ms: runs the user callbacks of the done list */
    pw_list_t pending;        /* handed to c-ares */
    pw_list_t done;           /* answered, callback not yet run */
    int closing;              /* destroy() has started */
    int dead;                 /* destroy() has finished; free when no delivery is running */
    unsigned delivering;      /* nesting depth of deliver_all() */
};

static void query_free(cares_query_t *q)
{
    if (!q)
        return;
    free(q->rrs);
    free(q);
}

/* ---- RFC 1035 §4.1 walker: TTLs of the answer section, SOA of the authority section ---- */

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* RFC 2181 §8: a TTL with the most significant bit set is treated as zero. */
static uint32_t sane_ttl(uint32_t ttl)
{
    return (ttl & 0x80000000u) ? 0 : ttl;
}

/* Advance *off past the (possibly compressed, §4.1.4) name at *off, not beyond end.
 * Returns 0, or -1 when the name is malformed or runs past end. */
static int skip_name(const unsigned char *buf, size_t end, size_t *off)
{
    size_t p = *off;
    for (int labels = 0; labels < DNS_MAX_LABELS; labels++) {
        unsigned len;
        if (p >= end)
            return -1;
        len = buf[p];
        if (len == 0) {
            *off = p + 1;
            return 0;
        }
        if ((len & 0xC0u) == 0xC0u) { /* pointer: two bytes, and the name ends here */
            if (p + 2 > end)
                return -1;
            *off = p + 2;
            return 0;
        }
        if (len & 0xC0u) /* 01 and 10 label types are not in use */
            return -1;
        p += 1 + len;
    }
    return -1;
}

/* What the walker found. */
typedef struct answer_ttls {
    int have_answer;  /* at least one answer record */
    uint32_t min_ttl; /* smallest TTL in the answer section */
    int have_soa;
    uint32_t neg_ttl; /* min(SOA TTL, SOA MINIMUM) of the first SOA in the authority section */
} answer_ttls_t;

/* Walk a reply. Returns 0, or -1 when it is malformed (what was read so far is kept). */
static int walk_reply(const unsigned char *buf, size_t len, answer_ttls_t *out)
{
    size_t off = DNS_HEADER_LEN;
    unsigned qd, an, ns;

    memset(out, 0, sizeof *out);
    if (!buf || len < DNS_HEADER_LEN)
        return -1;
    qd = get16(buf + 4);
    an = get16(buf + 6);
    ns = get16(buf + 8);
    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(buf, len, &off) != 0 || off + 4 > len)
            return -1;
        off += 4; /* QTYPE, QCLASS */
    }
    for (unsigned i = 0; i < an + ns; i++) {
        uint16_t type, rdlen;
        uint32_t ttl;
        size_t rdata;
        if (skip_name(buf, len, &off) != 0 || off + 10 > len)
            return -1;
        type = get16(buf + off);
        ttl = sane_ttl(get32(buf + off + 4));
        rdlen = get16(buf + off + 8);
        rdata = off + 10;
        if (rdata + rdlen > len)
            return -1;
        if (i < an) {
            if (!out->have_answer || ttl < out->min_ttl)
                out->min_ttl = ttl;
            out->have_answer = 1;
        } else if (type == DNS_TYPE_SOA && !out->have_soa) {
            /* §3.3.13: MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM (5 x 32 bit) */
            size_t p = rdata, end = rdata + rdlen;
            if (skip_name(buf, end, &p) == 0 && skip_name(buf, end, &p) == 0 && p + 20 <= end) {
                uint32_t minimum = sane_ttl(get32(buf + p + 16));
                out->neg_ttl = ttl < minimum ? ttl : minimum;
                out->have_soa = 1;
            }
        }
        off = rdata + rdlen;
    }
    return 0;
}

/* ---- turning c-ares answers into records ---- */

/* Copy a C string into a fixed field; -1 if it does not fit (the record is then dropped). */
static int copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        return -1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
    return 0;
}

/* c-ares gives the root name as "": we spell it "." (RFC 2782, RFC 3403). */
static const char *root_as_dot(const char *name)
{
    return (!name || name[0] == '\0') ? "." : name;
}

/*
 * What differs between NAPTR and SRV answers; convert() does the rest. c-ares gives each as
 * its own linked list type, so the table reaches into the lists through these accessors.
 */
typedef struct rr_kind {
    const char *name;    /* "NAPTR", "SRV" */
    size_t rr_size;      /* sizeof the pw_ record */
    int (*parse)(const unsigned char *abuf, int alen, void **list); /* ares_parse_*_reply */
    const void *(*next)(const void *item);                           /* the list's next item */
    int (*fill)(void *rr, const void *item); /* item -> record; -1 when a field is over-long */
    const char *dropped; /* what is logged for a record fill() refused */
} rr_kind_t;

static int naptr_parse(const unsigned char *abuf, int alen, void **list)
{
    struct ares_naptr_reply *l = NULL;
    int rc = ares_parse_naptr_reply(abuf, alen, &l);
    *list = l;
    return rc;
}

static const void *naptr_next(const void *item)
{
    return ((const struct ares_naptr_reply *)item)->next;
}

static int naptr_fill(void *rec, const void *item)
{
    const struct ares_naptr_reply *p = item;
    pw_naptr_t *rr = rec;
    rr->order = p->order;
    rr->preference = p->preference;
    return copy_field(rr->flags, sizeof rr->flags, (const char *)p->flags) != 0 ||
                   copy_field(rr->service, sizeof rr->service, (const char *)p->service) != 0 ||
                   copy_field(rr->regexp, sizeof rr->regexp, (const char *)p->regexp) != 0 ||
                   copy_field(rr->replacement, sizeof rr->replacement, root_as_dot(p->replacement)) != 0
               ? -1
               : 0;
}

static int srv_parse(const unsigned char *abuf, int alen, void **list)
{
    struct ares_srv_reply *l = NULL;
    int rc = ares_parse_srv_reply(abuf, alen, &l);
    *list = l;
    return rc;
}

static const void *srv_next(const void *item)
{
    return ((const struct ares_srv_reply *)item)->next;
}

static int srv_fill(void *rec, const void *item)
{
    const struct ares_srv_reply *p = item;
    pw_srv_rr_t *rr = rec;
    rr->priority = p->priority;
    rr->weight = p->weight;
    rr->port = p->port;
    return copy_field(rr->target, sizeof rr->target, root_as_dot(p->host));
}

static const rr_kind_t rr_kinds[] = {
    [QUERY_NAPTR] = { "NAPTR", sizeof(pw_naptr_t), naptr_parse, naptr_next, naptr_fill,
                      "resolver: dropping a NAPTR record with an over-long field" },
    [QUERY_SRV] = { "SRV", sizeof(pw_srv_rr_t), srv_parse, srv_next, srv_fill,
                    "resolver: dropping an SRV record with an over-long target" },
};

/* Parse a successful reply into q->rrs and q->n (at most PW_RESOLVER_MAX_RRS records). */
static pw_status_t convert(cares_query_t *q, const unsigned char *abuf, int alen)
{
    const rr_kind_t *kind = &rr_kinds[q->type];
    void *list = NULL;
    size_t total = 0, n = 0;
    int rc = kind->parse(abuf, alen, &list);
    pw_status_t st;

    if (rc == ARES_ENODATA) {
        st = PW_ENOTFOUND;
        goto done;
    }
    if (rc != ARES_SUCCESS) {
        st = PW_EDNS;
        goto done;
    }
    for (const void *p = list; p; p = kind->next(p))
        total++;
    if (total > PW_RESOLVER_MAX_RRS) {
        pw_warn(NULL, "resolver: %s answer has %zu records, keeping %d", kind->name, total,
                PW_RESOLVER_MAX_RRS);
        total = PW_RESOLVER_MAX_RRS;
    }
    st = PW_ENOMEM;
    q->rrs = calloc(total ? total : 1, kind->rr_size);
    if (!q->rrs)
        goto done;
    for (const void *p = list; p && n < total; p = kind->next(p)) {
        if (kind->fill((char *)q->rrs + n * kind->rr_size, p) != 0) {
            pw_warn(NULL, "%s", kind->dropped);
            continue;
        }
        n++;
    }
    q->n = n;
    st = n > 0 ? PW_OK : PW_EDNS;
done:
    if (list)
        ares_free_data(list);
    return st;
}

/* Fill q->status, q->ttl and the records from what c-ares reported. */
static void finish_query(cares_query_t *q, int status, const unsigned char *abuf, int alen)
{
    answer_ttls_t ttls;
    int walked = (abuf && alen > 0) ? walk_reply(abuf, (size_t)alen, &ttls) : -1;

    q->ttl = 0;
    q->n = 0;
    switch (status) {
    case ARES_SUCCESS:
        q->status = convert(q, abuf, alen);
        if (q->status == PW_OK)
            q->ttl = (walked == 0 && ttls.have_answer) ? ttls.min_ttl : 0;
        else if (q->status == PW_ENOTFOUND) /* e.g. only a CNAME: no records of the type */
            q->ttl = (walked == 0 && ttls.have_soa) ? ttls.neg_ttl : 0;
        break;
    case ARES_ENOTFOUND: /* NXDOMAIN */
    case ARES_ENODATA:   /* NOERROR, no answer records */
        q->status = PW_ENOTFOUND;
        q->ttl = (walked == 0 && ttls.have_soa) ? ttls.neg_ttl : 0;
        break;
    case ARES_ETIMEOUT:
        q->status = PW_ETIMEOUT;
        break;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
        q->status = PW_ECLOSED;
        break;
    default:
        pw_debug(NULL, "resolver: c-ares: %s", ares_strerror(status));
        q->status = PW_EDNS;
        break;
    }
    if (q->status != PW_OK) {
        free(q->rrs);
        q->rrs = NULL;
        q->n = 0;
        if (q->status != PW_ENOTFOUND)
            q->ttl = 0;
    }
}

/* ---- delivery of results (always from the loop or from destroy()) ---- */

static void resolver_free(resolver_cares_t *r)
{
    if (r->library_ok)
        ares_library_cleanup();
    free(r);
}

static void run_callback(cares_query_t *q)
{
    if (q->type == QUERY_NAPTR)
        q->naptr_cb(q->arg, q->status, q->status == PW_OK ? (const pw_naptr_t *)q->rrs : NULL, q->n, q->ttl);
    else
        q->srv_cb(q->arg, q->status, q->status == PW_OK ? (const pw_srv_rr_t *)q->rrs : NULL, q->n, q->ttl);
}

/* Run the callbacks of the done list. A callback may start lookups or destroy the resolver. */
static void deliver_all(resolver_cares_t *r)
{
    cares_query_t *q;

    r->delivering++;
    while ((q = PW_LIST_ITEM(r->done.head, cares_query_t, link)) != NULL) {
        pw_list_unlink(&r->done, &q->link);
        if (r->closing) {
            q->status = PW_ECLOSED;
            q->n = 0;
            q->ttl = 0;
        }
        run_callback(q);
        query_free(q);
    }
    r->delivering--;
    if (r->dead && r->delivering == 0)
        resolver_free(r);
}

static void on_deliver_timer(pw_timer_t *t, void *arg)
{
    (void)t;
    deliver_all(arg);
}

/* c-ares: a query finished (from ares_process_fd(), ares_query() or ares_destroy()). */
static void on_ares_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    cares_query_t *q = arg;
    resolver_cares_t *r = q->r;

    (void)timeouts;
    finish_query(q, r->closing ? ARES_EDESTRUCTION : status, abuf, alen);
    pw_list_unlink(&r->pending, &q->link);
    pw_list_push_back(&r->done, &q->link);
    if (!r->closing && pw_timer_start(r->loop, &r->deliver_timer, 0) != PW_OK)
        pw_error(NULL, "resolver: cannot start the delivery timer (out of memory)");
}

/* ---- driving c-ares from the loop ---- */

static void rearm_ares_timer(resolver_cares_t *r)
{
    struct timeval tv, *tvp;
    uint64_t ms;

    if (r->closing || !r->channel_ok)
        return;
    tvp = ares_timeout(r->channel, NULL, &tv);
    if (!tvp) {
        pw_timer_stop(r->loop, &r->ares_timer);
        return;
    }
    ms = (uint64_t)tvp->tv_sec * 1000u + ((uint64_t)tvp->tv_usec + 999u) / 1000u;
    if (pw_timer_start(r->loop, &r->ares_timer, ms) != PW_OK)
        pw_error(NULL, "resolver: cannot start the timeout timer (out of memory)");
}

static void on_ares_timer(pw_timer_t *t, void *arg)
{
    resolver_cares_t *r = arg;
    (void)t;
    ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm_ares_timer(r);
}

static void on_io(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    resolver_cares_t *r = arg;
    ares_socket_t rfd = (events & (PW_IO_READ | PW_IO_ERROR)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (events & PW_IO_WRITE) ? fd : ARES_SOCKET_BAD;
    (void)loop;
    ares_process_fd(r->channel, rfd, wfd);
    rearm_ares_timer(r);
}

/* c-ares: start, change or stop watching one of its sockets. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    resolver_cares_t *r = data;
    unsigned events = (readable ? PW_IO_READ : 0u) | (writable ? PW_IO_WRITE : 0u);

    if (!events) {
        pw_loop_io_clear(r->loop, fd);
        return;
    }
    if (pw_loop_io_set(r->loop, fd, events, on_io, r) != PW_OK)
        pw_error(NULL, "resolver: cannot watch a DNS socket (out of memory)");
}

/* ---- the ops ---- */

/* A query name: 1..PW_RESOLVER_NAME_MAX printable non-blank bytes, plus one optional trailing dot. */
static int name_ok(const char *name)
{
    size_t n = 0;
    if (!name)
        return 0;
    while (n <= PW_RESOLVER_NAME_MAX + 1 && name[n] != '\0') {
        unsigned char c = (unsigned char)name[n];
        if (c <= 0x20 || c >= 0x7F)
            return 0;
        n++;
    }
    if (n == 0 || n > PW_RESOLVER_NAME_MAX + 1)
        return 0;
    return n <= PW_RESOLVER_NAME_MAX || name[n - 1] == '.';
}

static pw_status_t start_query(resolver_cares_t *r, const char *name, query_type_t type,
                               pw_resolver_naptr_cb ncb, pw_resolver_srv_cb scb, void *arg)
{
    pw_status_t st = PW_EINVAL;
    cares_query_t *q;

    if (!name_ok(name) || (!ncb && !scb))
        goto done;
    st = PW_ECLOSED;
    if (r->closing)
        goto done;
    st = PW_ENOMEM;
    q = calloc(1, sizeof *q);
    if (!q)
        goto done;
    q->r = r;
    q->type = type;
    q->naptr_cb = ncb;
    q->srv_cb = scb;
    q->arg = arg;
    pw_list_push_back(&r->pending, &q->link);
    /* c-ares may call on_ares_answer() from in here (e.g. out of memory): it only queues. */
    ares_query(r->channel, name, DNS_CLASS_IN, type == QUERY_NAPTR ? DNS_TYPE_NAPTR : DNS_TYPE_SRV,
               on_ares_answer, q);
    rearm_ares_timer(r);
    st = PW_OK;
done:
    return st;
}

static pw_status_t cares_naptr(pw_resolver_t *base, const char *name, pw_resolver_naptr_cb cb,
                               void *arg)
{
    if (!base || !cb)
        return PW_EINVAL;
    return start_query((resolver_cares_t *)base, name, QUERY_NAPTR, cb, NULL, arg);
}

static pw_status_t cares_srv(pw_resolver_t *base, const char *name, pw_resolver_srv_cb cb,
                             void *arg)
{
    if (!base || !cb)
        return PW_EINVAL;
    return start_query((resolver_cares_t *)base, name, QUERY_SRV, NULL, cb, arg);
}

static void cares_destroy(pw_resolver_t *base)
{
    resolver_cares_t *r = (resolver_cares_t *)base;

    if (!r || r->closing)
        return;
    r->closing = 1;
    pw_timer_stop(r->loop, &r->ares_timer);
    pw_timer_stop(r->loop, &r->deliver_timer);
    /* Fails every pending query (ARES_EDESTRUCTION: they move to the done list) and closes
     * the sockets (on_sock_state clears them from the loop). */
    if (r->channel_ok)
        ares_destroy(r->channel);
    r->channel_ok = 0;
    while (r->pending.head) { /* not expected: c-ares answered them all above */
        cares_query_t *q = PW_LIST_ITEM(r->pending.head, cares_query_t, link);
        pw_list_unlink(&r->pending, &q->link);
        pw_list_push_back(&r->done, &q->link);
    }
    deliver_all(r); /* everything still undelivered gets PW_ECLOSED */
    r->dead = 1;
    if (r->delivering == 0)
        resolver_free(r);
    /* else the deliver_all() further up the stack frees r when it unwinds */
}

static const pw_resolver_ops_t cares_ops = { cares_naptr, cares_srv, cares_destroy };

pw_status_t pw_resolver_cares_create(pw_resolver_t **out, pw_loop_t *loop, const char *servers,
                                     uint64_t timeout_ms, int tries)
{
    pw_status_t st = PW_EINVAL;
    resolver_cares_t *r = NULL;
    struct ares_options opts;
    int rc;

    if (out)
        *out = NULL;
    if (!out || !loop)
        goto done;
    if (servers && (servers[0] == '\0' || strnlen(servers, SERVERS_MAX + 1) > SERVERS_MAX))
        goto done;
    if (timeout_ms == 0)
        timeout_ms = DEFAULT_TIMEOUT_MS;
    if (timeout_ms > 600000u)
        timeout_ms = 600000u;
    if (tries <= 0)
        tries = DEFAULT_TRIES;
    st = PW_ENOMEM;
    r = calloc(1, sizeof *r);
    if (!r)
        goto done;
    r->base.ops = &cares_ops;
    r->loop = loop;
    pw_timer_init(&r->ares_timer, on_ares_timer, r);
    pw_timer_init(&r->deliver_timer, on_deliver_timer, r);
    st = PW_EDNS;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        goto done;
    r->library_ok = 1;
    memset(&opts, 0, sizeof opts);
    opts.timeout = (int)timeout_ms;
    opts.tries = tries;
    opts.sock_state_cb = on_sock_state;
    opts.sock_state_cb_data = r;
    rc = ares_init_options(&r->channel, &opts,
                           ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
    if (rc != ARES_SUCCESS) {
        pw_error(NULL, "resolver: c-ares initialisation failed: %s", ares_strerror(rc));
        st = rc == ARES_ENOMEM ? PW_ENOMEM : PW_EDNS;
        goto done;
    }
    r->channel_ok = 1;
    if (servers) {
        rc = ares_set_servers_ports_csv(r->channel, servers);
        if (rc != ARES_SUCCESS) {
            pw_error(NULL, "resolver: bad DNS server list \"%s\": %s", servers, ares_strerror(rc));
            st = rc == ARES_ENOMEM ? PW_ENOMEM : PW_EINVAL;
            goto done;
        }
    }
    *out = &r->base;
    r = NULL;
    st = PW_OK;
done:
    if (r)
        cares_destroy(&r->base);
    return st;
}
