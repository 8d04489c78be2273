/* SPDX-License-Identifier: BSD-3-Clause */
/* A test-only PAM module.  "set=VALUE": set PAM_AUTHTOK to VALUE and return
 * PAM_IGNORE (an earlier module that collected a token).  "expect=VALUE":
 * PAM_SUCCESS when PAM_AUTHTOK equals VALUE, else PAM_AUTH_ERR (a later
 * module such as pam_unix try_first_pass).  "tty=VALUE": PAM_SUCCESS when
 * PAM_TTY (which the application sets) equals VALUE, else PAM_AUTH_ERR (a
 * module whose answer changes between attempts).  "ignored": return
 * PAM_CRED_INSUFFICIENT, so a test sees that the stack went on past an
 * ignoring module. */
#define PAM_SM_AUTH
#include <security/pam_modules.h>
#include <string.h>

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv);
int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv);

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "ignored") == 0)
            return PAM_CRED_INSUFFICIENT; /* marks "the module before us ignored" */
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "set=", 4) == 0) {
            pam_set_item(pamh, PAM_AUTHTOK, argv[i] + 4);
            return PAM_IGNORE;
        }
        if (strncmp(argv[i], "tty=", 4) == 0) {
            const void *t = NULL;
            pam_get_item(pamh, PAM_TTY, &t);
            return t && strcmp(t, argv[i] + 4) == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
        }
        if (strncmp(argv[i], "expect=", 7) == 0) {
            const void *t = NULL;
            pam_get_item(pamh, PAM_AUTHTOK, &t);
            return t && strcmp(t, argv[i] + 7) == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
        }
    }
    return PAM_SERVICE_ERR;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
