/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/groups.c. */
#include "unit.h"

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

void test_group_map_parse(void)
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

void test_group_map_gids(void)
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

void test_groups_mapping(void)
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
