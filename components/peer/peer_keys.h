/* peer_keys.h: operator keys for peerwatch-peer: make an Ed25519 pair as PEM files, and handle public keys as the base64 body of their PEM (the form a peering card carries). */
#ifndef PW_PEER_KEYS_H
#define PW_PEER_KEYS_H

#include <stddef.h>

#include "core/pw_status.h"

/**
 * Room for the base64 of an Ed25519 public key (SubjectPublicKeyInfo, 44 bytes of DER, 60
 * characters of base64) with a NUL, and some slack to report over-long input.
 */
#define PW_PEER_KEY_B64_MAX 96

/** Room for the PEM text pw_peer_keys_pem() writes. */
#define PW_PEER_KEY_PEM_MAX 192

/**
 * Make a new Ed25519 key pair (OpenSSL EVP) and write it as PEM: the private key (PKCS#8,
 * unencrypted) to key_path with mode 0600 and the public key (SubjectPublicKeyInfo) to
 * pub_path with mode 0644, both created with O_CREAT | O_EXCL: existing files are never
 * overwritten. When the second file cannot be written the first is removed again.
 * @param key_path the private key file to create
 * @param pub_path the public key file to create
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_EEXIST when either file exists (nothing written); PW_ECRYPTO; PW_EIO
 */
pw_status_t pw_peer_keys_generate(const char *key_path, const char *pub_path, char *why,
                                  size_t cap);

/**
 * The public key of a PEM key file, as the base64 of its DER SubjectPublicKeyInfo (the body
 * of its public key PEM, on one line).
 * @param pem_path a PEM file
 * @param is_private 1: the file holds an Ed25519 private key (the public half is derived; the
 *        file is refused when others can read it or the group write it, as the daemons refuse
 *        it: pw_secret_file_check()); 0: an Ed25519 public key
 * @param b64 receives the base64 (PW_PEER_KEY_B64_MAX bytes are enough)
 * @param bcap size of b64
 * @param why receives "PATH: reason" on failure
 * @param cap size of why
 * @return PW_OK; PW_ENOTFOUND when the file does not exist; PW_EIO when it cannot be read;
 *         PW_EDENIED for a private key whose mode is too open; PW_EINVAL when it holds no
 *         unencrypted Ed25519 key of that kind; PW_ERANGE
 */
pw_status_t pw_peer_keys_public_b64(const char *pem_path, int is_private, char *b64, size_t bcap,
                                    char *why, size_t cap);

/**
 * Check that text is an Ed25519 public key as a card carries it: canonical base64 (RFC 4648,
 * padded) of exactly one DER SubjectPublicKeyInfo of an Ed25519 key, nothing else.
 * @param b64 the text
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK or PW_EINVAL
 */
pw_status_t pw_peer_keys_check_b64(const char *b64, char *why, size_t cap);

/**
 * The PEM file text of a public key given as its base64 body ("-----BEGIN PUBLIC KEY-----",
 * the base64 in lines of 64 characters, "-----END PUBLIC KEY-----").
 * @param b64 a key pw_peer_keys_check_b64() accepted
 * @param pem receives the text
 * @param cap size of pem (PW_PEER_KEY_PEM_MAX is enough)
 * @return PW_OK or PW_ERANGE
 */
pw_status_t pw_peer_keys_pem(const char *b64, char *pem, size_t cap);

#endif /* PW_PEER_KEYS_H */
