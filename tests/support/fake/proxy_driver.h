/* proxy_driver.h: a Watcher Presence Proxy under test: on the fake transport and the fake resolver with a manual clock, and the stanzas its tests deliver and expect (the expect helpers are Criterion assertions). */
#ifndef PWFAKE_PROXY_DRIVER_H
#define PWFAKE_PROXY_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "proxy.h"
#include "chain/pw_peering.h"
#include "dns/pw_resolver.h"
#include "fake_component.h"
#include "fake_resolver.h"

#define PWFAKE_PROXY_JID "proxy.opa.example"
#define PWFAKE_PROXY_WATCHER "watcher.opa.example"
#define PWFAKE_PROXY_REF "watcher.opa.example/0b6c9a8e-2f0e-4a55-9a0f-6c51c8b1a2d4"
#define PWFAKE_PROXY_BOB "+12025550123"
#define PWFAKE_PROXY_BOB_ENUM "3.2.1.0.5.5.5.2.0.2.1.e164.arpa"
#define PWFAKE_PROXY_SRV_OPB "_presence-gw._tcp.opb.example"
#define PWFAKE_PROXY_GW1 "gw1.opb.example"
#define PWFAKE_PROXY_GW2 "gateway.opb.example"

/* The configuration every test starts from (like conf/proxy-opa.conf); %s is the tree of the keys (PWT_TREE). */
#define PWFAKE_PROXY_CONFIG                              \
    "[component]\n"                                      \
    "jid = " PWFAKE_PROXY_JID "\n"                       \
    "secret = s\n"                                       \
    "[proxy]\n"                                          \
    "network = opa.example\n"                            \
    "watcher = " PWFAKE_PROXY_WATCHER "\n"               \
    "signing_key = %s/conf/keys/opa.example.key\n"               \
    "gateway_timeout = 6s\n"                             \
    "notify_from = opb.example\n"                        \
    "notify_keys = %s/conf/keys\n"                       \
    "negative_ttl = 60s\n"                               \
    "[prefixes]\n"                                       \
    "+4477009 = opa.example\n"                           \
    "+1202555 = opb.example\n"                           \
    "+1202 = opc.example\n"                              \
    "+1 = opd.example\n"

/** Everything a proxy test works with; the test may read and change any of it. */
typedef struct pwfake_proxy {
    uint64_t now;               /**< the loop's manual clock (ms) */
    pwfake_component_t *fc;     /**< loop (on the manual clock), context, fake transport, component */
    pwfake_resolver_t *dns;     /**< the scripted resolver */
    pw_proxy_settings_t settings; /**< PWFAKE_PROXY_CONFIG, loaded by the role's loader */
    pw_proxy_t *proxy;          /**< the proxy under test (NULL once a test destroyed it) */
    pw_peering_key_t *pub;      /**< opa's public key, to verify what the proxy signs */
    pw_peering_key_t *opb;      /**< opb's private key (conf/keys), to sign notifications as its
                                     gateway does */
} pwfake_proxy_t;

/**
 * In a test file (after <criterion/criterion.h>): the Criterion suite name, each of whose tests
 * gets a fresh driver in the file-static pointer `drv` (Criterion's .init and .fini take no
 * argument, so the file keeps this one pointer).
 * @param name the suite
 * @param srcdir the tree of the keys, as for pwfake_proxy_create() (PWT_TREE)
 */
#define PWFAKE_PROXY_SUITE(name, srcdir)                                              \
    static pwfake_proxy_t *drv;                                                       \
    static void name##_create(void)                                                   \
    {                                                                                 \
        char why_[1024];                                                              \
        cr_assert_eq(pwfake_proxy_create(&drv, srcdir, why_, sizeof why_), PW_OK, "%s", why_); \
    }                                                                                 \
    static void name##_destroy(void) { pwfake_proxy_destroy(drv); }                  \
    TestSuite(name, .init = name##_create, .fini = name##_destroy)

/**
 * Make the settings (PWFAKE_PROXY_CONFIG), loop, fake transport, component (link up), fake
 * resolver and proxy.
 * @param out receives the driver; free with pwfake_proxy_destroy()
 * @param srcdir a tree holding conf/keys/opa.example.key (at mode 0600 or 0640, which the loader
 *        requires of a private key: PWT_TREE, not the source tree) and conf/keys/opa.example.pub
 * @param why receives the reason on failure
 * @param cap size of why
 * @return PW_OK, or the failing step's status (nothing is then left behind)
 */
pw_status_t pwfake_proxy_create(pwfake_proxy_t **out, const char *srcdir, char *why, size_t cap);

/**
 * Destroy the proxy (if the test has not), the resolver, the component, the loop, the
 * settings and the driver. NULL-safe.
 */
void pwfake_proxy_destroy(pwfake_proxy_t *d);

/**
 * Load a proxy configuration from text through the role's loader (checks included).
 * @param s receives the settings (pw_runtime_free_config(&pw_proxy_role, s))
 * @param why receives the reason of a refusal, cap bytes
 * @return what pw_runtime_load_config() returns, or PW_EIO when the text could not be written
 */
pw_status_t pwfake_proxy_load_text(pw_proxy_settings_t *s, const char *text, char *why, size_t cap);

/** Advance the manual clock by ms and run the loop until nothing more is due. */
void pwfake_proxy_advance(pwfake_proxy_t *d, uint64_t ms);

/** Let scripted DNS answers (due now) arrive. */
void pwfake_proxy_pump(pwfake_proxy_t *d);

/** Deliver a chain enquiry from 'from' about a number (presentity) or a JID (pjid). */
void pwfake_proxy_deliver(pwfake_proxy_t *d, const char *id, const char *from,
                          const char *presentity, const char *pjid);

/** An enquiry about bob's number from the watcher. */
void pwfake_proxy_ask_bob(pwfake_proxy_t *d, const char *id);

/** Script bob's ENUM record (service, regexp) with a TTL. */
void pwfake_proxy_script_bob_enum(pwfake_proxy_t *d, const char *service, const char *regexp,
                                  uint32_t ttl);

/** Script opb's gateways: gw1 (priority 10) then gateway.opb.example (priority 20). */
void pwfake_proxy_script_opb_gateways(pwfake_proxy_t *d, uint32_t ttl);

/** Script one gateway for a network. */
void pwfake_proxy_script_gateway(pwfake_proxy_t *d, const char *network, const char *target,
                                 uint32_t ttl);

/**
 * The last stanza must be the enquiry signed for gateway 'to' (verified with opa's public key),
 * addressed to the presentity at that gateway (protocol version 1): "<presentity>@<to>", or, for
 * an enquiry by JID, "<presentity-jid XEP-0106-escaped>@<to>".
 * @param to the gateway's domain (what the signature names)
 * @param nonce receives the signature's nonce, cap bytes (may be NULL)
 * @return the stanza (owned by the fake)
 */
xmpp_stanza_t *pwfake_proxy_expect_gateway_enquiry(pwfake_proxy_t *d, const char *to, char *nonce,
                                                   size_t cap);

/** The gateway 'from' (a domain) answers request id with bob's state. As a gateway does, it
 *  answers from the address the request was sent to when that is at 'from' ("+N@from"), else
 *  from 'from' itself (an answer from elsewhere). */
void pwfake_proxy_gateway_result(pwfake_proxy_t *d, const char *id, const char *from);

/** The gateway 'from' answers request id with an error (condition, type, text); its address as
 *  for pwfake_proxy_gateway_result(). */
void pwfake_proxy_gateway_error(pwfake_proxy_t *d, const char *id, const char *from,
                                const char *cond, const char *type, const char *text);

/**
 * The last stanza must be the error answering request id of 'to'.
 * @param text receives the error's text, cap bytes
 * @return its condition
 */
pw_error_t pwfake_proxy_error_to(pwfake_proxy_t *d, const char *to, const char *id, char *text,
                                 size_t cap);

/**
 * A <notify/> as a gateway sends it to the proxy: the IQ set id from 'from' around notify_xml,
 * signed (pw_peering_sign_notify()) with key in the name of network, as XML text.
 * @param d the driver
 * @param id the IQ's id
 * @param from the sender
 * @param notify_xml the <notify/> element (without signature)
 * @param key the signing key (d->opb, d->pub is not private), or NULL: no signature
 * @param network the network the signature names
 * @param out receives the IQ as text
 * @param cap size of out
 */
void pwfake_proxy_signed_notify(pwfake_proxy_t *d, const char *id, const char *from,
                                const char *notify_xml, const pw_peering_key_t *key,
                                const char *network, char *out, size_t cap);

/** As pwfake_proxy_error_to(), to the watcher. */
pw_error_t pwfake_proxy_error_to_watcher(pwfake_proxy_t *d, const char *id, char *text, size_t cap);

/** The last stanza must be the result to the watcher's request id carrying bob's state. */
void pwfake_proxy_expect_state_to_watcher(pwfake_proxy_t *d, const char *id);

#endif /* PWFAKE_PROXY_DRIVER_H */
