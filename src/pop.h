/* Proof of possession (contract "Proof of possession"): a token bound to
 * a key by cnf.jkt (RFC 7800, RFC 7638 thumbprint) logs in only with a
 * fresh proof signed by that key. */
#ifndef PJ_POP_H
#define PJ_POP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "pjconfig.h"

#define PJ_POP_TYP "pamjwt-pop+jwt"
#define PJ_POP_NONCE_BYTES 32

/* The token's cnf.jkt: a base64url SHA-256 (43 characters), or NULL. */
const char *pj_pop_jkt(json_t *claims);

/* 32 fresh bytes from the OS CSPRNG, base64url (43 characters + NUL).
 * -1 when the CSPRNG fails. */
int pj_pop_nonce(char out[48]);

/* RFC 7638: SHA-256 over the JWK's required members in lexicographic
 * order, no white space.  -1 when the JWK lacks them or a member is not
 * a base64url string (crv, kty: a known name). */
int pj_jwk_thumbprint(json_t *jwk, unsigned char out[32]);

/* Check a proof answer: 0 when it proves possession of the key named by
 * jkt for this token and nonce; -1 with *why (a static string). */
int pj_pop_verify(const pj_config *c, const char *proof, size_t n, const char *tok, size_t toklen,
                  const char *jkt, const char *nonce, double now, const pj_log *log,
                  const char **why);

#endif
