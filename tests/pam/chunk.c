/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests of tokens typed in pieces (chunked prompts). */
#include "pam.h"

/* Long tokens: chunked answers (contract "Long tokens"). */
static char *chunk_first(const char *tok, size_t len, size_t piece)
{
    char *b = malloc(64 + piece);
    snprintf(b, 64 + piece, "pamjwt-chunked:%zu:%.*s", len, (int)piece, tok);
    return b;
}

/* Run one auth whose answers are tok cut into pieces of the given size. */
static int auth_chunked(const char *args, const char *user, const char *tok, size_t piece)
{
    size_t len = strlen(tok), n = 0;
    char *owned[80];
    const char *ans[80];
    owned[n] = chunk_first(tok, len, piece);
    ans[n] = owned[n];
    n++;
    for (size_t o = piece; o < len && n < 80; o += piece, n++) {
        owned[n] = strndup(tok + o, piece);
        ans[n] = owned[n];
    }
    script = ans;
    script_n = n;
    int rc = auth_args(args, user, NULL, NULL);
    script = NULL;
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    return rc;
}

static int auth_script(const char *const *ans, size_t n)
{
    script = ans;
    script_n = n;
    int rc = auth_args(NULL, me, NULL, NULL);
    script = NULL;
    return rc;
}

static void test_chunked_pieces(const char *t, size_t len)
{
    char want[128];
    static char line_whole[sizeof(logbuf)], line_chunked[sizeof(logbuf)];
    is_int(auth(me, t), PAM_SUCCESS, "chunked: the token typed whole is accepted");
    snprintf(line_whole, sizeof(line_whole), "%s", logbuf);
    is_int(auth_chunked(NULL, me, t, 100), PAM_SUCCESS, "chunked: the same token in 100-byte pieces is accepted");
    snprintf(line_chunked, sizeof(line_chunked), "%s", logbuf);
    ok(strcmp(line_chunked, line_whole) == 0, "chunked: the same log line as typed whole (%s)", line_chunked);
    snprintf(want, sizeof(want), "Token: \npamjwt-continue 100/%zu: \npamjwt-continue 200/%zu: \n", len, len);
    ok(strncmp(prompts, want, strlen(want)) == 0, "chunked: prompts are 'pamjwt-continue N/LEN: ' (%s)", prompts);
    is_int(auth_chunked(NULL, me, t, len), PAM_SUCCESS, "chunked: the whole token in the first answer");
    is_int(auth_chunked(NULL, me, t, 1), PAM_AUTH_ERR, "chunked: more than 64 continuation prompts refused");
    ok(log_has("more than 64 continuation prompts"), "... logged");
    {
        /* exactly 64 continuation prompts is fine */
        const char *ans[65];
        char *first = chunk_first(t, len, len - 64), ones[64][2];
        ans[0] = first;
        for (int i = 0; i < 64; i++) {
            ones[i][0] = t[len - 64 + (size_t)i];
            ones[i][1] = '\0';
            ans[i + 1] = ones[i];
        }
        is_int(auth_script(ans, 65), PAM_SUCCESS, "chunked: exactly 64 continuation prompts accepted");
        is_int(conv_calls, 65, "... after 65 questions");
        free(first);
    }
}

static void test_chunked_malformed(const char *t, size_t len)
{
    {
        char *first = chunk_first(t, len, 50);
        const char *empty[] = {first, ""};
        is_int(auth_script(empty, 2), PAM_AUTH_ERR, "chunked: an empty piece is refused");
        ok(log_has("empty piece"), "... logged as an empty piece");
        char *rest = strdup(t + 50);
        char *over = malloc(strlen(rest) + 2);
        sprintf(over, "%sX", rest);
        const char *overrun[] = {first, over};
        is_int(auth_script(overrun, 2), PAM_AUTH_ERR, "chunked: a piece past LEN is refused");
        ok(log_has("past the announced length"), "... logged as an overrun");
        const char *fails[] = {first, NULL};
        is_int(auth_script(fails, 2), PAM_CONV_ERR, "chunked: conversation failure mid-way: PAM_CONV_ERR");
        free(rest);
        free(over);
        free(first);
        char *f0 = malloc(len + 64);
        snprintf(f0, len + 64, "pamjwt-chunked:%zu:", len);
        const char *e0[] = {f0, t};
        is_int(auth_script(e0, 2), PAM_AUTH_ERR, "chunked: an empty first piece is refused");
        free(f0);
    }
    const char *bad[] = {"pamjwt-chunked:", "pamjwt-chunked:abc:x", "pamjwt-chunked:0:x",
                         "pamjwt-chunked:16385:x", "pamjwt-chunked:012:x", "pamjwt-chunked:5",
                         "pamjwt-chunked:-5:x", "pamjwt-chunked: 5:x", "pamjwt-chunked:1000000:x",
                         "pamjwt-chunked:3:abcd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *a1[] = {bad[i], "more"};
        is_int(auth_script(a1, 2), PAM_AUTH_ERR, "chunked: malformed first answer '%s' refused", bad[i]);
    }
    {
        /* pieces are not trimmed: a space inside makes it no JWT */
        char *first = chunk_first(t, len + 1, 60);
        char *rest = malloc(len + 8);
        sprintf(rest, " %s", t + 60);
        const char *sp[] = {first, rest};
        is_int(auth_script(sp, 2), PAM_IGNORE, "chunked: white space inside a piece is kept (not a JWT: ignore)");
        free(first);
        free(rest);
    }
}

static void test_chunked_one_time_and_first_pass(const char *t, size_t len)
{
    /* one-time tokens: the same whether typed whole or in pieces */
    mkdir(P("replay-chunk"), 0700);
    {
        char extra[512];
        snprintf(extra, sizeof(extra), "replay_cache = %s/replay-chunk", dir);
        conf(extra);
    }
    char *once = es256(me, 300, "\"jti\":\"chunk-once-1\"");
    is_int(auth_chunked(NULL, me, once, 90), PAM_SUCCESS, "chunked one-time token: first use accepted");
    is_int(auth(me, once), PAM_AUTH_ERR, "... typed whole afterwards: already used");
    is_int(auth_chunked(NULL, me, once, 90), PAM_AUTH_ERR, "... in pieces again: already used");
    free(once);
    conf(NULL);
    /* use_first_pass allows no prompts */
    {
        char *first = chunk_first(t, len, 100);
        char stack[4096];
        snprintf(stack, sizeof(stack),
                 "auth optional %s set=%s\n"
                 "auth [success=done ignore=ignore default=die] %s config=%s/pam_jwt.conf use_first_pass\n",
                 settok, first, so, dir);
        is_int(auth_stack(stack, me, NULL, NULL), PAM_AUTH_ERR, "chunked PAM_AUTHTOK under use_first_pass: refused");
        free(first);
    }
}

/* under sudo, end of input after a short answer on the same handle (sudo
 * asks again after a refusal): no hint about long answers */
static void test_chunked_conversation_failure(void)
{
    {
        char stack[4096];
        pam_handle_t *h = NULL;
        struct pam_conv cv = {conv, NULL};
        service = "sudo";
        snprintf(stack, sizeof(stack), "auth required %s config=%s/pam_jwt.conf\n", so, dir);
        write_text(service, stack, 0644);
        pam_start_confdir(service, me, &cv, dir, &h);
        answer = "short-wrong";
        is_int(pam_authenticate(h, 0) != PAM_SUCCESS, 1, "sudo: a short wrong answer fails");
        conv_fail = 1;
        loglen = 0;
        logbuf[0] = '\0';
        is_int(pam_authenticate(h, 0), PAM_CONV_ERR, "sudo: then end of input: PAM_CONV_ERR");
        conv_fail = 0;
        ok(log_has("conversation failed at the token prompt"), "... logged");
        ok(!log_has("512 bytes"), "... without the hint about long answers");
        pam_end(h, PAM_SUCCESS);
        service = "svc";
    }
    /* conversation failure under sudo: one line, with the hint */
    service = "sudo";
    conv_fail = 1;
    is_int(auth(me, NULL), PAM_CONV_ERR, "conversation failure: PAM_CONV_ERR");
    conv_fail = 0;
    service = "svc";
    ok(log_has("sudo refuses answers of 512 bytes or more"), "... under sudo, the log has the hint");
    {
        int lines = 0;
        for (const char *p = logbuf; (p = strstr(p, "conversation failed")) != NULL; p++)
            lines++;
        is_int(lines, 1, "... logged once");
    }
}

void test_chunked(void)
{
    conf(NULL);
    char *t = es256(me, 300, "\"pad\":\"" "0123456789012345678901234567890123456789" "\"");
    size_t len = strlen(t);
    test_chunked_pieces(t, len);
    test_chunked_malformed(t, len);
    test_chunked_one_time_and_first_pass(t, len);
    test_chunked_conversation_failure();
    free(t);
}
