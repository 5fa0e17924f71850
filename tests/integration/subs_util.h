/* subs_util.h: helpers shared by the subscription integration tests (headline notifications, roster presence). */
#ifndef SUBS_UTIL_H
#define SUBS_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_stanza.h"
#include "pwt_client.h"

#define BOB_CONTACT "+12025550123@watcher.opa.example"

/* Accept <message type='headline'> carrying <notify xmlns='urn:peerwatch:0'/>. */
static inline int subs_is_notify(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "message") == 0 && type && strcmp(type, "headline") == 0 &&
           xmpp_stanza_get_child_by_name_and_ns(s, "notify", "urn:peerwatch:0") != NULL;
}

/* Accept a presence of the given type (NULL: available) from the given JID (bare compare). */
typedef struct {
    const char *from;
    const char *type;
} subs_presence_t;

static inline int subs_is_presence(xmpp_stanza_t *s, void *arg)
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

/* The <notify/> of a headline. */
static inline xmpp_stanza_t *subs_notify_of(xmpp_stanza_t *msg)
{
    return xmpp_stanza_get_child_by_name_and_ns(msg, "notify", "urn:peerwatch:0");
}

/* Wait for the next notification headline, asserting it arrives. */
static inline xmpp_stanza_t *subs_next_notify(pwt_client_t *c, unsigned timeout_ms, const char *what)
{
    xmpp_stanza_t *m = pwt_client_wait(c, subs_is_notify, NULL, timeout_ms);
    cr_assert_not_null(m, "notification arrives: %s", what);
    return m;
}

/* The show of a notification's <state/> ("" when plainly online), asserting there is one. */
static inline const char *subs_notify_show(xmpp_stanza_t *msg)
{
    xmpp_stanza_t *st = xmpp_stanza_get_child_by_name(subs_notify_of(msg), "state");
    const char *show;
    cr_assert_not_null(st, "the notification carries a state");
    show = xmpp_stanza_get_attribute(st, "show");
    return show ? show : "";
}

static inline const char *subs_attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

/* Send an enquiry IQ to watcher.opa.example and return the answer (asserting one comes). */
static inline xmpp_stanza_t *subs_enquire(pwt_client_t *c, const char *attrs)
{
    char xml[512];
    xmpp_stanza_t *r;
    snprintf(xml, sizeof xml, "<iq type='set' to='watcher.opa.example'><enquiry xmlns='urn:peerwatch:0' %s/></iq>", attrs);
    r = pwt_client_iq(c, xml, 30000);
    cr_assert_not_null(r, "an answer to <enquiry %s/>", attrs);
    return r;
}

/* The subscription id of a result, asserting it is a result with one. */
static inline void subs_result_id(xmpp_stanza_t *r, char *id, size_t cap)
{
    xmpp_stanza_t *e, *sub;
    char text[256];
    if (strcmp(xmpp_stanza_get_type(r), "result") != 0) {
        pw_error_t cond = pw_stanza_error_parse(r, text, sizeof text);
        cr_assert_fail("expected a result, got %s: %s", pw_error_name(cond), text);
    }
    e = xmpp_stanza_get_child_by_name(r, "enquiry");
    sub = e ? xmpp_stanza_get_child_by_name(e, "subscription") : NULL;
    cr_assert_not_null(sub, "the result carries a <subscription/>");
    cr_assert_neq(subs_attr(sub, "expires")[0], '\0', "with an expiry");
    snprintf(id, cap, "%s", subs_attr(sub, "id"));
    cr_assert_neq(id[0], '\0');
}

#endif /* SUBS_UTIL_H */
