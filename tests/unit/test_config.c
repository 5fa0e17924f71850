/* test_config.c: unit tests of the INI config loader: types, bounds, defaults, maps, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pw_config.h"
#include "pwt_util.h"

#define MAP_CAP 8

typedef struct {
    pw_config_common_t common;
    char *name;
    int64_t count;
    int flag;
    int64_t wait_ms;
    int64_t buf;
    char *peer;
    char *dom;
    char *host;
    int port;
    char *path;
    pw_log_level_t level;
    pw_config_list_t list;
    /* [prefixes] map, stored by the handler below */
    size_t nmap;
    char *map_key[MAP_CAP];
    char *map_val[MAP_CAP];
} t_settings_t;

static const pw_config_option_t t_opts[] = {
    PW_CONFIG_COMMON_OPTIONS(t_settings_t, common),
    { "test", "name", PW_OPT_STRING, 2, 8, "dflt", "a string", offsetof(t_settings_t, name) },
    { "test", "count", PW_OPT_INT, -5, 100, "7", "an integer", offsetof(t_settings_t, count) },
    { "test", "flag", PW_OPT_BOOL, 0, 0, "no", "a boolean", offsetof(t_settings_t, flag) },
    { "test", "wait", PW_OPT_DURATION, 100, 86400000, "30s", "a duration",
      offsetof(t_settings_t, wait_ms) },
    { "test", "buf", PW_OPT_SIZE, 1024, 1073741824, "16k", "a size", offsetof(t_settings_t, buf) },
    { "test", "peer", PW_OPT_JID, 0, 0, "peer@opb.example", "a jid", offsetof(t_settings_t, peer) },
    { "test", "dom", PW_OPT_DOMAIN, 0, 0, "opb.example", "a domain", offsetof(t_settings_t, dom) },
    { "test", "host", PW_OPT_HOST, 0, 0, "localhost", "a host", offsetof(t_settings_t, host) },
    { "test", "port", PW_OPT_PORT, 1000, 2000, "1500", "a port", offsetof(t_settings_t, port) },
    { "test", "path", PW_OPT_PATH, 0, 0, "/tmp/x", "a path", offsetof(t_settings_t, path) },
    { "test", "level", PW_OPT_LOGLEVEL, 0, 0, "warn", "a level", offsetof(t_settings_t, level) },
    { "test", "list", PW_OPT_LIST, 1, 3, "a, b", "a list", offsetof(t_settings_t, list) },
};
#define T_NOPTS (sizeof t_opts / sizeof t_opts[0])

/* [prefixes] +E.164-prefix = network domain */
static pw_status_t prefix_fn(void *settings, const char *key, const char *value, char *why,
                             size_t why_cap)
{
    t_settings_t *s = settings;

    if (key[0] != '+' || key[1] == '\0' || strspn(key + 1, "0123456789") != strlen(key + 1)) {
        snprintf(why, why_cap, "not an E.164 prefix");
        return PW_EINVAL;
    }
    if (value[0] == '\0') {
        snprintf(why, why_cap, "no network given");
        return PW_EINVAL;
    }
    if (s->nmap == MAP_CAP)
        return PW_EFULL;
    s->map_key[s->nmap] = strdup(key);
    s->map_val[s->nmap] = strdup(value);
    s->nmap++;
    return PW_OK;
}

/* [ignored] accepts any line and keeps nothing */
static pw_status_t ignore_fn(void *settings, const char *key, const char *value, char *why,
                             size_t why_cap)
{
    return PW_OK;
}

static const pw_config_map_t t_maps[] = {
    { "prefixes", prefix_fn, "E.164 prefix = network domain" },
    { "ignored", ignore_fn, "anything = anything" },
};
#define T_NMAPS (sizeof t_maps / sizeof t_maps[0])

static void map_free(t_settings_t *s)
{
    for (size_t i = 0; i < s->nmap; i++) {
        free(s->map_key[i]);
        free(s->map_val[i]);
    }
    s->nmap = 0;
}

static char tmpdir[64];
static char conf_path[128];
static t_settings_t S;
static pw_config_error_t E;

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pw-test-config-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(conf_path, sizeof conf_path, "%s/test.conf", tmpdir);
    memset(&S, 0, sizeof S);
    memset(&E, 0, sizeof E);
}

static void teardown(void)
{
    pw_config_free(t_opts, T_NOPTS, &S);
    map_free(&S);
    unlink(conf_path);
    rmdir(tmpdir);
}

TestSuite(config, .init = setup, .fini = teardown);

static void write_conf(const char *text, size_t len)
{
    FILE *f = pwt_file_create(conf_path);
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

#define BASE "[component]\njid = hss.opa.example\nsecret = s3cret\n"

/* Load a whole file's text into S. */
static pw_status_t load_text(const char *text)
{
    write_conf(text, strlen(text));
    pw_config_free(t_opts, T_NOPTS, &S);
    map_free(&S);
    return pw_config_load(conf_path, t_opts, T_NOPTS, t_maps, T_NMAPS, &S, &E);
}

/* Load BASE plus "[test] key = value". */
static pw_status_t load_value(const char *key, const char *value)
{
    char text[2048];
    snprintf(text, sizeof text, BASE "[test]\n%s = %s\n", key, value);
    return load_text(text);
}

static const char *etext(void)
{
    static char buf[1024];
    return pw_config_error_text(&E, buf, sizeof buf);
}

static void expect_ok(const char *key, const char *value)
{
    pw_status_t st = load_value(key, value);
    cr_assert_eq(st, PW_OK, "%s = '%s' should be accepted: %s", key, value, etext());
}

static void expect_bad(const char *key, const char *value)
{
    pw_status_t st = load_value(key, value);
    cr_assert_eq(st, PW_ECONFIG, "%s = '%s' should be refused (got %d)", key, value, st);
    cr_assert_eq(E.line, 5, "%s = '%s': line %u", key, value, E.line);
    cr_assert_str_eq(E.key, key);
    cr_assert_str_eq(E.section, "test");
    cr_assert_null(S.common.jid, "settings must be reset after a failure");
    cr_assert_null(S.name);
}

/* text is refused at line with message, naming key (when key is not NULL). */
static void expect_refused(const char *text, unsigned line, const char *key, const char *message)
{
    cr_assert_eq(load_text(text), PW_ECONFIG, "%s", text);
    cr_assert_eq(E.line, line, "%s: line %u", text, E.line);
    if (key)
        cr_assert_str_eq(E.key, key, "%s", text);
    cr_assert_str_eq(E.message, message, "%s", text);
}

/* The [component] and [log] settings in S are want's, field by field. */
static void expect_common(pw_config_common_t want)
{
    cr_assert_str_eq(S.common.jid, want.jid);
    cr_assert_str_eq(S.common.secret, want.secret);
    cr_assert_str_eq(S.common.server, want.server);
    cr_assert_eq(S.common.port, want.port);
    cr_assert_eq(S.common.connect_timeout_ms, want.connect_timeout_ms);
    cr_assert_eq(S.common.reconnect_min_ms, want.reconnect_min_ms);
    cr_assert_eq(S.common.reconnect_max_ms, want.reconnect_max_ms);
    cr_assert_eq(S.common.iq_timeout_ms, want.iq_timeout_ms);
    cr_assert_eq(S.common.log_level, want.log_level);
}

Test(config, defaults_apply_when_the_file_sets_nothing_optional)
{
    cr_assert_eq(load_text(BASE), PW_OK, "%s", etext());
    expect_common((pw_config_common_t){ .jid = "hss.opa.example", .secret = "s3cret", .server = "127.0.0.1",
                                         .port = 5347, .connect_timeout_ms = 10000, .reconnect_min_ms = 500,
                                         .reconnect_max_ms = 30000, .iq_timeout_ms = 10000,
                                         .log_level = PW_LOG_INFO });
    cr_assert_str_eq(S.name, "dflt");
    cr_assert_eq(S.count, 7);
    cr_assert_eq(S.flag, 0);
    cr_assert_eq(S.wait_ms, 30000);
    cr_assert_eq(S.buf, 16384);
    cr_assert_str_eq(S.peer, "peer@opb.example");
    cr_assert_str_eq(S.dom, "opb.example");
    cr_assert_str_eq(S.host, "localhost");
    cr_assert_eq(S.port, 1500);
    cr_assert_str_eq(S.path, "/tmp/x");
    cr_assert_eq(S.level, PW_LOG_WARN);
    cr_assert_eq(S.list.n, 2);
    cr_assert_str_eq(S.list.items[0], "a");
    cr_assert_str_eq(S.list.items[1], "b");
    cr_assert_eq(E.line, 0);
    cr_assert_str_eq(E.message, "");
}

Test(config, file_values_override_defaults)
{
    cr_assert_eq(load_text("; comment\n# another\n\n[component]\n  jid = ps1.opb.example\n"
                           "secret = abc ; inline comment\nserver = ::1\nport = 5348\n"
                           "connect_timeout = 3s\nreconnect_min = 1s\nreconnect_max = 1m\n"
                           "iq_timeout = 2500ms\n[log]\nlevel = debug\n[test]\nname = xyz\n"),
                 PW_OK, "%s", etext());
    expect_common((pw_config_common_t){ .jid = "ps1.opb.example", .secret = "abc", .server = "::1",
                                         .port = 5348, .connect_timeout_ms = 3000, .reconnect_min_ms = 1000,
                                         .reconnect_max_ms = 60000, .iq_timeout_ms = 2500,
                                         .log_level = PW_LOG_DEBUG });
    cr_assert_str_eq(S.name, "xyz");
}

Test(config, crlf_line_endings_and_byte_order_mark_are_accepted)
{
    cr_assert_eq(load_text("\xEF\xBB\xBF[component]\r\njid = a.example\r\nsecret = x\r\n"), PW_OK,
                 "%s", etext());
    cr_assert_str_eq(S.common.jid, "a.example");
    cr_assert_str_eq(S.common.secret, "x");
}

Test(config, string_length_bounds)
{
    expect_ok("name", "ab");
    cr_assert_str_eq(S.name, "ab");
    expect_ok("name", "abcdefgh");
    expect_bad("name", "a");
    expect_bad("name", "abcdefghi");
    expect_bad("name", "a\x01z");
}

Test(config, integers)
{
    expect_ok("count", "-5");
    cr_assert_eq(S.count, -5);
    expect_ok("count", "+100");
    cr_assert_eq(S.count, 100);
    expect_ok("count", "0");
    expect_bad("count", "-6");
    expect_bad("count", "101");
    expect_bad("count", "1e3");
    expect_bad("count", "0x10");
    expect_bad("count", "12a");
    expect_bad("count", "");
    expect_bad("count", "99999999999999999999");
}

Test(config, booleans)
{
    static const char *yes[] = { "yes", "true", "on", "1", "YES", "True" };
    static const char *no[] = { "no", "false", "off", "0", "OFF" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        expect_ok("flag", yes[i]);
        cr_assert_eq(S.flag, 1, "%s", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        expect_ok("flag", no[i]);
        cr_assert_eq(S.flag, 0, "%s", no[i]);
    }
    expect_bad("flag", "maybe");
    expect_bad("flag", "2");
    expect_bad("flag", "");
}

/* A text for a key and the value it loads as. */
typedef struct value_case {
    const char *text;
    int64_t value;
} value_case_t;

/* key accepts every text of ok[] (loading its value into *field) and refuses every text of bad[]. */
static void expect_values(const char *key, const int64_t *field, const value_case_t *ok, size_t nok,
                          const char *const *bad, size_t nbad)
{
    for (size_t i = 0; i < nok; i++) {
        expect_ok(key, ok[i].text);
        cr_assert_eq(*field, ok[i].value, "%s", ok[i].text);
    }
    for (size_t i = 0; i < nbad; i++)
        expect_bad(key, bad[i]);
}

Test(config, durations)
{
    static const value_case_t ok[] = {
        { "1500ms", 1500 }, { "30s", 30000 }, { "5m", 300000 }, { "2h", 7200000 },
        { "1d", 86400000 }, { "45", 45000 }, { "100ms", 100 }, { "86400000ms", 86400000 },
    };
    static const char *const bad[] = { "99ms", "86400001ms", "2d", "1.5s", "-1s", "10x", "s", "1 s", "",
                                       "9999999999999999999d" };
    expect_values("wait", &S.wait_ms, ok, sizeof ok / sizeof ok[0], bad, sizeof bad / sizeof bad[0]);
    cr_assert_str_eq(E.message, "duration too large"); /* the last one refused */
    load_value("wait", "99ms");
    cr_assert_str_eq(E.message, "99ms is out of bounds 100ms..1d");
}

Test(config, sizes)
{
    static const value_case_t ok[] = {
        { "1024", 1024 }, { "16k", 16384 }, { "16K", 16384 }, { "10M", 10485760 },
        { "1G", 1073741824 },
    };
    static const char *const bad[] = { "1023", "1073741825", "2G", "1T", "-1", "k", "1.5M" };
    expect_values("buf", &S.buf, ok, sizeof ok / sizeof ok[0], bad, sizeof bad / sizeof bad[0]);
}

Test(config, jids)
{
    expect_ok("peer", "alice@opa.example");
    cr_assert_str_eq(S.peer, "alice@opa.example");
    expect_ok("peer", "opa.example");
    expect_ok("peer", "+12025550123@watcher.opa.example");
    expect_bad("peer", "a@@b.example");
    expect_bad("peer", "a@b@c");
    expect_bad("peer", "alice@opa.example/phone");
    expect_bad("peer", "@opa.example");
    expect_bad("peer", "alice@");
    expect_bad("peer", "al ice@opa.example");
    expect_bad("peer", "");
}

Test(config, domains)
{
    char label63[64], label64[65], text[128];

    expect_ok("dom", "opb.example");
    expect_ok("dom", "_presence-gw._tcp.opb.example");
    expect_ok("dom", "localhost");
    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'a', 64);
    label64[64] = '\0';
    snprintf(text, sizeof text, "%s.example", label63);
    expect_ok("dom", text);
    snprintf(text, sizeof text, "%s.example", label64);
    expect_bad("dom", text);
    expect_bad("dom", "a..b");
    expect_bad("dom", "a.example.");
    expect_bad("dom", "-a.example");
    expect_bad("dom", "a-.example");
    expect_bad("dom", "1.2.3.4");
    expect_bad("dom", "ex!ample.org");
    expect_bad("dom", "");
}

Test(config, hosts)
{
    expect_ok("host", "192.0.2.1");
    expect_ok("host", "::1");
    expect_ok("host", "2001:db8::5");
    expect_ok("host", "xmpp.opa.example");
    expect_bad("host", "1.2.3.999");
    expect_bad("host", "1.2.3");
    expect_bad("host", "::g");
    expect_bad("host", "ex ample");
    expect_bad("host", "[::1]");
    expect_bad("host", "");
}

Test(config, ports)
{
    expect_ok("port", "1000");
    cr_assert_eq(S.port, 1000);
    expect_ok("port", "2000");
    expect_bad("port", "999");
    expect_bad("port", "2001");
    expect_bad("port", "http");
    /* the common port has the natural bounds 1..65535 */
    cr_assert_eq(load_text(BASE "port = 65535\n"), PW_OK, "%s", etext());
    cr_assert_eq(S.common.port, 65535);
    cr_assert_eq(load_text(BASE "port = 65536\n"), PW_ECONFIG);
    cr_assert_eq(load_text(BASE "port = 0\n"), PW_ECONFIG);
    cr_assert_eq(load_text(BASE "port = 1\n"), PW_OK);
}

Test(config, paths)
{
    expect_ok("path", "/etc/peerwatch/opa.pub");
    cr_assert_str_eq(S.path, "/etc/peerwatch/opa.pub");
    expect_ok("path", "relative/file");
    expect_bad("path", "");
}

Test(config, log_levels)
{
    static const struct { const char *text; pw_log_level_t level; } ok[] = {
        { "error", PW_LOG_ERROR }, { "warn", PW_LOG_WARN }, { "info", PW_LOG_INFO },
        { "debug", PW_LOG_DEBUG },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        expect_ok("level", ok[i].text);
        cr_assert_eq(S.level, ok[i].level);
    }
    expect_bad("level", "verbose");
    expect_bad("level", "");
}

Test(config, lists)
{
    expect_ok("list", " x , y,z ");
    cr_assert_eq(S.list.n, 3);
    cr_assert_str_eq(S.list.items[0], "x");
    cr_assert_str_eq(S.list.items[1], "y");
    cr_assert_str_eq(S.list.items[2], "z");
    expect_ok("list", "only");
    cr_assert_eq(S.list.n, 1);
    expect_bad("list", "a,b,c,d");
    expect_bad("list", "");
    expect_bad("list", "a,,b");
    expect_bad("list", "a,");
    expect_bad("list", ",a");
}

Test(config, common_duration_bounds_at_and_over_the_limits)
{
    cr_assert_eq(load_text(BASE "reconnect_min = 100ms\n"), PW_OK, "%s", etext());
    cr_assert_eq(load_text(BASE "reconnect_min = 99ms\n"), PW_ECONFIG);
    cr_assert_eq(load_text(BASE "reconnect_max = 1d\nreconnect_min = 1h\n"), PW_OK, "%s", etext());
    cr_assert_eq(load_text(BASE "reconnect_max = 86401s\n"), PW_ECONFIG);
    cr_assert_eq(load_text(BASE "reconnect_max = 999ms\n"), PW_ECONFIG);
    cr_assert_eq(load_text(BASE "iq_timeout = 10m\n"), PW_OK, "%s", etext());
    cr_assert_eq(load_text(BASE "iq_timeout = 601s\n"), PW_ECONFIG);
    cr_assert_str_eq(E.message, "601s is out of bounds 100ms..10m");
}

Test(config, reconnect_max_below_min_names_the_key_written)
{
    expect_refused(BASE "reconnect_min = 20s\nreconnect_max = 10s\n", 5, "reconnect_max",
                   "10s is below reconnect_min = 20s");
    /* only the lower one is in the file: it is the one blamed */
    cr_assert_eq(load_text(BASE "reconnect_min = 1m\n"), PW_ECONFIG);
    cr_assert_eq(E.line, 4);
    cr_assert_str_eq(E.key, "reconnect_min");
    cr_assert_null(S.common.jid);
    cr_assert_eq(load_text(BASE "reconnect_min = 30s\n"), PW_OK, "equal is fine: %s", etext());
}

Test(config, required_key_missing)
{
    char buf[512];
    cr_assert_eq(load_text("[component]\nsecret = x\n"), PW_ECONFIG);
    cr_assert_eq(E.line, 0);
    cr_assert_str_eq(E.section, "component");
    cr_assert_str_eq(E.key, "jid");
    cr_assert_str_eq(E.message, "required key missing");
    snprintf(buf, sizeof buf, "%s: [component] jid: required key missing", conf_path);
    cr_assert_str_eq(etext(), buf);
    cr_assert_null(S.common.secret, "secret must be freed after the failure");
    cr_assert_eq(load_text(""), PW_ECONFIG);
    cr_assert_str_eq(E.key, "jid");
    cr_assert_eq(load_text("[component]\njid = a.example\n"), PW_ECONFIG);
    cr_assert_str_eq(E.key, "secret");
}

Test(config, unknown_section_is_reported_at_its_header)
{
    char buf[512];
    cr_assert_eq(load_text(BASE "\n[bogus]\nx = 1\n"), PW_ECONFIG);
    cr_assert_eq(E.line, 5);
    cr_assert_str_eq(E.section, "bogus");
    cr_assert_str_eq(E.message, "unknown section");
    snprintf(buf, sizeof buf, "%s:5: [bogus]: unknown section", conf_path);
    cr_assert_str_eq(etext(), buf);
}

Test(config, unknown_key_names_file_line_and_key)
{
    char buf[512];
    cr_assert_eq(load_text(BASE "colour = blue\n"), PW_ECONFIG);
    snprintf(buf, sizeof buf, "%s:4: [component] colour: unknown key", conf_path);
    cr_assert_str_eq(etext(), buf);
    cr_assert_null(S.common.jid);
    cr_assert_null(S.common.server);
}

Test(config, duplicate_key)
{
    expect_refused(BASE "[log]\nlevel = info\n[component]\njid = again.example\n", 7, "jid",
                   "duplicate key (first set on line 2)");
}

Test(config, first_error_stops_the_load)
{
    expect_refused(BASE "port = 0\ncolour = blue\n", 4, "port", "a port is 1..65535");
}

Test(config, lines_that_are_not_key_value)
{
    static const struct { const char *line; const char *message; } bad[] = {
        { "just words", "expected 'key = value' or '[section]'" },
        { "port: 5347", "expected 'key = value' or '[section]'" },
        { "port ; = 5", "expected 'key = value' or '[section]'" },
        { "= 5", "empty key before '='" },
        { "my key = 5", "whitespace inside a key" },
        { "[component", "expected ']' after the section name" },
        { "[] ", "empty section name" },
        { "[log] junk", "unexpected text after ']'" },
        { "[lo g]", "a section name holds only letters, digits, '_', '-' and '.'" },
        { "  continued", "expected 'key = value' or '[section]'" },
    };
    char text[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, BASE "%s\nport = 5\n", bad[i].line);
        expect_refused(text, 4, NULL, bad[i].message);
    }
    expect_refused("jid = a.example\n", 1, NULL,
                   "key outside any [section] (only 'include = FILE' goes before the first)");
}

Test(config, line_length_limit_and_nul_bytes)
{
    char text[1024], secret[256];
    size_t room = 198 - strlen("secret = ");

    memset(secret, 'x', room);
    secret[room] = '\0';
    snprintf(text, sizeof text, "[component]\njid = a.example\nsecret = %s\n", secret);
    cr_assert_eq(load_text(text), PW_OK, "%s", etext());
    cr_assert_eq(strlen(S.common.secret), room);
    memset(secret, 'x', room + 1);
    secret[room + 1] = '\0';
    snprintf(text, sizeof text, "[component]\njid = a.example\nsecret = %s\n", secret);
    cr_assert_eq(load_text(text), PW_ECONFIG);
    cr_assert_eq(E.line, 3);
    cr_assert_str_eq(E.message, "line longer than 198 characters");

    write_conf(BASE "port\0 = 1\n", sizeof(BASE "port\0 = 1\n") - 1);
    cr_assert_eq(pw_config_load(conf_path, t_opts, T_NOPTS, t_maps, T_NMAPS, &S, &E), PW_ECONFIG);
    cr_assert_eq(E.line, 4);
    cr_assert_str_eq(E.message, "NUL byte in line");
}

Test(config, map_sections_store_their_lines)
{
    cr_assert_eq(load_text(BASE "[prefixes]\n+4477009 = opa.example\n+1202 = opb.example\n"), PW_OK,
                 "%s", etext());
    cr_assert_eq(S.nmap, 2);
    cr_assert_str_eq(S.map_key[0], "+4477009");
    cr_assert_str_eq(S.map_val[0], "opa.example");
    cr_assert_str_eq(S.map_key[1], "+1202");
    cr_assert_str_eq(S.map_val[1], "opb.example");
}

Test(config, map_refusal_names_file_line_key_and_why)
{
    char buf[512];
    cr_assert_eq(load_text(BASE "[prefixes]\n+4477009 = opa.example\n4477 = opa.example\n"),
                 PW_ECONFIG);
    snprintf(buf, sizeof buf, "%s:6: [prefixes] 4477: not an E.164 prefix", conf_path);
    cr_assert_str_eq(etext(), buf);
    cr_assert_null(S.common.jid);
    cr_assert_eq(load_text(BASE "[prefixes]\n+1 = \n"), PW_ECONFIG);
    cr_assert_str_eq(E.message, "no network given");
}

Test(config, duplicate_map_key)
{
    expect_refused(BASE "[prefixes]\n+1 = a.example\n+2 = b.example\n+1 = c.example\n", 7, "+1", "duplicate key");
}

Test(config, handler_status_without_why_is_shown_as_its_text)
{
    char text[512];
    size_t o = (size_t)snprintf(text, sizeof text, BASE "[prefixes]\n");
    for (int i = 0; i <= MAP_CAP; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "+%d = n.example\n", 1000 + i);
    expect_refused(text, 5 + MAP_CAP, NULL, pw_strerror(PW_EFULL));
}

Test(config, many_map_keys_then_a_duplicate)
{
    char *text = malloc(3000 * 24 + 128);
    size_t o = (size_t)sprintf(text, BASE "[ignored]\n");
    for (int i = 0; i < 3000; i++)
        o += (size_t)sprintf(text + o, "k%d = v\n", i);
    cr_assert_eq(load_text(text), PW_OK, "%s", etext());
    sprintf(text + o, "[prefixes]\n+1 = a.example\n[ignored]\nk1234 = again\n");
    expect_refused(text, 4 + 3000 + 4, "k1234", "duplicate key");
    free(text);
}

Test(config, unreadable_file)
{
    char path[200];
    snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
    S.common.jid = NULL;
    cr_assert_eq(pw_config_load(path, t_opts, T_NOPTS, NULL, 0, &S, &E), PW_EIO);
    cr_assert_str_eq(E.file, path);
    cr_assert_eq(E.line, 0);
    cr_assert(strstr(E.message, "cannot open") != NULL, "%s", E.message);
    cr_assert_null(S.common.server, "defaults must be freed after the failure");
    /* a directory opens but cannot be read */
    cr_assert_eq(pw_config_load(tmpdir, t_opts, T_NOPTS, NULL, 0, &S, &E), PW_EIO);
    cr_assert(strstr(E.message, "read error") != NULL, "%s", E.message);
}

Test(config, common_table_alone_loads_into_the_common_struct)
{
    pw_config_common_t c;
    memset(&c, 0, sizeof c);
    write_conf(BASE "[log]\nlevel = error\n", strlen(BASE "[log]\nlevel = error\n"));
    cr_assert_eq(pw_config_common_count, PW_CONFIG_COMMON_COUNT);
    cr_assert_eq(pw_config_load(conf_path, pw_config_common_options, pw_config_common_count, NULL,
                                0, &c, NULL),
                 PW_OK);
    cr_assert_str_eq(c.jid, "hss.opa.example");
    cr_assert_eq(c.log_level, PW_LOG_ERROR);
    pw_config_free(pw_config_common_options, pw_config_common_count, &c);
    cr_assert_null(c.jid);
    cr_assert_null(c.secret);
    pw_config_free(pw_config_common_options, pw_config_common_count, &c); /* twice is harmless */
    pw_config_free(pw_config_common_options, pw_config_common_count, NULL);
}

Test(config, bad_builtin_default_is_reported)
{
    static const pw_config_option_t bad[] = {
        { "x", "n", PW_OPT_INT, 0, 10, "eleven", "broken", 0 },
    };
    int64_t v = 0;
    write_conf("", 0);
    cr_assert_eq(pw_config_load(conf_path, bad, 1, NULL, 0, &v, &E), PW_ECONFIG);
    cr_assert_str_eq(E.key, "n");
    cr_assert(strstr(E.message, "invalid built-in default") != NULL, "%s", E.message);
}

Test(config, invalid_arguments)
{
    cr_assert_eq(pw_config_load(NULL, t_opts, T_NOPTS, NULL, 0, &S, &E), PW_EINVAL);
    cr_assert_eq(pw_config_load(conf_path, t_opts, T_NOPTS, NULL, 0, NULL, &E), PW_EINVAL);
    cr_assert_eq(pw_config_load(conf_path, NULL, 3, NULL, 0, &S, &E), PW_EINVAL);
}

Test(config, error_text_formats_and_truncates)
{
    pw_config_error_t e;
    char buf[64], tiny[8];

    memset(&e, 0, sizeof e);
    snprintf(e.file, sizeof e.file, "a.conf");
    e.line = 3;
    snprintf(e.message, sizeof e.message, "boom");
    cr_assert_str_eq(pw_config_error_text(&e, buf, sizeof buf), "a.conf:3: boom");
    snprintf(e.key, sizeof e.key, "k");
    cr_assert_str_eq(pw_config_error_text(&e, buf, sizeof buf), "a.conf:3: k: boom");
    snprintf(e.section, sizeof e.section, "s");
    cr_assert_str_eq(pw_config_error_text(&e, buf, sizeof buf), "a.conf:3: [s] k: boom");
    e.line = 0;
    cr_assert_str_eq(pw_config_error_text(&e, buf, sizeof buf), "a.conf: [s] k: boom");
    pw_config_error_text(&e, tiny, sizeof tiny);
    cr_assert_eq(strlen(tiny), sizeof tiny - 1);
    cr_assert_eq(pw_config_error_text(&e, NULL, 10), NULL);
    cr_assert_str_eq(pw_config_error_text(NULL, buf, sizeof buf), "");
}

Test(config, parse_helpers)
{
    int64_t v;
    int b;
    cr_assert_eq(pw_config_parse_duration("2h", &v), PW_OK);
    cr_assert_eq(v, 7200000);
    cr_assert_eq(pw_config_parse_duration("9223372036854775807ms", &v), PW_OK);
    cr_assert_eq(pw_config_parse_duration("9223372036854775807s", &v), PW_ERANGE);
    cr_assert_eq(pw_config_parse_duration("99999999999999999999", &v), PW_ERANGE);
    cr_assert_eq(pw_config_parse_duration("5w", &v), PW_EINVAL);
    cr_assert_eq(pw_config_parse_duration(NULL, &v), PW_EINVAL);
    cr_assert_eq(pw_config_parse_size("10M", &v), PW_OK);
    cr_assert_eq(v, 10485760);
    cr_assert_eq(pw_config_parse_size("9000000000G", &v), PW_ERANGE);
    cr_assert_eq(pw_config_parse_size("1kb", &v), PW_EINVAL);
    cr_assert_eq(pw_config_parse_bool("On", &b), PW_OK);
    cr_assert_eq(b, 1);
    cr_assert_eq(pw_config_parse_bool("nope", &b), PW_EINVAL);
}

/* What pw_config_print_reference_as() prints for a table, as a malloc'd string. */
static char *reference(const pw_config_option_t *opts, size_t nopts, const pw_config_map_t *maps,
                       size_t nmaps, pw_config_format_t fmt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f);
    pw_config_print_reference_as(f, opts, nopts, maps, nmaps, fmt);
    fclose(f);
    return text;
}

Test(config, reference_lists_every_option_and_map)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char *same;

    cr_assert_not_null(f);
    pw_config_print_reference(f, t_opts, T_NOPTS, t_maps, T_NMAPS);
    fclose(f);
    same = reference(t_opts, T_NOPTS, t_maps, T_NMAPS, PW_CONFIG_FORMAT_TEXT);
    cr_assert_str_eq(same, text, "pw_config_print_reference() is the text form");
    free(same);
    cr_assert(strstr(text, "[component]\n") != NULL, "%s", text);
    cr_assert(strstr(text, "jid              domain, 1..253 characters; required") != NULL, "%s", text);
    cr_assert(strstr(text, "port             port, 1..65535; default ${port:-5347}") != NULL, "%s", text);
    cr_assert(strstr(text, "reconnect_min    duration, 100ms..1h; default 500ms") != NULL, "%s", text);
    cr_assert(strstr(text, "[log]\nlevel") != NULL, "%s", text);
    cr_assert(strstr(text, "buf              size, 1k..1G; default 16k") != NULL, "%s", text);
    cr_assert(strstr(text, "list             list, 1..3 items; default a, b") != NULL, "%s", text);
    cr_assert(strstr(text, "[prefixes]\n") != NULL, "%s", text);
    cr_assert(strstr(text, "E.164 prefix = network domain") != NULL, "%s", text);
    for (size_t i = 0; i < T_NOPTS; i++)
        cr_assert(strstr(text, t_opts[i].help) != NULL, "%s", t_opts[i].help);
    free(text);
}

Test(config, man_reference_is_roff_with_a_paragraph_per_option)
{
    static const char head[] = ".SS [component]\n.TP\n\\fBjid\\fR = \\fIdomain\\fR\n";
    char *text = reference(t_opts, T_NOPTS, t_maps, T_NMAPS, PW_CONFIG_FORMAT_MAN);

    cr_assert(strncmp(text, head, sizeof head - 1) == 0, "%s", text);
    cr_assert(strstr(text, ".TP\n\\fBport\\fR = \\fIport\\fR\nTCP port of the XMPP server's component listener\n"
                           ".br\nDefault: \\fB${port:\\-5347}\\fR; 1..65535.\n") != NULL, "%s", text);
    cr_assert(strstr(text, "Required; 1..253 characters.\n") != NULL, "jid has no default: %s", text);
    cr_assert(strstr(text, ".SS [log]\n.TP\n\\fBlevel\\fR = \\fIlog level\\fR\n") != NULL, "%s", text);
    cr_assert(strstr(text, "Default: \\fB16k\\fR; 1k..1G.\n") != NULL, "%s", text);
    cr_assert(strstr(text, "Default: \\fBno\\fR; yes/no.\n") != NULL, "%s", text);
    cr_assert(strstr(text, "Default: \\fB7\\fR; \\-5..100.\n") != NULL, "a minus sign: %s", text);
    cr_assert(strstr(text, ".SS [prefixes]\nA map section") != NULL, "%s", text);
    cr_assert(strstr(text, "\nE.164 prefix = network domain\n") != NULL, "%s", text);
    for (size_t i = 0; i < T_NOPTS; i++) {
        char tag[64];
        snprintf(tag, sizeof tag, ".TP\n\\fB%s\\fR = ", t_opts[i].name);
        cr_assert(strstr(text, tag) != NULL, "%s", t_opts[i].name);
    }
    free(text);
}

Test(config, man_reference_escapes_what_roff_would_read_as_requests)
{
    static const pw_config_option_t opts[] = {
        { "a-b", "x", PW_OPT_STRING, 0, 0, "C:\\dir-1", ".so /etc/passwd\n'br and a \\ backslash",
          0 },
        { "a-b", "y", PW_OPT_STRING, 0, 0, "", "'quoted", 0 },
    };
    char *text = reference(opts, 2, NULL, 0, PW_CONFIG_FORMAT_MAN);

    cr_assert(strstr(text, ".SS [a\\-b]\n") != NULL, "%s", text);
    cr_assert(strstr(text, "\n\\&.so /etc/passwd\n\\&'br and a \\(rs backslash\n") != NULL,
              "a leading dot or quote is made plain, a backslash printed: %s", text);
    cr_assert(strstr(text, "Default: \\fBC:\\(rsdir\\-1\\fR;") != NULL, "%s", text);
    cr_assert(strstr(text, "\n\\&'quoted\n") != NULL, "%s", text);
    cr_assert(strstr(text, "Default: \\fB\"\"\\fR;") != NULL, "an empty default shows as \"\": %s", text);
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        cr_assert(p[1] != '\'' && (p[1] != '.' || strncmp(p + 1, ".SS ", 4) == 0 ||
                                    strncmp(p + 1, ".TP\n", 4) == 0 || strncmp(p + 1, ".br\n", 4) == 0),
                  "only the printer's own requests start a line: %s", p + 1);
    free(text);
}
