/* pwt_trial.h: the two-operator trial on one machine: dnsmasq, two federating XMPP servers (Prosody or ejabberd), fixture users and all components. */
#ifndef PWT_TRIAL_H
#define PWT_TRIAL_H

#include "core/pw_status.h"
#include "pwt_client.h"
#include "pwt_component.h"
#include "pwt_dns.h"
#include "pwt_netns.h"
#include "pwt_prosody.h"

/** The password every fixture user shares. */
#define PWT_TRIAL_PASSWORD "peerwatch"

/** Operator indexes. */
#define PWT_OPA 0
#define PWT_OPB 1
/** Operator C, opc.example, of a trial with a third operator (pwt_trial_opts_t.third_operator). */
#define PWT_OPC 2

/** A running trial. Opaque. */
typedef struct pwt_trial pwt_trial_t;

/** What to bring up. */
typedef struct pwt_trial_opts {
    const char *log_level;   /**< components' log level; NULL: "info" */
    int hss_only;            /**< start only operator A's Prosody and HSS (the foundation demo) */
    const char *base_dir;    /**< where to put everything; NULL: a fresh temp dir */
    int verbose;             /**< print each step to stdout */
    int bench;               /**< declare tests/bench/bench_chain's echo relays on both servers */
    int servers_only;        /**< dnsmasq, both servers, users and rosters, but no component: for
                                  components set up and started by someone else (the deployment
                                  test follows docs/operating.md) */
    const char *servers[2];  /**< each operator's XMPP server (A's, B's): "prosody",
                                  "ejabberd", or "ejabberd-cluster" (two nodes: the second on
                                  127.0.0.4 for B, 127.0.0.5 for A, with ps2 and a second
                                  gateway instance); NULL: PWT_SERVERS or "prosody"
                                  (pwt_trial_server_kind_ok()) */
    int tls;                 /**< TLS everywhere: a private CA (DIR/ca/trial-ca.crt, TRIAL_CA in
                                  trial.env) certifies each operator's domain and component
                                  domains; c2s requires STARTTLS, s2s requires TLS with verified
                                  certificates (pwt_server_spec_t.tls), on Prosody, ejabberd and
                                  ejabberd-cluster alike */
    int netns;               /**< each operator on its own network (pwt_network_t of
                                  pwt_netns.h): its server and components in its own network
                                  namespace, c2s and s2s on its address there, the component
                                  port on that namespace's loopback; dnsmasq in the
                                  inter-operator namespace. Implies tls. On prosody and
                                  ejabberd (its Erlang distribution on that loopback too), not
                                  ejabberd-cluster (pwt_trial_start() refuses: PW_EINVAL) */
    const pwt_wan_t *wan;    /**< with netns (implied): operator B's link to the
                                  inter-operator network is a WAN (pwt_network_create()); NULL:
                                  PWT_TRIAL_WAN="DELAY,JITTER,LOSS" from the environment if set
                                  (how the integration tests run under WAN conditions), else
                                  none */
    unsigned crowd;          /**< 0 (the default): only the fixture users. N (at most
                                  PWT_TRIAL_CROWD_MAX): N generated subscribers more on each
                                  operator, for benchmarks at scale (pwt_trial_crowd_user(),
                                  pwt_trial_crowd_number()): accounts (password
                                  PWT_TRIAL_PASSWORD), HSS entries (A's: prepaid with balance
                                  PWT_TRIAL_CROWD_BALANCE, on ps1; B's: postpaid, on ps1), and on
                                  B every crowd user's roster authorising every crowd user of A
                                  (an item "+NUMBER@watcher.opb.example" with subscription
                                  "from"), all written before the servers and HSSes start
                                  (N × N roster items: 100 sets up in seconds on Prosody; on
                                  ejabberd each item is an ejabberdctl call) */
    int third_operator;      /**< also operator C, opc.example: a Prosody on 127.0.0.6 (whatever
                                  A and B run) with the user mallory, federated over s2s with
                                  A and B (dnsmasq: conf/dnsmasq/third-operator.conf) and
                                  peering with neither (A's and B's configurations do not name
                                  it); it runs no component: its server declares the template's
                                  component domains (gateway.opc.example, proxy.opc.example, …)
                                  for raw components (pwt_rawcomp.h). A's and B's servers then
                                  also declare rogue.<domain>, a component domain that is no
                                  Peerwatch role (PWT_SERVER_WITH_ROGUE). Plain trials only:
                                  pwt_trial_start() refuses it with hss_only, netns, tls or a
                                  WAN (PW_EINVAL) */
} pwt_trial_opts_t;

/** Most generated subscribers per operator (pwt_trial_opts_t.crowd). */
#define PWT_TRIAL_CROWD_MAX 1000u

/** The balance of each of operator A's generated subscribers. */
#define PWT_TRIAL_CROWD_BALANCE 100000000

/**
 * The user name of a generated subscriber (pwt_trial_opts_t.crowd): "crowda0007" is the eighth
 * of operator A ("crowdb…" of B); pwt_trial_login() logs it in.
 * @param op PWT_OPA or PWT_OPB
 * @param i 0..PWT_TRIAL_CROWD_MAX-1
 * @param buf receives the name (11 bytes suffice)
 * @param cap size of buf
 * @return buf, or NULL for a bad op or i, or a buf too small
 */
const char *pwt_trial_crowd_user(int op, unsigned i, char *buf, size_t cap);

/**
 * The number of a generated subscriber (pwt_trial_opts_t.crowd): A's i-th is +44770096NNNN
 * (routed to A by the proxies' prefix +4477009), B's i-th +12025559NNN (prefix +1202555); no
 * fixture user has one of them.
 * @param op PWT_OPA or PWT_OPB
 * @param i 0..PWT_TRIAL_CROWD_MAX-1
 * @param buf receives the number in international form (14 bytes suffice)
 * @param cap size of buf
 * @return buf, or NULL for a bad op or i, or a buf too small
 */
const char *pwt_trial_crowd_number(int op, unsigned i, char *buf, size_t cap);

/**
 * Whether the trial can run an operator on a server of this kind.
 * @param kind "prosody", "ejabberd" or "ejabberd-cluster" (anything else: no)
 * @return 1 or 0
 */
int pwt_trial_server_kind_ok(const char *kind);

/** Room for one server kind's name in pwt_trial_split_servers(). */
#define PWT_TRIAL_KIND_MAX 24

/**
 * Split "A,B" (pw-trial's --servers, the PWT_SERVERS environment variable) into operator A's
 * and B's server kinds, without judging them (pwt_trial_server_kind_ok() does).
 * @param text the text
 * @param kinds receives the two names
 * @return 1 when text is two names separated by a comma that fit kinds, 0 otherwise
 */
int pwt_trial_split_servers(const char *text, char kinds[2][PWT_TRIAL_KIND_MAX]);

/**
 * Create (not start) one private server of the kind the trial would give operator op: the
 * op-th name of PWT_SERVERS="A,B" in the environment, else Prosody. For a test that needs a
 * single server and runs on every pair the suite runs on.
 * @param out receives the server (pwt_server_destroy())
 * @param op PWT_OPA or PWT_OPB
 * @param spec what it serves
 * @return PW_OK; PW_EINVAL for a bad op or an unknown kind (logged); the kind's create errors
 */
pw_status_t pwt_trial_server_create(pwt_server_t **out, int op, const pwt_server_spec_t *spec);

/**
 * Bring the trial up: dnsmasq with the operators' SRV and ENUM NAPTR records, operator A
 * (opa.example on 127.0.0.2; with netns on 198.51.100.10) and B (opb.example on 127.0.0.3; with
 * netns on 203.0.113.10) federating over s2s, the fixture
 * users and rosters, operator keys, and the ten components (A: watcher, proxy, gateway, hss,
 * ps1; B: the same plus ps2), each waited for until online.
 * @param out receives the trial (pwt_trial_destroy())
 * @return PW_OK, or the first failure (everything started so far is stopped again)
 */
pw_status_t pwt_trial_start(pwt_trial_t **out, const pwt_trial_opts_t *o);

/** @return operator op's second node when its kind is "ejabberd-cluster", else NULL */
pwt_server_t *pwt_trial_member(pwt_trial_t *t, int op);

/** @return operator op's server (PWT_OPA or PWT_OPB, a cluster's first node; PWT_OPC with a
 *          third operator), or NULL */
pwt_server_t *pwt_trial_server(pwt_trial_t *t, int op);

/** Each operator's HSS reads a copy of conf/hss-op?.subscribers in the trial's directory
 *  (pwt_trial_dir()), named with "opa" or "opb" here: a test may rewrite it and SIGHUP the HSS. */
#define PWT_TRIAL_SUBSCRIBERS "hss-%s.subscribers"

/**
 * @param name "opa-watcher", "opb-ps2", … (operator prefix and role)
 * @return the component, or NULL when not started
 */
pwt_component_t *pwt_trial_component(pwt_trial_t *t, const char *name);

/** @return operator op's charge-record directory */
const char *pwt_trial_cdr_dir(const pwt_trial_t *t, int op);

/** @return operator op's record of enquiries its watcher sent (for peerwatch-cdr reconcile) */
const char *pwt_trial_sent_dir(const pwt_trial_t *t, int op);

/** @return the trial's directory (configs, logs, data) */
const char *pwt_trial_dir(const pwt_trial_t *t);

/** @return the CA certificate file of a TLS trial (pwt_trial_opts_t.tls), or NULL */
const char *pwt_trial_ca(const pwt_trial_t *t);

/** @return the trial's networks (pwt_trial_opts_t.netns), or NULL */
pwt_network_t *pwt_trial_network(pwt_trial_t *t);

/**
 * The private key operator op's proxy signs with (a fresh Ed25519 pair per trial; its public
 * half is in the other operator's gateway [peers]), e.g. for a test that signs as the proxy.
 * @param op PWT_OPA or PWT_OPB
 * @return the PEM file (owned by the trial), or NULL
 */
const char *pwt_trial_key(const pwt_trial_t *t, int op);

/**
 * @param op PWT_OPA or PWT_OPB (or PWT_OPC with a third operator: "127.0.0.6")
 * @return where operator op's server takes c2s and s2s ("127.0.0.2"; with netns its address on
 *         its network, "198.51.100.10"), or NULL
 */
const char *pwt_trial_server_ip(const pwt_trial_t *t, int op);

/** @return the dnsmasq instance */
pwt_dnsmasq_t *pwt_trial_dns(pwt_trial_t *t);

/**
 * Log a fixture user in ("alice", "bob", …, "mallory" of operator C: the operator follows from
 * the fixture table), or a
 * generated one of the trial's crowd (pwt_trial_crowd_user());
 * in a TLS trial over STARTTLS, verifying the server against the trial's CA.
 * @param resource the resource to bind (NULL: a generated one)
 * @return PW_OK or the client's failure
 */
pw_status_t pwt_trial_login(pwt_trial_t *t, const char *user, pwt_client_t **out);

/**
 * Write the trial's shell environment (KEY=VALUE lines: OPA_DOMAIN, OPA_C2S, OPA_SERVER_LOG,
 * OPB_DOMAIN, OPB_C2S, OPB_SERVER_LOG, PASSWORD, OPA_CDR_DIR, OPB_CDR_DIR, TRIAL_PID,
 * TRIAL_DIR; with a third operator OPC_DOMAIN, OPC_C2S, OPC_COMPONENT, OPC_SECRET, OPC_SERVER,
 * OPC_SERVER_LOG; in a TLS trial also TRIAL_CA, the CA certificate a client verifies the servers
 * with; with netns OPA_NETNS and OPB_NETNS, the namespaces where OPx_COMPONENT is reached).
 * @param pid the value of TRIAL_PID
 */
pw_status_t pwt_trial_write_env(const pwt_trial_t *t, const char *path, int pid);

/** Keep the trial's directory (configs, logs, charge records) when it is destroyed. */
void pwt_trial_keep(pwt_trial_t *t);

/** Stop everything by PID and remove the trial's directory (unless base_dir was given). */
void pwt_trial_destroy(pwt_trial_t *t);

#endif /* PWT_TRIAL_H */
