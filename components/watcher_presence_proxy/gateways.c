/* gateways.c: the order a network's gateways are tried in (RFC 2782, gateways that failed lately last), which failures move on to the next one (RFC 6120 §8.3.3 conditions), and the failures remembered. */
#include "proxy_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- remembered failures ---- */

void pw_proxy_failures_clear(pw_proxy_t *p)
{
    if (!p->failed)
        return;
    pw_map_destroy_values(p->failed, free);
    p->failed = NULL;
}

/* Is target within its hold after a failure? Expired entries are dropped here. */
static int recently_failed(pw_proxy_t *p, const char *target)
{
    uint64_t *until = pw_map_get(p->failed, target);
    if (!until)
        return 0;
    if (*until > pw_loop_now(pw_component_loop(p->c)))
        return 1;
    free(pw_map_remove(p->failed, target));
    return 0;
}

void pw_proxy_failure_remember(pw_proxy_t *p, const char *target)
{
    uint64_t *until;
    if (p->settings->failed_hold_ms <= 0 || pw_map_count(p->failed) >= 100000)
        return;
    until = pw_map_get(p->failed, target);
    if (!until) {
        until = malloc(sizeof *until);
        if (!until || pw_map_put(p->failed, target, until, NULL) != PW_OK) {
            free(until);
            return;
        }
    }
    *until = pw_loop_now(pw_component_loop(p->c)) + (uint64_t)p->settings->failed_hold_ms;
}

void pw_proxy_failure_forget(pw_proxy_t *p, const char *target)
{
    free(pw_map_remove(p->failed, target));
}

/* ---- the order of the targets ---- */

/*
 * Move the targets that failed within [proxy] failed_target_hold behind the others, keeping
 * the RFC 2782 order within each group (RFC 2782 leaves retry strategy to the client).
 */
static void prefer_healthy(pw_proxy_call_t *k)
{
    size_t healthy = 0;
    size_t *sick = malloc(k->ntargets * sizeof *sick), nsick = 0;
    if (!sick)
        return; /* keep the plain RFC 2782 order */
    for (size_t i = 0; i < k->ntargets; i++) {
        size_t idx = k->order[i];
        if (recently_failed(k->p, k->targets[idx].target))
            sick[nsick++] = idx;
        else
            k->order[healthy++] = idx;
    }
    memcpy(k->order + healthy, sick, nsick * sizeof *sick);
    free(sick);
}

pw_status_t pw_proxy_targets_set(pw_proxy_call_t *k, const pw_srv_rr_t *rrs, size_t n)
{
    pw_status_t rc;

    k->targets = malloc(n * sizeof *k->targets);
    k->order = malloc(n * sizeof *k->order);
    if (!k->targets || !k->order)
        return PW_ENOMEM;
    memcpy(k->targets, rrs, n * sizeof *k->targets);
    k->ntargets = n;
    k->at = 0;
    rc = pw_srv_order(k->targets, n, pw_srv_xorshift, &k->p->rng, k->order);
    if (rc == PW_OK)
        prefer_healthy(k);
    return rc;
}

int pw_proxy_target_name(const pw_proxy_call_t *k, size_t at, char *out, size_t cap)
{
    const char *t = k->targets[k->order[at]].target;
    size_t len = strnlen(t, sizeof k->targets[0].target);

    if (len > 0 && t[len - 1] == '.')
        len--;
    if (len == 0 || len >= cap || len > PW_ENQUIRY_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)t[i]);
    out[len] = '\0';
    return 1;
}

int pw_proxy_fails_over_on(pw_error_t cond)
{
    return cond == PW_ERR_REMOTE_SERVER_NOT_FOUND || cond == PW_ERR_REMOTE_SERVER_TIMEOUT ||
           cond == PW_ERR_SERVICE_UNAVAILABLE;
}
