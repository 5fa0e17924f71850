/* test_proxy_util.h: the fixture the Watcher Presence Proxy tests share: a proxy on the fake transport and the fake resolver with a manual clock. */
#ifndef TEST_PROXY_UTIL_H
#define TEST_PROXY_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "chain/pw_enquiry.h"
#include "address/pw_msisdn.h"
#include "chain/pw_peering.h"
#include "xmpp/pw_stanza.h"
#include "fake_transport.h"
#include "fake_resolver.h"

#define TP_JID "proxy.opa.example"
#define TP_WATCHER "watcher.opa.example"
#define TP_REF "watcher.opa.example/0b6c9a8e-2f0e-4a55-9a0f-6c51c8b1a2d4"
#define TP_BOB "+12025550123"
#define TP_BOB_ENUM "3.2.1.0.5.5.5.2.0.2.1.e164.arpa"
#define TP_SRV_OPB "_presence-gw._tcp.opb.example"
#define TP_GW1 "gw1.opb.example"
#define TP_GW2 "gateway.opb.example"

/* The configuration every test starts from (like conf/proxy-opa.conf); %s is the key path. */
#define TP_CONFIG                                        \
    "[component]\n"                                      \
    "jid = " TP_JID "\n"                                 \
    "secret = s\n"                                       \
    "[proxy]\n"                                          \
    "network = opa.example\n"                            \
    "watcher = " TP_WATCHER "\n"                         \
    "signing_key = %s/conf/keys/opa.key\n"               \
    "gateway_timeout = 6s\n"                             \
    "notify_from = opb.example\n"                        \
    "negative_ttl = 60s\n"                               \
    "[prefixes]\n"                                       \
    "+4477009 = opa.example\n"                           \
    "+1202555 = opb.example\n"                           \
    "+1202 = opc.example\n"                              \
    "+1 = opd.example\n"

typedef struct tp {
    uint64_t now;
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;
    pw_component_t *comp;
    pwfake_resolver_t *dns;
    pw_proxy_settings_t settings;
    pw_proxy_t *proxy;
    pw_peering_key_t *pub; /* opa's public key, to verify what the proxy signs */
} tp_t;

static tp_t tp __attribute__((unused));

static inline uint64_t tp_clock(void *arg)
{
    return ((tp_t *)arg)->now;
}

/* Load a proxy configuration from text through the role's loader (checks included). */
static inline pw_status_t tp_load_text(pw_proxy_settings_t *s, const char *text, char *why, size_t cap)
{
    char path[] = "/tmp/pw-proxy-test-XXXXXX";
    int fd = mkstemp(path);
    pw_status_t rc;
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    memset(s, 0, sizeof *s);
    rc = pw_runtime_load_config(&pw_proxy_role, path, s, why, cap);
    unlink(path);
    return rc;
}

static inline void tp_setup(void)
{
    /* the identity the runtime gives the component comes from the role */
    pw_component_opts_t o = { .jid = TP_JID, .name = "peerwatch-proxy", .version = "0",
                              .disco_category = pw_proxy_role.disco_category,
                              .disco_type = pw_proxy_role.disco_type,
                              .disco_name = pw_proxy_role.disco_name, .iq_timeout_ms = 20000 };
    char text[2048], why[1024], pub[512];

    memset(&tp, 0, sizeof tp);
    snprintf(text, sizeof text, TP_CONFIG, PROXY_TEST_SRCDIR);
    cr_assert_eq(tp_load_text(&tp.settings, text, why, sizeof why), PW_OK, "%s", why);
    snprintf(pub, sizeof pub, "%s/conf/keys/opa.pub", PROXY_TEST_SRCDIR);
    cr_assert_eq(pw_peering_key_load_public(pub, &tp.pub, why, sizeof why), PW_OK, "%s", why);
    tp.now = 1000000;
    cr_assert_eq(pw_loop_create(&tp.loop), PW_OK);
    pw_loop_set_clock(tp.loop, tp_clock, &tp);
    xmpp_initialize();
    tp.ctx = xmpp_ctx_new(NULL, NULL);
    tp.fake = pwfake_transport_create(tp.ctx);
    cr_assert_eq(pw_component_create(&tp.comp, tp.loop, tp.ctx, &o, pwfake_transport_base(tp.fake)), PW_OK);
    pwfake_transport_up(tp.fake);
    cr_assert_eq(pwfake_resolver_create(&tp.dns, tp.loop), PW_OK);
    cr_assert_eq(pw_proxy_create(&tp.proxy, tp.comp, &tp.settings, pwfake_resolver_base(tp.dns)), PW_OK);
}

static inline void tp_teardown(void)
{
    pw_proxy_destroy(tp.proxy);
    tp.proxy = NULL;
    pw_resolver_destroy(pwfake_resolver_base(tp.dns));
    pw_component_destroy(tp.comp);
    xmpp_ctx_free(tp.ctx);
    xmpp_shutdown();
    pw_loop_destroy(tp.loop);
    pw_runtime_free_config(&pw_proxy_role, &tp.settings);
    pw_peering_key_destroy(tp.pub);
}

/* Advance the manual clock by ms and run the loop until nothing more is due. */
static inline void tp_advance(uint64_t ms)
{
    tp.now += ms;
    for (int i = 0; i < 8; i++)
        pw_loop_run_once(tp.loop, 0);
}

/* Let scripted DNS answers (due now) arrive. */
static inline void tp_pump(void)
{
    tp_advance(0);
}

static inline const char *tp_attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

/* Deliver a chain enquiry from 'from' about a number (presentity) or a JID (pjid). */
static inline void tp_deliver(const char *id, const char *from, const char *presentity, const char *pjid)
{
    char xml[2048];
    snprintf(xml, sizeof xml,
             "<iq type='set' id='%s' from='%s' to='" TP_JID "'>"
             "<enquiry xmlns='urn:peerwatch:chain:0' ref='" TP_REF "' kind='current' %s='%s' "
             "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' "
             "watcher-network='opa.example'/></iq>",
             id, from, presentity ? "presentity" : "presentity-jid", presentity ? presentity : pjid);
    cr_assert_eq(pwfake_transport_deliver_xml(tp.fake, xml), 0, "%s", xml);
}

/* An enquiry about bob's number from the watcher. */
static inline void tp_ask_bob(const char *id)
{
    tp_deliver(id, TP_WATCHER, TP_BOB, NULL);
}

static inline pw_naptr_t tp_naptr(const char *service, const char *regexp)
{
    pw_naptr_t r;
    memset(&r, 0, sizeof r);
    r.order = 100;
    r.preference = 10;
    strcpy(r.flags, "u");
    snprintf(r.service, sizeof r.service, "%s", service);
    snprintf(r.regexp, sizeof r.regexp, "%s", regexp);
    strcpy(r.replacement, ".");
    return r;
}

static inline pw_srv_rr_t tp_srv(uint16_t priority, const char *target)
{
    pw_srv_rr_t r;
    memset(&r, 0, sizeof r);
    r.priority = priority;
    r.weight = 10;
    r.port = 5269;
    snprintf(r.target, sizeof r.target, "%s", target);
    return r;
}

/* Script bob's ENUM record (service, regexp) with a TTL. */
static inline void tp_script_bob_enum(const char *service, const char *regexp, uint32_t ttl)
{
    pw_naptr_t r = tp_naptr(service, regexp);
    cr_assert_eq(pwfake_resolver_script_naptr(tp.dns, TP_BOB_ENUM, PW_OK, &r, 1, ttl), PW_OK);
}

/* Script opb's gateways: gw1 (priority 10) then gateway.opb.example (priority 20). */
static inline void tp_script_opb_gateways(uint32_t ttl)
{
    pw_srv_rr_t rrs[2] = { tp_srv(20, TP_GW2 "."), tp_srv(10, TP_GW1) };
    cr_assert_eq(pwfake_resolver_script_srv(tp.dns, TP_SRV_OPB, PW_OK, rrs, 2, ttl), PW_OK);
}

/* Script one gateway for a network. */
static inline void tp_script_gateway(const char *network, const char *target, uint32_t ttl)
{
    char name[300];
    pw_srv_rr_t r = tp_srv(10, target);
    snprintf(name, sizeof name, "_presence-gw._tcp.%s", network);
    cr_assert_eq(pwfake_resolver_script_srv(tp.dns, name, PW_OK, &r, 1, ttl), PW_OK);
}

/* The last stanza must be the enquiry signed for gateway 'to' (verified with opa's public
 * key); returns it (owned by the fake). nonce receives the signature's nonce (may be NULL). */
static inline xmpp_stanza_t *tp_expect_gateway_enquiry(const char *to, char *nonce, size_t cap)
{
    xmpp_stanza_t *s = pwfake_transport_last(tp.fake), *el, *sig;
    pw_enquiry_t e;
    pw_error_t cond;
    char why[512];

    cr_assert_not_null(s, "something was sent");
    cr_assert_str_eq(xmpp_stanza_get_name(s), "iq");
    cr_assert_str_eq(tp_attr(s, "type"), "set");
    cr_assert_str_eq(tp_attr(s, "to"), to);
    el = xmpp_stanza_get_child_by_name_and_ns(s, "enquiry", PW_NS_CHAIN);
    cr_assert_not_null(el, "a chain enquiry");
    cr_assert_eq(pw_enquiry_parse(el, &e, &cond, why, sizeof why), PW_OK, "%s", why);
    cr_assert_str_eq(e.ref, TP_REF);
    cr_assert_str_eq(e.watcher_network, "opa.example");
    sig = xmpp_stanza_get_child_by_name(el, "signature");
    cr_assert_not_null(sig, "the enquiry is signed");
    cr_assert_str_eq(tp_attr(sig, "network"), "opa.example");
    cr_assert_eq(pw_peering_verify(tp.pub, sig, &e, TP_JID, to, why, sizeof why), PW_OK,
                 "signature for %s: %s", to, why);
    if (nonce)
        snprintf(nonce, cap, "%s", tp_attr(sig, "nonce"));
    return s;
}

/* The gateway 'from' answers request id with bob's state. */
static inline void tp_gateway_result(const char *id, const char *from)
{
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<iq type='result' id='%s' from='%s' to='" TP_JID "'>"
             "<enquiry xmlns='urn:peerwatch:chain:0' ref='" TP_REF "' kind='current'>"
             "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>In a meeting</status></state>"
             "</enquiry></iq>", id, from);
    cr_assert_eq(pwfake_transport_deliver_xml(tp.fake, xml), 0);
}

/* The gateway 'from' answers request id with an error. */
static inline void tp_gateway_error(const char *id, const char *from, const char *cond,
                                    const char *type, const char *text)
{
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<iq type='error' id='%s' from='%s' to='" TP_JID "'><error type='%s'>"
             "<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>%s</text></error></iq>",
             id, from, type, cond, text);
    cr_assert_eq(pwfake_transport_deliver_xml(tp.fake, xml), 0);
}

/* The last stanza must be the error answering the watcher's request id; returns its condition. */
static inline pw_error_t tp_error_to(const char *to, const char *id, char *text, size_t cap)
{
    xmpp_stanza_t *s = pwfake_transport_last(tp.fake);
    cr_assert_not_null(s);
    cr_assert_str_eq(tp_attr(s, "type"), "error", "an error answers %s", id);
    cr_assert_str_eq(tp_attr(s, "to"), to);
    cr_assert_str_eq(tp_attr(s, "from"), TP_JID);
    cr_assert_str_eq(tp_attr(s, "id"), id);
    return pw_stanza_error_parse(s, text, cap);
}

static inline pw_error_t tp_error_to_watcher(const char *id, char *text, size_t cap)
{
    return tp_error_to(TP_WATCHER, id, text, cap);
}

/* The last stanza must be the result to the watcher's request id carrying bob's state. */
static inline void tp_expect_state_to_watcher(const char *id)
{
    xmpp_stanza_t *s = pwfake_transport_last(tp.fake), *el, *state;
    cr_assert_not_null(s);
    cr_assert_str_eq(tp_attr(s, "type"), "result");
    cr_assert_str_eq(tp_attr(s, "to"), TP_WATCHER);
    cr_assert_str_eq(tp_attr(s, "id"), id);
    el = xmpp_stanza_get_child_by_name_and_ns(s, "enquiry", PW_NS_CHAIN);
    cr_assert_not_null(el);
    cr_assert_str_eq(tp_attr(el, "ref"), TP_REF);
    cr_assert_null(xmpp_stanza_get_child_by_name(el, "signature"));
    state = xmpp_stanza_get_child_by_name(el, "state");
    cr_assert_not_null(state, "the state travels back");
    cr_assert_str_eq(tp_attr(state, "available"), "true");
    cr_assert_str_eq(tp_attr(state, "show"), "away");
}

#endif /* TEST_PROXY_UTIL_H */
