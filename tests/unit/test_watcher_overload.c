/* test_watcher_overload.c: admission under overload at the WA: one watcher holds at most max_in_flight_per_watcher enquiries in progress and all together at most max_in_flight; the excess is answered at once with resource-constraint (type wait) and a readable text, and the others are still served. */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <string.h>

/* The running test's WA driver, with the fixtures tw_setup and tw_teardown. */
PWFAKE_WATCHER_FIXTURES(tw)

TestSuite(watcher_overload, .init = tw_setup, .fini = tw_teardown);

/* who (a full JID) asks about bob; the WA must go on to the HSS. id_out receives the id of
 * the HSS lookup it sent. */
static void asks_and_goes_to_hss(const char *id, const char *who, char *id_out, size_t cap)
{
    pwfake_watcher_enquiry(tw, id, who, "address='+12025550123' kind='current'");
    pwfake_watcher_last_request(tw, "hss.opa.example", "get");
    snprintf(id_out, cap, "%s", pwfake_attr(pwfake_transport_last(tw->fake), "id"));
}

/* who asks (request id) and is refused at once: the one stanza sent since is the error, of
 * type wait, condition resource-constraint, with a text holding word. */
static void asks_and_is_refused(const char *id, const char *who, const char *word)
{
    char text[512];
    size_t before = pwfake_transport_sent_count(tw->fake);
    xmpp_stanza_t *err;

    pwfake_watcher_enquiry(tw, id, who, "address='+12025550123' kind='current'");
    cr_assert_eq(pwfake_transport_sent_count(tw->fake), before + 1,
                 "%s: only the refusal is sent (nothing asked of the HSS or the proxy)", id);
    cr_assert_eq(pwfake_watcher_last_error(tw, id, text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT, "%s", id);
    cr_assert(strstr(text, word), "%s: text '%s' lacks '%s'", id, text, word);
    err = xmpp_stanza_get_child_by_name(pwfake_transport_last(tw->fake), "error");
    cr_assert(err);
    cr_assert_str_eq(pwfake_attr(err, "type"), "wait", "a temporary condition: the client may retry");
}

/* The HSS answers the lookup with this id: nobody by that JID (the enquiry ends refused). */
static void hss_unknown(const char *hss_id)
{
    pwfake_watcher_deliver(tw, "<iq type='error' id='%s' from='hss.opa.example' to='" PWFAKE_WATCHER_JID "'>"
                           "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                           "</error></iq>", hss_id);
}

Test(watcher_overload, a_flooding_watcher_gets_only_its_share_and_others_are_served)
{
    char h1[128], h2[128], hc[128];

    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, "max_in_flight_per_watcher = 2\n");
    asks_and_goes_to_hss("a1", "alice@opa.example/phone", h1, sizeof h1);
    asks_and_goes_to_hss("a2", "alice@opa.example/tablet", h2, sizeof h2); /* any resource counts */
    asks_and_is_refused("a3", "alice@opa.example/phone", "alice@opa.example has 2 enquiries in progress");
    cr_assert_eq(pw_watcher_inflight(tw->wa), 2, "the refused one is not in flight");

    /* carol is served meanwhile, all the way to the proxy */
    asks_and_goes_to_hss("c1", "carol@opa.example/tab", hc, sizeof hc);
    pwfake_watcher_hss_subscriber(tw, "+447700900002", "carol@opa.example", "active", "postpaid", "-");
    pwfake_watcher_last_request(tw, "proxy.opa.example", "set");

    /* once one of alice's ends, she has a slot again */
    hss_unknown(h1);
    pwfake_watcher_last_error(tw, "a1", NULL, 0);
    asks_and_goes_to_hss("a4", "alice@opa.example/phone", h1, sizeof h1);
    asks_and_is_refused("a5", "alice@opa.example/phone", "wait for their answers");
}

Test(watcher_overload, beyond_the_global_cap_everyone_is_refused_at_once)
{
    char h1[128], h2[128], h3[128];

    pwfake_watcher_teardown(tw);
    pwfake_watcher_start(tw, "max_in_flight = 2\nmax_in_flight_per_watcher = 5\n");
    asks_and_goes_to_hss("a1", "alice@opa.example/phone", h1, sizeof h1);
    asks_and_goes_to_hss("c1", "carol@opa.example/tab", h2, sizeof h2);
    asks_and_is_refused("d1", "dave@opa.example/x", "the watcher service is busy (2 enquiries in progress)");
    asks_and_is_refused("a2", "alice@opa.example/phone", "busy");
    /* when one ends, the next is taken */
    hss_unknown(h2);
    pwfake_watcher_last_error(tw, "c1", NULL, 0);
    asks_and_goes_to_hss("d2", "dave@opa.example/x", h3, sizeof h3);
    cr_assert_eq(pw_watcher_inflight(tw->wa), 2);
}

Test(watcher_overload, defaults_and_bounds)
{
    pw_watcher_settings_t s;
    char why[512] = "";

    cr_assert_eq(pwfake_watcher_load(NULL, &s, PWFAKE_WATCHER_CONFIG, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(s.max_in_flight, 4096);
    cr_assert_eq(s.max_in_flight_per_watcher, 64);
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &s);
    cr_assert_neq(pwfake_watcher_load(NULL, &s, PWFAKE_WATCHER_CONFIG "max_in_flight = 0\n", why, sizeof why), PW_OK);
    cr_assert_neq(pwfake_watcher_load(NULL, &s, PWFAKE_WATCHER_CONFIG "max_in_flight_per_watcher = 0\n", why,
                                      sizeof why), PW_OK);
}

/* A client logging in probes every phone-number contact of its roster at once: with the
 * default share, a roster of 40 contacts gets 40 enquiries, none refused. */
Test(watcher_overload, the_default_share_takes_a_login_burst_of_probes)
{
    for (int i = 0; i < 40; i++)
        pwfake_watcher_deliver(tw, "<presence type='probe' from='alice@opa.example' "
                               "to='+120255501%02d@watcher.opa.example'/>", i);
    cr_assert_eq(pw_watcher_inflight(tw->wa), 40, "every probe became an enquiry");
    for (size_t i = 0; i < pwfake_transport_sent_count(tw->fake); i++)
        cr_assert_str_neq(pwfake_attr(pwfake_transport_sent(tw->fake, i), "type"), "unavailable",
                          "no contact shown unavailable for the watcher's own burst");
}
