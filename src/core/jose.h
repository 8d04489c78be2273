/* SPDX-License-Identifier: BSD-3-Clause */
/* The compact JWS form: shape check, split, decode header and claims. */
#ifndef PJ_JOSE_H
#define PJ_JOSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest input the module will look at (contract rule 1). */
#define PJ_MAX_TOKEN 16384
/* Deepest JSON nesting accepted in a header, claims set or JWKS. */
#define PJ_MAX_JSON_DEPTH 32

/* Rule 2: three non-empty base64url segments separated by two dots. */
bool pj_jwt_shaped(const char *s, size_t n);

typedef struct pj_jws {
    size_t signing_len;      /* bytes of "header.payload" at the token start */
    unsigned char *sig;      /* decoded signature */
    size_t sig_len;
    json_t *header;          /* JSON object */
    json_t *claims;          /* JSON object */
} pj_jws;

/* Parse a token already known to be JWT-shaped.  Returns 0, or -1 with a
 * static reason in *why. */
int pj_jws_parse(const char *tok, size_t n, pj_jws *out, const char **why);
extern const char PJ_WHY_SIG_B64[]; /* *why when only the signature is bad */
/* Only the header (for a better reason when the rest is damaged): out gets
 * the header alone, or nothing and -1. */
int pj_jws_parse_header(const char *tok, size_t n, pj_jws *out, const char **why);
void pj_jws_free(pj_jws *j);

/* Parse JSON text that must be an object, with no duplicate member names,
 * no NUL in strings and nesting no deeper than PJ_MAX_JSON_DEPTH. */
extern const char PJ_WHY_TOO_DEEP[], PJ_WHY_INVALID[], PJ_WHY_NOT_OBJECT[];
json_t *pj_json_object(const char *text, size_t n, const char **why);

#endif
