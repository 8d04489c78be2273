#include "config.h"

#include "subject.h"

#include "linescan.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* The raw line that starts at pos: its content with the comment cut and
 * white space trimmed (possibly empty) in *line, *n; returns where the next
 * line starts. */
static size_t line_at(const char *buf, size_t len, size_t pos, const char **line, size_t *n)
{
    const char *s = buf + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t l = nl ? (size_t)(nl - s) : len - pos;
    size_t next = pos + l + (nl ? 1 : 0);
    for (const char *h = memchr(s, '#', l); h != NULL;
         h = memchr(h + 1, '#', l - (size_t)(h + 1 - s)))
        if (h == s || pj_is_space((unsigned char)h[-1])) {
            l = (size_t)(h - s);
            break;
        }
    pj_trim(&s, &l);
    *line = s;
    *n = l;
    return next;
}

bool pj_lines_next(pj_lines *it, const char **line, size_t *n)
{
    while (it->pos < it->len) {
        const char *l;
        size_t ln;
        it->pos = line_at(it->buf, it->len, it->pos, &l, &ln);
        it->lineno++;
        if (ln > 0) {
            *line = l;
            *n = ln;
            return true;
        }
    }
    return false;
}

/* Where the line that holds byte pos starts. */
static size_t line_start(const char *buf, size_t pos)
{
    const char *nl = pos > 0 ? memrchr(buf, '\n', pos) : NULL;
    return nl ? (size_t)(nl - buf) + 1 : 0;
}

static bool at_line_start(const char *buf, size_t pos)
{
    return pos == 0 || buf[pos - 1] == '\n';
}

/* Looking for the lines that may start with an entry (a list line, a
 * user map pattern) a block at a time.  At first the block scanner looks
 * at first bytes only; once 32 lines have started with the entry's first
 * byte and were something else (entries that share a prefix, such as
 * "jti-000123"), it also checks the entry's last byte and the byte after
 * it, which costs it a third more per block. */
typedef struct finder {
    const char *buf;
    size_t len, pos;   /* pos: the next block */
    pj_ls_want want;
    const char *entry;
    size_t entry_len;
    unsigned misses;
} finder;

static finder finder_start(const char *buf, size_t len, const char *entry, size_t el, bool glob)
{
    finder f = {buf, len, 0, {(unsigned char)entry[0], 0, 0, glob}, entry, el, 0};
    return f;
}

/* The next block with hits, at f->pos; false at the last blocks, which
 * the caller reads line by line from the line that holds f->pos. */
static bool finder_next(finder *f, pj_ls_hits *h)
{
    /* the scanner reads want.len bytes past its blocks */
    if (f->len - f->pos < PJ_LS_BLOCK + f->want.len)
        return false;
    size_t nb = (f->len - f->pos - f->want.len) / PJ_LS_BLOCK;
    size_t i = pj_ls_find(f->buf + f->pos, nb, &f->want, at_line_start(f->buf, f->pos), h);
    f->pos += i * PJ_LS_BLOCK;
    return i < nb;
}

/* A hit at q that was not the entry. */
static void finder_miss(finder *f, size_t q)
{
    if (f->buf[q] == f->entry[0] && ++f->misses == 32 && f->entry_len < f->len) {
        f->want.last = (unsigned char)f->entry[f->entry_len - 1];
        f->want.len = f->entry_len;
    }
}

/* ------------------------------------------------------------ lists */

/* Can want be a whole line as the reader returns it?  Not when it is
 * empty, has white space at either end, holds an LF, or has a '#' at its
 * start or after white space (a comment would start there). */
static bool entry_possible(const char *w, size_t n)
{
    if (n == 0 || w[0] == '#' || pj_is_space((unsigned char)w[0]) ||
        pj_is_space((unsigned char)w[n - 1]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (w[i] == '\n' || (w[i] == '#' && pj_is_space((unsigned char)w[i - 1])))
            return false;
    return true;
}

/* Does the raw line starting at q read as want?  When it starts with
 * want's first byte (no leading white space), compare in place: want, then
 * only white space up to the end of the line or to a comment. */
static bool line_reads(const char *buf, size_t len, size_t q, const char *want, size_t wl)
{
    if (buf[q] != want[0]) {
        const char *l;
        size_t n;
        (void)line_at(buf, len, q, &l, &n);
        return n == wl && memcmp(l, want, wl) == 0;
    }
    if (len - q < wl || memcmp(buf + q, want, wl) != 0)
        return false;
    size_t a = q + wl;
    while (a < len && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r'))
        a++;
    return a == len || buf[a] == '\n' || (buf[a] == '#' && a > q + wl);
}

/* Is want one of the file's lines (after comments and trimming)?  The
 * block scanner points at the only lines that can be: those starting with
 * want's first byte, and those starting with white space. */
static bool line_equals(const pj_text *t, const char *want)
{
    const char *buf = t->buf;
    size_t len = t->len, wl = strlen(want);
    pj_ls_hits h;
    if (!entry_possible(want, wl) || wl > len)
        return false;
    finder f = finder_start(buf, len, want, wl, false);
    while (finder_next(&f, &h)) {
        for (uint64_t m = h.hits; m != 0; m &= m - 1) {
            size_t q = f.pos + (size_t)__builtin_ctzll(m);
            if (line_reads(buf, len, q, want, wl))
                return true;
            finder_miss(&f, q);
        }
        f.pos += PJ_LS_BLOCK;
    }
    /* the last blocks: their lines one by one */
    for (size_t q = line_start(buf, f.pos); q < len;) {
        const char *l;
        size_t n;
        q = line_at(buf, len, q, &l, &n);
        if (n == wl && memcmp(l, want, wl) == 0)
            return true;
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

/* ------------------------------------------------------------ user map */

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

static bool is_glob(char c)
{
    return c == '*' || c == '?' || c == '[' || c == '\\';
}

static bool has_glob(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_glob(p[i]))
            return true;
    return false;
}

/* The whole file by the plain rules, naming the first bad line. */
static int map_validate_lines(const pj_text *t, const pj_log *log)
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

/* The raw lines from line start q that start before limit, by the plain
 * rules (a NUL anywhere in them counts as bad); *next: where they end. */
static bool map_lines_ok(const char *buf, size_t len, size_t q, size_t limit, size_t *next)
{
    size_t from = q;
    while (q < limit && q < len) {
        const char *l, *p, *u;
        size_t n, pl, ul;
        q = line_at(buf, len, q, &l, &n);
        if (n > 0 && (n > PJ_MAX_LINE || !map_fields(l, n, &p, &pl, &u, &ul) ||
                      !template_ok(u, ul)))
            return false;
    }
    *next = q;
    return memchr(buf + from, '\0', q - from) == NULL;
}

/* Run the block scanner from line start pos: returns the line start up to
 * which it vouches for the lines, and in *upto the end of the block where
 * it stopped (len if it did not). */
static size_t map_scan(const char *buf, size_t len, size_t pos, bool ws, size_t *upto)
{
    size_t nb = (len - pos) / PJ_LS_BLOCK, k = nb > 0 ? pj_ls_map_blocks(buf + pos, nb, ws) : 0;
    *upto = k < nb ? pos + (k + 1) * PJ_LS_BLOCK : len;
    return line_start(buf, pos + k * PJ_LS_BLOCK);
}

/* True only if every line is well formed.  The block scanner vouches for
 * runs of plain "SUBJECT USER" lines, or, once a file shows tabs, CR or
 * runs of white space, for those; where it stops (comments, '%', blank
 * lines, long lines, errors) the lines are checked one by one, then the
 * scanner takes over again.  When it keeps stopping at once, each stretch
 * read line by line is longer than the last, up to 4 KiB, so restarting
 * it costs little. */
static bool map_valid_fast(const char *buf, size_t len)
{
    size_t pos = 0, stretch = 0;
    bool ws = false;
    while (pos < len) {
        size_t upto, v = map_scan(buf, len, pos, ws, &upto);
        if (!ws && upto < len) {
            size_t upto2, v2 = map_scan(buf, len, v, true, &upto2);
            if (v2 > v) {
                ws = true;
                v = v2;
                upto = upto2;
            }
        }
        stretch = v > pos ? 0 : stretch;
        if (!map_lines_ok(buf, len, v, upto + stretch, &pos))
            return false;
        stretch = stretch < 32 * PJ_LS_BLOCK ? 2 * stretch + PJ_LS_BLOCK : stretch;
    }
    return true;
}

int pj_user_map_validate(const pj_text *t, const pj_log *log)
{
    /* A file the fast check doubts is read again by the plain rules: they
     * decide, and name the line. */
    if (map_valid_fast(t->buf, t->len))
        return 0;
    return map_validate_lines(t, log);
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

static bool pattern_matches(const char *p, size_t pl, const char *sub, size_t sl)
{
    if (!has_glob(p, pl))
        return pl == sl && memcmp(p, sub, sl) == 0; /* a literal: no fnmatch */
    char pat[PJ_MAX_LINE + 1];
    memcpy(pat, p, pl);
    pat[pl] = '\0';
    return fnmatch(pat, sub, 0) == 0;
}

/* The raw lines from line start q that start before limit, in order:
 * 1 (and *user) at the first that maps sub, -1 out of memory, else 0 and
 * *next where they end. */
static int map_lines(const char *buf, size_t len, size_t q, size_t limit, const char *sub,
                     size_t sl, char **user, size_t *next)
{
    while (q < limit && q < len) {
        const char *l, *p, *u;
        size_t n, pl, ul;
        q = line_at(buf, len, q, &l, &n);
        if (n == 0 || !map_fields(l, n, &p, &pl, &u, &ul) || pl > PJ_MAX_LINE)
            continue; /* blank, or not validated: never reached */
        if (pattern_matches(p, pl, sub, sl)) {
            *user = expand(u, ul, sub);
            return *user ? 1 : -1;
        }
    }
    *next = q;
    return 0;
}

/* Can the block scanner look for sub?  A literal pattern equal to it then
 * starts its line with sub's first byte (not white space, not '#') and has
 * no glob character, and a glob pattern shows a glob character. */
static bool subject_plain(const char *sub, size_t sl)
{
    if (sl == 0 || sub[0] == '#')
        return false;
    for (size_t i = 0; i < sl; i++)
        if ((unsigned char)sub[i] <= 0x20 || is_glob(sub[i]))
            return false;
    return true;
}

/* Could the line starting at q (with sub's first byte) have the pattern
 * sub?  Then sub is followed by the white space before the second field. */
static bool pattern_may_be(const char *buf, size_t len, size_t q, const char *sub, size_t sl)
{
    return len - q > sl && memcmp(buf + q, sub, sl) == 0 &&
           (buf[q + sl] == ' ' || buf[q + sl] == '\t' || buf[q + sl] == '\r');
}

int pj_map_user(const pj_config *c, const char *sub, char **user)
{
    *user = NULL;
    if (c->user_map.buf == NULL) {
        *user = strdup(sub);
        return *user ? 1 : -1;
    }
    const char *buf = c->user_map.buf;
    size_t len = c->user_map.len, sl = strlen(sub), next;
    if (!subject_plain(sub, sl))
        return map_lines(buf, len, 0, len, sub, sl, user, &next);
    /* Lines that start with neither sub's first byte nor white space, in
     * blocks without glob characters, cannot match: skip them.  A block
     * with a glob character is read line by line, from the line that holds
     * its first byte. */
    finder f = finder_start(buf, len, sub, sl, true);
    pj_ls_hits h;
    while (finder_next(&f, &h)) {
        int r;
        if (h.glob != 0) {
            r = map_lines(buf, len, line_start(buf, f.pos), f.pos + PJ_LS_BLOCK, sub, sl, user,
                          &f.pos);
            if (r != 0)
                return r;
            continue;
        }
        for (uint64_t m = h.hits; m != 0; m &= m - 1) {
            size_t q = f.pos + (size_t)__builtin_ctzll(m);
            if (buf[q] == sub[0] && !pattern_may_be(buf, len, q, sub, sl)) {
                finder_miss(&f, q);
                continue;
            }
            r = map_lines(buf, len, q, q + 1, sub, sl, user, &next);
            if (r != 0)
                return r;
        }
        f.pos += PJ_LS_BLOCK;
    }
    return map_lines(buf, len, line_start(buf, f.pos), len, sub, sl, user, &next);
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
