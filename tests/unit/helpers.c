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
