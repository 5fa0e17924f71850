/* flow.c: a lookup's path through the HSS, top-down: it arrives, the sender is checked, the subscriber found, the record answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hss_int.h"
#include "subscriber_db.h"
#include "address/pw_jid.h"
#include "address/pw_msisdn.h"
#include "chain/pw_hss.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"


static void on_lookup(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *lookup, void *arg);
static int sender_allowed(const hss_t *hss, const char *from);
static pw_error_t find_subscriber(const hss_t *hss, xmpp_stanza_t *lookup, hss_subscriber_t *sub,
                                  char *key, size_t keycap, char *why, size_t whycap);
static void answer_record(pw_component_t *c, xmpp_stanza_t *iq, const hss_subscriber_t *s);
static void refuse(pw_component_t *c, xmpp_stanza_t *iq, pw_error_t cond, const char *text);
static void count(pw_component_t *c, pw_error_t cond);

/*
 * A lookup arrives: <lookup msisdn='…'/> or <lookup jid='…'/> from one of the operator's own
 * components. The Watcher Application asks while it authenticates A and checks A's credit
 * (TS 23.141 A.1 step 2; gateway method step 2); the Gateway Presence Server asks for the
 * address of B's presence server (gateway method step 5; TS 23.141 A.1 step 6).
 */
static void on_lookup(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *lookup, void *arg)
{
    hss_t *hss = arg;
    hss_subscriber_t sub;
    char key[PW_JID_MAX + 1], why[PW_JID_MAX + 64];
    pw_error_t cond;

    if (!sender_allowed(hss, xmpp_stanza_get_from(iq))) {
        refuse(c, iq, PW_ERR_FORBIDDEN, "only this operator's own components may query the HSS");
        return;
    }
    cond = find_subscriber(hss, lookup, &sub, key, sizeof key, why, sizeof why);
    if (cond != PW_ERR_NONE) {
        refuse(c, iq, cond, why);
        return;
    }
    pw_debug(xmpp_stanza_get_id(iq), "lookup %s -> %s", key, sub.jid);
    answer_record(c, iq, &sub);
}

/*
 * Only the operator's own components may ask (the [hss] allow list, bare JIDs or component
 * domains): the WA of TS 23.141 A.1 step 2 / gateway method step 2, the gateway of gateway
 * method step 5.
 */
static int sender_allowed(const hss_t *hss, const char *from)
{
    char bare[PW_JID_MAX + 1];
    if (!from || pw_jid_bare(from, bare, sizeof bare) != PW_OK)
        return 0;
    for (size_t i = 0; i < hss->settings->allow.n; i++) {
        if (strcasecmp(bare, hss->settings->allow.items[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * Find the subscriber by MSISDN (B's number in gateway method step 5, A's in step 2) or by
 * JID (A's account, TS 23.141 A.1 step 2).
 * @param key receives the key looked up (the number, or the bare JID)
 * @param why receives the text of the error
 * @return PW_ERR_NONE and *sub filled, or the condition to answer
 */
static pw_error_t find_subscriber(const hss_t *hss, xmpp_stanza_t *lookup, hss_subscriber_t *sub,
                                  char *key, size_t keycap, char *why, size_t whycap)
{
    const char *msisdn = xmpp_stanza_get_attribute(lookup, "msisdn");
    const char *jid = xmpp_stanza_get_attribute(lookup, "jid");
    pw_status_t rc;

    key[0] = '\0';
    if (!msisdn == !jid) {
        snprintf(why, whycap, "a lookup names exactly one of 'msisdn' or 'jid'");
        return PW_ERR_BAD_REQUEST;
    }
    if (msisdn) {
        if (!pw_msisdn_is_e164(msisdn)) {
            snprintf(why, whycap, "'msisdn' must be an E.164 number such as +12025550123");
            return PW_ERR_JID_MALFORMED;
        }
        snprintf(key, keycap, "%s", msisdn);
        rc = hss_db_find_msisdn(hss->db, msisdn, sub);
        snprintf(why, whycap, "no subscriber has the number %s", msisdn);
    } else {
        if (pw_jid_bare(jid, key, keycap) != PW_OK || strchr(key, '@') == NULL) {
            snprintf(why, whycap, "'jid' must be a user's bare JID such as alice@opa.example");
            return PW_ERR_JID_MALFORMED;
        }
        rc = hss_db_find_jid(hss->db, key, sub);
        snprintf(why, whycap, "no subscriber has the address %s", key);
    }
    return rc == PW_OK ? PW_ERR_NONE : PW_ERR_ITEM_NOT_FOUND;
}

/* Copy s into out. @return 0, or -1 when it does not fit. */
static int copy_field(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        return -1;
    memcpy(out, s, n + 1);
    return 0;
}

/*
 * Answer the record: the address of B's presence server is returned (gateway method step 6),
 * or A's status and credit to the WA (TS 23.141 A.1 step 2; gateway method step 2).
 */
static void answer_record(pw_component_t *c, xmpp_stanza_t *iq, const hss_subscriber_t *s)
{
    pw_hss_record_t r;
    xmpp_stanza_t *sub;

    memset(&r, 0, sizeof r);
    /* the database's limits (E.164, 1023-byte localparts, 253-byte domains) always fit */
    if (copy_field(r.msisdn, sizeof r.msisdn, s->msisdn) != 0 ||
        copy_field(r.jid, sizeof r.jid, s->jid) != 0 ||
        copy_field(r.presence_server, sizeof r.presence_server, s->presence_server) != 0) {
        refuse(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "subscriber record too long");
        return;
    }
    r.active = !s->barred;
    r.barred = s->barred;
    r.prepaid = s->prepaid;
    r.has_balance = 1;
    r.balance = (long long)s->balance;
    sub = pw_hss_record_build(pw_component_ctx(c), &r);
    if (!sub) {
        refuse(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    pw_component_reply_payload(c, iq, sub);
    xmpp_stanza_release(sub);
    count(c, PW_ERR_NONE);
}

/* Answer a lookup with an error, counted. */
static void refuse(pw_component_t *c, xmpp_stanza_t *iq, pw_error_t cond, const char *text)
{
    pw_component_reply_error(c, iq, cond, text);
    count(c, cond);
}

/* Count a lookup answered in peerwatch_hss_lookups_total{outcome} (docs/metrics.md): "answered"
 * with a record, else the condition (item-not-found: no such subscriber). */
static void count(pw_component_t *c, pw_error_t cond)
{
    char labels[64];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", cond == PW_ERR_NONE ? "answered" : pw_error_name(cond));
    pw_counter_inc(pw_metrics_counter(pw_component_metrics(c), "peerwatch_hss_lookups_total",
                                      "Subscriber lookups answered, by outcome (answered or the error condition)",
                                      labels));
}

/* ---- registration ---- */

/* ---- docs/hss.md, "Changes told": telling the components that keep answers when the records change ---- */

/*
 * A component asks for the promise (<changes/>): only the components of the allow list are
 * told of changes, so only they may keep answers; a user JID on the list keeps nothing.
 */
static void on_changes(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    hss_t *hss = arg;
    const char *from = xmpp_stanza_get_from(iq);
    (void)payload;

    if (!sender_allowed(hss, from) || strchr(from, '@')) {
        refuse(c, iq, PW_ERR_FORBIDDEN,
               "only this operator's own components (the [hss] allow list) are told of changes");
        return;
    }
    pw_component_reply_result(c, iq);
}

static void on_changed_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                              void *arg)
{
    (void)c;
    (void)response;
    (void)arg;
    if (outcome == PW_IQ_ERROR || outcome == PW_IQ_TIMEOUT) /* it is away: it forgets on reconnecting */
        pw_debug(NULL, "a component was not told of the change (%s)",
                 outcome == PW_IQ_ERROR ? "error" : "no answer");
}

void hss_flow_tell_changed(hss_t *hss, const pw_config_list_t *components)
{
    for (size_t i = 0; i < components->n; i++) {
        xmpp_stanza_t *iq;
        if (strchr(components->items[i], '@')) /* a user: keeps nothing */
            continue;
        iq = xmpp_iq_new(pw_component_ctx(hss->component), "set", NULL);
        if (!iq)
            return;
        xmpp_stanza_set_to(iq, components->items[i]);
        if (!pw_stanza_add_child(iq, PW_HSS_CHANGED, PW_HSS_NS) ||
            pw_component_send_iq(hss->component, iq, 0, on_changed_answer, hss) != PW_OK)
            pw_warn(NULL, "cannot tell %s that the records changed", components->items[i]);
        xmpp_stanza_release(iq);
    }
}

pw_status_t hss_flow_attach(hss_t *hss)
{
    pw_status_t rc = pw_component_on_iq(hss->component, PW_HSS_NS, "lookup", PW_IQ_GET, on_lookup, hss);
    if (rc == PW_OK)
        rc = pw_component_on_iq(hss->component, PW_HSS_NS, PW_HSS_CHANGES, PW_IQ_GET, on_changes, hss);
    if (rc == PW_OK)
        rc = pw_component_add_feature(hss->component, PW_HSS_NS);
    return rc;
}
