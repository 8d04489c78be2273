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

#endif
