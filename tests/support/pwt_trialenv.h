/* pwt_trialenv.h: share one running trial between the tests of a Criterion binary (started in a PRE_ALL hook, read from the environment). */
#ifndef PWT_TRIALENV_H
#define PWT_TRIALENV_H

#include "core/pw_status.h"
#include "pwt_client.h"

/**
 * Bring the two-operator trial up in the Criterion runner process (call from
 * ReportHook(PRE_ALL)); writes its environment file and exports its path as PWT_TRIAL_ENV so
 * the test processes can find it. On failure PWT_TRIAL_ENV names a missing file and every
 * test using pwt_trialenv() fails with a clear message.
 */
void pwt_trialenv_up(void);

/** Stop the trial again (call from ReportHook(POST_ALL)). */
void pwt_trialenv_down(void);

/**
 * A value of the running trial's environment (OPA_C2S, OPB_PS1_PID, …).
 * @return the value (static storage), or NULL when absent or when there is no trial
 */
const char *pwt_trialenv(const char *key);

/**
 * Log in a fixture user ("alice", "bob", …) of the running trial.
 * @return PW_OK, PW_ENOTFOUND for an unknown user or no trial, or the client's failure
 */
pw_status_t pwt_trialenv_login(const char *user, pwt_client_t **out);

#endif /* PWT_TRIALENV_H */
