/* test_watcher_util.h: the fixture the Watcher Application tests share: a WA on the fake transport with a manual clock. */
#ifndef TEST_WATCHER_UTIL_H
#define TEST_WATCHER_UTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pw_config.h"
#include "xmpp/pw_stanza.h"
#include "fake_transport.h"
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
    "presence_servers = ps1.opa.example, ps2.opa.example\n"          \
    "state_dir = @STATE_DIR@\n"

typedef struct tw {
    uint64_t now;
    uint64_t wall_base; /* the wall clock is wall_base + now */
    char state_dir[64];
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;
    pw_component_t *comp;
    pw_watcher_settings_t settings;
    pw_watcher_t *wa;
} tw_t;

static tw_t tw __attribute__((unused));

static inline uint64_t tw_clock(void *arg)
{
    return ((tw_t *)arg)->now;
}

/* 2026-11-21T10:00:00Z when now = 1000000 */
#define TW_WALL_BASE (1795255200000ull - 1000000ull)

static inline uint64_t tw_wall(void *arg)
{
    return ((tw_t *)arg)->wall_base + ((tw_t *)arg)->now;
}

/* An XEP-0082 time `s` seconds after the current wall clock. */
static inline const char *tw_time_in(int64_t s, char *buf, size_t cap)
{
    time_t t = (time_t)((int64_t)(tw_wall(&tw) / 1000) + s);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* Replace every "@STATE_DIR@" of text with the test's state directory. */
static inline void tw_fill(char *out, size_t cap, const char *text)
{
    const char *mark = "@STATE_DIR@", *p;
    size_t n = 0;
    while ((p = strstr(text, mark)) != NULL) {
        n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)(p - text), text,
                              tw.state_dir[0] ? tw.state_dir : "/tmp/pw-watcher-unused");
        text = p + strlen(mark);
    }
    snprintf(out + n, cap - n, "%s", text);
}

/* Remove the state directory and what is in it. */
static inline void tw_remove_state(void)
{
    DIR *d;
    struct dirent *de;
    char path[512];
    if (!tw.state_dir[0] || !(d = opendir(tw.state_dir)))
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", tw.state_dir, de->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(tw.state_dir);
}

/* Load settings from config text (extra lines are appended to the [watcher] section). */
static inline pw_status_t tw_load(pw_watcher_settings_t *s, const char *raw, char *why, size_t cap)
{
    char path[] = "/tmp/pw-watcher-test-XXXXXX", text[8192];
    int fd = mkstemp(path);
    pw_config_error_t err;
    pw_status_t rc;
    tw_fill(text, sizeof text, raw);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    memset(s, 0, sizeof *s);
    rc = pw_config_load(path, pw_watcher_role.options, pw_watcher_role.noptions, NULL, 0, s, &err);
    unlink(path);
    if (rc != PW_OK) {
        pw_config_error_text(&err, why, cap);
        return rc;
    }
    rc = pw_watcher_check(s, why, cap);
    if (rc != PW_OK)
        pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, s);
    return rc;
}

/* Start a WA with TW_CONFIG plus extra [watcher] lines (NULL for none), on the state
 * directory of the test (made when there is none yet), at the current clocks. */
static inline void tw_start_again(const char *extra);
static inline void tw_start(const char *extra)
{
    if (!tw.state_dir[0]) {
        snprintf(tw.state_dir, sizeof tw.state_dir, "/tmp/pw-watcher-state-XXXXXX");
        cr_assert_not_null(mkdtemp(tw.state_dir));
    }
    tw.now = 1000000;
    tw.wall_base = TW_WALL_BASE;
    tw_start_again(extra);
}

static inline void tw_start_again(const char *extra)
{
    pw_component_opts_t o = { .jid = TW_JID, .name = "peerwatch-watcher", .version = "0",
                              .disco_category = PW_WATCHER_DISCO_CATEGORY,
                              .disco_type = PW_WATCHER_DISCO_TYPE,
                              .disco_name = PW_WATCHER_DISCO_NAME };
    char text[4096], why[512] = "";
    snprintf(text, sizeof text, "%s%s", TW_CONFIG, extra ? extra : "");
    cr_assert_eq(tw_load(&tw.settings, text, why, sizeof why), PW_OK, "config: %s", why);
    o.iq_timeout_ms = (uint64_t)tw.settings.common.iq_timeout_ms;
    cr_assert_eq(pw_loop_create(&tw.loop), PW_OK);
    pw_loop_set_clock(tw.loop, tw_clock, &tw);
    xmpp_initialize();
    tw.ctx = xmpp_ctx_new(NULL, NULL);
    tw.fake = pwfake_transport_create(tw.ctx);
    cr_assert_eq(pw_component_create(&tw.comp, tw.loop, tw.ctx, &o, pwfake_transport_base(tw.fake)), PW_OK);
    cr_assert_eq(pw_watcher_create_with_clock(&tw.wa, tw.comp, &tw.settings, tw_wall, &tw), PW_OK);
    pwfake_transport_up(tw.fake);
}

static inline void tw_setup(void)
{
    tw_start("country_code = 44\n");
}

/* Stop the WA and everything under it, keeping the clocks and the state directory. */
static inline void tw_stop(void)
{
    pw_watcher_destroy(tw.wa);
    pw_component_destroy(tw.comp);
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &tw.settings);
    xmpp_ctx_free(tw.ctx);
    xmpp_shutdown();
    pw_loop_destroy(tw.loop);
    tw.wa = NULL;
    tw.comp = NULL;
    tw.ctx = NULL;
    tw.loop = NULL;
    tw.fake = NULL;
}

static inline void tw_teardown(void)
{
    tw_stop();
    tw_remove_state();
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
    cr_assert_eq(pwfake_transport_deliver_xml(tw.fake, xml), 0, "fixture parses: %s", xml);
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
    xmpp_stanza_t *s = pwfake_transport_last(tw.fake);
    cr_assert_not_null(s, "something was sent");
    cr_assert_str_eq(tw_attr(s, "type"), "error");
    if (id)
        cr_assert_str_eq(tw_attr(s, "id"), id);
    return pw_stanza_error_parse(s, text, cap);
}

/* The last stanza sent, which must be an IQ request to `to`; returns its payload. */
static inline xmpp_stanza_t *tw_last_request(const char *to, const char *type)
{
    xmpp_stanza_t *s = pwfake_transport_last(tw.fake);
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
    snprintf(id, sizeof id, "%s", tw_attr(pwfake_transport_last(tw.fake), "id"));
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

/* ---- subscriptions ---- */

#define TW_CONTACT "+12025550123@" TW_JID
#define TW_STATE_AWAY "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>In a meeting</status></state>"
#define TW_STATE_OFF "<state xmlns='urn:peerwatch:0' available='false'/>"

/* alice answers the pending HSS lookup; returns the chain enquiry that went to the proxy. */
static inline xmpp_stanza_t *tw_hss_then_proxy(void)
{
    tw_hss_alice();
    return tw_last_request("proxy.opa.example", "set");
}

/* A client enquiry from alice's phone, up to the chain enquiry sent to the proxy. */
static inline xmpp_stanza_t *tw_up_to_proxy(const char *id, const char *attrs)
{
    tw_enquiry(id, "alice@opa.example/phone", attrs);
    return tw_hss_then_proxy();
}

/* The proxy answers the last chain enquiry with a state and a subscription expiring in_s from now. */
static inline void tw_proxy_subscribed(const char *state_xml, const char *subid, int64_t in_s)
{
    char inner[2048], t[64];
    tw_last_request("proxy.opa.example", "set");
    snprintf(inner, sizeof inner, "<enquiry xmlns='urn:peerwatch:chain:0'>%s"
             "<subscription xmlns='urn:peerwatch:0' id='%s' expires='%s'/></enquiry>", state_xml,
             subid, tw_time_in(in_s, t, sizeof t));
    tw_answer("proxy.opa.example", "result", inner);
}

/* The proxy answers the last chain enquiry with just a state. */
static inline void tw_proxy_state(const char *state_xml)
{
    char inner[2048];
    tw_last_request("proxy.opa.example", "set");
    snprintf(inner, sizeof inner, "<enquiry xmlns='urn:peerwatch:chain:0'>%s</enquiry>", state_xml);
    tw_answer("proxy.opa.example", "result", inner);
}

/* The proxy answers the last chain enquiry with an error. */
static inline void tw_proxy_error(const char *cond, const char *type, const char *text)
{
    char inner[1024];
    tw_last_request("proxy.opa.example", "set");
    snprintf(inner, sizeof inner, "<error type='%s'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>%s</text></error>", type, cond, text);
    tw_answer("proxy.opa.example", "error", inner);
}

/* A chain notification from `from` (attrs and inner XML added). */
static inline void tw_notify(const char *id, const char *from, const char *attrs, const char *inner)
{
    tw_deliver("<iq type='set' id='%s' from='%s' to='" TW_JID "'>"
               "<notify xmlns='urn:peerwatch:chain:0' ref='r' proxy='proxy.opa.example' "
               "watcher-jid='alice@opa.example' presentity='+12025550123' %s>%s</notify></iq>",
               id, from, attrs, inner);
}

/* The sent stanza at index i, which must exist. */
static inline xmpp_stanza_t *tw_sent(size_t i)
{
    xmpp_stanza_t *s = pwfake_transport_sent(tw.fake, i);
    cr_assert_not_null(s, "stanza %zu was sent (%zu in all)", i, pwfake_transport_sent_count(tw.fake));
    return s;
}

/* Assert that stanza s is a <presence/> of type (NULL: available) from the contact JID to alice. */
static inline void tw_assert_presence(xmpp_stanza_t *s, const char *type)
{
    cr_assert_str_eq(xmpp_stanza_get_name(s), "presence");
    if (type)
        cr_assert_str_eq(tw_attr(s, "type"), type);
    else
        cr_assert_null(xmpp_stanza_get_type(s), "available presence has no type");
    cr_assert_str_eq(tw_attr(s, "from"), TW_CONTACT);
    cr_assert_str_eq(tw_attr(s, "to"), "alice@opa.example");
}

/* alice subscribes on her roster and the chain grants subscription subid (expiring in_s). */
static inline void tw_roster_subscribed(const char *subid, int64_t in_s)
{
    tw_deliver("<presence type='subscribe' from='alice@opa.example' to='" TW_CONTACT "'/>");
    tw_hss_then_proxy();
    tw_proxy_subscribed(TW_STATE_AWAY, subid, in_s);
}

#endif /* TEST_WATCHER_UTIL_H */
