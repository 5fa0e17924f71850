/* pw_hss.h: the HSS lookup protocol of docs/hss.md (urn:peerwatch:hss:0), both ends: the lookup a role sends and the record the HSS answers. */
#ifndef PW_HSS_H
#define PW_HSS_H

#include <stddef.h>
#include <strophe.h>

#include "address/pw_jid.h"
#include "address/pw_msisdn.h"
#include "chain/pw_enquiry.h"
#include "core/pw_status.h"
#include "xmpp/pw_component.h"

/** The namespace of <lookup/> and <subscriber/> (docs/hss.md). */
#define PW_HSS_NS "urn:peerwatch:hss:0"

/** A subscriber record as the HSS answers it (docs/hss.md §2). */
typedef struct pw_hss_record {
    char msisdn[PW_MSISDN_MAX + 1];                   /**< E.164, or "" when absent or invalid */
    char jid[PW_JID_MAX + 1];                         /**< bare account JID, or "" when absent or invalid */
    char presence_server[PW_ENQUIRY_DOMAIN_MAX + 1];  /**< the PS domain, or "" when absent or invalid */
    int active;                                       /**< status='active' */
    int barred;                                       /**< status='barred' */
    int prepaid;                                      /**< account='prepaid' */
    int has_balance;                                  /**< balance is a valid integer */
    long long balance;                                /**< in the operator's smallest unit */
} pw_hss_record_t;

/**
 * Ask the HSS for a subscriber by number or by account JID (exactly one of msisdn and jid).
 * @param c the component that asks
 * @param hss the HSS component's JID
 * @param msisdn the E.164 number, or NULL
 * @param jid the bare account JID, or NULL
 * @param cb told the outcome once (see pw_component_send_iq())
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_ECLOSED while the link is down
 */
pw_status_t pw_hss_lookup(pw_component_t *c, const char *hss, const char *msisdn, const char *jid,
                          pw_iq_result_cb cb, void *arg);

/** The HSS's promise to tell a component when its records change (docs/hss.md, "Changes told"): asked with
 *  <changes/> (IQ get), kept with <changed/> (IQ set from the HSS). */
#define PW_HSS_CHANGES "changes"
#define PW_HSS_CHANGED "changed"

/**
 * A role's link to its HSS: lookups, answered from a cache of earlier answers while the HSS
 * has promised, on the component's current connection, to say when its records change
 * (docs/hss.md, "Changes told"). Without that promise — an HSS that does not make it, a reconnection not
 * yet re-promised, the cache turned off — every lookup goes to the HSS, as pw_hss_lookup().
 * A <changed/> from the HSS empties the cache, so a record changed by a reload (a barred
 * watcher, a number moved to another presence server) takes effect as soon as without a
 * cache. Opaque; one per component.
 */
typedef struct pw_hss_client pw_hss_client_t;

/**
 * Create the link and register the <changed/> handler on c.
 * @param out receives the link; free with pw_hss_client_destroy()
 * @param c the component that asks (borrowed; outlives the link)
 * @param hss the HSS component's JID (copied)
 * @param cache_max most records kept (0: no cache, every lookup is asked)
 * @return PW_OK; PW_EINVAL without hss; PW_ENOMEM
 */
pw_status_t pw_hss_client_create(pw_hss_client_t **out, pw_component_t *c, const char *hss,
                                 size_t cache_max);

/**
 * Make *h a link to hss with cache_max, for settings applied at start or reload: the link is
 * kept when it already is one (its cache too), else a new one replaces it (the old one's
 * lookups in flight still reach their callers).
 * @param h the link to update, or NULL in *h to create one
 * @return PW_OK; PW_EINVAL; PW_ENOMEM (*h is then NULL: lookups fail until the next update)
 */
pw_status_t pw_hss_client_update(pw_hss_client_t **h, pw_component_t *c, const char *hss,
                                 size_t cache_max);

/** Free the link and its cache (the handler stays registered but answers nothing kept). NULL-safe. */
void pw_hss_client_destroy(pw_hss_client_t *h);

/**
 * Look a subscriber up, as pw_hss_lookup(): by number or by account JID (exactly one). cb is
 * called once, never from within this call, with the HSS's answer or a kept copy of it;
 * pw_component_cancel_iqs(c, arg) cancels it either way.
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_ECLOSED while the link is down and nothing is kept
 */
pw_status_t pw_hss_client_lookup(pw_hss_client_t *h, const char *msisdn, const char *jid,
                                 pw_iq_result_cb cb, void *arg);

/** @return how many answers the cache holds now */
size_t pw_hss_client_cached(const pw_hss_client_t *h);

/** @return 1 while answers are kept (the HSS promised to tell changes on this connection) */
int pw_hss_client_caching(const pw_hss_client_t *h);

/**
 * Read the <subscriber/> of an HSS result. Fields that are absent or fail their check are
 * left empty (strings) or 0 (flags), so each role decides what it needs.
 * @param result the result IQ
 * @param out receives the record
 * @return PW_OK, or PW_ENOTFOUND when the result carries no <subscriber/>
 */
pw_status_t pw_hss_record_parse(xmpp_stanza_t *result, pw_hss_record_t *out);

/**
 * Build the <subscriber/> element the HSS answers with.
 * @param ctx the libstrophe context
 * @param r the record (msisdn, jid and presence_server set)
 * @return a new element (release it), or NULL when out of memory
 */
xmpp_stanza_t *pw_hss_record_build(xmpp_ctx_t *ctx, const pw_hss_record_t *r);

#endif /* PW_HSS_H */
