/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "slot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Owned by root (or the module's own uid when it does not run as root),
 * not writable by group or others. */
static bool owned_safely(const struct stat *st)
{
    return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int pj_slot_take(const char *dir, long n, const pj_log *log)
{
    struct stat st;
    int dfd;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: cannot create %s: %s", dir,
                strerror(errno));
        return -1;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || fstat(dfd, &st) != 0 || !owned_safely(&st)) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: %s: %s", dir,
                dfd < 0 ? strerror(errno) : "not owned by root or writable by group or others");
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "slot-%ld", i);
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
                                       O_NONBLOCK, 0600);
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
            !owned_safely(&st)) {
            pj_logf(log, LOG_ERR, "device sign-in unavailable: %s/%s: %s", dir, name,
                    fd < 0 ? strerror(errno) : "not a safe slot file");
            if (fd >= 0)
                close(fd);
            close(dfd);
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            close(dfd);
            return fd;
        }
        close(fd);
    }
    close(dfd);
    pj_logf(log, LOG_ERR, "device sign-in unavailable: device_max_pending (%ld) sign-ins are in "
                          "progress on this host", n);
    return -1;
}
