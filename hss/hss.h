/* hss.h: the HSS role (peerwatch-hss): settings, the role table, and the lookup service's state. */
#ifndef HSS_H
#define HSS_H

#include "core/pw_config.h"
#include "core/pw_status.h"
#include "xmpp/pw_component.h"
#include "xmpp/pw_runtime.h"

/** The HSS's configuration (conf/hss-opa.conf documents every option). */
typedef struct hss_settings {
    pw_config_common_t common;
    char *subscribers;      /**< [hss] subscribers: the subscriber file (docs/hss.md) */
    pw_config_list_t allow; /**< [hss] allow: bare JIDs or component domains allowed to look up */
} hss_settings_t;

/** The role as pw_runtime_main() runs it (options, init/reload/fini). */
extern const pw_role_t pw_hss_role;

/** The HSS's running state: the subscriber database and the lookup handler. Opaque. */
typedef struct hss hss_t;

/**
 * Set the HSS up on a component: load the subscriber file, register the <lookup/> handler
 * (urn:peerwatch:hss:0) and its disco feature.
 * @param out receives the HSS (free with hss_destroy()); NULL on failure
 * @param c the component (borrowed; must outlive the HSS)
 * @param settings the configuration (borrowed; must stay valid until hss_reload() hands over
 *        others or the HSS is destroyed)
 * @return PW_OK; PW_EINVAL; PW_ENOMEM; or the status of hss_db_load() when the subscriber
 *         file is refused (the reason is logged)
 */
pw_status_t hss_create(hss_t **out, pw_component_t *c, hss_settings_t *settings);

/**
 * Switch to new settings (SIGHUP) and re-read the subscriber file in the background; lookups
 * keep being answered from the current data until the new file has loaded completely. A
 * refused file is logged and the current data stays.
 * @param hss the HSS
 * @param settings the new configuration (borrowed, as for hss_create())
 * @return PW_OK
 */
pw_status_t hss_reload(hss_t *hss, hss_settings_t *settings);

/**
 * Tear down: a background load in progress is waited for and discarded, then the database
 * and the state are freed.
 * @param hss the HSS, or NULL
 */
void hss_destroy(hss_t *hss);

#endif /* HSS_H */
