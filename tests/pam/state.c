/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of the state kept between PAM calls. */
#include "pam.h"

void test_state(void)
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
