/* peer_site.h: one operator's configuration directory as its daemons see it: the files read through the roles' own loaders (so every default of the operator file applies), its domain and its key directory. */
#ifndef PW_PEER_SITE_H
#define PW_PEER_SITE_H

#include <stddef.h>

#include "core/pw_config.h"
#include "core/pw_status.h"
#include "gateway.h"
#include "peer.h"
#include "peer_card.h"
#include "peer_file.h"
#include "proxy.h"

/** What pw_peer_site_load() must load (bits). */
#define PW_PEER_SITE_GATEWAY 0x1u /**< gateway.conf */
#define PW_PEER_SITE_PROXY 0x2u   /**< proxy.conf */
#define PW_PEER_SITE_KEYS 0x4u    /**< a key directory must be known */

/** The roles whose files pw_peer_site_verify() checks. */
typedef enum pw_peer_site_role {
    PW_PEER_SITE_ROLE_GATEWAY,
    PW_PEER_SITE_ROLE_PROXY
} pw_peer_site_role_t;

/** One operator's configuration. Filled by pw_peer_site_load(); read-only for its users. */
typedef struct pw_peer_site {
    char config_dir[PW_PEER_PATH_MAX];   /**< the directory, absolute */
    char domain[PW_PEER_CARD_DOMAIN_MAX + 1]; /**< the operator's network domain, lower case */
    char key_dir[PW_PEER_PATH_MAX];      /**< its key directory ("" when unknown) */
    char gateway_conf[PW_PEER_PATH_MAX]; /**< CONFIG_DIR/gateway.conf */
    char proxy_conf[PW_PEER_PATH_MAX];   /**< CONFIG_DIR/proxy.conf */
    /** gateway.conf through the gateway's loader ([peers] lines not read: pw_peer_site_verify()) */
    pw_gateway_settings_t *gateway;
    /** proxy.conf through the proxy's loader (its signing key not read) */
    pw_proxy_settings_t *proxy;
} pw_peer_site_t;

/**
 * Load an operator's configuration directory. The domain and the key directory come from
 * [operator] (the operator file gateway.conf or proxy.conf includes, else operator.conf), the
 * key directory from o->key_dir when given; without an operator file the domain is the
 * gateway's (or the proxy's) network.
 * @param out receives the site (pw_peer_site_destroy())
 * @param o the options (config_dir, key_dir)
 * @param need PW_PEER_SITE_* bits: what must load
 * @param why receives the first problem ("FILE:LINE: [section] key: message")
 * @param cap size of why
 * @return PW_OK; PW_ECONFIG, PW_EIO, PW_ENOTFOUND, PW_ENOMEM
 */
pw_status_t pw_peer_site_load(pw_peer_site_t **out, const pw_peer_opts_t *o, unsigned need,
                              char *why, size_t cap);

/**
 * Free a site.
 * @param s the site, or NULL
 */
void pw_peer_site_destroy(pw_peer_site_t *s);

/**
 * The files of this operator's own key pair: KEY_DIR/DOMAIN.key and KEY_DIR/DOMAIN.pub.
 * @param s the site (key_dir known)
 * @param key receives the private key's path
 * @param pub receives the public key's path
 * @param cap size of each
 * @return PW_OK or PW_ERANGE
 */
pw_status_t pw_peer_site_own_paths(const pw_peer_site_t *s, char *key, char *pub, size_t cap);

/**
 * This operator's public key (base64 of its DER): from DOMAIN.pub, or derived from the proxy's
 * signing key; when both can be read they must be one pair.
 * @param s the site (key_dir known; the proxy loaded or not)
 * @param b64 receives the key
 * @param bcap size of b64
 * @param why receives the problem
 * @param cap size of why
 * @return PW_OK; PW_ENOTFOUND (no key: run keygen); PW_EINVAL (unreadable or not one pair)
 */
pw_status_t pw_peer_site_own_key(const pw_peer_site_t *s, char *b64, size_t bcap, char *why,
                                 size_t cap);

/**
 * Load a file with a role's own loader as the daemon would (the gateway: its [peers] keys read;
 * the proxy: all but its signing key), and free it again: a file that passes loads in the daemon.
 * @param role which role's loader
 * @param path the file
 * @param why receives the loader's error
 * @param cap size of why
 * @return PW_OK or the loader's status
 */
pw_status_t pw_peer_site_verify(pw_peer_site_role_t role, const char *path, char *why, size_t cap);

/**
 * The component domains of this operator, as its roles' files set them (watcher.conf,
 * proxy.conf, gateway.conf, hss.conf, every presence*.conf, the watcher's presence_servers);
 * a role without a file gets its default LABEL.DOMAIN. Without duplicates, in that order.
 * @param s the site
 * @param out receives the list (free with pw_peer_site_list_free())
 * @param why receives the problem
 * @param cap size of why
 * @return PW_OK, a loader's status, or PW_ENOMEM
 */
pw_status_t pw_peer_site_components(const pw_peer_site_t *s, pw_config_list_t *out, char *why,
                                    size_t cap);

/**
 * The number prefixes proxy.conf's [prefixes] maps to a network, in file order.
 * @param s the site
 * @param network the network (ASCII case ignored)
 * @param out receives the prefixes (free with pw_peer_site_list_free())
 * @param why receives the problem
 * @param cap size of why
 * @return PW_OK; PW_ENOTFOUND, PW_EIO (proxy.conf unreadable); PW_ENOMEM
 */
pw_status_t pw_peer_site_prefixes(const pw_peer_site_t *s, const char *network,
                                  pw_config_list_t *out, char *why, size_t cap);

/**
 * Add a string to a list unless it is there already (ASCII case ignored).
 * @param list the list
 * @param item copied
 * @return PW_OK or PW_ENOMEM
 */
pw_status_t pw_peer_site_list_add(pw_config_list_t *list, const char *item);

/**
 * Free a list's items and empty it.
 * @param list the list, or NULL
 */
void pw_peer_site_list_free(pw_config_list_t *list);

#endif /* PW_PEER_SITE_H */
