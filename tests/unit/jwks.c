/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/jwks.c. */
#include "unit.h"

/* ------------------------------------------------------------ JWK Sets */

/* Every line the JWKS code logs, counted, the last one kept. */
static char jlast[2048];
static int jlines, jwarnings;
static void jcapture(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    jlines++;
    jwarnings += prio == LOG_WARNING;
    snprintf(jlast, sizeof(jlast), "%s", msg);
}
static pj_log JLOG = {jcapture, NULL, true};

static void jreset(void)
{
    jlines = jwarnings = 0;
    jlast[0] = '\0';
}

/* A one-key set from a JWK's text; -1 when pj_jwks_parse refuses it. */
static int jset1(pj_keyset *ks, const char *jwk)
{
    char *set = pj_strfmt("{\"keys\":[%s]}", jwk);
    int rc = pj_jwks_parse(ks, set, strlen(set), "/t.jwks", &JLOG);
    free(set);
    return rc;
}

/* An EC JWK with x and y written in xlen / ylen bytes: 0 for the fewest
 * the number needs (leading zero bytes dropped, as PyJWT 2.6 does). */
static char *ec_jwk_len(EVP_PKEY *k, const char *crv, int xlen, int ylen)
{
    BIGNUM *x = NULL, *y = NULL;
    unsigned char bx[80], by[80];
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    int xl = xlen ? BN_bn2binpad(x, bx, xlen) : BN_bn2bin(x, bx);
    int yl = ylen ? BN_bn2binpad(y, by, ylen) : BN_bn2bin(y, by);
    char *xs = pj_b64url_encode(bx, (size_t)xl), *ys = pj_b64url_encode(by, (size_t)yl);
    char *out = pj_strfmt("{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", crv, xs, ys);
    BN_free(x);
    BN_free(y);
    free(xs);
    free(ys);
    return out;
}

/* 1 when k verifies a token that key signed with alg. */
static int jverifies(pj_key *k, pj_alg alg, EVP_PKEY *key)
{
    const char *name = pj_alg_get(alg)->name;
    char *hdr = pj_strfmt("{\"alg\":\"%s\"}", name);
    char *tok = tl_sign_raw(hdr, "{\"sub\":\"x\"}", name, key, NULL, 0);
    const char *dot = strrchr(tok, '.');
    size_t sl = 0;
    unsigned char *sig = pj_b64url_decode(dot + 1, strlen(dot + 1), &sl);
    int r = pj_sig_verify(alg, k, (const unsigned char *)tok, (size_t)(dot - tok), sig, sl);
    free(sig);
    free(tok);
    free(hdr);
    return r;
}

/* A key generated until one coordinate starts with a zero byte. */
static EVP_PKEY *ec_key_with_leading_zero(const char *type, size_t coord)
{
    for (int tries = 0; tries < 5000; tries++) {
        EVP_PKEY *k = tl_keygen(type);
        BIGNUM *x = NULL, *y = NULL;
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
        bool short_one = (size_t)BN_num_bytes(x) < coord || (size_t)BN_num_bytes(y) < coord;
        BN_free(x);
        BN_free(y);
        if (short_one)
            return k;
        EVP_PKEY_free(k);
    }
    return NULL;
}

void test_curves(void)
{
    int bad = 0;
    for (int a = PJ_ALG_ES256; a <= PJ_ALG_ES512; a++) {
        const pj_alg_info *ai = pj_alg_get((pj_alg)a);
        const pj_curve *c = ai->curve;
        bad += c == NULL || c->alg != (pj_alg)a ||
               c->coord > PJ_MAX_EC_COORD || pj_curve_by_crv(c->crv) != c ||
               pj_curve_by_nid(c->nid) != c || pj_curve_by_group(c->group) != c ||
               OBJ_sn2nid(c->group) != c->nid;
    }
    is_int(bad, 0, "curves: ES256/384/512 each name their curve, and it names them back");
    ok(pj_curve_by_crv("P-256")->nid == NID_X9_62_prime256v1 &&
           pj_curve_by_crv("P-521")->coord == 66 && pj_curve_by_group("secp384r1")->alg == PJ_ALG_ES384,
       "curves: P-256 is prime256v1, P-521 has 66-byte coordinates, secp384r1 is ES384's");
    ok(pj_curve_by_crv("secp256k1") == NULL && pj_curve_by_crv("p-256") == NULL &&
           pj_curve_by_crv(NULL) == NULL && pj_curve_by_nid(NID_secp256k1) == NULL &&
           pj_curve_by_group("secp256k1") == NULL && pj_curve_by_group("nonsense") == NULL,
       "curves: anything else is not in the table");
    char *s = pj_strfmt("%s #%zu", "jwks_file /x", (size_t)12);
    ok(s && strcmp(s, "jwks_file /x #12") == 0, "pj_strfmt: formats");
    free(s);
    char big[3000];
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = pj_strfmt("key_file %s", big);
    ok(s && strlen(s) == 9 + sizeof(big) - 1 && strncmp(s, "key_file pp", 11) == 0,
       "pj_strfmt: a 3000-byte path is not cut");
    free(s);
}

/* A JWK Set is a config error unless pj_json_object reads it as an object
 * with a non-empty "keys" array; the reason is logged. */
void test_jwks_sets(void)
{
    static const struct { const char *text, *why; } bad[] = {
        {"{\"keys\":{}}", "not a JWK Set: no \"keys\" array"},
        {"{\"kees\":[]}", "not a JWK Set: no \"keys\" array"},
        {"{\"keys\":[]}", "(\"keys\" is empty)"},
        {"[{\"kty\":\"EC\"}]", "not a JWK Set: not a JSON object"},
        {"{\"keys\":[{\"kty\":\"EC\"}],\"keys\":[]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"kty\":\"EC\",\"kty\":\"RSA\"}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"kty\":\"EC\"},]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"kid\":\"a\\u0000b\"}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"n\":01}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"n\":1e999}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[]} x", "not a JWK Set: not valid JSON"},
        {"", "not a JWK Set: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pj_keyset ks = {0};
        jreset();
        int rc = pj_jwks_parse(&ks, bad[i].text, strlen(bad[i].text), "/t.jwks", &JLOG);
        ok(rc == -1 && jlines == 1 && strstr(jlast, "jwks_file /t.jwks") &&
               strstr(jlast, bad[i].why),
           "jwks set '%s' refused: '%s'", bad[i].text, jlast);
        pj_keyset_free(&ks);
    }
    /* a raw NUL byte anywhere */
    pj_keyset ks = {0};
    jreset();
    ok(pj_jwks_parse(&ks, "{\"keys\":[{}]}\0", 14, "/t.jwks", &JLOG) == -1 &&
           strstr(jlast, "not valid JSON"),
       "jwks set with a raw NUL byte refused");
    pj_keyset_free(&ks);
    char deep[200];
    snprintf(deep, sizeof(deep), "{\"keys\":[{\"x\":%.*s1%.*s}]}", 31,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 31, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    jreset();
    ok(pj_jwks_parse(&ks, deep, strlen(deep), "/t.jwks", &JLOG) == -1 &&
           strstr(jlast, "not a JWK Set: JSON nested too deeply"),
       "jwks set nested 34 levels refused");
    pj_keyset_free(&ks);
    snprintf(deep, sizeof(deep), "{\"keys\":[{\"x\":%.*s1%.*s}]}", 29,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 29, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    jreset();
    ok(pj_jwks_parse(&ks, deep, strlen(deep), "/t.jwks", &JLOG) == 0 && ks.n == 1 && jlines == 0,
       "jwks set nested 32 levels read (its key is refused only when used)");
    pj_keyset_free(&ks);
    /* loading reads every key and names it; it logs nothing about keys */
    const char *three = "{\"keys\":[{\"kty\":\"nope\",\"kid\":\"a\"},7,"
                        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"c\"}],\"x\":1}";
    jreset();
    ok(pj_jwks_parse(&ks, three, strlen(three), "/t.jwks", &JLOG) == 0 && ks.n == 3 && jlines == 0,
       "jwks: three keys read, nothing logged at load");
    ok(ks.v[0].jwks && ks.v[2].jwks && strcmp(ks.v[0].kid, "a") == 0 && ks.v[1].kid == NULL &&
           strcmp(ks.v[2].kid, "c") == 0,
       "jwks: kids kept (a refused key keeps its kid, so a token naming it is told why)");
    ok(strcmp(ks.v[0].source, "jwks_file /t.jwks key #0") == 0 &&
           strcmp(ks.v[2].source, "jwks_file /t.jwks key #2") == 0,
       "jwks: keys named by file and index");
    ok(ks.v[0].state == PJ_KEY_BAD && ks.v[1].state == PJ_KEY_BAD &&
           ks.v[2].state == PJ_KEY_UNBUILT && ks.v[2].pkey == NULL && ks.v[2].jwk != NULL,
       "jwks: classified at load, nothing built");
    pj_keyset_free(&ks);
}

/* Each reason a JWK is refused at load: unusable for every alg, logged
 * once, only when a token could select the key. */
void test_jwks_refused(void)
{
    static const struct { const char *jwk, *why; } bad[] = {
        {"7", "not a JSON object"},
        {"{\"crv\":\"P-256\"}", "no kty"},
        {"{\"kty\":7}", "no kty"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"\"}", "kid is not a non-empty string"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":5}", "kid is not a non-empty string"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"RS999\"}", "alg is not one this build verifies"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"none\"}", "alg is not one this build verifies"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":[]}", "alg is not one this build verifies"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"HS256\"}", "symmetric alg"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}", "holds private key material"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\"}", "member missing or not a string"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":65537}", "member missing or not a string"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\"}", "member missing or not a string"},
        {"{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "EC key without crv"},
        {"{\"kty\":\"EC\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "EC key without crv"},
        {"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AQAB\"}", "OKP key without crv"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", "member missing or not a string"},
        {"{\"kty\":\"oct\",\"k\":\"AQAB\"}", "symmetric (oct) key"},
        {"{\"kty\":\"DSA\"}", "unsupported kty"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\",\"y\":\"AQAB\",\"alg\":\"ES384\"}", "alg does not fit the key type"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"EdDSA\"}", "alg does not fit the key type"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pj_keyset ks = {0};
        jreset();
        int rc = jset1(&ks, bad[i].jwk);
        int fits = 0, logged_at_load = jlines;
        for (int a = 0; a < PJ_ALG_COUNT; a++)
            fits += pj_key_fit(&ks.v[0], (pj_alg)a, &JLOG) != -1 ||
                    pj_alg_fits_key((pj_alg)a, &ks.v[0]);
        char want[200];
        snprintf(want, sizeof(want), "jwks_file /t.jwks key #0: skipped: %s", bad[i].why);
        ok(rc == 0 && ks.n == 1 && logged_at_load == 0 && fits == 0 && jwarnings == 1 &&
               jlines == 1 && strncmp(jlast, want, strlen(want)) == 0,
           "jwk %s: unusable for every alg, logged once: '%s'", bad[i].jwk, jlast);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && ks.v[0].pkey == NULL && jlines == 1,
           "... never built, not logged again");
        pj_keyset_free(&ks);
    }
#ifndef HAVE_EDDSA
    pj_keyset ks = {0};
    jset1(&ks, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAB\"}");
    ok(pj_key_fit(&ks.v[0], PJ_ALG_ES256, &JLOG) == -1 && strstr(jlast, "not supported"),
       "jwk OKP: refused by a build without EdDSA");
    pj_keyset_free(&ks);
#endif
}

/* use other than "sig": never used, never an error, a debug line once. */
void test_jwks_use(void)
{
    static const char *uses[] = {"\"enc\"", "\"SIG\"", "7", "null", "\"\""};
    for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
        pj_keyset ks = {0};
        char *jwk = pj_strfmt("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"use\":%s}", uses[i]);
        jreset();
        jset1(&ks, jwk);
        int zero = 0;
        for (int a = 0; a < PJ_ALG_COUNT; a++)
            zero += pj_key_fit(&ks.v[0], (pj_alg)a, &JLOG) == 0;
        ok(zero == PJ_ALG_COUNT && jlines == 1 && jwarnings == 0 &&
               strstr(jlast, "key #0: skipped: use is not \"sig\""),
           "jwk use %s: fits no alg, one debug line", uses[i]);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && jlines == 1, "... and is never built");
        free(jwk);
        pj_keyset_free(&ks);
    }
}

static void test_jwks_build_once(EVP_PKEY *ec, EVP_PKEY *rsa)
{
    pj_keyset ks = {0};
    char *jwk = tl_jwk(ec, "e1", NULL, "sig");

    jreset();
    jset1(&ks, jwk);
    pj_key *k = &ks.v[0];
    ok(pj_key_fit(k, PJ_ALG_ES256, &JLOG) == 1 && pj_key_fit(k, PJ_ALG_ES384, &JLOG) == 0 &&
           pj_key_fit(k, PJ_ALG_RS256, &JLOG) == 0 && pj_key_fit(k, PJ_ALG_HS256, &JLOG) == 0 &&
           pj_key_fit(k, PJ_ALG_EDDSA, &JLOG) == 0,
       "jwk P-256: fits ES256 only");
    ok(k->pkey == NULL && k->jwk != NULL && !pj_sig_verify(PJ_ALG_ES256, k, (const unsigned char *)"a", 1,
                                                           (const unsigned char *)"b", 1),
       "jwk P-256: pj_key_fit builds nothing; an unbuilt key verifies nothing");
    ok(pj_key_ready(k, &JLOG) == 0 && k->pkey != NULL && k->jwk == NULL && k->state == PJ_KEY_READY,
       "jwk P-256: pj_key_ready builds it and drops the JWK (decoded once)");
    ok(pj_key_ready(k, &JLOG) == 0 && jverifies(k, PJ_ALG_ES256, ec) && jlines == 0,
       "jwk P-256: verifies ES256; nothing logged");
    free(jwk);
    pj_keyset_free(&ks);

    /* its own alg restricts it */
    jwk = tl_jwk(rsa, NULL, "PS384", NULL);
    jset1(&ks, jwk);
    k = &ks.v[0];
    ok(pj_key_fit(k, PJ_ALG_PS384, &JLOG) == 1 && pj_key_fit(k, PJ_ALG_RS256, &JLOG) == 0 &&
           pj_key_fit(k, PJ_ALG_PS256, &JLOG) == 0,
       "jwk RSA with alg PS384: fits PS384 only");
    ok(pj_key_ready(k, &JLOG) == 0 && jverifies(k, PJ_ALG_PS384, rsa), "... and verifies it");
    free(jwk);
    pj_keyset_free(&ks);
}

/* refused when built: logged once, then unusable where its type fits */
static void test_jwks_build_refused(EVP_PKEY *small)
{
    pj_keyset ks = {0};
    pj_key *k;
    char *jwk;
    static const struct { const char *jwk; pj_alg alg; const char *why; } broken[] = {
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
         "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}",
         PJ_ALG_ES256, "EC point is not on the curve"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"!!!\",\"y\":\"AQAB\"}", PJ_ALG_ES256,
         "member is not base64url"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"\",\"y\":\"AQAB\"}", PJ_ALG_ES256,
         "member is not base64url"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQ=\"}", PJ_ALG_RS256, "member is not base64url"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", PJ_ALG_RS256,
         "RSA key shorter than 2048 bits"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAB\"}", PJ_ALG_EDDSA,
         "OKP public key has the wrong length"},
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
#ifndef HAVE_EDDSA
        if (broken[i].alg == PJ_ALG_EDDSA)
            continue;
#endif
        jreset();
        jset1(&ks, broken[i].jwk);
        k = &ks.v[0];
        pj_alg other = broken[i].alg == PJ_ALG_RS256 ? PJ_ALG_ES256 : PJ_ALG_RS256;
        int before = pj_key_fit(k, broken[i].alg, &JLOG);
        int ready = pj_key_ready(k, &JLOG);
        int lines = jlines;
        char want[200];
        snprintf(want, sizeof(want), "jwks_file /t.jwks key #0: skipped: %s", broken[i].why);
        ok(before == 1 && ready == -1 && lines == 1 && jwarnings == 1 && strcmp(jlast, want) == 0,
           "jwk %s: fits, refused when built: '%s'", broken[i].jwk, jlast);
        ok(pj_key_fit(k, broken[i].alg, &JLOG) == -1 && pj_key_fit(k, other, &JLOG) == 0 &&
               pj_key_ready(k, &JLOG) == -1 && k->pkey == NULL && k->jwk == NULL && jlines == 1,
           "... then unusable for its alg, not fitting others, not logged again");
        pj_keyset_free(&ks);
    }
    /* a real 1024-bit RSA key */
    jwk = tl_jwk(small, "s", NULL, NULL);
    jreset();
    jset1(&ks, jwk);
    ok(pj_key_fit(&ks.v[0], PJ_ALG_RS256, &JLOG) == 1 && pj_key_ready(&ks.v[0], &JLOG) == -1 &&
           strstr(jlast, "RSA key shorter than 2048 bits"),
       "jwk RSA-1024: refused when built");
    free(jwk);
    pj_keyset_free(&ks);
}

/* key_file and HMAC keys: always ready, never -1 */
static void test_jwks_build_file_and_hmac(EVP_PKEY *ec)
{
    pj_keyset ks = {0};
    pj_keys_add_pkey(&ks, EVP_PKEY_dup(ec), "key_file /k.pem", NULL, -1, &JLOG);
    unsigned char *secret = malloc(32);
    memset(secret, 7, 32);
    pj_keys_add_hmac(&ks, secret, 32, "/s");
    jreset();
    ok(pj_key_fit(&ks.v[0], PJ_ALG_ES256, &JLOG) == 1 && pj_key_fit(&ks.v[0], PJ_ALG_ES512, &JLOG) == 0 &&
           pj_key_ready(&ks.v[0], &JLOG) == 0 && pj_key_fit(&ks.v[1], PJ_ALG_HS384, &JLOG) == 1 &&
           pj_key_fit(&ks.v[1], PJ_ALG_RS256, &JLOG) == 0 && pj_key_ready(&ks.v[1], &JLOG) == 0 &&
           jlines == 0,
       "key_file and HMAC keys: fit by type, always ready, nothing logged");
    ok(strcmp(ks.v[0].source, "key_file /k.pem") == 0 &&
           strcmp(ks.v[1].source, "hmac_secret_file /s") == 0,
       "key_file and HMAC keys: named for log lines");
    pj_keyset_free(&ks);
}

/* Members are decoded only when a token selects the key, once. */
void test_jwks_build(void)
{
    EVP_PKEY *ec = tl_keygen("p256"), *rsa = tl_keygen("rsa"), *small = tl_keygen("rsa1024");
    test_jwks_build_once(ec, rsa);
    test_jwks_build_refused(small);
    test_jwks_build_file_and_hmac(ec);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(small);
}

/* PyJWT 2.6 and authlib 1.2 write EC x and y without their leading zero
 * bytes: such a coordinate is padded back; a longer one is refused. */
void test_jwks_short_coords(void)
{
    static const struct { const char *type, *crv; size_t coord; pj_alg alg; } cs[] = {
        {"p521", "P-521", 66, PJ_ALG_ES512},
        {"p256", "P-256", 32, PJ_ALG_ES256},
    };
    for (size_t i = 0; i < 2; i++) {
        EVP_PKEY *key = ec_key_with_leading_zero(cs[i].type, cs[i].coord);
        pj_keyset ks = {0};
        if (key == NULL) {
            ok(0, "%s: no key with a leading zero byte found", cs[i].crv);
            continue;
        }
        char *shortj = ec_jwk_len(key, cs[i].crv, 0, 0);
        char *full = ec_jwk_len(key, cs[i].crv, (int)cs[i].coord, (int)cs[i].coord);
        char *longx = ec_jwk_len(key, cs[i].crv, (int)cs[i].coord + 1, (int)cs[i].coord);
        char *longy = ec_jwk_len(key, cs[i].crv, 0, (int)cs[i].coord + 1);
        ok(strlen(shortj) < strlen(full), "%s: the key's JWK written short is shorter", cs[i].crv);
        jreset();
        jset1(&ks, shortj);
        ok(pj_key_fit(&ks.v[0], cs[i].alg, &JLOG) == 1 && pj_key_ready(&ks.v[0], &JLOG) == 0 &&
               jverifies(&ks.v[0], cs[i].alg, key) && jlines == 0,
           "%s: x/y without the leading zero byte: padded, verifies %s", cs[i].crv,
           pj_alg_get(cs[i].alg)->name);
        pj_keyset_free(&ks);
        jset1(&ks, full);
        ok(pj_key_ready(&ks.v[0], &JLOG) == 0 && jverifies(&ks.v[0], cs[i].alg, key),
           "%s: the same key at full length verifies", cs[i].crv);
        pj_keyset_free(&ks);
        jreset();
        jset1(&ks, longx);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && strstr(jlast, "EC coordinate longer than the curve's"),
           "%s: x one byte too long (a zero byte in front) refused", cs[i].crv);
        pj_keyset_free(&ks);
        jreset();
        jset1(&ks, longy);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && strstr(jlast, "EC coordinate longer than the curve's"),
           "%s: y one byte too long refused", cs[i].crv);
        pj_keyset_free(&ks);
        free(shortj);
        free(full);
        free(longx);
        free(longy);
        EVP_PKEY_free(key);
    }
    /* a short coordinate is still a point that must be on the curve */
    pj_keyset ks = {0};
    jreset();
    jset1(&ks, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"Ag\"}");
    ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && strstr(jlast, "EC point is not on the curve"),
       "P-256: x=1, y=2 written in one byte each: padded, still not on the curve");
    pj_keyset_free(&ks);
}

static void test_jwks_prepare_all_states(const char *set, const char *offcurve)
{
    pj_keyset ks = {0};
    jreset();
    ok(pj_jwks_parse(&ks, set, strlen(set), "/t.jwks", &JLOG) == 0 &&
           pj_jwks_prepare_all(&ks, &JLOG) == 0 && jwarnings == 2 && jlines == 3,
       "prepare_all: two unusable keys warned, the enc key a debug line, one usable");
    ok(ks.v[0].state == PJ_KEY_BROKEN && ks.v[1].state == PJ_KEY_BAD &&
           ks.v[2].state == PJ_KEY_READY && ks.v[2].pkey != NULL && ks.v[3].state == PJ_KEY_NOT_SIG,
       "prepare_all: every key built or refused");
    jreset();
    ok(pj_jwks_prepare_all(&ks, &JLOG) == 0 && jlines == 0, "prepare_all twice: nothing logged again");
    pj_keyset_free(&ks);
    char *set2 = pj_strfmt("{\"keys\":[%s]}", offcurve);
    pj_jwks_parse(&ks, set2, strlen(set2), "/t.jwks", &JLOG);
    ok(pj_jwks_prepare_all(&ks, &JLOG) == -1, "prepare_all: -1 when no key is usable");
    pj_keyset_free(&ks);
    free(set2);
}

/* the same decision and reason with and without it */
static void test_jwks_prepare_all_same_decision(EVP_PKEY *ec, EVP_PKEY *other, EVP_PKEY *rsa,
                                                const char *user, const char *cpath)
{
    const struct { const char *alg, *kid; EVP_PKEY **key; pj_result want; const char *reason; } toks[] = {
        {"ES256", NULL, &ec, PJ_ACCEPT, ""},
        {"ES256", "good", &ec, PJ_ACCEPT, ""},
        {"ES256", NULL, &other, PJ_REFUSE, "bad signature (1 key tried)"},
        {"ES256", "off", &ec, PJ_REFUSE, "no usable key for alg ES256 and kid off (1 unusable"},
        {"ES256", "nocrv", &ec, PJ_REFUSE, "no usable key for alg ES256 and kid nocrv (1 unusable"},
        {"RS256", NULL, &rsa, PJ_REFUSE, "no usable key for alg RS256 (1 unusable"},
        {"RS256", "off", &rsa, PJ_REFUSE, "no key fits alg RS256 and kid off"},
        {"ES256", "nope", &ec, PJ_REFUSE, "no key fits alg ES256 and kid nope"},
    };
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
        char hdr[128], payload[512], reasons[2][256];
        pj_result got[2];
        if (toks[i].kid)
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", toks[i].alg, toks[i].kid);
        else
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", toks[i].alg);
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld}", user,
                 (long)time(NULL) + 300);
        char *tok = tl_sign_raw(hdr, payload, toks[i].alg, *toks[i].key, NULL, 0);
        for (int all = 0; all < 2; all++) {
            pj_request rq = {0};
            pj_decision d;
            pj_log quiet = {NULL, NULL, false};
            rq.config_path = cpath;
            rq.input = tok;
            rq.input_len = strlen(tok);
            rq.now = (double)time(NULL);
            rq.log = &quiet;
            rq.check_all_keys = all;
            pj_decide(&rq, &d);
            got[all] = d.result;
            snprintf(reasons[all], sizeof(reasons[all]), "%s", d.reason);
            pj_decision_free(&d);
        }
        ok(got[0] == toks[i].want && got[1] == got[0] && strcmp(reasons[0], reasons[1]) == 0 &&
               strncmp(reasons[0], toks[i].reason, strlen(toks[i].reason)) == 0,
           "prepare_all: %s kid %s: %s '%s' with and without it", toks[i].alg,
           toks[i].kid ? toks[i].kid : "-", pj_result_name(got[0]), reasons[0]);
        free(tok);
    }
}

/* pamjwt check builds every key first; the decision stays the module's. */
void test_jwks_prepare_all(void)
{
    char *dir = tl_tmpdir(), jw[4096], conf[8192], cpath[4096], user[256];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *ec = tl_keygen("p256"), *other = tl_keygen("p256"), *rsa = tl_keygen("rsa");
    char *good = tl_jwk(ec, "good", NULL, NULL);
    const char *offcurve = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off\","
                           "\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
                           "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}";
    char *set = pj_strfmt("{\"keys\":[%s,{\"kty\":\"EC\",\"kid\":\"nocrv\"},%s,"
                          "{\"kty\":\"RSA\",\"use\":\"enc\"}]}",
                          offcurve, good);
    snprintf(jw, sizeof(jw), "%s/k.jwks", dir);
    tl_write_file(jw, set, strlen(set), 0644);
    snprintf(conf, sizeof(conf), "jwks_file = %s\nallowed_subjects = *\n", jw);
    snprintf(cpath, sizeof(cpath), "%s/c.conf", dir);
    tl_write_file(cpath, conf, strlen(conf), 0644);
    test_jwks_prepare_all_states(set, offcurve);
    test_jwks_prepare_all_same_decision(ec, other, rsa, user, cpath);
    free(set);
    free(good);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(other);
    EVP_PKEY_free(rsa);
    tl_rmtree(dir);
    free(dir);
}
