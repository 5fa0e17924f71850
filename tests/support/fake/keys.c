/* keys.c: operator key pairs for tests (see keys.h), made with OpenSSL. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keys.h"

pw_status_t pwfake_keys_write_ed25519(const char *key_path, const char *pub_path)
{
    pw_status_t rc = PW_ECRYPTO;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY *pkey = NULL;
    FILE *f = NULL;
    int fd;

    if (!kctx || EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &pkey) != 1)
        goto done;
    /* 0600 as peerwatch-peer keygen makes it: the loader refuses a key others can read */
    fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        goto done;
    }
    if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1)
        goto done;
    fclose(f);
    f = fopen(pub_path, "w");
    if (!f || PEM_write_PUBKEY(f, pkey) != 1)
        goto done;
    rc = PW_OK;
done:
    if (f)
        fclose(f);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(kctx);
    return rc;
}

pw_enquiry_t pwfake_keys_alice_enquiry(void)
{
    pw_enquiry_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.ref, sizeof e.ref, "watcher.opa.example/0b6c9a8e-2f0e-4a55-9a0f-6c51c8b1a2d4");
    e.kind = PW_KIND_CURRENT;
    snprintf(e.presentity, sizeof e.presentity, "+12025550123");
    snprintf(e.watcher_msisdn, sizeof e.watcher_msisdn, "+447700900001");
    snprintf(e.watcher_jid, sizeof e.watcher_jid, "alice@opa.example");
    snprintf(e.watcher_network, sizeof e.watcher_network, "opa.example");
    return e;
}

const char *pwfake_keys_enquiry_to(const pw_enquiry_t *e, const char *domain, char *out, size_t cap)
{
    char node[PW_JID_PART_MAX + 1];
    if (e->presentity[0])
        snprintf(node, sizeof node, "%s", e->presentity);
    else if (pw_jid_escape_node(e->presentity_jid, node, sizeof node) != PW_OK)
        node[0] = '\0';
    if (!node[0] || snprintf(out, cap, "%s@%s", node, domain) >= (int)cap)
        out[0] = '\0';
    return out;
}
