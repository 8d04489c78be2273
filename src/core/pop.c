/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "pop.h"

#include "b64enc.h"
#include "b64url.h"
#include "jose.h"
#include "jwks.h"
#include "keys.h"
#include "target.h"
#include "util.h"

#include <math.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

pj_pop_binding pj_pop_jkt(json_t *claims, const char **jkt)
{
    json_t *cnf = json_object_get(claims, "cnf"), *m = json_object_get(cnf, "jkt");
    const char *v = json_string_value(m);
    *jkt = NULL;
    if (cnf == NULL)
        return PJ_POP_UNBOUND;
    if (!json_is_object(cnf) || v == NULL || json_string_length(m) != 43)
        return PJ_POP_UNCHECKABLE;
    for (size_t i = 0; i < 43; i++)
        if (!pj_b64url_char((unsigned char)v[i]))
            return PJ_POP_UNCHECKABLE;
    *jkt = v;
    return PJ_POP_JKT;
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
    const pj_curve *c = pj_curve_by_crv(json_string_value(json_object_get(jwk, "crv")));
    const char *a, *b;
    char *text = NULL;
    unsigned int ml = 0;
    if (kty == NULL)
        return -1;
    /* the required members of each key type, already in lexicographic order */
    if (strcmp(kty, "RSA") == 0 && (a = b64_member(jwk, "e")) && (b = b64_member(jwk, "n")))
        text = pj_strfmt("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
    else if (strcmp(kty, "EC") == 0 && c && c->kty == PJ_KTY_EC && (a = b64_member(jwk, "x")) &&
             (b = b64_member(jwk, "y")))
        text = pj_strfmt("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", c->crv, a,
                         b);
    else if (strcmp(kty, "OKP") == 0 && c && c->kty == PJ_KTY_OKP && (a = b64_member(jwk, "x")))
        text = pj_strfmt("{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", c->crv, a);
    if (text == NULL)
        return -1;
    int ok = EVP_Digest(text, strlen(text), out, &ml, EVP_sha256(), NULL) == 1 && ml == 32;
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
    /* in whole seconds: a proof signed in the second its answer arrived
     * is in time even with leeway = 0 */
    if (!json_is_number(iat) ||
        !(fabs(floor(json_number_value(iat)) - floor(now)) <= (double)c->leeway))
        return "iat is not within leeway of the time the proof arrived";
    if (EVP_Digest(tok, toklen, h, &hl, EVP_sha256(), NULL) != 1 || hl != 32)
        return "cannot hash the token";
    if (!b64_equals(ath, h))
        return "ath is not the token's hash";
    return NULL;
}

/* pop_audience as written, or the default. */
static const char *const default_audience[] = {"ssh://%h", "local://%h"};

static const char *const *audiences(const pj_config *c, size_t *n)
{
    if (c->pop_audience.n > 0) {
        *n = c->pop_audience.n;
        return (const char *const *)c->pop_audience.v;
    }
    *n = sizeof(default_audience) / sizeof(default_audience[0]);
    return default_audience;
}

void pj_pop_audiences(const pj_config *c, const pj_scope *sc, char *out, size_t outsz)
{
    char want[PJ_MAX_LINE + 1], safe[160];
    size_t n, o = 0;
    const char *const *v = audiences(c, &n);
    if (outsz < 4)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *a = pj_scope_expand(v[i], sc, want, sizeof(want)) == 0 ? want : v[i];
        pj_sanitize(safe, sizeof(safe), a, strlen(a));
        size_t w = (o ? 1 : 0) + strlen(safe);
        pj_format(out + o, outsz - o, "%s%s", o ? " " : "", safe);
        if (w >= outsz - o) {
            memcpy(out + outsz - 4, "...", 4); /* cut: say so, even in a short tail */
            return;
        }
        o += w;
    }
}

/* The proof's aud: a string, one of this host's audiences.  Checked after
 * the signature, so "proof is for X" in a log line is what the holder key
 * signed (a relaying server names itself there), not what anyone typed. */
static bool aud_accepted(const pj_config *c, json_t *cl, const pj_scope *sc, char *why,
                         size_t whysz)
{
    json_t *m = json_object_get(cl, "aud");
    const char *aud = json_string_value(m);
    char want[PJ_MAX_LINE + 1], got[100], list[160];
    size_t n, al;
    const char *const *v = audiences(c, &n);
    if (m == NULL) {
        pj_format(why, whysz, "proof has no aud (the client must name the host it proves to)");
        return false;
    }
    if (aud == NULL) {
        pj_format(why, whysz, "proof's aud is not a string");
        return false;
    }
    al = json_string_length(m);
    for (size_t i = 0; i < n; i++)
        if (pj_scope_expand(v[i], sc, want, sizeof(want)) == 0 &&
            pj_target_equal(want, strlen(want), aud, al))
            return true;
    pj_sanitize(got, sizeof(got), aud, al);
    pj_pop_audiences(c, sc, list, sizeof(list));
    pj_format(why, whysz, "proof is for %s, this host accepts %s", got, list);
    return false;
}

int pj_pop_verify(const pj_config *c, const pj_pop_challenge *ch, const char *proof, size_t n,
                  const pj_log *log, char *why, size_t whysz)
{
    pj_jws j;
    pj_key k;
    int alg = -1, r = -1;
    const char *w = NULL;
    memset(&k, 0, sizeof(k));
    k.alg = -1;
    why[0] = '\0';
    pj_trim(&proof, &n);
    if (n > PJ_MAX_TOKEN || !pj_jwt_shaped(proof, n)) {
        pj_format(why, whysz, "answer is not a compact JWS");
        return -1;
    }
    if (pj_jws_parse(proof, n, &j, &w) != 0) {
        pj_format(why, whysz, "%s", w ? w : "malformed proof");
        return -1;
    }
    w = check_header(c, j.header, ch->jkt, &alg, &k, log);
    if (w == NULL)
        w = check_claims(c, j.claims, ch->tok, ch->toklen, ch->nonce, ch->now);
    if (w == NULL &&
        !pj_sig_verify((pj_alg)alg, &k, (const unsigned char *)proof, j.signing_len, j.sig, j.sig_len))
        w = "signature does not verify with the jwk";
    if (w != NULL)
        pj_format(why, whysz, "%s", w);
    else if (aud_accepted(c, j.claims, ch->scope, why, whysz))
        r = 0; /* the one place a proof is accepted */
    EVP_PKEY_free(k.pkey);
    pj_jws_free(&j);
    return r;
}
