/* presence_driver.c: drives a Presence Server in unit tests (see presence_driver.h). */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "presence_driver.h"

/* The wall clock follows the manual loop clock: 2023-11-14T22:13:20Z + d->now. */
static uint64_t wall_cb(void *arg)
{
    const pwfake_presence_t *d = arg;
    return PWFAKE_PRESENCE_EPOCH_MS + d->now;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void pwfake_presence_load(pwfake_presence_t *d, const char *extra)
{
    char path[128], why[512];
    pw_config_error_t err;
    int sets_gateway = extra && (strncmp(extra, "gateway ", 8) == 0 || strstr(extra, "\ngateway "));
    FILE *f;
    snprintf(path, sizeof path, "%s/ps.conf", d->dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fchmod(fileno(f), 0600), 0, "it holds the secret: the loader refuses it readable by others");
    fprintf(f, "[component]\njid = " PWFAKE_PRESENCE_JID "\nsecret = s\niq_timeout = 5s\n"
               "[charging]\ndir = %s\n"
               "[presence]\n%swatcher = watcher.opb.example\n"
               "network = opb.example\nstate_dir = %s/state\n%s\n", d->cdr,
            sets_gateway ? "" : "gateway = " PWFAKE_PRESENCE_GATEWAY "\n", d->dir, extra ? extra : "");
    fclose(f);
    memset(&d->settings, 0, sizeof d->settings);
    cr_assert_eq(pw_config_load(path, pw_presence_role.options, pw_presence_role.noptions, NULL, 0,
                                &d->settings, &err), PW_OK, "config: %s",
                 pw_config_error_text(&err, why, sizeof why));
    cr_assert_eq(pw_presence_check(&d->settings, why, sizeof why), PW_OK, "%s", why);
    d->settings.wall_clock = wall_cb;
    d->settings.wall_clock_arg = d;
}

void pwfake_presence_start(pwfake_presence_t *d, const char *extra)
{
    pw_component_opts_t o = { .jid = PWFAKE_PRESENCE_JID, .name = "peerwatch-presence", .version = "0",
                              .disco_category = "component", .disco_type = "presence",
                              .disco_name = "PS", .iq_timeout_ms = 5000 };
    d->now = 1000;
    strcpy(d->dir, "/tmp/pw-ps-test-XXXXXX");
    cr_assert_not_null(mkdtemp(d->dir));
    snprintf(d->cdr, sizeof d->cdr, "%s/cdr", d->dir);
    pwfake_presence_load(d, extra);
    cr_assert_eq(pwfake_component_create_clocked(&d->fc, &o, &d->now), PW_OK);
    pwfake_component_lend(d->fc, &d->loop, &d->ctx, &d->fake, &d->comp);
    /* the server listens for the link and registers its disco#items before it comes up */
    cr_assert_eq(pw_presence_create(&d->ps, d->comp, &d->settings), PW_OK);
    pwfake_transport_up(d->fake);
}

void pwfake_presence_stop(pwfake_presence_t *d)
{
    pw_presence_destroy(d->ps);
    d->ps = NULL;
    pwfake_component_take_back(&d->fc, &d->loop, &d->ctx, &d->fake, &d->comp);
    pw_config_free(pw_presence_role.options, pw_presence_role.noptions, &d->settings);
    if (d->dir[0]) {
        nftw(d->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        d->dir[0] = '\0';
    }
}

void pwfake_presence_grant(pwfake_presence_t *d, const char *domain, int version)
{
    pwfake_presence_grant_roster(d, domain, version, "get");
}

void pwfake_presence_grant_roster(pwfake_presence_t *d, const char *domain, int version, const char *roster)
{
    pwfake_presence_deliver(d, "<message from='%s' to='" PWFAKE_PRESENCE_JID "'><privilege xmlns='urn:xmpp:privilege:%d'>"
               "<perm access='roster' type='%s'/><perm access='presence' type='managed_entity'/>"
               "</privilege></message>", domain, version, roster);
}

void pwfake_presence_run(pwfake_presence_t *d, uint64_t ms)
{
    d->now += ms;
    cr_assert_eq(pw_loop_run_once(d->loop, 0), PW_OK);
}

void pwfake_presence_enquiry(pwfake_presence_t *d, const char *id, const char *ref, const char *kind)
{
    pwfake_presence_deliver(d, "<iq type='set' id='%s' from='" PWFAKE_PRESENCE_GATEWAY "' to='" PWFAKE_PRESENCE_BOB "'>"
               "<enquiry xmlns='urn:peerwatch:chain:1' ref='%s' kind='%s'%s%s " PWFAKE_PRESENCE_ATTRS "/></iq>",
               id, ref, kind, strcmp(kind, "changes") == 0 ? " duration='60'" : "",
               strcmp(kind, "current") != 0 ? " proxy='proxy.opa.example'" : "");
}

xmpp_stanza_t *pwfake_presence_sent_ns(pwfake_presence_t *d, const char *ns)
{
    for (size_t i = pwfake_transport_sent_count(d->fake); i-- > 0;) {
        xmpp_stanza_t *s = pwfake_transport_sent(d->fake, i);
        if (xmpp_stanza_get_child_by_ns(s, ns))
            return s;
    }
    return NULL;
}

size_t pwfake_presence_count_ns(pwfake_presence_t *d, const char *ns)
{
    size_t n = 0;
    for (size_t i = 0; i < pwfake_transport_sent_count(d->fake); i++)
        n += xmpp_stanza_get_child_by_ns(pwfake_transport_sent(d->fake, i), ns) != NULL;
    return n;
}

xmpp_stanza_t *pwfake_presence_answer(pwfake_presence_t *d, const char *id)
{
    for (size_t i = 0; i < pwfake_transport_sent_count(d->fake); i++) {
        xmpp_stanza_t *s = pwfake_transport_sent(d->fake, i);
        const char *sid = xmpp_stanza_get_id(s), *type = xmpp_stanza_get_type(s);
        if (sid && strcmp(sid, id) == 0 && type &&
            (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
            return s;
    }
    return NULL;
}

void pwfake_presence_roster(pwfake_presence_t *d, const char *items)
{
    xmpp_stanza_t *get = pwfake_presence_sent_ns(d, "jabber:iq:roster");
    cr_assert_not_null(get, "a roster get was sent");
    cr_assert_str_eq(xmpp_stanza_get_type(get), "get");
    pwfake_presence_deliver(d, "<iq type='result' id='%s' from='%s' to='" PWFAKE_PRESENCE_JID "'>"
               "<query xmlns='jabber:iq:roster'>%s</query></iq>",
               xmpp_stanza_get_id(get), xmpp_stanza_get_to(get), items);
}

pw_error_t pwfake_presence_error(pwfake_presence_t *d, const char *id, char *text, size_t cap)
{
    xmpp_stanza_t *a = pwfake_presence_answer(d, id);
    cr_assert_not_null(a, "answer to %s sent", id);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "error", "answer to %s is an error", id);
    return pw_stanza_error_parse(a, text, cap);
}

void pwfake_presence_state(pwfake_presence_t *d, const char *id, pw_presence_state_t *st)
{
    xmpp_stanza_t *a = pwfake_presence_answer(d, id), *e, *s;
    cr_assert_not_null(a, "answer to %s sent", id);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "result", "answer to %s is a result", id);
    e = xmpp_stanza_get_child_by_ns(a, "urn:peerwatch:chain:1");
    cr_assert_not_null(e);
    cr_assert_str_eq(xmpp_stanza_get_name(e), "enquiry");
    s = xmpp_stanza_get_child_by_name(e, "state");
    cr_assert_not_null(s, "result carries a <state/>");
    cr_assert_eq(pw_state_parse(s, st), PW_OK);
}

static void record_cb(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    pwfake_presence_records_t *r = arg;
    (void)file;
    (void)line;
    if (r->n < PWFAKE_PRESENCE_RECORDS_MAX) {
        snprintf(r->outcome[r->n], sizeof r->outcome[r->n], "%s", rec->outcome);
        snprintf(r->ref[r->n], sizeof r->ref[r->n], "%s", rec->enquiry_ref);
    }
    r->n++;
    r->last = *rec;
}

void pwfake_presence_read_records(pwfake_presence_t *d, pwfake_presence_records_t *out)
{
    pw_cdr_problem_t problem;
    memset(out, 0, sizeof *out);
    cr_assert_eq(pw_cdr_verify_dir(d->cdr, NULL, record_cb, out, &problem, NULL), PW_OK,
                 "cdr dir verifies: %s", problem.text);
}

/* ------------------------------------------------------------------ subscriptions */

void pwfake_presence_bob(pwfake_presence_t *d, const char *show)
{
    if (strcmp(show, "off") == 0)
        pwfake_presence_deliver(d, "<presence type='unavailable' from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    else if (!*show)
        pwfake_presence_deliver(d, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'/>");
    else
        pwfake_presence_deliver(d, "<presence from='bob@opb.example/phone' to='" PWFAKE_PRESENCE_JID "'><show>%s</show></presence>", show);
}

xmpp_stanza_t *pwfake_presence_subscribe(pwfake_presence_t *d, const char *id, const char *kind, const char *items)
{
    pwfake_presence_enquiry(d, id, id, kind);
    pwfake_presence_roster(d, items);
    pwfake_presence_run(d, 0);
    cr_assert_not_null(pwfake_presence_answer(d, id), "answer to %s", id);
    return pwfake_presence_answer(d, id);
}

xmpp_stanza_t *pwfake_presence_subscription(pwfake_presence_t *d, const char *id, char *out, size_t cap)
{
    xmpp_stanza_t *a = pwfake_presence_answer(d, id), *e, *sub;
    cr_assert_not_null(a);
    cr_assert_str_eq(xmpp_stanza_get_type(a), "result", "answer to %s is a result", id);
    e = xmpp_stanza_get_child_by_ns(a, "urn:peerwatch:chain:1");
    cr_assert_not_null(e);
    sub = xmpp_stanza_get_child_by_name_and_ns(e, "subscription", "urn:peerwatch:0");
    cr_assert_not_null(sub, "the result carries a <subscription/>");
    cr_assert_not_null(xmpp_stanza_get_attribute(sub, "id"));
    snprintf(out, cap, "%s", xmpp_stanza_get_attribute(sub, "id"));
    return sub;
}

xmpp_stanza_t *pwfake_presence_notify(pwfake_presence_t *d, size_t i, size_t *n)
{
    xmpp_stanza_t *found = NULL;
    size_t k = 0;
    for (size_t j = 0; j < pwfake_transport_sent_count(d->fake); j++) {
        xmpp_stanza_t *st = pwfake_transport_sent(d->fake, j), *el = xmpp_stanza_get_children(st);
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

size_t pwfake_presence_notify_count(pwfake_presence_t *d)
{
    size_t n;
    pwfake_presence_notify(d, 0, &n);
    return n;
}

xmpp_stanza_t *pwfake_presence_notify_el(xmpp_stanza_t *iq)
{
    cr_assert_not_null(iq);
    return xmpp_stanza_get_child_by_name_and_ns(iq, "notify", "urn:peerwatch:chain:1");
}

void pwfake_presence_ack(pwfake_presence_t *d, xmpp_stanza_t *iq)
{
    pwfake_presence_deliver(d, "<iq type='result' id='%s' from='%s' to='" PWFAKE_PRESENCE_JID "'/>", xmpp_stanza_get_id(iq),
               xmpp_stanza_get_to(iq));
}

size_t pwfake_presence_roster_gets(pwfake_presence_t *d)
{
    return pwfake_presence_count_ns(d, "jabber:iq:roster");
}

static void end_cb(const pw_cdr_record_t *rec, const char *file, uint64_t line, void *arg)
{
    pwfake_presence_ends_t *e = arg;
    (void)file;
    (void)line;
    if (rec->kind != PW_CDR_KIND_END) {
        e->others++;
        return;
    }
    if (e->n < PWFAKE_PRESENCE_RECORDS_MAX) {
        snprintf(e->outcome[e->n], sizeof e->outcome[e->n], "%s", rec->outcome);
        snprintf(e->subscription[e->n], sizeof e->subscription[e->n], "%s", rec->subscription_id);
        e->duration[e->n] = rec->duration_s;
        e->notifications[e->n] = rec->notifications;
    }
    e->n++;
}

void pwfake_presence_read_ends(pwfake_presence_t *d, pwfake_presence_ends_t *out)
{
    pw_cdr_problem_t problem;
    memset(out, 0, sizeof *out);
    cr_assert_eq(pw_cdr_verify_dir(d->cdr, NULL, end_cb, out, &problem, NULL), PW_OK,
                 "cdr dir verifies: %s", problem.text);
}
