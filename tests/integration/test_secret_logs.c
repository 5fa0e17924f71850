/* test_secret_logs.c: at log_level = debug, with libstrophe's own lines forwarded, no component's log holds the component secret, the XEP-0114 handshake digest derived from it, or the operator's private key, after the components connected and an enquiry crossed both operators. */
#include <criterion/criterion.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_util.h"
#include "pwt_component.h"
#include "pwt_trial.h"
#include "pwt_util.h"

#define LOG_MAX (64u << 20)
#define IDS_MAX 64

/* A whole text file, malloc'd and NUL-terminated (the caller frees it). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = malloc(LOG_MAX + 1);
    size_t n;

    cr_assert_not_null(f, "%s can be read", path);
    cr_assert_not_null(text);
    n = fread(text, 1, LOG_MAX, f);
    cr_assert(!ferror(f) && n < LOG_MAX, "%s: read whole", path);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* The stream ids a log shows (id='…' or id="…" of a <stream:stream> the server sent), added to
 * ids (n of them so far, at most IDS_MAX). */
static void stream_ids(const char *log, char ids[][128], size_t *n)
{
    for (const char *p = strstr(log, "<stream:stream"); p && *n < IDS_MAX; p = strstr(p + 1, "<stream:stream")) {
        const char *end = strchr(p, '>'), *id = strstr(p, " id=");
        size_t len;
        if (!end || !id || id > end || (id[4] != '\'' && id[4] != '"'))
            continue;
        len = strcspn(id + 5, "'\"");
        if (len > 0 && len < sizeof ids[0]) {
            memcpy(ids[*n], id + 5, len);
            ids[(*n)++][len] = '\0';
        }
    }
}

/* XEP-0114 §3: the handshake is the lower-case hex SHA-1 of the stream id and the secret. */
static void digest_of(const char *id, const char *secret, char hex[2 * SHA_DIGEST_LENGTH + 1])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    char both[512];

    snprintf(both, sizeof both, "%s%s", id, secret);
    SHA1((const unsigned char *)both, strlen(both), md);
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The base64 body of a PEM private key file (its first line of key material). */
static void key_body(const char *path, char *line, size_t cap)
{
    char *pem = slurp(path), *p = strstr(pem, "-----BEGIN PRIVATE KEY-----\n");

    cr_assert_not_null(p, "%s is a PEM private key", path);
    p += strlen("-----BEGIN PRIVATE KEY-----\n");
    snprintf(line, cap, "%.*s", (int)strcspn(p, "\n"), p);
    cr_assert_gt(strlen(line), 40, "%s has key material", path);
    free(pem);
}

Test(secret_logs, no_log_holds_the_secret_the_handshake_digest_or_a_private_key, .timeout = 180)
{
    static const char *const ops[] = { "opa", "opb" };
    static const char *const roles[] = { "watcher", "proxy", "gateway", "gateway2", "hss", "ps1", "ps2" };
    pwt_trial_opts_t opts = { .log_level = "debug" };
    pwt_trial_t *t = NULL;
    pwt_client_t *alice = NULL, *bob = NULL;
    char *logs[2 * 7] = { NULL }, ids[IDS_MAX][128], keys[2][256], path[PWT_PATH_MAX];
    const char *names[2 * 7] = { NULL };
    size_t nlogs = 0, nids = 0;
    unsigned forwarded = 0;
    xmpp_stanza_t *r;

    cr_assert_eq(pwt_trial_start(&t, &opts), PW_OK, "the trial comes up at log level debug");
    cr_assert_eq(pwt_trial_login(t, "bob", &bob), PW_OK);
    cr_assert_eq(pwt_trial_login(t, "alice", &alice), PW_OK);
    chain_present(bob, "away", "In a meeting", 5);
    r = chain_enquire(alice, "address='+12025550123' kind='current'");
    cr_assert_str_eq(chain_attr(chain_state(r), "show"), "away", "the enquiry crossed both operators");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);

    for (size_t o = 0; o < 2; o++) {
        snprintf(path, sizeof path, "%s/%s.example.key", pwt_trial_dir(t), ops[o]);
        key_body(path, keys[o], sizeof keys[o]);
        for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
            char name[32];
            pwt_component_t *c;
            snprintf(name, sizeof name, "%s-%s", ops[o], roles[i]);
            if (!(c = pwt_trial_component(t, name)))
                continue;
            names[nlogs] = pwt_component_log(c);
            logs[nlogs] = slurp(names[nlogs]);
            stream_ids(logs[nlogs], ids, &nids);
            if (strstr(logs[nlogs], "debug ") && strstr(logs[nlogs], "libstrophe "))
                forwarded++;
            nlogs++;
        }
    }
    cr_assert_geq(nlogs, 10, "every component's log was read");
    cr_assert_eq(forwarded, nlogs, "every log has libstrophe's debug lines: the test sees what it would leak");
    cr_assert_geq(nids, nlogs, "the logs show the stream ids the servers gave (%zu)", nids);
    for (size_t l = 0; l < nlogs; l++) {
        for (size_t o = 0; o < 2; o++) {
            const char *secret = pwt_server_secret(pwt_trial_server(t, (int)o));
            cr_assert_gt(strlen(secret), 0);
            cr_expect_null(strstr(logs[l], secret), "%s holds %s's component secret", names[l], ops[o]);
            cr_expect_null(strstr(logs[l], keys[o]), "%s holds %s's private key", names[l], ops[o]);
            for (size_t i = 0; i < nids; i++) {
                char hex[2 * SHA_DIGEST_LENGTH + 1];
                digest_of(ids[i], secret, hex);
                cr_expect_null(strstr(logs[l], hex), "%s holds the handshake digest of stream %s", names[l],
                               ids[i]);
            }
        }
    }
    for (size_t l = 0; l < nlogs; l++)
        free(logs[l]);
    pwt_trial_destroy(t);
}
