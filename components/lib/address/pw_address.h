/* pw_address.h: how a watcher names a presentity (DESIGN.md §2): an E.164 number or an escaped JID. */
#ifndef PW_ADDRESS_H
#define PW_ADDRESS_H

#include <stddef.h>

#include "address/pw_jid.h"
#include "address/pw_msisdn.h"
#include "core/pw_status.h"

/** What kind of name an address is. */
typedef enum pw_address_kind {
    PW_ADDRESS_MSISDN, /**< an E.164 number: msisdn is set, jid and domain are "" */
    PW_ADDRESS_JID     /**< an XMPP account: jid (bare, normalised) and domain are set, msisdn "" */
} pw_address_kind_t;

/** A parsed presentity address. A plain value (no resources held); fill it with the functions below. */
typedef struct pw_address {
    pw_address_kind_t kind;
    char msisdn[PW_MSISDN_MAX + 1];   /**< canonical "+<digits>" when kind is PW_ADDRESS_MSISDN */
    char jid[PW_JID_MAX + 1];         /**< bare JID "local@domain" when kind is PW_ADDRESS_JID */
    char domain[PW_JID_PART_MAX + 1]; /**< the JID's domain (the presentity's network) */
} pw_address_t;

/**
 * Parse the address a watcher typed (the IQ 'address' attribute, a contact JID's localpart).
 * - Text starting with '+', a digit or '(' is a number, normalised by pw_msisdn_normalize().
 *   Numbers win; only when such text is not a valid number and holds an '@' or a '\' (which
 *   no number does) is it read as a JID as below, so that JIDs whose localpart starts like a
 *   number ("+447700900001@opb.example") stay addressable.
 * - Text containing an '@' is a plain bare JID ("bob@opb.example"), taken as it is.
 * - Anything else is an XEP-0106-escaped JID ("bob\40opb.example"): it is unescaped and must
 *   then be a bare JID.
 * A JID must have a localpart and no resource; its domain is lower-cased.
 * @param text the address (caller-owned), at most PW_JID_MAX bytes are examined
 * @param rules national-number rules, or NULL for the defaults (no country code)
 * @param out receives the address (caller-owned); zeroed first, all strings "" on failure
 * @return PW_OK; PW_EINVAL for NULL @p text / @p out or a malformed address; PW_ERANGE for
 *         over-long text or parts
 */
pw_status_t pw_address_parse(const char *text, const pw_msisdn_rules_t *rules, pw_address_t *out);

/**
 * The address a contact JID at the watcher's own WA names: for
 * "+12025550123@watcher.opa.example" or "bob\40opb.example@watcher.opa.example" with
 * @p wa_domain "watcher.opa.example", the address parsed from the localpart. A resource on
 * the contact JID is ignored; domains are compared case-insensitively (and without a trailing
 * dot).
 * @param contact_jid the JID a stanza was addressed to (caller-owned)
 * @param wa_domain the WA's own domain (caller-owned)
 * @param rules national-number rules, or NULL for the defaults
 * @param out receives the address (caller-owned); all strings "" on failure
 * @return PW_OK; PW_EINVAL for NULL arguments, a malformed JID or @p wa_domain, a JID
 *         without a localpart, a domain other than @p wa_domain, or a localpart that is not a
 *         valid address; PW_ERANGE for over-long input
 */
pw_status_t pw_address_from_contact_jid(const char *contact_jid, const char *wa_domain,
                                        const pw_msisdn_rules_t *rules, pw_address_t *out);

/**
 * The node (localpart) used in contact JIDs for an address: the E.164 number itself, or the
 * bare JID XEP-0106-escaped ("bob@opb.example" -> "bob\40opb.example").
 * pw_address_parse() of the node gives the address back.
 * @param a the address (caller-owned)
 * @param out caller's buffer; "" on failure
 * @param cap size of @p out in bytes, NUL included
 * @return PW_OK; PW_EINVAL for NULL arguments or an inconsistent address; PW_ERANGE when the
 *         node is over PW_JID_PART_MAX bytes or does not fit in @p cap
 */
pw_status_t pw_address_to_node(const pw_address_t *a, char *out, size_t cap);

#endif /* PW_ADDRESS_H */
