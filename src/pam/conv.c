/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "conv.h"

#include "util.h"

#include <security/pam_appl.h>

#include <stdlib.h>

int pj_conv(pam_handle_t *pamh, int style, const char *text, char **answer)
{
    const void *item = NULL;
    const struct pam_conv *conv;
    struct pam_message msg = {style, text};
    const struct pam_message *msgp = &msg;
    struct pam_response *resp = NULL;
    int rc;

    if (answer != NULL)
        *answer = NULL;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == NULL)
        return -1;
    conv = item;
    if (conv->conv == NULL)
        return -1;
    rc = conv->conv(1, &msgp, &resp, conv->appdata_ptr);
    if (resp != NULL) {
        if (rc == PAM_SUCCESS && answer != NULL)
            *answer = resp->resp; /* NULL when the application gave no answer */
        else
            pj_free_str(resp->resp);
        free(resp);
    }
    if (rc != PAM_SUCCESS)
        return -1;
    return answer == NULL || *answer != NULL ? 0 : -1;
}

int pj_conv_ask(void *ctx, const char *prompt, char **answer)
{
    return pj_conv(ctx, PAM_PROMPT_ECHO_OFF, prompt, answer);
}
