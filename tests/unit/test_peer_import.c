/* test_peer_import.c: peerwatch-peer import of a peer's card: the key file, the gateway's [peers] line, the proxy's [prefixes] and notify_from; every other line kept; the result loads in the daemons; a second import changes nothing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway.h"
#include "proxy.h"
#include "test_peer_util.h"

static const char *opa, *opb_card;

TP_SUITE(peer_import, two_operators, tp_nothing);

/* Two operators with their keys; opb's card. */
static void two_operators(void)
{
    opa = tp_operator_with_keys(&root, "opa.example", "+4477009");
    opb_card = tp_card(&root, tp_operator_with_keys(&root, "opb.example", "+1202555,+1202556"), "opb.card");
}

static int import(const char *dir, const char *card)
{
    pw_peer_opts_t o = tp_opts(dir);
    return tp_run(&io, &o, TP_IMPORT, card);
}

/* Whether every line of before is in after, in the same order (lines may be added between). */
static int kept_in_order(const char *before, const char *after)
{
    const char *b = before, *a = after;
    while (*b) {
        size_t n = strcspn(b, "\n") + 1;
        const char *hit;
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)n, b);
        hit = strstr(a, line);
        if (!hit || (hit != a && hit[-1] != '\n'))
            return 0;
        a = hit + n;
        b += n;
    }
    return 1;
}

static char *file_of(const char *dir, const char *name)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tp_read(path);
}

Test(peer_import, adds_the_key_the_peer_its_prefixes_and_notify_from)
{
    char *gw, *px, key[320], want[400];

    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    snprintf(key, sizeof key, "%s/keys/opb.example.pub", opa);
    cr_assert_eq(tp_mode(key), 0644);
    gw = file_of(opa, "gateway.conf");
    px = file_of(opa, "proxy.conf");
    snprintf(want, sizeof want, "\nopb.example = %s\n", key);
    cr_assert(strstr(gw, want), "%s", gw);
    cr_assert(strstr(px, "\n+1202555 = opb.example\n+1202556 = opb.example\n"), "%s", px);
    cr_assert(strstr(px, "\nnotify_from = opa.example, opb.example   ; this operator\n"),
              "the value changes in place, its comment stays: %s", px);
    cr_assert(strstr(io.out_text, "imported opb.example") && strstr(io.out_text, "+1202556"), "%s", io.out_text);
    free(gw);
    free(px);
}

Test(peer_import, keeps_every_other_line_and_comment)
{
    char *gw, *px;

    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    gw = file_of(opa, "gateway.conf");
    px = file_of(opa, "proxy.conf");
    cr_assert(kept_in_order(TP_GATEWAY_CONF, gw), "%s", gw);
    cr_assert(strncmp(gw, TP_GATEWAY_CONF, strlen(TP_GATEWAY_CONF)) == 0,
              "the [peers] line goes after the section's comment: %s", gw);
    cr_assert(strstr(px, "# proxy.conf: the test operator's Watcher Presence Proxy\ninclude = operator.conf\n"
                         "\n[proxy]\n# who may deliver notifications\n"),
              "%s", px);
    cr_assert(strstr(px, "gateway_timeout = 12s\n\n[prefixes]\n# this operator's own prefixes first\n"
                         "+4477009 = opa.example\n+1202555"),
              "new prefixes follow the last one: %s", px);
    free(gw);
    free(px);
}

Test(peer_import, keeps_each_files_mode)
{
    char path[320];
    snprintf(path, sizeof path, "%s/gateway.conf", opa);
    cr_assert_eq(chmod(path, 0640), 0);
    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    cr_assert_eq(tp_mode(path), 0640);
    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    cr_assert_eq(tp_mode(path), 0644);
}

Test(peer_import, a_second_import_changes_nothing_and_says_so)
{
    char *before, *after;

    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    before = tp_snapshot(opa);
    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    after = tp_snapshot(opa);
    cr_assert_str_eq(after, before);
    cr_assert(strstr(io.out_text, "opb.example is imported already") &&
              strstr(io.out_text, "nothing changed"), "%s", io.out_text);
    free(before);
    free(after);
}

Test(peer_import, the_result_loads_in_the_gateway_and_the_proxy)
{
    pw_gateway_settings_t gs;
    pw_proxy_settings_t ps;
    char path[320], why[512];
    const char *net = NULL;

    memset(&gs, 0, sizeof gs);
    memset(&ps, 0, sizeof ps);
    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    snprintf(path, sizeof path, "%s/gateway.conf", opa);
    cr_assert_eq(pw_runtime_load_config(&pw_gateway_role, path, &gs, why, sizeof why), PW_OK, "%s", why);
    cr_assert_not_null(pw_peering_peers_find(gs.peers, "proxy.opb.example", &net));
    cr_assert_str_eq(net, "opb.example");
    pw_runtime_free_config(&pw_gateway_role, &gs);
    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    cr_assert_eq(pw_runtime_load_config(&pw_proxy_role, path, &ps, why, sizeof why), PW_OK, "%s", why);
    cr_assert_str_eq(pw_proxy_prefix_network(&ps, "+12025560123"), "opb.example");
    cr_assert_eq(ps.notify_from.n, 2);
    pw_runtime_free_config(&pw_proxy_role, &ps);
}

Test(peer_import, notify_from_starts_from_its_default_and_a_missing_section_is_added)
{
    char path[320], *gw, *px;

    snprintf(path, sizeof path, "%s/gateway.conf", opa);
    tp_write(path, "include = operator.conf\n[gateway]\nrate_per_peer = 5\n");
    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    tp_write(path, "include = operator.conf\n\n[prefixes]\n+4477009 = opa.example\n");
    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    gw = file_of(opa, "gateway.conf");
    px = file_of(opa, "proxy.conf");
    static const char want_gw[] = "include = operator.conf\n[gateway]\nrate_per_peer = 5\n\n[peers]\nopb.example = ";
    cr_assert(strncmp(gw, want_gw, sizeof want_gw - 1) == 0, "%s", gw);
    cr_assert(strstr(px, "\n[proxy]\nnotify_from = opa.example, opb.example\n"),
              "the default (the operator's own domain) is kept: %s", px);
    free(gw);
    free(px);
}

Test(peer_import, two_peers_one_after_the_other)
{
    const char *opc = tp_operator_with_keys(&root, "opc.example", "+331");
    const char *opc_card = tp_card(&root, opc, "opc.card");
    char *px;

    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    cr_assert_eq(import(opa, opc_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    px = file_of(opa, "proxy.conf");
    cr_assert(strstr(px, "notify_from = opa.example, opb.example, opc.example   ; this operator\n"), "%s", px);
    cr_assert(strstr(px, "+1202556 = opb.example\n+331 = opc.example\n"), "%s", px);
    free(px);
}

Test(peer_import, a_linked_configuration_file_stays_a_link)
{
    char path[320], real[320], *text;
    struct stat st;

    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    snprintf(real, sizeof real, "%s/proxy.conf.real", opa);
    cr_assert_eq(rename(path, real), 0);
    cr_assert_eq(symlink("proxy.conf.real", path), 0);
    cr_assert_eq(import(opa, opb_card), PW_PEER_EXIT_OK, "%s", io.err_text);
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "proxy.conf is still a link");
    text = tp_read(real);
    cr_assert(strstr(text, "+1202555 = opb.example\n"), "the file it names was edited: %s", text);
    free(text);
}
