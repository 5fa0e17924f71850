/* test_presence_util.h: fixture shared by the Presence Server unit tests: a component on the fake transport, a manual clock, a CDR dir. */
#ifndef TEST_PRESENCE_UTIL_H
#define TEST_PRESENCE_UTIL_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "charging/pw_cdr.h"
#include "pw_presence.h"
#include "fake_transport.h"

#define TP_JID "ps1.opb.example"
#define TP_GATEWAY "gateway.opb.example"
#define TP_ATTRS "presentity='+12025550123' presentity-jid='bob@opb.example' " \
                 "watcher-msisdn='+447700900001' watcher-jid='alice@opa.example' watcher-network='opa.example'"

static uint64_t tp_now = 1000;
static pw_loop_t *tp_loop;
static xmpp_ctx_t *tp_ctx;
static pwfake_transport_t *tp_fake;
static pw_component_t *tp_comp;
static pw_presence_t *tp_ps;
static pw_presence_settings_t tp_settings;
static char tp_dir[64];
static char tp_cdr[96];

static inline uint64_t tp_clock(void *arg)
{
    (void)arg;
    return tp_now;
}

/* The wall clock follows the manual loop clock: 2023-11-14T22:13:20Z + tp_now. */
#define TP_EPOCH_MS 1700000000000ull
static inline uint64_t tp_wall(void *arg)
{
    (void)arg;
    return TP_EPOCH_MS + tp_now;
}

static inline int tp_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Load a config: the base below plus extra lines (appended to [presence] unless they open a section). */
static inline void tp_load(const char *extra)
{
    char path[128], why[512];
    pw_config_error_t err;
    FILE *f;
    snprintf(path, sizeof path, "%s/ps.conf", tp_dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "[component]\njid = " TP_JID "\nsecret = s\niq_timeout = 5s\n"
               "[charging]\ndir = %s\n"
               "[presence]\ngateway = " TP_GATEWAY "\nwatcher = watcher.opb.example\n"
               "network = opb.example\nstate_dir = %s/state\n%s\n", tp_cdr, tp_dir, extra ? extra : "");
    fclose(f);
    memset(&tp_settings, 0, sizeof tp_settings);
    cr_assert_eq(pw_config_load(path, pw_presence_options, pw_presence_option_count, NULL, 0,
                                &tp_settings, &err), PW_OK, "config: %s",
                 pw_config_error_text(&err, why, sizeof why));
    cr_assert_eq(pw_presence_check(&tp_settings, why, sizeof why), PW_OK, "%s", why);
    tp_settings.wall_clock = tp_wall;
}

/** Start a Presence Server on the fake transport (link up). */
static inline void tp_start(const char *extra)
{
    pw_component_opts_t o = { .jid = TP_JID, .name = "peerwatch-presence", .version = "0",
                              .disco_category = "component", .disco_type = "presence",
                              .disco_name = "PS", .iq_timeout_ms = 5000 };
    tp_now = 1000;
    strcpy(tp_dir, "/tmp/pw-ps-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tp_dir));
    snprintf(tp_cdr, sizeof tp_cdr, "%s/cdr", tp_dir);
    tp_load(extra);
    cr_assert_eq(pw_loop_create(&tp_loop), PW_OK);
    pw_loop_set_clock(tp_loop, tp_clock, NULL);
    xmpp_initialize();
    tp_ctx = xmpp_ctx_new(NULL, NULL);
    tp_fake = pwfake_transport_create(tp_ctx);
    cr_assert_eq(pw_component_create(&tp_comp, tp_loop, tp_ctx, &o, pwfake_transport_base(tp_fake)), PW_OK);
    cr_assert_eq(pw_presence_create(&tp_ps, tp_comp, &tp_settings), PW_OK);
    pwfake_transport_up(tp_fake);
}

/** Tear everything down (harmless when not started). */
static inline void tp_stop(void)
{
    pw_presence_destroy(tp_ps);
    tp_ps = NULL;
    if (tp_comp) {
        pw_component_destroy(tp_comp);
        tp_comp = NULL;
        xmpp_ctx_free(tp_ctx);
        xmpp_shutdown();
        tp_ctx = NULL;
    }
    pw_loop_destroy(tp_loop);
    tp_loop = NULL;
    pw_config_free(pw_presence_options, pw_presence_option_count, &tp_settings);
    if (tp_dir[0]) {
        nftw(tp_dir, tp_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        tp_dir[0] = '\0';
    }
}

/** Deliver a stanza written printf-style. */
static inline void tp_deliver(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tp_deliver(const char *fmt, ...)
{
    char xml[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(xml, sizeof xml, fmt, ap);
    va_end(ap);
    cr_assert_eq(pwfake_transport_deliver_xml(tp_fake, xml), 0, "parses: %s", xml);
}

/** The server of domain grants roster get and presence (XEP-0356 namespace version 1 or 2). */
static inline void tp_grant(const char *domain, int version)
{
    tp_deliver("<message from='%s' to='" TP_JID "'><privilege xmlns='urn:xmpp:privilege:%d'>"
               "<perm access='roster' type='get'/><perm access='presence' type='managed_entity'/>"
               "</privilege></message>", domain, version);
}

/** One loop iteration (the commit hook runs), after moving the manual clock by ms. */
static inline void tp_run(uint64_t ms)
{
    tp_now += ms;
    cr_assert_eq(pw_loop_run_once(tp_loop, 0), PW_OK);
}

/** The gateway sends an enquiry (id, ref, kind) about bob from alice (with the proxy the
 *  gateway adds to subscription kinds; 'changes' for 60 s). */
static inline void tp_enquiry(const char *id, const char *ref, const char *kind)
{
    tp_deliver("<iq type='set' id='%s' from='" TP_GATEWAY "' to='" TP_JID "'>"
               "<enquiry xmlns='urn:peerwatch:chain:0' ref='%s' kind='%s'%s%s " TP_ATTRS "/></iq>",
               id, ref, kind, strcmp(kind, "changes") == 0 ? " duration='60'" : "",
               strcmp(kind, "current") != 0 ? " proxy='proxy.opa.example'" : "");
}

/** The last sent IQ whose payload is in ns (NULL if none). */
static inline xmpp_stanza_t *tp_sent_ns(const char *ns)
{
    for (size_t i = pwfake_transport_sent_count(tp_fake); i-- > 0;) {
        xmpp_stanza_t *s = pwfake_transport_sent(tp_fake, i);
        if (xmpp_stanza_get_child_by_ns(s, ns))
            return s;
    }
    return NULL;
}

/** How many sent stanzas carry a child in ns. */
static inline size_t tp_count_ns(const char *ns)
{
    size_t n = 0;
    for (size_t i = 0; i < pwfake_transport_sent_count(tp_fake); i++)
        n += xmpp_stanza_get_child_by_ns(pwfake_transport_sent(tp_fake, i), ns) != NULL;
    return n;
}

/** The answer (type result or error) sent to request id, or NULL. */
static inline xmpp_stanza_t *tp_answer(const char *id)
{
    for (size_t i = 0; i < pwfake_transport_sent_count(tp_fake); i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(tp_fake, i);
        const char *sid = xmpp_stanza_get_id(s), *type = xmpp_stanza_get_type(s);
        if (sid && strcmp(sid, id) == 0 && type &&
            (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
            return s;
    }
    return NULL;
}

/** The server answers the last roster get with these <item/>s. */
static inline void tp_roster(const char *items)
{
    xmpp_stanza_t *get = tp_sent_ns("jabber:iq:roster");
    cr_assert_not_null(get, "a roster get was sent");
    cr_assert_str_eq(xmpp_stanza_get_type(get), "get");
    tp_deliver("<iq type='result' id='%s' from='%s' to='" TP_JID "'>"
               "<query xmlns='jabber:iq:roster'>%s</query></iq>",
               xmpp_stanza_get_id(get), xmpp_stanza_get_to(get), items);
}

/** The error condition of the answer to id (asserts it is an error). */
static inline pw_error_t tp_error(const char *id, char *text, size_t cap)
{
    xmpp_stanza_t *a = tp_answer(id);
    cr_assert_not_null(a, "answer to %s sent", id);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "error", "answer to %s is an error", id);
    return pw_stanza_error_parse(a, text, cap);
}

/** The <state/> of the result to id (asserts it is a result). */
static inline void tp_state(const char *id, pw_presence_state_t *st)
{
    xmpp_stanza_t *a = tp_answer(id), *e, *s;
    cr_assert_not_null(a, "answer to %s sent", id);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "result", "answer to %s is a result", id);
    e = xmpp_stanza_get_child_by_ns(a, "urn:peerwatch:chain:0");
    cr_assert_not_null(e);
    cr_assert_str_eq(xmpp_stanza_get_name(e), "enquiry");
    s = xmpp_stanza_get_child_by_name(e, "state");
    cr_assert_not_null(s, "result carries a <state/>");
    cr_assert_eq(pw_state_parse(s, st), PW_OK);
}

/** Charge records read back from the directory. */
#define TP_RECORDS_MAX 16
typedef struct tp_records {
    size_t n;
    char outcome[TP_RECORDS_MAX][PW_CDR_OUTCOME_MAX]; /* of the first TP_RECORDS_MAX */
    char ref[TP_RECORDS_MAX][PW_CDR_REF_MAX];
    pw_cdr_record_t last;
} tp_records_t;

static inline void tp_record_cb(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    tp_records_t *r = arg;
    (void)file;
    (void)line;
    if (r->n < TP_RECORDS_MAX) {
        snprintf(r->outcome[r->n], sizeof r->outcome[r->n], "%s", rec->outcome);
        snprintf(r->ref[r->n], sizeof r->ref[r->n], "%s", rec->enquiry_ref);
    }
    r->n++;
    r->last = *rec;
}

/** Read every committed record (the directory must verify). */
static inline void tp_read_records(tp_records_t *out)
{
    pw_cdr_problem_t problem;
    memset(out, 0, sizeof *out);
    cr_assert_eq(pw_cdr_verify_dir(tp_cdr, NULL, tp_record_cb, out, &problem, NULL), PW_OK,
                 "cdr dir verifies: %s", problem.text);
}

/* ------------------------------------------------------------------ subscriptions */

#define TP_BOTH "<item jid='alice@opa.example' subscription='both'/>"

/** bob's phone sends a presence (show "" = plain online; "off" = unavailable). */
static inline void tp_bob(const char *show)
{
    if (strcmp(show, "off") == 0)
        tp_deliver("<presence type='unavailable' from='bob@opb.example/phone' to='" TP_JID "'/>");
    else if (!*show)
        tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "'/>");
    else
        tp_deliver("<presence from='bob@opb.example/phone' to='" TP_JID "'><show>%s</show></presence>", show);
}

/** A subscription enquiry (kind changes or next) answered from a roster with items, through the
 *  commit; returns the answer. */
static inline xmpp_stanza_t *tp_subscribe(const char *id, const char *kind, const char *items)
{
    tp_enquiry(id, id, kind);
    tp_roster(items);
    tp_run(0);
    cr_assert_not_null(tp_answer(id), "answer to %s", id);
    return tp_answer(id);
}

/** The <subscription/> of the result to id; its id copied into out. */
static inline xmpp_stanza_t *tp_subscription(const char *id, char *out, size_t cap)
{
    xmpp_stanza_t *a = tp_answer(id), *e, *sub;
    cr_assert_not_null(a);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "result", "answer to %s is a result", id);
    e = xmpp_stanza_get_child_by_ns(a, "urn:peerwatch:chain:0");
    cr_assert_not_null(e);
    sub = xmpp_stanza_get_child_by_name_and_ns(e, "subscription", "urn:peerwatch:0");
    cr_assert_not_null(sub, "the result carries a <subscription/>");
    cr_assert_not_null(xmpp_stanza_get_attribute(sub, "id"));
    snprintf(out, cap, "%s", xmpp_stanza_get_attribute(sub, "id"));
    return sub;
}

/** The i-th <notify/> IQ sent (0 = first), or NULL; *n receives how many were sent. */
static inline xmpp_stanza_t *tp_notify(size_t i, size_t *n)
{
    xmpp_stanza_t *found = NULL;
    size_t k = 0;
    for (size_t j = 0; j < pwfake_transport_sent_count(tp_fake); j++) {
        xmpp_stanza_t *st = pwfake_transport_sent(tp_fake, j), *el = xmpp_stanza_get_children(st);
        const char *type = xmpp_stanza_get_type(st);
        if (!type || strcmp(type, "set") != 0 || !el || !xmpp_stanza_get_name(el) ||
            strcmp(xmpp_stanza_get_name(el), "notify") != 0)
            continue;
        if (k++ == i)
            found = st;
    }
    if (n)
        *n = k;
    return found;
}

/** How many <notify/> IQs were sent. */
static inline size_t tp_notify_count(void)
{
    size_t n;
    tp_notify(0, &n);
    return n;
}

/** The <notify/> element of a notify IQ. */
static inline xmpp_stanza_t *tp_notify_el(xmpp_stanza_t *iq)
{
    cr_assert_not_null(iq);
    return xmpp_stanza_get_child_by_name_and_ns(iq, "notify", "urn:peerwatch:chain:0");
}

/** The gateway acknowledges a notify IQ. */
static inline void tp_ack(xmpp_stanza_t *iq)
{
    tp_deliver("<iq type='result' id='%s' from='%s' to='" TP_JID "'/>", xmpp_stanza_get_id(iq),
               xmpp_stanza_get_to(iq));
}

/** How many roster gets were sent. */
static inline size_t tp_roster_gets(void)
{
    return tp_count_ns("jabber:iq:roster");
}

/** Every committed record, with the records of kind 'end' counted apart. */
typedef struct tp_ends {
    size_t n;
    char outcome[TP_RECORDS_MAX][PW_CDR_OUTCOME_MAX];
    char subscription[TP_RECORDS_MAX][PW_CDR_SUBID_MAX];
    uint64_t duration[TP_RECORDS_MAX];
    uint64_t notifications[TP_RECORDS_MAX];
    size_t others;
} tp_ends_t;

static inline void tp_end_cb(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    tp_ends_t *e = arg;
    (void)file;
    (void)line;
    if (rec->kind != PW_CDR_KIND_END) {
        e->others++;
        return;
    }
    if (e->n < TP_RECORDS_MAX) {
        snprintf(e->outcome[e->n], sizeof e->outcome[e->n], "%s", rec->outcome);
        snprintf(e->subscription[e->n], sizeof e->subscription[e->n], "%s", rec->subscription_id);
        e->duration[e->n] = rec->duration_s;
        e->notifications[e->n] = rec->notifications;
    }
    e->n++;
}

/** Read the committed end records. */
static inline void tp_read_ends(tp_ends_t *out)
{
    pw_cdr_problem_t problem;
    memset(out, 0, sizeof *out);
    cr_assert_eq(pw_cdr_verify_dir(tp_cdr, NULL, tp_end_cb, out, &problem, NULL), PW_OK,
                 "cdr dir verifies: %s", problem.text);
}

#endif /* TEST_PRESENCE_UTIL_H */
