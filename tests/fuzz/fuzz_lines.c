/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: the line parsers of `pamjwt jwks refresh`
 * (src/tool/jwks_lines.c).
 *   input = a line (what follows the first newline is cut off).
 * Properties besides "no sanitizer report":
 *   - pj_conf_line_is agrees with a reference split written here from
 *     pam_jwt.conf(5)'s rule (differential), for a fixed key and value and
 *     for the key and value the reference finds in the line;
 *   - pj_pam_line_uses says yes only for a line that names pam_jwt.so and
 *     whose configuration (config= or the default) is the one asked for or
 *     a directory of it. */
#include "config.h"

#define FUZZ_NAME "fuzz_lines"
#include "fuzz.h"

#include "jwks_lines.h"

#include <stdbool.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r'; /* pj_trim's */
}

/* The reference: key and value of the line, or false when it has none. */
static bool ref_split(const char *s, size_t n, char *key, char *val)
{
    size_t i, ks, ke, vs, ve;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > 0 && s[0] == '#')
        return false;
    for (i = 1; i < n; i++)
        if (s[i] == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            n = i;
            break;
        }
    for (i = 0; i < n && s[i] != '='; i++)
        ;
    if (i == n)
        return false;
    for (ks = 0, ke = i; ks < ke && blank(s[ks]); ks++)
        ;
    while (ke > ks && blank(s[ke - 1]))
        ke--;
    for (vs = i + 1, ve = n; vs < ve && blank(s[vs]); vs++)
        ;
    while (ve > vs && blank(s[ve - 1]))
        ve--;
    memcpy(key, s + ks, ke - ks);
    key[ke - ks] = '\0';
    memcpy(val, s + vs, ve - vs);
    val[ve - vs] = '\0';
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char conf[] = "/etc/security/pam_jwt.d/idp.conf";
    const char *nl = memchr(data, '\n', size);
    size_t n = nl ? (size_t)(nl - (const char *)data) : size;
    char *line, *key, *val;
    bool has, uses, nul;

    if (n > 4096)
        return 0;
    line = malloc(n + 1);
    key = malloc(n + 1);
    val = malloc(n + 1);
    CHECK(line && key && val);
    memcpy(line, data, n);
    line[n] = '\0';
    nul = memchr(line, '\0', n) != NULL;

    has = ref_split(line, n, key, val);
    /* the reference compares C strings, so it cannot judge a line with a
     * NUL byte (pj_conf_line_is refuses one inside the key or value, and
     * ignores one in a comment) */
    if (!nul)
        CHECK(pj_conf_line_is(line, n, "jwks_file", "/etc/security/pam_jwt.jwks") ==
              (has && strcmp(key, "jwks_file") == 0 &&
               strcmp(val, "/etc/security/pam_jwt.jwks") == 0));
    if (has && !nul)
        CHECK(pj_conf_line_is(line, n, key, val));

    uses = pj_pam_line_uses(line, conf, "/etc/security/pam_jwt.conf");
    if (uses) {
        static const char so[] = "pam_jwt.so", arg[] = "config=/etc/security/pam_jwt.d";
        CHECK(memmem(data, n, so, sizeof(so) - 1) != NULL);
        CHECK(memmem(data, n, arg, sizeof(arg) - 1) != NULL);
    }
    free(line);
    free(key);
    free(val);
    return 0;
}
