/* SPDX-License-Identifier: BSD-3-Clause */
/* Strict base64url decoding (RFC 4648 section 5, no padding, canonical).
 * Encoding is in b64enc.h (the module encodes only its proof of possession
 * nonce). */
#ifndef PJ_B64URL_H
#define PJ_B64URL_H

#include <stdbool.h>
#include <stddef.h>

bool pj_b64url_char(int c);
/* Decode n chars; returns malloc'd buffer (NUL-terminated for convenience)
 * and its length, or NULL when the input is not canonical base64url. */
unsigned char *pj_b64url_decode(const char *s, size_t n, size_t *outlen);

#endif
