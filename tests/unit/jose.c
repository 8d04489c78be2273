/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/jose.c. */
#include "unit.h"

void test_shape(void)
{
    struct { const char *s; bool want; } c[] = {
        {"a.b.c", true}, {"eyJ.eyJ.sig-_", true}, {"a.b.", false}, {".b.c", false},
        {"a..c", false}, {"a.b.c.d", false}, {"abc", false}, {"", false},
        {"a.b.c ", false}, {"a.b=.c", false}, {"a.b", false}, {"hunter2", false},
        {"pass.word.with space", false}, {"..", false},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        ok(pj_jwt_shaped(c[i].s, strlen(c[i].s)) == c[i].want, "shape: '%s' -> %s", c[i].s,
           c[i].want ? "JWT" : "not JWT");
}

void test_json(void)
{
    const char *why = NULL;
    json_t *j = pj_json_object("{\"a\":1}", 7, &why);
    ok(j != NULL, "json: object parsed");
    json_decref(j);
    ok(pj_json_object("{\"a\":1,\"a\":2}", 13, &why) == NULL, "json: duplicate member refused");
    ok(pj_json_object("[1]", 3, &why) == NULL && why == PJ_WHY_NOT_OBJECT, "json: array refused");
    ok(pj_json_object("{\"a\":\"x\\u0000y\"}", 16, &why) == NULL, "json: NUL in string refused");
    ok(pj_json_object("{\"a\":1} x", 9, &why) == NULL, "json: trailing garbage refused");
    /* jansson 2.14 alone accepts this one (it skips a NUL after a number) */
    ok(pj_json_object("{\"exp\":1\0}", 10, &why) == NULL && why == PJ_WHY_INVALID,
       "json: raw NUL byte after a number refused");
    char deep[200];
    memset(deep, '[', 40);
    strcpy(deep + 40, "");
    char obj[300];
    snprintf(obj, sizeof(obj), "{\"a\":%s}", deep);
    ok(pj_json_object(obj, strlen(obj), &why) == NULL && why == PJ_WHY_TOO_DEEP,
       "json: nesting beyond %d refused before parsing", PJ_MAX_JSON_DEPTH);
    snprintf(obj, sizeof(obj), "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
    j = pj_json_object(obj, strlen(obj), &why);
    ok(j != NULL, "json: brackets inside strings do not count as nesting");
    json_decref(j);
}
