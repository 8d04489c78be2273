/* pamjwt token and pamjwt askpass: hand the stored token (whole or in the
 * pieces of contract "Long tokens: chunked answers") or a proof of
 * possession to ssh or sudo, and pass any other prompt on. */
#include "config.h"

#include "cli.h"
#include "cli_jwk.h"
#include "cli_store.h"
#include "chunk.h"
#include "jose.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
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
#define MAX_NONCE 512
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

int pj_cmd_token(int argc, char **argv)
{
    char *tok = NULL;
    size_t n = 0;
    int rc;
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: pamjwt token\n");
        return 2;
    }
    if (pj_store_token(&tok, &n) != 0)
        return 1;
    rc = answer(tok, n) == 0 ? 0 : 1;
    pj_wipe_free(tok, n);
    return rc;
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

/* Answer with obj: whole when it fits in one answer, else its first piece,
 * keeping obj in the client directory for the continuation prompts. */
static int send_object(const char *obj, size_t len)
{
    size_t chunk;
    char *dir = NULL, *first = NULL;
    int rc = 1;
    if (chunk_size(&chunk) != 0 || (dir = pj_store_dir(false)) == NULL)
        goto out;
    if (len <= chunk) {
        if (pj_store_remove(dir, PJ_STORE_STATE) == 0 && answer(obj, len) == 0)
            rc = 0;
        goto out;
    }
    first = pj_cli_chunk_first(obj, len, chunk);
    if (first == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR,
                "%zu bytes do not go in %d pieces of PAMJWT_CHUNK=%zu bytes", len,
                PJ_CHUNK_MAX_ROUNDS + 1, chunk);
        goto out;
    }
    if (pj_store_write(dir, PJ_STORE_STATE, obj, len) == 0 && answer(first, chunk) == 0)
        rc = 0;
out:
    if (first)
        pj_wipe_free(first, chunk + 1);
    free(dir);
    return rc;
}

/* "pamjwt-continue N/LEN: ": the next piece of the object being sent. */
static int send_next(size_t at, size_t len)
{
    size_t chunk, n = 0;
    char *dir = NULL, *obj = NULL, *piece = NULL;
    bool last = false;
    int rc = 1, r;
    if (chunk_size(&chunk) != 0 || (dir = pj_store_dir(false)) == NULL)
        goto out;
    r = pj_store_read(dir, PJ_STORE_STATE, PJ_MAX_TOKEN, &obj, &n);
    if (r == 1)
        pj_logf(&pj_cli_log, LOG_ERR, "asked for a continuation, but nothing is being sent");
    if (r != 0)
        goto out;
    if (n != len || at >= len) {
        pj_logf(&pj_cli_log, LOG_ERR,
                "asked for bytes from %zu of %zu, but the object being sent has %zu", at, len, n);
        goto out;
    }
    piece = pj_cli_chunk_next(obj, n, chunk, at, &last);
    if (piece && (!last || pj_store_remove(dir, PJ_STORE_STATE) == 0) &&
        answer(piece, strlen(piece)) == 0)
        rc = 0;
out:
    pj_free_str(piece);
    if (obj)
        pj_wipe_free(obj, n);
    free(dir);
    return rc;
}

/* "pamjwt-pop NONCE: ": a proof of possession of the holder key for the
 * stored token (contract "Proof of possession"). */
static int send_proof(const char *nonce)
{
    const char *env = getenv("PAMJWT_HOLDER_KEY");
    char *tok = NULL, *dir = NULL, *path = NULL, *ath = NULL, *proof = NULL;
    size_t tl = 0;
    EVP_PKEY *k = NULL;
    json_t *c = NULL;
    int rc = 1;

    if (pj_store_token(&tok, &tl) != 0)
        goto out;
    if (env && *env) {
        k = pj_cli_key_load(env);
    } else if ((dir = pj_store_dir(false)) != NULL &&
               (path = pj_store_path(dir, PJ_STORE_HOLDER)) != NULL) {
        if (access(path, F_OK) != 0 && errno == ENOENT)
            pj_logf(&pj_cli_log, LOG_ERR, "no holder key %s (pamjwt login makes one, or set "
                                          "PAMJWT_HOLDER_KEY)", path);
        else
            k = pj_cli_key_load(path);
    }
    if (k == NULL)
        goto out;
    ath = pj_cli_sha256_b64url(tok, tl);
    c = ath ? json_pack("{s:s, s:I, s:s}", "nonce", nonce, "iat", (json_int_t)time(NULL), "ath",
                        ath)
            : NULL;
    proof = c ? pj_cli_jws_with_jwk(k, "pamjwt-pop+jwt", c) : NULL;
    if (proof == NULL)
        pj_logf(&pj_cli_log, LOG_ERR, "cannot sign the proof of possession");
    else
        rc = send_object(proof, strlen(proof));
out:
    json_decref(c);
    free(ath);
    free(proof);
    EVP_PKEY_free(k);
    free(path);
    free(dir);
    if (tok)
        pj_wipe_free(tok, tl);
    return rc;
}

static int send_token(void)
{
    char *tok = NULL;
    size_t n = 0;
    int rc;
    if (pj_store_token(&tok, &n) != 0)
        return 1;
    rc = send_object(tok, n);
    pj_wipe_free(tok, n);
    return rc;
}

/* ------------------------------------------------------------ prompts */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return m > 0 && m <= n && memcmp(s + n - m, suffix, m) == 0;
}

/* The module's token prompt ("Token: ", or $PAMJWT_PROMPT) at the end of
 * the prompt, with or without its trailing white space (ssh puts
 * "(user@host) " before keyboard-interactive prompts). */
static bool token_prompt(const char *prompt)
{
    const char *want = getenv("PAMJWT_PROMPT");
    char bare[256];
    size_t n;
    if (want == NULL || *want == '\0')
        want = "Token: ";
    if (ends_with(prompt, want))
        return true;
    n = strlen(want);
    while (n > 0 && pj_is_space((unsigned char)want[n - 1]))
        n--;
    if (n == 0 || n >= sizeof(bare))
        return false;
    memcpy(bare, want, n);
    bare[n] = '\0';
    return ends_with(prompt, bare);
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

/* "pamjwt-pop NONCE: ", NONCE base64url; *nonce malloc'd. */
static bool pop_prompt(const char *prompt, char **nonce)
{
    const char *p = last_word(prompt, "pamjwt-pop ");
    size_t n = 0;
    if (p == NULL)
        return false;
    while (n <= MAX_NONCE && ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
                              (p[n] >= '0' && p[n] <= '9') || p[n] == '-' || p[n] == '_'))
        n++;
    if (n == 0 || n > MAX_NONCE || !prompt_end(p + n))
        return false;
    *nonce = pj_strndup(p, n);
    return *nonce != NULL;
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
        fprintf(stderr, "pamjwt: cannot run %s: %s\n", prog, strerror(errno));
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
        pj_logf(&pj_cli_log, LOG_ERR, "no terminal to ask on (set PAMJWT_ASKPASS_FALLBACK)");
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

int pj_cmd_askpass(int argc, char **argv)
{
    const char *prompt, *fb;
    char *nonce = NULL;
    size_t at, len;
    int rc;
    if (argc != 2) {
        fprintf(stderr, "usage: pamjwt askpass PROMPT\n");
        return 2;
    }
    prompt = argv[1];
    if (continue_prompt(prompt, &at, &len))
        return send_next(at, len);
    if (pop_prompt(prompt, &nonce)) {
        rc = send_proof(nonce);
        free(nonce);
        return rc;
    }
    if (token_prompt(prompt))
        return send_token();
    fb = getenv("PAMJWT_ASKPASS_FALLBACK");
    if (fb && *fb)
        return run_fallback(fb, prompt);
    return ask_tty(prompt);
}
