/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers: keys, files and tokens made on the spot.  Tokens are
 * signed by libjwt where it can (an implementation independent of the
 * module's verifier) and by OpenSSL EVP for what libjwt 1.10 cannot sign
 * (PS*, EdDSA) or for deliberately malformed tokens. */
#ifndef PJ_TESTLIB_H
#define PJ_TESTLIB_H

#include <openssl/evp.h>
#include <stddef.h>

/* Tests make tokens: pj_b64url_encode (b64enc.h, libpamjwt_sign.la) */
#include "b64enc.h"

/* "rsa" (2048), "rsa1024", "rsa4096", "p256", "p384", "p521", "ed25519", "ed448",
 * "secp256k1" */
EVP_PKEY *tl_keygen(const char *type);
/* Write PEM public key / private key / self-signed certificate; 0 ok. */
int tl_write_pub(EVP_PKEY *k, const char *path);
int tl_write_priv(EVP_PKEY *k, const char *path);
int tl_write_cert(EVP_PKEY *k, const char *path);
char *tl_pub_pem(EVP_PKEY *k);          /* malloc'd */
unsigned char *tl_pub_der(EVP_PKEY *k, size_t *len);
/* A JWK (public) for the key, with optional kid/alg/use; malloc'd JSON. */
char *tl_jwk(EVP_PKEY *k, const char *kid, const char *alg, const char *use);

/* s with every occurrence of from replaced by to; malloc'd. */
char *tl_replace(const char *s, const char *from, const char *to);

/* Write text to path with mode; 0 ok. */
int tl_write_file(const char *path, const char *text, size_t len, int mode);
/* mkdtemp under TMPDIR; malloc'd path. */
char *tl_tmpdir(void);
/* Remove a directory tree made by the tests. */
void tl_rmtree(const char *dir);

/* Sign header.payload (both JSON text, used verbatim) with key (asymmetric)
 * or secret; alg names the algorithm used to produce the signature.
 * Returns a malloc'd compact token. */
char *tl_sign_raw(const char *header_json, const char *payload_json, const char *alg,
                  EVP_PKEY *key, const unsigned char *secret, size_t secret_len);
/* libjwt: sign claims (JSON object text) with a PEM private key or secret. */
char *tl_sign_libjwt(const char *alg, const unsigned char *key, size_t keylen,
                     const char *claims_json, const char *kid);
/* Token with no signature at all ("alg":"none" style). */
char *tl_unsigned(const char *header_json, const char *payload_json, const char *sig_b64);

#endif
