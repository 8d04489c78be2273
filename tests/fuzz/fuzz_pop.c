/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: proof-of-possession answers (src/core/pop.c).
 *   input = the answer to the "pamjwt-pop NONCE" prompt, for a fixed token
 *   bound (cnf.jkt) to a fixed P-256 key, a fixed nonce and a fixed now.
 * Properties besides "no sanitizer report":
 *   - pj_pop_verify returns 0 or -1, and a reason exactly when -1;
 *   - it accepts only an answer whose signature verifies, by OpenSSL
 *     directly, with the fixed key over the answer's first two segments
 *     (the fuzzer cannot forge one: any accept it finds otherwise is a
 *     hole), and whose claims, read here with jansson, hold the nonce,
 *     the token's hash as ath, an iat within the leeway and an aud that
 *     is one of the config's pop_audience values, expanded (AUDS);
 *   - a reason is printable ASCII (what comes from the proof is escaped);
 *   - a proof signed here with the fixed key is accepted once (the
 *     harness is not vacuous), and the same proof for another nonce, for
 *     another host, or without aud is not;
 *   - the input as a target (a pop_audience value, a proof's aud;
 *     src/core/target.c): pj_target_valid agrees with an independent
 *     reading of SCHEME://REST, a target equals itself, equality is
 *     symmetric and agrees with an independent normalisation (scheme and
 *     host lowercased, one trailing dot of the host dropped), and the
 *     input with its scheme and host uppercased and a dot added equals it.
 * iat is compared in whole seconds with the time the answer arrived
 * (NOW here): floor(iat) within leeway of NOW. */
#include "config.h"

#define FUZZ_NAME "fuzz_pop"
#include "fuzz.h"

#include "b64url.h"
#include "jose.h"
#include "keys.h"
#include "pjconfig.h"
#include "pop.h"
#include "sign.h"
#include "target.h"
#include "util.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A test key, nothing else: its public JWK is in the seed corpus
 * (tests/fuzz/mkcorpus.py), its RFC 7638 thumbprint is JKT. */
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZkIq5Hx9adEfOI2Q\n"
                              "hzOAIFcjo/0WIHXIxrNxMrUEtyihRANCAATs6gXqs7cIQBEciH2vJ5nZ8lNbe0yK\n"
                              "GML0/DP3n88KdS40cgbZQCI4Fv2V2sbnUciTV8iKqPORzuZdFJ4uZVtw\n"
                              "-----END PRIVATE KEY-----\n";
#define JWK                                                                                  \
    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"7OoF6rO3CEARHIh9ryeZ2fJTW3tMihjC9Pwz95_PCnU\"," \
    "\"y\":\"LjRyBtlAIjgW_ZXaxudRyJNXyIqo85HO5l0Uni5lW3A\"}"
#define JKT "9D_OFE8XnHeHvl3-BajhVnzmT_WT9dSIRxcMMZ72OGg"
#define TOKEN "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
#define ATH "uK9_MH_h_U-RimWTi-ViJVY8deZrUCS6dMB5fSLl06Q" /* base64url SHA-256 of TOKEN */
#define NONCE "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm8"
#define NOW 1700000000.0
/* pop_audience with %h and %s, and what it expands to for HOST, SERVICE */
#define POP_AUDIENCE "pop_audience = ssh://%h ssh://alias.example local://%s.%h\n"
#define HOST "fuzz.example"
#define SERVICE "sshd"
static const char *const AUDS[] = {"ssh://fuzz.example", "ssh://alias.example",
                                   "local://sshd.fuzz.example"};
static const pj_scope SCOPE = {SERVICE, HOST};

static EVP_PKEY *key;
static pj_config *conf;

/* Does sig (the answer's third segment) verify with the fixed key over
 * its first two, as ES256?  Computed without the module's parser. */
static bool signed_by_key(const char *a, size_t n)
{
    const char *d1 = memchr(a, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - a)) : NULL;
    if (d2 == NULL)
        return false;
    size_t sl = 0;
    unsigned char *sig = pj_b64url_decode(d2 + 1, n - (size_t)(d2 + 1 - a), &sl);
    bool ok = false;
    if (sig != NULL && sl == 64) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        ECDSA_SIG *es = ECDSA_SIG_new();
        unsigned char *der = NULL;
        int dl;
        if (m && es && ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) &&
            (dl = i2d_ECDSA_SIG(es, &der)) > 0 &&
            EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, key) == 1)
            ok = EVP_DigestVerify(m, der, (size_t)dl, (const unsigned char *)a,
                                  (size_t)(d2 - a)) == 1;
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
        EVP_MD_CTX_free(m);
    }
    free(sig);
    return ok;
}

/* A target read here, without target.c: SCHEME "://" REST, the scheme
 * RFC 3986's, REST not empty, no byte <= 0x20 or 0x7f anywhere.  The
 * normalised form (scheme and host lowercased, one trailing dot of the
 * host dropped) in out (malloc'd), or NULL when it is no target. */
static char *normal_target(const char *v, size_t n)
{
    size_t i = 0, host_end, rest;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)v[k] <= 0x20 || v[k] == 0x7f)
            return NULL;
    if (n == 0 || !isalpha((unsigned char)v[0]))
        return NULL;
    while (i < n && (isalnum((unsigned char)v[i]) || v[i] == '+' || v[i] == '-' || v[i] == '.'))
        i++;
    if (n - i < 4 || memcmp(v + i, "://", 3) != 0)
        return NULL;
    rest = i + 3;
    host_end = rest;
    while (host_end < n && v[host_end] != '/')
        host_end++;
    if (host_end == rest) /* no host */
        return NULL;
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t k = 0; k < host_end; k++)
        out[o++] = (char)tolower((unsigned char)v[k]);
    if (host_end - rest > 1 && out[o - 1] == '.')
        o--;
    memcpy(out + o, v + host_end, n - host_end);
    out[o + n - host_end] = '\0';
    return out;
}

static bool same_target(const char *a, size_t al, const char *b, size_t bl)
{
    char *x = normal_target(a, al), *y = normal_target(b, bl);
    bool eq = x && y && strcmp(x, y) == 0;
    free(x);
    free(y);
    return eq;
}

/* The input as a target: target.c against the reading above. */
static void check_target(const char *a, size_t n)
{
    const char *why = NULL;
    char *norm = normal_target(a, n);
    bool valid = pj_target_valid(a, n, &why);
    CHECK(valid == (norm != NULL));
    CHECK(pj_target_equal(a, n, a, n) == valid);
    for (size_t i = 0; i < sizeof(AUDS) / sizeof(AUDS[0]); i++) {
        bool eq = pj_target_equal(a, n, AUDS[i], strlen(AUDS[i]));
        CHECK(eq == pj_target_equal(AUDS[i], strlen(AUDS[i]), a, n));
        CHECK(eq == same_target(a, n, AUDS[i], strlen(AUDS[i])));
    }
    if (valid) { /* SCHEME and HOST uppercased, a dot added: the same target */
        char *up = malloc(n + 2);
        CHECK(up != NULL);
        const char *host = (const char *)memchr(a, '/', n) + 2; /* after "://" */
        const char *path = memchr(host, '/', n - (size_t)(host - a));
        size_t host_end = path ? (size_t)(path - a) : n, o = 0;
        bool dotted = host_end - (size_t)(host - a) > 1 && a[host_end - 1] == '.';
        for (size_t k = 0; k < host_end; k++)
            up[o++] = (char)toupper((unsigned char)a[k]);
        if (!dotted)
            up[o++] = '.';
        memcpy(up + o, a + host_end, n - host_end);
        o += n - host_end;
        CHECK(pj_target_equal(a, n, up, o) && pj_target_equal(up, o, a, n));
        free(up);
    }
    free(norm);
}

/* The answer's second segment as JSON: nonce, ath and iat as the prompt
 * asked for?  Read without the module's parser. */
static bool claims_hold(const char *a, size_t n)
{
    const char *d1 = memchr(a, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - a)) : NULL;
    size_t l = 0;
    unsigned char *p = d2 ? pj_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &l) : NULL;
    json_t *c = p ? json_loadb((const char *)p, l, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *iat = json_object_get(c, "iat");
    const char *nonce = json_string_value(json_object_get(c, "nonce"));
    const char *ath = json_string_value(json_object_get(c, "ath"));
    json_t *aud = json_object_get(c, "aud");
    bool aud_ok = false;
    for (size_t i = 0; i < sizeof(AUDS) / sizeof(AUDS[0]); i++)
        if (json_is_string(aud) &&
            same_target(json_string_value(aud), json_string_length(aud), AUDS[i], strlen(AUDS[i])))
            aud_ok = true;
    bool ok = nonce && strcmp(nonce, NONCE) == 0 && ath && strcmp(ath, ATH) == 0 &&
              json_is_number(iat) && floor(json_number_value(iat)) >= NOW - (double)conf->leeway &&
              floor(json_number_value(iat)) <= NOW + (double)conf->leeway && aud_ok;
    json_decref(c);
    free(p);
    return ok;
}

static int verify(const char *a, size_t n, const char *nonce)
{
    char why[256];
    pj_pop_challenge ch = {TOKEN, strlen(TOKEN), JKT, nonce, NOW, &SCOPE};
    memset(why, 'x', sizeof(why));
    int r = pj_pop_verify(conf, &ch, a, n, &quiet, why, sizeof(why));
    CHECK(r == 0 || r == -1);
    CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    CHECK((r == 0) == (why[0] == '\0'));
    for (const char *p = why; *p; p++)
        CHECK(*p >= 0x20 && *p < 0x7f);
    return r;
}

/* A proof signed with the fixed key for these claims. */
static char *sign_proof(const char *aud_member)
{
    char claims[512];
    snprintf(claims, sizeof(claims), "{\"nonce\":\"%s\",\"iat\":%.0f,\"ath\":\"%s\"%s}", NONCE,
             NOW, ATH, aud_member);
    return pj_sign_evp(PJ_ALG_ES256, key, NULL, 0,
                       "{\"typ\":\"" PJ_POP_TYP "\",\"alg\":\"ES256\",\"jwk\":" JWK "}", claims);
}

static void init(void)
{
    BIO *b = BIO_new_mem_buf(key_pem, -1);
    key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    conf = pj_config_new("/fuzz-pop.conf");
    CHECK(key != NULL && conf != NULL);
    conf->algs = pj_alg_supported_mask(); /* HS* too: a proof must refuse it */
    CHECK(pj_config_parse(conf, POP_AUDIENCE, strlen(POP_AUDIENCE), &quiet) == 0);

    /* the harness can tell a good proof from a bad one */
    const char *good_auds[] = {",\"aud\":\"ssh://fuzz.example\"", ",\"aud\":\"ssh://alias.example\"",
                               ",\"aud\":\"local://sshd.fuzz.example\"",
                               ",\"aud\":\"SSH://FUZZ.Example.\""};
    for (size_t i = 0; i < sizeof(good_auds) / sizeof(good_auds[0]); i++) {
        char *good = sign_proof(good_auds[i]);
        CHECK(good != NULL);
        CHECK(signed_by_key(good, strlen(good)) && claims_hold(good, strlen(good)));
        CHECK(verify(good, strlen(good), NONCE) == 0);
        CHECK(verify(good, strlen(good), "another-nonce") == -1);
        free(good);
    }
    const char *bad_auds[] = {",\"aud\":\"ssh://evil.example\"", ",\"aud\":\"local://%s.%h\"",
                              ",\"aud\":\"ssh://fuzz.example..\"", ",\"aud\":\"fuzz.example\"",
                              ",\"aud\":[\"ssh://fuzz.example\"]", ",\"aud\":1", ""};
    for (size_t i = 0; i < sizeof(bad_auds) / sizeof(bad_auds[0]); i++) {
        char *bad = sign_proof(bad_auds[i]);
        CHECK(bad != NULL && signed_by_key(bad, strlen(bad)) && !claims_hold(bad, strlen(bad)));
        CHECK(verify(bad, strlen(bad), NONCE) == -1);
        free(bad);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (key == NULL)
        init();
    if (size > PJ_MAX_TOKEN + 64)
        return 0;
    char *a = malloc(size + 1);
    if (a == NULL)
        return 0;
    memcpy(a, data, size);
    a[size] = '\0';
    check_target(a, size);
    if (verify(a, size, NONCE) == 0) {
        const char *s = a;
        size_t n = size;
        pj_trim(&s, &n);
        CHECK(signed_by_key(s, n));
        CHECK(claims_hold(s, n));
    }
    free(a);
    return 0;
}
