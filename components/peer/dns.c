/* dns.c: peerwatch-peer dns: the records an operator publishes, in zone-file syntax (RFC 1035 §5): its gateway SRV (RFC 2782), the s2s SRV of its domain and component domains (RFC 6120 §3.2.1), its server's address, ENUM NAPTR examples (RFC 6116, RFC 3403). */
#include "peer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/pw_text.h"
#include "peer_site.h"

#define WHY_MAX (2 * PW_PEER_PATH_MAX)

/* Everything the records are made of. */
typedef struct zone {
    const char *network;   /* the operator's domain */
    const char *gateway;   /* its gateway's JID */
    const char *service;   /* [proxy] gateway_service */
    const char *host;      /* the XMPP server's host */
    const char *suffix;    /* [proxy] enum_suffix */
    int port;              /* its s2s port */
    pw_config_list_t components;
    pw_config_list_t prefixes;
    int width;             /* of the owner column */
} zone_t;

static void srv_records(FILE *out, const zone_t *z)
{
    char owner[PW_PEER_CARD_DOMAIN_MAX + 64];

    fprintf(out,
            "; Where peers' proxies find this operator's Gateway Presence Server: the target\n"
            "; is the gateway's XMPP domain, which enquiries reach over s2s (docs/protocol.md\n"
            "; §2.2).\n");
    snprintf(owner, sizeof owner, "%s.%s.", z->service, z->network);
    fprintf(out, "%-*s IN SRV 10 100 %d %s.\n\n", z->width, owner, z->port, z->gateway);
    fprintf(out,
            "; Server-to-server (RFC 6120 §3.2.1) for the domain and every component domain:\n"
            "; peers' servers connect to (and dialback-verify) the component domains directly.\n");
    snprintf(owner, sizeof owner, "_xmpp-server._tcp.%s.", z->network);
    fprintf(out, "%-*s IN SRV 0 5 %d %s.\n", z->width, owner, z->port, z->host);
    for (size_t i = 0; i < z->components.n; i++) {
        snprintf(owner, sizeof owner, "_xmpp-server._tcp.%s.", z->components.items[i]);
        fprintf(out, "%-*s IN SRV 0 5 %d %s.\n", z->width, owner, z->port, z->host);
    }
}

static void address_record(FILE *out, const zone_t *z, const char *address)
{
    unsigned char buf[16];
    char owner[PW_PEER_CARD_DOMAIN_MAX + 2];

    snprintf(owner, sizeof owner, "%s.", z->host);
    fprintf(out, "\n; The XMPP server's address.\n");
    if (!address)
        fprintf(out, "; %s needs an A or AAAA record (--server-address prints it).\n", z->host);
    else
        fprintf(out, "%-*s IN %s %s\n", z->width, owner,
                inet_pton(AF_INET, address, buf) == 1 ? "A" : "AAAA", address);
}

/* ENUM examples: a wildcard per prefix, commented out (the ENUM tree is not this zone). */
static void enum_records(FILE *out, const zone_t *z)
{
    fprintf(out,
            "\n; ENUM (RFC 6116): which operator serves a number. These names are in the ENUM\n"
            "; tree %s ([proxy] enum_suffix), not in this zone: hand them to its registry.\n"
            "; One NAPTR record per number, or (as shown) a wildcard per prefix where the tree\n"
            "; allows it; enumservice E2U+xmpp, the network as the URI (docs/protocol.md §2.2).\n",
            z->suffix);
    if (z->prefixes.n == 0)
        fprintf(out, "; (no [prefixes] line of proxy.conf maps to %s)\n", z->network);
    for (size_t i = 0; i < z->prefixes.n; i++) {
        const char *digits = z->prefixes.items[i] + 1;
        fprintf(out, "; %s:\n; *.", z->prefixes.items[i]);
        for (size_t d = strlen(digits); d > 0; d--)
            fprintf(out, "%c.", digits[d - 1]);
        fprintf(out, "%s. IN NAPTR 100 10 \"u\" \"E2U+xmpp\" \"!^.*$!xmpp:%s!\" .\n", z->suffix,
                z->network);
    }
}

/* The options that are not in the configuration, checked. */
static int dns_options(const pw_peer_opts_t *o, zone_t *z, char *why, size_t cap)
{
    unsigned char buf[16];

    if (!pw_peer_card_domain_ok(z->host)) {
        snprintf(why, cap, "--server-host: '%.64s' is not a host name (an SRV target names a host)",
                 z->host);
        return 0;
    }
    if (o->server_address && inet_pton(AF_INET, o->server_address, buf) != 1 &&
        inet_pton(AF_INET6, o->server_address, buf) != 1) {
        snprintf(why, cap, "--server-address: '%.64s' is not an IPv4 or IPv6 address",
                 o->server_address);
        return 0;
    }
    return 1;
}

int pw_peer_dns(const pw_peer_opts_t *o, FILE *out, FILE *err)
{
    pw_peer_site_t *site = NULL;
    char why[WHY_MAX], network[PW_PEER_CARD_DOMAIN_MAX + 1], gateway[PW_PEER_CARD_DOMAIN_MAX + 1];
    int status = PW_PEER_EXIT_FAIL;
    zone_t z;

    memset(&z, 0, sizeof z);
    if (pw_peer_site_load(&site, o, PW_PEER_SITE_GATEWAY | PW_PEER_SITE_PROXY, why, sizeof why) !=
        PW_OK)
        goto done;
    pw_text_fold(site->proxy->network, network, sizeof network);
    pw_text_fold(site->gateway->common.jid, gateway, sizeof gateway);
    z.network = network;
    z.gateway = gateway;
    z.service = site->proxy->gateway_service;
    z.suffix = site->proxy->enum_suffix;
    z.host = o->server_host ? o->server_host : network;
    z.port = o->s2s_port ? o->s2s_port : PW_PEER_S2S_PORT;
    if (!dns_options(o, &z, why, sizeof why) ||
        pw_peer_site_components(site, &z.components, why, sizeof why) != PW_OK ||
        pw_peer_site_prefixes(site, network, &z.prefixes, why, sizeof why) != PW_OK)
        goto done;
    z.width = (int)(strlen("_xmpp-server._tcp..") + strlen(network));
    for (size_t i = 0; i < z.components.n; i++)
        if ((int)(strlen("_xmpp-server._tcp..") + strlen(z.components.items[i])) > z.width)
            z.width = (int)(strlen("_xmpp-server._tcp..") + strlen(z.components.items[i]));
    fprintf(out,
            "; DNS records of %s for its Peerwatch peers (peerwatch-peer dns), in zone-file\n"
            "; syntax (RFC 1035 §5). Names are absolute: publish them in the zone of %s.\n"
            "$TTL %ld\n\n",
            network, network, o->ttl > 0 ? o->ttl : (long)PW_PEER_TTL);
    srv_records(out, &z);
    address_record(out, &z, o->server_address);
    enum_records(out, &z);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(why, sizeof why, "cannot write the records");
        goto done;
    }
    status = PW_PEER_EXIT_OK;
done:
    if (status != PW_PEER_EXIT_OK)
        fprintf(err, "peerwatch-peer dns: %s\n", why);
    pw_peer_site_list_free(&z.components);
    pw_peer_site_list_free(&z.prefixes);
    pw_peer_site_destroy(site);
    return status;
}
