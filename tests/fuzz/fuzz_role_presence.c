/* fuzz_role_presence.c: libFuzzer target: one stanza delivered to the Presence Server (peerwatch-presence) on the in-memory transport. */
#include <stdio.h>

#include "fuzz_util.h"
#include "core/pw_log.h"
#include "presence.h"

static pw_presence_settings_t fz_settings;
static void fz_configure(void);

static pwf_target_t fz_target = {
    .program = "fuzz-presence",
    .opts = { .jid = "ps1.opb.example", .name = "peerwatch-presence", .version = "0",
              .disco_category = "component", .disco_type = "presence", .disco_name = "fuzz PS",
              .iq_timeout_ms = 5000 },
    .every = 2000, /* inputs per PS: bounds its presentity table, journal and charge records */
    .step_ms = 70000, /* past the roster read (5 s) and the notification timeout and throttle */
    .wall_base = 1700000000000ull,
    .dir_name = "ps", /* the PS makes its state and charging directories in it */
    .configure = fz_configure,
    .lifecycle = &pw_presence_role,
    .settings = &fz_settings,
};

static void fz_configure(void)
{
    pwf_role_settings(&pw_presence_role, &fz_settings,
             "[component]\njid = ps1.opb.example\nsecret = s\niq_timeout = 5s\n"
             "[charging]\ndir = %s/cdr\n"
             "[presence]\ngateway = gateway.opb.example\nwatcher = watcher.opb.example\n"
             "network = opb.example\nstate_dir = %s/state\n", fz_target.dir, fz_target.dir);
    fz_settings.wall_clock = pwf_target_wall;
    fz_settings.wall_clock_arg = &fz_target;
}

PWF_ROLE_TARGET(fz_target)
