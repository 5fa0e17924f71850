/* watcher_driver.h: drives a Watcher Application in unit tests: a WA on the fake transport with a manual clock, and the stanzas of its peers (client, HSS, proxy). */
#ifndef PWFAKE_WATCHER_DRIVER_H
#define PWFAKE_WATCHER_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <strophe.h>

#include "core/pw_loop.h"
#include "core/pw_status.h"
#include "fake_component.h"
#include "watcher.h"
#include "xmpp/pw_component.h"

/** The WA's JID. */
#define PWFAKE_WATCHER_JID "watcher.opa.example"

/** The settings every test starts from (like conf/watcher-opa.conf; pwfake_watcher_setup() adds country_code = 44). */
#define PWFAKE_WATCHER_CONFIG                             \
    "[component]\n"                                       \
    "jid = " PWFAKE_WATCHER_JID "\n"                      \
    "secret = s\n"                                        \
    "iq_timeout = 20s\n"                                  \
    "[watcher]\n"                                         \
    "domain = opa.example\n"                              \
    "proxy = proxy.opa.example\n"                         \
    "hss = hss.opa.example\n"                             \
    "presence_servers = ps1.opa.example, ps2.opa.example\n" \
    "state_dir = @STATE_DIR@\n"

/** 2026-11-21T10:00:00Z when now = 1000000 */
#define PWFAKE_WATCHER_WALL_BASE (1795255200000ull - 1000000ull)

/** The contact JID of +12025550123 at the WA. */
#define PWFAKE_WATCHER_CONTACT "+12025550123@" PWFAKE_WATCHER_JID
/** A <state/>: available, away, "In a meeting". */
#define PWFAKE_WATCHER_STATE_AWAY "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>In a meeting</status></state>"
/** A <state/>: unavailable. */
#define PWFAKE_WATCHER_STATE_OFF "<state xmlns='urn:peerwatch:0' available='false'/>"

/** Everything a test's WA runs on. Tests read the fields; the driver's functions change them. */
typedef struct pwfake_watcher {
    uint64_t now;                   /**< the loop clock (ms) */
    uint64_t wall_base;             /**< the wall clock is wall_base + now */
    char state_dir[64];             /**< the test's state directory ("" until started) */
    pwfake_component_t *fc;         /**< owns the loop (on the manual clock), context, transport, component */
    pw_loop_t *loop;                /**< fc's, borrowed (as are the next three) */
    xmpp_ctx_t *ctx;
    pwfake_transport_t *fake;       /**< what the WA sent */
    pw_component_t *comp;
    pw_watcher_settings_t settings; /**< the WA points at these */
    pw_watcher_t *wa;
} pwfake_watcher_t;

/**
 * Define a test file's driver pointer `var` and its Criterion fixtures var##_setup (a new
 * driver started by pwfake_watcher_setup()) and var##_teardown (pwfake_watcher_free()).
 * Criterion's .init/.fini take no argument, so each test file keeps this one pointer.
 * Use at file scope, without a semicolon: PWFAKE_WATCHER_FIXTURES(tw)
 */
#define PWFAKE_WATCHER_FIXTURES(var)                          \
    static pwfake_watcher_t *var;                             \
    static void __attribute__((unused)) var##_setup(void)     \
    {                                                         \
        var = pwfake_watcher_new();                           \
        pwfake_watcher_setup(var);                            \
    }                                                         \
    static void __attribute__((unused)) var##_teardown(void)  \
    {                                                         \
        pwfake_watcher_free(var);                             \
        var = NULL;                                           \
    }

/**
 * A new driver with nothing started (asserts on failure).
 * @return the driver; free with pwfake_watcher_free()
 */
pwfake_watcher_t *pwfake_watcher_new(void);

/** Stop and free everything, remove the state directory, free the driver. NULL-safe. */
void pwfake_watcher_free(pwfake_watcher_t *d);

/** Start the WA with PWFAKE_WATCHER_CONFIG and country_code = 44. */
void pwfake_watcher_setup(pwfake_watcher_t *d);

/**
 * Start a WA with PWFAKE_WATCHER_CONFIG plus extra [watcher] lines, on the test's state
 * directory (made when there is none yet), with the clocks at their start.
 * @param extra lines appended to the config, or NULL
 */
void pwfake_watcher_start(pwfake_watcher_t *d, const char *extra);

/**
 * Start a WA again (after pwfake_watcher_stop()) on the same state directory and clocks.
 * @param extra lines appended to the config, or NULL
 */
void pwfake_watcher_start_again(pwfake_watcher_t *d, const char *extra);

/** Stop the WA and everything under it, keeping the clocks and the state directory. */
void pwfake_watcher_stop(pwfake_watcher_t *d);

/** Stop, remove the state directory and reset the driver to its state after pwfake_watcher_new(). */
void pwfake_watcher_teardown(pwfake_watcher_t *d);

/**
 * Load and check settings from config text, with @STATE_DIR@ replaced by the test's state
 * directory.
 * @param d the driver, or NULL (no state directory: a placeholder path)
 * @param s receives the settings (free with pw_config_free() on success)
 * @param raw the config text
 * @param why receives the reason of a failure
 * @param cap size of why
 * @return PW_OK, or the loader's or the check's failure
 */
pw_status_t pwfake_watcher_load(const pwfake_watcher_t *d, pw_watcher_settings_t *s, const char *raw,
                                char *why, size_t cap);

/**
 * An XEP-0082 time some seconds after the current wall clock.
 * @param s seconds from now
 * @param buf receives the text
 * @param cap size of buf
 * @return buf
 */
const char *pwfake_watcher_time_in(const pwfake_watcher_t *d, int64_t s, char *buf, size_t cap);

/**
 * Let time pass and run the loop (timers).
 * @param ms milliseconds
 */
void pwfake_watcher_advance(pwfake_watcher_t *d, uint64_t ms);

/**
 * An attribute of a stanza: pwfake_attr().
 * @param s the stanza, or NULL
 * @param name the attribute
 * @return its value (owned by s), or ""
 */
const char *pwfake_watcher_attr(xmpp_stanza_t *s, const char *name);

/**
 * Deliver a stanza to the WA (asserts it parses): pwfake_component_deliver() on its component.
 * @param d the driver, then printf-style XML and its arguments
 */
#define pwfake_watcher_deliver(d, ...) pwfake_component_deliver((d)->fc, __VA_ARGS__)

/**
 * A client enquiry arrives.
 * @param id the IQ id
 * @param from the sender's JID
 * @param attrs the attributes of <enquiry/> as XML text
 */
void pwfake_watcher_enquiry(pwfake_watcher_t *d, const char *id, const char *from, const char *attrs);

/**
 * The last stanza sent, which must be an IQ error (with this id unless NULL).
 * @param text receives its text
 * @param cap size of text
 * @return its condition
 */
pw_error_t pwfake_watcher_last_error(pwfake_watcher_t *d, const char *id, char *text, size_t cap);

/**
 * Assert (Criterion) that the one stanza sent since the last pwfake_transport_clear() is the
 * error answering id, with condition cond and a text that holds word.
 * @param d the driver
 * @param id the refused request's id
 * @param cond the condition expected
 * @param word what the text must hold, e.g. "'duration'"
 * @param what names the case in a failure's message
 * @param text receives the error's text (for further checks)
 * @param cap size of text
 */
void pwfake_watcher_expect_refusal(pwfake_watcher_t *d, const char *id, pw_error_t cond, const char *word,
                                   const char *what, char *text, size_t cap);

/**
 * The last stanza sent, which must be an IQ request of type to `to` from the WA.
 * @return its payload (owned by the fake transport)
 */
xmpp_stanza_t *pwfake_watcher_last_request(pwfake_watcher_t *d, const char *to, const char *type);

/**
 * Answer the last request.
 * @param from who answers (where the request went)
 * @param type "result" or "error"
 * @param inner the XML inside the answering IQ
 */
void pwfake_watcher_answer(pwfake_watcher_t *d, const char *from, const char *type, const char *inner);

/**
 * The HSS answers the pending lookup (the last stanza sent) with a subscriber record.
 * @param msisdn, jid, status, account, balance the record's attributes
 */
void pwfake_watcher_hss_subscriber(pwfake_watcher_t *d, const char *msisdn, const char *jid,
                                   const char *status, const char *account, const char *balance);

/** The HSS answers: alice, active, prepaid with 100 units. */
void pwfake_watcher_hss_alice(pwfake_watcher_t *d);

/**
 * alice answers the pending HSS lookup.
 * @return the chain enquiry that went to the proxy (its payload)
 */
xmpp_stanza_t *pwfake_watcher_hss_then_proxy(pwfake_watcher_t *d);

/**
 * A client enquiry from alice's phone, up to the chain enquiry sent to the proxy.
 * @return the chain enquiry (its payload)
 */
xmpp_stanza_t *pwfake_watcher_up_to_proxy(pwfake_watcher_t *d, const char *id, const char *attrs);

/**
 * The proxy answers the last chain enquiry with a state and a subscription.
 * @param state_xml the <state/>
 * @param subid the subscription id
 * @param in_s its expiry, seconds from now
 */
void pwfake_watcher_proxy_subscribed(pwfake_watcher_t *d, const char *state_xml, const char *subid,
                                     int64_t in_s);

/**
 * The proxy answers the last chain enquiry with just a state.
 * @param state_xml the <state/>
 */
void pwfake_watcher_proxy_state(pwfake_watcher_t *d, const char *state_xml);

/**
 * The proxy answers the last chain enquiry with an error.
 * @param cond the RFC 6120 condition element's name
 * @param type the error type
 * @param text the readable text
 */
void pwfake_watcher_proxy_error(pwfake_watcher_t *d, const char *cond, const char *type, const char *text);

/**
 * A chain notification arrives, in the name of network opb.example (the network the proxy
 * verified the signature of, as it tells its WA) unless attrs names another network.
 * @param id the IQ id
 * @param from the sender's JID
 * @param attrs more attributes of <notify/> as XML text
 * @param inner the XML inside <notify/>
 */
void pwfake_watcher_notify(pwfake_watcher_t *d, const char *id, const char *from, const char *attrs,
                           const char *inner);

/**
 * A stanza the WA sent, which must exist.
 * @param i its index, 0 = first
 * @return the stanza (owned by the fake transport)
 */
xmpp_stanza_t *pwfake_watcher_sent(pwfake_watcher_t *d, size_t i);

/**
 * Assert that s is a <presence/> from PWFAKE_WATCHER_CONTACT to alice.
 * @param s the stanza
 * @param type its type, or NULL for available presence
 */
void pwfake_watcher_assert_presence(xmpp_stanza_t *s, const char *type);

/**
 * alice subscribes on her roster and the chain grants a subscription.
 * @param subid the subscription id
 * @param in_s its expiry, seconds from now
 */
void pwfake_watcher_roster_subscribed(pwfake_watcher_t *d, const char *subid, int64_t in_s);

#endif /* PWFAKE_WATCHER_DRIVER_H */
