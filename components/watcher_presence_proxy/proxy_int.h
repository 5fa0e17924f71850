/* proxy_int.h: what the Watcher Presence Proxy's source files share (not for use outside components/watcher_presence_proxy). */
#ifndef PW_PROXY_INT_H
#define PW_PROXY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "proxy.h"
#include "chain/pw_enquiry.h"
#include "dns/pw_dnscache.h"
#include "dns/pw_resolver.h"
#include "dns/pw_srv.h"
#include "xmpp/pw_calls.h"
#include "xmpp/pw_stanza.h"

/*
 * The files, from the top down (a file calls only the files below it):
 *   main.c      the program
 *   settings.c  the option table, the [prefixes] map, the check, pw_proxy_role
 *   lifecycle.c create, reload, destroy
 *   flow.c      the enquiry's path (TS 23.141 A.1 steps 3-5 and 10) and notifications (NOTE 1)
 *   network.c   DNS lookups in flight through the TTL cache; the prefix table
 *   gateways.c  the order the gateways are tried in and the failures remembered
 *   notify.c    who may send notifications
 */

/** Hard bound on enquiries in flight at once, at least [proxy] max_in_flight's maximum. */
#define PW_PROXY_MAX_INFLIGHT 1000000u

/** Longest DNS name the proxy queries, plus room for a trailing dot and the NUL. */
#define PW_PROXY_NAME_CAP (PW_RESOLVER_NAME_MAX + 2)

typedef struct pw_proxy_call pw_proxy_call_t;
typedef struct pw_proxy_lookup pw_proxy_lookup_t;

/**
 * What a finished NAPTR lookup hands back (network.c -> flow.c).
 * @param k the call (still in flight)
 * @param st PW_OK, PW_ENOTFOUND (negative answer), PW_ETIMEOUT or another failure
 * @param rrs the records (borrowed for the call's duration), n of them
 * @param how "DNS" for a fresh answer, "cache" for a cached one
 */
typedef void (*pw_proxy_naptr_fn)(pw_proxy_call_t *k, pw_status_t st, const pw_naptr_t *rrs,
                                  size_t n, const char *how);

/** As pw_proxy_naptr_fn, for SRV lookups. */
typedef void (*pw_proxy_srv_fn)(pw_proxy_call_t *k, pw_status_t st, const pw_srv_rr_t *rrs,
                                size_t n, const char *how);

/**
 * One DNS lookup in flight for a call. Allocated apart from the call so that, when the
 * proxy goes away before a borrowed resolver answers, the lookup can be orphaned (call NULL)
 * and freed by its callback.
 */
struct pw_proxy_lookup {
    pw_proxy_call_t *call;               /* NULL once orphaned */
    pw_proxy_lookup_t *prev, *next;      /* in the proxy's list while not orphaned */
    pw_proxy_naptr_fn on_naptr;          /* who gets a NAPTR answer */
    pw_proxy_srv_fn on_srv;              /* who gets an SRV answer */
    char name[PW_PROXY_NAME_CAP];        /* the queried name (the cache key) */
};

/** One enquiry in flight: the watcher's request while the proxy finds and asks a gateway. */
struct pw_proxy_call {
    pw_call_t call;                         /* first: the table's links and the request */
    pw_proxy_t *p;
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
    uint64_t started_ms;                    /* when it arrived (loop clock): its latency */
};

struct pw_proxy {
    pw_component_t *c;
    pw_proxy_settings_t *settings;
    pw_resolver_t *resolver;
    int own_resolver;
    pw_dnscache_t *cache;
    pw_map_t *failed;             /* gateway -> uint64_t *: tried last until (loop ms) */
    uint64_t rng;                 /* pw_srv_xorshift state */
    pw_calls_t *calls;            /* the enquiries in flight (pw_proxy_call_t) */
    pw_proxy_lookup_t *lookups;   /* DNS lookups in flight */
    int closing;                  /* pw_proxy_destroy() is running */
    pw_peering_replay_t *replay;  /* the notifications' signatures accepted (notify.c) */
};

/* ---- flow.c ---- */

/**
 * The chain <enquiry/> handler: the watcher's enquiry arrives (TS 23.141 A.1 step 3). The
 * answer (an error at once, or the gateway's answer later) goes to the watcher.
 * @param c the component
 * @param iq the request (borrowed; a call in flight keeps its own reference)
 * @param payload its <enquiry/>
 * @param arg the proxy
 */
void pw_proxy_on_enquiry(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg);

/**
 * The chain <notify/> handler: a peer network's gateway -> this operator's watcher
 * (TS 23.141 A.1 NOTE 1).
 * @param c the component
 * @param iq the notification (borrowed)
 * @param payload its <notify/>
 * @param arg the proxy
 */
void pw_proxy_on_notify(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg);

/* ---- network.c ---- */

/**
 * Start tracking a DNS lookup of name for a call (k->lookup); start it with
 * pw_proxy_lookup_naptr() or pw_proxy_lookup_srv().
 * @param k the call
 * @param name the name to query (copied; at most PW_RESOLVER_NAME_MAX bytes)
 * @return the lookup (freed by this file once answered or refused), or NULL when out of memory
 */
pw_proxy_lookup_t *pw_proxy_lookup_new(pw_proxy_call_t *k, const char *name);

/**
 * Ask the resolver for the NAPTR records of the lookup's name. The answer is cached (when
 * positive or negative) and handed to done, unless the call went away meanwhile; when the
 * proxy closes first, the call is answered "shutting down" instead.
 * @param l the lookup from pw_proxy_lookup_new()
 * @param done who gets the answer (never called from inside this call)
 * @return PW_OK, or the resolver's status when the lookup could not start (l is then freed)
 */
pw_status_t pw_proxy_lookup_naptr(pw_proxy_lookup_t *l, pw_proxy_naptr_fn done);

/**
 * As pw_proxy_lookup_naptr(), for SRV records.
 * @param l the lookup from pw_proxy_lookup_new()
 * @param done who gets the answer
 * @return PW_OK, or the resolver's status (l is then freed)
 */
pw_status_t pw_proxy_lookup_srv(pw_proxy_lookup_t *l, pw_proxy_srv_fn done);

/**
 * Orphan a call's lookup: the call no longer waits on it; the lookup's callback frees it.
 * @param l the lookup, or NULL
 */
void pw_proxy_lookup_orphan(pw_proxy_lookup_t *l);

/**
 * Orphan every DNS lookup in flight (their calls no longer wait on them); used when the
 * proxy is destroyed while a borrowed resolver still holds lookups.
 * @param p the proxy
 */
void pw_proxy_lookups_orphan(pw_proxy_t *p);

/* ---- gateways.c ---- */

/**
 * Take an SRV answer as the call's targets (k->targets, k->order, k->ntargets) in RFC 2782
 * order, with the gateways that failed within [proxy] failed_target_hold moved behind the
 * others (RFC 2782 leaves retry strategy to the client).
 * @param k the call (its targets and order are freed with it)
 * @param rrs the records (copied), n >= 1 of them
 * @param n how many
 * @return PW_OK; PW_ENOTFOUND when the answer says the service is decidedly not available
 *         (target "."); PW_ENOMEM; or pw_srv_order()'s status for an unusable answer
 */
pw_status_t pw_proxy_targets_set(pw_proxy_call_t *k, const pw_srv_rr_t *rrs, size_t n);

/**
 * The target at position at of the call's order, as a lower-case domain without a trailing dot.
 * @param k the call (targets set)
 * @param at the position, below k->ntargets
 * @param out receives it, cap bytes
 * @param cap size of out
 * @return 1, or 0 when the target is not a usable domain
 */
int pw_proxy_target_name(const pw_proxy_call_t *k, size_t at, char *out, size_t cap);

/**
 * @param cond a gateway's error condition
 * @return whether the next target is tried after it (the gateway could not be reached)
 */
int pw_proxy_fails_over_on(pw_error_t cond);

/**
 * Remember that a gateway failed: it is tried last for [proxy] failed_target_hold.
 * @param p the proxy
 * @param target the gateway's domain (copied)
 */
void pw_proxy_failure_remember(pw_proxy_t *p, const char *target);

/**
 * Forget that a gateway failed (it answered).
 * @param p the proxy
 * @param target the gateway's domain
 */
void pw_proxy_failure_forget(pw_proxy_t *p, const char *target);

/**
 * Forget every remembered failure and free the table (destroy).
 * @param p the proxy
 */
void pw_proxy_failures_clear(pw_proxy_t *p);

/* ---- notify.c ---- */

/**
 * May from send notifications to this operator's watcher (docs/protocol.md §5.2, §7)? It must
 * be a component (no localpart: never a user) of a network of [proxy] notify_from (the
 * network or a subdomain). Checked before the payload is read.
 * @param p the proxy
 * @param from the sender's JID, or NULL
 * @param domain receives the sender's domain (PW_JID_PART_MAX + 1 bytes)
 * @param network receives the network it may speak for (owned by the settings)
 * @param why receives the reason on refusal
 * @param cap size of why
 * @return 1 when it may, 0 otherwise (then answer not-authorized)
 */
int pw_proxy_notify_sender_ok(const pw_proxy_t *p, const char *from,
                              char domain[PW_JID_PART_MAX + 1], const char **network, char *why,
                              size_t cap);

/**
 * Is a notification signed by network (docs/protocol.md §5.2): its <signature/> over its signed
 * string, verified with <notify_keys>/<network>.pub, and fresh (p->replay)?
 * @param p the proxy
 * @param from_domain the sender's domain (pw_proxy_notify_sender_ok())
 * @param payload its <notify/>
 * @param n the notification parsed from payload; on success n->network is set to network
 * @param network the network its sender may speak for (pw_proxy_notify_sender_ok())
 * @param why receives the reason on refusal
 * @param cap size of why
 * @return PW_ERR_NONE when accepted; else the condition to answer: not-authorized, or
 *         resource-constraint when the replay table is full, internal-server-error when
 *         OpenSSL fails
 */
pw_error_t pw_proxy_notify_signed(pw_proxy_t *p, const char *from_domain, xmpp_stanza_t *payload,
                                  pw_notify_t *n, const char *network, char *why, size_t cap);

#endif /* PW_PROXY_INT_H */
