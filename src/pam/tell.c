/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "tell.h"

#include <security/pam_appl.h>

#include <stdlib.h>

#include "util.h"

void pj_tell(pam_handle_t *pamh, bool quiet, int rc, const char *line)
{
    const void *item = NULL;
    const struct pam_conv *conv;
    struct pam_message msg = {PAM_ERROR_MSG, line};
    const struct pam_message *msgp = &msg;
    struct pam_response *resp = NULL;

    if (quiet || line == NULL || line[0] == '\0' || rc == PAM_SUCCESS || rc == PAM_IGNORE)
        return;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == NULL)
        return;
    conv = item;
    if (conv->conv == NULL)
        return;
    /* A message wants no answer; one the application gives anyway is
     * freed.  A failure changes nothing: the refusal stands, and its log
     * line is written already. */
    (void)conv->conv(1, &msgp, &resp, conv->appdata_ptr);
    if (resp != NULL) {
        pj_free_str(resp->resp);
        free(resp);
    }
}
