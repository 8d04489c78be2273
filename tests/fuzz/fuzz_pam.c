/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: the whole module, pam_sm_authenticate, loaded by the
 * real libpam from an instrumented build (pam_jwt_fuzz.so, made by
 * make fuzz next to this binary; PJ_FUZZ_MODULE overrides the path).
 *
 * Set up once (LLVMFuzzerInitialize), in a fresh temporary directory:
 * key pairs made on the spot (P-256, P-384, RSA-2048, Ed25519, an HMAC
 * secret), two configs and one PAM service file:
 *
 *   auth sufficient MOD config=A                       (key_file: PEM key + cert,
 *                                                       ES256 RS256 ES384, user map,
 *                                                       max_lifetime 0)
 *   auth sufficient MOD try_first_pass debug config=B  (jwks_file, hmac_secret_file,
 *                                                       issuer, audience, require_claim,
 *                                                       subjects/revoked files, replay_cache)
 *   auth sufficient MOD use_first_pass debug config=C  (key_file P-384, ES384 only,
 *                                                       subject_claim preferred_username,
 *                                                       max_lifetime 0, leeway 86400,
 *                                                       replay_cache)
 *   auth required   MOD use_first_pass bogus config=relative   (broken arguments)
 *
 * One pam handle serves the whole run (pam_end would dlclose the module
 * under libFuzzer's coverage tables).  libpam clears PAM_AUTHTOK after
 * every pam_authenticate, so each iteration prompts anew; the
 * conversation answers with the fuzz input.
 *
 * Input format:
 *   anything not starting with 0xFF: the token as typed (NUL-terminated
 *     copy: an embedded NUL ends it, as it would in a conversation);
 *     PAM_USER is unset.
 *   0xFF U M PAYLOAD: U picks PAM_USER and the conversation's behaviour,
 *     M the mode: 0 raw PAYLOAD as the token; otherwise PAYLOAD is
 *     "CLAIMS-JSON" or "HEADER-JSON\nCLAIMS-JSON" and the harness signs it
 *     with a key of this run (table `modes` below), so the accept path and
 *     everything after the signature check (claims, subjects, user map,
 *     revocation, replay cache, PAM_USER) is reachable with fuzzed claims.
 *     In the JSON, @T is replaced by the current time, @E by now+300,
 *     @P by now-7200 and @F by now+7200, so time claims can be valid.
 *
 * Oracles besides ASan/UBSan/LSan: a raw input (never signed by this
 * process, whose keys are fresh) or a token signed with a key the configs
 * do not trust must never authenticate; nor may any token when PAM_USER
 * names a user that does not exist; PAM_SUCCESS always leaves a plausible
 * PAM_USER; a token accepted by a config with a replay_cache (B, C) is
 * refused by that config when it comes again right away. */
#include "config.h"

#include <security/pam_appl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "b64enc.h"
#include "keys.h"
#include "sign.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIE(...)                                   \
    do {                                           \
        fprintf(stderr, "fuzz_pam: " __VA_ARGS__); \
        fputc('\n', stderr);                       \
        abort();                                   \
    } while (0)
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            DIE("property failed: %s (%s:%d)", #cond, __FILE__, __LINE__);     \
    } while (0)

/* ------------------------------------------------------------- syslog */
/* libpam's pam_syslog ends in __syslog_chk; this executable exports its
 * own (-rdynamic), so the module's log lines never reach the host's log.
 * PJ_FUZZ_VERBOSE=1 prints them to stderr.  The lines also tell which
 * config accepted a token: configs B and C run with `debug`, which logs
 * "config PATH loaded" before the decision; A does not. */
static int verbose;
static char last_loaded;  /* 'b' or 'c': the last debug config loaded */
static char accepted_by;  /* 'a', 'b' or 'c' once "accepted token" is logged */

static void log_line(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void log_line(const char *fmt, va_list ap)
{
    char line[1200];
    const char *p;
    vsnprintf(line, sizeof(line), fmt, ap);
    if (verbose)
        fprintf(stderr, "fuzz_pam: log: %s\n", line);
    if ((p = strstr(line, ".conf loaded: ")) != NULL && p - line >= 2 && p[-2] == '/' &&
        (p[-1] == 'b' || p[-1] == 'c'))
        last_loaded = p[-1];
    if (strstr(line, "): accepted token for user ") != NULL)
        accepted_by = last_loaded ? last_loaded : 'a';
}

void __syslog_chk(int pri, int flag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)pri;
    (void)flag;
    va_start(ap, fmt);
    log_line(fmt, ap);
    va_end(ap);
}

void syslog(int pri, const char *fmt, ...)
{
    va_list ap;
    (void)pri;
    va_start(ap, fmt);
    log_line(fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------- state */
static char dir[PATH_MAX];
static char replay_dir[2][PATH_MAX + 16];
static pam_handle_t *h;
static EVP_PKEY *k_p256, *k_p384, *k_rsa, *k_ed25519, *k_ed448;
static unsigned char secret[48];
static char *pem_p256; /* the trusted ES256 key's PEM, for alg confusion */
static unsigned long iterations;

/* conversation */
enum { CONV_OK, CONV_FAIL, CONV_NULL_RESP };
static const char *answer;
static int conv_mode;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ad)
{
    (void)ad;
    if (conv_mode == CONV_FAIL || n <= 0)
        return PAM_CONV_ERR;
    *resp = calloc((size_t)n, sizeof(**resp));
    if (*resp == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (conv_mode == CONV_OK && (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                                     msg[i]->msg_style == PAM_PROMPT_ECHO_ON))
            (*resp)[i].resp = strdup(answer ? answer : "");
    return PAM_SUCCESS;
}

static const struct pam_conv pconv = {conv, NULL};

/* ------------------------------------------------------------- files */
static const char *path_of(const char *name)
{
    static char buf[4][PATH_MAX + 64];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text, size_t len, mode_t mode)
{
    const char *p = path_of(name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) != 0 || close(fd) != 0)
        DIE("cannot write %s: %s", p, strerror(errno));
}

static void write_str(const char *name, const char *text, mode_t mode)
{
    write_file(name, text, strlen(text), mode);
}

static char *pub_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL, *out;
    long n;
    if (b == NULL || !PEM_write_bio_PUBKEY(b, k))
        DIE("PEM_write_bio_PUBKEY failed");
    n = BIO_get_mem_data(b, &p);
    out = strndup(p, (size_t)n);
    BIO_free(b);
    if (out == NULL)
        DIE("out of memory");
    return out;
}

static char *cert_pem(EVP_PKEY *k)
{
    X509 *x = X509_new();
    X509_NAME *name;
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL, *out;
    long n;
    if (x == NULL || b == NULL || !X509_set_version(x, 2) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, k))
        DIE("cannot make a certificate");
    name = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"pam_jwt fuzz",
                                    -1, -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_sign(x, k, EVP_sha256()) || !PEM_write_bio_X509(b, x))
        DIE("cannot sign a certificate");
    n = BIO_get_mem_data(b, &p);
    out = strndup(p, (size_t)n);
    BIO_free(b);
    X509_free(x);
    if (out == NULL)
        DIE("out of memory");
    return out;
}

/* base64url of a BIGNUM / octet parameter, for the JWK Set */
static char *b64_param_bn(EVP_PKEY *k, const char *param)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    int n;
    char *out;
    if (!EVP_PKEY_get_bn_param(k, param, &bn) || (n = BN_num_bytes(bn)) <= 0 ||
        (size_t)n > sizeof(buf))
        DIE("cannot read key parameter %s", param);
    BN_bn2bin(bn, buf);
    BN_free(bn);
    out = pj_b64url_encode(buf, (size_t)n);
    if (out == NULL)
        DIE("out of memory");
    return out;
}

static void ec_xy(EVP_PKEY *k, size_t coord, char **x, char **y)
{
    unsigned char pt[1 + 2 * 66];
    size_t len = 0;
    if (!EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", pt, sizeof(pt), &len) ||
        len != 1 + 2 * coord || pt[0] != 4)
        DIE("cannot read EC point");
    *x = pj_b64url_encode(pt + 1, coord);
    *y = pj_b64url_encode(pt + 1 + coord, coord);
    if (*x == NULL || *y == NULL)
        DIE("out of memory");
}

static char *okp_x(EVP_PKEY *k)
{
    unsigned char raw[64];
    size_t len = sizeof(raw);
    char *out;
    if (!EVP_PKEY_get_raw_public_key(k, raw, &len))
        DIE("cannot read OKP key");
    out = pj_b64url_encode(raw, len);
    if (out == NULL)
        DIE("out of memory");
    return out;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void cleanup(void)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The replay cache only grows while a run lasts (entries expire after
 * exp + leeway); empty it now and then so a long run stays small. */
static void empty_replay_cache(void)
{
    for (int i = 0; i < 2; i++) {
        DIR *d = opendir(replay_dir[i]);
        struct dirent *e;
        if (d == NULL)
            continue;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.' || strncmp(e->d_name, ".tmp-", 5) == 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
}

/* ------------------------------------------------------------- signing */
typedef struct mode {
    const char *alg;   /* pj_alg name the signature is made with */
    EVP_PKEY **key;    /* NULL: HMAC */
    const char *kid;   /* default header's kid, or NULL */
    int secret;        /* 1 the trusted secret, 2 the PEM of the P-256 key */
    int trusted;       /* can a config accept this signature at all? */
} mode;

static const mode modes[] = {
    /* 0: raw */
    {NULL, NULL, NULL, 0, 0},
    {"ES256", &k_p256, NULL, 0, 1},      /* config A key_file */
    {"RS256", &k_rsa, NULL, 0, 1},       /* A key_file (cert); B JWKS "rsa" */
    {"PS256", &k_rsa, "rsa-pss", 0, 1},  /* B JWKS kid rsa-pss alg PS256 */
    {"HS256", NULL, NULL, 1, 1},         /* B hmac_secret_file */
    {"HS384", NULL, NULL, 1, 1},
    {"HS512", NULL, NULL, 1, 1},
    {"EdDSA", &k_ed25519, "ed1", 0, 1},  /* B JWKS */
    {"ES384", &k_p384, "ec384", 0, 1},   /* B JWKS, alg ES384; C key_file */
    {"EdDSA", &k_ed448, "ed448", 0, 0},  /* a key nobody trusts */
    {"HS256", NULL, NULL, 2, 0},         /* alg confusion: HMAC keyed with the public PEM */
    {"RS512", &k_rsa, "rsa", 0, 1},      /* B JWKS "rsa" has no alg */
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

/* Replace @T @E @P @F by times around now. */
static char *expand_times(const char *s, size_t n, long now)
{
    char *out = malloc(n * 10 + 1);
    size_t o = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        long v;
        if (s[i] == '@' && i + 1 < n && strchr("TEPF", s[i + 1]) != NULL && s[i + 1] != '\0') {
            switch (s[++i]) {
            case 'T': v = now; break;
            case 'E': v = now + 300; break;
            case 'P': v = now - 7200; break;
            default: v = now + 7200; break;
            }
            o += (size_t)sprintf(out + o, "%ld", v);
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static char *sign_payload(const mode *m, const char *payload, size_t n)
{
    char *json = expand_times(payload, n, (long)time(NULL)), *nl, *tok;
    char hdr[128];
    const char *header, *claims;
    int alg = pj_alg_from_name(m->alg);
    if (json == NULL || alg < 0) {
        free(json);
        return NULL;
    }
    if ((nl = strchr(json, '\n')) != NULL) {
        *nl = '\0';
        header = json;
        claims = nl + 1;
    } else {
        if (m->kid)
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", m->alg,
                     m->kid);
        else
            snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", m->alg);
        header = hdr;
        claims = json;
    }
    if (m->key)
        tok = pj_sign_evp((pj_alg)alg, *m->key, NULL, 0, header, claims);
    else if (m->secret == 1)
        tok = pj_sign_evp((pj_alg)alg, NULL, secret, sizeof(secret), header, claims);
    else
        tok = pj_sign_evp((pj_alg)alg, NULL, (const unsigned char *)pem_p256, strlen(pem_p256),
                          header, claims);
    ERR_clear_error();
    free(json);
    return tok;
}

/* ------------------------------------------------------------- users */
typedef struct usel {
    const char *user; /* PAM_USER, NULL = unset */
    int conv;
    int exists;       /* may a token log in with this PAM_USER? */
} usel;

static const usel users[8] = {
    {NULL, CONV_OK, 1},
    {"root", CONV_OK, 1},
    {"daemon", CONV_OK, 1},
    {"pjfuzz-nosuchuser", CONV_OK, 0},
    {"", CONV_OK, 1},
    {"alice", CONV_OK, 1},
    {NULL, CONV_FAIL, 1},
    {"root", CONV_NULL_RESP, 1},
};

/* ------------------------------------------------------------- setup */
static const char *module_path(void)
{
    static char p[PATH_MAX + 32];
    const char *env = getenv("PJ_FUZZ_MODULE");
    char exe[PATH_MAX];
    ssize_t n;
    if (env && *env)
        return env;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        DIE("cannot find myself; set PJ_FUZZ_MODULE");
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(p, sizeof(p), "%s/pam_jwt_fuzz.so", exe);
    return p;
}

static int auth_once(const char *user, const char *tok)
{
    if (pam_set_item(h, PAM_USER, user) != PAM_SUCCESS)
        DIE("pam_set_item(PAM_USER) failed");
    answer = tok;
    conv_mode = CONV_OK;
    last_loaded = accepted_by = 0;
    return pam_authenticate(h, 0);
}

static void self_test(void)
{
    /* The accept path must work through every config, or the fuzzer would
     * only ever see refusals. */
    static const struct { int mode; const char *payload; const char *user; char by; } t[] = {
        {1, "{\"sub\":\"root\",\"exp\":@E}", "root", 'a'},
        {2, "{\"sub\":\"svc-backup\",\"exp\":@E}", NULL, 'a'},
        {4, "{\"sub\":\"root@example.com\",\"iss\":\"https://issuer.example\",\"aud\":\"pam-fuzz\","
            "\"iat\":@T,\"exp\":@E,\"scope\":\"openid login\",\"jti\":\"self-test-1\"}", "root", 'b'},
        {7, "{\"sub\":\"root@example.com\",\"iss\":\"https://issuer.example\",\"aud\":[\"pam-fuzz\"],"
            "\"iat\":@T,\"exp\":@E,\"scope\":\"login\",\"jti\":\"self-test-2\"}", NULL, 'b'},
        {8, "{\"preferred_username\":\"root\",\"jti\":\"self-test-3\",\"exp\":@F}", NULL, 'c'},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *tok = sign_payload(&modes[t[i].mode], t[i].payload, strlen(t[i].payload));
        if (tok == NULL)
            DIE("self test %zu: cannot sign", i);
        int rc = auth_once(t[i].user, tok);
        if (rc != PAM_SUCCESS)
            DIE("self test %zu (%s): pam_authenticate = %d (%s); run with PJ_FUZZ_VERBOSE=1",
                i, modes[t[i].mode].alg, rc, pam_strerror(h, rc));
        if (accepted_by != t[i].by)
            DIE("self test %zu: accepted by config %c, expected %c", i, accepted_by ? accepted_by : '?',
                t[i].by);
        /* once only, where a replay_cache is kept */
        rc = auth_once(t[i].user, tok);
        if (t[i].by != 'a' && rc == PAM_SUCCESS && accepted_by == t[i].by)
            DIE("self test %zu: one-time token accepted twice", i);
        free(tok);
    }
    /* a forged token must not */
    if (auth_once("root", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290IiwiZXhwIjo0MTAyNDQ0ODAwfQ.AA") ==
        PAM_SUCCESS)
        DIE("self test: alg none accepted");
    empty_replay_cache();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    char *jwks, *x, *y, *n, *e, *ed, *sec_hex;
    char buf[16384];
    (void)argc;
    (void)argv;

    verbose = getenv("PJ_FUZZ_VERBOSE") && strcmp(getenv("PJ_FUZZ_VERBOSE"), "0") != 0;
    snprintf(dir, sizeof(dir), "%s/pamjwt-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        DIE("mkdtemp %s: %s", dir, strerror(errno));
    atexit(cleanup);

    /* keys of this run */
    k_p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    k_p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    k_ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    k_ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    if (!k_p256 || !k_p384 || !k_rsa || !k_ed25519 || !k_ed448)
        DIE("key generation failed");
    if (RAND_bytes(secret, sizeof(secret)) != 1)
        DIE("RAND_bytes failed");
    for (size_t i = 0; i < sizeof(secret); i++) /* printable: no CR/LF to strip */
        secret[i] = (unsigned char)('a' + secret[i] % 26);

    /* config A: PEM key_file + certificate, user map, no lifetime limit */
    pem_p256 = pub_pem(k_p256);
    write_str("p256.pub", pem_p256, 0644);
    {
        char *c = cert_pem(k_rsa);
        write_str("rsa.crt", c, 0644);
        free(c);
    }
    write_str("usermap.a",
              "# subject      local user\n"
              "root           root\n"
              "svc-*          daemon\n"
              "*@example.com  %l\n"
              "[a-c]*         %s%%\n",
              0644);
    snprintf(buf, sizeof(buf),
             "# fuzz config A\n"
             "key_file = %s/p256.pub\n"
             "key_file = %s/rsa.crt\n"
             "algorithms = ES256 RS256 ES384\n"
             "allowed_subjects = *\n"
             "user_map_file = %s/usermap.a\n"
             "max_lifetime = 0\n",
             dir, dir, dir);
    write_str("a.conf", buf, 0644);

    /* config B: JWK Set, HMAC secret, every claim rule, lists, replay */
    ec_xy(k_p384, 48, &x, &y);
    n = b64_param_bn(k_rsa, "n");
    e = b64_param_bn(k_rsa, "e");
    ed = okp_x(k_ed25519);
    jwks = malloc(16384);
    if (jwks == NULL)
        DIE("out of memory");
    snprintf(jwks, 16384,
             "{\"keys\":[\n"
             " {\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"ed1\",\"use\":\"sig\"},\n"
             " {\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"ec384\",\"alg\":\"ES384\"},\n"
             " {\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"kid\":\"rsa-pss\",\"alg\":\"PS256\"},\n"
             " {\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"kid\":\"rsa\"},\n"
             " {\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"use\":\"enc\"}\n"
             "]}\n",
             ed, x, y, n, e, n, e, n, e);
    write_str("jwks.json", jwks, 0644);
    free(jwks);
    free(x);
    free(y);
    free(n);
    free(e);
    free(ed);
    sec_hex = malloc(2 * sizeof(secret) + 2);
    if (sec_hex == NULL)
        DIE("out of memory");
    /* the secret file holds the bytes of `secret` followed by a newline
     * (stripped by the module) */
    memcpy(sec_hex, secret, sizeof(secret));
    sec_hex[sizeof(secret)] = '\n';
    write_file("hmac.secret", sec_hex, sizeof(secret) + 1, 0600);
    free(sec_hex);
    write_str("subjects.b", "# allowed\nalice\nroot@example.com\nsvc-backup\n  nobody@example.com  \n",
              0644);
    write_str("revoked.b", "revoked-1\n# comment\nrevoked-2 # trailing\n", 0644);
    write_str("usermap.b", "*@example.com %l\nsvc-* daemon\nalice alice\n", 0644);
    for (int i = 0; i < 2; i++) {
        snprintf(replay_dir[i], sizeof(replay_dir[i]), "%s/replay-%c", dir, "bc"[i]);
        if (mkdir(replay_dir[i], 0700) != 0)
            DIE("mkdir %s: %s", replay_dir[i], strerror(errno));
    }
    snprintf(buf, sizeof(buf),
             "# fuzz config B\n"
             "jwks_file = %s/jwks.json\n"
             "hmac_secret_file = %s/hmac.secret\n"
             "algorithms = HS256,HS384 HS512 EdDSA ES384 PS256 RS256 RS512\n"
             "issuer = https://issuer.example\n"
             "audience = pam-fuzz\n"
             "subject_claim = sub\n"
             "allowed_subjects = bob carol\n"
             "allowed_subjects_file = %s/subjects.b\n"
             "user_map_file = %s/usermap.b\n"
             "revoked_file = %s/revoked.b\n"
             "replay_cache = %s\n"
             "leeway = 5\n"
             "max_lifetime = 900\n"
             "require_claim = scope login\n",
             dir, dir, dir, dir, dir, replay_dir[0]);
    write_str("b.conf", buf, 0644);

    /* config C: one-time tokens with no lifetime limit */
    {
        char *p = pub_pem(k_p384);
        write_str("p384.pub", p, 0644);
        free(p);
    }
    snprintf(buf, sizeof(buf),
             "# fuzz config C\n"
             "key_file = %s/p384.pub\n"
             "algorithms = ES384\n"
             "allowed_subjects = *\n"
             "subject_claim = preferred_username\n"
             "max_lifetime = 0\n"
             "leeway = 86400\n"
             "replay_cache = %s\n",
             dir, replay_dir[1]);
    write_str("c.conf", buf, 0644);

    /* the service */
    {
        const char *mod = module_path();
        if (access(mod, R_OK) != 0)
            DIE("module %s: %s (build it with make fuzz: tests/fuzz/README.md)", mod, strerror(errno));
        snprintf(buf, sizeof(buf),
                 "auth sufficient %s config=%s/a.conf\n"
                 "auth sufficient %s try_first_pass debug prompt=JWT: config=%s/b.conf\n"
                 "auth sufficient %s use_first_pass debug config=%s/c.conf\n"
                 "auth required %s use_first_pass bogus config=relative.conf\n",
                 mod, dir, mod, dir, mod, dir, mod);
        write_str("pamjwt-fuzz", buf, 0644);
    }
    if (pam_start_confdir("pamjwt-fuzz", NULL, &pconv, dir, &h) != PAM_SUCCESS || h == NULL)
        DIE("pam_start_confdir failed");
    self_test();
    fprintf(stderr, "fuzz_pam: module %s loaded, accept path OK, files in %s\n", module_path(),
            dir);
    return 0;
}

/* ------------------------------------------------------------- one input */
static int authenticate(const usel *u, const char *tok)
{
    if (pam_set_item(h, PAM_USER, u->user) != PAM_SUCCESS)
        DIE("pam_set_item(PAM_USER) failed");
    answer = tok;
    conv_mode = u->conv;
    last_loaded = accepted_by = 0;
    return pam_authenticate(h, 0);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const usel *u = &users[0];
    const mode *m = &modes[0];
    const char *payload = (const char *)data;
    size_t plen = size;
    char *tok = NULL;
    int rc, forged_if_success;

    if (size >= 3 && data[0] == 0xff) {
        u = &users[data[1] % 8];
        m = &modes[data[2] % NMODES];
        payload += 3;
        plen -= 3;
    }
    if (m->alg != NULL)
        tok = sign_payload(m, payload, plen);
    if (tok == NULL) {
        tok = strndup(payload, plen);
        if (tok == NULL)
            return 0;
        forged_if_success = 1;
    } else {
        forged_if_success = !m->trusted;
    }

    rc = authenticate(u, tok);

    if (rc == PAM_SUCCESS) {
        const void *item = NULL;
        if (forged_if_success)
            DIE("accepted a token not signed by a trusted key (mode %u, user %s): %s",
                (unsigned)(m - modes), u->user ? u->user : "(unset)", tok);
        CHECK(u->exists);
        CHECK(u->conv != CONV_FAIL && u->conv != CONV_NULL_RESP);
        CHECK(pam_get_item(h, PAM_USER, &item) == PAM_SUCCESS && item != NULL);
        CHECK(((const char *)item)[0] != '\0' && ((const char *)item)[0] != '-');
        if (u->user && u->user[0])
            CHECK(strcmp(item, u->user) == 0);
        /* B and C keep a replay cache: the same token again right away
         * must not be accepted by the same config (another config may
         * accept it: B and C share the P-384 key). */
        char first = accepted_by;
        CHECK(first != 0);
        if (first == 'b' || first == 'c') {
            int again = authenticate(u, tok);
            if (again == PAM_SUCCESS && accepted_by == first)
                DIE("one-time token accepted twice by config %c: %s", first, tok);
        }
    }
    free(tok);
    if (++iterations % 1024 == 0)
        empty_replay_cache();
    return 0;
}
