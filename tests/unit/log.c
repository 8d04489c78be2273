/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/log.c. */
#include "unit.h"

/* No text is cut silently: a log line, a decision's reason or a claim's
 * reason that does not fit ends in "..." (issue 20). */
static void ends_cut(const char *s, size_t room, const char *what)
{
    size_t n = strlen(s);
    ok(n == room - 1 && n >= 3 && strcmp(s + n - 3, "...") == 0,
       "%s: cut at %zu bytes and marked with '...' (%zu bytes, ends '%s')", what, room - 1, n,
       n >= 3 ? s + n - 3 : s);
}

void test_no_silent_cut(void)
{
    char big[1500], path[400], conf[1024], why[256];
    int rc;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    pj_logf(&LOG, LOG_ERR, "%s", big);
    ends_cut(lastlog, 1024, "a log line of 1499 bytes");

    /* "config PATH unusable" with a 399-byte path */
    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    const char *tok = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    pj_request rq = {0};
    pj_decision d;
    pj_log quiet = {NULL, NULL, false};
    rq.config_path = path;
    rq.input = tok;
    rq.input_len = strlen(tok);
    rq.log = &quiet;
    rq.now = 1000;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_UNAVAIL, "a config path of 399 bytes that does not exist: unavailable");
    ends_cut(d.reason, sizeof(d.reason), "its reason");
    pj_decision_free(&d);

    /* "wrong issuer: expected A, got B" with long A and B */
    char iss[260];
    memset(iss, 'b', sizeof(iss) - 1);
    iss[sizeof(iss) - 1] = '\0';
    snprintf(conf, sizeof(conf), "key_file = /k\nallowed_subjects = *\nissuer = https://%.*s\n",
             200, iss);
    pj_config *c = parse(conf, &rc);
    char claims[600];
    snprintf(claims, sizeof(claims), "{\"exp\":2000,\"iss\":\"https://a%s\"}", iss);
    json_t *j = J(claims);
    is_int(c ? pj_check_claims(c, j, 1000.0, NULL, why, sizeof(why)) : 0, -1,
           "a long wrong issuer: refused");
    ends_cut(why, sizeof(why), "its reason");
    json_decref(j);
    pj_config_free(c);
}

/* ---------------------------------------------------------- device seams */
void test_sanitize_tiny(void)
{
    for (size_t sz = 1; sz <= 4; sz++) {
        char buf[16];
        memset(buf, 'X', sizeof(buf));
        pj_sanitize(buf + 4, sz, "abcdef\x01", 7);
        bool guard = true;
        for (size_t i = 0; i < 4; i++)
            guard = guard && buf[i] == 'X';
        for (size_t i = 4 + sz; i < sizeof(buf); i++)
            guard = guard && buf[i] == 'X';
        ok(guard && strlen(buf + 4) == sz - 1,
           "pj_sanitize into %zu bytes: nothing written past it, NUL-terminated (%s)", sz, buf + 4);
    }
}
