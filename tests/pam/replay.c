/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of replay_cache. */
#include "pam.h"

/* The only group directory (h-*) in a replay cache; false unless exactly one. */
static bool only_group(const char *cache, char *out, size_t n)
{
    DIR *d = opendir(cache);
    struct dirent *e;
    int found = 0;
    if (d == NULL)
        return false;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "h-", 2) == 0 && found++ == 0)
            snprintf(out, n, "%s/%s", cache, e->d_name);
    closedir(d);
    return found == 1;
}

/* Authenticate t1 then t2 with the replay cache (directory cache, group
 * directory g in it) read-only: as a user, by chmod 0500; as root (whom
 * chmod does not stop), in a child with a private mount namespace where
 * cache is a read-only bind mount.  rc[0], rc[1]: the results; rc[2]:
 * whether the first logged "already used".  -1 if this cannot be arranged
 * here. */
static int auth_read_only(const char *cache, const char *g, const char *t1, const char *t2,
                          int rc[3])
{
    if (geteuid() != 0) {
        chmod(g, 0500);
        chmod(cache, 0500);
        rc[0] = auth(me, t1);
        rc[2] = log_has("already used");
        rc[1] = auth(me, t2);
        chmod(cache, 0700);
        chmod(g, 0700);
        return 0;
    }
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int r[3];
        close(pfd[0]);
        if (unshare(CLONE_NEWNS) != 0 ||
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(cache, cache, "none", MS_BIND, NULL) != 0 ||
            mount("none", cache, "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
            _exit(77);
        r[0] = auth(me, t1);
        r[2] = log_has("already used");
        r[1] = auth(me, t2);
        _exit(write(pfd[1], r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(pfd[1]);
    ssize_t n = read(pfd[0], rc, 3 * sizeof(int));
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 3 * sizeof(int) ? 0 : -1;
}

/* issuer and jti together are the key */
static void test_replay_key_is_iss_and_jti(long n0)
{
    char buf[8192], ex[300];
    char *ta, *tb, *tn;
    mkdir(P("rp-keys"), 0700);
    snprintf(buf, sizeof(buf), "replay_cache = %s/rp-keys", dir);
    conf(buf);
    snprintf(ex, sizeof(ex), "\"iss\":\"https://a.example\",\"jti\":\"shared-%ld\"", n0);
    ta = es256(me, 300, ex);
    snprintf(ex, sizeof(ex), "\"iss\":\"https://b.example\",\"jti\":\"shared-%ld\"", n0);
    tb = es256(me, 300, ex);
    snprintf(ex, sizeof(ex), "\"jti\":\"shared-%ld\"", n0);
    tn = es256(me, 300, ex);
    is_int(auth(me, ta), PAM_SUCCESS, "replay_cache: issuer A's token accepted once");
    is_int(auth(me, tb), PAM_SUCCESS, "replay_cache: issuer B's token with the same jti accepted");
    is_int(auth(me, tn), PAM_SUCCESS, "replay_cache: a token without iss, same jti, accepted");
    is_int(auth(me, ta), PAM_AUTH_ERR, "replay_cache: issuer A's token refused the second time");
    is_int(auth(me, tb), PAM_AUTH_ERR, "replay_cache: issuer B's token refused the second time");
    is_int(auth(me, tn), PAM_AUTH_ERR,
           "replay_cache: the token without iss refused the second time");
    ok(log_has("already used"), "replay_cache: reason logged: already used");
    free(ta);
    free(tb);
    free(tn);
}

/* read-only (or full): a used token is still "used", a new one cannot
 * be recorded */
static void test_replay_read_only(long n0)
{
    char buf[8192], ex[300], g[4200];
    char *t;
    int rc[3];
    mkdir(P("rp-ro"), 0700);
    snprintf(buf, sizeof(buf), "replay_cache = %s/rp-ro", dir);
    conf(buf);
    snprintf(ex, sizeof(ex), "\"jti\":\"ro-used-%ld\"", n0);
    t = es256(me, 300, ex);
    snprintf(ex, sizeof(ex), "\"jti\":\"ro-new-%ld\"", n0);
    char *t2 = es256(me, 300, ex);
    is_int(auth(me, t), PAM_SUCCESS, "replay_cache: token used once");
    if (!only_group(P("rp-ro"), g, sizeof(g)) || auth_read_only(P("rp-ro"), g, t, t2, rc) != 0) {
        skip(3, "cannot make the replay cache read-only here");
    } else {
        is_int(rc[0], PAM_AUTH_ERR,
               "replay_cache: read-only directory: the used token is refused (PAM_AUTH_ERR)");
        ok(rc[2], "replay_cache: ... as already used");
        is_int(rc[1], PAM_AUTHINFO_UNAVAIL,
               "replay_cache: read-only directory: a new token cannot be recorded");
    }
    free(t);
    free(t2);
}

/* a later login removes expired groups and expired previous-layout
 * entries; a live previous-layout entry still counts as used */
static void test_replay_sweep(long n0)
{
    char buf[8192], ex[300], g[4200], p[4400];
    char *t;
    mkdir(P("rp-sweep"), 0700);
    snprintf(buf, sizeof(buf), "replay_cache = %s/rp-sweep", dir);
    conf(buf);
    long h = now / 3600;
    snprintf(g, sizeof(g), "%s/h-%ld", P("rp-sweep"), h - 3);
    mkdir(g, 0700);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/e-%064d", g, i);
        tl_write_file(p, "", 0, 0600);
    }
    {
        static const char *const jtis[2] = {"legacy-expired", "legacy-live"};
        char lp[2][4400];
        for (int i = 0; i < 2; i++) {
            unsigned char md[32];
            unsigned int ml = 0;
            char hex[65];
            snprintf(ex, sizeof(ex), "%s-%ld", jtis[i], n0);
            EVP_Digest(ex, strlen(ex), md, &ml, EVP_sha256(), NULL);
            for (int k = 0; k < 32; k++)
                snprintf(hex + 2 * k, 3, "%02x", md[k]);
            snprintf(lp[i], sizeof(lp[i]), "%s/j-%s", P("rp-sweep"), hex);
            tl_write_file(lp[i], "", 0, 0600);
            struct timespec ts[2] = {{now, 0}, {now + (i ? 600 : -600), 0}};
            utimensat(AT_FDCWD, lp[i], ts, 0);
        }
        snprintf(ex, sizeof(ex), "\"iss\":\"https://a.example\",\"jti\":\"legacy-live-%ld\"",
                 n0);
        t = es256(me, 300, ex);
        is_int(auth(me, t), PAM_AUTH_ERR,
               "replay_cache: a live entry of the previous layout (j-...) counts as used");
        free(t);
        snprintf(ex, sizeof(ex), "\"jti\":\"sweeper-%ld\"", n0);
        t = es256(me, 300, ex);
        is_int(auth(me, t), PAM_SUCCESS, "replay_cache: a later login (which starts a group)");
        free(t);
        ok(access(g, F_OK) != 0, "replay_cache: ... removes an expired group");
        ok(access(lp[0], F_OK) != 0, "replay_cache: ... and an expired previous-layout entry");
        ok(access(lp[1], F_OK) == 0, "replay_cache: ... but not a live one");
    }
}

/* a group directory that is a symbolic link is never followed */
static void test_replay_group_symlink(long n0)
{
    char buf[8192], ex[300], g[4200];
    char *t;
    mkdir(P("rp-link"), 0700);
    mkdir(P("rp-elsewhere"), 0700);
    snprintf(buf, sizeof(buf), "replay_cache = %s/rp-link", dir);
    conf(buf);
    snprintf(ex, sizeof(ex), "\"jti\":\"via-link-%ld\"", n0);
    t = es256(me, 300, ex);
    /* the token's group: hour of exp + leeway (30), this second or the next */
    for (long k = 0; k < 2; k++) {
        snprintf(g, sizeof(g), "%s/h-%ld", P("rp-link"), (now + 330) / 3600 - k);
        if (symlink(P("rp-elsewhere"), g) != 0)
            printf("# symlink %s: %s\n", g, strerror(errno));
    }
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL,
           "replay_cache: a group that is a symbolic link refused");
    ok(log_has("is a symbolic link (refused)"), "replay_cache: ... with a log line");
    DIR *d = opendir(P("rp-elsewhere"));
    int names = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        names += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    is_int(names, 0, "replay_cache: ... and nothing is written where it points");
    free(t);
    conf(NULL);
}

/* replay_cache: keys, a read-only cache, sweeps, symbolic links. */
void test_replay(void)
{
    const long n0 = now; /* one value for every jti below, minted in any second */
    test_replay_key_is_iss_and_jti(n0);
    test_replay_read_only(n0);
    test_replay_sweep(n0);
    test_replay_group_symlink(n0);
}
