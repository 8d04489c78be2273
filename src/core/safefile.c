/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "safefile.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_stat(const struct stat *st, const char *path, const char *what,
                      int flags, bool dir, const pj_log *log)
{
    if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
        pj_logf(log, LOG_ERR, "%s %s: not a %s", what, path,
                dir ? "directory" : "regular file");
        return -1;
    }
    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        pj_logf(log, LOG_ERR, "%s %s: unsafe owner uid %lu (must be root or uid %lu)",
                what, path, (unsigned long)st->st_uid, (unsigned long)geteuid());
        return -1;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        pj_logf(log, LOG_ERR, "%s %s: unsafe permissions %04o (writable by group or others)",
                what, path, (unsigned)(st->st_mode & 07777));
        return -1;
    }
    if ((flags & PJ_FILE_SECRET) && (st->st_mode & (S_IRGRP | S_IROTH))) {
        pj_logf(log, LOG_ERR, "%s %s: unsafe permissions %04o (secret readable by group or others)",
                what, path, (unsigned)(st->st_mode & 07777));
        return -1;
    }
    return 0;
}

static void log_open_error(const char *path, const char *what, int err, const pj_log *log)
{
    if (err == ELOOP || err == EMLINK)
        pj_logf(log, LOG_ERR, "%s %s: is a symbolic link (refused)", what, path);
    else
        pj_logf(log, LOG_ERR, "%s %s: cannot open: %s", what, path, strerror(err));
}

int pj_read_file(const char *path, const char *what, int flags, size_t max,
                 const pj_log *log, char **bufp, size_t *lenp)
{
    return pj_read_file_at(AT_FDCWD, path, path, what, flags, max, log, bufp, lenp);
}

int pj_read_file_at(int dirfd, const char *name, const char *path, const char *what, int flags,
                    size_t max, const pj_log *log, char **bufp, size_t *lenp)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int fd;

    *bufp = NULL;
    *lenp = 0;
    if (dirfd == AT_FDCWD && (name == NULL || name[0] != '/')) {
        pj_logf(log, LOG_ERR, "%s %s: path must be absolute", what, name ? name : "(null)");
        return -1;
    }
    /* In a directory: one name, so nothing but the checked directory and
     * the file is looked up (O_NOFOLLOW covers only the last component). */
    if (dirfd != AT_FDCWD && (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL)) {
        pj_logf(log, LOG_ERR, "%s %s: not a file name in the directory", what, path);
        return -1;
    }
    /* O_NONBLOCK: a FIFO must not hang the login before fstat refuses it. */
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        log_open_error(path, what, errno, log);
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        pj_logf(log, LOG_ERR, "%s %s: cannot stat: %s", what, path, strerror(errno));
        goto fail;
    }
    if (check_stat(&st, path, what, flags, false, log) != 0)
        goto fail;
    if ((size_t)st.st_size > max) {
        pj_logf(log, LOG_ERR, "%s %s: too large (%lld bytes, limit %zu)", what, path,
                (long long)st.st_size, max);
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        pj_logf(log, LOG_ERR, "%s %s: out of memory", what, path);
        goto fail;
    }
    /* Read to EOF but never beyond the cap, even if the file grows.  One
     * byte more than fstat said is asked for: a regular file that returns
     * less than asked has ended, which saves the read() that returns 0 (a
     * login reads a config and a key file; system calls cost). */
    for (;;) {
        size_t want = (size_t)st.st_size + 1 - len;
        ssize_t r = read(fd, buf + len, want);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            pj_logf(log, LOG_ERR, "%s %s: read error: %s", what, path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > (size_t)st.st_size) {
            pj_logf(log, LOG_ERR, "%s %s: changed while being read", what, path);
            goto fail;
        }
        if ((size_t)r < want && len == (size_t)st.st_size)
            break;
    }
    buf[len] = '\0';
    close(fd);
    *bufp = buf;
    *lenp = len;
    return 0;
fail:
    if (buf != NULL)
        pj_wipe_free(buf, (size_t)st.st_size + 1);
    close(fd);
    return -1;
}

int pj_open_dir(const char *path, const char *what, const pj_log *log)
{
    struct stat st;
    int fd;
    if (path == NULL || path[0] != '/') {
        pj_logf(log, LOG_ERR, "%s %s: path must be absolute", what, path ? path : "(null)");
        return -1;
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOTDIR) {
            /* O_NOFOLLOW on a symlink to a directory gives ENOTDIR or ELOOP. */
            struct stat lst;
            if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
                pj_logf(log, LOG_ERR, "%s %s: is a symbolic link (refused)", what, path);
                return -1;
            }
            pj_logf(log, LOG_ERR, "%s %s: not a directory", what, path);
            return -1;
        }
        log_open_error(path, what, errno, log);
        return -1;
    }
    if (fstat(fd, &st) != 0 || check_stat(&st, path, what, 0, true, log) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
