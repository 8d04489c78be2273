/* pamjwt mint: sign a token to set up or test a host.  One signing path
 * for every algorithm: pj_sign_evp (OpenSSL EVP, src/tool/sign.c). */
#include "config.h"

#include "cli.h"
#include "cli_jwk.h"
#include "cli_store.h"
#include "cliout.h"
#include "keys.h"
#include "pjconfig.h"
#include "safefile.h"
#include "sign.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --claim NAME=VALUE: VALUE that parses as JSON (number, true/false, array,
 * object, null) is used as JSON; anything else is a string. */
static int add_claim(json_t *claims, const char *arg)
{
    const char *eq = strchr(arg, '=');
    json_error_t e;
    if (eq == NULL || eq == arg)
        return -1;
    char *name = pj_strndup(arg, (size_t)(eq - arg));
    json_t *v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (v == NULL || json_is_string(v)) {
        if (v)
            json_decref(v);
        v = json_string(eq + 1);
    }
    int rc = (name && v) ? json_object_set_new(claims, name, v) : -1;
    free(name);
    return rc;
}

/* Header {"alg":ALG,"typ":"JWT"[,"kid":KID]} and the claims, signed. */
static char *sign_token(pj_alg alg, EVP_PKEY *pk, const unsigned char *secret, size_t secret_len,
                        json_t *claims, const char *kid)
{
    json_t *hdr = json_pack("{s:s, s:s}", "alg", pj_alg_get(alg)->name, "typ", "JWT");
    char *hj = NULL, *cj = NULL, *tok = NULL;
    if (hdr == NULL || (kid && json_object_set_new(hdr, "kid", json_string(kid)) != 0))
        goto out;
    hj = json_dumps(hdr, JSON_COMPACT);
    cj = json_dumps(claims, JSON_COMPACT);
    if (hj && cj)
        tok = pj_sign_evp(alg, pk, secret, secret_len, hj, cj);
out:
    free(hj);
    free(cj);
    json_decref(hdr);
    return tok;
}

int pj_cmd_mint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'}, {"alg", required_argument, NULL, 'a'},
        {"sub", required_argument, NULL, 's'}, {"ttl", required_argument, NULL, 't'},
        {"claim", required_argument, NULL, 'c'}, {"kid", required_argument, NULL, 'i'},
        {"aud", required_argument, NULL, 'A'}, {"iss", required_argument, NULL, 'I'},
        {"holder-key", required_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    const char *keypath = NULL, *algname = NULL, *sub = NULL, *kid = NULL, *aud = NULL,
               *iss = NULL, *holder = NULL;
    int64_t ttl = 300;
    json_t *claims = json_object(), *extra = json_object();
    int o, rc = 2;
    char *key = NULL, *tok = NULL;
    size_t keylen = 0, keysize = 0; /* keylen: without an HMAC secret's newline */
    EVP_PKEY *pk = NULL;

    if (claims == NULL || extra == NULL)
        goto out;
    while ((o = getopt_long(argc, argv, "k:a:s:t:c:i:A:I:H:", opts, NULL)) != -1) {
        switch (o) {
        case 'k': keypath = optarg; break;
        case 'a': algname = optarg; break;
        case 's': sub = optarg; break;
        case 't':
            if (pj_parse_int64(optarg, 1, PJ_MAX_MAX_LIFETIME, &ttl) != 0) {
                pj_cli_line(stderr, "pamjwt: --ttl wants seconds from 1 to %d",
                            PJ_MAX_MAX_LIFETIME);
                goto out;
            }
            break;
        case 'c':
            if (add_claim(extra, optarg) != 0) {
                pj_cli_line(stderr, "pamjwt: --claim wants NAME=VALUE");
                goto out;
            }
            break;
        case 'i': kid = optarg; break;
        case 'A': aud = optarg; break;
        case 'I': iss = optarg; break;
        case 'H': holder = optarg; break; /* bind the token: cnf.jkt */
        default: pj_cli_usage(stderr, "mint"); goto out;
        }
    }
    if (keypath == NULL || sub == NULL || optind != argc) {
        pj_cli_usage(stderr, "mint");
        goto out;
    }
    if (pj_cli_read_secret(keypath, "--key", PJ_MAX_KEY_SIZE, &key, &keysize) != 0)
        goto out;
    keylen = keysize;
    int alg = algname ? pj_alg_from_name(algname) : -1;
    if (algname && alg < 0) {
        pj_cli_line(stderr, "pamjwt: unknown or unsupported algorithm %s", algname);
        goto out;
    }
    bool hmac = alg >= 0 && pj_alg_get(alg)->fam == PJ_FAM_HMAC;
    if (hmac) {
        /* exactly what the module strips: one "\n" or "\r\n" */
        if (keylen > 0 && key[keylen - 1] == '\n') {
            keylen--;
            if (keylen > 0 && key[keylen - 1] == '\r')
                keylen--;
        }
        if (keylen == 0) {
            pj_cli_line(stderr, "pamjwt: %s holds no secret", keypath);
            goto out;
        }
    } else {
        BIO *b = BIO_new_mem_buf(key, (int)keylen);
        pk = b ? PEM_read_bio_PrivateKey(b, NULL, pj_cli_no_passphrase, NULL) : NULL;
        BIO_free(b);
        if (pk == NULL) {
            pj_cli_line(stderr, "pamjwt: %s is not an unencrypted PEM private key", keypath);
            goto out;
        }
        int def = pj_alg_for_key(pk);
        if (alg < 0)
            alg = def;
        pj_keyset ks = {0};
        pj_log log = {pj_cli_emit_stderr, NULL, false};
        if (alg < 0 || pj_keys_add_pkey(&ks, pk, keypath, NULL, -1, &log) != 0 ||
            !pj_alg_fits_key(alg, &ks.v[0])) {
            pj_cli_line(stderr, "pamjwt: the key does not fit algorithm %s",
                        alg >= 0 ? pj_alg_get(alg)->name : "?");
            if (ks.n)
                ks.v[0].pkey = NULL; /* still ours */
            pj_keyset_free(&ks);
            goto out;
        }
        ks.v[0].pkey = NULL;
        pj_keyset_free(&ks);
    }

    unsigned char rnd[16];
    char jti[33];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        goto out;
    for (int i = 0; i < 16; i++)
        snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
    int64_t now = (int64_t)time(NULL); /* never through long: 32 bits on i386 */
    json_object_set_new(claims, "sub", json_string(sub));
    json_object_set_new(claims, "iat", json_integer(now));
    json_object_set_new(claims, "exp", json_integer(now + ttl));
    json_object_set_new(claims, "jti", json_string(jti));
    if (aud)
        json_object_set_new(claims, "aud", json_string(aud));
    if (iss)
        json_object_set_new(claims, "iss", json_string(iss));
    json_object_update(claims, extra);
    if (holder && pj_cli_mint_cnf(claims, holder) != 0)
        goto out;

    tok = sign_token((pj_alg)alg, pk, hmac ? (const unsigned char *)key : NULL,
                     hmac ? keylen : 0, claims, kid);
    if (tok == NULL) {
        pj_cli_line(stderr, "pamjwt: signing failed");
        goto out;
    }
    printf("%s\n", tok); /* base64url and dots only */
    size_t tl = strlen(tok);
    if (tl > 511)
        pj_cli_line(stderr, "pamjwt: warning: token is %zu bytes: sudo refuses answers of 512 "
                            "bytes or more", tl);
    if (tl > 1023)
        pj_cli_line(stderr, "pamjwt: warning: token is %zu bytes: too long for the OpenSSH "
                            "client (ssh)", tl);
    rc = 0;
out:
    if (key)
        pj_wipe_free(key, keysize + 1);
    EVP_PKEY_free(pk);
    if (tok)
        pj_wipe_free(tok, strlen(tok));
    json_decref(claims);
    json_decref(extra);
    return rc;
}
