/* SPDX-License-Identifier: BSD-3-Clause */
/* Who may log in and as whom: the list files (allowed_subjects_file,
 * revoked_file) and the user map, read line by line with one reader. */
#include "config.h"

#include "subject.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ lines */

/* A walk over the lines of a file's text. */
typedef struct pj_lines {
    const char *buf;
    size_t len, pos;
    unsigned lineno;
} pj_lines;

/* The raw line at it->pos, without its LF, in *s, *l; false at the end. */
static inline bool raw_line(pj_lines *it, const char **s, size_t *l)
{
    if (it->pos >= it->len)
        return false;
    const char *p = it->buf + it->pos;
    const char *nl = memchr(p, '\n', it->len - it->pos);
    size_t n = nl ? (size_t)(nl - p) : it->len - it->pos;
    it->pos += n + (nl ? 1 : 0);
    it->lineno++;
    *s = p;
    *l = n;
    return true;
}

/* Which of the bytes that change how a line reads occur anywhere in a
 * user map.  A line need not be searched for a byte its file lacks: one
 * memchr over a whole 3 MB file costs what a few hundred searches of
 * single lines cost.  Measured (callgrind, make bench's usermap-100000):
 * 20.8 M instructions per login with this and pattern_matches' first-byte
 * test, 52.2 M without (combo, a 10,000-line map: 3.57 M, 6.72 M). */
typedef struct file_has {
    bool hash;   /* '#' (comments) */
    bool tab_cr; /* tab or CR (white space other than ' ') */
    bool pct;    /* '%' (user map templates) */
    bool glob;   /* '*', '?', '[' or '\\' (user map patterns) */
} file_has;

static const file_has has_all = {true, true, true, true};

static file_has file_bytes(const char *buf, size_t len)
{
    file_has h = {memchr(buf, '#', len) != NULL,
                  memchr(buf, '\t', len) != NULL || memchr(buf, '\r', len) != NULL,
                  memchr(buf, '%', len) != NULL,
                  memchr(buf, '*', len) != NULL || memchr(buf, '?', len) != NULL ||
                      memchr(buf, '[', len) != NULL || memchr(buf, '\\', len) != NULL};
    return h;
}

/* What a raw line says: the comment ('#' at its start or after white
 * space, to the end of the line) cut, then white space trimmed from both
 * ends (as pj_trim).  Possibly empty. */
static inline void line_content(const char **s, size_t *l, const file_has *has)
{
    const char *p = *s;
    size_t n = *l;
    if (has->hash)
        for (const char *h = memchr(p, '#', n); h != NULL;
             h = memchr(h + 1, '#', n - (size_t)(h + 1 - p)))
            if (h == p || pj_is_space((unsigned char)h[-1])) {
                n = (size_t)(h - p);
                break;
            }
    while (n > 0 && pj_is_space((unsigned char)p[0])) {
        p++;
        n--;
    }
    while (n > 0 && pj_is_space((unsigned char)p[n - 1]))
        n--;
    *s = p;
    *l = n;
}

/* ------------------------------------------------------------ lists */

/* Is want, exactly, what one of the lines of t says (line_content: the
 * comment cut, white space trimmed)?  Every line is read the same way: a
 * first-byte test here saved nothing (make bench's subjects-100000: 8.51 M
 * instructions per login with it, 8.22 M without). */
static bool listed(const pj_text *t, const char *want)
{
    pj_lines it = {t->buf, t->len, 0, 0};
    size_t wl = strlen(want);
    const char *s;
    size_t l;
    if (wl == 0)
        return false; /* an empty line says nothing */
    while (raw_line(&it, &s, &l)) {
        line_content(&s, &l, &has_all);
        if (l == wl && memcmp(s, want, wl) == 0)
            return true;
    }
    return false;
}

bool pj_subject_allowed(const pj_config *c, const char *sub)
{
    if (c->allow_any_subject || pj_strlist_has(&c->allowed_subjects, sub))
        return true;
    return c->subjects_file.buf != NULL && listed(&c->subjects_file, sub);
}

bool pj_jti_revoked(const pj_config *c, const char *jti)
{
    return c->revoked.buf != NULL && listed(&c->revoked, jti);
}

bool pj_jti_revocable(const char *jti, size_t len)
{
    /* Written as a line, jti must come back whole as one line (the
     * complement of what line_content and raw_line change), and an
     * administrator must be able to type it: no control characters. */
    if (len == 0 || pj_is_space((unsigned char)jti[0]) || jti[0] == '#' ||
        pj_is_space((unsigned char)jti[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)jti[i];
        if (b < 0x20 || b == 0x7f)
            return false; /* NUL, LF, tab, ESC, DEL, ...: not typed in a list */
        if (b == '#' && i > 0 && pj_is_space((unsigned char)jti[i - 1]))
            return false; /* starts a comment */
    }
    return true;
}

/* ------------------------------------------------------------ user map */

/* Where the first white space in s[0 .. n) of a line is (LF never occurs
 * in one), or n.  memchr, where a byte loop costs several times more. */
static inline size_t first_space(const char *s, size_t n, const file_has *has)
{
    const char *w = memchr(s, ' ', n);
    size_t i = w != NULL ? (size_t)(w - s) : n;
    if (has->tab_cr) {
        const char *t = memchr(s, '\t', i), *r = memchr(s, '\r', i);
        i = t != NULL ? (size_t)(t - s) : i;
        i = r != NULL && (size_t)(r - s) < i ? (size_t)(r - s) : i;
    }
    return i;
}

/* Split a line (comment cut, trimmed, not empty) into "PATTERN USER" at its
 * first run of white space; false unless exactly two fields. */
static inline bool map_fields(const char *l, size_t n, const file_has *has, const char **p,
                              size_t *pl, const char **u, size_t *ul)
{
    size_t a = first_space(l, n, has), b = a;
    while (b < n && pj_is_space((unsigned char)l[b]))
        b++;
    *p = l;
    *pl = a;
    *u = l + b;
    *ul = n - b;
    if (a == n)
        return false; /* one field */
    return first_space(l + b, n - b, has) == n - b; /* else three or more */
}

/* Every '%' of a template is followed by s, l or %. */
static bool template_ok(const char *u, size_t n)
{
    for (const char *p = memchr(u, '%', n); p != NULL; p = memchr(p, '%', n - (size_t)(p - u))) {
        if (p + 1 == u + n || (p[1] != 's' && p[1] != 'l' && p[1] != '%'))
            return false;
        p += 2;
        if (p == u + n)
            break;
    }
    return true;
}

static bool is_glob(char c)
{
    return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* fnmatch(3) without flags, for a pattern of pl bytes (not terminated). */
static bool glob_matches(const char *p, size_t pl, const char *sub)
{
    char pat[PJ_MAX_LINE + 1];
    memcpy(pat, p, pl);
    pat[pl] = '\0';
    return fnmatch(pat, sub, 0) == 0;
}

/* Does pattern p match sub as fnmatch(3) would?  A pattern whose first
 * byte is ordinary matches only subjects that start with that byte, and a
 * pattern without glob characters (as every pattern of a file without
 * them) matches only itself: both are decided without fnmatch.  (Kept for
 * the measured cost: see file_has.) */
static inline bool pattern_matches(const char *p, size_t pl, const char *sub, size_t sl,
                                   const file_has *has)
{
    if (!is_glob(p[0]) && p[0] != sub[0])
        return false;
    if (has->glob)
        for (size_t i = 0; i < pl; i++)
            if (is_glob(p[i]))
                return glob_matches(p, pl, sub);
    return pl == sl && memcmp(p, sub, sl) == 0;
}

/* One line of a user map, read: blank (comment or white space only), or
 * its two fields, or what is wrong with it. */
enum map_line_kind { MAP_BLANK, MAP_RULE, MAP_LONG, MAP_FIELDS, MAP_TEMPLATE };
typedef struct map_rule {
    const char *pat, *tpl; /* SUBJECT pattern, LOCALUSER template */
    size_t pl, tl;
} map_rule;

static inline enum map_line_kind map_line(const char *l, size_t n, const file_has *has,
                                          map_rule *r)
{
    line_content(&l, &n, has);
    if (n == 0)
        return MAP_BLANK;
    if (n > PJ_MAX_LINE)
        return MAP_LONG;
    if (!map_fields(l, n, has, &r->pat, &r->pl, &r->tpl, &r->tl))
        return MAP_FIELDS;
    if (has->pct && !template_ok(r->tpl, r->tl))
        return MAP_TEMPLATE;
    return MAP_RULE;
}

static void log_map_error(const pj_text *t, unsigned lineno, enum map_line_kind k,
                          const pj_log *log)
{
    if (k == MAP_LONG)
        pj_logf(log, LOG_ERR, "user_map_file %s:%u: line longer than %d bytes", t->path,
                lineno, PJ_MAX_LINE);
    else if (k == MAP_FIELDS)
        pj_logf(log, LOG_ERR, "user_map_file %s:%u: expected 'SUBJECT LOCALUSER'", t->path,
                lineno);
    else
        pj_logf(log, LOG_ERR, "user_map_file %s:%u: only %%s, %%l and %%%% may follow %%",
                t->path, lineno);
}

/* The one pass over a user map.  Every line is read, so a malformed line
 * anywhere makes the map unusable (-1, logged with its line number)
 * whichever line would have matched; otherwise 1 with the first rule whose
 * pattern matches sub in *hit, or 0. */
static int map_walk(const pj_text *t, const char *sub, map_rule *hit, const pj_log *log)
{
    pj_lines it = {t->buf, t->len, 0, 0};
    const char *l;
    size_t n, sl = strlen(sub);
    bool found = false;
    if (memchr(t->buf, '\0', t->len) != NULL) {
        pj_logf(log, LOG_ERR, "user_map_file %s: contains a NUL byte", t->path);
        return -1;
    }
    file_has has = file_bytes(t->buf, t->len);
    while (raw_line(&it, &l, &n)) {
        map_rule r;
        enum map_line_kind k = map_line(l, n, &has, &r);
        if (k == MAP_BLANK)
            continue;
        if (k != MAP_RULE) {
            log_map_error(t, it.lineno, k, log);
            return -1;
        }
        if (!found && pattern_matches(r.pat, r.pl, sub, sl, &has)) {
            *hit = r;
            found = true;
        }
    }
    return found ? 1 : 0;
}

/* The template with %s the subject, %l the subject up to its first '@'
 * (all of it without one), %% a '%'; other bytes copied. */
static char *expand(const char *u, size_t n, const char *sub)
{
    size_t sl = strlen(sub), ll = strcspn(sub, "@"), o = 0;
    char *out = malloc(n * (sl + 1) + 1); /* each byte at most a subject */
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

/* Does the template use %l (a '%' followed by 'l', %% being a '%')? */
static bool uses_local_part(const char *u, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (u[i] == '%') {
            if (u[i + 1] == 'l')
                return true;
            i++; /* %s or %% */
        }
    return false;
}

pj_map_result pj_map_user(const pj_config *c, const char *sub, char **user, const pj_log *log)
{
    map_rule hit = {NULL, NULL, 0, 0};
    const char *at;
    *user = NULL;
    if (c->user_map.buf == NULL) {
        *user = strdup(sub);
        return *user ? PJ_MAP_FOUND : PJ_MAP_NOMEM;
    }
    switch (map_walk(&c->user_map, sub, &hit, log)) {
    case 1: break;
    case 0: return PJ_MAP_NONE;
    default: return PJ_MAP_BROKEN;
    }
    /* %l cuts at the first '@' while a glob such as *@example.com matches
     * at the last: nobody@evil.org@example.com would map to nobody. */
    if ((at = strchr(sub, '@')) != NULL && strchr(at + 1, '@') != NULL &&
        uses_local_part(hit.tpl, hit.tl))
        return PJ_MAP_REFUSED;
    *user = expand(hit.tpl, hit.tl, sub);
    return *user ? PJ_MAP_FOUND : PJ_MAP_NOMEM;
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
