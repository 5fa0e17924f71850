/* pwt_trialenv.h: share one running trial between the tests of a Criterion binary (started in a PRE_ALL hook, read from the environment). */
#ifndef PWT_TRIALENV_H
#define PWT_TRIALENV_H

#include "core/pw_status.h"
#include "pwt_client.h"
#include "pwt_trial.h"

/**
 * Bring the two-operator trial up in the Criterion runner process (call from
 * ReportHook(PRE_ALL)); writes its environment file and exports its path as PWT_TRIAL_ENV so
 * the test processes can find it. On failure PWT_TRIAL_ENV names a missing file and every
 * test using pwt_trialenv() fails with a clear message.
 */
void pwt_trialenv_up(void);

/**
 * pwt_trialenv_up(), choosing plain text or TLS (pwt_trial_opts_t.tls; trial.env then names
 * TRIAL_CA, and pwt_trialenv_login() logs in over STARTTLS verifying the servers with it).
 * @param tls 1 for TLS everywhere, 0 for plain text
 */
void pwt_trialenv_up_tls(int tls);

/**
 * pwt_trialenv_up() with any of the trial's options (e.g. netns: each operator on its own
 * network; trial.env then names OPA_NETNS and OPB_NETNS).
 * @param opts the options (log_level NULL: PWT_TRIAL_LOGLEVEL or "info")
 */
void pwt_trialenv_up_with(const pwt_trial_opts_t *opts);

/** Stop the trial again (call from ReportHook(POST_ALL)). */
void pwt_trialenv_down(void);

/**
 * A value of the running trial's environment (OPA_C2S, OPB_PS1_PID, …).
 * @return the value (static storage), or NULL when absent or when there is no trial
 */
const char *pwt_trialenv(const char *key);

/**
 * Log in a fixture user ("alice", "bob", …) of the running trial (over STARTTLS, verifying
 * the server with TRIAL_CA, when trial.env names one).
 * @return PW_OK, PW_ENOTFOUND for an unknown user or no trial, or the client's failure
 */
pw_status_t pwt_trialenv_login(const char *user, pwt_client_t **out);

#endif /* PWT_TRIALENV_H */
