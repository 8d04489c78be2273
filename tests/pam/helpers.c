/* SPDX-License-Identifier: BSD-3-Clause */
/* What the libpam tests (tests/pam/TOPIC.c) share: the temporary directory,
 * the captured log, the conversation, the fixtures that write configs and
 * run an authentication, and the keys and tokens. */
#include "pam.h"

int tap_n, tap_failed;

char *dir;          /* temp dir for this run */
const char *so;     /* built module */
const char *settok; /* test helper module */
char me[256];       /* an existing user: the one running the tests */
char other[256];    /* another existing user, for mismatch tests */
/* the module reads the real clock: tokens are minted against it too */

/* ---------------------------------------------------------- log capture */
char logbuf[1 << 16];
size_t loglen;

/* libpam's pam_syslog ends in __syslog_chk; this executable exports its
 * own (-Wl,--export-dynamic) so every line the module logs lands here. */
void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)pri;
    (void)flag;
    va_start(ap, fmt);
    if (loglen < sizeof(logbuf) - 1) {
        int n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen - 1, fmt, ap);
        if (n > 0)
            loglen += (size_t)n < sizeof(logbuf) - loglen - 1 ? (size_t)n
                                                               : sizeof(logbuf) - loglen - 1;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
    va_end(ap);
}

/* ---------------------------------------------------------- conversation */
const char *answer;
int conv_fail, conv_calls;
char last_prompt[256];
/* a scripted conversation: answer i for prompt i; NULL fails that round */
const char *const *script;
size_t script_n;
char prompts[4096]; /* every prompt of the last auth, one per line */
const char *service = "svc";
/* proof of possession: when set, prompts "pamjwt-pop NONCE: " are answered
 * by this function (the answer is malloc'd; NULL fails the round) */
char *(*pop_answer)(const char *nonce);
/* a long answer being sent in pieces: the rest goes to pamjwt-continue */
char *pending;
size_t pending_off, max_answer;

/* every PAM_ERROR_MSG of the last auth, one per line: what the person at
 * the prompt was told (not counted in conv_calls: no question) */
char told[4096];

int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ad)
{
    (void)ad;
    if (n == 1 && msg[0]->msg_style == PAM_ERROR_MSG && !conv_fail) {
        size_t o = strlen(told);
        snprintf(told + o, sizeof(told) - o, "%s\n", msg[0]->msg);
        *resp = NULL;
        return PAM_SUCCESS;
    }
    conv_calls++;
    if (conv_fail)
        return PAM_CONV_ERR;
    if (pop_answer != NULL && n == 1 && strncmp(msg[0]->msg, "pamjwt-pop ", 11) == 0) {
        char nonce[128];
        snprintf(nonce, sizeof(nonce), "%s", msg[0]->msg + 11);
        nonce[strcspn(nonce, ":")] = '\0';
        snprintf(last_prompt, sizeof(last_prompt), "%s", msg[0]->msg);
        char *a = pop_answer(nonce);
        if (a == NULL)
            return PAM_CONV_ERR;
        *resp = calloc(1, sizeof(**resp));
        (*resp)[0].resp = a;
        return PAM_SUCCESS;
    }
    if (pending != NULL && n == 1 && strncmp(msg[0]->msg, "pamjwt-continue ", 16) == 0) {
        size_t len = strlen(pending), take = len - pending_off < 400 ? len - pending_off : 400;
        *resp = calloc(1, sizeof(**resp));
        (*resp)[0].resp = strndup(pending + pending_off, take);
        pending_off += take;
        if (take > max_answer)
            max_answer = take;
        if (pending_off == len) {
            free(pending);
            pending = NULL;
        }
        return PAM_SUCCESS;
    }
    if (script != NULL) {
        size_t k = (size_t)conv_calls - 1;
        if (n != 1 || k >= script_n || script[k] == NULL)
            return PAM_CONV_ERR;
        size_t o = strlen(prompts);
        snprintf(prompts + o, sizeof(prompts) - o, "%s\n", msg[0]->msg);
        *resp = calloc(1, sizeof(**resp));
        (*resp)[0].resp = strdup(script[k]);
        return PAM_SUCCESS;
    }
    *resp = calloc((size_t)n, sizeof(**resp));
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            snprintf(last_prompt, sizeof(last_prompt), "%s", msg[i]->msg);
            (*resp)[i].resp = strdup(answer ? answer : "");
        }
    }
    return PAM_SUCCESS;
}

/* ---------------------------------------------------------- fixtures */
char path_buf[8][4096];
int path_i;
const char *P(const char *name)
{
    char *p = path_buf[path_i++ % 8];
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

void write_text(const char *name, const char *text, int mode)
{
    if (tl_write_file(P(name), text, strlen(text), mode) != 0) {
        printf("Bail out! cannot write %s: %s\n", name, strerror(errno));
        exit(1);
    }
}

/* Config with the standard keys plus extra lines. */
void conf(const char *extra)
{
    char buf[8192];
    snprintf(buf, sizeof(buf),
             "# test config\n"
             "key_file = %s/ec256.pub\n"
             "key_file = %s/rsa.pub\n"
             "allowed_subjects = *\n"
             "%s\n",
             dir, dir, extra ? extra : "");
    write_text("pam_jwt.conf", buf, 0644);
}

/* Run one authentication.  args: extra module arguments.  user: PAM_USER or
 * NULL.  *got_user (optional) receives PAM_USER afterwards. */
char envbuf[8192]; /* the PAM environment after the last auth, one per line */

int auth_stack(const char *stack, const char *user, const char *tok, char **got_user)
{
    pam_handle_t *h = NULL;
    struct pam_conv c = {conv, NULL};
    int rc;
    write_text(service, stack, 0644);
    answer = tok;
    conv_calls = 0;
    last_prompt[0] = '\0';
    prompts[0] = '\0';
    told[0] = '\0';
    loglen = 0;
    logbuf[0] = '\0';
    rc = pam_start_confdir(service, user, &c, dir, &h);
    if (rc != PAM_SUCCESS)
        return -1000 - rc;
    rc = pam_authenticate(h, 0);
    envbuf[0] = '\0';
    char **env = pam_getenvlist(h);
    for (size_t i = 0; env && env[i]; i++) {
        size_t o = strlen(envbuf);
        snprintf(envbuf + o, sizeof(envbuf) - o, "%s\n", env[i]);
        free(env[i]);
    }
    free(env);
    if (got_user) {
        const void *u = NULL;
        pam_get_item(h, PAM_USER, &u);
        *got_user = u ? strdup(u) : NULL;
    }
    pam_end(h, rc);
    return rc;
}

/* The contract's stack.  libpam turns an all-ignore stack into a failure,
 * so PAM_IGNORE is observed the way an administrator sees it: the next
 * module runs.  Here that module returns PAM_CRED_INSUFFICIENT (a code
 * pam_jwt never returns), which is reported as PAM_IGNORE.  Every other
 * code reaches the application unchanged through default=die. */
int auth_args(const char *args, const char *user, const char *tok, char **got_user)
{
    char stack[8192];
    int rc;
    snprintf(stack, sizeof(stack),
             "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf %s\n"
             "auth required %s ignored\n",
             so, dir, args ? args : "", settok);
    rc = auth_stack(stack, user, tok, got_user);
    return rc == PAM_CRED_INSUFFICIENT ? PAM_IGNORE : rc;
}

int auth(const char *user, const char *tok)
{
    return auth_args(NULL, user, tok, NULL);
}

EVP_PKEY *k_ec256, *k_ec384, *k_ec521, *k_rsa, *k_rsa_other, *k_ec_other, *k_ed;

char *claims(const char *sub, long exp_off, const char *extra)
{
    size_t sz = 512 + strlen(sub) + (extra ? strlen(extra) : 0);
    char *b = malloc(sz);
    snprintf(b, sz, "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld%s%s}", sub, now, now + exp_off,
             extra && *extra ? "," : "", extra ? extra : "");
    return b;
}

char *es256_kid(const char *sub, long exp_off, const char *extra, const char *kid);
/* ES256 token for sub, signed by k_ec256 through libjwt. */
char *es256(const char *sub, long exp_off, const char *extra)
{
    return es256_kid(sub, exp_off, extra, NULL);
}

char *es256_kid(const char *sub, long exp_off, const char *extra, const char *kid)
{
    char *c = claims(sub, exp_off, extra);
    char *pem = NULL;
    size_t pl = 0;
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k_ec256, NULL, NULL, 0, NULL, NULL);
    pl = (size_t)BIO_get_mem_data(b, &pem);
    char *t = tl_sign_libjwt("ES256", (unsigned char *)pem, pl, c, kid);
    BIO_free(b);
    free(c);
    return t;
}

char *raw(const char *alg, EVP_PKEY *k, const char *hdr, const char *payload)
{
    return tl_sign_raw(hdr, payload, alg, k, NULL, 0);
}

bool log_has(const char *s)
{
    return strstr(logbuf, s) != NULL;
}

void setup(void)
{
    struct passwd *pw = getpwuid(geteuid());
    snprintf(me, sizeof(me), "%s", pw ? pw->pw_name : "root");
    const char *cands[] = {"nobody", "daemon", "bin", "root"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(cands[i], me) != 0 && getpwnam(cands[i])) {
            snprintf(other, sizeof(other), "%s", cands[i]);
            break;
        }
    dir = tl_tmpdir();
    k_ec256 = tl_keygen("p256");
    k_ec384 = tl_keygen("p384");
    k_ec521 = tl_keygen("p521");
    k_rsa = tl_keygen("rsa");
    k_rsa_other = tl_keygen("rsa");
    k_ec_other = tl_keygen("p256");
    k_ed = tl_keygen("ed25519");
    EVP_PKEY *small = tl_keygen("rsa1024");
    if (!dir || !k_ec256 || !k_ec384 || !k_ec521 || !k_rsa || !k_ed || !small) {
        printf("Bail out! setup failed\n");
        exit(1);
    }
    tl_write_pub(k_ec256, P("ec256.pub"));
    tl_write_priv(k_ec256, P("ec256.key"));
    tl_write_cert(k_ec256, P("ec256.crt"));
    tl_write_pub(k_ec384, P("ec384.pub"));
    tl_write_pub(k_ec521, P("ec521.pub"));
    tl_write_pub(k_rsa, P("rsa.pub"));
    tl_write_pub(k_ed, P("ed25519.pub"));
    tl_write_pub(small, P("rsa1024.pub"));
    EVP_PKEY_free(small);
}
