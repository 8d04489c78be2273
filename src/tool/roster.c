/* SPDX-License-Identifier: BSD-3-Clause */
/* A roster's payload, parsed and validated; its signature verified
 * (roster.h).  Every rule that needs neither the host nor its state. */
#include "config.h"

#include "roster.h"

#include "jose.h"
#include "log.h"
#include "roster_index.h"

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

void pj_roster_free(pj_roster *r)
{
    for (size_t i = 0; r->users && i < r->nusers; i++) {
        pj_roster_user *u = &r->users[i];
        free(u->name);
        free(u->iss);
        free(u->sub);
        free(u->real_name);
        free(u->shell);
        pj_strlist_free(&u->groups);
    }
    for (size_t i = 0; r->groups && i < r->ngroups; i++)
        free(r->groups[i].name);
    free(r->users);
    free(r->groups);
    memset(r, 0, sizeof(*r));
}

/* Only the members named in allowed (NULL-terminated). */
static const char *unknown_member(json_t *o, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i;
        for (i = 0; allowed[i]; i++)
            if (strcmp(k, allowed[i]) == 0)
                break;
        if (allowed[i] == NULL)
            return k;
    }
    return NULL;
}

/* A printable string of 1..max bytes: no control characters, no ':'
 * (a field of /etc/passwd's form), and where strict no space either (a
 * path in a record). */
static char *text_member(json_t *o, const char *key, size_t max, bool strict, bool *bad)
{
    json_t *v = json_object_get(o, key);
    *bad = false;
    if (v == NULL)
        return NULL;
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (s == NULL || n == 0 || n > max || strlen(s) != n) {
        *bad = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == ':' || (strict && c == ' ')) {
            *bad = true;
            return NULL;
        }
    }
    char *d = strdup(s);
    *bad = d == NULL;
    return d;
}

/* An id: an integer in [low, high], never 0. */
static bool id_member(json_t *o, const char *key, uint32_t low, uint32_t high, uint32_t *id)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return false;
    json_int_t x = json_integer_value(v);
    if (x <= 0 || x < (json_int_t)low || x > (json_int_t)high)
        return false;
    *id = (uint32_t)x;
    return true;
}

static int parse_group(json_t *g, size_t i, uint32_t low, uint32_t high, pj_roster_group *out,
                       char *why, size_t whysz)
{
    static const char *const allowed[] = {"name", "gid", NULL};
    const char *name;
    if (!json_is_object(g))
        return fail(why, whysz, "groups[%zu] is not an object", i);
    if (unknown_member(g, allowed) != NULL)
        return fail(why, whysz, "groups[%zu] has an unknown member", i);
    name = json_string_value(json_object_get(g, "name"));
    if (name == NULL || !pj_roster_name_ok(name))
        return fail(why, whysz, "groups[%zu]: name is not a portable name "
                                "([a-z_][a-z0-9_-]{0,31})", i);
    if (!id_member(g, "gid", low, high, &out->gid))
        return fail(why, whysz, "group %s: gid is not an integer in %u-%u", name, low, high);
    out->name = strdup(name);
    return out->name ? 0 : fail(why, whysz, "out of memory");
}

static int parse_user(json_t *u, size_t i, uint32_t low, uint32_t high, pj_roster_user *out,
                      char *why, size_t whysz)
{
    static const char *const allowed[] = {"name", "uid", "iss", "sub", "groups", "real_name",
                                          "shell", NULL};
    const char *name;
    bool bad;
    json_t *gs, *g;
    size_t gi;
    if (!json_is_object(u))
        return fail(why, whysz, "users[%zu] is not an object", i);
    if (unknown_member(u, allowed) != NULL)
        return fail(why, whysz, "users[%zu] has an unknown member", i);
    name = json_string_value(json_object_get(u, "name"));
    if (name == NULL || !pj_roster_name_ok(name))
        return fail(why, whysz, "users[%zu]: name is not a portable user name "
                                "([a-z_][a-z0-9_-]{0,31})", i);
    if ((out->name = strdup(name)) == NULL)
        return fail(why, whysz, "out of memory");
    if (!id_member(u, "uid", low, high, &out->uid))
        return fail(why, whysz, "user %s: uid is not an integer in %u-%u", name, low, high);
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "sub" : "iss";
        json_t *v = json_object_get(u, key);
        const char *s = json_string_value(v);
        if (s == NULL || json_string_length(v) == 0 || json_string_length(v) > PJ_ROSTER_MAX_STRING)
            return fail(why, whysz, "user %s: %s is not a non-empty string (at most %d bytes)",
                        name, key, PJ_ROSTER_MAX_STRING);
        char *d = strdup(s);
        if (d == NULL)
            return fail(why, whysz, "out of memory");
        *(k ? &out->sub : &out->iss) = d;
    }
    out->real_name = text_member(u, "real_name", PJ_ROSTER_MAX_FIELD, false, &bad);
    if (bad)
        return fail(why, whysz, "user %s: real_name is not printable text without ':' "
                                "(1-%d bytes)", name, PJ_ROSTER_MAX_FIELD);
    out->shell = text_member(u, "shell", PJ_ROSTER_MAX_FIELD, true, &bad);
    if (bad || (out->shell && out->shell[0] != '/'))
        return fail(why, whysz, "user %s: shell is not an absolute path", name);
    gs = json_object_get(u, "groups");
    if (gs != NULL && !json_is_array(gs))
        return fail(why, whysz, "user %s: groups is not an array", name);
    if (json_array_size(gs) > PJ_ROSTER_MAX_USER_GROUPS)
        return fail(why, whysz, "user %s: more than %d groups", name, PJ_ROSTER_MAX_USER_GROUPS);
    json_array_foreach(gs, gi, g) {
        const char *gn = json_string_value(g);
        if (gn == NULL || !pj_roster_name_ok(gn))
            return fail(why, whysz, "user %s: groups[%zu] is not a group name", name, gi);
        if (pj_strlist_has(&out->groups, gn))
            return fail(why, whysz, "user %s: group %s listed twice", name, gn);
        if (pj_strlist_add(&out->groups, gn, strlen(gn)) != 0)
            return fail(why, whysz, "out of memory");
    }
    return 0;
}

/* Names and ids: users (each with its own group: same name, gid = uid)
 * and groups share one space of names and one of ids; (iss, sub) pairs
 * are unique; every group a user lists is a roster group.  Sorted copies,
 * so a 100,000-entry roster costs n log n, not n^2. */
typedef struct key_ref {
    const char *a, *b; /* name, or iss and sub */
    uint32_t id;
} key_ref;

static int cmp_name(const void *x, const void *y)
{
    return strcmp(((const key_ref *)x)->a, ((const key_ref *)y)->a);
}
static int cmp_id(const void *x, const void *y)
{
    uint32_t a = ((const key_ref *)x)->id, b = ((const key_ref *)y)->id;
    return a < b ? -1 : a > b;
}
static int cmp_pair(const void *x, const void *y)
{
    const key_ref *p = x, *q = y;
    int c = strcmp(p->a, q->a);
    return c ? c : strcmp(p->b, q->b);
}

static int check_unique(const pj_roster *r, char *why, size_t whysz)
{
    size_t n = r->nusers + r->ngroups;
    key_ref *v = calloc(n ? n : 1, sizeof(*v));
    int rc = -1;
    if (v == NULL)
        return fail(why, whysz, "out of memory");
    for (size_t i = 0; i < r->nusers; i++)
        v[i] = (key_ref){r->users[i].name, NULL, r->users[i].uid};
    for (size_t i = 0; i < r->ngroups; i++)
        v[r->nusers + i] = (key_ref){r->groups[i].name, NULL, r->groups[i].gid};
    qsort(v, n, sizeof(*v), cmp_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1].a, v[i].a) == 0) {
            fail(why, whysz, "two entries are named %s (a user's own group has its name)",
                 v[i].a);
            goto out;
        }
    qsort(v, n, sizeof(*v), cmp_id);
    for (size_t i = 1; i < n; i++)
        if (v[i - 1].id == v[i].id) {
            fail(why, whysz, "%s and %s share the id %u (a user's own group has gid = uid)",
                 v[i - 1].a, v[i].a, v[i].id);
            goto out;
        }
    for (size_t i = 0; i < r->nusers; i++)
        v[i] = (key_ref){r->users[i].iss, r->users[i].sub, 0};
    qsort(v, r->nusers, sizeof(*v), cmp_pair);
    for (size_t i = 1; i < r->nusers; i++)
        if (cmp_pair(&v[i - 1], &v[i]) == 0) {
            fail(why, whysz, "two users have the same iss and sub");
            goto out;
        }
    /* group names, sorted, for the users' group lists */
    for (size_t i = 0; i < r->ngroups; i++)
        v[i] = (key_ref){r->groups[i].name, NULL, 0};
    qsort(v, r->ngroups, sizeof(*v), cmp_name);
    for (size_t i = 0; i < r->nusers; i++)
        for (size_t k = 0; k < r->users[i].groups.n; k++) {
            key_ref want = {r->users[i].groups.v[k], NULL, 0};
            if (r->ngroups == 0 || bsearch(&want, v, r->ngroups, sizeof(*v), cmp_name) == NULL) {
                fail(why, whysz, "user %s: group %s is not a roster group", r->users[i].name,
                     want.a);
                goto out;
            }
        }
    rc = 0;
out:
    free(v);
    return rc;
}

static int parse_top(json_t *j, uint32_t low, uint32_t high, double now, pj_roster *r,
                     char *why, size_t whysz)
{
    static const char *const allowed[] = {"serial", "iat", "exp", "users", "groups", NULL};
    json_t *users, *groups, *v;
    size_t i;
    if (unknown_member(j, allowed) != NULL)
        return fail(why, whysz, "unknown member %s", unknown_member(j, allowed));
    v = json_object_get(j, "serial");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return fail(why, whysz, "serial is not a positive integer");
    r->serial = (int64_t)json_integer_value(v);
    v = json_object_get(j, "iat");
    if (v != NULL && !json_is_number(v))
        return fail(why, whysz, "iat is not a number");
    v = json_object_get(j, "exp");
    if (v != NULL && !json_is_number(v))
        return fail(why, whysz, "exp is not a number");
    if (v != NULL && !(now <= json_number_value(v)))
        return fail(why, whysz, "the roster expired (exp has passed)");
    users = json_object_get(j, "users");
    groups = json_object_get(j, "groups");
    if (!json_is_array(users) || (groups != NULL && !json_is_array(groups)))
        return fail(why, whysz, "users (and groups, when present) must be arrays");
    if (json_array_size(users) > PJ_ROSTER_MAX_ENTRIES ||
        json_array_size(groups) > PJ_ROSTER_MAX_ENTRIES)
        return fail(why, whysz, "more than %d users or groups", PJ_ROSTER_MAX_ENTRIES);
    r->users = calloc(json_array_size(users) + 1, sizeof(*r->users));
    r->groups = calloc(json_array_size(groups) + 1, sizeof(*r->groups));
    if (r->users == NULL || r->groups == NULL)
        return fail(why, whysz, "out of memory");
    json_array_foreach(groups, i, v) {
        r->ngroups++;
        if (parse_group(v, i, low, high, &r->groups[i], why, whysz) != 0)
            return -1;
    }
    json_array_foreach(users, i, v) {
        r->nusers++;
        if (parse_user(v, i, low, high, &r->users[i], why, whysz) != 0)
            return -1;
    }
    return check_unique(r, why, whysz);
}

int pj_roster_parse(const char *text, size_t n, uint32_t low, uint32_t high, double now,
                    pj_roster *r, char *why, size_t whysz)
{
    const char *jwhy = NULL;
    memset(r, 0, sizeof(*r));
    if (low == 0 || low > high)
        return fail(why, whysz, "roster_id_range is empty or includes 0");
    if (n > PJ_ROSTER_MAX_SIZE)
        return fail(why, whysz, "roster larger than %d bytes", PJ_ROSTER_MAX_SIZE);
    json_t *j = pj_json_object(text, n, &jwhy);
    if (j == NULL)
        return fail(why, whysz, "roster payload: %s", jwhy);
    int rc = parse_top(j, low, high, now, r, why, whysz);
    json_decref(j);
    if (rc != 0)
        pj_roster_free(r);
    return rc;
}

int pj_roster_verify(const char *jws, size_t n, const pj_keyset *ks, char **payload,
                     size_t *plen, char *why, size_t whysz)
{
    pj_jws j;
    const char *jwhy = NULL, *alg_name, *typ;
    int alg, rc = -1;
    *payload = NULL;
    pj_trim(&jws, &n);
    if (n > PJ_ROSTER_MAX_SIZE)
        return fail(why, whysz, "roster larger than %d bytes", PJ_ROSTER_MAX_SIZE);
    if (!pj_jwt_shaped(jws, n))
        return fail(why, whysz, "not a compact JWS (three base64url parts)");
    if (pj_jws_parse(jws, n, &j, &jwhy) != 0)
        return fail(why, whysz, "malformed roster: %s", jwhy);
    alg_name = json_string_value(json_object_get(j.header, "alg"));
    typ = json_string_value(json_object_get(j.header, "typ"));
    alg = alg_name ? pj_alg_from_name(alg_name) : -1;
    if (typ == NULL || strcmp(typ, PJ_ROSTER_TYP) != 0)
        fail(why, whysz, "typ is not " PJ_ROSTER_TYP);
    else if (json_object_get(j.header, "crit") != NULL)
        fail(why, whysz, "header has crit extensions");
    else if (alg < 0 || pj_alg_get((pj_alg)alg)->fam == PJ_FAM_HMAC)
        fail(why, whysz, "alg is not an asymmetric algorithm this build verifies");
    else {
        bool ok = false;
        for (size_t i = 0; i < ks->n && !ok; i++)
            ok = ks->v[i].state == PJ_KEY_READY && ks->v[i].kty != PJ_KTY_HMAC &&
                 pj_sig_verify((pj_alg)alg, &ks->v[i], (const unsigned char *)jws,
                               j.signing_len, j.sig, j.sig_len) == 1;
        if (!ok)
            fail(why, whysz, "bad signature (roster_key_file does not verify it)");
        else {
            /* the payload, exactly as signed */
            *payload = json_dumps(j.claims, JSON_COMPACT);
            rc = *payload ? 0 : fail(why, whysz, "out of memory");
            if (*payload)
                *plen = strlen(*payload);
        }
    }
    pj_jws_free(&j);
    return rc;
}
