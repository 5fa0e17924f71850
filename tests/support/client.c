/* client.c: a single-threaded XMPP test client on libstrophe: log in, send raw stanzas, wait for matches. */
#include "pwt_client.h"

#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_log.h"
#include "pwt_util.h"

#define FIELD_MAX 1024u
#define XML_MAX (64u * 1024u)
#define QUEUE_MAX 4096u
#define SLICE_MS 10u
#define CLOSE_TIMEOUT_MS 1000u

/* Connection state as told by libstrophe's connection handler. */
typedef enum client_state {
    CLIENT_CONNECTING,
    CLIENT_ONLINE,
    CLIENT_CLOSED
} client_state_t;

struct pwt_client {
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    client_state_t state;
    int initialized;               /* xmpp_initialize() was called: pair it with xmpp_shutdown() */
    char jid[FIELD_MAX + 1];       /* bound full JID */
    xmpp_stanza_t *queue[QUEUE_MAX]; /* ring of received stanzas, oldest at head */
    unsigned head;
    unsigned count;
    unsigned dropped;
    unsigned long next_id;
};

/* libstrophe connection handler: track the state. */
static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                    xmpp_stream_error_t *stream_error, void *userdata)
{
    pwt_client_t *c = userdata;
    (void)error;
    (void)stream_error;
    if (event == XMPP_CONN_CONNECT) {
        const char *bound = xmpp_conn_get_bound_jid(conn);
        snprintf(c->jid, sizeof c->jid, "%s", bound ? bound : "");
        c->state = CLIENT_ONLINE;
    } else if (event == XMPP_CONN_DISCONNECT || event == XMPP_CONN_FAIL) {
        c->state = CLIENT_CLOSED;
    }
}

/* libstrophe stanza handler for every stanza: keep a reference in the queue. */
static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
    pwt_client_t *c = userdata;
    (void)conn;
    if (c->count == QUEUE_MAX) {
        /* Full: forget the oldest, a test that lets 4096 stanzas pile up reads none of them. */
        xmpp_stanza_release(c->queue[c->head]);
        c->head = (c->head + 1) % QUEUE_MAX;
        c->count--;
        if (c->dropped++ == 0)
            pw_warn(NULL, "pwt: client %s: receive queue full, dropping old stanzas", c->jid);
    }
    c->queue[(c->head + c->count) % QUEUE_MAX] = xmpp_stanza_clone(stanza);
    c->count++;
    return 1; /* keep the handler */
}

/* Take the first queued stanza match accepts out of the queue; NULL if none. */
static xmpp_stanza_t *take_match(pwt_client_t *c, pwt_match_fn match, void *arg)
{
    for (unsigned i = 0; i < c->count; i++) {
        unsigned at = (c->head + i) % QUEUE_MAX;
        xmpp_stanza_t *st = c->queue[at];
        if (match && !match(st, arg))
            continue;
        /* Close the gap: shift the later entries one slot towards the head. */
        for (unsigned j = i; j + 1 < c->count; j++)
            c->queue[(c->head + j) % QUEUE_MAX] = c->queue[(c->head + j + 1) % QUEUE_MAX];
        c->count--;
        return st;
    }
    return NULL;
}

/* Run libstrophe until the state leaves `from` or the time is up. */
static void run_while(pwt_client_t *c, client_state_t from, unsigned timeout_ms)
{
    uint64_t deadline = pwt_now_ms() + timeout_ms;
    while (c->state == from && pwt_now_ms() < deadline)
        xmpp_run_once(c->ctx, SLICE_MS);
}

/* The cafile of connect_client() that trusts any certificate (pwt_client_connect_tls()). */
static const char TRUST_ANY[] = "";

/* pwt_client_connect() and pwt_client_connect_tls(): cafile NULL is plain text, TRUST_ANY is
 * TLS without verification. */
static pw_status_t connect_client(pwt_client_t **out, const char *jid, const char *password,
                                  const char *host, int port, const char *cafile,
                                  unsigned timeout_ms)
{
    pw_status_t st = PW_EINVAL;
    pwt_client_t *c = NULL;
    xmpp_log_t *log = NULL;

    if (!out || !jid || !password || !host || !*jid || strlen(jid) > FIELD_MAX ||
        strlen(password) > FIELD_MAX || strlen(host) > FIELD_MAX || port <= 0 || port > 65535 ||
        (cafile && cafile != TRUST_ANY && (!*cafile || strlen(cafile) > FIELD_MAX)))
        goto done;
    /* a client outlives its server (a test stops or restarts it): a write to the dropped
     * connection must fail with EPIPE, not end the test process with SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    *out = NULL;
    st = PW_ENOMEM;
    c = calloc(1, sizeof *c);
    if (!c)
        goto done;
    xmpp_initialize();
    c->initialized = 1;
    if (getenv("PWT_CLIENT_DEBUG"))
        log = xmpp_get_default_logger(XMPP_LEVEL_DEBUG);
    c->ctx = xmpp_ctx_new(NULL, log);
    if (!c->ctx)
        goto done;
    c->conn = xmpp_conn_new(c->ctx);
    if (!c->conn)
        goto done;
    if (cafile == TRUST_ANY) {
        /* STARTTLS, any certificate: an impostor's own client in a negative test */
        xmpp_conn_set_flags(c->conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS |
                                         XMPP_CONN_FLAG_DISABLE_SM);
    } else if (cafile) {
        /* STARTTLS or nothing; libstrophe checks the chain against cafile (and the system
         * CAs, none of which signs a trial domain) and the name against the JID's domain,
         * and fails the connection when either is wrong. */
        xmpp_conn_set_flags(c->conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM);
        xmpp_conn_set_cafile(c->conn, cafile);
    } else {
        /* Plain text on loopback: the test servers have no certificates. */
        xmpp_conn_set_flags(c->conn, XMPP_CONN_FLAG_DISABLE_TLS | XMPP_CONN_FLAG_DISABLE_SM);
    }
    xmpp_conn_set_jid(c->conn, jid);
    xmpp_conn_set_pass(c->conn, password);
    xmpp_handler_add(c->conn, on_stanza, NULL, NULL, NULL, c);
    c->state = CLIENT_CONNECTING;
    st = PW_EIO;
    if (xmpp_connect_client(c->conn, host, (unsigned short)port, on_conn, c) != XMPP_EOK) {
        pw_error(NULL, "pwt: client %s: cannot connect to %s:%d", jid, host, port);
        goto done;
    }
    run_while(c, CLIENT_CONNECTING, timeout_ms);
    if (c->state == CLIENT_CONNECTING) {
        pw_error(NULL, "pwt: client %s: no session within %u ms", jid, timeout_ms);
        st = PW_ETIMEOUT;
        goto done;
    }
    if (c->state != CLIENT_ONLINE) {
        pw_error(NULL, "pwt: client %s: login to %s:%d refused or stream closed", jid, host,
                 port);
        st = PW_EDENIED;
        goto done;
    }
    *out = c;
    c = NULL;
    st = PW_OK;
done:
    pwt_client_destroy(c);
    return st;
}

pw_status_t pwt_client_connect(pwt_client_t **out, const char *jid, const char *password,
                               const char *host, int port, unsigned timeout_ms)
{
    return connect_client(out, jid, password, host, port, NULL, timeout_ms);
}

pw_status_t pwt_client_connect_tls(pwt_client_t **out, const char *jid, const char *password,
                                   const char *host, int port, const char *cafile,
                                   unsigned timeout_ms)
{
    return connect_client(out, jid, password, host, port, cafile ? cafile : TRUST_ANY, timeout_ms);
}

pw_status_t pwt_client_send_xml(pwt_client_t *c, const char *xml)
{
    size_t len;
    if (!c || !xml)
        return PW_EINVAL;
    len = strlen(xml);
    if (len == 0 || len > XML_MAX)
        return PW_ERANGE;
    if (c->state != CLIENT_ONLINE)
        return PW_ECLOSED;
    xmpp_send_raw(c->conn, xml, len);
    xmpp_run_once(c->ctx, 0); /* push it out now */
    return PW_OK;
}

/* Add <name>text</name> to parent. */
static pw_status_t add_text_child(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                                  const char *text)
{
    pw_status_t st = PW_ENOMEM;
    xmpp_stanza_t *child = xmpp_stanza_new(ctx);
    xmpp_stanza_t *body = xmpp_stanza_new(ctx);
    if (!child || !body)
        goto done;
    if (xmpp_stanza_set_name(child, name) != XMPP_EOK || xmpp_stanza_set_text(body, text) != XMPP_EOK ||
        xmpp_stanza_add_child(child, body) != XMPP_EOK || xmpp_stanza_add_child(parent, child) != XMPP_EOK)
        goto done;
    st = PW_OK;
done:
    if (child)
        xmpp_stanza_release(child);
    if (body)
        xmpp_stanza_release(body);
    return st;
}

pw_status_t pwt_client_presence(pwt_client_t *c, const char *show, const char *status,
                                int priority)
{
    pw_status_t st = PW_EINVAL;
    xmpp_stanza_t *pres = NULL;
    char prio[8];

    if (!c || priority < -128 || priority > 127)
        goto done;
    if (show && strcmp(show, "away") != 0 && strcmp(show, "chat") != 0 &&
        strcmp(show, "dnd") != 0 && strcmp(show, "xa") != 0)
        goto done;
    if (status && strlen(status) > FIELD_MAX)
        goto done;
    st = PW_ECLOSED;
    if (c->state != CLIENT_ONLINE)
        goto done;
    st = PW_ENOMEM;
    pres = xmpp_presence_new(c->ctx);
    if (!pres)
        goto done;
    if (show && (st = add_text_child(c->ctx, pres, "show", show)) != PW_OK)
        goto done;
    if (status && (st = add_text_child(c->ctx, pres, "status", status)) != PW_OK)
        goto done;
    snprintf(prio, sizeof prio, "%d", priority);
    if ((st = add_text_child(c->ctx, pres, "priority", prio)) != PW_OK)
        goto done;
    xmpp_send(c->conn, pres);
    xmpp_run_once(c->ctx, 0);
    st = PW_OK;
done:
    if (pres)
        xmpp_stanza_release(pres);
    return st;
}

xmpp_stanza_t *pwt_client_wait(pwt_client_t *c, pwt_match_fn match, void *arg,
                               unsigned timeout_ms)
{
    uint64_t deadline;
    xmpp_stanza_t *found;

    if (!c)
        return NULL;
    deadline = pwt_now_ms() + timeout_ms;
    for (;;) {
        found = take_match(c, match, arg);
        if (found || c->state != CLIENT_ONLINE || pwt_now_ms() >= deadline)
            return found;
        xmpp_run_once(c->ctx, SLICE_MS);
    }
}

/* pwt_match_fn for an IQ reply: name iq, the id in arg, type result or error. */
static int match_iq_reply(xmpp_stanza_t *stanza, void *arg)
{
    const char *name = xmpp_stanza_get_name(stanza);
    const char *id = xmpp_stanza_get_id(stanza);
    const char *type = xmpp_stanza_get_type(stanza);
    return name && strcmp(name, "iq") == 0 && id && strcmp(id, (const char *)arg) == 0 &&
           type && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

xmpp_stanza_t *pwt_client_iq(pwt_client_t *c, const char *xml, unsigned timeout_ms)
{
    xmpp_stanza_t *iq = NULL;
    xmpp_stanza_t *reply = NULL;
    char id[64];
    const char *have;

    if (!c || !xml || strlen(xml) > XML_MAX || c->state != CLIENT_ONLINE)
        goto done;
    iq = xmpp_stanza_new_from_string(c->ctx, xml);
    if (!iq || !xmpp_stanza_get_name(iq) || strcmp(xmpp_stanza_get_name(iq), "iq") != 0) {
        pw_error(NULL, "pwt: client %s: not one <iq/> stanza: %.200s", c->jid, xml);
        goto done;
    }
    have = xmpp_stanza_get_id(iq);
    if (have && *have && strlen(have) < sizeof id) {
        snprintf(id, sizeof id, "%s", have);
    } else {
        snprintf(id, sizeof id, "pwt-iq-%lu", ++c->next_id);
        if (xmpp_stanza_set_id(iq, id) != XMPP_EOK)
            goto done;
    }
    xmpp_send(c->conn, iq);
    reply = pwt_client_wait(c, match_iq_reply, id, timeout_ms);
done:
    if (iq)
        xmpp_stanza_release(iq);
    return reply;
}

xmpp_stanza_t *pwt_client_iqf(pwt_client_t *c, unsigned timeout_ms, const char *fmt, ...)
{
    char *xml = malloc(XML_MAX + 1);
    xmpp_stanza_t *reply = NULL;
    va_list ap;
    int len;

    if (!xml)
        return NULL;
    va_start(ap, fmt);
    len = vsnprintf(xml, XML_MAX + 1, fmt, ap);
    va_end(ap);
    if (len >= 0 && (unsigned)len <= XML_MAX)
        reply = pwt_client_iq(c, xml, timeout_ms);
    free(xml);
    return reply;
}

void pwt_client_poll(pwt_client_t *c)
{
    if (c && c->state != CLIENT_CLOSED)
        xmpp_run_once(c->ctx, 0);
}

void pwt_client_run(pwt_client_t *c, unsigned ms)
{
    uint64_t deadline;
    if (!c)
        return;
    deadline = pwt_now_ms() + ms;
    while (pwt_now_ms() < deadline && c->state != CLIENT_CLOSED)
        xmpp_run_once(c->ctx, SLICE_MS);
}

const char *pwt_client_jid(const pwt_client_t *c)
{
    return c ? c->jid : "";
}

int pwt_client_connected(const pwt_client_t *c)
{
    return c && c->state == CLIENT_ONLINE;
}

xmpp_ctx_t *pwt_client_ctx(const pwt_client_t *c)
{
    return c ? c->ctx : NULL;
}

unsigned pwt_client_queued(const pwt_client_t *c)
{
    return c ? c->count : 0;
}

void pwt_client_destroy(pwt_client_t *c)
{
    if (!c)
        return;
    if (c->conn && c->state == CLIENT_ONLINE) {
        xmpp_disconnect(c->conn);
        run_while(c, CLIENT_ONLINE, CLOSE_TIMEOUT_MS);
    }
    while (c->count > 0) {
        xmpp_stanza_release(c->queue[c->head]);
        c->head = (c->head + 1) % QUEUE_MAX;
        c->count--;
    }
    if (c->conn)
        xmpp_conn_release(c->conn);
    if (c->ctx)
        xmpp_ctx_free(c->ctx);
    if (c->initialized)
        xmpp_shutdown();
    free(c);
}

int pwt_match_any(xmpp_stanza_t *stanza, void *arg)
{
    (void)stanza;
    (void)arg;
    return 1;
}

int pwt_match_name(xmpp_stanza_t *stanza, void *arg)
{
    const char *name = xmpp_stanza_get_name(stanza);
    return name && arg && strcmp(name, (const char *)arg) == 0;
}

int pwt_match_id(xmpp_stanza_t *stanza, void *arg)
{
    const char *id = xmpp_stanza_get_id(stanza);
    return id && arg && strcmp(id, (const char *)arg) == 0;
}
