/* test_peer_dns.c: peerwatch-peer dns prints the operator's records in zone-file syntax: the gateway SRV, the s2s SRV of the domain and of every component domain, the server's address, ENUM NAPTR examples of its own prefixes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "test_peer_util.h"

static const char *opa;

TP_SUITE(peer_dns, operator, tp_nothing);

/* opa with a peer's prefix in its table, a second Presence Server, and the watcher naming both. */
static void operator(void)
{
    char path[320];
    FILE *f;

    opa = tp_operator(&root, "opa.example", "+4477009,+4477010");
    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    f = fopen(path, "a");
    fputs("+1202555 = opb.example\n", f); /* a peer's: not ours to publish */
    fclose(f);
    snprintf(path, sizeof path, "%s/presence-ps2.conf", opa);
    tp_write(path, "include = operator.conf\n[component]\njid = ps2.opa.example\n");
    snprintf(path, sizeof path, "%s/watcher.conf", opa);
    tp_write(path, "include = operator.conf\n[watcher]\ncountry_code = 44\n"
                   "presence_servers = ps1.opa.example, ps2.opa.example\n");
}

static int dns(const pw_peer_opts_t *o)
{
    return tp_run(&io, o, TP_DNS, NULL);
}

#define HAS(text) cr_assert(strstr(io.out_text, (text)), "no '%s' in:\n%s", (text), io.out_text)

Test(peer_dns, the_records_an_operator_publishes)
{
    static const char *const components[] = {
        "watcher.opa.example", "proxy.opa.example", "gateway.opa.example",
        "hss.opa.example", "ps1.opa.example", "ps2.opa.example",
    };
    pw_peer_opts_t o = tp_opts(opa);
    char want[160];

    cr_assert_eq(dns(&o), PW_PEER_EXIT_OK, "%s", io.err_text);
    HAS("$TTL 3600\n");
    HAS("\n_presence-gw._tcp.opa.example.");
    HAS(" IN SRV 10 100 5269 gateway.opa.example.\n");
    HAS("\n_xmpp-server._tcp.opa.example. ");
    for (size_t i = 0; i < sizeof components / sizeof components[0]; i++) {
        snprintf(want, sizeof want, "\n_xmpp-server._tcp.%s.", components[i]);
        HAS(want);
    }
    HAS(" IN SRV 0 5 5269 opa.example.\n");
    HAS("; opa.example needs an A or AAAA record");
    HAS("*.9.0.0.7.7.4.4.e164.arpa. IN NAPTR 100 10 \"u\" \"E2U+xmpp\" \"!^.*$!xmpp:opa.example!\" .\n");
    HAS("*.0.1.0.7.7.4.4.e164.arpa. IN NAPTR");
    cr_assert_null(strstr(io.out_text, "5.5.5.2.0.2.1"), "a peer's prefix is not ours:\n%s", io.out_text);
    {
        size_t n = 0;
        for (const char *p = io.out_text; (p = strstr(p, "_xmpp-server._tcp.ps2.opa.example.")); p++)
            n++;
        cr_assert_eq(n, 1, "ps2 (in presence-ps2.conf and the watcher's list) once:\n%s", io.out_text);
    }
}

Test(peer_dns, what_the_configuration_does_not_say_comes_from_options)
{
    pw_peer_opts_t o = tp_opts(opa);
    o.server_host = "xmpp.opa.example";
    o.server_address = "192.0.2.10";
    o.s2s_port = 5270;
    o.ttl = 600;
    cr_assert_eq(dns(&o), PW_PEER_EXIT_OK, "%s", io.err_text);
    HAS("$TTL 600\n");
    HAS(" IN SRV 10 100 5270 gateway.opa.example.\n");
    HAS(" IN SRV 0 5 5270 xmpp.opa.example.\n");
    HAS("\nxmpp.opa.example. ");
    HAS(" IN A 192.0.2.10\n");
    o.server_address = "2001:db8::10";
    cr_assert_eq(dns(&o), PW_PEER_EXIT_OK, "%s", io.err_text);
    HAS(" IN AAAA 2001:db8::10\n");
}

Test(peer_dns, the_files_effective_values_win)
{
    pw_peer_opts_t o = tp_opts(opa);
    char path[320];
    snprintf(path, sizeof path, "%s/gateway.conf", opa);
    tp_write(path, "include = operator.conf\n[component]\njid = gw1.opa.example\n");
    cr_assert_eq(dns(&o), PW_PEER_EXIT_OK, "%s", io.err_text);
    HAS(" IN SRV 10 100 5269 gw1.opa.example.\n");
    HAS("\n_xmpp-server._tcp.gw1.opa.example.");
}

Test(peer_dns, bad_options_are_refused)
{
    pw_peer_opts_t o = tp_opts(opa);
    o.server_host = "192.0.2.1";
    cr_assert_eq(dns(&o), PW_PEER_EXIT_FAIL);
    cr_assert(strstr(io.err_text, "--server-host"), "%s", io.err_text);
    o.server_host = NULL;
    o.server_address = "somewhere";
    cr_assert_eq(dns(&o), PW_PEER_EXIT_FAIL);
    cr_assert(strstr(io.err_text, "--server-address"), "%s", io.err_text);
    cr_assert_str_eq(io.out_text, "", "nothing half printed");
}
