/* chain_util.c: helpers shared by the chain and subscription integration tests (enquiries and their answers). */
#include "chain_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pwt_client_t *chain_login(const char *user)
{
    pwt_client_t *c = NULL;
    cr_assert_not_null(pwt_trialenv("OPA_C2S"), "the trial is up (see the runner's output above)");
    cr_assert_eq(pwt_trialenv_login(user, &c), PW_OK, "%s logs in", user);
    return c;
}

xmpp_stanza_t *chain_enquire(pwt_client_t *c, const char *attrs)
{
    const char *jid = pwt_client_jid(c);
    const char *at = strchr(jid, '@');
    char domain[128];
    xmpp_stanza_t *r;
    snprintf(domain, sizeof domain, "%.*s", (int)strcspn(at + 1, "/"), at + 1);
    r = pwt_client_iqf(c, 30000, "<iq type='set' to='watcher.%s'><enquiry xmlns='urn:peerwatch:0' %s/></iq>",
                       domain, attrs);
    cr_assert_not_null(r, "an answer (never silence) to <enquiry %s/>", attrs);
    return r;
}

pw_error_t chain_error(xmpp_stanza_t *r, char *text, size_t cap)
{
    char *xml = NULL;
    size_t len;
    if (strcmp(xmpp_stanza_get_type(r), "error") != 0) {
        xmpp_stanza_to_text(r, &xml, &len);
        cr_assert_fail("expected an error, got: %s", xml);
    }
    return pw_stanza_error_parse(r, text, cap);
}

xmpp_stanza_t *chain_result(xmpp_stanza_t *r)
{
    char text[512];
    if (strcmp(xmpp_stanza_get_type(r), "result") != 0) {
        pw_error_t cond = pw_stanza_error_parse(r, text, sizeof text);
        cr_assert_fail("expected a result, got %s: %s", pw_error_name(cond), text);
    }
    return xmpp_stanza_get_child_by_name(r, "enquiry");
}

xmpp_stanza_t *chain_state(xmpp_stanza_t *r)
{
    xmpp_stanza_t *e, *st;
    chain_result(r);
    e = xmpp_stanza_get_child_by_name_and_ns(r, "enquiry", "urn:peerwatch:0");
    cr_assert_not_null(e, "the result echoes the enquiry");
    st = xmpp_stanza_get_child_by_name(e, "state");
    cr_assert_not_null(st, "the result carries a <state/>");
    return st;
}

const char *chain_attr(xmpp_stanza_t *s, const char *name)
{
    const char *v = s ? xmpp_stanza_get_attribute(s, name) : NULL;
    return v ? v : "";
}

void chain_present(pwt_client_t *c, const char *show, const char *status, int priority)
{
    cr_assert_eq(pwt_client_presence(c, show, status, priority), PW_OK);
    pwt_client_run(c, 300);
}

int chain_env_host_port(const char *key, char *host, size_t cap)
{
    const char *v = pwt_trialenv(key), *colon;
    cr_assert_not_null(v, "trial.env names %s (is the trial up? see the runner's output)", key);
    colon = strrchr(v, ':');
    cr_assert_not_null(colon, "%s=%s is HOST:PORT", key, v);
    snprintf(host, cap, "%.*s", (int)(colon - v), v);
    return atoi(colon + 1);
}

void chain_assert_bob_seen_away(void)
{
    pwt_client_t *bob = chain_login("bob"), *alice = chain_login("alice");
    xmpp_stanza_t *r, *st;

    chain_present(bob, "away", "In a meeting", 5);
    r = chain_enquire(alice, "address='+12025550123' kind='current'");
    st = chain_state(r);
    cr_assert_str_eq(chain_attr(st, "available"), "true");
    cr_assert_str_eq(chain_attr(st, "show"), "away");
    xmpp_stanza_release(r);
    pwt_client_destroy(alice);
    pwt_client_destroy(bob);
}

pw_error_t chain_refused(const char *user, const char *attrs, char *text, size_t cap)
{
    pwt_client_t *c = chain_login(user);
    xmpp_stanza_t *r = chain_enquire(c, attrs);
    pw_error_t cond = chain_error(r, text, cap);
    xmpp_stanza_release(r);
    pwt_client_destroy(c);
    return cond;
}

pw_error_t chain_refused_iq(const char *user, const char *xml, unsigned timeout_ms, char *text, size_t cap)
{
    pwt_client_t *c = chain_login(user);
    xmpp_stanza_t *r = pwt_client_iq(c, xml, timeout_ms);
    pw_error_t cond;
    cr_assert_not_null(r, "an answer to %s", xml);
    cond = chain_error(r, text, cap);
    xmpp_stanza_release(r);
    pwt_client_destroy(c);
    return cond;
}

int chain_is_subscribe(xmpp_stanza_t *s, void *arg)
{
    const char *type = xmpp_stanza_get_type(s);
    (void)arg;
    return strcmp(xmpp_stanza_get_name(s), "presence") == 0 && type && strcmp(type, "subscribe") == 0;
}

/* chain_cdr_records()'s callback and its argument, behind pw_cdr_verify_dir()'s. */
typedef struct {
    chain_record_fn fn;
    void *arg;
} chain_records_t;

static void chain_record(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    const chain_records_t *r = arg;
    (void)file;
    (void)line;
    r->fn(rec, r->arg);
}

pw_status_t chain_cdr_records(const char *dir, chain_record_fn fn, void *arg, pw_cdr_problem_t *problem,
                              pw_cdr_verify_summary_t *sum)
{
    chain_records_t r = { fn, arg };
    return pw_cdr_verify_dir(dir, NULL, chain_record, &r, problem, sum);
}

/* How many bytes the log at path holds now (where the next enquiry's lines will start). */
long chain_log_size(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    long size;
    cr_assert_not_null(f, "log %s readable", path ? path : "(none)");
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    fclose(f);
    return size;
}

/* The first log line from byte from on that contains every one of the texts (NULL-ended);
 * copies its stanza id (the "[id=…]" the runtime's logger writes) into id. 1 when found. */
int chain_log_find(const char *path, long from, const char *const texts[], char *id, size_t cap)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "log %s readable", path);
    cr_assert_eq(fseek(f, from, SEEK_SET), 0);
    while (!found && fgets(line, sizeof line, f)) {
        const char *tag = strstr(line, "[id=");
        found = 1;
        for (size_t i = 0; found && texts[i]; i++)
            found = strstr(line, texts[i]) != NULL;
        if (found && id)
            snprintf(id, cap, "%.*s", tag ? (int)strcspn(tag + 4, "]") : 0, tag ? tag + 4 : "");
    }
    fclose(f);
    return found;
}
