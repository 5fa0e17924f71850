/* test_xml_text.c: XML written as text (pw_xml_text): escaping of & < > " ' and non-ASCII, elements, growth, and a <notify/> written as text (and the tree pw_notify_build() reads back from it) giving every field back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "chain/pw_enquiry.h"
#include "xmpp/pw_xml_text.h"

static xmpp_ctx_t *ctx;
static pw_xml_text_t x;

static void setup(void)
{
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    memset(&x, 0, sizeof x);
}

static void teardown(void)
{
    pw_xml_text_free(&x);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
}

TestSuite(xml_text, .init = setup, .fini = teardown);

Test(xml_text, escapes_the_five_specials_in_attributes_and_text)
{
    pw_xml_text_open(&x, "a");
    pw_xml_text_attr(&x, "v", "x&y<z>\"q\"'s'");
    pw_xml_text_start_end(&x);
    pw_xml_text_chars(&x, "1 < 2 & 3 > 2 \"'");
    pw_xml_text_close(&x, "a");
    cr_assert_eq(x.failed, 0);
    cr_assert_str_eq(x.buf, "<a v=\"x&amp;y&lt;z&gt;&quot;q&quot;&apos;s&apos;\">"
                            "1 &lt; 2 &amp; 3 &gt; 2 &quot;&apos;</a>");
    cr_assert_eq(x.len, strlen(x.buf));
}

Test(xml_text, passes_non_ascii_through_and_round_trips_through_a_parser)
{
    const char *v = "Zo\xc3\xab & \xe6\x9d\xb1\xe4\xba\xac <\xf0\x9f\x98\x80>";
    xmpp_stanza_t *st;
    char *body;
    pw_xml_text_open(&x, "m");
    pw_xml_text_attr(&x, "name", v);
    pw_xml_text_start_end(&x);
    pw_xml_text_chars(&x, v);
    pw_xml_text_close(&x, "m");
    cr_assert(strstr(x.buf, "Zo\xc3\xab &amp; \xe6\x9d\xb1\xe4\xba\xac &lt;\xf0\x9f\x98\x80&gt;") != NULL);
    st = xmpp_stanza_new_from_string(ctx, x.buf);
    cr_assert_not_null(st);
    cr_assert_str_eq(xmpp_stanza_get_attribute(st, "name"), v);
    body = xmpp_stanza_get_text(st);
    cr_assert_str_eq(body, v);
    xmpp_free(ctx, body);
    xmpp_stanza_release(st);
}

Test(xml_text, empty_elements_reset_and_growth)
{
    char big[5000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pw_xml_text_open(&x, "e");
    pw_xml_text_empty_end(&x);
    cr_assert_str_eq(x.buf, "<e/>");
    pw_xml_text_reset(&x);
    cr_assert_eq(x.len, 0);
    cr_assert_str_eq(x.buf, "");
    pw_xml_text_open(&x, "e");
    pw_xml_text_attr(&x, "big", big);
    pw_xml_text_empty_end(&x);
    cr_assert_eq(x.failed, 0);
    cr_assert_eq(x.len, strlen("<e big=\"\"/>") + strlen(big));
    cr_assert_eq(strncmp(x.buf + 8, big, strlen(big)), 0);
}

/* A notification parsed back into its fields (asserting it parses). */
static void parsed_fields(xmpp_stanza_t *el, pw_notify_t *out, const char *what)
{
    char why[256];
    cr_assert_not_null(el, "%s: not XML", what);
    cr_assert_str_eq(xmpp_stanza_get_name(el), "notify");
    cr_assert_str_eq(xmpp_stanza_get_ns(el), PW_NS_CHAIN);
    cr_assert_eq(pw_notify_parse(el, out, why, sizeof why), PW_OK, "%s: %s", what, why);
}

/* Every field of n comes back from the text, and from the tree pw_notify_build() makes of it. */
static void same_fields(const pw_notify_t *n, const pw_notify_t *b)
{
    cr_assert_str_eq(b->subscription, n->subscription);
    cr_assert_str_eq(b->ref, n->ref);
    cr_assert_str_eq(b->proxy, n->proxy);
    cr_assert_str_eq(b->watcher_jid, n->watcher_jid);
    cr_assert_str_eq(b->presentity, n->presentity);
    cr_assert_str_eq(b->presentity_jid, n->presentity_jid);
    cr_assert_eq(b->seq, n->seq);
    cr_assert_str_eq(b->ended, n->ended);
    cr_assert_eq(b->has_state, n->has_state);
    if (!n->has_state)
        return;
    cr_assert_eq(b->state.available, n->state.available);
    cr_assert_str_eq(b->state.show, n->state.show);
    cr_assert_str_eq(b->state.status, n->state.status);
}

static void same_notify(const pw_notify_t *n)
{
    xmpp_stanza_t *tree = pw_notify_build(ctx, n), *parsed;
    pw_notify_t a, b;
    pw_xml_text_reset(&x);
    cr_assert_eq(pw_notify_text(n, &x), PW_OK);
    parsed = xmpp_stanza_new_from_string(ctx, x.buf);
    parsed_fields(parsed, &b, x.buf);
    parsed_fields(tree, &a, "pw_notify_build()");
    same_fields(n, &b);
    same_fields(n, &a);
    xmpp_stanza_release(tree);
    xmpp_stanza_release(parsed);
}

Test(xml_text, notify_as_text_matches_the_tree)
{
    pw_notify_t n;
    memset(&n, 0, sizeof n);
    snprintf(n.subscription, sizeof n.subscription, "5b3c1e7a-0d6f-4c55-9a0f-6c51c8b1a2d4");
    snprintf(n.ref, sizeof n.ref, "watcher.opa.example/<7>&'\"");
    snprintf(n.proxy, sizeof n.proxy, "proxy.opa.example");
    snprintf(n.watcher_jid, sizeof n.watcher_jid, "w1@opa.example");
    snprintf(n.presentity, sizeof n.presentity, "+12020000001");
    snprintf(n.presentity_jid, sizeof n.presentity_jid, "u1@opb.example");
    n.seq = 42;
    n.has_state = 1;
    n.state.available = 1;
    snprintf(n.state.show, sizeof n.state.show, "away");
    snprintf(n.state.status, sizeof n.state.status, "In a meeting <until 5> & then \xc3\xa0 l'\xc3\xa9t\xc3\xa9");
    same_notify(&n);
    n.state.status[0] = '\0';
    same_notify(&n);
    n.has_state = 0;
    n.seq = 43;
    snprintf(n.ended, sizeof n.ended, "expired");
    n.presentity[0] = '\0';
    same_notify(&n);
}
