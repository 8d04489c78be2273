/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of scoped values (%h, %s). */
#include "pam.h"

/* Scoped tokens: %h and %s (contract "Scoped tokens"). */
void test_scopes(void)
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
