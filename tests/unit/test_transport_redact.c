/* test_transport_redact.c: libstrophe's own log lines (forwarded at log_level = debug) hide the XEP-0114 handshake digest, derived from the component secret, and the secret itself. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "xmpp/pw_transport.h"

static const char *redact(const char *line, const char *secret)
{
    static char out[512];
    pw_transport_strophe_redact(line, secret, out, sizeof out);
    return out;
}

Test(transport_redact, the_handshake_digest_is_hidden)
{
    static const char digest[] = "9accec263ab84a43c6037ccf7cd48cb1d3f6df8e";
    char line[256];

    snprintf(line, sizeof line, "SENT: <handshake xmlns=\"jabber:component:accept\">%s</handshake>", digest);
    cr_expect_str_eq(redact(line, "s3cret"),
                     "SENT: <handshake xmlns=\"jabber:component:accept\">[hidden]</handshake>");
    snprintf(line, sizeof line, "SENT: <handshake>%s</handshake><iq/>", digest);
    cr_expect_str_eq(redact(line, NULL), "SENT: <handshake>[hidden]</handshake><iq/>");
    snprintf(line, sizeof line, "SENT: <handshake>%s", digest);
    cr_expect_str_eq(redact(line, NULL), "SENT: <handshake>[hidden]", "a line cut short hides the rest");
}

Test(transport_redact, libstrophes_digest_line_is_hidden)
{
    cr_expect_str_eq(redact("Digest: 418645c747dde4de311407efd91bbc69dc98533b, len: 40", "s3cret"),
                     "Digest: [hidden], len: 40");
    cr_expect_str_eq(redact("Digest: , len: 0", NULL), "Digest: , len: 0");
}

Test(transport_redact, the_servers_empty_handshake_and_other_lines_are_kept)
{
    cr_expect_str_eq(redact("RECV: <handshake/>", "s3cret"), "RECV: <handshake/>");
    cr_expect_str_eq(redact("RECV: <handshake></handshake>", "s3cret"), "RECV: <handshake></handshake>");
    cr_expect_str_eq(redact("SENT: <presence to='a@b'/>", "s3cret"), "SENT: <presence to='a@b'/>");
    cr_expect_str_eq(redact("<handshakes>x</handshakes>", NULL), "<handshakes>x</handshakes>",
                     "only the element itself");
}

Test(transport_redact, the_secret_itself_is_hidden)
{
    cr_expect_str_eq(redact("password s3cret and s3cret again", "s3cret"), "password [hidden] and [hidden] again");
    cr_expect_str_eq(redact("password s3cret", ""), "password s3cret", "an empty secret hides nothing");
}

Test(transport_redact, the_copy_is_cut_at_its_size)
{
    char out[12];
    pw_transport_strophe_redact("SENT: <handshake>0123456789</handshake>", NULL, out, sizeof out);
    cr_expect_str_eq(out, "SENT: <hand");
    cr_expect_eq(strstr(out, "0123"), NULL);
}
