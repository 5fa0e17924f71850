/* test_rawcomp.c: unit tests of the benchmarks' raw XEP-0114 component (pwt_rawcomp.h) against a tiny server peer in a thread: handshake, stanza parsing and serialization, escaping, a refused secret. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pwt_rawcomp.h"

#define DOMAIN "comp.example"
#define SECRET "s3cret"
#define STREAM_ID "abc123"
/* SHA-1("abc123" "s3cret"), computed apart from the code under test (Python's hashlib) */
#define HANDSHAKE_HEX "c6b71d79e2349af2e00ebb4e78ba32f34c7fc6da"

/* The stanza the peer sends, in two writes cut inside an element, and what the component must
 * make of its content. */
#define STANZA_PART1 "<iq type='get' id='q1' from='alice@example.org/r' to='" DOMAIN "'><echo xmlns='urn:x' a='1&amp;"
#define STANZA_PART2 "2' b=\"it's\"><data>x &lt; y &amp; z</data><empty/></echo></iq>"
#define PAYLOAD "<echo xmlns='urn:x' a='1&amp;2' b='it&apos;s'><data>x &lt; y &amp; z</data><empty/></echo>"

/* The server peer: one connection, its script, and what it saw. */
typedef struct peer {
    int lfd;
    int port;
    char header[1024];    /* the component's stream header */
    char handshake[128];  /* the value of its handshake */
    char rest[4096];      /* everything it wrote after the handshake */
} peer_t;

/* Read from fd into buf (appending) until it contains text. @return 0, or -1 on EOF/error */
static int read_until(int fd, char *buf, size_t cap, const char *text)
{
    size_t n = strlen(buf);
    while (!strstr(buf, text)) {
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        buf[n] = '\0';
    }
    return 0;
}

/* Write s (a short write shows as a failed expectation in the test thread's results). */
static void put(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        perror("test_rawcomp: peer write");
}

static void *peer_run(void *arg)
{
    peer_t *p = arg;
    char buf[4096] = "";
    int fd = accept(p->lfd, NULL, NULL);
    char *h, *e;

    if (fd < 0)
        return NULL;
    if (read_until(fd, buf, sizeof buf, "'>") != 0 && !strchr(buf, '>'))
        goto done;
    snprintf(p->header, sizeof p->header, "%s", buf);
    put(fd, "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
            "xmlns:stream='http://etherx.jabber.org/streams' from='" DOMAIN "' id='" STREAM_ID "'>");
    buf[0] = '\0';
    if (read_until(fd, buf, sizeof buf, "</handshake>") != 0)
        goto done;
    h = strstr(buf, "<handshake>");
    e = strstr(buf, "</handshake>");
    if (h && e > h)
        snprintf(p->handshake, sizeof p->handshake, "%.*s", (int)(e - h - 11), h + 11);
    if (strcmp(p->handshake, HANDSHAKE_HEX) != 0) {
        put(fd, "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                "</stream:stream>");
        goto done;
    }
    put(fd, "<handshake/>");
    put(fd, STANZA_PART1);
    usleep(20000); /* the component parses the first part alone */
    put(fd, STANZA_PART2);
    buf[0] = '\0';
    if (read_until(fd, buf, sizeof buf, "</message>") == 0)
        snprintf(p->rest, sizeof p->rest, "%s", buf);
    put(fd, "</stream:stream>");
done:
    close(fd);
    return NULL;
}

static void peer_start(peer_t *p, pthread_t *th)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;

    memset(p, 0, sizeof *p);
    signal(SIGPIPE, SIG_IGN);
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(p->lfd, 0);
    cr_assert_eq(bind(p->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(p->lfd, 1), 0);
    cr_assert_eq(getsockname(p->lfd, (struct sockaddr *)&sa, &len), 0);
    p->port = ntohs(sa.sin_port);
    cr_assert_eq(pthread_create(th, NULL, peer_run, p), 0);
}

/* What the component's callback saw, copied. */
typedef struct seen {
    int count;
    char name[32], type[32], id[32], from[64], to[64], payload[512];
    int has_type, has_from;
} seen_t;

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static void on_stanza(pwt_rawcomp_t *c, const pwt_rawstanza_t *s, void *arg)
{
    seen_t *seen = arg;
    seen->count++;
    copy(seen->name, sizeof seen->name, s->name);
    copy(seen->type, sizeof seen->type, s->type);
    copy(seen->id, sizeof seen->id, s->id);
    copy(seen->from, sizeof seen->from, s->from);
    copy(seen->to, sizeof seen->to, s->to);
    copy(seen->payload, sizeof seen->payload, s->payload);
    cr_expect_eq(strlen(s->payload), s->payload_len);
    /* answer with the payload as it came, then a message whose attribute and text need escaping */
    cr_assert_eq(pwt_rawcomp_send(c, "iq", "result", s->id, NULL, s->from, s->payload), PW_OK);
    cr_assert_eq(pwt_rawcomp_send(c, "message", NULL, NULL, "x@" DOMAIN, "a'b<c&d\"e", "<body>hi</body>"), PW_OK);
}

Test(rawcomp, handshake_value_is_lowercase_hex_sha1_of_id_and_secret)
{
    char hex[41];
    cr_assert_eq(pwt_rawcomp_handshake_hex(STREAM_ID, SECRET, hex), PW_OK);
    cr_assert_str_eq(hex, HANDSHAKE_HEX);
    cr_assert_eq(pwt_rawcomp_handshake_hex(NULL, SECRET, hex), PW_EINVAL);
}

Test(rawcomp, handshake_then_a_stanza_in_two_pieces_and_the_answers)
{
    peer_t p;
    pthread_t th;
    pwt_rawcomp_t *c = NULL;
    seen_t seen = { 0 };
    pw_status_t st = PW_OK;

    peer_start(&p, &th);
    cr_assert_eq(pwt_rawcomp_connect(&c, "127.0.0.1", p.port, DOMAIN, SECRET, 5000), PW_OK);
    cr_assert_str_eq(pwt_rawcomp_domain(c), DOMAIN);
    pwt_rawcomp_on_stanza(c, on_stanza, &seen);
    while (st == PW_OK) {
        struct pollfd pfd = { .fd = pwt_rawcomp_fd(c), .events = POLLIN };
        cr_assert_eq(poll(&pfd, 1, 5000), 1, "the peer went quiet");
        st = pwt_rawcomp_read(c);
    }
    cr_expect_eq(st, PW_ECLOSED);
    pthread_join(th, NULL);
    close(p.lfd);
    pwt_rawcomp_destroy(c);

    cr_expect(strstr(p.header, "<stream:stream") != NULL);
    cr_expect(strstr(p.header, "xmlns='jabber:component:accept'") != NULL);
    cr_expect(strstr(p.header, "to='" DOMAIN "'") != NULL);
    cr_expect_str_eq(p.handshake, HANDSHAKE_HEX);
    cr_assert_eq(seen.count, 1);
    cr_expect_str_eq(seen.name, "iq");
    cr_expect_str_eq(seen.type, "get");
    cr_expect_str_eq(seen.id, "q1");
    cr_expect_str_eq(seen.from, "alice@example.org/r");
    cr_expect_str_eq(seen.to, DOMAIN);
    cr_expect_str_eq(seen.payload, PAYLOAD);
    cr_expect_str_eq(p.rest, "<iq type='result' id='q1' from='" DOMAIN "' to='alice@example.org/r'>" PAYLOAD "</iq>"
                             "<message from='x@" DOMAIN "' to='a&apos;b&lt;c&amp;d&quot;e'><body>hi</body></message>");
}

Test(rawcomp, a_wrong_secret_is_refused)
{
    peer_t p;
    pthread_t th;
    pwt_rawcomp_t *c = NULL;

    peer_start(&p, &th);
    cr_expect_eq(pwt_rawcomp_connect(&c, "127.0.0.1", p.port, DOMAIN, "wrong", 5000), PW_ECLOSED);
    cr_expect_null(c);
    pthread_join(th, NULL);
    close(p.lfd);
    cr_expect_str_neq(p.handshake, HANDSHAKE_HEX);
    cr_expect_eq(strlen(p.handshake), 40);
}

Test(rawcomp, refuses_bad_arguments)
{
    pwt_rawcomp_t *c = NULL;
    cr_expect_eq(pwt_rawcomp_connect(&c, "not-an-ip", 5222, DOMAIN, SECRET, 100), PW_EINVAL);
    cr_expect_eq(pwt_rawcomp_send(NULL, "iq", NULL, NULL, NULL, NULL, NULL), PW_EINVAL);
    cr_expect_eq(pwt_rawcomp_fd(NULL), -1);
    pwt_rawcomp_destroy(NULL);
}
