/* test_role_notify.c: what a daemon tells systemd (Type=notify, $NOTIFY_SOCKET) before it is online: a SIGHUP reload sends STATUS lines only, never READY=1; SIGTERM sends STOPPING=1. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pwt_proc.h"
#include "pwt_util.h"

#define WAIT_MS 5000

static char *dir;
static int sock = -1;
static pwt_proc_t *hss;

static void cleanup(void)
{
    pwt_proc_stop(hss, 2000);
    pwt_proc_destroy(hss);
    hss = NULL;
    if (sock >= 0)
        close(sock);
    sock = -1;
    unsetenv("NOTIFY_SOCKET");
    pwt_rmtree(dir);
    free(dir);
    dir = NULL;
}

TestSuite(role_notify, .fini = cleanup);

/* An abstract datagram socket named in $NOTIFY_SOCKET, which the started program inherits. */
static void listen_for_notifications(void)
{
    char name[64];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = (size_t)snprintf(name, sizeof name, "@pw-role-notify-%d", (int)getpid());

    memcpy(sa.sun_path, name, len);
    sa.sun_path[0] = '\0';
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(sock, 0);
    cr_assert_eq(bind(sock, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
    cr_assert_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
}

/* The next notification within WAIT_MS into buf; fails the test when none comes. */
static const char *next_notification(char *buf, size_t cap)
{
    uint64_t until = pwt_now_ms() + WAIT_MS;
    ssize_t n;

    while ((n = recv(sock, buf, cap - 1, MSG_DONTWAIT)) < 0 && pwt_now_ms() < until)
        pwt_sleep_ms(20);
    cr_assert_gt(n, 0, "a notification arrived");
    buf[n] = '\0';
    return buf;
}

/* An HSS configured for a component port where no server listens: it never gets online. */
static void start_hss_without_server(void)
{
    char conf[PWT_PATH_MAX], subs[PWT_PATH_MAX], log[PWT_PATH_MAX], prog[PWT_PATH_MAX];
    FILE *f;

    dir = pwt_tmpdir("role-notify");
    cr_assert_not_null(dir);
    cr_assert_eq(pwt_path_join(subs, dir, "hss.subscribers"), PW_OK);
    cr_assert_eq(pwt_path_join(conf, dir, "hss.conf"), PW_OK);
    cr_assert_eq(pwt_path_join(log, dir, "hss.log"), PW_OK);
    f = fopen(subs, "w");
    cr_assert_not_null(f);
    fprintf(f, "+447700900001 alice@opa.example ps1.opa.example active prepaid 100\n");
    cr_assert_eq(pwt_file_close(f, subs), PW_OK);
    f = pwt_file_create(conf); /* 0600: it holds the secret */
    cr_assert_not_null(f);
    fprintf(f, "[component]\njid = hss.opa.example\nsecret = s\nserver = 127.0.0.1\nport = %d\n"
               "reconnect_min = 100ms\nreconnect_max = 1s\n[hss]\nsubscribers = %s\nallow = watcher.opa.example\n",
            pwt_port_pick("127.0.0.1"), subs);
    cr_assert_eq(pwt_file_close(f, conf), PW_OK);
    snprintf(prog, sizeof prog, "%s/hss/peerwatch-hss", pwt_builddir());
    char *const argv[] = { prog, "-c", conf, NULL };
    cr_assert_eq(pwt_proc_start(&hss, "hss", argv, NULL, log), PW_OK);
}

Test(role_notify, a_reload_before_the_first_handshake_sends_no_ready)
{
    char buf[512];
    int status = -1;

    listen_for_notifications();
    start_hss_without_server();
    /* the first connection attempt fails: the STATUS says so, and nothing says READY=1 */
    pwt_sleep_ms(300);
    cr_assert_eq(pwt_proc_signal(hss, SIGHUP), PW_OK);
    for (;;) {
        next_notification(buf, sizeof buf);
        cr_assert_null(strstr(buf, "READY=1"), "not online, yet told ready: %s", buf);
        cr_assert_null(strstr(buf, "RELOADING=1"), "a reload the manager would wait on: %s", buf);
        if (strcmp(buf, "STATUS=connecting (the log says whether the reload took)") == 0)
            break;
    }
    cr_assert_eq(pwt_proc_signal(hss, SIGTERM), PW_OK);
    while (strcmp(next_notification(buf, sizeof buf), "STOPPING=1\nSTATUS=stopping") != 0)
        cr_assert_null(strstr(buf, "READY=1"), "%s", buf);
    cr_assert_eq(pwt_proc_wait(hss, WAIT_MS, &status), PW_OK);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a clean stop (status %d)", status);
}
