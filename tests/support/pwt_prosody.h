/* pwt_prosody.h: a private Prosody 0.12 per test: own loopback address, ports, data and log, pre-made accounts and rosters. */
#ifndef PWT_PROSODY_H
#define PWT_PROSODY_H

#include "core/pw_status.h"
#include "pwt_server.h"

/** A private Prosody instance (a temp dir, a rendered config, maybe a running server). Opaque. */
typedef struct pwt_prosody pwt_prosody_t;

/** What a private Prosody serves (domain, ip, dns_server, secret). Strings are copied. */
typedef pwt_server_spec_t pwt_prosody_opts_t;

/**
 * Prepare an instance without starting it: temp dir, free ports on opts->ip, the config
 * rendered from conf/prosody/operator.cfg.lua. Add users and rosters now, then start it
 * with pwt_prosody_start_again(). Set PWT_PROSODY_DEBUG in the environment for debug logs.
 * @param out receives the instance (caller destroys with pwt_prosody_destroy())
 * @param o options
 * @return PW_OK; PW_EINVAL on missing options; PW_EIO, PW_ECONFIG, PW_ENOMEM (logged)
 */
pw_status_t pwt_prosody_create(pwt_prosody_t **out, const pwt_prosody_opts_t *o);

/**
 * pwt_prosody_create() then pwt_prosody_start_again(): a running instance.
 * @param out receives the instance (caller destroys with pwt_prosody_destroy())
 * @param o options
 * @return PW_OK or the first failure (on failure *out is NULL and nothing is left behind)
 */
pw_status_t pwt_prosody_start(pwt_prosody_t **out, const pwt_prosody_opts_t *o);

/**
 * The calls of pwt_server.h, for Prosody (each also reachable through pwt_prosody_server()):
 * - start_again: `prosody -F` with the same config, ports and data; up to 20 s for the ports
 *   (then stopped, its log tail printed); PW_EIO too when a port was taken.
 * - stop: SIGTERM, SIGKILL after 5 s; a non-zero exit status is only logged; PW_EIO if it
 *   had to be killed or died of another signal than SIGTERM.
 * - set_dns_server: the DNS server Prosody's libunbound forwards to (re-renders the config).
 * - add_user: writes accounts/<user>.dat (plain password) at once, before start or while
 *   running.
 * - set_roster: rewrites roster/<user>.dat from the items set for that user; use it before
 *   start (or before Prosody first loads that roster: Prosody caches loaded rosters).
 * - print_log: the tails of Prosody's log and of its stdout/stderr.
 * @param s the instance (the other parameters: as the pwt_server_*() twin's)
 * @return what the pwt_server_*() twin documents
 */
pw_status_t pwt_prosody_start_again(pwt_prosody_t *s);
pw_status_t pwt_prosody_stop(pwt_prosody_t *s);
pw_status_t pwt_prosody_set_dns_server(pwt_prosody_t *s, const char *dns_server);
pw_status_t pwt_prosody_add_user(pwt_prosody_t *s, const char *user, const char *password);
pw_status_t pwt_prosody_set_roster(pwt_prosody_t *s, const char *user, const char *contact_jid,
                                   const char *subscription);
void pwt_prosody_print_log(const pwt_prosody_t *s, unsigned lines);

/**
 * The instance as a server of either kind (pwt_server.h): pwt_server_start(),
 * pwt_server_add_user()... act on this Prosody; the accessors below are shorthands for it.
 * @param s the instance
 * @return it (owned by s; pwt_server_destroy() of it destroys s), or NULL for NULL
 */
pwt_server_t *pwt_prosody_server(const pwt_prosody_t *s);

/**
 * Shorthands for pwt_server_domain(pwt_prosody_server(s)) and its siblings (pwt_server.h).
 * @param s the instance
 * @return as pwt_server_domain() and its siblings ("" or -1 for NULL)
 */
const char *pwt_prosody_domain(const pwt_prosody_t *s);
const char *pwt_prosody_ip(const pwt_prosody_t *s);
const char *pwt_prosody_secret(const pwt_prosody_t *s);
int pwt_prosody_c2s_port(const pwt_prosody_t *s);
int pwt_prosody_s2s_port(const pwt_prosody_t *s);
int pwt_prosody_component_port(const pwt_prosody_t *s);
const char *pwt_prosody_dir(const pwt_prosody_t *s);
const char *pwt_prosody_log_path(const pwt_prosody_t *s);
const char *pwt_prosody_config_path(const pwt_prosody_t *s);
int pwt_prosody_pid(const pwt_prosody_t *s);
int pwt_prosody_running(pwt_prosody_t *s);

/** @return Prosody's data_path (DIR/data), or "" for NULL */
const char *pwt_prosody_data_dir(const pwt_prosody_t *s);

/**
 * Stop the server if it runs and remove the temp dir (unless PWT_KEEP is set in the
 * environment, for post-mortems). NULL is fine.
 * @param s the instance
 */
void pwt_prosody_destroy(pwt_prosody_t *s);

#endif /* PWT_PROSODY_H */
