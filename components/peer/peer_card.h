/* peer_card.h: the peering card (docs/peering-card.md): what one operator gives another to peer with it, parsed strictly and written in one canonical form. */
#ifndef PW_PEER_CARD_H
#define PW_PEER_CARD_H

#include <stddef.h>
#include <stdio.h>

#include "address/pw_msisdn.h"
#include "core/pw_status.h"
#include "peer_keys.h"

/** The version this program reads and writes. */
#define PW_PEER_CARD_VERSION 1

/** The first line of a card (followed by a space and the version). */
#define PW_PEER_CARD_MAGIC "peerwatch-peering-card"

/** Longest domain on a card (bytes, without the NUL). */
#define PW_PEER_CARD_DOMAIN_MAX 253

/** Most prefixes on one card. */
#define PW_PEER_CARD_PREFIXES_MAX 4096

/** Longest line of a card (bytes, without the line end). */
#define PW_PEER_CARD_LINE_MAX 200

/** Largest card file read (bytes). */
#define PW_PEER_CARD_SIZE_MAX (256 * 1024)

/** A peering card: pw_peer_card_parse()/_read() fill it, pw_peer_card_free() frees it. */
typedef struct pw_peer_card {
    char network[PW_PEER_CARD_DOMAIN_MAX + 1]; /**< the operator's network domain, lower case */
    char gateway[PW_PEER_CARD_DOMAIN_MAX + 1]; /**< its gateway's JID: network or a subdomain */
    char key[PW_PEER_KEY_B64_MAX];             /**< its Ed25519 public key, base64 of the DER */
    size_t nprefixes;                          /**< number of prefixes */
    size_t cap;                                /**< capacity of prefixes */
    char (*prefixes)[PW_MSISDN_MAX + 1];       /**< its E.164 number prefixes (malloc'd) */
} pw_peer_card_t;

/**
 * Parse a card. Every line is checked (docs/peering-card.md, "How import checks a card");
 * the first problem stops the parse.
 * @param text the card's bytes (need not be NUL-terminated)
 * @param len their number
 * @param card a zeroed card; filled on success; left empty (freed) on failure
 * @param line receives the 1-based line of the problem, 0 when it concerns the whole card
 * @param why receives the problem: "network: 'x' is not a domain", ...
 * @param cap size of why
 * @return PW_OK; PW_EINVAL for a malformed card; PW_ENOMEM
 */
pw_status_t pw_peer_card_parse(const char *text, size_t len, pw_peer_card_t *card, unsigned *line,
                               char *why, size_t cap);

/**
 * Read and parse a card file.
 * @param path the file
 * @param card a zeroed card; filled on success
 * @param why receives "PATH:LINE: problem" (or "PATH: problem") on failure
 * @param cap size of why
 * @return PW_OK; PW_EINVAL for a malformed card; PW_ENOTFOUND, PW_EIO, PW_ERANGE (too large),
 *         PW_ENOMEM
 */
pw_status_t pw_peer_card_read(const char *path, pw_peer_card_t *card, char *why, size_t cap);

/**
 * Add a prefix to a card (for a card being made), checking it as pw_peer_card_parse() does.
 * @param card the card
 * @param prefix "+" and 1 to 15 digits, the first not 0
 * @param why receives the problem
 * @param cap size of why
 * @return PW_OK; PW_EINVAL (malformed); PW_EEXIST (on the card already); PW_EFULL; PW_ENOMEM
 */
pw_status_t pw_peer_card_add_prefix(pw_peer_card_t *card, const char *prefix, char *why,
                                    size_t cap);

/**
 * Write a card in its canonical form: a comment, the version line, network, gateway, key,
 * then one prefix line per prefix in the card's order.
 * @param out where to write
 * @param card the card (network, gateway and key set)
 * @return PW_OK or PW_EIO
 */
pw_status_t pw_peer_card_write(FILE *out, const pw_peer_card_t *card);

/**
 * Free a card's prefixes and empty it.
 * @param card the card, or NULL
 */
void pw_peer_card_free(pw_peer_card_t *card);

/**
 * Whether a text is a DNS domain as a card (and the configuration's domain type) takes it:
 * labels of letters, digits, '-' and '_' of 1..63 bytes, not starting or ending with '-', at
 * most 253 bytes, no trailing dot, the last label not all digits.
 * @param s the text
 * @return 1 or 0
 */
int pw_peer_card_domain_ok(const char *s);

/**
 * Whether a domain is another one or below it ("gateway.opb.example" under "opb.example"),
 * ignoring ASCII case.
 * @param domain the domain
 * @param parent the other one
 * @return 1 or 0
 */
int pw_peer_card_domain_under(const char *domain, const char *parent);

#endif /* PW_PEER_CARD_H */
