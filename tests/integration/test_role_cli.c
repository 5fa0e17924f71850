/* test_role_cli.c: every role's command line as an operator meets it: the example configs check
 * valid, the mistakes people make get a message that says what to do and the documented exit
 * status (1 configuration error naming file, line and key; 2 usage error). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pwt_util.h"

/* Each role's program (under the build tree) and an example config of conf/ it must accept. */
static const struct role_case {
    const char *program;
    const char *example;
} roles[] = {
    { "components/watcher_application/peerwatch-watcher", "conf/watcher-opa.conf" },
    { "components/watcher_presence_proxy/peerwatch-proxy", "conf/proxy-opa.conf" },
    { "gateway/peerwatch-gateway", "conf/gateway-opb.conf" },
    { "components/presence_server/peerwatch-presence", "conf/presence-ps1-opb.conf" },
    { "hss/peerwatch-hss", "conf/hss-opa.conf" },
};
#define NROLES (sizeof roles / sizeof roles[0])

/* Runs "cd PWT_TREE && BUILDDIR/PROGRAM ARGS" (the example configs name their keys relative to
 * the top of the tree; PWT_TREE holds conf/ with the secrets and keys at mode 0640, which the
 * programs require: git keeps them 0644), its stdout and stderr into out; returns its exit status. */
static int run_role(const struct role_case *r, char *out, size_t cap, const char *args_fmt, ...)
{
    char args[2 * PWT_PATH_MAX], cmd[4 * PWT_PATH_MAX];
    size_t n = 0;
    va_list ap;
    FILE *p;
    int status;

    va_start(ap, args_fmt);
    vsnprintf(args, sizeof args, args_fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/%s' %s 2>&1", PWT_TREE, pwt_builddir(), r->program,
             args);
    p = popen(cmd, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    status = pclose(p);
    cr_assert(WIFEXITED(status), "%s exited (status %d)", r->program, status);
    return WEXITSTATUS(status);
}

/* Writes the example config of r with extra lines appended into DIR/NAME (mode 0600: it holds
 * the secret); returns the path. */
static const char *example_plus(const struct role_case *r, const char *dir, const char *extra,
                                char *path, size_t cap)
{
    char src[PWT_PATH_MAX], cmd[4 * PWT_PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", PWT_TREE, r->example);
    snprintf(path, cap, "%s/%s", dir, strrchr(r->example, '/') + 1);
    snprintf(cmd, sizeof cmd, "cat '%s' > '%s' && printf '%%s' '%s' >> '%s' && chmod 0600 '%s'", src, path,
             extra, path, path);
    cr_assert_eq(system(cmd), 0, "%s written", path);
    return path;
}

/* The line number in "PATH:LINE: ..." of a message; 0 when the message names no line. */
static unsigned line_in_message(const char *out, const char *path)
{
    const char *at = strstr(out, path);
    unsigned line = 0;
    if (at && at[strlen(path)] == ':')
        sscanf(at + strlen(path) + 1, "%u", &line);
    return line;
}

/* The 1-based line of a file that starts with prefix (the last line of the file when prefix is
 * NULL); 0 when there is none. */
static unsigned line_of(const char *path, const char *prefix)
{
    char line[4096];
    unsigned n = 0, found = 0;
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    while (fgets(line, sizeof line, f)) {
        n++;
        if (!prefix || (!found && strncmp(line, prefix, strlen(prefix)) == 0))
            found = n;
    }
    fclose(f);
    return found;
}

Test(role_cli, the_example_configs_check_valid)
{
    char out[8192];
    for (size_t i = 0; i < NROLES; i++) {
        int rc = run_role(&roles[i], out, sizeof out, "--check-config -c %s", roles[i].example);
        cr_expect_eq(rc, 0, "%s accepts %s: %s", roles[i].program, roles[i].example, out);
        cr_expect_not_null(strstr(out, "is valid"), "%s says the config is valid: %s", roles[i].program, out);
    }
}

Test(role_cli, no_config_is_a_usage_error_saying_use_c)
{
    char out[8192];
    for (size_t i = 0; i < NROLES; i++) {
        cr_expect_eq(run_role(&roles[i], out, sizeof out, ""), 2, "%s: exit 2", roles[i].program);
        cr_expect_not_null(strstr(out, "no configuration file given (use -c FILE)"), "%s", out);
    }
}

Test(role_cli, a_config_file_without_c_is_a_usage_error_saying_use_c)
{
    char out[8192];
    for (size_t i = 0; i < NROLES; i++) {
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "%s", roles[i].example), 2, "%s: exit 2",
                     roles[i].program);
        cr_expect_not_null(strstr(out, "(a configuration file is given as -c FILE)"), "%s", out);
        cr_expect_not_null(strstr(out, "Usage: "), "the usage follows: %s", out);
    }
}

Test(role_cli, an_unknown_option_is_a_usage_error)
{
    char out[8192];
    for (size_t i = 0; i < NROLES; i++) {
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--frobnicate"), 2, "%s: exit 2", roles[i].program);
        cr_expect_not_null(strstr(out, "unknown option '--frobnicate'"), "%s", out);
        cr_expect_not_null(strstr(out, "Usage: "), "the usage follows: %s", out);
    }
}

Test(role_cli, a_missing_config_file_is_a_configuration_error)
{
    char out[8192];
    for (size_t i = 0; i < NROLES; i++) {
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "-c /nonexistent/peerwatch.conf"), 1,
                     "%s: exit 1", roles[i].program);
        cr_expect_not_null(strstr(out, "configuration error: /nonexistent/peerwatch.conf: cannot open"),
                           "%s", out);
    }
}

Test(role_cli, an_unknown_key_names_file_line_and_key)
{
    char *dir = pwt_tmpdir("rolecli");
    char path[PWT_PATH_MAX], out[8192], want[PWT_PATH_MAX + 64];
    cr_assert_not_null(dir);
    for (size_t i = 0; i < NROLES; i++) {
        example_plus(&roles[i], dir, "\n[component]\nsecert = typo\n", path, sizeof path);
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--check-config -c '%s'", path), 1,
                     "%s: exit 1", roles[i].program);
        snprintf(want, sizeof want, "%s:", path);
        cr_expect_not_null(strstr(out, want), "the message names the file: %s", out);
        cr_expect_not_null(strstr(out, "[component] secert: unknown key"), "%s", out);
        cr_expect_eq(line_in_message(out, path), line_of(path, NULL),
                     "the message names the last line, where the typo is: %s", out);
    }
    pwt_rmtree(dir);
    free(dir);
}

/* A check that runs after loading (the proxy's signing key, read when the settings are checked)
 * names the line of its key too. */
Test(role_cli, a_check_after_loading_names_the_line_of_its_key)
{
    char *dir = pwt_tmpdir("rolecli");
    char path[PWT_PATH_MAX], out[8192], cmd[4 * PWT_PATH_MAX];
    const struct role_case *proxy = &roles[1];
    cr_assert_not_null(dir);
    snprintf(path, sizeof path, "%s/proxy.conf", dir);
    snprintf(cmd, sizeof cmd,
             "sed 's|^signing_key = .*|signing_key = conf/keys/nothere.key|' '%s/%s' > '%s' && chmod 0600 '%s'",
             PWT_TREE, proxy->example, path, path);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run_role(proxy, out, sizeof out, "--check-config -c '%s'", path), 1, "exit 1: %s", out);
    cr_expect_not_null(strstr(out, "[proxy] signing_key: conf/keys/nothere.key: cannot open"), "%s", out);
    cr_expect_gt(line_in_message(out, path), 0, "the message names the line: %s", out);
    cr_expect_eq(line_in_message(out, path), line_of(path, "signing_key ="),
                 "the line is signing_key's: %s", out);
    pwt_rmtree(dir);
    free(dir);
}

/* A file holding the secret, or a private key, that other users can read: every role refuses
 * to start (exit 1), naming the file, the line, the key, the mode and the chmod (docs/config.md,
 * "Secrets"), as ssh refuses such keys. */
Test(role_cli, a_secret_or_a_key_others_can_read_is_refused)
{
    char *dir = pwt_tmpdir("rolecli");
    char path[PWT_PATH_MAX], key[PWT_PATH_MAX], out[8192], want[4 * PWT_PATH_MAX], cmd[8 * PWT_PATH_MAX];
    const struct role_case *proxy = &roles[1];
    cr_assert_not_null(dir);
    for (size_t i = 0; i < NROLES; i++) {
        example_plus(&roles[i], dir, "", path, sizeof path);
        cr_assert_eq(chmod(path, 0644), 0);
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--check-config -c '%s'", path), 1, "%s: exit 1: %s",
                     roles[i].program, out);
        snprintf(want, sizeof want, "%s:%u: [component] secret: the file is mode 0644: other users can read the "
                 "component secret; run chmod o-rwx %s (refused as ssh refuses such keys)", path,
                 line_of(path, "secret ="), path);
        cr_expect_not_null(strstr(out, want), "%s names file, line, key, mode and fix: %s", roles[i].program, out);
        cr_expect_null(strstr(out, "change-me"), "the secret itself is not shown: %s", out);
    }
    /* the proxy's key, at 0640 as installed and then 0604 */
    snprintf(key, sizeof key, "%s/opa.key", dir);
    snprintf(path, sizeof path, "%s/proxy.conf", dir);
    snprintf(cmd, sizeof cmd, "cp '%s/conf/keys/opa.example.key' '%s' && chmod 0640 '%s' && "
             "sed 's|^signing_key = .*|signing_key = %s|' '%s/%s' > '%s' && chmod 0600 '%s'",
             PWT_TREE, key, key, key, PWT_TREE, proxy->example, path, path);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run_role(proxy, out, sizeof out, "--check-config -c '%s'", path), 0, "0640 is fine: %s", out);
    cr_assert_eq(chmod(key, 0604), 0);
    cr_expect_eq(run_role(proxy, out, sizeof out, "--check-config -c '%s'", path), 1, "exit 1: %s", out);
    snprintf(want, sizeof want, "%s:%u: [proxy] signing_key: %s: the file is mode 0604: other users can read the "
             "private key; run chmod o-rwx %s (refused as ssh refuses such keys)", path,
             line_of(path, "signing_key ="), key, key);
    cr_expect_not_null(strstr(out, want), "%s", out);
    pwt_rmtree(dir);
    free(dir);
}

/* The presence server's list of gateway instances: an item that is no bare JID is named with
 * its line. */
Test(role_cli, a_gateway_that_is_no_bare_jid_names_its_line)
{
    char *dir = pwt_tmpdir("rolecli");
    char path[PWT_PATH_MAX], out[8192], cmd[4 * PWT_PATH_MAX];
    const struct role_case *ps = &roles[3];
    cr_assert_not_null(dir);
    cr_assert_str_eq(ps->example, "conf/presence-ps1-opb.conf");
    snprintf(path, sizeof path, "%s/presence.conf", dir);
    snprintf(cmd, sizeof cmd,
             "sed 's|^gateway = .*|gateway = gateway.opb.example, gateway2.opb.example/node2|' '%s/%s' > '%s' && "
             "chmod 0600 '%s'",
             PWT_TREE, ps->example, path, path);
    cr_assert_eq(system(cmd), 0);
    cr_expect_eq(run_role(ps, out, sizeof out, "--check-config -c '%s'", path), 1, "exit 1: %s", out);
    cr_expect_not_null(strstr(out, "[presence] gateway: 'gateway2.opb.example/node2' is not a bare JID"),
                       "%s", out);
    cr_expect_eq(line_in_message(out, path), line_of(path, "gateway ="), "the line is gateway's: %s", out);
    pwt_rmtree(dir);
    free(dir);
}

Test(role_cli, help_config_its_man_form_and_version_exit_0)
{
    char out[65536];
    for (size_t i = 0; i < NROLES; i++) {
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--help-config"), 0, "%s", roles[i].program);
        cr_expect_not_null(strstr(out, "[component]"), "the reference lists [component]: %.300s", out);
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--help-config=man"), 0, "%s", roles[i].program);
        cr_expect_not_null(strstr(out, "\n.SS [operator]\n.TP\n\\fBdomain\\fR = \\fIdomain\\fR\n"),
                           "the roff reference starts with the operator file: %.300s", out);
        cr_expect_not_null(strstr(out, "\n.SS [component]\n"), "then the role's own file: %.300s", out);
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--help-config=html"), 2, "%s", roles[i].program);
        cr_expect_not_null(strstr(out, "--help-config=html: the forms are text and man"), "%.300s", out);
        cr_expect_eq(run_role(&roles[i], out, sizeof out, "--version"), 0, "%s", roles[i].program);
        cr_expect_not_null(strstr(out, strrchr(roles[i].program, '/') + 1), "%s", out);
    }
}
