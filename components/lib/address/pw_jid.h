/* pw_jid.h: bounded JID splitting and checks (RFC 7622 structure) and XEP-0106 JID Escaping. */
#ifndef PW_JID_H
#define PW_JID_H

#include <stddef.h>

#include "core/pw_status.h"

/** Longest localpart, domainpart or resourcepart in bytes (RFC 7622 §3.2-3.4), no NUL. */
#define PW_JID_PART_MAX 1023

/** Longest full JID in bytes: three parts plus '@' and '/', no NUL. */
#define PW_JID_MAX 3071

/**
 * Split and check a JID "[local@]domain[/resource]" (RFC 7622 §3.1: the resource is
 * everything after the first '/', the localpart everything before the first '@' that comes
 * before it).
 *
 * Checks (this is a structural check, not full PRECIS preparation):
 * - every part is valid UTF-8 and at most PW_JID_PART_MAX bytes;
 * - the domain is non-empty; one trailing dot is removed; it is lower-cased (ASCII only);
 *   it is either dot-separated non-empty labels of letters, digits, '-', '_' and non-ASCII
 *   characters, or an IP literal "[...]" of hex digits, ':' and '.';
 * - a localpart, when there is an '@', is non-empty and holds none of `"&'/:<>@`, no space
 *   and no control character; it is returned as given (not case-folded);
 * - a resource, when there is a '/', is non-empty and holds no control character.
 *
 * Any output pointer may be NULL with its capacity 0 to skip that part. A missing localpart
 * or resource gives "". On failure every given output is set to "".
 * @param jid the JID (caller-owned); at most PW_JID_MAX bytes are examined
 * @param local buffer for the localpart, or NULL
 * @param lcap size of @p local in bytes, NUL included
 * @param domain buffer for the normalised domain, or NULL
 * @param dcap size of @p domain in bytes, NUL included
 * @param resource buffer for the resource, or NULL
 * @param rcap size of @p resource in bytes, NUL included
 * @return PW_OK; PW_EINVAL for NULL @p jid or a malformed JID; PW_ERANGE when the JID is
 *         over PW_JID_MAX bytes, a part over PW_JID_PART_MAX, or an output buffer too small
 */
pw_status_t pw_jid_split(const char *jid, char *local, size_t lcap, char *domain, size_t dcap,
                         char *resource, size_t rcap);

/**
 * The normalised bare JID ("local@domain" or "domain", the domain as pw_jid_split() gives it;
 * any resource dropped).
 * @param jid the JID (caller-owned)
 * @param out caller's buffer; "" on failure
 * @param cap size of @p out in bytes, NUL included
 * @return as pw_jid_split(); PW_EINVAL also for a NULL @p out
 */
pw_status_t pw_jid_bare(const char *jid, char *out, size_t cap);

/**
 * Whether a JID is a valid domain JID (no '@' and no '/').
 * @param jid the JID, or NULL
 * @return 1 if @p jid is a valid JID that is only a domain, 0 otherwise
 */
int pw_jid_is_domain(const char *jid);

/**
 * Whether a sender is a component (docs/protocol.md §7): a valid JID without a localpart — a
 * user never speaks for an operator. A resource is ignored: only the component itself can
 * send from its domain, and servers route its full JIDs to it alike.
 * @param from the sender's JID, or NULL
 * @param domain receives its normalised domain when it is (may be NULL)
 * @param cap size of domain
 * @return 1 when it is, 0 otherwise
 */
int pw_jid_is_component(const char *from, char *domain, size_t cap);

/**
 * Whether a sender is one of the named components: pw_jid_is_component(), and its domain
 * equal, ignoring ASCII case, to one of names.
 * @param from the sender's JID, or NULL
 * @param names the accepted component JIDs (borrowed)
 * @param n how many names
 * @return 1 when it is, 0 otherwise
 */
int pw_jid_is_named_component(const char *from, char *const *names, size_t n);

/**
 * The normalised domain of a JID.
 * @param jid the JID (caller-owned)
 * @param out caller's buffer; "" on failure
 * @param cap size of @p out in bytes, NUL included
 * @return as pw_jid_split(); PW_EINVAL also for a NULL @p out
 */
pw_status_t pw_jid_domain(const char *jid, char *out, size_t cap);

/**
 * Escape text into a localpart (XEP-0106 §3.2, §4): space " & ' / : < > @ become \20 \22 \26
 * \27 \2f \3a \3c \3e \40; a backslash becomes \5c only where it starts one of the ten
 * escape sequences (\20 \22 \26 \27 \2f \3a \3c \3e \40 \5c, lower-case hex) and is kept
 * otherwise ("c:\net" -> "c\3a\net", "c:\5commas" -> "c\3a\5c5commas"). Other bytes are
 * copied.
 * @param in the text (caller-owned): non-empty, valid UTF-8, no control characters, and
 *        neither starting nor ending with a space (XEP-0106 §3.2 forbids \20 there)
 * @param out caller's buffer; "" on failure
 * @param cap size of @p out in bytes, NUL included
 * @return PW_OK; PW_EINVAL for NULL arguments or text breaking the rules above;
 *         PW_ERANGE when @p in is over PW_JID_MAX bytes, the result is over PW_JID_PART_MAX
 *         bytes, or it does not fit in @p cap
 */
pw_status_t pw_jid_escape_node(const char *in, char *out, size_t cap);

/**
 * Unescape a localpart (XEP-0106 §3.3): each of the ten escape sequences (lower-case hex, see
 * pw_jid_escape_node()) becomes its character, scanning left to right; any other backslash
 * is kept as it is. pw_jid_unescape_node(pw_jid_escape_node(x)) == x for every x that
 * pw_jid_escape_node() accepts.
 * @param in the escaped localpart (caller-owned): non-empty, at most PW_JID_PART_MAX bytes
 * @param out caller's buffer; "" on failure
 * @param cap size of @p out in bytes, NUL included
 * @return PW_OK; PW_EINVAL for NULL arguments or empty input; PW_ERANGE when @p in is too
 *         long or the result does not fit in @p cap
 */
pw_status_t pw_jid_unescape_node(const char *in, char *out, size_t cap);

#endif /* PW_JID_H */
