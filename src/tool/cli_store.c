/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cli_store.h"

#include "b64enc.h"
#include "b64url.h"
#include "cli.h"
#include "jose.h"
#include "safefile.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Make dir (mode 0700) unless it exists; what exists is checked later. */
static int make_dir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    pj_logf(&pj_cli_log, LOG_ERR, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

/* A directory, not a link, ours, nothing for group or others. */
static int check_dir(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            pj_logf(&pj_cli_log, LOG_ERR, "no %s (run pamjwt login)", path);
        else
            pj_logf(&pj_cli_log, LOG_ERR, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: not a directory (a symbolic link is refused)", path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: owned by uid %lu, not by you (uid %lu)", path,
                (unsigned long)st.st_uid, (unsigned long)geteuid());
        return -1;
    }
    if (st.st_mode & 077) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: unsafe permissions %04o (want 0700: chmod 700 %s)",
                path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    return 0;
}

static char *join(const char *a, const char *b)
{
    return pj_strfmt("%s/%s", a, b);
}

char *pj_store_path(const char *dir, const char *name)
{
    return join(dir, name);
}

char *pj_store_dir(bool create)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *dir = NULL;
    if (xdg && xdg[0] == '/') {
        dir = join(xdg, "pamjwt");
    } else {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] != '/') {
            struct passwd *pw = getpwuid(geteuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (home == NULL || home[0] != '/') {
            pj_logf(&pj_cli_log, LOG_ERR,
                    "neither XDG_RUNTIME_DIR nor a home directory: nowhere to keep the token");
            return NULL;
        }
        char *cache = join(home, ".cache");
        if (cache && create && make_dir(cache) != 0) {
            free(cache);
            return NULL;
        }
        dir = cache ? join(cache, "pamjwt") : NULL;
        free(cache);
    }
    if (dir == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "out of memory");
        return NULL;
    }
    if ((create && make_dir(dir) != 0) || check_dir(dir) != 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A new temporary file in dir holding data (0600, flushed); its path in
 * *tmp.  0 or -1 with a message. */
static int write_temp(const char *dir, const char *name, const void *data, size_t len,
                      char **tmp)
{
    char *path = pj_strfmt("%s/.%s.XXXXXX", dir, name);
    int fd;
    *tmp = NULL;
    if (path == NULL)
        return -1;
    fd = mkostemp(path, O_CLOEXEC); /* mode 0600, O_EXCL */
    if (fd < 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot create a file in %s: %s", dir, strerror(errno));
        free(path);
        return -1;
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        free(path);
        return -1;
    }
    if (close(fd) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        free(path);
        return -1;
    }
    *tmp = path;
    return 0;
}

int pj_store_write(const char *dir, const char *name, const void *data, size_t len)
{
    char *tmp = NULL, *path = join(dir, name);
    int rc = -1;
    if (path == NULL || write_temp(dir, name, data, len, &tmp) != 0)
        goto out;
    if (rename(tmp, path) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    free(path);
    return rc;
}

pj_store_rc pj_store_create(const char *dir, const char *name, const void *data, size_t len)
{
    char *tmp = NULL, *path = join(dir, name);
    pj_store_rc rc = PJ_STORE_FAILED;
    if (path == NULL || write_temp(dir, name, data, len, &tmp) != 0)
        goto out;
    if (link(tmp, path) == 0)
        rc = PJ_STORE_DONE;
    else if (errno == EEXIST)
        rc = PJ_STORE_EXISTED;
    else
        pj_logf(&pj_cli_log, LOG_ERR, "cannot create %s: %s", path, strerror(errno));
    unlink(tmp);
out:
    free(tmp);
    free(path);
    return rc;
}

pj_store_rc pj_store_read(const char *dir, const char *name, size_t max, char **buf, size_t *len)
{
    char *path = join(dir, name);
    struct stat st;
    pj_store_rc rc;
    *buf = NULL;
    *len = 0;
    if (path == NULL)
        return PJ_STORE_FAILED;
    if (lstat(path, &st) != 0 && errno == ENOENT) {
        free(path);
        return PJ_STORE_MISSING;
    }
    rc = pj_read_file(path, name, PJ_FILE_SECRET, max, &pj_cli_log, buf, len) == 0
             ? PJ_STORE_DONE
             : PJ_STORE_FAILED;
    free(path);
    return rc;
}

int pj_cli_read_file(const char *path, const char *what, int kind, size_t max, char **buf,
                      size_t *len)
{
    char *cwd = NULL, *abs = NULL;
    int rc;
    *buf = NULL;
    *len = 0;
    if (path[0] != '/') { /* pj_read_file wants an absolute path */
        cwd = getcwd(NULL, 0);
        if (cwd == NULL) {
            pj_logf(&pj_cli_log, LOG_ERR, "%s %s: cannot find the current directory: %s", what,
                    path, strerror(errno));
            return -1;
        }
        abs = join(cwd, path);
        free(cwd);
        if (abs == NULL) {
            pj_logf(&pj_cli_log, LOG_ERR, "out of memory");
            return -1;
        }
    }
    rc = pj_read_file_at(AT_FDCWD, abs ? abs : path, path, what, kind, max, &pj_cli_log, buf, len);
    free(abs);
    return rc == 0 ? 0 : -1;
}

int pj_store_remove(const char *dir, const char *name)
{
    char *path = join(dir, name);
    int rc = 0;
    if (path == NULL)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot remove %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(path);
    return rc;
}

json_t *pj_token_claims(const char *tok, size_t n, const char **why)
{
    const char *d1, *d2, *jwhy = NULL;
    unsigned char *text;
    size_t tl = 0;
    json_t *claims;

    if (!pj_jwt_shaped(tok, n)) {
        *why = "not a JWT";
        return NULL;
    }
    d1 = memchr(tok, '.', n);
    d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok));
    text = pj_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &tl);
    claims = text ? pj_json_object((const char *)text, tl, &jwhy) : NULL;
    if (text)
        pj_wipe_free(text, tl);
    if (claims == NULL)
        *why = "its claims are not a JSON object";
    return claims;
}

int pj_token_check_exp(const char *tok, size_t n, double now, double *exp, const char **why)
{
    json_t *claims = pj_token_claims(tok, n, why), *e;
    int rc = -1;

    if (claims == NULL)
        return -1;
    e = json_object_get(claims, "exp");
    if (!json_is_number(e)) {
        *why = "it has no numeric exp claim";
    } else if (json_number_value(e) <= now) {
        *why = "it has expired";
    } else {
        *exp = json_number_value(e);
        rc = 0;
    }
    json_decref(claims);
    return rc;
}

/* A KEY: the first 22 characters of base64url(SHA-256(a, NUL, b, NUL, c)). */
static char *hashed_name(const char *prefix, const char *a, const char *b, const char *c,
                         size_t cl)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int ml = 0;
    char *enc = NULL, *out = NULL;
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, a, strlen(a) + 1) == 1 &&
        EVP_DigestUpdate(ctx, b, strlen(b) + 1) == 1 && EVP_DigestUpdate(ctx, c, cl) == 1 &&
        EVP_DigestFinal_ex(ctx, md, &ml) == 1 && ml == sizeof(md))
        enc = pj_b64url_encode(md, ml);
    EVP_MD_CTX_free(ctx);
    if (enc)
        out = pj_strfmt("%s%.22s", prefix, enc);
    free(enc);
    return out;
}

char *pj_store_token_name(const char *issuer, const char *resource)
{
    return hashed_name(PJ_STORE_TOKEN_PREFIX, "pamjwt-token", issuer, resource ? resource : "",
                       resource ? strlen(resource) : 0);
}

char *pj_store_state_name(const char *target, const char *tok, size_t len)
{
    return hashed_name(PJ_STORE_STATE_PREFIX, "pamjwt-askpass-state", target, tok, len);
}

/* "token", or "token." and 1 to 64 base64url characters */
static bool token_file_name(const char *name)
{
    size_t pl = strlen(PJ_STORE_TOKEN_PREFIX), n;
    if (strcmp(name, PJ_STORE_TOKEN) == 0)
        return true;
    if (strncmp(name, PJ_STORE_TOKEN_PREFIX, pl) != 0)
        return false;
    n = strlen(name + pl);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = name + pl; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

void pj_store_tokens_free(pj_stored *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].name);
        if (list[i].tok)
            pj_wipe_free(list[i].tok, list[i].len);
        json_decref(list[i].claims);
    }
    free(list);
}

static int newest_first(const void *a, const void *b)
{
    const pj_stored *x = a, *y = b;
    if (x->mtime != y->mtime)
        return x->mtime > y->mtime ? -1 : 1;
    return strcmp(x->name, y->name);
}

typedef enum token_read {
    TOKEN_BAD = -1,  /* unsafe or unreadable (message) */
    TOKEN_USABLE,
    TOKEN_SKIPPED,   /* expired, not a JWT, or gone meanwhile (quietly) */
} token_read;

/* Read one token file into t. */
static token_read read_token(const char *dir, const char *name, double now, pj_stored *t)
{
    char *path = join(dir, name);
    struct stat st;
    const char *why = NULL;
    double exp = 0;
    pj_store_rc r;
    bool gone;
    memset(t, 0, sizeof(*t));
    if (path == NULL)
        return TOKEN_BAD;
    gone = lstat(path, &st) != 0;
    free(path);
    if (gone)
        return TOKEN_SKIPPED;
    /* one byte more than a token: the trailing newline (and a CR) */
    r = pj_store_read(dir, name, PJ_MAX_TOKEN + 2, &t->tok, &t->len);
    if (r != PJ_STORE_DONE)
        return r == PJ_STORE_FAILED ? TOKEN_BAD : TOKEN_SKIPPED;
    if (t->len > 0 && t->tok[t->len - 1] == '\n') {
        t->tok[--t->len] = '\0';
        if (t->len > 0 && t->tok[t->len - 1] == '\r')
            t->tok[--t->len] = '\0';
    }
    if (pj_token_check_exp(t->tok, t->len, now, &exp, &why) != 0 ||
        (t->claims = pj_token_claims(t->tok, t->len, &why)) == NULL ||
        (t->name = strdup(name)) == NULL) {
        pj_wipe_free(t->tok, t->len);
        json_decref(t->claims);
        memset(t, 0, sizeof(*t));
        return TOKEN_SKIPPED;
    }
    t->mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
    return TOKEN_USABLE;
}

int pj_store_tokens(const char *dir, pj_stored **listp, size_t *np, size_t *expired)
{
    char *names[PJ_STORE_MAX_TOKENS];
    size_t nn = 0, n = 0;
    pj_stored *list = NULL;
    struct dirent *e;
    double now = (double)time(NULL);
    int rc = -1;
    DIR *d = opendir(dir);

    *listp = NULL;
    *np = 0;
    *expired = 0;
    if (d == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: %s", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (!token_file_name(e->d_name))
            continue;
        if (nn == PJ_STORE_MAX_TOKENS) {
            pj_logf(&pj_cli_log, LOG_ERR, "more than %d stored tokens in %s: remove some",
                    PJ_STORE_MAX_TOKENS, dir);
            goto out;
        }
        if ((names[nn] = strdup(e->d_name)) == NULL)
            goto out;
        nn++;
    }
    list = nn ? calloc(nn, sizeof(*list)) : NULL;
    if (nn && list == NULL)
        goto out;
    for (size_t i = 0; i < nn; i++) {
        token_read r = read_token(dir, names[i], now, &list[n]);
        if (r == TOKEN_USABLE)
            n++;
        else if (r == TOKEN_SKIPPED)
            (*expired)++;
    }
    if (n > 1)
        qsort(list, n, sizeof(*list), newest_first);
    *listp = n ? list : NULL;
    if (n == 0)
        free(list);
    *np = n;
    list = NULL;
    rc = 0;
out:
    closedir(d);
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(list);
    return rc;
}
