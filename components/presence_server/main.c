/* main.c: peerwatch-presence, the operator's Presence Server (DESIGN.md §1 steps 9-11): the role plugged into the shared runtime. */
#include <stddef.h>

#include "pw_presence.h"
#include "xmpp/pw_runtime.h"

static pw_status_t ps_init(pw_component_t *c, void *settings, void **state)
{
    pw_presence_t *ps = NULL;
    pw_status_t rc = pw_presence_create(&ps, c, settings);
    *state = ps;
    return rc;
}

static pw_status_t ps_reload(void *state, void *new_settings)
{
    return pw_presence_reload(state, new_settings);
}

static void ps_fini(void *state)
{
    pw_presence_destroy(state);
}

int main(int argc, char **argv)
{
    const pw_role_t role = {
        .program = "peerwatch-presence",
        .summary = "The operator's Presence Server: answers enquiries about its users' presence, "
                   "authorized by their own rosters (XEP-0356), and writes the charge records.",
        .disco_category = "component",
        .disco_type = "presence",
        .disco_name = "Peerwatch Presence Server",
        .options = pw_presence_options,
        .noptions = pw_presence_option_count,
        .settings_size = sizeof(pw_presence_settings_t),
        .common_offset = offsetof(pw_presence_settings_t, common),
        .check = pw_presence_check,
        .init = ps_init,
        .reload = ps_reload,
        .fini = ps_fini,
    };
    return pw_runtime_main(&role, argc, argv);
}
