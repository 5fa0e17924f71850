/* addresses.c: who is who at the WA: local users, presentity addresses and their contact JIDs (DESIGN.md §2), and how addresses, states and times read to people. */
#include "watcher_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address/pw_jid.h"

pw_status_t pw_watcher_contact_jid(const pw_address_t *a, const char *wa_domain, char *out,
                                   size_t cap)
{
    char node[PW_JID_PART_MAX + 1];
    pw_status_t rc;
    int n;

    if (!out || cap == 0)
        return PW_EINVAL;
    out[0] = '\0';
    if (!a || !wa_domain || !pw_jid_is_domain(wa_domain))
        return PW_EINVAL;
    rc = pw_address_to_node(a, node, sizeof node);
    if (rc != PW_OK)
        return rc;
    n = snprintf(out, cap, "%s@%s", node, wa_domain);
    if (n < 0 || (size_t)n >= cap || (size_t)n > PW_JID_MAX) {
        out[0] = '\0';
        return PW_ERANGE;
    }
    return PW_OK;
}

pw_status_t pw_watcher_contact_of(const pw_watcher_t *wa, const char *address, char *out, size_t cap)
{
    pw_address_t a;
    pw_status_t rc = pw_address_parse(address, &wa->rules, &a);
    if (rc != PW_OK) {
        if (cap)
            out[0] = '\0';
        return rc;
    }
    return pw_watcher_contact_jid(&a, pw_component_jid(wa->c), out, cap);
}

int pw_watcher_local_user(const pw_watcher_t *wa, const char *from, char *bare, size_t cap)
{
    char local[PW_JID_PART_MAX + 1], domain[PW_JID_PART_MAX + 1];

    if (!from || pw_jid_split(from, local, sizeof local, domain, sizeof domain, NULL, 0) != PW_OK ||
        !local[0] || strcasecmp(domain, wa->settings->domain) != 0)
        return 0;
    return (size_t)snprintf(bare, cap, "%s@%s", local, domain) < cap;
}

const char *pw_watcher_address_forms(const pw_watcher_t *wa, char *buf, size_t cap)
{
    if (wa->rules.country_code[0])
        snprintf(buf, cap, "an address is a phone number such as +12025550123 (national numbers "
                 "of +%s with the prefix '%s' too) or an XMPP address such as bob@opb.example "
                 "or bob\\40opb.example", wa->rules.country_code, wa->rules.trunk_prefix);
    else
        snprintf(buf, cap, "an address is a phone number in international form such as "
                 "+12025550123 or an XMPP address such as bob@opb.example or bob\\40opb.example");
    return buf;
}

/* Digits of the E.164 country code that starts digits (ITU-T E.164 Annex: the codes of one
 * and two digits; every other code has three). */
static size_t country_code_length(const char *digits)
{
    static const char *const two[] = {
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
        "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
        "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94",
        "95", "98",
    };
    if (digits[0] == '1' || digits[0] == '7')
        return 1;
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
        if (strncmp(digits, two[i], 2) == 0)
            return 2;
    }
    return 3;
}

const char *pw_watcher_display(const char *address, char *buf, size_t cap)
{
    size_t len = strlen(address), cc;

    if (address[0] != '+') {
        if (pw_jid_unescape_node(address, buf, cap) != PW_OK)
            snprintf(buf, cap, "%s", address);
        return buf;
    }
    cc = len > 4 ? country_code_length(address + 1) : 0;
    if (cc == 1 && address[1] == '1' && len == 12) /* the North American plan: +1 NPA NXX XXXX */
        snprintf(buf, cap, "+1 %.3s %.3s %s", address + 2, address + 5, address + 8);
    else if (cc)
        snprintf(buf, cap, "+%.*s %s", (int)cc, address + 1, address + 1 + cc);
    else
        snprintf(buf, cap, "%s", address);
    return buf;
}

const char *pw_watcher_state_text(const char *address, const pw_presence_state_t *st, char *buf,
                                  size_t cap)
{
    char who[PW_JID_MAX + 1];
    const char *word = "online";

    pw_watcher_display(address, who, sizeof who);
    if (!st->available)
        word = "offline";
    else if (strcmp(st->show, "away") == 0)
        word = "away";
    else if (strcmp(st->show, "chat") == 0)
        word = "free to chat";
    else if (strcmp(st->show, "dnd") == 0)
        word = "busy (do not disturb)";
    else if (strcmp(st->show, "xa") == 0)
        word = "away for a long time";
    if (st->status[0])
        snprintf(buf, cap, "%s is now %s: %s", who, word, st->status);
    else
        snprintf(buf, cap, "%s is now %s", who, word);
    return buf;
}

const char *pw_watcher_end_text(const char *address, const char *reason, char *buf, size_t cap)
{
    static const struct {
        const char *reason;
        int names_who; /* the text starts with the presentity */
        const char *why;
    } texts[] = {
        { "expired", 0, "the time you asked for is over" },
        { "stopped", 0, "it was stopped at your request" },
        { "revoked", 1, " no longer shares their presence with you" },
        { "presentity-gone", 1, " is no longer a subscriber of their operator" },
        { "fulfilled", 0, "that was the change you were waiting for" },
        { "declined", 1, " declined your request to see their presence" },
    };
    char who[PW_JID_MAX + 1];
    const char *why = "the other operator ended it";
    int names_who = 0;

    pw_watcher_display(address, who, sizeof who);
    for (size_t i = 0; reason && i < sizeof texts / sizeof texts[0]; i++) {
        if (strcmp(reason, texts[i].reason) == 0) {
            why = texts[i].why;
            names_who = texts[i].names_who;
        }
    }
    snprintf(buf, cap, "Your subscription to %s has ended: %s%s.", who, names_who ? who : "", why);
    return buf;
}

const char *pw_watcher_time_text(uint64_t at_ms, uint64_t now_ms, char *buf, size_t cap)
{
    static const char *const months[] = { "January", "February", "March", "April", "May", "June",
                                          "July", "August", "September", "October", "November",
                                          "December" };
    time_t t = (time_t)(at_ms / 1000);
    uint64_t left = at_ms > now_ms ? (at_ms - now_ms + 500) / 1000 : 0;
    const char *unit = "second";
    uint64_t n = left;
    struct tm tm;

    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, cap, "an unknown time");
        return buf;
    }
    if (left >= 36 * 3600) {
        n = (left + 43200) / 86400;
        unit = "day";
    } else if (left >= 90 * 60) {
        n = (left + 1800) / 3600;
        unit = "hour";
    } else if (left >= 90) {
        n = (left + 30) / 60;
        unit = "minute";
    }
    snprintf(buf, cap, "%02d:%02d UTC on %d %s %d (in %llu %s%s)", tm.tm_hour, tm.tm_min, tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, (unsigned long long)n, unit, n == 1 ? "" : "s");
    return buf;
}
