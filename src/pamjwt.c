/* pamjwt: the administrator's tool.
 *   pamjwt check  -- the module's decision for a token, same code path
 *   pamjwt mint   -- sign a token to set up or test a host
 * and the user's (cli_*.c): login, token, askpass. */
#include "config.h"

#include "b64url.h"
#include "cli.h"
#include "cli_jwk.h"
#include "decide.h"
#include "jose.h"
#include "keys.h"
#include "pjconfig.h"
#include "safefile.h"
#include "sign.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <jwt.h>
#include <math.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_STDIN (1024 * 1024)

static bool verbose;

static void emit_stderr(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    if (prio <= LOG_WARNING || verbose)
        fprintf(stderr, "pamjwt: %s\n", msg);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pamjwt check [--config PATH] [--user NAME] [--at UNIXTIME] [--debug] < token\n"
            "       pamjwt mint --key PRIVATE.pem [--alg ALG] --sub S [--ttl SECONDS]\n"
            "                   [--claim NAME=VALUE ...] [--kid K] [--aud A] [--iss I]\n"
            "                   [--holder-key PRIVATE.pem]\n"
            "       pamjwt login --issuer URL --client-id ID [--scope S] [--resource R]\n"
            "                    [--ca-file FILE]\n"
            "       pamjwt token\n"
            "       pamjwt askpass PROMPT\n"
            "       pamjwt --version\n");
}

static int version(void)
{
    printf("pamjwt (pam_jwt) %s\n", PACKAGE_VERSION);
    printf("verifies: %s\n", PJ_VERIFY_ALGS);
    printf("libjwt signs: %s (mint uses OpenSSL EVP for the rest)\n", PJ_LIBJWT_ALGS);
    printf("default config: %s\n", PJ_DEFAULT_CONFIG);
    return 0;
}

static void print_json(const char *label, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (s) {
        printf("%s: %s\n", label, s);
        free(s);
    }
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"debug", no_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    const char *config = PJ_DEFAULT_CONFIG, *user = NULL;
    double now = pj_now();
    int o;
    pj_log log = {emit_stderr, NULL, false};

    while ((o = getopt_long(argc, argv, "c:u:a:d", opts, NULL)) != -1) {
        switch (o) {
        case 'c': config = optarg; break;
        case 'u': user = *optarg ? optarg : NULL; break; /* empty = unset, as in the module */
        case 'a': {
            char *end;
            errno = 0;
            double at = strtod(optarg, &end);
            if (errno || *end || end == optarg || !isfinite(at) || at < 0) {
                fprintf(stderr, "pamjwt: --at wants a UNIX time in seconds\n");
                return 2;
            }
            now = at;
            break;
        }
        case 'd': log.debug = verbose = true; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (config[0] != '/') {
        fprintf(stderr, "pamjwt: --config wants an absolute path\n");
        return 2;
    }
    char *buf = malloc(MAX_STDIN + 1);
    size_t n = 0;
    if (buf == NULL)
        return 2;
    while (n < MAX_STDIN) {
        size_t r = fread(buf + n, 1, MAX_STDIN - n, stdin);
        if (r == 0)
            break;
        n += r;
    }
    buf[n] = '\0';

    pj_request rq = {0};
    pj_decision d;
    rq.config_path = config;
    rq.input = buf;
    rq.input_len = n;
    rq.pam_user = user;
    rq.now = now;
    rq.consume = false; /* check never uses up a one-time token */
    rq.keep_json = true;
    rq.check_all_keys = true;
    rq.log = &log;
    pj_decide(&rq, &d);

    const char *t = buf;
    size_t tl = n;
    pj_trim(&t, &tl);
    printf("decision: %s\n", pj_result_name(d.result));
    printf("reason: %s\n", d.result == PJ_ACCEPT ? "all checks passed" : d.reason);
    if (d.user)
        printf("user: %s\n", d.user);
    print_json("header", d.header);
    print_json("claims", d.claims);
    if (tl > 1023)
        printf("warning: token is %zu bytes: too long for the OpenSSH client (ssh sends at most "
               "1023 characters)\n", tl);
    if (tl > 511)
        printf("warning: token is %zu bytes: sudo refuses answers of 512 bytes or more\n", tl);
    int rc = d.result == PJ_ACCEPT ? 0 : d.result == PJ_UNAVAIL ? 2 : 1;
    pj_decision_free(&d);
    pj_wipe_free(buf, MAX_STDIN + 1);
    return rc;
}

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

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n = 0;
    if (f == NULL)
        return NULL;
    buf = malloc(PJ_MAX_KEY_SIZE + 1);
    if (buf)
        n = fread(buf, 1, PJ_MAX_KEY_SIZE, f);
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool libjwt_signs(const char *alg)
{
    char list[] = PJ_LIBJWT_ALGS;
    for (char *save = NULL, *w = strtok_r(list, " ", &save); w; w = strtok_r(NULL, " ", &save))
        if (strcmp(w, alg) == 0)
            return true;
    return false;
}

/* libjwt: the header it writes is {"alg":..,"typ":"JWT"[,"kid":..]}. */
static char *mint_libjwt(const char *alg, const char *key, size_t keylen, json_t *claims,
                         const char *kid)
{
    jwt_t *j = NULL;
    char *cj = json_dumps(claims, JSON_COMPACT), *tok = NULL;
    if (cj == NULL || jwt_new(&j) != 0)
        goto out;
    if (jwt_add_grants_json(j, cj) != 0 || (kid && jwt_add_header(j, "kid", kid) != 0) ||
        jwt_set_alg(j, jwt_str_alg(alg), (const unsigned char *)key, (int)keylen) != 0)
        goto out;
    tok = jwt_encode_str(j);
out:
    jwt_free(j);
    free(cj);
    return tok;
}

/* Never prompt for a pass phrase: mint is for scripts and tests. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static int cmd_mint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'}, {"alg", required_argument, NULL, 'a'},
        {"sub", required_argument, NULL, 's'}, {"ttl", required_argument, NULL, 't'},
        {"claim", required_argument, NULL, 'c'}, {"kid", required_argument, NULL, 'i'},
        {"aud", required_argument, NULL, 'A'}, {"iss", required_argument, NULL, 'I'},
        {"holder-key", required_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    const char *keypath = NULL, *algname = NULL, *sub = NULL, *kid = NULL, *aud = NULL,
               *iss = NULL, *holder = NULL;
    long ttl = 300;
    json_t *claims = json_object(), *extra = json_object();
    int o, rc = 2;
    char *key = NULL, *tok = NULL;
    size_t keylen = 0;
    EVP_PKEY *pk = NULL;

    while ((o = getopt_long(argc, argv, "k:a:s:t:c:i:A:I:H:", opts, NULL)) != -1) {
        switch (o) {
        case 'k': keypath = optarg; break;
        case 'a': algname = optarg; break;
        case 's': sub = optarg; break;
        case 't':
            if (pj_parse_long(optarg, 1, PJ_MAX_MAX_LIFETIME, &ttl) != 0) {
                fprintf(stderr, "pamjwt: --ttl wants seconds from 1 to %d\n", PJ_MAX_MAX_LIFETIME);
                goto out;
            }
            break;
        case 'c':
            if (add_claim(extra, optarg) != 0) {
                fprintf(stderr, "pamjwt: --claim wants NAME=VALUE\n");
                goto out;
            }
            break;
        case 'i': kid = optarg; break;
        case 'A': aud = optarg; break;
        case 'I': iss = optarg; break;
        case 'H': holder = optarg; break;
        default: usage(stderr); goto out;
        }
    }
    if (keypath == NULL || sub == NULL || optind != argc) {
        usage(stderr);
        goto out;
    }
    key = slurp(keypath, &keylen);
    if (key == NULL) {
        fprintf(stderr, "pamjwt: cannot read %s: %s\n", keypath, strerror(errno));
        goto out;
    }
    int alg = algname ? pj_alg_from_name(algname) : -1;
    if (algname && alg < 0) {
        fprintf(stderr, "pamjwt: unknown or unsupported algorithm %s\n", algname);
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
    } else {
        BIO *b = BIO_new_mem_buf(key, (int)keylen);
        pk = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
        BIO_free(b);
        if (pk == NULL) {
            fprintf(stderr, "pamjwt: %s is not an unencrypted PEM private key\n", keypath);
            goto out;
        }
        int def = pj_alg_for_key(pk);
        if (alg < 0)
            alg = def;
        pj_keyset ks = {0};
        pj_log log = {emit_stderr, NULL, false};
        if (alg < 0 || pj_keys_add_pkey(&ks, pk, keypath, NULL, -1, &log) != 0 ||
            !pj_alg_fits_key(alg, &ks.v[0])) {
            fprintf(stderr, "pamjwt: the key does not fit algorithm %s\n",
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
    long now = (long)time(NULL);
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

    const char *name = pj_alg_get(alg)->name;
    if (libjwt_signs(name)) {
        tok = mint_libjwt(name, key, keylen, claims, kid);
    } else {
        json_t *hdr = json_pack("{s:s, s:s}", "alg", name, "typ", "JWT");
        if (kid)
            json_object_set_new(hdr, "kid", json_string(kid));
        char *hj = json_dumps(hdr, JSON_COMPACT), *cj = json_dumps(claims, JSON_COMPACT);
        tok = (hj && cj) ? pj_sign_evp(alg, pk, NULL, 0, hj, cj) : NULL;
        free(hj);
        free(cj);
        json_decref(hdr);
    }
    if (tok == NULL) {
        fprintf(stderr, "pamjwt: signing failed\n");
        goto out;
    }
    printf("%s\n", tok);
    size_t tl = strlen(tok);
    if (tl > 511)
        fprintf(stderr, "pamjwt: warning: token is %zu bytes: sudo refuses answers of 512 bytes or more\n", tl);
    if (tl > 1023)
        fprintf(stderr, "pamjwt: warning: token is %zu bytes: too long for the OpenSSH client (ssh)\n", tl);
    rc = 0;
out:
    if (key)
        pj_wipe_free(key, PJ_MAX_KEY_SIZE + 1);
    EVP_PKEY_free(pk);
    if (tok)
        pj_wipe_free(tok, strlen(tok));
    json_decref(claims);
    json_decref(extra);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)
        return version();
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "mint") == 0)
        return cmd_mint(argc - 1, argv + 1);
    if (strcmp(argv[1], "login") == 0)
        return pj_cmd_login(argc - 1, argv + 1);
    if (strcmp(argv[1], "token") == 0)
        return pj_cmd_token(argc - 1, argv + 1);
    if (strcmp(argv[1], "askpass") == 0)
        return pj_cmd_askpass(argc - 1, argv + 1);
    usage(stderr);
    return 2;
}
