/* roster.c: the roster route (docs/protocol.md §6; RFC 6121 §3 subscriptions, §4.3 probes, §4.2 presence):
 * subscribe/unsubscribe/probe to contact JIDs become changes/stop/current enquiries, renewed while the roster subscription lasts;
 * a chat to a contact JID is answered with an error that says what the contact is for. */
#include "watcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

#define RKEY_MAX (2 * PW_JID_MAX + 2)
#define RETRY_MAX_MS 3600000u /* the backoff of a failing roster request stops doubling here */

/* ---- presence stanzas from contact JIDs ---- */

/* Send <presence type=type from=contact to=bare/> with an optional state and status. */
static void send_presence(pw_watcher_t *wa, const char *contact, const char *bare, const char *type,
                          const pw_presence_state_t *st, const char *status)
{
    xmpp_stanza_t *p = xmpp_presence_new(pw_component_ctx(wa->c));
    int ok;

    if (!p)
        return;
    xmpp_stanza_set_from(p, contact);
    xmpp_stanza_set_to(p, bare);
    if (type)
        xmpp_stanza_set_type(p, type);
    ok = !(st && st->show[0]) || pw_stanza_add_text_child(p, "show", NULL, st->show);
    if (ok && status && status[0])
        ok = pw_stanza_add_text_child(p, "status", NULL, status) != NULL;
    if (!ok || pw_component_send(wa->c, p) != PW_OK)
        pw_warn(NULL, "presence %s from %s to %s could not be sent", type ? type : "available",
                contact, bare);
    xmpp_stanza_release(p);
}

/* The presence error (cond, text) that answers her subscribe, which the server consumed: what
 * clients print of a refusal (Profanity: "Error from <contact>: <text>"). */
static void send_refusal_error(pw_watcher_t *wa, const char *contact, const char *bare, pw_error_t cond,
                               const char *text)
{
    xmpp_stanza_t *ask = xmpp_presence_new(pw_component_ctx(wa->c)), *err = NULL;

    if (ask) {
        /* the error answers her subscribe, which the server consumed: built from its addresses */
        xmpp_stanza_set_type(ask, "subscribe");
        xmpp_stanza_set_from(ask, bare);
        xmpp_stanza_set_to(ask, contact);
        err = pw_stanza_error_reply(ask, cond, text);
        xmpp_stanza_release(ask);
    }
    if (!err || pw_component_send(wa->c, err) != PW_OK)
        pw_warn(NULL, "the refusal of %s's subscription to %s could not be sent as an error", bare, contact);
    if (err)
        xmpp_stanza_release(err);
}

/* Refuse a subscription in words a client shows: the presence error, then 'unsubscribed' with
 * the same text as its status, which ends the pending state of the roster item (RFC 6121
 * §3.1.3, §3.2). */
static void refuse_subscription(pw_watcher_t *wa, const char *contact, const char *bare, pw_error_t cond,
                                const char *text)
{
    send_refusal_error(wa, contact, bare, cond, text);
    send_presence(wa, contact, bare, "unsubscribed", NULL, text);
}

/* The presentity's state as ordinary presence (RFC 6121 §4.7). */
static void send_state(pw_watcher_t *wa, const char *contact, const char *bare,
                       const pw_presence_state_t *st)
{
    if (st->available)
        send_presence(wa, contact, bare, NULL, st, st->status);
    else
        send_presence(wa, contact, bare, "unavailable", NULL, st->status);
}

/* ---- enquiries the roster route makes ---- */

static void stop_done(pw_watcher_t *wa, const pw_watcher_job_t *job, const pw_watcher_answer_t *ans)
{
    (void)wa;
    if (ans->cond != PW_ERR_NONE)
        pw_info(NULL, "stopping subscription %s of %s to %s: %s (%s); it ends on its own",
                job->subscription, job->bare, job->address, pw_error_name(ans->cond), ans->text);
}

/* Stop one subscription at the PS (nothing waits for the outcome). */
static void send_stop(pw_watcher_t *wa, const char *bare, const char *address, const char *id)
{
    char text[PW_WATCHER_TEXT_MAX];
    pw_watcher_ask_t ask = { .watcher = bare, .address = address, .kind = "stop",
                             .subscription = id, .done = stop_done };
    pw_error_t cond = pw_watcher_ask(wa, &ask, text, sizeof text);
    if (cond != PW_ERR_NONE)
        pw_info(NULL, "stopping subscription %s of %s to %s: %s (%s); it ends on its own", id,
                bare, address, pw_error_name(cond), text);
}

static void roster_result(pw_watcher_sub_t *item, const pw_watcher_answer_t *ans);
static void send_waiting(pw_watcher_sub_t *item);
static void approve(pw_watcher_sub_t *item, const pw_presence_state_t *st);
static void roster_end(pw_watcher_sub_t *item, const char *text, int stop_at_ps);

static void roster_done(pw_watcher_t *wa, const pw_watcher_job_t *job, const pw_watcher_answer_t *ans)
{
    char contact[PW_JID_MAX + 1], rkey[RKEY_MAX];
    pw_watcher_sub_t *item = NULL;

    if (wa->closing)
        return; /* the journal keeps the item as it was; it is re-armed at the next start */
    if (pw_watcher_contact_of(wa, job->address, contact, sizeof contact) == PW_OK &&
        pw_watcher_roster_key(job->bare, contact, rkey, sizeof rkey) == PW_OK)
        item = pw_map_get(wa->roster, rkey);
    if (!item || item->token != job->token || !item->busy) {
        /* the user unsubscribed meanwhile: do not leave a subscription behind */
        if (ans->cond == PW_ERR_NONE && ans->subscription[0])
            send_stop(wa, job->bare, job->address, ans->subscription);
        return;
    }
    item->busy = 0;
    roster_result(item, ans);
}

/* A 'changes' enquiry of roster_duration for the item (first request, retry or renewal). */
static void roster_start(pw_watcher_sub_t *item)
{
    pw_watcher_t *wa = item->wa;
    char dur[24];
    pw_watcher_answer_t *ans;
    /* until she decides, the PS holds the request (await-approval) instead of refusing it; a
     * retry after a failure repeats the enquiry's ref, so it is not charged again */
    pw_watcher_ask_t ask = { .watcher = item->bare, .address = item->address, .kind = "changes",
                             .duration = dur, .done = roster_done, .token = item->token,
                             .await_approval = !item->approved,
                             .ref = item->failures && item->ref[0] ? item->ref : NULL };
    pw_error_t cond;

    snprintf(dur, sizeof dur, "%lld", (long long)(wa->settings->roster_duration_ms / 1000));
    item->busy = 1;
    ans = calloc(1, sizeof *ans);
    if (!ans) {
        item->busy = 0;
        return;
    }
    cond = pw_watcher_ask(wa, &ask, ans->text, sizeof ans->text);
    if (cond != PW_ERR_NONE) {
        item->busy = 0;
        ans->cond = cond;
        roster_result(item, ans);
    }
    free(ans);
}

static void on_item_timer(pw_timer_t *timer, void *arg)
{
    pw_watcher_sub_t *item = arg;
    (void)timer;
    if (!item->busy)
        roster_start(item);
}

/* (Re)start the item's timer. */
static void arm(pw_watcher_sub_t *item, uint64_t delay_ms)
{
    pw_loop_t *loop = pw_component_loop(item->wa->c);
    pw_timer_stop(loop, &item->timer);
    pw_timer_init(&item->timer, on_item_timer, item);
    if (pw_timer_start(loop, &item->timer, delay_ms) != PW_OK)
        pw_error(NULL, "no timer for the roster subscription of %s to %s", item->bare, item->contact);
}

/* The wait before the next attempt after the item's failures-th failure in a row: pending_retry,
 * doubled for each further one, at most RETRY_MAX_MS. */
static uint64_t retry_delay(const pw_watcher_sub_t *item)
{
    uint64_t d = (uint64_t)item->wa->settings->pending_retry_ms;
    for (unsigned i = 1; i < item->failures && d < RETRY_MAX_MS; i++)
        d *= 2;
    return d < RETRY_MAX_MS ? d : RETRY_MAX_MS;
}

/* Arm a loaded roster item's timer (renewal, or a retry soon). */
static int arm_loaded(const char *key, void *value, void *arg)
{
    pw_watcher_sub_t *item = value;
    uint64_t now = pw_watcher_wall_now(item->wa);
    (void)key;
    (void)arg;
    if (item->id[0])
        arm(item, item->renew_at_ms > now ? item->renew_at_ms - now : 0);
    else
        arm(item, item->renew_at_ms ? (uint64_t)item->wa->settings->pending_retry_ms : 0);
    return 0;
}

/* Is a refusal worth asking again (a lost message, an overloaded or unreachable side)?
 * subscription-required only before the item was approved, from a PS that does not hold
 * requests for the decision; after it, she has removed the watcher. */
static int retryable(const pw_watcher_sub_t *item, pw_error_t cond)
{
    switch (cond) {
    case PW_ERR_SUBSCRIPTION_REQUIRED:
        return !item->approved;
    case PW_ERR_REMOTE_SERVER_TIMEOUT:
    case PW_ERR_RESOURCE_CONSTRAINT:
    case PW_ERR_INTERNAL_SERVER_ERROR:
    case PW_ERR_SERVICE_UNAVAILABLE:
    case PW_ERR_RECIPIENT_UNAVAILABLE:
        return 1;
    default:
        return 0;
    }
}

/* The outcome of the item's changes enquiry. */
static void roster_result(pw_watcher_sub_t *item, const pw_watcher_answer_t *ans)
{
    pw_watcher_t *wa = item->wa;
    char old[PW_ENQUIRY_SUBID_MAX + 1];
    uint64_t now = pw_watcher_wall_now(wa), life;

    if (ans->cond != PW_ERR_NONE) {
        if (retryable(item, ans->cond)) {
            item->failures++;
            if (ans->ref[0])
                snprintf(item->ref, sizeof item->ref, "%s", ans->ref);
            pw_info(NULL, "roster subscription of %s to %s: %s (%s); asking again in %llu ms",
                    item->bare, item->contact, pw_error_name(ans->cond), ans->text,
                    (unsigned long long)retry_delay(item));
            if (!item->id[0] && !item->renew_at_ms) {
                item->renew_at_ms = 1; /* marks "pending": retried after pending_retry at restart */
                pw_watcher_sub_save(item);
                pw_watcher_commit(wa);
            }
            arm(item, retry_delay(item));
            return;
        }
        pw_info(NULL, "roster subscription of %s to %s refused: %s (%s)", item->bare,
                item->contact, pw_error_name(ans->cond), ans->text);
        if (!item->approved) /* never subscribed: the refusal as an error a client prints first */
            send_refusal_error(wa, item->contact, item->bare, ans->cond, ans->text);
        roster_end(item, ans->text, 1);
        return;
    }
    item->failures = 0;
    snprintf(old, sizeof old, "%s", strcmp(item->id, ans->subscription) != 0 ? item->id : "");
    if (item->id[0] && pw_map_get(wa->subs, item->id) == item)
        pw_map_remove(wa->subs, item->id);
    snprintf(item->id, sizeof item->id, "%s", ans->subscription);
    snprintf(item->network, sizeof item->network, "%s", ans->network);
    snprintf(item->ref, sizeof item->ref, "%s", ans->ref);
    item->expires_ms = ans->expires_ms;
    life = ans->expires_ms > now ? ans->expires_ms - now : 0;
    item->renew_at_ms = now + (life / 5 * 4 > PW_WATCHER_MIN_RENEW_MS ? life / 5 * 4 : PW_WATCHER_MIN_RENEW_MS);
    item->seq = 0;
    if (pw_map_get(wa->subs, item->id) || pw_map_put(wa->subs, item->id, item, NULL) != PW_OK) {
        pw_error(NULL, "subscription %s cannot be recorded (out of memory or a reused id)", item->id);
        send_stop(wa, item->bare, item->address, item->id);
        item->id[0] = '\0';
        arm(item, (uint64_t)wa->settings->pending_retry_ms);
        return;
    }
    if (ans->pending) {
        /* she has not decided: her decision comes back as a notification (docs/protocol.md §6) */
        pw_watcher_sub_save(item);
        pw_watcher_commit(wa);
        send_waiting(item);
    } else if (!item->approved) {
        approve(item, &ans->state);
    } else {
        pw_watcher_sub_save(item);
        pw_watcher_commit(wa);
        send_state(wa, item->contact, item->bare, &ans->state);
    }
    if (old[0])
        send_stop(wa, item->bare, item->address, old);
    arm(item, item->renew_at_ms - now);
}

/* The presentity has not decided yet: the user's client shows it on the contact, as an
 * unavailable presence with a status (RFC 6121 §4.5.3: servers deliver it whatever the
 * subscription state). */
static void send_waiting(pw_watcher_sub_t *item)
{
    char who[PW_JID_MAX + 1], text[PW_JID_MAX + 160];
    snprintf(text, sizeof text, "Waiting for %s to approve your request to see their presence",
             pw_watcher_display(item->address, who, sizeof who));
    send_presence(item->wa, item->contact, item->bare, "unavailable", NULL, text);
}

/* The item is approved: 'subscribed', then the state. */
static void approve(pw_watcher_sub_t *item, const pw_presence_state_t *st)
{
    item->approved = 1;
    pw_watcher_sub_save(item);
    pw_watcher_commit(item->wa);
    send_presence(item->wa, item->contact, item->bare, "subscribed", NULL, NULL);
    send_state(item->wa, item->contact, item->bare, st);
}

/* End a roster item: 'unsubscribed' (with a status text when given) and, when it had been
 * approved, 'unavailable'; stop its subscription at the PS; forget it. */
static void roster_end(pw_watcher_sub_t *item, const char *text, int stop_at_ps)
{
    pw_watcher_t *wa = item->wa;

    send_presence(wa, item->contact, item->bare, "unsubscribed", NULL, text);
    if (item->approved)
        send_presence(wa, item->contact, item->bare, "unavailable", NULL, NULL);
    if (stop_at_ps && item->id[0])
        send_stop(wa, item->bare, item->address, item->id);
    pw_watcher_sub_forget(item);
    pw_watcher_commit(wa);
}

void pw_watcher_roster_notify(pw_watcher_sub_t *item, const pw_presence_state_t *st,
                              const char *ended)
{
    pw_watcher_t *wa = item->wa;
    char text[PW_WATCHER_TEXT_MAX];

    if (!ended && !item->approved) {
        /* the first state of a pending item: she approved */
        pw_info(NULL, "%s approved %s", item->contact, item->bare);
        approve(item, st);
        return;
    }
    if (!ended) {
        send_state(wa, item->contact, item->bare, st);
        pw_watcher_sub_save(item);
        return;
    }
    if (strcmp(ended, "expired") == 0) {
        /* the roster subscription lasts: renew at once */
        if (pw_map_get(wa->subs, item->id) == item)
            pw_map_remove(wa->subs, item->id);
        item->id[0] = '\0';
        item->renew_at_ms = 0;
        pw_watcher_sub_save(item);
        if (!item->busy)
            arm(item, 0);
        return;
    }
    roster_end(item, pw_watcher_end_text(item->address, ended, text, sizeof text), 0);
}

/* ---- what alice's server sends to contact JIDs ---- */

static void roster_subscribe(pw_watcher_t *wa, const char *bare, const char *address,
                             const char *contact, const char *rkey)
{
    pw_watcher_sub_t *item = pw_map_get(wa->roster, rkey);
    char *uuid;

    if (item) {
        if (item->approved && item->id[0]) /* RFC 6121 §3.1.3: already approved */
            send_presence(wa, contact, bare, "subscribed", NULL, NULL);
        return;
    }
    item = pw_watcher_sub_new(wa, PW_WATCHER_ROUTE_ROSTER, bare, bare, address);
    uuid = xmpp_uuid_gen(pw_component_ctx(wa->c));
    if (!item || !uuid || pw_map_put(wa->roster, rkey, item, NULL) != PW_OK) {
        pw_error(NULL, "out of memory: the subscription of %s to %s is refused", bare, contact);
        if (uuid)
            xmpp_free(pw_component_ctx(wa->c), uuid);
        pw_watcher_sub_free(item);
        send_presence(wa, contact, bare, "unsubscribed", NULL, "the service is overloaded");
        return;
    }
    snprintf(item->key, sizeof item->key, "r:%s", uuid);
    xmpp_free(pw_component_ctx(wa->c), uuid);
    item->token = wa->next_token++;
    pw_watcher_sub_save(item);
    pw_watcher_commit(wa);
    pw_info(NULL, "%s subscribes to %s", bare, contact);
    roster_start(item);
}

static void probe_done(pw_watcher_t *wa, const pw_watcher_job_t *job, const pw_watcher_answer_t *ans)
{
    char contact[PW_JID_MAX + 1];

    if (wa->closing || pw_watcher_contact_of(wa, job->address, contact, sizeof contact) != PW_OK)
        return;
    if (ans->cond == PW_ERR_NONE)
        send_state(wa, contact, job->bare, &ans->state);
    else
        send_presence(wa, contact, job->bare, "unavailable", NULL, ans->text);
}

static void roster_probe(pw_watcher_t *wa, const char *bare, const char *address, const char *contact)
{
    char text[PW_WATCHER_TEXT_MAX];
    pw_watcher_ask_t ask = { .watcher = bare, .address = address, .kind = "current",
                             .done = probe_done };
    pw_error_t cond = pw_watcher_ask(wa, &ask, text, sizeof text);
    if (cond != PW_ERR_NONE)
        send_presence(wa, contact, bare, "unavailable", NULL, text);
}

/* The text for a contact JID whose node is no address (to has an '@'): the node (at most 64
 * bytes of it) and the address forms. */
static const char *malformed_text(const pw_watcher_t *wa, const char *to, char *buf, size_t cap)
{
    const char *at = strchr(to, '@');
    char forms[512];
    snprintf(buf, cap, "'%.*s' is not a phone number or an XMPP address: %s",
             (int)(at - to > 64 ? 64 : at - to), to, pw_watcher_address_forms(wa, forms, sizeof forms));
    return buf;
}

/* A subscribe or probe to a contact JID whose node is no address (DESIGN.md §2, e.g. a typo
 * like hello@watcher.opa.example): the subscribe is answered 'unsubscribed' like every refused
 * roster subscription, the probe with a jid-malformed error; both say in words what a contact
 * JID looks like. Presence to the WA's own domain (no node) is no contact and stays unanswered. */
static void refuse_malformed(pw_watcher_t *wa, xmpp_stanza_t *p, const char *type, const char *to)
{
    const char *from = xmpp_stanza_get_from(p);
    char contact[PW_JID_MAX + 1], bare[PW_JID_MAX + 1], text[1024];

    if (!strchr(to, '@') || !from || pw_jid_bare(to, contact, sizeof contact) != PW_OK ||
        pw_jid_bare(from, bare, sizeof bare) != PW_OK ||
        (strcmp(type, "subscribe") != 0 && strcmp(type, "probe") != 0)) {
        pw_debug(xmpp_stanza_get_id(p), "presence %s from %s to %s ignored", type, from ? from : "?", to);
        return;
    }
    malformed_text(wa, to, text, sizeof text);
    pw_info(xmpp_stanza_get_id(p), "%s %s %s refused: %s", bare, type, contact, text);
    if (strcmp(type, "subscribe") == 0)
        refuse_subscription(wa, contact, bare, PW_ERR_JID_MALFORMED, text);
    else
        pw_component_reply_error(wa->c, p, PW_ERR_JID_MALFORMED, text);
}

/* A presence of a local user to a number contact written otherwise than its contact JID (a
 * national number, dashes or spaces: "+1-202-555-0123@watcher.opa.example"). The WA's
 * presence comes from one contact JID per presentity, so a roster item under another form would
 * never show anything: the subscribe is refused with a status naming the contact JID to add,
 * a probe gets jid-malformed with the same text, an unsubscribe is confirmed (docs/protocol.md
 * §6). The item under the contact JID, if any, is left alone. */
static void refuse_other_form(pw_watcher_t *wa, xmpp_stanza_t *p, const char *type,
                              const char *added, const char *address, const char *contact,
                              const char *bare)
{
    char who[PW_JID_MAX + 1], text[3 * PW_JID_MAX + 128];
    const char *at = strchr(added, '@');

    snprintf(text, sizeof text, "'%.*s' is %s: add it as %s, the one address its presence comes from",
             (int)(at ? at - added : 0), added, pw_watcher_display(address, who, sizeof who), contact);
    if (strcmp(type, "subscribe") == 0) {
        pw_info(xmpp_stanza_get_id(p), "%s subscribe %s refused: %s", bare, added, text);
        refuse_subscription(wa, added, bare, PW_ERR_JID_MALFORMED, text);
    } else if (strcmp(type, "probe") == 0) {
        pw_component_reply_error(wa->c, p, PW_ERR_JID_MALFORMED, text);
    } else if (strcmp(type, "unsubscribe") == 0) {
        send_presence(wa, added, bare, "unsubscribed", NULL, NULL);
    } else {
        pw_debug(xmpp_stanza_get_id(p), "presence %s from %s to %s ignored", type, bare, added);
    }
}

static void on_presence(pw_component_t *c, xmpp_stanza_t *p, void *arg)
{
    pw_watcher_t *wa = arg;
    const char *type = xmpp_stanza_get_type(p), *from = xmpp_stanza_get_from(p);
    const char *to = xmpp_stanza_get_to(p), *id = xmpp_stanza_get_id(p);
    char address[PW_JID_PART_MAX + 1], contact[PW_JID_MAX + 1], bare[PW_JID_MAX + 1];
    char rkey[RKEY_MAX], text[PW_JID_PART_MAX + 64], added[PW_JID_MAX + 1] = "";
    pw_watcher_sub_t *item;
    pw_address_t a;
    int local;

    if (!type || !to || strcmp(type, "unavailable") == 0 || strcmp(type, "error") == 0) {
        pw_debug(id, "presence %s from %s to %s ignored", type ? type : "available",
                 from ? from : "?", to ? to : "?");
        return;
    }
    if (pw_address_from_contact_jid(to, pw_component_jid(c), &wa->rules, &a) != PW_OK ||
        pw_address_to_node(&a, address, sizeof address) != PW_OK ||
        pw_watcher_contact_jid(&a, pw_component_jid(c), contact, sizeof contact) != PW_OK) {
        refuse_malformed(wa, p, type, to);
        return;
    }
    local = pw_watcher_local_user(wa, from, bare, sizeof bare) &&
            pw_watcher_roster_key(bare, contact, rkey, sizeof rkey) == PW_OK;
    if (local && (pw_jid_bare(to, added, sizeof added) != PW_OK || strcasecmp(added, contact) != 0)) {
        refuse_other_form(wa, p, type, added, address, contact, bare);
        return;
    }
    item = local ? pw_map_get(wa->roster, rkey) : NULL;
    if (strcmp(type, "subscribed") == 0 || (strcmp(type, "unsubscribed") == 0 && !item)) {
        /* the presentity's answer to an approval request (docs/protocol.md §2.5): her server
         * records it in her roster; the presence servers are told, so that pending
         * subscriptions of that watcher on her are settled now */
        pw_info(id, "%s %s %s", from ? from : "?",
                strcmp(type, "subscribed") == 0 ? "approved" : "declined or revoked", to);
        if (local && a.kind == PW_ADDRESS_MSISDN)
            pw_watcher_approval_decided(wa, bare, a.msisdn);
        return;
    }
    if (!local) {
        if (strcmp(type, "subscribe") == 0 && from && pw_jid_bare(from, bare, sizeof bare) == PW_OK) {
            snprintf(text, sizeof text, "only users of %s may subscribe here", wa->settings->domain);
            send_presence(wa, contact, bare, "unsubscribed", NULL, text);
        }
        pw_debug(id, "presence %s from %s to %s: not a local user", type, from ? from : "?", to);
        return;
    }
    if (strcmp(type, "subscribe") == 0) {
        roster_subscribe(wa, bare, address, contact, rkey);
    } else if (strcmp(type, "unsubscribe") == 0 || strcmp(type, "unsubscribed") == 0) {
        pw_info(id, "%s unsubscribes from %s", bare, contact);
        if (item)
            roster_end(item, NULL, 1);
        else
            send_presence(wa, contact, bare, "unsubscribed", NULL, NULL);
    } else if (strcmp(type, "probe") == 0) {
        roster_probe(wa, bare, address, contact);
    } else {
        pw_debug(id, "presence %s from %s to %s ignored", type, from ? from : "?", to);
    }
}

/* A message to a contact JID or to the WA (RFC 6121 §5.2, §8.5.2): the WA carries presence, not
 * chats, so every chat or normal message gets service-unavailable with a text saying what the
 * address is for (docs/protocol.md §6). Headlines and errors get no answer (RFC 6120 §8.3.1). */
static void on_message(pw_component_t *c, xmpp_stanza_t *m, void *arg)
{
    pw_watcher_t *wa = arg;
    const char *type = xmpp_stanza_get_type(m), *to = xmpp_stanza_get_to(m);
    char who[PW_JID_MAX + 1], address[PW_JID_PART_MAX + 1], text[1024];
    pw_address_t a;

    if (type && (strcmp(type, "error") == 0 || strcmp(type, "headline") == 0)) {
        pw_debug(xmpp_stanza_get_id(m), "message %s to %s ignored", type, to ? to : "?");
        return;
    }
    if (!to || !strchr(to, '@'))
        snprintf(text, sizeof text, "%s shows presence and takes no messages: add a number as a "
                 "contact, such as +12025550123@%s, to see its presence, or run its command "
                 "'Ask about a number'", pw_component_jid(c), pw_component_jid(c));
    else if (pw_address_from_contact_jid(to, pw_component_jid(c), &wa->rules, &a) != PW_OK ||
             pw_address_to_node(&a, address, sizeof address) != PW_OK)
        malformed_text(wa, to, text, sizeof text);
    else
        snprintf(text, sizeof text, "%s is a presence contact: it shows that person's presence "
                 "and cannot carry messages",
                 pw_watcher_display(address, who, sizeof who));
    pw_component_reply_error(c, m, PW_ERR_SERVICE_UNAVAILABLE, text);
}

/* A 'stop' enquiry ended the item (pw_watcher_subs_stopped()). */
static void end_stopped(pw_watcher_sub_t *item, const char *text)
{
    roster_end(item, text, 0);
}

void pw_watcher_roster_start(pw_watcher_t *wa)
{
    wa->end_item = end_stopped;
    pw_map_foreach(wa->roster, arm_loaded, NULL);
    pw_component_on_presence(wa->c, on_presence, wa);
    pw_component_on_message(wa->c, on_message, wa);
}

void pw_watcher_roster_stop(pw_watcher_t *wa)
{
    pw_component_on_presence(wa->c, NULL, NULL);
    pw_component_on_message(wa->c, NULL, NULL);
}
