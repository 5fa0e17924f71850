/* subs_util.c: helpers shared by the subscription integration tests (headline notifications, roster presence). */
#include "subs_util.h"

#include <stdio.h>
#include <string.h>

int subs_is_notify(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "message") == 0 && type && strcmp(type, "headline") == 0 &&
           xmpp_stanza_get_child_by_name_and_ns(s, "notify", "urn:peerwatch:0") != NULL;
}

int subs_is_presence(xmpp_stanza_t *s, void *arg)
{
    subs_presence_t *want = arg;
    const char *type = xmpp_stanza_get_type(s), *from = xmpp_stanza_get_from(s);
    if (strcmp(xmpp_stanza_get_name(s), "presence") != 0 || !from)
        return 0;
    if (strncmp(from, want->from, strlen(want->from)) != 0)
        return 0;
    if (!want->type)
        return !type || strcmp(type, "available") == 0;
    return type && strcmp(type, want->type) == 0;
}

xmpp_stanza_t *subs_notify_of(xmpp_stanza_t *msg)
{
    return xmpp_stanza_get_child_by_name_and_ns(msg, "notify", "urn:peerwatch:0");
}

xmpp_stanza_t *subs_next_notify(pwt_client_t *c, unsigned timeout_ms, const char *what)
{
    xmpp_stanza_t *m = pwt_client_wait(c, subs_is_notify, NULL, timeout_ms);
    cr_assert_not_null(m, "notification arrives: %s", what);
    return m;
}

const char *subs_notify_show(xmpp_stanza_t *msg)
{
    xmpp_stanza_t *st = xmpp_stanza_get_child_by_name(subs_notify_of(msg), "state");
    cr_assert_not_null(st, "the notification carries a state");
    return chain_attr(st, "show");
}

xmpp_stanza_t *subs_next_change(pwt_client_t *alice, pwt_client_t *bob, const char *show, unsigned timeout_ms,
                                const char *what)
{
    xmpp_stanza_t *m;
    pwt_client_presence(bob, show, NULL, 1);
    m = subs_next_notify(alice, timeout_ms, what);
    cr_assert_str_eq(subs_notify_show(m), show);
    return m;
}

void subs_result_id(xmpp_stanza_t *r, char *id, size_t cap)
{
    xmpp_stanza_t *e = chain_result(r);
    xmpp_stanza_t *sub = e ? xmpp_stanza_get_child_by_name(e, "subscription") : NULL;
    cr_assert_not_null(sub, "the result carries a <subscription/>");
    cr_assert_neq(chain_attr(sub, "expires")[0], '\0', "with an expiry");
    snprintf(id, cap, "%s", chain_attr(sub, "id"));
    cr_assert_neq(id[0], '\0');
}

void subs_subscribe(pwt_client_t *c, const char *attrs, char *id, size_t cap)
{
    xmpp_stanza_t *r = chain_enquire(c, attrs);
    subs_result_id(r, id, cap);
    xmpp_stanza_release(r);
}

pwt_client_t *subs_login(pwt_trial_t *trial, const char *user)
{
    pwt_client_t *c = NULL;
    if (trial) {
        cr_assert_eq(pwt_trial_login(trial, user, &c), PW_OK, "%s logs in", user);
    } else {
        cr_assert_not_null(pwt_trialenv("OPA_C2S"), "the trial is up");
        cr_assert_eq(pwt_trialenv_login(user, &c), PW_OK, "%s logs in", user);
    }
    if (strcmp(user, "alice") == 0) {
        xmpp_stanza_t *r = pwt_client_iq(c, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>", 5000);
        cr_assert_not_null(r, "alice's roster");
        xmpp_stanza_release(r);
        cr_assert_eq(pwt_client_presence(c, NULL, NULL, 0), PW_OK);
    }
    return c;
}

void subs_pair_start(subs_pair_t *p, pwt_trial_t *trial, const char *attrs)
{
    p->bob = subs_login(trial, "bob");
    p->alice = subs_login(trial, "alice");
    chain_present(p->bob, NULL, NULL, 1);
    subs_subscribe(p->alice, attrs, p->sub, sizeof p->sub);
}

void subs_pair_end(subs_pair_t *p)
{
    pwt_client_destroy(p->alice);
    pwt_client_destroy(p->bob);
}
