/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt roster apply's file work (roster.h): the state directory locked
 * (flock), the userdb records and the module's index written into new
 * directories on the same file system and renamed into place, the state
 * written by rename.  Every rule is checked before the first change, so a
 * refused roster changes nothing; only files listed in the state's
 * manifest (files the roster wrote) are ever replaced or removed. */
#include "config.h"

#include "roster.h"

#include "jose.h"
#include "log.h"
#include "roster_index.h"
#include "safefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FILE "state.json"
#define TMP_PREFIX ".pamjwt-roster."

static int fail(char *why, size_t whysz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whysz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pj_vformat(why, whysz, fmt, ap);
    va_end(ap);
    return -1;
}

/* A name the writer may create in its directory: a plain file name. */
static bool plain_name(const char *n)
{
    size_t l = strlen(n);
    return l > 0 && l < NAME_MAX && n[0] != '.' && strchr(n, '/') == NULL;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A new file name in dirfd with text, mode, synced; never follows or
 * replaces anything (O_EXCL). */
static int create_file(int dirfd, const char *name, const char *text, mode_t mode)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int rc = (fchmod(fd, mode) == 0 && write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0)
                 ? 0
                 : -1;
    return close(fd) == 0 ? rc : -1;
}

int pj_roster_write_files(int dirfd, const json_t *files)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)files, name, v) {
        if (!plain_name(name))
            return -1;
        if (json_is_string(v)) {
            if (create_file(dirfd, name, json_string_value(v), 0644) != 0)
                return -1;
        } else {
            const char *t = json_string_value(json_object_get(v, "link"));
            if (t == NULL || !plain_name(t) || json_object_get(files, t) == NULL ||
                symlinkat(t, dirfd, name) != 0)
                return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ state */

static int load_state(int sfd, const char *dir, json_t **st, char *why, size_t whysz)
{
    char *buf = NULL, path[4200];
    size_t len;
    const char *jwhy = NULL;
    pj_log quiet = {NULL, NULL, false};
    struct stat sb;
    snprintf(path, sizeof(path), "%s/" STATE_FILE, dir);
    if (fstatat(sfd, STATE_FILE, &sb, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
        *st = json_object(); /* nothing applied yet */
        return *st ? 0 : fail(why, whysz, "out of memory");
    }
    if (pj_read_file_at(sfd, STATE_FILE, path, "roster state", PJ_FILE_SECRET, PJ_MAX_LIST_SIZE,
                        &quiet, &buf, &len) != 0)
        return fail(why, whysz, "%s is not a safe, readable file (root's, mode 0600, no link)",
                    path);
    *st = pj_json_object(buf, len, &jwhy);
    free(buf);
    if (*st == NULL)
        return fail(why, whysz, "%s: %s", path, jwhy);
    return 0;
}

static int save_state(int sfd, json_t *st)
{
    char *s = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = -1;
    if (s == NULL)
        return -1;
    (void)unlinkat(sfd, STATE_FILE ".new", 0);
    if (create_file(sfd, STATE_FILE ".new", s, 0600) == 0 &&
        renameat(sfd, STATE_FILE ".new", sfd, STATE_FILE) == 0 && fsync(sfd) == 0)
        rc = 0;
    free(s);
    return rc;
}

/* ------------------------------------------------------------ dirs */

/* A new empty directory in dirfd named TMP_PREFIX + random, mode 0700;
 * its name in name[]. */
static int make_tmpdir(int dirfd, char name[64])
{
    for (int i = 0; i < 16; i++) {
        unsigned r;
        FILE *u = fopen("/dev/urandom", "re");
        if (u == NULL || fread(&r, sizeof(r), 1, u) != 1) {
            if (u)
                fclose(u);
            return -1;
        }
        fclose(u);
        snprintf(name, 64, TMP_PREFIX "%08x", r);
        if (mkdirat(dirfd, name, 0700) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

/* Remove the directory name in dirfd and the plain files (and links) in
 * it: a temporary directory of ours. */
static void remove_tree(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        DIR *d = fdopendir(fd);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                (void)unlinkat(fd, e->d_name, 0);
        if (d)
            closedir(d);
        else
            close(fd);
    }
    (void)unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* A directory, created (0755) when missing, then checked like every file
 * (root's or ours, not group/other-writable, no link). */
static int open_made_dir(const char *path, const char *what, char *why, size_t whysz)
{
    pj_log quiet = {NULL, NULL, false};
    char parent[4096];
    const char *slash = strrchr(path, '/');
    /* the parent too (/var/lib/pamjwt), one level */
    if (slash && slash > path && (size_t)(slash - path) < sizeof(parent)) {
        memcpy(parent, path, (size_t)(slash - path));
        parent[slash - path] = '\0';
        if (mkdir(parent, 0755) != 0 && errno != EEXIST)
            return fail(why, whysz, "cannot create %s: %s", parent, strerror(errno));
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return fail(why, whysz, "cannot create %s: %s", path, strerror(errno));
    int fd = pj_open_dir(path, what, &quiet);
    if (fd < 0)
        fail(why, whysz, "%s is not a safe directory (root's, not group- or other-writable, "
                         "no link)", path);
    return fd;
}

/* The module's index of a state: s-HEX and n-NAME per user. */
static int index_files(const json_t *st, json_t *idx)
{
    const char *name;
    json_t *u;
    json_object_foreach(json_object_get(st, "users"), name, u) {
        const char *iss = json_string_value(json_object_get(u, "iss"));
        const char *sub = json_string_value(json_object_get(u, "sub"));
        char f[PJ_ROSTER_SUBJECT_FILE], n[PJ_ROSTER_MAX_NAME + 3];
        if (iss == NULL || sub == NULL || !pj_roster_name_ok(name) ||
            pj_roster_subject_file(iss, strlen(iss), sub, strlen(sub), f) != 0)
            return -1;
        bool locked = json_object_get(u, "locked_at") != NULL;
        char *line = pj_strfmt("%s%s\n", name, locked ? " locked" : "");
        snprintf(n, sizeof(n), "n-%s", name);
        /* a renamed user's old, locked name never hides its active one */
        if (line == NULL ||
            ((!locked || json_object_get(idx, f) == NULL) &&
             json_object_set_new(idx, f, json_string(line))) ||
            json_object_set_new(idx, n, json_string(name)))
            return free(line), -1;
        free(line);
    }
    return 0;
}

/* The new index in a temporary directory of the state directory, then
 * exchanged with the old one in one step (renameat2 RENAME_EXCHANGE). */
static int swap_index(int sfd, const json_t *st)
{
    char tmp[64];
    json_t *idx = json_object();
    int rc = -1, fd = -1;
    if (idx == NULL || index_files(st, idx) != 0 || make_tmpdir(sfd, tmp) != 0) {
        json_decref(idx);
        return -1;
    }
    fd = openat(sfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && fchmod(fd, 0755) == 0 && pj_roster_write_files(fd, idx) == 0 && fsync(fd) == 0) {
        if (renameat2(sfd, tmp, sfd, PJ_ROSTER_INDEX, RENAME_EXCHANGE) == 0)
            rc = 0; /* tmp now holds the old index */
        else if (errno == ENOENT && renameat(sfd, tmp, sfd, PJ_ROSTER_INDEX) == 0)
            rc = 0;
    }
    if (fd >= 0)
        close(fd);
    remove_tree(sfd, tmp);
    json_decref(idx);
    return rc;
}

/* ------------------------------------------------------------ apply */

/* Does the userdb file name hold what the plan would write (v)? */
static bool same_file(int ufd, const char *name, const json_t *v)
{
    pj_log quiet = {NULL, NULL, false};
    if (!json_is_string(v)) {
        char t[NAME_MAX + 1];
        ssize_t n = readlinkat(ufd, name, t, sizeof(t) - 1);
        const char *want = json_string_value(json_object_get(v, "link"));
        return n >= 0 && want && (t[n] = '\0', strcmp(t, want) == 0);
    }
    char *buf = NULL;
    size_t len = 0;
    bool same = pj_read_file_at(ufd, name, name, "record", PJ_FILE_PUBLIC, 1024 * 1024, &quiet,
                                &buf, &len) == 0 &&
                len == json_string_length(v) && memcmp(buf, json_string_value(v), len) == 0;
    free(buf);
    return same;
}

/* Before any change: no file of the plan may exist in the userdb
 * directory unless the roster wrote it (the manifest). */
static int check_userdb(int ufd, const char *dir, const json_t *files, const json_t *manifest,
                        FILE *ev, char *why, size_t whysz)
{
    const char *name;
    json_t *v;
    struct stat sb;
    json_object_foreach((json_t *)files, name, v) {
        bool ours = json_object_get(manifest, name) != NULL;
        if (fstatat(ufd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT)
                return fail(why, whysz, "%s/%s: %s", dir, name, strerror(errno));
            continue;
        }
        if (!ours)
            return fail(why, whysz, "%s/%s exists and the roster did not create it", dir, name);
        if (json_is_string(v) && strstr(name, ".membership") == NULL && !same_file(ufd, name, v))
            fprintf(ev, "changed %s/%s\n", dir, name);
    }
    return 0;
}

/* The records: written into a new directory next to them, renamed in,
 * then the files of the last roster that this one lacks removed. */
static int swap_records(int ufd, const json_t *files, const json_t *manifest, char *why,
                        size_t whysz)
{
    char tmp[64];
    const char *name;
    json_t *v;
    int rc = -1, fd;
    if (make_tmpdir(ufd, tmp) != 0)
        return fail(why, whysz, "cannot create a temporary directory: %s", strerror(errno));
    fd = openat(ufd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || pj_roster_write_files(fd, files) != 0 || fsync(fd) != 0) {
        fail(why, whysz, "writing the records failed: %s", strerror(errno));
        goto out;
    }
    json_object_foreach((json_t *)files, name, v)
        if (renameat(fd, name, ufd, name) != 0) {
            fail(why, whysz, "renaming %s into place failed: %s", name, strerror(errno));
            goto out;
        }
    json_object_foreach((json_t *)manifest, name, v)
        if (json_object_get(files, name) == NULL && plain_name(name))
            (void)unlinkat(ufd, name, 0);
    (void)fsync(ufd);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    remove_tree(ufd, tmp);
    return rc;
}

/* The state's manifest as an object (name -> true), for lookups. */
static json_t *manifest_of(const json_t *st)
{
    json_t *m = json_object(), *v;
    size_t i;
    json_array_foreach(json_object_get(st, "files"), i, v)
        if (json_is_string(v))
            json_object_set_new(m, json_string_value(v), json_true());
    return m;
}

static json_t *names_of(const json_t *files, const json_t *also)
{
    json_t *a = json_array();
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)files, name, v)
        json_array_append_new(a, json_string(name));
    json_object_foreach((json_t *)also, name, v)
        if (json_object_get(files, name) == NULL)
            json_array_append_new(a, json_string(name));
    return a;
}

/* a's members, then b's over them (NULL: none); shallow. */
static json_t *merged(const json_t *a, const json_t *b)
{
    json_t *m = json_object();
    if (m == NULL || (json_is_object(a) && json_object_update(m, (json_t *)a) != 0) ||
        (json_is_object(b) && json_object_update(m, (json_t *)b) != 0))
        return json_decref(m), NULL;
    return m;
}

/* The state written before the first change: the old serial (the same
 * roster applies again), the old and new users, groups and ids, and the
 * files of both.  After a crash anywhere, every record on disk is then
 * the roster's own, and its index (written from this state before the
 * records) names every user those records hold. */
static json_t *pending_state(const json_t *old, const json_t *st, const json_t *files,
                             const json_t *manifest)
{
    json_t *p = json_deep_copy(old);
    if (p == NULL ||
        json_object_set_new(p, "users", merged(json_object_get(old, "users"),
                                               json_object_get(st, "users"))) != 0 ||
        json_object_set_new(p, "groups", merged(json_object_get(old, "groups"),
                                                json_object_get(st, "groups"))) != 0 ||
        json_object_set(p, "ids", json_object_get(st, "ids")) != 0 ||
        json_object_set_new(p, "files", names_of(files, manifest)) != 0)
        return json_decref(p), NULL;
    return p;
}

typedef struct apply_run {
    int sfd, lockfd, ufd;
    json_t *old, *st, *files, *manifest;
    pj_roster r;
    char *events;
    size_t evlen;
    FILE *ev;
} apply_run;

/* Every check, no change: 0, or -1 with why (1: unchanged, see
 * same_serial_unchanged). */
static int prepare(apply_run *a, const pj_roster_dirs *dirs, const char *payload, size_t plen,
                   const pj_roster_opts *o, char *why, size_t whysz)
{
    pj_roster_opts po = *o;
    if ((a->sfd = open_made_dir(dirs->state, "roster state", why, whysz)) < 0)
        return -1;
    a->lockfd = openat(a->sfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (a->lockfd < 0 || flock(a->lockfd, LOCK_EX) != 0)
        return fail(why, whysz, "cannot lock %s/lock: %s", dirs->state, strerror(errno));
    if (load_state(a->sfd, dirs->state, &a->old, why, whysz) != 0)
        return -1;
    if (pj_roster_parse(payload, plen, o->low, o->high, o->now, &a->r, why, whysz) != 0)
        return -1;
    if ((a->ev = open_memstream(&a->events, &a->evlen)) == NULL)
        return fail(why, whysz, "out of memory");
    po.out = a->ev;
    int planned = pj_roster_plan(a->old, &a->r, &po, &a->st, &a->files, why, whysz);
    if (planned != 0)
        return planned; /* -1, or 1: the roster applied last, unchanged */
    if ((a->ufd = open_made_dir(dirs->userdb, "userdb", why, whysz)) < 0)
        return -1;
    if ((a->manifest = manifest_of(a->old)) == NULL)
        return fail(why, whysz, "out of memory");
    return check_userdb(a->ufd, dirs->userdb, a->files, a->manifest, a->ev, why, whysz);
}

int pj_roster_apply(const pj_roster_dirs *dirs, const char *payload, size_t plen,
                    const pj_roster_opts *o, char *why, size_t whysz)
{
    apply_run a = {.sfd = -1, .lockfd = -1, .ufd = -1};
    int rc = prepare(&a, dirs, payload, plen, o, why, whysz);
    if (rc == 0) {
        /* From here on the host changes.  First the pending state
         * (pending_state) and its index, so that a crash part way never
         * leaves a record the next apply would not own or the module
         * would not know; then the records, the index, and the state. */
        json_t *pending = pending_state(a.old, a.st, a.files, a.manifest);
        rc = -1;
        if (pending == NULL || save_state(a.sfd, pending) != 0)
            fail(why, whysz, "cannot write the state in %s: %s", dirs->state, strerror(errno));
        else if (swap_index(a.sfd, pending) != 0)
            fail(why, whysz, "cannot write the index in %s: %s", dirs->state, strerror(errno));
        else if (swap_records(a.ufd, a.files, a.manifest, why, whysz) != 0)
            ;
        else if (o->crash_after_records)
            fail(why, whysz, "stopped after the records (test)");
        else if (swap_index(a.sfd, a.st) != 0)
            fail(why, whysz, "cannot write the index in %s: %s", dirs->state, strerror(errno));
        else if (json_object_set_new(a.st, "files", names_of(a.files, NULL)) != 0 ||
                 save_state(a.sfd, a.st) != 0)
            fail(why, whysz, "cannot write the state in %s: %s", dirs->state, strerror(errno));
        else
            rc = 0;
        json_decref(pending);
    }
    if (a.ev)
        fclose(a.ev);
    if (rc == 0 && o->out && a.events)
        fputs(a.events, o->out);
    free(a.events);
    pj_roster_free(&a.r);
    json_decref(a.old);
    json_decref(a.st);
    json_decref(a.files);
    json_decref(a.manifest);
    if (a.ufd >= 0)
        close(a.ufd);
    if (a.lockfd >= 0)
        close(a.lockfd); /* releases the lock */
    if (a.sfd >= 0)
        close(a.sfd);
    return rc;
}
