/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "jwks.h"

#include "b64url.h"
#include "jose.h"
#include "safefile.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ load: classify */

static pj_key_state bad(const char **why, const char *w)
{
    *why = w;
    return PJ_KEY_BAD;
}

/* Members a and b (when not NULL) are strings. */
static pj_key_state has_strings(json_t *jwk, const char *a, const char *b, const char **why)
{
    if (!json_is_string(json_object_get(jwk, a)) ||
        (b != NULL && !json_is_string(json_object_get(jwk, b))))
        return bad(why, "member missing or not a string");
    return PJ_KEY_UNBUILT;
}

/* What every JWK is checked for before its type: an object, "use" (if
 * any) "sig", a kty, a non-empty kid, an asymmetric "alg" this build
 * verifies (fills k->alg), no private "d".  UNBUILT to go on, NOT_SIG,
 * or BAD with *why. */
static pj_key_state classify_members(pj_key *k, json_t *jwk, const char **why)
{
    json_t *use = json_object_get(jwk, "use"), *kid = json_object_get(jwk, "kid");
    json_t *alg = json_object_get(jwk, "alg");

    if (!json_is_object(jwk))
        return bad(why, "not a JSON object");
    if (use != NULL && !(json_is_string(use) && strcmp(json_string_value(use), "sig") == 0))
        return PJ_KEY_NOT_SIG; /* an encryption key is not for us */
    if (!json_is_string(json_object_get(jwk, "kty")))
        return bad(why, "no kty");
    if (kid != NULL && (!json_is_string(kid) || json_string_length(kid) == 0))
        return bad(why, "kid is not a non-empty string");
    if (alg != NULL) {
        k->alg = json_is_string(alg) ? pj_alg_from_name(json_string_value(alg)) : -1;
        if (k->alg < 0)
            return bad(why, "alg is not one this build verifies");
        if (pj_alg_get(k->alg)->fam == PJ_FAM_HMAC)
            return bad(why, "symmetric alg in a JWK Set (use hmac_secret_file)");
    }
    if (json_object_get(jwk, "d") != NULL)
        return bad(why, "holds private key material (publish the public key only)");
    return PJ_KEY_UNBUILT;
}

/* Its type: kty, and crv from the curve table (fills k->kty and
 * k->curve_nid), and the members that type needs.  UNBUILT, or BAD with
 * *why. */
static pj_key_state classify_type(pj_key *k, json_t *jwk, const char **why)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const pj_curve *c = pj_curve_by_crv(json_string_value(json_object_get(jwk, "crv")));

    if (strcmp(kty, "RSA") == 0) {
        k->kty = PJ_KTY_RSA;
        return has_strings(jwk, "n", "e", why);
    }
    if (strcmp(kty, "EC") == 0) {
        k->kty = PJ_KTY_EC;
        if (c == NULL || c->kty != PJ_KTY_EC)
            return bad(why, "EC key without crv P-256, P-384 or P-521");
        k->curve_nid = c->nid;
        return has_strings(jwk, "x", "y", why);
    }
    if (strcmp(kty, "OKP") == 0) {
        k->kty = PJ_KTY_OKP;
#ifndef HAVE_EDDSA
        return bad(why, "EdDSA keys are not supported by this build");
#endif
        if (c == NULL || c->kty != PJ_KTY_OKP)
            return bad(why, "OKP key without crv Ed25519 or Ed448");
        k->curve_nid = c->nid;
        return has_strings(jwk, "x", NULL, why);
    }
    if (strcmp(kty, "oct") == 0)
        return bad(why, "symmetric (oct) key in a JWK Set (use hmac_secret_file)");
    return bad(why, "unsupported kty");
}

/* What a JWK is, from its string members alone (nothing is decoded):
 * UNBUILT when it looks usable (kty, curve_nid and alg filled in),
 * NOT_SIG, or BAD with *why. */
static pj_key_state classify(pj_key *k, json_t *jwk, const char **why)
{
    pj_key_state st = classify_members(k, jwk, why);
    if (st == PJ_KEY_UNBUILT)
        st = classify_type(k, jwk, why);
    if (st != PJ_KEY_UNBUILT)
        return st;
    k->state = PJ_KEY_UNBUILT; /* its type is known now: may alg fit it? */
    if (k->alg >= 0 && !pj_alg_fits_key(k->alg, k))
        return bad(why, "alg does not fit the key type");
    return PJ_KEY_UNBUILT;
}

/* Append key #index of a set; -1 on no memory only (a bad key is kept,
 * BAD, so that a token selecting it is told why it is refused). */
static int add_jwk(pj_keyset *ks, json_t *jwk, const char *path, size_t index)
{
    json_t *kid = json_object_get(jwk, "kid");
    pj_key *k = pj_keyset_add(ks);
    const char *why = NULL;
    if (k == NULL)
        return -1;
    k->jwks = true;
    k->state = PJ_KEY_BAD; /* until classified */
    k->why = "out of memory";
    if ((k->source = pj_strfmt("jwks_file %s key #%zu", path, index)) == NULL)
        return -1;
    /* the kid is what selects the key, even a key refused below, so a
     * token naming it learns why (pj_key_fit) */
    if (json_is_string(kid) && json_string_length(kid) > 0 &&
        (k->kid = strdup(json_string_value(kid))) == NULL)
        return -1;
    k->state = classify(k, jwk, &why);
    k->why = why;
    if (k->state == PJ_KEY_UNBUILT)
        k->jwk = json_incref(jwk);
    return 0;
}

int pj_jwks_parse(pj_keyset *ks, const char *text, size_t len, const char *path,
                  const pj_log *log)
{
    const char *why = NULL;
    json_t *set = pj_json_object(text, len, &why), *keys;
    int rc = -1;

    if (set == NULL) {
        pj_logf(log, LOG_ERR, "jwks_file %s: not a JWK Set: %s", path, why);
        return -1;
    }
    keys = json_object_get(set, "keys");
    if (!json_is_array(keys)) {
        pj_logf(log, LOG_ERR, "jwks_file %s: not a JWK Set: no \"keys\" array", path);
    } else if (json_array_size(keys) == 0) {
        pj_logf(log, LOG_ERR, "jwks_file %s: no usable signing key (\"keys\" is empty)", path);
    } else {
        rc = 0;
        for (size_t i = 0; rc == 0 && i < json_array_size(keys); i++)
            rc = add_jwk(ks, json_array_get(keys, i), path, i);
        if (rc != 0)
            pj_logf(log, LOG_ERR, "jwks_file %s: out of memory", path);
    }
    json_decref(set);
    return rc;
}

int pj_jwks_load(pj_keyset *ks, const char *path, const pj_log *log)
{
    char *buf;
    size_t len;
    int rc;
    if (pj_read_file(path, "jwks_file", PJ_FILE_PUBLIC, PJ_MAX_KEY_SIZE, log, &buf, &len) != 0)
        return -1;
    rc = pj_jwks_parse(ks, buf, len, path, log); /* a public key: no wipe */
    free(buf);
    return rc;
}

/* ------------------------------------------------ first use: build */

/* A base64url member, decoded; NULL with *why when it is not base64url
 * or is empty. */
static unsigned char *member(json_t *jwk, const char *name, size_t *len, const char **why)
{
    json_t *m = json_object_get(jwk, name);
    unsigned char *d = NULL;
    if (json_is_string(m))
        d = pj_b64url_decode(json_string_value(m), json_string_length(m), len);
    if (d == NULL || *len == 0) {
        free(d);
        *why = "member is not base64url";
        return NULL;
    }
    return d;
}

static EVP_PKEY *build_rsa(json_t *jwk, const char **why)
{
    size_t nl = 0, el = 0;
    unsigned char *n = member(jwk, "n", &nl, why);
    unsigned char *e = n ? member(jwk, "e", &el, why) : NULL;
    EVP_PKEY *pk = NULL;
    if (n != NULL && e != NULL) {
        pk = pj_pkey_rsa(n, nl, e, el);
        if (pk == NULL) {
            *why = "RSA key rejected by OpenSSL";
        } else if (EVP_PKEY_get_bits(pk) < PJ_MIN_RSA_BITS) {
            *why = "RSA key shorter than 2048 bits";
            EVP_PKEY_free(pk);
            pk = NULL;
        }
    }
    free(n);
    free(e);
    return pk;
}

static EVP_PKEY *build_ec(json_t *jwk, int nid, const char **why)
{
    const pj_curve *c = pj_curve_by_nid(nid);
    size_t xl = 0, yl = 0;
    unsigned char *x = member(jwk, "x", &xl, why);
    unsigned char *y = x ? member(jwk, "y", &yl, why) : NULL;
    unsigned char point[1 + 2 * PJ_MAX_EC_COORD];
    EVP_PKEY *pk = NULL;
    if (x == NULL || y == NULL)
        goto out;
    if (c == NULL || c->coord > PJ_MAX_EC_COORD || xl > c->coord || yl > c->coord) {
        *why = "EC coordinate longer than the curve's";
        goto out;
    }
    /* RFC 7518 6.2.1.2 wants x and y at the curve's full length, but some
     * libraries (PyJWT 2.6, authlib 1.2) drop leading zero bytes: the
     * number is the same, so put them back */
    memset(point, 0, sizeof(point));
    point[0] = 4; /* uncompressed */
    memcpy(point + 1 + (c->coord - xl), x, xl);
    memcpy(point + 1 + c->coord + (c->coord - yl), y, yl);
    pk = pj_pkey_ec(c->group, point, 1 + 2 * c->coord);
    if (pk == NULL)
        *why = "EC point is not on the curve";
out:
    free(x);
    free(y);
    return pk;
}

static EVP_PKEY *build_okp(json_t *jwk, int nid, const char **why)
{
    const pj_curve *c = pj_curve_by_nid(nid);
    size_t xl = 0;
    unsigned char *x = member(jwk, "x", &xl, why);
    EVP_PKEY *pk = NULL;
    if (x == NULL)
        return NULL;
    if (c == NULL || xl != c->coord)
        *why = "OKP public key has the wrong length";
    else if ((pk = EVP_PKEY_new_raw_public_key(c->nid, NULL, x, xl)) == NULL)
        *why = "OKP public key rejected by OpenSSL";
    free(x);
    return pk;
}

/* The OpenSSL key of a classified JWK: its members decoded once. */
static EVP_PKEY *build(const pj_key *k, json_t *jwk, const char **why)
{
    EVP_PKEY *pk = NULL;
    switch (k->kty) {
    case PJ_KTY_RSA: pk = build_rsa(jwk, why); break;
    case PJ_KTY_EC: pk = build_ec(jwk, k->curve_nid, why); break;
    case PJ_KTY_OKP: pk = build_okp(jwk, k->curve_nid, why); break;
    default: break;
    }
    ERR_clear_error();
    return pk;
}

int pj_key_from_jwk(json_t *jwk, pj_key *k, const char **why)
{
    memset(k, 0, sizeof(*k));
    k->alg = -1;
    *why = "use is not \"sig\"";
    if (classify(k, jwk, why) != PJ_KEY_UNBUILT)
        return -1;
    if ((k->pkey = build(k, jwk, why)) == NULL)
        return -1;
    k->state = PJ_KEY_READY;
    return 0;
}

/* Log why k is not used, once per key. */
static void tell(pj_key *k, const pj_log *log)
{
    if (k->told)
        return;
    k->told = true;
    if (k->state == PJ_KEY_NOT_SIG)
        pj_debugf(log, "%s: skipped: use is not \"sig\"", k->source);
    else
        pj_logf(log, LOG_WARNING, "%s: skipped: %s", k->source, k->why ? k->why : "unusable");
}

int pj_key_ready(pj_key *k, const pj_log *log)
{
    const char *why = "unusable";
    EVP_PKEY *pk = NULL;

    if (k->state == PJ_KEY_READY)
        return 0;
    if (k->state != PJ_KEY_UNBUILT || k->jwk == NULL) {
        tell(k, log);
        return -1;
    }
    pk = build(k, k->jwk, &why);
    json_decref(k->jwk); /* decoded once: its members are not needed again */
    k->jwk = NULL;
    if (pk == NULL) {
        k->state = PJ_KEY_BROKEN;
        k->why = why;
        tell(k, log);
        return -1;
    }
    k->pkey = pk;
    k->state = PJ_KEY_READY;
    return 0;
}

pj_fit pj_key_fit(pj_key *k, pj_alg alg, const pj_log *log)
{
    if (k->state == PJ_KEY_NOT_SIG) {
        tell(k, log);
        return PJ_FIT_NO;
    }
    if (k->state == PJ_KEY_BAD) {
        tell(k, log);
        return PJ_FIT_UNUSABLE;
    }
    if (!pj_alg_fits_key(alg, k) || (k->alg >= 0 && k->alg != (int)alg))
        return PJ_FIT_NO;
    /* refused by OpenSSL: unusable wherever pj_key_ready would have been
     * asked to build it, so a decision is the same after
     * pj_jwks_prepare_all */
    if (k->state == PJ_KEY_BROKEN) {
        tell(k, log);
        return PJ_FIT_UNUSABLE;
    }
    return PJ_FIT_YES;
}

int pj_jwks_prepare_all(pj_keyset *ks, const pj_log *log)
{
    size_t good = 0, jwks = 0;
    for (size_t i = 0; i < ks->n; i++) {
        pj_key *k = &ks->v[i];
        if (!k->jwks)
            continue;
        jwks++;
        if (pj_key_ready(k, log) == 0)
            good++;
    }
    return jwks > 0 && good == 0 ? -1 : 0;
}
