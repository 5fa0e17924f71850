/* test_hss_flow.c: the HSS role driven through its public API on the fake transport: lookups by MSISDN and JID, refusals, the SIGHUP reload. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hss.h"
#include "chain/pw_hss.h"
#include "core/pw_log.h"
#include "fake_transport.h"

#define HSS_JID "hss.opa.example"

static const char subscribers[] =
    "+447700900001   alice@opa.example   ps1.opa.example     active  prepaid   100\n"
    "+447700900003   dave@opa.example    ps1.opa.example     barred  prepaid   50\n"
    "+12025550123    bob@opb.example     ps2.opb.example     active  postpaid  -\n";

/* Everything one test needs; Criterion's .init/.fini reach it through this one pointer. */
typedef struct hss_fixture {
    char dir[64], path[128];
    char *allow[2];
    hss_settings_t settings;
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;
    pw_component_t *comp;
    hss_t *hss;
} hss_fixture_t;

static hss_fixture_t *fx;

static void write_subscribers(const char *text)
{
    char tmp[160];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.new", fx->path);
    f = fopen(tmp, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fputs(text, f) >= 0, 1);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(rename(tmp, fx->path), 0);
}

static void setup(void)
{
    pw_component_opts_t o = { .jid = HSS_JID, .name = "peerwatch-hss", .version = "9.9",
                              .disco_category = "directory", .disco_type = "user",
                              .disco_name = "Peerwatch HSS", .iq_timeout_ms = 5000 };
    pw_log_setup("test-hss-flow", PW_LOG_ERROR);
    fx = calloc(1, sizeof *fx);
    cr_assert_not_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_hss_flow.XXXXXX");
    cr_assert_not_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/hss.subscribers", fx->dir);
    write_subscribers(subscribers);
    fx->allow[0] = "watcher.opa.example";
    fx->allow[1] = "gateway.opa.example";
    fx->settings.subscribers = fx->path;
    fx->settings.allow.n = 2;
    fx->settings.allow.items = fx->allow;

    cr_assert_eq(pw_loop_create(&fx->loop), PW_OK);
    xmpp_initialize();
    fx->ctx = xmpp_ctx_new(NULL, NULL);
    fx->fake = pwfake_transport_create(fx->ctx);
    cr_assert_eq(pw_component_create(&fx->comp, fx->loop, fx->ctx, &o, pwfake_transport_base(fx->fake)),
                 PW_OK);
    pwfake_transport_up(fx->fake);
    cr_assert_eq(hss_create(&fx->hss, fx->comp, &fx->settings), PW_OK);
}

static void teardown(void)
{
    char p[160];
    hss_destroy(fx->hss);
    pw_component_destroy(fx->comp);
    xmpp_ctx_free(fx->ctx);
    xmpp_shutdown();
    pw_loop_destroy(fx->loop);
    unlink(fx->path);
    snprintf(p, sizeof p, "%s.new", fx->path);
    unlink(p);
    rmdir(fx->dir);
    free(fx);
    fx = NULL;
}

TestSuite(hss_flow, .init = setup, .fini = teardown);

static const char *attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

/* Deliver <lookup/> with the given attributes (XML text) from 'from'; @return the one answer. */
static xmpp_stanza_t *lookup(const char *from, const char *attrs)
{
    char xml[1024];
    size_t before = pwfake_transport_sent_count(fx->fake);
    snprintf(xml, sizeof xml,
             "<iq type='get' id='h1' from='%s' to='" HSS_JID "'><lookup xmlns='" PW_HSS_NS "' %s/></iq>",
             from, attrs);
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fake, xml), 0);
    cr_assert_eq(pwfake_transport_sent_count(fx->fake), before + 1, "one answer per lookup");
    xmpp_stanza_t *s = pwfake_transport_last(fx->fake);
    cr_assert_str_eq(attr(s, "id"), "h1");
    cr_assert_str_eq(attr(s, "to"), from);
    return s;
}

static xmpp_stanza_t *result_record(xmpp_stanza_t *answer)
{
    cr_assert_str_eq(attr(answer, "type"), "result");
    xmpp_stanza_t *sub = xmpp_stanza_get_child_by_name_and_ns(answer, "subscriber", PW_HSS_NS);
    cr_assert_not_null(sub);
    return sub;
}

static pw_error_t error_of(xmpp_stanza_t *answer, char *text, size_t cap)
{
    cr_assert_str_eq(attr(answer, "type"), "error");
    return pw_stanza_error_parse(answer, text, cap);
}

/* The <subscriber/> as the HSS built it before pw_hss_record_build(), serialized. */
static char *old_answer_text(const char *msisdn, const char *jid, const char *ps, const char *status,
                             const char *account, const char *balance)
{
    xmpp_stanza_t *sub = xmpp_stanza_new(fx->ctx);
    char *buf = NULL;
    size_t len = 0;
    xmpp_stanza_set_name(sub, "subscriber");
    xmpp_stanza_set_ns(sub, PW_HSS_NS);
    xmpp_stanza_set_attribute(sub, "msisdn", msisdn);
    xmpp_stanza_set_attribute(sub, "jid", jid);
    xmpp_stanza_set_attribute(sub, "presence-server", ps);
    xmpp_stanza_set_attribute(sub, "status", status);
    xmpp_stanza_set_attribute(sub, "account", account);
    xmpp_stanza_set_attribute(sub, "balance", balance);
    cr_assert_eq(xmpp_stanza_to_text(sub, &buf, &len), XMPP_EOK);
    xmpp_stanza_release(sub);
    return buf;
}

static void assert_same_text(xmpp_stanza_t *sub, char *expected)
{
    char *buf = NULL;
    size_t len = 0;
    cr_assert_eq(xmpp_stanza_to_text(sub, &buf, &len), XMPP_EOK);
    cr_assert_str_eq(buf, expected, "the answer is byte-for-byte the old one");
    xmpp_free(fx->ctx, buf);
    xmpp_free(fx->ctx, expected);
}

Test(hss_flow, lookup_by_msisdn_answers_the_record)
{
    xmpp_stanza_t *sub = result_record(lookup("gateway.opa.example", "msisdn='+447700900001'"));
    cr_assert_str_eq(attr(sub, "msisdn"), "+447700900001");
    cr_assert_str_eq(attr(sub, "jid"), "alice@opa.example");
    cr_assert_str_eq(attr(sub, "presence-server"), "ps1.opa.example");
    cr_assert_str_eq(attr(sub, "status"), "active");
    cr_assert_str_eq(attr(sub, "account"), "prepaid");
    cr_assert_str_eq(attr(sub, "balance"), "100");
    assert_same_text(sub, old_answer_text("+447700900001", "alice@opa.example", "ps1.opa.example",
                                          "active", "prepaid", "100"));
}

Test(hss_flow, lookup_by_jid_answers_the_record)
{
    /* a full JID is reduced to its bare JID; the domain compares case-insensitively */
    xmpp_stanza_t *sub = result_record(lookup("watcher.opa.example/x", "jid='bob@OPB.example/phone'"));
    cr_assert_str_eq(attr(sub, "msisdn"), "+12025550123");
    cr_assert_str_eq(attr(sub, "jid"), "bob@opb.example");
    cr_assert_str_eq(attr(sub, "presence-server"), "ps2.opb.example");
    cr_assert_str_eq(attr(sub, "status"), "active");
    cr_assert_str_eq(attr(sub, "account"), "postpaid");
    cr_assert_str_eq(attr(sub, "balance"), "0");
    assert_same_text(sub, old_answer_text("+12025550123", "bob@opb.example", "ps2.opb.example",
                                          "active", "postpaid", "0"));
}

Test(hss_flow, barred_subscriber_is_answered_as_barred)
{
    xmpp_stanza_t *sub = result_record(lookup("Watcher.OPA.example", "jid='dave@opa.example'"));
    cr_assert_str_eq(attr(sub, "status"), "barred");
    cr_assert_str_eq(attr(sub, "account"), "prepaid");
    cr_assert_str_eq(attr(sub, "balance"), "50");
    assert_same_text(sub, old_answer_text("+447700900003", "dave@opa.example", "ps1.opa.example",
                                          "barred", "prepaid", "50"));
}

Test(hss_flow, the_answer_parses_back_into_the_record)
{
    pw_hss_record_t r;
    cr_assert_eq(pw_hss_record_parse(lookup("gateway.opa.example", "msisdn='+447700900003'"), &r), PW_OK);
    cr_assert_str_eq(r.msisdn, "+447700900003");
    cr_assert_str_eq(r.jid, "dave@opa.example");
    cr_assert_str_eq(r.presence_server, "ps1.opa.example");
    cr_assert(r.barred && !r.active && r.prepaid && r.has_balance);
    cr_assert_eq(r.balance, 50);
}

Test(hss_flow, unknown_msisdn_is_item_not_found)
{
    char text[256];
    cr_assert_eq(error_of(lookup("gateway.opa.example", "msisdn='+447700900099'"), text, sizeof text),
                 PW_ERR_ITEM_NOT_FOUND);
    cr_assert_str_eq(text, "no subscriber has the number +447700900099");
}

Test(hss_flow, unknown_jid_is_item_not_found)
{
    char text[256];
    cr_assert_eq(error_of(lookup("gateway.opa.example", "jid='carol@opa.example/r'"), text, sizeof text),
                 PW_ERR_ITEM_NOT_FOUND);
    cr_assert_str_eq(text, "no subscriber has the address carol@opa.example");
}

Test(hss_flow, sender_not_allowed_is_forbidden)
{
    char text[256];
    cr_assert_eq(error_of(lookup("alice@opa.example/x", "msisdn='+447700900001'"), text, sizeof text),
                 PW_ERR_FORBIDDEN);
    cr_assert_str_eq(text, "only this operator's own components may query the HSS");
    /* another operator's gateway is not one of ours either */
    cr_assert_eq(error_of(lookup("gateway.opb.example", "msisdn='+447700900001'"), text, sizeof text),
                 PW_ERR_FORBIDDEN);
}

Test(hss_flow, sender_is_checked_before_the_request)
{
    char text[256];
    cr_assert_eq(error_of(lookup("mallory.example", ""), text, sizeof text), PW_ERR_FORBIDDEN);
}

Test(hss_flow, neither_or_both_keys_is_bad_request)
{
    char text[256];
    cr_assert_eq(error_of(lookup("gateway.opa.example", ""), text, sizeof text), PW_ERR_BAD_REQUEST);
    cr_assert_str_eq(text, "a lookup names exactly one of 'msisdn' or 'jid'");
    cr_assert_eq(error_of(lookup("gateway.opa.example", "msisdn='+447700900001' jid='alice@opa.example'"),
                          text, sizeof text),
                 PW_ERR_BAD_REQUEST);
    cr_assert_str_eq(text, "a lookup names exactly one of 'msisdn' or 'jid'");
}

Test(hss_flow, malformed_keys_are_jid_malformed)
{
    char text[256];
    cr_assert_eq(error_of(lookup("gateway.opa.example", "msisdn='07700900001'"), text, sizeof text),
                 PW_ERR_JID_MALFORMED);
    cr_assert_str_eq(text, "'msisdn' must be an E.164 number such as +12025550123");
    cr_assert_eq(error_of(lookup("gateway.opa.example", "jid='opa.example'"), text, sizeof text),
                 PW_ERR_JID_MALFORMED);
    cr_assert_str_eq(text, "'jid' must be a user's bare JID such as alice@opa.example");
    cr_assert_eq(error_of(lookup("gateway.opa.example", "jid='@@'"), text, sizeof text),
                 PW_ERR_JID_MALFORMED);
}

/* Does a lookup of +447700900001 now answer presence server ps? (leaves the answer recorded) */
static int alice_served_by(const char *ps)
{
    xmpp_stanza_t *sub = result_record(lookup("gateway.opa.example", "msisdn='+447700900001'"));
    return strcmp(attr(sub, "presence-server"), ps) == 0;
}

/* Run the loop until alice is served by ps (the new file is in), at most about 10 s. */
static int run_until_alice_served_by(const char *ps)
{
    for (int i = 0; i < 1000; i++) {
        if (alice_served_by(ps))
            return 1;
        pw_loop_run_once(fx->loop, 10);
    }
    return 0;
}

Test(hss_flow, reload_swaps_in_the_new_file)
{
    char text[256];
    write_subscribers("+447700900001 alice@opa.example ps2.opa.example active prepaid 7\n"
                      "+447700900004 erin@opa.example ps1.opa.example active postpaid -\n");
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    cr_assert(run_until_alice_served_by("ps2.opa.example"));
    cr_assert_str_eq(attr(xmpp_stanza_get_child_by_name(pwfake_transport_last(fx->fake), "subscriber"),
                          "balance"), "7");
    result_record(lookup("gateway.opa.example", "jid='erin@opa.example'"));
    cr_assert_eq(error_of(lookup("gateway.opa.example", "jid='dave@opa.example'"), text, sizeof text),
                 PW_ERR_ITEM_NOT_FOUND);
}

Test(hss_flow, refused_file_keeps_the_old_data)
{
    write_subscribers("+447700900001 alice@opa.example ps2.opa.example active prepaid ten\n");
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    for (int i = 0; i < 50; i++) { /* the one-line file is refused at once; serve meanwhile */
        cr_assert(alice_served_by("ps1.opa.example"));
        pw_loop_run_once(fx->loop, 10);
    }
    xmpp_stanza_t *sub = result_record(lookup("gateway.opa.example", "msisdn='+447700900001'"));
    cr_assert_str_eq(attr(sub, "presence-server"), "ps1.opa.example");
    cr_assert_str_eq(attr(sub, "balance"), "100");
    /* and the next good file is taken */
    write_subscribers("+447700900001 alice@opa.example ps3.opa.example active prepaid 1\n");
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    cr_assert(run_until_alice_served_by("ps3.opa.example"));
}

Test(hss_flow, destroy_during_a_reload_is_clean)
{
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK); /* a second SIGHUP during the load */
    /* teardown destroys the HSS with the load in progress */
}

Test(hss_flow, create_refuses_an_unreadable_file)
{
    hss_settings_t s = fx->settings;
    hss_t *h = (hss_t *)&s; /* not NULL, to see it cleared */
    s.subscribers = "/nonexistent/hss.subscribers";
    cr_assert_neq(hss_create(&h, fx->comp, &s), PW_OK);
    cr_assert_null(h);
    cr_assert_eq(hss_create(&h, fx->comp, NULL), PW_EINVAL);
    cr_assert_null(h);
    hss_destroy(NULL);
}

Test(hss_flow, disco_lists_the_lookup_feature)
{
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fake,
                     "<iq type='get' id='d1' from='gateway.opa.example' to='" HSS_JID "'>"
                     "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>"), 0);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(pwfake_transport_last(fx->fake), "query");
    int found = 0;
    for (xmpp_stanza_t *f = q ? xmpp_stanza_get_children(q) : NULL; f; f = xmpp_stanza_get_next(f)) {
        const char *name = xmpp_stanza_get_name(f);
        if (name && strcmp(name, "feature") == 0 && strcmp(attr(f, "var"), PW_HSS_NS) == 0)
            found = 1;
    }
    cr_assert(found);
}
