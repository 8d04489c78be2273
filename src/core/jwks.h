/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 7517 JWK Sets (RSA, EC and OKP public keys), and when a key may
 * verify a token's signature. */
#ifndef PJ_JWKS_H
#define PJ_JWKS_H

#include <stddef.h>

#include "keys.h"
#include "log.h"

/* Read a jwks_file safely and add its keys.  The whole file is parsed
 * (pj_json_object: no duplicate member names, no NUL, nesting at most
 * PJ_MAX_JSON_DEPTH) and each key classified from its string members;
 * nothing is decoded or built yet, and a key refused here is logged only
 * when a token could select it (pj_key_fit).  -1 when the file is unsafe,
 * not a JWK Set or has no keys at all (logged). */
int pj_jwks_load(pj_keyset *ks, const char *path, const pj_log *log);
/* The same on text in memory (for tests and fuzzing); path names the
 * keys in log lines. */
int pj_jwks_parse(pj_keyset *ks, const char *text, size_t len, const char *path,
                  const pj_log *log);

/* Does key k fit a token's alg?  For any key (key_file, HMAC, JWKS):
 *    1  its type and curve fit alg, and so does the JWK's own "alg", if any;
 *    0  it does not fit; also 0 for a JWK whose "use" is not "sig" (a
 *       LOG_DEBUG line, once per key);
 *   -1  the key is unusable: refused at load (for every alg), or refused
 *       by OpenSSL when it was built (for the algs its type fits).  The
 *       reason is logged once per key ("jwks_file PATH key #N: skipped:
 *       WHY", LOG_WARNING).
 * Never decodes a member or builds a key. */
typedef enum {
    PJ_FIT_UNUSABLE = -1, /* the key cannot be used (logged once) */
    PJ_FIT_NO = 0,        /* its type, curve or JWK alg is for another alg */
    PJ_FIT_YES = 1,       /* a candidate for this alg */
} pj_fit;
pj_fit pj_key_fit(pj_key *k, pj_alg alg, const pj_log *log);

/* Make k ready for pj_sig_verify.  A JWKS key is built the first time:
 * its base64url members decoded once, checked and handed to OpenSSL.
 * 0 ready (key_file and HMAC keys always are); -1 unusable (logged once
 * per key, as in pj_key_fit; later calls return -1 quietly). */
int pj_key_ready(pj_key *k, const pj_log *log);

/* Build every JWKS key of the set now and log each unusable one once, as
 * `pamjwt check` does to report the whole set.  Decisions made afterwards
 * are the ones made without it (a key refused here is unusable for
 * pj_key_fit exactly where pj_key_ready would have refused it).  -1 when
 * the set has JWKS keys but none is usable. */
int pj_jwks_prepare_all(pj_keyset *ks, const pj_log *log);

/* A key from one JWK outside any set (a proof's header jwk): classified
 * and built as a JWK Set key would be, nothing logged.  0 with k ready
 * (the caller frees k->pkey); -1 with *why. */
int pj_key_from_jwk(json_t *jwk, pj_key *k, const char **why);

#endif
