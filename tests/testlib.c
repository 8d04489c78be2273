/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "testlib.h"

#include "b64enc.h"
#include "b64url.h"

#include <fcntl.h>
#include <ftw.h>
#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

EVP_PKEY *tl_keygen(const char *type)
{
    if (strncmp(type, "rsa", 3) == 0) {
        unsigned bits = type[3] ? (unsigned)atoi(type + 3) : 2048;
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    }
    if (strcmp(type, "p256") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (strcmp(type, "p384") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    if (strcmp(type, "p521") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    if (strcmp(type, "secp256k1") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    if (strcmp(type, "ed25519") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (strcmp(type, "ed448") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    return NULL;
}

static int write_bio(BIO *b, const char *path, int mode)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    return tl_write_file(path, data, (size_t)n, mode);
}

int tl_write_pub(EVP_PKEY *k, const char *path)
{
    BIO *b = BIO_new(BIO_s_mem());
    int rc = PEM_write_bio_PUBKEY(b, k) ? write_bio(b, path, 0644) : -1;
    BIO_free(b);
    return rc;
}

int tl_write_priv(EVP_PKEY *k, const char *path)
{
    BIO *b = BIO_new(BIO_s_mem());
    int rc = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ? write_bio(b, path, 0600)
                                                                       : -1;
    BIO_free(b);
    return rc;
}

int tl_write_cert(EVP_PKEY *k, const char *path)
{
    X509 *x = X509_new();
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -1;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"pam_jwt test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    int ed = EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448");
    if (X509_sign(x, k, ed ? NULL : EVP_sha256()) > 0 && PEM_write_bio_X509(b, x))
        rc = write_bio(b, path, 0644);
    X509_free(x);
    BIO_free(b);
    return rc;
}

char *tl_pub_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    if (PEM_write_bio_PUBKEY(b, k)) {
        long n = BIO_get_mem_data(b, &data);
        out = malloc((size_t)n + 1);
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
    return out;
}

unsigned char *tl_pub_der(EVP_PKEY *k, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    if (n <= 0)
        return NULL;
    unsigned char *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    OPENSSL_free(der);
    *len = (size_t)n;
    return out;
}

static char *bn_b64(EVP_PKEY *k, const char *param, size_t pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    if (!EVP_PKEY_get_bn_param(k, param, &bn))
        return NULL;
    int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    return pj_b64url_encode(buf, (size_t)n);
}

char *tl_replace(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
        n++;
    char *out = malloc(strlen(s) + n * tl + 1), *o = out;
    if (out == NULL)
        abort();
    for (const char *p; (p = strstr(s, from)) != NULL; s = p + fl) {
        memcpy(o, s, (size_t)(p - s));
        o += p - s;
        memcpy(o, to, tl);
        o += tl;
    }
    strcpy(o, s);
    return out;
}

char *tl_jwk(EVP_PKEY *k, const char *kid, const char *alg, const char *use)
{
    char *out = malloc(4096), extra[512] = "";
    int o = 0;
    if (kid)
        o += snprintf(extra + o, sizeof(extra) - (size_t)o, ",\"kid\":\"%s\"", kid);
    if (alg)
        o += snprintf(extra + o, sizeof(extra) - (size_t)o, ",\"alg\":\"%s\"", alg);
    if (use)
        o += snprintf(extra + o, sizeof(extra) - (size_t)o, ",\"use\":\"%s\"", use);
    if (EVP_PKEY_is_a(k, "RSA")) {
        char *n = bn_b64(k, OSSL_PKEY_PARAM_RSA_N, 0), *e = bn_b64(k, OSSL_PKEY_PARAM_RSA_E, 0);
        snprintf(out, 4096, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s}", n, e, extra);
        free(n);
        free(e);
    } else if (EVP_PKEY_is_a(k, "EC")) {
        char group[64];
        size_t gl;
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &gl);
        const char *crv = strcmp(group, "prime256v1") == 0 ? "P-256"
                          : strcmp(group, "secp384r1") == 0 ? "P-384"
                                                             : "P-521";
        size_t coord = crv[2] == '2' ? 32 : crv[2] == '3' ? 48 : 66;
        char *x = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, coord);
        char *y = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, coord);
        snprintf(out, 4096, "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}", crv, x,
                 y, extra);
        free(x);
        free(y);
    } else {
        unsigned char raw[64];
        size_t rl = sizeof(raw);
        EVP_PKEY_get_raw_public_key(k, raw, &rl);
        char *x = pj_b64url_encode(raw, rl);
        snprintf(out, 4096, "{\"kty\":\"OKP\",\"crv\":\"%s\",\"x\":\"%s\"%s}",
                 EVP_PKEY_is_a(k, "ED25519") ? "Ed25519" : "Ed448", x, extra);
        free(x);
    }
    return out;
}

int tl_write_file(const char *path, const char *text, size_t len, int mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    if (fd < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    fchmod(fd, (mode_t)mode); /* umask must not loosen or tighten the test's intent */
    return close(fd);
}

char *tl_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/pamjwt-test-XXXXXX", t && *t ? t : "/tmp");
    if (mkdtemp(p) == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void tl_rmtree(const char *dir)
{
    if (dir && strncmp(dir, "/tmp", 4) == 0)
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static const EVP_MD *md_for(const char *alg)
{
    const char *bits = alg + 2;
    if (strcmp(bits, "384") == 0)
        return EVP_sha384();
    if (strcmp(bits, "512") == 0)
        return EVP_sha512();
    return EVP_sha256();
}

char *tl_sign_raw(const char *hj, const char *pj, const char *alg, EVP_PKEY *key,
                  const unsigned char *secret, size_t secret_len)
{
    char *h = pj_b64url_encode((const unsigned char *)hj, strlen(hj));
    char *p = pj_b64url_encode((const unsigned char *)pj, strlen(pj));
    size_t inlen = strlen(h) + 1 + strlen(p);
    char *input = malloc(inlen + 1);
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    char *out = NULL;
    snprintf(input, inlen + 1, "%s.%s", h, p);

    if (alg[0] == 'H') {
        unsigned int l = 0;
        HMAC(md_for(alg), secret, (int)secret_len, (unsigned char *)input, inlen, sig, &l);
        siglen = l;
    } else {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc = NULL;
        int ed = strcmp(alg, "EdDSA") == 0;
        EVP_DigestSignInit(m, &pc, ed ? NULL : md_for(alg), NULL, key);
        if (alg[0] == 'P') {
            EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST);
        }
        if (EVP_DigestSign(m, sig, &siglen, (unsigned char *)input, inlen) != 1)
            siglen = 0;
        EVP_MD_CTX_free(m);
        if (alg[0] == 'E' && !ed && siglen > 0) {
            /* DER -> JOSE r||s */
            const unsigned char *q = sig;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
            size_t c = strcmp(alg, "ES256") == 0 ? 32 : strcmp(alg, "ES384") == 0 ? 48 : 66;
            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)c);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + c, (int)c);
            siglen = 2 * c;
            ECDSA_SIG_free(es);
        }
    }
    char *s = pj_b64url_encode(sig, siglen);
    out = malloc(inlen + strlen(s) + 2);
    sprintf(out, "%s.%s", input, s);
    free(h);
    free(p);
    free(s);
    free(input);
    return out;
}

char *tl_sign_libjwt(const char *alg, const unsigned char *key, size_t keylen,
                     const char *claims_json, const char *kid)
{
    jwt_t *j = NULL;
    char *tok = NULL, *out = NULL;
    if (jwt_new(&j) != 0)
        return NULL;
    if (jwt_add_grants_json(j, claims_json) != 0)
        goto out;
    if (kid && jwt_add_header(j, "kid", kid) != 0)
        goto out;
    if (jwt_set_alg(j, jwt_str_alg(alg), key, (int)keylen) != 0)
        goto out;
    tok = jwt_encode_str(j);
    if (tok) {
        out = strdup(tok);
        free(tok);
    }
out:
    jwt_free(j);
    return out;
}

char *tl_unsigned(const char *hj, const char *pj, const char *sig_b64)
{
    char *h = pj_b64url_encode((const unsigned char *)hj, strlen(hj));
    char *p = pj_b64url_encode((const unsigned char *)pj, strlen(pj));
    char *out = malloc(strlen(h) + strlen(p) + strlen(sig_b64) + 3);
    sprintf(out, "%s.%s.%s", h, p, sig_b64);
    free(h);
    free(p);
    return out;
}
