/* address.c: presentity addresses (DESIGN.md §2): E.164 numbers and XEP-0106-escaped bare JIDs. */
#include "address/pw_address.h"

#include <string.h>

static void address_clear(pw_address_t *a)
{
    memset(a, 0, sizeof *a);
    a->kind = PW_ADDRESS_MSISDN;
}

/* Fill a from a bare JID with a localpart (no resource). */
static pw_status_t address_from_jid(const char *jid, pw_address_t *a)
{
    pw_status_t st;
    char local[PW_JID_PART_MAX + 1], resource[PW_JID_PART_MAX + 1];
    size_t llen, dlen;

    st = pw_jid_split(jid, local, sizeof local, a->domain, sizeof a->domain, resource,
                      sizeof resource);
    if (st != PW_OK)
        goto done;
    st = PW_EINVAL;
    if (local[0] == '\0' || resource[0] != '\0')
        goto done;
    llen = strlen(local);
    dlen = strlen(a->domain);
    /* llen, dlen <= PW_JID_PART_MAX, so this fits in PW_JID_MAX + 1 */
    memcpy(a->jid, local, llen);
    a->jid[llen] = '@';
    memcpy(a->jid + llen + 1, a->domain, dlen + 1);
    a->kind = PW_ADDRESS_JID;
    st = PW_OK;
done:
    return st;
}

pw_status_t pw_address_parse(const char *text, const pw_msisdn_rules_t *rules, pw_address_t *out)
{
    pw_status_t st = PW_EINVAL;
    char unescaped[PW_JID_PART_MAX + 1];
    size_t len;

    if (out)
        address_clear(out);
    if (!text || !out)
        goto done;
    len = strnlen(text, PW_JID_MAX + 1);
    if (len > PW_JID_MAX) {
        st = PW_ERANGE;
        goto done;
    }
    if (text[0] == '+' || text[0] == '(' || (text[0] >= '0' && text[0] <= '9')) {
        st = pw_msisdn_normalize(text, rules, out->msisdn);
        if (st == PW_OK) {
            out->kind = PW_ADDRESS_MSISDN;
            goto done;
        }
        /* a number never holds '@' or '\': such text is a JID whose localpart starts like a
         * number ("+447700900001@opb.example", "42\40opb.example") */
        if (!memchr(text, '@', len) && !memchr(text, '\\', len))
            goto done;
    }
    if (memchr(text, '@', len)) {
        st = address_from_jid(text, out);
    } else {
        st = pw_jid_unescape_node(text, unescaped, sizeof unescaped);
        if (st == PW_OK)
            st = address_from_jid(unescaped, out);
    }
done:
    if (st != PW_OK && out)
        address_clear(out);
    return st;
}

pw_status_t pw_address_from_contact_jid(const char *contact_jid, const char *wa_domain,
                                        const pw_msisdn_rules_t *rules, pw_address_t *out)
{
    pw_status_t st = PW_EINVAL;
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1], wa[PW_JID_PART_MAX + 1];

    if (out)
        address_clear(out);
    if (!contact_jid || !wa_domain || !out)
        goto done;
    if (!pw_jid_is_domain(wa_domain))
        goto done;
    st = pw_jid_domain(wa_domain, wa, sizeof wa);
    if (st != PW_OK)
        goto done;
    st = pw_jid_split(contact_jid, local, sizeof local, domain, sizeof domain, NULL, 0);
    if (st != PW_OK)
        goto done;
    st = PW_EINVAL;
    if (local[0] == '\0' || strcmp(domain, wa) != 0)
        goto done;
    st = pw_address_parse(local, rules, out);
done:
    if (st != PW_OK && out)
        address_clear(out);
    return st;
}

pw_status_t pw_address_to_node(const pw_address_t *a, char *out, size_t cap)
{
    pw_status_t st = PW_EINVAL;
    char local[PW_JID_PART_MAX + 1], resource[PW_JID_PART_MAX + 1];

    if (out && cap > 0)
        out[0] = '\0';
    if (!a || !out)
        goto done;
    if (a->kind == PW_ADDRESS_MSISDN) {
        size_t n;
        if (!pw_msisdn_is_e164(a->msisdn))
            goto done;
        n = strlen(a->msisdn);
        if (cap < n + 1) {
            st = PW_ERANGE;
            goto done;
        }
        memcpy(out, a->msisdn, n + 1);
        st = PW_OK;
    } else if (a->kind == PW_ADDRESS_JID) {
        st = pw_jid_split(a->jid, local, sizeof local, NULL, 0, resource, sizeof resource);
        if (st != PW_OK)
            goto done;
        st = PW_EINVAL;
        if (local[0] == '\0' || resource[0] != '\0')
            goto done;
        st = pw_jid_escape_node(a->jid, out, cap);
    }
done:
    return st;
}
