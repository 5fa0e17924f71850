/* lifecycle.c: the Presence Server's life cycle (presence.h): create (table, charge-record writer, subscriptions, the enquiry flow, the watchers command, XEP-0356 input), reload, destroy, and its accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/pw_log.h"
#include "presence_int.h"

/* pw_watchers_t: is domain one of the servers whose users this PS serves? */
static int serves_domain(void *arg, const char *domain)
{
    pw_presence_t *ps = arg;
    return strcasecmp(domain, ps->s->network) == 0 || pw_presence_privileges(ps, domain, NULL) != 0;
}

static void subs_config(const pw_presence_settings_t *s, const char *node, pw_subs_config_t *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->state_dir = s->state_dir;
    sc->node = node;
    sc->network = s->network;
    sc->watcher = s->watcher;
    sc->max_duration_ms = (uint64_t)s->max_duration_ms;
    sc->notify_interval_ms = (uint64_t)s->notify_interval_ms;
    sc->notify_timeout_ms = (uint64_t)s->notify_timeout_ms;
    sc->notify_retries = (unsigned)s->notify_retries;
    sc->notify_grace_ms = (uint64_t)s->notify_grace_ms;
    sc->notify_window = (size_t)s->notify_window;
    sc->gateways = (const char *const *)s->gateway.items;
    sc->ngateways = s->gateway.n;
    sc->max_subscriptions = (size_t)s->max_subscriptions;
    sc->wall_clock = s->wall_clock;
    sc->wall_clock_arg = s->wall_clock_arg;
}

static void table_limits(const pw_presence_settings_t *s, pw_ptable_limits_t *l)
{
    l->max_presentities = (size_t)s->max_presentities;
    l->max_resources = (size_t)s->max_resources;
    l->max_status = (size_t)s->max_status;
}

/* The node id of charge records and the journal: [charging] node, or the component's JID. */
static const char *node_of(const pw_presence_settings_t *s, pw_component_t *c)
{
    return s->cdr_node && s->cdr_node[0] ? s->cdr_node : pw_component_jid(c);
}

/* The figures sampled at scrape time (docs/metrics.md). */
static double in_progress(void *ps)
{
    return (double)pw_presence_in_progress(ps);
}

static double subscriptions(void *ps)
{
    return (double)pw_subs_count(((pw_presence_t *)ps)->subs);
}

static double unacked(void *ps)
{
    return (double)pw_subs_unacked(((pw_presence_t *)ps)->subs);
}

static pw_status_t metrics_open(pw_presence_t *ps)
{
    pw_status_t rc;
    if ((rc = pw_enquiry_gauge(ps->c, PW_GAUGE_IN_FLIGHT, in_progress, ps)) != PW_OK ||
        (rc = pw_enquiry_gauge(ps->c, PW_GAUGE_SUBSCRIPTIONS, subscriptions, ps)) != PW_OK)
        return rc;
    return pw_enquiry_gauge(ps->c, PW_GAUGE_UNACKED, unacked, ps);
}

pw_status_t pw_presence_create(pw_presence_t **out, pw_component_t *c,
                               const pw_presence_settings_t *settings)
{
    pw_presence_t *ps = NULL;
    pw_ptable_limits_t limits;
    pw_cdr_writer_config_t wc;
    pw_subs_config_t sc;
    pw_status_t rc = PW_EINVAL;

    if (!out || !c || !settings)
        goto done;
    *out = NULL;
    rc = PW_ENOMEM;
    ps = calloc(1, sizeof *ps);
    if (!ps)
        goto done;
    ps->c = c;
    ps->s = settings;
    table_limits(settings, &limits);
    if ((rc = pw_ptable_create(&ps->table, &limits)) != PW_OK ||
        (rc = pw_presence_approval_init(ps)) != PW_OK)
        goto done;
    memset(&wc, 0, sizeof wc);
    wc.dir = settings->cdr_dir;
    wc.node = node_of(settings, c);
    wc.max_file_bytes = (uint64_t)settings->cdr_rotate_size;
    wc.max_file_age_ms = (uint64_t)settings->cdr_rotate_age_ms;
    wc.clock = settings->wall_clock;
    wc.clock_arg = settings->wall_clock_arg;
    rc = pw_cdr_writer_create(&ps->cdr, &wc);
    if (rc != PW_OK) {
        pw_error(NULL, "cannot open the charge records in %s (node %s): %s", wc.dir, wc.node,
                 pw_strerror(rc));
        goto done;
    }
    subs_config(settings, wc.node, &sc);
    if ((rc = pw_subs_create(&ps->subs, c, &sc, ps->table, ps->cdr)) != PW_OK ||
        (rc = pw_presence_flow_start(ps)) != PW_OK ||
        (rc = pw_watchers_create(&ps->watchers, c, ps->subs, serves_domain, ps)) != PW_OK ||
        (rc = pw_presence_privilege_start(ps)) != PW_OK ||
        (rc = metrics_open(ps)) != PW_OK)
        goto done;
    pw_info(NULL, "presence server for %s: enquiries from %s%s, approvals via %s, charge records "
            "in %s, %zu subscriptions", settings->network, settings->gateway.items[0],
            settings->gateway.n > 1 ? " and its other instances" : "", settings->watcher,
            settings->cdr_dir, pw_subs_count(ps->subs));
    *out = ps;
    ps = NULL;
    rc = PW_OK;
done:
    pw_presence_destroy(ps);
    return rc;
}

pw_status_t pw_presence_reload(pw_presence_t *ps, const pw_presence_settings_t *settings)
{
    pw_ptable_limits_t limits;
    const pw_presence_settings_t *old;
    pw_subs_config_t sc;
    if (!ps || !settings)
        return PW_EINVAL;
    old = ps->s;
    if (strcmp(old->cdr_dir, settings->cdr_dir) != 0 ||
        strcmp(old->cdr_node ? old->cdr_node : "", settings->cdr_node ? settings->cdr_node : "") != 0 ||
        old->cdr_rotate_size != settings->cdr_rotate_size ||
        old->cdr_rotate_age_ms != settings->cdr_rotate_age_ms)
        pw_warn(NULL, "reload: [charging] changes take effect at the next start");
    if (strcmp(old->state_dir, settings->state_dir) != 0)
        pw_warn(NULL, "reload: [presence] state_dir changes take effect at the next start");
    ps->s = settings;
    subs_config(settings, node_of(settings, ps->c), &sc);
    pw_subs_set_config(ps->subs, &sc);
    table_limits(settings, &limits);
    pw_ptable_set_limits(ps->table, &limits);
    return PW_OK;
}

void pw_presence_destroy(pw_presence_t *ps)
{
    if (!ps)
        return;
    pw_metrics_forget(pw_component_metrics(ps->c), ps);
    pw_presence_privilege_stop(ps);
    pw_presence_flow_stop(ps);
    pw_presence_approval_fini(ps);
    pw_watchers_destroy(ps->watchers);
    pw_subs_destroy(ps->subs);
    pw_cdr_writer_destroy(ps->cdr);
    pw_ptable_destroy(ps->table);
    free(ps);
}

const pw_ptable_t *pw_presence_table(const pw_presence_t *ps)
{
    return ps ? ps->table : NULL;
}

size_t pw_presence_in_progress(const pw_presence_t *ps)
{
    return ps && ps->calls ? pw_calls_count(ps->calls) : 0;
}

struct pw_subs *pw_presence_subs(const pw_presence_t *ps)
{
    return ps ? ps->subs : NULL;
}
