/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "spawn.h"

#include "users.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The helper's resource limits. */
#define HELPER_CPU_SECONDS 60
#define HELPER_MAX_MEMORY (1024L * 1024 * 1024) /* address space */
#define HELPER_MAX_DATA (256L * 1024 * 1024)
#define HELPER_MAX_FILES 64
#define HELPER_MAX_PROCS 64 /* for the dedicated user only (threads count) */
#define MAX_GROUPS 256      /* a helper user in more groups is refused */
#define MAX_PATH_DEPTH 64   /* components checked by pj_safe_path */
#define REAP_STEP_MS 10

/* Where the child stopped when it could not run the helper: reported
 * through the exec pipe (nothing when exec succeeds: it closes on exec). */
typedef enum {
    STAGE_DESCRIPTORS,
    STAGE_SIGNALS,
    STAGE_SESSION,
    STAGE_LIMITS,
    STAGE_SETGROUPS,
    STAGE_SETGID,
    STAGE_SETUID,
    STAGE_USER_CHECK,
    STAGE_PARENT_DEATH,
    STAGE_NO_NEW_PRIVS,
    STAGE_DUMPABLE,
    STAGE_EXEC,
    STAGE_COUNT
} stage;

static const char *const stage_names[STAGE_COUNT] = {
    [STAGE_DESCRIPTORS] = "descriptors",
    [STAGE_SIGNALS] = "signals",
    [STAGE_SESSION] = "setsid",
    [STAGE_LIMITS] = "resource limits",
    [STAGE_SETGROUPS] = "setgroups",
    [STAGE_SETGID] = "setgid",
    [STAGE_SETUID] = "setuid",
    [STAGE_USER_CHECK] = "user check",
    [STAGE_PARENT_DEATH] = "parent-death signal",
    [STAGE_NO_NEW_PRIVS] = "no_new_privs",
    [STAGE_DUMPABLE] = "dumpable",
    [STAGE_EXEC] = "exec",
};

typedef struct child_err {
    stage at;
    int err;
} child_err;

/* ------------------------------------------------------------ the user */

const char *pj_runas_refused(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
                             uid_t overflow)
{
    if (uid == 0)
        return "has uid 0 (the helper never runs as root)";
    if (gid == 0)
        return "has gid 0 (root's group)";
    for (int i = 0; i < ngroups; i++)
        if (groups[i] == 0)
            return "is in group 0 (root's group)";
    if (uid == overflow || uid == 65534)
        return "is the overflow user (nobody), which owns what nobody else may";
    return NULL;
}

int pj_runas_find(const char *name, pj_runas *ru, const pj_log *log)
{
    gid_t groups[MAX_GROUPS];
    int ngroups = MAX_GROUPS;
    const char *why;
    char safe[160];

    memset(ru, 0, sizeof(*ru));
    ru->name = name;
    pj_sanitize(safe, sizeof(safe), name, strlen(name));
    switch (pj_user_lookup(name, &ru->uid, &ru->gid, log)) {
    case PJ_USER_FOUND: break;
    case PJ_USER_MISSING:
        pj_logf(log, LOG_ERR, "device sign-in unavailable: device_user %s does not exist", safe);
        return -1;
    case PJ_USER_LOOKUP_FAILED:
    default:
        pj_logf(log, LOG_ERR, "device sign-in unavailable: device_user %s cannot be looked up",
                safe);
        return -1;
    }
    if (getgrouplist(name, ru->gid, groups, &ngroups) < 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: device_user %s is in more than %d "
                              "groups", safe, MAX_GROUPS);
        return -1;
    }
    if (strcmp(name, "nobody") == 0)
        why = "is the overflow user (nobody), which owns what nobody else may";
    else
        why = pj_runas_refused(ru->uid, ru->gid, groups, ngroups, pj_overflow_uid());
    if (why != NULL) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: device_user %s %s", safe, why);
        return -1;
    }
    ru->switch_user = geteuid() == 0;
    if (!ru->switch_user && (ru->uid != geteuid() || ru->uid != getuid())) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the module does not run as root, so it "
                              "can run the helper only as itself, not as device_user %s", safe);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ the path */

static int check_component(int fd, const char *path, size_t len, bool last, const char *what,
                           const pj_log *log)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: %s: cannot stat %.*s: %s", what,
                (int)len, path, strerror(errno));
        return -1;
    }
    if (last ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode)) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: %s: %.*s is not a %s", what, (int)len,
                path, last ? "regular file" : "directory");
        return -1;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: %s: %.*s is owned by uid %lu (must be "
                              "root)", what, (int)len, path, (unsigned long)st.st_uid);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: %s: %.*s is writable by group or "
                              "others (%04o)", what, (int)len, path,
                (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

int pj_safe_path(const char *path, const char *what, const pj_log *log)
{
    int dfd, rc = -1;
    size_t i = 1, depth = 0;

    if (path == NULL || path[0] != '/' || strlen(path) >= PATH_MAX) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: %s must be an absolute path", what);
        return -1;
    }
    /* From / down, one name at a time with O_NOFOLLOW: the directories
     * checked are the ones the next name is looked up in. */
    if ((dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        check_component(dfd, "/", 1, false, what, log) != 0)
        goto out;
    while (path[i] != '\0') {
        char name[NAME_MAX + 1];
        size_t n = strcspn(path + i, "/");
        bool last = path[i + n] == '\0' || path[i + n + 1 + strspn(path + i + n + 1, "/")] == '\0';
        int fd;
        if (n == 0) { /* "//" */
            i++;
            continue;
        }
        if (n > NAME_MAX || ++depth > MAX_PATH_DEPTH ||
            (n == 2 && path[i] == '.' && path[i + 1] == '.')) {
            pj_logf(log, LOG_ERR, "device sign-in unavailable: %s %s: not a plain path", what,
                    path);
            goto out;
        }
        memcpy(name, path + i, n);
        name[n] = '\0';
        fd = openat(dfd, name, (last ? O_PATH : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            pj_logf(log, LOG_ERR, "device sign-in unavailable: %s %s: %.*s: %s", what, path,
                    (int)(i + n), path, errno == ELOOP ? "a symbolic link" : strerror(errno));
            goto out;
        }
        close(dfd);
        dfd = fd;
        if (check_component(dfd, path, i + n, last, what, log) != 0)
            goto out;
        i += n;
        if (last)
            break;
    }
    rc = 0;
out:
    if (dfd >= 0)
        close(dfd);
    return rc;
}

/* ------------------------------------------------------------ the child */

static void child_fail(int fd, stage at)
{
    child_err ce = {at, errno};
    ssize_t w = write(fd, &ce, sizeof(ce));
    (void)w;
    _exit(127);
}

static void set_limit(int res, rlim_t v, int errfd)
{
    struct rlimit rl = {v, v}, cur;
    /* never raise a limit the application set lower */
    if (getrlimit(res, &cur) != 0)
        child_fail(errfd, STAGE_LIMITS);
    if (cur.rlim_max != RLIM_INFINITY && cur.rlim_max < v)
        rl.rlim_cur = rl.rlim_max = cur.rlim_max;
    if (setrlimit(res, &rl) == 0)
        return;
    /* Lowering a hard limit never fails on Linux; an emulator (valgrind)
     * may refuse to change it: then the soft limit at least. */
    rl.rlim_max = cur.rlim_max;
    if (setrlimit(res, &rl) != 0)
        child_fail(errfd, STAGE_LIMITS);
}

/* Every descriptor from `from` up closed (close_range, else one by one). */
static void close_from(int from)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0)
        return;
#endif
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    for (int fd = from; fd < maxfd; fd++)
        (void)close(fd);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(int in, int out, int errfd, const pj_runas *ru, const char *helper,
                  pid_t parent)
{
    static char *const envp[] = {NULL};
    char *argv[] = {(char *)helper, NULL};
    sigset_t none;
    int nul;

    /* descriptors: the two pipes as 0 and 1, /dev/null as 2, the exec
     * pipe as 3 (closed by exec), nothing else */
    if ((in = fcntl(in, F_DUPFD_CLOEXEC, 10)) < 0 || (out = fcntl(out, F_DUPFD_CLOEXEC, 10)) < 0 ||
        (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 10)) < 0)
        _exit(127);
    if (dup2(errfd, 3) != 3 || fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
        _exit(127);
    errfd = 3;
    if (dup2(in, 0) != 0 || dup2(out, 1) != 1)
        child_fail(errfd, STAGE_DESCRIPTORS);
    if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0 || dup2(nul, 2) != 2)
        child_fail(errfd, STAGE_DESCRIPTORS);
    close_from(4);

    /* signals: the application's handlers and ignored signals are not
     * the helper's (SIG_IGN survives exec) */
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)signal(s, SIG_DFL);
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
        child_fail(errfd, STAGE_SIGNALS);

    /* a session of its own: no controlling terminal, so no /dev/tty and
     * no TIOCSTI into the user's terminal; its own process group, which
     * pj_spawn_end kills whole */
    if (setsid() < 0)
        child_fail(errfd, STAGE_SESSION);

    set_limit(RLIMIT_CORE, 0, errfd);
    set_limit(RLIMIT_CPU, HELPER_CPU_SECONDS, errfd);
    set_limit(RLIMIT_AS, HELPER_MAX_MEMORY, errfd);
    set_limit(RLIMIT_DATA, HELPER_MAX_DATA, errfd);
    set_limit(RLIMIT_NOFILE, HELPER_MAX_FILES, errfd);
    if (ru->switch_user) /* the dedicated user: RLIMIT_NPROC counts its processes only */
        set_limit(RLIMIT_NPROC, HELPER_MAX_PROCS, errfd);
    umask(077);
    if (chdir("/") != 0)
        child_fail(errfd, STAGE_DESCRIPTORS);

    if (ru->switch_user) {
        if (setgroups(1, &ru->gid) != 0)
            child_fail(errfd, STAGE_SETGROUPS);
        if (setgid(ru->gid) != 0)
            child_fail(errfd, STAGE_SETGID);
        if (setuid(ru->uid) != 0)
            child_fail(errfd, STAGE_SETUID);
    }
    /* verified: the ids are the user's, and root cannot be regained */
    if (getuid() != ru->uid || geteuid() != ru->uid || getgid() != ru->gid ||
        getegid() != ru->gid || (ru->switch_user && setuid(0) == 0)) {
        errno = EPERM;
        child_fail(errfd, STAGE_USER_CHECK);
    }
    /* after the uid change, which clears it; then the parent may already
     * be gone (the signal would never come): checked once it is set */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        child_fail(errfd, STAGE_PARENT_DEATH);
    if (getppid() != parent) {
        errno = ESRCH;
        child_fail(errfd, STAGE_PARENT_DEATH);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        child_fail(errfd, STAGE_NO_NEW_PRIVS);
    /* exec makes an ordinary program dumpable again: pamjwt-device clears
     * it first thing too */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        child_fail(errfd, STAGE_DUMPABLE);
    execve(helper, argv, envp);
    child_fail(errfd, STAGE_EXEC);
}

/* ------------------------------------------------------------ the parent */

/* Write the request without blocking past the deadline.  The parent still
 * holds the read end, so the write never meets a closed pipe (no SIGPIPE
 * in the application); a helper that stops reading is waited for only
 * until the deadline, or until its stdout closes (it died). */
static int write_request(int fd, int helper_out, const char *req, size_t n, int64_t deadline_ms)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, req + off, n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        int64_t left = deadline_ms - pj_mono_ms();
        if (left <= 0)
            return -1;
        struct pollfd p[2] = {{fd, POLLOUT, 0}, {helper_out, 0, 0}};
        int pr = poll(p, 2, left > 1000 ? 1000 : (int)left);
        if (pr < 0 && errno != EINTR)
            return -1;
        if (pr > 0 && (p[1].revents & (POLLHUP | POLLERR)))
            return -1;
    }
    return 0;
}

static void restore_sigchld(pj_proc *p)
{
    (void)sigaction(SIGCHLD, &p->old_chld, NULL);
}

int pj_spawn(pj_proc *p, const char *path, const pj_runas *ru, const char *req, size_t n,
             int64_t deadline_ms, const pj_log *log)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, ex[2] = {-1, -1};
    struct sigaction dfl;
    pid_t parent = getpid();
    child_err ce;
    ssize_t got;

    p->pid = -1;
    p->out = -1;
    /* As pam_unix does: the application may ignore SIGCHLD (then children
     * are reaped by the kernel) or reap in a handler; the helper's status
     * is ours to wait for.  Restored by pj_spawn_end. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGCHLD, &dfl, &p->old_chld) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: sigaction: %s", strerror(errno));
        return -1;
    }
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(ex, O_CLOEXEC) != 0 ||
        fcntl(in[1], F_SETFL, O_NONBLOCK) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: pipe: %s", strerror(errno));
        goto fail;
    }
    p->pid = fork();
    if (p->pid < 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: fork: %s", strerror(errno));
        goto fail;
    }
    if (p->pid == 0)
        child(in[0], out[1], ex[1], ru, path, parent); /* does not return */
    close(out[1]);
    close(ex[1]);
    out[1] = ex[1] = -1;
    p->out = out[0];
    out[0] = -1;
    while ((got = read(ex[0], &ce, sizeof(ce))) < 0 && errno == EINTR)
        ;
    close(ex[0]);
    ex[0] = -1;
    if (got != 0) {
        char how[64];
        pj_spawn_describe(pj_spawn_end(p, 0), how, sizeof(how));
        if (got == (ssize_t)sizeof(ce) && ce.at >= 0 && ce.at < STAGE_COUNT)
            pj_logf(log, LOG_ERR, "device sign-in unavailable: cannot run helper %s as %s: %s: %s",
                    path, ru->name, stage_names[ce.at], strerror(ce.err));
        else
            pj_logf(log, LOG_ERR, "device sign-in unavailable: cannot run helper %s as %s (%s)",
                    path, ru->name, how);
        goto fail_started;
    }
    if (write_request(in[1], p->out, req, n, deadline_ms) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the helper did not take its request");
        (void)pj_spawn_end(p, 0);
        goto fail_started;
    }
    close(in[0]);
    close(in[1]);
    return 0;
fail:
    restore_sigchld(p);
fail_started:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
        if (ex[i] >= 0)
            close(ex[i]);
    }
    p->pid = -1;
    return -1;
}

int pj_spawn_end(pj_proc *p, int grace_ms)
{
    int st = 0;
    pid_t r;

    if (p->out >= 0) {
        close(p->out);
        p->out = -1;
    }
    if (p->pid <= 0)
        return -1;
    /* Its output ended: it is exiting by itself, give it grace_ms (not
     * reaped yet, so its pid and process group stay ours to kill). */
    for (int waited = 0;; waited += REAP_STEP_MS) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
            if (errno == EINTR)
                continue;
            /* reaped by someone else (another thread of the application):
             * its pid may be another process's by now, never signalled */
            p->pid = -1;
            restore_sigchld(p);
            return -1;
        }
        if (si.si_pid == p->pid || waited >= grace_ms)
            break;
        struct timespec ts = {0, REAP_STEP_MS * 1000000L};
        (void)nanosleep(&ts, NULL);
    }
    /* the whole process group: what the helper started dies with it */
    (void)kill(-p->pid, SIGKILL);
    (void)kill(p->pid, SIGKILL);
    while ((r = waitpid(p->pid, &st, 0)) < 0 && errno == EINTR)
        ;
    p->pid = -1;
    restore_sigchld(p);
    return r > 0 ? st : -1;
}

void pj_spawn_describe(int st, char *out, size_t sz)
{
    if (st < 0)
        snprintf(out, sz, "status unknown");
    else if (WIFEXITED(st))
        snprintf(out, sz, "exit status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(out, sz, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(out, sz, "status %d", st);
}
