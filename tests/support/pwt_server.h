/* pwt_server.h: a private XMPP server of the harness, Prosody or ejabberd, behind one interface: start, stop, accounts, rosters, DNS, its address, ports, dir and process. */
#ifndef PWT_SERVER_H
#define PWT_SERVER_H

#include "core/pw_status.h"
#include "pwt_accounts.h"
#include "pwt_proc.h"

/** A private server of either kind (pwt_prosody.h, pwt_ejabberd.h). Opaque. */
typedef struct pwt_server pwt_server_t;

/** A server's TLS: its certificate and key, and the CA its peers' certificates must chain to. */
typedef struct pwt_server_tls {
    const char *cert; /**< PEM certificate for the domain and its component domains */
    const char *key;  /**< PEM private key of cert */
    const char *ca;   /**< PEM CA certificate that s2s peers (and clients) verify against */
} pwt_server_tls_t;

/** What a private server serves, whatever its kind. Strings are copied. */
typedef struct pwt_server_spec {
    const char *domain;     /**< the served domain, e.g. "opa.example" (required) */
    const char *ip;         /**< address of the c2s and s2s listeners, e.g. "127.0.0.2"
                                 (required); the ports are picked free there */
    const char *component_ip; /**< address of the XEP-0114 component listener; NULL: ip. In
                                   an operator's own network namespace, a loopback address
                                   there, so that no other network reaches it. ejabberd
                                   also puts its Erlang distribution there */
    const char *dns_server; /**< "127.0.0.1@PORT": the DNS server for s2s; NULL: none */
    const char *secret;     /**< component secret; NULL: "pwt-secret" */
    unsigned optional;      /**< the optional components that run (PWT_SERVER_WITH_*): only
                                 those are declared, so the server's disco#items lists only
                                 components that run (Prosody lists every declared one;
                                 ejabberd only connected ones) */
    const pwt_server_tls_t *tls; /**< NULL: plain text everywhere (c2s, s2s with dialback);
                                      else c2s requires STARTTLS and s2s requires TLS with
                                      certificates verified against tls->ca (no dialback
                                      fallback), on either kind; the files are read, not
                                      changed (ejabberd reads copies in its temp dir) */
} pwt_server_spec_t;

/** Optional components of pwt_server_spec_t.optional. */
enum {
    PWT_SERVER_WITH_PS2 = 1u,  /**< ps2.<domain>, the second presence server */
    PWT_SERVER_WITH_BENCH = 2u, /**< bench1..3.<domain>, tests/bench/bench_chain's echo relays */
    PWT_SERVER_WITH_ROGUE = 4u  /**< rogue.<domain>, a plain component that is no Peerwatch role
                                     (test_hostile_senders); ejabberd declares it always */
};

/** What one kind of server does; each kind's module has one. Each takes the kind's object. */
typedef struct pwt_server_ops {
    const char *kind; /**< "prosody", "ejabberd" */
    pw_status_t (*start)(void *owner);
    pw_status_t (*stop)(void *owner);
    pw_status_t (*set_dns_server)(void *owner, const char *dns_server);
    pw_status_t (*add_user)(void *owner, const char *user, const char *password);
    pw_status_t (*set_roster)(void *owner, const char *user, const char *contact_jid,
                              const char *subscription);
    void (*print_log)(const void *owner, unsigned lines);
    void (*destroy)(void *owner);
} pwt_server_ops_t;

/* ------------------------------------------------------------------ for everyone */

/**
 * Start (or restart after pwt_server_stop()) the server in the foreground with the same
 * config, ports and data; wait until its c2s, s2s and component ports accept and the
 * accounts and rosters set so far exist.
 * @param s the server (must not be running)
 * @return PW_OK; PW_EEXIST if it runs; PW_ETIMEOUT; PW_EIO (the log tail is printed)
 */
pw_status_t pwt_server_start(pwt_server_t *s);

/**
 * Stop the server and wait until its processes are gone. Data stay for pwt_server_start().
 * @param s the server (not running: nothing happens)
 * @return PW_OK; PW_EIO if it had to be killed
 */
pw_status_t pwt_server_stop(pwt_server_t *s);

/**
 * Change the DNS server the server asks for s2s records; it takes effect at the next start
 * (the trial's DNS records need the servers' ports, the servers need the DNS server's port).
 * @param s the server
 * @param dns_server "127.0.0.1@PORT" (see pwt_dnsmasq_server()), or NULL for none
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; PW_EIO
 */
pw_status_t pwt_server_set_dns_server(pwt_server_t *s, const char *dns_server);

/**
 * Create an account or change its password (how and when: the kind's header).
 * @param s the server
 * @param user node part, e.g. "alice" (1..256 bytes)
 * @param password the password (1..256 bytes)
 * @return PW_OK; PW_EINVAL; PW_EIO; PW_EFULL; PW_ENOMEM; more in the kind's header
 */
pw_status_t pwt_server_add_user(pwt_server_t *s, const char *user, const char *password);

/**
 * Add, change or remove an item of a user's roster (how and when: the kind's header).
 * @param s the server
 * @param user node part of the roster's owner
 * @param contact_jid bare JID of the item (1..1024 bytes)
 * @param subscription "none", "to", "from", "both", or "remove" to delete the item
 * @return PW_OK; PW_EINVAL; PW_EIO; PW_EFULL; PW_ENOMEM; more in the kind's header
 */
pw_status_t pwt_server_set_roster(pwt_server_t *s, const char *user, const char *contact_jid,
                                  const char *subscription);

/**
 * Print the tails of the server's logs to stderr (for failing tests).
 * @param s the server (NULL is fine)
 * @param lines lines of each file
 */
void pwt_server_print_log(const pwt_server_t *s, unsigned lines);

/**
 * Stop the server if it runs, remove its temp dir (kept when PWT_KEEP is set in the
 * environment, for post-mortems) and free it with its kind's object. NULL is fine.
 * @param s the server
 */
void pwt_server_destroy(pwt_server_t *s);

/** @return "prosody", "ejabberd", or "" for NULL */
const char *pwt_server_kind(const pwt_server_t *s);
/** @return the domain served, or "" for NULL */
const char *pwt_server_domain(const pwt_server_t *s);
/** @return the listening address, or "" for NULL */
const char *pwt_server_ip(const pwt_server_t *s);
/** @return the component secret, or "" for NULL */
const char *pwt_server_secret(const pwt_server_t *s);
/** @return the c2s port, or -1 for NULL */
int pwt_server_c2s_port(const pwt_server_t *s);
/** @return the s2s port, or -1 for NULL */
int pwt_server_s2s_port(const pwt_server_t *s);
/** @return the component listener's address (pwt_server_spec_t.component_ip), or "" for NULL */
const char *pwt_server_component_ip(const pwt_server_t *s);
/** @return the XEP-0114 component port, or -1 for NULL */
int pwt_server_component_port(const pwt_server_t *s);
/** @return the temp dir holding config, data and logs, or "" for NULL */
const char *pwt_server_dir(const pwt_server_t *s);
/** @return the rendered config file, or "" for NULL */
const char *pwt_server_config_path(const pwt_server_t *s);
/** @return the server's own log file, or "" for NULL */
const char *pwt_server_log_path(const pwt_server_t *s);
/** @return the file holding the server's stdout and stderr, or "" for NULL */
const char *pwt_server_output_path(const pwt_server_t *s);
/** @return the PID the harness started last (also after it stopped), -1 if never started */
int pwt_server_pid(const pwt_server_t *s);
/** @return 1 while the process started last runs, 0 otherwise */
int pwt_server_running(const pwt_server_t *s);

/* ------------------------------------------------------------------ for the kinds' modules */

/** How a kind's module makes its server's common part. */
typedef struct pwt_server_base {
    const pwt_server_ops_t *ops; /**< the kind (static: not copied) */
    void *owner;                 /**< the kind's object, given to every op */
    const char *config;          /**< the rendered config's file name in the temp dir */
    const char *log;             /**< the server's own log, relative to the temp dir */
} pwt_server_base_t;

/**
 * The common part: a fresh temp dir "pwt-KIND-XXXXXX" and three distinct free ports (c2s,
 * s2s, component) on spec->ip; no process yet. The server belongs to the network namespace
 * the calling thread is in (pwt_netns.h): its ports are picked, and it starts and restarts,
 * there.
 * @param out receives it (the kind's object frees it with pwt_server_free())
 * @param base the kind and its object
 * @param spec what it serves (domain, ip, secret are copied; dns_server is the kind's)
 * @return PW_OK; PW_EINVAL; PW_ERANGE (paths too long); PW_EIO; PW_ENOMEM (logged)
 */
pw_status_t pwt_server_create(pwt_server_t **out, const pwt_server_base_t *base,
                              const pwt_server_spec_t *spec);

/**
 * Start the server program (stdout and stderr to DIR/KIND.out; see pwt_proc_start()) in the
 * server's network namespace and wait until its c2s, s2s and component ports accept
 * (pwt_server_wait_ports()).
 * @param s the server (no process running)
 * @param argv the program and its arguments
 * @param timeout_ms how long the ports may take
 * @return PW_OK; PW_EEXIST if a process runs; PW_EIO if it could not start or exited during
 *         start-up; PW_ETIMEOUT (both logged; the process is left for the caller to stop)
 */
pw_status_t pwt_server_run(pwt_server_t *s, char *const argv[], unsigned timeout_ms);

/**
 * Wait until the server's c2s, s2s and component ports accept again, connecting from its
 * network namespace (e.g. after the kind restarted the server inside its process).
 * @param s the server (its process started by pwt_server_run())
 * @param timeout_ms how long the ports may take
 * @return PW_OK; PW_EINVAL without a process; PW_EIO if the process exited (or the
 *         namespace could not be entered); PW_ETIMEOUT (both logged)
 */
pw_status_t pwt_server_wait_ports(pwt_server_t *s, unsigned timeout_ms);

/**
 * Move the calling thread into the server's network namespace (the one pwt_server_create()
 * found it in), so that the processes a kind's module starts for it (e.g. ejabberdctl) and
 * the connections it makes to it run there, as the server does. The server keeps its own
 * handle on the namespace; the handle returned is the caller's.
 * @param s the server
 * @return a handle on the namespace the thread was in, which the caller must give to
 *         pwt_netns_leave() (that moves the thread back and closes it); -1 on failure (logged;
 *         the thread has not moved; nothing to leave)
 */
int pwt_server_enter_netns(const pwt_server_t *s);

/**
 * @param s the server
 * @return its process as pwt_server_run() started it (owned by s), or NULL
 */
pwt_proc_t *pwt_server_proc(const pwt_server_t *s);

/**
 * Free the process object once the kind has stopped it (pwt_proc_destroy() stops it first
 * if it still runs). NULL is fine.
 * @param s the server
 */
void pwt_server_release_proc(pwt_server_t *s);

/**
 * A path in the server's temp dir.
 * @param s the server
 * @param buf receives "DIR/NAME" (PWT_PATH_MAX bytes)
 * @param name a file or dir name, e.g. "data"
 * @return PW_OK; PW_ERANGE; PW_EINVAL
 */
pw_status_t pwt_server_path(const pwt_server_t *s, char *buf, const char *name);

/**
 * The kind's object, if the server is of that kind.
 * @param s the server
 * @param ops the kind
 * @return pwt_server_base_t.owner, or NULL for NULL or another kind
 */
void *pwt_server_owner(const pwt_server_t *s, const pwt_server_ops_t *ops);

/** @return the accounts and roster items set for the server (owned by s), or NULL */
pwt_accounts_t *pwt_server_accounts(const pwt_server_t *s);

/**
 * Free the common part and remove the temp dir (kept when PWT_KEEP is set); the kind's
 * object calls it from its destroy, after stopping the server. NULL is fine.
 * @param s the server
 */
void pwt_server_free(pwt_server_t *s);

#endif /* PWT_SERVER_H */
