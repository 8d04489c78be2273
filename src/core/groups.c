/* SPDX-License-Identifier: BSD-3-Clause */
/* group_map: parsing its rules, checking their local groups, and mapping a
 * token's group claim to local group names. */
#include "config.h"

#include "groups.h"

#include "subject.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pj_group_map_free(pj_group_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].idp);
        free(m->v[i].local);
    }
    free(m->v);
    free(m->path);
    memset(m, 0, sizeof(*m));
}

/* A line without its comment ('#' at its start or after white space),
 * trimmed; possibly empty. */
static void line_content(const char **s, size_t *l)
{
    const char *p = *s;
    for (const char *h = memchr(p, '#', *l); h != NULL;
         h = memchr(h + 1, '#', *l - (size_t)(h + 1 - p)))
        if (h == p || pj_is_space((unsigned char)h[-1])) {
            *l = (size_t)(h - p);
            break;
        }
    pj_trim(s, l);
}

static int add_rule(pj_group_map *m, const char *idp, size_t il, const char *local, size_t ll,
                    unsigned line)
{
    pj_group_rule *v = realloc(m->v, (m->n + 1) * sizeof(*v));
    if (v == NULL)
        return -1;
    m->v = v;
    v[m->n].idp = pj_strndup(idp, il);
    v[m->n].local = pj_strndup(local, ll);
    v[m->n].line = line;
    if (v[m->n].idp == NULL || v[m->n].local == NULL) {
        free(v[m->n].idp);
        free(v[m->n].local);
        return -1;
    }
    m->n++;
    return 0;
}

/* One rule's text (comment cut, trimmed, not empty): NULL, or why not. */
static const char *parse_rule(pj_group_map *m, const char *s, size_t l, unsigned line)
{
    char local[PJ_MAX_GROUP_LINE + 1];
    size_t ll, il;
    const char *w = s + l;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\r')
            return "control character in a rule";
    while (w > s && !pj_is_space((unsigned char)w[-1]))
        w--;
    ll = (size_t)(s + l - w);
    il = (size_t)(w - s);
    while (il > 0 && pj_is_space((unsigned char)s[il - 1]))
        il--;
    if (il == 0)
        return "expected 'IDP-GROUP LOCAL-GROUP'";
    memcpy(local, w, ll);
    local[ll] = '\0';
    if (!pj_user_name_ok(local))
        return "LOCAL-GROUP is not a valid group name";
    if (m->n >= PJ_MAX_GROUP_RULES)
        return "more than 1024 rules";
    if (add_rule(m, s, il, w, ll, line) != 0)
        return "out of memory";
    return NULL;
}

int pj_group_map_parse(pj_group_map *m, const char *text, size_t len, const pj_log *log)
{
    const char *path = m->path ? m->path : "(group_map)";
    size_t pos = 0;
    unsigned lineno = 0;
    if (len > PJ_MAX_GROUP_MAP_SIZE) {
        pj_logf(log, LOG_ERR, "group_map %s: larger than %d bytes", path, PJ_MAX_GROUP_MAP_SIZE);
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        pj_logf(log, LOG_ERR, "group_map %s: contains a NUL byte", path);
        return -1;
    }
    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos), *why;
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + (nl ? 1 : 0);
        lineno++;
        if (l > PJ_MAX_GROUP_LINE) {
            pj_logf(log, LOG_ERR, "group_map %s:%u: line longer than %d bytes", path, lineno,
                    PJ_MAX_GROUP_LINE);
            return -1;
        }
        line_content(&s, &l);
        if (l == 0)
            continue;
        if ((why = parse_rule(m, s, l, lineno)) != NULL) {
            pj_logf(log, LOG_ERR, "group_map %s:%u: %s", path, lineno, why);
            return -1;
        }
    }
    return 0;
}

int pj_group_map_check_gids(const pj_group_map *m, const pj_log *log)
{
    long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t sz = hint > 0 && hint < 65536 ? (size_t)hint : 4096;
    char *buf = NULL;
    int rc = 0;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        struct group gr, *res = NULL;
        int e;
        for (;;) { /* a buffer that grows (bounded) until the entry fits */
            char *nb = realloc(buf, sz);
            if (nb == NULL) {
                pj_logf(log, LOG_ERR, "group_map %s: out of memory", m->path);
                free(buf);
                return -1;
            }
            buf = nb;
            e = getgrnam_r(m->v[i].local, &gr, buf, sz, &res);
            if (e != ERANGE || sz >= 1024 * 1024)
                break;
            sz *= 4;
        }
        if (e == 0 && res != NULL && gr.gr_gid == 0) {
            pj_logf(log, LOG_ERR, "group_map %s:%u: local group %s has gid 0 (never added)",
                    m->path, m->v[i].line, m->v[i].local);
            rc = -1;
        }
    }
    free(buf);
    return rc;
}

/* Does the claim value v (a string, or an array of them) hold s? */
static bool claim_has(json_t *v, const char *s, size_t sl)
{
    if (json_is_string(v))
        return json_string_length(v) == sl && memcmp(json_string_value(v), s, sl) == 0;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
        if (json_is_string(e) && json_string_length(e) == sl &&
            memcmp(json_string_value(e), s, sl) == 0)
            return true;
    return false;
}

int pj_groups_map(const pj_group_map *m, json_t *claims, const char *claim, pj_strlist *out,
                  size_t *dropped)
{
    json_t *v = json_object_get(claims, claim ? claim : PJ_DEFAULT_GROUP_CLAIM);
    pj_strlist extra = {0}; /* the distinct groups past the cap, to count them */
    int rc = 0;
    *dropped = 0;
    if (!json_is_string(v) && !json_is_array(v))
        return 0;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const pj_group_rule *r = &m->v[i];
        if (pj_strlist_has(out, r->local) || pj_strlist_has(&extra, r->local) ||
            !claim_has(v, r->idp, strlen(r->idp)))
            continue;
        rc = pj_strlist_add(out->n < PJ_MAX_GROUPS_ADDED ? out : &extra, r->local,
                            strlen(r->local));
    }
    *dropped = extra.n;
    pj_strlist_free(&extra);
    return rc;
}
