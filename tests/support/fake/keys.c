/* keys.c: operator key pairs for tests (see keys.h), made with OpenSSL. */
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keys.h"

pw_status_t pwfake_keys_write_ed25519(const char *key_path, const char *pub_path)
{
    pw_status_t rc = PW_ECRYPTO;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY *pkey = NULL;
    FILE *f = NULL;

    if (!kctx || EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &pkey) != 1)
        goto done;
    f = fopen(key_path, "w");
    if (!f || PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1)
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
