/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of JWK Sets. */
#include "pam.h"

/* The JWK with the leading zero bytes of its EC coordinates dropped;
 * NULL when neither x nor y has one. */
static char *jwk_unpadded(const char *jwk)
{
    char *out = strdup(jwk);
    int dropped = 0;
    for (const char *m = "xy"; *m; m++) {
        char name[8];
        snprintf(name, sizeof(name), "\"%c\":\"", *m);
        char *v = strstr(out, name), *end;
        if (v == NULL || (end = strchr(v += 5, '"')) == NULL)
            continue;
        size_t len = 0;
        unsigned char *raw = pj_b64url_decode(v, (size_t)(end - v), &len), *p = raw;
        while (len > 1 && *p == 0) {
            p++;
            len--;
            dropped++;
        }
        char *enc = pj_b64url_encode(p, len), *copy = strndup(v, (size_t)(end - v));
        char *next = tl_replace(out, copy, enc);
        free(out);
        out = next;
        free(raw);
        free(enc);
        free(copy);
    }
    if (dropped == 0) {
        free(out);
        return NULL;
    }
    return out;
}

static void test_jwks_kid_selects(const char *j1, const char *c)
{
    char buf[8192];
    char *j2 = tl_jwk(k_rsa, "key-2", NULL, NULL);
    char *j3 = tl_jwk(k_ec_other, "enc-key", NULL, "enc");
    /* a well-formed JWK whose point is not on the curve: only found out
     * when the key is built, which happens only when a token selects it */
    const char *offcurve = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off-curve\","
                           "\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
                           "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}";
    snprintf(buf, sizeof(buf), "{\"keys\":[%s,%s,%s,%s,{\"kty\":\"EC\",\"crv\":\"P-256\"}]}",
             offcurve, j1, j2, j3);
    write_text("jwks.json", buf, 0644);
    snprintf(buf, sizeof(buf), "jwks_file = %s/jwks.json\nallowed_subjects = *\n", dir);
    write_text("pam_jwt.conf", buf, 0644);
    char *t = sign_pem("ES256", k_ec256, c, "key-1");
    is_int(auth(me, t), PAM_SUCCESS, "jwks: kid selects the EC key");
    ok(!log_has("not on the curve"), "jwks: a key the kid does not select is never built");
    ok(!log_has("key #4"), "jwks: a bad key the kid does not select is never logged");
    free(t);
    t = sign_pem("ES256", k_ec256, c, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "jwks: no kid: every fitting key tried, the broken one skipped");
    ok(log_has("not on the curve"), "jwks: the broken key is logged when tried");
    free(t);
    t = sign_pem("ES256", k_ec_other, c, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: no kid, signed by no key in the set: refused");
    ok(log_has("key #4: skipped: member missing"),
       "jwks: a malformed key among good ones is logged and skipped when considered");
    free(t);
    t = sign_pem("RS256", k_rsa, c, "key-2");
    is_int(auth(me, t), PAM_SUCCESS, "jwks: kid selects the RSA key");
    free(t);
    t = sign_pem("RS256", k_rsa, c, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "jwks: no kid, key found by type");
    free(t);
    t = sign_pem("ES256", k_ec256, c, "key-2");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: kid of a key of another type refused");
    free(t);
    t = sign_pem("ES256", k_ec256, c, "nope");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: unknown kid refused");
    ok(log_has("no key fits alg ES256 and kid nope"), "unknown kid logged");
    free(t);
    t = sign_pem("ES256", k_ec256, c, "../../etc/passwd");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: kid '../../etc/passwd' is only a name");
    free(t);
    t = sign_pem("ES256", k_ec_other, c, "enc-key");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: key with use=enc is never used");
    free(t);
    free(j2);
    free(j3);
}

/* PyJWT 2.6 and authlib 1.2 drop a coordinate's leading zero bytes */
static void test_jwks_p521_unpadded(const char *c)
{
    char buf[8192];
    char *t;
    EVP_PKEY *k521 = NULL;
    char *j521 = NULL, *j521s = NULL;
    for (int tries = 0; j521s == NULL && tries < 200; tries++) { /* 3 keys in 4 have one */
        EVP_PKEY_free(k521);
        free(j521);
        k521 = tl_keygen("p521");
        j521 = tl_jwk(k521, "p521", NULL, NULL);
        j521s = jwk_unpadded(j521);
    }
    snprintf(buf, sizeof(buf), "{\"keys\":[%s]}", j521s ? j521s : j521);
    write_text("jwks.json", buf, 0644);
    t = sign_pem("ES512", k521, c, "p521");
    ok(j521s != NULL && strlen(j521s) < strlen(j521) && auth(me, t) == PAM_SUCCESS,
       "jwks: P-521 key with x or y written without its leading zero byte verifies");
    free(t);
    free(j521);
    free(j521s);
    EVP_PKEY_free(k521);
}

/* the whole set is parsed at every login (jansson, through
 * pj_json_object), even where no key is used: a broken file is a
 * config error, not a refusal */
static void test_jwks_malformed_sets(const char *j1, const char *c)
{
    char buf[8192];
    char *t;
#define NOT_JSON "not a JWK Set: not valid JSON (or duplicate member names)"
    static const struct { const char *text, *why, *name; } bad[] = {
        {"{\"keys\":{}}", "not a JWK Set: no \"keys\" array", "keys not an array"},
        {"{\"keys\":[]}", "\"keys\" is empty", "no keys"},
        {"{\"keys\":[@K],\"keys\":[]}", NOT_JSON, "keys twice"},
        {"{\"keys\":[@K,{\"kty\":\"EC\",\"kty\":\"RSA\"}]}", NOT_JSON,
         "a member twice in a key the kid does not select"},
        {"{\"keys\":[@K,{\"kty\":\"EC\",\"x\":\"\\u00zz\"}]}", NOT_JSON,
         "bad escape in a key the kid does not select"},
        {"{\"keys\":[@K,{\"kty\":\"EC\",\"x\":\"\xc0\xaf\"}]}", NOT_JSON,
         "overlong UTF-8 in another key"},
        {"{\"keys\":[@K,{\"n\":01}]}", NOT_JSON, "number with a leading zero"},
        {"{\"keys\":[@K,{\"n\":1e999}]}", NOT_JSON, "number overflowing a double"},
        {"{\"keys\":[@K,{\"n\":99999999999999999999}]}", NOT_JSON, "integer too big"},
        {"{\"keys\":[@K,]}", NOT_JSON, "trailing comma"},
        {"{\"keys\":[@K]} x", NOT_JSON, "data after the set"},
        {"{\"keys\":[@K,[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
         "not a JWK Set: JSON nested too deeply", "33 levels of nesting"},
        {"[@K]", "not a JWK Set: not a JSON object", "a bare array of keys"},
    };
#undef NOT_JSON
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *set = tl_replace(bad[i].text, "@K", j1), msg[200];
        write_text("jwks.json", set, 0644);
        free(set);
        t = sign_pem("ES256", k_ec256, c, "key-1");
        snprintf(msg, sizeof(msg), "jwks: malformed set is a config error: %s", bad[i].name);
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "%s", msg);
        snprintf(msg, sizeof(msg), "jwks: ... logged as '%s'", bad[i].why);
        ok(log_has(bad[i].why), "%s", msg);
        free(t);
    }
    /* escapes in the set are JSON: a kid spelled with \u escapes selects */
    snprintf(buf, sizeof(buf), "{\"keys\":[%s]}", j1);
    char *esc = tl_replace(buf, "\"kid\":\"key-1\"", "\"\\u006bid\":\"k\\u0065y-1\"");
    write_text("jwks.json", esc, 0644);
    free(esc);
    t = sign_pem("ES256", k_ec256, c, "key-1");
    is_int(auth(me, t), PAM_SUCCESS, "jwks: kid member and value written with \\u escapes select");
    free(t);
}

void test_jwks(void)
{
    char *j1 = tl_jwk(k_ec256, "key-1", "ES256", "sig");
    char *c = claims(me, 300, NULL);
    test_jwks_kid_selects(j1, c);
    test_jwks_p521_unpadded(c);
    test_jwks_malformed_sets(j1, c);
    free(c);
    free(j1);
}
