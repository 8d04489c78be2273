/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the algorithms and keys. */
#include "pam.h"

char *sign_pem(const char *alg, EVP_PKEY *k, const char *claims_json, const char *kid)
{
    char *pem = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    size_t pl = (size_t)BIO_get_mem_data(b, &pem);
    char *t = tl_sign_libjwt(alg, (unsigned char *)pem, pl, claims_json, kid);
    BIO_free(b);
    return t;
}

/* every algorithm, against a config with exactly the fitting key */
static void test_algorithms_each(const char *c)
{
    char *t, extra[2048];
    struct { const char *alg; EVP_PKEY **k; const char *pub; bool libjwt; } a[] = {
        {"RS256", &k_rsa, "rsa.pub", true}, {"RS384", &k_rsa, "rsa.pub", true},
        {"RS512", &k_rsa, "rsa.pub", true}, {"PS256", &k_rsa, "rsa.pub", false},
        {"PS384", &k_rsa, "rsa.pub", false}, {"PS512", &k_rsa, "rsa.pub", false},
        {"ES256", &k_ec256, "ec256.pub", true}, {"ES384", &k_ec384, "ec384.pub", true},
        {"ES512", &k_ec521, "ec521.pub", true}, {"EdDSA", &k_ed, "ed25519.pub", false},
    };
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        snprintf(extra, sizeof(extra), "key_file = %s/%s\nallowed_subjects = *\n", dir, a[i].pub);
        write_text("pam_jwt.conf", extra, 0644);
        char hdr[100];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", a[i].alg);
        t = a[i].libjwt ? sign_pem(a[i].alg, *a[i].k, c, NULL) : raw(a[i].alg, *a[i].k, hdr, c);
        is_int(auth(me, t), PAM_SUCCESS, "%s token accepted (%s)", a[i].alg,
               a[i].libjwt ? "signed by libjwt" : "signed by OpenSSL");
        /* tamper with the payload: flip one character of the claims */
        char *dot = strchr(t, '.');
        dot[3] = dot[3] == 'A' ? 'B' : 'A';
        is_int(auth(me, t), PAM_AUTH_ERR, "%s token with tampered payload refused", a[i].alg);
        free(t);
    }
    /* certificate as key_file */
    snprintf(extra, sizeof(extra), "key_file = %s/ec256.crt\nallowed_subjects = *\n", dir);
    write_text("pam_jwt.conf", extra, 0644);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "X.509 certificate as key_file");
    free(t);
}

static void test_algorithms_unknown_key_and_none(const char *c)
{
    char *t;
    conf(NULL);
    /* signed by another key */
    t = sign_pem("ES256", k_ec_other, c, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "ES256 signed by an unknown key refused");
    ok(log_has("bad signature"), "reason logged: bad signature");
    free(t);
    t = sign_pem("RS256", k_rsa_other, c, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "RS256 signed by an unknown key refused");
    free(t);

    /* alg: none in every spelling */
    const char *nones[] = {"none", "None", "NONE", "nOnE"};
    for (size_t i = 0; i < 4; i++) {
        char hdr[100];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", nones[i]);
        t = tl_unsigned(hdr, c, "AAAA");
        is_int(auth(me, t), PAM_AUTH_ERR, "alg %s with a dummy signature refused", nones[i]);
        free(t);
    }
    ok(log_has("alg none is never accepted"), "reason logged for alg none");
}

/* algorithm confusion: HS256 keyed with the public key */
static void test_algorithms_hmac_confusion(const char *c)
{
    char *t, extra[2048];
    char *pem = tl_pub_pem(k_rsa);
    char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    t = tl_sign_raw(hdr, c, "HS256", NULL, (unsigned char *)pem, strlen(pem));
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the RSA public key PEM refused");
    free(t);
    t = tl_sign_raw(hdr, c, "HS256", NULL, (unsigned char *)pem, strlen(pem) - 1);
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the PEM without newline refused");
    free(t);
    size_t dl = 0;
    unsigned char *der = tl_pub_der(k_rsa, &dl);
    t = tl_sign_raw(hdr, c, "HS256", NULL, der, dl);
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the DER public key refused");
    free(t);
    free(der);
    {
        /* the JWK's "n", as the base64url text and as raw modulus bytes */
        char *jwk = tl_jwk(k_rsa, NULL, NULL, NULL);
        json_error_t je;
        json_t *jj = json_loads(jwk, 0, &je);
        const char *n64 = json_string_value(json_object_get(jj, "n"));
        t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)n64, strlen(n64));
        is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the JWK's n (base64url text) refused");
        free(t);
        size_t nl = 0;
        unsigned char *nraw = pj_b64url_decode(n64, strlen(n64), &nl);
        t = tl_sign_raw(hdr, c, "HS256", NULL, nraw, nl);
        is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the JWK's n (modulus bytes) refused");
        free(t);
        free(nraw);
        t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)jwk, strlen(jwk));
        is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the whole JWK text refused");
        free(t);
        json_decref(jj);
        free(jwk);
    }
    /* ... even when an HMAC secret is configured */
    write_text("hmac.secret", "0123456789abcdef0123456789abcdef-pamjwt\n", 0600);
    conf("hmac_secret_file = @DIR@/hmac.secret");
    snprintf(extra, sizeof(extra),
             "key_file = %s/rsa.pub\nhmac_secret_file = %s/hmac.secret\nallowed_subjects = *\n",
             dir, dir);
    write_text("pam_jwt.conf", extra, 0644);
    t = tl_sign_raw(hdr, c, "HS256", NULL, (unsigned char *)pem, strlen(pem));
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the public key refused with HMAC configured");
    free(t);
    const char *secret = "0123456789abcdef0123456789abcdef-pamjwt";
    t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)secret, strlen(secret));
    is_int(auth(me, t), PAM_SUCCESS, "HS256 with the configured secret accepted");
    free(t);
    t = tl_sign_libjwt("HS512", (const unsigned char *)secret, strlen(secret), c, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "HS512 (libjwt) with the configured secret accepted");
    free(t);
    t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)"wrong-secret-wrong-secret-wrong-secret", 38);
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 with another secret refused");
    free(t);
    free(pem);
}

static void test_algorithms_key_type_and_list(const char *c)
{
    char *t, extra[2048];
    /* key type must fit alg */
    conf(NULL);
    t = raw("ES256", k_ec256, "{\"alg\":\"RS256\"}", c);
    is_int(auth(me, t), PAM_AUTH_ERR, "RS256 header on an EC signature refused");
    free(t);
    t = raw("ES384", k_ec384, "{\"alg\":\"ES256\"}", c);
    snprintf(extra, sizeof(extra),
             "key_file = %s/ec256.pub\nkey_file = %s/ec384.pub\nallowed_subjects = *\n", dir, dir);
    write_text("pam_jwt.conf", extra, 0644);
    is_int(auth(me, t), PAM_AUTH_ERR, "ES256 header signed with a P-384 key refused");
    free(t);
    t = raw("ES384", k_ec384, "{\"alg\":\"ES384\"}", c);
    is_int(auth(me, t), PAM_SUCCESS, "ES384 with P-384 key accepted next to a P-256 key");
    free(t);
    /* algorithms allow-list */
    conf("algorithms = RS256");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "alg outside the algorithms list refused");
    ok(log_has("alg ES256 is not allowed"), "reason logged: alg not allowed");
    free(t);
    conf("algorithms = ES256 none");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "'none' in algorithms is a config error");
    free(t);
    conf("algorithms = HS256");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "HS256 in algorithms without hmac_secret_file is a config error");
    free(t);
}

void test_algorithms(void)
{
    char *c = claims(me, 300, NULL);
    test_algorithms_each(c);
    test_algorithms_unknown_key_and_none(c);
    test_algorithms_hmac_confusion(c);
    test_algorithms_key_type_and_list(c);
    free(c);
}
