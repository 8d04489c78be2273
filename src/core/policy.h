/* SPDX-License-Identifier: BSD-3-Clause */
/* Which config decides a token: one config file, or a directory of issuer
 * policies (`*.conf`, one per issuer) chosen by the token's `iss`. */
#ifndef PJ_POLICY_H
#define PJ_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "pjconfig.h"

/* Bounds on a policy directory. */
#define PJ_MAX_DIR_ENTRIES 1024 /* directory entries read */
#define PJ_MAX_POLICIES 64      /* *.conf files */

typedef struct pj_policy {
    char *file;              /* the policy file's path */
    pj_config *c;            /* NULL when it failed to load */
    bool duplicate;          /* another file names the same issuer */
} pj_policy;

typedef struct pj_policies {
    bool is_dir;             /* config= named a directory */
    pj_policy *v;
    size_t n;
    bool any_failed;         /* some policy file failed to load */
} pj_policies;

/* Load a config file (one policy that decides every token) or a policy
 * directory.  NULL when nothing can be decided with it: the file is
 * unusable, or the directory is unsafe, unreadable, too large or has no
 * policy file (logged).  A directory whose individual files fail still
 * loads: those files are marked failed (logged). */
pj_policies *pj_policies_load(const char *path, const pj_log *log);
void pj_policies_free(pj_policies *ps);
/* The directory case of pj_policies_load, from fd: the directory already
 * opened and checked by pj_open_dir (-1: its failure, already logged).
 * Takes over fd.  path names the directory in log lines. */
pj_policies *pj_policies_load_dir(int fd, const char *path, const pj_log *log);

typedef enum {
    PJ_POLICY_FOUND,         /* *c is the policy to decide with */
    PJ_POLICY_NONE,          /* no policy names this issuer */
    PJ_POLICY_BROKEN,        /* the token may belong to a failed policy */
} pj_policy_choice;

/* Choose by iss (NULL when the token has no string iss; len its length:
 * an iss with a NUL byte inside matches no policy).  For a single file
 * that file is always FOUND. */
pj_policy_choice pj_policies_select(const pj_policies *ps, const char *iss, size_t len,
                                    pj_config **c);

#endif
