/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/pop.c. */
#include "unit.h"

/* RFC 7638 3.1's example: the module's thumbprint (the one pamjwt uses
 * too) of the example RSA key, whose "alg" and "kid" are not hashed. */
void test_jwk_thumbprint_rfc7638(void)
{
    static const char jwk_text[] =
        "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt"
        "VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl"
        "93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL"
        "5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls"
        "1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
        "\"kid\":\"2011-04-29\"}";
    const char *why = NULL;
    json_t *jwk = pj_json_object(jwk_text, strlen(jwk_text), &why);
    unsigned char tp[32];
    char *b64 = NULL;
    ok(jwk != NULL && pj_jwk_thumbprint(jwk, tp) == 0 &&
           (b64 = pj_b64url_encode(tp, sizeof(tp))) != NULL &&
           strcmp(b64, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
       "RFC 7638 3.1: pj_jwk_thumbprint of the example RSA key (got %s)", b64 ? b64 : "NULL");
    free(b64);
    json_object_set_new(jwk, "e", json_string("AQ=B"));
    ok(pj_jwk_thumbprint(jwk, tp) != 0, "thumbprint: a member that is not base64url is refused");
    json_decref(jwk);
    jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "secp256k1", "x", "AA", "y", "AA");
    ok(jwk && pj_jwk_thumbprint(jwk, tp) != 0, "thumbprint: an EC curve not in the table is refused");
    json_decref(jwk);
    jwk = json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "P-256", "x", "AA");
    ok(jwk && pj_jwk_thumbprint(jwk, tp) != 0, "thumbprint: OKP with an EC curve is refused");
    json_decref(jwk);
}

/* Building strings: pj_strfmt has no length limit; a proof's reason
 * that does not fit its buffer ends in "..." (pj_format), never cut
 * silently. */
void test_strfmt_pop_reason(void)
{
    char why[12];
    pj_config c;
    pj_pop_challenge ch;
    char *s = pj_strfmt("%s-%d", "abcdefghijklmnopqrstuvwxyz", 12345);
    ok(s && strcmp(s, "abcdefghijklmnopqrstuvwxyz-12345") == 0, "pj_strfmt: no length limit");
    free(s);
    memset(&c, 0, sizeof(c));
    memset(&ch, 0, sizeof(ch));
    ok(pj_pop_verify(&c, &ch, "x", 1, NULL, why, sizeof(why)) == -1 &&
           strcmp(why, "answer i...") == 0,
       "pop: a reason longer than its buffer ends in ... (%s)", why);
}
