/* pwt_ca.h: a private certificate authority for the tests and the trial: a CA certificate and server certificates for an operator's domains (OpenSSL libcrypto). */
#ifndef PWT_CA_H
#define PWT_CA_H

#include "core/pw_status.h"

/** A private CA: its key (in memory) and its certificate (in a file). Opaque. */
typedef struct pwt_ca pwt_ca_t;

/**
 * Make a new CA: a fresh P-256 key and a self-signed CA certificate valid for a day,
 * written to DIR/NAME-ca.crt, its key to DIR/NAME-ca.key (mode 0600, so that pwt_ca_open()
 * can issue more later). Two CAs made this way are unrelated.
 * @param out receives the CA (pwt_ca_destroy())
 * @param dir an existing directory the caller owns
 * @param name the CA's common name and file stem, e.g. "trial" ([a-z0-9-], at most 32 bytes)
 * @return PW_OK; PW_EINVAL; PW_ERANGE (path too long); PW_EIO (logged); PW_ENOMEM
 */
pw_status_t pwt_ca_create(pwt_ca_t **out, const char *dir, const char *name);

/**
 * Open a CA pwt_ca_create() made, e.g. the trial's (TRIAL_CA), to issue more certificates
 * (into the certificate's directory).
 * @param out receives the CA (pwt_ca_destroy())
 * @param cert_path its DIR/NAME-ca.crt (the key is read from DIR/NAME-ca.key)
 * @return PW_OK; PW_EINVAL; PW_EIO (unreadable, or the key does not match; logged); PW_ENOMEM
 */
pw_status_t pwt_ca_open(pwt_ca_t **out, const char *cert_path);

/** @return the CA certificate's file (PEM), or "" for NULL */
const char *pwt_ca_cert_path(const pwt_ca_t *ca);

/**
 * Issue a server certificate signed by the CA, for the given DNS names (subjectAltName; the
 * first is also the common name), usable by a server and as a client certificate (s2s).
 * Writes DIR/STEM.crt (the certificate) and DIR/STEM.key (its unencrypted key, mode 0600).
 * @param ca the CA
 * @param stem file stem in the CA's directory, e.g. "opa.example" (at most 64 bytes)
 * @param names DNS names, NULL-terminated (at least one)
 * @param cert receives the certificate's path (PWT_PATH_MAX bytes), or NULL
 * @param key receives the key's path (PWT_PATH_MAX bytes), or NULL
 * @return PW_OK; PW_EINVAL; PW_ERANGE; PW_EIO (logged); PW_ENOMEM
 */
pw_status_t pwt_ca_issue(const pwt_ca_t *ca, const char *stem, const char *const names[],
                         char *cert, char *key);

/**
 * Issue the certificate of an operator's server: its domain and every component domain of
 * the trial (watcher., proxy., gateway., gateway2., hss., ps1., ps2., bench1..3.<domain>), as
 * DIR/DOMAIN.crt and DIR/DOMAIN.key.
 * @param ca the CA
 * @param domain e.g. "opa.example" (at most 64 bytes)
 * @param cert receives the certificate's path (PWT_PATH_MAX bytes), or NULL
 * @param key receives the key's path (PWT_PATH_MAX bytes), or NULL
 * @return as pwt_ca_issue()
 */
pw_status_t pwt_ca_issue_operator(const pwt_ca_t *ca, const char *domain, char *cert, char *key);

/**
 * Forget the CA's key and free it (its files stay: they belong to the caller's directory).
 * NULL is fine.
 * @param ca the CA
 */
void pwt_ca_destroy(pwt_ca_t *ca);

#endif /* PWT_CA_H */
