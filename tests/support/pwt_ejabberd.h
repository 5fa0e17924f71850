/* pwt_ejabberd.h: a private ejabberd 23.01 per operator: own address, ports, Erlang node, spool and logs, pre-made accounts and rosters. */
#ifndef PWT_EJABBERD_H
#define PWT_EJABBERD_H

#include "core/pw_status.h"
#include "pwt_server.h"

/**
 * Prepare a private ejabberd without starting it, as a server of the harness (pwt_server.h):
 * a temp dir that is its config dir (ejabberd.yml rendered from conf/ejabberd/operator.yml,
 * ejabberdctl.cfg, vm.args, inetrc), with spool/ (Mnesia) and logs/ below it; free c2s
 * and s2s ports on spec->ip and a component port on spec->component_ip (NULL: spec->ip); its
 * own Erlang node name (pwt_XXXXXX@<component ip>), distribution port (on the component ip,
 * no epmd) and cookie, so that several run side by side. Needs root and Debian's ejabberd
 * (its user "ejabberd" runs the node). Set PWT_EJABBERD_DEBUG in the environment for
 * debug logs.
 *
 * The server belongs to the network namespace the caller is in (pwt_server_create()): the
 * node, every ejabberdctl call and every wait for its ports run there, so with an operator's
 * own namespace (pw-trial --netns) the component listener and the distribution are on that
 * namespace's loopback and only c2s and s2s are reachable from outside.
 *
 * With spec->tls, the certificate, key and CA are copied into DIR/tls (mode 0600, owned by
 * the ejabberd user like the rest of the dir; the originals are left as they are): c2s
 * requires STARTTLS (starttls_required), s2s requires TLS (s2s_use_starttls: required) and
 * authenticates peers by certificate only (SASL EXTERNAL against s2s_cafile, the CA copy;
 * mod_s2s_dialback not loaded). A peer whose certificate chains to another CA or names
 * another domain is refused; ejabberd.log says "Failed inbound s2s EXTERNAL authentication".
 *
 * What the pwt_server_*() calls do on it:
 * - pwt_server_start(): `ejabberdctl --config-dir DIR ... foreground` as user ejabberd, its
 *   beam.smp dying with the caller (parent-death signals, even on SIGKILL); waits up to 30 s
 *   for the ports, then creates the users and rosters set before the first start with one
 *   XEP-0227 import (`ejabberdctl import_piefxis`).
 * - pwt_server_add_user() and pwt_server_set_roster(): before the first start only recorded;
 *   while the node runs an ejabberdctl call each (about 0.5 s: register or change_password,
 *   add_rosteritem or delete_rosteritem); PW_ECLOSED once it ran and is stopped. A roster
 *   needs its user added first (PW_ENOTFOUND otherwise).
 * - pwt_server_stop(): SIGTERM to the beam.smp below the ejabberdctl started (SIGKILL to both
 *   after 10 s); then anything still running with its spool dir in its command line is killed.
 *   pwt_server_destroy() sends SIGKILL at once: the spool goes with the dir.
 * - pwt_server_print_log(): ejabberd.log, error.log, the node's output and the ejabberdctl
 *   calls' output.
 * @param out receives the server (caller destroys it with pwt_server_destroy())
 * @param spec what it serves; domain, ip and secret must not hold '"', '\' or control bytes
 * @return PW_OK; PW_EINVAL on missing or unusable values; PW_ENOTFOUND without the ejabberd
 *         user; PW_EIO, PW_ECONFIG, PW_ENOMEM (logged)
 */
pw_status_t pwt_ejabberd_create(pwt_server_t **out, const pwt_server_spec_t *spec);

/**
 * Prepare a second node of first's cluster, on its own address: the same domain, component
 * secret, cookie and distribution port as first (which must not be a member itself), its own
 * ports, config dir, spool and logs. pwt_server_start() on it (after first runs) starts the
 * node and runs `ejabberdctl join_cluster` with first's node: from then on both share
 * accounts, rosters and routes (a component attached to either node is reached from both).
 * pwt_server_add_user() and pwt_server_set_roster() on a member work only while it runs
 * (PW_EINVAL before its first start: add the cluster's accounts on first). The rest is as
 * for pwt_ejabberd_create(); destroy members before first. A member of a first node with TLS
 * has TLS too, with the first node's certificate and CA (spec->tls is not used).
 * @param out receives the member (pwt_server_destroy())
 * @param spec only spec->ip (not first's), spec->component_ip (NULL: spec->ip; not first's
 *        either: the node's distribution is there, on the cluster's port) and
 *        spec->dns_server are used
 * @param first the cluster's first node (pwt_ejabberd_create())
 * @return PW_OK; PW_EINVAL (first is no ejabberd, is a member, or has the same ip or
 *         component ip); as
 *         pwt_ejabberd_create()
 */
pw_status_t pwt_ejabberd_create_member(pwt_server_t **out, const pwt_server_spec_t *spec,
                                       const pwt_server_t *first);

/** @return the Erlang distribution port (on the component listener's address), or -1 if s is
 *          not an ejabberd */
int pwt_ejabberd_dist_port(const pwt_server_t *s);

/** @return the Erlang node name, e.g. "pwt_Ab12Cd@127.0.0.3", or "" if s is not an ejabberd */
const char *pwt_ejabberd_node(const pwt_server_t *s);

/** @return the PID of the node's beam.smp (the last one after it stopped), -1 if never started */
int pwt_ejabberd_beam_pid(const pwt_server_t *s);

#endif /* PWT_EJABBERD_H */
