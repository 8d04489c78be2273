/* RFC 7517 JWK Sets: RSA, EC and OKP public keys. */
#ifndef PJ_JWKS_H
#define PJ_JWKS_H

#include <stddef.h>

#include "keys.h"
#include "log.h"

/* Read a jwks_file safely and add its usable keys.  -1 when the file is
 * unsafe, not a JWK Set, or holds no usable key (logged); a bad key among
 * good ones is logged and skipped. */
int pj_jwks_load(pj_keyset *ks, const char *path, const pj_log *log);
/* The same on text already in memory (for tests and fuzzing). */
int pj_jwks_parse(pj_keyset *ks, const char *text, size_t len, const char *source,
                  const pj_log *log);

/* Turn a JWKS key into an EVP_PKEY the first time it is a candidate, so a
 * login pays for the key its kid selects, not for the whole set.  0 ok;
 * -1 when the JWK does not make a usable key (logged once, marked broken). */
int pj_jwk_materialize(pj_key *k, const pj_log *log);

#endif
