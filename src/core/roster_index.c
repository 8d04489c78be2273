/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading the roster index at login (roster_index.h). */
#include "config.h"

#include "roster_index.h"

#include "safefile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An index file holds one short line. */
#define INDEX_FILE_MAX 128

int pj_roster_subject_file(const char *iss, size_t iss_len, const char *sub, size_t sub_len,
                           char out[PJ_ROSTER_SUBJECT_FILE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int mdlen = 0;
    const unsigned char nul = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, iss, iss_len) == 1 && EVP_DigestUpdate(ctx, &nul, 1) == 1 &&
             EVP_DigestUpdate(ctx, sub, sub_len) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof(md);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    out[0] = 's';
    out[1] = '-';
    for (size_t i = 0; i < sizeof(md); i++) {
        out[2 + 2 * i] = hex[md[i] >> 4];
        out[3 + 2 * i] = hex[md[i] & 15];
    }
    out[PJ_ROSTER_SUBJECT_FILE - 1] = '\0';
    return 0;
}

bool pj_roster_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > PJ_ROSTER_MAX_NAME)
        return false;
    if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Read DIR/index/file: NONE when it does not exist, ACTIVE with its text
 * in *buf, or UNAVAIL (logged). */
static pj_roster_hit read_index(const char *dir, const char *file, char **buf,
                                const pj_log *log)
{
    char path[4096];
    struct stat st;
    size_t len;
    int dfd;
    pj_roster_hit r = PJ_ROSTER_UNAVAIL;
    if ((size_t)snprintf(path, sizeof(path), "%s/" PJ_ROSTER_INDEX, dir) >= sizeof(path)) {
        pj_logf(log, LOG_ERR, "roster state directory name too long");
        return PJ_ROSTER_UNAVAIL;
    }
    if ((dfd = pj_open_dir(path, "roster index", log)) < 0)
        return PJ_ROSTER_UNAVAIL;
    if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            r = PJ_ROSTER_NONE;
        else
            pj_logf(log, LOG_ERR, "roster index %s/%s: %s", path, file, strerror(errno));
    } else {
        char fp[4200];
        snprintf(fp, sizeof(fp), "%s/%s", path, file);
        if (pj_read_file_at(dfd, file, fp, "roster index", PJ_FILE_PUBLIC, INDEX_FILE_MAX, log,
                            buf, &len) == 0)
            r = PJ_ROSTER_ACTIVE;
    }
    close(dfd);
    return r;
}

pj_roster_hit pj_roster_by_subject(const char *dir, const char *iss, size_t iss_len,
                                   const char *sub, size_t sub_len, char **name,
                                   const pj_log *log)
{
    char file[PJ_ROSTER_SUBJECT_FILE], *buf = NULL;
    *name = NULL;
    if (pj_roster_subject_file(iss, iss_len, sub, sub_len, file) != 0) {
        pj_logf(log, LOG_ERR, "roster: no SHA-256");
        return PJ_ROSTER_UNAVAIL;
    }
    pj_roster_hit r = read_index(dir, file, &buf, log);
    if (r != PJ_ROSTER_ACTIVE)
        return r;
    /* "NAME\n" or "NAME locked\n" */
    size_t n = strcspn(buf, " \n");
    const char *rest = buf + n;
    if (strcmp(rest, "\n") == 0)
        r = PJ_ROSTER_ACTIVE;
    else if (strcmp(rest, " locked\n") == 0)
        r = PJ_ROSTER_LOCKED;
    else
        r = PJ_ROSTER_UNAVAIL;
    buf[n] = '\0';
    if (r == PJ_ROSTER_UNAVAIL || !pj_roster_name_ok(buf)) {
        pj_logf(log, LOG_ERR, "roster index %s/" PJ_ROSTER_INDEX "/%s: malformed", dir, file);
        free(buf);
        return PJ_ROSTER_UNAVAIL;
    }
    *name = buf;
    return r;
}

bool pj_roster_present(const char *dir)
{
    char path[4096];
    struct stat st;
    if ((size_t)snprintf(path, sizeof(path), "%s/" PJ_ROSTER_INDEX, dir) >= sizeof(path))
        return true;
    return lstat(path, &st) == 0 || errno != ENOENT;
}

pj_roster_hit pj_roster_by_name(const char *dir, const char *name, const pj_log *log)
{
    char file[PJ_ROSTER_MAX_NAME + 3], *buf = NULL;
    if (!pj_roster_name_ok(name))
        return PJ_ROSTER_NONE; /* never a roster name */
    snprintf(file, sizeof(file), "n-%s", name);
    pj_roster_hit r = read_index(dir, file, &buf, log);
    free(buf);
    return r;
}
