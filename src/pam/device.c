#include "config.h"

#include "device.h"

#include "device_reply.h"
#include "util.h"

#include <security/pam_appl.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The helper's resource limits. */
#define HELPER_CPU_SECONDS 60
#define HELPER_MAX_MEMORY (1024L * 1024 * 1024) /* address space */
#define HELPER_MAX_DATA (256L * 1024 * 1024)
#define HELPER_MAX_FILES 64
#define HELPER_MAX_PROCS 64 /* for the dedicated user only (threads count) */
#define MAX_REQUEST 8192

const pj_config *pj_device_policy(const pj_policies *ps)
{
    for (size_t i = 0; ps != NULL && i < ps->n; i++)
        if (ps->v[i].c != NULL && ps->v[i].c->device_flow)
            return ps->v[i].c;
    return NULL;
}

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Who runs the helper. */
typedef struct runas {
    const char *name;
    uid_t uid;
    gid_t gid;
    bool switch_user; /* the module runs as root: setgroups/setgid/setuid */
    bool own_user;    /* the dedicated user (not the one we run as): RLIMIT_NPROC */
} runas;

static int find_user(const char *name, runas *ru, const pj_log *log)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    int e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
    ru->name = name;
    if (e != 0 || res == NULL) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: device_user %s %s", name,
                e != 0 ? "cannot be looked up" : "does not exist");
        return -1;
    }
    if (pw.pw_uid == 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: device_user %s has uid 0 (the helper "
                              "never runs as root)", name);
        return -1;
    }
    ru->uid = pw.pw_uid;
    ru->gid = pw.pw_gid;
    ru->switch_user = geteuid() == 0;
    ru->own_user = ru->switch_user;
    if (!ru->switch_user && (pw.pw_uid != geteuid() || pw.pw_uid != getuid())) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the module does not run as root, so it "
                              "can run the helper only as itself, not as device_user %s", name);
        return -1;
    }
    return 0;
}

/* The request on the helper's stdin: "key value" lines, then an empty
 * line.  Values are printable (checked at config load). */
static int request(const pj_config *c, char *out, size_t sz)
{
    int n = snprintf(out, sz, "issuer %s\nclient_id %s\nscope %s\ntimeout %ld\n%s%s%s\n",
                     c->issuer, c->device_client_id, c->device_scope ? c->device_scope : "openid",
                     (long)c->device_timeout, c->device_ca_file ? "ca_file " : "",
                     c->device_ca_file ? c->device_ca_file : "", c->device_ca_file ? "\n" : "");
    return n > 0 && (size_t)n < sz ? n : -1;
}

/* What the child reports through the exec pipe when it cannot run the
 * helper (nothing when exec succeeds: the pipe closes on exec). */
typedef struct child_err {
    int stage;
    int err;
} child_err;

static const char *const stages[] = {"descriptors", "signals", "resource limits",
                                     "setgroups",   "setgid",  "setuid",
                                     "user check",  "exec"};

static void child_fail(int fd, int stage)
{
    child_err ce = {stage, errno};
    ssize_t w = write(fd, &ce, sizeof(ce));
    (void)w;
    _exit(127);
}

static void set_limit(int res, rlim_t v, int errfd)
{
    struct rlimit rl = {v, v}, cur;
    /* never raise a limit the application set lower */
    if (getrlimit(res, &cur) != 0)
        child_fail(errfd, 2);
    if (cur.rlim_max != RLIM_INFINITY && cur.rlim_max < v)
        rl.rlim_cur = rl.rlim_max = cur.rlim_max;
    if (setrlimit(res, &rl) == 0)
        return;
    /* Lowering a hard limit never fails on Linux; an emulator (valgrind)
     * may refuse to change it: then the soft limit at least. */
    rl.rlim_max = cur.rlim_max;
    if (setrlimit(res, &rl) != 0)
        child_fail(errfd, 2);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(int in, int out, int errfd, const runas *ru, const char *helper)
{
    static char *const envp[] = {NULL};
    char *argv[] = {(char *)helper, NULL};
    sigset_t all;
    int nul, maxfd;

    /* descriptors: the two pipes as 0 and 1, /dev/null as 2, the exec
     * pipe as 3 (closed by exec), nothing else */
    if ((in = fcntl(in, F_DUPFD_CLOEXEC, 10)) < 0 || (out = fcntl(out, F_DUPFD_CLOEXEC, 10)) < 0 ||
        (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 10)) < 0)
        _exit(127);
    if (dup2(errfd, 3) != 3 || fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
        _exit(127);
    errfd = 3;
    if (dup2(in, 0) != 0 || dup2(out, 1) != 1)
        child_fail(errfd, 0);
    if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 || dup2(nul, 2) != 2)
        child_fail(errfd, 0);
    maxfd = (int)sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    for (int fd = 4; fd < maxfd; fd++)
        (void)close(fd);

    /* signals: the application's handlers and ignored signals are not
     * the helper's (SIG_IGN survives exec) */
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)signal(s, SIG_DFL);
    sigemptyset(&all);
    if (sigprocmask(SIG_SETMASK, &all, NULL) != 0)
        child_fail(errfd, 1);

    set_limit(RLIMIT_CORE, 0, errfd);
    set_limit(RLIMIT_CPU, HELPER_CPU_SECONDS, errfd);
    set_limit(RLIMIT_AS, HELPER_MAX_MEMORY, errfd);
    set_limit(RLIMIT_DATA, HELPER_MAX_DATA, errfd);
    set_limit(RLIMIT_NOFILE, HELPER_MAX_FILES, errfd);
    if (ru->own_user)
        set_limit(RLIMIT_NPROC, HELPER_MAX_PROCS, errfd);
    umask(077);
    if (chdir("/") != 0)
        child_fail(errfd, 0);

    if (ru->switch_user) {
        if (setgroups(1, &ru->gid) != 0)
            child_fail(errfd, 3);
        if (setgid(ru->gid) != 0)
            child_fail(errfd, 4);
        if (setuid(ru->uid) != 0)
            child_fail(errfd, 5);
    }
    /* verified: the ids are the user's, and root cannot be regained */
    if (getuid() != ru->uid || geteuid() != ru->uid || getgid() != ru->gid ||
        getegid() != ru->gid || (ru->switch_user && setuid(0) == 0)) {
        errno = EPERM;
        child_fail(errfd, 6);
    }
    execve(helper, argv, envp);
    child_fail(errfd, 7);
}

/* The helper is gone when this returns: reaped here, killed first when
 * still running.  Only our pid is waited for (the application may have
 * its own SIGCHLD handling). */
static int reap(pid_t pid)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
        return st;
    if (r < 0 && errno == ECHILD)
        return -1; /* reaped by the application (SIGCHLD ignored or its handler) */
    (void)kill(pid, SIGKILL);
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    return r == pid ? st : -1;
}

static void describe_exit(int st, char *out, size_t sz)
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

/* One message through the application's conversation; *answer may be
 * NULL for PAM_TEXT_INFO. */
static int converse(pam_handle_t *pamh, int style, const char *text, char **answer)
{
    const void *item = NULL;
    const struct pam_conv *conv;
    struct pam_message msg = {style, text};
    const struct pam_message *msgp = &msg;
    struct pam_response *resp = NULL;
    int rc;

    if (answer)
        *answer = NULL;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == NULL)
        return -1;
    conv = item;
    if (conv->conv == NULL)
        return -1;
    rc = conv->conv(1, &msgp, &resp, conv->appdata_ptr);
    if (resp != NULL) {
        if (rc == PAM_SUCCESS && answer != NULL)
            *answer = resp->resp;
        else
            pj_free_str(resp->resp);
        free(resp);
    }
    if (rc != PAM_SUCCESS)
        return -1;
    return answer == NULL || *answer != NULL ? 0 : -1;
}

typedef struct session {
    pid_t pid;
    int fd;           /* the helper's stdout */
    long deadline;    /* monotonic ms */
    char buf[4096];   /* read but not yet fed */
    size_t off, len;
    bool eof, timed_out;
    pj_dreader *r;
} session;

/* The next event from the helper: MORE means end of output (eof) or the
 * deadline (timed_out). */
static pj_dr_event next_event(session *s)
{
    for (;;) {
        while (s->off < s->len) {
            size_t used = 0;
            pj_dr_event e = pj_dr_feed(s->r, s->buf + s->off, s->len - s->off, &used);
            s->off += used;
            if (e != PJ_DR_MORE)
                return e;
        }
        long left = s->deadline - mono_ms();
        if (left <= 0) {
            s->timed_out = true;
            return PJ_DR_MORE;
        }
        struct pollfd p = {s->fd, POLLIN, 0};
        int pr = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            s->eof = true;
            return PJ_DR_MORE;
        }
        if (pr == 0)
            continue; /* the deadline is checked above */
        ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            s->eof = true;
            return PJ_DR_MORE;
        }
        s->off = 0;
        s->len = (size_t)n;
    }
}

/* Start the helper; 0 with s->pid and s->fd, or -1 (logged). */
static int start(session *s, const pj_config *c, const runas *ru, const char *helper,
                 const pj_log *log)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, ex[2] = {-1, -1};
    char req[MAX_REQUEST];
    int rn = request(c, req, sizeof(req));
    child_err ce;
    ssize_t got;

    if (rn < 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the request to the helper is too long");
        return -1;
    }
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(ex, O_CLOEXEC) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: pipe: %s", strerror(errno));
        goto fail;
    }
    /* The request fits the pipe: written before the helper exists, so no
     * write can meet a closed pipe (SIGPIPE in the application). */
    if (write(in[1], req, (size_t)rn) != rn) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: cannot write the request: %s",
                strerror(errno));
        goto fail;
    }
    close(in[1]);
    in[1] = -1;
    s->pid = fork();
    if (s->pid < 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: fork: %s", strerror(errno));
        goto fail;
    }
    if (s->pid == 0)
        child(in[0], out[1], ex[1], ru, helper); /* does not return */
    close(in[0]);
    close(out[1]);
    close(ex[1]);
    in[0] = out[1] = ex[1] = -1;
    while ((got = read(ex[0], &ce, sizeof(ce))) < 0 && errno == EINTR)
        ;
    close(ex[0]);
    if (got != 0) {
        int st = reap(s->pid);
        char how[64];
        describe_exit(st, how, sizeof(how));
        if (got == (ssize_t)sizeof(ce) && ce.stage >= 0 &&
            ce.stage < (int)(sizeof(stages) / sizeof(stages[0])))
            pj_logf(log, LOG_ERR, "device sign-in unavailable: cannot run helper %s as %s: %s: %s",
                    helper, ru->name, stages[ce.stage], strerror(ce.err));
        else
            pj_logf(log, LOG_ERR, "device sign-in unavailable: cannot run helper %s as %s (%s)",
                    helper, ru->name, how);
        close(out[0]);
        return -1;
    }
    s->fd = out[0];
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
        if (ex[i] >= 0)
            close(ex[i]);
    }
    return -1;
}

/* An event that is not the one hoped for, logged; the outcome. */
static pj_dev_outcome failed(session *s, pj_dr_event e, const pj_config *c, const pj_log *log,
                             int st)
{
    char how[64];
    switch (e) {
    case PJ_DR_DENIED:
        pj_logf(log, LOG_NOTICE, "device sign-in refused: denied at the identity provider");
        return PJ_DEV_REFUSED;
    case PJ_DR_EXPIRED:
        pj_logf(log, LOG_NOTICE, "device sign-in refused: the code expired before it was approved");
        return PJ_DEV_REFUSED;
    case PJ_DR_TIMEOUT:
        pj_logf(log, LOG_NOTICE, "device sign-in refused: not approved within device_timeout "
                                 "(%ld s)", (long)c->device_timeout);
        return PJ_DEV_REFUSED;
    case PJ_DR_FAILED:
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the helper failed (pamjwt-device logs "
                              "why)");
        return PJ_DEV_UNAVAIL;
    case PJ_DR_BAD:
        pj_logf(log, LOG_ERR, "device sign-in unavailable: malformed helper output: %s",
                s->r->why ? s->r->why : "?");
        return PJ_DEV_UNAVAIL;
    default:
        break;
    }
    if (s->timed_out) {
        pj_logf(log, LOG_NOTICE, "device sign-in refused: not approved within device_timeout "
                                 "(%ld s); helper killed", (long)c->device_timeout);
        return PJ_DEV_REFUSED;
    }
    describe_exit(st, how, sizeof(how));
    pj_logf(log, LOG_ERR, "device sign-in unavailable: the helper ended without a result (%s)",
            how);
    return PJ_DEV_UNAVAIL;
}

pj_dev_outcome pj_device_signin(pam_handle_t *pamh, const pj_config *c, const pj_log *log,
                                char **token)
{
    const char *helper = c->device_helper ? c->device_helper : PJ_DEFAULT_DEVICE_HELPER;
    const char *user = c->device_user ? c->device_user : PJ_DEFAULT_DEVICE_USER;
    session s;
    runas ru;
    pj_dev_outcome out = PJ_DEV_UNAVAIL;
    pj_dr_event e;
    char *prompt = NULL, *answer = NULL;
    int st;

    *token = NULL;
    memset(&s, 0, sizeof(s));
    s.fd = -1;
    s.deadline = mono_ms() + (long)c->device_timeout * 1000;
    if (find_user(user, &ru, log) != 0)
        return PJ_DEV_UNAVAIL;
    if ((s.r = malloc(sizeof(*s.r))) == NULL) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: out of memory");
        return PJ_DEV_UNAVAIL;
    }
    pj_dr_init(s.r);
    if (start(&s, c, &ru, helper, log) != 0) {
        free(s.r);
        return PJ_DEV_UNAVAIL;
    }
    pj_debugf(log, "device sign-in: helper %s runs as %s (pid %ld)", helper, user, (long)s.pid);

    e = next_event(&s);
    if (e != PJ_DR_SHOW)
        goto end;
    if (s.r->complete[0] != '\0') {
        char info[PJ_DR_MAX_URI + 64];
        snprintf(info, sizeof(info), "Or open %s (the code is filled in)", s.r->complete);
        (void)converse(pamh, PAM_TEXT_INFO, info, NULL);
    }
    if (asprintf(&prompt, "Sign in at %s and enter %s, then press Enter: ", s.r->uri,
                 s.r->code) < 0) {
        prompt = NULL;
        pj_logf(log, LOG_ERR, "device sign-in unavailable: out of memory");
        e = PJ_DR_MORE;
        s.eof = true;
        goto end;
    }
    if (converse(pamh, PAM_PROMPT_ECHO_ON, prompt, &answer) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in: conversation failed at the sign-in prompt");
        out = PJ_DEV_CONV;
        reap(s.pid);
        goto done;
    }
    pj_free_str(answer); /* only Enter matters */
    e = next_event(&s);
end:
    st = reap(s.pid);
    if (e == PJ_DR_TOKEN) {
        *token = s.r->token;
        s.r->token = NULL;
        out = PJ_DEV_TOKEN;
    } else {
        out = failed(&s, e, c, log, st);
    }
done:
    free(prompt);
    if (s.fd >= 0)
        close(s.fd);
    pj_dr_wipe(s.r);
    free(s.r);
    explicit_bzero(s.buf, sizeof(s.buf));
    return out;
}
