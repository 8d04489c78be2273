/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the user rules (user match, allowed_subjects, subject_claim, user_map). */
#include "pam.h"

static void test_user_rules_user_match(void)
{
    char *t = es256(me, 300, NULL);
    conf(NULL);
    if (other[0])
        is_int(auth(other, t), PAM_AUTH_ERR, "rule 6: token for %s refused for PAM_USER %s", me,
               other);
    else
        skip(1, "no second user");
    char upper[256];
    snprintf(upper, sizeof(upper), "%s", me);
    upper[0] = (char)(upper[0] >= 'a' && upper[0] <= 'z' ? upper[0] - 32 : upper[0] + 1);
    is_int(auth(upper, t), PAM_AUTH_ERR, "rule 6: user comparison is case sensitive");
    free(t);
}

/* allowed_subjects */
static void test_user_rules_allowed_subjects(void)
{
    char *t;
    char extra[1024];
    write_text("pam_jwt.conf", "", 0644);
    snprintf(extra, sizeof(extra), "key_file = %s/ec256.pub\nallowed_subjects = alice bob\n", dir);
    write_text("pam_jwt.conf", extra, 0644);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "rule 5: subject not in allowed_subjects refused");
    ok(log_has("subject not allowed"), "reason logged: subject not allowed");
    snprintf(extra, sizeof(extra), "key_file = %s/ec256.pub\nallowed_subjects = alice %s bob\n",
             dir, me);
    write_text("pam_jwt.conf", extra, 0644);
    is_int(auth(me, t), PAM_SUCCESS, "rule 5: subject in allowed_subjects accepted");
    free(t);
}

/* allowed_subjects_file */
static void test_user_rules_subjects_file(void)
{
    char extra[1024];
    char *t;
    char list[512];
    snprintf(list, sizeof(list), "# admins\nalice\n  %s  \n", me);
    write_text("subjects", list, 0644);
    snprintf(extra, sizeof(extra), "key_file = %s/ec256.pub\nallowed_subjects_file = %s/subjects\n",
             dir, dir);
    write_text("pam_jwt.conf", extra, 0644);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "allowed_subjects_file: listed subject accepted");
    free(t);
    t = es256("mallory", 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "allowed_subjects_file: unlisted subject refused");
    free(t);
}

/* subject_claim */
static void test_user_rules_subject_claim(void)
{
    char extra[1024];
    char *t;
    snprintf(extra, sizeof(extra),
             "key_file = %s/ec256.pub\nallowed_subjects = *\nsubject_claim = preferred_username\n",
             dir);
    write_text("pam_jwt.conf", extra, 0644);
    char ex[300];
    snprintf(ex, sizeof(ex), "\"preferred_username\":\"%s\"", me);
    t = es256("someone-else", 300, ex);
    is_int(auth(me, t), PAM_SUCCESS, "subject_claim: preferred_username used as subject");
    free(t);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "subject_claim: missing claim refused");
    free(t);
}

/* user_map_file */
static void test_user_rules_user_map(void)
{
    char extra[1024];
    char *t;
    char map[1024];
    snprintf(map, sizeof(map),
             "# map\nroot@admin.example  nosuchuser-pamjwt\n*@example.com %%l\nexact-%s %s\n", me,
             me);
    write_text("usermap", map, 0644);
    snprintf(extra, sizeof(extra),
             "key_file = %s/ec256.pub\nallowed_subjects = *\nuser_map_file = %s/usermap\n", dir, dir);
    write_text("pam_jwt.conf", extra, 0644);
    char sub[300];
    snprintf(sub, sizeof(sub), "%s@example.com", me);
    t = es256(sub, 300, NULL);
    char *u = NULL;
    is_int(auth_args(NULL, NULL, t, &u), PAM_SUCCESS, "user_map_file: glob + %%l maps %s", sub);
    ok(u && strcmp(u, me) == 0, "user_map_file: PAM_USER set to %s", me);
    free(u);
    free(t);
    snprintf(sub, sizeof(sub), "exact-%s", me);
    t = es256(sub, 300, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "user_map_file: literal rule");
    free(t);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "user_map_file: no matching rule refused");
    ok(log_has("no user_map_file rule"), "reason logged: no map rule");
    free(t);
    t = es256("root@admin.example", 300, NULL);
    is_int(auth_args(NULL, NULL, t, NULL), PAM_USER_UNKNOWN, "user_map_file: first match wins");
    free(t);
    write_text("usermap", "*@example.com %s\n", 0644);
    t = es256("a@example.com", 300, NULL);
    is_int(auth_args(NULL, NULL, t, NULL), PAM_USER_UNKNOWN, "%%s keeps the whole subject as the user name");
    free(t);
    write_text("usermap", "*@example.com\n", 0644);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "user_map_file: malformed line is a config error");
    ok(log_has("usermap:1: expected 'SUBJECT LOCALUSER'"), "reason logged: the map's file and line");
    free(t);
    /* A malformed line anywhere refuses the whole map, even after the rule
     * that matches; the map is read once a token has passed rules 1-4 and
     * the subject is allowed, so a forged token is refused as forged. */
    snprintf(map, sizeof(map), "%s@example.com %s\n# fine\n\nx y%%q\n", me, me);
    write_text("usermap", map, 0644);
    snprintf(sub, sizeof(sub), "%s@example.com", me);
    t = es256(sub, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "user_map_file: malformed line after the match");
    ok(log_has("usermap:4: only %s, %l and %% may follow %"), "reason logged: line 4");
    char *dot = strchr(t, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    is_int(auth(me, t), PAM_AUTH_ERR, "user_map_file malformed, token forged: refused as forged");
    free(t);
}

/* %l cuts at the first '@', the glob matches at the last: a subject
 * with two '@' would map *@example.com to the part before the first */
static void test_user_rules_user_map_two_ats(void)
{
    char sub[300];
    char *t, *u;
    write_text("usermap", "*@example.com %l\n", 0644);
    snprintf(sub, sizeof(sub), "%s@evil.org@example.com", me);
    t = es256(sub, 300, NULL);
    u = NULL;
    is_int(auth_args(NULL, NULL, t, &u), PAM_AUTH_ERR,
           "user_map_file: %%l refuses a subject with two '@' (%s)", sub);
    ok(u == NULL, "... and PAM_USER is not set (got %s)", u ? u : "(null)");
    free(u);
    ok(log_has("subject has more than one '@' and the matching user_map_file rule uses %l"),
       "... logged with the reason");
    free(t);
    snprintf(sub, sizeof(sub), "%s@example.com", me);
    t = es256(sub, 300, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "user_map_file: %%l with one '@' still maps");
    free(t);
    write_text("usermap", "*@example.com %s\n", 0644);
    t = es256("a@b@example.com", 300, NULL);
    is_int(auth_args(NULL, NULL, t, NULL), PAM_USER_UNKNOWN,
           "user_map_file: %%s keeps a subject with two '@' (no such user)");
    free(t);
}

void test_user_rules(void)
{
    test_user_rules_user_match();
    test_user_rules_allowed_subjects();
    test_user_rules_subjects_file();
    test_user_rules_subject_claim();
    test_user_rules_user_map();
    test_user_rules_user_map_two_ats();
}
