/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt_bench: what a token login costs.
 *
 * One process, one run.  Every timed login is a full
 *     pam_start_confdir -> pam_authenticate -> pam_end
 * cycle through the real libpam with the built pam_jwt.so, exactly as a
 * fresh sshd child does it: the module reads its config, keys and list
 * files from disk on every pam_authenticate.  Each cycle must return
 * PAM_SUCCESS or the run aborts (a benchmark of failures measures nothing).
 *
 * Sections:
 *   1. login cycle for ES256, RS256 (2048-bit) and EdDSA (Ed25519) tokens;
 *      the same cycle with pam_permit.so (libpam's own cost); raw OpenSSL
 *      verification with the key already loaded; the module's cost ratio
 *      (login - pam_permit login) / raw verification; and what loading and
 *      unloading pam_jwt.so costs by itself.
 *   1b. the first login in a fresh process (cold OpenSSL state), for
 *      information: this program re-run as "-c SERVICE".
 *   2. scaling: a JWKS of 1/10/100 RSA keys (the token's kid selects the
 *      last), and allowed_subjects_file / user_map_file / revoked_file of
 *      1/1,000/100,000 lines (the match, if any, is on the last line);
 *      a 10-key JWKS with a 10,000-line user map against the 1-key JWKS.
 *   3. peak RSS.
 *   4. replay_cache: 64 consecutive logins, each with a fresh jti, against a
 *      cache holding 200,000 live entries; median and slowest (a login that
 *      sweeps expired entries must not cost much more than one that does
 *      not).
 *
 * Figures are medians (and p90) of per-iteration CLOCK_MONOTONIC samples.
 * Environment: PAM_JWT_SO (built module), PAM_PERMIT_SO (pam_permit.so);
 * `make bench` sets both. */
#include "config.h"

#include <security/pam_appl.h>

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "b64url.h"
#include "keys.h"
#include "log.h"
#include "pjconfig.h"
#include "replay.h"
#include "roster.h"
#include "testlib.h"

/* ------------------------------------------------------------ options */
static size_t opt_n = 2000;     /* iterations per measurement */
static bool opt_quick;
static const char *opt_profile; /* only run the login cycles of one case */

/* ------------------------------------------------------------ globals */
static char *dir;             /* temp dir: configs, keys, service files */
static const char *so;        /* pam_jwt.so under test */
static const char *permit_so; /* pam_permit.so */
static char me[256];          /* PAM_USER: the user running the bench */
static long t0;               /* wall clock when tokens are minted */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "pamjwt_bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (dir)
        tl_rmtree(dir);
    exit(1);
}

/* Ctrl-C, SIGTERM, SIGHUP or a closed stdout (| head) end the run at the
 * next check, through die(), which removes the temporary directory. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void check_stop(void)
{
    if (stop_signal)
        die("stopped by signal %d", (int)stop_signal);
    if (ferror(stdout))
        die("cannot write to standard output");
}

static void setup_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a write to a closed pipe sets ferror */
}

static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (s == NULL)
        die("out of memory");
    return s;
}

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void write_text(const char *name, const char *text, size_t len)
{
    char *p = path_of(name);
    if (tl_write_file(p, text, len, 0644) != 0)
        die("cannot write %s: %s", p, strerror(errno));
    free(p);
}

/* ------------------------------------------------------------ statistics */
typedef struct stats {
    size_t n;
    double med, p90, min;
} stats;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static stats stats_of(double *v, size_t n)
{
    stats s = {n, 0, 0, 0};
    if (n == 0)
        return s;
    qsort(v, n, sizeof(*v), cmp_double);
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    size_t r = (9 * n + 9) / 10; /* nearest rank: ceil(0.9 n) */
    s.p90 = v[r ? r - 1 : 0];
    s.min = v[0];
    return s;
}

/* ------------------------------------------------------------ PAM */
static const char *answer; /* what the conversation returns */
static unsigned conv_calls;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ad)
{
    (void)ad;
    conv_calls++;
    *resp = calloc((size_t)n, sizeof(**resp));
    if (*resp == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            (*resp)[i].resp = strdup(answer);
    return PAM_SUCCESS;
}

/* One login as a fresh sshd child does it.  Not inlined, so a profiler can
 * count this function alone (callgrind --toggle-collect=login_cycle). */
static __attribute__((noinline)) int login_cycle(const char *service)
{
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    int rc = pam_start_confdir(service, me, &c, dir, &h);
    if (rc != PAM_SUCCESS)
        return -1000 - rc;
    rc = pam_authenticate(h, 0);
    pam_end(h, rc);
    return rc;
}

static const char *rc_name(int rc)
{
    static char buf[96];
    if (rc <= -1000)
        snprintf(buf, sizeof(buf), "pam_start_confdir failed: %d", -1000 - rc);
    else
        snprintf(buf, sizeof(buf), "%d (%s)", rc, pam_strerror(NULL, rc));
    return buf;
}

/* A login case: a service file in dir naming the module and its config,
 * and the token the conversation returns. */
typedef struct lcase {
    const char *label;
    char *service;
    char *token; /* NULL for pam_permit */
    char *config;
    size_t bytes; /* size of the JWKS or list file (scaling cases) */
} lcase;

static void make_stack(lcase *c, const char *name, const char *stack)
{
    /* libpam lower-cases the service name before it looks for the file */
    c->service = xasprintf("bench-%s", name);
    for (char *p = c->service; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    write_text(c->service, stack, strlen(stack));
}

static void make_service(lcase *c, const char *name, const char *module_line)
{
    char *text = xasprintf("auth required %s\n", module_line);
    make_stack(c, name, text);
    free(text);
}

/* Time up to n cycles of each case, round-robin (case 1, case 2, ...,
 * case 1, ...) so that a change in machine load hits every case alike;
 * stop early once budget_s seconds have passed (but not before min_n
 * rounds).  Every cycle must succeed. */
static void run_logins(lcase *const *cs, size_t nc, size_t n, double budget_s, size_t min_n,
                       stats *out)
{
    double *v = malloc(nc * n * sizeof(*v));
    size_t i, k;
    if (v == NULL)
        die("out of memory");
    for (k = 0; k < nc; k++)
        for (i = 0; i < 3; i++) { /* warm-up: page cache, first dlopen, NSS */
            answer = cs[k]->token ? cs[k]->token : "";
            int rc = login_cycle(cs[k]->service);
            if (rc != PAM_SUCCESS)
                die("%s: warm-up login returned %s (expected PAM_SUCCESS)", cs[k]->label,
                    rc_name(rc));
        }
    double start = mono_us();
    for (i = 0; i < n; i++) {
        double b = 0;
        check_stop();
        for (k = 0; k < nc; k++) {
            answer = cs[k]->token ? cs[k]->token : "";
            double a = mono_us();
            int rc = login_cycle(cs[k]->service);
            b = mono_us();
            if (rc != PAM_SUCCESS)
                die("%s: login %zu returned %s (expected PAM_SUCCESS)", cs[k]->label, i,
                    rc_name(rc));
            v[k * n + i] = b - a;
        }
        if (budget_s > 0 && i + 1 >= min_n && b - start > budget_s * 1e6) {
            i++;
            break;
        }
    }
    for (k = 0; k < nc; k++)
        out[k] = stats_of(v + k * n, i);
    free(v);
}

/* ------------------------------------------------------------ keys, tokens */
static void log_stderr(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    fprintf(stderr, "pam_jwt: %s\n", msg);
}
static const pj_log bench_log = {log_stderr, NULL, false};

/* A compact token signed by tl_sign_raw (OpenSSL EVP; JOSE r||s for ES*).
 * iat = now, exp = now + 3000: inside the default max_lifetime (3600) and
 * valid for far longer than the run. */
static char *mint(const char *alg, EVP_PKEY *k, const char *kid, const char *sub,
                  const char *jti)
{
    char *hdr = kid ? xasprintf("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid)
                    : xasprintf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    char *pl = xasprintf("{\"iss\":\"https://idp.example.com\",\"sub\":\"%s\",\"iat\":%ld,"
                         "\"exp\":%ld,\"jti\":\"%s\"}",
                         sub, t0, t0 + 3000, jti);
    char *t = tl_sign_raw(hdr, pl, alg, k, NULL, 0);
    if (t == NULL)
        die("cannot sign a %s token", alg);
    free(hdr);
    free(pl);
    return t;
}

/* ------------------------------------------------------------ section 1 */
typedef struct algcase {
    const char *alg;  /* JOSE name */
    const char *kind; /* tl_keygen type */
    const char *desc;
    double target;    /* module-cost ratio target, 0 = none */
    EVP_PKEY *key;
    char *pub;        /* public key file */
    lcase login;
} algcase;

static algcase algs[] = {
    {"ES256", "p256", "ECDSA P-256", 1.3, NULL, NULL, {0}},
    {"RS256", "rsa", "RSA 2048", 2.5, NULL, NULL, {0}},
    {"EdDSA", "ed25519", "Ed25519", 0, NULL, NULL, {0}},
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

static lcase permit_case;
/* What loading and unloading pam_jwt.so costs by itself: the module runs
 * with use_first_pass and no PAM_AUTHTOK, so it refuses at once without
 * reading its config; pam_permit after it makes the stack succeed.  Its
 * baseline is the same two-line stack with pam_permit in both places. */
static lcase loadonly_case, permit2_case;

static void setup_alg(algcase *a)
{
    char name[64];
    a->key = tl_keygen(a->kind);
    if (a->key == NULL)
        die("cannot generate a %s key", a->kind);
    snprintf(name, sizeof(name), "%s.pub", a->alg);
    a->pub = path_of(name);
    if (tl_write_pub(a->key, a->pub) != 0)
        die("cannot write %s", a->pub);
    snprintf(name, sizeof(name), "%s.conf", a->alg);
    a->login.config = path_of(name);
    char *conf = xasprintf("# pamjwt_bench\nkey_file = %s\nallowed_subjects = *\n", a->pub);
    write_text(name, conf, strlen(conf));
    free(conf);
    char *line = xasprintf("%s config=%s", so, a->login.config);
    make_service(&a->login, a->alg, line);
    free(line);
    a->login.label = a->alg;
    a->login.token = mint(a->alg, a->key, NULL, me, "bench-jti-1");
}

static void setup_permit(void)
{
    permit_case.label = "pam_permit";
    make_service(&permit_case, "permit", permit_so);
    char *st = xasprintf("auth optional %s use_first_pass\nauth required %s\n", so, permit_so);
    loadonly_case.label = "pam_jwt load only";
    make_stack(&loadonly_case, "loadonly", st);
    free(st);
    st = xasprintf("auth optional %s\nauth required %s\n", permit_so, permit_so);
    permit2_case.label = "pam_permit x2";
    make_stack(&permit2_case, "permit2", st);
    free(st);
}

/* The token's signing input and decoded signature. */
typedef struct split_tok {
    const unsigned char *msg;
    size_t msglen;
    unsigned char *sig;
    size_t siglen;
} split_tok;

static split_tok split(const char *tok)
{
    split_tok s;
    const char *dot = strrchr(tok, '.');
    s.msg = (const unsigned char *)tok;
    s.msglen = (size_t)(dot - tok);
    s.sig = pj_b64url_decode(dot + 1, strlen(dot + 1), &s.siglen);
    if (s.sig == NULL)
        die("token signature does not decode");
    return s;
}

/* JOSE r||s -> DER, once, outside the timed loop. */
static unsigned char *ecdsa_to_der(const unsigned char *sig, size_t siglen, size_t *derlen)
{
    size_t c = siglen / 2;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)c, NULL), *s = BN_bin2bn(sig + c, (int)c, NULL);
    unsigned char *der = NULL;
    if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
        die("ECDSA_SIG");
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (n <= 0)
        die("i2d_ECDSA_SIG");
    *derlen = (size_t)n;
    return der;
}

/* Raw OpenSSL: key loaded once (pj_keys_load_pem), digest fetched once,
 * signature already DER; per verification EVP_MD_CTX_new +
 * EVP_DigestVerifyInit + EVP_DigestVerify + EVP_MD_CTX_free. */
static stats time_evp(const algcase *a, EVP_PKEY *pk, size_t n)
{
    split_tok t = split(a->login.token);
    bool ec = strcmp(a->alg, "ES256") == 0, ed = strcmp(a->alg, "EdDSA") == 0;
    EVP_MD *md = ed ? NULL : EVP_MD_fetch(NULL, "SHA2-256", NULL);
    unsigned char *sig = t.sig;
    size_t siglen = t.siglen;
    unsigned char *der = NULL;
    double *v = malloc(n * sizeof(*v));
    if (v == NULL || (!ed && md == NULL))
        die("setup of raw EVP verification failed");
    if (ec) {
        der = ecdsa_to_der(t.sig, t.siglen, &siglen);
        sig = der;
    }
    for (size_t i = 0; i < n + 3; i++) {
        double b0 = mono_us();
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        int ok = m != NULL && EVP_DigestVerifyInit(m, NULL, md, NULL, pk) == 1 &&
                 EVP_DigestVerify(m, sig, siglen, t.msg, t.msglen) == 1;
        EVP_MD_CTX_free(m);
        double b1 = mono_us();
        if (!ok)
            die("%s: raw EVP verification failed", a->alg);
        if (i >= 3)
            v[i - 3] = b1 - b0;
    }
    stats s = stats_of(v, n);
    free(v);
    OPENSSL_free(der);
    EVP_MD_free(md);
    free(t.sig);
    return s;
}

/* The module's own verifier (pj_sig_verify, src/core/keys.c): JOSE r||s to DER
 * inside, EVP_sha256() (implicit fetch) per call. */
static stats time_pj(const algcase *a, const pj_key *k, size_t n)
{
    split_tok t = split(a->login.token);
    int alg = pj_alg_from_name(a->alg);
    double *v = malloc(n * sizeof(*v));
    if (v == NULL || alg < 0)
        die("setup of pj_sig_verify failed");
    for (size_t i = 0; i < n + 3; i++) {
        double b0 = mono_us();
        int ok = pj_sig_verify((pj_alg)alg, k, t.msg, t.msglen, t.sig, t.siglen);
        double b1 = mono_us();
        if (!ok)
            die("%s: pj_sig_verify failed", a->alg);
        if (i >= 3)
            v[i - 3] = b1 - b0;
    }
    stats s = stats_of(v, n);
    free(v);
    free(t.sig);
    return s;
}

static const char *verdict(double value, double target)
{
    if (target <= 0)
        return "";
    return value <= target ? "PASS" : "MISS";
}

/* ------------------------------------------------------------ page tables */
/* dlclose unmaps a module with one munmap.  On some virtual machines that
 * costs per page: the kernel invalidates each page of a range up to 33
 * pages (tlb_single_page_flush_ceiling) one by one, and each invalidation
 * may trap to the hypervisor; larger ranges get one full flush.  These
 * figures say what this machine charges, so the load/unload cost above can
 * be read against it. */
static size_t module_pages(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    Elf64_Ehdr eh;
    size_t end = 0;
    if (fd < 0)
        return 0;
    if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
        memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64) {
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) !=
                (ssize_t)sizeof(ph))
                break;
            if (ph.p_type == PT_LOAD && ph.p_vaddr + ph.p_memsz > end)
                end = ph.p_vaddr + ph.p_memsz;
        }
    }
    close(fd);
    return (end + 4095) / 4096;
}

/* Median microseconds of munmap on a file mapping of pages touched pages. */
static double unmap_us(int fd, size_t pages)
{
    enum { N = 300 };
    double v[N];
    for (size_t i = 0; i < N; i++) {
        volatile char *p = mmap(NULL, pages * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == (volatile char *)MAP_FAILED)
            return -1;
        for (size_t j = 0; j < pages; j++)
            (void)p[j * 4096];
        double t = mono_us();
        munmap((void *)p, pages * 4096);
        v[i] = mono_us() - t;
    }
    return stats_of(v, N).med;
}

static void page_table_costs(void)
{
    size_t mine = module_pages(so), theirs = module_pages(permit_so);
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || mine == 0 || theirs == 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t cap = (size_t)st.st_size / 4096, sizes[] = {1, theirs, mine, 40};
    printf("\n   this machine's munmap cost (median us) for a file mapping of N touched\n"
           "   pages; pam_permit.so spans %zu pages, pam_jwt.so %zu:\n  ", theirs, mine);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (sizes[i] <= cap)
            printf(" %zu pages %.1f us;", sizes[i], unmap_us(fd, sizes[i]));
    printf("\n");
    close(fd);
}

static void section_algorithms(void)
{
    stats login[NALGS], evp[NALGS], pj[NALGS], permit;

    printf("\n== 1. Login cycle: pam_start_confdir + pam_authenticate + pam_end (N=%zu each)\n",
           opt_n);
    printf("   the module reads config + key file from disk on every login; the\n"
           "   conversation returns the token; PAM_USER=%s; every cycle PAM_SUCCESS;\n"
           "   all login cases run round-robin so load changes hit them alike\n\n", me);
    lcase *cs[NALGS + 3];
    stats all[NALGS + 3];
    for (size_t i = 0; i < NALGS; i++)
        cs[i] = &algs[i].login;
    cs[NALGS] = &permit_case;
    cs[NALGS + 1] = &loadonly_case;
    cs[NALGS + 2] = &permit2_case;
    run_logins(cs, NALGS + 3, opt_n, 0, 0, all);
    for (size_t i = 0; i < NALGS; i++)
        login[i] = all[i];
    permit = all[NALGS];
    for (size_t i = 0; i < NALGS; i++) {
        pj_keyset ks = {0};
        if (pj_keys_load_pem(&ks, algs[i].pub, &bench_log) != 0 || ks.n != 1)
            die("pj_keys_load_pem %s", algs[i].pub);
        evp[i] = time_evp(&algs[i], ks.v[0].pkey, opt_n);
        pj[i] = time_pj(&algs[i], &ks.v[0], opt_n);
        pj_keyset_free(&ks);
    }

    printf("   %-6s %-12s %5s | %9s %9s | %9s %9s | %9s %9s | %9s\n", "alg", "key", "tok B",
           "login med", "p90", "EVP med", "p90", "pj_sig med", "p90", "module us");
    for (size_t i = 0; i < NALGS; i++)
        printf("   %-6s %-12s %5zu | %9.1f %9.1f | %9.1f %9.1f | %9.1f %9.1f | %9.1f\n",
               algs[i].alg, algs[i].desc, strlen(algs[i].login.token), login[i].med,
               login[i].p90, evp[i].med, evp[i].p90, pj[i].med, pj[i].p90,
               login[i].med - permit.med - evp[i].med);
    printf("   %-6s %-12s %5s | %9.1f %9.1f |\n", "permit", "pam_permit", "-", permit.med,
           permit.p90);
    printf("\n   load/unload of pam_jwt.so alone (stack: pam_jwt use_first_pass without a\n"
           "   token, which refuses before reading its config, then pam_permit):\n"
           "   %.1f us (p90 %.1f); the same stack with pam_permit twice: %.1f us (p90 %.1f)\n"
           "   -> dlopen + dlclose of the module cost %.1f us more than pam_permit's, part\n"
           "   of every \"module us\" figure below\n",
           all[NALGS + 1].med, all[NALGS + 1].p90, all[NALGS + 2].med, all[NALGS + 2].p90,
           all[NALGS + 1].med - all[NALGS + 2].med);
    page_table_costs();
    printf("\n   all figures are microseconds per operation (median, p90 of per-iteration\n"
           "   samples).  login: the pam_jwt cycle.  permit: the same cycle with\n"
           "   pam_permit.so (libpam itself: config parse, dlopen, dlclose).  EVP: raw\n"
           "   OpenSSL, key already loaded, SHA2-256 fetched once, ECDSA signature\n"
           "   converted to DER once; per call EVP_MD_CTX_new + EVP_DigestVerifyInit +\n"
           "   EVP_DigestVerify + free.  pj_sig: the module's pj_sig_verify (src/core/keys.c)\n"
           "   on a pj_key from pj_keys_load_pem (r||s -> DER and implicit digest fetch\n"
           "   inside).  module us: login - permit - EVP = what the module adds beyond\n"
           "   the signature check.\n\n");

    printf("   module-cost ratio = (login - permit) / raw EVP verification (medians)\n");
    for (size_t i = 0; i < NALGS; i++) {
        double ratio = (login[i].med - permit.med) / evp[i].med;
        if (algs[i].target > 0)
            printf("   %-6s %6.2f   target <= %.1f   %s\n", algs[i].alg, ratio, algs[i].target,
                   verdict(ratio, algs[i].target));
        else
            printf("   %-6s %6.2f   (no target)\n", algs[i].alg, ratio);
    }
    fflush(stdout);
    check_stop();
}

/* ------------------------------------------------------------ section 2 */
#define JWKS_DISTINCT 10
static const size_t jwks_sizes[] = {1, 10, 100};
static const size_t line_sizes[] = {1, 1000, 100000};
#define NSIZES 3

enum { F_SUBJECTS, F_USERMAP, F_REVOKED, NFILES };
static const char *const file_key[NFILES] = {"allowed_subjects_file", "user_map_file",
                                             "revoked_file"};
static const char *const file_tag[NFILES] = {"subjects", "usermap", "revoked"};

static lcase jwks_cases[NSIZES];
static lcase file_cases[NFILES][NSIZES];
static EVP_PKEY *jwks_keys[JWKS_DISTINCT];
static size_t jwks_keys_n;

/* JWKS of n RSA keys "kid-000".."kid-(n-1)"; the token is signed by the
 * last one and names its kid. */
static void setup_jwks(size_t idx)
{
    size_t n = jwks_sizes[idx];
    lcase *c = &jwks_cases[idx];
    char name[64];
    /* RSA-2048 keygen costs ~0.3 s here; JWKS_DISTINCT distinct keys are
     * reused cyclically (each entry still has its own kid; the module parses
     * every entry the same way whatever its modulus). */
    while (jwks_keys_n < JWKS_DISTINCT && jwks_keys_n < n) {
        jwks_keys[jwks_keys_n] = tl_keygen("rsa");
        if (jwks_keys[jwks_keys_n] == NULL)
            die("RSA keygen");
        jwks_keys_n++;
    }
    size_t cap = 16 + n * 600, o = 0;
    char *set = malloc(cap);
    if (set == NULL)
        die("out of memory");
    o += (size_t)snprintf(set + o, cap - o, "{\"keys\":[\n");
    for (size_t i = 0; i < n; i++) {
        char kid[32];
        snprintf(kid, sizeof(kid), "kid-%03zu", i);
        char *jwk = tl_jwk(jwks_keys[i % JWKS_DISTINCT], kid, "RS256", "sig");
        o += (size_t)snprintf(set + o, cap - o, "%s%s\n", jwk, i + 1 < n ? "," : "");
        free(jwk);
        if (o >= cap)
            die("JWKS buffer too small");
    }
    o += (size_t)snprintf(set + o, cap - o, "]}\n");
    snprintf(name, sizeof(name), "jwks-%zu.json", n);
    c->bytes = strlen(set);
    write_text(name, set, strlen(set));
    free(set);
    char *jw = path_of(name);
    snprintf(name, sizeof(name), "jwks-%zu.conf", n);
    c->config = path_of(name);
    char *conf = xasprintf("jwks_file = %s\nallowed_subjects = *\n", jw);
    write_text(name, conf, strlen(conf));
    free(conf);
    free(jw);
    char *line = xasprintf("%s config=%s", so, c->config);
    snprintf(name, sizeof(name), "jwks-%zu", n);
    make_service(c, name, line);
    free(line);
    c->label = xasprintf("jwks_file %zu key%s", n, n == 1 ? "" : "s");
    char kid[32];
    snprintf(kid, sizeof(kid), "kid-%03zu", n - 1);
    c->token = mint("RS256", jwks_keys[(n - 1) % JWKS_DISTINCT], kid, me, "bench-jti-1");
}

/* The subject of the user map cases: as long as the subjects of the maps'
 * other lines ("user000001@example.com"), with the same first bytes. */
#define BENCH_MAP_SUB "user-bench@example.com"

/* List files of n lines; RS256 token against the RS256 key_file. */
static void setup_file(int f, size_t idx)
{
    size_t n = line_sizes[idx];
    lcase *c = &file_cases[f][idx];
    const algcase *rs = &algs[1];
    /* Every earlier line starts with the byte the looked-up string starts
     * with (a map line is as long as the subject, too), so no line is
     * passed over on its first byte. */
    const char *sub = f == F_USERMAP ? BENCH_MAP_SUB : me;
    char name[64];
    size_t cap = n * 64 + 512, o = 0;
    char *text = malloc(cap);
    if (text == NULL)
        die("out of memory");
    for (size_t i = 0; i + 1 < n; i++) {
        if (f == F_SUBJECTS)
            o += (size_t)snprintf(text + o, cap - o, "%s-%06zu@example.com\n", me, i);
        else if (f == F_USERMAP)
            o += (size_t)snprintf(text + o, cap - o, "user%06zu@example.com other\n", i);
        else
            o += (size_t)snprintf(text + o, cap - o, "bench-jti-%06zu\n", i);
    }
    /* the last line: the match, or for revoked_file one more other jti */
    if (f == F_SUBJECTS)
        o += (size_t)snprintf(text + o, cap - o, "%s\n", me);
    else if (f == F_USERMAP)
        o += (size_t)snprintf(text + o, cap - o, "%s %s\n", sub, me);
    else
        o += (size_t)snprintf(text + o, cap - o, "bench-jti-%06zu\n", n - 1);
    snprintf(name, sizeof(name), "%s-%zu", file_tag[f], n);
    c->bytes = o;
    write_text(name, text, o);
    free(text);
    char *lp = path_of(name);
    snprintf(name, sizeof(name), "%s-%zu.conf", file_tag[f], n);
    c->config = path_of(name);
    char *conf = xasprintf("key_file = %s\n%s%s = %s\n", rs->pub,
                           f == F_SUBJECTS ? "" : "allowed_subjects = *\n", file_key[f], lp);
    write_text(name, conf, strlen(conf));
    free(conf);
    free(lp);
    char *line = xasprintf("%s config=%s", so, c->config);
    snprintf(name, sizeof(name), "%s-%zu", file_tag[f], n);
    make_service(c, name, line);
    free(line);
    c->label = xasprintf("%s %zu line%s", file_key[f], n, n == 1 ? "" : "s");
    c->token = mint("RS256", rs->key, NULL, sub, "bench-jti-live");
}

/* A 10-key JWK Set (the token's kid names the last key) with a
 * 10,000-line user map whose last line maps the token's subject: the
 * common large deployment, held to the 1-key JWKS login.  Needs
 * setup_jwks(1) (jwks-10.json) first. */
#define COMBO_LINES 10000
static lcase combo_case;

static void setup_combo(void)
{
    lcase *c = &combo_case;
    const char *sub = BENCH_MAP_SUB;
    size_t cap = COMBO_LINES * 64 + 512, o = 0;
    char *text = malloc(cap);
    if (text == NULL)
        die("out of memory");
    for (size_t i = 0; i + 1 < COMBO_LINES; i++)
        o += (size_t)snprintf(text + o, cap - o, "user%06zu@example.com other\n", i);
    o += (size_t)snprintf(text + o, cap - o, "%s %s\n", sub, me);
    c->bytes = o;
    write_text("combo.map", text, o);
    free(text);
    char *jw = path_of("jwks-10.json"), *mp = path_of("combo.map");
    c->config = path_of("combo.conf");
    char *conf = xasprintf("jwks_file = %s\nallowed_subjects = *\nuser_map_file = %s\n", jw, mp);
    write_text("combo.conf", conf, strlen(conf));
    free(conf);
    free(jw);
    free(mp);
    char *line = xasprintf("%s config=%s", so, c->config);
    make_service(c, "combo", line);
    free(line);
    c->label = xasprintf("jwks_file 10 keys + user_map_file %d lines", COMBO_LINES);
    c->token = mint("RS256", jwks_keys[9 % JWKS_DISTINCT], "kid-009", sub, "bench-jti-1");
}

/* Several issuers: a policy directory of 5 issuers' files (the token's iss
 * names the last), against the same policy as one config file.  Each
 * policy has its own key_file.  Needs setup_jwks(0) first. */
#define POLICIES 5
static lcase policy_file_case, policy_dir_case;

static void setup_policies(void)
{
    char *pol = path_of("policies"), *pub = path_of("policy-key.pub");
    if (mkdir(pol, 0755) != 0 && errno != EEXIST)
        die("mkdir %s", pol);
    chmod(pol, 0755);
    if (tl_write_pub(jwks_keys[0], pub) != 0)
        die("cannot write %s", pub);
    chmod(pub, 0644);
    for (int i = 0; i < POLICIES; i++) {
        /* the last file names the token's issuer */
        char *iss = i == POLICIES - 1 ? xasprintf("https://idp.example.com")
                                      : xasprintf("https://other-%d.example.com", i);
        char *conf = xasprintf("issuer = %s\nkey_file = %s\nallowed_subjects = *\n", iss, pub);
        char *name = xasprintf("policies/%c.conf", 'a' + i);
        write_text(name, conf, strlen(conf));
        if (i == POLICIES - 1)
            write_text("policy-one.conf", conf, strlen(conf));
        free(iss);
        free(conf);
        free(name);
    }
    char *one = path_of("policy-one.conf");
    char *line = xasprintf("%s config=%s", so, one);
    make_service(&policy_file_case, "policyfile", line);
    free(line);
    line = xasprintf("%s config=%s", so, pol);
    make_service(&policy_dir_case, "policydir", line);
    free(line);
    policy_file_case.label = xasprintf("one config file");
    policy_dir_case.label = xasprintf("policy directory, %d issuers", POLICIES);
    policy_file_case.token = mint("RS256", jwks_keys[0], NULL, me, "bench-jti-1");
    policy_dir_case.token = mint("RS256", jwks_keys[0], NULL, me, "bench-jti-1");
    free(one);
    free(pol);
    free(pub);
}

/* Rosters: a policy with roster = yes whose roster has ROSTER_USERS users
 * (the token's iss and sub are the last one's, named like the bench's own
 * user), against the same policy without it (allowed_subjects names the
 * user): a login reads two small index files, never the roster, so the
 * target is <= 2x.  The state is written by the real pj_roster_apply,
 * told that the host knows no one (so the bench's user may be on it). */
#define ROSTER_USERS 10000
static lcase roster_case, noroster_case;

static int nobody_name(void *c, const char *n, uint32_t *id)
{
    (void)c, (void)n, (void)id;
    return 0;
}
static int nobody_id(void *c, uint32_t id, char **n)
{
    (void)c, (void)id, (void)n;
    return 0;
}

static void setup_roster(void)
{
    const algcase *rs = &algs[1];
    static const pj_roster_nss nobody = {nobody_name, nobody_id, nobody_name, nobody_id, NULL};
    size_t cap = ROSTER_USERS * 128 + 256, o = 0;
    char *text = malloc(cap), why[512];
    if (text == NULL)
        die("out of memory");
    o += (size_t)snprintf(text + o, cap - o, "{\"serial\":1,\"users\":[");
    for (size_t i = 0; i < ROSTER_USERS; i++) {
        bool last = i + 1 == ROSTER_USERS;
        char name[40];
        snprintf(name, sizeof(name), "u%06zu", i);
        o += (size_t)snprintf(text + o, cap - o,
                              "%s{\"name\":\"%s\",\"uid\":%zu,\"iss\":\"https://idp.example.com\","
                              "\"sub\":\"roster-sub-%06zu\"}",
                              i ? "," : "", last ? me : name, 200000 + i, i);
    }
    o += (size_t)snprintf(text + o, cap - o, "],\"groups\":[]}");
    roster_case.bytes = o;
    char *ud = path_of("roster-userdb"), *sd = path_of("roster-state");
    pj_roster_dirs dirs = {ud, sd};
    pj_roster_opts ro = {200000, 299999, 30, (double)time(NULL), &nobody, NULL, false, false};
    if (pj_roster_apply(&dirs, text, o, &ro, why, sizeof(why)) != 0)
        die("roster apply: %s", why);
    free(text);
    char *conf = xasprintf("issuer = https://idp.example.com\nkey_file = %s\nroster = yes\n"
                           "roster_state_dir = %s\n", rs->pub, sd);
    write_text("roster.conf", conf, strlen(conf));
    free(conf);
    conf = xasprintf("key_file = %s\nallowed_subjects = %s\n", rs->pub, me);
    write_text("noroster.conf", conf, strlen(conf));
    free(conf);
    roster_case.config = path_of("roster.conf");
    noroster_case.config = path_of("noroster.conf");
    char *line = xasprintf("%s config=%s", so, roster_case.config);
    make_service(&roster_case, "roster", line);
    free(line);
    line = xasprintf("%s config=%s", so, noroster_case.config);
    make_service(&noroster_case, "noroster", line);
    free(line);
    roster_case.label = xasprintf("roster = yes, %d users", ROSTER_USERS);
    noroster_case.label = xasprintf("the same policy without roster");
    char sub[40];
    snprintf(sub, sizeof(sub), "roster-sub-%06d", ROSTER_USERS - 1);
    roster_case.token = mint("RS256", rs->key, NULL, sub, "bench-jti-1");
    noroster_case.token = mint("RS256", rs->key, NULL, me, "bench-jti-1");
    free(ud);
    free(sd);
}

static void print_row(const char *what, size_t size, const lcase *c, const stats *s,
                      const stats *base, double target)
{
    double ratio = s->med / base->med;
    printf("   %-22s %7zu %9zu %5zu %9.1f %9.1f %6.2f", what, size, c->bytes, s->n, s->med,
           s->p90, ratio);
    if (target > 0)
        printf("   <= %.1f %s", target, verdict(ratio, target));
    printf("\n");
    fflush(stdout);
    check_stop();
}

static void section_scaling(void)
{
    /* The big cases cost milliseconds a login: cap each group's run time,
     * but keep at least 20 samples. */
    double budget = opt_quick ? 1.5 : 6.0;
    size_t min_n = 20;
    stats s[NSIZES];

    printf("\n== 2. Scaling (RS256 login cycle; median/p90 us; ratio = median / the 1-key\n"
           "   or 1-line case; the three sizes of a row group run round-robin, up to\n"
           "   N=%zu rounds or %.1f s, at least %zu rounds)\n\n",
           opt_n, budget, min_n);
    printf("   %-22s %7s %9s %5s %9s %9s %6s   %s\n", "case", "entries", "bytes", "n",
           "median", "p90", "ratio", "target");
    lcase *cs[NSIZES];
    for (size_t i = 0; i < NSIZES; i++)
        cs[i] = &jwks_cases[i];
    run_logins(cs, NSIZES, opt_n, budget, min_n, s);
    for (size_t i = 0; i < NSIZES; i++) {
        /* no target: issue 12 traded the 100-key speed of the hand-written
         * JSON scanner (issue 5: <= 2x) for one JSON parser, jansson */
        print_row("jwks_file (RSA keys)", jwks_sizes[i], cs[i], &s[i], &s[0], 0);
    }
    {
        lcase *pair[2] = {&jwks_cases[0], &combo_case};
        stats ps[2];
        run_logins(pair, 2, opt_n, budget, min_n, ps);
        print_row("jwks_file (RSA keys)", 1, pair[0], &ps[0], &ps[0], 0);
        print_row("10 keys + map lines", COMBO_LINES, pair[1], &ps[1], &ps[0], 1.6);
    }
    {
        lcase *pair[2] = {&policy_file_case, &policy_dir_case};
        stats ps[2];
        run_logins(pair, 2, opt_n, budget, min_n, ps);
        print_row("one config file", 1, pair[0], &ps[0], &ps[0], 0);
        print_row("policy directory", POLICIES, pair[1], &ps[1], &ps[0], 0);
    }
    {
        lcase *pair[2] = {&noroster_case, &roster_case};
        stats ps[2];
        run_logins(pair, 2, opt_n, budget, min_n, ps);
        print_row("without roster", 1, pair[0], &ps[0], &ps[0], 0);
        print_row("roster = yes (users)", ROSTER_USERS, pair[1], &ps[1], &ps[0], 2.0);
    }
    for (int f = 0; f < NFILES; f++) {
        for (size_t i = 0; i < NSIZES; i++)
            cs[i] = &file_cases[f][i];
        run_logins(cs, NSIZES, opt_n, budget, min_n, s);
        for (size_t i = 0; i < NSIZES; i++) {
            print_row(file_key[f], line_sizes[i], cs[i], &s[i], &s[0],
                      i == NSIZES - 1 ? 5.0 : 0);
        }
    }
    printf("\n   jwks_file: every key has its own kid, alg RS256, use sig (%d distinct\n"
           "   RSA-2048 moduli, repeated); the token's kid names the last key.\n"
           "   allowed_subjects_file: the subject is the last line; the others are\n"
           "   the subject followed by \"-000001@example.com\" and so on.\n"
           "   user_map_file: earlier lines are literal non-matching subjects\n"
           "   (\"user000001@example.com other\") of the same length and first bytes\n"
           "   as the token's (\"" BENCH_MAP_SUB "\"); the last maps it.\n"
           "   revoked_file: every line is another jti (\"bench-jti-000001\"); the\n"
           "   token's jti (\"bench-jti-live\") is not listed.\n"
           "   10 keys + map lines: the 10-key JWK Set and a user_map_file of such\n"
           "   lines, ratio to the 1-key JWK Set.\n"
           "   roster = yes: a 10,000-user roster applied (pamjwt roster apply's code)\n"
           "   whose last user is the token's iss and sub; ratio to the same policy\n"
           "   without roster (allowed_subjects names the user).\n",
           JWKS_DISTINCT);
}

/* ------------------------------------------------------------ section 4 */
/* replay_cache: a cache already holding REPLAY_LIVE live entries, all due
 * to expire in the same hour as the timed tokens (as when many tokens were
 * minted together), then REPLAY_LOGINS consecutive logins, each with a
 * fresh jti.  About one login in 32 also sweeps expired entries; it must
 * not cost much more than the others: slowest <= 3x median. */
#define REPLAY_LIVE 200000
#define REPLAY_LOGINS 64
#define REPLAY_WARMUP 3

/* The live entries are recorded through the module's own pj_replay, with
 * the issuer and expiry of the tokens mint() makes. */
static void fill_replay(const char *config)
{
    pj_config *cfg = pj_config_load(config, &bench_log);
    double until = (double)(t0 + 3000 + PJ_DEFAULT_LEEWAY);
    if (cfg == NULL)
        die("cannot load %s", config);
    for (size_t i = 0; i < REPLAY_LIVE; i++) {
        char jti[40];
        snprintf(jti, sizeof(jti), "live-%07zu", i);
        if (pj_replay(cfg, "https://idp.example.com", jti, until, (double)time(NULL), true,
                      &bench_log) != PJ_REPLAY_NOT_USED)
            die("cannot record live entry %zu", i);
        if (i % 4096 == 0)
            check_stop();
    }
    pj_config_free(cfg);
}

static void section_replay(void)
{
    const algcase *es = &algs[0];
    lcase c = {0};
    char *cache = path_of("replay");
    if (mkdir(cache, 0700) != 0)
        die("cannot make %s: %s", cache, strerror(errno));
    char *conf = xasprintf("key_file = %s\nallowed_subjects = *\nreplay_cache = %s\n",
                           es->pub, cache);
    write_text("replay.conf", conf, strlen(conf));
    free(conf);
    c.label = "replay_cache";
    c.config = path_of("replay.conf");
    char *line = xasprintf("%s config=%s", so, c.config);
    make_service(&c, "replay", line);
    free(line);

    double fs = mono_us();
    fill_replay(c.config);
    double fill_s = (mono_us() - fs) / 1e6;
    /* write the fill back now, or the timed logins compete with it */
    sync();

    char *tok[REPLAY_WARMUP + REPLAY_LOGINS];
    for (size_t i = 0; i < REPLAY_WARMUP + REPLAY_LOGINS; i++) {
        char jti[40];
        snprintf(jti, sizeof(jti), "fresh-%03zu", i);
        tok[i] = mint("ES256", es->key, NULL, me, jti);
    }
    /* wall clock, and this thread's CPU time: on a busy machine a login
     * also waits for a CPU, which only the wall figure includes */
    double v[REPLAY_LOGINS], cpu[REPLAY_LOGINS];
    for (size_t i = 0; i < REPLAY_WARMUP + REPLAY_LOGINS; i++) {
        check_stop();
        answer = tok[i];
        double ca = cpu_us(), a = mono_us();
        int rc = login_cycle(c.service);
        double b = mono_us(), cb = cpu_us();
        if (rc != PAM_SUCCESS)
            die("replay_cache: login %zu returned %s (expected PAM_SUCCESS)", i, rc_name(rc));
        if (i >= REPLAY_WARMUP) {
            v[i - REPLAY_WARMUP] = b - a;
            cpu[i - REPLAY_WARMUP] = cb - ca;
        }
    }
    stats s = stats_of(v, REPLAY_LOGINS), sc = stats_of(cpu, REPLAY_LOGINS); /* sort v, cpu */
    double slowest = v[REPLAY_LOGINS - 1], ratio = slowest / s.med;
    double cslowest = cpu[REPLAY_LOGINS - 1], cratio = cslowest / sc.med;
    printf("\n== 4. replay_cache: %d consecutive ES256 logins, each with a fresh jti, after\n"
           "   %d live entries were recorded (%.1f s, through pj_replay)\n\n",
           REPLAY_LOGINS, REPLAY_LIVE, fill_s);
    printf("   %-5s median %8.1f us, p90 %8.1f us, slowest %9.1f us: slowest / median %6.2f"
           "   <= 3.0 %s\n",
           "wall", s.med, s.p90, slowest, ratio, verdict(ratio, 3.0));
    printf("   %-5s median %8.1f us, p90 %8.1f us, slowest %9.1f us: slowest / median %6.2f"
           "   <= 3.0 %s\n",
           "CPU", sc.med, sc.p90, cslowest, cratio, verdict(cratio, 3.0));
    printf("\n   About one login in 32 also sweeps (lists the cache directory; nothing has\n"
           "   expired here).  CPU: this thread's CPU time (CLOCK_THREAD_CPUTIME_ID); the\n"
           "   wall figure also holds waits for a CPU, which on a busy machine can make\n"
           "   any one login the slowest.\n");
    fflush(stdout);
    for (size_t i = 0; i < REPLAY_WARMUP + REPLAY_LOGINS; i++)
        free(tok[i]);
    free(cache);
    free(c.config);
    free(c.service);
    check_stop();
}

/* ------------------------------------------------------------ section 1b */
/* The first login in a fresh process.  sshd re-executes itself for every
 * connection, so OpenSSL's provider and algorithm caches start cold there;
 * in the loop above they are warm after the first cycle.  The child is this
 * program run as "-c SERVICE" (environment: PAMJWT_BENCH_DIR, _TOKEN): it
 * has touched neither libpam nor OpenSSL before the one timed cycle. */
static char self_exe[4096];

static int child_login(const char *service)
{
    const char *d = getenv("PAMJWT_BENCH_DIR"), *t = getenv("PAMJWT_BENCH_TOKEN");
    if (d == NULL || t == NULL)
        return 2;
    dir = strdup(d);
    answer = t;
    double a = mono_us();
    int rc = login_cycle(service);
    double b = mono_us();
    if (rc != PAM_SUCCESS) {
        fprintf(stderr, "pamjwt_bench: fresh-process login returned %s\n", rc_name(rc));
        return 1;
    }
    printf("%.3f\n", b - a);
    return 0;
}

static stats run_cold(const lcase *c, size_t n)
{
    double *v = malloc(n * sizeof(*v));
    if (v == NULL)
        die("out of memory");
    setenv("PAMJWT_BENCH_DIR", dir, 1);
    setenv("PAMJWT_BENCH_TOKEN", c->token ? c->token : "", 1);
    char *cmd = xasprintf("'%s' -c '%s'", self_exe, c->service);
    for (size_t i = 0; i < n; i++) {
        check_stop();
        FILE *p = popen(cmd, "r");
        char line[64];
        if (p == NULL || fgets(line, sizeof(line), p) == NULL)
            die("%s: fresh-process login failed", c->label);
        if (pclose(p) != 0)
            die("%s: fresh-process login did not succeed", c->label);
        v[i] = strtod(line, NULL);
    }
    free(cmd);
    stats s = stats_of(v, n);
    free(v);
    return s;
}

static void section_cold(void)
{
    size_t n = opt_quick ? 10 : 40;
    stats s[NALGS], permit;
    ssize_t l = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (l <= 0)
        die("readlink /proc/self/exe");
    self_exe[l] = '\0';
    for (size_t i = 0; i < NALGS; i++)
        s[i] = run_cold(&algs[i].login, n);
    permit = run_cold(&permit_case, n);
    printf("\n== 1b. First login in a fresh process (%zu processes each; OpenSSL and libpam\n"
           "   state cold, as in a re-executed sshd child; no target, for information)\n\n", n);
    printf("   %-6s %10s %10s %10s\n", "", "median", "p90", "- permit");
    for (size_t i = 0; i < NALGS; i++)
        printf("   %-6s %10.1f %10.1f %10.1f\n", algs[i].alg, s[i].med, s[i].p90,
               s[i].med - permit.med);
    printf("   %-6s %10.1f %10.1f\n", "permit", permit.med, permit.p90);
    fflush(stdout);
    check_stop();
}

/* ------------------------------------------------------------ header */
static void version_of_libjwt(char *buf, size_t sz)
{
    FILE *p = popen("pkg-config --modversion libjwt 2>/dev/null", "r");
    buf[0] = '\0';
    if (p != NULL) {
        if (fgets(buf, (int)sz, p) == NULL)
            buf[0] = '\0';
        pclose(p);
    }
    buf[strcspn(buf, "\n")] = '\0';
    if (buf[0] == '\0')
        snprintf(buf, sz, "unknown");
}

static void cpu_model(char *buf, size_t sz)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(buf, sz, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ')
                    v++;
                v[strcspn(v, "\n")] = '\0';
                snprintf(buf, sz, "%s", v);
            }
            break;
        }
    fclose(f);
}

/* Other work on the machine inflates the fixed part of a login (libpam's
 * dlopen/dlclose spend most of their time in the kernel: mmap, munmap and
 * their TLB flushes), which also shrinks every ratio: say so. */
static void print_load(const char *when, double busy)
{
    double l[3];
    if (getloadavg(l, 3) != 3)
        return;
    printf("   %s: load average %.2f %.2f %.2f (1/5/15 min)\n", when, l[0], l[1], l[2]);
    if (l[0] >= busy)
        printf("   WARNING: the machine is busy (1-min load >= %.1f): wall-clock figures are\n"
               "   inflated and ratios shrink; rerun on an idle machine before trusting a\n"
               "   PASS/MISS verdict\n",
               busy);
}

static void header(void)
{
    char jwtv[64], cpu[256];
    version_of_libjwt(jwtv, sizeof(jwtv));
    cpu_model(cpu, sizeof(cpu));
    printf("pamjwt_bench (%s)\n", PACKAGE_STRING);
    printf("   cores     %ld online (%s)\n", sysconf(_SC_NPROCESSORS_ONLN), cpu);
    printf("   OpenSSL   %s (built against %s)\n", OpenSSL_version(OPENSSL_VERSION),
           OPENSSL_VERSION_TEXT);
    printf("   libjwt    %s (pkg-config; signs test tokens only, the module does not use it)\n",
           jwtv);
    printf("   jansson   %s\n", jansson_version_str());
    printf("   module    %s\n", so);
    printf("   permit    %s\n", permit_so);
    printf("   syslog    /dev/log %s (the module logs one line per accepted login)\n",
           access("/dev/log", F_OK) == 0 ? "present" : "absent");
    printf("   N         %zu%s\n", opt_n, opt_quick ? " (quick run)" : "");
    print_load("load at start", 1.0);
    fflush(stdout);
    check_stop();
}

/* ------------------------------------------------------------ main */
static void usage(void)
{
    fprintf(stderr,
            "usage: pamjwt_bench [-q] [-n N] [-p CASE]\n"
            "  -n N     iterations per measurement (default 2000)\n"
            "  -q       quick run (N=200, shorter scaling budget)\n"
            "  -p CASE  profile mode: only time N login cycles of CASE, one of\n"
            "           ES256 RS256 EdDSA permit jwks-1 jwks-10 jwks-100\n"
            "           subjects-N usermap-N revoked-N (N = 1, 1000, 100000),\n"
            "           combo (jwks-10 with a 10,000-line user map),\n"
            "           policy-file, policy-dir (5 issuers' policies; iss picks the last),\n"
            "           roster, noroster (a 10,000-user roster; the same policy without);\n"
            "           for callgrind use --toggle-collect=login_cycle;\n"
            "           replay runs section 4 (replay_cache) alone\n"
            "  (-c SERVICE is internal: section 1b's fresh-process login)\n"
            "  env: PAM_JWT_SO, PAM_PERMIT_SO\n");
    exit(2);
}

static void profile(const char *name)
{
    lcase *c = NULL;
    if (strcmp(name, "replay") == 0) { /* section 4 alone */
        setup_alg(&algs[0]);
        section_replay();
        return;
    }
    for (size_t i = 0; i < NALGS; i++)
        if (strcmp(name, algs[i].alg) == 0) {
            setup_alg(&algs[i]);
            c = &algs[i].login;
        }
    if (strcmp(name, "permit") == 0) {
        setup_permit();
        c = &permit_case;
    }
    if (strcmp(name, "policy-file") == 0 || strcmp(name, "policy-dir") == 0) {
        setup_jwks(0);
        setup_policies();
        c = name[7] == 'f' ? &policy_file_case : &policy_dir_case;
    }
    if (strcmp(name, "roster") == 0 || strcmp(name, "noroster") == 0) {
        setup_alg(&algs[1]);
        setup_roster();
        c = name[0] == 'r' ? &roster_case : &noroster_case;
    }
    if (strcmp(name, "combo") == 0) {
        setup_jwks(1);
        setup_combo();
        c = &combo_case;
    }
    for (size_t i = 0; i < NSIZES; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "jwks-%zu", jwks_sizes[i]);
        if (strcmp(name, tag) == 0) {
            setup_jwks(i);
            c = &jwks_cases[i];
        }
        for (int f = 0; f < NFILES; f++) {
            snprintf(tag, sizeof(tag), "%s-%zu", file_tag[f], line_sizes[i]);
            if (strcmp(name, tag) == 0) {
                setup_alg(&algs[1]);
                setup_file(f, i);
                c = &file_cases[f][i];
            }
        }
    }
    if (c == NULL)
        usage();
    stats s;
    run_logins(&c, 1, opt_n, 0, 0, &s);
    printf("profile %s: %zu login cycles, median %.1f us, p90 %.1f us\n", c->label, s.n, s.med,
           s.p90);
}

int main(int argc, char **argv)
{
    int ch;
    bool n_set = false;
    const char *opt_child = NULL;
    while ((ch = getopt(argc, argv, "n:qp:c:h")) != -1) {
        switch (ch) {
        case 'n': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end != '\0' || v < 1 || v > 10000000)
                usage();
            opt_n = (size_t)v;
            n_set = true;
            break;
        }
        case 'q': opt_quick = true; break;
        case 'p': opt_profile = optarg; break;
        case 'c': opt_child = optarg; break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    if (opt_quick && !n_set)
        opt_n = 200;

    if (opt_child) { /* internal: section 1b's fresh process */
        struct passwd *cpw = getpwuid(geteuid());
        if (cpw == NULL)
            return 2;
        snprintf(me, sizeof(me), "%s", cpw->pw_name);
        return child_login(opt_child);
    }

    so = getenv("PAM_JWT_SO");
    permit_so = getenv("PAM_PERMIT_SO");
    if (so == NULL || permit_so == NULL || so[0] != '/' || permit_so[0] != '/')
        die("set PAM_JWT_SO and PAM_PERMIT_SO to absolute paths (make bench does)");
    if (access(so, R_OK) != 0 || access(permit_so, R_OK) != 0)
        die("cannot read %s or %s", so, permit_so);
    struct passwd *pw = getpwuid(geteuid());
    if (pw == NULL)
        die("the current uid has no passwd entry");
    snprintf(me, sizeof(me), "%s", pw->pw_name);
    setup_signals();
    dir = tl_tmpdir();
    if (dir == NULL)
        die("cannot make a temporary directory");
    t0 = (long)time(NULL);

    if (opt_profile) {
        profile(opt_profile);
        tl_rmtree(dir);
        return 0;
    }

    double start = mono_us();
    header();
    for (size_t i = 0; i < NALGS; i++)
        setup_alg(&algs[i]);
    setup_permit();
    section_algorithms();
    section_cold();

    double ks = mono_us();
    for (size_t i = 0; i < NSIZES; i++)
        setup_jwks(i);
    for (int f = 0; f < NFILES; f++)
        for (size_t i = 0; i < NSIZES; i++)
            setup_file(f, i);
    setup_combo();
    setup_policies();
    setup_roster();
    printf("\n   (scaling setup: %zu distinct RSA keys generated, files written in %.1f s)\n",
           jwks_keys_n, (mono_us() - ks) / 1e6);
    section_scaling();

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\n== 3. Peak RSS of this process: %ld KiB (%.1f MiB; includes the bench's own\n"
           "   keys and 100,000-line files)\n",
           ru.ru_maxrss, (double)ru.ru_maxrss / 1024.0);
    section_replay();
    printf("\n   conversation calls: %u; total run time %.1f s\n", conv_calls,
           (mono_us() - start) / 1e6);
    /* this benchmark itself has kept one core busy for a while */
    print_load("load at end, this run included", 1.8);
    tl_rmtree(dir);
    return 0;
}
