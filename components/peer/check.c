/* check.c: peerwatch-peer check: from this host, each peer's gateway SRV (RFC 2782) and s2s SRV (RFC 6120 §3.2.1) through the runtime's resolver, a TCP connection to every server they name, and every key file the gateway reads. */
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chain/pw_peering.h"
#include "core/pw_array.h"
#include "peer_ini.h"
#include "peer_keys.h"
#include "peer_site.h"

#define WHY_MAX (2 * PW_PEER_PATH_MAX)
#define HOSTPORT_MAX (sizeof(((pw_srv_rr_t *)0)->target) + 8)

/* One SRV lookup, waited for. */
typedef struct srv_wait {
    int done;
    pw_status_t status;
    size_t n;
    pw_srv_rr_t rrs[PW_RESOLVER_MAX_RRS];
} srv_wait_t;

/* A server already tried: each host:port is connected to once. */
typedef struct tried {
    char hostport[HOSTPORT_MAX];
} tried_t;

/* The checks as they run. */
typedef struct check_run {
    pw_loop_t *loop;
    pw_resolver_t *resolver;
    FILE *out;
    int timeout_ms;
    unsigned checks, failures;
    tried_t *tried;
    size_t ntried, cap;
    srv_wait_t wait; /* the one lookup in flight */
} check_run_t;

/* One result line: "ok   WHAT" or "FAIL WHAT". */
__attribute__((format(printf, 3, 4)))
static void result(check_run_t *c, int ok, const char *fmt, ...)
{
    va_list ap;
    fputs(ok ? "ok   " : "FAIL ", c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
    c->checks++;
    c->failures += !ok;
}

static void on_srv(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    srv_wait_t *w = arg;
    (void)ttl;
    w->status = status;
    w->n = status == PW_OK ? n : 0;
    if (w->n)
        memcpy(w->rrs, rrs, n * sizeof *rrs);
    w->done = 1;
}

/* Records by priority, then weight (heaviest first), then target: a stable order to print. */
static int srv_before(const pw_srv_rr_t *a, const pw_srv_rr_t *b)
{
    if (a->priority != b->priority)
        return a->priority < b->priority;
    if (a->weight != b->weight)
        return a->weight > b->weight;
    return strcmp(a->target, b->target) < 0;
}

/* Look an SRV name up and wait (the resolver always answers, at the latest by its timeout);
 * prints the check's line. @return the records in c->wait when there are usable ones */
static int lookup(check_run_t *c, const char *name)
{
    srv_wait_t *w = &c->wait;
    char list[1024] = "";
    size_t o = 0;

    memset(w, 0, sizeof *w);
    w->status = pw_resolver_srv(c->resolver, name, on_srv, w);
    while (w->status == PW_OK && !w->done)
        if (pw_loop_run_once(c->loop, 1000) != PW_OK)
            w->status = PW_EIO;
    if (w->status != PW_OK || w->n == 0) {
        result(c, 0, "SRV %s: %s", name,
               w->status == PW_ENOTFOUND  ? "no such record (no SRV at that name, or NXDOMAIN)"
               : w->status == PW_ETIMEOUT ? "no DNS answer in time"
                                          : pw_strerror(w->status));
        return 0;
    }
    for (size_t i = 1; i < w->n; i++) /* insertion sort: at most PW_RESOLVER_MAX_RRS */
        for (size_t j = i; j > 0 && srv_before(&w->rrs[j], &w->rrs[j - 1]); j--) {
            pw_srv_rr_t t = w->rrs[j];
            w->rrs[j] = w->rrs[j - 1];
            w->rrs[j - 1] = t;
        }
    if (w->n == 1 && (strcmp(w->rrs[0].target, ".") == 0 || w->rrs[0].target[0] == '\0')) {
        result(c, 0, "SRV %s: target \".\": the service is decidedly not available there", name);
        return 0;
    }
    for (size_t i = 0; i < w->n && o < sizeof list; i++) {
        int k = snprintf(list + o, sizeof list - o, "%s%s:%u (priority %u, weight %u)",
                         i ? ", " : "", w->rrs[i].target, w->rrs[i].port, w->rrs[i].priority,
                         w->rrs[i].weight);
        o += k > 0 ? (size_t)k : 0;
    }
    result(c, 1, "SRV %s: %s", name, list);
    return 1;
}

/* Connect to one address within the timeout. @return 0 or an errno value */
static int connect_addr(const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
    socklen_t elen = sizeof e;
    struct pollfd p;

    if (fd < 0)
        return errno;
    if (connect(fd, sa, len) != 0) {
        e = errno;
        if (e == EINPROGRESS) {
            p.fd = fd;
            p.events = POLLOUT;
            e = poll(&p, 1, timeout_ms);
            if (e == 0)
                e = ETIMEDOUT;
            else if (e < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
                e = errno;
        }
    }
    close(fd);
    return e;
}

/* A TCP connection to host:port (an IP literal, or a name through the system's resolver, as
 * XMPP servers resolve SRV targets). @return 0 or an errno value (EHOSTUNREACH: no address) */
static int try_connect(const char *host, unsigned port, int timeout_ms, char *detail, size_t cap)
{
    struct addrinfo hints, *res = NULL;
    char service[8];
    int e = EHOSTUNREACH, g;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof service, "%u", port);
    g = getaddrinfo(host, service, &hints, &res);
    if (g != 0) {
        snprintf(detail, cap, "%s: %s", host, gai_strerror(g));
        return EHOSTUNREACH;
    }
    for (struct addrinfo *a = res; a && e != 0; a = a->ai_next)
        e = connect_addr(a->ai_addr, a->ai_addrlen, timeout_ms);
    freeaddrinfo(res);
    if (e != 0)
        snprintf(detail, cap, "%s", e == ETIMEDOUT ? "no answer in time" : strerror(e));
    return e;
}

/* Connect to every target of the records in c->wait, once per host:port over the whole run. */
static void connect_targets(check_run_t *c, const char *owner)
{
    char hostport[HOSTPORT_MAX], detail[320];
    size_t n = c->wait.n;
    pw_srv_rr_t rrs[PW_RESOLVER_MAX_RRS];
    int seen;

    memcpy(rrs, c->wait.rrs, n * sizeof *rrs);
    for (size_t i = 0; i < n; i++) {
        snprintf(hostport, sizeof hostport, "%s:%u", rrs[i].target, rrs[i].port);
        seen = 0;
        for (size_t t = 0; t < c->ntried && !seen; t++)
            seen = strcmp(c->tried[t].hostport, hostport) == 0;
        if (seen)
            continue;
        if (pw_array_grow(&c->tried, &c->cap, c->ntried + 1, sizeof *c->tried, 8) == PW_OK)
            memcpy(c->tried[c->ntried++].hostport, hostport, sizeof hostport);
        if (try_connect(rrs[i].target, rrs[i].port, c->timeout_ms, detail, sizeof detail) == 0)
            result(c, 1, "connect %s (s2s of %s)", hostport, owner);
        else
            result(c, 0, "connect %s (s2s of %s): %s", hostport, owner, detail);
    }
}

/* The s2s SRV of a domain, and a connection to each server it names. */
static void s2s(check_run_t *c, const char *domain)
{
    char name[PW_RESOLVER_NAME_MAX + 32];
    snprintf(name, sizeof name, "_xmpp-server._tcp.%s", domain);
    if (lookup(c, name))
        connect_targets(c, domain);
}

/* Everything about one peer: its key file, its gateways, its servers. */
static void check_peer(check_run_t *c, const pw_peer_site_t *site, const pw_peer_ini_entry_t *e)
{
    char name[PW_RESOLVER_NAME_MAX + 32], why[WHY_MAX];
    pw_srv_rr_t gateways[PW_RESOLVER_MAX_RRS];
    pw_peering_key_t *key = NULL;
    size_t n;

    if (pw_peering_key_load_public(e->value, &key, why, sizeof why) == PW_OK)
        result(c, 1, "key %s: %s is an Ed25519 public key", e->key, e->value);
    else
        result(c, 0, "key %s (%s:%u): %s", e->key, site->gateway_conf, e->line, why);
    pw_peering_key_destroy(key);
    snprintf(name, sizeof name, "%s.%s", site->proxy->gateway_service, e->key);
    if (lookup(c, name)) {
        n = c->wait.n;
        memcpy(gateways, c->wait.rrs, n * sizeof *gateways);
        for (size_t i = 0; i < n; i++)
            s2s(c, gateways[i].target);
    }
    s2s(c, e->key);
}

/* This operator's own pair: the proxy must be able to sign, peers verify with the .pub. */
static void check_own_key(check_run_t *c, const pw_peer_site_t *site)
{
    char b64[PW_PEER_KEY_B64_MAX], why[WHY_MAX];
    const char *signing = site->proxy->signing_key;

    if (pw_peer_site_own_key(site, b64, sizeof b64, why, sizeof why) != PW_OK ||
        pw_peer_keys_public_b64(signing, 1, b64, sizeof b64, why, sizeof why) != PW_OK)
        result(c, 0, "own key %s: %s", site->domain, why);
    else
        result(c, 1, "own key %s: the proxy signs with %s, an Ed25519 key whose public half the "
               "card carries", site->domain, signing);
}

/* Everything, once the loop and the resolver are there. */
static void run_checks(check_run_t *c, const pw_peer_site_t *site, pw_peer_ini_t *gw)
{
    pw_peer_ini_entry_t e;
    size_t cursor = 0, peers = 0;

    check_own_key(c, site);
    while (pw_peer_ini_next(gw, "peers", &cursor, &e)) {
        peers++;
        check_peer(c, site, &e);
    }
    if (peers == 0)
        fprintf(c->out, "note: %s lists no peer in [peers]: nothing to resolve\n",
                site->gateway_conf);
}

int pw_peer_check(const pw_peer_opts_t *o, pw_loop_t *loop, pw_resolver_t *resolver, FILE *out,
                  FILE *err)
{
    check_run_t c;
    pw_peer_site_t *site = NULL;
    pw_peer_ini_t *gw = NULL;
    pw_loop_t *own_loop = NULL;
    pw_resolver_t *own_resolver = NULL;
    char why[WHY_MAX];
    int status = PW_PEER_EXIT_FAIL;
    const char *servers;

    memset(&c, 0, sizeof c);
    c.out = out;
    c.timeout_ms = (int)(o->timeout_ms ? o->timeout_ms : PW_PEER_CONNECT_TIMEOUT_MS);
    if (pw_peer_site_load(&site, o, PW_PEER_SITE_GATEWAY | PW_PEER_SITE_PROXY | PW_PEER_SITE_KEYS,
                          why, sizeof why) != PW_OK ||
        pw_peer_ini_load(&gw, site->gateway_conf, why, sizeof why) != PW_OK)
        goto done;
    if (!loop && pw_loop_create(&own_loop) != PW_OK) {
        snprintf(why, sizeof why, "cannot make an event loop");
        goto done;
    }
    c.loop = loop ? loop : own_loop;
    servers = o->dns_server              ? o->dns_server
              : site->proxy->dns_servers[0] ? site->proxy->dns_servers
                                            : NULL;
    if (!resolver && pw_resolver_cares_create(&own_resolver, c.loop, servers,
                                              (uint64_t)site->proxy->dns_timeout_ms,
                                              (int)site->proxy->dns_tries) != PW_OK) {
        snprintf(why, sizeof why, "cannot start the DNS resolver on '%s' (IP[:PORT] expected)",
                 servers ? servers : "/etc/resolv.conf");
        goto done;
    }
    c.resolver = resolver ? resolver : own_resolver;
    run_checks(&c, site, gw);
    if (c.failures)
        fprintf(out, "%u of %u checks failed\n", c.failures, c.checks);
    else
        fprintf(out, "all %u checks passed\n", c.checks);
    status = c.failures ? PW_PEER_EXIT_FAIL : PW_PEER_EXIT_OK;
    why[0] = '\0';
done:
    if (why[0])
        fprintf(err, "peerwatch-peer check: %s\n", why);
    pw_resolver_destroy(own_resolver);
    pw_loop_destroy(own_loop);
    free(c.tried);
    pw_peer_ini_destroy(gw);
    pw_peer_site_destroy(site);
    return status;
}
