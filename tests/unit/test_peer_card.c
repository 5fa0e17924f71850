/* test_peer_card.c: the peering card: card -> parse gives the operator's own fields back, the canonical writer round-trips, and every malformed card is refused naming its line. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "peer_card.h"
#include "test_peer_util.h"

static pw_peer_card_t card;

TP_SUITE(peer_card, tp_nothing, card_free);

static void card_free(void)
{
    pw_peer_card_free(&card);
}

/* The base64 body of a PEM file, on one line. */
static void pem_body(const char *path, char *out, size_t cap)
{
    char *text = tp_read(path), *line, *save = NULL;
    size_t o = 0;
    cr_assert_not_null(text, "%s", path);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "-----", 5) != 0 && o + strlen(line) < cap)
            o += (size_t)snprintf(out + o, cap - o, "%s", line);
    free(text);
}

static pw_status_t parse(const char *text, unsigned *line, char *why, size_t cap)
{
    pw_peer_card_free(&card);
    return pw_peer_card_parse(text, strlen(text), &card, line, why, cap);
}

Test(peer_card, the_card_parses_back_to_the_operators_fields)
{
    const char *dir = tp_operator_with_keys(&root, "opa.example", "+4477009,+4477010");
    char path[256], why[512], body[128];
    const char *card_path;
    FILE *f;

    /* a peer's prefix in the same table is not ours */
    snprintf(path, sizeof path, "%s/proxy.conf", dir);
    f = fopen(path, "a");
    fputs("+1202555 = opb.example\n", f);
    fclose(f);
    card_path = tp_card(&root, dir, "opa.card");
    cr_assert_eq(pw_peer_card_read(card_path, &card, why, sizeof why), PW_OK, "%s", why);
    cr_assert_str_eq(card.network, "opa.example");
    cr_assert_str_eq(card.gateway, "gateway.opa.example", "the gateway's effective [component] jid");
    snprintf(path, sizeof path, "%s/keys/opa.example.pub", dir);
    pem_body(path, body, sizeof body);
    cr_assert_str_eq(card.key, body, "the key is the base64 body of the public key's PEM");
    cr_assert_eq(card.nprefixes, 2);
    cr_assert_str_eq(card.prefixes[0], "+4477009");
    cr_assert_str_eq(card.prefixes[1], "+4477010");
}

Test(peer_card, the_writer_and_the_parser_round_trip)
{
    pw_peer_card_t again;
    char *text = NULL, why[256];
    size_t len = 0;
    unsigned line;
    FILE *m;

    memset(&again, 0, sizeof again);
    snprintf(card.network, sizeof card.network, "opb.example");
    snprintf(card.gateway, sizeof card.gateway, "gw.opb.example");
    snprintf(card.key, sizeof card.key, "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=");
    cr_assert_eq(pw_peer_card_add_prefix(&card, "+1202555", why, sizeof why), PW_OK);
    cr_assert_eq(pw_peer_card_add_prefix(&card, "+447700900050", why, sizeof why), PW_OK);
    m = open_memstream(&text, &len);
    cr_assert_eq(pw_peer_card_write(m, &card), PW_OK);
    fclose(m);
    cr_assert_eq(pw_peer_card_parse(text, len, &again, &line, why, sizeof why), PW_OK, "%u: %s", line, why);
    cr_assert_str_eq(again.network, card.network);
    cr_assert_str_eq(again.gateway, card.gateway);
    cr_assert_str_eq(again.key, card.key);
    cr_assert_eq(again.nprefixes, 2);
    cr_assert_str_eq(again.prefixes[0], "+1202555");
    cr_assert_str_eq(again.prefixes[1], "+447700900050");
    pw_peer_card_free(&again);
    free(text);
}

#define KEY "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="
#define HEAD "peerwatch-peering-card 1\n"
#define BODY "network = opb.example\ngateway = gateway.opb.example\nkey = " KEY "\n"

Test(peer_card, comments_blanks_crlf_and_case_are_accepted)
{
    char why[256];
    unsigned line;
    cr_assert_eq(parse("# a card\r\n\r\n  " HEAD "\r\nnetwork=OPB.Example\r\n  gateway =  gateway.opb.example \r\n"
                       "# the key\r\nkey = " KEY "\r\nprefix = +1202555",
                       &line, why, sizeof why),
                 PW_OK, "%u: %s", line, why);
    cr_assert_str_eq(card.network, "opb.example", "domains are folded to lower case");
    cr_assert_eq(card.nprefixes, 1);
    cr_assert_eq(parse(HEAD BODY, &line, why, sizeof why), PW_OK, "no prefix at all is fine: %s", why);
    cr_assert_eq(card.nprefixes, 0);
}

Test(peer_card, every_malformed_card_is_refused_naming_its_line)
{
    static const struct {
        const char *text;
        unsigned line;
        const char *says;
    } cases[] = {
        { "", 0, "empty" },
        { "# only a comment\n", 0, "empty" },
        { "[card]\n" BODY, 1, "not a peering card" },
        { "peerwatch-peering-card 2\n" BODY, 1, "version 2 is not known" },
        { "peerwatch-peering-card one\n" BODY, 1, "not a number" },
        { HEAD "network = opb.example\nnetwork = opc.example\n", 3, "given twice (first on line 2)" },
        { HEAD "network = opb..example\n", 2, "is not a domain" },
        { HEAD "network = 192.0.2.1\n", 2, "is not a domain" },
        { HEAD BODY "prefix = 1202555\n", 5, "not an E.164 prefix" },
        { HEAD BODY "prefix = +0202555\n", 5, "not an E.164 prefix" },
        { HEAD BODY "prefix = +1202555\nprefix = +1202555\n", 6, "listed twice" },
        { HEAD BODY "colour = blue\n", 5, "unknown field 'colour'" },
        { HEAD BODY "just words\n", 5, "expected 'name = value'" },
        { HEAD "network = opb.example\ngateway = gateway.opb.example\nkey = AAAA\n", 4, "key: not an Ed25519" },
        { HEAD "network = opb.example\ngateway = gateway.opb.example\nkey = MCow BQ==\n", 4, "key: not the base64" },
        { HEAD "network = opb.example\ngateway = gateway.opb.example\n"
               "key = MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuF=\n", 4, "canonical" },
        { HEAD "network = opb.example\ngateway = gateway.opc.example\nkey = " KEY "\n", 3, "not opb.example or a subdomain" },
        { HEAD "network = opb.example\nkey = " KEY "\n", 0, "no 'gateway' line" },
        { HEAD "network = opb.example\ngateway = gateway.opb.example\n", 0, "no 'key' line" },
        { HEAD "network = op\xc3\xa9.example\n", 2, "printable ASCII" },
        { HEAD "network = opb.example\x01\n", 2, "printable ASCII" },
        { HEAD "# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxx\n", 2, "longer than 200" },
    };
    char why[256];
    unsigned line;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(parse(cases[i].text, &line, why, sizeof why), PW_EINVAL, "case %zu accepted", i);
        cr_assert_eq(line, cases[i].line, "case %zu: line %u (%s)", i, line, why);
        cr_assert(strstr(why, cases[i].says), "case %zu: '%s' does not say '%s'", i, why, cases[i].says);
        cr_assert_str_eq(card.network, "", "case %zu: a refused card is left empty", i);
    }
}

Test(peer_card, a_card_file_error_names_the_file_and_line)
{
    const char *path = tp_path(&root, "bad.card");
    char why[512], want[300];
    tp_write(path, HEAD "network = opb.example\nprefix = 44\n");
    cr_assert_eq(pw_peer_card_read(path, &card, why, sizeof why), PW_EINVAL);
    snprintf(want, sizeof want, "%s:3: prefix: ", path);
    cr_assert(strncmp(why, want, strlen(want)) == 0, "%s", why);
    cr_assert_eq(pw_peer_card_read(tp_path(&root, "none.card"), &card, why, sizeof why), PW_ENOTFOUND);
}
