/* pwt_prosody.h: a private Prosody 0.12 per test: own loopback address, ports, data and log, pre-made accounts and rosters. */
#ifndef PWT_PROSODY_H
#define PWT_PROSODY_H

#include "core/pw_status.h"

/** A private Prosody instance (a temp dir, a rendered config, maybe a running server). Opaque. */
typedef struct pwt_prosody pwt_prosody_t;

/** What a private Prosody serves. Strings are copied. */
typedef struct pwt_prosody_opts {
    const char *domain;     /**< the VirtualHost, e.g. "opa.example" (required) */
    const char *ip;         /**< loopback address to listen on, e.g. "127.0.0.2" (required) */
    const char *dns_server; /**< "127.0.0.1@PORT" for libunbound to forward to; NULL: none */
    const char *secret;     /**< component secret; NULL: "pwt-secret" */
} pwt_prosody_opts_t;

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
 * Start (or restart after pwt_prosody_stop()) the server in the foreground with the same
 * config, ports and data, and wait until its c2s, s2s and component ports accept.
 * @param s the instance (must not be running)
 * @return PW_OK; PW_EEXIST if it runs; PW_ETIMEOUT if the ports did not open within 20 s
 *         (the server is then stopped and its log tail printed); PW_EIO
 */
pw_status_t pwt_prosody_start_again(pwt_prosody_t *s);

/**
 * Stop the server (SIGTERM, SIGKILL after 5 s). Data stay for pwt_prosody_start_again().
 * @param s the instance (not running: nothing happens)
 * @return PW_OK once it is gone (a non-zero exit status is only logged); PW_EIO if it had
 *         to be killed or died of another signal than SIGTERM
 */
pw_status_t pwt_prosody_stop(pwt_prosody_t *s);

/**
 * Change the DNS server Prosody's resolver forwards to and re-render the config; it takes
 * effect at the next start. For the trial, where the DNS records need the servers' ports
 * (known after pwt_prosody_create()) and the servers need the DNS server's port.
 * @param s the instance
 * @param dns_server "127.0.0.1@PORT" (see pwt_dnsmasq_server()), or NULL for none
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_EIO
 */
pw_status_t pwt_prosody_set_dns_server(pwt_prosody_t *s, const char *dns_server);

/**
 * Create or replace an account by writing Prosody's internal storage (accounts/<user>.dat,
 * plain password). Works before start and while running.
 * @param s the instance
 * @param user node part, e.g. "alice" (1..256 bytes; stored as given)
 * @param password the password (1..256 bytes)
 * @return PW_OK; PW_EINVAL; PW_EIO
 */
pw_status_t pwt_prosody_add_user(pwt_prosody_t *s, const char *user, const char *password);

/**
 * Add, change or remove an item of a user's roster by rewriting roster/<user>.dat from the
 * items the harness has set for that user. Use it before start (or before Prosody first
 * loads that roster: Prosody caches loaded rosters until it restarts).
 * @param s the instance
 * @param user node part of the roster's owner
 * @param contact_jid bare JID of the item (1..1024 bytes)
 * @param subscription "none", "to", "from", "both", or "remove" to delete the item
 * @return PW_OK; PW_EINVAL; PW_EFULL past 1024 items; PW_EIO; PW_ENOMEM
 */
pw_status_t pwt_prosody_set_roster(pwt_prosody_t *s, const char *user, const char *contact_jid,
                                   const char *subscription);

/** @return the domain served, or "" for NULL */
const char *pwt_prosody_domain(const pwt_prosody_t *s);
/** @return the listening address, or "" for NULL */
const char *pwt_prosody_ip(const pwt_prosody_t *s);
/** @return the component secret, or "" for NULL */
const char *pwt_prosody_secret(const pwt_prosody_t *s);
/** @return the c2s port, or -1 for NULL */
int pwt_prosody_c2s_port(const pwt_prosody_t *s);
/** @return the s2s port, or -1 for NULL */
int pwt_prosody_s2s_port(const pwt_prosody_t *s);
/** @return the XEP-0114 component port, or -1 for NULL */
int pwt_prosody_component_port(const pwt_prosody_t *s);
/** @return the instance's temp dir (config, log, data/), or "" for NULL */
const char *pwt_prosody_dir(const pwt_prosody_t *s);
/** @return Prosody's data_path, or "" for NULL */
const char *pwt_prosody_data_dir(const pwt_prosody_t *s);
/** @return Prosody's own log file, or "" for NULL */
const char *pwt_prosody_log_path(const pwt_prosody_t *s);
/** @return the rendered config file, or "" for NULL */
const char *pwt_prosody_config_path(const pwt_prosody_t *s);
/** @return the server's PID while it runs (the last one after it stopped), -1 if never started */
int pwt_prosody_pid(const pwt_prosody_t *s);
/** @return 1 if the server runs, 0 otherwise */
int pwt_prosody_running(pwt_prosody_t *s);

/**
 * Print the tail of Prosody's log and of its stdout/stderr to stderr (for failing tests).
 * @param s the instance (NULL is fine)
 * @param lines lines of each file
 */
void pwt_prosody_print_log(const pwt_prosody_t *s, unsigned lines);

/**
 * Stop the server if it runs and remove the temp dir (unless PWT_KEEP is set in the
 * environment, for post-mortems). NULL is fine.
 * @param s the instance
 */
void pwt_prosody_destroy(pwt_prosody_t *s);

#endif /* PWT_PROSODY_H */
