/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: a roster payload (src/tool/roster.c) planned against
 * an empty state and a small fake host (src/tool/roster_plan.c), and the
 * plan's records written into a fresh directory (roster_apply.c).
 *   input = the payload's JSON text.
 * Properties besides "no sanitizer report":
 *   - a refused roster plans nothing and writes nothing;
 *   - a planned roster writes exactly the files of its plan, all inside
 *     the target directory, nothing else (a file put next to the target
 *     directory is never touched);
 *   - every NAME.user record parses as JSON with userName = NAME, a uid
 *     in 200000-299999 and gid = uid; every NAME.group has groupName =
 *     NAME; names are portable user names;
 *   - no record is written for a name or id the fake host already has
 *     (root, daemon, sudo, 0, 1, 27). */
#include "config.h"

#define FUZZ_NAME "fuzz_roster"
#include "fuzz.h"

#include "roster.h"
#include "roster_index.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOP "/tmp/pj-fuzz-roster"
#define DIR_ TOP "/userdb"
#define NEXT TOP "/next-door"

static int by_name(void *c, const char *n, uint32_t *id)
{
    (void)c;
    if (strcmp(n, "root") == 0 || strcmp(n, "daemon") == 0 || strcmp(n, "sudo") == 0) {
        *id = n[0] == 'r' ? 0 : n[0] == 'd' ? 1 : 27;
        return 1;
    }
    return 0;
}
static int by_id(void *c, uint32_t id, char **n)
{
    (void)c;
    if (id == 0 || id == 1 || id == 27 || id == 200077) {
        *n = strdup(id == 200077 ? "local" : "root");
        return 1;
    }
    return 0;
}
static const pj_roster_nss nss = {by_name, by_id, by_name, by_id, NULL};

static void clear(void)
{
    DIR *d = opendir(DIR_);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' || (e->d_name[1] != '\0' && strcmp(e->d_name, "..") != 0)) {
            char p[600];
            snprintf(p, sizeof(p), DIR_ "/%s", e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
}

static size_t count_files(void)
{
    size_t n = 0;
    DIR *d = opendir(DIR_);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

static void check_record(const char *name, const json_t *v)
{
    size_t n = strlen(name);
    if (!json_is_string(v))
        return; /* a link: checked by the writer (names in the plan) */
    json_t *r = json_loads(json_string_value(v), 0, NULL);
    if (n > 5 && strcmp(name + n - 5, ".user") == 0 && (name[0] < '0' || name[0] > '9')) {
        char base[64];
        CHECK(r != NULL && n - 5 < sizeof(base));
        memcpy(base, name, n - 5);
        base[n - 5] = '\0';
        CHECK(pj_roster_name_ok(base));
        CHECK(strcmp(json_string_value(json_object_get(r, "userName")), base) == 0);
        json_int_t uid = json_integer_value(json_object_get(r, "uid"));
        CHECK(uid >= 200000 && uid <= 299999 && uid != 200077);
        CHECK(json_integer_value(json_object_get(r, "gid")) == uid);
    } else if (n > 6 && strcmp(name + n - 6, ".group") == 0) {
        char base[64];
        CHECK(r != NULL && n - 6 < sizeof(base));
        memcpy(base, name, n - 6);
        base[n - 6] = '\0';
        CHECK(pj_roster_name_ok(base));
        CHECK(strcmp(base, "sudo") != 0 && strcmp(base, "root") != 0);
        CHECK(strcmp(json_string_value(json_object_get(r, "groupName")), base) == 0);
    }
    if (r)
        json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    pj_roster r;
    char why[512];
    json_t *st = NULL, *files = NULL, *old = json_object();
    pj_roster_opts o = {200000, 299999, 30, 1800000000.0, &nss, NULL, false, false};
    if (!ready) {
        mkdir(TOP, 0755);
        mkdir(DIR_, 0755);
        FILE *f = fopen(NEXT, "w");
        if (f) {
            fputs("untouched\n", f);
            fclose(f);
        }
        ready = true;
    }
    clear();
    if (pj_roster_parse((const char *)data, size, o.low, o.high, o.now, &r, why, sizeof(why)) == 0) {
        if (pj_roster_plan(old, &r, &o, &st, &files, why, sizeof(why)) == 0) {
            int fd = open(DIR_, O_RDONLY | O_DIRECTORY);
            CHECK(fd >= 0);
            CHECK(pj_roster_write_files(fd, files) == 0);
            close(fd);
            CHECK(count_files() == json_object_size(files));
            const char *name;
            json_t *v;
            json_object_foreach(files, name, v) check_record(name, v);
        } else {
            CHECK(st == NULL && files == NULL);
        }
        pj_roster_free(&r);
    }
    CHECK(count_files() == (files ? json_object_size(files) : 0));
    FILE *f = fopen(NEXT, "r");
    char buf[32] = "";
    CHECK(f != NULL && fgets(buf, sizeof(buf), f) && strcmp(buf, "untouched\n") == 0);
    fclose(f);
    json_decref(st);
    json_decref(files);
    json_decref(old);
    return 0;
}
