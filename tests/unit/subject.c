/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/subject.c. */
#include "unit.h"

void test_subjects(void)
{
    int rc;
    pj_config *c = parse("key_file = /k\nallowed_subjects = alice bob\n", &rc);
    ok(pj_subject_allowed(c, "alice"), "allowed_subjects: listed");
    ok(!pj_subject_allowed(c, "Alice"), "allowed_subjects: case sensitive");
    ok(!pj_subject_allowed(c, "alic"), "allowed_subjects: no prefix match");
    char *u = NULL;
    is_int(pj_map_user(c, "alice", &u, &LOG), 1, "no user_map_file: subject is the user");
    ok(u && strcmp(u, "alice") == 0, "no user_map_file: user = subject");
    free(u);
    const char *map = "# comment\n"
                      "admin@corp.example  root   # trailing\n"
                      "*@corp.example jwt-%l\n"
                      "svc-?? %s\n"
                      "lit%%eral x%%y\n"
                      "*@multi.example %s\n"
                      "*@pct.example a%%l\n";
    c->user_map.buf = strdup(map);
    c->user_map.len = strlen(map);
    c->user_map.path = strdup("/map");
    u = NULL;
    ok(pj_map_user(c, "nobody", &u, &LOG) == PJ_MAP_NONE, "user map validates");
    struct { const char *sub; int r; const char *user; } m[] = {
        {"admin@corp.example", 1, "root"}, {"bob@corp.example", 1, "jwt-bob"},
        {"svc-01", 1, "svc-01"}, {"svc-001", 0, NULL}, {"bob@evil.example", 0, NULL},
        {"bob@corp.example.evil", 0, NULL},
        /* %l cuts at the first '@', the glob matches at the last: refused */
        {"nobody@evil.example@corp.example", PJ_MAP_REFUSED, NULL},
        {"@@corp.example", PJ_MAP_REFUSED, NULL},
        {"x@y@multi.example", 1, "x@y@multi.example"}, /* %s: the whole subject */
        {"x@y@pct.example", 1, "a%l"},                 /* %%l is not %l */
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        u = NULL;
        int r = pj_map_user(c, m[i].sub, &u, &LOG);
        ok(r == m[i].r && (m[i].user == NULL || (u && strcmp(u, m[i].user) == 0)),
           "user map: %s -> %s", m[i].sub, m[i].user ? m[i].user : "(no match)");
        free(u);
    }
    const char *bads[] = {"onlyone\n", "a b c\n", "a %x\n", "a b%\n"};
    for (size_t i = 0; i < 4; i++) {
        pj_text t = {(char *)"/map", (char *)bads[i], strlen(bads[i])};
        pj_config bc = {.user_map = t};
        is_int(pj_map_user(&bc, "a", &u, &LOG), PJ_MAP_BROKEN,
               "user map: malformed line refused: %.*s", (int)strcspn(bads[i], "\n"), bads[i]);
    }
    pj_config_free(c);

    /* revoked_file / allowed_subjects_file lines: what the line reader makes
     * of each line (comments cut, trimmed) is what is listed */
    c = parse("key_file = /k\nallowed_subjects = nobody\n", &rc);
    const char *list = "alice\n  bob  \n# carol\ndave # comment\nerin#x\nfrank\r\n\tgina\n"
                       "x #y\nhank\n#\n";
    c->revoked.buf = strdup(list);
    c->revoked.len = strlen(list);
    c->subjects_file.buf = strdup(list);
    c->subjects_file.len = strlen(list);
    struct { const char *q; bool want; } lq[] = {
        {"alice", true}, {"bob", true}, {"carol", false}, {"# carol", false}, {"dave", true},
        {"dave # comment", false}, {"erin", false}, {"erin#x", true}, {"frank", true},
        {"gina", true}, {"ali", false}, {"lice", false}, {"x", true}, {"x #y", false},
        {"hank", true}, {"alice\n  bob", false}, {"", false}, {"#", false}, {" bob", false},
    };
    for (size_t i = 0; i < sizeof(lq) / sizeof(lq[0]); i++) {
        ok(pj_jti_revoked(c, lq[i].q) == lq[i].want, "list lines: '%s' %s", lq[i].q,
           lq[i].want ? "listed" : "not listed");
        ok(pj_subject_allowed(c, lq[i].q) == (lq[i].want || strcmp(lq[i].q, "nobody") == 0),
           "allowed_subjects_file agrees for '%s'", lq[i].q);
    }
    pj_config_free(c);
    const char *names[] = {"root", "jwt-bob", "a.b_c", "bob@corp.example"};
    for (size_t i = 0; i < 4; i++)
        ok(pj_user_name_ok(names[i]), "user name ok: %s", names[i]);
    const char *badnames[] = {"", "a b", "a/b", "a:b", "-rf", "a\tb", "a\nb"};
    for (size_t i = 0; i < 7; i++)
        ok(!pj_user_name_ok(badnames[i]), "user name refused: '%s'", badnames[i]);
}

/* pj_jti_revocable says exactly which jtis, written as a line of
 * revoked_file, pj_jti_revoked then finds: checked both ways for every
 * entry, and against the expected answer (so that both cannot be wrong
 * alike). */

static bool revoked_as_line(const char *jti, size_t len, const char *before, const char *after)
{
    int rc;
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    fputs(before, f);
    fwrite(jti, 1, len, f);
    fputs(after, f);
    fclose(f);
    pj_config *c = parse("key_file = /k\nallowed_subjects = *\n", &rc);
    c->revoked.path = strdup("/revoked");
    c->revoked.buf = text;
    c->revoked.len = n;
    bool found = pj_jti_revoked(c, jti); /* as the decision code passes it: a C string */
    pj_config_free(c);
    return found;
}

void test_jti_revocable(void)
{
#define J(lit, want) {lit, sizeof(lit) - 1, want}
    static const struct { const char *jti; size_t len; bool want; } t[] = {
        /* ordinary */
        J("j1", true), J("0b5f6c1e-7d3a-4c2e-9f11-2a6b7c8d9e0f", true), J("x", true),
        J("jti#1", true), J("a##", true), J("a# b", true), J("a b", true), J("a  b c", true),
        /* UTF-8, and bytes that are not UTF-8: the reader does not care */
        J("jti-\xc3\xa9t\xc3\xa9", true), J("\xe6\x97\xa5\xe6\x9c\xac", true),
        J("\xf0\x9f\x94\x91-key", true), J("\xff\xfe", true),
        /* control characters: a list line could hold most of them, but no
         * administrator types them, so they are refused (issue: tab, CR,
         * ESC, DEL, ...) */
        J("a\tb", false), J("a\rb", false), J("a\x01" "b", false), J("a\x7f", false),
        J("\x1b[0m", false),
        /* empty, white space at either end: trimmed */
        J("", false), J(" ", false), J(" a", false), J("a ", false), J("\ta", false),
        J("a\t", false), J("\ra", false), J("a\r", false), J("\na", false), J("a\n", false),
        /* comments: '#' first, or after white space */
        J("#", false), J("#a", false), J("a #", false), J("a #b", false), J("a\t#b", false),
        J("a\r#b", false), J("a b #c", false),
        /* LF splits the line; NUL cuts the C string short */
        J("a\nb", false), J("a\0b", false), J("\0", false), J("a\0", false),
    };
#undef J
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char safe[128];
        pj_sanitize(safe, sizeof(safe), t[i].jti, t[i].len);
        bool r = pj_jti_revocable(t[i].jti, t[i].len);
        bool mid = revoked_as_line(t[i].jti, t[i].len, "other-1\n", "\nother-2\n");
        bool alone = revoked_as_line(t[i].jti, t[i].len, "", "");
        bool crlf = revoked_as_line(t[i].jti, t[i].len, "other-1\r\n", "\r\nother-2\r\n");
        /* revocable implies found as a line; a control character is
         * refused even where the reader would find it */
        bool ctl = false;
        for (size_t k = 0; k < t[i].len; k++)
            ctl |= (unsigned char)t[i].jti[k] < 0x20 || (unsigned char)t[i].jti[k] == 0x7f;
        ok(r == t[i].want && (ctl ? !r : (mid == r && alone == r && crlf == r)),
           "jti '%s': revocable %d, found as a line %d/%d/%d, want %d", safe, r, mid, alone,
           crlf, t[i].want);
    }
    /* every single byte, and every byte between two letters */
    unsigned bad = 0;
    for (int b = 0; b < 256; b++) {
        char one[2] = {(char)b, '\0'}, three[4] = {'a', (char)b, 'z', '\0'};
        bool ctl = b < 0x20 || b == 0x7f;
        bad += pj_jti_revocable(one, 1) != (!ctl && revoked_as_line(one, 1, "x\n", "\ny\n"));
        bad += pj_jti_revocable(three, 3) !=
               (!ctl && revoked_as_line(three, 3, "x\n", "\ny\n"));
    }
    ok(bad == 0, "revocable <=> printable and found as a line, for each byte alone and inside "
                 "a jti");
}

/* ------------------------------------------------------------ big lists
 * The list lookups and the user map on files of hundreds of lines: the
 * lines they skip without reading (by their first byte), the lines they
 * read, and bad lines at every offset in the file. */

/* A config whose user map, allowed_subjects_file and revoked_file all hold
 * text[0..len). */
static pj_config *lists_of(const char *text, size_t len)
{
    int rc;
    pj_config *c = parse("key_file = /k\nallowed_subjects = nobody\n", &rc);
    pj_text *t[3] = {&c->user_map, &c->subjects_file, &c->revoked};
    for (int i = 0; i < 3; i++) {
        t[i]->path = strdup("/map");
        t[i]->buf = pj_strndup(text, len);
        t[i]->len = len;
    }
    return c;
}

/* What text, as a user map, makes of sub: the user name, "-" for no
 * match, "!" when the map is refused (the log line in lastlog). */
static char *map_text(const char *text, size_t len, const char *sub)
{
    pj_config *c = lists_of(text, len);
    char *u = NULL;
    lastlog[0] = '\0';
    switch (pj_map_user(c, sub, &u, &LOG)) {
    case PJ_MAP_BROKEN: u = strdup("!"); break;
    case PJ_MAP_NONE: u = strdup("-"); break;
    case PJ_MAP_REFUSED: u = strdup("@@"); break;
    default: break;
    }
    pj_config_free(c);
    return u;
}

static bool map_is(const char *text, const char *sub, const char *want)
{
    char *u = map_text(text, strlen(text), sub);
    bool good = u && strcmp(u, want) == 0;
    if (!good)
        printf("#   map of '%s': got '%s', want '%s'\n", sub, u ? u : "(null)", want);
    free(u);
    return good;
}

static bool listed(const char *text, size_t len, const char *w)
{
    pj_config *c = lists_of(text, len);
    bool a = pj_subject_allowed(c, w), b = pj_jti_revoked(c, w);
    pj_config_free(c);
    if (a != b)
        printf("#   allowed_subjects_file and revoked_file disagree on '%s'\n", w);
    return a && b;
}

/* Filler lines like the benchmark's: "user000007@example.com other". */
static void filler(FILE *f, int from, int n, const char *eol)
{
    for (int i = from; i < from + n; i++)
        fprintf(f, "user%06d@example.com other%s", i, eol);
}

/* 300 filler lines, middle, 300 more; a string to free. */
static char *around(const char *middle, const char *eol)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    filler(f, 0, 300, eol);
    fputs(middle, f);
    filler(f, 300, 300, eol);
    fclose(f);
    return s;
}

#define SUB "benchsub@example.com"

static void big_list_lines(void)
{
    char *t, *s = NULL;
    size_t n = 0;
    FILE *f;

    f = open_memstream(&s, &n);
    fputs(SUB " first\n", f);
    filler(f, 0, 300, "\n");
    fputs(SUB " me\n", f);
    fclose(f);
    ok(map_is(s, SUB, "first"), "user map: the first of two matching lines wins");
    ok(map_is(s, "user000299@example.com", "other"),
       "user map: match in the last filler line");
    ok(map_is(s, "benchsub@example.co", "-") && map_is(s, "enchsub@example.com", "-") &&
           map_is(s, SUB "m", "-") && map_is(s, "b", "-"),
       "user map: prefixes and suffixes of a pattern do not match");
    free(s);

    f = open_memstream(&s, &n);
    filler(f, 0, 600, "\n");
    fputs(SUB " me", f);
    fclose(f);
    ok(map_is(s, SUB, "me") && map_is(s, "user000599@example.com", "other"),
       "user map: match in the last line, without its newline");
    ok(listed(s, n, SUB " me") && !listed(s, n, SUB),
       "lists: last line without a newline");
    free(s);
    t = around(SUB " me\n", "\r\n");
    ok(map_is(t, SUB, "me") && map_is(t, "user000599@example.com", "other") &&
           listed(t, strlen(t), "user000001@example.com other") &&
           !listed(t, strlen(t), "user000001@example.com other\r"),
       "CRLF lines");
    free(t);
    t = around(" \t " SUB " \t me\t \r\n", "\n");
    ok(map_is(t, SUB, "me"), "user map: leading and trailing spaces and tabs");
    ok(listed(t, strlen(t), SUB " \t me") && !listed(t, strlen(t), SUB),
       "lists: the line is trimmed, inner white space kept");
    free(t);
    t = around("# " SUB " root\nx y # " SUB " root\n#" SUB " root\n", "\n");
    ok(map_is(t, SUB, "-"), "user map: the subject in comments does not match");
    ok(!listed(t, strlen(t), SUB) && !listed(t, strlen(t), SUB " root") &&
           listed(t, strlen(t), "x y"),
       "lists: the subject in comments is not listed");
    free(t);
    t = around(SUB "#x y\n" SUB "x y\n", "\n");
    ok(map_is(t, SUB, "-") && map_is(t, SUB "#x", "y"),
       "user map: '#' inside a pattern is part of it");
    free(t);
}

static void big_list_globs_and_templates(void)
{
    char *t;
    char *s = NULL;
    size_t n = 0;
    FILE *f;
    f = open_memstream(&s, &n);
    filler(f, 0, 100, "\n");
    fputs("bench*@example.com globuser\n", f);
    filler(f, 100, 100, "\n");
    fputs(SUB " me\n[b]ench?ub@example.com other\n", f);
    fclose(f);
    ok(map_is(s, SUB, "globuser"), "user map: a glob line before the literal wins");
    ok(map_is(s, "benchsXb@example.com", "globuser") && map_is(s, "bench@example.com", "globuser"),
       "user map: glob patterns");
    free(s);
    t = around(SUB " me\n*@example.com other\n", "\n");
    ok(map_is(t, SUB, "me") && map_is(t, "x@example.com", "other"),
       "user map: a literal line before a glob wins");
    free(t);

    t = around(SUB " jwt-%l\nalice@corp %s\nbob a%%b\n", "\n");
    ok(map_is(t, SUB, "jwt-benchsub") && map_is(t, "alice@corp", "alice@corp") &&
           map_is(t, "bob", "a%b"),
       "user map: %%l, %%s and %%%% templates");
    free(t);

    /* a file whose only glob character is one of * ? [ \\ (each read as
     * a pattern, not as a literal) */
    const char *only[][2] = {{"bench*", "benchsub"}, {"be?chsub", "benchsub"},
                             {"[b]enchsub", "benchsub"}, {"\\benchsub", "benchsub"},
                             {"\\*enchsub", "*enchsub"}};
    for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "%s g\n", only[i][0]);
        t = around(line, "\n");
        ok(map_is(t, only[i][1], "g"), "user map: a file whose only glob is in '%s'",
           only[i][0]);
        free(t);
    }
}

static void big_list_bad_lines(void)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f;
    /* a bad line after the matching one refuses the whole map, named */
#define BYTES(lit) lit, sizeof(lit) - 1
    struct { const char *line; size_t len; const char *log; } bad[] = {
        {BYTES("onefield\n"), "/map:602: expected 'SUBJECT LOCALUSER'"},
        {BYTES("a b c\n"), "/map:602: expected 'SUBJECT LOCALUSER'"},
        {BYTES("a\tb c\n"), "/map:602: expected 'SUBJECT LOCALUSER'"},
        {BYTES("a b%x\n"), "/map:602: only %s, %l and %% may follow %"},
        {BYTES("a b%\n"), "/map:602: only %s, %l and %% may follow %"},
        {BYTES("a b\0c\n"), "/map: contains a NUL byte"},
        {BYTES("# a comment with a NUL \0\n"), "/map: contains a NUL byte"},
    };
#undef BYTES
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f = open_memstream(&s, &n);
        filler(f, 0, 300, "\n");
        fputs(SUB " me\n", f);
        filler(f, 300, 300, "\n");
        fwrite(bad[i].line, 1, bad[i].len, f);
        filler(f, 600, 100, "\n");
        fclose(f);
        char *u = map_text(s, n, SUB);
        ok(u && strcmp(u, "!") == 0 && strstr(lastlog, bad[i].log) != NULL,
           "user map: bad line after the match refused: %s", bad[i].log);
        if (!(u && strcmp(u, "!") == 0))
            printf("#   mapped to '%s', log: %s\n", u ? u : "(null)", lastlog);
        free(u);
        free(s);
    }

    /* PJ_MAX_LINE: a line of 4096 bytes is fine, 4097 is not; a longer
     * comment is fine */
    for (int extra = 0; extra < 2; extra++) {
        f = open_memstream(&s, &n);
        fputs("# ", f);
        for (int i = 0; i < 9000; i++)
            fputc('c', f);
        fputs("\n", f);
        filler(f, 0, 100, "\n");
        for (int i = 0; i < 4096 - 2 + extra; i++)
            fputc('p', f);
        fputs(" u\n", f);
        filler(f, 100, 100, "\n");
        fclose(f);
        char *u = map_text(s, n, "user000150@example.com");
        if (extra == 0)
            ok(u && strcmp(u, "other") == 0,
               "user map: a 4096-byte line and a long comment");
        else
            ok(u && strcmp(u, "!") == 0 && strstr(lastlog, "/map:102: line longer than 4096 bytes"),
               "user map: a 4097-byte line refused");
        free(u);
        free(s);
    }
}

/* list lines that the entry is a prefix or a suffix of */
static void big_list_no_prefixes(void)
{
    char *t;
    t = around("alice@example.com\nxalice@example.com\n", "\n");
    ok(listed(t, strlen(t), "alice@example.com") && !listed(t, strlen(t), "alice@example.co") &&
           !listed(t, strlen(t), "lice@example.com") && !listed(t, strlen(t), "alice") &&
           !listed(t, strlen(t), "user000001@example.com") &&
           !listed(t, strlen(t), "user000001@example.com othe") &&
           !listed(t, strlen(t), "ser000001@example.com other"),
       "lists: prefixes and suffixes of lines are not listed");
    free(t);
}

static void big_list_cases(void)
{
    big_list_lines();
    big_list_globs_and_templates();
    big_list_bad_lines();
    big_list_no_prefixes();
}

/* A prefix of exactly off bytes (map lines "aaa u", or with crlf
 * "aaa<TAB>u<CR>", or blank and comment lines when too short for one),
 * then line, then three filler lines. */
static char *at_offset(size_t off, const char *line, bool crlf)
{
    static const char *const shortp[5] = {"", "\n", "#\n", "#x\n", "#xy\n"};
    const char *tail = crlf ? "\tu\r\n" : " u\n";
    size_t min = strlen(tail) + 1;
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (off < min) {
        fputs(shortp[off], f);
    } else {
        /* lines of min..min+36 bytes, the last one taking up the rest */
        for (size_t left = off; left > 0;) {
            size_t w = left > 2 * min + 36 ? min + (left * 7) % 37 : left;
            for (size_t i = 0; i + min - 1 < w; i++)
                fputc('a' + (char)(i % 26), f);
            fputs(tail, f);
            left -= w;
        }
    }
    fputs(line, f);
    filler(f, 0, 3, crlf ? "\r\n" : "\n");
    fclose(f);
    return s;
}

/* A line at every offset up to 200 bytes into the file, behind plain lines
 * and behind tab-separated CRLF lines: found, mapped, or refused with its
 * line number, wherever it is. */
static void big_list_offsets(bool crlf)
{
    const char *what = crlf ? "behind TAB/CRLF lines" : "behind plain lines";
    unsigned bad_map = 0, bad_ws = 0, bad_list = 0, bad_refuse = 0, bad_near = 0, bad_glob = 0;
    static const char *const refused[] = {SUB "\n",          SUB " \n",         SUB " a b\n",
                                          SUB "\t%x\n",      SUB " \t\r\n",     SUB "\r\ta\tb\r\n",
                                          SUB " a%\n",        SUB "  a b\n"};
    /* glob lines before the literal one win; the glob character at the
     * start, middle or end of the pattern */
    static const char *const globs[] = {"*@example.com g\n" SUB " me\n",
                                        "[b]enchsub@example.com g\n" SUB " me\n",
                                        "benchsub@example.co? g\n" SUB " me\n",
                                        "benchsub@example.co\\m g\n" SUB " me\n"};
    for (size_t off = 0; off < 200; off++) {
        char *t = at_offset(off, SUB " me\n", crlf);
        bad_map += !map_is(t, SUB, "me");
        bad_near += !map_is(t, "benchsub@example.co", "-") + !map_is(t, "enchsub@example.com", "-");
        free(t);
        t = at_offset(off, SUB "\tme\r\n", crlf);
        bad_ws += !map_is(t, SUB, "me");
        free(t);
        t = at_offset(off, " \t" SUB " \t\r me \r\n", crlf);
        bad_ws += !map_is(t, SUB, "me");
        free(t);
        for (size_t g = 0; g < sizeof(globs) / sizeof(globs[0]); g++) {
            t = at_offset(off, globs[g], crlf);
            bad_glob += !map_is(t, SUB, "g");
            free(t);
        }
        t = at_offset(off, "  " SUB "\n", crlf);
        bad_list += !listed(t, strlen(t), SUB) + listed(t, strlen(t), "benchsub@example.co") +
                    listed(t, strlen(t), "enchsub@example.com");
        free(t);
        for (size_t r = 0; r < sizeof(refused) / sizeof(refused[0]); r++) {
            t = at_offset(off, refused[r], crlf);
            char *u = map_text(t, strlen(t), SUB);
            char want[64];
            /* the line number of SUB: count the prefix's lines */
            unsigned line = 1;
            for (const char *p = t; *p && strncmp(p, SUB, strlen(SUB)) != 0; p++)
                line += *p == '\n';
            snprintf(want, sizeof(want), "/map:%u: ", line);
            if (!(u && strcmp(u, "!") == 0 && strstr(lastlog, want) != NULL)) {
                bad_refuse++;
                printf("#   offset %zu, line %zu: got '%s', log '%s', want '%s'\n", off, r,
                       u ? u : "", lastlog, want);
            }
            free(u);
            free(t);
        }
    }
    ok(bad_map == 0, "a matching line at every offset, %s", what);
    ok(bad_near == 0, "a prefix and a suffix of it match nothing, %s", what);
    ok(bad_glob == 0, "a glob line before the literal one wins at every offset, %s",
       what);
    ok(bad_ws == 0, "tabs, CR and runs of white space at every offset, %s", what);
    ok(bad_list == 0, "a list line with leading spaces at every offset, %s", what);
    ok(bad_refuse == 0, "bad lines at every offset refused with their line number, %s", what);
}

/* Lists whose lines share a prefix with the entry: every line starts with
 * the entry's first byte, so every line is read and compared. */
static void big_list_prefixes(void)
{
    for (int crlf = 0; crlf < 2; crlf++) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);
        for (int i = 0; i < 1000; i++)
            fprintf(f, "jti-%06d%s%s", i, i % 97 == 5 ? " # note" : "",
                    i == 999 ? "" : crlf ? "\r\n" : "\n");
        fclose(f);
        ok(listed(s, n, "jti-000000") && listed(s, n, "jti-000500") && listed(s, n, "jti-000005") &&
               listed(s, n, "jti-000998") && listed(s, n, "jti-000999"),
           "lists sharing a prefix: entries found, first to last%s",
           crlf ? " (CRLF)" : "");
        ok(!listed(s, n, "jti-001000") && !listed(s, n, "jti-00050") &&
               !listed(s, n, "jti-0005000") && !listed(s, n, "jti-000005 # note") &&
               !listed(s, n, "jti-000500 ") && !listed(s, n, "ti-000500"),
           "lists sharing a prefix: others not found%s", crlf ? " (CRLF)" : "");
        free(s);
    }
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    for (int i = 0; i < 1000; i++) {
        if (i == 900)
            fputs("user0009*@example.com g\n", f);
        fprintf(f, "user%06d@example.com u%06d\n", i, i);
    }
    fclose(f);
    ok(map_is(s, "user000777@example.com", "u000777") &&
           map_is(s, "user000000@example.com", "u000000") &&
           map_is(s, "user000950@example.com", "g") && map_is(s, "user000999@example.com", "g") &&
           map_is(s, "user001000@example.com", "-") && map_is(s, "user00077@example.com", "-") &&
           map_is(s, "user000777@example.co", "-"),
       "user map whose patterns share a prefix");
    free(s);
}

void test_big_lists(void)
{
    big_list_cases();
    big_list_prefixes();
    big_list_offsets(false);
    big_list_offsets(true);
}
