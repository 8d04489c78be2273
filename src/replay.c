#include "config.h"

#include "replay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Latest expiry recorded (year 33658); later ones are kept that long. */
#define PJ_REPLAY_MAX_TIME 1e12

/* Entries are named by the SHA-256 of the jti, so a jti is never a path;
 * each entry's mtime is the time after which it may be removed. */
static int entry_name(const char *jti, char name[72])
{
    unsigned char md[32];
    unsigned int ml = 0;
    if (!EVP_Digest(jti, strlen(jti), md, &ml, EVP_sha256(), NULL) || ml != 32)
        return -1;
    memcpy(name, "j-", 2);
    for (unsigned i = 0; i < 32; i++)
        snprintf(name + 2 + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Remove expired entries.  Only entries whose time has passed are removed;
 * an entry for a token still valid is never touched, so this cannot race
 * with a login recording one. */
static void clean(int dirfd, double now)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(e->d_name, "j-", 2) != 0 && strncmp(e->d_name, ".tmp-", 5) != 0)
            continue;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        /* temporaries older than a minute are leftovers of a crash */
        double limit = e->d_name[0] == '.' ? (double)st.st_ctime + 60 : (double)st.st_mtime;
        if (limit < now)
            unlinkat(dirfd, e->d_name, 0);
    }
    closedir(d);
}

pj_replay_result pj_replay(const pj_config *c, const char *jti, double until, double now,
                           bool consume, const pj_log *log)
{
    char name[72], tmp[48];
    unsigned char rnd[8];
    struct stat st;
    int fd;

    if (c->replay_dirfd < 0 || entry_name(jti, name) != 0) {
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot name an entry", c->replay_cache);
        return PJ_REPLAY_ERROR;
    }
    if (!consume) {
        if (fstatat(c->replay_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return PJ_REPLAY_USED;
        if (errno == ENOENT)
            return PJ_REPLAY_FRESH;
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot look up entry: %s", c->replay_cache,
                strerror(errno));
        return PJ_REPLAY_ERROR;
    }
    /* Write a complete entry under a temporary name, then link it into
     * place: linkat fails with EEXIST for every login but the first. */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        pj_logf(log, LOG_ERR, "replay_cache %s: no random bytes", c->replay_cache);
        return PJ_REPLAY_ERROR;
    }
    snprintf(tmp, sizeof(tmp), ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    fd = openat(c->replay_dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot create entry: %s", c->replay_cache,
                strerror(errno));
        return PJ_REPLAY_ERROR;
    }
    /* exp is any JSON number (1e300 with max_lifetime = 0): clamp before
     * converting, a double beyond time_t's range is undefined behaviour */
    double keep = until + 1;
    if (!(keep < PJ_REPLAY_MAX_TIME))
        keep = PJ_REPLAY_MAX_TIME;
    if (keep < now)
        keep = now;
    struct timespec ts[2] = {{(time_t)now, 0}, {(time_t)keep, 0}};
    int ok = futimens(fd, ts) == 0;
    ok = (close(fd) == 0) && ok;
    if (!ok) {
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot write entry: %s", c->replay_cache,
                strerror(errno));
        unlinkat(c->replay_dirfd, tmp, 0);
        return PJ_REPLAY_ERROR;
    }
    int r = linkat(c->replay_dirfd, tmp, c->replay_dirfd, name, 0);
    int err = errno;
    unlinkat(c->replay_dirfd, tmp, 0);
    if (r != 0) {
        if (err == EEXIST)
            return PJ_REPLAY_USED;
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot record entry: %s", c->replay_cache,
                strerror(err));
        return PJ_REPLAY_ERROR;
    }
    if (rnd[0] < 8) /* about one login in 32 sweeps expired entries */
        clean(c->replay_dirfd, now);
    return PJ_REPLAY_FRESH;
}
