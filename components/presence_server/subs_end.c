/* subs_end.c: ending a subscription (docs/protocol.md §5.2, ended=): the ended notification, the end record (DESIGN.md §5), the journal deletion. */
#include <stdio.h>
#include <string.h>

#include "core/pw_log.h"
#include "subs_int.h"

_Static_assert(PW_CDR_REF_MAX >= PS_REF_CAP, "a record's enquiry_ref holds any ref");

/* The end record (docs/charging.md): duration and notifications, charged to the watcher's network. */
static void end_record(pw_subs_t *s, const ps_sub_t *sub, const char *reason)
{
    pw_cdr_record_t *r = &s->rec;
    uint64_t wall = pw_subs_wall_now(s), seq = 0;
    pw_status_t rc;
    memset(r, 0, sizeof *r);
    r->kind = PW_CDR_KIND_END;
    SUBS_COPY(r->outcome, reason);
    pw_subs_sub_ref(sub, r->enquiry_ref);
    SUBS_COPY(r->peer, sub->route->network);
    SUBS_COPY(r->charged_network, sub->route->network);
    SUBS_COPY(r->serving_network, s->cfg.network);
    SUBS_COPY(r->watcher_msisdn, pw_subs_sub_msisdn(sub));
    SUBS_COPY(r->watcher_jid, sub->w->jid);
    SUBS_COPY(r->presentity_msisdn, pw_subs_sub_pmsisdn(sub));
    SUBS_COPY(r->presentity_jid, sub->p->jid);
    pw_subs_id_format(sub->id, r->subscription_id);
    r->duration_s = wall > sub->created_ms ? (wall - sub->created_ms) / 1000u : 0;
    r->notifications = sub->seq;
    rc = pw_cdr_writer_append(s->cdr, r, &seq);
    if (rc != PW_OK)
        pw_error(r->enquiry_ref, "no end record for subscription %s (%s): %s", r->subscription_id,
                 reason, pw_strerror(rc));
}

void pw_subs_end(pw_subs_t *s, ps_sub_t *sub, const char *reason, int notify,
                 const pw_presence_state_t *state)
{
    char key[PW_SUBS_ID_TEXT], ref[PS_REF_CAP];
    if (sub->flags & SF_ENDED)
        return;
    sub->flags |= SF_ENDED;
    if (sub->out) {
        sub->out->sub = NULL;
        sub->out = NULL;
    }
    if (notify) {
        sub->seq++;
        pw_subs_notify_send(s, sub, reason, state);
    }
    end_record(s, sub, reason);
    pw_subs_id_format(sub->id, key);
    pw_store_del(s->store, key);
    s->stats.ended++;
    pw_info(pw_subs_sub_ref(sub, ref), "subscription %s of %s on %s ended: %s (%u notifications)", key,
            sub->w->jid, sub->p->jid, reason, (unsigned)sub->seq);
    pw_subs_sub_unlink(s, sub);
    if (!(sub->flags & SF_READY))
        pw_subs_sub_free(s, sub);
}
