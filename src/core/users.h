/* SPDX-License-Identifier: BSD-3-Clause */
/* The one user lookup: a mapped user (decide.c) and the device helper's
 * user (spawn.c) are found the same way. */
#ifndef PJ_USERS_H
#define PJ_USERS_H

#include <sys/types.h>

#include "log.h"

typedef enum { PJ_USER_FOUND, PJ_USER_MISSING, PJ_USER_LOOKUP_FAILED } pj_user_lookup_result;

/* getpwnam_r with a buffer that grows (bounded) until the entry fits; uid
 * and gid (either may be NULL) set when found.  A failed lookup is logged. */
pj_user_lookup_result pj_user_lookup(const char *user, uid_t *uid, gid_t *gid,
                                     const pj_log *log);

/* The kernel's overflow uid (/proc/sys/kernel/overflowuid, 65534 when it
 * cannot be read): the uid of "nobody", which owns what a user namespace
 * cannot map; never a login target, never a helper's user. */
uid_t pj_overflow_uid(void);

#endif
