/* SPDX-License-Identifier: BSD-3-Clause */
/* Integration tests: the built pam_jwt.so loaded by the real libpam through
 * pam_start_confdir, with service files in a temporary directory (no root
 * needed, /etc/pam.d untouched).  Each decision rule and each row of the
 * contract's result table has a case here that fails if the rule breaks.
 * The module uses the real clock, so tokens are minted relative to now. */
#include "config.h"

#include <security/pam_appl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64enc.h"
#include "b64url.h"
#include "tap.h"
#include "testlib.h"

static char *dir;          /* temp dir for this run */
static const char *so;     /* built module */
static const char *settok; /* test helper module */
static char me[256];       /* an existing user: the one running the tests */
static char other[256];    /* another existing user, for mismatch tests */
/* the module reads the real clock: tokens are minted against it too */
#define now ((long)time(NULL))

/* ---------------------------------------------------------- log capture */
static char logbuf[1 << 16];
static size_t loglen;

/* libpam's pam_syslog ends in __syslog_chk; this executable exports its
 * own (-Wl,--export-dynamic) so every line the module logs lands here. */
void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)pri;
    (void)flag;
    va_start(ap, fmt);
    if (loglen < sizeof(logbuf) - 1) {
        int n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen - 1, fmt, ap);
        if (n > 0)
            loglen += (size_t)n < sizeof(logbuf) - loglen - 1 ? (size_t)n
                                                               : sizeof(logbuf) - loglen - 1;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
    va_end(ap);
}

/* ---------------------------------------------------------- conversation */
static const char *answer;
static int conv_fail, conv_calls;
static char last_prompt[256];
/* a scripted conversation: answer i for prompt i; NULL fails that round */
static const char *const *script;
static size_t script_n;
static char prompts[4096]; /* every prompt of the last auth, one per line */
static const char *service = "svc";
/* proof of possession: when set, prompts "pamjwt-pop NONCE: " are answered
 * by this function (the answer is malloc'd; NULL fails the round) */
static char *(*pop_answer)(const char *nonce);
/* a long answer being sent in pieces: the rest goes to pamjwt-continue */
static char *pending;
static size_t pending_off, max_answer;

/* every PAM_ERROR_MSG of the last auth, one per line: what the person at
 * the prompt was told (not counted in conv_calls: no question) */
static char told[4096];

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ad)
{
    (void)ad;
    if (n == 1 && msg[0]->msg_style == PAM_ERROR_MSG && !conv_fail) {
        size_t o = strlen(told);
        snprintf(told + o, sizeof(told) - o, "%s\n", msg[0]->msg);
        *resp = NULL;
        return PAM_SUCCESS;
    }
    conv_calls++;
    if (conv_fail)
        return PAM_CONV_ERR;
    if (pop_answer != NULL && n == 1 && strncmp(msg[0]->msg, "pamjwt-pop ", 11) == 0) {
        char nonce[128];
        snprintf(nonce, sizeof(nonce), "%s", msg[0]->msg + 11);
        nonce[strcspn(nonce, ":")] = '\0';
        snprintf(last_prompt, sizeof(last_prompt), "%s", msg[0]->msg);
        char *a = pop_answer(nonce);
        if (a == NULL)
            return PAM_CONV_ERR;
        *resp = calloc(1, sizeof(**resp));
        (*resp)[0].resp = a;
        return PAM_SUCCESS;
    }
    if (pending != NULL && n == 1 && strncmp(msg[0]->msg, "pamjwt-continue ", 16) == 0) {
        size_t len = strlen(pending), take = len - pending_off < 400 ? len - pending_off : 400;
        *resp = calloc(1, sizeof(**resp));
        (*resp)[0].resp = strndup(pending + pending_off, take);
        pending_off += take;
        if (take > max_answer)
            max_answer = take;
        if (pending_off == len) {
            free(pending);
            pending = NULL;
        }
        return PAM_SUCCESS;
    }
    if (script != NULL) {
        size_t k = (size_t)conv_calls - 1;
        if (n != 1 || k >= script_n || script[k] == NULL)
            return PAM_CONV_ERR;
        size_t o = strlen(prompts);
        snprintf(prompts + o, sizeof(prompts) - o, "%s\n", msg[0]->msg);
        *resp = calloc(1, sizeof(**resp));
        (*resp)[0].resp = strdup(script[k]);
        return PAM_SUCCESS;
    }
    *resp = calloc((size_t)n, sizeof(**resp));
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            snprintf(last_prompt, sizeof(last_prompt), "%s", msg[i]->msg);
            (*resp)[i].resp = strdup(answer ? answer : "");
        }
    }
    return PAM_SUCCESS;
}

/* ---------------------------------------------------------- fixtures */
static char path_buf[8][4096];
static int path_i;
static const char *P(const char *name)
{
    char *p = path_buf[path_i++ % 8];
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

static void write_text(const char *name, const char *text, int mode)
{
    if (tl_write_file(P(name), text, strlen(text), mode) != 0) {
        printf("Bail out! cannot write %s: %s\n", name, strerror(errno));
        exit(1);
    }
}

/* Config with the standard keys plus extra lines. */
static void conf(const char *extra)
{
    char buf[8192];
    snprintf(buf, sizeof(buf),
             "# test config\n"
             "key_file = %s/ec256.pub\n"
             "key_file = %s/rsa.pub\n"
             "allowed_subjects = *\n"
             "%s\n",
             dir, dir, extra ? extra : "");
    write_text("pam_jwt.conf", buf, 0644);
}

/* Run one authentication.  args: extra module arguments.  user: PAM_USER or
 * NULL.  *got_user (optional) receives PAM_USER afterwards. */
static char envbuf[8192]; /* the PAM environment after the last auth, one per line */

static int auth_stack(const char *stack, const char *user, const char *tok, char **got_user)
{
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    int rc;
    write_text(service, stack, 0644);
    answer = tok;
    conv_calls = 0;
    last_prompt[0] = '\0';
    prompts[0] = '\0';
    told[0] = '\0';
    loglen = 0;
    logbuf[0] = '\0';
    rc = pam_start_confdir(service, user, &c, dir, &h);
    if (rc != PAM_SUCCESS)
        return -1000 - rc;
    rc = pam_authenticate(h, 0);
    envbuf[0] = '\0';
    char **env = pam_getenvlist(h);
    for (size_t i = 0; env && env[i]; i++) {
        size_t o = strlen(envbuf);
        snprintf(envbuf + o, sizeof(envbuf) - o, "%s\n", env[i]);
        free(env[i]);
    }
    free(env);
    if (got_user) {
        const void *u = NULL;
        pam_get_item(h, PAM_USER, &u);
        *got_user = u ? strdup(u) : NULL;
    }
    pam_end(h, rc);
    return rc;
}

/* The contract's stack.  libpam turns an all-ignore stack into a failure,
 * so PAM_IGNORE is observed the way an administrator sees it: the next
 * module runs.  Here that module returns PAM_CRED_INSUFFICIENT (a code
 * pam_jwt never returns), which is reported as PAM_IGNORE.  Every other
 * code reaches the application unchanged through default=die. */
static int auth_args(const char *args, const char *user, const char *tok, char **got_user)
{
    char stack[8192];
    int rc;
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf %s\n"
             "auth required %s ignored\n",
             so, dir, args ? args : "", settok);
    rc = auth_stack(stack, user, tok, got_user);
    return rc == PAM_CRED_INSUFFICIENT ? PAM_IGNORE : rc;
}

static int auth(const char *user, const char *tok)
{
    return auth_args(NULL, user, tok, NULL);
}

static EVP_PKEY *k_ec256, *k_ec384, *k_ec521, *k_rsa, *k_rsa_other, *k_ec_other, *k_ed;

static char *claims(const char *sub, long exp_off, const char *extra)
{
    size_t sz = 512 + strlen(sub) + (extra ? strlen(extra) : 0);
    char *b = malloc(sz);
    snprintf(b, sz, "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld%s%s}", sub, now, now + exp_off,
             extra && *extra ? "," : "", extra ? extra : "");
    return b;
}

static char *es256_kid(const char *sub, long exp_off, const char *extra, const char *kid);
/* ES256 token for sub, signed by k_ec256 through libjwt. */
static char *es256(const char *sub, long exp_off, const char *extra)
{
    return es256_kid(sub, exp_off, extra, NULL);
}

static char *es256_kid(const char *sub, long exp_off, const char *extra, const char *kid)
{
    char *c = claims(sub, exp_off, extra);
    char *pem = NULL;
    size_t pl = 0;
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k_ec256, NULL, NULL, 0, NULL, NULL);
    pl = (size_t)BIO_get_mem_data(b, &pem);
    char *t = tl_sign_libjwt("ES256", (unsigned char *)pem, pl, c, kid);
    BIO_free(b);
    free(c);
    return t;
}

static char *raw(const char *alg, EVP_PKEY *k, const char *hdr, const char *payload)
{
    return tl_sign_raw(hdr, payload, alg, k, NULL, 0);
}

static bool log_has(const char *s)
{
    return strstr(logbuf, s) != NULL;
}

/* ---------------------------------------------------------- cases */

static void test_result_table(void)
{
    char *t = es256(me, 300, NULL), *u = NULL;
    conf(NULL);
    is_int(auth(me, t), PAM_SUCCESS, "PAM_SUCCESS: valid ES256 token for PAM_USER");
    ok(strstr(last_prompt, "Token: ") != NULL, "default prompt is 'Token: ' (got '%s')",
       last_prompt);
    ok(log_has("accepted token for user"), "acceptance is logged");
    ok(!log_has(t), "the token never appears in a log line");
    ok(!log_has(strrchr(t, '.') + 1), "the signature never appears in a log line");

    is_int(auth_args(NULL, NULL, t, &u), PAM_SUCCESS, "rule 6: PAM_USER unset -> accepted");
    ok(u && strcmp(u, me) == 0, "rule 6: module set PAM_USER to the mapped user (%s)",
       u ? u : "(null)");
    free(u);

    is_int(auth(me, "hunter2"), PAM_IGNORE, "PAM_IGNORE: ordinary password");
    is_int(auth(me, ""), PAM_IGNORE, "PAM_IGNORE: empty answer");
    is_int(auth(me, "a.b."), PAM_IGNORE, "PAM_IGNORE: 'a.b.' (empty segment)");
    is_int(auth(me, "a..c"), PAM_IGNORE, "PAM_IGNORE: 'a..c'");
    is_int(auth(me, "a.b.c.d"), PAM_IGNORE, "PAM_IGNORE: four segments");
    is_int(auth(me, "abc.d+f.ghi"), PAM_IGNORE, "PAM_IGNORE: non-base64url character");
    is_int(auth(me, "correct horse.battery.staple"), PAM_IGNORE, "PAM_IGNORE: password with dots and space");

    char *bad = es256(me, -3600, NULL);
    is_int(auth(me, bad), PAM_AUTH_ERR, "PAM_AUTH_ERR: expired token");
    ok(log_has("refused: token expired"), "refusal logged with reason");
    ok(log_has("sub="), "refusal log names the sub");
    free(bad);

    is_int(auth("nosuchuser-pamjwt", NULL) , PAM_IGNORE, "NULL answer is treated as empty input");

    char *nouser = es256("nosuchuser-pamjwt", 300, NULL);
    is_int(auth_args(NULL, NULL, nouser, NULL), PAM_USER_UNKNOWN,
           "PAM_USER_UNKNOWN: mapped user does not exist (PAM_USER unset)");
    is_int(auth("nosuchuser-pamjwt", nouser), PAM_USER_UNKNOWN,
           "PAM_USER_UNKNOWN: mapped user does not exist (PAM_USER set to it)");
    free(nouser);

    conf("bogus_key = 1");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL: unknown config key");
    ok(log_has("pam_jwt.conf:5: unknown key 'bogus_key'"), "config error names file and line");
    is_int(auth(me, "hunter2"), PAM_IGNORE,
           "rule 2: broken config still ignores a non-JWT password");
    ok(log_has("unknown key 'bogus_key'"), "rule 2: ... and the config error is still logged");
    conf(NULL);

    conv_fail = 1;
    is_int(auth(me, t), PAM_CONV_ERR, "PAM_CONV_ERR: conversation failed");
    conv_fail = 0;

    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    char stack[4096];
    snprintf(stack, sizeof(stack), "auth required %s config=%s/pam_jwt.conf\n", so, dir);
    write_text("svc", stack, 0644);
    pam_start_confdir("svc", me, &c, dir, &h);
    is_int(pam_setcred(h, PAM_ESTABLISH_CRED), PAM_SUCCESS, "pam_sm_setcred returns PAM_SUCCESS");
    pam_end(h, PAM_SUCCESS);
    free(t);
}

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

static void test_user_rules(void)
{
    test_user_rules_user_match();
    test_user_rules_allowed_subjects();
    test_user_rules_subjects_file();
    test_user_rules_subject_claim();
    test_user_rules_user_map();
    test_user_rules_user_map_two_ats();
}

static void test_time_exp_nbf(void)
{
    char *t;
    conf(NULL);
    struct { long exp; const char *extra; int want; const char *name; } cases[] = {
        {-10, NULL, PAM_SUCCESS, "expired 10 s ago, within 30 s leeway"},
        {-60, NULL, PAM_AUTH_ERR, "expired 60 s ago, beyond leeway"},
        {300, "\"nbf\":@FUT", PAM_AUTH_ERR, "nbf 10 min in the future"},
        {300, "\"nbf\":@NEAR", PAM_SUCCESS, "nbf 10 s in the future, within leeway"},
        {300, "\"nbf\":1.5", PAM_SUCCESS, "nbf as a fraction in the past"},
        {300, "\"nbf\":\"0\"", PAM_AUTH_ERR, "nbf as a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ex[200] = "";
        if (cases[i].extra) {
            snprintf(ex, sizeof(ex), "%s", cases[i].extra);
            char *p = strstr(ex, "@FUT");
            if (p)
                snprintf(p, 40, "%ld", now + 600);
            p = strstr(ex, "@NEAR");
            if (p)
                snprintf(p, 40, "%ld", now + 10);
        }
        t = es256(me, cases[i].exp, ex);
        is_int(auth(me, t), cases[i].want, "time: %s", cases[i].name);
        free(t);
    }
}

static void test_time_exp_iat_lifetime(void)
{
    char *t;
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%ld}", me, now);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "exp required");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":\"%ld\"}", me, now + 100);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "exp as a string refused");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld.75}", me, now + 100);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_SUCCESS, "exp with a fraction accepted");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld,\"iat\":%ld}", me, now + 100,
             now + 600);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "iat in the future refused");
    free(t);

    t = es256(me, 7200, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "max_lifetime: 2 h token refused by default 1 h");
    conf("max_lifetime = 0");
    is_int(auth(me, t), PAM_SUCCESS, "max_lifetime = 0 disables the check");
    conf("max_lifetime = 10000");
    is_int(auth(me, t), PAM_SUCCESS, "max_lifetime = 10000 accepts a 2 h token");
    free(t);
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld}", me, now + 20000);
    t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", payload);
    is_int(auth(me, t), PAM_AUTH_ERR, "max_lifetime without iat uses exp - now");
    free(t);
    conf("leeway = 0");
    t = es256(me, -5, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "leeway = 0: expired 5 s ago refused");
    free(t);
}

static void test_claims_iss_aud_required(void)
{
    char *t;
    conf("issuer = https://idp.example/\naudience = ssh");
    struct { const char *extra; int want; const char *name; } c2[] = {
        {"\"iss\":\"https://idp.example/\",\"aud\":\"ssh\"", PAM_SUCCESS, "issuer + audience string"},
        {"\"iss\":\"https://idp.example/\",\"aud\":[\"web\",\"ssh\"]", PAM_SUCCESS, "audience in array"},
        {"\"iss\":\"https://idp.example/\",\"aud\":[\"web\"]", PAM_AUTH_ERR, "audience not in array"},
        {"\"iss\":\"https://idp.example/\",\"aud\":\"web\"", PAM_AUTH_ERR, "wrong audience"},
        {"\"iss\":\"https://idp.example/\"", PAM_AUTH_ERR, "audience missing"},
        {"\"iss\":\"https://idp.example/\",\"aud\":{\"x\":\"ssh\"}", PAM_AUTH_ERR, "aud as object"},
        {"\"iss\":\"https://evil.example/\",\"aud\":\"ssh\"", PAM_AUTH_ERR, "wrong issuer"},
        {"\"aud\":\"ssh\"", PAM_AUTH_ERR, "issuer missing"},
    };
    for (size_t i = 0; i < sizeof(c2) / sizeof(c2[0]); i++) {
        t = es256(me, 300, c2[i].extra);
        is_int(auth(me, t), c2[i].want, "claims: %s", c2[i].name);
        free(t);
    }
    conf("require_claim = scope ssh:login\nrequire_claim = groups admins\nrequire_claim = amr_ok true");
    struct { const char *extra; int want; const char *name; } c3[] = {
        {"\"scope\":\"openid ssh:login email\",\"groups\":[\"dev\",\"admins\"],\"amr_ok\":true", PAM_SUCCESS, "require_claim: scope word, array member, boolean"},
        {"\"scope\":\"openid email\",\"groups\":[\"admins\"],\"amr_ok\":true", PAM_AUTH_ERR, "require_claim: scope word missing"},
        {"\"scope\":\"ssh:login\",\"groups\":\"admins\",\"amr_ok\":true", PAM_SUCCESS, "require_claim: string equality"},
        {"\"scope\":\"ssh:login\",\"groups\":[\"admins-not\"],\"amr_ok\":true", PAM_AUTH_ERR, "require_claim: array without member"},
        {"\"scope\":\"ssh:login\",\"amr_ok\":true", PAM_AUTH_ERR, "require_claim: claim missing"},
        {"\"scope\":\"ssh:login\",\"groups\":[\"admins\"],\"amr_ok\":false", PAM_AUTH_ERR, "require_claim: boolean mismatch"},
    };
    for (size_t i = 0; i < sizeof(c3) / sizeof(c3[0]); i++) {
        t = es256(me, 300, c3[i].extra);
        is_int(auth(me, t), c3[i].want, "%s", c3[i].name);
        free(t);
    }
}

static void test_time_and_claims(void)
{
    test_time_exp_nbf();
    test_time_exp_iat_lifetime();
    test_claims_iss_aud_required();
}

static char *sign_pem(const char *alg, EVP_PKEY *k, const char *claims_json, const char *kid)
{
    char *pem = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    size_t pl = (size_t)BIO_get_mem_data(b, &pem);
    char *t = tl_sign_libjwt(alg, (unsigned char *)pem, pl, claims_json, kid);
    BIO_free(b);
    return t;
}

/* every algorithm, against a config with exactly the fitting key */
static void test_algorithms_each(const char *c)
{
    char *t, extra[2048];
    struct { const char *alg; EVP_PKEY **k; const char *pub; bool libjwt; } a[] = {
        {"RS256", &k_rsa, "rsa.pub", true}, {"RS384", &k_rsa, "rsa.pub", true},
        {"RS512", &k_rsa, "rsa.pub", true}, {"PS256", &k_rsa, "rsa.pub", false},
        {"PS384", &k_rsa, "rsa.pub", false}, {"PS512", &k_rsa, "rsa.pub", false},
        {"ES256", &k_ec256, "ec256.pub", true}, {"ES384", &k_ec384, "ec384.pub", true},
        {"ES512", &k_ec521, "ec521.pub", true}, {"EdDSA", &k_ed, "ed25519.pub", false},
    };
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        snprintf(extra, sizeof(extra), "key_file = %s/%s\nallowed_subjects = *\n", dir, a[i].pub);
        write_text("pam_jwt.conf", extra, 0644);
        char hdr[100];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", a[i].alg);
        t = a[i].libjwt ? sign_pem(a[i].alg, *a[i].k, c, NULL) : raw(a[i].alg, *a[i].k, hdr, c);
        is_int(auth(me, t), PAM_SUCCESS, "%s token accepted (%s)", a[i].alg,
               a[i].libjwt ? "signed by libjwt" : "signed by OpenSSL");
        /* tamper with the payload: flip one character of the claims */
        char *dot = strchr(t, '.');
        dot[3] = dot[3] == 'A' ? 'B' : 'A';
        is_int(auth(me, t), PAM_AUTH_ERR, "%s token with tampered payload refused", a[i].alg);
        free(t);
    }
    /* certificate as key_file */
    snprintf(extra, sizeof(extra), "key_file = %s/ec256.crt\nallowed_subjects = *\n", dir);
    write_text("pam_jwt.conf", extra, 0644);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "X.509 certificate as key_file");
    free(t);
}

static void test_algorithms_unknown_key_and_none(const char *c)
{
    char *t;
    conf(NULL);
    /* signed by another key */
    t = sign_pem("ES256", k_ec_other, c, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "ES256 signed by an unknown key refused");
    ok(log_has("bad signature"), "reason logged: bad signature");
    free(t);
    t = sign_pem("RS256", k_rsa_other, c, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "RS256 signed by an unknown key refused");
    free(t);

    /* alg: none in every spelling */
    const char *nones[] = {"none", "None", "NONE", "nOnE"};
    for (size_t i = 0; i < 4; i++) {
        char hdr[100];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", nones[i]);
        t = tl_unsigned(hdr, c, "AAAA");
        is_int(auth(me, t), PAM_AUTH_ERR, "alg %s with a dummy signature refused", nones[i]);
        free(t);
    }
    ok(log_has("alg none is never accepted"), "reason logged for alg none");
}

/* algorithm confusion: HS256 keyed with the public key */
static void test_algorithms_hmac_confusion(const char *c)
{
    char *t, extra[2048];
    char *pem = tl_pub_pem(k_rsa);
    char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    t = tl_sign_raw(hdr, c, "HS256", NULL, (unsigned char *)pem, strlen(pem));
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the RSA public key PEM refused");
    free(t);
    t = tl_sign_raw(hdr, c, "HS256", NULL, (unsigned char *)pem, strlen(pem) - 1);
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the PEM without newline refused");
    free(t);
    size_t dl = 0;
    unsigned char *der = tl_pub_der(k_rsa, &dl);
    t = tl_sign_raw(hdr, c, "HS256", NULL, der, dl);
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the DER public key refused");
    free(t);
    free(der);
    {
        /* the JWK's "n", as the base64url text and as raw modulus bytes */
        char *jwk = tl_jwk(k_rsa, NULL, NULL, NULL);
        json_error_t je;
        json_t *jj = json_loads(jwk, 0, &je);
        const char *n64 = json_string_value(json_object_get(jj, "n"));
        t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)n64, strlen(n64));
        is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the JWK's n (base64url text) refused");
        free(t);
        size_t nl = 0;
        unsigned char *nraw = pj_b64url_decode(n64, strlen(n64), &nl);
        t = tl_sign_raw(hdr, c, "HS256", NULL, nraw, nl);
        is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the JWK's n (modulus bytes) refused");
        free(t);
        free(nraw);
        t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)jwk, strlen(jwk));
        is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the whole JWK text refused");
        free(t);
        json_decref(jj);
        free(jwk);
    }
    /* ... even when an HMAC secret is configured */
    write_text("hmac.secret", "0123456789abcdef0123456789abcdef-pamjwt\n", 0600);
    conf("hmac_secret_file = @DIR@/hmac.secret");
    snprintf(extra, sizeof(extra),
             "key_file = %s/rsa.pub\nhmac_secret_file = %s/hmac.secret\nallowed_subjects = *\n",
             dir, dir);
    write_text("pam_jwt.conf", extra, 0644);
    t = tl_sign_raw(hdr, c, "HS256", NULL, (unsigned char *)pem, strlen(pem));
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 keyed with the public key refused with HMAC configured");
    free(t);
    const char *secret = "0123456789abcdef0123456789abcdef-pamjwt";
    t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)secret, strlen(secret));
    is_int(auth(me, t), PAM_SUCCESS, "HS256 with the configured secret accepted");
    free(t);
    t = tl_sign_libjwt("HS512", (const unsigned char *)secret, strlen(secret), c, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "HS512 (libjwt) with the configured secret accepted");
    free(t);
    t = tl_sign_raw(hdr, c, "HS256", NULL, (const unsigned char *)"wrong-secret-wrong-secret-wrong-secret", 38);
    is_int(auth(me, t), PAM_AUTH_ERR, "HS256 with another secret refused");
    free(t);
    free(pem);
}

static void test_algorithms_key_type_and_list(const char *c)
{
    char *t, extra[2048];
    /* key type must fit alg */
    conf(NULL);
    t = raw("ES256", k_ec256, "{\"alg\":\"RS256\"}", c);
    is_int(auth(me, t), PAM_AUTH_ERR, "RS256 header on an EC signature refused");
    free(t);
    t = raw("ES384", k_ec384, "{\"alg\":\"ES256\"}", c);
    snprintf(extra, sizeof(extra),
             "key_file = %s/ec256.pub\nkey_file = %s/ec384.pub\nallowed_subjects = *\n", dir, dir);
    write_text("pam_jwt.conf", extra, 0644);
    is_int(auth(me, t), PAM_AUTH_ERR, "ES256 header signed with a P-384 key refused");
    free(t);
    t = raw("ES384", k_ec384, "{\"alg\":\"ES384\"}", c);
    is_int(auth(me, t), PAM_SUCCESS, "ES384 with P-384 key accepted next to a P-256 key");
    free(t);
    /* algorithms allow-list */
    conf("algorithms = RS256");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "alg outside the algorithms list refused");
    ok(log_has("alg ES256 is not allowed"), "reason logged: alg not allowed");
    free(t);
    conf("algorithms = ES256 none");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "'none' in algorithms is a config error");
    free(t);
    conf("algorithms = HS256");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "HS256 in algorithms without hmac_secret_file is a config error");
    free(t);
}

static void test_algorithms(void)
{
    char *c = claims(me, 300, NULL);
    test_algorithms_each(c);
    test_algorithms_unknown_key_and_none(c);
    test_algorithms_hmac_confusion(c);
    test_algorithms_key_type_and_list(c);
    free(c);
}

static void test_malformed_json(const char *c)
{
    char *t;
    conf(NULL);
    struct { const char *hdr; const char *payload; const char *name; } m[] = {
        {"{\"alg\":\"ES256\"", NULL, "header not JSON"},
        {"[\"ES256\"]", NULL, "header a JSON array"},
        {"{\"alg\":\"ES256\",\"alg\":\"HS256\"}", NULL, "duplicate alg in header"},
        {"{\"alg\":\"ES256\"}", "{\"sub\":\"x\",\"sub\":\"y\",\"exp\":9999999999}", "duplicate claim"},
        {"{\"alg\":\"ES256\"}", "[1,2]", "claims a JSON array"},
        {"{\"alg\":\"ES256\"}", "not json", "claims not JSON"},
        {"{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", NULL, "crit header"},
        {"{\"alg\":\"ES256\",\"kid\":5}", NULL, "kid not a string"},
        {"{\"alg\":5}", NULL, "alg not a string"},
        {"{}", NULL, "no alg"},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        t = raw("ES256", k_ec256, m[i].hdr, m[i].payload ? m[i].payload : c);
        is_int(auth(me, t), PAM_AUTH_ERR, "malformed: %s", m[i].name);
        free(t);
    }
    /* sub of the wrong type */
    const char *subs[] = {"{\"sub\":42,\"exp\":@E}", "{\"sub\":\"\",\"exp\":@E}",
                          "{\"sub\":null,\"exp\":@E}", "{\"sub\":[\"root\"],\"exp\":@E}",
                          "{\"sub\":\"ro\\u0000ot\",\"exp\":@E}"};
    for (size_t i = 0; i < 5; i++) {
        char p[200];
        snprintf(p, sizeof(p), "%s", subs[i]);
        char *e = strstr(p, "@E");
        char tail[100];
        snprintf(tail, sizeof(tail), "%ld}", now + 100);
        strcpy(e, tail);
        t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", p);
        is_int(auth(me, t), PAM_AUTH_ERR, "bad subject: %s", subs[i]);
        free(t);
    }
}

static void test_malformed_nesting_nul_base64url(const char *c)
{
    char *t;
    /* deep nesting */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 64);
    strcpy(deep, "{\"a\":");
    size_t o = strlen(deep);
    memset(deep + o, '[', depth);
    o += depth;
    memset(deep + o, ']', depth);
    o += depth;
    strcpy(deep + o, "}");
    t = tl_unsigned("{\"alg\":\"ES256\"}", deep, "AAAA");
    is_int(auth(me, t), PAM_AUTH_ERR, "100,000-level nesting refused (over 16 KiB)");
    free(t);
    /* 5,000 levels inside the size limit: refused by the depth check
     * before the JSON parser recurses */
    {
        char *d5 = malloc(12000);
        strcpy(d5, "{\"a\":");
        memset(d5 + 5, '[', 5000);
        memset(d5 + 5005, ']', 5000);
        strcpy(d5 + 10005, "}");
        t = tl_unsigned("{\"alg\":\"ES256\"}", d5, "AAAA");
        ok(strlen(t) <= 16384, "5,000-level token fits the size limit (%zu bytes)", strlen(t));
        is_int(auth(me, t), PAM_AUTH_ERR, "5,000-level nesting in the claims refused");
        ok(log_has("nested too deeply"), "reason logged: nested too deeply");
        free(t);
        t = tl_unsigned(d5, c, "AAAA");
        is_int(auth(me, t), PAM_AUTH_ERR, "5,000-level nesting in the header refused");
        free(t);
        free(d5);
    }
    /* a raw NUL byte inside the claims JSON text */
    {
        char withnul[300];
        int wl = snprintf(withnul, sizeof(withnul), "{\"sub\":\"%s\",\"exp\":%ld}", me, now + 100);
        char *h64 = pj_b64url_encode((const unsigned char *)"{\"alg\":\"ES256\"}", 15);
        withnul[8] = '\0'; /* inside the sub string */
        char *p64 = pj_b64url_encode((const unsigned char *)withnul, (size_t)wl);
        char tokbuf[1024];
        snprintf(tokbuf, sizeof(tokbuf), "%s.%s.AAAA", h64, p64);
        is_int(auth(me, tokbuf), PAM_AUTH_ERR, "raw NUL byte inside the claims refused");
        free(h64);
        free(p64);
    }
    /* non-canonical base64url in the signature (unused bits set) */
    {
        char *good = es256(me, 300, NULL);
        size_t gl = strlen(good);
        /* an ES256 signature is 64 bytes = 86 chars, last char carries 4
         * unused bits; 'A'..'P' differ only in those bits from... flip them */
        char *nc = strdup(good);
        const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int v = (int)(strchr(b64, nc[gl - 1]) - b64);
        /* canonical: the 4 low bits of the 86th character carry nothing */
        is_int(v & 15, 0, "a canonical ES256 signature's unused base64url bits are zero");
        nc[gl - 1] = b64[v | 1];
        is_int(auth(me, nc), PAM_AUTH_ERR, "signature with non-zero unused base64url bits refused");
        free(nc);
        free(good);
    }
    deep[5 + 5000] = '\0';
    memset(deep + 5, '[', 5000);
    t = tl_unsigned("{\"alg\":\"ES256\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "AAAA");
    is_int(auth(me, t), PAM_AUTH_ERR, "50-level nesting refused");
    free(t);
    free(deep);
}

static void test_malformed_sizes(void)
{
    char *t;
    /* bad base64url / signature sizes */
    t = es256(me, 300, NULL);
    char *last = strrchr(t, '.');
    char *copy = strdup(t);
    copy[last - t + 1 + 10] = '\0'; /* truncated signature */
    is_int(auth(me, copy), PAM_AUTH_ERR, "truncated signature refused");
    strcpy(copy, t);
    copy[strlen(copy) - 1] = copy[strlen(copy) - 1] == 'A' ? 'B' : 'A';
    is_int(auth(me, copy), PAM_AUTH_ERR, "altered last signature character refused");
    free(copy);
    size_t n = strlen(t);
    copy = malloc(n + 2);
    snprintf(copy, n + 2, "%sA", t);
    is_int(auth(me, copy), PAM_AUTH_ERR, "signature one character too long (bad base64url) refused");
    free(copy);
    /* white space is trimmed */
    copy = malloc(n + 8);
    snprintf(copy, n + 8, " \t%s\r\n ", t);
    is_int(auth(me, copy), PAM_SUCCESS, "rule 1: surrounding white space trimmed");
    free(copy);
    free(t);
    /* garbage sizes */
    char *big = malloc(100 * 1024 + 1);
    memset(big, 'A', 100 * 1024);
    big[100 * 1024] = '\0';
    big[10] = '.';
    big[20] = '.';
    is_int(auth(me, big), PAM_AUTH_ERR, "100 KiB of JWT-shaped garbage refused unparsed");
    ok(log_has("exceeds the 16384-byte limit"), "reason logged: size limit");
    memset(big, 0xff, 100 * 1024);
    is_int(auth(me, big), PAM_AUTH_ERR, "100 KiB of binary garbage refused (rule 1 before rule 2)");
    free(big);
}

static void test_malformed(void)
{
    char *c = claims(me, 300, NULL);
    test_malformed_json(c);
    test_malformed_nesting_nul_base64url(c);
    test_malformed_sizes();
    free(c);
}

/* A valid token of exactly len bytes (padding claim adjusted). */
static char *token_of_len(size_t len)
{
    for (size_t pad = len > 400 ? (len - 400) * 3 / 4 : 0; pad < len; pad++) {
        for (int variant = 0; variant < 4; variant++) {
            char *ex = malloc(pad + 64);
            snprintf(ex, pad + 64, "\"pad\":\"");
            size_t o = strlen(ex);
            memset(ex + o, 'p', pad);
            strcpy(ex + o + pad, "\"");
            /* the header's length moves in other steps than the payload's */
            const char *kids[] = {NULL, "k", "kk", "kkk"};
            char *t = es256_kid(me, 300, ex, kids[variant]);
            free(ex);
            if (strlen(t) == len)
                return t;
            size_t got = strlen(t);
            free(t);
            if (got > len + 8)
                return NULL;
        }
    }
    return NULL;
}

static void test_sizes(void)
{
    conf(NULL);
    char *t = token_of_len(900);
    ok(t != NULL, "made a 900-byte token");
    is_int(auth(me, t), PAM_SUCCESS, "900-byte token through the prompt accepted");
    free(t);
    t = token_of_len(16384);
    ok(t != NULL && strlen(t) == 16384, "made a 16,384-byte token");
    is_int(auth(me, t), PAM_SUCCESS, "rule 1: 16,384-byte token accepted");
    free(t);
    t = token_of_len(16385);
    ok(t != NULL && strlen(t) == 16385, "made a 16,385-byte token");
    is_int(auth(me, t), PAM_AUTH_ERR, "rule 1: 16,385-byte token refused");
    free(t);
}

static void test_args(void)
{
    char *t = es256(me, 300, NULL);
    char stack[8192];
    conf(NULL);
    is_int(auth_args("frobnicate", me, t, NULL), PAM_AUTHINFO_UNAVAIL, "unknown module argument fails closed");
    ok(log_has("unknown module argument 'frobnicate'"), "unknown argument logged");
    is_int(auth_args("frobnicate", me, "hunter2", NULL), PAM_IGNORE,
           "unknown module argument: ordinary password still ignored");
    /* config= follows the rule of every path: a '%' is a config error (a
     * usable config at that very path is never read) */
    {
        char a[600], conf_text[8192];
        FILE *f = fopen(P("pam_jwt.conf"), "r");
        size_t n = f ? fread(conf_text, 1, sizeof(conf_text) - 1, f) : 0;
        if (f)
            fclose(f);
        conf_text[n] = '\0';
        write_text("pj%h.conf", conf_text, 0644);
        snprintf(a, sizeof(a), "config=%s/pj%%h.conf", dir);
        is_int(auth_args(a, me, t, NULL), PAM_AUTHINFO_UNAVAIL, "config= with '%%': fails closed");
        ok(log_has("'%' in a path"), "config= with '%%': logged (%s)", logbuf);
        is_int(auth_args(a, me, "hunter2", NULL), PAM_IGNORE,
               "config= with '%%': ordinary password still ignored");
        unlink(P("pj%h.conf"));
    }
    is_int(auth_args("debug", me, t, NULL), PAM_SUCCESS, "debug accepted");
    ok(log_has("signature verified by"), "debug logs decision steps");
    ok(!log_has(t) && !log_has(strrchr(t, '.') + 1), "debug never logs the token");
    is_int(auth_args("[prompt=JWT token: ]", me, t, NULL), PAM_SUCCESS, "bracketed prompt= accepted");
    ok(strcmp(last_prompt, "JWT token: ") == 0, "prompt text used: '%s'", last_prompt);
    is_int(auth_args("use_first_pass", me, t, NULL), PAM_AUTH_ERR,
           "use_first_pass without an earlier token -> PAM_AUTH_ERR");
    is_int(conv_calls, 0, "use_first_pass never prompts");
    is_int(auth_args("try_first_pass", me, t, NULL), PAM_SUCCESS, "try_first_pass prompts when no token");

    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\nauth required %s config=%s/pam_jwt.conf use_first_pass\n",
             settok, t, so, dir);
    is_int(auth_stack(stack, me, "not-used", NULL), PAM_SUCCESS, "use_first_pass uses PAM_AUTHTOK");
    is_int(conv_calls, 0, "no prompt when PAM_AUTHTOK is set");
    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\nauth required %s config=%s/pam_jwt.conf\n", settok, t, so, dir);
    is_int(auth_stack(stack, me, "not-used", NULL), PAM_SUCCESS, "try_first_pass uses PAM_AUTHTOK");
    /* the contract's stack: a password falls through to the next module */
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf\n"
             "auth required %s expect=hunter2\n",
             so, dir, settok);
    is_int(auth_stack(stack, me, "hunter2", NULL), PAM_SUCCESS,
           "password falls through to the next module with PAM_AUTHTOK set");
    is_int(auth_stack(stack, me, "wrong", NULL), PAM_AUTH_ERR, "next module still checks the password");
    is_int(auth_stack(stack, me, t, NULL), PAM_SUCCESS, "token: success=done");
    char *bad = es256(me, -3600, NULL);
    is_int(auth_stack(stack, me, bad, NULL), PAM_AUTH_ERR, "bad token: default=die, next module not run");
    free(bad);
    free(t);
}

static void test_unsafe_config_file(const char *t)
{
    conf(NULL);
    is_int(auth(me, t), PAM_SUCCESS, "baseline");

    chmod(P("pam_jwt.conf"), 0664);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "group-writable config refused");
    ok(log_has("pam_jwt.conf: unsafe permissions 0664"), "log names the file and the problem");
    chmod(P("pam_jwt.conf"), 0646);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable config refused");
    chmod(P("pam_jwt.conf"), 0644);

    rename(P("pam_jwt.conf"), P("real.conf"));
    ok(symlink(P("real.conf"), P("pam_jwt.conf")) == 0, "made a symbolic link");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config as a symbolic link refused");
    ok(log_has("is a symbolic link"), "log says symbolic link");
    unlink(P("pam_jwt.conf"));
    rename(P("real.conf"), P("pam_jwt.conf"));

    unlink(P("pam_jwt.conf"));
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "missing config refused");
    ok(log_has("cannot open"), "log says cannot open");
    mkdir(P("pam_jwt.conf"), 0755);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config that is a directory refused");
    rmdir(P("pam_jwt.conf"));
    mkfifo(P("pam_jwt.conf"), 0644);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config that is a FIFO refused (no hang)");
    unlink(P("pam_jwt.conf"));
    conf(NULL);
}

static void test_unsafe_key_file(const char *t)
{
    char buf[4096];
    chmod(P("ec256.pub"), 0666);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable key_file refused");
    chmod(P("ec256.pub"), 0644);
    rename(P("ec256.pub"), P("ec256.real"));
    ok(symlink(P("ec256.real"), P("ec256.pub")) == 0, "made a symbolic link");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "key_file as a symbolic link refused");
    unlink(P("ec256.pub"));
    rename(P("ec256.real"), P("ec256.pub"));
    snprintf(buf, sizeof(buf), "key_file = %s/missing.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "missing key_file refused");
    snprintf(buf, sizeof(buf), "key_file = %s/ec256.key", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "private key as key_file refused");
    ok(log_has("holds a private key"), "log explains the private key");
    write_text("garbage.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 0644);
    snprintf(buf, sizeof(buf), "key_file = %s/garbage.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "malformed key_file refused");
    {
        char pem[8192];
        FILE *f = fopen(P("ec256.pub"), "r");
        size_t pl = fread(pem, 1, sizeof(pem) - 200, f);
        fclose(f);
        strcpy(pem + pl, "-----BEGIN PUBLIC KEY-----\nAAAA!!\n-----END PUBLIC KEY-----\n");
        write_text("damaged.pub", pem, 0644);
    }
    snprintf(buf, sizeof(buf), "key_file = %s/damaged.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "damaged PEM block after a good key refused");
    ok(log_has("damaged PEM block") || log_has("does not decode"), "damaged block logged");
    snprintf(buf, sizeof(buf), "key_file = %s/rsa1024.pub", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "1024-bit RSA key refused");
}

static void test_unsafe_secret_and_lists(const char *t)
{
    char buf[4096];
    write_text("hmac.secret", "0123456789abcdef0123456789abcdef-pamjwt\n", 0640);
    snprintf(buf, sizeof(buf), "hmac_secret_file = %s/hmac.secret", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "group-readable hmac_secret_file refused");
    ok(log_has("secret readable by group or others"), "log explains secret permissions");
    chmod(P("hmac.secret"), 0600);
    is_int(auth(me, t), PAM_SUCCESS, "mode 0600 hmac_secret_file accepted");
    write_text("hmac.secret", "short\n", 0600);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "hmac secret shorter than 32 bytes refused");

    write_text("subjects", "x\n", 0666);
    snprintf(buf, sizeof(buf), "allowed_subjects_file = %s/subjects", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable allowed_subjects_file refused");
    write_text("usermap", "* %s\n", 0622);
    snprintf(buf, sizeof(buf), "user_map_file = %s/usermap", dir);
    conf(buf);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "world-writable user_map_file refused");
}

static void test_unsafe_owners(const char *t)
{
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        conf(NULL);
        ok(chown(P("pam_jwt.conf"), pw ? pw->pw_uid : 65534, 0) == 0, "chown");
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "config owned by another user refused");
        ok(log_has("unsafe owner"), "log says unsafe owner");
        ok(chown(P("pam_jwt.conf"), 0, 0) == 0, "chown");
        ok(chown(P("ec256.pub"), pw ? pw->pw_uid : 65534, 0) == 0, "chown");
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "key_file owned by another user refused");
        ok(chown(P("ec256.pub"), 0, 0) == 0, "chown");
    } else {
        skip(7, "ownership tests need root");
    }
}

static void test_unsafe_files(void)
{
    char *t = es256(me, 300, NULL);
    test_unsafe_config_file(t);
    test_unsafe_key_file(t);
    test_unsafe_secret_and_lists(t);
    test_unsafe_owners(t);
    conf(NULL);
    free(t);
}

static void test_state(void)
{
    char buf[4096], ex[200];
    char *t;
    /* revoked_file */
    write_text("revoked", "# revoked ids\nabc-123\n", 0644);
    snprintf(buf, sizeof(buf), "revoked_file = %s/revoked", dir);
    conf(buf);
    t = es256(me, 300, "\"jti\":\"abc-123\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "revoked_file: listed jti refused");
    ok(log_has("jti=abc-123"), "log names the jti");
    free(t);
    t = es256(me, 300, "\"jti\":\"abc-124\"");
    is_int(auth(me, t), PAM_SUCCESS, "revoked_file: other jti accepted");
    free(t);

    /* replay_cache */
    mkdir(P("replay"), 0700);
    snprintf(buf, sizeof(buf), "replay_cache = %s/replay", dir);
    conf(buf);
    snprintf(ex, sizeof(ex), "\"jti\":\"once-%ld\"", now);
    t = es256(me, 300, ex);
    if (other[0])
        is_int(auth(other, t), PAM_AUTH_ERR, "replay_cache: refused login (wrong user) ...");
    else
        skip(1, "no second user");
    is_int(auth(me, t), PAM_SUCCESS, "... does not use up the jti: first use accepted");
    is_int(auth(me, t), PAM_AUTH_ERR, "replay_cache: second use refused");
    ok(log_has("already used"), "reason logged: already used");
    free(t);
    {
        /* exp far beyond time_t (max_lifetime = 0): recorded, then refused */
        char p2[300], big[8192];
        snprintf(big, sizeof(big), "replay_cache = %s/replay\nmax_lifetime = 0", dir);
        conf(big);
        snprintf(p2, sizeof(p2), "{\"sub\":\"%s\",\"jti\":\"huge-%ld\",\"exp\":1e300}", me, now);
        char *h = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", p2);
        is_int(auth(me, h), PAM_SUCCESS, "replay_cache: exp 1e300 accepted once");
        is_int(auth(me, h), PAM_AUTH_ERR, "replay_cache: exp 1e300 refused the second time");
        free(h);
        snprintf(big, sizeof(big), "replay_cache = %s/replay", dir);
        conf(big);
    }
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "replay_cache: token without jti refused");
    free(t);
    chmod(P("replay"), 0777);
    snprintf(ex, sizeof(ex), "\"jti\":\"twice-%ld\"", now);
    t = es256(me, 300, ex);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "replay_cache: world-writable directory refused");
    chmod(P("replay"), 0700);
    free(t);
}

/* The JWK with the leading zero bytes of its EC coordinates dropped;
 * NULL when neither x nor y has one. */
static char *jwk_unpadded(const char *jwk)
{
    char *out = strdup(jwk);
    int dropped = 0;
    for (const char *m = "xy"; *m; m++) {
        char name[8];
        snprintf(name, sizeof(name), "\"%c\":\"", *m);
        char *v = strstr(out, name), *end;
        if (v == NULL || (end = strchr(v += 5, '"')) == NULL)
            continue;
        size_t len = 0;
        unsigned char *raw = pj_b64url_decode(v, (size_t)(end - v), &len), *p = raw;
        while (len > 1 && *p == 0) {
            p++;
            len--;
            dropped++;
        }
        char *enc = pj_b64url_encode(p, len), *copy = strndup(v, (size_t)(end - v));
        char *next = tl_replace(out, copy, enc);
        free(out);
        out = next;
        free(raw);
        free(enc);
        free(copy);
    }
    if (dropped == 0) {
        free(out);
        return NULL;
    }
    return out;
}

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
static void test_replay(void)
{
    const long n0 = now; /* one value for every jti below, minted in any second */
    test_replay_key_is_iss_and_jti(n0);
    test_replay_read_only(n0);
    test_replay_sweep(n0);
    test_replay_group_symlink(n0);
}

static void test_jwks_kid_selects(const char *j1, const char *c)
{
    char buf[8192];
    char *j2 = tl_jwk(k_rsa, "key-2", NULL, NULL);
    char *j3 = tl_jwk(k_ec_other, "enc-key", NULL, "enc");
    /* a well-formed JWK whose point is not on the curve: only found out
     * when the key is built, which happens only when a token selects it */
    const char *offcurve = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off-curve\","
                           "\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
                           "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}";
    snprintf(buf, sizeof(buf), "{\"keys\":[%s,%s,%s,%s,{\"kty\":\"EC\",\"crv\":\"P-256\"}]}",
             offcurve, j1, j2, j3);
    write_text("jwks.json", buf, 0644);
    snprintf(buf, sizeof(buf), "jwks_file = %s/jwks.json\nallowed_subjects = *\n", dir);
    write_text("pam_jwt.conf", buf, 0644);
    char *t = sign_pem("ES256", k_ec256, c, "key-1");
    is_int(auth(me, t), PAM_SUCCESS, "jwks: kid selects the EC key");
    ok(!log_has("not on the curve"), "jwks: a key the kid does not select is never built");
    ok(!log_has("key #4"), "jwks: a bad key the kid does not select is never logged");
    free(t);
    t = sign_pem("ES256", k_ec256, c, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "jwks: no kid: every fitting key tried, the broken one skipped");
    ok(log_has("not on the curve"), "jwks: the broken key is logged when tried");
    free(t);
    t = sign_pem("ES256", k_ec_other, c, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: no kid, signed by no key in the set: refused");
    ok(log_has("key #4: skipped: member missing"),
       "jwks: a malformed key among good ones is logged and skipped when considered");
    free(t);
    t = sign_pem("RS256", k_rsa, c, "key-2");
    is_int(auth(me, t), PAM_SUCCESS, "jwks: kid selects the RSA key");
    free(t);
    t = sign_pem("RS256", k_rsa, c, NULL);
    is_int(auth(me, t), PAM_SUCCESS, "jwks: no kid, key found by type");
    free(t);
    t = sign_pem("ES256", k_ec256, c, "key-2");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: kid of a key of another type refused");
    free(t);
    t = sign_pem("ES256", k_ec256, c, "nope");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: unknown kid refused");
    ok(log_has("no key fits alg ES256 and kid nope"), "unknown kid logged");
    free(t);
    t = sign_pem("ES256", k_ec256, c, "../../etc/passwd");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: kid '../../etc/passwd' is only a name");
    free(t);
    t = sign_pem("ES256", k_ec_other, c, "enc-key");
    is_int(auth(me, t), PAM_AUTH_ERR, "jwks: key with use=enc is never used");
    free(t);
    free(j2);
    free(j3);
}

/* PyJWT 2.6 and authlib 1.2 drop a coordinate's leading zero bytes */
static void test_jwks_p521_unpadded(const char *c)
{
    char buf[8192];
    char *t;
    EVP_PKEY *k521 = NULL;
    char *j521 = NULL, *j521s = NULL;
    for (int tries = 0; j521s == NULL && tries < 200; tries++) { /* 3 keys in 4 have one */
        EVP_PKEY_free(k521);
        free(j521);
        k521 = tl_keygen("p521");
        j521 = tl_jwk(k521, "p521", NULL, NULL);
        j521s = jwk_unpadded(j521);
    }
    snprintf(buf, sizeof(buf), "{\"keys\":[%s]}", j521s ? j521s : j521);
    write_text("jwks.json", buf, 0644);
    t = sign_pem("ES512", k521, c, "p521");
    ok(j521s != NULL && strlen(j521s) < strlen(j521) && auth(me, t) == PAM_SUCCESS,
       "jwks: P-521 key with x or y written without its leading zero byte verifies");
    free(t);
    free(j521);
    free(j521s);
    EVP_PKEY_free(k521);
}

/* the whole set is parsed at every login (jansson, through
 * pj_json_object), even where no key is used: a broken file is a
 * config error, not a refusal */
static void test_jwks_malformed_sets(const char *j1, const char *c)
{
    char buf[8192];
    char *t;
#define NOT_JSON "not a JWK Set: not valid JSON (or duplicate member names)"
    static const struct { const char *text, *why, *name; } bad[] = {
        {"{\"keys\":{}}", "not a JWK Set: no \"keys\" array", "keys not an array"},
        {"{\"keys\":[]}", "\"keys\" is empty", "no keys"},
        {"{\"keys\":[@K],\"keys\":[]}", NOT_JSON, "keys twice"},
        {"{\"keys\":[@K,{\"kty\":\"EC\",\"kty\":\"RSA\"}]}", NOT_JSON,
         "a member twice in a key the kid does not select"},
        {"{\"keys\":[@K,{\"kty\":\"EC\",\"x\":\"\\u00zz\"}]}", NOT_JSON,
         "bad escape in a key the kid does not select"},
        {"{\"keys\":[@K,{\"kty\":\"EC\",\"x\":\"\xc0\xaf\"}]}", NOT_JSON,
         "overlong UTF-8 in another key"},
        {"{\"keys\":[@K,{\"n\":01}]}", NOT_JSON, "number with a leading zero"},
        {"{\"keys\":[@K,{\"n\":1e999}]}", NOT_JSON, "number overflowing a double"},
        {"{\"keys\":[@K,{\"n\":99999999999999999999}]}", NOT_JSON, "integer too big"},
        {"{\"keys\":[@K,]}", NOT_JSON, "trailing comma"},
        {"{\"keys\":[@K]} x", NOT_JSON, "data after the set"},
        {"{\"keys\":[@K,[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
         "not a JWK Set: JSON nested too deeply", "33 levels of nesting"},
        {"[@K]", "not a JWK Set: not a JSON object", "a bare array of keys"},
    };
#undef NOT_JSON
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *set = tl_replace(bad[i].text, "@K", j1), msg[200];
        write_text("jwks.json", set, 0644);
        free(set);
        t = sign_pem("ES256", k_ec256, c, "key-1");
        snprintf(msg, sizeof(msg), "jwks: malformed set is a config error: %s", bad[i].name);
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "%s", msg);
        snprintf(msg, sizeof(msg), "jwks: ... logged as '%s'", bad[i].why);
        ok(log_has(bad[i].why), "%s", msg);
        free(t);
    }
    /* escapes in the set are JSON: a kid spelled with \u escapes selects */
    snprintf(buf, sizeof(buf), "{\"keys\":[%s]}", j1);
    char *esc = tl_replace(buf, "\"kid\":\"key-1\"", "\"\\u006bid\":\"k\\u0065y-1\"");
    write_text("jwks.json", esc, 0644);
    free(esc);
    t = sign_pem("ES256", k_ec256, c, "key-1");
    is_int(auth(me, t), PAM_SUCCESS, "jwks: kid member and value written with \\u escapes select");
    free(t);
}

static void test_jwks(void)
{
    char *j1 = tl_jwk(k_ec256, "key-1", "ES256", "sig");
    char *c = claims(me, 300, NULL);
    test_jwks_kid_selects(j1, c);
    test_jwks_p521_unpadded(c);
    test_jwks_malformed_sets(j1, c);
    free(c);
    free(j1);
}

/* min_uid: the mapped user's uid must be at least min_uid */
static void test_hardening_min_uid(uintmax_t uid, const char *t)
{
    char extra[4096];
    snprintf(extra, sizeof(extra), "min_uid = %ju", uid + 1);
    conf(extra);
    is_int(auth(me, t), PAM_AUTH_ERR, "min_uid above the user's uid: refused");
    ok(log_has("below min_uid"), "... logged as below min_uid");
    snprintf(extra, sizeof(extra), "min_uid = %ju", uid);
    conf(extra);
    is_int(auth(me, t), PAM_SUCCESS, "min_uid equal to the user's uid: accepted");
    conf("min_uid = 0");
    is_int(auth(me, t), PAM_SUCCESS, "min_uid = 0: accepted");
    /* the largest uid is a valid setting (on every architecture): it refuses, as below */
    conf("min_uid = 4294967294");
    is_int(auth(me, t), uid < 4294967294u ? PAM_AUTH_ERR : PAM_SUCCESS,
           "min_uid = 4294967294 is read, and the user's uid %ju compared with it", uid);
    ok(uid >= 4294967294u || log_has("below min_uid 4294967294"),
       "... logged as below min_uid 4294967294");
    const char *bad_uid[] = {"-1", "4294967295", "9223372036854775807", "9223372036854775808",
                             "18446744073709551616"};
    for (size_t i = 0; i < sizeof(bad_uid) / sizeof(bad_uid[0]); i++) {
        snprintf(extra, sizeof(extra), "min_uid = %s", bad_uid[i]);
        conf(extra);
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "min_uid = %s is a config error", bad_uid[i]);
    }
    /* 2^32 + uid would be the user's own uid if cut to 32 bits */
    snprintf(extra, sizeof(extra), "min_uid = %ju", uid + 4294967296u);
    conf(extra);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "min_uid = 2^32 + uid is a config error, not uid");
}

/* exp at the edge of the token parser's 64-bit integers */
static void test_hardening_exp_edge(void)
{
    conf("max_lifetime = 0");
    {
        char p[300];
        snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"exp\":9223372036854775807}", me);
        char *h = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", p);
        is_int(auth(me, h), PAM_SUCCESS, "exp 2^63-1 (max_lifetime = 0): accepted");
        free(h);
        snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"exp\":9223372036854775808}", me);
        h = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", p);
        is_int(auth(me, h), PAM_AUTH_ERR, "exp 2^63 (past 64-bit integers): refused");
        free(h);
    }
}

/* max_uid: optional upper bound, parsed like min_uid */
static void test_hardening_max_uid(uintmax_t uid, const char *t)
{
    char extra[4096];
    snprintf(extra, sizeof(extra), "max_uid = %ju", uid);
    conf(extra);
    is_int(auth(me, t), PAM_SUCCESS, "max_uid equal to the user's uid: accepted");
    {
        /* a user with a uid above 0: me, or (as root) daemon */
        struct passwd *dp = uid > 0 ? NULL : getpwnam("daemon");
        const char *who = uid > 0 ? me : dp ? "daemon" : NULL;
        uintmax_t wuid = uid > 0 ? uid : dp ? (uintmax_t)dp->pw_uid : 0;
        if (who != NULL && wuid > 0) {
            char *wt = es256(who, 300, NULL);
            snprintf(extra, sizeof(extra), "max_uid = %ju", wuid - 1);
            conf(extra);
            is_int(auth(who, wt), PAM_AUTH_ERR, "max_uid below %s's uid: refused", who);
            ok(log_has("above max_uid"), "... logged as above max_uid");
            free(wt);
        } else {
            skip(2, "no user with a uid above 0");
        }
    }
    conf("max_uid = 4294967295");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "max_uid = 4294967295 is a config error");
    conf("min_uid = 1000\nmax_uid = 999");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "max_uid below min_uid is a config error");
    ok(log_has("max_uid 999 is below min_uid 1000"), "... logged");
}

/* the overflow uid (nobody, 65534) is never a login target, whatever
 * min_uid and max_uid say */
static void test_hardening_overflow_uid(void)
{
    char extra[4096];
    {
        long ovf = 65534;
        FILE *f = fopen("/proc/sys/kernel/overflowuid", "r");
        if (f != NULL) {
            if (fscanf(f, "%ld", &ovf) != 1)
                ovf = 65534;
            fclose(f);
        }
        struct passwd *nb = getpwuid((uid_t)ovf);
        if (nb != NULL) {
            char nbname[256];
            snprintf(nbname, sizeof(nbname), "%s", nb->pw_name);
            char *nt = es256(nbname, 300, NULL);
            conf("min_uid = 0");
            is_int(auth(nbname, nt), PAM_AUTH_ERR, "overflow uid %ld (%s): refused", ovf, nbname);
            ok(log_has("has the overflow uid"), "... logged as the overflow uid");
            free(nt);
            write_text("usermap", "*@example.com %l\n", 0644);
            snprintf(extra, sizeof(extra), "user_map_file = %s/usermap", dir);
            conf(extra);
            char sub[300];
            snprintf(sub, sizeof(sub), "%s@example.com", nbname);
            nt = es256(sub, 300, NULL);
            is_int(auth_args(NULL, NULL, nt, NULL), PAM_AUTH_ERR,
                   "*@example.com %%l does not map %s to the overflow uid", sub);
            free(nt);
        } else {
            skip(3, "no user has the overflow uid");
        }
    }
}

/* a comma inside allowed_subjects is a config error naming the comma */
static void test_hardening_comma_in_subjects(const char *t)
{
    write_text("pam_jwt.conf", "key_file = /nonexistent\n", 0644);
    {
        char buf[1024];
        snprintf(buf, sizeof(buf), "key_file = %s/ec256.pub\nallowed_subjects = %s,bob\n", dir,
                 me);
        write_text("pam_jwt.conf", buf, 0644);
    }
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "allowed_subjects = a,b: config error");
    ok(log_has("not commas"), "... the log line names the comma");
}

/* while revoked_file is set, a jti that could never be listed in it is refused */
static void test_hardening_unrevocable_jti(void)
{
    write_text("revoked-list", "some-other-jti\n", 0644);
    {
        char rv[1024];
        snprintf(rv, sizeof(rv), "revoked_file = %s/revoked-list", dir);
        const char *bad[] = {"\" padded\"", "\"#comment\"", "\"a #b\"", "\"tab\\tin\"",
                             "\"trailing \""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char jc[128];
            snprintf(jc, sizeof(jc), "\"jti\":%s", bad[i]);
            char *bt = es256(me, 300, jc);
            conf(rv);
            is_int(auth(me, bt), PAM_AUTH_ERR, "revoked_file set: jti %s cannot be revoked: refused", bad[i]);
            ok(log_has("jti cannot be revoked"), "... logged");
            conf(NULL);
            is_int(auth(me, bt), PAM_SUCCESS, "... and accepted without revoked_file");
            free(bt);
        }
        char *good = es256(me, 300, "\"jti\":\"ok-jti-\u00e9\"");
        conf(rv);
        is_int(auth(me, good), PAM_SUCCESS, "revoked_file set: an ordinary jti is accepted");
        free(good);
    }
}

/* a cut-off signature says so */
static void test_hardening_cut_signatures(const char *t)
{
    conf(NULL);
    {
        size_t tl = strlen(t);
        char *cut = strndup(t, tl - 1);
        is_int(auth(me, cut), PAM_AUTH_ERR, "ES256 signature one character short: refused");
        ok(log_has("ES256 signature is 85 characters, expected 86: token cut off?"),
           "... logged as a cut-off signature (85 of 86)");
        cut[tl - 2] = '\0';
        is_int(auth(me, cut), PAM_AUTH_ERR, "ES256 signature two characters short: refused");
        ok(log_has("ES256 signature is 84 characters, expected 86: token cut off?"),
           "... logged as a cut-off signature (84 of 86)");
        free(cut);
        /* longer than ES256 makes: never "cut off" */
        char *longer = malloc(tl + 3);
        snprintf(longer, tl + 3, "%sAA", t);
        is_int(auth(me, longer), PAM_AUTH_ERR, "ES256 signature two characters long: refused");
        ok(log_has("ES256 signature is 88 characters, expected 86: longer than ES256 makes") &&
               !log_has("cut off"),
           "... logged as longer than ES256 makes, not as cut off (%s)", logbuf);
        ok(strcmp(told, "Token is malformed: copy it again whole, or get a new one.\n") == 0,
           "... told: malformed (got '%s')", told);
        free(longer);
    }
    /* RS* and PS*: the key's modulus fixes the length (2048 bits: 256 bytes,
     * 342 characters) */
    {
        char *cl = claims(me, 300, NULL);
        char *rs = sign_pem("RS256", k_rsa, cl, NULL);
        char *ps = raw("PS256", k_rsa, "{\"alg\":\"PS256\",\"typ\":\"JWT\"}", cl);
        size_t rl = strlen(rs), pl = strlen(ps);
        rs[rl - 2] = '\0';
        is_int(auth(me, rs), PAM_AUTH_ERR, "RS256 signature two characters short: refused");
        ok(log_has("RS256 signature is 255 bytes, the key needs 256: token cut off, or signed by "
                   "another key?"),
           "... logged as a cut-off signature, or another key's (255 of 256 bytes)");
        ok(strcmp(told, "Token is cut off or not from an issuer this host trusts.\n") == 0,
           "... told: cut off or another issuer's (got '%s')", told);
        ps[pl - 6] = '\0';
        is_int(auth(me, ps), PAM_AUTH_ERR, "PS256 signature six characters short: refused");
        ok(log_has("PS256 signature is 252 bytes, the key needs 256: token cut off, or signed by "
                   "another key?"),
           "... logged as a cut-off signature, or another key's (252 of 256 bytes)");
        /* longer than the key needs: another (larger) key's, never "cut off" */
        EVP_PKEY *big = EVP_RSA_gen(3072);
        char *long_rs = sign_pem("RS384", big, cl, NULL);
        is_int(auth(me, long_rs), PAM_AUTH_ERR, "RS384 signature of a 3072-bit key: refused");
        ok(log_has("RS384 signature is 384 bytes, the key needs 256: signed by another key?") &&
               !log_has("cut off"),
           "... logged as another key's, not as cut off (%s)", logbuf);
        ok(strcmp(told, "Token is not from an issuer this host trusts.\n") == 0,
           "... told: not from an issuer this host trusts (got '%s')", told);
        free(long_rs);
        EVP_PKEY_free(big);
        free(rs);
        rs = sign_pem("RS256", k_rsa, cl, NULL);
        rs[rl - 1] = '\0';
        is_int(auth(me, rs), PAM_AUTH_ERR, "RS256 signature one character short: refused");
        ok(log_has("RS256 signature is 341 characters and does not decode to whole bytes: "
                   "token cut off?"),
           "... logged as a cut-off signature (341 characters)");
        /* 338 characters whose last carries bits past the last byte ('B': 000001) */
        rs[rl - 4] = '\0';
        rs[rl - 5] = 'B';
        is_int(auth(me, rs), PAM_AUTH_ERR, "RS256 signature ending in stray bits: refused");
        ok(log_has("RS256 signature is 338 characters and does not decode to whole bytes"),
           "... logged as a cut-off signature (338 characters)");
        free(rs);
        free(ps);
        rs = sign_pem("RS256", k_rsa_other, cl, NULL);
        is_int(auth(me, rs), PAM_AUTH_ERR, "RS256 signature of the right length by another key");
        ok(log_has("bad signature (1 key tried)"), "... is still a bad signature");
        free(rs);
        free(cl);
    }
}

/* a paste broken across lines: still passed on, with a hint */
static void test_hardening_broken_paste(const char *t)
{
    {
        size_t tl = strlen(t);
        char *broken = malloc(tl + 2);
        memcpy(broken, t, 40);
        broken[40] = '\n';
        memcpy(broken + 41, t + 40, tl - 40 + 1);
        is_int(auth(me, broken), PAM_IGNORE, "token broken by a newline: passed on (ignore)");
        ok(log_has("starts like a JWT"), "... with a log line saying it looked like a token");
        is_int(auth(me, "eyJhunter2"), PAM_IGNORE, "eyJ password: passed on (ignore)");
        free(broken);
        is_int(auth(me, "hunter2"), PAM_IGNORE, "ordinary password: ignored");
        ok(!log_has("starts like a JWT"), "... without the broken-token hint");
    }

    /* no log line ends with a stray ';' */
    is_int(auth(me, "a.b.c"), PAM_AUTH_ERR, "a.b.c refused");
    ok(strstr(logbuf, ";\n") == NULL, "no log line ends with ';'");
}

/* a token without kid is tried against at most 8 keys */
static void test_hardening_kidless_key_bound(void)
{
    char extra[4096];
    {
        EVP_PKEY *ks[9];
        char *set = strdup("{\"keys\":[");
        for (int i = 0; i < 9; i++) {
            ks[i] = i == 8 ? k_ec256 : tl_keygen("p256");
            char kid[16];
            snprintf(kid, sizeof(kid), "k%d", i);
            char *jwk = tl_jwk(ks[i], kid, NULL, NULL);
            char *n = malloc(strlen(set) + strlen(jwk) + 4);
            sprintf(n, "%s%s%s", set, i ? "," : "", jwk);
            free(set);
            free(jwk);
            set = n;
            if (i == 7 || i == 8) { /* a set of 8 keys, then of 9 */
                char *full = malloc(strlen(set) + 4);
                sprintf(full, "%s]}", set);
                write_text(i == 7 ? "eight.jwks" : "nine.jwks", full, 0644);
                free(full);
            }
        }
        free(set);
        for (int i = 0; i < 8; i++)
            EVP_PKEY_free(ks[i]);
        char *nokid = es256(me, 300, NULL);
        snprintf(extra, sizeof(extra), "jwks_file = %s/nine.jwks\nallowed_subjects = *\n", dir);
        write_text("pam_jwt.conf", extra, 0644);
        is_int(auth(me, nokid), PAM_AUTH_ERR, "no kid, 9 keys fit: refused");
        ok(log_has("token has no kid and 9 keys fit it"), "... logged with the count");
        char *withkid = es256_kid(me, 300, NULL, "k8");
        is_int(auth(me, withkid), PAM_SUCCESS, "with kid, same 9-key set: accepted");
        snprintf(extra, sizeof(extra),
                 "jwks_file = %s/eight.jwks\nkey_file = %s/ec256.pub\nallowed_subjects = *\n",
                 dir, dir);
        write_text("pam_jwt.conf", extra, 0644);
        is_int(auth(me, nokid), PAM_AUTH_ERR, "no kid, 8 JWKS keys + 1 key_file fit: refused");
        snprintf(extra, sizeof(extra), "jwks_file = %s/eight.jwks\nallowed_subjects = *\n", dir);
        write_text("pam_jwt.conf", extra, 0644);
        is_int(auth(me, nokid), PAM_AUTH_ERR, "no kid, 8 keys fit, none signed it: refused");
        ok(log_has("bad signature (8 keys tried)"), "... after trying all 8");
        free(nokid);
        free(withkid);
    }
}

/* Rules added while hardening the core: min_uid, the kid-less key bound,
 * cut-off signatures, broken pastes, comma lists, clean log lines. */
static void test_hardening(void)
{
    struct passwd *pw = getpwnam(me);
    uintmax_t uid = pw ? (uintmax_t)pw->pw_uid : 0;
    char *t = es256(me, 300, NULL);
    test_hardening_min_uid(uid, t);
    test_hardening_exp_edge();
    test_hardening_max_uid(uid, t);
    test_hardening_overflow_uid();
    test_hardening_comma_in_subjects(t);
    test_hardening_unrevocable_jti();
    test_hardening_cut_signatures(t);
    test_hardening_broken_paste(t);
    free(t);
    test_hardening_kidless_key_bound();
}

/* Several issuers: a policy directory (contract "Several issuers"). */
static char *signed_claims(EVP_PKEY *k, const char *alg, const char *claims_json)
{
    char hdr[64];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    return raw(alg, k, hdr, claims_json);
}

static char *iss_token(EVP_PKEY *k, const char *alg, const char *iss, const char *sub,
                       const char *extra)
{
    char c[2048];
    snprintf(c, sizeof(c), "{%s%s%s\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld%s%s}",
             iss ? "\"iss\":\"" : "", iss ? iss : "", iss ? "\"," : "", sub, now, now + 300,
             extra ? "," : "", extra ? extra : "");
    return signed_claims(k, alg, c);
}

static void policy(const char *name, const char *text, int mode)
{
    char path[512];
    snprintf(path, sizeof(path), "pol/%s", name);
    write_text(path, text, mode);
}

static int auth_dir(const char *user, const char *tok)
{
    char args[512];
    char stack[8192];
    snprintf(args, sizeof(args), "config=%s/pol", dir);
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s %s\n"
             "auth required %s ignored\n",
             so, args, settok);
    int rc = auth_stack(stack, user, tok, NULL);
    return rc == PAM_CRED_INSUFFICIENT ? PAM_IGNORE : rc;
}

static void test_policies_two_issuers(void)
{
    char buf[2048];
    char *t;
    mkdir(P("pol"), 0755);
    snprintf(buf, sizeof(buf),
             "issuer = https://a.example\nkey_file = %s/ec256.pub\nallowed_subjects = alice\n"
             "user_map_file = %s/map-a\n", dir, dir);
    policy("a.conf", buf, 0644);
    snprintf(buf, sizeof(buf),
             "issuer = https://b.example\nkey_file = %s/rsa.pub\nallowed_subjects = bob\n"
             "user_map_file = %s/map-b\n", dir, dir);
    policy("b.conf", buf, 0644);
    snprintf(buf, sizeof(buf), "alice %s\n", me);
    write_text("map-a", buf, 0644);
    snprintf(buf, sizeof(buf), "bob %s\n", me);
    write_text("map-b", buf, 0644);

    t = iss_token(k_ec256, "ES256", "https://a.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_SUCCESS, "policy dir: issuer A's token, A's key and subject: accepted");
    free(t);
    t = iss_token(k_rsa, "RS256", "https://b.example", "bob", NULL);
    is_int(auth_dir(me, t), PAM_SUCCESS, "policy dir: issuer B's token, B's key and subject: accepted");
    free(t);
    t = iss_token(k_rsa, "RS256", "https://b.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: A's subject signed by B: refused");
    ok(log_has("subject not allowed"), "... as a subject B does not allow");
    free(t);
    t = iss_token(k_ec256, "ES256", "https://b.example", "bob", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: iss B signed with A's key: refused");
    ok(log_has("no key fits alg ES256"), "... B's keys decide (%s)", logbuf);
    free(t);
    t = iss_token(k_ec256, "ES256", "https://c.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: unknown issuer: refused");
    ok(log_has("no policy for issuer https://c.example"), "... 'no policy for issuer'");
    free(t);
    t = iss_token(k_ec256, "ES256", NULL, "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: token without iss: refused");
    free(t);
    t = iss_token(k_ec256, "ES256", "https://a.example\\u0000x", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: iss with a NUL after A's issuer: no policy");
    free(t);
    is_int(auth_dir(me, "hunter2"), PAM_IGNORE, "policy dir: a password is passed on");
}

static void test_policies_ignored_and_broken(void)
{
    char buf[2048];
    char *t;
    /* names that are not policies are not read */
    policy("z.conf~", "garbage\n", 0644);
    policy("z.conf.dpkg-old", "garbage\n", 0644);
    policy(".hidden.conf", "garbage\n", 0644);
    policy("README", "garbage\n", 0644);
    t = iss_token(k_ec256, "ES256", "https://c.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: backup and other names are ignored");

    /* a broken sibling: A's tokens still work, unknown issuers are unavailable */
    policy("c.conf", "issuer = https://c.example\nthis is not a key\n", 0644);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "broken sibling: a token it might own: unavailable");
    free(t);
    t = iss_token(k_ec256, "ES256", "https://a.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_SUCCESS, "broken sibling: issuer A's token still accepted");
    free(t);
    t = iss_token(k_ec256, "ES256", NULL, "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "broken sibling: a token without iss: unavailable");
    free(t);
    unlink(P("pol/c.conf"));

    /* B's map malformed: B's tokens that reach it are unavailable, B's
     * policy still loads (an unknown issuer stays refused), A is untouched */
    write_text("map-b", "bob\n", 0644);
    t = iss_token(k_rsa, "RS256", "https://b.example", "bob", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "policy dir: B's map malformed: B's token unavailable");
    ok(log_has("map-b:1: expected 'SUBJECT LOCALUSER'"), "... logged with B's map and line");
    free(t);
    t = iss_token(k_ec256, "ES256", "https://c.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTH_ERR, "policy dir: B's map malformed: unknown issuer still refused");
    free(t);
    t = iss_token(k_ec256, "ES256", "https://a.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_SUCCESS, "policy dir: B's map malformed: A's token accepted");
    free(t);
    snprintf(buf, sizeof(buf), "bob %s\n", me);
    write_text("map-b", buf, 0644);
}

static void test_policies_failed_files(void)
{
    char buf[2048];
    char *t;
    /* a file without issuer is a failed policy */
    snprintf(buf, sizeof(buf), "key_file = %s/ec256.pub\nallowed_subjects = *\n", dir);
    policy("n.conf", buf, 0644);
    t = iss_token(k_ec256, "ES256", "https://c.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "policy without issuer: counts as failed");
    ok(log_has("no issuer"), "... logged as 'no issuer'");
    free(t);
    unlink(P("pol/n.conf"));

    /* a *.conf that is a directory is a failed policy */
    mkdir(P("pol/d.conf"), 0755);
    t = iss_token(k_ec256, "ES256", "https://c.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "a directory named *.conf: failed policy");
    free(t);
    rmdir(P("pol/d.conf"));

    /* a *.conf that is a symbolic link, even to a safe policy, is a failed
     * policy file: never followed */
    snprintf(buf, sizeof(buf),
             "issuer = https://c.example\nkey_file = %s/ec256.pub\nallowed_subjects = *\n", dir);
    write_text("c-outside.conf", buf, 0644);
    ok(symlink(P("c-outside.conf"), P("pol/l.conf")) == 0, "made pol/l.conf, a symbolic link");
    t = iss_token(k_ec256, "ES256", "https://c.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "a symbolic link named *.conf: failed policy");
    ok(log_has("l.conf: is a symbolic link (refused)"), "... logged (%s)", logbuf);
    free(t);
    unlink(P("pol/l.conf"));
    unlink(P("c-outside.conf"));

    /* two files with one issuer: both fail for it, the others still work */
    snprintf(buf, sizeof(buf),
             "issuer = https://a.example\nkey_file = %s/ec256.pub\nallowed_subjects = *\n", dir);
    policy("a2.conf", buf, 0644);
    t = iss_token(k_ec256, "ES256", "https://a.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "duplicate issuer: its tokens are unavailable");
    ok(log_has("both set issuer"), "... logged naming both files");
    free(t);
    t = iss_token(k_rsa, "RS256", "https://b.example", "bob", NULL);
    is_int(auth_dir(me, t), PAM_SUCCESS, "duplicate issuer: another issuer's token still accepted");
    free(t);
    unlink(P("pol/a2.conf"));
}

/* the directory itself must be safe */
static void test_policies_unsafe_dir(void)
{
    char *t;
    chmod(P("pol"), 0775);
    t = iss_token(k_ec256, "ES256", "https://a.example", "alice", NULL);
    is_int(auth_dir(me, t), PAM_AUTHINFO_UNAVAIL, "group-writable policy directory: unavailable");
    chmod(P("pol"), 0755);
    /* an empty directory is a config error */
    mkdir(P("empty"), 0755);
    {
        char stack[2048];
        snprintf(stack, sizeof(stack),
                 "auth [success=done ignore=ignore default=die] %s config=%s/empty\n"
                 "auth required %s ignored\n", so, dir, settok);
        is_int(auth_stack(stack, me, t, NULL), PAM_AUTHINFO_UNAVAIL,
               "a directory with no policy file: unavailable");
        ok(log_has("no policy file"), "... logged as 'no policy file'");
    }
    free(t);
}

static void test_policies(void)
{
    test_policies_two_issuers();
    test_policies_ignored_and_broken();
    test_policies_failed_files();
    test_policies_unsafe_dir();
}

/* Scoped tokens: %h and %s (contract "Scoped tokens"). */
static void test_scopes(void)
{
    char host[256], extra[1024], c[512];
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    char *t;

    conf("audience = ssh://%h");
    snprintf(c, sizeof(c), "\"aud\":\"ssh://%s\"", host);
    t = es256(me, 300, c);
    is_int(auth(me, t), PAM_SUCCESS, "audience = ssh://%%h: token for this host accepted");
    free(t);
    t = es256(me, 300, "\"aud\":\"ssh://elsewhere.example\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "audience = ssh://%%h: token for another host refused");
    snprintf(extra, sizeof(extra), "wrong audience: expected ssh://%s, got ssh://elsewhere.example", host);
    ok(log_has(extra), "... the log shows expected and actual audience");
    free(t);

    conf("require_claim = svc %s");
    t = es256(me, 300, "\"svc\":\"svc\"");
    is_int(auth(me, t), PAM_SUCCESS, "require_claim svc %%s: token for this service accepted");
    free(t);
    t = es256(me, 300, "\"svc\":\"sudo\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "require_claim svc %%s: token for sudo refused under svc");
    free(t);
    conf("require_claim = svc 100%%-%s");
    t = es256(me, 300, "\"svc\":\"100%-svc\"");
    is_int(auth(me, t), PAM_SUCCESS, "%%%% is a percent sign");
    free(t);
    t = es256(me, 300, NULL);
    conf("audience = ssh://%x");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "audience with %%x: config error");
    ok(log_has("unknown % sequence"), "... logged as an unknown %% sequence");
    conf("require_claim = svc 100%");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "require_claim ending in a lone %%: config error");
    conf("issuer = https://x.example/%x");
    is_int(auth(me, t), PAM_AUTH_ERR, "issuer is not scoped: %%x is literal there");
    free(t);
}

/* Claims in the PAM environment (contract "Claims in the PAM environment"). */
static void test_export(void)
{
    char big[1200], c[2048];
    memset(big, 'x', 1025);
    big[1025] = '\0';
    conf("export_claims = sub email n adm a-b.c grp big ctl missing f");
    snprintf(c, sizeof(c),
             "\"email\":\"me@example.com\",\"n\":42,\"adm\":true,\"a-b.c\":\"dash\","
             "\"grp\":[\"a\",\"b\"],\"big\":\"%s\",\"ctl\":\"a\\u001bb\",\"f\":1.5", big);
    char *t = es256(me, 300, c);
    is_int(auth(me, t), PAM_SUCCESS, "export_claims: accepted");
    char want[512];
    snprintf(want, sizeof(want), "PAM_JWT_SUB=%s\n", me);
    ok(strstr(envbuf, want) != NULL, "export: PAM_JWT_SUB set");
    ok(strstr(envbuf, "PAM_JWT_EMAIL=me@example.com\n") != NULL, "export: string claim");
    ok(strstr(envbuf, "PAM_JWT_N=42\n") != NULL, "export: integer claim");
    ok(strstr(envbuf, "PAM_JWT_ADM=true\n") != NULL, "export: boolean claim");
    ok(strstr(envbuf, "PAM_JWT_A_B_C=dash\n") != NULL, "export: name upper-cased, '-' and '.' made '_'");
    ok(strstr(envbuf, "PAM_JWT_GRP") == NULL, "export: an array is not exported");
    ok(strstr(envbuf, "PAM_JWT_F=") == NULL, "export: a fraction is not exported");
    ok(strstr(envbuf, "PAM_JWT_BIG") == NULL, "export: a value over 1024 bytes is not exported");
    ok(log_has("claim big not exported: value longer than 1024 bytes"), "... with a log line");
    ok(strstr(envbuf, "PAM_JWT_CTL") == NULL, "export: a value with a control character is not");
    ok(log_has("claim ctl not exported"), "... with a log line");
    ok(strstr(envbuf, "PAM_JWT_MISSING") == NULL, "export: a missing claim is skipped");
    free(t);
    memset(big, 'y', 1024);
    big[1024] = '\0';
    snprintf(c, sizeof(c), "\"big\":\"%s\"", big);
    t = es256(me, 300, c);
    is_int(auth(me, t), PAM_SUCCESS, "export: 1024-byte value: accepted");
    ok(strstr(envbuf, "PAM_JWT_BIG=yyyy") != NULL, "export: a 1024-byte value is exported");
    free(t);
    t = es256(me, -300, "\"email\":\"me@example.com\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "export: an expired token is refused");
    ok(strstr(envbuf, "PAM_JWT_") == NULL, "export: nothing exported on refusal");
    free(t);
    /* bidirectional controls: a value that reads other than it is */
    conf("export_claims = b1 b2 b3 b4 b5 b6 ok");
    t = es256(me, 300, "\"b1\":\"a\u202eb\",\"b2\":\"a\u2066b\",\"b3\":\"a\u200fb\","
                       "\"b4\":\"\u061c\",\"b5\":\"a\u202ab\",\"b6\":\"ab\u2069\","
                       "\"ok\":\"a\u2065\u202f\u200d\u061bb\"");
    is_int(auth(me, t), PAM_SUCCESS, "export: bidi controls: accepted");
    ok(strstr(envbuf, "PAM_JWT_B") == NULL, "export: values with bidi controls are not exported");
    ok(log_has("claim b1 not exported: value holds a bidirectional control character") &&
           log_has("claim b4 not exported") && log_has("claim b6 not exported"),
       "... each with a log line");
    ok(strstr(envbuf, "PAM_JWT_OK=a") != NULL, "export: neighbours of the bidi controls are exported");
    free(t);
    conf("export_claims = sub sub");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "export_claims naming a claim twice: config error");
    free(t);
    /* names that would set one variable: a config error naming both */
    t = es256(me, 300, NULL);
    const char *coll[][2] = {{"a-b a_b", "a-b and a_b"}, {"sub Sub", "sub and Sub"},
                             {"x.y z x:y", "x.y and x:y"}};
    for (size_t i = 0; i < 3; i++) {
        char line[200];
        snprintf(line, sizeof(line), "export_claims = %s", coll[i][0]);
        conf(line);
        is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "export_claims = %s: config error", coll[i][0]);
        snprintf(line, sizeof(line), "%s would both be exported as the same PAM_JWT_ variable",
                 coll[i][1]);
        ok(log_has(line), "... naming both (%s)", coll[i][1]);
    }
    conf("export_claims = a-b a_bc ab");
    is_int(auth(me, t), PAM_SUCCESS, "export_claims: distinct variables are fine");
    free(t);
}

/* One handle, two attempts: an earlier module (here the application) put
 * PAM_JWT_EMAIL and PAM_JWT_OTHER in the environment; pam_jwt clears the
 * names its export_claims lists at every attempt, accepted or not. */
static void test_export_clears(void)
{
    char stack[4096];
    pam_handle_t *h = NULL;
    struct pam_conv cv = {conv, NULL};
    conf("export_claims = sub email");
    snprintf(stack, sizeof(stack), "auth required %s config=%s/pam_jwt.conf\n", so, dir);
    write_text(service, stack, 0644);
    char *good = es256(me, 300, NULL), *bad = es256(me, -300, "\"email\":\"x@example.com\"");
    const char *toks[] = {good, bad, "hunter2"};
    const char *what[] = {"accepted without an email claim", "refused", "ignored (a password)"};
    int want[] = {PAM_SUCCESS, PAM_AUTH_ERR, PAM_AUTH_ERR};
    for (size_t i = 0; i < 3; i++) {
        pam_start_confdir(service, me, &cv, dir, &h);
        pam_putenv(h, "PAM_JWT_EMAIL=forged@evil.example");
        pam_putenv(h, "PAM_JWT_SUB=someone-else");
        pam_putenv(h, "PAM_JWT_OTHER=kept");
        answer = toks[i];
        int rc = pam_authenticate(h, 0);
        /* an all-ignore stack fails with a code of libpam's choosing */
        ok(want[i] == PAM_SUCCESS ? rc == PAM_SUCCESS : rc != PAM_SUCCESS,
           "export clears: %s (rc %d)", what[i], rc);
        ok(pam_getenv(h, "PAM_JWT_EMAIL") == NULL,
           "... an earlier PAM_JWT_EMAIL is removed (got %s)",
           pam_getenv(h, "PAM_JWT_EMAIL") ? pam_getenv(h, "PAM_JWT_EMAIL") : "(none)");
        const char *sub = pam_getenv(h, "PAM_JWT_SUB");
        if (i == 0)
            ok(sub != NULL && strcmp(sub, me) == 0, "... PAM_JWT_SUB is the token's (%s)",
               sub ? sub : "(none)");
        else
            ok(sub == NULL, "... an earlier PAM_JWT_SUB is removed (got %s)", sub ? sub : "(none)");
        ok(pam_getenv(h, "PAM_JWT_OTHER") != NULL, "... a name not in export_claims is left alone");
        pam_end(h, PAM_SUCCESS);
    }
    free(good);
    free(bad);
    conf(NULL);
}

/* Long tokens: chunked answers (contract "Long tokens"). */
static char *chunk_first(const char *tok, size_t len, size_t piece)
{
    char *b = malloc(64 + piece);
    snprintf(b, 64 + piece, "pamjwt-chunked:%zu:%.*s", len, (int)piece, tok);
    return b;
}

/* Run one auth whose answers are tok cut into pieces of the given size. */
static int auth_chunked(const char *args, const char *user, const char *tok, size_t piece)
{
    size_t len = strlen(tok), n = 0;
    char *owned[80];
    const char *ans[80];
    owned[n] = chunk_first(tok, len, piece);
    ans[n] = owned[n];
    n++;
    for (size_t o = piece; o < len && n < 80; o += piece, n++) {
        owned[n] = strndup(tok + o, piece);
        ans[n] = owned[n];
    }
    script = ans;
    script_n = n;
    int rc = auth_args(args, user, NULL, NULL);
    script = NULL;
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    return rc;
}

static int auth_script(const char *const *ans, size_t n)
{
    script = ans;
    script_n = n;
    int rc = auth_args(NULL, me, NULL, NULL);
    script = NULL;
    return rc;
}

static void test_chunked_pieces(const char *t, size_t len)
{
    char want[128];
    static char line_whole[sizeof(logbuf)], line_chunked[sizeof(logbuf)];
    is_int(auth(me, t), PAM_SUCCESS, "chunked: the token typed whole is accepted");
    snprintf(line_whole, sizeof(line_whole), "%s", logbuf);
    is_int(auth_chunked(NULL, me, t, 100), PAM_SUCCESS, "chunked: the same token in 100-byte pieces is accepted");
    snprintf(line_chunked, sizeof(line_chunked), "%s", logbuf);
    ok(strcmp(line_chunked, line_whole) == 0, "chunked: the same log line as typed whole (%s)", line_chunked);
    snprintf(want, sizeof(want), "Token: \npamjwt-continue 100/%zu: \npamjwt-continue 200/%zu: \n", len, len);
    ok(strncmp(prompts, want, strlen(want)) == 0, "chunked: prompts are 'pamjwt-continue N/LEN: ' (%s)", prompts);
    is_int(auth_chunked(NULL, me, t, len), PAM_SUCCESS, "chunked: the whole token in the first answer");
    is_int(auth_chunked(NULL, me, t, 1), PAM_AUTH_ERR, "chunked: more than 64 continuation prompts refused");
    ok(log_has("more than 64 continuation prompts"), "... logged");
    {
        /* exactly 64 continuation prompts is fine */
        const char *ans[65];
        char *first = chunk_first(t, len, len - 64), ones[64][2];
        ans[0] = first;
        for (int i = 0; i < 64; i++) {
            ones[i][0] = t[len - 64 + (size_t)i];
            ones[i][1] = '\0';
            ans[i + 1] = ones[i];
        }
        is_int(auth_script(ans, 65), PAM_SUCCESS, "chunked: exactly 64 continuation prompts accepted");
        is_int(conv_calls, 65, "... after 65 questions");
        free(first);
    }
}

static void test_chunked_malformed(const char *t, size_t len)
{
    {
        char *first = chunk_first(t, len, 50);
        const char *empty[] = {first, ""};
        is_int(auth_script(empty, 2), PAM_AUTH_ERR, "chunked: an empty piece is refused");
        ok(log_has("empty piece"), "... logged as an empty piece");
        char *rest = strdup(t + 50);
        char *over = malloc(strlen(rest) + 2);
        sprintf(over, "%sX", rest);
        const char *overrun[] = {first, over};
        is_int(auth_script(overrun, 2), PAM_AUTH_ERR, "chunked: a piece past LEN is refused");
        ok(log_has("past the announced length"), "... logged as an overrun");
        const char *fails[] = {first, NULL};
        is_int(auth_script(fails, 2), PAM_CONV_ERR, "chunked: conversation failure mid-way: PAM_CONV_ERR");
        free(rest);
        free(over);
        free(first);
        char *f0 = malloc(len + 64);
        snprintf(f0, len + 64, "pamjwt-chunked:%zu:", len);
        const char *e0[] = {f0, t};
        is_int(auth_script(e0, 2), PAM_AUTH_ERR, "chunked: an empty first piece is refused");
        free(f0);
    }
    const char *bad[] = {"pamjwt-chunked:", "pamjwt-chunked:abc:x", "pamjwt-chunked:0:x",
                         "pamjwt-chunked:16385:x", "pamjwt-chunked:012:x", "pamjwt-chunked:5",
                         "pamjwt-chunked:-5:x", "pamjwt-chunked: 5:x", "pamjwt-chunked:1000000:x",
                         "pamjwt-chunked:3:abcd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *a1[] = {bad[i], "more"};
        is_int(auth_script(a1, 2), PAM_AUTH_ERR, "chunked: malformed first answer '%s' refused", bad[i]);
    }
    {
        /* pieces are not trimmed: a space inside makes it no JWT */
        char *first = chunk_first(t, len + 1, 60);
        char *rest = malloc(len + 8);
        sprintf(rest, " %s", t + 60);
        const char *sp[] = {first, rest};
        is_int(auth_script(sp, 2), PAM_IGNORE, "chunked: white space inside a piece is kept (not a JWT: ignore)");
        free(first);
        free(rest);
    }
}

static void test_chunked_one_time_and_first_pass(const char *t, size_t len)
{
    /* one-time tokens: the same whether typed whole or in pieces */
    mkdir(P("replay-chunk"), 0700);
    {
        char extra[512];
        snprintf(extra, sizeof(extra), "replay_cache = %s/replay-chunk", dir);
        conf(extra);
    }
    char *once = es256(me, 300, "\"jti\":\"chunk-once-1\"");
    is_int(auth_chunked(NULL, me, once, 90), PAM_SUCCESS, "chunked one-time token: first use accepted");
    is_int(auth(me, once), PAM_AUTH_ERR, "... typed whole afterwards: already used");
    is_int(auth_chunked(NULL, me, once, 90), PAM_AUTH_ERR, "... in pieces again: already used");
    free(once);
    conf(NULL);
    /* use_first_pass allows no prompts */
    {
        char *first = chunk_first(t, len, 100);
        char stack[4096];
        snprintf(stack, sizeof(stack),
                 "auth optional %s set=%s\n"
                 "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf use_first_pass\n",
                 settok, first, so, dir);
        is_int(auth_stack(stack, me, NULL, NULL), PAM_AUTH_ERR, "chunked PAM_AUTHTOK under use_first_pass: refused");
        free(first);
    }
}

/* under sudo, end of input after a short answer on the same handle (sudo
 * asks again after a refusal): no hint about long answers */
static void test_chunked_conversation_failure(void)
{
    {
        char stack[4096];
        pam_handle_t *h = NULL;
        struct pam_conv cv = {conv, NULL};
        service = "sudo";
        snprintf(stack, sizeof(stack), "auth required %s config=%s/pam_jwt.conf\n", so, dir);
        write_text(service, stack, 0644);
        pam_start_confdir(service, me, &cv, dir, &h);
        answer = "short-wrong";
        is_int(pam_authenticate(h, 0) != PAM_SUCCESS, 1, "sudo: a short wrong answer fails");
        conv_fail = 1;
        loglen = 0;
        logbuf[0] = '\0';
        is_int(pam_authenticate(h, 0), PAM_CONV_ERR, "sudo: then end of input: PAM_CONV_ERR");
        conv_fail = 0;
        ok(log_has("conversation failed at the token prompt"), "... logged");
        ok(!log_has("512 bytes"), "... without the hint about long answers");
        pam_end(h, PAM_SUCCESS);
        service = "svc";
    }
    /* conversation failure under sudo: one line, with the hint */
    service = "sudo";
    conv_fail = 1;
    is_int(auth(me, NULL), PAM_CONV_ERR, "conversation failure: PAM_CONV_ERR");
    conv_fail = 0;
    service = "svc";
    ok(log_has("sudo refuses answers of 512 bytes or more"), "... under sudo, the log has the hint");
    {
        int lines = 0;
        for (const char *p = logbuf; (p = strstr(p, "conversation failed")) != NULL; p++)
            lines++;
        is_int(lines, 1, "... logged once");
    }
}

static void test_chunked(void)
{
    conf(NULL);
    char *t = es256(me, 300, "\"pad\":\"" "0123456789012345678901234567890123456789" "\"");
    size_t len = strlen(t);
    test_chunked_pieces(t, len);
    test_chunked_malformed(t, len);
    test_chunked_one_time_and_first_pass(t, len);
    test_chunked_conversation_failure();
    free(t);
}

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
        for (size_t i = 0; env && env[i]; i++)
            dprintf(fds[1], "%s\n", env[i]);
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

static void test_groups(void)
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

/* ---------------------------------------------------------- proof of possession */
/* RFC 7638 thumbprint, computed here independently of the module: the
 * required members dumped by jansson with sorted keys, no white space. */
static char *thumbprint(EVP_PKEY *k)
{
    char *jwk = tl_jwk(k, NULL, NULL, NULL);
    json_t *j = json_loads(jwk, 0, NULL), *req = json_object();
    const char *kty = json_string_value(json_object_get(j, "kty"));
    const char *names[] = {"kty", strcmp(kty, "RSA") == 0 ? "n" : "crv",
                           strcmp(kty, "RSA") == 0 ? "e" : "x", strcmp(kty, "EC") == 0 ? "y" : NULL};
    for (int i = 0; i < 4 && names[i]; i++)
        json_object_set(req, names[i], json_object_get(j, names[i]));
    char *canon = json_dumps(req, JSON_SORT_KEYS | JSON_COMPACT);
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_Digest(canon, strlen(canon), md, &ml, EVP_sha256(), NULL);
    free(canon);
    free(jwk);
    json_decref(req);
    json_decref(j);
    return pj_b64url_encode(md, 32);
}

/* What the current proof test signs with and claims. */
static struct {
    EVP_PKEY *key;            /* the holder key that signs */
    EVP_PKEY *jwk_key;        /* the key put in the header's jwk */
    const char *alg, *typ;
    const char *token;        /* for ath */
    long iat_off;
    const char *nonce_override;
    const char *jwk_extra;    /* appended inside the jwk object */
    int chunk;                /* answer in pieces of this size (0: whole) */
    char *replay;             /* a proof to send instead of a fresh one */
    bool next_second;         /* sign in the second after the prompt came */
    char *last;               /* the last proof made */
    const char *aud;          /* the aud member's JSON; NULL: "ssh://HOST"; "" leaves it out */
} pop;
static char pop_host[256];    /* gethostname, as the module sees it */

static char *make_proof(const char *nonce)
{
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_Digest(pop.token, strlen(pop.token), md, &ml, EVP_sha256(), NULL);
    char *ath = pj_b64url_encode(md, 32);
    char *jwk = tl_jwk(pop.jwk_key, NULL, NULL, NULL);
    if (pop.jwk_extra) {
        size_t l = strlen(jwk);
        char *j2 = malloc(l + strlen(pop.jwk_extra) + 2);
        sprintf(j2, "%.*s,%s}", (int)(l - 1), jwk, pop.jwk_extra);
        free(jwk);
        jwk = j2;
    }
    char hdr[4096], pl[1024], aud[600];
    snprintf(hdr, sizeof(hdr), "{\"typ\":\"%s\",\"alg\":\"%s\",\"jwk\":%s}", pop.typ, pop.alg, jwk);
    if (pop.aud == NULL)
        snprintf(aud, sizeof(aud), ",\"aud\":\"ssh://%s\"", pop_host);
    else
        snprintf(aud, sizeof(aud), "%s%s", pop.aud[0] ? ",\"aud\":" : "", pop.aud);
    if (pop.next_second) { /* a slow client: the clock reaches the next second first */
        long t0 = now;
        while (now == t0)
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    snprintf(pl, sizeof(pl), "{\"nonce\":\"%s\",\"iat\":%ld,\"ath\":\"%s\"%s}",
             pop.nonce_override ? pop.nonce_override : nonce, now + pop.iat_off, ath, aud);
    char *proof;
    if (strcmp(pop.alg, "none") == 0)
        proof = tl_unsigned(hdr, pl, "");
    else if (strncmp(pop.alg, "HS", 2) == 0)
        proof = tl_sign_raw(hdr, pl, pop.alg, NULL, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32);
    else
        proof = tl_sign_raw(hdr, pl, pop.alg, pop.key, NULL, 0);
    free(ath);
    free(jwk);
    free(pop.last);
    pop.last = strdup(proof);
    return proof;
}

static char *pop_whole(const char *nonce)
{
    if (pop.replay)
        return strdup(pop.replay);
    return make_proof(nonce);
}

/* The proof in pieces of at most 400 bytes, as pamjwt askpass sends it. */
static char *pop_chunked(const char *nonce)
{
    char *proof = make_proof(nonce), *first = malloc(512);
    size_t len = strlen(proof);
    int h = snprintf(first, 512, "pamjwt-chunked:%zu:", len);
    size_t take = 400 - (size_t)h < len ? 400 - (size_t)h : len;
    memcpy(first + h, proof, take);
    first[(size_t)h + take] = '\0';
    free(pending);
    pending = proof;
    pending_off = take;
    if (strlen(first) > max_answer)
        max_answer = strlen(first);
    return first;
}

static int pop_auth(const char *tok)
{
    pop.token = tok;
    pop_answer = pop_whole;
    int rc = auth(me, tok);
    pop_answer = NULL;
    return rc;
}

static void pop_reset(EVP_PKEY *k, const char *alg)
{
    free(pop.last);
    free(pop.replay);
    memset(&pop, 0, sizeof(pop));
    pop.key = pop.jwk_key = k;
    pop.alg = alg;
    pop.typ = "pamjwt-pop+jwt";
}

static char *bound_token(EVP_PKEY *holder, const char *extra)
{
    char *jkt = thumbprint(holder), c[512];
    snprintf(c, sizeof(c), "\"cnf\":{\"jkt\":\"%s\"}%s%s", jkt, extra ? "," : "", extra ? extra : "");
    free(jkt);
    return es256(me, 300, c);
}

static void test_pop_holder_keys(EVP_PKEY *hec, EVP_PKEY *hed, EVP_PKEY *hrsa)
{
    conf("require_pop = yes");
    char *t = bound_token(hec, NULL);
    gethostname(pop_host, sizeof(pop_host));
    pop_host[sizeof(pop_host) - 1] = '\0';

    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: ES256 holder key proves possession: accepted");
    {
        char *jkt = thumbprint(hec), want[128];
        snprintf(want, sizeof(want), " pop=jkt:%s", jkt);
        ok(log_has("accepted token for user") && log_has(want),
           "pop: the accept line says a proof by the holder key was checked (%s)", logbuf);
        free(jkt);
    }
    ok(strncmp(last_prompt, "pamjwt-pop ", 11) == 0 && strlen(last_prompt) == 11 + 43 + 2,
       "pop: prompt is 'pamjwt-pop NONCE: ' with a 43-character nonce (%s)", last_prompt);
    {
        char first[64];
        snprintf(first, sizeof(first), "%s", last_prompt);
        pop_reset(hec, "ES256");
        pop_auth(t);
        ok(strcmp(first, last_prompt) != 0, "pop: a fresh nonce at every login");
    }
    free(t);
    t = bound_token(hed, NULL);
    pop_reset(hed, "EdDSA");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: EdDSA holder key: accepted");
    free(t);
    t = bound_token(hrsa, NULL);
    pop_reset(hrsa, "RS256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: RS256 holder key: accepted");
    free(t);
}

static void test_pop_bad_proofs(EVP_PKEY *hec, EVP_PKEY *other_key)
{
    char *t;
    t = bound_token(hec, NULL);
    pop_reset(hec, "ES256");
    pop_answer = NULL;
    script = (const char *const[]){NULL};
    script_n = 0;
    {
        /* the token is typed, then no answer to the proof prompt */
        const char *ans[] = {t, NULL};
        script = ans;
        script_n = 2;
        is_int(auth_args(NULL, me, NULL, NULL), PAM_CONV_ERR,
               "pop: conversation fails at the proof prompt (login abandoned): PAM_CONV_ERR");
        script = NULL;
        ok(log_has("proof of possession: no answer"), "... logged (%s)", logbuf);
        int lines = 0;
        for (const char *p = logbuf; (p = strstr(p, "pam_jwt(")) != NULL; p++)
            lines++;
        is_int(lines, 1, "... in one line");
    }
    pop_reset(hec, "ES256");
    pop.replay = strdup(" ");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: an empty answer to the proof prompt (no proof given): PAM_AUTH_ERR");
    ok(log_has("proof of possession failed: no proof (an empty answer)"),
       "... logged as no proof (%s)", logbuf);
    pop_reset(hec, "ES256");
    pop.nonce_override = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: wrong nonce: refused");
    ok(log_has("proof of possession failed: nonce does not match"), "... logged");
    pop_reset(hec, "ES256");
    pop.iat_off = -120;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: stale iat (2 minutes, leeway 30): refused");
    ok(log_has("iat is not within leeway"), "... logged");
    pop_reset(hec, "ES256");
    pop.iat_off = 25;
    is_int(pop_auth(t), PAM_SUCCESS, "pop: iat 25 s ahead (within leeway): accepted");
    pop_reset(hec, "ES256");
    {
        char *t2 = bound_token(hec, "\"x\":1");
        pop.token = t2; /* ath of another token */
        pop_answer = make_proof;
        int rc = auth(me, t);
        pop_answer = NULL;
        is_int(rc, PAM_AUTH_ERR, "pop: ath of another token: refused");
        ok(log_has("ath is not the token's hash"), "... logged");
        free(t2);
    }
    pop_reset(other_key, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: another key's proof (its own jwk): refused");
    ok(log_has("thumbprint does not match"), "... logged as a thumbprint mismatch");
    pop_reset(other_key, "ES256");
    pop.jwk_key = hec; /* the right jwk, signed by another key */
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: right jwk, signed by another key: refused");
    ok(log_has("signature does not verify"), "... logged");
    pop_reset(hec, "ES256");
    pop.jwk_extra = "\"d\":\"AAAA\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: a jwk with d: refused");
    ok(log_has("private key members"), "... logged");
    pop_reset(hec, "HS256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: an HMAC proof: refused");
    ok(log_has("HMAC"), "... logged");
    pop_reset(hec, "none");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: a none proof: refused");
    pop_reset(hec, "ES256");
    pop.typ = "dpop+jwt";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: typ dpop+jwt: refused");
    pop_reset(hec, "ES384");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: alg that does not fit the jwk: refused");
    /* a proof replayed from an earlier login */
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: a login with a good proof");
    pop.replay = strdup(pop.last);
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: the same proof replayed at the next login: refused");
    ok(log_has("nonce does not match"), "... its nonce is stale");
    free(t);
}

static void test_pop_settings_one_time_pieces(EVP_PKEY *hec, EVP_PKEY *other_key, EVP_PKEY *hrsa)
{
    char *t;
    /* a token without cnf.jkt */
    t = es256(me, 300, NULL);
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: token without cnf.jkt under require_pop = yes: refused");
    ok(log_has("has no cnf.jkt"), "... logged");
    is_int(conv_calls, 1, "... before the proof prompt");
    free(t);
    /* a bound token is never a bearer token: require_pop = no still asks */
    conf("require_pop = no");
    t = bound_token(hec, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR,
           "pop: require_pop = no: a bound token without a proof (empty answer): refused");
    is_int(conv_calls, 2, "... after the proof prompt");
    ok(strncmp(last_prompt, "pamjwt-pop ", 11) == 0, "... which was 'pamjwt-pop NONCE: ' (%s)",
       last_prompt);
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop: require_pop = no: a bound token with its proof: accepted");
    pop_reset(other_key, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: require_pop = no: another key's proof: refused");
    conf("");
    is_int(auth(me, t), PAM_AUTH_ERR, "pop: require_pop unset (default): a bound token without a proof: refused");
    free(t);
    /* a cnf this module cannot check is no bearer token either */
    {
        const char *cnfs[] = {"\"cnf\":\"x\"", "\"cnf\":null", "\"cnf\":{\"jkt\":5}",
                              "\"cnf\":{\"jkt\":\"short\"}",
                              "\"cnf\":{\"jkt\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\"}",
                              "\"cnf\":{\"x5t#S256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                              "\"cnf\":{}", "\"cnf\":[]"};
        for (size_t i = 0; i < sizeof(cnfs) / sizeof(cnfs[0]); i++) {
            t = es256(me, 300, cnfs[i]);
            pop_reset(hec, "ES256");
            is_int(pop_auth(t), PAM_AUTH_ERR, "pop: require_pop unset, %s: refused", cnfs[i]);
            ok(log_has("bound (cnf) by a method this module cannot check") && conv_calls == 1,
               "... as bound by a method it cannot check, before any proof prompt (%s)", logbuf);
            free(t);
        }
    }
    t = bound_token(hec, NULL);
    conf("require_pop = maybe");
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "require_pop = maybe: config error");
    /* a one-time token is not used up by a failed proof */
    mkdir(P("replay-pop"), 0700);
    {
        char extra[512];
        snprintf(extra, sizeof(extra), "require_pop = yes\nreplay_cache = %s/replay-pop", dir);
        conf(extra);
    }
    free(t);
    t = bound_token(hec, "\"jti\":\"pop-once\"");
    pop_reset(other_key, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop + one-time: a failed proof is refused");
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "... and did not use the token up");
    is_int(pop_auth(t), PAM_AUTH_ERR, "... which a good proof then did");
    free(t);
    /* an RS256 proof in pieces under sudo's limit */
    conf("require_pop = yes");
    t = bound_token(hrsa, NULL);
    pop_reset(hrsa, "RS256");
    pop.token = t;
    pop_answer = pop_chunked;
    max_answer = 0;
    is_int(auth(me, t), PAM_SUCCESS, "pop: an RS256 proof sent in pieces: accepted");
    pop_answer = NULL;
    ok(max_answer > 0 && max_answer < 512, "... every proof answer under 512 bytes (longest %zu)", max_answer);
    ok(strlen(pop.last) > 511, "... for a proof of %zu bytes", strlen(pop.last));
    free(t);
}

/* iat is compared with the time the answer arrived, in whole seconds;
 * pop_audience takes any scheme and compares hosts as OpenSSH names them. */
static void test_pop_time_and_audience(EVP_PKEY *hec)
{
    char *t = bound_token(hec, NULL);
    conf("leeway = 0\nrequire_pop = yes");
    pop_reset(hec, "ES256");
    pop.next_second = true;
    is_int(pop_auth(t), PAM_SUCCESS,
           "pop: leeway = 0, a proof signed in the second after the prompt: accepted (%s)", logbuf);
    pop_reset(hec, "ES256");
    pop.iat_off = -2;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: leeway = 0, iat 2 s before the answer: refused");
    ok(log_has("iat is not within leeway of the time the proof arrived"), "... logged");
    conf("pop_audience = host://x");
    pop_reset(hec, "ES256");
    pop.aud = "\"host://x\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop: pop_audience = host://x (another scheme): accepted");
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR, "... and then ssh://HOST is not");
    ok(log_has("this host accepts host://x"), "... logged (%s)", logbuf);
    conf("pop_audience = ssh://host.example");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://HOST.EXAMPLE.\"";
    is_int(pop_auth(t), PAM_SUCCESS,
           "pop: a proof for ssh://HOST.EXAMPLE. where pop_audience is ssh://host.example: accepted");
    conf("pop_audience = SSH://Host.Example.");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://host.example\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop: and the other way round: accepted");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://host.example.evil\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop: ssh://host.example.evil: refused");
    free(t);
}

/* use_first_pass allows no prompt (contract, module arguments), and a
 * bound token is never a bearer token: a bound PAM_AUTHTOK is refused
 * before any proof prompt, not proven through a conversation the stack
 * was told the module would not use. */
static void test_pop_use_first_pass(EVP_PKEY *hec)
{
    char stack[4096], *t = bound_token(hec, NULL);
    conf("");
    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\n"
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf use_first_pass\n",
             settok, t, so, dir);
    pop_reset(hec, "ES256");
    pop.token = t;
    pop_answer = pop_whole;
    is_int(auth_stack(stack, me, NULL, NULL), PAM_AUTH_ERR,
           "pop + use_first_pass: a bound PAM_AUTHTOK (good proof on offer): refused (%s)", logbuf);
    pop_answer = NULL;
    is_int(conv_calls, 0, "... without a proof prompt: use_first_pass never prompts (prompts: %s)",
           last_prompt);
    ok(log_has("use_first_pass"), "... logged, naming use_first_pass (%s)", logbuf);
    /* try_first_pass: prompts are allowed, the proof is asked for */
    snprintf(stack, sizeof(stack),
             "auth optional %s set=%s\n"
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf try_first_pass\n",
             settok, t, so, dir);
    pop_reset(hec, "ES256");
    pop.token = t;
    pop_answer = pop_whole;
    is_int(auth_stack(stack, me, NULL, NULL), PAM_SUCCESS,
           "pop + try_first_pass: a bound PAM_AUTHTOK with its proof: accepted");
    pop_answer = NULL;
    free(t);
}

static void test_pop(void)
{
    EVP_PKEY *hec = tl_keygen("p256"), *hed = tl_keygen("ed25519"), *hrsa = tl_keygen("rsa"),
             *other_key = tl_keygen("p256");
    test_pop_holder_keys(hec, hed, hrsa);
    test_pop_bad_proofs(hec, other_key);
    test_pop_settings_one_time_pieces(hec, other_key, hrsa);
    test_pop_time_and_audience(hec);
    test_pop_use_first_pass(hec);
    free(pop.last);
    free(pop.replay);
    memset(&pop, 0, sizeof(pop));
    EVP_PKEY_free(hec);
    EVP_PKEY_free(hed);
    EVP_PKEY_free(hrsa);
    EVP_PKEY_free(other_key);
}

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

static void test_device(void)
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

static void test_pop_audience_default(EVP_PKEY *hec, const char *t)
{
    char aud[600], want[1024];
    /* the default: ssh://%h local://%h */
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_SUCCESS, "pop aud: default, ssh://HOST: accepted");
    snprintf(aud, sizeof(aud), "\"local://%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop aud: default, local://HOST: accepted");
    /* the relay: a server the user logs into forwards this host's nonce
     * to the user's client, which signs it for that server */
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://evil.example\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a proof for another host (relayed nonce): refused");
    snprintf(want, sizeof(want),
             "proof of possession failed: proof is for ssh://evil.example, this host accepts "
             "ssh://%s local://%s", pop_host, pop_host);
    ok(log_has(want), "... logged: %s (%s)", want, logbuf);
    ok(!log_has(pop.last), "... the proof is not logged");
    snprintf(aud, sizeof(aud), "\"https://%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: the host under another scheme: refused");
    snprintf(aud, sizeof(aud), "\"ssh://%s.\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop aud: ssh://HOST. (a trailing dot, the same DNS name): accepted");
    snprintf(aud, sizeof(aud), "\"ssh://%s.x\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: ssh://HOST.x (a prefix match): refused");
    snprintf(aud, sizeof(aud), "\"ssh://%s\\u0000x\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: ssh://HOST\\0x (a NUL inside): refused");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://x\\u001b[2J\\ny\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: control characters: refused");
    ok(log_has("proof is for ssh://x\\x1b[2J\\x0ay,") && strchr(logbuf, 0x1b) == NULL,
       "... logged escaped (%s)", logbuf);
    {
        char big[700];
        memset(big, 'a', sizeof(big));
        snprintf(big, sizeof(big), "\"ssh://%0500d\"", 7);
        pop_reset(hec, "ES256");
        pop.aud = big;
        is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a 506-byte aud: refused");
        ok(log_has("proof is for ssh://0000") && log_has("..., this host accepts"),
           "... logged cut short (%s)", logbuf);
    }
    /* aud must be a string naming the target */
    pop_reset(hec, "ES256");
    pop.aud = "";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a proof without aud: refused");
    ok(log_has("proof of possession failed: proof has no aud"), "... logged (%s)", logbuf);
    pop_reset(hec, "ES256");
    pop.aud = "42";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: a numeric aud: refused");
    ok(log_has("proof of possession failed: proof's aud is not a string"), "... logged (%s)", logbuf);
    snprintf(aud, sizeof(aud), "[\"ssh://%s\"]", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: an array holding this host: refused");
    ok(log_has("aud is not a string"), "... logged");
    pop_reset(hec, "ES256");
    pop.aud = "null";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop aud: null: refused");
}

/* pop_audience: aliases, %h and %s (the service is "svc" here) */
static void test_pop_audience_setting(EVP_PKEY *hec, const char *t)
{
    char aud[600], want[1024];
    conf("require_pop = yes\n"
         "pop_audience = ssh://alias.example ssh://%h.lan local://%s-%h ssh://100%%");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://alias.example\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: an alias listed there: accepted");
    snprintf(aud, sizeof(aud), "\"ssh://%s.lan\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: ssh://%%h.lan expanded: accepted");
    snprintf(aud, sizeof(aud), "\"local://svc-%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: local://%%s-%%h expanded: accepted");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://100%\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience: %%%% is a percent sign");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://alias.example.evil\"";
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop_audience: a name it does not list: refused");
    snprintf(want, sizeof(want),
             "proof is for ssh://alias.example.evil, this host accepts ssh://alias.example "
             "ssh://%s.lan local://svc-%s ssh://100%%", pop_host, pop_host);
    ok(log_has(want), "... logged with the expanded list (%s)", logbuf);
    pop_reset(hec, "ES256");
    is_int(pop_auth(t), PAM_AUTH_ERR,
           "pop_audience set: the default ssh://HOST no longer accepted unless listed");
    snprintf(aud, sizeof(aud), "\"local://%%s-%s\"", pop_host);
    pop_reset(hec, "ES256");
    pop.aud = aud;
    is_int(pop_auth(t), PAM_AUTH_ERR, "pop_audience: the unexpanded value itself: refused");
}

/* config errors name the key and the line */
static void test_pop_audience_config_errors(EVP_PKEY *hec, const char *t)
{
    struct { const char *line, *log; } bad[] = {
        {"pop_audience = ssh://%x", "pop_audience: unknown % sequence"},
        {"pop_audience = ssh://h 100%", "pop_audience: "},
        {"pop_audience = ssh://h\x01x", "pop_audience: control character"},
        {"pop_audience = ssh://a\npop_audience = ssh://b", ":7: pop_audience: duplicate key (first set on line 6)"},
        {"pop_audience = ", "pop_audience: empty value"},
        {"pop_audience = myhost.example", "pop_audience: expected a target of the form SCHEME://HOST"},
        {"pop_audience = ssh://a ssh://a", "pop_audience: target listed twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char extra[256];
        snprintf(extra, sizeof(extra), "require_pop = yes\n%s", bad[i].line);
        conf(extra);
        pop_reset(hec, "ES256");
        is_int(pop_auth(t), PAM_AUTHINFO_UNAVAIL, "pop_audience config error %zu: unavailable", i);
        ok(log_has(bad[i].log) && log_has("pam_jwt.conf:"), "... logged with file, line and key: %s (%s)",
           bad[i].log, logbuf);
    }
    /* without require_pop, a bound token is proven all the same, for pop_audience */
    conf("pop_audience = ssh://alias.example");
    is_int(auth(me, t), PAM_AUTH_ERR, "pop_audience without require_pop: a bound token without a proof: refused");
    is_int(conv_calls, 2, "... after the proof prompt");
    pop_reset(hec, "ES256");
    pop.aud = "\"ssh://alias.example\"";
    is_int(pop_auth(t), PAM_SUCCESS, "pop_audience without require_pop: a proof for ssh://alias.example: accepted");
}

/* The proof's aud (contract "Proof of possession", the target): a proof
 * is good for the host the client named, so a server the user logs into
 * cannot relay another host's nonce and pass the proof on. */
static void test_pop_audience(void)
{
    EVP_PKEY *hec = tl_keygen("p256");
    char *t = bound_token(hec, NULL);
    gethostname(pop_host, sizeof(pop_host));
    pop_host[sizeof(pop_host) - 1] = '\0';
    conf("require_pop = yes");
    test_pop_audience_default(hec, t);
    test_pop_audience_setting(hec, t);
    test_pop_audience_config_errors(hec, t);
    free(t);
    free(pop.last);
    free(pop.replay);
    memset(&pop, 0, sizeof(pop));
    EVP_PKEY_free(hec);
}

static void setup(void)
{
    struct passwd *pw = getpwuid(geteuid());
    snprintf(me, sizeof(me), "%s", pw ? pw->pw_name : "root");
    const char *cands[] = {"nobody", "daemon", "bin", "root"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(cands[i], me) != 0 && getpwnam(cands[i])) {
            snprintf(other, sizeof(other), "%s", cands[i]);
            break;
        }
    dir = tl_tmpdir();
    k_ec256 = tl_keygen("p256");
    k_ec384 = tl_keygen("p384");
    k_ec521 = tl_keygen("p521");
    k_rsa = tl_keygen("rsa");
    k_rsa_other = tl_keygen("rsa");
    k_ec_other = tl_keygen("p256");
    k_ed = tl_keygen("ed25519");
    EVP_PKEY *small = tl_keygen("rsa1024");
    if (!dir || !k_ec256 || !k_ec384 || !k_ec521 || !k_rsa || !k_ed || !small) {
        printf("Bail out! setup failed\n");
        exit(1);
    }
    tl_write_pub(k_ec256, P("ec256.pub"));
    tl_write_priv(k_ec256, P("ec256.key"));
    tl_write_cert(k_ec256, P("ec256.crt"));
    tl_write_pub(k_ec384, P("ec384.pub"));
    tl_write_pub(k_ec521, P("ec521.pub"));
    tl_write_pub(k_rsa, P("rsa.pub"));
    tl_write_pub(k_ed, P("ed25519.pub"));
    tl_write_pub(small, P("rsa1024.pub"));
    EVP_PKEY_free(small);
}

/* ---------------------------------------------------------- what the user is told */
/* Each line of the contract's table ("What the person at the prompt is
 * told"), through the application's conversation as PAM_ERROR_MSG: one
 * line, the exact words, and none for a pass-on or with quiet. */
static void told_is(const char *want, const char *what)
{
    char w[600];
    snprintf(w, sizeof(w), "%s\n", want);
    ok(strcmp(told, w) == 0, "told: %s: '%s' (got '%s')", what, want, told);
}

static void test_told(void)
{
    char host[256], want[600], pl[1024], *t;
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';

    /* expired, not valid yet: the times in UTC, to the minute */
    conf(NULL);
    t = signed_claims(k_ec256, "ES256", "{\"sub\":\"x\",\"iat\":1699999000,\"exp\":1700000000}");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: expired -> PAM_AUTH_ERR");
    told_is("Token expired at 2023-11-14 22:13 UTC: get a new one.", "expired");
    ok(log_has("refused: token expired"), "told: ... and the log line as always");
    is_int(auth_args("quiet", me, t, NULL), PAM_AUTH_ERR, "told: quiet: still PAM_AUTH_ERR");
    ok(told[0] == '\0', "told: quiet: nothing is told (got '%s')", told);
    ok(log_has("refused: token expired"), "told: quiet: ... the log line is written as always");
    free(t);
    t = signed_claims(k_ec256, "ES256", "{\"sub\":\"x\",\"nbf\":4102444800,\"exp\":4102444900}");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: not valid yet -> PAM_AUTH_ERR");
    told_is("Token is not valid before 2100-01-01 00:00 UTC.", "not valid yet");
    free(t);

    /* audience: the token's (sanitized, first of an array) and the host's */
    conf("audience = ssh://%h");
    t = es256(me, 300, "\"aud\":\"ssh://a.example\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: audience -> PAM_AUTH_ERR");
    snprintf(want, sizeof(want), "Token is for ssh://a.example, this host takes ssh://%s.", host);
    told_is(want, "audience");
    free(t);
    t = es256(me, 300, "\"aud\":[\"local://b\\u001b[2J\",\"x\",\"y\"]");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: audience array -> PAM_AUTH_ERR");
    snprintf(want, sizeof(want),
             "Token is for local://b\\x1b[2J and 2 others, this host takes ssh://%s.", host);
    told_is(want, "audience array (first named, sanitized)");
    free(t);
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "told: no aud -> PAM_AUTH_ERR");
    snprintf(want, sizeof(want), "Token names no audience, this host takes ssh://%s.", host);
    told_is(want, "no audience");
    free(t);

    /* another user */
    conf(NULL);
    t = es256(me, 300, NULL);
    is_int(auth(other, t), PAM_AUTH_ERR, "told: token for another user -> PAM_AUTH_ERR");
    snprintf(want, sizeof(want), "Token is for user %s, not %s.", me, other);
    told_is(want, "another user");
    is_int(auth(me, t), PAM_SUCCESS, "told: accepted token");
    ok(told[0] == '\0', "told: nothing on success (got '%s')", told);
    free(t);

    /* a pass-on is not a refusal */
    is_int(auth(me, "hunter2"), PAM_IGNORE, "told: a password -> PAM_IGNORE");
    ok(told[0] == '\0', "told: nothing for a pass-on (got '%s')", told);

    /* revoked, already used */
    write_text("told-revoked", "told-1\n", 0644);
    snprintf(pl, sizeof(pl), "revoked_file = %s/told-revoked", dir);
    conf(pl);
    t = es256(me, 300, "\"jti\":\"told-1\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: revoked -> PAM_AUTH_ERR");
    told_is("Token was revoked.", "revoked");
    free(t);
    mkdir(P("told-replay"), 0700);
    snprintf(pl, sizeof(pl), "replay_cache = %s/told-replay", dir);
    conf(pl);
    t = es256(me, 300, "\"jti\":\"told-2\"");
    is_int(auth(me, t), PAM_SUCCESS, "told: a one-time token, first use");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: ... second use -> PAM_AUTH_ERR");
    told_is("Token was already used.", "already used");
    free(t);

    /* signature, issuer, algorithm, key, no policy: one line for all */
    const char *trust = "Token is not from an issuer this host trusts.";
    conf(NULL);
    snprintf(pl, sizeof(pl), "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}", me, now, now + 300);
    t = signed_claims(k_ec_other, "ES256", pl);
    is_int(auth(me, t), PAM_AUTH_ERR, "told: bad signature -> PAM_AUTH_ERR");
    told_is(trust, "bad signature");
    free(t);
    conf("issuer = https://idp.example");
    t = es256(me, 300, "\"iss\":\"https://evil.example\"");
    is_int(auth(me, t), PAM_AUTH_ERR, "told: wrong issuer -> PAM_AUTH_ERR");
    told_is(trust, "wrong issuer");
    ok(!strstr(told, "idp.example"), "told: ... the issuer this host expects is not named");
    free(t);
    conf("algorithms = RS256");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "told: algorithm not allowed -> PAM_AUTH_ERR");
    told_is(trust, "algorithm not allowed");
    free(t);
    conf(NULL);
    t = es256_kid(me, 300, NULL, "no-such-kid");
    char *jw = tl_jwk(k_ec256, "some-kid", "ES256", "sig");
    char jwks[4096];
    snprintf(jwks, sizeof(jwks), "{\"keys\":[%s]}", jw);
    free(jw);
    write_text("told.jwks", jwks, 0644);
    snprintf(pl, sizeof(pl), "jwks_file = %s/told.jwks\nallowed_subjects = *\n", dir);
    write_text("told-jwks.conf", pl, 0644);
    char args[600];
    snprintf(args, sizeof(args), "config=%s/told-jwks.conf", dir);
    is_int(auth_args(args, me, t, NULL), PAM_AUTH_ERR, "told: no key for the kid -> PAM_AUTH_ERR");
    told_is(trust, "no key");
    ok(!strstr(told, "kid"), "told: ... no key id named");
    free(t);

    /* cut off */
    t = es256(me, 300, NULL);
    t[strlen(t) - 5] = '\0';
    is_int(auth(me, t), PAM_AUTH_ERR, "told: signature cut off -> PAM_AUTH_ERR");
    told_is("Token is cut off: copy it again whole.", "cut off");
    free(t);

    /* subject not allowed (sanitized) */
    t = es256("mallory\\u001b[2J@example.com", 300, NULL);
    snprintf(pl, sizeof(pl), "key_file = %s/ec256.pub\nallowed_subjects = alice\n", dir);
    write_text("pam_jwt.conf", pl, 0644);
    is_int(auth(me, t), PAM_AUTH_ERR, "told: subject not allowed -> PAM_AUTH_ERR");
    told_is("Subject mallory\\x1b[2J@example.com may not log in here.",
            "subject not allowed (sanitized)");
    free(t);

    /* proof of possession */
    conf("require_pop = yes");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "told: require_pop, no cnf -> PAM_AUTH_ERR");
    told_is("Proof of possession failed: sign in again (pamjwt login).", "proof of possession");
    free(t);

    /* config or key problem, a token given; none for a password */
    conf("bogus_key = 1");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTHINFO_UNAVAIL, "told: broken config -> PAM_AUTHINFO_UNAVAIL");
    told_is("Token login is unavailable on this host (see the system log).", "config problem");
    ok(!strstr(told, dir), "told: ... no path named");
    is_int(auth(me, "hunter2"), PAM_IGNORE, "told: broken config, a password -> PAM_IGNORE");
    ok(told[0] == '\0', "told: ... nothing told (got '%s')", told);
    is_int(auth_args("no-such-argument", me, t, NULL), PAM_AUTHINFO_UNAVAIL,
           "told: a bad module argument -> PAM_AUTHINFO_UNAVAIL");
    told_is("Token login is unavailable on this host (see the system log).", "bad argument");
    free(t);

    /* the token prompt's own refusals */
    conf(NULL);
    is_int(auth_args("use_first_pass", me, "unused", NULL), PAM_AUTH_ERR,
           "told: use_first_pass without a token -> PAM_AUTH_ERR");
    told_is("Token login is unavailable on this host (see the system log).",
            "use_first_pass without a token");
    is_int(auth(me, "pamjwt-chunked:x:abc"), PAM_AUTH_ERR, "told: a malformed chunked answer -> "
           "PAM_AUTH_ERR");
    told_is("Token arrived in pieces that do not fit together: try again.", "malformed pieces");

    /* PAM_USER_UNKNOWN: the same line as a user barred by min_uid, so it
     * does not tell who exists here */
    conf(NULL);
    t = es256("nosuchuser-pamjwt", 300, NULL);
    is_int(auth("nosuchuser-pamjwt", t), PAM_USER_UNKNOWN, "told: no such user -> PAM_USER_UNKNOWN");
    told_is("User nosuchuser-pamjwt cannot log in here with a token.", "no such user");
    free(t);
    conf("min_uid = 4000000000");
    t = es256(me, 300, NULL);
    is_int(auth(me, t), PAM_AUTH_ERR, "told: below min_uid -> PAM_AUTH_ERR");
    snprintf(want, sizeof(want), "User %s cannot log in here with a token.", me);
    told_is(want, "below min_uid (the same words as no such user)");
    free(t);
    conf(NULL);
}

int main(void)
{
    so = getenv("PAM_JWT_SO");
    settok = getenv("PAM_SETTOK_SO");
    if (so == NULL || settok == NULL) {
        printf("1..0 # SKIP PAM_JWT_SO/PAM_SETTOK_SO not set (run through make check)\n");
        return 0;
    }
    setup();
    test_result_table();
    test_user_rules();
    test_time_and_claims();
    test_algorithms();
    test_malformed();
    test_sizes();
    test_args();
    test_unsafe_files();
    test_state();
    test_replay();
    test_jwks();
    test_hardening();
    test_policies();
    test_scopes();
    test_export();
    test_export_clears();
    test_groups();
    test_chunked();
    test_pop();
    test_device();
    test_pop_audience();
    test_told();
    tl_rmtree(dir);
    return tap_done();
}
