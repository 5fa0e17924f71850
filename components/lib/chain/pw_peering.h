/* pw_peering.h: operator signatures of the enquiry chain and its notifications (Ed25519, docs/protocol.md §2.2, §5.2), the replay guard and the peer table. */
#ifndef PW_PEERING_H
#define PW_PEERING_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "chain/pw_enquiry.h"
#include "core/pw_clock.h"
#include "core/pw_status.h"

/** The only signature algorithm of protocol version 1. */
#define PW_PEERING_ALG "ed25519"

/** Enough for the signed string of any enquiry pw_enquiry_parse() accepts. */
#define PW_PEERING_SIGNED_MAX 16384

/** Length of a nonce as sent: 16 bytes in base64 without padding. */
#define PW_PEERING_NONCE_LEN 22

/** Longest timestamp accepted (XEP-0082 date-time with fractions and an offset). */
#define PW_PEERING_TIMESTAMP_MAX PW_CLOCK_TEXT_MAX

/** At most this many peer networks in one table. */
#define PW_PEERING_PEERS_MAX 4096

/* ---- keys ---- */

/** An Ed25519 key, private (can sign and verify) or public (verify only). Opaque. */
typedef struct pw_peering_key pw_peering_key_t;

/**
 * Load an Ed25519 private key from a PEM file (`openssl genpkey -algorithm ed25519`). A file
 * other users can read or change is refused before it is read (pw_secret_file_check(): any
 * permission for others, or group write; 0600 and 0640 pass).
 * @param pem_path the file
 * @param out receives the key (pw_peering_key_destroy())
 * @param why receives the reason on failure (file and what is wrong; for the mode, the mode
 *        and the chmod that mends it)
 * @param cap size of why
 * @return PW_OK; PW_EIO if the file cannot be opened; PW_EDENIED if its mode is too open;
 *         PW_EINVAL if it is not an Ed25519 private key in PEM; PW_ENOMEM
 */
pw_status_t pw_peering_key_load_private(const char *pem_path, pw_peering_key_t **out,
                                        char *why, size_t cap);

/**
 * Load an Ed25519 public key from a PEM file (`openssl pkey -pubout`).
 * @param pem_path the file
 * @param out receives the key (pw_peering_key_destroy())
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK; PW_EIO; PW_EINVAL if it is not an Ed25519 public key in PEM; PW_ENOMEM
 */
pw_status_t pw_peering_key_load_public(const char *pem_path, pw_peering_key_t **out,
                                       char *why, size_t cap);

/**
 * Free a key.
 * @param k the key, or NULL
 */
void pw_peering_key_destroy(pw_peering_key_t *k);

/* ---- signing ---- */

/**
 * Write the signed string of docs/protocol.md §2.2: "peerwatch-chain-1\n" then one
 * "name=value\n" line per field in the fixed order, absent fields empty. from and to are
 * written in lower case (domains compare case-insensitively).
 * @param e the enquiry (borrowed)
 * @param from the sending proxy's domain
 * @param to the gateway's domain
 * @param timestamp the signature's timestamp attribute
 * @param nonce the signature's nonce attribute
 * @param buf receives the string, NUL-terminated
 * @param cap size of buf (PW_PEERING_SIGNED_MAX is always enough)
 * @return PW_OK; PW_EINVAL for NULL arguments or a value holding a control character
 *         (which could make two enquiries sign alike); PW_ERANGE when buf is too small
 */
pw_status_t pw_peering_signed_string(const pw_enquiry_t *e, const char *from, const char *to,
                                     const char *timestamp, const char *nonce, char *buf,
                                     size_t cap);

/**
 * Build the <signature xmlns='urn:peerwatch:chain:1'/> child that the proxy adds to an
 * enquiry it sends to a gateway: alg, network, an XEP-0082 UTC timestamp of now_unix_ms
 * (whole seconds), a fresh 16-byte nonce (RAND_bytes, base64 without padding), and as text
 * the base64 Ed25519 signature of the signed string.
 * @param ctx the libstrophe context
 * @param key a private key
 * @param network the signing operator's network (must be e->watcher_network)
 * @param e the enquiry as it will be sent
 * @param from the proxy's domain (the 'from' of the IQ)
 * @param to the gateway's domain (the 'to' of the IQ)
 * @param now_unix_ms wall-clock time in ms since 1970 (UTC)
 * @return a new element the caller adds to the enquiry and releases, or NULL on failure
 *         (allocation, not a private key, randomness or signing failure)
 */
xmpp_stanza_t *pw_peering_sign(xmpp_ctx_t *ctx, const pw_peering_key_t *key, const char *network,
                               const pw_enquiry_t *e, const char *from, const char *to,
                               uint64_t now_unix_ms);

/**
 * Check a <signature/> element against an enquiry: alg is ed25519, network equals
 * e->watcher_network (case-insensitively), timestamp and nonce are present, and the text
 * is a valid Ed25519 signature by pub over the signed string. Freshness and replay are not
 * checked here (pw_peering_replay_check()).
 * @param pub the peer's key (public or private)
 * @param signature_el the element (borrowed)
 * @param e the enquiry parsed from the same stanza
 * @param from the sender's domain
 * @param to the gateway's own domain
 * @param why receives which check failed
 * @param cap size of why
 * @return PW_OK; PW_EINVAL for a malformed element (missing or bad attribute, bad base64);
 *         PW_EDENIED when the network differs or the signature does not verify;
 *         PW_ECRYPTO when OpenSSL fails
 */
pw_status_t pw_peering_verify(const pw_peering_key_t *pub, xmpp_stanza_t *signature_el,
                              const pw_enquiry_t *e, const char *from, const char *to,
                              char *why, size_t cap);

/* ---- notifications (docs/protocol.md §5.2, new in version 1) ---- */

/**
 * Write the signed string of a notification (docs/protocol.md §5.2): "peerwatch-notify-1\n"
 * then one "name=value\n" line per field in the fixed order (from, to, subscription, ref,
 * proxy, watcher-jid, presentity, presentity-jid, seq, ended, state, show, status, timestamp,
 * nonce), absent fields empty; from, to and proxy in lower case; the status text escaped
 * (a backslash as two, a control character as \xHH), so any status can be signed.
 * @param n the notification (borrowed; its network is not signed: the signature names it)
 * @param from the sending gateway's domain
 * @param to the receiving proxy's domain
 * @param timestamp the signature's timestamp attribute
 * @param nonce the signature's nonce attribute
 * @param buf receives the string, NUL-terminated
 * @param cap size of buf (PW_PEERING_SIGNED_MAX is always enough)
 * @return PW_OK; PW_EINVAL for NULL arguments or a control character outside the status;
 *         PW_ERANGE when buf is too small
 */
pw_status_t pw_peering_notify_signed_string(const pw_notify_t *n, const char *from, const char *to,
                                            const char *timestamp, const char *nonce, char *buf,
                                            size_t cap);

/**
 * Build the <signature/> child a gateway adds to a notification it relays to a peer's proxy:
 * as pw_peering_sign(), over pw_peering_notify_signed_string().
 * @param ctx the libstrophe context
 * @param key this operator's private key
 * @param network this operator's network (the signature's network attribute)
 * @param n the notification as it will be sent
 * @param from the gateway's domain (the 'from' of the IQ)
 * @param to the proxy's domain (the 'to' of the IQ)
 * @param now_unix_ms wall-clock time in ms since 1970 (UTC)
 * @return a new element the caller adds to the notification and releases, or NULL on failure
 */
xmpp_stanza_t *pw_peering_sign_notify(xmpp_ctx_t *ctx, const pw_peering_key_t *key,
                                      const char *network, const pw_notify_t *n, const char *from,
                                      const char *to, uint64_t now_unix_ms);

/**
 * Check a notification's <signature/>: alg is ed25519, its network attribute is network
 * (case-insensitively), and the text is a valid Ed25519 signature by pub over
 * pw_peering_notify_signed_string(). Freshness: pw_peering_replay_check().
 * @param pub the key of network
 * @param signature_el the element (borrowed)
 * @param network the network the sender speaks for
 * @param n the notification parsed from the same stanza
 * @param from the sender's domain
 * @param to the proxy's own domain
 * @param why receives which check failed
 * @param cap size of why
 * @return as pw_peering_verify()
 */
pw_status_t pw_peering_verify_notify(const pw_peering_key_t *pub, xmpp_stanza_t *signature_el,
                                     const char *network, const pw_notify_t *n, const char *from,
                                     const char *to, char *why, size_t cap);

/* ---- replay guard ---- */

/**
 * Remembers the (network, nonce) pairs of accepted signatures while their timestamps are
 * inside the skew window. Opaque.
 *
 * Memory is bounded by max_nonces (about 48 bytes per remembered nonce, grown on demand).
 * A nonce is forgotten only once its timestamp has left the window (timestamp + max_skew
 * is past), so a replay can never slip through because the table was full: when the table
 * holds max_nonces unexpired nonces, new signatures are refused (PW_EFULL) until some
 * expire. Size max_nonces to at least the peak accepted rate times 2 * max_skew.
 * Should the clock step back, timestamps older than the latest time seen minus max_skew
 * stay refused, so a forgotten nonce cannot come back either.
 */
typedef struct pw_peering_replay pw_peering_replay_t;

/**
 * Create a replay guard.
 * @param out receives it (pw_peering_replay_destroy())
 * @param max_skew_ms timestamps further than this from the current time are refused
 * @param max_nonces most nonces remembered at once (>= 1)
 * @return PW_OK, PW_EINVAL or PW_ENOMEM
 */
pw_status_t pw_peering_replay_create(pw_peering_replay_t **out, uint64_t max_skew_ms,
                                     size_t max_nonces);

/**
 * Free a replay guard.
 * @param r the guard, or NULL
 */
void pw_peering_replay_destroy(pw_peering_replay_t *r);

/**
 * Accept a signature's timestamp and nonce once. Nonces whose window has passed are
 * forgotten first (on every call, whatever its outcome); the pair is remembered only when
 * PW_OK is returned.
 * @param r the guard
 * @param network the signing network (compared case-insensitively)
 * @param timestamp the signature's XEP-0082 timestamp
 * @param nonce the signature's nonce (22 characters of base64, no padding)
 * @param now_unix_ms the current wall-clock time in ms since 1970
 * @param why receives which check failed
 * @param cap size of why
 * @return PW_OK; PW_EINVAL for a malformed timestamp or nonce; PW_ERANGE when the
 *         timestamp is outside ±max_skew; PW_EEXIST for a replayed nonce; PW_EFULL when
 *         max_nonces unexpired nonces are remembered; PW_ENOMEM
 */
pw_status_t pw_peering_replay_check(pw_peering_replay_t *r, const char *network,
                                    const char *timestamp, const char *nonce,
                                    uint64_t now_unix_ms, char *why, size_t cap);

/** @return the number of nonces remembered now */
size_t pw_peering_replay_count(const pw_peering_replay_t *r);

/* ---- peer table ---- */

/** The peering agreements: network domain -> the peer operator's public key. Opaque. */
typedef struct pw_peering_peers pw_peering_peers_t;

/**
 * Create an empty peer table.
 * @param out receives it (pw_peering_peers_destroy())
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_peering_peers_create(pw_peering_peers_t **out);

/**
 * Free a peer table and its keys.
 * @param p the table, or NULL
 */
void pw_peering_peers_destroy(pw_peering_peers_t *p);

/**
 * Add a peer network and load its public key (a [peers] line: `opa.example = opa.pub`).
 * @param p the table
 * @param network the peer's network domain (stored in lower case)
 * @param pem_path its public key file
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK; PW_EINVAL for a network that is not a domain; PW_EEXIST when the network
 *         is already listed; PW_EFULL beyond PW_PEERING_PEERS_MAX; the key loader's status
 */
pw_status_t pw_peering_peers_add(pw_peering_peers_t *p, const char *network,
                                 const char *pem_path, char *why, size_t cap);

/**
 * Find the peer whose network covers a sender's domain: the domain equals the network or
 * ends with "." network (case-insensitively); the longest such network wins.
 * @param p the table (NULL: no peers)
 * @param domain the sender's domain
 * @param network receives the peer's network (owned by the table), may be NULL
 * @return the peer's key (owned by the table), or NULL when no peer covers domain
 */
const pw_peering_key_t *pw_peering_peers_find(const pw_peering_peers_t *p, const char *domain,
                                              const char **network);

/** @return the number of peers (0 for NULL) */
size_t pw_peering_peers_count(const pw_peering_peers_t *p);

#endif /* PW_PEERING_H */
