/* SPDX-License-Identifier: BSD-3-Clause */
/* What the person at the prompt is told: one line when the module refuses
 * (the contract's table; pam_jwt(8) lists every line). */
#ifndef PJ_TELL_H
#define PJ_TELL_H

#include <security/pam_modules.h>
#include <stdbool.h>

/* Send line as PAM_ERROR_MSG through the application's conversation,
 * just before the module returns rc.  Nothing is sent when quiet (the
 * module argument), when line is NULL or empty, or when rc is PAM_SUCCESS
 * or PAM_IGNORE (the next module handles the answer).  PAM_SILENT does
 * not silence it: sudo calls pam_authenticate with that flag, and sudo is
 * where the line helps most; "quiet" is the switch.  Whoever
 * refused (the decision, device sign-in, the token prompt) only fills in
 * the line. */
void pj_tell(pam_handle_t *pamh, bool quiet, int rc, const char *line);

#endif
