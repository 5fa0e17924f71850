/* test_metrics_component.c: the component core's own figures: stanzas received and sent by kind,
 * connected, reconnects, IQs pending (sampled) and timed out. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/pw_log.h"
#include "core/pw_metrics.h"
#include "xmpp/pw_component.h"
#include "xmpp/pw_stanza.h"
#include "fake_component.h"

#define JID "gw.opa.example"

static pwfake_component_t *fc;
static pw_metrics_t *metrics;
static uint64_t now = 1000;

static void setup(void)
{
    pw_component_opts_t o = { .jid = JID, .iq_timeout_ms = 1000 };
    pw_log_setup("test-metrics-component", PW_LOG_ERROR);
    cr_assert_eq(pw_metrics_create(&metrics, "peerwatch-gateway"), PW_OK);
    o.metrics = metrics;
    cr_assert_eq(pwfake_component_create_clocked(&fc, &o, &now), PW_OK);
}

static void teardown(void)
{
    pwfake_component_destroy(fc);
    pw_metrics_destroy(metrics);
}

TestSuite(metrics_component, .init = setup, .fini = teardown);

static uint64_t counter(const char *name, const char *labels)
{
    return pw_counter_value(pw_metrics_counter(metrics, name, NULL, labels));
}

static double gauge(const char *name)
{
    return pw_gauge_value(pw_metrics_gauge(metrics, name, NULL, NULL));
}

static void on_answer(pw_component_t *c, pw_iq_outcome_t outcome, xmpp_stanza_t *response, void *arg)
{
    (void)c;
    (void)response;
    *(pw_iq_outcome_t *)arg = outcome;
}

Test(metrics_component, stanzas_by_kind)
{
    pwfake_transport_up(fc->fake);
    pwfake_component_deliver(fc, "<iq type='get' id='p1' from='a@opa.example/x' to='" JID "'><ping xmlns='urn:xmpp:ping'/></iq>");
    pwfake_component_deliver(fc, "<message from='a@opa.example/x' to='" JID "'><body>hi</body></message>");
    pwfake_component_deliver(fc, "<presence from='a@opa.example/x' to='" JID "'/>");
    cr_assert_eq(counter("peerwatch_stanzas_received_total", "kind=\"iq\""), 1);
    cr_assert_eq(counter("peerwatch_stanzas_received_total", "kind=\"message\""), 1);
    cr_assert_eq(counter("peerwatch_stanzas_received_total", "kind=\"presence\""), 1);
    cr_assert_eq(counter("peerwatch_stanzas_sent_total", "kind=\"iq\""), 1, "the ping's answer");
    cr_assert_eq(counter("peerwatch_stanzas_sent_total", "kind=\"message\""), 1, "the message's error");
    cr_assert_eq(counter("peerwatch_stanzas_sent_total", "kind=\"presence\""), 0);
}

Test(metrics_component, connected_and_reconnects)
{
    cr_assert_eq(gauge("peerwatch_connected"), 0);
    pwfake_transport_up(fc->fake);
    cr_assert_eq(gauge("peerwatch_connected"), 1);
    cr_assert_eq(counter("peerwatch_reconnects_total", NULL), 0, "the first connection is no reconnection");
    pwfake_transport_down(fc->fake);
    cr_assert_eq(gauge("peerwatch_connected"), 0);
    pwfake_transport_up(fc->fake);
    cr_assert_eq(counter("peerwatch_reconnects_total", NULL), 1);
}

Test(metrics_component, pending_and_timed_out_iqs)
{
    pw_iq_outcome_t outcome = PW_IQ_RESULT;
    xmpp_stanza_t *iq;

    pwfake_transport_up(fc->fake);
    iq = pw_stanza_element(fc->ctx, "iq", NULL);
    xmpp_stanza_set_type(iq, "get");
    xmpp_stanza_set_to(iq, "hss.opa.example");
    pw_stanza_add_child(iq, "ping", "urn:xmpp:ping");
    cr_assert_eq(pw_component_send_iq(fc->comp, iq, 0, on_answer, &outcome), PW_OK);
    xmpp_stanza_release(iq);
    cr_assert_eq(gauge("peerwatch_iq_pending"), 1, "a sampled queue depth");
    now += 1500;
    pw_loop_run_once(fc->loop, 0);
    cr_assert_eq(outcome, PW_IQ_TIMEOUT);
    cr_assert_eq(gauge("peerwatch_iq_pending"), 0);
    cr_assert_eq(counter("peerwatch_iq_timeouts_total", NULL), 1);
}

Test(metrics_component, no_registry_no_figures)
{
    pwfake_component_t *bare = NULL;
    cr_assert_eq(pwfake_component_create(&bare, "hss.opa.example"), PW_OK);
    cr_assert_null(pw_component_metrics(bare->comp));
    pwfake_component_deliver(bare, "<iq type='get' id='p1' from='a@opa.example/x' to='hss.opa.example'><ping xmlns='urn:xmpp:ping'/></iq>");
    pwfake_component_destroy(bare);
    cr_assert_eq(pw_component_metrics(fc->comp), metrics);
}
