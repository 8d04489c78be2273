/* SPDX-License-Identifier: BSD-3-Clause */
/* The replay cache.  Layout of the replay_cache directory DIR:
 *
 *   DIR/h-H/            a group: the entries whose until (exp + leeway) lies
 *                       in hour H (H = floor(until / 3600), seconds since
 *                       the epoch); mode 0700, owned by the euid
 *   DIR/h-H/e-HEX       an entry: HEX is the SHA-256 of (iss, jti), see
 *                       key_name; its existence is all it says
 *   DIR/h-H/.tmp-HEX    a temporary, linked to its entry's name and removed
 *   DIR/j-HEX           previous layout: SHA-256 of the jti alone, mtime =
 *                       when it may be removed; still counts as used (for
 *                       any issuer) until a sweep removes it
 *
 * A sweep lists DIR only: it removes the groups whose hour ended more than
 * PJ_REPLAY_SWEEP_MARGIN seconds ago (entries first, then the directory)
 * and expired previous-layout names, at most PJ_REPLAY_SWEEP_MAX names per
 * sweep, so a login never pays for a large backlog; what is left goes at
 * the next sweeps.  A login records only into a group whose hour has not
 * passed, so a sweep never removes a group a login may still record into. */
#include "config.h"

#include "replay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GROUP_SECONDS 3600
/* Latest expiry kept apart (year 33658); later ones share its group. */
#define MAX_TIME 1e12
/* Names of DIR one sweep looks at, whatever it removes. */
#define SWEEP_SCAN_MAX 4096
/* Previous-layout temporaries older than this are leftovers of a crash. */
#define TMP_MAX_AGE 60

#define NAME_SIZE 72 /* "e-" or "j-", 64 hex digits, NUL */

static void hex_name(const char *prefix, const unsigned char md[32], char name[NAME_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(name, prefix, 2);
    for (unsigned i = 0; i < 32; i++) {
        name[2 + 2 * i] = hex[md[i] >> 4];
        name[3 + 2 * i] = hex[md[i] & 15];
    }
    name[66] = '\0';
}

/* The entry's name: "e-" and the SHA-256 of an unambiguous encoding of
 * (iss, jti): the byte 0 then the jti for a token without iss; the byte 1,
 * the length of iss as 8 bytes big-endian, iss, then the jti otherwise.  So
 * ("a","bc") and ("ab","c") differ, and so do no iss and an empty one. */
static int key_name(const char *iss, const char *jti, char name[NAME_SIZE])
{
    unsigned char md[32], len[8], tag = iss != NULL;
    unsigned int ml = 0;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int ok = m != NULL && EVP_DigestInit_ex(m, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(m, &tag, 1);
    if (ok && iss != NULL) {
        uint64_t n = strlen(iss);
        for (int i = 7; i >= 0; i--, n >>= 8)
            len[i] = (unsigned char)(n & 0xff);
        ok = EVP_DigestUpdate(m, len, sizeof(len)) && EVP_DigestUpdate(m, iss, strlen(iss));
    }
    ok = ok && EVP_DigestUpdate(m, jti, strlen(jti)) && EVP_DigestFinal_ex(m, md, &ml) &&
         ml == 32;
    EVP_MD_CTX_free(m);
    if (!ok)
        return -1;
    hex_name("e-", md, name);
    return 0;
}

/* The previous layout's name: "j-" and the SHA-256 of the jti alone. */
static int legacy_name(const char *jti, char name[NAME_SIZE])
{
    unsigned char md[32];
    unsigned int ml = 0;
    if (!EVP_Digest(jti, strlen(jti), md, &ml, EVP_sha256(), NULL) || ml != 32)
        return -1;
    hex_name("j-", md, name);
    return 0;
}

/* The group of an expiry: the same until always gives the same group. */
static long long group_hour(double until)
{
    if (!(until < MAX_TIME)) /* also NaN */
        until = MAX_TIME;
    if (!(until > 0))
        until = 0;
    return (long long)(until / GROUP_SECONDS);
}

/* "h-" and decimal digits only (what pj_replay writes, or with leading
 * zeros); anything else in DIR is not a group. */
static bool parse_group(const char *name, long long *hour)
{
    long long h = 0;
    size_t i;
    if (strncmp(name, "h-", 2) != 0 || name[2] == '\0')
        return false;
    for (i = 2; name[i] != '\0'; i++) {
        if (name[i] < '0' || name[i] > '9' || i >= 2 + 15)
            return false;
        h = h * 10 + (name[i] - '0');
    }
    *hour = h;
    return true;
}

/* What a look-up of a name in the cache found (open_group, exists).  The
 * zero value is the failure: a result nobody set never reads as "there". */
typedef enum {
    NAME_UNKNOWN = 0, /* it cannot be told (or it is unsafe): logged */
    NAME_PRESENT,     /* it is there (open_group: opened, in *fd) */
    NAME_MISSING,     /* there is no such name */
} name_state;

/* Open group name in DIR without following a symbolic link, and check it
 * as DIR itself is checked: a directory owned by the euid (or root), not
 * writable by group or others.  PRESENT and *fd, MISSING, or UNKNOWN. */
static name_state open_group(const pj_config *c, const char *name, int *fd, const pj_log *log)
{
    struct stat st;
    *fd = openat(c->replay_dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return NAME_MISSING;
        if ((e == ELOOP || e == ENOTDIR) &&
            fstatat(c->replay_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            pj_logf(log, LOG_ERR, "replay_cache %s: %s is a symbolic link (refused)",
                    c->replay_cache, name);
        else
            pj_logf(log, LOG_ERR, "replay_cache %s: cannot open %s: %s", c->replay_cache, name,
                    strerror(e));
        return NAME_UNKNOWN;
    }
    if (fstat(*fd, &st) != 0) {
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot stat %s: %s", c->replay_cache, name,
                strerror(errno));
    } else if (st.st_uid != geteuid() && st.st_uid != 0) {
        pj_logf(log, LOG_ERR,
                "replay_cache %s: %s has unsafe owner uid %lu (must be root or uid %lu)",
                c->replay_cache, name, (unsigned long)st.st_uid, (unsigned long)geteuid());
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        pj_logf(log, LOG_ERR,
                "replay_cache %s: %s has unsafe permissions %04o (writable by group or others)",
                c->replay_cache, name, (unsigned)(st.st_mode & 07777));
    } else {
        return NAME_PRESENT;
    }
    close(*fd);
    *fd = -1;
    return NAME_UNKNOWN;
}

/* Is name in dirfd (whatever it is)?  PRESENT, MISSING, or UNKNOWN. */
static name_state exists(const pj_config *c, int dirfd, const char *where, const char *name,
                         const pj_log *log)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return NAME_PRESENT;
    if (errno == ENOENT)
        return NAME_MISSING;
    pj_logf(log, LOG_ERR, "replay_cache %s: cannot look up an entry in %s: %s", c->replay_cache,
            where, strerror(errno));
    return NAME_UNKNOWN;
}

/* Record entry in the open group gfd: a temporary, linked into place, so of
 * concurrent logins exactly one creates the name and the others get EEXIST.
 * When recording fails for another reason (a full or read-only file
 * system, no write permission), a token already recorded is still "used". */
static pj_replay_result record(const pj_config *c, int gfd, const char *group,
                               const char *entry, const unsigned char rnd[8],
                               const pj_log *log)
{
    char tmp[32];
    int fd, err;
    snprintf(tmp, sizeof(tmp), ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    fd = openat(gfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = errno;
    } else if (close(fd) != 0) {
        err = errno;
        unlinkat(gfd, tmp, 0);
    } else {
        int r = linkat(gfd, tmp, gfd, entry, 0);
        err = errno;
        unlinkat(gfd, tmp, 0);
        if (r == 0)
            return PJ_REPLAY_NOT_USED;
        if (err == EEXIST)
            return PJ_REPLAY_ALREADY_USED;
    }
    switch (exists(c, gfd, group, entry, log)) {
    case NAME_PRESENT:
        pj_logf(log, LOG_ERR,
                "replay_cache %s: cannot record in %s: %s (the token was used before)",
                c->replay_cache, group, strerror(err));
        return PJ_REPLAY_ALREADY_USED;
    case NAME_MISSING:
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot record in %s: %s", c->replay_cache, group,
                strerror(err));
        return PJ_REPLAY_UNUSABLE;
    case NAME_UNKNOWN:
    default:
        return PJ_REPLAY_UNUSABLE;
    }
}

/* Remove the entries of an expired group, then the group, spending at most
 * *budget removals.  Anything left (budget spent, an entry that cannot be
 * removed, a login that raced in) stays for a later sweep. */
static void remove_group(const pj_config *c, const char *name, unsigned *budget,
                         const pj_log *log)
{
    int gfd;
    DIR *d;
    struct dirent *e;
    bool left = false;
    if (open_group(c, name, &gfd, log) != NAME_PRESENT)
        return;
    if ((d = fdopendir(gfd)) == NULL) {
        close(gfd);
        return;
    }
    while (!left && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (*budget == 0) {
            left = true;
            break;
        }
        (*budget)--;
        if (unlinkat(gfd, e->d_name, 0) != 0 && errno != ENOENT) {
            pj_logf(log, LOG_WARNING, "replay_cache %s: cannot remove %s/%s: %s",
                    c->replay_cache, name, e->d_name, strerror(errno));
            left = true;
        }
    }
    closedir(d);
    if (left || *budget == 0)
        return;
    (*budget)--;
    if (unlinkat(c->replay_dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT &&
        errno != ENOTEMPTY && errno != EEXIST)
        pj_logf(log, LOG_WARNING, "replay_cache %s: cannot remove %s: %s", c->replay_cache,
                name, strerror(errno));
}

/* A previous-layout name: an entry whose mtime has passed, or a temporary
 * left by a crash. */
static void remove_legacy(const pj_config *c, const char *name, double now, unsigned *budget)
{
    struct stat st;
    bool tmp = name[0] == '.';
    if (fstatat(c->replay_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return;
    double limit = tmp ? (double)st.st_ctime + TMP_MAX_AGE : (double)st.st_mtime;
    if (limit < now) {
        (*budget)--;
        unlinkat(c->replay_dirfd, name, 0);
    }
}

/* List DIR (only DIR: the cost does not grow with the live entries) and
 * remove what has expired, within the bounds above. */
static void sweep(const pj_config *c, double now, const pj_log *log)
{
    unsigned budget = PJ_REPLAY_SWEEP_MAX, seen = 0;
    int fd = openat(c->replay_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while (budget > 0 && seen++ < SWEEP_SCAN_MAX && (e = readdir(d)) != NULL) {
        long long h;
        if (parse_group(e->d_name, &h)) {
            if ((double)(h + 1) * GROUP_SECONDS + PJ_REPLAY_SWEEP_MARGIN <= now)
                remove_group(c, e->d_name, &budget, log);
        } else if (strncmp(e->d_name, "j-", 2) == 0 || strncmp(e->d_name, ".tmp-", 5) == 0) {
            remove_legacy(c, e->d_name, now, &budget);
        }
    }
    closedir(d);
}

static double wall_clock(void)
{
    return pj_clock_s(CLOCK_REALTIME);
}

pj_replay_result pj_replay(const pj_config *c, const char *iss, const char *jti, double until,
                           double now, bool consume, const pj_log *log)
{
    char entry[NAME_SIZE], legacy[NAME_SIZE], group[32];
    unsigned char rnd[8];
    long long hour = group_hour(until);
    int gfd = -1;
    name_state r;
    bool created = false;

    if (c->replay_dirfd < 0 || jti == NULL || key_name(iss, jti, entry) != 0 ||
        legacy_name(jti, legacy) != 0) {
        pj_logf(log, LOG_ERR, "replay_cache %s: cannot name an entry", c->replay_cache);
        return PJ_REPLAY_UNUSABLE;
    }
    snprintf(group, sizeof(group), "h-%lld", hour);

    /* a token recorded by the previous layout (by its jti alone) */
    switch (exists(c, c->replay_dirfd, "the cache directory", legacy, log)) {
    case NAME_MISSING: break;
    case NAME_PRESENT: return PJ_REPLAY_ALREADY_USED;
    case NAME_UNKNOWN:
    default: return PJ_REPLAY_UNUSABLE;
    }

    r = open_group(c, group, &gfd, log);
    if (r != NAME_PRESENT && r != NAME_MISSING)
        return PJ_REPLAY_UNUSABLE;
    if (!consume) {
        if (r == NAME_MISSING)
            return PJ_REPLAY_NOT_USED;
        r = exists(c, gfd, group, entry, log);
        close(gfd);
        return r == NAME_MISSING   ? PJ_REPLAY_NOT_USED
               : r == NAME_PRESENT ? PJ_REPLAY_ALREADY_USED
                                   : PJ_REPLAY_UNUSABLE;
    }

    /* Record only into a group whose hour has not passed, by the caller's
     * clock and by the wall clock now (the caller's may be old): sweeps
     * remove a group only PJ_REPLAY_SWEEP_MARGIN seconds after its hour. */
    double t = wall_clock();
    if (now > t)
        t = now;
    if (!((double)(hour + 1) * GROUP_SECONDS > t)) {
        if (gfd >= 0)
            close(gfd);
        pj_logf(log, LOG_ERR, "replay_cache %s: the token expired before it could be recorded",
                c->replay_cache);
        return PJ_REPLAY_TOO_LATE;
    }
    if (r == NAME_MISSING) {
        if (mkdirat(c->replay_dirfd, group, 0700) == 0) {
            created = true;
        } else if (errno != EEXIST) {
            /* no group: the token was not recorded before */
            pj_logf(log, LOG_ERR, "replay_cache %s: cannot create %s: %s", c->replay_cache, group,
                    strerror(errno));
            return PJ_REPLAY_UNUSABLE;
        }
        r = open_group(c, group, &gfd, log);
        if (r != NAME_PRESENT) {
            if (r == NAME_MISSING)
                pj_logf(log, LOG_ERR, "replay_cache %s: %s vanished", c->replay_cache, group);
            return PJ_REPLAY_UNUSABLE;
        }
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        close(gfd);
        pj_logf(log, LOG_ERR, "replay_cache %s: no random bytes", c->replay_cache);
        return PJ_REPLAY_UNUSABLE;
    }
    pj_replay_result res = record(c, gfd, group, entry, rnd, log);
    close(gfd);
    /* The login that starts a group, and about one login in 32, sweeps. */
    if (res == PJ_REPLAY_NOT_USED && (created || rnd[0] < 8))
        sweep(c, now, log);
    return res;
}
