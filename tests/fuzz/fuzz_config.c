/* fuzz_config.c: libFuzzer target: the INI configuration loader on a table with every option type and a map section. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "core/pw_config.h"
#include "core/pw_log.h"

typedef struct fz_settings {
    pw_config_common_t common;
    char *str;
    int64_t num;
    int flag;
    int64_t dur;
    int64_t size;
    char *jid;
    char *domain;
    char *host;
    int port;
    char *path;
    pw_log_level_t level;
    pw_config_list_t list;
    size_t peers;          /* [peers] lines accepted */
    size_t peer_bytes;     /* their total length, to use the values */
} fz_settings_t;

static const pw_config_option_t fz_options[] = {
    PW_CONFIG_COMMON_OPTIONS(fz_settings_t, common),
    { "fuzz", "str", PW_OPT_STRING, 0, 64, "x", "a string", offsetof(fz_settings_t, str) },
    { "fuzz", "num", PW_OPT_INT, -1000, 1000, "0", "an integer", offsetof(fz_settings_t, num) },
    { "fuzz", "flag", PW_OPT_BOOL, 0, 0, "no", "a boolean", offsetof(fz_settings_t, flag) },
    { "fuzz", "dur", PW_OPT_DURATION, 0, 0, "5s", "a duration", offsetof(fz_settings_t, dur) },
    { "fuzz", "size", PW_OPT_SIZE, 0, 0, "1k", "a size", offsetof(fz_settings_t, size) },
    { "fuzz", "jid", PW_OPT_JID, 0, 0, NULL, "a JID (required)", offsetof(fz_settings_t, jid) },
    { "fuzz", "domain", PW_OPT_DOMAIN, 0, 0, "a.example", "a domain", offsetof(fz_settings_t, domain) },
    { "fuzz", "host", PW_OPT_HOST, 0, 0, "127.0.0.1", "a host", offsetof(fz_settings_t, host) },
    { "fuzz", "port", PW_OPT_PORT, 0, 0, "5347", "a port", offsetof(fz_settings_t, port) },
    { "fuzz", "path", PW_OPT_PATH, 0, 0, "/tmp", "a path", offsetof(fz_settings_t, path) },
    { "fuzz", "level", PW_OPT_LOGLEVEL, 0, 0, "info", "a log level", offsetof(fz_settings_t, level) },
    { "fuzz", "list", PW_OPT_LIST, 0, 8, "", "a list", offsetof(fz_settings_t, list) },
};
#define FZ_NOPTIONS (sizeof fz_options / sizeof fz_options[0])

/* [peers] network = duration: exercises the helpers map handlers use. */
static pw_status_t fz_peer(void *settings, const char *key, const char *value, char *why, size_t cap)
{
    fz_settings_t *s = settings;
    int64_t v;
    int b;
    if (pw_config_parse_duration(value, &v) != PW_OK && pw_config_parse_size(value, &v) != PW_OK &&
        pw_config_parse_bool(value, &b) != PW_OK) {
        snprintf(why, cap, "'%s' is neither a duration, a size nor a boolean", value);
        return PW_ECONFIG;
    }
    s->peers++;
    s->peer_bytes += strlen(key) + strlen(value);
    return PW_OK;
}

static const pw_config_map_t fz_maps[] = {
    { "peers", fz_peer, "network = duration, size or boolean" },
};

/* The input as a configuration file. */
static void fz_use(const char *path, const uint8_t *data, size_t size)
{
    char text[1024];
    fz_settings_t s;
    pw_config_error_t err;

    (void)data;
    (void)size;
    memset(&s, 0, sizeof s);
    if (pw_config_load(path, fz_options, FZ_NOPTIONS, fz_maps, 1, &s, &err) == PW_OK) {
        /* what loaded is within its declared bounds */
        if (s.num < -1000 || s.num > 1000 || (s.flag != 0 && s.flag != 1) || s.port < 1 ||
            s.port > 65535 || !s.jid || !s.common.jid || s.list.n > 8 || (s.str && strlen(s.str) > 64))
            __builtin_trap();
        pw_config_free(fz_options, FZ_NOPTIONS, &s);
    } else {
        (void)pw_config_error_text(&err, text, sizeof text);
        pw_config_free(fz_options, FZ_NOPTIONS, &s); /* harmless after a failed load */
    }
}

static const pwf_file_target_t fz_target = { "fuzz-config", "fuzz.conf", fz_use };
PWF_FILE_TARGET(fz_target)
