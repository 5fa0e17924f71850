/* test_hostile_senders.c: issue 14's hostile-sender matrix: every stanza each role accepts, sent by everyone who must not send it (a local user, a user of the peer, a user and a component of a third operator without peering, a component of the peer or of the role's own operator that is no role) and by its rightful sender with a forged, replayed, reordered or oversized payload: each is refused with the documented condition and a text, nothing reaches alice or bob, nothing is charged, and every component keeps running. The rows are generated from the lists below (STANZAS x the sender classes, plus VARIANTS), so a stanza added to STANZAS gets its rows. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <poll.h>

#include "chain/pw_enquiry.h"
#include "chain/pw_peering.h"
#include "core/pw_clock.h"
#include "xmpp/pw_stanza.h"
#include "pwt_rawcomp.h"
#include "pwt_server.h"
#include "pwt_trial.h"
#include "pwt_util.h"
#include "subs_util.h"


/* ================================================================ the table: one place
 * Who sends, what each target accepts, what it must answer. Adjust conditions here. */

/* Who sends a row's stanza. Every stanza is sent by each of the first SENDER_CLASSES classes
 * that is not among its rightful senders; RIGHT, the rightful sender itself (a raw component in
 * place of the real one), sends only the payload variants. */
typedef enum sender {
    LOCAL_USER, /* a user of the target's operator: carol@opa.example, erin@opb.example */
    PEER_USER,  /* a user of the peer: bob@opb.example to A's roles, alice@opa.example to B's */
    THIRD_USER, /* mallory@opc.example: operator C federates with both, peers with neither */
    THIRD_COMP, /* a component of C: proxy.opc.example sends enquiries, gateway.opc.example the rest */
    PEER_COMP,  /* a component of the peer that is no role: rogue.opb.example to A, rogue.opa.example to B */
    LOCAL_COMP, /* a component of the target's own operator that is no role: rogue.opa.example / rogue.opb.example */
    SENDER_CLASSES,
    RIGHT = SENDER_CLASSES /* the rightful sender, with a bad payload (VARIANTS) */
} sender_t;

static const char *const sender_names[] = { "local user", "peer user", "third-operator user",
                                            "third-operator component", "peer component (no role)",
                                            "own component (no role)", "rightful sender" };

/* What a row must get back. */
typedef enum answer {
    ERROR,        /* an IQ error with this condition and a non-empty <text/> */
    UNSUBSCRIBED, /* <presence type='unsubscribed'/> from the contact JID, nothing else */
    NOTHING,      /* no answer at all (presence that is ignored, an unsolicited IQ result) */
    ACK           /* an IQ result, and nothing delivered (a notification already delivered) */
} answer_t;

typedef struct expect {
    answer_t answer;
    pw_error_t cond; /* ERROR only */
} expect_t;

#define REFUSED(c) { ERROR, PW_ERR_##c }
#define ANSWERED(a) { a, PW_ERR_NONE }

/* When a row runs: with every component real; as a forged answer to a request in flight
 * (A's proxy waiting on B's gateway, which is a raw component then); with raw components in
 * place of both gateways (the rightful senders of notifications); with one in place of A's
 * proxy (the rightful sender of enquiries to B's gateway). */
typedef enum phase { PH_PENDING, PH_RAW_GATEWAYS, PH_REAL, PH_RAW_PROXY, PHASES } phase_t;

/* One stanza a role accepts. Its payload may name {SUB} (the subscription alice holds on bob),
 * {N} (the row's number), {ID} and {REF} (the request in flight, PH_PENDING), {BIG} (4000 bytes). */
typedef struct stanza {
    const char *name;
    int op;              /* the target's operator */
    const char *role;    /* the target: <role>.<operator's domain> */
    const char *node;    /* presence: to <node>@<role>.<domain> (a contact JID); else NULL */
    const char *el;      /* "iq" or "presence" */
    const char *type;    /* IQ or presence type */
    const char *payload; /* the IQ's child, as a template; NULL for presence */
    unsigned legit;      /* bits (1u << sender) of the classes that may send it: not refused */
    expect_t expect;     /* what every other class gets */
    phase_t phase;
    const char *what;
} stanza_t;

#define CHAIN "urn:peerwatch:chain:1"
/* A stanza's node: the presentity its enquiry names (target_of()) */
#define PRESENTITY_NODE "{P}"
#define STATE_FORGED "<state xmlns='urn:peerwatch:0' available='true' show='chat'><status>FORGED by bob</status></state>"
/* issue 14's forged notification, literally (bob@opb.example sends it to A's proxy) */
#define NOTIFY_FORGED(seq) "<notify xmlns='" CHAIN "' subscription='{SUB}' ref='r1' proxy='proxy.opa.example' " \
    "watcher-jid='alice@opa.example' presentity='+12025550123' seq='" seq "'>" STATE_FORGED "</notify>"
#define WATCHER_A "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'"
#define ENQUIRY(kind, extra) "<enquiry xmlns='" CHAIN "' ref='opa.example/hostile-{N}' kind='" kind "' " \
    "presentity='+12025550123' " WATCHER_A extra "/>"
#define COMMAND(node, body) "<command xmlns='http://jabber.org/protocol/commands' node='" node "' action=" body "</command>"
#define METRICS COMMAND("urn:peerwatch:metrics", "'execute'>")
#define HSS_NS "urn:peerwatch:hss:0"
#define L(s) (1u << (s))

/* Every stanza each role accepts (docs/protocol.md): a new one here gets its rows. */
static const stanza_t STANZAS[] = {
    /* the Watcher Application of A, alice's */
    { "wa-enquiry", PWT_OPA, "watcher", NULL, "iq", "set",
      "<enquiry xmlns='urn:peerwatch:0' address='+12025550123' kind='current'/>",
      L(LOCAL_USER), REFUSED(FORBIDDEN), PH_REAL, "a client's enquiry (§1.1)" },
    { "wa-command", PWT_OPA, "watcher", NULL, "iq", "set",
      COMMAND("enquiry", "'complete'><x xmlns='jabber:x:data' type='submit'><field var='address'>"
              "<value>+12025550123</value></field><field var='kind'><value>current</value></field></x>"),
      L(LOCAL_USER), REFUSED(FORBIDDEN), PH_REAL, "the ad-hoc enquiry, one-shot (§5.3)" },
    { "wa-subscribe", PWT_OPA, "watcher", "+12025550123", "presence", "subscribe", NULL,
      L(LOCAL_USER), ANSWERED(UNSUBSCRIBED), PH_REAL, "a roster subscription (§6)" },
    { "wa-probe", PWT_OPA, "watcher", "+12025550123", "presence", "probe", NULL,
      L(LOCAL_USER), ANSWERED(NOTHING), PH_REAL, "a roster probe (§6)" },
    { "wa-unsubscribe", PWT_OPA, "watcher", "+12025550123", "presence", "unsubscribe", NULL,
      L(LOCAL_USER), ANSWERED(NOTHING), PH_REAL, "a roster unsubscription (§6)" },
    { "wa-notify", PWT_OPA, "watcher", NULL, "iq", "set", NOTIFY_FORGED("78"),
      0, REFUSED(FORBIDDEN), PH_REAL, "a notification of alice's subscription, straight to her WA (§5.2)" },
    { "wa-approval", PWT_OPA, "watcher", NULL, "iq", "set",
      "<approval xmlns='" CHAIN "' presentity='alice@opa.example' watcher-msisdn='+12025550123' "
      "watcher-jid='bob@opb.example'/>",
      0, REFUSED(FORBIDDEN), PH_REAL, "an approval request about alice (§2.5)" },
    { "wa-hss-changed", PWT_OPA, "watcher", NULL, "iq", "set", "<changed xmlns='" HSS_NS "'/>",
      0, REFUSED(FORBIDDEN), PH_REAL, "the HSS's notice of changed records" },
    { "wa-metrics", PWT_OPA, "watcher", NULL, "iq", "set", METRICS,
      0, REFUSED(FORBIDDEN), PH_REAL, "the metrics command" },
    /* the Watcher Presence Proxy of A */
    { "proxy-enquiry", PWT_OPA, "proxy", NULL, "iq", "set", ENQUIRY("current", ""),
      0, REFUSED(FORBIDDEN), PH_REAL, "an enquiry to sign and send on (§2.1)" },
    { "proxy-notify", PWT_OPA, "proxy", NULL, "iq", "set", NOTIFY_FORGED("77"),
      0, REFUSED(NOT_AUTHORIZED), PH_REAL, "issue 14's forged notification of alice's subscription (§5.2)" },
    { "proxy-result", PWT_OPA, "proxy", NULL, "iq", "result",
      "<enquiry xmlns='" CHAIN "' ref='{REF}' kind='current'>" STATE_FORGED "</enquiry>",
      0, ANSWERED(NOTHING), PH_PENDING, "a forged answer to the proxy's request in flight to B's gateway" },
    { "proxy-metrics", PWT_OPA, "proxy", NULL, "iq", "set", METRICS,
      0, REFUSED(FORBIDDEN), PH_REAL, "the metrics command" },
    /* the Gateway of B */
    { "gateway-enquiry", PWT_OPB, "gateway", PRESENTITY_NODE, "iq", "set", ENQUIRY("current", ""),
      0, REFUSED(NOT_AUTHORIZED), PH_REAL, "an enquiry about bob, unsigned (§2.2)" },
    { "gateway-stop", PWT_OPB, "gateway", PRESENTITY_NODE, "iq", "set", ENQUIRY("stop", " subscription='{SUB}'"),
      0, REFUSED(NOT_AUTHORIZED), PH_REAL, "an unsigned stop of alice's subscription (§5.1)" },
    { "gateway-notify", PWT_OPB, "gateway", NULL, "iq", "set", NOTIFY_FORGED("79"),
      0, REFUSED(FORBIDDEN), PH_REAL, "a notification to relay to A's proxy (§5.2)" },
    { "gateway-hss-changed", PWT_OPB, "gateway", NULL, "iq", "set", "<changed xmlns='" HSS_NS "'/>",
      0, REFUSED(FORBIDDEN), PH_REAL, "the HSS's notice of changed records" },
    { "gateway-metrics", PWT_OPB, "gateway", NULL, "iq", "set", METRICS,
      0, REFUSED(FORBIDDEN), PH_REAL, "the metrics command" },
    /* a Presence Server of B, bob's */
    { "ps-enquiry", PWT_OPB, "ps1", PRESENTITY_NODE, "iq", "set",
      ENQUIRY("current", " presentity-jid='bob@opb.example'"),
      0, REFUSED(FORBIDDEN), PH_REAL, "an enquiry about bob, as from the gateway (§2.3)" },
    { "ps-stop", PWT_OPB, "ps1", PRESENTITY_NODE, "iq", "set",
      ENQUIRY("stop", " presentity-jid='bob@opb.example' subscription='{SUB}'"),
      0, REFUSED(FORBIDDEN), PH_REAL, "a stop of alice's subscription, as from the gateway (§5.1)" },
    { "ps-decided", PWT_OPB, "ps1", NULL, "iq", "set",
      "<decided xmlns='" CHAIN "' presentity='bob@opb.example' watcher-msisdn='+447700900001'/>",
      0, REFUSED(FORBIDDEN), PH_REAL, "the WA's report of bob's decision (§2.5)" },
    { "ps-watchers", PWT_OPB, "ps1", NULL, "iq", "set", COMMAND("watchers", "'execute'>"),
      L(LOCAL_USER), REFUSED(FORBIDDEN), PH_REAL, "the command 'who watches me' (§5.5)" },
    { "ps-metrics", PWT_OPB, "ps1", NULL, "iq", "set", METRICS,
      0, REFUSED(FORBIDDEN), PH_REAL, "the metrics command" },
    /* the HSS of B */
    { "hss-lookup", PWT_OPB, "hss", NULL, "iq", "get", "<lookup xmlns='" HSS_NS "' msisdn='+12025550123'/>",
      0, REFUSED(FORBIDDEN), PH_REAL, "a lookup of bob's record (docs/hss.md)" },
    { "hss-changes", PWT_OPB, "hss", NULL, "iq", "get", "<changes xmlns='" HSS_NS "'/>",
      0, REFUSED(FORBIDDEN), PH_REAL, "the promise of change notices (docs/hss.md)" },
    { "hss-metrics", PWT_OPB, "hss", NULL, "iq", "set", METRICS,
      0, REFUSED(FORBIDDEN), PH_REAL, "the metrics command" },
};

/* How a variant's rightful sender signs (docs/protocol.md §2.2). */
typedef enum signing {
    UNSIGNED,
    SIGNED,           /* validly, by the sender's operator, now */
    MADE_UP,          /* a <signature/> with every attribute right and made-up bytes */
    WRONG_KEY,        /* naming the sender's network, signed with the other operator's key */
    OTHER_NETWORK,    /* validly, but by the other operator (its key, its network) */
    EXPIRED           /* validly, an hour ago (beyond the gateway's max_skew) */
} signing_t;

/* The rightful sender with a bad payload, for the stanzas that cross between operators. */
typedef struct variant {
    const char *stanza;  /* the stanza of STANZAS it alters */
    const char *name;
    const char *right;   /* the rightful sender's domain (a raw component in its place) */
    int signer;          /* its operator: whose key it signs with */
    const char *from;    /* the IQ's from, {D} the rightful domain; NULL: "{D}" */
    signing_t signing;
    int replay;          /* sent twice: the first copy must get prime */
    expect_t prime;
    const char *payload; /* NULL: the stanza's own */
    expect_t expect;
    phase_t phase;
} variant_t;

#define NOTIFY_SEQ(sub, seq) "<notify xmlns='" CHAIN "' subscription='" sub "' ref='r1' proxy='proxy.opa.example' " \
    "watcher-jid='alice@opa.example' presentity='+12025550123' seq='" seq "'>" STATE_FORGED "</notify>"
/* +12025550999 is no subscriber of B: an enquiry the gateway lets through is item-not-found, never charged */
#define ENQUIRY_UNKNOWN(ref, network) "<enquiry xmlns='" CHAIN "' ref='" ref "' kind='current' " \
    "presentity='+12025550999' watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' " \
    "watcher-network='" network "'/>"
#define NO_PRIME { ERROR, PW_ERR_NONE }

/* (No row sends from the rightful component's own full JID, gateway.opb.example/x: only that
 * component can send from its domain, so a resource is its own and is accepted, §7.) */
static const variant_t VARIANTS[] = {
    /* notifications at A's proxy, from B's gateway (rule b: a gateway of notify_from, signed, fresh) */
    { "proxy-notify", "unsigned", "gateway.opb.example", PWT_OPB, NULL, UNSIGNED, 0, NO_PRIME,
      NULL, REFUSED(NOT_AUTHORIZED), PH_RAW_GATEWAYS },
    { "proxy-notify", "made-up signature", "gateway.opb.example", PWT_OPB, NULL, MADE_UP, 0, NO_PRIME,
      NULL, REFUSED(NOT_AUTHORIZED), PH_RAW_GATEWAYS },
    { "proxy-notify", "signed with A's key", "gateway.opb.example", PWT_OPB, NULL, WRONG_KEY, 0, NO_PRIME,
      NULL, REFUSED(NOT_AUTHORIZED), PH_RAW_GATEWAYS },
    { "proxy-notify", "signed by A, not by the sender's network", "gateway.opb.example", PWT_OPB, NULL,
      OTHER_NETWORK, 0, NO_PRIME, NULL, REFUSED(NOT_AUTHORIZED), PH_RAW_GATEWAYS },
    { "proxy-notify", "replayed signature", "gateway.opb.example", PWT_OPB, NULL, SIGNED, 1,
      REFUSED(ITEM_NOT_FOUND), NOTIFY_SEQ("no-such-subscription-{N}", "5"), REFUSED(NOT_AUTHORIZED),
      PH_RAW_GATEWAYS },
    { "proxy-notify", "reordered: seq 1 again, already delivered", "gateway.opb.example", PWT_OPB, NULL,
      SIGNED, 0, NO_PRIME, NOTIFY_SEQ("{SUB}", "1"), ANSWERED(ACK), PH_RAW_GATEWAYS },
    { "proxy-notify", "oversized attribute (subscription of 4000 bytes)", "gateway.opb.example", PWT_OPB,
      NULL, UNSIGNED, 0, NO_PRIME, NOTIFY_SEQ("{BIG}", "81"), REFUSED(BAD_REQUEST), PH_RAW_GATEWAYS },
    { "proxy-notify", "signed, from a JID with a localpart", "gateway.opb.example", PWT_OPB, "evil@{D}",
      SIGNED, 0, NO_PRIME, NOTIFY_SEQ("{SUB}", "83"), REFUSED(NOT_AUTHORIZED), PH_RAW_GATEWAYS },
    { "proxy-notify", "signed by A's own gateway for a subscription made through B (rule c)",
      "gateway.opa.example", PWT_OPA, NULL, SIGNED, 0, NO_PRIME, NOTIFY_SEQ("{SUB}", "84"),
      REFUSED(NOT_AUTHORIZED), PH_RAW_GATEWAYS },
    /* enquiries at B's gateway, from A's proxy (rule d: a bare component JID of a peer, signed) */
    { "gateway-enquiry", "unsigned", "proxy.opa.example", PWT_OPA, NULL, UNSIGNED, 0, NO_PRIME,
      NULL, REFUSED(NOT_AUTHORIZED), PH_RAW_PROXY },
    { "gateway-enquiry", "made-up signature", "proxy.opa.example", PWT_OPA, NULL, MADE_UP, 0, NO_PRIME,
      NULL, REFUSED(NOT_AUTHORIZED), PH_RAW_PROXY },
    { "gateway-enquiry", "signed with B's key", "proxy.opa.example", PWT_OPA, NULL, WRONG_KEY, 0,
      NO_PRIME, ENQUIRY_UNKNOWN("opa.example/hostile-{N}", "opa.example"), REFUSED(NOT_AUTHORIZED),
      PH_RAW_PROXY },
    { "gateway-enquiry", "signed, watcher-network of another operator", "proxy.opa.example", PWT_OPA, NULL,
      SIGNED, 0, NO_PRIME, ENQUIRY_UNKNOWN("opa.example/hostile-{N}", "opc.example"),
      REFUSED(NOT_AUTHORIZED), PH_RAW_PROXY },
    { "gateway-enquiry", "signed an hour ago", "proxy.opa.example", PWT_OPA, NULL, EXPIRED, 0, NO_PRIME,
      ENQUIRY_UNKNOWN("opa.example/hostile-{N}", "opa.example"), REFUSED(NOT_AUTHORIZED), PH_RAW_PROXY },
    { "gateway-enquiry", "replayed signature", "proxy.opa.example", PWT_OPA, NULL, SIGNED, 1,
      REFUSED(ITEM_NOT_FOUND), ENQUIRY_UNKNOWN("opa.example/hostile-{N}", "opa.example"),
      REFUSED(NOT_AUTHORIZED), PH_RAW_PROXY },
    { "gateway-enquiry", "oversized attribute (ref of 4000 bytes)", "proxy.opa.example", PWT_OPA, NULL,
      UNSIGNED, 0, NO_PRIME, ENQUIRY_UNKNOWN("{BIG}", "opa.example"), REFUSED(BAD_REQUEST),
      PH_RAW_PROXY },
    { "gateway-enquiry", "signed, from a JID with a localpart", "proxy.opa.example", PWT_OPA, "evil@{D}",
      SIGNED, 0, NO_PRIME, ENQUIRY_UNKNOWN("opa.example/hostile-{N}", "opa.example"),
      REFUSED(NOT_AUTHORIZED), PH_RAW_PROXY },
};

#define N_STANZAS (sizeof STANZAS / sizeof STANZAS[0])
#define N_VARIANTS (sizeof VARIANTS / sizeof VARIANTS[0])
#define MAX_ROWS (N_STANZAS * SENDER_CLASSES + N_VARIANTS)

/* ================================================================ the matrix, generated */

typedef struct row {
    unsigned n;            /* 1.. */
    const stanza_t *st;
    sender_t sender;
    const variant_t *v;    /* RIGHT's variant, else NULL */
    expect_t expect;
    phase_t phase;
} row_t;

static row_t rows[MAX_ROWS];
static size_t nrows;

static const stanza_t *stanza_named(const char *name)
{
    for (size_t i = 0; i < N_STANZAS; i++) {
        if (strcmp(STANZAS[i].name, name) == 0)
            return &STANZAS[i];
    }
    cr_assert_fail("VARIANTS names a stanza not in STANZAS: %s", name);
    return NULL;
}

/* STANZAS x the sender classes that may not send each, then the VARIANTS. */
static void generate(void)
{
    nrows = 0;
    for (size_t i = 0; i < N_STANZAS; i++) {
        for (int s = 0; s < SENDER_CLASSES; s++) {
            if (STANZAS[i].legit & L(s))
                continue;
            rows[nrows] = (row_t){ (unsigned)nrows + 1, &STANZAS[i], (sender_t)s, NULL, STANZAS[i].expect,
                                   STANZAS[i].phase };
            nrows++;
        }
    }
    for (size_t i = 0; i < N_VARIANTS; i++) {
        rows[nrows] = (row_t){ (unsigned)nrows + 1, stanza_named(VARIANTS[i].stanza), RIGHT, &VARIANTS[i],
                               VARIANTS[i].expect, VARIANTS[i].phase };
        nrows++;
    }
}

/* ================================================================ the trial and its parties */

#define ANSWER_MS 10000u  /* an IQ's answer, over s2s */
#define SILENCE_MS 1000u  /* how long NOTHING waits */
#define PENDING_SILENCE_MS 400u /* NOTHING in PH_PENDING: the proxy's gateway_timeout (8 s) runs */
#define BIG_LEN 4000

/* A raw component and what it received, as text. */
typedef struct raw {
    pwt_rawcomp_t *c;
    char *got[64];
    size_t n;
} raw_t;

static struct {
    pwt_trial_t *trial;
    xmpp_ctx_t *ctx; /* alice's client's, to build and parse stanzas */
    pwt_client_t *alice, *bob, *carol, *erin, *mallory;
    raw_t third_proxy, third_gateway, rogue[2];
    raw_t right;        /* PH_RAW_PROXY: proxy.opa.example; PH_RAW_GATEWAYS: gateway.opb.example */
    raw_t right_a;      /* PH_RAW_GATEWAYS: gateway.opa.example */
    raw_t right2;       /* PH_RAW_GATEWAYS with B on a cluster: gateway2.opb.example */
    raw_t *pending;     /* the raw gateway of B that holds the request in flight */
    char sub[128];      /* alice's subscription on bob */
    char pending_id[128], pending_ref[300], pending_to[300];
    uint64_t digest0;   /* the charging directories before the matrix */
    uint64_t digest;    /* … before the current row */
} fx;

static void raw_free_got(raw_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->got[i]);
    r->n = 0;
}

static void raw_close(raw_t *r)
{
    pwt_rawcomp_destroy(r->c);
    r->c = NULL;
    raw_free_got(r);
}

static void teardown(void)
{
    pwt_client_destroy(fx.alice);
    pwt_client_destroy(fx.bob);
    pwt_client_destroy(fx.carol);
    pwt_client_destroy(fx.erin);
    pwt_client_destroy(fx.mallory);
    raw_close(&fx.third_proxy);
    raw_close(&fx.third_gateway);
    raw_close(&fx.rogue[0]);
    raw_close(&fx.rogue[1]);
    raw_close(&fx.right);
    raw_close(&fx.right_a);
    raw_close(&fx.right2);
    pwt_trial_destroy(fx.trial);
    memset(&fx, 0, sizeof fx);
}

TestSuite(hostile_senders, .fini = teardown, .timeout = 600);

/* Append s to the text, escaping it for an attribute value in single quotes. */
static void put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '\'')
            fputs("&apos;", f);
        else
            fputc(*s, f);
    }
}

/* pwt_rawcomp_cb_t: keep each stanza as text (<NAME type id from to>payload</NAME>). */
static void on_raw(pwt_rawcomp_t *c, const pwt_rawstanza_t *s, void *arg)
{
    raw_t *r = arg;
    const char *names[] = { "type", "id", "from", "to" };
    const char *values[] = { s->type, s->id, s->from, s->to };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    (void)c;

    if (!f)
        return;
    fprintf(f, "<%s", s->name);
    for (int i = 0; i < 4; i++) {
        if (values[i]) {
            fprintf(f, " %s='", names[i]);
            put_escaped(f, values[i]);
            fputc('\'', f);
        }
    }
    fprintf(f, ">%s</%s>", s->payload, s->name);
    if (fclose(f) != 0 || r->n == sizeof r->got / sizeof r->got[0]) {
        free(buf);
        return;
    }
    r->got[r->n++] = buf;
}

/* Connect a raw component as domain to operator op's server; retried while the server still
 * holds the domain for a component that just left. */
static void raw_open(raw_t *r, int op, const char *domain)
{
    pwt_server_t *s = pwt_trial_server(fx.trial, op);
    uint64_t until = pwt_now_ms() + 15000;
    pw_status_t rc;

    cr_assert_not_null(s);
    while ((rc = pwt_rawcomp_connect(&r->c, pwt_server_component_ip(s), pwt_server_component_port(s),
                                     domain, pwt_server_secret(s), 3000)) != PW_OK && pwt_now_ms() < until)
        pwt_sleep_ms(200);
    cr_assert_eq(rc, PW_OK, "a raw component connects as %s", domain);
    pwt_rawcomp_on_stanza(r->c, on_raw, r);
}

/* The first stanza r received whose text holds every one of needles (taken out of r, parsed
 * into fx.ctx; the caller releases it), waiting up to ms; NULL when none came. */
static xmpp_stanza_t *raw_wait(raw_t *r, const char *const needles[], unsigned ms)
{
    uint64_t until = pwt_now_ms() + ms;
    for (;;) {
        for (size_t i = 0; i < r->n; i++) {
            size_t k = 0;
            while (needles[k] && strstr(r->got[i], needles[k]))
                k++;
            if (!needles[k]) {
                xmpp_stanza_t *st = xmpp_stanza_new_from_string(fx.ctx, r->got[i]);
                free(r->got[i]);
                memmove(&r->got[i], &r->got[i + 1], (r->n - i - 1) * sizeof r->got[0]);
                r->n--;
                cr_assert_not_null(st, "a stanza the raw component received parses");
                return st;
            }
        }
        uint64_t now = pwt_now_ms();
        if (now >= until)
            return NULL;
        struct pollfd p = { .fd = pwt_rawcomp_fd(r->c), .events = POLLIN };
        if (poll(&p, 1, (int)(until - now)) > 0)
            cr_assert_eq(pwt_rawcomp_read(r->c), PW_OK, "the raw component %s is still connected",
                         pwt_rawcomp_domain(r->c));
    }
}

/* ================================================================ what the rows check besides answers */

/* FNV-1a over the names, sizes and contents of the files under dir (none: nothing); with
 * list, one line per file ("path size") is written there too. */
static uint64_t digest_dir(uint64_t h, const char *dir, FILE *list)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);

    for (int i = 0; i < n; i++) {
        char path[PWT_PATH_MAX + 256];
        struct stat sb;
        if (names[i]->d_name[0] != '.' &&
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < (int)sizeof path &&
            stat(path, &sb) == 0) {
            for (const char *p = path; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ull;
            if (S_ISDIR(sb.st_mode)) {
                h = digest_dir(h, path, list);
            } else {
                FILE *f = fopen(path, "rb");
                int ch;
                h = (h ^ (uint64_t)sb.st_size) * 1099511628211ull;
                while (f && (ch = fgetc(f)) != EOF)
                    h = (h ^ (unsigned char)ch) * 1099511628211ull;
                if (f)
                    fclose(f);
                if (list)
                    fprintf(list, "  %s %lld bytes\n", path, (long long)sb.st_size);
            }
        }
        free(names[i]);
    }
    free(names);
    return h;
}

/* Both operators' charge records and records of enquiries sent; with list, their files. */
static uint64_t charging_digest_list(FILE *list)
{
    uint64_t h = 14695981039346656037ull;
    for (int op = PWT_OPA; op <= PWT_OPB; op++) {
        h = digest_dir(h, pwt_trial_cdr_dir(fx.trial, op), list);
        h = digest_dir(h, pwt_trial_sent_dir(fx.trial, op), list);
    }
    return h;
}

static uint64_t charging_digest(void)
{
    return charging_digest_list(NULL);
}

/* pwt_match_fn: what a person would see: a message or a presence. */
static int is_visible(xmpp_stanza_t *s, void *arg)
{
    const char *name = xmpp_stanza_get_name(s);
    (void)arg;
    return strcmp(name, "message") == 0 || strcmp(name, "presence") == 0;
}

/* Whatever alice's and bob's clients received that they could see; describe the first in why. */
static int victims_saw(char *why, size_t cap)
{
    pwt_client_t *victims[] = { fx.alice, fx.bob };
    for (int i = 0; i < 2; i++) {
        xmpp_stanza_t *s;
        pwt_client_poll(victims[i]);
        s = pwt_client_wait(victims[i], is_visible, NULL, 0);
        if (s) {
            char *text = NULL;
            size_t len;
            xmpp_stanza_to_text(s, &text, &len);
            snprintf(why, cap, "%s's client received %s", i ? "bob" : "alice", text ? text : "?");
            free(text);
            xmpp_stanza_release(s);
            return 1;
        }
    }
    return 0;
}

static void drain(pwt_client_t *c)
{
    xmpp_stanza_t *s;
    pwt_client_run(c, 300);
    while ((s = pwt_client_wait(c, NULL, NULL, 0)))
        xmpp_stanza_release(s);
}

/* ================================================================ sending a row */

static const char *domain_of(int op)
{
    return op == PWT_OPA ? "opa.example" : op == PWT_OPB ? "opb.example" : "opc.example";
}

/* {SUB}, {N}, {ID}, {REF}, {BIG}, {D} expanded; the caller frees it. */
static char *expand(const char *tpl, const row_t *r, const char *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    for (const char *p = tpl; *p; p++) {
        if (strncmp(p, "{SUB}", 5) == 0) {
            fputs(fx.sub, f), p += 4;
        } else if (strncmp(p, "{N}", 3) == 0) {
            fprintf(f, "%u-%llu", r->n, (unsigned long long)pwt_now_ms()), p += 2;
        } else if (strncmp(p, "{ID}", 4) == 0) {
            put_escaped(f, fx.pending_id), p += 3;
        } else if (strncmp(p, "{REF}", 5) == 0) {
            put_escaped(f, fx.pending_ref), p += 4;
        } else if (strncmp(p, "{D}", 3) == 0) {
            fputs(d ? d : "", f), p += 2;
        } else if (strncmp(p, "{BIG}", 5) == 0) {
            for (int i = 0; i < BIG_LEN; i++)
                fputc('x', f);
            p += 4;
        } else {
            fputc(*p, f);
        }
    }
    cr_assert_eq(fclose(f), 0);
    return buf;
}

/* The target's JID: <role>.<domain>, or <node>@<role>.<domain> (a contact JID; for a chain
 * enquiry, PRESENTITY_NODE: the number the payload's presentity attribute names, as protocol
 * version 1 addresses the gateway and the presence server, §2.2). */
static void target_of(const row_t *r, const char *payload, char *buf, size_t cap)
{
    const char *node = r->st->node;
    char number[32] = "";
    if (node && strcmp(node, PRESENTITY_NODE) == 0) {
        const char *at = payload ? strstr(payload, " presentity=") : NULL; /* ' or " (signed) */
        char quote[2] = { 0, 0 };
        cr_assert_not_null(at, "row %u: an enquiry names its presentity", r->n);
        at += strlen(" presentity=");
        quote[0] = *at++;
        snprintf(number, sizeof number, "%.*s", (int)strcspn(at, quote), at);
        node = number;
    }
    if (node)
        snprintf(buf, cap, "%s@%s.%s", node, r->st->role, domain_of(r->st->op));
    else
        snprintf(buf, cap, "%s.%s", r->st->role, domain_of(r->st->op));
}

/* The client a user class sends from, or NULL for a component class. */
static pwt_client_t *user_of(const row_t *r)
{
    int a = r->st->op == PWT_OPA;
    switch (r->sender) {
    case LOCAL_USER: return a ? fx.carol : fx.erin;
    case PEER_USER: return a ? fx.bob : fx.alice;
    case THIRD_USER: return fx.mallory;
    default: return NULL;
    }
}

/* The raw component a component class (or RIGHT) sends from. */
static raw_t *raw_of(const row_t *r)
{
    int a = r->st->op == PWT_OPA;
    switch (r->sender) {
    case THIRD_COMP:
        return r->st->payload && strstr(r->st->payload, "<enquiry") ? &fx.third_proxy : &fx.third_gateway;
    case PEER_COMP: return &fx.rogue[a ? PWT_OPB : PWT_OPA];
    case LOCAL_COMP: return &fx.rogue[a ? PWT_OPA : PWT_OPB];
    case RIGHT: return strcmp(r->v->right, "gateway.opa.example") == 0 ? &fx.right_a : &fx.right;
    default: return NULL;
    }
}

/* The payload with the variant's <signature/> added (a new string), or NULL with why. */
static char *sign_payload(const row_t *r, const char *payload, const char *from, const char *to,
                          char *why, size_t cap)
{
    const variant_t *v = r->v;
    int other = v->signer == PWT_OPA ? PWT_OPB : PWT_OPA;
    int key_op = v->signing == WRONG_KEY || v->signing == OTHER_NETWORK ? other : v->signer;
    const char *network = domain_of(v->signing == OTHER_NETWORK ? other : v->signer);
    uint64_t now = pw_clock_wall_ms() - (v->signing == EXPIRED ? 3600000u : 0u);
    xmpp_stanza_t *el = xmpp_stanza_new_from_string(fx.ctx, payload), *sig = NULL;
    pw_peering_key_t *key = NULL;
    char from_domain[256], *text = NULL, *out = NULL;
    size_t len;

    snprintf(from_domain, sizeof from_domain, "%s", strchr(from, '@') ? strchr(from, '@') + 1 : from);
    from_domain[strcspn(from_domain, "/")] = '\0';
    cr_assert_not_null(el, "the payload parses: %s", payload);
    if (v->signing == MADE_UP) {
        char ts[64], sigtext[512];
        cr_assert_eq(pw_clock_format_seconds(now, ts, sizeof ts), PW_OK);
        snprintf(sigtext, sizeof sigtext, "<signature xmlns='" CHAIN "' alg='ed25519' network='%s' "
                 "timestamp='%s' nonce='hostileNonce%010u'>%s</signature>", network, ts, r->n,
                 "SGVyZSBpcyBubyBzaWduYXR1cmUgYnV0IHRoZSB3b3JkcyBvZiBhIGZvcmdlcjogbm90IGF1dGhvcml6ZWQhIQ==");
        sig = xmpp_stanza_new_from_string(fx.ctx, sigtext);
    } else {
        cr_assert_not_null(pwt_trial_key(fx.trial, key_op), "the trial's key of operator %d", key_op);
        cr_assert_eq(pw_peering_key_load_private(pwt_trial_key(fx.trial, key_op), &key, why, cap), PW_OK,
                     "%s", why);
        if (strcmp(xmpp_stanza_get_name(el), "enquiry") == 0) {
            pw_enquiry_t e;
            pw_error_t cond;
            cr_assert_eq(pw_enquiry_parse(el, &e, &cond, why, cap), PW_OK, "%s", why);
            /* the enquiry's own watcher-network (OTHER_NETWORK: B's key signs as that network) */
            sig = pw_peering_sign(fx.ctx, key, e.watcher_network, &e, from_domain, to, now);
        } else {
            pw_notify_t n;
            cr_assert_eq(pw_notify_parse(el, &n, why, cap), PW_OK, "%s", why);
            sig = pw_peering_sign_notify(fx.ctx, key, network, &n, from_domain, to, now);
        }
    }
    if (sig) {
        xmpp_stanza_add_child(el, sig);
        xmpp_stanza_release(sig);
        if (xmpp_stanza_to_text(el, &text, &len) == XMPP_EOK) {
            out = strdup(text);
            xmpp_free(fx.ctx, text);
        }
    } else if (!why[0]) {
        snprintf(why, cap, "the signature could not be made");
    }
    pw_peering_key_destroy(key);
    xmpp_stanza_release(el);
    return out;
}

/* pwt_match_fn: a stanza from the JID arg (a bare JID) or one of its resources. */
static int is_from(xmpp_stanza_t *s, void *arg)
{
    const char *from = xmpp_stanza_get_from(s), *jid = arg;
    size_t n = strlen(jid);
    return from && strncasecmp(from, jid, n) == 0 && (from[n] == '\0' || from[n] == '/');
}

/* Send the row's stanza (xml is its payload, expanded; NULL for presence) with id, and collect
 * what came back: the IQ's answer, or for presence and results whatever came from the target. */
static xmpp_stanza_t *send_row(const row_t *r, const char *from, const char *id, const char *xml)
{
    char to[300], buf[512], *text = NULL;
    pwt_client_t *c = user_of(r);
    int iq_request = strcmp(r->st->el, "iq") == 0 && strcmp(r->st->type, "result") != 0;
    unsigned wait = r->expect.answer == NOTHING
                        ? (r->phase == PH_PENDING ? PENDING_SILENCE_MS : SILENCE_MS) : ANSWER_MS;
    xmpp_stanza_t *got;

    target_of(r, xml, to, sizeof to);
    if (c) {
        size_t len;
        FILE *f = open_memstream(&text, &len);
        fprintf(f, "<%s type='%s' id='%s' to='%s'>%s</%s>", r->st->el, r->st->type, id, to,
                xml ? xml : "", r->st->el);
        fclose(f);
        if (iq_request) {
            got = pwt_client_iq(c, text, wait);
        } else {
            cr_assert_eq(pwt_client_send_xml(c, text), PW_OK);
            got = pwt_client_wait(c, is_from, to, wait);
        }
    } else {
        raw_t *rc = raw_of(r);
        const char *needles[] = { buf, NULL };
        raw_free_got(rc); /* late answers to earlier rows were judged (as missing) already */
        cr_assert_eq(pwt_rawcomp_send(rc->c, r->st->el, r->st->type, id, from, to, xml), PW_OK);
        if (iq_request)
            snprintf(buf, sizeof buf, " id='%s'", id);
        else
            snprintf(buf, sizeof buf, " from='%s", to);
        got = raw_wait(rc, needles, wait);
    }
    free(text);
    return got;
}

/* Whether what came back is what the row expects; why says otherwise. */
static int judge(xmpp_stanza_t *got, const expect_t *want, char *why, size_t cap)
{
    const char *type = got ? xmpp_stanza_get_type(got) : NULL;
    char text[1024] = "";
    char *xml = NULL;
    size_t len;
    int ok = 0;

    if (got)
        xmpp_stanza_to_text(got, &xml, &len);
    switch (want->answer) {
    case ERROR:
        if (!got) {
            snprintf(why, cap, "no answer in %u ms (silence)", ANSWER_MS);
        } else if (!type || strcmp(type, "error") != 0) {
            snprintf(why, cap, "answered %s, not an error: %.600s", type ? type : "?", xml);
        } else {
            pw_error_t cond = pw_stanza_error_parse(got, text, sizeof text);
            if (cond != want->cond)
                snprintf(why, cap, "%s (%s), not %s", pw_error_name(cond), text, pw_error_name(want->cond));
            else if (!text[0])
                snprintf(why, cap, "%s without a <text/>", pw_error_name(cond));
            else
                ok = 1, snprintf(why, cap, "%s: %s", pw_error_name(cond), text);
        }
        break;
    case UNSUBSCRIBED:
        ok = got && strcmp(xmpp_stanza_get_name(got), "presence") == 0 && type && strcmp(type, "unsubscribed") == 0;
        snprintf(why, cap, ok ? "unsubscribed" : "not answered unsubscribed: %.600s", got ? xml : "nothing");
        break;
    case NOTHING:
        ok = !got;
        snprintf(why, cap, ok ? "no answer, as it should" : "answered: %.600s", got ? xml : "");
        break;
    case ACK:
        ok = got && type && strcmp(type, "result") == 0;
        snprintf(why, cap, ok ? "acknowledged, not delivered again" : "not acknowledged: %.600s",
                 got ? xml : "nothing");
        break;
    }
    free(xml);
    return ok;
}

/* The expectation as printed: the condition, or what else is expected. */
static const char *expected_name(const expect_t *e)
{
    switch (e->answer) {
    case ERROR: return pw_error_name(e->cond);
    case UNSUBSCRIBED: return "unsubscribed";
    case NOTHING: return "no answer";
    default: return "result, not delivered";
    }
}

/* Run one row: send, judge the answer, then check that alice and bob saw nothing and nothing
 * was charged; print its PASS or FAIL line. @return 1 when it passed */
static int run_row(const row_t *r)
{
    char why[2048] = "", extra[1200] = "", id[160], from[300];
    char *payload = NULL, *xml = NULL;
    const variant_t *v = r->v;
    xmpp_stanza_t *got = NULL;
    int ok = 0;

    snprintf(id, sizeof id, "hostile-%u", r->n);
    if (r->phase == PH_PENDING)
        snprintf(id, sizeof id, "%s", fx.pending_id);
    if (v) {
        char *f = expand(v->from ? v->from : "{D}", r, v->right);
        snprintf(from, sizeof from, "%s", f);
        free(f);
    } else {
        from[0] = '\0';
    }
    payload = r->st->payload || (v && v->payload)
                  ? expand(v && v->payload ? v->payload : r->st->payload, r, NULL) : NULL;
    xml = payload;
    if (v && v->signing != UNSIGNED) {
        char to[300];
        /* the signed 'to' is the component's domain (docs/protocol.md §2.2) */
        snprintf(to, sizeof to, "%s.%s", r->st->role, domain_of(r->st->op));
        xml = sign_payload(r, payload, from, to, why, sizeof why);
        if (!xml)
            goto done;
    }
    if (v && v->replay) { /* the same stanza, first as it should be */
        char first[200], first_why[1024];
        snprintf(first, sizeof first, "%s-first", id);
        got = send_row(r, from, first, xml);
        if (!judge(got, &v->prime, first_why, sizeof first_why)) {
            snprintf(why, sizeof why, "the first copy: %s", first_why);
            goto done;
        }
        xmpp_stanza_release(got);
        got = NULL;
    }
    got = send_row(r, v ? from : NULL, id, xml);
    ok = judge(got, &r->expect, why, sizeof why);
done:
    if (victims_saw(extra, sizeof extra))
        ok = 0;
    if (charging_digest() != fx.digest) { /* blamed on this row only: the next are judged anew */
        ok = 0;
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%sa charge record (or record "
                 "of an enquiry sent) was written", extra[0] ? "; " : "");
        fx.digest = charging_digest();
    }
    if (got)
        xmpp_stanza_release(got);
    if (xml != payload)
        free(xml);
    {
        char target[300];
        target_of(r, payload, target, sizeof target);
        printf("%s %3u %-20s at %-32s from %-26s (%s) expects %s -> %s%s%s\n", ok ? "PASS" : "FAIL",
               r->n, r->st->name, target, sender_names[r->sender], v ? v->name : r->st->what,
               expected_name(&r->expect), why, extra[0] ? "; " : "", extra);
    }
    free(payload);
    fflush(stdout);
    return ok;
}

/* ================================================================ phases */

/* Stop the trial component name and connect a raw component as its domain in its place. */
static void swap_in(raw_t *r, const char *name, int op, const char *domain)
{
    pwt_component_t *c = pwt_trial_component(fx.trial, name);
    cr_assert_not_null(c, "%s runs", name);
    pwt_component_stop(c, 5000);
    raw_open(r, op, domain);
}

/* The raw component leaves; the real one comes back and online. */
static void swap_out(raw_t *r, const char *name)
{
    pwt_component_t *c = pwt_trial_component(fx.trial, name);
    unsigned online = pwt_component_log_count(c, " is online");
    raw_close(r);
    cr_assert_eq(pwt_component_restart(c), PW_OK, "%s starts again", name);
    cr_assert_eq(pwt_component_wait_online(c, online + 1, 20000), 0, "%s is online again", name);
}

/* alice asks about bob; A's proxy sends the signed enquiry to B's gateway (either instance on
 * a cluster), a raw component now, which holds it: its id and ref are what the PH_PENDING rows
 * forge an answer to. */
static void start_pending(void)
{
    const char *needles[] = { "type='set'", "from='proxy.opa.example", "<enquiry", NULL };
    xmpp_stanza_t *req = NULL, *e;
    uint64_t until = pwt_now_ms() + 15000;

    cr_assert_eq(pwt_client_send_xml(fx.alice, "<iq type='set' id='alice-pending' to='watcher.opa.example'>"
                 "<enquiry xmlns='urn:peerwatch:0' address='+12025550123' kind='current'/></iq>"), PW_OK);
    while (!req && pwt_now_ms() < until) {
        fx.pending = &fx.right;
        req = raw_wait(fx.pending, needles, 100);
        if (!req && fx.right2.c) {
            fx.pending = &fx.right2;
            req = raw_wait(fx.pending, needles, 100);
        }
    }
    cr_assert_not_null(req, "A's proxy sent alice's enquiry to B's gateway (a raw component)");
    e = xmpp_stanza_get_child_by_name(req, "enquiry");
    snprintf(fx.pending_id, sizeof fx.pending_id, "%s", xmpp_stanza_get_id(req));
    snprintf(fx.pending_ref, sizeof fx.pending_ref, "%s", e ? xmpp_stanza_get_attribute(e, "ref") : "");
    /* +12025550123@gateway.opb.example (protocol 1): the real answer comes from there */
    snprintf(fx.pending_to, sizeof fx.pending_to, "%s", xmpp_stanza_get_to(req));
    xmpp_stanza_release(req);
}

/* B's gateway (raw) answers the enquiry in flight; alice must get exactly that answer, not
 * a forged one. */
static int end_pending(void)
{
    xmpp_stanza_t *r;
    char text[512];
    pw_error_t cond;

    cr_assert_eq(pwt_rawcomp_send(fx.pending->c, "iq", "error", fx.pending_id, fx.pending_to, "proxy.opa.example",
                 "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                 "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the real answer"
                 "</text></error>"), PW_OK);
    r = pwt_client_wait(fx.alice, pwt_match_id, "alice-pending", ANSWER_MS);
    cr_assert_not_null(r, "alice's enquiry is answered");
    cond = strcmp(xmpp_stanza_get_type(r), "error") == 0 ? pw_stanza_error_parse(r, text, sizeof text)
                                                          : PW_ERR_NONE;
    xmpp_stanza_release(r);
    printf("%s alice's enquiry in flight got the real answer (item-not-found), not a forged one: %s\n",
           cond == PW_ERR_ITEM_NOT_FOUND ? "PASS" : "FAIL", pw_error_name(cond));
    return cond == PW_ERR_ITEM_NOT_FOUND;
}

static size_t run_phase(phase_t ph, size_t *ran)
{
    size_t failed = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (rows[i].phase != ph)
            continue;
        (*ran)++;
        if (!run_row(&rows[i]))
            failed++;
    }
    return failed;
}

/* Whether the process runs (not a zombie). */
static int alive(int pid)
{
    char path[64], buf[512];
    FILE *f;
    char *close_paren;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    buf[0] = '\0';
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

/* The client asks for its roster: its resource becomes "interested" (RFC 6121 §2.1.6). */
static void interested(pwt_client_t *c)
{
    xmpp_stanza_t *r = pwt_client_iq(c, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>", 5000);
    cr_assert_not_null(r, "%s's roster", pwt_client_jid(c));
    xmpp_stanza_release(r);
}

/* ================================================================ the test */

Test(hostile_senders, every_stanza_from_every_wrong_sender_is_refused)
{
    static const char *const components[] = { "opa-hss", "opa-ps1", "opa-gateway", "opa-proxy",
                                              "opa-watcher", "opb-hss", "opb-ps1", "opb-ps2",
                                              "opb-gateway", "opb-gateway2", "opb-proxy", "opb-watcher" };
    pwt_trial_opts_t o = { .log_level = "info", .third_operator = 1 };
    subs_pair_t pair;
    size_t failed = 0, ran = 0;
    uint64_t t0 = pwt_now_ms(), t_matrix;
    xmpp_stanza_t *m;

    generate();
    printf("hostile senders: %zu rows (%zu stanzas x %d sender classes, less their rightful senders, "
           "+ %zu payload variants)\n", nrows, N_STANZAS, SENDER_CLASSES, N_VARIANTS);
    cr_assert_eq(pwt_trial_start(&fx.trial, &o), PW_OK, "the trial comes up with a third operator");
    printf("hostile senders: trial up in %llu ms\n", (unsigned long long)(pwt_now_ms() - t0));

    /* alice holds a subscription on bob, and its first notification (seq 1) was delivered */
    subs_pair_start(&pair, fx.trial, "address='+12025550123' kind='changes' duration='3600'");
    fx.alice = pair.alice;
    fx.bob = pair.bob;
    fx.ctx = pwt_client_ctx(fx.alice);
    snprintf(fx.sub, sizeof fx.sub, "%s", pair.sub);
    m = subs_next_change(fx.alice, fx.bob, "dnd", 15000, "bob's change to dnd (seq 1)");
    xmpp_stanza_release(m);
    /* the other senders */
    cr_assert_eq(pwt_trial_login(fx.trial, "carol", &fx.carol), PW_OK);
    cr_assert_eq(pwt_trial_login(fx.trial, "erin", &fx.erin), PW_OK);
    cr_assert_eq(pwt_trial_login(fx.trial, "mallory", &fx.mallory), PW_OK);
    /* a refused subscription's 'unsubscribed' reaches the resources that are available and
     * have asked for the roster ("interested", RFC 6121 §2.1.6): bob and mallory send some */
    interested(fx.bob);
    interested(fx.mallory);
    cr_assert_eq(pwt_client_presence(fx.mallory, NULL, NULL, 0), PW_OK);
    raw_open(&fx.third_proxy, PWT_OPC, "proxy.opc.example");
    raw_open(&fx.third_gateway, PWT_OPC, "gateway.opc.example");
    raw_open(&fx.rogue[PWT_OPA], PWT_OPA, "rogue.opa.example");
    raw_open(&fx.rogue[PWT_OPB], PWT_OPB, "rogue.opb.example");
    drain(fx.alice);
    drain(fx.bob);
    drain(fx.mallory);
    t_matrix = pwt_now_ms();

    /* both gateways raw: first a forged answer to a request in flight, then the notifications */
    swap_in(&fx.right, "opb-gateway", PWT_OPB, "gateway.opb.example");
    swap_in(&fx.right_a, "opa-gateway", PWT_OPA, "gateway.opa.example");
    if (pwt_trial_component(fx.trial, "opb-gateway2")) /* B on a cluster: its second instance */
        swap_in(&fx.right2, "opb-gateway2", PWT_OPB, "gateway2.opb.example");
    start_pending();
    fx.digest = fx.digest0 = charging_digest();
    failed += run_phase(PH_PENDING, &ran);
    if (!end_pending())
        failed++;
    /* alice's enquiry in flight is recorded as sent once it ended, maybe just after her answer:
     * that record, then, is the baseline of what follows */
    for (uint64_t until = pwt_now_ms() + 3000; charging_digest() == fx.digest && pwt_now_ms() < until;)
        pwt_sleep_ms(50);
    printf("hostile senders: the charging directories before the matrix:\n");
    fx.digest = fx.digest0 = charging_digest_list(stdout);
    failed += run_phase(PH_RAW_GATEWAYS, &ran);
    swap_out(&fx.right, "opb-gateway");
    swap_out(&fx.right_a, "opa-gateway");
    if (fx.right2.c)
        swap_out(&fx.right2, "opb-gateway2");
    /* every component real */
    failed += run_phase(PH_REAL, &ran);
    /* A's proxy raw: enquiries to B's gateway */
    swap_in(&fx.right, "opa-proxy", PWT_OPA, "proxy.opa.example");
    failed += run_phase(PH_RAW_PROXY, &ran);
    swap_out(&fx.right, "opa-proxy");

    /* at the end: late deliveries, charges, and every component still running */
    {
        char why[1200];
        pwt_client_run(fx.alice, 2000);
        pwt_client_run(fx.bob, 500);
        if (victims_saw(why, sizeof why)) {
            printf("FAIL at the end: %s\n", why);
            failed++;
        }
    }
    if (charging_digest() != fx.digest0) {
        printf("FAIL at the end: the charging directories changed during the matrix; now:\n");
        charging_digest_list(stdout);
        failed++;
    }
    for (size_t i = 0; i < sizeof components / sizeof components[0]; i++) {
        pwt_component_t *c = pwt_trial_component(fx.trial, components[i]);
        if (c && !alive(pwt_component_pid(c))) {
            printf("FAIL at the end: %s is not running\n", components[i]);
            failed++;
        }
    }
    printf("hostile senders: %zu of %zu rows run, %zu failed; matrix %llu ms, whole test %llu ms\n", ran,
           nrows, failed, (unsigned long long)(pwt_now_ms() - t_matrix),
           (unsigned long long)(pwt_now_ms() - t0));
    fflush(stdout);
    cr_assert_eq(ran, nrows, "every row ran");
    cr_assert_eq(failed, 0, "%zu failures (the FAIL lines above)", failed);
}
