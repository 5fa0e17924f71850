/* test_metrics_http.c: the metrics endpoint, real libmicrohttpd on 127.0.0.1 (port 0) driven by a
 * real pw_loop: GET /metrics, 404, 405, and the loopback rule. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/pw_loop.h"
#include "core/pw_metrics.h"
#include "core/pw_metrics_http.h"

static pw_loop_t *loop;
static pw_metrics_t *metrics;
static pw_metrics_http_t *http;

static void setup(void)
{
    char why[256];
    cr_assert_eq(pw_loop_create(&loop), PW_OK);
    cr_assert_eq(pw_metrics_create(&metrics, "peerwatch-test"), PW_OK);
    pw_counter_add(pw_metrics_counter(metrics, "t_requests_total", "requests", NULL), 5);
    cr_assert_eq(pw_metrics_http_create(&http, loop, metrics, "127.0.0.1", 0, 0, why, sizeof why),
                 PW_OK, "%s", why);
    cr_assert_neq(pw_metrics_http_port(http), 0, "port 0 picks a free one");
}

static void teardown(void)
{
    pw_metrics_http_destroy(http);
    pw_metrics_destroy(metrics);
    pw_loop_destroy(loop);
}

TestSuite(metrics_http, .init = setup, .fini = teardown);

/* Send one HTTP/1.0 request and run the loop until the server closes: the whole response. */
static void exchange(const char *request, char *response, size_t cap)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)pw_metrics_http_port(http)) };
    size_t len = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), done = 0;

    cr_assert_geq(fd, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
    for (int i = 0; i < 400 && !done; i++) {
        ssize_t n;
        pw_loop_run_once(loop, 10);
        n = recv(fd, response + len, cap - 1 - len, MSG_DONTWAIT);
        if (n > 0)
            len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            done = 1;
        cr_assert_lt(len, cap - 1, "the response fits");
    }
    close(fd);
    response[len] = '\0';
    cr_assert(done, "the server answered and closed: %s", response);
}

Test(metrics_http, get_metrics_answers_the_exposition)
{
    char response[8192], *body;
    exchange("GET /metrics HTTP/1.0\r\n\r\n", response, sizeof response);
    cr_assert_eq(strncmp(response, "HTTP/1.0 200", 12) == 0 || strncmp(response, "HTTP/1.1 200", 12) == 0, 1,
                 "%s", response);
    cr_assert_not_null(strcasestr(response, "Content-Type: text/plain; version=0.0.4"), "%s", response);
    body = strstr(response, "\r\n\r\n");
    cr_assert_not_null(body);
    body += 4;
    cr_assert_eq(strncmp(body, "# HELP peerwatch_up ", 20), 0, "%s", body);
    cr_assert_not_null(strstr(body, "\n# TYPE t_requests_total counter\nt_requests_total 5\n"), "%s", body);
    exchange("GET /metrics HTTP/1.0\r\n\r\n", response, sizeof response);
    cr_assert_not_null(strstr(response, "t_requests_total 5\n"), "a second scrape");
}

Test(metrics_http, head_answers_without_a_body)
{
    char response[4096], *body;
    exchange("HEAD /metrics HTTP/1.0\r\n\r\n", response, sizeof response);
    cr_assert_not_null(strstr(response, " 200 "), "%s", response);
    body = strstr(response, "\r\n\r\n");
    cr_assert_not_null(body);
    cr_assert_str_eq(body + 4, "", "no body");
}

Test(metrics_http, other_paths_are_not_found)
{
    char response[4096];
    exchange("GET / HTTP/1.0\r\n\r\n", response, sizeof response);
    cr_assert_not_null(strstr(response, " 404 "), "%s", response);
    exchange("GET /metrics/x HTTP/1.0\r\n\r\n", response, sizeof response);
    cr_assert_not_null(strstr(response, " 404 "), "%s", response);
}

Test(metrics_http, other_methods_are_not_allowed)
{
    char response[4096];
    exchange("POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", response, sizeof response);
    cr_assert_not_null(strstr(response, " 405 "), "%s", response);
    cr_assert_not_null(strcasestr(response, "Allow: GET, HEAD"), "%s", response);
    exchange("DELETE /metrics HTTP/1.0\r\n\r\n", response, sizeof response);
    cr_assert_not_null(strstr(response, " 405 "), "%s", response);
}

Test(metrics_http, only_loopback_without_allow_remote)
{
    pw_metrics_http_t *other = NULL;
    char why[256] = "";
    cr_assert_eq(pw_metrics_http_create(&other, loop, metrics, "0.0.0.0", 0, 0, why, sizeof why), PW_EDENIED);
    cr_assert_null(other);
    cr_assert_not_null(strstr(why, "0.0.0.0"), "the reason names the address: %s", why);
    cr_assert_eq(pw_metrics_http_create(&other, loop, metrics, "192.0.2.1", 9464, 0, why, sizeof why), PW_EDENIED);
    cr_assert_eq(pw_metrics_http_create(&other, loop, metrics, "0.0.0.0", 0, 1, why, sizeof why), PW_OK,
                 "allowed with allow_remote: %s", why);
    pw_metrics_http_destroy(other);
    pw_metrics_http_destroy(NULL);
    cr_assert_eq(pw_metrics_http_port(NULL), 0);
}

Test(metrics_http, a_port_in_use_is_a_readable_failure)
{
    pw_metrics_http_t *other = NULL;
    char why[256] = "";
    cr_assert_eq(pw_metrics_http_create(&other, loop, metrics, "127.0.0.1", pw_metrics_http_port(http), 0,
                                        why, sizeof why), PW_EIO);
    cr_assert_null(other);
    cr_assert_not_null(strstr(why, "in use"), "%s", why);
}

Test(metrics_http, listen_addresses)
{
    char host[PW_METRICS_HOST_MAX];
    unsigned port = 1;
    cr_assert_eq(pw_metrics_http_parse_listen("127.0.0.1:9464", host, &port), PW_OK);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 9464);
    cr_assert_eq(pw_metrics_http_parse_listen("[::1]:80", host, &port), PW_OK);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 80);
    cr_assert_eq(pw_metrics_http_parse_listen("localhost:0", host, &port), PW_OK);
    cr_assert_eq(pw_metrics_http_parse_listen("::1:80", host, &port), PW_EINVAL, "IPv6 needs brackets");
    cr_assert_eq(pw_metrics_http_parse_listen("127.0.0.1", host, &port), PW_EINVAL);
    cr_assert_eq(pw_metrics_http_parse_listen("127.0.0.1:", host, &port), PW_EINVAL);
    cr_assert_eq(pw_metrics_http_parse_listen("127.0.0.1:65536", host, &port), PW_EINVAL);
    cr_assert_eq(pw_metrics_http_parse_listen("127.0.0.1:9x", host, &port), PW_EINVAL);
    cr_assert_eq(pw_metrics_http_parse_listen("example.org:80", host, &port), PW_EINVAL, "an address, not a name");
    cr_assert_eq(pw_metrics_http_parse_listen("[127.0.0.1]:80", host, &port), PW_EINVAL);
    cr_assert(pw_metrics_http_is_loopback("127.0.0.2"));
    cr_assert(pw_metrics_http_is_loopback("::1"));
    cr_assert(pw_metrics_http_is_loopback("localhost"));
    cr_assert_not(pw_metrics_http_is_loopback("0.0.0.0"));
    cr_assert_not(pw_metrics_http_is_loopback("::"));
    cr_assert_not(pw_metrics_http_is_loopback("10.0.0.1"));
}
