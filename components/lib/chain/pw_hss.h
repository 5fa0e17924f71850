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
