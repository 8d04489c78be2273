/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups from the token (group_map, group_claim): the map file's rules and
 * which local groups an accepted token's claim maps to.  Pure but for
 * pj_group_map_check_gids (the group database); the module's setcred
 * (src/pam/setcred.c) adds the groups to the process. */
#ifndef PJ_GROUPS_H
#define PJ_GROUPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "util.h"

#define PJ_DEFAULT_GROUP_CLAIM "groups"
#define PJ_MAX_GROUP_MAP_SIZE (1024 * 1024) /* bytes of a group_map file */
#define PJ_MAX_GROUP_RULES 1024             /* rules in one group_map */
#define PJ_MAX_GROUP_LINE 4096              /* bytes of one line */
#define PJ_MAX_GROUPS_ADDED 64              /* local groups one login adds */

/* One rule: the identity provider's group (exact string) and the local
 * group name; line is the rule's line in the file, for log lines. */
typedef struct pj_group_rule {
    char *idp, *local;
    unsigned line;
} pj_group_rule;

typedef struct pj_group_map {
    char *path; /* group_map = PATH; NULL when not set */
    pj_group_rule *v;
    size_t n;
} pj_group_map;

/* Parse a group_map file's text (no file access): one rule a line,
 * "IDP-GROUP LOCAL-GROUP" (LOCAL-GROUP is the last white-space separated
 * word, IDP-GROUP everything before it, trimmed, so it may hold spaces);
 * '#' at the start of a line or after white space starts a comment.  -1 on
 * the first error, logged with m->path and the line; 0 otherwise. */
int pj_group_map_parse(pj_group_map *m, const char *text, size_t len, const pj_log *log);

/* Look up every rule's local group: one whose gid is 0 is a config error
 * (-1, logged with file and line).  A group that does not exist is not
 * (setcred logs and skips it). */
int pj_group_map_check_gids(const pj_group_map *m, const pj_log *log);

void pj_group_map_free(pj_group_map *m);

/* The local groups the claim named `claim` of an accepted token maps to,
 * appended to out in the map's rule order, each once, at most
 * PJ_MAX_GROUPS_ADDED; *dropped counts the further distinct groups that
 * matched.  The claim is a string or an array (members that are not
 * strings are ignored); anything else maps to nothing.  Comparison is
 * exact (bytes and length).  -1 only when out of memory. */
int pj_groups_map(const pj_group_map *m, json_t *claims, const char *claim, pj_strlist *out,
                  size_t *dropped);

#endif
