/* test_client_view.c: what a person sees in a stock XMPP client on the trial (docs/protocol.md
 * §5.2, §5.3, §6): every mistake is answered in words, the ad-hoc result form says what each
 * field is, and service discovery shows what runs. The client is libstrophe, through the
 * users' own servers, exactly as a client sends it. */
#include "chain_util.h"

#include <stdio.h>
#include <string.h>

TestSuite(client_view, .timeout = 120);

/* What a wait matches: a stanza named name, of type type, from the bare JID from. */
typedef struct {
    const char *name, *type, *from;
} expect_t;

static int match_expected(xmpp_stanza_t *s, void *arg)
{
    const expect_t *e = arg;
    const char *type = xmpp_stanza_get_type(s), *from = xmpp_stanza_get_from(s);
    return strcmp(xmpp_stanza_get_name(s), e->name) == 0 && type && strcmp(type, e->type) == 0 &&
           from && strncmp(from, e->from, strlen(e->from)) == 0;
}

/* alice as a stock client logs in: she fetches her roster (Prosody tells subscription answers
 * only to resources that did, RFC 6121 §2.1.6) and becomes available. */
static pwt_client_t *alice_online(void)
{
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r = pwt_client_iq(alice, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>", 10000);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "the roster");
    xmpp_stanza_release(r);
    chain_present(alice, NULL, NULL, 0);
    return alice;
}

/* alice adds contact to her roster; @return the status of the 'unsubscribed' that answers */
static const char *subscribe_refused(pwt_client_t *alice, const char *contact, char *status, size_t cap)
{
    expect_t e = { "presence", "unsubscribed", contact };
    xmpp_stanza_t *p;
    char xml[256];

    snprintf(xml, sizeof xml, "<presence type='subscribe' to='%s'/>", contact);
    cr_assert_eq(pwt_client_send_xml(alice, xml), PW_OK);
    p = pwt_client_wait(alice, match_expected, &e, 10000);
    cr_assert_not_null(p, "an answer to the subscription to %s, not silence", contact);
    cr_assert_not_null(pw_stanza_child_text(p, "status", NULL, status, cap), "with a status");
    xmpp_stanza_release(p);
    return status;
}

Test(client_view, a_contact_that_is_no_number_is_refused_in_words)
{
    pwt_client_t *alice = alice_online();
    char status[1024];
    subscribe_refused(alice, "abc@watcher.opa.example", status, sizeof status);
    cr_assert_not_null(strstr(status, "'abc' is not a phone number or an XMPP address"), "%s", status);
    subscribe_refused(alice, "12025550123@watcher.opa.example", status, sizeof status);
    cr_assert_not_null(strstr(status, "'12025550123' is not a phone number"), "without '+': %s", status);
    pwt_client_destroy(alice);
}

Test(client_view, a_formatted_number_names_the_contact_to_add)
{
    pwt_client_t *alice = alice_online();
    char status[1024];
    subscribe_refused(alice, "+1-202-555-0123@watcher.opa.example", status, sizeof status);
    cr_assert_str_eq(status, "'+1-202-555-0123' is +1 202 555 0123: add it as +12025550123@watcher.opa.example, "
                             "the one address its presence comes from");
    pwt_client_destroy(alice);
}

Test(client_view, a_chat_to_a_number_contact_gets_an_error_with_text)
{
    pwt_client_t *alice = alice_online();
    expect_t e = { "message", "error", "+12025550123@watcher.opa.example" };
    xmpp_stanza_t *m;
    char text[1024];

    cr_assert_eq(pwt_client_send_xml(alice, "<message type='chat' id='chat1' to='+12025550123@watcher.opa.example'>"
                                            "<body>are you there?</body></message>"), PW_OK);
    m = pwt_client_wait(alice, match_expected, &e, 10000);
    cr_assert_not_null(m, "the message is answered, not dropped");
    cr_assert_str_eq(xmpp_stanza_get_id(m), "chat1");
    cr_assert_eq(pw_stanza_error_parse(m, text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert_str_eq(text, "+1 202 555 0123 is a presence contact: it shows that person's presence and cannot "
                           "carry messages");
    xmpp_stanza_release(m);
    pwt_client_destroy(alice);
}

Test(client_view, asking_about_oneself_is_bad_request_in_words)
{
    char text[512];
    /* alice is +447700900001; the trial's watcher has country_code 44 */
    cr_assert_eq(chain_refused("alice", "address='07700900001' kind='current'", text, sizeof text),
                 PW_ERR_BAD_REQUEST, "%s", text);
    cr_assert_str_eq(text, "+44 7700900001 is you: your own presence is what your client shows, nothing to ask");
}

/* The field var of a data form (NULL when absent). */
static xmpp_stanza_t *form_field(xmpp_stanza_t *x, const char *var)
{
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        const char *v = xmpp_stanza_is_tag(f) ? xmpp_stanza_get_attribute(f, "var") : NULL;
        if (v && strcmp(v, var) == 0)
            return f;
    }
    return NULL;
}

Test(client_view, the_command_result_form_says_what_each_field_is)
{
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r, *cmd, *x;
    char sid[128], value[256];
    int fields = 0;

    r = pwt_client_iq(alice, "<iq type='set' to='watcher.opa.example'><command xmlns='http://jabber.org/protocol/commands' "
                             "node='enquiry' action='execute'/></iq>", 10000);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    snprintf(sid, sizeof sid, "%s", chain_attr(pw_stanza_payload(r), "sessionid"));
    xmpp_stanza_release(r);
    r = pwt_client_iqf(alice, 30000, "<iq type='set' to='watcher.opa.example'><command "
                       "xmlns='http://jabber.org/protocol/commands' node='enquiry' sessionid='%s'>"
                       "<x xmlns='jabber:x:data' type='submit'>"
                       "<field var='address'><value>+12025550123</value></field>"
                       "<field var='kind'><value>changes</value></field>"
                       "<field var='duration'><value>7200</value></field></x></command></iq>", sid);
    cmd = pw_stanza_payload(r);
    cr_assert_str_eq(chain_attr(cmd, "status"), "completed");
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_not_null(x, "a result form");
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        if (!xmpp_stanza_is_tag(f) || strcmp(xmpp_stanza_get_name(f), "field") != 0)
            continue;
        fields++;
        cr_assert_not_null(xmpp_stanza_get_attribute(f, "type"), "%s has a type", chain_attr(f, "var"));
        cr_assert_not_null(xmpp_stanza_get_attribute(f, "label"), "%s has a label", chain_attr(f, "var"));
    }
    cr_assert_geq(fields, 5);
    pw_stanza_child_text(form_field(x, "until"), "value", NULL, value, sizeof value);
    cr_assert_not_null(strstr(value, " UTC on "), "%s", value);
    cr_assert_not_null(strstr(value, "(in 2 hours)"), "%s", value);
    pw_stanza_child_text(cmd, "note", NULL, value, sizeof value);
    cr_assert_not_null(strstr(value, "+1 202 555 0123 is now"), "%s", value);
    xmpp_stanza_release(r);
    r = chain_enquire(alice, "address='+12025550123' kind='stop'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "stopped again");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}

/* The jid (and node) of every item of a disco#items answer, space-separated. */
static const char *items_of(pwt_client_t *c, const char *to, char *buf, size_t cap)
{
    xmpp_stanza_t *r = pwt_client_iqf(c, 10000, "<iq type='get' to='%s'><query "
                                      "xmlns='http://jabber.org/protocol/disco#items'/></iq>", to);
    size_t n = 0;
    buf[0] = '\0';
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "disco#items of %s", to);
    for (xmpp_stanza_t *i = xmpp_stanza_get_children(pw_stanza_payload(r)); i; i = xmpp_stanza_get_next(i)) {
        const char *node = xmpp_stanza_is_tag(i) ? xmpp_stanza_get_attribute(i, "node") : NULL;
        if (xmpp_stanza_is_tag(i) && n < cap)
            n += (size_t)snprintf(buf + n, cap - n, " %s%s%s", chain_attr(i, "jid"), node ? "#" : "", node ? node : "");
    }
    xmpp_stanza_release(r);
    return buf;
}

Test(client_view, service_discovery_shows_what_runs)
{
    pwt_client_t *alice = chain_login("alice");
    char items[1024];

    items_of(alice, "watcher.opa.example", items, sizeof items);
    cr_assert_str_eq(items, " watcher.opa.example#enquiry", "the WA lists its command");
    items_of(alice, "opa.example", items, sizeof items);
    for (const char *const *c = (const char *const[]){ "watcher", "proxy", "gateway", "hss", "ps1", NULL }; *c; c++) {
        char jid[64];
        snprintf(jid, sizeof jid, " %s.opa.example", *c);
        cr_assert_not_null(strstr(items, jid), "%s is listed: %s", jid, items);
    }
    cr_assert_null(strstr(items, "ps2."), "no presence server that does not run: %s", items);
    cr_assert_null(strstr(items, "bench"), "no benchmark relays: %s", items);
    pwt_client_destroy(alice);
}

/* The value of the form field VAR of a completed command, or NULL. */
static const char *field_value(xmpp_stanza_t *command, const char *var)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name(command, "x");
    for (xmpp_stanza_t *f = x ? xmpp_stanza_get_children(x) : NULL; f; f = xmpp_stanza_get_next(f)) {
        const char *v = xmpp_stanza_is_tag(f) ? xmpp_stanza_get_attribute(f, "var") : NULL;
        xmpp_stanza_t *value = v && strcmp(v, var) == 0 ? xmpp_stanza_get_child_by_name(f, "value") : NULL;
        if (value) {
            static char text[256];
            char *t = xmpp_stanza_get_text(value);
            snprintf(text, sizeof text, "%s", t ? t : "");
            xmpp_free(xmpp_stanza_get_context(value), t);
            return text;
        }
    }
    return NULL;
}

/* The operator's NOC (dave, in the trial's [metrics] admins) finds the metrics command and runs
 * it from a client; a user who is no admin neither sees it nor may run it. */
Test(client_view, an_admin_reads_the_figures_through_the_metrics_command)
{
    pwt_client_t *dave = chain_login("dave"), *alice = chain_login("alice");
    const char *run = "<iq type='set' to='watcher.opa.example'><command "
                      "xmlns='http://jabber.org/protocol/commands' node='urn:peerwatch:metrics' "
                      "action='execute'/></iq>";
    char items[1024], text[512];
    const char *up;
    xmpp_stanza_t *r;

    items_of(dave, "watcher.opa.example", items, sizeof items);
    cr_assert_str_eq(items, " watcher.opa.example#enquiry watcher.opa.example#urn:peerwatch:metrics",
                     "the admin sees the metrics command too");
    r = pwt_client_iq(dave, run, 10000);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "the admin runs it");
    cr_assert_str_eq(xmpp_stanza_get_attribute(pw_stanza_payload(r), "status"), "completed");
    up = field_value(pw_stanza_payload(r), "peerwatch_up{program=\"peerwatch-watcher\"}");
    cr_assert_not_null(up, "the form holds peerwatch_up of the watcher");
    cr_assert_str_eq(up, "1");
    cr_assert_not_null(field_value(pw_stanza_payload(r), "peerwatch_stanzas_received_total{kind=\"iq\"}"),
                       "and the component's figures");
    xmpp_stanza_release(r);
    r = pwt_client_iq(alice, run, 10000);
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_FORBIDDEN, "a user who is no admin may not");
    cr_assert_not_null(strstr(text, "admins"), "and is told why: %s", text);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
    pwt_client_destroy(dave);
}

Test(client_view, a_registration_request_says_what_the_watcher_offers)
{
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r = pwt_client_iq(alice, "<iq type='get' to='watcher.opa.example'>"
                                            "<query xmlns='jabber:iq:register'/></iq>", 10000);
    char text[512];
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_SERVICE_UNAVAILABLE);
    cr_assert_neq(text[0], '\0', "with a text");
    xmpp_stanza_release(r);
    r = pwt_client_iq(alice, "<iq type='get' to='watcher.opa.example'><query xmlns='jabber:iq:gateway'/></iq>", 10000);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "XEP-0100 address translation is what it offers");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}

/* Whether the file at path holds text. */
static int file_holds(const char *path, const char *text)
{
    char line[4096];
    int found = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    cr_assert_not_null(f, "%s readable", path ? path : "(no path)");
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

Test(client_view, an_address_of_ones_own_operator_is_served_within_it)
{
    /* carol is alice's fellow subscriber at opa.example (+447700900002), and has no item for
     * alice: her own presence server answers, after asking her; nothing goes to operator B */
    pwt_client_t *alice = chain_login("alice");
    xmpp_stanza_t *r = chain_enquire(alice, "address='+447700900002' kind='current'");
    char text[512];
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_SUBSCRIPTION_REQUIRED, "%s", text);
    cr_assert(file_holds(pwt_trialenv("OPA_PROXY_LOG"), "network opa.example, sent to gateway +447700900002@gateway.opa.example"),
              "A's proxy sends it to A's own gateway");
    cr_assert(!file_holds(pwt_trialenv("OPB_GATEWAY_LOG"), "+447700900002"), "B never sees it");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}
