/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: the text an administrator writes.
 *   input = config file text; the same bytes are also used as a
 *   user_map_file / allowed_subjects_file / revoked_file, as a claims set
 *   (JSON) and as module arguments.
 * No file is opened: pj_config_finish (which loads keys and lists) is not
 * called; the list files are handed over in memory as pj_config_finish
 * would after reading them.  The list lookups, the user map and its
 * validation are checked against reference implementations written from
 * man pam_jwt.conf(5) (differential), on the input and on the input read
 * as pieces of map lines; the user map's templates are also checked by
 * properties (a map line "* %s" maps every subject to itself, ...), and
 * pj_jti_revocable against writing the jti as a line (and typing it: no
 * control characters). */
#include "config.h"

#define FUZZ_NAME "fuzz_config"
#include "fuzz.h"

#include "args.h"
#include "claims.h"
#include "jose.h"
#include "log.h"
#include "pjconfig.h"
#include "subject.h"
#include "util.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIE_DIFF(...)                                       \
    do {                                                    \
        fprintf(stderr, "fuzz_config: differs: " __VA_ARGS__); \
        fputc('\n', stderr);                                \
        abort();                                            \
    } while (0)

#define NOW 1700000000.0

/* Fixed configs (for the fuzzed claims) and fixed claims (for a fuzzed
 * config). */
static pj_config *fixed_cfg[2];
static json_t *fixed_claims[3];

static pj_config *parse_fixed(const char *text)
{
    pj_config *c = pj_config_new("/fuzz-fixed.conf");
    if (c == NULL || pj_config_parse(c, text, strlen(text), &quiet) != 0)
        abort();
    return c;
}

static void init_fixed(void)
{
    static const char *claims[3] = {
        "{\"sub\":\"alice@example.com\",\"iss\":\"https://issuer.example\",\"aud\":[\"x\",\"pam\"],"
        "\"exp\":1700000300,\"iat\":1700000000,\"nbf\":1699999990,\"scope\":\"openid login\","
        "\"amr\":[\"pwd\",\"mfa\"],\"n\":42,\"b\":true,\"jti\":\"j1\"}",
        "{\"sub\":\"root\",\"aud\":\"pam\",\"exp\":1700000030.5,\"scope\":[\"login\"],\"b\":false}",
        "{\"sub\":\"x\",\"exp\":\"1700000300\",\"iat\":null,\"n\":-1}",
    };
    fixed_cfg[0] = parse_fixed("key_file = /k.pem\nallowed_subjects = *\n");
    fixed_cfg[1] = parse_fixed("jwks_file = /k.json\n"
                               "issuer = https://issuer.example\n"
                               "audience = pam\n"
                               "leeway = 5\n"
                               "max_lifetime = 600\n"
                               "require_claim = scope login\n"
                               "require_claim = amr mfa\n"
                               "require_claim = n 42\n"
                               "require_claim = b true\n"
                               "allowed_subjects = alice@example.com bob\n");
    for (int i = 0; i < 3; i++) {
        const char *why = NULL;
        fixed_claims[i] = pj_json_object(claims[i], strlen(claims[i]), &why);
        if (fixed_claims[i] == NULL)
            abort();
    }
}

static const char *const subjects[] = {
    "alice@example.com", "root", "svc-backup", "bob", "%s", "a@b@c", "-rf", "*", "",
};
#define NSUBJECTS (sizeof(subjects) / sizeof(subjects[0]))

/* ------------------------------------------------------------ references
 * Plain, obviously-correct versions of the list semantics (man
 * pam_jwt.conf(5): a line is trimmed of space, tab, CR; '#' at the start
 * or after white space starts a comment; a user map line is "PATTERN
 * USER", PATTERN an fnmatch(3) glob, USER a template with %s %l %%).
 * The module's versions (lines skipped by their first byte, literal
 * patterns without fnmatch, searches skipped for bytes a file lacks) must
 * agree with them on every input. */
static bool ref_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A walk over the lines of a buffer (the module keeps its own). */
typedef struct ref_lines {
    const char *buf;
    size_t len, pos;
    unsigned lineno;
} ref_lines;

static bool ref_lines_next(ref_lines *it, const char **line, size_t *n)
{
    while (it->pos < it->len) {
        const char *s = it->buf + it->pos;
        size_t l = 0;
        while (it->pos + l < it->len && s[l] != '\n')
            l++;
        it->pos += l + (it->pos + l < it->len ? 1 : 0);
        it->lineno++;
        for (size_t i = 0; i < l; i++)
            if (s[i] == '#' && (i == 0 || ref_space((unsigned char)s[i - 1]))) {
                l = i;
                break;
            }
        while (l > 0 && ref_space((unsigned char)s[0])) {
            s++;
            l--;
        }
        while (l > 0 && ref_space((unsigned char)s[l - 1]))
            l--;
        if (l > 0) {
            *line = s;
            *n = l;
            return true;
        }
    }
    return false;
}

static bool ref_line_equals(const char *buf, size_t len, const char *want)
{
    ref_lines it = {buf, len, 0, 0};
    const char *l;
    size_t n, wl = strlen(want);
    while (ref_lines_next(&it, &l, &n))
        if (n == wl && memcmp(l, want, n) == 0)
            return true;
    return false;
}

/* "PATTERN USER" and nothing else on the line */
static bool ref_fields(const char *l, size_t n, char **pat, char **tmpl)
{
    size_t a = 0, b, c;
    while (a < n && !ref_space((unsigned char)l[a]))
        a++;
    b = a;
    while (b < n && ref_space((unsigned char)l[b]))
        b++;
    c = b;
    while (c < n && !ref_space((unsigned char)l[c]))
        c++;
    if (a == 0 || c == b || c != n)
        return false;
    *pat = pj_strndup(l, a);
    *tmpl = pj_strndup(l + b, c - b);
    return *pat && *tmpl;
}

/* man pam_jwt.conf(5), USER MAP: "In LOCALUSER, %s is replaced by the
 * subject, %l by the part of the subject before its first @ (the whole
 * subject if it has none), and %% by %; other characters are copied."
 * Written from that sentence, not from subject.c: a template of a valid
 * map has a '%' only before s, l or %. */
static char *ref_expand(const char *tmpl, const char *sub)
{
    const char *at = strchr(sub, '@');
    size_t local = at != NULL ? (size_t)(at - sub) : strlen(sub);
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (f == NULL)
        return NULL;
    for (const char *t = tmpl; *t != '\0';) {
        const char *pct = strchr(t, '%');
        if (pct == NULL) {
            fputs(t, f);
            break;
        }
        fwrite(t, 1, (size_t)(pct - t), f);
        CHECK(pct[1] == 's' || pct[1] == 'l' || pct[1] == '%');
        if (pct[1] == 's')
            fputs(sub, f);
        else if (pct[1] == 'l')
            fwrite(sub, 1, local, f);
        else
            fputc('%', f);
        t = pct + 2;
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* 1 and *user, or 0 (no rule); -2 when the reference cannot decide (a
 * pattern longer than the module's line buffer: it skips those). */
/* Does a template use %l (not the literal "%%l")? */
static bool ref_uses_l(const char *tmpl)
{
    for (size_t i = 0; tmpl[i] != '\0'; i++)
        if (tmpl[i] == '%') {
            if (tmpl[i + 1] == 'l')
                return true;
            if (tmpl[i + 1] != '\0')
                i++;
        }
    return false;
}

static int ref_map_user(const char *buf, size_t len, const char *sub, char **user)
{
    const char *at = strchr(sub, '@');
    bool two_at = at != NULL && strchr(at + 1, '@') != NULL;
    ref_lines it = {buf, len, 0, 0};
    const char *l;
    size_t n;
    *user = NULL;
    while (ref_lines_next(&it, &l, &n)) {
        char *pat = NULL, *tmpl = NULL;
        int hit = 0;
        if (ref_fields(l, n, &pat, &tmpl)) {
            if (strlen(pat) > PJ_MAX_LINE)
                hit = -2;
            else if (fnmatch(pat, sub, 0) == 0)
                hit = 1;
        }
        if (hit == 1 && two_at && ref_uses_l(tmpl))
            hit = 2; /* which '@' %l would cut at is ambiguous: refused */
        if (hit == 1)
            *user = ref_expand(tmpl, sub);
        free(pat);
        free(tmpl);
        if (hit == -2)
            return -2;
        if (hit == 1)
            return *user ? 1 : -2;
        if (hit == 2)
            return PJ_MAP_REFUSED;
    }
    return 0;
}

/* A user map is valid when it has no NUL byte and every line is at most
 * PJ_MAX_LINE bytes, has two fields, and its second field has a '%' only
 * before s, l or %. */
static bool ref_map_valid(const char *buf, size_t len)
{
    ref_lines it = {buf, len, 0, 0};
    const char *l;
    size_t n;
    if (memchr(buf, '\0', len) != NULL)
        return false;
    while (ref_lines_next(&it, &l, &n)) {
        char *pat = NULL, *tmpl = NULL;
        bool good = n <= PJ_MAX_LINE && ref_fields(l, n, &pat, &tmpl);
        for (size_t i = 0; good && tmpl[i] != '\0'; i++)
            if (tmpl[i] == '%') {
                good = tmpl[i + 1] == 's' || tmpl[i + 1] == 'l' || tmpl[i + 1] == '%';
                i++;
            }
        free(pat);
        free(tmpl);
        if (!good)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ lists */
#define MAX_WANTS 24

/* Strings worth looking up in this file: the fixed subjects, each line
 * as the reader returns it, each line raw (untrimmed), each word. */
static size_t collect_wants(const char *buf, size_t len, char **w)
{
    size_t k = 0;
    ref_lines it = {buf, len, 0, 0};
    const char *l;
    size_t n;
    while (k + 3 <= MAX_WANTS && ref_lines_next(&it, &l, &n)) {
        if (memchr(l, '\0', n) != NULL)
            continue;
        w[k++] = pj_strndup(l, n);
        size_t word = 0;
        while (word < n && !ref_space((unsigned char)l[word]))
            word++;
        w[k++] = pj_strndup(l, word);
        /* the raw line around it */
        const char *a = l, *b = l + n;
        while (a > buf && a[-1] != '\n')
            a--;
        while (b < buf + len && *b != '\n')
            b++;
        if (memchr(a, '\0', (size_t)(b - a)) == NULL)
            w[k++] = pj_strndup(a, (size_t)(b - a));
    }
    return k;
}

/* A config with only its user map (text) set: all pj_map_user reads. */
static int map_with(const char *text, const char *sub, char **user)
{
    pj_config c;
    memset(&c, 0, sizeof(c));
    c.user_map.path = (char *)"/fuzz-template.map";
    c.user_map.buf = (char *)text;
    c.user_map.len = strlen(text);
    pj_map_result r = pj_map_user(&c, sub, user, &quiet);
    CHECK(r != PJ_MAP_BROKEN);
    return r;
}

/* What the template rule implies, whatever the subject: "*" matches it,
 * and the user is the template with %s the subject, %l the subject up to
 * its '@' (all of it without one), %% a '%'.  A template with %l refuses
 * a subject with more than one '@' (which '@' would count is ambiguous).
 * The expected names are spelled out here for each template, so that a
 * fault in the module's expansion shows whatever the reference does. */
static void check_templates(const char *sub)
{
    const char *at = strchr(sub, '@');
    int local = (int)(at != NULL ? (size_t)(at - sub) : strlen(sub));
    bool two_at = at != NULL && strchr(at + 1, '@') != NULL;
    char want[5][600], text[64];
    static const char *const tmpl[5] = {"%s", "%l", "%%", "u-x", "a%%b%lc%sd%%%%"};
    if (strlen(sub) > 200)
        return;
    snprintf(want[0], sizeof(want[0]), "%s", sub);
    snprintf(want[1], sizeof(want[1]), "%.*s", local, sub);
    snprintf(want[2], sizeof(want[2]), "%%");
    snprintf(want[3], sizeof(want[3]), "u-x");
    snprintf(want[4], sizeof(want[4]), "a%%b%.*sc%sd%%%%", local, sub, sub);
    for (int i = 0; i < 5; i++)
        for (int form = 0; form < 2; form++) {
            char *user = NULL;
            /* plain, and behind a comment with tabs and CRLF */
            snprintf(text, sizeof(text), form == 0 ? "* %s\n" : "# c\r\n\t*\t%s\r\n", tmpl[i]);
            int r = map_with(text, sub, &user);
            if (two_at && ref_uses_l(tmpl[i])) {
                if (r != PJ_MAP_REFUSED) {
                    char safe[200];
                    pj_sanitize(safe, sizeof(safe), sub, strlen(sub));
                    DIE_DIFF("template '%s' for '%s' (two '@'): module %d '%s', rule: refused",
                             tmpl[i], safe, r, user ? user : "");
                }
                free(user);
                continue;
            }
            if (r != 1 || strcmp(user, want[i]) != 0) {
                char safe[200];
                pj_sanitize(safe, sizeof(safe), sub, strlen(sub));
                DIE_DIFF("template '%s' for '%s': module %d '%s', rule '%s'", tmpl[i], safe, r,
                         user ? user : "", want[i]);
            }
            free(user);
        }
}

/* pj_jti_revocable(w) exactly when w has no control character and,
 * written as a line of revoked_file, is found: by the module and by the
 * reference line reader. */
static void check_revocable(const char *w)
{
    size_t n = strlen(w);
    char *text = malloc(n + 2);
    pj_config c;
    if (text == NULL)
        return;
    memcpy(text, w, n);
    memcpy(text + n, "\n", 2);
    memset(&c, 0, sizeof(c));
    c.revoked.buf = text;
    c.revoked.len = n + 1;
    bool r = pj_jti_revocable(w, n), found = pj_jti_revoked(&c, w), ctl = false;
    for (size_t i = 0; i < n; i++)
        ctl |= (unsigned char)w[i] < 0x20 || (unsigned char)w[i] == 0x7f;
    if (found != ref_line_equals(text, n + 1, w) || r != (found && !ctl)) {
        char safe[200];
        pj_sanitize(safe, sizeof(safe), w, n);
        DIE_DIFF("jti '%s': revocable %d, found as a line %d", safe, (int)r, (int)found);
    }
    free(text);
}

/* The lookups, the map's validation and the mapping agree with the
 * references. */
static void check_lists(const pj_config *c, const char *buf, size_t len, char **wants,
                        size_t nwants)
{
    const char *all[MAX_WANTS + NSUBJECTS];
    size_t nall = 0;
    for (size_t i = 0; i < nwants; i++)
        if (wants[i] != NULL)
            all[nall++] = wants[i];
    for (size_t i = 0; i < NSUBJECTS; i++)
        all[nall++] = subjects[i];

    /* Lookups (allowed_subjects_file, revoked_file) agree with the
     * reference; revocable jtis are those a line can hold. */
    for (size_t i = 0; i < nall; i++) {
        const char *w = all[i];
        bool want = ref_line_equals(buf, len, w);
        if (pj_subject_allowed(c, w) != want || pj_jti_revoked(c, w) != want) {
            char safe[200];
            pj_sanitize(safe, sizeof(safe), w, strlen(w));
            DIE_DIFF("list lookup of '%s': module %d, reference %d", safe,
                     (int)pj_subject_allowed(c, w), (int)want);
        }
        check_revocable(w);
        check_templates(w);
    }

    /* Validation agrees with the reference; a map that fails it maps no
     * subject (every lookup is PJ_MAP_BROKEN), one that passes maps as the
     * reference does. */
    char *probe = NULL;
    bool valid = pj_map_user(c, "probe", &probe, &quiet) != PJ_MAP_BROKEN;
    free(probe);
    if (valid != ref_map_valid(buf, len))
        DIE_DIFF("user map validation: module %d, reference %d", (int)valid, (int)!valid);
    for (size_t i = 0; i < nall && !valid; i++) {
        char *user = NULL;
        CHECK(pj_map_user(c, all[i], &user, &quiet) == PJ_MAP_BROKEN && user == NULL);
    }
    if (valid) {
        for (size_t i = 0; i < nall; i++) {
            const char *w = all[i];
            char *user = NULL, *ruser = NULL;
            int r, rr;
            r = pj_map_user(c, w, &user, &quiet);
            CHECK(r == 0 || r == 1 || r == PJ_MAP_REFUSED);
            CHECK((r == 1) == (user != NULL));
            rr = ref_map_user(buf, len, w, &ruser);
            if (rr != -2 && (r != rr || (r == 1 && strcmp(user, ruser) != 0))) {
                char safe[200];
                pj_sanitize(safe, sizeof(safe), w, strlen(w));
                DIE_DIFF("user map of '%s': module %d '%s', reference %d '%s'", safe, r,
                         user ? user : "", rr, ruser ? ruser : "");
            }
            if (user)
                (void)pj_user_name_ok(user);
            free(user);
            free(ruser);
        }
    }
}

/* buf as a user_map_file, allowed_subjects_file and revoked_file; the
 * strings looked up come from buf and the fixed subjects. */
static void fuzz_list_text(const char *buf, size_t len)
{
    char *wants[MAX_WANTS];
    size_t nwants = 0;
    pj_config *c = pj_config_new("/fuzz-lists.conf");
    if (c == NULL)
        return;
    c->user_map.path = strdup("/fuzz.map");
    c->user_map.buf = pj_strndup(buf, len);
    c->user_map.len = len;
    c->subjects_file.path = strdup("/fuzz.subjects");
    c->subjects_file.buf = pj_strndup(buf, len);
    c->subjects_file.len = len;
    c->revoked.path = strdup("/fuzz.revoked");
    c->revoked.buf = pj_strndup(buf, len);
    c->revoked.len = len;
    if (c->user_map.buf == NULL || c->subjects_file.buf == NULL || c->revoked.buf == NULL)
        goto out;
    nwants = collect_wants(buf, len, wants);
    check_lists(c, buf, len, wants, nwants);
out:
    for (size_t i = 0; i < nwants; i++)
        free(wants[i]);
    pj_config_free(c);
}

/* Pieces of list and map lines: the input taken one byte per piece is
 * text dense in what the line rules must get right. */
static const char *const pieces[] = {
    "a", "b", "ab", "alice@example.com", "root", "svc-backup", "bob", " ", "  ", "\t", "\r",
    "\n", "\n", "\n", "\r\n", "#", " #", "%", "%s", "%l", "%%", "*", "?", "[a]", "\\", "@", "-",
};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))

/* The input as list files: as it is, and as pieces (its first byte
 * skipped, so that the two differ). */
static void fuzz_lists(const char *buf, size_t len)
{
    fuzz_list_text(buf, len);
    if (len == 0)
        return;
    char *text = malloc(len * 20 + 1);
    size_t o = 0;
    if (text == NULL)
        return;
    for (size_t i = 1; i < len; i++) {
        const char *p = pieces[(unsigned char)buf[i] % NPIECES];
        memcpy(text + o, p, strlen(p));
        o += strlen(p);
    }
    fuzz_list_text(text, o);
    free(text);
}

/* The input as the module's argv (split on white space). */
static void fuzz_args(const char *buf, size_t len)
{
    char *copy = pj_strndup(buf, len), *save = NULL;
    const char *argv[32];
    int argc = 0;
    pj_args a;
    if (copy == NULL)
        return;
    for (char *w = strtok_r(copy, " \t\r\n", &save); w && argc < 32;
         w = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = w;
    if (pj_args_parse(argc, argv, &a, &quiet) == 0)
        CHECK(a.config[0] == '/');
    CHECK(a.config != NULL && a.prompt != NULL);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char why[256];

    if (fixed_cfg[0] == NULL)
        init_fixed();

    /* 1. The config parser. */
    pj_config *c = pj_config_new("/fuzz.conf");
    if (c == NULL)
        return 0;
    if (pj_config_parse(c, text, size, &quiet) == 0) {
        /* What parsed must be usable by the decision code: run it
         * against fixed claims and subjects (subject_claim and algs are
         * defaulted by pj_config_finish, which opens files). */
        CHECK(c->leeway >= 0 && c->leeway <= PJ_MAX_LEEWAY);
        CHECK(c->max_lifetime >= 0 && c->max_lifetime <= PJ_MAX_MAX_LIFETIME);
        CHECK(c->min_uid <= PJ_MAX_MIN_UID);
        for (size_t i = 0; i < c->key_files.n; i++)
            CHECK(c->key_files.v[i][0] == '/');
        for (size_t i = 0; i < c->jwks_files.n; i++)
            CHECK(c->jwks_files.v[i][0] == '/');
        for (int i = 0; i < 3; i++) {
            why[0] = '\0';
            (void)pj_check_claims(c, fixed_claims[i], NOW, NULL, why, sizeof(why));
            CHECK(strlen(why) < sizeof(why));
        }
        for (size_t i = 0; i < NSUBJECTS; i++)
            (void)pj_subject_allowed(c, subjects[i]);
    }
    pj_config_free(c);

    /* 2. The same bytes as list files (user map, allowed subjects, revoked). */
    fuzz_lists(text, size);

    /* 3. The same bytes as a claims set against the fixed configs. */
    {
        const char *reason = NULL;
        json_t *claims = pj_json_object(text, size, &reason);
        if (claims != NULL) {
            for (int i = 0; i < 2; i++) {
                why[0] = '\0';
                (void)pj_check_claims(fixed_cfg[i], claims, NOW, NULL, why, sizeof(why));
                CHECK(strlen(why) < sizeof(why));
                (void)pj_check_claims(fixed_cfg[i], claims, 0.0, NULL, why, sizeof(why));
                (void)pj_check_claims(fixed_cfg[i], claims, 1e300, NULL, why, sizeof(why));
            }
            json_decref(claims);
        } else {
            CHECK(reason == PJ_WHY_INVALID || reason == PJ_WHY_TOO_DEEP ||
                  reason == PJ_WHY_NOT_OBJECT);
        }
    }

    /* 4. The same bytes as module arguments. */
    fuzz_args(text, size);
    return 0;
}
