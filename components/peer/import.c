/* import.c: peerwatch-peer import CARD: plan every change in memory (key file, gateway [peers], proxy [prefixes] and notify_from), refuse on any contradiction, then write: new files create-only, edited ones staged, loaded by the daemons' loaders, and renamed into place. */
#include "peer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/pw_text.h"
#include "peer_ini.h"
#include "peer_keys.h"
#include "peer_site.h"

#define WHY_MAX (2 * PW_PEER_PATH_MAX)

/* What to do with the peer's key file. */
typedef enum { KEY_KEEP, KEY_CREATE, KEY_REPLACE } key_action_t;

/* The import being planned: the in-memory edits, and what they amount to. */
typedef struct import_plan {
    const pw_peer_opts_t *o;
    const pw_peer_card_t *card;
    pw_peer_site_t *site;
    pw_peer_ini_t *gw;            /* gateway.conf, edited in memory */
    pw_peer_ini_t *px;            /* proxy.conf, edited in memory */
    char key_path[PW_PEER_PATH_MAX];
    key_action_t key;
    unsigned refusals;
    FILE *err;
    FILE *changes;                /* one line per change, for the summary */
    char *changes_text;
    size_t changes_len;
} import_plan_t;

/* One contradiction (printed at once; the import goes on checking, then stops). */
__attribute__((format(printf, 2, 3)))
static void refuse(import_plan_t *p, const char *fmt, ...)
{
    va_list ap;
    fputs("peerwatch-peer import: ", p->err);
    va_start(ap, fmt);
    vfprintf(p->err, fmt, ap);
    va_end(ap);
    fputc('\n', p->err);
    p->refusals++;
}

/* A card of this operator's own network, or with its key, cannot be a peer's. */
static void plan_network(import_plan_t *p)
{
    const pw_peer_site_t *s = p->site;
    const char *net = p->card->network;
    char own[PW_PEER_KEY_B64_MAX], why[WHY_MAX];

    if (strcasecmp(net, s->domain) == 0 || strcasecmp(net, s->gateway->network) == 0 ||
        strcasecmp(net, s->proxy->network) == 0)
        refuse(p, "the card is of %s, this operator's own network", net);
    else if (pw_peer_site_own_key(s, own, sizeof own, why, sizeof why) == PW_OK &&
             strcmp(own, p->card->key) == 0)
        refuse(p, "the card of %s carries this operator's own public key", net);
}

/* Set a key of an edited file, refusing what the file cannot hold; the change is reported. */
static void plan_set(import_plan_t *p, pw_peer_ini_t *ini, const char *section, const char *key,
                     const char *value)
{
    char why[WHY_MAX];
    if (pw_peer_ini_set(ini, section, key, value, why, sizeof why) != PW_OK)
        refuse(p, "%s", why);
    else
        fprintf(p->changes, "  %s: [%s] %s = %s\n", pw_peer_ini_path(ini), section, key, value);
}

/* The key file and the [peers] line: one network, one key, unless --replace. */
static void plan_key(import_plan_t *p)
{
    const char *net = p->card->network;
    char b64[PW_PEER_KEY_B64_MAX], why[WHY_MAX], name[PW_PEER_CARD_DOMAIN_MAX + 8];
    pw_peer_ini_entry_t e;
    pw_status_t rc;

    snprintf(name, sizeof name, "%s.pub", net);
    if (pw_peer_file_join(p->site->key_dir, name, p->key_path, sizeof p->key_path) != PW_OK) {
        refuse(p, "%s: path too long", p->site->key_dir);
        return;
    }
    if (pw_peer_ini_find(p->gw, "peers", net, 1, &e)) {
        /* the gateway loaded it: the file holds a valid key */
        rc = pw_peer_keys_public_b64(e.value, 0, b64, sizeof b64, why, sizeof why);
        if (rc == PW_OK && strcmp(b64, p->card->key) == 0)
            return;
        if (!p->o->replace) {
            refuse(p, "%s:%u: [peers] %s has another key (%s); a new key for a known peer needs "
                   "import --replace", pw_peer_ini_path(p->gw), e.line, e.key, e.value);
            return;
        }
        p->key = access(p->key_path, F_OK) == 0 ? KEY_REPLACE : KEY_CREATE;
        if (strcmp(e.value, p->key_path) != 0)
            plan_set(p, p->gw, "peers", e.key, p->key_path);
        return;
    }
    rc = pw_peer_keys_public_b64(p->key_path, 0, b64, sizeof b64, why, sizeof why);
    if (rc == PW_OK && strcmp(b64, p->card->key) == 0)
        p->key = KEY_KEEP;
    else if (rc == PW_ENOTFOUND)
        p->key = KEY_CREATE;
    else if (p->o->replace)
        p->key = KEY_REPLACE;
    else if (rc == PW_OK)
        refuse(p, "%s holds another key for %s; a new key for a known peer needs import --replace",
               p->key_path, net);
    else
        refuse(p, "%s (remove it, or import --replace)", why);
    plan_set(p, p->gw, "peers", net, p->key_path);
}

/* The card's prefixes in [prefixes]: new ones added, none routed elsewhere. */
static void plan_prefixes(import_plan_t *p)
{
    const pw_peer_card_t *c = p->card;
    pw_peer_ini_entry_t e;

    for (size_t i = 0; i < c->nprefixes; i++) {
        if (!pw_peer_ini_find(p->px, "prefixes", c->prefixes[i], 0, &e))
            plan_set(p, p->px, "prefixes", c->prefixes[i], c->network);
        else if (strcasecmp(e.value, c->network) != 0)
            refuse(p, "%s:%u: [prefixes] %s is routed to %s; the card of %s claims it",
                   pw_peer_ini_path(p->px), e.line, e.key, e.value, c->network);
    }
}

/* The network in [proxy] notify_from: the effective list (its default included) plus it. */
static void plan_notify(import_plan_t *p)
{
    const pw_config_list_t *l = &p->site->proxy->notify_from;
    char *value = NULL;
    size_t len = 0;
    FILE *f;

    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->items[i], p->card->network) == 0)
            return;
    f = open_memstream(&value, &len);
    if (!f) {
        refuse(p, "out of memory");
        return;
    }
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "%s, ", l->items[i]);
    fputs(p->card->network, f);
    if (fclose(f) == 0)
        plan_set(p, p->px, "proxy", "notify_from", value);
    else
        refuse(p, "out of memory");
    free(value);
}

/* Stage an edited file (nothing when unchanged) and load it as its daemon would. */
static pw_status_t stage_config(import_plan_t *p, pw_peer_ini_t *ini, pw_peer_site_role_t role,
                                char *tmp, size_t tcap, char *why, size_t cap)
{
    char *text = NULL, reason[WHY_MAX];
    size_t len = 0;
    pw_status_t rc = PW_OK;

    tmp[0] = '\0';
    if (!pw_peer_ini_changed(ini))
        goto done;
    rc = pw_peer_ini_render(ini, &text, &len);
    if (rc != PW_OK) {
        snprintf(why, cap, "out of memory");
        goto done;
    }
    rc = pw_peer_file_stage(pw_peer_ini_path(ini), text, len, 0640, tmp, tcap, why, cap);
    if (rc == PW_OK && (rc = pw_peer_site_verify(role, tmp, reason, sizeof reason)) != PW_OK)
        snprintf(why, cap, "%s as edited would not load: %.2048s", pw_peer_ini_path(ini), reason);
done:
    free(text);
    return rc;
}

/* Write everything planned: nothing is left changed unless all of it is. */
static pw_status_t apply(import_plan_t *p, char *why, size_t cap)
{
    char pem[PW_PEER_KEY_PEM_MAX], key_tmp[PW_PEER_PATH_MAX] = "", gw_tmp[PW_PEER_PATH_MAX] = "",
         px_tmp[PW_PEER_PATH_MAX] = "";
    int made = 0, created = 0;
    pw_status_t rc = pw_peer_keys_pem(p->card->key, pem, sizeof pem);

    if (rc == PW_OK && p->key != KEY_KEEP)
        rc = pw_peer_file_mkdir(p->site->key_dir, 0700, &made, why, cap);
    if (rc == PW_OK && p->key == KEY_CREATE) {
        rc = pw_peer_file_create(p->key_path, pem, strlen(pem), 0644, why, cap);
        created = rc == PW_OK;
    }
    if (rc == PW_OK && p->key == KEY_REPLACE)
        rc = pw_peer_file_stage(p->key_path, pem, strlen(pem), 0644, key_tmp, sizeof key_tmp, why,
                                cap);
    if (rc == PW_OK)
        rc = stage_config(p, p->gw, PW_PEER_SITE_ROLE_GATEWAY, gw_tmp, sizeof gw_tmp, why, cap);
    if (rc == PW_OK)
        rc = stage_config(p, p->px, PW_PEER_SITE_ROLE_PROXY, px_tmp, sizeof px_tmp, why, cap);
    if (rc == PW_OK && key_tmp[0])
        rc = pw_peer_file_commit(key_tmp, p->key_path, why, cap);
    /* the proxy before the gateway: until the [peers] line is in, the peer is not accepted */
    if (rc == PW_OK && px_tmp[0])
        rc = pw_peer_file_commit(px_tmp, pw_peer_ini_path(p->px), why, cap);
    if (rc == PW_OK && gw_tmp[0])
        rc = pw_peer_file_commit(gw_tmp, pw_peer_ini_path(p->gw), why, cap);
    if (rc != PW_OK) {
        pw_peer_file_discard(key_tmp);
        pw_peer_file_discard(gw_tmp);
        pw_peer_file_discard(px_tmp);
        if (created)
            unlink(p->key_path);
        if (made)
            rmdir(p->site->key_dir);
    }
    return rc;
}

/* Read the configuration and plan; refusals are printed as they are found. */
static pw_status_t plan(import_plan_t *p, char *why, size_t cap)
{
    char reason[WHY_MAX];
    pw_status_t rc;

    rc = pw_peer_site_load(&p->site, p->o,
                           PW_PEER_SITE_GATEWAY | PW_PEER_SITE_PROXY | PW_PEER_SITE_KEYS, why, cap);
    if (rc == PW_OK &&
        (rc = pw_peer_site_verify(PW_PEER_SITE_ROLE_GATEWAY, p->site->gateway_conf, reason,
                                  sizeof reason)) != PW_OK)
        snprintf(why, cap,
                 "the gateway's configuration does not load as it is (fix it first): %.4096s",
                 reason);
    if (rc == PW_OK)
        rc = pw_peer_ini_load(&p->gw, p->site->gateway_conf, why, cap);
    if (rc == PW_OK)
        rc = pw_peer_ini_load(&p->px, p->site->proxy_conf, why, cap);
    if (rc != PW_OK)
        return rc;
    plan_network(p);
    if (p->refusals == 0) {
        plan_key(p);
        plan_prefixes(p);
        plan_notify(p);
    }
    return PW_OK;
}

int pw_peer_import(const pw_peer_opts_t *o, const char *card_path, FILE *out, FILE *err)
{
    import_plan_t p;
    pw_peer_card_t card;
    char why[WHY_MAX] = "";
    int status = PW_PEER_EXIT_FAIL;

    memset(&p, 0, sizeof p);
    memset(&card, 0, sizeof card);
    p.o = o;
    p.card = &card;
    p.err = err;
    p.changes = open_memstream(&p.changes_text, &p.changes_len);
    if (!p.changes) {
        snprintf(why, sizeof why, "out of memory");
        goto done;
    }
    if (pw_peer_card_read(card_path, &card, why, sizeof why) != PW_OK ||
        plan(&p, why, sizeof why) != PW_OK)
        goto done;
    fflush(p.changes);
    if (p.refusals) {
        snprintf(why, sizeof why, "the card %s of %s is refused; nothing was changed", card_path,
                 card.network);
        goto done;
    }
    if (p.changes_len == 0 && p.key == KEY_KEEP) {
        fprintf(out,
                "%s is imported already (its key, %zu prefix%s, notify_from): nothing changed\n",
                card.network, card.nprefixes, card.nprefixes == 1 ? "" : "es");
        status = PW_PEER_EXIT_OK;
        goto done;
    }
    if (apply(&p, why, sizeof why) != PW_OK) {
        fprintf(err, "peerwatch-peer import: %s\n", why);
        snprintf(why, sizeof why, "nothing was changed");
        goto done;
    }
    fprintf(out, "imported %s (gateway %s):\n", card.network, card.gateway);
    if (p.key != KEY_KEEP)
        fprintf(out, "  %s: its public key%s\n", p.key_path,
                p.key == KEY_REPLACE ? " (replaced)" : "");
    fputs(p.changes_text, out);
    fprintf(out, "reload the gateway and the proxy to use it (systemctl reload peerwatch-gateway "
            "peerwatch-proxy)\n");
    status = PW_PEER_EXIT_OK;
done:
    if (status != PW_PEER_EXIT_OK)
        fprintf(err, "peerwatch-peer import: %s\n", why);
    if (p.changes)
        fclose(p.changes);
    free(p.changes_text);
    pw_peer_ini_destroy(p.gw);
    pw_peer_ini_destroy(p.px);
    pw_peer_site_destroy(p.site);
    pw_peer_card_free(&card);
    return status;
}
