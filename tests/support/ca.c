/* ca.c: a private certificate authority for the tests and the trial (OpenSSL libcrypto: EVP keys, X509v3 certificates). */
#include "pwt_ca.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/pw_log.h"
#include "pwt_util.h"

#define NAME_MAX_LEN 32u
#define STEM_MAX_LEN 64u
#define SAN_MAX 2048u
#define VALID_SECONDS (24L * 3600L)

struct pwt_ca {
    EVP_PKEY *key;
    X509 *cert;
    char dir[PWT_PATH_MAX];
    char cert_path[PWT_PATH_MAX];
};

/* The component domains of an operator's server, as prefixes of its domain. */
static const char *const component_prefixes[] = {
    "watcher", "proxy", "gateway", "gateway2", "hss", "ps1", "ps2", "bench1", "bench2", "bench3",
};

/* Add one X509v3 extension given in OpenSSL's config syntax, e.g. "critical,CA:TRUE". */
static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return 0;
    ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for key with common name cn, valid from now for a day, its serial random;
 * signed later by the caller. NULL on failure. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, const X509 *issuer)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    int ok = cert && name && serial;

    ok = ok && X509_set_version(cert, 2) == 1;
    ok = ok && ASN1_INTEGER_set_int64(serial, ((int64_t)getpid() << 20) ^ (int64_t)pwt_now_ms()) == 1 &&
         X509_set_serialNumber(cert, serial) == 1;
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                          -1, 0) == 1;
    ok = ok && X509_set_subject_name(cert, name) == 1 &&
         X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) == 1;
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -300) &&
         X509_gmtime_adj(X509_getm_notAfter(cert), VALID_SECONDS);
    ok = ok && X509_set_pubkey(cert, key) == 1;
    X509_NAME_free(name);
    ASN1_INTEGER_free(serial);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* Write a PEM file: the certificate, or the private key (mode 0600). */
static pw_status_t write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, cert ? 0644 : 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok;

    if (!f) {
        if (fd >= 0)
            close(fd);
        pw_error(NULL, "pwt: cannot write %s", path);
        return PW_EIO;
    }
    ok = cert ? PEM_write_X509(f, cert) == 1
              : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    if (pwt_file_close(f, path) != PW_OK || !ok) {
        pw_error(NULL, "pwt: cannot write %s", path);
        return PW_EIO;
    }
    return PW_OK;
}

/* "DIR/STEM.SUFFIX" into buf (PWT_PATH_MAX bytes). */
static pw_status_t file_path(char *buf, const char *dir, const char *stem, const char *suffix)
{
    int n = snprintf(buf, PWT_PATH_MAX, "%s/%s%s", dir, stem, suffix);
    return n < 0 || n >= PWT_PATH_MAX ? PW_ERANGE : PW_OK;
}

/* The CA key's file beside its certificate: "DIR/NAME-ca.crt" -> "DIR/NAME-ca.key". */
static pw_status_t ca_key_path(char *buf, const char *cert_path)
{
    size_t n = strlen(cert_path);
    if (n < 4 || n >= PWT_PATH_MAX || strcmp(cert_path + n - 4, ".crt") != 0)
        return PW_EINVAL;
    memcpy(buf, cert_path, n - 4);
    memcpy(buf + n - 4, ".key", 5);
    return PW_OK;
}

pw_status_t pwt_ca_open(pwt_ca_t **out, const char *cert_path)
{
    pw_status_t st = PW_EINVAL;
    pwt_ca_t *ca = NULL;
    char key_path[PWT_PATH_MAX];
    const char *slash = cert_path ? strrchr(cert_path, '/') : NULL;
    FILE *f = NULL;

    if (!out || !slash || ca_key_path(key_path, cert_path) != PW_OK)
        goto done;
    *out = NULL;
    st = PW_ENOMEM;
    if (!(ca = calloc(1, sizeof *ca)))
        goto done;
    snprintf(ca->cert_path, sizeof ca->cert_path, "%s", cert_path);
    snprintf(ca->dir, sizeof ca->dir, "%.*s", (int)(slash - cert_path), cert_path);
    st = PW_EIO;
    if ((f = fopen(cert_path, "r")))
        ca->cert = PEM_read_X509(f, NULL, NULL, NULL);
    if (f)
        fclose(f);
    if ((f = fopen(key_path, "r")))
        ca->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (f)
        fclose(f);
    if (!ca->cert || !ca->key || X509_check_private_key(ca->cert, ca->key) != 1) {
        pw_error(NULL, "pwt: cannot read the CA %s and its key %s", cert_path, key_path);
        goto done;
    }
    *out = ca;
    ca = NULL;
    st = PW_OK;
done:
    pwt_ca_destroy(ca);
    return st;
}

pw_status_t pwt_ca_create(pwt_ca_t **out, const char *dir, const char *name)
{
    pw_status_t st = PW_EINVAL;
    pwt_ca_t *ca = NULL;
    char key_path[PWT_PATH_MAX];

    if (!out || !dir || !name || !*name || strlen(name) > NAME_MAX_LEN ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name))
        goto done;
    *out = NULL;
    st = PW_ENOMEM;
    if (!(ca = calloc(1, sizeof *ca)))
        goto done;
    st = PW_ERANGE;
    if (snprintf(ca->dir, sizeof ca->dir, "%s", dir) >= (int)sizeof ca->dir ||
        file_path(ca->cert_path, dir, name, "-ca.crt") != PW_OK)
        goto done;
    st = PW_EIO;
    ca->key = EVP_EC_gen("P-256");
    ca->cert = ca->key ? new_cert(ca->key, name, NULL) : NULL;
    if (!ca->cert || !add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") ||
        X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0) {
        pw_error(NULL, "pwt: cannot make the CA %s", name);
        goto done;
    }
    if ((st = write_pem(ca->cert_path, ca->cert, NULL)) != PW_OK ||
        (st = ca_key_path(key_path, ca->cert_path)) != PW_OK ||
        (st = write_pem(key_path, NULL, ca->key)) != PW_OK)
        goto done;
    *out = ca;
    ca = NULL;
done:
    pwt_ca_destroy(ca);
    return st;
}

const char *pwt_ca_cert_path(const pwt_ca_t *ca)
{
    return ca ? ca->cert_path : "";
}

pw_status_t pwt_ca_issue(const pwt_ca_t *ca, const char *stem, const char *const names[],
                         char *cert_out, char *key_out)
{
    char san[SAN_MAX], cert_path[PWT_PATH_MAX], key_path[PWT_PATH_MAX];
    size_t used = 0;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    pw_status_t st = PW_EINVAL;

    if (!ca || !stem || !*stem || strlen(stem) > STEM_MAX_LEN || strchr(stem, '/') || !names ||
        !names[0])
        goto done;
    st = PW_ERANGE;
    for (size_t i = 0; names[i]; i++) {
        int n = snprintf(san + used, sizeof san - used, "%sDNS:%s", i ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= sizeof san - used)
            goto done;
        used += (size_t)n;
    }
    if (file_path(cert_path, ca->dir, stem, ".crt") != PW_OK ||
        file_path(key_path, ca->dir, stem, ".key") != PW_OK)
        goto done;
    st = PW_EIO;
    key = EVP_EC_gen("P-256");
    cert = key ? new_cert(key, names[0], ca->cert) : NULL;
    if (!cert || !add_ext(cert, ca->cert, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(cert, ca->cert, NID_key_usage, "critical,digitalSignature,keyAgreement") ||
        !add_ext(cert, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth") ||
        !add_ext(cert, ca->cert, NID_authority_key_identifier, "keyid:always") ||
        !add_ext(cert, ca->cert, NID_subject_alt_name, san) ||
        X509_sign(cert, ca->key, EVP_sha256()) <= 0) {
        pw_error(NULL, "pwt: cannot issue a certificate for %s", names[0]);
        goto done;
    }
    if ((st = write_pem(cert_path, cert, NULL)) != PW_OK ||
        (st = write_pem(key_path, NULL, key)) != PW_OK)
        goto done;
    if (cert_out)
        memcpy(cert_out, cert_path, sizeof cert_path);
    if (key_out)
        memcpy(key_out, key_path, sizeof key_path);
done:
    X509_free(cert);
    EVP_PKEY_free(key);
    return st;
}

pw_status_t pwt_ca_issue_operator(const pwt_ca_t *ca, const char *domain, char *cert, char *key)
{
    enum { N = sizeof component_prefixes / sizeof component_prefixes[0] };
    char names[N][STEM_MAX_LEN + 16];
    const char *list[N + 2];

    if (!domain || strlen(domain) > STEM_MAX_LEN)
        return PW_EINVAL;
    list[0] = domain;
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "%s.%s", component_prefixes[i], domain);
        list[i + 1] = names[i];
    }
    list[N + 1] = NULL;
    return pwt_ca_issue(ca, domain, list, cert, key);
}

void pwt_ca_destroy(pwt_ca_t *ca)
{
    if (!ca)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca);
}
