/* pw_resolver.h: the asynchronous NAPTR/SRV resolver interface (RFC 3403, RFC 2782) and its c-ares implementation. */
#ifndef PW_RESOLVER_H
#define PW_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_loop.h"
#include "core/pw_status.h"

/** Most records one answer delivers; further records of a larger answer are dropped (logged). */
#define PW_RESOLVER_MAX_RRS 64

/** Longest query name accepted (bytes, without the NUL; one trailing dot allowed on top). */
#define PW_RESOLVER_NAME_MAX 253

/**
 * One NAPTR record (RFC 3403 §4.1). Strings are NUL-terminated; a record whose field does not
 * fit is dropped by the resolver rather than truncated. A replacement of the root name is ".".
 */
typedef struct pw_naptr {
    uint16_t order, preference;
    char flags[16];
    char service[64];
    char regexp[512];
    char replacement[256];
} pw_naptr_t;

/** One SRV record (RFC 2782). A target of the root name is ".". */
typedef struct pw_srv_rr {
    uint16_t priority, weight, port;
    char target[256];
} pw_srv_rr_t;

/**
 * Result of a NAPTR lookup.
 * @param arg the caller's argument
 * @param status PW_OK (n >= 1); PW_ENOTFOUND: a negative answer (NXDOMAIN or no NAPTR records
 *        at that name); PW_ETIMEOUT: no server answered in time; PW_ECLOSED: the resolver was
 *        destroyed while the lookup was pending; PW_EDNS: any other failure
 * @param rrs the records (owned by the resolver, valid during the call only), NULL unless PW_OK
 * @param n number of records
 * @param ttl seconds: for PW_OK the smallest TTL of the answer records; for PW_ENOTFOUND the
 *        negative-caching TTL of the answer's SOA (RFC 2308 §5) or 0 when there was none;
 *        0 otherwise
 */
typedef void (*pw_resolver_naptr_cb)(void *arg, pw_status_t status, const pw_naptr_t *rrs, size_t n,
                                     uint32_t ttl);

/** Result of an SRV lookup; as pw_resolver_naptr_cb, for SRV records. */
typedef void (*pw_resolver_srv_cb)(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n,
                                   uint32_t ttl);

typedef struct pw_resolver pw_resolver_t;

/**
 * What a resolver implements. Contract for every implementation:
 * - naptr()/srv() never call the callback from inside themselves: the result always arrives
 *   later, from the loop;
 * - when they return PW_OK the callback fires exactly once; when they return anything else
 *   it never fires;
 * - destroy() fires the callback of every pending lookup with PW_ECLOSED (from inside
 *   destroy()); a callback may start new lookups (once destroy() has begun, naptr()/srv()
 *   return PW_ECLOSED and nothing fires) or destroy the resolver.
 */
typedef struct pw_resolver_ops {
    pw_status_t (*naptr)(pw_resolver_t *r, const char *name, pw_resolver_naptr_cb cb, void *arg);
    pw_status_t (*srv)(pw_resolver_t *r, const char *name, pw_resolver_srv_cb cb, void *arg);
    void (*destroy)(pw_resolver_t *r);
} pw_resolver_ops_t;

/** The base every resolver starts with. */
struct pw_resolver {
    const pw_resolver_ops_t *ops;
};

/**
 * Start a NAPTR lookup (class IN, type 35).
 * @param r the resolver
 * @param name the domain (copied), at most PW_RESOLVER_NAME_MAX bytes plus one trailing dot
 * @param cb called once with the result, from the loop
 * @param arg passed to cb
 * @return PW_OK (cb will fire); PW_EINVAL (NULL argument or malformed name), PW_ECLOSED,
 *         PW_ENOMEM (cb will not fire)
 */
static inline pw_status_t pw_resolver_naptr(pw_resolver_t *r, const char *name,
                                            pw_resolver_naptr_cb cb, void *arg)
{
    return r ? r->ops->naptr(r, name, cb, arg) : PW_EINVAL;
}

/**
 * Start an SRV lookup (class IN, type 33). Same contract as pw_resolver_naptr().
 * @param r the resolver
 * @param name e.g. "_presence-gw._tcp.opb.example" (copied)
 * @param cb called once with the result, from the loop
 * @param arg passed to cb
 * @return PW_OK (cb will fire), or an error (cb will not fire)
 */
static inline pw_status_t pw_resolver_srv(pw_resolver_t *r, const char *name,
                                          pw_resolver_srv_cb cb, void *arg)
{
    return r ? r->ops->srv(r, name, cb, arg) : PW_EINVAL;
}

/**
 * Destroy a resolver: every pending lookup's callback fires with PW_ECLOSED before it returns.
 * @param r the resolver, or NULL (no-op)
 */
static inline void pw_resolver_destroy(pw_resolver_t *r)
{
    if (r)
        r->ops->destroy(r);
}

/**
 * Create the c-ares resolver, non-blocking and driven entirely from @p loop (its sockets are
 * watched by the loop, its timeouts are loop timers). No thread, no blocking call.
 * @param out receives the resolver; free it with pw_resolver_destroy()
 * @param loop the loop (must outlive the resolver)
 * @param servers c-ares server list "IP[:PORT][,IP[:PORT]...]" ("127.0.0.1:5353",
 *        "[::1]:53"), or NULL for the system's (/etc/resolv.conf)
 * @param timeout_ms timeout of the first try (c-ares doubles it on each further round over
 *        the servers); 0 means 2000
 * @param tries attempts per server; 0 or less means 2
 * @return PW_OK; PW_EINVAL for NULL out/loop or a malformed server list; PW_ENOMEM;
 *         PW_EDNS if c-ares cannot be initialised
 */
pw_status_t pw_resolver_cares_create(pw_resolver_t **out, pw_loop_t *loop, const char *servers,
                                     uint64_t timeout_ms, int tries);

#endif /* PW_RESOLVER_H */
