/* test_watcher_adhoc.c: the XEP-0050 'enquiry' command: discovery, the data form, submit (through the chain), cancel, sessions. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_stanza.h"

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_adhoc, .init = tw_setup, .fini = tw_teardown);

#define NS_CMD "http://jabber.org/protocol/commands"

/* Send a command IQ from alice's phone. */
static void command(const char *id, const char *attrs, const char *inner)
{
    pwfake_watcher_deliver(tw, "<iq type='set' id='%s' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<command xmlns='" NS_CMD "' node='enquiry' %s>%s</command></iq>", id, attrs, inner);
}

/* The <command/> of the last stanza, a result to id. */
static xmpp_stanza_t *last_command(const char *id)
{
    xmpp_stanza_t *r = pwfake_transport_last(tw->fake), *cmd;
    cr_assert_str_eq(pwfake_watcher_attr(r, "type"), "result");
    cr_assert_str_eq(pwfake_watcher_attr(r, "id"), id);
    cmd = pw_stanza_payload(r);
    cr_assert_str_eq(xmpp_stanza_get_name(cmd), "command");
    cr_assert_str_eq(xmpp_stanza_get_ns(cmd), NS_CMD);
    cr_assert_str_eq(pwfake_watcher_attr(cmd, "node"), "enquiry");
    return cmd;
}

/* The field var of form x (NULL when absent). */
static xmpp_stanza_t *field(xmpp_stanza_t *x, const char *var)
{
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        if (xmpp_stanza_is_tag(f) && strcmp(xmpp_stanza_get_name(f), "field") == 0 &&
            strcmp(pwfake_watcher_attr(f, "var"), var) == 0)
            return f;
    }
    return NULL;
}

/* Execute: returns the session id. */
static const char *execute(char *sid, size_t cap)
{
    xmpp_stanza_t *cmd;
    command("x1", "action='execute'", "");
    cmd = last_command("x1");
    cr_assert_str_eq(pwfake_watcher_attr(cmd, "status"), "executing");
    snprintf(sid, cap, "%s", pwfake_watcher_attr(cmd, "sessionid"));
    cr_assert_neq(sid[0], '\0', "a session id");
    return sid;
}

/* Submit the form of session sid with the given field values. */
static void submit(const char *id, const char *sid, const char *address, const char *kind,
                   const char *duration)
{
    char attrs[128], inner[1024];
    snprintf(attrs, sizeof attrs, "sessionid='%s' action='complete'", sid);
    snprintf(inner, sizeof inner, "<x xmlns='jabber:x:data' type='submit'>"
             "<field var='address'><value>%s</value></field>"
             "<field var='kind'><value>%s</value></field>"
             "<field var='duration'><value>%s</value></field></x>", address, kind, duration);
    command(id, attrs, inner);
}

/* A new session (its id in sid) whose form, submitted as request id, passes the HSS: @return the enquiry sent to the proxy */
static xmpp_stanza_t *form_enquiry(const char *id, char *sid, size_t cap, const char *address, const char *kind,
                                   const char *duration)
{
    execute(sid, cap);
    submit(id, sid, address, kind, duration);
    return pwfake_watcher_hss_then_proxy(tw);
}

Test(watcher_adhoc, the_command_is_advertised)
{
    xmpp_stanza_t *q, *item;
    int found = 0;
    pwfake_watcher_deliver(tw, "<iq type='get' id='d1' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' node='" NS_CMD "'/></iq>");
    q = pw_stanza_payload(pwfake_transport_last(tw->fake));
    cr_assert_str_eq(pwfake_watcher_attr(q, "node"), NS_CMD);
    item = xmpp_stanza_get_child_by_name(q, "item");
    cr_assert_not_null(item);
    cr_assert_str_eq(pwfake_watcher_attr(item, "jid"), PWFAKE_WATCHER_JID);
    cr_assert_str_eq(pwfake_watcher_attr(item, "node"), "enquiry");
    cr_assert_str_eq(pwfake_watcher_attr(item, "name"), "Ask about a number");
    pwfake_watcher_deliver(tw, "<iq type='get' id='d2' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    item = xmpp_stanza_get_child_by_name(pw_stanza_payload(pwfake_transport_last(tw->fake)), "item");
    cr_assert_not_null(item, "the WA's own items list the command (what /disco items shows a person)");
    cr_assert_str_eq(pwfake_watcher_attr(item, "node"), "enquiry");
    cr_assert_str_eq(pwfake_watcher_attr(item, "name"), "Ask about a number");
    pwfake_watcher_deliver(tw, "<iq type='get' id='d4' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' node='other'/></iq>");
    cr_assert_null(xmpp_stanza_get_child_by_name(pw_stanza_payload(pwfake_transport_last(tw->fake)), "item"),
                   "other nodes are empty");
    pwfake_watcher_deliver(tw, "<iq type='get' id='d3' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = pw_stanza_payload(pwfake_transport_last(tw->fake));
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(q); f; f = xmpp_stanza_get_next(f))
        found |= strcmp(pwfake_watcher_attr(f, "var"), NS_CMD) == 0;
    cr_assert(found, "disco#info lists the commands feature");
}

Test(watcher_adhoc, execute_returns_the_form)
{
    xmpp_stanza_t *cmd, *x, *f, *actions;
    char sid[64];
    int options = 0;
    execute(sid, sizeof sid);
    cmd = last_command("x1");
    actions = xmpp_stanza_get_child_by_name(cmd, "actions");
    cr_assert_not_null(actions);
    cr_assert_not_null(xmpp_stanza_get_child_by_name(actions, "complete"));
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_not_null(x);
    cr_assert_str_eq(pwfake_watcher_attr(x, "type"), "form");
    f = field(x, "address");
    cr_assert_not_null(f);
    cr_assert_str_eq(pwfake_watcher_attr(f, "type"), "text-single");
    f = field(x, "kind");
    cr_assert_str_eq(pwfake_watcher_attr(f, "type"), "list-single");
    for (xmpp_stanza_t *o = xmpp_stanza_get_children(f); o; o = xmpp_stanza_get_next(o))
        options += xmpp_stanza_is_tag(o) && strcmp(xmpp_stanza_get_name(o), "option") == 0;
    cr_assert_eq(options, 4, "current, changes, next, stop");
    f = field(x, "duration");
    cr_assert_str_eq(pwfake_watcher_attr(f, "type"), "text-single");
}

Test(watcher_adhoc, submit_runs_the_enquiry_and_completes_with_the_state)
{
    xmpp_stanza_t *e, *cmd, *note, *x;
    char sid[64], buf[256];
    e = form_enquiry("s1", sid, sizeof sid, "+1 202 555 0123", "current", "3600");
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "current");
    cr_assert_str_eq(pwfake_watcher_attr(e, "presentity"), "+12025550123");
    cr_assert_null(xmpp_stanza_get_attribute(e, "duration"));
    pwfake_watcher_proxy_state(tw, PWFAKE_WATCHER_STATE_AWAY);
    cmd = last_command("s1");
    cr_assert_str_eq(pwfake_watcher_attr(cmd, "status"), "completed");
    cr_assert_str_eq(pwfake_watcher_attr(cmd, "sessionid"), sid);
    note = xmpp_stanza_get_child_by_name(cmd, "note");
    cr_assert_str_eq(pwfake_watcher_attr(note, "type"), "info");
    cr_assert_str_eq(pw_stanza_child_text(cmd, "note", NULL, buf, sizeof buf),
                     "+1 202 555 0123 is now away: In a meeting");
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_str_eq(pwfake_watcher_attr(x, "type"), "result");
    cr_assert_str_eq(pw_stanza_child_text(field(x, "state"), "value", NULL, buf, sizeof buf), "away");
    cr_assert_str_eq(pw_stanza_child_text(field(x, "address"), "value", NULL, buf, sizeof buf), "+12025550123");
}

Test(watcher_adhoc, submit_changes_makes_an_iq_route_subscription)
{
    xmpp_stanza_t *e, *cmd, *x;
    char sid[64], buf[256];
    e = form_enquiry("s2", sid, sizeof sid, "+12025550123", "changes", "600");
    cr_assert_str_eq(pwfake_watcher_attr(e, "kind"), "changes");
    cr_assert_str_eq(pwfake_watcher_attr(e, "duration"), "600");
    pwfake_watcher_proxy_subscribed(tw, PWFAKE_WATCHER_STATE_OFF, "sub-a", 600);
    cmd = last_command("s2");
    cr_assert(strstr(pw_stanza_child_text(cmd, "note", NULL, buf, sizeof buf), "is now offline; you will be told"),
              "%s", buf);
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_str_eq(pw_stanza_child_text(field(x, "subscription"), "value", NULL, buf, sizeof buf), "sub-a");
    /* XEP-0004 §3.3: every field of the result says what it is; the time reads in words */
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        if (!xmpp_stanza_is_tag(f) || strcmp(xmpp_stanza_get_name(f), "field") != 0)
            continue;
        cr_assert_not_null(xmpp_stanza_get_attribute(f, "type"), "field %s has a type", pwfake_watcher_attr(f, "var"));
        cr_assert_not_null(xmpp_stanza_get_attribute(f, "label"), "field %s has a label", pwfake_watcher_attr(f, "var"));
    }
    cr_assert_str_eq(pwfake_watcher_attr(field(x, "expires"), "type"), "hidden", "the XEP-0082 time is for programs");
    cr_assert_not_null(strstr(pw_stanza_child_text(field(x, "until"), "value", NULL, buf, sizeof buf),
                              " UTC on "), "%s", buf);
    cr_assert_not_null(strstr(buf, "(in 10 minutes)"), "%s", buf);
    cr_assert_not_null(strstr(pw_stanza_child_text(cmd, "note", NULL, buf, sizeof buf),
                              "you will be told of every change until "), "%s", buf);
    cr_assert_not_null(strstr(buf, "(in 10 minutes)"), "the note too: %s", buf);
    cr_assert_null(strstr(buf, "2026-"), "no raw XEP-0082 time in the note: %s", buf);
    cr_assert_eq(pw_watcher_subscriptions(tw->wa), 1);
    pwfake_transport_clear(tw->fake);
    pwfake_watcher_notify(tw, "n1", "proxy.opa.example", "subscription='sub-a' seq='1'", PWFAKE_WATCHER_STATE_AWAY);
    cr_assert_str_eq(pwfake_watcher_attr(pwfake_watcher_sent(tw, 0), "type"), "headline");
}

Test(watcher_adhoc, errors_complete_with_an_error_note)
{
    xmpp_stanza_t *cmd, *note;
    char sid[64], buf[512];
    execute(sid, sizeof sid);
    submit("s3", sid, "hello", "current", "");
    cmd = last_command("s3");
    cr_assert_str_eq(pwfake_watcher_attr(cmd, "status"), "completed");
    note = xmpp_stanza_get_child_by_name(cmd, "note");
    cr_assert_str_eq(pwfake_watcher_attr(note, "type"), "error");
    cr_assert(strstr(pw_stanza_child_text(cmd, "note", NULL, buf, sizeof buf), "jid-malformed"), "%s", buf);
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);

    execute(sid, sizeof sid);
    submit("s4", sid, "+12025550123", "changes", "999999");
    cr_assert(strstr(pw_stanza_child_text(last_command("s4"), "note", NULL, buf, sizeof buf), "86400"), "%s", buf);

    form_enquiry("s5", sid, sizeof sid, "+12025550123", "current", "");
    pwfake_watcher_proxy_error(tw, "subscription-required", "auth", "bob was asked to approve you");
    cr_assert_str_eq(pw_stanza_child_text(last_command("s5"), "note", NULL, buf, sizeof buf),
                     "subscription-required: bob was asked to approve you");
}

Test(watcher_adhoc, cancel_ends_the_session)
{
    xmpp_stanza_t *cmd;
    char sid[64], attrs[128], text[256];
    execute(sid, sizeof sid);
    snprintf(attrs, sizeof attrs, "sessionid='%s' action='cancel'", sid);
    command("c1", attrs, "");
    cmd = last_command("c1");
    cr_assert_str_eq(pwfake_watcher_attr(cmd, "status"), "canceled");
    submit("c2", sid, "+12025550123", "current", "");
    cr_assert_eq(pwfake_watcher_last_error(tw, "c2", text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert_not_null(xmpp_stanza_get_child_by_name_and_ns(
        xmpp_stanza_get_child_by_name(pwfake_transport_last(tw->fake), "error"), "bad-sessionid", NS_CMD));
    cr_assert_eq(pw_component_pending_iqs(tw->comp), 0);
}

Test(watcher_adhoc, sessions_belong_to_their_resource_and_expire)
{
    char sid[64], text[256];
    execute(sid, sizeof sid);
    pwfake_watcher_deliver(tw, "<iq type='set' id='o1' from='alice@opa.example/laptop' to='" PWFAKE_WATCHER_JID "'>"
               "<command xmlns='" NS_CMD "' node='enquiry' sessionid='%s' action='cancel'/></iq>", sid);
    cr_assert_eq(pwfake_watcher_last_error(tw, "o1", text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_watcher_advance(tw, 600000);
    submit("o2", sid, "+12025550123", "current", "");
    cr_assert_eq(pwfake_watcher_last_error(tw, "o2", text, sizeof text), PW_ERR_BAD_REQUEST, "expired after 10 minutes");
}

Test(watcher_adhoc, only_local_users_and_known_nodes)
{
    char text[256];
    pwfake_watcher_deliver(tw, "<iq type='set' id='f1' from='mallory@evil.example/x' to='" PWFAKE_WATCHER_JID "'>"
               "<command xmlns='" NS_CMD "' node='enquiry' action='execute'/></iq>");
    cr_assert_eq(pwfake_watcher_last_error(tw, "f1", text, sizeof text), PW_ERR_FORBIDDEN);
    pwfake_watcher_deliver(tw, "<iq type='set' id='f2' from='alice@opa.example/phone' to='" PWFAKE_WATCHER_JID "'>"
               "<command xmlns='" NS_CMD "' node='other' action='execute'/></iq>");
    cr_assert_eq(pwfake_watcher_last_error(tw, "f2", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
}
