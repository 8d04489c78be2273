#include "config.h"

#include "subject.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

bool pj_lines_next(pj_lines *it, const char **line, size_t *n)
{
    while (it->pos < it->len) {
        const char *s = it->buf + it->pos;
        const char *nl = memchr(s, '\n', it->len - it->pos);
        size_t l = nl ? (size_t)(nl - s) : it->len - it->pos;
        it->pos += l + (nl ? 1 : 0);
        it->lineno++;
        for (const char *h = memchr(s, '#', l); h != NULL;
             h = memchr(h + 1, '#', l - (size_t)(h + 1 - s)))
            if (h == s || pj_is_space((unsigned char)h[-1])) {
                l = (size_t)(h - s);
                break;
            }
        pj_trim(&s, &l);
        if (l > 0) {
            *line = s;
            *n = l;
            return true;
        }
    }
    return false;
}

/* Can want be found by a plain byte search?  Not when it holds what the
 * line reader treats specially: control characters (a newline would span
 * two lines), white space at either end, or a '#' that starts a comment. */
static bool searchable(const char *w, size_t n)
{
    if (n == 0 || w[0] == '#' || w[0] == ' ' || w[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c < 0x20 || c == 0x7f || (c == '#' && (w[i - 1] == ' ')))
            return false;
    }
    return true;
}

/* Is want one of the file's lines (after comments and trimming)?  A
 * 100,000-line revoked_file or allowed_subjects_file is searched with
 * memmem and each hit checked for line boundaries, instead of walking
 * every line. */
static bool line_equals(const pj_text *t, const char *want)
{
    size_t wl = strlen(want);
    if (!searchable(want, wl)) {
        pj_lines it = {t->buf, t->len, 0, 0};
        const char *l;
        size_t n;
        while (pj_lines_next(&it, &l, &n))
            if (n == wl && memcmp(l, want, n) == 0)
                return true;
        return false;
    }
    const char *buf = t->buf, *end = t->buf + t->len, *p = buf;
    while ((size_t)(end - p) >= wl && (p = memmem(p, (size_t)(end - p), want, wl)) != NULL) {
        const char *b = p, *a = p + wl;
        while (b > buf && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        while (a < end && (*a == ' ' || *a == '\t' || *a == '\r'))
            a++;
        if ((b == buf || b[-1] == '\n') && (a == end || *a == '\n' || (*a == '#' && a > p + wl)))
            return true;
        p++;
    }
    return false;
}

bool pj_subject_allowed(const pj_config *c, const char *sub)
{
    if (c->allow_any_subject || pj_strlist_has(&c->allowed_subjects, sub))
        return true;
    return c->subjects_file.buf != NULL && line_equals(&c->subjects_file, sub);
}

bool pj_jti_revoked(const pj_config *c, const char *jti)
{
    return c->revoked.buf != NULL && line_equals(&c->revoked, jti);
}

/* Split "PATTERN USER" into two fields; false unless exactly two. */
static bool map_fields(const char *l, size_t n, const char **p, size_t *pl, const char **u,
                       size_t *ul)
{
    size_t i = 0;
    while (i < n && !pj_is_space((unsigned char)l[i]))
        i++;
    *p = l;
    *pl = i;
    while (i < n && pj_is_space((unsigned char)l[i]))
        i++;
    *u = l + i;
    while (i < n && !pj_is_space((unsigned char)l[i]))
        i++;
    *ul = (size_t)(l + i - *u);
    return *pl > 0 && *ul > 0 && i == n;
}

static bool template_ok(const char *u, size_t n)
{
    for (const char *p = memchr(u, '%', n); p != NULL; p = memchr(p, '%', n - (size_t)(p - u))) {
        if (p + 1 == u + n || (p[1] != 's' && p[1] != 'l' && p[1] != '%'))
            return false;
        p += 2;
        if (p >= u + n)
            break;
    }
    return true;
}

static bool has_glob(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '\\')
            return true;
    return false;
}

int pj_user_map_validate(const pj_text *t, const pj_log *log)
{
    pj_lines it = {t->buf, t->len, 0, 0};
    const char *l, *p, *u;
    size_t n, pl, ul;
    if (memchr(t->buf, '\0', t->len) != NULL) {
        pj_logf(log, LOG_ERR, "user_map_file %s: contains a NUL byte", t->path);
        return -1;
    }
    while (pj_lines_next(&it, &l, &n)) {
        if (n > PJ_MAX_LINE) {
            pj_logf(log, LOG_ERR, "user_map_file %s:%u: line longer than %d bytes", t->path,
                    it.lineno, PJ_MAX_LINE);
            return -1;
        }
        if (!map_fields(l, n, &p, &pl, &u, &ul)) {
            pj_logf(log, LOG_ERR, "user_map_file %s:%u: expected 'SUBJECT LOCALUSER'", t->path,
                    it.lineno);
            return -1;
        }
        if (!template_ok(u, ul)) {
            pj_logf(log, LOG_ERR, "user_map_file %s:%u: only %%s, %%l and %%%% may follow %%",
                    t->path, it.lineno);
            return -1;
        }
    }
    return 0;
}

static char *expand(const char *u, size_t n, const char *sub)
{
    size_t sl = strlen(sub), ll = strcspn(sub, "@"), cap = n * (sl + 1) + 1, o = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (u[i] == '%' && i + 1 < n) {
            char e = u[++i];
            if (e == 's') {
                memcpy(out + o, sub, sl);
                o += sl;
            } else if (e == 'l') {
                memcpy(out + o, sub, ll);
                o += ll;
            } else {
                out[o++] = e;
            }
        } else {
            out[o++] = u[i];
        }
    }
    out[o] = '\0';
    return out;
}

int pj_map_user(const pj_config *c, const char *sub, char **user)
{
    *user = NULL;
    if (c->user_map.buf == NULL) {
        *user = strdup(sub);
        return *user ? 1 : -1;
    }
    pj_lines it = {c->user_map.buf, c->user_map.len, 0, 0};
    const char *l, *p, *u;
    size_t n, pl, ul, sl = strlen(sub);
    char pat[PJ_MAX_LINE + 1];
    while (pj_lines_next(&it, &l, &n)) {
        if (!map_fields(l, n, &p, &pl, &u, &ul) || pl > PJ_MAX_LINE)
            continue; /* validated at load; never reached */
        bool match;
        if (!has_glob(p, pl)) {
            match = pl == sl && memcmp(p, sub, sl) == 0; /* a literal: no fnmatch */
        } else {
            memcpy(pat, p, pl);
            pat[pl] = '\0';
            match = fnmatch(pat, sub, 0) == 0;
        }
        if (match) {
            *user = expand(u, ul, sub);
            return *user ? 1 : -1;
        }
    }
    return 0;
}

bool pj_user_name_ok(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 255 || u[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)u[i];
        if (ch < 0x21 || ch == 0x7f || ch == '/' || ch == ':')
            return false;
    }
    return true;
}
