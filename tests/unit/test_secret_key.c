/* test_secret_key.c: a private key other users can read or the group can change is refused, as ssh refuses such keys, by the daemons' loader and by peerwatch-peer alike: 0644, 0604 and 0664 are, 0600 and 0640 are not; the message names the file, its mode and the chmod that mends it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chain/pw_peering.h"
#include "keys.h"
#include "peer_keys.h"
#include "pwt_util.h"

static char *dir;
static char key[256], pub[256];

static void setup(void)
{
    dir = pwt_tmpdir("seckey");
    cr_assert_not_null(dir);
    snprintf(key, sizeof key, "%s/opa.key", dir);
    snprintf(pub, sizeof pub, "%s/opa.pub", dir);
    cr_assert_eq(pwfake_keys_write_ed25519(key, pub), PW_OK);
}

static void teardown(void)
{
    pwt_rmtree(dir);
    free(dir);
}

TestSuite(secret_key, .init = setup, .fini = teardown);

/* Load the key at mode; why receives the reason. */
static pw_status_t load_at(mode_t mode, char *why, size_t cap)
{
    pw_peering_key_t *k = NULL;
    pw_status_t rc;

    cr_assert_eq(chmod(key, mode), 0);
    why[0] = '\0';
    rc = pw_peering_key_load_private(key, &k, why, cap);
    cr_assert_eq(rc == PW_OK, k != NULL, "a key exactly when PW_OK");
    pw_peering_key_destroy(k);
    return rc;
}

Test(secret_key, refused_when_others_may_read_it_or_the_group_write_it)
{
    static const struct { mode_t mode; const char *says; } cases[] = {
        { 0644, "the file is mode 0644: other users can read the private key; run chmod o-rwx " },
        { 0604, "the file is mode 0604: other users can read the private key; run chmod o-rwx " },
        { 0664, "the file is mode 0664: other users can read the private key; run chmod g-w,o-rwx " },
        { 0620, "the file is mode 0620: the group can change the private key; run chmod g-w " },
        { 0601, "the file is mode 0601: other users have access to the private key; run chmod o-rwx " },
    };
    char why[1024], want[1200];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(load_at(cases[i].mode, why, sizeof why), PW_EDENIED, "mode %04o accepted",
                     (unsigned)cases[i].mode);
        snprintf(want, sizeof want, "%s: %s%s (refused as ssh refuses such keys)", key, cases[i].says, key);
        cr_expect_str_eq(why, want, "mode %04o", (unsigned)cases[i].mode);
    }
}

Test(secret_key, accepted_at_0600_and_0640)
{
    char why[1024];

    cr_expect_eq(load_at(0600, why, sizeof why), PW_OK, "%s", why);
    cr_expect_eq(load_at(0640, why, sizeof why), PW_OK, "%s", why);
    cr_expect_eq(load_at(0400, why, sizeof why), PW_OK, "%s", why);
}

Test(secret_key, a_public_key_may_be_read_by_anyone)
{
    pw_peering_key_t *k = NULL;
    char why[1024] = "";

    cr_assert_eq(chmod(pub, 0644), 0);
    cr_expect_eq(pw_peering_key_load_public(pub, &k, why, sizeof why), PW_OK, "%s", why);
    pw_peering_key_destroy(k);
}

Test(secret_key, peerwatch_peer_refuses_it_too)
{
    char b64[PW_PEER_KEY_B64_MAX], why[1024] = "", want[1200];

    cr_assert_eq(chmod(key, 0644), 0);
    cr_expect_eq(pw_peer_keys_public_b64(key, 1, b64, sizeof b64, why, sizeof why), PW_EDENIED);
    snprintf(want, sizeof want, "%s: the file is mode 0644: other users can read the private key; run chmod o-rwx "
             "%s (refused as ssh refuses such keys)", key, key);
    cr_expect_str_eq(why, want);
    cr_assert_eq(chmod(key, 0640), 0);
    cr_expect_eq(pw_peer_keys_public_b64(key, 1, b64, sizeof b64, why, sizeof why), PW_OK, "%s", why);
    cr_assert_eq(chmod(pub, 0644), 0);
    cr_expect_eq(pw_peer_keys_public_b64(pub, 0, b64, sizeof b64, why, sizeof why), PW_OK, "%s", why);
}
