/* test_resolver.c: the c-ares resolver against a real dnsmasq on 127.0.0.1: NAPTR, SRV, TTLs, NXDOMAIN, timeouts, loop-driven. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/pw_enum.h"
#include "core/pw_loop.h"
#include "address/pw_msisdn.h"
#include "dns/pw_resolver.h"
#include "dns/pw_srv.h"
#include "pwt_dns.h"
#include "pwt_util.h"

#ifndef PWT_DNSMASQ
#define PWT_DNSMASQ "/usr/sbin/dnsmasq"
#endif

#define LOCAL_TTL 77 /* dnsmasq's --local-ttl: the TTL of every record it serves from its config */
#define BOB_ENUM "3.2.1.0.5.5.5.2.0.2.1.e164.arpa"
#define GW_SRV "_presence-gw._tcp.opb.example"

/* Served by the private dnsmasq (rendered by the harness; no placeholders). */
static const char dnsmasq_conf[] =
    "no-resolv\n"
    "no-hosts\n"
    "log-facility=-\n"
    "log-queries\n"
    "local-ttl=77\n"
    "local=/opb.example/\n"
    "local=/e164.arpa/\n"
    "srv-host=" GW_SRV ",gw1.opb.example,5269,10,60\n"
    "srv-host=" GW_SRV ",gw2.opb.example,5270,10,40\n"
    "srv-host=" GW_SRV ",backup.opb.example,5271,20,0\n"
    "srv-host=_presence-gw._tcp.closed.example\n"
    "naptr-record=" BOB_ENUM ",100,10,u,E2U+xmpp,!^.*$!xmpp:opb.example!\n"
    "naptr-record=" BOB_ENUM ",100,20,u,E2U+sip,!^(.*)$!sip:\\1@sip.opb.example;user=phone!\n"
    "naptr-record=" BOB_ENUM ",200,10,u,E2U+email:mailto,!^.*$!mailto:bob@opb.example!\n";

typedef struct dns_fixture {
    char *dir;
    pwt_dnsmasq_t *dnsmasq;
    char servers[64]; /* "127.0.0.1:PORT" for c-ares */
} dns_fixture_t;

static void dns_start(dns_fixture_t *fx)
{
    static const char *const vars[] = { NULL };
    char path[PWT_PATH_MAX];
    FILE *fp;

    memset(fx, 0, sizeof *fx);
    if (access(PWT_DNSMASQ, X_OK) != 0)
        cr_assert_fail("dnsmasq not found at %s: this test needs a real dnsmasq; install the Debian "
                 "package 'dnsmasq' (tests/setup-debian.sh) and re-run configure", PWT_DNSMASQ);
    fx->dir = pwt_tmpdir("resolver");
    cr_assert_not_null(fx->dir);
    snprintf(path, sizeof path, "%s/template.conf", fx->dir);
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    cr_assert_eq(fputs(dnsmasq_conf, fp) >= 0, 1);
    cr_assert_eq(fclose(fp), 0);
    cr_assert_eq(pwt_dnsmasq_start(&fx->dnsmasq, path, vars), PW_OK, "dnsmasq did not start");
    snprintf(fx->servers, sizeof fx->servers, "127.0.0.1:%d", pwt_dnsmasq_port(fx->dnsmasq));
}

static void dns_stop(dns_fixture_t *fx)
{
    pwt_dnsmasq_destroy(fx->dnsmasq);
    if (fx->dir)
        pwt_rmtree(fx->dir);
    free(fx->dir);
}

/* What a callback saw. */
typedef struct result {
    int calls;
    pw_status_t status;
    size_t n;
    uint32_t ttl;
    pw_naptr_t naptr[8];
    pw_srv_rr_t srv[8];
} result_t;

/* Count a callback and keep what it said; @return how many records to copy (at most 8). */
static size_t record(result_t *res, pw_status_t status, size_t n, uint32_t ttl)
{
    res->calls++;
    res->status = status;
    res->n = n;
    res->ttl = ttl;
    return n < 8 ? n : 8;
}

static void on_naptr(void *arg, pw_status_t status, const pw_naptr_t *rrs, size_t n, uint32_t ttl)
{
    result_t *res = arg;
    size_t keep = record(res, status, n, ttl);
    if (keep)
        memcpy(res->naptr, rrs, keep * sizeof rrs[0]);
}

static void on_srv(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    result_t *res = arg;
    size_t keep = record(res, status, n, ttl);
    if (keep)
        memcpy(res->srv, rrs, keep * sizeof rrs[0]);
}

/* Run the loop until *done is non-zero or timeout_ms of real time have passed. */
static void run_until(pw_loop_t *loop, const int *done, unsigned timeout_ms)
{
    uint64_t deadline = pwt_now_ms() + timeout_ms;
    while (!*done && pwt_now_ms() < deadline)
        cr_assert_eq(pw_loop_run_once(loop, 50), PW_OK);
}

static const pw_srv_rr_t *find_target(const result_t *res, const char *target)
{
    for (size_t i = 0; i < res->n && i < 8; i++) {
        if (strcmp(res->srv[i].target, target) == 0)
            return &res->srv[i];
    }
    return NULL;
}

Test(resolver, naptr_answer_with_ttl)
{
    dns_fixture_t fx;
    pw_loop_t *loop;
    pw_resolver_t *r;
    result_t res = { 0 };
    const pw_naptr_t *xmpp = NULL, *sip = NULL;
    char domain[64], uri[128];

    dns_start(&fx);
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, fx.servers, 2000, 2), PW_OK);
    cr_assert_eq(pw_resolver_naptr(r, BOB_ENUM, on_naptr, &res), PW_OK);
    cr_assert_eq(res.calls, 0, "never called from inside naptr()");
    run_until(loop, &res.calls, 5000);
    cr_assert_eq(res.calls, 1);
    cr_assert_eq(res.status, PW_OK, "status %s", pw_strerror(res.status));
    cr_assert_eq(res.n, 3);
    cr_assert_eq(res.ttl, LOCAL_TTL, "TTL read from the raw answer: %u", res.ttl);
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(res.naptr[i].service, "E2U+xmpp") == 0)
            xmpp = &res.naptr[i];
        if (strcmp(res.naptr[i].service, "E2U+sip") == 0)
            sip = &res.naptr[i];
    }
    cr_assert_not_null(xmpp);
    cr_assert_not_null(sip);
    cr_assert_eq(xmpp->order, 100);
    cr_assert_eq(xmpp->preference, 10);
    cr_assert_str_eq(xmpp->flags, "u");
    cr_assert_str_eq(xmpp->regexp, "!^.*$!xmpp:opb.example!");
    cr_assert_str_eq(xmpp->replacement, ".");
    cr_assert_eq(sip->preference, 20);
    cr_assert_str_eq(sip->regexp, "!^(.*)$!sip:\\1@sip.opb.example;user=phone!");
    cr_assert_eq(pw_enum_domain_for("+12025550123", res.naptr, res.n, domain, sizeof domain, uri,
                                    sizeof uri), PW_OK);
    cr_assert_str_eq(domain, "opb.example");
    cr_assert_str_eq(uri, "xmpp:opb.example");
    pw_resolver_destroy(r);
    pw_loop_destroy(loop);
    dns_stop(&fx);
}

Test(resolver, srv_answer_several_records)
{
    dns_fixture_t fx;
    pw_loop_t *loop;
    pw_resolver_t *r;
    result_t res = { 0 };
    const pw_srv_rr_t *gw1, *gw2, *backup;

    dns_start(&fx);
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, fx.servers, 2000, 2), PW_OK);
    cr_assert_eq(pw_resolver_srv(r, GW_SRV ".", on_srv, &res), PW_OK);
    cr_assert_eq(res.calls, 0);
    run_until(loop, &res.calls, 5000);
    cr_assert_eq(res.calls, 1);
    cr_assert_eq(res.status, PW_OK, "status %s", pw_strerror(res.status));
    cr_assert_eq(res.n, 3);
    cr_assert_eq(res.ttl, LOCAL_TTL);
    gw1 = find_target(&res, "gw1.opb.example");
    gw2 = find_target(&res, "gw2.opb.example");
    backup = find_target(&res, "backup.opb.example");
    cr_assert(gw1 && gw2 && backup);
    cr_assert_eq(gw1->port, 5269);
    cr_assert_eq(gw1->priority, 10);
    cr_assert_eq(gw1->weight, 60);
    cr_assert_eq(gw2->port, 5270);
    cr_assert_eq(gw2->priority, 10);
    cr_assert_eq(gw2->weight, 40);
    cr_assert_eq(backup->port, 5271);
    cr_assert_eq(backup->priority, 20);
    cr_assert_eq(backup->weight, 0);
    pw_resolver_destroy(r);
    pw_loop_destroy(loop);
    dns_stop(&fx);
}

Test(resolver, negative_answers_are_enotfound)
{
    dns_fixture_t fx;
    pw_loop_t *loop;
    pw_resolver_t *r;
    result_t nx = { 0 }, nodata = { 0 }, nxsrv = { 0 }, closed = { 0 };
    size_t order[1];
    uint64_t seed = 1;

    dns_start(&fx);
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, fx.servers, 2000, 2), PW_OK);
    /* NXDOMAIN: another number; NODATA: a name that exists with other types only */
    cr_assert_eq(pw_resolver_naptr(r, "4.2.1.0.5.5.5.2.0.2.1.e164.arpa", on_naptr, &nx), PW_OK);
    cr_assert_eq(pw_resolver_naptr(r, GW_SRV, on_naptr, &nodata), PW_OK);
    cr_assert_eq(pw_resolver_srv(r, "_presence-gw._tcp.nowhere.opb.example", on_srv, &nxsrv), PW_OK);
    cr_assert_eq(pw_resolver_srv(r, "_presence-gw._tcp.closed.example", on_srv, &closed), PW_OK);
    for (uint64_t deadline = pwt_now_ms() + 5000;
         (nx.calls + nodata.calls + nxsrv.calls + closed.calls) < 4 && pwt_now_ms() < deadline;)
        cr_assert_eq(pw_loop_run_once(loop, 50), PW_OK);
    cr_assert_eq(nx.calls, 1);
    cr_assert_eq(nx.status, PW_ENOTFOUND, "NXDOMAIN gave %s", pw_strerror(nx.status));
    cr_assert_eq(nx.n, 0);
    cr_assert_eq(nx.ttl, 0, "dnsmasq sends no SOA with local negative answers");
    cr_assert_eq(nodata.calls, 1);
    cr_assert_eq(nodata.status, PW_ENOTFOUND, "NODATA gave %s", pw_strerror(nodata.status));
    cr_assert_eq(nxsrv.calls, 1);
    cr_assert_eq(nxsrv.status, PW_ENOTFOUND);
    /* dnsmasq serves "srv-host=NAME" with no target as a "." target: service not available */
    cr_assert_eq(closed.calls, 1);
    cr_assert_eq(closed.status, PW_OK, "%s", pw_strerror(closed.status));
    cr_assert_eq(closed.n, 1);
    cr_assert_str_eq(closed.srv[0].target, ".");
    cr_assert_eq(pw_srv_order(closed.srv, closed.n, pw_srv_xorshift, &seed, order), PW_ENOTFOUND);
    pw_resolver_destroy(r);
    pw_loop_destroy(loop);
    dns_stop(&fx);
}

/* A DNS "server" that never answers: a bound UDP socket nobody reads. */
static int silent_server(char *servers, size_t cap)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    cr_assert_geq(fd, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(servers, cap, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    return fd;
}

typedef struct ticker {
    pw_loop_t *loop;
    pw_timer_t timer;
    unsigned ticks;
} ticker_t;

static void on_tick(pw_timer_t *t, void *arg)
{
    ticker_t *tk = arg;
    tk->ticks++;
    pw_timer_start(tk->loop, t, 10);
}

Test(resolver, silent_server_times_out_while_the_loop_keeps_running)
{
    pw_loop_t *loop;
    pw_resolver_t *r;
    result_t res = { 0 };
    ticker_t tk;
    char servers[64];
    int fd = silent_server(servers, sizeof servers);
    const uint64_t timeout_ms = 200;
    const int tries = 2;
    uint64_t t0, t1, elapsed;

    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    tk.loop = loop;
    tk.ticks = 0;
    pw_timer_init(&tk.timer, on_tick, &tk);
    cr_assert_eq(pw_timer_start(loop, &tk.timer, 10), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, servers, timeout_ms, tries), PW_OK);
    t0 = pwt_now_ms();
    cr_assert_eq(pw_resolver_naptr(r, BOB_ENUM, on_naptr, &res), PW_OK);
    cr_assert_lt(pwt_now_ms() - t0, 50, "naptr() does not block");
    run_until(loop, &res.calls, 5000);
    t1 = pwt_now_ms();
    elapsed = t1 - t0;
    cr_assert_eq(res.calls, 1);
    cr_assert_eq(res.status, PW_ETIMEOUT, "got %s", pw_strerror(res.status));
    /* c-ares doubles the per-try timeout each round: 200 + 400 ms for 2 tries on 1 server */
    cr_assert_geq(elapsed, timeout_ms, "timed out after %llu ms", (unsigned long long)elapsed);
    cr_assert_leq(elapsed, timeout_ms * 3 + 400, "timed out after %llu ms",
                  (unsigned long long)elapsed);
    cr_assert_geq(tk.ticks, (unsigned)(elapsed / 10 / 2),
                  "a 10 ms loop timer ticked only %u times in %llu ms", tk.ticks,
                  (unsigned long long)elapsed);
    pw_timer_stop(loop, &tk.timer);
    pw_resolver_destroy(r);
    pw_loop_destroy(loop);
    close(fd);
}

Test(resolver, destroy_fires_pending_callbacks_with_eclosed_once)
{
    pw_loop_t *loop;
    pw_resolver_t *r;
    result_t a = { 0 }, b = { 0 };
    char servers[64];
    int fd = silent_server(servers, sizeof servers);

    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, servers, 5000, 1), PW_OK);
    cr_assert_eq(pw_resolver_naptr(r, BOB_ENUM, on_naptr, &a), PW_OK);
    cr_assert_eq(pw_resolver_srv(r, GW_SRV, on_srv, &b), PW_OK);
    cr_assert_eq(pw_loop_run_once(loop, 20), PW_OK);
    cr_assert_eq(a.calls + b.calls, 0);
    pw_resolver_destroy(r);
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.status, PW_ECLOSED);
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(b.status, PW_ECLOSED);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(pw_loop_run_once(loop, 10), PW_OK);
    cr_assert_eq(a.calls + b.calls, 2, "exactly once");
    pw_loop_destroy(loop);
    close(fd);
}

/* The first callback destroys the resolver; the other lookup then gets PW_ECLOSED. */
typedef struct killer {
    pw_resolver_t *r;
    int calls;
    int timeouts, closed;
    result_t late; /* a lookup started by a callback on a closing resolver */
    pw_status_t late_rc;
} killer_t;

static void kill_on_first(void *arg, pw_status_t status, const pw_naptr_t *rrs, size_t n, uint32_t ttl)
{
    killer_t *k = arg;
    (void)rrs;
    (void)n;
    (void)ttl;
    k->calls++;
    k->timeouts += status == PW_ETIMEOUT;
    k->closed += status == PW_ECLOSED;
    if (k->r) {
        pw_resolver_t *r = k->r;
        k->r = NULL;
        pw_resolver_destroy(r);
        k->late_rc = pw_resolver_naptr(r, BOB_ENUM, on_naptr, &k->late); /* must not crash */
    }
}

Test(resolver, destroy_from_inside_a_callback)
{
    pw_loop_t *loop;
    killer_t k;
    char servers[64];
    int fd = silent_server(servers, sizeof servers);

    memset(&k, 0, sizeof k);
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&k.r, loop, servers, 100, 1), PW_OK);
    cr_assert_eq(pw_resolver_naptr(k.r, BOB_ENUM, kill_on_first, &k), PW_OK);
    cr_assert_eq(pw_resolver_naptr(k.r, "1.e164.arpa", kill_on_first, &k), PW_OK);
    run_until(loop, &k.calls, 5000);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(pw_loop_run_once(loop, 10), PW_OK);
    cr_assert_eq(k.calls, 2);
    cr_assert_eq(k.timeouts, 1);
    cr_assert_eq(k.closed, 1);
    cr_assert_null(k.r);
    pw_loop_destroy(loop);
    close(fd);
}

Test(resolver, bad_arguments)
{
    pw_loop_t *loop;
    pw_resolver_t *r = NULL;
    result_t res = { 0 };
    char longname[300];

    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(NULL, loop, NULL, 0, 0), PW_EINVAL);
    cr_assert_eq(pw_resolver_cares_create(&r, NULL, NULL, 0, 0), PW_EINVAL);
    cr_assert_null(r);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, "", 0, 0), PW_EINVAL);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, "not an address", 0, 0), PW_EINVAL);
    cr_assert_null(r);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, "127.0.0.1:53", 0, 0), PW_OK);
    cr_assert_eq(pw_resolver_naptr(r, NULL, on_naptr, &res), PW_EINVAL);
    cr_assert_eq(pw_resolver_naptr(r, "", on_naptr, &res), PW_EINVAL);
    cr_assert_eq(pw_resolver_naptr(r, "a b.example", on_naptr, &res), PW_EINVAL);
    cr_assert_eq(pw_resolver_naptr(r, longname, on_naptr, &res), PW_EINVAL);
    cr_assert_eq(pw_resolver_srv(r, "x.example", NULL, &res), PW_EINVAL);
    cr_assert_eq(pw_resolver_naptr(NULL, "x.example", on_naptr, &res), PW_EINVAL);
    pw_resolver_destroy(r);
    pw_resolver_destroy(NULL);
    cr_assert_eq(res.calls, 0);
    pw_loop_destroy(loop);
}

/* The proxy's chain against real DNS: number -> ENUM NAPTR -> domain -> SRV -> ordered targets. */
typedef struct chain {
    pw_resolver_t *r;
    char domain[64];
    char srv_name[128];
    pw_status_t status;
    int done;
    size_t order[8];
    result_t srv;
} chain_t;

static void chain_srv(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    chain_t *c = arg;
    uint64_t seed = 11;
    on_srv(&c->srv, status, rrs, n, ttl);
    c->status = status == PW_OK ? pw_srv_order(rrs, n, pw_srv_xorshift, &seed, c->order) : status;
    c->done = 1;
}

static void chain_naptr(void *arg, pw_status_t status, const pw_naptr_t *rrs, size_t n, uint32_t ttl)
{
    chain_t *c = arg;
    (void)ttl;
    c->status = status;
    if (status == PW_OK)
        c->status = pw_enum_domain_for("+12025550123", rrs, n, c->domain, sizeof c->domain, NULL, 0);
    if (c->status == PW_OK) {
        snprintf(c->srv_name, sizeof c->srv_name, "_presence-gw._tcp.%s", c->domain);
        c->status = pw_resolver_srv(c->r, c->srv_name, chain_srv, c); /* from inside a callback */
    }
    if (c->status != PW_OK)
        c->done = 1;
}

Test(resolver, enum_then_srv_chain)
{
    dns_fixture_t fx;
    pw_loop_t *loop;
    chain_t c;
    char name[128];

    memset(&c, 0, sizeof c);
    dns_start(&fx);
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&c.r, loop, fx.servers, 2000, 2), PW_OK);
    cr_assert_eq(pw_msisdn_enum_domain("+12025550123", "e164.arpa", name, sizeof name), PW_OK);
    cr_assert_eq(pw_resolver_naptr(c.r, name, chain_naptr, &c), PW_OK);
    run_until(loop, &c.done, 5000);
    cr_assert_eq(c.done, 1);
    cr_assert_eq(c.status, PW_OK, "%s", pw_strerror(c.status));
    cr_assert_str_eq(c.domain, "opb.example");
    cr_assert_eq(c.srv.n, 3);
    cr_assert_eq(c.srv.srv[c.order[0]].priority, 10);
    cr_assert_eq(c.srv.srv[c.order[1]].priority, 10);
    cr_assert_str_eq(c.srv.srv[c.order[2]].target, "backup.opb.example");
    pw_resolver_destroy(c.r);
    pw_loop_destroy(loop);
    dns_stop(&fx);
}

/* ---- a scripted DNS server on the same loop, for what dnsmasq does not send ---- */

typedef enum craft_mode {
    CRAFT_NXDOMAIN_SOA,  /* NXDOMAIN, SOA TTL 300 MINIMUM 45 -> negative TTL 45 */
    CRAFT_NODATA_SOA,    /* NOERROR, no answer, SOA TTL 20 MINIMUM 3600 -> 20 */
    CRAFT_SRV_TTLS,      /* 3 SRV records, TTLs 100, 30 and 2^31+1 (RFC 2181 §8: counts as 0) */
    CRAFT_SRV_TWO_TTLS,  /* 2 SRV records, TTLs 100 and 30 -> 30 */
    CRAFT_TRUNCATED,     /* ancount 1, the record cut short */
    CRAFT_NAME_LOOP,     /* an answer whose owner name is a pointer to itself */
    CRAFT_SERVFAIL       /* rcode 2 */
} craft_mode_t;

typedef struct crafter {
    int fd;
    craft_mode_t mode;
    unsigned queries;
} crafter_t;

typedef struct buf {
    unsigned char b[512];
    size_t n;
} buf_t;

static void put8(buf_t *b, unsigned v) { if (b->n < sizeof b->b) b->b[b->n++] = (unsigned char)v; }
static void put16(buf_t *b, unsigned v) { put8(b, v >> 8); put8(b, v & 0xFF); }
static void put32(buf_t *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xFFFF); }

static void put_name(buf_t *b, const char *name)
{
    while (*name) {
        size_t len = strcspn(name, ".");
        put8(b, (unsigned)len);
        for (size_t i = 0; i < len; i++)
            put8(b, (unsigned char)name[i]);
        name += len;
        if (*name == '.')
            name++;
    }
    put8(b, 0);
}

static void put_soa(buf_t *b, uint32_t ttl, uint32_t minimum)
{
    size_t rdlen_at;
    put16(b, 0xC00C); /* owner: the question's name */
    put16(b, 6);
    put16(b, 1);
    put32(b, ttl);
    rdlen_at = b->n;
    put16(b, 0);
    put_name(b, "ns.opb.example");
    put16(b, 0xC00C); /* RNAME compressed */
    put32(b, 2024010101);
    put32(b, 3600);
    put32(b, 600);
    put32(b, 86400);
    put32(b, minimum);
    b->b[rdlen_at] = (unsigned char)((b->n - rdlen_at - 2) >> 8);
    b->b[rdlen_at + 1] = (unsigned char)((b->n - rdlen_at - 2) & 0xFF);
}

static void put_srv(buf_t *b, uint32_t ttl, unsigned prio, unsigned weight, unsigned port,
                    const char *target)
{
    size_t rdlen_at;
    put16(b, 0xC00C);
    put16(b, 33);
    put16(b, 1);
    put32(b, ttl);
    rdlen_at = b->n;
    put16(b, 0);
    put16(b, prio);
    put16(b, weight);
    put16(b, port);
    put_name(b, target);
    b->b[rdlen_at] = (unsigned char)((b->n - rdlen_at - 2) >> 8);
    b->b[rdlen_at + 1] = (unsigned char)((b->n - rdlen_at - 2) & 0xFF);
}

static void on_crafter_io(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    crafter_t *cf = arg;
    unsigned char q[512];
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    ssize_t len = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &flen);
    size_t qend = 12;
    buf_t b;
    unsigned rcode = 0, an = 0, ns = 0;

    (void)loop;
    (void)events;
    if (len < 17)
        return;
    cf->queries++;
    while (qend < (size_t)len && q[qend] != 0)
        qend += 1u + q[qend];
    qend += 1 + 4;
    if (qend > (size_t)len)
        return;
    switch (cf->mode) {
    case CRAFT_NXDOMAIN_SOA: rcode = 3; ns = 1; break;
    case CRAFT_NODATA_SOA: ns = 1; break;
    case CRAFT_SRV_TTLS: an = 3; break;
    case CRAFT_SRV_TWO_TTLS: an = 2; break;
    case CRAFT_TRUNCATED: an = 1; break;
    case CRAFT_NAME_LOOP: an = 1; break;
    case CRAFT_SERVFAIL: rcode = 2; break;
    }
    memset(&b, 0, sizeof b);
    put8(&b, q[0]); /* ID */
    put8(&b, q[1]);
    put8(&b, 0x81); /* QR, RD */
    put8(&b, 0x80 | rcode); /* RA, RCODE */
    put16(&b, 1);
    put16(&b, an);
    put16(&b, ns);
    put16(&b, 0);
    for (size_t i = 12; i < qend; i++)
        put8(&b, q[i]);
    switch (cf->mode) {
    case CRAFT_NXDOMAIN_SOA: put_soa(&b, 300, 45); break;
    case CRAFT_NODATA_SOA: put_soa(&b, 20, 3600); break;
    case CRAFT_SRV_TTLS:
        put_srv(&b, 100, 1, 1, 5269, "a.opb.example");
        put_srv(&b, 30, 1, 1, 5269, "b.opb.example");
        put_srv(&b, 0x80000001u, 2, 1, 5269, "c.opb.example");
        break;
    case CRAFT_SRV_TWO_TTLS:
        put_srv(&b, 100, 1, 1, 5269, "a.opb.example");
        put_srv(&b, 30, 1, 1, 5269, "b.opb.example");
        break;
    case CRAFT_TRUNCATED:
        put_srv(&b, 100, 1, 1, 5269, "a.opb.example");
        b.n -= 6;
        break;
    case CRAFT_NAME_LOOP: {
        size_t at = b.n;
        put16(&b, 0xC000 | (unsigned)at); /* a pointer to itself */
        put16(&b, 33);
        put16(&b, 1);
        put32(&b, 100);
        put16(&b, 0);
        break;
    }
    case CRAFT_SERVFAIL: break;
    }
    sendto(fd, b.b, b.n, 0, (struct sockaddr *)&from, flen);
}

static void crafted_lookup(craft_mode_t mode, int naptr, result_t *res)
{
    pw_loop_t *loop;
    pw_resolver_t *r;
    crafter_t cf;
    char servers[64];

    memset(res, 0, sizeof *res);
    cf.fd = silent_server(servers, sizeof servers);
    cf.mode = mode;
    cf.queries = 0;
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_loop_io_set(loop, cf.fd, PW_IO_READ, on_crafter_io, &cf), PW_OK);
    cr_assert_eq(pw_resolver_cares_create(&r, loop, servers, 300, 1), PW_OK);
    if (naptr)
        cr_assert_eq(pw_resolver_naptr(r, BOB_ENUM, on_naptr, res), PW_OK);
    else
        cr_assert_eq(pw_resolver_srv(r, GW_SRV, on_srv, res), PW_OK);
    run_until(loop, &res->calls, 5000);
    cr_assert_eq(res->calls, 1);
    cr_assert_geq(cf.queries, 1);
    pw_resolver_destroy(r);
    pw_loop_destroy(loop);
    close(cf.fd);
}

Test(resolver, negative_ttl_from_the_soa)
{
    result_t res;

    crafted_lookup(CRAFT_NXDOMAIN_SOA, 1, &res);
    cr_assert_eq(res.status, PW_ENOTFOUND, "%s", pw_strerror(res.status));
    cr_assert_eq(res.ttl, 45, "min(SOA TTL 300, MINIMUM 45), got %u", res.ttl);
    crafted_lookup(CRAFT_NODATA_SOA, 0, &res);
    cr_assert_eq(res.status, PW_ENOTFOUND, "%s", pw_strerror(res.status));
    cr_assert_eq(res.ttl, 20, "min(SOA TTL 20, MINIMUM 3600), got %u", res.ttl);
}

Test(resolver, smallest_answer_ttl)
{
    result_t res;

    crafted_lookup(CRAFT_SRV_TWO_TTLS, 0, &res);
    cr_assert_eq(res.status, PW_OK, "%s", pw_strerror(res.status));
    cr_assert_eq(res.n, 2);
    cr_assert_eq(res.ttl, 30);
    crafted_lookup(CRAFT_SRV_TTLS, 0, &res);
    cr_assert_eq(res.status, PW_OK, "%s", pw_strerror(res.status));
    cr_assert_eq(res.n, 3);
    cr_assert_eq(res.ttl, 0, "a TTL with the top bit set counts as 0");
}

Test(resolver, malformed_and_failed_answers_are_edns)
{
    result_t res;

    crafted_lookup(CRAFT_TRUNCATED, 0, &res);
    cr_assert_eq(res.status, PW_EDNS, "%s", pw_strerror(res.status));
    cr_assert_eq(res.n, 0);
    crafted_lookup(CRAFT_NAME_LOOP, 0, &res);
    cr_assert_eq(res.status, PW_EDNS, "%s", pw_strerror(res.status));
    crafted_lookup(CRAFT_SERVFAIL, 1, &res);
    cr_assert_eq(res.status, PW_EDNS, "%s", pw_strerror(res.status));
}
