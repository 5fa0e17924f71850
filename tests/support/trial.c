/* trial.c: brings up (and down) the two-operator trial of pwt_trial.h from the templates in conf/. */
#include "pwt_trial.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "core/pw_log.h"
#include "keys.h"
#include "pwt_ca.h"
#include "pwt_ejabberd.h"
#include "pwt_prosody.h"
#include "pwt_util.h"

#define MAX_COMPONENTS 12

/* The fixture subscribers of the trial (issue "two-operator trial"): the same every time, with
 * the presence server that serves each (as in conf/hss-op?.subscribers). */
static const struct {
    int op;
    const char *user;
    const char *ps; /* "ps1": the user's presence server is ps1.<domain> */
} fixture_users[] = {
    { PWT_OPA, "alice", "ps1" }, { PWT_OPA, "carol", "ps1" }, { PWT_OPA, "dave", "ps1" },
    { PWT_OPB, "bob", "ps1" },   { PWT_OPB, "erin", "ps2" },  { PWT_OPB, "frank", "ps1" },
    { PWT_OPB, "grace", "ps2" },
    { PWT_OPC, "mallory", NULL }, /* operator C's (pwt_trial_opts_t.third_operator): no HSS, no PS */
};

/* Roster items that encode the presentities' decisions about alice. */
static const struct {
    int op;
    const char *user, *contact, *subscription;
} fixture_rosters[] = {
    { PWT_OPB, "bob", "+447700900001@watcher.opb.example", "from" },   /* approved alice */
    { PWT_OPB, "frank", "+447700900001@watcher.opb.example", "none" }, /* declined */
    { PWT_OPB, "grace", "+447700900001@watcher.opb.example", "from" }, /* approved alice */
};

/* The components of one operator, in start order (callees before callers). On a two-node
 * cluster (kind "ejabberd-cluster") each attaches to the node given, and a second gateway
 * instance, gateway2.<domain>, runs on the second node (both behind the operator's
 * _presence-gw SRV name); on one server all attach to it. */
static const struct {
    const char *role;     /* "hss": the component is <role>.<domain> */
    const char *name;     /* the instance's name after the operator's: "opb-gateway2" */
    const char *program;  /* relative to the build tree */
    const char *tpl;      /* relative to the source tree */
    int opb_only;
    int node;             /* on a cluster: 0 the first node, 1 the second */
    int cluster_only;     /* runs only on a cluster */
} roles[] = {
    { "hss", "hss", "hss/peerwatch-hss", "conf/trial/hss.conf", 0, 0, 0 },
    { "ps1", "ps1", "components/presence_server/peerwatch-presence", "conf/trial/presence.conf", 0, 0, 0 },
    { "ps2", "ps2", "components/presence_server/peerwatch-presence", "conf/trial/presence.conf", 1, 1, 0 },
    { "gateway", "gateway", "gateway/peerwatch-gateway", "conf/trial/gateway.conf", 0, 0, 0 },
    { "gateway2", "gateway2", "gateway/peerwatch-gateway", "conf/trial/gateway.conf", 0, 1, 1 },
    { "proxy", "proxy", "components/watcher_presence_proxy/peerwatch-proxy", "conf/trial/proxy.conf", 0, 0, 0 },
    { "watcher", "watcher", "components/watcher_application/peerwatch-watcher", "conf/trial/watcher.conf", 0, 0, 0 },
};

static const char *const domains[3] = { "opa.example", "opb.example", "opc.example" };
/* Each operator's loopback address: where everything listens on one machine; with netns, where
 * its components attach inside its own namespace (the server's c2s and s2s are then on its
 * address on its network, pwt_network_ip()). */
static const char *const ips[3] = { "127.0.0.2", "127.0.0.3", "127.0.0.6" };
static const char *const second_node_ips[2] = { "127.0.0.5", "127.0.0.4" };

#define KIND_CLUSTER "ejabberd-cluster"

struct pwt_trial {
    char dir[PWT_PATH_MAX];
    int own_dir;
    int verbose;
    char log_level[16];
    int third;                 /* pwt_trial_opts_t.third_operator */
    char opc_dns_conf[PWT_PATH_MAX + 64]; /* conf/dnsmasq/third-operator.conf rendered, or "" */
    pwt_network_t *net;        /* netns: each operator's namespace, the inter-operator one */
    pwt_dnsmasq_t *dns;
    pwt_server_t *server[3];   /* A's, B's, and C's with a third operator (else NULL) */
    pwt_server_t *member[2];   /* a cluster's second node, or NULL */
    char kind[2][PWT_TRIAL_KIND_MAX];
    char cdr_dir[2][PWT_PATH_MAX + 64];
    char sent_dir[2][PWT_PATH_MAX + 64];
    char state_dir[2][PWT_PATH_MAX + 64];
    char subscribers[2][PWT_PATH_MAX + 64];            /* the HSS's file (write_subscribers()) */
    unsigned crowd;                                    /* pwt_trial_opts_t.crowd */
    char key[2][PWT_PATH_MAX + 64], pub[2][PWT_PATH_MAX + 64];
    char ca[PWT_PATH_MAX];                              /* TLS: the CA certificate, else "" */
    char tls_cert[2][PWT_PATH_MAX], tls_key[2][PWT_PATH_MAX]; /* TLS: each operator's */
    struct {
        char name[32];
        pwt_component_t *c;
    } comps[MAX_COMPONENTS];
    size_t ncomps;
};

static void step(const pwt_trial_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void step(const pwt_trial_t *t, const char *fmt, ...)
{
    va_list ap;
    if (!t->verbose)
        return;
    printf("trial: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* Where operator op's server takes c2s and s2s. */
static const char *server_ip(const pwt_trial_t *t, int op)
{
    return t->net ? pwt_network_ip(op) : ips[op];
}

/* Move the calling thread into operator op's network namespace (PWT_NET_TRANSIT: the
 * inter-operator one), so that what it starts runs there; a handle for pwt_netns_leave(), or
 * -1. Without netns the thread stays where it is. */
static int enter_network(const pwt_trial_t *t, int which)
{
    return pwt_netns_enter(pwt_network_ns(t->net, which));
}

static int make_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

static pw_status_t start_component(pwt_trial_t *t, int op, pwt_server_t *server,
                                   const char *role, const char *instance, const char *program,
                                   const char *tpl)
{
    char jid[128], port[16], name[32], subs[PWT_PATH_MAX + 64], dns[64], allow[512], node[128];
    const char *d = domains[op], *peer = domains[1 - op];
    pwt_component_t *c = NULL;
    pw_status_t rc;

    snprintf(jid, sizeof jid, "%s.%s", role, d);
    snprintf(port, sizeof port, "%d", pwt_server_component_port(server));
    snprintf(name, sizeof name, "%s-%.20s", op == PWT_OPA ? "opa" : "opb", instance);
    snprintf(dns, sizeof dns, "%s:%d", t->dns ? pwt_dnsmasq_ip(t->dns) : "127.0.0.1",
             t->dns ? pwt_dnsmasq_port(t->dns) : 53);
    snprintf(node, sizeof node, "%s", jid);
    /* the HSS reads the trial's own copy (write_subscribers()), which a test may change (then SIGHUP) */
    if (snprintf(subs, sizeof subs, "%s", t->subscribers[op]) >= (int)sizeof subs || !subs[0])
        return PW_EIO;
    snprintf(allow, sizeof allow, "watcher.%s, proxy.%s, gateway.%s, gateway2.%s, ps1.%s, ps2.%s%s",
             d, d, d, d, d, d, t->dns ? "" : ", alice@opa.example");
    {
        char proxy[128], hss[128], gateway[256], watcher[128], pslist[256];
        snprintf(proxy, sizeof proxy, "proxy.%s", d);
        snprintf(hss, sizeof hss, "hss.%s", d);
        /* the presence servers take enquiries from, and notify through, every gateway instance */
        if (t->member[op])
            snprintf(gateway, sizeof gateway, "gateway.%s, gateway2.%s", d, d);
        else
            snprintf(gateway, sizeof gateway, "gateway.%s", d);
        snprintf(watcher, sizeof watcher, "watcher.%s", d);
        snprintf(pslist, sizeof pslist, "ps1.%s, ps2.%s", d, d);
        const char *vars[] = {
            "JID", jid, "SECRET", pwt_server_secret(server), "SERVER", pwt_server_component_ip(server),
            "PORT", port, "LOGLEVEL", t->log_level, "DOMAIN", d, "NETWORK", d,
            "PEER_NETWORK", peer, "SUBSCRIBERS", subs, "ALLOW", allow, "PROXY", proxy,
            "HSS", hss, "GATEWAY", gateway, "WATCHER", watcher, "PSLIST", pslist,
            "KEY", t->key[op], "PEER_PUBKEY", t->pub[1 - op], "OWN_PUBKEY", t->pub[op], "KEY_DIR", t->dir, "DNS", dns,
            "CDR_DIR", t->cdr_dir[op], "SENT_DIR", t->sent_dir[op], "NODE", node, "STATE_DIR", t->state_dir[op], NULL
        };
        int saved = enter_network(t, op); /* it runs, and restarts, in its operator's network */
        if (saved < 0)
            return PW_EIO;
        rc = pwt_component_start(&c, program, tpl, vars, t->dir, name);
        pwt_netns_leave(saved);
    }
    if (rc != PW_OK)
        return rc;
    snprintf(t->comps[t->ncomps].name, sizeof t->comps[t->ncomps].name, "%s", name);
    t->comps[t->ncomps++].c = c;
    if (pwt_component_wait_online(c, 1, 15000) != 0)
        return PW_ETIMEOUT;
    step(t, "%s is online as %s", name, jid);
    return PW_OK;
}

int pwt_trial_split_servers(const char *text, char kinds[2][PWT_TRIAL_KIND_MAX])
{
    const char *comma = text ? strchr(text, ',') : NULL;
    size_t n = comma ? (size_t)(comma - text) : 0;

    if (!comma || n >= PWT_TRIAL_KIND_MAX || strlen(comma + 1) >= PWT_TRIAL_KIND_MAX)
        return 0;
    memcpy(kinds[0], text, n);
    kinds[0][n] = '\0';
    snprintf(kinds[1], PWT_TRIAL_KIND_MAX, "%s", comma + 1);
    return 1;
}

/* Operator op's server kind when the caller names none: PWT_SERVERS="A,B" from the
 * environment (how the integration suite runs on another pair), else Prosody. A value with a
 * comma that does not split is handed on whole, so that it is refused as an unknown kind. */
static const char *default_kind(int op, char kinds[2][PWT_TRIAL_KIND_MAX])
{
    const char *env = getenv("PWT_SERVERS");
    if (!env || !strchr(env, ','))
        return "prosody";
    return pwt_trial_split_servers(env, kinds) ? kinds[op] : env;
}

int pwt_trial_server_kind_ok(const char *kind)
{
    return kind && (strcmp(kind, "prosody") == 0 || strcmp(kind, "ejabberd") == 0 ||
                    strcmp(kind, KIND_CLUSTER) == 0);
}

const char *pwt_trial_crowd_user(int op, unsigned i, char *buf, size_t cap)
{
    if ((op != PWT_OPA && op != PWT_OPB) || i >= PWT_TRIAL_CROWD_MAX || !buf ||
        snprintf(buf, cap, "crowd%c%04u", op == PWT_OPA ? 'a' : 'b', i) >= (int)cap)
        return NULL;
    return buf;
}

const char *pwt_trial_crowd_number(int op, unsigned i, char *buf, size_t cap)
{
    int n;
    if ((op != PWT_OPA && op != PWT_OPB) || i >= PWT_TRIAL_CROWD_MAX || !buf)
        return NULL;
    n = op == PWT_OPA ? snprintf(buf, cap, "+44770096%04u", i) : snprintf(buf, cap, "+12025559%03u", i);
    return n < (int)cap ? buf : NULL;
}

/* The crowd's accounts on operator op's server and, on B, every crowd user's roster items
 * authorising each crowd user of A (pwt_trial_opts_t.crowd). */
static pw_status_t add_crowd(pwt_trial_t *t, int op)
{
    char user[16], number[16], contact[64];
    pw_status_t rc = PW_OK;

    for (unsigned i = 0; rc == PW_OK && i < t->crowd; i++) {
        pwt_trial_crowd_user(op, i, user, sizeof user);
        rc = pwt_server_add_user(t->server[op], user, PWT_TRIAL_PASSWORD);
        for (unsigned j = 0; rc == PW_OK && op == PWT_OPB && j < t->crowd; j++) {
            snprintf(contact, sizeof contact, "%s@watcher.%s",
                     pwt_trial_crowd_number(PWT_OPA, j, number, sizeof number), domains[op]);
            rc = pwt_server_set_roster(t->server[op], user, contact, "from");
        }
    }
    return rc;
}

/* Operator op's HSS file, DIR/hss-opa.subscribers (PWT_TRIAL_SUBSCRIBERS), is a copy of the
 * fixture file of conf/, followed with a crowd by a line per crowd user. */
static pw_status_t write_subscribers(pwt_trial_t *t, int op)
{
    char src[PWT_PATH_MAX], line[512], user[16], number[16];
    FILE *in = NULL, *out = NULL;
    pw_status_t rc = PW_EIO;
    char path[sizeof t->subscribers[op]];
    snprintf(path, sizeof path, "%s/" PWT_TRIAL_SUBSCRIBERS, t->dir, op == PWT_OPA ? "opa" : "opb");
    memcpy(t->subscribers[op], path, sizeof path);
    if (pwt_srcpath(src, sizeof src, op == PWT_OPA ? "conf/hss-opa.subscribers"
                                                   : "conf/hss-opb.subscribers") != PW_OK ||
        !(in = fopen(src, "r")) || !(out = fopen(t->subscribers[op], "w")))
        goto done;
    while (fgets(line, sizeof line, in))
        fputs(line, out);
    if (t->crowd > 0)
        fprintf(out, "# the trial's crowd (pwt_trial_opts_t.crowd)\n");
    for (unsigned i = 0; i < t->crowd; i++) {
        pwt_trial_crowd_number(op, i, number, sizeof number);
        pwt_trial_crowd_user(op, i, user, sizeof user);
        if (op == PWT_OPA)
            fprintf(out, "%s %s@%s ps1.%s active prepaid %d\n", number, user, domains[op],
                    domains[op], PWT_TRIAL_CROWD_BALANCE);
        else
            fprintf(out, "%s %s@%s ps1.%s active postpaid -\n", number, user, domains[op],
                    domains[op]);
    }
    rc = ferror(in) ? PW_EIO : PW_OK;
done:
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = PW_EIO;
    return rc;
}

/* On ejabberd, each user's roster holds the user's presence server with subscription "from"
 * (docs/ejabberd.md, "a vanished user"): ejabberd forwards to a managed entity only the
 * presences a client sends, but broadcasts "unavailable" to every "from" contact when a
 * session ends without one (a client quits or its connection drops). The presence server
 * gets each available presence twice, which changes nothing. */
static pw_status_t add_presence_server_items(pwt_trial_t *t, int op)
{
    char ps[128];
    pw_status_t rc = PW_OK;

    for (size_t i = 0; rc == PW_OK && i < sizeof fixture_users / sizeof fixture_users[0]; i++) {
        if (fixture_users[i].op != op)
            continue;
        snprintf(ps, sizeof ps, "%s.%s", fixture_users[i].ps, domains[op]);
        rc = pwt_server_set_roster(t->server[op], fixture_users[i].user, ps, "from");
    }
    for (unsigned i = 0; rc == PW_OK && i < t->crowd; i++) {
        char user[16];
        snprintf(ps, sizeof ps, "ps1.%s", domains[op]);
        rc = pwt_server_set_roster(t->server[op], pwt_trial_crowd_user(op, i, user, sizeof user),
                                   ps, "from");
    }
    return rc;
}

static pw_status_t create_server(pwt_server_t **out, const char *kind,
                                 const pwt_server_spec_t *spec)
{
    if (!pwt_trial_server_kind_ok(kind)) {
        pw_error(NULL, "pwt: no trial server of kind '%s' (prosody, ejabberd or " KIND_CLUSTER ")",
                 kind);
        return PW_EINVAL;
    }
    return strcmp(kind, "prosody") != 0 ? pwt_ejabberd_create(out, spec)
                                        : pwt_prosody_create(out, spec);
}

pw_status_t pwt_trial_server_create(pwt_server_t **out, int op, const pwt_server_spec_t *spec)
{
    char kinds[2][PWT_TRIAL_KIND_MAX];
    if (op != PWT_OPA && op != PWT_OPB)
        return PW_EINVAL;
    return create_server(out, default_kind(op, kinds), spec);
}

static pw_status_t prepare_server(pwt_trial_t *t, int op, const char *kind, int bench)
{
    /* only the components that run are declared (the roles table: ps2 for B only) */
    const pwt_server_tls_t tls = { .cert = t->tls_cert[op], .key = t->tls_key[op], .ca = t->ca };
    pwt_server_spec_t po = { .domain = domains[op], .ip = server_ip(t, op), .component_ip = ips[op],
                             .optional = (op == PWT_OPB ? PWT_SERVER_WITH_PS2 : 0u) |
                                         (bench ? PWT_SERVER_WITH_BENCH : 0u) |
                                         (t->third ? PWT_SERVER_WITH_ROGUE : 0u),
                             .tls = t->ca[0] ? &tls : NULL };
    int saved = enter_network(t, op); /* the server belongs to its operator's network */
    pw_status_t rc = saved < 0 ? PW_EIO : create_server(&t->server[op], kind, &po);

    pwt_netns_leave(saved);
    if (rc != PW_OK)
        return rc;
    snprintf(t->kind[op], sizeof t->kind[op], "%s", kind);
    if (strcmp(kind, KIND_CLUSTER) == 0) {
        pwt_server_spec_t second = { .ip = second_node_ips[op] };
        if ((rc = pwt_ejabberd_create_member(&t->member[op], &second, t->server[op])) != PW_OK)
            return rc;
    }
    for (size_t i = 0; i < sizeof fixture_users / sizeof fixture_users[0]; i++) {
        if (fixture_users[i].op == op &&
            (rc = pwt_server_add_user(t->server[op], fixture_users[i].user, PWT_TRIAL_PASSWORD)) != PW_OK)
            return rc;
    }
    for (size_t i = 0; i < sizeof fixture_rosters / sizeof fixture_rosters[0]; i++) {
        if (fixture_rosters[i].op == op &&
            (rc = pwt_server_set_roster(t->server[op], fixture_rosters[i].user,
                                        fixture_rosters[i].contact,
                                        fixture_rosters[i].subscription)) != PW_OK)
            return rc;
    }
    if ((rc = add_crowd(t, op)) != PW_OK)
        return rc;
    if (strcmp(kind, "prosody") != 0)
        rc = add_presence_server_items(t, op);
    return rc;
}

/* Operator C (pwt_trial_opts_t.third_operator): a Prosody for opc.example on its own loopback
 * address with C's fixture users and no component of its own (its server declares the
 * template's component domains, where the tests connect raw components). */
static pw_status_t prepare_third(pwt_trial_t *t)
{
    const pwt_server_spec_t spec = { .domain = domains[PWT_OPC], .ip = ips[PWT_OPC],
                                     .optional = PWT_SERVER_WITH_ROGUE };
    pw_status_t rc = pwt_prosody_create(&t->server[PWT_OPC], &spec);

    for (size_t i = 0; rc == PW_OK && i < sizeof fixture_users / sizeof fixture_users[0]; i++) {
        if (fixture_users[i].op == PWT_OPC)
            rc = pwt_server_add_user(t->server[PWT_OPC], fixture_users[i].user, PWT_TRIAL_PASSWORD);
    }
    return rc;
}

/* C's records for dnsmasq (conf/dnsmasq/third-operator.conf rendered into the trial's
 * directory), named in trial.conf's @OPC_CONF@ line. */
static pw_status_t render_third_dns(pwt_trial_t *t, char *line, size_t cap)
{
    char tpl[PWT_PATH_MAX], s2s[16];
    const char *vars[] = { "OPC_IP", ips[PWT_OPC], "OPC_S2S_PORT", s2s, NULL };
    pw_status_t rc;

    if (!t->third) {
        snprintf(line, cap, "# (the trial runs no third operator)");
        return PW_OK;
    }
    snprintf(s2s, sizeof s2s, "%d", pwt_server_s2s_port(t->server[PWT_OPC]));
    snprintf(t->opc_dns_conf, sizeof t->opc_dns_conf, "%s/dnsmasq-opc.conf", t->dir);
    rc = pwt_srcpath(tpl, sizeof tpl, "conf/dnsmasq/third-operator.conf");
    if (rc == PW_OK)
        rc = pwt_render(tpl, t->opc_dns_conf, vars);
    if (rc == PW_OK && snprintf(line, cap, "conf-file=%s", t->opc_dns_conf) >= (int)cap)
        rc = PW_ERANGE;
    return rc;
}

/* A TLS trial's private CA in DIR/ca and each operator's certificate (of nops operators). */
static pw_status_t make_certificates(pwt_trial_t *t, int nops)
{
    char dir[PWT_PATH_MAX];
    pwt_ca_t *ca = NULL;
    pw_status_t rc = pwt_path_join(dir, t->dir, "ca");

    if (rc == PW_OK && !make_dir(dir))
        rc = PW_EIO;
    if (rc == PW_OK)
        rc = pwt_ca_create(&ca, dir, "trial");
    for (int op = 0; rc == PW_OK && op < nops; op++)
        rc = pwt_ca_issue_operator(ca, domains[op], t->tls_cert[op], t->tls_key[op]);
    if (rc == PW_OK) {
        snprintf(t->ca, sizeof t->ca, "%s", pwt_ca_cert_path(ca));
        step(t, "a private CA (%s) certified each operator's domains", t->ca);
    }
    pwt_ca_destroy(ca);
    return rc;
}

static pw_status_t start_dns(pwt_trial_t *t)
{
    /* B's second gateway instance (a cluster) beside the first in B's gateway SRV name */
    const char *b_gateway2 = t->member[PWT_OPB]
        ? "srv-host=_presence-gw._tcp.opb.example,gateway2.opb.example,5269,20,100"
        : "# (operator B runs one gateway instance)";
    char tpl[PWT_PATH_MAX], a_s2s[16], b_s2s[16], down[16], opc[PWT_PATH_MAX + 128];
    pw_status_t rc = render_third_dns(t, opc, sizeof opc);
    int down_port, saved;

    if (rc != PW_OK)
        return rc;
    saved = enter_network(t, PWT_OPB);

    if (saved < 0)
        return PW_EIO;
    down_port = pwt_port_pick(server_ip(t, PWT_OPB)); /* nothing will listen there: the down gateway */
    pwt_netns_leave(saved);
    snprintf(a_s2s, sizeof a_s2s, "%d", pwt_server_s2s_port(t->server[PWT_OPA]));
    snprintf(b_s2s, sizeof b_s2s, "%d", pwt_server_s2s_port(t->server[PWT_OPB]));
    snprintf(down, sizeof down, "%d", down_port);
    if (pwt_srcpath(tpl, sizeof tpl, "conf/dnsmasq/trial.conf") != PW_OK)
        return PW_EIO;
    {
        const char *vars[] = { "OPA_IP", server_ip(t, PWT_OPA), "OPA_S2S_PORT", a_s2s,
                               "OPB_IP", server_ip(t, PWT_OPB), "OPB_S2S_PORT", b_s2s,
                               "DOWN_PORT", down, "OPB_GATEWAY2", b_gateway2, "OPC_CONF", opc,
                               NULL };
        /* with netns in the inter-operator network, where both operators reach it */
        if ((saved = enter_network(t, PWT_NET_TRANSIT)) < 0)
            return PW_EIO;
        rc = t->net ? pwt_dnsmasq_start_at(&t->dns, tpl, vars, pwt_network_ip(PWT_NET_TRANSIT), 0)
                    : pwt_dnsmasq_start(&t->dns, tpl, vars);
        pwt_netns_leave(saved);
        return rc;
    }
}

pw_status_t pwt_trial_start(pwt_trial_t **out, const pwt_trial_opts_t *o)
{
    pw_status_t rc = PW_OK;
    pwt_trial_t *t = calloc(1, sizeof *t);
    pwt_wan_t wan = { 0 };
    const char *wan_env, *kind[2];
    char kinds[2][PWT_TRIAL_KIND_MAX]; /* PWT_SERVERS, split */
    int nops, with_wan = 0;

    *out = NULL;
    if (!t)
        return PW_ENOMEM;
    t->verbose = o && o->verbose;
    snprintf(t->log_level, sizeof t->log_level, "%s", o && o->log_level ? o->log_level : "info");
    if (o && o->base_dir) {
        snprintf(t->dir, sizeof t->dir, "%s", o->base_dir);
        if (!make_dir(t->dir)) {
            rc = PW_EIO;
            goto done;
        }
    } else {
        char *d = pwt_tmpdir("trial");
        if (!d) {
            rc = PW_EIO;
            goto done;
        }
        snprintf(t->dir, sizeof t->dir, "%s", d);
        free(d);
        t->own_dir = 1;
    }
    nops = o && o->hss_only ? 1 : 2;
    t->third = o && o->third_operator;
    if (t->third && (nops == 1 || o->netns || o->tls || o->wan || getenv("PWT_TRIAL_WAN"))) {
        pw_error(NULL, "pwt: a third operator runs in a plain trial of two operators on one "
                       "network only (no hss_only, netns, tls or WAN)");
        rc = PW_EINVAL;
        goto done;
    }
    t->crowd = o ? o->crowd : 0;
    if (t->crowd > PWT_TRIAL_CROWD_MAX) {
        pw_error(NULL, "pwt: a crowd of %u: at most %u", t->crowd, PWT_TRIAL_CROWD_MAX);
        rc = PW_EINVAL;
        goto done;
    }
    for (int op = 0; op < 2; op++)
        kind[op] = o && o->servers[op] ? o->servers[op] : default_kind(op, kinds);
    if (o && o->wan) {
        wan = *o->wan;
        with_wan = 1;
    } else if ((wan_env = getenv("PWT_TRIAL_WAN")) != NULL) {
        if (!pwt_wan_parse(wan_env, &wan)) {
            pw_error(NULL, "pwt: PWT_TRIAL_WAN='%s': give DELAY,JITTER,LOSS (ms, ms, %%), e.g. "
                           "40,10,1", wan_env);
            rc = PW_EINVAL;
            goto done;
        }
        with_wan = 1;
    }
    if ((o && o->netns) || with_wan) {
        for (int op = 0; op < nops; op++) {
            if (strcmp(kind[op], KIND_CLUSTER) == 0) { /* its second node has no place there yet */
                pw_error(NULL, "pwt: a trial on separate networks (netns) runs on prosody or "
                               "ejabberd, not on " KIND_CLUSTER);
                rc = PW_EINVAL;
                goto done;
            }
        }
        if ((rc = pwt_network_create(&t->net, with_wan ? &wan : NULL)) != PW_OK)
            goto done;
        if (with_wan)
            step(t, "operator B's link is a WAN: %u ms ± %u ms each way, %g %% of frames lost "
                    "(pwt-wire, %s)", wan.delay_ms, wan.jitter_ms, wan.loss_percent,
                 pwt_network_wan_log(t->net));
        step(t, "operator A's network (%s, %s), B's (%s, %s) and the inter-operator network "
                "(%s) are namespaces joined by veth links",
             pwt_netns_name(pwt_network_ns(t->net, PWT_NET_OPA)), pwt_network_ip(PWT_NET_OPA),
             pwt_netns_name(pwt_network_ns(t->net, PWT_NET_OPB)), pwt_network_ip(PWT_NET_OPB),
             pwt_netns_name(pwt_network_ns(t->net, PWT_NET_TRANSIT)));
    }
    if ((t->net || (o && o->tls)) && (rc = make_certificates(t, nops)) != PW_OK)
        goto done;
    for (int op = 0; op < nops; op++) {
        if ((rc = prepare_server(t, op, kind[op], o && o->bench)) != PW_OK)
            goto done;
        snprintf(t->cdr_dir[op], sizeof t->cdr_dir[op], "%s/cdr-%s", t->dir, domains[op]);
        snprintf(t->state_dir[op], sizeof t->state_dir[op], "%s/state-%s", t->dir, domains[op]);
        snprintf(t->sent_dir[op], sizeof t->sent_dir[op], "%s/sent-%s", t->dir, domains[op]);
        snprintf(t->key[op], sizeof t->key[op], "%s/%s.key", t->dir, domains[op]);
        snprintf(t->pub[op], sizeof t->pub[op], "%s/%s.pub", t->dir, domains[op]);
        if (write_subscribers(t, op) != PW_OK ||
            !make_dir(t->cdr_dir[op]) || !make_dir(t->state_dir[op]) ||
            pwfake_keys_write_ed25519(t->key[op], t->pub[op]) != PW_OK) {
            rc = PW_EIO;
            goto done;
        }
    }
    if (t->third && (rc = prepare_third(t)) != PW_OK)
        goto done;
    if (nops == 2) {
        const char *server;
        if ((rc = start_dns(t)) != PW_OK)
            goto done;
        step(t, "dnsmasq serves SRV and ENUM NAPTR records on %s", pwt_dnsmasq_server(t->dns));
        server = pwt_dnsmasq_server(t->dns);
        if (t->third && (rc = pwt_server_set_dns_server(t->server[PWT_OPC], server)) != PW_OK)
            goto done;
        for (int op = 0; op < 2; op++) {
            if ((rc = pwt_server_set_dns_server(t->server[op], server)) != PW_OK ||
                (t->member[op] && (rc = pwt_server_set_dns_server(t->member[op], server)) != PW_OK))
                goto done;
        }
    }
    for (int op = 0; op < nops; op++) {
        if ((rc = pwt_server_start(t->server[op])) != PW_OK)
            goto done;
        step(t, "%s for %s listens on %s", pwt_server_kind(t->server[op]), domains[op],
             server_ip(t, op));
        if (t->member[op]) {
            if ((rc = pwt_server_start(t->member[op])) != PW_OK)
                goto done;
            step(t, "its second node (%s) joined the cluster and listens on %s",
                 pwt_ejabberd_node(t->member[op]), second_node_ips[op]);
        }
    }
    if (t->third) {
        if ((rc = pwt_server_start(t->server[PWT_OPC])) != PW_OK)
            goto done;
        step(t, "prosody for %s (operator C, no peering with A or B) listens on %s",
             domains[PWT_OPC], ips[PWT_OPC]);
    }
    for (int op = 0; op < nops && !(o && o->servers_only); op++) {
        for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
            pwt_server_t *node = roles[i].node == 1 && t->member[op] ? t->member[op] : t->server[op];
            if ((roles[i].opb_only && op != PWT_OPB) || (roles[i].cluster_only && !t->member[op]))
                continue;
            if (nops == 1 && strcmp(roles[i].role, "hss") != 0)
                continue;
            if ((rc = start_component(t, op, node, roles[i].role, roles[i].name, roles[i].program,
                                      roles[i].tpl)) != PW_OK)
                goto done;
        }
    }
done:
    if (rc != PW_OK) {
        fprintf(stderr, "trial: start-up failed: %s (logs in %s)\n", pw_strerror(rc), t->dir);
        for (size_t i = 0; i < t->ncomps; i++)
            pwt_component_print_log(t->comps[i].c, 15);
        for (int op = 0; op < 2; op++) {
            pwt_server_print_log(t->server[op], 15);
            pwt_server_print_log(t->member[op], 15);
        }
        pwt_server_print_log(t->server[PWT_OPC], 15);
        t->own_dir = 0; /* keep the logs for a post-mortem */
        pwt_trial_destroy(t);
        return rc;
    }
    *out = t;
    return PW_OK;
}

pwt_server_t *pwt_trial_member(pwt_trial_t *t, int op)
{
    return (op == PWT_OPA || op == PWT_OPB) ? t->member[op] : NULL;
}

pwt_server_t *pwt_trial_server(pwt_trial_t *t, int op)
{
    return (op == PWT_OPA || op == PWT_OPB || op == PWT_OPC) ? t->server[op] : NULL;
}

pwt_component_t *pwt_trial_component(pwt_trial_t *t, const char *name)
{
    for (size_t i = 0; i < t->ncomps; i++) {
        if (strcmp(t->comps[i].name, name) == 0)
            return t->comps[i].c;
    }
    return NULL;
}

const char *pwt_trial_cdr_dir(const pwt_trial_t *t, int op) { return t->cdr_dir[op]; }
const char *pwt_trial_dir(const pwt_trial_t *t) { return t->dir; }
const char *pwt_trial_sent_dir(const pwt_trial_t *t, int op) { return t->sent_dir[op]; }
pwt_dnsmasq_t *pwt_trial_dns(pwt_trial_t *t) { return t->dns; }
pwt_network_t *pwt_trial_network(pwt_trial_t *t) { return t->net; }

const char *pwt_trial_server_ip(const pwt_trial_t *t, int op)
{
    if (op == PWT_OPC)
        return t->server[op] ? ips[op] : NULL;
    return op == PWT_OPA || op == PWT_OPB ? server_ip(t, op) : NULL;
}

const char *pwt_trial_key(const pwt_trial_t *t, int op)
{
    return (op == PWT_OPA || op == PWT_OPB) && t->key[op][0] ? t->key[op] : NULL;
}
const char *pwt_trial_ca(const pwt_trial_t *t) { return t->ca[0] ? t->ca : NULL; }

pw_status_t pwt_trial_login(pwt_trial_t *t, const char *user, pwt_client_t **out)
{
    char jid[128], name[16];
    for (size_t i = 0; i < sizeof fixture_users / sizeof fixture_users[0] + 2 * t->crowd; i++) {
        size_t k = i - sizeof fixture_users / sizeof fixture_users[0];
        int op = i < sizeof fixture_users / sizeof fixture_users[0] ? fixture_users[i].op
                                                                     : (int)(k % 2);
        const char *known = i < sizeof fixture_users / sizeof fixture_users[0]
                                ? fixture_users[i].user
                                : pwt_trial_crowd_user(op, (unsigned)(k / 2), name, sizeof name);
        if (strcmp(known, user) != 0 || !t->server[op])
            continue;
        snprintf(jid, sizeof jid, "%s@%s", user, domains[op]);
        if (op == PWT_OPC) /* plain text only (pwt_trial_start()) */
            return pwt_client_connect(out, jid, PWT_TRIAL_PASSWORD, ips[op],
                                      pwt_server_c2s_port(t->server[op]), 5000);
        if (t->ca[0])
            return pwt_client_connect_tls(out, jid, PWT_TRIAL_PASSWORD, server_ip(t, op),
                                          pwt_server_c2s_port(t->server[op]), t->ca, 5000);
        return pwt_client_connect(out, jid, PWT_TRIAL_PASSWORD, server_ip(t, op),
                                  pwt_server_c2s_port(t->server[op]), 5000);
    }
    return PW_ENOTFOUND;
}

pw_status_t pwt_trial_write_env(const pwt_trial_t *t, const char *path, int pid)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return PW_EIO;
    fprintf(f, "# trial.env: the running Peerwatch trial (source it, or point an XMPP client at it)\n");
    for (int op = 0; op < 2; op++) {
        const char *p = op == PWT_OPA ? "OPA" : "OPB";
        if (!t->server[op])
            continue;
        fprintf(f, "%s_DOMAIN=%s\n%s_C2S=%s:%d\n%s_CDR_DIR=%s\n%s_SENT_DIR=%s\n%s_SERVER=%s\n", p,
                domains[op], p, server_ip(t, op), pwt_server_c2s_port(t->server[op]), p, t->cdr_dir[op], p,
                t->sent_dir[op], p, t->kind[op]);
        /* where components attach: the server's component listener and its secret */
        fprintf(f, "%s_COMPONENT=%s:%d\n%s_SECRET=%s\n", p, pwt_server_component_ip(t->server[op]),
                pwt_server_component_port(t->server[op]), p, pwt_server_secret(t->server[op]));
        /* netns: its network namespace, where OPx_COMPONENT is (ip netns exec NAME …) */
        if (t->net)
            fprintf(f, "%s_NETNS=%s\n", p, pwt_netns_name(pwt_network_ns(t->net, op)));
        /* the server's own log (e.g. for the s2s sessions it accepted or refused) */
        fprintf(f, "%s_SERVER_LOG=%s\n", p, pwt_server_log_path(t->server[op]));
        if (t->member[op]) /* a cluster's second node: the same users log in there too */
            fprintf(f, "%s_C2S_NODE2=%s:%d\n", p, second_node_ips[op],
                    pwt_server_c2s_port(t->member[op]));
    }
    if (t->server[PWT_OPC]) /* the third operator: its users log in there, raw components attach */
        fprintf(f, "OPC_DOMAIN=%s\nOPC_C2S=%s:%d\nOPC_COMPONENT=%s:%d\nOPC_SECRET=%s\n"
                   "OPC_SERVER=prosody\nOPC_SERVER_LOG=%s\n", domains[PWT_OPC], ips[PWT_OPC],
                pwt_server_c2s_port(t->server[PWT_OPC]), ips[PWT_OPC],
                pwt_server_component_port(t->server[PWT_OPC]), pwt_server_secret(t->server[PWT_OPC]),
                pwt_server_log_path(t->server[PWT_OPC]));
    fprintf(f, "PASSWORD=%s\nTRIAL_PID=%d\nTRIAL_DIR=%s\n", PWT_TRIAL_PASSWORD, pid, t->dir);
    if (t->dns)
        fprintf(f, "DNS_SERVER=%s:%d\n", pwt_dnsmasq_ip(t->dns), pwt_dnsmasq_port(t->dns));
    if (t->ca[0]) /* the CA that certifies both servers: a client verifies them with it */
        fprintf(f, "TRIAL_CA=%s\n", t->ca);
    /* each component's PID and log, e.g. OPB_PS1_PID=1234, OPB_PS1_LOG=/tmp/…/opb-ps1.log */
    for (size_t i = 0; i < t->ncomps; i++) {
        char key[40];
        size_t k;
        for (k = 0; t->comps[i].name[k] && k + 1 < sizeof key; k++) {
            char ch = t->comps[i].name[k];
            key[k] = ch == '-' ? '_' : (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
        }
        key[k] = '\0';
        fprintf(f, "%s_PID=%d\n%s_LOG=%s\n", key, pwt_component_pid(t->comps[i].c), key,
                pwt_component_log(t->comps[i].c));
    }
    return fclose(f) == 0 ? PW_OK : PW_EIO;
}

void pwt_trial_keep(pwt_trial_t *t)
{
    t->own_dir = 0;
}

void pwt_trial_destroy(pwt_trial_t *t)
{
    if (!t)
        return;
    /* callers first, so nothing is left half-answered against a stopped callee */
    while (t->ncomps > 0)
        pwt_component_destroy(t->comps[--t->ncomps].c);
    pwt_server_destroy(t->server[PWT_OPC]);
    for (int op = 0; op < 2; op++) {
        pwt_server_destroy(t->member[op]);
        pwt_server_destroy(t->server[op]);
    }
    pwt_dnsmasq_destroy(t->dns);
    pwt_network_destroy(t->net); /* last: nothing runs in its namespaces any more */
    if (t->own_dir && !getenv("PWT_KEEP"))
        pwt_rmtree(t->dir);
    free(t);
}
