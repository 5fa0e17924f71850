/* main.c: peerwatch-cdr, the charge-record tool: verify a directory, print the settlement statement, reconcile two operators. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charging/pw_cdr.h"
#include "core/pw_log.h"

/* Exit codes (documented in --help and docs/charging.md). */
enum { EXIT_OK = 0, EXIT_PROBLEM = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

static const char help_text[] =
    "NAME\n"
    "    peerwatch-cdr - verify, settle and reconcile Peerwatch charge records\n"
    "\n"
    "SYNOPSIS\n"
    "    peerwatch-cdr verify [--partial] DIR...\n"
    "    peerwatch-cdr settle [--from TIME] [--to TIME] [--charged NETWORK]\n"
    "                         [--format table|csv|json] DIR...\n"
    "    peerwatch-cdr reconcile [--from TIME] [--to TIME] [--charged NETWORK]\n"
    "                         [--serving NETWORK] [--format table|csv|json]\n"
    "                         SENT_DIR CHARGED_DIR...\n"
    "    peerwatch-cdr --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Charge records are written by the presence servers (one per enquiry, one per\n"
    "    ended subscription) in the line format of docs/charging.md (JSON Lines, a header\n"
    "    per file, a SHA-256 chain across files).\n"
    "\n"
    "    verify DIR...\n"
    "        Walk every charge-record file of each DIR in order (per node, by sequence\n"
    "        number) and check the header, the file name, the sequence and the hash chain.\n"
    "        The first problem is printed as FILE:LINE: seq N: KIND: explanation, where\n"
    "        KIND is gap, edited, reorder, duplicate, truncated, malformed or io.\n"
    "        --partial   accept a node whose oldest file does not start at seq 1\n"
    "                    (older files archived elsewhere).\n"
    "\n"
    "    settle DIR...\n"
    "        Verify, then total the records per charged network and kind: records,\n"
    "        answered ok, answered with an error, durations (seconds) and notifications.\n"
    "        This is the inter-operator settlement statement.\n"
    "\n"
    "    reconcile SENT_DIR CHARGED_DIR...\n"
    "        Compare the enquiries the watcher side logged as sent (SENT_DIR, written by\n"
    "        the watcher application in the same format) with the records of the serving\n"
    "        operator's presence servers (one or more CHARGED_DIR), matched by enquiry_ref.\n"
    "        Lists only-sent (no charge record), only-charged (never sent), mismatch (kind\n"
    "        or outcome differ) and duplicate enquiries. Records within 5 minutes outside\n"
    "        the period still take part in matching, so clock skew causes no false\n"
    "        differences.\n"
    "\n"
    "OPTIONS\n"
    "    --from TIME      only records at or after TIME (UTC: YYYY-MM-DD,\n"
    "                     YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DDTHH:MM:SS.mmmZ)\n"
    "    --to TIME        only records before TIME\n"
    "    --charged NET    only records charging network NET\n"
    "    --serving NET    (reconcile) only enquiries served by network NET\n"
    "    --format FMT     table (default), csv (RFC 4180, header line) or json\n"
    "    --partial        (all commands) see verify\n"
    "    -h, --help       this text\n"
    "    --version        the program and format version\n"
    "\n"
    "EXIT STATUS\n"
    "    0   no problem (verify: all files intact; reconcile: no difference)\n"
    "    1   a problem was found (verify failed, or reconcile found differences;\n"
    "        settle and reconcile also verify their directories first)\n"
    "    2   usage error\n"
    "    3   I/O error (a directory or file could not be read, output failed)\n";

static int usage(const char *msg)
{
    fprintf(stderr, "peerwatch-cdr: %s\nTry 'peerwatch-cdr --help'.\n", msg);
    return EXIT_USAGE;
}

typedef struct {
    uint64_t from_ms;
    uint64_t to_ms;
    const char *charged;
    const char *serving;
    pw_cdr_output_t format;
    pw_cdr_verify_options_t vopt;
} options_t;

/* Parse the options of a command; *first receives the index of the first operand. */
static int parse_options(int argc, char **argv, options_t *o, int *first)
{
    static const struct option longopts[] = {
        { "from", required_argument, NULL, 'f' },    { "to", required_argument, NULL, 't' },
        { "charged", required_argument, NULL, 'c' }, { "serving", required_argument, NULL, 's' },
        { "format", required_argument, NULL, 'F' },  { "partial", no_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
        case 't':
            if (pw_cdr_time_parse(optarg, c == 'f' ? &o->from_ms : &o->to_ms) != PW_OK) {
                char msg[80];
                snprintf(msg, sizeof msg, "--%s: not a UTC time (YYYY-MM-DD[THH:MM:SS[.mmm]Z])",
                         c == 'f' ? "from" : "to");
                return usage(msg);
            }
            break;
        case 'c':
            o->charged = optarg;
            break;
        case 's':
            o->serving = optarg;
            break;
        case 'F':
            if (pw_cdr_output_parse(optarg, &o->format) != PW_OK)
                return usage("--format: one of table, csv, json");
            break;
        case 'p':
            o->vopt.partial = 1;
            break;
        case 'h':
            fputs(help_text, stdout);
            exit(EXIT_OK);
        default:
            return usage("unknown option or missing argument");
        }
    }
    if (o->to_ms && o->to_ms <= o->from_ms)
        return usage("--to must be after --from");
    *first = optind;
    return EXIT_OK;
}

/* Verify dir, feeding records to cb; prints the problem; returns an exit code. */
static int walk(const char *dir, const options_t *o, pw_cdr_record_cb cb, void *arg, int quiet_ok)
{
    pw_cdr_problem_t p;
    pw_cdr_verify_summary_t sum;
    pw_status_t st = pw_cdr_verify_dir(dir, &o->vopt, cb, arg, &p, &sum);
    if (st == PW_OK) {
        if (!quiet_ok)
            printf("%s: ok: %" PRIu64 " file(s), %" PRIu64 " record(s), %" PRIu64 " node(s)\n", dir,
                   sum.files, sum.records, sum.nodes);
        return EXIT_OK;
    }
    if (st == PW_ENOMEM) {
        fprintf(stderr, "peerwatch-cdr: out of memory\n");
        return EXIT_IO;
    }
    fprintf(quiet_ok ? stderr : stdout, "%s:%" PRIu64 ": seq %" PRIu64 ": %s: %s\n", p.file, p.line,
            p.seq, pw_cdr_problem_name(p.kind), p.text);
    return st == PW_EIO ? EXIT_IO : EXIT_PROBLEM;
}

static int cmd_verify(int argc, char **argv)
{
    options_t o;
    int first, rc = parse_options(argc, argv, &o, &first);
    if (rc != EXIT_OK)
        return rc;
    if (first >= argc)
        return usage("verify: no directory given");
    for (int i = first; i < argc; i++) {
        int r = walk(argv[i], &o, NULL, NULL, 0);
        if (r > rc)
            rc = r;
    }
    return rc;
}

typedef struct {
    pw_cdr_settle_t *settle;
    pw_cdr_reconcile_t *rec;
    pw_cdr_side_t side;
    int failed;
} feed_t;

static void feed_settle(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    feed_t *f = arg;
    (void)file;
    (void)line;
    if (pw_cdr_settle_add(f->settle, rec) != PW_OK)
        f->failed = 1;
}

static void feed_reconcile(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    feed_t *f = arg;
    (void)file;
    (void)line;
    if (pw_cdr_reconcile_add(f->rec, f->side, rec) != PW_OK)
        f->failed = 1;
}

static int cmd_settle(int argc, char **argv)
{
    options_t o;
    feed_t f = { NULL, NULL, PW_CDR_SIDE_SENT, 0 };
    int first, rc = parse_options(argc, argv, &o, &first);
    if (rc != EXIT_OK)
        goto done;
    if (first >= argc) {
        rc = usage("settle: no directory given");
        goto done;
    }
    if (pw_cdr_settle_create(&f.settle, o.from_ms, o.to_ms, o.charged) != PW_OK) {
        rc = usage("settle: bad period or network");
        goto done;
    }
    for (int i = first; i < argc && rc == EXIT_OK; i++)
        rc = walk(argv[i], &o, feed_settle, &f, 1);
    if (rc == EXIT_OK && f.failed)
        rc = EXIT_IO;
    if (rc == EXIT_OK && (pw_cdr_settle_write(f.settle, stdout, o.format) != PW_OK || fflush(stdout) != 0))
        rc = EXIT_IO;
done:
    pw_cdr_settle_destroy(f.settle);
    return rc;
}

static int cmd_reconcile(int argc, char **argv)
{
    options_t o;
    feed_t f = { NULL, NULL, PW_CDR_SIDE_SENT, 0 };
    size_t ndiff = 0;
    int first, rc = parse_options(argc, argv, &o, &first);
    if (rc != EXIT_OK)
        goto done;
    if (argc - first < 2) {
        rc = usage("reconcile: give SENT_DIR and at least one CHARGED_DIR");
        goto done;
    }
    if (pw_cdr_reconcile_create(&f.rec, o.from_ms, o.to_ms, o.charged, o.serving) != PW_OK) {
        rc = usage("reconcile: bad period");
        goto done;
    }
    for (int i = first; i < argc && rc == EXIT_OK; i++) {
        f.side = i == first ? PW_CDR_SIDE_SENT : PW_CDR_SIDE_CHARGED;
        rc = walk(argv[i], &o, feed_reconcile, &f, 1);
    }
    if (rc == EXIT_OK && (f.failed || pw_cdr_reconcile_run(f.rec, &ndiff) != PW_OK))
        rc = EXIT_IO;
    if (rc == EXIT_OK && (pw_cdr_reconcile_write(f.rec, stdout, o.format) != PW_OK || fflush(stdout) != 0))
        rc = EXIT_IO;
    if (rc == EXIT_OK && ndiff > 0)
        rc = EXIT_PROBLEM;
done:
    pw_cdr_reconcile_destroy(f.rec);
    return rc;
}

int main(int argc, char **argv)
{
    pw_log_setup("peerwatch-cdr", PW_LOG_WARN);
    if (argc < 2)
        return usage("no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(help_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("peerwatch-cdr (peerwatch) %s, charge-record format version %u\n", PACKAGE_VERSION,
               PW_CDR_FORMAT_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "settle") == 0)
        return cmd_settle(argc - 1, argv + 1);
    if (strcmp(argv[1], "reconcile") == 0)
        return cmd_reconcile(argc - 1, argv + 1);
    return usage("unknown command (verify, settle, reconcile)");
}
