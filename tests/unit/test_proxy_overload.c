/* test_proxy_overload.c: beyond [proxy] max_in_flight enquiries in progress, the proxy answers the next at once with resource-constraint (type wait) and a readable text, asking nothing of DNS or any gateway. */
#include <criterion/criterion.h>
#include <string.h>

#include "proxy_driver.h"

PWFAKE_PROXY_SUITE(proxy_overload, PWT_TREE);

Test(proxy_overload, beyond_max_in_flight_the_next_is_refused_at_once)
{
    char text[512];
    size_t queries, sent;
    xmpp_stanza_t *err;

    cr_assert_eq(drv->settings.max_in_flight, 4096, "the default");
    drv->settings.max_in_flight = 2; /* the proxy reads its settings through this pointer */
    pwfake_proxy_ask_bob(drv, "o1");
    pwfake_proxy_ask_bob(drv, "o2");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 2);
    queries = pwfake_resolver_count(drv->dns, NULL, NULL);
    sent = pwfake_transport_sent_count(drv->fc->fake);

    pwfake_proxy_ask_bob(drv, "o3");
    cr_assert_eq(pwfake_transport_sent_count(drv->fc->fake), sent + 1, "only the refusal is sent");
    cr_assert_eq(pwfake_proxy_error_to_watcher(drv, "o3", text, sizeof text), PW_ERR_RESOURCE_CONSTRAINT);
    cr_assert(strstr(text, "the presence proxy of opa.example is busy (2 enquiries in progress)"), "%s", text);
    err = xmpp_stanza_get_child_by_name(pwfake_transport_last(drv->fc->fake), "error");
    cr_assert_str_eq(xmpp_stanza_get_type(err), "wait", "a temporary condition: the watcher may retry");
    cr_assert_eq(pwfake_resolver_count(drv->dns, NULL, NULL), queries, "no DNS for the refused one");
    cr_assert_eq(pw_proxy_in_flight(drv->proxy), 2);
}
