/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/replay.c. */
#include "unit.h"

/* ---------------------------------------------------------- replay_cache */
/* pj_replay is called directly here, on a config that sets replay_cache
 * only; the clock is a parameter, so sweeps are tested without waiting. */
static pj_config *replay_config(const char *cache)
{
    pj_config *c = pj_config_new("replay-test");
    if (c == NULL)
        return NULL;
    c->replay_cache = strdup(cache);
    c->replay_dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return c;
}

/* Names in a directory (without . and ..); -1 if it cannot be read. */
static int count_names(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static bool path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* The previous layout's entry name for a jti: j- and its SHA-256 in hex. */
static void legacy_path(char *out, size_t n, const char *cache, const char *jti)
{
    unsigned char md[32];
    unsigned int ml = 0;
    char hex[65];
    EVP_Digest(jti, strlen(jti), md, &ml, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, n, "%s/j-%s", cache, hex);
}

static void touch(const char *path, double mtime)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
    if (fd >= 0) {
        futimens(fd, ts);
        close(fd);
    }
}

static const char *rname(pj_replay_result r)
{
    switch (r) {
    case PJ_REPLAY_NOT_USED: return "not used";
    case PJ_REPLAY_ALREADY_USED: return "already used";
    case PJ_REPLAY_TOO_LATE: return "too late";
    default: return "unusable";
    }
}

/* One-time tokens are keyed by issuer and jti together. */
void test_replay_keys(void)
{
    char *dir = tl_tmpdir(), cache[4096], group[4200];
    snprintf(cache, sizeof(cache), "%s/replay", dir);
    mkdir(cache, 0700);
    pj_config *c = replay_config(cache);
    double now = (double)time(NULL), until = now + 600;
    static const struct { const char *iss, *jti; } k[] = {
        {"https://a.example", "same"}, {"https://b.example", "same"}, {NULL, "same"},
        {"", "same"}, {"a", "bc"}, {"ab", "c"}, {NULL, "abc"}, {"abc", ""},
    };
    enum { NK = sizeof(k) / sizeof(k[0]) };
    const pj_replay_result N = PJ_REPLAY_NOT_USED, U = PJ_REPLAY_ALREADY_USED;
    int wrong = 0;
    for (size_t i = 0; i < NK; i++)
        wrong += pj_replay(c, k[i].iss, k[i].jti, until, now, false, &LOG) != N;
    is_int(wrong, 0, "replay: check mode: no key used before");
    is_int(count_names(cache), 0, "replay: check mode never writes (the cache is still empty)");
    for (size_t i = 0; i < NK; i++) {
        pj_replay_result r = pj_replay(c, k[i].iss, k[i].jti, until, now, true, &LOG);
        ok(r == N, "replay: (iss %s%s%s, jti \"%s\") first use accepted (got %s)",
           k[i].iss ? "\"" : "", k[i].iss ? k[i].iss : "none", k[i].iss ? "\"" : "", k[i].jti,
           rname(r));
    }
    for (size_t i = 0; i < NK; i++) {
        pj_replay_result r = pj_replay(c, k[i].iss, k[i].jti, until, now, true, &LOG);
        ok(r == U, "replay: (iss %s%s%s, jti \"%s\") second use refused (got %s)",
           k[i].iss ? "\"" : "", k[i].iss ? k[i].iss : "none", k[i].iss ? "\"" : "", k[i].jti,
           rname(r));
    }
    wrong = 0;
    for (size_t i = 0; i < NK; i++)
        wrong += pj_replay(c, k[i].iss, k[i].jti, until, now, false, &LOG) != U;
    is_int(wrong, 0, "replay: check mode sees every used key as used");
    is_int(pj_replay(c, "https://c.example", "same", until, now, false, &LOG), N,
           "replay: a third issuer's equal jti is not used");

    /* layout: one group for the expiry hour, 0700, holding one entry per key */
    struct stat st;
    snprintf(group, sizeof(group), "%s/h-%lld", cache, (long long)(until / 3600));
    ok(lstat(group, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
       "replay: entries are grouped in h-<expiry hour>, a 0700 directory");
    is_int(count_names(cache), 1, "replay: one group for one expiry hour");
    is_int(count_names(group), NK, "replay: one entry per key, no temporary left behind");
    /* a token whose expiry hour has passed cannot be recorded any more */
    is_int(pj_replay(c, "https://a.example", "late", now - 7200, now, true, &LOG),
           PJ_REPLAY_TOO_LATE, "replay: a token whose expiry hour passed is not recorded");
    ok(strstr(lastlog, "expired before it could be recorded") != NULL, "... and that is logged");
    pj_config_free(c);
    tl_rmtree(dir);
    free(dir);
}

/* Sweeps: expired groups go, a bounded number of names per login, and the
 * previous layout's entries count as used until they expire. */
void test_replay_sweep(void)
{
    char *dir = tl_tmpdir(), cache[4096], p[4400], old[4200], kept[4200], link[4200],
        outside[4200], gone[4400], live[4400], tmp[4400];
    snprintf(cache, sizeof(cache), "%s/replay", dir);
    mkdir(cache, 0700);
    pj_config *c = replay_config(cache);
    /* the sweeping logins run 2 minutes after the entries were planted, so
     * a previous-layout temporary made now is older than its minute */
    double now = (double)time(NULL) + 120;
    long long h = (long long)(now / 3600);
    const pj_replay_result N = PJ_REPLAY_NOT_USED, U = PJ_REPLAY_ALREADY_USED;
    enum { OLD = PJ_REPLAY_SWEEP_MAX + 44 };

    /* a group whose hour ended more than the margin ago, with more entries
     * than one sweep removes */
    snprintf(old, sizeof(old), "%s/h-%lld", cache, h - 3);
    mkdir(old, 0700);
    for (int i = 0; i < OLD; i++) {
        snprintf(p, sizeof(p), "%s/e-%064d", old, i);
        touch(p, now - 9000);
    }
    /* a group whose hour has passed, but within the margin: kept */
    snprintf(kept, sizeof(kept), "%s/h-%lld", cache, h - 1);
    mkdir(kept, 0700);
    snprintf(p, sizeof(p), "%s/e-kept", kept);
    touch(p, now);
    /* an expired "group" that is a symbolic link: never followed */
    snprintf(outside, sizeof(outside), "%s/outside", dir);
    mkdir(outside, 0700);
    snprintf(p, sizeof(p), "%s/e-precious", outside);
    touch(p, now);
    snprintf(link, sizeof(link), "%s/h-%lld", cache, h - 5);
    if (symlink(outside, link) != 0)
        printf("# symlink: %s\n", strerror(errno));
    /* the previous layout: a live entry, an expired one, an old temporary */
    legacy_path(live, sizeof(live), cache, "legacy-live");
    touch(live, now + 600);
    legacy_path(gone, sizeof(gone), cache, "legacy-gone");
    touch(gone, now - 600);
    snprintf(tmp, sizeof(tmp), "%s/.tmp-0011223344556677", cache);
    touch(tmp, now);

    is_int(pj_replay(c, "https://a.example", "legacy-live", now + 300, now, false, &LOG), U,
           "replay: a live entry of the previous layout counts as used (check)");
    is_int(pj_replay(c, NULL, "legacy-live", now + 300, now, true, &LOG), U,
           "replay: ... and when consuming, whatever the issuer");
    int before = count_names(old) + path_exists(gone) + path_exists(tmp);

    /* the first login of an hour makes its group and sweeps */
    is_int(pj_replay(c, "https://a.example", "sweep-1", now + 7200, now, true, &LOG), N,
           "replay: a login that starts a new group is accepted");
    int after = count_names(old) + path_exists(gone) + path_exists(tmp);
    is_int(before - after, PJ_REPLAY_SWEEP_MAX,
           "replay: one login removes at most %d expired names", PJ_REPLAY_SWEEP_MAX);
    ok(path_exists(old), "replay: ... so the expired group is not gone yet");
    is_int(pj_replay(c, "https://a.example", "sweep-2", now + 10800, now, true, &LOG), N,
           "replay: a later login is accepted");
    ok(!path_exists(old), "replay: the expired group is removed by a later login");
    ok(!path_exists(gone), "replay: an expired entry of the previous layout is removed");
    ok(!path_exists(tmp), "replay: an old temporary of the previous layout is removed");
    is_int(count_names(kept), 1, "replay: a group within the margin after its hour is kept");
    ok(path_exists(live), "replay: a live entry of the previous layout is kept");
    is_int(count_names(outside), 1, "replay: a symbolic link named like a group is not followed");
    ok(path_exists(link), "replay: ... and left alone");
    /* a login whose own group is a symbolic link is refused */
    snprintf(link, sizeof(link), "%s/h-%lld", cache, h + 4);
    if (symlink(outside, link) != 0)
        printf("# symlink: %s\n", strerror(errno));
    lastlog[0] = '\0';
    is_int(pj_replay(c, "https://a.example", "via-link", now + 4 * 3600, now, true, &LOG),
           PJ_REPLAY_UNUSABLE, "replay: a group that is a symbolic link is refused");
    ok(strstr(lastlog, "is a symbolic link (refused)") != NULL, "replay: ... with a log line");
    is_int(count_names(outside), 1, "replay: ... and nothing is written through it");
    pj_config_free(c);
    tl_rmtree(dir);
    free(dir);
}

/* A full or read-only file system: a token used before is still refused
 * as used (not "cache unusable"), a new one cannot be recorded.  Emulated
 * with a tmpfs of a few inodes in a private mount namespace (as root, or
 * as a user in a user namespace); skipped where neither is allowed. */
static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, text, strlen(text));
    return close(fd) == 0 && w == (ssize_t)strlen(text) ? 0 : -1;
}

static int own_mount_namespace(void)
{
    if (unshare(CLONE_NEWNS) == 0)
        return 0;
    uid_t u = geteuid();
    gid_t g = getegid();
    char map[64];
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return -1;
    snprintf(map, sizeof(map), "0 %lu 1", (unsigned long)u);
    if (write_proc("/proc/self/setgroups", "deny") != 0 ||
        write_proc("/proc/self/uid_map", map) != 0)
        return -1;
    snprintf(map, sizeof(map), "0 %lu 1", (unsigned long)g);
    return write_proc("/proc/self/gid_map", map);
}

void test_replay_full_fs(void)
{
    enum { FRESH, USED_FULL, NEW_FULL, USED_RO, NEW_RO, CHECK_RO, NR };
    static const char *const what[NR] = {
        "first use on the small file system accepted",
        "file system full (ENOSPC): the used token is still refused as used",
        "file system full: a new token cannot be recorded (cache unusable)",
        "file system read-only (EROFS): the used token is still refused as used",
        "file system read-only: a new token cannot be recorded (cache unusable)",
        "file system read-only: check mode still sees the token as used",
    };
    const int want[NR] = {PJ_REPLAY_NOT_USED,     PJ_REPLAY_ALREADY_USED, PJ_REPLAY_UNUSABLE,
                          PJ_REPLAY_ALREADY_USED, PJ_REPLAY_UNUSABLE,     PJ_REPLAY_ALREADY_USED};
    char *dir = tl_tmpdir(), mnt[4096], cache[4200];
    int got[NR], pfd[2];
    snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
    mkdir(mnt, 0700);
    if (pipe(pfd) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int res[NR], n = 0;
        close(pfd[0]);
        free(dir); /* the child's copy: only mnt is used below */
        if (own_mount_namespace() != 0 ||
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", mnt, "tmpfs", 0, "size=1m,nr_inodes=16,mode=0700") != 0)
            _exit(77);
        snprintf(cache, sizeof(cache), "%s/replay", mnt);
        mkdir(cache, 0700);
        pj_config *c = replay_config(cache);
        double now = (double)time(NULL), until = now + 600;
        res[FRESH] = pj_replay(c, "https://a.example", "t1", until, now, true, &LOG);
        /* use up every inode */
        for (int i = 0; i < 64; i++) {
            char p[4300];
            snprintf(p, sizeof(p), "%s/fill-%d", mnt, i);
            int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0)
                break;
            close(fd);
            n++;
        }
        res[USED_FULL] = pj_replay(c, "https://a.example", "t1", until, now, true, &LOG);
        res[NEW_FULL] = pj_replay(c, "https://a.example", "t2", until, now, true, &LOG);
        if (mount("none", mnt, "none", MS_REMOUNT | MS_RDONLY, "size=1m,nr_inodes=16") != 0) {
            pj_config_free(c);
            _exit(78);
        }
        res[USED_RO] = pj_replay(c, "https://a.example", "t1", until, now, true, &LOG);
        res[NEW_RO] = pj_replay(c, "https://a.example", "t2", until, now, true, &LOG);
        res[CHECK_RO] = pj_replay(c, "https://a.example", "t1", until, now, false, &LOG);
        pj_config_free(c);
        ssize_t w = write(pfd[1], res, sizeof(res));
        _exit(w == (ssize_t)sizeof(res) && n < 64 ? 0 : 79);
    }
    close(pfd[1]);
    ssize_t r = read(pfd[0], got, sizeof(got));
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code == 77) {
        skip(NR, "replay: cannot mount a tmpfs in a private mount namespace here");
    } else if (code != 0 || r != (ssize_t)sizeof(got)) {
        ok(0, "replay: full/read-only file system child failed (exit %d)", code);
    } else {
        for (int i = 0; i < NR; i++) {
            ok(got[i] == want[i], "replay: %s (got %s)", what[i], rname(got[i]));
        }
    }
    tl_rmtree(dir);
    free(dir);
}

/* replay_cache under concurrent logins: 16 processes present the same
 * one-time token at once; exactly one is accepted. */
void test_replay_concurrent(void)
{
    char *dir = tl_tmpdir(), path[4096], conf[8400], user[256], cache[4096];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *k = tl_keygen("p256");
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    tl_write_pub(k, path);
    snprintf(cache, sizeof(cache), "%s/replay", dir);
    mkdir(cache, 0700);
    snprintf(conf, sizeof(conf), "key_file = %s\nallowed_subjects = *\nreplay_cache = %s\n", path,
             cache);
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    tl_write_file(path, conf, strlen(conf), 0644);
    long now = (long)time(NULL);
    char payload[512];
    snprintf(payload, sizeof(payload),
             "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"race-%ld\"}", user, now,
             now + 300, now);
    char *tok = tl_sign_raw("{\"alg\":\"ES256\"}", payload, "ES256", k, NULL, 0);
    enum { N = 16 };
    int go[2];
    pid_t pids[N];
    if (pipe(go) != 0)
        return;
    fflush(stdout);
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char b;
            close(go[1]);
            if (read(go[0], &b, 1) < 0) /* all start together */
                _exit(3);
            pj_request rq = {0};
            pj_decision d;
            pj_log quiet = {NULL, NULL, false};
            rq.config_path = path;
            rq.input = tok;
            rq.input_len = strlen(tok);
            rq.now = (double)time(NULL);
            rq.consume = true;
            rq.log = &quiet;
            pj_decide(&rq, &d);
            _exit(d.result == PJ_ACCEPT ? 0 : d.result == PJ_REFUSE ? 1 : 2);
        }
    }
    close(go[0]);
    close(go[1]); /* EOF releases every child at once */
    int accepted = 0, refused = 0, other = 0;
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(pids[i], &st, 0);
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 9;
        accepted += rc == 0;
        refused += rc == 1;
        other += rc > 1;
    }
    is_int(accepted, 1, "replay_cache: %d concurrent logins with one token: exactly one accepted", N);
    is_int(refused, N - 1, "replay_cache: the other %d refused as already used", N - 1);
    is_int(other, 0, "replay_cache: no login failed any other way");
    free(tok);
    EVP_PKEY_free(k);
    tl_rmtree(dir);
    free(dir);
}
