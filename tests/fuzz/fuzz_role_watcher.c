/* fuzz_role_watcher.c: libFuzzer target: one stanza delivered to the Watcher Application (peerwatch-watcher) on the in-memory transport. */
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz_util.h"
#include "core/pw_log.h"
#include "watcher.h"

static pw_watcher_settings_t fz_settings;
static pw_watcher_t *fz_wa;
static pwf_target_t fz_target; /* defined below; its clock is the WA's wall clock, its dir the WA's state */

static int fz_start(pwf_role_t *r)
{
    if (pw_watcher_create_with_clock(&fz_wa, r->comp, &fz_settings, pwf_target_wall, &fz_target) != PW_OK)
        return -1;
    return 0;
}

static void fz_stop(void)
{
    pw_watcher_destroy(fz_wa);
    fz_wa = NULL;
}

static void fz_configure(void);

static pwf_target_t fz_target = {
    .program = "fuzz-watcher",
    .opts = { .jid = "watcher.opa.example", .name = "peerwatch-watcher", .version = "0",
              .disco_category = PW_WATCHER_DISCO_CATEGORY, .disco_type = PW_WATCHER_DISCO_TYPE,
              .disco_name = PW_WATCHER_DISCO_NAME, .iq_timeout_ms = 20000 },
    .every = 2000, /* inputs per WA: bounds its roster items and journal (pending items retry on every input) */
    .step_ms = 70000, /* past the WA's IQ timeout (20 s) and its pending-roster retry (1 min) */
    .wall_base = 1795255200000ull, /* 2026-11-21T10:00:00Z at the start */
    .dir_name = "watcher-state",
    .configure = fz_configure,
    .start = fz_start,
    .stop = fz_stop,
};

static void fz_configure(void)
{
    pwf_role_settings(&pw_watcher_role, &fz_settings,
             "[component]\njid = watcher.opa.example\nsecret = s\niq_timeout = 20s\n"
             "[watcher]\ndomain = opa.example\nproxy = proxy.opa.example\nhss = hss.opa.example\n"
             "presence_servers = ps1.opa.example, ps2.opa.example\ncountry_code = 44\nhss_cache = 64\n"
             "state_dir = %s\n", fz_target.dir);
}

PWF_ROLE_TARGET(fz_target)
