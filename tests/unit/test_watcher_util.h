/* test_watcher_util.h: the fixture the Watcher Application tests share: a WA on the fake transport with a manual clock. */
#ifndef TEST_WATCHER_UTIL_H
#define TEST_WATCHER_UTIL_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pw_config.h"
#include "pw_stanza.h"
#include "pwt_fake.h"
#include "watcher.h"

#define TW_JID "watcher.opa.example"

/* The settings every test starts from (like conf/watcher-opa.conf; tw_setup() adds country_code = 44). */
#define TW_CONFIG                                         \
    "[component]\n"                                       \
    "jid = " TW_JID "\n"                                  \
    "secret = s\n"                                        \
    "iq_timeout = 20s\n"                                  \
    "[watcher]\n"                                         \
    "domain = opa.example\n"                              \
    "proxy = proxy.opa.example\n"                         \
    "hss = hss.opa.example\n"                             \
    "presence_servers = ps1.opa.example, ps2.opa.example\n"

typedef struct tw {
    uint64_t now;
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pwt_fake_t *fake;
    pw_component_t *comp;
    pw_watcher_settings_t settings;
    pw_watcher_t *wa;
} tw_t;

static tw_t tw __attribute__((unused));

static inline uint64_t tw_clock(void *arg)
{
    return ((tw_t *)arg)->now;
}

/* Load settings from config text (extra lines are appended to the [watcher] section). */
static inline pw_status_t tw_load(pw_watcher_settings_t *s, const char *text, char *why, size_t cap)
{
    char path[] = "/tmp/pw-watcher-test-XXXXXX";
    int fd = mkstemp(path);
    pw_config_error_t err;
    pw_status_t rc;
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    memset(s, 0, sizeof *s);
    rc = pw_config_load(path, pw_watcher_options, pw_watcher_noptions, NULL, 0, s, &err);
    unlink(path);
    if (rc != PW_OK) {
        pw_config_error_text(&err, why, cap);
        return rc;
    }
    rc = pw_watcher_check(s, why, cap);
    if (rc != PW_OK)
        pw_config_free(pw_watcher_options, pw_watcher_noptions, s);
    return rc;
}

/* Start a WA with TW_CONFIG plus extra [watcher] lines (NULL for none). */
static inline void tw_start(const char *extra)
{
    pw_component_opts_t o = { .jid = TW_JID, .name = "peerwatch-watcher", .version = "0",
                              .disco_category = PW_WATCHER_DISCO_CATEGORY,
                              .disco_type = PW_WATCHER_DISCO_TYPE,
                              .disco_name = PW_WATCHER_DISCO_NAME };
    char text[4096], why[512] = "";
    snprintf(text, sizeof text, "%s%s", TW_CONFIG, extra ? extra : "");
    cr_assert_eq(tw_load(&tw.settings, text, why, sizeof why), PW_OK, "config: %s", why);
    o.iq_timeout_ms = (uint64_t)tw.settings.common.iq_timeout_ms;
    tw.now = 1000000;
    cr_assert_eq(pw_loop_create(&tw.loop), PW_OK);
    pw_loop_set_clock(tw.loop, tw_clock, &tw);
    xmpp_initialize();
    tw.ctx = xmpp_ctx_new(NULL, NULL);
    tw.fake = pwt_fake_create(tw.ctx);
    cr_assert_eq(pw_component_create(&tw.comp, tw.loop, tw.ctx, &o, pwt_fake_transport(tw.fake)), PW_OK);
    cr_assert_eq(pw_watcher_create(&tw.wa, tw.comp, &tw.settings), PW_OK);
    pwt_fake_up(tw.fake);
}

static inline void tw_setup(void)
{
    tw_start("country_code = 44\n");
}

static inline void tw_teardown(void)
{
    pw_watcher_destroy(tw.wa);
    pw_component_destroy(tw.comp);
    pw_config_free(pw_watcher_options, pw_watcher_noptions, &tw.settings);
    xmpp_ctx_free(tw.ctx);
    xmpp_shutdown();
    pw_loop_destroy(tw.loop);
    memset(&tw, 0, sizeof tw);
}

/* Let time pass and run the loop (timers). */
static inline void tw_advance(uint64_t ms)
{
    tw.now += ms;
    pw_loop_run_once(tw.loop, 0);
}

static inline const char *tw_attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

/* Deliver a stanza given as printf-style XML. */
static inline void tw_deliver(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tw_deliver(const char *fmt, ...)
{
    char xml[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(xml, sizeof xml, fmt, ap);
    va_end(ap);
    cr_assert_eq(pwt_fake_deliver_xml(tw.fake, xml), 0, "fixture parses: %s", xml);
}

/* Send a client enquiry from `from` with the given attributes. */
static inline void tw_enquiry(const char *id, const char *from, const char *attrs)
{
    tw_deliver("<iq type='set' id='%s' from='%s' to='" TW_JID "'>"
               "<enquiry xmlns='urn:peerwatch:0' %s/></iq>", id, from, attrs);
}

/* The last stanza sent, which must be an IQ error: its condition and text. */
static inline pw_error_t tw_last_error(const char *id, char *text, size_t cap)
{
    xmpp_stanza_t *s = pwt_fake_last(tw.fake);
    cr_assert_not_null(s, "something was sent");
    cr_assert_str_eq(tw_attr(s, "type"), "error");
    if (id)
        cr_assert_str_eq(tw_attr(s, "id"), id);
    return pw_stanza_error_parse(s, text, cap);
}

/* The last stanza sent, which must be an IQ request to `to`; returns its payload. */
static inline xmpp_stanza_t *tw_last_request(const char *to, const char *type)
{
    xmpp_stanza_t *s = pwt_fake_last(tw.fake);
    cr_assert_not_null(s, "something was sent");
    cr_assert_str_eq(xmpp_stanza_get_name(s), "iq");
    cr_assert_str_eq(tw_attr(s, "type"), type);
    cr_assert_str_eq(tw_attr(s, "to"), to);
    cr_assert_str_eq(tw_attr(s, "from"), TW_JID);
    return pw_stanza_payload(s);
}

/* Answer the last request (sent to `from`) with `inner` as the body of an IQ of `type`. */
static inline void tw_answer(const char *from, const char *type, const char *inner)
{
    char id[128];
    snprintf(id, sizeof id, "%s", tw_attr(pwt_fake_last(tw.fake), "id"));
    tw_deliver("<iq type='%s' id='%s' from='%s' to='" TW_JID "'>%s</iq>", type, id, from, inner);
}

/* The HSS's answer for a subscriber. */
static inline void tw_hss_subscriber(const char *msisdn, const char *jid, const char *status,
                                     const char *account, const char *balance)
{
    char inner[1024];
    tw_last_request("hss.opa.example", "get");
    snprintf(inner, sizeof inner, "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='%s' jid='%s' "
             "presence-server='ps1.opa.example' status='%s' account='%s' balance='%s'/>",
             msisdn, jid, status, account, balance);
    tw_answer("hss.opa.example", "result", inner);
}

/* alice, active, prepaid with 100 units. */
static inline void tw_hss_alice(void)
{
    tw_hss_subscriber("+447700900001", "alice@opa.example", "active", "prepaid", "100");
}

#endif /* TEST_WATCHER_UTIL_H */
