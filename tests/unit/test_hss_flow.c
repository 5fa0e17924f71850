/* test_hss_flow.c: the HSS role driven through its public API on the fake transport: lookups by MSISDN and JID, refusals, the SIGHUP reload. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hss.h"
#include "chain/pw_hss.h"
#include "core/pw_log.h"
#include "fake_component.h"

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
    pwfake_component_t *fc;   /* the component on the fake transport */
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
    cr_assert_eq(pwfake_component_create(&fx->fc, HSS_JID), PW_OK);
    cr_assert_eq(hss_create(&fx->hss, fx->fc->comp, &fx->settings), PW_OK);
}

static void teardown(void)
{
    char p[160];
    hss_destroy(fx->hss);
    pwfake_component_destroy(fx->fc);
    unlink(fx->path);
    snprintf(p, sizeof p, "%s.new", fx->path);
    unlink(p);
    rmdir(fx->dir);
    free(fx);
    fx = NULL;
}

TestSuite(hss_flow, .init = setup, .fini = teardown);

/* Deliver <lookup/> with the given attributes (XML text) from 'from'; @return the one answer. */
static xmpp_stanza_t *lookup(const char *from, const char *attrs)
{
    char xml[1024];
    size_t before = pwfake_transport_sent_count(fx->fc->fake);
    snprintf(xml, sizeof xml,
             "<iq type='get' id='h1' from='%s' to='" HSS_JID "'><lookup xmlns='" PW_HSS_NS "' %s/></iq>",
             from, attrs);
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake, xml), 0);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), before + 1, "one answer per lookup");
    xmpp_stanza_t *s = pwfake_transport_last(fx->fc->fake);
    cr_assert_str_eq(pwfake_attr(s, "id"), "h1");
    cr_assert_str_eq(pwfake_attr(s, "to"), from);
    return s;
}

static xmpp_stanza_t *result_record(xmpp_stanza_t *answer)
{
    cr_assert_str_eq(pwfake_attr(answer, "type"), "result");
    xmpp_stanza_t *sub = xmpp_stanza_get_child_by_name_and_ns(answer, "subscriber", PW_HSS_NS);
    cr_assert_not_null(sub);
    return sub;
}

static pw_error_t error_of(xmpp_stanza_t *answer, char *text, size_t cap)
{
    cr_assert_str_eq(pwfake_attr(answer, "type"), "error");
    return pw_stanza_error_parse(answer, text, cap);
}

/* The expected record, in the order the attributes are set. */
typedef struct expected {
    const char *msisdn, *jid, *presence_server, *status, *account, *balance;
} expected_t;

/* The <subscriber/> as the HSS built it before pw_hss_record_build(), serialized (xmpp_free()). */
static char *old_answer_text(const expected_t *e)
{
    const char *const attrs[][2] = {
        { "msisdn", e->msisdn }, { "jid", e->jid }, { "presence-server", e->presence_server },
        { "status", e->status }, { "account", e->account }, { "balance", e->balance },
    };
    xmpp_stanza_t *sub = xmpp_stanza_new(fx->fc->ctx);
    char *buf = NULL;
    size_t len = 0;
    xmpp_stanza_set_name(sub, "subscriber");
    xmpp_stanza_set_ns(sub, PW_HSS_NS);
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        xmpp_stanza_set_attribute(sub, attrs[i][0], attrs[i][1]);
    cr_assert_eq(xmpp_stanza_to_text(sub, &buf, &len), XMPP_EOK);
    xmpp_stanza_release(sub);
    return buf;
}

/* The answer carries exactly the expected record, byte-for-byte as the HSS answered before. */
static void assert_record(xmpp_stanza_t *answer, const expected_t *e)
{
    xmpp_stanza_t *sub = result_record(answer);
    char *got = NULL, *want = old_answer_text(e);
    size_t len = 0;
    cr_assert_str_eq(pwfake_attr(sub, "msisdn"), e->msisdn);
    cr_assert_str_eq(pwfake_attr(sub, "jid"), e->jid);
    cr_assert_str_eq(pwfake_attr(sub, "presence-server"), e->presence_server);
    cr_assert_str_eq(pwfake_attr(sub, "status"), e->status);
    cr_assert_str_eq(pwfake_attr(sub, "account"), e->account);
    cr_assert_str_eq(pwfake_attr(sub, "balance"), e->balance);
    cr_assert_eq(xmpp_stanza_to_text(sub, &got, &len), XMPP_EOK);
    cr_assert_str_eq(got, want, "the answer is byte-for-byte the old one");
    xmpp_free(fx->fc->ctx, got);
    xmpp_free(fx->fc->ctx, want);
}

static const expected_t alice = { "+447700900001", "alice@opa.example", "ps1.opa.example",
                                  "active", "prepaid", "100" };
static const expected_t dave = { "+447700900003", "dave@opa.example", "ps1.opa.example",
                                 "barred", "prepaid", "50" };
static const expected_t bob = { "+12025550123", "bob@opb.example", "ps2.opb.example",
                                "active", "postpaid", "0" };

Test(hss_flow, lookup_by_msisdn_answers_the_record)
{
    assert_record(lookup("gateway.opa.example", "msisdn='+447700900001'"), &alice);
    assert_record(lookup("gateway.opa.example", "msisdn='+12025550123'"), &bob);
}

Test(hss_flow, lookup_by_jid_answers_the_record)
{
    assert_record(lookup("watcher.opa.example", "jid='alice@opa.example'"), &alice);
    /* a full JID is reduced to its bare JID; the domain compares case-insensitively */
    assert_record(lookup("watcher.opa.example/x", "jid='bob@OPB.example/phone'"), &bob);
}

Test(hss_flow, barred_subscriber_is_answered_as_barred)
{
    assert_record(lookup("Watcher.OPA.example", "jid='dave@opa.example'"), &dave);
    assert_record(lookup("gateway.opa.example", "msisdn='+447700900003'"), &dave);
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

/* The lookup from 'from' is refused with cond and the readable text. */
static void assert_refused(const char *from, const char *attrs, pw_error_t cond, const char *text)
{
    char got[256];
    cr_assert_eq(error_of(lookup(from, attrs), got, sizeof got), cond, "%s from %s", attrs, from);
    cr_assert_str_eq(got, text);
}

Test(hss_flow, unknown_msisdn_is_item_not_found)
{
    assert_refused("gateway.opa.example", "msisdn='+447700900099'", PW_ERR_ITEM_NOT_FOUND,
                   "no subscriber has the number +447700900099");
}

Test(hss_flow, unknown_jid_is_item_not_found)
{
    assert_refused("gateway.opa.example", "jid='carol@opa.example/r'", PW_ERR_ITEM_NOT_FOUND,
                   "no subscriber has the address carol@opa.example");
}

static const char forbidden[] = "only this operator's own components may query the HSS";

Test(hss_flow, sender_not_allowed_is_forbidden)
{
    assert_refused("alice@opa.example/x", "msisdn='+447700900001'", PW_ERR_FORBIDDEN, forbidden);
    /* another operator's gateway is not one of ours either */
    assert_refused("gateway.opb.example", "msisdn='+447700900001'", PW_ERR_FORBIDDEN, forbidden);
}

Test(hss_flow, sender_is_checked_before_the_request)
{
    assert_refused("mallory.example", "", PW_ERR_FORBIDDEN, forbidden);
}

static const char one_key[] = "a lookup names exactly one of 'msisdn' or 'jid'";

Test(hss_flow, neither_or_both_keys_is_bad_request)
{
    assert_refused("gateway.opa.example", "", PW_ERR_BAD_REQUEST, one_key);
    assert_refused("gateway.opa.example", "msisdn='+447700900001' jid='alice@opa.example'",
                   PW_ERR_BAD_REQUEST, one_key);
}

static const char bad_msisdn[] = "'msisdn' must be an E.164 number such as +12025550123";
static const char bad_jid[] = "'jid' must be a user's bare JID such as alice@opa.example";

Test(hss_flow, malformed_keys_are_jid_malformed)
{
    assert_refused("gateway.opa.example", "msisdn='07700900001'", PW_ERR_JID_MALFORMED, bad_msisdn);
    assert_refused("gateway.opa.example", "msisdn=''", PW_ERR_JID_MALFORMED, bad_msisdn);
    assert_refused("gateway.opa.example", "jid='opa.example'", PW_ERR_JID_MALFORMED, bad_jid);
    assert_refused("gateway.opa.example", "jid='@@'", PW_ERR_JID_MALFORMED, bad_jid);
}

/* Does a lookup of +447700900001 now answer presence server ps? (leaves the answer recorded) */
static int alice_served_by(const char *ps)
{
    xmpp_stanza_t *sub = result_record(lookup("gateway.opa.example", "msisdn='+447700900001'"));
    return strcmp(pwfake_attr(sub, "presence-server"), ps) == 0;
}

/* Run the loop until alice is served by ps (the new file is in), at most about 10 s. */
static int run_until_alice_served_by(const char *ps)
{
    for (int i = 0; i < 1000; i++) {
        if (alice_served_by(ps))
            return 1;
        pw_loop_run_once(fx->fc->loop, 10);
    }
    return 0;
}

Test(hss_flow, reload_swaps_in_the_new_file)
{
    write_subscribers("+447700900001 alice@opa.example ps2.opa.example active prepaid 7\n"
                      "+447700900004 erin@opa.example ps1.opa.example active postpaid -\n");
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    cr_assert(run_until_alice_served_by("ps2.opa.example"));
    static const expected_t alice7 = { "+447700900001", "alice@opa.example", "ps2.opa.example",
                                       "active", "prepaid", "7" };
    static const expected_t erin = { "+447700900004", "erin@opa.example", "ps1.opa.example",
                                     "active", "postpaid", "0" };
    assert_record(pwfake_transport_last(fx->fc->fake), &alice7);
    assert_record(lookup("gateway.opa.example", "jid='erin@opa.example'"), &erin);
    assert_refused("gateway.opa.example", "jid='dave@opa.example'", PW_ERR_ITEM_NOT_FOUND,
                   "no subscriber has the address dave@opa.example");
}

Test(hss_flow, refused_file_keeps_the_old_data)
{
    write_subscribers("+447700900001 alice@opa.example ps2.opa.example active prepaid ten\n");
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    for (int i = 0; i < 50; i++) { /* the one-line file is refused at once; serve meanwhile */
        cr_assert(alice_served_by("ps1.opa.example"));
        pw_loop_run_once(fx->fc->loop, 10);
    }
    xmpp_stanza_t *sub = result_record(lookup("gateway.opa.example", "msisdn='+447700900001'"));
    cr_assert_str_eq(pwfake_attr(sub, "presence-server"), "ps1.opa.example");
    cr_assert_str_eq(pwfake_attr(sub, "balance"), "100");
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
    cr_assert_neq(hss_create(&h, fx->fc->comp, &s), PW_OK);
    cr_assert_null(h);
    cr_assert_eq(hss_create(&h, fx->fc->comp, NULL), PW_EINVAL);
    cr_assert_null(h);
    hss_destroy(NULL);
}

Test(hss_flow, disco_lists_the_lookup_feature)
{
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake,
                     "<iq type='get' id='d1' from='gateway.opa.example' to='" HSS_JID "'>"
                     "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>"), 0);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(pwfake_transport_last(fx->fc->fake), "query");
    int found = 0;
    for (xmpp_stanza_t *f = q ? xmpp_stanza_get_children(q) : NULL; f; f = xmpp_stanza_get_next(f)) {
        const char *name = xmpp_stanza_get_name(f);
        if (name && strcmp(name, "feature") == 0 && strcmp(pwfake_attr(f, "var"), PW_HSS_NS) == 0)
            found = 1;
    }
    cr_assert(found);
}

/* ---- docs/hss.md, "Changes told" ---- */

/* Deliver <changes/> from 'from'; @return the one answer. */
static xmpp_stanza_t *ask_changes(const char *from)
{
    char xml[512];
    size_t before = pwfake_transport_sent_count(fx->fc->fake);
    snprintf(xml, sizeof xml, "<iq type='get' id='c1' from='%s' to='" HSS_JID "'><changes xmlns='"
             PW_HSS_NS "'/></iq>", from);
    cr_assert_eq(pwfake_transport_deliver_xml(fx->fc->fake, xml), 0);
    cr_assert_eq(pwfake_transport_sent_count(fx->fc->fake), before + 1, "one answer");
    return pwfake_transport_last(fx->fc->fake);
}

/* How many <changed/> went to 'to' since the transport was last cleared. */
static int changed_sent_to(const char *to)
{
    int n = 0;
    for (size_t i = 0; i < pwfake_transport_sent_count(fx->fc->fake); i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(fx->fc->fake, i);
        if (strcmp(pwfake_attr(s, "to"), to) == 0 && strcmp(pwfake_attr(s, "type"), "set") == 0 &&
            xmpp_stanza_get_child_by_name_and_ns(s, PW_HSS_CHANGED, PW_HSS_NS))
            n++;
    }
    return n;
}

Test(hss_flow, the_components_of_the_allow_list_are_promised_changes)
{
    cr_assert_str_eq(pwfake_attr(ask_changes("watcher.opa.example"), "type"), "result");
    cr_assert_str_eq(pwfake_attr(ask_changes("gateway.opa.example"), "type"), "result");
}

Test(hss_flow, anyone_else_asking_for_changes_is_forbidden_in_words)
{
    char text[256];
    cr_assert_eq(error_of(ask_changes("mallory.opb.example"), text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert(strstr(text, "allow") != NULL, "the text names the list: %s", text);
    cr_assert_eq(error_of(ask_changes("alice@opa.example/phone"), text, sizeof text), PW_ERR_FORBIDDEN);
}

Test(hss_flow, changes_are_told_at_each_connection)
{
    pwfake_transport_clear(fx->fc->fake);
    pwfake_transport_down(fx->fc->fake);
    pwfake_transport_up(fx->fc->fake);
    cr_assert_eq(changed_sent_to("watcher.opa.example"), 1);
    cr_assert_eq(changed_sent_to("gateway.opa.example"), 1);
}

Test(hss_flow, changes_are_told_when_a_reload_has_swapped_in_the_new_file)
{
    write_subscribers("+447700900001 alice@opa.example ps1.opa.example barred prepaid 100\n");
    pwfake_transport_clear(fx->fc->fake);
    cr_assert_eq(hss_reload(fx->hss, &fx->settings), PW_OK);
    cr_assert_eq(changed_sent_to("watcher.opa.example"), 1, "told as the reload starts");
    for (int i = 0; i < 500 && changed_sent_to("watcher.opa.example") < 2; i++)
        pw_loop_run_once(fx->fc->loop, 10);
    cr_assert_eq(changed_sent_to("watcher.opa.example"), 2, "told again once the new file serves");
    cr_assert_eq(changed_sent_to("gateway.opa.example"), 2);
    xmpp_stanza_t *sub = result_record(lookup("watcher.opa.example", "jid='alice@opa.example'"));
    cr_assert_str_eq(pwfake_attr(sub, "status"), "barred", "what a component asks after <changed/> is new");
}
