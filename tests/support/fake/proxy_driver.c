/* proxy_driver.c: a Watcher Presence Proxy under test on the fake transport and resolver (see proxy_driver.h). */
#include "proxy_driver.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/pw_enquiry.h"
#include "core/pw_clock.h"
#include "keys.h"
#include "xmpp/pw_stanza.h"

pw_status_t pwfake_proxy_load_text(pw_proxy_settings_t *s, const char *text, char *why, size_t cap)
{
    char path[] = "/tmp/pw-proxy-test-XXXXXX";
    size_t len = strlen(text);
    int fd = mkstemp(path), written;
    pw_status_t rc;

    memset(s, 0, sizeof *s);
    if (fd < 0) {
        snprintf(why, cap, "cannot make a temporary file");
        return PW_EIO;
    }
    written = write(fd, text, len) == (ssize_t)len;
    close(fd);
    if (written) {
        rc = pw_runtime_load_config(&pw_proxy_role, path, s, why, cap);
    } else {
        snprintf(why, cap, "cannot write %s", path);
        rc = PW_EIO;
    }
    unlink(path);
    return rc;
}

pw_status_t pwfake_proxy_create(pwfake_proxy_t **out, const char *srcdir, char *why, size_t cap)
{
    /* the identity the runtime gives the component comes from the role */
    pw_component_opts_t o = { .jid = PWFAKE_PROXY_JID, .name = "peerwatch-proxy", .version = "0",
                              .disco_category = pw_proxy_role.disco_category,
                              .disco_type = pw_proxy_role.disco_type,
                              .disco_name = pw_proxy_role.disco_name, .iq_timeout_ms = 20000 };
    char text[2048], pub[512];
    pwfake_proxy_t *d = calloc(1, sizeof *d);
    pw_status_t rc = PW_ENOMEM;

    *out = NULL;
    snprintf(why, cap, "out of memory");
    if (!d)
        goto done;
    snprintf(text, sizeof text, PWFAKE_PROXY_CONFIG, srcdir, srcdir);
    if ((rc = pwfake_proxy_load_text(&d->settings, text, why, cap)) != PW_OK)
        goto done;
    snprintf(pub, sizeof pub, "%s/conf/keys/opa.example.pub", srcdir);
    if ((rc = pw_peering_key_load_public(pub, &d->pub, why, cap)) != PW_OK)
        goto done;
    snprintf(pub, sizeof pub, "%s/conf/keys/opb.example.key", srcdir);
    if ((rc = pw_peering_key_load_private(pub, &d->opb, why, cap)) != PW_OK)
        goto done;
    d->now = 1000000;
    snprintf(why, cap, "cannot set the loop, context, transport, component or resolver up");
    if ((rc = pwfake_component_create_clocked(&d->fc, &o, &d->now)) != PW_OK)
        goto done;
    pwfake_transport_up(d->fc->fake);
    if ((rc = pwfake_resolver_create(&d->dns, d->fc->loop)) != PW_OK)
        goto done;
    snprintf(why, cap, "pw_proxy_create_with_resolver failed");
    if ((rc = pw_proxy_create_with_resolver(&d->proxy, d->fc->comp, &d->settings, pwfake_resolver_base(d->dns))) != PW_OK)
        goto done;
    why[0] = '\0';
    *out = d;
    d = NULL;
done:
    pwfake_proxy_destroy(d);
    return rc;
}

void pwfake_proxy_destroy(pwfake_proxy_t *d)
{
    if (!d)
        return;
    pw_proxy_destroy(d->proxy);
    d->proxy = NULL;
    if (d->dns)
        pw_resolver_destroy(pwfake_resolver_base(d->dns));
    pwfake_component_destroy(d->fc);
    pw_runtime_free_config(&pw_proxy_role, &d->settings);
    pw_peering_key_destroy(d->pub);
    pw_peering_key_destroy(d->opb);
    free(d);
}

/* Advance the manual clock by ms and run the loop until nothing more is due. */
void pwfake_proxy_advance(pwfake_proxy_t *d, uint64_t ms)
{
    d->now += ms;
    for (int i = 0; i < 8; i++)
        pw_loop_run_once(d->fc->loop, 0);
}

/* Let scripted DNS answers (due now) arrive. */
void pwfake_proxy_pump(pwfake_proxy_t *d)
{
    pwfake_proxy_advance(d, 0);
}

/* Deliver a chain enquiry from 'from' about a number (presentity) or a JID (pjid). */
void pwfake_proxy_deliver(pwfake_proxy_t *d, const char *id, const char *from, const char *presentity, const char *pjid)
{
    pwfake_component_deliver(d->fc, "<iq type='set' id='%s' from='%s' to='" PWFAKE_PROXY_JID "'>"
                             "<enquiry xmlns='urn:peerwatch:chain:1' ref='" PWFAKE_PROXY_REF "' kind='current' %s='%s' "
                             "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' "
                             "watcher-network='opa.example'/></iq>",
                             id, from, presentity ? "presentity" : "presentity-jid", presentity ? presentity : pjid);
}

/* An enquiry about bob's number from the watcher. */
void pwfake_proxy_ask_bob(pwfake_proxy_t *d, const char *id)
{
    pwfake_proxy_deliver(d, id, PWFAKE_PROXY_WATCHER, PWFAKE_PROXY_BOB, NULL);
}

/* Script bob's ENUM record (service, regexp) with a TTL. */
void pwfake_proxy_script_bob_enum(pwfake_proxy_t *d, const char *service, const char *regexp, uint32_t ttl)
{
    pw_naptr_t r = pwfake_resolver_naptr(service, regexp);
    cr_assert_eq(pwfake_resolver_script_naptr(d->dns, PWFAKE_PROXY_BOB_ENUM, PW_OK, &r, 1, ttl), PW_OK);
}

/* Script opb's gateways: gw1 (priority 10) then gateway.opb.example (priority 20). */
void pwfake_proxy_script_opb_gateways(pwfake_proxy_t *d, uint32_t ttl)
{
    pw_srv_rr_t rrs[2] = { pwfake_resolver_srv(20, PWFAKE_PROXY_GW2 "."), pwfake_resolver_srv(10, PWFAKE_PROXY_GW1) };
    cr_assert_eq(pwfake_resolver_script_srv(d->dns, PWFAKE_PROXY_SRV_OPB, PW_OK, rrs, 2, ttl), PW_OK);
}

/* Script one gateway for a network. */
void pwfake_proxy_script_gateway(pwfake_proxy_t *d, const char *network, const char *target, uint32_t ttl)
{
    char name[300];
    pw_srv_rr_t r = pwfake_resolver_srv(10, target);
    snprintf(name, sizeof name, "_presence-gw._tcp.%s", network);
    cr_assert_eq(pwfake_resolver_script_srv(d->dns, name, PW_OK, &r, 1, ttl), PW_OK);
}

/* The last stanza must be the enquiry signed for gateway 'to' (verified with opa's public
 * key); returns it (owned by the fake). nonce receives the signature's nonce (may be NULL). */
xmpp_stanza_t *pwfake_proxy_expect_gateway_enquiry(pwfake_proxy_t *d, const char *to, char *nonce, size_t cap)
{
    xmpp_stanza_t *s = pwfake_component_expect_last(d->fc, &(pwfake_expect_t){ .name = "iq", .type = "set" });
    xmpp_stanza_t *el, *sig;
    pw_enquiry_t e;
    pw_error_t cond;
    char why[512], want[PW_JID_MAX + 1];

    el = xmpp_stanza_get_child_by_name_and_ns(s, "enquiry", PW_NS_CHAIN);
    cr_assert_not_null(el, "a chain enquiry");
    cr_assert_eq(pw_enquiry_parse(el, &e, &cond, why, sizeof why), PW_OK, "%s", why);
    /* addressed to the presentity at the gateway: the number, or the escaped JID */
    pwfake_keys_enquiry_to(&e, to, want, sizeof want);
    cr_assert_neq(want[0], '\0');
    cr_assert_str_eq(pwfake_attr(s, "to"), want, "the enquiry's address");
    cr_assert_str_eq(e.ref, PWFAKE_PROXY_REF);
    cr_assert_str_eq(e.watcher_network, "opa.example");
    sig = xmpp_stanza_get_child_by_name(el, "signature");
    cr_assert_not_null(sig, "the enquiry is signed");
    cr_assert_str_eq(pwfake_attr(sig, "network"), "opa.example");
    cr_assert_eq(pw_peering_verify(d->pub, sig, &e, PWFAKE_PROXY_JID, to, why, sizeof why), PW_OK,
                 "signature for %s: %s", to, why);
    if (nonce)
        snprintf(nonce, cap, "%s", pwfake_attr(sig, "nonce"));
    return s;
}

void pwfake_proxy_signed_notify(pwfake_proxy_t *d, const char *id, const char *from,
                                const char *notify_xml, const pw_peering_key_t *key,
                                const char *network, char *out, size_t cap)
{
    xmpp_ctx_t *ctx = pw_component_ctx(d->fc->comp);
    xmpp_stanza_t *el = xmpp_stanza_new_from_string(ctx, notify_xml), *iq, *sig = NULL;
    pw_notify_t n;
    char why[256], *text = NULL;
    size_t len = 0;

    cr_assert_not_null(el, "notify_xml parses");
    cr_assert_eq(pw_notify_parse(el, &n, why, sizeof why), PW_OK, "%s", why);
    if (key) {
        sig = pw_peering_sign_notify(ctx, key, network, &n, from, PWFAKE_PROXY_JID, pw_clock_wall_ms());
        cr_assert_not_null(sig, "signed");
        xmpp_stanza_add_child(el, sig);
        xmpp_stanza_release(sig);
    }
    iq = xmpp_iq_new(ctx, "set", id);
    xmpp_stanza_set_from(iq, from);
    xmpp_stanza_set_to(iq, PWFAKE_PROXY_JID);
    xmpp_stanza_add_child(iq, el);
    xmpp_stanza_release(el);
    cr_assert_eq(xmpp_stanza_to_text(iq, &text, &len), XMPP_EOK);
    snprintf(out, cap, "%s", text);
    cr_assert_lt(len, cap, "room for the IQ");
    xmpp_free(ctx, text);
    xmpp_stanza_release(iq);
}

/* Where the gateway at domain 'gw' answers request id from: the address the request was sent to
 * when that is at gw, else gw (an answer from elsewhere). */
static const char *answering_address(pwfake_proxy_t *d, const char *id, const char *gw)
{
    for (size_t i = pwfake_transport_sent_count(d->fc->fake); i-- > 0;) {
        xmpp_stanza_t *s = pwfake_transport_sent(d->fc->fake, i);
        const char *to = pwfake_attr(s, "to"), *at = strrchr(to, '@');
        if (strcmp(pwfake_attr(s, "id"), id) == 0 && strcmp(pwfake_attr(s, "type"), "set") == 0)
            return at && strcmp(at + 1, gw) == 0 ? to : gw;
    }
    return gw;
}

/* The gateway 'from' answers request id with bob's state. */
void pwfake_proxy_gateway_result(pwfake_proxy_t *d, const char *id, const char *from)
{
    from = answering_address(d, id, from);
    pwfake_component_deliver(d->fc, "<iq type='result' id='%s' from='%s' to='" PWFAKE_PROXY_JID "'>"
                             "<enquiry xmlns='urn:peerwatch:chain:1' ref='" PWFAKE_PROXY_REF "' kind='current'>"
                             "<state xmlns='urn:peerwatch:0' available='true' show='away'><status>In a meeting</status></state>"
                             "</enquiry></iq>", id, from);
}

/* The gateway 'from' answers request id with an error. */
void pwfake_proxy_gateway_error(pwfake_proxy_t *d, const char *id, const char *from, const char *cond,
                                    const char *type, const char *text)
{
    from = answering_address(d, id, from);
    pwfake_component_deliver(d->fc, "<iq type='error' id='%s' from='%s' to='" PWFAKE_PROXY_JID "'><error type='%s'>"
                             "<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>%s</text></error></iq>",
                             id, from, type, cond, text);
}

/* The last stanza must be the error answering the watcher's request id; returns its condition. */
pw_error_t pwfake_proxy_error_to(pwfake_proxy_t *d, const char *to, const char *id, char *text, size_t cap)
{
    xmpp_stanza_t *s = pwfake_component_expect_last(d->fc, &(pwfake_expect_t){ .type = "error", .to = to,
                                                                            .from = PWFAKE_PROXY_JID, .id = id });
    return pw_stanza_error_parse(s, text, cap);
}

pw_error_t pwfake_proxy_error_to_watcher(pwfake_proxy_t *d, const char *id, char *text, size_t cap)
{
    return pwfake_proxy_error_to(d, PWFAKE_PROXY_WATCHER, id, text, cap);
}

/* The last stanza must be the result to the watcher's request id carrying bob's state. */
void pwfake_proxy_expect_state_to_watcher(pwfake_proxy_t *d, const char *id)
{
    xmpp_stanza_t *s = pwfake_component_expect_last(d->fc, &(pwfake_expect_t){ .type = "result",
                                                                            .to = PWFAKE_PROXY_WATCHER, .id = id });
    xmpp_stanza_t *el, *state;
    el = xmpp_stanza_get_child_by_name_and_ns(s, "enquiry", PW_NS_CHAIN);
    cr_assert_not_null(el);
    cr_assert_str_eq(pwfake_attr(el, "ref"), PWFAKE_PROXY_REF);
    cr_assert_null(xmpp_stanza_get_child_by_name(el, "signature"));
    state = xmpp_stanza_get_child_by_name(el, "state");
    cr_assert_not_null(state, "the state travels back");
    cr_assert_str_eq(pwfake_attr(state, "available"), "true");
    cr_assert_str_eq(pwfake_attr(state, "show"), "away");
}

