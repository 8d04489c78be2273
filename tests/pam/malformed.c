/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of malformed tokens and token sizes. */
#include "pam.h"

static void test_malformed_json(const char *c)
{
    char *t;
    conf(NULL);
    struct { const char *hdr; const char *payload; const char *name; } m[] = {
        {"{\"alg\":\"ES256\"", NULL, "header not JSON"},
        {"[\"ES256\"]", NULL, "header a JSON array"},
        {"{\"alg\":\"ES256\",\"alg\":\"HS256\"}", NULL, "duplicate alg in header"},
        {"{\"alg\":\"ES256\"}", "{\"sub\":\"x\",\"sub\":\"y\",\"exp\":9999999999}", "duplicate claim"},
        {"{\"alg\":\"ES256\"}", "[1,2]", "claims a JSON array"},
        {"{\"alg\":\"ES256\"}", "not json", "claims not JSON"},
        {"{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", NULL, "crit header"},
        {"{\"alg\":\"ES256\",\"kid\":5}", NULL, "kid not a string"},
        {"{\"alg\":5}", NULL, "alg not a string"},
        {"{}", NULL, "no alg"},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        t = raw("ES256", k_ec256, m[i].hdr, m[i].payload ? m[i].payload : c);
        is_int(auth(me, t), PAM_AUTH_ERR, "malformed: %s", m[i].name);
        free(t);
    }
    /* sub of the wrong type */
    const char *subs[] = {"{\"sub\":42,\"exp\":@E}", "{\"sub\":\"\",\"exp\":@E}",
                          "{\"sub\":null,\"exp\":@E}", "{\"sub\":[\"root\"],\"exp\":@E}",
                          "{\"sub\":\"ro\\u0000ot\",\"exp\":@E}"};
    for (size_t i = 0; i < 5; i++) {
        char p[200];
        snprintf(p, sizeof(p), "%s", subs[i]);
        char *e = strstr(p, "@E");
        char tail[100];
        snprintf(tail, sizeof(tail), "%ld}", now + 100);
        strcpy(e, tail);
        t = raw("ES256", k_ec256, "{\"alg\":\"ES256\"}", p);
        is_int(auth(me, t), PAM_AUTH_ERR, "bad subject: %s", subs[i]);
        free(t);
    }
}

static void test_malformed_nesting_nul_base64url(const char *c)
{
    char *t;
    /* deep nesting */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 64);
    strcpy(deep, "{\"a\":");
    size_t o = strlen(deep);
    memset(deep + o, '[', depth);
    o += depth;
    memset(deep + o, ']', depth);
    o += depth;
    strcpy(deep + o, "}");
    t = tl_unsigned("{\"alg\":\"ES256\"}", deep, "AAAA");
    is_int(auth(me, t), PAM_AUTH_ERR, "100,000-level nesting refused (over 16 KiB)");
    free(t);
    /* 5,000 levels inside the size limit: refused by the depth check
     * before the JSON parser recurses */
    {
        char *d5 = malloc(12000);
        strcpy(d5, "{\"a\":");
        memset(d5 + 5, '[', 5000);
        memset(d5 + 5005, ']', 5000);
        strcpy(d5 + 10005, "}");
        t = tl_unsigned("{\"alg\":\"ES256\"}", d5, "AAAA");
        ok(strlen(t) <= 16384, "5,000-level token fits the size limit (%zu bytes)", strlen(t));
        is_int(auth(me, t), PAM_AUTH_ERR, "5,000-level nesting in the claims refused");
        ok(log_has("nested too deeply"), "reason logged: nested too deeply");
        free(t);
        t = tl_unsigned(d5, c, "AAAA");
        is_int(auth(me, t), PAM_AUTH_ERR, "5,000-level nesting in the header refused");
        free(t);
        free(d5);
    }
    /* a raw NUL byte inside the claims JSON text */
    {
        char withnul[300];
        int wl = snprintf(withnul, sizeof(withnul), "{\"sub\":\"%s\",\"exp\":%ld}", me, now + 100);
        char *h64 = pj_b64url_encode((const unsigned char *)"{\"alg\":\"ES256\"}", 15);
        withnul[8] = '\0'; /* inside the sub string */
        char *p64 = pj_b64url_encode((const unsigned char *)withnul, (size_t)wl);
        char tokbuf[1024];
        snprintf(tokbuf, sizeof(tokbuf), "%s.%s.AAAA", h64, p64);
        is_int(auth(me, tokbuf), PAM_AUTH_ERR, "raw NUL byte inside the claims refused");
        free(h64);
        free(p64);
    }
    /* non-canonical base64url in the signature (unused bits set) */
    {
        char *good = es256(me, 300, NULL);
        size_t gl = strlen(good);
        /* an ES256 signature is 64 bytes = 86 chars, last char carries 4
         * unused bits; 'A'..'P' differ only in those bits from... flip them */
        char *nc = strdup(good);
        const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int v = (int)(strchr(b64, nc[gl - 1]) - b64);
        /* canonical: the 4 low bits of the 86th character carry nothing */
        is_int(v & 15, 0, "a canonical ES256 signature's unused base64url bits are zero");
        nc[gl - 1] = b64[v | 1];
        is_int(auth(me, nc), PAM_AUTH_ERR, "signature with non-zero unused base64url bits refused");
        free(nc);
        free(good);
    }
    deep[5 + 5000] = '\0';
    memset(deep + 5, '[', 5000);
    t = tl_unsigned("{\"alg\":\"ES256\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "AAAA");
    is_int(auth(me, t), PAM_AUTH_ERR, "50-level nesting refused");
    free(t);
    free(deep);
}

static void test_malformed_sizes(void)
{
    char *t;
    /* bad base64url / signature sizes */
    t = es256(me, 300, NULL);
    char *last = strrchr(t, '.');
    char *copy = strdup(t);
    copy[last - t + 1 + 10] = '\0'; /* truncated signature */
    is_int(auth(me, copy), PAM_AUTH_ERR, "truncated signature refused");
    strcpy(copy, t);
    copy[strlen(copy) - 1] = copy[strlen(copy) - 1] == 'A' ? 'B' : 'A';
    is_int(auth(me, copy), PAM_AUTH_ERR, "altered last signature character refused");
    free(copy);
    size_t n = strlen(t);
    copy = malloc(n + 2);
    snprintf(copy, n + 2, "%sA", t);
    is_int(auth(me, copy), PAM_AUTH_ERR, "signature one character too long (bad base64url) refused");
    free(copy);
    /* white space is trimmed */
    copy = malloc(n + 8);
    snprintf(copy, n + 8, " \t%s\r\n ", t);
    is_int(auth(me, copy), PAM_SUCCESS, "rule 1: surrounding white space trimmed");
    free(copy);
    free(t);
    /* garbage sizes */
    char *big = malloc(100 * 1024 + 1);
    memset(big, 'A', 100 * 1024);
    big[100 * 1024] = '\0';
    big[10] = '.';
    big[20] = '.';
    is_int(auth(me, big), PAM_AUTH_ERR, "100 KiB of JWT-shaped garbage refused unparsed");
    ok(log_has("exceeds the 16384-byte limit"), "reason logged: size limit");
    memset(big, 0xff, 100 * 1024);
    is_int(auth(me, big), PAM_AUTH_ERR, "100 KiB of binary garbage refused (rule 1 before rule 2)");
    free(big);
}

void test_malformed(void)
{
    char *c = claims(me, 300, NULL);
    test_malformed_json(c);
    test_malformed_nesting_nul_base64url(c);
    test_malformed_sizes();
    free(c);
}

/* A valid token of exactly len bytes (padding claim adjusted). */
static char *token_of_len(size_t len)
{
    for (size_t pad = len > 400 ? (len - 400) * 3 / 4 : 0; pad < len; pad++) {
        for (int variant = 0; variant < 4; variant++) {
            char *ex = malloc(pad + 64);
            snprintf(ex, pad + 64, "\"pad\":\"");
            size_t o = strlen(ex);
            memset(ex + o, 'p', pad);
            strcpy(ex + o + pad, "\"");
            /* the header's length moves in other steps than the payload's */
            const char *kids[] = {NULL, "k", "kk", "kkk"};
            char *t = es256_kid(me, 300, ex, kids[variant]);
            free(ex);
            if (strlen(t) == len)
                return t;
            size_t got = strlen(t);
            free(t);
            if (got > len + 8)
                return NULL;
        }
    }
    return NULL;
}

void test_sizes(void)
{
    conf(NULL);
    char *t = token_of_len(900);
    ok(t != NULL, "made a 900-byte token");
    is_int(auth(me, t), PAM_SUCCESS, "900-byte token through the prompt accepted");
    free(t);
    t = token_of_len(16384);
    ok(t != NULL && strlen(t) == 16384, "made a 16,384-byte token");
    is_int(auth(me, t), PAM_SUCCESS, "rule 1: 16,384-byte token accepted");
    free(t);
    t = token_of_len(16385);
    ok(t != NULL && strlen(t) == 16385, "made a 16,385-byte token");
    is_int(auth(me, t), PAM_AUTH_ERR, "rule 1: 16,385-byte token refused");
    free(t);
}
