/* test_peering.c: operator signatures (signed string, sign/verify, tampering, wrong keys), timestamps, the replay guard and the peer table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/pw_peering.h"
#include "keys.h"

#define NOW 1795000000123ull /* 2026-11-18T11:06:40.123Z in unix ms */

static xmpp_ctx_t *ctx;
static char dir[64];
static char path_a_key[128], path_a_pub[128], path_b_key[128], path_b_pub[128], path_junk[128];

static void setup(void)
{
    FILE *f;
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    snprintf(dir, sizeof dir, "/tmp/pw-peering-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path_a_key, sizeof path_a_key, "%s/opa.key", dir);
    snprintf(path_a_pub, sizeof path_a_pub, "%s/opa.pub", dir);
    snprintf(path_b_key, sizeof path_b_key, "%s/opb.key", dir);
    snprintf(path_b_pub, sizeof path_b_pub, "%s/opb.pub", dir);
    snprintf(path_junk, sizeof path_junk, "%s/junk.pem", dir);
    cr_assert_eq(pwfake_keys_write_ed25519(path_a_key, path_a_pub), PW_OK);
    cr_assert_eq(pwfake_keys_write_ed25519(path_b_key, path_b_pub), PW_OK);
    f = fopen(path_junk, "w");
    cr_assert_not_null(f);
    fputs("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n", f);
    fclose(f);
}

static void teardown(void)
{
    unlink(path_a_key);
    unlink(path_a_pub);
    unlink(path_b_key);
    unlink(path_b_pub);
    unlink(path_junk);
    rmdir(dir);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(peering, .init = setup, .fini = teardown);

static pw_enquiry_t sample(void)
{
    pw_enquiry_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.ref, sizeof e.ref, "watcher.opa.example/0b6c9a8e");
    e.kind = PW_KIND_CHANGES;
    e.duration_s = 7200;
    snprintf(e.presentity, sizeof e.presentity, "+12025550123");
    snprintf(e.watcher_msisdn, sizeof e.watcher_msisdn, "+447700900001");
    snprintf(e.watcher_jid, sizeof e.watcher_jid, "alice@opa.example");
    snprintf(e.watcher_network, sizeof e.watcher_network, "opa.example");
    return e;
}

static pw_peering_key_t *load(const char *path, int priv)
{
    pw_peering_key_t *k = NULL;
    char why[256];
    pw_status_t rc = priv ? pw_peering_key_load_private(path, &k, why, sizeof why)
                          : pw_peering_key_load_public(path, &k, why, sizeof why);
    cr_assert_eq(rc, PW_OK, "load %s: %s", path, why);
    return k;
}

Test(peering, signed_string_is_exactly_the_documented_form)
{
    pw_enquiry_t e = sample();
    char buf[PW_PEERING_SIGNED_MAX];
    cr_assert_eq(pw_peering_signed_string(&e, "Proxy.OPA.example", "gateway.opb.example",
                                          "2026-11-21T10:00:00Z", "q0LwzFZ1d3w6m2pXl1xk8g",
                                          buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf,
                     "peerwatch-chain-1\n"
                     "from=proxy.opa.example\n"
                     "to=gateway.opb.example\n"
                     "ref=watcher.opa.example/0b6c9a8e\n"
                     "kind=changes\n"
                     "presentity=+12025550123\n"
                     "presentity-jid=\n"
                     "watcher-msisdn=+447700900001\n"
                     "watcher-jid=alice@opa.example\n"
                     "watcher-network=opa.example\n"
                     "duration=7200\n"
                     "subscription=\n"
                     "timestamp=2026-11-21T10:00:00Z\n"
                     "nonce=q0LwzFZ1d3w6m2pXl1xk8g\n");
    /* too small a buffer and a newline smuggled into a value are refused */
    cr_assert_eq(pw_peering_signed_string(&e, "a", "b", "t", "n", buf, 40), PW_ERANGE);
    snprintf(e.ref, sizeof e.ref, "r\nkind=stop");
    cr_assert_eq(pw_peering_signed_string(&e, "a", "b", "t", "n", buf, sizeof buf), PW_EINVAL);
}

Test(peering, sign_then_verify_round_trips)
{
    pw_enquiry_t e = sample();
    pw_peering_key_t *priv = load(path_a_key, 1), *pub = load(path_a_pub, 0);
    xmpp_stanza_t *sig = pw_peering_sign(ctx, priv, "opa.example", &e, "proxy.opa.example",
                                         "gateway.opb.example", NOW);
    char why[256] = "";
    const char *nonce, *ts;
    uint64_t t;

    cr_assert_not_null(sig);
    cr_assert_str_eq(xmpp_stanza_get_name(sig), "signature");
    cr_assert_str_eq(xmpp_stanza_get_ns(sig), PW_NS_CHAIN);
    cr_assert_str_eq(xmpp_stanza_get_attribute(sig, "alg"), "ed25519");
    cr_assert_str_eq(xmpp_stanza_get_attribute(sig, "network"), "opa.example");
    nonce = xmpp_stanza_get_attribute(sig, "nonce");
    ts = xmpp_stanza_get_attribute(sig, "timestamp");
    cr_assert_eq(strlen(nonce), PW_PEERING_NONCE_LEN);
    cr_assert_null(strchr(nonce, '='), "no padding in the nonce");
    cr_assert_eq(pw_clock_parse(ts, &t), PW_OK);
    cr_assert_eq(t, NOW / 1000 * 1000, "the timestamp is the signing time: %s", ts);
    cr_assert_eq(pw_peering_verify(pub, sig, &e, "proxy.opa.example", "gateway.opb.example", why, sizeof why),
                 PW_OK, "%s", why);
    /* domains compare case-insensitively */
    cr_assert_eq(pw_peering_verify(pub, sig, &e, "PROXY.opa.example", "gateway.OPB.example", why, sizeof why),
                 PW_OK, "%s", why);
    /* a private key verifies too */
    cr_assert_eq(pw_peering_verify(priv, sig, &e, "proxy.opa.example", "gateway.opb.example", why, sizeof why),
                 PW_OK, "%s", why);
    /* two signatures of the same enquiry differ by their nonce */
    {
        xmpp_stanza_t *again = pw_peering_sign(ctx, priv, "opa.example", &e, "proxy.opa.example",
                                               "gateway.opb.example", NOW);
        cr_assert_str_neq(xmpp_stanza_get_attribute(again, "nonce"), nonce);
        xmpp_stanza_release(again);
    }
    /* a public key cannot sign */
    cr_assert_null(pw_peering_sign(ctx, pub, "opa.example", &e, "proxy.opa.example", "gateway.opb.example", NOW));
    xmpp_stanza_release(sig);
    pw_peering_key_destroy(priv);
    pw_peering_key_destroy(pub);
}

Test(peering, survives_serialisation_through_xml)
{
    pw_enquiry_t e = sample(), parsed;
    pw_peering_key_t *priv = load(path_a_key, 1), *pub = load(path_a_pub, 0);
    xmpp_stanza_t *el = pw_enquiry_build(ctx, &e), *sig, *back;
    char *xml;
    size_t len;
    char why[256];
    pw_error_t cond;

    sig = pw_peering_sign(ctx, priv, "opa.example", &e, "proxy.opa.example", "gateway.opb.example", NOW);
    xmpp_stanza_add_child(el, sig);
    xmpp_stanza_release(sig);
    cr_assert_eq(xmpp_stanza_to_text(el, &xml, &len), XMPP_EOK);
    back = xmpp_stanza_new_from_string(ctx, xml);
    cr_assert_not_null(back, "%s", xml);
    cr_assert_eq(pw_enquiry_parse(back, &parsed, &cond, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_peering_verify(pub, xmpp_stanza_get_child_by_name(back, "signature"), &parsed,
                                   "proxy.opa.example", "gateway.opb.example", why, sizeof why), PW_OK, "%s", why);
    xmpp_free(ctx, xml);
    xmpp_stanza_release(back);
    xmpp_stanza_release(el);
    pw_peering_key_destroy(priv);
    pw_peering_key_destroy(pub);
}

/* Verify sig over e as sent by proxy.opa.example to gateway.opb.example (why receives the reason). */
static pw_status_t verify_opa(const pw_peering_key_t *key, xmpp_stanza_t *sig, const pw_enquiry_t *e, char *why,
                              size_t cap)
{
    return pw_peering_verify(key, sig, e, "proxy.opa.example", "gateway.opb.example", why, cap);
}

Test(peering, tampering_with_any_signed_attribute_fails)
{
    pw_enquiry_t e = sample();
    pw_peering_key_t *priv = load(path_a_key, 1), *pub = load(path_a_pub, 0);
    xmpp_stanza_t *sig = pw_peering_sign(ctx, priv, "opa.example", &e, "proxy.opa.example",
                                         "gateway.opb.example", NOW);
    char why[256];

    for (int field = 0; field < 9; field++) {
        pw_enquiry_t t = e;
        switch (field) {
        case 0: t.ref[0] = 'X'; break;
        case 1: t.kind = PW_KIND_NEXT; break;
        case 2: t.presentity[5] = '9'; break;
        case 3: snprintf(t.presentity_jid, sizeof t.presentity_jid, "bob@opb.example"); break;
        case 4: t.watcher_msisdn[5] = '9'; break;
        case 5: snprintf(t.watcher_jid, sizeof t.watcher_jid, "mallory@opa.example"); break;
        case 6: t.duration_s = 7201; break;
        case 7: snprintf(t.subscription, sizeof t.subscription, "s1"); break;
        case 8: snprintf(t.watcher_network, sizeof t.watcher_network, "opc.example"); break;
        }
        cr_assert_eq(verify_opa(pub, sig, &t, why, sizeof why),
                     PW_EDENIED, "field %d tampered but verified", field);
    }
    cr_assert_eq(pw_peering_verify(pub, sig, &e, "proxy.opc.example", "gateway.opb.example", why, sizeof why),
                 PW_EDENIED, "another sender");
    cr_assert_eq(pw_peering_verify(pub, sig, &e, "proxy.opa.example", "gateway.opc.example", why, sizeof why),
                 PW_EDENIED, "another gateway");
    {
        static const char *const attrs[] = { "timestamp", "nonce" };
        static const char *const values[] = { "2026-11-18T08:00:00Z", "AAAAAAAAAAAAAAAAAAAAAA" };
        for (int i = 0; i < 2; i++) {
            xmpp_stanza_t *t = xmpp_stanza_copy(sig);
            xmpp_stanza_set_attribute(t, attrs[i], values[i]);
            cr_assert_eq(verify_opa(pub, t, &e, why, sizeof why),
                         PW_EDENIED, "%s tampered but verified", attrs[i]);
            xmpp_stanza_release(t);
        }
    }
    {
        /* flip one bit of the signature itself */
        xmpp_stanza_t *t = xmpp_stanza_copy(sig), *txt = xmpp_stanza_get_children(t);
        char b64[128];
        snprintf(b64, sizeof b64, "%s", xmpp_stanza_get_text_ptr(txt));
        b64[10] = b64[10] == 'A' ? 'B' : 'A';
        xmpp_stanza_set_text(txt, b64);
        cr_assert_eq(verify_opa(pub, t, &e, why, sizeof why),
                     PW_EDENIED);
        xmpp_stanza_release(t);
    }
    xmpp_stanza_release(sig);
    pw_peering_key_destroy(priv);
    pw_peering_key_destroy(pub);
}

Test(peering, wrong_key_and_malformed_signatures_fail)
{
    pw_enquiry_t e = sample();
    pw_peering_key_t *priv = load(path_a_key, 1), *other = load(path_b_pub, 0);
    xmpp_stanza_t *sig = pw_peering_sign(ctx, priv, "opa.example", &e, "proxy.opa.example",
                                         "gateway.opb.example", NOW), *t;
    char why[256];

    cr_assert_eq(verify_opa(other, sig, &e, why, sizeof why),
                 PW_EDENIED);
    cr_assert(strstr(why, "does not verify"), "%s", why);

    t = xmpp_stanza_copy(sig);
    xmpp_stanza_set_attribute(t, "alg", "rsa");
    cr_assert_eq(verify_opa(priv, t, &e, why, sizeof why), PW_EINVAL);
    cr_assert(strstr(why, "algorithm"), "%s", why);
    xmpp_stanza_release(t);

    t = xmpp_stanza_copy(sig);
    xmpp_stanza_del_attribute(t, "nonce");
    cr_assert_eq(verify_opa(priv, t, &e, why, sizeof why), PW_EINVAL);
    cr_assert(strstr(why, "nonce"), "%s", why);
    xmpp_stanza_release(t);

    t = xmpp_stanza_copy(sig);
    xmpp_stanza_set_text(xmpp_stanza_get_children(t), "not*base64");
    cr_assert_eq(verify_opa(priv, t, &e, why, sizeof why), PW_EINVAL);
    xmpp_stanza_set_text(xmpp_stanza_get_children(t), "AAAA");
    cr_assert_eq(verify_opa(priv, t, &e, why, sizeof why), PW_EINVAL);
    xmpp_stanza_release(t);

    t = xmpp_stanza_new_from_string(ctx, "<signature xmlns='urn:peerwatch:chain:1' alg='ed25519' network='opa.example' "
                                         "timestamp='2026-11-21T10:00:00Z' nonce='AAAAAAAAAAAAAAAAAAAAAA'/>");
    cr_assert_eq(verify_opa(priv, t, &e, why, sizeof why), PW_EINVAL,
                 "an empty signature");
    xmpp_stanza_release(t);

    xmpp_stanza_release(sig);
    pw_peering_key_destroy(priv);
    pw_peering_key_destroy(other);
}

Test(peering, key_loading_refuses_what_is_not_an_ed25519_key)
{
    pw_peering_key_t *k = NULL;
    char why[256], missing[160];
    snprintf(missing, sizeof missing, "%s/none.pub", dir);
    cr_assert_eq(pw_peering_key_load_public(missing, &k, why, sizeof why), PW_EIO);
    cr_assert(strstr(why, "none.pub"), "%s", why);
    cr_assert_eq(pw_peering_key_load_public(path_junk, &k, why, sizeof why), PW_EINVAL);
    cr_assert_eq(chmod(path_a_pub, 0600), 0, "private-key modes, so that the content is what is refused");
    cr_assert_eq(pw_peering_key_load_private(path_a_pub, &k, why, sizeof why), PW_EINVAL,
                 "a public key is not a private key");
    cr_assert_null(k);
    pw_peering_key_destroy(NULL);
}

Test(peering, timestamps_parse_as_xep0082)
{
    static const struct {
        const char *text;
        uint64_t ms;
    } ok[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2026-11-21T10:00:00Z", 1795255200000ull },
        { "2026-11-21T10:00:00.250Z", 1795255200250ull },
        { "2026-11-21T11:30:00+01:30", 1795255200000ull },
        { "2024-02-29T00:00:00Z", 1709164800000ull },
    };
    static const char *const bad[] = { "2023-02-29T00:00:00Z", "2026-11-21 10:00:00Z", "2026-11-21T10:00:00",
                                       "2026-13-21T10:00:00Z", "2026-11-21T10:00:00Zjunk", "" };
    uint64_t t;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_assert_eq(pw_clock_parse(ok[i].text, &t), PW_OK, "%s", ok[i].text);
        cr_assert_eq(t, ok[i].ms, "%s", ok[i].text);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(pw_clock_parse(bad[i], &t), PW_EINVAL, "'%s'", bad[i]);
}

/* A valid unpadded 16-byte nonce from a counter (the last character carries 2 zero bits). */
static const char *nonce_of(unsigned n, char *buf)
{
    snprintf(buf, 32, "%021uA", n);
    return buf;
}

Test(peering, replay_guard_refuses_skew_and_replays)
{
    pw_peering_replay_t *r;
    char why[256], n[32];
    const uint64_t t0 = 1795255200000ull; /* 2026-11-21T10:00:00Z */
    cr_assert_eq(pw_peering_replay_create(&r, 300000, 100), PW_OK);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", nonce_of(1, n),
                                         t0 + 299000, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", nonce_of(1, n),
                                         t0 + 299000, why, sizeof why), PW_EEXIST);
    cr_assert(strstr(why, "replay"), "%s", why);
    cr_assert_eq(pw_peering_replay_check(r, "OPA.example", "2026-11-21T10:00:05Z", nonce_of(1, n),
                                         t0 + 299000, why, sizeof why), PW_EEXIST,
                 "networks compare case-insensitively, the timestamp does not matter");
    cr_assert_eq(pw_peering_replay_check(r, "opc.example", "2026-11-21T10:00:00Z", nonce_of(1, n),
                                         t0 + 299000, why, sizeof why), PW_OK,
                 "nonces are per network");
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", "short",
                                         t0, why, sizeof why), PW_EINVAL);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", "AAAAAAAAAAAAAAAAAAAAAB",
                                         t0, why, sizeof why), PW_EINVAL, "non-canonical base64");
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "yesterday", nonce_of(9, n),
                                         t0, why, sizeof why), PW_EINVAL);
    cr_assert_eq(pw_peering_replay_count(r), 2);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:05:02Z", nonce_of(3, n),
                                         t0, why, sizeof why), PW_ERANGE,
                 "a timestamp from the future beyond the skew");
    cr_assert(strstr(why, "timestamp"), "%s", why);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", nonce_of(2, n),
                                         t0 + 301000, why, sizeof why), PW_ERANGE, "too old");
    cr_assert_eq(pw_peering_replay_count(r), 0, "both nonces have left their window");
    /* the clock steps back: the forgotten nonce must not be accepted again */
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", nonce_of(1, n),
                                         t0, why, sizeof why), PW_ERANGE);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:02Z", nonce_of(4, n),
                                         t0, why, sizeof why), PW_OK, "%s", why);
    pw_peering_replay_destroy(r);
    pw_peering_replay_destroy(NULL);
}

Test(peering, nonce_table_is_bounded_and_forgets_only_expired_nonces)
{
    pw_peering_replay_t *r;
    char why[256], n[32];
    const uint64_t t0 = 1795255200000ull; /* 10:00:00Z */
    cr_assert_eq(pw_peering_replay_create(&r, 60000, 3), PW_OK);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", nonce_of(1, n), t0, why, sizeof why), PW_OK);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:10Z", nonce_of(2, n), t0, why, sizeof why), PW_OK);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:20Z", nonce_of(3, n), t0, why, sizeof why), PW_OK);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:20Z", nonce_of(4, n), t0, why, sizeof why), PW_EFULL,
                 "full: refuse rather than forget unexpired nonces");
    cr_assert(strstr(why, "full"), "%s", why);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:00Z", nonce_of(1, n), t0, why, sizeof why), PW_EEXIST,
                 "a replay is still recognised when full");
    /* at 10:01:05 the nonce stamped 10:00:00 has left its window (10:01:00), the others have not */
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:01:05Z", nonce_of(4, n), t0 + 65000, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_peering_replay_count(r), 3);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:10Z", nonce_of(2, n), t0 + 65000, why, sizeof why), PW_EEXIST);
    cr_assert_eq(pw_peering_replay_check(r, "opa.example", "2026-11-21T10:00:20Z", nonce_of(3, n), t0 + 65000, why, sizeof why), PW_EEXIST);
    pw_peering_replay_destroy(r);
    cr_assert_eq(pw_peering_replay_create(&r, 60000, 0), PW_EINVAL);
}

Test(peering, nonce_table_stays_consistent_through_growth_and_expiry)
{
    pw_peering_replay_t *r;
    char why[256], n[32], ts[40];
    const uint64_t t0 = 1795255200000ull;
    enum { N = 5000 };
    cr_assert_eq(pw_peering_replay_create(&r, 60000, 100000), PW_OK);
    /* nonce i stamped at 10:00:00 + (i * 7919 % 120) s - 60 s, checked at 10:00:00 */
    for (unsigned i = 0; i < N; i++) {
        unsigned off = i * 7919u % 120u;
        snprintf(ts, sizeof ts, "2026-11-21T%s:%02u:%02uZ", off < 60 ? "09" : "10",
                 off < 60 ? 59u : 0u, off < 60 ? off : off - 60);
        cr_assert_eq(pw_peering_replay_check(r, "opa.example", ts, nonce_of(i, n), t0, why, sizeof why), PW_OK,
                     "%u %s: %s", i, ts, why);
    }
    cr_assert_eq(pw_peering_replay_count(r), N);
    /* walk the clock forward: each nonce is remembered exactly while its window lasts */
    for (unsigned step = 0; step <= 130; step += 5) {
        uint64_t now = t0 + step * 1000ull;
        size_t live = 0;
        /* any call forgets what has expired, even one refused for its timestamp */
        cr_assert_eq(pw_peering_replay_check(r, "opa.example", "bad", nonce_of(N, n), now, why, sizeof why), PW_EINVAL);
        for (unsigned i = 0; i < N; i++) {
            unsigned off = i * 7919u % 120u;
            uint64_t stamp = t0 - 60000 + off * 1000ull;
            if (stamp + 60000 >= now && now + 60000 >= stamp) {
                snprintf(ts, sizeof ts, "2026-11-21T%s:%02u:%02uZ", off < 60 ? "09" : "10",
                         off < 60 ? 59u : 0u, off < 60 ? off : off - 60);
                cr_assert_eq(pw_peering_replay_check(r, "opa.example", ts, nonce_of(i, n), now, why, sizeof why),
                             PW_EEXIST, "step %u nonce %u lost: %s", step, i, why);
                live++;
            }
        }
        cr_assert_eq(pw_peering_replay_count(r), live, "step %u: %zu remembered, %zu live", step,
                     pw_peering_replay_count(r), live);
    }
    pw_peering_replay_destroy(r);
}

Test(peering, peer_table_covers_the_network_and_its_subdomains_only)
{
    pw_peering_peers_t *p;
    const char *net;
    char why[256];
    const pw_peering_key_t *ka, *kb;

    cr_assert_eq(pw_peering_peers_create(&p), PW_OK);
    cr_assert_eq(pw_peering_peers_add(p, "OPA.example", path_a_pub, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_peering_peers_add(p, "eu.opc.example", path_b_pub, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_peering_peers_add(p, "opa.example", path_b_pub, why, sizeof why), PW_EEXIST);
    cr_assert_eq(pw_peering_peers_add(p, "not a domain", path_b_pub, why, sizeof why), PW_EINVAL);
    cr_assert_eq(pw_peering_peers_add(p, "opd.example", path_junk, why, sizeof why), PW_EINVAL);
    cr_assert_eq(pw_peering_peers_count(p), 2);

    ka = pw_peering_peers_find(p, "opa.example", &net);
    cr_assert_not_null(ka);
    cr_assert_str_eq(net, "opa.example");
    cr_assert_eq(pw_peering_peers_find(p, "proxy.OPA.example", &net), ka);
    cr_assert_eq(pw_peering_peers_find(p, "a.b.opa.example", NULL), ka);
    cr_assert_null(pw_peering_peers_find(p, "evilopa.example", &net));
    cr_assert_null(net);
    cr_assert_null(pw_peering_peers_find(p, "example", NULL));
    cr_assert_null(pw_peering_peers_find(p, "opc.example", NULL), "a parent of a peer is not covered");
    kb = pw_peering_peers_find(p, "proxy.eu.opc.example", &net);
    cr_assert_not_null(kb);
    cr_assert_str_eq(net, "eu.opc.example");
    /* the longest covering network wins */
    cr_assert_eq(pw_peering_peers_add(p, "sub.opa.example", path_b_pub, why, sizeof why), PW_OK);
    cr_assert_neq(pw_peering_peers_find(p, "proxy.sub.opa.example", &net), ka);
    cr_assert_str_eq(net, "sub.opa.example");
    pw_peering_peers_destroy(p);
    pw_peering_peers_destroy(NULL);
    cr_assert_eq(pw_peering_peers_count(NULL), 0);
}

/* ---- notifications (docs/protocol.md §5.2) ---- */

static pw_notify_t sample_notify(void)
{
    pw_notify_t n;
    memset(&n, 0, sizeof n);
    snprintf(n.subscription, sizeof n.subscription, "5b3c");
    snprintf(n.ref, sizeof n.ref, "watcher.opa.example/0b6c9a8e");
    snprintf(n.proxy, sizeof n.proxy, "Proxy.opa.example");
    snprintf(n.watcher_jid, sizeof n.watcher_jid, "alice@opa.example");
    snprintf(n.presentity, sizeof n.presentity, "+12025550123");
    n.seq = 3;
    n.has_state = 1;
    n.state.available = 1;
    snprintf(n.state.show, sizeof n.state.show, "dnd");
    snprintf(n.state.status, sizeof n.state.status, "In a meeting\nback at 3 \\o/");
    return n;
}

Test(peering, notify_signed_string_is_exactly_the_documented_form)
{
    pw_notify_t n = sample_notify();
    char buf[PW_PEERING_SIGNED_MAX];
    cr_assert_eq(pw_peering_notify_signed_string(&n, "Gateway.opb.example", "proxy.opa.example",
                                                 "2026-12-04T21:00:00Z", "q0LwzFZ1d3w6m2pXl1xk8g",
                                                 buf, sizeof buf), PW_OK);
    cr_assert_str_eq(buf,
                     "peerwatch-notify-1\n"
                     "from=gateway.opb.example\n"
                     "to=proxy.opa.example\n"
                     "subscription=5b3c\n"
                     "ref=watcher.opa.example/0b6c9a8e\n"
                     "proxy=proxy.opa.example\n"
                     "watcher-jid=alice@opa.example\n"
                     "presentity=+12025550123\n"
                     "presentity-jid=\n"
                     "seq=3\n"
                     "ended=\n"
                     "state=available\n"
                     "show=dnd\n"
                     "status=In a meeting\\x0aback at 3 \\\\o/\n"
                     "timestamp=2026-12-04T21:00:00Z\n"
                     "nonce=q0LwzFZ1d3w6m2pXl1xk8g\n");
    /* unavailable: no show, as on the wire; an ended one without a state */
    n.state.available = 0;
    cr_assert_eq(pw_peering_notify_signed_string(&n, "g", "p", "t", "n", buf, sizeof buf), PW_OK);
    cr_assert(strstr(buf, "\nstate=unavailable\nshow=\nstatus=In a meeting"), "%s", buf);
    n.has_state = 0;
    snprintf(n.ended, sizeof n.ended, "expired");
    cr_assert_eq(pw_peering_notify_signed_string(&n, "g", "p", "t", "n", buf, sizeof buf), PW_OK);
    cr_assert(strstr(buf, "\nended=expired\nstate=\nshow=\nstatus=\n"), "%s", buf);
    cr_assert_eq(pw_peering_notify_signed_string(&n, "g", "p", "t", "n", buf, 30), PW_ERANGE);
    snprintf(n.subscription, sizeof n.subscription, "s\nseq=9");
    cr_assert_eq(pw_peering_notify_signed_string(&n, "g", "p", "t", "n", buf, sizeof buf), PW_EINVAL);
}

Test(peering, a_signed_notification_verifies_only_as_it_was_signed)
{
    pw_peering_key_t *a = load(path_a_key, 1), *b_pub = load(path_b_pub, 0), *a_pub = load(path_a_pub, 0);
    pw_notify_t n = sample_notify(), m;
    xmpp_stanza_t *sig = pw_peering_sign_notify(ctx, a, "opa.example", &n, "gateway.opa.example",
                                                "proxy.opb.example", NOW);
    char why[256];
    cr_assert_not_null(sig);
    cr_assert_eq(pw_peering_verify_notify(a_pub, sig, "opa.example", &n, "gateway.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(pw_peering_verify_notify(b_pub, sig, "opa.example", &n, "gateway.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_EDENIED, "another key");
    cr_assert_eq(pw_peering_verify_notify(a_pub, sig, "opb.example", &n, "gateway.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_EDENIED, "another network");
    cr_assert_eq(pw_peering_verify_notify(a_pub, sig, "opa.example", &n, "rogue.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_EDENIED, "another sender");
    m = n;
    m.seq = 4;
    cr_assert_eq(pw_peering_verify_notify(a_pub, sig, "opa.example", &m, "gateway.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_EDENIED, "another seq");
    m = n;
    m.state.status[0] = 'i';
    cr_assert_eq(pw_peering_verify_notify(a_pub, sig, "opa.example", &m, "gateway.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_EDENIED, "another status");
    m = n;
    snprintf(m.subscription, sizeof m.subscription, "other");
    cr_assert_eq(pw_peering_verify_notify(a_pub, sig, "opa.example", &m, "gateway.opa.example",
                                          "proxy.opb.example", why, sizeof why), PW_EDENIED, "another subscription");
    cr_assert_null(pw_peering_sign_notify(ctx, a_pub, "opa.example", &n, "g", "p", NOW), "a public key cannot sign");
    xmpp_stanza_release(sig);
    pw_peering_key_destroy(a);
    pw_peering_key_destroy(a_pub);
    pw_peering_key_destroy(b_pub);
}
