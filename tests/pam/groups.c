/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of groups from the token (group_map, pam_setcred). */
#include "pam.h"

/* ---------------------------------------------------------- groups from the token */
/* group_map: setcred on the handle that authenticated adds the mapped
 * groups to this (the test) process.  setgroups needs root: as another
 * user the cases that add groups check PAM_CRED_ERR instead. */

static gid_t grp_orig[4096];
static int grp_norig;
static char grp_name[3][64]; /* existing groups (gid != 0) this process lacks */
static gid_t grp_gid[3];

/* The supplementary groups this process has now, as " gid gid ... ". */
static const char *groups_now(void)
{
    static char out[8192];
    gid_t v[4096];
    int n = getgroups(4096, v);
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o < sizeof(out); i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, " %ju", (uintmax_t)v[i]);
    return out;
}

static bool has_group(gid_t g)
{
    gid_t v[4096];
    int n = getgroups(4096, v);
    for (int i = 0; i < n; i++)
        if (v[i] == g)
            return true;
    return false;
}

static void groups_restore(void)
{
    if (geteuid() == 0 && setgroups((size_t)grp_norig, grp_orig) != 0)
        printf("Bail out! cannot restore the test's groups\n"), exit(1);
}

/* Pick three existing groups with a gid other than 0 that this process
 * lacks; false when there are none. */
static bool groups_setup(void)
{
    struct group *g;
    int k = 0;
    grp_norig = getgroups(4096, grp_orig);
    setgrent();
    while (k < 3 && (g = getgrent()) != NULL)
        if (g->gr_gid != 0 && !has_group(g->gr_gid) && strlen(g->gr_name) < 64) {
            bool dup = false;
            for (int i = 0; i < k; i++)
                dup = dup || grp_gid[i] == g->gr_gid;
            if (dup)
                continue;
            snprintf(grp_name[k], sizeof(grp_name[k]), "%s", g->gr_name);
            grp_gid[k++] = g->gr_gid;
        }
    endgrent();
    return grp_norig >= 0 && k == 3;
}

/* Authenticate on one handle, set PAM_USER to user_after (when not NULL),
 * then pam_setcred(flags); the setcred result, the auth result in *arc.
 * The log holds both steps' lines. */
static int auth_setcred(const char *stack, const char *user, const char *tok,
                        const char *user_after, int flags, int *arc)
{
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    int rc;
    write_text(service, stack, 0644);
    answer = tok;
    conv_calls = 0;
    loglen = 0;
    logbuf[0] = '\0';
    if (pam_start_confdir(service, user, &c, dir, &h) != PAM_SUCCESS)
        return -1;
    *arc = pam_authenticate(h, 0);
    if (user_after != NULL)
        pam_set_item(h, PAM_USER, user_after);
    rc = pam_setcred(h, flags);
    pam_end(h, rc);
    return rc;
}

static const char *jwt_stack(void)
{
    static char stack[8192];
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf\n"
             "auth required %s ignored\n",
             so, dir, settok);
    return stack;
}

static void groups_conf(const char *map, const char *extra)
{
    char buf[512];
    write_text("group_map", map, 0644);
    snprintf(buf, sizeof(buf), "group_map = %s/group_map\n%s", dir, extra ? extra : "");
    conf(buf);
}

static void test_groups_added(void)
{
    char map[512], want[512];
    int arc, rc;
    bool root = geteuid() == 0;
    snprintf(map, sizeof(map),
             "# IdP group  local group\n"
             "/admins %s\n"
             "0a1b2c3d-0000-4000-8000-000000000001 %s\n"
             "/nobody-has-this %s\n"
             "/admins pjtest-no-such-group\n",
             grp_name[0], grp_name[1], grp_name[2]);
    groups_conf(map, NULL);
    char *t = es256(me, 300, "\"groups\":[\"/admins\",\"0a1b2c3d-0000-4000-8000-000000000001\",7]");
    rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
    is_int(arc, PAM_SUCCESS, "groups: token accepted");
    if (root) {
        is_int(rc, PAM_SUCCESS, "groups: setcred PAM_ESTABLISH_CRED succeeds");
        ok(has_group(grp_gid[0]) && has_group(grp_gid[1]), "groups: both mapped groups added (%s)",
           groups_now());
        ok(!has_group(grp_gid[2]), "groups: a group the token does not name is not added");
        for (int i = 0; i < grp_norig; i++)
            if (!has_group(grp_orig[i]))
                ok(0, "groups: gid %ju removed", (uintmax_t)grp_orig[i]);
        ok(1, "groups: no group removed");
        snprintf(want, sizeof(want), "setcred: user %s: added groups %s(%ju) %s(%ju)", me,
                 grp_name[0], (uintmax_t)grp_gid[0], grp_name[1], (uintmax_t)grp_gid[1]);
        ok(log_has(want), "groups: one line names what was added");
        ok(log_has("mapped group pjtest-no-such-group does not exist: skipped"),
           "groups: a missing group is logged and skipped");
    } else {
        is_int(rc, PAM_CRED_ERR, "groups: not root: setgroups fails, PAM_CRED_ERR");
        ok(log_has("cannot add groups"), "groups: ... logged");
        skip(4, "not root: setgroups needs root");
    }
    groups_restore();

    /* PAM_REINITIALIZE_CRED (sshd, screen lockers) adds them too */
    rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_REINITIALIZE_CRED, &arc);
    if (root)
        ok(rc == PAM_SUCCESS && has_group(grp_gid[0]), "groups: PAM_REINITIALIZE_CRED adds them");
    else
        is_int(rc, PAM_CRED_ERR, "groups: PAM_REINITIALIZE_CRED tries to add them (not root)");
    groups_restore();

    /* the process has them already: nothing to set, PAM_SUCCESS even
     * where setgroups would fail */
    if (root) {
        gid_t v[4098];
        int n = getgroups(4096, v);
        v[n++] = grp_gid[0];
        v[n++] = grp_gid[1];
        setgroups((size_t)n, v);
        rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
        is_int(rc, PAM_SUCCESS, "groups: all present already: PAM_SUCCESS");
        ok(log_has("no group added"), "groups: ... logged as no group added");
        groups_restore();
    } else {
        skip(2, "not root");
    }

    /* PAM_DELETE_CRED, PAM_REFRESH_CRED: nothing done */
    const int other_flags[] = {PAM_DELETE_CRED, PAM_REFRESH_CRED};
    for (size_t i = 0; i < 2; i++) {
        rc = auth_setcred(jwt_stack(), me, t, NULL, other_flags[i], &arc);
        ok(rc == PAM_SUCCESS && !has_group(grp_gid[0]) && !log_has("setcred:"),
           "groups: %s: PAM_SUCCESS, nothing added", i ? "PAM_REFRESH_CRED" : "PAM_DELETE_CRED");
        groups_restore();
    }
    free(t);

    /* no rule matches: nothing, PAM_SUCCESS */
    t = es256(me, 300, "\"groups\":\"/Admins\"");
    rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
    ok(arc == PAM_SUCCESS && rc == PAM_SUCCESS && !has_group(grp_gid[0]) && !log_has("setcred:"),
       "groups: a token whose groups match no rule gets nothing");
    groups_restore();
    free(t);

    /* group_claim names the claim; a string is one group */
    groups_conf(map, "group_claim = roles\n");
    t = es256(me, 300, "\"groups\":[\"/admins\"],\"roles\":\"/nobody-has-this\"");
    rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
    if (root)
        ok(rc == PAM_SUCCESS && has_group(grp_gid[2]) && !has_group(grp_gid[0]),
           "groups: group_claim = roles: the roles string is mapped, groups is not");
    else
        is_int(rc, PAM_CRED_ERR, "groups: group_claim = roles maps (not root: PAM_CRED_ERR)");
    groups_restore();
    free(t);
}

static void test_groups_refused(void)
{
    char map[512], stack[8192];
    int arc, rc;
    snprintf(map, sizeof(map), "/admins %s\n", grp_name[0]);
    groups_conf(map, NULL);
    char *t = es256(me, 300, "\"groups\":[\"/admins\"]");

    /* sudo: PAM_USER is the target user by setcred */
    if (other[0]) {
        rc = auth_setcred(jwt_stack(), me, t, other, PAM_ESTABLISH_CRED, &arc);
        ok(arc == PAM_SUCCESS && rc == PAM_SUCCESS && !has_group(grp_gid[0]),
           "groups: PAM_USER changed to another user before setcred (sudo): nothing added");
        char want[600];
        snprintf(want, sizeof(want), "setcred: PAM_USER is %s, not %s whom the token logged in",
                 other, me);
        ok(log_has(want), "groups: ... logged");
        groups_restore();
    } else {
        skip(2, "no second user");
    }

    /* a login another module accepted: pam_jwt ignores a password */
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf\n"
             "auth required %s expect=hunter2\n",
             so, dir, settok);
    rc = auth_setcred(stack, me, "hunter2", NULL, PAM_ESTABLISH_CRED, &arc);
    ok(arc == PAM_SUCCESS && rc == PAM_SUCCESS && !has_group(grp_gid[0]) && !log_has("setcred:"),
       "groups: a login another module accepted gets nothing");
    groups_restore();

    /* the same handle: pam_jwt accepted a first attempt, refused the
     * second, which another module accepted; setcred adds nothing */
    {
        pam_handle_t *h = NULL;
        struct pam_conv c = {conv, NULL};
        snprintf(stack, sizeof(stack),
                 "auth sufficient %s config=%s/pam_jwt.conf\n"
                 "auth required %s expect=%s\n",
                 so, dir, settok, t);
        write_text(service, stack, 0644);
        answer = t;
        loglen = 0;
        pam_start_confdir(service, me, &c, dir, &h);
        int a1 = pam_authenticate(h, 0);
        groups_conf(map, "allowed_subjects_file = /nonexistent-pjtest\n"); /* now refused */
        conf("allowed_subjects = someone-else\n");
        int a2 = pam_authenticate(h, 0);
        rc = pam_setcred(h, PAM_ESTABLISH_CRED);
        pam_end(h, rc);
        ok(a1 == PAM_SUCCESS && a2 == PAM_SUCCESS && rc == PAM_SUCCESS && !has_group(grp_gid[0]),
           "groups: accepted, then refused and another module accepted on the same handle: "
           "nothing added (%d %d %d)", a1, a2, rc);
        groups_restore();
        groups_conf(map, NULL);
    }

    /* a refused token gets nothing: setcred after a failed auth */
    char *exp = es256(me, -300, "\"groups\":[\"/admins\"]");
    rc = auth_setcred(jwt_stack(), me, exp, NULL, PAM_ESTABLISH_CRED, &arc);
    ok(arc == PAM_AUTH_ERR && !has_group(grp_gid[0]), "groups: a refused token gets nothing");
    groups_restore();
    free(exp);

    /* a rule whose local group has gid 0: config error, file and line */
    struct group *g0 = getgrgid(0);
    if (g0 != NULL) {
        char want[600];
        snprintf(map, sizeof(map), "/admins %s\n\n/wheel %s\n", grp_name[0], g0->gr_name);
        groups_conf(map, NULL);
        rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
        is_int(arc, PAM_AUTHINFO_UNAVAIL, "groups: a gid 0 rule is a config error");
        snprintf(want, sizeof(want), "group_map %s/group_map:3: local group %s has gid 0", dir,
                 g0->gr_name);
        ok(log_has(want), "groups: ... logged with file and line");
        ok(!has_group(grp_gid[0]) && !has_group(0) == !(grp_norig > 0 && has_group(0)),
           "groups: ... and nothing added");
        groups_restore();
    } else {
        skip(3, "no group with gid 0");
    }

    /* an unsafe group_map: config error */
    snprintf(map, sizeof(map), "/admins %s\n", grp_name[0]);
    groups_conf(map, NULL);
    chmod(P("group_map"), 0666);
    rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
    ok(arc == PAM_AUTHINFO_UNAVAIL && log_has("group_map"),
       "groups: a world-writable group_map is a config error");
    groups_restore();
    free(t);
}

/* At most 64 mapped groups: the 65th and later are never added. */
static void test_groups_cap(void)
{
    char *map = malloc(80 * 100), claims_[80 * 20];
    size_t o = 0, co = 0;
    int arc, rc;
    for (int i = 0; i < 64; i++)
        o += (size_t)sprintf(map + o, "c%d pjtest-missing-%d\n", i, i);
    for (int i = 64; i < 70; i++)
        o += (size_t)sprintf(map + o, "c%d %s\n", i, grp_name[i % 3]);
    for (int i = 0; i < 70; i++)
        co += (size_t)sprintf(claims_ + co, "%s\"c%d\"", i ? "," : "\"groups\":[", i);
    sprintf(claims_ + co, "]");
    groups_conf(map, NULL);
    char *t = es256(me, 300, claims_);
    rc = auth_setcred(jwt_stack(), me, t, NULL, PAM_ESTABLISH_CRED, &arc);
    ok(arc == PAM_SUCCESS && rc == PAM_SUCCESS, "groups cap: accepted, setcred succeeds");
    ok(!has_group(grp_gid[0]) && !has_group(grp_gid[1]) && !has_group(grp_gid[2]),
       "groups cap: the groups past the first 64 mapped are not added");
    ok(log_has("3 more mapped groups not added (at most 64)"), "groups cap: ... logged");
    ok(log_has("pjtest-missing-63 does not exist") && !log_has("pjtest-missing-64"),
       "groups cap: the first 64 were tried");
    groups_restore();
    free(t);
    free(map);
}

/* sshd's keyboard-interactive authentication: pam_authenticate runs in a
 * forked child, which carries only the PAM environment back to the handle
 * that calls pam_setcred.  Here a child authenticates on the handle and
 * sends its PAM environment through a pipe; the parent puts it in (as
 * sshd's import_environments does), perhaps altered, and calls setcred. */
static const char *forge_line(const char *line);
static int setcred_after_child(const char *tok, const char *(*alter)(const char *line),
                               bool *line_left)
{
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    char buf[32768];
    size_t n = 0;
    int fds[2], st = 0, rc;
    write_text(service, jwt_stack(), 0644);
    answer = tok;
    if (pipe(fds) != 0 || pam_start_confdir(service, me, &c, dir, &h) != PAM_SUCCESS)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        int a = pam_authenticate(h, 0);
        char **env = pam_getenvlist(h);
        dprintf(fds[1], "%d\n", a);
        for (size_t i = 0; env && env[i]; i++) {
            dprintf(fds[1], "%s\n", env[i]);
            free(env[i]);
        }
        free(env); /* valgrind checks the child too */
        _exit(0);
    }
    close(fds[1]);
    for (ssize_t r; n < sizeof(buf) - 1 && (r = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0;)
        n += (size_t)r;
    buf[n] = '\0';
    close(fds[0]);
    waitpid(pid, &st, 0);
    loglen = 0;
    logbuf[0] = '\0';
    if (atoi(buf) != PAM_SUCCESS)
        return -2;
    for (char *save = NULL, *l = strtok_r(strchr(buf, '\n'), "\n", &save); l;
         l = strtok_r(NULL, "\n", &save))
        pam_putenv(h, alter && strncmp(l, "pam_jwt_setcred=", 16) == 0 ? alter(l) : l);
    if (alter == forge_line) /* whether or not the child sent a line */
        pam_putenv(h, forge_line(NULL));
    rc = pam_setcred(h, PAM_ESTABLISH_CRED);
    *line_left = pam_getenv(h, "pam_jwt_setcred") != NULL;
    pam_end(h, rc);
    return rc;
}

static const char *add_group_to_line(const char *line)
{
    static char out[8192];
    snprintf(out, sizeof(out), "%s %s", line, grp_name[1]);
    return out;
}

static const char *forge_line(const char *line)
{
    static char out[8192];
    (void)line;
    snprintf(out, sizeof(out), "pam_jwt_setcred=%064d %s %s", 0, me, grp_name[1]);
    return out;
}

static void test_groups_other_process(void)
{
    char map[512];
    bool left = true;
    int rc;
    snprintf(map, sizeof(map), "/admins %s\n/ops %s\n", grp_name[0], grp_name[1]);
    groups_conf(map, NULL);
    char *t = es256(me, 300, "\"groups\":[\"/admins\"]");
    rc = setcred_after_child(t, NULL, &left);
    if (geteuid() == 0)
        ok(rc == PAM_SUCCESS && has_group(grp_gid[0]) && !has_group(grp_gid[1]),
           "groups: authenticate in a child (sshd keyboard-interactive): setcred in the parent "
           "adds the group from the sealed line (rc %d)", rc);
    else
        is_int(rc, PAM_CRED_ERR, "groups: authenticate in a child: setcred tries (not root)");
    ok(!left, "groups: setcred removes the sealed line from the PAM environment");
    groups_restore();
    rc = setcred_after_child(t, add_group_to_line, &left);
    ok(rc == PAM_SUCCESS && !has_group(grp_gid[0]) && !has_group(grp_gid[1]) &&
           log_has("pam_jwt_setcred in the PAM environment was not made by this module"),
       "groups: a sealed line with a group added is refused (nothing added, logged)");
    groups_restore();
    rc = setcred_after_child(t, forge_line, &left);
    ok(rc == PAM_SUCCESS && !has_group(grp_gid[1]) && !left &&
           log_has("was not made by this module"),
       "groups: a forged line is refused and removed");
    groups_restore();
    free(t);
}

/* The sealed line replayed in the process that made it: pam_jwt accepted a
 * token on a handle (data and line), then refused a second attempt on the
 * same handle, which another module (a password) accepted; the first
 * attempt's line is put back into the PAM environment before setcred, as
 * pam_env user_readenv does from ~/.pam_environment in setcred.  The line
 * is for a parent process only: this process never takes its own. */
static void test_groups_line_replayed(void)
{
    char map[512], stack[8192], line[8192] = "";
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    snprintf(map, sizeof(map), "/admins %s\n", grp_name[0]);
    groups_conf(map, NULL);
    char *t = es256(me, 300, "\"groups\":[\"/admins\"]");
    snprintf(stack, sizeof(stack),
             "auth sufficient %s config=%s/pam_jwt.conf\n"
             "auth required %s expect=%s\n",
             so, dir, settok, t);
    write_text(service, stack, 0644);
    answer = t;
    pam_start_confdir(service, me, &c, dir, &h);
    int a1 = pam_authenticate(h, 0);
    const char *v = pam_getenv(h, "pam_jwt_setcred");
    if (v != NULL)
        snprintf(line, sizeof(line), "pam_jwt_setcred=%s", v);
    conf("allowed_subjects = someone-else\n"); /* the second attempt: refused */
    int a2 = pam_authenticate(h, 0);
    loglen = 0;
    logbuf[0] = '\0';
    if (line[0])
        pam_putenv(h, line);
    int rc = pam_setcred(h, PAM_ESTABLISH_CRED);
    bool left = pam_getenv(h, "pam_jwt_setcred") != NULL;
    pam_end(h, rc);
    ok(a1 == PAM_SUCCESS && line[0] && a2 == PAM_SUCCESS && rc == PAM_SUCCESS &&
           !has_group(grp_gid[0]) && !left && log_has("was not made by this module"),
       "groups: the first attempt's sealed line put back after a refused second attempt on "
       "the same handle (this process): refused, nothing added (%d %d %d, %s)", a1, a2, rc,
       groups_now());
    groups_restore();
    groups_conf(map, NULL);
    free(t);
}

/* The same handle: pam_jwt accepted a token in a first attempt that failed
 * as a whole (a later required module refused); in the second attempt an
 * earlier module (a password) ends the stack before pam_jwt runs.  The
 * first attempt's grant must not reach setcred. */
static void test_groups_stale_grant(void)
{
    char map[512], stack[8192];
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    snprintf(map, sizeof(map), "/admins %s\n", grp_name[0]);
    groups_conf(map, NULL);
    char *t = es256(me, 300, "\"groups\":[\"/admins\"]");
    snprintf(stack, sizeof(stack),
             "auth [success=done default=ignore] %s tty=pjtest-second\n"
             "auth required %s config=%s/pam_jwt.conf\n"
             "auth required %s expect=hunter2\n",
             settok, so, dir, settok);
    write_text(service, stack, 0644);
    answer = t;
    pam_start_confdir(service, me, &c, dir, &h);
    int a1 = pam_authenticate(h, 0);
    pam_set_item(h, PAM_TTY, "pjtest-second"); /* the first module accepts this time */
    int a2 = pam_authenticate(h, 0);
    loglen = 0;
    logbuf[0] = '\0';
    int rc = pam_setcred(h, PAM_ESTABLISH_CRED);
    pam_end(h, rc);
    ok(a1 != PAM_SUCCESS && a2 == PAM_SUCCESS && rc == PAM_SUCCESS && !has_group(grp_gid[0]),
       "groups: a failed attempt in which pam_jwt accepted a token, then a password ends "
       "the stack before pam_jwt: nothing added (%d %d %d, %s)", a1, a2, rc, groups_now());
    groups_restore();
    free(t);
}

void test_groups(void)
{
    if (!groups_setup()) {
        skip(1, "groups: fewer than three groups this process lacks");
        return;
    }
    test_groups_added();
    test_groups_refused();
    test_groups_cap();
    test_groups_other_process();
    test_groups_line_replayed();
    test_groups_stale_grant();
    conf(NULL);
}
