/* fake_resolver.h: a scripted pw_resolver for unit tests: canned NAPTR/SRV answers delivered from the loop. */
#ifndef PWT_FAKE_RESOLVER_H
#define PWT_FAKE_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/pw_loop.h"
#include "dns/pw_resolver.h"

/** The fake. Its base (pwfake_resolver_base()) is a pw_resolver_t. */
typedef struct pwfake_resolver pwfake_resolver_t;

/**
 * Create a fake resolver. Each lookup is answered from the script by a loop timer of
 * the configured delay (0 ms by default: the next loop iteration), never from inside the
 * naptr()/srv() call. A name with no script gets PW_ENOTFOUND with TTL 0.
 * @param out receives the fake; free it with pw_resolver_destroy(pwfake_resolver_base(f)),
 *        which fires pending callbacks with PW_ECLOSED
 * @param loop the loop (must outlive the fake)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pwfake_resolver_create(pwfake_resolver_t **out, pw_loop_t *loop);

/** @return the pw_resolver_t to hand to the code under test */
pw_resolver_t *pwfake_resolver_base(pwfake_resolver_t *f);

/**
 * Script the answer to NAPTR lookups of name (case-insensitive), replacing an earlier one.
 * @param status what the callback gets (PW_OK needs n >= 1)
 * @param rrs records (copied), NULL when n is 0
 * @param n at most PW_RESOLVER_MAX_RRS
 * @param ttl the TTL reported
 * @return PW_OK, PW_EINVAL, PW_ERANGE or PW_ENOMEM
 */
pw_status_t pwfake_resolver_script_naptr(pwfake_resolver_t *f, const char *name,
                                           pw_status_t status, const pw_naptr_t *rrs, size_t n,
                                           uint32_t ttl);

/** As pwfake_resolver_script_naptr(), for SRV lookups. */
pw_status_t pwfake_resolver_script_srv(pwfake_resolver_t *f, const char *name,
                                         pw_status_t status, const pw_srv_rr_t *rrs, size_t n,
                                         uint32_t ttl);

/** @return a NAPTR record to script: order 100, preference 10, flags "u", replacement "." */
pw_naptr_t pwfake_resolver_naptr(const char *service, const char *regexp);

/** @return an SRV record to script: weight 10, port 5269 */
pw_srv_rr_t pwfake_resolver_srv(uint16_t priority, const char *target);

/**
 * Delay of the answers to lookups started from now on (loop clock; with a manual clock the
 * answer comes once the test advances it).
 * @param delay_ms 0 = next loop iteration
 */
void pwfake_resolver_set_delay(pwfake_resolver_t *f, uint64_t delay_ms);

/**
 * Number of lookups started so far.
 * @param type "naptr", "srv", or NULL for both
 * @param name a name (case-insensitive), or NULL for all names
 */
size_t pwfake_resolver_count(const pwfake_resolver_t *f, const char *type, const char *name);

/** @return the number of lookups started and not yet answered */
size_t pwfake_resolver_pending(const pwfake_resolver_t *f);

#endif /* PWT_FAKE_RESOLVER_H */
