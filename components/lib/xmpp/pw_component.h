/* pw_component.h: the component core: stanza dispatch, outgoing-IQ table, disco/version/ping, XEP-0050 commands, transport interface. */
#ifndef PW_COMPONENT_H
#define PW_COMPONENT_H

#include <stdint.h>
#include <strophe.h>

#include "core/pw_loop.h"
#include "core/pw_metrics.h"
#include "xmpp/pw_stanza.h"
#include "core/pw_status.h"

/** A component: one XMPP address, its handlers and its pending outgoing IQs. Opaque. */
typedef struct pw_component pw_component_t;

/* ---- transport interface ---- */

/**
 * How a component reaches its XMPP server. The real one is the XEP-0114 connection
 * (pw_transport_strophe_create(), pw_transport.h); unit tests plug in an in-memory fake.
 * A transport reports back with pw_component_transport_up(), pw_component_transport_down()
 * and pw_component_deliver().
 */
typedef struct pw_transport pw_transport_t;

typedef struct pw_transport_ops {
    /** Begin connecting (asynchronously). */
    pw_status_t (*start)(pw_transport_t *t);
    /** Queue a stanza for sending; the transport takes no reference beyond the call. */
    pw_status_t (*send)(pw_transport_t *t, xmpp_stanza_t *stanza);
    /** Disconnect cleanly and stop reconnecting. */
    void (*stop)(pw_transport_t *t);
    /** Free the transport (called by pw_component_destroy()). */
    void (*destroy)(pw_transport_t *t);
    /** Queue a stanza serialized already (len bytes of XML text, one whole stanza); the
     *  transport copies what it keeps. */
    pw_status_t (*send_raw)(pw_transport_t *t, const char *text, size_t len);
} pw_transport_ops_t;

/** The base every transport starts with. */
struct pw_transport {
    const pw_transport_ops_t *ops;
    pw_component_t *component; /**< set by pw_component_create() */
};

/** Component identity and behaviour. Strings are copied. */
typedef struct pw_component_opts {
    const char *jid;            /**< the component's domain, e.g. "hss.opa.example" */
    const char *name;           /**< software name for XEP-0092, e.g. "peerwatch-hss" */
    const char *version;        /**< software version for XEP-0092 */
    const char *disco_category; /**< XEP-0030 identity category, e.g. "component" */
    const char *disco_type;     /**< XEP-0030 identity type, e.g. "generic" */
    const char *disco_name;     /**< XEP-0030 identity name (human readable) */
    uint64_t iq_timeout_ms;     /**< default timeout of outgoing IQs (0: 10 s) */
    pw_metrics_t *metrics;      /**< the process's metrics (borrowed, may be NULL: none kept) */
} pw_component_opts_t;

/**
 * Create a component.
 * @param out receives the component (pw_component_destroy())
 * @param loop the event loop its timers run on (borrowed; must outlive the component)
 * @param ctx the libstrophe context its stanzas are made in (borrowed)
 * @param opts identity (copied)
 * @param transport how it talks to its server; the component takes ownership
 *        (it is destroyed with the component, even when create fails)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_component_create(pw_component_t **out, pw_loop_t *loop, xmpp_ctx_t *ctx,
                                const pw_component_opts_t *opts, pw_transport_t *transport);

/**
 * Destroy a component: pending IQ callbacks fire with PW_IQ_CANCELLED first, then the
 * transport is destroyed.
 * @param c the component, or NULL
 */
void pw_component_destroy(pw_component_t *c);

/** Start the transport (connect). */
pw_status_t pw_component_start(pw_component_t *c);

/** Stop the transport (disconnect cleanly, no reconnect). */
void pw_component_stop(pw_component_t *c);

/** @return the component's JID (its domain) */
const char *pw_component_jid(const pw_component_t *c);
/** @return the libstrophe context stanzas are made in */
xmpp_ctx_t *pw_component_ctx(const pw_component_t *c);
/** @return the event loop */
pw_loop_t *pw_component_loop(const pw_component_t *c);
/** @return the process's metrics registry for the role's figures (NULL: none kept; every
 *          pw_metrics function accepts NULL) */
pw_metrics_t *pw_component_metrics(const pw_component_t *c);
/** @return non-zero while the transport is up (handshake done) */
int pw_component_online(const pw_component_t *c);

/* ---- handlers ---- */

/** Which IQ types a handler takes. */
#define PW_IQ_GET 0x1u
#define PW_IQ_SET 0x2u

/**
 * Handles a request IQ. It must answer (now or later) with pw_component_reply_*()
 * or pw_component_send(); the stanza is valid during the call only (clone to keep it).
 * @param iq the whole IQ
 * @param payload its single child element
 */
typedef void (*pw_iq_handler)(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload,
                              void *arg);

/** Handles a message or presence stanza; valid during the call only. */
typedef void (*pw_stanza_handler)(pw_component_t *c, xmpp_stanza_t *stanza, void *arg);

/** Called when the transport comes up (after each successful (re)connection) or goes down. */
typedef void (*pw_link_handler)(pw_component_t *c, int online, void *arg);

/**
 * Route request IQs whose payload is <name xmlns=ns/> (name NULL: any element in ns).
 * Requests nobody handles get service-unavailable (RFC 6120 §8.4). Later registrations for
 * the same (ns, name) replace earlier ones.
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_component_on_iq(pw_component_t *c, const char *ns, const char *name,
                               unsigned types, pw_iq_handler fn, void *arg);

/**
 * Route every <message/> to fn. With none (NULL), a chat, normal or groupchat message is
 * answered service-unavailable (RFC 6121 §8.5.2) and headlines and errors are dropped.
 */
void pw_component_on_message(pw_component_t *c, pw_stanza_handler fn, void *arg);

/** Route every <presence/> to fn (NULL to drop them). */
void pw_component_on_presence(pw_component_t *c, pw_stanza_handler fn, void *arg);

/** Be told when the link comes up or goes down. */
void pw_component_on_link(pw_component_t *c, pw_link_handler fn, void *arg);

/**
 * Advertise a feature in XEP-0030 disco#info (the runtime already lists disco#info,
 * disco#items, urn:xmpp:ping and jabber:iq:version). A feature advertised already is not
 * listed twice.
 * @return PW_OK, PW_ENOMEM or PW_EFULL (more than 32 features)
 */
pw_status_t pw_component_add_feature(pw_component_t *c, const char *ns);

/* ---- XEP-0050 ad-hoc commands ---- */

/** Whether the sender of a disco#items request (its full JID, may be NULL) sees a command. */
typedef int (*pw_command_visible_fn)(const char *from, void *arg);

/**
 * Offer an XEP-0050 command. The component then owns the commands namespace: it routes each
 * <command xmlns='http://jabber.org/protocol/commands' node=.../> set to the node's handler (an
 * unknown node gets item-not-found), lists the commands in disco#items of the node
 * 'http://jabber.org/protocol/commands' (XEP-0050 §2.2), answers disco#info of a command's node
 * (§2.3) and advertises the commands feature. The handler answers like any pw_iq_handler
 * (payload is the <command/> element) and checks who may run it.
 * @param node the command's node (copied), e.g. "urn:peerwatch:metrics"
 * @param name its human-readable name (copied)
 * @param fn the handler
 * @param visible who sees the command listed (§2.2 lets the list depend on the requester):
 *        visible(from, arg) non-zero; NULL: everyone. The handler still checks who runs it.
 * @param arg the handler's and visible's argument
 * Offering a node again replaces its name, handler, visibility and argument.
 * @return PW_OK; PW_EEXIST (a role routes the commands namespace itself with
 *         pw_component_on_iq()); PW_EFULL (more than 8); PW_EINVAL; PW_ENOMEM
 */
pw_status_t pw_component_add_command(pw_component_t *c, const char *node, const char *name,
                                     pw_iq_handler fn, pw_command_visible_fn visible, void *arg);

/**
 * List the commands in the component's own disco#items (no node) too, where a person browsing
 * the service finds them.
 */
void pw_component_list_commands_at_root(pw_component_t *c);

/* ---- sending ---- */

/**
 * Send a stanza. 'from' is set to the component's JID when absent (ejabberd closes the
 * stream otherwise). The caller keeps its reference.
 * @return PW_OK, or PW_ECLOSED while the transport is down (the stanza is not queued)
 */
pw_status_t pw_component_send(pw_component_t *c, xmpp_stanza_t *stanza);

/** Answer a request with an empty result. */
pw_status_t pw_component_reply_result(pw_component_t *c, xmpp_stanza_t *request);

/**
 * Answer a request with a result carrying payload (a copy is sent; caller keeps payload).
 */
pw_status_t pw_component_reply_payload(pw_component_t *c, xmpp_stanza_t *request,
                                       xmpp_stanza_t *payload);

/** Answer a stanza with an RFC 6120 error and a readable text (logged with the id). */
pw_status_t pw_component_reply_error(pw_component_t *c, xmpp_stanza_t *request,
                                     pw_error_t cond, const char *text);

/** How an outgoing IQ ended. */
typedef enum pw_iq_outcome {
    PW_IQ_RESULT,    /**< type='result' arrived */
    PW_IQ_ERROR,     /**< type='error' arrived */
    PW_IQ_TIMEOUT,   /**< nothing arrived in time */
    PW_IQ_CANCELLED  /**< the component is being destroyed, or pw_component_cancel_iqs() */
} pw_iq_outcome_t;

/**
 * Told how an outgoing IQ ended.
 * @param response the result or error (valid during the call), NULL on timeout/cancel
 */
typedef void (*pw_iq_result_cb)(pw_component_t *c, pw_iq_outcome_t outcome,
                                xmpp_stanza_t *response, void *arg);

/**
 * Send a request IQ and be called back once with its outcome. An id is assigned when the
 * stanza has none. Only a response from the address the request went to is accepted.
 * @param iq the request (type get/set, 'to' required); the caller keeps its reference
 * @param timeout_ms 0 for the component's default
 * @param cb called exactly once (not from within this call) unless this call fails
 * @return PW_OK; PW_ECLOSED while the transport is down; PW_EINVAL; PW_ENOMEM
 */
pw_status_t pw_component_send_iq(pw_component_t *c, xmpp_stanza_t *iq, uint64_t timeout_ms,
                                 pw_iq_result_cb cb, void *arg);

/**
 * As pw_component_send_iq(), for a wrapper whose callback argument is its own state:
 * pw_component_cancel_iqs(c, cancel_key) cancels this IQ (the wrapper's callback is then
 * told PW_IQ_CANCELLED), so the caller's own argument still cancels what it started.
 * @param cancel_key what pw_component_cancel_iqs() matches (pw_component_send_iq(): arg)
 * @return as pw_component_send_iq()
 */
pw_status_t pw_component_send_iq_keyed(pw_component_t *c, xmpp_stanza_t *iq, uint64_t timeout_ms,
                                       pw_iq_result_cb cb, void *arg, void *cancel_key);

/**
 * Answer a request without the network, e.g. from a cache: cb is called once, from the loop
 * (never from within this call), with PW_IQ_RESULT and a clone of response, exactly as if the
 * answer had arrived; until then it counts as a pending IQ, and pw_component_cancel_iqs(c,
 * cancel_key) or pw_component_destroy() cancel it like one. Works while the link is down too.
 * @param response the answer to give (cloned: the caller keeps its reference)
 * @return PW_OK; PW_EINVAL without response or cb; PW_ENOMEM
 */
pw_status_t pw_component_answer_iq_later(pw_component_t *c, xmpp_stanza_t *response,
                                         pw_iq_result_cb cb, void *arg, void *cancel_key);

/**
 * @return how many times the link came up since the component was created: a value that
 *         changes whenever the component may have missed stanzas sent to it (a reconnection)
 */
unsigned long pw_component_link_count(const pw_component_t *c);

/**
 * pw_component_send_iq() for an IQ set whose payload is XML text already (no libstrophe object
 * tree is built): <iq type="set" id=ID to=TO from=JID>payload</iq> goes out through the
 * transport's send_raw, with a new id; its answer is handled as pw_component_send_iq()'s.
 * @param to the address ('to'), escaped here
 * @param payload one whole element as XML text (escaped by its writer, see pw_xml_text.h)
 * @param timeout_ms 0 for the component's default
 * @param cb called exactly once (not from within this call) unless this call fails
 * @return PW_OK; PW_ECLOSED while the transport is down; PW_EINVAL; PW_ENOMEM
 */
pw_status_t pw_component_send_iq_text(pw_component_t *c, const char *to, const char *payload,
                                      uint64_t timeout_ms, pw_iq_result_cb cb, void *arg);

/**
 * Cancel the pending IQs whose callback argument (or cancel key) is arg (e.g. before freeing arg): their
 * callbacks fire now with PW_IQ_CANCELLED.
 * @return how many were cancelled
 */
size_t pw_component_cancel_iqs(pw_component_t *c, void *arg);

/** @return the number of outgoing IQs awaiting an answer */
size_t pw_component_pending_iqs(const pw_component_t *c);

/**
 * Make a fresh stanza id, unique for this component's lifetime.
 * @param buf receives it; 32 bytes are enough
 * @return buf
 */
const char *pw_component_new_id(pw_component_t *c, char *buf, size_t cap);

/* ---- for transports ---- */

/** The transport finished its handshake. */
void pw_component_transport_up(pw_component_t *c);

/** The transport lost its connection (it will retry on its own). */
void pw_component_transport_down(pw_component_t *c);

/** A stanza arrived; the transport keeps its reference. */
void pw_component_deliver(pw_component_t *c, xmpp_stanza_t *stanza);

#endif /* PW_COMPONENT_H */
