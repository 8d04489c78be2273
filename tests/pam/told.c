/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of what the user is told. */
#include "pam.h"

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

void test_told(void)
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
