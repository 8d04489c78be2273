/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/keys.c. */
#include "unit.h"

/* The SubjectPublicKeyInfo fast path must build exactly the key OpenSSL's
 * own decoder builds, and refuse (or hand over) anything else. */
void test_spki(void)
{
    const char *types[] = {"rsa", "rsa4096", "p256", "p384", "p521", "ed25519", "ed448",
                           "secp256k1"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        EVP_PKEY *k = tl_keygen(types[i]);
        size_t dl = 0;
        unsigned char *der = tl_pub_der(k, &dl);
        const unsigned char *p = der;
        EVP_PKEY *ref = d2i_PUBKEY(NULL, &p, (long)dl), *got = pj_pkey_spki(der, dl);
        ok(got != NULL && EVP_PKEY_eq(ref, got) == 1, "spki: %s key equals d2i_PUBKEY's", types[i]);
        /* every truncation fails cleanly */
        int bad = 0;
        for (size_t cut = 0; cut < dl; cut += (dl > 200 ? 7 : 1)) {
            EVP_PKEY *t = pj_pkey_spki(der, cut);
            bad += t != NULL;
            EVP_PKEY_free(t);
        }
        is_int(bad, 0, "spki: %s: no truncation gives a key", types[i]);
        /* flipped bits in the header, OIDs and first key bytes: the fast
         * path never accepts what OpenSSL's decoder refuses, and never
         * builds a different key from the same bytes */
        unsigned char *mut = malloc(dl);
        int disagree = 0;
        for (size_t j = 0; j < (dl < 40 ? dl : 40); j++)
            for (int bit = 0; bit < 8; bit++) {
                memcpy(mut, der, dl);
                mut[j] ^= (unsigned char)(1u << bit);
                const unsigned char *q = mut;
                EVP_PKEY *t = pj_pkey_spki(mut, dl), *r = d2i_PUBKEY(NULL, &q, (long)dl);
                if (r != NULL && q != mut + dl) {
                    EVP_PKEY_free(r);
                    r = NULL;
                }
                if (t != NULL && (r == NULL || EVP_PKEY_eq(r, t) != 1)) {
                    disagree++;
                    printf("# %s: byte %zu bit %d: fast path %s, decoder %s\n", types[i], j, bit,
                           t ? "key" : "none", r ? "key" : "none");
                }
                EVP_PKEY_free(t);
                EVP_PKEY_free(r);
            }
        ERR_clear_error();
        is_int(disagree, 0, "spki: %s: 320 one-bit mutations never accepted beyond OpenSSL's decoder",
               types[i]);
        free(mut);
        EVP_PKEY_free(ref);
        EVP_PKEY_free(got);
        EVP_PKEY_free(k);
        free(der);
    }
    /* a point that is not on the curve */
    EVP_PKEY *k = tl_keygen("p256");
    size_t dl = 0;
    unsigned char *der = tl_pub_der(k, &dl);
    der[dl - 1] ^= 0x01;
    ok(pj_pkey_spki(der, dl) == NULL, "spki: EC point off the curve refused");
    free(der);
    EVP_PKEY_free(k);
    ok(pj_pkey_spki((const unsigned char *)"\x30\x84\xff\xff\xff\xff", 6) == NULL,
       "spki: absurd length refused");
}

/* The curve table holds Ed25519 and Ed448 too, and names the curve of
 * an OpenSSL key for the module and for pamjwt alike. */
void test_curve_table_keys(void)
{
    static const struct {
        const char *type, *crv;
        pj_kty kty;
        size_t coord;
        pj_alg alg;
    } cs[] = {
        {"p256", "P-256", PJ_KTY_EC, 32, PJ_ALG_ES256},
        {"p384", "P-384", PJ_KTY_EC, 48, PJ_ALG_ES384},
        {"p521", "P-521", PJ_KTY_EC, 66, PJ_ALG_ES512},
        {"ed25519", "Ed25519", PJ_KTY_OKP, 32, PJ_ALG_EDDSA},
        {"ed448", "Ed448", PJ_KTY_OKP, 57, PJ_ALG_EDDSA},
    };
    char group[80];
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        EVP_PKEY *k = tl_keygen(cs[i].type);
        const pj_curve *c = k ? pj_curve_of_pkey(k, group, sizeof(group)) : NULL;
        ok(c != NULL && strcmp(c->crv, cs[i].crv) == 0 && c->kty == cs[i].kty &&
               c->coord == cs[i].coord && c->alg == cs[i].alg && pj_curve_by_crv(c->crv) == c &&
               pj_curve_by_nid(c->nid) == c && pj_curve_by_group(c->group) == c &&
               (c->kty == PJ_KTY_EC || EVP_PKEY_get_id(k) == c->nid) &&
               (c->kty == PJ_KTY_OKP || strcmp(group, c->group) == 0),
           "curves: a %s key is %s in the table (%s, %zu-byte coordinates)", cs[i].type,
           cs[i].crv, pj_alg_get(cs[i].alg)->name, cs[i].coord);
        EVP_PKEY_free(k);
    }
    EVP_PKEY *rsa = tl_keygen("rsa2048");
    EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    ok(rsa && pj_curve_of_pkey(rsa, group, sizeof(group)) == NULL && group[0] == '\0',
       "curves: an RSA key has none");
    ok(k1 && pj_curve_of_pkey(k1, group, sizeof(group)) == NULL && strcmp(group, "secp256k1") == 0,
       "curves: secp256k1 is not in the table, and its name is given for the message");
    ok(pj_curve_of_pkey(k1, NULL, 0) == NULL && pj_alg_get(PJ_ALG_EDDSA)->curve == NULL,
       "curves: no group buffer is fine; EdDSA is on two curves");
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(k1);
}
