/* presence_int.h: the Presence Server's state and the internals its files share (lifecycle.c, flow.c, approval.c, privilege.c). */
#ifndef PS_PRESENCE_INT_H
#define PS_PRESENCE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "charging/pw_cdr.h"
#include "chain/pw_enquiry.h"
#include "core/pw_list.h"
#include "core/pw_map.h"
#include "xmpp/pw_calls.h"
#include "presence.h"
#include "pw_subs.h"
#include "pw_watchers.h"

/*
 * Layers (a file calls only those below it):
 *   settings.c    the option table, the check, the role (calls lifecycle.c)
 *   lifecycle.c   life cycle: create, reload, destroy, accessors
 *   flow.c        an enquiry's path: TS 23.141 A.1 steps 7-10 and NOTES 1-2
 *   approval.c    the approval request to the own WA, once per pair per interval; her
 *                 decision, and the name of the roster item it created
 *   privilege.c   XEP-0356: the servers' privileges, their users' presences, the link
 *   roster.c      the roster read, the one verdict, the naming set; subscriptions (pw_subs.h) below
 */

#define PS_TEXT_MAX 512 /* an error <text/> */
#define PS_KEY_MAX (PW_JID_MAX + PW_MSISDN_MAX + 2)

struct ps_job;
struct ps_areq;

struct pw_presence {
    pw_component_t *c;
    const pw_presence_settings_t *s;
    pw_ptable_t *table;
    pw_subs_t *subs;
    pw_watchers_t *watchers;
    pw_map_t *privs;             /* server domain -> privileges (privilege.c) */
    pw_map_t *approvals;         /* approval key -> approval.c's ps_asked_t (when, for whom) */
    uint64_t approvals_swept_ms;
    pw_list_t areqs;             /* approval and naming IQs in flight (approval.c's ps_areq_t) */
    pw_cdr_writer_t *cdr;
    uint64_t cdr_counted;        /* charge records counted as written (flow.c's commit hook) */
    uint64_t cdr_probe_ms;
    int cdr_probed;
    pw_cdr_record_t rec;         /* scratch (large) */
    pw_calls_t *calls;           /* the enquiries in progress (flow.c's jobs) */
    pw_list_t queue;             /* of them, those awaiting the commit, in order */
    int hooked;
};

/* ------------------------------------------------------------------ flow.c */

/**
 * Take enquiries: the table of enquiries in progress, the commit hook on the loop, the
 * enquiry handler and its disco feature.
 * @param ps the server (its component, cdr and subs set)
 * @return PW_OK, PW_ENOMEM or PW_EFULL
 */
pw_status_t pw_presence_flow_start(pw_presence_t *ps);

/**
 * Stop taking enquiries (later ones get service-unavailable) and drop those in progress
 * unanswered (their subscriptions aborted, their roster reads cancelled).
 * @param ps the server
 */
void pw_presence_flow_stop(pw_presence_t *ps);

/* ------------------------------------------------------------------ approval.c */

/** Set up the table of approval requests. @param ps the server @return PW_OK or PW_ENOMEM */
pw_status_t pw_presence_approval_init(pw_presence_t *ps);

/**
 * Ask the own Watcher Application to send the presentity a subscription request on the
 * watcher's behalf (docs/protocol.md §2.5), at most once per pair per approval_interval.
 * @param ps the server
 * @param e the enquiry that found no roster item for its watcher
 */
void pw_presence_approval_request(pw_presence_t *ps, const pw_enquiry_t *e);

/** Cancel the requests in flight and free the table. @param ps the server */
void pw_presence_approval_fini(pw_presence_t *ps);

/* ------------------------------------------------------------------ privilege.c */

/**
 * Listen to the server: privilege advertisements, users' presences, link state.
 * @param ps the server (its table and subs set)
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_presence_privilege_start(pw_presence_t *ps);

/** Stop listening and forget the privileges (NULL-safe parts: harmless when never started). @param ps the server */
void pw_presence_privilege_stop(pw_presence_t *ps);

#endif /* PS_PRESENCE_INT_H */
