/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: a JWK Set (jwks_file contents).
 *   input = JWK Set text.
 * pj_jwks_parse reads the set with jansson (pj_json_object) and classifies
 * each key from its string members; pj_decide asks pj_key_fit whether a
 * key fits the token's alg and pj_key_ready to build it.  Checked here:
 *   - the set is accepted exactly when pj_json_object reads an object with
 *     a non-empty "keys" array, and every element becomes a key;
 *   - loading and pj_key_fit build nothing; pj_key_fit is 1 only where the
 *     key's type and own alg fit, never for HS*, always -1 for a key
 *     refused at load and 0 for one not for signing;
 *   - a key pj_key_ready accepts has an OpenSSL key of the kind classified
 *     at load; one it refuses has none, is refused again, and is then
 *     unusable exactly where it fitted;
 *   - every key is logged at most once, each line a bounded C string;
 *   - pj_jwks_prepare_all (pamjwt check) changes no key's verdict for any
 *     alg;
 *   - pj_sig_verify runs on every usable key for each algorithm it fits,
 *     with a signature of the right size, so odd keys (tiny or huge
 *     exponents, points off the curve, short coordinates, small-order
 *     Ed25519 points) reach OpenSSL's key import and verifiers the way a
 *     token would bring them there;
 *   - pj_keyset_free leaves nothing behind (LeakSanitizer). */
#include "config.h"

#define FUZZ_NAME "fuzz_jwks"
#include "fuzz.h"

#include "jose.h"
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

/* Counts the lines logged; each is checked to be a bounded C string. */
static size_t nlines;
static void counting(void *ctx, int prio, const char *m)
{
    (void)ctx;
    (void)prio;
    CHECK(strlen(m) < 1024);
    nlines++;
}
static const pj_log counted = {counting, NULL, true};

/* The kind of OpenSSL key matches what was classified at load. */
static void check_built(const pj_key *k)
{
    CHECK(k->state == PJ_KEY_READY && k->pkey != NULL && k->jwk == NULL);
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
        CHECK(pj_curve_by_group(group) != NULL &&
              pj_curve_by_group(group)->nid == k->curve_nid);
        break;
    }
    case PJ_KTY_OKP:
        CHECK(EVP_PKEY_is_a(k->pkey, k->curve_nid == EVP_PKEY_ED25519 ? "ED25519" : "ED448"));
        break;
    default:
        CHECK(0);
    }
}

/* What check_signature makes of key k for alg: 0 not a candidate, -1
 * unusable, 1 ready to verify. */
static int verdict(pj_key *k, pj_alg a)
{
    int fit = pj_key_fit(k, a, &counted);
    CHECK(fit >= -1 && fit <= 1);
    if (fit <= 0)
        return fit;
    return pj_key_ready(k, &counted) == 0 ? 1 : -1;
}

static void try_signatures(const pj_key *k, const uint8_t *data, size_t size)
{
    unsigned char sig[1024];
    for (int a = 0; a < PJ_ALG_COUNT; a++) {
        const pj_alg_info *ai = pj_alg_get((pj_alg)a);
        size_t siglen;
        if (!pj_alg_fits_key((pj_alg)a, k) || (k->alg >= 0 && k->alg != a))
            continue;
        CHECK(ai->fam != PJ_FAM_HMAC);
        switch (ai->fam) {
        case PJ_FAM_EC:
            siglen = 2 * ai->curve->coord;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *why = NULL;
    pj_keyset ks, all;
    int rc;

    memset(&ks, 0, sizeof(ks));
    memset(&all, 0, sizeof(all));
    /* accepted exactly when pj_json_object reads a non-empty "keys" array */
    json_t *set = pj_json_object(text, size, &why);
    json_t *keys = json_object_get(set, "keys");
    size_t want = json_is_array(keys) ? json_array_size(keys) : 0;
    json_decref(set);
    nlines = 0;
    rc = pj_jwks_parse(&ks, text, size, "/fuzz.jwks", &counted);
    CHECK(nlines == (rc == 0 ? 0u : 1u)); /* one line for a bad set, none for keys */
    CHECK(rc == (want > 0 ? 0 : -1));
    CHECK(ks.n == (rc == 0 ? want : 0));
    if (rc != 0) {
        pj_keyset_free(&ks);
        return 0;
    }

    /* loading classified every key and built none */
    for (size_t i = 0; i < ks.n; i++) {
        pj_key *k = &ks.v[i];
        char name[64];
        snprintf(name, sizeof(name), "jwks_file /fuzz.jwks key #%zu", i);
        CHECK(k->jwks && k->secret == NULL && k->pkey == NULL && !k->told);
        CHECK(k->source != NULL && strcmp(k->source, name) == 0);
        CHECK(k->kid == NULL || k->kid[0] != '\0');
        CHECK(k->state == PJ_KEY_UNBUILT || k->state == PJ_KEY_NOT_SIG ||
              k->state == PJ_KEY_BAD);
        CHECK((k->state == PJ_KEY_UNBUILT) == (k->jwk != NULL));
        CHECK((k->state == PJ_KEY_BAD) == (k->why != NULL));
        CHECK(k->kty != PJ_KTY_HMAC);
        if (k->alg >= 0)
            CHECK(k->state != PJ_KEY_UNBUILT || pj_alg_fits_key((pj_alg)k->alg, k));
    }

    /* pj_key_fit decodes and builds nothing */
    for (size_t i = 0; i < ks.n; i++) {
        pj_key *k = &ks.v[i];
        pj_key_state st = k->state;
        for (int a = 0; a < PJ_ALG_COUNT; a++) {
            int fit = pj_key_fit(k, (pj_alg)a, &counted);
            CHECK(k->state == st && k->pkey == NULL);
            if (st == PJ_KEY_BAD)
                CHECK(fit == -1);
            else if (st == PJ_KEY_NOT_SIG)
                CHECK(fit == 0);
            else
                CHECK(fit == (pj_alg_fits_key((pj_alg)a, k) && (k->alg < 0 || k->alg == a)));
            if (pj_alg_get((pj_alg)a)->fam == PJ_FAM_HMAC)
                CHECK(fit != 1);
        }
    }
    CHECK(nlines <= ks.n);

    /* as pamjwt check does, on a second copy of the set */
    rc = pj_jwks_parse(&all, text, size, "/fuzz.jwks", &quiet);
    CHECK(rc == 0 && all.n == ks.n);
    (void)pj_jwks_prepare_all(&all, &quiet);

    /* build what fits, as check_signature would; the verdicts agree */
    for (size_t i = 0; i < ks.n; i++) {
        pj_key *k = &ks.v[i];
        for (int a = 0; a < PJ_ALG_COUNT; a++) {
            int v = verdict(k, (pj_alg)a);
            CHECK(v == verdict(&all.v[i], (pj_alg)a));
            if (v == 1)
                check_built(k);
            if (v == -1) {
                CHECK(k->pkey == NULL && k->jwk == NULL && k->why != NULL);
                CHECK(k->state == PJ_KEY_BAD || k->state == PJ_KEY_BROKEN);
                CHECK(pj_key_ready(k, &counted) == -1);
                CHECK(!pj_sig_verify((pj_alg)a, k, msg, sizeof(msg) - 1, msg, 64));
            }
        }
        /* asked for any key, pj_key_ready agrees with how it ended */
        int r = pj_key_ready(k, &counted);
        CHECK(r == (k->state == PJ_KEY_READY ? 0 : -1));
        CHECK(pj_key_ready(k, &counted) == r);
        if (r == 0) {
            check_built(k);
            try_signatures(k, data, size);
        } else {
            CHECK(k->pkey == NULL);
            for (int a = 0; a < PJ_ALG_COUNT; a++)
                CHECK(!pj_sig_verify((pj_alg)a, k, msg, sizeof(msg) - 1, msg, 64));
        }
    }
    CHECK(nlines <= ks.n); /* every key said at most once */
    pj_keyset_free(&ks);
    pj_keyset_free(&all);
    CHECK(ks.v == NULL && ks.n == 0 && all.v == NULL);
    return 0;
}
