/* pwt_rawcomp.h: a minimal XEP-0114 component without libstrophe and without the Peerwatch runtime (expat, a plain socket, one write() per stanza), for benchmarks that measure the servers' routing floor. */
#ifndef PWT_RAWCOMP_H
#define PWT_RAWCOMP_H

#include <stddef.h>

#include "core/pw_status.h"

/** One connected component. Opaque. */
typedef struct pwt_rawcomp pwt_rawcomp_t;

/** A top-level stanza as received. Every string is owned by the component and valid only during
 *  the callback. */
typedef struct pwt_rawstanza {
    const char *name;    /**< "iq", "message", "presence", "stream:error", … */
    const char *type;    /**< attribute type, or NULL when absent */
    const char *id;      /**< attribute id, or NULL */
    const char *from;    /**< attribute from, or NULL */
    const char *to;      /**< attribute to, or NULL */
    const char *payload; /**< the stanza's content (text and children) serialized as XML,
                              escaped; "" when empty */
    size_t payload_len;  /**< strlen(payload) */
} pwt_rawstanza_t;

/**
 * Called for each top-level stanza received once the component is online.
 * @param c the component (the callback may send with it, not destroy it)
 * @param s the stanza (borrowed)
 * @param arg the callback's argument
 */
typedef void (*pwt_rawcomp_cb_t)(pwt_rawcomp_t *c, const pwt_rawstanza_t *s, void *arg);

/**
 * Connect to a component port and authenticate (XEP-0114): the stream header to domain, the
 * stream id, the handshake (lowercase hex SHA-1 of stream id and secret), the server's empty
 * handshake. Blocks until online, an error or the timeout. The socket has TCP_NODELAY.
 * @param out receives the component (pwt_rawcomp_destroy())
 * @param ip IPv4 address of the component listener
 * @param port its port
 * @param domain the component's domain (copied)
 * @param secret the shared secret
 * @param timeout_ms how long connecting and the handshake may take
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_EIO (connect or read failed); PW_ECLOSED (the server
 *         closed the stream, e.g. a wrong secret); PW_ETIMEOUT. Failures are logged.
 */
pw_status_t pwt_rawcomp_connect(pwt_rawcomp_t **out, const char *ip, int port, const char *domain,
                                const char *secret, unsigned timeout_ms);

/**
 * Set the callback for received stanzas (none: stanzas are dropped).
 * @param c the component
 * @param cb the callback, or NULL
 * @param arg its argument
 */
void pwt_rawcomp_on_stanza(pwt_rawcomp_t *c, pwt_rawcomp_cb_t cb, void *arg);

/** @return the socket, for poll(2) (POLLIN: call pwt_rawcomp_read()), or -1 for NULL */
int pwt_rawcomp_fd(const pwt_rawcomp_t *c);

/** @return the component's domain, or "" for NULL */
const char *pwt_rawcomp_domain(const pwt_rawcomp_t *c);

/**
 * Read once from the socket (call when poll(2) says it is readable), parse, and hand each
 * complete stanza to the callback.
 * @param c the component
 * @return PW_OK; PW_ECLOSED when the server closed the stream or the connection; PW_EIO on a
 *         read or parse error
 */
pw_status_t pwt_rawcomp_read(pwt_rawcomp_t *c);

/**
 * Send one stanza as text with a single write() (repeated only for a short write). Attribute
 * values are escaped; the payload is written as it is.
 * @param c the component
 * @param name element name, e.g. "iq"
 * @param type attribute type, or NULL
 * @param id attribute id, or NULL
 * @param from attribute from; NULL: the component's domain (a server may close the stream of a
 *        component whose stanza has no from, as ejabberd does)
 * @param to attribute to, or NULL
 * @param payload the content, well-formed XML (e.g. a pwt_rawstanza_t's payload), or NULL
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_EIO (write failed)
 */
pw_status_t pwt_rawcomp_send(pwt_rawcomp_t *c, const char *name, const char *type, const char *id,
                             const char *from, const char *to, const char *payload);

/**
 * Close the stream and the socket and free the component. NULL is fine.
 * @param c the component
 */
void pwt_rawcomp_destroy(pwt_rawcomp_t *c);

/**
 * The handshake value of XEP-0114: lowercase hex SHA-1 of stream id followed by secret.
 * @param stream_id the stream id the server sent
 * @param secret the shared secret
 * @param hex receives 40 hex digits and a terminator
 * @return PW_OK; PW_EINVAL; PW_ECRYPTO
 */
pw_status_t pwt_rawcomp_handshake_hex(const char *stream_id, const char *secret, char hex[41]);

#endif /* PWT_RAWCOMP_H */
