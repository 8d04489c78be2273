/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/scope.c. */
#include "unit.h"

/* A scoped value that cannot be expanded says why: the service, the host
 * name, or the length (never blames the service for another cause). */
void test_scope_reasons(void)
{
    int rc;
    char why[256], longv[5000];
    pj_scope no_host = {"sshd", NULL}, no_svc = {NULL, "h.example"}, both = {"sshd", "h.example"};
    json_t *j = J("{\"exp\":1000,\"aud\":\"x\",\"c\":\"x\"}");
    struct {
        const char *conf;
        const pj_scope *sc;
        const char *want;
    } cases[] = {
        {"audience = ssh://%h\n", &no_host, "audience uses %h but the host name is unknown"},
        {"audience = ssh://%h\n", NULL, "audience uses %h but the host name is unknown"},
        {"audience = %s\n", &no_svc, "audience uses %s but the PAM service is unknown"},
        {"require_claim = c %h\n", &no_host, "require_claim c uses %h but the host name is unknown"},
        {"require_claim = c %s\n", &no_svc, "require_claim c uses %s but the PAM service is unknown"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "key_file = /k\nallowed_subjects = *\n%s", cases[i].conf);
        pj_config *c = parse(text, &rc);
        why[0] = '\0';
        ok(rc == 0 && pj_check_claims(c, j, 900.0, cases[i].sc, why, sizeof(why)) == -1 &&
               strcmp(why, cases[i].want) == 0,
           "scoped value: '%s' (got '%s')", cases[i].want, why);
        pj_config_free(c);
    }
    /* 4000 bytes of %h%h... with a long host name: too long, not "no service" */
    memcpy(longv, "audience = ", 11);
    size_t o = 11;
    for (; o < 11 + 4000; o++)
        longv[o] = (o % 2) ? '%' : 'h';
    longv[o++] = '\n';
    longv[o] = '\0';
    char text[8192];
    snprintf(text, sizeof(text), "key_file = /k\nallowed_subjects = *\n%s", longv);
    pj_config *c = parse(text, &rc);
    why[0] = '\0';
    ok(rc == 0 && pj_check_claims(c, j, 900.0, &both, why, sizeof(why)) == -1 &&
           strcmp(why, "audience is too long once %h and %s are replaced") == 0,
       "scoped value: too long once expanded (got '%s')", why);
    pj_config_free(c);
    json_decref(j);
}
