/* fuzz_role_watcher.c: libFuzzer target: one stanza delivered to the Watcher Application (peerwatch-watcher) on the in-memory transport. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "core/pw_config.h"
#include "core/pw_log.h"
#include "watcher.h"

/* inputs per WA: bounds its roster items and journal (pending items retry on every input) */
#define FZ_RECREATE 2000
#define FZ_WALL_BASE 1795255200000ull /* 2026-11-21T10:00:00Z at the start */

static pwf_role_t fz_role;
static pw_watcher_settings_t fz_settings;
static pw_watcher_t *fz_wa;
static unsigned fz_inputs;
static char fz_state[256];

static uint64_t fz_wall(void *arg)
{
    return FZ_WALL_BASE + ((pwf_role_t *)arg)->now;
}

static void fz_stop(void)
{
    pw_watcher_destroy(fz_wa);
    fz_wa = NULL;
    pwf_role_close(&fz_role);
    pwf_remove_tree(fz_state);
}

static void fz_start(void)
{
    pw_component_opts_t o = { .jid = "watcher.opa.example", .name = "peerwatch-watcher",
                              .version = "0", .disco_category = PW_WATCHER_DISCO_CATEGORY,
                              .disco_type = PW_WATCHER_DISCO_TYPE,
                              .disco_name = PW_WATCHER_DISCO_NAME, .iq_timeout_ms = 20000 };
    if (mkdir(fz_state, 0700) != 0 || pwf_role_open(&fz_role, &o) != 0 ||
        pw_watcher_create_with_clock(&fz_wa, fz_role.comp, &fz_settings, fz_wall, &fz_role) != PW_OK)
        __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char conf[1024], path[256], why[512];
    pw_config_error_t err;
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-watcher", PW_LOG_ERROR);
    snprintf(fz_state, sizeof fz_state, "%s/watcher-state", pwf_tmpdir());
    snprintf(conf, sizeof conf,
             "[component]\njid = watcher.opa.example\nsecret = s\niq_timeout = 20s\n"
             "[watcher]\ndomain = opa.example\nproxy = proxy.opa.example\nhss = hss.opa.example\n"
             "presence_servers = ps1.opa.example, ps2.opa.example\ncountry_code = 44\n"
             "state_dir = %s\n", fz_state);
    if (pwf_write_file("watcher.conf", (const uint8_t *)conf, strlen(conf), path, sizeof path) != 0)
        __builtin_trap();
    memset(&fz_settings, 0, sizeof fz_settings);
    if (pw_config_load(path, pw_watcher_role.options, pw_watcher_role.noptions, NULL, 0, &fz_settings, &err) != PW_OK ||
        pw_watcher_check(&fz_settings, why, sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz_role_watcher: bad settings: %s\n", pw_config_error_text(&err, why, sizeof why));
        __builtin_trap();
    }
    unlink(path);
    fz_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > PWF_MAX_INPUT)
        return 0;
    if (++fz_inputs % FZ_RECREATE == 0) {
        fz_stop();
        fz_start();
    }
    /* past the WA's IQ timeout (20 s) and its pending-roster retry (1 min) */
    pwf_role_deliver(&fz_role, data, size, 70000);
    return 0;
}
