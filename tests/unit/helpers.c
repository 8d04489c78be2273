/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the unit tests (tests/unit/X.c): the captured log
 * line, a config parsed from text, a JSON value from text. */
#include "unit.h"

int tap_n, tap_failed;

char lastlog[2048];
static void capture(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    snprintf(lastlog, sizeof(lastlog), "%s", msg);
}
pj_log LOG = {capture, NULL, false};

pj_config *parse(const char *text, int *rc)
{
    pj_config *c = pj_config_new("/test.conf");
    lastlog[0] = '\0';
    *rc = pj_config_parse(c, text, strlen(text), &LOG);
    return c;
}

json_t *J(const char *s)
{
    json_error_t e;
    return json_loads(s, 0, &e);
}

/* The table runners: one row per case, the same two lines per row. */
void config_cases(const char *what, const char *base, bool finish, const conf_case *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char text[1024];
        int rc;
        snprintf(text, sizeof(text), "%s%s", base, t[i].text);
        pj_config *c = parse(text, &rc);
        if (finish && rc == 0)
            rc = pj_config_finish(c, &LOG);
        is_int(rc, -1, "%s error: %s", what, t[i].log);
        ok(strstr(lastlog, t[i].log) != NULL, "%s error logged: %s (got: %s)", what, t[i].log, lastlog);
        pj_config_free(c);
    }
}

void claim_cases(const pj_config *c, const claim_case *t, size_t n)
{
    char why[256];
    for (size_t i = 0; i < n; i++) {
        json_t *j = J(t[i].claims);
        is_int(pj_check_claims(c, j, t[i].now, NULL, why, sizeof(why)), t[i].rc, "%s", t[i].what);
        if (t[i].why_has != NULL)
            ok(strstr(why, t[i].why_has) != NULL, "%s", t[i].why_what);
        json_decref(j);
    }
}
