/* keys.c: Ed25519 operator keys through OpenSSL 3 EVP (RFC 8032 keys, RFC 8410 encodings, RFC 7468 PEM, RFC 4648 base64): a new pair as PEM files, public keys as the base64 body of their PEM. */
#include "peer_keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/pw_secret_file.h"
#include "peer_file.h"

/* The passphrase OpenSSL is given instead of asking on the terminal: an encrypted key fails. */
static char no_passphrase[] = "";

/* The base64 of a key's DER SubjectPublicKeyInfo. */
static pw_status_t b64_of(EVP_PKEY *pk, char *b64, size_t cap)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(pk, &der);
    pw_status_t rc = PW_OK;

    if (n <= 0) {
        rc = PW_ECRYPTO;
        goto done;
    }
    if ((size_t)(4 * ((n + 2) / 3)) + 1 > cap) {
        rc = PW_ERANGE;
        goto done;
    }
    EVP_EncodeBlock((unsigned char *)b64, der, n);
done:
    OPENSSL_free(der);
    return rc;
}

pw_status_t pw_peer_keys_pem(const char *b64, char *pem, size_t cap)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----\n";
    static const char end[] = "-----END PUBLIC KEY-----\n";
    size_t len = strlen(b64), o = 0;

    if (sizeof begin + sizeof end + len + len / 64 + 2 > cap)
        return PW_ERANGE;
    memcpy(pem, begin, sizeof begin - 1);
    o = sizeof begin - 1;
    for (size_t i = 0; i < len; i += 64) {
        size_t part = len - i < 64 ? len - i : 64;
        memcpy(pem + o, b64 + i, part);
        o += part;
        pem[o++] = '\n';
    }
    memcpy(pem + o, end, sizeof end);
    return PW_OK;
}

pw_status_t pw_peer_keys_generate(const char *key_path, const char *pub_path, char *why,
                                  size_t cap)
{
    pw_status_t rc = PW_OK;
    EVP_PKEY *pk = NULL;
    BIO *mem = NULL;
    char *data = NULL, b64[PW_PEER_KEY_B64_MAX], pem[PW_PEER_KEY_PEM_MAX];
    long len = 0;
    struct stat st;

    if (lstat(key_path, &st) == 0 || lstat(pub_path, &st) == 0) {
        rc = PW_EEXIST;
        snprintf(why, cap, "%s exists already: refusing to overwrite a key",
                 lstat(key_path, &st) == 0 ? key_path : pub_path);
        goto done;
    }
    pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    mem = BIO_new(BIO_s_mem());
    if (!pk || !mem || !PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0, NULL, NULL) ||
        (len = BIO_get_mem_data(mem, &data)) <= 0 || b64_of(pk, b64, sizeof b64) != PW_OK ||
        pw_peer_keys_pem(b64, pem, sizeof pem) != PW_OK) {
        rc = PW_ECRYPTO;
        snprintf(why, cap, "cannot make an Ed25519 key pair (OpenSSL)");
        goto done;
    }
    rc = pw_peer_file_create(key_path, data, (size_t)len, 0600, why, cap);
    if (rc != PW_OK)
        goto done;
    rc = pw_peer_file_create(pub_path, pem, strlen(pem), 0644, why, cap);
    if (rc != PW_OK)
        unlink(key_path);
done:
    if (data && len > 0)
        OPENSSL_cleanse(data, (size_t)len);
    BIO_free(mem);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

pw_status_t pw_peer_keys_public_b64(const char *pem_path, int is_private, char *b64, size_t bcap,
                                    char *why, size_t cap)
{
    pw_status_t rc = PW_OK;
    EVP_PKEY *pk = NULL;
    FILE *f = fopen(pem_path, "r");

    if (!f) {
        rc = errno == ENOENT ? PW_ENOTFOUND : PW_EIO;
        snprintf(why, cap, "%s: cannot open: %s", pem_path, strerror(errno));
        goto done;
    }
    if (is_private) { /* refused as the daemons refuse it (pw_peering_key_load_private()) */
        char reason[512];
        rc = pw_secret_file_check(fileno(f), pem_path, "the private key", reason, sizeof reason);
        if (rc != PW_OK) {
            snprintf(why, cap, "%s: %s", pem_path, reason);
            goto done;
        }
    }
    pk = is_private ? PEM_read_PrivateKey(f, NULL, NULL, no_passphrase)
                    : PEM_read_PUBKEY(f, NULL, NULL, no_passphrase);
    if (!pk || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
        rc = PW_EINVAL;
        snprintf(why, cap, "%s: not an unencrypted Ed25519 %s key in PEM", pem_path,
                 is_private ? "private" : "public");
        goto done;
    }
    rc = b64_of(pk, b64, bcap);
    if (rc != PW_OK)
        snprintf(why, cap, "%s: cannot encode its public key", pem_path);
done:
    EVP_PKEY_free(pk);
    if (f)
        fclose(f);
    ERR_clear_error();
    return rc;
}

pw_status_t pw_peer_keys_check_b64(const char *b64, char *why, size_t cap)
{
    pw_status_t rc = PW_EINVAL;
    unsigned char der[PW_PEER_KEY_B64_MAX];
    const unsigned char *p = der;
    char again[PW_PEER_KEY_B64_MAX];
    size_t len = strnlen(b64, PW_PEER_KEY_B64_MAX);
    EVP_PKEY *pk = NULL;
    int n;

    if (len == 0 || len >= PW_PEER_KEY_B64_MAX || len % 4 != 0 ||
        strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len) {
        snprintf(why, cap, "not the base64 of a public key (60 characters of A-Z a-z 0-9 + / =)");
        goto done;
    }
    n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len);
    for (size_t i = len; n > 0 && i > 0 && b64[i - 1] == '='; i--)
        n--; /* EVP_DecodeBlock counts the padding as zero bytes */
    if (n > 0)
        pk = d2i_PUBKEY(NULL, &p, n);
    if (!pk || p != der + n || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
        snprintf(why, cap,
                 "not an Ed25519 public key (the base64 of its DER SubjectPublicKeyInfo)");
        goto done;
    }
    if (b64_of(pk, again, sizeof again) != PW_OK || strcmp(again, b64) != 0) {
        snprintf(why, cap, "not in canonical base64 (padded, no trailing bits)");
        goto done;
    }
    rc = PW_OK;
done:
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}
