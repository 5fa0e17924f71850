/* test_federation_tls.c: the TLS trial (pw-trial --tls) on any pair of Prosody and ejabberd: clients
 * log in over STARTTLS verifying TRIAL_CA, s2s between the operators is TLS with verified
 * certificates, and a server or client that cannot prove its name with the trial's CA is refused. */
#include "chain_util.h"

#include <criterion/hooks.h>
#include <criterion/options.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pwt_ca.h"
#include "pwt_prosody.h"
#include "pwt_server.h"
#include "pwt_util.h"

#define ROGUE_IP "127.0.0.7" /* apart from the trial's and the other tests' addresses */
#define ROGUE_PASSWORD "rogue"
#define LOG_WAIT_MS 5000u /* ejabberd writes its log a moment after it acts */

/* One TLS trial for the whole binary (not chain_hooks.c: that one is plain text). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    criterion_options.jobs = 1;
    pwt_trialenv_up_tls(1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    pwt_trialenv_down();
}

TestSuite(federation_tls, .timeout = 120);

/* Whether a line of the log from byte from on contains both texts (b may be NULL). */
static int logged(const char *path, long from, const char *a, const char *b)
{
    const char *const texts[] = { a, b, NULL };
    return chain_log_find(path, from, texts, NULL, 0);
}

/* logged(), waiting up to LOG_WAIT_MS for such a line to appear. */
static int logged_soon(const char *path, long from, const char *a, const char *b)
{
    uint64_t deadline = pwt_now_ms() + LOG_WAIT_MS;
    int found;
    while (!(found = logged(path, from, a, b)) && pwt_now_ms() < deadline)
        pwt_sleep_ms(50);
    return found;
}

/* Whether operator op ("OPA" or "OPB") runs ejabberd (trial.env's OPA_SERVER, OPB_SERVER:
 * "ejabberd" or "ejabberd-cluster"), else Prosody. */
static int runs_ejabberd(const char *op)
{
    char key[16];
    const char *kind;
    snprintf(key, sizeof key, "%s_SERVER", op);
    kind = pwt_trialenv(key);
    cr_assert_not_null(kind, "trial.env has %s", key);
    return strncmp(kind, "ejabberd", strlen("ejabberd")) == 0;
}

/* Whether the server log at path shows an s2s session that completed the way text says (e.g.
 * "Incoming s2s connection proxy.opa.example->gateway.opb.example complete") and was
 * encrypted: Prosody logs both under the session's tag, "Dec 04 07:43:36 s2sin55ca22e11950". */
static int logged_encrypted_session(const char *path, const char *text)
{
    char line[4096], tag[64] = "";
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s readable", path);
    while (!tag[0] && fgets(line, sizeof line, f)) {
        char *end = strchr(line, '\t'), *start;
        if (!strstr(line, text) || !end)
            continue;
        *end = '\0';
        start = strrchr(line, ' ');
        snprintf(tag, sizeof tag, "%.62s\t", start ? start + 1 : line);
    }
    fclose(f);
    return tag[0] && logged(path, 0, tag, "Stream encrypted (TLS");
}

/* Whether B accepted the s2s session proxy.opa.example->gateway.opb.example encrypted and
 * authenticated by certificate, and refused none of A's sessions since byte from of B's log.
 * Prosody (s2s_secure_auth): a session that completes has a verified certificate; ejabberd
 * (no dialback): SASL EXTERNAL, which checks the certificate, on a TLS socket ("(tls|"). */
static void b_accepted_a_over_tls(const char *log, long from)
{
    if (runs_ejabberd("OPB")) {
        cr_assert(logged_soon(log, 0, "(tls|", "Accepted inbound s2s EXTERNAL authentication proxy.opa.example -> gateway.opb.example"),
                  "B accepted A's proxy over TLS by certificate (B's log: %s)", log);
        cr_assert_not(logged(log, from, "Failed inbound s2s", NULL), "B refused no s2s session of A");
        return;
    }
    cr_assert(logged_encrypted_session(log, "Incoming s2s connection proxy.opa.example->gateway.opb.example complete"),
              "B accepted A's proxy over TLS (B's log: %s)", log);
    cr_assert_not(logged(log, from, "Forbidding insecure connection", NULL),
                  "B refused no s2s session of A");
}

Test(federation_tls, trial_env_names_the_ca)
{
    const char *ca = pwt_trialenv("TRIAL_CA");
    cr_assert_not_null(ca, "trial.env has TRIAL_CA");
    cr_assert_gt(chain_log_size(ca), 0, "%s holds the CA certificate", ca);
}

Test(federation_tls, enquiry_across_tls_s2s_is_answered)
{
    const char *log = pwt_trialenv("OPB_SERVER_LOG");
    long from = chain_log_size(log);

    chain_assert_bob_seen_away(); /* both clients log in over STARTTLS */
    b_accepted_a_over_tls(log, from);
}

Test(federation_tls, plain_text_login_is_refused)
{
    char host[64];
    int port = chain_env_host_port("OPA_C2S", host, sizeof host);
    pwt_client_t *c = NULL;
    cr_assert_eq(pwt_client_connect(&c, "alice@opa.example", pwt_trialenv("PASSWORD"), host, port,
                                    5000),
                 PW_EDENIED, "c2s requires encryption: no login without STARTTLS");
    cr_assert_null(c);
}

/* A fresh CA unrelated to the trial's, in dir. */
static pwt_ca_t *other_ca(const char *dir)
{
    pwt_ca_t *ca = NULL;
    cr_assert_eq(pwt_ca_create(&ca, dir, "rogue"), PW_OK);
    return ca;
}

Test(federation_tls, client_refuses_a_server_it_cannot_verify)
{
    char *dir = pwt_tmpdir("rogue-ca");
    pwt_ca_t *ca;
    char host[64];
    int port = chain_env_host_port("OPA_C2S", host, sizeof host);
    pwt_client_t *c = NULL;

    cr_assert_not_null(dir);
    ca = other_ca(dir);
    cr_assert_eq(pwt_client_connect_tls(&c, "alice@opa.example", pwt_trialenv("PASSWORD"), host,
                                        port, pwt_ca_cert_path(ca), 5000),
                 PW_EDENIED, "the server's certificate does not chain to another CA");
    cr_assert_null(c);
    pwt_ca_destroy(ca);
    pwt_rmtree(dir);
    free(dir);
}

/* pwt_match_fn: a <message/> whose id is arg. */
static int is_message_id(xmpp_stanza_t *s, void *arg)
{
    const char *id = xmpp_stanza_get_id(s);
    return strcmp(xmpp_stanza_get_name(s), "message") == 0 && id && strcmp(id, arg) == 0;
}

/* Why A refuses an impostor's s2s session, in the words of A's log: Prosody's ("Forbidding
 * insecure connection ... because its certificate <prosody>") or ejabberd's ("Failed inbound s2s
 * EXTERNAL authentication ...: <ejabberd>", the OpenSSL or name check's reason). */
typedef struct refusal {
    const char *prosody;
    const char *ejabberd;
} refusal_t;

/* A rogue Prosody claims opb.example with the certificate cert (key key) and trusts the
 * trial's CA (so A's certificate is not what fails). Its user mallory writes to alice: A must
 * refuse the s2s session, saying why (why), the rogue must bounce the message and alice must
 * get nothing. */
static void impostor_of_b_is_refused(const char *cert, const char *key, const refusal_t *why)
{
    const char *a_log = pwt_trialenv("OPA_SERVER_LOG");
    const char *dns = pwt_trialenv("DNS_SERVER");
    char dns_server[64], refusal[160];
    const char *reason;
    pwt_server_tls_t tls = { .cert = cert, .key = key, .ca = pwt_trialenv("TRIAL_CA") };
    pwt_server_spec_t spec = { .domain = "opb.example", .ip = ROGUE_IP, .dns_server = dns_server,
                               .tls = &tls };
    pwt_server_t *rogue = NULL;
    pwt_client_t *alice, *mallory = NULL;
    xmpp_stanza_t *bounce, *got;
    long from = chain_log_size(a_log);

    cr_assert_not_null(dns, "trial.env has DNS_SERVER");
    snprintf(dns_server, sizeof dns_server, "%s", dns);
    dns_server[strcspn(dns_server, ":")] = '@'; /* "127.0.0.1:PORT" -> Prosody's "127.0.0.1@PORT" */
    cr_assert_eq(pwt_prosody_create(&rogue, &spec), PW_OK);
    cr_assert_eq(pwt_server_add_user(rogue, "mallory", ROGUE_PASSWORD), PW_OK);
    cr_assert_eq(pwt_server_start(rogue), PW_OK);

    alice = chain_login("alice");
    chain_present(alice, NULL, NULL, 0);
    /* NULL CA: mallory's own client trusts her server whatever its certificate */
    cr_assert_eq(pwt_client_connect_tls(&mallory, "mallory@opb.example", ROGUE_PASSWORD, ROGUE_IP,
                                        pwt_server_c2s_port(rogue), NULL, 5000),
                 PW_OK, "mallory logs in to the rogue server");
    cr_assert_eq(pwt_client_send_xml(mallory, "<message to='alice@opa.example' type='chat' "
                                              "id='rogue-1'><body>I am bob's operator</body></message>"),
                 PW_OK);
    bounce = pwt_client_wait(mallory, is_message_id, "rogue-1", 20000);
    if (!bounce)
        pwt_server_print_log(rogue, 30);
    cr_assert_not_null(bounce, "the rogue server bounced the message");
    cr_assert_str_eq(xmpp_stanza_get_type(bounce), "error", "bounced as an error");
    if (runs_ejabberd("OPA")) {
        snprintf(refusal, sizeof refusal, "Failed inbound s2s EXTERNAL authentication opb.example -> opa.example");
        reason = why->ejabberd;
    } else {
        snprintf(refusal, sizeof refusal, "Forbidding insecure connection to/from opb.example because its certificate %s",
                 why->prosody);
        reason = NULL;
    }
    if (!logged_soon(a_log, from, refusal, reason))
        pwt_print_tail(a_log, 20);
    cr_assert(logged(a_log, from, refusal, reason), "A's log: %s%s%s", refusal, reason ? " ... " : "",
              reason ? reason : "");
    got = pwt_client_wait(alice, is_message_id, "rogue-1", 1000);
    cr_assert_null(got, "nothing from the impostor reached alice");
    xmpp_stanza_release(bounce);
    pwt_client_destroy(mallory);
    pwt_client_destroy(alice);
    pwt_server_destroy(rogue);
}

Test(federation_tls, impostor_of_b_with_another_ca_is_refused)
{
    /* a certificate for all of B's names, from a CA of the impostor's own */
    char *dir = pwt_tmpdir("rogue-ca");
    char cert[PWT_PATH_MAX], key[PWT_PATH_MAX];
    pwt_ca_t *ca;
    const refusal_t why = { .prosody = "is not trusted", .ejabberd = "unable to verify the first certificate" };

    cr_assert_not_null(dir);
    ca = other_ca(dir);
    cr_assert_eq(pwt_ca_issue_operator(ca, "opb.example", cert, key), PW_OK);
    impostor_of_b_is_refused(cert, key, &why);
    pwt_ca_destroy(ca);
    pwt_rmtree(dir);
    free(dir);
}

Test(federation_tls, impostor_of_b_with_a_certificate_for_another_name_is_refused)
{
    /* a genuine certificate of the trial's CA, but for another operator's names (what
     * operator C would have): it proves opc.example, not opb.example */
    char cert[PWT_PATH_MAX], key[PWT_PATH_MAX];
    pwt_ca_t *ca = NULL;
    const refusal_t why = { .prosody = "is not valid for this name", .ejabberd = "Certificate host name mismatch" };

    cr_assert_eq(pwt_ca_open(&ca, pwt_trialenv("TRIAL_CA")), PW_OK, "the trial's CA opens");
    cr_assert_eq(pwt_ca_issue_operator(ca, "opc.example", cert, key), PW_OK);
    impostor_of_b_is_refused(cert, key, &why);
    pwt_ca_destroy(ca);
    unlink(cert);
    unlink(key);
}
