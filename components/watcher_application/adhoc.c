/* adhoc.c: XEP-0050 Ad-Hoc Commands on the WA (§3 execute, §4.4 sessions, §2.2 discovery) with an XEP-0004 data form:
 * the 'enquiry' command ("Ask about a number") runs any of the four kinds from a Gajim/Psi-style client. */
#include "watcher_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address/pw_jid.h"
#include "core/pw_log.h"
#include "xmpp/pw_stanza.h"

#define NODE "enquiry"
#define NODE_NAME "Ask about a number"
#define SESSION_IDLE_MS 600000u /* a form left open longer is forgotten */
#define MAX_SESSIONS 4096u
#define FIELD_MAX 1024

typedef struct session {
    char *owner;   /* the full JID that executed the command */
    uint64_t at;   /* loop clock when it was opened */
} session_t;

/* ---- stanzas ---- */

/* A <command/> answer element for node with a session id and a status. */
static xmpp_stanza_t *command_el(pw_watcher_t *wa, const char *sessionid, const char *status)
{
    xmpp_stanza_t *cmd = xmpp_stanza_new(pw_component_ctx(wa->c));
    if (!cmd)
        return NULL;
    xmpp_stanza_set_name(cmd, "command");
    xmpp_stanza_set_ns(cmd, PW_WATCHER_NS_COMMANDS);
    xmpp_stanza_set_attribute(cmd, "node", NODE);
    if (sessionid)
        xmpp_stanza_set_attribute(cmd, "sessionid", sessionid);
    xmpp_stanza_set_attribute(cmd, "status", status);
    return cmd;
}

/* Add <field var type label><value/>...</field> to a form; returns the field. */
static xmpp_stanza_t *add_field(xmpp_stanza_t *x, const char *var, const char *type,
                                const char *label, const char *value)
{
    xmpp_stanza_t *f = pw_stanza_add_child(x, "field", NULL);
    if (!f)
        return NULL;
    xmpp_stanza_set_attribute(f, "var", var);
    if (type)
        xmpp_stanza_set_attribute(f, "type", type);
    if (label)
        xmpp_stanza_set_attribute(f, "label", label);
    if (value && !pw_stanza_add_text_child(f, "value", NULL, value))
        return NULL;
    return f;
}

/* The form of XEP-0050 §3 step 1 (XEP-0004 type 'form'). */
static int add_form(xmpp_stanza_t *cmd)
{
    static const struct { const char *value, *label; } kinds[] = {
        { "current", "Tell me the current state" },
        { "changes", "Tell me every change for a while" },
        { "next", "Tell me when it next changes" },
        { "stop", "Stop telling me" },
    };
    xmpp_stanza_t *actions = pw_stanza_add_child(cmd, "actions", NULL), *x, *f;

    if (!actions || !pw_stanza_add_child(actions, "complete", NULL))
        return 0;
    xmpp_stanza_set_attribute(actions, "execute", "complete");
    x = pw_stanza_add_child(cmd, "x", PW_WATCHER_NS_DATA);
    if (!x)
        return 0;
    xmpp_stanza_set_type(x, "form");
    if (!pw_stanza_add_text_child(x, "title", NULL, NODE_NAME) ||
        !pw_stanza_add_text_child(x, "instructions", NULL,
                                  "Enter a phone number (e.g. +12025550123) or an XMPP address, "
                                  "choose what you want to know and, for changes, for how many seconds."))
        return 0;
    f = add_field(x, "address", "text-single", "Phone number or address", NULL);
    if (!f || !pw_stanza_add_child(f, "required", NULL))
        return 0;
    f = add_field(x, "kind", "list-single", "What to ask", "current");
    if (!f)
        return 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xmpp_stanza_t *o = pw_stanza_add_child(f, "option", NULL);
        if (!o || !pw_stanza_add_text_child(o, "value", NULL, kinds[i].value))
            return 0;
        xmpp_stanza_set_attribute(o, "label", kinds[i].label);
    }
    return add_field(x, "duration", "text-single", "For how long (seconds; changes only)", "3600") != NULL;
}

/* The first <value/> of field var in a submitted form ("" when absent). */
static const char *field_value(xmpp_stanza_t *x, const char *var, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        const char *v = xmpp_stanza_is_tag(f) ? xmpp_stanza_get_attribute(f, "var") : NULL;
        if (v && strcmp(xmpp_stanza_get_name(f), "field") == 0 && strcmp(v, var) == 0)
            return pw_stanza_child_text(f, "value", NULL, buf, cap);
    }
    return buf;
}

/* Answer a command request with cmd (released here). */
static void reply(pw_watcher_t *wa, xmpp_stanza_t *iq, xmpp_stanza_t *cmd)
{
    if (!cmd) {
        pw_component_reply_error(wa->c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    pw_component_reply_payload(wa->c, iq, cmd);
    xmpp_stanza_release(cmd);
}

/* One field of the result form (XEP-0004 §3.3: every field with its type and label). */
typedef struct result_field {
    const char *var, *type, *label, *value; /* a field whose value is "" is left out */
} result_field_t;

/* Complete with a note (type info or error) and, on success, a result form of the fields up to
 * one whose var is NULL. */
static void complete(pw_watcher_t *wa, xmpp_stanza_t *iq, const char *sessionid, const char *note_type,
                     const char *note, const result_field_t *fields)
{
    xmpp_stanza_t *cmd = command_el(wa, sessionid, "completed"), *x;
    int ok = cmd != NULL;

    if (ok && fields) {
        x = pw_stanza_add_child(cmd, "x", PW_WATCHER_NS_DATA);
        ok = x && pw_stanza_add_text_child(x, "title", NULL, NODE_NAME);
        if (ok)
            xmpp_stanza_set_type(x, "result");
        for (size_t i = 0; ok && fields[i].var; i++) {
            if (fields[i].value[0])
                ok = add_field(x, fields[i].var, fields[i].type, fields[i].label, fields[i].value) != NULL;
        }
    }
    if (ok)
        ok = pw_stanza_add_text_child_attr(cmd, "note", NULL, note, "type", note_type) != NULL;
    if (!ok && cmd) {
        xmpp_stanza_release(cmd);
        cmd = NULL;
    }
    reply(wa, iq, cmd);
}

/* A bad-request carrying <bad-sessionid/> (XEP-0050 §4.6). */
static void bad_session(pw_watcher_t *wa, xmpp_stanza_t *iq)
{
    xmpp_stanza_t *err = pw_stanza_error_reply(iq, PW_ERR_BAD_REQUEST,
                                               "this command session is unknown or has expired");
    xmpp_stanza_t *e = err ? xmpp_stanza_get_child_by_name(err, "error") : NULL;
    if (e)
        pw_stanza_add_child(e, "bad-sessionid", PW_WATCHER_NS_COMMANDS);
    if (err) {
        pw_component_send(wa->c, err);
        xmpp_stanza_release(err);
    }
}

/* ---- sessions ---- */

/* Free a session (its type-erased form is a pw_map value). */
static void session_free(void *value)
{
    session_t *s = value;
    if (s) {
        free(s->owner);
        free(s);
    }
}

static int drop_old(const char *key, void *value, void *arg)
{
    pw_watcher_t *wa = arg;
    session_t *s = value;
    if (pw_loop_now(pw_component_loop(wa->c)) - s->at >= SESSION_IDLE_MS) {
        pw_map_remove(wa->sessions, key);
        session_free(s);
    }
    return 0;
}

/* Open a session; writes its id into buf. @return 0 when none could be made */
static int session_open(pw_watcher_t *wa, const char *owner, char *buf, size_t cap)
{
    session_t *s;

    pw_map_foreach(wa->sessions, drop_old, wa);
    if (pw_map_count(wa->sessions) >= MAX_SESSIONS)
        return 0;
    s = calloc(1, sizeof *s);
    if (!s || !(s->owner = strdup(owner))) {
        session_free(s);
        return 0;
    }
    s->at = pw_loop_now(pw_component_loop(wa->c));
    pw_component_new_id(wa->c, buf, cap);
    if (pw_map_put(wa->sessions, buf, s, NULL) != PW_OK) {
        session_free(s);
        return 0;
    }
    return 1;
}

/* Close the session sessionid owned by from. @return 0 when there is no such session */
static int session_close(pw_watcher_t *wa, const char *sessionid, const char *from)
{
    session_t *s = pw_map_get(wa->sessions, sessionid);
    if (!s || strcmp(s->owner, from) != 0 ||
        pw_loop_now(pw_component_loop(wa->c)) - s->at >= SESSION_IDLE_MS)
        return 0;
    pw_map_remove(wa->sessions, sessionid);
    session_free(s);
    return 1;
}

/* ---- the command ---- */

static void adhoc_done(pw_watcher_t *wa, const pw_watcher_job_t *job, const pw_watcher_answer_t *ans)
{
    xmpp_stanza_t *cmd = pw_stanza_payload(job->request);
    const char *sessionid = cmd ? xmpp_stanza_get_attribute(cmd, "sessionid") : NULL;
    char note[PW_WATCHER_TEXT_MAX + 256], state[64], who[PW_JID_MAX + 1], until[128];
    const result_field_t fields[] = {
        { "address", "text-single", "Number or address", job->address },
        { "kind", "text-single", "Asked", pw_enquiry_kind_name(job->kind) },
        { "state", "text-single", "State", state },
        { "status", "text-single", "Status message", ans->state.status },
        { "subscription", "text-single", "Subscription", ans->subscription },
        { "until", "text-single", "Told until", until },
        { "expires", "hidden", "Ends at (XEP-0082)", ans->expires },
        { NULL, NULL, NULL, NULL },
    };

    if (ans->cond != PW_ERR_NONE) {
        snprintf(note, sizeof note, "%s: %s", pw_error_name(ans->cond), ans->text);
        complete(wa, job->request, sessionid, "error", note, NULL);
        return;
    }
    if ((job->kind == PW_KIND_CHANGES || job->kind == PW_KIND_NEXT) &&
        pw_watcher_subs_add_iq(wa, job, ans) != PW_OK) {
        complete(wa, job->request, sessionid, "error",
                 "internal-server-error: the subscription could not be recorded", NULL);
        return;
    }
    until[0] = '\0';
    if (ans->subscription[0])
        pw_watcher_time_text(ans->expires_ms, pw_watcher_wall_now(wa), until, sizeof until);
    if (job->kind == PW_KIND_STOP) {
        pw_watcher_subs_stopped(wa, job->bare, job->address, job->subscription);
        snprintf(note, sizeof note, "You are no longer told about %s",
                 pw_watcher_display(job->address, who, sizeof who));
        state[0] = '\0';
    } else {
        size_t n;
        snprintf(state, sizeof state, "%s", !ans->state.available ? "offline" :
                 ans->state.show[0] ? ans->state.show : "online");
        pw_watcher_state_text(job->address, &ans->state, note, sizeof note);
        n = strlen(note);
        if (ans->subscription[0])
            snprintf(note + n, sizeof note - n, "; you will be told %s until %s",
                     job->kind == PW_KIND_NEXT ? "of the next change" : "of every change", until);
    }
    complete(wa, job->request, sessionid, "info", note, fields);
}

static void on_command(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *cmd, void *arg)
{
    pw_watcher_t *wa = arg;
    const char *node = xmpp_stanza_get_attribute(cmd, "node");
    const char *action = xmpp_stanza_get_attribute(cmd, "action");
    const char *sessionid = xmpp_stanza_get_attribute(cmd, "sessionid");
    const char *from = xmpp_stanza_get_from(iq);
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(cmd, "x", PW_WATCHER_NS_DATA), *answer;
    char bare[PW_JID_MAX + 1], sid[64], text[PW_WATCHER_TEXT_MAX + 64];
    char address[FIELD_MAX], kind[FIELD_MAX], duration[FIELD_MAX];
    pw_error_t cond;

    if (!pw_watcher_local_user(wa, from, bare, sizeof bare)) {
        snprintf(text, sizeof text, "only users of %s may use this service", wa->settings->domain);
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN, text);
        return;
    }
    if (!node || strcmp(node, NODE) != 0) {
        pw_component_reply_error(c, iq, PW_ERR_ITEM_NOT_FOUND, "no such command");
        return;
    }
    if (!action)
        action = "execute";
    if (strcmp(action, "cancel") == 0) {
        if (!sessionid || !session_close(wa, sessionid, from)) {
            bad_session(wa, iq);
            return;
        }
        reply(wa, iq, command_el(wa, sessionid, "canceled"));
        return;
    }
    if (strcmp(action, "execute") != 0 && strcmp(action, "complete") != 0) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST, "this command has a single stage: "
                                 "execute, complete or cancel");
        return;
    }
    if (!sessionid && !x) { /* §3: the first stage: the form */
        answer = NULL;
        if (session_open(wa, from, sid, sizeof sid)) {
            answer = command_el(wa, sid, "executing");
            if (answer && !add_form(answer)) {
                xmpp_stanza_release(answer);
                answer = NULL;
            }
        } else {
            pw_component_reply_error(c, iq, PW_ERR_RESOURCE_CONSTRAINT,
                                     "too many command sessions are open; try again later");
            return;
        }
        reply(wa, iq, answer);
        return;
    }
    if (sessionid && !session_close(wa, sessionid, from)) {
        bad_session(wa, iq);
        return;
    }
    if (!x || !xmpp_stanza_get_type(x) || strcmp(xmpp_stanza_get_type(x), "submit") != 0) {
        complete(wa, iq, sessionid, "error", "bad-request: the form was not submitted", NULL);
        return;
    }
    field_value(x, "address", address, sizeof address);
    field_value(x, "kind", kind, sizeof kind);
    field_value(x, "duration", duration, sizeof duration);
    {
        pw_watcher_ask_t ask = {
            .watcher = from,
            .address = address,
            .kind = kind[0] ? kind : "current",
            .duration = strcmp(kind, "changes") == 0 ? duration : NULL,
            .request = iq,
            .done = adhoc_done,
        };
        cond = pw_watcher_ask(wa, &ask, text, sizeof text - 64);
    }
    if (cond != PW_ERR_NONE) {
        char note[sizeof text + 64];
        snprintf(note, sizeof note, "%s: %s", pw_error_name(cond), text);
        complete(wa, iq, sessionid, "error", note, NULL);
    }
}

pw_status_t pw_watcher_adhoc_register(pw_watcher_t *wa)
{
    pw_status_t rc = pw_map_create(&wa->sessions);
    if (rc == PW_OK) /* the component core lists it in disco#items (XEP-0050 §2.2) */
        rc = pw_component_add_command(wa->c, NODE, NODE_NAME, on_command, NULL, wa);
    if (rc == PW_OK) /* and in the WA's own items: what a person browsing the service finds */
        pw_component_list_commands_at_root(wa->c);
    return rc;
}

void pw_watcher_adhoc_close(pw_watcher_t *wa)
{
    if (!wa->sessions)
        return;
    pw_map_destroy_values(wa->sessions, session_free);
    wa->sessions = NULL;
}
