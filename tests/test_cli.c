/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for the client side of pamjwt (src/cli_*.c, CLI only): JWK
 * export and RFC 7638 thumbprints, proofs the module's verifier accepts,
 * askpass's pieces reassembled by the module's own collector, the token's
 * expiry rule and the client directory's safety rules. */
#include "config.h"

#include <openssl/core_names.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64enc.h"
#include "b64url.h"
#include "chunk.h"
#include "cli.h"
#include "cli_jwk.h"
#include "cli_store.h"
#include "cli_state.h"
#include "cli_target.h"
#include "jwks_lines.h"
#include "jose.h"
#include "keys.h"
#include "tap.h"
#include "testlib.h"
#include "util.h"

static unsigned char *b64(const char *s, size_t *n)
{
    return pj_b64url_decode(s, strlen(s), n);
}

static void test_rfc7638(void)
{
    /* RFC 7638 section 3.1 */
    static const char n_b64[] =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
        "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrd"
        "kt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
        "kEgU8awapJzKnqDKgw";
    size_t nl = 0, el = 0;
    unsigned char *n = b64(n_b64, &nl), *e = b64("AQAB", &el);
    EVP_PKEY *k = (n && e) ? pj_pkey_rsa(n, nl, e, el) : NULL;
    char *tp = k ? pj_cli_jwk_thumbprint(k) : NULL;
    ok(tp && strcmp(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
       "RFC 7638 3.1: the example RSA key's thumbprint (got %s)", tp ? tp : "NULL");
    json_t *jwk = k ? pj_cli_jwk_public(k) : NULL;
    char *text = jwk ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    ok(text && strncmp(text, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 30) == 0 &&
           json_object_size(jwk) == 3,
       "RFC 7638 3.1: the JWK is {e, kty, n}, sorted, no white space");
    free(text);
    json_decref(jwk);
    free(tp);
    EVP_PKEY_free(k);
    free(n);
    free(e);
}

/* members: the exact set of names the public JWK must have */
static void check_jwk(const char *type, const char *kty, const char *crv, const char *members)
{
    EVP_PKEY *k = tl_keygen(type);
    json_t *jwk = k ? pj_cli_jwk_public(k) : NULL;
    size_t want = 0;
    bool all = jwk != NULL;
    char list[64];
    snprintf(list, sizeof(list), "%s", members);
    for (char *s = NULL, *w = strtok_r(list, " ", &s); w; w = strtok_r(NULL, " ", &s), want++)
        all = all && json_object_get(jwk, w) != NULL;
    ok(all && json_object_size(jwk) == want, "%s: public JWK has exactly {%s}", type, members);
    ok(jwk && strcmp(json_string_value(json_object_get(jwk, "kty")), kty) == 0 &&
           (crv == NULL || strcmp(json_string_value(json_object_get(jwk, "crv")), crv) == 0),
       "%s: kty %s%s%s", type, kty, crv ? ", crv " : "", crv ? crv : "");
    ok(jwk && json_object_get(jwk, "d") == NULL, "%s: no private member d", type);

    /* the thumbprint is the SHA-256 of that JWK: same key via its JWK text
     * (tl_jwk, the test library's own export) gives the same value */
    char *tp = pj_cli_jwk_thumbprint(k), *tj = tl_jwk(k, NULL, NULL, NULL);
    json_t *other = tj ? json_loads(tj, 0, NULL) : NULL;
    json_t *req = json_object();
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s", members);
    for (char *s = NULL, *w = strtok_r(tmp, " ", &s); w; w = strtok_r(NULL, " ", &s))
        json_object_set(req, w, json_object_get(other, w));
    char *rt = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
    char *want_tp = rt ? pj_cli_sha256_b64url(rt, strlen(rt)) : NULL;
    ok(tp && want_tp && strcmp(tp, want_tp) == 0 && strlen(tp) == 43,
       "%s: thumbprint is base64url SHA-256 of the required members", type);
    free(rt);
    free(want_tp);
    json_decref(req);
    json_decref(other);
    free(tj);
    free(tp);
    json_decref(jwk);
    EVP_PKEY_free(k);
}

/* A proof signed by pj_cli_jws_with_jwk verifies with the module's
 * verifier, under the algorithm the contract names for the key. */
static void check_proof(const char *type, const char *alg)
{
    EVP_PKEY *k = tl_keygen(type);
    json_t *c = json_pack("{s:s, s:i}", "nonce", "abc", "iat", 1);
    char *p = k ? pj_cli_jws_with_jwk(k, "pamjwt-pop+jwt", c) : NULL;
    pj_jws j = {0};
    const char *why = NULL;
    bool parsed = p && pj_jws_parse(p, strlen(p), &j, &why) == 0;
    ok(parsed, "%s: proof is a compact JWS", type);
    json_t *h = parsed ? j.header : NULL;
    ok(h && strcmp(json_string_value(json_object_get(h, "typ")), "pamjwt-pop+jwt") == 0 &&
           strcmp(json_string_value(json_object_get(h, "alg")), alg) == 0 &&
           json_is_object(json_object_get(h, "jwk")),
       "%s: header typ pamjwt-pop+jwt, alg %s, jwk", type, alg);
    pj_keyset ks = {0};
    EVP_PKEY_up_ref(k);
    int a = pj_alg_from_name(alg);
    ok(parsed && a >= 0 && pj_keys_add_pkey(&ks, k, "test", NULL, -1, NULL) == 0 &&
           pj_sig_verify(a, &ks.v[0], (const unsigned char *)p, j.signing_len, j.sig, j.sig_len) == 1,
       "%s: the module's verifier accepts the signature", type);
    pj_keyset_free(&ks);
    pj_jws_free(&j);
    free(p);
    json_decref(c);
    EVP_PKEY_free(k);
}

/* The pieces askpass gives, fed to the module's collector. */
typedef struct feed {
    const char *obj;
    size_t len, chunk, asked, longest;
    bool bad;
} feed;

static int ask_next(void *ctx, const char *prompt, char **ans)
{
    feed *f = ctx;
    size_t at = 0, len = 0;
    bool last = false;
    f->asked++;
    if (sscanf(prompt, "pamjwt-continue %zu/%zu: ", &at, &len) != 2 || len != f->len) {
        f->bad = true;
        return -1;
    }
    *ans = pj_cli_chunk_next(f->obj, f->len, f->chunk, at, &last);
    if (*ans && strlen(*ans) > f->longest)
        f->longest = strlen(*ans);
    return *ans ? 0 : -1;
}

static void check_pieces(size_t len, size_t chunk, bool expect)
{
    char *obj = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        obj[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."[i * 7 % 65];
    obj[len] = '\0';
    char *first = pj_cli_chunk_first(obj, len, chunk), *tok = NULL;
    const char *why = NULL;
    feed f = {obj, len, chunk, 0, first ? strlen(first) : 0, false};
    if (!expect) {
        ok(first == NULL, "pieces: %zu bytes in answers of %zu: refused (too many rounds or fits "
                          "whole)", len, chunk);
        free(obj);
        return;
    }
    pj_chunk_result r = first ? pj_chunk_collect(first, ask_next, &f, &tok, &why) : PJ_CHUNK_BAD;
    ok(r == PJ_CHUNK_DONE && tok && memcmp(tok, obj, len) == 0 && !f.bad,
       "pieces: %zu bytes in answers of %zu: the module reassembles them (%zu prompts)", len,
       chunk, f.asked);
    ok(f.longest <= chunk, "pieces: every answer at most %zu bytes (longest %zu)", chunk,
       f.longest);
    free(tok);
    free(first);
    free(obj);
}

static void test_pieces(void)
{
    check_pieces(501, 500, true);
    check_pieces(1800, 500, true);
    check_pieces(PJ_MAX_TOKEN, 500, true);
    check_pieces(PJ_MAX_TOKEN, 257, true);  /* 1 + 63 rounds */
    check_pieces(PJ_MAX_TOKEN, 200, false); /* would need more than 64 rounds */
    check_pieces(500, 500, false);          /* fits whole */
    check_pieces(100, 32, true);
    char *f = pj_cli_chunk_first("abcdefghijklmnopqrstuvwxyz0123456789", 36, 32);
    ok(f && strcmp(f, "pamjwt-chunked:36:abcdefghijklmn") == 0 && strlen(f) == 32,
       "pieces: first answer is the header and as much as fits (%s)", f ? f : "NULL");
    free(f);
    bool last = false;
    char *n = pj_cli_chunk_next("abcdef", 6, 4, 4, &last);
    ok(n && strcmp(n, "ef") == 0 && last, "pieces: the last piece is the rest, marked last");
    free(n);
    ok(pj_cli_chunk_next("abcdef", 6, 4, 6, &last) == NULL, "pieces: nothing past the end");
}

static char *jwt_with(const char *claims)
{
    char *c = pj_b64url_encode((const unsigned char *)claims, strlen(claims));
    size_t n = strlen(c) + 64;
    char *t = malloc(n);
    snprintf(t, n, "eyJhbGciOiJFUzI1NiJ9.%s.c2ln", c);
    free(c);
    return t;
}

static void test_expiry(void)
{
    struct {
        const char *claims;
        double now;
        int want;
        const char *what;
    } c[] = {
        {"{\"exp\":1000}", 999, 0, "exp one second ahead: usable"},
        {"{\"exp\":1000}", 1000, -1, "exp equal to now: expired (no leeway)"},
        {"{\"exp\":1000}", 1001, -1, "exp in the past: expired"},
        {"{\"exp\":1000.5}", 1000, 0, "fractional exp half a second ahead: usable"},
        {"{\"sub\":\"x\"}", 0, -1, "no exp: refused"},
        {"{\"exp\":\"2000\"}", 0, -1, "exp a string: refused"},
        {"{\"exp\":1,\"exp\":2000}", 0, -1, "duplicate exp: refused"},
        {"[1]", 0, -1, "claims not an object: refused"},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *t = jwt_with(c[i].claims);
        double exp = 0;
        const char *why = NULL;
        is_int(pj_token_check_exp(t, strlen(t), c[i].now, &exp, &why), c[i].want, "expiry: %s",
               c[i].what);
        free(t);
    }
    const char *why = NULL;
    double exp = 0;
    ok(pj_token_check_exp("hunter2", 7, 0, &exp, &why) == -1 && strcmp(why, "not a JWT") == 0,
       "expiry: not a JWT: refused");
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_mode & 07777 : 0;
}

static void test_store(void)
{
    char *tmp = tl_tmpdir(), path[4096], *buf = NULL, *dir;
    size_t len = 0;
    setenv("XDG_RUNTIME_DIR", tmp, 1);
    dir = pj_store_dir(true);
    snprintf(path, sizeof(path), "%s/pamjwt", tmp);
    ok(dir && strcmp(dir, path) == 0 && mode_of(path) == 0700,
       "store: $XDG_RUNTIME_DIR/pamjwt made, mode 0700");
    ok(dir && pj_store_write(dir, "token", "abc", 3) == 0, "store: write");
    snprintf(path, sizeof(path), "%s/pamjwt/token", tmp);
    ok(mode_of(path) == 0600, "store: file mode 0600 (got %04o)", (unsigned)mode_of(path));
    ok(dir && pj_store_read(dir, "token", 100, &buf, &len) == 0 && len == 3 &&
           memcmp(buf, "abc", 3) == 0,
       "store: read back");
    free(buf);
    ok(dir && pj_store_read(dir, "token", 2, &buf, &len) == -1, "store: longer than max: refused");
    ok(dir && pj_store_read(dir, "none", 100, &buf, &len) == 1, "store: missing file: 1");
    ok(dir && pj_store_create(dir, "token", "zz", 2) == 1 &&
           pj_store_read(dir, "token", 100, &buf, &len) == 0 && len == 3,
       "store: create leaves an existing file alone");
    free(buf);
    chmod(path, 0644);
    ok(dir && pj_store_read(dir, "token", 100, &buf, &len) == -1,
       "store: a token readable by others is refused");
    ok(dir && pj_store_write(dir, "token", "xyz", 3) == 0 && mode_of(path) == 0600,
       "store: write replaces it with a 0600 file");
    ok(dir && pj_store_remove(dir, "token") == 0 && pj_store_remove(dir, "token") == 0 &&
           access(path, F_OK) != 0,
       "store: remove (twice is fine)");
    snprintf(path, sizeof(path), "%s/pamjwt", tmp);
    chmod(path, 0755);
    char *d2 = pj_store_dir(false);
    ok(d2 == NULL, "store: a directory open to others is refused");
    free(d2);
    chmod(path, 0700);
    snprintf(path, sizeof(path), "%s/other", tmp);
    mkdir(path, 0700);
    char link[4096];
    snprintf(link, sizeof(link), "%s/x", tmp);
    mkdir(link, 0700);
    setenv("XDG_RUNTIME_DIR", link, 1);
    snprintf(link, sizeof(link), "%s/x/pamjwt", tmp);
    ok(symlink(path, link) == 0 && (d2 = pj_store_dir(true)) == NULL,
       "store: a symbolic link in place of the directory is refused");
    free(d2);
    setenv("XDG_RUNTIME_DIR", "relative", 1);
    setenv("HOME", tmp, 1);
    d2 = pj_store_dir(true);
    snprintf(path, sizeof(path), "%s/.cache/pamjwt", tmp);
    ok(d2 && strcmp(d2, path) == 0 && mode_of(path) == 0700,
       "store: without an absolute XDG_RUNTIME_DIR: ~/.cache/pamjwt, 0700");
    free(d2);
    free(dir);
    tl_rmtree(tmp);
    free(tmp);
}

static void test_holder_key(void)
{
    char *tmp = tl_tmpdir(), path[4096];
    EVP_PKEY *k = pj_cli_key_generate(), *l;
    size_t pl = 0;
    char *pem = k ? pj_cli_key_pem(k, &pl) : NULL;
    ok(k && EVP_PKEY_is_a(k, "EC") && pem && strstr(pem, "BEGIN PRIVATE KEY"),
       "holder key: new EC key, PKCS #8 PEM");
    snprintf(path, sizeof(path), "%s/h.pem", tmp);
    tl_write_file(path, pem, pl, 0600);
    l = pj_cli_key_load(path);
    char *t1 = pj_cli_jwk_thumbprint(k), *t2 = l ? pj_cli_jwk_thumbprint(l) : NULL;
    ok(t1 && t2 && strcmp(t1, t2) == 0, "holder key: loads back, same thumbprint");
    EVP_PKEY_free(l);
    chmod(path, 0644);
    l = pj_cli_key_load(path);
    ok(l == NULL, "holder key: a key file readable by others is refused");
    EVP_PKEY_free(l);
    json_t *c = json_object();
    chmod(path, 0600);
    ok(pj_cli_mint_cnf(c, path) == 0 &&
           strcmp(json_string_value(json_object_get(json_object_get(c, "cnf"), "jkt")), t1) == 0,
       "mint --holder-key: cnf.jkt is the key's thumbprint");
    ok(pj_cli_mint_cnf(c, path) == -1, "mint --holder-key: refused when cnf is already set");
    json_decref(c);
    free(t1);
    free(t2);
    pj_wipe_free(pem, pl);
    EVP_PKEY_free(k);
    tl_rmtree(tmp);
    free(tmp);
}

/* ------------------------------------------------------------ targets */

static const char *target_of(const char *prompt, int *rc, const char **body)
{
    static pj_prompt p;
    const char *why = NULL;
    *rc = pj_prompt_parse(prompt, "myhost", &p, &why);
    if (body)
        *body = p.body;
    return p.target;
}

static void test_targets_prompt_prefix(void)
{
    const char *why = NULL, *body = NULL, *t;
    pj_prompt p;
    int rc;

    t = target_of("(alice@host.example) Token: ", &rc, &body);
    ok(rc == 0 && strcmp(t, "ssh://host.example") == 0 && strcmp(body, "Token: ") == 0,
       "target: '(alice@host.example) Token: ' -> ssh://host.example, body 'Token: ' (got %s)", t);
    t = target_of("Token: ", &rc, NULL);
    ok(rc == 0 && strcmp(t, "local://myhost") == 0, "target: no prefix -> local://HOSTNAME (%s)", t);
    t = target_of("(alice@corp.example@db1) Token: ", &rc, NULL);
    ok(rc == 0 && strcmp(t, "ssh://db1") == 0, "target: a user name with '@': split at the last '@' (%s)", t);
    t = target_of("(alice@evil) (alice@good) Token: ", &rc, &body);
    ok(rc == 0 && strcmp(t, "ssh://evil") == 0, "target: only the first prefix counts (%s)", t);
    pj_prompt_parse("(alice@evil) (alice@good) Token: ", "myhost", &p, &why);
    ok(pj_prompt_check("(alice@evil) (alice@good) Token: ", &p, &why) != 0 && strstr(why, "two"),
       "check: two prefixes refused");
    pj_prompt_parse("(alice@good) Token (empty to sign in): ", "myhost", &p, &why);
    ok(pj_prompt_check("(alice@good) Token (empty to sign in): ", &p, &why) == 0,
       "check: parentheses without '@' are no prefix");
    pj_prompt_parse("(alice@good) \033[2KToken: ", "myhost", &p, &why);
    ok(pj_prompt_check("(alice@good) \033[2KToken: ", &p, &why) != 0 && strstr(why, "control"),
       "check: control characters refused");
    pj_prompt_parse("(alice@good) Tok\x7f" "en: ", "myhost", &p, &why);
    ok(pj_prompt_check("(alice@good) Tok\x7f" "en: ", &p, &why) != 0, "check: DEL refused");
    target_of("(alice@bad/host) Token: ", &rc, NULL);
    ok(rc != 0, "target: a host that is not a host name refused");
    target_of("(alice@) Token: ", &rc, NULL);
    ok(rc != 0, "target: an empty host refused");
    t = target_of("(alice) Token: ", &rc, NULL);
    ok(rc == 0 && strcmp(t, "local://myhost") == 0, "target: '(alice) ' is no OpenSSH prefix");
}

static void test_targets_pop_nonce(void)
{
    const char *why = NULL;
    char nonce[PJ_NONCE_LEN + 1];
    static const char n43[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO_-";
    char buf[128];
    snprintf(buf, sizeof(buf), "pamjwt-pop %s: ", n43);
    ok(pj_prompt_pop(buf, nonce, &why) == 1 && strcmp(nonce, n43) == 0, "pop: a 43-character nonce");
    snprintf(buf, sizeof(buf), "pamjwt-pop %.42s: ", n43);
    ok(pj_prompt_pop(buf, nonce, &why) == -1, "pop: 42 characters refused");
    snprintf(buf, sizeof(buf), "pamjwt-pop %sA: ", n43);
    ok(pj_prompt_pop(buf, nonce, &why) == -1, "pop: 44 characters refused");
    snprintf(buf, sizeof(buf), "pamjwt-pop %.42s=: ", n43);
    ok(pj_prompt_pop(buf, nonce, &why) == -1, "pop: a character outside base64url refused");
    ok(pj_prompt_pop("Token: ", nonce, &why) == 0, "pop: 'Token: ' is no proof prompt");
}

/* what a token may be given to */
static void test_targets_fit_and_list(void)
{
    json_t *bearer = json_pack("{s:s}", "aud", "ssh://good");
    json_t *arr = json_pack("{s:[s,s]}", "aud", "x", "ssh://good");
    json_t *bound = json_pack("{s:s, s:{s:s}}", "aud", "x", "cnf", "jkt", "abc");
    json_t *bound_aud = json_pack("{s:s, s:{s:s}}", "aud", "ssh://good", "cnf", "jkt", "abc");
    pj_globs none = {0}, g = {0};
    ok(pj_target_fit(bearer, "ssh://good", &none) == PJ_FIT_AUD, "fit: bearer, aud names the target");
    ok(pj_target_fit(bearer, "ssh://evil", &none) == PJ_FIT_NONE, "fit: bearer, other target: refused");
    ok(pj_target_fit(bearer, "ssh://good.evil", &none) == PJ_FIT_NONE, "fit: aud compared exactly");
    ok(pj_target_fit(arr, "ssh://good", &none) == PJ_FIT_AUD, "fit: aud array naming the target");
    ok(pj_target_fit(bound, "ssh://evil", &none) == PJ_FIT_NONE,
       "fit: bound token, a target its aud does not name and no list: refused (an older module "
       "takes it as a bearer token)");
    ok(pj_target_fit(bound_aud, "ssh://good", &none) == PJ_FIT_AUD_BOUND, "fit: bound and aud: best");
    ok(pj_target_fit(bearer, "ssh://GOOD.", &none) == PJ_FIT_AUD,
       "fit: aud compared as pop_audience is (host ignoring case and a trailing dot)");
    ok(pj_target_fit(bearer, "SSH://good", &none) == PJ_FIT_AUD, "fit: the scheme ignoring case");
    ok(pj_target_fit(bearer, "local://good", &none) == PJ_FIT_NONE, "fit: another scheme: refused");

    char tmp[] = "/tmp/pamjwt-test-targets.XXXXXX", path[256];
    ok(mkdtemp(tmp) != NULL, "targets: temporary directory");
    snprintf(path, sizeof(path), "%s/targets", tmp);
    ok(pj_targets_load(path, &g) == 0 && g.n == 0, "targets: a missing file is an empty list");
    FILE *f = fopen(path, "w");
    fputs("# mine\n  ssh://*.corp.example   # corp\n\nlocal://myhost\n", f);
    fclose(f);
    chmod(path, 0644);
    ok(pj_targets_load(path, &g) == 0 && g.n == 2, "targets: two globs, comments and blanks skipped");
    ok(pj_target_fit(bearer, "ssh://db1.corp.example", &g) == PJ_FIT_LISTED, "fit: bearer, listed by a glob");
    ok(pj_target_fit(bearer, "local://myhost", &g) == PJ_FIT_LISTED, "fit: bearer, listed exactly");
    ok(pj_target_fit(bearer, "ssh://corp.example.evil", &g) == PJ_FIT_NONE, "fit: bearer, no glob matches");
    ok(pj_target_fit(bound, "ssh://db1.corp.example", &g) == PJ_FIT_LISTED_BOUND,
       "fit: bound, listed: after aud-named ones, before listed bearer ones");
    ok(PJ_FIT_AUD_BOUND < PJ_FIT_AUD && PJ_FIT_AUD < PJ_FIT_LISTED_BOUND &&
           PJ_FIT_LISTED_BOUND < PJ_FIT_LISTED,
       "fit: the order: aud names the target, then bound");
    pj_targets_free(&g);
    chmod(path, 0664);
    ok(pj_targets_load(path, &g) != 0 && g.n == 0, "targets: group-writable file refused");
    chmod(path, 0644);
    char link[300];
    snprintf(link, sizeof(link), "%s/link", tmp);
    ok(symlink(path, link) == 0 && pj_targets_load(link, &g) != 0 && g.n == 0,
       "targets: a symbolic link refused");
    unlink(link);
    unlink(path);
    rmdir(tmp);
    json_decref(bearer);
    json_decref(arr);
    json_decref(bound);
    json_decref(bound_aud);
}

/* names in the store */
static void test_targets_store_names(void)
{
    char *a = pj_store_token_name("https://idp", "ssh://one"), *b = pj_store_token_name("https://idp", "ssh://two"),
         *c = pj_store_token_name("https://idp", NULL), *s1 = pj_state_name("ssh://one", "proof", "n1", 2),
         *s2 = pj_state_name("ssh://two", "proof", "n1", 2), *s3 = pj_state_name("ssh://one", "proof", "n2", 2);
    char *s4 = pj_state_name("ssh://one", "token", "n1", 2);
    ok(a && b && c && strcmp(a, b) != 0 && strcmp(a, c) != 0 && strncmp(a, "token.", 6) == 0 &&
           strlen(a) == 6 + 22,
       "store: one token file per issuer and resource (%s, %s)", a ? a : "-", b ? b : "-");
    ok(s1 && s2 && s3 && s4 && strcmp(s1, s2) != 0 && strcmp(s1, s3) != 0 && strcmp(s1, s4) != 0,
       "store: askpass state keyed by target and object (a proof's nonce, a token)");
    free(s4);
    free(a);
    free(b);
    free(c);
    free(s1);
    free(s2);
    free(s3);
}

/* Two chunked proofs to the same target at once (two ssh processes):
 * each keeps its own state, and a continuation gets the one its parent
 * started. */
static void test_targets_state(void)
{
    char tmp[] = "/tmp/pamjwt-test-state.XXXXXX", *name = NULL, *obj = NULL;
    size_t n = 0;
    ok(mkdtemp(tmp) != NULL, "state: temporary directory");
    char *a = pj_state_name("ssh://h", "proof", "nonceA", 6), *b = pj_state_name("ssh://h", "proof", "nonceB", 6);
    ok(pj_state_put(tmp, a, "ssh://h", 1001, "AAAAAAAAAA", 10) == 0 &&
           pj_state_put(tmp, b, "ssh://h", 1002, "BBBBBBBBBB", 10) == 0,
       "state: two proofs of 10 bytes to ssh://h, from two processes");
    ok(pj_state_find(tmp, "ssh://h", 1001, 10, &name, &obj, &n) == PJ_STATE_FOUND && n == 10 &&
           memcmp(obj, "AAAAAAAAAA", 10) == 0 && strcmp(name, a) == 0,
       "state: the first process's continuation gets its own proof");
    free(name);
    free(obj);
    ok(pj_state_find(tmp, "ssh://h", 1002, 10, &name, &obj, &n) == PJ_STATE_FOUND &&
           memcmp(obj, "BBBBBBBBBB", 10) == 0,
       "state: the second's gets its own");
    free(name);
    free(obj);
    ok(pj_state_find(tmp, "ssh://h", 1003, 10, &name, &obj, &n) == PJ_STATE_AMBIGUOUS && obj == NULL,
       "state: a third process, two candidates: neither is sent");
    ok(pj_state_find(tmp, "ssh://other", 1001, 10, &name, &obj, &n) == PJ_STATE_NONE,
       "state: another target gets nothing");
    ok(pj_state_find(tmp, "ssh://h", 1001, 11, &name, &obj, &n) == PJ_STATE_NONE,
       "state: another length gets nothing");
    ok(pj_store_remove(tmp, b) == 0 &&
           pj_state_find(tmp, "ssh://h", 1003, 10, &name, &obj, &n) == PJ_STATE_FOUND &&
           memcmp(obj, "AAAAAAAAAA", 10) == 0,
       "state: the only one there is goes to a process that did not start it (a wrapper "
       "without exec)");
    free(name);
    free(obj);
    pj_store_remove(tmp, a);
    rmdir(tmp);
    free(a);
    free(b);
}

static void test_targets(void)
{
    test_targets_prompt_prefix();
    test_targets_pop_nonce();
    test_targets_fit_and_list();
    test_targets_store_names();
    test_targets_state();
}

/* pj_chunk_ask and pj_chunk_complete, the one collector the token prompt
 * and the proof prompt share: what each outcome leaves in *answer. */
typedef struct script {
    const char *ans[4]; /* NULL: the conversation fails */
    size_t asked;
    char prompts[4][64];
} script;

static int ask_script(void *ctx, const char *prompt, char **ans)
{
    script *s = ctx;
    size_t i = s->asked++;
    *ans = NULL;
    if (i >= 4)
        return -1;
    snprintf(s->prompts[i], sizeof(s->prompts[i]), "%s", prompt);
    if (s->ans[i] == NULL)
        return -1;
    *ans = strdup(s->ans[i]);
    return *ans ? 0 : -1;
}

static void test_chunk_ask(void)
{
    char *a = NULL;
    const char *why = "stale";
    script s0 = {{NULL}, 0, {""}};
    is_int(pj_chunk_ask(ask_script, &s0, "Token: ", &a, &why), PJ_CHUNK_NO_ANSWER,
           "chunk_ask: no answer to the question: NO_ANSWER");
    ok(a == NULL && why == NULL && s0.asked == 1, "... nothing kept, no reason, asked once");

    script s1 = {{"plain"}, 0, {""}};
    is_int(pj_chunk_ask(ask_script, &s1, "Token: ", &a, &why), PJ_CHUNK_NONE,
           "chunk_ask: an ordinary answer: NONE");
    ok(a && strcmp(a, "plain") == 0 && strcmp(s1.prompts[0], "Token: ") == 0,
       "... the answer as typed, to the prompt given");
    free(a);

    script s2 = {{"pamjwt-chunked:6:abc", "def"}, 0, {""}};
    is_int(pj_chunk_ask(ask_script, &s2, "P: ", &a, &why), PJ_CHUNK_DONE,
           "chunk_ask: a chunked answer: DONE");
    ok(a && strcmp(a, "abcdef") == 0 && strcmp(s2.prompts[1], "pamjwt-continue 3/6: ") == 0,
       "... assembled, after 'pamjwt-continue 3/6: ' ('%s')", s2.prompts[1]);
    free(a);

    script s3 = {{"pamjwt-chunked:6:abc", NULL}, 0, {""}};
    is_int(pj_chunk_ask(ask_script, &s3, "P: ", &a, &why), PJ_CHUNK_CONV,
           "chunk_ask: the conversation fails at a continuation: CONV");
    ok(a == NULL && why && strcmp(why, "conversation failed") == 0, "... nothing kept (%s)",
       why ? why : "no reason");

    script s4 = {{"pamjwt-chunked:6:abcdefg"}, 0, {""}};
    is_int(pj_chunk_ask(ask_script, &s4, "P: ", &a, &why), PJ_CHUNK_BAD,
           "chunk_ask: a piece past the announced length: BAD");
    ok(a == NULL && why && strstr(why, "past the announced length") && s4.asked == 1,
       "... nothing kept, asked no more (%s)", why ? why : "no reason");

    char *given = strdup("eyJ.given");
    char *before = given;
    script s5 = {{NULL}, 0, {""}};
    is_int(pj_chunk_complete(&given, ask_script, &s5, &why), PJ_CHUNK_NONE,
           "chunk_complete: an answer given (PAM_AUTHTOK), not chunked: NONE");
    ok(given == before && s5.asked == 0, "... left as it is, nothing asked");
    free(given);
}

/* pamjwt jwks refresh: which PAM lines use a configuration, and which
 * configuration line names the JWK Set (jwks_lines.c). */
static void test_jwks_lines(void)
{
    static const char conf[] = "/etc/security/pam_jwt-ssh.conf", def[] = "/etc/security/pam_jwt.conf";
    static const struct {
        const char *line, *config;
        bool uses;
    } pam[] = {
        {"auth [success=done ignore=ignore default=die] pam_jwt.so config=/etc/security/pam_jwt-ssh.conf prompt=Token:", conf, true},
        {"auth\tsufficient\t/usr/lib/x86_64-linux-gnu/security/pam_jwt.so config=/etc/security/pam_jwt-ssh.conf", conf, true},
        {"-auth sufficient pam_jwt.so config=/etc/security/pam_jwt-ssh.conf", conf, true},
        {"auth sufficient pam_jwt.so", def, true},             /* no config=: the default */
        {"auth sufficient pam_jwt.so", conf, false},
        {"auth sufficient pam_jwt.so config=/etc/security/pam_jwt.d", "/etc/security/pam_jwt.d/idp.conf", true},
        {"auth sufficient pam_jwt.so config=/etc/security/pam_jwt.d/", "/etc/security/pam_jwt.d/idp.conf", true},
        {"auth sufficient pam_jwt.so config=/etc/security/pam_jwt.d", "/etc/security/pam_jwt.d/x/idp.conf", false},
        {"auth sufficient pam_jwt.so config=/etc/security/pam_jwt", "/etc/security/pam_jwt.d/idp.conf", false},
        {"#auth sufficient pam_jwt.so config=/etc/security/pam_jwt-ssh.conf", conf, false},
        {"auth sufficient pam_unix.so config=/etc/security/pam_jwt-ssh.conf", conf, false},
        {"auth sufficient pam_jwt.so.bak config=/etc/security/pam_jwt-ssh.conf", conf, false},
        {"@include pam_jwt.so config=/etc/security/pam_jwt-ssh.conf", conf, false},
        {"auth sufficient pam_jwt.so # config=/etc/security/pam_jwt-ssh.conf", conf, false},
        {"auth [success=done default=die]", conf, false},
    };
    for (size_t i = 0; i < sizeof(pam) / sizeof(pam[0]); i++) {
        char line[512];
        snprintf(line, sizeof(line), "%s", pam[i].line);
        ok(pj_pam_line_uses(line, pam[i].config, def) == pam[i].uses, "PAM line %s %s %s", pam[i].line,
           pam[i].uses ? "uses" : "does not use", pam[i].config);
    }
    static const struct {
        const char *line;
        bool is;
    } cl[] = {
        {"jwks_file = /etc/security/pam_jwt.jwks", true},
        {"  jwks_file=/etc/security/pam_jwt.jwks\t\r", true},
        {"jwks_file = /etc/security/pam_jwt.jwks # the provider's", true},
        {"jwks_file = /etc/security/pam_jwt.jwks#x", false},
        {"#jwks_file = /etc/security/pam_jwt.jwks", false},
        {"jwks_file = /etc/security/pam_jwt.jwks.old", false},
        {"key_file = /etc/security/pam_jwt.jwks", false},
        {"jwks_file /etc/security/pam_jwt.jwks", false},
    };
    for (size_t i = 0; i < sizeof(cl) / sizeof(cl[0]); i++)
        ok(pj_conf_line_is(cl[i].line, strlen(cl[i].line), "jwks_file", "/etc/security/pam_jwt.jwks") ==
               cl[i].is,
           "config line \"%s\" %s jwks_file = /etc/security/pam_jwt.jwks", cl[i].line,
           cl[i].is ? "is" : "is not");
}

int main(void)
{
    test_rfc7638();
    check_jwk("p256", "EC", "P-256", "crv kty x y");
    check_jwk("p384", "EC", "P-384", "crv kty x y");
    check_jwk("p521", "EC", "P-521", "crv kty x y");
    check_jwk("rsa", "RSA", NULL, "e kty n");
    check_jwk("ed25519", "OKP", "Ed25519", "crv kty x");
    EVP_PKEY *k1 = tl_keygen("secp256k1");
    ok(k1 && pj_cli_jwk_public(k1) == NULL, "secp256k1: no JWK (not a curve the module takes)");
    EVP_PKEY_free(k1);
    check_proof("p256", "ES256");
    check_proof("p384", "ES384");
    check_proof("rsa", "RS256");
    check_proof("ed25519", "EdDSA");
    test_pieces();
    test_expiry();
    test_store();
    test_holder_key();
    test_targets();
    test_chunk_ask();
    test_jwks_lines();
    return tap_done();
}
