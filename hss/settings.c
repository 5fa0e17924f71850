/* settings.c: the HSS's options ([component], [log], [hss]) and the role table pw_runtime_main() runs. */
#include <stddef.h>

#include "hss.h"

static const pw_config_option_t options[] = {
    PW_CONFIG_ROLE_OPTIONS(hss_settings_t, common, "hss"),
    { "hss", "subscribers", PW_OPT_PATH, 1, 4095, "${config_dir}/hss.subscribers",
      "subscriber file (format: docs/hss.md); reloaded on SIGHUP",
      offsetof(hss_settings_t, subscribers) },
    { "hss", "allow", PW_OPT_LIST, 1, 256, "gateway.${domain}, watcher.${domain}",
      "comma-separated bare JIDs or component domains allowed to query (everyone else: forbidden)",
      offsetof(hss_settings_t, allow) },
};

PW_ROLE_LIFECYCLE(hss_t, hss_create, hss_reload, hss_destroy)

/* No cross-field check: each option stands alone (the loader checks types and bounds). */
const pw_role_t pw_hss_role = {
    .program = "peerwatch-hss",
    .summary = "The operator's HSS: subscriber records looked up by MSISDN or JID over XMPP.",
    .disco_category = "directory",
    .disco_type = "user",
    .disco_name = "Peerwatch HSS",
    .options = options,
    .noptions = sizeof options / sizeof options[0],
    .settings_size = sizeof(hss_settings_t),
    .common_offset = offsetof(hss_settings_t, common),
    .init = role_init,
    .reload = role_reload,
    .fini = role_fini,
};
