#include "config.h"

#include "jwks.h"

#include "b64url.h"
#include "jose.h"
#include "jsonscan.h"
#include "safefile.h"
#include "util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode a base64url member of a JWK; NULL with *why when absent or bad. */
static unsigned char *member_b64(json_t *jwk, const char *name, size_t *len, const char **why)
{
    json_t *m = json_object_get(jwk, name);
    const char *s = json_string_value(m);
    unsigned char *d;
    if (s == NULL) {
        *why = "member missing or not a string";
        return NULL;
    }
    d = pj_b64url_decode(s, json_string_length(m), len);
    if (d == NULL || *len == 0) {
        free(d);
        *why = "member is not base64url";
        return NULL;
    }
    return d;
}

static EVP_PKEY *jwk_rsa(json_t *jwk, const char **why)
{
    size_t nl = 0, el = 0;
    unsigned char *n = member_b64(jwk, "n", &nl, why);
    unsigned char *e = n ? member_b64(jwk, "e", &el, why) : NULL;
    EVP_PKEY *pk = NULL;
    if (n != NULL && e != NULL) {
        pk = pj_pkey_rsa(n, nl, e, el);
        if (pk == NULL)
            *why = "RSA key rejected by OpenSSL";
    }
    free(n);
    free(e);
    return pk;
}

static EVP_PKEY *jwk_ec(json_t *jwk, const char **why)
{
    const pj_curve *c = pj_curve_by_crv(json_string_value(json_object_get(jwk, "crv")));
    size_t xl = 0, yl = 0;
    unsigned char *x = NULL, *y = NULL, point[1 + 2 * PJ_MAX_EC_COORD];
    EVP_PKEY *pk = NULL;
    if (c == NULL) {
        *why = "EC key without crv P-256, P-384 or P-521";
        return NULL;
    }
    x = member_b64(jwk, "x", &xl, why);
    y = x ? member_b64(jwk, "y", &yl, why) : NULL;
    if (x == NULL || y == NULL)
        goto out;
    if (xl != c->coord || yl != c->coord) {
        *why = "EC coordinates have the wrong length for the curve";
        goto out;
    }
    point[0] = 4; /* uncompressed */
    memcpy(point + 1, x, xl);
    memcpy(point + 1 + xl, y, yl);
    pk = pj_pkey_ec(c->group, point, 1 + xl + yl);
    if (pk == NULL)
        *why = "EC point is not on the curve";
out:
    free(x);
    free(y);
    return pk;
}

static EVP_PKEY *jwk_okp(json_t *jwk, const char **why)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    size_t xl = 0;
    unsigned char *x;
    EVP_PKEY *pk = NULL;
    int type;
    if (crv && strcmp(crv, "Ed25519") == 0)
        type = EVP_PKEY_ED25519;
    else if (crv && strcmp(crv, "Ed448") == 0)
        type = EVP_PKEY_ED448;
    else {
        *why = "OKP key without crv Ed25519 or Ed448";
        return NULL;
    }
    x = member_b64(jwk, "x", &xl, why);
    if (x == NULL)
        return NULL;
    pk = EVP_PKEY_new_raw_public_key(type, NULL, x, xl);
    if (pk == NULL)
        *why = "OKP public key has the wrong length";
    free(x);
    return pk;
}

/* Check one parsed JWK and fill in k; 1 usable, 0 skipped on purpose,
 * -1 bad (why). */
static int classify(pj_key *k, json_t *jwk, const pj_log *log, const char **why)
{
    const char *kty, *use, *kid = NULL, *algname;
    int alg = -1;
    json_t *m;

    if (!json_is_object(jwk)) {
        *why = "not a JSON object";
        return -1;
    }
    kty = json_string_value(json_object_get(jwk, "kty"));
    if (kty == NULL) {
        *why = "no kty";
        return -1;
    }
    use = json_string_value(json_object_get(jwk, "use"));
    if (json_object_get(jwk, "use") && (use == NULL || strcmp(use, "sig") != 0)) {
        pj_debugf(log, "%s: skipped: use is not \"sig\"", k->source);
        return 0; /* an encryption key is not for us */
    }
    if ((m = json_object_get(jwk, "kid")) != NULL) {
        kid = json_string_value(m);
        if (kid == NULL || json_string_length(m) == 0 || strlen(kid) != json_string_length(m)) {
            *why = "kid is not a non-empty string";
            return -1;
        }
    }
    if ((m = json_object_get(jwk, "alg")) != NULL) {
        algname = json_string_value(m);
        if (algname == NULL || (alg = pj_alg_from_name(algname)) < 0) {
            *why = "alg is not one this build verifies";
            return -1;
        }
        if (pj_alg_get(alg)->fam == PJ_FAM_HMAC) {
            *why = "symmetric alg in a JWK Set (use hmac_secret_file)";
            return -1;
        }
    }
    if (json_object_get(jwk, "d") != NULL) {
        *why = "holds private key material (publish the public key only)";
        return -1;
    }
    /* Classify and check the members now; build the OpenSSL key only when
     * a token selects this key (pj_jwk_materialize). */
    pj_kty kt;
    int curve = 0;
    size_t l1 = 0, l2 = 0;
    unsigned char *b1 = NULL, *b2 = NULL;
    if (strcmp(kty, "RSA") == 0) {
        kt = PJ_KTY_RSA;
        b1 = member_b64(jwk, "n", &l1, why);
        b2 = b1 ? member_b64(jwk, "e", &l2, why) : NULL;
        if (b2 && l1 < PJ_MIN_RSA_BITS / 8 - 1)
            *why = "RSA modulus shorter than 2048 bits";
        else if (b2)
            *why = NULL;
    } else if (strcmp(kty, "EC") == 0) {
        const pj_curve *c = pj_curve_by_crv(json_string_value(json_object_get(jwk, "crv")));
        kt = PJ_KTY_EC;
        if (c == NULL) {
            *why = "EC key without crv P-256, P-384 or P-521";
        } else {
            size_t want = c->coord;
            curve = c->nid;
            b1 = member_b64(jwk, "x", &l1, why);
            b2 = b1 ? member_b64(jwk, "y", &l2, why) : NULL;
            if (b2 && (l1 != want || l2 != want))
                *why = "EC coordinates have the wrong length for the curve";
            else if (b2)
                *why = NULL;
        }
    } else if (strcmp(kty, "OKP") == 0) {
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        kt = PJ_KTY_OKP;
        if (crv && strcmp(crv, "Ed25519") == 0)
            curve = EVP_PKEY_ED25519;
        else if (crv && strcmp(crv, "Ed448") == 0)
            curve = EVP_PKEY_ED448;
        if (curve == 0) {
            *why = "OKP key without crv Ed25519 or Ed448";
        } else {
            b1 = member_b64(jwk, "x", &l1, why);
            if (b1 && l1 != (curve == EVP_PKEY_ED25519 ? 32u : 57u))
                *why = "OKP public key has the wrong length";
            else if (b1)
                *why = NULL;
        }
#ifndef HAVE_EDDSA
        *why = "EdDSA keys are not supported by this build";
#endif
    } else if (strcmp(kty, "oct") == 0) {
        *why = "symmetric (oct) key in a JWK Set (use hmac_secret_file)";
        return -1;
    } else {
        *why = "unsupported kty";
        return -1;
    }
    free(b1);
    free(b2);
    if (*why != NULL)
        return -1;
    /* the scan took the kid from the same text; a key it could not read a
     * kid from (escapes aside, they decode alike) is never selected by one */
    if ((kid == NULL) != (k->kid == NULL) || (kid && strcmp(kid, k->kid) != 0)) {
        *why = "kid could not be read";
        return -1;
    }
    k->kty = kt;
    k->curve_nid = curve;
    k->alg = alg;
    k->jwk = json_incref(jwk);
    if (alg >= 0 && !pj_alg_fits_key(alg, k)) {
        *why = "alg does not fit the key type";
        json_decref(k->jwk);
        k->jwk = NULL;
        return -1;
    }
    return 1;
}

int pj_jwk_prepare(pj_key *k, const pj_log *log)
{
    const char *why = NULL, *text = k->jwk_text;
    int r = -1;
    if (!pj_key_pending(k))
        return k->broken ? -1 : 1;
    k->jwk_text = NULL; /* no longer pending, whatever happens below */
    if (k->source == NULL &&
        (k->source = pj_strfmt("jwks_file %s key #%zu", k->set_path, k->set_index)) == NULL) {
        k->broken = true;
        pj_logf(log, LOG_ERR, "jwks_file %s: out of memory", k->set_path);
        return -1;
    }
    /* the set's scan checked the syntax: a key jansson refuses now is not
     * an object or repeats a member name */
    json_t *jwk = text[0] == '{' ? pj_json_object(text, k->jwk_len, &why) : NULL;
    if (jwk != NULL) {
        r = classify(k, jwk, log, &why);
        json_decref(jwk);
    } else {
        why = text[0] == '{' ? "duplicate member names" : "not a JSON object";
    }
    if (r <= 0)
        k->broken = true;
    if (r < 0)
        pj_logf(log, LOG_WARNING, "%s: skipped: %s", k->source, why ? why : "unusable");
    return r;
}

int pj_jwk_materialize(pj_key *k, const pj_log *log)
{
    const char *why = "unusable";
    EVP_PKEY *pk = NULL;
    if (k->pkey != NULL)
        return 0;
    if (k->broken || k->jwk == NULL)
        return -1;
    switch (k->kty) {
    case PJ_KTY_RSA: pk = jwk_rsa(k->jwk, &why); break;
    case PJ_KTY_EC: pk = jwk_ec(k->jwk, &why); break;
    case PJ_KTY_OKP: pk = jwk_okp(k->jwk, &why); break;
    default: break;
    }
    ERR_clear_error();
    if (pk != NULL && k->kty == PJ_KTY_RSA && EVP_PKEY_get_bits(pk) < PJ_MIN_RSA_BITS) {
        why = "RSA key shorter than 2048 bits";
        EVP_PKEY_free(pk);
        pk = NULL;
    }
    if (pk == NULL) {
        pj_logf(log, LOG_WARNING, "%s: skipped: %s", k->source, why);
        k->broken = true;
        return -1;
    }
    k->pkey = pk;
    return 0;
}

/* pj_jwks_parse on a buffer the keyset takes over (pending keys point
 * into it). */
static int parse_owned(pj_keyset *ks, char *text, size_t len, const char *path,
                       const pj_log *log)
{
    const char *why = NULL, *kept, *kpath;
    pj_jwk_ref *refs;
    size_t n;

    if (pj_jwks_scan(text, len, &refs, &n, &why) != 0) {
        pj_logf(log, LOG_ERR, "jwks_file %s: not a JWK Set: %s", path, why);
        free(text);
        return -1;
    }
    if (n == 0) {
        pj_logf(log, LOG_ERR, "jwks_file %s: no usable signing key (\"keys\" is empty)", path);
        free(text);
        pj_jwk_refs_free(refs, n);
        return -1;
    }
    int rc = 0;
    if ((kept = pj_keyset_keep(ks, text)) == NULL || (kpath = strdup(path)) == NULL ||
        pj_keyset_keep(ks, (char *)kpath) == NULL)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = pj_keys_add_jwk_text(ks, kept + refs[i].off, refs[i].len, kpath, i, refs[i].kid);
        refs[i].kid = NULL; /* the key owns it now */
    }
    if (rc != 0)
        pj_logf(log, LOG_ERR, "jwks_file %s: out of memory", path);
    pj_jwk_refs_free(refs, n);
    return rc;
}

int pj_jwks_parse(pj_keyset *ks, const char *text, size_t len, const char *path,
                  const pj_log *log)
{
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        pj_logf(log, LOG_ERR, "jwks_file %s: out of memory", path);
        return -1;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    return parse_owned(ks, copy, len, path, log);
}

int pj_jwks_prepare_all(pj_keyset *ks, const pj_log *log)
{
    size_t good = 0, jwks = 0;
    for (size_t i = 0; i < ks->n; i++) {
        pj_key *k = &ks->v[i];
        if (!k->jwks)
            continue;
        jwks++;
        if (pj_jwk_prepare(k, log) > 0 && pj_jwk_materialize(k, log) == 0)
            good++;
    }
    return jwks > 0 && good == 0 ? -1 : 0;
}

int pj_jwks_load(pj_keyset *ks, const char *path, const pj_log *log)
{
    char *buf;
    size_t len;
    if (pj_read_file(path, "jwks_file", PJ_FILE_PUBLIC, PJ_MAX_KEY_SIZE, log, &buf, &len) != 0)
        return -1;
    return parse_owned(ks, buf, len, path, log);
}
