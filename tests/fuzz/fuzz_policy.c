/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: a policy directory (src/core/policy.c).
 *   input = files separated by a line "%%", each "NAME\nCONTENT"; NAME is
 *   cut to 40 bytes and every byte outside [A-Za-z0-9._~-] becomes '_'.
 *   Content may name the keys the harness makes at start-up:
 *   /tmp/pj-fuzz-policy/keys/ec.pub and /tmp/pj-fuzz-policy/keys/set.jwks.
 * The files are written into a fresh directory, loaded, and a few
 * issuers (every issuer a policy names, a prefix of one, none) selected.
 * Properties besides "no sanitizer report":
 *   - FOUND names a loaded policy whose issuer equals iss byte for byte,
 *     and no other loaded policy names the same issuer;
 *   - a loaded directory policy always has an issuer; any_failed is set
 *     exactly when some policy failed to load;
 *   - BROKEN only when the issuer is duplicated or something failed;
 *   - NONE only when nothing failed. */
#include "config.h"

#define FUZZ_NAME "fuzz_policy"
#include "fuzz.h"

#include "policy.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOP "/tmp/pj-fuzz-policy"
#define DIR_ TOP "/dir"

static const char ec_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcut//TJhJqTJuyX+xrCpaTpjVkYP\n"
    "A6INdt6xR3HSxxMO+zjatnYUjVQ1DDevuBOdFm+RDCiXDp8EciwcfW3eHg==\n"
    "-----END PUBLIC KEY-----\n";
static const char jwks[] =
    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
    "\"x\":\"cut__TJhJqTJuyX-xrCpaTpjVkYPA6INdt6xR3HSxxM\","
    "\"y\":\"Dvs42rZ2FI1UNQw3r7gTnRZvkQwolw6fBHIsHH1t3h4\"}]}";

static void put(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fwrite(text, 1, n, f);
        fclose(f);
    }
    chmod(path, 0644);
}

static void clear_dir(void)
{
    DIR *d = opendir(DIR_);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), DIR_ "/%s", e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    if (d)
        closedir(d);
}

static void setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    mkdir(TOP, 0755);
    chmod(TOP, 0755);
    mkdir(TOP "/keys", 0755);
    mkdir(DIR_, 0755);
    chmod(DIR_, 0755);
    put(TOP "/keys/ec.pub", ec_pub, strlen(ec_pub));
    put(TOP "/keys/set.jwks", jwks, strlen(jwks));
}

static void check_select(const pj_policies *ps, const char *iss, size_t len)
{
    pj_config *c = NULL;
    size_t named = 0;
    for (size_t i = 0; iss && i < ps->n; i++)
        if (ps->v[i].c && strlen(ps->v[i].c->issuer) == len &&
            memcmp(ps->v[i].c->issuer, iss, len) == 0)
            named++;
    switch (pj_policies_select(ps, iss, len, &c)) {
    case PJ_POLICY_FOUND:
        CHECK(c != NULL && named == 1);
        CHECK(strlen(c->issuer) == len && memcmp(c->issuer, iss, len) == 0);
        break;
    case PJ_POLICY_BROKEN:
        CHECK(c == NULL && (named > 1 || ps->any_failed));
        break;
    case PJ_POLICY_NONE:
        CHECK(c == NULL && named == 0 && !ps->any_failed);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), name[48], path[128];
    size_t files = 0;
    if (text == NULL)
        return 0;
    setup();
    clear_dir();
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *p = text; p && *p && files < 16; files++) {
        char *end = strstr(p, "\n%%\n"), *nl;
        if (end)
            *end = '\0';
        nl = strchr(p, '\n');
        size_t nn = nl ? (size_t)(nl - p) : strlen(p);
        if (nn > 40)
            nn = 40;
        for (size_t i = 0; i < nn; i++) {
            char ch = p[i];
            name[i] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' || ch == '~')
                          ? ch : '_';
        }
        name[nn] = '\0';
        if (nn > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            snprintf(path, sizeof(path), DIR_ "/%s", name);
            const char *body = nl ? nl + 1 : "";
            if (strncmp(body, "DIR\n", 4) == 0)
                mkdir(path, 0755); /* a *.conf that is a directory */
            else
                put(path, body, strlen(body));
        }
        p = end ? end + 4 : NULL;
    }
    pj_policies *ps = pj_policies_load(DIR_, &quiet);
    if (ps != NULL) {
        bool failed = false;
        CHECK(ps->is_dir && ps->n >= 1 && ps->n <= PJ_MAX_POLICIES);
        for (size_t i = 0; i < ps->n; i++) {
            failed |= ps->v[i].c == NULL;
            CHECK(ps->v[i].c == NULL || ps->v[i].c->issuer != NULL);
        }
        CHECK(failed == ps->any_failed);
        check_select(ps, NULL, 0);
        check_select(ps, "", 0);
        for (size_t i = 0; i < ps->n; i++)
            if (ps->v[i].c) {
                const char *iss = ps->v[i].c->issuer;
                check_select(ps, iss, strlen(iss));
                if (strlen(iss) > 0)
                    check_select(ps, iss, strlen(iss) - 1);
            }
        pj_policies_free(ps);
    }
    free(text);
    return 0;
}
