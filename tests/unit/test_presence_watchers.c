/* test_presence_watchers.c: the 'watchers' ad-hoc command (XEP-0050, XEP-0004 result form): a user lists who watches him. */
#include "pw_subs.h"
#include "test_presence_util.h"

TestSuite(presence_watchers, .fini = tp_stop);

#define NS_CMD "http://jabber.org/protocol/commands"

static void execute(const char *id, const char *from, const char *node)
{
    tp_deliver("<iq type='set' id='%s' from='%s' to='" TP_JID "'>"
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

    tp_start(NULL);
    tp_subscribe("s1", "changes", TP_BOTH);
    pw_cdr_time_format(TP_EPOCH_MS + tp_now, since);
    execute("w1", "bob@opb.example/phone", "watchers");
    a = tp_answer("w1");
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
    cmd = xmpp_stanza_get_child_by_name_and_ns(tp_answer("w2"), "command", NS_CMD);
    cr_assert_not_null(cmd);
    x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", "jabber:x:data");
    cr_assert_null(xmpp_stanza_get_child_by_name(x, "item"), "only his own watchers");
    tp_stop();
}

Test(presence_watchers, others_are_refused)
{
    char text[256];
    tp_start(NULL);
    tp_subscribe("s1", "changes", TP_BOTH);
    execute("f1", "eve@opc.example/x", "watchers");
    cr_assert_eq(tp_error("f1", text, sizeof text), PW_ERR_FORBIDDEN);
    execute("f2", "opb.example", "watchers");
    cr_assert_eq(tp_error("f2", text, sizeof text), PW_ERR_FORBIDDEN, "a server is not a user");
    execute("f3", "bob@opb.example/phone", "other");
    cr_assert_eq(tp_error("f3", text, sizeof text), PW_ERR_ITEM_NOT_FOUND);
    tp_deliver("<iq type='set' id='f4' from='bob@opb.example/phone' to='" TP_JID "'>"
               "<command xmlns='" NS_CMD "' node='watchers' action='next'/></iq>");
    cr_assert_eq(tp_error("f4", text, sizeof text), PW_ERR_BAD_REQUEST);
    tp_deliver("<iq type='set' id='f5' from='bob@opb.example/phone' to='" TP_JID "'>"
               "<command xmlns='" NS_CMD "' node='watchers' action='cancel' sessionid='x'/></iq>");
    cr_assert_str_eq(xmpp_stanza_get_attribute(xmpp_stanza_get_child_by_name(tp_answer("f5"), "command"), "status"),
                     "canceled");
    tp_stop();
}

Test(presence_watchers, the_command_is_advertised)
{
    xmpp_stanza_t *q, *it;
    int feature = 0;
    tp_start(NULL);
    tp_deliver("<iq type='get' id='d1' from='bob@opb.example/phone' to='" TP_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items' node='" NS_CMD "'/></iq>");
    q = xmpp_stanza_get_child_by_name(tp_answer("d1"), "query");
    cr_assert_not_null(q);
    it = xmpp_stanza_get_child_by_name(q, "item");
    cr_assert_not_null(it);
    cr_assert_str_eq(xmpp_stanza_get_attribute(it, "node"), "watchers");
    cr_assert_str_eq(xmpp_stanza_get_attribute(it, "jid"), TP_JID);
    tp_deliver("<iq type='get' id='d2' from='bob@opb.example/phone' to='" TP_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    q = xmpp_stanza_get_child_by_name(tp_answer("d2"), "query");
    cr_assert_null(xmpp_stanza_get_child_by_name(q, "item"));
    tp_deliver("<iq type='get' id='d3' from='bob@opb.example/phone' to='" TP_JID "'>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    q = xmpp_stanza_get_child_by_name(tp_answer("d3"), "query");
    for (it = xmpp_stanza_get_children(q); it; it = xmpp_stanza_get_next(it)) {
        const char *var = xmpp_stanza_get_attribute(it, "var");
        feature |= var && strcmp(var, NS_CMD) == 0;
    }
    cr_assert(feature, "the commands feature is in disco#info");
    tp_stop();
}
