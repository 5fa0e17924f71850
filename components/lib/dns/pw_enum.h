/* pw_enum.h: ENUM (RFC 6116): choosing the network domain of an E.164 number from its NAPTR records. */
#ifndef PW_ENUM_H
#define PW_ENUM_H

#include <stddef.h>

#include "dns/pw_resolver.h"
#include "core/pw_status.h"

/** Longest URI a NAPTR rule may produce (bytes, without the NUL). */
#define PW_ENUM_URI_MAX 511

/** Longest network domain (bytes, without the NUL). */
#define PW_ENUM_DOMAIN_MAX 253

/**
 * Pick the network domain of a number from the NAPTR records of its ENUM domain (the name
 * pw_msisdn_enum_domain() makes).
 *
 * Records are tried in order of "order", then "preference" (RFC 3403 §4.1; ties keep the
 * answer's order); the first usable one wins. A record is usable when:
 * - its flags are "u" (case-insensitive): a terminal rule giving a URI (RFC 6116 §2.4.1).
 *   Non-terminal rules (empty flags) are not followed;
 * - its service field (RFC 6116 §2.4.2, compared case-insensitively) is "E2U" followed by
 *   one or more "+enumservice" where one enumservice is exactly "xmpp" or "sip" (so
 *   "E2U+xmpp", "E2U+sip", "e2u+SIP" and the compound "E2U+sip+xmpp" are used; subtypes
 *   such as "E2U+sip:x" or other enumservices are not);
 * - its regexp (RFC 3402 §3.2 "delim ERE delim replacement delim [i]") matches the
 *   Application Unique String, the number itself with its '+' (RFC 6116 §2.1), and the
 *   rewritten URI names a host (see pw_enum_uri_domain()).
 *
 * @param e164 the canonical number, e.g. "+12025550123"
 * @param rrs the NAPTR records (caller-owned); NULL when n is 0
 * @param n number of records
 * @param domain receives the network domain, lower-cased, e.g. "opb.example"
 * @param cap size of domain (NUL included)
 * @param uri receives the URI the chosen rule produced (e.g. "xmpp:+12025550123@opb.example");
 *        may be NULL
 * @param ucap size of uri (ignored when uri is NULL)
 * @return PW_OK; PW_ENOTFOUND when no record is usable; PW_EINVAL for a non-canonical number
 *         or NULL domain; PW_ERANGE when domain or uri is too small. On failure the buffers
 *         hold "".
 */
pw_status_t pw_enum_domain_for(const char *e164, const pw_naptr_t *rrs, size_t n, char *domain,
                               size_t cap, char *uri, size_t ucap);

/**
 * Apply a NAPTR substitution expression (RFC 3402 §3.2) to a string: the POSIX extended
 * regular expression must match somewhere in @p input; the result is the replacement with
 * "\1".."\9" replaced by the capture groups ("" for a group that did not take part) and
 * "\\" and "\<delim>" by the plain character. The delimiter is the expression's first
 * character (not a digit 1-9, 'i' or '\'); the only flag is "i" (case-insensitive).
 * @param regexp e.g. "!^.*$!xmpp:opb.example!" or "!^\+(.*)$!sip:\1@opb.example!"
 * @param input the string to match (the Application Unique String)
 * @param out receives the result
 * @param cap size of out
 * @return PW_OK; PW_ENOTFOUND when the expression does not match; PW_EINVAL for a malformed
 *         expression (or a backreference to a group it does not have); PW_ERANGE when out is
 *         too small
 */
pw_status_t pw_enum_apply_regexp(const char *regexp, const char *input, char *out, size_t cap);

/**
 * The host of a URI produced by an ENUM rule: after "scheme:" the part after the last '@'
 * before any '?' or '/', up to the first ';', ':', '?', '/' or '>' (so
 * "sip:+12025550123@opb.example;user=phone" and "xmpp:opb.example" give "opb.example"),
 * lower-cased, one trailing dot removed. It must be a DNS name: letters, digits, '-', '_'
 * and '.', labels 1-63 bytes, at most PW_ENUM_DOMAIN_MAX bytes (IP literals are refused).
 * @param uri the URI
 * @param domain receives the host
 * @param cap size of domain
 * @return PW_OK; PW_EINVAL when there is no usable host; PW_ERANGE when domain is too small
 */
pw_status_t pw_enum_uri_domain(const char *uri, char *domain, size_t cap);

#endif /* PW_ENUM_H */
