/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of device sign-in. */
#include "pam.h"

/* ---------------------------------------------------------- device sign-in */
/* The module runs a stub helper (a shell script written here) in place of
 * pamjwt-device: each script plays one outcome.  Running as root the
 * helper runs as nobody, else as the user running the tests. */
static char dev_msgs[8192];   /* "STYLE|text" per message of the last auth */
static const char *dev_first; /* the answer to the token prompt */
static char dev_user[256];

static int dev_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ad)
{
    (void)ad;
    *resp = calloc((size_t)n, sizeof(**resp));
    for (int i = 0; i < n; i++) {
        size_t o = strlen(dev_msgs);
        const char *style = msg[i]->msg_style == PAM_PROMPT_ECHO_OFF  ? "OFF"
                            : msg[i]->msg_style == PAM_PROMPT_ECHO_ON ? "ON"
                            : msg[i]->msg_style == PAM_TEXT_INFO      ? "INFO"
                            : msg[i]->msg_style == PAM_ERROR_MSG      ? "ERR"
                                                                      : "OTHER";
        snprintf(dev_msgs + o, sizeof(dev_msgs) - o, "%s|%s\n", style, msg[i]->msg);
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            (*resp)[i].resp = strdup(o == 0 && dev_first ? dev_first : "");
    }
    return PAM_SUCCESS;
}

/* The helpers live in devbin: a directory whose path is owned by root (or
 * by the user running the tests) and writable by no one else up to /, as
 * device_helper must be (not under /tmp). */
static char devbin[256];

static const char *devbin_path(const char *name)
{
    char *p = path_buf[path_i++ % 8];
    snprintf(p, 4096, "%s/%s", devbin, name);
    return p;
}

static bool devbin_setup(void)
{
    char base[200];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() == 0)
        snprintf(base, sizeof(base), "/run");
    else if (xdg && xdg[0] == '/')
        snprintf(base, sizeof(base), "%s", xdg);
    else
        snprintf(base, sizeof(base), "/run/user/%lu", (unsigned long)geteuid());
    snprintf(devbin, sizeof(devbin), "%s/pamjwt-test-XXXXXX", base);
    if (mkdtemp(devbin) == NULL)
        return false;
    chmod(devbin, 0755);
    return true;
}

/* A helper user for tests as root: a system user that is not root's group,
 * not in it, not nobody (the module refuses those). */
static bool pick_dev_user(void)
{
    struct passwd *pw;
    bool found = false;
    setpwent();
    while (!found && (pw = getpwent()) != NULL) {
        gid_t g[64];
        int ng = 64;
        if (pw->pw_uid == 0 || pw->pw_gid == 0 || pw->pw_uid >= 60000 ||
            strcmp(pw->pw_name, "nobody") == 0 ||
            getgrouplist(pw->pw_name, pw->pw_gid, g, &ng) < 0)
            continue;
        found = true;
        for (int i = 0; i < ng; i++)
            if (g[i] == 0)
                found = false;
        if (found)
            snprintf(dev_user, sizeof(dev_user), "%s", pw->pw_name);
    }
    endpwent();
    return found;
}

/* A stub helper: `body` is shell.  $D is the device test directory. */
static const char *dev_helper(const char *name, const char *body)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "#!/bin/sh\nD=%s/dev\necho $$ > $D/%s.pid\n"
             "tr '\\000' '\\n' < /proc/$$/environ > $D/%s.env\n"
             "o=$(readlink /proc/$$/fd/1); echo \"$o\" > $D/%s.out\n"
             "find /proc/self/fd -mindepth 1 -printf '%%f %%l\\n' > $D/%s.fds\n"
             "id -u > $D/%s.uid\n"
             "cat /proc/$$/limits > $D/%s.limits\n"
             "cat > $D/%s.request\n%s\n",
             dir, name, name, name, name, name, name, name, body);
    const char *path = devbin_path(name);
    if (tl_write_file(path, text, strlen(text), 0755) != 0) {
        printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return path;
}

static void dev_conf(const char *helper, const char *extra)
{
    char buf[4096];
    snprintf(buf, sizeof(buf),
             "issuer = https://idp.example\ndevice_flow = yes\ndevice_client_id = pam-test\n"
             "device_helper = %s\ndevice_user = %s\n%s",
             helper, dev_user, extra ? extra : "");
    conf(buf);
}

static const char *dev_stale; /* a PAM environment entry set before the auth */
static const char *dev_rhost; /* PAM_RHOST, when set */
static int dev_auth(const char *args, const char *user, double *secs)
{
    char stack[8192];
    pam_handle_t *h = NULL;
    struct pam_conv c = {dev_conv, NULL};
    struct timespec t0, t1;
    int rc;
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf %s\n"
             "auth required %s ignored\n",
             so, dir, args ? args : "", settok);
    write_text(service, stack, 0644);
    dev_msgs[0] = '\0';
    loglen = 0;
    logbuf[0] = '\0';
    envbuf[0] = '\0';
    if (pam_start_confdir(service, user, &c, dir, &h) != PAM_SUCCESS)
        return -1;
    if (dev_stale)
        pam_putenv(h, dev_stale);
    if (dev_rhost)
        pam_set_item(h, PAM_RHOST, dev_rhost);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = pam_authenticate(h, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (secs)
        *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    char **env = pam_getenvlist(h);
    for (size_t i = 0; env && env[i]; i++) {
        size_t o = strlen(envbuf);
        snprintf(envbuf + o, sizeof(envbuf) - o, "%s\n", env[i]);
        free(env[i]);
    }
    free(env);
    pam_end(h, rc);
    return rc == PAM_CRED_INSUFFICIENT ? PAM_IGNORE : rc;
}

static char *dev_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/dev/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *b = calloc(1, 65536);
    size_t n = fread(b, 1, 65535, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* The helper of a case is gone (killed or ended, and reaped): no process,
 * no zombie, with its pid. */
static bool dev_gone(const char *name)
{
    char f[64];
    snprintf(f, sizeof(f), "%s.pid", name);
    char *p = dev_file(f);
    long pid = p ? strtol(p, NULL, 10) : 0;
    free(p);
    if (pid <= 0)
        return false;
    char st[64];
    snprintf(st, sizeof(st), "/proc/%ld/stat", pid);
    return access(st, F_OK) != 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* approved: the token written by the helper is decided as typed */
static void test_device_approved(const char *show, const char *tok)
{
    char body[20000];
    const char *h;
    int rc;
    snprintf(body, sizeof(body), "%s\nsleep 0.2\necho 'token %s'", show, tok);
    h = dev_helper("approved", body);
    dev_conf(h, "export_claims = email\n");
    dev_first = "";
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_SUCCESS, "device: an empty answer and an approving helper -> PAM_SUCCESS (%s)",
           logbuf);
    ok(strstr(dev_msgs, "OFF|Token (empty to sign in with a browser): \n"
                        "ON|Sign in at https://idp.example/device and enter ABCD-EFGH, then "
                        "press Enter: \n") == dev_msgs,
       "device: the token prompt says so, then the URL and code as an echoing prompt (got %s)",
       dev_msgs);
    ok(log_has("accepted token for user ") && log_has(" via device sign-in"),
       "device: the log line says 'via device sign-in'");
    ok(strstr(envbuf, "PAM_JWT_EMAIL=me@example.com") != NULL,
       "device: the token's claims are exported like a typed token's");
    ok(dev_gone("approved"), "device: the helper is gone after the login (no zombie)");
}

static void test_device_helper_sandbox(void)
{
    char *s;
    s = dev_file("approved.request");
    ok(s && strcmp(s, "issuer https://idp.example\nclient_id pam-test\nscope openid\n"
                      "timeout 110\n\n") == 0,
       "device: the request on the helper's stdin (default scope openid, timeout 110) (got %s)",
       s ? s : "(none)");
    free(s);
    s = dev_file("approved.env");
    ok(s && s[0] == '\0', "device: the helper's environment is empty (got '%s')", s ? s : "(none)");
    free(s);
    s = dev_file("approved.fds");
    /* a command the helper runs (find) has 0 (the request pipe), 2
     * (/dev/null), 1 (redirected here) and its own directory: nothing else
     * came from the module */
    bool fds_ok = s != NULL && strstr(s, "0 pipe:") != NULL && strstr(s, "2 /dev/null\n") != NULL;
    for (char *l = s, *nl; fds_ok && l && *l; l = nl + 1) {
        if ((nl = strchr(l, '\n')) == NULL)
            break;
        *nl = '\0';
        fds_ok = strncmp(l, "0 ", 2) == 0 || strncmp(l, "1 ", 2) == 0 ||
                 strncmp(l, "2 ", 2) == 0 || strstr(l, "/fd") != NULL ||
                 strcmp(strchr(l, ' ') ? strchr(l, ' ') : l, " /") == 0; /* find's cwd */
        if (!fds_ok)
            printf("# unexpected descriptor in the helper: %s\n", l);
    }
    ok(fds_ok, "device: the helper has its two pipes and /dev/null, nothing else");
    free(s);
    s = dev_file("approved.out");
    ok(s && strncmp(s, "pipe:", 5) == 0, "device: the helper's stdout is a pipe (%s)", s ? s : "");
    free(s);
    s = dev_file("approved.uid");
    struct passwd *dpw = getpwnam(dev_user);
    ok(s && dpw && strtol(s, NULL, 10) == (long)dpw->pw_uid, "device: the helper runs as %s",
       dev_user);
    free(s);
    s = dev_file("approved.limits");
    /* valgrind only pretends to set the file limit (it keeps its own
     * descriptors above it): not checked there */
    const char *preload = getenv("LD_PRELOAD");
    bool vg = preload != NULL && strstr(preload, "vgpreload") != NULL;
    ok(s && strstr(s, "Max core file size        0                    0") != NULL &&
           strstr(s, "Max cpu time              60                   60") != NULL &&
           (vg || strstr(s, "Max open files            64                   64") != NULL),
       "device: the helper's limits: no core, 60 s of CPU, 64 files%s",
       vg ? " (files not checked under valgrind)" : "");
    for (char *l = s, *nl; l && (nl = strchr(l, '\n')) != NULL; l = nl + 1)
        if (strncmp(l, "Max core", 8) == 0 || strncmp(l, "Max cpu", 7) == 0 ||
            strncmp(l, "Max open", 8) == 0 || strncmp(l, "Max address", 11) == 0)
            printf("#   helper %.*s\n", (int)(nl - l), l);
    free(s);
}

/* a typed token is decided as before, the helper is not started */
static void test_device_typed_token(const char *devtok)
{
    int rc;
    /* a token for this host, not for the sign-in client */
    char *tok = iss_token(k_ec256, "ES256", "https://idp.example", me,
                          "\"email\":\"me@example.com\"");
    remove(P("dev/approved.pid"));
    dev_first = tok;
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_SUCCESS, "device: a typed token with device_flow on -> PAM_SUCCESS");
    /* the sign-in client's token (aud its client id), typed: any host
     * using that client takes it from its helper, so typed it could be
     * another host's */
    dev_first = devtok;
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTH_ERR && log_has("taken only from device sign-in") &&
           strstr(dev_msgs, "ERR|Token is for browser sign-in") != NULL,
       "device: the sign-in client's token typed -> PAM_AUTH_ERR, told (%s | %s)", logbuf,
       dev_msgs);
    ok(access(P("dev/approved.pid"), F_OK) != 0, "device: ... no helper started");
    remove(P("dev/approved.pid"));
    dev_first = tok;
    ok(!log_has("via device sign-in") && access(P("dev/approved.pid"), F_OK) != 0,
       "device: ... not via device sign-in, no helper started");
    /* a password is passed on */
    dev_first = "hunter2";
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_IGNORE, "device: a password with device_flow on -> PAM_IGNORE");
    ok(access(P("dev/approved.pid"), F_OK) != 0, "device: ... and no helper started");
    /* prompt= stays */
    dev_first = "";
    rc = dev_auth("prompt=JWT:", me, NULL);
    ok(rc == PAM_SUCCESS && strncmp(dev_msgs, "OFF|JWT:\n", 9) == 0,
       "device: prompt= given: the prompt is kept (got %s)", dev_msgs);
    free(tok);
}

static void test_device_uri_complete_and_pop(void)
{
    char body[20000], *tok;
    int rc;
    /* verification_uri_complete: an info line before the prompt */
    tok = iss_token(k_ec256, "ES256", "https://idp.example", me, "\"aud\":\"pam-test\"");
    snprintf(body, sizeof(body),
             "echo 'show https://idp.example/device ABCD-EFGH "
             "https://idp.example/device?code=ABCD-EFGH'\necho 'token %s'", tok);
    dev_conf(dev_helper("complete", body), NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_SUCCESS &&
           strstr(dev_msgs, "INFO|Or open https://idp.example/device?code=ABCD-EFGH (the code is "
                            "filled in)\nON|Sign in at https://idp.example/device and enter "
                            "ABCD-EFGH, then press Enter: \n") != NULL,
       "device: verification_uri_complete on an info line before the prompt (got %s)", dev_msgs);

    /* require_pop does not apply to a token from device sign-in */
    dev_conf(dev_helper("pop", body), "require_pop = yes\n");
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_SUCCESS, "device: require_pop = yes does not apply to device sign-in (%s)",
           logbuf);
    free(tok);

    /* nor a cnf the token carries: it never passed through a client */
    tok = iss_token(k_ec256, "ES256", "https://idp.example", me,
                    "\"aud\":\"pam-test\",\"cnf\":{\"jkt\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
    snprintf(body, sizeof(body), "echo 'show https://idp.example/device ABCD-EFGH'\necho 'token %s'", tok);
    dev_conf(dev_helper("pop-cnf", body), NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_SUCCESS && strstr(dev_msgs, "pamjwt-pop") == NULL,
       "device: a token from device sign-in with cnf.jkt: accepted, no proof prompt (%s)", logbuf);
    free(tok);
}

/* the helper's error words: each its own code and log line */
static void test_device_error_words(const char *show)
{
    char body[20000];
    int rc;
    struct { const char *word; int rc; const char *log; } words[] = {
        {"denied", PAM_AUTH_ERR, "device sign-in refused: denied at the identity provider"},
        {"expired", PAM_AUTH_ERR, "device sign-in refused: the code expired"},
        {"timeout", PAM_AUTH_ERR, "device sign-in refused: not approved within device_timeout"},
        {"error", PAM_AUTHINFO_UNAVAIL, "device sign-in unavailable: the helper failed"},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "word-%s", words[i].word);
        snprintf(body, sizeof(body), "%s\necho 'error %s'", show, words[i].word);
        dev_conf(dev_helper(name, body), "export_claims = email\n");
        dev_stale = "PAM_JWT_EMAIL=stale@example.com";
        rc = dev_auth(NULL, me, NULL);
        dev_stale = NULL;
        is_int(rc, words[i].rc, "device: helper says %s -> %s", words[i].word,
               pam_strerror(NULL, words[i].rc));
        ok(strstr(envbuf, "PAM_JWT_EMAIL") == NULL,
           "device: ... an earlier PAM_JWT_EMAIL is cleared (export_claims = email)");
        ok(log_has(words[i].log), "device: ... logged '%s' (got %s)", words[i].log, logbuf);
        ok(dev_gone(name), "device: ... the helper is gone");
    }
    /* an error before any code: no sign-in prompt */
    dev_conf(dev_helper("early-error", "echo 'error error'"), NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && strstr(dev_msgs, "ON|") == NULL,
       "device: helper fails before a code -> PAM_AUTHINFO_UNAVAIL, no sign-in prompt");
}

/* slow: past device_timeout the helper is killed, PAM_AUTH_ERR */
static void test_device_timeouts(const char *show)
{
    char body[20000];
    double secs = 0;
    int rc;
    snprintf(body, sizeof(body), "%s\nexec sleep 60", show);
    dev_conf(dev_helper("slow", body), "device_timeout = 2\n");
    rc = dev_auth(NULL, me, &secs);
    is_int(rc, PAM_AUTH_ERR, "device: not approved within device_timeout -> PAM_AUTH_ERR");
    ok(secs >= 1.9 && secs < 3.5, "device: ... after the timeout (2 s), not much later (%.2f s)",
       secs);
    ok(log_has("not approved within device_timeout (2 s); helper killed"),
       "device: ... logged (got %s)", logbuf);
    ok(dev_gone("slow"), "device: ... the slow helper is killed and reaped");
    /* slow before it even shows a code */
    dev_conf(dev_helper("mute", "exec sleep 60"), "device_timeout = 1\n");
    rc = dev_auth(NULL, me, &secs);
    ok(rc == PAM_AUTH_ERR && secs < 2.5 && dev_gone("mute"),
       "device: a helper that never shows a code: killed at the timeout (%.2f s)", secs);
}

/* crashing, exiting early, malformed: PAM_AUTHINFO_UNAVAIL */
static void test_device_broken_helpers(void)
{
    int rc;
    struct { const char *name; const char *body; const char *log; } broken[] = {
        {"crash", "echo 'show https://idp.example/device ABCD-EFGH'\nkill -SEGV $$",
         "ended without a result (killed by signal 11)"},
        {"exit0", "exit 0", "ended without a result (exit status 0)"},
        {"exit3", "echo 'show https://idp.example/device ABCD-EFGH'\nexit 3",
         "ended without a result (exit status 3)"},
        {"noshow", "echo 'token a.b.c'", "malformed helper output: expected a show line first"},
        {"badurl", "echo 'show javascript:alert(1) ABCD'", "malformed helper output: show: bad "
                                                          "verification URI"},
        {"escape", "printf 'show https://idp.example/\\033[2J ABCD\\n'",
         "malformed helper output: a byte that is not printable ASCII"},
        {"notjwt", "echo 'show https://idp.example/device ABCD-EFGH'\necho 'token hunter2'",
         "malformed helper output: token: not a JWT"},
        {"word", "echo 'show https://idp.example/device ABCD-EFGH'\necho 'error nope'",
         "malformed helper output: unknown error word"},
        {"nonl", "echo 'show https://idp.example/device ABCD-EFGH'\nprintf 'token a.b.c'",
         "ended without a result"},
        {"long", "echo 'show https://idp.example/device ABCD-EFGH'\n"
                 "head -c 20000 /dev/zero | tr '\\000' a", "malformed helper output: line too long"},
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        dev_conf(dev_helper(broken[i].name, broken[i].body), NULL);
        rc = dev_auth(NULL, me, NULL);
        is_int(rc, PAM_AUTHINFO_UNAVAIL, "device: helper %s -> PAM_AUTHINFO_UNAVAIL",
               broken[i].name);
        ok(log_has(broken[i].log) && dev_gone(broken[i].name),
           "device: ... logged '%s', helper gone (got %s)", broken[i].log, logbuf);
    }
    /* a helper that cannot be run */
    dev_conf(devbin_path("missing"), NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("device_helper") && log_has("No such file"),
       "device: a missing helper -> PAM_AUTHINFO_UNAVAIL, logged (got %s)", logbuf);
    const char *noexec = dev_helper("noexec", "exit 0");
    chmod(noexec, 0644);
    dev_conf(noexec, NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("cannot run helper") && log_has("exec: Permission"),
       "device: a helper that cannot be executed -> PAM_AUTHINFO_UNAVAIL, logged (got %s)",
       logbuf);
}

/* lying helpers: the token is verified like any other */
static void test_device_lying_helpers(const char *show)
{
    char body[20000];
    int rc;
    char ej[512];
    snprintf(ej, sizeof(ej), "{\"iss\":\"https://idp.example\",\"sub\":\"%s\",\"iat\":%ld,"
             "\"exp\":%ld}", me, now - 7200, now - 3600);
    char *expired_tok = signed_claims(k_ec256, "ES256", ej);
    struct { const char *name; char *tok; const char *log; } lies[] = {
        {"foreign", iss_token(k_ec_other, "ES256", "https://idp.example", me, NULL),
         "bad signature"},
        {"unsigned", strdup("eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0.eA"),
         "alg none is never accepted"},
        {"expired", expired_tok, "expired"},
        {"otheruser", iss_token(k_ec256, "ES256", "https://idp.example", other,
                                "\"aud\":\"pam-test\""),
         "token is for user"},
    };
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        snprintf(body, sizeof(body), "%s\necho 'token %s'", show, lies[i].tok);
        dev_conf(dev_helper(lies[i].name, body), NULL);
        rc = dev_auth(NULL, me, NULL);
        is_int(rc, PAM_AUTH_ERR, "device: a lying helper (%s token) -> PAM_AUTH_ERR", lies[i].name);
        ok(log_has("refused (via device sign-in): ") && log_has(lies[i].log),
           "device: ... refused by the verifier: %s (got %s)", lies[i].log, logbuf);
        if (strcmp(lies[i].name, "otheruser") == 0) {
            char want[600];
            snprintf(want, sizeof(want), "ERR|Signed in as %s, but this login is for %s.\n",
                     other, me);
            ok(strstr(dev_msgs, want) != NULL, "told: device sign-in as another account: '%s' "
               "(got %s)", want, dev_msgs);
        }
        free(lies[i].tok);
    }
}

/* the helper never runs as root, or as another user when not root */
static void test_device_helper_user(void)
{
    int rc;
    dev_conf(dev_helper("root", "exit 0"), NULL);
    char cbuf[4096];
    snprintf(cbuf, sizeof(cbuf),
             "issuer = https://idp.example\ndevice_flow = yes\ndevice_client_id = pam-test\n"
             "device_helper = %s\ndevice_user = no-such-user-pamjwt\n", P("dev/root"));
    conf(cbuf);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("device_user no-such-user-pamjwt does not exist"),
       "device: a device_user that does not exist -> PAM_AUTHINFO_UNAVAIL (got %s)", logbuf);
    if (geteuid() != 0) {
        snprintf(cbuf, sizeof(cbuf),
                 "issuer = https://idp.example\ndevice_flow = yes\ndevice_client_id = pam-test\n"
                 "device_helper = %s\ndevice_user = %s\n", P("dev/root"), other);
        conf(cbuf);
        rc = dev_auth(NULL, me, NULL);
        ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("can run the helper only as itself"),
           "device: not root: another device_user -> PAM_AUTHINFO_UNAVAIL (got %s)", logbuf);
    } else {
        skip(1, "running as root: the module switches to any device_user");
    }

    /* device_flow off: the prompt and an empty answer as before */
    conf(NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_IGNORE && strcmp(dev_msgs, "OFF|Token: \n") == 0,
       "device: without device_flow the prompt is 'Token: ' and an empty answer is passed on");
}

/* a policy directory: one device policy; its token must be for it */
static void test_device_policy_dir(const char *show)
{
    char body[20000], *tok;
    const char *h;
    int rc;
    char cbuf[4096];
    mkdir(P("pol"), 0755);
    char polpath[512];
    snprintf(polpath, sizeof(polpath), "%s/pol", dir);
    DIR *dd = opendir(polpath);
    struct dirent *de;
    while (dd && (de = readdir(dd)) != NULL)
        if (de->d_name[0] != '.') {
            char f[1024];
            snprintf(f, sizeof(f), "%s/%s", polpath, de->d_name);
            remove(f);
        }
    if (dd)
        closedir(dd);
    tok = iss_token(k_rsa, "RS256", "https://b.example", me, NULL);
    snprintf(body, sizeof(body), "%s\necho 'token %s'", show, tok);
    h = dev_helper("otheriss", body);
    snprintf(cbuf, sizeof(cbuf),
             "issuer = https://a.example\nkey_file = %s/ec256.pub\nallowed_subjects = *\n"
             "device_flow = yes\ndevice_client_id = c\ndevice_helper = %s\ndevice_user = %s\n",
             dir, h, dev_user);
    policy("a.conf", cbuf, 0644);
    snprintf(cbuf, sizeof(cbuf),
             "issuer = https://b.example\nkey_file = %s/rsa.pub\nallowed_subjects = *\n", dir);
    policy("b.conf", cbuf, 0644);
    char dargs[600];
    snprintf(dargs, sizeof(dargs), "config=%s/pol", dir);
    rc = dev_auth(dargs, me, NULL);
    ok(rc == PAM_AUTH_ERR && log_has("not for the device_flow policy's issuer"),
       "device: a token of another policy's issuer from device sign-in is refused (got %s)",
       logbuf);
    rc = auth_dir(me, tok);
    is_int(rc, PAM_SUCCESS, "device: ... the same token typed is accepted by its own policy");
    free(tok);
    snprintf(cbuf, sizeof(cbuf),
             "issuer = https://b.example\nkey_file = %s/rsa.pub\nallowed_subjects = *\n"
             "device_flow = yes\ndevice_client_id = c\n", dir);
    policy("b.conf", cbuf, 0644);
    tok = es256(me, 300, NULL);
    rc = auth_dir(me, tok);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("device_flow is set in") &&
           log_has("at most one policy may set it"),
       "device: two policies with device_flow: config error -> PAM_AUTHINFO_UNAVAIL (got %s)",
       logbuf);
    free(tok);
    remove(P("pol/a.conf"));
    remove(P("pol/b.conf"));
}

/* device_audience: one policy serves typed tokens (audience) and device
 * sign-in (device_audience, default device_client_id) */
static void test_device_audience(const char *show)
{
    char body[20000], host[256], aud[300], extra[400], want[600];
    char *typed, *viadev;
    int rc;
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    snprintf(aud, sizeof(aud), "ssh://%s", host);
    snprintf(extra, sizeof(extra), "\"aud\":\"%s\"", aud);
    typed = iss_token(k_ec256, "ES256", "https://idp.example", me, extra);
    viadev = iss_token(k_ec256, "ES256", "https://idp.example", me, "\"aud\":\"pam-test\"");
    snprintf(body, sizeof(body), "%s\necho 'token %s'", show, viadev);
    char h[512]; /* dev_helper's path is in a buffer P() reuses */
    snprintf(h, sizeof(h), "%s", dev_helper("devaud", body));
    dev_conf(h, "audience = ssh://%h\n");
    dev_first = typed;
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_SUCCESS && !log_has("refused"),
       "device_audience: audience = ssh://%%h: a typed token for %s -> PAM_SUCCESS, nothing "
       "refused (%s)", aud, logbuf);
    dev_first = "";
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_SUCCESS && log_has("via device sign-in") && !log_has("refused"),
       "device_audience: ... and device sign-in (aud pam-test, the client id) -> PAM_SUCCESS by "
       "the same line (%s)", logbuf);
    /* each kind of token is held to its own audience only */
    dev_first = viadev;
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_AUTH_ERR, "device_audience: the client id's token typed -> PAM_AUTH_ERR");
    snprintf(body, sizeof(body), "%s\necho 'token %s'", show, typed);
    dev_conf(dev_helper("devaud2", body), "audience = ssh://%h\n");
    dev_first = "";
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_AUTH_ERR, "device_audience: a token for %s from device sign-in -> PAM_AUTH_ERR",
           aud);
    snprintf(want, sizeof(want), "ERR|Token is for %s, this host takes pam-test.\n", aud);
    ok(strstr(dev_msgs, want) != NULL, "device_audience: ... told '%s' (got %s)", want, dev_msgs);
    /* device_audience set: %h expanded, the client id no longer used */
    dev_conf(dev_helper("devaud3", body), "audience = ssh://%h\ndevice_audience = ssh://%h\n");
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_SUCCESS && log_has("via device sign-in"),
       "device_audience = ssh://%%h: a token for %s from device sign-in -> PAM_SUCCESS (%s)", aud,
       logbuf);
    dev_conf(h, "device_audience = ssh://%h\n");
    rc = dev_auth(NULL, me, NULL);
    is_int(rc, PAM_AUTH_ERR,
           "device_audience = ssh://%%h: a token for the client id from device sign-in -> "
           "PAM_AUTH_ERR");
    dev_first = NULL;
    free(typed);
    free(viadev);
}

/* ---------------------------------------------------------- device seams */
/* The probe (tests/device_probe.c) as device_helper, reporting to
 * dir/dev/probe.report; scope "wait" makes it wait after showing a code. */
static const char *probe_report(void)
{
    return P("dev/probe.report");
}

static void probe_conf(const char *extra)
{
    static char helper[512];
    char buf[4096];
    const char *src = getenv("DEVICE_PROBE");
    char *bin = NULL;
    size_t n = 0;
    FILE *f = src ? fopen(src, "rb") : NULL;
    if (f != NULL) {
        bin = malloc(4 << 20);
        n = bin ? fread(bin, 1, 4 << 20, f) : 0;
        fclose(f);
    }
    snprintf(helper, sizeof(helper), "%s", devbin_path("probe"));
    if (bin == NULL || n == 0 || tl_write_file(helper, bin, n, 0755) != 0) {
        printf("Bail out! cannot copy the probe %s\n", src ? src : "(DEVICE_PROBE unset)");
        exit(1);
    }
    free(bin);
    remove(probe_report());
    snprintf(buf, sizeof(buf),
             "issuer = https://idp.example\ndevice_flow = yes\ndevice_client_id = %s\n"
             "device_helper = %s\ndevice_user = %s\n%s",
             probe_report(), helper, dev_user, extra ? extra : "");
    conf(buf);
}

/* A number from the probe's report, or -1. */
static long probe_value(const char *key)
{
    char *r = dev_file("probe.report"), *p;
    long v = -1;
    size_t kl = strlen(key);
    for (p = r; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            v = strtol(p + kl + 1, NULL, 10);
            break;
        }
    free(r);
    return v;
}

/* The process is gone (no process, or a zombie: it is dead). */
static bool pid_dead(long pid)
{
    char path[64], st[512];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    size_t n = fread(st, 1, sizeof(st) - 1, f);
    fclose(f);
    st[n] = '\0';
    char *c = strrchr(st, ')');
    return c != NULL && c[1] == ' ' && (c[2] == 'Z' || c[2] == 'X');
}

/* Both gone within two seconds (polled; not a timing assertion). */
static bool dead_soon(long a, long b)
{
    for (int i = 0; i < 200; i++) {
        if (pid_dead(a) && pid_dead(b))
            return true;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The helper cannot reach the terminal of the login that started it: the
 * PAM process here has a controlling terminal (a pty), as sudo's has. */
static void test_device_no_terminal(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
        skip(5, "device: no pty");
        return;
    }
    probe_conf(NULL);
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        int s;
        if (setsid() < 0 || (s = open(ptsname(m), O_RDWR)) < 0 || ioctl(s, TIOCSCTTY, 0) != 0)
            _exit(99);
        int rc = dev_auth(NULL, me, NULL);
        if (rc != PAM_AUTH_ERR)
            printf("# probe: %d %s\n", rc, logbuf);
        fflush(stdout);
        _exit(rc == PAM_AUTH_ERR ? 0 : 98);
    }
    int st = 0;
    waitpid(kid, &st, 0);
    close(m);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "device seams: the probe ran under a login with a "
                                              "controlling terminal (status %d)", st);
    ok(probe_value("sid_is_pid") == 1, "device seams: the helper has a session of its own");
    ok(probe_value("tty_open") > 0, "device seams: the helper cannot open /dev/tty (errno %ld)",
       probe_value("tty_open"));
    ok(probe_value("tiocsti") == 0, "device seams: TIOCSTI pushes nothing from the helper (%ld)",
       probe_value("tiocsti"));
    ok(probe_value("no_new_privs") == 1, "device seams: the helper runs with no_new_privs");
}

/* What the helper started dies with the sign-in: the module kills the
 * helper's process group (here without a terminal whose hang-up would
 * kill it anyway). */
static void test_device_group_kill(void)
{
    probe_conf(NULL);
    int rc = dev_auth(NULL, me, NULL);
    long child = probe_value("child");
    ok(rc == PAM_AUTH_ERR && child > 0 && dead_soon(child, child),
       "device seams: a process the helper started is killed when the sign-in ends (%d, %ld)",
       rc, child);
    if (child > 0 && !pid_dead(child))
        kill((pid_t)child, SIGKILL);
}

/* The PAM process dies while the helper polls: the helper dies with it. */
static void test_device_parent_death(void)
{
    probe_conf("device_scope = wait\n");
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        (void)dev_auth(NULL, me, NULL);
        _exit(0);
    }
    for (int i = 0; i < 1000 && access(probe_report(), F_OK) != 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    long pid = probe_value("pid"), child = probe_value("child");
    ok(pid > 0 && child > 0, "device seams: the waiting probe started (pid %ld)", pid);
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    ok(pid > 0 && dead_soon(pid, pid),
       "device seams: PAM process killed while the helper polls: no helper left");
    /* A process the helper itself started is not covered when the module
     * is killed (nothing is left to kill its group; a cgroup would): the
     * real helper starts none.  Not left behind by the test. */
    if (pid > 0 && !pid_dead(pid))
        kill((pid_t)pid, SIGKILL);
    if (child > 0 && !pid_dead(child))
        kill((pid_t)child, SIGKILL);
}

/* device_max_pending: with every slot held, one more is refused at once. */
static void test_device_max_pending(const char *show)
{
    const char *test_so = getenv("PAM_JWT_TEST_SO");
    char slots[512], slot0[600];
    snprintf(slots, sizeof(slots), "%s", test_so);
    char *cut = strstr(slots, "/.libs/");
    if (cut == NULL) {
        skip(4, "device: the test module is not in tests/.libs");
        return;
    }
    snprintf(cut, sizeof(slots) - (size_t)(cut - slots), "/device-slots");
    mkdir(slots, 0700);
    snprintf(slot0, sizeof(slot0), "%s/slot-0", slots);
    int fd = open(slot0, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "device max_pending: the test holds slot 0");
    char body[256];
    snprintf(body, sizeof(body), "%s\necho 'error denied'", show);
    dev_conf(dev_helper("pending", body), "device_max_pending = 1\n");
    remove(P("dev/pending.pid"));
    int rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("device_max_pending (1) sign-ins are in progress") &&
           access(P("dev/pending.pid"), F_OK) != 0,
       "device max_pending: the N+1st -> PAM_AUTHINFO_UNAVAIL, logged, no helper (got %s)",
       logbuf);
    if (fd >= 0)
        close(fd); /* the slot is free again */
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTH_ERR && access(P("dev/pending.pid"), F_OK) == 0,
       "device max_pending: with the slot free the sign-in runs (%d, %s)", rc, logbuf);
    dev_conf(dev_helper("pending", body), "device_max_pending = 0\n");
    rc = dev_auth(NULL, me, NULL);
    ok(log_has("device_max_pending: expected a number from 1 to 1024"),
       "device max_pending: 0 is a config error (got %s)", logbuf);
}

/* device_helper and the directories above it; device_user. */
static void test_device_safe_path_and_user(const char *show)
{
    char sub_dir[300], body[256];
    int rc;
    snprintf(body, sizeof(body), "%s\necho 'error denied'", show);
    snprintf(sub_dir, sizeof(sub_dir), "%s/gw", devbin);
    mkdir(sub_dir, 0755);
    char h[512];
    snprintf(h, sizeof(h), "%s", dev_helper("gw/helper", body));
    chmod(sub_dir, 0775);
    dev_conf(h, NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("is writable by group or others") &&
           access(P("dev/gw/helper.pid"), F_OK) != 0,
       "device safe path: a group-writable directory above the helper -> PAM_AUTHINFO_UNAVAIL "
       "(got %s)", logbuf);
    chmod(sub_dir, 0755);
    chmod(h, 0775);
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("is writable by group or others"),
       "device safe path: a group-writable helper -> PAM_AUTHINFO_UNAVAIL (got %s)", logbuf);
    chmod(h, 0755);
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(dev_user);
        int cr = chown(sub_dir, pw ? pw->pw_uid : 1, (gid_t)-1);
        rc = dev_auth(NULL, me, NULL);
        ok(cr == 0 && rc == PAM_AUTHINFO_UNAVAIL && log_has("(must be root)"),
           "device safe path: a directory owned by another user -> PAM_AUTHINFO_UNAVAIL (got %s)",
           logbuf);
        if (chown(sub_dir, 0, (gid_t)-1) != 0)
            printf("# cannot give %s back to root\n", sub_dir);
    } else {
        skip(1, "device safe path: not root, cannot give a directory to another user");
    }
    char link[300];
    snprintf(link, sizeof(link), "%s/link", devbin);
    int lr = symlink(h, link);
    dev_conf(link, NULL);
    rc = dev_auth(NULL, me, NULL);
    ok(lr == 0 && rc == PAM_AUTHINFO_UNAVAIL && log_has("not a regular file"),
       "device safe path: a symbolic link as device_helper -> PAM_AUTHINFO_UNAVAIL (got %s)",
       logbuf);
    /* the overflow user */
    if (getpwnam("nobody") != NULL) {
        char cbuf[1024];
        snprintf(cbuf, sizeof(cbuf),
                 "issuer = https://idp.example\ndevice_flow = yes\ndevice_client_id = pam-test\n"
                 "device_helper = %s\ndevice_user = nobody\n", h);
        conf(cbuf);
        rc = dev_auth(NULL, me, NULL);
        ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("device_user nobody is the overflow user"),
           "device user: nobody -> PAM_AUTHINFO_UNAVAIL, logged (got %s)", logbuf);
    } else {
        skip(1, "device user: no user nobody here");
    }
}

/* White space is not a trigger; device_from limits who is offered it. */
static void test_device_trigger_and_from(const char *show)
{
    char body[256];
    int rc;
    snprintf(body, sizeof(body), "%s\necho 'error denied'", show);
    char h[512];
    snprintf(h, sizeof(h), "%s", dev_helper("trig", body));
    dev_conf(h, NULL);
    remove(P("dev/trig.pid"));
    dev_first = " ";
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_IGNORE && access(P("dev/trig.pid"), F_OK) != 0,
       "device: a one-space answer is passed on (PAM_IGNORE), no helper started (%d)", rc);
    dev_first = "\t";
    rc = dev_auth(NULL, me, NULL);
    ok(rc == PAM_IGNORE && access(P("dev/trig.pid"), F_OK) != 0,
       "device: a tab is passed on too (%d)", rc);
    dev_first = "";
    struct { const char *from, *rhost; bool offered; } cases[] = {
        {"192.0.2.0/24", "198.51.100.7", false},
        {"192.0.2.0/24", "192.0.2.9", true},
        {"192.0.2.0/24", "::ffff:192.0.2.9", true},
        {"192.0.2.0/24", "host.example", false},
        {"192.0.2.0/24", NULL, true},
        {"2001:db8::/32, 10.0.0.0/8", "2001:db8::1", true},
        {"2001:db8::/32, 10.0.0.0/8", "2001:db9::1", false},
        {"192.0.2.7", "192.0.2.8", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char extra[128];
        snprintf(extra, sizeof(extra), "device_from = %s\n", cases[i].from);
        dev_conf(h, extra);
        remove(P("dev/trig.pid"));
        dev_rhost = cases[i].rhost;
        rc = dev_auth(NULL, me, NULL);
        if (cases[i].offered)
            ok(rc == PAM_AUTH_ERR && access(P("dev/trig.pid"), F_OK) == 0 &&
                   strncmp(dev_msgs, "OFF|Token (empty to sign in", 27) == 0,
               "device_from = %s, PAM_RHOST %s: offered (%d, %s)", cases[i].from,
               cases[i].rhost ? cases[i].rhost : "unset", rc, logbuf);
        else
            ok(rc == PAM_IGNORE && access(P("dev/trig.pid"), F_OK) != 0 &&
                   strcmp(dev_msgs, "OFF|Token: \n") == 0,
               "device_from = %s, PAM_RHOST %s: prompt 'Token: ', empty answer passed on, no "
               "helper (%d, %s)", cases[i].from, cases[i].rhost, rc, dev_msgs);
    }
    dev_rhost = NULL;
}

static void reap_all(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

/* The application ignores SIGCHLD or reaps in a handler: the helper's
 * status is still the module's, and the disposition is given back. */
static void test_device_sigchld(void)
{
    struct sigaction sa, cur;
    dev_conf(dev_helper("st3", "echo 'show https://idp.example/device ABCD-EFGH'\nexit 3"), NULL);
    for (int round = 0; round < 2; round++) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = round == 0 ? SIG_IGN : reap_all;
        sigaction(SIGCHLD, &sa, NULL);
        int rc = dev_auth(NULL, me, NULL);
        sigaction(SIGCHLD, NULL, &cur);
        ok(rc == PAM_AUTHINFO_UNAVAIL && log_has("ended without a result (exit status 3)"),
           "device: SIGCHLD %s in the application: the helper's exit status is known (got %s)",
           round == 0 ? "ignored" : "reaped by a handler", logbuf);
        ok(cur.sa_handler == sa.sa_handler, "device: ... and SIGCHLD is given back as it was");
        sa.sa_handler = SIG_DFL;
        sigaction(SIGCHLD, &sa, NULL);
    }
}

static void test_device_seams(const char *show, const char *tok)
{
    (void)tok;
    test_device_no_terminal();
    test_device_group_kill();
    test_device_parent_death();
    test_device_max_pending(show);
    test_device_safe_path_and_user(show);
    test_device_trigger_and_from(show);
    test_device_sigchld();
}

void test_device(void)
{
    static const char show[] = "echo 'show https://idp.example/device ABCD-EFGH'";

    const char *test_so = getenv("PAM_JWT_TEST_SO"), *main_so = so;
    if (test_so == NULL || !devbin_setup()) {
        skip(1, "device: PAM_JWT_TEST_SO not set or no safe directory for the helpers");
        return;
    }
    so = test_so; /* its device_max_pending slots are in the build tree */
    if (geteuid() == 0) {
        if (!pick_dev_user()) {
            skip(1, "device: no system user to run the helper as");
            so = main_so;
            return;
        }
        chmod(dir, 0711); /* the helper writes what it saw in dir/dev */
    } else {
        snprintf(dev_user, sizeof(dev_user), "%s", me);
    }
    char devdir[512];
    snprintf(devdir, sizeof(devdir), "%s/dev", dir);
    mkdir(devdir, 0777);
    chmod(devdir, 0777); /* the stubs write what they saw here */
    char *tok = iss_token(k_ec256, "ES256", "https://idp.example", me,
                          "\"email\":\"me@example.com\",\"aud\":\"pam-test\"");
    char *tok2 = strdup(tok);
    test_device_approved(show, tok);
    test_device_helper_sandbox();
    test_device_typed_token(tok);
    free(tok);
    test_device_uri_complete_and_pop();
    test_device_error_words(show);
    test_device_timeouts(show);
    test_device_broken_helpers();
    test_device_lying_helpers(show);
    test_device_helper_user();
    test_device_policy_dir(show);
    test_device_audience(show);
    test_device_seams(show, tok2);
    free(tok2);
    dev_first = NULL;
    so = main_so;
    tl_rmtree(devbin);
}
