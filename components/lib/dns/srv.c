/* srv.c: RFC 2782 target selection ("Usage rules": priority, then weighted random order) over SRV answers.
 *
 * Implements RFC 2782, pages 3-4: the Priority and Weight fields and the selection algorithm
 * of the "Usage rules" section, and the meaning of a Target of ".". See pw_srv.h for the one
 * place where the inclusive range of the RFC's random number is narrowed.
 */
#include "dns/pw_srv.h"

#include <string.h>

static int is_root(const char *target)
{
    return target[0] == '\0' || (target[0] == '.' && target[1] == '\0');
}

/* Move order[j] to position k (k <= j), shifting order[k..j-1] up by one. */
static void rotate_to(size_t *order, size_t k, size_t j)
{
    size_t v = order[j];
    memmove(&order[k + 1], &order[k], (j - k) * sizeof *order);
    order[k] = v;
}

/* Order order[a..b) (one priority) by repeated weighted random selection. */
static void order_group(const pw_srv_rr_t *rrs, size_t *order, size_t a, size_t b,
                        uint64_t (*rng)(void *), void *rng_arg)
{
    size_t zeros = 0;

    /* weight-0 entries first, keeping their relative order */
    for (size_t i = a; i < b; i++) {
        if (rrs[order[i]].weight == 0) {
            rotate_to(order, a + zeros, i);
            zeros++;
        }
    }
    for (size_t k = a; k + 1 < b; k++) {
        uint64_t sum = 0, r, acc = 0;
        size_t j = b - 1;

        for (size_t i = k + zeros; i < b; i++)
            sum += rrs[order[i]].weight;
        if (zeros > 0)
            r = rng(rng_arg) % (sum + 1);
        else
            r = 1 + rng(rng_arg) % sum; /* sum > 0: every remaining weight is positive */
        if (r == 0) {
            j = k + (size_t)(rng(rng_arg) % zeros);
            zeros--;
        } else {
            for (size_t i = k + zeros; i < b; i++) {
                acc += rrs[order[i]].weight;
                if (acc >= r) {
                    j = i;
                    break;
                }
            }
        }
        rotate_to(order, k, j);
    }
}

pw_status_t pw_srv_order(const pw_srv_rr_t *rrs, size_t n, uint64_t (*rng)(void *), void *rng_arg,
                         size_t *order_out)
{
    pw_status_t st = PW_ENOTFOUND;
    size_t roots = 0;

    if (n == 0)
        goto done;
    st = PW_EINVAL;
    if (!rrs || !rng || !order_out)
        goto done;
    st = PW_ERANGE;
    if (n > PW_SRV_MAX_RRS)
        goto done;
    for (size_t i = 0; i < n; i++)
        roots += is_root(rrs[i].target) ? 1u : 0u;
    st = roots == n ? PW_ENOTFOUND : PW_EINVAL;
    if (roots > 0)
        goto done;
    /* stable insertion sort by priority */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        order_out[i] = i;
        while (j > 0 && rrs[order_out[j - 1]].priority > rrs[i].priority) {
            order_out[j] = order_out[j - 1];
            j--;
        }
        order_out[j] = i;
    }
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && rrs[order_out[b]].priority == rrs[order_out[a]].priority)
            b++;
        order_group(rrs, order_out, a, b, rng, rng_arg);
        a = b;
    }
    st = PW_OK;
done:
    return st;
}

uint64_t pw_srv_xorshift(void *state)
{
    uint64_t *s = state;
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Du;
}
