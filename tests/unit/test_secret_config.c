/* test_secret_config.c: a configuration file holding a `secret =` line is refused when other users can read it or the group can change it (0644, 0604, 0664), accepted at 0600 and 0640; the error names the file, the line, the key, the mode and the chmod that mends it. Files without a secret may be read by anyone. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pw_config.h"
#include "pwt_util.h"

typedef struct t_role {
    pw_config_common_t common;
} t_role_t;

static const pw_config_option_t t_opts[] = { PW_CONFIG_ROLE_OPTIONS(t_role_t, common, "watcher") };
#define T_NOPTS (sizeof t_opts / sizeof t_opts[0])

static char *dir;
static t_role_t S;
static char etext[1024];

static void setup(void)
{
    dir = pwt_tmpdir("secconf");
    cr_assert_not_null(dir);
    memset(&S, 0, sizeof S);
}

static void teardown(void)
{
    pw_config_free(t_opts, T_NOPTS, &S);
    pwt_rmtree(dir);
    free(dir);
}

TestSuite(secret_config, .init = setup, .fini = teardown);

/* Write dir/name at mode; @return its path (static buffer of slot 0 or 1). */
static const char *put(int slot, const char *name, const char *text, mode_t mode)
{
    static char path[2][256];
    FILE *f;

    snprintf(path[slot], sizeof path[slot], "%s/%s", dir, name);
    f = fopen(path[slot], "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path[slot], mode), 0);
    return path[slot];
}

static pw_status_t load(const char *path)
{
    pw_config_error_t e;
    pw_status_t st = pw_config_load(path, t_opts, T_NOPTS, NULL, 0, &S, &e);

    pw_config_error_text(&e, etext, sizeof etext);
    pw_config_free(t_opts, T_NOPTS, &S);
    return st;
}

/* line 4 holds the secret */
#define OPERATOR "# the operator\n[operator]\ndomain = opa.example\nsecret = s3cret\n"

Test(secret_config, an_operator_file_others_can_reach_is_refused)
{
    static const struct { mode_t mode; const char *says; } cases[] = {
        { 0644, "the file is mode 0644: other users can read the component secret; run chmod o-rwx " },
        { 0604, "the file is mode 0604: other users can read the component secret; run chmod o-rwx " },
        { 0664, "the file is mode 0664: other users can read the component secret; run chmod g-w,o-rwx " },
        { 0660, "the file is mode 0660: the group can change the component secret; run chmod g-w " },
        { 0602, "the file is mode 0602: other users can change the component secret; run chmod o-rwx " },
    };
    char want[1400];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *op = put(0, "operator.conf", OPERATOR, cases[i].mode);
        const char *role = put(1, "watcher.conf", "include = operator.conf\n[log]\nlevel = info\n", 0644);
        cr_expect_eq(load(role), PW_ECONFIG, "mode %04o accepted", (unsigned)cases[i].mode);
        snprintf(want, sizeof want, "%s:4: [operator] secret: %s%s (refused as ssh refuses such keys)", op,
                 cases[i].says, op);
        cr_expect_str_eq(etext, want, "mode %04o", (unsigned)cases[i].mode);
    }
}

Test(secret_config, a_role_file_with_its_own_secret_is_refused_too)
{
    const char *role = put(0, "proxy.conf", "[component]\njid = proxy.opa.example\n\nsecret = xyz\n", 0644);
    char want[1400];

    cr_assert_eq(load(role), PW_ECONFIG);
    snprintf(want, sizeof want, "%s:4: [component] secret: the file is mode 0644: other users can read the "
             "component secret; run chmod o-rwx %s (refused as ssh refuses such keys)", role, role);
    cr_expect_str_eq(etext, want);
    cr_expect_null(strstr(etext, "xyz"), "the message does not show the secret: %s", etext);
}

Test(secret_config, accepted_at_0600_and_0640)
{
    static const mode_t modes[] = { 0600, 0640, 0400 };

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        put(0, "operator.conf", OPERATOR, modes[i]);
        cr_expect_eq(load(put(1, "watcher.conf", "include = operator.conf\n", 0644)), PW_OK,
                     "mode %04o: %s", (unsigned)modes[i], etext);
    }
}

Test(secret_config, a_file_without_a_secret_may_be_read_by_anyone)
{
    put(0, "operator.conf", OPERATOR, 0640);
    cr_expect_eq(load(put(1, "watcher.conf", "include = operator.conf\n[component]\nport = 6000\n", 0644)), PW_OK,
                 "%s", etext);
}

Test(secret_config, the_operator_file_alone_is_checked_the_same)
{
    pw_config_operator_t op;
    pw_config_error_t e;

    put(0, "operator.conf", OPERATOR, 0644);
    cr_assert_eq(pw_config_operator_load(put(1, "watcher.conf", "include = operator.conf\n", 0644), &op, &e),
                 PW_ECONFIG);
    pw_config_error_text(&e, etext, sizeof etext);
    cr_expect_not_null(strstr(etext, "operator.conf:4: [operator] secret: the file is mode 0644"), "%s", etext);
    put(0, "operator.conf", OPERATOR, 0640);
    cr_assert_eq(pw_config_operator_load(put(1, "watcher.conf", "include = operator.conf\n", 0644), &op, &e),
                 PW_OK);
    pw_config_operator_free(&op);
}
