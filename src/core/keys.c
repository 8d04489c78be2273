/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "keys.h"

#include "safefile.h"
#include "util.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const unsigned char oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const unsigned char oid_ed25519[] = {0x2b, 0x65, 0x70};
static const unsigned char oid_ed448[] = {0x2b, 0x65, 0x71};
#define OID(o) o, sizeof(o)

static const pj_curve curves[] = {
    {PJ_KTY_EC, "P-256", "prime256v1", NID_X9_62_prime256v1, 32, PJ_ALG_ES256, OID(oid_p256)},
    {PJ_KTY_EC, "P-384", "secp384r1", NID_secp384r1, 48, PJ_ALG_ES384, OID(oid_p384)},
    {PJ_KTY_EC, "P-521", "secp521r1", NID_secp521r1, 66, PJ_ALG_ES512, OID(oid_p521)},
    {PJ_KTY_OKP, "Ed25519", "ED25519", NID_ED25519, 32, PJ_ALG_EDDSA, OID(oid_ed25519)},
    {PJ_KTY_OKP, "Ed448", "ED448", NID_ED448, 57, PJ_ALG_EDDSA, OID(oid_ed448)},
};
#define NCURVES (sizeof(curves) / sizeof(curves[0]))
#define P256 (&curves[0])
#define P384 (&curves[1])
#define P521 (&curves[2])

const pj_curve *pj_curve_by_crv(const char *crv)
{
    for (size_t i = 0; crv != NULL && i < NCURVES; i++)
        if (strcmp(crv, curves[i].crv) == 0)
            return &curves[i];
    return NULL;
}

const pj_curve *pj_curve_by_nid(int nid)
{
    for (size_t i = 0; i < NCURVES; i++)
        if (nid == curves[i].nid)
            return &curves[i];
    return NULL;
}

const pj_curve *pj_curve_by_group(const char *group)
{
    int nid = OBJ_sn2nid(group);
    if (nid == NID_undef)
        nid = OBJ_ln2nid(group);
    return nid == NID_undef ? NULL : pj_curve_by_nid(nid);
}

/* The curve of kty whose OID is the DER contents [oid, oid + len). */
static const pj_curve *curve_by_oid(pj_kty kty, const unsigned char *oid, size_t len)
{
    for (size_t i = 0; i < NCURVES; i++)
        if (curves[i].kty == kty && curves[i].oid_len == len && memcmp(curves[i].oid, oid, len) == 0)
            return &curves[i];
    return NULL;
}

const pj_curve *pj_curve_of_pkey(EVP_PKEY *pk, char *group, size_t groupsz)
{
    char g[80];
    size_t gl = 0;
    if (group == NULL || groupsz == 0) {
        group = g;
        groupsz = sizeof(g);
    }
    group[0] = '\0';
    if (EVP_PKEY_is_a(pk, "EC")) {
        if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, groupsz, &gl)) {
            group[0] = '\0';
            return NULL;
        }
        const pj_curve *c = pj_curve_by_group(group);
        return c != NULL && c->kty == PJ_KTY_EC ? c : NULL;
    }
    for (size_t i = 0; i < NCURVES; i++)
        if (curves[i].kty == PJ_KTY_OKP && EVP_PKEY_is_a(pk, curves[i].group))
            return &curves[i];
    return NULL;
}

static const pj_alg_info alg_table[PJ_ALG_COUNT] = {
    [PJ_ALG_RS256] = {"RS256", PJ_FAM_RSA, EVP_sha256, NULL},
    [PJ_ALG_RS384] = {"RS384", PJ_FAM_RSA, EVP_sha384, NULL},
    [PJ_ALG_RS512] = {"RS512", PJ_FAM_RSA, EVP_sha512, NULL},
    [PJ_ALG_PS256] = {"PS256", PJ_FAM_PSS, EVP_sha256, NULL},
    [PJ_ALG_PS384] = {"PS384", PJ_FAM_PSS, EVP_sha384, NULL},
    [PJ_ALG_PS512] = {"PS512", PJ_FAM_PSS, EVP_sha512, NULL},
    [PJ_ALG_ES256] = {"ES256", PJ_FAM_EC, EVP_sha256, P256},
    [PJ_ALG_ES384] = {"ES384", PJ_FAM_EC, EVP_sha384, P384},
    [PJ_ALG_ES512] = {"ES512", PJ_FAM_EC, EVP_sha512, P521},
    [PJ_ALG_EDDSA] = {"EdDSA", PJ_FAM_EDDSA, NULL, NULL},
    [PJ_ALG_HS256] = {"HS256", PJ_FAM_HMAC, EVP_sha256, NULL},
    [PJ_ALG_HS384] = {"HS384", PJ_FAM_HMAC, EVP_sha384, NULL},
    [PJ_ALG_HS512] = {"HS512", PJ_FAM_HMAC, EVP_sha512, NULL},
};

const pj_alg_info *pj_alg_get(pj_alg a)
{
    return (unsigned)a < PJ_ALG_COUNT ? &alg_table[a] : NULL;
}

unsigned pj_alg_supported_mask(void)
{
    unsigned m = (1u << PJ_ALG_COUNT) - 1;
#ifndef HAVE_EDDSA
    m &= ~(1u << PJ_ALG_EDDSA);
#endif
    return m;
}

int pj_alg_from_name(const char *name)
{
    for (int i = 0; i < PJ_ALG_COUNT; i++)
        if ((pj_alg_supported_mask() & (1u << i)) && strcmp(alg_table[i].name, name) == 0)
            return i;
    return -1;
}

bool pj_alg_fits_key(pj_alg a, const pj_key *k)
{
    const pj_alg_info *ai = pj_alg_get(a);
    /* a JWK refused at load, or not for signing, fits nothing: its kty
     * is not known */
    if (ai == NULL || k == NULL || k->state == PJ_KEY_BAD || k->state == PJ_KEY_NOT_SIG)
        return false;
    switch (ai->fam) {
    case PJ_FAM_RSA:
    case PJ_FAM_PSS:
        return k->kty == PJ_KTY_RSA;
    case PJ_FAM_EC:
        return k->kty == PJ_KTY_EC && k->curve_nid == ai->curve->nid;
    case PJ_FAM_EDDSA:
        return k->kty == PJ_KTY_OKP;
    case PJ_FAM_HMAC:
        return k->kty == PJ_KTY_HMAC;
    }
    return false;
}

/* ---------------------------------------------------------------- keysets */

static void key_clear(pj_key *k)
{
    EVP_PKEY_free(k->pkey);
    if (k->secret)
        pj_wipe_free(k->secret, k->secret_len);
    free(k->kid);
    free(k->source);
    if (k->jwk)
        json_decref(k->jwk);
    memset(k, 0, sizeof(*k));
}

void pj_keyset_free(pj_keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        key_clear(&ks->v[i]);
    free(ks->v);
    memset(ks, 0, sizeof(*ks));
}

static pj_key *keyset_push(pj_keyset *ks)
{
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 4;
        pj_key *v = realloc(ks->v, cap * sizeof(*v));
        if (v == NULL)
            return NULL;
        ks->v = v;
        ks->cap = cap;
    }
    pj_key *k = &ks->v[ks->n];
    memset(k, 0, sizeof(*k));
    k->alg = -1;
    return k;
}

/* A new key slot with its log name and kid copied; NULL on no memory.  The
 * caller fills it in and then counts it (ks->n++). */
static pj_key *keyset_push_named(pj_keyset *ks, const char *source, const char *kid)
{
    pj_key *k = keyset_push(ks);
    if (k == NULL)
        return NULL;
    k->source = strdup(source);
    k->kid = kid ? strdup(kid) : NULL;
    if (k->source == NULL || (kid && k->kid == NULL)) {
        free(k->source);
        free(k->kid);
        k->source = k->kid = NULL;
        return NULL;
    }
    return k;
}

int pj_keys_add_hmac(pj_keyset *ks, unsigned char *secret, size_t len, const char *path)
{
    pj_key *k = keyset_push(ks);
    if (k == NULL)
        return -1;
    k->source = pj_strfmt("hmac_secret_file %s", path);
    if (k->source == NULL)
        return -1;
    k->kty = PJ_KTY_HMAC;
    k->secret = secret;
    k->secret_len = len;
    ks->n++;
    return 0;
}

int pj_keys_add_pkey(pj_keyset *ks, EVP_PKEY *pk, const char *source, const char *kid,
                     int alg, const pj_log *log)
{
    pj_kty kty;
    int curve = 0;
    char group[80];
    const pj_curve *c;

    if (EVP_PKEY_is_a(pk, "RSA")) {
        int bits = EVP_PKEY_get_bits(pk);
        if (bits < PJ_MIN_RSA_BITS) {
            pj_logf(log, LOG_ERR, "%s: RSA key of %d bits is too small (minimum %d)", source,
                    bits, PJ_MIN_RSA_BITS);
            return -1;
        }
        kty = PJ_KTY_RSA;
    } else if ((c = pj_curve_of_pkey(pk, group, sizeof(group))) != NULL) {
#ifndef HAVE_EDDSA
        if (c->kty == PJ_KTY_OKP) {
            pj_logf(log, LOG_ERR, "%s: EdDSA keys are not supported by this build", source);
            return -1;
        }
#endif
        kty = c->kty;
        curve = c->nid;
    } else if (EVP_PKEY_is_a(pk, "EC")) {
        if (group[0] == '\0')
            pj_logf(log, LOG_ERR, "%s: EC key without a named curve", source);
        else
            pj_logf(log, LOG_ERR, "%s: EC curve %s is not one of P-256, P-384, P-521", source,
                    group);
        return -1;
    } else {
        pj_logf(log, LOG_ERR, "%s: unsupported key type %s (need RSA, EC or Ed25519)", source,
                EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?");
        return -1;
    }

    pj_key *k = keyset_push_named(ks, source, kid);
    if (k == NULL)
        return -1;
    k->kty = kty;
    k->curve_nid = curve;
    k->pkey = pk;
    k->alg = alg;
    ks->n++;
    return 0;
}

pj_key *pj_keyset_add(pj_keyset *ks)
{
    pj_key *k = keyset_push(ks);
    if (k != NULL)
        ks->n++;
    return k;
}

/* ---------------------------------------------------------------- raw keys */

static EVP_PKEY *fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pk;
}

EVP_PKEY *pj_pkey_rsa(const unsigned char *n, size_t nl, const unsigned char *e, size_t el)
{
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pk = NULL;
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        pk = fromdata("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pk;
}

EVP_PKEY *pj_pkey_ec(const char *group, const unsigned char *point, size_t len)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pk = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, len))
        pk = fromdata("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return pk;
}

/* Minimal DER reader: one element of the expected tag, definite length,
 * inside [*p, end).  On success *p moves past it. */
static bool der_take(const unsigned char **p, const unsigned char *end, unsigned char tag,
                     const unsigned char **val, size_t *len)
{
    const unsigned char *q = *p;
    size_t l;
    if (end - q < 2 || *q++ != tag)
        return false;
    l = *q++;
    if (l & 0x80) {
        unsigned nb = l & 0x7f;
        if (nb == 0 || nb > 3 || (size_t)(end - q) < nb)
            return false;
        for (l = 0; nb > 0; nb--)
            l = (l << 8) | *q++;
    }
    if ((size_t)(end - q) < l)
        return false;
    *val = q;
    *len = l;
    *p = q + l;
    return true;
}

static bool der_is(const unsigned char *v, size_t n, const unsigned char *want, size_t wn)
{
    return n == wn && memcmp(v, want, n) == 0;
}

EVP_PKEY *pj_pkey_spki(const unsigned char *der, size_t len)
{
    static const unsigned char oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    static const unsigned char oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
    const pj_curve *c;
    const unsigned char *p = der, *end = der + len, *spki, *alg, *oid, *bits, *params = NULL;
    size_t spl, al, ol, bl, pl = 0;
    EVP_PKEY *pk = NULL;

    if (!der_take(&p, end, 0x30, &spki, &spl) || p != end)
        goto slow;
    p = spki;
    end = spki + spl;
    if (!der_take(&p, end, 0x30, &alg, &al) || !der_take(&p, end, 0x03, &bits, &bl) || p != end ||
        bl < 2 || bits[0] != 0)
        goto slow;
    bits++;
    bl--;
    {
        const unsigned char *a = alg, *aend = alg + al;
        if (!der_take(&a, aend, 0x06, &oid, &ol))
            goto slow;
        if (a != aend) {
            if (*a == 0x06 && !der_take(&a, aend, 0x06, &params, &pl))
                goto slow;
            if (params == NULL && !(aend - a == 2 && a[0] == 0x05 && a[1] == 0x00))
                goto slow; /* only NULL or a curve OID are expected */
            if (params != NULL && a != aend)
                goto slow;
        }
    }
    if (der_is(oid, ol, oid_rsa, sizeof(oid_rsa))) {
        const unsigned char *r = bits, *rend = bits + bl, *seq, *n, *e;
        size_t sl, nl, el;
        if (params != NULL || !der_take(&r, rend, 0x30, &seq, &sl) || r != rend)
            goto slow;
        r = seq;
        rend = seq + sl;
        if (!der_take(&r, rend, 0x02, &n, &nl) || !der_take(&r, rend, 0x02, &e, &el) || r != rend ||
            nl == 0 || el == 0 || (n[0] & 0x80) || (e[0] & 0x80))
            goto slow;
        pk = pj_pkey_rsa(n, nl, e, el);
    } else if (der_is(oid, ol, oid_ec, sizeof(oid_ec)) && params != NULL) {
        if ((c = curve_by_oid(PJ_KTY_EC, params, pl)) == NULL)
            goto slow; /* other curves: the slow path names them in its error */
        pk = pj_pkey_ec(c->group, bits, bl);
    } else if (params == NULL && (c = curve_by_oid(PJ_KTY_OKP, oid, ol)) != NULL) {
        pk = EVP_PKEY_new_raw_public_key(c->nid, NULL, bits, bl);
    } else {
        goto slow;
    }
    ERR_clear_error();
    return pk; /* parts OpenSSL rejects: a bad key, no second opinion */
slow:
    p = der;
    pk = d2i_PUBKEY(NULL, &p, (long)len);
    if (pk != NULL && p != der + len) {
        EVP_PKEY_free(pk);
        pk = NULL;
    }
    ERR_clear_error();
    return pk;
}

/* One PEM block -> EVP_PKEY, or NULL with *why set. */
static EVP_PKEY *pem_block_key(const char *name, const unsigned char *der, long len,
                               const char **why)
{
    const unsigned char *p = der;
    EVP_PKEY *pk = NULL;
    if (strcmp(name, "PUBLIC KEY") == 0) {
        pk = pj_pkey_spki(der, (size_t)len);
        p = der + len;
    } else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
        pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
    } else if (strcmp(name, "CERTIFICATE") == 0) {
        X509 *x = d2i_X509(NULL, &p, len);
        if (x != NULL) {
            pk = X509_get_pubkey(x);
            X509_free(x);
        }
    } else if (strstr(name, "PRIVATE KEY") != NULL) {
        *why = "holds a private key; give the public key (openssl pkey -pubout)";
        return NULL;
    } else {
        *why = "holds a PEM block that is neither PUBLIC KEY nor CERTIFICATE";
        return NULL;
    }
    if (pk == NULL)
        *why = "has a PEM block that does not decode";
    else if (p != der + len) {
        EVP_PKEY_free(pk);
        pk = NULL;
        *why = "has trailing bytes inside a PEM block";
    }
    return pk;
}

int pj_keys_load_pem(pj_keyset *ks, const char *path, const pj_log *log)
{
    char *buf = NULL, *source = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    int found = 0, rc = -1;

    if (pj_read_file(path, "key_file", PJ_FILE_PUBLIC, PJ_MAX_KEY_SIZE, log, &buf, &len) != 0)
        return -1;
    source = pj_strfmt("key_file %s", path);
    bio = BIO_new_mem_buf(buf, (int)len);
    if (source == NULL || bio == NULL)
        goto out;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        const char *why = NULL;
        if (!PEM_read_bio(bio, &name, &header, &der, &dlen)) {
            /* "no start line" is the clean end of the file; anything else
             * is a damaged block, which must not be skipped silently */
            unsigned long err = ERR_peek_last_error();
            ERR_clear_error();
            if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)
                break;
            pj_logf(log, LOG_ERR, "%s: damaged PEM block", source);
            goto out;
        }
        EVP_PKEY *pk = pem_block_key(name, der, dlen, &why);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        if (pk == NULL) {
            pj_logf(log, LOG_ERR, "%s: %s", source, why);
            goto out;
        }
        if (pj_keys_add_pkey(ks, pk, source, NULL, -1, log) != 0) {
            EVP_PKEY_free(pk);
            goto out;
        }
        found++;
    }
    if (found == 0) {
        pj_logf(log, LOG_ERR, "%s: no PEM public key or certificate found", source);
        goto out;
    }
    rc = 0;
out:
    BIO_free(bio);
    free(source);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- verify */

const EVP_MD *pj_alg_md(const pj_alg_info *ai)
{
    return ai->md != NULL ? ai->md() : NULL;
}

/* JOSE carries ECDSA signatures as fixed-width r||s; OpenSSL wants DER. */
static unsigned char *ecdsa_der(const pj_alg_info *ai, const unsigned char *sig, size_t siglen,
                                int *derlen)
{
    size_t coord = ai->curve->coord;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    if (siglen != 2 * coord)
        return NULL;
    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, (int)coord, NULL);
    s = BN_bin2bn(sig + coord, (int)coord, NULL);
    if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return NULL;
    }
    *derlen = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (*derlen <= 0) {
        OPENSSL_free(der);
        return NULL;
    }
    return der;
}

static int verify_hmac(const pj_alg_info *ai, const pj_key *k, const unsigned char *msg,
                       size_t msglen, const unsigned char *sig, size_t siglen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    int ok;
    if (k->secret == NULL || k->secret_len == 0)
        return 0;
    if (HMAC(pj_alg_md(ai), k->secret, (int)k->secret_len, msg, msglen, mac, &maclen) == NULL)
        return 0;
    /* Length is public (it is the hash size); the bytes compare in
     * constant time. */
    ok = siglen == maclen && CRYPTO_memcmp(mac, sig, maclen) == 0;
    explicit_bzero(mac, sizeof(mac));
    return ok;
}

int pj_sig_verify(pj_alg a, const pj_key *k, const unsigned char *msg, size_t msglen,
                  const unsigned char *sig, size_t siglen)
{
    const pj_alg_info *ai = pj_alg_get(a);
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *der = NULL;
    int derlen = 0, ok = 0;

    if (ai == NULL || !pj_alg_fits_key(a, k) || k->state != PJ_KEY_READY || sig == NULL ||
        siglen == 0)
        return 0;
    if (ai->fam == PJ_FAM_HMAC)
        return verify_hmac(ai, k, msg, msglen, sig, siglen);
    if (k->pkey == NULL)
        return 0;

    if (ai->fam == PJ_FAM_EC) {
        der = ecdsa_der(ai, sig, siglen, &derlen);
        if (der == NULL)
            return 0;
        sig = der;
        siglen = (size_t)derlen;
    }
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL)
        goto out;
    if (EVP_DigestVerifyInit(mctx, &pctx, ai->fam == PJ_FAM_EDDSA ? NULL : pj_alg_md(ai), NULL,
                             k->pkey) != 1)
        goto out;
    if (ai->fam == PJ_FAM_RSA) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
            goto out;
    } else if (ai->fam == PJ_FAM_PSS) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pj_alg_md(ai)) != 1)
            goto out;
    }
    ok = EVP_DigestVerify(mctx, sig, siglen, msg, msglen) == 1;
out:
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(der);
    ERR_clear_error();
    return ok;
}

size_t pj_sig_len_for_key(pj_alg a, const pj_key *k)
{
    const pj_alg_info *ai = pj_alg_get(a);
    int n;
    if (ai == NULL || (ai->fam != PJ_FAM_RSA && ai->fam != PJ_FAM_PSS) ||
        k->state != PJ_KEY_READY || k->pkey == NULL || !pj_alg_fits_key(a, k))
        return 0;
    n = EVP_PKEY_get_size(k->pkey);
    return n > 0 ? (size_t)n : 0;
}
