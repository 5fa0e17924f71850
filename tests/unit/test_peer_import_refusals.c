/* test_peer_import_refusals.c: peerwatch-peer import refuses a card that contradicts the configuration (its network with another key, a prefix routed elsewhere, the operator's own network) or is malformed, naming why, and changes no file; --replace takes a peer's new key. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "test_peer_util.h"

static const char *opa, *opb, *opb_card;

TP_SUITE(peer_import_refusals, operators, tp_nothing);

/* Two operators with their keys; opb's card. */
static void operators(void)
{
    opa = tp_operator_with_keys(&root, "opa.example", "+4477009");
    opb = tp_operator_with_keys(&root, "opb.example", "+1202555");
    opb_card = tp_card(&root, opb, "opb.card");
}

static int import(const char *card, int replace)
{
    pw_peer_opts_t o = tp_opts(opa);
    o.replace = replace;
    return tp_run(&io, &o, TP_IMPORT, card);
}

/* Import card and expect a refusal saying says, with no file of opa changed. */
static void refused(const char *card, const char *says)
{
    char *before = tp_snapshot(opa), *after;
    cr_assert_eq(import(card, 0), PW_PEER_EXIT_FAIL, "accepted: %s", io.out_text);
    after = tp_snapshot(opa);
    cr_assert_str_eq(after, before, "a refused import changes nothing");
    cr_assert(strstr(io.err_text, says), "'%s' does not say '%s'", io.err_text, says);
    cr_assert(strstr(io.err_text, "nothing was changed"), "%s", io.err_text);
    cr_assert_str_eq(io.out_text, "");
    free(before);
    free(after);
}

/* opb's card again after opb made a new key pair. */
static const char *rotated_opb_card(void)
{
    pw_peer_opts_t o = tp_opts(opb);
    tp_io_t quiet;
    memset(&quiet, 0, sizeof quiet);
    o.rotate = 1;
    cr_assert_eq(tp_run(&quiet, &o, TP_KEYGEN, NULL), PW_PEER_EXIT_OK, "%s", quiet.err_text);
    tp_io_free(&quiet);
    return tp_card(&root, opb, "opb-new.card");
}

Test(peer_import_refusals, a_card_of_the_own_network)
{
    refused(tp_card(&root, opa, "opa.card"), "the card is of opa.example, this operator's own network");
}

Test(peer_import_refusals, a_known_network_with_another_key)
{
    const char *fresh;
    char line[64];

    cr_assert_eq(import(opb_card, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    fresh = rotated_opb_card();
    snprintf(line, sizeof line, "gateway.conf:10: [peers] opb.example has another key");
    refused(fresh, line);
    cr_assert(strstr(io.err_text, "--replace"), "says how to take it: %s", io.err_text);
}

Test(peer_import_refusals, replace_takes_the_new_key_and_nothing_else)
{
    const char *fresh;
    char key[320], *before, *after, *gw_before, *gw_after;

    cr_assert_eq(import(opb_card, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    fresh = rotated_opb_card();
    snprintf(key, sizeof key, "%s/keys/opb.example.pub", opa);
    before = tp_read(key);
    snprintf(key, sizeof key, "%s/gateway.conf", opa);
    gw_before = tp_read(key);
    cr_assert_eq(import(fresh, 1), PW_PEER_EXIT_OK, "%s", io.err_text);
    cr_assert(strstr(io.out_text, "(replaced)"), "%s", io.out_text);
    gw_after = tp_read(key);
    cr_assert_str_eq(gw_after, gw_before, "the [peers] line already names the key file");
    snprintf(key, sizeof key, "%s/keys/opb.example.pub", opa);
    after = tp_read(key);
    cr_assert_str_neq(after, before);
    cr_assert_eq(tp_mode(key), 0644);
    cr_assert_eq(import(fresh, 0), PW_PEER_EXIT_OK, "now the same card is known: %s", io.err_text);
    cr_assert(strstr(io.out_text, "nothing changed"), "%s", io.out_text);
    free(before);
    free(after);
    free(gw_before);
    free(gw_after);
}

Test(peer_import_refusals, a_key_file_of_the_network_holding_another_key)
{
    char key[320];
    snprintf(key, sizeof key, "%s/keys/opb.example.pub", opa);
    tp_write(key, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
                  "-----END PUBLIC KEY-----\n");
    refused(opb_card, "holds another key for opb.example");
}

Test(peer_import_refusals, a_prefix_routed_to_another_network)
{
    char path[320];
    FILE *f;

    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    f = fopen(path, "a");
    fputs("+1202555 = opc.example\n", f);
    fclose(f);
    refused(opb_card, "proxy.conf:12: [prefixes] +1202555 is routed to opc.example; the card of "
                      "opb.example claims it");
}

Test(peer_import_refusals, every_contradiction_is_named)
{
    const char *fresh;
    char path[320];
    FILE *f;

    cr_assert_eq(import(opb_card, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    (void)rotated_opb_card();
    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    f = fopen(path, "a");
    fputs("+1202999 = opc.example\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/proxy.conf", opb);
    f = fopen(path, "a");
    fputs("+1202999 = opb.example\n", f);
    fclose(f);
    fresh = tp_card(&root, opb, "opb-both.card");
    refused(fresh, "has another key");
    cr_assert(strstr(io.err_text, "+1202999 is routed to opc.example"), "%s", io.err_text);
}

Test(peer_import_refusals, a_malformed_card_names_its_line)
{
    const char *bad = tp_path(&root, "bad.card");
    char want[300];
    tp_write(bad, "peerwatch-peering-card 1\nnetwork = opb.example\ngateway = gateway.opb.example\n"
                  "key = MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\nprefix = 1202\n");
    snprintf(want, sizeof want, "%s:5: prefix: '1202' is not an E.164 prefix", bad);
    cr_assert_eq(import(bad, 0), PW_PEER_EXIT_FAIL);
    cr_assert(strstr(io.err_text, want), "%s", io.err_text);
    {
        char *all = tp_snapshot(opa);
        cr_assert(strstr(all, "opb.example") == NULL, "nothing of it was written");
        free(all);
    }
}

Test(peer_import_refusals, a_notify_from_line_the_loader_could_not_read)
{
    char path[320], list[256];
    size_t o = 0;
    FILE *f;

    /* 194 characters: the line loads; with ", opb.example" it would be 207 */
    for (int i = 0; i < 14; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%sn%02d.example", i ? ", " : "", i);
    snprintf(path, sizeof path, "%s/proxy.conf", opa);
    f = fopen(path, "w");
    fprintf(f, "include = operator.conf\n[proxy]\nnotify_from = %s\n[prefixes]\n+4477009 = opa.example\n", list);
    fclose(f);
    refused(opb_card, "longer than 198 characters");
}
