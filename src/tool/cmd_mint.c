/* SPDX-License-Identifier: BSD-3-Clause */
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
#include <sys/stat.h>
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

/* The command line. */
typedef struct mint_args {
    const char *keypath, *algname, *sub, *kid, *aud, *iss, *holder;
    int64_t ttl;
    json_t *extra; /* the --claim NAME=VALUE claims */
} mint_args;

/* 0, or 2 (usage error, told). */
static int parse_args(int argc, char **argv, mint_args *m)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'}, {"alg", required_argument, NULL, 'a'},
        {"sub", required_argument, NULL, 's'}, {"ttl", required_argument, NULL, 't'},
        {"claim", required_argument, NULL, 'c'}, {"kid", required_argument, NULL, 'i'},
        {"aud", required_argument, NULL, 'A'}, {"iss", required_argument, NULL, 'I'},
        {"holder-key", required_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    int o;

    while ((o = getopt_long(argc, argv, "k:a:s:t:c:i:A:I:H:", opts, NULL)) != -1) {
        switch (o) {
        case 'k': m->keypath = optarg; break;
        case 'a': m->algname = optarg; break;
        case 's': m->sub = optarg; break;
        case 't':
            if (pj_parse_int64(optarg, 1, PJ_MAX_MAX_LIFETIME, &m->ttl) != 0) {
                pj_cli_line(stderr, "pamjwt: --ttl wants seconds from 1 to %d",
                            PJ_MAX_MAX_LIFETIME);
                return 2;
            }
            break;
        case 'c':
            if (add_claim(m->extra, optarg) != 0) {
                pj_cli_line(stderr, "pamjwt: --claim wants NAME=VALUE");
                return 2;
            }
            break;
        case 'i': m->kid = optarg; break;
        case 'A': m->aud = optarg; break;
        case 'I': m->iss = optarg; break;
        case 'H': m->holder = optarg; break; /* bind the token: cnf.jkt */
        default: pj_cli_usage(stderr, "mint"); return 2;
        }
    }
    if (m->keypath == NULL || m->sub == NULL || optind != argc) {
        pj_cli_usage(stderr, "mint");
        return 2;
    }
    return 0;
}

/* The signing key read from --key (k->key, k->size bytes): an HMAC
 * secret (k->len without its newline), or a private key (k->pk); the
 * algorithm from --alg or the key's own. */
typedef struct mint_key {
    char *key;
    size_t size, len;
    EVP_PKEY *pk;
    int alg;
    bool hmac;
} mint_key;

/* A private key for --alg (or its default algorithm): 0, or -1 (told). */
static int take_private_key(mint_key *k, const char *keypath)
{
    BIO *b = BIO_new_mem_buf(k->key, (int)k->len);
    pj_keyset ks = {0};
    pj_log log = {pj_cli_emit_stderr, NULL, false};
    int rc = -1;

    k->pk = b ? PEM_read_bio_PrivateKey(b, NULL, pj_cli_no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (k->pk == NULL) {
        pj_cli_line(stderr, "pamjwt: %s is not an unencrypted PEM private key", keypath);
        return -1;
    }
    if (k->alg < 0)
        k->alg = pj_alg_for_key(k->pk);
    if (k->alg < 0 || pj_keys_add_pkey(&ks, k->pk, keypath, NULL, -1, &log) != 0 ||
        !pj_alg_fits_key(k->alg, &ks.v[0]))
        pj_cli_line(stderr, "pamjwt: the key does not fit algorithm %s",
                    k->alg >= 0 ? pj_alg_get(k->alg)->name : "?");
    else
        rc = 0;
    if (ks.n)
        ks.v[0].pkey = NULL; /* still ours */
    pj_keyset_free(&ks);
    return rc;
}

/* Read --key and check it against --alg: 0, or -1 (told). */
static int load_key(const mint_args *m, mint_key *k)
{
    /* Safe like every file (a link, another owner or a group-writable key
     * could be swapped under us: refused), but a key readable by others
     * only warns: mint is a testing tool, and keys written by libraries
     * are often 0644; the signature is the same either way. */
    struct stat st;
    if (pj_cli_read_file(m->keypath, "--key", PJ_FILE_PUBLIC, PJ_MAX_KEY_SIZE, &k->key,
                         &k->size) != 0)
        return -1;
    if (stat(m->keypath, &st) == 0 && (st.st_mode & 044) != 0)
        pj_cli_line(stderr, "pamjwt: warning: --key %s is readable by group or others "
                            "(chmod 600 it)", m->keypath);
    k->len = k->size;
    k->alg = m->algname ? pj_alg_from_name(m->algname) : -1;
    if (m->algname && k->alg < 0) {
        pj_cli_line(stderr, "pamjwt: unknown or unsupported algorithm %s", m->algname);
        return -1;
    }
    k->hmac = k->alg >= 0 && pj_alg_get(k->alg)->fam == PJ_FAM_HMAC;
    if (!k->hmac)
        return take_private_key(k, m->keypath);
    /* exactly what the module strips: one "\n" or "\r\n" */
    if (k->len > 0 && k->key[k->len - 1] == '\n') {
        k->len--;
        if (k->len > 0 && k->key[k->len - 1] == '\r')
            k->len--;
    }
    if (k->len == 0) {
        pj_cli_line(stderr, "pamjwt: %s holds no secret", m->keypath);
        return -1;
    }
    return 0;
}

static void mint_key_free(mint_key *k)
{
    if (k->key)
        pj_wipe_free(k->key, k->size + 1);
    EVP_PKEY_free(k->pk);
}

/* sub, iat, exp, a random jti, aud, iss, then the --claim claims (which
 * may replace any of them) and cnf for --holder-key: 0, or -1. */
static int fill_claims(json_t *claims, const mint_args *m)
{
    unsigned char rnd[16];
    char jti[33];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
    int64_t now = (int64_t)time(NULL); /* never through long: 32 bits on i386 */
    json_object_set_new(claims, "sub", json_string(m->sub));
    json_object_set_new(claims, "iat", json_integer(now));
    json_object_set_new(claims, "exp", json_integer(now + m->ttl));
    json_object_set_new(claims, "jti", json_string(jti));
    if (m->aud)
        json_object_set_new(claims, "aud", json_string(m->aud));
    if (m->iss)
        json_object_set_new(claims, "iss", json_string(m->iss));
    json_object_update(claims, m->extra);
    if (m->holder && pj_cli_mint_cnf(claims, m->holder) != 0)
        return -1;
    return 0;
}

int pj_cmd_mint(int argc, char **argv)
{
    mint_args m = {.ttl = 300, .extra = json_object()};
    mint_key k = {0};
    json_t *claims = json_object();
    int rc = 2;
    char *tok = NULL;

    if (claims == NULL || m.extra == NULL || parse_args(argc, argv, &m) != 0 ||
        load_key(&m, &k) != 0 || fill_claims(claims, &m) != 0)
        goto out;
    tok = sign_token((pj_alg)k.alg, k.pk, k.hmac ? (const unsigned char *)k.key : NULL,
                     k.hmac ? k.len : 0, claims, m.kid);
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
    mint_key_free(&k);
    if (tok)
        pj_wipe_free(tok, strlen(tok));
    json_decref(claims);
    json_decref(m.extra);
    return rc;
}
