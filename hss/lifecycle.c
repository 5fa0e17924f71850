/* lifecycle.c: the HSS's life: create (load the subscriber file, attach the lookup flow), reload on SIGHUP in the background, destroy. */
#include <stdlib.h>

#include "hss_int.h"
#include "core/pw_log.h"

static void start_db_reload(hss_t *hss);
static void on_reload_done(pw_loop_t *loop, int fd, unsigned events, void *arg);

/* ---- SIGHUP: the subscriber file re-read in the background (docs/hss.md, Reload) ---- */

static void start_db_reload(hss_t *hss)
{
    if (hss->reload) {
        hss->reload_again = 1;
        return;
    }
    if (hss_db_reload_start(hss->settings->subscribers, &hss->reload) != PW_OK) {
        pw_error(NULL, "cannot start reloading %s", hss->settings->subscribers);
        hss->reload = NULL;
        return;
    }
    pw_loop_io_set(pw_component_loop(hss->component), hss_db_reload_fd(hss->reload), PW_IO_READ,
                   on_reload_done, hss);
}

/* The background load finished: swap databases, or keep serving the old one. */
static void on_reload_done(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    hss_t *hss = arg;
    hss_db_t *fresh = NULL;
    char err[512];
    (void)events;

    pw_loop_io_clear(loop, fd);
    if (hss_db_reload_finish(hss->reload, &fresh, err, sizeof err) == PW_OK) {
        hss_db_destroy(hss->db);
        hss->db = fresh;
        hss_flow_tell_changed(hss, &hss->settings->allow); /* what they keep may be stale now */
        pw_info(NULL, "subscriber file reloaded: %zu subscribers", hss_db_count(fresh));
    } else {
        pw_error(NULL, "subscriber file refused, still serving the previous %zu subscribers: %s",
                 hss_db_count(hss->db), err);
    }
    hss->reload = NULL;
    if (hss->reload_again) {
        hss->reload_again = 0;
        start_db_reload(hss);
    }
}

/* ---- lifecycle ---- */

/* Each time the HSS (re)connects: it may have restarted with other records than the ones the
 * components keep answers of (docs/hss.md, "Changes told"). */
static void on_link(pw_component_t *c, int online, void *arg)
{
    hss_t *hss = arg;
    (void)c;
    if (online)
        hss_flow_tell_changed(hss, &hss->settings->allow);
}

/* Sampled at scrape time (docs/metrics.md). */
static double subscribers(void *hss)
{
    return (double)hss_db_count(((hss_t *)hss)->db);
}

pw_status_t hss_create(hss_t **out, pw_component_t *c, hss_settings_t *settings)
{
    hss_t *hss = NULL;
    char err[512];
    pw_status_t rc = PW_EINVAL;

    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (!c || !settings || !settings->subscribers)
        goto done;
    rc = PW_ENOMEM;
    hss = calloc(1, sizeof *hss);
    if (!hss)
        goto done;
    hss->component = c;
    hss->settings = settings;
    rc = hss_db_load(settings->subscribers, &hss->db, err, sizeof err);
    if (rc != PW_OK) {
        pw_error(NULL, "cannot load the subscriber file: %s", err);
        goto done;
    }
    pw_info(NULL, "%zu subscribers loaded from %s", hss_db_count(hss->db), settings->subscribers);
    pw_component_on_link(c, on_link, hss);
    if ((rc = hss_flow_attach(hss)) != PW_OK ||
        (rc = pw_metrics_gauge_fn(pw_component_metrics(c), "peerwatch_hss_subscribers",
                                  "Subscribers in the subscriber file served", NULL, subscribers, hss)) != PW_OK)
        goto done;
    *out = hss;
    hss = NULL;
done:
    hss_destroy(hss);
    return rc;
}

pw_status_t hss_reload(hss_t *hss, hss_settings_t *settings)
{
    /* a component the new allow list drops is told too, so it keeps nothing */
    hss_flow_tell_changed(hss, &hss->settings->allow);
    hss->settings = settings;
    start_db_reload(hss);
    return PW_OK;
}

void hss_destroy(hss_t *hss)
{
    if (!hss)
        return;
    pw_metrics_forget(pw_component_metrics(hss->component), hss);
    pw_component_on_link(hss->component, NULL, NULL);
    pw_component_cancel_iqs(hss->component, hss);
    if (hss->reload) {
        hss_db_t *pending = NULL;
        char err[64];
        pw_loop_io_clear(pw_component_loop(hss->component), hss_db_reload_fd(hss->reload));
        if (hss_db_reload_finish(hss->reload, &pending, err, sizeof err) == PW_OK)
            hss_db_destroy(pending);
    }
    hss_db_destroy(hss->db);
    free(hss);
}
