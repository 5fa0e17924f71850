/* pwt_dns.h: a private dnsmasq per test, on 127.0.0.1 (or an address of a test network namespace) and a free port, serving a rendered template. */
#ifndef PWT_DNS_H
#define PWT_DNS_H

#include "core/pw_status.h"

/** A running private dnsmasq. Opaque. */
typedef struct pwt_dnsmasq pwt_dnsmasq_t;

/**
 * Pick a port free for UDP and TCP on 127.0.0.1, render the template into a temp dir and
 * start dnsmasq in the foreground on it; wait until it accepts TCP.
 * @param out receives the server (caller destroys with pwt_dnsmasq_destroy())
 * @param template_path the template, absolute or relative to the source tree
 *        (e.g. "conf/dnsmasq/trial.conf")
 * @param vars NAME, VALUE, ..., NULL for pwt_render()
 * @return PW_OK; PW_EINVAL; PW_ECONFIG (unknown placeholder); PW_ETIMEOUT if it did not
 *         come up in 10 s (log tail printed); PW_EIO; PW_ENOMEM
 */
pw_status_t pwt_dnsmasq_start(pwt_dnsmasq_t **out, const char *template_path,
                              const char *const vars[]);

/**
 * The same on a port the caller picked (pwt_port_pick_udp_tcp()), for a test that must name
 * the server in configurations written before it starts; port 0 picks one.
 */
pw_status_t pwt_dnsmasq_start_on(pwt_dnsmasq_t **out, const char *template_path,
                                 const char *const vars[], int port);

/**
 * As pwt_dnsmasq_start_on(), listening on ip instead of 127.0.0.1: an address of the network
 * namespace the calling thread is in (pwt_netns.h), where dnsmasq runs and stays.
 * @param ip an IPv4 address of that namespace, e.g. "198.51.100.1"
 */
pw_status_t pwt_dnsmasq_start_at(pwt_dnsmasq_t **out, const char *template_path,
                                 const char *const vars[], const char *ip, int port);

/** @return the address it listens on, or "" for NULL */
const char *pwt_dnsmasq_ip(const pwt_dnsmasq_t *d);

/** @return the port it listens on (UDP and TCP, on pwt_dnsmasq_ip()), or -1 for NULL */
int pwt_dnsmasq_port(const pwt_dnsmasq_t *d);

/** @return "IP@PORT", e.g. "127.0.0.1@5353", the form Prosody's unbound forward option takes, or "" for NULL */
const char *pwt_dnsmasq_server(const pwt_dnsmasq_t *d);

/** @return its PID, or -1 for NULL */
int pwt_dnsmasq_pid(const pwt_dnsmasq_t *d);

/** @return its log file (stdout and stderr), or "" for NULL */
const char *pwt_dnsmasq_log_path(const pwt_dnsmasq_t *d);

/** @return the rendered config file, or "" for NULL */
const char *pwt_dnsmasq_config_path(const pwt_dnsmasq_t *d);

/**
 * Stop it and remove its temp dir (kept when PWT_KEEP is set). NULL is fine.
 * @param d the server
 */
void pwt_dnsmasq_destroy(pwt_dnsmasq_t *d);

#endif /* PWT_DNS_H */
