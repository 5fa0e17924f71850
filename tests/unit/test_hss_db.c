/* test_hss_db.c: unit tests of the HSS subscriber database (file format, lookups, reload). */
#include <criterion/criterion.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subscriber_db.h"

/* A private temp dir per test, removed afterwards with the files written into it. */
typedef struct tmp {
    char dir[64];
    char path[8][128];
    int n;
} tmp_t;

static void tmp_init(tmp_t *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/test_hss_db.XXXXXX");
    cr_assert_not_null(mkdtemp(t->dir));
}

static void tmp_fini(tmp_t *t)
{
    for (int i = 0; i < t->n; i++)
        unlink(t->path[i]);
    rmdir(t->dir);
}

/* Write text to a new file in t; @return its path (owned by t). */
static const char *tmp_write(tmp_t *t, const char *text, size_t len)
{
    cr_assert_lt(t->n, 8);
    char *p = t->path[t->n];
    char dir[sizeof t->dir];
    memcpy(dir, t->dir, sizeof dir);
    snprintf(p, sizeof t->path[0], "%s/f%d.subscribers", dir, t->n);
    t->n++;
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return p;
}

static const char *tmp_text(tmp_t *t, const char *text)
{
    return tmp_write(t, text, strlen(text));
}

/* Load text, expecting failure with status st and an error starting "PATH:LINE: " that contains what. */
static void expect_bad(const char *text, int line, pw_status_t st, const char *what)
{
    tmp_t t;
    tmp_init(&t);
    const char *path = tmp_text(&t, text);
    hss_db_t *db = (hss_db_t *)&t; /* must be reset to NULL */
    char err[512];
    pw_status_t got = hss_db_load(path, &db, err, sizeof err);
    cr_assert_eq(got, st, "status %d for %s (err: %s)", got, text, err);
    cr_assert_null(db);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "error '%s' lacks prefix '%s'", err, prefix);
    cr_assert_not_null(strstr(err, what), "error '%s' lacks '%s'", err, what);
    tmp_fini(&t);
}

/* Load text that must be accepted. */
static hss_db_t *load_ok(tmp_t *t, const char *text)
{
    const char *path = tmp_text(t, text);
    hss_db_t *db = NULL;
    char err[512] = "";
    cr_assert_eq(hss_db_load(path, &db, err, sizeof err), PW_OK, "load failed: %s", err);
    cr_assert_not_null(db);
    cr_assert_str_empty(err);
    return db;
}

#define GOOD1 "+447700900001 alice@opa.example ps1.opa.example active prepaid 100\n"
#define GOOD2 "+447700900002 carol@opa.example ps1.opa.example active prepaid 0\n"

Test(hss_db, fixture_operator_a)
{
    hss_db_t *db = NULL;
    char err[512] = "";
    cr_assert_eq(hss_db_load(PWT_SRCDIR "/conf" "/hss-opa.subscribers", &db, err, sizeof err), PW_OK, "%s", err);
    cr_assert_eq(hss_db_count(db), 3);
    hss_subscriber_t s;
    cr_assert_eq(hss_db_find_jid(db, "alice@opa.example", &s), PW_OK);
    cr_assert_str_eq(s.msisdn, "+447700900001");
    cr_assert_str_eq(s.presence_server, "ps1.opa.example");
    cr_assert(!s.barred && s.prepaid && s.balance == 100);
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900002", &s), PW_OK);
    cr_assert_str_eq(s.jid, "carol@opa.example");
    cr_assert(!s.barred && s.prepaid && s.balance == 0);
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900003", &s), PW_OK);
    cr_assert_str_eq(s.jid, "dave@opa.example");
    cr_assert(s.barred && s.prepaid && s.balance == 50);
    cr_assert_eq(hss_db_find_jid(db, "bob@opb.example", &s), PW_ENOTFOUND);
    hss_db_destroy(db);
}

Test(hss_db, fixture_operator_b)
{
    hss_db_t *db = NULL;
    char err[512] = "";
    cr_assert_eq(hss_db_load(PWT_SRCDIR "/conf" "/hss-opb.subscribers", &db, err, sizeof err), PW_OK, "%s", err);
    cr_assert_eq(hss_db_count(db), 4);
    static const char *const want[][3] = {
        {"+12025550123", "bob@opb.example", "ps1.opb.example"},
        {"+12025550124", "erin@opb.example", "ps2.opb.example"},
        {"+12025550125", "frank@opb.example", "ps1.opb.example"},
        {"+447700900050", "grace@opb.example", "ps2.opb.example"},
    };
    for (size_t i = 0; i < 4; i++) {
        hss_subscriber_t s;
        cr_assert_eq(hss_db_find_msisdn(db, want[i][0], &s), PW_OK, "%s", want[i][0]);
        cr_assert_str_eq(s.jid, want[i][1]);
        cr_assert_str_eq(s.presence_server, want[i][2]);
        cr_assert(!s.barred && !s.prepaid && s.balance == 0);
    }
    cr_assert_eq(hss_db_find_msisdn(db, "+12025550199", NULL), PW_ENOTFOUND);
    hss_db_destroy(db);
}

Test(hss_db, every_field_parsed)
{
    tmp_t t;
    tmp_init(&t);
    hss_db_t *db = load_ok(&t, "+12025550123\tBob.Smith@OPB.Example\tPS1.opb.EXAMPLE  barred postpaid 42\n"
                               "+123456789012345 x@a.b ps-2.a.b active postpaid -\n"
                               "+12345678 y@a.b ps1.a.b active prepaid 9223372036854775807\n");
    cr_assert_eq(hss_db_count(db), 3);
    hss_subscriber_t s;
    cr_assert_eq(hss_db_find_msisdn(db, "+12025550123", &s), PW_OK);
    cr_assert_str_eq(s.msisdn, "+12025550123");
    cr_assert_str_eq(s.jid, "Bob.Smith@opb.example"); /* domain folded, localpart kept */
    cr_assert_str_eq(s.presence_server, "ps1.opb.example");
    cr_assert_eq(s.barred, 1);
    cr_assert_eq(s.prepaid, 0);
    cr_assert_eq(s.balance, 42);
    cr_assert_eq(hss_db_find_msisdn(db, "+123456789012345", &s), PW_OK);
    cr_assert_str_eq(s.jid, "x@a.b");
    cr_assert_str_eq(s.presence_server, "ps-2.a.b");
    cr_assert(!s.barred && !s.prepaid && s.balance == 0);
    cr_assert_eq(hss_db_find_jid(db, "y@a.b", &s), PW_OK);
    cr_assert_str_eq(s.msisdn, "+12345678");
    cr_assert(!s.barred && s.prepaid);
    cr_assert_eq(s.balance, INT64_MAX);
    cr_assert_gt(hss_db_memory(db), 0);
    hss_db_destroy(db);
    tmp_fini(&t);
}

Test(hss_db, comments_blank_lines_and_line_ends)
{
    tmp_t t;
    tmp_init(&t);
    hss_db_t *db = load_ok(&t, "# header comment\n"
                               "\n"
                               "   \t  \n"
                               "   # indented comment\n"
                               "+447700900001 alice#1@opa.example ps1.opa.example active prepaid 100 # trailing\n"
                               "+447700900002 carol@opa.example ps1.opa.example active prepaid 0\r\n"
                               "\r\n"
                               "+447700900003 dave@opa.example ps1.opa.example barred prepaid 50");
    cr_assert_eq(hss_db_count(db), 3);
    cr_assert_eq(hss_db_find_jid(db, "alice#1@opa.example", NULL), PW_OK); /* '#' inside a field */
    hss_subscriber_t s;
    cr_assert_eq(hss_db_find_jid(db, "carol@opa.example", &s), PW_OK);
    cr_assert_eq(s.balance, 0);
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900003", &s), PW_OK); /* last line without '\n' */
    cr_assert_eq(s.balance, 50);
    hss_db_destroy(db);
    tmp_fini(&t);
}

Test(hss_db, empty_file)
{
    tmp_t t;
    tmp_init(&t);
    hss_db_t *db = load_ok(&t, "# nobody yet\n");
    cr_assert_eq(hss_db_count(db), 0);
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900001", NULL), PW_ENOTFOUND);
    cr_assert_eq(hss_db_find_jid(db, "alice@opa.example", NULL), PW_ENOTFOUND);
    hss_db_destroy(db);
    db = load_ok(&t, "");
    cr_assert_eq(hss_db_count(db), 0);
    hss_db_destroy(db);
    tmp_fini(&t);
}

/* One bad value: the field that goes into a subscriber line, what the error says, and (or NULL) what else it says. */
typedef struct bad_case {
    const char *field;
    const char *what;
    const char *detail;
} bad_case_t;

/*
 * For each case, the file `before` the case's field `after` is refused with PW_ECONFIG at
 * `line`, the error saying the case's what (and detail).
 */
static void expect_bad_cases(const char *before, const char *after, int line, const bad_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s%s", before, cases[i].field, after);
        expect_bad(text, line, PW_ECONFIG, cases[i].what);
        if (cases[i].detail)
            expect_bad(text, line, PW_ECONFIG, cases[i].detail);
    }
}

#define NCASES(a) (sizeof a / sizeof a[0])

Test(hss_db, bad_msisdn)
{
    static const bad_case_t bad[] = {
        {"447700900001", "invalid MSISDN", NULL},     {"+0447700900001", "invalid MSISDN", NULL},
        {"+1234567", "invalid MSISDN", NULL},         {"+1234567890123456", "invalid MSISDN", NULL},
        {"+4477009000a1", "invalid MSISDN", NULL},    {"++447700900001", "invalid MSISDN", NULL},
        {"+", "invalid MSISDN", NULL},                {"+44-7700900001", "invalid MSISDN", NULL},
        {"+447700900001x", "invalid MSISDN", NULL},
    };
    expect_bad_cases("# c\n" GOOD1, " bob@opa.example ps1.opa.example active prepaid 1\n", 3, bad, NCASES(bad));
}

Test(hss_db, bad_jid)
{
    static const bad_case_t bad[] = {
        {"bob.opa.example", "invalid JID", "missing localpart"},
        {"@opa.example", "invalid JID", "empty localpart"},
        {"bob@opa.example/res", "invalid JID", "resource not allowed"},
        {"bob@", "invalid JID", "empty domain"},
        {"bob@opa..example", "invalid JID", "bad domain label"},
        {"bob@-opa.example", "invalid JID", "bad domain label"},
        {"bob@opa.example.", "invalid JID", "bad domain label"},
        {"bob@opa_x.example", "invalid JID", "bad character in domain"},
        {"bob@x@opa.example", "invalid JID", "more than one '@'"},
        {"b<o>b@opa.example", "invalid JID", "bad character in localpart"},
        {"b:b@opa.example", "invalid JID", "bad character in localpart"},
    };
    expect_bad_cases(GOOD1 "\n+447700900009 ", " ps1.opa.example active prepaid 1\n", 3, bad, NCASES(bad));
    char text[2100];
    char label[70];
    memset(label, 'a', 64);
    label[64] = '\0';
    snprintf(text, sizeof text, "+447700900009 bob@%s.example ps1.opa.example active prepaid 1\n", label);
    expect_bad(text, 1, PW_ECONFIG, "domain label too long");
}

Test(hss_db, bad_presence_server)
{
    static const bad_case_t bad[] = {
        {"ps1@opa.example", "invalid PRESENCE-SERVER", NULL},
        {"ps1.opa.example/r", "invalid PRESENCE-SERVER", NULL},
        {"ps1..opa", "invalid PRESENCE-SERVER", NULL},
    };
    expect_bad_cases(GOOD1 "+447700900009 bob@opa.example ", " active prepaid 1\n", 2, bad, NCASES(bad));
}

Test(hss_db, bad_status_account_balance)
{
    static const bad_case_t bad[] = {
        {"Active prepaid 1", "invalid STATUS 'Active'", NULL},
        {"suspended prepaid 1", "invalid STATUS", NULL},
        {"active credit 1", "invalid ACCOUNT 'credit'", NULL},
        {"active prepaid -5", "invalid BALANCE '-5'", NULL},
        {"active prepaid 1.5", "invalid BALANCE", NULL},
        {"active prepaid +1", "invalid BALANCE", NULL},
        {"active prepaid -", "prepaid account needs a BALANCE", NULL},
        {"active prepaid 9223372036854775808", "out of range", NULL},
    };
    expect_bad_cases(GOOD1 "+447700900009 bob@opa.example ps1.opa.example ", "\n", 2, bad, NCASES(bad));
}

Test(hss_db, field_count)
{
    expect_bad(GOOD1 GOOD2 "+447700900009 bob@opa.example ps1.opa.example active prepaid\n", 3, PW_ECONFIG,
               "missing field BALANCE");
    expect_bad("+447700900009 # comment too early\n", 1, PW_ECONFIG, "missing field JID");
    expect_bad(GOOD1 "+447700900009 bob@opa.example ps1.opa.example active prepaid 1 extra\n", 2, PW_ECONFIG,
               "unexpected field 'extra'");
}

Test(hss_db, line_too_long)
{
    /* A long line in the middle of the file and one at its end (no '\n'). */
    size_t n = HSS_DB_MAX_LINE + 100;
    char *text = malloc(2 * n + 256);
    cr_assert_not_null(text);
    int k = snprintf(text, 256, GOOD1 "%s", "+447700900009 bob@opa.example ps1.opa.example active prepaid 1 ");
    memset(text + k, ' ', n);
    snprintf(text + k + n, 128, "\n" GOOD2);
    expect_bad(text, 2, PW_ECONFIG, "line longer than");
    k = snprintf(text, 256, GOOD1 GOOD2 "#");
    memset(text + k, 'x', n);
    text[k + n] = '\0';
    expect_bad(text, 3, PW_ECONFIG, "line longer than");
    free(text);
}

Test(hss_db, nul_byte_refused)
{
    tmp_t t;
    tmp_init(&t);
    static const char text[] = GOOD1 "+447700900009 bob@opa.example ps1.opa\0x.example active prepaid 1\n";
    const char *path = tmp_write(&t, text, sizeof text - 1);
    hss_db_t *db = NULL;
    char err[512];
    cr_assert_eq(hss_db_load(path, &db, err, sizeof err), PW_ECONFIG);
    cr_assert_null(db);
    cr_assert_not_null(strstr(err, ":2: invalid PRESENCE-SERVER"), "%s", err);
    tmp_fini(&t);
}

Test(hss_db, duplicates)
{
    expect_bad("# a\n" GOOD1 GOOD2 "+447700900001 zed@opa.example ps1.opa.example active prepaid 1\n", 4, PW_ECONFIG,
               "duplicate MSISDN +447700900001 (first on line 2)");
    expect_bad(GOOD1 "\n" GOOD2 "+447700900009 carol@opa.example ps2.opa.example active postpaid -\n", 4,
               PW_ECONFIG, "duplicate JID carol@opa.example (first on line 3)");
    /* the first problem in file order is reported, whether a duplicate or a bad line */
    expect_bad(GOOD1 GOOD2 GOOD1 "+447700900009 bob@opa.example ps1.opa.example active prepaid x\n", 3, PW_ECONFIG,
               "duplicate MSISDN +447700900001 (first on line 1)");
    expect_bad(GOOD1 "+447700900009 bob@opa.example ps1.opa.example active prepaid x\n" GOOD1, 2, PW_ECONFIG,
               "invalid BALANCE 'x'");
    /* the domain is case-insensitive, so this is the same JID */
    expect_bad(GOOD1 "+447700900009 alice@OPA.Example ps2.opa.example active postpaid -\n", 2, PW_ECONFIG,
               "duplicate JID alice@opa.example (first on line 1)");
}

Test(hss_db, lookups)
{
    tmp_t t;
    tmp_init(&t);
    hss_db_t *db = load_ok(&t, GOOD1 GOOD2 "+12025550123 Bob@opb.example ps1.opb.example active postpaid -\n");
    hss_subscriber_t s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900001", &s), PW_OK);
    cr_assert_str_eq(s.jid, "alice@opa.example");
    static const struct {
        const char *msisdn;
        pw_status_t want;
    } misses[] = {
        { "+447700900004", PW_ENOTFOUND }, { "+4477009000011", PW_ENOTFOUND }, { "447700900001", PW_EINVAL },
        { "+44770090000", PW_ENOTFOUND },  { "+447700900001 ", PW_EINVAL },    { "+12345678901234567890", PW_EINVAL },
        { "", PW_EINVAL },
    };
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)
        cr_assert_eq(hss_db_find_msisdn(db, misses[i].msisdn, &s), misses[i].want, "'%s'", misses[i].msisdn);

    cr_assert_eq(hss_db_find_jid(db, "ALICE@opa.example", &s), PW_ENOTFOUND); /* localpart exact */
    cr_assert_eq(hss_db_find_jid(db, "alice@OPA.EXAMPLE", &s), PW_OK);       /* domain folded */
    cr_assert_str_eq(s.msisdn, "+447700900001");
    cr_assert_eq(hss_db_find_jid(db, "Bob@OpB.example", &s), PW_OK);
    cr_assert_str_eq(s.msisdn, "+12025550123");
    cr_assert_eq(hss_db_find_jid(db, "bob@opb.example", &s), PW_ENOTFOUND);
    cr_assert_eq(hss_db_find_jid(db, "alice@opa.example/phone", &s), PW_EINVAL);
    cr_assert_eq(hss_db_find_jid(db, "opa.example", &s), PW_EINVAL);
    cr_assert_eq(hss_db_find_jid(db, "", &s), PW_EINVAL);
    cr_assert_eq(hss_db_find_jid(db, "alice@opa.example", NULL), PW_OK);

    char *huge = malloc(5000);
    cr_assert_not_null(huge);
    memset(huge, 'a', 4999);
    huge[4999] = '\0';
    huge[10] = '@';
    cr_assert_eq(hss_db_find_jid(db, huge, &s), PW_EINVAL);
    free(huge);

    cr_assert_eq(hss_db_find_msisdn(NULL, "+447700900001", &s), PW_EINVAL);
    cr_assert_eq(hss_db_find_msisdn(db, NULL, &s), PW_EINVAL);
    cr_assert_eq(hss_db_find_jid(NULL, "alice@opa.example", &s), PW_EINVAL);
    cr_assert_eq(hss_db_find_jid(db, NULL, &s), PW_EINVAL);
    hss_db_destroy(db);
    tmp_fini(&t);
}

Test(hss_db, bad_arguments_and_missing_file)
{
    hss_db_t *db = NULL;
    char err[512];
    cr_assert_eq(hss_db_load(NULL, &db, err, sizeof err), PW_EINVAL);
    cr_assert_eq(hss_db_load("/nonexistent", NULL, err, sizeof err), PW_EINVAL);
    cr_assert_eq(hss_db_load("/nonexistent/hss.subscribers", &db, err, sizeof err), PW_EIO);
    cr_assert_null(db);
    cr_assert_not_null(strstr(err, "/nonexistent/hss.subscribers: cannot open"), "%s", err);
    cr_assert_eq(hss_db_load("/nonexistent/hss.subscribers", &db, NULL, 0), PW_EIO);
    char tiny[8];
    cr_assert_eq(hss_db_load("/nonexistent/hss.subscribers", &db, tiny, sizeof tiny), PW_EIO);
    cr_assert_eq(strlen(tiny), 7);
    cr_assert_eq(hss_db_count(NULL), 0);
    cr_assert_eq(hss_db_memory(NULL), 0);
    hss_db_destroy(NULL);
    cr_assert_eq(hss_db_reload_start(NULL, NULL), PW_EINVAL);
    cr_assert_eq(hss_db_reload_fd(NULL), -1);
    cr_assert_eq(hss_db_reload_finish(NULL, &db, err, sizeof err), PW_EINVAL);
}

/*
 * n good subscriber lines +4477009<i> u<i>@opa.example, all on ps1 (prepaid, balance i) or
 * each on its own ps<i> (postpaid), with room for `spare` more bytes after them.
 * @param len receives the text's length
 * @return the text (malloc'd, the caller frees)
 */
static char *many_subscribers(size_t n, int own_ps, size_t spare, size_t *len)
{
    size_t cap = n * 80 + spare;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (own_ps)
            k += (size_t)snprintf(text + k, cap - k, "+4477009%05zu u%zu@opa.example ps%zu.opa.example active postpaid -\n",
                                  i, i, i);
        else
            k += (size_t)snprintf(text + k, cap - k, "+4477009%05zu u%zu@opa.example ps1.opa.example active prepaid %zu\n",
                                  i, i, i);
    }
    *len = k;
    return text;
}

Test(hss_db, refused_as_a_whole)
{
    size_t n = 5000, k;
    char *text = many_subscribers(n, 0, 256, &k);
    snprintf(text + k, 256, "+447799999999 last@opa.example ps1.opa.example active prepaid oops\n");
    char what[64];
    snprintf(what, sizeof what, "invalid BALANCE 'oops'");
    expect_bad(text, (int)n + 1, PW_ECONFIG, what);
    free(text);
}

Test(hss_db, too_many_presence_servers)
{
    size_t n = HSS_DB_MAX_PRESENCE_SERVERS + 1, k;
    char *text = many_subscribers(n, 1, 64, &k);
    expect_bad(text, (int)n, PW_ERANGE, "distinct presence servers");
    free(text);
}

/* Wait until the reload fd is readable (bounded), like an event loop would. */
static void wait_reload(hss_db_reload_t *r)
{
    struct pollfd p = {.fd = hss_db_reload_fd(r), .events = POLLIN};
    cr_assert_geq(p.fd, 0);
    cr_assert_eq(poll(&p, 1, 10000), 1, "reload did not signal in 10 s");
    cr_assert(p.revents & POLLIN);
}

Test(hss_db, reload_success_and_failure)
{
    tmp_t t;
    tmp_init(&t);
    hss_db_t *db = load_ok(&t, GOOD1);
    hss_subscriber_t old;
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900001", &old), PW_OK);

    /* failure: the old db stays intact and keeps answering */
    const char *bad = tmp_text(&t, GOOD1 GOOD2 "+447700900003 dave@opa.example ps1.opa.example barred prepaid x\n");
    hss_db_reload_t *r = NULL;
    cr_assert_eq(hss_db_reload_start(bad, &r), PW_OK);
    cr_assert_not_null(r);
    cr_assert_eq(hss_db_find_jid(db, "alice@opa.example", NULL), PW_OK); /* served during the reload */
    wait_reload(r);
    hss_db_t *fresh = (hss_db_t *)&t;
    char err[512] = "";
    cr_assert_eq(hss_db_reload_finish(r, &fresh, err, sizeof err), PW_ECONFIG);
    cr_assert_null(fresh);
    cr_assert_not_null(strstr(err, ":3: invalid BALANCE"), "%s", err);
    cr_assert_eq(hss_db_count(db), 1);
    cr_assert_str_eq(old.jid, "alice@opa.example");
    cr_assert_eq(hss_db_find_msisdn(db, "+447700900002", NULL), PW_ENOTFOUND);

    /* success: swap, then destroy the old one */
    const char *good = tmp_text(&t, GOOD1 GOOD2);
    cr_assert_eq(hss_db_reload_start(good, &r), PW_OK);
    wait_reload(r);
    cr_assert_eq(hss_db_reload_finish(r, &fresh, err, sizeof err), PW_OK);
    cr_assert_not_null(fresh);
    cr_assert_str_empty(err);
    cr_assert_eq(hss_db_count(fresh), 2);
    cr_assert_eq(hss_db_find_msisdn(fresh, "+447700900002", NULL), PW_OK);
    cr_assert_str_eq(old.msisdn, "+447700900001"); /* old pointers valid until the old db is destroyed */
    hss_db_destroy(db);
    db = fresh;

    /* finish without waiting (joins), and discarding the result (shutdown) */
    cr_assert_eq(hss_db_reload_start(good, &r), PW_OK);
    cr_assert_eq(hss_db_reload_finish(r, NULL, NULL, 0), PW_OK);
    cr_assert_eq(hss_db_reload_start("/nonexistent/x", &r), PW_OK);
    cr_assert_eq(hss_db_reload_finish(r, &fresh, err, sizeof err), PW_EIO);
    cr_assert_null(fresh);
    cr_assert_not_null(strstr(err, "cannot open"), "%s", err);

    hss_db_destroy(db);
    tmp_fini(&t);
}

Test(hss_db, generated_round_trip, .timeout = 120)
{
    size_t n = 300000;
    tmp_t t;
    tmp_init(&t);
    char dir[sizeof t.dir];
    memcpy(dir, t.dir, sizeof dir);
    snprintf(t.path[0], sizeof t.path[0], "%s/gen.subscribers", dir);
    t.n = 1;
    /* mixed lengths, mixed-case domains, a few PSs, both account types, '-' and numbers */
    FILE *f = fopen(t.path[0], "w");
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) {
        char bal[32];
        if (i % 2)
            snprintf(bal, sizeof bal, "%zu", i * 3);
        else
            snprintf(bal, sizeof bal, "%s", i % 4 ? "-" : "7");
        fprintf(f, "+%zu%0*zu\tuser.%zu@Op%zu.Example ps%zu.op%zu.example %s %s %s\n", 1 + i % 9,
                (int)(7 + i % 7), i, i, i % 3, i % 5, i % 3, (i % 11) ? "active" : "barred",
                (i % 2) ? "prepaid" : "postpaid", bal);
    }
    cr_assert_eq(fclose(f), 0);

    hss_db_t *db = NULL;
    char err[512] = "";
    cr_assert_eq(hss_db_load(t.path[0], &db, err, sizeof err), PW_OK, "%s", err);
    cr_assert_eq(hss_db_count(db), n);
    for (size_t i = 0; i < n; i++) {
        char msisdn[32], jid[64], ps[64];
        snprintf(msisdn, sizeof msisdn, "+%zu%0*zu", 1 + i % 9, (int)(7 + i % 7), i); /* 8..14 digits */
        snprintf(jid, sizeof jid, "user.%zu@op%zu.example", i, i % 3);
        snprintf(ps, sizeof ps, "ps%zu.op%zu.example", i % 5, i % 3);
        hss_subscriber_t a, b;
        cr_assert_eq(hss_db_find_msisdn(db, msisdn, &a), PW_OK, "%s", msisdn);
        cr_assert_eq(hss_db_find_jid(db, jid, &b), PW_OK, "%s", jid);
        cr_assert_eq(a.msisdn, b.msisdn);
        cr_assert_str_eq(a.msisdn, msisdn);
        cr_assert_str_eq(a.jid, jid);
        cr_assert_str_eq(a.presence_server, ps);
        cr_assert_eq(a.barred, i % 11 == 0);
        cr_assert_eq(a.prepaid, (int)(i % 2));
        cr_assert_eq(a.balance, (int64_t)((i % 2) ? i * 3 : (i % 4 ? 0 : 7)));
        /* a miss next to each hit */
        snprintf(msisdn, sizeof msisdn, "+%zu%0*zu", 1 + i % 9, (int)(8 + i % 7), i);
        cr_assert_eq(hss_db_find_msisdn(db, msisdn, NULL), PW_ENOTFOUND, "%s", msisdn);
        snprintf(jid, sizeof jid, "user.%zu@op%zu.example", i, (i + 1) % 3);
        cr_assert_eq(hss_db_find_jid(db, jid, NULL), PW_ENOTFOUND, "%s", jid);
    }
    /* compact: well under 100 bytes per subscriber at this size */
    cr_assert_lt(hss_db_memory(db) / n, 100, "%zu bytes/subscriber", hss_db_memory(db) / n);
    hss_db_destroy(db);
    tmp_fini(&t);
}
