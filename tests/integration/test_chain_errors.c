/* test_chain_errors.c: malformed addresses and enquiries, and a presence server that stops
 * answering: every case gets the DESIGN.md §3 error with a readable text, never silence. */
#include "chain_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(errors, .timeout = 120);

Test(errors, malformed_addresses_are_jid_malformed)
{
    static const char *const bad[] = { "address='+1'", "address='hello world'", "address='+12025550123x'",
                                       "address='@opb.example'", "address='bob\\40'" };
    pwt_client_t *alice = chain_login("alice");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char attrs[128], text[512];
        xmpp_stanza_t *r;
        snprintf(attrs, sizeof attrs, "%s kind='current'", bad[i]);
        r = chain_enquire(alice, attrs);
        cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_JID_MALFORMED, "%s: %s", bad[i], text);
        cr_assert_neq(text[0], '\0');
        xmpp_stanza_release(r);
    }
    pwt_client_destroy(alice);
}

Test(errors, malformed_enquiries_are_bad_request)
{
    static const char *const bad[] = { "address='+12025550123' kind='sometimes'",
                                       "address='+12025550123'",
                                       "address='+12025550123' kind='current' duration='60'" };
    pwt_client_t *alice = chain_login("alice");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        xmpp_stanza_t *r = chain_enquire(alice, bad[i]);
        cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_BAD_REQUEST, "%s: %s", bad[i], text);
        xmpp_stanza_release(r);
    }
    pwt_client_destroy(alice);
}

Test(errors, a_stopped_presence_server_gives_a_timeout_not_silence)
{
    pwt_client_t *alice = chain_login("alice");
    const char *pid_text = pwt_trialenv("OPB_PS1_PID");
    pid_t pid;
    char text[512];
    xmpp_stanza_t *r;

    cr_assert_not_null(pid_text);
    pid = (pid_t)atoi(pid_text);
    cr_assert_eq(kill(pid, SIGSTOP), 0, "ps1.opb.example stopped");
    r = chain_enquire(alice, "address='+12025550123' kind='current'");
    kill(pid, SIGCONT);
    cr_assert_eq(chain_error(r, text, sizeof text), PW_ERR_REMOTE_SERVER_TIMEOUT, "text: %s", text);
    cr_assert(strstr(text, "opb.example"), "the text names the network: %s", text);
    cr_assert_null(strstr(text, "ps1"), "and not the presence server: %s", text);
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
}

Test(errors, strangers_cannot_use_the_watcher)
{
    /* bob is a user of opb.example: watcher.opa.example serves opa.example's users only */
    char text[512];
    cr_assert_eq(chain_refused_iq("bob", "<iq type='set' to='watcher.opa.example'>"
        "<enquiry xmlns='urn:peerwatch:0' address='+447700900001' kind='current'/></iq>", 15000, text, sizeof text),
        PW_ERR_FORBIDDEN, "text: %s", text);
}
