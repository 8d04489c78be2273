/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cli_state.h"

#include "cli.h"
#include "cli_store.h"
#include "jose.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* "TARGET PARENT LEN\n" before the object */
#define HEADER_MAX 400

char *pj_state_name(const char *target, const char *kind, const char *key, size_t keylen)
{
    char *k = malloc(strlen(kind) + 1 + keylen), *name;
    if (k == NULL)
        return NULL;
    memcpy(k, kind, strlen(kind));
    k[strlen(kind)] = ':';
    memcpy(k + strlen(kind) + 1, key, keylen);
    name = pj_store_state_name(target, k, strlen(kind) + 1 + keylen);
    pj_wipe_free(k, strlen(kind) + 1 + keylen);
    return name;
}

int pj_state_put(const char *dir, const char *name, const char *target, pid_t parent,
                 const char *obj, size_t len)
{
    char hdr[HEADER_MAX];
    int hl = snprintf(hdr, sizeof(hdr), "%s %jd %zu\n", target, (intmax_t)parent, len), rc;
    char *buf;
    if (hl < 0 || (size_t)hl >= sizeof(hdr) || strchr(target, ' ') != NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "askpass: cannot keep state for target %s", target);
        return -1;
    }
    if ((buf = malloc((size_t)hl + len)) == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "out of memory");
        return -1;
    }
    memcpy(buf, hdr, (size_t)hl);
    memcpy(buf + hl, obj, len);
    rc = pj_store_write(dir, name, buf, (size_t)hl + len);
    pj_wipe_free(buf, (size_t)hl + len);
    return rc;
}

/* Parse the header of a state file: its target equal to target, its
 * length len.  The object's offset (after the header), or 0 when the
 * file is for something else; *parent set. */
static size_t header_fits(const char *buf, size_t n, const char *target, size_t len,
                          intmax_t *parent)
{
    const char *nl = memchr(buf, '\n', n < HEADER_MAX ? n : HEADER_MAX);
    char hdr[HEADER_MAX], *sp1, *sp2, *end;
    uintmax_t l;
    if (nl == NULL)
        return 0;
    memcpy(hdr, buf, (size_t)(nl - buf));
    hdr[nl - buf] = '\0';
    if ((sp1 = strchr(hdr, ' ')) == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL)
        return 0;
    *sp1 = *sp2 = '\0';
    if (strcmp(hdr, target) != 0)
        return 0;
    errno = 0;
    *parent = strtoimax(sp1 + 1, &end, 10);
    if (errno || *end != '\0' || pj_parse_uint(sp2 + 1, 1, PJ_MAX_TOKEN, &l) != 0 || l != len)
        return 0;
    if ((size_t)(n - (size_t)(nl + 1 - buf)) != len)
        return 0;
    return (size_t)(nl + 1 - buf);
}

/* A state file's name: the prefix and a KEY of base64url characters. */
static bool state_file(const char *name)
{
    size_t pl = strlen(PJ_STORE_STATE_PREFIX);
    if (strncmp(name, PJ_STORE_STATE_PREFIX, pl) != 0 || name[pl] == '\0')
        return false;
    for (const char *p = name + pl; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

pj_state_rc pj_state_find(const char *dir, const char *target, pid_t parent, size_t len,
                          char **name, char **obj, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t seen = 0, fits = 0, by_parent = 0;
    char *found_any = NULL, *found_parent = NULL;
    time_t now = time(NULL);
    pj_state_rc rc = PJ_STATE_NONE;

    *name = NULL;
    *obj = NULL;
    *n = 0;
    if (d == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: %s", dir, strerror(errno));
        return PJ_STATE_FAILED;
    }
    while ((e = readdir(d)) != NULL && seen < PJ_STATE_MAX_FILES) {
        struct stat st;
        char *buf = NULL;
        size_t bl = 0, off;
        intmax_t who = 0;
        if (!state_file(e->d_name))
            continue;
        seen++;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (now - st.st_mtime > PJ_STATE_MAX_AGE) { /* a login long gone */
            pj_store_remove(dir, e->d_name);
            continue;
        }
        if (pj_store_read(dir, e->d_name, HEADER_MAX + PJ_MAX_TOKEN, &buf, &bl) != PJ_STORE_DONE)
            continue;
        off = header_fits(buf, bl, target, len, &who);
        pj_wipe_free(buf, bl);
        if (off == 0)
            continue;
        fits++;
        if (found_any == NULL)
            found_any = strdup(e->d_name);
        if (who == (intmax_t)parent) {
            by_parent++;
            if (found_parent == NULL)
                found_parent = strdup(e->d_name);
        }
    }
    closedir(d);
    if (by_parent == 1 || (by_parent == 0 && fits == 1)) {
        const char *pick = by_parent == 1 ? found_parent : found_any;
        char *buf = NULL;
        size_t bl = 0, off;
        intmax_t who = 0;
        rc = PJ_STATE_FAILED;
        if (pick &&
            pj_store_read(dir, pick, HEADER_MAX + PJ_MAX_TOKEN, &buf, &bl) == PJ_STORE_DONE &&
            (off = header_fits(buf, bl, target, len, &who)) != 0 &&
            (*obj = pj_strndup(buf + off, len)) != NULL && (*name = strdup(pick)) != NULL) {
            *n = len;
            rc = PJ_STATE_FOUND;
        } else if (*obj) {
            pj_wipe_free(*obj, len);
            *obj = NULL;
        }
        if (buf)
            pj_wipe_free(buf, bl);
    } else if (fits > 0) {
        rc = PJ_STATE_AMBIGUOUS;
    }
    free(found_any);
    free(found_parent);
    return rc;
}
