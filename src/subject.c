/* Who may log in and as whom: the list files (allowed_subjects_file,
 * revoked_file) and the user map, read line by line with one reader. */
#include "config.h"

#include "subject.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ lines */

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
 * file.  A line need not be searched for a byte its file lacks: one memchr
 * over a whole 3 MB file costs what a few hundred searches of single lines
 * cost. */
typedef struct file_has {
    bool hash;   /* '#' (comments) */
    bool tab_cr; /* tab or CR (white space other than ' ') */
    bool pct;    /* '%' (user map templates) */
} file_has;

static const file_has has_all = {true, true, true};

static file_has file_bytes(const char *buf, size_t len)
{
    file_has h = {memchr(buf, '#', len) != NULL,
                  memchr(buf, '\t', len) != NULL || memchr(buf, '\r', len) != NULL,
                  memchr(buf, '%', len) != NULL};
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

bool pj_lines_next(pj_lines *it, const char **line, size_t *n)
{
    const char *s;
    size_t l;
    while (raw_line(it, &s, &l)) {
        line_content(&s, &l, &has_all);
        if (l > 0) {
            *line = s;
            *n = l;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ lists */

/* Is want, exactly, one of the lines of t (as pj_lines_next reads them)?
 * A line's content is a piece of the raw line that starts at its first
 * byte, unless that byte is white space (trimmed) or the content is empty;
 * so a raw line shorter than want, or whose first byte is neither want's
 * nor white space, cannot read as want and is not looked into. */
static bool listed(const pj_text *t, const char *want)
{
    pj_lines it = {t->buf, t->len, 0, 0};
    size_t wl = strlen(want);
    const char *s;
    size_t l;
    if (wl == 0)
        return false; /* pj_lines_next returns no empty line */
    while (raw_line(&it, &s, &l)) {
        if (l < wl || (s[0] != want[0] && !pj_is_space((unsigned char)s[0])))
            continue;
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

/* What can be wrong with a line of a user map. */
enum map_error { MAP_OK, MAP_LONG, MAP_FIELDS, MAP_TEMPLATE };

/* Check a raw line of a user map: comments and blank lines are fine. */
static inline enum map_error map_line_check(const char *l, size_t n, const file_has *has)
{
    const char *p, *u;
    size_t pl, ul;
    line_content(&l, &n, has);
    if (n == 0)
        return MAP_OK;
    if (n > PJ_MAX_LINE)
        return MAP_LONG;
    if (!map_fields(l, n, has, &p, &pl, &u, &ul))
        return MAP_FIELDS;
    if (has->pct && !template_ok(u, ul))
        return MAP_TEMPLATE;
    return MAP_OK;
}

int pj_user_map_validate(const pj_text *t, const pj_log *log)
{
    pj_lines it = {t->buf, t->len, 0, 0};
    const char *l;
    size_t n;
    if (memchr(t->buf, '\0', t->len) != NULL) {
        pj_logf(log, LOG_ERR, "user_map_file %s: contains a NUL byte", t->path);
        return -1;
    }
    file_has has = file_bytes(t->buf, t->len);
    while (raw_line(&it, &l, &n)) {
        switch (map_line_check(l, n, &has)) {
        case MAP_OK:
            continue;
        case MAP_LONG:
            pj_logf(log, LOG_ERR, "user_map_file %s:%u: line longer than %d bytes", t->path,
                    it.lineno, PJ_MAX_LINE);
            return -1;
        case MAP_FIELDS:
            pj_logf(log, LOG_ERR, "user_map_file %s:%u: expected 'SUBJECT LOCALUSER'", t->path,
                    it.lineno);
            return -1;
        case MAP_TEMPLATE:
            pj_logf(log, LOG_ERR, "user_map_file %s:%u: only %%s, %%l and %%%% may follow %%",
                    t->path, it.lineno);
            return -1;
        }
    }
    return 0;
}

static bool is_glob(char c)
{
    return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* fnmatch(3) without flags; a pattern without glob characters matches
 * only itself, so it is compared without fnmatch. */
static bool pattern_matches(const char *p, size_t pl, const char *sub, size_t sl)
{
    bool glob = false;
    for (size_t i = 0; i < pl && !glob; i++)
        glob = is_glob(p[i]);
    if (!glob)
        return pl == sl && memcmp(p, sub, sl) == 0;
    char pat[PJ_MAX_LINE + 1];
    memcpy(pat, p, pl);
    pat[pl] = '\0';
    return fnmatch(pat, sub, 0) == 0;
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

/* Can a pattern whose first byte is c match sub?  Not when c is an
 * ordinary byte other than sub's first: fnmatch matches it only with
 * itself.  (A line whose first byte is white space is looked into.) */
static bool may_match(unsigned char c, const char *sub)
{
    return c == (unsigned char)sub[0] || is_glob((char)c) || pj_is_space(c);
}

pj_map_result pj_map_user(const pj_config *c, const char *sub, char **user)
{
    *user = NULL;
    if (c->user_map.buf == NULL) {
        *user = strdup(sub);
        return *user ? PJ_MAP_FOUND : PJ_MAP_NOMEM;
    }
    pj_lines it = {c->user_map.buf, c->user_map.len, 0, 0};
    const char *l, *p, *u;
    size_t n, pl, ul, sl = strlen(sub);
    while (raw_line(&it, &l, &n)) {
        if (n == 0 || !may_match((unsigned char)l[0], sub))
            continue;
        line_content(&l, &n, &has_all);
        if (n == 0 || !map_fields(l, n, &has_all, &p, &pl, &u, &ul) || pl > PJ_MAX_LINE)
            continue; /* blank, or not validated: never reached */
        if (pattern_matches(p, pl, sub, sl)) {
            *user = expand(u, ul, sub);
            return *user ? PJ_MAP_FOUND : PJ_MAP_NOMEM;
        }
    }
    return PJ_MAP_NONE;
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
