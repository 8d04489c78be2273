/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of hardening cases (uid bounds, cut signatures, pasted tokens, kid-less keys). */
#include "pam.h"

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
void test_hardening(void)
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
