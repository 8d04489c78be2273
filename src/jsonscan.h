/* A strict JSON syntax check that builds no tree, for JWK Sets.
 *
 * jansson parses about 180 instructions per byte; a 100-key JWK Set would
 * cost a login ~8 million instructions before the one key its kid names is
 * even looked at.  pj_jwks_scan checks the whole text in one pass (the same
 * grammar jansson accepts: RFC 8259, UTF-8, no \u0000, numbers that fit)
 * and returns where each element of the top-level "keys" array is, with its
 * "kid"; only the elements a token can select are then handed to jansson. */
#ifndef PJ_JSONSCAN_H
#define PJ_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pj_jwk_ref {
    size_t off, len; /* the element's JSON text within the scanned buffer */
    char *kid;       /* its direct "kid" member, decoded; NULL when absent,
                      * not a string, empty or holding a NUL */
} pj_jwk_ref;

/* 0 when text is one JSON object (nested no deeper than
 * PJ_MAX_JSON_DEPTH, no duplicate member names at its top level) with a
 * "keys" member that is an array; *refs (malloc'd, free with
 * pj_jwk_refs_free) lists the array's elements.  -1 with a static reason
 * in *why otherwise. */
int pj_jwks_scan(const char *text, size_t len, pj_jwk_ref **refs, size_t *n, const char **why);
void pj_jwk_refs_free(pj_jwk_ref *refs, size_t n);

/* The same grammar for any JSON text whose top level is an object or an
 * array (tests and fuzzing compare it with jansson). */
bool pj_json_valid(const char *text, size_t len, const char **why);

#endif
