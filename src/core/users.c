/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "users.h"

#include "pjconfig.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* getpwnam_r with a buffer that grows (bounded) until the entry fits. */
pj_user_lookup_result pj_user_lookup(const char *user, uid_t *uid, gid_t *gid,
                                     const pj_log *log)
{
    struct passwd pw, *res = NULL;
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t sz = hint > 0 && hint < 65536 ? (size_t)hint : 4096;
    int e;
    for (;;) {
        /* holds a passwd entry, nothing secret: no wipe needed */
        char *buf = malloc(sz);
        if (buf == NULL)
            return PJ_USER_LOOKUP_FAILED;
        e = getpwnam_r(user, &pw, buf, sz, &res);
        if (e == 0 && res != NULL) {
            if (uid != NULL)
                *uid = pw.pw_uid;
            if (gid != NULL)
                *gid = pw.pw_gid;
        }
        free(buf);
        if (e != ERANGE || sz >= 1024 * 1024)
            break;
        sz *= 4;
    }
    if (e == 0)
        return res != NULL ? PJ_USER_FOUND : PJ_USER_MISSING;
    if (e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
        return PJ_USER_MISSING; /* "not found", as some NSS modules report it */
    char safe[160];
    pj_sanitize(safe, sizeof(safe), user, strlen(user));
    pj_logf(log, LOG_ERR, "user database lookup for %s failed: %s", safe, strerror(e));
    return PJ_USER_LOOKUP_FAILED;
}

/* The kernel's overflow uid (/proc/sys/kernel/overflowuid, 65534 when it
 * cannot be read): the uid of "nobody", which owns what a user namespace
 * cannot map; never a login target. */
uid_t pj_overflow_uid(void)
{
    char buf[16];
    uid_t v = 65534;
    int fd = open("/proc/sys/kernel/overflowuid", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n > 0) {
            uintmax_t u;
            buf[n] = '\0';
            buf[strcspn(buf, "\n")] = '\0';
            if (pj_parse_uint(buf, 0, PJ_MAX_MIN_UID, &u) == 0)
                v = (uid_t)u;
        }
        close(fd);
    }
    return v;
}
