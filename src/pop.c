#include "config.h"

#include "pop.h"

#include "b64enc.h"
#include "b64url.h"
#include "jose.h"
#include "jwks.h"
#include "keys.h"
#include "util.h"

#include <math.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pj_pop_jkt(json_t *claims)
{
    json_t *cnf = json_object_get(claims, "cnf"), *m = json_object_get(cnf, "jkt");
    const char *jkt = json_string_value(m);
    if (!json_is_object(cnf) || jkt == NULL || json_string_length(m) != 43)
        return NULL;
    return jkt;
}

int pj_pop_nonce(char out[48])
{
    unsigned char rnd[PJ_POP_NONCE_BYTES];
    char *enc;
    if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    enc = pj_b64url_encode(rnd, sizeof(rnd));
    explicit_bzero(rnd, sizeof(rnd));
    if (enc == NULL || strlen(enc) != 43) {
        free(enc);
        return -1;
    }
    memcpy(out, enc, 44);
    free(enc);
    return 0;
}

/* A member that is a non-empty base64url string (no escaping needed). */
static const char *b64_member(json_t *jwk, const char *name)
{
    json_t *m = json_object_get(jwk, name);
    const char *v = json_string_value(m);
    if (v == NULL || json_string_length(m) == 0 || strlen(v) != json_string_length(m))
        return NULL;
    for (const char *p = v; *p; p++)
        if (!pj_b64url_char((unsigned char)*p))
            return NULL;
    return v;
}

int pj_jwk_thumbprint(json_t *jwk, unsigned char out[32])
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *a, *b;
    char *text = NULL;
    int n = -1;
    unsigned int ml = 0;
    if (kty == NULL)
        return -1;
    /* the required members of each key type, already in lexicographic order */
    if (strcmp(kty, "RSA") == 0 && (a = b64_member(jwk, "e")) && (b = b64_member(jwk, "n")))
        n = asprintf(&text, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
    else if (strcmp(kty, "EC") == 0 && crv && (!strcmp(crv, "P-256") || !strcmp(crv, "P-384") ||
                                              !strcmp(crv, "P-521")) &&
             (a = b64_member(jwk, "x")) && (b = b64_member(jwk, "y")))
        n = asprintf(&text, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", crv, a, b);
    else if (strcmp(kty, "OKP") == 0 && crv && (!strcmp(crv, "Ed25519") || !strcmp(crv, "Ed448")) &&
             (a = b64_member(jwk, "x")))
        n = asprintf(&text, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", crv, a);
    if (n < 0)
        return -1;
    int ok = EVP_Digest(text, (size_t)n, out, &ml, EVP_sha256(), NULL) == 1 && ml == 32;
    free(text);
    return ok ? 0 : -1;
}

/* A base64url value that must decode to exactly these 32 bytes. */
static bool b64_equals(const char *s, const unsigned char want[32])
{
    size_t l = 0;
    unsigned char *d = s ? pj_b64url_decode(s, strlen(s), &l) : NULL;
    bool eq = d != NULL && l == 32 && CRYPTO_memcmp(d, want, 32) == 0;
    free(d);
    return eq;
}

static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

/* The proof's header: typ, an asymmetric alg from algorithms, and a public
 * jwk whose thumbprint is jkt.  Fills alg and the key. */
static const char *check_header(const pj_config *c, json_t *h, const char *jkt, int *alg,
                                pj_key *k, const pj_log *log)
{
    const char *typ = json_string_value(json_object_get(h, "typ"));
    const char *name = json_string_value(json_object_get(h, "alg"));
    json_t *jwk = json_object_get(h, "jwk");
    unsigned char tp[32];
    if (typ == NULL || strcmp(typ, PJ_POP_TYP) != 0)
        return "typ is not " PJ_POP_TYP;
    if (json_object_get(h, "crit") != NULL)
        return "header has crit extensions";
    if (name == NULL || (*alg = pj_alg_from_name(name)) < 0)
        return "alg is not one this module verifies";
    if (pj_alg_get(*alg)->fam == PJ_FAM_HMAC)
        return "an HMAC alg cannot prove possession";
    if (!(c->algs & (1u << *alg)))
        return "alg is not allowed";
    if (!json_is_object(jwk))
        return "header has no jwk object";
    for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
        if (json_object_get(jwk, private_members[i]) != NULL)
            return "jwk holds private key members";
    if (pj_jwk_thumbprint(jwk, tp) != 0)
        return "jwk is not an RSA, EC or OKP public key";
    if (!b64_equals(jkt, tp))
        return "jwk thumbprint does not match the token's cnf.jkt";
    const char *kwhy = NULL;
    if (pj_key_from_jwk(jwk, k, &kwhy) != 0) {
        pj_debugf(log, "proof jwk: %s", kwhy);
        return "jwk is not a usable public key";
    }
    if (!pj_alg_fits_key((pj_alg)*alg, k))
        return "alg does not fit the jwk";
    return NULL;
}

/* The proof's claims: nonce, iat within leeway, ath the token's hash. */
static const char *check_claims(const pj_config *c, json_t *cl, const char *tok, size_t toklen,
                                const char *nonce, double now)
{
    json_t *m = json_object_get(cl, "nonce"), *iat = json_object_get(cl, "iat");
    const char *ath = json_string_value(json_object_get(cl, "ath"));
    unsigned char h[32];
    unsigned int hl = 0;
    if (json_string_value(m) == NULL || json_string_length(m) != strlen(nonce) ||
        strcmp(json_string_value(m), nonce) != 0)
        return "nonce does not match";
    if (!json_is_number(iat) || !(fabs(json_number_value(iat) - now) <= (double)c->leeway))
        return "iat is not within leeway of now";
    if (EVP_Digest(tok, toklen, h, &hl, EVP_sha256(), NULL) != 1 || hl != 32)
        return "cannot hash the token";
    if (!b64_equals(ath, h))
        return "ath is not the token's hash";
    return NULL;
}

int pj_pop_verify(const pj_config *c, const char *proof, size_t n, const char *tok, size_t toklen,
                  const char *jkt, const char *nonce, double now, const pj_log *log,
                  const char **why)
{
    pj_jws j;
    pj_key k;
    int alg = -1;
    memset(&k, 0, sizeof(k));
    k.alg = -1;
    *why = NULL;
    pj_trim(&proof, &n);
    if (n > PJ_MAX_TOKEN || !pj_jwt_shaped(proof, n)) {
        *why = "answer is not a compact JWS";
        return -1;
    }
    if (pj_jws_parse(proof, n, &j, why) != 0)
        return -1;
    *why = check_header(c, j.header, jkt, &alg, &k, log);
    if (*why == NULL)
        *why = check_claims(c, j.claims, tok, toklen, nonce, now);
    if (*why == NULL &&
        !pj_sig_verify((pj_alg)alg, &k, (const unsigned char *)proof, j.signing_len, j.sig, j.sig_len))
        *why = "signature does not verify with the jwk";
    EVP_PKEY_free(k.pkey);
    pj_jws_free(&j);
    return *why == NULL ? 0 : -1;
}
