/* test_sdnotify.c: the service manager notification (libsystemd's sd_notify()): one datagram per
 * call to $NOTIFY_SOCKET (a path or an abstract "@name"), nothing without it, a bad value refused. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/pw_sdnotify.h"

static char dir[64];
static int fd = -1;

static void cleanup(void)
{
    char path[128];
    if (fd >= 0)
        close(fd);
    fd = -1;
    unsetenv("NOTIFY_SOCKET");
    if (dir[0]) {
        snprintf(path, sizeof path, "%s/notify", dir);
        unlink(path);
        rmdir(dir);
        dir[0] = '\0';
    }
}

TestSuite(sdnotify, .fini = cleanup);

/* A datagram socket bound to name (a path, or "@x" abstract), named in $NOTIFY_SOCKET. */
static void listen_on(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(name);
    memcpy(sa.sun_path, name, len);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
    cr_assert_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
}

static const char *received(char *buf, size_t cap)
{
    ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
    cr_assert_gt(n, 0, "a datagram arrived");
    buf[n] = '\0';
    return buf;
}

Test(sdnotify, each_call_sends_its_assignments_to_the_socket)
{
    char path[128], buf[256];
    snprintf(dir, sizeof dir, "/tmp/pw-sdnotify-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/notify", dir);
    listen_on(path);
    cr_assert_eq(pw_sdnotify("READY=1\nSTATUS=online as watcher.opa.example"), PW_OK);
    cr_assert_eq(pw_sdnotify("STOPPING=1"), PW_OK);
    cr_assert_str_eq(received(buf, sizeof buf), "READY=1\nSTATUS=online as watcher.opa.example");
    cr_assert_str_eq(received(buf, sizeof buf), "STOPPING=1", "one datagram per call");
}

Test(sdnotify, an_abstract_socket_name_works_too)
{
    char name[64], buf[64];
    snprintf(name, sizeof name, "@pw-sdnotify-test-%d", (int)getpid());
    listen_on(name);
    cr_assert_eq(pw_sdnotify("RELOADING=1"), PW_OK);
    cr_assert_str_eq(received(buf, sizeof buf), "RELOADING=1");
}

Test(sdnotify, without_a_service_manager_nothing_is_sent_and_a_bad_value_is_refused)
{
    char name[64], buf[16];
    snprintf(name, sizeof name, "@pw-sdnotify-unset-%d", (int)getpid());
    listen_on(name);
    unsetenv("NOTIFY_SOCKET");
    cr_assert_eq(pw_sdnotify("READY=1"), PW_OK, "not started by systemd: nothing to tell");
    cr_assert_lt(recv(fd, buf, sizeof buf, MSG_DONTWAIT), 0, "no datagram without $NOTIFY_SOCKET");
    setenv("NOTIFY_SOCKET", name, 1);
    cr_assert_eq(pw_sdnotify(NULL), PW_EINVAL, "no state");
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    cr_assert_eq(pw_sdnotify("READY=1"), PW_EINVAL);
    setenv("NOTIFY_SOCKET", "/nonexistent/pw-sdnotify", 1);
    cr_assert_eq(pw_sdnotify("READY=1"), PW_EIO, "nobody listening");
}
