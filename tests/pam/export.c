/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the PAM environment exported after a sign-in. */
#include "pam.h"

/* Claims in the PAM environment (contract "Claims in the PAM environment"). */
void test_export(void)
{
    char big[1200], c[2048];
    memset(big, 'x', 1025);
    big[1025] = '\0';
    conf("export_claims = sub email n adm a-b.c grp big ctl missing f");
    snprintf(c, sizeof(c),
             "\"email\":\"me@example.com\",\"n\":42,\"adm\":true,\"a-b.c\":\"dash\","
             "\"grp\":[\"a\",\"b\"],\"big\":\"%s\",\"ctl\":\"a\\u001bb\",\"f\":1.5", big);
    char *t = es256(me, 300, c);
    is_int(auth(me, t), PAM_SUCCESS, "export_claims: accepted");
    char want[512];
    snprintf(want, sizeof(want), "PAM_JWT_SUB=%s\n", me);
    ok(strstr(envbuf, want) != NULL, "export: PAM_JWT_SUB set");
    ok(strstr(envbuf, "PAM_JWT_EMAIL=me@example.com\n") != NULL, "export: string claim");
    ok(strstr(envbuf, "PAM_JWT_N=42\n") != NULL, "export: integer claim");
    ok(strstr(envbuf, "PAM_JWT_ADM=true\n") != NULL, "export: boolean claim");
    ok(strstr(envbuf, "PAM_JWT_A_B_C=dash\n") != NULL, "export: name upper-cased, '-' and '.' made '_'");
    ok(strstr(envbuf, "PAM_JWT_GRP") == NULL, "export: an array is not exported");
    ok(strstr(envbuf, "PAM_JWT_F=") == NULL, "export: a fraction is not exported");
    ok(strstr(envbuf, "PAM_JWT_BIG") == NULL, "export: a value over 1024 bytes is not exported");
    ok(log_has("claim big not exported: value longer than 1024 bytes"), "... with a log line");
    ok(strstr(envbuf, "PAM_JWT_CTL") == NULL, "export: a value with a control character is not");
    ok(log_has("claim ctl not exported"), "... with a log line");
    ok(strstr(envbuf, "PAM_JWT_MISSING") == NULL, "export: a missing claim is skipped");
    free(t);
    memset(big, 'y', 1024);
    big[1024] = '\0';
    snprintf(c, sizeof(c), "\"big\":\"%s\"", big);
    t = es256(me, 300, c);
    is_int(auth(me, t), PAM_SUCCESS, "export: 1024-byte value: accepted");
    ok(strstr(envbuf, "PAM_JWT_BIG=yyyy") != NULL, "export: a 1024-byte value is exported");
    free(t);
    t = es256(me, -300, "\"email\":\"me@example.com\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "export: an expired token is refused");
    ok(strstr(envbuf, "PAM_JWT_") == NULL, "export: nothing exported on refusal");
    free(t);
    /* bidirectional controls: a value that reads other than it is */
    conf("export_claims = b1 b2 b3 b4 b5 b6 ok");
    t = es256(me, 300, "\"b1\":\"a\u202eb\",\"b2\":\"a\u2066b\",\"b3\":\"a\u200fb\","
                       "\"b4\":\"\u061c\",\"b5\":\"a\u202ab\",\"b6\":\"ab\u2069\","
                       "\"ok\":\"a\u2065\u202f\u200d\u061bb\"");
    is_int(auth(me, t), PAM_SUCCESS, "export: bidi controls: accepted");
    ok(strstr(envbuf, "PAM_JWT_B") == NULL, "export: values with bidi controls are not exported");
    ok(log_has("claim b1 not exported: value holds a bidirectional control character") &&
           log_has("claim b4 not exported") && log_has("claim b6 not exported"),
       "... each with a log line");
    ok(strstr(envbuf, "PAM_JWT_OK=a") != NULL, "export: neighbours of the bidi controls are exported");
    free(t);
    conf("export_claims = sub sub");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "export_claims naming a claim twice: config error");
    free(t);
    /* names that would set one variable: a config error naming both */
    t = es256(me, 300, NULL);
    const char *coll[][2] = {{"a-b a_b", "a-b and a_b"}, {"sub Sub", "sub and Sub"},
                             {"x.y z x:y", "x.y and x:y"}};
    for (size_t i = 0; i < 3; i++) {
        char line[200];
        snprintf(line, sizeof(line), "export_claims = %s", coll[i][0]);
        conf(line);
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "export_claims = %s: config error", coll[i][0]);
        snprintf(line, sizeof(line), "%s would both be exported as the same PAM_JWT_ variable",
                 coll[i][1]);
        ok(log_has(line), "... naming both (%s)", coll[i][1]);
    }
    conf("export_claims = a-b a_bc ab");
    is_int(auth(me, t), PAM_SUCCESS, "export_claims: distinct variables are fine");
    free(t);
}

/* One handle, two attempts: an earlier module (here the application) put
 * PAM_JWT_EMAIL and PAM_JWT_OTHER in the environment; pam_jwt clears the
 * names its export_claims lists at every attempt, accepted or not. */
void test_export_clears(void)
{
    char stack[4096];
    pam_handle_t *h = NULL;
    struct pam_conv cv = {conv, NULL};
    conf("export_claims = sub email");
    snprintf(stack, sizeof(stack), "auth required %s config=%s/pam_jwt.conf\n", so, dir);
    write_text(service, stack, 0644);
    char *good = es256(me, 300, NULL), *bad = es256(me, -300, "\"email\":\"x@example.com\"");
    const char *toks[] = {good, bad, "hunter2"};
    const char *what[] = {"accepted without an email claim", "refused", "ignored (a password)"};
    int want[] = {PAM_SUCCESS, PAM_AUTH_ERR, PAM_AUTH_ERR};
    for (size_t i = 0; i < 3; i++) {
        pam_start_confdir(service, me, &cv, dir, &h);
        pam_putenv(h, "PAM_JWT_EMAIL=forged@evil.example");
        pam_putenv(h, "PAM_JWT_SUB=someone-else");
        pam_putenv(h, "PAM_JWT_OTHER=kept");
        answer = toks[i];
        int rc = pam_authenticate(h, 0);
        /* an all-ignore stack fails with a code of libpam's choosing */
        ok(want[i] == PAM_SUCCESS ? rc == PAM_SUCCESS : rc != PAM_SUCCESS,
           "export clears: %s (rc %d)", what[i], rc);
        ok(pam_getenv(h, "PAM_JWT_EMAIL") == NULL,
           "... an earlier PAM_JWT_EMAIL is removed (got %s)",
           pam_getenv(h, "PAM_JWT_EMAIL") ? pam_getenv(h, "PAM_JWT_EMAIL") : "(none)");
        const char *sub = pam_getenv(h, "PAM_JWT_SUB");
        if (i == 0)
            ok(sub != NULL && strcmp(sub, me) == 0, "... PAM_JWT_SUB is the token's (%s)",
               sub ? sub : "(none)");
        else
            ok(sub == NULL, "... an earlier PAM_JWT_SUB is removed (got %s)", sub ? sub : "(none)");
        ok(pam_getenv(h, "PAM_JWT_OTHER") != NULL, "... a name not in export_claims is left alone");
        pam_end(h, PAM_SUCCESS);
    }
    free(good);
    free(bad);
    conf(NULL);
}
