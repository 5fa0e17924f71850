/* metrics_http.c: GET /metrics over HTTP/1.1 with libmicrohttpd, driven by the pw_loop: MHD's
 * epoll fd is one readable fd on the loop, MHD_get_timeout() arms one loop timer. */
#include "config.h"

#include "core/pw_metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pw_log.h"

/* libmicrohttpd 0.9.71 made the handlers' return type an enum */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_result_t;
#else
typedef int mhd_result_t;
#endif

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define CONNECTION_LIMIT 16
#define CONNECTION_TIMEOUT_S 10

struct pw_metrics_http {
    pw_loop_t *loop;
    pw_metrics_t *metrics;
    struct MHD_Daemon *daemon;
    int epoll_fd; /* -1 until registered on the loop */
    pw_timer_t timer;
    unsigned port;
};

/* ---- listen addresses ---- */

pw_status_t pw_metrics_http_parse_listen(const char *text, char host[PW_METRICS_HOST_MAX],
                                         unsigned *port)
{
    const char *colon, *h = text, *end;
    size_t hlen;
    unsigned long p = 0;
    unsigned char addr[sizeof(struct in6_addr)];

    if (!text || !host || !port)
        return PW_EINVAL;
    if (*text == '[') {
        end = strchr(text, ']');
        if (!end || end[1] != ':')
            return PW_EINVAL;
        h = text + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || memchr(text, ':', (size_t)(colon - text)))
            return PW_EINVAL; /* an IPv6 literal needs its brackets */
        hlen = (size_t)(colon - text);
    }
    if (hlen == 0 || hlen >= PW_METRICS_HOST_MAX || !colon[1] || strlen(colon + 1) > 5)
        return PW_EINVAL;
    for (const char *d = colon + 1; *d; d++) {
        if (*d < '0' || *d > '9')
            return PW_EINVAL;
        p = p * 10 + (unsigned long)(*d - '0');
    }
    if (p > 65535)
        return PW_EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (*text == '[' ? inet_pton(AF_INET6, host, addr) != 1
                     : strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, addr) != 1)
        return PW_EINVAL;
    *port = (unsigned)p;
    return PW_OK;
}

int pw_metrics_http_is_loopback(const char *host)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (!host)
        return 0;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6) ||
               (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
    return 0;
}

/* Bind and listen on host:port; the socket, or -1 with a reason in why. */
static int open_listener(const char *host, unsigned port, char *why, size_t whycap)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int fd = -1, one = 1;

    memset(&ss, 0, sizeof ss);
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sslen = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sslen = sizeof(struct sockaddr_in6);
    } else {
        snprintf(why, whycap, "not an IP address");
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 16) != 0) {
        snprintf(why, whycap, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* ---- answering ---- */

static mhd_result_t answer(struct MHD_Connection *conn, unsigned code, char *body, size_t len,
                           int owned)
{
    struct MHD_Response *resp;
    mhd_result_t ret;

    resp = MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            code == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain; charset=utf-8");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static mhd_result_t on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    pw_metrics_http_t *h = cls;
    static char not_found[] = "not found: the metrics are at /metrics\n";
    static char not_allowed[] = "only GET is served here\n";
    char *text = NULL;
    size_t len = 0;

    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, strlen(not_allowed), 0);
    if (strcmp(url, "/metrics") != 0)
        return answer(conn, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found), 0);
    if (pw_metrics_render(h->metrics, &text, &len) != PW_OK)
        return MHD_NO; /* closes the connection */
    return answer(conn, MHD_HTTP_OK, text, len, 1);
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    pw_logv(PW_LOG_WARN, "metrics-http", fmt, ap);
}

/* ---- driving MHD from the loop ---- */

static void on_timer(pw_timer_t *timer, void *arg);

/* Let MHD do its work, then arm the timer for its next deadline. */
static void run_daemon(pw_metrics_http_t *h)
{
    MHD_UNSIGNED_LONG_LONG timeout_ms;

    MHD_run(h->daemon);
    pw_timer_stop(h->loop, &h->timer);
    if (MHD_get_timeout(h->daemon, &timeout_ms) == MHD_YES)
        pw_timer_start(h->loop, &h->timer, (uint64_t)timeout_ms);
}

static void on_timer(pw_timer_t *timer, void *arg)
{
    (void)timer;
    run_daemon(arg);
}

static void on_readable(pw_loop_t *loop, int fd, unsigned events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    run_daemon(arg);
}

pw_status_t pw_metrics_http_create(pw_metrics_http_t **out, pw_loop_t *loop,
                                   pw_metrics_t *metrics, const char *host, unsigned port,
                                   int allow_remote, char *why, size_t whycap)
{
    pw_status_t rc = PW_OK;
    pw_metrics_http_t *h = NULL;
    const union MHD_DaemonInfo *info;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    char dummy[1];
    int fd = -1;

    if (!why || !whycap) {
        why = dummy;
        whycap = sizeof dummy;
    }
    *why = '\0';
    if (out)
        *out = NULL;
    if (!out || !loop || !metrics || !host || port > 65535) {
        snprintf(why, whycap, "invalid arguments");
        rc = PW_EINVAL;
        goto done;
    }
    if (!allow_remote && !pw_metrics_http_is_loopback(host)) {
        snprintf(why, whycap, "%s is not a loopback address (set [metrics] allow_remote = yes to serve it)",
                 host);
        rc = PW_EDENIED;
        goto done;
    }
    h = calloc(1, sizeof *h);
    if (!h) {
        rc = PW_ENOMEM;
        goto done;
    }
    h->loop = loop;
    h->metrics = metrics;
    h->epoll_fd = -1;
    pw_timer_init(&h->timer, on_timer, h);
    fd = open_listener(host, port, why, whycap);
    if (fd < 0) {
        rc = strcmp(why, "not an IP address") == 0 ? PW_EINVAL : PW_EIO;
        goto done;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    h->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                 MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(why, whycap, "libmicrohttpd did not start");
        rc = PW_EIO;
        goto done;
    }
    fd = -1; /* the daemon's now: MHD_stop_daemon() closes it */
    info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info) {
        snprintf(why, whycap, "libmicrohttpd has no epoll fd");
        rc = PW_EIO;
        goto done;
    }
    rc = pw_loop_io_set(loop, info->epoll_fd, PW_IO_READ, on_readable, h);
    if (rc != PW_OK)
        goto done;
    h->epoll_fd = info->epoll_fd;
    run_daemon(h);
done:
    if (fd >= 0)
        close(fd);
    if (rc != PW_OK) {
        pw_metrics_http_destroy(h);
        return rc;
    }
    *out = h;
    return PW_OK;
}

void pw_metrics_http_destroy(pw_metrics_http_t *h)
{
    if (!h)
        return;
    pw_timer_stop(h->loop, &h->timer);
    if (h->epoll_fd >= 0)
        pw_loop_io_clear(h->loop, h->epoll_fd);
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    free(h);
}

unsigned pw_metrics_http_port(const pw_metrics_http_t *h)
{
    return h ? h->port : 0;
}
