/* site.c: an operator's configuration directory through the roles' own loaders (pw_runtime_load_config() with the role tables the daemons run), its domain and key directory from [operator]. */
#include "peer_site.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/pw_array.h"
#include "core/pw_text.h"
#include "hss.h"
#include "peer_ini.h"
#include "peer_keys.h"
#include "presence.h"
#include "watcher.h"

/* A map line taken without being read: the [peers] of a gateway whose keys are not wanted. */
static pw_status_t unread_line(void *settings, const char *key, const char *value, char *why,
                               size_t cap)
{
    (void)settings; (void)key; (void)value; (void)why; (void)cap;
    return PW_OK;
}

/*
 * Load a role's file with the role's loader. with_check: the role's cross-field check runs;
 * with_maps: its map sections are read by its own handlers (else taken unread).
 * @return PW_OK with *settings set (free_role()), or the loader's status and its message
 */
static pw_status_t load_role(const pw_role_t *role, const char *path, int with_check, int with_maps,
                             void **settings, char *why, size_t cap)
{
    pw_config_map_t maps[8];
    pw_role_t r = *role;
    pw_status_t rc;

    if (!with_check)
        r.check = NULL;
    if (!with_maps && r.nmaps > 0) {
        if (r.nmaps > sizeof maps / sizeof maps[0]) {
            snprintf(why, cap, "%s: too many map sections", path);
            return PW_ERANGE;
        }
        for (size_t i = 0; i < r.nmaps; i++) {
            maps[i] = r.maps[i];
            maps[i].fn = unread_line;
        }
        r.maps = maps;
    }
    *settings = calloc(1, r.settings_size);
    if (!*settings) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    rc = pw_runtime_load_config(&r, path, *settings, why, cap);
    if (rc != PW_OK) {
        free(*settings);
        *settings = NULL;
    }
    return rc;
}

static void free_role(const pw_role_t *role, void *settings)
{
    if (!settings)
        return;
    pw_runtime_free_config(role, settings);
    free(settings);
}

/*
 * This operator's domain and key directory from [operator], read by the configuration loader
 * itself (pw_config_operator_load(): the operator file the gateway's or the proxy's file
 * includes, else CONFIG_DIR/operator.conf), its default ${config_dir}/keys included;
 * o->key_dir wins when given. The one place that knows where the keys are.
 */
static pw_status_t operator_values(pw_peer_site_t *s, const pw_peer_opts_t *o, char *why,
                                   size_t cap)
{
    static const char *const files[] = { "gateway.conf", "proxy.conf", "operator.conf" };
    pw_status_t rc = PW_ENOTFOUND;
    char path[PW_PEER_PATH_MAX], cwd[PW_PEER_PATH_MAX];

    for (size_t i = 0; i < sizeof files / sizeof files[0] && rc == PW_ENOTFOUND; i++) {
        pw_config_operator_t op;
        pw_config_error_t err;
        if (pw_peer_file_join(s->config_dir, files[i], path, sizeof path) != PW_OK ||
            access(path, F_OK) != 0)
            continue;
        memset(&op, 0, sizeof op);
        rc = pw_config_operator_load(path, &op, &err);
        if (rc == PW_OK) {
            pw_text_fold(op.domain, s->domain, sizeof s->domain);
            snprintf(s->key_dir, sizeof s->key_dir, "%s", op.key_dir ? op.key_dir : "");
        } else if (rc != PW_ENOTFOUND) {
            pw_config_error_text(&err, why, cap);
        }
        pw_config_operator_free(&op);
    }
    if (o->key_dir)
        snprintf(s->key_dir, sizeof s->key_dir, "%s", o->key_dir);
    /* a relative key directory is made absolute: the [peers] lines import writes outlive cwd */
    if (s->key_dir[0] && s->key_dir[0] != '/' && getcwd(cwd, sizeof cwd) &&
        pw_peer_file_join(cwd, s->key_dir, path, sizeof path) == PW_OK)
        memcpy(s->key_dir, path, strlen(path) + 1);
    return rc == PW_ENOTFOUND ? PW_OK : rc;
}

pw_status_t pw_peer_site_load(pw_peer_site_t **out, const pw_peer_opts_t *o, unsigned need,
                              char *why, size_t cap)
{
    pw_peer_site_t *s = calloc(1, sizeof *s);
    pw_status_t rc = PW_ENOMEM;
    void *settings = NULL;

    *out = NULL;
    if (!s) {
        snprintf(why, cap, "out of memory");
        goto done;
    }
    rc = PW_EIO;
    if (!realpath(o->config_dir, s->config_dir)) {
        snprintf(why, cap, "%s: %s", o->config_dir, strerror(errno));
        goto done;
    }
    rc = PW_ERANGE;
    if (pw_peer_file_join(s->config_dir, "gateway.conf", s->gateway_conf,
                          sizeof s->gateway_conf) != PW_OK ||
        pw_peer_file_join(s->config_dir, "proxy.conf", s->proxy_conf, sizeof s->proxy_conf) !=
            PW_OK) {
        snprintf(why, cap, "%s: path too long", o->config_dir);
        goto done;
    }
    rc = operator_values(s, o, why, cap);
    if (rc == PW_OK && (need & PW_PEER_SITE_GATEWAY))
        rc = load_role(&pw_gateway_role, s->gateway_conf, 0, 0, &settings, why, cap);
    s->gateway = settings;
    settings = NULL;
    if (rc == PW_OK && (need & PW_PEER_SITE_PROXY))
        rc = load_role(&pw_proxy_role, s->proxy_conf, 0, 1, &settings, why, cap);
    s->proxy = settings;
    if (rc != PW_OK)
        goto done;
    if (!s->domain[0] && (s->gateway || s->proxy))
        pw_text_fold(s->gateway ? s->gateway->network : s->proxy->network, s->domain,
                     sizeof s->domain);
    rc = PW_ECONFIG;
    if (!s->domain[0]) {
        snprintf(why, cap, "%s: no operator.conf with [operator] domain, and no gateway.conf or "
                 "proxy.conf naming the network", s->config_dir);
        goto done;
    }
    if ((need & PW_PEER_SITE_KEYS) && !s->key_dir[0]) {
        snprintf(why, cap, "%s: no [operator] key_dir known: give --key-dir DIR", s->config_dir);
        goto done;
    }
    *out = s;
    s = NULL;
    rc = PW_OK;
done:
    pw_peer_site_destroy(s);
    return rc;
}

void pw_peer_site_destroy(pw_peer_site_t *s)
{
    if (!s)
        return;
    free_role(&pw_gateway_role, s->gateway);
    free_role(&pw_proxy_role, s->proxy);
    free(s);
}

pw_status_t pw_peer_site_own_paths(const pw_peer_site_t *s, char *key, char *pub, size_t cap)
{
    char name[PW_PEER_CARD_DOMAIN_MAX + 8];

    snprintf(name, sizeof name, "%s.key", s->domain);
    if (pw_peer_file_join(s->key_dir, name, key, cap) != PW_OK)
        return PW_ERANGE;
    snprintf(name, sizeof name, "%s.pub", s->domain);
    return pw_peer_file_join(s->key_dir, name, pub, cap);
}

pw_status_t pw_peer_site_own_key(const pw_peer_site_t *s, char *b64, size_t bcap, char *why,
                                 size_t cap)
{
    char key[PW_PEER_PATH_MAX], pub[PW_PEER_PATH_MAX], derived[PW_PEER_KEY_B64_MAX];
    char why_pub[PW_PEER_PATH_MAX + 128], why_key[PW_PEER_PATH_MAX + 128];
    const char *signing;
    pw_status_t rp, rk;

    if (pw_peer_site_own_paths(s, key, pub, sizeof key) != PW_OK) {
        snprintf(why, cap, "%s: path too long", s->key_dir);
        return PW_ERANGE;
    }
    signing = s->proxy && s->proxy->signing_key ? s->proxy->signing_key : key;
    rp = pw_peer_keys_public_b64(pub, 0, b64, bcap, why_pub, sizeof why_pub);
    rk = pw_peer_keys_public_b64(signing, 1, derived, sizeof derived, why_key, sizeof why_key);
    if (rp == PW_OK && rk == PW_OK && strcmp(b64, derived) != 0) {
        snprintf(why, cap, "%s and the signing key %s are not one pair", pub, signing);
        return PW_EINVAL;
    }
    if (rp == PW_OK)
        return PW_OK;
    if (rk == PW_OK && rp == PW_ENOTFOUND) {
        snprintf(b64, bcap, "%s", derived);
        return PW_OK;
    }
    if (rp == PW_ENOTFOUND && rk == PW_ENOTFOUND) {
        snprintf(why, cap,
                 "no key pair: neither %s nor %s exists (make it with peerwatch-peer keygen)", pub,
                 signing);
        return PW_ENOTFOUND;
    }
    snprintf(why, cap, "%s", rp != PW_ENOTFOUND ? why_pub : why_key);
    return PW_EINVAL;
}

pw_status_t pw_peer_site_verify(pw_peer_site_role_t role, const char *path, char *why, size_t cap)
{
    const pw_role_t *r = role == PW_PEER_SITE_ROLE_GATEWAY ? &pw_gateway_role : &pw_proxy_role;
    void *settings = NULL;
    pw_status_t rc = load_role(r, path, role == PW_PEER_SITE_ROLE_GATEWAY, 1, &settings, why, cap);
    free_role(r, settings);
    return rc;
}

pw_status_t pw_peer_site_list_add(pw_config_list_t *list, const char *item)
{
    size_t cap = list->n;
    char *copy;

    for (size_t i = 0; i < list->n; i++)
        if (strcasecmp(list->items[i], item) == 0)
            return PW_OK;
    copy = strdup(item);
    if (!copy || pw_array_grow(&list->items, &cap, list->n + 1, sizeof *list->items, 1) != PW_OK) {
        free(copy);
        return PW_ENOMEM;
    }
    list->items[list->n++] = copy;
    return PW_OK;
}

void pw_peer_site_list_free(pw_config_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

/* The component domain a role's file gives (LABEL.DOMAIN without a file), added to out; the
 * watcher's presence_servers go to servers (when given). */
static pw_status_t role_component(const pw_peer_site_t *s, const pw_role_t *role, const char *path,
                                  const char *label, pw_config_list_t *out,
                                  pw_config_list_t *servers, char *why, size_t cap)
{
    const pw_config_common_t *common;
    void *settings = NULL;
    char def[PW_PEER_CARD_DOMAIN_MAX + 16];
    pw_status_t rc = PW_OK;

    if (access(path, F_OK) != 0) {
        snprintf(def, sizeof def, "%s.%s", label, s->domain);
        rc = pw_peer_site_list_add(out, def);
        snprintf(def, sizeof def, "ps1.%s", s->domain); /* the watcher's default presence_servers */
        if (rc == PW_OK && servers && role == &pw_watcher_role)
            rc = pw_peer_site_list_add(servers, def);
        return rc;
    }
    rc = load_role(role, path, 0, 0, &settings, why, cap);
    if (rc != PW_OK)
        goto done;
    common = (const pw_config_common_t *)((const char *)settings + role->common_offset);
    rc = pw_peer_site_list_add(out, common->jid);
    if (rc == PW_OK && servers && role == &pw_watcher_role) {
        const pw_watcher_settings_t *w = settings;
        for (size_t i = 0; rc == PW_OK && i < w->presence_servers.n; i++)
            rc = pw_peer_site_list_add(servers, w->presence_servers.items[i]);
    }
done:
    free_role(role, settings);
    return rc;
}

pw_status_t pw_peer_site_components(const pw_peer_site_t *s, pw_config_list_t *out, char *why,
                                    size_t cap)
{
    static const struct {
        const pw_role_t *role;
        const char *file;
        const char *label;
    } roles[] = {
        { &pw_watcher_role, "watcher.conf", "watcher" }, { &pw_proxy_role, "proxy.conf", "proxy" },
        { &pw_gateway_role, "gateway.conf", "gateway" }, { &pw_hss_role, "hss.conf", "hss" },
    };
    pw_config_list_t servers = { 0, NULL };
    char path[PW_PEER_PATH_MAX];
    pw_status_t rc = PW_OK;
    glob_t g;

    memset(out, 0, sizeof *out);
    memset(&g, 0, sizeof g);
    for (size_t i = 0; rc == PW_OK && i < sizeof roles / sizeof roles[0]; i++) {
        rc = pw_peer_file_join(s->config_dir, roles[i].file, path, sizeof path);
        if (rc == PW_OK)
            rc = role_component(s, roles[i].role, path, roles[i].label, out, &servers, why, cap);
    }
    if (rc == PW_OK)
        rc = pw_peer_file_join(s->config_dir, "presence*.conf", path, sizeof path);
    if (rc == PW_OK && glob(path, 0, NULL, &g) == 0)
        for (size_t i = 0; rc == PW_OK && i < g.gl_pathc; i++)
            rc = role_component(s, &pw_presence_role, g.gl_pathv[i], "ps1", out, NULL, why, cap);
    for (size_t i = 0; rc == PW_OK && i < servers.n; i++)
        rc = pw_peer_site_list_add(out, servers.items[i]);
    globfree(&g);
    pw_peer_site_list_free(&servers);
    if (rc == PW_ENOMEM)
        snprintf(why, cap, "out of memory");
    if (rc != PW_OK)
        pw_peer_site_list_free(out);
    return rc;
}

pw_status_t pw_peer_site_prefixes(const pw_peer_site_t *s, const char *network,
                                  pw_config_list_t *out, char *why, size_t cap)
{
    pw_peer_ini_t *ini = NULL;
    pw_peer_ini_entry_t e;
    size_t cursor = 0;
    pw_status_t rc = pw_peer_ini_load(&ini, s->proxy_conf, why, cap);

    memset(out, 0, sizeof *out);
    while (rc == PW_OK && pw_peer_ini_next(ini, "prefixes", &cursor, &e))
        if (strcasecmp(e.value, network) == 0 && (rc = pw_peer_site_list_add(out, e.key)) != PW_OK)
            snprintf(why, cap, "out of memory");
    pw_peer_ini_destroy(ini);
    if (rc != PW_OK)
        pw_peer_site_list_free(out);
    return rc;
}
