/* peer.h: peerwatch-peer, the operator onboarding tool: its options and its commands (keygen, card, import, dns, check), each returning the program's exit status. */
#ifndef PW_PEER_H
#define PW_PEER_H

#include <stdint.h>
#include <stdio.h>

#include "core/pw_loop.h"
#include "dns/pw_resolver.h"

/** Exit statuses of the commands (and of the program). */
enum {
    PW_PEER_EXIT_OK = 0,      /**< done (or nothing to do) */
    PW_PEER_EXIT_FAIL = 1,    /**< refused, a check failed, or a file could not be read/written */
    PW_PEER_EXIT_USAGE = 2    /**< bad command line (main.c only) */
};

/** Default of --s2s-port: the XMPP server-to-server port (RFC 6120 §14.7). */
#define PW_PEER_S2S_PORT 5269

/** Default of --ttl, in seconds. */
#define PW_PEER_TTL 3600

/** Default of --timeout: how long one TCP connection attempt of check may take (ms). */
#define PW_PEER_CONNECT_TIMEOUT_MS 5000

/** The command line, as the commands read it. */
typedef struct pw_peer_opts {
    const char *config_dir;     /**< --config-dir: the operator's configuration directory */
    const char *key_dir;        /**< --key-dir, or NULL: [operator] key_dir of operator.conf */
    int rotate;                 /**< keygen --rotate: keep the old pair as *.old, make a new one */
    int replace;                /**< import --replace: accept a new key for a known peer */
    const char *server_host;    /**< dns --server-host: the XMPP server's host (NULL: the domain) */
    const char *server_address; /**< dns --server-address: its IPv4/IPv6 address (NULL: none) */
    int s2s_port;               /**< dns --s2s-port (0: PW_PEER_S2S_PORT) */
    long ttl;                   /**< dns --ttl in seconds (0: PW_PEER_TTL) */
    const char *dns_server;     /**< check --dns-server "IP[:PORT]" (NULL: [proxy] dns_servers) */
    uint64_t timeout_ms;        /**< check --timeout per TCP connect (0: the default) */
} pw_peer_opts_t;

/**
 * keygen: make this operator's Ed25519 pair, KEY_DIR/DOMAIN.key (0600) and DOMAIN.pub (0644),
 * creating KEY_DIR (0700) when missing; never overwrites (with o->rotate the current pair is
 * first kept as DOMAIN.key.old and DOMAIN.pub.old).
 * @param o the options
 * @param out what was done
 * @param err problems
 * @return PW_PEER_EXIT_OK or PW_PEER_EXIT_FAIL
 */
int pw_peer_keygen(const pw_peer_opts_t *o, FILE *out, FILE *err);

/**
 * card: print this operator's peering card (docs/peering-card.md): its network, gateway JID,
 * public key and the [prefixes] of proxy.conf that map to its own network.
 * @param o the options
 * @param out receives the card
 * @param err problems
 * @return PW_PEER_EXIT_OK or PW_PEER_EXIT_FAIL
 */
int pw_peer_card(const pw_peer_opts_t *o, FILE *out, FILE *err);

/**
 * import: add the peer of a card: its key to KEY_DIR/NETWORK.pub, "NETWORK = KEYFILE" to
 * gateway.conf's [peers], its prefixes to proxy.conf's [prefixes] and its network to
 * [proxy] notify_from. Everything is checked before anything is written; a card that
 * contradicts the configuration is refused with every contradiction named; files are
 * replaced atomically; a second import of the same card changes nothing.
 * @param o the options
 * @param card_path the card file
 * @param out what was done
 * @param err why it was refused
 * @return PW_PEER_EXIT_OK or PW_PEER_EXIT_FAIL
 */
int pw_peer_import(const pw_peer_opts_t *o, const char *card_path, FILE *out, FILE *err);

/**
 * dns: print, in zone-file syntax, the records this operator publishes: the gateway SRV
 * (_presence-gw._tcp), the s2s SRV of the domain and of every component domain, the
 * server's address when given, and ENUM NAPTR examples for its prefixes.
 * @param o the options
 * @param out receives the records
 * @param err problems
 * @return PW_PEER_EXIT_OK or PW_PEER_EXIT_FAIL
 */
int pw_peer_dns(const pw_peer_opts_t *o, FILE *out, FILE *err);

/**
 * check: from this host, resolve every peer's gateway SRV and s2s SRV records, try a TCP
 * connection to each server they name, and validate every key file of gateway.conf's
 * [peers] and this operator's own pair; one line per check, "ok" or "FAIL" and why.
 * @param o the options
 * @param loop the loop the resolver runs on, or NULL (a loop of its own)
 * @param resolver the resolver, or NULL (c-ares on o->dns_server or [proxy] dns_servers)
 * @param out receives the lines
 * @param err problems that stop the checks
 * @return PW_PEER_EXIT_OK when every check passed, else PW_PEER_EXIT_FAIL
 */
int pw_peer_check(const pw_peer_opts_t *o, pw_loop_t *loop, pw_resolver_t *resolver, FILE *out,
                  FILE *err);

#endif /* PW_PEER_H */
