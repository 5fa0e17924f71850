/* pw_srv.h: RFC 2782 SRV target selection: priority order, then weighted random order within a priority. */
#ifndef PW_SRV_H
#define PW_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "dns/pw_resolver.h"
#include "core/pw_status.h"

/** Most records pw_srv_order() orders (the resolver delivers at most PW_RESOLVER_MAX_RRS). */
#define PW_SRV_MAX_RRS 1024

/**
 * The full order in which to try the targets of an SRV answer (RFC 2782, "Usage rules"):
 * priorities ascending; within one priority, repeated weighted random selection: the
 * remaining records are listed with the weight-0 ones first, a number R is drawn, the first
 * record whose running sum of weights reaches R is taken out, and so on until none is left.
 *
 * R is uniform on [0, sum] when weight-0 records remain (so they are taken first with the
 * small probability 1/(sum+1)), and on [1, sum] otherwise: the records with weights are then
 * picked exactly in proportion to their weights (RFC 2782's inclusive [0, sum] would give
 * the first record one extra chance). Among weight-0 records, the one taken is uniformly
 * random (when sum is 0 they are all weight 0 and are shuffled).
 *
 * A lone target "." (or "") means "service decidedly not available" (RFC 2782): PW_ENOTFOUND.
 * "." next to real targets is an inconsistent answer: PW_EINVAL.
 *
 * @param rrs the records (caller-owned, not modified)
 * @param n how many (1..PW_SRV_MAX_RRS)
 * @param rng returns uniformly random 64-bit values (e.g. pw_srv_xorshift)
 * @param rng_arg passed to rng
 * @param order_out caller's array of n entries; receives the indices into rrs in the order
 *        to try them (every index exactly once)
 * @return PW_OK; PW_ENOTFOUND for n == 0 or a lone "."; PW_EINVAL for NULL arguments or a
 *         mixed "." answer; PW_ERANGE for n > PW_SRV_MAX_RRS
 */
pw_status_t pw_srv_order(const pw_srv_rr_t *rrs, size_t n, uint64_t (*rng)(void *), void *rng_arg,
                         size_t *order_out);

/**
 * A small, fast, seedable random generator (xorshift64*) for pw_srv_order(). Not for
 * cryptography. Seed the state with any non-zero value (zero is replaced by a constant).
 * @param state a uint64_t * (caller-owned), updated on every call
 * @return the next 64-bit value
 */
uint64_t pw_srv_xorshift(void *state);

#endif /* PW_SRV_H */
