/* proxy_int.h: what the Watcher Presence Proxy's source files share (not for use outside gateway/proxy). */
#ifndef PW_PROXY_INT_H
#define PW_PROXY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "proxy.h"
#include "dns/pw_dnscache.h"
#include "chain/pw_enquiry.h"
#include "dns/pw_resolver.h"
#include "dns/pw_srv.h"
#include "xmpp/pw_stanza.h"

/** Most enquiries in flight at once (further ones get resource-constraint). */
#define PW_PROXY_MAX_INFLIGHT 65536u

/** Longest DNS name the proxy queries, plus room for a trailing dot and the NUL. */
#define PW_PROXY_NAME_CAP (PW_RESOLVER_NAME_MAX + 2)

typedef struct pw_proxy_call pw_proxy_call_t;
typedef struct pw_proxy_lookup pw_proxy_lookup_t;

/**
 * One DNS lookup in flight for a call. Allocated apart from the call so that, when the
 * proxy goes away before a borrowed resolver answers, the lookup can be orphaned (call NULL)
 * and freed by its callback.
 */
struct pw_proxy_lookup {
    pw_proxy_call_t *call;               /* NULL once orphaned */
    pw_proxy_lookup_t *prev, *next;      /* in the proxy's list while not orphaned */
    char name[PW_PROXY_NAME_CAP];        /* the queried name (the cache key) */
};

/** One enquiry in flight: the watcher's request while the proxy finds and asks a gateway. */
struct pw_proxy_call {
    pw_proxy_t *p;
    pw_proxy_call_t *prev, *next;
    xmpp_stanza_t *req;                     /* clone of the watcher's IQ */
    pw_enquiry_t e;                         /* as parsed */
    char network[PW_ENQUIRY_DOMAIN_MAX + 1];/* the presentity's network, once derived */
    pw_proxy_lookup_t *lookup;              /* the DNS lookup waited on, or NULL */
    pw_srv_rr_t *targets;                   /* the SRV answer (malloc'd), once known */
    size_t *order;                          /* RFC 2782 order: indices into targets */
    size_t ntargets;
    size_t at;                              /* position in order of the target being tried */
    char target[PW_ENQUIRY_DOMAIN_MAX + 1]; /* the gateway being tried */
    int last_timeout;                       /* the last target's failure was a timeout */
    pw_error_t last_cond;                   /* the last target's error condition */
};

struct pw_proxy {
    pw_component_t *c;
    pw_proxy_settings_t *settings;
    pw_resolver_t *resolver;
    int own_resolver;
    pw_dnscache_t *cache;
    pw_map_t *failed;             /* gateway -> uint64_t *: tried last until (loop ms) */
    uint64_t rng;                 /* pw_srv_xorshift state */
    pw_proxy_call_t *calls;       /* in flight */
    size_t ncalls;
    pw_proxy_lookup_t *lookups;   /* DNS lookups in flight */
    int closing;                  /* pw_proxy_destroy() is running */
};

/**
 * The <notify/> handler (notify.c): a peer network's gateway -> this operator's watcher.
 */
void pw_proxy_on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg);

/**
 * Answer the watcher with an error and free the call.
 * @param k the call (freed)
 * @param cond the condition
 * @param text the readable text
 */
void pw_proxy_call_fail(pw_proxy_call_t *k, pw_error_t cond, const char *text);

/** Answer service-unavailable "the proxy of NETWORK is shutting down" and free the call. */
void pw_proxy_call_shutting_down(pw_proxy_call_t *k);

/** Free a call (unlinks it; its lookup, if any, is orphaned). */
void pw_proxy_call_free(pw_proxy_call_t *k);

/**
 * Find the presentity's network (JID domain, ENUM through the cache, then the prefix
 * table) and its gateways (SRV through the cache), then hand over to pw_proxy_forward().
 * Answers the watcher itself when either cannot be found. Never blocks.
 * @param k the call (may be freed before this returns)
 */
void pw_proxy_locate(pw_proxy_call_t *k);

/**
 * Orphan every DNS lookup in flight (their calls no longer wait on them); used when the
 * proxy is destroyed while a borrowed resolver still holds lookups.
 */
void pw_proxy_lookups_orphan(pw_proxy_t *p);

/**
 * Send the signed enquiry to the call's targets in order (k->targets, k->order, k->ntargets
 * set, k->at 0), failing over on a timeout or a remote-server-not-found,
 * remote-server-timeout or service-unavailable error, and relay the answer to the watcher.
 * @param k the call (may be freed before this returns)
 */
void pw_proxy_forward(pw_proxy_call_t *k);

/**
 * Move the targets that failed within [proxy] failed_target_hold behind the others, keeping
 * the RFC 2782 order within each group (RFC 2782 leaves retry strategy to the client).
 */
void pw_proxy_prefer_healthy(pw_proxy_call_t *k);

/** Forget every remembered failure (destroy). */
void pw_proxy_failed_clear(pw_proxy_t *p);

#endif /* PW_PROXY_INT_H */
