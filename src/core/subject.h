/* SPDX-License-Identifier: BSD-3-Clause */
/* Who may log in and as whom: allow-lists, the user map, revoked ids. */
#ifndef PJ_SUBJECT_H
#define PJ_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "pjconfig.h"

/* allowed_subjects ('*' included) or a line of allowed_subjects_file. */
bool pj_subject_allowed(const pj_config *c, const char *sub);
/* Map a subject to a local user name (malloc'd into *user): the first
 * user_map_file rule that matches, in one pass that reads every line; a
 * malformed line anywhere in the map is PJ_MAP_BROKEN (logged, with its
 * line), whichever rule matches. */
typedef enum {
    PJ_MAP_BROKEN = -2,
    PJ_MAP_NOMEM = -1,
    PJ_MAP_NONE = 0,
    PJ_MAP_FOUND = 1,
    PJ_MAP_REFUSED = 2 /* the matching rule uses %l and the subject has more
                        * than one '@' (the caller logs the refusal) */
} pj_map_result;
pj_map_result pj_map_user(const pj_config *c, const char *sub, char **user, const pj_log *log);
/* A plausible local user name: 1..255 bytes, no control characters, no
 * white space, no '/' or ':'. */
bool pj_user_name_ok(const char *u);
/* Is this jti listed in revoked_file? */
bool pj_jti_revoked(const pj_config *c, const char *jti);
/* Could this jti (len bytes) be revoked: written as a line of revoked_file,
 * would pj_jti_revoked find it?  True exactly when the line reader gives it
 * back whole: not empty; no NUL or LF; no white space (space, tab, CR) at
 * either end; no '#' at the start or after white space (a comment). */
bool pj_jti_revocable(const char *jti, size_t len);

#endif
