/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt token and pamjwt askpass: hand the stored token (whole or in the
 * pieces of contract "Long tokens: chunked answers") or a proof of
 * possession to ssh or sudo, and pass any other prompt on. */
#include "config.h"

#include "cli.h"
#include "cli_jwk.h"
#include "cli_state.h"
#include "cli_store.h"
#include "cli_target.h"
#include "chunk.h"
#include "jose.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CHUNK 500  /* below sudo's 512-byte limit on an answer */
#define MIN_CHUNK 32       /* room for "pamjwt-chunked:16384:" and a piece */
#define MAX_CHUNK 65536
#define MAX_TTY_LINE 8192

/* Print one answer: the text and the newline ssh and sudo strip.  0 or -1. */
static int answer(const char *s, size_t n)
{
    if (fwrite(s, 1, n, stdout) != n || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot write the answer: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ pieces */

char *pj_cli_chunk_first(const char *obj, size_t len, size_t chunk)
{
    char hdr[48];
    int hl = snprintf(hdr, sizeof(hdr), PJ_CHUNK_PREFIX "%zu:", len);
    size_t first, rounds;
    char *out;
    /* len <= chunk: it fits whole in one answer, no need for pieces */
    if (len <= chunk || len > PJ_MAX_TOKEN || hl < 0 || (size_t)hl >= chunk)
        return NULL;
    first = chunk - (size_t)hl;
    rounds = (len - first + chunk - 1) / chunk;
    if (rounds > PJ_CHUNK_MAX_ROUNDS)
        return NULL;
    out = malloc(chunk + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, hdr, (size_t)hl);
    memcpy(out + hl, obj, first);
    out[chunk] = '\0';
    return out;
}

char *pj_cli_chunk_next(const char *obj, size_t len, size_t chunk, size_t at, bool *last)
{
    size_t n;
    if (at >= len || chunk == 0)
        return NULL;
    n = len - at < chunk ? len - at : chunk;
    *last = at + n == len;
    return pj_strndup(obj + at, n);
}

/* PAMJWT_CHUNK, or the default.  0, or -1 with a message. */
static int chunk_size(size_t *chunk)
{
    const char *e = getenv("PAMJWT_CHUNK");
    uintmax_t v = DEFAULT_CHUNK;
    if (e && *e && pj_parse_uint(e, MIN_CHUNK, MAX_CHUNK, &v) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "PAMJWT_CHUNK wants a number of bytes from %d to %d",
                MIN_CHUNK, MAX_CHUNK);
        return -1;
    }
    *chunk = (size_t)v;
    return 0;
}

/* ------------------------------------------------------------ askpass's state */

/* What one askpass call knows: the prompt, its target, the stored tokens
 * and the user's targets file. */
typedef struct ask {
    const char *prompt;
    pj_prompt p;
    char *dir;
    pj_stored *toks;
    size_t ntok, expired;
    char *targets_path;
    pj_globs globs;
} ask;

/* Refuse to answer: nothing on stdout, one line on stderr naming the
 * target and the reason (escaped by pj_cli_log's sink).  1.  refuse(A,
 * FORMAT, ...) formats the reason with pj_strfmt. */
static int refuse_why(const ask *A, char *why)
{
    pj_logf(&pj_cli_log, LOG_ERR, "askpass: refused %s: %s", A->p.target,
            why ? why : "(out of memory)");
    free(why);
    return 1;
}
#define refuse(A, ...) refuse_why((A), pj_strfmt(__VA_ARGS__))

/* The directory, the tokens that have not expired and the targets file.
 * 0, or -1 with a message. */
static int load_store(ask *A)
{
    A->dir = pj_store_dir(false);
    if (A->dir == NULL || pj_store_tokens(A->dir, &A->toks, &A->ntok, &A->expired) != 0)
        return -1;
    A->targets_path = pj_targets_path();
    if (A->targets_path)
        pj_targets_load(A->targets_path, &A->globs); /* a bad file: no globs, said so */
    return 0;
}

static void ask_free(ask *A)
{
    pj_store_tokens_free(A->toks, A->ntok);
    pj_targets_free(&A->globs);
    free(A->targets_path);
    free(A->dir);
}

/* The stored token for the target: the best pj_target_fit (aud names
 * the target, then bound), newest first among equals; bound ones only
 * for a proof.  Its index, or -1. */
static int pick(const ask *A, bool bound_only)
{
    int best = -1, best_fit = 0;
    for (size_t i = 0; i < A->ntok; i++) {
        int fit = pj_target_fit(A->toks[i].claims, A->p.target, &A->globs);
        if (fit == PJ_FIT_NONE ||
            (bound_only && fit != PJ_FIT_AUD_BOUND && fit != PJ_FIT_LISTED_BOUND))
            continue;
        if (best < 0 || fit < best_fit) {
            best = (int)i;
            best_fit = fit;
        }
    }
    return best;
}

/* The issuer and client id of a stored token, for the command that gets
 * another: "--issuer ISS --client-id ID", or placeholders. */
static char *login_hint(const ask *A)
{
    const char *iss = NULL, *cid = NULL;
    for (size_t i = 0; i < A->ntok && (iss == NULL || cid == NULL); i++) {
        json_t *c = A->toks[i].claims;
        const char *a = json_string_value(json_object_get(c, "iss"));
        const char *b = json_string_value(json_object_get(c, "client_id"));
        if (b == NULL)
            b = json_string_value(json_object_get(c, "azp"));
        if (a && iss == NULL) {
            iss = a;
            cid = b;
        }
    }
    return pj_strfmt("--issuer %s --client-id %s", iss ? iss : "URL", cid ? cid : "ID");
}

/* No token may go to the target (or, for a proof, no bound one or no
 * holder key): nothing on stdout, and on stderr which target has none,
 * why, and the command that gets one; sudo -A and ssh show it. */
static int no_token(const ask *A, char *why)
{
    char *hint = login_hint(A);
    pj_logf(&pj_cli_log, LOG_ERR, "askpass: no token for %s (%s); get one with: pamjwt login "
            "--resource %s %s", A->p.target, why ? why : "out of memory", A->p.target,
            hint ? hint : "--issuer URL --client-id ID");
    free(hint);
    free(why);
    return 1;
}

/* Why no token was picked. */
static int refuse_no_token(const ask *A, bool proof)
{
    if (A->ntok == 0 && A->expired > 0)
        return no_token(A, pj_strfmt("the stored token%s in %s %s expired",
                                     A->expired > 1 ? "s" : "", A->dir,
                                     A->expired > 1 ? "have" : "has"));
    if (A->ntok == 0)
        return no_token(A, pj_strfmt("no stored token in %s", A->dir));
    if (proof)
        return no_token(A, pj_strfmt("a proof of possession was asked for, but no stored token "
                                     "for it is bound to a holder key (cnf.jkt)"));
    return no_token(A, pj_strfmt("%zu stored token%s, none whose aud names it, and %s does not "
                                 "list it%s", A->ntok, A->ntok > 1 ? "s" : "",
                                 A->targets_path ? A->targets_path : "the targets file",
                                 A->expired ? "; others have expired" : ""));
}

/* Answer with obj: whole when it fits in one answer, else its first piece,
 * keeping obj in its own state file (cli_state.h) for the continuation
 * prompts of the process that asks. */
static int send_object(const ask *A, const char *state, const char *obj, size_t len)
{
    size_t chunk;
    char *first = NULL;
    int rc = 1;
    if (chunk_size(&chunk) != 0)
        return 1;
    if (len <= chunk)
        return pj_store_remove(A->dir, state) == 0 && answer(obj, len) == 0 ? 0 : 1;
    first = pj_cli_chunk_first(obj, len, chunk);
    if (first == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR,
                "%zu bytes do not go in %d pieces of PAMJWT_CHUNK=%zu bytes", len,
                PJ_CHUNK_MAX_ROUNDS + 1, chunk);
        return 1;
    }
    if (pj_state_put(A->dir, state, A->p.target, getppid(), obj, len) == 0 &&
        answer(first, chunk) == 0)
        rc = 0;
    pj_wipe_free(first, chunk + 1);
    return rc;
}

/* A token prompt: the token picked for the target. */
static int send_token(ask *A)
{
    int i;
    char *state;
    int rc;
    if (load_store(A) != 0)
        return 1;
    if ((i = pick(A, false)) < 0)
        return refuse_no_token(A, false);
    state = pj_state_name(A->p.target, "token", A->toks[i].tok, A->toks[i].len);
    rc = state ? send_object(A, state, A->toks[i].tok, A->toks[i].len) : 1;
    free(state);
    return rc;
}

/* "pamjwt-continue N/LEN: ": the next piece of the object of LEN bytes
 * being sent to this target, the one this process's parent (ssh, sudo)
 * started (cli_state.h). */
static int send_next(ask *A, size_t at, size_t len)
{
    size_t chunk, n = 0;
    char *state = NULL, *obj = NULL, *piece = NULL;
    bool last = false;
    int rc = 1;
    if (chunk_size(&chunk) != 0 || load_store(A) != 0)
        return 1;
    switch (pj_state_find(A->dir, A->p.target, getppid(), len, &state, &obj, &n)) {
    case PJ_STATE_FOUND:
        break;
    case PJ_STATE_NONE:
        refuse(A, "asked for bytes from %zu of %zu, but no object of %zu bytes is being sent "
                  "there", at, len, len);
        goto out;
    case PJ_STATE_AMBIGUOUS:
        refuse(A, "asked for bytes from %zu of %zu, and several objects of %zu bytes are being "
                  "sent there by other processes", at, len, len);
        goto out;
    case PJ_STATE_FAILED:
    default:
        goto out;
    }
    if (at >= len) {
        refuse(A, "asked for bytes from %zu of %zu", at, len);
        goto out;
    }
    piece = pj_cli_chunk_next(obj, n, chunk, at, &last);
    if (piece && (!last || pj_store_remove(A->dir, state) == 0) &&
        answer(piece, strlen(piece)) == 0)
        rc = 0;
out:
    pj_free_str(piece);
    if (obj)
        pj_wipe_free(obj, n);
    free(state);
    return rc;
}

/* "pamjwt-pop NONCE: ": a proof of possession of the holder key of the
 * bound token picked for the target, for that target (aud). */
static int send_proof(ask *A, const char *nonce)
{
    const char *env = getenv("PAMJWT_HOLDER_KEY");
    char *path = NULL, *ath = NULL, *proof = NULL, *state = NULL;
    EVP_PKEY *k = NULL;
    json_t *c = NULL;
    const pj_stored *t;
    int rc = 1, i;

    if (load_store(A) != 0)
        return 1;
    if ((i = pick(A, true)) < 0)
        return refuse_no_token(A, true);
    t = &A->toks[i];
    if (env && *env) {
        k = pj_cli_key_load(env);
    } else if ((path = pj_store_path(A->dir, PJ_STORE_HOLDER)) != NULL) {
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            no_token(A, pj_strfmt("a proof of possession was asked for, but there is no holder "
                                  "key %s: pamjwt login makes one, or set PAMJWT_HOLDER_KEY",
                                  path));
            goto out;
        } else
            k = pj_cli_key_load(path);
    }
    if (k == NULL)
        goto out;
    ath = pj_cli_sha256_b64url(t->tok, t->len);
    c = ath ? json_pack("{s:s, s:I, s:s, s:s}", "nonce", nonce, "iat", (json_int_t)time(NULL),
                        "ath", ath, "aud", A->p.target)
            : NULL;
    proof = c ? pj_cli_jws_with_jwk(k, "pamjwt-pop+jwt", c) : NULL;
    state = pj_state_name(A->p.target, "proof", nonce, strlen(nonce));
    if (proof == NULL || state == NULL)
        pj_logf(&pj_cli_log, LOG_ERR, "cannot sign the proof of possession");
    else
        rc = send_object(A, state, proof, strlen(proof));
out:
    json_decref(c);
    free(ath);
    free(proof);
    free(state);
    EVP_PKEY_free(k);
    free(path);
    return rc;
}

/* ------------------------------------------------------------ prompts */

/* The length of s without its trailing white space. */
static size_t trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && pj_is_space((unsigned char)s[n - 1]))
        n--;
    return n;
}

/* The module's token prompt ("Token: ", or $PAMJWT_PROMPT) at the end of
 * the prompt's body, trailing white space ignored on both sides: so
 * PAMJWT_PROMPT="password for alice:" fits "[sudo] password for alice: ". */
static bool ends_with(const char *body, const char *want)
{
    size_t n = trimmed(body), m = trimmed(want);
    return m > 0 && m <= n && memcmp(body + n - m, want, m) == 0;
}

/* The module's default prompts: "Token: ", and where a policy offers
 * device sign-in "Token (empty to sign in with a browser): " (the
 * module's PJ_DEVICE_PROMPT); or $PAMJWT_PROMPT alone when it is set. */
static bool token_prompt(const char *body)
{
    const char *want = getenv("PAMJWT_PROMPT");
    if (want != NULL && *want != '\0')
        return ends_with(body, want);
    return ends_with(body, "Token: ") ||
           ends_with(body, "Token (empty to sign in with a browser): ");
}

/* Where "WORD " starts the prompt's last part: at its start or after a
 * space.  NULL when it does not. */
static const char *last_word(const char *prompt, const char *word)
{
    const char *hit = NULL;
    for (const char *p = strstr(prompt, word); p; p = strstr(p + 1, word))
        if (p == prompt || p[-1] == ' ')
            hit = p;
    return hit ? hit + strlen(word) : NULL;
}

/* ": " or ":" and the end. */
static bool prompt_end(const char *p)
{
    return strcmp(p, ": ") == 0 || strcmp(p, ":") == 0;
}

/* 1 to 5 digits, no leading zero (but "0" itself), at most PJ_MAX_TOKEN. */
static const char *number(const char *start, size_t *v)
{
    const char *p = start;
    *v = 0;
    for (; *p >= '0' && *p <= '9' && p - start < 6; p++)
        *v = *v * 10 + (size_t)(*p - '0');
    if (p == start || p - start > 5 || (p - start > 1 && *start == '0') || *v > PJ_MAX_TOKEN)
        return NULL;
    return p;
}

/* "pamjwt-continue N/LEN: " */
static bool continue_prompt(const char *prompt, size_t *at, size_t *len)
{
    const char *p = last_word(prompt, "pamjwt-continue ");
    if (p == NULL || (p = number(p, at)) == NULL || *p++ != '/' || (p = number(p, len)) == NULL)
        return false;
    return prompt_end(p);
}

/* ------------------------------------------------------------ pamjwt token */

#define TOKEN_USAGE "usage: pamjwt token [--issuer URL [--resource R] | --target TARGET]\n"

int pj_cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {{"issuer", required_argument, NULL, 'i'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"target", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    const char *issuer = NULL, *resource = NULL, *target = NULL;
    char *name = NULL;
    ask A = {0};
    int o, i = -1, rc = 1;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'i': issuer = optarg; break;
        case 'r': resource = optarg; break;
        case 't': target = optarg; break;
        default: fputs(TOKEN_USAGE, stderr); return 2;
        }
    }
    if (optind != argc || (resource && !issuer) || (target && issuer)) {
        fputs(TOKEN_USAGE, stderr);
        return 2;
    }
    if (target && strlen(target) >= sizeof(A.p.target)) {
        pj_logf(&pj_cli_log, LOG_ERR, "--target: too long");
        return 2;
    }
    snprintf(A.p.target, sizeof(A.p.target), "%s", target ? target : "");
    if (load_store(&A) != 0)
        goto out;
    if (issuer) { /* the token pamjwt login --issuer --resource stored */
        name = pj_store_token_name(issuer, resource);
        for (size_t j = 0; name && j < A.ntok && i < 0; j++)
            if (strcmp(A.toks[j].name, name) == 0)
                i = (int)j;
        if (i < 0)
            pj_logf(&pj_cli_log, LOG_ERR, "no stored token for issuer %s%s%s in %s (or it has "
                                          "expired: run pamjwt login)", issuer,
                    resource ? " and resource " : "", resource ? resource : "", A.dir);
    } else if (target) { /* what askpass would give the target */
        if ((i = pick(&A, false)) < 0)
            refuse_no_token(&A, false);
    } else if (A.ntok > 0) { /* the newest */
        i = 0;
    } else {
        refuse_no_token(&A, false);
    }
    if (i >= 0)
        rc = answer(A.toks[i].tok, A.toks[i].len) == 0 ? 0 : 1;
out:
    free(name);
    ask_free(&A);
    return rc;
}
/* ------------------------------------------------------------ other prompts */

/* $PAMJWT_ASKPASS_FALLBACK PROMPT, its output and exit status passed on. */
static int run_fallback(const char *prog, const char *prompt)
{
    int st = 0;
    pid_t pid, w;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot run %s: %s", prog, strerror(errno));
        return 1;
    }
    if (pid == 0) {
        char *args[] = {(char *)prog, (char *)prompt, NULL};
        unsetenv("PAMJWT_ASKPASS_FALLBACK"); /* a fallback that is us again asks the tty */
        execvp(prog, args);
        pj_logf(&pj_cli_log, LOG_ERR, "cannot run %s: %s", prog, strerror(errno));
        _exit(127);
    }
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        return 1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 1;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

/* Ask on the terminal, echo off; the line is the answer. */
static int ask_tty(const char *prompt)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
    struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
    struct termios saved, quiet;
    char *line = NULL;
    size_t n = 0;
    int fd, rc = 1;
    bool restore = false, done = false;

    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "prompt \"%s\" was not recognised (not a token, "
                "pamjwt-continue or pamjwt-pop prompt; see PAMJWT_PROMPT), and there is no "
                "terminal to ask on and no PAMJWT_ASKPASS_FALLBACK", prompt);
        return 1;
    }
    line = malloc(MAX_TTY_LINE + 1);
    if (line == NULL)
        goto out_fd;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns so echo comes back */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, &old[i]);
    if (tcgetattr(fd, &saved) == 0) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
        quiet.c_lflag |= ICANON;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    /* the prompt may come from a server: no control characters reach the
     * terminal */
    for (const char *p = prompt; *p; p++) {
        char c = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
        if (write(fd, &c, 1) < 0)
            break;
    }
    while (!got_signal && !done) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n' || c == '\r') {
            done = r > 0; /* end of input without a newline: no answer */
            break;
        }
        if (n == MAX_TTY_LINE) {
            pj_logf(&pj_cli_log, LOG_ERR, "answer longer than %d bytes", MAX_TTY_LINE);
            break;
        }
        line[n++] = c;
    }
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &saved);
    if (write(fd, "\n", 1) < 0) {
        /* the answer matters more than the newline */
    }
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &old[i], NULL);
    if (got_signal) {
        pj_wipe_free(line, MAX_TTY_LINE + 1);
        close(fd);
        raise(got_signal);
        return 1;
    }
    if (done && answer(line, n) == 0)
        rc = 0;
    pj_wipe_free(line, MAX_TTY_LINE + 1);
out_fd:
    close(fd);
    return rc;
}

/* Is the process that runs us the OpenSSH client?  Its prompts without
 * the "(USER@HOST) " prefix (a client older than OpenSSH 8.4 puts none
 * before keyboard-interactive prompts) still come from a server. */
static bool parent_is_ssh(void)
{
    char path[64], comm[32];
    ssize_t n;
    int fd;
    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = read(fd, comm, sizeof(comm) - 1);
    close(fd);
    if (n <= 0)
        return false;
    comm[n] = '\0';
    comm[strcspn(comm, "\n")] = '\0';
    return strcmp(comm, "ssh") == 0;
}

int pj_cmd_askpass(int argc, char **argv)
{
    const char *fb, *why = NULL;
    char host[256], nonce[PJ_NONCE_LEN + 1];
    ask A = {0};
    size_t at, len;
    int rc, parsed, pop;
    if (argc != 2) {
        fprintf(stderr, "usage: pamjwt askpass PROMPT\n");
        return 2;
    }
    A.prompt = argv[1];
    if (gethostname(host, sizeof(host)) != 0)
        host[0] = '\0';
    host[sizeof(host) - 1] = '\0';
    parsed = pj_prompt_parse(A.prompt, host, &A.p, &why);
    pop = pj_prompt_pop(A.p.body, nonce, &why);
    if (pop == 0 && !continue_prompt(A.p.body, &at, &len) && !token_prompt(A.p.body)) {
        /* not one of pamjwt's prompts: a key's pass phrase, a host key */
        fb = getenv("PAMJWT_ASKPASS_FALLBACK");
        if (fb && *fb)
            return run_fallback(fb, A.prompt);
        return ask_tty(A.prompt);
    }
    /* one of ours: it must be well formed before anything is sent */
    if (parsed != 0 || pop < 0 || pj_prompt_check(A.prompt, &A.p, &why) != 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "askpass: refused %s: malformed prompt: %s (prompt \"%s\")",
                A.p.target, why, A.prompt);
        return 1;
    }
    if (!A.p.ssh && parent_is_ssh()) {
        pj_logf(&pj_cli_log, LOG_ERR, "askpass: refused: ssh asks without its \"(USER@HOST) \" "
                "prefix (an OpenSSH client older than 8.4?), so the target is unknown; it is "
                "not this machine (prompt \"%s\")", A.prompt);
        return 1;
    }
    if (pop > 0)
        rc = send_proof(&A, nonce);
    else if (continue_prompt(A.p.body, &at, &len))
        rc = send_next(&A, at, len);
    else
        rc = send_token(&A);
    ask_free(&A);
    return rc;
}
