/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the contract's result table. */
#include "pam.h"

/* ---------------------------------------------------------- cases */

void test_result_table(void)
{
    char *t = es256(me, 300, NULL), *u = NULL;
    conf(NULL);
    is_int(auth(me, t), PAM_SUCCESS, "PAM_SUCCESS: valid ES256 token for PAM_USER");
    ok(strstr(last_prompt, "Token: ") != NULL, "default prompt is 'Token: ' (got '%s')",
       last_prompt);
    ok(log_has("accepted token for user"), "acceptance is logged");
    ok(!log_has(t), "the token never appears in a log line");
    ok(!log_has(strrchr(t, '.') + 1), "the signature never appears in a log line");

    is_int(auth_args(NULL, NULL, t, &u), PAM_SUCCESS, "rule 6: PAM_USER unset -> accepted");
    ok(u && strcmp(u, me) == 0, "rule 6: module set PAM_USER to the mapped user (%s)",
       u ? u : "(null)");
    free(u);

    is_int(auth(me, "hunter2"), PAM_IGNORE, "PAM_IGNORE: ordinary password");
    is_int(auth(me, ""), PAM_IGNORE, "PAM_IGNORE: empty answer");
    is_int(auth(me, "a.b."), PAM_IGNORE, "PAM_IGNORE: 'a.b.' (empty segment)");
    is_int(auth(me, "a..c"), PAM_IGNORE, "PAM_IGNORE: 'a..c'");
    is_int(auth(me, "a.b.c.d"), PAM_IGNORE, "PAM_IGNORE: four segments");
    is_int(auth(me, "abc.d+f.ghi"), PAM_IGNORE, "PAM_IGNORE: non-base64url character");
    is_int(auth(me, "correct horse.battery.staple"), PAM_IGNORE, "PAM_IGNORE: password with dots and space");

    char *bad = es256(me, -3600, NULL);
    is_int(auth(me, bad), PAM_AUTH_ERR, "PAM_AUTH_ERR: expired token");
    ok(log_has("refused: token expired"), "refusal logged with reason");
    ok(log_has("sub="), "refusal log names the sub");
    free(bad);

    is_int(auth("nosuchuser-pamjwt", NULL) , PAM_IGNORE, "NULL answer is treated as empty input");

    char *nouser = es256("nosuchuser-pamjwt", 300, NULL);
    is_int(auth_args(NULL, NULL, nouser, NULL), PAM_USER_UNKNOWN,
           "PAM_USER_UNKNOWN: mapped user does not exist (PAM_USER unset)");
    is_int(auth("nosuchuser-pamjwt", nouser), PAM_USER_UNKNOWN,
           "PAM_USER_UNKNOWN: mapped user does not exist (PAM_USER set to it)");
    free(nouser);

    conf("bogus_key = 1");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL: unknown config key");
    ok(log_has("pam_jwt.conf:5: unknown key 'bogus_key'"), "config error names file and line");
    is_int(auth(me, "hunter2"), PAM_IGNORE,
           "rule 2: broken config still ignores a non-JWT password");
    ok(log_has("unknown key 'bogus_key'"), "rule 2: ... and the config error is still logged");
    conf(NULL);

    conv_fail = 1;
    is_int(auth(me, t), PAM_CONV_ERR, "PAM_CONV_ERR: conversation failed");
    conv_fail = 0;

    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    char stack[4096];
    snprintf(stack, sizeof(stack), "auth required %s config=%s/pam_jwt.conf\n", so, dir);
    write_text("svc", stack, 0644);
    pam_start_confdir("svc", me, &c, dir, &h);
    is_int(pam_setcred(h, PAM_ESTABLISH_CRED), PAM_SUCCESS, "pam_sm_setcred returns PAM_SUCCESS");
    pam_end(h, PAM_SUCCESS);
    free(t);
}
