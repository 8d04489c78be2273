/* SPDX-License-Identifier: BSD-3-Clause */
/* Running a helper program from inside the application's (root) process:
 * the one place that forks.  The child gets a session of its own (no
 * controlling terminal), the helper user's ids (never root, never gid 0),
 * resource limits, an empty environment, the two pipes as stdin and
 * stdout and /dev/null as stderr and nothing else, a parent-death signal,
 * no_new_privs and no dumpability.  The caller owns the dialogue; this file
 * owns the process: the user check, the path check, the start, the wait
 * and the kill of its whole process group.  In the shape of OpenSSH's
 * subprocess() and exited_cleanly(). */
#ifndef PJ_SPAWN_H
#define PJ_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"

/* Who runs the helper. */
typedef struct pj_runas {
    const char *name;
    uid_t uid;
    gid_t gid;
    bool switch_user; /* the module runs as root: setgroups/setgid/setuid */
} pj_runas;

/* A running helper. */
typedef struct pj_proc {
    pid_t pid;        /* also its process group */
    int out;          /* the read end of its stdout, or -1 */
    struct sigaction old_chld; /* the application's SIGCHLD, restored by pj_spawn_end */
} pj_proc;

/* What a uid/gid/group list must not be for a helper user: uid 0, gid 0
 * (primary or in groups), the overflow uid (or 65534, nobody's usual
 * uid).  NULL when fine, else why. */
const char *pj_runas_refused(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
                             uid_t overflow);

/* Look up name and check it (pj_runas_refused); when the module does not
 * run as root the helper can only run as the module's own user.  0 or -1
 * (logged). */
int pj_runas_find(const char *name, pj_runas *ru, const pj_log *log);

/* OpenSSH's safe_path: path and every directory above it are owned by root
 * (or the module's effective uid) and not writable by group or others; path
 * is a regular file and no component is a symbolic link.  0 or -1
 * (logged, `what` names the setting). */
int pj_safe_path(const char *path, const char *what, const pj_log *log);

/* Start path as ru.  The request (n bytes) is written to its stdin without
 * blocking past deadline_ms (pj_mono_ms), then stdin is closed.  0 with
 * p->pid and p->out, or -1 (logged, nothing left running). */
int pj_spawn(pj_proc *p, const char *path, const pj_runas *ru, const char *req, size_t n,
             int64_t deadline_ms, const pj_log *log);

/* End the helper: wait up to grace_ms for it to exit by itself (its output
 * has ended), then kill its whole process group and reap it; the
 * application's SIGCHLD disposition is restored.  The wait status, or -1.
 * Closes p->out. */
int pj_spawn_end(pj_proc *p, int grace_ms);

/* "exit status 3", "killed by signal 9", ... for log lines. */
void pj_spawn_describe(int status, char *out, size_t sz);

#endif
