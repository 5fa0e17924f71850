/* transport_strophe.c: XEP-0114 (Jabber Component Protocol) connection over libstrophe,
 * driven by pw_loop, with reconnect on exponential backoff and jitter. */
#include "xmpp/pw_transport.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/pw_log.h"

#define TICK_MS 250 /* libstrophe's own timers (connect, disconnect) need a periodic call */

typedef struct strophe_transport {
    pw_transport_t base;
    pw_loop_t *loop;
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;     /* the current connection attempt, or NULL */
    xmpp_conn_t *retired;  /* a finished connection, released from the loop, not its handler */
    int fd;                /* the current connection's socket, -1 when none */
    char *jid, *secret, *server;
    unsigned short port;
    uint64_t connect_timeout_ms, reconnect_min_ms, reconnect_max_ms;
    unsigned attempt;      /* failed attempts since the last handshake */
    uint64_t attempt_started; /* loop time the current attempt began */
    unsigned connections;  /* completed handshakes */
    int running;           /* start() called and stop() not */
    int up;
    pw_timer_t reconnect;
    pw_timer_t tick;
    uint64_t rng;
} strophe_transport_t;

/* libstrophe's sockopt callback carries no user data; the fd of the socket just created is
 * handed over through this slot, which is set and read within one synchronous call. */
static int *socket_capture_slot;

/* The sockopt callback of every real connection: hand the fd over, and turn Nagle's algorithm
 * off. Stanzas are small and wanted at once; with Nagle, a stanza written while an earlier
 * one is unacknowledged waits for the server's delayed ACK (up to 40 ms on Linux). */
static int prepare_socket(xmpp_conn_t *conn, void *sock)
{
    int fd = *(int *)sock, on = 1;
    (void)conn;
    if (socket_capture_slot)
        *socket_capture_slot = fd;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
        pw_debug(NULL, "TCP_NODELAY on the server connection: %s", strerror(errno));
    return 0;
}

static int refuse_socket(xmpp_conn_t *conn, void *sock)
{
    (void)conn;
    (void)sock;
    return -1;
}

static void connect_handler_ignore(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                                   xmpp_stream_error_t *stream_error, void *userdata)
{
    (void)conn; (void)event; (void)error; (void)stream_error; (void)userdata;
}

/*
 * libstrophe 0.12.2 (and upstream at the time of writing): xmpp_connect_component() never
 * allocates conn->sm_state, yet the receive and disconnect paths dereference it, so a
 * component crashes on the server's <handshake/>. xmpp_connect_client() does allocate it.
 * Work-around: make one xmpp_connect_client() call on the fresh connection whose sockopt
 * callback fails, so it aborts before any traffic (no byte is sent, the socket is closed)
 * but leaves the stream-management state allocated; then connect as a component.
 * tests/unit/test_transport.c checks the state is allocated without any traffic, and
 * tests/integration/test_component_link.c runs a component through a real handshake.
 */
void pw_transport_strophe_prepare(xmpp_conn_t *conn, const char *server, unsigned short port)
{
    xmpp_conn_set_jid(conn, "sm-state-workaround@localhost");
    xmpp_conn_set_sockopt_callback(conn, refuse_socket);
    (void)xmpp_connect_client(conn, server, port, connect_handler_ignore, NULL);
    xmpp_conn_set_sockopt_callback(conn, prepare_socket);
}


/* Append n bytes of src to out (size cap) at *o, cut at cap - 1. */
static void redact_put(char *out, size_t cap, size_t *o, const char *src, size_t n)
{
    if (n > cap - 1 - *o)
        n = cap - 1 - *o;
    memcpy(out + *o, src, n);
    *o += n;
}

void pw_transport_strophe_redact(const char *line, const char *secret, char *out, size_t cap)
{
    static const char open_tag[] = "<handshake", close_tag[] = "</handshake", hidden[] = "[hidden]";
    static const char digest[] = "Digest: "; /* libstrophe's auth line before it sends the handshake */
    size_t o = 0, slen = secret ? strlen(secret) : 0;
    const char *p = line ? line : "";

    if (!out || cap == 0)
        return;
    while (*p && o < cap - 1) {
        if (strncmp(p, open_tag, sizeof open_tag - 1) == 0 &&
            (p[sizeof open_tag - 1] == '>' || p[sizeof open_tag - 1] == ' ' ||
             p[sizeof open_tag - 1] == '/')) {
            const char *gt = strchr(p, '>'), *end;
            if (!gt || gt[-1] == '/') { /* cut short, or <handshake/>: nothing inside */
                size_t n = gt ? (size_t)(gt + 1 - p) : strlen(p);
                redact_put(out, cap, &o, p, n);
                p += n;
                continue;
            }
            redact_put(out, cap, &o, p, (size_t)(gt + 1 - p));
            end = strstr(gt + 1, close_tag);
            if (end != gt + 1)
                redact_put(out, cap, &o, hidden, sizeof hidden - 1);
            p = end ? end : gt + 1 + strlen(gt + 1);
            if (end)
                redact_put(out, cap, &o, p++, 1); /* '<' of the end tag, so it is not taken again */
            continue;
        }
        if (strncmp(p, digest, sizeof digest - 1) == 0) {
            redact_put(out, cap, &o, p, sizeof digest - 1);
            p += sizeof digest - 1;
            if (strspn(p, "0123456789abcdefABCDEF") > 0)
                redact_put(out, cap, &o, hidden, sizeof hidden - 1);
            p += strspn(p, "0123456789abcdefABCDEF");
            continue;
        }
        if (slen && strncmp(p, secret, slen) == 0) {
            redact_put(out, cap, &o, hidden, sizeof hidden - 1);
            p += slen;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

/* xmpp_log_handler: libstrophe's line, its secrets hidden, as one debug line of ours. */
static void strophe_log(void *userdata, xmpp_log_level_t level, const char *area, const char *msg)
{
    char line[2048];

    (void)level; /* the context has this logger only at log_level = debug */
    pw_transport_strophe_redact(msg, userdata, line, sizeof line);
    pw_debug(NULL, "libstrophe %s: %s", area ? area : "", line);
}

void pw_transport_strophe_logger(xmpp_log_t *log, const char *secret)
{
    log->handler = strophe_log;
    log->userdata = (void *)(uintptr_t)secret; /* only read */
}

static uint64_t next_random(strophe_transport_t *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return t->rng;
}

static void watch_socket(strophe_transport_t *t);
static void drop_connection(strophe_transport_t *t);
static void schedule_reconnect(strophe_transport_t *t);

static void on_socket(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    strophe_transport_t *t = arg;
    (void)loop;
    (void)fd;
    (void)events;
    xmpp_run_once(t->ctx, 0);
}

/* After every loop iteration: flush what handlers queued, and keep the poll interest right. */
static void after_iteration(pw_loop_t *loop, void *arg)
{
    strophe_transport_t *t = arg;
    (void)loop;
    if (t->conn && xmpp_conn_send_queue_len(t->conn) > 0)
        xmpp_run_once(t->ctx, 0);
    if (t->retired) {
        xmpp_conn_release(t->retired);
        t->retired = NULL;
    }
    watch_socket(t);
}

static void watch_socket(strophe_transport_t *t)
{
    unsigned events = PW_IO_READ;
    if (t->fd < 0 || !t->conn)
        return;
    if (xmpp_conn_is_connecting(t->conn) || xmpp_conn_send_queue_len(t->conn) > 0)
        events |= PW_IO_WRITE;
    pw_loop_io_set(t->loop, t->fd, events, on_socket, t);
}

static void on_tick(pw_timer_t *timer, void *arg)
{
    strophe_transport_t *t = arg;
    xmpp_run_once(t->ctx, 0);
    if (t->conn && !t->up &&
        pw_loop_now(t->loop) - t->attempt_started > t->connect_timeout_ms) {
        pw_warn(NULL, "%s: no handshake with %s:%u within %llu ms", t->jid, t->server, t->port,
                (unsigned long long)t->connect_timeout_ms);
        drop_connection(t);
        if (t->running)
            schedule_reconnect(t);
    }
    pw_timer_start(t->loop, timer, TICK_MS);
}

static void schedule_reconnect(strophe_transport_t *t)
{
    uint64_t delay = t->reconnect_min_ms;
    for (unsigned i = 0; i < t->attempt && delay < t->reconnect_max_ms; i++)
        delay *= 2;
    if (delay > t->reconnect_max_ms)
        delay = t->reconnect_max_ms;
    /* "equal jitter": half fixed, half random, so a fleet restarted together spreads out */
    delay = delay / 2 + next_random(t) % (delay / 2 + 1);
    t->attempt++;
    pw_info(NULL, "%s: reconnecting to %s:%u in %llu ms (attempt %u)", t->jid, t->server,
            t->port, (unsigned long long)delay, t->attempt);
    pw_timer_start(t->loop, &t->reconnect, delay);
}

static void drop_connection(strophe_transport_t *t)
{
    if (t->fd >= 0)
        pw_loop_io_clear(t->loop, t->fd);
    t->fd = -1;
    if (t->conn) {
        if (t->retired)
            xmpp_conn_release(t->retired);
        t->retired = t->conn;
        t->conn = NULL;
    }
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
    strophe_transport_t *t = userdata;
    (void)conn;
    pw_component_deliver(t->base.component, stanza);
    return 1;
}

static void on_connection_event(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                                xmpp_stream_error_t *stream_error, void *userdata)
{
    strophe_transport_t *t = userdata;
    if (conn != t->conn)
        return;
    if (event == XMPP_CONN_CONNECT) {
        t->up = 1;
        t->attempt = 0;
        t->connections++;
        xmpp_handler_add(conn, on_stanza, NULL, NULL, NULL, t);
        pw_component_transport_up(t->base.component);
        return;
    }
    if (event == XMPP_CONN_RAW_CONNECT)
        return;
    if (stream_error)
        pw_warn(NULL, "%s: stream error from the server (%d)%s%s", t->jid, (int)stream_error->type,
                stream_error->text ? ": " : "", stream_error->text ? stream_error->text : "");
    else if (!t->up)
        pw_warn(NULL, "%s: could not connect to %s:%u (error %d)", t->jid, t->server, t->port, error);
    if (t->up) {
        t->up = 0;
        pw_component_transport_down(t->base.component);
    }
    drop_connection(t);
    if (t->running)
        schedule_reconnect(t);
}

static void connect_now(strophe_transport_t *t)
{
    int fd = -1;
    int rc;
    xmpp_conn_t *conn = xmpp_conn_new(t->ctx);

    if (!conn) {
        pw_error(NULL, "%s: out of memory creating a connection", t->jid);
        schedule_reconnect(t);
        return;
    }
    pw_transport_strophe_prepare(conn, t->server, t->port);
    xmpp_conn_set_jid(conn, t->jid);
    xmpp_conn_set_pass(conn, t->secret);
    t->conn = conn;
    t->attempt_started = pw_loop_now(t->loop);
    socket_capture_slot = &fd;
    rc = xmpp_connect_component(conn, t->server, t->port, on_connection_event, t);
    socket_capture_slot = NULL;
    if (rc != XMPP_EOK || fd < 0) {
        pw_warn(NULL, "%s: cannot start connecting to %s:%u", t->jid, t->server, t->port);
        drop_connection(t);
        schedule_reconnect(t);
        return;
    }
    t->fd = fd;
    watch_socket(t);
}

static void on_reconnect(pw_timer_t *timer, void *arg)
{
    strophe_transport_t *t = arg;
    (void)timer;
    if (t->running && !t->conn)
        connect_now(t);
}

static pw_status_t strophe_start(pw_transport_t *base)
{
    strophe_transport_t *t = (strophe_transport_t *)base;
    if (t->running)
        return PW_OK;
    t->running = 1;
    pw_timer_start(t->loop, &t->tick, TICK_MS);
    connect_now(t);
    return PW_OK;
}

static pw_status_t strophe_send(pw_transport_t *base, xmpp_stanza_t *stanza)
{
    strophe_transport_t *t = (strophe_transport_t *)base;
    if (!t->up || !t->conn)
        return PW_ECLOSED;
    xmpp_send(t->conn, stanza);
    pw_loop_wakeup(t->loop);
    return PW_OK;
}

static pw_status_t strophe_send_raw(pw_transport_t *base, const char *text, size_t len)
{
    strophe_transport_t *t = (strophe_transport_t *)base;
    if (!t->up || !t->conn)
        return PW_ECLOSED;
    xmpp_send_raw(t->conn, text, len);
    pw_loop_wakeup(t->loop);
    return PW_OK;
}

static void strophe_stop(pw_transport_t *base)
{
    strophe_transport_t *t = (strophe_transport_t *)base;
    t->running = 0;
    pw_timer_stop(t->loop, &t->reconnect);
    if (t->conn && (t->up || xmpp_conn_is_connecting(t->conn)))
        xmpp_disconnect(t->conn); /* the DISCONNECT event arrives through the loop */
    else
        drop_connection(t);
}

static void strophe_destroy(pw_transport_t *base)
{
    strophe_transport_t *t = (strophe_transport_t *)base;
    if (!t)
        return;
    t->running = 0;
    pw_timer_stop(t->loop, &t->reconnect);
    pw_timer_stop(t->loop, &t->tick);
    pw_loop_hook_remove(t->loop, after_iteration, t);
    if (t->fd >= 0)
        pw_loop_io_clear(t->loop, t->fd);
    if (t->conn) {
        xmpp_conn_t *conn = t->conn;
        t->conn = NULL; /* events fired by the release below are ignored */
        xmpp_conn_release(conn);
    }
    if (t->retired)
        xmpp_conn_release(t->retired);
    free(t->jid);
    free(t->secret);
    free(t->server);
    free(t);
}

static const pw_transport_ops_t strophe_ops = {
    strophe_start, strophe_send, strophe_stop, strophe_destroy, strophe_send_raw,
};

pw_status_t pw_transport_strophe_create(pw_transport_t **out, pw_loop_t *loop, xmpp_ctx_t *ctx,
                                        const pw_transport_opts_t *opts)
{
    pw_status_t rc = PW_OK;
    strophe_transport_t *t = NULL;

    *out = NULL;
    if (!opts || !opts->jid || !opts->secret || !opts->server || !opts->port) {
        rc = PW_EINVAL;
        goto done;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        rc = PW_ENOMEM;
        goto done;
    }
    t->base.ops = &strophe_ops;
    t->loop = loop;
    t->ctx = ctx;
    t->fd = -1;
    t->jid = strdup(opts->jid);
    t->secret = strdup(opts->secret);
    t->server = strdup(opts->server);
    t->port = opts->port;
    t->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 10000;
    t->reconnect_min_ms = opts->reconnect_min_ms ? opts->reconnect_min_ms : 500;
    t->reconnect_max_ms = opts->reconnect_max_ms ? opts->reconnect_max_ms : 30000;
    if (t->reconnect_max_ms < t->reconnect_min_ms)
        t->reconnect_max_ms = t->reconnect_min_ms;
    t->rng = (pw_loop_now(loop) << 1) ^ (uint64_t)(uintptr_t)t ^ 0x9E3779B97F4A7C15ull;
    if (!t->rng)
        t->rng = 1;
    pw_timer_init(&t->reconnect, on_reconnect, t);
    pw_timer_init(&t->tick, on_tick, t);
    if (!t->jid || !t->secret || !t->server) {
        rc = PW_ENOMEM;
        goto done;
    }
    rc = pw_loop_hook_add(loop, after_iteration, t);
done:
    if (rc != PW_OK) {
        if (t) {
            free(t->jid);
            free(t->secret);
            free(t->server);
            free(t);
        }
        return rc;
    }
    *out = &t->base;
    return PW_OK;
}

unsigned pw_transport_strophe_connections(const pw_transport_t *t)
{
    return ((const strophe_transport_t *)t)->connections;
}
