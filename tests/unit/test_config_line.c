/* test_config_line.c: pw_config_line_of() finds the line that sets a key, so that the checks
 * running after a load can name it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/pw_config.h"
#include "pwt_util.h"

static char path[PWT_PATH_MAX];
static char *dir;

static void write_config(void)
{
    FILE *f;
    dir = pwt_tmpdir("cfgline");
    cr_assert_not_null(dir);
    snprintf(path, sizeof path, "%s/x.conf", dir);
    f = pwt_file_create(path);
    cr_assert_not_null(f);
    fputs("; a comment: key = 1\n"         /* 1 */
          "[component]\n"                  /* 2 */
          "jid = a.example\n"              /* 3 */
          "\n"                             /* 4 */
          "  [ proxy ]  \n"                /* 5 */
          "# signing_key = old.key\n"      /* 6 */
          "   signing_key   =  k.key  \n"  /* 7 */
          "jid = only-in-proxy\n"          /* 8 */
          "[peers]\n"                      /* 9 */
          "opb.example = opb.pub\n",       /* 10 */
          f);
    fclose(f);
}

static void remove_config(void)
{
    pwt_rmtree(dir);
    free(dir);
}

TestSuite(config_line, .init = write_config, .fini = remove_config);

Test(config_line, finds_the_key_in_its_section)
{
    cr_expect_eq(pw_config_line_of(path, "component", "jid"), 3u);
    cr_expect_eq(pw_config_line_of(path, "proxy", "jid"), 8u, "the same key in another section");
    cr_expect_eq(pw_config_line_of(path, "peers", "opb.example"), 10u, "a map section's key");
}

Test(config_line, reads_past_spaces_and_comments)
{
    cr_expect_eq(pw_config_line_of(path, "proxy", "signing_key"), 7u,
                 "the spaced header and key, not the commented-out line 6");
}

Test(config_line, zero_when_absent)
{
    cr_expect_eq(pw_config_line_of(path, "component", "secret"), 0u);
    cr_expect_eq(pw_config_line_of(path, "log", "jid"), 0u, "no such section");
    cr_expect_eq(pw_config_line_of(path, "component", "key"), 0u, "not from a comment before any section");
    cr_expect_eq(pw_config_line_of("/nonexistent/x.conf", "component", "jid"), 0u);
    cr_expect_eq(pw_config_line_of(NULL, "component", "jid"), 0u);
    cr_expect_eq(pw_config_line_of(path, NULL, "jid"), 0u);
    cr_expect_eq(pw_config_line_of(path, "component", NULL), 0u);
}
