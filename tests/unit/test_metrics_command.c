/* test_metrics_command.c: the XEP-0050 command urn:peerwatch:metrics through the component core
 * on the fake transport: an admin gets a completed result form of the figures, a stranger
 * forbidden; the command is discoverable by the admins (XEP-0050 §2.2, §2.3). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/pw_log.h"
#include "core/pw_metrics.h"
#include "xmpp/pw_component.h"
#include "xmpp/pw_metrics_cmd.h"
#include "xmpp/pw_stanza.h"
#include "fake_component.h"

#define JID "hss.opa.example"
#define NS_CMD "http://jabber.org/protocol/commands"

static pwfake_component_t *fc;
static pw_metrics_t *metrics;
static pw_metrics_cmd_t *cmd;

static void setup(void)
{
    static char *const admins[] = { "Ops@opa.example", "noc@opa.example" };
    pw_component_opts_t o = { .jid = JID, .name = "peerwatch-hss" };

    pw_log_setup("test-metrics-command", PW_LOG_ERROR);
    cr_assert_eq(pw_metrics_create(&metrics, "peerwatch-hss"), PW_OK);
    o.metrics = metrics;
    cr_assert_eq(pwfake_component_create_opts(&fc, &o), PW_OK);
    pw_counter_add(pw_metrics_counter(metrics, "t_lookups_total", "subscriber lookups", "outcome=\"found\""), 7);
    pw_histogram_observe(pw_metrics_histogram(metrics, "t_lookup_seconds", "lookup time", NULL, NULL, 0), 0.25);
    cr_assert_eq(pw_metrics_cmd_create(&cmd, fc->comp, metrics, admins, 2), PW_OK);
    pwfake_transport_up(fc->fake);
}

static void teardown(void)
{
    pwfake_component_destroy(fc);
    pw_metrics_cmd_destroy(cmd);
    pw_metrics_destroy(metrics);
}

TestSuite(metrics_command, .init = setup, .fini = teardown);

static void execute(const char *id, const char *from)
{
    pwfake_component_deliver(fc, "<iq type='set' id='%s' from='%s' to='" JID "'>"
                             "<command xmlns='" NS_CMD "' node='urn:peerwatch:metrics' action='execute'/></iq>",
                             id, from);
}

/* The value of the form field var, or NULL. */
static const char *field_value(xmpp_stanza_t *x, const char *var, const char **label)
{
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        const char *v = xmpp_stanza_get_attribute(f, "var");
        if (v && strcmp(v, var) == 0) {
            xmpp_stanza_t *value = xmpp_stanza_get_child_by_name(f, "value");
            if (label)
                *label = xmpp_stanza_get_attribute(f, "label");
            return value ? xmpp_stanza_get_text_ptr(xmpp_stanza_get_children(value)) : NULL;
        }
    }
    return NULL;
}

Test(metrics_command, an_admin_gets_the_figures)
{
    xmpp_stanza_t *answer, *command, *x;
    const char *label = NULL;

    execute("m1", "ops@OPA.example/laptop");
    answer = pwfake_transport_last(fc->fake);
    cr_assert_str_eq(pwfake_attr(answer, "type"), "result");
    cr_assert_str_eq(pwfake_attr(answer, "id"), "m1");
    command = xmpp_stanza_get_child_by_name_and_ns(answer, "command", NS_CMD);
    cr_assert_not_null(command);
    cr_assert_str_eq(pwfake_attr(command, "status"), "completed");
    cr_assert_str_eq(pwfake_attr(command, "node"), "urn:peerwatch:metrics");
    cr_assert_not_null(xmpp_stanza_get_attribute(command, "sessionid"));
    x = xmpp_stanza_get_child_by_name_and_ns(command, "x", "jabber:x:data");
    cr_assert_not_null(x);
    cr_assert_str_eq(pwfake_attr(x, "type"), "result");
    cr_assert_str_eq(field_value(x, "t_lookups_total{outcome=\"found\"}", &label), "7");
    cr_assert_str_eq(label, "subscriber lookups (outcome=found)", "the label says which series");
    cr_assert_str_eq(field_value(x, "peerwatch_up{program=\"peerwatch-hss\"}", NULL), "1");
    cr_assert_str_eq(field_value(x, "t_lookup_seconds_count", &label), "1");
    cr_assert_str_eq(label, "lookup time: number of observations", "a histogram's two figures say which");
    cr_assert_str_eq(field_value(x, "t_lookup_seconds_sum", &label), "0.25");
    cr_assert_str_eq(label, "lookup time: sum of observations");
    cr_assert_str_eq(field_value(x, "peerwatch_stanzas_received_total{kind=\"iq\"}", NULL), "1",
                     "the component counts the command's own IQ");
    cr_assert_str_eq(field_value(x, "peerwatch_connected", NULL), "1");
    cr_assert_str_eq(field_value(x, "peerwatch_iq_pending", NULL), "0");
}

Test(metrics_command, a_stranger_is_forbidden)
{
    char text[256] = "";
    xmpp_stanza_t *answer;

    execute("m2", "mallory@evil.example/x");
    answer = pwfake_transport_last(fc->fake);
    cr_assert_str_eq(pwfake_attr(answer, "type"), "error");
    cr_assert_eq(pw_stanza_error_parse(answer, text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert_not_null(strstr(text, "[metrics] admins"), "a readable text: %s", text);
    execute("m3", "opa.example");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(fc->fake), text, sizeof text), PW_ERR_FORBIDDEN,
                 "a server is not an admin");
    execute("m4", "ops@opa.example.evil/x");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(fc->fake), text, sizeof text), PW_ERR_FORBIDDEN,
                 "the whole bare JID must match");
}

Test(metrics_command, unknown_nodes_are_not_found)
{
    char text[256];
    pwfake_component_deliver(fc, "<iq type='set' id='n1' from='ops@opa.example/x' to='" JID "'>"
                             "<command xmlns='" NS_CMD "' node='other' action='execute'/></iq>");
    cr_assert_eq(pw_stanza_error_parse(pwfake_transport_last(fc->fake), text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
}

Test(metrics_command, the_command_is_discoverable)
{
    xmpp_stanza_t *q, *item, *identity;
    int feature = 0;

    pwfake_component_deliver(fc, "<iq type='get' id='d1' from='ops@opa.example/x' to='" JID "'>"
                             "<query xmlns='http://jabber.org/protocol/disco#items' node='" NS_CMD "'/></iq>");
    q = pw_stanza_payload(pwfake_transport_last(fc->fake));
    item = xmpp_stanza_get_child_by_name(q, "item");
    cr_assert_not_null(item);
    cr_assert_str_eq(pwfake_attr(item, "node"), "urn:peerwatch:metrics");
    cr_assert_str_eq(pwfake_attr(item, "name"), "Peerwatch metrics");
    cr_assert_str_eq(pwfake_attr(item, "jid"), JID);
    pwfake_component_deliver(fc, "<iq type='get' id='d1b' from='alice@opa.example/x' to='" JID "'>"
                             "<query xmlns='http://jabber.org/protocol/disco#items' node='" NS_CMD "'/></iq>");
    cr_assert_null(xmpp_stanza_get_child_by_name(pw_stanza_payload(pwfake_transport_last(fc->fake)), "item"),
                   "a user who is no admin does not see the command listed (XEP-0050 §2.2)");
    pwfake_component_deliver(fc, "<iq type='get' id='d2' from='ops@opa.example/x' to='" JID "'>"
                             "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    cr_assert_null(xmpp_stanza_get_child_by_name(pw_stanza_payload(pwfake_transport_last(fc->fake)), "item"),
                   "not in the component's own items unless asked");
    pwfake_component_deliver(fc, "<iq type='get' id='d3' from='ops@opa.example/x' to='" JID "'>"
                             "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = pw_stanza_payload(pwfake_transport_last(fc->fake));
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(q); f; f = xmpp_stanza_get_next(f))
        feature += xmpp_stanza_get_attribute(f, "var") && strcmp(xmpp_stanza_get_attribute(f, "var"), NS_CMD) == 0;
    cr_assert_eq(feature, 1, "the commands feature, once");
    pwfake_component_deliver(fc, "<iq type='get' id='d4' from='ops@opa.example/x' to='" JID "'>"
                             "<query xmlns='http://jabber.org/protocol/disco#info' node='urn:peerwatch:metrics'/></iq>");
    q = pw_stanza_payload(pwfake_transport_last(fc->fake));
    identity = xmpp_stanza_get_child_by_name(q, "identity");
    cr_assert_not_null(identity);
    cr_assert_str_eq(pwfake_attr(identity, "category"), "automation");
    cr_assert_str_eq(pwfake_attr(identity, "type"), "command-node");
}

static void role_handler(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    (void)payload;
    (void)arg;
    pw_component_reply_result(c, iq);
}

Test(metrics_command, a_role_owning_the_namespace_keeps_it)
{
    pwfake_component_t *other = NULL;
    pw_metrics_cmd_t *refused = NULL;
    cr_assert_eq(pwfake_component_create(&other, "ps.opa.example"), PW_OK);
    cr_assert_eq(pw_component_on_iq(other->comp, NS_CMD, "command", PW_IQ_SET, role_handler, NULL), PW_OK);
    cr_assert_eq(pw_metrics_cmd_create(&refused, other->comp, metrics, NULL, 0), PW_EEXIST);
    cr_assert_null(refused);
    pwfake_component_destroy(other);
}
