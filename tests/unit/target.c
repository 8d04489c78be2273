/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/target.c. */
#include "unit.h"

/* Targets compare as the contract says: scheme and host part ignoring
 * case, one trailing dot of the host ignored, the path exactly. */
void test_target_equal(void)
{
    struct { const char *a, *b; bool eq; } v[] = {
        {"ssh://HOST.EXAMPLE.", "ssh://host.example", true},
        {"ssh://host.example", "ssh://Host.Example.", true},
        {"SSH://host", "ssh://host", true},
        {"host://x", "host://x", true},
        {"ssh://host.example", "local://host.example", false},
        {"ssh://host.example", "ssh://host.example.evil", false},
        {"ssh://host.example..", "ssh://host.example", false},
        {"ssh://a.", "ssh://a", true},
        {"https://h/Path", "https://H./Path", true},
        {"https://h/Path", "https://h/path", false},
        {"ssh://h", "ssh://h/", false},
        {"host.example", "host.example", false},  /* not a target */
        {"ssh://", "ssh://", false},
        {"ssh:///x", "ssh:///x", false}, /* no host */
        {"ssh://a b", "ssh://a b", false},
    };
    const char *why = NULL;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ok(pj_target_equal(v[i].a, strlen(v[i].a), v[i].b, strlen(v[i].b)) == v[i].eq &&
               pj_target_equal(v[i].b, strlen(v[i].b), v[i].a, strlen(v[i].a)) == v[i].eq,
           "target: %s %s %s", v[i].a, v[i].eq ? "==" : "!=", v[i].b);
    }
    ok(!pj_target_equal("ssh://a\0b", 9, "ssh://a", 7), "target: a NUL inside is never part of one");
    ok(pj_target_valid("host://x", 8, &why) && !pj_target_valid("x", 1, &why),
       "target: host://x valid, a bare name not (%s)", why);
}
