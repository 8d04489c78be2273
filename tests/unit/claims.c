/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/claims.c. */
#include "unit.h"

/* exp, nbf and iat are read by the token's JSON parser as 64-bit integers
 * (or reals) and compared as doubles: never through a 32-bit long or
 * time_t, so times past 2038 and 2106 keep their value. */
void test_claims_number_edges(void)
{
    int rc;
    char why[256];
    const char *pwhy = NULL;
    pj_config *c = parse("max_lifetime = 0\n", &rc);
    pj_config *m = parse("max_lifetime = 3600\n", &rc);
    struct { pj_config *c; const char *claims; double now; int rc; const char *what; } e[] = {
        {c, "{\"exp\":0}", 1000.0, -1, "exp 0: expired"},
        {c, "{\"exp\":0}", 30.0, 0, "exp 0 at now 30 (leeway 30): accepted"},
        {c, "{\"exp\":1000}", 1000.0, 0, "exp 1000 at now 1000: accepted"},
        {c, "{\"exp\":4294967294}", 4294967000.0, 0, "exp 4294967294 (after 2106): accepted"},
        {c, "{\"exp\":4294967295}", 4294967325.0, 0, "exp 4294967295 at exp + leeway: accepted"},
        {c, "{\"exp\":4294967295}", 4294967326.0, -1, "exp 4294967295 past exp + leeway: refused"},
        {c, "{\"exp\":2147483648}", 2147483647.0, 0, "exp 2^31 (2038) a second ahead: accepted"},
        {c, "{\"exp\":2147483648}", 2147483679.0, -1, "exp 2^31 (2038) past the leeway: refused"},
        {c, "{\"exp\":4294968296}", 1100.0, 0, "exp 2^32 + 1000 is not 1000: accepted at 1100"},
        {c, "{\"exp\":9223372036854775807}", 1.8e9, 0, "exp 2^63-1: accepted (max_lifetime 0)"},
        {m, "{\"exp\":9223372036854775807}", 1.8e9, -1, "exp 2^63-1: beyond max_lifetime 3600"},
        {c, "{\"exp\":9223372036854775807,\"nbf\":9223372036854775807}", 1.8e9, -1,
         "nbf 2^63-1: not yet valid"},
        {c, "{\"exp\":4294968296,\"nbf\":4294968296}", 1100.0, -1,
         "nbf 2^32 + 1000 is not 1000: not yet valid at 1100"},
        {c, "{\"exp\":2000,\"nbf\":0}", 1000.0, 0, "nbf 0: accepted"},
        {c, "{\"exp\":9223372036854775807,\"iat\":9223372036854775807}", 1.8e9, -1,
         "iat 2^63-1: issued in the future"},
        {c, "{\"exp\":2000,\"iat\":0}", 1000.0, 0, "iat 0: accepted (max_lifetime 0)"},
        {m, "{\"exp\":2000,\"iat\":0}", 1000.0, 0, "iat 0, exp 2000: lifetime 2000 accepted"},
        {m, "{\"exp\":4294974496,\"iat\":4294970896}", 4294971000.0, 0,
         "iat 2^32 + 3600, exp 1 h later: accepted"},
        {m, "{\"exp\":4294974497,\"iat\":4294970896}", 4294971000.0, -1,
         "iat 2^32 + 3600, exp 3601 s later: beyond max_lifetime"},
        /* doubles hold every whole second exactly up to 2^53 */
        {m, "{\"exp\":4503599627370496,\"iat\":4503599627366896}", 4503599627366896.0, 0,
         "iat 2^52 - 3600, exp 2^52: lifetime 3600 accepted"},
        {m, "{\"exp\":4503599627370497,\"iat\":4503599627366896}", 4503599627366896.0, -1,
         "iat 2^52 - 3600, exp 2^52 + 1: lifetime 3601 refused"},
    };
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        json_t *j = pj_json_object(e[i].claims, strlen(e[i].claims), &pwhy);
        why[0] = '\0';
        ok(j != NULL && pj_check_claims(e[i].c, j, e[i].now, NULL, why, sizeof(why)) == e[i].rc,
           "claims: %s (%s)", e[i].what, why);
        json_decref(j);
    }
    /* 2^63 and beyond do not fit the parser's 64-bit integers: the token is refused */
    const char *big[] = {"{\"exp\":9223372036854775808}", "{\"exp\":18446744073709551616}",
                         "{\"exp\":2000,\"nbf\":9223372036854775808}",
                         "{\"exp\":2000,\"iat\":-9223372036854775809}"};
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
        ok(pj_json_object(big[i], strlen(big[i]), &pwhy) == NULL,
           "claims: %s refused by the token's JSON parser", big[i]);
    pj_config_free(c);
    pj_config_free(m);
}

/* The claim checks' lines for the person at the prompt: UTC to the minute,
 * the token's audience (sanitized, the first of an array, or none). */
void test_claims_tell(void)
{
    int rc;
    char why[256], tell[256], t[64];
    pj_config *c = parse("key_file = /k\nallowed_subjects = *\naudience = ssh://%h\n", &rc);
    pj_scope sc = {"sshd", "h1"};
    struct { const char *claims; double now; const char *line; } cases[] = {
        {"{\"exp\":1700000000,\"aud\":\"ssh://h1\"}", 1700000031.0,
         "Token expired at 2023-11-14 22:13 UTC: get a new one."},
        {"{\"exp\":4102444900,\"nbf\":4102444800,\"aud\":\"ssh://h1\"}", 1700000000.0,
         "Token is not valid before 2100-01-01 00:00 UTC."},
        {"{\"exp\":1000,\"aud\":\"ssh://h2\"}", 900.0, "Token is for ssh://h2, this host takes ssh://h1."},
        {"{\"exp\":1000,\"aud\":[\"a\\u001bb\",\"c\"]}", 900.0,
         "Token is for a\\x1bb and 1 other, this host takes ssh://h1."},
        {"{\"exp\":1000,\"aud\":[]}", 900.0, "Token names no audience, this host takes ssh://h1."},
        {"{\"exp\":1000,\"aud\":[1]}", 900.0,
         "Token's audience is not a list of names, this host takes ssh://h1."},
        {"{\"aud\":\"ssh://h1\"}", 900.0,
         "Token has no expiry time (exp): this host takes only tokens that expire."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = J(cases[i].claims);
        tell[0] = '\0';
        int r = pj_check_claims_as(c, j, cases[i].now, &sc, c->audience, why, sizeof(why), tell,
                                   sizeof(tell));
        ok(r == -1 && strcmp(tell, cases[i].line) == 0, "tell: %s -> '%s' (got '%s')",
           cases[i].claims, cases[i].line, tell);
        json_decref(j);
    }
    /* device_audience: the audience given is the one checked */
    json_t *j = J("{\"exp\":1000,\"aud\":\"cli\"}");
    is_int(pj_check_claims_as(c, j, 900.0, &sc, "cli", why, sizeof(why), NULL, 0), 0,
           "claims: the audience given (device_audience) replaces audience");
    is_int(pj_check_claims(c, j, 900.0, &sc, why, sizeof(why)), -1,
           "claims: ... which still refuses aud cli");
    json_decref(j);
    pj_utc_minute(1e300, t, sizeof(t));
    ok(strcmp(t, "a time out of range") == 0, "utc: 1e300 is out of range (got '%s')", t);
    pj_utc_minute(0.0 / 0.0, t, sizeof(t));
    ok(strcmp(t, "a time out of range") == 0, "utc: NaN is out of range (got '%s')", t);
    pj_utc_minute(59.9, t, sizeof(t));
    ok(strcmp(t, "1970-01-01 00:00 UTC") == 0, "utc: whole minutes (got '%s')", t);
    pj_config_free(c);
}

void test_claims(void)
{
    int rc;
    pj_config *c = parse("key_file = /k\nallowed_subjects = *\n", &rc);
    char why[256];
    static const claim_case cases[] = {
        {"{\"exp\":1000,\"nbf\":900,\"iat\":800}", 1030.0, 0, "exp: now == exp + leeway accepted", NULL, NULL},
        {"{\"exp\":1000,\"nbf\":900,\"iat\":800}", 1030.001, -1, "exp: now > exp + leeway refused", "expired",
         "exp: reason says expired"},
        {"{\"exp\":1000,\"nbf\":900,\"iat\":800}", 870.0, 0, "nbf: now + leeway == nbf accepted", NULL, NULL},
        {"{\"exp\":1000,\"nbf\":900,\"iat\":800}", 869.9, -1, "nbf: now + leeway < nbf refused", NULL, NULL},
        {"{\"exp\":2000,\"iat\":1030}", 1000.0, 0, "iat: iat == now + leeway accepted", NULL, NULL},
        {"{\"exp\":2000,\"iat\":1030}", 999.0, -1, "iat: iat > now + leeway refused", NULL, NULL},
        {"{\"exp\":4600,\"iat\":1000}", 1000.0, 0, "max_lifetime: exp - iat == 3600 accepted", NULL, NULL},
        {"{\"exp\":4601,\"iat\":1000}", 1000.0, -1, "max_lifetime: 3601 s refused", NULL, NULL},
        {"{\"exp\":4601}", 1001.0, 0, "max_lifetime without iat: exp - now", NULL, NULL},
        {"{\"exp\":4601}", 1000.0, -1, "max_lifetime without iat: exp - now > max refused", NULL, NULL},
        {"{\"exp\":1000.5}", 1030.5, 0, "exp fraction: boundary accepted", NULL, NULL},
        {"{\"exp\":1000.5}", 1030.6, -1, "exp fraction: past boundary refused", NULL, NULL},
    };
    claim_cases(c, cases, N_CASES(cases));
    json_t *j;
    const char *badtypes[] = {"{}", "{\"exp\":\"1000\"}", "{\"exp\":null}", "{\"exp\":true}",
                              "{\"exp\":[1000]}", "{\"exp\":1000,\"nbf\":\"1\"}",
                              "{\"exp\":1000,\"iat\":{}}"};
    for (size_t i = 0; i < sizeof(badtypes) / sizeof(badtypes[0]); i++) {
        j = J(badtypes[i]);
        is_int(pj_check_claims(c, j, 900.0, NULL, why, sizeof(why)), -1, "claims refused: %s", badtypes[i]);
        json_decref(j);
    }
    pj_config_free(c);
}
