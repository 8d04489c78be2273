/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for the parsers and each decision rule, calling the library
 * directly.  The clock is a parameter (pj_decide's rq.now,
 * pj_check_claims' now), so time rules are tested at exact boundaries
 * without sleeping. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "device_reply.h"
#include "log.h"
#include "netmatch.h"
#include "slot.h"
#include "spawn.h"
#include "b64enc.h"
#include "b64url.h"
#include "claims.h"
#include "decide.h"
#include "groups.h"
#include "jose.h"
#include "jwks.h"
#include "keys.h"
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "pjconfig.h"
#include "policy.h"
#include "pop.h"
#include "target.h"
#include "replay.h"
#include "safefile.h"
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

/* The example configs shipped in conf/ parse (their files need not exist). */
static void test_shipped_examples(void)
{
    const char *top = getenv("top_srcdir");
    const char *names[] = {"conf/pam_jwt.conf", "conf/pam_jwt-ssh.conf", "conf/pam_jwt-sudo.conf",
                           "conf/pam_jwt.d/idp.conf", "conf/pam_jwt.d/ci.conf"};
    if (top == NULL) {
        skip(5, "top_srcdir not set (run through make check)");
        return;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[4096], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", top, names[i]);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            text = calloc(1, 65536);
            len = text ? fread(text, 1, 65535, f) : 0;
            fclose(f);
        }
        pj_config *c = pj_config_new(path);
        int rc = text ? pj_config_parse(c, text, len, &LOG) : -1;
        ok(rc == 0, "shipped example %s parses (%s)", names[i], lastlog);
        if (i == 0)
            is_int((int)c->min_uid, 1000, "the shipped pam_jwt.conf sets min_uid = 1000");
        pj_config_free(c);
        free(text);
    }
}

static void test_config_errors(void)
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
        /* one rule for every path: no '%', since paths are not expanded */
        {"key_file = /etc/k-%h.pem\n", "key_file: '%' in a path (paths are not expanded"},
        {"jwks_file = /etc/100%.jwks\n", "jwks_file: '%' in a path"},
        {"hmac_secret_file = /etc/s%%\n", "hmac_secret_file: '%' in a path"},
        {"user_map_file = /etc/map-%s\n", "user_map_file: '%' in a path"},
        {"allowed_subjects_file = /etc/a%x\n", "allowed_subjects_file: '%' in a path"},
        {"revoked_file = /etc/r%\n", "revoked_file: '%' in a path"},
        {"replay_cache = /var/lib/%h\n", "replay_cache: '%' in a path"},
        {"max_uid = 4294967295\n", "max_uid: expected a uid from 0 to 4294967294"},
        {"pop_audience =\n", "/test.conf:1: pop_audience: empty value"},
        {"pop_audience = ssh://%h ssh://%x\n", "/test.conf:1: pop_audience: unknown % sequence"},
        {"pop_audience = ssh://h%\n", "/test.conf:1: pop_audience: a lone '%' at the end"},
        {"pop_audience = ssh://a\x1b[2Jb\n", "/test.conf:1: pop_audience: control character"},
        {"pop_audience = ssh://a\rb\n", "/test.conf:1: pop_audience: control character"},
        {"pop_audience = ssh://a\x7f\n", "/test.conf:1: pop_audience: control character"},
        {"\npop_audience = ssh://a\npop_audience = ssh://b\n",
         "/test.conf:3: pop_audience: duplicate key (first set on line 2)"},
        {"pop_audience = host.example\n", "/test.conf:1: pop_audience: expected a target of the form SCHEME://HOST"},
        {"pop_audience = ssh://\n", "/test.conf:1: pop_audience: a target names a host after SCHEME://"},
        {"pop_audience = local:// ssh://a\n", "/test.conf:1: pop_audience: a target names a host"},
        {"pop_audience = 1ssh://a\n", "/test.conf:1: pop_audience: expected a target"},
        {"pop_audience = ss_h://a\n", "/test.conf:1: pop_audience: expected a target"},
        {"pop_audience = ssh:/a\n", "/test.conf:1: pop_audience: expected a target"},
        {"pop_audience = ssh:///a\n", "/test.conf:1: pop_audience: a target names a host"},
        {"pop_audience = ssh://a local://a ssh://a\n", "/test.conf:1: pop_audience: target listed twice"},
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
}

static void test_config_valid_file(void)
{
    int rc;
    pj_config *c;
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
}

static void test_config_defaults(void)
{
    int rc;
    pj_config *c;
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
    ok(c->pop_audience.n == 0 && !c->require_pop, "config: pop_audience unset by default");
    {
        char list[160];
        pj_scope sc = {"sshd", "h1"};
        pj_pop_audiences(c, &sc, list, sizeof(list));
        ok(strcmp(list, "ssh://h1 local://h1") == 0, "pop_audience default: %s (got %s)",
           PJ_POP_DEFAULT_AUDIENCE, list);
    }
    pj_config_free(c);
}

static void test_config_pop_audience(void)
{
    int rc;
    pj_config *c;
    c = parse("pop_audience = ssh://%h\tssh://alias.example  local://%s.%h ssh://100%% # comment\n"
              "require_pop = yes\n",
              &rc);
    is_int(rc, 0, "config: pop_audience parses (%s)", lastlog);
    ok(c->pop_audience.n == 4 && strcmp(c->pop_audience.v[0], "ssh://%h") == 0 &&
           strcmp(c->pop_audience.v[3], "ssh://100%%") == 0,
       "config: pop_audience values split on spaces and tabs, kept as written");
    ok(pj_config_uses_service(c), "config: pop_audience with %%s (under require_pop) needs the service");
    {
        char list[160];
        pj_scope sc = {"sudo", "h1"};
        pj_pop_audiences(c, &sc, list, sizeof(list));
        ok(strcmp(list, "ssh://h1 ssh://alias.example local://sudo.h1 ssh://100%") == 0,
           "pop_audience expanded for pamjwt check and the log (got %s)", list);
        pj_pop_audiences(c, NULL, list, sizeof(list));
        ok(strcmp(list, "ssh://%h ssh://alias.example local://%s.%h ssh://100%") == 0,
           "pop_audience: values that cannot be expanded show as written (got %s)", list);
        pj_pop_audiences(c, &sc, list, 20);
        ok(strcmp(list, "ssh://h1 ssh://a...") == 0, "pop_audience: a list cut short says so (got %s)", list);
    }
    pj_config_free(c);
    c = parse("pop_audience = local://%s\n", &rc);
    ok(rc == 0 && pj_config_uses_service(c),
       "config: pop_audience with %%s needs the service without require_pop too (every bound "
       "token is proven)");
    pj_config_free(c);
    c = parse("pop_audience = host://x https://a.example/p x-y.z+w://h git+ssh://h.\n", &rc);
    ok(rc == 0 && c->pop_audience.n == 4,
       "config: pop_audience takes any SCHEME://REST (host://x, https://, RFC 3986 scheme "
       "characters) (%s)", lastlog);
    pj_config_free(c);
}

/* Targets compare as the contract says: scheme and host part ignoring
 * case, one trailing dot of the host ignored, the path exactly. */
static void test_target_equal(void)
{
    struct { const char *a, *b; bool eq; } v[] = {
        {"ssh://HOST.EXAMPLE.", "ssh://host.example", true},
        {"ssh://host.example", "ssh://Host.Example.", true},
        {"SSH://host", "ssh://host", true},
        {"host://x", "host://x", true},
        {"ssh://host.example", "local://host.example", false},
        {"ssh://host.example", "ssh://host.example.evil", false},
        {"ssh://host.example..", "ssh://host.example", false},
        {"ssh://a.", "ssh://a", true},
        {"https://h/Path", "https://H./Path", true},
        {"https://h/Path", "https://h/path", false},
        {"ssh://h", "ssh://h/", false},
        {"host.example", "host.example", false},  /* not a target */
        {"ssh://", "ssh://", false},
        {"ssh:///x", "ssh:///x", false}, /* no host */
        {"ssh://a b", "ssh://a b", false},
    };
    const char *why = NULL;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ok(pj_target_equal(v[i].a, strlen(v[i].a), v[i].b, strlen(v[i].b)) == v[i].eq &&
               pj_target_equal(v[i].b, strlen(v[i].b), v[i].a, strlen(v[i].a)) == v[i].eq,
           "target: %s %s %s", v[i].a, v[i].eq ? "==" : "!=", v[i].b);
    }
    ok(!pj_target_equal("ssh://a\0b", 9, "ssh://a", 7), "target: a NUL inside is never part of one");
    ok(pj_target_valid("host://x", 8, &why) && !pj_target_valid("x", 1, &why),
       "target: host://x valid, a bare name not (%s)", why);
}

static void test_config(void)
{
    test_config_errors();
    test_config_valid_file();
    test_config_defaults();
    test_config_pop_audience();
    test_target_equal();
}

/* The one number parser: digits only, [min, max], no wrap past UINTMAX_MAX. */
static void test_parse_numbers(void)
{
    struct { const char *s; uintmax_t max; int rc; uintmax_t v; } u[] = {
        {"0", UINTMAX_MAX, 0, 0},
        {"1000", UINTMAX_MAX, 0, 1000},
        {"4294967294", UINTMAX_MAX, 0, 4294967294u},
        {"4294967295", UINTMAX_MAX, 0, 4294967295u},
        {"4294967296", UINTMAX_MAX, 0, 4294967296u},
        {"9223372036854775807", UINTMAX_MAX, 0, 9223372036854775807u},
        {"9223372036854775808", UINTMAX_MAX, 0, 9223372036854775808u},
        {"18446744073709551615", UINTMAX_MAX, 0, UINTMAX_MAX},
        {"18446744073709551616", UINTMAX_MAX, -1, 0},  /* 2^64: would wrap to 0 */
        {"18446744073709552616", UINTMAX_MAX, -1, 0},  /* 2^64 + 1000 */
        {"99999999999999999999999999999", UINTMAX_MAX, -1, 0},
        {"0000000000000000000000000001000", UINTMAX_MAX, 0, 1000},
        {"4294967295", 4294967294u, -1, 0},
        {"", UINTMAX_MAX, -1, 0}, {"-1", UINTMAX_MAX, -1, 0}, {"+1", UINTMAX_MAX, -1, 0},
        {" 1", UINTMAX_MAX, -1, 0}, {"1 ", UINTMAX_MAX, -1, 0}, {"1e3", UINTMAX_MAX, -1, 0},
        {"0x10", UINTMAX_MAX, -1, 0}, {"1.0", UINTMAX_MAX, -1, 0},
    };
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        uintmax_t v = 12345;
        int rc = pj_parse_uint(u[i].s, 0, u[i].max, &v);
        ok(rc == u[i].rc && v == (rc == 0 ? u[i].v : 12345),
           "pj_parse_uint('%s', max %ju): %s (got rc %d, %ju)", u[i].s, u[i].max,
           u[i].rc == 0 ? "accepted with its value" : "refused, *out untouched", rc, v);
    }
    uintmax_t v = 0;
    is_int(pj_parse_uint("999", 1000, UINTMAX_MAX, &v), -1, "pj_parse_uint: below min refused");
    int64_t w = 7;
    is_int(pj_parse_int64("9223372036854775807", 0, INT64_MAX, &w), 0,
           "pj_parse_int64: 2^63-1 accepted");
    ok(w == INT64_MAX, "pj_parse_int64: 2^63-1 kept whole");
    is_int(pj_parse_int64("9223372036854775808", 0, INT64_MAX, &w), -1,
           "pj_parse_int64: 2^63 refused (past INT64_MAX)");
    is_int(pj_parse_int64("18446744073709551615", 0, INT64_MAX, &w), -1,
           "pj_parse_int64: 2^64-1 refused, never -1");
    ok(w == INT64_MAX, "pj_parse_int64: *out untouched when refused");
    is_int(pj_parse_int64("5", -1, 10, &w), -1, "pj_parse_int64: a negative min is refused");
}

/* min_uid, leeway and max_lifetime at the edges of their range and of the
 * widths a number could be cut to (32-bit long, uid_t, 64 bits). */
static void test_config_number_edges(void)
{
    struct { const char *key, *value; int rc; uintmax_t v; } e[] = {
        {"min_uid", "0", 0, 0},
        {"min_uid", "1000", 0, 1000},
        {"min_uid", "4294967294", 0, 4294967294u},
        {"min_uid", "4294967295", -1, 0},             /* (uid_t)-1: no user */
        {"min_uid", "4294968296", -1, 0},             /* 2^32 + 1000: 1000 in a uid_t */
        {"min_uid", "9223372036854775807", -1, 0},    /* 2^63-1 */
        {"min_uid", "9223372036854775808", -1, 0},    /* 2^63 */
        {"min_uid", "18446744073709552616", -1, 0},   /* 2^64 + 1000 */
        {"min_uid", "-1", -1, 0},
        {"leeway", "0", 0, 0},
        {"leeway", "86400", 0, 86400},
        {"leeway", "86401", -1, 0},
        {"leeway", "4294967326", -1, 0},              /* 2^32 + 30 */
        {"leeway", "9223372036854775807", -1, 0},
        {"leeway", "9223372036854775808", -1, 0},
        {"leeway", "18446744073709551646", -1, 0},    /* 2^64 + 30 */
        {"max_lifetime", "0", 0, 0},
        {"max_lifetime", "1000", 0, 1000},
        {"max_lifetime", "31536000", 0, 31536000},
        {"max_lifetime", "31536001", -1, 0},
        {"max_lifetime", "4294970896", -1, 0},        /* 2^32 + 3600 */
        {"max_lifetime", "9223372036854775807", -1, 0},
        {"max_lifetime", "9223372036854775808", -1, 0},
        {"max_lifetime", "18446744073709555216", -1, 0}, /* 2^64 + 3600 */
    };
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        char text[128];
        int rc;
        snprintf(text, sizeof(text), "%s = %s\n", e[i].key, e[i].value);
        pj_config *c = parse(text, &rc);
        uintmax_t got = strcmp(e[i].key, "min_uid") == 0 ? (uintmax_t)c->min_uid
                        : strcmp(e[i].key, "leeway") == 0 ? (uintmax_t)c->leeway
                                                          : (uintmax_t)c->max_lifetime;
        if (e[i].rc == 0)
            ok(rc == 0 && got == e[i].v, "config: %s = %s accepted, read as %ju (%s)", e[i].key,
               e[i].value, got, lastlog);
        else
            ok(rc == -1 && strstr(lastlog, e[i].key) != NULL && strstr(lastlog, "expected") != NULL,
               "config: %s = %s refused, out of range (%s)", e[i].key, e[i].value, lastlog);
        pj_config_free(c);
    }
}

/* exp, nbf and iat are read by the token's JSON parser as 64-bit integers
 * (or reals) and compared as doubles: never through a 32-bit long or
 * time_t, so times past 2038 and 2106 keep their value. */
static void test_claims_number_edges(void)
{
    int rc;
    char why[256];
    const char *pwhy = NULL;
    pj_config *c = parse("max_lifetime = 0\n", &rc);
    pj_config *m = parse("max_lifetime = 3600\n", &rc);
    struct { pj_config *c; const char *claims; double now; int rc; const char *what; } e[] = {
        {c, "{\"exp\":0}", 1000.0, -1, "exp 0: expired"},
        {c, "{\"exp\":0}", 30.0, 0, "exp 0 at now 30 (leeway 30): accepted"},
        {c, "{\"exp\":1000}", 1000.0, 0, "exp 1000 at now 1000: accepted"},
        {c, "{\"exp\":4294967294}", 4294967000.0, 0, "exp 4294967294 (after 2106): accepted"},
        {c, "{\"exp\":4294967295}", 4294967325.0, 0, "exp 4294967295 at exp + leeway: accepted"},
        {c, "{\"exp\":4294967295}", 4294967326.0, -1, "exp 4294967295 past exp + leeway: refused"},
        {c, "{\"exp\":2147483648}", 2147483647.0, 0, "exp 2^31 (2038) a second ahead: accepted"},
        {c, "{\"exp\":2147483648}", 2147483679.0, -1, "exp 2^31 (2038) past the leeway: refused"},
        {c, "{\"exp\":4294968296}", 1100.0, 0, "exp 2^32 + 1000 is not 1000: accepted at 1100"},
        {c, "{\"exp\":9223372036854775807}", 1.8e9, 0, "exp 2^63-1: accepted (max_lifetime 0)"},
        {m, "{\"exp\":9223372036854775807}", 1.8e9, -1, "exp 2^63-1: beyond max_lifetime 3600"},
        {c, "{\"exp\":9223372036854775807,\"nbf\":9223372036854775807}", 1.8e9, -1,
         "nbf 2^63-1: not yet valid"},
        {c, "{\"exp\":4294968296,\"nbf\":4294968296}", 1100.0, -1,
         "nbf 2^32 + 1000 is not 1000: not yet valid at 1100"},
        {c, "{\"exp\":2000,\"nbf\":0}", 1000.0, 0, "nbf 0: accepted"},
        {c, "{\"exp\":9223372036854775807,\"iat\":9223372036854775807}", 1.8e9, -1,
         "iat 2^63-1: issued in the future"},
        {c, "{\"exp\":2000,\"iat\":0}", 1000.0, 0, "iat 0: accepted (max_lifetime 0)"},
        {m, "{\"exp\":2000,\"iat\":0}", 1000.0, 0, "iat 0, exp 2000: lifetime 2000 accepted"},
        {m, "{\"exp\":4294974496,\"iat\":4294970896}", 4294971000.0, 0,
         "iat 2^32 + 3600, exp 1 h later: accepted"},
        {m, "{\"exp\":4294974497,\"iat\":4294970896}", 4294971000.0, -1,
         "iat 2^32 + 3600, exp 3601 s later: beyond max_lifetime"},
        /* doubles hold every whole second exactly up to 2^53 */
        {m, "{\"exp\":4503599627370496,\"iat\":4503599627366896}", 4503599627366896.0, 0,
         "iat 2^52 - 3600, exp 2^52: lifetime 3600 accepted"},
        {m, "{\"exp\":4503599627370497,\"iat\":4503599627366896}", 4503599627366896.0, -1,
         "iat 2^52 - 3600, exp 2^52 + 1: lifetime 3601 refused"},
    };
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        json_t *j = pj_json_object(e[i].claims, strlen(e[i].claims), &pwhy);
        why[0] = '\0';
        ok(j != NULL && pj_check_claims(e[i].c, j, e[i].now, NULL, why, sizeof(why)) == e[i].rc,
           "claims: %s (%s)", e[i].what, why);
        json_decref(j);
    }
    /* 2^63 and beyond do not fit the parser's 64-bit integers: the token is refused */
    const char *big[] = {"{\"exp\":9223372036854775808}", "{\"exp\":18446744073709551616}",
                         "{\"exp\":2000,\"nbf\":9223372036854775808}",
                         "{\"exp\":2000,\"iat\":-9223372036854775809}"};
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
        ok(pj_json_object(big[i], strlen(big[i]), &pwhy) == NULL,
           "claims: %s refused by the token's JSON parser", big[i]);
    pj_config_free(c);
    pj_config_free(m);
}

/* Device sign-in keys: defaults, ranges, and what device_flow requires. */
static void test_device_config(void)
{
    int rc;
    pj_config *c;
    static const char base[] = "key_file = /k.pem\nallowed_subjects = *\n";
    struct { const char *text; const char *log; } bad[] = {
        {"device_timeout = 601\n", "device_timeout: expected whole seconds from 1 to 600"},
        {"device_timeout = 0\n", "device_timeout: expected whole seconds from 1 to 600"},
        {"device_timeout = -5\n", "device_timeout: expected whole seconds from 1 to 600"},
        {"device_timeout = 10s\n", "device_timeout: expected whole seconds from 1 to 600"},
        {"device_flow = maybe\n", "device_flow: expected yes or no"},
        {"device_flow = yes\ndevice_flow = yes\n", "device_flow: duplicate key"},
        {"device_flow = yes\nissuer = https://idp.example\n",
         "device_client_id: required with device_flow = yes"},
        {"device_flow = yes\ndevice_client_id = c\n", "issuer: required with device_flow"},
        {"device_flow = yes\ndevice_client_id = c\nissuer = http://idp.example\n",
         "issuer: device_flow needs an https issuer"},
        {"device_flow = yes\ndevice_client_id = c\nissuer = http://127.0.0.1.evil.example\n",
         "issuer: device_flow needs an https issuer"},
        {"device_flow = yes\ndevice_client_id = c\nissuer = idp\n",
         "issuer: device_flow needs an https issuer"},
        {"device_client_id = a b\n", "device_client_id: expected printable characters"},
        {"device_scope = openid\tx\n", "device_scope: expected printable characters"},
        {"device_user = root\n", "device_user: the helper never runs as root"},
        {"device_user = a:b\n", "device_user: not a valid user name"},
        {"device_ca_file = ca.pem\n", "device_ca_file: path must be absolute"},
        {"device_helper = bin/helper\n", "device_helper: path must be absolute"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[1024];
        snprintf(text, sizeof(text), "%s%s", base, bad[i].text);
        c = parse(text, &rc);
        if (rc == 0)
            rc = pj_config_finish(c, &LOG);
        is_int(rc, -1, "device config error: %s", bad[i].log);
        ok(strstr(lastlog, bad[i].log) != NULL, "device config error logged: %s (got: %s)",
           bad[i].log, lastlog);
        pj_config_free(c);
    }
    /* defaults: off, 110 s; the rest unset (the module supplies user, helper) */
    c = parse(base, &rc);
    ok(rc == 0 && !c->device_flow && c->device_timeout == 110 && c->device_client_id == NULL &&
           c->device_user == NULL && c->device_helper == NULL,
       "device config: off by default, device_timeout 110");
    pj_config_free(c);
    /* the keys before finish (keys are not loaded: no key file needed) */
    c = parse("issuer = https://idp.example/realms/x\ndevice_flow = yes\n"
              "device_client_id = pam-jwt\ndevice_scope = openid profile\ndevice_timeout = 600\n"
              "device_ca_file = /etc/ssl/ca.pem\ndevice_user = _pamjwt\n"
              "device_helper = /usr/local/libexec/h\n",
              &rc);
    ok(rc == 0 && c->device_flow && strcmp(c->device_client_id, "pam-jwt") == 0 &&
           strcmp(c->device_scope, "openid profile") == 0 && c->device_timeout == 600 &&
           strcmp(c->device_ca_file, "/etc/ssl/ca.pem") == 0 &&
           strcmp(c->device_user, "_pamjwt") == 0 &&
           strcmp(c->device_helper, "/usr/local/libexec/h") == 0,
       "device config: every key parsed (%s)", lastlog);
    pj_config_free(c);
    /* loopback http issuers are allowed (tests), with or without a port */
    const char *loop[] = {"http://127.0.0.1:8443", "http://localhost/x", "https://idp.example"};
    for (size_t i = 0; i < 3; i++) {
        char text[512];
        snprintf(text, sizeof(text), "%sdevice_flow = yes\ndevice_client_id = c\nissuer = %s\n",
                 base, loop[i]);
        c = parse(text, &rc);
        lastlog[0] = '\0';
        /* finish then fails on the missing key file, not on the device keys */
        (void)pj_config_finish(c, &LOG);
        ok(strstr(lastlog, "issuer") == NULL && strstr(lastlog, "device") == NULL,
           "device config: issuer %s accepted (%s)", loop[i], lastlog);
        pj_config_free(c);
    }
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
    const char *argv4[] = {"config=/etc/security/pam_jwt-%s.conf"};
    is_int(pj_args_parse(1, argv4, &a, &LOG), -1, "args: '%%' in the config path refused");
    ok(strstr(lastlog, "'%' in a path (paths are not expanded") != NULL, "args: ... logged (%s)",
       lastlog);
    is_int(pj_args_parse(0, NULL, &a, &LOG), 0, "args: none");
    ok(strcmp(a.prompt, "Token: ") == 0 && !a.use_first_pass, "args: defaults");
}

static json_t *J(const char *s)
{
    json_error_t e;
    return json_loads(s, 0, &e);
}

/* The claim checks' lines for the person at the prompt: UTC to the minute,
 * the token's audience (sanitized, the first of an array, or none). */
static void test_claims_tell(void)
{
    int rc;
    char why[256], tell[256], t[64];
    pj_config *c = parse("key_file = /k\nallowed_subjects = *\naudience = ssh://%h\n", &rc);
    pj_scope sc = {"sshd", "h1"};
    struct { const char *claims; double now; const char *line; } cases[] = {
        {"{\"exp\":1700000000,\"aud\":\"ssh://h1\"}", 1700000031.0,
         "Token expired at 2023-11-14 22:13 UTC: get a new one."},
        {"{\"exp\":4102444900,\"nbf\":4102444800,\"aud\":\"ssh://h1\"}", 1700000000.0,
         "Token is not valid before 2100-01-01 00:00 UTC."},
        {"{\"exp\":1000,\"aud\":\"ssh://h2\"}", 900.0, "Token is for ssh://h2, this host takes ssh://h1."},
        {"{\"exp\":1000,\"aud\":[\"a\\u001bb\",\"c\"]}", 900.0,
         "Token is for a\\x1bb and 1 other, this host takes ssh://h1."},
        {"{\"exp\":1000,\"aud\":[]}", 900.0, "Token names no audience, this host takes ssh://h1."},
        {"{\"exp\":1000,\"aud\":[1]}", 900.0,
         "Token's audience is not a list of names, this host takes ssh://h1."},
        {"{\"aud\":\"ssh://h1\"}", 900.0,
         "Token has no expiry time (exp): this host takes only tokens that expire."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = J(cases[i].claims);
        tell[0] = '\0';
        int r = pj_check_claims_as(c, j, cases[i].now, &sc, c->audience, why, sizeof(why), tell,
                                   sizeof(tell));
        ok(r == -1 && strcmp(tell, cases[i].line) == 0, "tell: %s -> '%s' (got '%s')",
           cases[i].claims, cases[i].line, tell);
        json_decref(j);
    }
    /* device_audience: the audience given is the one checked */
    json_t *j = J("{\"exp\":1000,\"aud\":\"cli\"}");
    is_int(pj_check_claims_as(c, j, 900.0, &sc, "cli", why, sizeof(why), NULL, 0), 0,
           "claims: the audience given (device_audience) replaces audience");
    is_int(pj_check_claims(c, j, 900.0, &sc, why, sizeof(why)), -1,
           "claims: ... which still refuses aud cli");
    json_decref(j);
    pj_utc_minute(1e300, t, sizeof(t));
    ok(strcmp(t, "a time out of range") == 0, "utc: 1e300 is out of range (got '%s')", t);
    pj_utc_minute(0.0 / 0.0, t, sizeof(t));
    ok(strcmp(t, "a time out of range") == 0, "utc: NaN is out of range (got '%s')", t);
    pj_utc_minute(59.9, t, sizeof(t));
    ok(strcmp(t, "1970-01-01 00:00 UTC") == 0, "utc: whole minutes (got '%s')", t);
    pj_config_free(c);
}

static void test_claims(void)
{
    int rc;
    pj_config *c = parse("key_file = /k\nallowed_subjects = *\n", &rc);
    char why[256];
    json_t *j = J("{\"exp\":1000,\"nbf\":900,\"iat\":800}");
    is_int(pj_check_claims(c, j, 1030.0, NULL, why, sizeof(why)), 0, "exp: now == exp + leeway accepted");
    is_int(pj_check_claims(c, j, 1030.001, NULL, why, sizeof(why)), -1, "exp: now > exp + leeway refused");
    ok(strstr(why, "expired") != NULL, "exp: reason says expired");
    is_int(pj_check_claims(c, j, 870.0, NULL, why, sizeof(why)), 0, "nbf: now + leeway == nbf accepted");
    is_int(pj_check_claims(c, j, 869.9, NULL, why, sizeof(why)), -1, "nbf: now + leeway < nbf refused");
    json_decref(j);
    j = J("{\"exp\":2000,\"iat\":1030}");
    is_int(pj_check_claims(c, j, 1000.0, NULL, why, sizeof(why)), 0, "iat: iat == now + leeway accepted");
    is_int(pj_check_claims(c, j, 999.0, NULL, why, sizeof(why)), -1, "iat: iat > now + leeway refused");
    json_decref(j);
    j = J("{\"exp\":4600,\"iat\":1000}");
    is_int(pj_check_claims(c, j, 1000.0, NULL, why, sizeof(why)), 0, "max_lifetime: exp - iat == 3600 accepted");
    json_decref(j);
    j = J("{\"exp\":4601,\"iat\":1000}");
    is_int(pj_check_claims(c, j, 1000.0, NULL, why, sizeof(why)), -1, "max_lifetime: 3601 s refused");
    json_decref(j);
    j = J("{\"exp\":4601}");
    is_int(pj_check_claims(c, j, 1001.0, NULL, why, sizeof(why)), 0, "max_lifetime without iat: exp - now");
    is_int(pj_check_claims(c, j, 1000.0, NULL, why, sizeof(why)), -1, "max_lifetime without iat: exp - now > max refused");
    json_decref(j);
    j = J("{\"exp\":1000.5}");
    is_int(pj_check_claims(c, j, 1030.5, NULL, why, sizeof(why)), 0, "exp fraction: boundary accepted");
    is_int(pj_check_claims(c, j, 1030.6, NULL, why, sizeof(why)), -1, "exp fraction: past boundary refused");
    json_decref(j);
    const char *badtypes[] = {"{}", "{\"exp\":\"1000\"}", "{\"exp\":null}", "{\"exp\":true}",
                              "{\"exp\":[1000]}", "{\"exp\":1000,\"nbf\":\"1\"}",
                              "{\"exp\":1000,\"iat\":{}}"};
    for (size_t i = 0; i < sizeof(badtypes) / sizeof(badtypes[0]); i++) {
        j = J(badtypes[i]);
        is_int(pj_check_claims(c, j, 900.0, NULL, why, sizeof(why)), -1, "claims refused: %s", badtypes[i]);
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

/* ---- group_map: the parser and the mapping (src/core/groups.c) ---- */

#define is_str(got, want, ...)                                                   \
    do {                                                                         \
        const char *g_ = (got), *w_ = (want);                                    \
        ok(strcmp(g_, w_) == 0, __VA_ARGS__);                                    \
        if (strcmp(g_, w_) != 0)                                                 \
            printf("#   got '%s', want '%s'\n", g_, w_);                         \
    } while (0)

static int gm_parse(pj_group_map *m, const char *text, size_t len)
{
    memset(m, 0, sizeof(*m));
    m->path = strdup("/gm");
    lastlog[0] = '\0';
    return pj_group_map_parse(m, text, len, &LOG);
}

static bool gm_rule(const pj_group_map *m, size_t i, const char *idp, const char *local,
                    unsigned line)
{
    return i < m->n && strcmp(m->v[i].idp, idp) == 0 && strcmp(m->v[i].local, local) == 0 &&
           m->v[i].line == line;
}

static void test_group_map_parse(void)
{
    pj_group_map m;
    const char *good = "# IdP group   local group\n"
                       "\n"
                       "/admins adm\n"
                       "  0a1b2c3d-0000-4000-8000-000000000001\tdevelopers   # Entra id\r\n"
                       "/Engineering Team  eng\n"
                       "a#b wheel#\n"
                       "#commented out\n"
                       "/admins adm";
    is_int(gm_parse(&m, good, strlen(good)), 0, "group_map: comments, blank lines, tabs, CRLF parse");
    is_int((int)m.n, 5, "group_map: five rules");
    ok(gm_rule(&m, 0, "/admins", "adm", 3), "group_map: a Keycloak path rule, line 3");
    ok(gm_rule(&m, 1, "0a1b2c3d-0000-4000-8000-000000000001", "developers", 4),
       "group_map: an Entra object id rule, comment and CR cut");
    ok(gm_rule(&m, 2, "/Engineering Team", "eng", 5),
       "group_map: IDP-GROUP is everything before the last word (spaces kept)");
    ok(gm_rule(&m, 3, "a#b", "wheel#", 6), "group_map: '#' inside a word is not a comment");
    ok(gm_rule(&m, 4, "/admins", "adm", 8), "group_map: last line without LF");
    pj_group_map_free(&m);

    struct { const char *text; const char *log; } bad[] = {
        {"/admins\n", "/gm:1: expected 'IDP-GROUP LOCAL-GROUP'"},
        {"\n  onlyone # x\n", "/gm:2: expected 'IDP-GROUP LOCAL-GROUP'"},
        {"/admins ad:m\n", "/gm:1: LOCAL-GROUP is not a valid group name"},
        {"/admins -adm\n", "/gm:1: LOCAL-GROUP is not a valid group name"},
        {"/admins a/dm\n", "/gm:1: LOCAL-GROUP is not a valid group name"},
        {"/adm\x01ins adm\n", "/gm:1: control character in a rule"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(gm_parse(&m, bad[i].text, strlen(bad[i].text)), -1, "group_map: refused: %s",
               bad[i].log);
        ok(strstr(lastlog, bad[i].log) != NULL, "group_map: logged '%s' (got '%s')", bad[i].log,
           lastlog);
        pj_group_map_free(&m);
    }
    is_int(gm_parse(&m, "a b\0c d\n", 8), -1, "group_map: a NUL byte refused");
    ok(strstr(lastlog, "NUL byte") != NULL, "group_map: NUL byte logged");
    pj_group_map_free(&m);

    /* bounds: line length, rule count, file size */
    size_t big = PJ_MAX_GROUP_MAP_SIZE + 2;
    char *t = malloc(big);
    memset(t, 'x', PJ_MAX_GROUP_LINE + 1);
    memcpy(t + PJ_MAX_GROUP_LINE + 1, " g\n", 3);
    is_int(gm_parse(&m, t, PJ_MAX_GROUP_LINE + 4), -1, "group_map: a line of 4097 bytes refused");
    ok(strstr(lastlog, "/gm:1: line longer than 4096 bytes") != NULL, "group_map: long line logged");
    pj_group_map_free(&m);
    memset(t, 'x', PJ_MAX_GROUP_LINE);
    memcpy(t + PJ_MAX_GROUP_LINE - 2, " g", 2);
    is_int(gm_parse(&m, t, PJ_MAX_GROUP_LINE), 0, "group_map: a line of 4096 bytes parses");
    pj_group_map_free(&m);
    size_t o = 0;
    for (int i = 0; i <= PJ_MAX_GROUP_RULES; i++)
        o += (size_t)sprintf(t + o, "g%d l%d\n", i, i);
    is_int(gm_parse(&m, t, o - strlen("g1024 l1024\n")), 0, "group_map: 1024 rules parse");
    is_int((int)m.n, PJ_MAX_GROUP_RULES, "group_map: 1024 rules kept");
    pj_group_map_free(&m);
    is_int(gm_parse(&m, t, o), -1, "group_map: 1025 rules refused");
    ok(strstr(lastlog, "/gm:1025: more than 1024 rules") != NULL, "group_map: rule count logged");
    pj_group_map_free(&m);
    memset(t, '\n', big);
    is_int(gm_parse(&m, t, PJ_MAX_GROUP_MAP_SIZE), 0, "group_map: 1 MiB of blank lines parses");
    pj_group_map_free(&m);
    is_int(gm_parse(&m, t, PJ_MAX_GROUP_MAP_SIZE + 1), -1, "group_map: 1 MiB + 1 byte refused");
    ok(strstr(lastlog, "larger than") != NULL, "group_map: size logged");
    pj_group_map_free(&m);
    free(t);
}

static void test_group_map_gids(void)
{
    pj_group_map m;
    char root[256] = "", g1name[256] = "", text[600];
    struct group *g = getgrgid(0);
    if (g != NULL)
        snprintf(root, sizeof(root), "%s", g->gr_name);
    if ((g = getgrgid(1)) != NULL)
        snprintf(g1name, sizeof(g1name), "%s", g->gr_name);
    if (root[0] == '\0' || g1name[0] == '\0') {
        skip(4, "no group with gid 0 or 1");
        return;
    }
    snprintf(text, sizeof(text), "x %s\nnone pjtest-no-such-group\n", g1name);
    gm_parse(&m, text, strlen(text));
    is_int(pj_group_map_check_gids(&m, &LOG), 0,
           "group_map: an existing group and a missing one are fine at load");
    pj_group_map_free(&m);
    snprintf(text, sizeof(text), "x %s\n# c\n/admins %s\n", g1name, root);
    gm_parse(&m, text, strlen(text));
    is_int(pj_group_map_check_gids(&m, &LOG), -1, "group_map: a gid 0 local group is a config error");
    char want[300];
    snprintf(want, sizeof(want), "group_map /gm:3: local group %s has gid 0", root);
    ok(strstr(lastlog, want) != NULL, "group_map: gid 0 logged with file and line (got '%s')",
       lastlog);
    pj_group_map_free(&m);

    /* the config keys */
    int rc;
    pj_config *c = parse("group_map = /a\ngroup_map = /b\n", &rc);
    ok(rc == -1 && strstr(lastlog, "group_map: duplicate key") != NULL,
       "config: group_map is set once");
    pj_config_free(c);
    c = parse("group_claim = roles\ngroup_map = /etc/gm\n", &rc);
    ok(rc == 0 && strcmp(c->group_claim, "roles") == 0 && strcmp(c->group_map.path, "/etc/gm") == 0,
       "config: group_map and group_claim parse");
    pj_config_free(c);
}

/* The local groups the claims map to, as "a b c"; "!" on error. */
static const char *mapped(const pj_group_map *m, const char *claims_json, const char *claim,
                          size_t *dropped)
{
    static char out[4096];
    pj_strlist l = {0};
    json_error_t e;
    json_t *j = json_loads(claims_json, JSON_ALLOW_NUL, &e); /* as the token's claims */
    size_t o = 0;
    out[0] = '\0';
    if (j == NULL || pj_groups_map(m, j, claim, &l, dropped) != 0)
        snprintf(out, sizeof(out), "!");
    for (size_t i = 0; i < l.n && o < sizeof(out); i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "", l.v[i]);
    pj_strlist_free(&l);
    json_decref(j);
    return out;
}

static void test_groups_mapping(void)
{
    pj_group_map m;
    size_t dr = 99;
    const char *text = "/admins adm\n"
                       "0a1b2c3d-0000-4000-8000-000000000001 developers\n"
                       "/ops adm\n"
                       "/ops ops\n"
                       "/Engineering Team eng\n";
    gm_parse(&m, text, strlen(text));
    is_str(mapped(&m, "{\"groups\":\"/admins\"}", NULL, &dr), "adm", "groups: a string claim");
    is_int((int)dr, 0, "groups: nothing dropped");
    is_str(mapped(&m, "{\"groups\":[\"/ops\",\"0a1b2c3d-0000-4000-8000-000000000001\"]}", NULL, &dr),
           "developers adm ops", "groups: an array claim, in rule order");
    is_str(mapped(&m, "{\"groups\":[5,null,{\"a\":\"/admins\"},[\"/admins\"],true,\"/Engineering Team\"]}",
                  NULL, &dr),
           "eng", "groups: members that are not strings are ignored");
    is_str(mapped(&m, "{\"groups\":[\"/Admins\",\"/admins/sub\",\"admins\",\"/admins \",\"adm\"]}", NULL, &dr),
           "", "groups: exact match only (case, prefix, path, space, local name)");
    is_str(mapped(&m, "{\"groups\":\"/admins\\u0000x\"}", NULL, &dr), "",
           "groups: a value with a NUL after a rule's text does not match");
    is_str(mapped(&m, "{\"sub\":\"x\"}", NULL, &dr), "", "groups: no claim, no groups");
    is_str(mapped(&m, "{\"groups\":{\"/admins\":1}}", NULL, &dr), "", "groups: an object maps to nothing");
    is_str(mapped(&m, "{\"groups\":42}", NULL, &dr), "", "groups: a number maps to nothing");
    is_str(mapped(&m, "{\"groups\":[\"/admins\",\"/ops\",\"/admins\",\"/ops\"]}", NULL, &dr),
           "adm ops", "groups: duplicates (in the claim and in the map) give each group once");
    is_str(mapped(&m, "{\"groups\":[\"/admins\"],\"roles\":[\"/ops\"]}", "roles", &dr), "adm ops",
           "groups: group_claim names another claim");
    pj_group_map_free(&m);

    /* at most 64: the first 64 distinct groups in rule order */
    char *t = malloc(100 * 40), claims[100 * 20], want[100 * 8];
    size_t o = 0, co = 0, wo = 0;
    co += (size_t)sprintf(claims, "{\"groups\":[");
    for (int i = 0; i < 70; i++) {
        o += (size_t)sprintf(t + o, "g%d l%d\n", i, i);
        co += (size_t)sprintf(claims + co, "%s\"g%d\"", i ? "," : "", 69 - i);
        if (i < PJ_MAX_GROUPS_ADDED)
            wo += (size_t)sprintf(want + wo, "%sl%d", i ? " " : "", i);
    }
    sprintf(claims + co, "]}");
    gm_parse(&m, t, o);
    is_str(mapped(&m, claims, NULL, &dr), want, "groups: 70 matches give the first 64 (rule order)");
    is_int((int)dr, 6, "groups: the 6 more are counted as dropped");
    pj_group_map_free(&m);
    free(t);
}

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

static void test_big_lists(void)
{
    big_list_cases();
    big_list_prefixes();
    big_list_offsets(false);
    big_list_offsets(true);
}

/* A proof's iat is compared with the time its answer arrived (the
 * request's answer_clock), in whole seconds, not with the login's start. */
static double fake_arrival;
static long proof_iat;
static EVP_PKEY *holder;
static const char *proof_token;

static double arrival_clock(void)
{
    return fake_arrival;
}

static int answer_proof(void *ctx, const char *prompt, char **answer)
{
    char nonce[64], claims[512], hdr[1024];
    unsigned char md[32];
    unsigned int ml = 0;
    (void)ctx;
    snprintf(nonce, sizeof(nonce), "%s", prompt + strlen("pamjwt-pop "));
    nonce[strcspn(nonce, ":")] = '\0';
    EVP_Digest(proof_token, strlen(proof_token), md, &ml, EVP_sha256(), NULL);
    char *ath = pj_b64url_encode(md, 32), *jwk = tl_jwk(holder, NULL, NULL, NULL);
    snprintf(claims, sizeof(claims), "{\"nonce\":\"%s\",\"iat\":%ld,\"ath\":\"%s\","
             "\"aud\":\"local://h1\"}", nonce, proof_iat, ath);
    snprintf(hdr, sizeof(hdr), "{\"typ\":\"pamjwt-pop+jwt\",\"alg\":\"ES256\",\"jwk\":%s}", jwk);
    *answer = tl_sign_raw(hdr, claims, "ES256", holder, NULL, 0);
    free(ath);
    free(jwk);
    fake_arrival = 1000000101.9; /* the client took its time */
    return 0;
}

static void test_decide_pop_clock(void)
{
    char *dir = tl_tmpdir(), path[4096], conf[8192], user[256], payload[512], jkt[64];
    unsigned char tp[32];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *k = tl_keygen("p256");
    holder = tl_keygen("p256");
    char *hjwk = tl_jwk(holder, NULL, NULL, NULL);
    json_t *hj = json_loads(hjwk, 0, NULL);
    ok(pj_jwk_thumbprint(hj, tp) == 0, "pop clock: holder key thumbprint");
    char *e = pj_b64url_encode(tp, 32);
    snprintf(jkt, sizeof(jkt), "%s", e);
    free(e);
    json_decref(hj);
    free(hjwk);
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    tl_write_pub(k, path);
    snprintf(conf, sizeof(conf), "key_file = %s\nallowed_subjects = *\nleeway = 0\n", path);
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    tl_write_file(path, conf, strlen(conf), 0644);
    snprintf(payload, sizeof(payload),
             "{\"sub\":\"%s\",\"iat\":1000000000,\"exp\":1000000600,\"cnf\":{\"jkt\":\"%s\"}}",
             user, jkt);
    char *tok = tl_sign_raw("{\"alg\":\"ES256\"}", payload, "ES256", k, NULL, 0);
    pj_request rq = {0};
    pj_decision d;
    rq.config_path = path;
    rq.input = tok;
    rq.input_len = strlen(tok);
    rq.log = &LOG;
    rq.host = "h1";
    rq.now = 1000000100.5; /* the login starts */
    rq.ask = answer_proof;
    rq.answer_clock = arrival_clock;
    proof_token = tok;
    proof_iat = 1000000101; /* signed in the second the answer arrives */
    pj_decide(&rq, &d);
    is_int(d.result, PJ_ACCEPT, "pop clock: leeway 0, proof signed in the second it arrived, a "
                                "second after the login started: accepted (%s)", d.reason);
    pj_decision_free(&d);
    proof_iat = 1000000100; /* signed when the login started: a second before it arrived */
    pj_decide(&rq, &d);
    is_int(d.result, PJ_REFUSE, "pop clock: leeway 0, iat a second before the answer arrived: refused");
    ok(strstr(d.reason, "iat is not within leeway") != NULL, "... reason '%s'", d.reason);
    pj_decision_free(&d);
    free(tok);
    EVP_PKEY_free(k);
    EVP_PKEY_free(holder);
    tl_rmtree(dir);
    free(dir);
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

/* ------------------------------------------------------------ JWK Sets */

/* Every line the JWKS code logs, counted, the last one kept. */
static char jlast[2048];
static int jlines, jwarnings;
static void jcapture(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    jlines++;
    jwarnings += prio == LOG_WARNING;
    snprintf(jlast, sizeof(jlast), "%s", msg);
}
static pj_log JLOG = {jcapture, NULL, true};

static void jreset(void)
{
    jlines = jwarnings = 0;
    jlast[0] = '\0';
}

/* A one-key set from a JWK's text; -1 when pj_jwks_parse refuses it. */
static int jset1(pj_keyset *ks, const char *jwk)
{
    char *set = pj_strfmt("{\"keys\":[%s]}", jwk);
    int rc = pj_jwks_parse(ks, set, strlen(set), "/t.jwks", &JLOG);
    free(set);
    return rc;
}

/* An EC JWK with x and y written in xlen / ylen bytes: 0 for the fewest
 * the number needs (leading zero bytes dropped, as PyJWT 2.6 does). */
static char *ec_jwk_len(EVP_PKEY *k, const char *crv, int xlen, int ylen)
{
    BIGNUM *x = NULL, *y = NULL;
    unsigned char bx[80], by[80];
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    int xl = xlen ? BN_bn2binpad(x, bx, xlen) : BN_bn2bin(x, bx);
    int yl = ylen ? BN_bn2binpad(y, by, ylen) : BN_bn2bin(y, by);
    char *xs = pj_b64url_encode(bx, (size_t)xl), *ys = pj_b64url_encode(by, (size_t)yl);
    char *out = pj_strfmt("{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", crv, xs, ys);
    BN_free(x);
    BN_free(y);
    free(xs);
    free(ys);
    return out;
}

/* 1 when k verifies a token that key signed with alg. */
static int jverifies(pj_key *k, pj_alg alg, EVP_PKEY *key)
{
    const char *name = pj_alg_get(alg)->name;
    char *hdr = pj_strfmt("{\"alg\":\"%s\"}", name);
    char *tok = tl_sign_raw(hdr, "{\"sub\":\"x\"}", name, key, NULL, 0);
    const char *dot = strrchr(tok, '.');
    size_t sl = 0;
    unsigned char *sig = pj_b64url_decode(dot + 1, strlen(dot + 1), &sl);
    int r = pj_sig_verify(alg, k, (const unsigned char *)tok, (size_t)(dot - tok), sig, sl);
    free(sig);
    free(tok);
    free(hdr);
    return r;
}

/* A key generated until one coordinate starts with a zero byte. */
static EVP_PKEY *ec_key_with_leading_zero(const char *type, size_t coord)
{
    for (int tries = 0; tries < 5000; tries++) {
        EVP_PKEY *k = tl_keygen(type);
        BIGNUM *x = NULL, *y = NULL;
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
        bool short_one = (size_t)BN_num_bytes(x) < coord || (size_t)BN_num_bytes(y) < coord;
        BN_free(x);
        BN_free(y);
        if (short_one)
            return k;
        EVP_PKEY_free(k);
    }
    return NULL;
}

static void test_curves(void)
{
    int bad = 0;
    for (int a = PJ_ALG_ES256; a <= PJ_ALG_ES512; a++) {
        const pj_alg_info *ai = pj_alg_get((pj_alg)a);
        const pj_curve *c = ai->curve;
        bad += c == NULL || c->alg != (pj_alg)a ||
               c->coord > PJ_MAX_EC_COORD || pj_curve_by_crv(c->crv) != c ||
               pj_curve_by_nid(c->nid) != c || pj_curve_by_group(c->group) != c ||
               OBJ_sn2nid(c->group) != c->nid;
    }
    is_int(bad, 0, "curves: ES256/384/512 each name their curve, and it names them back");
    ok(pj_curve_by_crv("P-256")->nid == NID_X9_62_prime256v1 &&
           pj_curve_by_crv("P-521")->coord == 66 && pj_curve_by_group("secp384r1")->alg == PJ_ALG_ES384,
       "curves: P-256 is prime256v1, P-521 has 66-byte coordinates, secp384r1 is ES384's");
    ok(pj_curve_by_crv("secp256k1") == NULL && pj_curve_by_crv("p-256") == NULL &&
           pj_curve_by_crv(NULL) == NULL && pj_curve_by_nid(NID_secp256k1) == NULL &&
           pj_curve_by_group("secp256k1") == NULL && pj_curve_by_group("nonsense") == NULL,
       "curves: anything else is not in the table");
    char *s = pj_strfmt("%s #%zu", "jwks_file /x", (size_t)12);
    ok(s && strcmp(s, "jwks_file /x #12") == 0, "pj_strfmt: formats");
    free(s);
    char big[3000];
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = pj_strfmt("key_file %s", big);
    ok(s && strlen(s) == 9 + sizeof(big) - 1 && strncmp(s, "key_file pp", 11) == 0,
       "pj_strfmt: a 3000-byte path is not cut");
    free(s);
}

/* A JWK Set is a config error unless pj_json_object reads it as an object
 * with a non-empty "keys" array; the reason is logged. */
static void test_jwks_sets(void)
{
    static const struct { const char *text, *why; } bad[] = {
        {"{\"keys\":{}}", "not a JWK Set: no \"keys\" array"},
        {"{\"kees\":[]}", "not a JWK Set: no \"keys\" array"},
        {"{\"keys\":[]}", "(\"keys\" is empty)"},
        {"[{\"kty\":\"EC\"}]", "not a JWK Set: not a JSON object"},
        {"{\"keys\":[{\"kty\":\"EC\"}],\"keys\":[]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"kty\":\"EC\",\"kty\":\"RSA\"}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"kty\":\"EC\"},]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"kid\":\"a\\u0000b\"}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"n\":01}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[{\"n\":1e999}]}", "not a JWK Set: not valid JSON"},
        {"{\"keys\":[]} x", "not a JWK Set: not valid JSON"},
        {"", "not a JWK Set: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pj_keyset ks = {0};
        jreset();
        int rc = pj_jwks_parse(&ks, bad[i].text, strlen(bad[i].text), "/t.jwks", &JLOG);
        ok(rc == -1 && jlines == 1 && strstr(jlast, "jwks_file /t.jwks") &&
               strstr(jlast, bad[i].why),
           "jwks set '%s' refused: '%s'", bad[i].text, jlast);
        pj_keyset_free(&ks);
    }
    /* a raw NUL byte anywhere */
    pj_keyset ks = {0};
    jreset();
    ok(pj_jwks_parse(&ks, "{\"keys\":[{}]}\0", 14, "/t.jwks", &JLOG) == -1 &&
           strstr(jlast, "not valid JSON"),
       "jwks set with a raw NUL byte refused");
    pj_keyset_free(&ks);
    char deep[200];
    snprintf(deep, sizeof(deep), "{\"keys\":[{\"x\":%.*s1%.*s}]}", 31,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 31, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    jreset();
    ok(pj_jwks_parse(&ks, deep, strlen(deep), "/t.jwks", &JLOG) == -1 &&
           strstr(jlast, "not a JWK Set: JSON nested too deeply"),
       "jwks set nested 34 levels refused");
    pj_keyset_free(&ks);
    snprintf(deep, sizeof(deep), "{\"keys\":[{\"x\":%.*s1%.*s}]}", 29,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 29, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    jreset();
    ok(pj_jwks_parse(&ks, deep, strlen(deep), "/t.jwks", &JLOG) == 0 && ks.n == 1 && jlines == 0,
       "jwks set nested 32 levels read (its key is refused only when used)");
    pj_keyset_free(&ks);
    /* loading reads every key and names it; it logs nothing about keys */
    const char *three = "{\"keys\":[{\"kty\":\"nope\",\"kid\":\"a\"},7,"
                        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"c\"}],\"x\":1}";
    jreset();
    ok(pj_jwks_parse(&ks, three, strlen(three), "/t.jwks", &JLOG) == 0 && ks.n == 3 && jlines == 0,
       "jwks: three keys read, nothing logged at load");
    ok(ks.v[0].jwks && ks.v[2].jwks && strcmp(ks.v[0].kid, "a") == 0 && ks.v[1].kid == NULL &&
           strcmp(ks.v[2].kid, "c") == 0,
       "jwks: kids kept (a refused key keeps its kid, so a token naming it is told why)");
    ok(strcmp(ks.v[0].source, "jwks_file /t.jwks key #0") == 0 &&
           strcmp(ks.v[2].source, "jwks_file /t.jwks key #2") == 0,
       "jwks: keys named by file and index");
    ok(ks.v[0].state == PJ_KEY_BAD && ks.v[1].state == PJ_KEY_BAD &&
           ks.v[2].state == PJ_KEY_UNBUILT && ks.v[2].pkey == NULL && ks.v[2].jwk != NULL,
       "jwks: classified at load, nothing built");
    pj_keyset_free(&ks);
}

/* Each reason a JWK is refused at load: unusable for every alg, logged
 * once, only when a token could select the key. */
static void test_jwks_refused(void)
{
    static const struct { const char *jwk, *why; } bad[] = {
        {"7", "not a JSON object"},
        {"{\"crv\":\"P-256\"}", "no kty"},
        {"{\"kty\":7}", "no kty"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"\"}", "kid is not a non-empty string"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":5}", "kid is not a non-empty string"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"RS999\"}", "alg is not one this build verifies"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"none\"}", "alg is not one this build verifies"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":[]}", "alg is not one this build verifies"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"HS256\"}", "symmetric alg"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}", "holds private key material"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\"}", "member missing or not a string"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":65537}", "member missing or not a string"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\"}", "member missing or not a string"},
        {"{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "EC key without crv"},
        {"{\"kty\":\"EC\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "EC key without crv"},
        {"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AQAB\"}", "OKP key without crv"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", "member missing or not a string"},
        {"{\"kty\":\"oct\",\"k\":\"AQAB\"}", "symmetric (oct) key"},
        {"{\"kty\":\"DSA\"}", "unsupported kty"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAB\",\"y\":\"AQAB\",\"alg\":\"ES384\"}", "alg does not fit the key type"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"EdDSA\"}", "alg does not fit the key type"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pj_keyset ks = {0};
        jreset();
        int rc = jset1(&ks, bad[i].jwk);
        int fits = 0, logged_at_load = jlines;
        for (int a = 0; a < PJ_ALG_COUNT; a++)
            fits += pj_key_fit(&ks.v[0], (pj_alg)a, &JLOG) != -1 ||
                    pj_alg_fits_key((pj_alg)a, &ks.v[0]);
        char want[200];
        snprintf(want, sizeof(want), "jwks_file /t.jwks key #0: skipped: %s", bad[i].why);
        ok(rc == 0 && ks.n == 1 && logged_at_load == 0 && fits == 0 && jwarnings == 1 &&
               jlines == 1 && strncmp(jlast, want, strlen(want)) == 0,
           "jwk %s: unusable for every alg, logged once: '%s'", bad[i].jwk, jlast);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && ks.v[0].pkey == NULL && jlines == 1,
           "... never built, not logged again");
        pj_keyset_free(&ks);
    }
#ifndef HAVE_EDDSA
    pj_keyset ks = {0};
    jset1(&ks, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAB\"}");
    ok(pj_key_fit(&ks.v[0], PJ_ALG_ES256, &JLOG) == -1 && strstr(jlast, "not supported"),
       "jwk OKP: refused by a build without EdDSA");
    pj_keyset_free(&ks);
#endif
}

/* use other than "sig": never used, never an error, a debug line once. */
static void test_jwks_use(void)
{
    static const char *uses[] = {"\"enc\"", "\"SIG\"", "7", "null", "\"\""};
    for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
        pj_keyset ks = {0};
        char *jwk = pj_strfmt("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"use\":%s}", uses[i]);
        jreset();
        jset1(&ks, jwk);
        int zero = 0;
        for (int a = 0; a < PJ_ALG_COUNT; a++)
            zero += pj_key_fit(&ks.v[0], (pj_alg)a, &JLOG) == 0;
        ok(zero == PJ_ALG_COUNT && jlines == 1 && jwarnings == 0 &&
               strstr(jlast, "key #0: skipped: use is not \"sig\""),
           "jwk use %s: fits no alg, one debug line", uses[i]);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && jlines == 1, "... and is never built");
        free(jwk);
        pj_keyset_free(&ks);
    }
}

static void test_jwks_build_once(EVP_PKEY *ec, EVP_PKEY *rsa)
{
    pj_keyset ks = {0};
    char *jwk = tl_jwk(ec, "e1", NULL, "sig");

    jreset();
    jset1(&ks, jwk);
    pj_key *k = &ks.v[0];
    ok(pj_key_fit(k, PJ_ALG_ES256, &JLOG) == 1 && pj_key_fit(k, PJ_ALG_ES384, &JLOG) == 0 &&
           pj_key_fit(k, PJ_ALG_RS256, &JLOG) == 0 && pj_key_fit(k, PJ_ALG_HS256, &JLOG) == 0 &&
           pj_key_fit(k, PJ_ALG_EDDSA, &JLOG) == 0,
       "jwk P-256: fits ES256 only");
    ok(k->pkey == NULL && k->jwk != NULL && !pj_sig_verify(PJ_ALG_ES256, k, (const unsigned char *)"a", 1,
                                                           (const unsigned char *)"b", 1),
       "jwk P-256: pj_key_fit builds nothing; an unbuilt key verifies nothing");
    ok(pj_key_ready(k, &JLOG) == 0 && k->pkey != NULL && k->jwk == NULL && k->state == PJ_KEY_READY,
       "jwk P-256: pj_key_ready builds it and drops the JWK (decoded once)");
    ok(pj_key_ready(k, &JLOG) == 0 && jverifies(k, PJ_ALG_ES256, ec) && jlines == 0,
       "jwk P-256: verifies ES256; nothing logged");
    free(jwk);
    pj_keyset_free(&ks);

    /* its own alg restricts it */
    jwk = tl_jwk(rsa, NULL, "PS384", NULL);
    jset1(&ks, jwk);
    k = &ks.v[0];
    ok(pj_key_fit(k, PJ_ALG_PS384, &JLOG) == 1 && pj_key_fit(k, PJ_ALG_RS256, &JLOG) == 0 &&
           pj_key_fit(k, PJ_ALG_PS256, &JLOG) == 0,
       "jwk RSA with alg PS384: fits PS384 only");
    ok(pj_key_ready(k, &JLOG) == 0 && jverifies(k, PJ_ALG_PS384, rsa), "... and verifies it");
    free(jwk);
    pj_keyset_free(&ks);
}

/* refused when built: logged once, then unusable where its type fits */
static void test_jwks_build_refused(EVP_PKEY *small)
{
    pj_keyset ks = {0};
    pj_key *k;
    char *jwk;
    static const struct { const char *jwk; pj_alg alg; const char *why; } broken[] = {
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
         "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}",
         PJ_ALG_ES256, "EC point is not on the curve"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"!!!\",\"y\":\"AQAB\"}", PJ_ALG_ES256,
         "member is not base64url"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"\",\"y\":\"AQAB\"}", PJ_ALG_ES256,
         "member is not base64url"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQ=\"}", PJ_ALG_RS256, "member is not base64url"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", PJ_ALG_RS256,
         "RSA key shorter than 2048 bits"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAB\"}", PJ_ALG_EDDSA,
         "OKP public key has the wrong length"},
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
#ifndef HAVE_EDDSA
        if (broken[i].alg == PJ_ALG_EDDSA)
            continue;
#endif
        jreset();
        jset1(&ks, broken[i].jwk);
        k = &ks.v[0];
        pj_alg other = broken[i].alg == PJ_ALG_RS256 ? PJ_ALG_ES256 : PJ_ALG_RS256;
        int before = pj_key_fit(k, broken[i].alg, &JLOG);
        int ready = pj_key_ready(k, &JLOG);
        int lines = jlines;
        char want[200];
        snprintf(want, sizeof(want), "jwks_file /t.jwks key #0: skipped: %s", broken[i].why);
        ok(before == 1 && ready == -1 && lines == 1 && jwarnings == 1 && strcmp(jlast, want) == 0,
           "jwk %s: fits, refused when built: '%s'", broken[i].jwk, jlast);
        ok(pj_key_fit(k, broken[i].alg, &JLOG) == -1 && pj_key_fit(k, other, &JLOG) == 0 &&
               pj_key_ready(k, &JLOG) == -1 && k->pkey == NULL && k->jwk == NULL && jlines == 1,
           "... then unusable for its alg, not fitting others, not logged again");
        pj_keyset_free(&ks);
    }
    /* a real 1024-bit RSA key */
    jwk = tl_jwk(small, "s", NULL, NULL);
    jreset();
    jset1(&ks, jwk);
    ok(pj_key_fit(&ks.v[0], PJ_ALG_RS256, &JLOG) == 1 && pj_key_ready(&ks.v[0], &JLOG) == -1 &&
           strstr(jlast, "RSA key shorter than 2048 bits"),
       "jwk RSA-1024: refused when built");
    free(jwk);
    pj_keyset_free(&ks);
}

/* key_file and HMAC keys: always ready, never -1 */
static void test_jwks_build_file_and_hmac(EVP_PKEY *ec)
{
    pj_keyset ks = {0};
    pj_keys_add_pkey(&ks, EVP_PKEY_dup(ec), "key_file /k.pem", NULL, -1, &JLOG);
    unsigned char *secret = malloc(32);
    memset(secret, 7, 32);
    pj_keys_add_hmac(&ks, secret, 32, "/s");
    jreset();
    ok(pj_key_fit(&ks.v[0], PJ_ALG_ES256, &JLOG) == 1 && pj_key_fit(&ks.v[0], PJ_ALG_ES512, &JLOG) == 0 &&
           pj_key_ready(&ks.v[0], &JLOG) == 0 && pj_key_fit(&ks.v[1], PJ_ALG_HS384, &JLOG) == 1 &&
           pj_key_fit(&ks.v[1], PJ_ALG_RS256, &JLOG) == 0 && pj_key_ready(&ks.v[1], &JLOG) == 0 &&
           jlines == 0,
       "key_file and HMAC keys: fit by type, always ready, nothing logged");
    ok(strcmp(ks.v[0].source, "key_file /k.pem") == 0 &&
           strcmp(ks.v[1].source, "hmac_secret_file /s") == 0,
       "key_file and HMAC keys: named for log lines");
    pj_keyset_free(&ks);
}

/* Members are decoded only when a token selects the key, once. */
static void test_jwks_build(void)
{
    EVP_PKEY *ec = tl_keygen("p256"), *rsa = tl_keygen("rsa"), *small = tl_keygen("rsa1024");
    test_jwks_build_once(ec, rsa);
    test_jwks_build_refused(small);
    test_jwks_build_file_and_hmac(ec);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(small);
}

/* PyJWT 2.6 and authlib 1.2 write EC x and y without their leading zero
 * bytes: such a coordinate is padded back; a longer one is refused. */
static void test_jwks_short_coords(void)
{
    static const struct { const char *type, *crv; size_t coord; pj_alg alg; } cs[] = {
        {"p521", "P-521", 66, PJ_ALG_ES512},
        {"p256", "P-256", 32, PJ_ALG_ES256},
    };
    for (size_t i = 0; i < 2; i++) {
        EVP_PKEY *key = ec_key_with_leading_zero(cs[i].type, cs[i].coord);
        pj_keyset ks = {0};
        if (key == NULL) {
            ok(0, "%s: no key with a leading zero byte found", cs[i].crv);
            continue;
        }
        char *shortj = ec_jwk_len(key, cs[i].crv, 0, 0);
        char *full = ec_jwk_len(key, cs[i].crv, (int)cs[i].coord, (int)cs[i].coord);
        char *longx = ec_jwk_len(key, cs[i].crv, (int)cs[i].coord + 1, (int)cs[i].coord);
        char *longy = ec_jwk_len(key, cs[i].crv, 0, (int)cs[i].coord + 1);
        ok(strlen(shortj) < strlen(full), "%s: the key's JWK written short is shorter", cs[i].crv);
        jreset();
        jset1(&ks, shortj);
        ok(pj_key_fit(&ks.v[0], cs[i].alg, &JLOG) == 1 && pj_key_ready(&ks.v[0], &JLOG) == 0 &&
               jverifies(&ks.v[0], cs[i].alg, key) && jlines == 0,
           "%s: x/y without the leading zero byte: padded, verifies %s", cs[i].crv,
           pj_alg_get(cs[i].alg)->name);
        pj_keyset_free(&ks);
        jset1(&ks, full);
        ok(pj_key_ready(&ks.v[0], &JLOG) == 0 && jverifies(&ks.v[0], cs[i].alg, key),
           "%s: the same key at full length verifies", cs[i].crv);
        pj_keyset_free(&ks);
        jreset();
        jset1(&ks, longx);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && strstr(jlast, "EC coordinate longer than the curve's"),
           "%s: x one byte too long (a zero byte in front) refused", cs[i].crv);
        pj_keyset_free(&ks);
        jreset();
        jset1(&ks, longy);
        ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && strstr(jlast, "EC coordinate longer than the curve's"),
           "%s: y one byte too long refused", cs[i].crv);
        pj_keyset_free(&ks);
        free(shortj);
        free(full);
        free(longx);
        free(longy);
        EVP_PKEY_free(key);
    }
    /* a short coordinate is still a point that must be on the curve */
    pj_keyset ks = {0};
    jreset();
    jset1(&ks, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"Ag\"}");
    ok(pj_key_ready(&ks.v[0], &JLOG) == -1 && strstr(jlast, "EC point is not on the curve"),
       "P-256: x=1, y=2 written in one byte each: padded, still not on the curve");
    pj_keyset_free(&ks);
}

static void test_jwks_prepare_all_states(const char *set, const char *offcurve)
{
    pj_keyset ks = {0};
    jreset();
    ok(pj_jwks_parse(&ks, set, strlen(set), "/t.jwks", &JLOG) == 0 &&
           pj_jwks_prepare_all(&ks, &JLOG) == 0 && jwarnings == 2 && jlines == 3,
       "prepare_all: two unusable keys warned, the enc key a debug line, one usable");
    ok(ks.v[0].state == PJ_KEY_BROKEN && ks.v[1].state == PJ_KEY_BAD &&
           ks.v[2].state == PJ_KEY_READY && ks.v[2].pkey != NULL && ks.v[3].state == PJ_KEY_NOT_SIG,
       "prepare_all: every key built or refused");
    jreset();
    ok(pj_jwks_prepare_all(&ks, &JLOG) == 0 && jlines == 0, "prepare_all twice: nothing logged again");
    pj_keyset_free(&ks);
    char *set2 = pj_strfmt("{\"keys\":[%s]}", offcurve);
    pj_jwks_parse(&ks, set2, strlen(set2), "/t.jwks", &JLOG);
    ok(pj_jwks_prepare_all(&ks, &JLOG) == -1, "prepare_all: -1 when no key is usable");
    pj_keyset_free(&ks);
    free(set2);
}

/* the same decision and reason with and without it */
static void test_jwks_prepare_all_same_decision(EVP_PKEY *ec, EVP_PKEY *other, EVP_PKEY *rsa,
                                                const char *user, const char *cpath)
{
    const struct { const char *alg, *kid; EVP_PKEY **key; pj_result want; const char *reason; } toks[] = {
        {"ES256", NULL, &ec, PJ_ACCEPT, ""},
        {"ES256", "good", &ec, PJ_ACCEPT, ""},
        {"ES256", NULL, &other, PJ_REFUSE, "bad signature (1 key tried)"},
        {"ES256", "off", &ec, PJ_REFUSE, "no usable key for alg ES256 and kid off (1 unusable"},
        {"ES256", "nocrv", &ec, PJ_REFUSE, "no usable key for alg ES256 and kid nocrv (1 unusable"},
        {"RS256", NULL, &rsa, PJ_REFUSE, "no usable key for alg RS256 (1 unusable"},
        {"RS256", "off", &rsa, PJ_REFUSE, "no key fits alg RS256 and kid off"},
        {"ES256", "nope", &ec, PJ_REFUSE, "no key fits alg ES256 and kid nope"},
    };
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
        char hdr[128], payload[512], reasons[2][256];
        pj_result got[2];
        if (toks[i].kid)
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", toks[i].alg, toks[i].kid);
        else
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", toks[i].alg);
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%ld}", user,
                 (long)time(NULL) + 300);
        char *tok = tl_sign_raw(hdr, payload, toks[i].alg, *toks[i].key, NULL, 0);
        for (int all = 0; all < 2; all++) {
            pj_request rq = {0};
            pj_decision d;
            pj_log quiet = {NULL, NULL, false};
            rq.config_path = cpath;
            rq.input = tok;
            rq.input_len = strlen(tok);
            rq.now = (double)time(NULL);
            rq.log = &quiet;
            rq.check_all_keys = all;
            pj_decide(&rq, &d);
            got[all] = d.result;
            snprintf(reasons[all], sizeof(reasons[all]), "%s", d.reason);
            pj_decision_free(&d);
        }
        ok(got[0] == toks[i].want && got[1] == got[0] && strcmp(reasons[0], reasons[1]) == 0 &&
               strncmp(reasons[0], toks[i].reason, strlen(toks[i].reason)) == 0,
           "prepare_all: %s kid %s: %s '%s' with and without it", toks[i].alg,
           toks[i].kid ? toks[i].kid : "-", pj_result_name(got[0]), reasons[0]);
        free(tok);
    }
}

/* pamjwt check builds every key first; the decision stays the module's. */
static void test_jwks_prepare_all(void)
{
    char *dir = tl_tmpdir(), jw[4096], conf[8192], cpath[4096], user[256];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *ec = tl_keygen("p256"), *other = tl_keygen("p256"), *rsa = tl_keygen("rsa");
    char *good = tl_jwk(ec, "good", NULL, NULL);
    const char *offcurve = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off\","
                           "\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
                           "\"y\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"}";
    char *set = pj_strfmt("{\"keys\":[%s,{\"kty\":\"EC\",\"kid\":\"nocrv\"},%s,"
                          "{\"kty\":\"RSA\",\"use\":\"enc\"}]}",
                          offcurve, good);
    snprintf(jw, sizeof(jw), "%s/k.jwks", dir);
    tl_write_file(jw, set, strlen(set), 0644);
    snprintf(conf, sizeof(conf), "jwks_file = %s\nallowed_subjects = *\n", jw);
    snprintf(cpath, sizeof(cpath), "%s/c.conf", dir);
    tl_write_file(cpath, conf, strlen(conf), 0644);
    test_jwks_prepare_all_states(set, offcurve);
    test_jwks_prepare_all_same_decision(ec, other, rsa, user, cpath);
    free(set);
    free(good);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(other);
    EVP_PKEY_free(rsa);
    tl_rmtree(dir);
    free(dir);
}

/* ---------------------------------------------------------- replay_cache */
/* pj_replay is called directly here, on a config that sets replay_cache
 * only; the clock is a parameter, so sweeps are tested without waiting. */
static pj_config *replay_config(const char *cache)
{
    pj_config *c = pj_config_new("replay-test");
    if (c == NULL)
        return NULL;
    c->replay_cache = strdup(cache);
    c->replay_dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return c;
}

/* Names in a directory (without . and ..); -1 if it cannot be read. */
static int count_names(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static bool path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* The previous layout's entry name for a jti: j- and its SHA-256 in hex. */
static void legacy_path(char *out, size_t n, const char *cache, const char *jti)
{
    unsigned char md[32];
    unsigned int ml = 0;
    char hex[65];
    EVP_Digest(jti, strlen(jti), md, &ml, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, n, "%s/j-%s", cache, hex);
}

static void touch(const char *path, double mtime)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
    if (fd >= 0) {
        futimens(fd, ts);
        close(fd);
    }
}

static const char *rname(pj_replay_result r)
{
    switch (r) {
    case PJ_REPLAY_NOT_USED: return "not used";
    case PJ_REPLAY_ALREADY_USED: return "already used";
    case PJ_REPLAY_TOO_LATE: return "too late";
    default: return "unusable";
    }
}

/* One-time tokens are keyed by issuer and jti together. */
static void test_replay_keys(void)
{
    char *dir = tl_tmpdir(), cache[4096], group[4200];
    snprintf(cache, sizeof(cache), "%s/replay", dir);
    mkdir(cache, 0700);
    pj_config *c = replay_config(cache);
    double now = (double)time(NULL), until = now + 600;
    static const struct { const char *iss, *jti; } k[] = {
        {"https://a.example", "same"}, {"https://b.example", "same"}, {NULL, "same"},
        {"", "same"}, {"a", "bc"}, {"ab", "c"}, {NULL, "abc"}, {"abc", ""},
    };
    enum { NK = sizeof(k) / sizeof(k[0]) };
    const pj_replay_result N = PJ_REPLAY_NOT_USED, U = PJ_REPLAY_ALREADY_USED;
    int wrong = 0;
    for (size_t i = 0; i < NK; i++)
        wrong += pj_replay(c, k[i].iss, k[i].jti, until, now, false, &LOG) != N;
    is_int(wrong, 0, "replay: check mode: no key used before");
    is_int(count_names(cache), 0, "replay: check mode never writes (the cache is still empty)");
    for (size_t i = 0; i < NK; i++) {
        pj_replay_result r = pj_replay(c, k[i].iss, k[i].jti, until, now, true, &LOG);
        ok(r == N, "replay: (iss %s%s%s, jti \"%s\") first use accepted (got %s)",
           k[i].iss ? "\"" : "", k[i].iss ? k[i].iss : "none", k[i].iss ? "\"" : "", k[i].jti,
           rname(r));
    }
    for (size_t i = 0; i < NK; i++) {
        pj_replay_result r = pj_replay(c, k[i].iss, k[i].jti, until, now, true, &LOG);
        ok(r == U, "replay: (iss %s%s%s, jti \"%s\") second use refused (got %s)",
           k[i].iss ? "\"" : "", k[i].iss ? k[i].iss : "none", k[i].iss ? "\"" : "", k[i].jti,
           rname(r));
    }
    wrong = 0;
    for (size_t i = 0; i < NK; i++)
        wrong += pj_replay(c, k[i].iss, k[i].jti, until, now, false, &LOG) != U;
    is_int(wrong, 0, "replay: check mode sees every used key as used");
    is_int(pj_replay(c, "https://c.example", "same", until, now, false, &LOG), N,
           "replay: a third issuer's equal jti is not used");

    /* layout: one group for the expiry hour, 0700, holding one entry per key */
    struct stat st;
    snprintf(group, sizeof(group), "%s/h-%lld", cache, (long long)(until / 3600));
    ok(lstat(group, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
       "replay: entries are grouped in h-<expiry hour>, a 0700 directory");
    is_int(count_names(cache), 1, "replay: one group for one expiry hour");
    is_int(count_names(group), NK, "replay: one entry per key, no temporary left behind");
    /* a token whose expiry hour has passed cannot be recorded any more */
    is_int(pj_replay(c, "https://a.example", "late", now - 7200, now, true, &LOG),
           PJ_REPLAY_TOO_LATE, "replay: a token whose expiry hour passed is not recorded");
    ok(strstr(lastlog, "expired before it could be recorded") != NULL, "... and that is logged");
    pj_config_free(c);
    tl_rmtree(dir);
    free(dir);
}

/* Sweeps: expired groups go, a bounded number of names per login, and the
 * previous layout's entries count as used until they expire. */
static void test_replay_sweep(void)
{
    char *dir = tl_tmpdir(), cache[4096], p[4400], old[4200], kept[4200], link[4200],
        outside[4200], gone[4400], live[4400], tmp[4400];
    snprintf(cache, sizeof(cache), "%s/replay", dir);
    mkdir(cache, 0700);
    pj_config *c = replay_config(cache);
    /* the sweeping logins run 2 minutes after the entries were planted, so
     * a previous-layout temporary made now is older than its minute */
    double now = (double)time(NULL) + 120;
    long long h = (long long)(now / 3600);
    const pj_replay_result N = PJ_REPLAY_NOT_USED, U = PJ_REPLAY_ALREADY_USED;
    enum { OLD = PJ_REPLAY_SWEEP_MAX + 44 };

    /* a group whose hour ended more than the margin ago, with more entries
     * than one sweep removes */
    snprintf(old, sizeof(old), "%s/h-%lld", cache, h - 3);
    mkdir(old, 0700);
    for (int i = 0; i < OLD; i++) {
        snprintf(p, sizeof(p), "%s/e-%064d", old, i);
        touch(p, now - 9000);
    }
    /* a group whose hour has passed, but within the margin: kept */
    snprintf(kept, sizeof(kept), "%s/h-%lld", cache, h - 1);
    mkdir(kept, 0700);
    snprintf(p, sizeof(p), "%s/e-kept", kept);
    touch(p, now);
    /* an expired "group" that is a symbolic link: never followed */
    snprintf(outside, sizeof(outside), "%s/outside", dir);
    mkdir(outside, 0700);
    snprintf(p, sizeof(p), "%s/e-precious", outside);
    touch(p, now);
    snprintf(link, sizeof(link), "%s/h-%lld", cache, h - 5);
    if (symlink(outside, link) != 0)
        printf("# symlink: %s\n", strerror(errno));
    /* the previous layout: a live entry, an expired one, an old temporary */
    legacy_path(live, sizeof(live), cache, "legacy-live");
    touch(live, now + 600);
    legacy_path(gone, sizeof(gone), cache, "legacy-gone");
    touch(gone, now - 600);
    snprintf(tmp, sizeof(tmp), "%s/.tmp-0011223344556677", cache);
    touch(tmp, now);

    is_int(pj_replay(c, "https://a.example", "legacy-live", now + 300, now, false, &LOG), U,
           "replay: a live entry of the previous layout counts as used (check)");
    is_int(pj_replay(c, NULL, "legacy-live", now + 300, now, true, &LOG), U,
           "replay: ... and when consuming, whatever the issuer");
    int before = count_names(old) + path_exists(gone) + path_exists(tmp);

    /* the first login of an hour makes its group and sweeps */
    is_int(pj_replay(c, "https://a.example", "sweep-1", now + 7200, now, true, &LOG), N,
           "replay: a login that starts a new group is accepted");
    int after = count_names(old) + path_exists(gone) + path_exists(tmp);
    is_int(before - after, PJ_REPLAY_SWEEP_MAX,
           "replay: one login removes at most %d expired names", PJ_REPLAY_SWEEP_MAX);
    ok(path_exists(old), "replay: ... so the expired group is not gone yet");
    is_int(pj_replay(c, "https://a.example", "sweep-2", now + 10800, now, true, &LOG), N,
           "replay: a later login is accepted");
    ok(!path_exists(old), "replay: the expired group is removed by a later login");
    ok(!path_exists(gone), "replay: an expired entry of the previous layout is removed");
    ok(!path_exists(tmp), "replay: an old temporary of the previous layout is removed");
    is_int(count_names(kept), 1, "replay: a group within the margin after its hour is kept");
    ok(path_exists(live), "replay: a live entry of the previous layout is kept");
    is_int(count_names(outside), 1, "replay: a symbolic link named like a group is not followed");
    ok(path_exists(link), "replay: ... and left alone");
    /* a login whose own group is a symbolic link is refused */
    snprintf(link, sizeof(link), "%s/h-%lld", cache, h + 4);
    if (symlink(outside, link) != 0)
        printf("# symlink: %s\n", strerror(errno));
    lastlog[0] = '\0';
    is_int(pj_replay(c, "https://a.example", "via-link", now + 4 * 3600, now, true, &LOG),
           PJ_REPLAY_UNUSABLE, "replay: a group that is a symbolic link is refused");
    ok(strstr(lastlog, "is a symbolic link (refused)") != NULL, "replay: ... with a log line");
    is_int(count_names(outside), 1, "replay: ... and nothing is written through it");
    pj_config_free(c);
    tl_rmtree(dir);
    free(dir);
}

/* A full or read-only file system: a token used before is still refused
 * as used (not "cache unusable"), a new one cannot be recorded.  Emulated
 * with a tmpfs of a few inodes in a private mount namespace (as root, or
 * as a user in a user namespace); skipped where neither is allowed. */
static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, text, strlen(text));
    return close(fd) == 0 && w == (ssize_t)strlen(text) ? 0 : -1;
}

static int own_mount_namespace(void)
{
    if (unshare(CLONE_NEWNS) == 0)
        return 0;
    uid_t u = geteuid();
    gid_t g = getegid();
    char map[64];
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return -1;
    snprintf(map, sizeof(map), "0 %lu 1", (unsigned long)u);
    if (write_proc("/proc/self/setgroups", "deny") != 0 ||
        write_proc("/proc/self/uid_map", map) != 0)
        return -1;
    snprintf(map, sizeof(map), "0 %lu 1", (unsigned long)g);
    return write_proc("/proc/self/gid_map", map);
}

static void test_replay_full_fs(void)
{
    enum { FRESH, USED_FULL, NEW_FULL, USED_RO, NEW_RO, CHECK_RO, NR };
    static const char *const what[NR] = {
        "first use on the small file system accepted",
        "file system full (ENOSPC): the used token is still refused as used",
        "file system full: a new token cannot be recorded (cache unusable)",
        "file system read-only (EROFS): the used token is still refused as used",
        "file system read-only: a new token cannot be recorded (cache unusable)",
        "file system read-only: check mode still sees the token as used",
    };
    const int want[NR] = {PJ_REPLAY_NOT_USED,     PJ_REPLAY_ALREADY_USED, PJ_REPLAY_UNUSABLE,
                          PJ_REPLAY_ALREADY_USED, PJ_REPLAY_UNUSABLE,     PJ_REPLAY_ALREADY_USED};
    char *dir = tl_tmpdir(), mnt[4096], cache[4200];
    int got[NR], pfd[2];
    snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
    mkdir(mnt, 0700);
    if (pipe(pfd) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int res[NR], n = 0;
        close(pfd[0]);
        free(dir); /* the child's copy: only mnt is used below */
        if (own_mount_namespace() != 0 ||
            mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("tmpfs", mnt, "tmpfs", 0, "size=1m,nr_inodes=16,mode=0700") != 0)
            _exit(77);
        snprintf(cache, sizeof(cache), "%s/replay", mnt);
        mkdir(cache, 0700);
        pj_config *c = replay_config(cache);
        double now = (double)time(NULL), until = now + 600;
        res[FRESH] = pj_replay(c, "https://a.example", "t1", until, now, true, &LOG);
        /* use up every inode */
        for (int i = 0; i < 64; i++) {
            char p[4300];
            snprintf(p, sizeof(p), "%s/fill-%d", mnt, i);
            int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0)
                break;
            close(fd);
            n++;
        }
        res[USED_FULL] = pj_replay(c, "https://a.example", "t1", until, now, true, &LOG);
        res[NEW_FULL] = pj_replay(c, "https://a.example", "t2", until, now, true, &LOG);
        if (mount("none", mnt, "none", MS_REMOUNT | MS_RDONLY, "size=1m,nr_inodes=16") != 0) {
            pj_config_free(c);
            _exit(78);
        }
        res[USED_RO] = pj_replay(c, "https://a.example", "t1", until, now, true, &LOG);
        res[NEW_RO] = pj_replay(c, "https://a.example", "t2", until, now, true, &LOG);
        res[CHECK_RO] = pj_replay(c, "https://a.example", "t1", until, now, false, &LOG);
        pj_config_free(c);
        ssize_t w = write(pfd[1], res, sizeof(res));
        _exit(w == (ssize_t)sizeof(res) && n < 64 ? 0 : 79);
    }
    close(pfd[1]);
    ssize_t r = read(pfd[0], got, sizeof(got));
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code == 77) {
        skip(NR, "replay: cannot mount a tmpfs in a private mount namespace here");
    } else if (code != 0 || r != (ssize_t)sizeof(got)) {
        ok(0, "replay: full/read-only file system child failed (exit %d)", code);
    } else {
        for (int i = 0; i < NR; i++) {
            ok(got[i] == want[i], "replay: %s (got %s)", what[i], rname(got[i]));
        }
    }
    tl_rmtree(dir);
    free(dir);
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

/* Fail closed by construction: the rule runner accepts only when every
 * rule said PJ_RULE_PASS.  A rule that forgets to give a verdict, or
 * tries to accept on its own, ends the decision refused. */
static int rules_run;
static pj_verdict r_pass(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    (void)d;
    rules_run++;
    return PJ_RULE_PASS;
}
static pj_verdict r_forgot(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    (void)d;
    rules_run++;
    return PJ_RULE_NONE; /* as a rule with a missing return path would */
}
static pj_verdict r_self_accept(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    rules_run++;
    d->result = PJ_ACCEPT;
    snprintf(d->reason, sizeof(d->reason), "looks fine to me");
    return PJ_RULE_STOP;
}
static pj_verdict r_stop_silent(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    (void)d;
    rules_run++;
    return PJ_RULE_STOP; /* stops without a result or reason */
}
static pj_verdict r_ignore(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    rules_run++;
    d->result = PJ_IGNORE;
    snprintf(d->reason, sizeof(d->reason), "not a JWT");
    return PJ_RULE_STOP;
}

static void test_rule_runner(void)
{
    pj_decision d;
    const pj_rule all_pass[] = {{"a", r_pass, NULL}, {"b", r_pass, NULL}, {"c", r_pass, NULL}};
    const pj_rule forgot[] = {{"a", r_pass, NULL}, {"forgetful", r_forgot, NULL}, {"c", r_pass, NULL}};
    const pj_rule self[] = {{"a", r_pass, NULL}, {"eager", r_self_accept, NULL}, {"c", r_pass, NULL}};
    const pj_rule silent[] = {{"silent", r_stop_silent, NULL}, {"b", r_pass, NULL}};
    const pj_rule ignore[] = {{"shape", r_ignore, NULL}, {"b", r_pass, NULL}};

    memset(&d, 0, sizeof(d));
    is_int(d.result, PJ_REFUSE, "a blank decision is a refusal (PJ_REFUSE is the zero value)");

    rules_run = 0;
    memset(&d, 0, sizeof(d));
    pj_run_rules(all_pass, 3, NULL, &d);
    is_int(d.result, PJ_ACCEPT, "rules: every rule passes -> accept");
    is_int(rules_run, 3, "... after running all three");

    rules_run = 0;
    memset(&d, 0, sizeof(d));
    pj_run_rules(forgot, 3, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a rule that returns without a verdict -> refuse");
    is_int(rules_run, 2, "... and no rule after it runs");
    ok(strstr(d.reason, "forgetful") != NULL, "... the reason names the rule ('%s')", d.reason);

    rules_run = 0;
    memset(&d, 0, sizeof(d));
    pj_run_rules(self, 3, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a rule that sets accept itself -> refuse");
    is_int(rules_run, 2, "... and no rule after it runs");

    memset(&d, 0, sizeof(d));
    pj_run_rules(silent, 2, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a rule that stops without a reason -> refuse");
    ok(strstr(d.reason, "silent") != NULL, "... the reason names the rule");

    memset(&d, 0, sizeof(d));
    pj_run_rules(ignore, 2, NULL, &d);
    is_int(d.result, PJ_IGNORE, "rules: a rule's own result (ignore) is kept");

    memset(&d, 0, sizeof(d));
    d.result = PJ_ACCEPT; /* a stale decision does not leak through */
    pj_run_rules(forgot, 3, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a decision that was accept before starts refused");
}

/* A scoped value that cannot be expanded says why: the service, the host
 * name, or the length (never blames the service for another cause). */
static void test_scope_reasons(void)
{
    int rc;
    char why[256], longv[5000];
    pj_scope no_host = {"sshd", NULL}, no_svc = {NULL, "h.example"}, both = {"sshd", "h.example"};
    json_t *j = J("{\"exp\":1000,\"aud\":\"x\",\"c\":\"x\"}");
    struct {
        const char *conf;
        const pj_scope *sc;
        const char *want;
    } cases[] = {
        {"audience = ssh://%h\n", &no_host, "audience uses %h but the host name is unknown"},
        {"audience = ssh://%h\n", NULL, "audience uses %h but the host name is unknown"},
        {"audience = %s\n", &no_svc, "audience uses %s but the PAM service is unknown"},
        {"require_claim = c %h\n", &no_host, "require_claim c uses %h but the host name is unknown"},
        {"require_claim = c %s\n", &no_svc, "require_claim c uses %s but the PAM service is unknown"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "key_file = /k\nallowed_subjects = *\n%s", cases[i].conf);
        pj_config *c = parse(text, &rc);
        why[0] = '\0';
        ok(rc == 0 && pj_check_claims(c, j, 900.0, cases[i].sc, why, sizeof(why)) == -1 &&
               strcmp(why, cases[i].want) == 0,
           "scoped value: '%s' (got '%s')", cases[i].want, why);
        pj_config_free(c);
    }
    /* 4000 bytes of %h%h... with a long host name: too long, not "no service" */
    memcpy(longv, "audience = ", 11);
    size_t o = 11;
    for (; o < 11 + 4000; o++)
        longv[o] = (o % 2) ? '%' : 'h';
    longv[o++] = '\n';
    longv[o] = '\0';
    char text[8192];
    snprintf(text, sizeof(text), "key_file = /k\nallowed_subjects = *\n%s", longv);
    pj_config *c = parse(text, &rc);
    why[0] = '\0';
    ok(rc == 0 && pj_check_claims(c, j, 900.0, &both, why, sizeof(why)) == -1 &&
           strcmp(why, "audience is too long once %h and %s are replaced") == 0,
       "scoped value: too long once expanded (got '%s')", why);
    pj_config_free(c);
    json_decref(j);
}

/* The files of a policy directory are read relative to the directory that
 * was checked (its fd), never through a path that may since name another
 * directory: rename the checked one away and put an unsafe one, with a
 * forged policy of the same name, in its place before the files are read. */
static void test_policy_dir_at(void)
{
    char *dir = tl_tmpdir(), key[4096], pol[4096], moved[4200], p[4400], conf[8400];
    pj_config *c;
    EVP_PKEY *k = tl_keygen("p256");
    snprintf(key, sizeof(key), "%s/k.pub", dir);
    tl_write_pub(k, key);
    snprintf(pol, sizeof(pol), "%s/pol", dir);
    snprintf(moved, sizeof(moved), "%s/pol.checked", dir);
    ok(mkdir(pol, 0755) == 0, "policy dir: made %s", pol);
    snprintf(p, sizeof(p), "%s/a.conf", pol);
    snprintf(conf, sizeof(conf), "issuer = https://a.example\nkey_file = %s\nallowed_subjects = alice\n",
             key);
    tl_write_file(p, conf, strlen(conf), 0644);

    int fd = pj_open_dir(pol, "config", &LOG);
    ok(fd >= 0, "policy dir: checked and opened");
    /* the swap, between the check and the reads */
    ok(rename(pol, moved) == 0, "policy dir: renamed away after the check");
    ok(mkdir(pol, 0775) == 0 && chmod(pol, 0775) == 0, "policy dir: group-writable one in its place");
    snprintf(conf, sizeof(conf), "issuer = https://evil.example\nkey_file = %s\nallowed_subjects = *\n",
             key);
    tl_write_file(p, conf, strlen(conf), 0644);

    pj_policies *ps = pj_policies_load_dir(fd, pol, &LOG);
    ok(ps != NULL && ps->n == 1 && ps->v[0].c != NULL, "policy dir: the checked directory's policy loads");
    ok(ps != NULL && pj_policies_select(ps, "https://a.example", 17, &c) == PJ_POLICY_FOUND,
       "policy dir: its issuer is the checked file's");
    ok(ps != NULL && pj_policies_select(ps, "https://evil.example", 20, &c) == PJ_POLICY_NONE,
       "policy dir: the forged policy in the swapped-in directory never loads");
    pj_policies_free(ps);
    /* through the path, the swapped-in directory is refused as unsafe */
    ok(pj_policies_load(pol, &LOG) == NULL && strstr(lastlog, "unsafe permissions") != NULL,
       "policy dir: the swapped-in directory itself is refused (%s)", lastlog);

    /* a *.conf that is a symbolic link (even to a safe file) is a failed
     * policy, also when read relative to the directory */
    snprintf(p, sizeof(p), "%s/l.conf", moved);
    snprintf(conf, sizeof(conf), "%s/a.conf", moved);
    ok(symlink(conf, p) == 0, "policy dir: made l.conf -> a.conf");
    lastlog[0] = '\0';
    ps = pj_policies_load(moved, &LOG);
    ok(ps != NULL && ps->n == 2 && ps->any_failed && ps->v[0].c != NULL && ps->v[1].c == NULL,
       "policy dir: a symbolic link named *.conf is a failed policy file");
    ok(strstr(lastlog, "l.conf: is a symbolic link (refused)") != NULL, "... logged (%s)", lastlog);
    ok(ps != NULL && pj_policies_select(ps, "https://c.example", 17, &c) == PJ_POLICY_BROKEN,
       "policy dir: so an unknown issuer is unavailable, not refused");
    pj_policies_free(ps);
    EVP_PKEY_free(k);
    tl_rmtree(dir);
    free(dir);
}

/* No text is cut silently: a log line, a decision's reason or a claim's
 * reason that does not fit ends in "..." (issue 20). */
static void ends_cut(const char *s, size_t room, const char *what)
{
    size_t n = strlen(s);
    ok(n == room - 1 && n >= 3 && strcmp(s + n - 3, "...") == 0,
       "%s: cut at %zu bytes and marked with '...' (%zu bytes, ends '%s')", what, room - 1, n,
       n >= 3 ? s + n - 3 : s);
}

static void test_no_silent_cut(void)
{
    char big[1500], path[400], conf[1024], why[256];
    int rc;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    pj_logf(&LOG, LOG_ERR, "%s", big);
    ends_cut(lastlog, 1024, "a log line of 1499 bytes");

    /* "config PATH unusable" with a 399-byte path */
    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    const char *tok = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    pj_request rq = {0};
    pj_decision d;
    pj_log quiet = {NULL, NULL, false};
    rq.config_path = path;
    rq.input = tok;
    rq.input_len = strlen(tok);
    rq.log = &quiet;
    rq.now = 1000;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_UNAVAIL, "a config path of 399 bytes that does not exist: unavailable");
    ends_cut(d.reason, sizeof(d.reason), "its reason");
    pj_decision_free(&d);

    /* "wrong issuer: expected A, got B" with long A and B */
    char iss[260];
    memset(iss, 'b', sizeof(iss) - 1);
    iss[sizeof(iss) - 1] = '\0';
    snprintf(conf, sizeof(conf), "key_file = /k\nallowed_subjects = *\nissuer = https://%.*s\n",
             200, iss);
    pj_config *c = parse(conf, &rc);
    char claims[600];
    snprintf(claims, sizeof(claims), "{\"exp\":2000,\"iss\":\"https://a%s\"}", iss);
    json_t *j = J(claims);
    is_int(c ? pj_check_claims(c, j, 1000.0, NULL, why, sizeof(why)) : 0, -1,
           "a long wrong issuer: refused");
    ends_cut(why, sizeof(why), "its reason");
    json_decref(j);
    pj_config_free(c);
}

/* RFC 7638 3.1's example: the module's thumbprint (the one pamjwt uses
 * too) of the example RSA key, whose "alg" and "kid" are not hashed. */
static void test_jwk_thumbprint_rfc7638(void)
{
    static const char jwk_text[] =
        "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt"
        "VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl"
        "93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL"
        "5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls"
        "1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
        "\"kid\":\"2011-04-29\"}";
    const char *why = NULL;
    json_t *jwk = pj_json_object(jwk_text, strlen(jwk_text), &why);
    unsigned char tp[32];
    char *b64 = NULL;
    ok(jwk != NULL && pj_jwk_thumbprint(jwk, tp) == 0 &&
           (b64 = pj_b64url_encode(tp, sizeof(tp))) != NULL &&
           strcmp(b64, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
       "RFC 7638 3.1: pj_jwk_thumbprint of the example RSA key (got %s)", b64 ? b64 : "NULL");
    free(b64);
    json_object_set_new(jwk, "e", json_string("AQ=B"));
    ok(pj_jwk_thumbprint(jwk, tp) != 0, "thumbprint: a member that is not base64url is refused");
    json_decref(jwk);
    jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "secp256k1", "x", "AA", "y", "AA");
    ok(jwk && pj_jwk_thumbprint(jwk, tp) != 0, "thumbprint: an EC curve not in the table is refused");
    json_decref(jwk);
    jwk = json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", "P-256", "x", "AA");
    ok(jwk && pj_jwk_thumbprint(jwk, tp) != 0, "thumbprint: OKP with an EC curve is refused");
    json_decref(jwk);
}

/* The curve table holds Ed25519 and Ed448 too, and names the curve of
 * an OpenSSL key for the module and for pamjwt alike. */
static void test_curve_table_keys(void)
{
    static const struct {
        const char *type, *crv;
        pj_kty kty;
        size_t coord;
        pj_alg alg;
    } cs[] = {
        {"p256", "P-256", PJ_KTY_EC, 32, PJ_ALG_ES256},
        {"p384", "P-384", PJ_KTY_EC, 48, PJ_ALG_ES384},
        {"p521", "P-521", PJ_KTY_EC, 66, PJ_ALG_ES512},
        {"ed25519", "Ed25519", PJ_KTY_OKP, 32, PJ_ALG_EDDSA},
        {"ed448", "Ed448", PJ_KTY_OKP, 57, PJ_ALG_EDDSA},
    };
    char group[80];
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        EVP_PKEY *k = tl_keygen(cs[i].type);
        const pj_curve *c = k ? pj_curve_of_pkey(k, group, sizeof(group)) : NULL;
        ok(c != NULL && strcmp(c->crv, cs[i].crv) == 0 && c->kty == cs[i].kty &&
               c->coord == cs[i].coord && c->alg == cs[i].alg && pj_curve_by_crv(c->crv) == c &&
               pj_curve_by_nid(c->nid) == c && pj_curve_by_group(c->group) == c &&
               (c->kty == PJ_KTY_EC || EVP_PKEY_get_id(k) == c->nid) &&
               (c->kty == PJ_KTY_OKP || strcmp(group, c->group) == 0),
           "curves: a %s key is %s in the table (%s, %zu-byte coordinates)", cs[i].type,
           cs[i].crv, pj_alg_get(cs[i].alg)->name, cs[i].coord);
        EVP_PKEY_free(k);
    }
    EVP_PKEY *rsa = tl_keygen("rsa2048");
    EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    ok(rsa && pj_curve_of_pkey(rsa, group, sizeof(group)) == NULL && group[0] == '\0',
       "curves: an RSA key has none");
    ok(k1 && pj_curve_of_pkey(k1, group, sizeof(group)) == NULL && strcmp(group, "secp256k1") == 0,
       "curves: secp256k1 is not in the table, and its name is given for the message");
    ok(pj_curve_of_pkey(k1, NULL, 0) == NULL && pj_alg_get(PJ_ALG_EDDSA)->curve == NULL,
       "curves: no group buffer is fine; EdDSA is on two curves");
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(k1);
}

/* Building strings: pj_strfmt has no length limit; a proof's reason
 * that does not fit its buffer ends in "..." (pj_format), never cut
 * silently. */
static void test_strfmt_pop_reason(void)
{
    char why[12];
    pj_config c;
    pj_pop_challenge ch;
    char *s = pj_strfmt("%s-%d", "abcdefghijklmnopqrstuvwxyz", 12345);
    ok(s && strcmp(s, "abcdefghijklmnopqrstuvwxyz-12345") == 0, "pj_strfmt: no length limit");
    free(s);
    memset(&c, 0, sizeof(c));
    memset(&ch, 0, sizeof(ch));
    ok(pj_pop_verify(&c, &ch, "x", 1, NULL, why, sizeof(why)) == -1 &&
           strcmp(why, "answer i...") == 0,
       "pop: a reason longer than its buffer ends in ... (%s)", why);
}

/* ---------------------------------------------------------- device seams */
static void test_sanitize_tiny(void)
{
    for (size_t sz = 1; sz <= 4; sz++) {
        char buf[16];
        memset(buf, 'X', sizeof(buf));
        pj_sanitize(buf + 4, sz, "abcdef\x01", 7);
        bool guard = true;
        for (size_t i = 0; i < 4; i++)
            guard = guard && buf[i] == 'X';
        for (size_t i = 4 + sz; i < sizeof(buf); i++)
            guard = guard && buf[i] == 'X';
        ok(guard && strlen(buf + 4) == sz - 1,
           "pj_sanitize into %zu bytes: nothing written past it, NUL-terminated (%s)", sz, buf + 4);
    }
}

static void test_runas_rules(void)
{
    gid_t none[1] = {100}, with0[3] = {100, 0, 5};
    ok(pj_runas_refused(0, 100, none, 1, 65534) != NULL, "device_user: uid 0 refused");
    ok(pj_runas_refused(1000, 0, none, 1, 65534) != NULL, "device_user: gid 0 refused");
    ok(pj_runas_refused(1000, 100, with0, 3, 65534) != NULL,
       "device_user: supplementary group 0 refused");
    ok(pj_runas_refused(65534, 65534, none, 1, 65534) != NULL,
       "device_user: the overflow uid (nobody) refused");
    ok(pj_runas_refused(70000, 100, none, 1, 70000) != NULL,
       "device_user: the overflow uid as the kernel says it, refused");
    ok(pj_runas_refused(998, 998, none, 1, 65534) == NULL, "device_user: a system user is fine");
}

static void test_device_reply_checks(void)
{
    struct { const char *code; bool good; } codes[] = {
        {"ABCD-EFGH", true}, {"abcd1234", true}, {"WDJB-MJHT", true},
        {"ABCD_EFGH", false}, {"AB%CD", false}, {"AB\x1b[2J", false}, {"", false},
        {"0123456789012345678901234567890-", true}, {"0123456789012345678901234567890-X", false},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        ok(pj_dr_code_ok(codes[i].code) == codes[i].good, "user code '%s': %s", codes[i].code,
           codes[i].good ? "accepted" : "refused");
    char long_uri[600];
    snprintf(long_uri, sizeof(long_uri), "https://idp.example/%0492d", 0); /* 512 bytes */
    struct { const char *uri; bool good; } uris[] = {
        {"https://idp.example/device", true}, {"https://idp.example:8443/d?x=1", true},
        {"https://idp.example/a@b", true}, {"http://127.0.0.1:8080/device", true},
        {"http://localhost/device", true}, {"http://idp.example/device", false},
        {"http://localhost.evil.example/", false}, {"http://127.0.0.1.evil.example/", false},
        {"https://user@idp.example/device", false}, {"https://u:p@idp.example/", false},
        {"http://x@127.0.0.1/", false}, {"javascript:alert(1)", false}, {"https://", false},
        {"ftp://idp.example/", false}, {long_uri, true},
    };
    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++)
        ok(pj_dr_uri_ok(uris[i].uri) == uris[i].good, "verification URI '%.40s' (%zu bytes): %s",
           uris[i].uri, strlen(uris[i].uri), uris[i].good ? "accepted" : "refused");
    strcat(long_uri, "x");
    ok(!pj_dr_uri_ok(long_uri), "verification URI of 513 bytes refused");
    /* through the reader: a show line with a bad code is malformed */
    pj_dreader r;
    size_t used;
    static const char bad_code[] = "show https://idp.example/device AB_CD\n";
    pj_dr_init(&r);
    ok(pj_dr_feed(&r, bad_code, strlen(bad_code), &used) == PJ_DR_BAD,
       "reader: a show line with a user code of other characters is malformed");
    static const char bad_uri[] = "show https://me@idp.example/device ABCD\n";
    pj_dr_init(&r);
    ok(pj_dr_feed(&r, bad_uri, strlen(bad_uri), &used) == PJ_DR_BAD,
       "reader: a show line with user information in the URI is malformed");
    /* the request: written by the module, read by the helper */
    char req[PJ_DR_MAX_REQUEST];
    pj_dr_request w = {"https://idp.example", "pam", "openid email", NULL, 110}, rd;
    const char *why = NULL;
    int n = pj_dr_request_write(&w, req, sizeof(req));
    ok(n > 0 && pj_dr_request_read(req, (size_t)n, &rd, &why) == 0 &&
           strcmp(rd.issuer, "https://idp.example") == 0 && strcmp(rd.client_id, "pam") == 0 &&
           strcmp(rd.scope, "openid email") == 0 && rd.ca_file == NULL && rd.timeout == 110,
       "request: what the module writes the helper reads (%s)", why ? why : "");
    char twice[] = "issuer a\nissuer b\nclient_id c\ntimeout 5\n\n";
    ok(pj_dr_request_read(twice, strlen(twice), &rd, &why) != 0,
       "request: a repeated key is refused");
    char late[] = "issuer a\nclient_id c\ntimeout 601\n\n";
    ok(pj_dr_request_read(late, strlen(late), &rd, &why) != 0,
       "request: a timeout past 600 is refused");
}

static void test_netmatch(void)
{
    struct { const char *net; bool good; } nets[] = {
        {"10.0.0.0/8", true}, {"0.0.0.0/0", true}, {"192.0.2.7/32", true}, {"192.0.2.7", true},
        {"::/0", true}, {"2001:db8::/32", true}, {"2001:db8::1/128", true}, {"::1", true},
        {"10.0.0.1/8", false}, {"10.0.0.0/33", false}, {"2001:db8::/129", false},
        {"10.0.0.0/", false}, {"10.0.0.0/-1", false}, {"10.0.0.0/ 8", false},
        {"host.example", false}, {"10.0.0", false}, {"fe80::1%eth0", false}, {"", false},
        {"::ffff:10.0.0.0/104", true},
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
        pj_net n;
        const char *why = NULL;
        ok((pj_net_parse(nets[i].net, &n, &why) == 0) == nets[i].good, "device_from '%s': %s",
           nets[i].net, nets[i].good ? "accepted" : "refused");
    }
    struct { const char *list, *addr; bool in; } m[] = {
        {"10.0.0.0/8", "10.1.2.3", true}, {"10.0.0.0/8", "11.0.0.1", false},
        {"0.0.0.0/0", "203.0.113.9", true}, {"0.0.0.0/0", "2001:db8::1", false},
        {"::/0", "2001:db8::1", true}, {"::/0", "203.0.113.9", true},
        {"192.0.2.7/32", "192.0.2.7", true}, {"192.0.2.7/32", "192.0.2.6", false},
        {"2001:db8::1/128", "2001:db8::1", true}, {"2001:db8::1/128", "2001:db8::2", false},
        {"10.0.0.0/8", "::ffff:10.9.9.9", true}, {"::ffff:10.0.0.0/104", "10.9.9.9", true},
        {"192.0.2.0/25", "192.0.2.127", true}, {"192.0.2.0/25", "192.0.2.128", false},
        {"10.0.0.0/8", "localhost", false}, {"10.0.0.0/8", "", false},
        {"10.0.0.0/8", "10.1.2.3 ", false}, {"10.0.0.0/8 2001:db8::/32", "2001:db8:1::5", true},
        {"10.0.0.0/8,2001:db8::/32", "10.0.0.1", true},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        pj_netlist l = {0};
        const char *why = NULL;
        int rc = pj_netlist_parse(&l, m[i].list, &why);
        ok(rc == 0 && pj_netlist_match(&l, m[i].addr) == m[i].in, "device_from %s: %s %s",
           m[i].list, m[i].addr, m[i].in ? "matches" : "does not match");
        pj_netlist_free(&l);
    }
    int rc;
    pj_config *c = parse("device_from = 10.0.0.0/8 2001:db8::/32\ndevice_max_pending = 3\n", &rc);
    ok(rc == 0 && c->device_from.n == 2 && c->device_max_pending == 3,
       "device config: device_from and device_max_pending parsed (%s)", lastlog);
    pj_config_free(c);
    c = parse("issuer = x\n", &rc);
    ok(rc == 0 && c->device_from.n == 0 && c->device_max_pending == 8,
       "device config: device_from unset, device_max_pending 8 by default");
    pj_config_free(c);
    c = parse("device_from = ssh.example.com\n", &rc);
    ok(rc != 0 && strstr(lastlog, "device_from: expected an IPv4 or IPv6 address") != NULL,
       "device config: a name in device_from is an error (%s)", lastlog);
    pj_config_free(c);
    c = parse("device_max_pending = 1025\n", &rc);
    ok(rc != 0 && strstr(lastlog, "device_max_pending: expected a number from 1 to 1024") != NULL,
       "device config: device_max_pending past 1024 is an error (%s)", lastlog);
    pj_config_free(c);
}

static void test_slots(void)
{
    char *d = tl_tmpdir(), slots[600], link[700];
    snprintf(slots, sizeof(slots), "%s/slots", d);
    int a = pj_slot_take(slots, 2, &LOG), b = pj_slot_take(slots, 2, &LOG);
    lastlog[0] = '\0';
    int c = pj_slot_take(slots, 2, &LOG);
    ok(a >= 0 && b >= 0 && c < 0 && strstr(lastlog, "device_max_pending (2)") != NULL,
       "slots: two of two taken, a third refused (%s)", lastlog);
    close(a);
    c = pj_slot_take(slots, 2, &LOG);
    ok(c >= 0, "slots: a closed slot is free again");
    close(b);
    close(c);
    /* a holder that dies frees its slot (the kernel drops the lock) */
    pid_t kid = fork();
    if (kid == 0) {
        (void)pj_slot_take(slots, 1, &LOG);
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    a = pj_slot_take(slots, 1, &LOG);
    ok(a >= 0, "slots: a dead holder's slot is free");
    close(a);
    snprintf(link, sizeof(link), "%s/slot-0", slots);
    remove(link);
    ok(symlink("/etc/passwd", link) == 0 && pj_slot_take(slots, 1, &LOG) < 0,
       "slots: a symbolic link as a slot file is refused (%s)", lastlog);
    remove(link);
    chmod(slots, 0777);
    ok(pj_slot_take(slots, 1, &LOG) < 0 && strstr(lastlog, "writable by group or others"),
       "slots: a directory others can write is refused (%s)", lastlog);
    chmod(slots, 0700);
    tl_rmtree(d);
    free(d);
}

int main(void)
{
    test_replay_concurrent();
    test_replay_keys();
    test_replay_sweep();
    test_replay_full_fs();
    test_spki();
    test_curves();
    test_jwks_sets();
    test_jwks_refused();
    test_jwks_use();
    test_jwks_build();
    test_jwks_short_coords();
    test_jwks_prepare_all();
    test_b64url();
    test_shape();
    test_json();
    test_config();
    test_device_config();
    test_parse_numbers();
    test_config_number_edges();
    test_args();
    test_policy_dir_at();
    test_claims();
    test_scope_reasons();
    test_claims_tell();
    test_claims_number_edges();
    test_subjects();
    test_jti_revocable();
    test_group_map_parse();
    test_group_map_gids();
    test_groups_mapping();
    test_big_lists();
    test_decide_pop_clock();
    test_decide_clock();
    test_rule_runner();
    test_shipped_examples();
    test_no_silent_cut();
    test_jwk_thumbprint_rfc7638();
    test_curve_table_keys();
    test_strfmt_pop_reason();
    test_sanitize_tiny();
    test_runas_rules();
    test_device_reply_checks();
    test_netmatch();
    test_slots();
    return tap_done();
}
