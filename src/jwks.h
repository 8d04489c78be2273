/* RFC 7517 JWK Sets: RSA, EC and OKP public keys. */
#ifndef PJ_JWKS_H
#define PJ_JWKS_H

#include <stddef.h>

#include "keys.h"
#include "log.h"

/* Read a jwks_file safely and add its keys, pending: the whole set's JSON
 * syntax is checked (pj_jwks_scan) but each key is parsed only when a
 * token can select it (pj_jwk_prepare).  -1 when the file is unsafe, not a
 * JWK Set or has no keys at all (logged). */
int pj_jwks_load(pj_keyset *ks, const char *path, const pj_log *log);
/* The same on text already in memory (for tests and fuzzing). */
int pj_jwks_parse(pj_keyset *ks, const char *text, size_t len, const char *source,
                  const pj_log *log);

/* Parse and check a pending JWKS key: 1 usable, 0 skipped on purpose (use
 * is not "sig"), -1 unusable (logged once, marked broken).  Keys that are
 * not pending return what they returned the first time. */
int pj_jwk_prepare(pj_key *k, const pj_log *log);

/* Prepare and build every JWKS key in the set, logging each unusable one
 * (pamjwt check does this to report the whole set).  -1 when the set has
 * JWKS keys but none is usable. */
int pj_jwks_prepare_all(pj_keyset *ks, const pj_log *log);

/* Turn a JWKS key into an EVP_PKEY the first time it is a candidate, so a
 * login pays for the key its kid selects, not for the whole set.  0 ok;
 * -1 when the JWK does not make a usable key (logged once, marked broken). */
int pj_jwk_materialize(pj_key *k, const pj_log *log);

#endif
