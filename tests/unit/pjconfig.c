/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/pjconfig.c. */
#include "unit.h"

/* The example configs shipped in conf/ parse (their files need not exist). */
void test_shipped_examples(void)
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
    static const conf_case bad[] = {
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
    config_cases("config", "", false, bad, N_CASES(bad));
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

void test_config(void)
{
    test_config_errors();
    test_config_valid_file();
    test_config_defaults();
    test_config_pop_audience();
    test_target_equal();
}

/* min_uid, leeway and max_lifetime at the edges of their range and of the
 * widths a number could be cut to (32-bit long, uid_t, 64 bits). */
void test_config_number_edges(void)
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

/* Device sign-in keys: defaults, ranges, and what device_flow requires. */
void test_device_config(void)
{
    int rc;
    pj_config *c;
    static const char base[] = "key_file = /k.pem\nallowed_subjects = *\n";
    static const conf_case bad[] = {
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
    config_cases("device config", base, true, bad, N_CASES(bad));
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
