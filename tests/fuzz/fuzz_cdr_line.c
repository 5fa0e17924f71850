/* fuzz_cdr_line.c: libFuzzer target: one charge-record line (docs/charging.md) through pw_cdr_line_parse, and what parses formatted again. */
#include <string.h>

#include "fuzz_util.h"
#include "charging/pw_cdr.h"
#include "core/pw_log.h"

static pw_cdr_line_t fz_line, fz_again; /* large: kept off the stack */
static char fz_buf[PW_CDR_LINE_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-cdr-line", PW_LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char hash[PW_CDR_HASH_HEX];
    size_t len = 0;
    pw_status_t st;

    if (size > PWF_MAX_INPUT)
        return 0;
    st = pw_cdr_line_parse((const char *)data, size, &fz_line);
    if (st != PW_OK)
        return 0;
    /* a line that parsed with a good hash formats back to a line that parses to the same hash */
    if (fz_line.type == PW_CDR_LINE_RECORD) {
        if (pw_cdr_record_check(&fz_line.record) != PW_OK)
            return 0;
        st = pw_cdr_format_record(&fz_line.record, fz_line.record.prev, fz_buf, sizeof fz_buf,
                                  &len, hash);
    } else {
        st = pw_cdr_format_header(&fz_line.header, fz_buf, sizeof fz_buf, &len, hash);
    }
    if (st != PW_OK || len == 0)
        return 0;
    if (pw_cdr_line_parse(fz_buf, len - 1, &fz_again) != PW_OK || fz_again.type != fz_line.type)
        __builtin_trap();
    return 0;
}
