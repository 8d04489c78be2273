/* SPDX-License-Identifier: BSD-3-Clause */
/* Opening files an attacker must not be able to swap or edit: the config,
 * keys, secrets, lists.  Regular file, not a symbolic link (O_NOFOLLOW),
 * owned by root or the effective uid, not writable by group or others,
 * (secrets) not readable by group or others, and no larger than a cap. */
#ifndef PJ_SAFEFILE_H
#define PJ_SAFEFILE_H

#include <stddef.h>

#include "log.h"

enum {
    PJ_FILE_PUBLIC = 0, /* may be world-readable */
    PJ_FILE_SECRET = 1, /* must not be readable by group or others */
};

/* Size caps. */
#define PJ_MAX_CONFIG_SIZE (64 * 1024)
#define PJ_MAX_KEY_SIZE (1024 * 1024)
#define PJ_MAX_LIST_SIZE (64 * 1024 * 1024)

/* Read the whole file into a NUL-terminated buffer (*len excludes the NUL).
 * On failure logs one line naming the file and the problem and returns -1.
 * what is a word for the log line, e.g. "key_file". */
int pj_read_file(const char *path, const char *what, int flags, size_t max,
                 const pj_log *log, char **buf, size_t *len);

/* The same for the file name in the directory open as dirfd (a name
 * without '/', so the directory that was checked is the one read from;
 * AT_FDCWD: name is a path).  path names the file in log lines. */
int pj_read_file_at(int dirfd, const char *name, const char *path, const char *what, int flags,
                    size_t max, const pj_log *log, char **buf, size_t *len);

/* Check a directory the same way (owner, not group/other-writable, not a
 * link).  Returns an open O_DIRECTORY fd or -1 (logged). */
int pj_open_dir(const char *path, const char *what, const pj_log *log);

#endif
