/* test_hss.c: peerwatch-hss behind a real private Prosody or ejabberd (PWT_SERVERS), queried by real XMPP clients:
 * allowed and forbidden lookups, unknown and malformed keys, reload on SIGHUP (good and bad file, the
 * metrics admins),
 * and the runtime's disco/version/ping answered through the server. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/pw_stanza.h"
#include "pwt_client.h"
#include "pwt_component.h"
#include "pwt_trial.h"
#include "pwt_util.h"

static pwt_server_t *server;
static pwt_component_t *hss;
static pwt_client_t *alice, *mallory;
static char subscribers[PWT_PATH_MAX];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
    pwt_server_spec_t o = { .domain = "opa.example", .ip = "127.0.0.2" };
    char port[16];
    char src[PWT_PATH_MAX];

    cr_assert_eq(pwt_trial_server_create(&server, PWT_OPA, &o), PW_OK, "private server prepared");
    cr_assert_eq(pwt_server_add_user(server, "alice", "pw"), PW_OK);
    cr_assert_eq(pwt_server_add_user(server, "mallory", "pw"), PW_OK);
    cr_assert_eq(pwt_server_start(server), PW_OK, "private server started");
    /* the subscriber file: conf/hss-opa.subscribers, copied so reload tests can change it */
    snprintf(subscribers, sizeof subscribers, "%s/hss.subscribers", pwt_server_dir(server));
    cr_assert_eq(pwt_srcpath(src, sizeof src, "conf/hss-opa.subscribers"), PW_OK);
    {
        char cmd[2 * PWT_PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, subscribers);
        cr_assert_eq(system(cmd), 0);
    }
    snprintf(port, sizeof port, "%d", pwt_server_component_port(server));
    {
        const char *vars[] = { "JID", "hss.opa.example", "SECRET", pwt_server_secret(server),
                               "SERVER", "127.0.0.2", "PORT", port, "LOGLEVEL", "debug",
                               "SUBSCRIBERS", subscribers,
                               "ALLOW", "alice@opa.example, gateway.opa.example", NULL };
        cr_assert_eq(pwt_component_start(&hss, "hss/peerwatch-hss", "conf/trial/hss.conf", vars,
                                         pwt_server_dir(server), "hss"), PW_OK);
    }
    cr_assert_eq(pwt_component_wait_online(hss, 1, 10000), 0, "the HSS connected to its server");
    cr_assert_eq(pwt_client_connect(&alice, "alice@opa.example", "pw", "127.0.0.2",
                                    pwt_server_c2s_port(server), 5000), PW_OK);
    cr_assert_eq(pwt_client_connect(&mallory, "mallory@opa.example", "pw", "127.0.0.2",
                                    pwt_server_c2s_port(server), 5000), PW_OK);
}

static void teardown(void)
{
    pwt_client_destroy(alice);
    pwt_client_destroy(mallory);
    if (hss) {
        int st = pwt_component_stop(hss, 5000);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the HSS stopped cleanly on SIGTERM (status %d)", st);
    }
    pwt_component_destroy(hss);
    pwt_server_destroy(server);
}

TestSuite(hss, .init = setup, .fini = teardown, .timeout = 60);

static xmpp_stanza_t *lookup(pwt_client_t *c, const char *attrs)
{
    xmpp_stanza_t *r = pwt_client_iqf(c, 5000, "<iq type='get' to='hss.opa.example'>"
                                      "<lookup xmlns='urn:peerwatch:hss:0' %s/></iq>", attrs);
    cr_assert_not_null(r, "the HSS answered a lookup (%s)", attrs);
    return r;
}

static const char *sub_attr(xmpp_stanza_t *r, const char *name)
{
    xmpp_stanza_t *s = xmpp_stanza_get_child_by_name_and_ns(r, "subscriber", "urn:peerwatch:hss:0");
    const char *v;
    cr_assert_not_null(s, "result carries <subscriber/>");
    v = xmpp_stanza_get_attribute(s, name);
    return v ? v : "";
}

static pw_error_t error_of(xmpp_stanza_t *r, char *text, size_t cap)
{
    cr_assert_str_eq(xmpp_stanza_get_type(r), "error");
    return pw_stanza_error_parse(r, text, cap);
}

/* A refused lookup: its condition (asserting it is an error) and text. */
static pw_error_t lookup_error(pwt_client_t *c, const char *attrs, char *text, size_t cap)
{
    xmpp_stanza_t *r = lookup(c, attrs);
    pw_error_t cond = error_of(r, text, cap);
    xmpp_stanza_release(r);
    return cond;
}

Test(hss, lookup_by_msisdn_and_by_jid)
{
    xmpp_stanza_t *r = lookup(alice, "msisdn='+447700900001'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    cr_assert_str_eq(sub_attr(r, "jid"), "alice@opa.example");
    cr_assert_str_eq(sub_attr(r, "presence-server"), "ps1.opa.example");
    cr_assert_str_eq(sub_attr(r, "status"), "active");
    cr_assert_str_eq(sub_attr(r, "account"), "prepaid");
    cr_assert_str_eq(sub_attr(r, "balance"), "100");
    xmpp_stanza_release(r);
    r = lookup(alice, "jid='dave@OPA.example'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    cr_assert_str_eq(sub_attr(r, "msisdn"), "+447700900003");
    cr_assert_str_eq(sub_attr(r, "status"), "barred");
    xmpp_stanza_release(r);
}

Test(hss, strangers_are_forbidden)
{
    char text[256];
    cr_assert_eq(lookup_error(mallory, "msisdn='+447700900001'", text, sizeof text), PW_ERR_FORBIDDEN);
    cr_assert(strstr(text, "own components"), "readable text: %s", text);
}

Test(hss, unknown_and_malformed_keys)
{
    static const struct {
        const char *attrs;
        pw_error_t cond;
    } cases[] = {
        { "msisdn='+12025550199'", PW_ERR_ITEM_NOT_FOUND },
        { "msisdn='12345'", PW_ERR_JID_MALFORMED },
        { "msisdn='+447700900001' jid='alice@opa.example'", PW_ERR_BAD_REQUEST },
        { "", PW_ERR_BAD_REQUEST },
    };
    char text[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(lookup_error(alice, cases[i].attrs, text, sizeof text), cases[i].cond, "%s: %s",
                     cases[i].attrs, text);
        if (cases[i].cond == PW_ERR_ITEM_NOT_FOUND)
            cr_assert(strstr(text, "+12025550199"), "the text names the number: %s", text);
    }
}

Test(hss, reload_serves_a_good_file_and_refuses_a_bad_one)
{
    char text[256];
    xmpp_stanza_t *r;
    FILE *f = fopen(subscribers, "a");
    cr_assert_not_null(f);
    fputs("+447700900099 zoe@opa.example ps2.opa.example active postpaid -\n", f);
    fclose(f);
    cr_assert_eq(pwt_component_signal(hss, SIGHUP), PW_OK);
    cr_assert_eq(pwt_component_wait_log(hss, "subscriber file reloaded", 1, 5000), 0);
    r = lookup(alice, "msisdn='+447700900099'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "the added subscriber is served after SIGHUP");
    cr_assert_str_eq(sub_attr(r, "jid"), "zoe@opa.example");
    xmpp_stanza_release(r);

    write_file(subscribers, "+447700900001 alice@opa.example ps1.opa.example active prepaid 100\n"
                            "this line is not a subscriber\n");
    cr_assert_eq(pwt_component_signal(hss, SIGHUP), PW_OK);
    cr_assert_eq(pwt_component_wait_log(hss, "subscriber file refused", 1, 5000), 0);
    cr_assert_eq(pwt_component_log_count(hss, ":2:"), 1, "the refusal names line 2");
    r = lookup(alice, "msisdn='+447700900099'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result", "the previous data is still served");
    xmpp_stanza_release(r);
    r = lookup(alice, "msisdn='+447700900002'");
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    xmpp_stanza_release(r);
    (void)text;
}

/* Run the metrics command as c; returns the IQ's type ("result" or "error"). */
static int metrics_command_allowed(pwt_client_t *c)
{
    xmpp_stanza_t *r = pwt_client_iq(c, "<iq type='set' to='hss.opa.example'><command "
                                        "xmlns='http://jabber.org/protocol/commands' "
                                        "node='urn:peerwatch:metrics' action='execute'/></iq>", 5000);
    int allowed;
    cr_assert_not_null(r);
    allowed = strcmp(xmpp_stanza_get_type(r), "result") == 0;
    xmpp_stanza_release(r);
    return allowed;
}

/* [metrics] admins take effect on SIGHUP: the operator adds a NOC account without a restart. */
Test(hss, reload_renews_the_metrics_admins)
{
    FILE *f;
    cr_assert_not(metrics_command_allowed(alice), "nobody is an admin at first");
    f = fopen(pwt_component_config(hss), "a");
    cr_assert_not_null(f);
    fputs("\n[metrics]\nadmins = alice@opa.example\n", f);
    fclose(f);
    cr_assert_eq(pwt_component_signal(hss, SIGHUP), PW_OK);
    cr_assert_eq(pwt_component_wait_log(hss, "configuration reloaded", 1, 5000), 0);
    cr_assert(metrics_command_allowed(alice), "alice is an admin after the reload");
    cr_assert_not(metrics_command_allowed(mallory), "mallory is not");
}

Test(hss, disco_version_and_ping_through_the_server)
{
    xmpp_stanza_t *r = pwt_client_iq(alice, "<iq type='get' to='hss.opa.example'><ping xmlns='urn:xmpp:ping'/></iq>", 5000);
    cr_assert_not_null(r);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    xmpp_stanza_release(r);
    r = pwt_client_iq(alice, "<iq type='get' to='hss.opa.example'><query xmlns='jabber:iq:version'/></iq>", 5000);
    cr_assert_not_null(r);
    {
        char name[64];
        xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(r, "query");
        cr_assert_not_null(q);
        cr_assert_str_eq(pw_stanza_child_text(q, "name", NULL, name, sizeof name), "peerwatch-hss");
    }
    xmpp_stanza_release(r);
    r = pwt_client_iq(alice, "<iq type='get' to='hss.opa.example'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>", 5000);
    cr_assert_not_null(r);
    cr_assert_str_eq(xmpp_stanza_get_type(r), "result");
    {
        char *xml; size_t len;
        xmpp_stanza_to_text(r, &xml, &len);
        cr_assert(strstr(xml, "urn:peerwatch:hss:0"), "disco lists the HSS namespace: %s", xml);
        xmpp_free(pwt_client_ctx(alice), xml);
    }
    xmpp_stanza_release(r);
}
