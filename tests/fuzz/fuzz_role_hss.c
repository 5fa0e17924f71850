/* fuzz_role_hss.c: libFuzzer target: one stanza delivered to the HSS (peerwatch-hss: <lookup/>, <changes/>, and the metrics command the runtime offers) on the in-memory transport. */
#include "fuzz_util.h"
#include "hss.h"
#include "core/pw_metrics.h"
#include "xmpp/pw_metrics_cmd.h"

static hss_settings_t fz_settings;
static pw_metrics_t *fz_metrics; /* the process's registry, as pw_runtime_main keeps one */
static void *fz_hss;
static pw_metrics_cmd_t *fz_cmd;
static char fz_admin[] = "ops@opa.example";
static char *const fz_admins[] = { fz_admin };

/* The HSS through its role's init hook, then the XEP-0050 metrics command pw_runtime_main
 * offers on every role that has no commands of its own. */
static int fz_start(pwf_role_t *r)
{
    if (pw_hss_role.init(r->comp, &fz_settings, &fz_hss) != PW_OK ||
        pw_metrics_cmd_create(&fz_cmd, r->comp, fz_metrics, fz_admins, 1) != PW_OK)
        return -1;
    return 0;
}

static void fz_stop(void)
{
    pw_metrics_cmd_destroy(fz_cmd);
    fz_cmd = NULL;
    pw_hss_role.fini(fz_hss);
    fz_hss = NULL;
}

static void fz_configure(void);

static pwf_target_t fz_target = {
    .program = "fuzz-hss",
    .opts = { .jid = "hss.opa.example", .name = "peerwatch-hss", .version = "0",
              .iq_timeout_ms = 10000 }, /* the identity: the role's, set by fz_configure */
    .every = 10000, /* inputs per HSS: it keeps nothing per input; the file is read at each start */
    .step_ms = 11000, /* past the IQ timeout of the <changed/> pushes (it sends no other IQ) */
    .configure = fz_configure,
    .start = fz_start,
    .stop = fz_stop,
};

/* opa's subscriber file; the allow list has component domains, a bare user JID (a user may
 * look up but not ask for <changes/>) and a full JID (compared bare). */
static void fz_configure(void)
{
    fz_target.opts.disco_category = pw_hss_role.disco_category;
    fz_target.opts.disco_type = pw_hss_role.disco_type;
    fz_target.opts.disco_name = pw_hss_role.disco_name;
    if (pw_metrics_create(&fz_metrics, pw_hss_role.program) != PW_OK)
        __builtin_trap();
    fz_target.opts.metrics = fz_metrics;
    pwf_role_settings(&pw_hss_role, &fz_settings,
             "[component]\njid = hss.opa.example\nsecret = s\n"
             "[hss]\nsubscribers = %s/conf/hss-opa.subscribers\n"
             "allow = watcher.opa.example, gateway.opa.example, ops@opa.example, ps1.opa.example/x\n",
             PWT_SRCDIR);
}

PWF_ROLE_TARGET(fz_target)
