/* main.c: peerwatch-watcher, the Watcher Application: users' presence enquiries by phone number (DESIGN.md §1, §3). */
#include <stddef.h>

#include "xmpp/pw_runtime.h"
#include "watcher.h"

static pw_status_t wa_check(void *settings, char *why, size_t cap)
{
    return pw_watcher_check(settings, why, cap);
}

static pw_status_t wa_init(pw_component_t *c, void *settings, void **state)
{
    pw_watcher_t *wa = NULL;
    pw_status_t rc = pw_watcher_create(&wa, c, settings);
    *state = wa;
    return rc;
}

static pw_status_t wa_reload(void *state, void *new_settings)
{
    return pw_watcher_reload(state, new_settings);
}

static void wa_fini(void *state)
{
    pw_watcher_destroy(state);
}

static const pw_role_t watcher_role = {
    .program = "peerwatch-watcher",
    .summary = "The Watcher Application: users ask about the presence of other operators' "
               "subscribers by phone number.",
    .disco_category = PW_WATCHER_DISCO_CATEGORY,
    .disco_type = PW_WATCHER_DISCO_TYPE,
    .disco_name = PW_WATCHER_DISCO_NAME,
    .options = pw_watcher_options,
    .settings_size = sizeof(pw_watcher_settings_t),
    .common_offset = offsetof(pw_watcher_settings_t, common),
    .check = wa_check,
    .init = wa_init,
    .reload = wa_reload,
    .fini = wa_fini,
};

int main(int argc, char **argv)
{
    pw_role_t role = watcher_role;
    role.noptions = pw_watcher_noptions; /* not a constant expression across files */
    return pw_runtime_main(&role, argc, argv);
}
