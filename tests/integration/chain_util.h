/* chain_util.h: small helpers shared by the chain integration tests (enquiries and their answers). */
#ifndef CHAIN_UTIL_H
#define CHAIN_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_stanza.h"
#include "pwt_client.h"
#include "pwt_trialenv.h"

/* The trial is shared by every test of a binary: chain_hooks.c, linked into each, brings it up
 * before the first test and down after the last. */

/* Log a fixture user in, failing the test clearly when the trial is not there. */
static inline pwt_client_t *chain_login(const char *user)
{
    pwt_client_t *c = NULL;
    cr_assert_not_null(pwt_trialenv("OPA_C2S"), "the trial is up (see the runner's output above)");
    cr_assert_eq(pwt_trialenv_login(user, &c), PW_OK, "%s logs in", user);
    return c;
}

/* Send an enquiry to the watcher of the client's own operator and wait for the answer. */
static inline xmpp_stanza_t *chain_enquire(pwt_client_t *c, const char *attrs)
{
    char xml[1024];
    const char *jid = pwt_client_jid(c);
    const char *at = strchr(jid, '@');
    char domain[128];
    xmpp_stanza_t *r;
    snprintf(domain, sizeof domain, "%.*s", (int)strcspn(at + 1, "/"), at + 1);
    snprintf(xml, sizeof xml, "<iq type='set' to='watcher.%s'><enquiry xmlns='urn:peerwatch:0' %s/></iq>",
             domain, attrs);
    r = pwt_client_iq(c, xml, 30000);
    cr_assert_not_null(r, "an answer (never silence) to <enquiry %s/>", attrs);
    return r;
}

/* The condition of an error answer (asserting it is one) and its text. */
static inline pw_error_t chain_error(xmpp_stanza_t *r, char *text, size_t cap)
{
    char *xml = NULL;
    size_t len;
    if (strcmp(xmpp_stanza_get_type(r), "error") != 0) {
        xmpp_stanza_to_text(r, &xml, &len);
        cr_assert_fail("expected an error, got: %s", xml);
    }
    return pw_stanza_error_parse(r, text, cap);
}

/* The <state/> of a result (asserting it is one). */
static inline xmpp_stanza_t *chain_state(xmpp_stanza_t *r)
{
    xmpp_stanza_t *e, *st;
    char text[512];
    if (strcmp(xmpp_stanza_get_type(r), "result") != 0) {
        pw_error_t cond = pw_stanza_error_parse(r, text, sizeof text);
        cr_assert_fail("expected a result, got %s: %s", pw_error_name(cond), text);
    }
    e = xmpp_stanza_get_child_by_name_and_ns(r, "enquiry", "urn:peerwatch:0");
    cr_assert_not_null(e, "the result echoes the enquiry");
    st = xmpp_stanza_get_child_by_name(e, "state");
    cr_assert_not_null(st, "the result carries a <state/>");
    return st;
}

static inline const char *chain_attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = xmpp_stanza_get_attribute(s, name);
    return v ? v : "";
}

#endif /* CHAIN_UTIL_H */
