/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "sign.h"

#include "b64enc.h"
#include "util.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

char *pj_sign_input_evp(pj_alg alg, EVP_PKEY *key, const unsigned char *secret, size_t secret_len,
                        const char *input, size_t n)
{
    const pj_alg_info *ai = pj_alg_get(alg);
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    char *out = NULL;

    if (ai == NULL)
        return NULL;
    if (ai->fam == PJ_FAM_HMAC) {
        unsigned int l = 0;
        if (secret == NULL ||
            !HMAC(pj_alg_md(ai), secret, (int)secret_len, (const unsigned char *)input, n, sig, &l))
            return NULL;
        siglen = l;
    } else {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc = NULL;
        int ok = m && key &&
                 EVP_DigestSignInit(m, &pc, ai->fam == PJ_FAM_EDDSA ? NULL : pj_alg_md(ai), NULL,
                                    key) == 1;
        if (ok && ai->fam == PJ_FAM_PSS)
            ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
        if (ok)
            ok = EVP_DigestSign(m, sig, &siglen, (const unsigned char *)input, n) == 1;
        EVP_MD_CTX_free(m);
        if (!ok) {
            ERR_clear_error();
            return NULL;
        }
        if (ai->fam == PJ_FAM_EC) {
            const unsigned char *q = sig;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
            if (es == NULL)
                return NULL;
            size_t coord = ai->curve->coord;
            ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)coord) > 0 &&
                 BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + coord, (int)coord) > 0;
            ECDSA_SIG_free(es);
            if (!ok)
                return NULL;
            siglen = 2 * coord;
        }
    }
    out = pj_b64url_encode(sig, siglen);
    explicit_bzero(sig, sizeof(sig));
    return out;
}

char *pj_sign_evp(pj_alg alg, EVP_PKEY *key, const unsigned char *secret, size_t secret_len,
                  const char *hj, const char *cj)
{
    char *h = pj_b64url_encode((const unsigned char *)hj, strlen(hj));
    char *p = pj_b64url_encode((const unsigned char *)cj, strlen(cj));
    char *input = h && p ? pj_strfmt("%s.%s", h, p) : NULL;
    char *sig = input ? pj_sign_input_evp(alg, key, secret, secret_len, input, strlen(input))
                      : NULL;
    char *out = sig ? pj_strfmt("%s.%s", input, sig) : NULL;
    free(h);
    free(p);
    free(input);
    free(sig);
    return out;
}

int pj_alg_for_key(EVP_PKEY *key)
{
    const pj_curve *c;
    if (EVP_PKEY_is_a(key, "RSA"))
        return PJ_ALG_RS256;
    c = pj_curve_of_pkey(key, NULL, 0);
    return c != NULL ? (int)c->alg : -1;
}
