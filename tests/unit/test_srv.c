/* test_srv.c: unit tests of RFC 2782 target selection: priority order, weighted random distribution, ".". */
#include <criterion/criterion.h>
#include <string.h>

#include "core/pw_loop.h"
#include "dns/pw_srv.h"
#include "fake_resolver.h"

static pw_srv_rr_t rr(uint16_t prio, uint16_t weight, uint16_t port, const char *target)
{
    pw_srv_rr_t r;
    memset(&r, 0, sizeof r);
    r.priority = prio;
    r.weight = weight;
    r.port = port;
    strncpy(r.target, target, sizeof r.target - 1);
    return r;
}

/* Every index exactly once. */
static void assert_permutation(const size_t *order, size_t n)
{
    int seen[64] = { 0 };
    for (size_t i = 0; i < n; i++) {
        cr_assert_lt(order[i], n);
        cr_assert_eq(seen[order[i]], 0, "index %zu twice", order[i]);
        seen[order[i]] = 1;
    }
}

Test(srv, priorities_ascending_all_targets_once)
{
    pw_srv_rr_t rrs[6] = { rr(20, 5, 1, "c1"), rr(10, 0, 2, "a1"), rr(30, 1, 3, "d1"),
                           rr(10, 50, 4, "a2"), rr(20, 5, 5, "c2"), rr(10, 10, 6, "a3") };
    size_t order[6];
    uint64_t seed = 42;

    for (int round = 0; round < 200; round++) {
        cr_assert_eq(pw_srv_order(rrs, 6, pw_srv_xorshift, &seed, order), PW_OK);
        assert_permutation(order, 6);
        for (size_t i = 0; i < 3; i++)
            cr_assert_eq(rrs[order[i]].priority, 10);
        for (size_t i = 3; i < 5; i++)
            cr_assert_eq(rrs[order[i]].priority, 20);
        cr_assert_eq(rrs[order[5]].priority, 30);
    }
}

Test(srv, weights_one_to_three_are_picked_in_proportion)
{
    pw_srv_rr_t rrs[2] = { rr(0, 1, 5269, "light"), rr(0, 3, 5269, "heavy") };
    size_t order[2];
    uint64_t seed = 0x1234567u;
    unsigned light_first = 0;
    const unsigned draws = 40000;
    double frac;

    for (unsigned i = 0; i < draws; i++) {
        cr_assert_eq(pw_srv_order(rrs, 2, pw_srv_xorshift, &seed, order), PW_OK);
        assert_permutation(order, 2);
        light_first += order[0] == 0;
    }
    frac = (double)light_first / draws;
    cr_assert(frac > 0.24 && frac < 0.26, "weight 1 of 4 first in %.4f of draws, expected 0.25", frac);
}

Test(srv, three_weights_distribution_of_first_and_second_choice)
{
    /* weights 10:30:60: P(first) = .1/.3/.6; P(a second) = P(b first)*10/70 + P(c first)*10/40 */
    pw_srv_rr_t rrs[3] = { rr(1, 10, 1, "a"), rr(1, 30, 1, "b"), rr(1, 60, 1, "c") };
    size_t order[3];
    uint64_t seed = 7;
    unsigned first[3] = { 0 }, a_second = 0;
    const unsigned draws = 60000;
    double expect_a_second = 0.3 * 10.0 / 70.0 + 0.6 * 10.0 / 40.0;

    for (unsigned i = 0; i < draws; i++) {
        cr_assert_eq(pw_srv_order(rrs, 3, pw_srv_xorshift, &seed, order), PW_OK);
        first[order[0]]++;
        a_second += order[1] == 0;
    }
    cr_assert_float_eq((double)first[0] / draws, 0.1, 0.01);
    cr_assert_float_eq((double)first[1] / draws, 0.3, 0.01);
    cr_assert_float_eq((double)first[2] / draws, 0.6, 0.01);
    cr_assert_float_eq((double)a_second / draws, expect_a_second, 0.01);
}

Test(srv, weight_zero_has_a_small_chance_first)
{
    /* RFC 2782: weight-0 records first in the list, so they win when R is 0: 1/(9+1). */
    pw_srv_rr_t rrs[2] = { rr(0, 9, 1, "weighted"), rr(0, 0, 1, "zero") };
    size_t order[2];
    uint64_t seed = 99;
    unsigned zero_first = 0;
    const unsigned draws = 40000;

    for (unsigned i = 0; i < draws; i++) {
        cr_assert_eq(pw_srv_order(rrs, 2, pw_srv_xorshift, &seed, order), PW_OK);
        zero_first += order[0] == 1;
    }
    cr_assert_float_eq((double)zero_first / draws, 0.1, 0.01);
}

Test(srv, all_weights_zero_are_shuffled_evenly)
{
    pw_srv_rr_t rrs[3] = { rr(0, 0, 1, "a"), rr(0, 0, 1, "b"), rr(0, 0, 1, "c") };
    size_t order[3];
    uint64_t seed = 3;
    unsigned first[3] = { 0 };
    const unsigned draws = 30000;

    for (unsigned i = 0; i < draws; i++) {
        cr_assert_eq(pw_srv_order(rrs, 3, pw_srv_xorshift, &seed, order), PW_OK);
        assert_permutation(order, 3);
        first[order[0]]++;
    }
    for (int i = 0; i < 3; i++)
        cr_assert_float_eq((double)first[i] / draws, 1.0 / 3, 0.02);
}

Test(srv, same_seed_same_order)
{
    pw_srv_rr_t rrs[4] = { rr(0, 1, 1, "a"), rr(0, 2, 1, "b"), rr(0, 3, 1, "c"), rr(0, 4, 1, "d") };
    size_t o1[4], o2[4];
    uint64_t s1 = 5, s2 = 5;

    for (int i = 0; i < 50; i++) {
        cr_assert_eq(pw_srv_order(rrs, 4, pw_srv_xorshift, &s1, o1), PW_OK);
        cr_assert_eq(pw_srv_order(rrs, 4, pw_srv_xorshift, &s2, o2), PW_OK);
        cr_assert_arr_eq(o1, o2, sizeof o1);
    }
}

Test(srv, dot_target_and_bad_input)
{
    pw_srv_rr_t dot = rr(0, 0, 0, ".");
    pw_srv_rr_t empty = rr(0, 0, 0, "");
    pw_srv_rr_t mixed[2] = { rr(0, 0, 0, "."), rr(0, 1, 5269, "gw.example") };
    pw_srv_rr_t many[2] = { rr(0, 0, 0, "."), rr(1, 0, 0, ".") };
    size_t order[2];
    uint64_t seed = 1;

    cr_assert_eq(pw_srv_order(&dot, 1, pw_srv_xorshift, &seed, order), PW_ENOTFOUND);
    cr_assert_eq(pw_srv_order(&empty, 1, pw_srv_xorshift, &seed, order), PW_ENOTFOUND);
    cr_assert_eq(pw_srv_order(many, 2, pw_srv_xorshift, &seed, order), PW_ENOTFOUND);
    cr_assert_eq(pw_srv_order(mixed, 2, pw_srv_xorshift, &seed, order), PW_EINVAL);
    cr_assert_eq(pw_srv_order(NULL, 0, pw_srv_xorshift, &seed, order), PW_ENOTFOUND);
    cr_assert_eq(pw_srv_order(mixed + 1, 1, NULL, &seed, order), PW_EINVAL);
    cr_assert_eq(pw_srv_order(mixed + 1, 1, pw_srv_xorshift, &seed, NULL), PW_EINVAL);
    cr_assert_eq(pw_srv_order(NULL, 1, pw_srv_xorshift, &seed, order), PW_EINVAL);
    cr_assert_eq(pw_srv_order(mixed + 1, PW_SRV_MAX_RRS + 1, pw_srv_xorshift, &seed, order),
                 PW_ERANGE);
    cr_assert_eq(pw_srv_order(mixed + 1, 1, pw_srv_xorshift, &seed, order), PW_OK);
    cr_assert_eq(order[0], 0);
}

Test(srv, xorshift_zero_seed_still_runs)
{
    uint64_t s = 0;
    uint64_t a = pw_srv_xorshift(&s), b = pw_srv_xorshift(&s);
    cr_assert_neq(s, 0);
    cr_assert_neq(a, b);
}

/* The proxy's use: an SRV answer from a resolver, then the order to try. */
typedef struct {
    pw_status_t status;
    size_t n;
    size_t order[8];
    int calls;
} srv_result_t;

static uint64_t fixed_rng(void *arg)
{
    return *(uint64_t *)arg;
}

static void on_srv(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    srv_result_t *res = arg;
    uint64_t zero = 0;
    res->calls++;
    res->status = status;
    res->n = n;
    cr_assert_eq(ttl, 300);
    if (status == PW_OK)
        res->status = pw_srv_order(rrs, n, fixed_rng, &zero, res->order);
}

Test(srv, order_of_an_answer_from_the_fake_resolver)
{
    pw_loop_t *loop;
    pwfake_resolver_t *f;
    pw_srv_rr_t rrs[3] = { rr(20, 1, 5269, "backup.opb.example"), rr(10, 60, 5269, "gw1.opb.example"),
                           rr(10, 40, 5270, "gw2.opb.example") };
    srv_result_t res = { 0 };

    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pwfake_resolver_create(&f, loop), PW_OK);
    cr_assert_eq(pwfake_resolver_script_srv(f, "_presence-gw._tcp.opb.example", PW_OK, rrs, 3, 300),
                 PW_OK);
    cr_assert_eq(pw_resolver_srv(pwfake_resolver_base(f), "_presence-gw._tcp.OPB.example", on_srv,
                                 &res), PW_OK);
    cr_assert_eq(res.calls, 0, "never called from inside srv()");
    cr_assert_eq(pw_loop_run_once(loop, 100), PW_OK);
    cr_assert_eq(res.calls, 1);
    cr_assert_eq(res.status, PW_OK);
    /* R = 1 + 0 % 100 = 1: the first positive weight in the priority-10 group is gw1 */
    cr_assert_eq(res.order[0], 1);
    cr_assert_eq(res.order[1], 2);
    cr_assert_eq(res.order[2], 0);
    pw_resolver_destroy(pwfake_resolver_base(f));
    pw_loop_destroy(loop);
}
