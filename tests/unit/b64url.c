/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/b64url.c. */
#include "unit.h"

void test_b64url(void)
{
    size_t n = 0;
    unsigned char *d = pj_b64url_decode("aGVsbG8", 7, &n);
    ok(d && n == 5 && memcmp(d, "hello", 5) == 0, "b64url: decodes 'hello'");
    free(d);
    d = pj_b64url_decode("", 0, &n);
    ok(d && n == 0, "b64url: empty");
    free(d);
    ok(pj_b64url_decode("aGVsbG8=", 8, &n) == NULL, "b64url: padding refused");
    ok(pj_b64url_decode("aGV+bG8", 7, &n) == NULL, "b64url: '+' refused");
    ok(pj_b64url_decode("aGV/bG8", 7, &n) == NULL, "b64url: '/' refused");
    ok(pj_b64url_decode("aGVsb", 5, &n) == NULL, "b64url: length 1 mod 4 refused");
    ok(pj_b64url_decode("aGVsbG9", 7, &n) == NULL, "b64url: non-canonical trailing bits refused");
    ok(pj_b64url_decode("aG\0sbG8", 7, &n) == NULL, "b64url: NUL refused");
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (size_t len = 0; len < 10; len++) {
        char *e = pj_b64url_encode(all + 250 - len * 20, len * 7 % 23);
        d = pj_b64url_decode(e, strlen(e), &n);
        ok(d && n == len * 7 % 23 && memcmp(d, all + 250 - len * 20, n) == 0,
           "b64url: round trip of %zu bytes", n);
        free(d);
        free(e);
    }
}
