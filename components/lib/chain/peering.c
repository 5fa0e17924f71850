/* peering.c: operator signatures of the enquiry chain and its notifications (docs/protocol.md §2.2, §5.2; Ed25519 RFC 8032
 * through OpenSSL 3 EVP; XEP-0082 timestamps; RFC 4648 base64), the replay guard and the peer table. */
#include "chain/pw_peering.h"
#include "core/pw_array.h"
#include "core/pw_clock.h"
#include "core/pw_secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "address/pw_jid.h"

#define SIG_LEN 64     /* Ed25519 signatures are 64 bytes */
#define NONCE_BYTES 16

struct pw_peering_key {
    EVP_PKEY *pkey;
    int is_private;
};

/* ---- base64 (RFC 4648 §4), strict ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode n bytes; pad selects '=' padding. @return PW_OK or PW_ERANGE. */
static pw_status_t b64_encode(const unsigned char *in, size_t n, int pad, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        size_t left = n - i;
        if (left > 1)
            v |= (unsigned)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        if (o + 5 > cap)
            return PW_ERANGE;
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        if (left > 1)
            out[o++] = b64_alphabet[(v >> 6) & 63];
        else if (pad)
            out[o++] = '=';
        if (left > 2)
            out[o++] = b64_alphabet[v & 63];
        else if (pad)
            out[o++] = '=';
    }
    if (o >= cap)
        return PW_ERANGE;
    out[o] = '\0';
    return PW_OK;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_alphabet, c) : NULL;
    return p ? (int)(p - b64_alphabet) : -1;
}

/* Decode canonical base64, padding optional; unused trailing bits must be zero.
 * @return PW_OK, PW_EINVAL (malformed) or PW_ERANGE (does not fit). */
static pw_status_t b64_decode(const char *in, unsigned char *out, size_t cap, size_t *outlen)
{
    size_t len = strlen(in), o = 0, i;
    unsigned acc = 0;
    int bits = 0;

    if (len >= 2 && in[len - 1] == '=' && in[len - 2] == '=') {
        if (len % 4 != 0)
            return PW_EINVAL;
        len -= 2;
    } else if (len >= 1 && in[len - 1] == '=') {
        if (len % 4 != 0)
            return PW_EINVAL;
        len -= 1;
    }
    if (len % 4 == 1)
        return PW_EINVAL;
    for (i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return PW_EINVAL;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return PW_ERANGE;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return PW_EINVAL;
    *outlen = o;
    return PW_OK;
}

/* ---- keys ---- */

/* Refuse passphrase-protected keys instead of prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return 0;
}

static pw_status_t key_load(const char *pem_path, int want_private, pw_peering_key_t **out,
                            char *why, size_t cap)
{
    pw_status_t rc = PW_OK;
    FILE *fp = NULL;
    EVP_PKEY *pkey = NULL;
    pw_peering_key_t *k = NULL;
    const char *what = want_private ? "private" : "public";

    if (!out || !pem_path) {
        snprintf(why, cap, "no key file given");
        return PW_EINVAL;
    }
    *out = NULL;
    fp = fopen(pem_path, "r");
    if (!fp) {
        snprintf(why, cap, "%s: cannot open: %s", pem_path, strerror(errno));
        rc = PW_EIO;
        goto done;
    }
    if (want_private) {
        char reason[512];
        rc = pw_secret_file_check(fileno(fp), pem_path, "the private key", reason, sizeof reason);
        if (rc != PW_OK) {
            snprintf(why, cap, "%s: %s", pem_path, reason);
            goto done;
        }
    }
    pkey = want_private ? PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL)
                        : PEM_read_PUBKEY(fp, NULL, no_passphrase, NULL);
    ERR_clear_error();
    if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        snprintf(why, cap, "%s: not an unencrypted Ed25519 %s key in PEM", pem_path, what);
        rc = PW_EINVAL;
        goto done;
    }
    k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(why, cap, "out of memory");
        rc = PW_ENOMEM;
        goto done;
    }
    k->pkey = pkey;
    k->is_private = want_private;
    pkey = NULL;
    *out = k;
done:
    EVP_PKEY_free(pkey);
    if (fp)
        fclose(fp);
    return rc;
}

pw_status_t pw_peering_key_load_private(const char *pem_path, pw_peering_key_t **out,
                                        char *why, size_t cap)
{
    return key_load(pem_path, 1, out, why, cap);
}

pw_status_t pw_peering_key_load_public(const char *pem_path, pw_peering_key_t **out,
                                       char *why, size_t cap)
{
    return key_load(pem_path, 0, out, why, cap);
}

void pw_peering_key_destroy(pw_peering_key_t *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

/* ---- the signed string ---- */

static int has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    }
    return 0;
}

/* Append "name=value\n"; lower selects ASCII lower-casing of the value. */
static pw_status_t put_line(char *buf, size_t cap, size_t *pos, const char *name,
                            const char *value, int lower)
{
    int n;
    if (has_control(value))
        return PW_EINVAL;
    n = snprintf(buf + *pos, cap - *pos, "%s=%s\n", name, value);
    if (n < 0 || (size_t)n >= cap - *pos)
        return PW_ERANGE;
    if (lower) {
        char *v = buf + *pos + strlen(name) + 1;
        for (; *v && *v != '\n'; v++) {
            if (*v >= 'A' && *v <= 'Z')
                *v = (char)(*v - 'A' + 'a');
        }
    }
    *pos += (size_t)n;
    return PW_OK;
}

/* Start a signed string: its first line (head, "\n" included), then from and to in lower
 * case. @return PW_OK, PW_EINVAL or PW_ERANGE (buf then ""). */
static pw_status_t put_head(char *buf, size_t cap, size_t *pos, const char *head, const char *from,
                            const char *to)
{
    size_t hl = strlen(head);
    pw_status_t rc;
    buf[0] = '\0';
    if (cap <= hl)
        return PW_ERANGE;
    memcpy(buf, head, hl + 1);
    *pos = hl;
    if ((rc = put_line(buf, cap, pos, "from", from, 1)) != PW_OK ||
        (rc = put_line(buf, cap, pos, "to", to, 1)) != PW_OK)
        buf[0] = '\0';
    return rc;
}

pw_status_t pw_peering_signed_string(const pw_enquiry_t *e, const char *from, const char *to,
                                     const char *timestamp, const char *nonce, char *buf,
                                     size_t cap)
{
    char dur[16] = "";
    size_t pos = 0;
    pw_status_t rc = PW_OK;

    if (!e || !from || !to || !timestamp || !nonce || !buf || cap == 0)
        return PW_EINVAL;
    if ((rc = put_head(buf, cap, &pos, "peerwatch-chain-1\n", from, to)) != PW_OK)
        return rc;
    /* duration exactly as pw_enquiry_build() writes it */
    if (e->kind == PW_KIND_CHANGES && e->duration_s)
        snprintf(dur, sizeof dur, "%u", (unsigned)e->duration_s);
    if ((rc = put_line(buf, cap, &pos, "ref", e->ref, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "kind", pw_enquiry_kind_name(e->kind), 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "presentity", e->presentity, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "presentity-jid", e->presentity_jid, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "watcher-msisdn", e->watcher_msisdn, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "watcher-jid", e->watcher_jid, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "watcher-network", e->watcher_network, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "duration", dur, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "subscription", e->subscription, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "timestamp", timestamp, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "nonce", nonce, 0)) != PW_OK) {
        buf[0] = '\0';
        return rc;
    }
    return PW_OK;
}

/* Append "name=value\n" with value escaped so that any text can be signed: a backslash as
 * "\\\\", a control character as "\\xHH" (a status text may hold line breaks). */
static pw_status_t put_escaped_line(char *buf, size_t cap, size_t *pos, const char *name,
                                    const char *value)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos, nl = strlen(name);
    if (p + nl + 2 >= cap)
        return PW_ERANGE;
    memcpy(buf + p, name, nl);
    p += nl;
    buf[p++] = '=';
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if (p + 5 >= cap)
            return PW_ERANGE;
        if (*v == '\\') {
            buf[p++] = '\\';
            buf[p++] = '\\';
        } else if (*v < 0x20 || *v == 0x7f) {
            buf[p++] = '\\';
            buf[p++] = 'x';
            buf[p++] = hex[*v >> 4];
            buf[p++] = hex[*v & 15];
        } else {
            buf[p++] = (char)*v;
        }
    }
    buf[p++] = '\n';
    buf[p] = '\0';
    *pos = p;
    return PW_OK;
}

pw_status_t pw_peering_notify_signed_string(const pw_notify_t *n, const char *from, const char *to,
                                            const char *timestamp, const char *nonce, char *buf,
                                            size_t cap)
{
    char seq[16];
    size_t pos = 0;
    pw_status_t rc = PW_OK;

    if (!n || !from || !to || !timestamp || !nonce || !buf || cap == 0)
        return PW_EINVAL;
    if ((rc = put_head(buf, cap, &pos, "peerwatch-notify-1\n", from, to)) != PW_OK)
        return rc;
    snprintf(seq, sizeof seq, "%u", (unsigned)n->seq);
    if ((rc = put_line(buf, cap, &pos, "subscription", n->subscription, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "ref", n->ref, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "proxy", n->proxy, 1)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "watcher-jid", n->watcher_jid, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "presentity", n->presentity, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "presentity-jid", n->presentity_jid, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "seq", seq, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "ended", n->ended, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "state",
                       !n->has_state ? "" : n->state.available ? "available" : "unavailable", 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "show", /* as pw_notify_text() writes it */
                       n->has_state && n->state.available ? n->state.show : "", 0)) != PW_OK ||
        (rc = put_escaped_line(buf, cap, &pos, "status", n->has_state ? n->state.status : "")) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "timestamp", timestamp, 0)) != PW_OK ||
        (rc = put_line(buf, cap, &pos, "nonce", nonce, 0)) != PW_OK) {
        buf[0] = '\0';
        return rc;
    }
    return PW_OK;
}

/* ---- sign / verify ---- */

/* Writes the whole signed string of one kind of stanza (what: a pw_enquiry_t or pw_notify_t). */
typedef pw_status_t (*signed_string_fn)(const void *what, const char *from, const char *to,
                                        const char *timestamp, const char *nonce, char *buf,
                                        size_t cap);

static pw_status_t enquiry_string(const void *what, const char *from, const char *to,
                                  const char *timestamp, const char *nonce, char *buf, size_t cap)
{
    return pw_peering_signed_string(what, from, to, timestamp, nonce, buf, cap);
}

static pw_status_t notify_string(const void *what, const char *from, const char *to,
                                 const char *timestamp, const char *nonce, char *buf, size_t cap)
{
    return pw_peering_notify_signed_string(what, from, to, timestamp, nonce, buf, cap);
}

/* The <signature/> element over the signed string that fn writes for what (a fresh nonce, the
 * timestamp of now_unix_ms). @return a new element, or NULL on any failure */
static xmpp_stanza_t *sign_with(xmpp_ctx_t *ctx, const pw_peering_key_t *key, const char *network,
                                signed_string_fn fn, const void *what, const char *from,
                                const char *to, uint64_t now_unix_ms)
{
    unsigned char nonce_raw[NONCE_BYTES], sig[SIG_LEN];
    char nonce[PW_PEERING_NONCE_LEN + 8], ts[PW_PEERING_TIMESTAMP_MAX + 1], sig64[128];
    char *tbs = NULL;
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = NULL;
    xmpp_stanza_t *el = NULL, *text = NULL, *result = NULL;

    if (!ctx || !key || !key->is_private || !network || !what || !from || !to)
        goto done;
    tbs = malloc(PW_PEERING_SIGNED_MAX);
    if (!tbs)
        goto done;
    if (RAND_bytes(nonce_raw, sizeof nonce_raw) != 1 ||
        b64_encode(nonce_raw, sizeof nonce_raw, 0, nonce, sizeof nonce) != PW_OK ||
        pw_clock_format_seconds(now_unix_ms, ts, sizeof ts) != PW_OK ||
        fn(what, from, to, ts, nonce, tbs, PW_PEERING_SIGNED_MAX) != PW_OK)
        goto done;
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, key->pkey) != 1 ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)tbs, strlen(tbs)) != 1 ||
        b64_encode(sig, siglen, 1, sig64, sizeof sig64) != PW_OK)
        goto done;
    el = xmpp_stanza_new(ctx);
    text = xmpp_stanza_new(ctx);
    if (!el || !text)
        goto done;
    if (xmpp_stanza_set_name(el, "signature") != XMPP_EOK ||
        xmpp_stanza_set_ns(el, PW_NS_CHAIN) != XMPP_EOK ||
        xmpp_stanza_set_attribute(el, "alg", PW_PEERING_ALG) != XMPP_EOK ||
        xmpp_stanza_set_attribute(el, "network", network) != XMPP_EOK ||
        xmpp_stanza_set_attribute(el, "timestamp", ts) != XMPP_EOK ||
        xmpp_stanza_set_attribute(el, "nonce", nonce) != XMPP_EOK ||
        xmpp_stanza_set_text(text, sig64) != XMPP_EOK ||
        xmpp_stanza_add_child(el, text) != XMPP_EOK)
        goto done;
    result = el;
    el = NULL;
done:
    ERR_clear_error();
    if (text)
        xmpp_stanza_release(text);
    if (el)
        xmpp_stanza_release(el);
    EVP_MD_CTX_free(md);
    free(tbs);
    return result;
}

/* Check a <signature/> element by network's key pub over the signed string fn writes for what.
 * @return as pw_peering_verify() */
static pw_status_t verify_with(const pw_peering_key_t *pub, xmpp_stanza_t *signature_el,
                               const char *network, signed_string_fn fn, const void *what,
                               const char *from, const char *to, char *why, size_t cap)
{
    const char *alg, *signet, *ts, *nonce, *ns;
    char *text = NULL, *tbs = NULL;
    unsigned char sig[SIG_LEN + 4];
    size_t siglen = 0;
    EVP_MD_CTX *md = NULL;
    pw_status_t rc = PW_EINVAL;
    int ok;

    if (!pub || !signature_el || !network || !what || !from || !to) {
        snprintf(why, cap, "no signature to check");
        goto done;
    }
    ns = xmpp_stanza_get_ns(signature_el);
    if (!xmpp_stanza_is_tag(signature_el) || !xmpp_stanza_get_name(signature_el) ||
        strcmp(xmpp_stanza_get_name(signature_el), "signature") != 0 ||
        (ns && strcmp(ns, PW_NS_CHAIN) != 0)) {
        snprintf(why, cap, "not a <signature/> of " PW_NS_CHAIN);
        goto done;
    }
    alg = xmpp_stanza_get_attribute(signature_el, "alg");
    signet = xmpp_stanza_get_attribute(signature_el, "network");
    ts = xmpp_stanza_get_attribute(signature_el, "timestamp");
    nonce = xmpp_stanza_get_attribute(signature_el, "nonce");
    if (!alg || strcmp(alg, PW_PEERING_ALG) != 0) {
        snprintf(why, cap, "the signature algorithm must be 'ed25519'");
        goto done;
    }
    if (!signet || !ts || !nonce) {
        snprintf(why, cap, "the signature lacks its %s attribute",
                 !signet ? "'network'" : !ts ? "'timestamp'" : "'nonce'");
        goto done;
    }
    if (strcasecmp(signet, network) != 0) {
        snprintf(why, cap, "the signature's network is not %.253s", network);
        rc = PW_EDENIED;
        goto done;
    }
    text = xmpp_stanza_get_text(signature_el);
    if (!text || strlen(text) > 2 * sizeof sig ||
        b64_decode(text, sig, sizeof sig, &siglen) != PW_OK || siglen != SIG_LEN) {
        snprintf(why, cap, "the signature is not 64 bytes of base64");
        goto done;
    }
    tbs = malloc(PW_PEERING_SIGNED_MAX);
    if (!tbs) {
        snprintf(why, cap, "out of memory");
        rc = PW_ENOMEM;
        goto done;
    }
    rc = fn(what, from, to, ts, nonce, tbs, PW_PEERING_SIGNED_MAX);
    if (rc != PW_OK) {
        snprintf(why, cap, "the signed attributes hold control characters");
        rc = PW_EINVAL;
        goto done;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub->pkey) != 1) {
        snprintf(why, cap, "the signature could not be checked (OpenSSL)");
        rc = PW_ECRYPTO;
        goto done;
    }
    ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)tbs, strlen(tbs));
    if (ok != 1) {
        snprintf(why, cap, "the signature does not verify with the key of %.253s", network);
        rc = PW_EDENIED;
        goto done;
    }
    rc = PW_OK;
done:
    ERR_clear_error();
    if (text)
        xmpp_free(xmpp_stanza_get_context(signature_el), text);
    EVP_MD_CTX_free(md);
    free(tbs);
    return rc;
}

xmpp_stanza_t *pw_peering_sign(xmpp_ctx_t *ctx, const pw_peering_key_t *key, const char *network,
                               const pw_enquiry_t *e, const char *from, const char *to,
                               uint64_t now_unix_ms)
{
    return sign_with(ctx, key, network, enquiry_string, e, from, to, now_unix_ms);
}

pw_status_t pw_peering_verify(const pw_peering_key_t *pub, xmpp_stanza_t *signature_el,
                              const pw_enquiry_t *e, const char *from, const char *to,
                              char *why, size_t cap)
{
    return verify_with(pub, signature_el, e ? e->watcher_network : NULL, enquiry_string, e, from,
                       to, why, cap);
}

xmpp_stanza_t *pw_peering_sign_notify(xmpp_ctx_t *ctx, const pw_peering_key_t *key,
                                      const char *network, const pw_notify_t *n, const char *from,
                                      const char *to, uint64_t now_unix_ms)
{
    return sign_with(ctx, key, network, notify_string, n, from, to, now_unix_ms);
}

pw_status_t pw_peering_verify_notify(const pw_peering_key_t *pub, xmpp_stanza_t *signature_el,
                                     const char *network, const pw_notify_t *n, const char *from,
                                     const char *to, char *why, size_t cap)
{
    return verify_with(pub, signature_el, network, notify_string, n, from, to, why, cap);
}

/* ---- replay guard ---- */

typedef struct nonce_entry {
    unsigned char key[16]; /* first half of SHA-256(lower(network) "\n" nonce) */
    uint64_t expiry;       /* unix ms after which it is forgotten; 0 = empty slot */
} nonce_entry_t;

struct pw_peering_replay {
    uint64_t max_skew_ms;
    uint64_t latest_ms;   /* the latest current time seen: the clock may step back */
    size_t max_nonces;
    nonce_entry_t *slots; /* open addressing, linear probing, at most half full */
    size_t cap;           /* power of two */
    size_t count;
    nonce_entry_t *heap;  /* min-heap on expiry, the same entries */
    size_t heap_cap;
};

static size_t entry_home(const nonce_entry_t *en, size_t mask)
{
    uint64_t h;
    memcpy(&h, en->key, sizeof h);
    return (size_t)h & mask;
}

static nonce_entry_t *table_find(pw_peering_replay_t *r, const unsigned char key[16], size_t *at)
{
    size_t mask = r->cap - 1, i;
    uint64_t h;
    memcpy(&h, key, sizeof h);
    for (i = (size_t)h & mask; r->slots[i].expiry; i = (i + 1) & mask) {
        if (memcmp(r->slots[i].key, key, 16) == 0) {
            if (at)
                *at = i;
            return &r->slots[i];
        }
    }
    if (at)
        *at = i;
    return NULL;
}

/* Backward-shift deletion: keep every probe chain unbroken. */
static void table_remove_at(pw_peering_replay_t *r, size_t i)
{
    size_t mask = r->cap - 1, j = i, k;
    for (;;) {
        j = (j + 1) & mask;
        if (!r->slots[j].expiry)
            break;
        k = entry_home(&r->slots[j], mask);
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        r->slots[i] = r->slots[j];
        i = j;
    }
    r->slots[i].expiry = 0;
}

static pw_status_t table_grow(pw_peering_replay_t *r)
{
    size_t ncap = r->cap * 2, mask = ncap - 1;
    nonce_entry_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return PW_ENOMEM;
    for (size_t i = 0; i < r->cap; i++) {
        if (r->slots[i].expiry) {
            size_t j = entry_home(&r->slots[i], mask);
            while (ns[j].expiry)
                j = (j + 1) & mask;
            ns[j] = r->slots[i];
        }
    }
    free(r->slots);
    r->slots = ns;
    r->cap = ncap;
    return PW_OK;
}

static void heap_swap(nonce_entry_t *a, nonce_entry_t *b)
{
    nonce_entry_t t = *a;
    *a = *b;
    *b = t;
}

static void heap_pop(pw_peering_replay_t *r)
{
    size_t n = r->count - 1, i = 0; /* called before count is decremented */
    r->heap[0] = r->heap[n];
    for (;;) {
        size_t l = 2 * i + 1, rr = l + 1, m = i;
        if (l < n && r->heap[l].expiry < r->heap[m].expiry)
            m = l;
        if (rr < n && r->heap[rr].expiry < r->heap[m].expiry)
            m = rr;
        if (m == i)
            break;
        heap_swap(&r->heap[i], &r->heap[m]);
        i = m;
    }
}

static void heap_push(pw_peering_replay_t *r, const nonce_entry_t *en)
{
    size_t i = r->count; /* called before count is incremented */
    r->heap[i] = *en;
    while (i > 0 && r->heap[(i - 1) / 2].expiry > r->heap[i].expiry) {
        heap_swap(&r->heap[i], &r->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

/* Forget every nonce whose window has passed. */
static void replay_expire(pw_peering_replay_t *r, uint64_t now)
{
    while (r->count > 0 && r->heap[0].expiry < now) {
        size_t at;
        if (table_find(r, r->heap[0].key, &at))
            table_remove_at(r, at);
        heap_pop(r);
        r->count--;
    }
}

pw_status_t pw_peering_replay_create(pw_peering_replay_t **out, uint64_t max_skew_ms,
                                     size_t max_nonces)
{
    pw_peering_replay_t *r;
    if (!out)
        return PW_EINVAL;
    *out = NULL;
    if (max_nonces == 0 || max_nonces > SIZE_MAX / 4 / sizeof(nonce_entry_t))
        return PW_EINVAL;
    r = calloc(1, sizeof *r);
    if (!r)
        return PW_ENOMEM;
    r->max_skew_ms = max_skew_ms;
    r->max_nonces = max_nonces;
    r->cap = 64;
    r->heap_cap = max_nonces < 32 ? max_nonces : 32;
    r->slots = calloc(r->cap, sizeof *r->slots);
    r->heap = calloc(r->heap_cap, sizeof *r->heap);
    if (!r->slots || !r->heap) {
        pw_peering_replay_destroy(r);
        return PW_ENOMEM;
    }
    *out = r;
    return PW_OK;
}

void pw_peering_replay_destroy(pw_peering_replay_t *r)
{
    if (!r)
        return;
    free(r->slots);
    free(r->heap);
    free(r);
}

size_t pw_peering_replay_count(const pw_peering_replay_t *r)
{
    return r ? r->count : 0;
}

static pw_status_t nonce_key(const char *network, const char *nonce, unsigned char key[16])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char buf[PW_ENQUIRY_DOMAIN_MAX + PW_PEERING_NONCE_LEN + 4];
    size_t i, n = strlen(network);
    if (n > PW_ENQUIRY_DOMAIN_MAX)
        return PW_EINVAL;
    for (i = 0; i < n; i++)
        buf[i] = (network[i] >= 'A' && network[i] <= 'Z') ? (char)(network[i] - 'A' + 'a') : network[i];
    buf[n] = '\n';
    memcpy(buf + n + 1, nonce, PW_PEERING_NONCE_LEN);
    if (EVP_Digest(buf, n + 1 + PW_PEERING_NONCE_LEN, md, &mdlen, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return PW_ECRYPTO;
    }
    memcpy(key, md, 16);
    return PW_OK;
}

pw_status_t pw_peering_replay_check(pw_peering_replay_t *r, const char *network,
                                    const char *timestamp, const char *nonce,
                                    uint64_t now_unix_ms, char *why, size_t cap)
{
    uint64_t ts, expiry;
    unsigned char raw[NONCE_BYTES + 4];
    size_t rawlen = 0;
    nonce_entry_t en;
    pw_status_t rc;

    if (!r || !network || !timestamp || !nonce) {
        snprintf(why, cap, "missing network, timestamp or nonce");
        return PW_EINVAL;
    }
    if (now_unix_ms > r->latest_ms)
        r->latest_ms = now_unix_ms;
    replay_expire(r, r->latest_ms);
    if (pw_clock_parse(timestamp, &ts) != PW_OK) {
        snprintf(why, cap, "the signature timestamp is not an XEP-0082 date-time");
        return PW_EINVAL;
    }
    /* also refuse what a clock stepped back would let through after its nonce was forgotten */
    if ((ts > now_unix_ms && ts - now_unix_ms > r->max_skew_ms) ||
        (ts < now_unix_ms && now_unix_ms - ts > r->max_skew_ms) ||
        ts + r->max_skew_ms < r->latest_ms) {
        snprintf(why, cap, "the signature timestamp %s is more than %llu s from the gateway's clock",
                 timestamp, (unsigned long long)(r->max_skew_ms / 1000u));
        return PW_ERANGE;
    }
    if (strlen(nonce) != PW_PEERING_NONCE_LEN || b64_decode(nonce, raw, sizeof raw, &rawlen) != PW_OK ||
        rawlen != NONCE_BYTES) {
        snprintf(why, cap, "the signature nonce is not 16 bytes of unpadded base64");
        return PW_EINVAL;
    }
    rc = nonce_key(network, nonce, en.key);
    if (rc != PW_OK) {
        snprintf(why, cap, "the signature nonce could not be hashed");
        return rc;
    }
    if (table_find(r, en.key, NULL)) {
        snprintf(why, cap, "the signature nonce was already used (replay)");
        return PW_EEXIST;
    }
    if (r->count >= r->max_nonces) {
        snprintf(why, cap, "the replay table is full (%zu nonces within the skew window)", r->max_nonces);
        return PW_EFULL;
    }
    if ((r->count + 1) * 2 > r->cap && table_grow(r) != PW_OK) {
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    if (r->count == r->heap_cap) {
        size_t ncap = r->heap_cap * 2 > r->max_nonces ? r->max_nonces : r->heap_cap * 2;
        nonce_entry_t *nh = realloc(r->heap, ncap * sizeof *nh);
        if (!nh) {
            snprintf(why, cap, "out of memory");
            return PW_ENOMEM;
        }
        r->heap = nh;
        r->heap_cap = ncap;
    }
    expiry = ts + r->max_skew_ms;
    en.expiry = expiry ? expiry : 1;
    {
        size_t at;
        table_find(r, en.key, &at);
        r->slots[at] = en;
    }
    heap_push(r, &en);
    r->count++;
    return PW_OK;
}

/* ---- peer table ---- */

typedef struct peer {
    char network[PW_ENQUIRY_DOMAIN_MAX + 1];
    size_t len;
    pw_peering_key_t *key;
} peer_t;

struct pw_peering_peers {
    peer_t *items;
    size_t n, cap;
};

pw_status_t pw_peering_peers_create(pw_peering_peers_t **out)
{
    if (!out)
        return PW_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? PW_OK : PW_ENOMEM;
}

void pw_peering_peers_destroy(pw_peering_peers_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        pw_peering_key_destroy(p->items[i].key);
    free(p->items);
    free(p);
}

pw_status_t pw_peering_peers_add(pw_peering_peers_t *p, const char *network,
                                 const char *pem_path, char *why, size_t cap)
{
    char norm[PW_ENQUIRY_DOMAIN_MAX + 1];
    pw_peering_key_t *key = NULL;
    pw_status_t rc;

    if (!p || !network || !pem_path) {
        snprintf(why, cap, "missing network or key file");
        return PW_EINVAL;
    }
    if (strlen(network) > PW_ENQUIRY_DOMAIN_MAX || !pw_jid_is_domain(network) ||
        pw_jid_domain(network, norm, sizeof norm) != PW_OK) {
        snprintf(why, cap, "'%.64s' is not a network domain", network);
        return PW_EINVAL;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].network, norm) == 0) {
            snprintf(why, cap, "the network %s is listed twice", norm);
            return PW_EEXIST;
        }
    }
    if (p->n >= PW_PEERING_PEERS_MAX) {
        snprintf(why, cap, "more than %d peers", PW_PEERING_PEERS_MAX);
        return PW_EFULL;
    }
    if (!pem_path[0]) {
        snprintf(why, cap, "no public key file given for %s", norm);
        return PW_EINVAL;
    }
    rc = pw_peering_key_load_public(pem_path, &key, why, cap);
    if (rc != PW_OK)
        return rc;
    if (pw_array_grow(&p->items, &p->cap, p->n + 1, sizeof *p->items, 4) != PW_OK) {
        pw_peering_key_destroy(key);
        snprintf(why, cap, "out of memory");
        return PW_ENOMEM;
    }
    memcpy(p->items[p->n].network, norm, strlen(norm) + 1);
    p->items[p->n].len = strlen(norm);
    p->items[p->n].key = key;
    p->n++;
    return PW_OK;
}

const pw_peering_key_t *pw_peering_peers_find(const pw_peering_peers_t *p, const char *domain,
                                              const char **network)
{
    const peer_t *best = NULL;
    size_t dlen;

    if (network)
        *network = NULL;
    if (!p || !domain)
        return NULL;
    dlen = strlen(domain);
    for (size_t i = 0; i < p->n; i++) {
        const peer_t *pe = &p->items[i];
        int covered = 0;
        if (dlen == pe->len)
            covered = strcasecmp(domain, pe->network) == 0;
        else if (dlen > pe->len)
            covered = domain[dlen - pe->len - 1] == '.' &&
                      strcasecmp(domain + dlen - pe->len, pe->network) == 0;
        if (covered && (!best || pe->len > best->len))
            best = pe;
    }
    if (!best)
        return NULL;
    if (network)
        *network = best->network;
    return best->key;
}

size_t pw_peering_peers_count(const pw_peering_peers_t *p)
{
    return p ? p->n : 0;
}
