/* sent.c: the watcher side's own record of the enquiries it sent (docs/charging.md §4), in the
 * charge-record format, so that peerwatch-cdr reconcile can compare it with the serving operator's. */
#include <stdio.h>
#include <string.h>

#include "core/pw_log.h"
#include "watcher_int.h"

/* Group commit: everything recorded during one loop iteration is written with one fdatasync. */
static void commit_hook(pw_loop_t *loop, void *arg)
{
    pw_watcher_t *wa = arg;
    pw_cdr_writer_stats_t st;
    (void)loop;
    if (!wa->sent || pw_cdr_writer_pending(wa->sent) == 0)
        return;
    if (pw_cdr_writer_commit(wa->sent) != PW_OK)
        pw_error(NULL, "the record of enquiries sent cannot be written (retried at the next enquiry)");
    pw_cdr_writer_stats(wa->sent, &st);
    pw_enquiry_count_charged(wa->c, st.records - wa->sent_counted);
    wa->sent_counted = st.records;
}

pw_status_t pw_watcher_sent_open(pw_watcher_t *wa)
{
    pw_cdr_writer_config_t cfg;
    pw_status_t rc;
    const char *dir = wa->settings->sent_dir;

    if (!dir || !dir[0])
        return PW_OK;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.node = pw_component_jid(wa->c);
    rc = pw_cdr_writer_create(&wa->sent, &cfg);
    if (rc != PW_OK) {
        pw_error(NULL, "cannot open the record of enquiries sent in %s: %s", dir, pw_strerror(rc));
        return rc;
    }
    pw_enquiry_count_charged(wa->c, 0); /* listed from the start */
    return pw_loop_hook_add(pw_component_loop(wa->c), commit_hook, wa);
}

void pw_watcher_sent_close(pw_watcher_t *wa)
{
    if (!wa->sent)
        return;
    pw_loop_hook_remove(pw_component_loop(wa->c), commit_hook, wa);
    if (pw_cdr_writer_pending(wa->sent) > 0)
        pw_cdr_writer_commit(wa->sent);
    pw_cdr_writer_destroy(wa->sent);
    wa->sent = NULL;
}

void pw_watcher_sent_record(pw_watcher_t *wa, const pw_enquiry_t *chain, const char *outcome,
                            const char *subscription)
{
    static const pw_cdr_kind_t kinds[] = { PW_CDR_KIND_CURRENT, PW_CDR_KIND_CHANGES, PW_CDR_KIND_NEXT,
                                           PW_CDR_KIND_STOP };
    pw_cdr_record_t rec;
    const char *at;
    uint64_t seq;
    pw_status_t rc;

    if (!wa->sent || !chain->ref[0])
        return;
    memset(&rec, 0, sizeof rec);
    rec.kind = kinds[chain->kind <= PW_KIND_STOP ? chain->kind : PW_KIND_CURRENT];
    snprintf(rec.outcome, sizeof rec.outcome, "%s", outcome);
    snprintf(rec.enquiry_ref, sizeof rec.enquiry_ref, "%s", chain->ref);
    snprintf(rec.peer, sizeof rec.peer, "%s", chain->watcher_network);
    snprintf(rec.charged_network, sizeof rec.charged_network, "%s", chain->watcher_network);
    /* the serving network is known here only when the presentity was named by JID */
    at = strchr(chain->presentity_jid, '@');
    if (at)
        snprintf(rec.serving_network, sizeof rec.serving_network, "%s", at + 1);
    snprintf(rec.watcher_msisdn, sizeof rec.watcher_msisdn, "%s", chain->watcher_msisdn);
    snprintf(rec.watcher_jid, sizeof rec.watcher_jid, "%s", chain->watcher_jid);
    snprintf(rec.presentity_msisdn, sizeof rec.presentity_msisdn, "%s", chain->presentity);
    snprintf(rec.presentity_jid, sizeof rec.presentity_jid, "%s", chain->presentity_jid);
    snprintf(rec.subscription_id, sizeof rec.subscription_id, "%s", subscription ? subscription : "");
    rec.duration_s = chain->duration_s;
    rc = pw_cdr_writer_append(wa->sent, &rec, &seq);
    if (rc != PW_OK && rc != PW_EEXIST)
        pw_error(NULL, "enquiry %s not recorded as sent: %s", chain->ref, pw_strerror(rc));
}
