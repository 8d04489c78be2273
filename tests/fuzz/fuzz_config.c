/* libFuzzer harness: the text an administrator writes.
 *   input = config file text; the same bytes are also used as a
 *   user_map_file / allowed_subjects_file / revoked_file, as a claims set
 *   (JSON) and as module arguments.
 * No file is opened: pj_config_finish (which loads keys and lists) is not
 * called; the list files are handed over in memory as pj_config_finish
 * would after reading them. */
#include "config.h"

#include "args.h"
#include "claims.h"
#include "jose.h"
#include "log.h"
#include "pjconfig.h"
#include "subject.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz_config: property failed: %s (%s:%d)\n", #cond, \
                    __FILE__, __LINE__);                                         \
            abort();                                                             \
        }                                                                        \
    } while (0)

static void discard(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    /* every line must be a C string of bounded length */
    CHECK(strlen(msg) < 1024);
}

static const pj_log quiet = {discard, NULL, true};

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

/* The input as a user_map_file, allowed_subjects_file and revoked_file. */
static void fuzz_lists(const char *buf, size_t len)
{
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

    /* Every meaningful line is inside the buffer, trimmed, non-empty. */
    {
        pj_lines it = {buf, len, 0, 0};
        const char *l;
        size_t n;
        while (pj_lines_next(&it, &l, &n)) {
            CHECK(n > 0 && l >= buf && l + n <= buf + len);
            CHECK(!pj_is_space((unsigned char)l[0]) && !pj_is_space((unsigned char)l[n - 1]));
        }
    }

    for (size_t i = 0; i < NSUBJECTS; i++) {
        (void)pj_subject_allowed(c, subjects[i]);
        (void)pj_jti_revoked(c, subjects[i]);
    }
    /* pj_map_user is only ever run on a map that passed validation. */
    if (pj_user_map_validate(&c->user_map, &quiet) == 0) {
        for (size_t i = 0; i < NSUBJECTS; i++) {
            char *user = NULL;
            int r = pj_map_user(c, subjects[i], &user);
            CHECK(r == 0 || r == 1);
            CHECK((r == 1) == (user != NULL));
            if (user) {
                (void)pj_user_name_ok(user);
                free(user);
            }
        }
        /* the first line's first word as a subject, so patterns can match */
        {
            pj_lines it = {buf, len, 0, 0};
            const char *l;
            size_t n;
            if (pj_lines_next(&it, &l, &n)) {
                size_t w = 0;
                while (w < n && !pj_is_space((unsigned char)l[w]))
                    w++;
                char *sub = pj_strndup(l, w), *user = NULL;
                if (sub && pj_map_user(c, sub, &user) == 1)
                    free(user);
                free(sub);
            }
        }
    }
out:
    pj_config_free(c);
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
        for (size_t i = 0; i < c->key_files.n; i++)
            CHECK(c->key_files.v[i][0] == '/');
        for (size_t i = 0; i < c->jwks_files.n; i++)
            CHECK(c->jwks_files.v[i][0] == '/');
        for (int i = 0; i < 3; i++) {
            why[0] = '\0';
            (void)pj_check_claims(c, fixed_claims[i], NOW, why, sizeof(why));
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
                (void)pj_check_claims(fixed_cfg[i], claims, NOW, why, sizeof(why));
                CHECK(strlen(why) < sizeof(why));
                (void)pj_check_claims(fixed_cfg[i], claims, 0.0, why, sizeof(why));
                (void)pj_check_claims(fixed_cfg[i], claims, 1e300, why, sizeof(why));
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
