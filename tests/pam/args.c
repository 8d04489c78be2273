/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the module arguments. */
#include "pam.h"

void test_args(void)
{
    char *t = es256(me, 300, NULL);
    char stack[8192];
    conf(NULL);
    is_int(auth_args("frobnicate", me, t, NULL), PAM_AUTHINFO_UNAVAIL, "unknown module argument fails closed");
    ok(log_has("unknown module argument 'frobnicate'"), "unknown argument logged");
    is_int(auth_args("frobnicate", me, "hunter2", NULL), PAM_IGNORE,
           "unknown module argument: ordinary password still ignored");
    /* config= follows the rule of every path: a '%' is a config error (a
     * usable config at that very path is never read) */
    {
        char a[600], conf_text[8192];
        FILE *f = fopen(P("pam_jwt.conf"), "r");
        size_t n = f ? fread(conf_text, 1, sizeof(conf_text) - 1, f) : 0;
        if (f)
            fclose(f);
        conf_text[n] = '\0';
        write_text("pj%h.conf", conf_text, 0644);
        snprintf(a, sizeof(a), "config=%s/pj%%h.conf", dir);
        is_int(auth_args(a, me, t, NULL), PAM_AUTHINFO_UNAVAIL, "config= with '%%': fails closed");
        ok(log_has("'%' in a path"), "config= with '%%': logged (%s)", logbuf);
        is_int(auth_args(a, me, "hunter2", NULL), PAM_IGNORE,
               "config= with '%%': ordinary password still ignored");
        unlink(P("pj%h.conf"));
    }
    is_int(auth_args("debug", me, t, NULL), PAM_SUCCESS, "debug accepted");
    ok(log_has("signature verified by"), "debug logs decision steps");
    ok(!log_has(t) && !log_has(strrchr(t, '.') + 1), "debug never logs the token");
    is_int(auth_args("[prompt=JWT token: ]", me, t, NULL), PAM_SUCCESS, "bracketed prompt= accepted");
    ok(strcmp(last_prompt, "JWT token: ") == 0, "prompt text used: '%s'", last_prompt);
    is_int(auth_args("use_first_pass", me, t, NULL), PAM_AUTH_ERR,
           "use_first_pass without an earlier token -> PAM_AUTH_ERR");
    is_int(conv_calls, 0, "use_first_pass never prompts");
    is_int(auth_args("try_first_pass", me, t, NULL), PAM_SUCCESS, "try_first_pass prompts when no token");

    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\nauth required %s config=%s/pam_jwt.conf use_first_pass\n",
             settok, t, so, dir);
    is_int(auth_stack(stack, me, "not-used", NULL), PAM_SUCCESS, "use_first_pass uses PAM_AUTHTOK");
    is_int(conv_calls, 0, "no prompt when PAM_AUTHTOK is set");
    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\nauth required %s config=%s/pam_jwt.conf\n", settok, t, so, dir);
    is_int(auth_stack(stack, me, "not-used", NULL), PAM_SUCCESS, "try_first_pass uses PAM_AUTHTOK");
    /* the contract's stack: a password falls through to the next module */
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf\n"
             "auth required %s expect=hunter2\n",
             so, dir, settok);
    is_int(auth_stack(stack, me, "hunter2", NULL), PAM_SUCCESS,
           "password falls through to the next module with PAM_AUTHTOK set");
    is_int(auth_stack(stack, me, "wrong", NULL), PAM_AUTH_ERR, "next module still checks the password");
    is_int(auth_stack(stack, me, t, NULL), PAM_SUCCESS, "token: success=done");
    char *bad = es256(me, -3600, NULL);
    is_int(auth_stack(stack, me, bad, NULL), PAM_AUTH_ERR, "bad token: default=die, next module not run");
    free(bad);
    free(t);
}
