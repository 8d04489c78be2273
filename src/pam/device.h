/* SPDX-License-Identifier: BSD-3-Clause */
/* Device sign-in at the prompt (the contract's "Sign in with a browser at
 * the prompt"): the module side.  The network work is done by a helper
 * program (pamjwt-device) run as an unprivileged user with an empty
 * environment, resource limits and only two pipes; the module reads its
 * bounded output (device_reply.h), shows the URL and code as a prompt and
 * waits for the token, at most device_timeout from the start.  The token is
 * then decided by pj_decide like a typed one. */
#ifndef PJ_DEVICE_H
#define PJ_DEVICE_H

#include <security/pam_modules.h>

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "pjconfig.h"
#include "policy.h"

#define PJ_DEVICE_PROMPT "Token (empty to sign in with a browser): "
#define PJ_DEVICE_UNAVAILABLE_LINE \
    "Token login is unavailable on this host (see the system log)."
#define PJ_DEVICE_USER_LINE 128 /* room for the line to the person at the prompt */

typedef enum {
    PJ_DEV_TOKEN,   /* *token holds what the helper got (to be decided) */
    PJ_DEV_REFUSED, /* denied, expired, not approved in time: PAM_AUTH_ERR */
    PJ_DEV_UNAVAIL, /* the helper could not run, failed or misbehaved */
    PJ_DEV_CONV,    /* the conversation failed at the sign-in prompt */
} pj_dev_outcome;

/* The policy that sets device_flow = yes, or NULL (also for NULL ps). */
const pj_config *pj_device_policy(const pj_policies *ps);

/* Is device sign-in offered to a login from rhost (PAM_RHOST, or NULL)?
 * device_from unset or no rhost: yes; else rhost must be an address in one
 * of its networks (a name matches nothing: nothing is resolved). */
bool pj_device_offered(const pj_config *c, const char *rhost);

/* Run a device sign-in for policy c.  Every outcome but PJ_DEV_TOKEN is
 * logged here and gets its line for the person at the prompt in user_line
 * (ulsz bytes, "" for PJ_DEV_TOKEN and PJ_DEV_CONV); *token (malloc'd) is
 * the caller's to wipe. */
pj_dev_outcome pj_device_signin(pam_handle_t *pamh, const pj_config *c, const pj_log *log,
                                char **token, char *user_line, size_t ulsz);

#endif
