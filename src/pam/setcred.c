/* SPDX-License-Identifier: BSD-3-Clause */
/* Groups from the token in pam_sm_setcred, as pam_group adds its groups:
 * getgroups, the mapped groups that exist appended, setgroups.
 *
 * authenticate hands the grant (user and groups) to setcred twice: as PAM
 * data, and as a line in the PAM environment sealed with an HMAC under a
 * key this process drew when it loaded the module.  The data is what
 * setcred uses; the line is for applications that run pam_authenticate in
 * a child process and carry only the PAM environment back to the handle
 * that calls pam_setcred (sshd's keyboard-interactive authentication).
 * The key is never written anywhere, so only this module, loaded before
 * that child was forked, makes a line setcred accepts; it is bound to the
 * handle, the user and the parent process (a line is never taken back in
 * the process that made it), and setcred removes it from the environment. */
#include "config.h"

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "setcred.h"

#include "groups.h"

#include <errno.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define PJ_GRANT_KEY "pam_jwt_groups"
/* The sealed line: "pam_jwt_setcred=MAC USER GROUP ...", lower case so no
 * export_claims name (PAM_JWT_ and upper case) is ever the same. */
#define PJ_GRANT_ENV "pam_jwt_setcred"
#define PJ_MAC_HEX 64
#define PJ_GRANT_MAX (PJ_MAC_HEX + (PJ_MAX_GROUPS_ADDED + 1) * 257)

static unsigned char seal_key[32];
static bool seal_key_ok;

/* Drawn when the module is loaded (sshd: at pam_start, in the process that
 * later forks the keyboard-interactive child), never blocking. */
__attribute__((constructor)) static void seal_key_init(void)
{
    seal_key_ok = getrandom(seal_key, sizeof(seal_key), GRND_NONBLOCK) == (ssize_t)sizeof(seal_key);
}

__attribute__((destructor)) static void seal_key_wipe(void)
{
    explicit_bzero(seal_key, sizeof(seal_key));
    seal_key_ok = false;
}

/* HMAC-SHA256 over the handle's address, the process the line is for and
 * body, as hex; false without a key. */
static bool seal(const pam_handle_t *pamh, pid_t reader, const char *body, size_t bl,
                 char hex[PJ_MAC_HEX + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE], *msg;
    unsigned ml = 0;
    size_t n = sizeof("pam_jwt setcred v1") + sizeof(pamh) + sizeof(reader) + bl;
    bool ok;
    if (!seal_key_ok || (msg = malloc(n)) == NULL)
        return false;
    memcpy(msg, "pam_jwt setcred v1", sizeof("pam_jwt setcred v1"));
    memcpy(msg + sizeof("pam_jwt setcred v1"), &pamh, sizeof(pamh));
    memcpy(msg + sizeof("pam_jwt setcred v1") + sizeof(pamh), &reader, sizeof(reader));
    memcpy(msg + sizeof("pam_jwt setcred v1") + sizeof(pamh) + sizeof(reader), body, bl);
    ok = HMAC(EVP_sha256(), seal_key, sizeof(seal_key), msg, n, mac, &ml) != NULL && ml == 32;
    pj_wipe_free(msg, n);
    for (unsigned i = 0; ok && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    explicit_bzero(mac, sizeof(mac));
    return ok;
}

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
    if (pam_getenv(pamh, PJ_GRANT_ENV) != NULL)
        (void)pam_putenv(pamh, PJ_GRANT_ENV);
}

/* The sealed line for g: "pam_jwt_setcred=MAC USER GROUP ..." (malloc'd). */
static char *sealed_line(pam_handle_t *pamh, const pj_grant *g)
{
    const size_t sz = sizeof(PJ_GRANT_ENV) + PJ_GRANT_MAX + 2;
    const size_t pre = sizeof(PJ_GRANT_ENV) + PJ_MAC_HEX + 1; /* "NAME=MAC " */
    char hex[PJ_MAC_HEX + 1], *line = malloc(sz);
    size_t o = pre;
    if (line == NULL)
        return NULL;
    /* user and group names are at most 255 bytes (pj_user_name_ok), at
     * most PJ_MAX_GROUPS_ADDED groups: PJ_GRANT_MAX holds them */
    o += (size_t)snprintf(line + o, sz - o, "%s", g->user);
    for (size_t i = 0; i < g->groups.n && o < sz; i++)
        o += (size_t)snprintf(line + o, sz - o, " %s", g->groups.v[i]);
    /* for the parent only (sshd's monitor): this process has the data */
    if (o >= sz || !seal(pamh, getppid(), line + pre, o - pre, hex)) {
        pj_wipe_free(line, sz);
        return NULL;
    }
    memcpy(line, PJ_GRANT_ENV "=", sizeof(PJ_GRANT_ENV));
    memcpy(line + sizeof(PJ_GRANT_ENV), hex, PJ_MAC_HEX);
    line[pre - 1] = ' ';
    return line;
}

/* The grant a sealed line in the PAM environment carries: NULL when there
 * is none, or (logged) when this module under this process's key did not
 * make it for this handle in a child of this process (a line made in this
 * process, by an earlier attempt, is never taken back). */
static pj_grant *unseal(pam_handle_t *pamh, const char *v, const pj_log *log)
{
    char hex[PJ_MAC_HEX + 1];
    const char *body;
    pj_grant *g;
    size_t n = strlen(v);
    if (n <= PJ_MAC_HEX + 1 || n > PJ_GRANT_MAX || v[PJ_MAC_HEX] != ' ')
        goto forged;
    body = v + PJ_MAC_HEX + 1;
    if (!seal(pamh, getpid(), body, n - PJ_MAC_HEX - 1, hex) ||
        CRYPTO_memcmp(hex, v, PJ_MAC_HEX) != 0)
        goto forged;
    if ((g = calloc(1, sizeof(*g))) == NULL)
        return NULL;
    for (const char *p = body, *e; *p; p = *e ? e + 1 : e) {
        e = p + strcspn(p, " ");
        if (g->user == NULL ? (g->user = pj_strndup(p, (size_t)(e - p))) == NULL
                            : pj_strlist_add(&g->groups, p, (size_t)(e - p)) != 0) {
            grant_free(g);
            return NULL;
        }
    }
    return g;
forged:
    pj_logf(log, LOG_NOTICE, "setcred: %s in the PAM environment was not made by this module "
            "for this login: ignored", PJ_GRANT_ENV);
    return NULL;
}

int pj_grant_store(pam_handle_t *pamh, const char *user, const pj_strlist *groups,
                   const pj_log *log)
{
    pj_grant *g = calloc(1, sizeof(*g));
    bool ok = g != NULL && (g->user = strdup(user)) != NULL;
    for (size_t i = 0; ok && i < groups->n; i++)
        ok = pj_strlist_add(&g->groups, groups->v[i], strlen(groups->v[i])) == 0;
    /* the sealed line first: once the data is set, the handle owns g */
    char *line = ok && seal_key_ok ? sealed_line(pamh, g) : NULL;
    if (line != NULL) {
        ok = pam_putenv(pamh, line) == PAM_SUCCESS;
        pj_free_str(line);
    }
    if (ok && pam_set_data(pamh, PJ_GRANT_KEY, g, grant_cleanup) == PAM_SUCCESS)
        return PAM_SUCCESS;
    grant_free(g);
    if (pam_getenv(pamh, PJ_GRANT_ENV) != NULL)
        (void)pam_putenv(pamh, PJ_GRANT_ENV);
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

static int apply(pam_handle_t *pamh, const pj_grant *g, const pj_log *log)
{
    const void *item = NULL;
    char user[160], now[160];
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

int pj_grant_apply(pam_handle_t *pamh, int flags, const pj_log *log)
{
    const void *data = NULL;
    const char *line;
    pj_grant *sealed = NULL;
    int rc;
    if (!(flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED)))
        return PAM_SUCCESS; /* PAM_DELETE_CRED, PAM_REFRESH_CRED: nothing to do */
    if (pam_get_data(pamh, PJ_GRANT_KEY, &data) != PAM_SUCCESS)
        data = NULL;
    /* the sealed line: read only without the data (authenticate ran in
     * another process), removed in any case so the session never sees it */
    if ((line = pam_getenv(pamh, PJ_GRANT_ENV)) != NULL) {
        if (data == NULL)
            sealed = unseal(pamh, line, log);
        (void)pam_putenv(pamh, PJ_GRANT_ENV);
    }
    if (data == NULL && sealed == NULL)
        return PAM_SUCCESS; /* this module accepted no token here, or it maps to no group */
    /* the line becomes the handle's data: sshd calls setcred again in the
     * session's process, forked after this call removed the line */
    if (sealed != NULL && pam_set_data(pamh, PJ_GRANT_KEY, sealed, grant_cleanup) == PAM_SUCCESS) {
        data = sealed;
        sealed = NULL;
    }
    rc = apply(pamh, data != NULL ? data : sealed, log);
    grant_free(sealed);
    return rc;
}
