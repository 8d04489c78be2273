/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/util.c. */
#include "unit.h"

/* The one number parser: digits only, [min, max], no wrap past UINTMAX_MAX. */
void test_parse_numbers(void)
{
    struct { const char *s; uintmax_t max; int rc; uintmax_t v; } u[] = {
        {"0", UINTMAX_MAX, 0, 0},
        {"1000", UINTMAX_MAX, 0, 1000},
        {"4294967294", UINTMAX_MAX, 0, 4294967294u},
        {"4294967295", UINTMAX_MAX, 0, 4294967295u},
        {"4294967296", UINTMAX_MAX, 0, 4294967296u},
        {"9223372036854775807", UINTMAX_MAX, 0, 9223372036854775807u},
        {"9223372036854775808", UINTMAX_MAX, 0, 9223372036854775808u},
        {"18446744073709551615", UINTMAX_MAX, 0, UINTMAX_MAX},
        {"18446744073709551616", UINTMAX_MAX, -1, 0},  /* 2^64: would wrap to 0 */
        {"18446744073709552616", UINTMAX_MAX, -1, 0},  /* 2^64 + 1000 */
        {"99999999999999999999999999999", UINTMAX_MAX, -1, 0},
        {"0000000000000000000000000001000", UINTMAX_MAX, 0, 1000},
        {"4294967295", 4294967294u, -1, 0},
        {"", UINTMAX_MAX, -1, 0}, {"-1", UINTMAX_MAX, -1, 0}, {"+1", UINTMAX_MAX, -1, 0},
        {" 1", UINTMAX_MAX, -1, 0}, {"1 ", UINTMAX_MAX, -1, 0}, {"1e3", UINTMAX_MAX, -1, 0},
        {"0x10", UINTMAX_MAX, -1, 0}, {"1.0", UINTMAX_MAX, -1, 0},
    };
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        uintmax_t v = 12345;
        int rc = pj_parse_uint(u[i].s, 0, u[i].max, &v);
        ok(rc == u[i].rc && v == (rc == 0 ? u[i].v : 12345),
           "pj_parse_uint('%s', max %ju): %s (got rc %d, %ju)", u[i].s, u[i].max,
           u[i].rc == 0 ? "accepted with its value" : "refused, *out untouched", rc, v);
    }
    uintmax_t v = 0;
    is_int(pj_parse_uint("999", 1000, UINTMAX_MAX, &v), -1, "pj_parse_uint: below min refused");
    int64_t w = 7;
    is_int(pj_parse_int64("9223372036854775807", 0, INT64_MAX, &w), 0,
           "pj_parse_int64: 2^63-1 accepted");
    ok(w == INT64_MAX, "pj_parse_int64: 2^63-1 kept whole");
    is_int(pj_parse_int64("9223372036854775808", 0, INT64_MAX, &w), -1,
           "pj_parse_int64: 2^63 refused (past INT64_MAX)");
    is_int(pj_parse_int64("18446744073709551615", 0, INT64_MAX, &w), -1,
           "pj_parse_int64: 2^64-1 refused, never -1");
    ok(w == INT64_MAX, "pj_parse_int64: *out untouched when refused");
    is_int(pj_parse_int64("5", -1, 10, &w), -1, "pj_parse_int64: a negative min is refused");
}
