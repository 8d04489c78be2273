/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups from the token: what pam_sm_authenticate hands to pam_sm_setcred
 * on the same handle (pam_set_data), and setcred adding the groups. */
#ifndef PJ_SETCRED_H
#define PJ_SETCRED_H

#include <security/pam_modules.h>

#include "log.h"
#include "util.h"

/* Forget what an earlier authentication on this handle left for setcred:
 * called before every decision, so only the attempt that accepted counts. */
void pj_grant_clear(pam_handle_t *pamh);

/* This module accepted a token for user that maps to groups (not empty):
 * keep both for setcred.  PAM_SUCCESS, or PAM_BUF_ERR (logged). */
int pj_grant_store(pam_handle_t *pamh, const char *user, const pj_strlist *groups,
                   const pj_log *log);

/* pam_sm_setcred: with PAM_ESTABLISH_CRED or PAM_REINITIALIZE_CRED, when
 * this module accepted a token on the handle and PAM_USER is still its
 * user, add the groups that exist to the process's supplementary groups
 * (never removing one).  PAM_SUCCESS, or PAM_CRED_ERR when they cannot be
 * set (logged). */
int pj_grant_apply(pam_handle_t *pamh, int flags, const pj_log *log);

#endif
