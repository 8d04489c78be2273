/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: group_map (src/core/groups.c).
 *   input = a group_map file's text, then a line "%%", then claims JSON
 *   (the token's claims; its "groups" member is what is mapped).
 * Properties besides "no sanitizer report":
 *   - a parsed map has at most 1024 rules, each with a non-empty IDP-GROUP
 *     without NUL or a leading or trailing white space byte, and a local
 *     group name that pj_user_name_ok accepts, in line order;
 *   - the mapping equals a reference written here: the distinct local
 *     groups of the rules whose IDP-GROUP equals (bytes and length) the
 *     claim's string or one of its array's strings, in rule order, the
 *     first 64 of them, the rest counted as dropped. */
#include "config.h"

#define FUZZ_NAME "fuzz_groups"
#include "fuzz.h"

#include "groups.h"
#include "subject.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ref_match(json_t *v, const char *s)
{
    size_t n = strlen(s), i;
    json_t *e;
    if (json_is_string(v))
        return json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
    json_array_foreach(v, i, e)
        if (json_is_string(e) && json_string_length(e) == n &&
            memcmp(json_string_value(e), s, n) == 0)
            return true;
    return false;
}

static void check_rules(const pj_group_map *m)
{
    CHECK(m->n <= PJ_MAX_GROUP_RULES);
    for (size_t i = 0; i < m->n; i++) {
        const char *idp = m->v[i].idp;
        size_t n = strlen(idp);
        CHECK(n > 0 && !pj_is_space((unsigned char)idp[0]) &&
              !pj_is_space((unsigned char)idp[n - 1]));
        CHECK(pj_user_name_ok(m->v[i].local));
        CHECK(i == 0 || m->v[i].line > m->v[i - 1].line);
    }
}

static void check_mapping(const pj_group_map *m, json_t *claims)
{
    pj_strlist out = {0}, want = {0};
    size_t dropped = 0, want_dropped = 0;
    json_t *v = json_object_get(claims, "groups");
    CHECK(pj_groups_map(m, claims, NULL, &out, &dropped) == 0);
    if (json_is_string(v) || json_is_array(v))
        for (size_t i = 0; i < m->n; i++) {
            const char *l = m->v[i].local;
            bool seen = pj_strlist_has(&want, l);
            for (size_t k = 0; k < i && !seen; k++) /* counted as dropped already */
                seen = strcmp(m->v[k].local, l) == 0 && ref_match(v, m->v[k].idp);
            if (seen || !ref_match(v, m->v[i].idp))
                continue;
            if (want.n < PJ_MAX_GROUPS_ADDED)
                CHECK(pj_strlist_add(&want, l, strlen(l)) == 0);
            else
                want_dropped++;
        }
    CHECK(out.n == want.n && dropped == want_dropped);
    for (size_t i = 0; i < out.n; i++)
        CHECK(strcmp(out.v[i], want.v[i]) == 0);
    pj_strlist_free(&out);
    pj_strlist_free(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *sep = NULL;
    size_t tl = size;
    pj_group_map m = {0};
    for (size_t i = 0; i + 3 <= size; i++)
        if (memcmp(text + i, "%%\n", 3) == 0 && (i == 0 || text[i - 1] == '\n')) {
            sep = text + i;
            tl = i;
            break;
        }
    m.path = strdup("/fuzz/group_map");
    CHECK(m.path != NULL);
    if (pj_group_map_parse(&m, text, tl, &quiet) != 0) {
        pj_group_map_free(&m);
        return 0;
    }
    check_rules(&m);
    if (sep != NULL) {
        json_error_t e;
        json_t *claims = json_loadb(sep + 3, size - tl - 3, JSON_REJECT_DUPLICATES, &e);
        if (json_is_object(claims))
            check_mapping(&m, claims);
        json_decref(claims);
    }
    pj_group_map_free(&m);
    return 0;
}
