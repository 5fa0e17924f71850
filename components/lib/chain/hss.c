/* hss.c: the HSS lookup protocol (docs/hss.md): <lookup/> requests, <subscriber/> records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/pw_hss.h"
#include "xmpp/pw_stanza.h"

pw_status_t pw_hss_lookup(pw_component_t *c, const char *hss, const char *msisdn, const char *jid,
                          pw_iq_result_cb cb, void *arg)
{
    xmpp_stanza_t *iq = NULL, *lookup = NULL;
    pw_status_t rc = PW_EINVAL;

    if (!hss || (msisdn == NULL) == (jid == NULL))
        goto done;
    rc = PW_ENOMEM;
    iq = xmpp_iq_new(pw_component_ctx(c), "get", NULL);
    if (iq)
        lookup = pw_stanza_add_child(iq, "lookup", PW_HSS_NS);
    if (!lookup)
        goto done;
    xmpp_stanza_set_to(iq, hss);
    if (msisdn)
        xmpp_stanza_set_attribute(lookup, "msisdn", msisdn);
    else
        xmpp_stanza_set_attribute(lookup, "jid", jid);
    rc = pw_component_send_iq(c, iq, 0, cb, arg);
done:
    if (iq)
        xmpp_stanza_release(iq);
    return rc;
}

/* Copy s into out when it fits and passes ok(), else leave out empty. */
static void copy_checked(char *out, size_t cap, const char *s, int (*ok)(const char *))
{
    out[0] = '\0';
    if (s && strlen(s) < cap && ok(s))
        memcpy(out, s, strlen(s) + 1);
}

static int is_msisdn(const char *s)
{
    return pw_msisdn_is_e164(s);
}

static int is_domain(const char *s)
{
    return pw_jid_is_domain(s);
}

pw_status_t pw_hss_record_parse(xmpp_stanza_t *result, pw_hss_record_t *out)
{
    xmpp_stanza_t *sub = xmpp_stanza_get_child_by_name_and_ns(result, "subscriber", PW_HSS_NS);
    const char *status, *account, *balance, *jid;
    char *end;

    memset(out, 0, sizeof *out);
    if (!sub)
        return PW_ENOTFOUND;
    copy_checked(out->msisdn, sizeof out->msisdn, xmpp_stanza_get_attribute(sub, "msisdn"), is_msisdn);
    copy_checked(out->presence_server, sizeof out->presence_server,
                 xmpp_stanza_get_attribute(sub, "presence-server"), is_domain);
    jid = xmpp_stanza_get_attribute(sub, "jid");
    if (!jid || pw_jid_bare(jid, out->jid, sizeof out->jid) != PW_OK || !strchr(out->jid, '@'))
        out->jid[0] = '\0';
    status = xmpp_stanza_get_attribute(sub, "status");
    out->active = status && strcmp(status, "active") == 0;
    out->barred = status && strcmp(status, "barred") == 0;
    account = xmpp_stanza_get_attribute(sub, "account");
    out->prepaid = account && strcmp(account, "prepaid") == 0;
    balance = xmpp_stanza_get_attribute(sub, "balance");
    if (balance && balance[0]) {
        out->balance = strtoll(balance, &end, 10);
        out->has_balance = *end == '\0';
    }
    return PW_OK;
}

xmpp_stanza_t *pw_hss_record_build(xmpp_ctx_t *ctx, const pw_hss_record_t *r)
{
    char balance[32];
    xmpp_stanza_t *sub = pw_stanza_element(ctx, "subscriber", PW_HSS_NS);
    if (!sub)
        return NULL;
    snprintf(balance, sizeof balance, "%lld", r->balance);
    xmpp_stanza_set_attribute(sub, "msisdn", r->msisdn);
    xmpp_stanza_set_attribute(sub, "jid", r->jid);
    xmpp_stanza_set_attribute(sub, "presence-server", r->presence_server);
    xmpp_stanza_set_attribute(sub, "status", r->barred ? "barred" : "active");
    xmpp_stanza_set_attribute(sub, "account", r->prepaid ? "prepaid" : "postpaid");
    xmpp_stanza_set_attribute(sub, "balance", balance);
    return sub;
}
