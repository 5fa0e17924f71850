/* fuzz_role_presence.c: libFuzzer target: one stanza delivered to the Presence Server (peerwatch-presence) on the in-memory transport. */
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "core/pw_log.h"
#include "presence.h"

static pw_presence_settings_t fz_settings;
static pw_presence_t *fz_ps;
static char fz_dir[256];

static int fz_start(pwf_role_t *r)
{
    char sub[300];
    if (mkdir(fz_dir, 0700) != 0)
        return -1;
    snprintf(sub, sizeof sub, "%s/state", fz_dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/cdr", fz_dir);
    mkdir(sub, 0700);
    return pw_presence_create(&fz_ps, r->comp, &fz_settings) == PW_OK ? 0 : -1;
}

static void fz_stop(void)
{
    pw_presence_destroy(fz_ps);
    fz_ps = NULL;
    pwf_remove_tree(fz_dir); /* the state and charging directories under it */
}

static pwf_target_t fz_target = {
    .opts = { .jid = "ps1.opb.example", .name = "peerwatch-presence", .version = "0",
              .disco_category = "component", .disco_type = "presence", .disco_name = "fuzz PS",
              .iq_timeout_ms = 5000 },
    .every = 2000, /* inputs per PS: bounds its presentity table, journal and charge records */
    .step_ms = 70000, /* past the roster read (5 s) and the notification timeout and throttle */
    .wall_base = 1700000000000ull,
    .start = fz_start,
    .stop = fz_stop,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char conf[1024];
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-presence", PW_LOG_ERROR);
    snprintf(fz_dir, sizeof fz_dir, "%s/ps", pwf_tmpdir());
    snprintf(conf, sizeof conf,
             "[component]\njid = ps1.opb.example\nsecret = s\niq_timeout = 5s\n"
             "[charging]\ndir = %s/cdr\n"
             "[presence]\ngateway = gateway.opb.example\nwatcher = watcher.opb.example\n"
             "network = opb.example\nstate_dir = %s/state\n", fz_dir, fz_dir);
    pwf_role_settings(&pw_presence_role, conf, &fz_settings);
    fz_settings.wall_clock = pwf_target_wall;
    fz_settings.wall_clock_arg = &fz_target;
    pwf_target_start(&fz_target);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pwf_target_deliver(&fz_target, data, size);
    return 0;
}
