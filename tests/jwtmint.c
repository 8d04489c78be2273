/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helper: make keys and tokens for the shell tests.
 *   jwtmint keygen TYPE PRIV.pem PUB.pem [CERT.pem] [JWK-KID]
 *   jwtmint sign ALG KEYFILE CLAIMS_JSON [KID]     libjwt (EVP for PS*, EdDSA)
 *   jwtmint raw ALG KEYFILE HEADER_JSON PAYLOAD_JSON  exact header, EVP
 * KEYFILE is a PEM private key, or for HS* the secret file.  A literal
 * "@now" in JSON is replaced by the current time, "@now+N"/"@now-N" too. */
#include "config.h"

#include "testlib.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Replace @now, @now+N, @now-N with numbers. */
static char *expand_now(const char *in)
{
    size_t cap = strlen(in) * 2 + 64, o = 0;
    char *out = malloc(cap);
    long now = (long)time(NULL);
    for (const char *p = in; *p;) {
        if (strncmp(p, "@now", 4) == 0) {
            long v = now;
            char *end = (char *)p + 4;
            if (*end == '+' || *end == '-')
                v += strtol(end, &end, 10);
            o += (size_t)snprintf(out + o, cap - o, "%ld", v);
            p = end;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static EVP_PKEY *read_priv(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return k;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "keygen") == 0) {
        EVP_PKEY *k = tl_keygen(argv[2]);
        if (k == NULL || tl_write_priv(k, argv[3]) || tl_write_pub(k, argv[4]) ||
            (argc > 5 && strcmp(argv[5], "-") != 0 && tl_write_cert(k, argv[5])))
            return 2;
        if (argc > 6) {
            char *jwk = tl_jwk(k, argv[6], NULL, NULL);
            puts(jwk);
            free(jwk);
        }
        EVP_PKEY_free(k);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "sign") == 0) {
        const char *alg = argv[2];
        size_t kl = 0;
        char *key = slurp(argv[3], &kl), *claims = expand_now(argv[4]), *tok = NULL;
        if (key == NULL)
            return 2;
        if (alg[0] == 'P' || (alg[0] == 'E' && alg[1] == 'd')) {
            char hdr[256];
            EVP_PKEY *k = read_priv(argv[3]);
            if (argc > 5)
                snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg,
                         argv[5]);
            else
                snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
            tok = k ? tl_sign_raw(hdr, claims, alg, k, NULL, 0) : NULL;
            EVP_PKEY_free(k);
        } else {
            if (alg[0] == 'H' && kl > 0 && key[kl - 1] == '\n')
                kl--;
            tok = tl_sign_libjwt(alg, (unsigned char *)key, kl, claims, argc > 5 ? argv[5] : NULL);
        }
        free(key);
        free(claims);
        if (tok == NULL)
            return 2;
        puts(tok);
        free(tok);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "raw") == 0) {
        const char *alg = argv[2];
        size_t kl = 0;
        char *hdr = expand_now(argv[4]), *payload = expand_now(argv[5]), *tok;
        if (alg[0] == 'H') {
            char *key = slurp(argv[3], &kl);
            if (key == NULL)
                return 2;
            if (kl > 0 && key[kl - 1] == '\n')
                kl--;
            tok = tl_sign_raw(hdr, payload, alg, NULL, (unsigned char *)key, kl);
            free(key);
        } else {
            EVP_PKEY *k = read_priv(argv[3]);
            if (k == NULL)
                return 2;
            tok = tl_sign_raw(hdr, payload, alg, k, NULL, 0);
            EVP_PKEY_free(k);
        }
        free(hdr);
        free(payload);
        puts(tok);
        free(tok);
        return 0;
    }
    fprintf(stderr, "usage: jwtmint keygen|sign|raw ...\n");
    return 2;
}
