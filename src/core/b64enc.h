/* SPDX-License-Identifier: BSD-3-Clause */
/* base64url encoding (RFC 4648 section 5, no padding): the module's proof
 * of possession nonce, and making tokens (`pamjwt mint`, the tests, the
 * bench and the fuzzers). */
#ifndef PJ_B64ENC_H
#define PJ_B64ENC_H

#include <stddef.h>

/* Encode n bytes; returns a malloc'd NUL-terminated string or NULL. */
char *pj_b64url_encode(const unsigned char *d, size_t n);

#endif
