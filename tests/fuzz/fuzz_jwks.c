/* libFuzzer harness: a JWK Set (jwks_file contents).
 *   input = JWK Set text.
 * pj_jwks_parse checks the members of each JWK and keeps the JWK; the
 * OpenSSL key is built only when a token selects it (pj_jwk_materialize,
 * called by pj_decide).  Here every key pj_jwks_parse accepts is
 * materialized as pj_decide would, then handed to pj_sig_verify for each
 * algorithm it fits, with a signature of the right size, so odd keys (tiny
 * or huge exponents, points off the curve, small-order Ed25519 points)
 * reach OpenSSL's key import and verifiers the way a token would bring
 * them there. */
#include "config.h"

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

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_jwks: property failed: %s (%s:%d)\n", #cond, \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void discard(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    CHECK(strlen(msg) < 1024);
}

static const pj_log quiet = {discard, NULL, true};

static const unsigned char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyb290In0";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pj_keyset ks;
    unsigned char sig[1024];
    int rc;

    memset(&ks, 0, sizeof(ks));
    rc = pj_jwks_parse(&ks, (const char *)data, size, "/fuzz.jwks", &quiet);
    CHECK(rc == 0 || rc == -1);
    CHECK(rc != 0 || ks.n > 0);
    for (size_t i = 0; i < ks.n; i++) {
        pj_key *k = &ks.v[i];
        CHECK(k->jwks && k->secret == NULL && k->source != NULL);
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
