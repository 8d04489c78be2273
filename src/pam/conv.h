/* SPDX-License-Identifier: BSD-3-Clause */
/* The one way the module talks through the application's conversation
 * function: one message at a time, called directly (pam_get_authtok
 * refuses answers of 512 bytes or more, and pam_prompt logs its own line
 * on failure: the module logs one, with a hint). */
#ifndef PJ_CONV_H
#define PJ_CONV_H

#include <security/pam_modules.h>

/* One message of style (PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON,
 * PAM_TEXT_INFO, PAM_ERROR_MSG).  answer: NULL for a message that wants
 * none, else it gets the malloc'd answer (the caller wipes it).  0, or -1
 * when the conversation failed or a wanted answer did not come. */
int pj_conv(pam_handle_t *pamh, int style, const char *text, char **answer);

/* The token prompt's shape for pj_chunk_ask and the proof of possession:
 * ctx is the pam handle, the answer does not echo. */
int pj_conv_ask(void *ctx, const char *prompt, char **answer);

#endif
