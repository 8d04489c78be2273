/* SPDX-License-Identifier: BSD-3-Clause */
/* Keys on the client side: a private key's public JWK and its RFC 7638
 * thumbprint (the module's pj_jwk_thumbprint, for mint --holder-key,
 * login's DPoP proofs and askpass's proofs of possession), loading and making holder keys, and
 * a compact JWS that carries its public key in the header. */
#ifndef PJ_CLI_JWK_H
#define PJ_CLI_JWK_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

/* The public JWK of k with the members RFC 7638 section 3.2 requires and
 * nothing else (no private members): RSA {e, kty, n}, EC {crv, kty, x, y}
 * (P-256/384/521), OKP {crv, kty, x} (Ed25519/Ed448).  NULL for any other
 * key. */
json_t *pj_cli_jwk_public(EVP_PKEY *k);
/* RFC 7638 thumbprint: base64url(SHA-256(the public JWK's required
 * members, lexicographic order, no white space)).  malloc'd, or NULL. */
char *pj_cli_jwk_thumbprint(EVP_PKEY *k);

/* An unencrypted PEM private key from a file that is ours and not readable
 * or writable by group or others.  NULL with a message on stderr. */
EVP_PKEY *pj_cli_key_load(const char *path);
/* A new EC P-256 key, and its PKCS #8 PEM text (malloc'd, *len bytes; the
 * caller wipes it).  NULL on failure. */
EVP_PKEY *pj_cli_key_generate(void);
char *pj_cli_key_pem(EVP_PKEY *k, size_t *len);

/* A compact JWS signed with k: header {"alg": the algorithm for the key
 * (ES256 for P-256, EdDSA for Ed25519, RS256 for RSA), "jwk": its public
 * JWK, "typ": typ}, claims as given.  malloc'd, or NULL. */
char *pj_cli_jws_with_jwk(EVP_PKEY *k, const char *typ, json_t *claims);

/* n random bytes, base64url (a jti).  malloc'd, or NULL. */
char *pj_cli_random_b64url(size_t n);
/* base64url(SHA-256(data)), e.g. a proof's ath.  malloc'd, or NULL. */
char *pj_cli_sha256_b64url(const void *data, size_t n);

/* pamjwt mint --holder-key PATH: claims gets cnf {"jkt": thumbprint of the
 * key in PATH}.  0, or -1 with a message on stderr. */
int pj_cli_mint_cnf(json_t *claims, const char *path);

/* A PEM pass phrase callback that never asks: mint and the holder key run
 * without a person to answer, so an encrypted key is refused. */
int pj_cli_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif
