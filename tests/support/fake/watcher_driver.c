/* watcher_driver.c: drives a Watcher Application in unit tests (see watcher_driver.h). */
#include "watcher_driver.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pw_config.h"
#include "xmpp/pw_stanza.h"

/* The wall clock: wall_base + now. */
static uint64_t wall_clock(void *arg)
{
    return ((pwfake_watcher_t *)arg)->wall_base + ((pwfake_watcher_t *)arg)->now;
}

/* Replace every "@STATE_DIR@" of text with the test's state directory. */
static void fill(const pwfake_watcher_t *d, char *out, size_t cap, const char *text)
{
    const char *mark = "@STATE_DIR@", *p;
    size_t n = 0;
    while ((p = strstr(text, mark)) != NULL) {
        n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)(p - text), text,
                              d && d->state_dir[0] ? d->state_dir : "/tmp/pw-watcher-unused");
        text = p + strlen(mark);
    }
    snprintf(out + n, cap - n, "%s", text);
}

/* Remove the state directory and what is in it. */
static void remove_state(pwfake_watcher_t *d)
{
    DIR *dir;
    struct dirent *de;
    char path[512];
    if (!d->state_dir[0] || !(dir = opendir(d->state_dir)))
        return;
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", d->state_dir, de->d_name);
            unlink(path);
        }
    }
    closedir(dir);
    rmdir(d->state_dir);
}

pwfake_watcher_t *pwfake_watcher_new(void)
{
    pwfake_watcher_t *d = calloc(1, sizeof *d);
    cr_assert_not_null(d);
    return d;
}

void pwfake_watcher_free(pwfake_watcher_t *d)
{
    if (!d)
        return;
    pwfake_watcher_teardown(d);
    free(d);
}

pw_status_t pwfake_watcher_load(const pwfake_watcher_t *d, pw_watcher_settings_t *s, const char *raw,
                                char *why, size_t cap)
{
    char path[] = "/tmp/pw-watcher-test-XXXXXX", text[8192];
    int fd = mkstemp(path);
    pw_config_error_t err;
    pw_status_t rc;
    fill(d, text, sizeof text, raw);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    memset(s, 0, sizeof *s);
    rc = pw_config_load(path, pw_watcher_role.options, pw_watcher_role.noptions, NULL, 0, s, &err);
    unlink(path);
    if (rc != PW_OK) {
        pw_config_error_text(&err, why, cap);
        return rc;
    }
    rc = pw_watcher_check(s, why, cap);
    if (rc != PW_OK)
        pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, s);
    return rc;
}

void pwfake_watcher_start(pwfake_watcher_t *d, const char *extra)
{
    if (!d->state_dir[0]) {
        snprintf(d->state_dir, sizeof d->state_dir, "/tmp/pw-watcher-state-XXXXXX");
        cr_assert_not_null(mkdtemp(d->state_dir));
    }
    d->now = 1000000;
    d->wall_base = PWFAKE_WATCHER_WALL_BASE;
    pwfake_watcher_start_again(d, extra);
}

void pwfake_watcher_start_again(pwfake_watcher_t *d, const char *extra)
{
    pw_component_opts_t o = { .jid = PWFAKE_WATCHER_JID, .name = "peerwatch-watcher", .version = "0",
                              .disco_category = PW_WATCHER_DISCO_CATEGORY,
                              .disco_type = PW_WATCHER_DISCO_TYPE,
                              .disco_name = PW_WATCHER_DISCO_NAME };
    char text[4096], why[512] = "";
    snprintf(text, sizeof text, "%s%s", PWFAKE_WATCHER_CONFIG, extra ? extra : "");
    cr_assert_eq(pwfake_watcher_load(d, &d->settings, text, why, sizeof why), PW_OK, "config: %s", why);
    o.iq_timeout_ms = (uint64_t)d->settings.common.iq_timeout_ms;
    cr_assert_eq(pwfake_component_create_clocked(&d->fc, &o, &d->now), PW_OK);
    pwfake_component_lend(d->fc, &d->loop, &d->ctx, &d->fake, &d->comp);
    /* the WA registers its disco#items before the link's coming up adds the built-in one */
    cr_assert_eq(pw_watcher_create_with_clock(&d->wa, d->comp, &d->settings, wall_clock, d), PW_OK);
    pwfake_transport_up(d->fake);
}

void pwfake_watcher_setup(pwfake_watcher_t *d)
{
    pwfake_watcher_start(d, "country_code = 44\n");
}

void pwfake_watcher_stop(pwfake_watcher_t *d)
{
    pw_watcher_destroy(d->wa);
    d->wa = NULL;
    pwfake_component_take_back(&d->fc, &d->loop, &d->ctx, &d->fake, &d->comp);
    pw_config_free(pw_watcher_role.options, pw_watcher_role.noptions, &d->settings);
}

void pwfake_watcher_teardown(pwfake_watcher_t *d)
{
    pwfake_watcher_stop(d);
    remove_state(d);
    memset(d, 0, sizeof *d);
}

const char *pwfake_watcher_time_in(const pwfake_watcher_t *d, int64_t s, char *buf, size_t cap)
{
    time_t t = (time_t)((int64_t)((d->wall_base + d->now) / 1000) + s);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void pwfake_watcher_advance(pwfake_watcher_t *d, uint64_t ms)
{
    d->now += ms;
    pw_loop_run_once(d->loop, 0);
}

const char *pwfake_watcher_attr(xmpp_stanza_t *s, const char *name)
{
    return pwfake_attr(s, name);
}

void pwfake_watcher_enquiry(pwfake_watcher_t *d, const char *id, const char *from, const char *attrs)
{
    pwfake_watcher_deliver(d, "<iq type='set' id='%s' from='%s' to='" PWFAKE_WATCHER_JID "'>"
                           "<enquiry xmlns='urn:peerwatch:0' %s/></iq>", id, from, attrs);
}

pw_error_t pwfake_watcher_last_error(pwfake_watcher_t *d, const char *id, char *text, size_t cap)
{
    xmpp_stanza_t *s = pwfake_component_expect_last(d->fc, &(pwfake_expect_t){ .type = "error", .id = id });
    return pw_stanza_error_parse(s, text, cap);
}

void pwfake_watcher_expect_refusal(pwfake_watcher_t *d, const char *id, pw_error_t cond, const char *word,
                                   const char *what, char *text, size_t cap)
{
    cr_assert_eq(pwfake_transport_sent_count(d->fake), 1, "%s: only the error was sent", what);
    cr_assert_eq(pwfake_watcher_last_error(d, id, text, cap), cond, "%s", what);
    cr_assert(strstr(text, word), "%s: the text names %s: %s", what, word, text);
}

xmpp_stanza_t *pwfake_watcher_last_request(pwfake_watcher_t *d, const char *to, const char *type)
{
    xmpp_stanza_t *s = pwfake_component_expect_last(d->fc, &(pwfake_expect_t){ .name = "iq", .type = type, .to = to,
                                                                            .from = PWFAKE_WATCHER_JID });
    return pw_stanza_payload(s);
}

void pwfake_watcher_answer(pwfake_watcher_t *d, const char *from, const char *type, const char *inner)
{
    char id[128];
    snprintf(id, sizeof id, "%s", pwfake_attr(pwfake_transport_last(d->fake), "id"));
    pwfake_watcher_deliver(d, "<iq type='%s' id='%s' from='%s' to='" PWFAKE_WATCHER_JID "'>%s</iq>",
                           type, id, from, inner);
}

void pwfake_watcher_hss_subscriber(pwfake_watcher_t *d, const char *msisdn, const char *jid,
                                   const char *status, const char *account, const char *balance)
{
    char inner[1024];
    pwfake_watcher_last_request(d, "hss.opa.example", "get");
    snprintf(inner, sizeof inner, "<subscriber xmlns='urn:peerwatch:hss:0' msisdn='%s' jid='%s' "
             "presence-server='ps1.opa.example' status='%s' account='%s' balance='%s'/>",
             msisdn, jid, status, account, balance);
    pwfake_watcher_answer(d, "hss.opa.example", "result", inner);
}

void pwfake_watcher_hss_alice(pwfake_watcher_t *d)
{
    pwfake_watcher_hss_subscriber(d, "+447700900001", "alice@opa.example", "active", "prepaid", "100");
}

xmpp_stanza_t *pwfake_watcher_hss_then_proxy(pwfake_watcher_t *d)
{
    pwfake_watcher_hss_alice(d);
    return pwfake_watcher_last_request(d, "proxy.opa.example", "set");
}

xmpp_stanza_t *pwfake_watcher_up_to_proxy(pwfake_watcher_t *d, const char *id, const char *attrs)
{
    pwfake_watcher_enquiry(d, id, "alice@opa.example/phone", attrs);
    return pwfake_watcher_hss_then_proxy(d);
}

void pwfake_watcher_proxy_subscribed(pwfake_watcher_t *d, const char *state_xml, const char *subid,
                                     int64_t in_s)
{
    char inner[2048], t[64];
    pwfake_watcher_last_request(d, "proxy.opa.example", "set");
    snprintf(inner, sizeof inner, "<enquiry xmlns='urn:peerwatch:chain:1'>%s"
             "<subscription xmlns='urn:peerwatch:0' id='%s' expires='%s' network='opb.example'/></enquiry>", state_xml,
             subid, pwfake_watcher_time_in(d, in_s, t, sizeof t));
    pwfake_watcher_answer(d, "proxy.opa.example", "result", inner);
}

void pwfake_watcher_proxy_state(pwfake_watcher_t *d, const char *state_xml)
{
    char inner[2048];
    pwfake_watcher_last_request(d, "proxy.opa.example", "set");
    snprintf(inner, sizeof inner, "<enquiry xmlns='urn:peerwatch:chain:1'>%s</enquiry>", state_xml);
    pwfake_watcher_answer(d, "proxy.opa.example", "result", inner);
}

void pwfake_watcher_proxy_error(pwfake_watcher_t *d, const char *cond, const char *type, const char *text)
{
    char inner[1024];
    pwfake_watcher_last_request(d, "proxy.opa.example", "set");
    snprintf(inner, sizeof inner, "<error type='%s'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>%s</text></error>", type, cond, text);
    pwfake_watcher_answer(d, "proxy.opa.example", "error", inner);
}

void pwfake_watcher_notify(pwfake_watcher_t *d, const char *id, const char *from, const char *attrs,
                           const char *inner)
{
    pwfake_watcher_deliver(d, "<iq type='set' id='%s' from='%s' to='" PWFAKE_WATCHER_JID "'>"
                           "<notify xmlns='urn:peerwatch:chain:1' ref='r' proxy='proxy.opa.example' "
                           "watcher-jid='alice@opa.example' presentity='+12025550123' %s%s>%s</notify></iq>",
                           id, from, strstr(attrs, "network=") ? "" : "network='opb.example' ", attrs, inner);
}

xmpp_stanza_t *pwfake_watcher_sent(pwfake_watcher_t *d, size_t i)
{
    xmpp_stanza_t *s = pwfake_transport_sent(d->fake, i);
    cr_assert_not_null(s, "stanza %zu was sent (%zu in all)", i, pwfake_transport_sent_count(d->fake));
    return s;
}

void pwfake_watcher_assert_presence(xmpp_stanza_t *s, const char *type)
{
    cr_assert_str_eq(xmpp_stanza_get_name(s), "presence");
    if (type)
        cr_assert_str_eq(pwfake_attr(s, "type"), type);
    else
        cr_assert_null(xmpp_stanza_get_type(s), "available presence has no type");
    cr_assert_str_eq(pwfake_attr(s, "from"), PWFAKE_WATCHER_CONTACT);
    cr_assert_str_eq(pwfake_attr(s, "to"), "alice@opa.example");
}

void pwfake_watcher_roster_subscribed(pwfake_watcher_t *d, const char *subid, int64_t in_s)
{
    pwfake_watcher_deliver(d, "<presence type='subscribe' from='alice@opa.example' to='" PWFAKE_WATCHER_CONTACT "'/>");
    pwfake_watcher_hss_then_proxy(d);
    pwfake_watcher_proxy_subscribed(d, PWFAKE_WATCHER_STATE_AWAY, subid, in_s);
}
