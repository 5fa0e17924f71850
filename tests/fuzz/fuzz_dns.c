/* fuzz_dns.c: libFuzzer target: what DNS answers reach: NAPTR fields -> pw_enum_apply_regexp / pw_enum_domain_for (RFC 6116, RFC 3402), SRV records -> pw_srv_order (RFC 2782). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "dns/pw_enum.h"
#include "core/pw_log.h"
#include "address/pw_msisdn.h"
#include "dns/pw_resolver.h"
#include "dns/pw_srv.h"

/*
 * The raw answer parser of resolver_cares.c is static (and needs a server to feed it), so the
 * input is the already-split answer, one record per line, fields separated by tabs:
 *   line 1:  the number (the Application Unique String), e.g. +12025550123
 *   N<TAB>order<TAB>preference<TAB>flags<TAB>service<TAB>regexp<TAB>replacement
 *   S<TAB>priority<TAB>weight<TAB>port<TAB>target
 * Fields that do not fit the resolver's arrays are truncated as the resolver would drop them.
 */

static pw_naptr_t fz_naptr[PW_RESOLVER_MAX_RRS];
static pw_srv_rr_t fz_srv[PW_RESOLVER_MAX_RRS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pw_log_setup("fuzz-dns", PW_LOG_ERROR);
    return 0;
}

/* The next tab-separated field of *p (modified in place); "" at the end of the line. */
static char *fz_field(char **p)
{
    char *f = *p, *tab = strchr(f, '\t');
    if (tab) {
        *tab = '\0';
        *p = tab + 1;
    } else {
        *p = f + strlen(f);
    }
    return f;
}

static uint16_t fz_u16(char **p)
{
    return (uint16_t)strtoul(fz_field(p), NULL, 10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *line, *next, *p, number[256] = "", out[PW_ENUM_URI_MAX + 1];
    char domain[PW_ENUM_DOMAIN_MAX + 1], uri[PW_ENUM_URI_MAX + 1], edom[512];
    size_t nn = 0, ns = 0, order[PW_RESOLVER_MAX_RRS], seen[PW_RESOLVER_MAX_RRS];
    uint64_t rng = 42;

    if (size > PWF_MAX_INPUT)
        return 0;
    text = pwf_cstr(data, size);
    if (!text)
        return 0;
    for (line = text; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        p = line;
        if (line == text) {
            snprintf(number, sizeof number, "%s", line);
        } else if (line[0] == 'N' && line[1] == '\t' && nn < PW_RESOLVER_MAX_RRS) {
            pw_naptr_t *r = &fz_naptr[nn++];
            p += 2;
            r->order = fz_u16(&p);
            r->preference = fz_u16(&p);
            snprintf(r->flags, sizeof r->flags, "%s", fz_field(&p));
            snprintf(r->service, sizeof r->service, "%s", fz_field(&p));
            snprintf(r->regexp, sizeof r->regexp, "%s", fz_field(&p));
            snprintf(r->replacement, sizeof r->replacement, "%s", fz_field(&p));
            /* the substitution on its own, on the number and on the raw line */
            (void)pw_enum_apply_regexp(r->regexp, number, out, sizeof out);
            if (pw_enum_apply_regexp(r->regexp, "+12025550123", out, sizeof out) == PW_OK)
                (void)pw_enum_uri_domain(out, domain, sizeof domain);
        } else if (line[0] == 'S' && line[1] == '\t' && ns < PW_RESOLVER_MAX_RRS) {
            pw_srv_rr_t *r = &fz_srv[ns++];
            p += 2;
            r->priority = fz_u16(&p);
            r->weight = fz_u16(&p);
            r->port = fz_u16(&p);
            snprintf(r->target, sizeof r->target, "%s", fz_field(&p));
        }
    }
    (void)pw_enum_uri_domain(number, domain, sizeof domain);
    if (pw_msisdn_is_e164(number))
        (void)pw_msisdn_enum_domain(number, NULL, edom, sizeof edom);
    (void)pw_enum_domain_for(number, fz_naptr, nn, domain, sizeof domain, uri, sizeof uri);
    (void)pw_enum_domain_for("+12025550123", fz_naptr, nn, domain, sizeof domain, uri, sizeof uri);
    if (ns > 0 && pw_srv_order(fz_srv, ns, pw_srv_xorshift, &rng, order) == PW_OK) {
        /* every index exactly once */
        memset(seen, 0, sizeof seen);
        for (size_t i = 0; i < ns; i++) {
            if (order[i] >= ns || seen[order[i]]++)
                __builtin_trap();
        }
    }
    free(text);
    return 0;
}
