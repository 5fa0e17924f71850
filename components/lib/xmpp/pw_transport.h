/* pw_transport.h: the real component transport: an XEP-0114 connection through libstrophe with reconnect. */
#ifndef PW_TRANSPORT_H
#define PW_TRANSPORT_H

#include <stdint.h>
#include <strophe.h>

#include "xmpp/pw_component.h"
#include "core/pw_loop.h"

/** Where and how to connect. Strings are copied. */
typedef struct pw_transport_opts {
    const char *jid;             /**< component domain, e.g. "hss.opa.example" */
    const char *secret;          /**< XEP-0114 shared secret */
    const char *server;          /**< server host or address, e.g. "127.0.0.2" */
    unsigned short port;         /**< the server's component port, e.g. 5347 */
    uint64_t connect_timeout_ms; /**< TCP connect + handshake bound (0: 10 s) */
    uint64_t reconnect_min_ms;   /**< first retry delay (0: 500 ms) */
    uint64_t reconnect_max_ms;   /**< largest retry delay (0: 30 s) */
} pw_transport_opts_t;

/**
 * Create the XEP-0114 transport. It connects when the component starts, reconnects with
 * exponential backoff and jitter whenever the server goes away or refuses (a 'conflict'
 * stream error included), and is driven entirely from loop (no thread, no blocking call
 * except the initial non-blocking connect).
 * @param out receives the transport; pass it to pw_component_create(), which owns it
 * @param loop the component's loop (borrowed)
 * @param ctx the libstrophe context (borrowed)
 * @param opts connection settings (copied)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_transport_strophe_create(pw_transport_t **out, pw_loop_t *loop, xmpp_ctx_t *ctx,
                                        const pw_transport_opts_t *opts);

/**
 * @param t a transport made by pw_transport_strophe_create()
 * @return how many times it has completed the handshake (for tests and statistics)
 */
unsigned pw_transport_strophe_connections(const pw_transport_t *t);

/**
 * Prepare a fresh libstrophe connection for xmpp_connect_component(): works around the
 * libstrophe 0.12.2 component-mode crash (stream-management state never allocated) by a
 * xmpp_connect_client() call that a failing sockopt callback aborts before any traffic.
 * Leaves a sockopt callback installed that records the socket of the next connect.
 * @param conn a connection that has never connected
 * @param server, port the address the component will connect to (no byte is sent there)
 */
void pw_transport_strophe_prepare(xmpp_conn_t *conn, const char *server, unsigned short port);

/**
 * Set up the logger a libstrophe context is given at log_level = debug: libstrophe's own lines
 * go to pw_log() at debug, with what would let a reader connect as the component hidden
 * (pw_transport_strophe_redact()): the XEP-0114 handshake digest of the stream id and the
 * secret (the text of <handshake/>, libstrophe's "Digest: ..." line) and the secret itself.
 * @param log the logger to fill; xmpp_ctx_new() keeps the pointer, so it must outlive the context
 * @param secret the component secret (borrowed; it too must outlive the context; NULL: none)
 */
void pw_transport_strophe_logger(xmpp_log_t *log, const char *secret);

/**
 * Copy a libstrophe log line with the secret's traces replaced by "[hidden]": the text of every
 * <handshake> element (up to its </handshake> or the end of the line), the hex digits after
 * "Digest: " (libstrophe 0.12 logs the handshake digest so before sending it), and every
 * occurrence of the secret. The copy is cut at cap - 1 bytes.
 * @param line the line
 * @param secret the component secret (NULL or empty: only the handshake is hidden)
 * @param out receives the copy
 * @param cap size of out (at least 1)
 */
void pw_transport_strophe_redact(const char *line, const char *secret, char *out, size_t cap);

#endif /* PW_TRANSPORT_H */
