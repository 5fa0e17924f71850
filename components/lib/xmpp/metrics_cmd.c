/* metrics_cmd.c: the XEP-0050 (§3 single-stage execute, §3.4 cancel) command "Peerwatch metrics"
 * for the operators of [metrics] admins, answering with an XEP-0004 §3.4 result form. */
#include "config.h"

#include "xmpp/pw_metrics_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmpp/pw_stanza.h"

#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NS_DATA "jabber:x:data"
#define VAR_MAX 1300 /* a metric name, its braces and its label set (pw_metrics.h bounds) */

struct pw_metrics_cmd {
    pw_component_t *c;
    pw_metrics_t *metrics;
    char **admins;
    size_t nadmins;
};

/* Is the sender's bare JID (its full JID up to a '/') one of the admins? */
static int is_admin(const pw_metrics_cmd_t *cmd, const char *from)
{
    size_t bare = from ? strcspn(from, "/") : 0;
    for (size_t i = 0; bare && i < cmd->nadmins; i++)
        if (strlen(cmd->admins[i]) == bare && strncasecmp(cmd->admins[i], from, bare) == 0)
            return 1;
    return 0;
}

/* XEP-0050 §2.2: only the admins see the command listed. */
static int admin_sees(const char *from, void *arg)
{
    return is_admin(arg, from);
}

/* Building the form: one field per figure (pw_metrics_each()). */
typedef struct form_builder {
    xmpp_stanza_t *x;
    int failed;
} form_builder_t;

/* What a person reads beside a figure: its help and, for one of several series, which one, as
 * "stanzas received from the XMPP server, by kind (kind=iq)" (the label values unquoted). */
static void label_of(const char *name, const char *labels, const char *help, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", *help ? help : name);
    if (!*labels || n + 3 >= cap)
        return;
    n += (size_t)snprintf(out + n, cap - n, " (");
    for (const char *l = labels; *l && n + 2 < cap; l++) {
        if (*l == '\\' && l[1])
            out[n++] = *++l; /* an escaped character of a value, as itself */
        else if (*l == ',') {
            out[n++] = ',';
            out[n++] = ' ';
        } else if (*l != '"')
            out[n++] = *l;
    }
    snprintf(out + n, cap - n, ")");
}

static void add_figure(const char *name, const char *labels, const char *help, double value,
                       void *arg)
{
    form_builder_t *fb = arg;
    char var[VAR_MAX], label[VAR_MAX + 256], text[40];
    xmpp_stanza_t *field;

    if (fb->failed)
        return;
    if (*labels)
        snprintf(var, sizeof var, "%s{%s}", name, labels);
    else
        snprintf(var, sizeof var, "%s", name);
    field = pw_stanza_add_child(fb->x, "field", NULL);
    if (!field || pw_metrics_format_value(value, text, sizeof text) != PW_OK ||
        !pw_stanza_add_text_child(field, "value", NULL, text)) {
        fb->failed = 1;
        return;
    }
    xmpp_stanza_set_attribute(field, "var", var);
    xmpp_stanza_set_attribute(field, "type", "text-single");
    label_of(name, labels, help, label, sizeof label);
    xmpp_stanza_set_attribute(field, "label", label);
}

/* <command node status sessionid/>, with the result form when status is "completed". */
static xmpp_stanza_t *command_answer(pw_metrics_cmd_t *cmd, const char *status, const char *sessionid)
{
    xmpp_stanza_t *answer = pw_stanza_element(pw_component_ctx(cmd->c), "command", NS_COMMANDS);
    form_builder_t fb = { NULL, 0 };
    char sid[48];

    if (!answer)
        return NULL;
    xmpp_stanza_set_attribute(answer, "node", PW_METRICS_CMD_NODE);
    xmpp_stanza_set_attribute(answer, "sessionid",
                              sessionid ? sessionid : pw_component_new_id(cmd->c, sid, sizeof sid));
    xmpp_stanza_set_attribute(answer, "status", status);
    if (strcmp(status, "completed") == 0) {
        fb.x = pw_stanza_add_child(answer, "x", NS_DATA);
        fb.failed = !fb.x || !pw_stanza_add_text_child(fb.x, "title", NULL, PW_METRICS_CMD_NAME);
        if (!fb.failed) {
            xmpp_stanza_set_type(fb.x, "result");
            pw_metrics_each(cmd->metrics, add_figure, &fb);
        }
    }
    if (fb.failed) {
        xmpp_stanza_release(answer);
        return NULL;
    }
    return answer;
}

static void on_command(pw_component_t *c, xmpp_stanza_t *iq, xmpp_stanza_t *payload, void *arg)
{
    pw_metrics_cmd_t *cmd = arg;
    const char *action = xmpp_stanza_get_attribute(payload, "action");
    xmpp_stanza_t *answer;

    if (!is_admin(cmd, xmpp_stanza_get_from(iq))) {
        pw_component_reply_error(c, iq, PW_ERR_FORBIDDEN,
                                 "only the operators listed in [metrics] admins may read the metrics");
        return;
    }
    if (action && strcmp(action, "execute") != 0 && strcmp(action, "complete") != 0 &&
        strcmp(action, "cancel") != 0) {
        pw_component_reply_error(c, iq, PW_ERR_BAD_REQUEST,
                                 "this command has a single stage: execute, complete or cancel");
        return;
    }
    answer = command_answer(cmd, action && strcmp(action, "cancel") == 0 ? "canceled" : "completed",
                            xmpp_stanza_get_attribute(payload, "sessionid"));
    if (!answer) {
        pw_component_reply_error(c, iq, PW_ERR_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    pw_component_reply_payload(c, iq, answer);
    xmpp_stanza_release(answer);
}

pw_status_t pw_metrics_cmd_create(pw_metrics_cmd_t **out, pw_component_t *c, pw_metrics_t *metrics,
                                  char *const *admins, size_t nadmins)
{
    pw_status_t rc = PW_OK;
    pw_metrics_cmd_t *cmd = NULL;

    if (out)
        *out = NULL;
    if (!out || !c || !metrics || (nadmins && !admins)) {
        rc = PW_EINVAL;
        goto done;
    }
    cmd = calloc(1, sizeof *cmd);
    if (!cmd || (nadmins && !(cmd->admins = calloc(nadmins, sizeof *cmd->admins)))) {
        rc = PW_ENOMEM;
        goto done;
    }
    cmd->c = c;
    cmd->metrics = metrics;
    for (; cmd->nadmins < nadmins; cmd->nadmins++) {
        cmd->admins[cmd->nadmins] = strdup(admins[cmd->nadmins]);
        if (!cmd->admins[cmd->nadmins]) {
            rc = PW_ENOMEM;
            goto done;
        }
    }
    rc = pw_component_add_command(c, PW_METRICS_CMD_NODE, PW_METRICS_CMD_NAME, on_command, admin_sees, cmd);
done:
    if (rc != PW_OK) {
        pw_metrics_cmd_destroy(cmd);
        return rc;
    }
    *out = cmd;
    return PW_OK;
}

void pw_metrics_cmd_destroy(pw_metrics_cmd_t *cmd)
{
    if (!cmd)
        return;
    for (size_t i = 0; i < cmd->nadmins; i++)
        free(cmd->admins[i]);
    free(cmd->admins);
    free(cmd);
}
