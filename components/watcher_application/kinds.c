/* kinds.c: what differs per enquiry kind (docs/protocol.md §1.1, TS 23.141 A.1 step 1 a-d): the attributes only some kinds have, and what the chain's result must carry. */
#include "watcher_int.h"

#include <stdio.h>
#include <string.h>

#include "core/pw_clock.h"

typedef struct kind_step {
    pw_error_t (*check)(const pw_watcher_t *wa, const pw_watcher_ask_t *ask, pw_watcher_job_t *job,
                        char *why, size_t cap);
    pw_error_t (*answer)(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why, size_t cap);
} kind_step_t;

/* The asked attributes of kinds without a duration. */
static pw_error_t check_no_duration(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                                    pw_watcher_job_t *job, char *why, size_t cap)
{
    (void)wa;
    (void)job;
    if (ask->duration) {
        snprintf(why, cap, "'duration' belongs to 'changes' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    if (ask->subscription) {
        snprintf(why, cap, "'subscription' belongs to 'stop' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    return PW_ERR_NONE;
}

/* The asked attributes of 'changes': 1 <= duration <= max_duration. */
static pw_error_t check_duration(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                                 pw_watcher_job_t *job, char *why, size_t cap)
{
    long long max = (long long)(wa->settings->max_duration_ms / 1000);
    const char *d = ask->duration;
    unsigned long long v = 0;
    size_t i;

    if (ask->subscription) {
        snprintf(why, cap, "'subscription' belongs to 'stop' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    for (i = 0; d && d[i] >= '0' && d[i] <= '9' && i < 12; i++)
        v = v * 10 + (unsigned long long)(d[i] - '0');
    if (!d || !d[0] || d[i] || v == 0 || v > (unsigned long long)max) {
        snprintf(why, cap, "'duration' must be a whole number of seconds from 1 to %lld "
                 "(max_duration of this service)", max);
        return PW_ERR_BAD_REQUEST;
    }
    job->duration_s = (uint32_t)v;
    return PW_ERR_NONE;
}

/* The asked attributes of 'stop': no duration; an optional subscription id. */
static pw_error_t check_stop(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                             pw_watcher_job_t *job, char *why, size_t cap)
{
    (void)wa;
    if (ask->duration) {
        snprintf(why, cap, "'duration' belongs to 'changes' enquiries only");
        return PW_ERR_BAD_REQUEST;
    }
    if (ask->subscription) {
        size_t n = strlen(ask->subscription);
        if (n == 0 || n > PW_ENQUIRY_SUBID_MAX || strpbrk(ask->subscription, "\t\r\n")) {
            snprintf(why, cap, "'subscription' must be a subscription id of at most %d bytes",
                     PW_ENQUIRY_SUBID_MAX);
            return PW_ERR_BAD_REQUEST;
        }
        memcpy(job->subscription, ask->subscription, n + 1);
    }
    return PW_ERR_NONE;
}

/* The result must carry a valid state. */
static pw_error_t answer_state(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why, size_t cap)
{
    xmpp_stanza_t *state = answer ? xmpp_stanza_get_child_by_name_and_ns(answer, "state", PW_NS) : NULL;
    if (!state || pw_state_parse(state, &ans->state) != PW_OK) {
        snprintf(why, cap, "the presence network answered without a valid state");
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    ans->has_state = 1;
    return PW_ERR_NONE;
}

/* The result of a subscription: a state and <subscription id expires/>; or, awaiting the
 * presentity's decision, <subscription id expires pending='true'/> alone (docs/protocol.md §5.1). */
static pw_error_t answer_subscription(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why,
                                      size_t cap)
{
    xmpp_stanza_t *sub = answer ? xmpp_stanza_get_child_by_name_and_ns(answer, "subscription", PW_NS) : NULL;
    const char *id, *expires, *network, *pending = sub ? xmpp_stanza_get_attribute(sub, "pending") : NULL;
    pw_error_t cond;

    ans->pending = pending && strcmp(pending, "true") == 0;
    cond = ans->pending ? PW_ERR_NONE : answer_state(answer, ans, why, cap);
    if (cond != PW_ERR_NONE)
        return cond;
    id = sub ? xmpp_stanza_get_attribute(sub, "id") : NULL;
    expires = sub ? xmpp_stanza_get_attribute(sub, "expires") : NULL;
    if (!id || !id[0] || strlen(id) > PW_ENQUIRY_SUBID_MAX || strpbrk(id, " \t\r\n") ||
        !expires || strlen(expires) >= sizeof ans->expires ||
        pw_clock_parse(expires, &ans->expires_ms) != PW_OK) {
        snprintf(why, cap, "the presence network answered without a valid subscription");
        return PW_ERR_INTERNAL_SERVER_ERROR;
    }
    snprintf(ans->subscription, sizeof ans->subscription, "%s", id);
    snprintf(ans->expires, sizeof ans->expires, "%s", expires);
    network = xmpp_stanza_get_attribute(sub, "network");
    if (network && pw_jid_is_domain(network))
        snprintf(ans->network, sizeof ans->network, "%s", network);
    return PW_ERR_NONE;
}

/* The result of 'stop': anything. */
static pw_error_t answer_stop(xmpp_stanza_t *answer, pw_watcher_answer_t *ans, char *why, size_t cap)
{
    (void)answer;
    (void)ans;
    (void)why;
    (void)cap;
    return PW_ERR_NONE;
}

static const kind_step_t kinds[] = {
    [PW_KIND_CURRENT] = { check_no_duration, answer_state },
    [PW_KIND_CHANGES] = { check_duration, answer_subscription },
    [PW_KIND_NEXT] = { check_no_duration, answer_subscription },
    [PW_KIND_STOP] = { check_stop, answer_stop },
};

pw_error_t pw_watcher_kind_check(const pw_watcher_t *wa, const pw_watcher_ask_t *ask,
                                 pw_watcher_job_t *job, char *why, size_t cap)
{
    return kinds[job->kind].check(wa, ask, job, why, cap);
}

pw_error_t pw_watcher_kind_answer(pw_enquiry_kind_t kind, xmpp_stanza_t *answer,
                                  pw_watcher_answer_t *ans, char *why, size_t cap)
{
    return kinds[kind].answer(answer, ans, why, cap);
}
