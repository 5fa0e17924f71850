/* bench_peering.c: what an enquiry's operator signature costs the proxy and the gateway (sign, verify, replay guard), against bare OpenSSL Ed25519 on the same signed string. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/pw_peering.h"
#include "keys.h"

/*
 * Usage: bench_peering [N]   (default 20000)
 *
 * With the trial's key of operator A (conf/keys/opa.example.key, opa.example.pub; read from the copy of conf/
 * under PWT_TREE, whose key is mode 0640 as the loader requires), N times each:
 *   - pw_peering_sign(): the <signature/> element the proxy adds to an enquiry (signed string,
 *     timestamp, nonce, Ed25519, base64), against EVP_DigestSign() alone on a signed string of
 *     the same enquiry;
 *   - pw_peering_verify() of each of those elements, as the gateway does, against
 *     EVP_DigestVerify() alone;
 *   - pw_peering_replay_check() of each nonce (the replay guard's SHA-256 and table).
 * Prints microseconds per operation and the ratios to the bare OpenSSL calls; the sum is the
 * CPU that signing costs an enquiry in the chain (bench_chain prints the components' CPU per
 * enquiry to compare with). Exit status 1 on any failure (a signature that does not verify).
 */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The bare OpenSSL baseline: one-shot Ed25519 sign and verify of the signed string, as many
 * times, each with a fresh context as pw_peering does. 0 on success. */
static int bare_openssl(const char *key_path, const char *tbs, unsigned n, double *sign_us, double *verify_us)
{
    FILE *f = fopen(key_path, "r");
    EVP_PKEY *pkey = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    unsigned char sig[64];
    size_t siglen = sizeof sig;
    int rc = -1;
    double t0;

    if (f)
        fclose(f);
    if (!pkey)
        goto done;
    t0 = now_us();
    for (unsigned i = 0; i < n; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        siglen = sizeof sig;
        int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) == 1 &&
                 EVP_DigestSign(md, sig, &siglen, (const unsigned char *)tbs, strlen(tbs)) == 1;
        EVP_MD_CTX_free(md);
        if (!ok)
            goto done;
    }
    *sign_us = (now_us() - t0) / n;
    t0 = now_us();
    for (unsigned i = 0; i < n; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
                 EVP_DigestVerify(md, sig, siglen, (const unsigned char *)tbs, strlen(tbs)) == 1;
        EVP_MD_CTX_free(md);
        if (!ok)
            goto done;
    }
    *verify_us = (now_us() - t0) / n;
    rc = 0;
done:
    EVP_PKEY_free(pkey);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20000u;
    const char *key_path = PWT_TREE "/conf/keys/opa.example.key", *pub_path = PWT_SRCDIR "/conf/keys/opa.example.pub";
    pw_peering_key_t *priv = NULL, *pub = NULL;
    pw_peering_replay_t *replay = NULL;
    xmpp_ctx_t *ctx = NULL;
    xmpp_stanza_t **sigs = NULL;
    pw_enquiry_t e = pwfake_keys_alice_enquiry();
    char why[256], tbs[2048];
    double t0, sign_us, verify_us, replay_us, bare_sign_us = 0, bare_verify_us = 0;
    uint64_t now_ms = (uint64_t)time(NULL) * 1000u;
    int status = 1;

    if (n == 0) {
        fputs("usage: bench_peering [N]\n", stderr);
        return 2;
    }
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    sigs = calloc(n, sizeof *sigs);
    if (!ctx || !sigs || pw_peering_key_load_private(key_path, &priv, why, sizeof why) != PW_OK ||
        pw_peering_key_load_public(pub_path, &pub, why, sizeof why) != PW_OK ||
        pw_peering_replay_create(&replay, 300000, 2 * (size_t)n) != PW_OK) {
        fprintf(stderr, "bench_peering: setup failed: %s\n", why);
        goto done;
    }

    t0 = now_us();
    for (unsigned i = 0; i < n; i++) {
        sigs[i] = pw_peering_sign(ctx, priv, "opa.example", &e, "proxy.opa.example", "gateway.opb.example", now_ms);
        if (!sigs[i]) {
            fprintf(stderr, "bench_peering: signing %u failed\n", i);
            goto done;
        }
    }
    sign_us = (now_us() - t0) / n;

    t0 = now_us();
    for (unsigned i = 0; i < n; i++) {
        if (pw_peering_verify(pub, sigs[i], &e, "proxy.opa.example", "gateway.opb.example", why, sizeof why) != PW_OK) {
            fprintf(stderr, "bench_peering: signature %u does not verify: %s\n", i, why);
            goto done;
        }
    }
    verify_us = (now_us() - t0) / n;

    t0 = now_us();
    for (unsigned i = 0; i < n; i++) {
        if (pw_peering_replay_check(replay, "opa.example", xmpp_stanza_get_attribute(sigs[i], "timestamp"),
                                    xmpp_stanza_get_attribute(sigs[i], "nonce"), now_ms, why, sizeof why) != PW_OK) {
            fprintf(stderr, "bench_peering: nonce %u refused: %s\n", i, why);
            goto done;
        }
    }
    replay_us = (now_us() - t0) / n;

    if (pw_peering_signed_string(&e, "proxy.opa.example", "gateway.opb.example",
                                 xmpp_stanza_get_attribute(sigs[0], "timestamp"),
                                 xmpp_stanza_get_attribute(sigs[0], "nonce"), tbs, sizeof tbs) != PW_OK ||
        bare_openssl(key_path, tbs, n, &bare_sign_us, &bare_verify_us) != 0) {
        fprintf(stderr, "bench_peering: the bare OpenSSL baseline failed\n");
        goto done;
    }

    printf("bench_peering: %u enquiries signed, verified and checked against replay, one core\n", n);
    printf("  %-46s %10s %14s %8s\n", "operation", "us/op", "bare OpenSSL", "ratio");
    printf("  %-46s %10.1f %14.1f %8.2f\n", "sign (proxy): pw_peering_sign", sign_us, bare_sign_us,
           sign_us / bare_sign_us);
    printf("  %-46s %10.1f %14.1f %8.2f\n", "verify (gateway): pw_peering_verify", verify_us, bare_verify_us,
           verify_us / bare_verify_us);
    printf("  %-46s %10.1f %14s %8s\n", "replay guard (gateway): pw_peering_replay_check", replay_us, "-", "-");
    printf("  per enquiry, sign + verify + replay guard: %.1f us\n", sign_us + verify_us + replay_us);
    status = 0;
done:
    for (unsigned i = 0; sigs && i < n; i++)
        if (sigs[i])
            xmpp_stanza_release(sigs[i]);
    free(sigs);
    pw_peering_replay_destroy(replay);
    pw_peering_key_destroy(priv);
    pw_peering_key_destroy(pub);
    if (ctx)
        xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return status;
}
