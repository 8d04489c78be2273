/* SPDX-License-Identifier: BSD-3-Clause */
/* The roster against what the host knows: the state of the roster applied
 * before (no rollback, ids never reused, locking and removal) and the
 * user database (no name or id the roster did not create), giving the new
 * state and the systemd user records to write (roster.h).  Pure: the host
 * is reached only through the pj_roster_nss callbacks. */
#include "config.h"

#include "roster.h"

#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t whysz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whysz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pj_vformat(why, whysz, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------ NSS */

/* NULL from getpw* / getgr* with one of these errors is a failed lookup,
 * anything else "no such entry" (NSS modules set errno loosely). */
static int lookup_error(void)
{
    return errno == EIO || errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
                   errno == EAGAIN
               ? -1
               : 0;
}

static int sys_user_by_name(void *ctx, const char *name, uint32_t *id)
{
    (void)ctx;
    errno = 0;
    struct passwd *p = getpwnam(name);
    if (p == NULL)
        return lookup_error();
    *id = (uint32_t)p->pw_uid;
    return 1;
}
static int sys_user_by_id(void *ctx, uint32_t id, char **name)
{
    (void)ctx;
    errno = 0;
    struct passwd *p = getpwuid((uid_t)id);
    if (p == NULL)
        return lookup_error();
    *name = strdup(p->pw_name);
    return *name ? 1 : -1;
}
static int sys_group_by_name(void *ctx, const char *name, uint32_t *id)
{
    (void)ctx;
    errno = 0;
    struct group *g = getgrnam(name);
    if (g == NULL)
        return lookup_error();
    *id = (uint32_t)g->gr_gid;
    return 1;
}
static int sys_group_by_id(void *ctx, uint32_t id, char **name)
{
    (void)ctx;
    errno = 0;
    struct group *g = getgrgid((gid_t)id);
    if (g == NULL)
        return lookup_error();
    *name = strdup(g->gr_name);
    return *name ? 1 : -1;
}

const pj_roster_nss pj_roster_system_nss = {sys_user_by_name, sys_user_by_id, sys_group_by_name,
                                            sys_group_by_id, NULL};

/* name and id, as a user (is_group false) or a group, may be written only
 * when NSS knows neither, or knows exactly this pair and the roster wrote
 * it (own): a local user, a group of /etc/group or of any other NSS
 * source is never taken over. */
static int check_nss(const pj_roster_nss *nss, bool is_group, const char *name, uint32_t id,
                     bool own, char *why, size_t whysz)
{
    const char *kind = is_group ? "group" : "user";
    uint32_t other_id = 0;
    char *other = NULL;
    int r = is_group ? nss->group_by_name(nss->ctx, name, &other_id)
                     : nss->user_by_name(nss->ctx, name, &other_id);
    if (r < 0)
        return fail(why, whysz, "looking up %s %s failed", kind, name);
    if (r > 0 && (!own || other_id != id))
        return fail(why, whysz, "a %s named %s already exists (id %u) and the roster did not "
                                "create it", kind, name, other_id);
    r = is_group ? nss->group_by_id(nss->ctx, id, &other) : nss->user_by_id(nss->ctx, id, &other);
    if (r < 0)
        return fail(why, whysz, "looking up %s id %u failed", kind, id);
    if (r > 0) {
        bool same = own && strcmp(other, name) == 0;
        char safe[80];
        pj_sanitize(safe, sizeof(safe), other, strlen(other));
        free(other);
        if (!same)
            return fail(why, whysz, "%s id %u already belongs to %s and the roster did not "
                                    "create it", kind, id, safe);
    }
    return 0;
}

/* ------------------------------------------------------------ records */

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    if (s == NULL)
        return NULL;
    char *t = pj_strfmt("%s\n", s);
    free(s);
    return t;
}

/* files[name] = content; takes text. */
static int put_text(json_t *files, const char *name, char *text)
{
    if (text == NULL)
        return -1;
    int rc = json_object_set_new(files, name, json_string(text));
    free(text);
    return rc;
}

static int put_link(json_t *files, const char *name, const char *target)
{
    return json_object_set_new(files, name, json_pack("{s:s}", "link", target));
}

/* NAME.group and its GID.group link. */
static int put_group(json_t *files, const char *name, uint32_t gid)
{
    char f[64], l[32];
    snprintf(f, sizeof(f), "%s.group", name);
    snprintf(l, sizeof(l), "%u.group", gid);
    return put_text(files, f, dump(json_pack("{s:s, s:I, s:s}", "groupName", name, "gid",
                                             (json_int_t)gid, "disposition", "regular"))) ||
           put_link(files, l, f);
}

/* A user's record as systemd's JSON User Records name the fields. */
static json_t *user_record(const pj_roster_user *u)
{
    char *home = pj_strfmt("/home/%s", u->name);
    json_t *rec = home ? json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:b}", "userName", u->name,
                                   "uid", (json_int_t)u->uid, "gid", (json_int_t)u->uid,
                                   "homeDirectory", home, "shell",
                                   u->shell ? u->shell : PJ_ROSTER_DEFAULT_SHELL, "disposition",
                                   "regular", "locked", 0)
                       : NULL;
    free(home);
    if (rec && u->real_name && json_object_set_new(rec, "realName", json_string(u->real_name)))
        return json_decref(rec), NULL;
    return rec;
}

/* NAME.user, UID.user, and the user's own group. */
static int put_user(json_t *files, const char *name, uint32_t uid, json_t *record)
{
    char f[64], l[32];
    snprintf(f, sizeof(f), "%s.user", name);
    snprintf(l, sizeof(l), "%u.user", uid);
    return put_text(files, f, dump(json_incref(record))) || put_link(files, l, f) ||
           put_group(files, name, uid);
}

/* ------------------------------------------------------------ plan */

static const char *id_key(char buf[16], uint32_t id)
{
    snprintf(buf, 16, "%u", id);
    return buf;
}

static void event(const pj_roster_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(const pj_roster_opts *o, const char *fmt, ...)
{
    va_list ap;
    if (o->out == NULL)
        return;
    va_start(ap, fmt);
    vfprintf(o->out, fmt, ap);
    va_end(ap);
    fputc('\n', o->out);
}

/* The rules of one roster user against the state and NSS. */
static int check_user(const json_t *old, const pj_roster_user *u, const pj_roster_opts *o,
                      char *why, size_t whysz)
{
    char k[16];
    const char *prev = json_string_value(json_object_get(json_object_get(old, "ids"),
                                                         id_key(k, u->uid)));
    json_t *ou = json_object_get(json_object_get(old, "users"), u->name);
    if (prev && strcmp(prev, u->name) != 0)
        return fail(why, whysz, "uid %u was %s's: ids are never reused", u->uid, prev);
    if (ou && json_integer_value(json_object_get(ou, "uid")) != (json_int_t)u->uid)
        return fail(why, whysz, "user %s had uid %" JSON_INTEGER_FORMAT ": a user keeps its uid",
                    u->name, json_integer_value(json_object_get(ou, "uid")));
    bool own = ou != NULL;
    if (check_nss(o->nss, false, u->name, u->uid, own, why, whysz) != 0 ||
        check_nss(o->nss, true, u->name, u->uid, own, why, whysz) != 0)
        return -1;
    return 0;
}

static int check_group(const json_t *old, const pj_roster_group *g, const pj_roster_opts *o,
                       char *why, size_t whysz)
{
    char k[16];
    const char *prev = json_string_value(json_object_get(json_object_get(old, "ids"),
                                                         id_key(k, g->gid)));
    json_t *og = json_object_get(json_object_get(old, "groups"), g->name);
    if (prev && strcmp(prev, g->name) != 0)
        return fail(why, whysz, "gid %u was %s's: ids are never reused", g->gid, prev);
    if (og && json_integer_value(og) != (json_int_t)g->gid)
        return fail(why, whysz, "group %s had gid %" JSON_INTEGER_FORMAT ": a group keeps its gid",
                    g->name, json_integer_value(og));
    /* nor a user's name or uid: no roster user shares either with a
     * roster group, so any user found is one the roster did not create */
    return check_nss(o->nss, true, g->name, g->gid, og != NULL, why, whysz) != 0 ||
                   check_nss(o->nss, false, g->name, g->gid, false, why, whysz) != 0
               ? -1
               : 0;
}

/* Users and groups of the roster: checked, then put in the new state. */
static int plan_roster(const json_t *old, const pj_roster *r, const pj_roster_opts *o,
                       json_t *st, json_t *files, char *why, size_t whysz)
{
    json_t *ids = json_object_get(st, "ids"), *users = json_object_get(st, "users");
    json_t *groups = json_object_get(st, "groups");
    json_t *oldusers = json_object_get(old, "users"), *oldgroups = json_object_get(old, "groups");
    char k[16];
    for (size_t i = 0; i < r->ngroups; i++) {
        const pj_roster_group *g = &r->groups[i];
        if (check_group(old, g, o, why, whysz) != 0)
            return -1;
        if (json_object_set_new(ids, id_key(k, g->gid), json_string(g->name)) ||
            json_object_set_new(groups, g->name, json_integer(g->gid)) ||
            put_group(files, g->name, g->gid))
            return fail(why, whysz, "out of memory");
        if (json_object_get(oldgroups, g->name) == NULL)
            event(o, "added group %s (gid %u)", g->name, g->gid);
    }
    for (size_t i = 0; i < r->nusers; i++) {
        const pj_roster_user *u = &r->users[i];
        if (check_user(old, u, o, why, whysz) != 0)
            return -1;
        json_t *rec = user_record(u);
        json_t *e = rec ? json_pack("{s:I, s:s, s:s, s:O}", "uid", (json_int_t)u->uid, "iss",
                                    u->iss, "sub", u->sub, "record", rec)
                        : NULL;
        int bad = e == NULL || json_object_set_new(ids, id_key(k, u->uid), json_string(u->name)) ||
                  json_object_set_new(users, u->name, e) || put_user(files, u->name, u->uid, rec);
        /* USER:GROUP.membership: systemd reads only the name, but skips
         * an empty file as masked (conf_files_list's CONF_FILES_FILTER_MASKED),
         * so it holds a line saying what it is */
        for (size_t g = 0; !bad && g < u->groups.n; g++) {
            char *m = pj_strfmt("%s:%s.membership", u->name, u->groups.v[g]);
            bad = m == NULL ||
                  put_text(files, m, dump(json_pack("{s:s, s:s}", "userName", u->name,
                                                    "groupName", u->groups.v[g])));
            free(m);
        }
        json_decref(rec);
        if (bad)
            return fail(why, whysz, "out of memory");
        json_t *ou = json_object_get(oldusers, u->name);
        if (ou == NULL)
            event(o, "added user %s (uid %u)", u->name, u->uid);
        else if (json_object_get(ou, "locked_at") != NULL)
            event(o, "unlocked user %s (uid %u): back in the roster", u->name, u->uid);
    }
    return 0;
}

/* Users who left: locked at once, removed grace_days later. */
static int plan_leavers(const json_t *old, const pj_roster_opts *o, json_t *st, json_t *files,
                        char *why, size_t whysz)
{
    json_t *users = json_object_get(st, "users"), *ou;
    const char *name;
    json_object_foreach(json_object_get(old, "users"), name, ou) {
        if (json_object_get(users, name) != NULL)
            continue; /* still in the roster */
        json_t *lu = json_deep_copy(ou);
        json_t *rec = json_object_get(lu, "record");
        json_int_t uid = json_integer_value(json_object_get(lu, "uid"));
        if (lu == NULL || !json_is_object(rec) || uid <= 0 || uid > UINT32_MAX) {
            json_decref(lu);
            return fail(why, whysz, "state: user %s is malformed", name);
        }
        if (json_object_get(lu, "locked_at") == NULL) {
            double until = o->now + (double)o->grace_days * 86400.0;
            json_object_set_new(lu, "locked_at", json_real(o->now));
            json_object_set_new(lu, "remove_at", json_real(until));
            event(o, "locked user %s (uid %" JSON_INTEGER_FORMAT "): left the roster, removed "
                     "in %" PRId64 " days", name, uid, o->grace_days);
        } else if (o->now >= json_number_value(json_object_get(lu, "remove_at"))) {
            event(o, "removed user %s (uid %" JSON_INTEGER_FORMAT " stays reserved)", name, uid);
            json_decref(lu);
            continue;
        }
        json_object_set_new(rec, "locked", json_true());
        char gf[64];
        snprintf(gf, sizeof(gf), "%s.group", name);
        if (json_object_get(files, gf) != NULL) {
            json_decref(lu);
            return fail(why, whysz, "group %s is named like user %s, who left the roster",
                        name, name);
        }
        if (json_object_set_new(users, name, lu) ||
            put_user(files, name, (uint32_t)uid, rec))
            return fail(why, whysz, "out of memory");
    }
    const char *g;
    json_t *gv;
    json_object_foreach(json_object_get(old, "groups"), g, gv)
        if (json_object_get(json_object_get(st, "groups"), g) == NULL)
            event(o, "removed group %s (gid %" JSON_INTEGER_FORMAT " stays reserved)", g,
                  json_integer_value(gv));
    return 0;
}

int pj_roster_plan(const json_t *old, const pj_roster *r, const pj_roster_opts *o,
                   json_t **new_state, json_t **files, char *why, size_t whysz)
{
    json_int_t last = json_integer_value(json_object_get(old, "serial"));
    json_t *ids = json_deep_copy(json_object_get(old, "ids"));
    *new_state = *files = NULL;
    if (r->serial == last && o->same_serial_unchanged) {
        json_decref(ids);
        fail(why, whysz, "serial %" PRId64 " is the one applied last: unchanged", r->serial);
        return 1;
    }
    if (r->serial <= last) {
        json_decref(ids);
        return fail(why, whysz, "serial %" PRId64 " is not greater than the last one applied "
                                "(%" JSON_INTEGER_FORMAT "): no rollback", r->serial, last);
    }
    json_t *st = json_pack("{s:I, s:o, s:{}, s:{}}", "serial", (json_int_t)r->serial, "ids",
                           ids ? ids : json_object(), "users", "groups");
    json_t *fs = json_object();
    if (st == NULL || fs == NULL || plan_roster(old, r, o, st, fs, why, whysz) != 0 ||
        plan_leavers(old, o, st, fs, why, whysz) != 0) {
        if (st == NULL || fs == NULL)
            fail(why, whysz, "out of memory");
        json_decref(st);
        json_decref(fs);
        return -1;
    }
    *new_state = st;
    *files = fs;
    return 0;
}
