/* approval.c: the approval request (docs/protocol.md §2.5): the own Watcher Application asks the presentity, on the watcher's behalf, once per pair per approval_interval;
 * her decision, which the WA reports back (<decided/>), settles the watcher's pending subscriptions, and the PS that asked names her new roster item. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address/pw_jid.h"
#include "address/pw_msisdn.h"
#include "core/pw_log.h"
#include "core/pw_text.h"
#include "xmpp/pw_stanza.h"
#include "presence_int.h"
#include "roster.h"

#define PS_APPROVAL_PURGE_MS 1000u /* a full approval table is swept at most this often */

/* A pair asked (the approval table's value): when, and for whom. */
typedef struct ps_asked {
    uint64_t sent_ms;
    char watcher_jid[]; /* the name her roster item gets once she approves */
} ps_asked_t;

/* An IQ of this file in flight: an approval request to the WA, or the roster read and set that
 * name her item after she approved. */
typedef struct ps_areq {
    struct pw_presence *ps;
    char key[PS_KEY_MAX]; /* a request: the pair, forgotten if the WA does not take it */
    char *presentity;     /* naming: her bare JID, the watcher's contact JID, the name */
    char *contact;
    char *name;
    pw_link_t link; /* in ps->areqs */
} ps_areq_t;

static void areq_free(ps_areq_t *a)
{
    if (!a)
        return;
    free(a->presentity);
    free(a->contact);
    free(a->name);
    free(a);
}

static int sweep_cb(const char *key, void *value, void *arg)
{
    pw_presence_t *ps = arg;
    uint64_t now = pw_loop_now(pw_component_loop(ps->c));
    ps_asked_t *asked = value;
    if (now - asked->sent_ms >= (uint64_t)ps->s->approval_interval_ms) {
        pw_map_remove(ps->approvals, key);
        free(asked);
    }
    return 0;
}

/* The approval table's key of a pair: the presentity's folded bare JID (into bare) and the
 * watcher's number. */
static void approval_key(const char *presentity, const char *msisdn, char bare[PW_JID_MAX + 1],
                         char key[PS_KEY_MAX])
{
    pw_text_fold(presentity, bare, PW_JID_MAX + 1);
    snprintf(key, PS_KEY_MAX, "%s %s", bare, msisdn);
}

/* Record that the pair is being asked now for watcher_jid, unless it was asked within the
 * interval. */
static int approval_due(pw_presence_t *ps, const char *key, const char *watcher_jid)
{
    uint64_t now = pw_loop_now(pw_component_loop(ps->c));
    ps_asked_t *asked = pw_map_get(ps->approvals, key);
    size_t n = strlen(watcher_jid) + 1;

    if (asked) {
        if (now - asked->sent_ms < (uint64_t)ps->s->approval_interval_ms)
            return 0;
        asked->sent_ms = now;
        return 1;
    }
    if (pw_map_count(ps->approvals) >= (size_t)ps->s->max_approvals &&
        now - ps->approvals_swept_ms >= PS_APPROVAL_PURGE_MS) {
        ps->approvals_swept_ms = now;
        pw_map_foreach(ps->approvals, sweep_cb, ps);
    }
    if (pw_map_count(ps->approvals) >= (size_t)ps->s->max_approvals) {
        pw_warn(NULL, "approval table full (%lld pairs): not asking now",
                (long long)ps->s->max_approvals);
        return 0;
    }
    asked = malloc(sizeof *asked + n);
    if (!asked)
        return 0;
    asked->sent_ms = now;
    memcpy(asked->watcher_jid, watcher_jid, n);
    if (pw_map_put(ps->approvals, key, asked, NULL) != PW_OK) {
        free(asked);
        return 0;
    }
    return 1;
}

static void on_approval_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response,
                               void *arg)
{
    ps_areq_t *a = arg;
    pw_presence_t *ps = a->ps;
    char text[PS_TEXT_MAX];
    (void)c;

    pw_list_unlink(&ps->areqs, &a->link);
    if (outcome == PW_IQ_ERROR || outcome == PW_IQ_TIMEOUT) {
        /* not delivered: let the next enquiry ask again */
        free(pw_map_remove(ps->approvals, a->key));
        text[0] = '\0';
        if (response)
            pw_stanza_error_parse(response, text, sizeof text);
        pw_warn(NULL, "approval request to %s failed (%s%s%s); it will be retried",
                ps->s->watcher, outcome == PW_IQ_TIMEOUT ? "timeout" : "error",
                text[0] ? ": " : "", text);
    }
    areq_free(a);
}

void pw_presence_approval_request(pw_presence_t *ps, const pw_enquiry_t *e)
{
    xmpp_ctx_t *ctx = pw_component_ctx(ps->c);
    xmpp_stanza_t *iq = NULL, *el;
    ps_areq_t *a = NULL;
    char key[PS_KEY_MAX], bare[PW_JID_MAX + 1];

    approval_key(e->presentity_jid, e->watcher_msisdn, bare, key);
    if (!approval_due(ps, key, e->watcher_jid)) {
        pw_debug(e->ref, "approval of %s for %s already requested", bare, e->watcher_msisdn);
        return;
    }
    a = calloc(1, sizeof *a);
    iq = xmpp_iq_new(ctx, "set", NULL);
    if (!a || !iq)
        goto fail;
    a->ps = ps;
    memcpy(a->key, key, sizeof key);
    xmpp_stanza_set_to(iq, ps->s->watcher);
    el = pw_stanza_add_child(iq, "approval", PW_NS_CHAIN);
    if (!el)
        goto fail;
    xmpp_stanza_set_attribute(el, "presentity", bare);
    xmpp_stanza_set_attribute(el, "watcher-msisdn", e->watcher_msisdn);
    xmpp_stanza_set_attribute(el, "watcher-jid", e->watcher_jid);
    pw_list_push_front(&ps->areqs, &a->link);
    if (pw_component_send_iq(ps->c, iq, 0, on_approval_answer, a) != PW_OK) {
        pw_list_unlink(&ps->areqs, &a->link);
        goto fail;
    }
    pw_info(e->ref, "asked %s to approve %s", bare, e->watcher_msisdn);
    xmpp_stanza_release(iq);
    return;
fail:
    pw_warn(e->ref, "could not send the approval request for %s", bare);
    free(pw_map_remove(ps->approvals, key));
    areq_free(a);
    if (iq)
        xmpp_stanza_release(iq);
}

/* The roster set's answer: her item has its name, or the server would not. */
static void on_naming_set(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    ps_areq_t *a = arg;
    char text[PS_TEXT_MAX] = "";
    (void)c;

    pw_list_unlink(&a->ps->areqs, &a->link);
    if (outcome == PW_IQ_RESULT) {
        pw_info(NULL, "named %s's roster item for %s \"%s\"", a->presentity, a->contact, a->name);
    } else if (outcome != PW_IQ_CANCELLED) {
        if (response)
            pw_stanza_error_parse(response, text, sizeof text);
        pw_warn(NULL, "could not name %s's roster item for %s (%s%s%s)", a->presentity, a->contact,
                outcome == PW_IQ_TIMEOUT ? "timeout" : "error", text[0] ? ": " : "", text);
    }
    areq_free(a);
}

/* Her roster, read afresh after her decision: name the watcher's item if she approved it and
 * gave it no name herself. */
static void on_naming_read(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    ps_areq_t *a = arg;
    pw_presence_t *ps = a->ps;
    xmpp_stanza_t *set = NULL;

    pw_list_unlink(&ps->areqs, &a->link);
    if (outcome != PW_IQ_RESULT) {
        if (outcome != PW_IQ_CANCELLED)
            pw_warn(NULL, "could not read %s's roster to name the item for %s", a->presentity, a->contact);
        goto done;
    }
    set = pw_presence_roster_naming(pw_component_ctx(c), response, a->presentity, a->contact, a->name);
    if (!set) {
        pw_debug(NULL, "%s's roster has no approved, unnamed item for %s: nothing to name",
                 a->presentity, a->contact);
        goto done;
    }
    pw_list_push_front(&ps->areqs, &a->link);
    if (pw_component_send_iq(c, set, 0, on_naming_set, a) != PW_OK) {
        pw_list_unlink(&ps->areqs, &a->link);
        pw_warn(NULL, "could not send the roster set naming %s's item for %s", a->presentity, a->contact);
        goto done;
    }
    a = NULL;
done:
    if (set)
        xmpp_stanza_release(set);
    areq_free(a);
}

/* After her decision about a pair this PS asked (for watcher_jid): give the roster item her
 * approval created the name of the request (XEP-0356 §5 roster set), where her server
 * granted roster set. Her own name for it is kept. */
static void name_item(pw_presence_t *ps, const char *presentity, const char *msisdn, const char *watcher_jid)
{
    xmpp_stanza_t *get = NULL;
    ps_areq_t *a = NULL;
    char domain[PW_JID_MAX + 1], contact[PW_JID_MAX + 1], name[PS_TEXT_MAX];

    if (pw_jid_domain(presentity, domain, sizeof domain) != PW_OK)
        return;
    if (!(pw_presence_privileges(ps, domain, NULL) & PW_PRESENCE_PRIV_ROSTER_SET)) {
        pw_debug(NULL, "%s did not grant roster set: %s names the item for %s herself", domain,
                 presentity, msisdn);
        return;
    }
    pw_presence_contact_jid(msisdn, ps->s->watcher, contact, sizeof contact);
    pw_approval_name(msisdn, watcher_jid, name, sizeof name);
    a = calloc(1, sizeof *a);
    if (!a || !(a->presentity = strdup(presentity)) || !(a->contact = strdup(contact)) ||
        !(a->name = strdup(name)) || !(get = pw_presence_roster_request(pw_component_ctx(ps->c), presentity)))
        goto fail;
    a->ps = ps;
    pw_list_push_front(&ps->areqs, &a->link);
    if (pw_component_send_iq(ps->c, get, 0, on_naming_read, a) != PW_OK) {
        pw_list_unlink(&ps->areqs, &a->link);
        goto fail;
    }
    xmpp_stanza_release(get);
    return;
fail:
    pw_warn(NULL, "could not start naming %s's roster item for %s", presentity, contact);
    areq_free(a);
    if (get)
        xmpp_stanza_release(get);
}

/* The own WA saw the presentity decide (docs/protocol.md §2.5): her 'subscribed' or
 * 'unsubscribed' to the watcher's contact JID. Only the WA may say so; the decision itself is
 * read from her roster (pw_subs_decided()), so a report can do no more than ask for a read. */
static void on_decided(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg)
{
    pw_presence_t *ps = arg;
    const char *from = xmpp_stanza_get_from(iq);
    const char *presentity = xmpp_stanza_get_attribute(el, "presentity");
    const char *msisdn = xmpp_stanza_get_attribute(el, "watcher-msisdn");
    char bare[PW_JID_MAX + 1], text[PS_TEXT_MAX];
    size_t n;

    if (!pw_jid_is_named_component(from, &ps->s->watcher, 1)) {
        snprintf(text, sizeof text, "only %s reports decisions here", ps->s->watcher);
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN, text);
        return;
    }
    if (!presentity || pw_jid_bare(presentity, bare, sizeof bare) != PW_OK || !strchr(bare, '@') ||
        !msisdn || !pw_msisdn_is_e164(msisdn)) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "'presentity' must be a bare user JID and 'watcher-msisdn' an E.164 number");
        return;
    }
    n = ps->subs ? pw_subs_decided(ps->subs, bare, msisdn) : 0;
    pw_info(xmpp_stanza_get_id(iq), "%s decided about %s: %zu pending subscription(s) to settle", bare,
            msisdn, n);
    /* asked again at once if she declined and is asked later; named if this PS asked her */
    {
        char key[PS_KEY_MAX], folded[PW_JID_MAX + 1];
        ps_asked_t *asked;
        approval_key(bare, msisdn, folded, key);
        asked = pw_map_remove(ps->approvals, key);
        if (asked)
            name_item(ps, folded, msisdn, asked->watcher_jid);
        free(asked);
    }
    pw_component_reply_result(c, iq);
}

pw_status_t pw_presence_approval_init(pw_presence_t *ps)
{
    pw_status_t rc = pw_map_create(&ps->approvals);
    if (rc == PW_OK)
        rc = pw_component_on_iq(ps->c, PW_NS_CHAIN, "decided", PW_IQ_SET, on_decided, ps);
    return rc;
}

/* After fini: decisions are refused (the server is stopping). */
static void on_decided_closed(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *el, void *arg)
{
    (void)el;
    (void)arg;
    pw_component_reply_error(c, iq, PW_ERR_SERVICE_UNAVAILABLE, "the presence server is stopping");
}

void pw_presence_approval_fini(pw_presence_t *ps)
{
    pw_component_on_iq(ps->c, PW_NS_CHAIN, "decided", PW_IQ_SET, on_decided_closed, NULL);
    /* the callbacks of cancelled IQs free their request */
    while (ps->areqs.head) {
        ps_areq_t *a = PW_LIST_ITEM(ps->areqs.head, ps_areq_t, link);
        if (pw_component_cancel_iqs(ps->c, a) == 0) {
            pw_list_unlink(&ps->areqs, &a->link);
            areq_free(a);
        }
    }
    pw_map_destroy_values(ps->approvals, free);
    ps->approvals = NULL;
}
