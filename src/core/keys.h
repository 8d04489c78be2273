/* SPDX-License-Identifier: BSD-3-Clause */
/* Verification keys, parsed once per config load into OpenSSL objects, and
 * the algorithm table that says which key may verify which `alg`. */
#ifndef PJ_KEYS_H
#define PJ_KEYS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "util.h" /* pj_strfmt, which lived here */

typedef enum {
    PJ_FAM_RSA,   /* RS256/384/512: RSASSA-PKCS1-v1_5 */
    PJ_FAM_PSS,   /* PS256/384/512: RSASSA-PSS, salt = hash length */
    PJ_FAM_EC,    /* ES256/384/512: ECDSA, JOSE r||s signature */
    PJ_FAM_EDDSA, /* EdDSA: Ed25519 / Ed448 */
    PJ_FAM_HMAC,  /* HS256/384/512: shared secret */
} pj_family;

typedef enum {
    PJ_ALG_RS256, PJ_ALG_RS384, PJ_ALG_RS512,
    PJ_ALG_PS256, PJ_ALG_PS384, PJ_ALG_PS512,
    PJ_ALG_ES256, PJ_ALG_ES384, PJ_ALG_ES512,
    PJ_ALG_EDDSA,
    PJ_ALG_HS256, PJ_ALG_HS384, PJ_ALG_HS512,
    PJ_ALG_COUNT
} pj_alg;

typedef enum { PJ_KTY_RSA, PJ_KTY_EC, PJ_KTY_OKP, PJ_KTY_HMAC } pj_kty;

/* The curves JOSE uses (RFC 7518 6.2.1.1, RFC 8037 2): the one table for
 * JWKs, PEM / SubjectPublicKeyInfo keys, thumbprints, verifying and
 * signing (pamjwt's too). */
typedef struct pj_curve {
    pj_kty kty;               /* PJ_KTY_EC or PJ_KTY_OKP */
    const char *crv;          /* JWK "crv": "P-256", "Ed25519" */
    const char *group;        /* OpenSSL name: "prime256v1", "ED25519" */
    int nid;                  /* OpenSSL NID (OKP: also its EVP_PKEY type) */
    size_t coord;             /* EC: bytes of x, of y, and of r and of s in a
                               * signature; OKP: bytes of x.  Either way a
                               * signature is 2 * coord bytes. */
    pj_alg alg;               /* the one alg on this curve */
    const unsigned char *oid; /* DER contents of the OID that names it in
                               * a SubjectPublicKeyInfo (EC: parameters;
                               * OKP: the algorithm) */
    size_t oid_len;
} pj_curve;

#define PJ_MAX_EC_COORD 66 /* the largest coord in the table (P-521): a
                            * bound for buffers, checked by test_unit */

/* NULL when the curve is not P-256, P-384, P-521, Ed25519 or Ed448: a
 * caller that wants one key type checks kty. */
const pj_curve *pj_curve_by_crv(const char *crv);
const pj_curve *pj_curve_by_nid(int nid);
/* An OpenSSL group name (short or long name). */
const pj_curve *pj_curve_by_group(const char *group);
/* The curve of an EC or EdDSA key; NULL for any other key (RSA, an EC
 * curve not in the table).  group, when not NULL, gets an EC key's
 * OpenSSL group name ("" when it has none) for a message naming it. */
const pj_curve *pj_curve_of_pkey(EVP_PKEY *pk, char *group, size_t groupsz);

typedef struct pj_alg_info {
    const char *name;
    pj_family fam;
    const EVP_MD *(*md)(void); /* digest (NULL for EdDSA) */
    const pj_curve *curve;     /* ES*: the one curve this alg uses */
} pj_alg_info;

const pj_alg_info *pj_alg_get(pj_alg a);
/* The digest of an algorithm (EVP_sha256/384/512); NULL for none. */
const EVP_MD *pj_alg_md(const pj_alg_info *ai);
/* -1 when the name is not an algorithm this build verifies. */
int pj_alg_from_name(const char *name);
/* Bit mask of every algorithm this build verifies. */
unsigned pj_alg_supported_mask(void);

/* RFC 7518 3.2: an HMAC key at least as long as the SHA-256 output. */
#define PJ_MIN_HMAC_SECRET 32
#define PJ_MIN_RSA_BITS 2048

/* Where a key is in its life (JWKS keys; every other key is READY from
 * the start).  A JWK Set is parsed at load and each key classified from
 * its string members (kty, crv, use, alg, kid, no "d"); its base64url
 * members are decoded and the OpenSSL key built the first time a token
 * selects it (pj_key_ready, jwks.h), so a login pays for the key it uses. */
typedef enum {
    PJ_KEY_READY = 0, /* pkey (or secret) holds the key */
    PJ_KEY_UNBUILT,   /* a usable-looking JWK, kept in jwk until built */
    PJ_KEY_NOT_SIG,   /* "use" is not "sig": skipped on purpose */
    PJ_KEY_BAD,       /* refused at load (why); its type is not known */
    PJ_KEY_BROKEN,    /* refused when built (why): its type is known */
} pj_key_state;

typedef struct pj_key {
    pj_kty kty;
    int curve_nid;           /* EC curve NID, or EVP_PKEY_ED25519/ED448 */
    EVP_PKEY *pkey;          /* asymmetric keys, once READY */
    unsigned char *secret;   /* HMAC */
    size_t secret_len;
    int alg;                 /* JWKS "alg" (pj_alg) or -1 */
    char *source;            /* "key_file /path", "jwks_file /path key #2":
                              * names the key in log lines */
    pj_key_state state;
    /* JWKS keys only */
    bool jwks;               /* from a jwks_file: kid rules apply */
    char *kid;               /* its "kid"; NULL when it has none */
    json_t *jwk;             /* UNBUILT: the JWK object, dropped once built */
    const char *why;         /* BAD, BROKEN: why (static text) */
    bool told;               /* BAD, BROKEN, NOT_SIG: said in the log once */
} pj_key;

typedef struct pj_keyset {
    pj_key *v;
    size_t n, cap;
} pj_keyset;

void pj_keyset_free(pj_keyset *ks);
/* Load every PEM public key / X.509 certificate in the file (at least one).
 * -1 on any problem, logged with the file name. */
int pj_keys_load_pem(pj_keyset *ks, const char *path, const pj_log *log);
/* Take ownership of a secret for HS*. */
int pj_keys_add_hmac(pj_keyset *ks, unsigned char *secret, size_t len, const char *path);
/* Classify an EVP_PKEY and append it (takes ownership on success). */
int pj_keys_add_pkey(pj_keyset *ks, EVP_PKEY *pk, const char *source, const char *kid,
                     int alg, const pj_log *log);

/* Build public keys from their raw parts (OpenSSL's fromdata: much cheaper
 * than its generic DER decoder).  NULL when OpenSSL rejects the parts. */
EVP_PKEY *pj_pkey_rsa(const unsigned char *n, size_t nl, const unsigned char *e, size_t el);
EVP_PKEY *pj_pkey_ec(const char *group, const unsigned char *point, size_t len);
/* A SubjectPublicKeyInfo (the DER inside "BEGIN PUBLIC KEY"); RSA and the
 * curves of the table are parsed here, anything else (or any doubt) goes
 * through d2i_PUBKEY.  Kept because it matters (callgrind, per login with
 * a key_file, bench -p CASE): with d2i_PUBKEY alone ES256 costs 2.60 M
 * instructions instead of 1.40 M (+86%), RS256 2.13 M instead of 0.80 M
 * (+166%), EdDSA 2.84 M instead of 1.88 M (+51%); OSSL_DECODER told the
 * key type is no cheaper (ES256 2.38 M, RS256 2.11 M).  fuzz_keyfile
 * checks it builds the key d2i_PUBKEY builds, or refuses it. */
EVP_PKEY *pj_pkey_spki(const unsigned char *der, size_t len);

/* A new key at the end of the set, zeroed (alg -1) and already counted
 * (ks->n): the caller fills it in; what it set is freed with the set.
 * NULL on no memory. */
pj_key *pj_keyset_add(pj_keyset *ks);

/* Does this key's type (and curve) fit the algorithm?  False for a JWK
 * refused at load or not for signing (BAD, NOT_SIG); pj_key_fit (jwks.h)
 * also applies a JWK's own "alg". */
bool pj_alg_fits_key(pj_alg a, const pj_key *k);
/* 1 when sig is a valid signature of msg under k for alg, else 0.  Refuses
 * (0) whenever the key does not fit the algorithm or is not READY. */
int pj_sig_verify(pj_alg a, const pj_key *k, const unsigned char *msg, size_t msglen,
                  const unsigned char *sig, size_t siglen);
/* The signature length an RS* or PS* algorithm gives with this READY key
 * (its modulus in bytes); 0 for other algorithms or keys. */
size_t pj_sig_len_for_key(pj_alg a, const pj_key *k);

#endif
