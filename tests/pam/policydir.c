/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the policy directory (one policy per issuer). */
#include "pam.h"

/* Several issuers: a policy directory (contract "Several issuers"). */
char *signed_claims(EVP_PKEY *k, const char *alg, const char *claims_json)
{
    char hdr[64];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    return raw(alg, k, hdr, claims_json);
}

char *iss_token(EVP_PKEY *k, const char *alg, const char *iss, const char *sub,
                       const char *extra)
{
    char c[2048];
    snprintf(c, sizeof(c), "{%s%s%s\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld%s%s}",
             iss ? "\"iss\":\"" : "", iss ? iss : "", iss ? "\"," : "", sub, now, now + 300,
             extra ? "," : "", extra ? extra : "");
    return signed_claims(k, alg, c);
}

void policy(const char *name, const char *text, int mode)
{
    char path[512];
    snprintf(path, sizeof(path), "pol/%s", name);
    write_text(path, text, mode);
}

int auth_dir(const char *user, const char *tok)
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

void test_policies(void)
{
    test_policies_two_issuers();
    test_policies_ignored_and_broken();
    test_policies_failed_files();
    test_policies_unsafe_dir();
}
