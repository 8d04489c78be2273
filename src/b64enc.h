/* base64url encoding (RFC 4648 section 5, no padding), for making tokens:
 * `pamjwt mint`, the tests, the bench and the fuzzers.  Not linked into
 * pam_jwt.so, which only decodes (b64url.h); tests/test_exports.c checks. */
#ifndef PJ_B64ENC_H
#define PJ_B64ENC_H

#include <stddef.h>

/* Encode n bytes; returns a malloc'd NUL-terminated string or NULL. */
char *pj_b64url_encode(const unsigned char *d, size_t n);

#endif
