/* test_peer_keygen.c: peerwatch-peer keygen: the pair's files and modes whatever the umask, the key directory made 0700, never an overwrite, --rotate. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/pw_peering.h"
#include "test_peer_util.h"

TP_SUITE(peer_keygen, tp_nothing, tp_nothing);

static int keygen(const char *dir, int rotate)
{
    pw_peer_opts_t o = tp_opts(dir);
    o.rotate = rotate;
    return tp_run(&io, &o, TP_KEYGEN, NULL);
}

Test(peer_keygen, writes_the_pair_as_pem_with_its_modes)
{
    const char *dir = tp_operator(&root, "opa.example", "+4477009");
    char key[300], pub[300], keys[256], why[512];
    pw_peering_key_t *k = NULL;

    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(key, sizeof key, "%s/opa.example.key", keys);
    snprintf(pub, sizeof pub, "%s/opa.example.pub", keys);
    cr_assert_eq(keygen(dir, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    cr_assert_eq(tp_mode(keys), 0700, "the key directory is made 0700");
    cr_assert_eq(tp_mode(key), 0600);
    cr_assert_eq(tp_mode(pub), 0644);
    cr_assert(strstr(io.out_text, key) && strstr(io.out_text, pub), "%s", io.out_text);
    cr_assert_eq(pw_peering_key_load_private(key, &k, why, sizeof why), PW_OK, "%s", why);
    pw_peering_key_destroy(k);
    cr_assert_eq(pw_peering_key_load_public(pub, &k, why, sizeof why), PW_OK, "%s", why);
    pw_peering_key_destroy(k);
}

Test(peer_keygen, modes_do_not_depend_on_the_umask)
{
    static const struct { const char *domain; mode_t mask; } runs[] = {
        { "opa.example", 0077 }, { "opb.example", 0 },
    };
    char path[256];

    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const char *dir = tp_operator(&root, runs[i].domain, "+4477009");
        mode_t old = umask(runs[i].mask);
        int rc = keygen(dir, 0);
        umask(old);
        cr_assert_eq(rc, PW_PEER_EXIT_OK, "%s", io.err_text);
        snprintf(path, sizeof path, "%s/keys", dir);
        cr_assert_eq(tp_mode(path), 0700, "umask %03o", (unsigned)runs[i].mask);
        snprintf(path, sizeof path, "%s/keys/%s.key", dir, runs[i].domain);
        cr_assert_eq(tp_mode(path), 0600, "umask %03o", (unsigned)runs[i].mask);
        snprintf(path, sizeof path, "%s/keys/%s.pub", dir, runs[i].domain);
        cr_assert_eq(tp_mode(path), 0644, "umask %03o", (unsigned)runs[i].mask);
    }
}

Test(peer_keygen, an_existing_key_directory_keeps_its_mode)
{
    const char *dir = tp_operator(&root, "opa.example", "+4477009");
    char keys[256];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    cr_assert_eq(mkdir(keys, 0750), 0);
    cr_assert_eq(chmod(keys, 0750), 0);
    cr_assert_eq(keygen(dir, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    cr_assert_eq(tp_mode(keys), 0750);
    cr_assert_null(strstr(io.out_text, "made the key directory"), "%s", io.out_text);
}

Test(peer_keygen, refuses_to_overwrite_a_key)
{
    const char *dir = tp_operator(&root, "opa.example", "+4477009");
    char key[256], *before, *after;

    cr_assert_eq(keygen(dir, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    snprintf(key, sizeof key, "%s/keys/opa.example.key", dir);
    before = tp_snapshot(dir);
    cr_assert_eq(keygen(dir, 0), PW_PEER_EXIT_FAIL);
    cr_assert(strstr(io.err_text, key) && strstr(io.err_text, "refusing to overwrite"), "%s", io.err_text);
    after = tp_snapshot(dir);
    cr_assert_str_eq(after, before, "nothing changed");
    free(before);
    free(after);
}

Test(peer_keygen, refuses_when_only_the_public_half_exists)
{
    const char *dir = tp_operator(&root, "opa.example", "+4477009");
    char keys[256], pub[300], key[300], *text;

    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(pub, sizeof pub, "%s/opa.example.pub", keys);
    snprintf(key, sizeof key, "%s/opa.example.key", keys);
    cr_assert_eq(mkdir(keys, 0700), 0);
    tp_write(pub, "not touched\n");
    cr_assert_eq(keygen(dir, 0), PW_PEER_EXIT_FAIL);
    cr_assert(strstr(io.err_text, pub), "%s", io.err_text);
    cr_assert_neq(access(key, F_OK), 0, "no private key was left behind");
    text = tp_read(pub);
    cr_assert_str_eq(text, "not touched\n");
    free(text);
}

Test(peer_keygen, rotate_keeps_the_old_pair_and_makes_a_new_one)
{
    const char *dir = tp_operator(&root, "opa.example", "+4477009");
    char pub[256], old_pub[260], *first, *kept, *second;

    snprintf(pub, sizeof pub, "%s/keys/opa.example.pub", dir);
    snprintf(old_pub, sizeof old_pub, "%s.old", pub);
    cr_assert_eq(keygen(dir, 0), PW_PEER_EXIT_OK, "%s", io.err_text);
    first = tp_read(pub);
    cr_assert_eq(keygen(dir, 1), PW_PEER_EXIT_OK, "%s", io.err_text);
    kept = tp_read(old_pub);
    second = tp_read(pub);
    cr_assert_str_eq(kept, first, "the old public key is kept as .pub.old");
    cr_assert_str_neq(second, first, "a new pair");
    cr_assert_eq(tp_mode(pub), 0644);
    cr_assert(strstr(io.out_text, ".old"), "%s", io.out_text);
    cr_assert_eq(keygen(dir, 1), PW_PEER_EXIT_FAIL, "an older pair is still kept");
    cr_assert(strstr(io.err_text, "remove it first"), "%s", io.err_text);
    free(first);
    free(kept);
    free(second);
}

Test(peer_keygen, rotate_without_a_pair_is_refused)
{
    const char *dir = tp_operator(&root, "opa.example", "+4477009");
    cr_assert_eq(keygen(dir, 1), PW_PEER_EXIT_FAIL);
    cr_assert(strstr(io.err_text, "nothing to rotate"), "%s", io.err_text);
}
