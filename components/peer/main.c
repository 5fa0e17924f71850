/* main.c: peerwatch-peer, the operator onboarding tool: the command line (keygen, card, import, dns, check) handed to the commands of peer.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pw_config.h"
#include "core/pw_log.h"
#include "peer.h"
#include "peer_card.h"

#ifndef PW_PEER_CONFIG_DIR
#define PW_PEER_CONFIG_DIR "/etc/peerwatch"
#endif

static const char help_text[] =
    "NAME\n"
    "    peerwatch-peer - exchange peering data with other Peerwatch operators\n"
    "\n"
    "SYNOPSIS\n"
    "    peerwatch-peer [--config-dir DIR] [--key-dir DIR] keygen [--rotate]\n"
    "    peerwatch-peer [--config-dir DIR] [--key-dir DIR] card\n"
    "    peerwatch-peer [--config-dir DIR] [--key-dir DIR] import [--replace] CARD\n"
    "    peerwatch-peer [--config-dir DIR] dns [--server-host HOST] [--server-address IP]\n"
    "                   [--s2s-port N] [--ttl SECONDS]\n"
    "    peerwatch-peer [--config-dir DIR] [--key-dir DIR] check [--dns-server IP[:PORT]]\n"
    "                   [--timeout DURATION]\n"
    "    peerwatch-peer --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the operator's configuration in DIR as the daemons do (operator.conf and the\n"
    "    roles' files that include it: gateway.conf, proxy.conf; dns also watcher.conf,\n"
    "    hss.conf and presence*.conf), so every default of the operator file applies.\n"
    "\n"
    "    keygen\n"
    "        Make this operator's Ed25519 key pair: KEY_DIR/DOMAIN.key (private, mode 0600)\n"
    "        and KEY_DIR/DOMAIN.pub (public, 0644); KEY_DIR is made (0700) when missing. An\n"
    "        existing key is never overwritten. --rotate first keeps the current pair as\n"
    "        DOMAIN.key.old and DOMAIN.pub.old.\n"
    "\n"
    "    card\n"
    "        Print this operator's peering card (docs/peering-card.md): network domain,\n"
    "        gateway JID, public key, and the [prefixes] of proxy.conf whose network is its\n"
    "        own. Send it to each peer; it holds nothing secret.\n"
    "\n"
    "    import CARD\n"
    "        Add the peer of CARD: its key as KEY_DIR/NETWORK.pub, 'NETWORK = KEYFILE' in\n"
    "        gateway.conf [peers], its prefixes in proxy.conf [prefixes], its network in\n"
    "        [proxy] notify_from. Every other line and comment stays as it is; files are\n"
    "        replaced atomically, and only once the edited files load as the daemons would\n"
    "        load them. Importing the same card again changes nothing. A card that\n"
    "        contradicts the configuration (its network with another key, a prefix routed\n"
    "        to another network, this operator's own network) or is malformed is refused,\n"
    "        naming the line, and nothing is changed. --replace accepts a new key for a\n"
    "        known peer (after a key rotation on its side).\n"
    "\n"
    "    dns\n"
    "        Print, in zone-file syntax, the records to publish: _presence-gw._tcp SRV to\n"
    "        the gateway, _xmpp-server._tcp SRV for the domain and every component domain,\n"
    "        the server's address, and ENUM NAPTR examples for the own prefixes.\n"
    "        --server-host HOST      the XMPP server's host, the s2s SRV target (default:\n"
    "                                the operator's domain)\n"
    "        --server-address IP     print its A or AAAA record too\n"
    "        --s2s-port N            its server-to-server port (default 5269)\n"
    "        --ttl SECONDS           the zone's $TTL (default 3600)\n"
    "\n"
    "    check\n"
    "        From this host: for every peer of gateway.conf [peers], validate its key file,\n"
    "        resolve its _presence-gw._tcp SRV and the _xmpp-server._tcp SRV of each gateway\n"
    "        and of its domain, and try a TCP connection to each server they name; check\n"
    "        this operator's own key pair. One line per check, 'ok' or 'FAIL' and why.\n"
    "        --dns-server IP[:PORT]  the DNS server to ask (default: [proxy] dns_servers,\n"
    "                                else /etc/resolv.conf)\n"
    "        --timeout DURATION      per TCP connection attempt (default 5s)\n"
    "\n"
    "OPTIONS\n"
    "    --config-dir DIR   the configuration directory (default " PW_PEER_CONFIG_DIR ")\n"
    "    --key-dir DIR      the key directory (default: [operator] key_dir, itself by\n"
    "                       default the keys/ directory beside operator.conf)\n"
    "    -h, --help         this text\n"
    "    -V, --version      the program's version and the card format's\n"
    "\n"
    "EXIT STATUS\n"
    "    0   done (import: also when the card was imported already)\n"
    "    1   refused, a check failed, or a file could not be read or written\n"
    "    2   usage error\n";

/* The long options; the value is the option's letter in the command's allowed set. */
enum { O_CONFIG = 'c', O_KEYDIR = 'k', O_ROTATE = 'r', O_REPLACE = 'R', O_HOST = 'H',
       O_ADDRESS = 'A', O_PORT = 'p', O_TTL = 't', O_DNS = 'd', O_TIMEOUT = 'T' };

static int usage(const char *msg)
{
    fprintf(stderr, "peerwatch-peer: %s\nTry 'peerwatch-peer --help'.\n", msg);
    return PW_PEER_EXIT_USAGE;
}

/* A whole number within bounds, or -1. */
static long number(const char *text, long min, long max)
{
    char *end;
    long v = strtol(text, &end, 10);
    return text[0] && *end == '\0' && v >= min && v <= max ? v : -1;
}

/* Store one option. @return 0, or a usage error's status */
static int store(pw_peer_opts_t *o, int c, const char *arg)
{
    int64_t ms;
    switch (c) {
    case O_CONFIG: o->config_dir = arg; break;
    case O_KEYDIR: o->key_dir = arg; break;
    case O_ROTATE: o->rotate = 1; break;
    case O_REPLACE: o->replace = 1; break;
    case O_HOST: o->server_host = arg; break;
    case O_ADDRESS: o->server_address = arg; break;
    case O_DNS: o->dns_server = arg; break;
    case O_PORT:
        if ((o->s2s_port = (int)number(arg, 1, 65535)) < 0)
            return usage("--s2s-port: a port is 1..65535");
        break;
    case O_TTL:
        if ((o->ttl = number(arg, 1, 2147483647L)) < 0)
            return usage("--ttl: a number of seconds, at least 1");
        break;
    case O_TIMEOUT:
        if (pw_config_parse_duration(arg, &ms) != PW_OK || ms < 100 || ms > 600000)
            return usage("--timeout: a duration of 100ms..10m (5s, 1500ms)");
        o->timeout_ms = (uint64_t)ms;
        break;
    default: return usage("unknown option");
    }
    return 0;
}

/* Which options a command takes (the common ones aside), as option letters. */
static const char *allowed(const char *cmd)
{
    static const struct { const char *cmd, *opts; } table[] = {
        { "keygen", "r" }, { "card", "" }, { "import", "R" }, { "dns", "HApt" }, { "check", "dT" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].cmd, cmd) == 0)
            return table[i].opts;
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config-dir", required_argument, NULL, O_CONFIG },
        { "key-dir", required_argument, NULL, O_KEYDIR },
        { "rotate", no_argument, NULL, O_ROTATE },
        { "replace", no_argument, NULL, O_REPLACE },
        { "server-host", required_argument, NULL, O_HOST },
        { "server-address", required_argument, NULL, O_ADDRESS },
        { "s2s-port", required_argument, NULL, O_PORT },
        { "ttl", required_argument, NULL, O_TTL },
        { "dns-server", required_argument, NULL, O_DNS },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    pw_peer_opts_t o;
    char used[16] = "", msg[96];
    const char *cmd, *ok;
    int c, rc;

    memset(&o, 0, sizeof o);
    o.config_dir = PW_PEER_CONFIG_DIR;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help_text, stdout);
            return PW_PEER_EXIT_OK;
        }
        if (c == 'V') {
            printf("peerwatch-peer (peerwatch) %s, peering card version %d\n", PACKAGE_VERSION,
                   PW_PEER_CARD_VERSION);
            return PW_PEER_EXIT_OK;
        }
        if (c == '?' || c == ':') {
            snprintf(msg, sizeof msg, "%.40s: %s", argv[optind - 1],
                     c == ':' ? "needs a value" : "unknown option");
            return usage(msg);
        }
        if ((rc = store(&o, c, optarg)) != 0)
            return rc;
        if (c != O_CONFIG && c != O_KEYDIR && strlen(used) + 1 < sizeof used && !strchr(used, c))
            used[strlen(used)] = (char)c;
    }
    if (optind >= argc)
        return usage("no command (keygen, card, import, dns or check)");
    cmd = argv[optind++];
    if (!(ok = allowed(cmd))) {
        snprintf(msg, sizeof msg, "unknown command '%.40s'", cmd);
        return usage(msg);
    }
    for (const char *u = used; *u; u++) {
        if (!strchr(ok, *u)) {
            const struct option *l = longopts;
            while (l->name && l->val != *u)
                l++;
            snprintf(msg, sizeof msg, "%s takes no --%s", cmd, l->name ? l->name : "?");
            return usage(msg);
        }
    }
    if ((strcmp(cmd, "import") == 0) != (argc - optind == 1))
        return usage(strcmp(cmd, "import") == 0 ? "import needs one CARD file"
                                                : "too many arguments");
    pw_log_setup("peerwatch-peer", PW_LOG_ERROR); /* the loaders' warnings are the daemons' */
    if (strcmp(cmd, "keygen") == 0)
        return pw_peer_keygen(&o, stdout, stderr);
    if (strcmp(cmd, "card") == 0)
        return pw_peer_card(&o, stdout, stderr);
    if (strcmp(cmd, "import") == 0)
        return pw_peer_import(&o, argv[optind], stdout, stderr);
    if (strcmp(cmd, "dns") == 0)
        return pw_peer_dns(&o, stdout, stderr);
    return pw_peer_check(&o, NULL, NULL, stdout, stderr);
}
