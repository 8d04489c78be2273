/* SPDX-License-Identifier: BSD-3-Clause */
/* Signing with OpenSSL EVP, every algorithm the module verifies: the one
 * signing path of `pamjwt mint`, also used by the tests, the bench and the
 * fuzzers.  Built into libpamjwt_sign.la, which pam_jwt.so never links: the
 * module only verifies (tests/test_exports.c checks). */
#ifndef PJ_SIGN_H
#define PJ_SIGN_H

#include <openssl/evp.h>
#include <stddef.h>

#include "keys.h"

/* Sign "header.payload" (already base64url-encoded, n bytes) with EVP and
 * return the base64url signature (JOSE form: r||s for ECDSA), or NULL. */
char *pj_sign_input_evp(pj_alg alg, EVP_PKEY *key, const unsigned char *secret, size_t secret_len,
                        const char *input, size_t n);
/* A whole compact JWS from header and claims JSON text, signed with EVP. */
char *pj_sign_evp(pj_alg alg, EVP_PKEY *key, const unsigned char *secret, size_t secret_len,
                  const char *header_json, const char *claims_json);
/* The default algorithm for a private key: RS256, ES256/384/512, EdDSA. */
int pj_alg_for_key(EVP_PKEY *key);

#endif
