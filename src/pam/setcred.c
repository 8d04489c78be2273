/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups from the token in pam_sm_setcred, as pam_group adds its groups:
 * getgroups, the mapped groups that exist appended, setgroups. */
#include "config.h"

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "setcred.h"

#include "groups.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PJ_GRANT_KEY "pam_jwt_groups"

/* What setcred needs: the user the token logged in and its groups. */
typedef struct pj_grant {
    char *user;
    pj_strlist groups;
} pj_grant;

static void grant_free(pj_grant *g)
{
    if (g == NULL)
        return;
    pj_free_str(g->user);
    for (size_t i = 0; i < g->groups.n; i++) {
        pj_free_str(g->groups.v[i]);
        g->groups.v[i] = NULL;
    }
    pj_strlist_free(&g->groups);
    explicit_bzero(g, sizeof(*g));
    free(g);
}

static void grant_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    grant_free(data);
}

void pj_grant_clear(pam_handle_t *pamh)
{
    const void *data = NULL;
    if (pam_get_data(pamh, PJ_GRANT_KEY, &data) == PAM_SUCCESS && data != NULL)
        (void)pam_set_data(pamh, PJ_GRANT_KEY, NULL, NULL); /* runs grant_cleanup */
}

int pj_grant_store(pam_handle_t *pamh, const char *user, const pj_strlist *groups,
                   const pj_log *log)
{
    pj_grant *g = calloc(1, sizeof(*g));
    bool ok = g != NULL && (g->user = strdup(user)) != NULL;
    for (size_t i = 0; ok && i < groups->n; i++)
        ok = pj_strlist_add(&g->groups, groups->v[i], strlen(groups->v[i])) == 0;
    if (ok && pam_set_data(pamh, PJ_GRANT_KEY, g, grant_cleanup) == PAM_SUCCESS)
        return PAM_SUCCESS;
    grant_free(g);
    pj_logf(log, LOG_ERR, "refused: cannot keep the mapped groups for setcred");
    return PAM_BUF_ERR;
}

typedef enum { GROUP_FOUND, GROUP_MISSING, GROUP_LOOKUP_FAILED } group_lookup;

/* getgrnam_r with a buffer that grows (bounded) until the entry fits. */
static group_lookup lookup_group(const char *name, gid_t *gid, int *err)
{
    struct group gr, *res = NULL;
    long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t sz = hint > 0 && hint < 65536 ? (size_t)hint : 4096;
    int e;
    for (;;) {
        char *buf = malloc(sz);
        if (buf == NULL) {
            *err = ENOMEM;
            return GROUP_LOOKUP_FAILED;
        }
        e = getgrnam_r(name, &gr, buf, sz, &res);
        if (e == 0 && res != NULL)
            *gid = gr.gr_gid;
        free(buf);
        if (e != ERANGE || sz >= 1024 * 1024)
            break;
        sz *= 4;
    }
    *err = e;
    if (e == 0)
        return res != NULL ? GROUP_FOUND : GROUP_MISSING;
    if (e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
        return GROUP_MISSING; /* "not found", as some NSS modules report it */
    return GROUP_LOOKUP_FAILED;
}

static bool has_gid(const gid_t *v, size_t n, gid_t g)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == g)
            return true;
    return false;
}

/* Append the groups of g that exist and the process lacks to list (n of
 * them, room for PJ_MAX_GROUPS_ADDED more); their names to added. */
static size_t add_mapped(const pj_grant *g, gid_t *list, size_t n, char *added, size_t asz,
                         const char *user, const pj_log *log)
{
    size_t o = 0, k = 0;
    added[0] = '\0';
    for (size_t i = 0; i < g->groups.n && k < PJ_MAX_GROUPS_ADDED; i++) {
        char safe[80];
        gid_t gid = 0;
        int e = 0;
        pj_sanitize(safe, sizeof(safe), g->groups.v[i], strlen(g->groups.v[i]));
        switch (lookup_group(g->groups.v[i], &gid, &e)) {
        case GROUP_FOUND: break;
        case GROUP_MISSING:
            pj_logf(log, LOG_NOTICE, "setcred: user %s: mapped group %s does not exist: skipped",
                    user, safe);
            continue;
        case GROUP_LOOKUP_FAILED:
        default:
            pj_logf(log, LOG_ERR, "setcred: user %s: group database lookup for %s failed: %s: "
                    "skipped", user, safe, strerror(e));
            continue;
        }
        if (gid == 0) { /* a config error at load; the database changed since */
            pj_logf(log, LOG_ERR, "setcred: user %s: mapped group %s has gid 0: skipped", user,
                    safe);
            continue;
        }
        if (has_gid(list, n + k, gid))
            continue;
        list[n + k++] = gid;
        if (o < asz)
            o += (size_t)snprintf(added + o, asz - o, "%s%s(%ju)", o ? " " : "", safe,
                                  (uintmax_t)gid);
    }
    if (o >= asz && asz > 4)
        memcpy(added + asz - 4, "...", 4);
    return k;
}

static int add_groups(const pj_grant *g, const char *user, const pj_log *log)
{
    int n = getgroups(0, NULL);
    gid_t *list;
    char added[768];
    size_t k;
    if (n < 0) {
        pj_logf(log, LOG_ERR, "setcred: user %s: cannot read the supplementary groups: %s", user,
                strerror(errno));
        return PAM_CRED_ERR;
    }
    list = calloc((size_t)n + PJ_MAX_GROUPS_ADDED + 1, sizeof(*list));
    if (list == NULL || (n = getgroups(n, list)) < 0) {
        pj_logf(log, LOG_ERR, "setcred: user %s: cannot read the supplementary groups: %s", user,
                list ? strerror(errno) : "out of memory");
        free(list);
        return PAM_CRED_ERR;
    }
    k = add_mapped(g, list, (size_t)n, added, sizeof(added), user, log);
    if (k == 0) {
        pj_logf(log, LOG_INFO, "setcred: user %s: no group added (the session has every mapped "
                "group that exists)", user);
        free(list);
        return PAM_SUCCESS;
    }
    if (setgroups((size_t)n + k, list) != 0) {
        pj_logf(log, LOG_ERR, "setcred: user %s: cannot add groups %s: %s", user, added,
                strerror(errno));
        free(list);
        return PAM_CRED_ERR;
    }
    free(list);
    pj_logf(log, LOG_INFO, "setcred: user %s: added groups %s", user, added);
    return PAM_SUCCESS;
}

int pj_grant_apply(pam_handle_t *pamh, int flags, const pj_log *log)
{
    const void *data = NULL, *item = NULL;
    const pj_grant *g;
    char user[160], now[160];
    if (!(flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED)))
        return PAM_SUCCESS; /* PAM_DELETE_CRED, PAM_REFRESH_CRED: nothing to do */
    if (pam_get_data(pamh, PJ_GRANT_KEY, &data) != PAM_SUCCESS || data == NULL)
        return PAM_SUCCESS; /* this module accepted no token here, or it maps to no group */
    g = data;
    pj_sanitize(user, sizeof(user), g->user, strlen(g->user));
    if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || item == NULL ||
        strcmp(item, g->user) != 0) {
        /* sudo: PAM_USER is the target user by now; the groups were the
         * token's user's */
        pj_sanitize(now, sizeof(now), item ? item : "(unset)", item ? strlen(item) : 7);
        pj_logf(log, LOG_NOTICE, "setcred: PAM_USER is %s, not %s whom the token logged in: "
                "no group added", now, user);
        return PAM_SUCCESS;
    }
    return add_groups(g, user, log);
}
