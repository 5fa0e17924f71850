/* own.c: what peerwatch-peer does about this operator itself: keygen (its Ed25519 pair, --rotate) and card (its peering card from its own configuration). */
#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/pw_text.h"
#include "peer_keys.h"
#include "peer_site.h"

#define WHY_MAX (2 * PW_PEER_PATH_MAX)

/* Keep path as path.old (a hard link, refused when path.old exists). */
static pw_status_t set_aside(const char *path, char *why, size_t cap)
{
    char old[PW_PEER_PATH_MAX + 8];

    snprintf(old, sizeof old, "%s.old", path);
    if (link(path, old) == 0)
        return PW_OK;
    if (errno == EEXIST)
        snprintf(why, cap, "%s exists: an earlier pair is still kept there; remove it first", old);
    else if (errno == ENOENT)
        snprintf(why, cap, "%s does not exist: nothing to rotate (run keygen without --rotate)",
                 path);
    else
        snprintf(why, cap, "%s: cannot keep it as %s: %s", path, old, strerror(errno));
    return PW_EIO;
}

/* Undo set_aside(): path.old back to path. */
static void bring_back(const char *path)
{
    char old[PW_PEER_PATH_MAX + 8];
    snprintf(old, sizeof old, "%s.old", path);
    if (rename(old, path) != 0)
        unlink(old);
}

/* --rotate: the current pair goes to *.old, out of the way of the new one. */
static pw_status_t rotate_pair(const char *key, const char *pub, char *why, size_t cap)
{
    char old[PW_PEER_PATH_MAX + 8];

    if (set_aside(key, why, cap) != PW_OK)
        return PW_EIO;
    if (set_aside(pub, why, cap) != PW_OK) {
        snprintf(old, sizeof old, "%s.old", key);
        unlink(old);
        return PW_EIO;
    }
    unlink(key);
    unlink(pub);
    return PW_OK;
}

int pw_peer_keygen(const pw_peer_opts_t *o, FILE *out, FILE *err)
{
    char key[PW_PEER_PATH_MAX], pub[PW_PEER_PATH_MAX], why[WHY_MAX];
    unsigned need = PW_PEER_SITE_KEYS;
    pw_peer_site_t *site = NULL;
    int status = PW_PEER_EXIT_FAIL, made = 0, rotated = 0;

    if (pw_peer_file_join(o->config_dir, "proxy.conf", key, sizeof key) == PW_OK &&
        access(key, F_OK) == 0)
        need |= PW_PEER_SITE_PROXY;
    if (pw_peer_site_load(&site, o, need, why, sizeof why) != PW_OK ||
        pw_peer_site_own_paths(site, key, pub, sizeof key) != PW_OK ||
        pw_peer_file_mkdir(site->key_dir, 0700, &made, why, sizeof why) != PW_OK)
        goto done;
    if (o->rotate) {
        if (rotate_pair(key, pub, why, sizeof why) != PW_OK)
            goto done;
        rotated = 1;
    }
    if (pw_peer_keys_generate(key, pub, why, sizeof why) != PW_OK) {
        if (rotated) {
            bring_back(key);
            bring_back(pub);
        }
        goto done;
    }
    if (made)
        fprintf(out, "made the key directory %s (mode 0700)\n", site->key_dir);
    if (rotated)
        fprintf(out, "kept the old pair as %s.old and %s.old\n", key, pub);
    fprintf(out, "wrote the Ed25519 key pair of %s:\n", site->domain);
    fprintf(out, "  %s (private, mode 0600)\n  %s (public, mode 0644)\n", key, pub);
    if (site->proxy && strcmp(site->proxy->signing_key, key) != 0)
        fprintf(out, "note: %s signs with %s ([proxy] signing_key), not with this key\n",
                site->proxy_conf, site->proxy->signing_key);
    fprintf(out, "next: peerwatch-peer card > %s.card, and send it to your peers%s\n", site->domain,
            rotated ? "; then reload the proxy" : "");
    status = PW_PEER_EXIT_OK;
done:
    if (status != PW_PEER_EXIT_OK)
        fprintf(err, "peerwatch-peer keygen: %s\n", why);
    pw_peer_site_destroy(site);
    return status;
}

/* The prefixes of proxy.conf that map to network onto the card. */
static pw_status_t own_prefixes(const pw_peer_site_t *site, const char *network,
                                pw_peer_card_t *card, char *why, size_t cap)
{
    pw_config_list_t list = { 0, NULL };
    pw_status_t rc = pw_peer_site_prefixes(site, network, &list, why, cap);

    for (size_t i = 0; rc == PW_OK && i < list.n; i++)
        rc = pw_peer_card_add_prefix(card, list.items[i], why, cap);
    pw_peer_site_list_free(&list);
    return rc;
}

int pw_peer_card(const pw_peer_opts_t *o, FILE *out, FILE *err)
{
    pw_peer_card_t card;
    pw_peer_site_t *site = NULL;
    char why[WHY_MAX];
    int status = PW_PEER_EXIT_FAIL;

    memset(&card, 0, sizeof card);
    if (pw_peer_site_load(&site, o, PW_PEER_SITE_GATEWAY | PW_PEER_SITE_PROXY | PW_PEER_SITE_KEYS,
                          why, sizeof why) != PW_OK)
        goto done;
    pw_text_fold(site->proxy->network, card.network, sizeof card.network);
    if (strcasecmp(site->gateway->network, card.network) != 0) {
        snprintf(why, sizeof why,
                 "the gateway's network %s ([gateway] network) is not the proxy's %s ([proxy] "
                 "network)", site->gateway->network, card.network);
        goto done;
    }
    pw_text_fold(site->gateway->common.jid, card.gateway, sizeof card.gateway);
    if (pw_peer_site_own_key(site, card.key, sizeof card.key, why, sizeof why) != PW_OK ||
        own_prefixes(site, card.network, &card, why, sizeof why) != PW_OK)
        goto done;
    if (card.nprefixes == 0)
        fprintf(err, "peerwatch-peer card: note: no [prefixes] line of %s maps to %s: the card "
                "lists no prefix (peers then find your numbers through ENUM only)\n",
                site->proxy_conf, card.network);
    if (pw_peer_card_write(out, &card) != PW_OK) {
        snprintf(why, sizeof why, "cannot write the card: %s", strerror(errno));
        goto done;
    }
    status = PW_PEER_EXIT_OK;
done:
    if (status != PW_PEER_EXIT_OK)
        fprintf(err, "peerwatch-peer card: %s\n", why);
    pw_peer_card_free(&card);
    pw_peer_site_destroy(site);
    return status;
}
