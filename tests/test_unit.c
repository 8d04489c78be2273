/* Unit tests for the parsers and each decision rule, calling the library
 * directly.  The clock is a parameter (pj_decide's rq.now,
 * pj_check_claims' now), so time rules are tested at exact boundaries
 * without sleeping. */
#include "config.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "b64url.h"
#include "claims.h"
#include "decide.h"
#include "jose.h"
#include "keys.h"
#include <openssl/err.h>
#include <openssl/x509.h>
#include "pjconfig.h"
#include "subject.h"
#include "tap.h"
#include "testlib.h"

static char lastlog[2048];
static void capture(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    snprintf(lastlog, sizeof(lastlog), "%s", msg);
}
static pj_log LOG = {capture, NULL, false};

static void test_b64url(void)
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

static void test_shape(void)
{
    struct { const char *s; bool want; } c[] = {
        {"a.b.c", true}, {"eyJ.eyJ.sig-_", true}, {"a.b.", false}, {".b.c", false},
        {"a..c", false}, {"a.b.c.d", false}, {"abc", false}, {"", false},
        {"a.b.c ", false}, {"a.b=.c", false}, {"a.b", false}, {"hunter2", false},
        {"pass.word.with space", false}, {"..", false},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        ok(pj_jwt_shaped(c[i].s, strlen(c[i].s)) == c[i].want, "shape: '%s' -> %s", c[i].s,
           c[i].want ? "JWT" : "not JWT");
}

static void test_json(void)
{
    const char *why = NULL;
    json_t *j = pj_json_object("{\"a\":1}", 7, &why);
    ok(j != NULL, "json: object parsed");
    json_decref(j);
    ok(pj_json_object("{\"a\":1,\"a\":2}", 13, &why) == NULL, "json: duplicate member refused");
    ok(pj_json_object("[1]", 3, &why) == NULL && why == PJ_WHY_NOT_OBJECT, "json: array refused");
    ok(pj_json_object("{\"a\":\"x\\u0000y\"}", 16, &why) == NULL, "json: NUL in string refused");
    ok(pj_json_object("{\"a\":1} x", 9, &why) == NULL, "json: trailing garbage refused");
    /* jansson 2.14 alone accepts this one (it skips a NUL after a number) */
    ok(pj_json_object("{\"exp\":1\0}", 10, &why) == NULL && why == PJ_WHY_INVALID,
       "json: raw NUL byte after a number refused");
    char deep[200];
    memset(deep, '[', 40);
    strcpy(deep + 40, "");
    char obj[300];
    snprintf(obj, sizeof(obj), "{\"a\":%s}", deep);
    ok(pj_json_object(obj, strlen(obj), &why) == NULL && why == PJ_WHY_TOO_DEEP,
       "json: nesting beyond %d refused before parsing", PJ_MAX_JSON_DEPTH);
    snprintf(obj, sizeof(obj), "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
    j = pj_json_object(obj, strlen(obj), &why);
    ok(j != NULL, "json: brackets inside strings do not count as nesting");
    json_decref(j);
}

static pj_config *parse(const char *text, int *rc)
{
    pj_config *c = pj_config_new("/test.conf");
    lastlog[0] = '\0';
    *rc = pj_config_parse(c, text, strlen(text), &LOG);
    return c;
}

static void test_config(void)
{
    int rc;
    pj_config *c;
    struct { const char *text; const char *log; } bad[] = {
        {"foo = bar\n", "/test.conf:1: unknown key 'foo'"},
        {"\n\nleeway = 10\nleeway = 20\n", "/test.conf:4: leeway: duplicate key (first set on line 3)"},
        {"issuer =\n", "issuer: empty value"},
        {"leeway = -1\n", "leeway: expected whole seconds"},
        {"leeway = 86401\n", "leeway: expected whole seconds"},
        {"leeway = 1e3\n", "leeway: expected whole seconds"},
        {"max_lifetime = 31536001\n", "max_lifetime: expected whole seconds"},
        {"key_file = relative.pem\n", "path must be absolute"},
        {"algorithms = ES256 none\n", "'none' is never accepted"},
        {"algorithms = ES256 NONE\n", "'none' is never accepted"},
        {"algorithms = ES257\n", "unknown algorithm name"},
        {"require_claim = scope\n", "expected 'require_claim = NAME VALUE'"},
        {"just a line\n", "expected 'key = value'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = parse(bad[i].text, &rc);
        is_int(rc, -1, "config error: %s", bad[i].log ? bad[i].log : "NUL byte");
        if (bad[i].log)
            ok(strstr(lastlog, bad[i].log) != NULL, "config error logged: %s (got: %s)", bad[i].log,
               lastlog);
        pj_config_free(c);
    }
    /* NUL inside the text */
    c = pj_config_new("/test.conf");
    is_int(pj_config_parse(c, "issuer = a\0b\n", 13, &LOG), -1, "config: NUL byte refused");
    pj_config_free(c);
    /* long line */
    char *longl = malloc(PJ_MAX_LINE + 100);
    memset(longl, 'x', PJ_MAX_LINE + 50);
    memcpy(longl, "issuer = ", 9);
    longl[PJ_MAX_LINE + 50] = '\0';
    c = parse(longl, &rc);
    is_int(rc, -1, "config: line longer than %d bytes refused", PJ_MAX_LINE);
    pj_config_free(c);
    free(longl);

    c = parse("# comment\n  \n"
              "issuer = https://idp.example/#frag   # trailing comment\n"
              "audience=ssh\n"
              "algorithms = ES256, RS256 EdDSA\n"
              "require_claim = scope ssh:login admin\n"
              "require_claim = groups wheel\n"
              "key_file = /a.pem\nkey_file = /b.pem\n"
              "allowed_subjects = alice * bob\n"
              "leeway = 0\nmax_lifetime = 0\n",
              &rc);
    is_int(rc, 0, "config: valid file parses (%s)", lastlog);
    ok(c->issuer && strcmp(c->issuer, "https://idp.example/#frag") == 0,
       "config: '#' inside a value kept, trailing comment dropped (%s)", c->issuer);
    ok(c->audience && strcmp(c->audience, "ssh") == 0, "config: no spaces around '='");
    ok(c->algs == ((1u << PJ_ALG_ES256) | (1u << PJ_ALG_RS256) | (1u << PJ_ALG_EDDSA)),
       "config: algorithms separated by commas and spaces");
    ok(c->nreqs == 2 && strcmp(c->reqs[0].name, "scope") == 0 &&
           strcmp(c->reqs[0].value, "ssh:login admin") == 0,
       "config: require_claim NAME VALUE (value may hold spaces)");
    ok(c->key_files.n == 2, "config: key_file repeats");
    ok(c->allow_any_subject && c->allowed_subjects.n == 2, "config: '*' in allowed_subjects");
    ok(c->leeway == 0 && c->max_lifetime == 0, "config: zero seconds accepted");
    pj_config_free(c);

    c = parse("allowed_subjects = a\n", &rc);
    is_int(pj_config_finish(c, &LOG), -1, "config: no key is an error");
    ok(strstr(lastlog, "no keys") != NULL, "config: no keys logged");
    pj_config_free(c);
    c = parse("key_file = /nonexistent/x.pem\n", &rc);
    is_int(pj_config_finish(c, &LOG), -1, "config: no allowed_subjects is an error");
    ok(strstr(lastlog, "allowed_subjects") != NULL, "config: missing allowed_subjects logged");
    pj_config_free(c);
    c = parse("key_file = /k.pem\nallowed_subjects = a\n", &rc);
    ok(c->leeway == 30 && c->max_lifetime == 3600 && !c->algs_set,
       "config: defaults leeway 30, max_lifetime 3600");
    pj_config_free(c);
}

static void test_args(void)
{
    pj_args a;
    const char *argv1[] = {"debug", "config=/x.conf", "prompt=JWT token: ", "use_first_pass"};
    is_int(pj_args_parse(4, argv1, &a, &LOG), 0, "args: all known arguments");
    ok(a.debug && a.use_first_pass && strcmp(a.config, "/x.conf") == 0 &&
           strcmp(a.prompt, "JWT token: ") == 0,
       "args: values applied");
    const char *argv2[] = {"config=/y.conf", "nullok", "try_first_pass"};
    is_int(pj_args_parse(3, argv2, &a, &LOG), -1, "args: unknown argument is an error");
    ok(strcmp(a.config, "/y.conf") == 0, "args: known arguments still applied");
    ok(strstr(lastlog, "nullok") != NULL, "args: unknown argument logged");
    const char *argv3[] = {"config=relative"};
    is_int(pj_args_parse(1, argv3, &a, &LOG), -1, "args: relative config path refused");
    is_int(pj_args_parse(0, NULL, &a, &LOG), 0, "args: none");
    ok(strcmp(a.prompt, "Token: ") == 0 && !a.use_first_pass, "args: defaults");
}

static json_t *J(const char *s)
{
    json_error_t e;
    return json_loads(s, 0, &e);
}

static void test_claims(void)
{
    int rc;
    pj_config *c = parse("key_file = /k\nallowed_subjects = *\n", &rc);
    char why[256];
    json_t *j = J("{\"exp\":1000,\"nbf\":900,\"iat\":800}");
    is_int(pj_check_claims(c, j, 1030.0, why, sizeof(why)), 0, "exp: now == exp + leeway accepted");
    is_int(pj_check_claims(c, j, 1030.001, why, sizeof(why)), -1, "exp: now > exp + leeway refused");
    ok(strstr(why, "expired") != NULL, "exp: reason says expired");
    is_int(pj_check_claims(c, j, 870.0, why, sizeof(why)), 0, "nbf: now + leeway == nbf accepted");
    is_int(pj_check_claims(c, j, 869.9, why, sizeof(why)), -1, "nbf: now + leeway < nbf refused");
    json_decref(j);
    j = J("{\"exp\":2000,\"iat\":1030}");
    is_int(pj_check_claims(c, j, 1000.0, why, sizeof(why)), 0, "iat: iat == now + leeway accepted");
    is_int(pj_check_claims(c, j, 999.0, why, sizeof(why)), -1, "iat: iat > now + leeway refused");
    json_decref(j);
    j = J("{\"exp\":4600,\"iat\":1000}");
    is_int(pj_check_claims(c, j, 1000.0, why, sizeof(why)), 0, "max_lifetime: exp - iat == 3600 accepted");
    json_decref(j);
    j = J("{\"exp\":4601,\"iat\":1000}");
    is_int(pj_check_claims(c, j, 1000.0, why, sizeof(why)), -1, "max_lifetime: 3601 s refused");
    json_decref(j);
    j = J("{\"exp\":4601}");
    is_int(pj_check_claims(c, j, 1001.0, why, sizeof(why)), 0, "max_lifetime without iat: exp - now");
    is_int(pj_check_claims(c, j, 1000.0, why, sizeof(why)), -1, "max_lifetime without iat: exp - now > max refused");
    json_decref(j);
    j = J("{\"exp\":1000.5}");
    is_int(pj_check_claims(c, j, 1030.5, why, sizeof(why)), 0, "exp fraction: boundary accepted");
    is_int(pj_check_claims(c, j, 1030.6, why, sizeof(why)), -1, "exp fraction: past boundary refused");
    json_decref(j);
    const char *badtypes[] = {"{}", "{\"exp\":\"1000\"}", "{\"exp\":null}", "{\"exp\":true}",
                              "{\"exp\":[1000]}", "{\"exp\":1000,\"nbf\":\"1\"}",
                              "{\"exp\":1000,\"iat\":{}}"};
    for (size_t i = 0; i < sizeof(badtypes) / sizeof(badtypes[0]); i++) {
        j = J(badtypes[i]);
        is_int(pj_check_claims(c, j, 900.0, why, sizeof(why)), -1, "claims refused: %s", badtypes[i]);
        json_decref(j);
    }
    pj_config_free(c);
}

static void test_subjects(void)
{
    int rc;
    pj_config *c = parse("key_file = /k\nallowed_subjects = alice bob\n", &rc);
    ok(pj_subject_allowed(c, "alice"), "allowed_subjects: listed");
    ok(!pj_subject_allowed(c, "Alice"), "allowed_subjects: case sensitive");
    ok(!pj_subject_allowed(c, "alic"), "allowed_subjects: no prefix match");
    char *u = NULL;
    is_int(pj_map_user(c, "alice", &u), 1, "no user_map_file: subject is the user");
    ok(u && strcmp(u, "alice") == 0, "no user_map_file: user = subject");
    free(u);
    const char *map = "# comment\n"
                      "admin@corp.example  root   # trailing\n"
                      "*@corp.example jwt-%l\n"
                      "svc-?? %s\n"
                      "lit%%eral x%%y\n";
    c->user_map.buf = strdup(map);
    c->user_map.len = strlen(map);
    c->user_map.path = strdup("/map");
    is_int(pj_user_map_validate(&c->user_map, &LOG), 0, "user map validates");
    struct { const char *sub; int r; const char *user; } m[] = {
        {"admin@corp.example", 1, "root"}, {"bob@corp.example", 1, "jwt-bob"},
        {"svc-01", 1, "svc-01"}, {"svc-001", 0, NULL}, {"bob@evil.example", 0, NULL},
        {"bob@corp.example.evil", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        u = NULL;
        int r = pj_map_user(c, m[i].sub, &u);
        ok(r == m[i].r && (m[i].user == NULL || (u && strcmp(u, m[i].user) == 0)),
           "user map: %s -> %s", m[i].sub, m[i].user ? m[i].user : "(no match)");
        free(u);
    }
    const char *bads[] = {"onlyone\n", "a b c\n", "a %x\n", "a b%\n"};
    for (size_t i = 0; i < 4; i++) {
        pj_text t = {(char *)"/map", (char *)bads[i], strlen(bads[i])};
        is_int(pj_user_map_validate(&t, &LOG), -1, "user map: malformed line refused: %.*s",
               (int)strcspn(bads[i], "\n"), bads[i]);
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

static void test_jti_revocable(void)
{
#define J(lit, want) {lit, sizeof(lit) - 1, want}
    static const struct { const char *jti; size_t len; bool want; } t[] = {
        /* ordinary */
        J("j1", true), J("0b5f6c1e-7d3a-4c2e-9f11-2a6b7c8d9e0f", true), J("x", true),
        J("jti#1", true), J("a##", true), J("a# b", true), J("a b", true), J("a  b c", true),
        /* UTF-8, and bytes that are not UTF-8: the reader does not care */
        J("jti-\xc3\xa9t\xc3\xa9", true), J("\xe6\x97\xa5\xe6\x9c\xac", true),
        J("\xf0\x9f\x94\x91-key", true), J("\xff\xfe", true),
        /* inner control characters other than LF stay in the line */
        J("a\tb", true), J("a\rb", true), J("a\x01" "b", true), J("a\x7f", true),
        J("\x1b[0m", true),
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
        ok(r == t[i].want && mid == r && alone == r && crlf == r,
           "jti '%s': revocable %d, found as a line %d/%d/%d, want %d", safe, r, mid, alone,
           crlf, t[i].want);
    }
    /* every single byte, and every byte between two letters */
    unsigned bad = 0;
    for (int b = 0; b < 256; b++) {
        char one[2] = {(char)b, '\0'}, three[4] = {'a', (char)b, 'z', '\0'};
        bad += pj_jti_revocable(one, 1) != revoked_as_line(one, 1, "x\n", "\ny\n");
        bad += pj_jti_revocable(three, 3) != revoked_as_line(three, 3, "x\n", "\ny\n");
    }
    ok(bad == 0, "revocable <=> found as a line, for each byte alone and inside a jti");
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
    if (pj_user_map_validate(&c->user_map, &LOG) != 0)
        u = strdup("!");
    else if (pj_map_user(c, sub, &u) == 0)
        u = strdup("-");
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

static void big_list_cases(void)
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

    /* list lines that the entry is a prefix or a suffix of */
    t = around("alice@example.com\nxalice@example.com\n", "\n");
    ok(listed(t, strlen(t), "alice@example.com") && !listed(t, strlen(t), "alice@example.co") &&
           !listed(t, strlen(t), "lice@example.com") && !listed(t, strlen(t), "alice") &&
           !listed(t, strlen(t), "user000001@example.com") &&
           !listed(t, strlen(t), "user000001@example.com othe") &&
           !listed(t, strlen(t), "ser000001@example.com other"),
       "lists: prefixes and suffixes of lines are not listed");
    free(t);
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

static void test_big_lists(void)
{
    big_list_cases();
    big_list_prefixes();
    big_list_offsets(false);
    big_list_offsets(true);
}

/* pj_decide with an injected clock: the same token is good before exp and
 * refused after, without sleeping. */
static void test_decide_clock(void)
{
    char *dir = tl_tmpdir(), path[4096], conf[8192], user[256];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *k = tl_keygen("p256");
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    tl_write_pub(k, path);
    snprintf(conf, sizeof(conf), "key_file = %s\nallowed_subjects = *\n", path);
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    tl_write_file(path, conf, strlen(conf), 0644);
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":1000000000,\"exp\":1000000600}",
             user);
    char *tok = tl_sign_raw("{\"alg\":\"ES256\"}", payload, "ES256", k, NULL, 0);
    pj_request rq = {0};
    pj_decision d;
    rq.config_path = path;
    rq.input = tok;
    rq.input_len = strlen(tok);
    rq.log = &LOG;
    rq.now = 1000000100;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_ACCEPT, "decide at a 2001 clock: accepted");
    ok(d.user && strcmp(d.user, user) == 0, "decide: mapped user %s", user);
    pj_decision_free(&d);
    rq.now = 1000000631;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_REFUSE, "decide 31 s after exp: refused");
    ok(strstr(d.reason, "expired") != NULL, "decide: reason '%s'", d.reason);
    pj_decision_free(&d);
    rq.now = 1000000100;
    rq.pam_user = "someone-else";
    pj_decide(&rq, &d);
    is_int(d.result, PJ_REFUSE, "decide: PAM_USER mismatch refused");
    pj_decision_free(&d);
    rq.pam_user = NULL;
    rq.config_broken = true;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_UNAVAIL, "decide: broken module arguments -> unavailable for a JWT");
    pj_decision_free(&d);
    rq.input = "  hunter2\n";
    rq.input_len = strlen(rq.input);
    pj_decide(&rq, &d);
    is_int(d.result, PJ_IGNORE, "decide: broken module arguments -> ignore for a password");
    pj_decision_free(&d);
    free(tok);
    EVP_PKEY_free(k);
    tl_rmtree(dir);
    free(dir);
}

/* The SubjectPublicKeyInfo fast path must build exactly the key OpenSSL's
 * own decoder builds, and refuse (or hand over) anything else. */
static void test_spki(void)
{
    const char *types[] = {"rsa", "rsa4096", "p256", "p384", "p521", "ed25519", "ed448",
                           "secp256k1"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        EVP_PKEY *k = tl_keygen(types[i]);
        size_t dl = 0;
        unsigned char *der = tl_pub_der(k, &dl);
        const unsigned char *p = der;
        EVP_PKEY *ref = d2i_PUBKEY(NULL, &p, (long)dl), *got = pj_pkey_spki(der, dl);
        ok(got != NULL && EVP_PKEY_eq(ref, got) == 1, "spki: %s key equals d2i_PUBKEY's", types[i]);
        /* every truncation fails cleanly */
        int bad = 0;
        for (size_t cut = 0; cut < dl; cut += (dl > 200 ? 7 : 1)) {
            EVP_PKEY *t = pj_pkey_spki(der, cut);
            bad += t != NULL;
            EVP_PKEY_free(t);
        }
        is_int(bad, 0, "spki: %s: no truncation gives a key", types[i]);
        /* flipped bits in the header, OIDs and first key bytes: the fast
         * path never accepts what OpenSSL's decoder refuses, and never
         * builds a different key from the same bytes */
        unsigned char *mut = malloc(dl);
        int disagree = 0;
        for (size_t j = 0; j < (dl < 40 ? dl : 40); j++)
            for (int bit = 0; bit < 8; bit++) {
                memcpy(mut, der, dl);
                mut[j] ^= (unsigned char)(1u << bit);
                const unsigned char *q = mut;
                EVP_PKEY *t = pj_pkey_spki(mut, dl), *r = d2i_PUBKEY(NULL, &q, (long)dl);
                if (r != NULL && q != mut + dl) {
                    EVP_PKEY_free(r);
                    r = NULL;
                }
                if (t != NULL && (r == NULL || EVP_PKEY_eq(r, t) != 1)) {
                    disagree++;
                    printf("# %s: byte %zu bit %d: fast path %s, decoder %s\n", types[i], j, bit,
                           t ? "key" : "none", r ? "key" : "none");
                }
                EVP_PKEY_free(t);
                EVP_PKEY_free(r);
            }
        ERR_clear_error();
        is_int(disagree, 0, "spki: %s: 320 one-bit mutations never accepted beyond OpenSSL's decoder",
               types[i]);
        free(mut);
        EVP_PKEY_free(ref);
        EVP_PKEY_free(got);
        EVP_PKEY_free(k);
        free(der);
    }
    /* a point that is not on the curve */
    EVP_PKEY *k = tl_keygen("p256");
    size_t dl = 0;
    unsigned char *der = tl_pub_der(k, &dl);
    der[dl - 1] ^= 0x01;
    ok(pj_pkey_spki(der, dl) == NULL, "spki: EC point off the curve refused");
    free(der);
    EVP_PKEY_free(k);
    ok(pj_pkey_spki((const unsigned char *)"\x30\x84\xff\xff\xff\xff", 6) == NULL,
       "spki: absurd length refused");
}

/* replay_cache under concurrent logins: 16 processes present the same
 * one-time token at once; exactly one is accepted. */
static void test_replay_concurrent(void)
{
    char *dir = tl_tmpdir(), path[4096], conf[8400], user[256], cache[4096];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *k = tl_keygen("p256");
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    tl_write_pub(k, path);
    snprintf(cache, sizeof(cache), "%s/replay", dir);
    mkdir(cache, 0700);
    snprintf(conf, sizeof(conf), "key_file = %s\nallowed_subjects = *\nreplay_cache = %s\n", path,
             cache);
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    tl_write_file(path, conf, strlen(conf), 0644);
    long now = (long)time(NULL);
    char payload[512];
    snprintf(payload, sizeof(payload),
             "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"race-%ld\"}", user, now,
             now + 300, now);
    char *tok = tl_sign_raw("{\"alg\":\"ES256\"}", payload, "ES256", k, NULL, 0);
    enum { N = 16 };
    int go[2];
    pid_t pids[N];
    if (pipe(go) != 0)
        return;
    fflush(stdout);
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char b;
            close(go[1]);
            if (read(go[0], &b, 1) < 0) /* all start together */
                _exit(3);
            pj_request rq = {0};
            pj_decision d;
            pj_log quiet = {NULL, NULL, false};
            rq.config_path = path;
            rq.input = tok;
            rq.input_len = strlen(tok);
            rq.now = (double)time(NULL);
            rq.consume = true;
            rq.log = &quiet;
            pj_decide(&rq, &d);
            _exit(d.result == PJ_ACCEPT ? 0 : d.result == PJ_REFUSE ? 1 : 2);
        }
    }
    close(go[0]);
    close(go[1]); /* EOF releases every child at once */
    int accepted = 0, refused = 0, other = 0;
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(pids[i], &st, 0);
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 9;
        accepted += rc == 0;
        refused += rc == 1;
        other += rc > 1;
    }
    is_int(accepted, 1, "replay_cache: %d concurrent logins with one token: exactly one accepted", N);
    is_int(refused, N - 1, "replay_cache: the other %d refused as already used", N - 1);
    is_int(other, 0, "replay_cache: no login failed any other way");
    free(tok);
    EVP_PKEY_free(k);
    tl_rmtree(dir);
    free(dir);
}

int main(void)
{
    test_replay_concurrent();
    test_spki();
    test_b64url();
    test_shape();
    test_json();
    test_config();
    test_args();
    test_claims();
    test_subjects();
    test_jti_revocable();
    test_big_lists();
    test_decide_clock();
    return tap_done();
}
