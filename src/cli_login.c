/* pamjwt login: OpenID Connect discovery, then the OAuth 2.0 Device
 * Authorization Grant (RFC 8628) with DPoP proofs (RFC 9449) so the server
 * binds the access token to the holder key; the token is stored for
 * `pamjwt token` and `pamjwt askpass`. */
#include "config.h"

#include "b64url.h"
#include "cli.h"
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

#define GRANT_DEVICE_CODE "urn:ietf:params:oauth:grant-type:device_code"
#define DEFAULT_INTERVAL 5     /* RFC 8628 3.5 */
#define MAX_INTERVAL 300       /* a server asking for more is capped here */
#define SLOW_DOWN_STEP 5       /* RFC 8628 3.5: slow_down adds 5 seconds */
#define MAX_EXPIRES_IN 3600    /* the longest wait for the user, whatever the server says */
#define MAX_FIELD 4096         /* longest device_code, user_code, URI accepted */

typedef struct login {
    const char *issuer, *client_id, *scope, *resource;
    pj_http http;
    char *device_ep, *token_ep;
    EVP_PKEY *key;
    char *jkt;
    char *dir;
} login;

static void usage(void)
{
    fprintf(stderr, "usage: pamjwt login --issuer URL --client-id ID [--scope S] [--resource R]\n"
                    "                    [--ca-file FILE]\n");
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic clock reads at least until. */
static void sleep_until(double until)
{
    for (double now = mono_now(); now < until; now = mono_now()) {
        double d = until - now;
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
            break;
    }
}

/* A string member no longer than MAX_FIELD, or NULL. */
static const char *str_member(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > MAX_FIELD)
        return NULL;
    return json_string_value(v);
}

/* The answer's JSON object, or NULL with a message. */
static json_t *answer_json(const char *url, const pj_http_resp *r)
{
    const char *why = NULL;
    json_t *o = pj_json_object(r->body, r->len, &why);
    if (o == NULL)
        pj_logf(&pj_cli_log, LOG_ERR, "%s: HTTP %ld, answer is not a JSON object (%s)", url,
                r->status, why);
    return o;
}

/* An OAuth error answer (RFC 6749 5.2), told to the user. */
static void say_oauth_error(const char *what, json_t *o)
{
    const char *err = str_member(o, "error"), *desc = str_member(o, "error_description");
    char e[128], d[512];
    pj_sanitize(e, sizeof(e), err ? err : "(none)", strlen(err ? err : "(none)"));
    pj_sanitize(d, sizeof(d), desc ? desc : "", strlen(desc ? desc : ""));
    pj_logf(&pj_cli_log, LOG_ERR, "%s: error %s%s%s", what, e, desc ? ": " : "", d);
}

static int endpoint(json_t *cfg, const char *name, char **out)
{
    const char *v = str_member(cfg, name), *why = NULL;
    if (v == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "discovery: no %s%s", name,
                strcmp(name, "device_authorization_endpoint") == 0
                    ? " (the provider does not offer the device authorization grant)"
                    : "");
        return -1;
    }
    if (pj_http_url_ok(v, &why) != 0) {
        char s[256];
        pj_sanitize(s, sizeof(s), v, strlen(v));
        pj_logf(&pj_cli_log, LOG_ERR, "discovery: %s %s refused: %s", name, s, why);
        return -1;
    }
    *out = strdup(v);
    return *out ? 0 : -1;
}

/* OpenID Connect Discovery 1.0 section 4. */
static int discover(login *L)
{
    size_t il = strlen(L->issuer);
    static const char wk[] = "/.well-known/openid-configuration";
    char *url;
    pj_http_resp r;
    json_t *cfg = NULL;
    const char *iss;
    int rc = -1;

    if (il > 0 && L->issuer[il - 1] == '/')
        il--; /* "any terminating / MUST be removed before appending" */
    url = malloc(il + sizeof(wk));
    if (url == NULL)
        return -1;
    memcpy(url, L->issuer, il);
    memcpy(url + il, wk, sizeof(wk));
    if (pj_http_request(&L->http, url, NULL, NULL, &r) != 0)
        goto out;
    if (r.status != 200) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: HTTP %ld (redirects are not followed)", url, r.status);
        goto out_r;
    }
    cfg = answer_json(url, &r);
    if (cfg == NULL)
        goto out_r;
    iss = str_member(cfg, "issuer");
    if (iss == NULL || strcmp(iss, L->issuer) != 0) {
        char s[256];
        pj_sanitize(s, sizeof(s), iss ? iss : "(none)", strlen(iss ? iss : "(none)"));
        pj_logf(&pj_cli_log, LOG_ERR, "discovery: issuer %s is not %s (refused)", s, L->issuer);
        goto out_r;
    }
    if (endpoint(cfg, "device_authorization_endpoint", &L->device_ep) != 0 ||
        endpoint(cfg, "token_endpoint", &L->token_ep) != 0)
        goto out_r;
    rc = 0;
out_r:
    json_decref(cfg);
    pj_http_resp_free(&r);
out:
    free(url);
    return rc;
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
            if (pem == NULL || pj_store_create(L->dir, PJ_STORE_HOLDER, pem, pl) < 0) {
                pj_logf(&pj_cli_log, LOG_ERR, "cannot make a holder key in %s", path);
                if (pem)
                    pj_wipe_free(pem, pl);
                free(path);
                return -1;
            }
            pj_wipe_free(pem, pl);
            fprintf(stderr, "pamjwt: new holder key %s\n", path);
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
static char *dpop_proof(login *L, const char *nonce)
{
    size_t hl = strcspn(L->token_ep, "?#"); /* htu: without query and fragment */
    char *htu = pj_strndup(L->token_ep, hl), *jti = pj_cli_random_b64url(16), *out = NULL;
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

typedef struct device {
    char *device_code;
    double deadline; /* monotonic */
    long interval;
} device;

/* RFC 8628 section 3.1-3.3: ask for a device code, show the user what to do. */
static int authorize(login *L, device *D)
{
    char *form = NULL;
    pj_http_resp r;
    json_t *o = NULL;
    const char *dc, *uc, *vu, *vc;
    json_t *ex, *iv;
    json_int_t e, i;
    int rc = -1;

    if (pj_http_form_add(&form, "client_id", L->client_id) != 0 ||
        (L->scope && pj_http_form_add(&form, "scope", L->scope) != 0) ||
        (L->resource && pj_http_form_add(&form, "resource", L->resource) != 0))
        return -1;
    if (pj_http_request(&L->http, L->device_ep, form, NULL, &r) != 0)
        goto out;
    o = answer_json(L->device_ep, &r);
    if (o == NULL)
        goto out_r;
    if (r.status != 200) {
        say_oauth_error("device authorization", o);
        goto out_r;
    }
    dc = str_member(o, "device_code");
    uc = str_member(o, "user_code");
    vu = str_member(o, "verification_uri");
    if (vu == NULL)
        vu = str_member(o, "verification_url"); /* an older draft's name, still seen */
    vc = str_member(o, "verification_uri_complete");
    ex = json_object_get(o, "expires_in");
    iv = json_object_get(o, "interval");
    if (dc == NULL || uc == NULL || vu == NULL || !json_is_integer(ex) ||
        json_integer_value(ex) <= 0 || (iv && !json_is_integer(iv))) {
        pj_logf(&pj_cli_log, LOG_ERR, "device authorization: the answer lacks device_code, "
                                      "user_code, verification_uri or expires_in");
        goto out_r;
    }
    D->device_code = strdup(dc);
    if (D->device_code == NULL)
        goto out_r;
    e = json_integer_value(ex);
    if (e > MAX_EXPIRES_IN)
        e = MAX_EXPIRES_IN;
    i = iv ? json_integer_value(iv) : DEFAULT_INTERVAL;
    D->deadline = mono_now() + (double)e;
    D->interval = i < 1 ? 1 : i > MAX_INTERVAL ? MAX_INTERVAL : (long)i;
    if (vc) {
        pj_cli_say_safe("To log in, open this address in a browser:\n  ", vc);
        pj_cli_say_safe("and check that it shows the code ", uc);
    } else {
        pj_cli_say_safe("To log in, open this address in a browser:\n  ", vu);
        pj_cli_say_safe("and enter the code ", uc);
    }
    fprintf(stderr, "Waiting for the login to be approved (up to %lld seconds)...\n",
            (long long)e);
    rc = 0;
out_r:
    json_decref(o);
    pj_http_resp_free(&r);
out:
    pj_free_str(form);
    return rc;
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
        fprintf(stderr, "pamjwt: warning: the token is not bound to the holder key (no cnf.jkt): "
                        "hosts with require_pop = yes refuse it\n");
    else if (strcmp(json_string_value(jkt), L->jkt) != 0)
        fprintf(stderr, "pamjwt: warning: the token is bound to another key than the holder key "
                        "(cnf.jkt differs): proofs of possession will fail\n");
    json_decref(claims);
    return 0;
}

enum { STEP_STOP, STEP_PENDING, STEP_NONCE, STEP_DONE };

/* Store the access token of a successful answer. */
static int take_token(login *L, json_t *o)
{
    json_t *atv = json_object_get(o, "access_token");
    const char *at = json_string_value(atv);
    double exp = 0;
    if (at == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "token endpoint: no access_token in the answer");
        return STEP_STOP;
    }
    char *name = pj_store_token_name(L->issuer, L->resource);
    /* token.KEY for this issuer and resource; "token" (the contract's
     * file, read by scripts) holds the latest login's token */
    if (name == NULL || check_token(L, at, strlen(at), &exp) != 0 ||
        pj_store_write(L->dir, name, at, strlen(at)) != 0 ||
        pj_store_write(L->dir, PJ_STORE_TOKEN, at, strlen(at)) != 0) {
        free(name);
        return STEP_STOP;
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
                L->issuer, L->resource ? ", resource " : "", L->resource ? L->resource : "",
                L->dir, name, when);
    free(name);
    return STEP_DONE;
}

/* One token request (RFC 8628 3.4, with a DPoP proof): what to do next. */
static int token_request(login *L, device *D, char **nonce, bool may_retry)
{
    char *form = NULL, *proof = dpop_proof(L, *nonce);
    pj_http_resp r;
    json_t *o;
    const char *err;
    int step = STEP_STOP, hr;

    if (proof == NULL || pj_http_form_add(&form, "grant_type", GRANT_DEVICE_CODE) != 0 ||
        pj_http_form_add(&form, "device_code", D->device_code) != 0 ||
        pj_http_form_add(&form, "client_id", L->client_id) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot make the token request");
        free(proof);
        pj_free_str(form);
        return STEP_STOP;
    }
    hr = pj_http_request(&L->http, L->token_ep, form, proof, &r);
    free(proof);
    pj_free_str(form);
    if (hr != 0)
        return STEP_STOP;
    if (r.dpop_nonce) { /* RFC 9449 8.2: the latest nonce is the one to use */
        free(*nonce);
        *nonce = r.dpop_nonce;
        r.dpop_nonce = NULL;
    }
    o = answer_json(L->token_ep, &r);
    err = o ? str_member(o, "error") : NULL;
    if (o == NULL)
        step = STEP_STOP;
    else if (r.status == 200)
        step = take_token(L, o);
    else if (err && strcmp(err, "authorization_pending") == 0)
        step = STEP_PENDING;
    else if (err && strcmp(err, "slow_down") == 0) {
        if (D->interval + SLOW_DOWN_STEP <= MAX_INTERVAL)
            D->interval += SLOW_DOWN_STEP;
        step = STEP_PENDING;
    } else if (err && strcmp(err, "use_dpop_nonce") == 0 && may_retry && *nonce)
        step = STEP_NONCE;
    else if (err && strcmp(err, "access_denied") == 0)
        pj_logf(&pj_cli_log, LOG_ERR, "the login was denied");
    else if (err && strcmp(err, "expired_token") == 0)
        pj_logf(&pj_cli_log, LOG_ERR, "the device code expired before the login was approved");
    else
        say_oauth_error("token endpoint", o);
    json_decref(o);
    pj_http_resp_free(&r);
    return step;
}

/* RFC 8628 section 3.5: poll at the interval the server asks for until the
 * login is approved, denied or expired. */
static int poll_token(login *L, device *D)
{
    char *nonce = NULL;
    double next = mono_now() + (double)D->interval;
    int step = STEP_STOP;

    for (;;) {
        if (next >= D->deadline) {
            pj_logf(&pj_cli_log, LOG_ERR, "the login was not approved in time");
            step = STEP_STOP;
            break;
        }
        sleep_until(next);
        step = token_request(L, D, &nonce, true);
        if (step == STEP_NONCE) /* RFC 9449 8: once more, at once, with the nonce */
            step = token_request(L, D, &nonce, false);
        if (step != STEP_PENDING)
            break;
        next = mono_now() + (double)D->interval;
    }
    free(nonce);
    return step == STEP_DONE ? 0 : -1;
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
    device D = {0};
    const char *why = NULL;
    int o, rc = 1;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'i': L.issuer = optarg; break;
        case 'c': L.client_id = optarg; break;
        case 's': L.scope = optarg; break;
        case 'r': L.resource = optarg; break;
        case 'C': L.http.ca_file = optarg; break;
        default: usage(); return 2;
        }
    }
    if (L.issuer == NULL || L.client_id == NULL || !*L.client_id || optind != argc) {
        usage();
        return 2;
    }
    if (pj_http_url_ok(L.issuer, &why) != 0 || strchr(L.issuer, '?') != NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "--issuer %s refused: %s", L.issuer,
                why ? why : "an issuer has no query");
        return 1;
    }
    if (pj_http_init() != 0)
        return 1;
    L.dir = pj_store_dir(true);
    if (L.dir && holder_key(&L) == 0 && discover(&L) == 0 && authorize(&L, &D) == 0 &&
        poll_token(&L, &D) == 0)
        rc = 0;
    pj_free_str(D.device_code);
    free(L.device_ep);
    free(L.token_ep);
    free(L.jkt);
    free(L.dir);
    EVP_PKEY_free(L.key);
    pj_http_cleanup();
    return rc;
}
