/* pwt_prosody.h: a private Prosody 0.12 per test: own loopback address, ports, data and log, pre-made accounts and rosters. */
#ifndef PWT_PROSODY_H
#define PWT_PROSODY_H

#include "core/pw_status.h"
#include "pwt_server.h"

/*
 * A Prosody is one kind of pwt_server_t: create or start it here, then use pwt_server.h for
 * everything else. What Prosody does for those calls:
 * - pwt_server_start(): `prosody -F` with the same config, ports and data; up to 20 s for the
 *   ports (then stopped, its log tail printed); PW_EIO too when a port was taken.
 * - pwt_server_stop(): SIGTERM, SIGKILL after 5 s; a non-zero exit status is only logged;
 *   PW_EIO if it had to be killed or died of another signal than SIGTERM.
 * - pwt_server_set_dns_server(): the DNS server Prosody's libunbound forwards to (re-renders
 *   the config).
 * - pwt_server_add_user(): writes accounts/<user>.dat (plain password) at once, before start
 *   or while running.
 * - pwt_server_set_roster(): rewrites roster/<user>.dat from the items set for that user; use
 *   it before start (or before Prosody first loads that roster: Prosody caches loaded rosters).
 * - pwt_server_print_log(): the tails of Prosody's log and of its stdout/stderr.
 * Set PWT_PROSODY_DEBUG in the environment for debug logs.
 */

/**
 * Prepare a Prosody without starting it: temp dir, free ports on spec->ip, the config
 * rendered from conf/prosody/operator.cfg.lua. Add users and rosters now, then start it with
 * pwt_server_start().
 * @param out receives the server (caller destroys with pwt_server_destroy())
 * @param spec what it serves
 * @return PW_OK; PW_EINVAL on missing options; PW_EIO, PW_ECONFIG, PW_ENOMEM (logged)
 */
pw_status_t pwt_prosody_create(pwt_server_t **out, const pwt_server_spec_t *spec);

/**
 * pwt_prosody_create() then pwt_server_start(): a running Prosody.
 * @param out receives the server (caller destroys with pwt_server_destroy())
 * @param spec what it serves
 * @return PW_OK or the first failure (on failure *out is NULL and nothing is left behind)
 */
pw_status_t pwt_prosody_start(pwt_server_t **out, const pwt_server_spec_t *spec);

/**
 * Prosody's data_path (DIR/data), where its accounts and rosters lie.
 * @param s a server made by pwt_prosody_create()
 * @return the path, or "" for NULL or a server of another kind
 */
const char *pwt_prosody_data_dir(const pwt_server_t *s);

#endif /* PWT_PROSODY_H */
