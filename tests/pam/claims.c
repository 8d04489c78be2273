/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the time and claim rules (exp, nbf, iat, max_lifetime, iss, aud, require_claim). */
#include "pam.h"

static void test_time_exp_nbf(void)
{
    char *t;
    conf(NULL);
    struct { long exp; const char *extra; int want; const char *name; } cases[] = {
        {-10, NULL, PAM_SUCCESS, "expired 10 s ago, within 30 s leeway"},
        {-60, NULL, PAM_AUTH_ERR, "expired 60 s ago, beyond leeway"},
        {300, "\"nbf\":@FUT", PAM_AUTH_ERR, "nbf 10 min in the future"},
        {300, "\"nbf\":@NEAR", PAM_SUCCESS, "nbf 10 s in the future, within leeway"},
        {300, "\"nbf\":1.5", PAM_SUCCESS, "nbf as a fraction in the past"},
        {300, "\"nbf\":\"0\"", PAM_AUTH_ERR, "nbf as a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ex[200] = "";
        if (cases[i].extra) {
            snprintf(ex, sizeof(ex), "%s", cases[i].extra);
            char *p = strstr(ex, "@FUT");
            if (p)
                snprintf(p, 40, "%ld", now + 600);
            p = strstr(ex, "@NEAR");
            if (p)
                snprintf(p, 40, "%ld", now + 10);
        }
        t = es256(me, cases[i].exp, ex);
        is_int(auth(me, t), cases[i].want, "time: %s", cases[i].name);
        free(t);
    }
}

static void test_time_exp_iat_lifetime(void)
{
    char *t;
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%ld}", me, now);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "exp required");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":\"%ld\"}", me, now + 100);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "exp as a string refused");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld.75}", me, now + 100);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_SUCCESS, "exp with a fraction accepted");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld,\"iat\":%ld}", me, now + 100,
             now + 600);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "iat in the future refused");
    free(t);

    t = es256(me, 7200, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "max_lifetime: 2 h token refused by default 1 h");
    conf("max_lifetime = 0");
    is_int(auth(me, t), PAM_SUCCESS, "max_lifetime = 0 disables the check");
    conf("max_lifetime = 10000");
    is_int(auth(me, t), PAM_SUCCESS, "max_lifetime = 10000 accepts a 2 h token");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld}", me, now + 20000);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "max_lifetime without iat uses exp - now");
    free(t);
    conf("leeway = 0");
    t = es256(me, -5, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "leeway = 0: expired 5 s ago refused");
    free(t);
}

static void test_claims_iss_aud_required(void)
{
    char *t;
    conf("issuer = https://idp.example/\naudience = ssh");
    struct { const char *extra; int want; const char *name; } c2[] = {
        {"\"iss\":\"https://idp.example/\",\"aud\":\"ssh\"", PAM_SUCCESS, "issuer + audience string"},
        {"\"iss\":\"https://idp.example/\",\"aud\":[\"web\",\"ssh\"]", PAM_SUCCESS, "audience in array"},
        {"\"iss\":\"https://idp.example/\",\"aud\":[\"web\"]", PAM_AUTH_ERR, "audience not in array"},
        {"\"iss\":\"https://idp.example/\",\"aud\":\"web\"", PAM_AUTH_ERR, "wrong audience"},
        {"\"iss\":\"https://idp.example/\"", PAM_AUTH_ERR, "audience missing"},
        {"\"iss\":\"https://idp.example/\",\"aud\":{\"x\":\"ssh\"}", PAM_AUTH_ERR, "aud as object"},
        {"\"iss\":\"https://evil.example/\",\"aud\":\"ssh\"", PAM_AUTH_ERR, "wrong issuer"},
        {"\"aud\":\"ssh\"", PAM_AUTH_ERR, "issuer missing"},
    };
    for (size_t i = 0; i < sizeof(c2) / sizeof(c2[0]); i++) {
        t = es256(me, 300, c2[i].extra);
        is_int(auth(me, t), c2[i].want, "claims: %s", c2[i].name);
        free(t);
    }
    conf("require_claim = scope ssh:login\nrequire_claim = groups admins\nrequire_claim = amr_ok true");
    struct { const char *extra; int want; const char *name; } c3[] = {
        {"\"scope\":\"openid ssh:login email\",\"groups\":[\"dev\",\"admins\"],\"amr_ok\":true", PAM_SUCCESS, "require_claim: scope word, array member, boolean"},
        {"\"scope\":\"openid email\",\"groups\":[\"admins\"],\"amr_ok\":true", PAM_AUTH_ERR, "require_claim: scope word missing"},
        {"\"scope\":\"ssh:login\",\"groups\":\"admins\",\"amr_ok\":true", PAM_SUCCESS, "require_claim: string equality"},
        {"\"scope\":\"ssh:login\",\"groups\":[\"admins-not\"],\"amr_ok\":true", PAM_AUTH_ERR, "require_claim: array without member"},
        {"\"scope\":\"ssh:login\",\"amr_ok\":true", PAM_AUTH_ERR, "require_claim: claim missing"},
        {"\"scope\":\"ssh:login\",\"groups\":[\"admins\"],\"amr_ok\":false", PAM_AUTH_ERR, "require_claim: boolean mismatch"},
    };
    for (size_t i = 0; i < sizeof(c3) / sizeof(c3[0]); i++) {
        t = es256(me, 300, c3[i].extra);
        is_int(auth(me, t), c3[i].want, "%s", c3[i].name);
        free(t);
    }
}

void test_time_and_claims(void)
{
    test_time_exp_nbf();
    test_time_exp_iat_lifetime();
    test_claims_iss_aud_required();
}
