/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "target.h"

#include <string.h>

static bool alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The scheme's length (the bytes before "://"), or 0 when v does not
 * start with an RFC 3986 scheme and "://". */
static size_t scheme_len(const char *v, size_t n)
{
    size_t i = 0;
    if (n == 0 || !alpha((unsigned char)v[0]))
        return 0;
    while (i < n && (alpha((unsigned char)v[i]) || (v[i] >= '0' && v[i] <= '9') ||
                     v[i] == '+' || v[i] == '-' || v[i] == '.'))
        i++;
    if (n - i < 3 || memcmp(v + i, "://", 3) != 0)
        return 0;
    return i;
}

bool pj_target_valid(const char *v, size_t n, const char **why)
{
    size_t s = scheme_len(v, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f) {
            *why = "control character or white space in a target";
            return false;
        }
    if (s == 0) {
        *why = "expected a target of the form SCHEME://HOST (ssh://HOST, local://HOSTNAME)";
        return false;
    }
    if (n == s + 3 || v[s + 3] == '/') {
        *why = "a target names a host after SCHEME://";
        return false;
    }
    return true;
}

/* ASCII only, whatever the locale (a Turkish one folds "I" otherwise). */
static bool same_ignoring_case(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* Where the path of REST starts: its first "/", or its end. */
static size_t path_at(const char *rest, size_t n)
{
    const char *slash = memchr(rest, '/', n);
    return slash ? (size_t)(slash - rest) : n;
}

/* The host part of a target REST: up to the first "/", one trailing "."
 * dropped (but never the whole part). */
static size_t host_len(const char *rest, size_t n)
{
    size_t h = path_at(rest, n);
    if (h > 1 && rest[h - 1] == '.')
        h--;
    return h;
}

bool pj_target_equal(const char *a, size_t al, const char *b, size_t bl)
{
    const char *why;
    size_t as, bs, ah, bh, ap, bp;
    if (!pj_target_valid(a, al, &why) || !pj_target_valid(b, bl, &why))
        return false;
    as = scheme_len(a, al);
    bs = scheme_len(b, bl);
    if (as != bs || !same_ignoring_case(a, b, as))
        return false;
    a += as + 3, al -= as + 3;
    b += bs + 3, bl -= bs + 3;
    ah = host_len(a, al);
    bh = host_len(b, bl);
    if (ah != bh || !same_ignoring_case(a, b, ah))
        return false;
    ap = path_at(a, al);
    bp = path_at(b, bl);
    return al - ap == bl - bp && memcmp(a + ap, b + bp, al - ap) == 0;
}
