/* test_presence_watchers.c: the 'watchers' ad-hoc command (XEP-0050, XEP-0004 result form): a user lists who watches him. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pw_subs.h"
#include "presence_driver.h"

/* The Presence Server under test (Criterion's .fini takes no argument: one per file). */
static pwfake_presence_t pd;

static void stop_driver(void)
{
    pwfake_presence_stop(&pd);
}

TestSuite(presence_watchers, .fini = stop_driver);

#define NS_CMD "http://jabber.org/protocol/commands"

static void execute(const char *id, const char *from, const char *node)
{
    pwfake_presence_deliver(&pd, "<iq type='set' id='%s' from='%s' to='" PWFAKE_PRESENCE_JID "'>"
               "<command xmlns='" NS_CMD "' node='%s' action='execute'/></iq>", id, from, node);
}

/* The value of field var in a form item. */
static const char *value(xmpp_stanza_t *item, const char *var, char *buf, size_t cap)
{
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(item); f; f = xmpp_stanza_get_next(f)) {
        const char *v = xmpp_stanza_get_attribute(f, "var");
        if (v && strcmp(v, var) == 0)
            return pw_stanza_child_text(f, "value", NULL, buf, cap);
    }
    buf[0] = '\0';
    return buf;
}

Test(presence_watchers, a_user_lists_his_own_watchers)
{
    xmpp_stanza_t *a, *cmd, *x, *item;
    char buf[256], since[PW_CDR_TIME_TEXT];
    size_t items = 0;

    pwfake_presence_start(&pd, NULL);
    pwfake_presence_subscribe(&pd, "s1", "changes", PWFAKE_PRESENCE_BOTH);
    pw_cdr_time_format(PWFAKE_PRESENCE_EPOCH_MS + pd.now, since);
    execute("w1", "bob@opb.example/phone", "watchers");
    a = pwfake_presence_answer(&pd, "w1");
    cr_assert_not_null(a);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "result");
    cmd = xmpp_stanza_get_child_by_name_and_ns(a, "command", NS_CMD);
    cr_assert_not_null(cmd);
    cr_assert_str_eq(xmpp_stanza_get_attribute(cmd, "status"), "completed");
    cr_assert_str_eq(xmpp_stanza_get_attribute(cmd, "node"), "watchers");
    cr_assert_not_null(xmpp_stanza_get_attribute(cmd, "sessionid"));
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_not_null(x);
    cr_assert_str_eq(xmpp_stanza_get_attribute(x, "type"), "result");
    cr_assert_not_null(xmpp_stanza_get_child_by_name(x, "reported"));
    for (item = xmpp_stanza_get_children(x); item; item = xmpp_stanza_get_next(item)) {
        if (!xmpp_stanza_get_name(item) || strcmp(xmpp_stanza_get_name(item), "item") != 0)
            continue;
        items++;
        cr_assert_str_eq(value(item, "watcher-msisdn", buf, sizeof buf), "+447700900001");
        cr_assert_str_eq(value(item, "watcher-jid", buf, sizeof buf), "alice@opa.example");
        cr_assert_str_eq(value(item, "network", buf, sizeof buf), "opa.example");
        cr_assert_str_eq(value(item, "kind", buf, sizeof buf), "changes");
        cr_assert_str_eq(value(item, "since", buf, sizeof buf), since);
        cr_assert_neq(value(item, "expires", buf, sizeof buf)[0], '\0');
    }
    cr_assert_eq(items, 1);

    /* a local user nobody watches: an empty list */
    execute("w2", "carol@opb.example/pc", "watchers");
    cmd = xmpp_stanza_get_child_by_name_and_ns(pwfake_presence_answer(&pd, "w2"), "command", NS_CMD);
    cr_assert_not_null(cmd);
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_null(xmpp_stanza_get_child_by_name(x, "item"), "only his own watchers");
    pwfake_presence_stop(&pd);
}

Test(presence_watchers, others_are_refused)
{
    char text[256];
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_subscribe(&pd, "s1", "changes", PWFAKE_PRESENCE_BOTH);
    execute("f1", "eve@opc.example/x", "watchers");
    cr_assert_eq(pwfake_presence_error(&pd, "f1", text, sizeof text), PW_ERR_FORBIDDEN);
    execute("f2", "opb.example", "watchers");
    cr_assert_eq(pwfake_presence_error(&pd, "f2", text, sizeof text), PW_ERR_FORBIDDEN, "a server is not a user");
    execute("f3", "bob@opb.example/phone", "other");
    cr_assert_eq(pwfake_presence_error(&pd, "f3", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    pwfake_presence_deliver(&pd, "<iq type='set' id='f4' from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'>"
               "<command xmlns='" NS_CMD "' node='watchers' action='next'/></iq>");
    cr_assert_eq(pwfake_presence_error(&pd, "f4", text, sizeof text), PW_ERR_BAD_REQUEST);
    pwfake_presence_deliver(&pd, "<iq type='set' id='f5' from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'>"
               "<command xmlns='" NS_CMD "' node='watchers' action='cancel' sessionid='x'/></iq>");
    cr_assert_str_eq(xmpp_stanza_get_attribute(xmpp_stanza_get_child_by_name(pwfake_presence_answer(&pd, "f5"), "command"), "status"),
                     "canceled");
    pwfake_presence_stop(&pd);
}

Test(presence_watchers, the_command_is_advertised)
{
    xmpp_stanza_t *q, *it;
    int feature = 0;
    pwfake_presence_start(&pd, NULL);
    pwfake_presence_deliver(&pd, "<iq type='get' id='d1' from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' node='" NS_CMD "'/></iq>");
    q = xmpp_stanza_get_child_by_name(pwfake_presence_answer(&pd, "d1"), "query");
    cr_assert_not_null(q);
    it = xmpp_stanza_get_child_by_name(q, "item");
    cr_assert_not_null(it);
    cr_assert_str_eq(xmpp_stanza_get_attribute(it, "node"), "watchers");
    cr_assert_str_eq(xmpp_stanza_get_attribute(it, "jid"), PWFAKE_PRESENCE_JID);
    pwfake_presence_deliver(&pd, "<iq type='get' id='d2' from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    q = xmpp_stanza_get_child_by_name(pwfake_presence_answer(&pd, "d2"), "query");
    cr_assert_null(xmpp_stanza_get_child_by_name(q, "item"));
    pwfake_presence_deliver(&pd, "<iq type='get' id='d3' from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = xmpp_stanza_get_child_by_name(pwfake_presence_answer(&pd, "d3"), "query");
    for (it = xmpp_stanza_get_children(q); it; it = xmpp_stanza_get_next(it)) {
        const char *var = xmpp_stanza_get_attribute(it, "var");
        feature |= var && strcmp(var, NS_CMD) == 0;
    }
    cr_assert(feature, "the commands feature is in disco#info");
    pwfake_presence_stop(&pd);
}
