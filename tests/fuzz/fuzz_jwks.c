/* libFuzzer harness: a JWK Set (jwks_file contents).
 *   input = JWK Set text.
 * pj_jwks_parse checks the set's syntax with the tree-less scanner
 * (jsonscan.c) and keeps each JWK's text and kid; pj_decide parses a key
 * (pj_jwk_prepare) when a token's kid can select it and builds the OpenSSL
 * key (pj_jwk_materialize) when it is a candidate.  Differential: the
 * scanner must accept what jansson accepts with JSON_REJECT_DUPLICATES and
 * refuse what jansson refuses even without it, and find the same "keys"
 * elements and kids.  Then every key is prepared and materialized as
 * pj_decide would, and handed to pj_sig_verify for each
 * algorithm it fits, with a signature of the right size, so odd keys (tiny
 * or huge exponents, points off the curve, small-order Ed25519 points)
 * reach OpenSSL's key import and verifiers the way a token would bring
 * them there. */
#include "config.h"

#define FUZZ_NAME "fuzz_jwks"
#include "fuzz.h"

#include "jose.h"
#include "jsonscan.h"
#include "jwks.h"
#include "keys.h"
#include "log.h"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyb290In0";

/* The scanner against jansson on the same text. */
static void differential(const char *text, size_t size)
{
    pj_jwk_ref *refs = NULL;
    size_t n = 0;
    const char *why = NULL, *vwhy = NULL, *swhy = NULL;
    json_error_t err;
    int rc = pj_jwks_scan(text, size, &refs, &n, &why);
    bool valid = pj_json_valid(text, size, &vwhy);
    json_t *strict = pj_json_object(text, size, &swhy);
    json_t *loose = json_loadb(text, size, 0, &err);
    /* the scan stops at depth 32, jansson (without our pre-check) later */
    bool deep = vwhy == PJ_WHY_TOO_DEEP;
    json_t *keys = json_object_get(strict, "keys");
    /* jansson with duplicates refused accepts a set -> so does the scan */
    if (strict != NULL && json_is_array(keys))
        CHECK(rc == 0 && n == json_array_size(keys));
    if (strict != NULL)
        CHECK(valid);
    /* jansson 2.14 skips a raw NUL byte after a number; pj_json_object and
     * the scan refuse NUL anywhere */
    if (memchr(text, '\0', size) != NULL) {
        CHECK(rc != 0 && !valid && strict == NULL);
        json_decref(loose);
        pj_jwk_refs_free(refs, n);
        return;
    }
    /* jansson refuses even with duplicates allowed -> so does the scan */
    if (loose == NULL && !deep)
        CHECK(rc != 0 && !valid);
    if (loose != NULL && !deep)
        CHECK(valid);
    if (rc == 0) {
        CHECK(loose != NULL && json_is_object(loose));
        keys = json_object_get(loose, "keys");
        CHECK(json_is_array(keys) && json_array_size(keys) == n);
        for (size_t i = 0; i < n; i++) {
            json_t *el = json_array_get(keys, i);
            json_t *one = json_loadb(text + refs[i].off, refs[i].len, JSON_DECODE_ANY, &err);
            CHECK(one != NULL && json_equal(one, el));
            json_decref(one);
            /* which of two "kid" members counts does not matter: such a
             * key is refused when parsed (duplicate member names) */
            const char *w = NULL;
            json_t *strict_el = pj_json_object(text + refs[i].off, refs[i].len, &w);
            if (strict_el == NULL)
                continue;
            json_t *kid = json_object_get(strict_el, "kid");
            json_decref(strict_el); /* el (loose) holds the same kid text */
            kid = json_object_get(el, "kid");
            if (refs[i].kid != NULL)
                CHECK(json_is_string(kid) && strcmp(json_string_value(kid), refs[i].kid) == 0);
            else if (json_is_object(el) && json_is_string(kid) && json_string_length(kid) > 0)
                CHECK(strlen(json_string_value(kid)) != json_string_length(kid) ||
                      json_object_size(el) == 0);
        }
    }
    pj_jwk_refs_free(refs, n);
    json_decref(strict);
    json_decref(loose);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pj_keyset ks;
    unsigned char sig[1024];
    int rc;

    memset(&ks, 0, sizeof(ks));
    differential((const char *)data, size);
    rc = pj_jwks_parse(&ks, (const char *)data, size, "/fuzz.jwks", &quiet);
    CHECK(rc == 0 || rc == -1);
    CHECK(rc != 0 || ks.n > 0);
    for (size_t i = 0; i < ks.n; i++) {
        pj_key *k = &ks.v[i];
        CHECK(k->jwks && k->secret == NULL && k->source == NULL);
        CHECK(pj_key_pending(k) && k->pkey == NULL);
        for (int a = 0; a < PJ_ALG_COUNT; a++) /* a pending key fits nothing */
            CHECK(!pj_alg_fits_key((pj_alg)a, k));
        int pr = pj_jwk_prepare(k, &quiet);
        CHECK(k->source != NULL); /* named for its log lines */
        CHECK(!pj_key_pending(k) && pj_jwk_prepare(k, &quiet) == (pr > 0 ? 1 : -1));
        if (pr <= 0) {
            CHECK(k->broken && k->jwk == NULL);
            for (int a = 0; a < PJ_ALG_COUNT; a++)
                CHECK(!pj_sig_verify((pj_alg)a, k, msg, sizeof(msg) - 1, msg, 64));
            continue;
        }
        CHECK(k->pkey != NULL || k->jwk != NULL);
        CHECK(k->kty != PJ_KTY_HMAC);
        CHECK(k->kid == NULL || k->kid[0] != '\0');
        if (k->alg >= 0)
            CHECK(pj_alg_fits_key((pj_alg)k->alg, k));
        if (pj_jwk_materialize(k, &quiet) != 0) {
            /* logged once, never retried, never verifies */
            CHECK(k->pkey == NULL && k->broken);
            CHECK(pj_jwk_materialize(k, &quiet) != 0);
            for (int a = 0; a < PJ_ALG_COUNT; a++)
                CHECK(!pj_sig_verify((pj_alg)a, k, msg, sizeof(msg) - 1, msg, 64));
            continue;
        }
        CHECK(k->pkey != NULL && pj_jwk_materialize(k, &quiet) == 0);
        /* The key OpenSSL built is the kind classified at load, which is
         * what pj_alg_fits_key decided candidacy on. */
        switch (k->kty) {
        case PJ_KTY_RSA:
            CHECK(EVP_PKEY_is_a(k->pkey, "RSA"));
            CHECK(EVP_PKEY_get_bits(k->pkey) >= PJ_MIN_RSA_BITS);
            break;
        case PJ_KTY_EC: {
            char group[80];
            size_t glen = 0;
            CHECK(EVP_PKEY_is_a(k->pkey, "EC"));
            CHECK(EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                 sizeof(group), &glen));
            CHECK(OBJ_sn2nid(group) == k->curve_nid || OBJ_ln2nid(group) == k->curve_nid);
            break;
        }
        case PJ_KTY_OKP:
            CHECK(EVP_PKEY_is_a(k->pkey, k->curve_nid == EVP_PKEY_ED25519 ? "ED25519" : "ED448"));
            break;
        default:
            CHECK(0);
        }
        for (int a = 0; a < PJ_ALG_COUNT; a++) {
            const pj_alg_info *ai = pj_alg_get((pj_alg)a);
            size_t siglen;
            if (!pj_alg_fits_key((pj_alg)a, k))
                continue;
            CHECK(ai->fam != PJ_FAM_HMAC);
            switch (ai->fam) {
            case PJ_FAM_EC:
                siglen = 2 * ai->coord;
                break;
            case PJ_FAM_EDDSA:
                siglen = k->curve_nid == EVP_PKEY_ED448 ? 114 : 64;
                break;
            default: {
                int bytes = EVP_PKEY_get_size(k->pkey);
                siglen = bytes > 0 && (size_t)bytes <= sizeof(sig) ? (size_t)bytes : 256;
                break;
            }
            }
            /* A fixed "signature" derived from the input: never valid
             * (forging one would be a finding of its own). */
            for (size_t b = 0; b < siglen; b++)
                sig[b] = (unsigned char)(size ? data[b % size] ^ (b * 37u) : b);
            (void)pj_sig_verify((pj_alg)a, k, msg, sizeof(msg) - 1, sig, siglen);
        }
    }
    pj_keyset_free(&ks);
    CHECK(ks.v == NULL && ks.n == 0);
    return 0;
}
