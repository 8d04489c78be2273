/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt login: OpenID Connect discovery, then the OAuth 2.0 Device
 * Authorization Grant (RFC 8628) with DPoP proofs (RFC 9449) so the server
 * binds the access token to the holder key; the token is stored for
 * `pamjwt token` and `pamjwt askpass`. */
#include "config.h"

#include "b64url.h"
#include "cli.h"
#include "cli_device.h"
#include "cli_http.h"
#include "cli_jwk.h"
#include "cli_store.h"
#include "cliout.h"
#include "jose.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct login {
    pj_dgrant g;       /* issuer, client id, scope, resource, endpoints */
    EVP_PKEY *key;
    char *jkt;
    char *dir;
} login;

static void usage(void)
{
    fprintf(stderr, "usage: pamjwt login --issuer URL --client-id ID [--scope S] [--resource R]\n"
                    "                    [--ca-file FILE]\n");
}

/* The holder key: $PAMJWT_HOLDER_KEY, else DIR/holder.pem, made (EC P-256)
 * when there is none. */
static int holder_key(login *L)
{
    const char *env = getenv("PAMJWT_HOLDER_KEY");
    char *path = NULL;
    if (env && *env) {
        L->key = pj_cli_key_load(env);
    } else {
        EVP_PKEY *k = NULL;
        char *pem = NULL;
        size_t pl = 0;
        path = pj_store_path(L->dir, PJ_STORE_HOLDER);
        if (path == NULL)
            return -1;
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            k = pj_cli_key_generate();
            pem = k ? pj_cli_key_pem(k, &pl) : NULL;
            EVP_PKEY_free(k);
            if (pem == NULL ||
                pj_store_create(L->dir, PJ_STORE_HOLDER, pem, pl) == PJ_STORE_FAILED) {
                pj_logf(&pj_cli_log, LOG_ERR, "cannot make a holder key in %s", path);
                if (pem)
                    pj_wipe_free(pem, pl);
                free(path);
                return -1;
            }
            pj_wipe_free(pem, pl);
            pj_cli_line(stderr, "pamjwt: new holder key %s", path);
        }
        L->key = pj_cli_key_load(path); /* the file, whoever made it */
    }
    free(path);
    if (L->key == NULL)
        return -1;
    L->jkt = pj_cli_jwk_thumbprint(L->key);
    return L->jkt ? 0 : -1;
}

/* RFC 9449 section 4.2: a DPoP proof for a POST to the token endpoint. */
static char *dpop_proof(void *ctx, const char *nonce)
{
    login *L = ctx;
    size_t hl = strcspn(L->g.token_ep, "?#"); /* htu: without query and fragment */
    char *htu = pj_strndup(L->g.token_ep, hl), *jti = pj_cli_random_b64url(16), *out = NULL;
    json_t *c = (htu && jti) ? json_pack("{s:s, s:s, s:s, s:I}", "jti", jti, "htm", "POST",
                                         "htu", htu, "iat", (json_int_t)time(NULL))
                             : NULL;
    if (c && (nonce == NULL || json_object_set_new(c, "nonce", json_string(nonce)) == 0))
        out = pj_cli_jws_with_jwk(L->key, "dpop+jwt", c);
    json_decref(c);
    free(htu);
    free(jti);
    return out;
}

/* RFC 8628 3.3: tell the user what to do.  The address and the code come
 * from the identity provider: escaped, backslashes too, as log lines are. */
static int show(void *ctx, const char *vu, const char *uc, const char *vc, long expires_in)
{
    const char *url = vc ? vc : vu;
    char *addr = pj_cli_escape(url, strlen(url)), *code = pj_cli_escape(uc, strlen(uc));
    (void)ctx;
    if (addr == NULL || code == NULL) {
        free(addr);
        free(code);
        pj_logf(&pj_cli_log, LOG_ERR, "out of memory");
        return -1;
    }
    pj_cli_line(stderr, "To log in, open this address in a browser:");
    pj_cli_line(stderr, "  %s", addr);
    if (vc)
        pj_cli_line(stderr, "and check that it shows the code %s", code);
    else
        pj_cli_line(stderr, "and enter the code %s", code);
    pj_cli_line(stderr, "Waiting for the login to be approved (up to %ld seconds)...", expires_in);
    free(addr);
    free(code);
    return 0;
}

/* The issued access token: a JWT the module can take, not yet expired;
 * warn when it is not bound to the holder key. */
static int check_token(login *L, const char *tok, size_t n, double *exp)
{
    const char *why = NULL;
    json_t *claims, *jkt;

    if (n > PJ_MAX_TOKEN) {
        pj_logf(&pj_cli_log, LOG_ERR, "the access token is %zu bytes: pam_jwt takes at most %d", n,
                PJ_MAX_TOKEN);
        return -1;
    }
    if (pj_token_check_exp(tok, n, (double)time(NULL), exp, &why) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "the access token cannot be used with pam_jwt: %s (the "
                                      "provider must issue JWT access tokens)", why);
        return -1;
    }
    claims = pj_token_claims(tok, n, &why);
    jkt = json_object_get(json_object_get(claims, "cnf"), "jkt");
    if (!json_is_string(jkt))
        pj_cli_line(stderr, "pamjwt: warning: the token is not bound to the holder key (no "
                            "cnf.jkt): hosts with require_pop = yes refuse it");
    else if (strcmp(json_string_value(jkt), L->jkt) != 0)
        pj_cli_line(stderr, "pamjwt: warning: the token is bound to another key than the holder "
                            "key (cnf.jkt differs): proofs of possession will fail");
    json_decref(claims);
    return 0;
}

/* Store the access token of a successful answer: 0, or -1 (told). */
static int take_token(void *ctx, json_t *o)
{
    login *L = ctx;
    json_t *atv = json_object_get(o, "access_token");
    const char *at = json_string_value(atv);
    double exp = 0;
    if (at == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "token endpoint: no access_token in the answer");
        return -1;
    }
    char *name = pj_store_token_name(L->g.issuer, L->g.resource);
    /* token.KEY for this issuer and resource; "token" (the contract's
     * file, read by scripts) holds the latest login's token */
    if (name == NULL || check_token(L, at, strlen(at), &exp) != 0 ||
        pj_store_write(L->dir, name, at, strlen(at)) != 0 ||
        pj_store_write(L->dir, PJ_STORE_TOKEN, at, strlen(at)) != 0) {
        free(name);
        return -1;
    }
    char when[64] = "?";
    struct tm tm;
    /* local time while time_t holds exp (32 bits on i386: up to 2038), else UTC */
    if (exp < (sizeof(time_t) < 8 ? 2147483647.0 : 253402300799.0)) {
        time_t t = (time_t)exp;
        if (localtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
    } else {
        pj_cli_utc(when, sizeof(when), exp);
    }
    /* one token per issuer and resource: a login for another resource
     * keeps this one */
    pj_cli_line(stderr, "pamjwt: logged in; token for %s%s%s stored in %s/%s, valid until %s",
                L->g.issuer, L->g.resource ? ", resource " : "", L->g.resource ? L->g.resource : "",
                L->dir, name, when);
    free(name);
    return 0;
}

int pj_cmd_login(int argc, char **argv)
{
    static const struct option opts[] = {{"issuer", required_argument, NULL, 'i'},
                                         {"client-id", required_argument, NULL, 'c'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"ca-file", required_argument, NULL, 'C'},
                                         {NULL, 0, NULL, 0}};
    login L = {0};
    const char *why = NULL;
    int o, rc = 1;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'i': L.g.issuer = optarg; break;
        case 'c': L.g.client_id = optarg; break;
        case 's': L.g.scope = optarg; break;
        case 'r': L.g.resource = optarg; break;
        case 'C': L.g.http.ca_file = optarg; break;
        default: usage(); return 2;
        }
    }
    if (L.g.issuer == NULL || L.g.client_id == NULL || !*L.g.client_id || optind != argc) {
        usage();
        return 2;
    }
    if (pj_http_url_ok(L.g.issuer, &why) != 0 || strchr(L.g.issuer, '?') != NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "--issuer %s refused: %s", L.g.issuer,
                why ? why : "an issuer has no query");
        return 1;
    }
    if (pj_http_init() != 0)
        return 1;
    L.dir = pj_store_dir(true);
    if (L.dir && holder_key(&L) == 0 && pj_dg_discover(&L.g) == 0 &&
        pj_dg_authorize(&L.g, 0, show, &L) == 0 &&
        pj_dg_poll(&L.g, dpop_proof, take_token, &L) == PJ_DG_DONE)
        rc = 0;
    pj_dg_free(&L.g);
    free(L.jkt);
    free(L.dir);
    EVP_PKEY_free(L.key);
    pj_http_cleanup();
    return rc;
}
