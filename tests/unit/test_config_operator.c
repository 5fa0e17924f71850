/* test_config_operator.c: the operator file: `include = FILE`, the [operator] section, and the
 * built-in defaults it fills ("watcher.${domain}"), with errors naming file, line and key. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pw_config.h"
#include "pwt_util.h"

/* A role-like table: the common rows with a role JID, and defaults from the operator file. */
typedef struct t_role {
    pw_config_common_t common;
    char *peer_of;
    char *state;
    char *maybe;
    char *key;
    int echo_port;
} t_role_t;

static const pw_config_option_t t_opts[] = {
    PW_CONFIG_ROLE_OPTIONS(t_role_t, common, "watcher"),
    { "role", "peer_of", PW_OPT_DOMAIN, 1, 253, "proxy.${domain}", "a component of this operator",
      offsetof(t_role_t, peer_of) },
    { "role", "state", PW_OPT_PATH, 1, 4000, "${state_dir}/role", "a state directory",
      offsetof(t_role_t, state) },
    { "role", "maybe", PW_OPT_PATH, 0, 4000, "${state_dir:+${state_dir}/sent}", "optional",
      offsetof(t_role_t, maybe) },
    { "role", "key", PW_OPT_PATH, 1, 4000, "${key_dir}/${domain}.key", "a key",
      offsetof(t_role_t, key) },
    { "role", "echo_port", PW_OPT_PORT, 0, 0, "1${port:-0}", "a port derived from the operator's",
      offsetof(t_role_t, echo_port) },
};
#define T_NOPTS (sizeof t_opts / sizeof t_opts[0])

static char dir[64];
static t_role_t S;
static pw_config_error_t E;
static char etext[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/pw-cfgop-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&S, 0, sizeof S);
}

static void teardown(void)
{
    char cmd[128];
    pw_config_free(t_opts, T_NOPTS, &S);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(config_operator, .init = setup, .fini = teardown);

/* Write dir/name; @return its path (static buffer of the call's slot 0 or 1) */
static const char *put(int slot, const char *name, const char *text)
{
    static char path[2][128];
    FILE *f;
    snprintf(path[slot], sizeof path[slot], "%s/%s", dir, name);
    f = pwt_file_create(path[slot]);
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path[slot];
}

static pw_status_t load(const char *path)
{
    pw_status_t st = pw_config_load(path, t_opts, T_NOPTS, NULL, 0, &S, &E);
    pw_config_error_text(&E, etext, sizeof etext);
    return st;
}

#define OPERATOR "# the operator\n[operator]\ndomain = opa.example\nsecret = s3cret\nserver = 127.0.0.9\n"

Test(config_operator, an_included_operator_file_fills_the_defaults)
{
    const char *role;
    char want[160];

    put(0, "operator.conf", OPERATOR "state_dir = /srv/pw\n");
    role = put(1, "watcher.conf", "include = operator.conf\n[log]\nlevel = debug\n");
    cr_assert_eq(load(role), PW_OK, "%s", etext);
    cr_assert_str_eq(S.common.jid, "watcher.opa.example", "<role>.${domain}");
    cr_assert_str_eq(S.common.secret, "s3cret");
    cr_assert_str_eq(S.common.server, "127.0.0.9");
    cr_assert_eq(S.common.port, 5347, "the operator file's own default");
    cr_assert_str_eq(S.peer_of, "proxy.opa.example");
    cr_assert_str_eq(S.state, "/srv/pw/role");
    cr_assert_str_eq(S.maybe, "/srv/pw/sent", "${x:+...} when x is set");
    snprintf(want, sizeof want, "%s/keys/opa.example.key", dir);
    cr_assert_str_eq(S.key, want, "key_dir defaults to the operator file's directory/keys");
}

Test(config_operator, what_the_role_writes_wins)
{
    put(0, "operator.conf", OPERATOR);
    cr_assert_eq(load(put(1, "ps2.conf", "include = operator.conf\n[component]\njid = ps2.opa.example\nport = 5999\n"
                                         "[role]\nstate = /tmp/x\n")),
                 PW_OK, "%s", etext);
    cr_assert_str_eq(S.common.jid, "ps2.opa.example");
    cr_assert_eq(S.common.port, 5999);
    cr_assert_str_eq(S.state, "/tmp/x");
    cr_assert_str_eq(S.common.secret, "s3cret", "the rest still comes from the operator file");
}

Test(config_operator, the_section_may_sit_in_the_role_file_itself)
{
    cr_assert_eq(load(put(0, "all.conf", "[component]\nport = 6000\n" OPERATOR)), PW_OK, "%s", etext);
    cr_assert_str_eq(S.common.jid, "watcher.opa.example");
    cr_assert_str_eq(S.state, "/var/lib/peerwatch/role", "state_dir's own default");
}

Test(config_operator, without_an_operator_file_those_options_are_required)
{
    cr_assert_eq(load(put(0, "bare.conf", "[component]\njid = w.example\nsecret = x\n")), PW_ECONFIG);
    cr_assert_str_eq(E.section, "role");
    cr_assert_str_eq(E.key, "peer_of");
    cr_assert(strstr(E.message, "required key missing") == E.message, "%s", E.message);
    cr_assert(strstr(E.message, "include") && strstr(E.message, "domain"), "says what would fill it: %s", E.message);
}

Test(config_operator, an_error_in_the_included_file_names_it_and_its_line)
{
    const char *op = put(0, "operator.conf", "[operator]\ndomain = opa.example\nport = 99999\n");
    char want[160];
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\n")), PW_ECONFIG);
    cr_assert_str_eq(E.file, op);
    cr_assert_eq(E.line, 3);
    cr_assert_str_eq(E.key, "port");
    snprintf(want, sizeof want, "%s:3: [operator] port: ", op);
    cr_assert(strncmp(etext, want, strlen(want)) == 0, "%s", etext);
}

Test(config_operator, an_operator_file_holds_only_operator_keys)
{
    const char *op = put(0, "operator.conf", OPERATOR "[component]\njid = x.example\n");
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\n")), PW_ECONFIG);
    cr_assert_str_eq(E.file, op);
    cr_assert_eq(E.line, 6);
    cr_assert_str_eq(E.message, "unknown section: an operator file holds only [operator]");
    op = put(0, "operator.conf", OPERATOR "colour = blue\n");
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\n")), PW_ECONFIG);
    cr_assert_str_eq(E.key, "colour");
    cr_assert_str_eq(E.message, "unknown key");
}

Test(config_operator, domain_and_secret_are_required_in_it)
{
    const char *op = put(0, "operator.conf", "[operator]\ndomain = opa.example\n");
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\n")), PW_ECONFIG);
    cr_assert_str_eq(E.file, op, "the operator file is named");
    cr_assert_str_eq(E.key, "secret");
    cr_assert_str_eq(E.message, "required key missing");
}

Test(config_operator, a_missing_include_names_the_including_line)
{
    const char *role = put(0, "w.conf", "# watcher\ninclude = nowhere.conf\n");
    cr_assert_eq(load(role), PW_ECONFIG);
    cr_assert_str_eq(E.file, role);
    cr_assert_eq(E.line, 2);
    cr_assert_str_eq(E.key, "include");
    cr_assert(strstr(E.message, "nowhere.conf") != NULL, "%s", E.message);
}

Test(config_operator, include_goes_first_and_once_and_operator_lives_in_one_file)
{
    put(0, "operator.conf", OPERATOR);
    cr_assert_eq(load(put(1, "w.conf", "[log]\ninclude = operator.conf\n")), PW_ECONFIG, "include in a section");
    cr_assert_str_eq(E.key, "include");
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\ninclude = operator.conf\n")), PW_ECONFIG);
    cr_assert_str_eq(E.message, "only one include per file");
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\n[operator]\nstate_dir = /x\n")), PW_ECONFIG);
    cr_assert_eq(E.line, 3);
    cr_assert(strstr(E.message, "write it in one file") != NULL, "%s", E.message);
}

Test(config_operator, a_value_that_makes_a_bad_default_is_refused_with_both_named)
{
    const char *op = put(0, "operator.conf", OPERATOR "port = 65000\n");
    cr_assert_eq(load(put(1, "w.conf", "include = operator.conf\n")), PW_ECONFIG);
    cr_assert_str_eq(E.key, "echo_port", "%s", etext);
    cr_assert(strstr(E.message, "1${port:-0}") && strstr(E.message, op) && strstr(E.message, "165000"),
              "the default, the operator file and the value: %s", E.message);
}

Test(config_operator, operator_load_reads_it_with_defaults)
{
    pw_config_operator_t op;
    char keys[128];
    const char *role;

    put(0, "operator.conf", OPERATOR "port = 5348\n");
    role = put(1, "gateway.conf", "include = operator.conf\n[gateway]\nnetwork = x\n[peers]\nopb.example = k\n");
    cr_assert_eq(pw_config_operator_load(role, &op, &E), PW_OK, "a role file: its include is followed");
    cr_assert_str_eq(op.domain, "opa.example");
    cr_assert_str_eq(op.secret, "s3cret");
    cr_assert_eq(op.port, 5348);
    cr_assert_str_eq(op.state_dir, "/var/lib/peerwatch");
    snprintf(keys, sizeof keys, "%s/keys", dir);
    cr_assert_str_eq(op.key_dir, keys);
    cr_assert_str_eq(op.config_dir, dir);
    pw_config_operator_free(&op);
    pw_config_operator_free(&op); /* harmless twice */
    cr_assert_eq(pw_config_operator_load(put(1, "none.conf", "[gateway]\nnetwork = x\n"), &op, &E), PW_ENOTFOUND);
}

Test(config_operator, expansion_forms)
{
    const char *names[] = { "a", "b" }, *values[] = { "1", NULL };
    pw_config_vars_t vars = { names, values, 2 };
    char out[32], missing[16];

    cr_assert_eq(pw_config_expand("x${a}y", &vars, out, sizeof out, missing, sizeof missing), PW_OK);
    cr_assert_str_eq(out, "x1y");
    cr_assert_eq(pw_config_expand("${b:-d}/${a:-d}", &vars, out, sizeof out, NULL, 0), PW_OK);
    cr_assert_str_eq(out, "d/1");
    cr_assert_eq(pw_config_expand("[${a:+<${a}>}][${b:+<${b}>}]", &vars, out, sizeof out, NULL, 0), PW_OK);
    cr_assert_str_eq(out, "[<1>][]");
    cr_assert_eq(pw_config_expand("p.${b}", &vars, out, sizeof out, missing, sizeof missing), PW_ENOTFOUND);
    cr_assert_str_eq(missing, "b");
    cr_assert_eq(pw_config_expand("${c}", &vars, out, sizeof out, missing, sizeof missing), PW_ENOTFOUND,
                 "an unknown name is unset");
    cr_assert_eq(pw_config_expand("${a", &vars, out, sizeof out, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_config_expand("${}", &vars, out, sizeof out, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_config_expand("${a:?x}", &vars, out, sizeof out, NULL, 0), PW_EINVAL);
    cr_assert_eq(pw_config_expand("0123456789${a}", &vars, out, 8, NULL, 0), PW_ERANGE);
    cr_assert_eq(pw_config_has_vars("a${b}"), 1);
    cr_assert_eq(pw_config_has_vars("a$b"), 0);
}
