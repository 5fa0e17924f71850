/* gateway_driver.c: a Gateway Presence Server for unit tests (see gateway_driver.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway_driver.h"
#include "keys.h"

/* Write a key pair into the driver's directory as NAME.key / NAME.pub and load its private half. */
static pw_status_t make_key(pwfake_gateway_t *d, const char *name, pwfake_gateway_keyfiles_t *files,
                            pw_peering_key_t **priv, char *why, size_t cap)
{
    pw_status_t rc;
    snprintf(files->key, sizeof files->key, "%s/%s.key", d->dir, name);
    snprintf(files->pub, sizeof files->pub, "%s/%s.pub", d->dir, name);
    rc = pwfake_keys_write_ed25519(files->key, files->pub);
    if (rc != PW_OK) {
        snprintf(why, cap, "cannot write the key pair %s", files->key);
        return rc;
    }
    return pw_peering_key_load_private(files->key, priv, why, cap);
}

pw_status_t pwfake_gateway_create(pwfake_gateway_t **out, char *why, size_t cap)
{
    pw_component_opts_t o = { .jid = PWFAKE_GATEWAY_JID, .name = "peerwatch-gateway", .version = "0",
                              .disco_category = "component", .disco_type = "presence",
                              .disco_name = "Test gateway", .iq_timeout_ms = 5000 };
    pwfake_gateway_t *d = calloc(1, sizeof *d);
    pw_status_t rc = PW_ENOMEM;

    *out = NULL;
    snprintf(why, cap, "out of memory");
    if (!d)
        goto done;
    snprintf(d->dir, sizeof d->dir, "/tmp/pw-gateway-XXXXXX");
    if (!mkdtemp(d->dir)) {
        d->dir[0] = '\0';
        snprintf(why, cap, "cannot make a temporary directory");
        rc = PW_EIO;
        goto done;
    }
    if ((rc = make_key(d, "opa", &d->opa, &d->k_opa, why, cap)) != PW_OK ||
        (rc = make_key(d, "opb", &d->opb, &d->k_opb, why, cap)) != PW_OK ||
        (rc = make_key(d, "opc", &d->opc, &d->k_opc, why, cap)) != PW_OK ||
        (rc = make_key(d, "rogue", &d->rogue, &d->k_rogue, why, cap)) != PW_OK)
        goto done;

    d->settings.network = "opb.example";
    d->settings.hss = PWFAKE_GATEWAY_HSS;
    d->settings.key = d->k_opb;
    d->presence_servers[0] = PWFAKE_GATEWAY_PS;
    d->settings.presence_servers.items = d->presence_servers;
    d->settings.presence_servers.n = 1;
    d->settings.max_skew_ms = 300000;
    d->settings.max_age_ms = 10000; /* the default */
    d->settings.max_nonces = 1000;
    d->settings.rate_per_peer = 200;
    d->settings.max_in_flight = 4096; /* the default */
    if ((rc = pw_peering_peers_create(&d->settings.peers)) != PW_OK ||
        (rc = pw_peering_peers_add(d->settings.peers, "opa.example", d->opa.pub, why, cap)) != PW_OK ||
        (rc = pw_peering_peers_add(d->settings.peers, "opc.example", d->opc.pub, why, cap)) != PW_OK)
        goto done;

    d->clock_ms = 1000;
    snprintf(why, cap, "cannot set the loop, context, transport or component up");
    if ((rc = pwfake_component_create_clocked(&d->fc, &o, &d->clock_ms)) != PW_OK)
        goto done;
    pwfake_component_lend(d->fc, &d->loop, &d->ctx, &d->fake, &d->comp);
    pwfake_transport_up(d->fake);
    snprintf(why, cap, "pw_gateway_create failed");
    if ((rc = pw_gateway_create(&d->gw, d->comp, &d->settings)) != PW_OK)
        goto done;
    why[0] = '\0';
    *out = d;
    d = NULL;
done:
    pwfake_gateway_destroy(d);
    return rc;
}

static void remove_keyfiles(const pwfake_gateway_keyfiles_t *files)
{
    if (files->key[0])
        unlink(files->key);
    if (files->pub[0])
        unlink(files->pub);
}

void pwfake_gateway_destroy(pwfake_gateway_t *d)
{
    if (!d)
        return;
    pw_gateway_destroy(d->gw);
    pwfake_component_destroy(d->fc);
    pw_peering_peers_destroy(d->settings.peers);
    pw_peering_key_destroy(d->k_opa);
    pw_peering_key_destroy(d->k_opb);
    pw_peering_key_destroy(d->k_opc);
    pw_peering_key_destroy(d->k_rogue);
    remove_keyfiles(&d->opa);
    remove_keyfiles(&d->opb);
    remove_keyfiles(&d->opc);
    remove_keyfiles(&d->rogue);
    if (d->dir[0])
        rmdir(d->dir);
    free(d);
}
