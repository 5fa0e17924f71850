/* main.c: peerwatch-hss, the operator's subscriber data (HSS) answering lookups by MSISDN or JID
 * from the operator's own components (protocol: docs/hss.md, namespace urn:peerwatch:hss:0). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hss_db.h"
#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "address/pw_msisdn.h"
#include "xmpp/pw_runtime.h"

#define NS_HSS "urn:peerwatch:hss:0"

typedef struct hss_settings {
    pw_config_common_t common;
    char *subscribers;       /* [hss] subscribers: the subscriber file */
    pw_config_list_t allow;  /* [hss] allow: JIDs (or domains) allowed to look up */
} hss_settings_t;

static const pw_config_option_t hss_options[] = {
    PW_CONFIG_COMMON_OPTIONS(hss_settings_t, common),
    { "hss", "subscribers", PW_OPT_PATH, 1, 4095, NULL,
      "subscriber file (format: docs/hss.md); reloaded on SIGHUP",
      offsetof(hss_settings_t, subscribers) },
    { "hss", "allow", PW_OPT_LIST, 1, 256, NULL,
      "comma-separated bare JIDs or component domains allowed to query (everyone else: forbidden)",
      offsetof(hss_settings_t, allow) },
};

typedef struct hss {
    pw_component_t *component;
    hss_settings_t *settings;
    hss_db_t *db;
    hss_db_reload_t *reload; /* a background load in progress, or NULL */
    int reload_again;        /* another SIGHUP arrived during the load */
} hss_t;

/* Is the sender one of the operator's own components (the allow list)? */
static int sender_allowed(const hss_t *hss, const char *from)
{
    char bare[PW_JID_MAX + 1];
    if (!from || pw_jid_bare(from, bare, sizeof bare) != PW_OK)
        return 0;
    for (size_t i = 0; i < hss->settings->allow.n; i++) {
        if (strcasecmp(bare, hss->settings->allow.items[i]) == 0)
            return 1;
    }
    return 0;
}

static void answer_subscriber(pw_component_t *c, xmpp_stanza_t *iq, const hss_subscriber_t *s)
{
    char balance[32];
    xmpp_stanza_t *sub = xmpp_stanza_new(pw_component_ctx(c));
    if (!sub) {
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    snprintf(balance, sizeof balance, "%lld", (long long)s->balance);
    xmpp_stanza_set_name(sub, "subscriber");
    xmpp_stanza_set_ns(sub, NS_HSS);
    xmpp_stanza_set_attribute(sub, "msisdn", s->msisdn);
    xmpp_stanza_set_attribute(sub, "jid", s->jid);
    xmpp_stanza_set_attribute(sub, "presence-server", s->presence_server);
    xmpp_stanza_set_attribute(sub, "status", s->barred ? "barred" : "active");
    xmpp_stanza_set_attribute(sub, "account", s->prepaid ? "prepaid" : "postpaid");
    xmpp_stanza_set_attribute(sub, "balance", balance);
    pw_component_reply_payload(c, iq, sub);
    xmpp_stanza_release(sub);
}

/* <lookup msisdn='…'/> or <lookup jid='…'/>: who is this subscriber and who serves them? */
static void on_lookup(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *lookup, void *arg)
{
    hss_t *hss = arg;
    const char *msisdn = xmpp_stanza_get_attribute(lookup, "msisdn");
    const char *jid = xmpp_stanza_get_attribute(lookup, "jid");
    hss_subscriber_t sub;
    char key[PW_JID_MAX + 1], text[PW_JID_MAX + 64];
    pw_status_t rc;

    if (!sender_allowed(hss, xmpp_stanza_get_from(iq))) {
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN,
                                 "only this operator's own components may query the HSS");
        return;
    }
    if (!msisdn == !jid) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "a lookup names exactly one of 'msisdn' or 'jid'");
        return;
    }
    if (msisdn) {
        if (!pw_msisdn_is_e164(msisdn)) {
            pw_component_reply_error(c, iq, PW_ERR_JID_MALFORMED,
                                     "'msisdn' must be an E.164 number such as +12025550123");
            return;
        }
        rc = hss_db_find_msisdn(hss->db, msisdn, &sub);
        snprintf(text, sizeof text, "no subscriber has the number %s", msisdn);
    } else {
        if (pw_jid_bare(jid, key, sizeof key) != PW_OK || strchr(key, '@') == NULL) {
            pw_component_reply_error(c, iq, PW_ERR_JID_MALFORMED,
                                     "'jid' must be a user's bare JID such as alice@opa.example");
            return;
        }
        rc = hss_db_find_jid(hss->db, key, &sub);
        snprintf(text, sizeof text, "no subscriber has the address %s", key);
    }
    if (rc != PW_OK) {
        pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, text);
        return;
    }
    pw_debug(xmpp_stanza_get_id(iq), "lookup %s -> %s", msisdn ? msisdn : key, sub.jid);
    answer_subscriber(c, iq, &sub);
}

static void start_db_reload(hss_t *hss);

/* The background load finished: swap databases, or keep serving the old one. */
static void on_reload_done(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    hss_t *hss = arg;
    hss_db_t *fresh = NULL;
    char err[512];
    (void)events;

    pw_loop_io_clear(loop, fd);
    if (hss_db_reload_finish(hss->reload, &fresh, err, sizeof err) == PW_OK) {
        hss_db_destroy(hss->db);
        hss->db = fresh;
        pw_info(NULL, "subscriber file reloaded: %zu subscribers", hss_db_count(fresh));
    } else {
        pw_error(NULL, "subscriber file refused, still serving the previous %zu subscribers: %s",
                 hss_db_count(hss->db), err);
    }
    hss->reload = NULL;
    if (hss->reload_again) {
        hss->reload_again = 0;
        start_db_reload(hss);
    }
}

static void start_db_reload(hss_t *hss)
{
    if (hss->reload) {
        hss->reload_again = 1;
        return;
    }
    if (hss_db_reload_start(hss->settings->subscribers, &hss->reload) != PW_OK) {
        pw_error(NULL, "cannot start reloading %s", hss->settings->subscribers);
        hss->reload = NULL;
        return;
    }
    pw_loop_io_set(pw_component_loop(hss->component), hss_db_reload_fd(hss->reload), PW_IO_READ,
                   on_reload_done, hss);
}

static pw_status_t hss_init(pw_component_t *c, void *settings, void **state)
{
    hss_t *hss = calloc(1, sizeof *hss);
    char err[512];
    pw_status_t rc;

    *state = NULL;
    if (!hss)
        return PW_ENOMEM;
    hss->component = c;
    hss->settings = settings;
    rc = hss_db_load(hss->settings->subscribers, &hss->db, err, sizeof err);
    if (rc != PW_OK) {
        pw_error(NULL, "cannot load the subscriber file: %s", err);
        free(hss);
        return rc;
    }
    pw_info(NULL, "%zu subscribers loaded from %s", hss_db_count(hss->db), hss->settings->subscribers);
    rc = pw_component_on_iq(c, NS_HSS, "lookup", PW_IQ_GET, on_lookup, hss);
    if (rc == PW_OK)
        rc = pw_component_add_feature(c, NS_HSS);
    if (rc != PW_OK) {
        hss_db_destroy(hss->db);
        free(hss);
        return rc;
    }
    *state = hss;
    return PW_OK;
}

static pw_status_t hss_reload(void *state, void *new_settings)
{
    hss_t *hss = state;
    hss->settings = new_settings;
    start_db_reload(hss);
    return PW_OK;
}

static void hss_fini(void *state)
{
    hss_t *hss = state;
    if (!hss)
        return;
    if (hss->reload) {
        hss_db_t *pending = NULL;
        char err[64];
        pw_loop_io_clear(pw_component_loop(hss->component), hss_db_reload_fd(hss->reload));
        if (hss_db_reload_finish(hss->reload, &pending, err, sizeof err) == PW_OK)
            hss_db_destroy(pending);
    }
    hss_db_destroy(hss->db);
    free(hss);
}

static const pw_role_t hss_role = {
    .program = "peerwatch-hss",
    .summary = "The operator's HSS: subscriber records looked up by MSISDN or JID over XMPP.",
    .disco_category = "directory",
    .disco_type = "user",
    .disco_name = "Peerwatch HSS",
    .options = hss_options,
    .noptions = sizeof hss_options / sizeof hss_options[0],
    .settings_size = sizeof(hss_settings_t),
    .common_offset = offsetof(hss_settings_t, common),
    .init = hss_init,
    .reload = hss_reload,
    .fini = hss_fini,
};

int main(int argc, char **argv)
{
    return pw_runtime_main(&hss_role, argc, argv);
}
