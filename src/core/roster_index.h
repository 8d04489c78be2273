/* SPDX-License-Identifier: BSD-3-Clause */
/* The roster as the module sees it: the index `pamjwt roster apply`
 * writes under the state directory, one small file per subject and one per
 * name, so a login reads two small files, never the roster itself
 * (contract "Users and groups from a roster").
 *
 *   DIR/index/s-HEX   HEX = lower-case hex SHA-256 of iss NUL sub;
 *                     holds "NAME\n" or "NAME locked\n"
 *   DIR/index/n-NAME  exists for every roster user (active or locked)
 *
 * Both are read with the safe file reader (root-owned, no links). */
#ifndef PJ_ROSTER_INDEX_H
#define PJ_ROSTER_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#ifndef PJ_ROSTER_STATE_DIR
#define PJ_ROSTER_STATE_DIR "/var/lib/pamjwt/roster"
#endif
#define PJ_ROSTER_INDEX "index"
/* "s-" + 64 hex digits + NUL */
#define PJ_ROSTER_SUBJECT_FILE 67
/* The longest roster name ([a-z_][a-z0-9_-]{0,31}). */
#define PJ_ROSTER_MAX_NAME 32

/* "s-HEX" for (iss, sub) into out (PJ_ROSTER_SUBJECT_FILE bytes): 0, or -1. */
int pj_roster_subject_file(const char *iss, size_t iss_len, const char *sub, size_t sub_len,
                           char out[PJ_ROSTER_SUBJECT_FILE]);

/* Is name a roster name: [a-z_][a-z0-9_-]{0,31}? */
bool pj_roster_name_ok(const char *name);

typedef enum {
    PJ_ROSTER_UNAVAIL = -1, /* the index cannot be read safely (logged) */
    PJ_ROSTER_NONE = 0,     /* not in the roster */
    PJ_ROSTER_ACTIVE = 1,   /* a roster user: *name set (malloc'd) */
    PJ_ROSTER_LOCKED = 2,   /* a roster user who left: *name set */
} pj_roster_hit;

/* The roster user whose (iss, sub) this is.  dir is the state directory. */
pj_roster_hit pj_roster_by_subject(const char *dir, const char *iss, size_t iss_len,
                                   const char *sub, size_t sub_len, char **name,
                                   const pj_log *log);
/* Has a roster been applied under dir (dir/index exists, or cannot be
 * told not to: pj_roster_by_name then says UNAVAIL)?  Every policy asks,
 * roster = yes or not, so another issuer's map never reaches a roster
 * user. */
bool pj_roster_present(const char *dir);
/* Is name a roster user's name (ACTIVE: yes; NONE: no; UNAVAIL)? */
pj_roster_hit pj_roster_by_name(const char *dir, const char *name, const pj_log *log);

#endif
