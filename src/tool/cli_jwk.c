/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cli_jwk.h"

#include "b64enc.h"
#include "cli.h"
#include "keys.h"
#include "pop.h"
#include "safefile.h"
#include "sign.h"
#include "util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A big-endian unsigned integer member: pad bytes wide (EC coordinates),
 * or minimal (pad 0: RSA n and e, RFC 7518 section 6.3.1). */
static int set_bn(json_t *o, const char *name, EVP_PKEY *k, const char *param, size_t pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024]; /* RSA up to 8192 bits */
    int n, rc = -1;
    char *s;
    if (!EVP_PKEY_get_bn_param(k, param, &bn))
        return -1;
    if (pad > 0)
        n = pad <= sizeof(buf) ? BN_bn2binpad(bn, buf, (int)pad) : -1;
    else
        n = (size_t)BN_num_bytes(bn) <= sizeof(buf) ? BN_bn2bin(bn, buf) : -1;
    BN_free(bn);
    if (n <= 0)
        return -1;
    s = pj_b64url_encode(buf, (size_t)n);
    if (s)
        rc = json_object_set_new(o, name, json_string(s));
    free(s);
    return rc;
}

json_t *pj_cli_jwk_public(EVP_PKEY *k)
{
    json_t *o = json_object();
    const pj_curve *c = k ? pj_curve_of_pkey(k, NULL, 0) : NULL;
    int ok = 0;
    if (o == NULL || k == NULL)
        goto out;
    if (EVP_PKEY_is_a(k, "RSA")) {
        ok = json_object_set_new(o, "kty", json_string("RSA")) == 0 &&
             set_bn(o, "n", k, OSSL_PKEY_PARAM_RSA_N, 0) == 0 &&
             set_bn(o, "e", k, OSSL_PKEY_PARAM_RSA_E, 0) == 0;
    } else if (c != NULL && c->kty == PJ_KTY_EC) {
        ok = json_object_set_new(o, "kty", json_string("EC")) == 0 &&
             json_object_set_new(o, "crv", json_string(c->crv)) == 0 &&
             set_bn(o, "x", k, OSSL_PKEY_PARAM_EC_PUB_X, c->coord) == 0 &&
             set_bn(o, "y", k, OSSL_PKEY_PARAM_EC_PUB_Y, c->coord) == 0;
    } else if (c != NULL && c->kty == PJ_KTY_OKP) {
        unsigned char raw[64];
        size_t rl = sizeof(raw);
        char *x = NULL;
        if (EVP_PKEY_get_raw_public_key(k, raw, &rl) == 1)
            x = pj_b64url_encode(raw, rl);
        ok = x != NULL && json_object_set_new(o, "kty", json_string("OKP")) == 0 &&
             json_object_set_new(o, "crv", json_string(c->crv)) == 0 &&
             json_object_set_new(o, "x", json_string(x)) == 0;
        free(x);
    }
out:
    ERR_clear_error();
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *pj_cli_sha256_b64url(const void *data, size_t n)
{
    unsigned char md[32];
    unsigned int ml = 0;
    if (EVP_Digest(data, n, md, &ml, EVP_sha256(), NULL) != 1 || ml != sizeof(md))
        return NULL;
    return pj_b64url_encode(md, ml);
}

char *pj_cli_jwk_thumbprint(EVP_PKEY *k)
{
    json_t *jwk = pj_cli_jwk_public(k);
    unsigned char tp[32];
    /* the module's RFC 7638 thumbprint, the one it checks cnf.jkt with */
    char *out = jwk && pj_jwk_thumbprint(jwk, tp) == 0 ? pj_b64url_encode(tp, sizeof(tp)) : NULL;
    json_decref(jwk);
    return out;
}

int pj_cli_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

EVP_PKEY *pj_cli_key_load(const char *path)
{
    char *abs = NULL, *pem = NULL;
    size_t len = 0;
    EVP_PKEY *k = NULL;
    BIO *b;

    if (path[0] != '/') { /* pj_read_file wants an absolute path */
        char cwd[4096];
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            pj_logf(&pj_cli_log, LOG_ERR, "holder key %s: cannot find the current directory", path);
            return NULL;
        }
        if ((abs = pj_strfmt("%s/%s", cwd, path)) == NULL)
            return NULL;
        path = abs;
    }
    if (pj_read_file(path, "holder key", PJ_FILE_SECRET, PJ_MAX_KEY_SIZE, &pj_cli_log, &pem,
                     &len) != 0)
        goto out;
    b = BIO_new_mem_buf(pem, (int)len);
    k = b ? PEM_read_bio_PrivateKey(b, NULL, pj_cli_no_passphrase, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    if (k == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "holder key %s: not an unencrypted PEM private key", path);
    } else if (pj_alg_for_key(k) < 0) {
        pj_logf(&pj_cli_log, LOG_ERR,
                "holder key %s: not an RSA, EC P-256/384/521 or Ed25519/Ed448 key", path);
        EVP_PKEY_free(k);
        k = NULL;
    }
out:
    if (pem)
        pj_wipe_free(pem, len);
    free(abs);
    return k;
}

EVP_PKEY *pj_cli_key_generate(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    ERR_clear_error();
    return k;
}

char *pj_cli_key_pem(EVP_PKEY *k, size_t *len)
{
    BIO *b = BIO_new(BIO_s_secmem()); /* wiped when freed */
    char *data = NULL, *out = NULL;
    long n;
    *len = 0;
    if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1 &&
        (n = BIO_get_mem_data(b, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free(b);
    ERR_clear_error();
    return out;
}

char *pj_cli_jws_with_jwk(EVP_PKEY *k, const char *typ, json_t *claims)
{
    int alg = pj_alg_for_key(k);
    json_t *jwk = alg >= 0 ? pj_cli_jwk_public(k) : NULL, *hdr = NULL;
    char *hj = NULL, *cj = NULL, *out = NULL;
    if (jwk == NULL)
        return NULL;
    hdr = json_pack("{s:s, s:s, s:o}", "typ", typ, "alg", pj_alg_get(alg)->name, "jwk", jwk);
    hj = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
    cj = json_dumps(claims, JSON_COMPACT);
    if (hj && cj)
        out = pj_sign_evp(alg, k, NULL, 0, hj, cj);
    free(hj);
    free(cj);
    json_decref(hdr);
    return out;
}

char *pj_cli_random_b64url(size_t n)
{
    unsigned char buf[64];
    if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
        return NULL;
    return pj_b64url_encode(buf, n);
}

int pj_cli_mint_cnf(json_t *claims, const char *path)
{
    EVP_PKEY *k;
    char *jkt;
    int rc = -1;
    if (json_object_get(claims, "cnf") != NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "--holder-key and --claim cnf=... both set cnf");
        return -1;
    }
    k = pj_cli_key_load(path);
    if (k == NULL)
        return -1;
    jkt = pj_cli_jwk_thumbprint(k);
    if (jkt == NULL)
        pj_logf(&pj_cli_log, LOG_ERR, "holder key %s: cannot compute its thumbprint", path);
    else
        rc = json_object_set_new(claims, "cnf", json_pack("{s:s}", "jkt", jkt));
    free(jkt);
    EVP_PKEY_free(k);
    return rc;
}
