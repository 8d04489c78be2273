/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "policy.h"

#include "util.h"
#include "safefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void pj_policies_free(pj_policies *ps)
{
    if (ps == NULL)
        return;
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->v[i].file);
        pj_config_free(ps->v[i].c);
    }
    free(ps->v);
    free(ps);
}

/* A policy file's name: "*.conf" with something before the suffix.
 * x.conf~, x.conf.dpkg-old and dot files are not policies. */
static bool is_policy_name(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".conf") == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf names in the directory, sorted in byte order; -1 (logged)
 * when the directory cannot be read or holds more than the bounds. */
static int list_policies(int dirfd, const char *path, char ***names, size_t *n,
                         const pj_log *log)
{
    DIR *d = fdopendir(dirfd);
    struct dirent *e;
    size_t seen = 0;
    *names = NULL;
    *n = 0;
    if (d == NULL) {
        pj_logf(log, LOG_ERR, "config %s: cannot read the directory: %s", path, strerror(errno));
        close(dirfd);
        return -1;
    }
    int rc = 0;
    for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
        char **v;
        if (++seen > PJ_MAX_DIR_ENTRIES) {
            pj_logf(log, LOG_ERR, "config %s: more than %d directory entries", path,
                    PJ_MAX_DIR_ENTRIES);
            rc = -1;
            break;
        }
        if (!is_policy_name(e->d_name))
            continue;
        if (*n == PJ_MAX_POLICIES) {
            pj_logf(log, LOG_ERR, "config %s: more than %d policy files", path, PJ_MAX_POLICIES);
            rc = -1;
            break;
        }
        if ((v = realloc(*names, (*n + 1) * sizeof(*v))) != NULL)
            *names = v;
        if (v == NULL || (v[*n] = strdup(e->d_name)) == NULL) {
            pj_logf(log, LOG_ERR, "config %s: out of memory", path);
            rc = -1;
            break;
        }
        (*n)++;
    }
    if (rc == 0 && errno != 0) {
        pj_logf(log, LOG_ERR, "config %s: cannot read the directory: %s", path, strerror(errno));
        rc = -1;
    }
    closedir(d);
    if (rc == 0 && *n == 0) {
        pj_logf(log, LOG_ERR, "config %s: no policy file (*.conf) in the directory", path);
        rc = -1;
    }
    if (rc != 0) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        return -1;
    }
    qsort(*names, *n, sizeof(**names), by_name);
    return 0;
}

/* Load one policy file, name in the directory open as dirfd (p->file is
 * its path for log lines); a file that fails, or sets no issuer, stays with
 * c == NULL (logged). */
static void load_policy(pj_policy *p, int dirfd, const char *name, const pj_log *log)
{
    p->c = pj_config_load_at(dirfd, name, p->file, log);
    if (p->c != NULL && p->c->issuer == NULL) {
        pj_logf(log, LOG_ERR,
                "config %s: no issuer (every policy file in a directory must set issuer)",
                p->file);
        pj_config_free(p->c);
        p->c = NULL;
    }
}

/* Two files that name one issuer both fail for it. */
static void mark_duplicates(pj_policies *ps, const pj_log *log)
{
    for (size_t i = 0; i < ps->n; i++)
        for (size_t j = i + 1; ps->v[i].c && j < ps->n; j++) {
            if (ps->v[j].c == NULL || strcmp(ps->v[i].c->issuer, ps->v[j].c->issuer) != 0)
                continue;
            if (!ps->v[i].duplicate || !ps->v[j].duplicate) {
                char safe[160];
                pj_sanitize(safe, sizeof(safe), ps->v[i].c->issuer, strlen(ps->v[i].c->issuer));
                pj_logf(log, LOG_ERR, "config %s and %s: both set issuer %s (neither is used)",
                        ps->v[i].file, ps->v[j].file, safe);
            }
            ps->v[i].duplicate = ps->v[j].duplicate = true;
        }
}

/* Device sign-in starts before there is a token to choose a policy by: at
 * most one policy may set device_flow (more: the directory is a config
 * error). */
static bool two_device_flows(const pj_policies *ps, const char *path, const pj_log *log)
{
    const char *first = NULL;
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->v[i].c == NULL || !ps->v[i].c->device_flow)
            continue;
        if (first != NULL) {
            pj_logf(log, LOG_ERR, "config %s: device_flow is set in %s and %s (at most one policy "
                                  "may set it)", path, first, ps->v[i].file);
            return true;
        }
        first = ps->v[i].file;
    }
    return false;
}

pj_policies *pj_policies_load_dir(int fd, const char *path, const pj_log *log)
{
    char **names;
    size_t n;
    pj_policies *ps;
    int dirfd;
    if (fd < 0)
        return NULL;
    /* fdopendir takes over fd.  The files are opened relative to a second
     * descriptor of the same checked directory, never through path again:
     * a directory renamed into its place since is never read. */
    dirfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dirfd < 0) {
        pj_logf(log, LOG_ERR, "config %s: cannot read the directory: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (list_policies(fd, path, &names, &n, log) != 0) {
        close(dirfd);
        return NULL;
    }
    ps = calloc(1, sizeof(*ps));
    if (ps != NULL && (ps->v = calloc(n, sizeof(*ps->v))) == NULL) {
        free(ps);
        ps = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (ps != NULL) {
            pj_policy *p = &ps->v[ps->n];
            if ((p->file = pj_strfmt("%s/%s", path, names[i])) != NULL) {
                ps->n++;
                load_policy(p, dirfd, names[i], log);
                ps->any_failed |= p->c == NULL;
            } else {
                pj_policies_free(ps);
                ps = NULL;
            }
        }
        free(names[i]);
    }
    free(names);
    close(dirfd);
    if (ps == NULL) {
        pj_logf(log, LOG_ERR, "config %s: out of memory", path);
        return NULL;
    }
    ps->is_dir = true;
    mark_duplicates(ps, log);
    if (two_device_flows(ps, path, log)) {
        pj_policies_free(ps);
        return NULL;
    }
    return ps;
}

pj_policies *pj_policies_load(const char *path, const pj_log *log)
{
    struct stat st;
    pj_policies *ps;
    if (path != NULL && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return pj_policies_load_dir(pj_open_dir(path, "config", log), path, log);
    /* a file (or anything else: pj_read_file says what is wrong with it) */
    ps = calloc(1, sizeof(*ps));
    if (ps == NULL || (ps->v = calloc(1, sizeof(*ps->v))) == NULL) {
        free(ps);
        pj_logf(log, LOG_ERR, "config %s: out of memory", path);
        return NULL;
    }
    ps->n = 1;
    ps->v[0].c = pj_config_load(path, log);
    if (ps->v[0].c == NULL) {
        pj_policies_free(ps);
        return NULL;
    }
    return ps;
}

pj_policy_choice pj_policies_select(const pj_policies *ps, const char *iss, size_t len,
                                    pj_config **c)
{
    *c = NULL;
    if (!ps->is_dir) {
        *c = ps->v[0].c;
        return PJ_POLICY_FOUND;
    }
    for (size_t i = 0; iss != NULL && i < ps->n; i++) {
        const pj_policy *p = &ps->v[i];
        if (p->c == NULL || strlen(p->c->issuer) != len || memcmp(p->c->issuer, iss, len) != 0)
            continue;
        if (p->duplicate)
            return PJ_POLICY_BROKEN;
        *c = p->c;
        return PJ_POLICY_FOUND;
    }
    return ps->any_failed ? PJ_POLICY_BROKEN : PJ_POLICY_NONE;
}
