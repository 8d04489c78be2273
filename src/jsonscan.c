#include "config.h"

#include "jsonscan.h"

#include "jose.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const unsigned char *p, *end;
    int depth;
    const char *why;
} scan;

static bool fail(scan *s, const char *why)
{
    if (s->why == NULL)
        s->why = why;
    return false;
}

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller). */
static bool hex4(const unsigned char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        *v = *v << 4 | (unsigned)h;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0: no
 * overlong forms, no surrogates, nothing above U+10FFFF (as jansson). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], v;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

/* A string; s->p at its opening quote, left past the closing one.  *raw
 * and *rawlen give the text between the quotes. */
/* Bytes that need no attention inside a string: printable ASCII but the
 * quote and the backslash.  Most of a JWK Set is base64url runs of them. */
static const unsigned char plain[256] = {
#define R4(x) x, x, x, x
#define R16(x) R4(x), R4(x), R4(x), R4(x)
    R16(0), R16(0),                                   /* 0x00-0x1f */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x20-0x2f: '"' */
    R16(1), R16(1),                                   /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,   /* 0x50-0x5f: '\\' */
    R16(1), R16(1),                                   /* 0x60-0x7f */
#undef R16
#undef R4
};

static bool scan_string(scan *s, const unsigned char **raw, size_t *rawlen)
{
    const unsigned char *b = ++s->p;
    while (s->p < s->end) {
        while (s->end - s->p >= 4 && plain[s->p[0]] & plain[s->p[1]] & plain[s->p[2]] &
                                         plain[s->p[3]])
            s->p += 4;
        while (s->p < s->end && plain[*s->p])
            s->p++;
        if (s->p == s->end)
            break;
        unsigned char c = *s->p;
        if (c == '"') {
            *raw = b;
            *rawlen = (size_t)(s->p - b);
            s->p++;
            return true;
        }
        if (c < 0x20)
            return fail(s, "control character in a string");
        if (c == '\\') {
            if (s->end - s->p < 2)
                break;
            c = s->p[1];
            if (c != 'u') {
                if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' &&
                    c != 'r' && c != 't')
                    return fail(s, "invalid escape in a string");
                s->p += 2;
                continue;
            }
            unsigned cp, lo;
            if (s->end - s->p < 6 || !hex4(s->p + 2, &cp))
                return fail(s, "invalid \\u escape");
            s->p += 6;
            if (cp == 0)
                return fail(s, "\\u0000 in a string");
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(s, "lone low surrogate escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
                    !hex4(s->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return fail(s, "high surrogate escape without its low half");
                s->p += 6;
            }
            continue;
        }
        if (c < 0x80) {
            s->p++;
            continue;
        }
        size_t n = utf8_seq(s->p, s->end);
        if (n == 0)
            return fail(s, "invalid UTF-8");
        s->p += n;
    }
    return fail(s, "unterminated string");
}

/* Is the next byte c?  (Never reads past the end.) */
static bool at(const scan *s, unsigned char c)
{
    return s->p < s->end && *s->p == c;
}

static bool is_digit(const scan *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* Does the real number overflow a double, as jansson checks with strtod?
 * strtod_l with the C locale: the caller's locale must not decide. */
static bool real_overflows(const unsigned char *b, size_t n)
{
    char buf[128];
    char *copy = n < sizeof(buf) ? buf : malloc(n + 1);
    bool over = true;
    if (copy == NULL)
        return true;
    memcpy(copy, b, n);
    copy[n] = '\0';
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c != (locale_t)0) {
        errno = 0;
        double v = strtod_l(copy, NULL, c);
        over = errno == ERANGE && isinf(v);
        freelocale(c);
    }
    if (copy != buf)
        free(copy);
    return over;
}

/* RFC 8259 number; integers must fit a long long and reals a double, as
 * jansson requires. */
static bool scan_number(scan *s)
{
    const unsigned char *b = s->p;
    bool neg = false, real = false;
    uint64_t mag = 0;
    bool big = false;
    if (*s->p == '-') {
        neg = true;
        s->p++;
    }
    if (!is_digit(s))
        return fail(s, "invalid number");
    if (*s->p == '0') {
        s->p++;
        if (is_digit(s))
            return fail(s, "number with a leading zero");
    } else {
        while (is_digit(s)) {
            unsigned d = (unsigned)(*s->p++ - '0');
            if (mag > (UINT64_MAX - d) / 10)
                big = true;
            else
                mag = mag * 10 + d;
        }
    }
    if (s->p < s->end && *s->p == '.') {
        real = true;
        s->p++;
        if (!is_digit(s))
            return fail(s, "invalid number");
        while (is_digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        real = true;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!is_digit(s))
            return fail(s, "invalid number");
        while (is_digit(s))
            s->p++;
    }
    if (real)
        return real_overflows(b, (size_t)(s->p - b)) ? fail(s, "real number overflow") : true;
    if (big || mag > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return fail(s, "integer too big");
    return true;
}

static bool scan_literal(scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return fail(s, "invalid literal");
    s->p += n;
    return true;
}

static bool scan_value(scan *s);

/* Object members or array elements: s->p just past the opening bracket.
 * each() is called for every member (name set) or element (name NULL)
 * with s->p at the value; it must consume the value. */
typedef bool (*each_fn)(scan *s, const unsigned char *name, size_t namelen, void *ctx);

static bool scan_container(scan *s, bool object, each_fn each, void *ctx)
{
    unsigned char close = object ? '}' : ']';
    if (++s->depth > PJ_MAX_JSON_DEPTH)
        return fail(s, PJ_WHY_TOO_DEEP);
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        const unsigned char *name = NULL;
        size_t namelen = 0;
        skip_ws(s);
        if (object) {
            if (s->p >= s->end || *s->p != '"')
                return fail(s, "object member name expected");
            if (!scan_string(s, &name, &namelen))
                return false;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return fail(s, "':' expected");
            s->p++;
            skip_ws(s);
        }
        if (!(each ? each(s, name, namelen, ctx) : scan_value(s)))
            return false;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            s->depth--;
            return true;
        }
        return fail(s, object ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static bool scan_value(scan *s)
{
    if (s->p >= s->end)
        return fail(s, "value expected");
    switch (*s->p) {
    case '{': s->p++; return scan_container(s, true, NULL, NULL);
    case '[': s->p++; return scan_container(s, false, NULL, NULL);
    case '"': {
        const unsigned char *r;
        size_t n;
        return scan_string(s, &r, &n);
    }
    case 't': return scan_literal(s, "true", 4);
    case 'f': return scan_literal(s, "false", 5);
    case 'n': return scan_literal(s, "null", 4);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return fail(s, "invalid value");
    }
}

/* Decode a scanned (valid) string body to UTF-8; malloc'd, NUL added. */
static char *decode(const unsigned char *r, size_t n, size_t *outlen)
{
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (r[i] != '\\') {
            *o++ = (char)r[i];
            continue;
        }
        unsigned char e = r[++i];
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            *o++ = to[strchr(from, e) - from];
            continue;
        }
        unsigned cp, lo;
        hex4(r + i + 1, &cp);
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            hex4(r + i + 3, &lo);
            i += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp < 0x80) {
            *o++ = (char)cp;
        } else if (cp < 0x800) {
            *o++ = (char)(0xc0 | cp >> 6);
            *o++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            *o++ = (char)(0xe0 | cp >> 12);
            *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
            *o++ = (char)(0x80 | (cp & 0x3f));
        } else {
            *o++ = (char)(0xf0 | cp >> 18);
            *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
            *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
            *o++ = (char)(0x80 | (cp & 0x3f));
        }
    }
    *o = '\0';
    *outlen = (size_t)(o - out);
    return out;
}

/* Is the raw (undecoded) name equal to lit?  Escaped spellings count. */
static bool name_is(const unsigned char *r, size_t n, const char *lit)
{
    size_t l = strlen(lit), dl;
    if (memchr(r, '\\', n) == NULL)
        return n == l && memcmp(r, lit, l) == 0;
    char *d = decode(r, n, &dl);
    bool eq = d != NULL && dl == l && memcmp(d, lit, l) == 0;
    free(d);
    return eq;
}

/* ------------------------------------------------------------ JWK Sets */

typedef struct jwks_ctx {
    const unsigned char *base;
    pj_jwk_ref *refs;
    size_t n, cap;
    bool have_keys, oom;
    /* top-level member names, for the duplicate check */
    struct name { char *s; size_t n; } *names;
    size_t nn, ncap;
} jwks_ctx;

/* A member of one JWK: record "kid" when it is a usable string. */
static bool jwk_member(scan *s, const unsigned char *name, size_t namelen, void *vctx)
{
    pj_jwk_ref *ref = vctx;
    if (at(s, '"') && name_is(name, namelen, "kid")) {
        const unsigned char *r;
        size_t n, dl;
        if (!scan_string(s, &r, &n))
            return false;
        if (ref->kid == NULL && n > 0) {
            char *d = decode(r, n, &dl);
            if (d != NULL && strlen(d) == dl)
                ref->kid = d;
            else
                free(d);
        }
        return true;
    }
    return scan_value(s);
}

static bool key_element(scan *s, const unsigned char *name, size_t namelen, void *vctx)
{
    jwks_ctx *c = vctx;
    (void)name;
    (void)namelen;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        pj_jwk_ref *v = realloc(c->refs, cap * sizeof(*v));
        if (v == NULL) {
            c->oom = true;
            return fail(s, "out of memory");
        }
        c->refs = v;
        c->cap = cap;
    }
    pj_jwk_ref *ref = &c->refs[c->n++];
    memset(ref, 0, sizeof(*ref));
    ref->off = (size_t)(s->p - c->base);
    bool ok;
    if (at(s, '{')) {
        s->p++;
        ok = scan_container(s, true, jwk_member, ref);
    } else {
        ok = scan_value(s);
    }
    ref->len = (size_t)(s->p - c->base) - ref->off;
    return ok;
}

static bool top_member(scan *s, const unsigned char *name, size_t namelen, void *vctx)
{
    jwks_ctx *c = vctx;
    size_t dl;
    char *d = decode(name, namelen, &dl);
    if (d == NULL || (c->nn == c->ncap && c->ncap > SIZE_MAX / 4)) {
        free(d);
        c->oom = true;
        return fail(s, "out of memory");
    }
    if (c->nn == c->ncap) {
        size_t cap = c->ncap ? c->ncap * 2 : 4;
        struct name *v = realloc(c->names, cap * sizeof(*v));
        if (v == NULL) {
            free(d);
            c->oom = true;
            return fail(s, "out of memory");
        }
        c->names = v;
        c->ncap = cap;
    }
    c->names[c->nn].s = d;
    c->names[c->nn++].n = dl;
    if (dl == 4 && memcmp(d, "keys", 4) == 0 && at(s, '[')) {
        c->have_keys = true;
        s->p++;
        return scan_container(s, false, key_element, c);
    }
    return scan_value(s);
}

static int name_cmp(const void *a, const void *b)
{
    const struct name *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int r = memcmp(x->s, y->s, n);
    return r != 0 ? r : (x->n > y->n) - (x->n < y->n);
}

void pj_jwk_refs_free(pj_jwk_ref *refs, size_t n)
{
    for (size_t i = 0; refs && i < n; i++)
        free(refs[i].kid);
    free(refs);
}

int pj_jwks_scan(const char *text, size_t len, pj_jwk_ref **refs, size_t *n, const char **why)
{
    scan s = {(const unsigned char *)text, (const unsigned char *)text + len, 0, NULL};
    jwks_ctx c;
    bool ok;
    memset(&c, 0, sizeof(c));
    c.base = s.p;
    *refs = NULL;
    *n = 0;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '{') {
        s.p++;
        ok = scan_container(&s, true, top_member, &c);
    } else {
        const char *w = NULL;
        /* an array is still checked, so the reason given is the right one */
        ok = fail(&s, pj_json_valid(text, len, &w) ? PJ_WHY_NOT_OBJECT : w);
    }
    if (ok) {
        skip_ws(&s);
        if (s.p != s.end)
            ok = fail(&s, "data after the JSON object");
    }
    if (ok && c.nn > 1) {
        qsort(c.names, c.nn, sizeof(*c.names), name_cmp);
        for (size_t i = 1; ok && i < c.nn; i++)
            if (name_cmp(&c.names[i - 1], &c.names[i]) == 0)
                ok = fail(&s, "duplicate member name");
    }
    if (ok && !c.have_keys)
        ok = fail(&s, "no \"keys\" array");
    for (size_t i = 0; i < c.nn; i++)
        free(c.names[i].s);
    free(c.names);
    if (!ok) {
        pj_jwk_refs_free(c.refs, c.n);
        *why = s.why;
        return -1;
    }
    *refs = c.refs;
    *n = c.n;
    return 0;
}

bool pj_json_valid(const char *text, size_t len, const char **why)
{
    scan s = {(const unsigned char *)text, (const unsigned char *)text + len, 0, NULL};
    bool ok;
    skip_ws(&s);
    if (s.p < s.end && (*s.p == '{' || *s.p == '['))
        ok = scan_value(&s);
    else
        ok = fail(&s, "'{' or '[' expected");
    skip_ws(&s);
    if (ok && s.p != s.end)
        ok = fail(&s, "data after the JSON value");
    *why = s.why;
    return ok;
}
