/* fuzz_role_presence.c: libFuzzer target: one stanza delivered to the Presence Server (peerwatch-presence) on the in-memory transport. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "core/pw_config.h"
#include "core/pw_log.h"
#include "presence.h"

/* inputs per PS: bounds its presentity table, journal and charge records */
#define FZ_RECREATE 2000
#define FZ_WALL_BASE 1700000000000ull

static pwf_role_t fz_role;
static pw_presence_settings_t fz_settings;
static pw_presence_t *fz_ps;
static unsigned fz_inputs;
static char fz_dir[256];

static uint64_t fz_wall(void *arg)
{
    return FZ_WALL_BASE + ((pwf_role_t *)arg)->now;
}

static void fz_stop(void)
{
    pw_presence_destroy(fz_ps);
    fz_ps = NULL;
    pwf_role_close(&fz_role);
    pwf_remove_tree(fz_dir); /* the state and charging directories under it */
}

static void fz_start(void)
{
    pw_component_opts_t o = { .jid = "ps1.opb.example", .name = "peerwatch-presence",
                              .version = "0", .disco_category = "component",
                              .disco_type = "presence", .disco_name = "fuzz PS",
                              .iq_timeout_ms = 5000 };
    char sub[300];
    if (mkdir(fz_dir, 0700) != 0)
        __builtin_trap();
    snprintf(sub, sizeof sub, "%s/state", fz_dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/cdr", fz_dir);
    mkdir(sub, 0700);
    if (pwf_role_open(&fz_role, &o) != 0 || pw_presence_create(&fz_ps, fz_role.comp, &fz_settings) != PW_OK)
        __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char conf[1024], path[256], why[512];
    pw_config_error_t err;
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-presence", PW_LOG_ERROR);
    snprintf(fz_dir, sizeof fz_dir, "%s/ps", pwf_tmpdir());
    snprintf(conf, sizeof conf,
             "[component]\njid = ps1.opb.example\nsecret = s\niq_timeout = 5s\n"
             "[charging]\ndir = %s/cdr\n"
             "[presence]\ngateway = gateway.opb.example\nwatcher = watcher.opb.example\n"
             "network = opb.example\nstate_dir = %s/state\n", fz_dir, fz_dir);
    if (pwf_write_file("presence.conf", (const uint8_t *)conf, strlen(conf), path, sizeof path) != 0)
        __builtin_trap();
    memset(&fz_settings, 0, sizeof fz_settings);
    if (pw_config_load(path, pw_presence_role.options, pw_presence_role.noptions, NULL, 0, &fz_settings, &err) != PW_OK) {
        fprintf(stderr, "fuzz_role_presence: bad settings: %s\n", pw_config_error_text(&err, why, sizeof why));
        __builtin_trap();
    }
    if (pw_presence_check(&fz_settings, why, sizeof why) != PW_OK) {
        fprintf(stderr, "fuzz_role_presence: %s\n", why);
        __builtin_trap();
    }
    unlink(path);
    fz_settings.wall_clock = fz_wall;
    fz_settings.wall_clock_arg = &fz_role;
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
    /* past the roster read (5 s) and the notification timeout and throttle */
    pwf_role_deliver(&fz_role, data, size, 70000);
    return 0;
}
