/* pw_runtime.h: the main() every role shares: arguments, config, logging, signals, connection, run, stop. */
#ifndef PW_RUNTIME_H
#define PW_RUNTIME_H

#include <stddef.h>

#include "xmpp/pw_component.h"
#include "core/pw_config.h"

/**
 * What a role plugs into the runtime. The role's settings struct embeds a
 * pw_config_common_t at common_offset; its option table starts with
 * PW_CONFIG_COMMON_OPTIONS(type, member).
 */
typedef struct pw_role {
    const char *program;        /**< "peerwatch-hss" */
    const char *summary;        /**< one line for --help */
    const char *disco_category; /**< XEP-0030 identity */
    const char *disco_type;
    const char *disco_name;
    const pw_config_option_t *options;
    size_t noptions;
    const pw_config_map_t *maps;
    size_t nmaps;
    size_t settings_size;       /**< sizeof the role's settings struct */
    size_t common_offset;       /**< offsetof its pw_config_common_t member */

    /**
     * Cross-field checks after a successful load (may be NULL).
     * @param why receives the reason, shown as "FILE: reason"
     * @return PW_OK or PW_ECONFIG
     */
    pw_status_t (*check)(void *settings, char *why, size_t cap);

    /**
     * Set the role up: register handlers on c, open files. settings stay valid until
     * fini (or until a successful reload hands over new ones).
     * @param state receives the role's state
     * @return PW_OK, or a failure that makes the program exit with status 3
     */
    pw_status_t (*init)(pw_component_t *c, void *settings, void **state);

    /**
     * SIGHUP with a valid new config (may be NULL: only the log level is reloaded). The role
     * switches to new_settings and returns PW_OK, or refuses (the old settings stay).
     */
    pw_status_t (*reload)(void *state, void *new_settings);

    /** Tear down (NULL-safe on state). */
    void (*fini)(void *state);

    /** Free what the map handlers stored in settings (may be NULL). */
    void (*free_maps)(void *settings);
} pw_role_t;

/**
 * Define a role's init, reload and fini hooks from its life cycle, which has the shape every
 * role's has (docs/hacking.md, "One shape for every role"):
 *   pw_status_t create(state_t **out, pw_component_t *c, SETTINGS *settings);
 *   pw_status_t reload(state_t *state, SETTINGS *settings);
 *   void destroy(state_t *state);
 * where SETTINGS is the role's settings struct (const or not). Write it once, at file scope, in
 * the role's settings.c; it defines the static functions role_init, role_reload and role_fini
 * (each calls the role's own function, so the compiler checks it against its prototype), which
 * the role table then names:
 *   PW_ROLE_LIFECYCLE(hss_t, hss_create, hss_reload, hss_destroy)
 *   const pw_role_t pw_hss_role = { ..., .init = role_init, .reload = role_reload,
 *                                   .fini = role_fini };
 */
#define PW_ROLE_LIFECYCLE(state_t, create, reload, destroy)                                   \
    static pw_status_t role_init(pw_component_t *c, void *settings, void **state)            \
    {                                                                                         \
        state_t *created = NULL;                                                              \
        pw_status_t rc = create(&created, c, settings);                                       \
        *state = created;                                                                     \
        return rc;                                                                            \
    }                                                                                         \
    static pw_status_t role_reload(void *state, void *new_settings)                          \
    {                                                                                         \
        return reload(state, new_settings);                                                   \
    }                                                                                         \
    static void role_fini(void *state)                                                        \
    {                                                                                         \
        destroy(state);                                                                       \
    }

/**
 * Run a role as a program: parses the command line
 *   -c FILE | --config FILE   the configuration (required)
 *   --check-config            load and check the configuration, then exit
 *   --help-config[=man]       print every option (type, bounds, default); =man as roff
 *                             for the man pages (pw_config_print_reference_as())
 *   -h | --help, -V | --version
 * connects to the server, answers until SIGTERM/SIGINT, reloads on SIGHUP. It makes the
 * process's metrics registry (pw_component_metrics() gives it to the role), offers the XEP-0050
 * command urn:peerwatch:metrics once the role is set up, and serves GET /metrics when
 * [metrics] listen is set (docs/metrics.md).
 * @return the process exit status: 0 after a clean stop, 1 on a configuration error,
 *         2 on a usage error, 3 when the role or the runtime could not start
 */
int pw_runtime_main(const pw_role_t *role, int argc, char **argv);

/**
 * Load a role's configuration (used by pw_runtime_main() and by tests), then check the
 * [metrics] section every role has (listen address, loopback rule, admins) and the role's own
 * cross-field rules.
 * @param settings a zeroed struct of role->settings_size bytes
 * @param why receives "FILE:LINE: [section] key: message" on failure
 * @return PW_OK, or the loader's status (the settings are then already freed)
 */
pw_status_t pw_runtime_load_config(const pw_role_t *role, const char *path, void *settings,
                                   char *why, size_t cap);

/** Free a role's settings (options and maps). */
void pw_runtime_free_config(const pw_role_t *role, void *settings);

#endif /* PW_RUNTIME_H */
