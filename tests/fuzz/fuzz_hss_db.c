/* fuzz_hss_db.c: libFuzzer target: the input as an HSS subscriber file (docs/hss.md) loaded by hss_db_load, and every record found again. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "subscriber_db.h"
#include "core/pw_log.h"

/* The input as the subscriber file. */
static void fz_use(const char *path, const uint8_t *data, size_t size)
{
    char err[512];
    hss_db_t *db = NULL;
    hss_subscriber_t sub, again;
    const char *p, *end, *nl;

    if (hss_db_load(path, &db, err, sizeof err) == PW_OK) {
        (void)hss_db_memory(db);
        /* every line's first field that is a loaded number finds a record that finds itself */
        for (p = (const char *)data, end = p + size; p < end; p = nl + 1) {
            char field[64];
            size_t n = 0;
            nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                nl = end;
            while (p + n < nl && n < sizeof field - 1 && p[n] != ' ' && p[n] != '\t' && p[n] != '\r') {
                field[n] = p[n];
                n++;
            }
            field[n] = '\0';
            if (hss_db_find_msisdn(db, field, &sub) != PW_OK)
                continue;
            if (strcmp(sub.msisdn, field) != 0 || hss_db_find_jid(db, sub.jid, &again) != PW_OK ||
                strcmp(again.msisdn, sub.msisdn) != 0)
                __builtin_trap();
        }
        (void)hss_db_find_jid(db, "alice@opa.example", &sub);
        hss_db_destroy(db);
    }
}

static const pwf_file_target_t fz_target = { "fuzz-hss-db", "subscribers", fz_use };
PWF_FILE_TARGET(fz_target)
