/* SPDX-License-Identifier: BSD-3-Clause */
/* Rosters (contract "Users and groups from a roster"): the payload's
 * rules, the signature, the plan against state and NSS, the records and
 * index apply writes, and the module's mapping through the index.  Every
 * refusal is applied to a host (temporary directories) that already holds
 * a roster, and must leave every file as it was. */
#include "config.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "decide.h"
#include "jose.h"
#include "keys.h"
#include "pjconfig.h"
#include "policy.h"
#include "roster.h"
#include "roster_index.h"
#include "tap.h"
#include "testlib.h"

static void quiet_emit(void *ctx, int prio, const char *msg)
{
    (void)prio;
    if (ctx)
        snprintf(ctx, 512, "%s", msg);
}
static char lastlog[512];
static const pj_log LOG = {quiet_emit, lastlog, false};

#define ISS "https://idp.example.com"
#define NOW 1800000000.0

/* ------------------------------------------------------------ fake NSS */

/* The host: a few local users and groups (as /etc/passwd and /etc/group
 * would have them) plus whatever records are in the userdb directory (as
 * nss-systemd serves them). */
static const char *udb_dir;
static const struct { const char *name; uint32_t id; } local_users[] = {
    {"root", 0}, {"daemon", 1}, {"carol", 1000}, {"eve", 200050}};
static const struct { const char *name; uint32_t id; } local_groups[] = {
    {"root", 0}, {"sudo", 27}, {"staff", 200060}};

static json_t *udb_record(const char *file)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", udb_dir, file);
    return json_load_file(p, 0, NULL);
}

static int f_by_name(bool group, const char *name, uint32_t *id)
{
    for (size_t i = 0; !group && i < sizeof(local_users) / sizeof(local_users[0]); i++)
        if (strcmp(local_users[i].name, name) == 0)
            return *id = local_users[i].id, 1;
    for (size_t i = 0; group && i < sizeof(local_groups) / sizeof(local_groups[0]); i++)
        if (strcmp(local_groups[i].name, name) == 0)
            return *id = local_groups[i].id, 1;
    char f[128];
    snprintf(f, sizeof(f), "%s.%s", name, group ? "group" : "user");
    json_t *r = udb_record(f);
    if (r == NULL)
        return 0;
    *id = (uint32_t)json_integer_value(json_object_get(r, group ? "gid" : "uid"));
    json_decref(r);
    return 1;
}
static int f_by_id(bool group, uint32_t id, char **name)
{
    for (size_t i = 0; !group && i < sizeof(local_users) / sizeof(local_users[0]); i++)
        if (local_users[i].id == id)
            return *name = strdup(local_users[i].name), 1;
    for (size_t i = 0; group && i < sizeof(local_groups) / sizeof(local_groups[0]); i++)
        if (local_groups[i].id == id)
            return *name = strdup(local_groups[i].name), 1;
    char f[128];
    snprintf(f, sizeof(f), "%u.%s", id, group ? "group" : "user");
    json_t *r = udb_record(f);
    if (r == NULL)
        return 0;
    *name = strdup(json_string_value(json_object_get(r, group ? "groupName" : "userName")));
    json_decref(r);
    return 1;
}
static int fu_name(void *c, const char *n, uint32_t *id) { (void)c; return f_by_name(false, n, id); }
static int fg_name(void *c, const char *n, uint32_t *id) { (void)c; return f_by_name(true, n, id); }
static int fu_id(void *c, uint32_t id, char **n) { (void)c; return f_by_id(false, id, n); }
static int fg_id(void *c, uint32_t id, char **n) { (void)c; return f_by_id(true, id, n); }
static const pj_roster_nss fake_nss = {fu_name, fu_id, fg_name, fg_id, NULL};

/* ------------------------------------------------------------ helpers */

static char *base, *udb, *state, *keypub;
static EVP_PKEY *key;

/* A payload: serial, then users and groups JSON arrays (text). */
static char *payload(int serial, const char *users, const char *groups)
{
    return pj_strfmt("{\"serial\":%d,\"iat\":1799990000,\"users\":%s,\"groups\":%s}", serial,
                     users, groups);
}

#define ALICE "{\"name\":\"alice\",\"uid\":200001,\"iss\":\"" ISS "\",\"sub\":\"s-alice\"," \
              "\"groups\":[\"developers\"],\"real_name\":\"Alice Doe\",\"shell\":\"/bin/zsh\"}"
#define BOB "{\"name\":\"bob\",\"uid\":200002,\"iss\":\"" ISS "\",\"sub\":\"s-bob\"}"
#define DEVS "{\"name\":\"developers\",\"gid\":200100}"

static pj_roster_opts opts(void)
{
    pj_roster_opts o = {PJ_ROSTER_DEFAULT_LOW, PJ_ROSTER_DEFAULT_HIGH, 30, NOW, &fake_nss, NULL,
                         false, false};
    return o;
}

static int apply_at(const char *text, double now, char *why)
{
    pj_roster_dirs d = {udb, state};
    pj_roster_opts o = opts();
    o.now = now;
    return pj_roster_apply(&d, text, strlen(text), &o, why, 512);
}

/* Every name, link target and content under the two directories. */
static char *snapshot(void)
{
    char cmd[1024], *out = NULL;
    size_t n = 0;
    snprintf(cmd, sizeof(cmd),
             "cd %s && find . -printf '%%p %%l %%m\\n' | sort && "
             "find . -type f -print0 | sort -z | xargs -0r sha256sum", base);
    FILE *p = popen(cmd, "r"), *m = open_memstream(&out, &n);
    char buf[4096];
    size_t got;
    while (p && (got = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, got, m);
    if (p)
        pclose(p);
    fclose(m);
    return out;
}

static json_t *read_json(const char *dir, const char *file)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    return json_load_file(p, 0, NULL);
}

static bool file_is(const char *dir, const char *file, const char *want)
{
    char p[512], buf[256] = "";
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    FILE *f = fopen(p, "r");
    if (f == NULL)
        return want == NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return want != NULL && strcmp(buf, want) == 0;
}

static bool exists(const char *dir, const char *file)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    return lstat(p, &st) == 0;
}

/* ------------------------------------------------------------ parse */

static void test_parse(void)
{
    char why[512];
    pj_roster r;
    char *t = payload(1, "[" ALICE "," BOB "]", "[" DEVS "]");
    ok(pj_roster_parse(t, strlen(t), 200000, 299999, NOW, &r, why, sizeof(why)) == 0 &&
           r.nusers == 2 && r.ngroups == 1 && r.serial == 1 && r.users[0].uid == 200001 &&
           strcmp(r.users[0].groups.v[0], "developers") == 0,
       "a roster parses: users, groups, serial, ids");
    pj_roster_free(&r);
    free(t);

    static const struct { const char *users, *groups, *want, *what; } bad[] = {
        {"[" BOB ",{\"name\":\"Alice\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\"}]", "[]",
         "portable", "an upper-case name (lookups are case-sensitive)"},
        {"[{\"name\":\"1x\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\"}]", "[]", "portable",
         "a name starting with a digit"},
        {"[{\"name\":\"abcdefghijklmnopqrstuvwxyz0123456\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\"}]",
         "[]", "portable", "a 33-byte name"},
        {"[{\"name\":\"a.b\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\"}]", "[]", "portable",
         "a name with a dot"},
        {"[{\"name\":\"x\",\"uid\":0,\"iss\":\"i\",\"sub\":\"s\"}]", "[]", "uid", "uid 0"},
        {"[{\"name\":\"x\",\"uid\":1000,\"iss\":\"i\",\"sub\":\"s\"}]", "[]", "uid",
         "a uid below roster_id_range"},
        {"[{\"name\":\"x\",\"uid\":300000,\"iss\":\"i\",\"sub\":\"s\"}]", "[]", "uid",
         "a uid above roster_id_range"},
        {"[{\"name\":\"x\",\"uid\":\"200003\",\"iss\":\"i\",\"sub\":\"s\"}]", "[]", "uid",
         "a uid as a string"},
        {"[]", "[{\"name\":\"g\",\"gid\":0}]", "gid", "gid 0"},
        {"[]", "[{\"name\":\"g\",\"gid\":12}]", "gid", "a gid outside the range"},
        {"[" BOB "," BOB "]", "[]", "two entries are named bob", "a name twice"},
        {"[" BOB "]", "[{\"name\":\"bob\",\"gid\":200100}]", "two entries are named bob",
         "a group named like a user (the user's own group)"},
        {"[" BOB ",{\"name\":\"x\",\"uid\":200002,\"iss\":\"i\",\"sub\":\"s\"}]", "[]",
         "share the id", "a uid twice"},
        {"[" BOB "]", "[{\"name\":\"g\",\"gid\":200002}]", "share the id",
         "a gid equal to a uid (the user's own group)"},
        {"[" BOB ",{\"name\":\"x\",\"uid\":200003,\"iss\":\"" ISS "\",\"sub\":\"s-bob\"}]", "[]",
         "same iss and sub", "one subject twice"},
        {"[" ALICE "]", "[]", "not a roster group", "a group that is not the roster's"},
        {"[{\"name\":\"x\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\",\"admin\":true}]", "[]",
         "unknown member", "an unknown member"},
        {"[{\"name\":\"x\",\"uid\":200003,\"iss\":\"i\"}]", "[]", "sub", "no sub"},
        /* a NUL inside a string (C would see less than was signed): jansson refuses it */
        {"[{\"name\":\"x\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\\u0000t\"}]", "[]",
         "JSON", "a sub with a NUL"},
        {"[{\"name\":\"x\\u0000root\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\"}]", "[]",
         "JSON", "a name with a NUL"},
        {"[]", "[{\"name\":\"g\\u0000x\",\"gid\":200100}]", "JSON", "a group name with a NUL"},
        {"[{\"name\":\"x\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\",\"shell\":\"bash\"}]", "[]",
         "shell", "a relative shell"},
        {"[{\"name\":\"x\",\"uid\":200003,\"iss\":\"i\",\"sub\":\"s\",\"real_name\":\"a:b\"}]",
         "[]", "real_name", "a real_name with ':'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = payload(1, bad[i].users, bad[i].groups);
        why[0] = '\0';
        int rc = pj_roster_parse(t, strlen(t), 200000, 299999, NOW, &r, why, sizeof(why));
        ok(rc == -1 && strstr(why, bad[i].want) != NULL, "refused: %s (%s)", bad[i].what, why);
        if (rc == 0)
            pj_roster_free(&r);
        free(t);
    }
    static const char *const badtop[] = {
        "{\"serial\":0,\"users\":[]}", "{\"serial\":1.5,\"users\":[]}", "{\"users\":[]}",
        "{\"serial\":1}", "{\"serial\":1,\"users\":[],\"exp\":1700000000}",
        "{\"serial\":1,\"users\":[],\"serial\":2}", "[1]", "{\"serial\":1,\"users\":{}}"};
    for (size_t i = 0; i < sizeof(badtop) / sizeof(badtop[0]); i++) {
        int rc = pj_roster_parse(badtop[i], strlen(badtop[i]), 200000, 299999, NOW, &r, why,
                                 sizeof(why));
        ok(rc == -1, "refused: %s (%s)", badtop[i], why);
        if (rc == 0)
            pj_roster_free(&r);
    }
    const char *fresh = "{\"serial\":1,\"users\":[],\"exp\":1900000000}";
    ok(pj_roster_parse(fresh, strlen(fresh), 200000, 299999, NOW, &r, why, sizeof(why)) == 0,
       "an exp in the future is fine");
    pj_roster_free(&r);
}

/* ------------------------------------------------------------ verify */

static char *sign(const char *hdr, const char *pl, EVP_PKEY *k)
{
    return tl_sign_raw(hdr, pl, "ES256", k, NULL, 0);
}

static void test_verify(void)
{
    pj_keyset ks = {0};
    char why[512], *out = NULL;
    size_t n;
    const char *hdr = "{\"alg\":\"ES256\",\"typ\":\"pamjwt-roster+jwt\"}";
    ok(pj_keys_load_pem(&ks, keypub, &LOG) == 0, "roster key loads");
    char *pl = payload(1, "[" BOB "]", "[]");
    char *good = sign(hdr, pl, key);
    ok(pj_roster_verify(good, strlen(good), &ks, &out, &n, why, sizeof(why)) == 0 && out &&
           strstr(out, "s-bob") != NULL,
       "a signed roster verifies and gives its payload");
    free(out);
    EVP_PKEY *other = tl_keygen("p256");
    char *bad = sign(hdr, pl, other);
    ok(pj_roster_verify(bad, strlen(bad), &ks, &out, &n, why, sizeof(why)) == -1 &&
           strstr(why, "bad signature") && out == NULL,
       "a roster signed by another key is refused (%s)", why);
    char *typ = sign("{\"alg\":\"ES256\",\"typ\":\"JWT\"}", pl, key);
    ok(pj_roster_verify(typ, strlen(typ), &ks, &out, &n, why, sizeof(why)) == -1 &&
           strstr(why, "typ"),
       "a token (typ JWT) is not a roster, even by the right key (%s)", why);
    char *hs = tl_sign_raw("{\"alg\":\"HS256\",\"typ\":\"pamjwt-roster+jwt\"}", pl, "HS256",
                           NULL, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32);
    ok(pj_roster_verify(hs, strlen(hs), &ks, &out, &n, why, sizeof(why)) == -1 &&
           strstr(why, "asymmetric"),
       "an HS256 roster is refused (%s)", why);
    ok(pj_roster_verify("a.b", 3, &ks, &out, &n, why, sizeof(why)) == -1, "not a JWS: refused");
    free(good);
    free(bad);
    free(typ);
    free(hs);
    free(pl);
    EVP_PKEY_free(other);
    pj_keyset_free(&ks);
}

/* ------------------------------------------------------------ apply */

static void test_apply(void)
{
    char why[512] = "";
    char *t = payload(1, "[" ALICE "," BOB "]", "[" DEVS "]");
    ok(apply_at(t, NOW, why) == 0, "first roster applied (%s)", why);
    free(t);
    json_t *a = read_json(udb, "alice.user"), *g = read_json(udb, "developers.group");
    ok(a && strcmp(json_string_value(json_object_get(a, "userName")), "alice") == 0 &&
           json_integer_value(json_object_get(a, "uid")) == 200001 &&
           json_integer_value(json_object_get(a, "gid")) == 200001 &&
           strcmp(json_string_value(json_object_get(a, "realName")), "Alice Doe") == 0 &&
           strcmp(json_string_value(json_object_get(a, "homeDirectory")), "/home/alice") == 0 &&
           strcmp(json_string_value(json_object_get(a, "shell")), "/bin/zsh") == 0 &&
           strcmp(json_string_value(json_object_get(a, "disposition")), "regular") == 0 &&
           json_is_false(json_object_get(a, "locked")),
       "alice.user is JSON with systemd's field names and the roster's values");
    ok(g && strcmp(json_string_value(json_object_get(g, "groupName")), "developers") == 0 &&
           json_integer_value(json_object_get(g, "gid")) == 200100,
       "developers.group has groupName and gid");
    json_decref(a);
    json_decref(g);
    g = read_json(udb, "200001.group");
    ok(g && strcmp(json_string_value(json_object_get(g, "groupName")), "alice") == 0,
       "alice's own group: gid = uid, through its 200001.group link");
    json_decref(g);
    char lk[64] = "", p[512];
    snprintf(p, sizeof(p), "%s/200001.user", udb);
    ok(readlink(p, lk, sizeof(lk) - 1) > 0 && strcmp(lk, "alice.user") == 0,
       "200001.user links to alice.user");
    ok(exists(udb, "alice:developers.membership") && !exists(udb, "bob:developers.membership"),
       "memberships: alice:developers.membership only");
    json_t *mb = read_json(udb, "alice:developers.membership");
    ok(mb && strcmp(json_string_value(json_object_get(mb, "groupName")), "developers") == 0,
       "the membership file is not empty (systemd skips an empty one as masked)");
    json_decref(mb);
    char sf[PJ_ROSTER_SUBJECT_FILE], idx[512];
    snprintf(idx, sizeof(idx), "%s/index", state);
    pj_roster_subject_file(ISS, strlen(ISS), "s-alice", 7, sf);
    ok(file_is(idx, sf, "alice\n") && exists(idx, "n-alice") && exists(idx, "n-bob"),
       "the index maps alice's iss and sub to alice");

    /* Every refusal: nothing changes. */
    char *before = snapshot();
    static const struct { int serial; const char *users, *groups, *want, *what; } bad[] = {
        {1, "[" ALICE "," BOB "]", "[" DEVS "]", "not greater", "the same serial again"},
        {0 + 1, "[" BOB "]", "[]", "not greater", "a rolled-back roster (lower serial)"},
        {5, "[{\"name\":\"root\",\"uid\":200009,\"iss\":\"i\",\"sub\":\"r\"}]", "[]",
         "named root", "a user named root"},
        {5, "[{\"name\":\"daemon\",\"uid\":200009,\"iss\":\"i\",\"sub\":\"r\"}]", "[]",
         "named daemon", "a user named like a local user (daemon)"},
        {5, "[{\"name\":\"x\",\"uid\":0,\"iss\":\"i\",\"sub\":\"r\"}]", "[]", "uid",
         "uid 0"},
        {5, "[{\"name\":\"x\",\"uid\":200050,\"iss\":\"i\",\"sub\":\"r\"}]", "[]",
         "already belongs to eve", "the uid of a local user (eve, 200050)"},
        {5, "[]", "[{\"name\":\"sudo\",\"gid\":200101}]", "named sudo",
         "a group named like a local group (sudo)"},
        {5, "[]", "[{\"name\":\"g\",\"gid\":200060}]", "already belongs to staff",
         "the gid of a local group"},
        {5, "[{\"name\":\"sudo\",\"uid\":200009,\"iss\":\"i\",\"sub\":\"r\"}]", "[]",
         "named sudo", "a user whose own group would be the local group sudo"},
        {5, "[{\"name\":\"mallory\",\"uid\":200001,\"iss\":\"i\",\"sub\":\"r\"}]", "[]",
         "was alice's", "alice's uid under another name"},
        {5, "[{\"name\":\"alice\",\"uid\":200007,\"iss\":\"" ISS "\",\"sub\":\"s-alice\"}]", "[]",
         "keeps its uid", "alice with another uid"},
        {5, "[{\"name\":\"Bob\",\"uid\":200009,\"iss\":\"i\",\"sub\":\"r\"}]", "[]", "portable",
         "a name that is not portable"},
        {5, "[" BOB "," BOB "]", "[]", "two entries", "two entries with one name"},
        /* a group takes a local user's name or uid: "chown eve:eve" or a
         * file of group 200050 would then reach the roster's members */
        {5, "[]", "[{\"name\":\"eve\",\"gid\":200101}]", "user named eve",
         "a group named like a local user with no group of that name (eve)"},
        {5, "[]", "[{\"name\":\"g\",\"gid\":200050}]", "already belongs to eve",
         "a gid that is a local user's uid (eve, 200050)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int serial = i == 1 ? 0 : bad[i].serial;
        t = serial == 0 ? strdup("{\"serial\":0,\"users\":[]}")
                        : payload(serial, bad[i].users, bad[i].groups);
        why[0] = '\0';
        int rc = apply_at(t, NOW, why);
        char *after = snapshot();
        ok(rc == -1 && (i == 1 || strstr(why, bad[i].want) != NULL) &&
               strcmp(before, after) == 0,
           "refused, nothing changed: %s (%s)", bad[i].what, why);
        free(after);
        free(t);
    }
    t = pj_strfmt("{\"serial\":5,\"exp\":1700000000,\"users\":[" BOB "]}");
    ok(apply_at(t, NOW, why) == -1 && strstr(why, "expired"), "an expired roster: refused (%s)",
       why);
    free(t);
    char *after = snapshot();
    ok(strcmp(before, after) == 0, "... and nothing changed");
    free(after);
    /* a file the roster did not write stands where it would write one */
    snprintf(p, sizeof(p), "%s/dave.user", udb);
    tl_write_file(p, "{}", 2, 0644);
    char *before2 = snapshot();
    t = payload(6, "[" ALICE "," BOB ",{\"name\":\"dave\",\"uid\":200004,\"iss\":\"i\",\"sub\":\"d\"}]",
                "[" DEVS "]");
    ok(apply_at(t, NOW, why) == -1 && strstr(why, "did not create"),
       "a record the roster did not write is never replaced (%s)", why);
    after = snapshot();
    ok(strcmp(before2, after) == 0, "... and nothing changed");
    free(after);
    free(before2);
    free(t);
    unlink(p);
    free(before);

    /* bob leaves: locked at once, removed 30 days later, uid kept */
    t = payload(7, "[" ALICE "]", "[" DEVS "]");
    ok(apply_at(t, NOW, why) == 0, "bob left the roster (%s)", why);
    free(t);
    a = read_json(udb, "bob.user");
    ok(a && json_is_true(json_object_get(a, "locked")), "bob.user says locked");
    json_decref(a);
    pj_roster_subject_file(ISS, strlen(ISS), "s-bob", 5, sf);
    ok(file_is(idx, sf, "bob locked\n"), "the index says bob is locked");
    t = payload(8, "[" ALICE "]", "[" DEVS "]");
    ok(apply_at(t, NOW + 29 * 86400.0, why) == 0 && exists(udb, "bob.user"),
       "29 days later bob is still there, locked");
    free(t);
    t = payload(9, "[" ALICE "]", "[" DEVS "]");
    ok(apply_at(t, NOW + 30 * 86400.0, why) == 0 && !exists(udb, "bob.user") &&
           !exists(udb, "200002.user") && !exists(udb, "bob.group") && !exists(idx, sf) &&
           !exists(idx, "n-bob"),
       "30 days later bob's records and index are removed");
    free(t);
    t = payload(10, "[" ALICE ",{\"name\":\"zed\",\"uid\":200002,\"iss\":\"i\",\"sub\":\"z\"}]",
                "[" DEVS "]");
    before = snapshot();
    ok(apply_at(t, NOW + 31 * 86400.0, why) == -1 && strstr(why, "was bob's"),
       "bob's uid stays reserved after removal (%s)", why);
    after = snapshot();
    ok(strcmp(before, after) == 0, "... and nothing changed");
    free(before);
    free(after);
    free(t);
    /* alice leaves the group: her membership file goes */
    t = payload(11, "[{\"name\":\"alice\",\"uid\":200001,\"iss\":\"" ISS "\",\"sub\":\"s-alice\"}]",
                "[" DEVS "]");
    ok(apply_at(t, NOW + 31 * 86400.0, why) == 0 && !exists(udb, "alice:developers.membership"),
       "a membership the roster drops is removed (%s)", why);
    free(t);
}

/* Two applies at once: the state stays whole (flock). */
static void test_concurrent(void)
{
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        if ((kids[i] = fork()) == 0) {
            char why[512];
            char *t = payload(100 + i, "[" ALICE "]", "[" DEVS "]");
            int applied = apply_at(t, NOW + 32 * 86400.0, why) == 0;
            free(t); /* valgrind checks the children too */
            _exit(applied ? 0 : 1);
        }
    }
    int okc = 0;
    for (int i = 0; i < 4; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        okc += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    json_t *s = read_json(state, "state.json");
    json_int_t serial = json_integer_value(json_object_get(s, "serial"));
    ok(okc >= 1 && s != NULL && serial >= 100 && serial <= 103,
       "four applies at once: the state is whole, serial %d (%d applied, the rest were "
       "rollbacks)", (int)serial, okc);
    json_decref(s);
}

/* A crash after the records are in place, before the state: the module
 * must already know the new user (no map onto it meanwhile), and the same
 * roster must apply again (the records are the roster's, not foreign). */
static void test_crash(void)
{
    char why[512], sf[PJ_ROSTER_SUBJECT_FILE], idx[512];
    char *t = payload(300, "[" ALICE ",{\"name\":\"dan\",\"uid\":200005,\"iss\":\"" ISS
                           "\",\"sub\":\"s-dan\"}]", "[" DEVS "]");
    pj_roster_dirs d = {udb, state};
    pj_roster_opts o = opts();
    o.now = NOW + 41 * 86400.0;
    o.crash_after_records = true;
    snprintf(idx, sizeof(idx), "%s/index", state);
    pj_roster_subject_file(ISS, strlen(ISS), "s-dan", 5, sf);
    ok(pj_roster_apply(&d, t, strlen(t), &o, why, sizeof(why)) == -1 && exists(udb, "dan.user"),
       "a crash after the records: dan.user is in place");
    ok(exists(idx, "n-dan"), "... and the index already names dan (no user_map onto dan)");
    why[0] = '\0';
    ok(apply_at(t, NOW + 41 * 86400.0, why) == 0 && file_is(idx, sf, "dan\n"),
       "after the crash the same roster applies (%s)", why);
    free(t);
}

/* A user renamed in the roster keeps its iss and sub: the old name is
 * locked (left), the new one active; the subject's index file must name
 * the active user, whatever order the state lists them in.  Fresh
 * directories, several times (jansson's hash order is per process). */
static void test_rename(void)
{
    char why[512], sf[PJ_ROSTER_SUBJECT_FILE], idx[512];
    int good = 0;
    const char *names[] = {"al", "ally", "alf", "a1", "al_", "al-x"};
    pj_roster_subject_file(ISS, strlen(ISS), "s-ren", 5, sf);
    for (int i = 0; i < 6; i++) {
        char *u = pj_strfmt("%s/ren%d-u", base, i), *s = pj_strfmt("%s/ren%d-s", base, i);
        pj_roster_dirs d = {u, s};
        pj_roster_opts o = opts();
        char *t1 = payload(1, "[" ALICE "]", "[" DEVS "]");
        char *t2 = pj_strfmt("{\"serial\":2,\"users\":[{\"name\":\"%s\",\"uid\":%d,"
                             "\"iss\":\"" ISS "\",\"sub\":\"s-ren\"}],\"groups\":[]}",
                             names[i], 200010 + i);
        char *t3 = pj_strfmt("{\"serial\":3,\"users\":[{\"name\":\"zz%d\",\"uid\":%d,"
                             "\"iss\":\"" ISS "\",\"sub\":\"s-ren\"}],\"groups\":[]}",
                             i, 200020 + i);
        udb_dir = u;
        snprintf(idx, sizeof(idx), "%s/index", s);
        char want[40];
        snprintf(want, sizeof(want), "zz%d\n", i);
        good += pj_roster_apply(&d, t1, strlen(t1), &o, why, sizeof(why)) == 0 &&
                pj_roster_apply(&d, t2, strlen(t2), &o, why, sizeof(why)) == 0 &&
                pj_roster_apply(&d, t3, strlen(t3), &o, why, sizeof(why)) == 0 &&
                file_is(idx, sf, want);
        udb_dir = udb;
        free(t1), free(t2), free(t3), free(u), free(s);
    }
    ok(good == 6, "a renamed user (same iss and sub): the index names the active name (%d/6)",
       good);
}

/* ------------------------------------------------------------ module */

static pj_decision decide(pj_config *c, const char *tok)
{
    pj_policy pol = {c->path, c, false};
    pj_policies ps = {false, &pol, 1, false};
    pj_request rq = {.config_path = c->path, .input = tok, .input_len = strlen(tok),
                     .now = NOW, .log = &LOG, .policies_given = true, .policies = &ps};
    pj_decision d;
    pj_decide(&rq, &d);
    return d;
}

static void test_module(void)
{
    char p[512], why[512];
    snprintf(p, sizeof(p), "%s/map", base);
    tl_write_file(p, "s-mallory alice\ns-other other\n", 30, 0644);
    char *conf = pj_strfmt("key_file = %s\nroster = yes\nuser_map_file = %s\nissuer = " ISS "\n",
                           keypub, p);
    pj_config *c = pj_config_new("/test/roster.conf");
    ok(pj_config_parse(c, conf, strlen(conf), &LOG) == 0 && pj_config_finish(c, &LOG) == 0,
       "roster = yes stands in for allowed_subjects");
    c->roster_dir = state;
    /* the state: alice active, zed locked (left) */
    char *t = payload(200, "[" ALICE ",{\"name\":\"zed\",\"uid\":200003,\"iss\":\"" ISS
                           "\",\"sub\":\"s-zed\"}]", "[" DEVS "]");
    apply_at(t, NOW + 40 * 86400.0, why);
    free(t);
    t = payload(201, "[" ALICE "]", "[" DEVS "]");
    apply_at(t, NOW + 40 * 86400.0, why);
    free(t);

    const char *hdr = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    char *tok = sign(hdr, "{\"iss\":\"" ISS "\",\"sub\":\"s-alice\",\"exp\":1800000100}", key);
    pj_decision d = decide(c, tok);
    ok(d.user && strcmp(d.user, "alice") == 0 && d.result == PJ_USER_UNKNOWN,
       "alice's iss and sub map to alice (who is not in this host's NSS: user unknown): %s",
       d.reason);
    pj_decision_free(&d);
    free(tok);
    tok = sign(hdr, "{\"iss\":\"" ISS "\",\"sub\":\"s-zed\",\"exp\":1800000100}", key);
    d = decide(c, tok);
    ok(d.result == PJ_REFUSE && strstr(d.reason, "locked") != NULL,
       "zed, who left the roster, is refused: %s", d.reason);
    pj_decision_free(&d);
    free(tok);
    c->allow_any_subject = true; /* allowed_subjects = *: the map alone decides */
    tok = sign(hdr, "{\"iss\":\"" ISS "\",\"sub\":\"s-mallory\",\"exp\":1800000100}", key);
    d = decide(c, tok);
    c->allow_any_subject = false;
    ok(d.result == PJ_REFUSE && strstr(d.reason, "roster user") != NULL,
       "a user_map rule mapping another subject onto alice is refused: %s", d.reason);
    pj_decision_free(&d);
    free(tok);
    tok = sign(hdr, "{\"iss\":\"" ISS "\",\"sub\":\"s-nobody\",\"exp\":1800000100}", key);
    d = decide(c, tok);
    ok(d.result == PJ_REFUSE && strstr(d.reason, "not allowed") != NULL,
       "a subject neither in the roster nor allowed is refused: %s", d.reason);
    pj_decision_free(&d);
    free(tok);
    /* the roster is per issuer: alice's sub from another issuer is not alice */
    c->roster_dir = "/nonexistent/roster";
    tok = sign(hdr, "{\"iss\":\"" ISS "\",\"sub\":\"s-alice\",\"exp\":1800000100}", key);
    d = decide(c, tok);
    ok(d.result == PJ_UNAVAIL, "no index: unavailable, never a guess: %s", d.reason);
    pj_decision_free(&d);
    free(tok);
    c->roster_dir = state;
    c->roster = false;
    c->allow_any_subject = true;
    tok = sign(hdr, "{\"iss\":\"" ISS "\",\"sub\":\"s-mallory\",\"exp\":1800000100}", key);
    d = decide(c, tok);
    ok(d.result == PJ_REFUSE && strstr(d.reason, "roster user") != NULL,
       "without roster = yes (another issuer's policy) a map onto a roster user is refused "
       "too: %s", d.reason);
    pj_decision_free(&d);
    c->roster_dir = "/nonexistent/roster";
    d = decide(c, tok);
    ok(d.user && strcmp(d.user, "alice") == 0 && d.result == PJ_USER_UNKNOWN,
       "without roster = yes and no roster applied (no index) the map decides: %s", d.reason);
    pj_decision_free(&d);
    c->roster_dir = state;
    free(tok);
    pj_config_free(c);
    free(conf);

    /* the config keys */
    static const char *const badconf[] = {"roster_id_range = 0-10\n", "roster_id_range = 10-5\n",
                                          "roster_id_range = 10\n", "roster_grace_days = 4000\n",
                                          "roster = maybe\n"};
    for (size_t i = 0; i < sizeof(badconf) / sizeof(badconf[0]); i++) {
        c = pj_config_new("/test/x.conf");
        ok(pj_config_parse(c, badconf[i], strlen(badconf[i]), &LOG) == -1,
           "config error: %.*s", (int)strlen(badconf[i]) - 1, badconf[i]);
        pj_config_free(c);
    }
    /* without issuer, any key of key_file could sign a roster user's iss
     * and sub (a second IdP's key, trusted for its own users) */
    char *noiss = pj_strfmt("key_file = %s\nroster = yes\n", keypub);
    c = pj_config_new("/test/x.conf");
    ok(pj_config_parse(c, noiss, strlen(noiss), &LOG) == 0 && pj_config_finish(c, &LOG) == -1 &&
           strstr(lastlog, "issuer") != NULL,
       "config error: roster = yes without issuer (%s)", lastlog);
    pj_config_free(c);
    free(noiss);
    c = pj_config_new("/test/x.conf");
    const char *good = "roster_id_range = 300000-300100\nroster_grace_days = 0\n";
    ok(pj_config_parse(c, good, strlen(good), &LOG) == 0 && c->roster_low == 300000 &&
           c->roster_high == 300100 && c->roster_grace_days == 0,
       "roster_id_range and roster_grace_days parse");
    pj_config_free(c);
    c = pj_config_new("/test/x.conf");
    ok(c->roster_low == 200000 && c->roster_high == 299999 && c->roster_grace_days == 30 &&
           !c->roster,
       "defaults: 200000-299999, 30 days, roster off");
    pj_config_free(c);
}

/* The writer: names of a plan only, never outside its directory. */
static void test_writer(void)
{
    char *d = tl_tmpdir();
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    json_t *f = json_pack("{s:s}", "../escape.user", "{}");
    ok(pj_roster_write_files(fd, f) == -1 && !exists(base, "escape.user"),
       "the writer refuses a name with '/'");
    json_decref(f);
    f = json_pack("{s:{s:s}}", "x.user", "link", "/etc/passwd");
    ok(pj_roster_write_files(fd, f) == -1 && !exists(d, "x.user"),
       "the writer refuses a link outside the plan");
    json_decref(f);
    close(fd);
    tl_rmtree(d);
    free(d);
}

int main(void)
{
    char p[512];
    base = tl_tmpdir();
    chmod(base, 0755);
    udb = pj_strfmt("%s/userdb", base);
    state = pj_strfmt("%s/state", base);
    udb_dir = udb;
    key = tl_keygen("p256");
    snprintf(p, sizeof(p), "%s/roster.pub", base);
    keypub = strdup(p);
    tl_write_pub(key, keypub);
    test_parse();
    test_verify();
    test_apply();
    test_concurrent();
    test_module();
    test_crash();
    test_rename();
    test_writer();
    tl_rmtree(base);
    EVP_PKEY_free(key);
    free(base);
    free(udb);
    free(state);
    free(keypub);
    return tap_done();
}
