/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "b64url.h"

#include <stdlib.h>
#include <string.h>

static int val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

bool pj_b64url_char(int c)
{
    return val(c) >= 0;
}

unsigned char *pj_b64url_decode(const char *s, size_t n, size_t *outlen)
{
    size_t rem = n % 4, full = n / 4, o = 0;
    unsigned char *out;

    if (rem == 1)
        return NULL;
    out = malloc(full * 3 + (rem ? rem - 1 : 0) + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < full; i++) {
        int a = val(s[4 * i]), b = val(s[4 * i + 1]), c = val(s[4 * i + 2]), d = val(s[4 * i + 3]);
        if ((a | b | c | d) < 0)
            goto bad;
        unsigned v = ((unsigned)a << 18) | ((unsigned)b << 12) | ((unsigned)c << 6) | (unsigned)d;
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    if (rem) {
        const char *t = s + 4 * full;
        int a = val(t[0]), b = val(t[1]), c = rem == 3 ? val(t[2]) : 0;
        if ((a | b | c) < 0)
            goto bad;
        unsigned v = ((unsigned)a << 18) | ((unsigned)b << 12) | ((unsigned)c << 6);
        /* Canonical: the bits past the last whole byte must be zero, so a
         * signature has exactly one encoding. */
        if (rem == 2 && (v & 0xffff))
            goto bad;
        if (rem == 3 && (v & 0xff))
            goto bad;
        out[o++] = (unsigned char)(v >> 16);
        if (rem == 3)
            out[o++] = (unsigned char)(v >> 8);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
bad:
    free(out);
    return NULL;
}
