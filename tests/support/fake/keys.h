/* keys.h: operator key pairs for tests: a fresh Ed25519 key written as the PEM files the peering configuration names, and the enquiry the tests sign with them. */
#ifndef PWFAKE_KEYS_H
#define PWFAKE_KEYS_H

#include "chain/pw_enquiry.h"
#include "core/pw_status.h"

/**
 * Generate an Ed25519 key pair and write it as PEM: the private key (PKCS#8, unencrypted)
 * and the public key (SubjectPublicKeyInfo), as pw_peering_key_load_private() and
 * pw_peering_peers_add() read them.
 * @param key_path the file to write the private key to (created or truncated, mode 0600)
 * @param pub_path the file to write the public key to (created or truncated)
 * @return PW_OK, or PW_ECRYPTO when generating or writing failed (the files may be partly written)
 */
pw_status_t pwfake_keys_write_ed25519(const char *key_path, const char *pub_path);

/**
 * The enquiry a proxy of opa.example signs for a gateway: alice@opa.example (+447700900001)
 * asks for the current state of +12025550123.
 * @return it, by value
 */
pw_enquiry_t pwfake_keys_alice_enquiry(void);

/**
 * Where a version 1 enquiry is addressed at a component, by the tests' own reading of
 * docs/protocol.md §2.2 (not pw_enquiry_address(), which the tests check): "<presentity>@<domain>",
 * or, without a number, "<presentity-jid XEP-0106-escaped>@<domain>".
 * @param e the enquiry
 * @param domain the component's domain, e.g. "gateway.opb.example"
 * @param out receives the address ("" when it cannot be written)
 * @param cap size of out
 * @return out
 */
const char *pwfake_keys_enquiry_to(const pw_enquiry_t *e, const char *domain, char *out, size_t cap);

#endif /* PWFAKE_KEYS_H */
