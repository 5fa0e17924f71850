/* pw_metrics_http.h: the optional HTTP endpoint serving GET /metrics (libmicrohttpd on the loop). */
#ifndef PW_METRICS_HTTP_H
#define PW_METRICS_HTTP_H

#include <stddef.h>

#include "core/pw_loop.h"
#include "core/pw_metrics.h"
#include "core/pw_status.h"

/**
 * A small HTTP server, driven by the process's loop (no thread of its own), answering
 * GET /metrics with pw_metrics_render() as text/plain; version=0.0.4. Any other path gets 404,
 * any other method than GET or HEAD 405. Opaque.
 */
typedef struct pw_metrics_http pw_metrics_http_t;

/** The longest host a listen address may name (an IPv6 literal fits). */
#define PW_METRICS_HOST_MAX 64

/**
 * Split a listen address "HOST:PORT" or "[V6]:PORT" (HOST an IPv4 or IPv6 literal, or
 * "localhost"; PORT 0..65535).
 * @param text the address
 * @param host receives the host without brackets (PW_METRICS_HOST_MAX bytes)
 * @param port receives the port
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_metrics_http_parse_listen(const char *text, char host[PW_METRICS_HOST_MAX],
                                         unsigned *port);

/**
 * @param host an address as pw_metrics_http_parse_listen() gives it
 * @return non-zero when host is a loopback address (127.0.0.0/8, ::1, localhost)
 */
int pw_metrics_http_is_loopback(const char *host);

/**
 * Listen on host:port and serve the registry from the loop.
 * @param out receives the endpoint (pw_metrics_http_destroy())
 * @param loop the loop it runs on (borrowed; must outlive the endpoint)
 * @param metrics the registry served (borrowed; must outlive the endpoint)
 * @param host an IPv4 or IPv6 literal, or "localhost"
 * @param port the TCP port; 0 picks a free one (pw_metrics_http_port())
 * @param allow_remote zero: a host that is not a loopback address is refused
 * @param why receives a readable reason on failure (may be NULL)
 * @param whycap its size
 * @return PW_OK; PW_EINVAL (bad host); PW_EDENIED (not loopback without allow_remote);
 *         PW_EIO (socket, bind or listen failed; errno's text is in why); PW_ENOMEM
 */
pw_status_t pw_metrics_http_create(pw_metrics_http_t **out, pw_loop_t *loop,
                                   pw_metrics_t *metrics, const char *host, unsigned port,
                                   int allow_remote, char *why, size_t whycap);

/** Stop serving and free the endpoint (NULL-safe). @param h the endpoint */
void pw_metrics_http_destroy(pw_metrics_http_t *h);

/** @return the TCP port the endpoint listens on (the one picked for port 0) */
unsigned pw_metrics_http_port(const pw_metrics_http_t *h);

#endif /* PW_METRICS_HTTP_H */
