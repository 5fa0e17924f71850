/* pw_enquiry.h: the chain enquiry (docs/protocol.md §2) as a struct: parse, validate, build, and relay answers hop to hop. */
#ifndef PW_ENQUIRY_H
#define PW_ENQUIRY_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "xmpp/pw_component.h"
#include "address/pw_jid.h"
#include "address/pw_msisdn.h"
#include "xmpp/pw_stanza.h"
#include "xmpp/pw_xml_text.h"

/** Namespace of the inter-component chain. */
#define PW_NS_CHAIN "urn:peerwatch:chain:1"

#define PW_ENQUIRY_REF_MAX 255
#define PW_ENQUIRY_SUBID_MAX 127
#define PW_ENQUIRY_DOMAIN_MAX 253

/** TS 23.141 A.1 step 1 a–d. */
typedef enum pw_enquiry_kind {
    PW_KIND_CURRENT = 0, /**< a) the current state */
    PW_KIND_CHANGES,     /**< b) all changes for a duration */
    PW_KIND_NEXT,        /**< c) the next change */
    PW_KIND_STOP         /**< d) stop telling me */
} pw_enquiry_kind_t;

/** The presentity's state (docs/protocol.md §1.1, RFC 6121 aggregate). */
typedef struct pw_presence_state {
    int available;
    char show[8];      /**< "", "away", "chat", "dnd", "xa" */
    char status[1024];
} pw_presence_state_t;

/** One enquiry as it travels the chain. Strings are bounded copies. */
typedef struct pw_enquiry {
    char ref[PW_ENQUIRY_REF_MAX + 1];
    pw_enquiry_kind_t kind;
    char presentity[PW_MSISDN_MAX + 1];       /**< E.164, or "" when addressed by JID */
    char presentity_jid[PW_JID_MAX + 1];      /**< bare JID, or "" */
    char watcher_msisdn[PW_MSISDN_MAX + 1];
    char watcher_jid[PW_JID_MAX + 1];
    char watcher_network[PW_ENQUIRY_DOMAIN_MAX + 1];
    uint32_t duration_s;                      /**< changes only, else 0 */
    char subscription[PW_ENQUIRY_SUBID_MAX + 1]; /**< optional */
    char proxy[PW_ENQUIRY_DOMAIN_MAX + 1];    /**< added by the gateway (protocol §5.1), or "" */
    int await_approval;                       /**< changes only: when the presentity has not yet
                                                   decided, hold a pending subscription for her
                                                   decision instead of refusing (protocol §5.1) */
} pw_enquiry_t;

/** A notification as it travels back PS -> GW -> WPP -> WA (docs/protocol.md §5.2). */
typedef struct pw_notify {
    char subscription[PW_ENQUIRY_SUBID_MAX + 1];
    char ref[PW_ENQUIRY_REF_MAX + 1];
    char proxy[PW_ENQUIRY_DOMAIN_MAX + 1];
    char watcher_jid[PW_JID_MAX + 1];
    char presentity[PW_MSISDN_MAX + 1];      /**< as the watcher addressed it, or "" */
    char presentity_jid[PW_JID_MAX + 1];     /**< or this */
    uint32_t seq;
    char ended[24];                          /**< "" or one of PW_NOTIFY_REASONS */
    char network[PW_ENQUIRY_DOMAIN_MAX + 1]; /**< proxy -> WA only: the network whose signature
                                                  the proxy verified (protocol §5.2), or "" */
    int has_state;
    pw_presence_state_t state;
} pw_notify_t;

/** @return "current", "changes", "next" or "stop" */
const char *pw_enquiry_kind_name(pw_enquiry_kind_t kind);

/**
 * @param name a kind name
 * @param out receives the kind
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_enquiry_kind_parse(const char *name, pw_enquiry_kind_t *out);

/**
 * Parse and validate a chain <enquiry xmlns='urn:peerwatch:chain:1'/>.
 * @param el the element
 * @param out receives the enquiry
 * @param cond receives the condition to answer with on failure (bad-request or jid-malformed)
 * @param why receives a readable reason naming the attribute
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_enquiry_parse(xmpp_stanza_t *el, pw_enquiry_t *out, pw_error_t *cond,
                             char *why, size_t cap);

/**
 * Build a chain <enquiry/> element.
 * @return a new element the caller releases, or NULL
 */
xmpp_stanza_t *pw_enquiry_build(xmpp_ctx_t *ctx, const pw_enquiry_t *e);

/**
 * Build an IQ set carrying the enquiry, addressed to 'to'.
 * @return a new stanza the caller releases (id unset: pw_component_send_iq() assigns one)
 */
xmpp_stanza_t *pw_enquiry_iq(xmpp_ctx_t *ctx, const pw_enquiry_t *e, const char *to);

/**
 * The address an enquiry is sent to (the gateway method's steps 4a and 7; new in protocol
 * version 1, docs/protocol.md §2.2-2.3): "<node>@<domain>", where node is the presentity as the
 * enquiry names it: its E.164 number as written in 'presentity' ("+12025550123@gateway.opb.example")
 * or, when the enquiry has no number, its bare JID 'presentity-jid' XEP-0106-escaped
 * ("bob\40opb.example@gateway.opb.example").
 * @param e the enquiry (caller-owned)
 * @param domain the receiving component's domain, e.g. "gateway.opb.example" (caller-owned)
 * @param out caller's buffer; "" on failure
 * @param cap size of @p out in bytes, NUL included (PW_JID_MAX + 1 always suffices)
 * @return PW_OK; PW_EINVAL for NULL arguments, a domain that is not a domain JID or an enquiry
 *         naming no valid presentity; PW_ERANGE when the address does not fit
 */
pw_status_t pw_enquiry_address(const pw_enquiry_t *e, const char *domain, char *out, size_t cap);

/**
 * Check the address an enquiry arrived at against the presentity it names (protocol version 1:
 * the attribute and the address must agree or the stanza is refused). The localpart agrees when
 * it equals 'presentity' exactly, or when, XEP-0106-unescaped, it is 'presentity-jid' ignoring
 * ASCII case (RFC 7622 §3.2-3.3: domains and, case-mapped, localparts; servers such as Prosody
 * rewrite 'to' case-mapped). Only the localpart is checked: the server routed the stanza by
 * its domain.
 * @param e the enquiry as parsed (caller-owned)
 * @param to the IQ's 'to' (caller-owned), or NULL
 * @param why receives the readable reason for a refusal (bad-request), e.g. "version 1
 *        addresses the presentity: send to +12025550123@gateway.opb.example"
 * @param cap size of @p why in bytes
 * @return PW_OK when they agree, else PW_EINVAL
 */
pw_status_t pw_enquiry_address_check(const pw_enquiry_t *e, const char *to, char *why, size_t cap);

/**
 * Build a <state xmlns='urn:peerwatch:0'/> element.
 * @return a new element the caller releases, or NULL
 */
xmpp_stanza_t *pw_state_build(xmpp_ctx_t *ctx, const pw_presence_state_t *st);

/**
 * Read a <state/> element.
 * @return PW_OK or PW_EINVAL when malformed
 */
pw_status_t pw_state_parse(xmpp_stanza_t *el, pw_presence_state_t *out);

/**
 * Answer request 'req' (whose payload element is named name in namespace ns) from the
 * outcome of the next hop: a result copies the <state/> and <subscription/> children of the
 * callee's payload into an element name/ns echoing the request's attributes; an error copies
 * the condition and text; a timeout or cancel answers remote-server-timeout with
 * timeout_text. Nothing of the callee's address is copied.
 * @param c the component answering
 * @param req the original request (kept by the caller)
 * @param outcome how the next hop ended
 * @param response its answer (NULL on timeout/cancel)
 * @param timeout_text the <text/> for a timeout, e.g. "the gateway of opb.example did not answer"
 * @return PW_OK or the send status
 */
pw_status_t pw_enquiry_relay(pw_component_t *c, xmpp_stanza_t *req, pw_iq_outcome_t outcome,
                             xmpp_stanza_t *response, const char *timeout_text);

/**
 * As pw_enquiry_relay(), and a result's <subscription/> names the network that answered in
 * its 'network' attribute (replacing any the callee wrote): how the proxy tells its WA which
 * network a subscription was made through, and so may notify it (docs/protocol.md §5.1).
 * @param network the network the enquiry went to, or NULL (as pw_enquiry_relay())
 */
pw_status_t pw_enquiry_relay_through(pw_component_t *c, xmpp_stanza_t *req,
                                     pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                                     const char *timeout_text, const char *network);

/**
 * Count one enquiry this component answered in peerwatch_enquiries_total{kind,outcome}
 * (docs/metrics.md): outcome "answered" for a result, else the condition's name, as answered.
 * @param c the component (its metrics registry; none: nothing is counted)
 * @param kind the kind's name (pw_enquiry_kind_name()), or NULL for an enquiry refused before
 *        its kind was read (counted as "invalid")
 * @param cond PW_ERR_NONE for a result, else the condition of the error answered
 */
void pw_enquiry_count(pw_component_t *c, const char *kind, pw_error_t cond);

/**
 * Answer an enquiry refused on its arrival with an error, and count it (pw_enquiry_count()).
 * @param c the component
 * @param iq the enquiry's IQ
 * @param e the enquiry as parsed, or NULL when it could not be (its kind is then "invalid")
 * @param cond the condition
 * @param text the readable <text/>
 * @return the send status
 */
pw_status_t pw_enquiry_refuse(pw_component_t *c, xmpp_stanza_t *iq, const pw_enquiry_t *e,
                              pw_error_t cond, const char *text);

/**
 * As pw_enquiry_count(), for an enquiry that was in flight: also records the time from its
 * arrival to its answer in peerwatch_enquiry_seconds{kind}.
 * @param started_ms when it arrived, on the component's loop clock (pw_loop_now())
 */
void pw_enquiry_answered(pw_component_t *c, pw_enquiry_kind_t kind, pw_error_t cond,
                         uint64_t started_ms);

/** Count one notification this component sent on (to the next hop, or to the watcher's client)
 *  in peerwatch_notifications_sent_total (no registry: nothing is counted). @param c the component */
void pw_notify_count_sent(pw_component_t *c);

/** Count one acknowledgement of a notification sent, in peerwatch_notifications_acked_total.
 *  @param c the component */
void pw_notify_count_acked(pw_component_t *c);

/**
 * Count charge records made durable (or the watcher side's records of enquiries sent), in
 * peerwatch_charge_records_written_total: the growth of pw_cdr_writer_stats()'s records.
 * @param c the component (no registry: nothing is counted)
 * @param n how many since the last count
 */
void pw_enquiry_count_charged(pw_component_t *c, uint64_t n);

/** The gauges the roles sample at scrape time (docs/metrics.md), one spelling for all. */
typedef enum pw_enquiry_gauge {
    PW_GAUGE_IN_FLIGHT = 0, /**< peerwatch_enquiries_in_flight: arrived, not yet answered */
    PW_GAUGE_SUBSCRIPTIONS, /**< peerwatch_subscriptions_active: subscriptions held */
    PW_GAUGE_UNACKED        /**< peerwatch_notifications_unacked: sent, awaiting acknowledgement */
} pw_enquiry_gauge_t;

/**
 * Register one of those gauges on the component's registry; pw_metrics_forget() with
 * the same owner removes it before the owner is freed.
 * @param c the component (no registry: PW_OK, nothing kept)
 * @param which the gauge
 * @param fn samples it
 * @param owner fn's argument, the role's state
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_enquiry_gauge(pw_component_t *c, pw_enquiry_gauge_t which, pw_gauge_fn fn,
                             void *owner);

/**
 * Parse and validate a <notify xmlns='urn:peerwatch:chain:1'/> (docs/protocol.md §5.2).
 * @param why receives a readable reason naming the attribute on failure
 * @return PW_OK or PW_EINVAL (answer bad-request)
 */
pw_status_t pw_notify_parse(xmpp_stanza_t *el, pw_notify_t *out, char *why, size_t cap);

/**
 * Build a <notify/> element (with its <state/> child when has_state).
 * @return a new element the caller releases, or NULL
 */
xmpp_stanza_t *pw_notify_build(xmpp_ctx_t *ctx, const pw_notify_t *n);

/**
 * Write the <notify/> element pw_notify_build() builds as XML text instead (no object tree):
 * the same attributes and <state/>, escaped (pw_xml_text.h).
 * @param n the notification
 * @param x the text it is appended to
 * @return PW_OK, or PW_ENOMEM (x->failed)
 */
pw_status_t pw_notify_text(const pw_notify_t *n, pw_xml_text_t *x);

/**
 * Build an IQ set carrying the notification, addressed to 'to'.
 * @return a new stanza the caller releases (id unset: pw_component_send_iq() assigns one), or NULL
 */
xmpp_stanza_t *pw_notify_iq(xmpp_ctx_t *ctx, const pw_notify_t *n, const char *to);

/**
 * Pass a notification on to the next hop and relay its acknowledgement (or error, or a
 * remote-server-timeout with timeout_text) back to the sender of req, keeping nothing once it
 * is answered (docs/protocol.md §5.2: no per-subscription state in relays). Answers req with an
 * error itself when the notification cannot be sent. Counts peerwatch_notifications_sent_total
 * and, for each acknowledgement, peerwatch_notifications_acked_total.
 * @param c the relaying component
 * @param req the notify IQ received (the caller keeps its reference)
 * @param n the parsed notification (rebuilt, so only valid attributes travel on)
 * @param signature a <signature/> to add to the notification sent (borrowed: the gateway's,
 *        pw_peering_sign_notify()), or NULL
 * @param to the next hop
 * @param timeout_text the <text/> for a timeout of the next hop
 * @return PW_OK when on its way, else the failure (req has been answered)
 */
pw_status_t pw_notify_forward(pw_component_t *c, xmpp_stanza_t *req, const pw_notify_t *n,
                              xmpp_stanza_t *signature, const char *to, const char *timeout_text);

/** The end reasons a notification's 'ended' may carry (docs/protocol.md §5.2), as people read the list. */
#define PW_NOTIFY_REASONS "expired, stopped, revoked, presentity-gone, fulfilled or declined"

/**
 * The end reason as the chain spells it.
 * @param reason an end reason as received (NULL allowed)
 * @return the same reason in static storage, or NULL when it is none of PW_NOTIFY_REASONS
 */
const char *pw_notify_reason(const char *reason);

/**
 * The name an approval request gives the watcher (docs/protocol.md §2.5): the XEP-0172 nick of
 * the subscription request, and the name of the roster item it creates once the presentity
 * approved: "+447700900001 (alice@opa.example)".
 * @param msisdn the watcher's number
 * @param watcher_jid the watcher's bare JID
 * @param out receives the name (truncated to cap - 1 characters)
 * @param cap the size of out
 */
void pw_approval_name(const char *msisdn, const char *watcher_jid, char *out, size_t cap);

#endif /* PW_ENQUIRY_H */
