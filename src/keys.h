/* Verification keys, parsed once per config load into OpenSSL objects, and
 * the algorithm table that says which key may verify which `alg`. */
#ifndef PJ_KEYS_H
#define PJ_KEYS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

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

/* The EC curves JOSE uses (RFC 7518 6.2.1.1), one table for JWKs, PEM /
 * SubjectPublicKeyInfo keys, ES* verification and signing. */
typedef struct pj_curve {
    const char *crv;          /* JWK "crv": "P-256" */
    const char *group;        /* OpenSSL group name: "prime256v1" */
    int nid;                  /* OpenSSL NID */
    size_t coord;             /* bytes of x and of y; of r and of s in an ES
                               * signature */
    pj_alg alg;               /* the one ES alg on this curve */
    const unsigned char *oid; /* DER contents of its OID (SPKI parameters) */
    size_t oid_len;
} pj_curve;

#define PJ_MAX_EC_COORD 66 /* P-521 */

/* NULL when the curve is not P-256, P-384 or P-521. */
const pj_curve *pj_curve_by_crv(const char *crv);
const pj_curve *pj_curve_by_nid(int nid);
/* An OpenSSL group name (short or long name). */
const pj_curve *pj_curve_by_group(const char *group);

typedef struct pj_alg_info {
    const char *name;
    pj_family fam;
    int md_nid;              /* digest (0 for EdDSA) */
    const pj_curve *curve;   /* ES*: the one curve this alg uses */
    size_t coord;            /* ES*: bytes of r and of s, = curve->coord
                              * (kept while sign.c reads it) */
} pj_alg_info;

const pj_alg_info *pj_alg_get(pj_alg a);
/* -1 when the name is not an algorithm this build verifies. */
int pj_alg_from_name(const char *name);
/* Bit mask of every algorithm this build verifies. */
unsigned pj_alg_supported_mask(void);

/* RFC 7518 3.2: an HMAC key at least as long as the SHA-256 output. */
#define PJ_MIN_HMAC_SECRET 32
#define PJ_MIN_RSA_BITS 2048

typedef enum { PJ_KTY_RSA, PJ_KTY_EC, PJ_KTY_OKP, PJ_KTY_HMAC } pj_kty;

typedef struct pj_key {
    pj_kty kty;
    int curve_nid;           /* EC curve, or EVP_PKEY_ED25519/ED448 */
    EVP_PKEY *pkey;          /* asymmetric keys */
    unsigned char *secret;   /* HMAC */
    size_t secret_len;
    bool jwks;               /* from a jwks_file: kid rules apply */
    char *kid;               /* JWKS "kid", NULL for key_file keys */
    int alg;                 /* JWKS "alg" (pj_alg) or -1 */
    char *source;            /* "key_file /path" for log lines */
    /* JWKS keys are taken in three steps, so a login pays for the key its
     * kid selects and not for the whole set: the set's syntax is checked
     * and each key's text and kid kept (pending); when a token can select
     * the key its JSON is parsed and checked (pj_jwk_prepare: kty, curve,
     * alg known, jwk set); when it is a candidate for the token's alg the
     * OpenSSL key is built (pj_jwk_materialize). */
    const char *jwk_text;    /* pending keys (only this text and kid known
                              * so far): the JWK's JSON, in the keyset's
                              * copy of the file; NULL once prepared */
    size_t jwk_len;
    const char *set_path;    /* pending keys: the jwks_file (keyset's copy) */
    size_t set_index;        /* and the key's index in "keys"; source is
                              * named from them when the key is prepared */
    json_t *jwk;             /* the parsed JWK, until it becomes pkey */
    bool broken;             /* unusable (logged once); never retried */
} pj_key;

/* A JWKS key whose JSON has not been parsed yet (see jwk_text). */
static inline bool pj_key_pending(const pj_key *k)
{
    return k->jwk_text != NULL;
}

typedef struct pj_keyset {
    pj_key *v;
    size_t n, cap;
    char **texts;            /* JWK Set files and paths the pending keys
                              * point into; freed with the set */
    size_t ntexts;
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
/* A SubjectPublicKeyInfo (the DER inside "BEGIN PUBLIC KEY"); RSA, EC on
 * P-256/384/521 and Ed25519/Ed448 are parsed here, anything else (or any
 * doubt) goes through d2i_PUBKEY. */
EVP_PKEY *pj_pkey_spki(const unsigned char *der, size_t len);

/* A malloc'd string formatted into a buffer of exactly the size it
 * needs; NULL on no memory. */
char *pj_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Keep a string (a JWK Set's text or path) until the keyset is freed;
 * takes ownership, frees it on failure.  NULL on no memory. */
const char *pj_keyset_keep(pj_keyset *ks, char *text);
/* A JWKS key not yet parsed: its text and set path point into strings
 * the keyset keeps; takes ownership of kid (may be NULL). */
int pj_keys_add_jwk_text(pj_keyset *ks, const char *text, size_t len, const char *set_path,
                         size_t index, char *kid);

/* Does this key's type (and curve) fit the algorithm? */
bool pj_alg_fits_key(pj_alg a, const pj_key *k);
/* 1 when sig is a valid signature of msg under k for alg, else 0.  Refuses
 * (0) whenever the key does not fit the algorithm or holds no key material. */
int pj_sig_verify(pj_alg a, const pj_key *k, const unsigned char *msg, size_t msglen,
                  const unsigned char *sig, size_t siglen);

#endif
