/* SPDX-License-Identifier: BSD-3-Clause */
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
#include "scope.h"

#define PJ_POP_TYP "pamjwt-pop+jwt"
#define PJ_POP_NONCE_BYTES 32
/* pop_audience when the config does not set it: the names the client
 * gives this host for ssh and for sudo/su (pop.c holds them as a list) */
#define PJ_POP_DEFAULT_AUDIENCE "ssh://%h local://%h"

/* How a token is bound to a key (RFC 7800 cnf). */
typedef enum {
    PJ_POP_UNBOUND = 0,  /* no cnf claim: a bearer token */
    PJ_POP_JKT,          /* cnf.jkt, a base64url SHA-256 (43 characters): *jkt */
    PJ_POP_UNCHECKABLE,  /* a cnf that is not an object with such a jkt (x5t#S256,
                          * jwk, a malformed jkt...): bound by a method this
                          * module cannot check, never a bearer token */
} pj_pop_binding;
pj_pop_binding pj_pop_jkt(json_t *claims, const char **jkt);

/* 32 fresh bytes from the OS CSPRNG, base64url (43 characters + NUL).
 * -1 when the CSPRNG fails. */
int pj_pop_nonce(char out[48]);

/* RFC 7638: SHA-256 over the JWK's required members in lexicographic
 * order, no white space.  -1 when the JWK lacks them or a member is not
 * a base64url string (crv, kty: a known name). */
int pj_jwk_thumbprint(json_t *jwk, unsigned char out[32]);

/* What one proof prompt asked for. */
typedef struct pj_pop_challenge {
    const char *tok;        /* the token being proven (ath) */
    size_t toklen;
    const char *jkt;        /* its cnf.jkt */
    const char *nonce;      /* the prompt's nonce */
    double now;             /* when the answer arrived (iat is compared with it) */
    const pj_scope *scope;  /* %h, %s in pop_audience */
} pj_pop_challenge;

/* The audiences this host accepts in a proof's aud: pop_audience (or the
 * default) expanded, sanitized, space-separated, for log lines and
 * pamjwt check.  A value that cannot be expanded shows as written. */
void pj_pop_audiences(const pj_config *c, const pj_scope *sc, char *out, size_t outsz);

/* Check a proof answer: 0 when it proves possession of the key named by
 * the challenge's jkt, for its token and nonce, addressed (aud) to one of
 * this host's audiences; -1 with the reason in why (never empty). */
int pj_pop_verify(const pj_config *c, const pj_pop_challenge *ch, const char *proof, size_t n,
                  const pj_log *log, char *why, size_t whysz);

#endif
