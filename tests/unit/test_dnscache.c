/* test_dnscache.c: unit tests of the NAPTR/SRV TTL cache: hits, negative entries, clamping, expiry, eviction. */
#include <criterion/criterion.h>
#include <string.h>

#include "dns/pw_dnscache.h"
#include "core/pw_loop.h"
#include "fake_clock.h"
#include "fake_resolver.h"

static pw_loop_t *loop;
static uint64_t now = 1000000; /* the loop clock, ms */

static void setup(void)
{
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    now = 1000000;
    pw_loop_set_clock(loop, pwfake_clock_now, &now);
}

static void teardown(void)
{
    pw_loop_destroy(loop);
}

/* Advance the manual clock and let the loop see it. */
static void advance(uint64_t ms)
{
    now += ms;
    pw_loop_update_time(loop);
}

static pw_srv_rr_t srv(uint16_t prio, const char *target)
{
    pw_srv_rr_t r;
    memset(&r, 0, sizeof r);
    r.priority = prio;
    r.weight = 1;
    r.port = 5269;
    strncpy(r.target, target, sizeof r.target - 1);
    return r;
}

TestSuite(dnscache, .init = setup, .fini = teardown);

/* Look name up among the SRV entries of c. @return what pw_dnscache_get_srv() returns (the answer is not kept) */
static pw_status_t get_srv(pw_dnscache_t *c, const char *name)
{
    const pw_srv_rr_t *got;
    pw_status_t st;
    size_t n;
    return pw_dnscache_get_srv(c, name, &st, &got, &n);
}

Test(dnscache, positive_hit_until_ttl_then_miss)
{
    pw_dnscache_t *c;
    pw_srv_rr_t rrs[2] = { srv(1, "gw1.opb.example"), srv(2, "gw2.opb.example") };
    const pw_srv_rr_t *got = NULL;
    pw_status_t st = PW_EIO;
    size_t n = 0;

    cr_assert_eq(pw_dnscache_create(&c, loop, 0, 3600000, 30000, 16), PW_OK);
    cr_assert_eq(pw_dnscache_get_srv(c, "_presence-gw._tcp.opb.example", &st, &got, &n), PW_ENOTFOUND);
    cr_assert_eq(pw_dnscache_put_srv(c, "_presence-gw._tcp.opb.example", PW_OK, rrs, 2, 60), PW_OK);
    memset(rrs, 0, sizeof rrs); /* the cache holds its own copy */
    cr_assert_eq(pw_dnscache_get_srv(c, "_Presence-GW._tcp.OPB.example.", &st, &got, &n), PW_OK,
                 "names compare case-insensitively, trailing dot ignored");
    cr_assert_eq(st, PW_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(got[0].target, "gw1.opb.example");
    cr_assert_eq(got[1].priority, 2);
    advance(59999);
    cr_assert_eq(pw_dnscache_get_srv(c, "_presence-gw._tcp.opb.example", &st, &got, &n), PW_OK);
    advance(1);
    cr_assert_eq(pw_dnscache_get_srv(c, "_presence-gw._tcp.opb.example", &st, &got, &n), PW_ENOTFOUND);
    cr_assert_eq(pw_dnscache_count(c), 0, "the expired entry is dropped");
    pw_dnscache_destroy(c);
}

Test(dnscache, naptr_and_srv_are_separate)
{
    pw_dnscache_t *c;
    pw_naptr_t nrr;
    pw_srv_rr_t srr = srv(0, "x.example");
    const pw_naptr_t *ng;
    const pw_srv_rr_t *sg;
    pw_status_t st;
    size_t n;

    memset(&nrr, 0, sizeof nrr);
    strcpy(nrr.flags, "u");
    strcpy(nrr.service, "E2U+xmpp");
    strcpy(nrr.regexp, "!^.*$!xmpp:opb.example!");
    strcpy(nrr.replacement, ".");
    cr_assert_eq(pw_dnscache_create(&c, loop, 0, 3600000, 30000, 16), PW_OK);
    cr_assert_eq(pw_dnscache_put_naptr(c, "same.example", PW_OK, &nrr, 1, 100), PW_OK);
    cr_assert_eq(pw_dnscache_get_srv(c, "same.example", &st, &sg, &n), PW_ENOTFOUND);
    cr_assert_eq(pw_dnscache_put_srv(c, "same.example", PW_OK, &srr, 1, 100), PW_OK);
    cr_assert_eq(pw_dnscache_count(c), 2);
    cr_assert_eq(pw_dnscache_get_naptr(c, "same.example", &st, &ng, &n), PW_OK);
    cr_assert_str_eq(ng[0].regexp, "!^.*$!xmpp:opb.example!");
    cr_assert_eq(pw_dnscache_get_srv(c, "same.example", &st, &sg, &n), PW_OK);
    cr_assert_str_eq(sg[0].target, "x.example");
    pw_dnscache_destroy(c);
}

Test(dnscache, negative_entries_use_soa_ttl_capped_or_configured_default)
{
    pw_dnscache_t *c;
    const pw_naptr_t *got = (const pw_naptr_t *)1;
    pw_status_t st = PW_OK;
    size_t n = 99;

    cr_assert_eq(pw_dnscache_create(&c, loop, 1000, 3600000, 30000, 16), PW_OK);
    cr_assert_eq(pw_dnscache_put_naptr(c, "nx.example", PW_ENOTFOUND, NULL, 0, 0), PW_OK);
    cr_assert_eq(pw_dnscache_put_naptr(c, "soa10.example", PW_ENOTFOUND, NULL, 0, 10), PW_OK);
    cr_assert_eq(pw_dnscache_put_naptr(c, "soa900.example", PW_ENOTFOUND, NULL, 0, 900), PW_OK);
    cr_assert_eq(pw_dnscache_get_naptr(c, "nx.example", &st, &got, &n), PW_OK);
    cr_assert_eq(st, PW_ENOTFOUND, "a cached negative answer");
    cr_assert_null(got);
    cr_assert_eq(n, 0);
    advance(10000);
    cr_assert_eq(pw_dnscache_get_naptr(c, "soa10.example", &st, &got, &n), PW_ENOTFOUND,
                 "the SOA's 10 s");
    cr_assert_eq(pw_dnscache_get_naptr(c, "nx.example", &st, &got, &n), PW_OK);
    advance(20000);
    cr_assert_eq(pw_dnscache_get_naptr(c, "nx.example", &st, &got, &n), PW_ENOTFOUND,
                 "no TTL: the configured 30 s");
    cr_assert_eq(pw_dnscache_get_naptr(c, "soa900.example", &st, &got, &n), PW_ENOTFOUND,
                 "900 s capped to the configured 30 s");
    pw_dnscache_destroy(c);
}

Test(dnscache, ttl_clamped_to_min_and_max)
{
    pw_dnscache_t *c;
    pw_srv_rr_t r = srv(0, "a.example");

    cr_assert_eq(pw_dnscache_create(&c, loop, 5000, 120000, 30000, 16), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "zero.example", PW_OK, &r, 1, 0), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "day.example", PW_OK, &r, 1, 86400), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "huge.example", PW_OK, &r, 1, UINT32_MAX), PW_OK);
    advance(4999);
    cr_assert_eq(get_srv(c, "zero.example"), PW_OK, "TTL 0 lives min");
    advance(1);
    cr_assert_eq(get_srv(c, "zero.example"), PW_ENOTFOUND);
    advance(115000 - 1);
    cr_assert_eq(get_srv(c, "day.example"), PW_OK);
    advance(1);
    cr_assert_eq(get_srv(c, "day.example"), PW_ENOTFOUND, "max 120 s");
    cr_assert_eq(get_srv(c, "huge.example"), PW_ENOTFOUND);
    pw_dnscache_destroy(c);
}

Test(dnscache, replace_and_evict_least_recently_used)
{
    pw_dnscache_t *c;
    pw_srv_rr_t a = srv(1, "a.example"), b = srv(2, "b.example");
    const pw_srv_rr_t *got;
    pw_status_t st;
    size_t n;

    cr_assert_eq(pw_dnscache_create(&c, loop, 0, 3600000, 30000, 3), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "one", PW_OK, &a, 1, 60), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "two", PW_OK, &a, 1, 60), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "three", PW_OK, &a, 1, 60), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "ONE", PW_OK, &b, 1, 60), PW_OK, "replaces, no eviction");
    cr_assert_eq(pw_dnscache_count(c), 3);
    cr_assert_eq(get_srv(c, "two"), PW_OK); /* two is now recent */
    cr_assert_eq(pw_dnscache_put_srv(c, "four", PW_OK, &a, 1, 60), PW_OK);
    cr_assert_eq(pw_dnscache_count(c), 3);
    cr_assert_eq(get_srv(c, "three"), PW_ENOTFOUND, "LRU evicted");
    cr_assert_eq(pw_dnscache_get_srv(c, "one", &st, &got, &n), PW_OK);
    cr_assert_str_eq(got[0].target, "b.example");
    cr_assert_eq(get_srv(c, "two"), PW_OK);
    cr_assert_eq(get_srv(c, "four"), PW_OK);
    /* a positive answer replaced by a negative one */
    cr_assert_eq(pw_dnscache_put_srv(c, "four", PW_ENOTFOUND, NULL, 0, 0), PW_OK);
    cr_assert_eq(pw_dnscache_get_srv(c, "four", &st, &got, &n), PW_OK);
    cr_assert_eq(st, PW_ENOTFOUND);
    pw_dnscache_destroy(c);
}

Test(dnscache, bad_arguments)
{
    pw_dnscache_t *c;
    pw_srv_rr_t a = srv(1, "a.example");
    const pw_srv_rr_t *got;
    pw_status_t st;
    size_t n;
    char longname[300];

    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_eq(pw_dnscache_create(&c, NULL, 0, 1, 1, 1), PW_EINVAL);
    cr_assert_eq(pw_dnscache_create(&c, loop, 2, 1, 1, 1), PW_EINVAL);
    cr_assert_eq(pw_dnscache_create(&c, loop, 0, 1, 1, 0), PW_EINVAL);
    cr_assert_eq(pw_dnscache_create(NULL, loop, 0, 1, 1, 1), PW_EINVAL);
    cr_assert_eq(pw_dnscache_create(&c, loop, 0, 60000, 1000, 4), PW_OK);
    cr_assert_eq(pw_dnscache_put_srv(c, "x", PW_ETIMEOUT, NULL, 0, 0), PW_EINVAL, "failures are not cached");
    cr_assert_eq(pw_dnscache_put_srv(c, "x", PW_EDNS, NULL, 0, 0), PW_EINVAL);
    cr_assert_eq(pw_dnscache_put_srv(c, "x", PW_OK, NULL, 0, 10), PW_EINVAL);
    cr_assert_eq(pw_dnscache_put_srv(c, "x", PW_OK, &a, PW_DNSCACHE_MAX_RRS + 1, 10), PW_ERANGE);
    cr_assert_eq(pw_dnscache_put_srv(c, "", PW_OK, &a, 1, 10), PW_EINVAL);
    cr_assert_eq(pw_dnscache_put_srv(c, ".", PW_OK, &a, 1, 10), PW_EINVAL);
    cr_assert_eq(pw_dnscache_put_srv(c, "a b", PW_OK, &a, 1, 10), PW_EINVAL);
    cr_assert_eq(pw_dnscache_put_srv(c, longname, PW_OK, &a, 1, 10), PW_EINVAL);
    longname[253] = '\0';
    cr_assert_eq(pw_dnscache_put_srv(c, longname, PW_OK, &a, 1, 10), PW_OK, "253 bytes is fine");
    longname[253] = '.';
    longname[254] = '\0';
    cr_assert_eq(pw_dnscache_get_srv(c, longname, &st, &got, &n), PW_OK, "with its trailing dot");
    cr_assert_eq(pw_dnscache_put_srv(NULL, "x", PW_OK, &a, 1, 10), PW_EINVAL);
    cr_assert_eq(pw_dnscache_get_srv(c, NULL, &st, &got, &n), PW_EINVAL);
    cr_assert_eq(pw_dnscache_get_srv(c, "x", NULL, &got, &n), PW_EINVAL);
    cr_assert_eq(pw_dnscache_get_srv(c, "x", &st, NULL, &n), PW_EINVAL);
    cr_assert_eq(pw_dnscache_count(c), 1);
    cr_assert_eq(pw_dnscache_count(NULL), 0);
    pw_dnscache_destroy(c);
    pw_dnscache_destroy(NULL);
}

/* The proxy's flow: look in the cache; on a miss, ask the resolver and store the answer. */
typedef struct {
    pw_dnscache_t *cache;
    const char *name;
    int calls;
} fill_t;

static void fill_srv(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    fill_t *fl = arg;
    fl->calls++;
    if (status == PW_OK || status == PW_ENOTFOUND)
        cr_assert_eq(pw_dnscache_put_srv(fl->cache, fl->name, status, rrs, n, ttl), PW_OK);
}

static int lookup(pw_dnscache_t *c, pw_resolver_t *r, fill_t *fl, pw_status_t *st, size_t *n)
{
    const pw_srv_rr_t *got;
    if (pw_dnscache_get_srv(c, fl->name, st, &got, n) == PW_OK)
        return 1; /* hit */
    cr_assert_eq(pw_resolver_srv(r, fl->name, fill_srv, fl), PW_OK);
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(pw_dnscache_get_srv(c, fl->name, st, &got, n), PW_OK);
    return 0;
}

Test(dnscache, filled_from_the_fake_resolver_and_refreshed_after_expiry)
{
    pwfake_resolver_t *f;
    pw_dnscache_t *c;
    pw_srv_rr_t rrs[2] = { srv(1, "gw1.opb.example"), srv(2, "gw2.opb.example") };
    fill_t fl = { NULL, "_presence-gw._tcp.opb.example", 0 };
    fill_t nx = { NULL, "_presence-gw._tcp.nowhere.example", 0 };
    pw_status_t st;
    size_t n;

    cr_assert_eq(pwfake_resolver_create(&f, loop), PW_OK);
    cr_assert_eq(pw_dnscache_create(&c, loop, 1000, 3600000, 5000, 64), PW_OK);
    fl.cache = nx.cache = c;
    cr_assert_eq(pwfake_resolver_script_srv(f, fl.name, PW_OK, rrs, 2, 120), PW_OK);
    cr_assert_eq(lookup(c, pwfake_resolver_base(f), &fl, &st, &n), 0, "first: a miss");
    cr_assert_eq(st, PW_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(lookup(c, pwfake_resolver_base(f), &fl, &st, &n), 1, "then a hit");
    cr_assert_eq(lookup(c, pwfake_resolver_base(f), &nx, &st, &n), 0);
    cr_assert_eq(st, PW_ENOTFOUND, "negative answer cached");
    advance(4000);
    cr_assert_eq(lookup(c, pwfake_resolver_base(f), &nx, &st, &n), 1);
    advance(1000);
    cr_assert_eq(lookup(c, pwfake_resolver_base(f), &nx, &st, &n), 0, "negative TTL 5 s over");
    advance(115000);
    cr_assert_eq(lookup(c, pwfake_resolver_base(f), &fl, &st, &n), 0, "TTL 120 s over");
    cr_assert_eq(pwfake_resolver_count(f, "srv", fl.name), 2);
    cr_assert_eq(pwfake_resolver_count(f, "srv", nx.name), 2);
    cr_assert_eq(fl.calls + nx.calls, 4);
    pw_dnscache_destroy(c);
    pw_resolver_destroy(pwfake_resolver_base(f));
}

/* The fake keeps the resolver contract: later delivery, ECLOSED at destroy, exactly once. */
typedef struct {
    int calls;
    pw_status_t status;
} count_t;

static void count_srv(void *arg, pw_status_t status, const pw_srv_rr_t *rrs, size_t n, uint32_t ttl)
{
    count_t *ct = arg;
    ct->calls++;
    ct->status = status;
    (void)rrs;
    (void)n;
    (void)ttl;
}

Test(dnscache, fake_resolver_delay_and_destroy)
{
    pwfake_resolver_t *f;
    count_t a = { 0, PW_OK }, b = { 0, PW_OK };

    cr_assert_eq(pwfake_resolver_create(&f, loop), PW_OK);
    pwfake_resolver_set_delay(f, 1000);
    cr_assert_eq(pw_resolver_srv(pwfake_resolver_base(f), "a.example", count_srv, &a), PW_OK);
    cr_assert_eq(pw_resolver_srv(pwfake_resolver_base(f), "b.example", count_srv, &b), PW_OK);
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(a.calls + b.calls, 0);
    advance(1000);
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.status, PW_ENOTFOUND, "an unscripted name");
    cr_assert_eq(b.calls, 1);
    a.calls = b.calls = 0;
    cr_assert_eq(pw_resolver_srv(pwfake_resolver_base(f), "a.example", count_srv, &a), PW_OK);
    pw_resolver_destroy(pwfake_resolver_base(f));
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.status, PW_ECLOSED);
    advance(5000);
    cr_assert_eq(pw_loop_run_once(loop, 0), PW_OK);
    cr_assert_eq(a.calls, 1, "exactly once");
}
